/* Dispatch of one frame: decode, reassemble, hand to the dissectors. */
#include <stdio.h>
#include <string.h>
#include "callextract/around.h"
#include "callextract/ctx.h"
#include "callextract/decode.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/names.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "output/callpcap.h"
#include "packet/defrag.h"

static void
count_error(struct cx_ctx *ctx, int rc, const char *layer)
{
	char name[96];
	const char *kind = rc == CX_DEC_TRUNCATED ? "truncated" :
			   rc == CX_DEC_MALFORMED ? "malformed" : "unsupported";
	snprintf(name, sizeof(name), "error.%s.%s", kind, layer ? layer : "unknown");
	cx_stats_add(ctx->stats, name, 1);
}

static void
transport(struct cx_ctx *ctx, struct cx_packet *p)
{
	switch (p->l4) {
	case CX_L4_UDP:
		(*ctx->hot.udp)++;
		if (cx_dns_is_port(p->sport) || cx_dns_is_port(p->dport))
			cx_dns_on_udp(ctx->dns, p);
		else if (cx_sip_looks_like(p->payload, p->payload_len))
			cx_sip_on_udp(ctx->sip, p);
		else if (cx_hep_looks_like(p->payload, p->payload_len))
			cx_hep_on_udp(ctx->wrap, p);
		else if (!cx_media_on_udp(ctx->media, p))
			(*ctx->hot.udp_other)++;
		break;
	case CX_L4_TCP:
		(*ctx->hot.tcp)++;
		cx_tcp_segment(ctx->tcp, p);
		break;
	case CX_L4_ICMP:
	case CX_L4_ICMP6:
		(*(p->l4 == CX_L4_ICMP ? ctx->hot.icmp : ctx->hot.icmpv6))++;
		cx_icmp_on_packet(ctx->icmp, p);
		break;
	default:
		(*ctx->hot.ip_other)++;
		break;
	}
}

/* Ethernet pads short frames with zeros; anything else after the IP
 * datagram is data the sender's stack did not put there (or an FCS: four
 * bytes alone are taken as one and not reported). */
