/* Shards of a capture set (doc/distributed.md): the numbers a run that
 * starts at a file in the middle of the set needs so that it counts as
 * the single pass does. */
#ifndef CX_SHARD_H
#define CX_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "callextract/ctx.h"

struct cx_index {
	uint64_t frames;        /* records read */
	int64_t first_ts, last_ts; /* of its first and last record, in file order */
	int64_t sort_ts;        /* the time the single pass orders files by (INT64_MAX: empty) */
	int64_t life_within;    /* lifecycle clock advance from its first record to its last */
	bool damaged;           /* reading stopped at a damaged record */
	struct cx_shard shard;  /* filled by cx_index_chain: a shard that starts here
				   and owns this file's frames */
};

/* What a shard keeps of the report-wide state for the merge (shard.c). */
struct json_object;
struct cx_shard_state {
	struct json_object *before;   /* counters at its first owned frame */
	struct json_object *counters; /* owned: created or moved since then */
	struct json_object *findings, *kinds;
	struct json_object *own_file; /* capture.files entry of the file it owns */
	FILE *names_log;              /* shard.names: host table changes in its frames */
	bool names_failed;            /* it could not be written */
	uint64_t own_read;            /* owned frames read */
	int64_t own_max_ts;
	bool finished;                /* counters taken after the finish */
};
/* begin: about to read the first owned frame. end: about to read the
 * frame after the last owned one, or after the finish (finished). */
void cx_shard_begin(struct cx_shard_state *st, struct cx_ctx *ctx);
void cx_shard_end(struct cx_shard_state *st, struct cx_ctx *ctx, bool finished);
/* shard.json in the output directory. 0 or -1. */
int cx_shard_write(struct cx_shard_state *st, struct cx_ctx *ctx, bool stopped_early);
void cx_shard_state_free(struct cx_shard_state *st);

/* Reads every record of path. 0, or -1 with err set (not readable). */
int cx_index_file(const char *path, struct cx_index *ix, char *err, size_t errlen);

/* ix[0..n) are the set's files in the order a single pass reads them
 * (by first frame time, ties in the order given): fills each one's shard. */
void cx_index_chain(struct cx_index *ix, size_t n);

/* callextract merge (merge.c): report.json in outdir (which must exist)
 * from the shard output directories dirs[0..n), in any order (they are
 * put in the order of the frames they own). 0, or -1 with err set. */
int cx_merge(const char *const *dirs, size_t n, const char *outdir, char *err, size_t errlen);

#endif
