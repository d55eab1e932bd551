/* Frame decoder: link layer, tunnels, IP, transport.
 *
 * Every read goes through struct cx_cur. A frame cut by the snaplen is
 * decoded as far as its bytes go (CX_DEC_TRUNCATED only when a header
 * itself is cut); lengths in headers are checked against what is there. */
#include <string.h>
#include "callextract/cursor.h"
#include "callextract/decode.h"

#define MAX_DEPTH 8

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100
#define ET_MPLS 0x8847
#define ET_PPPOE 0x8864
#define ET_MPLS_MC 0x8848
#define ET_TEB 0x6558      /* transparent Ethernet bridging (GRE) */
#define ET_ERSPAN2 0x88be
#define ET_ERSPAN3 0x22eb

static int decode_ether(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth,
			const char **layer);
static int decode_ip_at(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth,
			bool from_link, const char **layer);

const char *
cx_linktype_name(int dlt)
{
	switch (dlt) {
	case 0: return "NULL";
	case 1: return "EN10MB";
	case 12: case 14: case 101: return "RAW";
	case 108: return "LOOP";
	case 113: return "LINUX_SLL";
	case 276: return "LINUX_SLL2";
	case 228: return "IPV4";
	case 229: return "IPV6";
	default: return "UNKNOWN";
	}
}

static int
by_ethertype(struct cx_packet *p, uint16_t et, const uint8_t *d, uint32_t len, int depth,
	     const char **layer)
{
	switch (et) {
	case ET_IPV4:
	case ET_IPV6:
		return decode_ip_at(p, d, len, depth, depth == 0, layer);
	case ET_PPPOE: {
		/* PPPoE session: 6-byte header, then the PPP protocol number. */
		struct cx_cur c = cx_cur_make(d, len);
		cx_skip(&c, 6);
		uint16_t ppp = cx_get_be16(&c);
		if (c.err) {
			*layer = "pppoe";
			return CX_DEC_TRUNCATED;
		}
		if (ppp != 0x0021 && ppp != 0x0057) {
			*layer = "ppp";
			return CX_DEC_UNSUPPORTED;
		}
		return decode_ip_at(p, c.p, (uint32_t)cx_cur_left(&c), depth, depth == 0, layer);
	}
	case ET_MPLS:
	case ET_MPLS_MC: {
		struct cx_cur c = cx_cur_make(d, len);
		for (int i = 0; i < 16; i++) {
			uint32_t e = cx_get_be32(&c);
			if (c.err) {
				*layer = "mpls";
				return CX_DEC_TRUNCATED;
			}
			if (e & 0x100)
				break; /* bottom of stack */
		}
		p->tunnel_depth++;
		uint8_t nib = (uint8_t)(cx_peek_u8(&c, 0) >> 4);
		if (c.err) {
			*layer = "mpls";
			return CX_DEC_TRUNCATED;
		}
		const uint8_t *in = c.p;
		uint32_t inl = (uint32_t)cx_cur_left(&c);
		if (nib == 4 || nib == 6)
			return decode_ip_at(p, in, inl, depth + 1, false, layer);
		/* Ethernet pseudowire with a control word (first nibble 0). */
		if (inl < 4) {
			*layer = "mpls";
			return CX_DEC_TRUNCATED;
		}
		return decode_ether(p, in + 4, inl - 4, depth + 1, layer);
	}
	default:
		*layer = "ethertype";
		return CX_DEC_UNSUPPORTED;
	}
}

static int
decode_ether(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth, const char **layer)
{
	if (depth > MAX_DEPTH) {
		*layer = "tunnel";
		return CX_DEC_MALFORMED;
	}
	struct cx_cur c = cx_cur_make(d, len);
	uint8_t dst[6], src[6];
	cx_get_bytes(&c, dst, 6);
	cx_get_bytes(&c, src, 6);
	uint16_t et = cx_get_be16(&c);
	if (c.err) {
		*layer = "ethernet";
		return CX_DEC_TRUNCATED;
	}
	memcpy(p->mac_dst, dst, 6);
	memcpy(p->mac_src, src, 6);
	p->has_mac = true;
	for (int tags = 0; et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD; tags++) {
		uint16_t tci = cx_get_be16(&c);
		et = cx_get_be16(&c);
		if (c.err || tags > 8) {
			*layer = "vlan";
			return c.err ? CX_DEC_TRUNCATED : CX_DEC_MALFORMED;
		}
		if (p->vlan == 0)
			p->vlan = tci & 0x0fff;
	}
	if (et < 0x0600) {
		*layer = "llc";
		return CX_DEC_UNSUPPORTED; /* 802.3 length field: LLC/SNAP, not IP traffic we need */
	}
	return by_ethertype(p, et, c.p, (uint32_t)cx_cur_left(&c), depth, layer);
}

