/* TCP reassembly: per connection two directions, each delivering in-order
 * bytes to the connection's owner. Out-of-order segments are copied and
 * queued up to cfg->max_tcp_buffer bytes per direction; past that, or at
 * close, the hole is skipped and reported as a gap. Retransmissions and
 * overlaps are counted; the first copy of a byte wins. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/ctx.h"
#include "callextract/media.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "output/callpcap.h"

#define NBUCKETS 65536u
#define MAX_CONNS 200000u

struct seg {
	uint32_t seq, len;
	uint64_t frame;
	int64_t ts;
	struct cx_cp_frame *held; /* its frame, for the call's capture (SIP) */
	struct seg *next;
	uint8_t data[];
};

struct half {
	bool init;
	uint32_t next;    /* next expected sequence number */
	struct seg *ooo;  /* queued out-of-order segments, sorted by seq */
	uint32_t queued;
	bool fin;         /* a FIN was seen at fin_seq; closed once next reaches it */
	uint32_t fin_seq;
};

struct conn {
	struct cx_tcp_conn pub;
	struct half h[2];
	struct conn *hnext;              /* hash chain */
	struct conn *lru_prev, *lru_next; /* least recently active first */
	uint32_t bucket;
	bool finished;   /* owner told; kept to absorb late packets until expiry */
	bool owned_unclaimed; /* shard mode: begun in its own frames, no owner yet */
};

struct cx_tcp {
	struct cx_ctx *ctx;
	uint32_t owned_unclaimed; /* shard mode: connections with owned_unclaimed */
	struct conn **buckets;
	struct conn *lru_head, *lru_tail;
	uint64_t next_id, nconns, total, gaps, ignored;
	struct json_object *closed; /* first MAX_LISTED connections, in order of closing */
};

#define MAX_LISTED 1000

static uint32_t
hash_tuple(const struct cx_addr *a, uint16_t pa, const struct cx_addr *b, uint16_t pb)
{
	/* Symmetric: both directions land in one bucket. */
	uint32_t ha = 2166136261u, hb = 2166136261u;
	for (int i = 0; i < 16; i++) {
		ha = (ha ^ a->a[i]) * 16777619u;
		hb = (hb ^ b->a[i]) * 16777619u;
	}
	ha ^= pa * 2654435761u;
	hb ^= pb * 2654435761u;
	return (ha ^ hb) & (NBUCKETS - 1);
}

