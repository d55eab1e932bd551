/* The SRTP room against libsrtp2 as a sender: every suite, MKI, lifetime,
 * wrong key, tampered packet, truncated tag, a stream joined after its
 * sequence number wrapped (ROC search), re-keying, SRTCP. The sender side
 * is libsrtp's own srtp_protect, the receiver under test is
 * src/srtp/srtp.c. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/srtp.h"

#define SSRC 0x11223344u

struct sender {
	srtp_t s;
	uint16_t seq;
	uint32_t ts;
	uint8_t key[46];
};

static void
fill_key(uint8_t *k, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

/* "tag SUITE inline:base64" for this key. */
static void
crypto_line(char *out, size_t n, unsigned tag, const char *suite, const uint8_t *key, size_t klen, const char *extra)
{
	unsigned char b64[80];
	EVP_EncodeBlock(b64, key, (int)klen);
	snprintf(out, n, "%u %s inline:%s%s", tag, suite, b64, extra ? extra : "");
}

static void
sender_init(struct sender *tx, enum cx_srtp_suite suite, const uint8_t *key, size_t klen, uint16_t seq0,
	    const unsigned char *mki, unsigned mki_len)
{
	srtp_init();
	srtp_policy_t p;
	memset(&p, 0, sizeof(p));
	switch (suite) {
	case CX_SRTP_AES_CM_128_HMAC_SHA1_80: srtp_crypto_policy_set_rtp_default(&p.rtp); srtp_crypto_policy_set_rtp_default(&p.rtcp); break;
	case CX_SRTP_AES_CM_128_HMAC_SHA1_32: srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp); srtp_crypto_policy_set_rtp_default(&p.rtcp); break;
	case CX_SRTP_AES_192_CM_HMAC_SHA1_80: srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtp); srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtcp); break;
	case CX_SRTP_AES_192_CM_HMAC_SHA1_32: srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&p.rtp); srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtcp); break;
	case CX_SRTP_AES_256_CM_HMAC_SHA1_80: srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp); srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp); break;
	case CX_SRTP_AES_256_CM_HMAC_SHA1_32: srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp); srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp); break;
	case CX_SRTP_AEAD_AES_128_GCM: srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp); srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp); break;
	case CX_SRTP_AEAD_AES_256_GCM: srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp); srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp); break;
	default: cr_assert_fail("suite");
	}
	memcpy(tx->key, key, klen);
	p.ssrc.type = ssrc_any_outbound;
	srtp_master_key_t mk = { tx->key, (unsigned char *)mki, mki_len }, *mkp = &mk;
	if (mki_len) {
		p.keys = &mkp;
		p.num_master_keys = 1;
	} else {
		p.key = tx->key;
	}
	p.window_size = 128;
	cr_assert_eq(srtp_create(&tx->s, &p), srtp_err_status_ok);
	tx->seq = seq0;
	tx->ts = 1000;
}

/* One protected packet with payload byte pattern i; returns its length. */
static size_t
sender_rtp(struct sender *tx, uint8_t *pkt, unsigned i, bool mki)
{
	memset(pkt, 0, 12);
	pkt[0] = 0x80;
	pkt[1] = 0;
	pkt[2] = (uint8_t)(tx->seq >> 8);
	pkt[3] = (uint8_t)tx->seq;
	pkt[4] = (uint8_t)(tx->ts >> 24); pkt[5] = (uint8_t)(tx->ts >> 16); pkt[6] = (uint8_t)(tx->ts >> 8); pkt[7] = (uint8_t)tx->ts;
	pkt[8] = SSRC >> 24; pkt[9] = (SSRC >> 16) & 0xff; pkt[10] = (SSRC >> 8) & 0xff; pkt[11] = SSRC & 0xff;
	for (int k = 0; k < 160; k++)
		pkt[12 + k] = (uint8_t)(i + k);
	int len = 172;
	srtp_err_status_t st = mki ? srtp_protect_mki(tx->s, pkt, &len, 1, 0) : srtp_protect(tx->s, pkt, &len);
	cr_assert_eq(st, srtp_err_status_ok, "protect %d", st);
	tx->seq++;
	tx->ts += 160;
	return (size_t)len;
}

