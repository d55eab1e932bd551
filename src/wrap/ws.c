/* SIP over WebSocket (RFC 7118) on a reassembled TCP connection.
 *
 * RFC 6455 framing: FIN/RSV1/opcode, 7-, 16- or 64-bit payload lengths,
 * the client's masking key, messages fragmented over continuation frames
 * with control frames (close, ping, pong) allowed between the fragments.
 * permessage-deflate (RFC 7692): RSV1 on a message's first frame; the
 * message plus 00 00 ff ff is a raw deflate block, inflated through zlib
 * with the sliding window kept across messages unless the 101 response
 * negotiated <side>_no_context_takeover. Each complete message is one SIP
 * message. The HTTP Upgrade is read when it was captured
 * (Sec-WebSocket-Protocol, the extensions); a connection whose upgrade was
 * not captured is recognised by a first frame whose payload is SIP. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "output/callpcap.h"
#include "wrap/wrap_int.h"

#define WS_MAX_HTTP (16u * 1024u)
#define WS_MAX_FRAME (1024u * 1024u)   /* a SIP message is far smaller */
#define WS_MAX_MSG (256u * 1024u)
#define WS_RESYNC_KEEP 4096u

enum { PH_HTTP, PH_FRAMES, PH_LOST };

struct ws_half {
	uint8_t *buf;
	size_t len, cap;
	int phase;
	uint8_t *msg;          /* the message being assembled, unmasked */
	size_t mlen;
	bool in_msg, msg_deflate, msg_dropped;
	uint64_t msg_frame;
	z_stream z;
	bool z_ready;
	bool no_ctx;           /* <side>_no_context_takeover */
	uint64_t frames, messages, sip, control, deflated, errors;
	struct cx_cp_spans sp;  /* frames of the buffered bytes, for the call's capture */
	uint64_t msg_start;     /* stream offset of the message's first frame */
};

struct ws_conn {
	struct ws_half h[2];
	bool upgrade_seen;     /* the HTTP Upgrade was in the capture */
	bool switched;         /* 101 seen */
	bool deflate;          /* permessage-deflate negotiated (or met) */
	char protocol[32];     /* Sec-WebSocket-Protocol of the 101 */
	char path[128];
	uint16_t close_code[2];
	bool closed_frame[2];
};

/* Header of a frame at d: lengths, or false when incomplete/unreadable.
 * *too_long set when the payload length is absurd for SIP. */
struct ws_hdr {
	bool fin, rsv1, mask;
	uint8_t rsv23, op;
	uint64_t len;
	uint8_t key[4];
	size_t hlen;
};

static int
parse_hdr(const uint8_t *d, size_t n, struct ws_hdr *h)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint8_t b0 = cx_get_u8(&c), b1 = cx_get_u8(&c);
	h->fin = b0 & 0x80;
	h->rsv1 = b0 & 0x40;
	h->rsv23 = b0 & 0x30;
	h->op = b0 & 0x0f;
	h->mask = b1 & 0x80;
	h->len = b1 & 0x7f;
	if (h->len == 126)
		h->len = cx_get_be16(&c);
	else if (h->len == 127)
		h->len = cx_get_be64(&c);
	if (h->mask)
		cx_get_bytes(&c, h->key, 4);
	if (c.err)
		return 0; /* incomplete */
	h->hlen = (size_t)(c.p - d);
	return 1;
}

/* A data frame whose (unmasked) payload starts like SIP. */
static bool
sip_frame_at(const uint8_t *d, size_t n)
{
	struct ws_hdr h;
	if (!parse_hdr(d, n, &h) || h.rsv23 || h.rsv1 || (h.op != 1 && h.op != 2) || h.len < 12 ||
	    h.len > WS_MAX_FRAME)
		return false;
	size_t avail = n - h.hlen < h.len ? n - h.hlen : (size_t)h.len;
	if (avail > 2048)
		avail = 2048;
	uint8_t tmp[2048];
	for (size_t i = 0; i < avail; i++)
		tmp[i] = d[h.hlen + i] ^ (h.mask ? h.key[i & 3] : 0);
	return cx_sip_looks_like(tmp, avail);
}

