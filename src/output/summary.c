/* summary.txt sections and report.json conversations, sorted by time at
 * write-out. A conversation is kept as its fields; the parties are
 * described from the host table only then, when every DNS answer, MAC and
 * software banner of the capture is known. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/names.h"
#include "callextract/summary.h"

struct party {
	char *role, *ports;
	struct cx_addr addr;
};

struct section {
	int64_t ts;
	uint64_t frame;
	size_t seq;
	char *text;               /* a plain section, or NULL */
	/* a conversation */
	char *kind, *title, *app, *transport, *network, *course, *protection, *data;
	uint64_t last_frame;
	int64_t end;
	struct party party[CX_CONV_MAX_PARTIES];
	size_t nparty;
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

static void
section_free(struct section *x)
{
	free(x->text);
	free(x->kind);
	free(x->title);
	free(x->app);
	free(x->transport);
	free(x->network);
	free(x->course);
	free(x->protection);
	free(x->data);
	for (size_t k = 0; k < x->nparty; k++) {
		free(x->party[k].role);
		free(x->party[k].ports);
	}
}

void
cx_summary_free(struct cx_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		section_free(&s->v[i]);
	free(s->v);
	free(s);
}

static struct section *
new_section(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct section *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		s->v = nv;
		s->cap = nc;
	}
	struct section *x = &s->v[s->n];
	memset(x, 0, sizeof(*x));
	x->ts = ts_ns;
	x->frame = first_frame;
	x->seq = s->n++;
	return x;
}

void
cx_summary_add(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *text)
{
	if (!s || !text)
		return;
	struct section *x = new_section(s, ts_ns, first_frame);
	if (x && !(x->text = strdup(text)))
		s->n--;
}

void
cx_conv_party(struct cx_conv *c, const char *role, const struct cx_addr *a, const char *ports)
{
	if (!a->family)
		return;
	for (size_t k = 0; k < c->nparty; k++)
		if (cx_addr_eq(&c->party[k].addr, a) && !strcmp(c->party[k].role, role))
			return;
	if (c->nparty == CX_CONV_MAX_PARTIES)
		return;
	c->party[c->nparty].role = role;
	c->party[c->nparty].addr = *a;
	c->party[c->nparty].ports = ports;
	c->nparty++;
}

static char *
dup_or_null(const char *t)
{
	return t && *t ? strdup(t) : NULL;
}

void
cx_summary_conv(struct cx_summary *s, const struct cx_conv *c)
{
	if (!s || !c)
		return;
	struct section *x = new_section(s, c->start_ns, c->first_frame);
	if (!x)
		return;
	x->kind = strdup(c->kind ? c->kind : "other");
	x->title = strdup(c->title ? c->title : "?");
	x->app = dup_or_null(c->application);
	x->transport = dup_or_null(c->transport);
	x->network = dup_or_null(c->network);
	x->course = dup_or_null(c->course);
	x->protection = dup_or_null(c->protection);
	x->data = dup_or_null(c->data);
	x->last_frame = c->last_frame;
	x->end = c->end_ns;
	for (size_t k = 0; k < c->nparty && k < CX_CONV_MAX_PARTIES; k++) {
		x->party[k].role = strdup(c->party[k].role ? c->party[k].role : "party");
		x->party[k].ports = dup_or_null(c->party[k].ports);
		x->party[k].addr = c->party[k].addr;
		x->nparty++;
	}
}

static int
cmp(const void *a, const void *b)
{
	const struct section *x = *(const struct section *const *)a, *y = *(const struct section *const *)b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static const struct section **
sorted(const struct cx_summary *s)
{
	const struct section **v = malloc((s->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		v[i] = &s->v[i];
	qsort(v, s->n, sizeof(*v), cmp);
	return v;
}

static void
put_lines(FILE *out, const char *text, const char *indent)
{
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		fprintf(out, "%s%.*s\n", indent, (int)l, p);
		p += l + (e != NULL);
	}
}

void
cx_summary_write(const struct cx_summary *s, struct cx_names *names, int64_t rel0_ns, FILE *out)
{
	const struct section **v = sorted(s);
	if (!v)
		return;
	char who[2048];
	for (size_t i = 0; i < s->n; i++) {
		const struct section *x = v[i];
		if (x->text) {
			fputs(x->text, out);
			size_t l = strlen(x->text);
			if (l == 0 || x->text[l - 1] != '\n')
				fputc('\n', out);
			fputc('\n', out);
			continue;
		}
		fprintf(out, "== %s ==\n", x->title);
		fprintf(out, "Frames %llu-%llu, %.3f-%.3f s.", (unsigned long long)x->frame,
			(unsigned long long)x->last_frame, (double)(x->ts - rel0_ns) / 1e9,
			(double)(x->end - rel0_ns) / 1e9);
		fprintf(out, " Protocols: application %s, transport %s, network %s.\n", x->app ? x->app : "none",
			x->transport ? x->transport : "none", x->network ? x->network : "?");
		if (x->nparty)
			fprintf(out, "Parties:\n");
		for (size_t k = 0; k < x->nparty; k++) {
			cx_names_describe(names, &x->party[k].addr, who, sizeof(who));
			fprintf(out, "  %s%s%s%s: %s\n", x->party[k].role, x->party[k].ports ? " (" : "",
				x->party[k].ports ? x->party[k].ports : "", x->party[k].ports ? ")" : "", who);
		}
		if (x->course) {
			fprintf(out, "Course:\n");
			put_lines(out, x->course, "  ");
		}
		if (x->protection)
			fprintf(out, "Protection: %s\n", x->protection);
		if (x->data)
			fprintf(out, "Data: %s\n", x->data);
		fputc('\n', out);
	}
	free(v);
}

static struct json_object *
str_or_null(const char *t)
{
	return t ? json_object_new_string(t) : NULL;
}

struct json_object *
cx_summary_report(const struct cx_summary *s, struct cx_names *names, int64_t rel0_ns)
{
	struct json_object *arr = json_object_new_array();
	const struct section **v = sorted(s);
	if (!v)
		return arr;
	for (size_t i = 0; i < s->n; i++) {
		const struct section *x = v[i];
		if (x->text)
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(x->kind));
		json_object_object_add(o, "title", json_object_new_string(x->title));
		json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)x->frame));
		json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)x->last_frame));
		json_object_object_add(o, "start", json_object_new_double((double)(x->ts - rel0_ns) / 1e9));
		json_object_object_add(o, "end", json_object_new_double((double)(x->end - rel0_ns) / 1e9));
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "application", str_or_null(x->app));
		json_object_object_add(p, "transport", str_or_null(x->transport));
		json_object_object_add(p, "network", str_or_null(x->network));
		json_object_object_add(o, "protocols", p);
		struct json_object *parties = json_object_new_array();
		for (size_t k = 0; k < x->nparty; k++) {
			struct json_object *h = cx_names_host(names, &x->party[k].addr);
			json_object_object_add(h, "role", json_object_new_string(x->party[k].role));
			json_object_object_add(h, "ports", str_or_null(x->party[k].ports));
			json_object_array_add(parties, h);
		}
		json_object_object_add(o, "parties", parties);
		struct json_object *course = json_object_new_array();
		for (const char *c = x->course; c && *c;) {
			const char *e = strchr(c, '\n');
			size_t l = e ? (size_t)(e - c) : strlen(c);
			json_object_array_add(course, json_object_new_string_len(c, (int)l));
			c += l + (e != NULL);
		}
		json_object_object_add(o, "course", course);
		json_object_object_add(o, "protection", str_or_null(x->protection));
		json_object_object_add(o, "data", str_or_null(x->data));
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}
