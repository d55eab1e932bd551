/* Media correlator: UDP datagrams that are not DNS or SIP are tested for
 * STUN (magic cookie, per packet), RTCP and RTP. RTP streams are keyed by
 * 5-tuple and SSRC and tied to calls through the SDP endpoints that the SIP
 * correlator announces (either end of the flow may match: NAT and symmetric
 * RTP); streams nobody announced are found by RTP heuristics. Statistics
 * follow RFC 3550 as tshark computes them; audio goes to playout in arrival
 * order (playout/playout.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/ctx.h"
#include "callextract/media.h"
#include "callextract/spill.h"
#include "output/callpcap.h"
#include "output/writers.h"
#include "proto/rtp.h"
#include "sink/stereo.h"
#include "stream/rtcp.h"
#include "codec/codec.h"
#include "stream/stream.h"
#include "util/text.h"

#define MAX_OPEN 128         /* writers open at once; others are closed and reopened */

#define CONFIRM 4            /* consistent packets before heuristic RTP is believed */

#define MAX_CANDIDATES 4096  /* unconfirmed streams at once; the oldest gives way */

#define CANDIDATE_IDLE_NS 5000000000LL
#define CP_PEND_NS 10000000000LL /* how long RTP or STUN waits for its SDP, for the call's capture */

struct cx_media *
cx_media_new(struct cx_ctx *ctx)
{
	struct cx_media *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->ctx = ctx;
	/* Use the descriptors the process may have (main raises the soft
	 * limit), leaving room for everything else. */
	struct rlimit rl;
	m->max_open = MAX_OPEN;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		/* up to 128 kept for everything else (capture, libraries, the
		 * other writers), half of a small limit */
		size_t cur = (size_t)rl.rlim_cur, reserve = cur / 2 < 128 ? cur / 2 : 128;
		m->max_open = cur - reserve;
		if (m->max_open > 8192)
			m->max_open = 8192;
		if (m->max_open < 4)
			m->max_open = 4;
	}
	m->sb = calloc(CX_NBUCKETS, sizeof(*m->sb));
	/* the audio files and the calls' captures are written by a thread of
	 * their own (the finisher's call.json shares it: always threaded then) */
	m->w = cx_writers_new(ctx->out, m->max_open, !ctx->cfg->no_audio || !ctx->cfg->no_call_pcap);
	m->rtcp = cx_rtcp_table_new();
	m->n_rtp = cx_stats_counter(ctx->stats, "proto.rtp");
	m->n_rtcp = cx_stats_counter(ctx->stats, "proto.rtcp");
	m->n_stun = cx_stats_counter(ctx->stats, "proto.stun");
	m->late_rtp = cx_stats_counter(ctx->stats, "late.rtp");
	m->late_rtcp = cx_stats_counter(ctx->stats, "late.rtcp");
	m->sp_streams = cx_spill_new(ctx->out, "streams");
	m->sp_stun = cx_spill_new(ctx->out, "stun-flows");
	if (cx_media_srtp_init(m) < 0) {
		cx_media_free(m);
		return NULL;
	}
	if (!m->sb || !m->w || !m->rtcp || !m->n_rtp || !m->n_rtcp || !m->n_stun || !m->late_rtp ||
	    !m->late_rtcp || !m->sp_streams || !m->sp_stun) {
		cx_media_free(m);
		return NULL;
	}
	return m;
}

/* Streams holding frames for a call's capture, in a list of their own. */
static void
pend_link(struct cx_media *m, struct cx_stream *s)
{
	if (s->pd_linked || !s->cp_pend)
		return;
	s->pd_prev = NULL;
	s->pd_next = m->pd_head;
	if (m->pd_head)
		m->pd_head->pd_prev = s;
	m->pd_head = s;
	s->pd_linked = true;
}

/* The kept frames go to call, or with call 0 are let go (counted). */
static void
stream_unpend(struct cx_media *m, struct cx_stream *s, uint32_t call)
{
	if (call)
		cx_callpcap_place(m->ctx->cpcap, &s->cp_pend, call);
	else
		cx_callpcap_drop(m->ctx->cpcap, &s->cp_pend);
	if (!s->pd_linked)
		return;
	if (s->pd_prev)
		s->pd_prev->pd_next = s->pd_next;
	else
		m->pd_head = s->pd_next;
	if (s->pd_next)
		s->pd_next->pd_prev = s->pd_prev;
	s->pd_prev = s->pd_next = NULL;
	s->pd_linked = false;
}

