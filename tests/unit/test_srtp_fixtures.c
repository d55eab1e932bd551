/* SRTP calls made by baresip (srtp module, mediaenc=srtp-mand) on
 * loopback, fixtures/make/voip-srtp*.sh: each direction decrypts to the
 * speech that was sent (fixtures/voip-alice.wav, voip-bob.wav); a wrong key,
 * tampered packets and truncated tags are counted authentication failures
 * and never audio; a capture cut to start mid-call decrypts with keys given
 * by --srtp-key. The damaged captures are made here from the fixture's
 * bytes (classic pcap, Ethernet + IPv4 + UDP). */
#include <criterion/criterion.h>
#include <math.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callextract/ctx.h"
#include "cxtest.h"

static short *
load(const char *path, sf_count_t *n)
{
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_not_null(sf, "%s", path);
	cr_assert_eq(info.channels, 1);
	short *v = malloc((size_t)info.frames * sizeof(short));
	*n = sf_readf_short(sf, v, info.frames);
	sf_close(sf);
	return v;
}

/* Best normalised correlation of the source speech against the WAV over
 * every alignment within +-0.25 s of the first loud samples (coarse
 * search by 4 samples, then each sample around the best). */
static double
correlation(const short *src, sf_count_t ns, const short *got, sf_count_t ng)
{
	sf_count_t a = 0, b = 0;
	while (a < ns && abs(src[a]) < 600)
		a++;
	while (b < ng && abs(got[b]) < 600)
		b++;
	cr_assert(a < ns && b < ng, "no speech found");
	double best = 0;
	long best_lag = 0;
	for (int pass = 0; pass < 2; pass++) {
		long from = pass ? best_lag - 4 : -2000, to = pass ? best_lag + 4 : 2000, step = pass ? 1 : 4;
		for (long lag = from; lag <= to; lag += step) {
			double sxy = 0, sxx = 0, syy = 0;
			for (sf_count_t i = 0; i < ns; i++) {
				long j = (long)(i - a + b + lag);
				if (j < 0 || j >= ng)
					continue;
				double x = src[i], y = got[j];
				sxy += x * y;
				sxx += x * x;
				syy += y * y;
			}
			double c = (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : 0;
			if (c > best) {
				best = c;
				best_lag = lag;
			}
		}
	}
	return best;
}

static double
stream_correlation(const char *dir, struct json_object *s)
{
	sf_count_t na, ng;
	const char *sender = json_object_get_string(cxt_get(s, "sender"));
	cr_assert_not_null(sender);
	short *src = load(cxt_path(!strcmp(sender, "caller") ? "fixtures/voip-alice.wav" : "fixtures/voip-bob.wav"), &na);
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, json_object_get_string(cxt_get(s, "wav")));
	short *got = load(path, &ng);
	double c = correlation(src, na, got, ng);
	free(src);
	free(got);
	return c;
}

static void
check_fixture(const char *fixture, const char *suite, int64_t min_decrypted)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path(fixture), NULL, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		cr_assert(json_object_get_boolean(cxt_get(s, "encrypted")));
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "srtp.suite")), suite);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "srtp.key_source")), "sdp");
		cr_assert_eq(json_object_get_int(cxt_get(s, "srtp.tag")), 1);
		cr_assert_eq(json_object_get_int(cxt_get(s, "srtp.keys_tried")), 1); /* not the decoy */
		cr_assert_gt(json_object_get_int64(cxt_get(s, "srtp.key_frame")), 0);
		cr_assert_geq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), min_decrypted);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.auth_failures")), 0);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), json_object_get_int64(cxt_get(s, "packets")));
		cr_assert_geq(json_object_get_int64(cxt_get(s, "srtp.rtcp_decrypted")), 1);
		double c = stream_correlation(dir, s);
		cr_log_info("%s %s: correlation %.4f with the speech sent", fixture,
			json_object_get_string(cxt_get(s, "sender")), c);
		cr_assert_gt(c, 0.99, "%s: correlation %.4f", fixture, c);
	}
	/* the keys crossed the wire in cleartext SIP: a high finding */
	struct json_object *f = cxt_get(r, "findings");
	bool found = false;
	for (size_t i = 0; f && i < json_object_array_length(f); i++) {
		struct json_object *x = json_object_array_get_idx(f, i);
		if (!strcmp(json_object_get_string(cxt_get(x, "kind")), "srtp.sdes_cleartext"))
			found = !strcmp(json_object_get_string(cxt_get(x, "severity")), "high");
	}
	cr_assert(found, "no high srtp.sdes_cleartext finding");
	json_object_put(r);
}

