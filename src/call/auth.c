/* Credentials. Challenges (401 WWW-Authenticate, 407 Proxy-Authenticate)
 * and answers ((Proxy-)Authorization) are read from the RAW header text:
 * osip2 silently drops unquoted and Basic credentials (DEPS.md §1.4). An
 * answer is paired with the challenge whose nonce it carries; the final
 * response to the answering request is the server's verdict. */
#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "audit/digest.h"
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/outdir.h"
#include "callextract/spill.h"
#include "callextract/sip.h"
#include "callextract/summary.h"
#include "util/text.h"

#define MAX_VAL 1024
#define MAX_EXCHANGES 100000
#define MAX_CHALLENGES 100000
#define BATCH 4096     /* candidates handed to a thread at once */

/* Parameters of one Digest header, unquoted and unescaped. */
struct dparams {
	char *v[16];
	bool dup;       /* a parameter appeared twice */
	bool bad;       /* unterminated quote, missing '=' ... */
	bool truncated; /* a value longer than MAX_VAL */
};

enum { P_USERNAME, P_REALM, P_NONCE, P_URI, P_RESPONSE, P_ALGORITHM, P_QOP, P_NC, P_CNONCE,
       P_OPAQUE, P_STALE, P_DOMAIN, P_USERHASH, P_N };
static const char *pnames[P_N] = { "username", "realm", "nonce", "uri", "response", "algorithm",
				   "qop", "nc", "cnonce", "opaque", "stale", "domain", "userhash" };

struct challenge {
	int status;
	char *call_id;
	struct dparams p;
	uint64_t frame;
	int64_t ts;
	struct cx_addr server, client;
	uint16_t sport, cport;
	bool proxy;
	/* bookkeeping */
	uint32_t seq;                   /* order of arrival: slot in the spill */
	uint32_t refs;                  /* exchanges in memory paired with it */
	bool spilled;                   /* written out, its dialog is done */
	bool latest;                    /* a->by_nonce points at it */
	struct challenge *gnext;        /* same Call-ID, in memory, not spilled */
	struct challenge *prev, *next;  /* a->ch list (not spilled) or the LRU (spilled) */
};

struct exchange {
	struct dparams p;
	char *method, *call_id, *body_hash;
	uint32_t cseq;
	uint64_t frame;
	int64_t ts;
	struct cx_addr client, server;
	uint16_t cport, sport;
	bool proxy;
	struct challenge *ch;   /* paired challenge or NULL */
	int verdict_status;     /* final response to the answering request */
	bool verdict_stale;     /* ... a new challenge saying stale=true */
	uint64_t verdict_frame;
	char *password;         /* recovered */
	bool crackable;
	char reason[96];
	/* bookkeeping */
	uint32_t seq;           /* order of arrival: slot in the spill */
	uint32_t nuse;          /* 1 + index in a->nu of the nonce it used first, or 0 */
	bool waiting;           /* in a->by_txn, no verdict yet */
	bool view;              /* decoded from a record: strings borrowed, not in the lists */
	struct exchange *gnext; /* same Call-ID */
	struct exchange *prev, *next; /* a->ex list, in order of arrival */
	struct exchange *vnext; /* older exchange waiting for a verdict on the same transaction */
};

struct cleartext {
	char *proto, *user, *password, *verdict;
	uint64_t frame;
	int64_t ts;
	struct cx_addr client, server;
	uint16_t cport, sport;
};

/* Open addressing, linear probing; a key's 64-bit hash and a value
 * (NULL: empty). Several entries may share a hash: callers compare the
 * real keys through the value. */
struct hent {
	uint64_t h;
	void *v;
};
struct htab {
	struct hent *t;
	size_t cap, n;          /* cap: 0 or a power of two */
};

/* Everything of one Call-ID still in memory. */
struct group {
	char *call_id;
	struct exchange *ex;
	struct challenge *ch;
};

/* One nonce answered: for the nonce-reuse finding. */
struct nonce_use {
	uint64_t cid_hash;              /* Call-ID of the first answer */
	struct exchange *first_live;    /* the first answer while it is in memory */
	uint32_t first_seq;
	uint32_t uses;
	bool other_dialog;              /* some answer came with another Call-ID */
};

#define LRU_MAX 4096           /* finished challenges kept for pairing */
#define FORGET_SLOTS 16384     /* hashes of nonces that fell out of the LRU */

/* Memory: exchanges and challenges are in memory until cx_auth_dialog_done
 * for their Call-ID writes them to the spill files (slot = order of
 * arrival). What stays after that: per distinct nonce answered one
 * struct nonce_use and its table slot; per challenge one bit (answered);
 * at most LRU_MAX finished challenges (the latest issuer of their nonce,
 * for answers that come later from another dialog); FORGET_SLOTS hashes. */
struct cx_auth {
	struct cx_ctx *ctx;
	size_t nch, nex;                    /* every challenge/exchange so far (next seq) */
	struct challenge *ch_head, *ch_tail; /* not spilled, in order of arrival */
	struct exchange *ex_head, *ex_tail;  /* not spilled, in order of arrival */
	struct challenge *lru_head, *lru_tail; /* spilled but still the latest for their nonce */
	size_t nlru;
	struct htab by_nonce;   /* nonce -> latest challenge that issued it */
	struct htab by_txn;     /* (Call-ID, CSeq, method) -> newest exchange waiting for its verdict */
	struct htab by_call;    /* Call-ID -> struct group */
	struct htab by_use;     /* nonce -> 1 + index in nu */
	struct nonce_use *nu;
	size_t nnu, capnu;
	uint8_t *answered;      /* bit per challenge seq */
	size_t capans;          /* bytes */
	uint64_t *forgotten;    /* FORGET_SLOTS, direct-mapped */
	struct cx_spill *exsp, *chsp;
	bool spill_failed;
	struct cleartext *ct;
	size_t nct, capct;
	uint64_t recovered;
	int64_t first_ts;       /* of exchange 0 */
	uint64_t first_frame;
	bool finished;
	/* per message */
	size_t msg_answers;
	bool msg_stale;
};

static void
dp_free(struct dparams *p)
{
	for (int i = 0; i < P_N; i++)
		free(p->v[i]);
}

/* RFC 7616 auth-param list: token "=" ( token / quoted-string ), commas
 * between. Bounded, escapes honoured, duplicates and damage flagged. */
static void
dp_parse(const char *s, size_t n, struct dparams *out)
{
	memset(out, 0, sizeof(*out));
	size_t i = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		size_t ns = i;
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
			i++;
		size_t nl = i - ns;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (nl == 0 || i >= n || s[i] != '=') {
			if (i < n) {
				out->bad = true;
				while (i < n && s[i] != ',')
					i++;
			}
			continue;
		}
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		char val[MAX_VAL + 1];
		size_t vl = 0;
		if (i < n && s[i] == '"') {
			i++;
			bool closed = false;
			while (i < n) {
				char c = s[i++];
				if (c == '\\' && i < n)
					c = s[i++];
				else if (c == '"') {
					closed = true;
					break;
				}
				if (vl < MAX_VAL)
					val[vl++] = c;
				else
					out->truncated = true;
			}
			if (!closed)
				out->bad = true;
		} else {
			while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t') {
				if (vl < MAX_VAL)
					val[vl++] = s[i];
				else
					out->truncated = true;
				i++;
			}
		}
		val[vl] = '\0';
		for (int k = 0; k < P_N; k++) {
			if (strlen(pnames[k]) == nl && !strncasecmp(s + ns, pnames[k], nl)) {
				if (out->v[k]) {
					out->dup = true; /* the first one counts, as most servers do */
				} else {
					out->v[k] = strdup(val);
				}
			}
		}
	}
}

/* ---------- hashing ---------- */

static uint64_t
fnv(const char *s, uint64_t h)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

#define FNV0 14695981039346656037ULL

static uint64_t
hstr(const char *s)
{
	return fnv(s, FNV0);
}

