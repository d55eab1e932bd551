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
#include <string.h>
#include <json-c/json.h>
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

/* The bucket of a packet arriving at ts_ns; buckets are merged pairwise
 * (their width doubled) when the stream outlasts them, so a stream keeps
 * CX_RTP_SERIES_MAX buckets whatever its length. */
static struct cx_rtp_bucket *
bucket(struct cx_rtp_stats *st, int64_t ts_ns)
{
	struct cx_rtp_series *se = &st->series;
	if (!se->width_ms)
		se->width_ms = 1000;
	int64_t at = ts_ns > st->first_ns ? (ts_ns - st->first_ns) / 1000000 : 0;
	uint64_t i = (uint64_t)at / se->width_ms;
	while (i >= CX_RTP_SERIES_MAX && se->width_ms < (1u << 30)) {
		for (uint32_t k = 0; k < CX_RTP_SERIES_MAX / 2; k++) {
			struct cx_rtp_bucket *a = &se->b[2 * k], *b = &se->b[2 * k + 1], m;
			m.packets = a->packets + b->packets;
			m.advance = a->advance + b->advance;
			m.max_jitter = a->max_jitter > b->max_jitter ? a->max_jitter : b->max_jitter;
			m.max_delta = a->max_delta > b->max_delta ? a->max_delta : b->max_delta;
			m.sum_delta = a->sum_delta + b->sum_delta;
			m.deltas = a->deltas + b->deltas;
			se->b[k] = m;
		}
		memset(&se->b[CX_RTP_SERIES_MAX / 2], 0, sizeof(se->b) / 2);
		se->n = (se->n + 1) / 2;
		se->width_ms *= 2;
		i = (uint64_t)at / se->width_ms;
	}
	if (i >= CX_RTP_SERIES_MAX)
		i = CX_RTP_SERIES_MAX - 1;
	if (i >= se->n)
		se->n = (uint32_t)i + 1;
	return &se->b[i];
}