Test(srtp_fixtures, aes_cm_128_hmac_sha1_80_decrypts_to_the_speech) {
	check_fixture("fixtures/sip-call-srtp-80.pcap", "AES_CM_128_HMAC_SHA1_80", 390);
}
/* The offer has two lines (tag 1 _32, tag 2 _80 decoy): the answer's tag 1
 * selects the first, the decoy is not tried. */
Test(srtp_fixtures, aes_cm_128_hmac_sha1_32_decrypts_to_the_speech) {
	check_fixture("fixtures/sip-call-srtp-32.pcap", "AES_CM_128_HMAC_SHA1_32", 390);
}

/* ---------- damaged copies of a fixture ---------- */

struct rec {
	uint8_t *p;    /* record header */
	uint8_t *d;    /* frame */
	uint32_t cap;
};

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(*n);
	cr_assert_eq(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* RTP over UDP from this source port? (Ethernet + IPv4 without options) */
static bool
is_rtp_from(const uint8_t *d, uint32_t cap, unsigned sport)
{
	return cap > 42 + 12 && d[12] == 8 && d[13] == 0 && d[23] == 17 && ((unsigned)d[34] << 8 | d[35]) == sport &&
	       d[42] >> 6 == 2 && (d[43] & 0x7f) < 72;
}

static unsigned
udp_sport_of(const uint8_t *d)
{
	return (unsigned)d[34] << 8 | d[35];
}

/* Writes buf to a temp file; returns its path (static). */
static const char *
write_tmp(const uint8_t *b, size_t n, const char *tag)
{
	static char path[256];
	snprintf(path, sizeof(path), "/tmp/cx-srtp-%s-%d.pcap", tag, (int)getpid());
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	return path;
}

/* Every inline: key of the SDPs changed (one base64 letter): wrong keys. */
Test(srtp_fixtures, wrong_key_never_gives_audio)
{
	size_t n;
	uint8_t *b = slurp(cxt_path("fixtures/sip-call-srtp-80.pcap"), &n);
	int changed = 0;
	for (size_t i = 0; i + 8 < n; i++) {
		if (!memcmp(b + i, "inline:", 7)) {
			b[i + 10] = b[i + 10] == 'A' ? 'B' : 'A';
			changed++;
		}
	}
	cr_assert_geq(changed, 2);
	const char *p = write_tmp(b, n, "wrongkey");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		int64_t pk = json_object_get_int64(cxt_get(s, "packets"));
		cr_assert(json_object_get_boolean(cxt_get(s, "encrypted")));
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), 0);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.auth_failures")), pk);
		cr_assert_null(cxt_get(s, "wav"), "an undecrypted stream has a WAV");
		cr_assert_null(cxt_get(s, "audio"), "an undecrypted stream has audio");
		cr_assert_not_null(strstr(json_object_get_string(cxt_get(s, "reason")), "no known key authenticates"));
	}
	json_object_put(r);
	unlink(p);
	free(b);
}

/* Ten packets of each stream with one payload bit flipped, ten more with
 * their tag cut by 3 bytes (lengths in pcap, IP and UDP shortened): 20
 * authentication failures per stream, the rest decrypted, the speech intact. */
