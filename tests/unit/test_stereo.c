/* The streaming stereo mix on its own: feeds placed by capture time, the
 * output held back until every live feed has passed a frame, a feed that
 * lags beyond the cap losing only its late samples (counted), realignment
 * after a jump, and a mix that goes idle and resumes appending. The file
 * is read back with libsndfile. */
#include <criterion/criterion.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include "callextract/outdir.h"
#include "sink/stereo.h"
#include "output/writers.h"

#define S 1000000000LL /* ns */

static struct cx_outdir *out;
static struct cx_writers *w;
static char dirpath[] = "/tmp/cxstereo-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dirpath));
	const char *why;
	cr_assert_eq(cx_outdir_open(&out, dirpath, 1, &why), 0);
	w = cx_writers_new(out, 4, false);
}

static void
teardown(void)
{
	cx_writers_free(w);
	cx_outdir_close(out);
}

static short *
read_back(sf_count_t *frames)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/mix.wav", dirpath);
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(p, SFM_READ, &info);
	cr_assert_not_null(sf);
	cr_assert_eq(info.channels, 2);
	cr_assert_eq(info.samplerate, 8000);
	short *v = calloc((size_t)info.frames * 2 + 2, sizeof(short));
	*frames = sf_readf_short(sf, v, info.frames);
	sf_close(sf);
	return v;
}

static void
ramp(short *v, size_t n, short base)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (short)(base + (short)(i % 1000));
}

TestSuite(stereo, .init = setup, .fini = teardown);

Test(stereo, two_feeds_on_one_timeline)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 100 * S, 80000);
	int l = cx_stereo_feed(x, 0, 100 * S);
	int r = cx_stereo_feed(x, 1, 100 * S + S / 2); /* starts half a second later */
	short a[8000], b[8000];
	ramp(a, 8000, 1);
	ramp(b, 8000, 2000);
	for (int i = 0; i < 5; i++) {
		cx_stereo_put(x, l, a, 8000);
		cx_stereo_put(x, r, b, 8000);
	}
	cx_stereo_idle(x, l);
	cx_stereo_idle(x, r);
	cr_assert_eq(cx_stereo_dropped(x), 0);
	cr_assert_eq(cx_stereo_frames(x), 44000);
	cx_stereo_free(x);
	sf_count_t n;
	short *v = read_back(&n);
	cr_assert_eq(n, 44000);
	for (sf_count_t k = 0; k < n; k++) {
		cr_assert_eq(v[2 * k], k < 40000 ? a[k % 8000] : 0, "left %lld", (long long)k);
		cr_assert_eq(v[2 * k + 1], k < 4000 ? 0 : b[(k - 4000) % 8000], "right %lld", (long long)k);
	}
	free(v);
}

Test(stereo, output_waits_for_the_slower_feed)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 0, 80000);
	int l = cx_stereo_feed(x, 0, 0);
	int r = cx_stereo_feed(x, 1, 0);
	short a[8000];
	ramp(a, 8000, 5);
	for (int i = 0; i < 3; i++)
		cx_stereo_put(x, l, a, 8000);
	cr_assert_eq(cx_stereo_frames(x), 0, "right has sent nothing yet: nothing may go out");
	cx_stereo_put(x, r, a, 8000);
	cr_assert_eq(cx_stereo_frames(x), 8000);
	/* the slow feed catches up: every sample of both lands */
	cx_stereo_put(x, r, a, 8000);
	cx_stereo_put(x, r, a, 8000);
	cr_assert_eq(cx_stereo_dropped(x), 0);
	cx_stereo_free(x);
	sf_count_t n;
	short *v = read_back(&n);
	cr_assert_eq(n, 24000);
	for (sf_count_t k = 0; k < n; k++)
		cr_assert(v[2 * k] == a[k % 8000] && v[2 * k + 1] == a[k % 8000]);
	free(v);
}

Test(stereo, a_feed_lagging_beyond_the_cap_loses_only_late_samples)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 0, 80000);
	int l = cx_stereo_feed(x, 0, 0);
	int r = cx_stereo_feed(x, 1, 0);
	short a[8000];
	ramp(a, 8000, 7);
	for (int i = 0; i < 40; i++) /* 40 s on the left, the right silent but live */
		cx_stereo_put(x, l, a, 8000);
	cr_assert_geq(cx_stereo_frames(x), 8 * 8000, "the buffer is capped: old frames went out");
	uint64_t out_before = cx_stereo_frames(x);
	cx_stereo_put(x, r, a, 8000); /* the right's first second is far behind */
	cr_assert_eq(cx_stereo_dropped(x), 8000);
	cr_assert_eq(cx_stereo_frames(x), out_before);
	cx_stereo_free(x);
	sf_count_t n;
	short *v = read_back(&n);
	cr_assert_eq(n, 40 * 8000);
	for (sf_count_t k = 0; k < n; k++)
		cr_assert(v[2 * k] == a[k % 8000] && v[2 * k + 1] == 0);
	free(v);
}

