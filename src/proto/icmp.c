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
#define MAX_EVENTS 20000

struct seen {
	uint64_t key;
	uint64_t frame;
};

struct echo {
	struct cx_addr src, dst;
	uint16_t id, seq;
	uint8_t ttl, reply_ttl;
	uint64_t req_frame, rep_frame;
	int64_t req_ts, rep_ts;
	char payload_hint[96];
	bool v6;
};

struct error {
	uint64_t frame;
	int64_t ts;
	struct cx_addr from, to;
	uint8_t type, code;
	bool v6;
	char quoted[160];
	uint64_t cause_frame;
	uint8_t quoted_ttl;
};

struct cx_icmp {
	struct cx_ctx *ctx;
	struct seen ring[RING];
	size_t rpos;
	struct echo *e;
	size_t ne, cape;
	struct error *x;
	size_t nx, capx;
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
	uint64_t h = 1469598103934665603ULL;
	for (int k = 0; k < 16; k++)
		h = (h ^ p->src.a[k] ^ ((uint64_t)p->dst.a[k] << 8)) * 1099511628211ULL;
	h = (h ^ p->ip_proto ^ ((uint64_t)p->ip_id << 8)) * 1099511628211ULL;
	h = (h ^ p->sport ^ ((uint64_t)p->dport << 16)) * 1099511628211ULL;
	return h;
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
	struct seen *s = &i->ring[i->rpos++ % RING];
	s->key = dgram_key(p);
	s->frame = p->frame;
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
			if (i->ne >= MAX_EVENTS)
				return;
			if (cx_grow(&i->e, &i->cape, i->ne, sizeof(*i->e)) < 0)
				return;
			struct echo *e = &i->e[i->ne++];
			memset(e, 0, sizeof(*e));
			e->src = p->src;
			e->dst = p->dst;
			e->id = id;
			e->seq = seq;
			e->ttl = p->ttl;
			e->req_frame = p->frame;
			e->req_ts = p->ts_ns;
			e->v6 = v6;
			char hb[96];
			const char *h = os_hint(c.p, cx_cur_left(&c), hb, sizeof(hb));
			if (h)
				snprintf(e->payload_hint, sizeof(e->payload_hint), "%s", h);
			return;
		}
		for (size_t k = i->ne; k-- > 0;) {
			struct echo *e = &i->e[k];
			if (!e->rep_frame && e->id == id && e->seq == seq && cx_addr_eq(&e->src, &p->dst) &&
			    cx_addr_eq(&e->dst, &p->src)) {
				e->rep_frame = p->frame;
				e->rep_ts = p->ts_ns;
				e->reply_ttl = p->ttl;
				return;
			}
		}
		return;
	}
	bool err = v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 11 || type == 12 || type == 5);
	if (!err || i->nx >= MAX_EVENTS)
		return;
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
		snprintf(x->quoted, sizeof(x->quoted), "%s %s -> %s%s", proto, cx_endpoint_str(&q.src, q.sport, a),
			 cx_endpoint_str(&q.dst, q.dport, b), rc == CX_DEC_OK ? "" : " (quote truncated)");
		x->quoted_ttl = q.ttl;
		if (q.l4 == CX_L4_ICMP || q.l4 == CX_L4_ICMP6) {
			/* an echo request quoted: its id/seq stand where ports would */
			struct cx_cur qc = cx_cur_make(q.payload, q.payload_len);
			cx_skip(&qc, 4);
			q.sport = 0;
			q.dport = 0;
		}
		uint64_t key = dgram_key(&q);
		for (size_t k = 0; k < RING; k++) {
			struct seen *s = &i->ring[(i->rpos + RING - 1 - k) % RING];
			if (s->frame && s->key == key) {
				x->cause_frame = s->frame;
				break;
			}
		}
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

void
cx_icmp_finish(struct cx_icmp *i)
{
	if (!i->ne && !i->nx)
		return;
	char buf[8192], a[200], b[200];
	size_t o = 0;
	size_t answered = 0, te = 0;
	for (size_t k = 0; k < i->ne; k++)
		answered += i->e[k].rep_frame != 0;
	for (size_t k = 0; k < i->nx; k++)
		te += !strcmp(error_name(&i->x[k]), "time exceeded");
	uint64_t first = i->ne ? i->e[0].req_frame : i->x[0].frame;
	int64_t ts = i->ne ? i->e[0].req_ts : i->x[0].ts;
	o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			      "== ICMP: %zu echo request(s), %zu answered; %zu error message(s) ==\nNetwork layer only (ICMP over IP), no encryption: contents readable and forgeable.\n",
			      i->ne, answered, i->nx);
	if (i->ne) {
		snprintf(a, sizeof(a), "%s", cx_names_label(i->ctx->names, &i->e[0].src));
		snprintf(b, sizeof(b), "%s", cx_names_label(i->ctx->names, &i->e[0].dst));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "Pings from %s to %s (TTL %u)%s%s.\n", a, b, i->e[0].ttl,
				      i->e[0].payload_hint[0] ? "; sender looks like " : "", i->e[0].payload_hint);
	}
	if (te >= 2)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%zu Time Exceeded replies: a traceroute-like pattern of increasing TTLs.\n", te);
	for (size_t k = 0; k < i->nx && o < sizeof(buf) - 300; k++) {
		struct error *x = &i->x[k];
		snprintf(a, sizeof(a), "%s", cx_names_label(i->ctx->names, &x->from));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "frame %llu: %s from %s about %s%s\n",
				      (unsigned long long)x->frame, error_name(x), a, x->quoted,
				      x->cause_frame ? " (caused by an earlier frame)" : "");
	}
	cx_summary_add(i->ctx->summary, ts, first, buf);
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
	json_object_object_add(root, "icmp", o);
}
