/* PCM sinks: a stream's samples buffered a second at a time, then to its
 * mono WAV and to the call's stereo mix; undecoded payloads to .raw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "callextract/outdir.h"
#include "callextract/sip.h"
#include "output/writers.h"
#include "sink/sink.h"
#include "sink/stereo.h"
#include "stream/stream.h"
#include "util/text.h"
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

static uint32_t
sink_rate(const struct cx_stream *s)
{
	return s->snk.rate ? s->snk.rate : 8000;
}

static int
sink_channels(const struct cx_stream *s)
{
	return s->snk.channels == 2 ? 2 : 1;
}

static bool
alloc_pcm(struct cx_stream *s)
{
	/* a second of audio */
	s->snk.cap = sink_rate(s);
	s->snk.pcm = malloc(s->snk.cap * (size_t)sink_channels(s) * sizeof(int16_t));
	return s->snk.pcm != NULL;
}

/* n frames of the stream to its side of the mix: mono, at the mix's rate.
 * The resampler keeps a few samples back (its filter); they come out when
 * the stream goes idle, so the feed's count stays exact. */
static void
mix_put(struct cx_stream *s, const int16_t *pcm, size_t n)
{
	int ch = sink_channels(s);
	bool resample = s->snk.mix_rate && s->snk.mix_rate != sink_rate(s);
	if (ch == 1 && !resample) {
		cx_stereo_put(s->snk.mix, s->snk.feed, pcm, n);
		return;
	}
	size_t need = n + (resample ? (size_t)((uint64_t)n * s->snk.mix_rate / sink_rate(s)) + 256 : 0);
	if (need > s->snk.mix_cap) {
		int16_t *b = realloc(s->snk.mix_buf, need * sizeof(int16_t));
		if (!b)
			return;
		s->snk.mix_buf = b;
		s->snk.mix_cap = need;
	}
	int16_t *mono = s->snk.mix_buf;
	if (ch == 2) {
		for (size_t i = 0; i < n; i++)
			mono[i] = (int16_t)(((int)pcm[2 * i] + (int)pcm[2 * i + 1]) / 2);
	} else if (n) { /* n 0: the flush of what the resampler holds, pcm NULL */
		memcpy(mono, pcm, n * sizeof(int16_t));
	}
	if (!resample) {
		cx_stereo_put(s->snk.mix, s->snk.feed, mono, n);
		return;
	}
	if (!s->snk.mix_swr) {
		AVChannelLayout l = AV_CHANNEL_LAYOUT_MONO;
		if (swr_alloc_set_opts2(&s->snk.mix_swr, &l, AV_SAMPLE_FMT_S16, (int)s->snk.mix_rate, &l,
					AV_SAMPLE_FMT_S16, (int)sink_rate(s), 0, NULL) < 0 ||
		    swr_init(s->snk.mix_swr) < 0) {
			swr_free(&s->snk.mix_swr);
			return;
		}
	}
	int16_t *out = s->snk.mix_buf + n;
	uint8_t *o = (uint8_t *)out;
	const uint8_t *in = n ? (const uint8_t *)mono : NULL;
	int got = swr_convert(s->snk.mix_swr, &o, (int)(s->snk.mix_cap - n), n ? &in : NULL, (int)n);
	if (got > 0)
		cx_stereo_put(s->snk.mix, s->snk.feed, out, (size_t)got);
	if (!n) /* flushed: ready for the next run */
		swr_init(s->snk.mix_swr);
}

static void
make_path(struct cx_media *m, struct cx_stream *s, const char *ext, char *out, size_t outsz)
{
	const char *dir = s->call_id ? cx_sip_call_dir(m->ctx->sip, s->call_id) : NULL;
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8], name[200], safe[120];
	cx_endpoint_str(&s->src, s->sport, a);
	cx_endpoint_str(&s->dst, s->dport, b);
	snprintf(name, sizeof(name), "%s-%s-to-%s-%08x", s->sender == 0 ? "caller" : s->sender == 1 ? "callee" : "stream", a, b, s->ssrc);
	cx_sanitize_name(name, strlen(name), safe, sizeof(safe));
	/* by its first frame: the same name in a shard as in the whole capture */
	snprintf(out, outsz, "%s/%010llu-%s.%s", dir ? dir : "streams", (unsigned long long)s->first_frame, safe, ext);
}

/* The call's stereo mix, made when its first stream has a second of audio:
 * its timeline starts at the earliest audio of the call's streams. */
static struct cx_stereo *
call_mix(struct cx_media *m, const struct cx_stream *s)
{
	struct cx_mcall *r = cx_mcall_get(m, s->call_index, true);
	if (!r)
		return NULL;
	if (r->x)
		return r->x;
	const char *dir = cx_sip_call_dir(m->ctx->sip, s->call_id);
	if (!dir)
		return NULL;
	int64_t origin = s->snk.audio_start_ns;
	for (const struct cx_stream *o = r->streams; o; o = o->knext)
		if (o->call_id && o->snk.audio_start_ns && o->snk.audio_start_ns < origin)
			origin = o->snk.audio_start_ns;
	char path[300];
	snprintf(path, sizeof(path), "%s/stereo.wav", dir);
	/* at the rate of the call's first decoded stream; others are resampled */
	uint32_t rate = s->snk.rate ? s->snk.rate : 8000;
	r->x = cx_stereo_new_at(m->w, path, origin, (uint64_t)m->ctx->cfg->max_silence_ms * rate / 1000, rate);
	return r->x;
}

/* A decoded stream of a call with a known sender joins the call's mix:
 * the caller on the left, the callee on the right. */