static bool
payload_is(const uint8_t *rtp, size_t len, unsigned i)
{
	if (len != 172)
		return false;
	for (int k = 0; k < 160; k++)
		if (rtp[12 + k] != (uint8_t)(i + k))
			return false;
	return true;
}

static const struct {
	const char *name;
	enum cx_srtp_suite suite;
	size_t klen, tag;
} all[] = {
	{ "AES_CM_128_HMAC_SHA1_80", CX_SRTP_AES_CM_128_HMAC_SHA1_80, 30, 10 },
	{ "AES_CM_128_HMAC_SHA1_32", CX_SRTP_AES_CM_128_HMAC_SHA1_32, 30, 4 },
	{ "AES_192_CM_HMAC_SHA1_80", CX_SRTP_AES_192_CM_HMAC_SHA1_80, 38, 10 },
	{ "AES_192_CM_HMAC_SHA1_32", CX_SRTP_AES_192_CM_HMAC_SHA1_32, 38, 4 },
	{ "AES_256_CM_HMAC_SHA1_80", CX_SRTP_AES_256_CM_HMAC_SHA1_80, 46, 10 },
	{ "AES_CM_256_HMAC_SHA1_32", CX_SRTP_AES_256_CM_HMAC_SHA1_32, 46, 4 },
	{ "AEAD_AES_128_GCM", CX_SRTP_AEAD_AES_128_GCM, 28, 16 },
	{ "AEAD_AES_256_GCM", CX_SRTP_AEAD_AES_256_GCM, 44, 16 },
};

/* Every suite: 200 packets starting at sequence 65400 (a wrap inside),
 * each decrypts to its payload; the tag length is the suite's. */
Test(srtp, every_suite_decrypts_across_a_wrap)
{
	for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++) {
		uint8_t key[46], pkt[256], out[256];
		fill_key(key, all[s].klen, (uint8_t)s);
		char line[200];
		crypto_line(line, sizeof(line), 3, all[s].name, key, all[s].klen, NULL);
		struct cx_srtp_key k;
		const char *err = NULL;
		cr_assert_eq(cx_srtp_parse_crypto(line, &k, &err), 0, "%s: %s", line, err);
		cr_assert_eq(k.suite, all[s].suite);
		cr_assert_eq(k.tag, 3u);
		struct sender tx;
		sender_init(&tx, all[s].suite, key, all[s].klen, 65400, NULL, 0);
		struct cx_srtp_rx *rx = cx_srtp_rx_new(SSRC);
		cx_srtp_rx_set_keys(rx, &k, 1);
		for (unsigned i = 0; i < 200; i++) {
			size_t len = sender_rtp(&tx, pkt, i, false), ol = 0;
			cr_assert_eq(len, 172 + all[s].tag, "%s tag", all[s].name);
			cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK, "%s packet %u", all[s].name, i);
			cr_assert(payload_is(out, ol, i), "%s payload %u", all[s].name, i);
		}
		struct json_object *o = json_object_new_object();
		cx_srtp_rx_json(rx, o);
		struct json_object *x;
		cr_assert(json_object_object_get_ex(o, "decrypted", &x) && json_object_get_int(x) == 200);
		cr_assert(json_object_object_get_ex(o, "suite", &x) && !strcmp(json_object_get_string(x), cx_srtp_suite_name(all[s].suite)));
		json_object_put(o);
		cx_srtp_rx_free(rx);
		srtp_dealloc(tx.s);
	}
}

/* Wrong key, one flipped bit in the payload, the tag cut short: counted
 * failures, never a decrypted packet. */
