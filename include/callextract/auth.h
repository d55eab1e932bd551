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
struct cx_jsonw;

struct cx_auth *cx_auth_new(struct cx_ctx *ctx);
void cx_auth_free(struct cx_auth *a);

/* Every SIP message (requests and responses), in capture order. Returns
 * how many digest (Proxy-)Authorization answers the message carried and
 * were kept (0 for a retransmission: it is skipped; 0 for a response). The
 * dialog module counts its dialog's answers with it. */
size_t cx_auth_on_sip(struct cx_auth *a, const struct cx_sip_msg_view *m);

/* The SIP dialog with this Call-ID is finished. Its exchanges and
 * challenges are written to spill files below the output directory
 * (spill/auth-exchanges, spill/auth-challenges; slot = order of arrival)
 * and freed. Kept in memory: a bounded number of recent finished
 * challenges, so that another dialog reusing a nonce still pairs with
 * its challenge (misses past the bound: stats
 * "error.auth.challenges_forgotten"), and small per-nonce and per-challenge
 * bookkeeping. A final response arriving after this for one of those
 * requests is no longer its verdict. Unknown Call-IDs are ignored. */
void cx_auth_dialog_done(struct cx_auth *a, const char *call_id);

/* A cleartext credential seen elsewhere. verdict: "accepted", "rejected",
 * "unknown". Strings copied. */
void cx_auth_add_cleartext(struct cx_auth *a, const char *proto, const char *user,
			   const char *password, const char *verdict, uint64_t frame,
			   int64_t ts_ns, const struct cx_addr *client, uint16_t cport,
			   const struct cx_addr *server, uint16_t sport);

/* End of capture: hashcat export, wordlist audit, findings, summary.
 * Exchanges and challenges of dialogs never finished stay in memory until
 * then; spilled ones are read back one record at a time (all of the
 * auditable ones at once with a wordlist or --password). */
void cx_auth_finish(struct cx_auth *a);
/* Writes the "auth" member of report.json through w, element by element,
 * in order of arrival (spilled and in-memory records merged). */
void cx_auth_report_stream(struct cx_auth *a, struct cx_jsonw *w);
/* The same section added to root as one object (tests; memory
 * proportional to the section). */
void cx_auth_report(struct cx_auth *a, struct json_object *root);

/* The lines of credentials/summary.txt, appended at buf + *o (n: its
 * size; nothing past it): the head, one per digest answer, one per
 * cleartext credential. NULL strings print as "?" (algorithm: MD5). Also
 * used by callextract merge, which writes the file from the merged
 * report's values. */
void cx_auth_summary_head(char *buf, size_t n, size_t *o, size_t nex, size_t nch, size_t nct, size_t lines);
void cx_auth_summary_answer(char *buf, size_t n, size_t *o, uint64_t frame, const char *method,
			    const char *user, const char *realm, const char *alg, const char *verdict,
			    const char *password);
void cx_auth_summary_cleartext(char *buf, size_t n, size_t *o, uint64_t frame, const char *proto,
			       const char *user, const char *password, const char *verdict);
/* Room kept free at the end of the summary text: a line is not started
 * with less than this left. */
#define CX_AUTH_SUMMARY_MAX 16384
#define CX_AUTH_SUMMARY_LINE 512

#endif
