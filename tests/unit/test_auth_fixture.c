/* Digest exchanges of a real registrar (kamailio, digest auth) and real UAs
 * (baresip), fixtures/sip-call-auth.pcap: user 1001 password secret123,
 * user 1002 password sunshine (line 47 of fixtures/voip-wordlist.txt).
 * fixtures/sip-call-auth.sipdump is what sipcrack's sipdump 0.2 extracts
 * from the same capture. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit/digest.h"
#include "callextract/ctx.h"
#include "cxtest.h"

static void
wordlist(struct cx_config *c)
{
	static const char *wl[1];
	static char path[4096];
	snprintf(path, sizeof(path), "%s/fixtures/voip-wordlist.txt", getenv("CX_SRCDIR"));
	wl[0] = path;
	c->wordlists = wl;
	c->n_wordlists = 1;
	c->threads = 2;
}

Test(auth_fixture, exchanges_paired_with_verdicts_and_wordlist_finds_password)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-auth.pcap"), wordlist, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *ex = cxt_get(r, "auth.exchanges");
	cr_assert_geq(json_object_array_length(ex), 4);
	int reg_ok = 0, sunshine = 0, secret = 0;
	for (size_t i = 0; i < json_object_array_length(ex); i++) {
		struct json_object *e = json_object_array_get_idx(ex, i);
		cr_assert_not_null(cxt_get(e, "challenge"), "every answer is paired with its challenge");
		const char *method = json_object_get_string(cxt_get(e, "method"));
		const char *verdict = json_object_get_string(cxt_get(e, "verdict"));
		if (!strcmp(method, "REGISTER")) {
			cr_assert_str_eq(verdict, "accepted");
			cr_assert_eq(json_object_get_int(cxt_get(e, "challenge.status")), 401);
			reg_ok++;
		}
		if (!strcmp(method, "INVITE"))
			cr_assert_eq(json_object_get_int(cxt_get(e, "challenge.status")), 407);
		const char *pw = json_object_get_string(cxt_get(e, "password"));
		const char *user = json_object_get_string(cxt_get(e, "username"));
		if (pw && !strcmp(user, "1002") && !strcmp(pw, "sunshine"))
			sunshine++;
		if (pw && !strcmp(pw, "secret123"))
			secret++;
	}
	cr_assert_eq(reg_ok, 2);
	cr_assert_eq(sunshine, 1, "the wordlist run recovers 1002's password");
	cr_assert_eq(secret, 0, "secret123 is not in the wordlist");
	/* Each exported line verifies with the real password. */
	size_t len;
	char *lines = cxt_slurp(dir, "credentials/sip-digest.hashcat", &len);
	cr_assert_not_null(lines);
	int n = 0;
	for (char *save = NULL, *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct cx_sip_hashline h;
		cr_assert_eq(cx_sip_hashline_parse(l, &h), 0);
		const char *pw = !strcmp(h.user, "1002") ? "sunshine" : "secret123";
		cr_assert(cx_sip_hashline_check(&h, pw), "line %d does not verify", n);
		cr_assert_not(cx_sip_hashline_check(&h, "wrong"));
		n++;
	}
	cr_assert_geq(n, 5);
	free(lines);
	json_object_put(r);
}

/* Every login sipdump extracted appears among our lines with the same
 * fields (sipdump: client"server"user"realm"method"uri"nonce"cnonce"nc"qop"alg"hash). */
