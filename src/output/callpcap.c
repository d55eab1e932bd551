/* Per-call captures (see callpcap.h). Records are built here and appended
 * through the writers' queue, one write per record (header and bytes
 * together), so a file always ends on a whole record once its queue is
 * written. Timestamps are kept to the nanosecond: pcap with the nanosecond
 * magic (a1b23c4d), pcapng with if_tsresol 9. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "callextract/packet.h"
#include "output/callpcap.h"
#include "output/writers.h"

#define CALL_BUCKETS 4096u
#define MAX_MARKS 8           /* calls one frame is appended to */
#define MAX_WRITTEN 8         /* calls a held frame remembers being written to */
#define MAX_NG_IFS 16         /* link types in one call's pcapng */
#define FRAG_SLOTS 64         /* datagrams whose fragments are held */
#define FRAG_FRAMES 16        /* fragments held per datagram */
#define PEND_FRAMES 64        /* frames kept per stream before its SDP (> 1 s of 20 ms audio) */
#define PEND_BYTES (64u << 10)
#define PEND_TOTAL (16u << 20) /* all streams together */
#define DEFAULT_SNAPLEN 262144u
#define TAIL_CAP (16u << 10)  /* records held back per call, to keep them in frame order */
#define TAIL_KEEP (8u << 10)  /* what a full tail keeps after writing out */

struct cx_cp_frame {
	int refs;
	bool current;            /* the frame being processed: written by end() */
	uint8_t nwritten;
	uint32_t written[MAX_WRITTEN];
	uint64_t frame;
	int linktype;
	int64_t ts_ns;
	uint32_t caplen, wirelen;
	uint8_t data[];
};

struct cpcall {
	uint32_t call;
	struct cx_writer *w;
	bool started;            /* file header written */
	bool has_lt;
	int linktype;            /* pcap: the file's link type */
	uint8_t *tail;           /* records kept back so that a late one still
				    lands in frame order (see tail_insert) */
	size_t ntail;
	uint64_t tail_max;       /* highest frame number in the tail */
	uint64_t flushed;        /* highest frame number written out */
	int ng_lt[MAX_NG_IFS];   /* pcapng: interface i has link type ng_lt[i] */
	size_t n_ng;
	struct cpcall *next;
};

struct frag_slot {
	bool used;
	uint8_t ver, proto;
	uint32_t id;
	struct cx_addr src, dst;
	struct cx_cp_frame *f[FRAG_FRAMES];
	size_t n;
};

struct cx_cp_pend {
	struct cx_cp_frame *f[PEND_FRAMES];
	size_t head, n, bytes;
};

struct cx_callpcap {
	struct cx_ctx *ctx;
	struct cx_writers *w;
	bool ng;                 /* inputs of several link types: pcapng */
	uint32_t snaplen;
	/* the frame being processed */
	bool in_frame;
	uint64_t frame;
	int linktype;
	int64_t ts_ns;
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint32_t marks[MAX_MARKS];
	size_t nmarks;
	struct cx_cp_frame *cur;     /* its held copy, if someone holds it */
	struct cx_cp_frame *source;  /* a queued TCP segment being delivered */
	const struct cx_cp_spans *carry; /* a wrapped message's stream (cx_callpcap_carry) */
	uint64_t carry_from;
	const struct cx_cp_spans *carry_out; /* the carry a nested one replaced (TLS under WS) */
	uint64_t carry_out_from;
	struct cx_cp_frame *comp[FRAG_FRAMES]; /* fragments that came before it */
	size_t ncomp;
	struct cpcall *calls[CALL_BUCKETS];
	struct frag_slot frags[FRAG_SLOTS];
	size_t frag_next;        /* slot given to the next new datagram */
	size_t pend_total;
	uint64_t *n_frames, *n_unplaced, *n_mismatch, *n_dropped, *n_late;
};

