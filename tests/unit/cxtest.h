/* Helpers shared by the criterion tests: run the whole pipeline on a
 * capture and return the parsed report. */
#ifndef CXTEST_H
#define CXTEST_H

#include <json-c/json.h>
#include <stddef.h>

/* Absolute path of a file in the source tree ("fixtures/x.pcap") or in the
 * shared corpus ("corpus:irontec__sngrep/tests/aaa.pcap"). Static buffer. */
const char *cxt_path(const char *rel);
/* True if the path exists (corpus captures may be absent). */
int cxt_exists(const char *path);

/* Runs callextract on one capture into a fresh temp dir with extra CLI-like
 * settings applied by the callback (may be NULL). Returns the parsed
 * report.json (owned: json_object_put) and stores the exit code and the
 * output dir (static buffer) if asked. */
struct cx_config;
struct json_object *cxt_run(const char *capture, void (*tweak)(struct cx_config *),
			    int *exit_code, const char **outdir);

/* The same, frame by frame through cx_ctx_frame, into dir (a mkdtemp
 * template, filled in): hook(ctx, ts, arg) runs before each frame (ts: its
 * timestamp) and once more after the last (ts INT64_MAX), before the end
 * of the capture is processed. tweak may be NULL. Returns what
 * cx_ctx_finish returned, or -1 if the capture or the context could not be
 * had. */
struct cx_ctx;
int cxt_drive(const char *capture, void (*tweak)(struct cx_config *), char *dir,
	      void (*hook)(struct cx_ctx *ctx, int64_t ts, void *arg), void *arg);

/* Reads a whole file below a directory; owned, NUL-terminated; NULL if absent. */
char *cxt_slurp(const char *dir, const char *rel, size_t *len);

/* json_object_object_get with a dotted path ("capture.frames"). Borrowed. */
struct json_object *cxt_get(struct json_object *o, const char *dotted);
/* The integer at a dotted path, -1 when absent. */
long cxt_num(struct json_object *o, const char *dotted);
/* The string at a dotted path (borrowed), "-" when absent or null. */
const char *cxt_str(struct json_object *o, const char *dotted);

#endif