Test(auth_fixture, fields_agree_with_sipdump)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-auth.pcap"), NULL, NULL, &dir);
	size_t len;
	char *ours = cxt_slurp(dir, "credentials/sip-digest.hashcat", &len);
	char *ref = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/sip-call-auth.sipdump", &len);
	cr_assert_not_null(ours);
	cr_assert_not_null(ref);
	int n = 0;
	for (char *save = NULL, *l = strtok_r(ref, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[12];
		char *p = l;
		for (int i = 0; i < 12; i++) {
			f[i] = p;
			char *q = strchr(p, '"');
			if (q) {
				*q = '\0';
				p = q + 1;
			}
		}
		/* sipdump's uri "sip:1002@10.77.0.1" -> $sip$ prefix*resource*suffix */
		char uri[512];
		snprintf(uri, sizeof(uri), "%s", f[5]);
		char *res = strchr(uri, ':');
		*res++ = '\0';
		char *suf = strchr(res, ':');
		if (suf)
			*suf++ = '\0';
		char want[2048];
		snprintf(want, sizeof(want), "$sip$*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s\n", f[0], f[1], f[2], f[3],
			 f[4], uri, res, suf ? suf : "", f[6], f[7], f[8], f[9], f[10], f[11]);
		cr_assert_not_null(strstr(ours, want), "sipdump login not found: %s", want);
		n++;
	}
	cr_assert_eq(n, 5);
	free(ours);
	free(ref);
	json_object_put(r);
}

Test(auth_fixture, hostile_digest_headers_are_findings)
{
	/* Real 401 from the fixture's registrar followed by damaged answers:
	 * unquoted values, duplicates, an unterminated quote, a huge value. */
	static const char *answers[] = {
		"Authorization: Digest username=1001, realm=10.77.0.1, nonce=abc, uri=sip:10.77.0.1, response=0123\r\n",
		"Authorization: Digest username=\"a\", username=\"b\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"00\"\r\n",
		"Authorization: Digest username=\"never closed, realm=\"r\r\n",
		"Authorization: Digest realm=\"r\", nonce=\"n\"\r\n",
		"Authorization: Basic YWxpY2U6c2VjcmV0\r\n",
	};
	/* build a capture: DLT_RAW UDP datagrams */
	char path[] = "/tmp/cxauthhostile-XXXXXX";
	close(mkstemp(path));
	FILE *f = fopen(path, "wb");
	const uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101 };
	fwrite(gh, 4, 6, f);
	char big[9000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 6; i++) {
		char msg[12000];
		int n = snprintf(msg, sizeof(msg),
				 "REGISTER sip:10.77.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%d\r\n"
				 "From: <sip:1001@10.77.0.1>;tag=%d\r\nTo: <sip:1001@10.77.0.1>\r\nCall-ID: h%d\r\n"
				 "CSeq: 1 REGISTER\r\n",
				 i, i, i);
		if (i < 5)
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, "%s", answers[i]);
		else
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, "Authorization: Digest username=\"%s\", response=\"1\"\r\n", big);
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "Content-Length: 0\r\n\r\n");
		uint8_t pkt[12100];
		uint16_t tot = (uint16_t)(28 + n);
		uint8_t ip[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 77, 0, 1 };
		uint8_t udp[8] = { 0x13, 0xc4, 0x13, 0xc4, (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };
		memcpy(pkt, ip, 20);
		memcpy(pkt + 20, udp, 8);
		memcpy(pkt + 28, msg, (size_t)n);
		uint32_t rh[4] = { 1000u + (uint32_t)i, 0, tot, tot };
		fwrite(rh, 4, 4, f);
		fwrite(pkt, 1, tot, f);
	}
	fclose(f);
	int rc;
	struct json_object *r = cxt_run(path, NULL, &rc, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(rc, 0);
	struct json_object *fs = cxt_get(r, "findings");
	int malformed = 0, clear = 0;
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		const char *k = json_object_get_string(cxt_get(json_object_array_get_idx(fs, i), "kind"));
		malformed += !strcmp(k, "auth.malformed_header");
		clear += !strcmp(k, "auth.cleartext");
	}
	cr_assert_geq(malformed, 3, "duplicated, unterminated, missing parameters: %d", malformed);
	cr_assert_eq(clear, 1, "Basic credentials decoded");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "auth.cleartext.0.password")), "secret");
	/* the unquoted answer is still kept with its values */
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "auth.exchanges.0.username")), "1001");
	json_object_put(r);
	unlink(path);
}
