/* The whole job: open the inputs, read them as one capture in time order,
 * show progress, write the outputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/callextract.h"
#include "callextract/decode.h"
#include "callextract/media.h"
#include "callextract/outdir.h"
#include "callextract/shard.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "capture/pcapng.h"
#include "capture/readahead.h"
#include "capture/source.h"
#include "output/callpcap.h"

struct progress {
	bool on;
	double t0, last;
	uint64_t total;
};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
show_progress(struct progress *pr, struct cx_ctx *ctx, uint64_t done, bool final)
{
	double t = now_s();
	if (!pr->on || (!final && t - pr->last < 0.25))
		return;
	pr->last = t;
	double el = t - pr->t0;
	double rate = el > 0 ? (double)done / el : 0;
	fprintf(stderr, "\r\033[K%.1f MB, %llu frames, %llu calls, %llu SIP msgs, %llu RTP pkts, %.1f MB/s",
		(double)done / 1e6, (unsigned long long)ctx->frames,
		(unsigned long long)cx_stats_get(ctx->stats, "proto.sip_calls"),
		(unsigned long long)cx_stats_get(ctx->stats, "proto.sip"),
		(unsigned long long)cx_stats_get(ctx->stats, "proto.rtp"), rate / 1e6);
	if (pr->total && done <= pr->total && rate > 0)
		fprintf(stderr, ", %.0f%%, ETA %.0f s", 100.0 * (double)done / (double)pr->total,
			(double)(pr->total - done) / rate);
	if (final)
		fputc('\n', stderr);
}

/* By first frame time; files that start together in the order given, so
 * that the order is the same whatever the sort (and callextract index's). */
struct ordered {
	struct cx_source *s;
	size_t pos;
};

