/* Per-stream RTP statistics: RFC 3550 sequence accounting (extended
 * sequence numbers, expected/lost, duplicates, wraps) and the arrival
 * delta / interarrival jitter figures computed the way tshark's
 * `-z rtp,streams` computes them, so the two can be compared number for
 * number. Plain data, no allocation. */
#ifndef CX_STREAM_STATS_H
#define CX_STREAM_STATS_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
