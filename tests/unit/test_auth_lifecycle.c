/* Credentials kept on disk once their dialog is finished
 * (cx_auth_dialog_done): the report must not change, pairing by nonce
 * must still reach a challenge of a finished dialog, and the bound on
 * what is kept for that is counted when it bites. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/auth.h"
#include "callextract/callextract.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/outdir.h"
#include "callextract/sip.h"
#include "capture/source.h"
#include "cxtest.h"

struct done_at {
	char *call_id;
	uint64_t frame;
};

static void
with_wordlist(struct cx_config *cfg)
{
	static const char *wl[1];
	static char wpath[4096];
	snprintf(wpath, sizeof(wpath), "%s/fixtures/voip-wordlist.txt", getenv("CX_SRCDIR"));
	wl[0] = wpath;
	cfg->wordlists = wl;
	cfg->n_wordlists = 1;
	cfg->threads = 2;
}

struct done_list {
	const struct done_at *done;
	size_t n;
	const char *dir;
};

/* After the frame of a dialog's last message (so: before the next one, or
 * at the end), its exchanges are handed on as if the dialog were finished. */
static void
done_hook(struct cx_ctx *ctx, int64_t ts, void *arg)
{
	const struct done_list *l = arg;
	for (size_t i = 0; i < l->n; i++)
		if (l->done[i].frame == ctx->frames)
			cx_auth_dialog_done(ctx->auth, l->done[i].call_id);
	if (ts == INT64_MAX && l->n) {
		/* records did go through the spill files */
		char p[128];
		snprintf(p, sizeof(p), "%s/spill/auth-exchanges", l->dir);
		cr_assert(cxt_exists(p), "nothing was spilled");
	}
}

/* Runs the pipeline on capture into a fresh directory (its path in dir).
 * With done, cx_auth_dialog_done is called for each Call-ID right after
 * the frame of its dialog's last message. */
static void
run_capture(const char *capture, bool wordlist, const struct done_at *done, size_t ndone, char *dir,
	    size_t dirsz)
{
	snprintf(dir, dirsz, "/tmp/cxauthlife-XXXXXX");
	struct done_list l = { done, ndone, dir };
	cr_assert_eq(cxt_drive(capture, wordlist ? with_wordlist : NULL, dir, done_hook, &l), 0, "%s", capture);
}

static void
same_file(const char *a, const char *b, const char *rel)
{
	size_t la = 0, lb = 0;
	char *x = cxt_slurp(a, rel, &la), *y = cxt_slurp(b, rel, &lb);
	cr_assert_eq(x == NULL, y == NULL, "%s: present in one run only", rel);
	if (x) {
		cr_assert_eq(la, lb, "%s: %zu vs %zu bytes", rel, la, lb);
		cr_assert(!memcmp(x, y, la), "%s differs", rel);
	}
	free(x);
	free(y);
}

static void
early_done_changes_nothing(const char *capture, bool wordlist, size_t min_exchanges)
{
	char a[64], b[64];
	run_capture(capture, wordlist, NULL, 0, a, sizeof(a));
	char path[128];
	snprintf(path, sizeof(path), "%s/report.json", a);
	struct json_object *r = json_object_from_file(path);
	cr_assert_not_null(r);
	cr_assert_geq(json_object_array_length(cxt_get(r, "auth.exchanges")), min_exchanges);
	struct json_object *dl = cxt_get(r, "dialogs");
	size_t n = json_object_array_length(dl);
	cr_assert_gt(n, 0);
	struct done_at *done = calloc(n, sizeof(*done));
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(dl, i);
		done[i].call_id = strdup(json_object_get_string(cxt_get(g, "call_id")));
		done[i].frame = (uint64_t)json_object_get_int64(cxt_get(g, "last_frame"));
	}
	run_capture(capture, wordlist, done, n, b, sizeof(b));
	/* the whole report, not only "auth": findings, dialogs, errors too */
	same_file(a, b, "report.json");
	same_file(a, b, "summary.txt");
	same_file(a, b, "credentials/summary.txt");
	same_file(a, b, "credentials/sip-digest.hashcat");
	/* the spill files are gone at the end */
	char *sp = cxt_slurp(b, "spill/auth-exchanges", NULL);
	cr_assert_null(sp);
	for (size_t i = 0; i < n; i++)
		free(done[i].call_id);
	free(done);
	json_object_put(r);
}

Test(auth_lifecycle, finished_dialogs_give_the_same_report)
{
	early_done_changes_nothing(cxt_path("fixtures/sip-call-auth.pcap"), false, 4);
	early_done_changes_nothing(cxt_path("fixtures/aaa.pcap"), false, 10);
	early_done_changes_nothing(cxt_path("fixtures/sip-register-fail.pcap"), false, 10);
	early_done_changes_nothing(cxt_path("fixtures/sip-call-pcma.pcap"), false, 1);
	const char *z = cxt_path("corpus:NormB__sipnab/tests/pcap-samples/Asterisk_ZFONE_XLITE.pcap");
	if (cxt_exists(z))
		early_done_changes_nothing(z, false, 1);
}

