/* DNS over UDP and TCP (2-byte length framing): queries paired with
 * responses by id and 5-tuple, RTT, rcode, the common record types decoded,
 * name compression followed with loop and bounds protection. Bytes after
 * the message in a UDP payload are reported as possible hidden data.
 * Names from A/AAAA/PTR answers label addresses everywhere else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/names.h"
#include "callextract/summary.h"
#include "callextract/tcp.h"
#include "util/text.h"

/* Transactions kept for the report; more are counted in report.json
 * "dns_dropped" (a top-level key present only when something was dropped). */
#define MAX_TX 50000
#define MAX_NAME 256
/* A response is paired with a query among the last TX_WINDOW - 1
 * transactions only; the unanswered queries are found by hash. */
#define TX_WINDOW 2000
#define TX_BUCKETS 8192

struct dns_tx {
	uint16_t id;
	struct cx_addr client, server;
	uint16_t cport, sport;
	bool tcp;
	uint64_t qframe, rframe;
	int64_t qts, rts;
	char qname[MAX_NAME];
	uint16_t qtype;
	int rcode;                /* -1 until answered */
	struct json_object *answers;
	bool answered;
	bool owned;               /* a shard's own query (shard mode) */
	uint32_t next;            /* chain of unanswered queries: index + 1, 0: end */
};

struct tcp_buf {
	uint8_t *b[2];
	size_t n[2];
};

struct cx_dns {
	struct cx_ctx *ctx;
	struct dns_tx **v;
	size_t n, cap;
	uint64_t *n_dns;
	uint32_t head[TX_BUCKETS]; /* unanswered queries by id, ends and ports */
	uint32_t owned_open;       /* shard mode: own queries not answered yet */
	int64_t owned_last_ts;     /* and the time of the newest own query */
	uint64_t dropped;          /* messages refused by MAX_TX */
};

struct cx_dns *
cx_dns_new(struct cx_ctx *ctx)
{
	struct cx_dns *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ctx = ctx;
	d->n_dns = cx_stats_counter(ctx->stats, "proto.dns");
	return d;
}

void
cx_dns_free(struct cx_dns *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		json_object_put(d->v[i]->answers);
		free(d->v[i]);
	}
	free(d->v);
	free(d);
}

bool
cx_dns_is_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* Reads a possibly compressed name at c (advancing c past it). Pointers
 * must go strictly backwards, at most 32 of them: no loops. -1 malformed. */
static int
read_name(const uint8_t *msg, size_t mlen, struct cx_cur *c, char *out, size_t outsz)
{
	size_t o = 0;
	int jumps = 0;
	struct cx_cur r = *c;
	bool jumped = false;
	size_t limit = mlen; /* a pointer must point before the previous one */
	out[0] = '\0';
	for (;;) {
		uint8_t len = cx_get_u8(&r);
		if (r.err)
			return -1;
		if (len == 0)
			break;
		if ((len & 0xc0) == 0xc0) {
			uint8_t lo = cx_get_u8(&r);
			if (r.err)
				return -1;
			size_t ptr = ((size_t)(len & 0x3f) << 8) | lo;
			if (ptr >= limit || ++jumps > 32)
				return -1;
			if (!jumped) {
				c->p = r.p;
				jumped = true;
			}
			limit = ptr;
			r = cx_cur_make(msg + ptr, mlen - ptr);
			continue;
		}
		if (len & 0xc0)
			return -1;
		if (o && o + 1 < outsz)
			out[o++] = '.';
		for (uint8_t i = 0; i < len; i++) {
			uint8_t ch = cx_get_u8(&r);
			if (r.err)
				return -1;
			if (o + 1 < outsz)
				out[o++] = ch ? (char)ch : '?'; /* as they are (doc/output.md) */
		}
		out[o] = '\0';
		if (o >= MAX_NAME * 4)
			return -1;
	}
	if (!o && outsz > 1) {
		out[0] = '.';
		out[1] = '\0';
	}
	if (!jumped)
		c->p = r.p;
	return 0;
}

