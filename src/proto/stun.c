/* STUN (RFC 5389/8489): recognised by the magic cookie and an exact
 * length, attributes walked with their 32-bit padding. */
#include <string.h>
#include "callextract/cursor.h"
#include "proto/rtp.h"

bool
cx_stun_looks_like(const uint8_t *d, size_t n)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint16_t type = cx_get_be16(&c), len = cx_get_be16(&c);
	uint32_t cookie = cx_get_be32(&c);
	return !c.err && (type & 0xc000) == 0 && cookie == CX_STUN_COOKIE && (len % 4) == 0 &&
	       (size_t)len + 20 == n;
}

bool
cx_stun_classic_looks_like(const uint8_t *d, size_t n, uint16_t sport, uint16_t dport)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint16_t type = cx_get_be16(&c), len = cx_get_be16(&c);
	uint32_t cookie = cx_get_be32(&c);
	bool port = sport == 3478 || dport == 3478 || sport == 3479 || dport == 3479;
	bool binding = type == 0x0001 || type == 0x0101 || type == 0x0111 || type == 0x0002 ||
		       type == 0x0102 || type == 0x0112;
	return !c.err && port && binding && cookie != CX_STUN_COOKIE && (len % 4) == 0 && (size_t)len + 20 == n;
}

/* MAPPED-ADDRESS and its relatives: reserved, family, port, address. */
static bool
plain_address(struct cx_cur *v, struct cx_addr *a, uint16_t *port)
{
	cx_skip(v, 1);
	uint8_t fam = cx_get_u8(v);
	*port = cx_get_be16(v);
	size_t alen = fam == 2 ? 16 : 4;
	memset(a, 0, sizeof(*a));
	cx_get_bytes(v, a->a, alen);
	a->family = fam == 2 ? 6 : 4;
	return !v->err && (fam == 1 || fam == 2);
}

int
cx_stun_parse(const uint8_t *d, size_t n, struct cx_stun *s)
{
	memset(s, 0, sizeof(*s));
	if (!cx_stun_looks_like(d, n)) {
		/* RFC 3489: the caller has checked the ports */
		struct cx_cur h = cx_cur_make(d, n);
		uint16_t type = cx_get_be16(&h), len = cx_get_be16(&h);
		if (h.err || (type & 0xc000) || (len % 4) || (size_t)len + 20 != n)
			return -1;
		s->classic = true;
	}
	struct cx_cur c = cx_cur_make(d, n);
	s->type = cx_get_be16(&c);
	cx_skip(&c, 2);
	if (!s->classic)
		cx_skip(&c, 4);
	cx_get_bytes(&c, s->txid, 12);
	if (s->classic)
		cx_skip(&c, 4); /* the rest of the 16-byte transaction id */
	uint16_t cls = s->type & 0x0110;
	s->cls = cls == 0x0000 ? "request" : cls == 0x0100 ? "success" : cls == 0x0110 ? "error" : "indication";
	while (cx_cur_left(&c) >= 4) {
		uint16_t at = cx_get_be16(&c), al = cx_get_be16(&c);
		struct cx_cur v = cx_take(&c, al);
		cx_skip(&c, (4 - al % 4) % 4);
		if (c.err)
			return -1;
		switch (at) {
		case 0x0001: /* MAPPED-ADDRESS */
			s->has_mapped = plain_address(&v, &s->mapped, &s->mapped_port);
			break;
		case 0x0020: { /* XOR-MAPPED-ADDRESS */
			if (s->classic)
				break; /* its key is the magic cookie, which RFC 3489 messages lack */
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
				s->username[k++] = ch ? (char)ch : '?';
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