void
cx_rtp_stats_add(struct cx_rtp_stats *st, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
		 uint32_t clock, int64_t ts_ns, struct cx_rtp_seen *out)
{
	uint64_t ext, ext_ts;
	bool advanced = false;
	uint64_t old_max = st->max_ext;
	bool first = st->packets == 0;
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
	struct cx_rtp_bucket *bk = bucket(st, ts_ns);
	bk->packets++;
	if (first)
		bk->advance++;
	else if (advanced)
		bk->advance += (uint32_t)(ext - old_max);
	if (!first && clock && st->jitter > bk->max_jitter)
		bk->max_jitter = (float)st->jitter;
	if (!first && !marker && !is_cn(pt) && st->delta >= 0) {
		if (st->delta > bk->max_delta)
			bk->max_delta = (float)st->delta;
		bk->sum_delta += (float)st->delta;
		bk->deltas++;
	}
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

struct json_object *
cx_rtp_series_json(const struct cx_rtp_stats *st)
{
	const struct cx_rtp_series *se = &st->series;
	struct json_object *o = json_object_new_object();
	struct json_object *t = json_object_new_array(), *p = json_object_new_array(), *l = json_object_new_array();
	struct json_object *j = json_object_new_array(), *md = json_object_new_array(), *xd = json_object_new_array();
	for (uint32_t i = 0; i < se->n; i++) {
		const struct cx_rtp_bucket *b = &se->b[i];
		json_object_array_add(t, json_object_new_double((double)i * se->width_ms / 1000.0));
		json_object_array_add(p, json_object_new_int64(b->packets));
		json_object_array_add(l, json_object_new_int64(b->advance > b->packets ? b->advance - b->packets : 0));
		/* floats printed with 3 decimals: the same bytes on every run */
		json_object_array_add(j, json_object_new_double(round(b->max_jitter * 1000.0) / 1000.0));
		json_object_array_add(md, json_object_new_double(b->deltas ? round(b->sum_delta / b->deltas * 1000.0) / 1000.0 : 0));
		json_object_array_add(xd, json_object_new_double(round(b->max_delta * 1000.0) / 1000.0));
	}
	json_object_object_add(o, "bucket_s", json_object_new_double(se->width_ms ? se->width_ms / 1000.0 : 1.0));
	json_object_object_add(o, "t", t);
	json_object_object_add(o, "packets", p);
	json_object_object_add(o, "lost", l);
	json_object_object_add(o, "max_jitter_ms", j);
	json_object_object_add(o, "mean_delta_ms", md);
	json_object_object_add(o, "max_delta_ms", xd);
	return o;
}

/* ---- E-model ----
 * ITU-T G.107 with every parameter at its default except those a capture
 * shows, as voipmonitor and most passive probes do:
 *   R = R0 - Is - Id - Ie,eff + A with R0 - Is = 93.2 (defaults) and A = 0;
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), BurstR = 1
 *   (random loss), Ie and Bpl per codec from G.113 Appendix I (G.711 with
 *   packet loss concealment: Ie 0, Bpl 25.1; G.729(A): 11, 19; GSM-FR:
 *   20, 10 (Bpl not in G.113: a commonly used figure); G.723.1: 15, 16.1);
 *   Ppl the stream's loss in percent (lost / expected);
 *   Id from the one-way delay estimate Ta = packetisation (mean delta) +
 *   a jitter buffer of twice the maximum jitter (network delay is not
 *   seen by a passive probe on one side), with the simplified
 *   Id = 0.024 Ta + 0.11 (Ta - 177.3) H(Ta - 177.3) (Cole & Rosenbluth);
 *   MOS-CQE = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6, 1 below R 0, 4.5
 *   above 100. */
static bool
codec_ie(const char *codec, double *ie, double *bpl)
{
	if (!codec)
		return false;
	if (!strcmp(codec, "PCMU") || !strcmp(codec, "PCMA") || !strcmp(codec, "G722")) {
		*ie = 0, *bpl = 25.1;
	} else if (!strcmp(codec, "G729")) {
		*ie = 11, *bpl = 19;
	} else if (!strcmp(codec, "GSM")) {
		*ie = 20, *bpl = 10;
	} else if (!strcmp(codec, "G723")) {
		*ie = 15, *bpl = 16.1;
	} else {
		return false;
	}
	return true;
}

static bool
emodel(const struct cx_rtp_stats *st, const char *codec, double *r, double *mos, double *ie,
       double *bpl, double *ppl, double *ta)
{
	uint64_t exp = cx_rtp_stats_expected(st);
	if (!st->packets || !codec_ie(codec, ie, bpl))
		return false;
	double lost = exp > st->packets ? (double)(exp - st->packets) : 0;
	*ppl = exp ? 100.0 * lost / (double)exp : 0;
	*ta = st->mean_delta + 2 * st->max_jitter;
	double id = 0.024 * *ta + (*ta > 177.3 ? 0.11 * (*ta - 177.3) : 0);
	double ie_eff = *ie + (95 - *ie) * *ppl / (*ppl + *bpl);
	*r = 93.2 - id - ie_eff;
	*mos = *r < 0 ? 1 : *r > 100 ? 4.5 : 1 + 0.035 * *r + *r * (*r - 60) * (100 - *r) * 7e-6;
	return true;
}

bool
cx_rtp_quality(const struct cx_rtp_stats *st, const char *codec, double *r, double *mos)
{
	double ie, bpl, ppl, ta;
	if (!emodel(st, codec, r, mos, &ie, &bpl, &ppl, &ta))
		return false;
	/* as report.json has them (3 decimals) */
	*r = round(*r * 1000.0) / 1000.0;
	*mos = round(*mos * 1000.0) / 1000.0;
	return true;
}

static struct json_object *
j3(double v)
{
	return json_object_new_double(round(v * 1000.0) / 1000.0);
}

struct json_object *
cx_rtp_quality_json(const struct cx_rtp_stats *st, const char *codec)
{
	double r, mos, ie, bpl, ppl, ta;
	if (!emodel(st, codec, &r, &mos, &ie, &bpl, &ppl, &ta))
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string("ITU-T G.107 E-model, simplified (doc/output.md)"));
	json_object_object_add(o, "r_factor", j3(r));
	json_object_object_add(o, "mos", j3(mos));
	json_object_object_add(o, "ie", j3(ie));
	json_object_object_add(o, "bpl", j3(bpl));
	json_object_object_add(o, "ppl", j3(ppl));
	json_object_object_add(o, "delay_ms", j3(ta));
	return o;
}
