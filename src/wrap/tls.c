/* TLS on a reassembled TCP connection: the record layer and the handshake
 * that travels in clear (ClientHello: SNI, offered versions; ServerHello:
 * version, suite; TLS 1.2 Certificate: the subjects, through OpenSSL's
 * d2i_X509). Records are counted per direction; what follows the change to
 * encryption is not opened (no key log support yet): the report says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/x509.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "wrap/wrap_int.h"

#define TLS_MAX_RECORD (16384u + 2048u)
#define TLS_MAX_HS (64u * 1024u)
#define TLS_MAX_CERTS 4

struct tls_half {
	uint8_t *buf;          /* record bytes not yet complete */
	size_t len, cap;
	uint8_t *hs;           /* handshake bytes not yet a whole message */
	size_t hlen;
	bool encrypted;        /* after ChangeCipherSpec (1.2) or ServerHello (1.3) */
	bool lost;
	uint64_t records, app_records, app_bytes, alerts;
};

struct tls_conn {
	struct tls_half h[2];
	char sni[128];
	uint16_t version;      /* negotiated (supported_versions or legacy) */
	uint16_t suite;
	bool hello[2];
	char subjects[TLS_MAX_CERTS][256];
	int n_subjects;
	uint64_t errors;
};

static const struct { uint16_t id; const char *name; bool rsa_kx, cbc; } suites[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256", false, false },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", false, false },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", false, false },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, false },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, false },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, false },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, false },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, false },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, false },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, true },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, true },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, true },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, true },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, true },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, true },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", true, false },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", true, false },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", true, true },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", true, true },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", true, true },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", true, true },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", true, true },
};

static int
suite_index(uint16_t id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(*suites); i++)
		if (suites[i].id == id)
			return (int)i;
	return -1;
}

bool
cx_tls_looks_like(const uint8_t *d, size_t n)
{
	/* a handshake record holding a ClientHello */
	struct cx_cur c = cx_cur_make(d, n);
	uint8_t type = cx_get_u8(&c), major = cx_get_u8(&c), minor = cx_get_u8(&c);
	uint16_t len = cx_get_be16(&c);
	uint8_t hs = cx_get_u8(&c);
	return !c.err && type == 22 && major == 3 && minor <= 4 && len >= 4 && len <= TLS_MAX_RECORD && hs == 1;
}

static void
bad(struct cx_wrap *w, struct tls_conn *t, uint64_t frame, const char *kind, const char *what)
{
	char name[64];
	snprintf(name, sizeof(name), "error.tls.%s", kind);
	cx_stats_add(w->ctx->stats, name, 1);
	t->errors++;
	cx_findings_add(w->ctx->findings, CX_SEV_LOW, "tls.malformed", frame, "TLS: %s", what);
}

static void
extensions(struct cx_cur *c, struct tls_conn *t, bool server)
{
	uint16_t total = cx_get_be16(c);
	struct cx_cur e = cx_take(c, total);
	while (cx_cur_left(&e) >= 4) {
		uint16_t type = cx_get_be16(&e), len = cx_get_be16(&e);
		struct cx_cur v = cx_take(&e, len);
		if (type == 0 && !server) {
			/* server_name: list of (type, name) */
			cx_skip(&v, 2);
			uint8_t nt = cx_get_u8(&v);
			uint16_t nl = cx_get_be16(&v);
			if (!v.err && nt == 0 && nl <= cx_cur_left(&v)) {
				size_t o = 0;
				for (uint16_t i = 0; i < nl && o + 1 < sizeof(t->sni); i++) {
					uint8_t ch = v.p[i];
					t->sni[o++] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '_';
				}
				t->sni[o] = '\0';
			}
		} else if (type == 43 && server) {
			uint16_t sv = cx_get_be16(&v);
			if (!v.err)
				t->version = sv;
		}
	}
}