struct cx_tcp *
cx_tcp_new(struct cx_ctx *ctx)
{
	struct cx_tcp *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->buckets = calloc(NBUCKETS, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->ctx = ctx;
	t->closed = json_object_new_array();
	return t;
}

static void
lru_unlink(struct cx_tcp *t, struct conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void
lru_push(struct cx_tcp *t, struct conn *c)
{
	c->lru_prev = t->lru_tail;
	c->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = c;
	else
		t->lru_head = c;
	t->lru_tail = c;
}

/* ---- delivery to the owner ---- */

static void
claim(struct cx_tcp *t, struct conn *c, int dir, const uint8_t *d, size_t n)
{
	struct cx_ctx *ctx = t->ctx;
	struct cx_tcp_conn *pc = &c->pub;
	/* an SDP announced it (TCP/RTP/AVP): the lengths of RFC 4571 frames
	 * look like nothing else */
	if (cx_media_rtp_tcp_claim(ctx->media, pc))
		pc->owner = CX_TCP_RTP;
	else if (cx_dns_is_port(pc->port[1]) || cx_dns_is_port(pc->port[0]))
		pc->owner = CX_TCP_DNS;
	else if (cx_sip_looks_like(d, n))
		pc->owner = CX_TCP_SIP;
	else if (cx_ftp_looks_like(pc, dir, d, n))
		pc->owner = CX_TCP_FTP_CTRL;
	else if (cx_media_tcp_looks_like(d, n))
		pc->owner = CX_TCP_STUN;
	else if (cx_hep_looks_like(d, n))
		pc->owner = CX_TCP_HEP;
	else if (cx_ws_looks_like(d, n))
		pc->owner = CX_TCP_WS;
	else if (cx_tls_looks_like(d, n))
		pc->owner = CX_TCP_TLS;
	else
		pc->owner = CX_TCP_IGNORED;
	if (pc->owner == CX_TCP_IGNORED)
		t->ignored++;
	if (c->owned_unclaimed) {
		c->owned_unclaimed = false;
		t->owned_unclaimed--;
	}
}

static void
deliver(struct cx_tcp *t, struct conn *c, int dir, uint64_t frame, int64_t ts, const uint8_t *d,
	size_t n)
{
	struct cx_ctx *ctx = t->ctx;
	struct cx_tcp_conn *pc = &c->pub;
	if (n == 0)
		return;
	if (pc->owner == CX_TCP_UNCLAIMED)
		claim(t, c, dir, d, n);
	pc->bytes[dir] += n;
	switch (pc->owner) {
	case CX_TCP_SIP: cx_sip_tcp_data(ctx->sip, pc, dir, frame, ts, d, n); break;
	case CX_TCP_FTP_CTRL:
	case CX_TCP_FTP_DATA: cx_ftp_tcp_data(ctx->ftp, pc, dir, frame, ts, d, n); break;
	case CX_TCP_DNS: cx_dns_tcp_data(ctx->dns, pc, dir, frame, ts, d, n); break;
	case CX_TCP_STUN: cx_media_tcp_data(ctx->media, pc, dir, frame, ts, d, n); break;
	case CX_TCP_HEP: cx_hep_tcp_data(ctx->wrap, pc, dir, frame, ts, d, n); break;
	case CX_TCP_WS: cx_ws_tcp_data(ctx->wrap, pc, dir, frame, ts, d, n); break;
	case CX_TCP_TLS: cx_tls_tcp_data(ctx->wrap, pc, dir, frame, ts, d, n); break;
	case CX_TCP_RTP: cx_media_rtp_tcp_data(ctx->media, pc, dir, frame, ts, d, n); break;
	default: break;
	}
}

static void
deliver_gap(struct cx_tcp *t, struct conn *c, int dir, uint64_t missing)
{
	struct cx_ctx *ctx = t->ctx;
	struct cx_tcp_conn *pc = &c->pub;
	pc->gap_bytes[dir] += missing;
	t->gaps++;
	cx_stats_add(ctx->stats, "error.tcp.gap", 1);
	switch (pc->owner) {
	case CX_TCP_SIP: cx_sip_tcp_gap(ctx->sip, pc, dir, missing); break;
	case CX_TCP_FTP_CTRL:
	case CX_TCP_FTP_DATA: cx_ftp_tcp_gap(ctx->ftp, pc, dir, missing); break;
	case CX_TCP_STUN: cx_media_tcp_data(ctx->media, pc, dir, 0, 0, NULL, (size_t)missing); break;
	case CX_TCP_HEP: cx_hep_tcp_gap(ctx->wrap, pc, dir, missing); break;
	case CX_TCP_WS: cx_ws_tcp_gap(ctx->wrap, pc, dir, missing); break;
	case CX_TCP_TLS: cx_tls_tcp_gap(ctx->wrap, pc, dir, missing); break;
	case CX_TCP_RTP: cx_media_rtp_tcp_data(ctx->media, pc, dir, 0, 0, NULL, (size_t)missing); break;
	default: break;
	}
}

/* Deliver queued segments that are now in order. */
static void
drain(struct cx_tcp *t, struct conn *c, int dir)
{
	struct half *h = &c->h[dir];
	while (h->ooo) {
		struct seg *s = h->ooo;
		int32_t diff = (int32_t)(s->seq - h->next);
		if (diff > 0)
			break;
		h->ooo = s->next;
		h->queued -= s->len;
		uint32_t skip = h->next - s->seq; /* -diff without the overflow at INT32_MIN */
		if (skip < s->len) {
			if (skip)
				c->pub.overlaps[dir]++;
			/* the bytes are those of an earlier frame: a call's
			 * capture takes that frame */
			cx_callpcap_source(t->ctx->cpcap, s->held);
			deliver(t, c, dir, s->frame, s->ts, s->data + skip, s->len - skip);
			cx_callpcap_source(t->ctx->cpcap, NULL);
			h->next = s->seq + s->len;
		} else {
			c->pub.retrans[dir]++;
		}
		cx_cp_frame_put(s->held);
		free(s);
	}
}

/* Skip the hole before the first queued segment. */
static void
skip_hole(struct cx_tcp *t, struct conn *c, int dir)
{
	struct half *h = &c->h[dir];
	if (!h->ooo)
		return;
	uint32_t missing = h->ooo->seq - h->next;
	deliver_gap(t, c, dir, missing);
	h->next = h->ooo->seq;
	drain(t, c, dir);
}

static const char *owner_names[] = { "unclaimed", "none", "sip", "ftp", "ftp-data", "dns", "stun", "hep", "websocket", "tls", "rtp" };

static void
record(struct cx_tcp *t, const struct cx_tcp_conn *pc)
{
	if (json_object_array_length(t->closed) >= MAX_LISTED)
		return;
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64((int64_t)pc->id));
	json_object_object_add(o, "client", json_object_new_string(cx_endpoint_str(&pc->addr[0], pc->port[0], a)));
	json_object_object_add(o, "server", json_object_new_string(cx_endpoint_str(&pc->addr[1], pc->port[1], b)));
	json_object_object_add(o, "protocol", json_object_new_string(owner_names[pc->owner]));
	json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)pc->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)pc->last_frame));
	json_object_object_add(o, "handshake_seen", json_object_new_boolean(pc->saw_syn));
	const char *dn[2] = { "client_to_server", "server_to_client" };
	for (int d = 0; d < 2; d++) {
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "bytes", json_object_new_int64((int64_t)pc->bytes[d]));
		json_object_object_add(h, "gap_bytes", json_object_new_int64((int64_t)pc->gap_bytes[d]));
		json_object_object_add(h, "retransmissions", json_object_new_int64((int64_t)pc->retrans[d]));
		json_object_object_add(h, "out_of_order", json_object_new_int64((int64_t)pc->out_of_order[d]));
		json_object_object_add(h, "overlaps", json_object_new_int64((int64_t)pc->overlaps[d]));
		json_object_object_add(h, "closed", json_object_new_boolean(pc->closed[d]));
		json_object_object_add(o, dn[d], h);
	}
	json_object_array_add(t->closed, o);
}