static uint64_t
txn_hash(const char *call_id, uint32_t cseq, const char *method)
{
	uint64_t h = fnv(call_id, FNV0);
	for (int i = 0; i < 4; i++) {
		h ^= (cseq >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	h ^= 0xff; /* separator */
	h *= 1099511628211ULL;
	return fnv(method, h);
}

/* First entry with hash h at or after position from (SIZE_MAX: none). */
static size_t
ht_scan(const struct htab *t, uint64_t h, size_t from)
{
	if (!t->cap)
		return SIZE_MAX;
	size_t m = t->cap - 1;
	for (size_t i = from & m; t->t[i].v; i = (i + 1) & m) {
		if (t->t[i].h == h)
			return i;
	} /* ends: the table is never more than half full */
	return SIZE_MAX;
}

static size_t
ht_first(const struct htab *t, uint64_t h)
{
	return ht_scan(t, h, (size_t)h);
}

static size_t
ht_next(const struct htab *t, uint64_t h, size_t pos)
{
	return ht_scan(t, h, pos + 1);
}

static bool
ht_put(struct htab *t, uint64_t h, void *v)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct hent *nt = calloc(nc, sizeof(*nt));
		if (!nt)
			return false;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->t[i].v)
				continue;
			size_t k = t->t[i].h & (nc - 1);
			while (nt[k].v)
				k = (k + 1) & (nc - 1);
			nt[k] = t->t[i];
		}
		free(t->t);
		t->t = nt;
		t->cap = nc;
	}
	size_t m = t->cap - 1, i = h & m;
	while (t->t[i].v)
		i = (i + 1) & m;
	t->t[i].h = h;
	t->t[i].v = v;
	t->n++;
	return true;
}

