/* HEP (Homer Encapsulation Protocol): the copies of SIP (and RTCP, QoS
 * reports) that capture agents (kamailio siptrace, OpenSIPS, heplify,
 * captagent, FreeSWITCH, Asterisk) send to a collector.
 *
 * v1/v2: a fixed header (version, header length, family, protocol, ports,
 * addresses; v2 adds seconds, microseconds and a 16-bit agent id in the
 * sender's byte order, kamailio's struct hep_timehdr with its 2 pad bytes),
 * then the payload up to the end of the datagram. Over TCP a v1/v2 payload
 * has no length: it is framed as the SIP message it holds.
 * v3: "HEP3", a 16-bit total length, then chunks (vendor, type, length
 * including the 6-byte chunk header). Several v3 messages may share one
 * datagram or segment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "output/callpcap.h"
#include "wrap/wrap_int.h"

#define HEP_MAX_INFLATE (256u * 1024u)
#define HEP_TCP_MAX (128u * 1024u)

/* HEP protocol types (HEP3 spec, chunk 0x000b) */
#define HEP_PT_SIP 0x01
#define HEP_PT_RTCP 0x05
#define HEP_PT_QOS_FULL 0x22
#define HEP_PT_QOS_SHORT 0x23
#define HEP_PT_LOG 0x64

struct hep_msg {
	int version;
	uint8_t family, ipproto, ptype;
	struct cx_addr src, dst;
	uint16_t sport, dport;
	bool has_ts;
	uint32_t ts_sec, ts_usec;
	bool has_agent;
	uint32_t agent;
	const uint8_t *auth;
	size_t auth_len;
	const uint8_t *payload;
	size_t plen;
	bool compressed;
	const uint8_t *corr;
	size_t corr_len;
};

static bool
v12_header(const uint8_t *d, size_t n, size_t *hdr_len)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint8_t v = cx_get_u8(&c), hl = cx_get_u8(&c), fam = cx_get_u8(&c), proto = cx_get_u8(&c);
	if (c.err || (v != 1 && v != 2))
		return false;
	if (!((fam == 2 && hl == 16) || (fam == 10 && hl == 40)))
		return false;
	if (proto != 17 && proto != 6 && proto != 132)
		return false;
	size_t h = hl + (v == 2 ? 12u : 0u);
	if (n < h)
		return false;
	*hdr_len = h;
	return true;
}

bool
cx_hep_looks_like(const uint8_t *d, size_t n)
{
	if (!d || n < 6)
		return false;
	if (!memcmp(d, "HEP3", 4)) {
		struct cx_cur c = cx_cur_make(d + 4, n - 4);
		uint16_t total = cx_get_be16(&c);
		return total >= 6 + 6;
	}
	size_t h;
	return v12_header(d, n, &h) && cx_sip_looks_like(d + h, n - h);
}

static struct hep_agent *
agent_for(struct cx_wrap *w, const struct hep_msg *m, const struct cx_addr *from, uint64_t frame)
{
	uint32_t id = m->has_agent ? m->agent : 0;
	for (uint32_t i = 0; i < w->n_agents; i++)
		if (w->agents[i].id == id && cx_addr_eq(&w->agents[i].from, from))
			return &w->agents[i];
	if (w->n_agents >= WRAP_MAX_AGENTS) {
		w->agents_dropped++;
		return NULL;
	}
	struct hep_agent *a = &w->agents[w->n_agents++];
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->from = *from;
	a->first_frame = frame;
	return a;
}

static void
bad(struct cx_wrap *w, uint64_t frame, const char *kind, const char *what)
{
	char name[64];
	snprintf(name, sizeof(name), "error.hep.%s", kind);
	cx_stats_add(w->ctx->stats, name, 1);
	cx_findings_add(w->ctx->findings, CX_SEV_LOW, "hep.malformed", frame, "HEP message not read: %s", what);
}

