/* Media correlator: UDP datagrams that are not DNS or SIP are tested for
 * STUN (magic cookie, per packet), RTCP and RTP. RTP streams are keyed by
 * 5-tuple and SSRC and tied to calls through the SDP endpoints that the SIP
 * correlator announces (either end of the flow may match: NAT and symmetric
 * RTP); streams nobody announced are found by RTP heuristics. Statistics
 * follow RFC 3550 as tshark computes them; G.711 is decoded to WAV in RTP
 * timestamp order through a bounded reorder window. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/outdir.h"
#include "callextract/sip.h"
#include "callextract/spill.h"
#include "callextract/summary.h"
#include "callextract/tcp.h"
#include "call/finisher.h"
#include "call/stereo.h"
#include "call/stream_rtcp.h"
#include "call/stream_stats.h"
#include "codec/g711.h"
#include "output/writers.h"
#include "proto/rtp.h"
#include "util/text.h"

#define NBUCKETS 65536u
#define WINDOW 50            /* packets held for reordering (1 s of 20 ms audio) */
#define MAX_PAYLOAD 2048     /* bytes kept per packet in the window */
#define SLOT_MIN 320         /* window slot size to start with (40 ms of G.711); grows */
#define RESET_SAMPLES 16000  /* a timestamp this far behind the playout is a reset, not a late packet */
#define PCM_BUF 8000         /* samples buffered before a write (1 s) */
#define MAX_OPEN 128         /* writers open at once; others are closed and reopened */
#define MIX_BUCKETS 16384u
#define CONFIRM 4            /* consistent packets before heuristic RTP is believed */
#define MAX_CANDIDATES 4096  /* unconfirmed streams at once; the oldest gives way */
#define CANDIDATE_IDLE_NS 5000000000LL
#define MAX_STUN 64          /* STUN messages listed per flow */
#define MAX_DTMF 256

struct endpoint {
	struct cx_addr addr;
	uint16_t port;
	bool rtcp;
	char *call_id;
	uint32_t call_index;
	bool finished;           /* its call is finished: what comes is late */
	struct mcall *mc;
	struct endpoint *cnext;  /* the call's endpoints */
	int party;               /* who RECEIVES here */
	uint8_t npts, cappts;    /* the SDP's payload types (RTP endpoints only) */
	struct ep_pt {
		uint8_t pt;
		uint32_t clock;
		char enc[16];
	} *pts;                  /* owned; freed when the call is finished */
	struct endpoint *next;
};

/* What the media side does with a payload type. */
enum kind { K_OTHER, K_PCMU, K_PCMA, K_CN, K_EVENT };

/* One RTP packet as the media side (audio, raw payload, DTMF) needs it. */
struct unit {
	uint8_t pt;
	uint32_t ts;
	uint32_t len;
	uint64_t ext_seq, ext_ts, frame;
	int64_t ts_ns;
	const uint8_t *data;     /* borrowed, or owned by a pending copy */
};

/* A packet held in the reorder window; its payload is in the stream's
 * slot buffer. */
struct wpkt {
	uint64_t ext_ts;
	int64_t ts_ns;
	uint64_t frame;
	uint8_t pt;
	uint16_t len;
};

struct stream {
	struct cx_addr src, dst;
	uint16_t sport, dport;
	uint32_t ssrc;
	char *call_id;
	uint32_t call_index;
	int sender;              /* party sending: 0 caller, 1 callee, -1 unknown */
	const struct endpoint *ep; /* the endpoint that tied it to a call */
	bool confirmed;
	uint32_t consistent;
	uint32_t expect_gen;     /* unsignalled: announcements already checked */
	struct cx_rtp_stats st;
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;
	char codec[32];
	/* decoding */
	bool decodable, undecodable_seen;
	char reason[96];
	char path[256];          /* the WAV, relative; "" if none */
	char raw_path[256];      /* payloads not decoded, relative; "" if none */
	struct cx_writer *wav, *raw;
	struct cx_stereo *mix;   /* the call's stereo file, once joined */
	int feed;
	bool mix_tried;
	int64_t mix_first;       /* timeline frame of its first mixed sample */
	int16_t *pcm;            /* PCM_BUF samples while the stream is active */
	size_t npcm;
	uint64_t samples;        /* written (incl. buffered) */
	bool ts_started;
	uint64_t next_ts;        /* extended RTP timestamp of the next sample */
	struct wpkt *win;        /* WINDOW slots */
	uint8_t *wdata;          /* WINDOW * slot_sz payload bytes */
	size_t slot_sz;
	uint8_t order[WINDOW];   /* slot numbers sorted by timestamp */
	size_t nwin;
	uint64_t late, jumps, silence_samples, silence_limited;
	int64_t audio_start_ns;  /* capture time of the first written sample */
	/* DTMF */
	struct json_object *dtmf;
	uint32_t dtmf_last_ts;
	bool dtmf_open;
	/* RTCP */
	uint8_t event_pt;        /* unsignalled: dynamic PT that carries RFC 4733 events */
	int16_t kind_pt;         /* cache of kind_of(): the payload type, -1 none */
	uint32_t kind_gen;       /* ... the announcements it was computed under */
	enum kind kind;
	struct unit *pend;       /* candidate: packets kept until it is believed */
	size_t npend;
	struct stream *hnext;
	struct stream *cprev, *cnext; /* candidates, oldest first */
	bool dead;               /* evicted candidate, or written out with its
				    call: freed at the next tick */
	uint32_t index;
	uint64_t seq;            /* creation order: the report's order */
	uint64_t queued;         /* samples handed to the WAV writer */
	struct mcall *mc;        /* its call's media, once tied to a call */
	struct stream *knext;    /* the call's streams, in creation order */
};

struct stun_flow {
	struct cx_addr a, b;
	uint16_t pa, pb;
	uint64_t n;
	uint64_t seq;
	struct stun_flow *prev;
	struct json_object *msgs;
	bool used;               /* a listed RTP stream shows it */
	struct stun_flow *next;  /* in order of first message */
	struct stun_flow *hnext;
	struct stun_flow *enext[2]; /* by one end (a, b): see stun_end_bucket */
};

#define STUN_BUCKETS 4096u

/* The media of one call, found by call index: its stereo mix, its
 * streams and the endpoints its SDP announced. After the call is finished
 * it stays for LATE_KEEP_NS as a tomb, so that late packets to its
 * endpoints are counted, then its endpoints are forgotten. */
struct mcall {
	uint32_t call_index;
	struct cx_stereo *x;
	struct stream *streams, *streams_tail;
	struct endpoint *eps;
	int64_t last_ts;         /* of the last packet of any of its streams
				    (lifecycle clock, see ctx.h) */
	int64_t t_finished;      /* 0 while live */
	struct mcall *next;      /* bucket */
	struct mcall *qnext;     /* finished calls, oldest first */
};

#define LATE_KEEP_NS (60LL * 1000000000LL)

struct cx_media {
	struct cx_ctx *ctx;
	struct endpoint *ep[NBUCKETS];
	struct stream **sb;       /* stream hash buckets */
	struct stream **v;        /* every stream, in order of first packet */
	size_t n, cap;
	size_t candidates;
	struct stream *cand_head, *cand_tail;
	uint32_t nconfirmed;      /* numbers the files */
	uint32_t expect_gen;      /* bumped by every SDP announcement */
	struct cx_rtcp_table *rtcp; /* what RTCP said, by SSRC */
	struct cx_writers *w;      /* every file the media side writes */
	struct mcall *mix_b[MIX_BUCKETS];
	struct mcall *fq, *fq_tail; /* finished calls kept as tombs */
	uint64_t created;         /* streams made so far (their seq) */
	uint64_t stun_created;
	struct cx_spill *sp_streams; /* report entries of written-out streams, slot = seq */
	struct cx_spill *sp_stun;    /* STUN-only flows written out with their call, slot = seq */
	uint64_t *late_rtp, *late_rtcp;
	struct stun_flow *stun, *stun_tail;
	struct stun_flow *stun_b[STUN_BUCKETS]; /* by 5-tuple, either direction */
	struct stun_flow *stun_e[STUN_BUCKETS]; /* by either end alone */
	size_t nstun;
	uint64_t *n_rtp, *n_rtcp, *n_stun;
	size_t max_open;          /* writers kept open: from RLIMIT_NOFILE */
};

