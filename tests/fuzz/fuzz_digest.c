/* Digest authentication headers as the auth module reads them out of SIP
 * messages (cx_auth_on_sip), and the $sip$ hash line parser. Each unit is
 * [kind][header text]; kind % 6 picks:
 *   0 a 401 with WWW-Authenticate     1 a 407 with Proxy-Authenticate
 *   2 a REGISTER with Authorization   3 an INVITE with Proxy-Authorization
 *   4 a final response (the verdict)  5 a $sip$ line (cx_sip_hashline_parse)
 * The text is the header's value; newlines in it make more header lines.
 * All units share one Call-ID, CSeq is unit/2, so challenges,
 * answers and verdicts pair up. The dialog is done at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit/digest.h"
#include "callextract/auth.h"
#include "callextract/sip.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	static const char *names[] = { "WWW-Authenticate", "Proxy-Authenticate", "Authorization",
				       "Proxy-Authorization" };
	static const int status[] = { 401, 407, 0, 0, 200 };
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	const uint8_t *rec;
	size_t len;
	uint32_t unit = 0;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		int kind = rec[0] % 6;
		const char *val = (const char *)rec + 1;
		size_t vl = len - 1;
		unit++;
		if (kind == 5) {
			char *line = malloc(vl + 1);
			if (!line)
				break;
			memcpy(line, val, vl);
			line[vl] = '\0';
			struct cx_sip_hashline h;
			if (cx_sip_hashline_parse(line, &h) == 0)
				(void)cx_sip_hashline_check(&h, "secret");
			free(line);
			continue;
		}
		const char *start = kind == 2 ? "REGISTER sip:example.org SIP/2.0\r\n"
			: kind == 3 ? "INVITE sip:bob@example.org SIP/2.0\r\n"
			: kind == 4 ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 401 Unauthorized\r\n";
		const char *hn = kind < 4 ? names[kind] : "Server";
		size_t sl = strlen(start), hl = strlen(hn);
		size_t rl = sl + hl + 2 + vl + 4;
		char *raw = malloc(rl);
		if (!raw)
			break;
		memcpy(raw, start, sl);
		memcpy(raw + sl, hn, hl);
		memcpy(raw + sl + hl, ": ", 2);
		memcpy(raw + sl + hl + 2, val, vl);
		memcpy(raw + sl + hl + 2 + vl, "\r\n\r\n", 4);
		struct cx_sip_msg_view v;
		memset(&v, 0, sizeof(v));
		v.frame = unit;
		v.ts_ns = 1000000000LL + (int64_t)unit * 20000000LL;
		v.src.family = v.dst.family = 4;
		v.src.a[0] = v.dst.a[0] = 10;
		v.src.a[3] = 1;
		v.dst.a[3] = 2;
		v.sport = v.dport = 5060;
		v.transport = "UDP";
		v.is_request = kind == 2 || kind == 3;
		v.method = kind == 3 ? "INVITE" : "REGISTER";
		v.status = status[kind];
		v.reason = "";
		v.request_uri = "sip:example.org";
		v.call_id = "fuzz-call";
		v.cseq = unit / 2;
		v.cseq_method = v.method;
		v.from_uri = "sip:alice@example.org";
		v.from_tag = "a1";
		v.to_uri = "sip:example.org";
		v.raw = raw;
		v.raw_len = rl;
		v.body = raw + rl;
		v.body_len = 0;
		v.call_index = 1;
		(void)cx_auth_on_sip(ctx->auth, &v);
		free(raw);
	}
	cx_auth_dialog_done(ctx->auth, "fuzz-call");
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
