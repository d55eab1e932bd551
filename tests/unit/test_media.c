/* Media: stream statistics against tshark's -z rtp,streams references, and
 * decoded audio against an independent decode (libsndfile's G.711 tables
 * over the RTP payloads read straight from the capture with libpcap). */
#include <criterion/criterion.h>
#include <math.h>
#include <pcap/pcap.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "callextract/ctx.h"
#include "cxtest.h"

/* ---- tshark references ---- */

/* Every stream of tshark's table must be ours with the same packets and
 * lost, and the same min/mean/max delta and jitter to the 3 decimals tshark
 * prints; and we must have no stream tshark lacks. The heuristic tables
 * (--enable-heuristic rtp_udp) are used because we find unsignalled RTP
 * too; on these captures they list the signalled streams as well. */
static void
check_streams(const char *rel, const char *suffix)
{
	const char *p = cxt_path(rel);
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	char ref[4096];
	snprintf(ref, sizeof(ref), "%s.%s", p, suffix);
	FILE *f = fopen(ref, "r");
	cr_assert_not_null(f);
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams");
	char line[1024];
	int nref = 0;
	while (fgets(line, sizeof(line), f)) {
		double t0, t1;
		char sip[64], dip[64], ssrc[32];
		int sp, dp;
		if (sscanf(line, " %lf %lf %63s %d %63s %d %31s", &t0, &t1, sip, &sp, dip, &dp, ssrc) != 7)
			continue;
		/* "... <payload names> <pkts> <lost> (<pct>%) <6 figures> [X]" */
		char *pct = strstr(line, "%)");
		cr_assert_not_null(pct);
		char *q = pct;
		while (q > line && *q != '(')
			q--;
		*q = '\0';
		char *e = q - 1; /* walk back over "<pkts> <lost> " */
		for (int k = 0; k < 2; k++) {
			while (e > line && *e == ' ')
				e--;
			while (e > line && *e != ' ')
				e--;
		}
		long pkts, lost;
		cr_assert_eq(sscanf(e, "%ld %ld", &pkts, &lost), 2, "%s", line);
		double fig[6];
		cr_assert_eq(sscanf(pct + 2, "%lf %lf %lf %lf %lf %lf", &fig[0], &fig[1], &fig[2], &fig[3], &fig[4], &fig[5]), 6);
		static const char *keys[6] = { "min_delta_ms", "mean_delta_ms", "max_delta_ms",
					       "min_jitter_ms", "mean_jitter_ms", "max_jitter_ms" };
		nref++;
		char src[96], dst[96];
		snprintf(src, sizeof(src), "%s:%d", sip, sp);
		snprintf(dst, sizeof(dst), "%s:%d", dip, dp);
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(streams); i++) {
			struct json_object *s = json_object_array_get_idx(streams, i);
			const char *ss = json_object_get_string(cxt_get(s, "ssrc"));
			if (!ss || strcasecmp(ss, ssrc) || strcmp(json_object_get_string(cxt_get(s, "src")), src) ||
			    strcmp(json_object_get_string(cxt_get(s, "dst")), dst))
				continue;
			found = true;
			cr_expect_eq(json_object_get_int64(cxt_get(s, "packets")), pkts, "%s %s: packets", rel, ssrc);
			cr_expect_eq(json_object_get_int64(cxt_get(s, "lost")), lost, "%s %s: lost", rel, ssrc);
			for (int k = 0; k < 6; k++) {
				struct json_object *v = cxt_get(s, keys[k]);
				if (fig[k] == -1) { /* tshark: no value (no regular packet, no clock) */
					cr_expect_null(v, "%s %s: %s", rel, ssrc, keys[k]);
					continue;
				}
				double got = json_object_get_double(v);
				cr_expect(fabs(got - fig[k]) < 0.0015, "%s %s: %s %.4f, tshark %.3f", rel, ssrc, keys[k], got, fig[k]);
			}
		}
		cr_expect(found, "%s: stream %s %s -> %s not found", rel, ssrc, src, dst);
	}
	fclose(f);
	size_t rtp = 0;
	for (size_t i = 0; i < json_object_array_length(streams); i++)
		rtp += cxt_get(json_object_array_get_idx(streams, i), "ssrc") != NULL;
	cr_assert_eq((int)rtp, nref, "%s: %zu streams, tshark %d", rel, rtp, nref);
	json_object_put(r);
}

