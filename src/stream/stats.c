/* RTP stream statistics. Sequence accounting follows RFC 3550 appendix A.1
 * (extended highest sequence number, expected = highest - base + 1).
 * Deltas and jitter follow tshark 4.0's rtp analysis: the jitter
 * J += (|D| - J) / 16 is taken in milliseconds, D comparing the arrival
 * time of the previous in-order packet with the advance in nominal time
 * (32-bit distance from the first timestamp) since the last packet that had
 * a clock (RFC 4733 events have none). A packet is in order when its
 * timestamp is within 2^31 after the first one. Packets that are the first,
 * carry a marker, are comfort noise (PT 13/19), follow comfort noise or are
 * out of order are left out of the min/mean/max figures, and the means use
 * tshark's running formula, which divides by every packet seen so far.
 * Checked column by column against tshark 4.0.17 on every corpus capture
 * and fixture with RTP. */
#include <math.h>
#include "stream/stats.h"

uint32_t
cx_rtp_static_clock(uint8_t pt)
{
	switch (pt) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 7: case 8: case 9:
	case 12: case 13: case 15: case 18: case 19:
		return 8000;
	case 6: return 16000;
	case 10: case 11: return 44100;
	case 16: return 11025;
	case 17: return 22050;
	case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
		return 90000;
	default:
		return 0;
	}
}

/* Nearest 64-bit extension of a 16/32-bit counter to a reference. */
static uint64_t
extend(uint64_t ref, uint32_t v, unsigned bits)
{
	uint64_t span = 1ULL << bits, mask = span - 1;
	uint64_t cand = (ref & ~mask) | v;
	if (cand > ref && cand - ref > span / 2 && cand >= span)
		cand -= span;
	else if (cand < ref && ref - cand > span / 2)
		cand += span;
	return cand;
}

static bool
is_cn(uint8_t pt)
{
	return pt == 13 || pt == 19;
}

void
cx_rtp_stats_add(struct cx_rtp_stats *st, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
		 uint32_t clock, int64_t ts_ns, struct cx_rtp_seen *out)
{
	uint64_t ext, ext_ts;
	bool advanced = false;
	if (st->packets == 0) {
		/* room below for packets that arrive earlier than the first */
		ext = 0x10000ULL + seq;
		ext_ts = 0x100000000ULL + ts;
		st->base_ext = st->max_ext = ext;
		st->ts_ext_last = ext_ts;
		st->first_pt = st->last_pt = pt;
		st->first_ns = ts_ns;
		st->time_ms = 0;
		st->first_ts32 = ts;
		st->last_nominal = 0;
		st->min_delta = st->min_jitter = -1;
	} else {
		ext = extend(st->max_ext, seq, 16);
		if (ext > st->max_ext) {
			if ((ext >> 16) != (st->max_ext >> 16))
				st->wraps++;
			/* numbers skipped over (lost so far) leave the duplicate
			 * window's older cycle */
			uint64_t k = ext - st->max_ext > 1024 ? ext - 1024 : st->max_ext + 1;
			for (; k < ext; k++)
				st->seen[(k % 1024) / 8] &= (uint8_t)~(1u << (k % 8));
			st->max_ext = ext;
			advanced = true;
		} else {
			st->out_of_order++;
		}
		if (ext < st->base_ext)
			st->base_ext = ext;
		ext_ts = extend(st->ts_ext_last, ts, 32);
		if (ext_ts > st->ts_ext_last)
			st->ts_ext_last = ext_ts;

		double now = (double)(ts_ns - st->first_ns) / 1e6;
		/* tshark: in order when within 2^31 after the FIRST timestamp; the
		 * nominal time is the 32-bit distance from it, in ms with the
		 * clock divided as an integer (44100 Hz counts as 44 per ms) */
		uint32_t since_first = ts - st->first_ts32;
		bool in_order = since_first < 0x80000000u;
		double diff = 0;
		if (clock) {
			double nominal = (double)since_first / (double)(clock / 1000);
			diff = fabs(now - (st->time_ms + nominal - st->last_nominal));
			st->jitter = (15 * st->jitter + diff) / 16;
			st->last_nominal = nominal;
		}
		st->delta = now - st->time_ms;
		bool regular = !marker && !is_cn(pt) && !is_cn(st->last_pt) && in_order;
		if (regular) {
			double n = (double)st->packets; /* deltas so far, tshark's divisor */
			if (st->delta > st->max_delta)
				st->max_delta = st->delta;
			if (st->min_delta < 0 || st->delta < st->min_delta)
				st->min_delta = st->delta;
			st->mean_delta = (st->mean_delta * (n - 1) + st->delta) / n;
			if (clock) {
				if (st->jitter > st->max_jitter)
					st->max_jitter = st->jitter;
				if (st->min_jitter < 0 || st->jitter < st->min_jitter)
					st->min_jitter = st->jitter;
				st->mean_jitter = (st->mean_jitter * (n - 1) + st->jitter) / n;
			}
		}
		if (pt != st->last_pt)
			st->pt_changes++;
		if (in_order)
			st->time_ms = now;
	}
	/* duplicates: an extended sequence number seen among the last 1024 */
	uint64_t bit = ext % 1024;
	bool dup = st->packets && !advanced && ext + 1024 > st->max_ext &&
		   (st->seen[bit / 8] & (1u << (bit % 8)));
	if (ext + 1024 > st->max_ext)
		st->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (dup)
		st->duplicates++;
	st->packets++;
	if (marker)
		st->markers++;
	st->last_pt = pt;
	if (out) {
		out->ext_seq = ext;
		out->ext_ts = ext_ts;
		out->duplicate = dup;
	}
}
