/* PLACEHOLDER until the media area lands. */
#include <stdlib.h>
#include "callextract/media.h"
struct cx_media { int unused; };
struct cx_media *cx_media_new(struct cx_ctx *ctx) { return calloc(1, sizeof(struct cx_media)); }
void cx_media_free(struct cx_media *m) { free(m); }
void cx_media_expect(struct cx_media *m, const struct cx_media_expect *e) {}
bool cx_media_on_udp(struct cx_media *m, const struct cx_packet *p) { return false; }
void cx_media_tick(struct cx_media *m, int64_t now) {}
void cx_media_finish(struct cx_media *m) {}
void cx_media_report(struct cx_media *m, struct json_object *root) {}
