/* STUN and TURN flows: each message of a flow listed (up to MAX_STUN), by
 * 5-tuple in either direction and by either end alone (so that a call
 * written out takes along the flows on its endpoints); STUN/TURN over TCP
 * (RFC 5389 section 7.2.2) framed here and handed to the same table. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/media.h"
#include "callextract/spill.h"
#include "callextract/tcp.h"
#include "proto/rtp.h"
#include "output/callpcap.h"
#include "stream/stream.h"
#include "util/text.h"

#define MAX_STUN 64          /* STUN messages listed per flow */

/* The two ends in either order give the same bucket. */
static uint32_t
stun_bucket(const struct cx_addr *a, uint16_t pa, const struct cx_addr *b, uint16_t pb)
{
	return (cx_ep_hash(a, pa) ^ cx_ep_hash(b, pb)) % CX_STUN_BUCKETS;
}

struct cx_stun_flow *
cx_stunf_find(const struct cx_media *m, const struct cx_addr *a, uint16_t pa, const struct cx_addr *b, uint16_t pb)
{
	for (struct cx_stun_flow *f = m->stun_b[stun_bucket(a, pa, b, pb)]; f; f = f->hnext)
		if ((f->pa == pa && f->pb == pb && cx_addr_eq(&f->a, a) && cx_addr_eq(&f->b, b)) ||
		    (f->pb == pa && f->pa == pb && cx_addr_eq(&f->b, a) && cx_addr_eq(&f->a, b)))
			return f;
	return NULL;
}

/* Flows by one end: a call written out takes along the STUN flows that
 * touch its endpoints. A flow is in the chain of each end's bucket (once
 * when both ends share one); enext[k] follows end k. */
static uint32_t
stun_end_bucket(const struct cx_stun_flow *f, int k)
{
	return cx_ep_hash(k ? &f->b : &f->a, k ? f->pb : f->pa) % CX_STUN_BUCKETS;
}

static void
stun_end_link(struct cx_media *m, struct cx_stun_flow *f)
{
	for (int k = 0; k < 2; k++) {
		uint32_t b = stun_end_bucket(f, k);
		if (k == 1 && b == stun_end_bucket(f, 0))
			break;
		f->enext[k] = m->stun_e[b];
		m->stun_e[b] = f;
	}
}

/* The link to follow from f in bucket b. */
static struct cx_stun_flow **
stun_end_next(struct cx_stun_flow *f, uint32_t b)
{
	return &f->enext[stun_end_bucket(f, 0) == b ? 0 : 1];
}