static const char *
type_name(uint16_t t)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 41: return "OPT";
	case 252: return "AXFR";
	case 255: return "ANY";
	default: return NULL;
	}
}

static void
rdata(struct cx_dns *d, const uint8_t *msg, size_t mlen, uint16_t type, struct cx_cur rd,
      const char *owner, char *out, size_t outsz)
{
	char n1[MAX_NAME], n2[MAX_NAME];
	struct cx_addr a;
	memset(&a, 0, sizeof(a));
	out[0] = '\0';
	switch (type) {
	case 1:
		a.family = 4;
		cx_get_bytes(&rd, a.a, 4);
		if (!rd.err) {
			cx_addr_str(&a, out);
			cx_names_add_dns(d->ctx->names, &a, owner);
		}
		break;
	case 28:
		a.family = 6;
		cx_get_bytes(&rd, a.a, 16);
		if (!rd.err) {
			cx_addr_str(&a, out);
			cx_names_add_dns(d->ctx->names, &a, owner);
		}
		break;
	case 2: case 5: case 12:
		if (read_name(msg, mlen, &rd, n1, sizeof(n1)) == 0) {
			snprintf(out, outsz, "%s", n1);
			if (type == 12) {
				/* d.c.b.a.in-addr.arpa -> a.b.c.d */
				unsigned o4[4];
				if (sscanf(owner, "%u.%u.%u.%u.in-addr.arpa", &o4[3], &o4[2], &o4[1], &o4[0]) == 4) {
					a.family = 4;
					for (int i = 0; i < 4; i++)
						a.a[i] = (uint8_t)o4[i];
					cx_names_add_dns(d->ctx->names, &a, n1);
				}
			}
		}
		break;
	case 15: {
		uint16_t pref = cx_get_be16(&rd);
		if (!rd.err && read_name(msg, mlen, &rd, n1, sizeof(n1)) == 0)
			snprintf(out, outsz, "%u %s", pref, n1);
		break;
	}
	case 33: {
		uint16_t pr = cx_get_be16(&rd), w = cx_get_be16(&rd), port = cx_get_be16(&rd);
		if (!rd.err && read_name(msg, mlen, &rd, n1, sizeof(n1)) == 0)
			snprintf(out, outsz, "%u %u %u %s", pr, w, port, n1);
		break;
	}
	case 6: {
		if (read_name(msg, mlen, &rd, n1, sizeof(n1)) == 0 && read_name(msg, mlen, &rd, n2, sizeof(n2)) == 0) {
			uint32_t serial = cx_get_be32(&rd);
			if (!rd.err)
				snprintf(out, outsz, "%.200s %.200s %u", n1, n2, serial);
		}
		break;
	}
	case 16: {
		size_t o = 0;
		while (cx_cur_left(&rd) && o + 4 < outsz) {
			uint8_t l = cx_get_u8(&rd);
			for (uint8_t i = 0; i < l && !rd.err && o + 2 < outsz; i++) {
				uint8_t ch = cx_get_u8(&rd);
				out[o++] = ch ? (char)ch : '?';
			}
			if (cx_cur_left(&rd) && o + 2 < outsz)
				out[o++] = ' ';
		}
		out[o] = '\0';
		break;
	}
	case 35: {
		uint16_t order = cx_get_be16(&rd), pref = cx_get_be16(&rd);
		char fl[64] = "", sv[64] = "", re[128] = "";
		char *parts[3] = { fl, sv, re };
		size_t sz[3] = { sizeof(fl), sizeof(sv), sizeof(re) };
		for (int k = 0; k < 3; k++) {
			uint8_t l = cx_get_u8(&rd);
			size_t o = 0;
			for (uint8_t i = 0; i < l && !rd.err; i++) {
				uint8_t ch = cx_get_u8(&rd);
				if (o + 1 < sz[k])
					parts[k][o++] = ch ? (char)ch : '?';
			}
			parts[k][o] = '\0';
		}
		if (!rd.err && read_name(msg, mlen, &rd, n1, sizeof(n1)) == 0)
			snprintf(out, outsz, "%u %u \"%s\" \"%s\" \"%s\" %s", order, pref, fl, sv, re, n1);
		break;
	}
	default:
		snprintf(out, outsz, "%zu bytes", cx_cur_left(&rd));
		break;
	}
}

