/* SRTP/SRTCP unprotect and the SDES key syntax (src/srtp/srtp.c, libsrtp2).
 * The receive side starts with the four real keys of the fixtures
 * sip-call-srtp-80.pcap and sip-call-srtp-32.pcap (so packets seeded from
 * them authenticate and decrypt, and mutants of them reach the ROC search
 * and the replay window). Each unit is [kind][bytes]:
 *   kind 0: an SRTP packet (cx_srtp_rx_rtp; the receive side is made for the
 *           SSRC of the first packet)
 *   kind 1: an SRTCP packet (cx_srtp_rx_rtcp)
 *   kind 2: an a=crypto value (cx_srtp_parse_crypto); when it parses it
 *           becomes the first candidate (a re-key)
 *   kind 3: a --srtp-key option (cx_srtp_parse_option), the same
 * The stream's report members are written at the end (cx_srtp_rx_json). */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/srtp.h"
#include "fuzz_common.h"

static const char *const fixed[] = {
	"1 AES_CM_128_HMAC_SHA1_80 inline:3g8EXXc5j3oPSPx0/Itk3pCJLJoC+KxcIvUkHrYo",
	"1 AES_CM_128_HMAC_SHA1_80 inline:wIPJMhDDTZyIEGoTepwjnl/6MRPSyPDIHOHbjAPE",
	"1 AES_CM_128_HMAC_SHA1_32 inline:Htvu15MFPJsC57RMAk3YbK9+8U+m3c1IFOJxE851",
	"1 AES_CM_128_HMAC_SHA1_32 inline:w4LalVGmArlvLHAUz8MJ2VsaNXSOgwAzo+LZNo45",
};
#define N_FIXED (sizeof(fixed) / sizeof(fixed[0]))

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_srtp_key keys[CX_SRTP_MAX_KEYS];
	size_t nk = 0;
	const char *err;
	for (size_t i = 0; i < N_FIXED; i++)
		if (cx_srtp_parse_crypto(fixed[i], &keys[nk], &err) == 0)
			nk++;
	struct cx_srtp_rx *rx = NULL;
	const uint8_t *rec;
	size_t len;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		int kind = rec[0] & 3;
		size_t n = len - 1;
		if (kind >= 2) {
			char *s = malloc(n + 1);
			if (!s)
				break;
			memcpy(s, rec + 1, n);
			s[n] = 0;
			struct cx_srtp_key k;
			struct cx_srtp_opt o;
			int ok = kind == 2 ? cx_srtp_parse_crypto(s, &k, &err) : cx_srtp_parse_option(s, &o, &err);
			free(s);
			if (ok == 0) {
				memmove(&keys[1], &keys[0], sizeof(keys[0]) * (nk < CX_SRTP_MAX_KEYS ? nk : nk - 1));
				keys[0] = kind == 2 ? k : o.key;
				if (nk < CX_SRTP_MAX_KEYS)
					nk++;
				if (rx)
					cx_srtp_rx_set_keys(rx, keys, nk);
			}
			continue;
		}
		uint8_t *pkt = cxf_copy(rec + 1, n);
		uint8_t *out = malloc(n ? n : 1);
		if (!pkt || !out) {
			free(pkt);
			free(out);
			break;
		}
		if (!rx) {
			uint32_t ssrc = 0;
			size_t at = kind == 0 ? 8 : 4; /* RTP header / RTCP sender SSRC */
			if (n >= at + 4)
				ssrc = (uint32_t)pkt[at] << 24 | pkt[at + 1] << 16 | pkt[at + 2] << 8 | pkt[at + 3];
			rx = cx_srtp_rx_new(ssrc);
			if (!rx) {
				free(pkt);
				free(out);
				break;
			}
			cx_srtp_rx_set_keys(rx, keys, nk);
		}
		size_t out_len = 0;
		enum cx_srtp_result r = kind == 0 ? cx_srtp_rx_rtp(rx, pkt, n, out, &out_len)
						  : cx_srtp_rx_rtcp(rx, pkt, n, out, &out_len);
		if (r == CX_SRTP_OK && out_len) {
			/* the plaintext lies inside out: touch its last byte */
			volatile uint8_t x = out[out_len - 1];
			(void)x;
		}
		free(pkt);
		free(out);
	}
	if (rx) {
		(void)cx_srtp_rx_n_keys(rx);
		(void)cx_srtp_rx_working(rx);
		struct json_object *o = json_object_new_object();
		cx_srtp_rx_json(rx, o);
		(void)json_object_to_json_string(o);
		json_object_put(o);
		cx_srtp_rx_free(rx);
	}
	return 0;
}
CXF_LIBFUZZER_ENTRY