/* HEP3 chunks. 0 ok, -1 malformed (counted). */
static int
parse_v3(struct cx_wrap *w, struct cx_cur *c, struct hep_msg *m, uint64_t frame)
{
	while (cx_cur_left(c) > 0) {
		uint16_t vendor = cx_get_be16(c), type = cx_get_be16(c), len = cx_get_be16(c);
		if (c->err || len < 6 || (size_t)(len - 6) > cx_cur_left(c)) {
			bad(w, frame, "chunk_length", "a chunk's length runs past the message or is shorter than its header");
			return -1;
		}
		struct cx_cur v = cx_take(c, (size_t)len - 6);
		size_t vl = cx_cur_left(&v);
		if (vendor != 0)
			continue; /* vendor chunks: not ours to read */
		switch (type) {
		case 0x01: m->family = cx_get_u8(&v); break;
		case 0x02: m->ipproto = cx_get_u8(&v); break;
		case 0x03: m->src.family = 4; cx_get_bytes(&v, m->src.a, 4); break;
		case 0x04: m->dst.family = 4; cx_get_bytes(&v, m->dst.a, 4); break;
		case 0x05: m->src.family = 6; cx_get_bytes(&v, m->src.a, 16); break;
		case 0x06: m->dst.family = 6; cx_get_bytes(&v, m->dst.a, 16); break;
		case 0x07: m->sport = cx_get_be16(&v); break;
		case 0x08: m->dport = cx_get_be16(&v); break;
		case 0x09: m->ts_sec = cx_get_be32(&v); m->has_ts = true; break;
		case 0x0a: m->ts_usec = cx_get_be32(&v); break;
		case 0x0b: m->ptype = cx_get_u8(&v); break;
		case 0x0c: m->agent = cx_get_be32(&v); m->has_agent = !v.err; break;
		case 0x0e: m->auth = v.p; m->auth_len = vl; break;
		case 0x0f: m->payload = v.p; m->plen = vl; m->compressed = false; break;
		case 0x10: m->payload = v.p; m->plen = vl; m->compressed = true; break;
		case 0x11: m->corr = v.p; m->corr_len = vl; break;
		default: break;
		}
		if (v.err) {
			bad(w, frame, "chunk_value", "a chunk's value is shorter than its type needs");
			return -1;
		}
	}
	if (m->has_ts && m->ts_usec >= 1000000)
		m->ts_usec = 0;
	return 0;
}

/* v1/v2 fixed header; payload is the rest of c. */
static int
parse_v12(struct cx_cur *c, struct hep_msg *m)
{
	m->version = cx_get_u8(c);
	uint8_t hl = cx_get_u8(c);
	m->family = cx_get_u8(c);
	m->ipproto = cx_get_u8(c);
	m->sport = cx_get_be16(c);
	m->dport = cx_get_be16(c);
	size_t al = m->family == 2 ? 4 : 16;
	if (hl != 8 + 2 * al)
		return -1;
	m->src.family = m->dst.family = al == 4 ? 4 : 6;
	cx_get_bytes(c, m->src.a, al);
	cx_get_bytes(c, m->dst.a, al);
	if (m->version == 2) {
		/* kamailio's struct hep_timehdr: host byte order (little-endian
		 * on the agents seen), 2 bytes of padding */
		m->ts_sec = cx_get_le32(c);
		m->ts_usec = cx_get_le32(c);
		m->agent = cx_get_le16(c);
		cx_skip(c, 2);
		m->has_ts = m->ts_usec < 1000000;
		m->has_agent = true;
	}
	m->ptype = HEP_PT_SIP;
	m->payload = c->p;
	m->plen = cx_cur_left(c);
	return c->err ? -1 : 0;
}

static void
printable(char *out, size_t cap, const uint8_t *d, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++)
		out[o++] = (d[i] >= 0x20 && d[i] < 0x7f) ? (char)d[i] : '.';
	out[o] = '\0';
}

static void
keep_report(struct cx_wrap *w, const struct hep_msg *m, uint64_t frame, const uint8_t *d, size_t n)
{
	if (!w->hep_reports)
		w->hep_reports = json_object_new_array();
	if (json_object_array_length(w->hep_reports) >= WRAP_MAX_LISTED) {
		w->hep_reports_dropped++;
		return;
	}
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)frame));
	json_object_object_add(o, "type", json_object_new_int(m->ptype));
	json_object_object_add(o, "agent", json_object_new_int64(m->agent));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&m->src, m->sport, a)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&m->dst, m->dport, b)));
	if (m->corr_len) {
		char corr[256];
		printable(corr, sizeof(corr), m->corr, m->corr_len);
		json_object_object_add(o, "correlation_id", json_object_new_string(corr));
	}
	/* the agent's JSON as it sent it, when it parses; else its text */
	struct json_object *j = NULL;
	if (n && d[0] == '{' && n < 65536) {
		struct json_tokener *tok = json_tokener_new();
		if (tok) {
			j = json_tokener_parse_ex(tok, (const char *)d, (int)n);
			if (json_tokener_get_error(tok) != json_tokener_success) {
				json_object_put(j);
				j = NULL;
			}
			json_tokener_free(tok);
		}
	}
	if (!j) {
		char text[512];
		printable(text, sizeof(text), d, n);
		j = json_object_new_string(text);
	}
	json_object_object_add(o, "report", j);
	json_object_array_add(w->hep_reports, o);
}

/* One parsed HEP message: to the SIP module, the media module or the list
 * of agents' reports. outer: the packet that carried it (its source is the
 * agent's address). */
