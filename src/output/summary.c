/* summary.txt sections, sorted by time at write-out. */
#include <stdlib.h>
#include <string.h>
#include "callextract/summary.h"

struct section {
	int64_t ts;
	uint64_t frame;
	size_t seq;
	char *text;
};

struct cx_summary {
	struct section *v;
	size_t n, cap;
};

struct cx_summary *
cx_summary_new(void)
{
	return calloc(1, sizeof(struct cx_summary));
}

void
cx_summary_free(struct cx_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	free(s);
}

void
cx_summary_add(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *text)
{
	if (!s || !text)
		return;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct section *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return;
		s->v = nv;
		s->cap = nc;
	}
	char *t = strdup(text);
	if (!t)
		return;
	s->v[s->n] = (struct section){ ts_ns, first_frame, s->n, t };
	s->n++;
}

static int
cmp(const void *a, const void *b)
{
	const struct section *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void
cx_summary_write(const struct cx_summary *s, FILE *out)
{
	struct section *v = malloc((s->n + 1) * sizeof(*v));
	if (!v)
		return;
	if (s->n)
		memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp);
	for (size_t i = 0; i < s->n; i++) {
		fputs(v[i].text, out);
		size_t l = strlen(v[i].text);
		if (l == 0 || v[i].text[l - 1] != '\n')
			fputc('\n', out);
		fputc('\n', out);
	}
	free(v);
}
