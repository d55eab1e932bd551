/* Our own pcapng reader (draft-ietf-opsawg-pcapng), used only when libpcap
 * refuses a file: libpcap 1.10 rejects interfaces whose link types differ.
 * Blocks are read whole into a buffer and parsed with struct cx_cur. */
#include <stdlib.h>
#include <string.h>
#include "callextract/cursor.h"
#include "capture/pcapng.h"

#define MAX_BLOCK (64u << 20)
#define MAX_IF 256

struct iface {
	int linktype;
	uint64_t units_per_sec; /* from if_tsresol, default 10^6 */
	int64_t offset_s;       /* if_tsoffset */
};

struct cx_pcapng {
	FILE *f;
	bool swap;
	uint8_t *buf;
	size_t cap;
	uint64_t pos;           /* file offset of the next block */
	struct iface ifs[MAX_IF];
	size_t nif;
};

static uint32_t
rd32(const struct cx_pcapng *r, struct cx_cur *c)
{
	return r->swap ? cx_get_le32(c) : cx_get_be32(c);
}

static uint16_t
rd16(const struct cx_pcapng *r, struct cx_cur *c)
{
	return r->swap ? cx_get_le16(c) : cx_get_be16(c);
}

/* Reads a block's header: 8 bytes, 12 for a section header (whose
 * byte-order magic sets r->swap). *already: bytes of the body read with
 * it. Returns the block type, 0 at a clean end, -1 on damage. */
static int64_t
read_header(struct cx_pcapng *r, uint8_t hdr[12], uint32_t *len, size_t *already, char *err, size_t n)
{
	size_t got = fread(hdr, 1, 8, r->f);
	if (got == 0)
		return 0;
	if (got < 8) {
		snprintf(err, n, "pcapng: block header cut at byte %llu", (unsigned long long)r->pos);
		return -1;
	}
	uint32_t type = 0;
	if (hdr[0] == 0x0a && hdr[1] == 0x0d && hdr[2] == 0x0d && hdr[3] == 0x0a) {
		/* Section header: its byte-order magic decides the endianness. */
		if (fread(hdr + 8, 1, 4, r->f) != 4) {
			snprintf(err, n, "pcapng: section header cut at byte %llu", (unsigned long long)r->pos);
			return -1;
		}
		if (hdr[8] == 0x1a && hdr[9] == 0x2b)
			r->swap = false;
		else if (hdr[8] == 0x4d && hdr[9] == 0x3c)
			r->swap = true;
		else {
			snprintf(err, n, "pcapng: bad byte-order magic at byte %llu", (unsigned long long)r->pos);
			return -1;
		}
		type = 0x0A0D0D0A;
	}
	struct cx_cur h = cx_cur_make(hdr, 8);
	if (!type)
		type = rd32(r, &h);
	else
		cx_skip(&h, 4);
	*len = rd32(r, &h);
	if (*len < 12 || *len % 4 || *len > MAX_BLOCK) {
		snprintf(err, n, "pcapng: block of absurd length %u at byte %llu", *len, (unsigned long long)r->pos);
		return -1;
	}
	*already = type == 0x0A0D0D0A ? 4 : 0;
	return type;
}

/* Reads one block; returns its type, 0 at a clean end, -1 on damage. */
static int64_t
read_block(struct cx_pcapng *r, struct cx_cur *body, char *err, size_t n)
{
	uint8_t hdr[12];
	uint32_t len;
	size_t already;
	int64_t type = read_header(r, hdr, &len, &already, err, n);
	if (type <= 0)
		return type;
	size_t rest = len - 8 - already;
	if (r->cap < len) {
		uint8_t *nb = realloc(r->buf, len);
		if (!nb) {
			snprintf(err, n, "pcapng: out of memory");
			return -1;
		}
		r->buf = nb;
		r->cap = len;
	}
	memcpy(r->buf, hdr + 8, already);
	if (fread(r->buf + already, 1, rest, r->f) != rest) {
		snprintf(err, n, "pcapng: block cut at byte %llu (file truncated)", (unsigned long long)r->pos);
		return -1;
	}
	/* trailing length must repeat the leading one */
	struct cx_cur t = cx_cur_make(r->buf + len - 12, 4);
	if (rd32(r, &t) != len) {
		snprintf(err, n, "pcapng: block lengths disagree at byte %llu", (unsigned long long)r->pos);
		return -1;
	}
	r->pos += len;
	*body = cx_cur_make(r->buf, len - 12);
	return type;
}