static void
check_trailer(struct cx_ctx *ctx, const struct cx_packet *p)
{
	bool nonzero = false;
	for (uint32_t i = 0; i < p->trailer_len && !nonzero; i++)
		nonzero = p->trailer[i] != 0;
	if (!nonzero || p->trailer_len == 4)
		return;
	cx_stats_add(ctx->stats, "proto.trailer_data", 1);
	char text[200];
	size_t o = 0;
	for (uint32_t i = 0; i < p->trailer_len && o + 1 < sizeof(text); i++) {
		uint8_t c = p->trailer[i];
		text[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	text[o] = '\0';
	cx_findings_add(ctx->findings, CX_SEV_MEDIUM, "hidden.ethernet_trailer", p->frame,
			"%u bytes after the IP datagram inside the Ethernet frame (not zero padding): \"%s\"",
			p->trailer_len, text);
}

/* Ticks fall on whole seconds of their clock, not a second after the
 * previous tick: so a shard that starts reading in the middle of a
 * capture ticks on the same frames as the single pass does. */
static int64_t
next_second(int64_t t)
{
	int64_t s = t / 1000000000LL;
	if (t < 0 && t % 1000000000LL)
		s--;
	return (s + 1) * 1000000000LL;
}

static void
tick(struct cx_ctx *ctx, int64_t now)
{
	cx_defrag_tick(ctx->defrag, now);
	cx_tcp_tick(ctx->tcp, now);
	cx_media_tick(ctx->media, now);
}

/* The lifecycle clock (see ctx.h) and its tick: calls that ended are
 * finished and written out. */
static void
life_advance(struct cx_ctx *ctx, int64_t ts_ns)
{
	if (ctx->frames == 0 && !ctx->cfg->shard.on)
		ctx->life_prev_ts = ts_ns;
	ctx->life_ns += cx_life_step(ctx->life_prev_ts, ts_ns);
	ctx->life_prev_ts = ts_ns;
}

static void
life_tick(struct cx_ctx *ctx)
{
	if (ctx->life_ns >= ctx->next_life_tick) {
		cx_sip_tick(ctx->sip, ctx->life_ns);
		cx_media_life_tick(ctx->media, ctx->life_ns);
		ctx->next_life_tick = next_second(ctx->life_ns);
	}
}

static void frame(struct cx_ctx *ctx, int linktype, int64_t ts_ns, const uint8_t *data, uint32_t caplen,
		  uint32_t wirelen);

void
cx_ctx_frame(struct cx_ctx *ctx, int linktype, int64_t ts_ns, const uint8_t *data,
	     uint32_t caplen, uint32_t wirelen)
{
	/* the frame is stamped with its own time on the lifecycle clock, and
	 * the tick comes after it: the message that ends a quiet spell joins
	 * its dialog before the dialog could be finished */
	life_advance(ctx, ts_ns);
	/* the modules mark the frame with the calls it belongs to; it is
	 * appended to their captures after it, before a call can finish */
	cx_callpcap_begin(ctx->cpcap, ctx->frames + 1, linktype, ts_ns, data, caplen, wirelen);
	frame(ctx, linktype, ts_ns, data, caplen, wirelen);
	cx_callpcap_end(ctx->cpcap);
	life_tick(ctx);
}

static void
frame(struct cx_ctx *ctx, int linktype, int64_t ts_ns, const uint8_t *data, uint32_t caplen,
      uint32_t wirelen)
{
	struct cx_packet p;
	memset(&p, 0, sizeof(p));
	p.frame = ++ctx->frames;
	p.ts_ns = ts_ns;
	p.data = data;
	p.caplen = caplen;
	p.wirelen = wirelen;
	p.linktype = linktype;
	if (ctx->frames == 1 || (ctx->cfg->shard.on && ctx->frames == ctx->cfg->shard.frames_before + 1)) {
		if (!ctx->cfg->shard.on)
			ctx->first_ts_ns = ts_ns;
		ctx->next_tick_ns = next_second(ts_ns);
	}
	if (ts_ns > ctx->last_ts_ns)
		ctx->last_ts_ns = ts_ns;
	if (ts_ns >= ctx->next_tick_ns) {
		tick(ctx, ts_ns);
		ctx->next_tick_ns = next_second(ts_ns);
	}

	if (caplen < wirelen)
		(*ctx->hot.snaplen)++;

	const char *layer = NULL;
	int rc = cx_decode_frame(&p, &layer);
	if (p.ip_ver) {
		(*(p.ip_ver == 4 ? ctx->hot.ipv4 : ctx->hot.ipv6))++;
		if (p.has_mac)
			cx_names_add_mac(ctx->names, &p.src, p.mac_src);
	} else if (rc == CX_DEC_UNSUPPORTED) {
		(*ctx->hot.non_ip)++;
		return;
	}
	if (p.tunnel_depth)
		(*ctx->hot.tunnelled)++;
	if (rc == CX_DEC_FRAGMENT) {
		uint32_t len;
		cx_callpcap_fragment(ctx->cpcap, &p);
		const uint8_t *dg = cx_defrag_add(ctx->defrag, &p, &len);
		if (!dg)
			return;
		cx_callpcap_reassembled(ctx->cpcap, &p);
		struct cx_packet r = p;
		r.reassembled = true;
		r.trailer = NULL;
		r.trailer_len = 0;
		rc = cx_decode_ip(&r, dg, len, &layer);
		if (rc != CX_DEC_OK && rc != CX_DEC_TRUNCATED) {
			count_error(ctx, rc, layer);
			return;
		}
		cx_icmp_remember(ctx->icmp, &r);
		transport(ctx, &r);
		return;
	}
	if (rc != CX_DEC_OK) {
		count_error(ctx, rc, layer);
		if (rc != CX_DEC_TRUNCATED || p.l4 == CX_L4_NONE)
			return;
		/* A snaplen-cut datagram still has usable headers: go on with what is there. */
	}
	if (p.trailer_len)
		check_trailer(ctx, &p);
	if (p.ip_ver)
		cx_icmp_remember(ctx->icmp, &p);
	transport(ctx, &p);
}
