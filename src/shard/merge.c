/* callextract merge: report.json of a sharded run, from each shard's
 * shard.json and shard.records (doc/distributed.md). Each shard recorded
 * every value its report.json got, before the UTF-8 pass; the merge keeps
 * the elements a shard owns (the entity began in its own frames, or a
 * stream belongs to a call it owns), puts them in the single pass's order
 * (by the frame that began them) and writes them through the same writer,
 * so the bytes are the single pass's. Sections whose content is a join
 * over the whole capture (hosts, conversations, TCP connections,
 * wrappers) are not merged yet and are named in "not_merged". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/shard.h"
#include "callextract/spill.h"
#include "util/text.h"

struct mrec {                   /* one tapped value of one shard */
	const char *path;       /* inside the shard's mapping, plen bytes */
	size_t plen;
	const char *text;
	size_t len;
};

static bool
is_path(const struct mrec *r, const char *path)
{
	return r->plen == strlen(path) && !memcmp(r->path, path, r->plen);
}

struct mshard {
	const char *dir;
	char *names;            /* shard.names, whole (owned) */
	size_t nnames;
	const char *buf;        /* shard.records, mapped (owned: munmap) */
	size_t size;
	struct mrec *r;
	size_t n, cap;
	struct json_object *sj;   /* shard.json */
	uint64_t first, last;     /* own frames */
	struct json_object *calls; /* call ids of the dialogs it owns (a set) */
};

struct item {                   /* an element that may go into the merge */
	int part;               /* streams: 0, STUN flows after them: 1 */
	uint64_t key;           /* the frame that began it */
	int claim;              /* 2: of an owned call, 1: begun in own frames */
	size_t shard, seq;
	const char *text;       /* verbatim (dialogs, streams) */
	size_t len;
	struct json_object *o;  /* or parsed (borrowed from its document) */
	char ident[160];        /* streams: what makes two shards' copies one */
};

static int
cmp_item(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	if (a->part != b->part)
		return a->part < b->part ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->shard != b->shard)
		return a->shard < b->shard ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct items {
	struct item *v;
	size_t n, cap;
};

static struct item *
items_add(struct items *it)
{
	if (it->n == it->cap) {
		size_t c = it->cap ? it->cap * 2 : 64;
		struct item *v = realloc(it->v, c * sizeof(*v));
		if (!v)
			return NULL;
		it->v = v;
		it->cap = c;
	}
	struct item *x = &it->v[it->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

static char *
slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap + 1);
	while (b) {
		size_t k = fread(b + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		char *nb = realloc(b, cap * 2 + 1);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		cap *= 2;
	}
	if (b && ferror(f)) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		*size = n;
	}
	return b;
}

static int64_t
get_i64(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_int64(v);
}

static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* shard.records: "PATH\nLEN\n" then LEN bytes and "\n", again and again */
static int
parse_records(struct mshard *s, const char *name, char *err, size_t errlen)
{
	size_t i = 0;
	while (i < s->size) {
		const char *nl = memchr(s->buf + i, '\n', s->size - i);
		if (!nl)
			goto bad;
		const char *path = s->buf + i;
		/* the length: digits and a newline, inside the mapping */
		const char *d = nl + 1, *end = d;
		unsigned long long len = 0;
		while (end < s->buf + s->size && *end >= '0' && *end <= '9' && end - d < 19)
			len = len * 10 + (unsigned)(*end++ - '0');
		if (end == d || end >= s->buf + s->size || *end != '\n' ||
		    len > s->size - (size_t)(end + 1 - s->buf))
			goto bad;
		const char *text = end + 1;
		if (text + len >= s->buf + s->size || text[len] != '\n')
			goto bad;
		if (s->n == s->cap) {
			size_t c = s->cap ? s->cap * 2 : 64;
			struct mrec *v = realloc(s->r, c * sizeof(*v));
			if (!v) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->r = v;
			s->cap = c;
		}
		s->r[s->n++] = (struct mrec){ path, (size_t)(nl - path), text, (size_t)len };
		i = (size_t)(text + len + 1 - s->buf);
	}
	return 0;
bad:
	snprintf(err, errlen, "%s/shard.records: damaged after %zu values", name, s->n);
	return -1;
}

