/* SDP endpoints as the SIP side announces them, their payload maps, and
 * the media record of each call (its streams, endpoints and stereo mix;
 * kept as a tomb for a minute after the call is finished). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include "callextract/ctx.h"
#include "codec/codec.h"
#include "stream/stream.h"

uint32_t
cx_ep_hash(const struct cx_addr *a, uint16_t port)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	return (h ^ (port * 2654435761u)) & (CX_NBUCKETS - 1);
}

const struct cx_ep *
cx_ep_find(const struct cx_media *m, const struct cx_addr *a, uint16_t port, bool rtcp)
{
	for (const struct cx_ep *e = m->ep[cx_ep_hash(a, port)]; e; e = e->next)
		if (e->port == port && e->rtcp == rtcp && cx_addr_eq(&e->addr, a))
			return e;
	return NULL;
}

/* The SDP encoding name of pt at this endpoint, or NULL. */
const char *
cx_ep_encoding(const struct cx_ep *e, uint8_t pt, uint32_t *clock)
{
	for (size_t i = 0; e && i < e->npts; i++) {
		if (e->pts[i].pt == pt && e->pts[i].enc[0]) {
			if (clock)
				*clock = e->pts[i].clock;
			return e->pts[i].enc;
		}
	}
	return NULL;
}

static void
ep_set_pts(struct cx_ep *w, const struct cx_media_expect *e)
{
	for (size_t i = 0; i < e->n_pts && i < CX_MEDIA_MAX_PT; i++) {
		uint8_t pt = e->pts[i].pt & 127;
		size_t k = 0;
		while (k < w->npts && w->pts[k].pt != pt)
			k++;
		if (k == w->npts) {
			if (w->npts == CX_MEDIA_MAX_PT)
				continue;
			if (w->npts == w->cappts) {
				/* most SDPs announce a handful of types */
				size_t nc = w->cappts ? (size_t)w->cappts * 2 : 4;
				if (nc > CX_MEDIA_MAX_PT)
					nc = CX_MEDIA_MAX_PT;
				struct cx_ep_pt *np = realloc(w->pts, nc * sizeof(*np));
				if (!np)
					continue;
				w->pts = np;
				w->cappts = (uint8_t)nc;
			}
			w->npts++;
		}
		w->pts[k].pt = pt;
		w->pts[k].clock = e->pts[i].clock;
		w->pts[k].channels = e->pts[i].channels;
		snprintf(w->pts[k].enc, sizeof(w->pts[k].enc), "%s", e->pts[i].encoding);
		snprintf(w->pts[k].fmtp, sizeof(w->pts[k].fmtp), "%s", e->pts[i].fmtp);
	}
}

static const char *
static_encoding(uint8_t pt)
{
	switch (pt) {
	case 0: return "PCMU";
	case 3: return "GSM";
	case 4: return "G723";
	case 8: return "PCMA";
	case 9: return "G722";
	case 13: return "CN";
	case 18: return "G729";
	case 26: return "JPEG";
	case 31: return "H261";
	case 34: return "H263";
	default: return "";
	}
}

static uint32_t
static_clock(uint8_t pt)
{
	if (pt <= 9 || pt == 13 || pt == 18 || (pt >= 12 && pt <= 15))
		return 8000;
	if (pt == 10 || pt == 11)
		return 44100;
	if (pt >= 25 && pt <= 34)
		return 90000;
	return 0;
}

const char *
cx_stream_encoding(const struct cx_stream *s, uint8_t pt)
{
	const char *enc = cx_ep_encoding(s->ep, pt, NULL);
	if (enc)
		return enc;
	if (s->event_pt && pt == s->event_pt)
		return "telephone-event";
	return static_encoding(pt);
}

uint32_t
cx_stream_clock(const struct cx_stream *s, uint8_t pt)
{
	uint32_t clock = 0;
	if (cx_ep_encoding(s->ep, pt, &clock) && clock)
		return clock;
	uint32_t c = static_clock(pt);
	if (!c && !strcasecmp(cx_stream_encoding(s, pt), "telephone-event"))
		c = 8000;
	return c;
}

