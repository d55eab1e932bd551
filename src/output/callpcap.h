/* Each call's own capture, calls/FFFFFFFFFF-.../call.pcap (call.pcapng when the
 * inputs have several link types): the frames that carried its SIP (every
 * leg and retransmission; over TCP the segments that carried the bytes;
 * over fragmented UDP every fragment) and its media (RTP, RTCP, STUN, DTMF
 * to or from its SDP endpoints), each as read: link-layer bytes, capture and
 * wire length, timestamp. Written while reading, through the media writers'
 * queue and descriptor LRU (output/writers.h).
 *
 * How a frame gets there: the pipeline opens the frame (cx_callpcap_begin),
 * a module that sees that the frame belongs to a call marks it with the
 * call's index, and after the frame the pipeline appends it to each marked
 * call's file (cx_callpcap_end). A frame marked for several calls (a TCP
 * segment or a datagram carrying messages of two dialogs) goes whole into
 * each: its bytes cannot be split without changing them.
 *
 * Bytes that are used after their frame (a SIP message spread over TCP
 * segments, a segment queued out of order, IP fragments, RTP that came
 * before its SDP) need the frame after its frame: cx_callpcap_hold() copies
 * it once (reference counted) and the copy is written when it is marked.
 *
 * Every function accepts cp == NULL (--no-call-pcap): nothing is done. */
#ifndef CX_OUTPUT_CALLPCAP_H
#define CX_OUTPUT_CALLPCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_ctx;
struct cx_packet;
struct cx_writers;
struct cx_callpcap;
struct cx_cp_frame;
struct cx_cp_pend;

/* w: borrowed, must outlive cp (the media side's writers, so that a call's
 * capture is closed in the same queue before its call.json is written).
 * Owned: cx_callpcap_free(), which closes every capture still open. */
struct cx_callpcap *cx_callpcap_new(struct cx_ctx *ctx, struct cx_writers *w);
void cx_callpcap_free(struct cx_callpcap *cp);
/* Before the first frame: pcapng (some input is a pcapng, whose
 * interfaces may have several link types, or the pcap inputs differ in
 * link type) or classic pcap; the inputs' largest snaplen (0: 262144). */
void cx_callpcap_inputs(struct cx_callpcap *cp, bool pcapng, uint32_t snaplen);

/* The frame being processed (data borrowed until cx_callpcap_end). */
void cx_callpcap_begin(struct cx_callpcap *cp, uint64_t frame, int linktype, int64_t ts_ns,
		       const uint8_t *data, uint32_t caplen, uint32_t wirelen);
/* Appends the frame to the captures of the calls that marked it. */
void cx_callpcap_end(struct cx_callpcap *cp);
/* The frame being processed belongs to call (1-based dialog index). A call
 * without an open capture (finished, or not an INVITE dialog) is ignored:
 * late frames are counted by the lifecycle already. */
void cx_callpcap_mark(struct cx_callpcap *cp, uint32_t call);

/* Held frames: a reference to the frame being processed (or, while a TCP
 * queue is drained, to the queued segment's frame: cx_callpcap_source).
 * Owned by the caller: cx_cp_frame_put(). NULL when out of memory or off. */
struct cx_cp_frame *cx_callpcap_hold(struct cx_callpcap *cp);
void cx_cp_frame_put(struct cx_cp_frame *f);
/* f belongs to call: appended now (once per call), or with the frame being
 * processed if f is that frame. */
void cx_callpcap_mark_held(struct cx_callpcap *cp, struct cx_cp_frame *f, uint32_t call);
/* While bytes of an earlier frame are delivered (a TCP segment that was
 * queued out of order), hold() gives that frame; NULL: the current one.
 * Borrowed, for the delivery only. */
void cx_callpcap_source(struct cx_callpcap *cp, struct cx_cp_frame *f);
/* Marks for call the frame whose bytes are being delivered: the queued
 * segment's (cx_callpcap_source) if one is, else the frame being processed. */
void cx_callpcap_mark_source(struct cx_callpcap *cp, uint32_t call);

/* A wrapper's byte stream (WebSocket, HEP over TCP): which frames its
 * buffered bytes came in, so that a message unwrapped from it takes along
 * every segment that carried a byte of it. Offsets count the bytes of the
 * stream appended so far (total). Owned by the wrapper's connection state,
 * zeroed at first; cx_cp_spans_free() lets go of the frames. */
#define CX_CP_SPANS 64
struct cx_cp_spans {
	struct { struct cx_cp_frame *f; uint64_t end; } s[CX_CP_SPANS];
	size_t n;
	uint64_t total;
};
/* n more bytes of the stream, delivered with the frame being delivered
 * (cx_callpcap_source's, or the one being processed). */
void cx_cp_spans_add(struct cx_callpcap *cp, struct cx_cp_spans *sp, size_t n);
/* Bytes before offset upto are no longer needed: their frames let go. */
void cx_cp_spans_release(struct cx_cp_spans *sp, uint64_t upto);
void cx_cp_spans_free(struct cx_cp_spans *sp);
/* While a message that begins at offset from of sp (and ends in the
 * frame being delivered) is handed on, a mark for a call takes every frame
 * that carried bytes from there on; carry_end stops it. Borrowed. */
void cx_callpcap_carry(struct cx_callpcap *cp, const struct cx_cp_spans *sp, uint64_t from);
/* Ends the carry; one nested carry (WebSocket inside a TLS record) gives
 * back the outer one. */
void cx_callpcap_carry_end(struct cx_callpcap *cp);
/* The frames of the active carry before the one being delivered (a TLS
 * record's earlier segments), each held for the caller (cx_cp_frame_put()):
 * a stream consumer below the carrier keeps them with the bytes. At most
 * max; returns how many. cx_cp_spans_add() takes them by itself. */
size_t cx_callpcap_carried(struct cx_callpcap *cp, struct cx_cp_frame **out, size_t max);

/* IP fragments: the pipeline holds each fragment under its datagram, and
 * the frame that completes the datagram takes the others along (written
 * before it when it is marked). */
void cx_callpcap_fragment(struct cx_callpcap *cp, const struct cx_packet *p);
void cx_callpcap_reassembled(struct cx_callpcap *cp, const struct cx_packet *p);

/* Media before its SDP: a bounded buffer per candidate stream (*pp, NULL
 * at first; owned by the stream). pend keeps the frame being processed;
 * place writes what was kept to call and empties the buffer; drop forgets
 * it and counts the frames as unplaced (call_pcap.unplaced). */
void cx_callpcap_pend(struct cx_callpcap *cp, struct cx_cp_pend **pp);
void cx_callpcap_place(struct cx_callpcap *cp, struct cx_cp_pend **pp, uint32_t call);
void cx_callpcap_drop(struct cx_callpcap *cp, struct cx_cp_pend **pp);
/* With cp NULL (torn down first) they only free. Capture time of the
 * first frame kept, 0 if none: */
int64_t cx_callpcap_pend_first(const struct cx_cp_pend *p);

/* A call's folder exists (dir relative, copied): its capture will be
 * dir/call.pcap. close: the call is finished; later frames are not added. */
void cx_callpcap_call_open(struct cx_callpcap *cp, uint32_t call, const char *dir);
void cx_callpcap_call_close(struct cx_callpcap *cp, uint32_t call);

#endif