/* Deliver what is left, tell the owner, record. The connection stays in the
 * table so that late packets (last ACKs, reordered retransmissions) do not
 * look like a new connection. */
static void
finish_conn(struct cx_tcp *t, struct conn *c)
{
	struct cx_ctx *ctx = t->ctx;
	if (c->finished)
		return;
	c->finished = true;
	if (c->owned_unclaimed) {
		c->owned_unclaimed = false;
		t->owned_unclaimed--;
	}
	for (int dir = 0; dir < 2; dir++)
		while (c->h[dir].ooo)
			skip_hole(t, c, dir);
	struct cx_tcp_conn *pc = &c->pub;
	record(t, pc);
	switch (pc->owner) {
	case CX_TCP_SIP: cx_sip_tcp_close(ctx->sip, pc); break;
	case CX_TCP_FTP_CTRL:
	case CX_TCP_FTP_DATA: cx_ftp_tcp_close(ctx->ftp, pc); break;
	case CX_TCP_DNS: cx_dns_tcp_close(ctx->dns, pc); break;
	case CX_TCP_STUN: cx_media_tcp_close(ctx->media, pc); break;
	case CX_TCP_HEP: cx_hep_tcp_close(ctx->wrap, pc); break;
	case CX_TCP_WS: cx_ws_tcp_close(ctx->wrap, pc); break;
	case CX_TCP_TLS: cx_tls_tcp_close(ctx->wrap, pc); break;
	case CX_TCP_RTP: cx_media_rtp_tcp_close(ctx->media, pc); break;
	default: break;
	}
	pc->user = NULL;
}

static void
close_conn(struct cx_tcp *t, struct conn *c)
{
	finish_conn(t, c);
	struct conn **pp = &t->buckets[c->bucket];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(t, c);
	t->nconns--;
	for (int dir = 0; dir < 2; dir++)
		while (c->h[dir].ooo) {
			struct seg *sg = c->h[dir].ooo;
			c->h[dir].ooo = sg->next;
			cx_cp_frame_put(sg->held);
			free(sg);
		}
	free(c);
}