static enum cx_kind
kind_name(const char *enc, const struct cx_codec **codec)
{
	*codec = cx_codec_find(enc);
	return !strcasecmp(enc, "PCMU") ? CX_KIND_PCMU : !strcasecmp(enc, "PCMA") ? CX_KIND_PCMA :
	       !strcasecmp(enc, "CN") ? CX_KIND_CN : !strcasecmp(enc, "telephone-event") ? CX_KIND_EVENT :
	       *codec ? CX_KIND_CODEC : CX_KIND_OTHER;
}

const struct cx_ep_pt *
cx_ep_pt(const struct cx_ep *e, uint8_t pt)
{
	for (size_t i = 0; e && i < e->npts; i++)
		if (e->pts[i].pt == pt)
			return &e->pts[i];
	return NULL;
}

/* The kind of pt in this stream, looked up by name once per payload type
 * and announcement rather than once per packet. */
enum cx_kind
cx_stream_kind(const struct cx_media *m, struct cx_stream *s, uint8_t pt)
{
	if (s->kind_pt != pt || s->kind_gen != m->expect_gen) {
		s->kind_pt = pt;
		s->kind_gen = m->expect_gen;
		s->kind = kind_name(cx_stream_encoding(s, pt), &s->kind_codec);
	}
	return s->kind;
}

/* The media record of a live call (made on first use). */
struct cx_mcall *
cx_mcall_get(struct cx_media *m, uint32_t call_index, bool create)
{
	struct cx_mcall **b = &m->mix_b[call_index % CX_MIX_BUCKETS];
	for (struct cx_mcall *r = *b; r; r = r->next)
		if (r->call_index == call_index)
			return r;
	if (!create)
		return NULL;
	struct cx_mcall *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->call_index = call_index;
	r->next = *b;
	*b = r;
	return r;
}

/* A stream tied to a call joins the call's list, in creation order. */
void
cx_mcall_add_stream(struct cx_media *m, struct cx_stream *s)
{
	struct cx_mcall *mc = cx_mcall_get(m, s->call_index, true);
	if (!mc || s->mc)
		return;
	s->mc = mc;
	if (!mc->streams_tail || mc->streams_tail->seq < s->seq) {
		if (mc->streams_tail)
			mc->streams_tail->knext = s;
		else
			mc->streams = s;
		mc->streams_tail = s;
		return;
	}
	struct cx_stream **pp = &mc->streams;
	while (*pp && (*pp)->seq < s->seq)
		pp = &(*pp)->knext;
	s->knext = *pp;
	*pp = s;
}

static void
add_endpoint(struct cx_media *m, const struct cx_media_expect *e, bool rtcp)
{
	uint16_t port = rtcp ? e->rtcp_port : e->rtp_port;
	const struct cx_ep *old = cx_ep_find(m, &e->addr, port, rtcp);
	if (old && !old->finished && old->call_id && !strcmp(old->call_id, e->call_id) && old->party == e->party) {
		/* Re-announced (re-INVITE): refresh the payload map in place. */
		if (!rtcp)
			ep_set_pts((struct cx_ep *)old, e);
		cx_ep_srtp_set(m, (struct cx_ep *)old, e); /* re-keyed from this SDP on */
		return;
	}
	struct cx_ep *n = calloc(1, sizeof(*n));
	if (!n || !(n->call_id = strdup(e->call_id))) {
		free(n);
		return;
	}
	n->addr = e->addr;
	n->port = port;
	n->rtcp = rtcp;
	n->tcp = cx_proto_rfc4571(e->proto);
	n->call_index = e->call_index;
	n->party = e->party;
	if (!rtcp)
		ep_set_pts(n, e);
	struct cx_mcall *mc = cx_mcall_get(m, e->call_index, true);
	if (mc) {
		n->mc = mc;
		n->cnext = mc->eps;
		mc->eps = n;
	}
	cx_ep_srtp_set(m, n, e);
	/* Newest first: a later call reusing the address:port wins. */
	uint32_t b = cx_ep_hash(&e->addr, port);
	n->next = m->ep[b];
	m->ep[b] = n;
}

