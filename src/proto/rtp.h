/* RTP, RTCP and STUN parsers on struct cx_cur. No allocation; everything
 * points into (borrows) the packet. */
#ifndef CX_PROTO_RTP_H
#define CX_PROTO_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"

struct cx_rtp {
	uint8_t pt;
	bool marker, padding, ext;
	uint8_t cc;
	uint16_t seq;
	uint32_t ts, ssrc;
	const uint8_t *payload;
	uint32_t payload_len;  /* padding removed */
};

/* 0 ok, -1 not RTP v2 or inconsistent. */
int cx_rtp_parse(const uint8_t *d, size_t n, struct cx_rtp *out);

/* True if the datagram is a plausible RTCP compound packet: version 2,
 * first packet SR/RR (or any RTCP type when strict is false), and the
 * sub-packet lengths add up to the datagram's length exactly. */
bool cx_rtcp_looks_like(const uint8_t *d, size_t n, bool strict);

struct cx_rtcp_rb {
	uint32_t ssrc;          /* the source reported on */
	uint8_t fraction;       /* fraction lost, /256 */
	int32_t cum_lost;
	uint32_t high_seq, jitter, lsr, dlsr;
};

struct cx_rtcp_info {
	bool sr, rr, sdes, bye, app, xr;
	uint32_t sender_ssrc;
	uint64_t ntp;
	uint32_t rtp_ts, pkt_count, octet_count;
	struct cx_rtcp_rb rb[8];
	size_t n_rb;
	char cname[128], tool[128];
	char bye_reason[128];
};

/* Walks a compound packet (validated lengths first). 0 ok, -1 malformed. */
int cx_rtcp_parse(const uint8_t *d, size_t n, struct cx_rtcp_info *out);

#define CX_STUN_COOKIE 0x2112A442u

struct cx_stun {
	uint16_t type;          /* method | class bits */
	const char *cls;        /* "request", "success", "error", "indication" */
	uint8_t txid[12];
	bool has_xor_mapped;
	struct cx_addr xor_mapped;
	uint16_t xor_port;
	char username[128];
	bool has_priority;
	uint32_t priority;
	bool use_candidate, ice_controlling, ice_controlled, integrity, fingerprint;
	int error_code;         /* 0 if none */
	bool classic;           /* RFC 3489: no magic cookie, 16-byte transaction id */
	bool has_mapped;        /* MAPPED-ADDRESS (RFC 3489 answers, old servers) */
	struct cx_addr mapped;
	uint16_t mapped_port;
};

/* True for a STUN message (RFC 5389 header with the magic cookie). */
bool cx_stun_looks_like(const uint8_t *d, size_t n);
/* True for an RFC 3489 ("classic") Binding message: no cookie, so it is
 * only believed on the STUN ports (3478, 3479: the alternate port). */
bool cx_stun_classic_looks_like(const uint8_t *d, size_t n, uint16_t sport, uint16_t dport);
int cx_stun_parse(const uint8_t *d, size_t n, struct cx_stun *out);

#endif