/* Removes the entry at pos (backward-shift deletion). */
static void
ht_del(struct htab *t, size_t pos)
{
	size_t m = t->cap - 1, i = pos, j = pos;
	t->n--;
	for (;;) {
		t->t[i].v = NULL;
		for (;;) {
			j = (j + 1) & m;
			if (!t->t[j].v)
				return;
			size_t k = t->t[j].h & m; /* home of the entry at j */
			/* it stays if its home lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		t->t[i] = t->t[j];
		i = j;
	}
}

static void
ht_free(struct htab *t)
{
	free(t->t);
	memset(t, 0, sizeof(*t));
}

/* ---------- records ---------- */

static void
rec_addr(struct cx_rec *r, const struct cx_addr *x)
{
	cx_rec_bytes(r, x, sizeof(*x));
}

static bool
get_addr(struct cx_rec *r, struct cx_addr *x)
{
	const void *p = cx_rec_get_bytes(r, sizeof(*x));
	if (!p)
		return false;
	memcpy(x, p, sizeof(*x));
	return true;
}

static void
rec_challenge(struct cx_rec *r, const struct challenge *c)
{
	cx_rec_u64(r, (uint64_t)(int64_t)c->status);
	cx_rec_u64(r, c->frame);
	cx_rec_u64(r, (uint64_t)c->ts);
	cx_rec_u64(r, c->sport);
	cx_rec_u64(r, c->cport);
	cx_rec_u64(r, c->proxy);
	rec_addr(r, &c->server);
	rec_addr(r, &c->client);
	cx_rec_str(r, c->call_id);
	for (int k = 0; k < P_N; k++)
		cx_rec_str(r, c->p.v[k]);
}

/* Strings borrowed from the record. */
static bool
get_challenge(struct cx_rec *r, struct challenge *c)
{
	memset(c, 0, sizeof(*c));
	c->status = (int)(int64_t)cx_rec_get_u64(r);
	c->frame = cx_rec_get_u64(r);
	c->ts = (int64_t)cx_rec_get_u64(r);
	c->sport = (uint16_t)cx_rec_get_u64(r);
	c->cport = (uint16_t)cx_rec_get_u64(r);
	c->proxy = cx_rec_get_u64(r) != 0;
	if (!get_addr(r, &c->server) || !get_addr(r, &c->client))
		return false;
	c->call_id = (char *)cx_rec_get_str(r);
	for (int k = 0; k < P_N; k++)
		c->p.v[k] = (char *)cx_rec_get_str(r);
	return c->call_id != NULL && r->rd <= r->n;
}

/* An exchange's record carries its challenge's fields too, so that the
 * report never looks the challenge up. */
static void
rec_exchange(struct cx_rec *r, const struct exchange *e)
{
	cx_rec_u64(r, e->cseq);
	cx_rec_u64(r, e->frame);
	cx_rec_u64(r, (uint64_t)e->ts);
	cx_rec_u64(r, e->cport);
	cx_rec_u64(r, e->sport);
	cx_rec_u64(r, e->proxy);
	cx_rec_u64(r, (uint64_t)(int64_t)e->verdict_status);
	cx_rec_u64(r, e->verdict_stale);
	cx_rec_u64(r, e->verdict_frame);
	rec_addr(r, &e->client);
	rec_addr(r, &e->server);
	cx_rec_str(r, e->method);
	cx_rec_str(r, e->call_id);
	cx_rec_str(r, e->body_hash);
	cx_rec_str(r, e->password);
	for (int k = 0; k < P_N; k++)
		cx_rec_str(r, e->p.v[k]);
	cx_rec_u64(r, e->ch != NULL);
	if (e->ch)
		rec_challenge(r, e->ch);
}

/* A view of a record: strings borrowed from it, the challenge in *cb. */
static bool
get_exchange(const char *data, size_t len, struct exchange *e, struct challenge *cb)
{
	struct cx_rec r;
	cx_rec_open(&r, data, len);
	memset(e, 0, sizeof(*e));
	e->view = true;
	e->cseq = (uint32_t)cx_rec_get_u64(&r);
	e->frame = cx_rec_get_u64(&r);
	e->ts = (int64_t)cx_rec_get_u64(&r);
	e->cport = (uint16_t)cx_rec_get_u64(&r);
	e->sport = (uint16_t)cx_rec_get_u64(&r);
	e->proxy = cx_rec_get_u64(&r) != 0;
	e->verdict_status = (int)(int64_t)cx_rec_get_u64(&r);
	e->verdict_stale = cx_rec_get_u64(&r) != 0;
	e->verdict_frame = cx_rec_get_u64(&r);
	if (!get_addr(&r, &e->client) || !get_addr(&r, &e->server))
		return false;
	e->method = (char *)cx_rec_get_str(&r);
	e->call_id = (char *)cx_rec_get_str(&r);
	e->body_hash = (char *)cx_rec_get_str(&r);
	e->password = (char *)cx_rec_get_str(&r);
	for (int k = 0; k < P_N; k++)
		e->p.v[k] = (char *)cx_rec_get_str(&r);
	if (!e->method || !e->call_id)
		return false;
	if (cx_rec_get_u64(&r)) {
		if (!get_challenge(&r, cb))
			return false;
		e->ch = cb;
	}
	return true;
}

static bool
spills_open(struct cx_auth *a)
{
	if (a->exsp && a->chsp)
		return true;
	if (a->spill_failed || !a->ctx->out)
		return false;
	if (!a->exsp)
		a->exsp = cx_spill_new(a->ctx->out, "auth-exchanges");
	if (!a->chsp)
		a->chsp = cx_spill_new(a->ctx->out, "auth-challenges");
	if (!a->exsp || !a->chsp) {
		a->spill_failed = true;
		cx_log(a->ctx, CX_LOG_WARN, "auth: cannot create the spill files; credentials stay in memory");
		return false;
	}
	return true;
}

/* The spilled exchange seq, decoded (borrowed until the next read). */
static bool
load_exchange(struct cx_auth *a, uint64_t seq, struct exchange *e, struct challenge *cb)
{
	size_t len;
	const char *d = cx_spill_get(a->exsp, seq, &len);
	if (!d || !get_exchange(d, len, e, cb)) {
		cx_stats_add(a->ctx->stats, "error.auth.spill_unreadable", 1);
		return false;
	}
	e->seq = (uint32_t)seq;
	return true;
}

/* ---------- lifetimes ---------- */

static void
challenge_free(struct challenge *c)
{
	dp_free(&c->p);
	free(c->call_id);
	free(c);
}

/* A spilled challenge goes once nothing needs it any more. */
static void
challenge_maybe_free(struct challenge *c)
{
	if (c->spilled && !c->latest && !c->refs)
		challenge_free(c);
}

static void
lru_unlink(struct cx_auth *a, struct challenge *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		a->lru_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		a->lru_tail = c->prev;
	c->prev = c->next = NULL;
	a->nlru--;
}

static void
ch_unlink(struct cx_auth *a, struct challenge *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		a->ch_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		a->ch_tail = c->prev;
	c->prev = c->next = NULL;
}

static void
ex_unlink(struct cx_auth *a, struct exchange *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		a->ex_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		a->ex_tail = e->prev;
	e->prev = e->next = NULL;
}

/* Position of c in by_nonce, SIZE_MAX if absent. */
static size_t
nonce_pos_of(const struct cx_auth *a, const struct challenge *c)
{
	uint64_t h = hstr(c->p.v[P_NONCE]);
	for (size_t i = ht_first(&a->by_nonce, h); i != SIZE_MAX; i = ht_next(&a->by_nonce, h, i))
		if (a->by_nonce.t[i].v == c)
			return i;
	return SIZE_MAX;
}

static void
forget_nonce(struct cx_auth *a, const char *nonce)
{
	if (!a->forgotten && !(a->forgotten = calloc(FORGET_SLOTS, sizeof(*a->forgotten))))
		return;
	uint64_t h = hstr(nonce) | 1;
	a->forgotten[h & (FORGET_SLOTS - 1)] = h;
}

static bool
was_forgotten(const struct cx_auth *a, const char *nonce)
{
	uint64_t h = hstr(nonce) | 1;
	return a->forgotten && a->forgotten[h & (FORGET_SLOTS - 1)] == h;
}

/* The oldest finished challenge is no longer the issuer answers can find. */
static void
lru_evict(struct cx_auth *a)
{
	struct challenge *c = a->lru_head;
	lru_unlink(a, c);
	size_t pos = nonce_pos_of(a, c);
	if (pos != SIZE_MAX)
		ht_del(&a->by_nonce, pos);
	c->latest = false;
	forget_nonce(a, c->p.v[P_NONCE]);
	challenge_maybe_free(c);
}

static void
set_answered(struct cx_auth *a, uint32_t seq)
{
	size_t byte = seq / 8;
	if (byte >= a->capans) {
		size_t nc = a->capans ? a->capans : 256;
		while (nc <= byte)
			nc *= 2;
		uint8_t *nb = realloc(a->answered, nc);
		if (!nb)
			return;
		memset(nb + a->capans, 0, nc - a->capans);
		a->answered = nb;
		a->capans = nc;
	}
	a->answered[byte] |= (uint8_t)(1u << (seq % 8));
}

static bool
is_answered(const struct cx_auth *a, uint32_t seq)
{
	return seq / 8 < a->capans && (a->answered[seq / 8] >> (seq % 8)) & 1;
}

static struct group *
group_of(struct cx_auth *a, const char *call_id, bool create, size_t *posp)
{
	uint64_t h = hstr(call_id);
	for (size_t i = ht_first(&a->by_call, h); i != SIZE_MAX; i = ht_next(&a->by_call, h, i)) {
		struct group *g = a->by_call.t[i].v;
		if (!strcmp(g->call_id, call_id)) {
			if (posp)
				*posp = i;
			return g;
		}
	}
	if (!create)
		return NULL;
	struct group *g = calloc(1, sizeof(*g));
	if (!g || !(g->call_id = strdup(call_id)) || !ht_put(&a->by_call, h, g)) {
		if (g)
			free(g->call_id);
		free(g);
		return NULL;
	}
	return g;
}

/* Position in by_txn of the chain for e's transaction. */
static size_t
txn_pos(const struct cx_auth *a, const char *call_id, uint32_t cseq, const char *method)
{
	uint64_t h = txn_hash(call_id, cseq, method);
	for (size_t i = ht_first(&a->by_txn, h); i != SIZE_MAX; i = ht_next(&a->by_txn, h, i)) {
		const struct exchange *e = a->by_txn.t[i].v;
		if (e->cseq == cseq && !strcmp(e->call_id, call_id) && !strcmp(e->method, method))
			return i;
	}
	return SIZE_MAX;
}

static void
exchange_free(struct exchange *e)
{
	dp_free(&e->p);
	free(e->method);
	free(e->call_id);
	free(e->body_hash);
	free(e->password);
	free(e);
}

/* e leaves memory (spilled, or at the end). */
static void
exchange_release(struct cx_auth *a, struct exchange *e)
{
	if (e->waiting) {
		/* the whole chain is this Call-ID's: it goes with it */
		size_t pos = txn_pos(a, e->call_id, e->cseq, e->method);
		if (pos != SIZE_MAX) {
			for (struct exchange *o = a->by_txn.t[pos].v; o; o = o->vnext)
				o->waiting = false;
			ht_del(&a->by_txn, pos);
		}
	}
	if (e->nuse)
		a->nu[e->nuse - 1].first_live = NULL;
	ex_unlink(a, e);
	struct challenge *c = e->ch;
	exchange_free(e);
	if (c) {
		c->refs--;
		challenge_maybe_free(c);
	}
}

struct cx_auth *
cx_auth_new(struct cx_ctx *ctx)
{
	struct cx_auth *a = calloc(1, sizeof(*a));
	if (a)
		a->ctx = ctx;
	return a;
}

void
cx_auth_free(struct cx_auth *a)
{
	if (!a)
		return;
	while (a->ex_head) {
		struct exchange *e = a->ex_head;
		e->waiting = false;
		e->nuse = 0;
		exchange_release(a, e);
	}
	while (a->ch_head) {
		struct challenge *c = a->ch_head;
		ch_unlink(a, c);
		challenge_free(c);
	}
	while (a->lru_head) {
		struct challenge *c = a->lru_head;
		lru_unlink(a, c);
		challenge_free(c);
	}
	for (size_t i = 0; i < a->by_call.cap; i++) {
		struct group *g = a->by_call.t[i].v;
		if (g) {
			free(g->call_id);
			free(g);
		}
	}
	ht_free(&a->by_call);
	ht_free(&a->by_nonce);
	ht_free(&a->by_txn);
	ht_free(&a->by_use);
	free(a->nu);
	free(a->answered);
	free(a->forgotten);
	cx_spill_free(a->exsp);
	cx_spill_free(a->chsp);
	for (size_t i = 0; i < a->nct; i++) {
		free(a->ct[i].proto);
		free(a->ct[i].user);
		free(a->ct[i].password);
		free(a->ct[i].verdict);
	}
	free(a->ct);
	free(a);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
b64_decode(const char *s, size_t n, char *out, size_t outsz)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(b64, s[i]);
		if (!p || !s[i])
			break;
		acc = (acc << 6) | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 < outsz)
				out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return o;
}

void
cx_auth_add_cleartext(struct cx_auth *a, const char *proto, const char *user, const char *password,
		      const char *verdict, uint64_t frame, int64_t ts_ns, const struct cx_addr *client,
		      uint16_t cport, const struct cx_addr *server, uint16_t sport)
{
	if (a->nct >= 10000)
		return;
	if (cx_grow(&a->ct, &a->capct, a->nct, sizeof(*a->ct)) < 0)
		return;
	struct cleartext *c = &a->ct[a->nct++];
	c->proto = strdup(proto);
	c->user = strdup(user ? user : "");
	c->password = strdup(password ? password : "");
	c->verdict = strdup(verdict ? verdict : "unknown");
	c->frame = frame;
	c->ts = ts_ns;
	c->client = *client;
	c->cport = cport;
	c->server = *server;
	c->sport = sport;
	cx_findings_add(a->ctx->findings, CX_SEV_HIGH, "auth.cleartext", frame,
			"%s credentials sent in clear text (user \"%s\")", proto, user ? user : "");
}

/* Calls fn for every header line named name (case-insensitive). */
static void
each_header(const struct cx_sip_msg_view *m, const char *name,
	    void (*fn)(struct cx_auth *, const struct cx_sip_msg_view *, const char *, size_t, bool),
	    struct cx_auth *a, bool proxy)
{
	size_t hl = m->body ? (size_t)(m->body - m->raw) : m->raw_len;
	size_t nl = strlen(name), i = 0;
	while (i < hl) {
		size_t e = i;
		while (e < hl && m->raw[e] != '\n')
			e++;
		const char *l = m->raw + i;
		size_t ll = e - i;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll > nl && !strncasecmp(l, name, nl)) {
			size_t k = nl;
			while (k < ll && (l[k] == ' ' || l[k] == '\t'))
				k++;
			if (k < ll && l[k] == ':')
				fn(a, m, l + k + 1, ll - k - 1, proxy);
		}
		i = e + 1;
	}
}

static void
on_challenge(struct cx_auth *a, const struct cx_sip_msg_view *m, const char *v, size_t n, bool proxy)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n < 7 || strncasecmp(v, "Digest", 6))
		return;
	if (a->nch >= MAX_CHALLENGES)
		return;
	struct challenge *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	dp_parse(v + 6, n - 6, &c->p);
	c->status = m->status;
	c->call_id = strdup(m->call_id ? m->call_id : "");
	c->frame = m->frame;
	c->ts = m->ts_ns;
	c->server = m->src;
	c->sport = m->sport;
	c->client = m->dst;
	c->cport = m->dport;
	c->proxy = proxy;
	struct group *g = c->call_id ? group_of(a, c->call_id, true, NULL) : NULL;
	if (!g) {
		challenge_free(c);
		return;
	}
	const char *nonce = c->p.v[P_NONCE];
	if (nonce) {
		/* the latest challenge that issued a nonce is the one answers pair with */
		uint64_t h = hstr(nonce);
		size_t i;
		for (i = ht_first(&a->by_nonce, h); i != SIZE_MAX; i = ht_next(&a->by_nonce, h, i))
			if (!strcmp(((struct challenge *)a->by_nonce.t[i].v)->p.v[P_NONCE], nonce))
				break;
		if (i != SIZE_MAX) {
			struct challenge *old = a->by_nonce.t[i].v;
			a->by_nonce.t[i].v = c;
			old->latest = false;
			if (old->spilled) {
				lru_unlink(a, old);
				challenge_maybe_free(old);
			}
			c->latest = true;
		} else {
			c->latest = ht_put(&a->by_nonce, h, c);
		}
	}
	c->seq = (uint32_t)a->nch++;
	c->gnext = g->ch;
	g->ch = c;
	c->prev = a->ch_tail;
	if (a->ch_tail)
		a->ch_tail->next = c;
	else
		a->ch_head = c;
	a->ch_tail = c;
	a->msg_stale |= c->p.v[P_STALE] && !strcasecmp(c->p.v[P_STALE], "true");
}