Test(srtp, wrong_key_tamper_truncated_tag_fail)
{
	for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++) {
		uint8_t key[46], bad[46], pkt[256], out[256];
		fill_key(key, all[s].klen, 9);
		fill_key(bad, all[s].klen, 10);
		char line[200];
		struct cx_srtp_key kw, kr;
		const char *err;
		crypto_line(line, sizeof(line), 1, all[s].name, bad, all[s].klen, NULL);
		cr_assert_eq(cx_srtp_parse_crypto(line, &kw, &err), 0);
		crypto_line(line, sizeof(line), 1, all[s].name, key, all[s].klen, NULL);
		cr_assert_eq(cx_srtp_parse_crypto(line, &kr, &err), 0);
		struct sender tx;
		sender_init(&tx, all[s].suite, key, all[s].klen, 100, NULL, 0);
		struct cx_srtp_rx *wrong = cx_srtp_rx_new(SSRC), *right = cx_srtp_rx_new(SSRC);
		cx_srtp_rx_set_keys(wrong, &kw, 1);
		cx_srtp_rx_set_keys(right, &kr, 1);
		size_t ol;
		for (unsigned i = 0; i < 40; i++) {
			size_t len = sender_rtp(&tx, pkt, i, false);
			cr_assert_eq(cx_srtp_rx_rtp(wrong, pkt, len, out, &ol), CX_SRTP_AUTH_FAIL);
			if (i % 3 == 1) {
				uint8_t t[256];
				memcpy(t, pkt, len);
				t[40] ^= 0x01;
				cr_assert_eq(cx_srtp_rx_rtp(right, t, len, out, &ol), CX_SRTP_AUTH_FAIL, "%s tamper", all[s].name);
			} else if (i % 3 == 2) {
				cr_assert_neq(cx_srtp_rx_rtp(right, pkt, len - 1, out, &ol), CX_SRTP_OK, "%s truncated", all[s].name);
			} else {
				cr_assert_eq(cx_srtp_rx_rtp(right, pkt, len, out, &ol), CX_SRTP_OK);
				cr_assert(payload_is(out, ol, i));
			}
		}
		struct json_object *o = json_object_new_object(), *x;
		cx_srtp_rx_json(wrong, o);
		cr_assert(json_object_object_get_ex(o, "auth_failures", &x) && json_object_get_int(x) == 40);
		cr_assert(json_object_object_get_ex(o, "decrypted", &x) && json_object_get_int(x) == 0);
		json_object_put(o);
		o = json_object_new_object();
		cx_srtp_rx_json(right, o);
		cr_assert(json_object_object_get_ex(o, "auth_failures", &x) && json_object_get_int(x) == 26, "%s", json_object_get_string(o));
		cr_assert(json_object_object_get_ex(o, "decrypted", &x) && json_object_get_int(x) == 14);
		json_object_put(o);
		cx_srtp_rx_free(wrong);
		cx_srtp_rx_free(right);
		srtp_dealloc(tx.s);
	}
}

/* The receiver joins after the sender's sequence number wrapped three
 * times (ROC 3): found by the search, then followed through a fourth wrap. */
Test(srtp, joins_mid_call_after_wraps)
{
	uint8_t key[46], pkt[256], out[256];
	fill_key(key, 30, 4);
	char line[200];
	crypto_line(line, sizeof(line), 1, "AES_CM_128_HMAC_SHA1_80", key, 30, NULL);
	struct cx_srtp_key k;
	const char *err;
	cr_assert_eq(cx_srtp_parse_crypto(line, &k, &err), 0);
	struct sender tx;
	sender_init(&tx, CX_SRTP_AES_CM_128_HMAC_SHA1_80, key, 30, 0, NULL, 0);
	for (unsigned i = 0; i < 3u * 65536u + 40000u; i++)
		sender_rtp(&tx, pkt, i, false);
	struct cx_srtp_rx *rx = cx_srtp_rx_new(SSRC);
	cx_srtp_rx_set_keys(rx, &k, 1);
	for (unsigned i = 0; i < 30000; i++) {
		size_t len = sender_rtp(&tx, pkt, i, false), ol;
		cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK, "packet %u", i);
		cr_assert(payload_is(out, ol, i));
	}
	struct json_object *o = json_object_new_object(), *x;
	cx_srtp_rx_json(rx, o);
	cr_assert(json_object_object_get_ex(o, "roc_at_start", &x) && json_object_get_int(x) == 3, "%s", json_object_get_string(o));
	json_object_put(o);
	cx_srtp_rx_free(rx);
	srtp_dealloc(tx.s);
}