static ptrdiff_t
find_ci(const uint8_t *d, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	for (size_t i = 0; i + l <= n; i++)
		if (!strncasecmp((const char *)d + i, needle, l))
			return (ptrdiff_t)i;
	return -1;
}

static size_t
http_end(const uint8_t *d, size_t n)
{
	struct cx_cur c = cx_cur_make(d, n);
	ptrdiff_t e = cx_find(&c, "\r\n\r\n", 4);
	return e < 0 ? 0 : (size_t)e + 4;
}

bool
cx_ws_looks_like(const uint8_t *d, size_t n)
{
	if (!d || n < 4)
		return false;
	if (!memcmp(d, "GET ", 4)) {
		size_t lim = n < WS_MAX_HTTP ? n : WS_MAX_HTTP;
		size_t e = http_end(d, lim);
		return find_ci(d, e ? e : lim, "upgrade: websocket") >= 0;
	}
	return sip_frame_at(d, n);
}

/* "name: value" from an HTTP header block, copied into out (printable). */
static bool
http_header(const uint8_t *d, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && d[e] != '\n')
			e++;
		if (e - i > nl && !strncasecmp((const char *)d + i, name, nl) && d[i + nl] == ':') {
			size_t k = i + nl + 1, o = 0;
			while (k < e && (d[k] == ' ' || d[k] == '\t'))
				k++;
			while (k < e && d[k] != '\r' && o + 1 < cap) {
				out[o++] = (d[k] >= 0x20 && d[k] < 0x7f) ? (char)d[k] : '.';
				k++;
			}
			out[o] = '\0';
			return true;
		}
		i = e + 1;
	}
	return false;
}

static void
err(struct cx_wrap *w, struct ws_half *h, uint64_t frame, const char *kind, const char *what)
{
	char name[64];
	snprintf(name, sizeof(name), "error.websocket.%s", kind);
	cx_stats_add(w->ctx->stats, name, 1);
	h->errors++;
	cx_findings_add(w->ctx->findings, CX_SEV_LOW, "websocket.malformed", frame, "WebSocket: %s", what);
}

static void
read_http(struct cx_wrap *w, struct ws_conn *wc, int dir, struct ws_half *h, uint64_t frame)
{
	size_t e = http_end(h->buf, h->len);
	if (!e) {
		if (h->len > WS_MAX_HTTP) {
			err(w, h, frame, "http", "HTTP header of the Upgrade without an end");
			h->phase = PH_LOST;
		}
		return;
	}
	char v[256];
	if (dir == 0) {
		wc->upgrade_seen = true;
		size_t k = 4, o = 0;
		while (k < e && h->buf[k] != ' ' && h->buf[k] != '\r' && o + 1 < sizeof(wc->path)) {
			wc->path[o++] = (h->buf[k] >= 0x20 && h->buf[k] < 0x7f) ? (char)h->buf[k] : '.';
			k++;
		}
		wc->path[o] = '\0';
	} else {
		if (e < 12 || memcmp(h->buf, "HTTP/1.1 101", 12)) {
			/* refused: the connection carries no WebSocket */
			cx_stats_add(w->ctx->stats, "proto.websocket_refused", 1);
			wc->h[0].phase = wc->h[1].phase = PH_LOST;
			return;
		}
		wc->switched = true;
		if (http_header(h->buf, e, "sec-websocket-protocol", v, sizeof(v)))
			snprintf(wc->protocol, sizeof(wc->protocol), "%.31s", v);
		if (http_header(h->buf, e, "sec-websocket-extensions", v, sizeof(v)) &&
		    strstr(v, "permessage-deflate")) {
			wc->deflate = true;
			wc->h[0].no_ctx = strstr(v, "client_no_context_takeover") != NULL;
			wc->h[1].no_ctx = strstr(v, "server_no_context_takeover") != NULL;
		}
	}
	memmove(h->buf, h->buf + e, h->len - e);
	h->len -= e;
	h->phase = PH_FRAMES;
}