/* GRE (RFC 2784/2890) with ERSPAN types I, II and III. */
static int
decode_gre(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth, const char **layer)
{
	struct cx_cur c = cx_cur_make(d, len);
	uint16_t flags = cx_get_be16(&c);
	uint16_t proto = cx_get_be16(&c);
	bool seq = flags & 0x1000;
	if (flags & 0x8000)
		cx_skip(&c, 4); /* checksum + reserved */
	if (flags & 0x2000)
		cx_skip(&c, 4); /* key */
	if (seq)
		cx_skip(&c, 4);
	if (c.err) {
		*layer = "gre";
		return CX_DEC_TRUNCATED;
	}
	if ((flags & 0x0007) != 0) {
		*layer = "gre";
		return CX_DEC_UNSUPPORTED; /* PPTP enhanced GRE */
	}
	p->tunnel_depth++;
	if (proto == ET_ERSPAN2 && seq) {
		cx_skip(&c, 8); /* ERSPAN type II header */
	} else if (proto == ET_ERSPAN3) {
		cx_skip(&c, 11);
		uint8_t last = cx_get_u8(&c);
		if (last & 0x01)
			cx_skip(&c, 8); /* optional platform-specific subheader */
	}
	if (c.err) {
		*layer = "erspan";
		return CX_DEC_TRUNCATED;
	}
	if (proto == ET_ERSPAN2 || proto == ET_ERSPAN3 || proto == ET_TEB)
		return decode_ether(p, c.p, (uint32_t)cx_cur_left(&c), depth + 1, layer);
	return by_ethertype(p, proto, c.p, (uint32_t)cx_cur_left(&c), depth + 1, layer);
}

static void
set_addr(struct cx_addr *a, int fam, const uint8_t *b)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)fam;
	memcpy(a->a, b, fam == 4 ? 4 : 16);
}

/* Transport header at d (len bytes of the datagram's payload). */
static int
decode_transport(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth,
		 const char **layer)
{
	struct cx_cur c = cx_cur_make(d, len);
	switch (p->ip_proto) {
	case 17: { /* UDP */
		p->sport = cx_get_be16(&c);
		p->dport = cx_get_be16(&c);
		uint16_t ulen = cx_get_be16(&c);
		cx_skip(&c, 2);
		if (c.err) {
			*layer = "udp";
			return CX_DEC_TRUNCATED;
		}
		p->l4 = CX_L4_UDP;
		if (ulen < 8) {
			*layer = "udp";
			return CX_DEC_MALFORMED;
		}
		uint32_t plen = ulen - 8u;
		int rc = CX_DEC_OK;
		if (plen > cx_cur_left(&c)) {
			plen = (uint32_t)cx_cur_left(&c);
			rc = CX_DEC_TRUNCATED;
			*layer = "udp";
		}
		p->payload = c.p;
		p->payload_len = plen;
		/* VXLAN: an Ethernet frame inside UDP 4789 with the I flag. */
		if (rc == CX_DEC_OK && p->dport == 4789 && plen >= 8 + 14 && (c.p[0] & 0x08) &&
		    depth < MAX_DEPTH) {
			struct cx_packet inner = *p;
			inner.tunnel_depth++;
			inner.l4 = CX_L4_NONE;
			const char *il = NULL;
			int irc = decode_ether(&inner, c.p + 8, plen - 8, depth + 1, &il);
			if (irc == CX_DEC_OK || irc == CX_DEC_FRAGMENT || irc == CX_DEC_TRUNCATED) {
				inner.trailer = p->trailer;
				inner.trailer_len = p->trailer_len;
				*p = inner;
				if (il)
					*layer = il;
				return irc;
			}
		}
		return rc;
	}
	case 6: { /* TCP */
		p->sport = cx_get_be16(&c);
		p->dport = cx_get_be16(&c);
		p->tcp_seq = cx_get_be32(&c);
		p->tcp_ack = cx_get_be32(&c);
		uint8_t off = cx_get_u8(&c);
		p->tcp_flags = cx_get_u8(&c);
		cx_skip(&c, 6);
		if (c.err) {
			*layer = "tcp";
			return CX_DEC_TRUNCATED;
		}
		p->l4 = CX_L4_TCP;
		uint32_t hl = (uint32_t)(off >> 4) * 4u;
		if (hl < 20) {
			*layer = "tcp";
			return CX_DEC_MALFORMED;
		}
		cx_skip(&c, hl - 20);
		if (c.err) {
			*layer = "tcp";
			return CX_DEC_TRUNCATED;
		}
		p->payload = c.p;
		p->payload_len = (uint32_t)cx_cur_left(&c);
		return CX_DEC_OK;
	}
	case 1:
	case 58:
		p->l4 = p->ip_proto == 1 ? CX_L4_ICMP : CX_L4_ICMP6;
		p->payload = d;
		p->payload_len = len;
		if (len < 4) {
			*layer = "icmp";
			return CX_DEC_TRUNCATED;
		}
		return CX_DEC_OK;
	case 4:  /* IP in IP */
	case 41: /* IPv6 in IP */
		if (depth >= MAX_DEPTH) {
			*layer = "tunnel";
			return CX_DEC_MALFORMED;
		}
		p->tunnel_depth++;
		return decode_ip_at(p, d, len, depth + 1, false, layer);
	case 47:
		if (depth >= MAX_DEPTH) {
			*layer = "tunnel";
			return CX_DEC_MALFORMED;
		}
		return decode_gre(p, d, len, depth, layer);
	default:
		p->l4 = CX_L4_OTHER;
		p->payload = d;
		p->payload_len = len;
		return CX_DEC_OK;
	}
}