void
cx_stream_place(struct cx_media *m, const struct cx_addr *addr, uint16_t port, bool tcp, uint32_t call)
{
	for (struct cx_stream *s = m->pd_head, *n; s; s = n) {
		n = s->pd_next;
		if (s->tcp == tcp && ((s->dport == port && cx_addr_eq(&s->dst, addr)) ||
				      (s->sport == port && cx_addr_eq(&s->src, addr))))
			stream_unpend(m, s, call);
	}
}

static void
free_stream(struct cx_media *m, struct cx_stream *s)
{
	cx_sink_free(m, s);
	cx_playout_free(&s->pl);
	stream_unpend(m, s, 0);
	for (size_t i = 0; i < s->npend; i++)
		free((void *)s->pend[i].data);
	free(s->pend);
	free(s->call_id);
	json_object_put(s->dtmf);
	cx_stream_srtp_free(s);
	free(s);
}

void
cx_media_free(struct cx_media *m)
{
	if (!m)
		return;
	cx_ep_free_all(m);
	for (size_t i = 0; i < m->n; i++)
		free_stream(m, m->v[i]);
	for (size_t i = 0; i < CX_MIX_BUCKETS; i++) {
		struct cx_mcall *r = m->mix_b[i];
		while (r) {
			struct cx_mcall *n = r->next;
			cx_stereo_free(r->x);
			free(r);
			r = n;
		}
	}
	for (struct cx_mcall *r = m->fq, *n; r; r = n) {
		n = r->qnext;
		free(r);
	}
	cx_stunf_free_all(m);
	cx_spill_free(m->sp_streams);
	cx_spill_free(m->sp_stun);
	free(m->v);
	free(m->sb);
	cx_writers_free(m->w);
	cx_rtcp_table_free(m->rtcp);
	cx_media_srtp_free(m);
	free(m);
}

uint32_t
cx_stream_hash(const struct cx_addr *src, const struct cx_addr *dst, uint16_t sport, uint16_t dport,
	    uint32_t ssrc)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ src->a[i] ^ (uint32_t)(dst->a[i] << 8)) * 16777619u;
	h ^= (uint32_t)sport * 2654435761u ^ (uint32_t)dport * 40503u ^ ssrc;
	return (h ^ (h >> 16)) & (CX_NBUCKETS - 1);
}

static struct cx_stream *
find_stream(struct cx_media *m, const struct cx_packet *p, uint32_t ssrc)
{
	for (struct cx_stream *s = m->sb[cx_stream_hash(&p->src, &p->dst, p->sport, p->dport, ssrc)]; s; s = s->hnext)
		if (s->ssrc == ssrc && s->sport == p->sport && s->dport == p->dport &&
		    cx_addr_eq(&s->src, &p->src) && cx_addr_eq(&s->dst, &p->dst) && s->tcp == (p->l4 == CX_L4_TCP))
			return s;
	return NULL;
}

void
cx_stream_unlink_chain(struct cx_stream **head, struct cx_stream *s)
{
	for (struct cx_stream **pp = head; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
	}
}

static void drop_pending(struct cx_stream *s);

/* A candidate stops being one: believed, or given up. */
static void
candidate_unlink(struct cx_media *m, struct cx_stream *s)
{
	if (s->cprev)
		s->cprev->cnext = s->cnext;
	else
		m->cand_head = s->cnext;
	if (s->cnext)
		s->cnext->cprev = s->cprev;
	else
		m->cand_tail = s->cprev;
	s->cprev = s->cnext = NULL;
	m->candidates--;
}

/* Gives up a candidate: out of the lookup table at once, its memory at
 * the next tick (the stream list still points at it). */
static void
candidate_drop(struct cx_media *m, struct cx_stream *s)
{
	cx_stream_unlink_chain(&m->sb[cx_stream_hash(&s->src, &s->dst, s->sport, s->dport, s->ssrc)], s);
	candidate_unlink(m, s);
	drop_pending(s);
	stream_unpend(m, s, 0);
	s->dead = true;
}

