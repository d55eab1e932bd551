/* Frame decoder on real frames. The textbook frame is from issue 6 (an
 * Ethernet/IPv4/TCP frame captured on a real network, 80 bytes). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "callextract/decode.h"

static const uint8_t textbook[] = {
	0, 208, 183, 116, 229, 103, 0, 2, 179, 101, 64, 208, 8, 0, 69, 0, 0, 56, 200, 213, 64, 0,
	64, 6, 70, 72, 212, 191, 65, 33, 212, 191, 65, 2, 5, 20, 10, 109, 166, 211, 34, 168, 138,
	91, 184, 29, 80, 24, 22, 208, 85, 26, 0, 0, 84, 111, 32, 106, 101, 115, 116, 32, 116, 101,
	107, 115, 99, 105, 107, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

static int
decode(struct cx_packet *p, int lt, const uint8_t *d, uint32_t len, const char **layer)
{
	memset(p, 0, sizeof(*p));
	p->linktype = lt;
	p->data = d;
	p->caplen = p->wirelen = len;
	return cx_decode_frame(p, layer);
}

Test(decode, textbook_ethernet_ipv4_tcp)
{
	struct cx_packet p;
	const char *layer;
	cr_assert_eq(decode(&p, 1, textbook, sizeof(textbook), &layer), CX_DEC_OK);
	const uint8_t src[6] = { 0x00, 0x02, 0xb3, 0x65, 0x40, 0xd0 };
	const uint8_t dst[6] = { 0x00, 0xd0, 0xb7, 0x74, 0xe5, 0x67 };
	cr_assert_arr_eq(p.mac_src, src, 6);
	cr_assert_arr_eq(p.mac_dst, dst, 6);
	cr_assert_eq(p.ip_ver, 4);
	cr_assert_eq(p.l3_len, 56);
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
	cr_assert_str_eq(cx_endpoint_str(&p.src, p.sport, a), "212.191.65.33:1300");
	cr_assert_str_eq(cx_endpoint_str(&p.dst, p.dport, b), "212.191.65.2:2669");
	cr_assert_eq(p.l4, CX_L4_TCP);
	cr_assert_eq(p.payload_len, 16);
	cr_assert(memcmp(p.payload, "To jest tekscik\n", 16) == 0);
	/* 80 - 14 - 56 = 10 bytes of Ethernet padding kept as trailer */
	cr_assert_eq(p.trailer_len, 10);
}

Test(decode, every_truncation_is_reported_not_overread)
{
	/* Each prefix of the frame must decode without reading past it. ASan
	 * checks the "without reading" part: the copy is exactly n bytes. */
	for (uint32_t n = 0; n < sizeof(textbook); n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, textbook, n);
		struct cx_packet p;
		const char *layer;
		int rc = decode(&p, 1, cut, n, &layer);
		if (n < 14 + 20 + 20)
			cr_assert(rc == CX_DEC_TRUNCATED, "prefix %u gave %d", n, rc);
		else
			cr_assert(rc == CX_DEC_TRUNCATED || rc == CX_DEC_OK);
		free(cut);
	}
}

Test(decode, vlan_and_qinq_tags)
{
	uint8_t f[sizeof(textbook) + 8];
	memcpy(f, textbook, 12);
	const uint8_t tags[] = { 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8 };
	memcpy(f + 12, tags, 8);
	memcpy(f + 20, textbook + 12, sizeof(textbook) - 12);
	struct cx_packet p;
	const char *layer;
	cr_assert_eq(decode(&p, 1, f, sizeof(f), &layer), CX_DEC_OK);
	cr_assert_eq(p.vlan, 100);
	cr_assert_eq(p.sport, 1300);
}

Test(decode, ip_in_ip_and_gre_are_peeled)
{
	/* Outer IPv4 (proto 4) around the textbook datagram. */
	const uint8_t *inner = textbook + 14;
	uint8_t f[14 + 20 + 56];
	memcpy(f, textbook, 14);
	uint8_t outer[20] = { 0x45, 0, 0, 76, 0, 1, 0, 0, 64, 4, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	memcpy(f + 14, outer, 20);
	memcpy(f + 34, inner, 56);
	struct cx_packet p;
	const char *layer;
	cr_assert_eq(decode(&p, 1, f, sizeof(f), &layer), CX_DEC_OK);
	cr_assert_eq(p.tunnel_depth, 1);
	cr_assert_eq(p.dport, 2669);
	/* GRE (proto 47) carrying IPv4. */
	uint8_t g[14 + 20 + 4 + 56];
	memcpy(g, textbook, 14);
	outer[3] = 80;
	outer[9] = 47;
	memcpy(g + 14, outer, 20);
	const uint8_t gre[4] = { 0, 0, 0x08, 0x00 };
	memcpy(g + 34, gre, 4);
	memcpy(g + 38, inner, 56);
	cr_assert_eq(decode(&p, 1, g, sizeof(g), &layer), CX_DEC_OK);
	cr_assert_eq(p.tunnel_depth, 1);
	cr_assert_eq(p.sport, 1300);
}

Test(decode, self_nesting_tunnel_is_bounded)
{
	/* IPv4 proto 4 nested 20 deep: must stop, not recurse forever. */
	uint8_t f[20 * 20];
	for (int i = 0; i < 20; i++) {
		uint8_t h[20] = { 0x45, 0, 0, 0, 0, 1, 0, 0, 64, 4, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
		uint16_t tot = (uint16_t)(20 * (20 - i));
		h[2] = (uint8_t)(tot >> 8);
		h[3] = (uint8_t)tot;
		memcpy(f + 20 * i, h, 20);
	}
	struct cx_packet p;
	const char *layer;
	int rc = decode(&p, 101, f, sizeof(f), &layer);
	cr_assert(rc == CX_DEC_MALFORMED || rc == CX_DEC_TRUNCATED);
}