struct cx_callpcap *
cx_callpcap_new(struct cx_ctx *ctx, struct cx_writers *w)
{
	struct cx_callpcap *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return NULL;
	cp->ctx = ctx;
	cp->w = w;
	cp->snaplen = DEFAULT_SNAPLEN;
	cp->n_frames = cx_stats_counter(ctx->stats, "call_pcap.frames");
	cp->n_unplaced = cx_stats_counter(ctx->stats, "call_pcap.unplaced");
	cp->n_mismatch = cx_stats_counter(ctx->stats, "call_pcap.other_link_type");
	cp->n_dropped = cx_stats_counter(ctx->stats, "call_pcap.not_kept");
	cp->n_late = cp->n_dropped ? cx_stats_counter(ctx->stats, "call_pcap.out_of_order") : NULL;
	if (!w || !cp->n_frames || !cp->n_unplaced || !cp->n_mismatch || !cp->n_dropped || !cp->n_late) {
		free(cp);
		return NULL;
	}
	return cp;
}

void
cx_cp_frame_put(struct cx_cp_frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}

static void
frag_clear(struct frag_slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		cx_cp_frame_put(s->f[i]);
	s->n = 0;
	s->used = false;
}

static int tail_flush(struct cx_callpcap *cp, struct cpcall *c, size_t keep);

void
cx_callpcap_free(struct cx_callpcap *cp)
{
	if (!cp)
		return;
	for (size_t i = 0; i < CALL_BUCKETS; i++) {
		for (struct cpcall *c = cp->calls[i], *n; c; c = n) {
			n = c->next;
			tail_flush(cp, c, 0);
			cx_writer_free(cp->w, c->w);
			free(c->tail);
			free(c);
		}
	}
	for (size_t i = 0; i < FRAG_SLOTS; i++)
		frag_clear(&cp->frags[i]);
	for (size_t i = 0; i < cp->ncomp; i++)
		cx_cp_frame_put(cp->comp[i]);
	cx_cp_frame_put(cp->cur);
	free(cp);
}

void
cx_callpcap_inputs(struct cx_callpcap *cp, bool pcapng, uint32_t snaplen)
{
	if (!cp)
		return;
	cp->ng = pcapng;
	if (snaplen)
		cp->snaplen = snaplen;
}

/* ---- calls ---- */

static struct cpcall **
call_slot(struct cx_callpcap *cp, uint32_t call)
{
	struct cpcall **pp = &cp->calls[call % CALL_BUCKETS];
	while (*pp && (*pp)->call != call)
		pp = &(*pp)->next;
	return pp;
}

void
cx_callpcap_call_open(struct cx_callpcap *cp, uint32_t call, const char *dir)
{
	if (!cp || !call || *call_slot(cp, call))
		return;
	char path[256];
	if ((size_t)snprintf(path, sizeof(path), "%s/call.%s", dir, cp->ng ? "pcapng" : "pcap") >= sizeof(path))
		return;
	struct cpcall *c = calloc(1, sizeof(*c));
	if (!c || !(c->w = cx_writer_new(cp->w, path, CX_WRITER_RAW, 1))) {
		free(c);
		return;
	}
	c->call = call;
	c->next = cp->calls[call % CALL_BUCKETS];
	cp->calls[call % CALL_BUCKETS] = c;
}

void
cx_callpcap_call_close(struct cx_callpcap *cp, uint32_t call)
{
	if (!cp)
		return;
	struct cpcall **pp = call_slot(cp, call), *c = *pp;
	if (!c)
		return;
	*pp = c->next;
	tail_flush(cp, c, 0);
	cx_writer_free(cp->w, c->w); /* queued behind its records: closed when they are written */
	free(c->tail);
	free(c);
}

/* ---- records ---- */

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The tail: records not yet handed to the writer, in frame order, each
 * prefixed with [frame number: 8][length: 4]. When it outgrows TAIL_CAP
 * the oldest are written until TAIL_KEEP is left. */
