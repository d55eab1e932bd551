/* IP fragment reassembly on public captures (figures from tshark) and on a
 * hostile flood of fragments that never complete. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

static int64_t
geti(struct json_object *r, const char *path)
{
	struct json_object *o = cxt_get(r, path);
	return o ? json_object_get_int64(o) : -1;
}

Test(defrag, ipv4_fragmented_ping)
{
	/* Two 3-fragment ICMP echo datagrams (request and reply). */
	const char *p = cxt_path("corpus:chrissanders__packets/ip_frag_source.pcapng");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	cr_assert_eq(geti(r, "capture.ip_reassembly.fragments"), 6);
	cr_assert_eq(geti(r, "capture.ip_reassembly.reassembled"), 2);
	cr_assert_eq(geti(r, "capture.protocols.icmp"), 2, "tshark: icmp frames:2");
	json_object_put(r);
}

Test(defrag, ipv6_fragment_header)
{
	/* One UDP datagram in four IPv6 fragments plus two unfragmented ones. */
	const char *p = cxt_path("corpus:sipcapture__heplify/example/pcap/ipv6_udp_fragmented.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	cr_assert_eq(geti(r, "capture.ip_reassembly.fragments"), 4);
	cr_assert_eq(geti(r, "capture.ip_reassembly.reassembled"), 1);
	cr_assert_eq(geti(r, "capture.protocols.udp"), 3, "tshark: udp frames:3");
	json_object_put(r);
}

Test(defrag, fragment_flood_is_bounded_and_counted)
{
	/* 2000 first fragments with distinct IDs, none completed: the table is
	 * capped, the overflow counted, nothing crashes. */
	char path[] = "/tmp/cxfrag-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint8_t pkt[20 + 64];
	memset(pkt, 'A', sizeof(pkt));
	for (int i = 0; i < 2000; i++) {
		const uint8_t h[20] = { 0x45, 0, 0, sizeof(pkt), (uint8_t)(i >> 8), (uint8_t)i, 0x20, 0,
					64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
		memcpy(pkt, h, 20);
		struct pcap_pkthdr ph = { { 1000000 + i / 100, (i % 100) * 1000 }, sizeof(pkt), sizeof(pkt) };
		pcap_dump((u_char *)d, &ph, pkt);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(geti(r, "capture.ip_reassembly.fragments"), 2000);
	cr_assert_gt(geti(r, "capture.errors.defrag.too_many") + geti(r, "capture.errors.defrag.timeout"), 0);
	cr_assert_gt(geti(r, "capture.errors.defrag.incomplete"), 0);
	json_object_put(r);
	unlink(path);
}
