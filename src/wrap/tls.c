/* TLS on a reassembled TCP connection: the record layer, the handshake
 * (ClientHello: client random, SNI; ServerHello: server random, version,
 * suite, encrypt_then_mac, HelloRetryRequest; Certificate: the subjects,
 * through OpenSSL's d2i_X509) and, when the key store (tls_keys.c: key log,
 * pcapng Decryption Secrets Blocks) holds this connection's client random,
 * the records decrypted (tls_crypto.c). The plaintext is handed to SIP's
 * TCP stream parser, or to the WebSocket layer when it starts with an HTTP
 * Upgrade (WSS), through an inner connection of our own whose transport
 * says "TLS 1.3" / "TLS 1.2" / "WSS". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/x509.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "output/callpcap.h"
#include "callextract/wrap.h"
#include "wrap/tls_int.h"
#include "wrap/wrap_int.h"
#include "util/text.h"

#define TLS_MAX_RECORD (16384u + 2048u)
#define TLS_MAX_HS (64u * 1024u)
#define TLS_MAX_CERTS 4
/* After a gap, the records lost are not known: sequence numbers up to this
 * many ahead are tried on the first plausible record (a whole lost flight
 * of a busy SIP trunk is a few dozen records). */
#define TLS_RESYNC_SEQS 512u
/* Decryptions a direction may spend looking for its records again, over
 * the whole connection: bytes that only look like record headers would
 * otherwise cost TLS_RESYNC_SEQS decryptions per byte. */
#define TLS_RESYNC_BUDGET (16u * TLS_RESYNC_SEQS)

enum inner_kind { IN_NONE = 0, IN_SIP, IN_WS, IN_OTHER };

struct tls_half {
	uint8_t *buf;          /* record bytes not yet complete */
	size_t len, cap;
	uint8_t *hs;           /* handshake bytes not yet a whole message */
	size_t hlen;
	bool encrypted;        /* after ChangeCipherSpec (1.2) or ServerHello (1.3) */
	bool lost;             /* the rest of this direction is not read */
	bool resync;           /* after a gap: looking for the next record that opens */
	uint64_t lost_frame, gaps, resyncs; /* lost_frame: the first gap's */
	uint32_t resync_tries;  /* decryptions spent resynchronising so far */
	uint64_t last_gap_frame;
	struct tls_rstate rs;  /* record protection, when the keys are known */
	uint64_t records, app_records, app_bytes, alerts;
	uint64_t decrypted, failed, undecrypted, key_updates, plain_bytes;
	struct cx_cp_spans sp;  /* frames of the buffered bytes, for the call's capture */
};

struct tls_conn {
	struct tls_half h[2];
	char sni[128];
	uint16_t version;      /* negotiated (supported_versions or legacy) */
	uint16_t suite;
	bool hello[2];
	bool hrr;              /* a HelloRetryRequest was seen */
	bool etm;              /* encrypt_then_mac in the ServerHello */
	uint8_t cr[32], sr[32];
	bool have_cr;
	const char *why_not;   /* static; NULL while nothing went wrong */
	bool keyed;            /* the key store had this connection's secrets */
	char subjects[TLS_MAX_CERTS][256];
	int n_subjects;
	uint64_t errors;
	enum inner_kind kind;
	struct cx_tcp_conn in; /* the plaintext's connection, for SIP or WebSocket */
};

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

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

static const char *
version_name(uint16_t v)
{
	return v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : v == 0x0302 ? "TLS 1.1" :
	       v == 0x0301 ? "TLS 1.0" : v == 0x0300 ? "SSL 3.0" : "?";
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
		} else if (type == 22 && server) {
			t->etm = true; /* RFC 7366: the server agreed */
		}
	}
}

/* TLS 1.2 Certificate, or (tls13) TLS 1.3's with its request context and
 * per-certificate extensions. */
