/* ICMP and ICMPv6: echo requests paired with replies (id, sequence, RTT,
 * TTL), Time Exceeded and Destination Unreachable with the quoted datagram
 * decoded and linked back to the frame that caused it, traceroute patterns
 * (increasing TTL), and the sender's OS guessed from the echo payload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/decode.h"
#include "callextract/names.h"
#include "callextract/summary.h"
#include "util/text.h"

#define RING 4096          /* recent datagrams remembered to link errors back */
#define RING_BUCKETS 8192  /* hash chains over the ring, by datagram identity */
/* Echo requests and errors kept for the report; more are counted in
 * report.json icmp.dropped (present only when something was dropped). */
#define MAX_EVENTS 20000
#define ECHO_BUCKETS 16384 /* unanswered echo requests by (ends, id, sequence) */

/* Datagram number s (counted from 1) sits at ring[(s - 1) % RING]; chains
 * link each to the previous one of its bucket, newest first, and end
 * where they leave the ring's window: nothing is ever unlinked. */
struct seen {
	uint64_t key;
	uint64_t frame;
	uint64_t prev;           /* number of the previous datagram in the chain, 0: none */
};

struct echo {
	struct cx_addr src, dst;
	uint16_t id, seq;
	uint8_t ttl, reply_ttl;
	uint64_t req_frame, rep_frame;
	int64_t req_ts, rep_ts;
	char payload_hint[96];
	uint8_t payload[24];     /* its first bytes, shown in the write-up */
	uint8_t npayload;
	bool v6;
	bool owned;              /* a shard's own request (shard mode) */
	uint32_t next;           /* chain of unanswered requests: index + 1, 0: end */
};

struct error {
	uint64_t frame;
	int64_t ts;
	struct cx_addr from, to;
	uint8_t type, code;
	bool v6;
	char quoted[160];
	struct cx_addr qsrc, qdst; /* the quoted datagram's ends */
	uint64_t cause_frame;
	uint8_t quoted_ttl;
};

struct cx_icmp {
	struct cx_ctx *ctx;
	uint32_t owned_open;     /* shard mode: own echo requests not answered yet */
	int64_t owned_last_ts;   /* and the time of the newest */
	struct seen ring[RING];
	uint64_t rpos;           /* datagrams remembered so far */
	uint64_t head[RING_BUCKETS]; /* newest datagram number of each bucket */
	struct echo *e;
	size_t ne, cape;
	uint32_t ehead[ECHO_BUCKETS]; /* unanswered requests: index + 1 */
	struct error *x;
	size_t nx, capx;
	uint64_t drop_echo, drop_err;
};

struct cx_icmp *
cx_icmp_new(struct cx_ctx *ctx)
{
	struct cx_icmp *i = calloc(1, sizeof(*i));
	if (i)
		i->ctx = ctx;
	return i;
}

void
cx_icmp_free(struct cx_icmp *i)
{
	if (!i)
		return;
	free(i->e);
	free(i->x);
	free(i);
}

/* Identity of a datagram as an ICMP error quotes it: addresses, protocol,
 * IP id and the first 8 bytes of the transport header. */
static uint64_t
dgram_key(const struct cx_packet *p)
{
	/* every datagram passes here: the addresses a word at a time */
	uint64_t w[4];
	memcpy(w, p->src.a, 16);
	memcpy(w + 2, p->dst.a, 16);
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = (w[0] * m) ^ (w[1] * 0xc2b2ae3d27d4eb4fULL);
	h = (h ^ (w[2] * 0x165667b19e3779f9ULL)) * m;
	h ^= w[3] * 0xd6e8feb86659fd93ULL;
	h ^= (uint64_t)p->ip_proto | (uint64_t)p->ip_id << 8 | (uint64_t)p->sport << 24 | (uint64_t)p->dport << 40;
	h *= m;
	return h ^ (h >> 32);
}

static size_t
ring_bucket(uint64_t key)
{
	/* FNV's low bits depend on the inputs' low bits only */
	key ^= key >> 31;
	key *= 0x94d049bb133111ebULL;
	return (size_t)((key ^ (key >> 29)) % RING_BUCKETS);
}

