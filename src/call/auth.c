/* PLACEHOLDER until the auth area lands. */
#include <stdlib.h>
#include "callextract/auth.h"
struct cx_auth { int unused; };
struct cx_auth *cx_auth_new(struct cx_ctx *ctx) { return calloc(1, sizeof(struct cx_auth)); }
void cx_auth_free(struct cx_auth *a) { free(a); }
void cx_auth_on_sip(struct cx_auth *a, const struct cx_sip_msg_view *m) {}
void cx_auth_add_cleartext(struct cx_auth *a, const char *proto, const char *user, const char *password, const char *verdict, uint64_t frame, int64_t ts_ns, const struct cx_addr *client, uint16_t cport, const struct cx_addr *server, uint16_t sport) {}
void cx_auth_finish(struct cx_auth *a) {}
void cx_auth_report(struct cx_auth *a, struct json_object *root) {}