static void
certificates(struct cx_cur *c, struct tls_conn *t, bool tls13)
{
	if (tls13)
		cx_skip(c, cx_get_u8(c));
	uint32_t total = cx_get_be24(c);
	struct cx_cur l = cx_take(c, total);
	while (cx_cur_left(&l) >= 3 && t->n_subjects < TLS_MAX_CERTS) {
		uint32_t n = cx_get_be24(&l);
		struct cx_cur der = cx_take(&l, n);
		if (tls13)
			cx_skip(&l, cx_get_be16(&l));
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

static void
set_why(struct tls_conn *t, const char *why)
{
	if (!t->why_not)
		t->why_not = why;
}

/* The ServerHello chose the suite: find the secrets and set the keys. */
static void
keys_for(struct cx_wrap *w, struct tls_conn *t)
{
	const struct tls_suite *s = tls_suite_by_id(t->suite);
	if (!t->have_cr) {
		set_why(t, "no ClientHello captured (no client random to look the key up by)");
		return;
	}
	if (!w->keys || !tls_keys_stats(w->keys)->secrets) {
		set_why(t, "no key log (--tls-keylog) and no pcapng Decryption Secrets Block");
		return;
	}
	if (!s || s->cipher == TLS_C_NONE || (t->version == 0x0304) != s->tls13 ||
	    (t->version != 0x0304 && t->version != 0x0303)) {
		set_why(t, "unsupported version or suite");
		return;
	}
	size_t l0, l1;
	if (t->version == 0x0304) {
		const uint8_t *c = tls_keys_find(w->keys, t->cr, TLS_SEC_CHTS, &l0);
		const uint8_t *sv = tls_keys_find(w->keys, t->cr, TLS_SEC_SHTS, &l1);
		if (!c && !sv) {
			set_why(t, "no key for this client random in the key log");
			return;
		}
		t->keyed = true;
		if (sv && tls13_set_secret(&t->h[1].rs, s, sv, l1) < 0)
			set_why(t, "the server handshake secret does not fit the suite");
		if (c && tls13_set_secret(&t->h[0].rs, s, c, l0) < 0)
			set_why(t, "the client handshake secret does not fit the suite");
	} else {
		const uint8_t *m = tls_keys_find(w->keys, t->cr, TLS_SEC_MASTER, &l0);
		if (!m) {
			set_why(t, "no key for this client random in the key log");
			return;
		}
		t->keyed = true;
		/* extended master secret (RFC 7627) changes how the master secret
		 * is made, not what is done with it: the key log holds it */
		if (tls12_set_keys(&t->h[0].rs, &t->h[1].rs, s, m, t->cr, t->sr, t->etm) < 0)
			set_why(t, "key expansion failed");
	}
}

/* TLS 1.3: the sender's Finished ends its handshake keys. */
static void
to_application_keys(struct cx_wrap *w, struct tls_conn *t, int dir)
{
	size_t l;
	const uint8_t *s = tls_keys_find(w->keys, t->cr, dir ? TLS_SEC_STS0 : TLS_SEC_CTS0, &l);
	struct tls_rstate *r = &t->h[dir].rs;
	if (!s || tls13_set_secret(r, r->s, s, l) < 0) {
		r->on = false;
		set_why(t, "no application traffic secret for this client random in the key log");
	}
}

/* One whole handshake message; enc: it came out of a decrypted record. */
static void
handshake(struct cx_wrap *w, struct tls_conn *t, int dir, uint8_t type, struct cx_cur *m, bool enc)
{
	if (type == 1 && dir == 0 && !enc) {
		t->hello[0] = true;
		cx_skip(m, 2);
		struct cx_cur r = cx_take(m, 32);
		if (!r.err) {
			memcpy(t->cr, r.p, 32);
			t->have_cr = true;
		}
		cx_skip(m, cx_get_u8(m));
		cx_skip(m, cx_get_be16(m));
		cx_skip(m, cx_get_u8(m));
		if (cx_cur_left(m) >= 2)
			extensions(m, t, false);
	} else if (type == 2 && dir == 1 && !enc) {
		uint16_t legacy = cx_get_be16(m);
		struct cx_cur r = cx_take(m, 32);
		if (r.err)
			return;
		bool hrr = !memcmp(r.p, hrr_random, 32);
		cx_skip(m, cx_get_u8(m));
		uint16_t suite = cx_get_be16(m);
		cx_skip(m, 1);
		if (m->err)
			return;
		t->version = legacy;
		t->suite = suite;
		if (cx_cur_left(m) >= 2)
			extensions(m, t, true);
		if (hrr) {
			/* RFC 8446 4.1.4: a second ClientHello follows; keys wait
			 * for the real ServerHello */
			t->hrr = true;
			return;
		}
		t->hello[1] = true;
		memcpy(t->sr, r.p, 32);
		keys_for(w, t);
		if (t->version == 0x0304)
			t->h[1].encrypted = true; /* the rest of the server's flight is encrypted */
	} else if (type == 11 && dir == 1) {
		certificates(m, t, t->version == 0x0304);
	} else if (type == 20 && enc && t->version == 0x0304) {
		to_application_keys(w, t, dir);
	} else if (type == 24 && enc && t->version == 0x0304) {
		/* KeyUpdate: the sender's next records use the next secret */
		t->h[dir].key_updates++;
		if (tls13_key_update(&t->h[dir].rs) < 0)
			set_why(t, "KeyUpdate could not be followed");
	}
}

static void
hs_feed(struct cx_wrap *w, struct tls_conn *t, int dir, const uint8_t *d, size_t n, uint64_t frame, bool enc)
{
	struct tls_half *h = &t->h[dir];
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
		handshake(w, t, dir, ht, &m, enc);
		off += 4 + hl;
	}
	memmove(h->hs, h->hs + off, h->hlen - off);
	h->hlen -= off;
}

/* Plaintext application data: to the SIP stream parser or WebSocket. */
static void
deliver(struct cx_wrap *w, struct cx_tcp_conn *c, struct tls_conn *t, int dir, uint64_t frame,
	int64_t ts, const uint8_t *d, size_t n)
{
	t->h[dir].plain_bytes += n;
	if (t->kind == IN_NONE) {
		size_t i = 0;
		while (i < n && (d[i] == '\r' || d[i] == '\n'))
			i++;
		if (i == n)
			return; /* a keep-alive before anything else */
		t->kind = cx_sip_looks_like(d + i, n - i) ? IN_SIP :
			  cx_ws_looks_like(d + i, n - i) ? IN_WS : IN_OTHER;
		t->in = *c;
		t->in.user = NULL;
		t->in.owner = CX_TCP_TLS;
		t->in.transport = t->kind == IN_WS ? "WSS" : t->version == 0x0304 ? "TLS 1.3" : "TLS 1.2";
	}
	t->in.last_frame = frame;
	t->in.last_ts_ns = ts;
	if (t->kind == IN_SIP)
		cx_sip_tcp_data(w->ctx->sip, &t->in, dir, frame, ts, d, n);
	else if (t->kind == IN_WS)
		cx_ws_tcp_data(w, &t->in, dir, frame, ts, d, n);
	else
		cx_stats_add(w->ctx->stats, "proto.tls_plaintext_not_sip", n);
}

/* A record that opened: its plaintext by inner content type. */
static void
opened(struct cx_wrap *w, struct cx_tcp_conn *c, struct tls_conn *t, int dir, uint8_t it,
       const uint8_t *out, size_t pl, uint64_t frame, int64_t ts)
{
	struct tls_half *h = &t->h[dir];
	h->decrypted++;
	if (it == 23)
		deliver(w, c, t, dir, frame, ts, out, pl);
	else if (it == 22)
		hs_feed(w, t, dir, out, pl, frame, true);
	else if (it == 21)
		h->alerts++;
}

static bool
plausible(const uint8_t *d, bool tls13)
{
	uint16_t len = (uint16_t)(d[3] << 8 | d[4]);
	return d[1] == 3 && d[2] == 3 && len >= 16 && len <= TLS_MAX_RECORD &&
	       (d[0] == 23 || (!tls13 && (d[0] == 21 || d[0] == 22)));
}

/* After a gap (or a damaged header) in a direction that was decrypting:
 * find the next record that opens under some sequence number a little
 * ahead, and go on from there. Returns the bytes of h->buf to drop; sets
 * *synced when the record at that offset opened (and was handled). */
static size_t
resync(struct cx_wrap *w, struct cx_tcp_conn *c, struct tls_conn *t, int dir, uint64_t frame,
       int64_t ts, bool *synced, bool *budget_out)
{
	struct tls_half *h = &t->h[dir];
	*synced = false;
	*budget_out = false;
	if (!w->tls_out && !(w->tls_out = malloc(TLS_MAX_RECORD)))
		return 0;
	size_t p = 0;
	for (; p + 5 <= h->len; p++) {
		const uint8_t *d = h->buf + p;
		if (!plausible(d, t->version == 0x0304))
			continue;
		size_t len = (size_t)(d[3] << 8 | d[4]);
		if (p + 5 + len > h->len)
			return p; /* wait for the rest of this candidate */
		uint64_t base = h->rs.seq;
		for (uint64_t k = 0; k < TLS_RESYNC_SEQS; k++) {
			if (h->resync_tries >= TLS_RESYNC_BUDGET) {
				h->rs.seq = base;
				*budget_out = true;
				return h->len;
			}
			h->resync_tries++;
			h->rs.seq = base + k;
			uint8_t it;
			long pl = tls_decrypt(&h->rs, d[0], d + 5, len, w->tls_out, &it);
			if (pl < 0)
				continue;
			h->records++;
			h->app_records++;
			h->app_bytes += len;
			h->resyncs++;
			cx_stats_add(w->ctx->stats, "proto.tls_resynchronised", 1);
			opened(w, c, t, dir, it, w->tls_out, (size_t)pl, frame, ts);
			*synced = true;
			return p + 5 + len;
		}
		h->rs.seq = base;
	}
	/* nothing yet: keep the last bytes, a header may straddle */
	return p;
}

static void
record(struct cx_wrap *w, struct cx_tcp_conn *c, struct tls_conn *t, int dir, uint8_t type,
       const uint8_t *d, size_t n, uint64_t frame, int64_t ts)
{
	struct tls_half *h = &t->h[dir];
	h->records++;
	if (type == 20) {
		/* TLS 1.3 sends it for middlebox compatibility only */
		if (t->version != 0x0304)
			h->encrypted = true;
		return;
	}
	if (type == 23 || h->encrypted) {
		h->app_records++;
		h->app_bytes += n;
		if (t->version == 0x0304 && dir == 0)
			h->encrypted = true;
		if (!h->rs.on) {
			h->undecrypted++;
			return;
		}
		if (!w->tls_out && !(w->tls_out = malloc(TLS_MAX_RECORD)))
			return;
		uint8_t *out = w->tls_out, it;
		long pl = tls_decrypt(&h->rs, type, d, n, out, &it);
		if (pl < 0) {
			h->failed++;
			cx_stats_add(w->ctx->stats, "error.tls.decrypt_failed", 1);
			return;
		}
		opened(w, c, t, dir, it, out, (size_t)pl, frame, ts);
		return;
	}
	if (type == 21) {
		h->alerts++;
		return;
	}
	if (type != 22) {
		bad(w, t, frame, "record_type", "record of an unknown content type");
		return;
	}
	hs_feed(w, t, dir, d, n, frame, false);
}

void
cx_tls_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *d, size_t n)
{
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
	if (n)
		memcpy(h->buf + h->len, d, n);
	h->len += n;
	cx_cp_spans_add(w->ctx->cpcap, &h->sp, n);
	size_t off;
again:
	off = 0;
	if (h->resync) {
		bool synced, spent;
		off = resync(w, c, t, dir, frame, ts, &synced, &spent);
		h->resync = !synced;
		if (spent) {
			bad(w, t, frame, "resync_budget", "no record opened within the resynchronisation budget; "
							   "the rest of this direction is not read");
			h->lost = true;
			h->resync = false;
			h->len = 0;
			cx_cp_spans_release(&h->sp, h->sp.total);
			return;
		}
		if (h->resync) {
			memmove(h->buf, h->buf + off, h->len - off);
			h->len -= off;
			cx_cp_spans_release(&h->sp, h->sp.total - h->len);
			return;
		}
	}
	while (h->len - off >= 5) {
		struct cx_cur r = cx_cur_make(h->buf + off, h->len - off);
		uint8_t type = cx_get_u8(&r), major = cx_get_u8(&r);
		cx_skip(&r, 1);
		uint16_t len = cx_get_be16(&r);
		if (major != 3 || len > TLS_MAX_RECORD || type < 20 || type > 24) {
			if (h->rs.on) {
				/* decrypting: look for the next record that opens */
				bad(w, t, frame, "record_header", "record header out of range; looking for the next record");
				h->resync = true;
				h->gaps++;
				if (!h->lost_frame)
					h->lost_frame = frame;
				h->last_gap_frame = frame;
				off++;
				memmove(h->buf, h->buf + off, h->len - off);
				h->len -= off;
				goto again;
			}
			bad(w, t, frame, "record_header", "record header out of range; the rest of this direction is not read");
			h->lost = true;
			h->lost_frame = frame;
			off = h->len;
			break;
		}
		if (cx_cur_left(&r) < len)
			break;
		/* the plaintext takes along every segment that carried the record */
		cx_callpcap_carry(w->ctx->cpcap, &h->sp, h->sp.total - h->len + off);
		record(w, c, t, dir, type, r.p, len, frame, ts);
		cx_callpcap_carry_end(w->ctx->cpcap);
		off += 5u + len;
	}
	memmove(h->buf, h->buf + off, h->len - off);
	h->len -= off;
	cx_cp_spans_release(&h->sp, h->sp.total - h->len);
}