static int
decode_ipv4(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth, bool from_link,
	    const char **layer)
{
	struct cx_cur c = cx_cur_make(d, len);
	uint8_t vihl = cx_get_u8(&c);
	cx_skip(&c, 1);
	uint16_t tot = cx_get_be16(&c);
	uint16_t id = cx_get_be16(&c);
	uint16_t frag = cx_get_be16(&c);
	uint8_t ttl = cx_get_u8(&c);
	uint8_t proto = cx_get_u8(&c);
	cx_skip(&c, 2);
	uint8_t src[4], dst[4];
	cx_get_bytes(&c, src, 4);
	cx_get_bytes(&c, dst, 4);
	if (c.err) {
		*layer = "ipv4";
		return CX_DEC_TRUNCATED;
	}
	uint32_t hl = (uint32_t)(vihl & 0x0f) * 4u;
	if ((vihl >> 4) != 4 || hl < 20 || tot < hl) {
		*layer = "ipv4";
		return CX_DEC_MALFORMED;
	}
	cx_skip(&c, hl - 20); /* options */
	if (c.err) {
		*layer = "ipv4";
		return CX_DEC_TRUNCATED;
	}
	p->ip_ver = 4;
	set_addr(&p->src, 4, src);
	set_addr(&p->dst, 4, dst);
	p->ttl = ttl;
	p->ip_proto = proto;
	p->ip_id = id;
	p->l3 = d;
	int rc = CX_DEC_OK;
	uint32_t avail = len;
	if (tot > len) {
		/* Cut by the snaplen (or lying): decode what is here. */
		rc = CX_DEC_TRUNCATED;
		*layer = "ipv4";
	} else {
		avail = tot;
		if (from_link && len > tot) {
			p->trailer = d + tot;
			p->trailer_len = len - tot;
		}
	}
	p->l3_len = avail;
	uint32_t off = (uint32_t)(frag & 0x1fff) * 8u;
	bool mf = frag & 0x2000;
	if (off || mf) {
		p->frag_id = id;
		p->frag_offset = off;
		p->frag_more = mf;
		p->frag_data_off = hl;
		return CX_DEC_FRAGMENT;
	}
	int trc = decode_transport(p, d + hl, avail - hl, depth, layer);
	return trc != CX_DEC_OK ? trc : rc;
}