void
cx_icmp_remember(struct cx_icmp *i, const struct cx_packet *p)
{
	if (p->l4 == CX_L4_ICMP || p->l4 == CX_L4_ICMP6) {
		/* errors quote the offending datagram; echo requests are causes too */
		struct cx_cur c = cx_cur_make(p->payload, p->payload_len);
		uint8_t type = cx_get_u8(&c);
		if (c.err || (p->l4 == CX_L4_ICMP && type != 8) || (p->l4 == CX_L4_ICMP6 && type != 128))
			return;
	}
	uint64_t key = dgram_key(p);
	uint64_t num = ++i->rpos;
	struct seen *s = &i->ring[(num - 1) % RING];
	uint64_t *h = &i->head[ring_bucket(key)];
	s->key = key;
	s->frame = p->frame;
	s->prev = *h;
	*h = num;
}

/* The newest remembered datagram with this identity, or 0. */
static uint64_t
cause_of(const struct cx_icmp *i, uint64_t key)
{
	uint64_t oldest = i->rpos > RING ? i->rpos - RING + 1 : 1;
	for (uint64_t num = i->head[ring_bucket(key)]; num >= oldest && num; ) {
		const struct seen *s = &i->ring[(num - 1) % RING];
		if (s->frame && s->key == key)
			return s->frame;
		num = s->prev;
	}
	return 0;
}

static uint32_t
echo_bucket(uint16_t id, uint16_t seq, const struct cx_addr *src, const struct cx_addr *dst)
{
	uint64_t h = 1469598103934665603ULL;
	int len = src->family == 4 ? 4 : 16;
	for (int k = 0; k < len; k++)
		h = (h ^ src->a[k] ^ ((uint64_t)dst->a[k] << 8)) * 1099511628211ULL;
	h = (h ^ id ^ ((uint64_t)seq << 16) ^ ((uint64_t)src->family << 32)) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)((h ^ (h >> 32)) % ECHO_BUCKETS);
}

/* Echo payloads betray the sender: Windows sends the alphabet; iputils
 * ping (Linux) a timeval (8 or 16 bytes) then bytes equal to their offset,
 * or the -p pattern repeated. Returns a static description or NULL. */
static const char *
os_hint(const uint8_t *d, size_t n, char *buf, size_t bufsz)
{
	static const char win[] = "abcdefghijklmnopqrstuvwabcdefghi";
	if (n >= 32 && !memcmp(d, win, 32))
		return "Windows (payload \"abcdefghijklmnopqrstuvwabcdefghi\")";
	for (size_t tv = 8; tv <= 16; tv += 8) {
		if (n < tv + 8)
			continue;
		bool seq = true, pat = true;
		for (size_t i = tv; i < tv + 8; i++) {
			seq &= d[i] == (uint8_t)i;
			pat &= d[i] == d[tv];
		}
		if (seq) {
			snprintf(buf, bufsz, "Linux/Unix iputils ping (%zu-byte timestamp, then 0x%02zx 0x%02zx ...)", tv, tv, tv + 1);
			return buf;
		}
		if (pat && tv == 16 && d[tv] != 0) { /* zeros are what many tools send */
			snprintf(buf, bufsz, "Linux/Unix iputils ping with -p pattern 0x%02x (16-byte timestamp first)", d[tv]);
			return buf;
		}
	}
	return NULL;
}