static struct cx_stream *
new_stream(struct cx_media *m, const struct cx_packet *p, uint32_t ssrc, const struct cx_ep *ep,
	   int sender)
{
	/* Under a flood of RTP-looking datagrams the oldest candidate gives
	 * way: real RTP needs only a few packets to be believed. */
	if (!ep && m->candidates >= MAX_CANDIDATES) {
		cx_stats_add(m->ctx->stats, "error.rtp.candidates_evicted", 1);
		candidate_drop(m, m->cand_head);
	}
	if (cx_grow(&m->v, &m->cap, m->n, sizeof(*m->v)) < 0)
		return NULL;
	struct cx_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->src = p->src;
	s->dst = p->dst;
	s->sport = p->sport;
	s->dport = p->dport;
	s->ssrc = ssrc;
	s->tcp = p->l4 == CX_L4_TCP;
	s->kind_pt = -1;
	s->ep = ep;
	s->sender = sender;
	s->expect_gen = m->expect_gen;
	if (ep) {
		s->call_id = strdup(ep->call_id);
		s->call_index = ep->call_index;
		s->confirmed = true;
	} else {
		s->cprev = m->cand_tail;
		if (m->cand_tail)
			m->cand_tail->cnext = s;
		else
			m->cand_head = s;
		m->cand_tail = s;
		m->candidates++;
	}
	uint32_t b = cx_stream_hash(&p->src, &p->dst, p->sport, p->dport, ssrc);
	s->hnext = m->sb[b];
	m->sb[b] = s;
	if (ep)
		s->index = ++m->nconfirmed;
	s->seq = m->created++;
	m->v[m->n++] = s;
	if (ep)
		cx_mcall_add_stream(m, s);
	return s;
}

/* The media side of one packet: DTMF events, audio into the reorder
 * window, or raw payload for codecs that are not decoded. */
static void
media_unit(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u, bool dup)
{
	enum cx_kind k = cx_stream_kind(m, s, u->pt);
	if (k == CX_KIND_EVENT && !u->opaque) {
		cx_dtmf_event(m, s, u);
		return;
	}
	if (dup)
		return;
	if (u->opaque) { /* encrypted payload: kept, never audio */
		if (!m->ctx->cfg->no_audio)
			cx_sink_raw(m, s, u->data, u->len);
		return;
	}
	const char *enc = NULL;
	bool g711 = k == CX_KIND_PCMU || k == CX_KIND_PCMA;
	bool audio = g711 || (k == CX_KIND_CODEC && s->kind_codec->depack != CX_DP_NONE);
	if (audio || k == CX_KIND_CN) {
		if (audio && !s->decodable) {
			s->decodable = true;
			snprintf(s->codec, sizeof(s->codec), "%s", g711 ? (k == CX_KIND_PCMU ? "PCMU" : "PCMA") :
				 cx_stream_encoding(s, u->pt));
		}
		if (!s->snk.audio_start_ns && audio)
			s->snk.audio_start_ns = u->ts_ns;
		/* the WAV's rate and channels, before the mix is joined */
		if (audio && !m->ctx->cfg->no_audio)
			cx_playout_format(m, s, u);
		/* joined now, so that the mix waits for this stream's first second */
		if (!s->snk.mix_tried && s->snk.audio_start_ns && !m->ctx->cfg->no_audio)
			cx_sink_mix_join(m, s);
		if (!m->ctx->cfg->no_audio)
			cx_playout_push(m, s, u);
	} else {
		if (!s->undecodable_seen) {
			s->undecodable_seen = true;
			enc = cx_stream_encoding(s, u->pt);
			if (k == CX_KIND_CODEC) /* named in the table, not decodable */
				snprintf(s->reason, sizeof(s->reason), "codec %s (payload type %u) is not decoded: %s; raw payload kept",
					 enc, u->pt, s->kind_codec->why_not);
			else
				snprintf(s->reason, sizeof(s->reason), "codec %s (payload type %u) is not decoded; raw payload kept",
					 enc[0] ? enc : "unknown", u->pt);
		}
		if (m->ctx->cfg->no_audio)
			return;
		cx_sink_raw(m, s, u->data, u->len);
	}
}

/* The clock tshark would use for this payload type: none for events and
 * for dynamic types nobody announced. */