#define SIPNAB "corpus:NormB__sipnab/tests/pcap-samples/"
#define HEUR "rtp_streams_heur.txt"
Test(media, sip_dtmf2_pcma_and_events) { check_streams(SIPNAB "SIP_DTMF2.cap", HEUR); }
Test(media, asterisk_loss_369) { check_streams(SIPNAB "Asterisk_ZFONE_XLITE.pcap", HEUR); }
Test(media, two_calls_pcmu_pcma) { check_streams(SIPNAB "sip-rtp-g711.pcap", HEUR); }
Test(media, codec_negotiation) { check_streams(SIPNAB "codec-negotiation.pcap", HEUR); }
Test(media, unsignalled_sll) { check_streams(SIPNAB "speech_8k_ulaw.pcap", HEUR); }
Test(media, unsignalled_dtmf) { check_streams("corpus:SIPp__sipp/pcap/dtmf_2833_1.pcap", HEUR); }
Test(media, g722) { check_streams(SIPNAB "sip-rtp-g722.pcap", HEUR); }
Test(media, h263_video_markers) { check_streams(SIPNAB "h263-over-rtp.pcap", HEUR); }
Test(media, opus) { check_streams(SIPNAB "invite-opus-bye.pcap", HEUR); }
Test(media, comfort_noise_sip_over_tcp) { check_streams("corpus:sipcapture__heplify/example/pcap/sip_ipv4_tcp.pcap", HEUR); }
Test(media, provider_call_2005) { check_streams("corpus:irontec__sngrep/tests/aaa.pcap", HEUR); }
/* real UAs (baresip through kamailio): PCMU, PCMA with RFC 4733 events
 * interleaved, and a call put on hold */
Test(media, fixture_pcmu_call) { check_streams("fixtures/sip-call-auth.pcap", HEUR); }
Test(media, fixture_pcma_with_events) { check_streams("fixtures/sip-call-pcma.pcap", HEUR); }
Test(media, fixture_hold) { check_streams("fixtures/sip-call-hold.pcap", HEUR); }
#define NDPI "corpus:ntop__nDPI/tests/cfgs/default/pcap/"
Test(media, rtp_beside_stun) { check_streams(NDPI "stun_classic.pcap", HEUR); }
Test(media, skype_dynamic_pt_beside_stun) { check_streams(NDPI "skype-conference-call.pcap", HEUR); }
Test(media, srtp_after_stun_and_dtls) { check_streams(NDPI "stun_dtls_rtp.pcapng", HEUR); }

Test(media, dtmf_digits_from_rfc4733)
{
	const char *digits = "012345";
	for (const char *d = digits; *d; d++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "corpus:SIPp__sipp/pcap/dtmf_2833_%c.pcap", *d);
		const char *p = cxt_path(rel);
		if (!cxt_exists(p))
			cr_skip_test("corpus not present");
		struct json_object *r = cxt_run(p, NULL, NULL, NULL);
		const char *got = json_object_get_string(cxt_get(r, "streams.0.dtmf.0.digit"));
		cr_assert_not_null(got);
		cr_assert_eq(got[0], *d, "file for digit %c gave %s", *d, got);
		cr_assert_eq(json_object_array_length(cxt_get(r, "streams.0.dtmf")), 1);
		json_object_put(r);
	}
}

/* ---- audio ---- */

struct rtp_pkt {
	uint16_t seq;
	uint32_t ts;
	uint8_t payload[160];
	struct pcap_pkthdr h;
	uint8_t frame[256];
};

/* speech_8k_ulaw.pcap: Linux SLL, IPv4, UDP, RTP with 160-byte PCMU. */
static size_t
load_speech(struct rtp_pkt **out)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(cxt_path("corpus:NormB__sipnab/tests/pcap-samples/speech_8k_ulaw.pcap"), err);
	if (!pc)
		return 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t n = 0;
	struct rtp_pkt *v = calloc(1000, sizeof(*v));
	while (pcap_next_ex(pc, &h, &d) == 1 && n < 1000) {
		cr_assert_eq(h->caplen, 16 + 20 + 8 + 12 + 160);
		const u_char *rtp = d + 16 + 20 + 8;
		v[n].seq = (uint16_t)((rtp[2] << 8) | rtp[3]);
		v[n].ts = ((uint32_t)rtp[4] << 24) | ((uint32_t)rtp[5] << 16) | ((uint32_t)rtp[6] << 8) | rtp[7];
		memcpy(v[n].payload, rtp + 12, 160);
		v[n].h = *h;
		memcpy(v[n].frame, d, h->caplen);
		n++;
	}
	pcap_close(pc);
	*out = v;
	return n;
}

static short *
read_wav(const char *dir, const char *rel, sf_count_t *frames)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_not_null(sf, "%s", path);
	cr_assert_eq(info.samplerate, 8000);
	short *pcm = malloc((size_t)info.frames * sizeof(short) * (size_t)info.channels + 2);
	*frames = sf_readf_short(sf, pcm, info.frames);
	sf_close(sf);
	return pcm;
}

