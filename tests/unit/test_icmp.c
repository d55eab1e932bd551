/* ICMP on public captures (Practical Packet Analysis, Chris Sanders):
 * figures as tshark shows them for the same files. */
#include <criterion/criterion.h>
#include <string.h>
#include "cxtest.h"

static struct json_object *
corpus(const char *rel)
{
	const char *p = cxt_path(rel);
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	cr_assert_not_null(r);
	return r;
}

Test(icmp, windows_ping_paired)
{
	/* 4 requests + 4 replies, Windows payload */
	struct json_object *r = corpus("corpus:markofu__pcaps/PracticalPacketAnalysis/ppa-capture-files/icmp.pcap");
	struct json_object *e = cxt_get(r, "icmp.echo");
	cr_assert_geq(json_object_array_length(e), 4);
	for (size_t i = 0; i < json_object_array_length(e); i++) {
		struct json_object *x = json_object_array_get_idx(e, i);
		cr_assert_not_null(cxt_get(x, "reply_frame"), "request %zu unanswered", i);
		cr_assert_not_null(strstr(json_object_get_string(cxt_get(x, "os_hint")), "Windows"));
	}
	json_object_put(r);
}

Test(icmp, unreachable_linked_to_the_request)
{
	/* tshark: frames 2, 4, 6 are Destination Unreachable for requests 1, 3, 5 */
	struct json_object *r = corpus("corpus:markofu__pcaps/PracticalPacketAnalysis/ppa-capture-files/destunreachable.pcap");
	struct json_object *x = cxt_get(r, "icmp.errors");
	cr_assert_eq(json_object_array_length(x), 3);
	for (int i = 0; i < 3; i++) {
		struct json_object *e = json_object_array_get_idx(x, (size_t)i);
		cr_assert_eq(json_object_get_int64(cxt_get(e, "frame")), 2 * i + 2);
		cr_assert_eq(json_object_get_int64(cxt_get(e, "caused_by_frame")), 2 * i + 1);
		cr_assert_str_eq(json_object_get_string(cxt_get(e, "name")), "destination unreachable");
	}
	json_object_put(r);
}

Test(icmp, traceroute_time_exceeded)
{
	struct json_object *r = corpus("corpus:chrissanders__packets/icmp_traceroute.pcapng");
	struct json_object *x = cxt_get(r, "icmp.errors");
	size_t te = 0;
	for (size_t i = 0; i < json_object_array_length(x); i++)
		te += !strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(x, i), "name")), "time exceeded");
	cr_assert_geq(te, 20);
	cr_assert_not_null(cxt_get(x, "0.caused_by_frame"));
	json_object_put(r);
}
