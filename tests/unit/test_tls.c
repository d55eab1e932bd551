/* TLS decryption (src/wrap/tls.c, tls_keys.c, tls_crypto.c) on the real
 * captures of fixtures/README.md ("TLS with a key log"): every SIP message
 * tshark 4.0 decodes with the same key log (fixtures/NAME.tshark-tls.txt:
 * frame, addresses, Call-ID, CSeq, status, digest response, SDP m= lines)
 * is in callextract's report with the transport it came in; the key log
 * given as a file or as a pcapng Decryption Secrets Block; every suite of
 * wrap-tls-suites.pcap (KeyUpdate, ChaCha20, CBC with and without
 * encrypt-then-MAC, a HelloRetryRequest); the clear HEP copy of TLS-protected SIP; and damage:
 * no key log, a missing file, the wrong key log, secrets that do not open
 * the connection, a flipped bit, a truncated record. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callextract/ctx.h"
#include "cxtest.h"

static const char *keylogs[2];
static size_t n_keylogs;

static void
with_keys(struct cx_config *c)
{
	c->tls_keylogs = keylogs;
	c->n_tls_keylogs = n_keylogs;
}

static struct json_object *
run_keys(const char *cap, const char *keys)
{
	static char kp[512];
	n_keylogs = 0;
	if (keys) {
		snprintf(kp, sizeof(kp), "%s", keys[0] == '/' ? keys : cxt_path(keys));
		keylogs[n_keylogs++] = kp;
	}
	char cp[512];
	snprintf(cp, sizeof(cp), "%s", cap[0] == '/' ? cap : cxt_path(cap));
	struct json_object *r = cxt_run(cp, with_keys, NULL, NULL);
	cr_assert_not_null(r, "%s", cap);
	return r;
}

static bool
boolean(struct json_object *o, const char *k)
{
	struct json_object *v = cxt_get(o, k);
	return v && json_object_get_boolean(v);
}

static struct json_object *
conn(struct json_object *r, long id)
{
	struct json_object *cs = cxt_get(r, "wrappers.tls.connections");
	for (size_t i = 0; cs && i < json_object_array_length(cs); i++)
		if (cxt_num(json_object_array_get_idx(cs, i), "tcp_connection") == id)
			return json_object_array_get_idx(cs, i);
	cr_assert_fail("no TLS connection %ld", id);
	return NULL;
}

static size_t
messages(struct json_object *r, const char *transport)
{
	size_t n = 0;
	struct json_object *dl = cxt_get(r, "dialogs");
	for (size_t i = 0; dl && i < json_object_array_length(dl); i++) {
		struct json_object *ms = cxt_get(json_object_array_get_idx(dl, i), "messages");
		for (size_t k = 0; ms && k < json_object_array_length(ms); k++)
			n += !transport || !strcmp(cxt_str(json_object_array_get_idx(ms, k), "transport"), transport);
	}
	return n;
}

static size_t
count_kind(struct json_object *r, const char *kind)
{
	struct json_object *f = cxt_get(r, "findings");
	size_t n = 0;
	for (size_t i = 0; f && i < json_object_array_length(f); i++)
		n += !strcmp(cxt_str(json_object_array_get_idx(f, i), "kind"), kind);
	return n;
}

/* Every line of the tshark file has its message in the report: the same
 * frame, addresses, Call-ID (the dialog's), CSeq, request or status, the
 * digest response and SDP m= lines in its text, and a transport from the
 * list. Returns the number of lines. */
