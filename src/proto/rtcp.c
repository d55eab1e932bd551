/* RTCP compound packets (RFC 3550 6). Our own parser: the sub-packet
 * lengths are walked first and must add up to the datagram exactly; ortp's
 * accessors do no length checks and its SR report-block getter reads out of
 * bounds on a truncated packet (DEPS.md §2.3). */
#include <string.h>
#include "callextract/cursor.h"
#include "proto/rtp.h"

bool
cx_rtcp_looks_like(const uint8_t *d, size_t n, bool strict)
{
	struct cx_cur c = cx_cur_make(d, n);
	bool first = true;
	if (n < 8)
		return false;
	while (cx_cur_left(&c) > 0) {
		uint8_t b0 = cx_get_u8(&c), pt = cx_get_u8(&c);
		uint16_t words = cx_get_be16(&c);
		if (c.err || (b0 >> 6) != 2 || pt < 192 || pt > 213)
			return false;
		if (first && strict && pt != 200 && pt != 201)
			return false;
		first = false;
		cx_skip(&c, (size_t)words * 4);
		if (c.err)
			return false;
	}
	return true;
}

static void
sdes_text(struct cx_cur *c, uint8_t len, char *out, size_t outsz)
{
	size_t k = 0;
	for (uint8_t i = 0; i < len; i++) {
		uint8_t ch = cx_get_u8(c);
		if (k + 1 < outsz)
			out[k++] = ch ? (char)ch : '?'; /* as they are (doc/output.md) */
	}
	out[k] = '\0';
}

int
cx_rtcp_parse(const uint8_t *d, size_t n, struct cx_rtcp_info *o)
{
	memset(o, 0, sizeof(*o));
	if (!cx_rtcp_looks_like(d, n, false))
		return -1;
	struct cx_cur c = cx_cur_make(d, n);
	while (cx_cur_left(&c) > 0) {
		uint8_t b0 = cx_get_u8(&c), pt = cx_get_u8(&c);
		uint16_t words = cx_get_be16(&c);
		struct cx_cur p = cx_take(&c, (size_t)words * 4);
		uint8_t count = b0 & 0x1f;
		if (c.err)
			return -1;
		switch (pt) {
		case 200: /* SR */
		case 201: /* RR */
			o->sender_ssrc = cx_get_be32(&p);
			if (pt == 200) {
				o->sr = true;
				o->ntp = cx_get_be64(&p);
				o->rtp_ts = cx_get_be32(&p);
				o->pkt_count = cx_get_be32(&p);
				o->octet_count = cx_get_be32(&p);
			} else {
				o->rr = true;
			}
			for (uint8_t i = 0; i < count && cx_cur_has(&p, 24); i++) {
				struct cx_rtcp_rb rb;
				rb.ssrc = cx_get_be32(&p);
				uint32_t fl = cx_get_be32(&p);
				rb.fraction = (uint8_t)(fl >> 24);
				int32_t cum = (int32_t)(fl & 0xffffff);
				if (cum & 0x800000)
					cum -= 0x1000000; /* 24-bit signed */
				rb.cum_lost = cum;
				rb.high_seq = cx_get_be32(&p);
				rb.jitter = cx_get_be32(&p);
				rb.lsr = cx_get_be32(&p);
				rb.dlsr = cx_get_be32(&p);
				if (o->n_rb < 8)
					o->rb[o->n_rb++] = rb;
			}
			break;
		case 202: /* SDES */
			o->sdes = true;
			for (uint8_t i = 0; i < count && cx_cur_left(&p) >= 4; i++) {
				cx_get_be32(&p); /* SSRC/CSRC */
				for (;;) {
					uint8_t type = cx_get_u8(&p);
					if (p.err || type == 0)
						break;
					uint8_t len = cx_get_u8(&p);
					if (type == 1)
						sdes_text(&p, len, o->cname, sizeof(o->cname));
					else if (type == 6)
						sdes_text(&p, len, o->tool, sizeof(o->tool));
					else
						cx_skip(&p, len);
					if (p.err)
						break;
				}
				/* items end on a 32-bit boundary */
				size_t used = (size_t)(p.p - d) % 4;
				if (used)
					cx_skip(&p, 4 - used);
			}
			break;
		case 203: /* BYE */
			o->bye = true;
			cx_skip(&p, (size_t)count * 4);
			if (cx_cur_left(&p) > 0) {
				uint8_t len = cx_get_u8(&p);
				sdes_text(&p, len, o->bye_reason, sizeof(o->bye_reason));
			}
			break;
		case 204:
			o->app = true;
			break;
		case 207:
			o->xr = true;
			break;
		default:
			break;
		}
	}
	return 0;
}
