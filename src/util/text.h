/* Small text and array helpers shared by the modules. */
#ifndef CX_UTIL_TEXT_H
#define CX_UTIL_TEXT_H

#include <stddef.h>
#include <stdlib.h>

/* Copies in to out (size n, always NUL-terminated), replacing every byte
 * outside printable ASCII with '?': packet text made safe for reports. */
static inline void
cx_printable(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; in && *in && o + 1 < n; in++)
		out[o++] = ((unsigned char)*in >= 0x20 && (unsigned char)*in < 0x7f) ? *in : '?';
	if (n)
		out[o] = '\0';
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