static struct json_object *
parse_text(const char *t, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH * 4);
	if (!tok)
		return NULL;
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		return NULL;
	}
	struct json_object *o = json_tokener_parse_ex(tok, t, (int)len);
	/* one value and nothing after it: the text is written as it is */
	if (json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static bool
owns(const struct mshard *s, uint64_t frame)
{
	return frame >= s->first && frame <= s->last;
}

/* The first record of path in shard s, parsed (owned by the caller). */
static struct json_object *
first_value(struct mshard *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (is_path(&s->r[i], path))
			return parse_text(s->r[i].text, s->r[i].len);
	return NULL;
}

/* Elements of array section path, one record each (dialogs, streams,
 * auth.*), or the elements of the array member a whole record holds
 * (dns, icmp.echo...: member names the array inside, NULL for the record
 * itself). keyf names the field holding the frame that began an element. */
struct section {
	const char *path;
	const char *member;
	const char *keyf, *keyf2;  /* keyf2: when keyf is null */
	bool verbatim;
	bool by_call;              /* owned with the call of its call_id */
};

/* A top-level member of a record's text (pretty json-c at depth 0: the
 * line '  "key": VALUE', VALUE to the end of the line less a comma; json-c
 * escapes newlines inside strings, so a line is never inside one). */
static bool
member(const struct mrec *r, const char *key, const char **v, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *p = r->text, *end = r->text + r->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) >= kl + 6 && p[0] == ' ' && p[1] == ' ' && p[2] == '"' &&
		    !memcmp(p + 3, key, kl) && p[3 + kl] == '"' && p[4 + kl] == ':' && p[5 + kl] == ' ') {
			*v = p + 6 + kl;
			*vlen = (size_t)(le - *v);
			if (*vlen && (*v)[*vlen - 1] == ',')
				(*vlen)--;
			return true;
		}
		p = le + 1;
	}
	return false;
}

static uint64_t
digits(const char *v, size_t n)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n && i < 19 && v[i] >= '0' && v[i] <= '9'; i++)
		x = x * 10 + (uint64_t)(v[i] - '0');
	return x;
}

/* A number member (0: absent, null, or not a number). */
static uint64_t
member_u64(const struct mrec *r, const char *key)
{
	const char *v;
	size_t n;
	return member(r, key, &v, &n) ? digits(v, n) : 0;
}

/* A member's text as written (strings with their quotes and escapes),
 * NUL-terminated in buf; false if absent or longer than buf. */
static bool
member_raw(const struct mrec *r, const char *key, char *buf, size_t size)
{
	const char *v;
	size_t n;
	if (!member(r, key, &v, &n) || n >= size)
		return false;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return true;
}

/* The frame that began a record (verbatim sections): its key member, or
 * for a STUN flow the frame of its first message. */
static uint64_t
key_of_text(const struct mrec *r, const struct section *sec)
{
	uint64_t k = member_u64(r, sec->keyf);
	const char *v;
	size_t n;
	if (!k && !strcmp(sec->path, "streams") && member(r, "stun", &v, &n)) {
		static const char f[] = "\"frame\": ";
		const char *end = r->text + r->len;
		const char *q = memmem(v, (size_t)(end - v), f, sizeof(f) - 1);
		if (q)
			k = digits(q + sizeof(f) - 1, (size_t)(end - q) - (sizeof(f) - 1));
	}
	return k;
}

static uint64_t
key_of(struct json_object *o, const struct section *sec)
{
	int64_t k = get_i64(o, sec->keyf, 0);
	if (!k && sec->keyf2)
		k = get_i64(o, sec->keyf2, 0);
	if (!k && !strcmp(sec->path, "streams")) {
		/* a STUN flow: the frame of its first message */
		struct json_object *m;
		if (json_object_object_get_ex(o, "stun", &m) && json_object_array_length(m) > 0)
			k = get_i64(json_object_array_get_idx(m, 0), "frame", 0);
	}
	return k > 0 ? (uint64_t)k : 0;
}