static int
decode_ipv6(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth, bool from_link,
	    const char **layer)
{
	struct cx_cur c = cx_cur_make(d, len);
	uint32_t vtf = cx_get_be32(&c);
	uint16_t plen = cx_get_be16(&c);
	uint8_t nh = cx_get_u8(&c);
	uint8_t hop = cx_get_u8(&c);
	uint8_t src[16], dst[16];
	cx_get_bytes(&c, src, 16);
	cx_get_bytes(&c, dst, 16);
	if (c.err) {
		*layer = "ipv6";
		return CX_DEC_TRUNCATED;
	}
	if ((vtf >> 28) != 6) {
		*layer = "ipv6";
		return CX_DEC_MALFORMED;
	}
	p->ip_ver = 6;
	set_addr(&p->src, 6, src);
	set_addr(&p->dst, 6, dst);
	p->ttl = hop;
	p->l3 = d;
	int rc = CX_DEC_OK;
	uint32_t tot = 40u + plen, avail = len;
	if (tot > len) {
		rc = CX_DEC_TRUNCATED;
		*layer = "ipv6";
	} else {
		avail = tot;
		if (from_link && len > tot) {
			p->trailer = d + tot;
			p->trailer_len = len - tot;
		}
	}
	p->l3_len = avail;
	c = cx_cur_make(d, avail);
	cx_skip(&c, 40);
	/* Extension headers. */
	for (int i = 0; i < 16; i++) {
		if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 51) {
			uint8_t next = cx_get_u8(&c);
			uint8_t hlen = cx_get_u8(&c);
			size_t skip = nh == 51 ? ((size_t)hlen + 2) * 4 - 2 : (size_t)hlen * 8 + 6;
			cx_skip(&c, skip);
			if (c.err) {
				*layer = "ipv6-ext";
				return CX_DEC_TRUNCATED;
			}
			nh = next;
			continue;
		}
		if (nh == 44) {
			uint32_t unfrag = (uint32_t)(c.p - d);
			uint8_t next = cx_get_u8(&c);
			cx_skip(&c, 1);
			uint16_t offm = cx_get_be16(&c);
			uint32_t id = cx_get_be32(&c);
			if (c.err) {
				*layer = "ipv6-frag";
				return CX_DEC_TRUNCATED;
			}
			uint32_t off = (uint32_t)(offm >> 3) * 8u;
			bool m = offm & 1;
			if (off == 0 && !m) { /* atomic fragment */
				nh = next;
				continue;
			}
			p->ip_proto = next;
			p->frag_id = id;
			p->frag_offset = off;
			p->frag_more = m;
			p->frag_unfrag_len = unfrag;
			p->frag_next = next;
			p->frag_data_off = (uint32_t)(c.p - d);
			return CX_DEC_FRAGMENT;
		}
		break;
	}
	p->ip_proto = nh;
	if (nh == 59) {
		p->l4 = CX_L4_OTHER;
		return rc;
	}
	int trc = decode_transport(p, c.p, (uint32_t)cx_cur_left(&c), depth, layer);
	return trc != CX_DEC_OK ? trc : rc;
}

static int
decode_ip_at(struct cx_packet *p, const uint8_t *d, uint32_t len, int depth, bool from_link,
	     const char **layer)
{
	if (depth > MAX_DEPTH) {
		*layer = "tunnel";
		return CX_DEC_MALFORMED;
	}
	if (len < 1) {
		*layer = "ip";
		return CX_DEC_TRUNCATED;
	}
	/* Reset transport state: an outer header may have set it. */
	p->l4 = CX_L4_NONE;
	p->payload = NULL;
	p->payload_len = 0;
	switch (d[0] >> 4) {
	case 4: return decode_ipv4(p, d, len, depth, from_link, layer);
	case 6: return decode_ipv6(p, d, len, depth, from_link, layer);
	default:
		*layer = "ip";
		return CX_DEC_MALFORMED;
	}
}

int
cx_decode_ip(struct cx_packet *p, const uint8_t *ip, uint32_t len, const char **layer)
{
	*layer = NULL;
	return decode_ip_at(p, ip, len, 1, false, layer);
}

/* BSD loopback family values for IPv6 differ per OS (tcpdump af.h). */
static int
null_af_to_ethertype(uint32_t af)
{
	switch (af) {
	case 2: return ET_IPV4;
	case 10: case 24: case 28: case 30: return ET_IPV6;
	default: return -1;
	}
}

int
cx_decode_frame(struct cx_packet *p, const char **layer)
{
	*layer = NULL;
	struct cx_cur c = cx_cur_make(p->data, p->caplen);
	switch (p->linktype) {
	case 1:
		return decode_ether(p, p->data, p->caplen, 0, layer);
	case 0:
	case 108: {
		uint32_t raw = p->linktype == 108 ? cx_get_be32(&c) : cx_get_le32(&c);
		if (c.err) {
			*layer = "null";
			return CX_DEC_TRUNCATED;
		}
		/* DLT_NULL is in the capturing host's byte order: try both. */
		if (p->linktype == 0 && (raw & 0xffff) == 0)
			raw = __builtin_bswap32(raw);
		int et = null_af_to_ethertype(raw);
		if (et < 0) {
			*layer = "null";
			return CX_DEC_UNSUPPORTED;
		}
		return decode_ip_at(p, c.p, (uint32_t)cx_cur_left(&c), 0, true, layer);
	}
	case 12:
	case 14:
	case 101:
	case 228:
	case 229:
		return decode_ip_at(p, p->data, p->caplen, 0, true, layer);
	case 113: {
		cx_skip(&c, 14);
		uint16_t proto = cx_get_be16(&c);
		if (c.err) {
			*layer = "sll";
			return CX_DEC_TRUNCATED;
		}
		return by_ethertype(p, proto, c.p, (uint32_t)cx_cur_left(&c), 0, layer);
	}
	case 276: {
		uint16_t proto = cx_get_be16(&c);
		cx_skip(&c, 18);
		if (c.err) {
			*layer = "sll2";
			return CX_DEC_TRUNCATED;
		}
		return by_ethertype(p, proto, c.p, (uint32_t)cx_cur_left(&c), 0, layer);
	}
	default:
		*layer = "link";
		return CX_DEC_UNSUPPORTED;
	}
}