static int
cmp_first_ts(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int64_t tx = cx_source_first_ts(x->s), ty = cx_source_first_ts(y->s);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* --threads N: 1 keeps everything on one core besides the audio writer;
 * 0 (all cores) or more uses the read-ahead thread when there is a
 * second core. */
static bool
use_threads(const struct cx_config *cfg)
{
	if (cfg->threads == 1)
		return false;
	return cfg->threads >= 2 || sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

static void
dsb(void *w, uint32_t type, const uint8_t *d, size_t n)
{
	cx_wrap_tls_secrets(w, type, d, n);
}

/* Past its own frames a shard reads on only while something it owns can
 * still change: a call, an FTP session, a query or ping not answered yet. */
static bool
owned_live(const struct cx_ctx *ctx, int64_t ts)
{
	return cx_sip_owned_live(ctx->sip) || cx_ftp_owned_open(ctx->ftp) || cx_tcp_owned_unclaimed(ctx->tcp) ||
	       cx_dns_owned_pending(ctx->dns, ts) || cx_icmp_owned_pending(ctx->icmp, ts) ||
	       cx_media_owned_pending(ctx->media, ts);
}

int
cx_run(const struct cx_config *cfg, const struct cx_run_opts *opts)
{
	char err[512];
	int exit_code = CX_EXIT_OK;
	size_t n = opts->iface ? 1 : opts->n_inputs;
	struct cx_source **src = calloc(n ? n : 1, sizeof(*src));
	struct json_object *files = json_object_new_array();
	size_t nsrc = 0;
	if (!src)
		return CX_EXIT_INTERNAL;

	if (opts->iface) {
		if (cx_source_open_live(&src[0], opts->iface, opts->bpf, err, sizeof(err)) < 0) {
			fprintf(stderr, "callextract: %s\n", err);
			free(src);
			json_object_put(files);
			return CX_EXIT_INPUT;
		}
		nsrc = 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (cx_source_open_file(&src[nsrc], opts->inputs[i], err, sizeof(err)) < 0) {
				fprintf(stderr, "callextract: %s\n", err);
				struct json_object *fo = json_object_new_object();
				json_object_object_add(fo, "path", json_object_new_string(opts->inputs[i]));
				json_object_object_add(fo, "error", json_object_new_string(err));
				json_object_array_add(files, fo);
				exit_code = CX_EXIT_PARTIAL;
				continue;
			}
			nsrc++;
		}
		/* Rotated ring-buffer files are one capture: read them in time order. */
		struct ordered *o = calloc(nsrc, sizeof(*o));
		if (o) {
			for (size_t i = 0; i < nsrc; i++)
				o[i] = (struct ordered){ src[i], i };
			qsort(o, nsrc, sizeof(*o), cmp_first_ts);
			for (size_t i = 0; i < nsrc; i++)
				src[i] = o[i].s;
			free(o);
		}
	}
	if (nsrc == 0) {
		free(src);
		json_object_put(files);
		return CX_EXIT_INPUT;
	}

	struct cx_outdir *out = NULL;
	const char *why;
	if (cx_outdir_open(&out, cfg->outdir, cfg->force, &why) < 0) {
		fprintf(stderr, "callextract: %s: %s\n", cfg->outdir, why);
		for (size_t i = 0; i < nsrc; i++)
			cx_source_close(src[i]);
		free(src);
		json_object_put(files);
		return CX_EXIT_OUTPUT;
	}
	struct cx_ctx *ctx;
	if (cx_ctx_new(&ctx, cfg, out) < 0) {
		cx_outdir_close(out);
		for (size_t i = 0; i < nsrc; i++)
			cx_source_close(src[i]);
		free(src);
		json_object_put(files);
		return CX_EXIT_INTERNAL;
	}

	/* TLS secrets before the first frame: --tls-keylog files, then the
	 * pcapng inputs' Decryption Secrets Blocks (wherever they sit) */
	for (size_t i = 0; i < cfg->n_tls_keylogs; i++)
		if (cx_wrap_tls_keylog(ctx->wrap, cfg->tls_keylogs[i], err, sizeof(err)) < 0) {
			/* an input that could not be read, as a capture would be: exit 1 */
			fprintf(stderr, "callextract: --tls-keylog: %s (its keys are not used)\n", err);
			cx_stats_add(ctx->stats, "error.tls.keylog_unreadable", 1);
			exit_code = CX_EXIT_PARTIAL;
		}
	for (size_t i = 0; !opts->iface && i < opts->n_inputs; i++)
		if (cx_pcapng_secrets(opts->inputs[i], dsb, ctx->wrap, err, sizeof(err)) < 0)
			cx_stats_add(ctx->stats, "error.capture.secrets_block", 1);

	/* each call's capture: classic pcap when the inputs are pcap files of
	 * one link type, pcapng otherwise */
	bool ng = false;
	uint32_t snaplen = 0;
	int lt0 = -1;
	for (size_t i = 0; i < nsrc; i++) {
		int lt;
		bool png;
		uint32_t sl;
		cx_source_format(src[i], &lt, &png, &sl);
		ng |= png || (i && lt != lt0);
		lt0 = i ? lt0 : lt;
		snaplen = sl > snaplen ? sl : snaplen;
	}
	cx_callpcap_inputs(ctx->cpcap, ng, snaplen);

	struct progress pr = { cfg->progress, now_s(), 0, 0 };
	for (size_t i = 0; i < nsrc; i++)
		pr.total += cx_source_size(src[i]);
	uint64_t done_before = 0;
	bool shard_done = false;
	struct cx_shard_state shs = { 0 };
	size_t own_src = SIZE_MAX;
	for (size_t i = 0; i < nsrc && !shard_done; i++) {
		struct cx_source *s = src[i];
		int lt;
		int64_t ts;
		const uint8_t *d;
		uint32_t cap, wire;
		bool timeout = false;
		int rc = 0;
		uint64_t k = 0;
		/* With a second core, the file is read in a thread of its own
		 * while this one dissects (same frames, same order). */
		struct cx_readahead *ra = !opts->iface && use_threads(cfg) ? cx_readahead_start(s) : NULL;
		for (;;) {
			if (opts->stop && *opts->stop)
				break;
			if (ra) {
				rc = cx_readahead_next(ra, &lt, &ts, &d, &cap, &wire, err, sizeof(err));
				timeout = false;
			} else {
				rc = cx_source_next(s, &lt, &ts, &d, &cap, &wire, &timeout, err, sizeof(err));
			}
			if (rc == 1) {
				if (cfg->shard.on) {
					uint64_t next = ctx->frames + 1;
					if (next == cfg->shard.own_first) {
						cx_shard_begin(&shs, ctx);
						own_src = i;
					} else if (next == cfg->shard.own_last + 1) {
						cx_shard_end(&shs, ctx, false);
					}
					/* past its own frames, a shard reads on only
					 * while a call it owns is open */
					if (next > cfg->shard.own_last && !owned_live(ctx, ts)) {
						shard_done = true;
						break;
					}
					if (next >= cfg->shard.own_first && next <= cfg->shard.own_last) {
						if (!shs.own_read++ || ts > shs.own_max_ts)
							shs.own_max_ts = ts;
					}
				}
				cx_ctx_frame(ctx, lt, ts, d, cap, wire);
				if ((++k & 1023) == 0)
					show_progress(&pr, ctx, done_before + (ra ? cx_readahead_pos(ra) : cx_source_pos(s)), false);
				continue;
			}
			if (rc == 0 && timeout) {
				show_progress(&pr, ctx, done_before + cx_source_pos(s), false);
				continue;
			}
			break;
		}
		cx_readahead_stop(ra);
		if (rc < 0) {
			fprintf(stderr, "%scallextract: %s\n", pr.on ? "\n" : "", err);
			cx_source_set_error(s, err);
			cx_stats_add(ctx->stats, "error.capture.damaged", 1);
			exit_code = CX_EXIT_PARTIAL;
		}
		done_before += cx_source_pos(s);
	}
	show_progress(&pr, ctx, done_before, true);
	if (opts->stop && *opts->stop && !opts->iface) {
		/* a file run cut short: what was read is finished and written */
		fprintf(stderr, "callextract: interrupted after %llu frames: finishing the open calls and writing the report\n",
			(unsigned long long)ctx->frames);
		cx_stats_add(ctx->stats, "error.capture.interrupted", 1);
		if (exit_code == CX_EXIT_OK)
			exit_code = CX_EXIT_PARTIAL;
	}

	for (size_t i = 0; i < nsrc; i++) {
		struct json_object *fr = cx_source_report(src[i]);
		if (i == own_src)
			shs.own_file = json_object_get(fr);
		json_object_array_add(files, fr);
		cx_source_close(src[i]);
	}
	free(src);
	struct json_object *cap = json_object_new_object();
	json_object_object_add(cap, "files", files);
	/* Union of link types, in order of appearance. */
	struct json_object *lts = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *l;
		if (!json_object_object_get_ex(json_object_array_get_idx(files, i), "link_types", &l))
			continue;
		for (size_t j = 0; j < json_object_array_length(l); j++) {
			const char *name = json_object_get_string(json_object_array_get_idx(l, j));
			bool seen = false;
			for (size_t m = 0; m < json_object_array_length(lts); m++)
				seen |= !strcmp(name, json_object_get_string(json_object_array_get_idx(lts, m)));
			if (!seen)
				json_object_array_add(lts, json_object_new_string(name));
		}
	}
	json_object_object_add(cap, "link_types", lts);
	uint64_t bytes = 0;
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *b;
		if (json_object_object_get_ex(json_object_array_get_idx(files, i), "bytes", &b))
			bytes += (uint64_t)json_object_get_int64(b);
	}
	json_object_object_add(cap, "bytes", json_object_new_int64((int64_t)bytes));
	if (cx_ctx_finish(ctx, cap) < 0)
		exit_code = CX_EXIT_OUTPUT;
	if (cfg->shard.on) {
		/* no frame after its own: it holds the end of the capture */
		cx_shard_end(&shs, ctx, true);
		if (cx_shard_write(&shs, ctx, shard_done) < 0)
			exit_code = CX_EXIT_OUTPUT;
		cx_shard_state_free(&shs);
	}
	if (ctx->frames == 0 && exit_code == CX_EXIT_OK)
		cx_log(ctx, CX_LOG_WARN, "the capture holds no frames");
	cx_ctx_free(ctx);
	/* last: every writer has finished */
	if (cx_outdir_manifest(out, "SHA256SUMS") < 0) {
		fprintf(stderr, "callextract: %s/SHA256SUMS: cannot write the manifest\n", cx_outdir_path(out));
		exit_code = CX_EXIT_OUTPUT;
	}
	cx_outdir_close(out);
	return exit_code;
}
