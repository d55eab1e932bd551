#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callextract/ctx.h"
#include "callextract/outdir.h"
#include "callextract/wrap.h"
#include "fuzz_common.h"
#include "fuzz_tmp.h"

struct cxf_state {
	int init;
	char dir[64];
	struct cx_config cfg;
	unsigned long count;
	struct cx_outdir *out;
};

/* The harness's own process-wide state (libFuzzer calls in with nothing
 * else): one output dir and config for the whole run. */
static struct cxf_state st;

struct cx_ctx *
cxf_open(void)
{
	if (!st.init) {
		cx_global_init();
		/* tmpfs when there is one: every input opens a dozen files */
		snprintf(st.dir, sizeof(st.dir), "%s/cxfuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(st.dir))
			return NULL;
		cxf_remove_at_exit(st.dir);
		cx_config_defaults(&st.cfg);
		st.cfg.outdir = st.dir;
		st.cfg.force = true;
		st.cfg.verbosity = -1;
		st.cfg.threads = 1;
		st.init = 1;
	}
	const char *why;
	if (cx_outdir_open(&st.out, st.dir, 1, &why) < 0)
		return NULL;
	struct cx_ctx *ctx;
	if (cx_ctx_new(&ctx, &st.cfg, st.out) < 0) {
		cx_outdir_close(st.out);
		return NULL;
	}
	return ctx;
}

void
cxf_close(struct cx_ctx *ctx)
{
	if ((++st.count & 63) == 0)
		cx_ctx_finish(ctx, NULL);
	cx_ctx_free(ctx);
	cx_outdir_close(st.out);
}

int
cxf_next(const uint8_t **data, size_t *size, const uint8_t **rec, size_t *len)
{
	if (!*data)
		return 0;
	const uint8_t *d = *data;
	size_t n = *size;
	const uint8_t *sep = memmem(d, n, CXF_SEP, CXF_SEP_LEN);
	*rec = d;
	if (sep) {
		*len = (size_t)(sep - d);
		*data = sep + CXF_SEP_LEN;
		*size = n - *len - CXF_SEP_LEN;
	} else {
		*len = n;
		*data = NULL;
		*size = 0;
	}
	return 1;
}

uint8_t *
cxf_copy(const uint8_t *d, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (c && n)
		memcpy(c, d, n);
	return c;
}

static void
addr(struct cx_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 10;
	a->a[3] = last;
}

struct cx_tcp_conn *
cxf_conn(uint16_t cport, uint16_t sport)
{
	struct cx_tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = 1;
	addr(&c->addr[0], 1);
	addr(&c->addr[1], 2);
	c->port[0] = cport;
	c->port[1] = sport;
	c->first_frame = c->last_frame = 1;
	c->first_ts_ns = c->last_ts_ns = 1000000000LL;
	c->saw_syn = true;
	return c;
}

void
cxf_udp(struct cx_packet *p, int dir, uint16_t cport, uint16_t sport, uint64_t frame,
	const uint8_t *d, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->frame = frame;
	p->ts_ns = 1000000000LL + (int64_t)frame * 20000000LL;
	p->data = p->payload = d;
	p->caplen = p->wirelen = p->payload_len = (uint32_t)n;
	p->l3 = d;
	p->l3_len = (uint32_t)n;
	p->linktype = 101;
	p->ip_ver = 4;
	addr(&p->src, dir ? 2 : 1);
	addr(&p->dst, dir ? 1 : 2);
	p->ttl = 64;
	p->ip_proto = 17;
	p->l4 = CX_L4_UDP;
	p->sport = dir ? sport : cport;
	p->dport = dir ? cport : sport;
}

int
cxf_wrap_stream(const uint8_t *data, size_t size, uint16_t sport, const struct cxf_wrap_ops *ops)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_tcp_conn *c = cxf_conn(40000, sport);
	if (!c) {
		cxf_close(ctx);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	bool mine = false;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		if ((rec[0] & 4) && ops->side) {
			ops->side(ctx->wrap, rec + 1, len - 1);
			continue;
		}
		int dir = rec[0] & 1;
		c->last_frame = ++frame;
		c->last_ts_ns += 20000000LL;
		uint8_t *d = cxf_copy(rec + 1, len - 1);
		if (!d)
			break;
		if (!mine && ops->looks_like(d, len - 1)) {
			mine = true;
			c->owner = ops->owner;
		}
		if (mine) {
			if (rec[0] & 2)
				ops->gap(ctx->wrap, c, dir, 100);
			if (len > 1)
				ops->data(ctx->wrap, c, dir, frame, c->last_ts_ns, d, len - 1);
		}
		free(d);
	}
	if (mine)
		ops->close(ctx->wrap, c);
	free(c);
	cx_wrap_finish(ctx->wrap);
	cxf_close(ctx);
	return 0;
}
