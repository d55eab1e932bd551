/* SRTP and SRTCP (RFC 3711) decryption with libsrtp2. This room owns: the
 * SDES key syntax (RFC 4568 a=crypto lines and --srtp-key), and the receive
 * side of one encrypted stream: its candidate keys, which of them works,
 * the rollover counter (ROC) when a capture starts mid-call, and the
 * counters the report shows under a stream's "srtp". It knows nothing of
 * calls: the stream layer (call/media.c) says which keys a stream may use. */
#ifndef CX_SRTP_H
#define CX_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"

struct json_object;

enum cx_srtp_suite {
	CX_SRTP_UNKNOWN = 0,
	CX_SRTP_AES_CM_128_HMAC_SHA1_80,
	CX_SRTP_AES_CM_128_HMAC_SHA1_32,
	CX_SRTP_AES_192_CM_HMAC_SHA1_80,
	CX_SRTP_AES_192_CM_HMAC_SHA1_32,
	CX_SRTP_AES_256_CM_HMAC_SHA1_80,
	CX_SRTP_AES_256_CM_HMAC_SHA1_32,
	CX_SRTP_AEAD_AES_128_GCM,
	CX_SRTP_AEAD_AES_256_GCM,
};

#define CX_SRTP_MAX_MASTER 4   /* inline: keys of one line (told apart by MKI) */
#define CX_SRTP_MAX_KEYS 8     /* candidate lines one stream tries */

/* One a=crypto line (or --srtp-key): plain data. */
struct cx_srtp_key {
	unsigned tag;                 /* RFC 4568 tag; 0 for --srtp-key */
	enum cx_srtp_suite suite;
	uint8_t n_master;             /* inline: keys, 1..CX_SRTP_MAX_MASTER */
	uint8_t mki_len;              /* bytes of MKI in each packet; 0 none */
	struct {
		uint8_t key[46];      /* master key || master salt */
		uint8_t len;          /* key + salt bytes of the suite */
		uint64_t lifetime;    /* packets; 0 not given */
		uint32_t mki;         /* MKI value (when mki_len) */
	} m[CX_SRTP_MAX_MASTER];
	uint64_t frame;               /* the SIP message that carried it; 0: --srtp-key */
};

const char *cx_srtp_suite_name(enum cx_srtp_suite s);
/* RFC 4568 names; AES_CM_256_... and AES_CM_192_... (as phones spell them)
 * too. CX_SRTP_UNKNOWN if not one of the suites above. */
enum cx_srtp_suite cx_srtp_suite_parse(const char *name, size_t n);

/* Parses the value of an a=crypto attribute: "TAG SUITE inline:KEY[|LIFETIME][|MKI:LEN][;inline:...]
 * [session params]". Returns 0, or -1 with *err a static reason. Frame is
 * left 0. */
int cx_srtp_parse_crypto(const char *v, struct cx_srtp_key *out, const char **err);
/* The same without the tag ("SUITE inline:..."), for --srtp-key. */
int cx_srtp_parse_suite_key(const char *v, struct cx_srtp_key *out, const char **err);

/* --srtp-key "STREAM SUITE inline:KEY...": STREAM is the address:port the
 * stream is sent from (IPv6 as [addr]:port) or its SSRC (0x1234abcd or
 * decimal). */
struct cx_srtp_opt {
	bool by_ssrc;
	uint32_t ssrc;
	struct cx_addr addr;
	uint16_t port;
	struct cx_srtp_key key;
};
int cx_srtp_parse_option(const char *s, struct cx_srtp_opt *o, const char **err);

/* What one packet was. */
enum cx_srtp_result {
	CX_SRTP_OK,          /* authenticated and decrypted */
	CX_SRTP_AUTH_FAIL,   /* no candidate key authenticates it (counted) */
	CX_SRTP_REPLAY,      /* an index already seen, or too old for the window */
	CX_SRTP_NO_KEY,      /* no candidate keys */
	CX_SRTP_BAD,         /* too short to be SRTP(C) of this suite */
};

/* The receive side of one SRTP stream (one SSRC, one sender): owned by
 * the stream that made it, freed by cx_srtp_rx_free. */
struct cx_srtp_rx;
struct cx_srtp_rx *cx_srtp_rx_new(uint32_t ssrc);
void cx_srtp_rx_free(struct cx_srtp_rx *rx);
/* The keys this stream may be protected with, in the order to try them
 * (copied). A set that differs from the current one is a re-key: the key
 * that worked so far stays the last candidate, so that packets still in
 * flight under it decrypt, until a new key authenticates. */
void cx_srtp_rx_set_keys(struct cx_srtp_rx *rx, const struct cx_srtp_key *keys, size_t n);
size_t cx_srtp_rx_n_keys(const struct cx_srtp_rx *rx);
/* Decrypts one SRTP packet (len bytes) into out (room for len bytes);
 * *out_len is the RTP packet without tag and MKI. Until a key works,
 * every candidate is tried, and a small window of rollover counters
 * (capture started after the sequence number wrapped). */
enum cx_srtp_result cx_srtp_rx_rtp(struct cx_srtp_rx *rx, const uint8_t *pkt, size_t len, uint8_t *out,
				   size_t *out_len);
/* The same for one SRTCP compound packet of this SSRC (80-bit tag for
 * _32 suites too, RFC 4568 section 6.2.1). */
enum cx_srtp_result cx_srtp_rx_rtcp(struct cx_srtp_rx *rx, const uint8_t *pkt, size_t len, uint8_t *out,
				    size_t *out_len);
/* True once some packet authenticated. */
bool cx_srtp_rx_working(const struct cx_srtp_rx *rx);
/* Report members (added to obj): suite, key_source, key_frame, tag, roc,
 * decrypted, auth_failures, replayed, rtcp_decrypted, rtcp_auth_failures. */
void cx_srtp_rx_json(const struct cx_srtp_rx *rx, struct json_object *obj);

#endif
