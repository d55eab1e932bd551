/* Spill files and the streaming report writer (see callextract/spill.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/outdir.h"
#include "callextract/spill.h"
#include "util/text.h"

#define WBUF (256 * 1024)   /* records are appended through this buffer */

struct cx_spill {
	struct cx_outdir *out;
	char name[96];
	int fd, ifd;
	uint64_t size;          /* bytes in the data file, buffer included */
	uint64_t slots, records;
	char *wb;
	size_t wn;
	char *rb;               /* cx_spill_get's buffer */
	size_t rcap;
	char err[128];
};

static void
set_err(struct cx_spill *s, const char *what)
{
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "spill/%s: %s: %s", s->name, what, strerror(errno));
}

struct cx_spill *
cx_spill_new(struct cx_outdir *out, const char *name)
{
	struct cx_spill *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->out = out;
	snprintf(s->name, sizeof(s->name), "%s", name);
	char p[128];
	snprintf(p, sizeof(p), "spill/%s", name);
	s->fd = cx_outdir_openfd(out, p);
	snprintf(p, sizeof(p), "spill/%s.idx", name);
	s->ifd = cx_outdir_openfd(out, p);
	s->wb = malloc(WBUF);
	if (s->fd < 0 || s->ifd < 0 || !s->wb) {
		if (s->fd >= 0)
			close(s->fd);
		if (s->ifd >= 0)
			close(s->ifd);
		free(s->wb);
		free(s);
		return NULL;
	}
	return s;
}

static int
flush_wb(struct cx_spill *s)
{
	size_t o = 0;
	while (o < s->wn) {
		ssize_t k = pwrite(s->fd, s->wb + o, s->wn - o, (off_t)(s->size - s->wn + o));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			set_err(s, "write");
			s->wn = 0;
			return -1;
		}
		o += (size_t)k;
	}
	s->wn = 0;
	return 0;
}

void
cx_spill_free(struct cx_spill *s)
{
	if (!s)
		return;
	close(s->fd);
	close(s->ifd);
	char p[128];
	snprintf(p, sizeof(p), "spill/%s", s->name);
	cx_outdir_remove(s->out, p);
	snprintf(p, sizeof(p), "spill/%s.idx", s->name);
	cx_outdir_remove(s->out, p);
	free(s->wb);
	free(s->rb);
	free(s);
}

int
cx_spill_put(struct cx_spill *s, uint64_t slot, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	if (s->wn + len > WBUF && flush_wb(s) < 0)
		return -1;
	uint64_t off = s->size;
	if (len > WBUF) {
		ssize_t k = pwrite(s->fd, data, len, (off_t)off);
		if (k != (ssize_t)len) {
			set_err(s, "write");
			return -1;
		}
	} else {
		memcpy(s->wb + s->wn, data, len);
		s->wn += len;
	}
	s->size += len;
	/* offset + 1, so that a hole (never written) reads as empty */
	uint8_t e[16];
	uint64_t o1 = off + 1, l = len;
	for (int i = 0; i < 8; i++) {
		e[i] = (uint8_t)(o1 >> (8 * i));
		e[8 + i] = (uint8_t)(l >> (8 * i));
	}
	if (pwrite(s->ifd, e, sizeof(e), (off_t)(slot * 16)) != (ssize_t)sizeof(e)) {
		set_err(s, "index write");
		return -1;
	}
	if (slot + 1 > s->slots)
		s->slots = slot + 1;
	s->records++;
	return 0;
}

uint64_t
cx_spill_slots(const struct cx_spill *s)
{
	return s ? s->slots : 0;
}

uint64_t
cx_spill_records(const struct cx_spill *s)
{
	return s ? s->records : 0;
}

