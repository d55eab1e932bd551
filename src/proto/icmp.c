/* PLACEHOLDER until the around area lands. */
#include <stdlib.h>
#include "callextract/around.h"
struct cx_icmp { int unused; };
struct cx_icmp *cx_icmp_new(struct cx_ctx *ctx) { return calloc(1, sizeof(struct cx_icmp)); }
void cx_icmp_free(struct cx_icmp *i) { free(i); }
void cx_icmp_on_packet(struct cx_icmp *i, const struct cx_packet *p) {}
void cx_icmp_remember(struct cx_icmp *i, const struct cx_packet *p) {}
void cx_icmp_finish(struct cx_icmp *i) {}
void cx_icmp_report(struct cx_icmp *i, struct json_object *root) {}
