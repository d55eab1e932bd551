/* Digest computation through OpenSSL EVP; no hand-written hash. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "audit/digest.h"
#include "util/text.h"

enum cx_digest_alg
cx_digest_alg(const char *name, bool *sess)
{
	*sess = false;
	if (!name || !*name)
		return CX_DIG_MD5; /* RFC 2617: absent means MD5 */
	char b[32];
	snprintf(b, sizeof(b), "%s", name);
	size_t l = strlen(b);
	if (l > 5 && !strcasecmp(b + l - 5, "-sess")) {
		*sess = true;
		b[l - 5] = '\0';
	}
	if (!strcasecmp(b, "MD5"))
		return CX_DIG_MD5;
	if (!strcasecmp(b, "SHA-256"))
		return CX_DIG_SHA256;
	if (!strcasecmp(b, "SHA-512-256"))
		return CX_DIG_SHA512_256;
	return CX_DIG_UNKNOWN;
}

static const EVP_MD *
md_of(enum cx_digest_alg alg)
{
	switch (alg) {
	case CX_DIG_MD5: return EVP_md5();
	case CX_DIG_SHA256: return EVP_sha256();
	case CX_DIG_SHA512_256: return EVP_sha512_256();
	default: return NULL;
	}
}

int
cx_digest_hex(enum cx_digest_alg alg, const void *data, size_t n, char *out)
{
	const EVP_MD *md = md_of(alg);
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	if (!md || !EVP_Digest(data, n, h, &hl, md, NULL))
		return -1;
	cx_hex(h, hl, out);
	return 0;
}

static int
hjoin(enum cx_digest_alg alg, char *out, const char *fmt1, const char *const *parts, size_t n)
{
	(void)fmt1;
	char buf[4096];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);
		if (o + l + 2 > sizeof(buf))
			return -1;
		if (i)
			buf[o++] = ':';
		memcpy(buf + o, parts[i], l);
		o += l;
	}
	return cx_digest_hex(alg, buf, o, out);
}

int
cx_digest_response(const struct cx_digest_params *p, const char *password, char *out)
{
	bool sess;
	enum cx_digest_alg alg = cx_digest_alg(p->algorithm, &sess);
	if (alg == CX_DIG_UNKNOWN || !p->username || !p->realm || !p->nonce || !p->uri || !p->method)
		return -1;
	char ha1[129], ha2[129];
	const char *a1[] = { p->username, p->realm, password };
	if (hjoin(alg, ha1, NULL, a1, 3) < 0)
		return -1;
	if (sess) {
		const char *s[] = { ha1, p->nonce, p->cnonce ? p->cnonce : "" };
		char tmp[129];
		if (hjoin(alg, tmp, NULL, s, 3) < 0)
			return -1;
		strcpy(ha1, tmp);
	}
	bool qop = p->qop && *p->qop;
	bool authint = qop && !strcasecmp(p->qop, "auth-int");
	if (authint) {
		if (!p->body_hash)
			return -1;
		const char *a2[] = { p->method, p->uri, p->body_hash };
		if (hjoin(alg, ha2, NULL, a2, 3) < 0)
			return -1;
	} else {
		const char *a2[] = { p->method, p->uri };
		if (hjoin(alg, ha2, NULL, a2, 2) < 0)
			return -1;
	}
	if (qop) {
		const char *r[] = { ha1, p->nonce, p->nc ? p->nc : "", p->cnonce ? p->cnonce : "", p->qop, ha2 };
		return hjoin(alg, out, NULL, r, 6);
	}
	const char *r[] = { ha1, p->nonce, ha2 };
	return hjoin(alg, out, NULL, r, 3);
}

int
cx_sip_hashline_parse(char *line, struct cx_sip_hashline *h)
{
	size_t l = strlen(line);
	while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
		line[--l] = '\0';
	if (strncmp(line, "$sip$*", 6))
		return -1;
	char *f[14];
	char *p = line + 6;
	for (int i = 0; i < 14; i++) {
		f[i] = p;
		char *star = strchr(p, '*');
		if (i < 13) {
			if (!star)
				return -1;
			*star = '\0';
			p = star + 1;
		} else if (star) {
			return -1;
		}
	}
	h->server = f[0]; h->client = f[1]; h->user = f[2]; h->realm = f[3]; h->method = f[4];
	h->uri_prefix = f[5]; h->uri_resource = f[6]; h->uri_suffix = f[7]; h->nonce = f[8];
	h->cnonce = f[9]; h->nc = f[10]; h->qop = f[11]; h->directive = f[12]; h->hash = f[13];
	return 0;
}

bool
cx_sip_hashline_check(const struct cx_sip_hashline *h, const char *password)
{
	char uri[1024];
	if (*h->uri_suffix)
		snprintf(uri, sizeof(uri), "%s:%s:%s", h->uri_prefix, h->uri_resource, h->uri_suffix);
	else
		snprintf(uri, sizeof(uri), "%s:%s", h->uri_prefix, h->uri_resource);
	struct cx_digest_params p = { h->user, h->realm, h->nonce, uri, h->method, h->qop, h->nc,
				      h->cnonce, h->directive, NULL };
	char out[129];
	return cx_digest_response(&p, password, out) == 0 && !strcasecmp(out, h->hash);
}
