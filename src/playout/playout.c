/* Playout: the reorder window (packets in RTP timestamp order), gaps
 * filled with silence up to --max-silence, resets and late packets
 * counted, G.711 decoded straight into the sink's buffer. */
#include <string.h>
#include <stdlib.h>
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "codec/g711.h"
#include "sink/sink.h"
#include "sink/stereo.h"
#include "stream/stream.h"

#define SLOT_MIN 320         /* window slot size to start with (40 ms of G.711); grows */
#define RESET_SAMPLES 16000  /* a timestamp this far behind the playout is a reset, not a late packet */

static void
play(struct cx_media *m, struct cx_stream *s, const struct cx_wpkt *p, const uint8_t *data)
{
	enum cx_kind k = cx_stream_kind(m, s, p->pt);
	uint64_t cap = (uint64_t)m->ctx->cfg->max_silence_ms * 8;
	if (k == CX_KIND_EVENT)
		return; /* DTMF: reported, not mixed into the audio */
	bool g711 = k == CX_KIND_PCMU || k == CX_KIND_PCMA, cn = k == CX_KIND_CN;
	if (!g711 && !cn)
		return;
	if (!s->pl.ts_started) {
		s->pl.ts_started = true;
		s->pl.next_ts = p->ext_ts;
	}
	if (p->ext_ts < s->pl.next_ts && s->pl.next_ts - p->ext_ts > RESET_SAMPLES) {
		/* the sender restarted its timestamps: play on from here */
		s->pl.jumps++;
		cx_findings_add(m->ctx->findings, CX_SEV_INFO, "media.timestamp_jump", p->frame,
				"RTP timestamp of SSRC 0x%08x goes back by %llu samples (%.1f s): taken as a reset",
				s->ssrc, (unsigned long long)(s->pl.next_ts - p->ext_ts),
				(double)(s->pl.next_ts - p->ext_ts) / 8000.0);
		s->pl.next_ts = p->ext_ts;
		cx_sink_realign(m, s, p->ts_ns);
	}
	if (p->ext_ts < s->pl.next_ts) {
		s->pl.late++; /* overlaps audio already written: too late for the window */
		return;
	}
	uint64_t gap = p->ext_ts - s->pl.next_ts;
	if (gap > cap) {
		s->pl.jumps++;
		cx_findings_add(m->ctx->findings, CX_SEV_INFO, "media.timestamp_jump", p->frame,
				"RTP timestamp of SSRC 0x%08x jumps by %llu samples (%.1f s); no silence written for it (cap %u ms)",
				s->ssrc, (unsigned long long)gap, (double)gap / 8000.0, m->ctx->cfg->max_silence_ms);
		gap = 0;
		cx_sink_realign(m, s, p->ts_ns);
	}
	/* Many small jumps, each under the cap, must not add up to more audio
	 * than the capture lasted: a stream gets at most the capture time
	 * since its first packet, plus one cap, of samples. */
	int64_t room = (p->ts_ns - s->snk.audio_start_ns) / 125000 + (int64_t)cap - (int64_t)s->snk.samples;
	if (gap && (int64_t)gap > room) {
		if (!s->pl.silence_limited++)
			cx_findings_add(m->ctx->findings, CX_SEV_LOW, "media.silence_limited", p->frame,
					"RTP timestamps of SSRC 0x%08x run ahead of the capture's clock: silence limited to the time that passed",
					s->ssrc);
		gap = room > 0 ? (uint64_t)room : 0;
	}
	if (gap) {
		s->pl.silence_samples += gap;
		cx_sink_put(m, s, NULL, gap);
	}
	if (cn) {
		s->pl.next_ts = p->ext_ts; /* comfort noise: silence until the next packet */
		return;
	}
	int16_t *dst = cx_sink_room(s, p->len);
	if (dst) {
		/* decoded straight into the stream's buffer */
		cx_g711_decode(k == CX_KIND_PCMA, data, p->len, dst);
		cx_sink_commit(m, s, p->len);
	} else {
		int16_t pcm[CX_MAX_PAYLOAD];
		cx_g711_decode(k == CX_KIND_PCMA, data, p->len, pcm);
		cx_sink_put(m, s, pcm, p->len);
	}
	s->pl.next_ts = p->ext_ts + p->len;
}

