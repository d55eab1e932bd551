/* The stream table and its correlation with calls: the media module's
 * state (struct cx_media, behind include/callextract/media.h), the SDP
 * endpoints the SIP side announces, RTP streams keyed by 5-tuple and SSRC
 * (signalled, or candidates found by RTP heuristics until believed), the
 * media record of each call, RTCP (stream/rtcp.h), STUN flows
 * (stream/stun.c), RFC 4733 events (stream/dtmf.c) and the report
 * (stream/report.c). A stream's packets go from here, in arrival order, to
 * playout (playout/playout.h) or, for payloads that are not decoded, to the
 * sink's raw file (sink/sink.h). SRTP (src/srtp/) will sit between the two:
 * a packet is decrypted in the stream layer before it is handed to playout.
 *
 * Private to src/stream, src/playout and src/sink.
 *
 * Ownership:
 * - struct cx_media owns every endpoint (hash ep[], freed when its call's
 *   tomb expires or with the module), every stream (v[], freed at the tick
 *   after it is marked dead, or with the module), every call record
 *   (mix_b[] while live, fq while a tomb), the STUN flows, the RTCP table,
 *   the writers and the two spills.
 * - struct cx_ep owns call_id and pts (pts freed when its call is finished).
 * - struct cx_stream owns call_id, dtmf (a json array; moved into the report
 *   entry when the stream is written out), pend (copies of a candidate's
 *   first packets) and, through pl and snk, its window and files. ep and mc
 *   are borrowed from the module (the endpoint outlives the stream: it is
 *   freed only after its call is done, when the stream is already dead).
 * - struct cx_mcall owns its stereo mix x; its streams and eps lists borrow.
 * - struct cx_stun_flow owns msgs (a json array). */
#ifndef CX_STREAM_STREAM_H
#define CX_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/media.h"
#include "callextract/packet.h"
#include "playout/playout.h"
#include "sink/sink.h"
#include "stream/stats.h"

struct json_object;
struct cx_spill;
struct cx_cp_pend;

#define CX_NBUCKETS 65536u
#define CX_MAX_PAYLOAD 2048     /* bytes kept per packet (window, candidates) */
#define CX_MIX_BUCKETS 16384u
#define CX_STUN_BUCKETS 4096u
#define CX_LATE_KEEP_NS (60LL * 1000000000LL)

/* An SDP endpoint: "this party receives here". */
struct cx_ep {
	struct cx_addr addr;
	uint16_t port;
	bool rtcp;
	bool tcp;                /* a TCP/RTP/ profile: RFC 4571 framing on a TCP connection */
	char *call_id;           /* owned */
	uint32_t call_index;
	bool finished;           /* its call is finished: what comes is late */
	struct cx_mcall *mc;
	struct cx_ep *cnext;     /* the call's endpoints */
	int party;               /* who RECEIVES here */
	uint8_t npts, cappts;    /* the SDP's payload types (RTP endpoints only) */
	struct cx_ep_pt {
		uint8_t pt;
		uint32_t clock;
		uint8_t channels;
		char enc[16];
		char fmtp[64];
	} *pts;                  /* owned; freed when the call is finished */
	struct cx_ep_srtp *sec;  /* owned (stream/srtp.c); NULL: a plain m= line */
	struct cx_ep *next;
};

/* What the media side does with a payload type. */
enum cx_kind {
	CX_KIND_OTHER,           /* not audio we know: raw payload */
	CX_KIND_PCMU, CX_KIND_PCMA, /* G.711: the playout's fast path */
	CX_KIND_CN,              /* comfort noise: silence */
	CX_KIND_EVENT,           /* RFC 4733 */
	CX_KIND_CODEC,           /* in the codec table (codec/codec.h) */
};

/* One RTP packet as the media side (audio, raw payload, DTMF) needs it. */
struct cx_unit {
	uint8_t pt;
	uint32_t ts;
	uint32_t len;
	uint64_t ext_seq, ext_ts, frame;
	int64_t ts_ns;
	const uint8_t *data;     /* borrowed, or owned by a pending copy */
	bool opaque;             /* still encrypted (SRTP not decrypted): raw only */
};

