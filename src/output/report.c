/* End of capture: finish every module in dependency order, then write
 * report.json and summary.txt. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/html.h"
#include "callextract/media.h"
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/sip.h"
#include "callextract/spill.h"
#include "callextract/summary.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "packet/defrag.h"
#include "util/text.h"

static const char *contract_keys[] = { "capture", "dialogs", "streams", "auth", "dns",
				       "icmp", "ftp", "findings", "hosts", "conversations" };

struct report_writer {
	struct cx_jsonw w;
	uint32_t written;        /* contract keys already out, by index */
};

static void
mark(struct report_writer *w, const char *key)
{
	for (size_t i = 0; i < sizeof(contract_keys) / sizeof(*contract_keys); i++)
		if (!strcmp(key, contract_keys[i]))
			w->written |= 1u << i;
}

/* Writes every key of holder as a top-level member of report.json, then
 * frees holder. */
static void
put_sections(struct report_writer *w, struct json_object *holder)
{
	json_object_object_foreach(holder, key, val) {
		cx_jsonw_member(&w->w, key, json_object_get(val));
		mark(w, key);
	}
	json_object_put(holder);
}

/* The options that shape what is written (not those that only change how
 * fast: --threads, --progress), so two runs that must match do. */
static struct json_object *
options_json(const struct cx_config *c)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "audio", json_object_new_boolean(!c->no_audio));
	json_object_object_add(o, "linger_ms", json_object_new_int64(c->linger_ms));
	json_object_object_add(o, "call_idle_s", json_object_new_int64(c->call_idle_s));
	json_object_object_add(o, "max_silence_ms", json_object_new_int64(c->max_silence_ms));
	json_object_object_add(o, "max_tcp_buffer", json_object_new_int64(c->max_tcp_buffer));
	json_object_object_add(o, "max_frag_bytes", json_object_new_int64(c->max_frag_bytes));
	json_object_object_add(o, "flow_timeout_s", json_object_new_int64(c->flow_timeout_s));
	struct json_object *wl = json_object_new_array();
	for (size_t i = 0; i < c->n_wordlists; i++)
		json_object_array_add(wl, json_object_new_string(c->wordlists[i]));
	json_object_object_add(o, "wordlists", wl);
	/* the guesses themselves stay out of the report */
	json_object_object_add(o, "passwords_given", json_object_new_int64((int64_t)c->n_passwords));
	json_object_object_add(o, "call_pcap", json_object_new_boolean(!c->no_call_pcap));
	json_object_object_add(o, "html", json_object_new_boolean(!c->no_html));
	/* the keys too: how many, and the key logs by path (their hashes are in
	 * wrappers.tls.keys.keylog_files) */
	json_object_object_add(o, "srtp_keys_given", json_object_new_int64((int64_t)c->n_srtp_keys));
	struct json_object *kl = json_object_new_array();
	for (size_t i = 0; i < c->n_tls_keylogs; i++)
		json_object_array_add(kl, json_object_new_string(c->tls_keylogs[i]));
	json_object_object_add(o, "tls_keylogs", kl);
	return o;
}