static uint32_t
stats_clock(const struct cx_stream *s, uint8_t pt)
{
	if (pt < 96)
		return cx_rtp_static_clock(pt);
	uint32_t clock = 0;
	const char *enc = cx_ep_encoding(s->ep, pt, &clock);
	if (!enc || !strcasecmp(enc, "telephone-event"))
		return 0;
	return clock;
}

static void
rtp_packet(struct cx_media *m, struct cx_stream *s, const struct cx_rtp *r, const struct cx_packet *p, bool opaque)
{
	/* Without SDP, a dynamic payload type whose packets are 4-byte RFC 4733
	 * events (event 0-16, reserved bit clear) is taken as telephone-event. */
	if (!s->ep && !opaque && !s->event_pt && r->pt >= 96 && r->payload_len == 4 && r->payload[0] <= 16 &&
	    !(r->payload[1] & 0x40)) {
		s->event_pt = r->pt;
		s->kind_pt = -1;
	}
	if (s->st.packets == 0) {
		s->first_frame = p->frame;
		s->first_ts = p->ts_ns;
		snprintf(s->codec, sizeof(s->codec), "%s", cx_stream_encoding(s, r->pt));
	}
	struct cx_rtp_seen seen;
	cx_rtp_stats_add(&s->st, r->seq, r->ts, r->pt, r->marker, stats_clock(s, r->pt), p->ts_ns, &seen);
	(*m->n_rtp)++;
	const struct cx_config *cfg = m->ctx->cfg;
	if (cfg->shard.on) {
		/* its own streams are followed past its frames while they flow */
		if (cx_config_owns(cfg, s->first_frame)) {
			m->owned_last_ts = p->ts_ns;
			m->owned_any = true;
		}
		/* RTP in its own frames without an SDP: the SDP may be before
		 * the files it read (an earlier start would tell) */
		if (!s->ep && cfg->shard.frames_before > 0 && cx_config_owns(cfg, p->frame) &&
		    !m->ctx->shard_uncertain++)
			m->ctx->shard_uncertain_frame = p->frame;
	}
	s->last_ts = p->ts_ns;
	if (s->mc)
		s->mc->last_ts = m->ctx->life_ns;
	s->last_frame = p->frame;
	struct cx_unit u = { .pt = r->pt, .ts = r->ts, .len = r->payload_len, .ext_seq = seen.ext_seq,
			  .ext_ts = seen.ext_ts, .frame = p->frame, .ts_ns = p->ts_ns, .data = r->payload,
			  .opaque = opaque };
	if (s->confirmed) {
		media_unit(m, s, &u, seen.duplicate);
		return;
	}
	/* A candidate keeps its first packets (copies) until it is believed. */
	if (seen.duplicate || s->npend >= CONFIRM)
		return;
	if (!s->pend && !(s->pend = calloc(CONFIRM, sizeof(*s->pend))))
		return;
	uint32_t len = u.len < CX_MAX_PAYLOAD ? u.len : CX_MAX_PAYLOAD;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, u.data, len);
	u.data = copy;
	u.len = len;
	s->pend[s->npend++] = u;
}

static void
drop_pending(struct cx_stream *s)
{
	for (size_t i = 0; i < s->npend; i++)
		free((void *)s->pend[i].data);
	free(s->pend);
	s->pend = NULL;
	s->npend = 0;
}

static void
rtcp_packet(struct cx_media *m, const struct cx_packet *p)
{
	struct cx_rtcp_info info;
	if (cx_rtcp_parse(p->payload, p->payload_len, &info) < 0) {
		cx_stats_add(m->ctx->stats, "error.rtcp.malformed", 1);
		return;
	}
	(*m->n_rtcp)++;
	if (cx_rtcp_table_add(m->rtcp, &info, cx_rtcp_ntp_middle(p->ts_ns)) < 0)
		cx_stats_add(m->ctx->stats, "error.rtcp.too_many_sources", 1);
}

/* The call's capture: a datagram to or from one of a live call's SDP
 * endpoints (RTP or RTCP port) belongs to that call, whatever it holds.
 * Returns the endpoint (finished or not), NULL if none. */
