/* Call lifecycle: dialogs that are over (BYE answered, CANCEL/487, a final
 * failure, REGISTER/OPTIONS answered) are finished after --linger of quiet,
 * any dialog after --call-idle; what comes after is late (counted) or a
 * continuation; and the output does not depend on when calls are finished.
 * The captures of the first part are written by hand: Ethernet, IPv4, UDP
 * frames carrying SIP text and RTP, with a filler datagram (not SIP, not
 * RTP) every second to move the lifecycle clock on. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/callextract.h"
#include "callextract/ctx.h"
#include "callextract/outdir.h"
#include "capture/source.h"
#include "cxtest.h"

static void rm_tree(const char *dir);

/* What a test wrote below /tmp, removed after it (pass or fail). */
static char made[64][64];
static size_t nmade;

static void
made_add(const char *path)
{
	if (nmade < sizeof(made) / sizeof(*made))
		snprintf(made[nmade++], sizeof(made[0]), "%s", path);
}

static void
made_cleanup(void)
{
	for (size_t i = 0; i < nmade; i++)
		rm_tree(made[i]);
	nmade = 0;
}

TestSuite(lifecycle, .fini = made_cleanup);
TestSuite(lifecycle_equal, .fini = made_cleanup);

/* ---------- a small pcap writer ---------- */

#define T0 1700000000.0 /* capture start, seconds */

struct pw {
	FILE *f;
	char path[64];
	uint16_t ipid;
};

static void
pw_open(struct pw *w)
{
	snprintf(w->path, sizeof(w->path), "/tmp/cxlife-XXXXXX");
	int fd = mkstemp(w->path);
	cr_assert_geq(fd, 0);
	made_add(w->path);
	w->f = fdopen(fd, "wb");
	cr_assert_not_null(w->f);
	w->ipid = 1;
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 /* Ethernet */ };
	fwrite(gh, 4, 6, w->f);
}

static void
pw_close(struct pw *w)
{
	cr_assert_eq(fclose(w->f), 0);
}

/* ip: host order, e.g. 0x0a000001 = 10.0.0.1; t: seconds after T0 */
static void
udp(struct pw *w, double t, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, const void *pl, size_t n)
{
	uint8_t f[4096];
	size_t len = 14 + 20 + 8 + n;
	cr_assert_leq(len, sizeof(f));
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	memcpy(f, macs, 12);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + 14;
	uint16_t tot = (uint16_t)(20 + 8 + n);
	uint8_t h[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, (uint8_t)(w->ipid >> 8), (uint8_t)w->ipid, 0x40, 0, 64, 17, 0, 0,
			  (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
			  (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst };
	w->ipid++;
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	h[10] = (uint8_t)(~sum >> 8);
	h[11] = (uint8_t)~sum;
	memcpy(ip, h, 20);
	uint8_t *u = ip + 20;
	uint16_t ul = (uint16_t)(8 + n);
	u[0] = (uint8_t)(sp >> 8); u[1] = (uint8_t)sp; u[2] = (uint8_t)(dp >> 8); u[3] = (uint8_t)dp;
	u[4] = (uint8_t)(ul >> 8); u[5] = (uint8_t)ul; u[6] = 0; u[7] = 0;
	memcpy(u + 8, pl, n);
	long long us = (long long)((T0 + t) * 1e6 + 0.5);
	uint32_t rec[4] = { (uint32_t)(us / 1000000), (uint32_t)(us % 1000000), (uint32_t)len, (uint32_t)len };
	fwrite(rec, 4, 4, w->f);
	fwrite(f, 1, len, w->f);
}

/* Neither SIP nor RTP: it only moves the capture clock on. */
static void
filler(struct pw *w, double t)
{
	static const char pl[] = "filler datagram, not a protocol";
	udp(w, t, 0x0a090901, 7777, 0x0a090902, 7778, pl, sizeof(pl) - 1);
}

/* one filler per step seconds in [from, to] */
static void
fillers(struct pw *w, double from, double to, double step)
{
	for (double t = from; t <= to + 1e-9; t += step)
		filler(w, t);
}

/* ---------- SIP ---------- */

#define IP_A 0x0a000001u /* alice 10.0.0.1 */
#define IP_B 0x0a000002u /* bob 10.0.0.2 */
#define RTP_A 4000
#define RTP_B 5000

struct call {
	const char *cid;
	const char *atag, *btag;
};

/* One SIP message of a transaction started by alice (orig_b false) or by
 * bob: requests go from the originator, responses back to it. first is
 * the request method or the status line's "CODE Reason". With sdp, an
 * SDP body announcing the sender's RTP port. */
static void
sipmsg(struct pw *w, double t, const struct call *c, bool orig_b, bool resp, const char *first, uint32_t cseq,
       const char *method, const char *branch, bool totag, bool sdp)
{
	uint32_t io = orig_b ? IP_B : IP_A, it = orig_b ? IP_A : IP_B;
	const char *uo = orig_b ? "bob" : "alice", *ut = orig_b ? "alice" : "bob";
	const char *fo = orig_b ? c->btag : c->atag, *ft = orig_b ? c->atag : c->btag;
	char so[16], st[16];
	snprintf(so, sizeof(so), "10.0.0.%u", io & 0xff);
	snprintf(st, sizeof(st), "10.0.0.%u", it & 0xff);
	uint32_t sender = resp ? it : io;
	char body[512] = "";
	if (sdp)
		snprintf(body, sizeof(body),
			 "v=0\r\no=%s 1 1 IN IP4 10.0.0.%u\r\ns=-\r\nc=IN IP4 10.0.0.%u\r\nt=0 0\r\n"
			 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
			 sender == IP_A ? "alice" : "bob", sender & 0xff, sender & 0xff, sender == IP_A ? RTP_A : RTP_B);
	char m[2048];
	int n;
	if (resp)
		n = snprintf(m, sizeof(m), "SIP/2.0 %s\r\n", first);
	else
		n = snprintf(m, sizeof(m), "%s sip:%s@%s SIP/2.0\r\n", first, ut, st);
	char tt[64] = "";
	if (totag)
		snprintf(tt, sizeof(tt), ";tag=%s", ft);
	n += snprintf(m + n, sizeof(m) - (size_t)n,
		      "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\n"
		      "Max-Forwards: 70\r\n"
		      "From: <sip:%s@%s>;tag=%s\r\n"
		      "To: <sip:%s@%s>%s\r\n"
		      "Call-ID: %s\r\n"
		      "CSeq: %u %s\r\n"
		      "Contact: <sip:%s@10.0.0.%u:5060>\r\n"
		      "User-Agent: lifecycle-test\r\n"
		      "%s"
		      "Content-Length: %zu\r\n\r\n%s",
		      so, branch, uo, so, fo, ut, st, tt, c->cid, cseq, method, sender == IP_A ? "alice" : "bob",
		      sender & 0xff, sdp ? "Content-Type: application/sdp\r\n" : "", strlen(body), body);
	if (resp)
		udp(w, t, it, 5060, io, 5060, m, (size_t)n);
	else
		udp(w, t, io, 5060, it, 5060, m, (size_t)n);
}

/* shorthands: alice's requests and bob's answers to them */
static void
a_req(struct pw *w, double t, const struct call *c, const char *method, uint32_t cseq, const char *branch, bool totag,
      bool sdp)
{
	sipmsg(w, t, c, false, false, method, cseq, method, branch, totag, sdp);
}

static void
b_resp(struct pw *w, double t, const struct call *c, const char *status, uint32_t cseq, const char *method,
       const char *branch, bool totag, bool sdp)
{
	sipmsg(w, t, c, false, true, status, cseq, method, branch, totag, sdp);
}

/* INVITE with SDP, 100, 180, 200 with SDP, ACK: answered at t0 + 0.3 */
static void
setup_call(struct pw *w, double t0, const struct call *c)
{
	a_req(w, t0, c, "INVITE", 1, "inv1", false, true);
	b_resp(w, t0 + 0.01, c, "100 Trying", 1, "INVITE", "inv1", false, false);
	b_resp(w, t0 + 0.1, c, "180 Ringing", 1, "INVITE", "inv1", true, false);
	b_resp(w, t0 + 0.3, c, "200 OK", 1, "INVITE", "inv1", true, true);
	a_req(w, t0 + 0.35, c, "ACK", 1, "ack1", true, false);
}

/* ---------- RTP ---------- */

static void
rtp(struct pw *w, double t, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint32_t ssrc, uint16_t seq,
    uint32_t ts)
{
	uint8_t p[12 + 160];
	p[0] = 0x80;
	p[1] = 0; /* PCMU */
	p[2] = (uint8_t)(seq >> 8); p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24); p[5] = (uint8_t)(ts >> 16); p[6] = (uint8_t)(ts >> 8); p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24); p[9] = (uint8_t)(ssrc >> 16); p[10] = (uint8_t)(ssrc >> 8); p[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		p[12 + i] = (uint8_t)(0x80 + (i * 7 % 40)); /* a quiet tone-ish PCMU */
	udp(w, t, src, sp, dst, dp, p, sizeof(p));
}

/* both directions of the call's media, 20 ms packets, from t0 for secs */
static void
media(struct pw *w, double t0, double secs, uint16_t seq0)
{
	int n = (int)(secs * 50 + 0.5);
	for (int i = 0; i < n; i++) {
		double t = t0 + i * 0.02;
		rtp(w, t, IP_A, RTP_A, IP_B, RTP_B, 0x11111111, (uint16_t)(seq0 + i), (uint32_t)((seq0 + i) * 160));
		rtp(w, t + 0.001, IP_B, RTP_B, IP_A, RTP_A, 0x22222222, (uint16_t)(seq0 + i), (uint32_t)((seq0 + i) * 160));
	}
}

static void
rtcp_sr(struct pw *w, double t, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint32_t ssrc)
{
	uint8_t p[28] = { 0x80, 200, 0, 6 };
	p[4] = (uint8_t)(ssrc >> 24); p[5] = (uint8_t)(ssrc >> 16); p[6] = (uint8_t)(ssrc >> 8); p[7] = (uint8_t)ssrc;
	p[8] = 0xe8; p[9] = 0x5c; p[10] = 0x00; p[11] = 0x01; /* NTP seconds */
	p[19] = 0x40; /* RTP ts */
	p[23] = 10;   /* packets */
	p[27] = 100;  /* octets */
	udp(w, t, src, sp, dst, dp, p, sizeof(p));
}

/* ---------- running and looking ---------- */

static void
tweak_idle10(struct cx_config *c)
{
	c->call_idle_s = 10;
}

static void
tweak_never(struct cx_config *c)
{
	c->linger_ms = 86400000;
	c->call_idle_s = 0;
}

static void
tweak_never_no_audio(struct cx_config *c)
{
	tweak_never(c);
	c->no_audio = true;
}

static void
tweak_no_audio(struct cx_config *c)
{
	c->no_audio = true;
}

static struct json_object *
run(struct pw *w, void (*tweak)(struct cx_config *), const char **dir)
{
	int rc = -1;
	const char *d = NULL;
	struct json_object *r = cxt_run(w->path, tweak, &rc, &d);
	if (d)
		made_add(d);
	if (dir)
		*dir = d;
	cr_assert_not_null(r, "no report.json for %s", w->path);
	cr_assert_eq(rc, 0, "exit %d", rc);
	return r;
}

static int64_t
geti(struct json_object *r, const char *dotted)
{
	struct json_object *o = cxt_get(r, dotted);
	cr_assert_not_null(o, "%s missing", dotted);
	return json_object_get_int64(o);
}

static const char *
gets(struct json_object *r, const char *dotted)
{
	struct json_object *o = cxt_get(r, dotted);
	return o ? json_object_get_string(o) : NULL;
}

static int64_t
counter(struct json_object *r, const char *group, const char *name)
{
	char p[128];
	snprintf(p, sizeof(p), "capture.lifecycle.%s.%s", group, name);
	struct json_object *o = cxt_get(r, p);
	return o ? json_object_get_int64(o) : 0;
}

static int
findings_of(struct json_object *r, const char *kind)
{
	struct json_object *f = cxt_get(r, "findings");
	int n = 0;
	for (size_t i = 0; f && i < json_object_array_length(f); i++)
		n += !strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind")), kind);
	return n;
}

static size_t
alen(struct json_object *r, const char *dotted)
{
	struct json_object *o = cxt_get(r, dotted);
	return o ? json_object_array_length(o) : 0;
}

static bool
exists_in(const char *dir, const char *rel)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return cxt_exists(p);
}