/* MKI and lifetime in the key parameters; a replayed packet is a replay. */
Test(srtp, mki_lifetime_and_replay)
{
	uint8_t key[46], pkt[256], out[256];
	fill_key(key, 30, 5);
	char line[200];
	crypto_line(line, sizeof(line), 2, "AES_CM_128_HMAC_SHA1_32", key, 30, "|2^20|7:2");
	struct cx_srtp_key k;
	const char *err;
	cr_assert_eq(cx_srtp_parse_crypto(line, &k, &err), 0, "%s", err);
	cr_assert_eq(k.mki_len, 2);
	cr_assert_eq(k.m[0].mki, 7u);
	cr_assert_eq(k.m[0].lifetime, 1ull << 20);
	unsigned char mki[2] = { 0, 7 };
	struct sender tx;
	sender_init(&tx, CX_SRTP_AES_CM_128_HMAC_SHA1_32, key, 30, 10, mki, 2);
	struct cx_srtp_rx *rx = cx_srtp_rx_new(SSRC);
	cx_srtp_rx_set_keys(rx, &k, 1);
	size_t len = 0, ol;
	for (unsigned i = 0; i < 20; i++) {
		len = sender_rtp(&tx, pkt, i, true);
		cr_assert_eq(len, 172 + 2 + 4);
		cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK);
		cr_assert(payload_is(out, ol, i));
	}
	cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_REPLAY);
	cx_srtp_rx_free(rx);
	srtp_dealloc(tx.s);
}

/* Re-keying: after the new key set, packets still under the old key
 * decrypt, and those under the new one too. Two candidates (an offer's
 * two lines): the one that authenticates is used. */
Test(srtp, rekey_and_candidates)
{
	uint8_t k1[46], k2[46], k3[46], pkt[256], out[256];
	fill_key(k1, 30, 1);
	fill_key(k2, 30, 2);
	fill_key(k3, 30, 3);
	char line[200];
	struct cx_srtp_key keys[2];
	const char *err;
	crypto_line(line, sizeof(line), 1, "AES_CM_128_HMAC_SHA1_80", k3, 30, NULL);
	cr_assert_eq(cx_srtp_parse_crypto(line, &keys[0], &err), 0);
	crypto_line(line, sizeof(line), 2, "AES_CM_128_HMAC_SHA1_80", k1, 30, NULL);
	cr_assert_eq(cx_srtp_parse_crypto(line, &keys[1], &err), 0);
	struct sender a, b;
	sender_init(&a, CX_SRTP_AES_CM_128_HMAC_SHA1_80, k1, 30, 500, NULL, 0);
	struct cx_srtp_rx *rx = cx_srtp_rx_new(SSRC);
	cx_srtp_rx_set_keys(rx, keys, 2);
	size_t len, ol;
	for (unsigned i = 0; i < 10; i++) {
		len = sender_rtp(&a, pkt, i, false);
		cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK);
	}
	struct json_object *o = json_object_new_object(), *x;
	cx_srtp_rx_json(rx, o);
	cr_assert(json_object_object_get_ex(o, "tag", &x) && json_object_get_int(x) == 2);
	json_object_put(o);
	/* re-INVITE: the new key k2 */
	crypto_line(line, sizeof(line), 1, "AES_CM_128_HMAC_SHA1_80", k2, 30, NULL);
	struct cx_srtp_key nk;
	cr_assert_eq(cx_srtp_parse_crypto(line, &nk, &err), 0);
	nk.frame = 77;
	cx_srtp_rx_set_keys(rx, &nk, 1);
	len = sender_rtp(&a, pkt, 10, false); /* in flight under the old key */
	cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK);
	sender_init(&b, CX_SRTP_AES_CM_128_HMAC_SHA1_80, k2, 30, a.seq, NULL, 0);
	for (unsigned i = 0; i < 10; i++) {
		len = sender_rtp(&b, pkt, 100 + i, false);
		cr_assert_eq(cx_srtp_rx_rtp(rx, pkt, len, out, &ol), CX_SRTP_OK, "new key %u", i);
		cr_assert(payload_is(out, ol, 100 + i));
	}
	o = json_object_new_object();
	cx_srtp_rx_json(rx, o);
	cr_assert(json_object_object_get_ex(o, "key_frame", &x) && json_object_get_int(x) == 77, "%s", json_object_get_string(o));
	cr_assert(json_object_object_get_ex(o, "auth_failures", &x) && json_object_get_int(x) == 0);
	json_object_put(o);
	cx_srtp_rx_free(rx);
	srtp_dealloc(a.s);
	srtp_dealloc(b.s);
}

