/* The codec table's depacketisers and decoders on hostile payloads: random
 * bytes of every length up to 600, and truncations of a well-formed
 * payload, for every codec: errors are counted, nothing crashes or reads out
 * of bounds (run under ASan/UBSan in CI), and what comes out is bounded. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "codec/codec.h"

static const char *names[] = { "PCMU", "PCMA", "G722", "G726-16", "G726-24", "G726-32", "G726-40",
			       "AAL2-G726-32", "G729", "G723", "GSM", "iLBC", "AMR", "AMR-WB", "opus",
			       "speex", "L16" };

static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

Test(codec, random_payloads_give_counted_errors_never_a_crash)
{
	uint32_t seed = 1;
	uint8_t buf[600];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cx_codec *c = cx_codec_find(names[i]);
		cr_assert_not_null(c, "%s", names[i]);
		for (int variant = 0; variant < 2; variant++) {
			struct cx_codec_params p = { .clock = 16000, .channels = 1,
						     .fmtp = variant ? "octet-align=1; mode=20" : "" };
			buf[0] = variant ? 0x04 : 0x00; /* Opus: stereo bit in the second variant */
			char err[200];
			struct cx_dec *d = cx_dec_new(c, &p, buf, 1, err, sizeof(err));
			cr_assert_not_null(d, "%s: %s", names[i], err);
			uint64_t errors = 0, frames_total = 0;
			for (size_t len = 0; len <= sizeof(buf); len += 1 + len / 8) {
				for (size_t k = 0; k < len; k++)
					buf[k] = (uint8_t)rnd(&seed);
				const int16_t *pcm;
				size_t frames;
				int e = cx_dec_decode(d, buf, len, &pcm, &frames);
				cr_assert_geq(e, 0);
				errors += (uint64_t)e;
				frames_total += frames;
				cr_assert_leq(frames, 48000, "%s: %zu frames from %zu bytes", names[i], frames, len);
				if (frames)
					cr_assert_not_null(pcm);
				if (len % 5 == 0)
					cx_dec_reset(d);
			}
			/* codecs with structure notice: all but the ones where any
			 * byte string is valid (G.711, G.722, G.726, L16 of even length) */
			if (strcmp(names[i], "PCMU") && strcmp(names[i], "PCMA") && strcmp(names[i], "G722") &&
			    strncmp(names[i], "G726", 4) && strncmp(names[i], "AAL2", 4) && strcmp(names[i], "L16"))
				cr_assert_gt(errors, 0, "%s: random payloads gave no decode error", names[i]);
			cx_dec_free(d);
		}
	}
}

Test(codec, table_entries)
{
	const struct cx_codec *g722 = cx_codec_find("g722");
	cr_assert_not_null(g722);
	cr_assert_eq(g722->clock, 8000);
	cr_assert_eq(g722->rate, 16000);
	cr_assert_eq(g722->static_pt, 9);
	cr_assert_eq(cx_codec_find("opus")->clock, 48000);
	cr_assert_str_eq(cx_codec_find("AAL2-G726-32")->av[0], "g726");
	cr_assert_str_eq(cx_codec_find("G726-32")->av[0], "g726le");
	const struct cx_codec *c2 = cx_codec_find("codec2");
	cr_assert_eq(c2->depack, CX_DP_NONE);
	char err[200];
	struct cx_codec_params p = { 0 };
	cr_assert_null(cx_dec_new(c2, &p, NULL, 0, err, sizeof(err)));
	cr_assert(strstr(err, "Codec2 mode") != NULL, "%s", err);
	cr_assert_null(cx_codec_find("H264"));
}

/* G.729: two 10-byte frames and an Annex B SID give 160 decoded samples
 * and 80 of silence, and a 3-byte tail is an error */
Test(codec, g729_annex_b_sid_is_silence)
{
	const struct cx_codec *c = cx_codec_find("G729");
	struct cx_codec_params p = { 0 };
	char err[200];
	struct cx_dec *d = cx_dec_new(c, &p, NULL, 0, err, sizeof(err));
	cr_assert_not_null(d, "%s", err);
	uint8_t pl[23] = { 0 };
	for (int i = 0; i < 20; i++)
		pl[i] = (uint8_t)(i * 37 + 11);
	pl[20] = 0x55;
	pl[21] = 0xaa;
	const int16_t *pcm;
	size_t frames;
	cr_assert_eq(cx_dec_decode(d, pl, 22, &pcm, &frames), 0);
	cr_assert_eq(frames, 240);
	for (size_t i = 160; i < 240; i++)
		cr_assert_eq(pcm[i], 0);
	cr_assert_eq(cx_dec_decode(d, pl, 23, &pcm, &frames), 1);
	cx_dec_free(d);
}
