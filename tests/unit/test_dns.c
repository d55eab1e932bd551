/* DNS on public captures (message counts from each capture's
 * features.json, made with tshark), a hand-built compression loop and
 * counts larger than the packet (hostile input). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

Test(dns, query_response_pair_with_rtt)
{
	struct json_object *r = corpus("corpus:chrissanders__packets/dns_query_response.pcapng");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.dns")), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.name")), "wireshark.org");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.records.0.data")), "128.121.50.122");
	cr_assert_gt(json_object_get_double(cxt_get(r, "dns.0.rtt_ms")), 0);
	json_object_put(r);
}

Test(dns, tcp_length_framing)
{
	struct json_object *r = corpus("corpus:chrissanders__packets/dns_tcp.pcapng");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.dns")), 4);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.1.transport")), "TCP");
	cr_assert(json_object_get_boolean(cxt_get(r, "dns.1.answered")));
	json_object_put(r);
}

Test(dns, zone_transfer_records)
{
	struct json_object *r = corpus("corpus:chrissanders__packets/dns_axfr.pcapng");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.type")), "AXFR");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "dns.0.records.0.type")), "SOA");
	json_object_put(r);
}

Test(dns, sngrep_srv_ptr_a_and_names_label_hosts)
{
	struct json_object *r = corpus("corpus:irontec__sngrep/tests/aaa.pcap");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.dns")), 357, "tshark: dns 357");
	json_object_put(r);
}

/* A response whose answer name points to itself, and one whose counts
 * promise more records than the packet holds. */
Test(dns, hostile_compression_loop_and_counts)
{
	char path[] = "/tmp/cxdns-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	const uint8_t loop[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
				 3, 'w', 'w', 'w', 0, 0, 1, 0, 1,
				 0xc0, 21, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
	const uint8_t counts[] = { 0x12, 0x35, 0x81, 0x80, 0, 1, 0xff, 0xff, 0, 0, 0, 0,
				   1, 'a', 0, 0, 1, 0, 1 };
	const uint8_t *msgs[2] = { loop, counts };
	size_t lens[2] = { sizeof(loop), sizeof(counts) };
	for (int i = 0; i < 2; i++) {
		uint8_t pkt[256];
		size_t n = lens[i];
		uint16_t tot = (uint16_t)(28 + n);
		const uint8_t ip[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 53, 10, 0, 0, 1 };
		const uint8_t udp[8] = { 0, 53, 0x30, 0x39, (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };
		memcpy(pkt, ip, 20);
		memcpy(pkt + 20, udp, 8);
		memcpy(pkt + 28, msgs[i], n);
		struct pcap_pkthdr h = { { 1000 + i, 0 }, tot, tot };
		pcap_dump((u_char *)d, &h, pkt);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	int rc;
	struct json_object *r = cxt_run(path, NULL, &rc, NULL);
	cr_assert_eq(rc, 0);
	struct json_object *m = cxt_get(r, "capture.errors.dns.malformed");
	cr_assert_not_null(m, "%s", json_object_to_json_string(cxt_get(r, "capture")));
	cr_assert_geq(json_object_get_int64(m), 2);
	json_object_put(r);
	unlink(path);
}

/* ---- the transaction table: pairing by hash, cap counted ---- */

static void
put_udp(pcap_dumper_t *d, uint32_t ts, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	const uint8_t *payload, size_t n)
{
	uint8_t pkt[512];
	uint16_t tot = (uint16_t)(28 + n);
	const uint8_t ip[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 1, 0, 0, 64, 17, 0, 0,
				 (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
				 (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst };
	const uint8_t udp[8] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8), (uint8_t)dport,
				 (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };
	memcpy(pkt, ip, 20);
	memcpy(pkt + 20, udp, 8);
	memcpy(pkt + 28, payload, n);
	struct pcap_pkthdr h = { { ts, 0 }, tot, tot };
	pcap_dump((u_char *)d, &h, pkt);
}

/* A query (or an empty NOERROR answer) for "q.example" A. */
static void
put_dns(pcap_dumper_t *d, uint32_t ts, uint16_t id, uint16_t cport, bool resp)
{
	const uint32_t client = 0x0a000001, server = 0x0a000035;
	uint8_t m[] = { (uint8_t)(id >> 8), (uint8_t)id, resp ? 0x81 : 0x01, resp ? 0x80 : 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'q', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
	if (resp)
		put_udp(d, ts, server, 53, client, cport, m, sizeof(m));
	else
		put_udp(d, ts, client, cport, server, 53, m, sizeof(m));
}

static pcap_dumper_t *
open_capture(char *path, pcap_t **dead)
{
	close(mkstemp(path));
	*dead = pcap_open_dead(DLT_RAW, 65535);
	return pcap_dump_open(*dead, path);
}

Test(dns, response_paired_within_the_window_only)
{
	char path[] = "/tmp/cxdns-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	uint32_t ts = 1000;
	put_dns(d, ts++, 7, 40000, false);           /* transaction 0 */
	for (uint16_t i = 0; i < 1998; i++)
		put_dns(d, ts++, (uint16_t)(100 + i), 41000, false);
	put_dns(d, ts++, 7, 40000, true);            /* 1998 transactions later: paired */
	put_dns(d, ts++, 8, 40001, false);           /* transaction 1999 */
	for (uint16_t i = 0; i < 2000; i++)
		put_dns(d, ts++, (uint16_t)(5000 + i), 41000, false);
	put_dns(d, ts++, 8, 40001, true);            /* 2000 later: out of the window */
	pcap_dump_close(d);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	struct json_object *v = cxt_get(r, "dns");
	cr_assert_eq(json_object_array_length(v), 1999 + 2001 + 1);
	cr_assert(json_object_get_boolean(cxt_get(r, "dns.0.answered")));
	cr_assert_eq(json_object_get_int64(cxt_get(r, "dns.0.response_frame")), 2000);
	cr_assert_not(json_object_get_boolean(cxt_get(r, "dns.1999.answered")));
	struct json_object *last = json_object_array_get_idx(v, 4000);
	cr_assert(json_object_get_boolean(cxt_get(last, "answered")));
	cr_assert_null(cxt_get(last, "query_frame"));
	cr_assert_null(cxt_get(r, "dns_dropped"));
	json_object_put(r);
	unlink(path);
}

Test(dns, transactions_capped_and_counted)
{
	char path[] = "/tmp/cxdns-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	const int cap = 50000, extra = 10;
	for (int i = 0; i < cap + extra; i++)
		put_dns(d, (uint32_t)(1000 + i / 100), (uint16_t)i, (uint16_t)(1024 + i / 65536), false);
	/* the first query answered at the end, after the cap */
	put_dns(d, 2000, 0, 1024, true);
	pcap_dump_close(d);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	cr_assert_eq(json_object_array_length(cxt_get(r, "dns")), (size_t)cap);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "dns_dropped.messages")), extra + 1);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.dns")), cap + extra + 1);
	json_object_put(r);
	unlink(path);
}