static uint32_t
tx_bucket(uint16_t id, const struct cx_addr *client, uint16_t cport, const struct cx_addr *server,
	  uint16_t sport)
{
	uint64_t h = 1469598103934665603ULL ^ id ^ ((uint64_t)cport << 16) ^ ((uint64_t)sport << 32);
	int len = client->family == 4 ? 4 : 16;
	h = (h ^ client->family) * 1099511628211ULL;
	for (int k = 0; k < len; k++)
		h = (h ^ client->a[k]) * 1099511628211ULL;
	len = server->family == 4 ? 4 : 16;
	for (int k = 0; k < len; k++)
		h = (h ^ server->a[k]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)((h ^ (h >> 32)) % TX_BUCKETS);
}

/* The newest unanswered query among the last TX_WINDOW - 1 transactions
 * with this id, ends and ports. Chains hold unanswered queries, newest
 * first; the answered and those out of the window leave them here. */
static struct dns_tx *
find_tx(struct cx_dns *d, uint16_t id, const struct cx_addr *client, uint16_t cport,
	const struct cx_addr *server, uint16_t sport)
{
	for (uint32_t *link = &d->head[tx_bucket(id, client, cport, server, sport)]; *link;) {
		size_t i = *link - 1;
		struct dns_tx *t = d->v[i];
		if (i + TX_WINDOW <= d->n) {
			*link = 0; /* this one and all older ones: out of the window */
			break;
		}
		if (t->answered) {
			*link = t->next;
			continue;
		}
		if (t->id == id && t->cport == cport && t->sport == sport &&
		    cx_addr_eq(&t->client, client) && cx_addr_eq(&t->server, server)) {
			*link = t->next;
			return t;
		}
		link = &t->next;
	}
	return NULL;
}