void
cx_icmp_on_packet(struct cx_icmp *i, const struct cx_packet *p)
{
	struct cx_cur c = cx_cur_make(p->payload, p->payload_len);
	uint8_t type = cx_get_u8(&c), code = cx_get_u8(&c);
	cx_skip(&c, 2);
	bool v6 = p->l4 == CX_L4_ICMP6;
	if (c.err) {
		cx_stats_add(i->ctx->stats, "error.icmp.truncated", 1);
		return;
	}
	bool req = v6 ? type == 128 : type == 8, rep = v6 ? type == 129 : type == 0;
	if (req || rep) {
		uint16_t id = cx_get_be16(&c), seq = cx_get_be16(&c);
		if (c.err)
			return;
		if (req) {
			if (i->ne >= MAX_EVENTS) {
				i->drop_echo++;
				return;
			}
			if (cx_grow(&i->e, &i->cape, i->ne, sizeof(*i->e)) < 0)
				return;
			struct echo *e = &i->e[i->ne++];
			memset(e, 0, sizeof(*e));
			uint32_t *b = &i->ehead[echo_bucket(id, seq, &p->src, &p->dst)];
			e->next = *b;
			*b = (uint32_t)i->ne;
			e->src = p->src;
			e->dst = p->dst;
			e->id = id;
			e->seq = seq;
			e->ttl = p->ttl;
			e->req_frame = p->frame;
			e->req_ts = p->ts_ns;
			if (i->ctx->cfg->shard.on && cx_config_owns(i->ctx->cfg, p->frame)) {
				e->owned = true;
				i->owned_open++;
				i->owned_last_ts = p->ts_ns;
			}
			e->v6 = v6;
			char hb[96];
			const char *h = os_hint(c.p, cx_cur_left(&c), hb, sizeof(hb));
			if (h)
				snprintf(e->payload_hint, sizeof(e->payload_hint), "%s", h);
			e->npayload = (uint8_t)(cx_cur_left(&c) < sizeof(e->payload) ? cx_cur_left(&c) : sizeof(e->payload));
			memcpy(e->payload, c.p, e->npayload);
			return;
		}
		/* the newest unanswered request it answers; answered ones leave
		 * the chain */
		for (uint32_t *link = &i->ehead[echo_bucket(id, seq, &p->dst, &p->src)]; *link;) {
			struct echo *e = &i->e[*link - 1];
			if (e->rep_frame) {
				*link = e->next;
				continue;
			}
			if (e->id == id && e->seq == seq && cx_addr_eq(&e->src, &p->dst) &&
			    cx_addr_eq(&e->dst, &p->src)) {
				if (e->owned)
					i->owned_open--;
				e->rep_frame = p->frame;
				e->rep_ts = p->ts_ns;
				e->reply_ttl = p->ttl;
				*link = e->next;
				return;
			}
			link = &e->next;
		}
		return;
	}
	bool err = v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 11 || type == 12 || type == 5);
	if (!err)
		return;
	if (i->nx >= MAX_EVENTS) {
		i->drop_err++;
		return;
	}
	if (cx_grow(&i->x, &i->capx, i->nx, sizeof(*i->x)) < 0)
		return;
	struct error *x = &i->x[i->nx++];
	memset(x, 0, sizeof(*x));
	x->frame = p->frame;
	x->ts = p->ts_ns;
	x->from = p->src;
	x->to = p->dst;
	x->type = type;
	x->code = code;
	x->v6 = v6;
	cx_skip(&c, 4); /* unused / MTU / pointer */
	struct cx_packet q;
	memset(&q, 0, sizeof(q));
	const char *layer;
	int rc = cx_decode_ip(&q, c.p, (uint32_t)cx_cur_left(&c), &layer);
	if (q.ip_ver) {
		char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
		const char *proto = q.ip_proto == 17 ? "UDP" : q.ip_proto == 6 ? "TCP" : q.ip_proto == 1 ? "ICMP" : q.ip_proto == 58 ? "ICMPv6" : "IP";
		bool ports = q.l4 == CX_L4_UDP || q.l4 == CX_L4_TCP;
		snprintf(x->quoted, sizeof(x->quoted), "%s %s -> %s%s", proto,
			 ports ? cx_endpoint_str(&q.src, q.sport, a) : cx_addr_str(&q.src, a),
			 ports ? cx_endpoint_str(&q.dst, q.dport, b) : cx_addr_str(&q.dst, b),
			 rc == CX_DEC_OK ? "" : " (quote truncated)");
		x->quoted_ttl = q.ttl;
		x->qsrc = q.src;
		x->qdst = q.dst;
		if (q.l4 == CX_L4_ICMP || q.l4 == CX_L4_ICMP6) {
			/* an echo request quoted: its id/seq stand where ports would */
			struct cx_cur qc = cx_cur_make(q.payload, q.payload_len);
			cx_skip(&qc, 4);
			q.sport = 0;
			q.dport = 0;
		}
		x->cause_frame = cause_of(i, dgram_key(&q));
	}
}