Test(stereo, realign_moves_a_feed_to_its_arrival_time)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 0, 80000);
	int l = cx_stereo_feed(x, 0, 0);
	short a[8000];
	ramp(a, 8000, 9);
	cx_stereo_put(x, l, a, 8000);
	cx_stereo_realign(x, l, S + S / 2); /* 0.5 s off: left alone */
	cr_assert_eq(cx_stereo_realigned(x), 0);
	cx_stereo_realign(x, l, 9 * S);      /* 8 s off: moved */
	cr_assert_eq(cx_stereo_realigned(x), 1);
	cr_assert_eq(cx_stereo_feed_pos(x, l), 9 * 8000);
	cx_stereo_put(x, l, a, 8000);
	cx_stereo_free(x);
	sf_count_t n;
	short *v = read_back(&n);
	cr_assert_eq(n, 10 * 8000);
	for (sf_count_t k = 0; k < n; k++)
		cr_assert_eq(v[2 * k], k < 8000 ? a[k] : k < 9 * 8000 ? 0 : a[k - 9 * 8000]);
	free(v);
}

Test(stereo, idle_then_resume_appends)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 0, 80000);
	int l = cx_stereo_feed(x, 0, 0);
	short a[8000];
	ramp(a, 8000, 11);
	cx_stereo_put(x, l, a, 8000);
	cx_stereo_idle(x, l); /* file closed, buffer released */
	cr_assert_eq(cx_stereo_frames(x), 8000);
	cx_stereo_realign(x, l, 3 * S);
	cx_stereo_put(x, l, a, 8000);
	cx_stereo_free(x);
	sf_count_t n;
	short *v = read_back(&n);
	cr_assert_eq(n, 4 * 8000);
	for (sf_count_t k = 0; k < n; k++)
		cr_assert_eq(v[2 * k], k < 8000 ? a[k] : k < 3 * 8000 ? 0 : a[k - 3 * 8000]);
	free(v);
}

static void
share_few_descriptors(bool threaded)
{
	cx_writers_free(w);
	w = cx_writers_new(out, 4, threaded);
	/* 4 descriptors for 12 mixes written in turn: all complete */
	struct cx_stereo *x[12];
	int f[12];
	for (int i = 0; i < 12; i++) {
		char p[32];
		snprintf(p, sizeof(p), "m%02d.wav", i);
		x[i] = cx_stereo_new(w, p, 0, 80000);
		f[i] = cx_stereo_feed(x[i], i & 1, 0);
	}
	short a[8000];
	ramp(a, 8000, 13);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 12; i++)
			cx_stereo_put(x[i], f[i], a, 8000);
	for (int i = 0; i < 12; i++)
		cx_stereo_free(x[i]);
	cx_writers_free(w); /* everything queued is written and closed */
	w = cx_writers_new(out, 4, false);
	for (int i = 0; i < 12; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/m%02d.wav", dirpath, i);
		SF_INFO info;
		memset(&info, 0, sizeof(info));
		SNDFILE *sf = sf_open(p, SFM_READ, &info);
		cr_assert_not_null(sf);
		cr_assert_eq(info.frames, 24000, "mix %d", i);
		short *v = malloc(24000 * 2 * sizeof(short));
		cr_assert_eq(sf_readf_short(sf, v, 24000), 24000);
		for (int k = 0; k < 24000; k++)
			cr_assert(v[2 * k + (i & 1)] == a[k % 8000] && v[2 * k + !(i & 1)] == 0, "mix %d frame %d", i, k);
		free(v);
		sf_close(sf);
	}
}

/* Capture timestamps are hostile input: a stream placed (or realigned) a
 * year away opens up at most the silence cap, not a year of it. */
Test(stereo, a_year_away_is_pulled_in)
{
	struct cx_stereo *x = cx_stereo_new(w, "mix.wav", 0, 80000); /* 10 s cap */
	int l = cx_stereo_feed(x, 0, 0);
	int r = cx_stereo_feed(x, 1, 365LL * 86400 * S);
	cr_assert_eq(cx_stereo_feed_pos(x, r), 80000, "placed at the end plus the cap");
	cr_assert_eq(cx_stereo_realigned(x), 1);
	short a[8000];
	ramp(a, 8000, 3);
	cx_stereo_put(x, l, a, 8000);
	cx_stereo_realign(x, l, -365LL * 86400 * S); /* a year back */
	cr_assert_geq(cx_stereo_feed_pos(x, l), 0);
	cx_stereo_put(x, r, a, 8000);
	cx_stereo_realign(x, r, 730LL * 86400 * S);
	cr_assert_leq(cx_stereo_feed_pos(x, r), 88000 + 80000);
	cx_stereo_put(x, r, a, 8000);
	cx_stereo_idle(x, l);
	cx_stereo_idle(x, r);
	cr_assert_leq(cx_stereo_frames(x), 200000, "no absurd amount of silence");
	cx_stereo_free(x);
}

Test(stereo, writers_share_few_descriptors) { share_few_descriptors(false); }
/* the same through the writing thread: all 12 files complete, in order */
Test(stereo, writers_share_few_descriptors_threaded) { share_few_descriptors(true); }