/* Reference decode: libsndfile's mu-law (or A-law) expansion. */
static void
ref_decode_law(const uint8_t *u, size_t n, short *out, int law)
{
	char path[] = "/tmp/cxref-XXXXXX";
	close(mkstemp(path));
	SF_INFO info = { .samplerate = 8000, .channels = 1, .format = SF_FORMAT_RAW | law };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	sf_write_raw(sf, u, (sf_count_t)n);
	sf_close(sf);
	sf = sf_open(path, SFM_READ, &info);
	sf_readf_short(sf, out, (sf_count_t)n);
	sf_close(sf);
	unlink(path);
}

static void
ref_decode(const uint8_t *u, size_t n, short *out)
{
	ref_decode_law(u, n, out, SF_FORMAT_ULAW);
}

Test(media, wav_equals_independent_decode)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("corpus:NormB__sipnab/tests/pcap-samples/speech_8k_ulaw.pcap"), NULL, NULL, &dir);
	const char *wav = json_object_get_string(cxt_get(r, "streams.0.wav"));
	cr_assert_not_null(wav);
	sf_count_t frames;
	short *got = read_wav(dir, wav, &frames);
	cr_assert_eq(frames, (sf_count_t)n * 160);
	uint8_t *all = malloc(n * 160);
	for (size_t i = 0; i < n; i++)
		memcpy(all + i * 160, v[i].payload, 160); /* in order, no loss in this capture */
	short *want = malloc(n * 160 * sizeof(short));
	ref_decode(all, n * 160, want);
	for (size_t i = 0; i < n * 160; i++)
		cr_assert_eq(got[i], want[i], "sample %zu: %d vs %d", i, got[i], want[i]);
	free(all);
	free(want);
	free(got);
	free(v);
	json_object_put(r);
}

static void
rewrite_rtp(struct rtp_pkt *p, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	uint8_t *rtp = p->frame + 16 + 20 + 8;
	rtp[2] = (uint8_t)(seq >> 8);
	rtp[3] = (uint8_t)seq;
	rtp[4] = (uint8_t)(ts >> 24);
	rtp[5] = (uint8_t)(ts >> 16);
	rtp[6] = (uint8_t)(ts >> 8);
	rtp[7] = (uint8_t)ts;
	rtp[8] = (uint8_t)(ssrc >> 24);
	rtp[9] = (uint8_t)(ssrc >> 16);
	rtp[10] = (uint8_t)(ssrc >> 8);
	rtp[11] = (uint8_t)ssrc;
}

/* The real stream, rewritten so that sequence numbers and timestamps wrap,
 * with packets reordered, duplicated and one lost: the WAV must hold the
 * payloads in timestamp order with exactly 160 samples of silence for the
 * lost packet. A second SSRC starts a second stream. */
Test(media, reorder_duplicate_loss_and_wraps)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	const size_t use = 300, lost = 150;
	for (size_t i = 0; i < use; i++)
		rewrite_rtp(&v[i], (uint16_t)(65500 + i), 0xFFFFF000u + (uint32_t)i * 160, 0xCAFEBABE);
	char path[] = "/tmp/cxreorder-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	uint64_t written = 0;
	for (size_t i = 0; i < use; i++) {
		size_t k = i;
		if (i % 10 == 3)
			k = i + 1; /* swap with the next one */
		else if (i % 10 == 4)
			k = i - 1;
		if (k == lost)
			continue;
		struct pcap_pkthdr h = v[i].h; /* arrival times stay in order */
		pcap_dump((u_char *)dp, &h, v[k].frame);
		written++;
		if (i % 25 == 7) { /* a duplicate */
			pcap_dump((u_char *)dp, &h, v[k].frame);
			written++;
		}
	}
	/* SSRC change: 20 more packets under another SSRC */
	for (size_t i = use; i < use + 20; i++) {
		rewrite_rtp(&v[i], (uint16_t)i, (uint32_t)i * 160, 0x0BADF00D);
		pcap_dump((u_char *)dp, &v[i].h, v[i].frame);
	}
	pcap_dump_close(dp);
	pcap_close(dead);

	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2, "an SSRC change starts a new stream");
	struct json_object *s = json_object_array_get_idx(streams, 0);
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "ssrc")), "0xCAFEBABE");
	cr_assert_eq(json_object_get_int64(cxt_get(s, "lost")), 1 - 12, "1 lost, 12 duplicates (RFC 3550 counts them against loss)");
	cr_assert_eq(json_object_get_int64(cxt_get(s, "duplicates")), 12);
	cr_assert_gt(json_object_get_int64(cxt_get(s, "out_of_order")), 0);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "sequence_wraps")), 1);
	sf_count_t frames;
	short *got = read_wav(dir, json_object_get_string(cxt_get(s, "wav")), &frames);
	cr_assert_eq(frames, (sf_count_t)use * 160, "timestamp order, silence for the lost packet");
	short want[160];
	for (size_t i = 0; i < use; i++) {
		if (i == lost) {
			for (int k = 0; k < 160; k++)
				cr_assert_eq(got[i * 160 + k], 0);
			continue;
		}
		ref_decode(v[i].payload, 160, want);
		cr_assert(memcmp(got + i * 160, want, sizeof(want)) == 0, "packet %zu out of place", i);
	}
	free(got);
	free(v);
	json_object_put(r);
	unlink(path);
}

