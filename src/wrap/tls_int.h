/* TLS decryption pieces shared by tls.c, tls_keys.c and tls_crypto.c.
 * Private to src/wrap/. The record and handshake parsing is tls.c's; the
 * cryptography is OpenSSL 3 EVP only (EVP_KDF TLS1-PRF and HKDF, EVP_CIPHER
 * AEAD and CBC, EVP_MAC HMAC). */
#ifndef CX_TLS_INT_H
#define CX_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- key store (tls_keys.c): NSS key log lines by client random ---- */
enum tls_secret {
	TLS_SEC_MASTER = 0,     /* CLIENT_RANDOM: TLS 1.2 master secret (48 bytes) */
	TLS_SEC_CHTS,           /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	TLS_SEC_SHTS,           /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	TLS_SEC_CTS0,           /* CLIENT_TRAFFIC_SECRET_0 */
	TLS_SEC_STS0,           /* SERVER_TRAFFIC_SECRET_0 */
	TLS_SEC_N
};
#define TLS_SECRET_MAX 64

struct tls_keys;
/* Owned: tls_keys_free(). */
struct tls_keys *tls_keys_new(void);
void tls_keys_free(struct tls_keys *k);
/* Takes the key log lines in text (NSS format: LABEL <client random hex>
 * <secret hex>; '#' comments; other labels such as EXPORTER_SECRET or
 * EARLY_TRAFFIC_SECRET counted as ignored). Returns the secrets taken. */
size_t tls_keys_parse(struct tls_keys *k, const char *text, size_t n);
/* Reads a key log file, and its size and SHA-256 (computed as it is read);
 * -1 with err filled when it cannot be read. */
int tls_keys_load_file(struct tls_keys *k, const char *path, uint8_t sha256[32], uint64_t *size,
		       char *err, size_t errlen);
/* The secret for this client random, NULL when the log has none. */
const uint8_t *tls_keys_find(const struct tls_keys *k, const uint8_t cr[32], enum tls_secret s,
			     size_t *len);
struct tls_keys_stats {
	uint64_t lines, secrets, randoms, ignored, bad, duplicates, dsb_blocks, dsb_other;
};
const struct tls_keys_stats *tls_keys_stats(const struct tls_keys *k);
/* A Decryption Secrets Block was read (type: its secrets type). */
void tls_keys_count_dsb(struct tls_keys *k, bool keylog);

/* ---- crypto (tls_crypto.c) ---- */
enum tls_cipher { TLS_C_NONE = 0, TLS_C_AES_GCM, TLS_C_CHACHA, TLS_C_AES_CBC };

struct tls_suite {
	uint16_t id;
	const char *name;
	bool tls13;
	bool rsa_kx, cbc;
	enum tls_cipher cipher;   /* TLS_C_NONE: listed but not decrypted (3DES) */
	uint8_t key_len;          /* bytes */
	const char *md;           /* PRF / HKDF hash: "SHA256" or "SHA384" */
	const char *mac;          /* CBC suites: HMAC hash ("SHA1", "SHA256", "SHA384") */
	uint8_t mac_len;
};
const struct tls_suite *tls_suite_by_id(uint16_t id);

/* One direction's record protection. */
struct tls_rstate {
	void *evp;                /* EVP_CIPHER_CTX, owned */
	const struct tls_suite *s;
	uint16_t version;         /* 0x0303 or 0x0304 */
	uint8_t key[32], iv[16], mac_key[48];
	uint8_t secret[TLS_SECRET_MAX]; /* TLS 1.3: the current traffic secret */
	size_t secret_len;
	uint64_t seq;
	bool etm;                 /* TLS 1.2 CBC with encrypt_then_mac */
	bool on;
};

/* TLS 1.3: keys from a traffic secret (RFC 8446 7.3). 0 or -1. */
int tls13_set_secret(struct tls_rstate *r, const struct tls_suite *s, const uint8_t *secret, size_t len);
/* TLS 1.3 KeyUpdate: the next traffic secret (RFC 8446 7.2). */
int tls13_key_update(struct tls_rstate *r);
/* TLS 1.2: both directions' keys from the master secret (RFC 5246 6.3). */
int tls12_set_keys(struct tls_rstate *client, struct tls_rstate *server, const struct tls_suite *s,
		   const uint8_t master[48], const uint8_t cr[32], const uint8_t sr[32], bool etm);
/* Decrypts one record's body (n bytes at in) into out (n bytes of room). Returns the plaintext length (its
 * content type in *type: TLS 1.3's inner type, or the outer one) or -1 when
 * the tag or MAC does not verify (the sequence number moves on either way). */
long tls_decrypt(struct tls_rstate *r, uint8_t type, const uint8_t *in, size_t n, uint8_t *out,
		 uint8_t *out_type);
void tls_rstate_clear(struct tls_rstate *r);

#endif