static int
collect(struct mshard *sh, size_t nsh, const struct section *sec, struct items *it,
	struct json_object **docs, size_t *ndocs)
{
	for (size_t k = 0; k < nsh; k++) {
		struct mshard *s = &sh[k];
		for (size_t i = 0; i < s->n; i++) {
			if (!is_path(&s->r[i], sec->path))
				continue;
			if (sec->verbatim) {
				/* read in place: not parsed, most records are not kept */
				const struct mrec *r = &s->r[i];
				uint64_t key = key_of_text(r, sec);
				int claim = owns(s, key) ? 1 : 0;
				char cid[1024], kind[16], a[160], b[160], c[32];
				struct json_object *dummy;
				if (sec->by_call && member_raw(r, "call_id", cid, sizeof(cid)) &&
				    json_object_object_get_ex(s->calls, cid, &dummy))
					claim = 2;
				if (!claim)
					continue;
				struct item *x = items_add(it);
				if (!x)
					return -1;
				x->part = member_raw(r, "kind", kind, sizeof(kind)) && !strcmp(kind, "\"stun\"");
				x->key = key;
				x->claim = claim;
				x->shard = k;
				x->seq = i;
				x->text = r->text;
				x->len = r->len;
				if (!member_raw(r, "src", a, sizeof(a)))
					a[0] = '\0';
				if (!member_raw(r, "dst", b, sizeof(b)))
					b[0] = '\0';
				if (!member_raw(r, "ssrc", c, sizeof(c)))
					c[0] = '\0';
				snprintf(x->ident, sizeof(x->ident), "%d|%llu|%s|%s|%s", x->part, (unsigned long long)key,
					 a, b, c);
				continue;
			}
			struct json_object *doc = parse_text(s->r[i].text, s->r[i].len);
			if (!doc)
				return -1;
			docs[(*ndocs)++] = doc;
			struct json_object *arr = doc;
			if (sec->member && !json_object_object_get_ex(doc, sec->member, &arr))
				arr = NULL;
			size_t m = sec->verbatim ? 1 : (arr && json_object_is_type(arr, json_type_array) ?
							json_object_array_length(arr) : 0);
			for (size_t j = 0; j < m; j++) {
				struct json_object *o = sec->verbatim ? doc : json_object_array_get_idx(arr, j);
				uint64_t key = key_of(o, sec);
				int claim = owns(s, key) ? 1 : 0;
				/* a call's streams and digest answers are its owner's:
				 * a later shard may have seen them without the SDP or
				 * the challenge before its warm-up */
				if (sec->by_call) {
					const char *cid = get_str(o, "call_id");
					struct json_object *dummy;
					if (cid && json_object_object_get_ex(s->calls, cid, &dummy))
						claim = 2;
				}
				if (!claim)
					continue;
				struct item *x = items_add(it);
				if (!x)
					return -1;
				const char *kind = get_str(o, "kind");
				x->part = kind && !strcmp(kind, "stun");
				x->key = key;
				x->claim = claim;
				x->shard = k;
				x->seq = i * 65536 + j;
				x->text = s->r[i].text;
				x->len = s->r[i].len;
				x->o = o;
				const char *a = get_str(o, "src"), *b = get_str(o, "dst"), *c = get_str(o, "ssrc");
				snprintf(x->ident, sizeof(x->ident), "%d|%llu|%s|%s|%s", x->part,
					 (unsigned long long)key, a ? a : "", b ? b : "", c ? c : "");
			}
		}
	}
	if (it->n)
		qsort(it->v, it->n, sizeof(*it->v), cmp_item);
	/* a response a later shard saw without its query (begun before its
	 * warm-up) is the answer of a query another shard owns and followed */
	if (!strcmp(sec->path, "dns")) {
		struct json_object *answered = json_object_new_object();
		char k[24];
		for (size_t i = 0; i < it->n; i++)
			if (get_i64(it->v[i].o, "query_frame", 0) && get_i64(it->v[i].o, "response_frame", 0)) {
				snprintf(k, sizeof(k), "%lld", (long long)get_i64(it->v[i].o, "response_frame", 0));
				json_object_object_add(answered, k, NULL);
			}
		size_t o = 0;
		for (size_t i = 0; i < it->n; i++) {
			struct json_object *dummy;
			snprintf(k, sizeof(k), "%lld", (long long)get_i64(it->v[i].o, "response_frame", 0));
			if (!get_i64(it->v[i].o, "query_frame", 0) && json_object_object_get_ex(answered, k, &dummy))
				continue;
			it->v[o++] = it->v[i];
		}
		it->n = o;
		json_object_put(answered);
	}
	/* one copy of each: the one of the shard that owns its call */
	if (sec->by_call) {
		size_t o = 0;
		for (size_t i = 0; i < it->n;) {
			size_t j = i, best = i;
			while (j < it->n && !strcmp(it->v[j].ident, it->v[i].ident)) {
				if (it->v[j].claim > it->v[best].claim)
					best = j;
				j++;
			}
			it->v[o++] = it->v[best];
			i = j;
		}
		it->n = o;
	}
	return 0;
}