/* The audit loads spilled exchanges back and writes recovered passwords
 * into their records. */
Test(auth_lifecycle, finished_dialogs_give_the_same_audit)
{
	early_done_changes_nothing(cxt_path("fixtures/sip-call-auth.pcap"), true, 4);
	early_done_changes_nothing(cxt_path("fixtures/sip-register-fail.pcap"), true, 10);
}

/* ---- driving the module directly ---- */

struct rig {
	char dir[64];
	struct cx_outdir *out;
	struct cx_ctx *ctx;
	struct cx_config cfg;
	uint64_t frame;
};

static void
rig_open(struct rig *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "/tmp/cxauthrig-XXXXXX");
	cr_assert_not_null(mkdtemp(g->dir));
	cx_config_defaults(&g->cfg);
	g->cfg.outdir = g->dir;
	g->cfg.verbosity = -1;
	const char *why;
	cr_assert_eq(cx_outdir_open(&g->out, g->dir, 1, &why), 0);
	cr_assert_eq(cx_ctx_new(&g->ctx, &g->cfg, g->out), 0);
}

static void
rig_close(struct rig *g)
{
	cx_ctx_free(g->ctx);
	cx_outdir_close(g->out);
}

/* A 401 for call_id carrying nonce. */
static size_t
challenge(struct rig *g, const char *call_id, const char *nonce)
{
	char raw[512];
	snprintf(raw, sizeof(raw),
		 "SIP/2.0 401 Unauthorized\r\nCall-ID: %s\r\nCSeq: 1 REGISTER\r\n"
		 "WWW-Authenticate: Digest realm=\"r\", nonce=\"%s\", algorithm=MD5\r\n\r\n",
		 call_id, nonce);
	struct cx_sip_msg_view v;
	memset(&v, 0, sizeof(v));
	v.frame = ++g->frame;
	v.ts_ns = (int64_t)g->frame * 1000000;
	v.src.family = v.dst.family = 4;
	v.src.a[3] = 2;
	v.dst.a[3] = 1;
	v.sport = v.dport = 5060;
	v.method = "REGISTER";
	v.status = 401;
	v.reason = "Unauthorized";
	v.call_id = call_id;
	v.cseq = 1;
	v.cseq_method = "REGISTER";
	v.raw = raw;
	v.raw_len = strlen(raw);
	return cx_auth_on_sip(g->ctx->auth, &v);
}

/* A REGISTER (CSeq 2) answering nonce, or a final response to it. */
static size_t
answer(struct rig *g, const char *call_id, const char *nonce, int status)
{
	char raw[1024];
	if (status)
		snprintf(raw, sizeof(raw), "SIP/2.0 %d X\r\nCall-ID: %s\r\nCSeq: 2 REGISTER\r\n\r\n", status, call_id);
	else
		snprintf(raw, sizeof(raw),
			 "REGISTER sip:r SIP/2.0\r\nCall-ID: %s\r\nCSeq: 2 REGISTER\r\n"
			 "Authorization: Digest username=\"u\", realm=\"r\", nonce=\"%s\", uri=\"sip:r\", "
			 "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5\r\n\r\n",
			 call_id, nonce);
	struct cx_sip_msg_view v;
	memset(&v, 0, sizeof(v));
	v.frame = ++g->frame;
	v.ts_ns = (int64_t)g->frame * 1000000;
	v.src.family = v.dst.family = 4;
	v.src.a[3] = status ? 2 : 1;
	v.dst.a[3] = status ? 1 : 2;
	v.sport = v.dport = 5060;
	v.is_request = !status;
	v.method = "REGISTER";
	v.status = status;
	v.call_id = call_id;
	v.cseq = 2;
	v.cseq_method = "REGISTER";
	v.raw = raw;
	v.raw_len = strlen(raw);
	return cx_auth_on_sip(g->ctx->auth, &v);
}

static int
findings_with(struct cx_ctx *ctx, const char *kind, const char *text)
{
	enum cx_severity s;
	const char *k, *msg;
	uint64_t fr;
	int n = 0;
	for (size_t i = 0; cx_findings_get(ctx->findings, i, &s, &k, &fr, &msg); i++)
		n += !strcmp(k, kind) && (!text || strstr(msg, text));
	return n;
}

