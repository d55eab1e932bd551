/* summary.txt sections and report.json conversations, sorted by time at
 * write-out. A conversation is kept as its fields; the parties are
 * described from the host table only then, when every DNS answer, MAC and
 * software banner of the capture is known. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/spill.h"
#include "callextract/summary.h"
#include "util/text.h"

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
	struct cx_outdir *out;    /* where spills go; NULL: everything in memory */
	struct cx_spill *convs;   /* conversations of finished calls, by slot */
	struct cx_spill *rows;    /* rows of the calls table, by slot */
	char *table_head;         /* the calls table: heading, and where it sorts */
	int64_t table_ts;
	uint64_t table_frame;
	bool order_known;         /* whether the spilled conversations' slot order is time order */
	struct skey *keys;        /* ... and when it is not, their keys sorted */
	size_t nkeys;
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
	cx_spill_free(s->convs);
	cx_spill_free(s->rows);
	free(s->table_head);
	free(s->keys);
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

/* Every text here may hold bytes from packets: written by the text rule
 * (util/text.h cx_printable, doc/output.md "Text from packets"). */
static void
put_lines(FILE *out, const char *text, const char *indent)
{
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char *line = strndup(p, l);
		fputs(indent, out);
		cx_fputs_text(line, out);
		fputc('\n', out);
		free(line);
		p += l + (e != NULL);
	}
}

/* ---- conversations of finished calls, on disk ---- */

void
cx_summary_set_out(struct cx_summary *s, struct cx_outdir *out)
{
	s->out = out;
}

static void
put_conv(struct cx_rec *r, const struct cx_conv *c)
{
	cx_rec_u64(r, (uint64_t)c->start_ns);
	cx_rec_u64(r, c->first_frame);
	cx_rec_u64(r, c->last_frame);
	cx_rec_u64(r, (uint64_t)c->end_ns);
	cx_rec_str(r, c->kind ? c->kind : "other");
	cx_rec_str(r, c->title ? c->title : "?");
	const char *t[] = { c->application, c->transport, c->network, c->course, c->protection, c->data };
	for (size_t k = 0; k < 6; k++)
		cx_rec_str(r, t[k] && *t[k] ? t[k] : NULL);
	size_t np = c->nparty < CX_CONV_MAX_PARTIES ? c->nparty : CX_CONV_MAX_PARTIES;
	cx_rec_u64(r, np);
	for (size_t k = 0; k < np; k++) {
		cx_rec_str(r, c->party[k].role ? c->party[k].role : "party");
		cx_rec_str(r, c->party[k].ports && *c->party[k].ports ? c->party[k].ports : NULL);
		cx_rec_bytes(r, &c->party[k].addr, sizeof(c->party[k].addr));
	}
}

/* A section whose strings point into the record (valid until the next
 * read of that spill). */
static bool
get_conv(struct cx_rec *r, struct section *x)
{
	memset(x, 0, sizeof(*x));
	x->ts = (int64_t)cx_rec_get_u64(r);
	x->frame = cx_rec_get_u64(r);
	x->last_frame = cx_rec_get_u64(r);
	x->end = (int64_t)cx_rec_get_u64(r);
	x->kind = (char *)cx_rec_get_str(r);
	x->title = (char *)cx_rec_get_str(r);
	char **t[] = { &x->app, &x->transport, &x->network, &x->course, &x->protection, &x->data };
	for (size_t k = 0; k < 6; k++)
		*t[k] = (char *)cx_rec_get_str(r);
	uint64_t np = cx_rec_get_u64(r);
	for (uint64_t k = 0; k < np && k < CX_CONV_MAX_PARTIES; k++) {
		x->party[k].role = (char *)cx_rec_get_str(r);
		x->party[k].ports = (char *)cx_rec_get_str(r);
		const void *a = cx_rec_get_bytes(r, sizeof(x->party[k].addr));
		if (!a || !x->party[k].role)
			return false;
		memcpy(&x->party[k].addr, a, sizeof(x->party[k].addr));
		x->nparty++;
	}
	return x->kind && x->title;
}