/* ---------- helpers ---------- */

static uint32_t
hash_ep(const struct cx_addr *a, uint16_t port)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	return (h ^ (port * 2654435761u)) & (NBUCKETS - 1);
}

static const struct endpoint *
find_ep(const struct cx_media *m, const struct cx_addr *a, uint16_t port, bool rtcp)
{
	for (const struct endpoint *e = m->ep[hash_ep(a, port)]; e; e = e->next)
		if (e->port == port && e->rtcp == rtcp && cx_addr_eq(&e->addr, a))
			return e;
	return NULL;
}

/* The SDP encoding name of pt at this endpoint, or NULL. */
static const char *
ep_encoding(const struct endpoint *e, uint8_t pt, uint32_t *clock)
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
ep_set_pts(struct endpoint *w, const struct cx_media_expect *e)
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
				struct ep_pt *np = realloc(w->pts, nc * sizeof(*np));
				if (!np)
					continue;
				w->pts = np;
				w->cappts = (uint8_t)nc;
			}
			w->npts++;
		}
		w->pts[k].pt = pt;
		w->pts[k].clock = e->pts[i].clock;
		snprintf(w->pts[k].enc, sizeof(w->pts[k].enc), "%s", e->pts[i].encoding);
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

static const char *
encoding_of(const struct stream *s, uint8_t pt)
{
	const char *enc = ep_encoding(s->ep, pt, NULL);
	if (enc)
		return enc;
	if (s->event_pt && pt == s->event_pt)
		return "telephone-event";
	return static_encoding(pt);
}

static uint32_t
clock_of(const struct stream *s, uint8_t pt)
{
	uint32_t clock = 0;
	if (ep_encoding(s->ep, pt, &clock) && clock)
		return clock;
	uint32_t c = static_clock(pt);
	if (!c && !strcasecmp(encoding_of(s, pt), "telephone-event"))
		c = 8000;
	return c;
}


static enum kind
kind_name(const char *enc)
{
	return !strcasecmp(enc, "PCMU") ? K_PCMU : !strcasecmp(enc, "PCMA") ? K_PCMA :
	       !strcasecmp(enc, "CN") ? K_CN : !strcasecmp(enc, "telephone-event") ? K_EVENT : K_OTHER;
}

/* ---------- media module ---------- */

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
	m->sb = calloc(NBUCKETS, sizeof(*m->sb));
	/* the audio files are written by a thread of their own */
	m->w = cx_writers_new(ctx->out, m->max_open, !ctx->cfg->no_audio);
	m->rtcp = cx_rtcp_table_new();
	m->n_rtp = cx_stats_counter(ctx->stats, "proto.rtp");
	m->n_rtcp = cx_stats_counter(ctx->stats, "proto.rtcp");
	m->n_stun = cx_stats_counter(ctx->stats, "proto.stun");
	m->late_rtp = cx_stats_counter(ctx->stats, "late.rtp");
	m->late_rtcp = cx_stats_counter(ctx->stats, "late.rtcp");
	m->sp_streams = cx_spill_new(ctx->out, "streams");
	m->sp_stun = cx_spill_new(ctx->out, "stun-flows");
	if (!m->sb || !m->w || !m->rtcp || !m->n_rtp || !m->n_rtcp || !m->n_stun || !m->late_rtp ||
	    !m->late_rtcp || !m->sp_streams || !m->sp_stun) {
		cx_media_free(m);
		return NULL;
	}
	return m;
}

static void
free_stream(struct cx_media *m, struct stream *s)
{
	cx_writer_free(m->w, s->wav);
	cx_writer_free(m->w, s->raw);
	free(s->win);
	free(s->wdata);
	free(s->pcm);
	for (size_t i = 0; i < s->npend; i++)
		free((void *)s->pend[i].data);
	free(s->pend);
	free(s->call_id);
	json_object_put(s->dtmf);
	free(s);
}

void
cx_media_free(struct cx_media *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct endpoint *e = m->ep[i];
		while (e) {
			struct endpoint *n = e->next;
			free(e->call_id);
			free(e->pts);
			free(e);
			e = n;
		}
	}
	for (size_t i = 0; i < m->n; i++)
		free_stream(m, m->v[i]);
	for (size_t i = 0; i < MIX_BUCKETS; i++) {
		struct mcall *r = m->mix_b[i];
		while (r) {
			struct mcall *n = r->next;
			cx_stereo_free(r->x);
			free(r);
			r = n;
		}
	}
	for (struct mcall *r = m->fq, *n; r; r = n) {
		n = r->qnext;
		free(r);
	}
	struct stun_flow *f = m->stun;
	while (f) {
		struct stun_flow *n = f->next;
		json_object_put(f->msgs);
		free(f);
		f = n;
	}
	cx_spill_free(m->sp_streams);
	cx_spill_free(m->sp_stun);
	free(m->v);
	free(m->sb);
	cx_writers_free(m->w);
	cx_rtcp_table_free(m->rtcp);
	free(m);
}

/* The media record of a live call (made on first use). */
static struct mcall *
mcall_get(struct cx_media *m, uint32_t call_index, bool create)
{
	struct mcall **b = &m->mix_b[call_index % MIX_BUCKETS];
	for (struct mcall *r = *b; r; r = r->next)
		if (r->call_index == call_index)
			return r;
	if (!create)
		return NULL;
	struct mcall *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->call_index = call_index;
	r->next = *b;
	*b = r;
	return r;
}

/* A stream tied to a call joins the call's list, in creation order. */
static void
mcall_add_stream(struct cx_media *m, struct stream *s)
{
	struct mcall *mc = mcall_get(m, s->call_index, true);
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
	struct stream **pp = &mc->streams;
	while (*pp && (*pp)->seq < s->seq)
		pp = &(*pp)->knext;
	s->knext = *pp;
	*pp = s;
}

static void
add_endpoint(struct cx_media *m, const struct cx_media_expect *e, bool rtcp)
{
	uint16_t port = rtcp ? e->rtcp_port : e->rtp_port;
	const struct endpoint *old = find_ep(m, &e->addr, port, rtcp);
	if (old && !old->finished && old->call_id && !strcmp(old->call_id, e->call_id) && old->party == e->party) {
		/* Re-announced (re-INVITE): refresh the payload map in place. */
		if (!rtcp)
			ep_set_pts((struct endpoint *)old, e);
		return;
	}
	struct endpoint *n = calloc(1, sizeof(*n));
	if (!n || !(n->call_id = strdup(e->call_id))) {
		free(n);
		return;
	}
	n->addr = e->addr;
	n->port = port;
	n->rtcp = rtcp;
	n->call_index = e->call_index;
	n->party = e->party;
	if (!rtcp)
		ep_set_pts(n, e);
	struct mcall *mc = mcall_get(m, e->call_index, true);
	if (mc) {
		n->mc = mc;
		n->cnext = mc->eps;
		mc->eps = n;
	}
	/* Newest first: a later call reusing the address:port wins. */
	uint32_t b = hash_ep(&e->addr, port);
	n->next = m->ep[b];
	m->ep[b] = n;
}

void
cx_media_expect(struct cx_media *m, const struct cx_media_expect *e)
{
	if (!e->rtp_port || !e->call_id)
		return;
	add_endpoint(m, e, false);
	if (e->rtcp_port)
		add_endpoint(m, e, true);
	m->expect_gen++;
}

/* The kind of pt in this stream, looked up by name once per payload type
 * and announcement rather than once per packet. */
static enum kind
kind_of(const struct cx_media *m, struct stream *s, uint8_t pt)
{
	if (s->kind_pt != pt || s->kind_gen != m->expect_gen) {
		s->kind_pt = pt;
		s->kind_gen = m->expect_gen;
		s->kind = kind_name(encoding_of(s, pt));
	}
	return s->kind;
}

