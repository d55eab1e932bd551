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
/* Live dialogs begun in the frames this run owns (cx_config_owns). */
uint32_t cx_dialogs_owned_live(const struct cx_dialogs *d);
/* Owned dialogs finished so far: every dialog finishes once, in whichever
 * shard's frames its linger ends, so a shard counts its own. */
uint64_t cx_dialogs_owned_finished(const struct cx_dialogs *d);
/* The dialog of the last message carried this many digest answers. */
void cx_dialogs_note_auth(struct cx_dialogs *d, size_t answers);
/* Opens the spill of report entries (before the first message). 0 or -1. */
int cx_dialogs_begin(struct cx_dialogs *d);
/* About once a second of capture time: dialogs that are over and quiet
 * for the linger time, or idle for the idle timeout, are finished
 * (written out and freed; see doc/ARCHITECTURE.md, call lifecycle). */
void cx_dialogs_tick(struct cx_dialogs *d, int64_t now_ns);
/* End of capture: finishes every dialog still open; places the calls table. */
void cx_dialogs_finish(struct cx_dialogs *d);
/* SDP body (len bytes, need not be NUL-terminated) through the line
 * scanner that fills call.json's "sdp" entries, and osip2's parser (the
 * "osip_parsed" cross-check). Returns the session object and sets *media to
 * the m= sections (both owned: json_object_put; *media may be NULL). For
 * the fuzz target (tests/fuzz/fuzz_sdp.c); dialogs call it internally. */
struct json_object *cx_dialog_parse_sdp(const char *body, size_t len, struct json_object **media,
					bool *osip_ok);
struct cx_jsonw;
/* Writes the member "dialogs" from the spill, in index order. */
void cx_dialogs_report_stream(struct cx_dialogs *d, struct cx_jsonw *w);

#endif
