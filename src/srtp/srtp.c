/* SRTP/SRTCP receive side over libsrtp2 (see include/callextract/srtp.h).
 * libsrtp does the cryptography, the replay window and the ROC estimate
 * from one packet to the next; this file adds what a capture needs and a
 * phone does not: several candidate keys per stream, and a rollover
 * counter that is not known when the capture starts mid-call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <srtp2/srtp.h>
#include "callextract/srtp.h"

#define ROC_WINDOW 16      /* ROCs tried when no key works at ROC 0 */
#define SEARCH_PACKETS 32  /* packets for which that search is made */
#define REPLAY_WINDOW 1024 /* captures reorder more than a phone's network */

typedef void (*policy_fn)(srtp_crypto_policy_t *);

static const struct suite {
	const char *name, *alias;
	uint8_t key_len;          /* key + salt */
	policy_fn rtp, rtcp;
} suites[] = {
	[CX_SRTP_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", NULL, 30,
		srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtp_default },
	[CX_SRTP_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", NULL, 30,
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtp_default },
	[CX_SRTP_AES_192_CM_HMAC_SHA1_80] = { "AES_192_CM_HMAC_SHA1_80", "AES_CM_192_HMAC_SHA1_80", 38,
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80, srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 },
	[CX_SRTP_AES_192_CM_HMAC_SHA1_32] = { "AES_192_CM_HMAC_SHA1_32", "AES_CM_192_HMAC_SHA1_32", 38,
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32, srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 },
	[CX_SRTP_AES_256_CM_HMAC_SHA1_80] = { "AES_256_CM_HMAC_SHA1_80", "AES_CM_256_HMAC_SHA1_80", 46,
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 },
	[CX_SRTP_AES_256_CM_HMAC_SHA1_32] = { "AES_256_CM_HMAC_SHA1_32", "AES_CM_256_HMAC_SHA1_32", 46,
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 },
	[CX_SRTP_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", NULL, 28,
		srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth },
	[CX_SRTP_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", NULL, 44,
		srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth },
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

const char *
cx_srtp_suite_name(enum cx_srtp_suite s)
{
	return s > 0 && (size_t)s < N_SUITES ? suites[s].name : "unknown";
}

enum cx_srtp_suite
cx_srtp_suite_parse(const char *name, size_t n)
{
	for (size_t i = 1; i < N_SUITES; i++) {
		if ((strlen(suites[i].name) == n && !strncmp(name, suites[i].name, n)) ||
		    (suites[i].alias && strlen(suites[i].alias) == n && !strncmp(name, suites[i].alias, n)))
			return (enum cx_srtp_suite)i;
	}
	return CX_SRTP_UNKNOWN;
}

/* ---------- RFC 4568 key parameters ---------- */

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Strict base64 of s[0..n) into out (cap bytes); returns the length or -1. */
static int
b64dec(const char *s, size_t n, uint8_t *out, size_t cap)
{
	while (n && s[n - 1] == '=')
		n--;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)o;
}