/* One DNS message (UDP payload or one TCP record). Returns its length, or 0. */
static size_t
message(struct cx_dns *d, const uint8_t *msg, size_t mlen, const struct cx_addr *src, uint16_t sport,
	const struct cx_addr *dst, uint16_t dport, bool tcp, uint64_t frame, int64_t ts)
{
	struct cx_cur c = cx_cur_make(msg, mlen);
	uint16_t id = cx_get_be16(&c), flags = cx_get_be16(&c);
	uint16_t qd = cx_get_be16(&c), an = cx_get_be16(&c), ns = cx_get_be16(&c), ar = cx_get_be16(&c);
	if (c.err) {
		cx_stats_add(d->ctx->stats, "error.dns.truncated", 1);
		return 0;
	}
	(*d->n_dns)++;
	bool resp = flags & 0x8000;
	char qname[MAX_NAME] = "";
	uint16_t qtype = 0;
	for (uint16_t i = 0; i < qd && i < 64; i++) {
		char nm[MAX_NAME];
		if (read_name(msg, mlen, &c, nm, sizeof(nm)) < 0) {
			cx_findings_add(d->ctx->findings, CX_SEV_LOW, "dns.malformed", frame,
					"DNS name unreadable (compression loop, forward pointer or out of bounds)");
			cx_stats_add(d->ctx->stats, "error.dns.malformed", 1);
			return 0;
		}
		uint16_t t = cx_get_be16(&c);
		cx_skip(&c, 2);
		if (i == 0) {
			snprintf(qname, sizeof(qname), "%s", nm);
			qtype = t;
		}
	}
	if (c.err || qd > 64) {
		cx_findings_add(d->ctx->findings, CX_SEV_LOW, "dns.malformed", frame,
				"DNS counts larger than the message (qd %u, an %u)", qd, an);
		cx_stats_add(d->ctx->stats, "error.dns.malformed", 1);
		return 0;
	}
	struct dns_tx *t = NULL;
	if (resp)
		t = find_tx(d, id, dst, dport, src, sport);
	if (!t) {
		if (d->n >= MAX_TX) {
			d->dropped++;
			return 0;
		}
		if (cx_grow(&d->v, &d->cap, d->n, sizeof(*d->v)) < 0)
			return 0;
		t = calloc(1, sizeof(*t));
		if (!t)
			return 0;
		d->v[d->n++] = t;
		t->id = id;
		t->client = resp ? *dst : *src;
		t->cport = resp ? dport : sport;
		t->server = resp ? *src : *dst;
		t->sport = resp ? sport : dport;
		t->tcp = tcp;
		snprintf(t->qname, sizeof(t->qname), "%s", qname);
		t->qtype = qtype;
		t->rcode = -1;
		t->answers = json_object_new_array();
		if (!resp) {
			t->qframe = frame;
			t->qts = ts;
			if (d->ctx->cfg->shard.on && cx_config_owns(d->ctx->cfg, frame)) {
				t->owned = true;
				d->owned_open++;
				d->owned_last_ts = ts;
			}
			uint32_t *b = &d->head[tx_bucket(id, &t->client, t->cport, &t->server, t->sport)];
			t->next = *b;
			*b = (uint32_t)d->n;
		}
	}
	if (!resp) {
		/* a query may carry records too (EDNS OPT): walk them for the length */
		uint32_t extra = (uint32_t)an + ns + ar;
		for (uint32_t i = 0; i < extra && i < 256; i++) {
			char owner[MAX_NAME];
			if (read_name(msg, mlen, &c, owner, sizeof(owner)) < 0)
				return 0;
			cx_skip(&c, 8);
			uint16_t rdlen = cx_get_be16(&c);
			cx_skip(&c, rdlen);
			if (c.err)
				return 0;
		}
		return (size_t)(c.p - msg);
	}
	if (t->owned && !t->answered)
		d->owned_open--;
	t->answered = true;
	t->rframe = frame;
	t->rts = ts;
	t->rcode = flags & 0x0f;
	uint32_t total = (uint32_t)an + ns + ar;
	for (uint32_t i = 0; i < total && i < 256; i++) {
		char owner[MAX_NAME], val[512];
		if (read_name(msg, mlen, &c, owner, sizeof(owner)) < 0) {
			cx_findings_add(d->ctx->findings, CX_SEV_LOW, "dns.malformed", frame,
					"DNS record name unreadable (compression loop, bad pointer, or counts larger than the message)");
			cx_stats_add(d->ctx->stats, "error.dns.malformed", 1);
			break;
		}
		uint16_t type = cx_get_be16(&c), klass = cx_get_be16(&c);
		uint32_t ttl = cx_get_be32(&c);
		uint16_t rdlen = cx_get_be16(&c);
		struct cx_cur rd = cx_take(&c, rdlen);
		if (c.err) {
			cx_findings_add(d->ctx->findings, CX_SEV_LOW, "dns.malformed", frame,
					"DNS record counts or lengths larger than the message");
			cx_stats_add(d->ctx->stats, "error.dns.malformed", 1);
			break;
		}
		rdata(d, msg, mlen, type, rd, owner, val, sizeof(val));
		if (json_object_array_length(t->answers) < 64) {
			struct json_object *o = json_object_new_object();
			const char *tn = type_name(type);
			char tbuf[16];
			snprintf(tbuf, sizeof(tbuf), "TYPE%u", type);
			json_object_object_add(o, "section", json_object_new_string(i < an ? "answer" : i < (uint32_t)an + ns ? "authority" : "additional"));
			json_object_object_add(o, "name", json_object_new_string(owner));
			json_object_object_add(o, "type", json_object_new_string(tn ? tn : tbuf));
			json_object_object_add(o, "class", json_object_new_int(klass));
			json_object_object_add(o, "ttl", json_object_new_int64(ttl));
			json_object_object_add(o, "data", json_object_new_string(val));
			json_object_array_add(t->answers, o);
		}
	}
	return c.err ? 0 : (size_t)(c.p - msg);
}

