/* Playout: the reorder window (packets in RTP timestamp order), gaps
 * filled with silence up to --max-silence, resets and late packets
 * counted, G.711 decoded straight into the sink's buffer. */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "codec/codec.h"
#include "codec/g711.h"
#include "sink/sink.h"
#include "sink/stereo.h"
#include "stream/stream.h"

#define SLOT_MIN 320         /* window slot size to start with (40 ms of G.711); grows */

static uint32_t
out_rate(const struct cx_stream *s)
{
	return s->snk.rate ? s->snk.rate : 8000;
}

static int
out_channels(const struct cx_stream *s)
{
	return s->snk.channels == 2 ? 2 : 1;
}

/* RTP units of the current segment -> samples at the WAV's rate (the
 * remainder is kept, so that silence adds up exactly). */
static uint64_t
to_out(struct cx_stream *s, uint64_t units)
{
	uint32_t clock = s->pl.clock ? s->pl.clock : 8000, rate = out_rate(s);
	if (clock == rate)
		return units;
	uint64_t num = units * rate + s->pl.frac;
	s->pl.frac = num % clock;
	return num / clock;
}

static bool
grow(int16_t **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	int16_t *n = realloc(*b, need * sizeof(int16_t));
	if (!n)
		return false;
	*b = n;
	*cap = need;
	return true;
}

/* Samples at the segment's rate through its resampler to the WAV's rate
 * (n = 0: what the resampler still holds, after which it starts afresh). */
static void
resample(struct cx_media *m, struct cx_stream *s, const int16_t *pcm, size_t n)
{
	int ch = out_channels(s);
	if (!s->pl.swr) {
		if (!n)
			return;
		AVChannelLayout l;
		av_channel_layout_default(&l, ch);
		if (swr_alloc_set_opts2(&s->pl.swr, &l, AV_SAMPLE_FMT_S16, (int)out_rate(s), &l, AV_SAMPLE_FMT_S16,
					(int)s->pl.seg_rate, 0, NULL) < 0 || swr_init(s->pl.swr) < 0) {
			swr_free(&s->pl.swr);
			s->pl.decode_errors++;
			return;
		}
	}
	size_t outn = (size_t)((uint64_t)n * out_rate(s) / s->pl.seg_rate) + 256;
	if (!grow(&s->pl.rs, &s->pl.rs_cap, outn * (size_t)ch))
		return;
	uint8_t *o = (uint8_t *)s->pl.rs;
	const uint8_t *in = (const uint8_t *)pcm;
	int got = swr_convert(s->pl.swr, &o, (int)outn, n ? &in : NULL, (int)n);
	if (got > 0)
		cx_sink_put(m, s, s->pl.rs, (size_t)got);
	if (!n)
		swr_init(s->pl.swr);
}

static void
resample_flush(struct cx_media *m, struct cx_stream *s)
{
	if (s->pl.swr)
		resample(m, s, NULL, 0);
}

/* Decoded samples (the decoder's channels) to the WAV's channels and rate. */
static void
emit(struct cx_media *m, struct cx_stream *s, const int16_t *pcm, size_t frames, int dch)
{
	int ch = out_channels(s);
	if (dch != ch) {
		if (!grow(&s->pl.mono, &s->pl.mono_cap, frames * (size_t)ch))
			return;
		for (size_t i = 0; i < frames; i++) {
			if (ch == 1)
				s->pl.mono[i] = (int16_t)(((int)pcm[2 * i] + (int)pcm[2 * i + 1]) / 2);
			else
				s->pl.mono[2 * i] = s->pl.mono[2 * i + 1] = pcm[i];
		}
		pcm = s->pl.mono;
	}
	if (s->pl.seg_rate != out_rate(s))
		resample(m, s, pcm, frames);
	else
		cx_sink_put(m, s, pcm, frames);
}

static void
append_codec(struct cx_stream *s, const char *name)
{
	size_t o = strlen(s->pl.codecs), k = strlen(name);
	for (const char *p = s->pl.codecs; (p = strstr(p, name)); p += k)
		if ((p == s->pl.codecs || p[-1] == ',') && (p[k] == ',' || !p[k]))
			return;
	if (o + k + 2 <= sizeof(s->pl.codecs))
		snprintf(s->pl.codecs + o, sizeof(s->pl.codecs) - o, "%s%s", o ? "," : "", name);
}