static const char *
error_name(const struct error *x)
{
	if (x->v6)
		return x->type == 1 ? "destination unreachable" : x->type == 2 ? "packet too big" :
		       x->type == 3 ? "time exceeded" : "parameter problem";
	return x->type == 3 ? "destination unreachable" : x->type == 11 ? "time exceeded" :
	       x->type == 5 ? "redirect" : "parameter problem";
}

/* One conversation: a host pinging (or probing) another, with the
 * errors routers and the target sent back about it. */
struct pair {
	struct cx_addr a, b;
	bool v6;
	size_t echoes, answered, errors, time_exceeded;
	uint64_t first, last;
	int64_t t0, t1;
	double rtt_min, rtt_sum, rtt_max;
	uint8_t ttl_min, ttl_max, reply_ttl;
	const char *hint;
	const struct echo *sample;  /* an echo request whose payload is shown */
	size_t nid;
	uint16_t ids[8];
};

static struct pair *
pair_of(struct pair *v, size_t *n, size_t cap, const struct cx_addr *a, const struct cx_addr *b)
{
	for (size_t k = 0; k < *n; k++)
		if (cx_addr_eq(&v[k].a, a) && cx_addr_eq(&v[k].b, b))
			return &v[k];
	if (*n == cap)
		return NULL;
	struct pair *p = &v[(*n)++];
	memset(p, 0, sizeof(*p));
	p->a = *a;
	p->b = *b;
	p->rtt_min = -1;
	p->ttl_min = 255;
	return p;
}

static void
pair_span(struct pair *p, uint64_t frame, int64_t ts)
{
	if (!p->first || frame < p->first) {
		p->first = frame;
		p->t0 = ts;
	}
	if (frame > p->last) {
		p->last = frame;
		p->t1 = ts;
	}
}

#define MAX_PAIRS 256