static void
no_audio(struct cx_config *c)
{
	c->no_audio = true;
}

Test(media, no_audio_lists_streams_without_files)
{
	const char *p = cxt_path("corpus:NormB__sipnab/tests/pcap-samples/sip-rtp-g711.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, no_audio, NULL, NULL);
	cr_assert_eq(json_object_array_length(cxt_get(r, "streams")), 2);
	cr_assert_null(cxt_get(r, "streams.0.wav"));
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "streams.0.reason")), "--no-audio");
	json_object_put(r);
}

Test(media, call_gets_per_direction_and_stereo_wav)
{
	const char *p = cxt_path("corpus:NormB__sipnab/tests/pcap-samples/SIP_DTMF2.cap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	const char *w0 = json_object_get_string(cxt_get(r, "streams.0.wav"));
	const char *w1 = json_object_get_string(cxt_get(r, "streams.1.wav"));
	cr_assert_not_null(w0);
	cr_assert_not_null(w1);
	char folder[512];
	snprintf(folder, sizeof(folder), "%s", w0);
	*strrchr(folder, '/') = '\0';
	char stereo[600];
	snprintf(stereo, sizeof(stereo), "%s/stereo.wav", folder);
	char full[1200];
	snprintf(full, sizeof(full), "%s/%s", dir, stereo);
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(full, SFM_READ, &info);
	cr_assert_not_null(sf);
	cr_assert_eq(info.channels, 2);
	cr_assert_gt(info.frames, 8000 * 15, "about 20 s of conversation");
	sf_close(sf);
	json_object_put(r);
}

/* Writes v[0..n) in that order to the capture file at path (a mkstemp
 * template, filled in). */
static void
dump_in_order(const struct rtp_pkt *v, size_t n, char *path)
{
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	for (size_t i = 0; i < n; i++)
		pcap_dump((u_char *)dp, &v[i].h, v[i].frame);
	pcap_dump_close(dp);
	pcap_close(dead);
}

/* The real stream with its timestamps moved: packets 100-199 jump ten
 * minutes ahead, packets 200-299 restart near zero. Neither may write ten
 * minutes of silence or drop the audio after the reset; both are reported;
 * every packet's audio is in the WAV in order. */
Test(media, timestamp_jump_and_reset)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	const size_t use = 300;
	for (size_t i = 0; i < use; i++) {
		uint32_t ts = 0x10000000u + (uint32_t)i * 160;
		if (i >= 100 && i < 200)
			ts += 8000u * 600;
		else if (i >= 200)
			ts = 1000u + (uint32_t)(i - 200) * 160;
		rewrite_rtp(&v[i], (uint16_t)(1000 + i), ts, 0x11223344);
	}
	char path[] = "/tmp/cxjump-XXXXXX";
	dump_in_order(v, use, path);

	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_not_null(s);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.timestamp_jumps")), 2);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.silence_inserted_samples")), 0);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.late_or_duplicate_dropped")), 0);
	int jumps = 0;
	struct json_object *f = cxt_get(r, "findings");
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		const char *k = json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind"));
		jumps += k && !strcmp(k, "media.timestamp_jump");
	}
	cr_assert_eq(jumps, 2, "both reported as findings");
	sf_count_t frames;
	short *got = read_wav(dir, json_object_get_string(cxt_get(s, "wav")), &frames);
	cr_assert_eq(frames, (sf_count_t)use * 160);
	short want[160];
	for (size_t i = 0; i < use; i++) {
		ref_decode(v[i].payload, 160, want);
		cr_assert(memcmp(got + i * 160, want, sizeof(want)) == 0, "packet %zu out of place", i);
	}
	free(got);
	free(v);
	json_object_put(r);
	unlink(path);
}

/* UDP that is not RTP but starts with the RTP version bits (each datagram
 * with new "SSRC" bytes, as encrypted traffic looks): no stream, no file. */
Test(media, random_udp_makes_no_streams)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	char path[] = "/tmp/cxjunk-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		uint8_t *rtp = v[i].frame + 16 + 20 + 8;
		for (size_t k = 1; k < 12 + 160; k++) {
			x = x * 1103515245u + 12345u;
			rtp[k] = (uint8_t)(x >> 16);
		}
		rtp[0] = 0x80;
		pcap_dump((u_char *)dp, &v[i].h, v[i].frame);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	cr_assert_eq(json_object_array_length(cxt_get(r, "streams")), 0);
	char sub[1024];
	snprintf(sub, sizeof(sub), "%s/streams", dir);
	cr_assert_neq(access(sub, F_OK), 0, "no files for candidates");
	free(v);
	json_object_put(r);
	unlink(path);
}