Test(srtp_fixtures, tampered_and_truncated_packets_are_counted_failures)
{
	size_t n;
	uint8_t *b = slurp(cxt_path("fixtures/sip-call-srtp-80.pcap"), &n);
	uint8_t *o = malloc(n);
	memcpy(o, b, 24);
	size_t w = 24;
	unsigned nth[65536];
	memset(nth, 0, sizeof(nth));
	for (size_t i = 24; i + 16 <= n;) {
		uint32_t cap = le32(b + i + 8), len = le32(b + i + 12);
		cr_assert_leq(i + 16 + cap, n);
		uint8_t *d = b + i + 16;
		uint32_t cut = 0;
		if (is_rtp_from(d, cap, udp_sport_of(d)) && cap > 42 + 12 + 10 + 20) {
			unsigned k = nth[udp_sport_of(d)]++;
			if (k >= 100 && k < 110)
				d[42 + 20] ^= 0x10; /* a payload bit */
			else if (k >= 200 && k < 210)
				cut = 3;            /* 7 of 10 tag bytes left */
		}
		memcpy(o + w, b + i, 16);
		put_le32(o + w + 8, cap - cut);
		put_le32(o + w + 12, len - cut);
		memcpy(o + w + 16, d, cap - cut);
		if (cut) {
			uint8_t *e = o + w + 16;
			unsigned ipl = ((unsigned)e[16] << 8 | e[17]) - cut, ul = ((unsigned)e[38] << 8 | e[39]) - cut;
			e[16] = (uint8_t)(ipl >> 8); e[17] = (uint8_t)ipl;
			e[38] = (uint8_t)(ul >> 8); e[39] = (uint8_t)ul;
		}
		w += 16 + cap - cut;
		i += 16 + cap;
	}
	const char *p = write_tmp(o, w, "tamper");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		int64_t pk = json_object_get_int64(cxt_get(s, "packets"));
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.auth_failures")), 20);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), pk - 20);
		double c = stream_correlation(dir, s);
		cr_log_info("tampered copy, %s: correlation %.4f (20 of %lld packets not decrypted: silence)",
			json_object_get_string(cxt_get(s, "sender")), c, (long long)pk);
		cr_assert_gt(c, 0.9);
	}
	json_object_put(r);
	unlink(p);
	free(b);
	free(o);
}

/* sip-call-srtp-80-midcall.pcap: no SIP, each stream joined ~150 packets
 * in. Keys (those of sip-call-srtp-80.pcap's SDP) given by --srtp-key, one
 * by address:port, one by SSRC. */
static void
midcall_keys(struct cx_config *cfg)
{
	static const char *keys[] = {
		"192.0.2.2:18162 AES_CM_128_HMAC_SHA1_80 inline:3g8EXXc5j3oPSPx0/Itk3pCJLJoC+KxcIvUkHrYo",
		"0x7e5ba8ce AES_CM_128_HMAC_SHA1_80 inline:wIPJMhDDTZyIEGoTepwjnl/6MRPSyPDIHOHbjAPE",
	};
	cfg->srtp_keys = keys;
	cfg->n_srtp_keys = 2;
}

Test(srtp_fixtures, capture_started_mid_call_decrypts_with_srtp_key)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-srtp-80-midcall.pcap"), midcall_keys, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		int64_t pk = json_object_get_int64(cxt_get(s, "packets"));
		cr_assert_gt(pk, 200);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "srtp.key_source")), "option");
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), pk);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.auth_failures")), 0);
		cr_assert_not_null(cxt_get(s, "wav"));
	}
	json_object_put(r);
	/* without the keys: encrypted or not cannot be known from an RTP/AVP-looking
	 * stream; it must at least not be decrypted with anything */
}

/* The fixture with its a=crypto lines renamed (same length): RTP/SAVP
 * without keys, then with a=setup (DTLS-SRTP). Encrypted, the reason
 * given, the payload kept raw, never audio (it used to be decoded as PCMU
 * noise). */
static void
check_keyless(const char *with, const char *kind, const char *why)
{
	size_t n;
	uint8_t *b = slurp(cxt_path("fixtures/sip-call-srtp-80.pcap"), &n);
	int changed = 0;
	for (size_t i = 0; i + 9 < n; i++)
		if (!memcmp(b + i, "a=crypto:", 9)) {
			memcpy(b + i, with, 9);
			changed++;
		}
	cr_assert_geq(changed, 2);
	const char *p = write_tmp(b, n, "keyless");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		cr_assert(json_object_get_boolean(cxt_get(s, "encrypted")));
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "srtp.kind")), kind);
		cr_assert_null(cxt_get(s, "wav"));
		cr_assert_null(cxt_get(s, "audio"));
		cr_assert_not_null(cxt_get(s, "raw_payload"));
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.not_decrypted")), json_object_get_int64(cxt_get(s, "packets")));
		cr_assert_not_null(strstr(json_object_get_string(cxt_get(s, "reason")), why), "%s",
				   json_object_get_string(cxt_get(s, "reason")));
	}
	json_object_put(r);
	unlink(p);
	free(b);
}