void
cx_tls_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	(void)missing;
	struct tls_conn *t = c->user;
	if (!t)
		return;
	/* record boundaries and sequence numbers are gone with the bytes; a
	 * direction that was decrypting looks for the next record that opens */
	struct tls_half *h = &t->h[dir];
	if (!h->lost && !h->lost_frame)
		h->lost_frame = c->last_frame;
	h->gaps++;
	h->last_gap_frame = c->last_frame;
	h->len = 0;
	cx_cp_spans_release(&h->sp, h->sp.total);
	if (h->rs.on && !h->lost)
		h->resync = true;
	else
		h->lost = true;
	if (t->kind == IN_SIP)
		cx_sip_tcp_gap(w->ctx->sip, &t->in, dir, missing);
	else if (t->kind == IN_WS)
		cx_ws_tcp_gap(w, &t->in, dir, missing);
}

static const char *
why_not(const struct tls_conn *t)
{
	bool any = t->h[0].decrypted || t->h[1].decrypted;
	if (!t->hello[1])
		return t->hrr ? "no ServerHello after the HelloRetryRequest captured" : "no ServerHello captured";
	if (t->why_not && !any)
		return t->why_not;
	if (!any && (t->h[0].failed || t->h[1].failed))
		return "every record failed its AEAD tag or MAC check: the key log's secrets are not this connection's";
	if (!any && (t->h[0].lost || t->h[1].lost))
		return "records missing (TCP gap) before the first encrypted record";
	if (!any)
		return t->why_not ? t->why_not : "no encrypted record captured";
	return NULL;
}