#define TAIL_PFX 12

static int
tail_flush(struct cx_callpcap *cp, struct cpcall *c, size_t keep)
{
	size_t o = 0, out = 0;
	uint8_t *b = c->tail;
	size_t hdr = c->started ? 0 : (cp->ng ? 28 : 24);
	/* records are packed in place over their prefixes: the header first */
	uint8_t *w = malloc(hdr + c->ntail);
	if (!w)
		return -1;
	if (!c->started && cp->ng) {
		le32(w, 0x0a0d0d0a); /* Section Header Block */
		le32(w + 4, 28);
		le32(w + 8, 0x1a2b3c4d);
		le16(w + 12, 1);
		le16(w + 14, 0);
		le32(w + 16, 0xffffffffu); /* section length unknown */
		le32(w + 20, 0xffffffffu);
		le32(w + 24, 28);
	} else if (!c->started) {
		le32(w, 0xa1b23c4d); /* pcap, nanosecond timestamps */
		le16(w + 4, 2);
		le16(w + 6, 4);
		le32(w + 8, 0);
		le32(w + 12, 0);
		le32(w + 16, cp->snaplen);
		le32(w + 20, (uint32_t)c->linktype);
	}
	out = hdr;
	uint64_t last = c->flushed;
	while (o < c->ntail && c->ntail - o > keep) {
		uint32_t len = rd32(b + o + 8);
		uint64_t fr = rd64(b + o);
		memcpy(w + out, b + o + TAIL_PFX, len);
		out += len;
		if (fr > last)
			last = fr;
		o += TAIL_PFX + len;
	}
	int rc = 0;
	if (out && cx_writer_write(cp->w, c->w, w, out) == 0) {
		c->started = true;
		c->flushed = last;
	} else if (out) {
		rc = -1;
	}
	free(w);
	if (c->ntail > o) /* b is NULL when nothing was ever kept back */
		memmove(b, b + o, c->ntail - o);
	c->ntail -= o;
	return rc;
}

/* Inserts a record at its place by frame number (after records of the
 * same number: 0 is the pcapng interface blocks, which keep their order). */
static void
tail_insert(struct cx_callpcap *cp, struct cpcall *c, uint64_t frame, const uint8_t *rec, size_t len)
{
	if (c->ntail + TAIL_PFX + len > TAIL_CAP)
		tail_flush(cp, c, TAIL_KEEP);
	if (c->ntail + TAIL_PFX + len > TAIL_CAP)
		tail_flush(cp, c, 0); /* a record bigger than what is kept */
	if (!c->tail && !(c->tail = malloc(TAIL_CAP)))
		return;
	size_t need = TAIL_PFX + len;
	if (need > TAIL_CAP) {
		/* bigger than the tail (jumbo frame): straight to the writer */
		size_t keep = c->ntail;
		uint8_t *nb = realloc(c->tail, keep + need);
		if (!nb)
			return;
		c->tail = nb;
		le64(nb + keep, frame);
		le32(nb + keep + 8, (uint32_t)len);
		memcpy(nb + keep + TAIL_PFX, rec, len);
		c->ntail += need;
		(*cp->n_frames)++;
		tail_flush(cp, c, 0);
		if ((nb = realloc(c->tail, TAIL_CAP)))
			c->tail = nb;
		return;
	}
	if (frame && frame <= c->flushed)
		(*cp->n_late)++; /* its place was written out already: it goes after */
	size_t o = 0;
	if (frame && c->ntail && frame > c->tail_max)
		o = c->ntail; /* the usual case, frames in order: no scan */
	while (o < c->ntail) {
		uint64_t fr = rd64(c->tail + o);
		if (frame && fr == frame)
			return; /* there already */
		if (fr > frame)
			break;
		o += TAIL_PFX + rd32(c->tail + o + 8);
	}
	memmove(c->tail + o + need, c->tail + o, c->ntail - o);
	le64(c->tail + o, frame);
	le32(c->tail + o + 8, (uint32_t)len);
	memcpy(c->tail + o + TAIL_PFX, rec, len);
	c->ntail += need;
	if (frame > c->tail_max)
		c->tail_max = frame;
	(*cp->n_frames) += frame != 0;
}

