/* Hosts: names learned from DNS label addresses, software announced in SIP
 * and FTP, MAC vendors from the IEEE registry (ieee-data). aaa.pcap: tshark
 * shows sip.cybercity.dk resolved to 212.242.33.35 and a Cirpack server. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"

static struct json_object *
host(struct json_object *r, const char *addr)
{
	struct json_object *h = cxt_get(r, "hosts");
	for (size_t i = 0; i < json_object_array_length(h); i++)
		if (!strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(h, i), "address")), addr))
			return json_object_array_get_idx(h, i);
	return NULL;
}

Test(names, dns_names_software_and_vendors)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/aaa.pcap"), NULL, NULL, &dir);
	struct json_object *h = host(r, "212.242.33.35");
	cr_assert_not_null(h);
	cr_assert_str_eq(json_object_get_string(cxt_get(h, "dns_names.0")), "sip.cybercity.dk");
	cr_assert_str_eq(json_object_get_string(cxt_get(h, "software.0.text")), "Cirpack/v4.38e (gw_sip)");
	struct json_object *ua = host(r, "192.168.1.2");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(ua, "software.0.text")), "SIPPS"));
	if (cxt_exists("/usr/share/ieee-data/oui.txt"))
		cr_assert_str_eq(json_object_get_string(cxt_get(ua, "macs.0.vendor")), "SILICOM, LTD.");
	/* the name labels the address in the write-up */
	char *summary = cxt_slurp(dir, "summary.txt", NULL);
	cr_assert_not_null(strstr(summary, "sip.cybercity.dk (212.242.33.35)"));
	free(summary);
	json_object_put(r);
}

Test(names, locally_administered_macs_flagged)
{
	/* the VoIP fixtures' namespaces use 02:00:0a:4d:00:xx */
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-auth.pcap"), NULL, NULL, NULL);
	struct json_object *h = host(r, "10.77.0.2");
	cr_assert_not_null(h);
	cr_assert_str_eq(json_object_get_string(cxt_get(h, "macs.0.mac")), "02:00:0a:4d:00:02");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(h, "macs.0.hint")), "locally administered"));
	json_object_put(r);
}