void
cx_tls_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c)
{
	struct tls_conn *t = c->user;
	if (!t)
		return;
	/* the plaintext's consumer first: its last messages, its report */
	if (t->kind == IN_SIP) {
		t->in.last_frame = c->last_frame;
		t->in.last_ts_ns = c->last_ts_ns;
		cx_sip_tcp_close(w->ctx->sip, &t->in);
	} else if (t->kind == IN_WS) {
		cx_ws_tcp_close(w, &t->in);
	}
	const struct tls_suite *su = tls_suite_by_id(t->suite);
	char suite[64];
	if (su)
		snprintf(suite, sizeof(suite), "%s", su->name);
	else
		snprintf(suite, sizeof(suite), "0x%04x", t->suite);
	const char *ver = version_name(t->version);
	if (t->hello[1] && su && t->version <= 0x0303) {
		if (su->rsa_kx)
			cx_findings_add(w->ctx->findings, CX_SEV_MEDIUM, "tls.rsa_key_exchange", c->first_frame,
					"%s with %s: RSA key exchange, no forward secrecy (whoever has the server's key "
					"can open this and every recorded session)", ver, suite);
		if (su->cbc)
			cx_findings_add(w->ctx->findings, CX_SEV_LOW, "tls.cbc_suite", c->first_frame,
					"%s with %s: a CBC suite (%s, padding-oracle prone)", ver, suite,
					t->etm ? "encrypt-then-MAC negotiated" : "MAC-then-encrypt");
	}
	bool any = t->h[0].decrypted || t->h[1].decrypted;
	uint64_t failed = t->h[0].failed + t->h[1].failed;
	cx_stats_add(w->ctx->stats, any ? "proto.tls_decrypted" : "proto.tls_not_decrypted", 1);
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
		json_object_object_add(o, "hello_retry_request", json_object_new_boolean(t->hrr));
		json_object_object_add(o, "encrypt_then_mac", json_object_new_boolean(t->etm && su && su->cbc));
		struct json_object *subj = json_object_new_array();
		for (int i = 0; i < t->n_subjects; i++)
			json_object_array_add(subj, json_object_new_string(t->subjects[i]));
		json_object_object_add(o, "certificate_subjects", subj);
		json_object_object_add(o, "key_found", json_object_new_boolean(t->keyed));
		json_object_object_add(o, "decrypted", json_object_new_boolean(any));
		const char *wn = why_not(t);
		json_object_object_add(o, "why_not", wn ? json_object_new_string(wn) : NULL);
		json_object_object_add(o, "failed_records", json_object_new_int64((int64_t)failed));
		json_object_object_add(o, "carries", json_object_new_string(
			t->kind == IN_SIP ? "SIP" : t->kind == IN_WS ? "WebSocket" : t->kind == IN_OTHER ? "other" : "nothing seen"));
		const char *dn[2] = { "client_to_server", "server_to_client" };
		for (int d = 0; d < 2; d++) {
			const struct tls_half *h = &t->h[d];
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "records", json_object_new_int64((int64_t)h->records));
			json_object_object_add(x, "encrypted_records", json_object_new_int64((int64_t)h->app_records));
			json_object_object_add(x, "encrypted_bytes", json_object_new_int64((int64_t)h->app_bytes));
			json_object_object_add(x, "decrypted_records", json_object_new_int64((int64_t)h->decrypted));
			json_object_object_add(x, "failed_records", json_object_new_int64((int64_t)h->failed));
			json_object_object_add(x, "records_without_key", json_object_new_int64((int64_t)h->undecrypted));
			json_object_object_add(x, "plaintext_bytes", json_object_new_int64((int64_t)h->plain_bytes));
			json_object_object_add(x, "key_updates", json_object_new_int64((int64_t)h->key_updates));
			json_object_object_add(x, "alerts", json_object_new_int64((int64_t)h->alerts));
			json_object_object_add(x, "gaps", json_object_new_int64((int64_t)h->gaps));
			json_object_object_add(x, "resynchronised", json_object_new_int64((int64_t)h->resyncs));
			json_object_object_add(x, "first_gap_frame", h->gaps ? json_object_new_int64((int64_t)h->lost_frame) : NULL);
			json_object_object_add(x, "lost_from_frame", h->lost || h->resync ?
					       json_object_new_int64((int64_t)(h->resync ? h->last_gap_frame : h->lost_frame)) : NULL);
			json_object_object_add(o, dn[d], x);
		}
		json_object_object_add(o, "errors", json_object_new_int64((int64_t)t->errors));
		json_object_array_add(w->tls_conns, o);
	} else {
		w->tls_conns_dropped++;
	}
	if (failed)
		cx_findings_add(w->ctx->findings, CX_SEV_LOW, "tls.decrypt_failed", c->first_frame,
				"TLS connection %llu: %llu record(s) failed their AEAD tag or MAC check%s",
				(unsigned long long)c->id, (unsigned long long)failed,
				any ? " (the others were decrypted: damaged records)" : " (wrong key log?)");
	for (int d = 0; d < 2; d++) {
		free(t->h[d].buf);
		free(t->h[d].hs);
		cx_cp_spans_free(&t->h[d].sp);
		tls_rstate_clear(&t->h[d].rs);
	}
	free(t);
	c->user = NULL;
}