void
cx_media_expect(struct cx_media *m, const struct cx_media_expect *e)
{
	if (!e->rtp_port || !e->call_id)
		return;
	if (e->proto && !strncasecmp(e->proto, "TCP/", 4) && !cx_proto_rfc4571(e->proto))
		cx_stats_add(m->ctx->stats, "proto.sdp_tcp_tls_not_followed", 1); /* TCP/TLS/RTP/SAVP, TCP/DTLS/... */
	add_endpoint(m, e, false);
	if (e->rtcp_port)
		add_endpoint(m, e, true);
	m->expect_gen++;
	/* STUN that came before this SDP from or to its ports is the call's */
	/* ... and so is RTP/RTCP kept waiting for it (placed now, while the
	 * call's capture still holds its first frames, in frame order) */
	if (m->ctx->cpcap) {
		bool tcp = cx_proto_rfc4571(e->proto);
		cx_stunf_place(m, &e->addr, e->rtp_port, e->call_index);
		cx_stream_place(m, &e->addr, e->rtp_port, tcp, e->call_index);
		if (e->rtcp_port) {
			cx_stunf_place(m, &e->addr, e->rtcp_port, e->call_index);
			cx_stream_place(m, &e->addr, e->rtcp_port, tcp, e->call_index);
		}
	}
}

bool
cx_proto_rfc4571(const char *proto)
{
	/* TCP/RTP/AVP, TCP/RTP/SAVP, TCP/RTP/AVPF, TCP/RTP/SAVPF (RFC 4571,
	 * 4145); not TCP/TLS/RTP/SAVP nor TCP/DTLS/RTP/SAVP: TLS around them */
	return proto && !strncasecmp(proto, "TCP/RTP/", 8);
}

/* The signalled endpoint this packet is for, and the sending party. A TCP
 * endpoint takes only packets framed on TCP, and a UDP one only datagrams. */
const struct cx_ep *
cx_ep_signalled(struct cx_media *m, const struct cx_packet *p, bool rtcp, int *sender)
{
	bool tcp = p->l4 == CX_L4_TCP;
	const struct cx_ep *e = cx_ep_find(m, &p->dst, p->dport, rtcp);
	if (e && e->tcp == tcp) {
		*sender = !e->party;
		return e;
	}
	e = cx_ep_find(m, &p->src, p->sport, rtcp);
	if (e && e->tcp == tcp) {
		*sender = e->party; /* symmetric RTP: the party sends from where it receives */
		return e;
	}
	*sender = -1;
	return NULL;
}

/* Tombs of finished calls: after CX_LATE_KEEP_NS their endpoints are
 * forgotten (a packet to them is then just unsignalled UDP). */
void
cx_ep_expire(struct cx_media *m, int64_t now_ns)
{
	while (m->fq && now_ns - m->fq->t_finished > CX_LATE_KEEP_NS) {
		struct cx_mcall *mc = m->fq;
		m->fq = mc->qnext;
		if (!m->fq)
			m->fq_tail = NULL;
		for (struct cx_ep *e = mc->eps, *n; e; e = n) {
			n = e->cnext;
			for (struct cx_ep **pp = &m->ep[cx_ep_hash(&e->addr, e->port)]; *pp; pp = &(*pp)->next) {
				if (*pp == e) {
					*pp = e->next;
					break;
				}
			}
			free(e->call_id);
			free(e->pts);
			cx_ep_srtp_free(e);
			free(e);
		}
		free(mc);
	}
}

void
cx_ep_free_all(struct cx_media *m)
{
	for (size_t i = 0; i < CX_NBUCKETS; i++) {
		struct cx_ep *e = m->ep[i];
		while (e) {
			struct cx_ep *n = e->next;
			free(e->call_id);
			free(e->pts);
			cx_ep_srtp_free(e);
			free(e);
			e = n;
		}
	}
}