static void
hidden(struct cx_dns *d, uint64_t frame, const uint8_t *p, size_t n)
{
	char text[128];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < sizeof(text); i++)
		text[o++] = p[i] ? (char)p[i] : '.';
	text[o] = '\0';
	cx_findings_add(d->ctx->findings, CX_SEV_MEDIUM, "hidden.after_dns", frame,
			"%zu bytes follow the DNS message inside the UDP payload: \"%s\"", n, text);
}

void
cx_dns_on_udp(struct cx_dns *d, const struct cx_packet *p)
{
	size_t used = message(d, p->payload, p->payload_len, &p->src, p->sport, &p->dst, p->dport,
			      false, p->frame, p->ts_ns);
	if (used && used < p->payload_len)
		hidden(d, p->frame, p->payload + used, p->payload_len - used);
}

void
cx_dns_tcp_data(struct cx_dns *d, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *data, size_t len)
{
	struct tcp_buf *b = c->user;
	if (!b && !(b = c->user = calloc(1, sizeof(*b))))
		return;
	if (b->n[dir] + len > 70000) { /* one record is at most 65535 + 2 */
		b->n[dir] = 0;
		return;
	}
	uint8_t *nb = realloc(b->b[dir], b->n[dir] + len);
	if (!nb)
		return;
	b->b[dir] = nb;
	memcpy(nb + b->n[dir], data, len);
	b->n[dir] += len;
	size_t off = 0;
	while (b->n[dir] - off >= 2) {
		size_t rl = (size_t)nb[off] << 8 | nb[off + 1];
		if (b->n[dir] - off - 2 < rl)
			break;
		message(d, nb + off + 2, rl, &c->addr[dir], c->port[dir], &c->addr[!dir], c->port[!dir],
			true, frame, ts);
		off += 2 + rl;
	}
	memmove(nb, nb + off, b->n[dir] - off);
	b->n[dir] -= off;
}

void
cx_dns_tcp_close(struct cx_dns *d, struct cx_tcp_conn *c)
{
	(void)d;
	struct tcp_buf *b = c->user;
	if (!b)
		return;
	free(b->b[0]);
	free(b->b[1]);
	free(b);
	c->user = NULL;
}

static const char *
rcode_name(int rc)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	return rc >= 0 && rc < 6 ? names[rc] : "error";
}

/* One conversation per client and server: the lookups one host made of
 * one resolver, each with its answer. */