static void
stun_unlink(struct cx_media *m, struct cx_stun_flow *f)
{
	struct cx_stun_flow **pp = &m->stun_b[stun_bucket(&f->a, f->pa, &f->b, f->pb)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	for (int k = 0; k < 2; k++) {
		uint32_t b = stun_end_bucket(f, k);
		if (k == 1 && b == stun_end_bucket(f, 0))
			break;
		for (pp = &m->stun_e[b]; *pp; pp = stun_end_next(*pp, b))
			if (*pp == f) {
				*pp = *stun_end_next(f, b);
				break;
			}
	}
	if (f->prev)
		f->prev->next = f->next;
	else
		m->stun = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		m->stun_tail = f->prev;
	m->nstun--;
	cx_callpcap_drop(m->ctx->cpcap, &f->cp_pend);
	json_object_put(f->msgs);
	free(f);
}

static const char *
stun_method_name(unsigned method)
{
	switch (method) {
	case 1: return "Binding";
	case 3: return "Allocate";
	case 4: return "Refresh";
	case 6: return "Send";
	case 7: return "Data";
	case 8: return "CreatePermission";
	case 9: return "ChannelBind";
	default: return NULL;
	}
}

struct cx_stun_flow *
cx_stunf_packet(struct cx_media *m, const struct cx_packet *p, bool tcp)
{
	struct cx_stun st;
	if (cx_stun_parse(p->payload, p->payload_len, &st) < 0) {
		if (tcp)
			cx_stats_add(m->ctx->stats, "error.stun.malformed", 1);
		return NULL;
	}
	(*m->n_stun)++;
	struct cx_stun_flow *f = cx_stunf_find(m, &p->src, p->sport, &p->dst, p->dport);
	if (!f) {
		if (m->nstun >= 10000)
			return NULL;
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		f->a = p->src;
		f->b = p->dst;
		f->pa = p->sport;
		f->pb = p->dport;
		f->msgs = json_object_new_array();
		/* appended: the report lists flows by first message */
		f->prev = m->stun_tail;
		if (m->stun_tail)
			m->stun_tail->next = f;
		else
			m->stun = f;
		m->stun_tail = f;
		uint32_t b = stun_bucket(&f->a, f->pa, &f->b, f->pb);
		f->hnext = m->stun_b[b];
		m->stun_b[b] = f;
		f->seq = m->stun_created++;
		stun_end_link(m, f);
		m->nstun++;
	}
	f->n++;
	if (json_object_array_length(f->msgs) >= MAX_STUN)
		return f;
	char ep[CX_ADDR_STRLEN + 8], t[48];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)p->frame));
	json_object_object_add(o, "time", json_object_new_string(cx_time_utc(p->ts_ns, t, sizeof(t))));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&p->src, p->sport, ep)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&p->dst, p->dport, ep)));
	json_object_object_add(o, "class", json_object_new_string(st.cls));
	unsigned method = (st.type & 0x000f) | ((st.type & 0x00e0) >> 1) | ((st.type & 0x3e00) >> 2);
	json_object_object_add(o, "method", json_object_new_int((int)method));
	if (stun_method_name(method))
		json_object_object_add(o, "method_name", json_object_new_string(stun_method_name(method)));
	if (tcp)
		json_object_object_add(o, "transport", json_object_new_string("tcp"));
	if (st.has_xor_mapped)
		json_object_object_add(o, "xor_mapped_address", json_object_new_string(cx_endpoint_str(&st.xor_mapped, st.xor_port, ep)));
	if (st.has_mapped)
		json_object_object_add(o, "mapped_address", json_object_new_string(cx_endpoint_str(&st.mapped, st.mapped_port, ep)));
	if (st.classic)
		json_object_object_add(o, "classic_rfc3489", json_object_new_boolean(1));
	if (st.username[0])
		json_object_object_add(o, "username", json_object_new_string(st.username));
	if (st.has_priority)
		json_object_object_add(o, "priority", json_object_new_int64(st.priority));
	json_object_object_add(o, "use_candidate", json_object_new_boolean(st.use_candidate));
	json_object_object_add(o, "ice_controlling", json_object_new_boolean(st.ice_controlling));
	json_object_object_add(o, "ice_controlled", json_object_new_boolean(st.ice_controlled));
	json_object_object_add(o, "message_integrity", json_object_new_boolean(st.integrity));
	json_object_object_add(o, "fingerprint", json_object_new_boolean(st.fingerprint));
	if (st.error_code)
		json_object_object_add(o, "error_code", json_object_new_int(st.error_code));
	json_object_array_add(f->msgs, o);
	return f;
}

/* The endpoint a STUN-only flow's checks belong to: ICE checks on an SDP
 * endpoint, or on the RTCP component (port+1 or a=rtcp). */
static const struct cx_ep *
stun_owner(const struct cx_media *m, const struct cx_stun_flow *f)
{
	const struct cx_ep *e = cx_ep_find(m, &f->b, f->pb, false);
	if (!e)
		e = cx_ep_find(m, &f->a, f->pa, false);
	if (!e)
		e = cx_ep_find(m, &f->b, f->pb, true);
	if (!e)
		e = cx_ep_find(m, &f->a, f->pa, true);
	return e;
}

struct json_object *
cx_stunf_json(const struct cx_media *m, const struct cx_stun_flow *f)
{
	char ep[CX_ADDR_STRLEN + 8];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string("stun"));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&f->a, f->pa, ep)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&f->b, f->pb, ep)));
	const struct cx_ep *e = stun_owner(m, f);
	json_object_object_add(o, "call_id", e ? json_object_new_string(e->call_id) : NULL);
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)f->n));
	json_object_object_add(o, "stun", json_object_get(f->msgs));
	return o;
}

#define STUN_TCP_MAX 70000   /* one message at most: 20 + 65535 */

struct stun_tcp {
	uint8_t *b[2];
	size_t n[2];
	bool lost[2];            /* a gap or junk: this direction is not followed further */
};

bool
cx_media_tcp_looks_like(const uint8_t *d, size_t n)
{
	return cx_stun_looks_like(d, n);
}

/* Takes whole messages off the front of the buffer: STUN (first two bits
 * 00, 20 + length bytes) or TURN ChannelData (01, 4 + length, padded to
 * a multiple of 4 over TCP). */
