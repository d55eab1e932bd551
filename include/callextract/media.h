/* Media: RTP, RTCP and STUN flows, mapped to calls through SDP; per-stream
 * statistics (RFC 3550); G.711 decoded to WAV. Report key: "streams". */
#ifndef CX_MEDIA_H
#define CX_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"
#include "callextract/srtp.h"

struct cx_ctx;
struct cx_media;
struct json_object;

#define CX_MEDIA_MAX_PT 32

/* One SDP m= line as the SIP correlator announces it: "this party expects to
 * RECEIVE media at addr:port from now on". */
struct cx_media_expect {
	const char *call_id;      /* copied */
	uint32_t call_index;      /* 1-based call number (sip) */
	int party;                /* 0 = caller (From of the INVITE), 1 = callee */
	const char *media;        /* "audio", "video", ... */
	const char *proto;        /* "RTP/AVP", "RTP/SAVP" (SRTP), "TCP/RTP/AVP" (RFC 4571), ... */
	struct cx_addr addr;
	uint16_t rtp_port;
	uint16_t rtcp_port;       /* a=rtcp or rtp_port+1 */
	int direction;            /* 0 sendrecv, 1 sendonly, 2 recvonly, 3 inactive */
	size_t n_pts;
	struct {
		uint8_t pt;
		char encoding[24];    /* "PCMU", "telephone-event"; "" if no rtpmap */
		uint32_t clock;       /* 8000 */
		uint8_t channels;     /* the rtpmap's third field; 0 if none */
		char fmtp[64];        /* a=fmtp parameters (truncated); "" if none */
	} pts[CX_MEDIA_MAX_PT];
	uint64_t frame;           /* SIP message that announced it */
	int64_t ts_ns;
	/* SRTP: the m= line's a=crypto lines (RFC 4568), keys of what THIS
	 * party sends; in an answer, their tag selects the offer's line. */
	int mline;                /* index of the m= line in its SDP */
	bool answer;
	bool dtls;                /* a=fingerprint / a=setup: DTLS-SRTP */
	size_t n_crypto;
	struct cx_srtp_key crypto[CX_SRTP_MAX_KEYS]; /* frame = the SDP's */
};

struct cx_media *cx_media_new(struct cx_ctx *ctx);
void cx_media_free(struct cx_media *m);

void cx_media_expect(struct cx_media *m, const struct cx_media_expect *e);

/* Every UDP datagram that no other dissector claimed. Returns true if it
 * was recognised as RTP, RTCP or STUN. */
bool cx_media_on_udp(struct cx_media *m, const struct cx_packet *p);
/* STUN and TURN over TCP (RFC 5389 section 7.2.2: messages back to back,
 * TURN ChannelData padded to 4 bytes), on a connection the flow layer gave
 * to the media side; state in conn->user, freed by cx_media_tcp_close. */
struct cx_tcp_conn;
bool cx_media_tcp_looks_like(const uint8_t *d, size_t n);
void cx_media_tcp_data(struct cx_media *m, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns,
		       const uint8_t *d, size_t n);
void cx_media_tcp_close(struct cx_media *m, struct cx_tcp_conn *c);
/* RTP/RTCP over TCP (RFC 4571, stream/tcprtp.c) on a connection one end of
 * which a live call's SDP announced with a TCP/RTP/ profile. claim: true
 * if so (state in conn->user, freed by cx_media_rtp_tcp_close); segment:
 * every segment with payload of a claimed connection (the call's
 * capture); data with d NULL: n bytes missing. */
bool cx_media_rtp_tcp_claim(struct cx_media *m, struct cx_tcp_conn *c);
void cx_media_rtp_tcp_segment(struct cx_media *m, struct cx_tcp_conn *c);
void cx_media_rtp_tcp_data(struct cx_media *m, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns,
			   const uint8_t *d, size_t n);
void cx_media_rtp_tcp_close(struct cx_media *m, struct cx_tcp_conn *c);

void cx_media_tick(struct cx_media *m, int64_t now_ns);
/* End of capture: flush reorder windows, close WAVs, per-call stereo mix. */
void cx_media_finish(struct cx_media *m);
/* Shard mode: a stream begun in its own frames had a packet under
 * CX_SHARD_PENDING_NS (around.h) before now. */
bool cx_media_owned_pending(const struct cx_media *m, int64_t now_ns);
/* Appends to buf (size n) one line per stream of this call: direction,
 * codec, packets, loss, DTMF and the WAV. Returns the bytes written. */
size_t cx_media_describe_call(struct cx_media *m, uint32_t call_index, char *buf, size_t n);

/* The call lifecycle (doc/ARCHITECTURE.md). Capture time of the call's
 * last RTP or RTCP packet, 0 if none. */
int64_t cx_media_call_last(struct cx_media *m, uint32_t call_index);
/* The call is being finished: play out and close its streams' WAVs (so
 * that cx_media_describe_call can name them). */
void cx_media_call_flush(struct cx_media *m, uint32_t call_index);
/* ... and then (after cx_media_call_flush): its streams' report entries (and their STUN flows) go to
 * the spill, its stereo file is closed, its memory freed; its endpoints
 * stay for a minute so that late packets are counted (late.rtp/rtcp). */
void cx_media_call_done(struct cx_media *m, uint32_t call_index, int64_t now_ns);

/* A text file (the text and a newline, copied) written through the media
 * writers' queue, so that it lands after every WAV queued before it is
 * closed. */
void cx_media_call_text(struct cx_media *m, const char *relpath, const char *text);
/* About once a second of the lifecycle clock: forgets the endpoints of
 * calls finished more than a minute ago. */
void cx_media_life_tick(struct cx_media *m, int64_t life_ns);

/* The writers every media file goes through (borrowed until
 * cx_media_free); the calls' captures use them too. */
struct cx_writers;
struct cx_writers *cx_media_writers(struct cx_media *m);

struct cx_jsonw;
/* Writes the member "streams" (spilled and remaining, in creation order). */
void cx_media_report_stream(struct cx_media *m, struct cx_jsonw *w);

#endif