static size_t
match_tshark(struct json_object *r, const char *txt, const char *const *transports)
{
	size_t tl = 0;
	char *t = cxt_slurp(cxt_path("fixtures"), txt, &tl);
	cr_assert_not_null(t, "%s", txt);
	struct json_object *dl = cxt_get(r, "dialogs");
	size_t lines = 0;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[10] = { 0 };
		int nf = 0;
		for (char *p = l; nf < 10; nf++) {
			f[nf] = p;
			char *bar = strchr(p, '|');
			if (!bar) {
				nf++;
				break;
			}
			*bar = '\0';
			p = bar + 1;
		}
		cr_assert_eq(nf, 10, "%s: %s", txt, l);
		lines++;
		long frame = atol(f[0]);
		char src[64], dst[64];
		snprintf(src, sizeof(src), "%s:%s", f[1], f[2]);
		snprintf(dst, sizeof(dst), "%s:%s", f[3], f[4]);
		bool hit = false;
		for (size_t i = 0; i < json_object_array_length(dl) && !hit; i++) {
			struct json_object *d = json_object_array_get_idx(dl, i);
			if (strcmp(cxt_str(d, "call_id"), f[5]))
				continue;
			struct json_object *ms = cxt_get(d, "messages");
			for (size_t k = 0; k < json_object_array_length(ms) && !hit; k++) {
				struct json_object *m = json_object_array_get_idx(ms, k);
				if (cxt_num(m, "frame") != frame || strcmp(cxt_str(m, "src"), src) || strcmp(cxt_str(m, "dst"), dst) ||
				    strcmp(cxt_str(m, "cseq"), f[6]))
					continue;
				if (f[7][0] && cxt_num(m, "status") != atol(f[7]))
					continue;
				if (!f[7][0] && !strcmp(cxt_str(m, "request"), "-"))
					continue;
				const char *text = cxt_str(m, "text");
				/* digest response(s): "resp" or "r1","r2" */
				bool ok = true;
				for (char *sv = NULL, *x = strtok_r(f[8], ",", &sv); x; x = strtok_r(NULL, ",", &sv)) {
					char want[80];
					snprintf(want, sizeof(want), "response=%s", x);
					ok &= strstr(text, want) != NULL;
				}
				for (char *sv = NULL, *x = strtok_r(f[9], ",", &sv); x; x = strtok_r(NULL, ",", &sv)) {
					char want[128];
					snprintf(want, sizeof(want), "m=%s\r\n", x);
					ok &= strstr(text, want) != NULL;
				}
				bool tr = false;
				for (size_t j = 0; transports[j]; j++)
					tr |= !strcmp(cxt_str(m, "transport"), transports[j]);
				cr_assert(ok, "%s frame %ld: digest response or SDP differ", txt, frame);
				cr_assert(tr, "%s frame %ld: transport %s", txt, frame, cxt_str(m, "transport"));
				hit = true;
			}
		}
		cr_assert(hit, "%s: tshark's frame %ld (%s %s %s) not in the report", txt, frame, f[5], f[6], f[7]);
	}
	free(t);
	return lines;
}

static const char *const t13[] = { "TLS 1.3", NULL };
static const char *const t12[] = { "TLS 1.2", NULL };
static const char *const t1x[] = { "TLS 1.2", "TLS 1.3", NULL };
static const char *const wss[] = { "WSS", "WS", NULL };

Test(tls, srtp13_as_tshark)
{
	struct json_object *r = run_keys("fixtures/wrap-tls13-srtp.pcap", "fixtures/wrap-tls13-srtp.keys");
	cr_assert_eq(match_tshark(r, "wrap-tls13-srtp.pcap.tshark-tls.txt", t13), 24);
	cr_assert_eq(messages(r, NULL), 24);
	cr_assert_eq(json_object_array_length(cxt_get(r, "dialogs")), 3);
	for (long id = 1; id <= 2; id++) {
		struct json_object *c = conn(r, id);
		cr_assert_str_eq(cxt_str(c, "version"), "TLS 1.3");
		cr_assert_str_eq(cxt_str(c, "suite"), "TLS_AES_256_GCM_SHA384");
		cr_assert(boolean(c, "decrypted"));
		cr_assert_str_eq(cxt_str(c, "why_not"), "-");
		cr_assert_str_eq(cxt_str(c, "carries"), "SIP");
		cr_assert_eq(cxt_num(c, "failed_records"), 0);
		/* in 1.3 the certificate is encrypted: read only once decrypted */
		cr_assert_str_eq(cxt_str(c, "certificate_subjects.0"), "/O=callextract fixtures/CN=sip.callextract.test");
	}
	/* the SDES keys were in the TLS-protected SDP: the SRTP is opened */
	struct json_object *st = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(st), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *s = json_object_array_get_idx(st, i);
		cr_assert(boolean(s, "srtp.key_works"));
		cr_assert_geq(cxt_num(s, "srtp.decrypted"), 400);
		cr_assert_eq(cxt_num(s, "srtp.auth_failures"), 0);
		cr_assert_gt(cxt_num(s, "audio.samples"), 60000);
	}
	cr_assert_eq(count_kind(r, "srtp.sdes_over_tls"), 1);
	cr_assert_eq(count_kind(r, "srtp.sdes_cleartext"), 0);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.secrets"), 8);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.ignored_lines"), 2, "EXPORTER_SECRET");
	json_object_put(r);
}

