/* Per-SSRC RTCP summaries: SR (NTP/RTP time pair, counts), SDES CNAME and
 * TOOL, BYE reason, APP/XR presence, and the last report block received
 * about the source (loss, jitter, round trip from LSR/DLSR). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "stream/rtcp.h"
#include "callextract/ctx.h"

#define NB 4096u

struct src {
	uint32_t ssrc;
	uint64_t sr_count, rb_count, packets;
	uint64_t ntp;
	uint32_t rtp_ts, pkt_count, octet_count;
	char cname[128], tool[128], bye[128];
	bool bye_seen, app, xr;
	uint8_t fraction;
	int32_t cum_lost;
	uint32_t jitter;
	bool have_rtt;
	double rtt_ms;
	struct src *next;
};

struct cx_rtcp_table {
	struct src *b[NB];
	size_t n;
};

struct cx_rtcp_table *
cx_rtcp_table_new(void)
{
	return calloc(1, sizeof(struct cx_rtcp_table));
}

void
cx_rtcp_table_free(struct cx_rtcp_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < NB; i++) {
		struct src *s = t->b[i];
		while (s) {
			struct src *n = s->next;
			free(s);
			s = n;
		}
	}
	free(t);
}

static struct src *
find(const struct cx_rtcp_table *t, uint32_t ssrc)
{
	for (struct src *s = t->b[ssrc % NB]; s; s = s->next)
		if (s->ssrc == ssrc)
			return s;
	return NULL;
}

static struct src *
get(struct cx_rtcp_table *t, uint32_t ssrc)
{
	struct src *s = find(t, ssrc);
	if (s || t->n >= CX_RTCP_MAX_SOURCES)
		return s;
	if (!(s = calloc(1, sizeof(*s))))
		return NULL;
	s->ssrc = ssrc;
	s->next = t->b[ssrc % NB];
	t->b[ssrc % NB] = s;
	t->n++;
	return s;
}

void
cx_rtcp_table_remove(struct cx_rtcp_table *t, uint32_t ssrc)
{
	for (struct src **pp = &t->b[ssrc % NB]; *pp; pp = &(*pp)->next) {
		if ((*pp)->ssrc == ssrc) {
			struct src *s = *pp;
			*pp = s->next;
			free(s);
			t->n--;
			return;
		}
	}
}

uint32_t
cx_rtcp_ntp_middle(int64_t ts_ns)
{
	uint64_t sec = (uint64_t)(ts_ns / 1000000000LL) + 2208988800ULL;
	uint64_t frac = ((uint64_t)(ts_ns % 1000000000LL) << 32) / 1000000000ULL;
	return (uint32_t)(((sec & 0xffff) << 16) | (frac >> 16));
}

int
cx_rtcp_table_add(struct cx_rtcp_table *t, const struct cx_rtcp_info *info, uint32_t arrival)
{
	int rc = 0;
	struct src *s = get(t, info->sender_ssrc);
	if (s) {
		s->packets++;
		if (info->sr) {
			s->sr_count++;
			s->ntp = info->ntp;
			s->rtp_ts = info->rtp_ts;
			s->pkt_count = info->pkt_count;
			s->octet_count = info->octet_count;
		}
		if (info->cname[0])
			snprintf(s->cname, sizeof(s->cname), "%s", info->cname);
		if (info->tool[0])
			snprintf(s->tool, sizeof(s->tool), "%s", info->tool);
		if (info->bye) {
			s->bye_seen = true;
			snprintf(s->bye, sizeof(s->bye), "%s", info->bye_reason);
		}
		s->app |= info->app;
		s->xr |= info->xr;
	} else {
		rc = -1;
	}
	for (size_t k = 0; k < info->n_rb; k++) {
		const struct cx_rtcp_rb *rb = &info->rb[k];
		struct src *r = get(t, rb->ssrc);
		if (!r) {
			rc = -1;
			continue;
		}
		r->rb_count++;
		r->fraction = rb->fraction;
		r->cum_lost = rb->cum_lost;
		r->jitter = rb->jitter;
		/* RFC 3550 6.4.1: A - LSR - DLSR, in 1/65536 s, with A the
		 * arrival at the capture point (exact when it is beside the
		 * sender of the SR) */
		if (rb->lsr) {
			int32_t rtt = (int32_t)(arrival - rb->lsr - rb->dlsr);
			if (rtt >= 0) {
				r->have_rtt = true;
				r->rtt_ms = rtt * 1000.0 / 65536.0;
			}
		}
	}
	return rc;
}

struct json_object *
cx_rtcp_table_json(const struct cx_rtcp_table *t, uint32_t ssrc, uint32_t clock)
{
	const struct src *s = find(t, ssrc);
	if (!s)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "packets_sent", json_object_new_int64((int64_t)s->packets));
	json_object_object_add(o, "sr_count", json_object_new_int64((int64_t)s->sr_count));
	if (s->sr_count) {
		/* NTP time as sent (64-bit, hex: it does not fit a JSON integer) and as UTC */
		char ntp[24], tm[48];
		snprintf(ntp, sizeof(ntp), "0x%016llx", (unsigned long long)s->ntp);
		json_object_object_add(o, "last_sr_ntp", json_object_new_string(ntp));
		int64_t unix_s = (int64_t)(s->ntp >> 32) - 2208988800LL;
		int64_t ns = unix_s * 1000000000LL + (int64_t)(((s->ntp & 0xffffffffULL) * 1000000000ULL) >> 32);
		json_object_object_add(o, "last_sr_time", json_object_new_string(cx_time_utc(ns, tm, sizeof(tm))));
		json_object_object_add(o, "last_sr_rtp_ts", json_object_new_int64(s->rtp_ts));
		json_object_object_add(o, "sender_packets", json_object_new_int64(s->pkt_count));
		json_object_object_add(o, "sender_octets", json_object_new_int64(s->octet_count));
	}
	if (s->cname[0])
		json_object_object_add(o, "cname", json_object_new_string(s->cname));
	if (s->tool[0])
		json_object_object_add(o, "tool", json_object_new_string(s->tool));
	if (s->bye_seen)
		json_object_object_add(o, "bye", json_object_new_string(s->bye));
	json_object_object_add(o, "app", json_object_new_boolean(s->app));
	json_object_object_add(o, "xr", json_object_new_boolean(s->xr));
	json_object_object_add(o, "reports_received", json_object_new_int64((int64_t)s->rb_count));
	if (s->rb_count) {
		json_object_object_add(o, "fraction_lost", json_object_new_double(s->fraction / 256.0));
		json_object_object_add(o, "cumulative_lost", json_object_new_int(s->cum_lost));
		json_object_object_add(o, "reported_jitter", json_object_new_int64(s->jitter));
		json_object_object_add(o, "reported_jitter_ms",
				       clock ? json_object_new_double(s->jitter * 1000.0 / clock) : NULL);
		json_object_object_add(o, "round_trip_ms", s->have_rtt ? json_object_new_double(s->rtt_ms) : NULL);
	}
	return o;
}