/* Two answers of the same nonce: is the other one (seq) from call_id? And
 * does it carry nonce? Compared on the strings, from memory or the spill. */
static bool
first_use_is(struct cx_auth *a, const struct nonce_use *u, const char *nonce, const char *call_id)
{
	const struct exchange *f = u->first_live;
	struct exchange v;
	struct challenge cb;
	if (!f) {
		if (!a->exsp || !load_exchange(a, u->first_seq, &v, &cb))
			return false;
		f = &v;
	}
	if (nonce)
		return f->p.v[P_NONCE] && !strcmp(f->p.v[P_NONCE], nonce);
	return call_id && f->call_id && !strcmp(f->call_id, call_id);
}

/* The nonce-reuse bookkeeping for a new exchange. */
static void
count_nonce_use(struct cx_auth *a, struct exchange *e)
{
	const char *nonce = e->p.v[P_NONCE];
	uint64_t h = hstr(nonce), hc = hstr(e->call_id);
	for (size_t i = ht_first(&a->by_use, h); i != SIZE_MAX; i = ht_next(&a->by_use, h, i)) {
		struct nonce_use *u = &a->nu[(uintptr_t)a->by_use.t[i].v - 1];
		if (!first_use_is(a, u, nonce, NULL))
			continue;
		u->uses++;
		if (!u->other_dialog && (hc != u->cid_hash || !first_use_is(a, u, NULL, e->call_id)))
			u->other_dialog = true;
		return;
	}
	if (cx_grow(&a->nu, &a->capnu, a->nnu, sizeof(*a->nu)) < 0 ||
	    !ht_put(&a->by_use, h, (void *)(uintptr_t)(a->nnu + 1)))
		return;
	struct nonce_use *u = &a->nu[a->nnu++];
	memset(u, 0, sizeof(*u));
	u->cid_hash = hc;
	u->first_live = e;
	u->first_seq = e->seq;
	u->uses = 1;
	e->nuse = (uint32_t)a->nnu;
}

static void
on_answer(struct cx_auth *a, const struct cx_sip_msg_view *m, const char *v, size_t n, bool proxy)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n > 6 && !strncasecmp(v, "Basic ", 6)) {
		char dec[512];
		size_t dl = b64_decode(v + 6, n - 6, dec, sizeof(dec));
		char *colon = memchr(dec, ':', dl);
		if (colon) {
			*colon = '\0';
			cx_auth_add_cleartext(a, "sip-basic", dec, colon + 1, "unknown", m->frame, m->ts_ns,
					      &m->src, m->sport, &m->dst, m->dport);
		}
		return;
	}
	if (n < 7 || strncasecmp(v, "Digest", 6))
		return;
	struct exchange *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	dp_parse(v + 6, n - 6, &e->p);
	e->method = strdup(m->method ? m->method : "");
	e->call_id = strdup(m->call_id ? m->call_id : "");
	e->cseq = m->cseq;
	e->frame = m->frame;
	e->ts = m->ts_ns;
	e->client = m->src;
	e->cport = m->sport;
	e->server = m->dst;
	e->sport = m->dport;
	e->proxy = proxy;
	if (e->p.v[P_QOP] && !strcasecmp(e->p.v[P_QOP], "auth-int")) {
		bool sess;
		enum cx_digest_alg alg = cx_digest_alg(e->p.v[P_ALGORITHM], &sess);
		char h[129];
		if (alg != CX_DIG_UNKNOWN &&
		    cx_digest_hex(alg, m->body ? m->body : "", m->body ? m->body_len : 0, h) == 0)
			e->body_hash = strdup(h);
	}
	/* Pair with the latest challenge that issued this nonce. */
	struct challenge *ch = NULL;
	bool forgotten = false;
	const char *nonce = e->p.v[P_NONCE];
	if (nonce) {
		uint64_t h = hstr(nonce);
		for (size_t i = ht_first(&a->by_nonce, h); i != SIZE_MAX && !ch; i = ht_next(&a->by_nonce, h, i))
			if (!strcmp(((struct challenge *)a->by_nonce.t[i].v)->p.v[P_NONCE], nonce))
				ch = a->by_nonce.t[i].v;
		forgotten = !ch && was_forgotten(a, nonce);
	}
	if (e->p.bad || e->p.dup || e->p.truncated || !e->p.v[P_USERNAME] || !e->p.v[P_RESPONSE])
		cx_findings_add(a->ctx->findings, CX_SEV_LOW, "auth.malformed_header", m->frame,
				"%s header is damaged (%s%s%s%s)", proxy ? "Proxy-Authorization" : "Authorization",
				e->p.bad ? "syntax " : "", e->p.dup ? "duplicated parameter " : "",
				e->p.truncated ? "over-long value " : "",
				(!e->p.v[P_USERNAME] || !e->p.v[P_RESPONSE]) ? "missing username/response" : "");
	struct group *g = NULL;
	if (a->nex >= MAX_EXCHANGES || !e->method || !e->call_id ||
	    !(g = group_of(a, e->call_id, true, NULL))) {
		exchange_free(e);
		return;
	}
	e->seq = (uint32_t)a->nex++;
	if (e->seq == 0) {
		a->first_ts = e->ts;
		a->first_frame = e->frame;
	}
	if (forgotten)
		cx_stats_add(a->ctx->stats, "error.auth.challenges_forgotten", 1);
	if (ch) {
		e->ch = ch;
		ch->refs++;
		set_answered(a, ch->seq);
	}
	e->gnext = g->ex;
	g->ex = e;
	e->prev = a->ex_tail;
	if (a->ex_tail)
		a->ex_tail->next = e;
	else
		a->ex_head = e;
	a->ex_tail = e;
	/* waiting for its verdict: newest first on its transaction */
	size_t pos = txn_pos(a, e->call_id, e->cseq, e->method);
	if (pos != SIZE_MAX) {
		e->vnext = a->by_txn.t[pos].v;
		a->by_txn.t[pos].v = e;
		e->waiting = true;
	} else {
		e->waiting = ht_put(&a->by_txn, txn_hash(e->call_id, e->cseq, e->method), e);
	}
	if (nonce)
		count_nonce_use(a, e);
	a->msg_answers++;
}

size_t
cx_auth_on_sip(struct cx_auth *a, const struct cx_sip_msg_view *m)
{
	if (m->retransmission)
		return 0;
	a->msg_answers = 0;
	if (m->is_request) {
		each_header(m, "Authorization", on_answer, a, false);
		each_header(m, "Proxy-Authorization", on_answer, a, true);
		return a->msg_answers;
	}
	a->msg_stale = false;
	if (m->status == 401)
		each_header(m, "WWW-Authenticate", on_challenge, a, false);
	if (m->status == 407)
		each_header(m, "Proxy-Authenticate", on_challenge, a, true);
	/* Verdict: a final response to a request that carried credentials. */
	if (m->status >= 200 && m->call_id && m->cseq_method) {
		size_t pos = txn_pos(a, m->call_id, m->cseq, m->cseq_method);
		if (pos != SIZE_MAX) {
			struct exchange *e = a->by_txn.t[pos].v;
			e->verdict_status = m->status;
			e->verdict_frame = m->frame;
			e->verdict_stale = a->msg_stale;
			e->waiting = false;
			if (e->vnext)
				a->by_txn.t[pos].v = e->vnext;
			else
				ht_del(&a->by_txn, pos);
			e->vnext = NULL;
		}
	}
	return 0;
}

