/* Every link layer, tunnel and file variant reads down to the SIP message.
 * fixtures/lt-*.pcap (see fixtures/README.md): frame 1 of sip-call-auth.pcap
 * (a real baresip REGISTER) re-encapsulated, and a real kernel VXLAN
 * capture. tshark decodes each of them to sip (frame.protocols listed in
 * the README). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "cxtest.h"

struct lt_case {
	const char *file, *link;
	int tunnelled;
};

static const struct lt_case cases[] = {
	{ "lt-vlan.pcap", "EN10MB", 0 },     { "lt-qinq.pcap", "EN10MB", 0 },
	{ "lt-sll.pcap", "LINUX_SLL", 0 },   { "lt-sll2.pcap", "LINUX_SLL2", 0 },
	{ "lt-null.pcap", "NULL", 0 },       { "lt-loop.pcap", "LOOP", 0 },
	{ "lt-raw.pcap", "RAW", 0 },         { "lt-mpls.pcap", "EN10MB", 1 },
	{ "lt-gre.pcap", "EN10MB", 1 },      { "lt-erspan2.pcap", "EN10MB", 1 },
	{ "lt-erspan3.pcap", "EN10MB", 1 },  { "lt-ipip.pcap", "EN10MB", 1 },
	{ "lt-6in4.pcap", "EN10MB", 1 },     { "lt-nsec.pcap", "EN10MB", 0 },
	{ "lt-bigendian.pcap", "EN10MB", 0 },
};

Test(linktypes, every_encapsulation_reaches_sip)
{
	const char *first_time = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "fixtures/%s", cases[i].file);
		int rc;
		struct json_object *r = cxt_run(cxt_path(rel), NULL, &rc, NULL);
		cr_assert_not_null(r, "%s", rel);
		cr_assert_eq(rc, 0, "%s", rel);
		cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.link_types.0")), cases[i].link, "%s", rel);
		cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.sip")), 1, "%s: SIP not reached", rel);
		cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.tunnelled")), cases[i].tunnelled, "%s", rel);
		cr_assert_str_eq(json_object_get_string(cxt_get(r, "dialogs.0.kind")), "REGISTER", "%s", rel);
		/* the same instant whatever the file variant (microsecond, nanosecond, big-endian) */
		const char *t = json_object_get_string(cxt_get(r, "capture.first_time"));
		if (!first_time)
			first_time = strdup(t);
		else
			cr_assert_str_eq(t, first_time, "%s", rel);
		json_object_put(r);
	}
}

Test(linktypes, real_vxlan_capture)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/lt-vxlan.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.sip")), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dialogs.0.call_id")), "vxlan-1@10.9.4.1");
	cr_assert_geq(json_object_get_int64(cxt_get(r, "capture.protocols.tunnelled")), 1);
	json_object_put(r);
}