static void
stun_tcp_drain(struct cx_media *m, struct cx_tcp_conn *c, struct stun_tcp *st, int dir, uint64_t frame,
	       int64_t ts_ns)
{
	size_t off = 0;
	uint8_t *b = st->b[dir];
	while (st->n[dir] - off >= 4) {
		const uint8_t *h = b + off;
		size_t len = (size_t)h[2] << 8 | h[3], need;
		if ((h[0] >> 6) == 0) {
			need = 20 + len;
		} else if ((h[0] >> 6) == 1) {
			need = (4 + len + 3) & ~(size_t)3;
		} else {
			cx_stats_add(m->ctx->stats, "error.stun.tcp_unframed", 1);
			st->lost[dir] = true;
			off = st->n[dir];
			break;
		}
		if (st->n[dir] - off < need)
			break;
		if ((h[0] >> 6) == 0) {
			struct cx_packet p;
			cx_tcp_conn_packet(c, dir, frame, ts_ns, h, need, &p);
			cx_stunf_packet(m, &p, true);
		} else {
			cx_stats_add(m->ctx->stats, "proto.turn_channel_data", 1);
		}
		off += need;
	}
	memmove(b, b + off, st->n[dir] - off);
	st->n[dir] -= off;
}

void
cx_media_tcp_data(struct cx_media *m, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns,
		  const uint8_t *d, size_t n)
{
	struct stun_tcp *st = c->user;
	if (!st && !(st = c->user = calloc(1, sizeof(*st))))
		return;
	if (dir < 0 || dir > 1 || st->lost[dir])
		return;
	if (!d) { /* bytes missing from the capture: the framing is lost */
		cx_stats_add(m->ctx->stats, "error.stun.tcp_gap", 1);
		st->lost[dir] = true;
		return;
	}
	while (n) {
		if (!st->b[dir] && !(st->b[dir] = malloc(STUN_TCP_MAX)))
			return;
		size_t k = STUN_TCP_MAX - st->n[dir] < n ? STUN_TCP_MAX - st->n[dir] : n;
		memcpy(st->b[dir] + st->n[dir], d, k);
		st->n[dir] += k;
		d += k;
		n -= k;
		stun_tcp_drain(m, c, st, dir, frame, ts_ns);
		if (st->lost[dir])
			return;
	}
}

void
cx_media_tcp_close(struct cx_media *m, struct cx_tcp_conn *c)
{
	struct stun_tcp *st = c->user;
	if (!st)
		return;
	for (int dir = 0; dir < 2; dir++) {
		if (st->n[dir] && !st->lost[dir])
			cx_stats_add(m->ctx->stats, "error.stun.tcp_truncated", 1);
		free(st->b[dir]);
	}
	free(st);
	c->user = NULL;
}

void
cx_stunf_free_all(struct cx_media *m)
{
	struct cx_stun_flow *f = m->stun;
	while (f) {
		struct cx_stun_flow *n = f->next;
		cx_callpcap_drop(m->ctx->cpcap, &f->cp_pend);
		json_object_put(f->msgs);
		free(f);
		f = n;
	}
}

void
cx_stunf_call_done(struct cx_media *m, struct cx_mcall *mc, uint32_t call_index)
{
	for (struct cx_stream *s = mc->streams; s; s = s->knext) {
		struct cx_stun_flow *f = cx_stunf_find(m, &s->src, s->sport, &s->dst, s->dport);
		if (f)
			stun_unlink(m, f);
	}
	for (struct cx_ep *e = mc->eps; e; e = e->cnext) {
		uint32_t b = cx_ep_hash(&e->addr, e->port) % CX_STUN_BUCKETS;
		for (struct cx_stun_flow *f = m->stun_e[b], *n; f; f = n) {
			n = *stun_end_next(f, b);
			bool touches = (f->pa == e->port && cx_addr_eq(&f->a, &e->addr)) ||
				       (f->pb == e->port && cx_addr_eq(&f->b, &e->addr));
			if (!touches || f->used)
				continue;
			const struct cx_ep *o = stun_owner(m, f);
			if (!o || o->call_index != call_index)
				continue;
			cx_media_spill_json(m->sp_stun, f->seq, cx_stunf_json(m, f));
			stun_unlink(m, f);
		}
	}
}

void
cx_stunf_place(struct cx_media *m, const struct cx_addr *addr, uint16_t port, uint32_t call)
{
	uint32_t b = cx_ep_hash(addr, port) % CX_STUN_BUCKETS;
	for (struct cx_stun_flow *f = m->stun_e[b]; f; f = *stun_end_next(f, b))
		if (f->cp_pend && ((f->pa == port && cx_addr_eq(&f->a, addr)) ||
				   (f->pb == port && cx_addr_eq(&f->b, addr))))
			cx_callpcap_place(m->ctx->cpcap, &f->cp_pend, call);
}

void
cx_stunf_pend_expire(struct cx_media *m, int64_t now_ns, int64_t keep_ns)
{
	for (struct cx_stun_flow *f = m->stun; f; f = f->next) {
		int64_t first = cx_callpcap_pend_first(f->cp_pend);
		if (first && now_ns - first > keep_ns)
			cx_callpcap_drop(m->ctx->cpcap, &f->cp_pend);
	}
}