static void
parse_idb(struct cx_pcapng *r, struct cx_cur *c)
{
	if (r->nif >= MAX_IF)
		return;
	struct iface *i = &r->ifs[r->nif++];
	i->linktype = rd16(r, c);
	cx_skip(c, 2);
	cx_skip(c, 4); /* snaplen */
	i->units_per_sec = 1000000;
	i->offset_s = 0;
	while (cx_cur_left(c) >= 4) {
		uint16_t code = rd16(r, c), olen = rd16(r, c);
		struct cx_cur v = cx_take(c, olen);
		cx_skip(c, (4 - olen % 4) % 4);
		if (c->err || code == 0)
			break;
		if (code == 9 && olen >= 1) {
			uint8_t res = cx_get_u8(&v);
			uint64_t u = 1;
			if (res & 0x80) {
				for (int k = 0; k < (res & 0x7f) && k < 63; k++)
					u *= 2;
			} else {
				for (int k = 0; k < res && k < 19; k++)
					u *= 10;
			}
			i->units_per_sec = u ? u : 1000000;
		} else if (code == 14 && olen >= 8) {
			uint64_t hi = rd32(r, &v), lo = rd32(r, &v);
			i->offset_s = (int64_t)(r->swap ? (lo << 32 | hi) : (hi << 32 | lo));
		}
	}
}

int
cx_pcapng_open(struct cx_pcapng **out, FILE *f, char *err, size_t errlen)
{
	*out = NULL;
	struct cx_pcapng *r = calloc(1, sizeof(*r));
	if (!r) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->f = f;
	uint8_t m[4];
	if (fread(m, 1, 4, f) != 4 || m[0] != 0x0a || m[1] != 0x0d || m[2] != 0x0d || m[3] != 0x0a) {
		snprintf(err, errlen, "not a pcapng file");
		cx_pcapng_close(r);
		return -1;
	}
	rewind(f);
	*out = r;
	return 0;
}

static int64_t
to_ns(const struct iface *i, uint64_t ts)
{
	uint64_t u = i->units_per_sec;
	uint64_t sec = ts / u, frac = ts % u;
	int64_t ns = (int64_t)(u >= 1000000000ULL ? frac / (u / 1000000000ULL) : frac * (1000000000ULL / u));
	/* a damaged if_tsoffset or timestamp can overflow (fuzz-pcapng,
	 * tests/fuzz/regress/pcapng): saturate far off, with room for the
	 * differences the lifecycle takes */
	int64_t s, t;
	if (sec > (uint64_t)INT64_MAX || __builtin_add_overflow((int64_t)sec, i->offset_s, &s) ||
	    __builtin_mul_overflow(s, 1000000000LL, &t) || __builtin_add_overflow(t, ns, &t))
		return i->offset_s < 0 && sec <= (uint64_t)INT64_MAX ? -(INT64_MAX / 4) : INT64_MAX / 4;
	return t;
}