static void
deliver(struct cx_wrap *w, struct hep_msg *m, const struct cx_addr *from, bool tcp, uint64_t frame,
	int64_t frame_ts, const struct cx_packet *outer)
{
	struct cx_ctx *ctx = w->ctx;
	cx_stats_add(ctx->stats, "proto.hep", 1);
	struct hep_agent *a = agent_for(w, m, from, frame);
	if (a) {
		a->versions |= (uint8_t)(1u << m->version);
		a->messages++;
		if (tcp)
			a->over_tcp = true;
		else
			a->over_udp = true;
		if (m->auth_len && !a->auth_key) {
			a->auth_key = true;
			printable(a->key, sizeof(a->key), m->auth, m->auth_len);
		}
	}
	if (!m->payload || !m->plen) {
		cx_stats_add(ctx->stats, "proto.hep_no_payload", 1);
		return;
	}
	const uint8_t *d = m->payload;
	size_t n = m->plen;
	uint8_t *inflated = NULL;
	if (m->compressed) {
		/* zlib or gzip stream (heplify, captagent): inflate, capped */
		inflated = malloc(HEP_MAX_INFLATE);
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (!inflated || inflateInit2(&z, 15 + 32) != Z_OK) {
			free(inflated);
			return;
		}
		z.next_in = (Bytef *)d;
		z.avail_in = (uInt)n;
		z.next_out = inflated;
		z.avail_out = HEP_MAX_INFLATE;
		int rc = inflate(&z, Z_FINISH);
		size_t out = HEP_MAX_INFLATE - z.avail_out;
		inflateEnd(&z);
		if (rc != Z_STREAM_END) {
			bad(w, frame, "inflate", "the compressed payload does not inflate (or exceeds 256 KiB)");
			free(inflated);
			return;
		}
		if (a)
			a->compressed++;
		d = inflated;
		n = out;
	}
	int64_t ts = m->has_ts ? (int64_t)m->ts_sec * 1000000000LL + (int64_t)m->ts_usec * 1000 : frame_ts;
	char transport[32];
	if (m->has_agent)
		snprintf(transport, sizeof(transport), "HEP%d via agent %u", m->version, m->agent);
	else
		snprintf(transport, sizeof(transport), "HEP%d", m->version);
	bool addrs = m->src.family && m->src.family == m->dst.family;
	if (m->ptype == HEP_PT_SIP && addrs && cx_sip_looks_like(d, n)) {
		if (a)
			a->sip++;
		struct cx_sip_origin o = { .src = m->src, .dst = m->dst, .sport = m->sport, .dport = m->dport,
					   .transport = transport, .frame = frame, .ts_ns = ts, .hep = true };
		cx_sip_on_wrapped(ctx->sip, d, n, &o);
	} else if (m->ptype == HEP_PT_RTCP && addrs && n >= 8 && d[0] != '{' && (d[0] >> 6) == 2 && outer) {
		/* binary RTCP: to the stream it describes, as if seen on the wire */
		if (a)
			a->rtcp++;
		struct cx_packet p = *outer;
		p.src = m->src;
		p.dst = m->dst;
		p.sport = m->sport;
		p.dport = m->dport;
		p.ts_ns = ts;
		p.l4 = CX_L4_UDP;
		p.payload = d;
		p.payload_len = (uint32_t)n;
		cx_stats_add(ctx->stats, "proto.hep_rtcp", 1);
		if (!cx_media_on_udp(ctx->media, &p))
			cx_stats_add(ctx->stats, "proto.hep_rtcp_unmatched", 1);
	} else if (m->ptype == HEP_PT_RTCP || m->ptype == HEP_PT_QOS_FULL || m->ptype == HEP_PT_QOS_SHORT ||
		   m->ptype == HEP_PT_LOG) {
		/* JSON RTCP / QoS reports and logs: kept with the endpoints they name */
		if (a)
			a->json++;
		cx_stats_add(ctx->stats, "proto.hep_report", 1);
		keep_report(w, m, frame, d, n);
	} else {
		if (a)
			a->other++;
		cx_stats_add(ctx->stats, "proto.hep_other", 1);
	}
	free(inflated);
}

/* Reads one HEP message at c. Returns bytes used, 0 when incomplete (TCP,
 * !final), or (size_t)-1 when unreadable. */
