/* SIP dialogs and calls, fed one parsed message at a time by proto/sip.c. */
#ifndef CX_CALL_DIALOG_H
#define CX_CALL_DIALOG_H

#include <stddef.h>
#include "callextract/sip.h"

struct cx_ctx;
struct cx_dialogs;
struct json_object;

/* What proto/sip.c extracts beyond the public view. Borrowed for the call. */
struct cx_sip_extra {
	const char *from_display, *to_display;
	const char *user_agent, *server;
	const char *contact;
	const char *expires;          /* Expires header, or NULL */
	const char *content_type;     /* "application/sdp" */
	const char *via[8];           /* Via chain, topmost first, as text */
	size_t n_via;
	const char *record_route[8];
	size_t n_rr;
	const char *via_branch;       /* topmost */
	const char *subject;
};

struct cx_dialogs *cx_dialogs_new(struct cx_ctx *ctx);
void cx_dialogs_free(struct cx_dialogs *d);
/* One message. Returns the 1-based call index and sets *retransmission. */
uint32_t cx_dialogs_on_message(struct cx_dialogs *d, struct cx_sip_msg_view *v,
			       const struct cx_sip_extra *x);
const char *cx_dialogs_call_dir(struct cx_dialogs *d, const char *call_id);
void cx_dialogs_finish(struct cx_dialogs *d);
/* summary.txt sections; call after the media module has finished. */
void cx_dialogs_summarize(struct cx_dialogs *d);
void cx_dialogs_report(struct cx_dialogs *d, struct json_object *root);

#endif
