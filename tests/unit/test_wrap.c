/* Wrappers (src/wrap/): HEP v1/v2/v3 over UDP and TCP from kamailio's
 * siptrace, SIP over WebSocket from kamailio's websocket module and
 * python3-websockets with permessage-deflate (fixtures/README.md, "Wrapper
 * captures"), the corpus WebSocket capture, and hostile variants made from
 * them (absurd HEP lengths, a WebSocket 64-bit length beyond the capture). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

/* Copy of a capture with only the frames a BPF filter keeps (or drops). */
static const char *
split(const char *in, const char *filter, bool keep, char *out, size_t cap)
{
	static unsigned n;
	snprintf(out, cap, "/tmp/cxwrap-%d-%u.pcap", (int)getpid(), n++);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(in, err);
	cr_assert_not_null(p, "%s", err);
	struct bpf_program bp;
	cr_assert_eq(pcap_compile(p, &bp, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
	pcap_dumper_t *d = pcap_dump_open(p, out);
	cr_assert_not_null(d);
	struct pcap_pkthdr *h;
	const u_char *data;
	while (pcap_next_ex(p, &h, &data) == 1)
		if ((pcap_offline_filter(&bp, h, data) != 0) == keep)
			pcap_dump((u_char *)d, h, data);
	pcap_freecode(&bp);
	pcap_dump_close(d);
	pcap_close(p);
	return out;
}

static struct json_object *
run(const char *path)
{
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	cr_assert_not_null(r, "%s", path);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Dialogs, digest exchanges and SDP as a sorted list of lines, without
 * frame numbers and times (a HEP copy has its own frame and the agent's
 * clock) and without message order (the agent ships a copy when it handles
 * the message, which may differ from the wire's order by microseconds).
 * only_port: when non-zero, only messages to or from that TCP/UDP port. */
static char *
canon(struct json_object *r, const char *only_port)
{
	size_t n = 0, cap = 512;
	char **lines = calloc(cap, sizeof(*lines));
	struct json_object *dl = cxt_get(r, "dialogs");
	for (size_t i = 0; dl && i < json_object_array_length(dl); i++) {
		struct json_object *d = json_object_array_get_idx(dl, i);
		struct json_object *ms = cxt_get(d, "messages");
		for (size_t k = 0; ms && k < json_object_array_length(ms); k++) {
			struct json_object *m = json_object_array_get_idx(ms, k);
			if (only_port && !strstr(cxt_str(m, "src"), only_port) && !strstr(cxt_str(m, "dst"), only_port))
				continue;
			char *l;
			cr_assert(asprintf(&l, "msg %s %s %s %s %s %s %s", cxt_str(d, "call_id"), cxt_str(m, "src"), cxt_str(m, "dst"),
					   cxt_str(m, "request"), cxt_str(m, "status"), cxt_str(m, "cseq"), cxt_str(m, "sdp")) > 0);
			lines[n++] = l;
		}
		if (!only_port) {
			char *l;
			cr_assert(asprintf(&l, "dialog %s %s %s %s", cxt_str(d, "call_id"), cxt_str(d, "kind"), cxt_str(d, "state"),
					   cxt_str(d, "final_status")) > 0);
			lines[n++] = l;
			struct json_object *sdp = cxt_get(d, "sdp");
			for (size_t k = 0; sdp && k < json_object_array_length(sdp); k++) {
				struct json_object *x = json_object_array_get_idx(sdp, k);
				cr_assert(asprintf(&l, "sdp %s %s %s %s %s %s", cxt_str(d, "call_id"), cxt_str(x, "origin"), cxt_str(x, "party"),
						   cxt_str(x, "type"), cxt_str(x, "message"),
						   json_object_to_json_string(cxt_get(x, "media"))) > 0);
				lines[n++] = l;
			}
		}
		cr_assert_lt(n, cap - 8);
	}
	struct json_object *ex = cxt_get(r, "auth.exchanges");
	for (size_t i = 0; ex && i < json_object_array_length(ex); i++) {
		struct json_object *e = json_object_array_get_idx(ex, i);
		if (only_port && !strstr(cxt_str(e, "client"), only_port))
			continue;
		char *l;
		cr_assert(asprintf(&l, "auth %s %s %s %s %s %s %s %s %s", cxt_str(e, "method"), cxt_str(e, "username"), cxt_str(e, "realm"),
				   cxt_str(e, "nonce"), cxt_str(e, "uri"), cxt_str(e, "response"), cxt_str(e, "qop"), cxt_str(e, "nc"),
				   cxt_str(e, "verdict")) > 0);
		lines[n++] = l;
		cr_assert_lt(n, cap - 8);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	size_t tl = 1;
	for (size_t i = 0; i < n; i++)
		tl += strlen(lines[i]) + 1;
	char *t = calloc(1, tl);
	for (size_t i = 0; i < n; i++) {
		strcat(t, lines[i]);
		strcat(t, "\n");
		free(lines[i]);
	}
	free(lines);
	return t;
}

/* The SIP on one TCP connection, by its client port, without addresses:
 * "up"/"down" per message, and its digest exchanges. */
static char *
leg(struct json_object *r, unsigned port)
{
	char me[32];
	snprintf(me, sizeof(me), "127.0.0.1:%u", port);
	char *t = calloc(1, 65536);
	size_t o = 0;
	struct json_object *dl = cxt_get(r, "dialogs");
	for (size_t i = 0; i < json_object_array_length(dl); i++) {
		struct json_object *d = json_object_array_get_idx(dl, i);
		struct json_object *ms = cxt_get(d, "messages");
		for (size_t k = 0; k < json_object_array_length(ms); k++) {
			struct json_object *m = json_object_array_get_idx(ms, k);
			bool up = !strcmp(cxt_str(m, "src"), me), down = !strcmp(cxt_str(m, "dst"), me);
			if (up || down)
				o += (size_t)snprintf(t + o, 65536 - o, "%s %s %s %s %s %s\n", up ? "up" : "down",
						      cxt_str(d, "call_id"), cxt_str(m, "request"), cxt_str(m, "status"), cxt_str(m, "cseq"), cxt_str(m, "sdp"));
		}
	}
	struct json_object *ex = cxt_get(r, "auth.exchanges");
	for (size_t i = 0; ex && i < json_object_array_length(ex); i++) {
		struct json_object *e = json_object_array_get_idx(ex, i);
		if (!strcmp(cxt_str(e, "client"), me))
			o += (size_t)snprintf(t + o, 65536 - o, "auth %s %s %s %s %s %s\n", cxt_str(e, "method"), cxt_str(e, "username"),
					      cxt_str(e, "nonce"), cxt_str(e, "response"), cxt_str(e, "nc"), cxt_str(e, "verdict"));
	}
	cr_assert_lt(o, 65000u);
	return t;
}

/* Every message's transport starts with prefix. */
static void
all_transports(struct json_object *r, const char *prefix)
{
	struct json_object *dl = cxt_get(r, "dialogs");
	size_t seen = 0;
	for (size_t i = 0; i < json_object_array_length(dl); i++) {
		struct json_object *ms = cxt_get(json_object_array_get_idx(dl, i), "messages");
		for (size_t k = 0; k < json_object_array_length(ms); k++, seen++)
			cr_assert_str_eq(cxt_str(json_object_array_get_idx(ms, k), "transport"), prefix);
	}
	cr_assert_gt(seen, 0);
}

/* The same call seen on the wire and in the agent's copies. */
static void
hep_case(const char *fixture, const char *transport, long agent, int version, const char *key)
{
	char a[128], b[128];
	const char *cap = cxt_path(fixture);
	struct json_object *full = run(cap);
	struct json_object *only = run(split(cap, "port 19060", true, a, sizeof(a)));
	struct json_object *plain = run(split(cap, "port 19060", false, b, sizeof(b)));
	/* 24 SIP messages on the wire (tshark sip,stat on the plain part) */
	cr_assert_eq(cxt_num(plain, "capture.protocols.sip"), 24);
	cr_assert_eq(cxt_num(only, "capture.protocols.sip"), 24);
	cr_assert_eq(cxt_num(only, "capture.protocols.hep"), 25);
	/* kamailio ships the ACK it absorbs twice: taken once */
	cr_assert_eq(cxt_num(only, "capture.protocols.hep_repeated_copy"), 1);
	all_transports(only, transport);
	all_transports(plain, "UDP");
	char *co = canon(only, NULL), *cp = canon(plain, NULL);
	cr_assert_str_eq(co, cp, "%s: HEP copies and wire differ", fixture);
	cr_assert_gt(strlen(cp), 1000);
	cr_assert(strstr(cp, "auth INVITE 1001"), "the INVITE's digest exchange is there");
	/* both copies in one capture: each message taken once, the wire's */
	cr_assert_eq(cxt_num(full, "capture.protocols.sip"), 24);
	cr_assert_eq(cxt_num(full, "capture.protocols.hep_duplicate"), 24);
	all_transports(full, "UDP");
	char *cf = canon(full, NULL);
	cr_assert_str_eq(cf, cp);
	cr_assert_eq(cxt_num(only, "wrappers.hep.agents.0.agent"), agent);
	cr_assert_eq(cxt_num(only, "wrappers.hep.agents.0.versions.0"), version);
	cr_assert_eq(cxt_num(only, "wrappers.hep.agents.0.sip"), 25);
	struct json_object *k = cxt_get(only, "wrappers.hep.agents.0.auth_key");
	if (key)
		cr_assert_str_eq(json_object_get_string(k), key);
	else
		cr_assert(k == NULL || json_object_is_type(k, json_type_null));
	struct json_object *f = cxt_get(only, "findings");
	size_t nokey = 0;
	for (size_t i = 0; i < json_object_array_length(f); i++)
		nokey += !strcmp(cxt_str(json_object_array_get_idx(f, i), "kind"), "hep.no_auth_key");
	cr_assert_eq(nokey, key ? 0u : 1u);
	free(co);
	free(cp);
	free(cf);
	unlink(a);
	unlink(b);
	json_object_put(full);
	json_object_put(only);
	json_object_put(plain);
}

Test(wrap, hep3_udp) { hep_case("fixtures/wrap-hep3.pcap", "HEP3 via agent 2001", 2001, 3, NULL); }
Test(wrap, hep3_tcp_auth_key) { hep_case("fixtures/wrap-hep3-tcp.pcap", "HEP3 via agent 2001", 2001, 3, "cx-hep-key"); }
Test(wrap, hep2_udp) { hep_case("fixtures/wrap-hep2.pcap", "HEP2 via agent 201", 201, 2, NULL); }
Test(wrap, hep1_udp) { hep_case("fixtures/wrap-hep1.pcap", "HEP1", 0, 1, NULL); }

/* A copy of a capture with each frame passed through mutate(). */
static const char *
mutated(const char *in, int (*mutate)(u_char *d, struct pcap_pkthdr *h, unsigned i), char *out, size_t cap)
{
	static unsigned n;
	snprintf(out, cap, "/tmp/cxwrap-mut-%d-%u.pcap", (int)getpid(), n++);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(in, err);
	cr_assert_not_null(p, "%s", err);
	pcap_dumper_t *d = pcap_dump_open(p, out);
	struct pcap_pkthdr *h;
	const u_char *data;
	static u_char buf[65536];
	for (unsigned i = 0; pcap_next_ex(p, &h, &data) == 1; i++) {
		struct pcap_pkthdr hh = *h;
		memcpy(buf, data, h->caplen);
		if (mutate(buf, &hh, i))
			pcap_dump((u_char *)d, &hh, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return out;
}

static unsigned hep_hits[4];

/* Ethernet + IPv4 (no options: the fixtures') + UDP to 19060: every HEP
 * datagram in turn gets an absurd total length, an absurd first-chunk
 * length, a chunk length below its header, or stays whole. */
static int
spoil_hep(u_char *d, struct pcap_pkthdr *h, unsigned i)
{
	(void)i;
	if (h->caplen < 42 + 12 || d[23] != 17 || ((d[36] << 8) | d[37]) != 19060 || memcmp(d + 42, "HEP3", 4))
		return 1;
	static unsigned k;
	unsigned c = k++ % 4;
	hep_hits[c]++;
	if (c == 0) { d[46] = 0xff; d[47] = 0xff; }
	if (c == 1) { d[52] = 0xff; d[53] = 0xf0; }
	if (c == 2) { d[52] = 0x00; d[53] = 0x03; }
	return 1;
}

Test(wrap, hep_hostile_lengths)
{
	char a[128], b[128];
	memset(hep_hits, 0, sizeof(hep_hits));
	const char *cap = mutated(cxt_path("fixtures/wrap-hep3.pcap"), spoil_hep, a, sizeof(a));
	struct json_object *r = run(cap);
	cr_assert_eq(hep_hits[0] + hep_hits[1] + hep_hits[2] + hep_hits[3], 25);
	cr_assert_eq(cxt_num(r, "capture.errors.hep.length"), hep_hits[0]);
	cr_assert_eq(cxt_num(r, "capture.errors.hep.chunk_length"), hep_hits[1] + hep_hits[2]);
	/* the plain SIP and the intact copies are all still there */
	cr_assert_eq(cxt_num(r, "capture.protocols.sip"), 24);
	cr_assert_eq(cxt_num(r, "capture.protocols.hep"), hep_hits[3]);
	json_object_put(r);
	/* and the HEP part alone keeps the messages of the intact copies */
	struct json_object *o = run(split(cap, "port 19060", true, b, sizeof(b)));
	cr_assert_geq(cxt_num(o, "capture.protocols.sip"), (long)hep_hits[3] - 1);
	cr_assert_leq(cxt_num(o, "capture.protocols.sip"), (long)hep_hits[3]);
	json_object_put(o);
	unlink(a);
	unlink(b);
}

/* WebSocket: per connection, the message sets; the deflate leg (alice to
 * the relay) carries the same SIP as the plain leg (relay to kamailio). */
Test(wrap, websocket_kamailio_deflate)
{
	struct json_object *r = run(cxt_path("fixtures/wrap-ws.pcap"));
	cr_assert_eq(cxt_num(r, "capture.protocols.websocket_sip"), 38);
	cr_assert_eq(cxt_num(r, "capture.protocols.sip"), 38);
	all_transports(r, "WS");
	struct json_object *cs = cxt_get(r, "wrappers.websocket.connections");
	cr_assert_eq(json_object_array_length(cs), 3);
	int deflate = 0;
	for (size_t i = 0; i < 3; i++) {
		struct json_object *c = json_object_array_get_idx(cs, i);
		cr_assert_str_eq(cxt_str(c, "protocol"), "sip");
		cr_assert(json_object_get_boolean(cxt_get(c, "upgrade_seen")));
		cr_assert_eq(cxt_num(c, "client_to_server.errors") + cxt_num(c, "server_to_client.errors"), 0);
		cr_assert_eq(cxt_num(c, "client_to_server.close_code"), 1000);
		if (json_object_get_boolean(cxt_get(c, "permessage_deflate"))) {
			deflate++;
			cr_assert_eq(cxt_num(c, "client_to_server.deflated"), 7);
			cr_assert_eq(cxt_num(c, "server_to_client.deflated"), 7);
			/* two INVITEs of 4 frames each (python-websockets' last
			 * fragment is the 1-byte deflate flush), 5 whole messages, close */
			cr_assert_eq(cxt_num(c, "client_to_server.frames"), 14);
		}
	}
	cr_assert_eq(deflate, 1);
	/* the relay's two legs: the same requests and answers (the relay
	 * passes each message on unchanged) */
	char *alice = leg(r, 56672), *relay = leg(r, 34170);
	cr_assert_str_eq(alice, relay);
	cr_assert(strstr(alice, "auth INVITE 1001"), "%s", alice);
	size_t lines = 0;
	for (const char *c = alice; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 14 + 2, "%s", alice);
	free(alice);
	free(relay);
	/* every SIP message tshark decodes is there (tshark 4.0 misses the
	 * fragmented compressed INVITEs and, its inflate context lost, the rest
	 * of alice's messages: 33 of 38) */
	size_t tl = 0;
	char *t = cxt_slurp(cxt_path("fixtures"), "wrap-ws.pcap.tshark-sip.txt", &tl);
	cr_assert_not_null(t);
	struct json_object *dl = cxt_get(r, "dialogs");
	size_t found = 0, want = 0;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		want++;
		unsigned sp, dp, cseq;
		char what[32];
		cr_assert_eq(sscanf(l, "%u %u %u %31s", &sp, &dp, &cseq, what), 4, "%s", l);
		for (size_t i = 0; i < json_object_array_length(dl); i++) {
			struct json_object *ms = cxt_get(json_object_array_get_idx(dl, i), "messages");
			bool hit = false;
			for (size_t k = 0; k < json_object_array_length(ms) && !hit; k++) {
				struct json_object *m = json_object_array_get_idx(ms, k);
				char src[32], dst[32], cq[48];
				snprintf(src, sizeof(src), "127.0.0.1:%u", sp);
				snprintf(dst, sizeof(dst), "127.0.0.1:%u", dp);
				snprintf(cq, sizeof(cq), "%u %s", cseq, what);
				hit = !strcmp(cxt_str(m, "src"), src) && !strcmp(cxt_str(m, "dst"), dst) && !strncmp(cxt_str(m, "cseq"), cq, strlen(cq));
			}
			if (hit) {
				found++;
				break;
			}
		}
	}
	cr_assert_eq(want, 33);
	cr_assert_eq(found, 33);
	free(t);
	json_object_put(r);
}

/* The first server->client data frame after the upgrade on each
 * connection gets a 64-bit length (0x7f and 8 length bytes in place of
 * the 16-bit one): far beyond the capture. */
static unsigned ws_spoiled;
static int
spoil_ws(u_char *d, struct pcap_pkthdr *h, unsigned i)
{
	(void)i;
	size_t ip = 14, tcp = ip + (size_t)(d[ip] & 0x0f) * 4;
	if (h->caplen < tcp + 20 || d[ip + 9] != 6)
		return 1;
	size_t pl = tcp + (size_t)(d[tcp + 12] >> 4) * 4;
	unsigned sport = (d[tcp] << 8) | d[tcp + 1];
	if (sport == 19080 && pl + 4 < h->caplen && d[pl] == 0x81 && d[pl + 1] == 0x7e && ws_spoiled < 1) {
		d[pl + 1] = 0x7f;
		ws_spoiled++;
	}
	return 1;
}

Test(wrap, websocket_hostile_length)
{
	char a[128];
	ws_spoiled = 0;
	struct json_object *r = run(mutated(cxt_path("fixtures/wrap-ws.pcap"), spoil_ws, a, sizeof(a)));
	cr_assert_eq(ws_spoiled, 1);
	cr_assert_geq(cxt_num(r, "capture.errors.websocket.frame_too_long"), 1);
	/* one message lost to the spoiled frame; the connection resynchronises
	 * on the next frame holding SIP, the others are whole */
	cr_assert_eq(cxt_num(r, "capture.protocols.websocket_sip"), 37);
	json_object_put(r);
	unlink(a);
}

/* Corpus: heplify's sip_tcp_websocket.pcap (tshark io,phs: 11 SIP frames
 * inside WebSocket, 28 over UDP). */
Test(wrap, websocket_corpus_heplify)
{
	const char *p = cxt_path("corpus:sipcapture__heplify/example/pcap/sip_tcp_websocket.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = run(p);
	cr_assert_eq(cxt_num(r, "capture.protocols.websocket_sip"), 11);
	cr_assert_eq(cxt_num(r, "capture.protocols.sip"), 39);
	cr_assert_eq(cxt_num(r, "wrappers.websocket.connections.0.client_to_server.errors"), 0);
	json_object_put(r);
}

/* TLS without a key log: the handshake read in clear: version, suite,
 * SNI, and in TLS 1.2 the certificate's subject; findings for RSA key
 * exchange and CBC. With the key log (tests/unit/test_tls.c) the 15 SIP
 * messages tshark finds in each are decrypted. */
static struct json_object *
tls_conn0(struct json_object *r)
{
	/* the python client's connection: the second one to 19061 is not
	 * its (no secrets for it in the key log) */
	struct json_object *cs = cxt_get(r, "wrappers.tls.connections");
	for (size_t i = 0; cs && i < json_object_array_length(cs); i++)
		if (cxt_num(json_object_array_get_idx(cs, i), "tcp_connection") == 1)
			return json_object_array_get_idx(cs, i);
	cr_assert_fail("no TLS connection 1");
	return NULL;
}

static size_t
count_kind(struct json_object *r, const char *kind)
{
	struct json_object *f = cxt_get(r, "findings");
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(f); i++)
		n += !strcmp(cxt_str(json_object_array_get_idx(f, i), "kind"), kind);
	return n;
}

Test(wrap, tls13_handshake)
{
	struct json_object *r = run(cxt_path("fixtures/wrap-tls13.pcap"));
	struct json_object *c = tls_conn0(r);
	cr_assert_str_eq(cxt_str(c, "version"), "TLS 1.3");
	cr_assert_str_eq(cxt_str(c, "suite"), "TLS_AES_256_GCM_SHA384");
	cr_assert_str_eq(cxt_str(c, "sni"), "sip.callextract.test");
	cr_assert_eq(json_object_array_length(cxt_get(c, "certificate_subjects")), 0, "encrypted in 1.3");
	cr_assert_eq(json_object_get_boolean(cxt_get(c, "decrypted")), 0);
	cr_assert_eq(cxt_num(c, "errors"), 0);
	cr_assert_gt(cxt_num(c, "client_to_server.encrypted_records"), 0);
	cr_assert_eq(count_kind(r, "tls.rsa_key_exchange") + count_kind(r, "tls.cbc_suite"), 0);
	cr_assert_eq(cxt_num(r, "capture.protocols.sip"), 0);
	json_object_put(r);
}

Test(wrap, tls12_handshake_and_findings)
{
	struct json_object *r = run(cxt_path("fixtures/wrap-tls12.pcap"));
	struct json_object *c = tls_conn0(r);
	cr_assert_str_eq(cxt_str(c, "version"), "TLS 1.2");
	cr_assert_str_eq(cxt_str(c, "suite"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	cr_assert_str_eq(cxt_str(c, "sni"), "sip.callextract.test");
	cr_assert_str_eq(cxt_str(c, "certificate_subjects.0"), "/O=callextract fixtures/CN=sip.callextract.test");
	cr_assert_eq(count_kind(r, "tls.rsa_key_exchange") + count_kind(r, "tls.cbc_suite"), 0);
	json_object_put(r);
	r = run(cxt_path("fixtures/wrap-tls12-rsa-cbc.pcap"));
	cr_assert_str_eq(cxt_str(tls_conn0(r), "suite"), "TLS_RSA_WITH_AES_128_CBC_SHA");
	cr_assert_eq(count_kind(r, "tls.rsa_key_exchange"), 1);
	cr_assert_eq(count_kind(r, "tls.cbc_suite"), 1);
	json_object_put(r);
}

/* The server's first record gets a bad version byte; a client record is
 * cut short by the snap length (the rest of it never captured). */
static unsigned tls_spoiled[2];
static int
spoil_tls(u_char *d, struct pcap_pkthdr *h, unsigned i)
{
	(void)i;
	size_t ip = 14, tcp = ip + (size_t)(d[ip] & 0x0f) * 4;
	if (h->caplen < tcp + 20 || d[ip + 9] != 6)
		return 1;
	size_t pl = tcp + (size_t)(d[tcp + 12] >> 4) * 4;
	unsigned sport = (d[tcp] << 8) | d[tcp + 1];
	if (pl + 5 >= h->caplen)
		return 1;
	if (sport == 19061 && d[pl] == 22 && !tls_spoiled[0]) {
		d[pl + 1] = 7;
		tls_spoiled[0]++;
	} else if (sport != 19061 && d[pl] == 23 && h->caplen > pl + 40 && !tls_spoiled[1]) {
		h->caplen = (uint32_t)pl + 20;
		tls_spoiled[1]++;
	}
	return 1;
}

Test(wrap, tls_hostile)
{
	char a[128];
	memset(tls_spoiled, 0, sizeof(tls_spoiled));
	struct json_object *r = run(mutated(cxt_path("fixtures/wrap-tls12.pcap"), spoil_tls, a, sizeof(a)));
	cr_assert_eq(tls_spoiled[0] + tls_spoiled[1], 2);
	cr_assert_geq(cxt_num(r, "capture.errors.tls.record_header"), 1);
	struct json_object *c = tls_conn0(r);
	/* the client's side is still read */
	cr_assert_str_eq(cxt_str(c, "sni"), "sip.callextract.test");
	cr_assert_geq(cxt_num(c, "errors"), 1);
	json_object_put(r);
	unlink(a);
}