/* ---------- writers (WAV, stereo mix, raw payload) ---------- */

static void
make_path(struct cx_media *m, struct stream *s, const char *ext, char *out, size_t outsz)
{
	const char *dir = s->call_id ? cx_sip_call_dir(m->ctx->sip, s->call_id) : NULL;
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8], name[200], safe[120];
	cx_endpoint_str(&s->src, s->sport, a);
	cx_endpoint_str(&s->dst, s->dport, b);
	snprintf(name, sizeof(name), "%s-%s-to-%s-%08x", s->sender == 0 ? "caller" : s->sender == 1 ? "callee" : "stream", a, b, s->ssrc);
	cx_sanitize_name(name, strlen(name), safe, sizeof(safe));
	snprintf(out, outsz, "%s/%04u-%s.%s", dir ? dir : "streams", s->index, safe, ext);
}

/* The call's stereo mix, made when its first stream has a second of audio:
 * its timeline starts at the earliest audio of the call's streams. */
static struct cx_stereo *
call_mix(struct cx_media *m, const struct stream *s)
{
	struct mcall *r = mcall_get(m, s->call_index, true);
	if (!r)
		return NULL;
	if (r->x)
		return r->x;
	const char *dir = cx_sip_call_dir(m->ctx->sip, s->call_id);
	if (!dir)
		return NULL;
	int64_t origin = s->audio_start_ns;
	for (const struct stream *o = r->streams; o; o = o->knext)
		if (o->call_id && o->audio_start_ns && o->audio_start_ns < origin)
			origin = o->audio_start_ns;
	char path[300];
	snprintf(path, sizeof(path), "%s/stereo.wav", dir);
	r->x = cx_stereo_new(m->w, path, origin, (uint64_t)m->ctx->cfg->max_silence_ms * 8);
	return r->x;
}

/* A decoded stream of a call with a known sender joins the call's mix:
 * the caller on the left, the callee on the right. */
static void
mix_join(struct cx_media *m, struct stream *s)
{
	s->mix_tried = true;
	if (!s->call_id || s->sender < 0 || !s->decodable)
		return;
	struct cx_stereo *x = call_mix(m, s);
	if (!x)
		return;
	/* samples written before it was tied to the call are not mixed */
	int64_t first_ns = s->audio_start_ns + (int64_t)(s->samples - s->npcm) * 125000;
	int feed = cx_stereo_feed(x, s->sender, first_ns);
	if (feed < 0)
		return;
	s->mix = x;
	s->feed = feed;
	s->mix_first = cx_stereo_feed_pos(x, feed);
}

/* Samples are buffered per stream and written a second at a time, to the
 * stream's WAV and to the call's mix. */
