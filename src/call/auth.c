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
};

struct cleartext {
	char *proto, *user, *password, *verdict;
	uint64_t frame;
	int64_t ts;
	struct cx_addr client, server;
	uint16_t cport, sport;
};

struct cx_auth {
	struct cx_ctx *ctx;
	struct challenge **ch;
	size_t nch, capch;
	struct exchange **ex;
	size_t nex, capex;
	struct cleartext *ct;
	size_t nct, capct;
	uint64_t recovered;
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
	for (size_t i = 0; i < a->nch; i++) {
		dp_free(&a->ch[i]->p);
		free(a->ch[i]->call_id);
		free(a->ch[i]);
	}
	for (size_t i = 0; i < a->nex; i++) {
		struct exchange *e = a->ex[i];
		dp_free(&e->p);
		free(e->method);
		free(e->call_id);
		free(e->body_hash);
		free(e->password);
		free(e);
	}
	for (size_t i = 0; i < a->nct; i++) {
		free(a->ct[i].proto);
		free(a->ct[i].user);
		free(a->ct[i].password);
		free(a->ct[i].verdict);
	}
	free(a->ch);
	free(a->ex);
	free(a->ct);
	free(a);
}

static bool
push(void ***v, size_t *n, size_t *cap, void *x, size_t max)
{
	if (*n >= max || cx_grow(v, cap, *n, sizeof(void *)) < 0)
		return false;
	(*v)[(*n)++] = x;
	return true;
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
	if (!push((void ***)&a->ch, &a->nch, &a->capch, c, MAX_CHALLENGES)) {
		dp_free(&c->p);
		free(c->call_id);
		free(c);
	}
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
	for (size_t i = a->nch; i-- > 0 && e->p.v[P_NONCE];) {
		struct challenge *c = a->ch[i];
		if (c->p.v[P_NONCE] && !strcmp(c->p.v[P_NONCE], e->p.v[P_NONCE])) {
			e->ch = c;
			break;
		}
	}
	if (e->p.bad || e->p.dup || e->p.truncated || !e->p.v[P_USERNAME] || !e->p.v[P_RESPONSE])
		cx_findings_add(a->ctx->findings, CX_SEV_LOW, "auth.malformed_header", m->frame,
				"%s header is damaged (%s%s%s%s)", proxy ? "Proxy-Authorization" : "Authorization",
				e->p.bad ? "syntax " : "", e->p.dup ? "duplicated parameter " : "",
				e->p.truncated ? "over-long value " : "",
				(!e->p.v[P_USERNAME] || !e->p.v[P_RESPONSE]) ? "missing username/response" : "");
	if (!push((void ***)&a->ex, &a->nex, &a->capex, e, MAX_EXCHANGES)) {
		dp_free(&e->p);
		free(e->method);
		free(e->call_id);
		free(e->body_hash);
		free(e);
	}
}