/* A real UA (baresip) sending RFC 4733 events interleaved with PCMA in one
 * sequence space (fixtures/README.md lists the frames and durations). */
Test(media, dtmf_from_real_ua_not_in_audio)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-pcma.pcap"), NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams"), *s = NULL;
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *x = json_object_array_get_idx(streams, i);
		if (!strcmp(json_object_get_string(cxt_get(x, "ssrc")), "0xC1DB3A19"))
			s = x;
	}
	cr_assert_not_null(s);
	struct json_object *d = cxt_get(s, "dtmf");
	cr_assert_eq(json_object_array_length(d), 4);
	static const char digits[] = "7429";
	static const int frames[] = { 225, 317, 406, 498 };
	static const double ms[] = { 3040 / 8.0, 2880 / 8.0, 3040 / 8.0, 2880 / 8.0 };
	for (size_t i = 0; i < 4; i++) {
		struct json_object *e = json_object_array_get_idx(d, i);
		cr_assert_eq(json_object_get_string(cxt_get(e, "digit"))[0], digits[i]);
		cr_assert_eq(json_object_get_int(cxt_get(e, "frame")), frames[i]);
		cr_assert_float_eq(json_object_get_double(cxt_get(e, "duration_ms")), ms[i], 1e-9);
		cr_assert(json_object_get_boolean(cxt_get(e, "end")));
	}
	/* 487 packets = 401 PCMA + 86 events: only the PCMA is audio */
	cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), 487);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.samples")), 401 * 160);
	json_object_put(r);
}

/* NAT: fixtures/sip-call-auth.pcap with alice's media address rewritten
 * after signalling, as a NAT would (her RTP leaves from 203.0.113.7:55555,
 * bob's RTP goes there). Her stream reaches bob's SDP endpoint from an
 * unexpected source; bob's is the symmetric reply from his SDP endpoint.
 * Both must stay in the call, with the right senders. */
static uint16_t
ip_sum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
nat_rewrite(uint8_t *f, size_t len)
{
	static const uint8_t alice[4] = { 10, 77, 0, 2 }, nat[4] = { 203, 0, 113, 7 };
	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 17)
		return;
	uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	uint8_t *udp = ip + ihl;
	for (int side = 0; side < 2; side++) { /* 0: source, 1: destination */
		uint8_t *a = ip + 12 + side * 4, *port = udp + side * 2;
		uint16_t p = (uint16_t)(port[0] << 8 | port[1]);
		if (memcmp(a, alice, 4) || (p != 40086 && p != 40087))
			continue;
		memcpy(a, nat, 4);
		p = (uint16_t)(55555 + (p - 40086));
		port[0] = (uint8_t)(p >> 8);
		port[1] = (uint8_t)p;
		udp[6] = udp[7] = 0; /* no UDP checksum */
	}
	ip[10] = ip[11] = 0;
	uint16_t s = ip_sum(ip, ihl);
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
}

Test(media, nat_source_and_symmetric_reply_stay_in_the_call)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(cxt_path("fixtures/sip-call-auth.pcap"), err);
	cr_assert_not_null(in, "%s", err);
	char path[] = "/tmp/cxnat-XXXXXX";
	close(mkstemp(path));
	pcap_dumper_t *dp = pcap_dump_open(in, path);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint8_t buf[65536];
	while (pcap_next_ex(in, &h, &d) == 1) {
		memcpy(buf, d, h->caplen);
		nat_rewrite(buf, h->caplen);
		pcap_dump((u_char *)dp, h, buf);
	}
	pcap_dump_close(dp);
	pcap_close(in);

	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	const char *call = NULL;
	struct json_object *dialogs = cxt_get(r, "dialogs");
	for (size_t i = 0; i < json_object_array_length(dialogs); i++) {
		struct json_object *dl = json_object_array_get_idx(dialogs, i);
		if (!strcmp(json_object_get_string(cxt_get(dl, "kind")), "INVITE"))
			call = json_object_get_string(cxt_get(dl, "call_id"));
	}
	cr_assert_not_null(call);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *src = json_object_get_string(cxt_get(s, "src"));
		bool from_alice = !strcmp(src, "203.0.113.7:55555");
		cr_assert(from_alice || !strcmp(json_object_get_string(cxt_get(s, "dst")), "203.0.113.7:55555"));
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "call_id")), call);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "sender")), from_alice ? "caller" : "callee");
		cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), 451);
		cr_assert_not_null(cxt_get(s, "wav"));
	}
	json_object_put(r);
	unlink(path);
}