const char *
cx_spill_get(struct cx_spill *s, uint64_t slot, size_t *len)
{
	*len = 0;
	if (!s || slot >= s->slots)
		return NULL;
	if (s->wn && flush_wb(s) < 0)
		return NULL;
	uint8_t e[16];
	if (pread(s->ifd, e, sizeof(e), (off_t)(slot * 16)) != (ssize_t)sizeof(e))
		return NULL;
	uint64_t o1 = 0, l = 0;
	for (int i = 0; i < 8; i++) {
		o1 |= (uint64_t)e[i] << (8 * i);
		l |= (uint64_t)e[8 + i] << (8 * i);
	}
	if (!o1 || o1 - 1 + l > s->size)
		return NULL;
	if (l + 1 > s->rcap) {
		size_t nc = (size_t)l + 1 > 4096 ? (size_t)l + 1 : 4096;
		char *nb = realloc(s->rb, nc);
		if (!nb)
			return NULL;
		s->rb = nb;
		s->rcap = nc;
	}
	size_t got = 0;
	while (got < l) {
		ssize_t k = pread(s->fd, s->rb + got, (size_t)l - got, (off_t)(o1 - 1 + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			set_err(s, "read");
			return NULL;
		}
		got += (size_t)k;
	}
	s->rb[l] = '\0';
	*len = (size_t)l;
	return s->rb;
}

const char *
cx_spill_error(const struct cx_spill *s)
{
	return s ? s->err : "";
}

/* ---- records ---- */

static void
rec_put(struct cx_rec *r, const void *p, size_t n)
{
	if (r->oom)
		return;
	if (r->n + n > r->cap) {
		size_t nc = r->cap ? r->cap : 256;
		while (nc < r->n + n)
			nc *= 2;
		char *nb = realloc(r->b, nc);
		if (!nb) {
			r->oom = true;
			return;
		}
		r->b = nb;
		r->cap = nc;
	}
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

void
cx_rec_u64(struct cx_rec *r, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	rec_put(r, b, 8);
}

void
cx_rec_bytes(struct cx_rec *r, const void *p, size_t n)
{
	rec_put(r, p, n);
}

void
cx_rec_str(struct cx_rec *r, const char *s)
{
	if (!s) {
		cx_rec_u64(r, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	cx_rec_u64(r, n);
	rec_put(r, s, n + 1);
}

void
cx_rec_free(struct cx_rec *r)
{
	free(r->b);
	memset(r, 0, sizeof(*r));
}

void
cx_rec_open(struct cx_rec *r, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->b = (char *)data;
	r->n = len;
}

uint64_t
cx_rec_get_u64(struct cx_rec *r)
{
	if (r->rd + 8 > r->n) {
		r->rd = r->n;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)(uint8_t)r->b[r->rd + i] << (8 * i);
	r->rd += 8;
	return v;
}

const void *
cx_rec_get_bytes(struct cx_rec *r, size_t n)
{
	if (n > r->n - r->rd) {
		r->rd = r->n;
		return NULL;
	}
	const void *p = r->b + r->rd;
	r->rd += n;
	return p;
}

const char *
cx_rec_get_str(struct cx_rec *r)
{
	uint64_t n = cx_rec_get_u64(r);
	if (n == UINT64_MAX || n >= r->n - r->rd)
		return NULL;
	const char *s = r->b + r->rd;
	if (s[n] != '\0') {
		r->rd = r->n;
		return NULL;
	}
	r->rd += (size_t)n + 1;
	return s;
}

/* ---- streamed report.json ---- */

void
cx_jsonw_init(struct cx_jsonw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->depth = 1;
	w->first[1] = true;
}

static void
indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

/* ---- text from packets in JSON ----
 * json-c copies bytes >= 0x80 through as they are, so a Call-ID with
 * 0x91 0xe7 made report.json invalid UTF-8. Every JSON text callextract
 * writes passes through cx_json_utf8 once, on its way to the file: a byte
 * that is not part of a well-formed UTF-8 sequence becomes the five
 * characters \\xHH (the value then reads \xHH), a backslash in a value
 * (\\ in json-c's text) becomes \\\\ (the value reads \\), U+2028/U+2029
 * become \u2028/\u2029. Outside strings json-c writes neither backslashes
 * nor bytes >= 0x80, so no parsing is needed (doc/output.md, "Text from
 * packets"). */

char *
cx_json_utf8(const char *text, size_t len, size_t *outlen)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i = 0;
	/* fast path: nothing to change */
	for (; i < len; i++) {
		if (t[i] == '\\') {
			if (i + 1 < len && t[i + 1] == '\\')
				break;
			i++;
		} else if (t[i] >= 0x80) {
			size_t k = cx_utf8_seq(t + i, len - i);
			if (!k || (k == 3 && t[i] == 0xe2 && t[i + 1] == 0x80 && (t[i + 2] == 0xa8 || t[i + 2] == 0xa9)))
				break;
			i += k - 1;
		}
	}
	if (i >= len)
		return NULL;
	/* at most 6 characters per byte (\\xHH, \u2028 from 3 bytes) */
	if (len > (SIZE_MAX - 1) / 6)
		return NULL;
	char *out = malloc(len * 6 + 1);
	if (!out)
		return NULL;
	memcpy(out, text, i);
	size_t o = i;
	static const char hex[] = "0123456789abcdef";
	while (i < len) {
		unsigned char c = t[i];
		if (c == '\\') {
			if (i + 1 < len && t[i + 1] == '\\') {
				memcpy(out + o, "\\\\\\\\", 4);
				o += 4;
			} else {
				out[o++] = '\\';
				if (i + 1 < len)
					out[o++] = (char)t[i + 1];
			}
			i += 2;
		} else if (c < 0x80) {
			out[o++] = (char)c;
			i++;
		} else {
			size_t k = cx_utf8_seq(t + i, len - i);
			if (k == 3 && c == 0xe2 && t[i + 1] == 0x80 && (t[i + 2] == 0xa8 || t[i + 2] == 0xa9)) {
				memcpy(out + o, t[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
				o += 6;
			} else if (k) {
				memcpy(out + o, t + i, k);
				o += k;
			} else {
				out[o++] = '\\';
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
				k = 1;
			}
			i += k;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* text at depth 0, every line after the first indented for depth: built
 * in one buffer and written at once (reports run to hundreds of MB).
 * Made valid UTF-8 on the way (cx_json_utf8). */
static void
put_text(FILE *f, const char *text, size_t len, int depth)
{
	static const char spaces[] = "                                ";
	if (!len)
		return;
	size_t ulen;
	char *u = cx_json_utf8(text, len, &ulen);
	if (u) {
		text = u;
		len = ulen;
	}
	size_t ind = (size_t)depth * 2;
	if (ind > sizeof(spaces) - 1)
		ind = sizeof(spaces) - 1;
	size_t lines = 0;
	for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		lines++;
	char stackbuf[8192];
	size_t need = len + lines * ind;
	char *buf = need <= sizeof(stackbuf) ? stackbuf : malloc(need);
	if (!buf) {
		fwrite(text, 1, len, f); /* no memory: unindented, still valid JSON */
		free(u);
		return;
	}
	size_t o = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = e ? (size_t)(e - p) + 1 : (size_t)(end - p);
		memcpy(buf + o, p, l);
		o += l;
		if (!e)
			break;
		memcpy(buf + o, spaces, ind);
		o += ind;
		p = e + 1;
	}
	fwrite(buf, 1, o, f);
	if (buf != stackbuf)
		free(buf);
	free(u);
}

/* "key": as json-c writes it, through the same rule as values */
static void
put_key(FILE *f, const char *key)
{
	struct json_object *k = json_object_new_string(key);
	const char *t = json_object_to_json_string_ext(k, JSON_C_TO_STRING_NOSLASHESCAPE);
	put_text(f, t, strlen(t), 0);
	fputs(": ", f);
	json_object_put(k);
}

/* The tap's path for a value at the current depth ("a.b" + key). */
static void
tap(struct cx_jsonw *w, const char *key, const char *text, size_t len)
{
	if (!w->tap)
		return;
	char path[160];
	size_t o = 0;
	path[0] = '\0';
	for (int d = 2; d <= w->depth && d < 16; d++)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "%s%s", o ? "." : "", w->key[d]);
	if (key && o < sizeof(path))
		snprintf(path + o, sizeof(path) - o, "%s%s", o ? "." : "", key);
	w->tap(w->tap_arg, path, text, len);
}

static void
next_item(struct cx_jsonw *w)
{
	fputs(w->first[w->depth] ? "\n" : ",\n", w->f);
	w->first[w->depth] = false;
	indent(w->f, w->depth);
}

const char *
cx_json_pretty(struct json_object *v)
{
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE)
		 : "null";
}

void
cx_jsonw_member(struct cx_jsonw *w, const char *key, struct json_object *value)
{
	next_item(w);
	put_key(w->f, key);
	const char *t = cx_json_pretty(value);
	put_text(w->f, t, strlen(t), w->depth);
	tap(w, key, t, strlen(t));
	json_object_put(value);
}

void
cx_jsonw_begin(struct cx_jsonw *w, const char *key, bool array)
{
	if (key) {
		next_item(w);
		put_key(w->f, key);
	} else {
		next_item(w);
	}
	fputc(array ? '[' : '{', w->f);
	if (w->depth + 1 < (int)(sizeof(w->first) / sizeof(*w->first)))
		w->depth++;
	snprintf(w->key[w->depth], sizeof(w->key[0]), "%s", key ? key : "");
	w->first[w->depth] = true;
}

void
cx_jsonw_element_text(struct cx_jsonw *w, const char *text, size_t len)
{
	next_item(w);
	put_text(w->f, text, len, w->depth);
	tap(w, NULL, text, len);
}

void
cx_jsonw_element(struct cx_jsonw *w, struct json_object *value)
{
	const char *t = cx_json_pretty(value);
	cx_jsonw_element_text(w, t, strlen(t));
	json_object_put(value);
}

void
cx_jsonw_end(struct cx_jsonw *w, bool array)
{
	if (w->depth > 1)
		w->depth--;
	/* json-c puts the closing bracket on a line of its own, empty or not */
	fputc('\n', w->f);
	indent(w->f, w->depth);
	fputc(array ? ']' : '}', w->f);
}
