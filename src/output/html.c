/* The HTML report (see include/callextract/html.h): what the report
 * writer hands over, kept by dialog index in spill files, and the pages
 * written from it at the end. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/html.h"
#include "callextract/outdir.h"
#include "callextract/spill.h"
#include "html_assets.h"
#include "util/text.h"

#define STREAMS_PER_CALL 16 /* streams drawn on a call page; the rest only in report.json */
#define AUTH_PER_CALL 16
#define CHUNK 1000          /* rows per data file: the index loads them on demand */

/* A list written as data/NAME-NNNNNN.js files of CHUNK rows each, every
 * file one call cxData("NAME", NNNNNN, [rows]) (scripts from the report's
 * own folder are what the page's CSP allows it to load). */
struct chunks {
	const char *name;
	FILE *f;
	uint64_t count;
	int err;
};

struct idh {
	uint64_t h;                 /* of the Call-ID */
	uint64_t fh;                /* of the call's folder */
	uint32_t index;
};

struct cx_html {
	struct cx_ctx *ctx;
	struct cx_spill *calls;     /* slot = dialog index: its report entry (calls only) */
	struct cx_spill *streams;   /* slot = index * STREAMS_PER_CALL + k */
	struct cx_spill *auth;      /* slot = index * AUTH_PER_CALL + k */
	struct cx_spill *convs;     /* slot = index: the call's conversation parties */
	uint8_t *ns, *na;           /* streams, exchanges so far per dialog index */
	size_t nslot;
	struct idh *ids;            /* every call, sorted by h once the dialogs are in */
	size_t nids, capids;
	bool sorted;
	FILE *blocks;               /* spill/html-index: the overview's data blocks */
	char cur[64];               /* the array block open in it, "" none */
	bool first;                 /* no element in it yet */
	uint64_t dropped_streams, dropped_auth;
	struct chunks lanes;        /* the timeline's conversations */
	struct json_tokener *tok;   /* parse(): the main thread's only */
};

static void
chunk_add(struct cx_outdir *out, struct chunks *c, const char *json, size_t len)
{
	if (c->count % CHUNK == 0) {
		if (c->f && fputs("]);\n", c->f) < 0)
			c->err = -1;
		if (c->f && fclose(c->f) != 0)
			c->err = -1;
		char path[96];
		snprintf(path, sizeof(path), "data/%s-%06llu.js", c->name, (unsigned long long)(c->count / CHUNK));
		c->f = cx_outdir_fopen(out, path, "w");
		if (!c->f) {
			c->err = -1;
			return;
		}
		fprintf(c->f, "cxData(\"%s\", %llu, [", c->name, (unsigned long long)(c->count / CHUNK));
	} else if (c->f) {
		fputs(",\n", c->f);
	}
	if (c->f)
		cx_html_json_escape(c->f, json, len);
	c->count++;
}

static int
chunk_close(struct chunks *c)
{
	if (c->f) {
		fputs("]);\n", c->f);
		if (fclose(c->f) != 0)
			c->err = -1;
	}
	c->f = NULL;
	return c->err;
}

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

struct cx_html *
cx_html_new(struct cx_ctx *ctx)
{
	struct cx_html *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = ctx;
	h->lanes.name = "conversations";
	h->calls = cx_spill_new(ctx->out, "html-calls");
	h->streams = cx_spill_new(ctx->out, "html-streams");
	h->auth = cx_spill_new(ctx->out, "html-auth");
	h->convs = cx_spill_new(ctx->out, "html-convs");
	h->blocks = cx_outdir_fopen(ctx->out, "spill/html-index", "w");
	if (!h->calls || !h->streams || !h->auth || !h->convs || !h->blocks) {
		cx_html_free(h);
		return NULL;
	}
	return h;
}

void
cx_html_free(struct cx_html *h)
{
	if (!h)
		return;
	cx_spill_free(h->calls);
	cx_spill_free(h->streams);
	cx_spill_free(h->auth);
	cx_spill_free(h->convs);
	if (h->tok)
		json_tokener_free(h->tok);
	if (h->blocks)
		fclose(h->blocks);
	chunk_close(&h->lanes);
	cx_outdir_remove(h->ctx->out, "spill/html-index");
	free(h->ns);
	free(h->na);
	free(h->ids);
	free(h);
}