/* The call's folder is complete and the spill files are gone. */
static void
call_folder_complete(struct json_object *r, const char *dir, size_t dialog)
{
	char p[64];
	snprintf(p, sizeof(p), "dialogs.%zu.folder", dialog);
	const char *folder = gets(r, p);
	cr_assert_not_null(folder, "dialog %zu has no folder", dialog);
	char rel[512];
	static const char *files[] = { "call.json", "flow.txt", "flow.svg" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", folder, files[i]);
		cr_assert(exists_in(dir, rel), "%s missing", rel);
	}
	snprintf(rel, sizeof(rel), "%s/call.json", folder);
	struct json_object *cj;
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", dir, rel);
	cj = json_object_from_file(full);
	cr_assert_not_null(cj);
	snprintf(p, sizeof(p), "dialogs.%zu.state", dialog);
	cr_assert_str_eq(json_object_get_string(cxt_get(cj, "state")), gets(r, p));
	json_object_put(cj);
	cr_assert_not(exists_in(dir, "spill"), "spill/ left behind");
	cr_assert(exists_in(dir, "summary.txt"));
}

/* Drives the pipeline frame by frame: lifecycle.calls_finished after the
 * last frame at or before each of the times asked (seconds after T0, in
 * increasing order; when of them), and just before the end of the capture. */
struct drive_at {
	const double *when;
	uint64_t *at;
	size_t n, k;
	uint64_t before_end;
};

static void
drive_hook(struct cx_ctx *ctx, int64_t ts, void *arg)
{
	struct drive_at *a = arg;
	uint64_t finished = cx_stats_get(ctx->stats, "lifecycle.calls_finished");
	if (ts == INT64_MAX) {
		a->before_end = finished;
		return;
	}
	double rel = (double)ts / 1e9 - T0;
	while (a->k < a->n && rel < 1e6 && rel > a->when[a->k] + 1e-7) /* not at a bogus timestamp */
		a->at[a->k++] = finished;
}

static uint64_t
drive(const char *capture, void (*tweak)(struct cx_config *), const double *when, uint64_t *at, size_t n)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/cxlifedrv-XXXXXX");
	struct drive_at a = { when, at, n, 0, 0 };
	cr_assert_eq(cxt_drive(capture, tweak, dir, drive_hook, &a), 0, "%s", capture);
	made_add(dir);
	if (getenv("LIFE_DEBUG"))
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "drive %s: at %.2f: %llu\n", capture, when[i], (unsigned long long)at[i]);
	while (a.k < n)
		at[a.k++] = a.before_end;
	rm_tree(dir);
	return a.before_end;
}