static const struct cx_ep *
cp_mark_ep(struct cx_media *m, const struct cx_packet *p)
{
	if (!m->ctx->cpcap)
		return NULL;
	int sender;
	const struct cx_ep *e = cx_ep_signalled(m, p, false, &sender);
	if (!e)
		e = cx_ep_signalled(m, p, true, &sender);
	if (e && !e->finished)
		cx_callpcap_mark(m->ctx->cpcap, e->call_index);
	return e;
}

static bool on_udp(struct cx_media *m, const struct cx_packet *p);

bool
cx_media_on_udp(struct cx_media *m, const struct cx_packet *p)
{
	bool media = on_udp(m, p);
	if (!media)
		cp_mark_ep(m, p);
	return media;
}

static bool
on_udp(struct cx_media *m, const struct cx_packet *p)
{
	const uint8_t *d = p->payload;
	size_t n = p->payload_len;
	if (n < 8)
		return false;
	if (cx_stun_looks_like(d, n) || cx_stun_classic_looks_like(d, n, p->sport, p->dport)) {
		struct cx_stun_flow *f = cx_stunf_packet(m, p, false);
		/* ICE gathering comes before the SDP that names its port */
		if (f && !cp_mark_ep(m, p))
			cx_callpcap_pend(m->ctx->cpcap, &f->cp_pend);
		return true;
	}
	int sender;
	/* RTCP: on a signalled RTCP port, or a strict compound packet anywhere. */
	if ((d[0] >> 6) == 2 && d[1] >= 192 && d[1] <= 213) {
		const struct cx_ep *e = cx_ep_signalled(m, p, true, &sender);
		if (!e) /* rtcp-mux (RFC 5761), and RTCP sharing an RFC 4571 connection */
			e = cx_ep_signalled(m, p, false, &sender);
		/* SRTCP: only the first header is in clear (cx_stream_srtp_rtcp) */
		if ((e && (e->sec || cx_rtcp_looks_like(d, n, false))) || cx_rtcp_looks_like(d, n, true)) {
			if (e && e->finished) {
				(*m->late_rtcp)++; /* a last report after its call was written out */
				return true;
			}
			if (e && e->mc)
				e->mc->last_ts = m->ctx->life_ns;
			if (e)
				cx_callpcap_mark(m->ctx->cpcap, e->call_index);
			struct cx_packet q = *p;
			size_t ql = n;
			if (cx_stream_srtp_rtcp(m, e, d, n, &q.payload, &ql) == CX_SRTP_OPAQUE)
				return true; /* SRTCP not decrypted: its reports are not read */
			q.payload_len = (uint32_t)ql;
			rtcp_packet(m, &q);
			return true;
		}
	}
	struct cx_rtp r;
	if (cx_rtp_parse(d, n, &r) < 0)
		return false;
	struct cx_stream *s = find_stream(m, p, r.ssrc);
	if (!s) {
		const struct cx_ep *e = cx_ep_signalled(m, p, false, &sender);
		if (e && e->finished) {
			(*m->late_rtp)++; /* media of a call already written out */
			return true;
		}
		if (!e && (r.pt >= 72 && r.pt <= 95))
			return false; /* payload types that collide with RTCP or are unassigned */
		s = new_stream(m, p, r.ssrc, e, sender);
		if (!s)
			return false;
	}
	if (!s->ep && s->expect_gen != m->expect_gen) {
		/* RTP that came before its SDP (answer late in the capture, or
		 * packets reordered): tie it to the call once announced. Its
		 * files stay where they were opened. */
		s->expect_gen = m->expect_gen;
		const struct cx_ep *e = cx_ep_signalled(m, p, false, &sender);
		if (e && !e->finished && (s->call_id = strdup(e->call_id))) {
			s->snk.mix_tried = false;
			s->kind_pt = -1;
			s->ep = e;
			s->call_index = e->call_index;
			s->sender = sender;
			s->consistent = CONFIRM;
			cx_mcall_add_stream(m, s);
		}
	}
	if (!s->confirmed) {
		/* Heuristic RTP: the same SSRC with sequence numbers moving forward
		 * by small steps, several times in a row. */
		uint16_t step = (uint16_t)(r.seq - (uint16_t)s->st.max_ext);
		if (s->st.packets == 0 || s->ep || (step >= 1 && step <= 10 && r.pt == s->st.last_pt)) {
			s->consistent++;
		} else {
			s->consistent = 1;
			drop_pending(s); /* they did not start a stream */
		}
		if (s->consistent >= CONFIRM || s->ep) {
			s->confirmed = true;
			s->index = ++m->nconfirmed;
			candidate_unlink(m, s);
			for (size_t i = 0; i < s->npend; i++)
				media_unit(m, s, &s->pend[i], false);
			drop_pending(s);
		}
	}
	if (m->ctx->cpcap) {
		/* media that came before its SDP waits for it, a little */
		if (s->ep) {
			stream_unpend(m, s, s->call_index);
			cx_callpcap_mark(m->ctx->cpcap, s->call_index);
		} else {
			cx_callpcap_pend(m->ctx->cpcap, &s->cp_pend);
			pend_link(m, s);
		}
	}
	int sec = cx_stream_srtp_rtp(m, s, d, n, &r);
	rtp_packet(m, s, &r, p, sec == CX_SRTP_OPAQUE);
	return s->confirmed || s->consistent > 1;
}