Test(tls, srtp12_as_tshark_and_clear_hep_copy)
{
	struct json_object *r = run_keys("fixtures/wrap-tls12-srtp.pcap", "fixtures/wrap-tls12-srtp.keys");
	cr_assert_eq(match_tshark(r, "wrap-tls12-srtp.pcap.tshark-tls.txt", t12), 24);
	cr_assert_eq(messages(r, NULL), 24, "the HEP copies are the same messages");
	struct json_object *c = conn(r, 1);
	cr_assert_str_eq(cxt_str(c, "suite"), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	cr_assert(boolean(c, "decrypted"));
	cr_assert(boolean(conn(r, 2), "decrypted"));
	/* kamailio's siptrace mirrored every message in clear HEP3 */
	cr_assert_eq(count_kind(r, "hep.clear_copy_of_tls"), 24, "one per message");
	cr_assert_eq(cxt_num(r, "capture.protocols.hep_duplicate"), 24);
	struct json_object *st = cxt_get(r, "streams");
	for (size_t i = 0; i < json_object_array_length(st); i++)
		cr_assert(boolean(json_object_array_get_idx(st, i), "srtp.key_works"));
	json_object_put(r);
	/* without the key log the TLS copies are opaque: the HEP copies are
	 * the only SIP, and nothing says TLS carried it */
	r = run_keys("fixtures/wrap-tls12-srtp.pcap", NULL);
	cr_assert_eq(count_kind(r, "hep.clear_copy_of_tls"), 0);
	cr_assert_eq(messages(r, "TLS 1.2"), 0);
	cr_assert_gt(messages(r, NULL), 0);
	cr_assert_str_eq(cxt_str(conn(r, 1), "why_not"), "no key log (--tls-keylog) and no pcapng Decryption Secrets Block");
	json_object_put(r);
}

Test(tls, decryption_secrets_block)
{
	/* editcap --inject-secrets tls,wrap-tls13-srtp.keys: no --tls-keylog */
	struct json_object *r = run_keys("fixtures/wrap-tls13-srtp-dsb.pcapng", NULL);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.secrets_blocks"), 1);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.secrets"), 8);
	cr_assert_eq(match_tshark(r, "wrap-tls13-srtp.pcap.tshark-tls.txt", t13), 24);
	cr_assert(boolean(conn(r, 1), "decrypted") && boolean(conn(r, 2), "decrypted"));
	json_object_put(r);
}

