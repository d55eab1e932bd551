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

/* ---- the tables' caps, through the API ---- */

#include "callextract/names.h"

static struct cx_addr
v4(uint32_t x)
{
	struct cx_addr a;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.a[0] = (uint8_t)(x >> 24);
	a.a[1] = (uint8_t)(x >> 16);
	a.a[2] = (uint8_t)(x >> 8);
	a.a[3] = (uint8_t)x;
	return a;
}

static void
mac_of(uint32_t x, uint8_t m[6])
{
	m[0] = 0x02;
	m[1] = 0x00;
	m[2] = (uint8_t)(x >> 24);
	m[3] = (uint8_t)(x >> 16);
	m[4] = (uint8_t)(x >> 8);
	m[5] = (uint8_t)x;
}

static uint64_t
dropped(const struct cx_names *n, int which)
{
	uint64_t v[4];
	cx_names_dropped(n, &v[0], &v[1], &v[2], &v[3]);
	return v[which];
}

Test(names_caps, hosts_capped_and_counted_once)
{
	struct cx_names *n = cx_names_new("/nonexistent");
	uint8_t m[6];
	const uint32_t base = 0x0a000000, cap = 65536, extra = 100;
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < cap + extra; i++) {
			struct cx_addr a = v4(base + i);
			mac_of(i, m);
			cx_names_add_mac(n, &a, m);
		}
	}
	cr_assert_eq(dropped(n, 0), extra);
	cr_assert_eq(dropped(n, 1) + dropped(n, 2) + dropped(n, 3), 0);
	struct json_object *r = cx_names_report(n);
	cr_assert_eq(json_object_array_length(r), cap);
	json_object_put(r);
	/* the hosts kept still answer; a dropped one is only its address */
	struct cx_addr first = v4(base), last = v4(base + cap - 1), out = v4(base + cap + 5);
	cx_names_add_dns(n, &first, "first.example");
	cx_names_add_dns(n, &out, "out.example");
	cr_assert_eq(dropped(n, 0), extra);
	cr_assert_str_eq(cx_names_label(n, &first), "first.example (10.0.0.0)");
	cr_assert_str_eq(cx_names_label(n, &out), "10.1.0.5");
	char buf[512];
	cx_names_describe(n, &last, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.255.255; MAC 02:00:00:00:ff:ff (vendor not in the IEEE registry: "
			      "locally administered address (virtual interface or randomised MAC))");
	cx_names_describe(n, &out, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.1.0.5 (nothing more known)");
	cx_names_free(n);
}

Test(names_caps, names_macs_software_per_host)
{
	struct cx_names *n = cx_names_new("/nonexistent");
	struct cx_addr a = v4(0xc0a80001);
	char nm[64];
	uint8_t m[6];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10; i++) {
			snprintf(nm, sizeof(nm), "name%d.example", i);
			cx_names_add_dns(n, &a, nm);
			mac_of((uint32_t)i, m);
			cx_names_add_mac(n, &a, m);
			snprintf(nm, sizeof(nm), "Agent/%d", i);
			cx_names_add_software(n, &a, "sip-user-agent", nm);
		}
	}
	cr_assert_eq(dropped(n, 0), 0);
	cr_assert_eq(dropped(n, 1), 6);   /* MAX_DNS 4 */
	cr_assert_eq(dropped(n, 2), 6);   /* MAX_MACS 4 */
	cr_assert_eq(dropped(n, 3), 4);   /* MAX_SW 6 */
	struct json_object *h = cx_names_host(n, &a);
	cr_assert_eq(json_object_array_length(cxt_get(h, "dns_names")), 4);
	cr_assert_str_eq(json_object_get_string(cxt_get(h, "dns_names.3")), "name3.example");
	cr_assert_eq(json_object_array_length(cxt_get(h, "macs")), 4);
	cr_assert_eq(json_object_array_length(cxt_get(h, "software")), 6);
	cr_assert_str_eq(json_object_get_string(cxt_get(h, "software.5.text")), "Agent/5");
	json_object_put(h);
	cx_names_free(n);
}

Test(names_caps, shared_mac_in_order_of_appearance)
{
	/* hosts named by DNS before their first frame: the MAC index keeps
	 * the order in which the hosts appeared, not the order of the frames */
	struct cx_names *n = cx_names_new("/nonexistent");
	struct cx_addr h[6];
	for (uint32_t i = 0; i < 6; i++) {
		h[i] = v4(0xc6336400 + i);
		cx_names_add_dns(n, &h[i], "x.example");
	}
	uint8_t router[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	for (int i = 5; i >= 0; i--)
		cx_names_add_mac(n, &h[i], router);
	char buf[512];
	cx_names_describe(n, &h[2], buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, ", also the source MAC of 198.51.100.0, 198.51.100.1, 198.51.100.3 and 2 more: a router's MAC"),
			   "%s", buf);
	struct json_object *o = cx_names_host(n, &h[0]);
	cr_assert_eq(json_object_get_int(cxt_get(o, "macs.0.other_addresses_with_this_mac")), 5);
	json_object_put(o);
	cx_names_free(n);
}

Test(names_caps, relayed_software_left_to_its_author)
{
	struct cx_names *n = cx_names_new("/nonexistent");
	struct cx_addr proxy = v4(0x0a000001), phone = v4(0x0a000002);
	cx_names_add_software_seen(n, &proxy, "sip-user-agent", "Phone/1", true);
	struct json_object *o = cx_names_host(n, &proxy);
	cr_assert_eq(json_object_array_length(cxt_get(o, "software")), 1); /* nobody else claims it */
	json_object_put(o);
	cx_names_add_software(n, &phone, "sip-user-agent", "Phone/1");
	o = cx_names_host(n, &proxy);
	cr_assert_eq(json_object_array_length(cxt_get(o, "software")), 0);
	json_object_put(o);
	/* once the proxy announces it first-hand too, it is its own as well */
	cx_names_add_software_seen(n, &proxy, "sip-user-agent", "Phone/1", false);
	o = cx_names_host(n, &proxy);
	cr_assert_eq(json_object_array_length(cxt_get(o, "software")), 1);
	json_object_put(o);
	cx_names_free(n);
}