/* ---------- 1. the lifecycle on hand-made captures ---------- */

static const struct call C1 = { "life-call-1@10.0.0.1", "atag1", "btag1" };

Test(lifecycle, bye_answered_finishes_after_linger_late_bye_counted)
{
	struct pw w;
	/* frames are written in time order: a late BYE at 25.5 s */
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 10, 100);
	a_req(&w, 10.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 10.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 11, 25, 1);
	a_req(&w, 25.5, &C1, "BYE", 2, "bye2", true, false);
	fillers(&w, 26, 32, 1);
	pw_close(&w);
	/* finished 5 s after the BYE's 200 (10.51 s), at the first tick after */
	double when[] = { 14.5, 16.5 };
	uint64_t at[2];
	cr_assert_eq(drive(w.path, NULL, when, at, 2), 1);
	cr_assert_eq(at[0], 0, "finished before the linger was over");
	cr_assert_eq(at[1], 1, "not finished 6 s after the BYE's 200");
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "completed");
	cr_assert_str_eq(gets(r, "dialogs.0.hung_up_by"), "caller");
	/* INVITE 100 180 200 ACK BYE 200: the late BYE is not one of them */
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 7);
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 0);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1, "the BYE 15 s after the finish is late");
	cr_assert_eq(findings_of(r, "lifecycle.late_sip"), 1);
	cr_assert_eq(geti(r, "capture.lifecycle.linger_ms"), 5000);
	cr_assert_eq(geti(r, "capture.lifecycle.call_idle_s"), 3600);
	cr_assert_eq(alen(r, "streams"), 2);
	for (size_t i = 0; i < 2; i++) {
		char p[64];
		snprintf(p, sizeof(p), "streams.%zu.call_id", i);
		cr_assert_str_eq(gets(r, p), C1.cid);
		snprintf(p, sizeof(p), "streams.%zu.packets", i);
		cr_assert_eq(geti(r, p), 500);
		snprintf(p, sizeof(p), "streams.%zu.wav", i);
		cr_assert_not_null(gets(r, p));
		cr_assert(exists_in(dir, gets(r, p)), "%s", gets(r, p));
	}
	call_folder_complete(r, dir, 0);
	/* its row of the calls table and its conversation are there */
	char *sum = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(sum);
	cr_assert_not_null(strstr(sum, "== Calls =="));
	cr_assert_not_null(strstr(sum, C1.cid));
	free(sum);
	cr_assert_geq(alen(r, "conversations"), 1);
	json_object_put(r);
	unlink(w.path);
}

/* the same BYE again within the linger: a retransmission of the live dialog */
Test(lifecycle, bye_again_within_linger_is_a_retransmission)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 10, 100);
	a_req(&w, 10.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 10.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 11, 12, 1);
	a_req(&w, 12.5, &C1, "BYE", 2, "bye2", true, false);
	fillers(&w, 13, 30, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 8);
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 1);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(findings_of(r, "lifecycle.late_sip"), 0);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	json_object_put(r);
	unlink(w.path);
}

/* Media after the BYE's 200 keeps the over dialog from finishing: the
 * linger counts from its last RTP. */
Test(lifecycle, media_keeps_an_over_dialog_alive)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 2.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	media(&w, 2.6, 8, 200); /* until 10.6 s */
	fillers(&w, 11, 12, 1);
	a_req(&w, 12.5, &C1, "BYE", 2, "bye2", true, false); /* 10 s after the 200, 2 s after the media */
	b_resp(&w, 12.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 13, 30, 1);
	pw_close(&w);
	double when[] = { 16.5, 18.5 };
	uint64_t at[2];
	drive(w.path, NULL, when, at, 2);
	cr_assert_eq(at[0], 0);
	cr_assert_eq(at[1], 1);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0, "finished while its media went on");
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 2);
	cr_assert_eq(geti(r, "streams.0.packets"), 500);
	cr_assert_eq(alen(r, "streams"), 2);
	cr_assert_eq(counter(r, "late_after_finish", "rtp"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* A BYE never answered: over after 32 s (timer F), finished then; a BYE
 * within those 32 s is a retransmission, one after them late. */
Test(lifecycle, bye_never_answered_finishes_after_32s)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	fillers(&w, 3, 20, 1);
	a_req(&w, 20.5, &C1, "BYE", 2, "bye2", true, false); /* retransmission */
	fillers(&w, 21, 60, 1);
	a_req(&w, 60.5, &C1, "BYE", 2, "bye2", true, false); /* 40 s after the last BYE */
	fillers(&w, 61, 65, 1);
	pw_close(&w);
	double when[] = { 51.5, 53.5 };
	uint64_t at[2];
	drive(w.path, NULL, when, at, 2);
	cr_assert_eq(at[0], 0, "finished less than 32 s after the last BYE");
	cr_assert_eq(at[1], 1);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 1);
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 7);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	json_object_put(r);

	/* with only a 5 s linger a quiet BYE'd-but-unanswered call is not
	 * finished before 32 s: a retransmission 20 s later stays in it */
	pw_open(&w);
	setup_call(&w, 0, &C1);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	fillers(&w, 3, 30, 1);
	a_req(&w, 30.5, &C1, "BYE", 2, "bye2", true, false); /* 28 s after the first */
	fillers(&w, 31, 34, 1);
	pw_close(&w);
	r = run(&w, NULL, NULL);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 1);
	json_object_put(r);
	unlink(w.path);
}

/* (b) CANCEL, its 200, 487 and ACK: over; a 487 sent again 10 s later is late */
Test(lifecycle, cancel_487_finishes)
{
	static const struct call c = { "life-cancel@10.0.0.1", "ca", "cb" };
	struct pw w;
	pw_open(&w);
	a_req(&w, 0, &c, "INVITE", 1, "inv1", false, true);
	b_resp(&w, 0.01, &c, "100 Trying", 1, "INVITE", "inv1", false, false);
	b_resp(&w, 0.1, &c, "180 Ringing", 1, "INVITE", "inv1", true, false);
	a_req(&w, 2, &c, "CANCEL", 1, "inv1", false, false);
	b_resp(&w, 2.01, &c, "200 OK", 1, "CANCEL", "inv1", true, false);
	b_resp(&w, 2.02, &c, "487 Request Terminated", 1, "INVITE", "inv1", true, false);
	a_req(&w, 2.03, &c, "ACK", 1, "inv1", true, false);
	fillers(&w, 3, 12, 1);
	b_resp(&w, 12.5, &c, "487 Request Terminated", 1, "INVITE", "inv1", true, false);
	fillers(&w, 13, 20, 1);
	pw_close(&w);
	double when[] = { 6.5, 8.5 };
	uint64_t at[2];
	drive(w.path, NULL, when, at, 2);
	cr_assert_eq(at[0], 0);
	cr_assert_eq(at[1], 1);
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "cancelled");
	cr_assert_eq(geti(r, "dialogs.0.final_status"), 487);
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 7);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1);
	cr_assert_eq(findings_of(r, "lifecycle.late_sip"), 1);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	call_folder_complete(r, dir, 0);
	json_object_put(r);
	unlink(w.path);
}