static void
certificates(struct cx_cur *c, struct tls_conn *t)
{
	uint32_t total = cx_get_be24(c);
	struct cx_cur l = cx_take(c, total);
	while (cx_cur_left(&l) >= 3 && t->n_subjects < TLS_MAX_CERTS) {
		uint32_t n = cx_get_be24(&l);
		struct cx_cur der = cx_take(&l, n);
		if (der.err)
			break;
		const unsigned char *p = der.p;
		X509 *x = d2i_X509(NULL, &p, (long)n);
		if (!x)
			continue;
		char *s = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
		if (s) {
			size_t o = 0;
			for (size_t i = 0; s[i] && o + 1 < sizeof(t->subjects[0]); i++)
				t->subjects[t->n_subjects][o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
			t->subjects[t->n_subjects][o] = '\0';
			t->n_subjects++;
			OPENSSL_free(s);
		}
		X509_free(x);
	}
}

/* One whole handshake message. */
static void
handshake(struct cx_wrap *w, struct tls_conn *t, int dir, uint8_t type, struct cx_cur *m, uint64_t frame)
{
	(void)w;
	(void)frame;
	if (type == 1 && dir == 0) {
		t->hello[0] = true;
		cx_skip(m, 2 + 32);
		cx_skip(m, cx_get_u8(m));
		cx_skip(m, cx_get_be16(m));
		cx_skip(m, cx_get_u8(m));
		if (cx_cur_left(m) >= 2)
			extensions(m, t, false);
	} else if (type == 2 && dir == 1) {
		t->hello[1] = true;
		t->version = cx_get_be16(m);
		cx_skip(m, 32);
		cx_skip(m, cx_get_u8(m));
		t->suite = cx_get_be16(m);
		cx_skip(m, 1);
		if (cx_cur_left(m) >= 2)
			extensions(m, t, true);
		if (t->version == 0x0304)
			t->h[1].encrypted = true; /* the rest of the server's flight is encrypted */
	} else if (type == 11 && dir == 1) {
		certificates(m, t);
	}
}

static void
record(struct cx_wrap *w, struct tls_conn *t, int dir, uint8_t type, const uint8_t *d, size_t n, uint64_t frame)
{
	struct tls_half *h = &t->h[dir];
	h->records++;
	if (type == 20) {
		/* TLS 1.3 sends it for middlebox compatibility only */
		if (t->version != 0x0304)
			h->encrypted = true;
		return;
	}
	if (type == 21) {
		h->alerts++;
		return;
	}
	if (type == 23 || h->encrypted) {
		h->app_records++;
		h->app_bytes += n;
		if (t->version == 0x0304 && dir == 0)
			h->encrypted = true;
		return;
	}
	if (type != 22) {
		bad(w, t, frame, "record_type", "record of an unknown content type");
		return;
	}
	if (h->hlen + n > TLS_MAX_HS) {
		bad(w, t, frame, "handshake_too_long", "handshake message longer than 64 KiB");
		h->hlen = 0;
		return;
	}
	if (!h->hlen && !n)
		return; /* realloc(hs, 0) would free hs and return NULL (glibc) */
	uint8_t *nb = realloc(h->hs, h->hlen + n);
	if (!nb)
		return;
	h->hs = nb;
	memcpy(h->hs + h->hlen, d, n);
	h->hlen += n;
	size_t off = 0;
	while (h->hlen - off >= 4) {
		struct cx_cur c = cx_cur_make(h->hs + off, h->hlen - off);
		uint8_t ht = cx_get_u8(&c);
		uint32_t hl = cx_get_be24(&c);
		if (hl > cx_cur_left(&c))
			break;
		struct cx_cur m = cx_take(&c, hl);
		handshake(w, t, dir, ht, &m, frame);
		off += 4 + hl;
	}
	memmove(h->hs, h->hs + off, h->hlen - off);
	h->hlen -= off;
}

void
cx_tls_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *d, size_t n)
{
	(void)ts;
	struct tls_conn *t = c->user;
	if (!t && !(t = c->user = calloc(1, sizeof(*t))))
		return;
	struct tls_half *h = &t->h[dir];
	if (h->lost)
		return;
	if (h->len + n > h->cap) {
		size_t nc = h->cap ? h->cap : 4096;
		while (nc < h->len + n)
			nc *= 2;
		uint8_t *nb = realloc(h->buf, nc);
		if (!nb)
			return;
		h->buf = nb;
		h->cap = nc;
	}
	memcpy(h->buf + h->len, d, n);
	h->len += n;
	size_t off = 0;
	while (h->len - off >= 5) {
		struct cx_cur r = cx_cur_make(h->buf + off, h->len - off);
		uint8_t type = cx_get_u8(&r), major = cx_get_u8(&r);
		cx_skip(&r, 1);
		uint16_t len = cx_get_be16(&r);
		if (major != 3 || len > TLS_MAX_RECORD || type < 20 || type > 24) {
			bad(w, t, frame, "record_header", "record header out of range; the rest of this direction is not read");
			h->lost = true;
			off = h->len;
			break;
		}
		if (cx_cur_left(&r) < len)
			break;
		record(w, t, dir, type, r.p, len, frame);
		off += 5u + len;
	}
	memmove(h->buf, h->buf + off, h->len - off);
	h->len -= off;
}

