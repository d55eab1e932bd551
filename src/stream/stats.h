/* Per-stream RTP statistics: RFC 3550 sequence accounting (extended
 * sequence numbers, expected/lost, duplicates, wraps) and the arrival
 * delta / interarrival jitter figures computed the way tshark's
 * `-z rtp,streams` computes them, so the two can be compared number for
 * number. Plain data, no allocation. */
#ifndef CX_STREAM_STATS_H
#define CX_STREAM_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define CX_RTP_SERIES_MAX 240 /* buckets kept per stream (4.8 KB) */

struct json_object;

struct cx_rtp_stats {
	uint64_t packets, duplicates, out_of_order, wraps, markers, pt_changes;
	uint64_t base_ext, max_ext;   /* extended sequence numbers */
	uint64_t ts_ext_last;         /* highest extended RTP timestamp */
	uint8_t first_pt, last_pt;
	/* tshark's analysis state: arrival (ms since the first packet) of
	 * the last packet in order, first timestamp, nominal time (ms from the
	 * first timestamp) of the last packet that had a clock */
	int64_t first_ns;
	double time_ms;
	uint32_t first_ts32;
	double last_nominal;
	double jitter, delta;
	double min_delta, mean_delta, max_delta;   /* min < 0: none yet */
	double min_jitter, mean_jitter, max_jitter;
	uint8_t seen[128];            /* last 1024 extended sequence numbers */
	struct cx_rtp_series {        /* figures over time, for the HTML plots */
		uint32_t width_ms;    /* of a bucket: 1 s, doubled when full */
		uint32_t n;           /* buckets used */
		struct cx_rtp_bucket {
			uint32_t packets;
			uint32_t advance;   /* extended sequence numbers gained */
			float max_jitter, max_delta, sum_delta;
			uint32_t deltas;
		} b[CX_RTP_SERIES_MAX];
	} series;
};

/* What one packet was, for the caller. */
struct cx_rtp_seen {
	uint64_t ext_seq, ext_ts;
	bool duplicate;
};

/* Wireshark's clock for a static payload type (0 if none). */
uint32_t cx_rtp_static_clock(uint8_t pt);

/* Accounts one packet. clock is the RTP clock rate tshark would use:
 * the static table below 96, the SDP rtpmap rate for dynamic types, and 0
 * for telephone-event or an unsignalled dynamic type (no jitter then). */
void cx_rtp_stats_add(struct cx_rtp_stats *st, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
		      uint32_t clock, int64_t ts_ns, struct cx_rtp_seen *out);

static inline uint64_t
cx_rtp_stats_expected(const struct cx_rtp_stats *st)
{
	return st->packets ? st->max_ext - st->base_ext + 1 : 0;
}

/* The series as JSON: {"bucket_s", "t" (start of each bucket, s from
 * the stream's first packet), "packets", "lost", "max_jitter_ms",
 * "mean_delta_ms", "max_delta_ms"}. New object, owned by the caller. */
struct json_object *cx_rtp_series_json(const struct cx_rtp_stats *st);

/* Listening quality estimated with the ITU-T G.107 E-model, simplified
 * (see stream_stats.c): R factor and MOS-CQE from the codec's Ie/Bpl, the
 * loss and a delay estimate from the packetisation and jitter. New object
 * ({"method", "r_factor", "mos", "ie", "bpl", "ppl", "delay_ms"}), or NULL
 * for a codec without E-model figures. */
struct json_object *cx_rtp_quality_json(const struct cx_rtp_stats *st, const char *codec);
/* The same estimate as numbers; false for an unknown codec. */
bool cx_rtp_quality(const struct cx_rtp_stats *st, const char *codec, double *r, double *mos);

#endif