/* (c) a final failure (486 Busy Here) */
Test(lifecycle, busy_486_finishes)
{
	static const struct call c = { "life-busy@10.0.0.1", "ba", "bb" };
	struct pw w;
	pw_open(&w);
	a_req(&w, 0, &c, "INVITE", 1, "inv1", false, true);
	b_resp(&w, 0.01, &c, "100 Trying", 1, "INVITE", "inv1", false, false);
	b_resp(&w, 0.1, &c, "180 Ringing", 1, "INVITE", "inv1", true, false);
	b_resp(&w, 1, &c, "486 Busy Here", 1, "INVITE", "inv1", true, false);
	a_req(&w, 1.01, &c, "ACK", 1, "inv1", true, false);
	fillers(&w, 2, 12, 1);
	b_resp(&w, 12.5, &c, "486 Busy Here", 1, "INVITE", "inv1", true, false);
	a_req(&w, 12.51, &c, "ACK", 1, "inv1", true, false);
	fillers(&w, 13, 15, 1);
	pw_close(&w);
	double when[] = { 5.5, 7.5 };
	uint64_t at[2];
	drive(w.path, NULL, when, at, 2);
	cr_assert_eq(at[0], 0);
	cr_assert_eq(at[1], 1);
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "rejected");
	cr_assert_eq(geti(r, "dialogs.0.final_status"), 486);
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 5);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 2, "486 and ACK after the finish");
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	cr_assert_eq(counter(r, "counts", "continuations"), 0);
	call_folder_complete(r, dir, 0);
	json_object_put(r);
	unlink(w.path);
}

/* A 407 is not a final failure: the dialog waits for the authenticated
 * INVITE, which stays in the same dialog after 10 s of quiet. */
Test(lifecycle, challenge_407_is_not_over)
{
	static const struct call c = { "life-407@10.0.0.1", "pa", "pb" };
	struct pw w;
	pw_open(&w);
	a_req(&w, 0, &c, "INVITE", 1, "inv1", false, true);
	b_resp(&w, 0.01, &c, "407 Proxy Authentication Required", 1, "INVITE", "inv1", true, false);
	a_req(&w, 0.02, &c, "ACK", 1, "inv1", true, false);
	fillers(&w, 1, 10, 1);
	a_req(&w, 10.5, &c, "INVITE", 2, "inv2", false, true);
	b_resp(&w, 10.6, &c, "200 OK", 2, "INVITE", "inv2", true, true);
	a_req(&w, 10.7, &c, "ACK", 2, "ack2", true, false);
	fillers(&w, 11, 13, 1);
	pw_close(&w);
	cr_assert_eq(drive(w.path, NULL, NULL, NULL, 0), 0, "a challenged INVITE is not over");
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "answered");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 6);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(counter(r, "counts", "continuations"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* (d) idle: an INVITE that only rang, then 20 s of other traffic, with
 * --call-idle 10: finished as "ringing"; a 180 at 18 s is late. With the
 * default idle (1 h) the same 180 is part of the dialog. */
Test(lifecycle, idle_call_finished_state_kept)
{
	static const struct call c = { "life-idle@10.0.0.1", "ia", "ib" };
	struct pw w;
	pw_open(&w);
	a_req(&w, 0, &c, "INVITE", 1, "inv1", false, true);
	b_resp(&w, 0.1, &c, "180 Ringing", 1, "INVITE", "inv1", true, false);
	fillers(&w, 1, 18, 1);
	b_resp(&w, 18.5, &c, "180 Ringing", 1, "INVITE", "inv1", true, false);
	fillers(&w, 19, 22, 1);
	pw_close(&w);
	double when[] = { 9.5, 11.5 };
	uint64_t at[2];
	drive(w.path, tweak_idle10, when, at, 2);
	cr_assert_eq(at[0], 0);
	cr_assert_eq(at[1], 1);
	cr_assert_eq(drive(w.path, NULL, NULL, NULL, 0), 0);
	const char *dir;
	struct json_object *r = run(&w, tweak_idle10, &dir);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "ringing");
	cr_assert_null(cxt_get(r, "dialogs.0.final_status"));
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 2);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1);
	cr_assert_eq(geti(r, "capture.lifecycle.call_idle_s"), 10);
	call_folder_complete(r, dir, 0);
	json_object_put(r);

	r = run(&w, NULL, NULL);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "ringing");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 3);
	cr_assert_eq(geti(r, "dialogs.0.retransmissions"), 1);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* (f) an answered call left without BYE, one filler a minute: finished by
 * the idle timeout (1 h); a re-INVITE (CSeq 2) 62 min after the last
 * message is a new dialog that continues dialog 1. A late ACK for CSeq 1
 * is counted, not a continuation. */
Test(lifecycle, reinvite_an_hour_later_is_a_continuation)
{
	static const struct call c = { "life-reinvite@10.0.0.1", "ra", "rb" };
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &c);
	media(&w, 0.4, 2, 100);
	fillers(&w, 60, 3720, 60);
	a_req(&w, 3721, &c, "ACK", 1, "ack1", true, false);
	a_req(&w, 3722, &c, "INVITE", 2, "inv2", true, true);
	b_resp(&w, 3722.1, &c, "200 OK", 2, "INVITE", "inv2", true, true);
	a_req(&w, 3722.2, &c, "ACK", 2, "ack2", true, false);
	media(&w, 3722.3, 1, 300);
	a_req(&w, 3723.5, &c, "BYE", 3, "bye3", true, false);
	b_resp(&w, 3723.6, &c, "200 OK", 3, "BYE", "bye3", true, false);
	fillers(&w, 3724, 3726, 1);
	pw_close(&w);
	double when[] = { 3599, 3661 };
	uint64_t at[2];
	drive(w.path, NULL, when, at, 2);
	cr_assert_eq(at[0], 0);
	cr_assert_eq(at[1], 1, "not idle after an hour of fillers");
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 2);
	cr_assert_eq(geti(r, "dialogs.0.index"), 1);
	cr_assert_null(cxt_get(r, "dialogs.0.continues"));
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "answered");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 5);
	cr_assert_str_eq(gets(r, "dialogs.1.call_id"), c.cid);
	cr_assert_eq(geti(r, "dialogs.1.continues"), 1);
	cr_assert_eq(geti(r, "dialogs.1.message_count"), 5);
	cr_assert_str_eq(gets(r, "dialogs.1.state"), "completed");
	cr_assert_eq(counter(r, "counts", "continuations"), 1);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 2);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1, "the ACK of CSeq 1");
	call_folder_complete(r, dir, 0);
	call_folder_complete(r, dir, 1);
	cr_assert_str_neq(gets(r, "dialogs.0.folder"), gets(r, "dialogs.1.folder"));
	/* both have their media */
	size_t ns = alen(r, "streams");
	cr_assert_eq(ns, 4, "%zu streams", ns);
	json_object_put(r);

	/* the same without fillers: one gap of an hour moves the lifecycle
	 * clock by 600 s only, the call is not idle, the re-INVITE is part of
	 * the same dialog */
	pw_open(&w);
	setup_call(&w, 0, &c);
	media(&w, 0.4, 2, 100);
	a_req(&w, 3722, &c, "INVITE", 2, "inv2", true, true);
	b_resp(&w, 3722.1, &c, "200 OK", 2, "INVITE", "inv2", true, true);
	a_req(&w, 3722.2, &c, "ACK", 2, "ack2", true, false);
	a_req(&w, 3723.5, &c, "BYE", 3, "bye3", true, false);
	b_resp(&w, 3723.6, &c, "200 OK", 3, "BYE", "bye3", true, false);
	pw_close(&w);
	r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 10);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "completed");
	cr_assert_eq(counter(r, "counts", "continuations"), 0);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* A bogus timestamp 10 years ahead moves the lifecycle clock by 600 s
 * only, and the way back by nothing: a live call is not finished, and the
 * over call is finished by its linger on the clock as it goes on. */
