/* Findings: anything an analyst should be told about (a malformed message,
 * weak auth, hidden data, a cap that was hit). They go to report.json
 * "findings" and summary.txt. Owned by the cx_findings list. */
#ifndef CX_FINDINGS_H
#define CX_FINDINGS_H

#include <stdint.h>

struct cx_findings;
struct json_object;

enum cx_severity { CX_SEV_INFO = 0, CX_SEV_LOW, CX_SEV_MEDIUM, CX_SEV_HIGH };

/* Owned: free with cx_findings_free(). */
struct cx_findings *cx_findings_new(void);
void cx_findings_free(struct cx_findings *f);

/* kind: a stable machine-readable tag, e.g. "sip.unparsed", "auth.md5".
 * frame: 0 when not tied to a frame. The message is copied (printf style,
 * escaped when written). Findings past a cap per kind are only counted. */
void cx_findings_add(struct cx_findings *f, enum cx_severity sev, const char *kind,
		     uint64_t frame, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Number of findings added with this kind (including those past the cap). */
uint64_t cx_findings_count(const struct cx_findings *f, const char *kind);

/* New JSON array (owned by caller) of {severity, kind, frame, message}. */
struct json_object *cx_findings_to_json(const struct cx_findings *f);

/* Shards (doc/distributed.md). clear: forget every finding and count (a
 * shard's warm-up). kinds_json: [[kind, count], ...] in order of first
 * finding. add_listed: a listed finding again, from its JSON fields (-1:
 * unknown severity); add_unlisted: n more of kind that were not listed. */
void cx_findings_clear(struct cx_findings *f);
struct json_object *cx_findings_kinds_json(const struct cx_findings *f);
int cx_findings_add_listed(struct cx_findings *f, const char *sev, const char *kind, uint64_t frame,
			   const char *msg);
void cx_findings_add_unlisted(struct cx_findings *f, const char *kind, uint64_t n);

/* Iterate for summary writing; returns 0 at end. */
int cx_findings_get(const struct cx_findings *f, size_t i, enum cx_severity *sev,
		    const char **kind, uint64_t *frame, const char **msg);

#endif