static void
flush_pcm(struct cx_media *m, struct stream *s)
{
	if (!s->npcm)
		return;
	if (!s->mix_tried)
		mix_join(m, s);
	if (s->mix)
		cx_stereo_put(s->mix, s->feed, s->pcm, s->npcm);
	if (!s->wav) {
		make_path(m, s, "wav", s->path, sizeof(s->path));
		s->wav = cx_writer_new(m->w, s->path, CX_WRITER_WAV, 1);
	}
	if (s->wav && cx_writer_write(m->w, s->wav, s->pcm, s->npcm) == 0) {
		s->queued += s->npcm;
	} else {
		/* threaded writes report their failures at the end (see the report) */
		if (!s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s", s->wav ? cx_writer_error(s->wav) : "out of memory");
	}
	s->npcm = 0;
}

static void
writer_close(struct cx_media *m, struct stream *s)
{
	flush_pcm(m, s);
	cx_writer_close(m->w, s->wav);
	cx_writer_close(m->w, s->raw);
}

static void
put_samples(struct cx_media *m, struct stream *s, const int16_t *pcm, size_t n)
{
	if (m->ctx->cfg->no_audio)
		return;
	if (!s->pcm && !(s->pcm = malloc(PCM_BUF * sizeof(int16_t))))
		return;
	while (n) {
		size_t k = PCM_BUF - s->npcm;
		if (k > n)
			k = n;
		if (pcm)
			memcpy(s->pcm + s->npcm, pcm, k * sizeof(int16_t));
		else
			memset(s->pcm + s->npcm, 0, k * sizeof(int16_t));
		s->npcm += k;
		s->samples += k;
		if (pcm)
			pcm += k;
		n -= k;
		if (s->npcm == PCM_BUF)
			flush_pcm(m, s);
	}
}

/* ---------- playout (timestamp order) ---------- */

/* After a jump that was not filled with silence, or a reset, the stream's
 * count of samples no longer follows the clock: its place in the call's
 * mix is taken from the packet's arrival instead. */
static void
realign(struct cx_media *m, struct stream *s, int64_t ts_ns)
{
	flush_pcm(m, s);
	if (s->mix)
		cx_stereo_realign(s->mix, s->feed, ts_ns);
}

static void
play(struct cx_media *m, struct stream *s, const struct wpkt *p, const uint8_t *data)
{
	enum kind k = kind_of(m, s, p->pt);
	uint64_t cap = (uint64_t)m->ctx->cfg->max_silence_ms * 8;
	if (k == K_EVENT)
		return; /* DTMF: reported, not mixed into the audio */
	bool g711 = k == K_PCMU || k == K_PCMA, cn = k == K_CN;
	if (!g711 && !cn)
		return;
	if (!s->ts_started) {
		s->ts_started = true;
		s->next_ts = p->ext_ts;
	}
	if (p->ext_ts < s->next_ts && s->next_ts - p->ext_ts > RESET_SAMPLES) {
		/* the sender restarted its timestamps: play on from here */
		s->jumps++;
		cx_findings_add(m->ctx->findings, CX_SEV_INFO, "media.timestamp_jump", p->frame,
				"RTP timestamp of SSRC 0x%08x goes back by %llu samples (%.1f s): taken as a reset",
				s->ssrc, (unsigned long long)(s->next_ts - p->ext_ts),
				(double)(s->next_ts - p->ext_ts) / 8000.0);
		s->next_ts = p->ext_ts;
		realign(m, s, p->ts_ns);
	}
	if (p->ext_ts < s->next_ts) {
		s->late++; /* overlaps audio already written: too late for the window */
		return;
	}
	uint64_t gap = p->ext_ts - s->next_ts;
	if (gap > cap) {
		s->jumps++;
		cx_findings_add(m->ctx->findings, CX_SEV_INFO, "media.timestamp_jump", p->frame,
				"RTP timestamp of SSRC 0x%08x jumps by %llu samples (%.1f s); no silence written for it (cap %u ms)",
				s->ssrc, (unsigned long long)gap, (double)gap / 8000.0, m->ctx->cfg->max_silence_ms);
		gap = 0;
		realign(m, s, p->ts_ns);
	}
	/* Many small jumps, each under the cap, must not add up to more audio
	 * than the capture lasted: a stream gets at most the capture time
	 * since its first packet, plus one cap, of samples. */
	int64_t room = (p->ts_ns - s->audio_start_ns) / 125000 + (int64_t)cap - (int64_t)s->samples;
	if (gap && (int64_t)gap > room) {
		if (!s->silence_limited++)
			cx_findings_add(m->ctx->findings, CX_SEV_LOW, "media.silence_limited", p->frame,
					"RTP timestamps of SSRC 0x%08x run ahead of the capture's clock: silence limited to the time that passed",
					s->ssrc);
		gap = room > 0 ? (uint64_t)room : 0;
	}
	if (gap) {
		s->silence_samples += gap;
		put_samples(m, s, NULL, gap);
	}
	if (cn) {
		s->next_ts = p->ext_ts; /* comfort noise: silence until the next packet */
		return;
	}
	if (s->pcm && PCM_BUF - s->npcm >= p->len) {
		/* decoded straight into the stream's buffer */
		cx_g711_decode(k == K_PCMA, data, p->len, s->pcm + s->npcm);
		s->npcm += p->len;
		s->samples += p->len;
		if (s->npcm == PCM_BUF)
			flush_pcm(m, s);
	} else {
		int16_t pcm[MAX_PAYLOAD];
		cx_g711_decode(k == K_PCMA, data, p->len, pcm);
		put_samples(m, s, pcm, p->len);
	}
	s->next_ts = p->ext_ts + p->len;
}

static void
window_pop(struct cx_media *m, struct stream *s)
{
	if (!s->nwin)
		return;
	play(m, s, &s->win[s->order[0]], s->wdata + (size_t)s->order[0] * s->slot_sz);
	memmove(s->order, s->order + 1, s->nwin - 1);
	s->nwin--;
}

static void
window_flush(struct cx_media *m, struct stream *s)
{
	while (s->nwin)
		window_pop(m, s);
	free(s->win);
	s->win = NULL;
	free(s->wdata);
	s->wdata = NULL;
	flush_pcm(m, s);
	if (s->mix)
		cx_stereo_idle(s->mix, s->feed);
	free(s->pcm); /* idle streams keep only their statistics */
	s->pcm = NULL;
}

/* Makes every slot hold len bytes: slots start small (G.711 at 20-40 ms)
 * and grow when a stream sends larger packets. */
static bool
window_room(struct stream *s, size_t len)
{
	if (s->wdata && len <= s->slot_sz)
		return true;
	size_t sz = s->slot_sz ? s->slot_sz : SLOT_MIN;
	while (sz < len)
		sz *= 2;
	uint8_t *d = malloc(WINDOW * sz);
	if (!d)
		return false;
	for (size_t i = 0; s->wdata && i < s->nwin; i++)
		memcpy(d + (size_t)s->order[i] * sz, s->wdata + (size_t)s->order[i] * s->slot_sz,
		       s->win[s->order[i]].len);
	free(s->wdata);
	s->wdata = d;
	s->slot_sz = sz;
	return true;
}

static void
window_push(struct cx_media *m, struct stream *s, const struct unit *u)
{
	size_t len = u->len < MAX_PAYLOAD ? u->len : MAX_PAYLOAD;
	/* Next in timestamp order with nothing held: played at once, no copy.
	 * Packets wait in the window only behind a gap (lost, late or
	 * reordered packets) or before the stream's first WINDOW packets. */
	if (s->ts_started && !s->nwin && u->ext_ts == s->next_ts) {
		struct wpkt w = { .ext_ts = u->ext_ts, .ts_ns = u->ts_ns, .frame = u->frame,
				  .pt = u->pt, .len = (uint16_t)len };
		play(m, s, &w, u->data);
		return;
	}
	if (!s->win && !(s->win = malloc(WINDOW * sizeof(*s->win))))
		return;
	if (!window_room(s, len))
		return;
	/* A timestamp far behind everything held (a reset) is not reordering:
	 * what is held is played first. */
	if (s->nwin && u->ext_ts + RESET_SAMPLES < s->win[s->order[0]].ext_ts)
		while (s->nwin)
			window_pop(m, s);
	uint8_t slot;
	if (s->nwin == WINDOW) {
		slot = s->order[0];
		window_pop(m, s);
	} else {
		/* a free slot: the one not listed in order[] */
		bool used[WINDOW] = { false };
		for (size_t i = 0; i < s->nwin; i++)
			used[s->order[i]] = true;
		slot = 0;
		while (used[slot])
			slot++;
	}
	size_t i = s->nwin;
	while (i > 0 && s->win[s->order[i - 1]].ext_ts > u->ext_ts)
		i--;
	memmove(s->order + i + 1, s->order + i, s->nwin - i);
	s->order[i] = slot;
	struct wpkt *w = &s->win[slot];
	w->ext_ts = u->ext_ts;
	w->ts_ns = u->ts_ns;
	w->pt = u->pt;
	w->frame = u->frame;
	w->len = (uint16_t)len;
	memcpy(s->wdata + (size_t)slot * s->slot_sz, u->data, len);
	s->nwin++;
	/* a gap just filled: what follows it in order can go */
	while (s->ts_started && s->nwin && s->win[s->order[0]].ext_ts == s->next_ts)
		window_pop(m, s);
}

/* ---------- DTMF (RFC 4733) ---------- */

static void
dtmf(struct cx_media *m, struct stream *s, const struct unit *u)
{
	struct cx_cur c = cx_cur_make(u->data, u->len);
	uint8_t ev = cx_get_u8(&c), flags = cx_get_u8(&c);
	uint16_t dur = cx_get_be16(&c);
	if (c.err)
		return;
	static const char digits[] = "0123456789*#ABCD";
	bool end = flags & 0x80;
	uint32_t clock = clock_of(s, u->pt);
	double dur_ms = dur * 1000.0 / (clock ? clock : 8000);
	if (!s->dtmf)
		s->dtmf = json_object_new_array();
	size_t n = json_object_array_length(s->dtmf);
	struct json_object *last = n ? json_object_array_get_idx(s->dtmf, n - 1) : NULL;
	if (last && s->dtmf_last_ts == u->ts) {
		/* same event: update duration and end */
		json_object_object_add(last, "duration_ms", json_object_new_double(dur_ms));
		if (end)
			json_object_object_add(last, "end", json_object_new_boolean(1));
		return;
	}
	if (n >= MAX_DTMF)
		return;
	s->dtmf_last_ts = u->ts;
	struct json_object *o = json_object_new_object();
	char d[2] = { ev < 16 ? digits[ev] : '?', 0 };
	char t[48];
	json_object_object_add(o, "digit", json_object_new_string(d));
	json_object_object_add(o, "event", json_object_new_int(ev));
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)u->frame));
	json_object_object_add(o, "time", json_object_new_string(cx_time_utc(u->ts_ns, t, sizeof(t))));
	json_object_object_add(o, "rel", json_object_new_double(cx_time_rel(m->ctx, u->ts_ns)));
	json_object_object_add(o, "duration_ms", json_object_new_double(dur_ms));
	json_object_object_add(o, "volume", json_object_new_int(flags & 0x3f));
	json_object_object_add(o, "end", json_object_new_boolean(end));
	json_object_array_add(s->dtmf, o);
}

/* ---------- streams ---------- */

static uint32_t
hash_stream(const struct cx_addr *src, const struct cx_addr *dst, uint16_t sport, uint16_t dport,
	    uint32_t ssrc)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ src->a[i] ^ (uint32_t)(dst->a[i] << 8)) * 16777619u;
	h ^= (uint32_t)sport * 2654435761u ^ (uint32_t)dport * 40503u ^ ssrc;
	return (h ^ (h >> 16)) & (NBUCKETS - 1);
}

static struct stream *
find_stream(struct cx_media *m, const struct cx_packet *p, uint32_t ssrc)
{
	for (struct stream *s = m->sb[hash_stream(&p->src, &p->dst, p->sport, p->dport, ssrc)]; s; s = s->hnext)
		if (s->ssrc == ssrc && s->sport == p->sport && s->dport == p->dport &&
		    cx_addr_eq(&s->src, &p->src) && cx_addr_eq(&s->dst, &p->dst))
			return s;
	return NULL;
}

static void
unlink_chain(struct stream **head, struct stream *s)
{
	for (struct stream **pp = head; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
	}
}

static void drop_pending(struct stream *s);

/* A candidate stops being one: believed, or given up. */
static void
candidate_unlink(struct cx_media *m, struct stream *s)
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
candidate_drop(struct cx_media *m, struct stream *s)
{
	unlink_chain(&m->sb[hash_stream(&s->src, &s->dst, s->sport, s->dport, s->ssrc)], s);
	candidate_unlink(m, s);
	drop_pending(s);
	s->dead = true;
}

