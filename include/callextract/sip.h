/* SIP: framing, osip2 parsing, dialogs and calls, SDP media map.
 * Report key: "dialogs". Per call: calls/<NNNN>-<callid>/ with call.json,
 * flow.txt, flow.svg. */
#ifndef CX_SIP_H
#define CX_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"

struct cx_ctx;
struct cx_sip;
struct cx_tcp_conn;
struct json_object;

/* A parsed SIP message as other modules see it. Everything is BORROWED for
 * the duration of the callback that receives it. Strings are NUL-terminated
 * and may be NULL when the header is absent. */
struct cx_sip_msg_view {
	uint64_t frame;          /* frame that completed the message */
	int64_t ts_ns;
	struct cx_addr src, dst;
	uint16_t sport, dport;
	const char *transport;   /* "UDP", "TCP", "WS", "HEP3 via agent 2001"... */
	bool is_request;
	const char *method;      /* request method, or CSeq method for responses */
	int status;              /* 0 for requests */
	const char *reason;
	const char *request_uri;
	const char *call_id;
	uint32_t cseq;
	const char *cseq_method;
	const char *from_uri, *from_tag, *to_uri, *to_tag;
	const char *raw;         /* the whole message: start line, headers, body */
	size_t raw_len;
	const char *body;        /* inside raw */
	size_t body_len;
	bool retransmission;
	uint32_t call_index;     /* 1-based dialog (Call-ID) number */
};

struct cx_sip *cx_sip_new(struct cx_ctx *ctx);
void cx_sip_free(struct cx_sip *s);

/* True if the bytes start like a SIP request or status line. */
bool cx_sip_looks_like(const uint8_t *data, size_t len);

/* A UDP datagram already judged SIP by cx_sip_looks_like. */
void cx_sip_on_udp(struct cx_sip *s, const struct cx_packet *p);

/* Where a message taken out of a wrapper (src/wrap/) came from. transport
 * is what the report says it came in ("WS", "HEP3 via agent 2001"); borrowed. */
struct cx_sip_origin {
	struct cx_addr src, dst;
	uint16_t sport, dport;
	const char *transport;
	uint64_t frame;
	int64_t ts_ns;
	bool hep;                /* a copy shipped by a capture agent */
};
/* One unwrapped unit (a WebSocket message, a HEP payload): framed like a
 * UDP datagram (Content-Length optional, RFC 7118 5). A message seen both
 * plain and inside HEP within 2 s is taken once (the first copy), the
 * second counted as proto.hep_duplicate. Data borrowed for the call. */
void cx_sip_on_wrapped(struct cx_sip *s, const uint8_t *data, size_t len,
		       const struct cx_sip_origin *o);
/* Length of the complete SIP message at the start of data (headers and
 * Content-Length body), 0 while incomplete or when it is not SIP. */
size_t cx_sip_message_length(const uint8_t *data, size_t len);

/* TCP stream callbacks (the flow layer gives a connection to SIP when its
 * first bytes look like SIP). dir 0 = client->server. */
void cx_sip_tcp_data(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t frame,
		     int64_t ts_ns, const uint8_t *data, size_t len);
void cx_sip_tcp_gap(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t missing);
void cx_sip_tcp_close(struct cx_sip *s, struct cx_tcp_conn *c);

/* Relative folder (below the output dir) of the call with this Call-ID,
 * created when the dialog was first seen; NULL when unknown. Borrowed until
 * cx_sip_free. */
const char *cx_sip_call_dir(struct cx_sip *s, const char *call_id);
/* Shard mode: live dialogs begun in the owned frames (0: the shard is done). */
uint32_t cx_sip_owned_live(const struct cx_sip *s);
uint64_t cx_sip_owned_finished(const struct cx_sip *s);

/* About once a second of capture time: finishes the calls whose life
 * ended (doc/ARCHITECTURE.md, call lifecycle). */
void cx_sip_tick(struct cx_sip *s, int64_t now_ns);
/* End of capture: finishes every call still open (folder, report entry,
 * summary section; media first, through the media module). */
void cx_sip_finish(struct cx_sip *s);
struct cx_jsonw;
/* Writes the member "dialogs" of report.json. */
void cx_sip_report_stream(struct cx_sip *s, struct cx_jsonw *w);

#endif