int
cx_summary_conv_spill(struct cx_summary *s, uint64_t slot, const struct cx_conv *c)
{
	if (!s || !c)
		return -1;
	if (!s->out) {
		cx_summary_conv(s, c);
		return 0;
	}
	if (!s->convs && !(s->convs = cx_spill_new(s->out, "conversations")))
		return -1;
	struct cx_rec r = { 0 };
	put_conv(&r, c);
	int rc = r.oom ? -1 : cx_spill_put(s->convs, slot, r.b, r.n);
	cx_rec_free(&r);
	return rc;
}

int
cx_summary_table_row(struct cx_summary *s, uint64_t slot, const char *row)
{
	if (!s || !s->out)
		return -1;
	if (!s->rows && !(s->rows = cx_spill_new(s->out, "calls-table")))
		return -1;
	return cx_spill_put(s->rows, slot, row, strlen(row));
}

void
cx_summary_table(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *heading)
{
	if (!s || !heading)
		return;
	free(s->table_head);
	s->table_head = strdup(heading);
	s->table_ts = ts_ns;
	s->table_frame = first_frame;
}

/* Where each conversation of the spill goes: slot order is the order of
 * the calls' first messages, which is time order unless the capture's
 * timestamps go backwards; then (only then) the keys are sorted. */
struct skey {
	int64_t ts;
	uint64_t frame, slot;
};

static int
skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->slot < y->slot ? -1 : (x->slot > y->slot);
}

struct spilled {
	struct cx_spill *sp;
	struct skey *keys;        /* NULL: slot order */
	size_t nkeys, pos;        /* keys: next index; else next slot */
	bool have;
	struct section cur;
	struct cx_rec rec;
};

static bool
spilled_next(struct spilled *it)
{
	it->have = false;
	if (!it->sp)
		return false;
	for (;;) {
		uint64_t slot;
		if (it->keys) {
			if (it->pos >= it->nkeys)
				return false;
			slot = it->keys[it->pos++].slot;
		} else {
			if (it->pos >= cx_spill_slots(it->sp))
				return false;
			slot = it->pos++;
		}
		size_t len;
		const char *d = cx_spill_get(it->sp, slot, &len);
		if (!d)
			continue;
		cx_rec_open(&it->rec, d, len);
		if (!get_conv(&it->rec, &it->cur))
			continue;
		it->cur.seq = (size_t)slot;
		it->have = true;
		return true;
	}
}

/* Opens the spilled conversations in time order. Whether slot order is
 * time order is found out once (summary.txt and report.json both read
 * them); only when it is not are the keys kept, sorted, in s. */
static void
spilled_open(struct spilled *it, struct cx_summary *s)
{
	memset(it, 0, sizeof(*it));
	it->sp = s->convs;
	if (!it->sp || s->order_known) {
		it->keys = s->keys;
		it->nkeys = s->nkeys;
		return;
	}
	s->order_known = true;
	bool ordered = true;
	int64_t lts = INT64_MIN;
	uint64_t lfr = 0;
	size_t n = 0;
	while (spilled_next(it)) {
		n++;
		if (it->cur.ts < lts || (it->cur.ts == lts && it->cur.frame < lfr))
			ordered = false;
		lts = it->cur.ts;
		lfr = it->cur.frame;
	}
	it->pos = 0;
	struct skey *keys;
	if (ordered || !(keys = malloc((n + 1) * sizeof(*keys))))
		return;
	size_t nk = 0;
	while (nk < n && spilled_next(it)) /* slot order: it->keys not set yet */
		keys[nk++] = (struct skey){ it->cur.ts, it->cur.frame, it->cur.seq };
	qsort(keys, nk, sizeof(*keys), skey_cmp);
	it->keys = s->keys = keys;
	it->nkeys = s->nkeys = nk;
	it->pos = 0;
}

/* The next section in time order from memory (v, i) or the spill. The
 * spilled ones are conversations of calls, which sort after anything in
 * memory with the same time and frame (they were added last before). */
static const struct section *
next_section(const struct section **v, size_t n, size_t *i, struct spilled *it, bool *from_spill)
{
	const struct section *m = *i < n ? v[*i] : NULL;
	if (it->have && (!m || it->cur.ts < m->ts || (it->cur.ts == m->ts && it->cur.frame < m->frame))) {
		*from_spill = true;
		return &it->cur;
	}
	*from_spill = false;
	if (m)
		(*i)++;
	return m;
}

