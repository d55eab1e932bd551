/* Fragment reassembly. Few datagrams are in flight in VoIP captures (big
 * INVITEs), so a small array searched linearly is enough; the caps bound
 * the worst case a hostile capture can cause. */
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "packet/defrag.h"

#define MAX_DATAGRAMS 256
#define MAX_DGRAM 65535u

struct piece {
	uint32_t off, len;
	uint8_t *data;
};

struct dgram {
	struct cx_addr src, dst;
	uint32_t id;
	uint8_t proto, ver;
	int64_t first_ts;
	uint8_t hdr[40];   /* IPv4 header (no options) or IPv6 fixed header */
	uint32_t hdr_len;
	bool have_first, have_last;
	uint32_t total;    /* payload length, known once the last fragment is seen */
	struct piece *pc;
	size_t npc;
	uint32_t held;
};

struct cx_defrag {
	struct dgram v[MAX_DATAGRAMS];
	size_t n;
	uint32_t max_bytes, held;
	int64_t timeout;
	struct cx_stats *stats;
	uint8_t *out;
};

struct cx_defrag *
cx_defrag_new(uint32_t max_bytes, int64_t timeout_ns, struct cx_stats *stats)
{
	struct cx_defrag *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->max_bytes = max_bytes;
	d->timeout = timeout_ns;
	d->stats = stats;
	d->out = malloc(40 + MAX_DGRAM);
	if (!d->out) {
		free(d);
		return NULL;
	}
	return d;
}

static void
drop(struct cx_defrag *d, size_t i)
{
	struct dgram *g = &d->v[i];
	for (size_t k = 0; k < g->npc; k++)
		free(g->pc[k].data);
	free(g->pc);
	d->held -= g->held;
	d->v[i] = d->v[--d->n];
}

void
cx_defrag_free(struct cx_defrag *d)
{
	if (!d)
		return;
	while (d->n)
		drop(d, d->n - 1);
	free(d->out);
	free(d);
}

uint32_t
cx_defrag_pending(const struct cx_defrag *d)
{
	return (uint32_t)d->n;
}

void
cx_defrag_tick(struct cx_defrag *d, int64_t now_ns)
{
	for (size_t i = 0; i < d->n;) {
		if (now_ns - d->v[i].first_ts > d->timeout) {
			cx_stats_add(d->stats, "error.defrag.timeout", 1);
			drop(d, i);
		} else {
			i++;
		}
	}
}

static int
cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

const uint8_t *
cx_defrag_add(struct cx_defrag *d, const struct cx_packet *p, uint32_t *len)
{
	cx_stats_add(d->stats, "defrag.fragments", 1);
	if (p->frag_data_off > p->l3_len) {
		cx_stats_add(d->stats, "error.defrag.malformed", 1);
		return NULL;
	}
	uint32_t flen = p->l3_len - p->frag_data_off;
	const uint8_t *fdata = p->l3 + p->frag_data_off;
	uint32_t room = p->ip_ver == 4 ? MAX_DGRAM - 20 : MAX_DGRAM;
	if ((uint64_t)p->frag_offset + flen > room || (p->frag_more && flen % 8)) {
		cx_stats_add(d->stats, "error.defrag.malformed", 1);
		return NULL;
	}
	struct dgram *g = NULL;
	for (size_t i = 0; i < d->n; i++) {
		struct dgram *c = &d->v[i];
		if (c->id == p->frag_id && c->proto == p->ip_proto && cx_addr_eq(&c->src, &p->src) &&
		    cx_addr_eq(&c->dst, &p->dst)) {
			g = c;
			break;
		}
	}
	if (!g) {
		if (d->n == MAX_DATAGRAMS) {
			cx_stats_add(d->stats, "error.defrag.too_many", 1);
			drop(d, 0);
		}
		g = &d->v[d->n++];
		memset(g, 0, sizeof(*g));
		g->src = p->src;
		g->dst = p->dst;
		g->id = p->frag_id;
		g->proto = p->ip_proto;
		g->ver = p->ip_ver;
		g->first_ts = p->ts_ns;
	}
	if (d->held + flen > d->max_bytes) {
		cx_stats_add(d->stats, "error.defrag.memory", 1);
		drop(d, (size_t)(g - d->v));
		return NULL;
	}
	struct piece *np = realloc(g->pc, (g->npc + 1) * sizeof(*np));
	if (!np)
		return NULL;
	g->pc = np;
	uint8_t *copy = malloc(flen ? flen : 1);
	if (!copy)
		return NULL;
	memcpy(copy, fdata, flen);
	g->pc[g->npc++] = (struct piece){ p->frag_offset, flen, copy };
	g->held += flen;
	d->held += flen;
	if (p->frag_offset == 0) {
		g->have_first = true;
		if (p->ip_ver == 4) {
			memcpy(g->hdr, p->l3, 20);
			g->hdr_len = 20;
		} else {
			memcpy(g->hdr, p->l3, 40);
			g->hdr[6] = p->frag_next;
			g->hdr_len = 40;
		}
	}
	if (!p->frag_more) {
		g->have_last = true;
		g->total = p->frag_offset + flen;
	}
	if (!g->have_first || !g->have_last)
		return NULL;
	/* Complete when the pieces cover [0, total) without a hole. */
	qsort(g->pc, g->npc, sizeof(*g->pc), cmp_piece);
	uint32_t covered = 0;
	for (size_t k = 0; k < g->npc; k++) {
		if (g->pc[k].off > covered)
			return NULL;
		if (g->pc[k].off < covered)
			cx_stats_add(d->stats, "defrag.overlaps", 1);
		if (g->pc[k].off + g->pc[k].len > covered)
			covered = g->pc[k].off + g->pc[k].len;
	}
	if (covered < g->total)
		return NULL;
	uint8_t *o = d->out;
	memcpy(o, g->hdr, g->hdr_len);
	uint8_t *body = o + g->hdr_len;
	/* Later pieces first so that the earliest copy of an overlap wins. */
	for (size_t k = g->npc; k-- > 0;) {
		uint32_t n = g->pc[k].len;
		if (g->pc[k].off + n > g->total)
			n = g->total - g->pc[k].off;
		memcpy(body + g->pc[k].off, g->pc[k].data, n);
	}
	if (g->ver == 4) {
		uint32_t tot = 20 + g->total;
		o[0] = 0x45;
		o[2] = (uint8_t)(tot >> 8);
		o[3] = (uint8_t)tot;
		o[6] = o[7] = 0;
	} else {
		o[4] = (uint8_t)(g->total >> 8);
		o[5] = (uint8_t)g->total;
	}
	*len = g->hdr_len + g->total;
	if (*len > 40 + MAX_DGRAM)
		*len = 40 + MAX_DGRAM;
	cx_stats_add(d->stats, "defrag.reassembled", 1);
	drop(d, (size_t)(g - d->v));
	return o;
}