void
cx_auth_dialog_done(struct cx_auth *a, const char *call_id)
{
	size_t gpos;
	struct group *g = a && call_id ? group_of(a, call_id, false, &gpos) : NULL;
	if (!g || !spills_open(a))
		return;
	struct cx_rec r;
	memset(&r, 0, sizeof(r));
	/* exchanges first: their records copy their challenge's fields */
	struct exchange *keep_ex = NULL;
	for (struct exchange *e = g->ex, *next; e; e = next) {
		next = e->gnext;
		r.n = 0;
		rec_exchange(&r, e);
		if (r.oom || cx_spill_put(a->exsp, e->seq, r.b, r.n) < 0) {
			e->gnext = keep_ex; /* stays in memory */
			keep_ex = e;
			continue;
		}
		exchange_release(a, e);
	}
	g->ex = keep_ex;
	struct challenge *keep_ch = NULL;
	for (struct challenge *c = g->ch, *next; c; c = next) {
		next = c->gnext;
		r.n = 0;
		rec_challenge(&r, c);
		if (r.oom || cx_spill_put(a->chsp, c->seq, r.b, r.n) < 0) {
			c->gnext = keep_ch;
			keep_ch = c;
			continue;
		}
		ch_unlink(a, c);
		c->gnext = NULL;
		c->spilled = true;
		if (c->latest) {
			/* a later answer from another dialog may still pair with it */
			c->prev = a->lru_tail;
			if (a->lru_tail)
				a->lru_tail->next = c;
			else
				a->lru_head = c;
			a->lru_tail = c;
			if (++a->nlru > LRU_MAX)
				lru_evict(a);
		} else {
			challenge_maybe_free(c);
		}
	}
	g->ch = keep_ch;
	cx_rec_free(&r);
	if (!g->ex && !g->ch) {
		ht_del(&a->by_call, gpos);
		free(g->call_id);
		free(g);
	} else {
		cx_stats_add(a->ctx->stats, "error.auth.spill_failed", 1);
	}
}

/* ---------- audit ---------- */

static void
params_of(const struct exchange *e, struct cx_digest_params *p)
{
	p->username = e->p.v[P_USERNAME];
	p->realm = e->p.v[P_REALM];
	p->nonce = e->p.v[P_NONCE];
	p->uri = e->p.v[P_URI];
	p->method = e->method;
	p->qop = e->p.v[P_QOP];
	p->nc = e->p.v[P_NC];
	p->cnonce = e->p.v[P_CNONCE];
	p->algorithm = e->p.v[P_ALGORITHM];
	p->body_hash = e->body_hash;
}

struct crack_job {
	struct cx_auth *a;
	struct exchange **v;      /* the exchanges audited */
	size_t n;
	pthread_mutex_t lock;
	FILE *f;                  /* current wordlist */
	size_t wl;                /* index of the wordlist being read */
	size_t pw;                /* index in cfg->passwords */
	uint64_t tried;
	bool done;
	size_t left;              /* exchanges not yet cracked */
};

/* Hands out up to max candidates (copied into buf) under the lock. */
static size_t
next_batch(struct crack_job *j, char (*buf)[256], size_t max)
{
	const struct cx_config *cfg = j->a->ctx->cfg;
	size_t n = 0;
	pthread_mutex_lock(&j->lock);
	while (n < max && !j->done && j->left) {
		if (j->pw < cfg->n_passwords) {
			snprintf(buf[n++], 256, "%s", cfg->passwords[j->pw++]);
			continue;
		}
		if (!j->f) {
			if (j->wl >= cfg->n_wordlists) {
				j->done = true;
				break;
			}
			j->f = fopen(cfg->wordlists[j->wl], "r");
			if (!j->f) {
				cx_log(j->a->ctx, CX_LOG_WARN, "%s: cannot open the wordlist", cfg->wordlists[j->wl]);
				j->wl++;
				continue;
			}
		}
		if (!fgets(buf[n], 256, j->f)) {
			fclose(j->f);
			j->f = NULL;
			j->wl++;
			continue;
		}
		size_t l = strlen(buf[n]);
		while (l && (buf[n][l - 1] == '\n' || buf[n][l - 1] == '\r'))
			buf[n][--l] = '\0';
		n++;
	}
	uint64_t before = j->tried;
	j->tried += n;
	/* progress on a terminal: every 2^18 candidates */
	if (cfg->progress && (before >> 20) != (j->tried >> 20))
		fprintf(stderr, "\r\033[Kpassword audit: %llu candidates, %zu exchange(s) left",
			(unsigned long long)j->tried, j->left);
	pthread_mutex_unlock(&j->lock);
	return n;
}

/* Per exchange, what does not depend on the password: "user:realm:" and
 * ":nonce[:nc:cnonce:qop]:HA2". Non-sess exchanges then cost two digests
 * per candidate on a reused context; -sess ones take the general path. */
struct precomp {
	bool fast;
	EVP_MD *md;             /* owned: EVP_MD_free */
	char prefix[MAX_VAL * 2 + 4];
	size_t prefix_len;
	char suffix[MAX_VAL * 3 + 300];
	size_t suffix_len;
	unsigned char want[64];
	unsigned int want_len;
};

static void
precompute(struct exchange *e, struct precomp *pc)
{
	memset(pc, 0, sizeof(*pc));
	bool sess;
	enum cx_digest_alg alg = cx_digest_alg(e->p.v[P_ALGORITHM], &sess);
	const char *resp = e->p.v[P_RESPONSE];
	if (sess || alg == CX_DIG_UNKNOWN || !resp || !e->p.v[P_USERNAME] || !e->p.v[P_REALM] ||
	    !e->p.v[P_NONCE] || !e->p.v[P_URI])
		return;
	/* An explicitly fetched EVP_MD: OpenSSL 3 otherwise looks the
	 * implementation up (under a lock) at every EVP_DigestInit_ex. */
	pc->md = EVP_MD_fetch(NULL, alg == CX_DIG_MD5 ? "MD5" : alg == CX_DIG_SHA256 ? "SHA256" : "SHA512-256", NULL);
	if (!pc->md)
		return;
	size_t rl = strlen(resp);
	if (rl % 2 || rl / 2 > sizeof(pc->want))
		return;
	for (size_t i = 0; i < rl / 2; i++) {
		unsigned v;
		if (sscanf(resp + 2 * i, "%2x", &v) != 1)
			return;
		pc->want[i] = (unsigned char)v;
	}
	pc->want_len = (unsigned int)(rl / 2);
	pc->prefix_len = (size_t)snprintf(pc->prefix, sizeof(pc->prefix), "%s:%s:", e->p.v[P_USERNAME], e->p.v[P_REALM]);
	/* HA2 through the general code, so auth-int stays right */
	struct cx_digest_params p;
	params_of(e, &p);
	char ha2[129], tmp[MAX_VAL + 64];
	const char *qop = p.qop && *p.qop ? p.qop : NULL;
	if (qop && !strcasecmp(qop, "auth-int")) {
		if (!p.body_hash)
			return;
		snprintf(tmp, sizeof(tmp), "%s:%s:%s", p.method, p.uri, p.body_hash);
	} else {
		snprintf(tmp, sizeof(tmp), "%s:%s", p.method, p.uri);
	}
	if (cx_digest_hex(alg, tmp, strlen(tmp), ha2) != 0)
		return;
	if (qop)
		pc->suffix_len = (size_t)snprintf(pc->suffix, sizeof(pc->suffix), ":%s:%s:%s:%s:%s", p.nonce,
						  p.nc ? p.nc : "", p.cnonce ? p.cnonce : "", qop, ha2);
	else
		pc->suffix_len = (size_t)snprintf(pc->suffix, sizeof(pc->suffix), ":%s:%s", p.nonce, ha2);
	pc->fast = pc->prefix_len < sizeof(pc->prefix) && pc->suffix_len < sizeof(pc->suffix);
}

