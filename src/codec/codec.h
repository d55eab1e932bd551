/* The codec table: one entry per voice codec (its rtpmap names, static
 * payload type, RTP clock, output rate and channels, the depacketiser its
 * RTP payload format needs, the libavcodec decoder) and a decoder that turns
 * one RTP payload into 16-bit PCM. Adding a codec is adding an entry in
 * codec.c. G.711 is decoded by its own table (codec/g711.h) and keeps the
 * playout's fast path; everything else goes through libavcodec.
 *
 * Ownership: entries are static. A struct cx_dec (cx_dec_new) owns its
 * libavcodec context, packet, frame and PCM buffer; cx_dec_free. The PCM
 * returned by cx_dec_decode stays valid until the next call on the same
 * decoder. */
#ifndef CX_CODEC_CODEC_H
#define CX_CODEC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How an RTP payload becomes the decoder's packets. */
enum cx_depack {
	CX_DP_G711,    /* built in: one byte, one sample */
	CX_DP_L16,     /* built in: big-endian 16-bit, interleaved (RFC 3551) */
	CX_DP_WHOLE,   /* the payload is one packet (G.722, G.726, Opus, Speex) */
	CX_DP_FRAMES,  /* fixed-size frames, one packet each (GSM) */
	CX_DP_G729,    /* 10-byte frames, a 2-byte Annex B SID at the end = silence */
	CX_DP_G723,    /* frame size from the first byte's two low bits */
	CX_DP_ILBC,    /* 38 (20 ms) or 50 (30 ms) byte frames */
	CX_DP_AMR,     /* RFC 4867: CMR, ToC, frames -> storage-format frames */
	CX_DP_NONE,    /* named, not decoded (why_not says why) */
};

struct cx_codec {
	const char *name;          /* as reported ("G722") */
	const char *rtpmap[4];     /* encoding names, matched ignoring case */
	int static_pt;             /* -1 if none */
	uint32_t clock;            /* RTP clock; 0: the rtpmap's */
	uint32_t rate;             /* output rate; 0: the rtpmap's clock */
	uint8_t channels;          /* 0: the rtpmap's (default 1) */
	enum cx_depack depack;
	uint16_t frame_bytes;      /* CX_DP_FRAMES */
	uint32_t frame_samples;    /* samples a frame gives (silence frames) */
	const char *av[2];         /* libavcodec decoders by name, tried in order */
	int bits;                  /* G.726: bits per sample; AMR: 1 = wideband */
	const char *why_not;       /* CX_DP_NONE: why */
};

/* The entry for an rtpmap encoding name, or NULL. */
const struct cx_codec *cx_codec_find(const char *encoding);
/* The table itself, for the fuzz target (tests/fuzz/fuzz_codec.c) that
 * gives every entry its payloads: entry i of cx_codec_count(), or NULL. */
size_t cx_codec_count(void);
const struct cx_codec *cx_codec_at(size_t i);

/* What the SDP says about the payload type (clock 0 / channels 0 / fmtp
 * NULL: not said). */
struct cx_codec_params {
	uint32_t clock;
	uint8_t channels;
	const char *fmtp;
};

struct cx_dec;

/* A decoder for c. first/nfirst: the first payload it will see (Opus takes
 * its channel count from it). NULL with the reason in err when the library
 * cannot (decoder missing, bad parameters). */
struct cx_dec *cx_dec_new(const struct cx_codec *c, const struct cx_codec_params *p, const uint8_t *first,
			  size_t nfirst, char *err, size_t errsz);
void cx_dec_free(struct cx_dec *d);
/* Forgets the decoder's history (a gap, a codec switch). */
void cx_dec_reset(struct cx_dec *d);
/* What the analyst should know about how the stream was decoded (G.726
 * found in the other packing), or NULL. */
const char *cx_dec_note(const struct cx_dec *d);
uint32_t cx_dec_rate(const struct cx_dec *d);     /* output sample rate */
uint32_t cx_dec_clock(const struct cx_dec *d);    /* RTP clock */
int cx_dec_channels(const struct cx_dec *d);      /* output channels */

/* Decodes one RTP payload. *pcm: interleaved samples (owned by d), *frames:
 * samples per channel. Returns the number of the payload's frames the
 * library refused or that were malformed (0 = all good); what was decoded
 * before is still returned. Silence frames (SID, NO_DATA) give zeros. */
int cx_dec_decode(struct cx_dec *d, const uint8_t *data, size_t n, const int16_t **pcm, size_t *frames);

#endif
