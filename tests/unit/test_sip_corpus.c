/* SIP messages per method and per status, and the total, must equal
 * tshark's `-z sip,stat` reference kept beside each public capture. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"

struct count {
	char key[32];
	long n;
};

static size_t
load_ref(const char *path, struct count *c, size_t max, long *total)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char line[512];
	size_t n = 0;
	*total = -1;
	while (fgets(line, sizeof(line), f)) {
		long v;
		char key[64];
		if (sscanf(line, "Number of SIP messages: %ld", &v) == 1)
			*total = v;
		else if (sscanf(line, "  SIP %3[0-9] %*[^:]: %ld Packets", key, &v) == 2 && n < max) {
			snprintf(c[n].key, sizeof(c[n].key), "%s", key);
			c[n++].n = v;
		} else if (sscanf(line, "  %63[A-Z] : %ld Packets", key, &v) == 2 && n < max) {
			snprintf(c[n].key, sizeof(c[n].key), "%s", key);
			c[n++].n = v;
		}
	}
	fclose(f);
	return n;
}

static void
check(const char *rel)
{
	const char *p = cxt_path(rel);
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	char ref[4096];
	snprintf(ref, sizeof(ref), "%s.sip_stat.txt", p);
	struct count want[64];
	long total;
	size_t nw = load_ref(ref, want, 64, &total);
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *dialogs = cxt_get(r, "dialogs");
	long got_total = 0;
	struct count got[64];
	size_t ng = 0;
	for (size_t i = 0; i < json_object_array_length(dialogs); i++) {
		struct json_object *d = json_object_array_get_idx(dialogs, i);
		got_total += json_object_get_int(cxt_get(d, "message_count"));
		struct json_object *msgs = cxt_get(d, "messages");
		for (size_t k = 0; k < json_object_array_length(msgs); k++) {
			struct json_object *m = json_object_array_get_idx(msgs, k), *x;
			char key[32];
			if (json_object_object_get_ex(m, "request", &x))
				snprintf(key, sizeof(key), "%s", json_object_get_string(x));
			else
				snprintf(key, sizeof(key), "%d", json_object_get_int(cxt_get(m, "status")));
			size_t j = 0;
			while (j < ng && strcmp(got[j].key, key))
				j++;
			if (j == ng && ng < 64) {
				snprintf(got[ng].key, sizeof(got[ng].key), "%s", key);
				got[ng++].n = 0;
			}
			got[j].n++;
		}
	}
	cr_assert_eq(got_total, total, "%s: %ld SIP messages, tshark %ld", rel, got_total, total);
	for (size_t i = 0; i < nw; i++) {
		long n = 0;
		for (size_t j = 0; j < ng; j++)
			if (!strcmp(got[j].key, want[i].key))
				n = got[j].n;
		cr_expect_eq(n, want[i].n, "%s: %s: %ld, tshark %ld", rel, want[i].key, n, want[i].n);
	}
	cr_assert_eq(ng, nw, "%s: %zu kinds of message, tshark %zu", rel, ng, nw);
	json_object_put(r);
}

Test(sip_corpus, sngrep_aaa) { check("corpus:irontec__sngrep/tests/aaa.pcap"); }
Test(sip_corpus, asterisk_zfone_xlite) { check("corpus:NormB__sipnab/tests/pcap-samples/Asterisk_ZFONE_XLITE.pcap"); }
Test(sip_corpus, dtmf_sip_info) { check("corpus:NormB__sipnab/tests/pcap-samples/DTMFsipinfo.pcap"); }
Test(sip_corpus, sip_dtmf2) { check("corpus:NormB__sipnab/tests/pcap-samples/SIP_DTMF2.cap"); }
Test(sip_corpus, codec_negotiation) { check("corpus:NormB__sipnab/tests/pcap-samples/codec-negotiation.pcap"); }
Test(sip_corpus, invite_opus_bye) { check("corpus:NormB__sipnab/tests/pcap-samples/invite-opus-bye.pcap"); }
Test(sip_corpus, auth_failure_pcapng) { check("corpus:NormB__sipnab/tests/pcap-samples/sip-auth-failure.pcapng"); }
Test(sip_corpus, register) { check("corpus:NormB__sipnab/tests/pcap-samples/sip-register.pcap"); }
Test(sip_corpus, rtp_g711) { check("corpus:NormB__sipnab/tests/pcap-samples/sip-rtp-g711.pcap"); }
Test(sip_corpus, rtp_g722) { check("corpus:NormB__sipnab/tests/pcap-samples/sip-rtp-g722.pcap"); }
Test(sip_corpus, sdp_example) { check("corpus:NormB__sipnab/tests/pcap-samples/sip-sdp-example.pcap"); }
Test(sip_corpus, branch_scenario_1334_dialogs) { check("corpus:NormB__sipnab/tests/pcap-samples/sipp-branch-scenario.pcapng"); }
Test(sip_corpus, compact_form) { check("corpus:OISF__suricata-verify/tests/sip-compact-form/sip_compact_form.pcap"); }
Test(sip_corpus, suricata_sdp) { check("corpus:OISF__suricata-verify/tests/sip-sdp/sdp.pcap"); }
Test(sip_corpus, sip_over_tcp) { check("corpus:OISF__suricata-verify/tests/sip-tcp-method/sip-tcp.pcap"); }
Test(sip_corpus, heplify_ipv6_udp) { check("corpus:sipcapture__heplify/example/pcap/sip_ipv6_udp.pcap"); }
Test(sip_corpus, heplify_sip_over_tcp) { check("corpus:sipcapture__heplify/example/pcap/sip_ipv4_tcp.pcap"); }
Test(sip_corpus, ip_in_ip_tcp) { check("corpus:irontec__sngrep/tests/ipip.pcap"); }