void
cx_auth_on_sip(struct cx_auth *a, const struct cx_sip_msg_view *m)
{
	if (m->retransmission)
		return;
	if (m->is_request) {
		each_header(m, "Authorization", on_answer, a, false);
		each_header(m, "Proxy-Authorization", on_answer, a, true);
		return;
	}
	size_t nch_before = a->nch;
	if (m->status == 401)
		each_header(m, "WWW-Authenticate", on_challenge, a, false);
	if (m->status == 407)
		each_header(m, "Proxy-Authenticate", on_challenge, a, true);
	bool stale = false;
	for (size_t i = nch_before; i < a->nch; i++)
		stale |= a->ch[i]->p.v[P_STALE] && !strcasecmp(a->ch[i]->p.v[P_STALE], "true");
	/* Verdict: a final response to a request that carried credentials. */
	if (m->status >= 200) {
		for (size_t i = a->nex; i-- > 0;) {
			struct exchange *e = a->ex[i];
			if (!e->verdict_status && e->cseq == m->cseq && m->call_id &&
			    !strcmp(e->call_id, m->call_id) && m->cseq_method && !strcmp(e->method, m->cseq_method)) {
				e->verdict_status = m->status;
				e->verdict_frame = m->frame;
				e->verdict_stale = stale;
				break;
			}
		}
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

struct worker_arg {
	struct crack_job *j;
	struct precomp *pc;
};

static void *
crack_worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct crack_job *j = wa->j;
	struct cx_auth *a = j->a;
	char (*buf)[256] = malloc((size_t)BATCH * 256);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n;
	if (!buf || !ctx) {
		free(buf);
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	while ((n = next_batch(j, buf, BATCH)) > 0) {
		for (size_t i = 0; i < a->nex; i++) {
			struct exchange *e = a->ex[i];
			if (!e->p.v[P_RESPONSE] || e->reason[0] == '!')
				continue;
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

static void
audit(struct cx_auth *a)
{
	const struct cx_config *cfg = a->ctx->cfg;
	if (!cfg->n_wordlists && !cfg->n_passwords)
		return;
	struct crack_job j;
	memset(&j, 0, sizeof(j));
	j.a = a;
	pthread_mutex_init(&j.lock, NULL);
	for (size_t i = 0; i < a->nex; i++) {
		struct cx_digest_params p;
		params_of(a->ex[i], &p);
		char out[129];
		/* Exchanges whose digest cannot be computed are skipped ("!"). */
		if (!a->ex[i]->p.v[P_RESPONSE] || cx_digest_response(&p, "", out) != 0)
			a->ex[i]->reason[0] = '!';
		else
			j.left++;
	}
	int threads = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	struct precomp *pc = calloc(a->nex ? a->nex : 1, sizeof(*pc));
	if (!pc) {
		pthread_mutex_destroy(&j.lock);
		return;
	}
	for (size_t i = 0; i < a->nex; i++)
		precompute(a->ex[i], &pc[i]);
	struct worker_arg wa = { &j, pc };
	pthread_t t[64];
	int started = 0;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, crack_worker, &wa) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < a->nex; i++)
		EVP_MD_free(pc[i].md);
	free(pc);
	if (j.f)
		fclose(j.f);
	pthread_mutex_destroy(&j.lock);
	for (size_t i = 0; i < a->nex; i++)
		if (a->ex[i]->reason[0] == '!')
			a->ex[i]->reason[0] = '\0';
	if (cfg->progress)
		fputc('\n', stderr);
	cx_stats_add(a->ctx->stats, "audit.candidates", j.tried);
	cx_log(a->ctx, CX_LOG_INFO, "password audit: %llu candidates tried", (unsigned long long)j.tried);
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

void
cx_auth_finish(struct cx_auth *a)
{
	struct cx_ctx *ctx = a->ctx;
	audit(a);
	FILE *hf = NULL;
	size_t lines = 0;
	bool md5 = false, noqop = false;
	for (size_t i = 0; i < a->nex; i++) {
		struct exchange *e = a->ex[i];
		bool sess;
		if (cx_digest_alg(e->p.v[P_ALGORITHM], &sess) == CX_DIG_MD5)
			md5 = true;
		if (!e->p.v[P_QOP])
			noqop = true;
		e->crackable = crackable(e, e->reason, sizeof(e->reason));
		if (e->crackable) {
			if (!hf)
				hf = cx_outdir_fopen(ctx->out, "credentials/sip-digest.hashcat", "w");
			char line[8192];
			hash_line(e, line, sizeof(line));
			if (hf)
				fprintf(hf, "%s\n", line);
			lines++;
		}
		if (e->password)
			cx_findings_add(ctx->findings, CX_SEV_HIGH, "auth.password_recovered", e->frame,
					"password of SIP user \"%s\" recovered from its digest response: \"%s\"",
					e->p.v[P_USERNAME] ? e->p.v[P_USERNAME] : "", e->password);
	}
	if (hf)
		fclose(hf);
	if (md5)
		cx_findings_add(ctx->findings, CX_SEV_MEDIUM, "auth.md5", 0,
				"SIP digest authentication uses MD5: responses seen on the wire can be brute-forced offline");
	if (noqop)
		cx_findings_add(ctx->findings, CX_SEV_LOW, "auth.qop_absent", 0,
				"digest responses without qop: no client nonce, replay and precomputation are easier");
	/* The same nonce answered in several transactions or dialogs. */
	for (size_t i = 0; i < a->nex; i++) {
		struct exchange *e = a->ex[i];
		if (!e->p.v[P_NONCE])
			continue;
		size_t uses = 0;
		bool other_dialog = false, first = true;
		for (size_t k = 0; k < a->nex; k++) {
			struct exchange *o = a->ex[k];
			if (!o->p.v[P_NONCE] || strcmp(o->p.v[P_NONCE], e->p.v[P_NONCE]))
				continue;
			if (k < i)
				first = false;
			uses++;
			if (strcmp(o->call_id, e->call_id))
				other_dialog = true;
		}
		if (first && uses > 1)
			cx_findings_add(ctx->findings, other_dialog ? CX_SEV_MEDIUM : CX_SEV_INFO, "auth.nonce_reused", e->frame,
					"nonce \"%.40s\" answered %zu times%s", e->p.v[P_NONCE], uses,
					other_dialog ? " across dialogs" : " (growing nc in one dialog)");
	}
	/* 401/407 for some user names and 403/404 for others reveal which exist. */
	size_t challenged = 0, refused = 0;
	for (size_t i = 0; i < a->nex; i++) {
		int s = a->ex[i]->verdict_status;
		if (s == 403 || s == 404)
			refused++;
		else if (s == 401 || s == 407 || (s >= 200 && s < 300))
			challenged++;
	}
	if (refused && challenged)
		cx_findings_add(ctx->findings, CX_SEV_LOW, "auth.user_enumeration", 0,
				"the server answers authenticated requests with 403/404 for some user names and 401/407/2xx for others: user names can be told apart");

	/* credentials/summary.txt and a summary section */
	if (a->nex || a->nct) {
		FILE *f = cx_outdir_fopen(ctx->out, "credentials/summary.txt", "w");
		char text[16384];
		size_t o = 0;
		o += (size_t)snprintf(text + o, sizeof(text) - o, "== Credentials ==\n%zu digest answer(s), %zu challenge(s), %zu cleartext credential(s); %zu line(s) in credentials/sip-digest.hashcat.\n",
				      a->nex, a->nch, a->nct, lines);
		for (size_t i = 0; i < a->nex && o < sizeof(text) - 512; i++) {
			struct exchange *e = a->ex[i];
			o += (size_t)snprintf(text + o, sizeof(text) - o, "frame %llu: %s user \"%.60s\" realm \"%.60s\" %s, %s%s%s%s\n",
					      (unsigned long long)e->frame, e->method, e->p.v[P_USERNAME] ? e->p.v[P_USERNAME] : "?",
					      e->p.v[P_REALM] ? e->p.v[P_REALM] : "?", e->p.v[P_ALGORITHM] ? e->p.v[P_ALGORITHM] : "MD5",
					      verdict_name(e), e->password ? "; password RECOVERED: \"" : "",
					      e->password ? e->password : "", e->password ? "\"" : "");
		}
		for (size_t i = 0; i < a->nct && o < sizeof(text) - 512; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "frame %llu: %s cleartext user \"%.60s\" password \"%.60s\" (%s)\n",
					      (unsigned long long)a->ct[i].frame, a->ct[i].proto, a->ct[i].user, a->ct[i].password, a->ct[i].verdict);
		if (f) {
			fputs(text, f);
			fclose(f);
		}
		int64_t ts = a->nex ? a->ex[0]->ts : a->ct[0].ts;
		uint64_t fr = a->nex ? a->ex[0]->frame : a->ct[0].frame;
		cx_summary_add(ctx->summary, ts, fr, text);
	}
}

static struct json_object *
js(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void
cx_auth_report(struct cx_auth *a, struct json_object *root)
{
	char ep[CX_ADDR_STRLEN + 8], t[48];
	struct json_object *o = json_object_new_object();
	struct json_object *ex = json_object_new_array();
	for (size_t i = 0; i < a->nex; i++) {
		struct exchange *e = a->ex[i];
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
		json_object_array_add(ex, x);
	}
	json_object_object_add(o, "exchanges", ex);
	struct json_object *ch = json_object_new_array();
	for (size_t i = 0; i < a->nch; i++) {
		struct challenge *c = a->ch[i];
		bool answered = false;
		for (size_t k = 0; k < a->nex && !answered; k++)
			answered = a->ex[k]->ch == c;
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "status", json_object_new_int(c->status));
		json_object_object_add(x, "frame", json_object_new_int64((int64_t)c->frame));
		json_object_object_add(x, "call_id", json_object_new_string(c->call_id));
		json_object_object_add(x, "realm", js(c->p.v[P_REALM]));
		json_object_object_add(x, "nonce", js(c->p.v[P_NONCE]));
		json_object_object_add(x, "algorithm", js(c->p.v[P_ALGORITHM]));
		json_object_object_add(x, "qop", js(c->p.v[P_QOP]));
		json_object_object_add(x, "stale", js(c->p.v[P_STALE]));
		json_object_object_add(x, "answered", json_object_new_boolean(answered));
		json_object_array_add(ch, x);
	}
	json_object_object_add(o, "challenges", ch);
	struct json_object *ct = json_object_new_array();
	for (size_t i = 0; i < a->nct; i++) {
		struct cleartext *c = &a->ct[i];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "protocol", json_object_new_string(c->proto));
		json_object_object_add(x, "user", json_object_new_string(c->user));
		json_object_object_add(x, "password", json_object_new_string(c->password));
		json_object_object_add(x, "verdict", json_object_new_string(c->verdict));
		json_object_object_add(x, "frame", json_object_new_int64((int64_t)c->frame));
		json_object_object_add(x, "client", json_object_new_string(cx_endpoint_str(&c->client, c->cport, ep)));
		json_object_object_add(x, "server", json_object_new_string(cx_endpoint_str(&c->server, c->sport, ep)));
		json_object_array_add(ct, x);
	}
	json_object_object_add(o, "cleartext", ct);
	json_object_object_add(o, "hashcat_file", a->nex ? json_object_new_string("credentials/sip-digest.hashcat") : NULL);
	json_object_object_add(root, "auth", o);
}

size_t
cx_auth_in_dialog(const struct cx_auth *a, const char *call_id)
{
	size_t n = 0;
	for (size_t i = 0; a && call_id && i < a->nex; i++)
		n += a->ex[i]->call_id && !strcmp(a->ex[i]->call_id, call_id);
	return n;
}