/* Candidates that stopped before they were believed were not RTP (or too
 * little of it to matter): forget them so that unrelated UDP traffic
 * cannot fill the table. */
static void
expire_candidates(struct cx_media *m, int64_t now_ns)
{
	size_t o = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct cx_stream *s = m->v[i];
		if (!s->dead && !s->confirmed && now_ns - s->last_ts > CANDIDATE_IDLE_NS)
			candidate_drop(m, s);
		if (s->dead) {
			free_stream(m, s);
			continue;
		}
		m->v[o++] = s;
	}
	m->n = o;
}

void
cx_media_tick(struct cx_media *m, int64_t now_ns)
{
	expire_candidates(m, now_ns);
	/* media no SDP claimed within CP_PEND_NS: its frames are not kept */
	for (struct cx_stream *s = m->pd_head, *n; s; s = n) {
		n = s->pd_next;
		int64_t first = cx_callpcap_pend_first(s->cp_pend);
		if (!first || now_ns - first > CP_PEND_NS)
			stream_unpend(m, s, 0);
	}
	if (m->ctx->cpcap)
		cx_stunf_pend_expire(m, now_ns, CP_PEND_NS);
	/* Streams silent for 10 s: play out their window and close the writer,
	 * so memory and descriptors follow the active streams only. */
	for (size_t i = 0; i < m->n; i++) {
		struct cx_stream *s = m->v[i];
		if ((s->pl.win || s->snk.pcm) && now_ns - s->last_ts > 10000000000LL) {
			cx_playout_flush(m, s);
			cx_sink_close(m, s);
		}
	}
}

void
cx_media_life_tick(struct cx_media *m, int64_t life_ns)
{
	cx_ep_expire(m, life_ns);
}

void
cx_media_finish(struct cx_media *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i]->dead)
			continue;
		cx_playout_flush(m, m->v[i]);
		cx_sink_close(m, m->v[i]);
	}
	/* every queued write done: sizes and failures can be read */
	cx_writers_sync(m->w);
	for (size_t i = 0; i < m->n; i++) {
		struct cx_stream *s = m->v[i];
		if (!s->dead && s->snk.wav && cx_writer_error(s->snk.wav)[0] && !s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s", cx_writer_error(s->snk.wav));
	}
	cx_media_unsignalled(m);
}

int64_t
cx_media_call_last(struct cx_media *m, uint32_t call_index)
{
	struct cx_mcall *mc = cx_mcall_get(m, call_index, false);
	return mc ? mc->last_ts : 0;
}

void
cx_media_call_flush(struct cx_media *m, uint32_t call_index)
{
	struct cx_mcall *mc = cx_mcall_get(m, call_index, false);
	for (struct cx_stream *s = mc ? mc->streams : NULL; s; s = s->knext) {
		cx_playout_flush(m, s);
		cx_sink_close(m, s);
	}
}

struct cx_writers *
cx_media_writers(struct cx_media *m)
{
	return m->w;
}

bool
cx_media_owned_pending(const struct cx_media *m, int64_t now_ns)
{
	return m->owned_any && now_ns - m->owned_last_ts < CX_SHARD_PENDING_NS;
}