void
cx_tls_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	(void)w;
	(void)missing;
	struct tls_conn *t = c->user;
	if (t)
		t->h[dir].lost = true; /* record boundaries are gone */
}

void
cx_tls_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c)
{
	struct tls_conn *t = c->user;
	if (!t)
		return;
	int si = suite_index(t->suite);
	char suite[64];
	if (si >= 0)
		snprintf(suite, sizeof(suite), "%s", suites[si].name);
	else
		snprintf(suite, sizeof(suite), "0x%04x", t->suite);
	const char *ver = t->version == 0x0304 ? "TLS 1.3" : t->version == 0x0303 ? "TLS 1.2" :
			  t->version == 0x0302 ? "TLS 1.1" : t->version == 0x0301 ? "TLS 1.0" :
			  t->version == 0x0300 ? "SSL 3.0" : "?";
	if (t->hello[1] && si >= 0 && t->version <= 0x0303) {
		if (suites[si].rsa_kx)
			cx_findings_add(w->ctx->findings, CX_SEV_MEDIUM, "tls.rsa_key_exchange", c->first_frame,
					"%s with %s: RSA key exchange, no forward secrecy (whoever has the server's key "
					"can open this and every recorded session)", ver, suite);
		if (suites[si].cbc)
			cx_findings_add(w->ctx->findings, CX_SEV_LOW, "tls.cbc_suite", c->first_frame,
					"%s with %s: a CBC suite (MAC-then-encrypt, padding-oracle prone)", ver, suite);
	}
	if (!w->tls_conns)
		w->tls_conns = json_object_new_array();
	if (json_object_array_length(w->tls_conns) < WRAP_MAX_LISTED) {
		char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "tcp_connection", json_object_new_int64((int64_t)c->id));
		json_object_object_add(o, "client", json_object_new_string(cx_endpoint_str(&c->addr[0], c->port[0], a)));
		json_object_object_add(o, "server", json_object_new_string(cx_endpoint_str(&c->addr[1], c->port[1], b)));
		json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)c->first_frame));
		json_object_object_add(o, "version", t->hello[1] ? json_object_new_string(ver) : NULL);
		json_object_object_add(o, "suite", t->hello[1] ? json_object_new_string(suite) : NULL);
		json_object_object_add(o, "sni", t->sni[0] ? json_object_new_string(t->sni) : NULL);
		struct json_object *subj = json_object_new_array();
		for (int i = 0; i < t->n_subjects; i++)
			json_object_array_add(subj, json_object_new_string(t->subjects[i]));
		json_object_object_add(o, "certificate_subjects", subj);
		json_object_object_add(o, "decrypted", json_object_new_boolean(false));
		json_object_object_add(o, "why_not", json_object_new_string(
			!t->hello[1] ? "no ServerHello captured" : "no key log support (--tls-keylog not built yet)"));
		const char *dn[2] = { "client_to_server", "server_to_client" };
		for (int d = 0; d < 2; d++) {
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "records", json_object_new_int64((int64_t)t->h[d].records));
			json_object_object_add(x, "encrypted_records", json_object_new_int64((int64_t)t->h[d].app_records));
			json_object_object_add(x, "encrypted_bytes", json_object_new_int64((int64_t)t->h[d].app_bytes));
			json_object_object_add(x, "alerts", json_object_new_int64((int64_t)t->h[d].alerts));
			json_object_object_add(o, dn[d], x);
		}
		json_object_object_add(o, "errors", json_object_new_int64((int64_t)t->errors));
		json_object_array_add(w->tls_conns, o);
	} else {
		w->tls_conns_dropped++;
	}
	for (int d = 0; d < 2; d++) {
		free(t->h[d].buf);
		free(t->h[d].hs);
	}
	free(t);
	c->user = NULL;
}