static void
window_pop(struct cx_media *m, struct cx_stream *s)
{
	if (!s->pl.nwin)
		return;
	play(m, s, &s->pl.win[s->pl.order[0]], s->pl.wdata + (size_t)s->pl.order[0] * s->pl.slot_sz);
	memmove(s->pl.order, s->pl.order + 1, s->pl.nwin - 1);
	s->pl.nwin--;
}

void
cx_playout_flush(struct cx_media *m, struct cx_stream *s)
{
	while (s->pl.nwin)
		window_pop(m, s);
	free(s->pl.win);
	s->pl.win = NULL;
	free(s->pl.wdata);
	s->pl.wdata = NULL;
	cx_sink_idle(m, s);
}

/* Makes every slot hold len bytes: slots start small (G.711 at 20-40 ms)
 * and grow when a stream sends larger packets. */
static bool
window_room(struct cx_stream *s, size_t len)
{
	if (s->pl.wdata && len <= s->pl.slot_sz)
		return true;
	size_t sz = s->pl.slot_sz ? s->pl.slot_sz : SLOT_MIN;
	while (sz < len)
		sz *= 2;
	uint8_t *d = malloc(CX_PLAYOUT_WINDOW * sz);
	if (!d)
		return false;
	for (size_t i = 0; s->pl.wdata && i < s->pl.nwin; i++)
		memcpy(d + (size_t)s->pl.order[i] * sz, s->pl.wdata + (size_t)s->pl.order[i] * s->pl.slot_sz,
		       s->pl.win[s->pl.order[i]].len);
	free(s->pl.wdata);
	s->pl.wdata = d;
	s->pl.slot_sz = sz;
	return true;
}

void
cx_playout_push(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u)
{
	size_t len = u->len < CX_MAX_PAYLOAD ? u->len : CX_MAX_PAYLOAD;
	/* Next in timestamp order with nothing held: played at once, no copy.
	 * Packets wait in the window only behind a gap (lost, late or
	 * reordered packets) or before the stream's first CX_PLAYOUT_WINDOW packets. */
	if (s->pl.ts_started && !s->pl.nwin && u->ext_ts == s->pl.next_ts) {
		struct cx_wpkt w = { .ext_ts = u->ext_ts, .ts_ns = u->ts_ns, .frame = u->frame,
				  .pt = u->pt, .len = (uint16_t)len };
		play(m, s, &w, u->data);
		return;
	}
	if (!s->pl.win && !(s->pl.win = malloc(CX_PLAYOUT_WINDOW * sizeof(*s->pl.win))))
		return;
	if (!window_room(s, len))
		return;
	/* A timestamp far behind everything held (a reset) is not reordering:
	 * what is held is played first. */
	if (s->pl.nwin && u->ext_ts + RESET_SAMPLES < s->pl.win[s->pl.order[0]].ext_ts)
		while (s->pl.nwin)
			window_pop(m, s);
	uint8_t slot;
	if (s->pl.nwin == CX_PLAYOUT_WINDOW) {
		slot = s->pl.order[0];
		window_pop(m, s);
	} else {
		/* a free slot: the one not listed in order[] */
		bool used[CX_PLAYOUT_WINDOW] = { false };
		for (size_t i = 0; i < s->pl.nwin; i++)
			used[s->pl.order[i]] = true;
		slot = 0;
		while (used[slot])
			slot++;
	}
	size_t i = s->pl.nwin;
	while (i > 0 && s->pl.win[s->pl.order[i - 1]].ext_ts > u->ext_ts)
		i--;
	memmove(s->pl.order + i + 1, s->pl.order + i, s->pl.nwin - i);
	s->pl.order[i] = slot;
	struct cx_wpkt *w = &s->pl.win[slot];
	w->ext_ts = u->ext_ts;
	w->ts_ns = u->ts_ns;
	w->pt = u->pt;
	w->frame = u->frame;
	w->len = (uint16_t)len;
	memcpy(s->pl.wdata + (size_t)slot * s->pl.slot_sz, u->data, len);
	s->pl.nwin++;
	/* a gap just filled: what follows it in order can go */
	while (s->pl.ts_started && s->pl.nwin && s->pl.win[s->pl.order[0]].ext_ts == s->pl.next_ts)
		window_pop(m, s);
}

void
cx_playout_free(struct cx_playout *pl)
{
	free(pl->win);
	pl->win = NULL;
	free(pl->wdata);
	pl->wdata = NULL;
	pl->nwin = 0;
}