static void
pair_section(struct cx_icmp *i, const struct pair *p)
{
	size_t cap = 4096 + p->errors * 200, o = 0;
	char *course = malloc(cap), title[300], a[CX_ADDR_STRLEN], b[CX_ADDR_STRLEN], data[300] = "";
	if (!course)
		return;
	course[0] = '\0';
	cx_addr_str(&p->a, a);
	cx_addr_str(&p->b, b);
	snprintf(title, sizeof(title), "ICMP%s: %s -> %s, %zu echo request(s), %zu answered, %zu error(s)",
		 p->v6 ? "v6" : "", a, b, p->echoes, p->answered, p->errors);
	struct cx_conv c = { .kind = "icmp", .title = title, .first_frame = p->first, .last_frame = p->last,
			     .start_ns = p->t0, .end_ns = p->t1, .network = p->v6 ? "IPv6" : "IPv4",
			     .transport = "none (ICMP is carried directly in IP)",
			     .application = p->echoes ? "ICMP echo (ping)" : "ICMP error reports" };
	cx_conv_party(&c, p->echoes ? "pinger" : "sender of the datagrams", &p->a, NULL);
	cx_conv_party(&c, p->echoes ? "target" : "their destination", &p->b, NULL);
	if (p->echoes) {
		o += (size_t)snprintf(course + o, cap - o, "%zu echo request(s) with id(s)", p->echoes);
		for (size_t k = 0; k < p->nid; k++)
			o += (size_t)snprintf(course + o, cap - o, "%s %u", k ? "," : "", p->ids[k]);
		o += (size_t)snprintf(course + o, cap - o, "; request %s %u", p->v6 ? "hop limit" : "TTL", p->ttl_min);
		if (p->ttl_max != p->ttl_min)
			o += (size_t)snprintf(course + o, cap - o, " to %u", p->ttl_max);
		o += (size_t)snprintf(course + o, cap - o, ".\n");
		if (p->answered)
			o += (size_t)snprintf(course + o, cap - o,
					      "%zu answered: round trip min/avg/max %.3f/%.3f/%.3f ms, reply %s %u.\n",
					      p->answered, p->rtt_min, p->rtt_sum / (double)p->answered, p->rtt_max,
					      p->v6 ? "hop limit" : "TTL", p->reply_ttl);
		if (p->answered < p->echoes)
			o += (size_t)snprintf(course + o, cap - o, "%zu request(s) got no reply.\n", p->echoes - p->answered);
		if (p->sample) {
			size_t d = (size_t)snprintf(data, sizeof(data), "echo payload begins");
			for (size_t k = 0; k < p->sample->npayload && d < sizeof(data); k++)
				d += (size_t)snprintf(data + d, sizeof(data) - d, " %02x", p->sample->payload[k]);
			if (d < sizeof(data))
				d += (size_t)snprintf(data + d, sizeof(data) - d, " \"");
			for (size_t k = 0; k < p->sample->npayload && d + 2 < sizeof(data); k++) {
				uint8_t ch = p->sample->payload[k];
				data[d++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
			}
			if (d < sizeof(data))
				snprintf(data + d, sizeof(data) - d, "\"%s%s", p->hint ? "; sender looks like " : "",
					 p->hint ? p->hint : "");
		}
	}
	if (p->time_exceeded >= 2 || (p->echoes && p->ttl_max > p->ttl_min && p->time_exceeded))
		o += (size_t)snprintf(course + o, cap - o, "%zu Time Exceeded replies to low-TTL (hop limit) probes: a traceroute-like pattern.\n",
				      p->time_exceeded);
	for (size_t k = 0; k < i->nx && o + 400 < cap; k++) {
		struct error *x = &i->x[k];
		if (!cx_addr_eq(&x->to, &p->a) || !cx_addr_eq(&x->qdst, &p->b))
			continue;
		char f[CX_ADDR_STRLEN];
		cx_addr_str(&x->from, f);
		if (!cx_addr_eq(&x->from, &p->b))
			cx_conv_party(&c, "router reporting an error", &x->from, NULL);
		o += (size_t)snprintf(course + o, cap - o, "frame %llu: %s (type %u code %u) from %s about %s (%s %u)",
				      (unsigned long long)x->frame, error_name(x), x->type, x->code, f, x->quoted,
				      x->v6 ? "hop limit" : "TTL", x->quoted_ttl);
		if (x->cause_frame)
			o += (size_t)snprintf(course + o, cap - o, ", caused by frame %llu\n", (unsigned long long)x->cause_frame);
		else
			o += (size_t)snprintf(course + o, cap - o, ", causing frame not in the capture\n");
	}
	c.course = course;
	c.protection = "none: ICMP is not encrypted or authenticated; its contents can be read, and forged by anyone on the path";
	c.data = data;
	cx_summary_conv(i->ctx->summary, &c);
	free(course);
}

void
cx_icmp_finish(struct cx_icmp *i)
{
	if (!i->ne && !i->nx)
		return;
	struct pair *v = calloc(MAX_PAIRS, sizeof(*v));
	size_t n = 0;
	if (!v)
		return;
	for (size_t k = 0; k < i->ne; k++) {
		struct echo *e = &i->e[k];
		struct pair *p = pair_of(v, &n, MAX_PAIRS, &e->src, &e->dst);
		if (!p)
			continue;
		p->v6 = e->v6;
		p->echoes++;
		pair_span(p, e->req_frame, e->req_ts);
		if (e->ttl < p->ttl_min)
			p->ttl_min = e->ttl;
		if (e->ttl > p->ttl_max)
			p->ttl_max = e->ttl;
		size_t id = 0;
		while (id < p->nid && p->ids[id] != e->id)
			id++;
		if (id == p->nid && p->nid < 8)
			p->ids[p->nid++] = e->id;
		if (!p->hint && e->payload_hint[0])
			p->hint = e->payload_hint;
		if (!p->sample && e->npayload)
			p->sample = e;
		if (e->rep_frame) {
			double rtt = (double)(e->rep_ts - e->req_ts) / 1e6;
			p->answered++;
			p->rtt_sum += rtt;
			if (p->rtt_min < 0 || rtt < p->rtt_min)
				p->rtt_min = rtt;
			if (rtt > p->rtt_max)
				p->rtt_max = rtt;
			p->reply_ttl = e->reply_ttl;
			pair_span(p, e->rep_frame, e->rep_ts);
		}
	}
	for (size_t k = 0; k < i->nx; k++) {
		struct error *x = &i->x[k];
		/* about a datagram the receiver of the error sent */
		struct pair *p = pair_of(v, &n, MAX_PAIRS, &x->to, x->qdst.family ? &x->qdst : &x->from);
		if (!p)
			continue;
		p->v6 = x->v6;
		p->errors++;
		p->time_exceeded += !strcmp(error_name(x), "time exceeded");
		pair_span(p, x->frame, x->ts);
	}
	for (size_t k = 0; k < n; k++)
		pair_section(i, &v[k]);
	if (n == MAX_PAIRS)
		cx_summary_add(i->ctx->summary, i->e ? i->e[0].req_ts : 0, 0,
			       "ICMP: more host pairs than the write-up lists; report.json icmp has every message.");
	free(v);
}

void
cx_icmp_report(struct cx_icmp *i, struct json_object *root)
{
	char ep[CX_ADDR_STRLEN + 8];
	struct json_object *o = json_object_new_object();
	struct json_object *echo = json_object_new_array();
	for (size_t k = 0; k < i->ne; k++) {
		struct echo *e = &i->e[k];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "src", json_object_new_string(cx_addr_str(&e->src, ep)));
		json_object_object_add(x, "dst", json_object_new_string(cx_addr_str(&e->dst, ep)));
		json_object_object_add(x, "version", json_object_new_int(e->v6 ? 6 : 4));
		json_object_object_add(x, "id", json_object_new_int(e->id));
		json_object_object_add(x, "seq", json_object_new_int(e->seq));
		json_object_object_add(x, "request_frame", json_object_new_int64((int64_t)e->req_frame));
		json_object_object_add(x, "reply_frame", e->rep_frame ? json_object_new_int64((int64_t)e->rep_frame) : NULL);
		json_object_object_add(x, "rtt_ms", e->rep_frame ? json_object_new_double((double)(e->rep_ts - e->req_ts) / 1e6) : NULL);
		json_object_object_add(x, "request_ttl", json_object_new_int(e->ttl));
		json_object_object_add(x, "reply_ttl", e->rep_frame ? json_object_new_int(e->reply_ttl) : NULL);
		json_object_object_add(x, "os_hint", e->payload_hint[0] ? json_object_new_string(e->payload_hint) : NULL);
		json_object_array_add(echo, x);
	}
	json_object_object_add(o, "echo", echo);
	struct json_object *errs = json_object_new_array();
	for (size_t k = 0; k < i->nx; k++) {
		struct error *e = &i->x[k];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "frame", json_object_new_int64((int64_t)e->frame));
		json_object_object_add(x, "from", json_object_new_string(cx_addr_str(&e->from, ep)));
		json_object_object_add(x, "to", json_object_new_string(cx_addr_str(&e->to, ep)));
		json_object_object_add(x, "type", json_object_new_int(e->type));
		json_object_object_add(x, "code", json_object_new_int(e->code));
		json_object_object_add(x, "name", json_object_new_string(error_name(e)));
		json_object_object_add(x, "quoted", json_object_new_string(e->quoted));
		json_object_object_add(x, "quoted_ttl", json_object_new_int(e->quoted_ttl));
		json_object_object_add(x, "caused_by_frame", e->cause_frame ? json_object_new_int64((int64_t)e->cause_frame) : NULL);
		json_object_array_add(errs, x);
	}
	json_object_object_add(o, "errors", errs);
	if (i->drop_echo || i->drop_err) {
		/* only when a cap was reached: outputs below it stay as they were */
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "echo_requests", json_object_new_int64((int64_t)i->drop_echo));
		json_object_object_add(d, "errors", json_object_new_int64((int64_t)i->drop_err));
		json_object_object_add(o, "dropped", d);
	}
	json_object_object_add(root, "icmp", o);
}

bool
cx_icmp_owned_pending(const struct cx_icmp *i, int64_t now_ns)
{
	return i->owned_open && now_ns - i->owned_last_ts < CX_SHARD_PENDING_NS;
}
