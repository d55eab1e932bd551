/* State shared by the wrapper rooms (src/wrap/). Private to src/wrap/. */
#ifndef CX_WRAP_INT_H
#define CX_WRAP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "callextract/packet.h"

struct cx_ctx;
struct json_object;
struct tls_keys;

#define WRAP_MAX_AGENTS 64
#define WRAP_MAX_LISTED 256

/* One HEP capture agent, by (id, sender address). */
struct hep_agent {
	uint32_t id;
	struct cx_addr from;        /* who sent the HEP packets (outer source) */
	uint8_t versions;           /* bit v set when HEPv(v) seen */
	bool over_tcp, over_udp;
	bool auth_key;              /* an auth key chunk was seen */
	char key[64];               /* its printable form (truncated) */
	uint64_t first_frame;
	uint64_t messages, sip, rtcp, json, other, compressed;
};

struct cx_wrap {
	struct cx_ctx *ctx;
	struct hep_agent agents[WRAP_MAX_AGENTS];
	uint32_t n_agents;
	uint64_t agents_dropped;
	struct json_object *hep_reports; /* QoS / RTCP JSON reports kept (owned) */
	uint64_t hep_reports_dropped;
	struct json_object *ws_conns;    /* one entry per WebSocket connection (owned) */
	uint64_t ws_conns_dropped;
	struct json_object *tls_conns;   /* one entry per TLS connection (owned) */
	uint64_t tls_conns_dropped;
	struct tls_keys *keys;           /* key log + pcapng secrets (owned; NULL: none given) */
	const char *keylog_path;         /* the first, borrowed from the config */
	char keylog_error[256];
	/* every --tls-keylog as read: path borrowed from the config; the array owned */
	struct wrap_keylog {
		const char *path;
		uint64_t size;
		uint8_t sha256[32];
		bool read;
	} *keylogs;
	size_t n_keylogs;
	uint8_t *tls_out;                /* one record's plaintext (owned) */
};

/* tls.c: adds "keys" (what the key store holds) to the report's "tls". */
void cx_wrap_tls_report(struct cx_wrap *w, struct json_object *tls);

#endif