static struct stream *
new_stream(struct cx_media *m, const struct cx_packet *p, uint32_t ssrc, const struct endpoint *ep,
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
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->src = p->src;
	s->dst = p->dst;
	s->sport = p->sport;
	s->dport = p->dport;
	s->ssrc = ssrc;
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
	uint32_t b = hash_stream(&p->src, &p->dst, p->sport, p->dport, ssrc);
	s->hnext = m->sb[b];
	m->sb[b] = s;
	if (ep)
		s->index = ++m->nconfirmed;
	s->seq = m->created++;
	m->v[m->n++] = s;
	if (ep)
		mcall_add_stream(m, s);
	return s;
}

/* The media side of one packet: DTMF events, audio into the reorder
 * window, or raw payload for codecs that are not decoded. */
static void
media_unit(struct cx_media *m, struct stream *s, const struct unit *u, bool dup)
{
	enum kind k = kind_of(m, s, u->pt);
	if (k == K_EVENT) {
		dtmf(m, s, u);
		return;
	}
	if (dup)
		return;
	const char *enc = NULL;
	bool g711 = k == K_PCMU || k == K_PCMA;
	if (g711 || k == K_CN) {
		if (g711 && !s->decodable) {
			s->decodable = true;
			snprintf(s->codec, sizeof(s->codec), "%s", k == K_PCMU ? "PCMU" : "PCMA");
		}
		if (!s->audio_start_ns && g711)
			s->audio_start_ns = u->ts_ns;
		/* joined now, so that the mix waits for this stream's first second */
		if (!s->mix_tried && s->audio_start_ns && !m->ctx->cfg->no_audio)
			mix_join(m, s);
		if (!m->ctx->cfg->no_audio)
			window_push(m, s, u);
	} else {
		if (!s->undecodable_seen) {
			s->undecodable_seen = true;
			enc = encoding_of(s, u->pt);
			snprintf(s->reason, sizeof(s->reason), "codec %s (payload type %u) is not decoded; raw payload kept",
				 enc[0] ? enc : "unknown", u->pt);
		}
		if (m->ctx->cfg->no_audio)
			return;
		if (!s->raw) {
			make_path(m, s, "raw", s->raw_path, sizeof(s->raw_path));
			s->raw = cx_writer_new(m->w, s->raw_path, CX_WRITER_RAW, 1);
		}
		uint16_t len = (uint16_t)(u->len > 65535 ? 65535 : u->len);
		uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
		/* length-prefixed payloads, in arrival order */
		if (s->raw && cx_writer_write(m->w, s->raw, hdr, 2) == 0)
			cx_writer_write(m->w, s->raw, u->data, len);
	}
}

/* The clock tshark would use for this payload type: none for events and
 * for dynamic types nobody announced. */
static uint32_t
stats_clock(const struct stream *s, uint8_t pt)
{
	if (pt < 96)
		return cx_rtp_static_clock(pt);
	uint32_t clock = 0;
	const char *enc = ep_encoding(s->ep, pt, &clock);
	if (!enc || !strcasecmp(enc, "telephone-event"))
		return 0;
	return clock;
}

static void
rtp_packet(struct cx_media *m, struct stream *s, const struct cx_rtp *r, const struct cx_packet *p)
{
	/* Without SDP, a dynamic payload type whose packets are 4-byte RFC 4733
	 * events (event 0-16, reserved bit clear) is taken as telephone-event. */
	if (!s->ep && !s->event_pt && r->pt >= 96 && r->payload_len == 4 && r->payload[0] <= 16 &&
	    !(r->payload[1] & 0x40)) {
		s->event_pt = r->pt;
		s->kind_pt = -1;
	}
	if (s->st.packets == 0) {
		s->first_frame = p->frame;
		s->first_ts = p->ts_ns;
		snprintf(s->codec, sizeof(s->codec), "%s", encoding_of(s, r->pt));
	}
	struct cx_rtp_seen seen;
	cx_rtp_stats_add(&s->st, r->seq, r->ts, r->pt, r->marker, stats_clock(s, r->pt), p->ts_ns, &seen);
	(*m->n_rtp)++;
	s->last_ts = p->ts_ns;
	if (s->mc)
		s->mc->last_ts = m->ctx->life_ns;
	s->last_frame = p->frame;
	struct unit u = { .pt = r->pt, .ts = r->ts, .len = r->payload_len, .ext_seq = seen.ext_seq,
			  .ext_ts = seen.ext_ts, .frame = p->frame, .ts_ns = p->ts_ns, .data = r->payload };
	if (s->confirmed) {
		media_unit(m, s, &u, seen.duplicate);
		return;
	}
	/* A candidate keeps its first packets (copies) until it is believed. */
	if (seen.duplicate || s->npend >= CONFIRM)
		return;
	if (!s->pend && !(s->pend = calloc(CONFIRM, sizeof(*s->pend))))
		return;
	uint32_t len = u.len < MAX_PAYLOAD ? u.len : MAX_PAYLOAD;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, u.data, len);
	u.data = copy;
	u.len = len;
	s->pend[s->npend++] = u;
}

static void
drop_pending(struct stream *s)
{
	for (size_t i = 0; i < s->npend; i++)
		free((void *)s->pend[i].data);
	free(s->pend);
	s->pend = NULL;
	s->npend = 0;
}