static void
pair_section(struct cx_dns *d, size_t first, const uint32_t *next)
{
	const struct dns_tx *t0 = d->v[first];
	size_t cap = 8192, o = 0, n = 0, unanswered = 0;
	char *course = malloc(cap), title[300], a[CX_ADDR_STRLEN], b[CX_ADDR_STRLEN], cport[32], sport[32];
	if (!course)
		return;
	course[0] = '\0';
	bool udp = false, tcp = false;
	uint64_t f0 = UINT64_MAX, f1 = 0;
	int64_t ts0 = 0, ts1 = 0;
	double rtt_sum = 0;
	size_t nrtt = 0;
	for (size_t i = first; i < d->n; i = next[i]) {
		const struct dns_tx *t = d->v[i];
		n++;
		udp |= !t->tcp;
		tcp |= t->tcp;
		uint64_t fa = t->qframe ? t->qframe : t->rframe, fb = t->rframe ? t->rframe : t->qframe;
		if (fa < f0) {
			f0 = fa;
			ts0 = t->qts ? t->qts : t->rts;
		}
		if (fb > f1) {
			f1 = fb;
			ts1 = t->rts ? t->rts : t->qts;
		}
		unanswered += !t->answered;
		const char *tn = type_name(t->qtype);
		if (o + 600 > cap)
			continue;
		o += (size_t)snprintf(course + o, cap - o, "frame %llu: %s %s", (unsigned long long)fa, tn ? tn : "?", t->qname);
		if (!t->answered) {
			o += (size_t)snprintf(course + o, cap - o, " -> no answer in the capture\n");
			continue;
		}
		if (t->qts && t->rts) {
			rtt_sum += (double)(t->rts - t->qts) / 1e6;
			nrtt++;
		}
		o += (size_t)snprintf(course + o, cap - o, " -> frame %llu, %s", (unsigned long long)t->rframe, rcode_name(t->rcode));
		if (t->qts && t->rts)
			o += (size_t)snprintf(course + o, cap - o, " after %.3f ms", (double)(t->rts - t->qts) / 1e6);
		size_t shown = 0;
		for (size_t k = 0; k < json_object_array_length(t->answers) && shown < 4 && o + 300 < cap; k++) {
			struct json_object *r = json_object_array_get_idx(t->answers, k), *sec, *ty, *da;
			if (!json_object_object_get_ex(r, "section", &sec) || strcmp(json_object_get_string(sec), "answer") ||
			    !json_object_object_get_ex(r, "type", &ty) || !json_object_object_get_ex(r, "data", &da))
				continue;
			o += (size_t)snprintf(course + o, cap - o, "%s %s %.120s", shown ? "," : ":", json_object_get_string(ty),
					      json_object_get_string(da));
			shown++;
		}
		o += (size_t)snprintf(course + o, cap - o, "\n");
	}
	cx_addr_str(&t0->client, a);
	cx_addr_str(&t0->server, b);
	snprintf(title, sizeof(title), "DNS: %s asks %s, %zu lookup(s), %zu unanswered", a, b, n, unanswered);
	snprintf(cport, sizeof(cport), "%u/%s", t0->cport, t0->tcp ? "tcp" : "udp");
	snprintf(sport, sizeof(sport), "%u/%s", t0->sport, t0->tcp ? "tcp" : "udp");
	struct cx_conv c = { .kind = "dns", .title = title, .first_frame = f0, .last_frame = f1, .start_ns = ts0,
			     .end_ns = ts1, .application = "DNS", .transport = udp && tcp ? "UDP and TCP" : tcp ? "TCP" : "UDP",
			     .network = t0->client.family == 6 ? "IPv6" : "IPv4", .course = course,
			     .protection = "none: DNS is cleartext; the names asked and the answers can be read, and forged by anyone on the path (no DNSSEC validation is visible here)" };
	cx_conv_party(&c, "client (resolver user)", &t0->client, cport);
	cx_conv_party(&c, "server", &t0->server, sport);
	char data[200];
	if (nrtt)
		snprintf(data, sizeof(data), "queries and answers (names and records above); mean answer time %.3f ms", rtt_sum / (double)nrtt);
	else
		snprintf(data, sizeof(data), "queries and answers (names and records above)");
	c.data = data;
	cx_summary_conv(d->ctx->summary, &c);
	free(course);
}

