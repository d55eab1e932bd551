/* RTP and RTCP over TCP (RFC 4571): on a connection one end of which an
 * SDP announced with a TCP/RTP/ profile (TCP/RTP/AVP, /SAVP, /AVPF,
 * /SAVPF; RFC 4145 a=setup: the active side connects from a port of its
 * own to the passive side's announced one), each packet is preceded by a
 * two-byte big-endian length. The frames are cut out of the in-order byte
 * stream (flow/tcp.c) and each is handed to the stream layer exactly as a
 * UDP datagram with the connection's addresses would be (cx_media_on_udp,
 * with l4 = TCP): RTP, RTCP sharing the connection (rtcp-mux), STUN of
 * ICE-TCP (RFC 6544 frames it the same way). So statistics, SRTP, WAVs
 * and the call's capture follow as for UDP.
 *
 * Hostile input: a frame that is not RTP, RTCP or STUN, or a gap in the
 * stream, loses the framing; it is found again where two plausible RTP or
 * RTCP headers follow each other at the distance the first length gives.
 * A frame whose length goes past what the connection delivered before it
 * closed is counted as truncated. Counters: proto.rtp_tcp_* and error.rtp_tcp.*.
 * State: conn->user, owned, freed by cx_media_rtp_tcp_close. */
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "callextract/media.h"
#include "callextract/tcp.h"
#include "output/callpcap.h"
#include "proto/rtp.h"
#include "stream/stream.h"

#define FRAME_MAX (2u + 65535u)   /* the length prefix and the largest packet */
#define RESYNC_LEN_MAX 4096u      /* a length believed while resynchronising */
#define RESYNC_KEEP 8192u         /* bytes kept while no frame start is found */

struct rtp_tcp_half {
	uint8_t *b;                   /* bytes of frames not complete yet */
	size_t n, cap;                /* cap grows up to FRAME_MAX, as lengths ask */
	bool lost;                    /* framing lost: looking for it again */
	uint64_t frames;
};

struct rtp_tcp {
	uint32_t call;                /* the call whose SDP announced it */
	struct rtp_tcp_half h[2];
};

/* The TCP endpoint (RTP or RTCP port) of a live call at addr:port. */
static const struct cx_ep *
tcp_ep(const struct cx_media *m, const struct cx_addr *a, uint16_t port)
{
	const struct cx_ep *e = cx_ep_find(m, a, port, false);
	if (!e || !e->tcp || e->finished)
		e = cx_ep_find(m, a, port, true);
	return e && e->tcp && !e->finished ? e : NULL;
}

bool
cx_media_rtp_tcp_claim(struct cx_media *m, struct cx_tcp_conn *c)
{
	if (c->user)
		return false;
	/* the passive side (the server) is the one announced with its port */
	const struct cx_ep *e = tcp_ep(m, &c->addr[1], c->port[1]);
	if (!e)
		e = tcp_ep(m, &c->addr[0], c->port[0]);
	if (!e)
		return false;
	struct rtp_tcp *st = calloc(1, sizeof(*st));
	if (!st)
		return false;
	st->call = e->call_index;
	c->user = st;
	cx_stats_add(m->ctx->stats, "proto.rtp_tcp_connections", 1);
	return true;
}

void
cx_media_rtp_tcp_segment(struct cx_media *m, struct cx_tcp_conn *c)
{
	const struct rtp_tcp *st = c->user;
	/* the whole connection is the call's media: every segment that
	 * carried bytes of it, retransmissions included */
	if (st)
		cx_callpcap_mark(m->ctx->cpcap, st->call);
}

/* A plausible RTP or RTCP header at d (n bytes available): version 2. */
static bool
plausible(const uint8_t *d, size_t n)
{
	return n >= 2 && (d[0] >> 6) == 2;
}

/* One framed packet, to the stream layer as a datagram would go. */
static void
frame_packet(struct cx_media *m, struct cx_tcp_conn *c, struct rtp_tcp_half *h, int dir, uint64_t frame,
	     int64_t ts_ns, const uint8_t *d, size_t n)
{
	struct cx_packet p;
	cx_tcp_conn_packet(c, dir, frame, ts_ns, d, n, &p);
	p.ip_ver = c->addr[dir].family;
	p.ip_proto = 6;
	p.l4 = CX_L4_TCP;
	h->frames++;
	cx_stats_add(m->ctx->stats, "proto.rtp_tcp_frames", 1);
	if (!cx_media_on_udp(m, &p)) {
		/* not RTP, RTCP or STUN: the lengths cannot be trusted further */
		cx_stats_add(m->ctx->stats, "error.rtp_tcp.bad_frame", 1);
		h->lost = true;
	}
}