/* The signalled endpoint this packet is for, and the sending party. */
static const struct endpoint *
signalled(struct cx_media *m, const struct cx_packet *p, bool rtcp, int *sender)
{
	const struct endpoint *e = find_ep(m, &p->dst, p->dport, rtcp);
	if (e) {
		*sender = !e->party;
		return e;
	}
	e = find_ep(m, &p->src, p->sport, rtcp);
	if (e) {
		*sender = e->party; /* symmetric RTP: the party sends from where it receives */
		return e;
	}
	*sender = -1;
	return NULL;
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

/* The two ends in either order give the same bucket. */
static uint32_t
stun_bucket(const struct cx_addr *a, uint16_t pa, const struct cx_addr *b, uint16_t pb)
{
	return (hash_ep(a, pa) ^ hash_ep(b, pb)) % STUN_BUCKETS;
}

static struct stun_flow *
find_stun(const struct cx_media *m, const struct cx_addr *a, uint16_t pa, const struct cx_addr *b, uint16_t pb)
{
	for (struct stun_flow *f = m->stun_b[stun_bucket(a, pa, b, pb)]; f; f = f->hnext)
		if ((f->pa == pa && f->pb == pb && cx_addr_eq(&f->a, a) && cx_addr_eq(&f->b, b)) ||
		    (f->pb == pa && f->pa == pb && cx_addr_eq(&f->b, a) && cx_addr_eq(&f->a, b)))
			return f;
	return NULL;
}

/* Flows by one end: a call written out takes along the STUN flows that
 * touch its endpoints. A flow is in the chain of each end's bucket (once
 * when both ends share one); enext[k] follows end k. */
static uint32_t
stun_end_bucket(const struct stun_flow *f, int k)
{
	return hash_ep(k ? &f->b : &f->a, k ? f->pb : f->pa) % STUN_BUCKETS;
}

static void
stun_end_link(struct cx_media *m, struct stun_flow *f)
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
static struct stun_flow **
stun_end_next(struct stun_flow *f, uint32_t b)
{
	return &f->enext[stun_end_bucket(f, 0) == b ? 0 : 1];
}

static void
stun_unlink(struct cx_media *m, struct stun_flow *f)
{
	struct stun_flow **pp = &m->stun_b[stun_bucket(&f->a, f->pa, &f->b, f->pb)];
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

static void
stun_packet(struct cx_media *m, const struct cx_packet *p, bool tcp)
{
	struct cx_stun st;
	if (cx_stun_parse(p->payload, p->payload_len, &st) < 0) {
		if (tcp)
			cx_stats_add(m->ctx->stats, "error.stun.malformed", 1);
		return;
	}
	(*m->n_stun)++;
	struct stun_flow *f = find_stun(m, &p->src, p->sport, &p->dst, p->dport);
	if (!f) {
		if (m->nstun >= 10000)
			return;
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
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
		return;
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
}

bool
cx_media_on_udp(struct cx_media *m, const struct cx_packet *p)
{
	const uint8_t *d = p->payload;
	size_t n = p->payload_len;
	if (n < 8)
		return false;
	if (cx_stun_looks_like(d, n) || cx_stun_classic_looks_like(d, n, p->sport, p->dport)) {
		stun_packet(m, p, false);
		return true;
	}
	int sender;
	/* RTCP: on a signalled RTCP port, or a strict compound packet anywhere. */
	if ((d[0] >> 6) == 2 && d[1] >= 192 && d[1] <= 213) {
		const struct endpoint *e = signalled(m, p, true, &sender);
		if ((e && cx_rtcp_looks_like(d, n, false)) || cx_rtcp_looks_like(d, n, true)) {
			if (e && e->finished) {
				(*m->late_rtcp)++; /* a last report after its call was written out */
				return true;
			}
			if (e && e->mc)
				e->mc->last_ts = m->ctx->life_ns;
			rtcp_packet(m, p);
			return true;
		}
	}
	struct cx_rtp r;
	if (cx_rtp_parse(d, n, &r) < 0)
		return false;
	struct stream *s = find_stream(m, p, r.ssrc);
	if (!s) {
		const struct endpoint *e = signalled(m, p, false, &sender);
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
		const struct endpoint *e = signalled(m, p, false, &sender);
		if (e && !e->finished && (s->call_id = strdup(e->call_id))) {
			s->mix_tried = false;
			s->kind_pt = -1;
			s->ep = e;
			s->call_index = e->call_index;
			s->sender = sender;
			s->consistent = CONFIRM;
			mcall_add_stream(m, s);
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
	rtp_packet(m, s, &r, p);
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
		struct stream *s = m->v[i];
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

/* Tombs of finished calls: after LATE_KEEP_NS their endpoints are
 * forgotten (a packet to them is then just unsignalled UDP). */
static void
expire_finished(struct cx_media *m, int64_t now_ns)
{
	while (m->fq && now_ns - m->fq->t_finished > LATE_KEEP_NS) {
		struct mcall *mc = m->fq;
		m->fq = mc->qnext;
		if (!m->fq)
			m->fq_tail = NULL;
		for (struct endpoint *e = mc->eps, *n; e; e = n) {
			n = e->cnext;
			for (struct endpoint **pp = &m->ep[hash_ep(&e->addr, e->port)]; *pp; pp = &(*pp)->next) {
				if (*pp == e) {
					*pp = e->next;
					break;
				}
			}
			free(e->call_id);
			free(e->pts);
			free(e);
		}
		free(mc);
	}
}

void
cx_media_tick(struct cx_media *m, int64_t now_ns)
{
	expire_candidates(m, now_ns);
	/* Streams silent for 10 s: play out their window and close the writer,
	 * so memory and descriptors follow the active streams only. */
	for (size_t i = 0; i < m->n; i++) {
		struct stream *s = m->v[i];
		if ((s->win || s->pcm) && now_ns - s->last_ts > 10000000000LL) {
			window_flush(m, s);
			writer_close(m, s);
		}
	}
}

void
cx_media_life_tick(struct cx_media *m, int64_t life_ns)
{
	expire_finished(m, life_ns);
}

/* ---------- end of capture ---------- */

static bool
same_pair(const struct stream *a, const struct stream *b)
{
	return (a->sport == b->sport && a->dport == b->dport && cx_addr_eq(&a->src, &b->src) && cx_addr_eq(&a->dst, &b->dst)) ||
	       (a->sport == b->dport && a->dport == b->sport && cx_addr_eq(&a->src, &b->dst) && cx_addr_eq(&a->dst, &b->src));
}

/* summary.txt: RTP that no signalling in the capture announced is a
 * conversation of its own, one per pair of endpoints (both directions). */
static void
unsignalled_sections(struct cx_media *m)
{
	size_t sections = 0;
	for (size_t i = 0; i < m->n && sections < 256; i++) {
		struct stream *s = m->v[i];
		if (!s->confirmed || s->call_id || s->dead)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = m->v[k]->confirmed && !m->v[k]->call_id && !m->v[k]->dead && same_pair(m->v[k], s);
		if (seen)
			continue;
		sections++;
		char course[2048], title[200], a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8], pa[40], pb[40];
		size_t o = 0;
		bool audio = false, dtmf = false;
		struct cx_conv c = { .kind = "rtp", .title = title, .first_frame = s->first_frame, .last_frame = s->last_frame,
				     .start_ns = s->first_ts, .end_ns = s->last_ts, .transport = "UDP",
				     .network = s->src.family == 6 ? "IPv6" : "IPv4" };
		snprintf(pa, sizeof(pa), "%u/udp, RTP", s->sport);
		snprintf(pb, sizeof(pb), "%u/udp, RTP", s->dport);
		cx_conv_party(&c, "one end", &s->src, pa);
		cx_conv_party(&c, "other end", &s->dst, pb);
		for (size_t k = i; k < m->n && o + 400 < sizeof(course); k++) {
			struct stream *t = m->v[k];
			if (!t->confirmed || t->call_id || t->dead || !same_pair(t, s))
				continue;
			if (t->first_frame < c.first_frame) {
				c.first_frame = t->first_frame;
				c.start_ns = t->first_ts;
			}
			if (t->last_frame > c.last_frame) {
				c.last_frame = t->last_frame;
				c.end_ns = t->last_ts;
			}
			bool wav = t->decodable && t->path[0] && !m->ctx->cfg->no_audio;
			audio |= wav;
			dtmf |= t->dtmf && json_object_array_length(t->dtmf);
			uint64_t expected = cx_rtp_stats_expected(&t->st);
			o += (size_t)snprintf(course + o, sizeof(course) - o,
					      "%s -> %s SSRC 0x%08X %s: %llu packets (frames %llu-%llu), %lld lost, jitter max %.1f ms%s%s%s\n",
					      cx_endpoint_str(&t->src, t->sport, a), cx_endpoint_str(&t->dst, t->dport, b), t->ssrc,
					      t->codec[0] ? t->codec : "?", (unsigned long long)t->st.packets,
					      (unsigned long long)t->first_frame, (unsigned long long)t->last_frame,
					      (long long)expected - (long long)t->st.packets, t->st.max_jitter,
					      wav ? ", audio in " : ", not decoded: ", wav ? t->path : t->reason[0] ? t->reason :
					      m->ctx->cfg->no_audio ? "--no-audio" : "no G.711 payload",
					      t->dtmf && json_object_array_length(t->dtmf) ? "; DTMF events" : "");
		}
		snprintf(title, sizeof(title), "RTP without signalling in the capture: %s <-> %s (%s)",
			 cx_endpoint_str(&s->src, s->sport, a), cx_endpoint_str(&s->dst, s->dport, b), s->codec[0] ? s->codec : "?");
		c.application = "RTP (found by its headers: no SIP/SDP announced it)";
		c.course = course;
		c.protection = "none seen: plain RTP, the payload can be listened to and altered (SRTP would not decode as G.711)";
		c.data = audio ? (dtmf ? "audio (decoded to WAV) and RFC 4733 DTMF events" : "audio (decoded to WAV)") :
			 dtmf ? "RFC 4733 DTMF events; media not decoded" : "media not decoded (see the reasons above)";
		cx_summary_conv(m->ctx->summary, &c);
	}
}

void
cx_media_finish(struct cx_media *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i]->dead)
			continue;
		window_flush(m, m->v[i]);
		writer_close(m, m->v[i]);
	}
	/* every queued write done: sizes and failures can be read */
	cx_writers_sync(m->w);
	for (size_t i = 0; i < m->n; i++) {
		struct stream *s = m->v[i];
		if (!s->dead && s->wav && cx_writer_error(s->wav)[0] && !s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s", cx_writer_error(s->wav));
	}
	unsignalled_sections(m);
}

/* ---------- STUN/TURN over TCP ---------- */

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
			memset(&p, 0, sizeof(p));
			p.frame = frame;
			p.ts_ns = ts_ns;
			p.src = c->addr[dir];
			p.dst = c->addr[!dir];
			p.sport = c->port[dir];
			p.dport = c->port[!dir];
			p.payload = h;
			p.payload_len = (uint32_t)need;
			stun_packet(m, &p, true);
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

size_t
cx_media_describe_call(struct cx_media *m, uint32_t call_index, char *buf, size_t n)
{
	size_t o = 0;
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
	struct mcall *mc = mcall_get(m, call_index, false);
	for (struct stream *s = mc ? mc->streams : NULL; s && o + 300 < n; s = s->knext) {
		if (!s->confirmed || !s->call_id)
			continue;
		uint64_t expected = cx_rtp_stats_expected(&s->st);
		char q[64] = "";
		double r, mos;
		if (cx_rtp_quality(&s->st, s->codec, &r, &mos))
			snprintf(q, sizeof(q), ", MOS %.2f (R %.1f, E-model)", mos, r);
		o += (size_t)snprintf(buf + o, n - o, "  media %s %s -> %s SSRC 0x%08X %s: %llu packets, %lld lost, jitter max %.1f ms%s%s%s%s\n",
				      s->sender == 0 ? "caller" : s->sender == 1 ? "callee" : "?",
				      cx_endpoint_str(&s->src, s->sport, a), cx_endpoint_str(&s->dst, s->dport, b), s->ssrc,
				      s->codec[0] ? s->codec : "?", (unsigned long long)s->st.packets,
				      (long long)expected - (long long)s->st.packets, s->st.max_jitter, q,
				      s->dtmf && json_object_array_length(s->dtmf) ? ", DTMF sent" : "",
				      s->decodable && s->path[0] && !m->ctx->cfg->no_audio ? ", audio in " : ", not decoded",
				      s->decodable && s->path[0] && !m->ctx->cfg->no_audio ? s->path : "");
	}
	return o;
}

static struct json_object *
jd(double v)
{
	return json_object_new_double(v);
}

/* take: the stream is being written out; its DTMF list moves into the
 * entry (which then shares nothing with the stream). */
static struct json_object *
stream_json(struct cx_media *m, struct stream *s, bool take)
{
	char ep[CX_ADDR_STRLEN + 8], t[48];
	struct json_object *o = json_object_new_object();
	char ssrc[16];
	snprintf(ssrc, sizeof(ssrc), "0x%08X", s->ssrc);
	json_object_object_add(o, "ssrc", json_object_new_string(ssrc));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&s->src, s->sport, ep)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&s->dst, s->dport, ep)));
	json_object_object_add(o, "call_id", s->call_id ? json_object_new_string(s->call_id) : NULL);
	json_object_object_add(o, "signalled", json_object_new_boolean(s->ep != NULL));
	json_object_object_add(o, "sender", s->sender < 0 ? NULL : json_object_new_string(s->sender ? "callee" : "caller"));
	const struct cx_rtp_stats *st = &s->st;
	json_object_object_add(o, "payload_type", json_object_new_int(st->first_pt));
	json_object_object_add(o, "codec", json_object_new_string(s->codec[0] ? s->codec : "unknown"));
	uint64_t expected = cx_rtp_stats_expected(st);
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
	json_object_object_add(o, "expected", json_object_new_int64((int64_t)expected));
	json_object_object_add(o, "lost", json_object_new_int64((int64_t)expected - (int64_t)st->packets));
	json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)st->duplicates));
	json_object_object_add(o, "out_of_order", json_object_new_int64((int64_t)st->out_of_order));
	json_object_object_add(o, "sequence_wraps", json_object_new_int64((int64_t)st->wraps));
	json_object_object_add(o, "markers", json_object_new_int64((int64_t)st->markers));
	json_object_object_add(o, "payload_type_changes", json_object_new_int64((int64_t)st->pt_changes));
	json_object_object_add(o, "min_delta_ms", st->min_delta < 0 ? NULL : jd(st->min_delta));
	json_object_object_add(o, "mean_delta_ms", jd(st->mean_delta));
	json_object_object_add(o, "max_delta_ms", jd(st->max_delta));
	json_object_object_add(o, "min_jitter_ms", st->min_jitter < 0 ? NULL : jd(st->min_jitter));
	json_object_object_add(o, "mean_jitter_ms", jd(st->mean_jitter));
	json_object_object_add(o, "max_jitter_ms", jd(st->max_jitter));
	json_object_object_add(o, "quality", cx_rtp_quality_json(st, s->codec));
	json_object_object_add(o, "series", cx_rtp_series_json(st));
	json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)s->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)s->last_frame));
	json_object_object_add(o, "first_time", json_object_new_string(cx_time_utc(s->first_ts, t, sizeof(t))));
	json_object_object_add(o, "last_time", json_object_new_string(cx_time_utc(s->last_ts, t, sizeof(t))));
	json_object_object_add(o, "start", jd(cx_time_rel(m->ctx, s->first_ts)));
	json_object_object_add(o, "end", jd(cx_time_rel(m->ctx, s->last_ts)));
	/* samples handed to the writer: a call is written out while the
	 * writing thread still works, so its failures surface in the stream's
	 * reason only for streams reported at the end (and always in stderr) */
	bool wav = s->decodable && s->wav && s->queued && !m->ctx->cfg->no_audio;
	json_object_object_add(o, "wav", wav ? json_object_new_string(s->path) : NULL);
	const char *reason = wav ? NULL : m->ctx->cfg->no_audio ? "--no-audio" :
			     s->reason[0] ? s->reason : s->decodable ? "no audio samples" :
			     "no G.711 payload in this stream";
	json_object_object_add(o, "reason", reason ? json_object_new_string(reason) : NULL);
	if (s->raw_path[0])
		json_object_object_add(o, "raw_payload", json_object_new_string(s->raw_path));
	if (wav) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "samples", json_object_new_int64((int64_t)s->samples));
		json_object_object_add(a, "seconds", jd((double)s->samples / 8000.0));
		json_object_object_add(a, "silence_inserted_samples", json_object_new_int64((int64_t)s->silence_samples));
		json_object_object_add(a, "late_or_duplicate_dropped", json_object_new_int64((int64_t)s->late));
		json_object_object_add(a, "timestamp_jumps", json_object_new_int64((int64_t)s->jumps));
		json_object_object_add(a, "silence_limited", json_object_new_int64((int64_t)s->silence_limited));
		if (s->mix) {
			/* where this stream is in the call's stereo file; the
			 * last two figures are for the whole file */
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "file", json_object_new_string(cx_stereo_path(s->mix)));
			json_object_object_add(x, "channel", json_object_new_string(s->sender == 0 ? "left" : "right"));
			json_object_object_add(x, "first_frame", json_object_new_int64(s->mix_first));
			json_object_object_add(x, "frames", json_object_new_int64((int64_t)cx_stereo_frames(s->mix)));
			json_object_object_add(x, "samples_left_out", json_object_new_int64((int64_t)cx_stereo_dropped(s->mix)));
			json_object_object_add(x, "streams_realigned", json_object_new_int64((int64_t)cx_stereo_realigned(s->mix)));
			if (cx_stereo_error(s->mix)[0])
				json_object_object_add(x, "error", json_object_new_string(cx_stereo_error(s->mix)));
			json_object_object_add(a, "stereo", x);
		}
		json_object_object_add(o, "audio", a);
	}
	struct json_object *dtmf = !s->dtmf ? json_object_new_array() : take ? s->dtmf : json_object_get(s->dtmf);
	if (take)
		s->dtmf = NULL;
	json_object_object_add(o, "dtmf", dtmf);
	json_object_object_add(o, "rtcp", cx_rtcp_table_json(m->rtcp, s->ssrc, clock_of(s, s->st.last_pt)));
	struct stun_flow *f = find_stun(m, &s->src, s->sport, &s->dst, s->dport);
	if (f)
		f->used = true;
	json_object_object_add(o, "stun", f ? json_object_get(f->msgs) : json_object_new_array());
	return o;
}

