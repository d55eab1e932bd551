/* RTP (RFC 3550), RTCP compound packets, STUN (RFC 5389/8489). Our own
 * parsers: ortp's accessors do no length checks and its SR report-block
 * getter reads out of bounds on a truncated packet (DEPS.md §2). */
#include <string.h>
#include "callextract/cursor.h"
#include "proto/rtp.h"

int
cx_rtp_parse(const uint8_t *d, size_t n, struct cx_rtp *r)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint8_t b0 = cx_get_u8(&c), b1 = cx_get_u8(&c);
	r->seq = cx_get_be16(&c);
	r->ts = cx_get_be32(&c);
	r->ssrc = cx_get_be32(&c);
	if (c.err || (b0 >> 6) != 2)
		return -1;
	r->padding = b0 & 0x20;
	r->ext = b0 & 0x10;
	r->cc = b0 & 0x0f;
	r->marker = b1 & 0x80;
	r->pt = b1 & 0x7f;
	cx_skip(&c, (size_t)r->cc * 4);
	if (r->ext) {
		cx_skip(&c, 2);
		uint16_t words = cx_get_be16(&c);
		cx_skip(&c, (size_t)words * 4);
	}
	if (c.err)
		return -1;
	size_t len = cx_cur_left(&c);
	if (r->padding) {
		if (len == 0)
			return -1;
		uint8_t pad = c.p[len - 1];
		if (pad == 0 || pad > len)
			return -1;
		len -= pad;
	}
	r->payload = c.p;
	r->payload_len = (uint32_t)len;
	return 0;
}

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
			out[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
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

bool
cx_stun_looks_like(const uint8_t *d, size_t n)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint16_t type = cx_get_be16(&c), len = cx_get_be16(&c);
	uint32_t cookie = cx_get_be32(&c);
	return !c.err && (type & 0xc000) == 0 && cookie == CX_STUN_COOKIE && (len % 4) == 0 &&
	       (size_t)len + 20 == n;
}

int
cx_stun_parse(const uint8_t *d, size_t n, struct cx_stun *s)
{
	memset(s, 0, sizeof(*s));
	if (!cx_stun_looks_like(d, n))
		return -1;
	struct cx_cur c = cx_cur_make(d, n);
	s->type = cx_get_be16(&c);
	cx_skip(&c, 2);
	cx_skip(&c, 4);
	cx_get_bytes(&c, s->txid, 12);
	uint16_t cls = s->type & 0x0110;
	s->cls = cls == 0x0000 ? "request" : cls == 0x0100 ? "success" : cls == 0x0110 ? "error" : "indication";
	while (cx_cur_left(&c) >= 4) {
		uint16_t at = cx_get_be16(&c), al = cx_get_be16(&c);
		struct cx_cur v = cx_take(&c, al);
		cx_skip(&c, (4 - al % 4) % 4);
		if (c.err)
			return -1;
		switch (at) {
		case 0x0020: { /* XOR-MAPPED-ADDRESS */
			cx_skip(&v, 1);
			uint8_t fam = cx_get_u8(&v);
			uint16_t port = cx_get_be16(&v) ^ (uint16_t)(CX_STUN_COOKIE >> 16);
			uint8_t key[16] = { 0x21, 0x12, 0xa4, 0x42 };
			memcpy(key + 4, s->txid, 12);
			uint8_t a[16];
			size_t alen = fam == 2 ? 16 : 4;
			cx_get_bytes(&v, a, alen);
			if (v.err)
				break;
			memset(&s->xor_mapped, 0, sizeof(s->xor_mapped));
			s->xor_mapped.family = fam == 2 ? 6 : 4;
			for (size_t i = 0; i < alen; i++)
				s->xor_mapped.a[i] = a[i] ^ key[i];
			s->xor_port = port;
			s->has_xor_mapped = true;
			break;
		}
		case 0x0006: { /* USERNAME */
			size_t k = 0;
			while (cx_cur_left(&v) && k + 1 < sizeof(s->username)) {
				uint8_t ch = cx_get_u8(&v);
				s->username[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
			}
			s->username[k] = '\0';
			break;
		}
		case 0x0024:
			s->priority = cx_get_be32(&v);
			s->has_priority = !v.err;
			break;
		case 0x0025: s->use_candidate = true; break;
		case 0x8029: s->ice_controlled = true; break;
		case 0x802a: s->ice_controlling = true; break;
		case 0x0008: s->integrity = true; break;
		case 0x8028: s->fingerprint = true; break;
		case 0x0009: {
			cx_skip(&v, 2);
			uint8_t klass = cx_get_u8(&v) & 0x07, num = cx_get_u8(&v);
			if (!v.err)
				s->error_code = klass * 100 + num;
			break;
		}
		default:
			break;
		}
	}
	return 0;
}
