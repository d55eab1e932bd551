/* Frame decoding: link layer -> tunnels -> IP -> transport. */
#ifndef CX_DECODE_H
#define CX_DECODE_H

#include <stdint.h>
#include "callextract/packet.h"

struct cx_stats;

enum cx_decode_result {
	CX_DEC_OK = 0,
	CX_DEC_TRUNCATED = -1,  /* snaplen cut the frame */
	CX_DEC_MALFORMED = -2,  /* a header contradicts itself */
	CX_DEC_UNSUPPORTED = -3,/* a link type / ethertype we do not decode */
	CX_DEC_FRAGMENT = -4,   /* an IP fragment: the datagram is not complete */
};

/* Decode a frame into p (p->data/caplen/linktype/frame/ts set by caller).
 * On CX_DEC_FRAGMENT, p->l3 points at the fragment's IP header. *layer gets
 * a static name of the layer that failed ("ipv4", "tcp", ...). */
int cx_decode_frame(struct cx_packet *p, const char **layer);

/* Decode an IP datagram (v4 or v6, chosen by the version nibble) into p,
 * without touching the link fields. Used for reassembled datagrams and the
 * datagram quoted inside ICMP errors. */
int cx_decode_ip(struct cx_packet *p, const uint8_t *ip, uint32_t len, const char **layer);

/* Static name for a DLT ("EN10MB", "LINUX_SLL2", ...). */
const char *cx_linktype_name(int dlt);

#endif