/* Counts records of path in every shard (sections with a record each). */
static size_t
count_path(struct mshard *sh, size_t nsh, const char *path)
{
	size_t n = 0;
	for (size_t k = 0; k < nsh; k++)
		for (size_t i = 0; i < sh[k].n; i++)
			n += is_path(&sh[k].r[i], path);
	return n;
}

static int
write_array(struct cx_jsonw *w, struct mshard *sh, size_t nsh, const struct section *sec,
	    const char *key, struct json_object *kept)
{
	struct items it = { 0 };
	size_t cap = count_path(sh, nsh, sec->path) + 1, nd = 0;
	struct json_object **docs = calloc(cap, sizeof(*docs));
	int rc = docs ? collect(sh, nsh, sec, &it, docs, &nd) : -1;
	if (rc == 0) {
		cx_jsonw_begin(w, key, true);
		for (size_t i = 0; i < it.n; i++) {
			if (sec->verbatim) {
				/* what goes out is parsed once: a damaged shard must
				 * not make report.json invalid JSON */
				struct json_object *o = parse_text(it.v[i].text, it.v[i].len);
				if (!o) {
					rc = -1;
					break;
				}
				if (kept)
					json_object_array_add(kept, o);
				else
					json_object_put(o);
			} else if (kept) {
				json_object_array_add(kept, json_object_get(it.v[i].o));
			}
			if (sec->verbatim)
				cx_jsonw_element_text(w, it.v[i].text, it.v[i].len);
			else
				cx_jsonw_element(w, json_object_get(it.v[i].o));
		}
		cx_jsonw_end(w, true);
	}
	for (size_t i = 0; i < nd; i++)
		json_object_put(docs[i]);
	free(docs);
	free(it.v);
	return rc;
}

/* A whole member built from the owned elements of its arrays. */
static struct json_object *
build_array(struct mshard *sh, size_t nsh, const struct section *sec, int *rc)
{
	struct items it = { 0 };
	size_t cap = count_path(sh, nsh, sec->path) + 1, nd = 0;
	struct json_object **docs = calloc(cap, sizeof(*docs));
	struct json_object *a = json_object_new_array();
	if (!docs || collect(sh, nsh, sec, &it, docs, &nd) < 0)
		*rc = -1;
	else
		for (size_t i = 0; i < it.n; i++)
			json_object_array_add(a, json_object_get(it.v[i].o));
	for (size_t i = 0; i < nd; i++)
		json_object_put(docs[i]);
	free(docs);
	free(it.v);
	return a;
}