int
cx_pcapng_next(struct cx_pcapng *r, int *linktype, int64_t *ts_ns, const uint8_t **data,
	       uint32_t *caplen, uint32_t *wirelen, char *err, size_t errlen)
{
	for (;;) {
		struct cx_cur c;
		int64_t type = read_block(r, &c, err, errlen);
		if (type <= 0)
			return (int)type;
		switch (type) {
		case 0x0A0D0D0A:
			r->nif = 0; /* a new section starts a new interface list */
			break;
		case 1:
			parse_idb(r, &c);
			break;
		case 6:
		case 2: {
			uint32_t ifid;
			if (type == 6)
				ifid = rd32(r, &c);
			else {
				ifid = rd16(r, &c);
				cx_skip(&c, 2);
			}
			uint64_t hi = rd32(r, &c), lo = rd32(r, &c);
			uint32_t cl = rd32(r, &c), wl = rd32(r, &c);
			if (c.err || ifid >= r->nif || cl > cx_cur_left(&c)) {
				snprintf(err, errlen, "pcapng: damaged packet block before byte %llu", (unsigned long long)r->pos);
				return -1;
			}
			const struct iface *i = &r->ifs[ifid];
			*linktype = i->linktype;
			*ts_ns = to_ns(i, hi << 32 | lo);
			*data = c.p;
			*caplen = cl;
			*wirelen = wl < cl ? cl : wl;
			return 1;
		}
		case 3: {
			uint32_t wl = rd32(r, &c);
			if (c.err || r->nif == 0) {
				snprintf(err, errlen, "pcapng: simple packet block without interface before byte %llu", (unsigned long long)r->pos);
				return -1;
			}
			uint32_t cl = (uint32_t)cx_cur_left(&c);
			if (cl > wl)
				cl = wl;
			*linktype = r->ifs[0].linktype;
			*ts_ns = 0; /* SPBs carry no time */
			*data = c.p;
			*caplen = cl;
			*wirelen = wl;
			return 1;
		}
		default:
			break; /* name resolution, statistics, custom blocks: skipped */
		}
	}
}

size_t
cx_pcapng_linktypes(const struct cx_pcapng *r, int *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nif && n < max; i++)
		out[n++] = r->ifs[i].linktype;
	return n;
}

void
cx_pcapng_close(struct cx_pcapng *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r);
}

#define MAX_DSB (16u << 20)

int
cx_pcapng_secrets(const char *path, void (*cb)(void *arg, uint32_t type, const uint8_t *d, size_t n),
		  void *arg, char *err, size_t errlen)
{
	if (!strcmp(path, "-"))
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* the source reports what cannot be opened */
	struct cx_pcapng r = { .f = f };
	int found = 0;
	uint8_t hdr[12];
	if (fread(hdr, 1, 4, f) != 4 || memcmp(hdr, "\x0a\x0d\x0d\x0a", 4) || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return 0; /* classic pcap or something else: no DSB there */
	}
	for (;;) {
		uint32_t len;
		size_t done;
		int64_t type = read_header(&r, hdr, &len, &done, err, errlen);
		if (type <= 0) {
			if (type < 0)
				found = -1;
			break;
		}
		done += 8;
		if (type == 0x0000000A && len >= 20 && len - 12 <= MAX_DSB) {
			size_t body = len - 12;
			if (r.cap < body) {
				uint8_t *nb = realloc(r.buf, body);
				if (!nb)
					break;
				r.buf = nb;
				r.cap = body;
			}
			if (fread(r.buf, 1, body, f) != body) {
				snprintf(err, errlen, "pcapng: secrets block cut at byte %llu", (unsigned long long)r.pos);
				found = -1;
				break;
			}
			struct cx_cur c = cx_cur_make(r.buf, body);
			uint32_t st = rd32(&r, &c), sl = rd32(&r, &c);
			struct cx_cur d = cx_take(&c, sl);
			if (!d.err) {
				cb(arg, st, d.p, sl);
				found++;
			}
			done += body;
		}
		/* the rest of the block (its options and trailing length) unread */
		if (fseek(f, (long)(len - done), SEEK_CUR) != 0) {
			found = -1;
			break;
		}
		r.pos += len;
	}
	fclose(f);
	free(r.buf);
	return found;
}
