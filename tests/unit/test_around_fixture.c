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
