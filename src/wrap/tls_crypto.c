/* TLS key schedules and record decryption, all through OpenSSL 3's EVP:
 * EVP_KDF "TLS1-PRF" (RFC 5246 5), EVP_KDF "HKDF" in expand-only mode for
 * HKDF-Expand-Label (RFC 8446 7.1), EVP_CIPHER for AES-GCM, ChaCha20-Poly1305
 * and AES-CBC, EVP_MAC "HMAC" for the CBC suites' MAC. Nothing here parses
 * records: tls.c hands over one record body and its type. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include "wrap/tls_int.h"

#define S13(id, n, c, k, md) { id, n, true, false, false, c, k, md, NULL, 0 }
#define S12(id, n, rsa, c, k, md) { id, n, false, rsa, false, c, k, md, NULL, 0 }
#define CBC(id, n, rsa, k, mac, ml, md) { id, n, false, rsa, true, TLS_C_AES_CBC, k, md, mac, ml }
static const struct tls_suite suites[] = {
	S13(0x1301, "TLS_AES_128_GCM_SHA256", TLS_C_AES_GCM, 16, "SHA256"),
	S13(0x1302, "TLS_AES_256_GCM_SHA384", TLS_C_AES_GCM, 32, "SHA384"),
	S13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLS_C_CHACHA, 32, "SHA256"),
	S12(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, TLS_C_AES_GCM, 16, "SHA256"),
	S12(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, TLS_C_AES_GCM, 32, "SHA384"),
	S12(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, TLS_C_AES_GCM, 16, "SHA256"),
	S12(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, TLS_C_AES_GCM, 32, "SHA384"),
	S12(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", false, TLS_C_AES_GCM, 16, "SHA256"),
	S12(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false, TLS_C_AES_GCM, 32, "SHA384"),
	S12(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_C_CHACHA, 32, "SHA256"),
	S12(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_C_CHACHA, 32, "SHA256"),
	S12(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_C_CHACHA, 32, "SHA256"),
	CBC(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, 16, "SHA1", 20, "SHA256"),
	CBC(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, 32, "SHA1", 20, "SHA256"),
	CBC(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, 16, "SHA256", 32, "SHA256"),
	CBC(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, 32, "SHA384", 48, "SHA384"),
	CBC(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, 16, "SHA1", 20, "SHA256"),
	CBC(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, 32, "SHA1", 20, "SHA256"),
	CBC(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", false, 16, "SHA256", 32, "SHA256"),
	CBC(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", false, 32, "SHA384", 48, "SHA384"),
	S12(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", true, TLS_C_AES_GCM, 16, "SHA256"),
	S12(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", true, TLS_C_AES_GCM, 32, "SHA384"),
	CBC(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", true, 16, "SHA1", 20, "SHA256"),
	CBC(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", true, 32, "SHA1", 20, "SHA256"),
	CBC(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", true, 16, "SHA256", 32, "SHA256"),
	CBC(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", true, 32, "SHA256", 32, "SHA256"),
	/* named for the report and the findings, not decrypted */
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", false, true, true, TLS_C_NONE, 0, "SHA256", NULL, 0 },
};

const struct tls_suite *
tls_suite_by_id(uint16_t id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(*suites); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

static size_t
md_len(const char *md)
{
	return !strcmp(md, "SHA384") ? 48 : !strcmp(md, "SHA1") ? 20 : 32;
}

/* HKDF-Expand-Label(secret, label, "", out_len) */
static int
expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label, uint8_t *out,
	     size_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = strlen(label);
	if (ll + 6 > 255)
		return -1;
	info[0] = (uint8_t)(out_len >> 8);
	info[1] = (uint8_t)out_len;
	info[2] = (uint8_t)(6 + ll);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, ll);
	info[9 + ll] = 0; /* empty context */
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -1;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 10 + ll),
		OSSL_PARAM_construct_end(),
	};
	int rc = EVP_KDF_derive(kc, out, out_len, p) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kc);
	return rc;
}

static int
prf(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *s1,
    const uint8_t *s2, uint8_t *out, size_t out_len)
{
	/* seed = label || s1 || s2 (the KDF concatenates its seed parameters) */
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -1;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)s1, 32),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)s2, 32),
		OSSL_PARAM_construct_end(),
	};
	int rc = EVP_KDF_derive(kc, out, out_len, p) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kc);
	return rc;
}