/* A whole message: inflate when compressed, hand to SIP. */
static void
message_done(struct cx_wrap *w, struct cx_tcp_conn *c, struct ws_conn *wc, int dir, struct ws_half *h,
	     uint64_t frame, int64_t ts)
{
	h->messages++;
	const uint8_t *d = h->msg;
	size_t n = h->mlen;
	uint8_t *out = NULL;
	if (h->msg_deflate) {
		if (!h->z_ready) {
			memset(&h->z, 0, sizeof(h->z));
			if (inflateInit2(&h->z, -15) != Z_OK)
				return;
			h->z_ready = true;
		}
		static const uint8_t tail[4] = { 0x00, 0x00, 0xff, 0xff };
		out = malloc(WS_MAX_MSG);
		if (!out)
			return;
		h->z.next_out = out;
		h->z.avail_out = WS_MAX_MSG;
		int rc = Z_OK;
		for (int part = 0; part < 2 && (rc == Z_OK || rc == Z_BUF_ERROR); part++) {
			h->z.next_in = (Bytef *)(part ? tail : d);
			h->z.avail_in = (uInt)(part ? 4 : n);
			rc = inflate(&h->z, Z_SYNC_FLUSH);
			if (h->z.avail_out == 0)
				break;
		}
		size_t got = WS_MAX_MSG - h->z.avail_out;
		if ((rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) || h->z.avail_out == 0) {
			err(w, h, frame, "inflate", "a permessage-deflate message does not inflate (or exceeds 256 KiB)");
			inflateReset(&h->z);
			free(out);
			return;
		}
		if (h->no_ctx)
			inflateReset(&h->z);
		h->deflated++;
		d = out;
		n = got;
	}
	if (cx_sip_looks_like(d, n)) {
		h->sip++;
		struct cx_sip_origin o = { .src = c->addr[dir], .dst = c->addr[!dir], .sport = c->port[dir],
					   .dport = c->port[!dir],
					   /* owner TLS: the inner connection of tls.c's plaintext */
					   .transport = c->owner == CX_TCP_TLS ? "WSS" : "WS", .frame = frame,
					   .ts_ns = ts, .hep = false };
		cx_stats_add(w->ctx->stats, "proto.websocket_sip", 1);
		cx_sip_on_wrapped(w->ctx->sip, d, n, &o);
	} else {
		cx_stats_add(w->ctx->stats, "proto.websocket_other", 1);
	}
	(void)wc;
	free(out);
}

static bool
msg_append(struct ws_half *h, const uint8_t *d, size_t n, const uint8_t key[4], bool mask, size_t koff)
{
	if (h->msg_dropped)
		return false;
	if (h->mlen + n > WS_MAX_MSG) {
		h->msg_dropped = true;
		return false;
	}
	if (!h->msg && !(h->msg = malloc(WS_MAX_MSG)))
		return false;
	for (size_t i = 0; i < n; i++)
		h->msg[h->mlen + i] = d[i] ^ (mask ? key[(koff + i) & 3] : 0);
	h->mlen += n;
	return true;
}