static size_t
one(struct cx_wrap *w, const uint8_t *d, size_t n, bool final, const struct cx_addr *from, bool tcp,
    uint64_t frame, int64_t ts, const struct cx_packet *outer)
{
	struct hep_msg m;
	memset(&m, 0, sizeof(m));
	if (n >= 4 && !memcmp(d, "HEP3", 4)) {
		if (n < 6)
			return final ? (size_t)-1 : 0;
		struct cx_cur c = cx_cur_make(d, n);
		cx_skip(&c, 4);
		uint16_t total = cx_get_be16(&c);
		if (total < 6) {
			bad(w, frame, "length", "HEP3 total length shorter than its header");
			return (size_t)-1;
		}
		if (total > n) {
			if (!final)
				return 0;
			bad(w, frame, "length", "HEP3 total length runs past the data");
			return (size_t)-1;
		}
		m.version = 3;
		struct cx_cur body = cx_take(&c, (size_t)total - 6);
		if (parse_v3(w, &body, &m, frame) == 0)
			deliver(w, &m, from, tcp, frame, ts, outer);
		return total;
	}
	size_t hl;
	if (n < 8)
		return final ? (size_t)-1 : 0;
	if (!v12_header(d, n, &hl)) {
		if (!final && n < 52)
			return 0;
		bad(w, frame, "header", "neither HEP3 nor a HEP v1/v2 header");
		return (size_t)-1;
	}
	size_t len = n;
	if (!final) {
		/* no length field: the payload is one SIP message */
		size_t sl = cx_sip_message_length(d + hl, n - hl);
		if (!sl)
			return n - hl < HEP_TCP_MAX ? 0 : (size_t)-1;
		len = hl + sl;
	}
	struct cx_cur c = cx_cur_make(d, len);
	if (parse_v12(&c, &m) == 0)
		deliver(w, &m, from, tcp, frame, ts, outer);
	else
		bad(w, frame, "header", "HEP v1/v2 header does not match its family");
	return len;
}

void
cx_hep_on_udp(struct cx_wrap *w, const struct cx_packet *p)
{
	size_t off = 0, n = p->payload_len;
	while (off < n) {
		size_t used = one(w, p->payload + off, n - off, true, &p->src, false, p->frame, p->ts_ns, p);
		if (used == (size_t)-1 || used == 0)
			break;
		off += used;
	}
}

struct hep_tcp_half {
	uint8_t *buf;
	size_t len, cap;
	bool lost; /* after a gap or garbage: resynchronise on "HEP3" */
	struct cx_cp_spans sp; /* frames of the buffered bytes, for the call's capture */
};

struct hep_tcp {
	struct hep_tcp_half h[2];
};

static void
resync(struct hep_tcp_half *h)
{
	uint8_t *hit = h->len >= 4 ? memmem(h->buf, h->len, "HEP3", 4) : NULL;
	size_t skip = hit ? (size_t)(hit - h->buf) : (h->len > 3 ? h->len - 3 : 0);
	memmove(h->buf, h->buf + skip, h->len - skip);
	h->len -= skip;
	h->lost = !hit;
}

void
cx_hep_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *d, size_t n)
{
	struct hep_tcp *st = c->user;
	if (!st && !(st = c->user = calloc(1, sizeof(*st))))
		return;
	struct hep_tcp_half *h = &st->h[dir];
	if (h->len + n > HEP_TCP_MAX) {
		bad(w, frame, "tcp_overflow", "more than 128 KiB without a complete HEP message");
		h->len = 0;
		cx_cp_spans_release(&h->sp, h->sp.total);
		h->lost = true;
		if (n > HEP_TCP_MAX)
			return;
	}
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
	cx_cp_spans_add(w->ctx->cpcap, &h->sp, n);
	size_t off = 0;
	for (;;) {
		if (h->lost) {
			resync(h);
			off = 0;
			if (h->lost)
				break;
		}
		if (off >= h->len)
			break;
		/* a message that ends here began at off: its segments are the call's */
		cx_callpcap_carry(w->ctx->cpcap, &h->sp, h->sp.total - h->len + off);
		size_t used = one(w, h->buf + off, h->len - off, false, &c->addr[dir], true, frame, ts, NULL);
		cx_callpcap_carry_end(w->ctx->cpcap);
		if (used == 0)
			break;
		if (used == (size_t)-1) {
			/* drop the unreadable start and look for the next "HEP3" */
			off++;
			memmove(h->buf, h->buf + off, h->len - off);
			h->len -= off;
			off = 0;
			h->lost = true;
			continue;
		}
		off += used;
	}
	memmove(h->buf, h->buf + off, h->len - off);
	h->len -= off;
	cx_cp_spans_release(&h->sp, h->sp.total - h->len);
}

void
cx_hep_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	(void)w;
	(void)missing;
	struct hep_tcp *st = c->user;
	if (st) {
		st->h[dir].len = 0;
		st->h[dir].lost = true;
		cx_cp_spans_release(&st->h[dir].sp, st->h[dir].sp.total);
	}
}

void
cx_hep_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c)
{
	struct hep_tcp *st = c->user;
	if (!st)
		return;
	for (int d = 0; d < 2; d++) {
		if (st->h[d].len)
			cx_stats_add(w->ctx->stats, "error.hep.incomplete_at_close", 1);
		free(st->h[d].buf);
		cx_cp_spans_free(&st->h[d].sp);
	}
	free(st);
	c->user = NULL;
}
