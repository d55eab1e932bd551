/* A real call (fixtures/sip-call-auth.pcap: two baresip UAs through
 * kamailio, PCMU; and sip-call-pcma.pcap, PCMA with DTMF) carrying known speech (fixtures/voip-alice.wav and
 * voip-bob.wav): each decoded direction must correlate strongly with the
 * speech that was sent, and the stereo file must hold alice left and bob
 * right. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"

static short *
load(const char *path, sf_count_t *n, int *channels)
{
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_not_null(sf, "%s", path);
	short *v = malloc((size_t)(info.frames * info.channels) * sizeof(short));
	*n = sf_readf_short(sf, v, info.frames);
	*channels = info.channels;
	sf_close(sf);
	return v;
}

static sf_count_t
onset(const short *v, sf_count_t n, int stride)
{
	for (sf_count_t i = 0; i < n; i++)
		if (abs(v[i * stride]) > 600)
			return i;
	return -1;
}

/* Best normalised correlation of src against got (taken at stride/offset),
 * near the alignment given by the first loud sample of each. */
static double
correlation(const short *src, sf_count_t ns, const short *got, sf_count_t ng, int stride, int ch)
{
	sf_count_t a = onset(src, ns, 1), b = onset(got + ch, ng, stride);
	cr_assert(a >= 0 && b >= 0, "no speech found");
	double best = 0;
	for (long lag = -400; lag <= 400; lag++) {
		double sxy = 0, sxx = 0, syy = 0;
		for (sf_count_t i = 0; i < ns; i++) {
			long j = (long)(i - a + b + lag);
			if (j < 0 || j >= ng)
				continue;
			double x = src[i], y = got[j * stride + ch];
			sxy += x * y;
			sxx += x * x;
			syy += y * y;
		}
		double c = (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : 0;
		if (c > best)
			best = c;
	}
	return best;
}

static void
check_call(const char *fixture)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path(fixture), NULL, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	sf_count_t na, nb;
	int ch;
	short *alice = load(cxt_path("fixtures/voip-alice.wav"), &na, &ch);
	short *bob = load(cxt_path("fixtures/voip-bob.wav"), &nb, &ch);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *sender = json_object_get_string(cxt_get(s, "sender"));
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, json_object_get_string(cxt_get(s, "wav")));
		sf_count_t n;
		short *got = load(path, &n, &ch);
		bool is_alice = !strcmp(sender, "caller");
		double c = correlation(is_alice ? alice : bob, is_alice ? na : nb, got, n, 1, 0);
		cr_assert_gt(c, 0.99, "%s: %s stream correlates %.4f with the speech sent", fixture, sender, c);
		free(got);
	}
	/* stereo: alice (caller) left, bob (callee) right */
	const char *w = json_object_get_string(cxt_get(r, "streams.0.wav"));
	char stereo[1024];
	snprintf(stereo, sizeof(stereo), "%s/%s", dir, w);
	*strrchr(stereo, '/') = '\0';
	strcat(stereo, "/stereo.wav");
	sf_count_t n;
	short *st = load(stereo, &n, &ch);
	cr_assert_eq(ch, 2);
	double left = correlation(alice, na, st, n, 2, 0);
	double right = correlation(bob, nb, st, n, 2, 1);
	cr_assert_gt(left, 0.99, "%s: left channel vs alice: %.4f", fixture, left);
	cr_assert_gt(right, 0.99, "%s: right channel vs bob: %.4f", fixture, right);
	/* and exactly: each stream's WAV sits sample for sample on its
	 * channel, from the frame the report gives */
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		struct json_object *x = cxt_get(s, "audio.stereo");
		cr_assert_not_null(x, "%s: stream %zu has no place in the stereo file", fixture, i);
		cr_assert_eq(json_object_get_int64(cxt_get(x, "samples_left_out")), 0);
		int c = !strcmp(json_object_get_string(cxt_get(x, "channel")), "right");
		cr_assert_eq(c, strcmp(json_object_get_string(cxt_get(s, "sender")), "caller") != 0);
		int64_t first = json_object_get_int64(cxt_get(x, "first_frame"));
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, json_object_get_string(cxt_get(s, "wav")));
		sf_count_t nm;
		short *mono = load(path, &nm, &ch);
		cr_assert_geq(n, first + nm);
		for (sf_count_t k = 0; k < nm; k++)
			cr_assert_eq(st[(first + k) * 2 + c], mono[k], "%s: frame %lld", fixture, (long long)(first + k));
		free(mono);
	}
	free(st);
	free(alice);
	free(bob);
	json_object_put(r);
}

Test(media_speech, pcmu_call_matches_the_spoken_audio) { check_call("fixtures/sip-call-auth.pcap"); }
/* PCMA, with RFC 4733 events interleaved in alice's stream: the events
 * must not disturb her audio */
Test(media_speech, pcma_call_with_dtmf_matches_the_spoken_audio) { check_call("fixtures/sip-call-pcma.pcap"); }