Test(srtp_fixtures, savp_without_keys_is_not_audio) { check_keyless("a=xrypto:", "SRTP, no key", "without a=crypto keys"); }
Test(srtp_fixtures, dtls_srtp_is_not_audio) { check_keyless("a=setup:x", "DTLS-SRTP", "DTLS handshake"); }

/* ---------- suites baresip cannot make ----------
 * The _80 fixture re-keyed: each RTP packet unprotected with the SDP key
 * baresip used (libsrtp2), then protected again with another suite and
 * key, the SDP's a=crypto lines rewritten to match (Content-Length, UDP
 * and IP lengths fixed); SRTCP left out. The speech must come out as
 * from the original. */
static srtp_t
session(const char *suite, const uint8_t *key, bool inbound)
{
	srtp_policy_t p;
	memset(&p, 0, sizeof(p));
	if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_80")) srtp_crypto_policy_set_rtp_default(&p.rtp);
	else if (!strcmp(suite, "AES_192_CM_HMAC_SHA1_80")) srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtp);
	else if (!strcmp(suite, "AES_192_CM_HMAC_SHA1_32")) srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&p.rtp);
	else if (!strcmp(suite, "AES_CM_256_HMAC_SHA1_32")) srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
	else if (!strcmp(suite, "AES_256_CM_HMAC_SHA1_80")) srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
	else if (!strcmp(suite, "AEAD_AES_128_GCM")) srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
	else if (!strcmp(suite, "AEAD_AES_256_GCM")) srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
	else cr_assert_fail("%s", suite);
	p.rtcp = p.rtp;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = (unsigned char *)key;
	p.window_size = 1024;
	srtp_t s;
	cr_assert_eq(srtp_create(&s, &p), srtp_err_status_ok);
	return s;
}