/* SRTCP: the _32 suite's SRTCP carries an 80-bit tag. */
Test(srtp, srtcp_of_32_suite_has_80_bit_tag)
{
	uint8_t key[46], out[256];
	fill_key(key, 30, 6);
	char line[200];
	crypto_line(line, sizeof(line), 1, "AES_CM_128_HMAC_SHA1_32", key, 30, NULL);
	struct cx_srtp_key k;
	const char *err;
	cr_assert_eq(cx_srtp_parse_crypto(line, &k, &err), 0);
	struct sender tx;
	sender_init(&tx, CX_SRTP_AES_CM_128_HMAC_SHA1_32, key, 30, 1, NULL, 0);
	uint8_t rtcp[256] = { 0x80, 200, 0, 6, SSRC >> 24, (SSRC >> 16) & 0xff, (SSRC >> 8) & 0xff, SSRC & 0xff };
	for (int i = 8; i < 28; i++)
		rtcp[i] = (uint8_t)i;
	int len = 28;
	cr_assert_eq(srtp_protect_rtcp(tx.s, rtcp, &len), srtp_err_status_ok);
	cr_assert_eq(len, 28 + 4 + 10);
	struct cx_srtp_rx *rx = cx_srtp_rx_new(SSRC);
	cx_srtp_rx_set_keys(rx, &k, 1);
	size_t ol;
	cr_assert_eq(cx_srtp_rx_rtcp(rx, rtcp, (size_t)len, out, &ol), CX_SRTP_OK);
	cr_assert_eq(ol, 28u);
	cr_assert_eq(out[27], 27);
	/* the same index again is a replay (checked before the tag); a new
	 * packet with one bit flipped fails authentication */
	cr_assert_eq(cx_srtp_rx_rtcp(rx, rtcp, (size_t)len, out, &ol), CX_SRTP_REPLAY);
	memset(rtcp + 8, 7, 20);
	len = 28;
	cr_assert_eq(srtp_protect_rtcp(tx.s, rtcp, &len), srtp_err_status_ok);
	rtcp[20] ^= 0x80;
	cr_assert_eq(cx_srtp_rx_rtcp(rx, rtcp, (size_t)len, out, &ol), CX_SRTP_AUTH_FAIL);
	cx_srtp_rx_free(rx);
	srtp_dealloc(tx.s);
}

Test(srtp, key_syntax)
{
	struct cx_srtp_key k;
	const char *err;
	cr_assert_neq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA", &k, &err), 0); /* short */
	cr_assert_neq(cx_srtp_parse_crypto("1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", &k, &err), 0);
	cr_assert_neq(cx_srtp_parse_crypto("AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", &k, &err), 0);
	cr_assert_neq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^99", &k, &err), 0);
	cr_assert_neq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:9", &k, &err), 0);
	cr_assert_neq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz KDR=4", &k, &err), 0);
	cr_assert_eq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1048576", &k, &err), 0);
	cr_assert_eq(k.m[0].lifetime, 1048576u);
	/* RFC 4568 section 9.2 example: two keys with MKIs */
	cr_assert_eq(cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32",
					  &k, &err), -1); /* MKI length 32 bytes: libsrtp has at most 128 bits, refused */
	cr_assert_eq(cx_srtp_parse_crypto("2 AES_CM_256_HMAC_SHA1_80 inline:"
					  "YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2",
					  &k, &err), -1); /* 60 bytes: not a 256-bit suite's 46 */
	cr_assert_eq(cx_srtp_parse_crypto("7 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;"
					  "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0|2^20|2:4", &k, &err), 0, "%s", err);
	cr_assert_eq(k.n_master, 2);
	cr_assert_eq(k.m[1].mki, 2u);
	cr_assert_eq(k.tag, 7u);
}