struct cx_stream {
	struct cx_addr src, dst;
	uint16_t sport, dport;
	uint32_t ssrc;
	bool tcp;                /* framed on a TCP connection (RFC 4571) */
	char *call_id;           /* owned */
	uint32_t call_index;
	int sender;              /* party sending: 0 caller, 1 callee, -1 unknown */
	const struct cx_ep *ep;  /* the endpoint that tied it to a call */
	bool confirmed;
	uint32_t consistent;
	uint32_t expect_gen;     /* unsignalled: announcements already checked */
	struct cx_rtp_stats st;
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;
	char codec[32];
	/* decoding */
	bool decodable, undecodable_seen;
	char reason[240];
	struct cx_playout pl;    /* reorder window (playout/) */
	struct cx_sink snk;      /* PCM buffer and files (sink/) */
	/* DTMF */
	struct json_object *dtmf;
	uint32_t dtmf_last_ts;
	bool dtmf_open;
	uint8_t event_pt;        /* unsignalled: dynamic PT that carries RFC 4733 events */
	int16_t kind_pt;         /* cache of cx_stream_kind(): the payload type, -1 none */
	uint32_t kind_gen;       /* ... the announcements it was computed under */
	enum cx_kind kind;
	const struct cx_codec *kind_codec; /* ... and its codec table entry */
	struct cx_unit *pend;    /* candidate: packets kept until it is believed */
	size_t npend;
	struct cx_stream *hnext;
	struct cx_stream *cprev, *cnext; /* candidates, oldest first */
	bool dead;               /* evicted candidate, or written out with its
				    call: freed at the next tick */
	uint32_t index;
	uint64_t seq;            /* creation order: the report's order */
	struct cx_mcall *mc;     /* its call's media, once tied to a call */
	struct cx_stream *knext; /* the call's streams, in creation order */
	struct cx_stream_srtp *sec; /* owned (stream/srtp.c); NULL until an SRTP check */
	struct cx_cp_pend *cp_pend; /* not tied to a call yet: its frames, for the call's capture (owned) */
	struct cx_stream *pd_prev, *pd_next; /* streams with cp_pend, so that an SDP finds them */
	bool pd_linked;
};

struct cx_stun_flow {
	struct cx_addr a, b;
	uint16_t pa, pb;
	uint64_t n;
	uint64_t seq;
	struct cx_stun_flow *prev;
	struct json_object *msgs; /* owned */
	bool used;               /* a listed RTP stream shows it */
	struct cx_stun_flow *next;  /* in order of first message */
	struct cx_stun_flow *hnext;
	struct cx_stun_flow *enext[2]; /* by one end (a, b): see stun_end_bucket */
	struct cx_cp_pend *cp_pend; /* before an SDP names an end: its frames, for the call's capture (owned) */
};

/* The media of one call, found by call index: its stereo mix, its
 * streams and the endpoints its SDP announced. After the call is finished
 * it stays for CX_LATE_KEEP_NS as a tomb, so that late packets to its
 * endpoints are counted, then its endpoints are forgotten. */
struct cx_mcall {
	uint32_t call_index;
	struct cx_stereo *x;     /* owned */
	struct cx_stream *streams, *streams_tail;
	struct cx_ep *eps;
	int64_t last_ts;         /* of the last packet of any of its streams
				    (lifecycle clock, see ctx.h) */
	int64_t t_finished;      /* 0 while live */
	struct cx_mcall *next;   /* bucket */
	struct cx_mcall *qnext;  /* finished calls, oldest first */
};

struct cx_media {
	struct cx_ctx *ctx;
	int64_t owned_last_ts;    /* shard mode: last packet of a stream begun in its frames */
	bool owned_any;
	struct cx_ep *ep[CX_NBUCKETS];
	struct cx_stream **sb;    /* stream hash buckets */
	struct cx_stream **v;     /* every stream, in order of first packet */
	size_t n, cap;
	size_t candidates;
	struct cx_stream *cand_head, *cand_tail;
	uint32_t nconfirmed;      /* numbers the files */
	uint32_t expect_gen;      /* bumped by every SDP announcement */
	struct cx_rtcp_table *rtcp; /* what RTCP said, by SSRC */
	struct cx_writers *w;      /* every file the media side writes */
	struct cx_mcall *mix_b[CX_MIX_BUCKETS];
	struct cx_mcall *fq, *fq_tail; /* finished calls kept as tombs */
	uint64_t created;         /* streams made so far (their seq) */
	struct cx_spill *sp_streams; /* report entries of written-out streams, slot = seq */
	uint64_t *late_rtp, *late_rtcp;
	/* STUN flows (stream/stun.c) */
	uint64_t stun_created;
	struct cx_spill *sp_stun;    /* STUN-only flows written out with their call, slot = seq */
	struct cx_stun_flow *stun, *stun_tail;
	struct cx_stun_flow *stun_b[CX_STUN_BUCKETS]; /* by 5-tuple, either direction */
	struct cx_stun_flow *stun_e[CX_STUN_BUCKETS]; /* by either end alone */
	size_t nstun;
	uint64_t *n_rtp, *n_rtcp, *n_stun;
	size_t max_open;          /* writers kept open: from RLIMIT_NOFILE */
	struct cx_media_srtp *sec; /* owned (stream/srtp.c): --srtp-key, decrypt buffer */
	struct cx_stream *pd_head;  /* streams whose frames wait for an SDP (borrowed) */
};