static void
write_section(const struct section *x, struct cx_names *names, int64_t rel0_ns, FILE *out)
{
	char who[2048];
	fputs("== ", out);
	cx_fputs_text(x->title, out);
	fputs(" ==\n", out);
	fprintf(out, "Frames %llu-%llu, %.3f-%.3f s.", (unsigned long long)x->frame,
		(unsigned long long)x->last_frame, (double)(x->ts - rel0_ns) / 1e9,
		(double)(x->end - rel0_ns) / 1e9);
	fprintf(out, " Protocols: application %s, transport %s, network %s.\n", x->app ? x->app : "none",
		x->transport ? x->transport : "none", x->network ? x->network : "?");
	if (x->nparty)
		fprintf(out, "Parties:\n");
	for (size_t k = 0; k < x->nparty; k++) {
		cx_names_describe(names, &x->party[k].addr, who, sizeof(who));
		fprintf(out, "  %s%s", x->party[k].role, x->party[k].ports ? " (" : "");
		cx_fputs_text(x->party[k].ports, out);
		fprintf(out, "%s: ", x->party[k].ports ? ")" : "");
		cx_fputs_text(who, out);
		fputc('\n', out);
	}
	if (x->course) {
		fprintf(out, "Course:\n");
		put_lines(out, x->course, "  ");
	}
	if (x->protection) {
		fputs("Protection: ", out);
		cx_fputs_text(x->protection, out);
		fputc('\n', out);
	}
	if (x->data) {
		fputs("Data: ", out);
		cx_fputs_text(x->data, out);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void
write_text(const char *text, FILE *out)
{
	cx_fputs_text(text, out);
	size_t l = strlen(text);
	if (l == 0 || text[l - 1] != '\n')
		fputc('\n', out);
	fputc('\n', out);
}

/* The calls table: its heading, then one row per call in slot order. */
static void
write_table(const struct cx_summary *s, FILE *out)
{
	fputs(s->table_head, out);
	for (uint64_t i = 0; i < cx_spill_slots(s->rows); i++) {
		size_t len;
		const char *row = cx_spill_get(s->rows, i, &len);
		if (row)
			fwrite(row, 1, len, out);
	}
	fputc('\n', out);
}

void
cx_summary_write(struct cx_summary *s, struct cx_names *names, int64_t rel0_ns, FILE *out)
{
	const struct section **v = sorted(s);
	if (!v)
		return;
	struct spilled it;
	spilled_open(&it, s);
	spilled_next(&it);
	bool table = s->table_head && cx_spill_records(s->rows);
	size_t i = 0;
	for (;;) {
		bool sp;
		const struct section *x = next_section(v, s->n, &i, &it, &sp);
		if (table && (!x || s->table_ts < x->ts || (s->table_ts == x->ts && s->table_frame < x->frame))) {
			write_table(s, out);
			table = false;
		}
		if (!x)
			break;
		if (x->text)
			write_text(x->text, out);
		else
			write_section(x, names, rel0_ns, out);
		if (sp)
			spilled_next(&it);
	}
	free(v);
}

static struct json_object *
str_or_null(const char *t)
{
	return t ? json_object_new_string(t) : NULL;
}

static struct json_object *
conv_json(const struct section *x, struct cx_names *names, int64_t rel0_ns)
{
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
	return o;
}

void
cx_summary_report_stream(struct cx_summary *s, struct cx_names *names, int64_t rel0_ns, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "conversations", true);
	const struct section **v = sorted(s);
	struct spilled it;
	spilled_open(&it, s);
	spilled_next(&it);
	size_t i = 0;
	for (;;) {
		bool sp;
		const struct section *x = next_section(v, v ? s->n : 0, &i, &it, &sp);
		if (!x)
			break;
		if (!x->text)
			cx_jsonw_element(w, conv_json(x, names, rel0_ns));
		if (sp)
			spilled_next(&it);
	}
	free(v);
	cx_jsonw_end(w, true);
}

struct json_object *
cx_summary_report(const struct cx_summary *s, struct cx_names *names, int64_t rel0_ns)
{
	struct json_object *arr = json_object_new_array();
	const struct section **v = sorted(s);
	if (!v)
		return arr;
	for (size_t i = 0; i < s->n; i++)
		if (!v[i]->text)
			json_object_array_add(arr, conv_json(v[i], names, rel0_ns));
	free(v);
	return arr;
}
