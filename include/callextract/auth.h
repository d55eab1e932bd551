/* Credentials: SIP digest challenges paired with their answers, exported
 * for hashcat/John, checked against wordlists; cleartext credentials (FTP,
 * Basic). Report key: "auth". Files: credentials/. */
#ifndef CX_AUTH_H
#define CX_AUTH_H

#include <stddef.h>

#include <stdint.h>
#include "callextract/packet.h"

struct cx_ctx;
struct cx_auth;
struct cx_sip_msg_view;
struct json_object;

struct cx_auth *cx_auth_new(struct cx_ctx *ctx);
void cx_auth_free(struct cx_auth *a);

/* Every SIP message (requests and responses), in capture order. */
void cx_auth_on_sip(struct cx_auth *a, const struct cx_sip_msg_view *m);

/* A cleartext credential seen elsewhere. verdict: "accepted", "rejected",
 * "unknown". Strings copied. */
void cx_auth_add_cleartext(struct cx_auth *a, const char *proto, const char *user,
			   const char *password, const char *verdict, uint64_t frame,
			   int64_t ts_ns, const struct cx_addr *client, uint16_t cport,
			   const struct cx_addr *server, uint16_t sport);

/* End of capture: verdicts, hashcat export, wordlist audit, findings. */
void cx_auth_finish(struct cx_auth *a);
/* Adds "auth" to root. */
void cx_auth_report(struct cx_auth *a, struct json_object *root);
/* How many (Proxy-)Authorization answers the dialog call_id carried. */
size_t cx_auth_in_dialog(const struct cx_auth *a, const char *call_id);

#endif