/* 600 concurrent unsignalled streams of 160 packets under a small
 * descriptor limit: writers are closed and reopened (append) as they
 * flush, and every WAV still holds exactly its own audio. */
static void
many_streams(rlim_t limit)
{
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = limit;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	enum { STREAMS = 600, PKTS = 160 };
	char path[] = "/tmp/cxmany-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	uint8_t frame[256];
	for (size_t k = 0; k < PKTS; k++) {
		for (size_t j = 0; j < STREAMS; j++) {
			const struct rtp_pkt *src = &v[(j + k) % n];
			memcpy(frame, src->frame, src->h.caplen);
			uint8_t *udp = frame + 16 + 20, *rtp = udp + 8;
			uint16_t sport = (uint16_t)(20000 + 2 * j);
			udp[0] = (uint8_t)(sport >> 8);
			udp[1] = (uint8_t)sport;
			udp[6] = udp[7] = 0;
			uint16_t seq = (uint16_t)(k + j * 7);
			uint32_t ts = (uint32_t)(k * 160 + j * 1000), ssrc = 0x10000000u + (uint32_t)j;
			rtp[2] = (uint8_t)(seq >> 8); rtp[3] = (uint8_t)seq;
			rtp[4] = (uint8_t)(ts >> 24); rtp[5] = (uint8_t)(ts >> 16);
			rtp[6] = (uint8_t)(ts >> 8); rtp[7] = (uint8_t)ts;
			rtp[8] = (uint8_t)(ssrc >> 24); rtp[9] = (uint8_t)(ssrc >> 16);
			rtp[10] = (uint8_t)(ssrc >> 8); rtp[11] = (uint8_t)ssrc;
			struct pcap_pkthdr h = src->h;
			uint64_t us = (uint64_t)k * 20000 + j * 20;
			h.ts.tv_sec = 1000000000 + (time_t)(us / 1000000);
			h.ts.tv_usec = (suseconds_t)(us % 1000000);
			pcap_dump((u_char *)dp, &h, frame);
		}
	}
	pcap_dump_close(dp);
	pcap_close(dead);

	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), STREAMS);
	/* the reference decode of every payload, once */
	uint8_t *all = malloc(n * 160);
	short *ref = malloc(n * 160 * sizeof(short));
	for (size_t i = 0; i < n; i++)
		memcpy(all + i * 160, v[i].payload, 160);
	ref_decode(all, n * 160, ref);
	for (size_t j = 0; j < STREAMS; j++) {
		struct json_object *s = json_object_array_get_idx(streams, j);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), PKTS);
		const char *wav = json_object_get_string(cxt_get(s, "wav"));
		cr_assert_not_null(wav, "stream %zu: %s", j, json_object_get_string(cxt_get(s, "reason")));
		sf_count_t frames;
		short *got = read_wav(dir, wav, &frames);
		cr_assert_eq(frames, PKTS * 160, "stream %zu", j);
		/* streams are listed by first packet: stream j is the j-th */
		for (size_t k = 0; k < PKTS; k++)
			cr_assert(memcmp(got + k * 160, ref + ((j + k) % n) * 160, 160 * sizeof(short)) == 0,
				  "stream %zu packet %zu", j, k);
		free(got);
	}
	free(all);
	free(ref);
	free(v);
	json_object_put(r);
	unlink(path);
}

/* RTP before its SDP: fixtures/sip-call-auth.pcap with every SIP message
 * that carries SDP moved after the 80th RTP packet (timestamps moved
 * along). Both streams start unsignalled and must join the call once it is
 * announced, with the right senders and all their packets. */
Test(media, rtp_before_its_sdp_joins_the_call)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(cxt_path("fixtures/sip-call-auth.pcap"), err);
	cr_assert_not_null(in, "%s", err);
	struct rec { struct pcap_pkthdr h; uint8_t *d; bool sdp; } *v = calloc(4096, sizeof(*v));
	size_t n = 0, last_sdp = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (n < 4096 && pcap_next_ex(in, &h, &d) == 1) {
		v[n].h = *h;
		v[n].d = malloc(h->caplen);
		memcpy(v[n].d, d, h->caplen);
		v[n].sdp = memmem(d, h->caplen, "application/sdp", 15) != NULL;
		if (v[n].sdp)
			last_sdp = n;
		n++;
	}
	char path[] = "/tmp/cxlate-XXXXXX";
	close(mkstemp(path));
	pcap_dumper_t *dp = pcap_dump_open(in, path);
	size_t cut = last_sdp + 80;
	cr_assert_lt(cut, n);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].sdp)
			pcap_dump((u_char *)dp, &v[i].h, v[i].d);
		if (i == cut) {
			for (size_t k = 0; k < n; k++) {
				if (!v[k].sdp)
					continue;
				struct pcap_pkthdr hk = v[k].h;
				hk.ts = v[i].h.ts;
				pcap_dump((u_char *)dp, &hk, v[k].d);
			}
		}
	}
	pcap_dump_close(dp);
	pcap_close(in);
	for (size_t i = 0; i < n; i++)
		free(v[i].d);
	free(v);

	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		bool from_alice = !strcmp(json_object_get_string(cxt_get(s, "src")), "10.77.0.2:40086");
		cr_assert_not_null(cxt_get(s, "call_id"), "stream %zu stayed unsignalled", i);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "sender")), from_alice ? "caller" : "callee");
		cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), 451);
	}
	json_object_put(r);
	unlink(path);
}

