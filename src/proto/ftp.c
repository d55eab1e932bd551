/* PLACEHOLDER until the around area lands. */
#include <stdlib.h>
#include "callextract/around.h"
struct cx_ftp { int unused; };
struct cx_ftp *cx_ftp_new(struct cx_ctx *ctx) { return calloc(1, sizeof(struct cx_ftp)); }
void cx_ftp_free(struct cx_ftp *f) { free(f); }
bool cx_ftp_claim_data(struct cx_ftp *f, const struct cx_tcp_conn *c) { return false; }
bool cx_ftp_looks_like(const struct cx_tcp_conn *c, int dir, const uint8_t *first, size_t len) { return false; }
void cx_ftp_tcp_data(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns, const uint8_t *data, size_t len) {}
void cx_ftp_tcp_gap(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t missing) {}
void cx_ftp_tcp_close(struct cx_ftp *f, struct cx_tcp_conn *c) {}
void cx_ftp_finish(struct cx_ftp *f) {}
void cx_ftp_report(struct cx_ftp *f, struct json_object *root) {}