static const EVP_CIPHER *
cipher_of(const struct tls_suite *s)
{
	switch (s->cipher) {
	case TLS_C_AES_GCM: return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case TLS_C_CHACHA: return EVP_chacha20_poly1305();
	case TLS_C_AES_CBC: return s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	default: return NULL;
	}
}

static int
prepare(struct tls_rstate *r, const struct tls_suite *s)
{
	if (!cipher_of(s))
		return -1;
	if (!r->evp && !(r->evp = EVP_CIPHER_CTX_new()))
		return -1;
	r->s = s;
	r->seq = 0;
	r->on = true;
	return 0;
}

int
tls13_set_secret(struct tls_rstate *r, const struct tls_suite *s, const uint8_t *secret, size_t len)
{
	if (len > sizeof(r->secret) || len != md_len(s->md) || prepare(r, s) < 0)
		return -1;
	memcpy(r->secret, secret, len);
	r->secret_len = len;
	r->version = 0x0304;
	if (expand_label(s->md, secret, len, "key", r->key, s->key_len) < 0 ||
	    expand_label(s->md, secret, len, "iv", r->iv, 12) < 0) {
		r->on = false;
		return -1;
	}
	return 0;
}

int
tls13_key_update(struct tls_rstate *r)
{
	if (!r->on || r->version != 0x0304)
		return -1;
	uint8_t next[TLS_SECRET_MAX];
	if (expand_label(r->s->md, r->secret, r->secret_len, "traffic upd", next, r->secret_len) < 0)
		return -1;
	int rc = tls13_set_secret(r, r->s, next, r->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

int
tls12_set_keys(struct tls_rstate *c, struct tls_rstate *sv, const struct tls_suite *s,
	       const uint8_t master[48], const uint8_t cr[32], const uint8_t sr[32], bool etm)
{
	size_t mac = s->cipher == TLS_C_AES_CBC ? s->mac_len : 0;
	size_t iv = s->cipher == TLS_C_AES_GCM ? 4 : s->cipher == TLS_C_CHACHA ? 12 : 0;
	uint8_t kb[2 * 48 + 2 * 32 + 2 * 12];
	size_t need = 2 * mac + 2 * (size_t)s->key_len + 2 * iv;
	if (prepare(c, s) < 0 || prepare(sv, s) < 0 ||
	    prf(s->md, master, 48, "key expansion", sr, cr, kb, need) < 0) {
		c->on = sv->on = false;
		return -1;
	}
	/* client MAC, server MAC, client key, server key, client IV, server IV */
	size_t o = 0;
	memcpy(c->mac_key, kb + o, mac), o += mac;
	memcpy(sv->mac_key, kb + o, mac), o += mac;
	memcpy(c->key, kb + o, s->key_len), o += s->key_len;
	memcpy(sv->key, kb + o, s->key_len), o += s->key_len;
	memcpy(c->iv, kb + o, iv), o += iv;
	memcpy(sv->iv, kb + o, iv);
	c->version = sv->version = 0x0303;
	c->etm = sv->etm = etm && s->cipher == TLS_C_AES_CBC;
	OPENSSL_cleanse(kb, sizeof(kb));
	return 0;
}

static long
aead(struct tls_rstate *r, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
     const uint8_t *ct, size_t n, const uint8_t tag[16], uint8_t *out)
{
	EVP_CIPHER_CTX *x = r->evp;
	int l1 = 0, l2 = 0;
	if (EVP_DecryptInit_ex(x, cipher_of(r->s), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(x, NULL, NULL, r->key, nonce) != 1 ||
	    EVP_DecryptUpdate(x, NULL, &l1, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(x, out, &l1, ct, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1 ||
	    EVP_DecryptFinal_ex(x, out + l1, &l2) != 1)
		return -1;
	return l1 + l2;
}

static void
seq_aad(uint8_t aad[13], uint64_t seq, uint8_t type, uint16_t version, size_t len)
{
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

/* HMAC(mac_key, seq || type || version || length || data) against want */
static bool
mac_ok(struct tls_rstate *r, uint8_t type, const uint8_t *d, size_t n, const uint8_t *want)
{
	uint8_t hdr[13], got[EVP_MAX_MD_SIZE];
	seq_aad(hdr, r->seq, type, r->version, n);
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = m ? EVP_MAC_CTX_new(m) : NULL;
	EVP_MAC_free(m);
	if (!mc)
		return false;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)r->s->mac, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t gl = 0;
	bool ok = EVP_MAC_init(mc, r->mac_key, r->s->mac_len, p) == 1 && EVP_MAC_update(mc, hdr, 13) == 1 &&
		  EVP_MAC_update(mc, d, n) == 1 && EVP_MAC_final(mc, got, &gl, sizeof(got)) == 1 &&
		  gl == r->s->mac_len && CRYPTO_memcmp(got, want, gl) == 0;
	EVP_MAC_CTX_free(mc);
	return ok;
}

static long
cbc(struct tls_rstate *r, uint8_t type, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t ml = r->s->mac_len;
	if (r->etm) {
		/* RFC 7366: the MAC covers IV || ciphertext and comes last */
		if (n < 16 + 16 + ml || (n - ml) % 16)
			return -1;
		if (!mac_ok(r, type, in, n - ml, in + n - ml))
			return -1;
		n -= ml;
	} else if (n < 16 + 16 || n % 16 || n < 16 + ml + 1) {
		return -1;
	}
	EVP_CIPHER_CTX *x = r->evp;
	int l1 = 0, l2 = 0;
	if (EVP_DecryptInit_ex(x, cipher_of(r->s), NULL, r->key, in) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x, 0) != 1 ||
	    EVP_DecryptUpdate(x, out, &l1, in + 16, (int)(n - 16)) != 1 ||
	    EVP_DecryptFinal_ex(x, out + l1, &l2) != 1)
		return -1;
	size_t pl = (size_t)(l1 + l2);
	uint8_t pad = out[pl - 1];
	if ((size_t)pad + 1 > pl)
		return -1;
	uint8_t bad = 0;
	for (size_t i = pl - 1 - pad; i < pl; i++)
		bad |= out[i] ^ pad;
	if (bad)
		return -1;
	pl -= (size_t)pad + 1;
	if (r->etm)
		return (long)pl;
	if (pl < ml)
		return -1;
	pl -= ml;
	/* MAC-then-encrypt: the MAC over the plaintext sits before the padding.
	 * (Timing does not matter here: nobody is answering an oracle.) */
	if (!mac_ok(r, type, out, pl, out + pl))
		return -1;
	return (long)pl;
}

long
tls_decrypt(struct tls_rstate *r, uint8_t type, const uint8_t *in, size_t n, uint8_t *out,
	    uint8_t *out_type)
{
	if (!r->on)
		return -1;
	long got = -1;
	uint8_t nonce[12];
	*out_type = type;
	if (r->version == 0x0304) {
		/* RFC 8446 5.2/5.3: nonce = iv ^ seq; AAD = the record header */
		if (n < 17 || n > 16384 + 256)
			goto done;
		memcpy(nonce, r->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(r->seq >> (56 - 8 * i));
		uint8_t aad[5] = { type, 3, 3, (uint8_t)(n >> 8), (uint8_t)n };
		got = aead(r, nonce, aad, 5, in, n - 16, in + n - 16, out);
		if (got < 0)
			goto done;
		/* the inner type is the last non-zero byte */
		while (got > 0 && out[got - 1] == 0)
			got--;
		if (got == 0) {
			got = -1;
			goto done;
		}
		*out_type = out[--got];
	} else if (r->s->cipher == TLS_C_AES_GCM) {
		/* RFC 5288: 8-byte explicit nonce, salt from the key block */
		if (n < 8 + 16)
			goto done;
		memcpy(nonce, r->iv, 4);
		memcpy(nonce + 4, in, 8);
		uint8_t aad[13];
		seq_aad(aad, r->seq, type, r->version, n - 24);
		got = aead(r, nonce, aad, 13, in + 8, n - 24, in + n - 16, out);
	} else if (r->s->cipher == TLS_C_CHACHA) {
		/* RFC 7905: nonce = iv ^ seq, no explicit part */
		if (n < 16)
			goto done;
		memcpy(nonce, r->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(r->seq >> (56 - 8 * i));
		uint8_t aad[13];
		seq_aad(aad, r->seq, type, r->version, n - 16);
		got = aead(r, nonce, aad, 13, in, n - 16, in + n - 16, out);
	} else if (r->s->cipher == TLS_C_AES_CBC) {
		got = cbc(r, type, in, n, out);
	}
done:
	r->seq++;
	return got;
}

void
tls_rstate_clear(struct tls_rstate *r)
{
	EVP_CIPHER_CTX_free(r->evp);
	OPENSSL_cleanse(r, sizeof(*r));
}