/* Finds a frame start again: a length that is followed by a version-2
 * header, and after it, another length and header. Returns the offset, or
 * -1 with *keep the bytes worth keeping (a start may begin in them). */
static ptrdiff_t
resync(const uint8_t *b, size_t n, size_t *keep)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		size_t len = (size_t)b[i] << 8 | b[i + 1];
		if (len < 4 || len > RESYNC_LEN_MAX || !plausible(b + i + 2, n - i - 2))
			continue;
		size_t next = i + 2 + len;
		if (next + 4 > n) {
			*keep = n - i; /* cannot tell yet: keep from here */
			return -1;
		}
		size_t len2 = (size_t)b[next] << 8 | b[next + 1];
		if (len2 >= 4 && plausible(b + next + 2, n - next - 2))
			return (ptrdiff_t)i;
	}
	*keep = n < 3 ? n : 3;
	return -1;
}

/* Cuts whole frames off the buffer. */
static void
drain(struct cx_media *m, struct cx_tcp_conn *c, struct rtp_tcp_half *h, int dir, uint64_t frame, int64_t ts_ns)
{
	size_t off = 0;
	for (;;) {
		if (h->lost) {
			size_t keep = 0;
			ptrdiff_t at = resync(h->b + off, h->n - off, &keep);
			if (at < 0) {
				if (keep > RESYNC_KEEP)
					keep = RESYNC_KEEP;
				off = h->n - keep;
				break;
			}
			off += (size_t)at;
			h->lost = false;
			cx_stats_add(m->ctx->stats, "error.rtp_tcp.resynchronised", 1);
		}
		if (h->n - off < 2)
			break;
		size_t len = (size_t)h->b[off] << 8 | h->b[off + 1];
		if (h->n - off - 2 < len)
			break;
		if (len == 0)
			cx_stats_add(m->ctx->stats, "error.rtp_tcp.empty_frame", 1);
		else
			frame_packet(m, c, h, dir, frame, ts_ns, h->b + off + 2, len);
		off += 2 + len;
	}
	memmove(h->b, h->b + off, h->n - off);
	h->n -= off;
}

void
cx_media_rtp_tcp_data(struct cx_media *m, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns,
		      const uint8_t *d, size_t n)
{
	struct rtp_tcp *st = c->user;
	if (!st || dir < 0 || dir > 1)
		return;
	struct rtp_tcp_half *h = &st->h[dir];
	/* a segment queued out of order and delivered now is still the call's */
	cx_callpcap_mark_source(m->ctx->cpcap, st->call);
	if (!d) {
		/* bytes the capture does not hold: what was buffered is lost */
		cx_stats_add(m->ctx->stats, "error.rtp_tcp.gap", 1);
		if (h->n)
			cx_stats_add(m->ctx->stats, "error.rtp_tcp.truncated", 1);
		h->n = 0;
		h->lost = true;
		return;
	}
	while (n) {
		if (h->cap < FRAME_MAX && h->cap - h->n < n) {
			/* most packets are small: the buffer grows as they ask */
			size_t nc = h->cap ? h->cap : 2048;
			while (nc < FRAME_MAX && nc - h->n < n)
				nc *= 2;
			if (nc > FRAME_MAX)
				nc = FRAME_MAX;
			uint8_t *nb = realloc(h->b, nc);
			if (!nb)
				return;
			h->b = nb;
			h->cap = nc;
		}
		size_t k = h->cap - h->n < n ? h->cap - h->n : n;
		memcpy(h->b + h->n, d, k);
		h->n += k;
		d += k;
		n -= k;
		drain(m, c, h, dir, frame, ts_ns);
	}
}

void
cx_media_rtp_tcp_close(struct cx_media *m, struct cx_tcp_conn *c)
{
	struct rtp_tcp *st = c->user;
	if (!st)
		return;
	for (int dir = 0; dir < 2; dir++) {
		/* a length that goes beyond what the connection delivered */
		if (st->h[dir].n && !st->h[dir].lost)
			cx_stats_add(m->ctx->stats, "error.rtp_tcp.truncated", 1);
		free(st->h[dir].b);
	}
	free(st);
	c->user = NULL;
}