/* Parse as many frames as are complete. */
static void
frames(struct cx_wrap *w, struct cx_tcp_conn *c, struct ws_conn *wc, int dir, struct ws_half *h,
       uint64_t frame, int64_t ts)
{
	size_t off = 0;
	while (h->phase == PH_FRAMES && off < h->len) {
		struct ws_hdr f;
		if (!parse_hdr(h->buf + off, h->len - off, &f))
			break;
		if (f.len > WS_MAX_FRAME || f.rsv23 || (f.op > 2 && f.op < 8) || f.op > 10) {
			err(w, h, frame, f.len > WS_MAX_FRAME ? "frame_too_long" : "frame_header",
			    f.len > WS_MAX_FRAME ? "frame length beyond any SIP message (or the capture); "
			    "looking for the next frame that holds SIP" : "reserved bits or opcode set");
			off++;
			h->phase = PH_LOST;
			break;
		}
		if (h->len - off - f.hlen < f.len)
			break; /* wait for the rest */
		const uint8_t *pl = h->buf + off + f.hlen;
		size_t pn = (size_t)f.len;
		h->frames++;
		if (f.op >= 8) {
			h->control++;
			if (!f.fin || pn > 125)
				err(w, h, frame, "control", "control frame fragmented or longer than 125 bytes");
			if (f.op == 8) {
				wc->closed_frame[dir] = true;
				if (pn >= 2)
					wc->close_code[dir] = (uint16_t)(((pl[0] ^ (f.mask ? f.key[0] : 0)) << 8) |
									 (pl[1] ^ (f.mask ? f.key[1] : 0)));
			}
		} else {
			if (f.op == 0 && !h->in_msg) {
				err(w, h, frame, "continuation", "continuation frame without a message begun");
			} else {
				if (f.op != 0) {
					if (h->in_msg)
						err(w, h, frame, "interleaved", "new message before the last one's final fragment");
					h->in_msg = true;
					h->mlen = 0;
					h->msg_dropped = false;
					h->msg_deflate = f.rsv1;
					h->msg_frame = frame;
					h->msg_start = h->sp.total - h->len + off;
					if (f.rsv1)
						wc->deflate = true;
				}
				msg_append(h, pl, pn, f.key, f.mask, 0);
				if (f.fin) {
					h->in_msg = false;
					if (h->msg_dropped)
						err(w, h, frame, "message_too_long", "message longer than 256 KiB dropped");
					else {
						/* the message takes every segment that carried it */
						cx_callpcap_carry(w->ctx->cpcap, &h->sp, h->msg_start);
						message_done(w, c, wc, dir, h, frame, ts);
						cx_callpcap_carry_end(w->ctx->cpcap);
					}
				}
			}
		}
		off += f.hlen + pn;
	}
	memmove(h->buf, h->buf + off, h->len - off);
	h->len -= off;
}

static void
resync(struct ws_half *h)
{
	for (size_t i = 0; i + 2 <= h->len; i++) {
		if (sip_frame_at(h->buf + i, h->len - i)) {
			memmove(h->buf, h->buf + i, h->len - i);
			h->len -= i;
			h->phase = PH_FRAMES;
			h->in_msg = false;
			return;
		}
	}
	if (h->len > WS_RESYNC_KEEP) {
		memmove(h->buf, h->buf + h->len - WS_RESYNC_KEEP, WS_RESYNC_KEEP);
		h->len = WS_RESYNC_KEEP;
	}
}

void
cx_ws_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
	       const uint8_t *d, size_t n)
{
	struct ws_conn *wc = c->user;
	if (!wc) {
		if (!(wc = c->user = calloc(1, sizeof(*wc))))
			return;
		/* claimed on an Upgrade request, or on a frame (upgrade not captured) */
		int ph = (n >= 4 && !memcmp(d, "GET ", 4)) ? PH_HTTP : PH_FRAMES;
		wc->h[0].phase = wc->h[1].phase = ph;
		if (ph == PH_HTTP && dir == 1)
			wc->h[0].phase = PH_FRAMES;
	}
	struct ws_half *h = &wc->h[dir];
	if (h->len + n > WS_MAX_FRAME + 16 + WS_MAX_HTTP) {
		err(w, h, frame, "overflow", "buffer limit reached without a complete frame");
		h->len = 0;
		cx_cp_spans_release(&h->sp, h->sp.total);
		h->phase = PH_LOST;
		if (n > WS_MAX_FRAME)
			return;
	}
	if (h->len + n > h->cap) {
		size_t nc = h->cap ? h->cap : 4096;
		while (nc < h->len + n)
			nc *= 2;
		uint8_t *nb = realloc(h->buf, nc);
		if (!nb)
			return;
		h->buf = nb;
		h->cap = nc;
	}
	memcpy(h->buf + h->len, d, n);
	h->len += n;
	cx_cp_spans_add(w->ctx->cpcap, &h->sp, n);
	for (int round = 0; round < 4; round++) {
		int before = h->phase;
		if (h->phase == PH_HTTP)
			read_http(w, wc, dir, h, frame);
		if (h->phase == PH_FRAMES)
			frames(w, c, wc, dir, h, frame, ts);
		if (h->phase == PH_LOST)
			resync(h);
		if (h->phase == before && h->phase != PH_LOST)
			break;
		if (h->phase == PH_LOST)
			break;
	}
	/* what is still buffered, and a message begun, keep their frames */
	uint64_t keep = h->sp.total - h->len;
	if (h->in_msg && h->msg_start < keep)
		keep = h->msg_start;
	cx_cp_spans_release(&h->sp, keep);
}