static uint64_t
pair_hash(const struct dns_tx *t)
{
	uint64_t h = 1469598103934665603ULL;
	h = (h ^ t->client.family) * 1099511628211ULL;
	for (int k = 0; k < (t->client.family == 4 ? 4 : 16); k++)
		h = (h ^ t->client.a[k]) * 1099511628211ULL;
	h = (h ^ t->server.family) * 1099511628211ULL;
	for (int k = 0; k < (t->server.family == 4 ? 4 : 16); k++)
		h = (h ^ t->server.a[k]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

void
cx_dns_finish(struct cx_dns *d)
{
	if (!d->n)
		return;
	/* each transaction linked to the next one of its client and server,
	 * through a table of pairs: one pass, not a walk per transaction */
	size_t cap = 16;
	while (cap < 2 * d->n)
		cap *= 2;
	uint32_t *next = malloc(d->n * sizeof(*next));
	uint32_t *first = calloc(cap, sizeof(*first)), *last = calloc(cap, sizeof(*last));
	bool *opens = calloc(d->n, sizeof(*opens));
	if (!next || !first || !last || !opens) {
		free(next);
		free(first);
		free(last);
		free(opens);
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct dns_tx *t = d->v[i];
		next[i] = (uint32_t)d->n;
		size_t k = pair_hash(t) & (cap - 1);
		for (; first[k]; k = (k + 1) & (cap - 1)) {
			const struct dns_tx *f = d->v[first[k] - 1];
			if (cx_addr_eq(&f->client, &t->client) && cx_addr_eq(&f->server, &t->server))
				break;
		}
		if (first[k]) {
			next[last[k] - 1] = (uint32_t)i;
		} else {
			first[k] = (uint32_t)i + 1;
			opens[i] = true;
		}
		last[k] = (uint32_t)i + 1;
	}
	size_t sections = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (!opens[i])
			continue;
		if (sections++ == 256) {
			cx_summary_add(d->ctx->summary, d->v[i]->qts, d->v[i]->qframe,
				       "DNS: more client/server pairs than the write-up lists; report.json dns has every lookup.");
			break;
		}
		pair_section(d, i, next);
	}
	free(next);
	free(first);
	free(last);
	free(opens);
}

void
cx_dns_report(struct cx_dns *d, struct json_object *root)
{
	char ep[CX_ADDR_STRLEN + 8], tb[48];
	static const char *rc[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->n; i++) {
		struct dns_tx *t = d->v[i];
		struct json_object *o = json_object_new_object();
		const char *tn = type_name(t->qtype);
		char tbuf[16];
		snprintf(tbuf, sizeof(tbuf), "TYPE%u", t->qtype);
		json_object_object_add(o, "id", json_object_new_int(t->id));
		json_object_object_add(o, "client", json_object_new_string(cx_endpoint_str(&t->client, t->cport, ep)));
		json_object_object_add(o, "server", json_object_new_string(cx_endpoint_str(&t->server, t->sport, ep)));
		json_object_object_add(o, "transport", json_object_new_string(t->tcp ? "TCP" : "UDP"));
		json_object_object_add(o, "name", json_object_new_string(t->qname));
		json_object_object_add(o, "type", json_object_new_string(tn ? tn : tbuf));
		json_object_object_add(o, "query_frame", t->qframe ? json_object_new_int64((int64_t)t->qframe) : NULL);
		json_object_object_add(o, "response_frame", t->rframe ? json_object_new_int64((int64_t)t->rframe) : NULL);
		json_object_object_add(o, "time", json_object_new_string(cx_time_utc(t->qts ? t->qts : t->rts, tb, sizeof(tb))));
		json_object_object_add(o, "rtt_ms", t->qframe && t->rframe ? json_object_new_double((double)(t->rts - t->qts) / 1e6) : NULL);
		json_object_object_add(o, "rcode", t->rcode < 0 ? NULL : json_object_new_string(t->rcode < 6 ? rc[t->rcode] : "other"));
		json_object_object_add(o, "answered", json_object_new_boolean(t->answered));
		json_object_object_add(o, "records", json_object_get(t->answers));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "dns", arr);
	if (d->dropped) {
		/* only when MAX_TX was reached: outputs below it stay as they were */
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "messages", json_object_new_int64((int64_t)d->dropped));
		json_object_object_add(o, "cap", json_object_new_int(MAX_TX));
		json_object_object_add(root, "dns_dropped", o);
	}
}

bool
cx_dns_owned_pending(const struct cx_dns *d, int64_t now_ns)
{
	return d->owned_open && now_ns - d->owned_last_ts < CX_SHARD_PENDING_NS;
}