/* The pcapng interface of link type lt in this call's file; its
 * description block goes before every record still in the tail. */
static int
ng_iface(struct cx_callpcap *cp, struct cpcall *c, int lt)
{
	for (size_t i = 0; i < c->n_ng; i++)
		if (c->ng_lt[i] == lt)
			return (int)i;
	if (c->n_ng >= MAX_NG_IFS)
		return -1;
	c->ng_lt[c->n_ng] = lt;
	uint8_t p[32];
	le32(p, 1);             /* Interface Description Block */
	le32(p + 4, 32);
	le16(p + 8, (uint16_t)lt);
	le16(p + 10, 0);
	le32(p + 12, cp->snaplen);
	le16(p + 16, 9);        /* if_tsresol: 10^-9 s */
	le16(p + 18, 1);
	p[20] = 9;
	p[21] = p[22] = p[23] = 0;
	le32(p + 24, 0);        /* opt_endofopt */
	le32(p + 28, 32);
	tail_insert(cp, c, 0, p, sizeof(p));
	return (int)(c->n_ng++);
}

static void
write_frame(struct cx_callpcap *cp, uint32_t call, uint64_t frame, int lt, int64_t ts_ns,
	    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	struct cpcall *c = *call_slot(cp, call);
	if (!c)
		return;
	uint8_t stackbuf[32 + 2048];
	size_t need = 32 + (size_t)caplen + 4;
	uint8_t *b = need <= sizeof(stackbuf) ? stackbuf : malloc(need);
	if (!b)
		return;
	size_t o = 0;
	uint64_t t = ts_ns > 0 ? (uint64_t)ts_ns : 0;
	if (!cp->ng) {
		if (!c->has_lt) {
			c->linktype = lt;
			c->has_lt = true;
		} else if (lt != c->linktype) {
			(*cp->n_mismatch)++; /* a link type the inputs did not announce */
			goto out;
		}
		le32(b, (uint32_t)(t / 1000000000u));
		le32(b + 4, (uint32_t)(t % 1000000000u));
		le32(b + 8, caplen);
		le32(b + 12, wirelen);
		memcpy(b + 16, data, caplen);
		o = 16 + caplen;
	} else {
		int ifc = ng_iface(cp, c, lt);
		if (ifc < 0) {
			(*cp->n_mismatch)++; /* more link types than interfaces kept */
			goto out;
		}
		uint32_t pad = (4 - caplen % 4) % 4, len = 32 + caplen + pad;
		le32(b, 6); /* Enhanced Packet Block */
		le32(b + 4, len);
		le32(b + 8, (uint32_t)ifc);
		le32(b + 12, (uint32_t)(t >> 32));
		le32(b + 16, (uint32_t)t);
		le32(b + 20, caplen);
		le32(b + 24, wirelen);
		memcpy(b + 28, data, caplen);
		memset(b + 28 + caplen, 0, pad);
		le32(b + 28 + caplen + pad, len);
		o = len;
	}
	tail_insert(cp, c, frame, b, o);
out:
	if (b != stackbuf)
		free(b);
}

/* ---- the frame being processed ---- */

void
cx_callpcap_begin(struct cx_callpcap *cp, uint64_t frame, int linktype, int64_t ts_ns,
		  const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	if (!cp)
		return;
	cp->in_frame = true;
	cp->frame = frame;
	cp->linktype = linktype;
	cp->ts_ns = ts_ns;
	cp->data = data;
	cp->caplen = caplen;
	cp->wirelen = wirelen;
	cp->nmarks = 0;
}