static bool
fast_check(EVP_MD_CTX *ctx, const struct precomp *pc, const char *pw, size_t pwl)
{
	unsigned char h[64], r[64];
	unsigned int hl, l2;
	static const char hex[] = "0123456789abcdef";
	char hx[128];
	EVP_DigestInit_ex(ctx, pc->md, NULL);
	EVP_DigestUpdate(ctx, pc->prefix, pc->prefix_len);
	EVP_DigestUpdate(ctx, pw, pwl);
	EVP_DigestFinal_ex(ctx, h, &hl);
	for (unsigned int i = 0; i < hl; i++) {
		hx[2 * i] = hex[h[i] >> 4];
		hx[2 * i + 1] = hex[h[i] & 15];
	}
	EVP_DigestInit_ex(ctx, pc->md, NULL);
	EVP_DigestUpdate(ctx, hx, 2 * hl);
	EVP_DigestUpdate(ctx, pc->suffix, pc->suffix_len);
	EVP_DigestFinal_ex(ctx, r, &l2);
	return l2 == pc->want_len && !memcmp(r, pc->want, l2);
}

static const char *
verdict_name(const struct exchange *e)
{
	int s = e->verdict_status;
	if (!strcmp(e->method, "ACK"))
		return "n/a (ACK has no response)";
	if (!s)
		return "no-response";
	if (s < 300)
		return "accepted";
	if (s == 401 || s == 407)
		return e->verdict_stale ? "stale" : "re-challenged"; /* wrong credentials */
	return "rejected";
}

/* hashcat 11400 / John SIP: crackable means MD5, not -sess, qop none or auth. */
static bool
crackable(const struct exchange *e, char *why, size_t n)
{
	bool sess;
	enum cx_digest_alg alg = cx_digest_alg(e->p.v[P_ALGORITHM], &sess);
	if (!e->p.v[P_USERNAME] || !e->p.v[P_RESPONSE] || !e->p.v[P_NONCE] || !e->p.v[P_URI] || !e->p.v[P_REALM]) {
		snprintf(why, n, "missing digest parameters");
		return false;
	}
	if (alg != CX_DIG_MD5 || sess) {
		snprintf(why, n, "algorithm %s is not supported by hashcat 11400 / John SIP",
			 e->p.v[P_ALGORITHM] ? e->p.v[P_ALGORITHM] : "?");
		return false;
	}
	if (e->p.v[P_QOP] && strcasecmp(e->p.v[P_QOP], "auth")) {
		snprintf(why, n, "qop=%s is not supported by hashcat 11400 / John SIP", e->p.v[P_QOP]);
		return false;
	}
	for (const char *s = e->p.v[P_URI]; *s; s++)
		if (*s == '*') {
			snprintf(why, n, "a '*' in the URI cannot be written in the $sip$ format");
			return false;
		}
	return true;
}

static void
hash_line(const struct exchange *e, char *out, size_t n)
{
	char srv[CX_ADDR_STRLEN], cli[CX_ADDR_STRLEN];
	cx_addr_str(&e->server, srv);
	cx_addr_str(&e->client, cli);
	char uri[MAX_VAL + 1];
	snprintf(uri, sizeof(uri), "%s", e->p.v[P_URI]);
	char *prefix = uri, *resource = "", *suffix = "";
	char *c1 = strchr(uri, ':');
	if (c1) {
		*c1 = '\0';
		resource = c1 + 1;
		char *c2 = strchr(resource, ':');
		if (c2) {
			*c2 = '\0';
			suffix = c2 + 1;
		}
	}
	bool qop = e->p.v[P_QOP] != NULL;
	/* Field order as sipdump writes it: the requesting client first. */
	snprintf(out, n, "$sip$*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*%s*MD5*%s", cli, srv,
		 e->p.v[P_USERNAME], e->p.v[P_REALM], e->method, prefix, resource, suffix,
		 e->p.v[P_NONCE], qop && e->p.v[P_CNONCE] ? e->p.v[P_CNONCE] : "",
		 qop && e->p.v[P_NC] ? e->p.v[P_NC] : "", qop ? e->p.v[P_QOP] : "",
		 e->p.v[P_RESPONSE]);
}

struct worker_arg {
	struct crack_job *j;
	struct precomp *pc;
};

static void *
crack_worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct crack_job *j = wa->j;
	char (*buf)[256] = malloc((size_t)BATCH * 256);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n;
	if (!buf || !ctx) {
		free(buf);
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	while ((n = next_batch(j, buf, BATCH)) > 0) {
		for (size_t i = 0; i < j->n; i++) {
			struct exchange *e = j->v[i];
			if (__atomic_load_n(&e->password, __ATOMIC_ACQUIRE))
				continue; /* solved by another thread */
			const struct precomp *pc = &wa->pc[i];
			struct cx_digest_params p;
			params_of(e, &p);
			char out[129];
			for (size_t k = 0; k < n; k++) {
				bool hit;
				if (pc->fast) {
					hit = fast_check(ctx, pc, buf[k], strlen(buf[k]));
				} else {
					if (cx_digest_response(&p, buf[k], out) != 0)
						break;
					hit = !strcasecmp(out, e->p.v[P_RESPONSE]);
				}
				if (hit) {
					pthread_mutex_lock(&j->lock);
					if (!e->password) {
						__atomic_store_n(&e->password, strdup(buf[k]), __ATOMIC_RELEASE);
						j->left--;
					}
					pthread_mutex_unlock(&j->lock);
					break;
				}
			}
		}
	}
	free(buf);
	EVP_MD_CTX_free(ctx);
	return NULL;
}

/* Calls fn for every exchange in order of arrival: those in memory as they
 * are, spilled ones as views of their records (borrowed for the call; fn
 * must not read the exchange spill itself). Stops when fn returns false. */
static void
each_exchange(struct cx_auth *a, bool (*fn)(struct cx_auth *, struct exchange *, void *), void *arg)
{
	struct exchange *live = a->ex_head;
	for (size_t s = 0; s < a->nex; s++) {
		struct exchange *e, v;
		struct challenge cb;
		if (live && live->seq == s) {
			e = live;
			live = live->next;
		} else if (a->exsp && load_exchange(a, s, &v, &cb)) {
			e = &v;
			if (a->finished)
				e->crackable = crackable(e, e->reason, sizeof(e->reason));
		} else {
			continue;
		}
		if (!fn(a, e, arg))
			return;
	}
}

