/* callextract: VoIP call forensics from packet captures. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "callextract/callextract.h"
#include "callextract/shard.h"
#include "cli.h"
#include "explain.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
cmd_explain(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "callextract: usage: callextract explain CAPTURE FRAME\n");
		return CX_EXIT_USAGE;
	}
	char *end;
	errno = 0;
	unsigned long long frame = strtoull(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || frame == 0) {
		fprintf(stderr, "callextract: explain: '%s' is not a frame number (frames count from 1)\n", argv[3]);
		return CX_EXIT_USAGE;
	}
	return cx_explain(argv[2], (uint64_t)frame, stdout);
}

struct ixpos {
	struct cx_index ix;
	size_t pos;
};

static int
cmp_ix(const void *a, const void *b)
{
	const struct ixpos *x = a, *y = b;
	if (x->ix.sort_ts != y->ix.sort_ts)
		return x->ix.sort_ts < y->ix.sort_ts ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* callextract index FILE...: one JSON line per file, in the order the
 * single pass reads them, with the --shard argument of a shard that
 * starts at that file and owns its frames (doc/distributed.md). */
static int
cmd_index(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "callextract: usage: callextract index CAPTURE...\n");
		return CX_EXIT_USAGE;
	}
	size_t n = (size_t)argc - 2;
	struct ixpos *v = calloc(n, sizeof(*v));
	if (!v)
		return CX_EXIT_INTERNAL;
	int rc = CX_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char err[512];
		v[i].pos = i;
		if (cx_index_file(argv[i + 2], &v[i].ix, err, sizeof(err)) < 0) {
			fprintf(stderr, "callextract: %s\n", err);
			free(v);
			return CX_EXIT_INPUT;
		}
		if (v[i].ix.damaged) {
			fprintf(stderr, "callextract: %s: damaged after %llu records\n", argv[i + 2],
				(unsigned long long)v[i].ix.frames);
			rc = CX_EXIT_PARTIAL;
		}
	}
	qsort(v, n, sizeof(*v), cmp_ix);
	struct cx_index *ix = calloc(n, sizeof(*ix));
	if (!ix) {
		free(v);
		return CX_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < n; i++)
		ix[i] = v[i].ix;
	cx_index_chain(ix, n);
	for (size_t i = 0; i < n; i++) {
		const struct cx_shard *s = &ix[i].shard;
		char arg[160];
		snprintf(arg, sizeof(arg), "%llu,%lld,%lld,%lld,%llu-%llu", (unsigned long long)s->frames_before,
			 (long long)s->origin_ts, (long long)s->life_ns, (long long)s->prev_ts,
			 (unsigned long long)s->own_first, (unsigned long long)s->own_last);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(argv[v[i].pos + 2]));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)ix[i].frames));
		json_object_object_add(o, "first_ts", json_object_new_int64(ix[i].first_ts));
		json_object_object_add(o, "last_ts", json_object_new_int64(ix[i].last_ts));
		json_object_object_add(o, "sort_ts", json_object_new_int64(ix[i].sort_ts));
		json_object_object_add(o, "life_within", json_object_new_int64(ix[i].life_within));
		json_object_object_add(o, "shard", json_object_new_string(arg));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	free(ix);
	free(v);
	return rc;
}

/* callextract merge SHARD... -o DIR: report.json of a sharded run
 * (doc/distributed.md). */
static int
cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	const char **dirs = calloc((size_t)argc, sizeof(*dirs));
	size_t n = 0;
	if (!dirs)
		return CX_EXIT_INTERNAL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-') {
			out = NULL;
			n = 0;
			break;
		} else
			dirs[n++] = argv[i];
	}
	if (!out || !n) {
		fprintf(stderr, "callextract: usage: callextract merge SHARD_DIR... -o DIR\n");
		free(dirs);
		return CX_EXIT_USAGE;
	}
	if (mkdir(out, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "callextract: %s: %s\n", out, strerror(errno));
		free(dirs);
		return CX_EXIT_OUTPUT;
	}
	char err[512];
	int rc = cx_merge(dirs, n, out, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "callextract: merge: %s\n", err);
	free(dirs);
	return rc < 0 ? CX_EXIT_INPUT : CX_EXIT_OK;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "explain"))
		return cmd_explain(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "index"))
		return cmd_index(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return cmd_merge(argc, argv);

	struct cx_cli cli;
	int rc = cx_cli_parse(&cli, argc, argv);
	if (rc) {
		cx_cli_free(&cli);
		return rc;
	}
	if (cli.show_help) {
		cx_cli_usage(stdout);
		cx_cli_free(&cli);
		return CX_EXIT_OK;
	}
	if (cli.show_version) {
		printf("callextract %s\n", CX_VERSION);
		cx_cli_free(&cli);
		return CX_EXIT_OK;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cli.run.stop = &stop_flag;

	/* One WAV writer per concurrent stream: take the descriptors we may. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cx_global_init();
	rc = cx_run(&cli.cfg, &cli.run);
	cx_cli_free(&cli);
	return rc;
}