/* The endpoint a STUN-only flow's checks belong to: ICE checks on an SDP
 * endpoint, or on the RTCP component (port+1 or a=rtcp). */
static const struct endpoint *
stun_owner(const struct cx_media *m, const struct stun_flow *f)
{
	const struct endpoint *e = find_ep(m, &f->b, f->pb, false);
	if (!e)
		e = find_ep(m, &f->a, f->pa, false);
	if (!e)
		e = find_ep(m, &f->b, f->pb, true);
	if (!e)
		e = find_ep(m, &f->a, f->pa, true);
	return e;
}

static struct json_object *
stun_json(const struct cx_media *m, const struct stun_flow *f)
{
	char ep[CX_ADDR_STRLEN + 8];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string("stun"));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&f->a, f->pa, ep)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&f->b, f->pb, ep)));
	const struct endpoint *e = stun_owner(m, f);
	json_object_object_add(o, "call_id", e ? json_object_new_string(e->call_id) : NULL);
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)f->n));
	json_object_object_add(o, "stun", json_object_get(f->msgs));
	return o;
}

static void
spill_json(struct cx_spill *sp, uint64_t slot, struct json_object *o)
{
	const char *t = cx_json_pretty(o);
	cx_spill_put(sp, slot, t, strlen(t));
	json_object_put(o);
}