static struct conn *
lookup(struct cx_tcp *t, const struct cx_packet *p, int *dir, uint32_t *bucket)
{
	*bucket = hash_tuple(&p->src, p->sport, &p->dst, p->dport);
	for (struct conn *c = t->buckets[*bucket]; c; c = c->hnext) {
		struct cx_tcp_conn *pc = &c->pub;
		if (pc->port[0] == p->sport && pc->port[1] == p->dport &&
		    cx_addr_eq(&pc->addr[0], &p->src) && cx_addr_eq(&pc->addr[1], &p->dst)) {
			*dir = 0;
			return c;
		}
		if (pc->port[1] == p->sport && pc->port[0] == p->dport &&
		    cx_addr_eq(&pc->addr[1], &p->src) && cx_addr_eq(&pc->addr[0], &p->dst)) {
			*dir = 1;
			return c;
		}
	}
	return NULL;
}

static struct conn *
create(struct cx_tcp *t, const struct cx_packet *p, uint32_t bucket, int *dir)
{
	if (t->nconns >= MAX_CONNS && t->lru_head) {
		cx_stats_add(t->ctx->stats, "error.tcp.too_many_connections", 1);
		close_conn(t, t->lru_head);
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	struct cx_tcp_conn *pc = &c->pub;
	/* The SYN/ACK sender is the server; otherwise the first sender is the client. */
	bool synack = (p->tcp_flags & (CX_TCP_SYN | CX_TCP_ACK)) == (CX_TCP_SYN | CX_TCP_ACK);
	int ci = synack ? 1 : 0;
	pc->addr[ci] = p->src;
	pc->port[ci] = p->sport;
	pc->addr[!ci] = p->dst;
	pc->port[!ci] = p->dport;
	*dir = ci;
	pc->id = ++t->next_id;
	pc->first_frame = p->frame;
	pc->first_ts_ns = p->ts_ns;
	pc->saw_syn = p->tcp_flags & CX_TCP_SYN;
	c->bucket = bucket;
	c->hnext = t->buckets[bucket];
	t->buckets[bucket] = c;
	lru_push(t, c);
	t->nconns++;
	t->total++;
	cx_stats_add(t->ctx->stats, "tcp.connections", 1);
	if (cx_ftp_claim_data(t->ctx->ftp, pc))
		pc->owner = CX_TCP_FTP_DATA;
	else if (t->ctx->cfg->shard.on && cx_config_owns(t->ctx->cfg, p->frame)) {
		/* what it carries begins in this shard's frames: an FTP
		 * session is made at its banner, frames after the SYN */
		c->owned_unclaimed = true;
		t->owned_unclaimed++;
	}
	return c;
}

static void
queue(struct cx_tcp *t, struct conn *c, int dir, const struct cx_packet *p, uint32_t seq,
      const uint8_t *d, uint32_t n)
{
	struct half *h = &c->h[dir];
	uint32_t cap = t->ctx->cfg->max_tcp_buffer;
	c->pub.out_of_order[dir]++;
	while (h->ooo && h->queued + n > cap)
		skip_hole(t, c, dir); /* the buffer is full: give up on the oldest hole */
	if (n > cap) {
		deliver_gap(t, c, dir, seq - h->next);
		h->next = seq;
		deliver(t, c, dir, p->frame, p->ts_ns, d, n);
		h->next = seq + n;
		return;
	}
	struct seg *s = malloc(sizeof(*s) + n);
	if (!s)
		return;
	s->seq = seq;
	s->len = n;
	s->frame = p->frame;
	s->ts = p->ts_ns;
	memcpy(s->data, d, n);
	struct seg **pp = &h->ooo;
	while (*pp && (int32_t)((*pp)->seq - seq) <= 0) {
		if ((*pp)->seq == seq && (*pp)->len >= n) { /* already queued */
			c->pub.retrans[dir]++;
			free(s);
			return;
		}
		pp = &(*pp)->next;
	}
	/* owners that give the bytes to calls need the frame they came in */
	enum cx_tcp_owner o = c->pub.owner;
	s->held = o == CX_TCP_SIP || o == CX_TCP_UNCLAIMED || o == CX_TCP_RTP || o == CX_TCP_STUN ||
		  o == CX_TCP_WS || o == CX_TCP_HEP || o == CX_TCP_TLS ? cx_callpcap_hold(t->ctx->cpcap) : NULL;
	s->next = *pp;
	*pp = s;
	h->queued += n;
}

void
cx_tcp_segment(struct cx_tcp *t, const struct cx_packet *p)
{
	int dir;
	uint32_t bucket;
	struct conn *c = lookup(t, p, &dir, &bucket);
	bool syn = p->tcp_flags & CX_TCP_SYN;
	/* A fresh SYN on a finished connection's ports starts a new connection. */
	if (c && syn && !(p->tcp_flags & CX_TCP_ACK) &&
	    (c->finished || c->pub.closed[0] || c->pub.closed[1] ||
	     (c->h[dir].init && c->h[dir].next != p->tcp_seq + 1))) {
		close_conn(t, c);
		c = NULL;
	}
	if (c && c->finished) {
		cx_stats_add(t->ctx->stats, "tcp.after_close", 1);
		c->pub.last_ts_ns = p->ts_ns;
		return;
	}
	if (!c) {
		if (p->tcp_flags & CX_TCP_RST)
			return;
		c = create(t, p, bucket, &dir);
		if (!c)
			return;
	}
	struct cx_tcp_conn *pc = &c->pub;
	pc->last_frame = p->frame;
	pc->last_ts_ns = p->ts_ns;
	lru_unlink(t, c);
	lru_push(t, c);

	struct half *h = &c->h[dir];
	uint32_t seq = p->tcp_seq;
	if (syn) {
		if (!h->init || (int32_t)(seq + 1 - h->next) > 0) {
			h->next = seq + 1;
			h->init = true;
		}
		seq++; /* SYN occupies one sequence number */
	}
	if (!h->init) {
		h->next = seq; /* joined mid-stream */
		h->init = true;
	}
	uint32_t n = p->payload_len;
	if (n) {
		int32_t diff = (int32_t)(seq - h->next);
		if (diff <= 0) {
			uint32_t skip = h->next - seq; /* -diff without the overflow at INT32_MIN */
			if (skip >= n) {
				pc->retrans[dir]++;
				cx_stats_add(t->ctx->stats, "tcp.retransmissions", 1);
			} else {
				if (skip)
					pc->overlaps[dir]++;
				h->next = seq + n;
				deliver(t, c, dir, p->frame, p->ts_ns, p->payload + skip, n - skip);
				drain(t, c, dir);
			}
		} else {
			queue(t, c, dir, p, seq, p->payload, n);
		}
	}
	if (n && pc->owner == CX_TCP_RTP)
		cx_media_rtp_tcp_segment(t->ctx->media, pc);
	if (p->tcp_flags & CX_TCP_FIN) {
		h->fin = true;
		h->fin_seq = seq + n;
	}
	/* A direction is closed once every byte before its FIN has arrived. */
	for (int d = 0; d < 2; d++)
		if (c->h[d].fin && (int32_t)(c->h[d].next - c->h[d].fin_seq) >= 0)
			pc->closed[d] = true;
	if (p->tcp_flags & CX_TCP_RST)
		pc->closed[0] = pc->closed[1] = true;
	if (pc->closed[0] && pc->closed[1])
		finish_conn(t, c);
}

void
cx_tcp_tick(struct cx_tcp *t, int64_t now_ns)
{
	int64_t idle = (int64_t)t->ctx->cfg->flow_timeout_s * 1000000000LL;
	while (t->lru_head && now_ns - t->lru_head->pub.last_ts_ns > idle) {
		cx_stats_add(t->ctx->stats, "tcp.expired", 1);
		close_conn(t, t->lru_head);
	}
}

void
cx_tcp_flush(struct cx_tcp *t)
{
	while (t->lru_head)
		close_conn(t, t->lru_head);
}

void
cx_tcp_free(struct cx_tcp *t)
{
	if (!t)
		return;
	cx_tcp_flush(t);
	json_object_put(t->closed);
	free(t->buckets);
	free(t);
}

struct json_object *
cx_tcp_report(const struct cx_tcp *t)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "connections", json_object_new_int64((int64_t)t->total));
	json_object_object_add(o, "gaps", json_object_new_int64((int64_t)t->gaps));
	json_object_object_add(o, "unclaimed", json_object_new_int64((int64_t)t->ignored));
	json_object_object_add(o, "list", json_object_get(t->closed));
	return o;
}

bool
cx_tcp_owned_unclaimed(const struct cx_tcp *t)
{
	return t->owned_unclaimed > 0;
}
