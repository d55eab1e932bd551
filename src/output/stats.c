/* Named counters. A small open-addressing table keyed by the counter name;
 * the report sorts names so output does not depend on hash order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"

/* Nodes are allocated one by one so that cx_stats_counter() pointers stay
 * valid when the table grows. */
struct node {
	uint64_t n;
	char name[];
};

struct slot {
	char *name; /* points into node */
	struct node *node;
};

struct cx_stats {
	struct slot *v;
	size_t cap, used;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct cx_stats *
cx_stats_new(void)
{
	struct cx_stats *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cap = 256;
	s->v = calloc(s->cap, sizeof(*s->v));
	if (!s->v) {
		free(s);
		return NULL;
	}
	return s;
}

void
cx_stats_free(struct cx_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->v[i].node);
	free(s->v);
	free(s);
}

static struct slot *
find(const struct cx_stats *s, const char *name)
{
	size_t i = hash(name) & (s->cap - 1);
	while (s->v[i].name) {
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
		i = (i + 1) & (s->cap - 1);
	}
	return &s->v[i];
}

static int
grow(struct cx_stats *s)
{
	struct cx_stats n = { calloc(s->cap * 2, sizeof(struct slot)), s->cap * 2, s->used };
	if (!n.v)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].name)
			*find(&n, s->v[i].name) = s->v[i];
	free(s->v);
	*s = n;
	return 0;
}

uint64_t *
cx_stats_counter(struct cx_stats *s, const char *name)
{
	if (!s)
		return NULL;
	struct slot *sl = find(s, name);
	if (!sl->name) {
		if ((s->used + 1) * 2 > s->cap) {
			if (grow(s) < 0)
				return NULL;
			sl = find(s, name);
		}
		size_t l = strlen(name);
		struct node *nd = malloc(sizeof(*nd) + l + 1);
		if (!nd)
			return NULL;
		nd->n = 0;
		memcpy(nd->name, name, l + 1);
		sl->node = nd;
		sl->name = nd->name;
		s->used++;
	}
	return &sl->node->n;
}

void
cx_stats_add(struct cx_stats *s, const char *name, uint64_t n)
{
	uint64_t *c = cx_stats_counter(s, name);
	if (c)
		*c += n;
}

uint64_t
cx_stats_get(const struct cx_stats *s, const char *name)
{
	if (!s)
		return 0;
	const struct slot *sl = find(s, name);
	return sl->name ? sl->node->n : 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counters below prefix ("proto." -> {"sip": 3, ...}); further dots nest. */
struct json_object *
cx_stats_to_json(const struct cx_stats *s, const char *prefix)
{
	struct json_object *root = json_object_new_object();
	size_t plen = strlen(prefix), k = 0;
	char **names = calloc(s->used + 1, sizeof(char *));
	if (!names)
		return root;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].name && !strncmp(s->v[i].name, prefix, plen))
			names[k++] = s->v[i].name;
	qsort(names, k, sizeof(char *), cmp_name);
	for (size_t i = 0; i < k; i++) {
		struct json_object *o = root;
		char path[256];
		snprintf(path, sizeof(path), "%s", names[i] + plen);
		char *p = path, *dot;
		while ((dot = strchr(p, '.'))) {
			*dot = '\0';
			struct json_object *child;
			if (!json_object_object_get_ex(o, p, &child) ||
			    !json_object_is_type(child, json_type_object)) {
				child = json_object_new_object();
				json_object_object_add(o, p, child);
			}
			o = child;
			p = dot + 1;
		}
		json_object_object_add(o, p, json_object_new_int64((int64_t)find(s, names[i])->node->n));
	}
	free(names);
	return root;
}

struct json_object *
cx_stats_flat(const struct cx_stats *s)
{
	struct json_object *o = json_object_new_object();
	size_t k = 0;
	char **names = calloc(s->used + 1, sizeof(char *));
	if (!names)
		return o;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].name)
			names[k++] = s->v[i].name;
	qsort(names, k, sizeof(char *), cmp_name);
	for (size_t i = 0; i < k; i++)
		json_object_object_add(o, names[i], json_object_new_int64((int64_t)find(s, names[i])->node->n));
	free(names);
	return o;
}
