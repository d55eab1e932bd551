/* TCP connections reassembled into two in-order byte streams.
 *
 * The flow layer owns every struct cx_tcp_conn; consumers (SIP, FTP, DNS)
 * borrow it from the first callback until their on_close returns, and keep
 * their per-connection state in conn->user (which they own and free in
 * on_close). Direction 0 is client->server (the SYN sender, or the first
 * sender seen), 1 is server->client. */
#ifndef CX_TCP_H
#define CX_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "callextract/packet.h"

struct cx_ctx;

enum cx_tcp_owner {
	CX_TCP_UNCLAIMED = 0,
	CX_TCP_IGNORED,    /* nobody wanted it: data is dropped, stats kept */
	CX_TCP_SIP,
	CX_TCP_FTP_CTRL,
	CX_TCP_FTP_DATA,
	CX_TCP_DNS,
	CX_TCP_STUN,       /* STUN/TURN over TCP */
	CX_TCP_HEP,        /* HEP to a collector (src/wrap/hep.c) */
	CX_TCP_WS,         /* WebSocket carrying SIP (src/wrap/ws.c) */
	CX_TCP_TLS,        /* TLS (src/wrap/tls.c) */
	CX_TCP_RTP,        /* RTP/RTCP over TCP, RFC 4571 (src/stream/tcprtp.c) */
};

struct cx_tcp_conn {
	uint64_t id;             /* 1-based, in order of first packet */
	struct cx_addr addr[2];  /* [0] client, [1] server */
	uint16_t port[2];
	uint64_t first_frame, last_frame;
	int64_t first_ts_ns, last_ts_ns;
	bool saw_syn;            /* the handshake was captured */
	bool closed[2];          /* FIN or RST seen in that direction */
	uint64_t bytes[2];       /* delivered in-order bytes */
	uint64_t gap_bytes[2];   /* bytes never captured (holes skipped) */
	uint64_t retrans[2], out_of_order[2], overlaps[2];
	enum cx_tcp_owner owner;
	void *user;              /* owner's state; owned by the owner */
	/* What SIP read from this connection says it came in ("TLS 1.3" for
	 * the plaintext a wrapper feeds through its own inner connection,
	 * src/wrap/tls.c); NULL = "TCP". Static string, borrowed. */
	const char *transport;
};

/* A packet of n bytes at d sent in direction dir (0: client to server) of
 * c, for a consumer that cuts datagrams out of the stream (STUN's RFC
 * 4571 framing, RTP over TCP). Only the addresses, ports, frame, time and
 * payload are set; d is borrowed. */
static inline void
cx_tcp_conn_packet(const struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns, const uint8_t *d,
		   size_t n, struct cx_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->frame = frame;
	p->ts_ns = ts_ns;
	p->src = c->addr[dir];
	p->dst = c->addr[!dir];
	p->sport = c->port[dir];
	p->dport = c->port[!dir];
	p->payload = d;
	p->payload_len = (uint32_t)n;
}

struct cx_tcp *cx_tcp_new(struct cx_ctx *ctx);
/* Closes (delivers on_close for) every open connection first. */
void cx_tcp_free(struct cx_tcp *t);

/* Feed a decoded TCP segment. */
void cx_tcp_segment(struct cx_tcp *t, const struct cx_packet *p);
/* Expire idle connections (capture time). */
void cx_tcp_tick(struct cx_tcp *t, int64_t now_ns);
/* Close all connections (end of capture). */
void cx_tcp_flush(struct cx_tcp *t);
/* Shard mode: a connection begun in the shard's own frames is open and
 * nobody has claimed it yet (its protocol shows with its first bytes). */
bool cx_tcp_owned_unclaimed(const struct cx_tcp *t);
/* New JSON object with connection totals (owned by caller). */
struct json_object *cx_tcp_report(const struct cx_tcp *t);

#endif