static void
rekeyed(const char *suite, size_t klen)
{
	srtp_init();
	static const char *orig[2] = { "3g8EXXc5j3oPSPx0/Itk3pCJLJoC+KxcIvUkHrYo", "wIPJMhDDTZyIEGoTepwjnl/6MRPSyPDIHOHbjAPE" };
	static const unsigned port[2] = { 18162, 18270 }; /* alice's, bob's RTP */
	uint8_t okey[2][48], nkey[2][48];
	char nb64[2][80];
	srtp_t rx[2], tx[2];
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(EVP_DecodeBlock(okey[i], (const unsigned char *)orig[i], 40), 30);
		for (size_t k = 0; k < klen; k++)
			nkey[i][k] = (uint8_t)(0x5a ^ (k * 13 + (size_t)i * 101));
		EVP_EncodeBlock((unsigned char *)nb64[i], nkey[i], (int)klen);
		rx[i] = session("AES_CM_128_HMAC_SHA1_80", okey[i], true);
		tx[i] = session(suite, nkey[i], false);
	}
	size_t n;
	uint8_t *b = slurp(cxt_path("fixtures/sip-call-srtp-80.pcap"), &n);
	uint8_t *o = malloc(n * 2 + 4096);
	memcpy(o, b, 24);
	size_t w = 24;
	int sdp = 0, rtp = 0;
	for (size_t i = 24; i + 16 <= n;) {
		uint32_t cap = le32(b + i + 8);
		uint8_t *d = b + i + 16;
		i += 16 + cap;
		cr_assert_gt(cap, 42u);
		uint8_t pl[4096];
		size_t pn = cap - 42;
		memcpy(pl, d + 42, pn);
		unsigned sport = udp_sport_of(d);
		bool rtcp = pn >= 2 && pl[1] >= 200 && pl[1] <= 204;
		if (rtcp && (sport == port[0] + 1 || sport == port[1] + 1))
			continue; /* SRTCP: left out */
		char *cry = memmem(pl, pn, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", 42);
		if (cry) {
			int who = !memcmp(cry + 42, orig[0], 40) ? 0 : 1;
			cr_assert(!memcmp(cry + 42, orig[who], 40));
			char line[200];
			int ln = snprintf(line, sizeof(line), "a=crypto:1 %s inline:%s", suite, nb64[who]);
			size_t old = 42 + 40, tail = pn - (size_t)((uint8_t *)cry - pl) - old;
			memmove(cry + ln, cry + old, tail);
			memcpy(cry, line, (size_t)ln);
			pn = pn - old + (size_t)ln;
			/* Content-Length */
			char *cl = memmem(pl, pn, "Content-Length: ", 16);
			cr_assert_not_null(cl);
			char *body = memmem(pl, pn, "\r\n\r\n", 4);
			cr_assert_not_null(body);
			size_t blen = pn - (size_t)((uint8_t *)body + 4 - pl);
			char *eol = strstr(cl, "\r\n");
			char num[16];
			int nl = snprintf(num, sizeof(num), "%zu", blen);
			size_t olddig = (size_t)(eol - (cl + 16));
			cr_assert_eq((size_t)nl, olddig, "Content-Length digits change");
			memcpy(cl + 16, num, (size_t)nl);
			sdp++;
		} else if (!rtcp && pn > 12 && pl[0] >> 6 == 2 && (sport == port[0] || sport == port[1])) {
			int who = sport == port[0] ? 0 : 1;
			int len = (int)pn;
			cr_assert_eq(srtp_unprotect(rx[who], pl, &len), srtp_err_status_ok);
			cr_assert_eq(srtp_protect(tx[who], pl, &len), srtp_err_status_ok);
			pn = (size_t)len;
			rtp++;
		}
		uint32_t ncap = (uint32_t)(42 + pn);
		memcpy(o + w, b + i - 16 - cap, 16);
		put_le32(o + w + 8, ncap);
		put_le32(o + w + 12, ncap);
		uint8_t *e = o + w + 16;
		memcpy(e, d, 42);
		unsigned ipl = (unsigned)(20 + 8 + pn), ul = (unsigned)(8 + pn);
		e[16] = (uint8_t)(ipl >> 8); e[17] = (uint8_t)ipl;
		e[38] = (uint8_t)(ul >> 8); e[39] = (uint8_t)ul;
		e[40] = e[41] = 0; /* UDP checksum: none */
		memcpy(e + 42, pl, pn);
		w += 16 + ncap;
	}
	cr_assert_eq(sdp, 2);
	cr_assert_gt(rtp, 780);
	const char *p = write_tmp(o, w, "rekeyed");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *want = !strcmp(suite, "AES_CM_256_HMAC_SHA1_32") ? "AES_256_CM_HMAC_SHA1_32" : suite;
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "srtp.suite")), want);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.decrypted")), json_object_get_int64(cxt_get(s, "packets")));
		cr_assert_eq(json_object_get_int64(cxt_get(s, "srtp.auth_failures")), 0);
		double c = stream_correlation(dir, s);
		cr_log_info("%s (re-keyed fixture) %s: correlation %.4f", suite, json_object_get_string(cxt_get(s, "sender")), c);
		cr_assert_gt(c, 0.99);
	}
	json_object_put(r);
	unlink(p);
	for (int i = 0; i < 2; i++) {
		srtp_dealloc(rx[i]);
		srtp_dealloc(tx[i]);
	}
	free(b);
	free(o);
}

Test(srtp_fixtures, aes_192_cm_hmac_sha1_80) { rekeyed("AES_192_CM_HMAC_SHA1_80", 38); }
Test(srtp_fixtures, aes_192_cm_hmac_sha1_32) { rekeyed("AES_192_CM_HMAC_SHA1_32", 38); }
Test(srtp_fixtures, aes_256_cm_hmac_sha1_80) { rekeyed("AES_256_CM_HMAC_SHA1_80", 46); }
Test(srtp_fixtures, aes_cm_256_hmac_sha1_32_phone_spelling) { rekeyed("AES_CM_256_HMAC_SHA1_32", 46); }
Test(srtp_fixtures, aead_aes_128_gcm) { rekeyed("AEAD_AES_128_GCM", 28); }
Test(srtp_fixtures, aead_aes_256_gcm) { rekeyed("AEAD_AES_256_GCM", 44); }
