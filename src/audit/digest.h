/* HTTP/SIP digest computation (RFC 2617, RFC 7616, RFC 8760) with OpenSSL,
 * and the hashcat/John $sip$ line format. */
#ifndef CX_AUDIT_DIGEST_H
#define CX_AUDIT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

enum cx_digest_alg { CX_DIG_MD5, CX_DIG_SHA256, CX_DIG_SHA512_256, CX_DIG_UNKNOWN };

struct cx_digest_params {
	const char *username, *realm, *nonce, *uri, *method;
	const char *qop;      /* NULL/"" (none), "auth", "auth-int" */
	const char *nc, *cnonce;
	const char *algorithm;/* "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256(-sess)" */
	const char *body_hash;/* hex H(entity body), for auth-int */
};

/* Parses the algorithm name; *sess set for "-sess" variants. */
enum cx_digest_alg cx_digest_alg(const char *name, bool *sess);

/* Lower-case hex of H(data) for the algorithm into out (>= 129 bytes). */
int cx_digest_hex(enum cx_digest_alg alg, const void *data, size_t n, char *out);

/* The expected "response" for a password; out >= 129 bytes. 0 ok. */
int cx_digest_response(const struct cx_digest_params *p, const char *password, char *out);

/* Parsed $sip$ line (fields point into the caller's copy of the line). */
struct cx_sip_hashline {
	char *server, *client, *user, *realm, *method, *uri_prefix, *uri_resource, *uri_suffix;
	char *nonce, *cnonce, *nc, *qop, *directive, *hash;
};
/* Splits a writable line in place. 0 ok, -1 not 14 fields. */
int cx_sip_hashline_parse(char *line, struct cx_sip_hashline *h);
/* True if password produces the line's hash. */
bool cx_sip_hashline_check(const struct cx_sip_hashline *h, const char *password);

#endif
