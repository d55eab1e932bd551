/* PLACEHOLDER until the around area lands. */
#include <stdlib.h>
#include "callextract/around.h"
struct cx_dns { int unused; };
struct cx_dns *cx_dns_new(struct cx_ctx *ctx) { return calloc(1, sizeof(struct cx_dns)); }
void cx_dns_free(struct cx_dns *d) { free(d); }
bool cx_dns_is_port(uint16_t port) { return port == 53 || port == 5353 || port == 5355; }
void cx_dns_on_udp(struct cx_dns *d, const struct cx_packet *p) {}
void cx_dns_tcp_data(struct cx_dns *d, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns, const uint8_t *data, size_t len) {}
void cx_dns_tcp_close(struct cx_dns *d, struct cx_tcp_conn *c) {}
void cx_dns_finish(struct cx_dns *d) {}
void cx_dns_report(struct cx_dns *d, struct json_object *root) {}
