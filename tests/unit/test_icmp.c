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

/* ---- echo pairing, error links and caps, on built captures ---- */

#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

static void
put_ip(pcap_dumper_t *d, uint32_t ts, uint8_t proto, uint16_t ipid, uint32_t src, uint32_t dst,
       const uint8_t *l4, size_t n)
{
	uint8_t pkt[600];
	uint16_t tot = (uint16_t)(20 + n);
	const uint8_t ip[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, (uint8_t)(ipid >> 8), (uint8_t)ipid, 0, 0,
				 64, proto, 0, 0,
				 (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
				 (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst };
	memcpy(pkt, ip, 20);
	memcpy(pkt + 20, l4, n);
	struct pcap_pkthdr h = { { ts, 0 }, tot, tot };
	pcap_dump((u_char *)d, &h, pkt);
}

static void
put_echo(pcap_dumper_t *d, uint32_t ts, bool reply, uint16_t id, uint16_t seq, uint32_t a, uint32_t b)
{
	uint8_t m[16] = { reply ? 0 : 8, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(seq >> 8), (uint8_t)seq };
	put_ip(d, ts, 1, seq, reply ? b : a, reply ? a : b, m, sizeof(m));
}

/* A UDP datagram a -> b with this IP id, 8 bytes of payload. */
static void
put_udp_dgram(pcap_dumper_t *d, uint32_t ts, uint16_t ipid, uint32_t a, uint32_t b, uint16_t sport)
{
	uint8_t u[16] = { (uint8_t)(sport >> 8), (uint8_t)sport, 0x13, 0xc4, 0, 16, 0, 0 };
	put_ip(d, ts, 17, ipid, a, b, u, sizeof(u));
}

/* Port unreachable from b about that datagram. */
static void
put_unreach(pcap_dumper_t *d, uint32_t ts, uint16_t ipid, uint32_t a, uint32_t b, uint16_t sport)
{
	uint8_t m[8 + 20 + 8] = { 3, 3, 0, 0, 0, 0, 0, 0 };
	const uint8_t ip[20] = { 0x45, 0, 0, 36, (uint8_t)(ipid >> 8), (uint8_t)ipid, 0, 0, 64, 17, 0, 0,
				 (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a,
				 (uint8_t)(b >> 24), (uint8_t)(b >> 16), (uint8_t)(b >> 8), (uint8_t)b };
	const uint8_t u[8] = { (uint8_t)(sport >> 8), (uint8_t)sport, 0x13, 0xc4, 0, 16, 0, 0 };
	memcpy(m + 8, ip, 20);
	memcpy(m + 28, u, 8);
	put_ip(d, ts, 1, 0, b, a, m, sizeof(m));
}

static struct json_object *
run_built(char *path, pcap_dumper_t *d, pcap_t *dead)
{
	pcap_dump_close(d);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	cr_assert_not_null(r);
	unlink(path);
	return r;
}

static pcap_dumper_t *
open_capture(char *path, pcap_t **dead)
{
	close(mkstemp(path));
	*dead = pcap_open_dead(DLT_RAW, 65535);
	return pcap_dump_open(*dead, path);
}

Test(icmp, replies_paired_out_of_order_and_errors_linked_within_the_ring)
{
	char path[] = "/tmp/cxicmp-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	const uint32_t a = 0x0a000001, b = 0x0a000002;
	uint32_t ts = 1000;
	/* frames 1..3: requests seq 1, 2 and 1 again; replies 2, 1, 1 */
	put_echo(d, ts++, false, 9, 1, a, b);
	put_echo(d, ts++, false, 9, 2, a, b);
	put_echo(d, ts++, false, 9, 1, a, b);
	put_echo(d, ts++, true, 9, 2, a, b);      /* frame 4 answers frame 2 */
	put_echo(d, ts++, true, 9, 1, a, b);      /* frame 5 answers frame 3, the newest */
	put_echo(d, ts++, true, 9, 1, a, b);      /* frame 6 answers frame 1 */
	/* frame 7: a datagram; 100 others; frame 108: the error about frame 7 */
	put_udp_dgram(d, ts++, 77, a, b, 5000);
	for (uint16_t i = 0; i < 100; i++)
		put_udp_dgram(d, ts++, (uint16_t)(1000 + i), a, b, 6000);
	put_unreach(d, ts++, 77, a, b, 5000);
	/* frame 109: a datagram, then 4096 others: it has left the ring */
	put_udp_dgram(d, ts++, 88, a, b, 5001);
	for (uint16_t i = 0; i < 4096; i++)
		put_udp_dgram(d, ts++, (uint16_t)(2000 + i), a, b, 6001);
	put_unreach(d, ts++, 88, a, b, 5001);
	struct json_object *r = run_built(path, d, dead);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.echo.0.reply_frame")), 6);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.echo.1.reply_frame")), 4);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.echo.2.reply_frame")), 5);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.0.frame")), 108);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.errors.0.caused_by_frame")), 7);
	cr_assert_null(cxt_get(r, "icmp.errors.1.caused_by_frame"));
	cr_assert_null(cxt_get(r, "icmp.dropped"));
	json_object_put(r);
}

Test(icmp, echo_and_errors_capped_and_counted)
{
	char path[] = "/tmp/cxicmp-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	const uint32_t a = 0x0a000001, b = 0x0a000002;
	const int cap = 20000;
	for (int i = 0; i < cap + 5; i++)
		put_echo(d, 1000 + (uint32_t)i / 100, false, (uint16_t)(i >> 16), (uint16_t)i, a, b);
	put_echo(d, 2000, true, 0, 19999, a, b);   /* the last request kept */
	for (int i = 0; i < cap + 3; i++)
		put_unreach(d, 3000 + (uint32_t)i / 100, (uint16_t)i, a, b, 5000);
	struct json_object *r = run_built(path, d, dead);
	cr_assert_eq(json_object_array_length(cxt_get(r, "icmp.echo")), (size_t)cap);
	cr_assert_eq(json_object_array_length(cxt_get(r, "icmp.errors")), (size_t)cap);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.dropped.echo_requests")), 5);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.dropped.errors")), 3);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "icmp.echo.19999.reply_frame")), cap + 5 + 1);
	json_object_put(r);
}