static void mark_current(struct cx_callpcap *cp, uint32_t call);
static bool was_written(const struct cx_cp_frame *f, uint32_t call);

void
cx_callpcap_mark(struct cx_callpcap *cp, uint32_t call)
{
	if (!cp || !cp->in_frame || !call)
		return;
	mark_current(cp, call);
	/* a wrapped message: the earlier segments that carried it too */
	const struct cx_cp_spans *sp = cp->carry;
	for (size_t i = 0; sp && i < sp->n; i++) {
		struct cx_cp_frame *f = sp->s[i].f;
		if (sp->s[i].end <= cp->carry_from || !f || f->current || was_written(f, call))
			continue;
		if (f->nwritten < MAX_WRITTEN)
			f->written[f->nwritten++] = call;
		write_frame(cp, call, f->frame, f->linktype, f->ts_ns, f->data, f->caplen, f->wirelen);
	}
}

static void
mark_current(struct cx_callpcap *cp, uint32_t call)
{
	for (size_t i = 0; i < cp->nmarks; i++)
		if (cp->marks[i] == call)
			return;
	if (cp->nmarks < MAX_MARKS)
		cp->marks[cp->nmarks++] = call;
	else
		(*cp->n_dropped)++;
}

static bool
was_written(const struct cx_cp_frame *f, uint32_t call)
{
	for (size_t i = 0; i < f->nwritten; i++)
		if (f->written[i] == call)
			return true;
	return false;
}

void
cx_callpcap_mark_held(struct cx_callpcap *cp, struct cx_cp_frame *f, uint32_t call)
{
	if (!cp || !f || !call)
		return;
	if (f->current) {
		if (cp->in_frame)
			mark_current(cp, call);
		return;
	}
	if (was_written(f, call))
		return;
	if (f->nwritten < MAX_WRITTEN)
		f->written[f->nwritten++] = call;
	write_frame(cp, call, f->frame, f->linktype, f->ts_ns, f->data, f->caplen, f->wirelen);
}

void
cx_callpcap_end(struct cx_callpcap *cp)
{
	if (!cp || !cp->in_frame)
		return;
	for (size_t i = 0; i < cp->nmarks; i++) {
		/* the fragments before it first, in the order they came */
		for (size_t k = 0; k < cp->ncomp; k++)
			cx_callpcap_mark_held(cp, cp->comp[k], cp->marks[i]);
		write_frame(cp, cp->marks[i], cp->frame, cp->linktype, cp->ts_ns, cp->data, cp->caplen, cp->wirelen);
	}
	for (size_t k = 0; k < cp->ncomp; k++)
		cx_cp_frame_put(cp->comp[k]);
	cp->ncomp = 0;
	if (cp->cur) {
		/* held beyond its frame: it remembers where it went already */
		struct cx_cp_frame *f = cp->cur;
		f->current = false;
		for (size_t i = 0; i < cp->nmarks && f->nwritten < MAX_WRITTEN; i++)
			f->written[f->nwritten++] = cp->marks[i];
		cx_cp_frame_put(f);
		cp->cur = NULL;
	}
	cp->nmarks = 0;
	cp->in_frame = false;
}

struct cx_cp_frame *
cx_callpcap_hold(struct cx_callpcap *cp)
{
	if (!cp)
		return NULL;
	if (cp->source) {
		cp->source->refs++;
		return cp->source;
	}
	if (!cp->in_frame)
		return NULL;
	if (!cp->cur) {
		struct cx_cp_frame *f = malloc(sizeof(*f) + cp->caplen);
		if (!f) {
			(*cp->n_dropped)++;
			return NULL;
		}
		memset(f, 0, sizeof(*f));
		f->refs = 1; /* the frame's own reference, given up by end() */
		f->current = true;
		f->frame = cp->frame;
		f->linktype = cp->linktype;
		f->ts_ns = cp->ts_ns;
		f->caplen = cp->caplen;
		f->wirelen = cp->wirelen;
		memcpy(f->data, cp->data, cp->caplen);
		cp->cur = f;
	}
	cp->cur->refs++;
	return cp->cur;
}