void
cx_ws_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	(void)w;
	(void)missing;
	struct ws_conn *wc = c->user;
	if (!wc)
		return;
	wc->h[dir].len = 0;
	wc->h[dir].in_msg = false;
	wc->h[dir].phase = PH_LOST;
	cx_cp_spans_release(&wc->h[dir].sp, wc->h[dir].sp.total);
	/* the deflate window lost bytes too */
	if (wc->h[dir].z_ready)
		inflateReset(&wc->h[dir].z);
}

void
cx_ws_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c)
{
	struct ws_conn *wc = c->user;
	if (!wc)
		return;
	if (!w->ws_conns)
		w->ws_conns = json_object_new_array();
	if (json_object_array_length(w->ws_conns) < WRAP_MAX_LISTED) {
		char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "tcp_connection", json_object_new_int64((int64_t)c->id));
		json_object_object_add(o, "client", json_object_new_string(cx_endpoint_str(&c->addr[0], c->port[0], a)));
		json_object_object_add(o, "server", json_object_new_string(cx_endpoint_str(&c->addr[1], c->port[1], b)));
		json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)c->first_frame));
		json_object_object_add(o, "over_tls", json_object_new_boolean(c->owner == CX_TCP_TLS));
		json_object_object_add(o, "upgrade_seen", json_object_new_boolean(wc->upgrade_seen));
		json_object_object_add(o, "path", wc->upgrade_seen ? json_object_new_string(wc->path) : NULL);
		json_object_object_add(o, "protocol", wc->protocol[0] ? json_object_new_string(wc->protocol) : NULL);
		json_object_object_add(o, "permessage_deflate", json_object_new_boolean(wc->deflate));
		const char *dn[2] = { "client_to_server", "server_to_client" };
		for (int d = 0; d < 2; d++) {
			struct ws_half *h = &wc->h[d];
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "frames", json_object_new_int64((int64_t)h->frames));
			json_object_object_add(x, "messages", json_object_new_int64((int64_t)h->messages));
			json_object_object_add(x, "sip", json_object_new_int64((int64_t)h->sip));
			json_object_object_add(x, "control", json_object_new_int64((int64_t)h->control));
			json_object_object_add(x, "deflated", json_object_new_int64((int64_t)h->deflated));
			json_object_object_add(x, "errors", json_object_new_int64((int64_t)h->errors));
			json_object_object_add(x, "close_code", wc->closed_frame[d] ? json_object_new_int(wc->close_code[d]) : NULL);
			json_object_object_add(o, dn[d], x);
		}
		json_object_array_add(w->ws_conns, o);
	} else {
		w->ws_conns_dropped++;
	}
	if (wc->upgrade_seen && wc->switched && strcasecmp(wc->protocol, "sip"))
		cx_stats_add(w->ctx->stats, "proto.websocket_not_sip_protocol", 1);
	for (int d = 0; d < 2; d++) {
		if (wc->h[d].in_msg || wc->h[d].len)
			cx_stats_add(w->ctx->stats, "error.websocket.incomplete_at_close", 1);
		if (wc->h[d].z_ready)
			inflateEnd(&wc->h[d].z);
		free(wc->h[d].buf);
		free(wc->h[d].msg);
		cx_cp_spans_free(&wc->h[d].sp);
	}
	free(wc);
	c->user = NULL;
}
