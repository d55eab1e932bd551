/* Test helpers: paths, whole-pipeline runs, JSON lookups. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "callextract/callextract.h"
#include "callextract/ctx.h"
#include "callextract/outdir.h"
#include "capture/source.h"
#include "cxtest.h"

const char *
cxt_path(const char *rel)
{
	static char buf[4096];
	const char *src = getenv("CX_SRCDIR");
	if (!src)
		src = ".";
	if (!strncmp(rel, "corpus:", 7))
		snprintf(buf, sizeof(buf), "%s/../shared/corpus/%s", src, rel + 7);
	else
		snprintf(buf, sizeof(buf), "%s/%s", src, rel);
	return buf;
}

int
cxt_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

char *
cxt_slurp(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return b;
}

/* A configuration for a test run into dir: quiet, then tweaked. */
static void
test_config(struct cx_config *cfg, const char *dir, void (*tweak)(struct cx_config *))
{
	static int global_done;
	if (!global_done) {
		cx_global_init();
		global_done = 1;
	}
	cx_config_defaults(cfg);
	cfg->outdir = dir;
	cfg->verbosity = -1;
	if (tweak)
		tweak(cfg);
}

int
cxt_drive(const char *capture, void (*tweak)(struct cx_config *), char *dir,
	  void (*hook)(struct cx_ctx *ctx, int64_t ts, void *arg), void *arg)
{
	if (!mkdtemp(dir))
		return -1;
	struct cx_config cfg;
	test_config(&cfg, dir, tweak);
	struct cx_outdir *out;
	const char *why;
	if (cx_outdir_open(&out, dir, 1, &why) < 0)
		return -1;
	struct cx_ctx *ctx;
	struct cx_source *src;
	char err[256];
	if (cx_ctx_new(&ctx, &cfg, out) < 0) {
		cx_outdir_close(out);
		return -1;
	}
	if (cx_source_open_file(&src, capture, err, sizeof(err)) < 0) {
		cx_ctx_free(ctx);
		cx_outdir_close(out);
		return -1;
	}
	int lt;
	int64_t ts;
	const uint8_t *d;
	uint32_t cap, wire;
	bool timeout;
	while (cx_source_next(src, &lt, &ts, &d, &cap, &wire, &timeout, err, sizeof(err)) == 1) {
		if (hook)
			hook(ctx, ts, arg);
		cx_ctx_frame(ctx, lt, ts, d, cap, wire);
	}
	if (hook)
		hook(ctx, INT64_MAX, arg);
	cx_source_close(src);
	int rc = cx_ctx_finish(ctx, NULL);
	cx_ctx_free(ctx);
	cx_outdir_close(out);
	return rc;
}

struct json_object *
cxt_run(const char *capture, void (*tweak)(struct cx_config *), int *exit_code,
	const char **outdir)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "/tmp/cxtest-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	struct cx_config cfg;
	test_config(&cfg, dir, tweak);
	const char *inputs[1] = { capture };
	struct cx_run_opts opts = { inputs, 1, NULL, NULL, NULL };
	int rc = cx_run(&cfg, &opts);
	if (exit_code)
		*exit_code = rc;
	if (outdir)
		*outdir = dir;
	char path[512];
	snprintf(path, sizeof(path), "%s/report.json", dir);
	return json_object_from_file(path);
}

struct json_object *
cxt_get(struct json_object *o, const char *dotted)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dotted);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		struct json_object *next = NULL;
		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long idx = strtol(tok, &end, 10);
			o = (*end == '\0') ? json_object_array_get_idx(o, (size_t)idx) : NULL;
			continue;
		}
		if (!json_object_object_get_ex(o, tok, &next))
			return NULL;
		o = next;
	}
	return o;
}

long
cxt_num(struct json_object *o, const char *dotted)
{
	struct json_object *v = cxt_get(o, dotted);
	return v ? (long)json_object_get_int64(v) : -1;
}

const char *
cxt_str(struct json_object *o, const char *dotted)
{
	struct json_object *v = cxt_get(o, dotted);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : "-";
}