static int
load_shard(struct mshard *s, const char *dir, char *err, size_t errlen)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/shard.json", dir);
	size_t n;
	char *t = slurp(p, &n);
	if (!t || !(s->sj = parse_text(t, n))) {
		snprintf(err, errlen, "%s: %s", p, t ? "not a shard's JSON" : strerror(errno));
		free(t);
		return -1;
	}
	free(t);
	if (get_i64(s->sj, "callextract_shard", 0) != 1) {
		snprintf(err, errlen, "%s: not a shard of this version", p);
		return -1;
	}
	s->dir = dir;
	s->first = (uint64_t)get_i64(s->sj, "own_first", 0);
	s->last = (uint64_t)get_i64(s->sj, "own_last", 0);
	snprintf(p, sizeof(p), "%s/shard.names", dir);
	if (!(s->names = slurp(p, &s->nnames))) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/shard.records", dir);
	/* mapped, not read: they are several times the report (each shard
	 * records what it saw of its neighbours too) */
	int fd = open(p, O_RDONLY);
	struct stat stt;
	if (fd < 0 || fstat(fd, &stt) < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->size = (size_t)stt.st_size;
	s->buf = s->size ? mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (s->buf == MAP_FAILED) {
		s->buf = NULL;
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	if (parse_records(s, dir, err, errlen) < 0)
		return -1;
	if (!s->n || !is_path(&s->r[0], "generator")) {
		snprintf(err, errlen, "%s/shard.records: not a shard's report (no generator first)", dir);
		return -1;
	}
	/* the call ids of the dialogs it owns: their streams are its */
	s->calls = json_object_new_object();
	for (size_t i = 0; i < s->n; i++) {
		if (!is_path(&s->r[i], "dialogs"))
			continue;
		char cid[1024];
		if (owns(s, member_u64(&s->r[i], "index")) && member_raw(&s->r[i], "call_id", cid, sizeof(cid)))
			json_object_object_add(s->calls, cid, NULL);
	}
	return 0;
}

static int
cmp_shard(const void *pa, const void *pb)
{
	const struct mshard *a = pa, *b = pb;
	return a->first < b->first ? -1 : a->first > b->first;
}

static const char *not_merged[] = { "capture.tcp", "capture.call_pcap", "wrappers", "conversations", "findings.auth.md5", "findings.auth.qop_absent",
				    "findings.auth.nonce_reused", "findings.auth.user_enumeration", "findings.hep.no_auth_key" };

/* Findings the end of the run makes from everything a module holds: the
 * last shard holds only its share, so they are left out (not_merged). */
static bool
finish_aggregate(const char *kind)
{
	for (size_t i = 0; i < sizeof(not_merged) / sizeof(*not_merged); i++)
		if (!strncmp(not_merged[i], "findings.", 9) && !strcmp(not_merged[i] + 9, kind))
			return true;
	return false;
}

/* The capture section: files and counters from the shards, times from
 * their own frames. */
static struct json_object *
capture_json(struct mshard *sh, size_t nsh, struct json_object *opts, struct cx_findings *fnd,
	     const struct cx_names *names)
{
	struct json_object *cap = json_object_new_object();
	struct json_object *files = json_object_new_array(), *lts = json_object_new_array();
	struct cx_stats *st = cx_stats_new();
	uint64_t bytes = 0, frames = 0;
	int64_t origin = get_i64(sh[0].sj, "origin_ts", 0), last = 0;
	bool any = false;
	for (size_t k = 0; k < nsh; k++) {
		struct json_object *f, *l, *c, *fl;
		if (json_object_object_get_ex(sh[k].sj, "own_file", &f) && f) {
			json_object_array_add(files, json_object_get(f));
			bytes += (uint64_t)get_i64(f, "bytes", 0);
			if (json_object_object_get_ex(f, "link_types", &l))
				for (size_t j = 0; j < json_object_array_length(l); j++) {
					const char *name = json_object_get_string(json_object_array_get_idx(l, j));
					bool seen = false;
					for (size_t m = 0; m < json_object_array_length(lts); m++)
						seen |= !strcmp(name, json_object_get_string(json_object_array_get_idx(lts, m)));
					if (!seen)
						json_object_array_add(lts, json_object_new_string(name));
				}
		}
		uint64_t fr = (uint64_t)get_i64(sh[k].sj, "own_frames_read", 0);
		if (fr) {
			int64_t t = get_i64(sh[k].sj, "own_max_ts", 0);
			if (!any || t > last)
				last = t;
			any = true;
		}
		frames += fr;
		if (st && json_object_object_get_ex(sh[k].sj, "counters", &c) && c) {
			json_object_object_foreach(c, name, v)
				cx_stats_add(st, name, (uint64_t)json_object_get_int64(v));
		}
		if (json_object_object_get_ex(sh[k].sj, "findings", &fl) && fl)
			for (size_t j = 0; j < json_object_array_length(fl); j++) {
				struct json_object *e = json_object_array_get_idx(fl, j);
				if (finish_aggregate(json_object_get_string(json_object_array_get_idx(e, 1))))
					continue;
				const char *hex = json_object_get_string(json_object_array_get_idx(e, 3));
				size_t hl = hex ? strlen(hex) / 2 : 0;
				char *msg = malloc(hl + 1);
				if (!msg)
					continue;
				for (size_t q = 0; q < hl; q++) {
					unsigned v;
					sscanf(hex + 2 * q, "%2x", &v);
					msg[q] = (char)v;
				}
				msg[hl] = '\0';
				cx_findings_add_listed(fnd, json_object_get_string(json_object_array_get_idx(e, 0)),
						       json_object_get_string(json_object_array_get_idx(e, 1)),
						       (uint64_t)json_object_get_int64(json_object_array_get_idx(e, 2)), msg);
				free(msg);
			}
		/* past the cap a kind is only counted: what was counted and not
		 * listed in this shard */
		struct json_object *kinds;
		if (json_object_object_get_ex(sh[k].sj, "finding_kinds", &kinds) && kinds)
			for (size_t j = 0; j < json_object_array_length(kinds); j++) {
				struct json_object *e = json_object_array_get_idx(kinds, j);
				const char *kind = json_object_get_string(json_object_array_get_idx(e, 0));
				if (finish_aggregate(kind))
					continue;
				uint64_t n = (uint64_t)json_object_get_int64(json_object_array_get_idx(e, 1)), listed = 0;
				for (size_t q = 0; fl && q < json_object_array_length(fl); q++)
					listed += !strcmp(kind, json_object_get_string(json_object_array_get_idx(
									json_object_array_get_idx(fl, q), 1)));
				if (n > listed)
					cx_findings_add_unlisted(fnd, kind, n - listed);
			}
	}
	char t[48];
	json_object_object_add(cap, "files", files);
	json_object_object_add(cap, "link_types", lts);
	json_object_object_add(cap, "bytes", json_object_new_int64((int64_t)bytes));
	json_object_object_add(cap, "frames", json_object_new_int64((int64_t)frames));
	json_object_object_add(cap, "first_time", frames ? json_object_new_string(cx_time_utc(origin, t, sizeof(t))) : NULL);
	json_object_object_add(cap, "last_time", frames ? json_object_new_string(cx_time_utc(last, t, sizeof(t))) : NULL);
	json_object_object_add(cap, "duration", json_object_new_double(frames ? (double)(last - origin) / 1e9 : 0));
	if (st) {
		json_object_object_add(cap, "protocols", cx_stats_to_json(st, "proto."));
		json_object_object_add(cap, "errors", cx_stats_to_json(st, "error."));
		json_object_object_add(cap, "ip_reassembly", cx_stats_to_json(st, "defrag."));
		struct json_object *life = json_object_new_object();
		json_object_object_add(life, "linger_ms", json_object_new_int64(get_i64(opts, "linger_ms", 0)));
		json_object_object_add(life, "call_idle_s", json_object_new_int64(get_i64(opts, "call_idle_s", 0)));
		json_object_object_add(life, "counts", cx_stats_to_json(st, "lifecycle."));
		json_object_object_add(life, "late_after_finish", cx_stats_to_json(st, "late."));
		uint64_t dh = 0, dn = 0, dm = 0, ds = 0;
		cx_names_dropped(names, &dh, &dn, &dm, &ds);
		struct json_object *dropped = json_object_new_object();
		json_object_object_add(dropped, "hosts", json_object_new_int64((int64_t)dh));
		json_object_object_add(dropped, "dns_names", json_object_new_int64((int64_t)dn));
		json_object_object_add(dropped, "macs", json_object_new_int64((int64_t)dm));
		json_object_object_add(dropped, "software", json_object_new_int64((int64_t)ds));
		json_object_object_add(life, "host_table_dropped", dropped);
		json_object_object_add(cap, "lifecycle", life);
		struct json_object *cp;
		bool with_pcap = json_object_object_get_ex(opts, "call_pcap", &cp) && json_object_get_boolean(cp);
		(void)with_pcap; /* capture.call_pcap: not merged */
		cx_stats_free(st);
	}
	return cap;
}

/* A transfer's file as a shard names it: ftp/NAME, NAME one component. */
static bool
safe_ftp_path(const char *p)
{
	return p && !strncmp(p, "ftp/", 4) && p[4] && p[4] != '.' && !strchr(p + 4, '/') && strlen(p) < 1024;
}

/* The files of the FTP transfers the merge keeps, moved from the shard
 * that owns their session into outdir/ftp. */
static int
move_ftp_files(struct mshard *sh, size_t nsh, const char *const *dirs, struct json_object *sessions,
	       const char *outdir, char *err, size_t errlen)
{
	char from[4096], to[4096];
	bool made = false;
	for (size_t i = 0; i < json_object_array_length(sessions); i++) {
		struct json_object *s = json_object_array_get_idx(sessions, i), *xs;
		uint64_t idx = (uint64_t)get_i64(s, "index", 0);
		size_t k = 0;
		while (k < nsh && !owns(&sh[k], idx))
			k++;
		if (k == nsh || !json_object_object_get_ex(s, "transfers", &xs))
			continue;
		for (size_t j = 0; j < json_object_array_length(xs); j++) {
			const char *file = get_str(json_object_array_get_idx(xs, j), "file");
			if (!file)
				continue;
			if (!safe_ftp_path(file)) {
				snprintf(err, errlen, "%s: an FTP file name that is not ftp/NAME", sh[k].dir);
				return -1;
			}
			if (!made) {
				snprintf(to, sizeof(to), "%s/ftp", outdir);
				if (mkdir(to, 0777) < 0 && errno != EEXIST) {
					snprintf(err, errlen, "%s: %s", to, strerror(errno));
					return -1;
				}
				made = true;
			}
			snprintf(from, sizeof(from), "%s/%s", sh[k].dir, file);
			snprintf(to, sizeof(to), "%s/%s", outdir, file);
			if (rename(from, to) < 0 && errno != ENOENT) {
				snprintf(err, errlen, "%s: %s", to, strerror(errno));
				return -1;
			}
		}
	}
	(void)dirs;
	return 0;
}

/* credentials/: what cx_auth_finish writes, from the merged answers */
static int
write_credentials(const char *outdir, struct json_object *ex, size_t nch, struct json_object *ct,
		  char *err, size_t errlen)
{
	size_t nex = json_object_array_length(ex), nct = json_object_array_length(ct), lines = 0;
	if (!nex && !nct)
		return 0;
	char p[4096];
	snprintf(p, sizeof(p), "%s/credentials", outdir);
	if (mkdir(p, 0777) < 0 && errno != EEXIST)
		goto fail;
	FILE *hf = NULL;
	for (size_t i = 0; i < nex; i++) {
		struct json_object *e = json_object_array_get_idx(ex, i), *c;
		const char *line = get_str(e, "hashcat");
		if (!json_object_object_get_ex(e, "crackable", &c) || !json_object_get_boolean(c) || !line)
			continue;
		snprintf(p, sizeof(p), "%s/credentials/sip-digest.hashcat", outdir);
		if (!hf && !(hf = fopen(p, "w")))
			goto fail;
		fprintf(hf, "%s\n", line);
		lines++;
	}
	if (hf && (ferror(hf) | fclose(hf)))
		goto fail;
	char *text = malloc(CX_AUTH_SUMMARY_MAX);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t o = 0;
	cx_auth_summary_head(text, CX_AUTH_SUMMARY_MAX, &o, nex, nch, nct, lines);
	for (size_t i = 0; i < nex && o < CX_AUTH_SUMMARY_MAX - CX_AUTH_SUMMARY_LINE; i++) {
		struct json_object *e = json_object_array_get_idx(ex, i);
		cx_auth_summary_answer(text, CX_AUTH_SUMMARY_MAX, &o, (uint64_t)get_i64(e, "frame", 0),
				       get_str(e, "method"), get_str(e, "username"), get_str(e, "realm"),
				       get_str(e, "algorithm"), get_str(e, "verdict"), get_str(e, "password"));
	}
	for (size_t i = 0; i < nct && o < CX_AUTH_SUMMARY_MAX - CX_AUTH_SUMMARY_LINE; i++) {
		struct json_object *e = json_object_array_get_idx(ct, i);
		cx_auth_summary_cleartext(text, CX_AUTH_SUMMARY_MAX, &o, (uint64_t)get_i64(e, "frame", 0),
					  get_str(e, "protocol"), get_str(e, "user"), get_str(e, "password"),
					  get_str(e, "verdict"));
	}
	snprintf(p, sizeof(p), "%s/credentials/summary.txt", outdir);
	FILE *f = fopen(p, "w");
	if (f) {
		cx_fputs_text(text, f);
		if (ferror(f) | fclose(f))
			f = NULL;
	}
	free(text);
	if (!f)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", p, strerror(errno));
	return -1;
}


int
cx_merge(const char *const *dirs, size_t n, const char *outdir, char *err, size_t errlen)
{
	struct mshard *sh = calloc(n ? n : 1, sizeof(*sh));
	struct cx_findings *fnd = cx_findings_new();
	struct cx_names *names = NULL;
	struct json_object *opts = NULL;
	int rc = -1;
	FILE *f = NULL;
	char tmp[4096], fin[4096];
	if (!sh || !fnd || n == 0) {
		snprintf(err, errlen, n ? "out of memory" : "no shard given");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		if (load_shard(&sh[k], dirs[k], err, errlen) < 0)
			goto out;
	qsort(sh, n, sizeof(*sh), cmp_shard);
	for (size_t k = 1; k < n; k++)
		if (sh[k].first <= sh[k - 1].last) {
			snprintf(err, errlen, "two shards own frame %llu", (unsigned long long)sh[k].first);
			goto out;
		}
	opts = first_value(&sh[0], "options");
	/* the host table: every shard's changes, replayed in order */
	if (!(names = cx_names_new(NULL))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		if (cx_names_replay(names, sh[k].names, sh[k].nnames) < 0) {
			snprintf(err, errlen, "%s/shard.names: damaged", sh[k].dir);
			goto out;
		}
	snprintf(tmp, sizeof(tmp), "%s/report.json.tmp", outdir);
	snprintf(fin, sizeof(fin), "%s/report.json", outdir);
	if (!(f = fopen(tmp, "w"))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	struct cx_jsonw w;
	cx_jsonw_init(&w, f);
	fputs("{", f);
	struct json_object *gen = first_value(&sh[0], "generator"), *ver = first_value(&sh[0], "version");
	cx_jsonw_member(&w, "generator", gen);
	cx_jsonw_member(&w, "version", ver);
	cx_jsonw_member(&w, "options", json_object_get(opts));
	cx_jsonw_member(&w, "capture", capture_json(sh, n, opts, fnd, names));
	int r = 0;
	static const struct section dialogs = { "dialogs", NULL, "index", NULL, true };
	static const struct section streams = { "streams", NULL, "first_frame", NULL, true, true };
	static const struct section ex = { "auth.exchanges", NULL, "frame", NULL, true, true };
	static const struct section ch = { "auth.challenges", NULL, "frame", NULL, true, true };
	static const struct section ct = { "auth.cleartext", NULL, "frame", NULL, true };
	static const struct section dns = { "dns", NULL, "query_frame", "response_frame", false };
	static const struct section echo = { "icmp", "echo", "request_frame", "reply_frame", false };
	static const struct section icmperr = { "icmp", "errors", "frame", NULL, false };
	static const struct section ftp = { "ftp", NULL, "index", NULL, false };
	r |= write_array(&w, sh, n, &dialogs, "dialogs", NULL);
	r |= write_array(&w, sh, n, &streams, "streams", NULL);
	cx_jsonw_begin(&w, "auth", false);
	struct json_object *kex = json_object_new_array(), *kch = json_object_new_array(),
			   *kct = json_object_new_array();
	r |= write_array(&w, sh, n, &ex, "exchanges", kex);
	r |= write_array(&w, sh, n, &ch, "challenges", kch);
	r |= write_array(&w, sh, n, &ct, "cleartext", kct);
	size_t nex = json_object_array_length(kex);
	cx_jsonw_member(&w, "hashcat_file", nex ? json_object_new_string("credentials/sip-digest.hashcat") : NULL);
	cx_jsonw_end(&w, false);
	int cr = write_credentials(outdir, kex, json_object_array_length(kch), kct, err, errlen);
	json_object_put(kex);
	json_object_put(kch);
	json_object_put(kct);
	if (cr < 0)
		goto out;
	cx_jsonw_member(&w, "dns", build_array(sh, n, &dns, &r));
	struct json_object *icmp = json_object_new_object();
	json_object_object_add(icmp, "echo", build_array(sh, n, &echo, &r));
	json_object_object_add(icmp, "errors", build_array(sh, n, &icmperr, &r));
	cx_jsonw_member(&w, "icmp", icmp);
	struct json_object *fa = build_array(sh, n, &ftp, &r);
	if (move_ftp_files(sh, n, dirs, fa, outdir, err, errlen) < 0) {
		json_object_put(fa);
		goto out;
	}
	cx_jsonw_member(&w, "ftp", fa);
	cx_names_report_stream(names, &w);
	cx_jsonw_member(&w, "findings", cx_findings_to_json(fnd));
	struct json_object *nm = json_object_new_array();
	for (size_t i = 0; i < sizeof(not_merged) / sizeof(*not_merged); i++)
		json_object_array_add(nm, json_object_new_string(not_merged[i]));
	cx_jsonw_member(&w, "not_merged", nm);
	fputs("\n}\n", f);
	if (r) {
		snprintf(err, errlen, "a shard's record is not JSON, or out of memory");
		goto out;
	}
	if (ferror(f) | fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, fin) < 0) {
		snprintf(err, errlen, "%s: %s", fin, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f) {
		fclose(f);
		remove(tmp);
	}
	json_object_put(opts);
	for (size_t k = 0; sh && k < n; k++) {
		if (sh[k].buf)
			munmap((void *)sh[k].buf, sh[k].size);
		free(sh[k].names);
		free(sh[k].r);
		json_object_put(sh[k].sj);
		json_object_put(sh[k].calls);
	}
	free(sh);
	cx_findings_free(fnd);
	cx_names_free(names);
	return rc;
}
