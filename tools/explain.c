/* `callextract explain CAPTURE FRAME`: one frame, layer by layer, each field
 * with its byte offset, its raw bytes and its meaning. Reads with libpcap
 * and walks the bytes with the bounds-checked cursor. */
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "callextract/cursor.h"
#include "callextract/decode.h"
#include "explain.h"

struct ex {
	FILE *out;
	const uint8_t *base;
};

static void
field(struct ex *e, const uint8_t *at, size_t n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
field(struct ex *e, const uint8_t *at, size_t n, const char *name, const char *fmt, ...)
{
	size_t off = (size_t)(at - e->base);
	char range[32], value[160], raw[3 * 16 + 4] = "";
	if (n > 1)
		snprintf(range, sizeof(range), "[%zu-%zu]", off, off + n - 1);
	else
		snprintf(range, sizeof(range), "[%zu]", off);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	size_t o = 0;
	for (size_t i = 0; i < n && i < 16; i++)
		o += (size_t)snprintf(raw + o, sizeof(raw) - o, "%s%02x", i ? " " : "", at[i]);
	if (n > 16)
		snprintf(raw + o, sizeof(raw) - o, " ...");
	fprintf(e->out, "  %-10s %-18s %-40s %s\n", range, name, value, raw);
}

static const char *
mac(const uint8_t *m, char *b)
{
	snprintf(b, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b;
}

static void
payload(struct ex *e, const uint8_t *p, size_t n)
{
	fprintf(e->out, "Payload (offset %zu, %zu bytes)\n", (size_t)(p - e->base), n);
	for (size_t i = 0; i < n; i += 16) {
		fprintf(e->out, "  %04zx  ", (size_t)(p - e->base) + i);
		for (size_t k = 0; k < 16; k++)
			fprintf(e->out, k < n - i ? "%02x " : "   ", k < n - i ? p[i + k] : 0);
		fprintf(e->out, " ");
		for (size_t k = 0; k < 16 && i + k < n; k++)
			fputc(p[i + k] >= 0x20 && p[i + k] < 0x7f ? p[i + k] : '.', e->out);
		fputc('\n', e->out);
	}
	fprintf(e->out, "  text: \"");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\n')
			fputs("\\n", e->out);
		else if (c == '\r')
			fputs("\\r", e->out);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, e->out);
		else
			fprintf(e->out, "\\x%02x", c);
	}
	fprintf(e->out, "\"\n");
}