Test(lifecycle, bogus_timestamp_does_not_finish_a_live_call)
{
	static const struct call c = { "life-bogus@10.0.0.1", "xa", "xb" };
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &c);
	media(&w, 0.4, 2, 100);
	filler(&w, 10.0 * 365 * 86400);
	fillers(&w, 3, 10, 1);
	a_req(&w, 10.5, &c, "BYE", 2, "bye2", true, false);
	b_resp(&w, 10.51, &c, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 11, 20, 1);
	pw_close(&w);
	double when[] = { 10.4, 15.4, 16.5 };
	uint64_t at[3];
	drive(w.path, NULL, when, at, 3);
	cr_assert_eq(at[0], 0, "a live call finished by a timestamp jump");
	cr_assert_eq(at[1], 0);
	cr_assert_eq(at[2], 1);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "completed");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 7);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(counter(r, "late_after_finish", "rtp"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* A message is stamped with its own frame's time on the lifecycle clock
 * (the clock moves before the frame is dissected, the tick comes after):
 * after a quiet spell the message that ends it counts from its own time.
 * Here: BYE and 200 at 10.5 s, nothing, a 200 sent again at 15.0 s (the
 * dialog's last message), a filler at 16.0 s: the dialog must still be
 * live at 16.5 s, and the 200 sent again at 17.0 s is a retransmission of
 * the dialog, not late. (This was a bug: messages took the clock of the
 * frame before them.) */
Test(lifecycle, last_message_after_a_gap_counts_at_its_own_time)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	a_req(&w, 10.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 10.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	b_resp(&w, 15.0, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	filler(&w, 16.0);
	b_resp(&w, 17.0, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 18, 19, 1);
	pw_close(&w);
	double when[] = { 16.5 };
	uint64_t at[1];
	drive(w.path, NULL, when, at, 1);
	struct json_object *r = run(&w, NULL, NULL);
	int64_t late = counter(r, "late_after_finish", "sip"), rt = geti(r, "dialogs.0.retransmissions");
	json_object_put(r);
	unlink(w.path);
	cr_assert_eq(at[0], 0, "finished at 16.0 s, 1 s after its last message (linger 5 s)");
	cr_assert_eq(late, 0, "the 200 at 17.0 s (2 s after the last message) counted late");
	cr_assert_eq(rt, 2);
}

/* The same bug seen from the media side: one RTP packet at 15.0 s after a
 * quiet spell (the BYE's 200 at 10.51 s) is stamped 10.51 s; the call is
 * finished at 16.0 s and RTP at 17.0 s is counted late and dropped. */
Test(lifecycle, rtp_after_a_gap_counts_at_its_own_time)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 10.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 10.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	rtp(&w, 15.0, IP_A, RTP_A, IP_B, RTP_B, 0x11111111, 200, 200 * 160);
	filler(&w, 16.0);
	rtp(&w, 17.0, IP_A, RTP_A, IP_B, RTP_B, 0x11111111, 201, 201 * 160);
	fillers(&w, 18, 19, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	int64_t late = counter(r, "late_after_finish", "rtp");
	int64_t pk = geti(r, "streams.0.packets");
	json_object_put(r);
	unlink(w.path);
	cr_assert_eq(late, 0, "RTP 2 s after the call's last RTP counted late");
	cr_assert_eq(pk, 102);
}

/* A request of the callee in a finished dialog: its CSeq space is its own
 * (a BYE from bob with CSeq 1 after alice's CSeq 5 is new, not late). */
Test(lifecycle, callee_request_after_finish_uses_its_own_cseq)
{
	static const struct call c = { "life-callee@10.0.0.1", "ea", "eb" };
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &c);
	/* alice sends a re-INVITE with CSeq 5 */
	a_req(&w, 1, &c, "INVITE", 5, "inv5", true, true);
	b_resp(&w, 1.1, &c, "200 OK", 5, "INVITE", "inv5", true, true);
	a_req(&w, 1.2, &c, "ACK", 5, "ack5", true, false);
	fillers(&w, 60, 3720, 60);
	/* bob: BYE CSeq 1: bob never sent a request, so this is new */
	sipmsg(&w, 3721, &c, true, false, "BYE", 1, "BYE", "bbye1", true, false);
	sipmsg(&w, 3721.1, &c, true, true, "200 OK", 1, "BYE", "bbye1", true, false);
	fillers(&w, 3722, 3724, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 2);
	cr_assert_eq(geti(r, "dialogs.1.continues"), 1);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* (g) RTP without any signalling: a stream without call, its conversation */
Test(lifecycle, unsignalled_rtp_still_reported)
{
	struct pw w;
	pw_open(&w);
	for (int i = 0; i < 100; i++)
		rtp(&w, i * 0.02, 0x0a000101, 6000, 0x0a000102, 6002, 0x33333333, (uint16_t)(10 + i), (uint32_t)(i * 160));
	fillers(&w, 3, 20, 1);
	pw_close(&w);
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 0);
	cr_assert_eq(alen(r, "streams"), 1);
	cr_assert_null(cxt_get(r, "streams.0.call_id"));
	cr_assert_eq(geti(r, "streams.0.packets"), 100);
	cr_assert_not_null(gets(r, "streams.0.wav"));
	struct json_object *cv = cxt_get(r, "conversations");
	bool found = false;
	for (size_t i = 0; cv && i < json_object_array_length(cv); i++) {
		const char *k = gets(json_object_array_get_idx(cv, i), "kind");
		found |= k && !strcmp(k, "rtp");
	}
	cr_assert(found, "no RTP conversation");
	cr_assert_eq(counter(r, "counts", "calls_finished"), 0);
	char *sum = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(strstr(sum, "RTP without signalling in the capture"));
	free(sum);
	json_object_put(r);
	unlink(w.path);
}

/* (h) a call still going at the end of the capture */
Test(lifecycle, open_call_at_end_is_complete)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 3, 100);
	pw_close(&w);
	cr_assert_eq(drive(w.path, NULL, NULL, NULL, 0), 0);
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 1);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "answered");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 5);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 1, "finished at the end");
	cr_assert_eq(alen(r, "streams"), 2);
	cr_assert_eq(geti(r, "streams.0.packets"), 150);
	cr_assert_eq(geti(r, "streams.1.packets"), 150);
	cr_assert(exists_in(dir, gets(r, "streams.0.wav")));
	call_folder_complete(r, dir, 0);
	char *sum = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(strstr(sum, C1.cid));
	free(sum);
	json_object_put(r);
	unlink(w.path);
}

/* (i) RTP and RTCP to a finished call's endpoints within 60 s: counted,
 * dropped, no new stream. After 60 s the endpoints are forgotten and RTP
 * there is a stream without signalling. */
