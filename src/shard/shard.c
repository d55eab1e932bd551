/* A shard's own share of the report-wide state (doc/distributed.md):
 * counters and findings from its first owned frame to its last (the
 * last shard: to the end of the capture, its finish included), written
 * to shard.json beside its outputs for callextract merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/shard.h"
#include "callextract/sip.h"
#include "util/text.h"

void
cx_shard_state_free(struct cx_shard_state *st)
{
	json_object_put(st->before);
	json_object_put(st->counters);
	json_object_put(st->findings);
	json_object_put(st->kinds);
	json_object_put(st->own_file);
	if (st->names_log)
		fclose(st->names_log);
	memset(st, 0, sizeof(*st));
}

void
cx_shard_begin(struct cx_shard_state *st, struct cx_ctx *ctx)
{
	/* the host table's changes in its own frames, for the merge to
	 * replay (names.h); a table it cannot log is reported at the end */
	st->names_log = cx_outdir_fopen(ctx->out, "shard.names", "wb");
	st->names_failed = !st->names_log;
	cx_names_set_log(ctx->names, st->names_log);
	/* the first shard of the set has nothing before it: what was counted
	 * before its first frame (key logs) is its own */
	if (ctx->cfg->shard.own_first == 1) {
		st->before = json_object_new_object();
		return;
	}
	st->before = cx_stats_flat(ctx->stats);
	cx_findings_clear(ctx->findings);
}

/* Counters created or moved since cx_shard_begin: others were made by
 * the warm-up, whose frames are another shard's. */
void
cx_shard_end(struct cx_shard_state *st, struct cx_ctx *ctx, bool finished)
{
	if (st->names_log) {
		cx_names_set_log(ctx->names, NULL);
		if (ferror(st->names_log) | fclose(st->names_log))
			st->names_failed = true;
		st->names_log = NULL;
	}
	if (st->counters || !st->before)
		return;
	struct json_object *now = cx_stats_flat(ctx->stats);
	st->counters = json_object_new_object();
	json_object_object_foreach(now, k, v) {
		struct json_object *b;
		int64_t n = json_object_get_int64(v);
		if (json_object_object_get_ex(st->before, k, &b)) {
			int64_t d = n - json_object_get_int64(b);
			if (d == 0)
				continue;
			n = d;
		}
		json_object_object_add(st->counters, k, json_object_new_int64(n));
	}
	json_object_put(now);
	st->findings = json_object_new_array();
	enum cx_severity sev;
	const char *kind, *msg;
	uint64_t frame;
	static const char *sevn[] = { "info", "low", "medium", "high" };
	for (size_t i = 0; cx_findings_get(ctx->findings, i, &sev, &kind, &frame, &msg); i++) {
		/* the message as it was made: its bytes (from packets) in hex, so
		 * that the merge adds the same text the single pass would */
		size_t l = strlen(msg);
		char *hex = malloc(2 * l + 1);
		if (!hex)
			continue;
		cx_hex((const uint8_t *)msg, l, hex);
		struct json_object *e = json_object_new_array();
		json_object_array_add(e, json_object_new_string(sevn[sev]));
		json_object_array_add(e, json_object_new_string(kind));
		json_object_array_add(e, json_object_new_int64((int64_t)frame));
		json_object_array_add(e, json_object_new_string(hex));
		json_object_array_add(st->findings, e);
		free(hex);
	}
	st->kinds = cx_findings_kinds_json(ctx->findings);
	st->finished = finished;
}

int
cx_shard_write(struct cx_shard_state *st, struct cx_ctx *ctx, bool stopped_early)
{
	const struct cx_shard *sh = &ctx->cfg->shard;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "callextract_shard", json_object_new_int(1));
	json_object_object_add(o, "frames_before", json_object_new_int64((int64_t)sh->frames_before));
	json_object_object_add(o, "origin_ts", json_object_new_int64(sh->origin_ts));
	json_object_object_add(o, "own_first", json_object_new_int64((int64_t)sh->own_first));
	json_object_object_add(o, "own_last", json_object_new_int64((int64_t)sh->own_last));
	json_object_object_add(o, "own_frames_read", json_object_new_int64((int64_t)st->own_read));
	json_object_object_add(o, "own_max_ts", json_object_new_int64(st->own_max_ts));
	json_object_object_add(o, "own_file", json_object_get(st->own_file));
	/* counters and findings to the end of the capture, finish included:
	 * only the shard that holds the capture's last frame */
	json_object_object_add(o, "to_the_end", json_object_new_boolean(st->finished));
	json_object_object_add(o, "stopped_early", json_object_new_boolean(stopped_early));
	json_object_object_add(o, "uncertain", json_object_new_int64((int64_t)ctx->shard_uncertain));
	json_object_object_add(o, "uncertain_frame", ctx->shard_uncertain ?
			       json_object_new_int64((int64_t)ctx->shard_uncertain_frame) : NULL);
	/* a call is finished once, whichever shard's frames its linger ends
	 * in: the shard that owns it counts it, follow-through and finish
	 * included */
	if (st->counters)
		json_object_object_add(st->counters, "lifecycle.calls_finished",
				       json_object_new_int64((int64_t)cx_sip_owned_finished(ctx->sip)));
	json_object_object_add(o, "counters", json_object_get(st->counters));
	json_object_object_add(o, "findings", json_object_get(st->findings));
	json_object_object_add(o, "finding_kinds", json_object_get(st->kinds));
	FILE *f = cx_outdir_fopen(ctx->out, "shard.json", "w");
	int rc = -1;
	if (st->names_failed) {
		json_object_put(o);
		if (f)
			fclose(f);
		return -1;
	}
	if (f) {
		const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		rc = fputs(t, f) < 0 || fputc('\n', f) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
	}
	json_object_put(o);
	return rc;
}