Test(tls, suites_keyupdate_etm)
{
	struct json_object *r = run_keys("fixtures/wrap-tls-suites.pcap", "fixtures/wrap-tls-suites.keys");
	cr_assert_eq(match_tshark(r, "wrap-tls-suites.pcap.tshark-tls.txt", t1x), 22);
	cr_assert_eq(messages(r, NULL), 22);
	static const struct { const char *suite, *version; bool etm; } want[] = {
		{ "TLS_AES_128_GCM_SHA256", "TLS 1.3", false },
		{ "TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3", false },
		{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS 1.2", false },
		{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS 1.2", true },
		{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS 1.2", false },
		{ "TLS_AES_256_GCM_SHA384", "TLS 1.3", false },
	};
	for (long id = 1; id <= 6; id++) {
		struct json_object *c = conn(r, id);
		cr_assert_str_eq(cxt_str(c, "suite"), want[id - 1].suite);
		cr_assert_str_eq(cxt_str(c, "version"), want[id - 1].version);
		cr_assert_eq(boolean(c, "encrypt_then_mac"), want[id - 1].etm, "connection %ld", id);
		cr_assert(boolean(c, "decrypted"), "connection %ld", id);
		cr_assert_eq(cxt_num(c, "failed_records"), 0, "connection %ld", id);
		cr_assert_eq(cxt_num(c, "client_to_server.records_without_key"), 0);
		cr_assert_eq(cxt_num(c, "server_to_client.records_without_key"), 0);
	}
	/* s_client's "K": a KeyUpdate each way, and the second OPTIONS and its
	 * answer decrypted under the next secrets */
	cr_assert_eq(cxt_num(conn(r, 1), "client_to_server.key_updates"), 1);
	cr_assert_eq(cxt_num(conn(r, 1), "server_to_client.key_updates"), 1);
	cr_assert_eq(count_kind(r, "tls.cbc_suite"), 2);
	/* the sixth: X25519 offered first, s_server wants P-256 */
	for (long id = 1; id <= 6; id++)
		cr_assert_eq(boolean(conn(r, id), "hello_retry_request"), id == 6);
	json_object_put(r);
}

Test(tls, wss_as_tshark)
{
	struct json_object *r = run_keys("fixtures/wrap-wss.pcap", "fixtures/wrap-wss.keys");
	cr_assert_eq(match_tshark(r, "wrap-wss.pcap.tshark-tls.txt", wss), 33);
	/* alice's leg to the relay is plain WS with permessage-deflate (tshark
	 * decodes only its first messages there); the two kamailio legs WSS */
	cr_assert_eq(messages(r, "WSS"), 24);
	cr_assert_eq(messages(r, "WS"), 14);
	for (long id = 1; id <= 3; id += 2) {
		struct json_object *c = conn(r, id);
		cr_assert(boolean(c, "decrypted"));
		cr_assert_str_eq(cxt_str(c, "carries"), "WebSocket");
	}
	struct json_object *ws = cxt_get(r, "wrappers.websocket.connections");
	size_t over_tls = 0;
	for (size_t i = 0; i < json_object_array_length(ws); i++)
		over_tls += boolean(json_object_array_get_idx(ws, i), "over_tls");
	cr_assert_eq(over_tls, 2);
	json_object_put(r);
}

/* The python ssl fixtures of the handshake tests, now opened. */
Test(tls, python_client_fixtures)
{
	static const struct { const char *cap, *keys, *txt; const char *const *tr; } cases[] = {
		{ "fixtures/wrap-tls13.pcap", "fixtures/wrap-tls13.keys", "wrap-tls13.pcap.tshark-tls.txt", t13 },
		{ "fixtures/wrap-tls12.pcap", "fixtures/wrap-tls12.keys", "wrap-tls12.pcap.tshark-tls.txt", t12 },
		{ "fixtures/wrap-tls12-rsa-cbc.pcap", "fixtures/wrap-tls12-rsa-cbc.keys", "wrap-tls12-rsa-cbc.pcap.tshark-tls.txt", t12 },
	};
	for (size_t i = 0; i < 3; i++) {
		struct json_object *r = run_keys(cases[i].cap, cases[i].keys);
		cr_assert_eq(match_tshark(r, cases[i].txt, cases[i].tr), 15);
		cr_assert_eq(messages(r, NULL), 15);
		cr_assert(boolean(conn(r, 1), "decrypted"));
		/* kamailio's own connection: its secrets are not in the log */
		struct json_object *c2 = conn(r, 2);
		cr_assert(!boolean(c2, "decrypted"));
		cr_assert_str_eq(cxt_str(c2, "why_not"), "no key for this client random in the key log");
		json_object_put(r);
	}
}

Test(tls, missing_and_wrong_key_log)
{
	struct json_object *r = run_keys("fixtures/wrap-tls13-srtp.pcap", "/nonexistent/keys.log");
	cr_assert_str_neq(cxt_str(r, "wrappers.tls.keys.keylog_error"), "-");
	cr_assert_eq(messages(r, NULL), 0);
	cr_assert(!boolean(conn(r, 1), "decrypted"));
	/* the rest is still analysed: the SRTP streams are found (heuristic,
	 * not decrypted) and the TLS handshake is read */
	cr_assert_str_eq(cxt_str(conn(r, 1), "suite"), "TLS_AES_256_GCM_SHA384");
	cr_assert_gt(cxt_num(r, "capture.frames"), 800);
	json_object_put(r);
	/* another capture's key log: no entry for these client randoms */
	r = run_keys("fixtures/wrap-tls13-srtp.pcap", "fixtures/wrap-tls12-srtp.keys");
	cr_assert_str_eq(cxt_str(conn(r, 1), "why_not"), "no key for this client random in the key log");
	cr_assert_eq(messages(r, NULL), 0);
	json_object_put(r);
}

/* The right client randoms with secrets that are not theirs (each secret's
 * first byte changed): every record fails its tag, counted, reported. */
Test(tls, secrets_that_do_not_open)
{
	size_t n = 0;
	char *k = cxt_slurp(cxt_path("fixtures"), "wrap-tls13-srtp.keys", &n);
	cr_assert_not_null(k);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/cxtls-bad-%d.keys", (int)getpid());
	FILE *f = fopen(path, "w");
	for (char *sv = NULL, *l = strtok_r(k, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv)) {
		char *sp = strrchr(l, ' ');
		cr_assert_not_null(sp);
		sp[1] = sp[1] == '0' ? '1' : '0';
		fprintf(f, "%s\n", l);
	}
	fclose(f);
	free(k);
	struct json_object *r = run_keys("fixtures/wrap-tls13-srtp.pcap", path);
	struct json_object *c = conn(r, 1);
	cr_assert(boolean(c, "key_found"));
	cr_assert(!boolean(c, "decrypted"));
	cr_assert_gt(cxt_num(c, "failed_records"), 0);
	cr_assert_str_eq(cxt_str(c, "why_not"),
			 "every record failed its AEAD tag or MAC check: the key log's secrets are not this connection's");
	cr_assert_geq(cxt_num(r, "capture.errors.tls.decrypt_failed"), 2);
	cr_assert_eq(count_kind(r, "tls.decrypt_failed"), 2);
	cr_assert_eq(messages(r, NULL), 0);
	json_object_put(r);
	unlink(path);
}

/* Copy of a capture with frame `which` (1-based) changed by mutate. */
static const char *
mutated(const char *in, unsigned which, void (*mutate)(u_char *d, struct pcap_pkthdr *h), char *out, size_t cap)
{
	static unsigned n;
	snprintf(out, cap, "/tmp/cxtls-mut-%d-%u.pcap", (int)getpid(), n++);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(in, err);
	cr_assert_not_null(p, "%s", err);
	pcap_dumper_t *d = pcap_dump_open(p, out);
	struct pcap_pkthdr *h;
	const u_char *data;
	static u_char buf[65536];
	for (unsigned i = 1; pcap_next_ex(p, &h, &data) == 1; i++) {
		struct pcap_pkthdr hh = *h;
		memcpy(buf, data, h->caplen);
		if (i == which)
			mutate(buf, &hh);
		pcap_dump((u_char *)d, &hh, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return out;
}

/* Ethernet + IPv4 + TCP: the offset of the TCP payload. */
static size_t
payload_at(const u_char *d)
{
	size_t ip = 14, tcp = ip + (size_t)(d[ip] & 0x0f) * 4;
	return tcp + (size_t)(d[tcp + 12] >> 4) * 4;
}

static void
flip(u_char *d, struct pcap_pkthdr *h)
{
	size_t pl = payload_at(d);
	cr_assert_eq(d[pl], 23, "frame 34 is one application data record");
	cr_assert_gt(h->caplen, pl + 100);
	d[pl + 100] ^= 0x04;
}

static void
cut(u_char *d, struct pcap_pkthdr *h)
{
	h->caplen = (uint32_t)payload_at(d) + 200;
}

Test(tls, flipped_bit)
{
	/* frame 34: alice's INVITE with Proxy-Authorization, one record */
	char a[128];
	struct json_object *r = run_keys(mutated(cxt_path("fixtures/wrap-tls13-srtp.pcap"), 34, flip, a, sizeof(a)),
					 "fixtures/wrap-tls13-srtp.keys");
	struct json_object *c = conn(r, 2);
	cr_assert(boolean(c, "decrypted"));
	cr_assert_eq(cxt_num(c, "client_to_server.failed_records"), 1);
	cr_assert_eq(cxt_num(c, "server_to_client.failed_records"), 0);
	cr_assert_eq(cxt_num(r, "capture.errors.tls.decrypt_failed"), 1);
	cr_assert_eq(count_kind(r, "tls.decrypt_failed"), 1);
	/* that INVITE is lost, the records after it decrypt (sequence numbers
	 * move on): 23 of 24 messages */
	cr_assert_eq(messages(r, NULL), 23);
	cr_assert(boolean(conn(r, 1), "decrypted"));
	json_object_put(r);
	unlink(a);
}

Test(tls, truncated_record)
{
	char a[128];
	struct json_object *r = run_keys(mutated(cxt_path("fixtures/wrap-tls13-srtp.pcap"), 34, cut, a, sizeof(a)),
					 "fixtures/wrap-tls13-srtp.keys");
	struct json_object *c = conn(r, 2);
	cr_assert(boolean(c, "decrypted"));
	/* frame 34's record is cut: the flow layer reports the hole (when it
	 * gives up waiting for it), the TLS layer finds the next record that
	 * opens under a later sequence number and goes on; the server's side
	 * and the other connection are not touched */
	cr_assert_eq(cxt_num(c, "client_to_server.gaps"), 1);
	cr_assert_eq(cxt_num(c, "client_to_server.resynchronised"), 1);
	cr_assert_geq(cxt_num(c, "client_to_server.first_gap_frame"), 34);
	cr_assert_str_eq(cxt_str(c, "client_to_server.lost_from_frame"), "-");
	cr_assert_eq(cxt_num(c, "server_to_client.gaps"), 0);
	cr_assert_eq(cxt_num(c, "failed_records"), 0);
	cr_assert_eq(cxt_num(r, "capture.protocols.tls_resynchronised"), 1);
	/* only the cut INVITE is missing */
	cr_assert_eq(messages(r, NULL), 23);
	cr_assert(boolean(conn(r, 1), "decrypted"));
	cr_assert_eq(cxt_num(conn(r, 1), "failed_records"), 0);
	json_object_put(r);
	unlink(a);
}

/* Frame 34's record header damaged and the rest of its payload made of
 * records that only look like ones (application data, length 16): each
 * would cost up to 512 decryptions while the direction resynchronises. */
static void
fake_records(u_char *d, struct pcap_pkthdr *h)
{
	size_t pl = payload_at(d);
	cr_assert_gt(h->caplen, pl + 21 * 20, "frame 34 has room for 20 fake records");
	d[pl] = 0; /* no record type: the direction, decrypting, resynchronises */
	for (size_t i = pl + 1; i + 21 <= h->caplen; i += 21) {
		static const u_char fake[5] = { 23, 3, 3, 0, 16 };
		memcpy(d + i, fake, 5);
		memset(d + i + 5, 0, 16);
	}
}

Test(tls, resync_budget)
{
	char a[128];
	struct json_object *r = run_keys(mutated(cxt_path("fixtures/wrap-tls13-srtp.pcap"), 34, fake_records, a, sizeof(a)),
					 "fixtures/wrap-tls13-srtp.keys");
	struct json_object *c = conn(r, 2);
	/* the search stops at its budget: counted, the rest of alice's side
	 * not read, bob's side and the other connection untouched */
	cr_assert_eq(cxt_num(r, "capture.errors.tls.resync_budget"), 1);
	cr_assert_eq(cxt_num(c, "client_to_server.resynchronised"), 0);
	cr_assert_eq(cxt_num(c, "client_to_server.lost_from_frame"), 34);
	cr_assert_eq(cxt_num(c, "server_to_client.failed_records"), 0);
	cr_assert(boolean(conn(r, 1), "decrypted"));
	cr_assert_eq(cxt_num(conn(r, 1), "failed_records"), 0);
	cr_assert_lt(messages(r, NULL), 23);
	cr_assert_gt(messages(r, NULL), 0);
	json_object_put(r);
	unlink(a);
}

/* Key log lines that are not: counted, never a crash. */
Test(tls, hostile_key_log)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/cxtls-hostile-%d.keys", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "# a comment\n\nCLIENT_RANDOM zz 00\nCLIENT_RANDOM %064d %098d\n"
		"SERVER_TRAFFIC_SECRET_0 %064d\nCLIENT_RANDOM %064d %096d extra\n", 0, 0, 0, 0, 0);
	for (int i = 0; i < 3000; i++)
		fputc('A', f);
	fprintf(f, "\nUNKNOWN_LABEL %064d 00\n", 0);
	fclose(f);
	struct json_object *r = run_keys("fixtures/wrap-tls13-srtp.pcap", path);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.secrets"), 0);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.bad_lines"), 5);
	cr_assert_eq(cxt_num(r, "wrappers.tls.keys.ignored_lines"), 1);
	cr_assert_str_eq(cxt_str(conn(r, 1), "why_not"), "no key log (--tls-keylog) and no pcapng Decryption Secrets Block");
	json_object_put(r);
	unlink(path);
}