Test(lifecycle, late_rtp_counted_then_forgotten)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 2.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 3, 15, 1); /* finished at ~7.5 s */
	media(&w, 15.5, 0.2, 300); /* 10 packets each way, same SSRCs */
	rtp(&w, 15.8, IP_A, RTP_A, IP_B, RTP_B, 0x44444444, 1, 160); /* a new SSRC */
	rtcp_sr(&w, 15.9, IP_A, RTP_A + 1, IP_B, RTP_B + 1, 0x11111111);
	fillers(&w, 16, 80, 1);
	/* more than 60 s after the finish: plain unsignalled RTP */
	for (int i = 0; i < 50; i++)
		rtp(&w, 80.5 + i * 0.02, IP_A, RTP_A, IP_B, RTP_B, 0x55555555, (uint16_t)(500 + i), (uint32_t)(i * 160));
	fillers(&w, 82, 84, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(counter(r, "late_after_finish", "rtp"), 21);
	cr_assert_eq(counter(r, "late_after_finish", "rtcp"), 1);
	cr_assert_eq(alen(r, "streams"), 3);
	cr_assert_eq(geti(r, "streams.0.packets"), 100);
	cr_assert_eq(geti(r, "streams.1.packets"), 100);
	cr_assert_str_eq(gets(r, "streams.0.call_id"), C1.cid);
	cr_assert_null(cxt_get(r, "streams.2.call_id"));
	cr_assert_eq(geti(r, "streams.2.packets"), 50);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	json_object_put(r);
	unlink(w.path);
}

/* A new call (another Call-ID) on the same media ports 10 s after the first
 * was finished: its RTP is its own, not late. */
Test(lifecycle, new_call_reusing_ports_within_60s_is_not_late)
{
	static const struct call c2 = { "life-second@10.0.0.1", "sa", "sb" };
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 2.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 3, 12, 1); /* finished at ~7.5 s */
	setup_call(&w, 12.5, &c2);
	media(&w, 13, 2, 400);
	a_req(&w, 15.5, &c2, "BYE", 2, "bye2", true, false);
	b_resp(&w, 15.51, &c2, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 16, 24, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 2);
	cr_assert_eq(counter(r, "late_after_finish", "rtp"), 0);
	cr_assert_eq(alen(r, "streams"), 4);
	for (size_t i = 0; i < 4; i++) {
		char p[64];
		snprintf(p, sizeof(p), "streams.%zu.call_id", i);
		cr_assert_str_eq(gets(r, p), i < 2 ? C1.cid : c2.cid, "stream %zu", i);
		snprintf(p, sizeof(p), "streams.%zu.packets", i);
		cr_assert_eq(geti(r, p), 100, "stream %zu", i);
	}
	json_object_put(r);
	unlink(w.path);
}

/* The same with a continuation: a new INVITE (CSeq 3) on the finished
 * Call-ID 10 s after the finish, same SDP: its media goes to it. */
Test(lifecycle, continuation_within_60s_gets_its_media)
{
	struct pw w;
	pw_open(&w);
	setup_call(&w, 0, &C1);
	media(&w, 0.4, 2, 100);
	a_req(&w, 2.5, &C1, "BYE", 2, "bye2", true, false);
	b_resp(&w, 2.51, &C1, "200 OK", 2, "BYE", "bye2", true, false);
	fillers(&w, 3, 12, 1);
	a_req(&w, 12.5, &C1, "INVITE", 3, "inv3", true, true);
	b_resp(&w, 12.6, &C1, "200 OK", 3, "INVITE", "inv3", true, true);
	a_req(&w, 12.7, &C1, "ACK", 3, "ack3", true, false);
	media(&w, 13, 2, 400);
	a_req(&w, 15.5, &C1, "BYE", 4, "bye4", true, false);
	b_resp(&w, 15.51, &C1, "200 OK", 4, "BYE", "bye4", true, false);
	fillers(&w, 16, 24, 1);
	pw_close(&w);
	const char *dir;
	struct json_object *r = run(&w, NULL, &dir);
	cr_assert_eq(alen(r, "dialogs"), 2);
	cr_assert_eq(geti(r, "dialogs.1.continues"), 1);
	cr_assert_eq(counter(r, "late_after_finish", "rtp"), 0);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(alen(r, "streams"), 4);
	for (size_t i = 0; i < 4; i++) {
		char p[64];
		snprintf(p, sizeof(p), "streams.%zu.packets", i);
		cr_assert_eq(geti(r, p), 100, "stream %zu", i);
		snprintf(p, sizeof(p), "streams.%zu.signalled", i);
		cr_assert(json_object_get_boolean(cxt_get(r, p)), "stream %zu", i);
	}
	call_folder_complete(r, dir, 1);
	json_object_put(r);
	unlink(w.path);
}

/* REGISTER answered 200: over; OPTIONS too. A REGISTER refresh with a
 * higher CSeq after the finish is a continuation. */
Test(lifecycle, register_answered_then_refresh_continues)
{
	static const struct call c = { "life-reg@10.0.0.1", "ga", "gb" };
	struct pw w;
	pw_open(&w);
	a_req(&w, 0, &c, "REGISTER", 1, "reg1", false, false);
	b_resp(&w, 0.1, &c, "401 Unauthorized", 1, "REGISTER", "reg1", true, false);
	fillers(&w, 1, 8, 1); /* a 401 is not final: not finished in these 8 s */
	a_req(&w, 8.5, &c, "REGISTER", 2, "reg2", false, false);
	b_resp(&w, 8.6, &c, "200 OK", 2, "REGISTER", "reg2", true, false);
	fillers(&w, 9, 20, 1);
	b_resp(&w, 20.5, &c, "200 OK", 2, "REGISTER", "reg2", true, false); /* late */
	a_req(&w, 21, &c, "REGISTER", 3, "reg3", false, false);
	b_resp(&w, 21.1, &c, "200 OK", 3, "REGISTER", "reg3", true, false);
	fillers(&w, 22, 24, 1);
	pw_close(&w);
	struct json_object *r = run(&w, NULL, NULL);
	cr_assert_eq(alen(r, "dialogs"), 2);
	cr_assert_str_eq(gets(r, "dialogs.0.kind"), "REGISTER");
	cr_assert_eq(geti(r, "dialogs.0.message_count"), 4);
	cr_assert_str_eq(gets(r, "dialogs.0.state"), "accepted");
	cr_assert_eq(geti(r, "dialogs.1.continues"), 1);
	cr_assert_eq(geti(r, "dialogs.1.message_count"), 2);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 1);
	cr_assert_eq(counter(r, "counts", "continuations"), 1);
	cr_assert_eq(counter(r, "counts", "calls_finished"), 2);
	json_object_put(r);
	unlink(w.path);
}

/* ---------- 2. the output does not depend on when calls are finished ---------- */

struct tree {
	char **v;
	size_t n, cap;
	size_t root;
};

static struct tree *cur_tree;

static int
walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	struct tree *t = cur_tree;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = strdup(path + t->root + 1);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_tree(const char *dir, struct tree *t)
{
	memset(t, 0, sizeof(*t));
	t->root = strlen(dir);
	cur_tree = t;
	cr_assert_eq(nftw(dir, walk_cb, 16, FTW_PHYS), 0);
	qsort(t->v, t->n, sizeof(*t->v), cmp_str);
}