int
cx_wrap_tls_keylog(struct cx_wrap *w, const char *path, char *err, size_t errlen)
{
	if (!w->keys && !(w->keys = tls_keys_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!w->keylog_path)
		w->keylog_path = path;
	struct wrap_keylog *kl = realloc(w->keylogs, (w->n_keylogs + 1) * sizeof(*kl));
	if (!kl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->keylogs = kl;
	kl = &w->keylogs[w->n_keylogs++];
	memset(kl, 0, sizeof(*kl));
	kl->path = path;
	int rc = tls_keys_load_file(w->keys, path, kl->sha256, &kl->size, err, errlen);
	kl->read = rc == 0;
	if (rc < 0 && !w->keylog_error[0])
		snprintf(w->keylog_error, sizeof(w->keylog_error), "%s", err);
	return rc;
}

void
cx_wrap_tls_secrets(struct cx_wrap *w, uint32_t secrets_type, const uint8_t *d, size_t n)
{
	if (!w->keys && !(w->keys = tls_keys_new()))
		return;
	bool keylog = secrets_type == CX_DSB_TLS_KEYLOG;
	tls_keys_count_dsb(w->keys, keylog);
	if (keylog)
		tls_keys_parse(w->keys, (const char *)d, n);
}

void
cx_wrap_tls_report(struct cx_wrap *w, struct json_object *tls)
{
	struct json_object *k = json_object_new_object();
	const struct tls_keys_stats *st = w->keys ? tls_keys_stats(w->keys) : NULL;
	json_object_object_add(k, "keylog_file", w->keylog_path ? json_object_new_string(w->keylog_path) : NULL);
	json_object_object_add(k, "keylog_error", w->keylog_error[0] ? json_object_new_string(w->keylog_error) : NULL);
	/* each key log as evidence: what was read, by size and SHA-256 */
	struct json_object *files = json_object_new_array();
	for (size_t i = 0; i < w->n_keylogs; i++) {
		const struct wrap_keylog *kl = &w->keylogs[i];
		struct json_object *o = json_object_new_object();
		char hex[65];
		cx_hex(kl->sha256, 32, hex);
		json_object_object_add(o, "path", json_object_new_string(kl->path));
		json_object_object_add(o, "size", kl->read ? json_object_new_int64((int64_t)kl->size) : NULL);
		json_object_object_add(o, "sha256", kl->read ? json_object_new_string(hex) : NULL);
		json_object_array_add(files, o);
	}
	json_object_object_add(k, "keylog_files", files);
	json_object_object_add(k, "secrets_blocks", json_object_new_int64(st ? (int64_t)st->dsb_blocks : 0));
	json_object_object_add(k, "other_secrets_blocks", json_object_new_int64(st ? (int64_t)st->dsb_other : 0));
	json_object_object_add(k, "lines", json_object_new_int64(st ? (int64_t)st->lines : 0));
	json_object_object_add(k, "secrets", json_object_new_int64(st ? (int64_t)st->secrets : 0));
	json_object_object_add(k, "client_randoms", json_object_new_int64(st ? (int64_t)st->randoms : 0));
	json_object_object_add(k, "ignored_lines", json_object_new_int64(st ? (int64_t)st->ignored : 0));
	json_object_object_add(k, "bad_lines", json_object_new_int64(st ? (int64_t)st->bad : 0));
	json_object_object_add(tls, "keys", k);
}