/* Payload type switches inside one SSRC: 50 packets of static type 15
 * (G.728, not in the codec table: kept raw), 100 of PCMU, 50 of PCMA. The
 * WAV holds the PCMU then the PCMA audio, each expanded with its own law;
 * the raw file holds the type 15 payloads; the two files are distinct. */
Test(media, payload_type_switches_in_one_stream)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	char path[] = "/tmp/cxpt-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	for (size_t i = 0; i < 200; i++) {
		rewrite_rtp(&v[i], (uint16_t)(7000 + i), 0x1000u + (uint32_t)i * 160, 0x5EED5EED);
		uint8_t *rtp = v[i].frame + 16 + 20 + 8;
		rtp[1] = i < 50 ? 15 : i < 150 ? 0 : 8;
		pcap_dump((u_char *)dp, &v[i].h, v[i].frame);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_eq(json_object_array_length(cxt_get(r, "streams")), 1);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "payload_type_changes")), 2);
	const char *wav = json_object_get_string(cxt_get(s, "wav"));
	const char *raw = json_object_get_string(cxt_get(s, "raw_payload"));
	cr_assert_not_null(wav);
	cr_assert_not_null(raw);
	cr_assert_str_neq(wav, raw);
	sf_count_t frames;
	short *got = read_wav(dir, wav, &frames);
	cr_assert_eq(frames, 150 * 160);
	short want[160];
	for (size_t i = 50; i < 200; i++) {
		ref_decode_law(v[i].payload, 160, want, i < 150 ? SF_FORMAT_ULAW : SF_FORMAT_ALAW);
		cr_assert(memcmp(got + (i - 50) * 160, want, sizeof(want)) == 0, "packet %zu", i);
	}
	size_t len;
	char *bytes = cxt_slurp(dir, raw, &len);
	cr_assert_not_null(bytes);
	cr_assert_eq(len, 50 * (2 + 160), "50 length-prefixed G.722 payloads");
	for (size_t i = 0; i < 50; i++) {
		cr_assert_eq((uint8_t)bytes[i * 162], 0);
		cr_assert_eq((uint8_t)bytes[i * 162 + 1], 160);
		cr_assert(memcmp(bytes + i * 162 + 2, v[i].payload, 160) == 0, "raw payload %zu", i);
	}
	free(bytes);
	free(got);
	free(v);
	json_object_put(r);
	unlink(path);
}

/* A stream that switches from G.722 (16 kHz) to PCMU and PCMA (8 kHz) in
 * one SSRC stays one WAV at 16 kHz: the G.722 segment at its own rate, the
 * G.711 segments resampled (libswresample), no sample more or fewer than
 * the time they cover. */
Test(media, codec_switch_keeps_one_wav_at_the_highest_rate)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	char path[] = "/tmp/cxsw-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	for (size_t i = 0; i < 200; i++) {
		rewrite_rtp(&v[i], (uint16_t)(7000 + i), 0x1000u + (uint32_t)i * 160, 0x5EED5EED);
		uint8_t *rtp = v[i].frame + 16 + 20 + 8;
		rtp[1] = i < 50 ? 9 : i < 150 ? 0 : 8; /* G.722's payload is any byte string */
		pcap_dump((u_char *)dp, &v[i].h, v[i].frame);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_eq(json_object_array_length(cxt_get(r, "streams")), 1);
	const char *wav = json_object_get_string(cxt_get(s, "wav"));
	cr_assert_not_null(wav);
	cr_assert_null(cxt_get(s, "raw_payload"));
	cr_assert_eq(json_object_get_int(cxt_get(s, "audio.rate")), 16000);
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "audio.codecs")), "G722,PCMU,PCMA");
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.segments_resampled")), 2);
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, wav);
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(p, SFM_READ, &info);
	cr_assert_not_null(sf);
	cr_assert_eq(info.samplerate, 16000);
	cr_assert_eq(info.channels, 1);
	/* 50 packets of 20 ms at 16 kHz, then 150 resampled from 8 kHz */
	cr_assert_eq(info.frames, 50 * 320 + 150 * 320, "%lld frames", (long long)info.frames);
	cr_assert_eq(json_object_get_int64(cxt_get(s, "audio.samples")), info.frames);
	sf_close(sf);
	free(v);
	json_object_put(r);
	unlink(path);
}

