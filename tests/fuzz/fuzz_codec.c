/* The codec table's depacketisers and decoders (src/codec/codec.c: G.711,
 * L16, and through libavcodec G.722, G.726 both packings, G.729, G.723.1,
 * GSM, iLBC, AMR/AMR-WB with RFC 4867 re-packing, Opus, Speex).
 * Input: [entry][params] then RTP payloads separated by CXF_SEP.
 *   entry: index into the table (modulo its size), so every entry gets
 *          fuzzed payloads;
 *   params: bits 0-1 the SDP clock when the entry leaves it to the rtpmap
 *          (8000, 16000, 32000, 48000), bit 2 two channels, bit 3 an fmtp
 *          line ("octet-align=1" for AMR, "annexb=no" otherwise).
 * The decoder is made with the first payload (Opus reads its channel count
 * from it); an empty payload resets it (a gap). */
#include <stdlib.h>
#include "codec/codec.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct cx_codec *c = cx_codec_at(data[0] % cx_codec_count());
	static const uint32_t clocks[4] = { 8000, 16000, 32000, 48000 };
	struct cx_codec_params p = {
		.clock = clocks[data[1] & 3],
		.channels = (data[1] & 4) ? 2 : 1,
		.fmtp = (data[1] & 8) ? (c->depack == CX_DP_AMR ? "octet-align=1" : "annexb=no") : NULL,
	};
	data += 2;
	size -= 2;
	const uint8_t *rec;
	size_t len;
	struct cx_dec *d = NULL;
	char err[256];
	while (cxf_next(&data, &size, &rec, &len)) {
		uint8_t *b = cxf_copy(rec, len);
		if (!b)
			break;
		if (!d) {
			d = cx_dec_new(c, &p, b, len, err, sizeof(err));
			if (!d) {
				free(b);
				break;
			}
			(void)cx_dec_note(d);
		}
		if (!len) {
			cx_dec_reset(d);
		} else {
			const int16_t *pcm = NULL;
			size_t frames = 0;
			(void)cx_dec_decode(d, b, len, &pcm, &frames);
			if (frames) {
				/* the samples must be there: touch both ends */
				size_t last = frames * (size_t)cx_dec_channels(d) - 1;
				volatile int16_t x = pcm[0] ^ pcm[last];
				(void)x;
			}
		}
		free(b);
	}
	cx_dec_free(d);
	return 0;
}
CXF_LIBFUZZER_ENTRY