void
cx_sink_mix_join(struct cx_media *m, struct cx_stream *s)
{
	s->snk.mix_tried = true;
	if (!s->call_id || s->sender < 0 || !s->decodable)
		return;
	struct cx_stereo *x = call_mix(m, s);
	if (!x)
		return;
	/* samples written before it was tied to the call are not mixed */
	int64_t first_ns = s->snk.audio_start_ns +
			   (int64_t)((s->snk.samples - s->snk.npcm) * 1000000000ull / sink_rate(s));
	int feed = cx_stereo_feed(x, s->sender, first_ns);
	if (feed < 0)
		return;
	s->snk.mix = x;
	s->snk.feed = feed;
	s->snk.mix_first = cx_stereo_feed_pos(x, feed);
	s->snk.mix_rate = cx_stereo_rate(x);
}

/* Samples are buffered per stream and written a second at a time, to the
 * stream's WAV and to the call's mix. */
void
cx_sink_flush(struct cx_media *m, struct cx_stream *s)
{
	if (!s->snk.npcm)
		return;
	if (!s->snk.mix_tried)
		cx_sink_mix_join(m, s);
	if (s->snk.mix)
		mix_put(s, s->snk.pcm, s->snk.npcm);
	if (!s->snk.wav) {
		make_path(m, s, "wav", s->snk.path, sizeof(s->snk.path));
		s->snk.wav = cx_writer_new(m->w, s->snk.path, CX_WRITER_WAV, sink_channels(s));
		cx_writer_set_rate(s->snk.wav, (int)sink_rate(s));
	}
	if (s->snk.wav && cx_writer_write(m->w, s->snk.wav, s->snk.pcm, s->snk.npcm) == 0) {
		s->snk.queued += s->snk.npcm;
	} else {
		/* threaded writes report their failures at the end (see the report) */
		if (!s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s", s->snk.wav ? cx_writer_error(s->snk.wav) : "out of memory");
	}
	s->snk.npcm = 0;
}

void
cx_sink_close(struct cx_media *m, struct cx_stream *s)
{
	cx_sink_flush(m, s);
	cx_writer_close(m->w, s->snk.wav);
	cx_writer_close(m->w, s->snk.raw);
}

void
cx_sink_put(struct cx_media *m, struct cx_stream *s, const int16_t *pcm, size_t n)
{
	if (m->ctx->cfg->no_audio)
		return;
	if (!s->snk.pcm && !alloc_pcm(s))
		return;
	size_t ch = (size_t)sink_channels(s);
	while (n) {
		size_t k = s->snk.cap - s->snk.npcm;
		if (k > n)
			k = n;
		if (pcm)
			memcpy(s->snk.pcm + s->snk.npcm * ch, pcm, k * ch * sizeof(int16_t));
		else
			memset(s->snk.pcm + s->snk.npcm * ch, 0, k * ch * sizeof(int16_t));
		s->snk.npcm += k;
		s->snk.samples += k;
		if (pcm)
			pcm += k * ch;
		n -= k;
		if (s->snk.npcm == s->snk.cap)
			cx_sink_flush(m, s);
	}
}

/* After a jump that was not filled with silence, or a reset, the stream's
 * count of samples no longer follows the clock: its place in the call's
 * mix is taken from the packet's arrival instead. */
void
cx_sink_realign(struct cx_media *m, struct cx_stream *s, int64_t ts_ns)
{
	cx_sink_flush(m, s);
	if (s->snk.mix && s->snk.mix_swr)
		mix_put(s, NULL, 0);
	if (s->snk.mix)
		cx_stereo_realign(s->snk.mix, s->snk.feed, ts_ns);
}

void
cx_sink_raw(struct cx_media *m, struct cx_stream *s, const uint8_t *data, uint32_t n)
{
	if (!s->snk.raw) {
		make_path(m, s, "raw", s->snk.raw_path, sizeof(s->snk.raw_path));
		s->snk.raw = cx_writer_new(m->w, s->snk.raw_path, CX_WRITER_RAW, 1);
	}
	uint16_t len = (uint16_t)(n > 65535 ? 65535 : n);
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	/* length-prefixed payloads, in arrival order */
	if (s->snk.raw && cx_writer_write(m->w, s->snk.raw, hdr, 2) == 0)
		cx_writer_write(m->w, s->snk.raw, data, len);
}

int16_t *
cx_sink_room(struct cx_stream *s, size_t n)
{
	return s->snk.pcm && s->snk.cap - s->snk.npcm >= n ?
	       s->snk.pcm + s->snk.npcm * (size_t)sink_channels(s) : NULL;
}

void
cx_sink_commit(struct cx_media *m, struct cx_stream *s, size_t n)
{
	s->snk.npcm += n;
	s->snk.samples += n;
	if (s->snk.npcm == s->snk.cap)
		cx_sink_flush(m, s);
}

void
cx_sink_format(struct cx_stream *s, uint32_t rate, int channels)
{
	if (s->snk.rate || s->snk.pcm)
		return;
	s->snk.rate = rate;
	s->snk.channels = channels == 2 ? 2 : 1;
}

void
cx_sink_idle(struct cx_media *m, struct cx_stream *s)
{
	cx_sink_flush(m, s);
	if (s->snk.mix && s->snk.mix_swr)
		mix_put(s, NULL, 0); /* what the resampler holds */
	if (s->snk.mix)
		cx_stereo_idle(s->snk.mix, s->snk.feed);
	free(s->snk.pcm); /* idle streams keep only their statistics */
	s->snk.pcm = NULL;
}

void
cx_sink_free(struct cx_media *m, struct cx_stream *s)
{
	cx_writer_free(m->w, s->snk.wav);
	cx_writer_free(m->w, s->snk.raw);
	free(s->snk.pcm);
	swr_free(&s->snk.mix_swr);
	free(s->snk.mix_buf);
}