static void
transport(struct ex *e, uint8_t proto, struct cx_cur *c)
{
	char flags[64] = "";
	if (proto == 6) {
		fprintf(e->out, "TCP (offset %zu)\n", (size_t)(c->p - e->base));
		const uint8_t *s = c->p;
		uint16_t sp = cx_get_be16(c), dp = cx_get_be16(c);
		uint32_t seq = cx_get_be32(c), ack = cx_get_be32(c);
		uint8_t off = cx_get_u8(c), fl = cx_get_u8(c);
		uint16_t win = cx_get_be16(c), sum = cx_get_be16(c), urg = cx_get_be16(c);
		if (c->err) {
			fprintf(e->out, "  (truncated TCP header)\n");
			return;
		}
		static const char *fn[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
		for (int i = 0; i < 8; i++)
			if (fl & (1 << i))
				snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s", flags[0] ? "," : "", fn[i]);
		field(e, s, 2, "source port", "%u", sp);
		field(e, s + 2, 2, "destination port", "%u", dp);
		field(e, s + 4, 4, "sequence number", "%u", seq);
		field(e, s + 8, 4, "acknowledgment", "%u", ack);
		field(e, s + 12, 1, "data offset", "%u bytes (header length)", (off >> 4) * 4u);
		field(e, s + 13, 1, "flags", "0x%02x %s", fl, flags);
		field(e, s + 14, 2, "window", "%u", win);
		field(e, s + 16, 2, "checksum", "0x%04x", sum);
		field(e, s + 18, 2, "urgent pointer", "%u", urg);
		size_t hl = (off >> 4) * 4u;
		if (hl > 20) {
			field(e, s + 20, hl - 20 <= cx_cur_left(c) ? hl - 20 : cx_cur_left(c), "options", "%zu bytes", hl - 20);
			cx_skip(c, hl - 20);
		}
	} else if (proto == 17) {
		fprintf(e->out, "UDP (offset %zu)\n", (size_t)(c->p - e->base));
		const uint8_t *s = c->p;
		uint16_t sp = cx_get_be16(c), dp = cx_get_be16(c), len = cx_get_be16(c), sum = cx_get_be16(c);
		if (c->err) {
			fprintf(e->out, "  (truncated UDP header)\n");
			return;
		}
		field(e, s, 2, "source port", "%u", sp);
		field(e, s + 2, 2, "destination port", "%u", dp);
		field(e, s + 4, 2, "length", "%u", len);
		field(e, s + 6, 2, "checksum", "0x%04x", sum);
	} else if (proto == 1 || proto == 58) {
		fprintf(e->out, "ICMP%s (offset %zu)\n", proto == 58 ? "v6" : "", (size_t)(c->p - e->base));
		const uint8_t *s = c->p;
		uint8_t type = cx_get_u8(c), code = cx_get_u8(c);
		uint16_t sum = cx_get_be16(c);
		if (c->err)
			return;
		field(e, s, 1, "type", "%u", type);
		field(e, s + 1, 1, "code", "%u", code);
		field(e, s + 2, 2, "checksum", "0x%04x", sum);
	}
	if (cx_cur_left(c))
		payload(e, c->p, cx_cur_left(c));
}

static void
ip(struct ex *e, struct cx_cur *c)
{
	const uint8_t *s = c->p;
	uint8_t v = cx_peek_u8(c, 0) >> 4;
	if (c->err)
		return;
	char a[48], b[48];
	struct cx_addr x, y;
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	if (v == 4) {
		fprintf(e->out, "IPv4 (offset %zu)\n", (size_t)(s - e->base));
		uint8_t vihl = cx_get_u8(c), tos = cx_get_u8(c);
		uint16_t tot = cx_get_be16(c), id = cx_get_be16(c), frag = cx_get_be16(c);
		uint8_t ttl = cx_get_u8(c), proto = cx_get_u8(c);
		uint16_t sum = cx_get_be16(c);
		x.family = y.family = 4;
		cx_get_bytes(c, x.a, 4);
		cx_get_bytes(c, y.a, 4);
		if (c->err) {
			fprintf(e->out, "  (truncated IPv4 header)\n");
			return;
		}
		unsigned hl = (vihl & 15) * 4u;
		field(e, s, 1, "version / IHL", "version %u, header length %u bytes", vihl >> 4, hl);
		field(e, s + 1, 1, "DSCP/ECN", "0x%02x", tos);
		field(e, s + 2, 2, "total length", "%u", tot);
		field(e, s + 4, 2, "identification", "0x%04x", id);
		field(e, s + 6, 2, "flags / fragment", "%s%s offset %u", frag & 0x4000 ? "DF " : "", frag & 0x2000 ? "MF " : "", (frag & 0x1fff) * 8u);
		field(e, s + 8, 1, "TTL", "%u", ttl);
		field(e, s + 9, 1, "protocol", "%u (%s)", proto, proto == 6 ? "TCP" : proto == 17 ? "UDP" : proto == 1 ? "ICMP" : "other");
		field(e, s + 10, 2, "header checksum", "0x%04x", sum);
		field(e, s + 12, 4, "source", "%s", cx_addr_str(&x, a));
		field(e, s + 16, 4, "destination", "%s", cx_addr_str(&y, b));
		if (hl > 20)
			cx_skip(c, hl - 20);
		size_t left = (size_t)(s + tot > c->p ? s + tot - c->p : 0);
		if (left > cx_cur_left(c))
			left = cx_cur_left(c);
		struct cx_cur inner = cx_take(c, left);
		transport(e, proto, &inner);
	} else if (v == 6) {
		fprintf(e->out, "IPv6 (offset %zu)\n", (size_t)(s - e->base));
		uint32_t vtf = cx_get_be32(c);
		uint16_t plen = cx_get_be16(c);
		uint8_t nh = cx_get_u8(c), hop = cx_get_u8(c);
		x.family = y.family = 6;
		cx_get_bytes(c, x.a, 16);
		cx_get_bytes(c, y.a, 16);
		if (c->err)
			return;
		field(e, s, 4, "version/class/flow", "version %u", vtf >> 28);
		field(e, s + 4, 2, "payload length", "%u", plen);
		field(e, s + 6, 1, "next header", "%u", nh);
		field(e, s + 7, 1, "hop limit", "%u", hop);
		field(e, s + 8, 16, "source", "%s", cx_addr_str(&x, a));
		field(e, s + 24, 16, "destination", "%s", cx_addr_str(&y, b));
		struct cx_cur inner = cx_take(c, plen <= cx_cur_left(c) ? plen : cx_cur_left(c));
		transport(e, nh, &inner);
	}
	if (cx_cur_left(c))
		fprintf(e->out, "Trailer (offset %zu, %zu bytes after the IP datagram)\n", (size_t)(c->p - e->base), cx_cur_left(c));
}

int
cx_explain(const char *capture, uint64_t frame, FILE *out)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(capture, err);
	if (!p) {
		fprintf(stderr, "callextract: %s: %s\n", capture, err);
		return 3;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1 && ++n < frame)
		;
	if (rc != 1) {
		fprintf(stderr, "callextract: %s: frame %llu: not in the capture (%llu frames)\n", capture,
			(unsigned long long)frame, (unsigned long long)n);
		pcap_close(p);
		return 3;
	}
	int lt = pcap_datalink(p);
	struct ex e = { out, d };
	fprintf(out, "Frame %llu: %u bytes captured, %u on the wire, link type %s\n",
		(unsigned long long)frame, h->caplen, h->len, cx_linktype_name(lt));
	struct cx_cur c = cx_cur_make(d, h->caplen);
	if (lt == 1) {
		char m[18];
		fprintf(out, "Ethernet II (offset 0, 14 bytes)\n");
		const uint8_t *s = c.p;
		cx_skip(&c, 12);
		uint16_t et = cx_get_be16(&c);
		if (c.err) {
			fprintf(out, "  (truncated Ethernet header)\n");
		} else {
			field(&e, s, 6, "destination", "%s", mac(s, m));
			field(&e, s + 6, 6, "source", "%s", mac(s + 6, m));
			while (et == 0x8100 || et == 0x88a8) {
				const uint8_t *t = c.p - 2;
				uint16_t tci = cx_get_be16(&c);
				field(&e, t, 4, "VLAN tag", "0x%04x, id %u", et, tci & 0xfff);
				et = cx_get_be16(&c);
			}
			field(&e, c.p - 2, 2, "type", "0x%04x (%s)", et, et == 0x0800 ? "IPv4" : et == 0x86dd ? "IPv6" : "other");
			if (et == 0x0800 || et == 0x86dd)
				ip(&e, &c);
		}
	} else if (lt == 12 || lt == 101 || lt == 228 || lt == 229) {
		ip(&e, &c);
	} else if (lt == 113 || lt == 276) {
		cx_skip(&c, lt == 113 ? 16 : 20);
		fprintf(out, "Linux cooked header (%d bytes)\n", lt == 113 ? 16 : 20);
		ip(&e, &c);
	} else if (lt == 0 || lt == 108) {
		cx_skip(&c, 4);
		fprintf(out, "BSD loopback header (4 bytes)\n");
		ip(&e, &c);
	} else {
		fprintf(out, "(link type %d not explained)\n", lt);
	}
	pcap_close(p);
	return 0;
}