static void
each_challenge(struct cx_auth *a, bool (*fn)(struct cx_auth *, struct challenge *, void *), void *arg)
{
	struct challenge *live = a->ch_head;
	for (size_t s = 0; s < a->nch; s++) {
		struct challenge *c, v;
		size_t len;
		const char *d;
		if (live && live->seq == s) {
			c = live;
			live = live->next;
		} else if (a->chsp && (d = cx_spill_get(a->chsp, s, &len))) {
			struct cx_rec r;
			cx_rec_open(&r, d, len);
			if (!get_challenge(&r, &v)) {
				cx_stats_add(a->ctx->stats, "error.auth.spill_unreadable", 1);
				continue;
			}
			v.seq = (uint32_t)s;
			c = &v;
		} else {
			if (a->chsp)
				cx_stats_add(a->ctx->stats, "error.auth.spill_unreadable", 1);
			continue;
		}
		if (!fn(a, c, arg))
			return;
	}
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct audit_set {
	struct exchange **v;
	size_t n, cap;
	bool oom;
};

/* An exchange the audit can work on: it has a response and its digest can
 * be computed. Spilled ones are copied into memory. */
static bool
audit_collect(struct cx_auth *a, struct exchange *e, void *arg)
{
	(void)a;
	struct audit_set *s = arg;
	struct cx_digest_params p;
	params_of(e, &p);
	char out[129];
	if (!e->p.v[P_RESPONSE] || cx_digest_response(&p, "", out) != 0)
		return true;
	if (e->view) {
		struct exchange *c = calloc(1, sizeof(*c));
		if (!c) {
			s->oom = true;
			return false;
		}
		c->view = true; /* a copy: owned strings, not in the lists */
		c->seq = e->seq;
		c->method = dup_or_null(e->method);
		c->call_id = dup_or_null(e->call_id);
		c->body_hash = dup_or_null(e->body_hash);
		c->password = dup_or_null(e->password);
		for (int k = 0; k < P_N; k++)
			c->p.v[k] = dup_or_null(e->p.v[k]);
		e = c;
	}
	if (cx_grow(&s->v, &s->cap, s->n, sizeof(*s->v)) < 0) {
		if (e->view)
			exchange_free(e);
		s->oom = true;
		return false;
	}
	s->v[s->n++] = e;
	return true;
}

/* The password audit needs every exchange it works on at once: spilled
 * ones are loaded back from the spill for it, so memory is proportional to
 * the exchanges in audit mode (--wordlist / --password) only. A password
 * found for a spilled exchange is written back into its record. */
static void
audit(struct cx_auth *a)
{
	const struct cx_config *cfg = a->ctx->cfg;
	if (!cfg->n_wordlists && !cfg->n_passwords)
		return;
	struct audit_set set;
	memset(&set, 0, sizeof(set));
	each_exchange(a, audit_collect, &set);
	if (set.oom)
		cx_log(a->ctx, CX_LOG_WARN, "password audit: out of memory, some exchanges are not audited");
	struct crack_job j;
	memset(&j, 0, sizeof(j));
	j.a = a;
	j.v = set.v;
	j.n = set.n;
	j.left = set.n;
	pthread_mutex_init(&j.lock, NULL);
	int threads = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	struct precomp *pc = calloc(set.n ? set.n : 1, sizeof(*pc));
	if (pc) {
		for (size_t i = 0; i < set.n; i++)
			precompute(set.v[i], &pc[i]);
		struct worker_arg wa = { &j, pc };
		pthread_t t[64];
		int started = 0;
		for (int i = 0; i < threads; i++)
			if (pthread_create(&t[i], NULL, crack_worker, &wa) == 0)
				started++;
		for (int i = 0; i < started; i++)
			pthread_join(t[i], NULL);
		for (size_t i = 0; i < set.n; i++)
			EVP_MD_free(pc[i].md);
		free(pc);
	}
	if (j.f)
		fclose(j.f);
	pthread_mutex_destroy(&j.lock);
	struct cx_rec r;
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < set.n; i++) {
		struct exchange *c = set.v[i], v;
		struct challenge cb;
		if (!c->view)
			continue;
		if (c->password && load_exchange(a, c->seq, &v, &cb)) {
			v.password = c->password;
			r.n = 0;
			rec_exchange(&r, &v);
			if (r.oom || cx_spill_put(a->exsp, c->seq, r.b, r.n) < 0)
				cx_stats_add(a->ctx->stats, "error.auth.spill_failed", 1);
		}
		exchange_free(c);
	}
	cx_rec_free(&r);
	free(set.v);
	if (!pc)
		return;
	if (cfg->progress)
		fputc('\n', stderr);
	cx_stats_add(a->ctx->stats, "audit.candidates", j.tried);
	cx_log(a->ctx, CX_LOG_INFO, "password audit: %llu candidates tried", (unsigned long long)j.tried);
}

struct finish_pass {
	FILE *hf;
	size_t lines;
	bool md5, noqop;
	size_t challenged, refused;
};

static bool
finish_one(struct cx_auth *a, struct exchange *e, void *arg)
{
	struct cx_ctx *ctx = a->ctx;
	struct finish_pass *f = arg;
	bool sess;
	if (cx_digest_alg(e->p.v[P_ALGORITHM], &sess) == CX_DIG_MD5)
		f->md5 = true;
	if (!e->p.v[P_QOP])
		f->noqop = true;
	e->crackable = crackable(e, e->reason, sizeof(e->reason));
	if (e->crackable) {
		if (!f->hf)
			f->hf = cx_outdir_fopen(ctx->out, "credentials/sip-digest.hashcat", "w");
		char line[8192];
		hash_line(e, line, sizeof(line));
		if (f->hf)
			fprintf(f->hf, "%s\n", line);
		f->lines++;
	}
	if (e->password)
		cx_findings_add(ctx->findings, CX_SEV_HIGH, "auth.password_recovered", e->frame,
				"password of SIP user \"%s\" recovered from its digest response: \"%s\"",
				e->p.v[P_USERNAME] ? e->p.v[P_USERNAME] : "", e->password);
	int s = e->verdict_status;
	if (s == 403 || s == 404)
		f->refused++;
	else if (s == 401 || s == 407 || (s >= 200 && s < 300))
		f->challenged++;
	return true;
}

struct summary_text {
	char text[CX_AUTH_SUMMARY_MAX];
	size_t o;
};

/* snprintf at buf + *o, *o kept inside buf */
static void
put_line(char *buf, size_t n, size_t *o, int k)
{
	if (k > 0)
		*o += (size_t)k;
	if (*o >= n)
		*o = n ? n - 1 : 0;
}

void
cx_auth_summary_head(char *buf, size_t n, size_t *o, size_t nex, size_t nch, size_t nct, size_t lines)
{
	put_line(buf, n, o, snprintf(buf + *o, n - *o, "== Credentials ==\n%zu digest answer(s), %zu challenge(s), %zu cleartext credential(s); %zu line(s) in credentials/sip-digest.hashcat.\n",
				     nex, nch, nct, lines));
}

void
cx_auth_summary_answer(char *buf, size_t n, size_t *o, uint64_t frame, const char *method,
		       const char *user, const char *realm, const char *alg, const char *verdict,
		       const char *password)
{
	if (*o >= n - CX_AUTH_SUMMARY_LINE)
		return;
	put_line(buf, n, o, snprintf(buf + *o, n - *o, "frame %llu: %s user \"%.60s\" realm \"%.60s\" %s, %s%s%s%s\n",
				     (unsigned long long)frame, method ? method : "?", user ? user : "?",
				     realm ? realm : "?", alg ? alg : "MD5", verdict ? verdict : "?",
				     password ? "; password RECOVERED: \"" : "", password ? password : "",
				     password ? "\"" : ""));
}

void
cx_auth_summary_cleartext(char *buf, size_t n, size_t *o, uint64_t frame, const char *proto,
			  const char *user, const char *password, const char *verdict)
{
	if (*o >= n - CX_AUTH_SUMMARY_LINE)
		return;
	put_line(buf, n, o, snprintf(buf + *o, n - *o, "frame %llu: %s cleartext user \"%.60s\" password \"%.60s\" (%s)\n",
				     (unsigned long long)frame, proto ? proto : "?", user ? user : "?",
				     password ? password : "?", verdict ? verdict : "?"));
}

static bool
summary_one(struct cx_auth *a, struct exchange *e, void *arg)
{
	(void)a;
	struct summary_text *t = arg;
	if (t->o >= sizeof(t->text) - CX_AUTH_SUMMARY_LINE)
		return false;
	cx_auth_summary_answer(t->text, sizeof(t->text), &t->o, e->frame, e->method, e->p.v[P_USERNAME],
			       e->p.v[P_REALM], e->p.v[P_ALGORITHM], verdict_name(e), e->password);
	return true;
}