void
cx_callpcap_source(struct cx_callpcap *cp, struct cx_cp_frame *f)
{
	if (cp)
		cp->source = f;
}

void
cx_callpcap_mark_source(struct cx_callpcap *cp, uint32_t call)
{
	if (!cp)
		return;
	if (cp->source)
		cx_callpcap_mark_held(cp, cp->source, call);
	else
		cx_callpcap_mark(cp, call);
}

void
cx_cp_spans_add(struct cx_callpcap *cp, struct cx_cp_spans *sp, size_t n)
{
	sp->total += n;
	if (!cp || !n)
		return;
	struct cx_cp_frame *f = cp->source ? cp->source : cp->cur;
	if (sp->n && f && sp->s[sp->n - 1].f == f) {
		sp->s[sp->n - 1].end = sp->total; /* the same frame again */
		return;
	}
	/* bytes unwrapped from an outer stream (TLS records across segments):
	 * every frame that carried them, all ending here */
	struct cx_cp_frame *outer[CX_CP_SPANS];
	size_t no = cp->carry && cp->carry != sp ? cx_callpcap_carried(cp, outer, CX_CP_SPANS) : 0;
	for (size_t i = 0; i <= no; i++) {
		struct cx_cp_frame *g = i < no ? outer[i] : NULL;
		if (sp->n == CX_CP_SPANS) {
			/* pathological segmenting: the bytes go with the last frame kept */
			sp->s[sp->n - 1].end = sp->total;
			(*cp->n_dropped)++;
			cx_cp_frame_put(g);
			continue;
		}
		sp->s[sp->n].f = i < no ? g : cx_callpcap_hold(cp);
		sp->s[sp->n++].end = sp->total;
	}
}

size_t
cx_callpcap_carried(struct cx_callpcap *cp, struct cx_cp_frame **out, size_t max)
{
	if (!cp || !cp->carry)
		return 0;
	const struct cx_cp_spans *sp = cp->carry;
	struct cx_cp_frame *self = cp->source ? cp->source : cp->cur;
	size_t n = 0;
	for (size_t i = 0; i < sp->n && n < max; i++) {
		struct cx_cp_frame *f = sp->s[i].f;
		if (sp->s[i].end <= cp->carry_from || !f || f->current || f == self)
			continue;
		f->refs++;
		out[n++] = f;
	}
	return n;
}

void
cx_cp_spans_release(struct cx_cp_spans *sp, uint64_t upto)
{
	size_t k = 0;
	for (size_t i = 0; i < sp->n; i++) {
		if (sp->s[i].end <= upto) {
			cx_cp_frame_put(sp->s[i].f);
			continue;
		}
		sp->s[k++] = sp->s[i];
	}
	sp->n = k;
}

void
cx_cp_spans_free(struct cx_cp_spans *sp)
{
	cx_cp_spans_release(sp, UINT64_MAX);
}

void
cx_callpcap_carry(struct cx_callpcap *cp, const struct cx_cp_spans *sp, uint64_t from)
{
	if (!cp)
		return;
	cp->carry_out = cp->carry;
	cp->carry_out_from = cp->carry_from;
	cp->carry = sp;
	cp->carry_from = from;
}

void
cx_callpcap_carry_end(struct cx_callpcap *cp)
{
	if (!cp)
		return;
	cp->carry = cp->carry_out;
	cp->carry_from = cp->carry_out_from;
	cp->carry_out = NULL;
}

/* ---- IP fragments ---- */

static struct frag_slot *
frag_find(struct cx_callpcap *cp, const struct cx_packet *p)
{
	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *s = &cp->frags[i];
		if (s->used && s->id == p->frag_id && s->proto == p->ip_proto && s->ver == p->ip_ver &&
		    cx_addr_eq(&s->src, &p->src) && cx_addr_eq(&s->dst, &p->dst))
			return s;
	}
	return NULL;
}