void
cx_media_call_text(struct cx_media *m, const char *relpath, const char *text)
{
	struct cx_writer *f = cx_writer_new(m->w, relpath, CX_WRITER_RAW, 1);
	if (!f) {
		cx_log(m->ctx, CX_LOG_WARN, "%s: out of memory", relpath);
		return;
	}
	/* one write: the file goes out in one piece (text and newline) */
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	if (!copy || (memcpy(copy, text, len), copy[len] = '\n', cx_writer_write(m->w, f, copy, len + 1) < 0))
		cx_log(m->ctx, CX_LOG_WARN, "%s: %s", relpath, copy ? cx_writer_error(f) : "out of memory");
	free(copy);
	cx_writer_free(m->w, f);
}

/* Report entries of a written-out call's streams, for the finisher. */
struct spill_job {
	struct cx_spill *sp;
	size_t n;
	uint64_t *slot;
	struct json_object **o;
};

static void
spill_run(void *arg)
{
	struct spill_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		spill_json(j->sp, j->slot[i], j->o[i]);
	free(j->slot);
	free(j->o);
	free(j);
}

int64_t
cx_media_call_last(struct cx_media *m, uint32_t call_index)
{
	struct mcall *mc = mcall_get(m, call_index, false);
	return mc ? mc->last_ts : 0;
}

void
cx_media_call_flush(struct cx_media *m, uint32_t call_index)
{
	struct mcall *mc = mcall_get(m, call_index, false);
	for (struct stream *s = mc ? mc->streams : NULL; s; s = s->knext) {
		window_flush(m, s);
		writer_close(m, s);
	}
}

void
cx_media_call_done(struct cx_media *m, uint32_t call_index, int64_t now_ns)
{
	struct mcall *mc = mcall_get(m, call_index, false);
	if (!mc)
		return;
	struct spill_job *job = calloc(1, sizeof(*job));
	size_t ns = 0;
	for (struct stream *s = mc->streams; s; s = s->knext)
		ns++;
	if (job && (!(job->o = calloc(ns + 1, sizeof(*job->o))) || !(job->slot = calloc(ns + 1, sizeof(*job->slot))))) {
		free(job->o);
		free(job);
		job = NULL;
	}
	if (!job) /* out of memory: spilled here, once the finisher is done with the spill */
		cx_finisher_sync(m->ctx->fin);
	for (struct stream *s = mc->streams; s; s = s->knext) {
		if (!s->confirmed)
			continue;
		struct json_object *o = stream_json(m, s, true);
		if (job && job->n < ns) {
			job->slot[job->n] = s->seq;
			job->o[job->n++] = o;
		} else {
			spill_json(m->sp_streams, s->seq, o);
		}
	}
	/* STUN flows go with their call: those its streams listed, and the
	 * checks that touched its endpoints without carrying RTP */
	for (struct stream *s = mc->streams; s; s = s->knext) {
		struct stun_flow *f = find_stun(m, &s->src, s->sport, &s->dst, s->dport);
		if (f)
			stun_unlink(m, f);
	}
	for (struct endpoint *e = mc->eps; e; e = e->cnext) {
		uint32_t b = hash_ep(&e->addr, e->port) % STUN_BUCKETS;
		for (struct stun_flow *f = m->stun_e[b], *n; f; f = n) {
			n = *stun_end_next(f, b);
			bool touches = (f->pa == e->port && cx_addr_eq(&f->a, &e->addr)) ||
				       (f->pb == e->port && cx_addr_eq(&f->b, &e->addr));
			if (!touches || f->used)
				continue;
			const struct endpoint *o = stun_owner(m, f);
			if (!o || o->call_index != call_index)
				continue;
			spill_json(m->sp_stun, f->seq, stun_json(m, f));
			stun_unlink(m, f);
		}
	}
	for (struct stream *s = mc->streams, *n; s; s = n) {
		n = s->knext;
		unlink_chain(&m->sb[hash_stream(&s->src, &s->dst, s->sport, s->dport, s->ssrc)], s);
		cx_rtcp_table_remove(m->rtcp, s->ssrc);
		s->dead = true; /* freed at the next tick (m->v still holds it) */
		s->mix = NULL;
		s->mc = NULL;
		s->knext = NULL;
	}
	mc->streams = mc->streams_tail = NULL;
	/* the entries are serialised and spilled beside the dissection: from
	 * here on nothing of the main thread's points into them (the STUN
	 * lists they hold were let go of above) */
	if (job) {
		job->sp = m->sp_streams;
		cx_finisher_submit(m->ctx->fin, spill_run, job);
	}
	cx_stereo_free(mc->x);
	mc->x = NULL;
	for (struct mcall **pp = &m->mix_b[call_index % MIX_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == mc) {
			*pp = mc->next;
			break;
		}
	}
	for (struct endpoint *e = mc->eps; e; e = e->cnext) {
		e->finished = true; /* a tomb: only its address is needed now */
		free(e->pts);
		e->pts = NULL;
		e->npts = e->cappts = 0;
	}
	mc->t_finished = now_ns ? now_ns : 1;
	mc->qnext = NULL;
	if (m->fq_tail)
		m->fq_tail->qnext = mc;
	else
		m->fq = mc;
	m->fq_tail = mc;
}

void
cx_media_report_stream(struct cx_media *m, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "streams", true);
	/* written-out streams and the ones still here, by creation */
	uint64_t slot = 0, nslots = cx_spill_slots(m->sp_streams);
	size_t i = 0;
	for (;;) {
		while (i < m->n && (m->v[i]->dead || !m->v[i]->confirmed))
			i++;
		uint64_t live = i < m->n ? m->v[i]->seq : UINT64_MAX;
		size_t len = 0;
		const char *t = NULL;
		while (slot < nslots && slot < live && !(t = cx_spill_get(m->sp_streams, slot, &len)))
			slot++;
		if (t && slot < live) {
			cx_jsonw_element_text(w, t, len);
			slot++;
			continue;
		}
		if (i >= m->n)
			break;
		cx_jsonw_element(w, stream_json(m, m->v[i], false));
		i++;
	}
	/* STUN flows that carried no RTP */
	slot = 0;
	nslots = cx_spill_slots(m->sp_stun);
	struct stun_flow *f = m->stun;
	for (;;) {
		while (f && f->used)
			f = f->next;
		uint64_t live = f ? f->seq : UINT64_MAX;
		size_t len = 0;
		const char *t = NULL;
		while (slot < nslots && slot < live && !(t = cx_spill_get(m->sp_stun, slot, &len)))
			slot++;
		if (t && slot < live) {
			cx_jsonw_element_text(w, t, len);
			slot++;
			continue;
		}
		if (!f)
			break;
		cx_jsonw_element(w, stun_json(m, f));
		f = f->next;
	}
	cx_jsonw_end(w, true);
}