static void
write_header(struct cx_ctx *ctx, struct json_object *cap, FILE *f)
{
	char a[48], b[48];
	fprintf(f, "callextract %s report\n", CX_VERSION);
	fprintf(f, "================================\n\n");
	struct json_object *files;
	if (json_object_object_get_ex(cap, "files", &files)) {
		for (size_t i = 0; i < json_object_array_length(files); i++) {
			struct json_object *fo = json_object_array_get_idx(files, i), *path;
			if (json_object_object_get_ex(fo, "path", &path))
{
				fputs("Input: ", f);
				cx_fputs_text(json_object_get_string(path), f);
				fputc('\n', f);
			}
		}
	}
	fprintf(f, "Frames: %llu, from %s to %s (%.3f s)\n", (unsigned long long)ctx->frames,
		ctx->frames ? cx_time_utc(ctx->first_ts_ns, a, sizeof(a)) : "-",
		ctx->frames ? cx_time_utc(ctx->last_ts_ns, b, sizeof(b)) : "-",
		ctx->frames ? cx_time_rel(ctx, ctx->last_ts_ns) : 0.0);
	struct json_object *protos;
	if (json_object_object_get_ex(cap, "protocols", &protos)) {
		fprintf(f, "Protocols:");
		json_object_object_foreach(protos, k, v) {
			if (json_object_is_type(v, json_type_int))
				fprintf(f, " %s=%lld", k, (long long)json_object_get_int64(v));
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\nConversations, in time order\n----------------------------\n\n");
}

static void
write_findings(struct cx_ctx *ctx, FILE *f)
{
	static const char *sev[] = { "info", "low", "medium", "high" };
	enum cx_severity s;
	const char *kind, *msg;
	uint64_t frame;
	fprintf(f, "Findings\n--------\n");
	size_t i = 0;
	for (; cx_findings_get(ctx->findings, i, &s, &kind, &frame, &msg); i++) {
		fprintf(f, "[%s] %s", sev[s], kind);
		if (frame)
			fprintf(f, " (frame %llu)", (unsigned long long)frame);
		fputs(": ", f);
		cx_fputs_text(msg, f);
		fputc('\n', f);
	}
	if (i == 0)
		fprintf(f, "none\n");
}

/* A shard records every value report.json gets, as the tap sees it
 * (path, then the pretty text before its UTF-8 pass), in shard.records:
 * callextract merge picks the elements the shard owns from it and writes
 * them through the same writer (src/shard/merge.c). */
struct shard_tap {
	FILE *rec;
	struct cx_html *html;
};

static void
shard_tap(void *arg, const char *path, const char *text, size_t len)
{
	struct shard_tap *t = arg;
	if (t->html)
		cx_html_tap(t->html, path, text, len);
	if (t->rec) {
		fprintf(t->rec, "%s\n%zu\n", path, len);
		fwrite(text, 1, len, t->rec);
		fputc('\n', t->rec);
	}
}

int
cx_ctx_finish(struct cx_ctx *ctx, struct json_object *cap)
{
	cx_tcp_flush(ctx->tcp);
	cx_sip_finish(ctx->sip);   /* every call still open, media first */
	cx_media_finish(ctx->media);
	cx_auth_finish(ctx->auth);
	cx_dns_finish(ctx->dns);
	cx_icmp_finish(ctx->icmp);
	cx_ftp_finish(ctx->ftp);
	cx_wrap_finish(ctx->wrap);

	uint32_t pending = cx_defrag_pending(ctx->defrag);
	if (pending)
		cx_stats_add(ctx->stats, "error.defrag.incomplete", pending);

	char t[48];
	if (!cap)
		cap = json_object_new_object();
	json_object_object_add(cap, "frames", json_object_new_int64((int64_t)ctx->frames));
	json_object_object_add(cap, "first_time",
			       ctx->frames ? json_object_new_string(cx_time_utc(ctx->first_ts_ns, t, sizeof(t))) : NULL);
	json_object_object_add(cap, "last_time",
			       ctx->frames ? json_object_new_string(cx_time_utc(ctx->last_ts_ns, t, sizeof(t))) : NULL);
	json_object_object_add(cap, "duration",
			       json_object_new_double(ctx->frames ? cx_time_rel(ctx, ctx->last_ts_ns) : 0));
	json_object_object_add(cap, "protocols", cx_stats_to_json(ctx->stats, "proto."));
	json_object_object_add(cap, "errors", cx_stats_to_json(ctx->stats, "error."));
	struct json_object *reasm = cx_stats_to_json(ctx->stats, "defrag.");
	json_object_object_add(cap, "ip_reassembly", reasm);
	struct json_object *tcp = cx_tcp_report(ctx->tcp);
	json_object_object_add(tcp, "retransmissions",
			       json_object_new_int64((int64_t)cx_stats_get(ctx->stats, "tcp.retransmissions")));
	json_object_object_add(tcp, "expired",
			       json_object_new_int64((int64_t)cx_stats_get(ctx->stats, "tcp.expired")));
	json_object_object_add(cap, "tcp", tcp);

	struct json_object *life = json_object_new_object();
	json_object_object_add(life, "linger_ms", json_object_new_int64(ctx->cfg->linger_ms));
	json_object_object_add(life, "call_idle_s", json_object_new_int64(ctx->cfg->call_idle_s));
	json_object_object_add(life, "counts", cx_stats_to_json(ctx->stats, "lifecycle."));
	json_object_object_add(life, "late_after_finish", cx_stats_to_json(ctx->stats, "late."));
	uint64_t dh = 0, dn = 0, dm = 0, ds = 0;
	cx_names_dropped(ctx->names, &dh, &dn, &dm, &ds);
	struct json_object *dropped = json_object_new_object();
	json_object_object_add(dropped, "hosts", json_object_new_int64((int64_t)dh));
	json_object_object_add(dropped, "dns_names", json_object_new_int64((int64_t)dn));
	json_object_object_add(dropped, "macs", json_object_new_int64((int64_t)dm));
	json_object_object_add(dropped, "software", json_object_new_int64((int64_t)ds));
	json_object_object_add(life, "host_table_dropped", dropped);
	json_object_object_add(cap, "lifecycle", life);
	/* each call's capture (output/callpcap.h); null with --no-call-pcap */
	json_object_object_add(cap, "call_pcap", ctx->cpcap ? cx_stats_to_json(ctx->stats, "call_pcap.") : NULL);
	/* report.json is streamed: the sections of finished calls come from
	 * the spill files, the rest one section at a time. It is written to a
	 * temporary name and renamed, so a reader never sees half of it. */
	int rc = 0;
	/* the HTML pages see every value as it is written (html.h) */
	struct cx_html *html = ctx->cfg->no_html ? NULL : cx_html_new(ctx);
	if (!ctx->cfg->no_html && !html)
		rc = -1;
	FILE *f = cx_outdir_fopen(ctx->out, "report.json.tmp", "w");
	if (!f) {
		cx_log(ctx, CX_LOG_ERR, "%s/report.json: %s", cx_outdir_path(ctx->out), strerror(errno));
		rc = -1;
	} else {
		struct report_writer w = { 0 };
		cx_jsonw_init(&w.w, f);
		w.w.tap = html ? cx_html_tap : NULL;
		w.w.tap_arg = html;
		struct shard_tap st = { .html = html };
		if (ctx->cfg->shard.on) {
			if (!(st.rec = cx_outdir_fopen(ctx->out, "shard.records", "w")))
				rc = -1;
			w.w.tap = shard_tap;
			w.w.tap_arg = &st;
		}
		fputs("{", f);
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "generator", json_object_new_string("callextract " CX_VERSION));
		json_object_object_add(h, "version", json_object_new_string(CX_VERSION));
		json_object_object_add(h, "options", options_json(ctx->cfg));
		json_object_object_add(h, "capture", json_object_get(cap));
		put_sections(&w, h);
		cx_sip_report_stream(ctx->sip, &w.w);
		mark(&w, "dialogs");
		cx_media_report_stream(ctx->media, &w.w);
		mark(&w, "streams");
		cx_auth_report_stream(ctx->auth, &w.w);
		mark(&w, "auth");
		h = json_object_new_object();
		cx_dns_report(ctx->dns, h);
		put_sections(&w, h);
		h = json_object_new_object();
		cx_icmp_report(ctx->icmp, h);
		put_sections(&w, h);
		h = json_object_new_object();
		cx_ftp_report(ctx->ftp, h);
		put_sections(&w, h);
		h = json_object_new_object();
		cx_wrap_report(ctx->wrap, h);
		put_sections(&w, h);
		cx_names_report_stream(ctx->names, &w.w);
		mark(&w, "hosts");
		cx_summary_report_stream(ctx->summary, ctx->names, ctx->first_ts_ns, &w.w);
		mark(&w, "conversations");
		h = json_object_new_object();
		json_object_object_add(h, "findings", cx_findings_to_json(ctx->findings));
		put_sections(&w, h);
		/* every key of the contract is there, even when nothing filled it */
		for (size_t i = 0; i < sizeof(contract_keys) / sizeof(*contract_keys); i++) {
			if (w.written & (1u << i))
				continue;
			h = json_object_new_object();
			json_object_object_add(h, contract_keys[i], json_object_new_array());
			put_sections(&w, h);
		}
		fputs("\n}\n", f);
		if (st.rec && (ferror(st.rec) | fclose(st.rec)))
			rc = -1;
		if (ferror(f))
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && cx_outdir_rename(ctx->out, "report.json.tmp", "report.json") < 0)
			rc = -1;
	}
	f = cx_outdir_fopen(ctx->out, "summary.txt.tmp", "w");
	if (!f) {
		rc = -1;
	} else {
		write_header(ctx, cap, f);
		cx_summary_write(ctx->summary, ctx->names, ctx->first_ts_ns, f);
		write_findings(ctx, f);
		if (fclose(f) != 0 || cx_outdir_rename(ctx->out, "summary.txt.tmp", "summary.txt") < 0)
			rc = -1;
	}
	if (html && cx_html_finish(html) < 0)
		rc = -1;
	cx_html_free(html);
	json_object_put(cap);
	return rc;
}