/* Makes pt's codec the current segment: a new decoder (reset state) at a
 * switch. False if it cannot be decoded (reason set, payload kept raw). */
static bool
segment(struct cx_media *m, struct cx_stream *s, uint8_t pt, const struct cx_codec *c, const uint8_t *data,
	size_t len)
{
	if (s->pl.codec == c && s->pl.pt == pt && (s->pl.clock || s->pl.failed))
		return !s->pl.failed;
	resample_flush(m, s);
	cx_dec_free(s->pl.dec);
	s->pl.dec = NULL;
	swr_free(&s->pl.swr);
	s->pl.codec = c;
	s->pl.pt = pt;
	s->pl.failed = false;
	uint32_t rate = 8000, clock = 8000;
	int ch = 1;
	if (c->depack != CX_DP_G711) {
		struct cx_codec_params prm = { .clock = cx_stream_clock(s, pt) };
		const struct cx_ep_pt *e = cx_ep_pt(s->ep, pt);
		if (e) {
			prm.channels = e->channels;
			prm.fmtp = e->fmtp;
		}
		char err[160];
		s->pl.dec = cx_dec_new(c, &prm, data, len, err, sizeof(err));
		if (!s->pl.dec) {
			s->pl.failed = true;
			if (!s->reason[0] || s->decodable)
				snprintf(s->reason, sizeof(s->reason), "codec %s is not decoded: %s; raw payload kept", c->name, err);
			return false;
		}
		rate = cx_dec_rate(s->pl.dec);
		clock = cx_dec_clock(s->pl.dec);
		ch = cx_dec_channels(s->pl.dec);
	}
	cx_sink_format(s, rate, ch);
	if (s->pl.clock && s->pl.clock != clock)
		s->pl.ts_started = false; /* timestamps of another clock: a new start */
	s->pl.clock = clock;
	s->pl.seg_rate = rate;
	s->pl.frac = 0;
	if (rate != out_rate(s))
		s->pl.segments_resampled++;
	append_codec(s, c->name);
	return true;
}

void
cx_playout_format(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u)
{
	enum cx_kind k = cx_stream_kind(m, s, u->pt);
	if ((k == CX_KIND_PCMU || k == CX_KIND_PCMA || k == CX_KIND_CODEC) && s->kind_codec && !s->snk.rate)
		segment(m, s, u->pt, s->kind_codec, u->data, u->len);
}