/* A flood of RTP-looking junk (a new "SSRC" in every datagram, far more
 * than the candidate table holds) with a real stream starting in the
 * middle of it: the stream is still found, complete, and decoded. */
Test(media, real_stream_found_inside_a_flood_of_candidates)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	char path[] = "/tmp/cxflood-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	uint8_t junk[256];
	uint32_t x = 777;
	size_t real = 0;
	for (size_t i = 0; i < 20000; i++) {
		struct pcap_pkthdr h = v[0].h;
		uint64_t us = i * 100;
		h.ts.tv_sec = v[0].h.ts.tv_sec + (time_t)(us / 1000000);
		h.ts.tv_usec = (suseconds_t)(us % 1000000);
		memcpy(junk, v[0].frame, v[0].h.caplen);
		uint8_t *udp = junk + 16 + 20, *rtp = udp + 8;
		udp[0] = 0x9c; /* another source port than the real stream */
		udp[6] = udp[7] = 0;
		for (size_t k = 1; k < 12 + 160; k++) {
			x = x * 1103515245u + 12345u;
			rtp[k] = (uint8_t)(x >> 16);
		}
		rtp[0] = 0x80;
		rtp[1] &= 0x3f; /* a plausible payload type */
		pcap_dump((u_char *)dp, &h, junk);
		if (i >= 8000 && i % 100 == 0 && real < 100) {
			rewrite_rtp(&v[real], (uint16_t)(300 + real), 5000u + (uint32_t)real * 160, 0xF00DF00D);
			pcap_dump((u_char *)dp, &h, v[real].frame);
			real++;
		}
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 1);
	struct json_object *s = json_object_array_get_idx(streams, 0);
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "ssrc")), "0xF00DF00D");
	cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), 100);
	sf_count_t frames;
	short *got = read_wav(dir, json_object_get_string(cxt_get(s, "wav")), &frames);
	cr_assert_eq(frames, 100 * 160);
	short want[160];
	for (size_t i = 0; i < 100; i++) {
		ref_decode(v[i].payload, 160, want);
		cr_assert(memcmp(got + i * 160, want, sizeof(want)) == 0, "packet %zu", i);
	}
	cr_assert_gt(json_object_get_int64(cxt_get(r, "capture.errors.rtp.candidates_evicted")), 0);
	free(got);
	free(v);
	json_object_put(r);
	unlink(path);
}

/* Hostile timestamps: every packet of the real stream 9 s after the one
 * before (each gap under the 10 s cap). Written as asked that would be 45
 * minutes of silence from 6 s of packets; the stream gets no more samples
 * than the capture time that passed plus one cap, and says so. */
Test(media, silence_never_outruns_the_capture)
{
	struct rtp_pkt *v;
	size_t n = load_speech(&v);
	if (!n)
		cr_skip_test("corpus not present");
	const size_t use = 300;
	for (size_t i = 0; i < use; i++)
		rewrite_rtp(&v[i], (uint16_t)(500 + i), 0x20000000u + (uint32_t)i * (160 + 8000 * 9), 0x55667788);
	char path[] = "/tmp/cxsilence-XXXXXX";
	dump_in_order(v, use, path);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_not_null(s);
	double span = json_object_get_double(cxt_get(s, "end")) - json_object_get_double(cxt_get(s, "start"));
	int64_t samples = json_object_get_int64(cxt_get(s, "audio.samples"));
	cr_assert_leq(samples, (int64_t)((span + 10.0) * 8000) + 160, "%lld samples for %.1f s of capture", (long long)samples, span);
	cr_assert_geq(samples, (int64_t)use * 160, "every packet's audio is still there");
	cr_assert_gt(json_object_get_int64(cxt_get(s, "audio.silence_limited")), 0);
	json_object_put(r);
	unlink(path);
}

Test(media, many_streams_under_a_small_descriptor_limit, .timeout = 120) { many_streams(200); }
/* 48 descriptors: fewer than the old fixed budget of 128 writers */
Test(media, many_streams_under_a_tiny_descriptor_limit, .timeout = 120) { many_streams(48); }

/* Unsignalled RTP is a conversation of its own in the write-up. */
Test(media, unsignalled_stream_is_a_conversation)
{
	const char *p = cxt_path(SIPNAB "speech_8k_ulaw.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	struct json_object *c = cxt_get(r, "conversations");
	cr_assert_eq(json_object_array_length(c), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.kind")), "rtp");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.first_frame")), 1);
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.last_frame")), 835);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.0.address")), "10.0.0.60");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(c, "0.course.0")), "835 packets"));
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.data")), "audio (decoded to WAV)");
	json_object_put(r);
}