static void
free_tree(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

static int
rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static struct json_object *
report_without_lifecycle(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/report.json", dir);
	struct json_object *r = json_object_from_file(p);
	cr_assert_not_null(r, "%s", p);
	struct json_object *cap = cxt_get(r, "capture");
	cr_assert_not_null(cap);
	cr_assert_not_null(cxt_get(cap, "lifecycle"));
	json_object_object_del(cap, "lifecycle");
	json_object_object_del(r, "options"); /* linger_ms and call_idle_s differ, as they should */
	return r;
}

/* SHA256SUMS without its report.json line: report.json differs in its
 * lifecycle section and options, every other file's digest must not. */
static void
drop_report_line(char *m, size_t *len)
{
	char *l = strstr(m, "  report.json\n");
	if (!l)
		return;
	char *b = l;
	while (b > m && b[-1] != '\n')
		b--;
	char *e = l + strlen("  report.json\n");
	memmove(b, e, (size_t)(m + *len - e) + 1);
	*len -= (size_t)(e - b);
}

/* Every file of both trees byte for byte, report.json without
 * capture.lifecycle. */
static size_t
same_trees(const char *what, const char *a, const char *b)
{
	struct tree ta, tb;
	list_tree(a, &ta);
	list_tree(b, &tb);
	cr_assert_gt(ta.n, 0);
	for (size_t i = 0, k = 0; i < ta.n || k < tb.n;) {
		int c = i >= ta.n ? 1 : k >= tb.n ? -1 : strcmp(ta.v[i], tb.v[k]);
		cr_assert_eq(c, 0, "%s: %s only in the %s run", what, c < 0 ? ta.v[i] : tb.v[k],
			     c < 0 ? "default" : "never-finish");
		i++;
		k++;
	}
	for (size_t i = 0; i < ta.n; i++) {
		const char *rel = ta.v[i];
		if (!strcmp(rel, "report.json")) {
			struct json_object *x = report_without_lifecycle(a), *y = report_without_lifecycle(b);
			const char *sx = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);
			const char *sy = json_object_to_json_string_ext(y, JSON_C_TO_STRING_PLAIN);
			if (strcmp(sx, sy)) {
				size_t o = 0;
				while (sx[o] && sx[o] == sy[o])
					o++;
				size_t from = o > 200 ? o - 200 : 0;
				cr_assert_fail("%s: report.json differs at %zu:\n  default: %.400s\n  never:   %.400s", what, o,
					       sx + from, sy + from);
			}
			json_object_put(x);
			json_object_put(y);
			continue;
		}
		size_t la = 0, lb = 0;
		char *x = cxt_slurp(a, rel, &la), *y = cxt_slurp(b, rel, &lb);
		cr_assert_not_null(x, "%s: %s", what, rel);
		cr_assert_not_null(y, "%s: %s", what, rel);
		if (!strcmp(rel, "SHA256SUMS")) {
			drop_report_line(x, &la);
			drop_report_line(y, &lb);
		}
		if (la != lb || memcmp(x, y, la)) {
			size_t o = 0;
			while (o < la && o < lb && x[o] == y[o])
				o++;
			size_t from = o > 120 ? o - 120 : 0;
			cr_assert_fail("%s: %s differs (%zu vs %zu bytes) at byte %zu:\n  default: %.300s\n  never:   %.300s", what,
				       rel, la, lb, o, x + from, y + from);
		}
		free(x);
		free(y);
	}
	cr_assert(!exists_in(a, "spill") && !exists_in(b, "spill"), "%s: spill/ left behind", what);
	size_t n = ta.n;
	free_tree(&ta);
	free_tree(&tb);
	return n;
}

/* Both runs of one capture; the dirs in a and b (caller removes them). */
static void
two_runs(const char *capture, bool no_audio, char *a, char *b, size_t n)
{
	const char *dir;
	int rc;
	struct json_object *r = cxt_run(capture, no_audio ? tweak_no_audio : NULL, &rc, &dir);
	made_add(dir);
	cr_assert_not_null(r, "%s", capture);
	json_object_put(r);
	snprintf(a, n, "%s", dir);
	r = cxt_run(capture, no_audio ? tweak_never_no_audio : tweak_never, &rc, &dir);
	made_add(dir);
	cr_assert_not_null(r, "%s", capture);
	cr_assert_eq(geti(r, "capture.lifecycle.linger_ms"), 86400000);
	cr_assert_eq(counter(r, "late_after_finish", "sip"), 0);
	cr_assert_eq(counter(r, "counts", "continuations"), 0);
	json_object_put(r);
	snprintf(b, n, "%s", dir);
}

static bool
is_capture(const char *name)
{
	size_t l = strlen(name);
	return (l > 5 && !strcmp(name + l - 5, ".pcap")) || (l > 7 && !strcmp(name + l - 7, ".pcapng"));
}

Test(lifecycle_equal, every_fixture_same_output_whenever_finished)
{
	DIR *d = opendir(cxt_path("fixtures"));
	cr_assert_not_null(d);
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!is_capture(e->d_name) || !strcmp(e->d_name, "aaa.pcap"))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	cr_assert_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		char rel[512], a[256], b[256];
		snprintf(rel, sizeof(rel), "fixtures/%s", names[i]);
		two_runs(cxt_path(rel), false, a, b, sizeof(a));
		same_trees(names[i], a, b);
		rm_tree(a);
		rm_tree(b);
		free(names[i]);
	}
	free(names);
}

struct cid_sum {
	char *cid;
	int64_t msgs, retrans, dialogs;
};

static void
sum_by_cid(struct json_object *r, struct cid_sum **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	struct json_object *dl = cxt_get(r, "dialogs");
	for (size_t i = 0; i < json_object_array_length(dl); i++) {
		struct json_object *g = json_object_array_get_idx(dl, i);
		const char *cid = gets(g, "call_id");
		size_t k = 0;
		while (k < *n && strcmp((*v)[k].cid, cid))
			k++;
		if (k == *n) {
			*v = realloc(*v, (*n + 1) * sizeof(**v));
			memset(&(*v)[k], 0, sizeof(**v));
			(*v)[k].cid = strdup(cid);
			(*n)++;
		}
		(*v)[k].msgs += geti(g, "message_count");
		(*v)[k].retrans += geti(g, "retransmissions");
		(*v)[k].dialogs++;
	}
}

/* aaa.pcap refreshes its REGISTERs on the same Call-ID: by default the
 * refreshes are continuations. Per Call-ID, the messages are the same in
 * both runs; the extra dialogs all name what they continue; a Call-ID
 * with one dialog in both runs has the same entry (bar its index). */
