/* One decoded frame, as the pipeline hands it to protocol dissectors.
 *
 * Everything a struct cx_packet points to is BORROWED: libpcap's buffer (or a
 * reassembly buffer) valid only for the duration of the callback that
 * receives it. Copy what you keep. */
#ifndef CX_PACKET_H
#define CX_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cx_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint8_t a[16];  /* IPv4 uses the first 4 bytes */
};

/* "1.2.3.4" or "2001:db8::1"; buf must hold CX_ADDR_STRLEN bytes. */
#define CX_ADDR_STRLEN 48
const char *cx_addr_str(const struct cx_addr *a, char *buf);
/* "1.2.3.4:5060" or "[2001:db8::1]:5060". */
const char *cx_endpoint_str(const struct cx_addr *a, uint16_t port, char *buf);
static inline bool
cx_addr_eq(const struct cx_addr *x, const struct cx_addr *y)
{
	/* inline: every flow and host lookup of every packet compares addresses */
	/* constant lengths: the compiler compares in a word or two */
	if (x->family != y->family)
		return false;
	return x->family == 4 ? memcmp(x->a, y->a, 4) == 0 : memcmp(x->a, y->a, 16) == 0;
}
/* Parse a textual IPv4/IPv6 address (brackets allowed). 0 on success. */
int cx_addr_parse(const char *s, struct cx_addr *out);

enum cx_l4 {
	CX_L4_NONE = 0,
	CX_L4_UDP,
	CX_L4_TCP,
	CX_L4_ICMP,
	CX_L4_ICMP6,
	CX_L4_OTHER,
};

#define CX_TCP_FIN 0x01
#define CX_TCP_SYN 0x02
#define CX_TCP_RST 0x04
#define CX_TCP_PSH 0x08
#define CX_TCP_ACK 0x10
#define CX_TCP_URG 0x20

struct cx_packet {
	uint64_t frame;   /* 1-based, in file order, as Wireshark numbers them */
	int64_t ts_ns;    /* absolute, ns since the Unix epoch */
	const uint8_t *data; /* the whole frame as captured */
	uint32_t caplen, wirelen;
	int linktype;

	bool has_mac;
	uint8_t mac_src[6], mac_dst[6]; /* innermost Ethernet header seen */
	uint16_t vlan;                  /* outermost 802.1Q id, 0 = none */

	/* Innermost IP header (after tunnels). */
	uint8_t ip_ver;          /* 4, 6, or 0 when no IP */
	struct cx_addr src, dst;
	uint8_t ttl;             /* TTL / hop limit */
	uint8_t ip_proto;        /* upper-layer protocol number */
	uint16_t ip_id;
	const uint8_t *l3;       /* innermost IP header, may be a reassembly buffer */
	uint32_t l3_len;         /* bytes of IP datagram available from l3 */
	bool reassembled;        /* datagram was rebuilt from fragments */
	uint32_t tunnel_depth;   /* encapsulations peeled off */

	enum cx_l4 l4;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	const uint8_t *payload;  /* transport payload (UDP/TCP data, ICMP message) */
	uint32_t payload_len;

	/* Set when decode returns CX_DEC_FRAGMENT (see packet/defrag.c). */
	uint32_t frag_id;
	uint32_t frag_offset;    /* bytes */
	bool frag_more;
	uint32_t frag_data_off;  /* offset in l3 where the fragment's data starts */
	uint32_t frag_unfrag_len;/* IPv6: bytes before the fragment header */
	uint8_t frag_next;       /* IPv6: next header after the fragment header */

	/* Bytes after the IP datagram inside the link frame (Ethernet padding or
	 * a trailer): kept for hidden-data findings. */
	const uint8_t *trailer;
	uint32_t trailer_len;
};

#endif
