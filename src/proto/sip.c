/* PLACEHOLDER until the SIP area lands. */
#include <stdlib.h>
#include "callextract/sip.h"
struct cx_sip { int unused; };
struct cx_sip *cx_sip_new(struct cx_ctx *ctx) { (void)ctx; return calloc(1, sizeof(struct cx_sip)); }
void cx_sip_free(struct cx_sip *s) { free(s); }
bool cx_sip_looks_like(const uint8_t *d, size_t n) { (void)d; (void)n; return false; }
void cx_sip_on_udp(struct cx_sip *s, const struct cx_packet *p) { (void)s; (void)p; }
void cx_sip_tcp_data(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts, const uint8_t *d, size_t n) {}
void cx_sip_tcp_gap(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t m) {}
void cx_sip_tcp_close(struct cx_sip *s, struct cx_tcp_conn *c) {}
const char *cx_sip_call_dir(struct cx_sip *s, const char *cid) { return NULL; }
void cx_sip_tick(struct cx_sip *s, int64_t now) {}
void cx_sip_finish(struct cx_sip *s) {}
void cx_sip_report(struct cx_sip *s, struct json_object *root) {}
