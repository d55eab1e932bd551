/* IPv4 and IPv6 fragment reassembly with caps on memory, datagrams in
 * flight and age (capture time). Overlaps: the first copy of a byte wins
 * (counted as an anomaly). */
#ifndef CX_PACKET_DEFRAG_H
#define CX_PACKET_DEFRAG_H

#include <stdint.h>
#include "callextract/packet.h"

struct cx_defrag;
struct cx_stats;

/* Owned: cx_defrag_free(). stats borrowed (counters "defrag.*", "error.defrag.*"). */
struct cx_defrag *cx_defrag_new(uint32_t max_bytes, int64_t timeout_ns, struct cx_stats *stats);
void cx_defrag_free(struct cx_defrag *d);

/* p: a packet that decoded to CX_DEC_FRAGMENT. When this fragment completes
 * a datagram, returns the whole datagram (an IP header followed by the
 * payload; owned by d, valid until the next call) and sets *len. */
const uint8_t *cx_defrag_add(struct cx_defrag *d, const struct cx_packet *p, uint32_t *len);
/* Drop datagrams older than the timeout. */
void cx_defrag_tick(struct cx_defrag *d, int64_t now_ns);
/* Datagrams still incomplete. */
uint32_t cx_defrag_pending(const struct cx_defrag *d);

#endif