void
cx_callpcap_fragment(struct cx_callpcap *cp, const struct cx_packet *p)
{
	if (!cp || !cp->in_frame)
		return;
	struct frag_slot *s = frag_find(cp, p);
	if (!s) {
		/* round robin: the datagram held longest gives way */
		s = &cp->frags[cp->frag_next];
		cp->frag_next = (cp->frag_next + 1) % FRAG_SLOTS;
		frag_clear(s);
		s->used = true;
		s->id = p->frag_id;
		s->proto = p->ip_proto;
		s->ver = p->ip_ver;
		s->src = p->src;
		s->dst = p->dst;
	}
	if (s->n >= FRAG_FRAMES)
		return;
	struct cx_cp_frame *f = cx_callpcap_hold(cp);
	if (f)
		s->f[s->n++] = f;
}

void
cx_callpcap_reassembled(struct cx_callpcap *cp, const struct cx_packet *p)
{
	if (!cp || !cp->in_frame)
		return;
	struct frag_slot *s = frag_find(cp, p);
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->f[i]->current && cp->ncomp < FRAG_FRAMES) {
			cp->comp[cp->ncomp++] = s->f[i];
			s->f[i] = NULL;
		}
	}
	for (size_t i = 0; i < s->n; i++)
		cx_cp_frame_put(s->f[i]);
	s->n = 0;
	s->used = false;
}

/* ---- media before its SDP ---- */

static void
pend_pop(struct cx_callpcap *cp, struct cx_cp_pend *q, uint32_t call)
{
	struct cx_cp_frame *f = q->f[q->head];
	q->head = (q->head + 1) % PEND_FRAMES;
	q->n--;
	q->bytes -= f->caplen;
	if (cp) {
		cp->pend_total -= f->caplen;
		if (call)
			cx_callpcap_mark_held(cp, f, call);
		else
			(*cp->n_unplaced)++;
	}
	cx_cp_frame_put(f);
}

void
cx_callpcap_pend(struct cx_callpcap *cp, struct cx_cp_pend **pp)
{
	if (!cp || !cp->in_frame)
		return;
	struct cx_cp_pend *q = *pp;
	if (!q && !(q = *pp = calloc(1, sizeof(*q)))) {
		(*cp->n_unplaced)++;
		return;
	}
	/* a full buffer keeps the newest: the frames next to the SDP */
	while (q->n && (q->n == PEND_FRAMES || q->bytes + cp->caplen > PEND_BYTES ||
			cp->pend_total + cp->caplen > PEND_TOTAL))
		pend_pop(cp, q, 0);
	if (cp->pend_total + cp->caplen > PEND_TOTAL || cp->caplen > PEND_BYTES) {
		(*cp->n_unplaced)++;
		return;
	}
	struct cx_cp_frame *f = cx_callpcap_hold(cp);
	if (!f) {
		(*cp->n_unplaced)++;
		return;
	}
	q->f[(q->head + q->n) % PEND_FRAMES] = f;
	q->n++;
	q->bytes += f->caplen;
	cp->pend_total += f->caplen;
}

void
cx_callpcap_place(struct cx_callpcap *cp, struct cx_cp_pend **pp, uint32_t call)
{
	if (!*pp)
		return;
	while ((*pp)->n)
		pend_pop(cp, *pp, call);
	free(*pp);
	*pp = NULL;
}

void
cx_callpcap_drop(struct cx_callpcap *cp, struct cx_cp_pend **pp)
{
	if (!*pp)
		return;
	cx_callpcap_place(cp, pp, 0);
}

int64_t
cx_callpcap_pend_first(const struct cx_cp_pend *q)
{
	return q && q->n ? q->f[q->head]->ts_ns : 0;
}