static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (!n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One "inline:KEY[|LIFETIME][|MKI:LEN]" of n bytes. */
static int
parse_inline(const char *s, size_t n, struct cx_srtp_key *k, const char **err)
{
	if (n < 7 || strncmp(s, "inline:", 7)) {
		*err = "key method is not inline:";
		return -1;
	}
	if (k->n_master >= CX_SRTP_MAX_MASTER) {
		*err = "too many keys in one line";
		return -1;
	}
	s += 7;
	n -= 7;
	const char *bar = memchr(s, '|', n);
	size_t klen = bar ? (size_t)(bar - s) : n;
	int got = b64dec(s, klen, k->m[k->n_master].key, sizeof(k->m[0].key));
	if (got < 0) {
		*err = "key is not base64";
		return -1;
	}
	if (got != suites[k->suite].key_len) {
		*err = "key||salt length does not fit the suite";
		return -1;
	}
	k->m[k->n_master].len = (uint8_t)got;
	while (bar) {
		const char *f = bar + 1;
		size_t left = n - (size_t)(f - s);
		bar = memchr(f, '|', left);
		size_t fl = bar ? (size_t)(bar - f) : left;
		const char *colon = memchr(f, ':', fl);
		uint64_t v, l;
		if (colon) { /* MKI:LENGTH (bytes) */
			if (parse_u64(f, (size_t)(colon - f), &v) < 0 ||
			    parse_u64(colon + 1, fl - (size_t)(colon + 1 - f), &l) < 0 || l < 1 || l > 4 ||
			    v >> (8 * l)) {
				*err = "bad MKI";
				return -1;
			}
			if (k->mki_len && k->mki_len != l) {
				*err = "MKI lengths differ";
				return -1;
			}
			k->mki_len = (uint8_t)l;
			k->m[k->n_master].mki = (uint32_t)v;
		} else if (fl > 2 && f[0] == '2' && f[1] == '^') {
			if (parse_u64(f + 2, fl - 2, &v) < 0 || v > 63) {
				*err = "bad lifetime";
				return -1;
			}
			k->m[k->n_master].lifetime = 1ull << v;
		} else if (parse_u64(f, fl, &v) == 0) {
			k->m[k->n_master].lifetime = v;
		} else {
			*err = "bad lifetime";
			return -1;
		}
	}
	k->n_master++;
	return 0;
}

int
cx_srtp_parse_suite_key(const char *v, struct cx_srtp_key *out, const char **err)
{
	unsigned tag = out->tag;
	memset(out, 0, sizeof(*out));
	out->tag = tag;
	while (*v == ' ')
		v++;
	size_t sn = strcspn(v, " ");
	out->suite = cx_srtp_suite_parse(v, sn);
	if (out->suite == CX_SRTP_UNKNOWN) {
		*err = "unknown crypto suite";
		return -1;
	}
	v += sn;
	while (*v == ' ')
		v++;
	size_t kn = strcspn(v, " ");
	if (!kn) {
		*err = "no key parameters";
		return -1;
	}
	/* key-params: inline:...;inline:... (session parameters after a space
	 * are not needed to decrypt, except the ones refused below) */
	const char *p = v, *end = v + kn;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t n = semi ? (size_t)(semi - p) : (size_t)(end - p);
		if (parse_inline(p, n, out, err) < 0)
			return -1;
		p += n + (semi ? 1 : 0);
	}
	if (out->n_master > 1 && !out->mki_len) {
		*err = "several keys without MKI";
		return -1;
	}
	const char *sp = v + kn;
	if (strstr(sp, "UNENCRYPTED_SRTP") || strstr(sp, "UNAUTHENTICATED_SRTP") || strstr(sp, "KDR=")) {
		/* libsrtp2 has no key derivation rate and no partial protection */
		if (!strstr(sp, "KDR=0") || strstr(sp, "UNENCRYPTED_SRTP") || strstr(sp, "UNAUTHENTICATED_SRTP")) {
			*err = "session parameter not supported by libsrtp2 (KDR, UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP)";
			return -1;
		}
	}
	return 0;
}

int
cx_srtp_parse_crypto(const char *v, struct cx_srtp_key *out, const char **err)
{
	uint64_t tag;
	size_t tn = strspn(v, "0123456789");
	if (!tn || tn > 9 || v[tn] != ' ' || parse_u64(v, tn, &tag) < 0) {
		memset(out, 0, sizeof(*out));
		*err = "no tag";
		return -1;
	}
	out->tag = (unsigned)tag;
	return cx_srtp_parse_suite_key(v + tn, out, err);
}

int
cx_srtp_parse_option(const char *s, struct cx_srtp_opt *o, const char **err)
{
	memset(o, 0, sizeof(*o));
	while (*s == ' ')
		s++;
	size_t n = strcspn(s, " ");
	char tok[80];
	if (!n || n >= sizeof(tok) || !s[n]) {
		*err = "expected 'STREAM SUITE inline:KEY' (STREAM: address:port or SSRC)";
		return -1;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	char *colon = strrchr(tok, ':');
	if (colon) {
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);
		if (*end || colon[1] == '\0' || port == 0 || port > 65535) {
			*err = "bad port in STREAM";
			return -1;
		}
		*colon = '\0';
		char *a = tok;
		if (a[0] == '[' && colon > a + 1 && colon[-1] == ']') {
			colon[-1] = '\0';
			a++;
		}
		if (cx_addr_parse(a, &o->addr) != 0) {
			*err = "bad address in STREAM";
			return -1;
		}
		o->port = (uint16_t)port;
	} else {
		char *end;
		unsigned long long v = strtoull(tok, &end, 0);
		if (*end || tok[0] == '-' || v > 0xffffffffull) {
			*err = "STREAM is neither address:port nor an SSRC";
			return -1;
		}
		o->by_ssrc = true;
		o->ssrc = (uint32_t)v;
	}
	o->key.tag = 0;
	return cx_srtp_parse_suite_key(s + n, &o->key, err);
}

