/* Small text and array helpers shared by the modules. */
#ifndef CX_UTIL_TEXT_H
#define CX_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

/* Lower-case hex of n bytes into out (2n characters and a NUL): digests
 * as the report and sha256sum(1) write them. */
static inline void
cx_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static inline size_t
cx_utf8_seq(const unsigned char *p, size_t n)
{
	if (!n)
		return 0;
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Copies in to out (size n, always NUL-terminated) as text for a text
 * file (summary.txt, flow.txt, flow.svg before its XML escaping), by the
 * rule of doc/output.md "Text from packets": printable ASCII and
 * well-formed UTF-8 as they are; a backslash as \\; every other byte
 * (control characters, DEL, C1 controls, U+2028/2029 and bytes outside a
 * well-formed sequence) as \xHH, so the bytes can be recovered. An escape
 * or sequence that does not fit is left out whole. */
static inline void
cx_printable(const char *in, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (!n)
		return;
	const unsigned char *p = (const unsigned char *)in;
	size_t len = in ? strlen(in) : 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t k = c >= 0x80 ? cx_utf8_seq(p + i, len - i) : 1;
		bool raw = c >= 0x80 ? (k > 1 && !(k == 2 && c == 0xc2 && p[i + 1] < 0xa0) &&
					!(k == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)))
				     : (c >= 0x20 && c < 0x7f && c != '\\');
		if (raw) {
			if (o + k + 1 > n)
				break;
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else if (c == '\\') {
			if (o + 3 > n)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
			i++;
		} else {
			/* the whole sequence, a byte at a time */
			if (!k)
				k = 1;
			if (o + 4 * k + 1 > n)
				break;
			for (size_t j = 0; j < k; j++) {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[p[i + j] >> 4];
				out[o++] = hex[p[i + j] & 15];
			}
			i += k;
		}
	}
	out[o] = '\0';
}

/* Writes s to f by the rule of cx_printable, keeping its newlines (text
 * composed of lines, some holding bytes from packets). */
static inline void
cx_fputs_text(const char *s, FILE *f)
{
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		char stackbuf[1400], *line = l < 256 ? stackbuf : malloc(l + 1 + l * 4 + 1);
		if (!line)
			return;
		char *esc = line + l + 1;
		memcpy(line, s, l);
		line[l] = '\0';
		cx_printable(line, esc, l * 4 + 1);
		fputs(esc, f);
		if (e)
			fputc('\n', f);
		if (line != stackbuf)
			free(line);
		s += l + (e != NULL);
	}
}

/* Makes room for one more element in a growing array (*v of *cap elements
 * of size elem, n used). Returns 0, or -1 on allocation failure (array
 * unchanged). */
static inline int
cx_grow(void *v, size_t *cap, size_t n, size_t elem)
{
	void **pv = (void **)v;
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*pv, nc * elem);
	if (!nv)
		return -1;
	*pv = nv;
	*cap = nc;
	return 0;
}

#endif