static void
play(struct cx_media *m, struct cx_stream *s, const struct cx_wpkt *p, const uint8_t *data)
{
	enum cx_kind k = cx_stream_kind(m, s, p->pt);
	if (k == CX_KIND_EVENT)
		return; /* DTMF: reported, not mixed into the audio */
	bool g711 = k == CX_KIND_PCMU || k == CX_KIND_PCMA, cn = k == CX_KIND_CN;
	if (!g711 && !cn && k != CX_KIND_CODEC)
		return;
	if (!cn && (!s->kind_codec || !segment(m, s, p->pt, s->kind_codec, data, p->len))) {
		cx_sink_raw(m, s, data, p->len);
		return;
	}
	uint32_t clock = s->pl.clock ? s->pl.clock : 8000;
	uint64_t cap = (uint64_t)m->ctx->cfg->max_silence_ms * clock / 1000;
	if (!s->pl.ts_started) {
		if (s->snk.samples)
			cx_sink_realign(m, s, p->ts_ns); /* after a clock change */
		s->pl.ts_started = true;
		s->pl.next_ts = p->ext_ts;
	}
	if (p->ext_ts < s->pl.next_ts && s->pl.next_ts - p->ext_ts > 2 * (uint64_t)clock) {
		/* the sender restarted its timestamps: play on from here */
		s->pl.jumps++;
		cx_findings_add(m->ctx->findings, CX_SEV_INFO, "media.timestamp_jump", p->frame,
				"RTP timestamp of SSRC 0x%08x goes back by %llu samples (%.1f s): taken as a reset",
				s->ssrc, (unsigned long long)(s->pl.next_ts - p->ext_ts),
				(double)(s->pl.next_ts - p->ext_ts) / clock);
		s->pl.next_ts = p->ext_ts;
		resample_flush(m, s);
		cx_dec_reset(s->pl.dec);
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
				s->ssrc, (unsigned long long)gap, (double)gap / clock, m->ctx->cfg->max_silence_ms);
		gap = 0;
		resample_flush(m, s);
		cx_dec_reset(s->pl.dec);
		cx_sink_realign(m, s, p->ts_ns);
	}
	uint64_t gap_out = gap ? to_out(s, gap) : 0;
	/* Many small jumps, each under the cap, must not add up to more audio
	 * than the capture lasted: a stream gets at most the capture time
	 * since its first packet, plus one cap, of samples. */
	uint32_t rate = out_rate(s);
	int64_t room = (p->ts_ns - s->snk.audio_start_ns) / 1000 * (int64_t)rate / 1000000 +
		       (int64_t)((uint64_t)m->ctx->cfg->max_silence_ms * rate / 1000) - (int64_t)s->snk.samples;
	if (gap_out && (int64_t)gap_out > room) {
		if (!s->pl.silence_limited++)
			cx_findings_add(m->ctx->findings, CX_SEV_LOW, "media.silence_limited", p->frame,
					"RTP timestamps of SSRC 0x%08x run ahead of the capture's clock: silence limited to the time that passed",
					s->ssrc);
		gap_out = room > 0 ? (uint64_t)room : 0;
	}
	if (gap) {
		/* lost or not sent (DTX, comfort noise): the decoder starts
		 * afresh, so that no concealment reads as speech */
		resample_flush(m, s);
		cx_dec_reset(s->pl.dec);
	}
	if (gap_out) {
		s->pl.silence_samples += gap_out;
		cx_sink_put(m, s, NULL, gap_out);
	}
	if (cn) {
		s->pl.next_ts = p->ext_ts; /* comfort noise: silence until the next packet */
		return;
	}
	if (g711 && !s->pl.dec && rate == 8000 && out_channels(s) == 1) {
		/* G.711 at the WAV's rate: decoded straight into the buffer */
		int16_t *dst = cx_sink_room(s, p->len);
		if (dst) {
			cx_g711_decode(k == CX_KIND_PCMA, data, p->len, dst);
			cx_sink_commit(m, s, p->len);
		} else {
			int16_t pcm[CX_MAX_PAYLOAD];
			cx_g711_decode(k == CX_KIND_PCMA, data, p->len, pcm);
			cx_sink_put(m, s, pcm, p->len);
		}
		s->pl.next_ts = p->ext_ts + p->len;
		return;
	}
	if (!s->pl.dec) {
		/* G.711 in a stream whose WAV has another rate */
		char err[80];
		struct cx_codec_params prm = { 0 };
		if (!(s->pl.dec = cx_dec_new(s->kind_codec, &prm, data, p->len, err, sizeof(err))))
			return;
	}
	const int16_t *pcm;
	size_t frames;
	int errors = cx_dec_decode(s->pl.dec, data, p->len, &pcm, &frames);
	if (errors) {
		s->pl.decode_errors += (uint64_t)errors;
		cx_stats_add(m->ctx->stats, "error.codec.decode", (uint64_t)errors);
	}
	if (frames)
		emit(m, s, pcm, frames, cx_dec_channels(s->pl.dec));
	/* a payload that gave nothing: the time to the next one is silence */
	s->pl.next_ts = p->ext_ts + (uint64_t)frames * s->pl.clock / s->pl.seg_rate;
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
	resample_flush(m, s);
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
	if (s->pl.nwin && u->ext_ts + 2 * (uint64_t)(s->pl.clock ? s->pl.clock : 8000) < s->pl.win[s->pl.order[0]].ext_ts)
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
	cx_dec_free(pl->dec);
	pl->dec = NULL;
	swr_free(&pl->swr);
	free(pl->rs);
	pl->rs = NULL;
	free(pl->mono);
	pl->mono = NULL;
	free(pl->win);
	pl->win = NULL;
	free(pl->wdata);
	pl->wdata = NULL;
	pl->nwin = 0;
}