/* ---------- receive side ---------- */

struct cand {
	struct cx_srtp_key key;
	srtp_t s;                 /* NULL until first tried (or failed to make) */
	bool bad;                 /* libsrtp refused the policy */
	srtp_t s32;               /* _32 suites: SRTCP with a 32-bit tag, as libre
				     (baresip) sends it against RFC 4568 6.2.1 */
	bool bad32;
	uint32_t roc;             /* ROC the session started at */
};

struct cx_srtp_rx {
	uint32_t ssrc;
	struct cand c[CX_SRTP_MAX_KEYS + 1];  /* + the previous working key */
	size_t n;
	int cur;                  /* working candidate, -1 none */
	uint64_t decrypted, auth_fail, replayed, rtcp_ok, rtcp_fail, searched, rtcp_tag32;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void
init_srtp(void)
{
	srtp_init(); /* process-wide tables of libsrtp; checked by srtp_create */
}

struct cx_srtp_rx *
cx_srtp_rx_new(uint32_t ssrc)
{
	pthread_once(&init_once, init_srtp);
	struct cx_srtp_rx *rx = calloc(1, sizeof(*rx));
	if (rx) {
		rx->ssrc = ssrc;
		rx->cur = -1;
	}
	return rx;
}

static void
cand_clear(struct cand *c)
{
	if (c->s)
		srtp_dealloc(c->s);
	if (c->s32)
		srtp_dealloc(c->s32);
	c->s = c->s32 = NULL;
	c->bad = c->bad32 = false;
	c->roc = 0;
}

void
cx_srtp_rx_free(struct cx_srtp_rx *rx)
{
	if (!rx)
		return;
	for (size_t i = 0; i < rx->n; i++)
		cand_clear(&rx->c[i]);
	free(rx);
}

static bool
same_key(const struct cx_srtp_key *a, const struct cx_srtp_key *b)
{
	return a->suite == b->suite && a->n_master == b->n_master && a->mki_len == b->mki_len &&
	       !memcmp(a->m, b->m, sizeof(a->m[0]) * a->n_master);
}

void
cx_srtp_rx_set_keys(struct cx_srtp_rx *rx, const struct cx_srtp_key *keys, size_t n)
{
	if (n > CX_SRTP_MAX_KEYS)
		n = CX_SRTP_MAX_KEYS;
	bool same = n == rx->n;
	for (size_t i = 0; same && i < n; i++)
		same = same_key(&rx->c[i].key, &keys[i]) && rx->c[i].key.frame == keys[i].frame;
	if (same)
		return;
	struct cand keep = { 0 };
	bool kept = false;
	if (rx->cur >= 0) {
		keep = rx->c[rx->cur];
		rx->c[rx->cur].s = rx->c[rx->cur].s32 = NULL;
		kept = true;
	}
	for (size_t i = 0; i < rx->n; i++)
		cand_clear(&rx->c[i]);
	rx->n = 0;
	rx->cur = -1;
	for (size_t i = 0; i < n; i++) {
		if (kept && same_key(&keys[i], &keep.key)) {
			/* the working key announced again: keep its session (ROC, replay window) */
			rx->c[rx->n] = keep;
			rx->c[rx->n].key.frame = keep.key.frame;
			rx->cur = (int)rx->n++;
			kept = false;
			continue;
		}
		memset(&rx->c[rx->n], 0, sizeof(rx->c[0]));
		rx->c[rx->n++].key = keys[i];
	}
	if (kept) {
		rx->c[rx->n] = keep;
		rx->cur = (int)rx->n++;
		/* tried first still (it works), the new keys when it stops working */
	}
}

size_t
cx_srtp_rx_n_keys(const struct cx_srtp_rx *rx)
{
	return rx->n;
}

bool
cx_srtp_rx_working(const struct cx_srtp_rx *rx)
{
	return rx->decrypted || rx->rtcp_ok;
}

static bool
is_replay(srtp_err_status_t st)
{
	return st == srtp_err_status_replay_fail || st == srtp_err_status_replay_old;
}

static srtp_t
make_session(const struct cx_srtp_key *k, uint32_t ssrc, uint32_t roc, bool rtcp_as_rtp)
{
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	suites[k->suite].rtp(&pol.rtp);
	(rtcp_as_rtp ? suites[k->suite].rtp : suites[k->suite].rtcp)(&pol.rtcp);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = ssrc;
	pol.window_size = REPLAY_WINDOW;
	pol.allow_repeat_tx = 0;
	srtp_master_key_t mk[CX_SRTP_MAX_MASTER], *mkp[CX_SRTP_MAX_MASTER];
	uint8_t mki[CX_SRTP_MAX_MASTER][4];
	uint8_t key0[46];
	memcpy(key0, k->m[0].key, sizeof(key0));
	if (k->mki_len) {
		for (unsigned i = 0; i < k->n_master; i++) {
			for (unsigned b = 0; b < k->mki_len; b++)
				mki[i][b] = (uint8_t)(k->m[i].mki >> (8 * (k->mki_len - 1 - b)));
			mk[i].key = (unsigned char *)k->m[i].key;
			mk[i].mki_id = mki[i];
			mk[i].mki_size = k->mki_len;
			mkp[i] = &mk[i];
		}
		pol.keys = mkp;
		pol.num_master_keys = k->n_master;
	} else {
		pol.key = key0;
	}
	srtp_t s = NULL;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	if (roc && srtp_set_stream_roc(s, ssrc, roc) != srtp_err_status_ok) {
		srtp_dealloc(s);
		return NULL;
	}
	return s;
}

static srtp_err_status_t
unprotect(srtp_t s, const struct cx_srtp_key *k, bool rtcp, const uint8_t *pkt, size_t len, uint8_t *out,
	  size_t *out_len)
{
	memcpy(out, pkt, len);
	int l = (int)len;
	srtp_err_status_t st;
	if (rtcp)
		st = k->mki_len ? srtp_unprotect_rtcp_mki(s, out, &l, 1) : srtp_unprotect_rtcp(s, out, &l);
	else
		st = k->mki_len ? srtp_unprotect_mki(s, out, &l, 1) : srtp_unprotect(s, out, &l);
	if (st == srtp_err_status_ok)
		*out_len = (size_t)l;
	return st;
}

/* Tries candidate i (its session, made at ROC 0 if not yet). */
static srtp_err_status_t
try_cand(struct cx_srtp_rx *rx, size_t i, bool rtcp, const uint8_t *pkt, size_t len, uint8_t *out,
	 size_t *out_len)
{
	struct cand *c = &rx->c[i];
	if (!c->s && !c->bad && !(c->s = make_session(&c->key, rx->ssrc, 0, false)))
		c->bad = true;
	if (!c->s)
		return srtp_err_status_bad_param;
	srtp_err_status_t st = unprotect(c->s, &c->key, rtcp, pkt, len, out, out_len);
	if (st == srtp_err_status_ok || !rtcp || suites[c->key.suite].rtp == suites[c->key.suite].rtcp)
		return st;
	if (!c->s32 && !c->bad32 && !(c->s32 = make_session(&c->key, rx->ssrc, 0, true)))
		c->bad32 = true;
	if (!c->s32)
		return st;
	srtp_err_status_t st32 = unprotect(c->s32, &c->key, true, pkt, len, out, out_len);
	if (st32 == srtp_err_status_ok)
		rx->rtcp_tag32++;
	return st32 == srtp_err_status_ok || is_replay(st32) ? st32 : st;
}

/* A fresh session of candidate i at this ROC; kept if the packet authenticates. */
static srtp_err_status_t
try_roc(struct cx_srtp_rx *rx, size_t i, uint32_t roc, const uint8_t *pkt, size_t len, uint8_t *out,
	size_t *out_len)
{
	struct cand *c = &rx->c[i];
	srtp_t s = make_session(&c->key, rx->ssrc, roc, false);
	if (!s)
		return srtp_err_status_bad_param;
	srtp_err_status_t st = unprotect(s, &c->key, false, pkt, len, out, out_len);
	if (st == srtp_err_status_ok) {
		if (c->s)
			srtp_dealloc(c->s);
		c->s = s;
		c->roc = roc;
	} else {
		srtp_dealloc(s);
	}
	return st;
}

static enum cx_srtp_result
rx_packet(struct cx_srtp_rx *rx, bool rtcp, const uint8_t *pkt, size_t len, uint8_t *out, size_t *out_len)
{
	if (len < (rtcp ? 8u : 12u) || len > 65535)
		return CX_SRTP_BAD;
	if (!rx->n)
		return CX_SRTP_NO_KEY;
	uint64_t *ok = rtcp ? &rx->rtcp_ok : &rx->decrypted, *fail = rtcp ? &rx->rtcp_fail : &rx->auth_fail;
	srtp_err_status_t st;
	if (rx->cur >= 0) {
		st = try_cand(rx, (size_t)rx->cur, rtcp, pkt, len, out, out_len);
		if (st == srtp_err_status_ok) {
			(*ok)++;
			return CX_SRTP_OK;
		}
		if (is_replay(st)) {
			rx->replayed++;
			return CX_SRTP_REPLAY;
		}
	}
	for (size_t i = 0; i < rx->n; i++) {
		if ((int)i == rx->cur)
			continue;
		st = try_cand(rx, i, rtcp, pkt, len, out, out_len);
		if (st == srtp_err_status_ok) {
			rx->cur = (int)i;
			(*ok)++;
			return CX_SRTP_OK;
		}
	}
	/* Nothing authenticates at the ROC libsrtp assumed: the capture began
	 * after the sender's sequence number wrapped (or a long gap). SRTCP
	 * carries its index, it needs no search. */
	if (!rtcp && !rx->decrypted && rx->searched < SEARCH_PACKETS) {
		rx->searched++;
		for (uint32_t roc = 1; roc <= ROC_WINDOW; roc++) {
			for (size_t i = 0; i < rx->n; i++) {
				if (try_roc(rx, i, roc, pkt, len, out, out_len) == srtp_err_status_ok) {
					rx->cur = (int)i;
					(*ok)++;
					return CX_SRTP_OK;
				}
			}
		}
	}
	(*fail)++;
	return CX_SRTP_AUTH_FAIL;
}

enum cx_srtp_result
cx_srtp_rx_rtp(struct cx_srtp_rx *rx, const uint8_t *pkt, size_t len, uint8_t *out, size_t *out_len)
{
	return rx_packet(rx, false, pkt, len, out, out_len);
}

enum cx_srtp_result
cx_srtp_rx_rtcp(struct cx_srtp_rx *rx, const uint8_t *pkt, size_t len, uint8_t *out, size_t *out_len)
{
	return rx_packet(rx, true, pkt, len, out, out_len);
}

void
cx_srtp_rx_json(const struct cx_srtp_rx *rx, struct json_object *o)
{
	const struct cand *c = rx->cur >= 0 ? &rx->c[rx->cur] : rx->n ? &rx->c[0] : NULL;
	if (c) {
		json_object_object_add(o, "suite", json_object_new_string(cx_srtp_suite_name(c->key.suite)));
		json_object_object_add(o, "key_source", json_object_new_string(c->key.frame ? "sdp" : "option"));
		if (c->key.frame)
			json_object_object_add(o, "key_frame", json_object_new_int64((int64_t)c->key.frame));
		if (c->key.tag)
			json_object_object_add(o, "tag", json_object_new_int64(c->key.tag));
		if (c->key.mki_len)
			json_object_object_add(o, "mki_length", json_object_new_int(c->key.mki_len));
		json_object_object_add(o, "key_works", json_object_new_boolean(rx->cur >= 0));
		json_object_object_add(o, "roc_at_start", json_object_new_int64(c->roc));
	}
	json_object_object_add(o, "keys_tried", json_object_new_int64((int64_t)rx->n));
	json_object_object_add(o, "decrypted", json_object_new_int64((int64_t)rx->decrypted));
	json_object_object_add(o, "auth_failures", json_object_new_int64((int64_t)rx->auth_fail));
	json_object_object_add(o, "replayed", json_object_new_int64((int64_t)rx->replayed));
	json_object_object_add(o, "rtcp_decrypted", json_object_new_int64((int64_t)rx->rtcp_ok));
	json_object_object_add(o, "rtcp_auth_failures", json_object_new_int64((int64_t)rx->rtcp_fail));
	json_object_object_add(o, "rtcp_tag_32", json_object_new_int64((int64_t)rx->rtcp_tag32));
}