/* stream/endpoints.c: SDP endpoints, payload maps, call records */
uint32_t cx_ep_hash(const struct cx_addr *a, uint16_t port);
const struct cx_ep *cx_ep_find(const struct cx_media *m, const struct cx_addr *a, uint16_t port, bool rtcp);
const char *cx_ep_encoding(const struct cx_ep *e, uint8_t pt, uint32_t *clock);
/* The payload type's entry in the endpoint's SDP, or NULL. */
const struct cx_ep_pt *cx_ep_pt(const struct cx_ep *e, uint8_t pt);
/* The signalled endpoint this packet is for, and the sending party. */
/* A TCP/RTP/ profile (RFC 4571 framing). */
bool cx_proto_rfc4571(const char *proto);
const struct cx_ep *cx_ep_signalled(struct cx_media *m, const struct cx_packet *p, bool rtcp, int *sender);
/* Forgets the endpoints of calls finished more than CX_LATE_KEEP_NS ago. */
void cx_ep_expire(struct cx_media *m, int64_t now_ns);
void cx_ep_free_all(struct cx_media *m);
const char *cx_stream_encoding(const struct cx_stream *s, uint8_t pt);
uint32_t cx_stream_clock(const struct cx_stream *s, uint8_t pt);
enum cx_kind cx_stream_kind(const struct cx_media *m, struct cx_stream *s, uint8_t pt);
struct cx_mcall *cx_mcall_get(struct cx_media *m, uint32_t call_index, bool create);
void cx_mcall_add_stream(struct cx_media *m, struct cx_stream *s);

/* stream/media.c: the stream table */
uint32_t cx_stream_hash(const struct cx_addr *src, const struct cx_addr *dst, uint16_t sport, uint16_t dport,
			uint32_t ssrc);
void cx_stream_unlink_chain(struct cx_stream **head, struct cx_stream *s);
/* The call's capture: frames of streams to or from addr:port kept before
 * the SDP announcing it (tcp: the endpoint's transport) go to call now, in
 * their place by frame number. */
void cx_stream_place(struct cx_media *m, const struct cx_addr *addr, uint16_t port, bool tcp, uint32_t call);

/* stream/srtp.c: SRTP between the stream table and playout. A packet is
 * PLAIN (not encrypted, or decrypted: r / out then point into m->sec's
 * buffer, valid until the next packet) or OPAQUE (payload still
 * encrypted: never audio). */
enum { CX_SRTP_PLAIN = 0, CX_SRTP_OPAQUE = 1 };
struct cx_rtp;
int cx_media_srtp_init(struct cx_media *m);
void cx_media_srtp_free(struct cx_media *m);
void cx_ep_srtp_set(struct cx_media *m, struct cx_ep *ep, const struct cx_media_expect *e);
void cx_ep_srtp_free(struct cx_ep *ep);
int cx_stream_srtp_rtp(struct cx_media *m, struct cx_stream *s, const uint8_t *d, size_t n, struct cx_rtp *r);
int cx_stream_srtp_rtcp(struct cx_media *m, const struct cx_ep *e, const uint8_t *d, size_t n, const uint8_t **out,
			size_t *out_len);
void cx_stream_srtp_free(struct cx_stream *s);
/* "encrypted" and "srtp" members of a stream's report entry */
void cx_stream_srtp_json(const struct cx_stream *s, struct json_object *o);
/* ", SRTP suite, N decrypted, N auth failures" for summary lines; bytes written */
size_t cx_stream_srtp_describe(const struct cx_stream *s, char *buf, size_t n);

/* stream/dtmf.c: one RFC 4733 event packet */
void cx_dtmf_event(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u);

/* stream/stun.c: STUN flows (UDP, and TCP framing) */
struct cx_stun_flow *cx_stunf_find(const struct cx_media *m, const struct cx_addr *a, uint16_t pa,
				   const struct cx_addr *b, uint16_t pb);
/* The flow the message joined, NULL if none. */
struct cx_stun_flow *cx_stunf_packet(struct cx_media *m, const struct cx_packet *p, bool tcp);
/* The call's capture: frames of flows touching addr:port that came before
 * the SDP announcing it go to call; frames kept too long are let go. */
void cx_stunf_place(struct cx_media *m, const struct cx_addr *addr, uint16_t port, uint32_t call);
void cx_stunf_pend_expire(struct cx_media *m, int64_t now_ns, int64_t keep_ns);
struct json_object *cx_stunf_json(const struct cx_media *m, const struct cx_stun_flow *f);
/* A call is written out: its streams' flows are let go of, and the
 * STUN-only flows on its endpoints are spilled. */
void cx_stunf_call_done(struct cx_media *m, struct cx_mcall *mc, uint32_t call_index);
void cx_stunf_free_all(struct cx_media *m);

/* stream/report.c */
/* Serialises o into slot of sp and releases it. */
void cx_media_spill_json(struct cx_spill *sp, uint64_t slot, struct json_object *o);
/* summary.txt: a conversation per pair of endpoints of unsignalled RTP. */
void cx_media_unsignalled(struct cx_media *m);

#endif
