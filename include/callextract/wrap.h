/* Wrappers SIP travels in, each a room under the stream layer (src/wrap/):
 * HEP (capture agents' copies, hep.c), WebSocket (RFC 6455/7118, ws.c) and
 * TLS (tls.c: the handshake, and the records decrypted when a key log or a
 * pcapng Decryption Secrets Block holds the connection's secrets).
 * A wrapper takes a UDP datagram or owns a TCP connection (flow/tcp.c asks
 * the *_looks_like functions on its first bytes), unwraps, and hands each
 * SIP message to the SIP module (cx_sip_on_wrapped) with what it came in.
 * Report key: "wrappers" (HEP agents, WebSocket and TLS connections).
 *
 * struct cx_wrap is owned by the ctx; per-connection state hangs off
 * conn->user, owned by the wrapper and freed in its *_tcp_close. */
#ifndef CX_WRAP_H
#define CX_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"

struct cx_ctx;
struct cx_wrap;
struct cx_tcp_conn;
struct json_object;

/* Owned: cx_wrap_free(). */
struct cx_wrap *cx_wrap_new(struct cx_ctx *ctx);
void cx_wrap_free(struct cx_wrap *w);
/* End of capture: per-agent findings (HEP without an auth key). */
void cx_wrap_finish(struct cx_wrap *w);
/* Adds "wrappers" to holder. */
void cx_wrap_report(struct cx_wrap *w, struct json_object *holder);

/* ---- HEP (v1, v2, v3) ---- */
/* True when a UDP payload or a TCP stream's first bytes are HEP: "HEP3" with
 * a sane total length, or a v1/v2 fixed header whose payload looks like SIP. */
bool cx_hep_looks_like(const uint8_t *d, size_t n);
/* One UDP datagram already judged HEP (may hold several HEP3 messages). */
void cx_hep_on_udp(struct cx_wrap *w, const struct cx_packet *p);
void cx_hep_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame,
		     int64_t ts_ns, const uint8_t *d, size_t n);
void cx_hep_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing);
void cx_hep_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c);

/* ---- WebSocket ---- */
/* True when a TCP stream's first bytes are an HTTP Upgrade to WebSocket, or
 * (upgrade not captured) a WebSocket data frame whose payload is SIP. */
bool cx_ws_looks_like(const uint8_t *d, size_t n);
void cx_ws_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame,
		    int64_t ts_ns, const uint8_t *d, size_t n);
void cx_ws_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing);
void cx_ws_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c);

/* ---- TLS ---- */
/* --tls-keylog FILE: NSS key log lines into the key store (several calls
 * add up). -1 with err filled when the file cannot be read (the run goes on
 * without it; the report says so). path is borrowed until cx_wrap_free. */
int cx_wrap_tls_keylog(struct cx_wrap *w, const char *path, char *err, size_t errlen);
/* pcapng Decryption Secrets Block (type 0x0000000A): its secrets type and
 * data (borrowed for the call); TLS key log text goes to the key store,
 * other types are counted. */
#define CX_DSB_TLS_KEYLOG 0x544c534bu
void cx_wrap_tls_secrets(struct cx_wrap *w, uint32_t secrets_type, const uint8_t *d, size_t n);
/* True when a TCP stream's first bytes are a handshake record with a ClientHello. */
bool cx_tls_looks_like(const uint8_t *d, size_t n);
void cx_tls_tcp_data(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame,
		     int64_t ts_ns, const uint8_t *d, size_t n);
void cx_tls_tcp_gap(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing);
void cx_tls_tcp_close(struct cx_wrap *w, struct cx_tcp_conn *c);

#endif
