/* The codec table and the libavcodec decoders behind it (doc/libraries.md,
 * "libavcodec and libswresample", for how the decoders behave). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include "callextract/cursor.h"
#include "codec/codec.h"
#include "codec/g711.h"

static const struct cx_codec codecs[] = {
	{ "PCMU", { "PCMU" }, 0, 8000, 8000, 1, CX_DP_G711 },
	{ "PCMA", { "PCMA" }, 8, 8000, 8000, 1, CX_DP_G711 },
	/* RFC 3551 4.5.2: the RTP clock is 8000 although the audio is 16 kHz */
	{ "G722", { "G722" }, 9, 8000, 16000, 1, CX_DP_WHOLE, .av = { "g722" } },
	/* RFC 3551 packs G.726 codewords from the least significant bit:
	 * FFmpeg's g726le; the AAL2 (ITU I.366.2) packing is its g726 */
	{ "G726-16", { "G726-16" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726le" }, .bits = 2 },
	{ "G726-24", { "G726-24" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726le" }, .bits = 3 },
	{ "G726-32", { "G726-32" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726le" }, .bits = 4 },
	{ "G726-40", { "G726-40" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726le" }, .bits = 5 },
	{ "AAL2-G726-16", { "AAL2-G726-16" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726" }, .bits = 2 },
	{ "AAL2-G726-24", { "AAL2-G726-24" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726" }, .bits = 3 },
	{ "AAL2-G726-32", { "AAL2-G726-32" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726" }, .bits = 4 },
	{ "AAL2-G726-40", { "AAL2-G726-40" }, -1, 8000, 8000, 1, CX_DP_WHOLE, .av = { "g726" }, .bits = 5 },
	{ "G729", { "G729", "G729A", "G729B" }, 18, 8000, 8000, 1, CX_DP_G729, .frame_samples = 80, .av = { "g729" } },
	{ "G723", { "G723", "G7231" }, 4, 8000, 8000, 1, CX_DP_G723, .frame_samples = 240, .av = { "g723_1" } },
	{ "GSM", { "GSM" }, 3, 8000, 8000, 1, CX_DP_FRAMES, 33, 160, .av = { "gsm" } },
	{ "iLBC", { "iLBC" }, -1, 8000, 8000, 1, CX_DP_ILBC, .av = { "ilbc" } },
	{ "AMR", { "AMR" }, -1, 8000, 8000, 1, CX_DP_AMR, .frame_samples = 160, .av = { "amrnb" } },
	{ "AMR-WB", { "AMR-WB" }, -1, 16000, 16000, 1, CX_DP_AMR, .frame_samples = 320, .av = { "amrwb" }, .bits = 1 },
	/* RFC 7587: the clock is 48000 and the rtpmap says /2 whatever is sent */
	{ "opus", { "opus" }, -1, 48000, 48000, 0, CX_DP_WHOLE, .av = { "opus", "libopus" } },
	{ "speex", { "speex" }, -1, 0, 0, 1, CX_DP_WHOLE, .av = { "libspeex", "speex" } },
	{ "L16", { "L16" }, -1, 0, 0, 0, CX_DP_L16 },
	{ "codec2", { "codec2" }, -1, 8000, 8000, 1, CX_DP_NONE,
	  .why_not = "libavcodec's libcodec2 decoder needs the Codec2 mode in its extradata, and no RTP payload format says which mode a stream uses" },
	{ "G7221", { "G7221" }, -1, 16000, 16000, 1, CX_DP_NONE, .why_not = "libavcodec has no G.722.1 (Siren) decoder" },
	{ "SILK", { "SILK" }, -1, 0, 0, 1, CX_DP_NONE, .why_not = "libavcodec decodes SILK only inside Opus, not Skype's SILK payload format" },
	{ "EVS", { "EVS" }, -1, 16000, 16000, 1, CX_DP_NONE, .why_not = "libavcodec has no EVS decoder" },
	{ "iSAC", { "iSAC", "ISAC" }, -1, 16000, 16000, 1, CX_DP_NONE, .why_not = "libavcodec has no iSAC decoder" },
};

const struct cx_codec *
cx_codec_find(const char *encoding)
{
	if (!encoding || !encoding[0])
		return NULL;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		for (size_t k = 0; k < 4 && codecs[i].rtpmap[k]; k++)
			if (!strcasecmp(codecs[i].rtpmap[k], encoding))
				return &codecs[i];
	return NULL;
}

size_t
cx_codec_count(void)
{
	return sizeof(codecs) / sizeof(codecs[0]);
}

const struct cx_codec *
cx_codec_at(size_t i)
{
	return i < cx_codec_count() ? &codecs[i] : NULL;
}

#define MAX_FRAMES_OUT (48000 * 2) /* samples one payload may give: 1 s of 48 kHz stereo */

struct cx_dec {
	const struct cx_codec *c;
	AVCodecContext *av;      /* the one in use: avs[pick] */
	AVCodecContext *avs[2];  /* G.726: both packings (see pick) */
	const AVCodec *codecs[2];
	int nav, pick;
	double rough[2];         /* G.726: energy of the output's first differences, per packing */
	int16_t *alt;            /* G.726: the other packing's output */
	size_t nalt;
	AVPacket *pkt;
	AVFrame *frame;
	uint32_t rate, clock;
	int channels;
	int ilbc_bytes;          /* iLBC: 38 or 50 */
	bool amr_octet;          /* AMR: octet-aligned (fmtp octet-align=1) */
	int16_t *out;            /* MAX_FRAMES_OUT samples */
	size_t nout;             /* samples (all channels) */
	uint8_t frm[64];         /* one AMR storage frame */
};

/* Value of key in an fmtp line ("a=1; b=2"), or -1. */
static long
fmtp_int(const char *fmtp, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = fmtp; p && *p; p++) {
		if ((p == fmtp || p[-1] == ';' || p[-1] == ' ') && !strncasecmp(p, key, kl) && p[kl] == '=')
			return strtol(p + kl + 1, NULL, 10);
	}
	return -1;
}

static void
quiet_log(void)
{
	/* libavcodec logs every bad frame to stderr: hostile input would
	 * flood it, and the errors are counted per stream instead */
	av_log_set_level(AV_LOG_QUIET);
}

/* (Re)opens decoder i: a fresh context, no history. */
static int
open_ctx(struct cx_dec *d, int i)
{
	avcodec_free_context(&d->avs[i]);
	AVCodecContext *av = d->avs[i] = avcodec_alloc_context3(d->codecs[i]);
	if (!av)
		return AVERROR(ENOMEM);
	av->sample_rate = (int)d->rate;
	av_channel_layout_default(&av->ch_layout, d->channels);
	if (d->c->bits && d->c->depack == CX_DP_WHOLE) {
		av->bits_per_coded_sample = d->c->bits;
		av->bit_rate = (int64_t)d->c->bits * 8000;
	}
	if (d->c->depack == CX_DP_FRAMES)
		av->block_align = d->c->frame_bytes;
	if (d->c->depack == CX_DP_ILBC)
		av->block_align = d->ilbc_bytes;
	int r = avcodec_open2(av, d->codecs[i], NULL);
	if (r < 0)
		avcodec_free_context(&d->avs[i]);
	return r;
}

struct cx_dec *
cx_dec_new(const struct cx_codec *c, const struct cx_codec_params *p, const uint8_t *first, size_t nfirst,
	   char *err, size_t errsz)
{
	if (c->depack == CX_DP_NONE) {
		snprintf(err, errsz, "%s", c->why_not);
		return NULL;
	}
	struct cx_dec *d = calloc(1, sizeof(*d));
	if (!d || !(d->out = malloc(MAX_FRAMES_OUT * sizeof(int16_t)))) {
		free(d);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	d->c = c;
	d->clock = c->clock ? c->clock : p->clock ? p->clock : 8000;
	d->rate = c->rate ? c->rate : d->clock;
	d->channels = c->channels ? c->channels : p->channels ? p->channels : 1;
	if (c->depack == CX_DP_WHOLE && !strcmp(c->name, "opus"))
		/* the TOC byte's s bit: the sender's frames are stereo */
		d->channels = nfirst && (first[0] & 0x04) ? 2 : 1;
	if (d->channels > 2)
		d->channels = 2;
	if (c->depack == CX_DP_ILBC) {
		long mode = p->fmtp ? fmtp_int(p->fmtp, "mode") : -1;
		d->ilbc_bytes = mode == 20 ? 38 : mode == 30 ? 50 :
				nfirst && nfirst % 50 == 0 ? 50 : nfirst && nfirst % 38 == 0 ? 38 : 50;
	}
	if (c->depack == CX_DP_AMR)
		d->amr_octet = p->fmtp && fmtp_int(p->fmtp, "octet-align") == 1;
	if (c->depack == CX_DP_G711 || c->depack == CX_DP_L16)
		return d;
	quiet_log();
	const AVCodec *codec = NULL;
	for (int i = 0; i < 2 && !codec && c->av[i]; i++)
		codec = avcodec_find_decoder_by_name(c->av[i]);
	if (!codec) {
		snprintf(err, errsz, "this libavcodec has no %s decoder", c->av[0]);
		cx_dec_free(d);
		return NULL;
	}
	d->codecs[0] = codec;
	d->nav = 1;
	if (c->bits && c->depack == CX_DP_WHOLE) {
		/* G.726: phones disagree on the packing (baresip and spandsp
		 * send MSB first under the RFC 3551 names): both are decoded and
		 * the one that sounds like speech is kept */
		const AVCodec *other = avcodec_find_decoder_by_name(!strcmp(c->av[0], "g726le") ? "g726" : "g726le");
		if (other && (d->alt = malloc(MAX_FRAMES_OUT * sizeof(int16_t)))) {
			d->codecs[1] = other;
			d->nav = 2;
		}
	}
	if (!(d->pkt = av_packet_alloc()) || !(d->frame = av_frame_alloc())) {
		snprintf(err, errsz, "out of memory");
		cx_dec_free(d);
		return NULL;
	}
	for (int i = 0; i < d->nav; i++) {
		int r = open_ctx(d, i);
		if (r < 0) {
			char e[64];
			av_strerror(r, e, sizeof(e));
			snprintf(err, errsz, "libavcodec cannot open its %s decoder: %s", d->codecs[i]->name, e);
			cx_dec_free(d);
			return NULL;
		}
	}
	d->av = d->avs[0];
	/* what the decoder settled on (Speex and Opus may say) */
	if (d->av->sample_rate > 0)
		d->rate = (uint32_t)d->av->sample_rate;
	if (d->av->ch_layout.nb_channels == 1 || d->av->ch_layout.nb_channels == 2)
		d->channels = d->av->ch_layout.nb_channels;
	return d;
}

void
cx_dec_free(struct cx_dec *d)
{
	if (!d)
		return;
	avcodec_free_context(&d->avs[0]);
	avcodec_free_context(&d->avs[1]);
	free(d->alt);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	free(d->out);
	free(d);
}

void
cx_dec_reset(struct cx_dec *d)
{
	/* reopened rather than flushed: not every decoder's flush forgets
	 * its state (and a reopened one is what the reference decoder has) */
	for (int i = 0; d && i < d->nav; i++)
		if (open_ctx(d, i) < 0)
			d->nav = i; /* out of memory: decoded by what is left */
	if (d && d->nav)
		d->av = d->avs[d->pick < d->nav ? d->pick : 0];
	else if (d)
		d->av = NULL;
}

const char *
cx_dec_note(const struct cx_dec *d)
{
	if (d->nav == 2 && d->pick == 1)
		return !strcmp(d->c->av[0], "g726le") ?
		       "G.726 packed MSB first (the AAL2 order, as baresip and spandsp send it) although the rtpmap names the RFC 3551 packing" :
		       "G.726 packed LSB first (the RFC 3551 order) although the rtpmap names AAL2";
	return NULL;
}

uint32_t cx_dec_rate(const struct cx_dec *d) { return d->rate; }
uint32_t cx_dec_clock(const struct cx_dec *d) { return d->clock; }
int cx_dec_channels(const struct cx_dec *d) { return d->channels; }

static int16_t
f2s(float v)
{
	/* as libswresample converts float to s16 */
	long x = lrintf(v * 32768.0f);
	return (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
}

/* Appends what the decoder produced (any sample format, as interleaved s16
 * with d->channels channels). */
static void
take_frame(struct cx_dec *d, const AVFrame *f)
{
	int ch = f->ch_layout.nb_channels > 0 ? f->ch_layout.nb_channels : 1;
	size_t n = (size_t)f->nb_samples;
	size_t room = (MAX_FRAMES_OUT - d->nout) / (size_t)d->channels;
	if (n > room)
		n = room;
	int16_t *o = d->out + d->nout;
	d->nout += n * (size_t)d->channels;
	/* the common cases, a loop each: same channels, interleaved or mono */
	if (ch == d->channels && (ch == 1 || f->format == AV_SAMPLE_FMT_S16 || f->format == AV_SAMPLE_FMT_FLT)) {
		size_t k = n * (size_t)ch;
		if (f->format == AV_SAMPLE_FMT_S16 || f->format == AV_SAMPLE_FMT_S16P) {
			memcpy(o, f->data[0], k * sizeof(int16_t));
			return;
		}
		if (f->format == AV_SAMPLE_FMT_FLT || f->format == AV_SAMPLE_FMT_FLTP) {
			const float *in = (const float *)f->data[0];
			for (size_t i = 0; i < k; i++)
				o[i] = f2s(in[i]);
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < d->channels; c++) {
			int sc = c < ch ? c : ch - 1;
			int16_t v = 0;
			switch (f->format) {
			case AV_SAMPLE_FMT_S16: v = ((const int16_t *)f->data[0])[i * (size_t)ch + (size_t)sc]; break;
			case AV_SAMPLE_FMT_S16P: v = ((const int16_t *)f->data[sc])[i]; break;
			case AV_SAMPLE_FMT_FLT: v = f2s(((const float *)f->data[0])[i * (size_t)ch + (size_t)sc]); break;
			case AV_SAMPLE_FMT_FLTP: v = f2s(((const float *)f->data[sc])[i]); break;
			case AV_SAMPLE_FMT_S32: v = (int16_t)(((const int32_t *)f->data[0])[i * (size_t)ch + (size_t)sc] >> 16); break;
			case AV_SAMPLE_FMT_S32P: v = (int16_t)(((const int32_t *)f->data[sc])[i] >> 16); break;
			default: break;
			}
			*o++ = v;
		}
	}
}

/* One packet through the library; 0 or -1 (refused). */
static int
av_decode(struct cx_dec *d, const uint8_t *data, size_t n)
{
	if (n > INT32_MAX)
		return -1;
	/* libavcodec reads past the end of a packet: padded copy */
	if (av_new_packet(d->pkt, (int)n) < 0)
		return -1;
	memcpy(d->pkt->data, data, n);
	int r = avcodec_send_packet(d->av, d->pkt);
	av_packet_unref(d->pkt);
	if (r < 0)
		return -1;
	while ((r = avcodec_receive_frame(d->av, d->frame)) == 0) {
		take_frame(d, d->frame);
		av_frame_unref(d->frame);
	}
	return r == AVERROR(EAGAIN) || r == AVERROR_EOF ? 0 : -1;
}

static void
silence(struct cx_dec *d, size_t frames)
{
	size_t room = (MAX_FRAMES_OUT - d->nout) / (size_t)d->channels;
	if (frames > room)
		frames = room;
	memset(d->out + d->nout, 0, frames * (size_t)d->channels * sizeof(int16_t));
	d->nout += frames * (size_t)d->channels;
}

/* RFC 4867 frame sizes in bits by frame type (AMR-NB 0-8, AMR-WB 0-9);
 * SID, speech lost and NO_DATA give silence. */
static const uint16_t amrnb_bits[16] = { 95, 103, 118, 134, 148, 159, 204, 244, 39 };
static const uint16_t amrwb_bits[16] = { 132, 177, 253, 285, 317, 365, 397, 461, 477, 40 };

/* Reads n bits (n <= 8) MSB first from bit offset *pos. */
static int
getbits(const uint8_t *p, size_t len, size_t *pos, unsigned n, unsigned *v)
{
	if (*pos + n > len * 8)
		return -1;
	unsigned x = 0;
	for (unsigned i = 0; i < n; i++, (*pos)++)
		x = x << 1 | ((p[*pos >> 3] >> (7 - (*pos & 7))) & 1);
	*v = x;
	return 0;
}

static int
amr_decode(struct cx_dec *d, const uint8_t *p, size_t n)
{
	const uint16_t *bits = d->c->bits ? amrwb_bits : amrnb_bits;
	unsigned speech_max = d->c->bits ? 8 : 7, sid = d->c->bits ? 9 : 8;
	int errors = 0;
	uint8_t toc[64];
	size_t ntoc = 0, pos = 0;
	unsigned v;
	/* CMR, then the table of contents */
	if (getbits(p, n, &pos, d->amr_octet ? 8 : 4, &v) < 0)
		return 1;
	for (;;) {
		unsigned f, ft, q;
		if (getbits(p, n, &pos, 1, &f) < 0 || getbits(p, n, &pos, 4, &ft) < 0 || getbits(p, n, &pos, 1, &q) < 0)
			return errors + 1;
		if (d->amr_octet)
			pos += 2; /* padding of the ToC octet */
		if (ntoc == sizeof(toc))
			return errors + 1;
		toc[ntoc++] = (uint8_t)(ft << 3 | q << 2);
		if (!f)
			break;
	}
	for (size_t i = 0; i < ntoc; i++) {
		unsigned ft = toc[i] >> 3;
		unsigned nb = ft <= sid ? bits[ft] : 0;
		if (ft > sid && ft < 14) {
			errors++; /* reserved frame type: the rest cannot be found */
			break;
		}
		size_t nbytes = (nb + 7) / 8;
		if (pos + (d->amr_octet ? nbytes * 8 : nb) > n * 8) {
			errors++;
			break;
		}
		if (ft > speech_max) {
			/* SID (comfort noise), speech lost, NO_DATA: silence */
			pos += d->amr_octet ? nbytes * 8 : nb;
			silence(d, d->c->frame_samples);
			continue;
		}
		/* storage format: the ToC octet, then the speech bits padded */
		memset(d->frm, 0, sizeof(d->frm));
		d->frm[0] = toc[i];
		for (unsigned b = 0; b < nb; b++) {
			unsigned x = 0;
			getbits(p, n, &pos, 1, &x);
			d->frm[1 + b / 8] |= (uint8_t)(x << (7 - b % 8));
		}
		if (d->amr_octet)
			pos = (pos + 7) & ~(size_t)7;
		size_t before = d->nout;
		if (av_decode(d, d->frm, 1 + nbytes) < 0) {
			errors++;
			if (d->nout == before)
				silence(d, d->c->frame_samples);
		}
	}
	return errors;
}

static void
score(struct cx_dec *d, int i, const int16_t *x, size_t n)
{
	for (size_t k = 1; k < n; k++) {
		double dx = (double)x[k] - x[k - 1];
		d->rough[i] += dx * dx;
	}
}

/* G.726 in both packings: speech and silence decoded right are smooth,
 * codewords read in the wrong order are noise whose first differences carry
 * more energy. The packing whose output has had the less of it so far is
 * output (ties: the one the rtpmap names). On the baresip fixtures the
 * choice is right from the first packet. */
static int
g726_both(struct cx_dec *d, const uint8_t *data, size_t n)
{
	int errors = 0;
	d->av = d->avs[1];
	if (!n || !d->av || av_decode(d, data, n) < 0)
		errors++;
	memcpy(d->alt, d->out, d->nout * sizeof(int16_t));
	d->nalt = d->nout;
	score(d, 1, d->alt, d->nalt);
	d->nout = 0;
	d->av = d->avs[0];
	if (!n || !d->av || av_decode(d, data, n) < 0)
		errors++;
	score(d, 0, d->out, d->nout);
	d->pick = d->rough[1] < d->rough[0] ? 1 : 0;
	if (d->pick == 1) {
		memcpy(d->out, d->alt, d->nalt * sizeof(int16_t));
		d->nout = d->nalt;
	}
	d->av = d->avs[d->pick];
	return errors > 1 || (errors && !d->nout) ? 1 : 0;
}

int
cx_dec_decode(struct cx_dec *d, const uint8_t *data, size_t n, const int16_t **pcm, size_t *frames)
{
	d->nout = 0;
	int errors = 0;
	switch (d->c->depack) {
	case CX_DP_G711: {
		size_t k = n < MAX_FRAMES_OUT ? n : MAX_FRAMES_OUT;
		cx_g711_decode(!strcmp(d->c->name, "PCMA"), data, k, d->out);
		d->nout = k;
		break;
	}
	case CX_DP_L16: {
		struct cx_cur c = cx_cur_make(data, n);
		size_t k = n / 2 / (size_t)d->channels * (size_t)d->channels;
		if (k * 2 != n)
			errors++; /* a partial sample frame at the end */
		if (k > MAX_FRAMES_OUT)
			k = MAX_FRAMES_OUT;
		for (size_t i = 0; i < k; i++)
			d->out[i] = (int16_t)cx_get_be16(&c);
		d->nout = k;
		break;
	}
	case CX_DP_WHOLE:
		if (d->nav == 2) {
			errors += g726_both(d, data, n);
			break;
		}
		if (!n || !d->av || av_decode(d, data, n) < 0)
			errors++;
		break;
	case CX_DP_FRAMES:
		for (size_t o = 0; o < n; o += d->c->frame_bytes) {
			if (n - o < d->c->frame_bytes || av_decode(d, data + o, d->c->frame_bytes) < 0) {
				errors++;
				break;
			}
		}
		break;
	case CX_DP_G729: {
		size_t o = 0;
		for (; n - o >= 10; o += 10)
			if (av_decode(d, data + o, 10) < 0)
				errors++;
		/* RFC 3551 4.5.6: a 2-byte Annex B SID at the end: comfort noise,
		 * silence until the next packet */
		if (n - o == 2)
			silence(d, 80);
		else if (n - o != 0)
			errors++;
		break;
	}
	case CX_DP_G723: {
		static const uint8_t size[4] = { 24, 20, 4, 1 };
		for (size_t o = 0; o < n;) {
			size_t k = size[data[o] & 3];
			if (n - o < k) {
				errors++;
				break;
			}
			if ((data[o] & 3) >= 2) /* SID, untransmitted: silence */
				silence(d, 240);
			else if (av_decode(d, data + o, k) < 0)
				errors++;
			o += k;
		}
		break;
	}
	case CX_DP_ILBC: {
		size_t k = (size_t)d->ilbc_bytes;
		for (size_t o = 0; o < n; o += k) {
			if (n - o < k || av_decode(d, data + o, k) < 0) {
				errors++;
				break;
			}
		}
		break;
	}
	case CX_DP_AMR:
		errors += amr_decode(d, data, n);
		break;
	case CX_DP_NONE:
		errors++;
		break;
	}
	*pcm = d->out;
	*frames = d->nout / (size_t)d->channels;
	return errors;
}