/* ---- escaping ---- */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
		   (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4 : 0;
	if (!k || k > n)
		return 0;
	for (size_t j = 1; j < k; j++)
		if ((p[j] & 0xC0) != 0x80)
			return 0;
	if (k == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
		return 0;
	if (k == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
		return 0;
	return k;
}

void
cx_html_json_escape(FILE *f, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		if (c == '<' || c == '>' || c == '&') {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		if (c < 0x80) {
			fputc((int)c, f);
			i++;
			continue;
		}
		size_t k = utf8_len(p + i, len - i);
		if (!k) {
			/* JSON strings are the only place such a byte can be */
			fprintf(f, "\\\\x%02X", c);
			i++;
			continue;
		}
		if (k == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
			fprintf(f, "\\u%04x", 0x2000 + (p[i + 2] - 0x80));
		else
			fwrite(p + i, 1, k, f);
		i += k;
	}
}

/* ---- what the report writer hands over ---- */

/* One tokener for the whole run (making one per element cost more than
 * the parse of a small element); reset before each element, so an
 * element cut short does not run into the next. */
static struct json_object *
parse(struct cx_html *h, const char *text, size_t len)
{
	if (!h->tok && !(h->tok = json_tokener_new_ex(64)))
		return NULL;
	json_tokener_reset(h->tok);
	return json_tokener_parse_ex(h->tok, text, (int)(len > 0x7fffffff ? 0x7fffffff : len));
}

static const char *
sget(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static int64_t
iget(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static bool
grow_slots(struct cx_html *h, uint64_t index)
{
	if (index < h->nslot)
		return true;
	size_t n = h->nslot ? h->nslot : 1024;
	while (n <= index)
		n *= 2;
	uint8_t *a = realloc(h->ns, n), *b = realloc(h->na, n);
	if (a)
		h->ns = a;
	if (b)
		h->na = b;
	if (!a || !b)
		return false;
	memset(h->ns + h->nslot, 0, n - h->nslot);
	memset(h->na + h->nslot, 0, n - h->nslot);
	h->nslot = n;
	return true;
}

static int
cmp_idh(const void *a, const void *b)
{
	const struct idh *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The call a Call-ID (and a file below its folder, if any) belongs to; 0
 * none. Continuations share a Call-ID: the file's folder tells them
 * apart, else the last of them. */
static uint32_t
call_of(struct cx_html *h, const char *call_id, const char *file)
{
	if (!call_id || !h->nids)
		return 0;
	if (!h->sorted) {
		qsort(h->ids, h->nids, sizeof(*h->ids), cmp_idh);
		h->sorted = true;
	}
	uint64_t k = fnv(call_id, strlen(call_id));
	size_t lo = 0, hi = h->nids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (h->ids[mid].h < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t found = 0;
	uint64_t fh = 0;
	if (file) {
		const char *s = strchr(file, '/');
		s = s ? strchr(s + 1, '/') : NULL;
		if (s)
			fh = fnv(file, (size_t)(s - file));
	}
	for (size_t i = lo; i < h->nids && h->ids[i].h == k; i++) {
		found = h->ids[i].index;
		if (fh && h->ids[i].fh == fh)
			return found;
	}
	return found;
}

static void
block_close(struct cx_html *h)
{
	if (h->cur[0])
		fputs("]</script>\n", h->blocks);
	h->cur[0] = '\0';
}

/* An element of the overview's array block id (opened on its first). */
static void
block_element(struct cx_html *h, const char *id, const char *text, size_t len)
{
	if (strcmp(h->cur, id)) {
		block_close(h);
		fprintf(h->blocks, "<script type=\"application/json\" id=\"d-%s\">[", id);
		snprintf(h->cur, sizeof(h->cur), "%s", id);
		h->first = true;
	}
	if (!h->first)
		fputc(',', h->blocks);
	h->first = false;
	cx_html_json_escape(h->blocks, text, len);
}

static void
block_value(struct cx_html *h, const char *id, const char *text, size_t len)
{
	block_close(h);
	fprintf(h->blocks, "<script type=\"application/json\" id=\"d-%s\">", id);
	cx_html_json_escape(h->blocks, text, len);
	fputs("</script>\n", h->blocks);
}

static void
on_dialog(struct cx_html *h, const char *text, size_t len)
{
	struct json_object *o = parse(h, text, len);
	const char *folder = sget(o, "folder"), *cid = sget(o, "call_id");
	int64_t index = iget(o, "index");
	if (folder && cid && index > 0 && index < UINT32_MAX && cx_grow(&h->ids, &h->capids, h->nids, sizeof(*h->ids)) == 0) {
		h->ids[h->nids++] = (struct idh){ fnv(cid, strlen(cid)), fnv(folder, strlen(folder)), (uint32_t)index };
		h->sorted = false;
		cx_spill_put(h->calls, (uint64_t)index, text, len);
	}
	json_object_put(o);
}

static void
on_stream(struct cx_html *h, const char *text, size_t len)
{
	struct json_object *o = parse(h, text, len);
	uint32_t idx = call_of(h, sget(o, "call_id"), sget(o, "wav"));
	if (idx && grow_slots(h, idx)) {
		if (h->ns[idx] < STREAMS_PER_CALL)
			cx_spill_put(h->streams, (uint64_t)idx * STREAMS_PER_CALL + h->ns[idx]++, text, len);
		else
			h->dropped_streams++;
	}
	json_object_put(o);
}

static void
on_exchange(struct cx_html *h, const char *text, size_t len)
{
	struct json_object *o = parse(h, text, len);
	uint32_t idx = call_of(h, sget(o, "call_id"), NULL);
	if (idx && grow_slots(h, idx)) {
		if (h->na[idx] < AUTH_PER_CALL)
			cx_spill_put(h->auth, (uint64_t)idx * AUTH_PER_CALL + h->na[idx]++, text, len);
		else
			h->dropped_auth++;
	}
	json_object_put(o);
	block_element(h, "auth-exchanges", text, len);
}

/* A conversation: a lane of the overview's timeline (the fields it
 * draws, not the whole write-up), and for a call its parties. */
static void
on_conversation(struct cx_html *h, const char *text, size_t len)
{
	struct json_object *o = parse(h, text, len), *lane = json_object_new_object(), *v;
	static const char *keep[] = { "kind", "title", "first_frame", "last_frame", "start", "end" };
	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++)
		if (json_object_object_get_ex(o, keep[i], &v))
			json_object_object_add(lane, keep[i], json_object_get(v));
	const char *kind = sget(o, "kind"), *title = sget(o, "title");
	unsigned idx = 0;
	if (kind && !strcmp(kind, "sip-call") && title && sscanf(title, "SIP call %u:", &idx) == 1 && idx) {
		json_object_object_add(lane, "call", json_object_new_int64(idx));
		/* the lane links to the call's page: its folder, from the
		 * call's report entry (the dialogs come first in the report) */
		size_t dl;
		const char *dt = cx_spill_get(h->calls, idx, &dl);
		struct json_object *d = dt ? parse(h, dt, dl) : NULL, *fo;
		if (d && json_object_object_get_ex(d, "folder", &fo))
			json_object_object_add(lane, "folder", json_object_get(fo));
		json_object_put(d);
		if (json_object_object_get_ex(o, "parties", &v)) {
			const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			cx_spill_put(h->convs, idx, t, strlen(t));
		}
	}
	const char *t = json_object_to_json_string_ext(lane, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	chunk_add(h->ctx->out, &h->lanes, t, strlen(t));
	json_object_put(lane);
	json_object_put(o);
}

/* The capture section without "lifecycle" (the run's settings and
 * counts, which the page does not show: the pages of a capture are the
 * same whenever its calls were finished). */
static void
on_capture(struct cx_html *h, const char *text, size_t len)
{
	struct json_object *o = parse(h, text, len);
	if (!o) {
		block_value(h, "capture", text, len);
		return;
	}
	json_object_object_del(o, "lifecycle");
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	block_value(h, "capture", t, strlen(t));
	json_object_put(o);
}

void
cx_html_tap(void *arg, const char *path, const char *text, size_t len)
{
	struct cx_html *h = arg;
	if (!h)
		return;
	if (!strcmp(path, "dialogs"))
		on_dialog(h, text, len);
	else if (!strcmp(path, "streams"))
		on_stream(h, text, len);
	else if (!strcmp(path, "auth.exchanges"))
		on_exchange(h, text, len);
	else if (!strcmp(path, "conversations"))
		on_conversation(h, text, len);
	else if (!strcmp(path, "hosts") || !strcmp(path, "generator"))
		return; /* the conversations carry the names the pages show */
	else if (!strcmp(path, "auth.cleartext") || !strcmp(path, "auth.challenges"))
		block_element(h, !strcmp(path, "auth.cleartext") ? "auth-cleartext" : "auth-challenges", text, len);
	else if (!strcmp(path, "capture"))
		on_capture(h, text, len);
	else if (!strchr(path, '.') && (!strcmp(path, "dns") || !strcmp(path, "icmp") ||
					 !strcmp(path, "ftp") || !strcmp(path, "findings")))
		block_value(h, path, text, len);
}

/* ---- pages ---- */

static const char csp[] =
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; "
	"style-src 'self'; img-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'\">\n";

void cx_html_page_head(FILE *f, const char *root, const char *page);
void
cx_html_page_head(FILE *f, const char *root, const char *page)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n%s"
		   "<meta name=\"viewport\" content=\"width=device-width\">\n"
		   "<title>callextract report</title>\n<link rel=\"stylesheet\" href=\"%sassets/cx.css\">\n</head>\n"
		   "<body data-page=\"%s\" data-root=\"%s\">\n"
		   "<noscript><p>This report draws its tables with JavaScript (assets/cx.js); report.json and "
		   "summary.txt hold the same data.</p></noscript>\n",
		   csp, root, page, root);
}

void cx_html_page_tail(FILE *f, const char *root);
void
cx_html_page_tail(FILE *f, const char *root)
{
	fprintf(f, "<main id=\"app\"></main>\n<script src=\"%sassets/cx.js\"></script>\n</body>\n</html>\n", root);
}

int cx_html_call_page(struct cx_ctx *ctx, struct cx_pictures *pic, struct json_object *dialog,
		      struct json_object *streams, struct json_object *auth, struct json_object *parties,
		      struct json_object *row);

static struct json_object *
from_spill(struct cx_html *h, struct cx_spill *s, uint64_t slot)
{
	size_t len;
	const char *t = cx_spill_get(s, slot, &len);
	return t ? parse(h, t, len) : NULL;
}

static int
write_asset(struct cx_html *h, const char *name, const unsigned char *data, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "assets/%s", name);
	FILE *f = cx_outdir_fopen(h->ctx->out, path, "w");
	if (!f)
		return -1;
	fwrite(data, 1, len, f);
	return fclose(f);
}

/* Copies the file at relpath (below DIR) to f. */
static int
copy_in(struct cx_html *h, const char *relpath, FILE *f)
{
	int fd = cx_outdir_reopenfd(h->ctx->out, relpath);
	if (fd < 0)
		return -1;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, f);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* ---- the call pages, on two cores when there are two ---- */

#define PAGE_BATCH 128

struct page_job {
	struct json_object *d, *streams, *auth, *parties, *row;
	int rc;
};

struct page_batch {
	struct cx_ctx *ctx;
	struct page_job *jobs;
	size_t n;
	atomic_size_t next;
};

struct page_thread {
	struct page_batch *b;
	struct cx_pictures *pic; /* this thread's own */
};

/* Each page reads only its own objects and writes only its own files
 * (the output directory is opened by descriptor, no shared state), so
 * the pages of a batch are independent; the rows are added in order
 * afterwards, so the output does not depend on the number of threads. */
static void *
page_worker(void *arg)
{
	struct page_thread *pt = arg;
	struct page_batch *b = pt->b;
	for (size_t k; (k = atomic_fetch_add(&b->next, 1)) < b->n;) {
		struct page_job *j = &b->jobs[k];
		j->rc = cx_html_call_page(b->ctx, pt->pic, j->d, j->streams, j->auth, j->parties, j->row);
	}
	return NULL;
}

static void
run_pages(struct page_batch *b, struct cx_pictures *pic[2], int threads)
{
	pthread_t t;
	struct page_thread mine = { b, pic[0] }, other = { b, pic[1] };
	bool two = threads > 1 && b->n > 1 && pic[1] && pthread_create(&t, NULL, page_worker, &other) == 0;
	page_worker(&mine);
	if (two)
		pthread_join(t, NULL);
}

/* --threads 1 keeps the pages on one core, as the rest of the run */
static int
page_threads(const struct cx_ctx *ctx)
{
	return ctx->cfg->threads == 1 || sysconf(_SC_NPROCESSORS_ONLN) < 2 ? 1 : 2;
}

int
cx_html_finish(struct cx_html *h)
{
	struct cx_ctx *ctx = h->ctx;
	int rc = 0;
	block_close(h);
	if (fclose(h->blocks) != 0)
		rc = -1;
	h->blocks = NULL;
	if (write_asset(h, "cx.css", cx_asset_css, cx_asset_css_len) < 0 ||
	    write_asset(h, "cx.js", cx_asset_js, cx_asset_js_len) < 0)
		rc = -1;
	/* the calls: a page each, and a row each for the calls table */
	if (chunk_close(&h->lanes) < 0)
		rc = -1;
	struct chunks rows = { .name = "calls" };
	struct page_job *jobs = calloc(PAGE_BATCH, sizeof(*jobs));
	int threads = page_threads(ctx);
	struct cx_pictures *pic[2] = { cx_pictures_new(), threads > 1 ? cx_pictures_new() : NULL };
	if (!jobs)
		rc = -1;
	uint64_t slots = cx_spill_slots(h->calls);
	for (uint64_t i = 1; jobs && i < slots;) {
		/* a batch read from the spills here (they are not shared
		 * between threads), written by page_worker */
		size_t n = 0;
		for (; i < slots && n < PAGE_BATCH; i++) {
			struct json_object *d = from_spill(h, h->calls, i);
			if (!d)
				continue;
			struct page_job *j = &jobs[n++];
			j->d = d;
			j->streams = json_object_new_array();
			j->auth = json_object_new_array();
			for (unsigned k = 0; i < h->nslot && k < h->ns[i]; k++) {
				struct json_object *s = from_spill(h, h->streams, i * STREAMS_PER_CALL + k);
				if (s)
					json_object_array_add(j->streams, s);
			}
			for (unsigned k = 0; i < h->nslot && k < h->na[i]; k++) {
				struct json_object *s = from_spill(h, h->auth, i * AUTH_PER_CALL + k);
				if (s)
					json_object_array_add(j->auth, s);
			}
			j->parties = from_spill(h, h->convs, i);
			j->row = json_object_new_object();
		}
		struct page_batch b = { .ctx = ctx, .jobs = jobs, .n = n };
		run_pages(&b, pic, threads);
		for (size_t k = 0; k < n; k++) {
			struct page_job *j = &jobs[k];
			if (j->rc < 0)
				rc = -1;
			const char *rt = json_object_to_json_string_ext(j->row, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			chunk_add(ctx->out, &rows, rt, strlen(rt));
			json_object_put(j->row);
			json_object_put(j->parties);
			json_object_put(j->auth);
			json_object_put(j->streams);
			json_object_put(j->d);
		}
	}
	free(jobs);
	cx_pictures_free(pic[0]);
	cx_pictures_free(pic[1]);
	if (chunk_close(&rows) < 0)
		rc = -1;
	FILE *f = cx_outdir_fopen(ctx->out, "index.html.tmp", "w");
	if (!f) {
		cx_log(ctx, CX_LOG_ERR, "%s/index.html: %s", cx_outdir_path(ctx->out), strerror(errno));
		return -1;
	}
	cx_html_page_head(f, "", "index");
	if (copy_in(h, "spill/html-index", f) < 0)
		rc = -1;
	fprintf(f, "<script type=\"application/json\" id=\"d-sets\">{\"chunk\":%d,\"calls\":%llu,\"conversations\":%llu}</script>\n",
		CHUNK, (unsigned long long)rows.count, (unsigned long long)h->lanes.count);
	fprintf(f, "<script type=\"application/json\" id=\"d-left-out\">{\"streams\":%llu,\"exchanges\":%llu}</script>\n",
		(unsigned long long)h->dropped_streams, (unsigned long long)h->dropped_auth);
	cx_html_page_tail(f, "");
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && cx_outdir_rename(ctx->out, "index.html.tmp", "index.html") < 0)
		rc = -1;
	if (rc < 0)
		cx_log(ctx, CX_LOG_ERR, "%s: the HTML report is incomplete", cx_outdir_path(ctx->out));
	return rc;
}