Test(lifecycle_equal, aaa_differs_only_by_continuations)
{
	char a[256], b[256];
	two_runs(cxt_path("fixtures/aaa.pcap"), false, a, b, sizeof(a));
	struct json_object *x = report_without_lifecycle(a), *y = report_without_lifecycle(b);
	struct cid_sum *sa, *sb;
	size_t na, nb;
	sum_by_cid(x, &sa, &na);
	sum_by_cid(y, &sb, &nb);
	cr_assert_eq(na, nb, "%zu vs %zu Call-IDs", na, nb);
	size_t extra = 0;
	for (size_t i = 0; i < na; i++) {
		cr_assert_str_eq(sa[i].cid, sb[i].cid);
		cr_assert_eq(sa[i].msgs, sb[i].msgs, "%s: %lld vs %lld messages", sa[i].cid, (long long)sa[i].msgs,
			     (long long)sb[i].msgs);
		cr_assert_eq(sb[i].dialogs, 1, "%s", sb[i].cid);
		extra += (size_t)(sa[i].dialogs - sb[i].dialogs);
	}
	size_t cont = 0;
	struct json_object *dl = cxt_get(x, "dialogs"), *dm = cxt_get(y, "dialogs");
	for (size_t i = 0; i < json_object_array_length(dl); i++)
		cont += cxt_get(json_object_array_get_idx(dl, i), "continues") != NULL;
	cr_assert_gt(cont, 0, "aaa.pcap was expected to have continuations");
	cr_assert_eq(cont, extra);
	char p[4096];
	snprintf(p, sizeof(p), "%s/report.json", a);
	struct json_object *full = json_object_from_file(p);
	cr_assert_eq(counter(full, "counts", "continuations"), (int64_t)cont);
	json_object_put(full);
	for (size_t i = 0; i < na; i++) {
		if (sa[i].dialogs != 1)
			continue;
		struct json_object *ga = NULL, *gb = NULL;
		for (size_t k = 0; k < json_object_array_length(dl); k++)
			if (!strcmp(gets(json_object_array_get_idx(dl, k), "call_id"), sa[i].cid))
				ga = json_object_array_get_idx(dl, k);
		for (size_t k = 0; k < json_object_array_length(dm); k++)
			if (!strcmp(gets(json_object_array_get_idx(dm, k), "call_id"), sa[i].cid))
				gb = json_object_array_get_idx(dm, k);
		cr_assert(ga && gb);
		json_object_object_del(ga, "index");
		json_object_object_del(gb, "index");
		cr_assert(json_object_equal(ga, gb), "%s: entries differ:\n%s\n%s", sa[i].cid,
			  json_object_to_json_string(ga), json_object_to_json_string(gb));
	}
	/* what is not dialogs (and the conversations made of them) is the same */
	json_object_object_del(x, "dialogs");
	json_object_object_del(y, "dialogs");
	json_object_object_del(x, "conversations");
	json_object_object_del(y, "conversations");
	const char *sx = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);
	const char *sy = json_object_to_json_string_ext(y, JSON_C_TO_STRING_PLAIN);
	if (strcmp(sx, sy)) {
		size_t o = 0;
		while (sx[o] && sx[o] == sy[o])
			o++;
		size_t from = o > 200 ? o - 200 : 0;
		cr_assert_fail("aaa: report.json differs outside dialogs at %zu:\n  default: %.400s\n  never:   %.400s", o,
			       sx + from, sy + from);
	}
	for (size_t i = 0; i < na; i++) {
		free(sa[i].cid);
		free(sb[i].cid);
	}
	free(sa);
	free(sb);
	json_object_put(x);
	json_object_put(y);
	rm_tree(a);
	rm_tree(b);
}

/* bench/gen-capture next to this test's build dir */
static bool
gen_capture_path(char *out, size_t n)
{
	const char *root = getenv("MESON_BUILD_ROOT");
	if (root) {
		snprintf(out, n, "%s/bench/gen-capture", root);
		if (access(out, X_OK) == 0)
			return true;
	}
	char exe[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l <= 0)
		return false;
	exe[l] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0'; /* build/tests */
	snprintf(out, n, "%s/../bench/gen-capture", exe);
	return access(out, X_OK) == 0;
}

static void
generated(bool no_audio)
{
	char gen[PATH_MAX + 32];
	if (!gen_capture_path(gen, sizeof(gen)))
		cr_skip_test("bench/gen-capture not built");
	char cap[] = "/tmp/cxlife-gen-XXXXXX";
	int fd = mkstemp(cap);
	cr_assert_geq(fd, 0);
	close(fd);
	made_add(cap);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		execl(gen, gen, "-n", "200", "-d", "2", "-c", "400", "-s", "1G", cap, (char *)NULL);
		_exit(127);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gen-capture failed");
	char a[256], b[256];
	/* most calls are finished before the end of the capture */
	uint64_t early = drive(cap, no_audio ? tweak_no_audio : NULL, NULL, NULL, 0);
	cr_assert_geq(early, 150, "only %llu calls finished before the end", (unsigned long long)early);
	two_runs(cap, no_audio, a, b, sizeof(a));
	/* the calls were finished along the way, 400 of them */
	char p[4096];
	snprintf(p, sizeof(p), "%s/report.json", a);
	struct json_object *r = json_object_from_file(p);
	cr_assert_not_null(r);
	int64_t calls = 0;
	struct json_object *dl = cxt_get(r, "dialogs");
	for (size_t i = 0; i < json_object_array_length(dl); i++)
		calls += !strcmp(gets(json_object_array_get_idx(dl, i), "kind"), "INVITE");
	cr_assert_eq(calls, 400);
	cr_assert_geq(counter(r, "counts", "calls_finished"), 400);
	if (!no_audio)
		cr_assert_geq(alen(r, "streams"), 800);
	json_object_put(r);
	size_t files = same_trees(no_audio ? "gen-capture --no-audio" : "gen-capture", a, b);
	/* 400 call folders of 3 files (call.json, flow.txt, flow.svg), WAVs */
	cr_assert_geq(files, no_audio ? 1200 : 1200 + 800, "%zu files", files);
	rm_tree(a);
	rm_tree(b);
	unlink(cap);
}

Test(lifecycle_equal, generated_400_calls_with_audio)
{
	generated(false);
}

Test(lifecycle_equal, generated_400_calls_no_audio)
{
	generated(true);
}

/* ---- the public corpus ---- */

static char **corpus_names;
static size_t corpus_n;

static int
corpus_add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t l = strlen(path);
	if (type == FTW_F && (is_capture(path) || (l > 4 && !strcmp(path + l - 4, ".cap")))) {
		corpus_names = realloc(corpus_names, (corpus_n + 1) * sizeof(*corpus_names));
		corpus_names[corpus_n++] = strdup(path);
	}
	return 0;
}

/* Every corpus capture: finished early or at the end, the output trees
 * are the same; where a Call-ID is reused after its dialog ended (REGISTER
 * refreshes...), the default run has continuations instead, and then the
 * messages per Call-ID are the same in both runs. */
Test(lifecycle_equal, every_corpus_capture_same_output_whenever_finished, .timeout = 600)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s", cxt_path("corpus:"));
	if (!cxt_exists(root))
		cr_skip_test("corpus not present");
	corpus_n = 0;
	nftw(root, corpus_add, 16, FTW_PHYS);
	qsort(corpus_names, corpus_n, sizeof(*corpus_names), cmp_str);
	cr_assert_gt(corpus_n, 50);
	size_t with_cont = 0;
	for (size_t i = 0; i < corpus_n; i++) {
		char a[256], b[256], p[4096];
		two_runs(corpus_names[i], false, a, b, sizeof(a));
		snprintf(p, sizeof(p), "%s/report.json", a);
		struct json_object *full = json_object_from_file(p);
		cr_assert_not_null(full, "%s: no report", corpus_names[i]);
		int64_t cont = counter(full, "counts", "continuations");
		json_object_put(full);
		if (!cont) {
			same_trees(corpus_names[i], a, b);
		} else {
			with_cont++;
			struct json_object *x = report_without_lifecycle(a), *y = report_without_lifecycle(b);
			struct cid_sum *sa, *sb;
			size_t na, nb;
			sum_by_cid(x, &sa, &na);
			sum_by_cid(y, &sb, &nb);
			cr_assert_eq(na, nb, "%s: %zu vs %zu Call-IDs", corpus_names[i], na, nb);
			for (size_t k = 0; k < na; k++) {
				cr_assert_str_eq(sa[k].cid, sb[k].cid);
				cr_assert_eq(sa[k].msgs, sb[k].msgs, "%s: %s: %lld vs %lld messages", corpus_names[i],
					     sa[k].cid, (long long)sa[k].msgs, (long long)sb[k].msgs);
				free(sa[k].cid);
				free(sb[k].cid);
			}
			free(sa);
			free(sb);
			json_object_put(x);
			json_object_put(y);
		}
		rm_tree(a);
		rm_tree(b);
		free(corpus_names[i]);
	}
	free(corpus_names);
	corpus_names = NULL;
	cr_log_info("%zu corpus captures, %zu with continuations", corpus_n, with_cont);
}
