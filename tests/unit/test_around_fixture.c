/* fixtures/around-icmp-dns.pcap (fixtures/make/around.sh): iputils ping
 * with -p ca through a namespace router, ping with TTL 1 (Time Exceeded
 * from the router), a UDP probe to a closed port, and dig asking dnsmasq
 * for A, AAAA, SRV and a name it refuses. Frame numbers as tshark shows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"

Test(around_fixture, icmp_pairs_errors_and_os_hint)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/around-icmp-dns.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *e = cxt_get(r, "icmp.echo");
	cr_assert_eq(json_object_array_length(e), 5);
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "icmp.echo.%d.reply_frame", i);
		cr_assert_eq(json_object_get_int64(cxt_get(r, p)), 2 * i + 2);
	}
	cr_assert_null(cxt_get(r, "icmp.echo.3.reply_frame"), "TTL 1: no reply");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(r, "icmp.echo.0.os_hint")), "pattern 0xca"));
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.0.frame")), 8);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.0.name")), "time exceeded");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.0.from")), "10.88.1.1");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.0.caused_by_frame")), 7);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.1.caused_by_frame")), 9);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.2.name")), "destination unreachable");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.2.caused_by_frame")), 11);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.2.quoted")), "UDP 10.88.1.2:47737 -> 10.88.2.2:9");
	json_object_put(r);
}

Test(around_fixture, dnsmasq_answers)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/around-icmp-dns.pcap"), NULL, NULL, &dir);
	cr_assert_eq(json_object_array_length(cxt_get(r, "dns")), 4);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.records.0.data")), "10.88.2.2");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.1.records.0.data")), "fd00::5060");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.2.records.0.data")), "10 60 5060 sip.example.test");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.3.rcode")), "REFUSED");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "dns.0.response_frame")), 14);
	cr_assert_eq(json_object_array_length(cxt_get(r, "findings")), 0, "EDNS OPT records are not hidden data");
	char *summary = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(strstr(summary, "sip.example.test (10.88.2.2)"), "names from DNS label the ping target");
	free(summary);
	json_object_put(r);
}

/* The write-up: one conversation for the pings and errors between the two
 * hosts, one for the lookups, in time order, with frame ranges, parties
 * by role and name, errors linked to the frames that caused them. */
Test(around_fixture, conversations_in_time_order)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/around-icmp-dns.pcap"), NULL, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *c = cxt_get(r, "conversations");
	cr_assert_eq(json_object_array_length(c), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.kind")), "icmp");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.first_frame")), 1);
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.last_frame")), 12);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.0.role")), "pinger");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.0.address")), "10.88.1.2");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.1.address")), "10.88.2.2");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.1.dns_names.0")), "sip.example.test");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.2.address")), "10.88.1.1");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.parties.2.macs.0.other_addresses_with_this_mac")), 1,
		     "the router's MAC is also on frames from the host behind it");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.protocols.network")), "IPv4");
	bool linked = false;
	struct json_object *course = cxt_get(c, "0.course");
	for (size_t i = 0; i < json_object_array_length(course); i++)
		linked |= strstr(json_object_get_string(json_object_array_get_idx(course, i)), "frame 8: time exceeded") &&
			  strstr(json_object_get_string(json_object_array_get_idx(course, i)), "caused by frame 7");
	cr_assert(linked, "the Time Exceeded is linked to the echo that caused it");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(c, "0.data")), "ca ca ca"), "the -p pattern is shown");
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "1.kind")), "dns");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "1.first_frame")), 13);
	cr_assert_eq(json_object_get_int64(cxt_get(c, "1.last_frame")), 20);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "1.parties.1.ports")), "53/udp");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(c, "1.course.2")), "SRV 10 60 5060 sip.example.test"));
	char *summary = cxt_slurp(dir, "summary.txt", NULL);
	char *icmp = strstr(summary, "== ICMP: 10.88.1.2 -> 10.88.2.2"), *dns = strstr(summary, "== DNS: 10.88.1.2 asks 10.88.2.2");
	cr_assert(icmp && dns && icmp < dns, "both sections, in time order");
	cr_assert_not_null(strstr(icmp, "Frames 1-12"));
	cr_assert_not_null(strstr(dns, "server (53/udp): sip.example.test (10.88.2.2)"));
	free(summary);
	json_object_put(r);
}

/* fixtures/around-icmpv6.pcap (fixtures/make/around-v6.sh): the same
 * exchanges over IPv6, frame numbers as tshark shows them: iputils ping -6
 * -p cb (frames 4-9), hop limit 1 (10, 12) answered by the router's Time
 * Exceeded (11, 13), a UDP probe (14) answered by Port Unreachable (15),
 * dig AAAA and SRV (16-19); neighbour discovery at the start. */
Test(around_fixture, icmpv6_pairs_errors_and_conversations)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/around-icmpv6.pcap"), NULL, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *e = cxt_get(r, "icmp.echo");
	cr_assert_eq(json_object_array_length(e), 5);
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "icmp.echo.%d.request_frame", i);
		cr_assert_eq(json_object_get_int64(cxt_get(r, p)), 4 + 2 * i);
		snprintf(p, sizeof(p), "icmp.echo.%d.reply_frame", i);
		cr_assert_eq(json_object_get_int64(cxt_get(r, p)), 5 + 2 * i);
		snprintf(p, sizeof(p), "icmp.echo.%d.version", i);
		cr_assert_eq(json_object_get_int(cxt_get(r, p)), 6);
	}
	cr_assert_eq(json_object_get_int(cxt_get(r, "icmp.echo.3.request_ttl")), 1);
	cr_assert_null(cxt_get(r, "icmp.echo.3.reply_frame"));
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(r, "icmp.echo.0.os_hint")), "pattern 0xcb"));
	const long err_frame[3] = { 11, 13, 15 }, cause[3] = { 10, 12, 14 };
	const char *name[3] = { "time exceeded", "time exceeded", "destination unreachable" };
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "icmp.errors.%d.frame", i);
		cr_assert_eq(json_object_get_int64(cxt_get(r, p)), err_frame[i]);
		snprintf(p, sizeof(p), "icmp.errors.%d.caused_by_frame", i);
		cr_assert_eq(json_object_get_int64(cxt_get(r, p)), cause[i]);
		snprintf(p, sizeof(p), "icmp.errors.%d.name", i);
		cr_assert_str_eq(json_object_get_string(cxt_get(r, p)), name[i]);
	}
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.0.from")), "fd00:88:1::1");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "icmp.errors.2.quoted")), "UDP [fd00:88:1::2]:55501 -> [fd00:88:2::2]:9");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.records.0.data")), "fd00:88:2::2");
	struct json_object *c = cxt_get(r, "conversations");
	cr_assert_eq(json_object_array_length(c), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.protocols.network")), "IPv6");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.first_frame")), 4);
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.last_frame")), 15);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.1.dns_names.0")), "sip6.example.test");
	char *summary = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(strstr(summary, "fe80::aff:fe58:602 (its own link-local address)"),
			   "a host's link-local address is not taken for a router");
	cr_assert_not_null(strstr(summary, "request hop limit 1 to 64"));
	free(summary);
	json_object_put(r);
}
