/* Findings list. Each kind keeps at most CX_FINDINGS_PER_KIND entries so a
 * hostile capture cannot grow the report without bound; the rest are only
 * counted (and the count is reported). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/findings.h"

#define CX_FINDINGS_PER_KIND 200

struct finding {
	enum cx_severity sev;
	char *kind;
	uint64_t frame;
	char *msg;
};

struct kind_count {
	char *kind;
	uint64_t n;
};

struct cx_findings {
	struct finding *v;
	size_t n, cap;
	struct kind_count *kinds;
	size_t nk, capk;
};

struct cx_findings *
cx_findings_new(void)
{
	return calloc(1, sizeof(struct cx_findings));
}

void
cx_findings_free(struct cx_findings *f)
{
	if (!f)
		return;
	cx_findings_clear(f);
	free(f->v);
	free(f->kinds);
	free(f);
}

static struct kind_count *
kind_slot(struct cx_findings *f, const char *kind)
{
	for (size_t i = 0; i < f->nk; i++)
		if (!strcmp(f->kinds[i].kind, kind))
			return &f->kinds[i];
	if (f->nk == f->capk) {
		size_t nc = f->capk ? f->capk * 2 : 16;
		struct kind_count *nv = realloc(f->kinds, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		f->kinds = nv;
		f->capk = nc;
	}
	char *k = strdup(kind);
	if (!k)
		return NULL;
	f->kinds[f->nk].kind = k;
	f->kinds[f->nk].n = 0;
	return &f->kinds[f->nk++];
}

void
cx_findings_add(struct cx_findings *f, enum cx_severity sev, const char *kind, uint64_t frame,
		const char *fmt, ...)
{
	if (!f)
		return;
	struct kind_count *k = kind_slot(f, kind);
	if (!k)
		return;
	if (k->n++ >= CX_FINDINGS_PER_KIND)
		return;
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 64;
		struct finding *nv = realloc(f->v, nc * sizeof(*nv));
		if (!nv)
			return;
		f->v = nv;
		f->cap = nc;
	}
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct finding *e = &f->v[f->n];
	e->sev = sev;
	e->frame = frame;
	e->kind = strdup(kind);
	e->msg = strdup(buf);
	if (!e->kind || !e->msg) {
		free(e->kind);
		free(e->msg);
		return;
	}
	f->n++;
}

uint64_t
cx_findings_count(const struct cx_findings *f, const char *kind)
{
	for (size_t i = 0; f && i < f->nk; i++)
		if (!strcmp(f->kinds[i].kind, kind))
			return f->kinds[i].n;
	return 0;
}

static const char *sev_names[] = { "info", "low", "medium", "high" };

struct json_object *
cx_findings_to_json(const struct cx_findings *f)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; f && i < f->n; i++) {
		const struct finding *e = &f->v[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "severity", json_object_new_string(sev_names[e->sev]));
		json_object_object_add(o, "kind", json_object_new_string(e->kind));
		json_object_object_add(o, "frame",
				       e->frame ? json_object_new_int64((int64_t)e->frame) : NULL);
		json_object_object_add(o, "message", json_object_new_string(e->msg)); /* made valid UTF-8 where JSON is written */
		json_object_array_add(arr, o);
	}
	for (size_t i = 0; f && i < f->nk; i++) {
		if (f->kinds[i].n <= CX_FINDINGS_PER_KIND)
			continue;
		struct json_object *o = json_object_new_object();
		char msg[256];
		snprintf(msg, sizeof(msg), "%llu more findings of kind %s not listed",
			 (unsigned long long)(f->kinds[i].n - CX_FINDINGS_PER_KIND), f->kinds[i].kind);
		json_object_object_add(o, "severity", json_object_new_string("info"));
		json_object_object_add(o, "kind", json_object_new_string("report.truncated"));
		json_object_object_add(o, "frame", NULL);
		json_object_object_add(o, "message", json_object_new_string(msg));
		json_object_array_add(arr, o);
	}
	return arr;
}

int
cx_findings_get(const struct cx_findings *f, size_t i, enum cx_severity *sev, const char **kind,
		uint64_t *frame, const char **msg)
{
	if (!f || i >= f->n)
		return 0;
	*sev = f->v[i].sev;
	*kind = f->v[i].kind;
	*frame = f->v[i].frame;
	*msg = f->v[i].msg;
	return 1;
}

/* the entries and counts go; the arrays stay for reuse */
void
cx_findings_clear(struct cx_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].kind);
		free(f->v[i].msg);
	}
	for (size_t i = 0; i < f->nk; i++)
		free(f->kinds[i].kind);
	f->n = 0;
	f->nk = 0;
}

struct json_object *
cx_findings_kinds_json(const struct cx_findings *f)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; f && i < f->nk; i++) {
		struct json_object *e = json_object_new_array();
		json_object_array_add(e, json_object_new_string(f->kinds[i].kind));
		json_object_array_add(e, json_object_new_int64((int64_t)f->kinds[i].n));
		json_object_array_add(a, e);
	}
	return a;
}

int
cx_findings_add_listed(struct cx_findings *f, const char *sev, const char *kind, uint64_t frame,
		       const char *msg)
{
	for (int s = 0; s < 4; s++)
		if (!strcmp(sev, sev_names[s])) {
			cx_findings_add(f, (enum cx_severity)s, kind, frame, "%s", msg);
			return 0;
		}
	return -1;
}

void
cx_findings_add_unlisted(struct cx_findings *f, const char *kind, uint64_t n)
{
	struct kind_count *k = f ? kind_slot(f, kind) : NULL;
	if (k)
		k->n += n;
}