Test(auth_lifecycle, nonce_pairs_with_a_challenge_of_a_finished_dialog)
{
	struct rig g;
	rig_open(&g);
	struct cx_auth *a = g.ctx->auth;
	cr_assert_eq(challenge(&g, "dlg-a", "N1"), 0);
	cx_auth_dialog_done(a, "dlg-a");
	cx_auth_dialog_done(a, "never-seen"); /* ignored */
	cr_assert_eq(answer(&g, "dlg-b", "N1", 0), 1, "one answer in the message");
	cr_assert_eq(answer(&g, "dlg-b", "N1", 200), 0);
	cx_auth_dialog_done(a, "dlg-b");
	/* a third dialog answers the same nonce after both are finished */
	cr_assert_eq(answer(&g, "dlg-c", "N1", 0), 1);
	cr_assert_eq(answer(&g, "dlg-c", "N1", 403), 0);
	cx_auth_finish(a);
	struct json_object *root = json_object_new_object();
	cx_auth_report(a, root);
	struct json_object *ex = cxt_get(root, "auth.exchanges");
	cr_assert_eq(json_object_array_length(ex), 2);
	for (int i = 0; i < 2; i++) {
		struct json_object *e = json_object_array_get_idx(ex, (size_t)i);
		cr_assert_eq(json_object_get_int(cxt_get(e, "challenge.status")), 401);
		cr_assert_eq(json_object_get_int(cxt_get(e, "challenge.frame")), 1);
		cr_assert_str_eq(json_object_get_string(cxt_get(e, "challenge.nonce")), "N1");
	}
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.0.call_id")), "dlg-b");
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.0.verdict")), "accepted");
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.1.verdict")), "rejected");
	cr_assert_eq(json_object_array_length(cxt_get(root, "auth.challenges")), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.challenges.0.call_id")), "dlg-a");
	cr_assert(json_object_get_boolean(cxt_get(root, "auth.challenges.0.answered")),
		  "a spilled challenge answered later is reported as answered");
	cr_assert_eq(findings_with(g.ctx, "auth.nonce_reused", "answered 2 times across dialogs"), 1);
	cr_assert_eq(findings_with(g.ctx, "auth.user_enumeration", NULL), 1);
	cr_assert_eq(cx_stats_get(g.ctx->stats, "error.auth.challenges_forgotten"), 0);
	json_object_put(root);
	rig_close(&g);
}

Test(auth_lifecycle, finished_challenges_past_the_bound_are_forgotten_and_counted)
{
	struct rig g;
	rig_open(&g);
	struct cx_auth *a = g.ctx->auth;
	char cid[32], nonce[32];
	const int n = 4096 + 10;
	for (int i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		snprintf(nonce, sizeof(nonce), "nonce-%d", i);
		challenge(&g, cid, nonce);
		cx_auth_dialog_done(a, cid);
	}
	/* the oldest fell out of the bound, the newest are still found */
	cr_assert_eq(answer(&g, "late-1", "nonce-0", 0), 1);
	snprintf(nonce, sizeof(nonce), "nonce-%d", n - 1);
	cr_assert_eq(answer(&g, "late-2", nonce, 0), 1);
	cr_assert_eq(answer(&g, "late-3", "never-issued", 0), 1);
	cr_assert_eq(cx_stats_get(g.ctx->stats, "error.auth.challenges_forgotten"), 1);
	cx_auth_finish(a);
	struct json_object *root = json_object_new_object();
	cx_auth_report(a, root);
	cr_assert_eq(json_object_array_length(cxt_get(root, "auth.challenges")), (size_t)n);
	cr_assert_null(cxt_get(root, "auth.exchanges.0.challenge"));
	cr_assert_eq(json_object_get_int64(cxt_get(root, "auth.exchanges.1.challenge.frame")), n);
	cr_assert_null(cxt_get(root, "auth.exchanges.2.challenge"));
	snprintf(cid, sizeof(cid), "auth.challenges.%d.answered", n - 1);
	cr_assert(json_object_get_boolean(cxt_get(root, cid)));
	cr_assert_not(json_object_get_boolean(cxt_get(root, "auth.challenges.0.answered")));
	json_object_put(root);
	rig_close(&g);
}

/* The verdict goes to the newest answer of the transaction still waiting;
 * the same in memory and after a finished dialog of another Call-ID. */
Test(auth_lifecycle, verdicts_go_to_the_newest_waiting_answer)
{
	struct rig g;
	rig_open(&g);
	struct cx_auth *a = g.ctx->auth;
	challenge(&g, "d1", "X");
	answer(&g, "d1", "X", 0);
	answer(&g, "d1", "X", 0);
	challenge(&g, "d2", "Y");
	answer(&g, "d2", "Y", 0);
	cx_auth_dialog_done(a, "d2");
	answer(&g, "d1", "X", 401);
	answer(&g, "d1", "X", 200);
	answer(&g, "d1", "X", 200); /* nothing left waiting */
	cx_auth_finish(a);
	struct json_object *root = json_object_new_object();
	cx_auth_report(a, root);
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.0.verdict")), "accepted");
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.1.verdict")), "re-challenged");
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.2.verdict")), "no-response");
	cr_assert_str_eq(json_object_get_string(cxt_get(root, "auth.exchanges.2.call_id")), "d2");
	cr_assert_eq(findings_with(g.ctx, "auth.nonce_reused", "answered 2 times (growing nc"), 1);
	json_object_put(root);
	rig_close(&g);
}