void
cx_auth_finish(struct cx_auth *a)
{
	struct cx_ctx *ctx = a->ctx;
	audit(a);
	struct finish_pass fp;
	memset(&fp, 0, sizeof(fp));
	each_exchange(a, finish_one, &fp);
	a->finished = true;
	if (fp.hf)
		fclose(fp.hf);
	if (fp.md5)
		cx_findings_add(ctx->findings, CX_SEV_MEDIUM, "auth.md5", 0,
				"SIP digest authentication uses MD5: responses seen on the wire can be brute-forced offline");
	if (fp.noqop)
		cx_findings_add(ctx->findings, CX_SEV_LOW, "auth.qop_absent", 0,
				"digest responses without qop: no client nonce, replay and precomputation are easier");
	/* The same nonce answered in several transactions or dialogs, in the
	 * order of the first answers. */
	for (size_t i = 0; i < a->nnu; i++) {
		struct nonce_use *u = &a->nu[i];
		if (u->uses < 2)
			continue;
		struct exchange v;
		struct challenge cb;
		const struct exchange *e = u->first_live;
		if (!e && (!a->exsp || !load_exchange(a, u->first_seq, &v, &cb)))
			continue;
		if (!e)
			e = &v;
		cx_findings_add(ctx->findings, u->other_dialog ? CX_SEV_MEDIUM : CX_SEV_INFO, "auth.nonce_reused", e->frame,
				"nonce \"%.40s\" answered %zu times%s", e->p.v[P_NONCE], (size_t)u->uses,
				u->other_dialog ? " across dialogs" : " (growing nc in one dialog)");
	}
	/* 401/407 for some user names and 403/404 for others reveal which exist. */
	if (fp.refused && fp.challenged)
		cx_findings_add(ctx->findings, CX_SEV_LOW, "auth.user_enumeration", 0,
				"the server answers authenticated requests with 403/404 for some user names and 401/407/2xx for others: user names can be told apart");

	/* credentials/summary.txt and a summary section */
	if (a->nex || a->nct) {
		FILE *f = cx_outdir_fopen(ctx->out, "credentials/summary.txt", "w");
		struct summary_text *t = malloc(sizeof(*t));
		if (!t) {
			if (f)
				fclose(f);
			return;
		}
		char *text = t->text;
		t->o = 0;
		cx_auth_summary_head(text, sizeof(t->text), &t->o, a->nex, a->nch, a->nct, fp.lines);
		each_exchange(a, summary_one, t);
		for (size_t i = 0; i < a->nct && t->o < sizeof(t->text) - CX_AUTH_SUMMARY_LINE; i++)
			cx_auth_summary_cleartext(text, sizeof(t->text), &t->o, a->ct[i].frame, a->ct[i].proto,
						  a->ct[i].user, a->ct[i].password, a->ct[i].verdict);
		if (f) {
			cx_fputs_text(text, f); /* the text rule (util/text.h) */
			fclose(f);
		}
		int64_t ts = a->nex ? a->first_ts : a->ct[0].ts;
		uint64_t fr = a->nex ? a->first_frame : a->ct[0].frame;
		cx_summary_add(ctx->summary, ts, fr, text);
		free(t);
	}
	if (a->exsp && cx_spill_error(a->exsp)[0])
		cx_log(ctx, CX_LOG_WARN, "auth: %s", cx_spill_error(a->exsp));
	if (a->chsp && cx_spill_error(a->chsp)[0])
		cx_log(ctx, CX_LOG_WARN, "auth: %s", cx_spill_error(a->chsp));
}

static struct json_object *
js(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *
exchange_json(const struct exchange *e)
{
	char ep[CX_ADDR_STRLEN + 8], t[48];
	struct json_object *x = json_object_new_object();
	json_object_object_add(x, "type", json_object_new_string("sip-digest"));
	json_object_object_add(x, "header", json_object_new_string(e->proxy ? "Proxy-Authorization" : "Authorization"));
	json_object_object_add(x, "call_id", json_object_new_string(e->call_id));
	json_object_object_add(x, "method", json_object_new_string(e->method));
	json_object_object_add(x, "cseq", json_object_new_int64(e->cseq));
	json_object_object_add(x, "frame", json_object_new_int64((int64_t)e->frame));
	json_object_object_add(x, "time", json_object_new_string(cx_time_utc(e->ts, t, sizeof(t))));
	json_object_object_add(x, "client", json_object_new_string(cx_endpoint_str(&e->client, e->cport, ep)));
	json_object_object_add(x, "server", json_object_new_string(cx_endpoint_str(&e->server, e->sport, ep)));
	for (int k = 0; k < P_N; k++)
		json_object_object_add(x, pnames[k], js(e->p.v[k]));
	if (e->ch) {
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "status", json_object_new_int(e->ch->status));
		json_object_object_add(c, "frame", json_object_new_int64((int64_t)e->ch->frame));
		json_object_object_add(c, "server", json_object_new_string(cx_endpoint_str(&e->ch->server, e->ch->sport, ep)));
		json_object_object_add(c, "client", json_object_new_string(cx_endpoint_str(&e->ch->client, e->ch->cport, ep)));
		for (int k = 0; k < P_N; k++)
			if (e->ch->p.v[k] && k != P_USERNAME && k != P_RESPONSE && k != P_URI && k != P_NC && k != P_CNONCE)
				json_object_object_add(c, pnames[k], json_object_new_string(e->ch->p.v[k]));
		json_object_object_add(x, "challenge", c);
	} else {
		json_object_object_add(x, "challenge", NULL);
	}
	json_object_object_add(x, "verdict", json_object_new_string(verdict_name(e)));
	json_object_object_add(x, "verdict_status", e->verdict_status ? json_object_new_int(e->verdict_status) : NULL);
	json_object_object_add(x, "verdict_frame", e->verdict_frame ? json_object_new_int64((int64_t)e->verdict_frame) : NULL);
	json_object_object_add(x, "crackable", json_object_new_boolean(e->crackable));
	if (e->crackable) {
		char line[8192];
		hash_line(e, line, sizeof(line));
		json_object_object_add(x, "hashcat", json_object_new_string(line));
	} else {
		json_object_object_add(x, "reason", json_object_new_string(e->reason));
	}
	json_object_object_add(x, "password", js(e->password));
	return x;
}

static struct json_object *
challenge_json(const struct cx_auth *a, const struct challenge *c)
{
	struct json_object *x = json_object_new_object();
	json_object_object_add(x, "status", json_object_new_int(c->status));
	json_object_object_add(x, "frame", json_object_new_int64((int64_t)c->frame));
	json_object_object_add(x, "call_id", json_object_new_string(c->call_id));
	json_object_object_add(x, "realm", js(c->p.v[P_REALM]));
	json_object_object_add(x, "nonce", js(c->p.v[P_NONCE]));
	json_object_object_add(x, "algorithm", js(c->p.v[P_ALGORITHM]));
	json_object_object_add(x, "qop", js(c->p.v[P_QOP]));
	json_object_object_add(x, "stale", js(c->p.v[P_STALE]));
	json_object_object_add(x, "answered", json_object_new_boolean(is_answered(a, c->seq)));
	return x;
}

static struct json_object *
cleartext_json(const struct cleartext *c)
{
	char ep[CX_ADDR_STRLEN + 8];
	struct json_object *x = json_object_new_object();
	json_object_object_add(x, "protocol", json_object_new_string(c->proto));
	json_object_object_add(x, "user", json_object_new_string(c->user));
	json_object_object_add(x, "password", json_object_new_string(c->password));
	json_object_object_add(x, "verdict", json_object_new_string(c->verdict));
	json_object_object_add(x, "frame", json_object_new_int64((int64_t)c->frame));
	json_object_object_add(x, "client", json_object_new_string(cx_endpoint_str(&c->client, c->cport, ep)));
	json_object_object_add(x, "server", json_object_new_string(cx_endpoint_str(&c->server, c->sport, ep)));
	return x;
}

static bool
add_exchange(struct cx_auth *a, struct exchange *e, void *arr)
{
	(void)a;
	json_object_array_add(arr, exchange_json(e));
	return true;
}

static bool
add_challenge(struct cx_auth *a, struct challenge *c, void *arr)
{
	json_object_array_add(arr, challenge_json(a, c));
	return true;
}

void
cx_auth_report(struct cx_auth *a, struct json_object *root)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ex = json_object_new_array();
	each_exchange(a, add_exchange, ex);
	json_object_object_add(o, "exchanges", ex);
	struct json_object *ch = json_object_new_array();
	each_challenge(a, add_challenge, ch);
	json_object_object_add(o, "challenges", ch);
	struct json_object *ct = json_object_new_array();
	for (size_t i = 0; i < a->nct; i++)
		json_object_array_add(ct, cleartext_json(&a->ct[i]));
	json_object_object_add(o, "cleartext", ct);
	json_object_object_add(o, "hashcat_file", a->nex ? json_object_new_string("credentials/sip-digest.hashcat") : NULL);
	json_object_object_add(root, "auth", o);
}

static bool
put_exchange(struct cx_auth *a, struct exchange *e, void *w)
{
	(void)a;
	cx_jsonw_element(w, exchange_json(e));
	return true;
}

static bool
put_challenge(struct cx_auth *a, struct challenge *c, void *w)
{
	cx_jsonw_element(w, challenge_json(a, c));
	return true;
}

void
cx_auth_report_stream(struct cx_auth *a, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "auth", false);
	cx_jsonw_begin(w, "exchanges", true);
	each_exchange(a, put_exchange, w);
	cx_jsonw_end(w, true);
	cx_jsonw_begin(w, "challenges", true);
	each_challenge(a, put_challenge, w);
	cx_jsonw_end(w, true);
	cx_jsonw_begin(w, "cleartext", true);
	for (size_t i = 0; i < a->nct; i++)
		cx_jsonw_element(w, cleartext_json(&a->ct[i]));
	cx_jsonw_end(w, true);
	cx_jsonw_member(w, "hashcat_file", a->nex ? json_object_new_string("credentials/sip-digest.hashcat") : NULL);
	cx_jsonw_end(w, false);
}
