/* Bounds-checked byte reader used by every parser.
 *
 * Reading past the end returns 0 (or an empty slice) and sets the sticky
 * `err` flag, so a parser can read a whole header and check once at the end
 * (the idea of dav1d's GetBits and tcpdump's ND_TCHECK). No parser may index
 * packet memory directly. */
#ifndef CX_CURSOR_H
#define CX_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cx_cur {
	const uint8_t *p;   /* next byte to read */
	const uint8_t *end; /* one past the last readable byte */
	int err;            /* sticky: set once a read ran past end */
};

static inline struct cx_cur
cx_cur_make(const void *data, size_t len)
{
	struct cx_cur c = { (const uint8_t *)data, (const uint8_t *)data + len, 0 };
	return c;
}

static inline size_t
cx_cur_left(const struct cx_cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline bool
cx_cur_has(const struct cx_cur *c, size_t n)
{
	return !c->err && cx_cur_left(c) >= n;
}

static inline uint8_t
cx_get_u8(struct cx_cur *c)
{
	if (!cx_cur_has(c, 1)) { c->err = 1; return 0; }
	return *c->p++;
}

static inline uint16_t
cx_get_be16(struct cx_cur *c)
{
	if (!cx_cur_has(c, 2)) { c->err = 1; c->p = c->end; return 0; }
	uint16_t v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint16_t
cx_get_le16(struct cx_cur *c)
{
	if (!cx_cur_has(c, 2)) { c->err = 1; c->p = c->end; return 0; }
	uint16_t v = (uint16_t)((c->p[1] << 8) | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t
cx_get_be24(struct cx_cur *c)
{
	if (!cx_cur_has(c, 3)) { c->err = 1; c->p = c->end; return 0; }
	uint32_t v = ((uint32_t)c->p[0] << 16) | ((uint32_t)c->p[1] << 8) | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t
cx_get_be32(struct cx_cur *c)
{
	if (!cx_cur_has(c, 4)) { c->err = 1; c->p = c->end; return 0; }
	uint32_t v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
		     ((uint32_t)c->p[2] << 8) | c->p[3];
	c->p += 4;
	return v;
}

static inline uint32_t
cx_get_le32(struct cx_cur *c)
{
	if (!cx_cur_has(c, 4)) { c->err = 1; c->p = c->end; return 0; }
	uint32_t v = ((uint32_t)c->p[3] << 24) | ((uint32_t)c->p[2] << 16) |
		     ((uint32_t)c->p[1] << 8) | c->p[0];
	c->p += 4;
	return v;
}

static inline uint64_t
cx_get_be64(struct cx_cur *c)
{
	uint64_t hi = cx_get_be32(c);
	return (hi << 32) | cx_get_be32(c);
}

/* Peek at byte `off` ahead without consuming; 0 and err if out of range. */
static inline uint8_t
cx_peek_u8(struct cx_cur *c, size_t off)
{
	if (c->err || cx_cur_left(c) <= off) { c->err = 1; return 0; }
	return c->p[off];
}

static inline void
cx_skip(struct cx_cur *c, size_t n)
{
	if (!cx_cur_has(c, n)) { c->err = 1; c->p = c->end; return; }
	c->p += n;
}

/* Copy n bytes out; on a short read, `out` is zeroed and err set. */
static inline void
cx_get_bytes(struct cx_cur *c, void *out, size_t n)
{
	if (!cx_cur_has(c, n)) { c->err = 1; c->p = c->end; memset(out, 0, n); return; }
	memcpy(out, c->p, n);
	c->p += n;
}

/* A sub-cursor over the next n bytes (borrowed from the same memory); the
 * parent advances past them. */
static inline struct cx_cur
cx_take(struct cx_cur *c, size_t n)
{
	struct cx_cur s = { c->p, c->p, 0 };
	if (!cx_cur_has(c, n)) { c->err = 1; s.err = 1; c->p = c->end; return s; }
	s.end = c->p + n;
	c->p += n;
	return s;
}

/* Offset of the first occurrence of needle, or -1. Does not move. */
static inline ptrdiff_t
cx_find(const struct cx_cur *c, const void *needle, size_t nlen)
{
	size_t left = cx_cur_left(c);
	if (c->err || nlen == 0 || left < nlen) return -1;
	const uint8_t *hit = (const uint8_t *)memmem(c->p, left, needle, nlen);
	return hit ? hit - c->p : -1;
}

#endif
