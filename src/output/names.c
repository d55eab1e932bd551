/* Hosts: what the capture tells about each address. MAC addresses come
 * from every frame (a hash table keeps that cheap), names from DNS answers,
 * software from SIP and FTP, vendors from the IEEE OUI registry (Debian's
 * ieee-data), which also tells virtual machines from physical hosts. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/names.h"
#include "callextract/spill.h"
#include "util/text.h"

/* Every table lives for the whole capture, so each is capped; what a cap
 * keeps out is counted (cx_names_dropped), once per distinct item. */
#define MAX_HOSTS 65536   /* addresses described; more addresses are dropped hosts */
#define MAX_MACS 4        /* source MACs kept per host; more are dropped MACs */
#define MAX_DNS 4         /* DNS names kept per host; more are dropped names */
#define MAX_SW 6          /* software strings kept per host; more are dropped software */
/* A dropped item is counted once: a 2^20-bit set (128 KiB, allocated at
 * the first drop) of hashes of what was dropped. Beyond some 100000
 * distinct drops of one kind, collisions make the count a slight
 * undercount. */
#define DROP_BITS 20

struct oui {
	uint32_t prefix;
	char *vendor;
};

struct host {
	struct cx_addr a;
	uint8_t mac[MAX_MACS][6];
	int nmac;
	char *dns[MAX_DNS];
	int ndns;
	char *sw_kind[MAX_SW], *sw[MAX_SW];
	bool sw_weak[MAX_SW];     /* maybe only relayed by this host */
	int nsw;
	uint32_t order;
};

/* The address and its first MAC sit in the table itself: the lookup done
 * for every frame's source then touches one cache line, not two. */
struct slot {
	struct cx_addr a;
	uint8_t mac0[6];
	bool has_mac0;
	struct host *h;           /* NULL: free slot */
};

/* A MAC and the hosts that sent frames from it: how many, how many of
 * them are not IPv6 link-local addresses, and the first four in order of
 * appearance (a description names three besides the host itself). */
struct macent {
	uint8_t mac[6];
	bool used;
	uint32_t count, nforeign;
	const struct host *first[4];
};

/* A software string and how many hosts' entries announced it first-hand
 * (not only relayed): a relayed string is left out of a host's software
 * when another host announced it itself. */
struct swent {
	const char *text;         /* a host's copy; NULL: free slot */
	uint32_t hash;
	uint32_t strong;
};

struct cx_names {
	struct slot *slots;       /* open addressing */
	size_t cap, n;
	struct host **v;          /* in order of appearance */
	size_t capv;
	struct macent *mt;        /* MAC -> hosts, open addressing */
	size_t mcap, mn;
	struct swent *st;         /* software text -> first-hand count */
	size_t scap, sn;
	uint8_t *dropset;         /* DROP_BITS-bit set of dropped items */
	uint64_t drop_hosts, drop_names, drop_macs, drop_sw;
	struct oui *oui;          /* loaded on first use: most runs never ask */
	size_t noui;
	bool oui_loaded;
	char *oui_path;
	char label[512];
	uint64_t changes;         /* bumped by every change a report could show */
	FILE *log;                /* shard mode: the calls that changed it (not owned) */
};

static int
cmp_oui(const void *a, const void *b)
{
	const struct oui *x = a, *y = b;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static void
load_oui(struct cx_names *n, const char *path)
{
	const char *paths[] = { path, "/usr/share/ieee-data/oui.txt", "/usr/share/wireshark/manuf", NULL };
	FILE *f = NULL;
	bool manuf = false;
	for (int i = 0; !f && i < 4; i++) {
		if (!paths[i] && i > 0)
			break;
		if (paths[i] && (f = fopen(paths[i], "r")))
			manuf = strstr(paths[i], "manuf") != NULL;
	}
	if (!f)
		return;
	char line[512];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned a, b, c;
		char *vendor = NULL;
		if (!manuf && sscanf(line, "%2x-%2x-%2x", &a, &b, &c) == 3 && strstr(line, "(hex)")) {
			vendor = strstr(line, "(hex)") + 5;
		} else if (manuf && sscanf(line, "%2x:%2x:%2x\t", &a, &b, &c) == 3 && line[8] == '\t') {
			vendor = strchr(line + 9, '\t');
			vendor = vendor ? vendor + 1 : line + 9;
		} else {
			continue;
		}
		while (*vendor == ' ' || *vendor == '\t')
			vendor++;
		size_t l = strlen(vendor);
		while (l && (vendor[l - 1] == '\n' || vendor[l - 1] == '\r' || vendor[l - 1] == ' '))
			vendor[--l] = '\0';
		if (n->noui == cap) {
			cap = cap ? cap * 2 : 4096;
			struct oui *nv = realloc(n->oui, cap * sizeof(*nv));
			if (!nv)
				break;
			n->oui = nv;
		}
		n->oui[n->noui].prefix = a << 16 | b << 8 | c;
		n->oui[n->noui].vendor = strdup(vendor);
		n->noui++;
	}
	fclose(f);
	qsort(n->oui, n->noui, sizeof(*n->oui), cmp_oui);
}

struct cx_names *
cx_names_new(const char *oui_path)
{
	struct cx_names *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->cap = 1024;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->slots) {
		free(n);
		return NULL;
	}
	n->oui_path = oui_path ? strdup(oui_path) : NULL;
	return n;
}

void
cx_names_free(struct cx_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct host *h = n->v[i];
		for (int k = 0; k < h->ndns; k++)
			free(h->dns[k]);
		for (int k = 0; k < h->nsw; k++) {
			free(h->sw[k]);
			free(h->sw_kind[k]);
		}
		free(h);
	}
	for (size_t i = 0; i < n->noui; i++)
		free(n->oui[i].vendor);
	free(n->oui);
	free(n->oui_path);
	free(n->mt);
	free(n->st);
	free(n->dropset);
	free(n->v);
	free(n->slots);
	free(n);
}

static uint32_t
hash_addr(const struct cx_addr *a)
{
	uint32_t h = 2166136261u ^ a->family;
	for (int i = 0; i < (a->family == 4 ? 4 : 16); i++)
		h = (h ^ a->a[i]) * 16777619u;
	/* FNV's low bits depend on the inputs' low bits only: mix the high
	 * ones down, the table index takes the low bits */
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 12);
}

static struct host *
lookup(const struct cx_names *n, const struct cx_addr *a)
{
	size_t i = hash_addr(a) & (n->cap - 1);
	for (; n->slots[i].h; i = (i + 1) & (n->cap - 1))
		if (cx_addr_eq(&n->slots[i].a, a))
			return n->slots[i].h;
	return NULL;
}

/* ---- counting what the caps keep out ---- */

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t
fnv64(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* Key of a dropped item: its kind, the host's address, what it was. */
static uint64_t
drop_key(char kind, const struct cx_addr *a, const void *what, size_t len)
{
	uint64_t h = fnv64(1469598103934665603ULL, &kind, 1);
	h = fnv64(h, &a->family, 1);
	h = fnv64(h, a->a, a->family == 4 ? 4 : 16);
	if (what)
		h = fnv64(h, what, len);
	return mix64(h);
}

/* Counts the item once: true the first time its key is seen. */
static void
drop(struct cx_names *n, uint64_t *counter, uint64_t key)
{
	if (!n->dropset && !(n->dropset = calloc(1, (size_t)1 << (DROP_BITS - 3)))) {
		(*counter)++; /* no set: count every time rather than not at all */
		return;
	}
	size_t bit = (size_t)(key & (((uint64_t)1 << DROP_BITS) - 1));
	if (n->dropset[bit >> 3] & (1u << (bit & 7)))
		return;
	n->dropset[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	(*counter)++;
	n->changes++;
}

void
cx_names_dropped(const struct cx_names *n, uint64_t *hosts, uint64_t *names, uint64_t *macs,
		 uint64_t *software)
{
	if (hosts)
		*hosts = n ? n->drop_hosts : 0;
	if (names)
		*names = n ? n->drop_names : 0;
	if (macs)
		*macs = n ? n->drop_macs : 0;
	if (software)
		*software = n ? n->drop_sw : 0;
}

/* ---- hosts ---- */

static struct host *
create(struct cx_names *n, const struct cx_addr *a)
{
	if (n->n >= MAX_HOSTS) {
		drop(n, &n->drop_hosts, drop_key('h', a, NULL, 0));
		return NULL;
	}
	if ((n->n + 1) * 2 > n->cap) {
		size_t nc = n->cap * 2;
		struct slot *ns = calloc(nc, sizeof(*ns));
		if (!ns)
			return NULL;
		for (size_t i = 0; i < n->cap; i++) {
			if (!n->slots[i].h)
				continue;
			size_t k = hash_addr(&n->slots[i].a) & (nc - 1);
			while (ns[k].h)
				k = (k + 1) & (nc - 1);
			ns[k] = n->slots[i];
		}
		free(n->slots);
		n->slots = ns;
		n->cap = nc;
	}
	if (cx_grow(&n->v, &n->capv, n->n, sizeof(*n->v)) < 0)
		return NULL;
	struct host *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	n->changes++;
	h->a = *a;
	h->order = (uint32_t)n->n;
	n->v[n->n++] = h;
	size_t i = hash_addr(a) & (n->cap - 1);
	while (n->slots[i].h)
		i = (i + 1) & (n->cap - 1);
	n->slots[i].a = *a;
	n->slots[i].h = h;
	return h;
}

static struct host *
get(struct cx_names *n, const struct cx_addr *a)
{
	if (!a->family)
		return NULL;
	struct host *h = lookup(n, a);
	return h ? h : create(n, a);
}

/* ---- MAC -> hosts ---- */

static uint32_t
hash_mac(const uint8_t m[6])
{
	uint64_t v = 0;
	memcpy(&v, m, 6);
	return (uint32_t)mix64(v);
}

static bool
foreign(const struct host *h)
{
	/* not the host's own IPv6 link-local address */
	return !(h->a.family == 6 && h->a.a[0] == 0xfe && (h->a.a[1] & 0xc0) == 0x80);
}

static struct macent *
mac_find(const struct cx_names *n, const uint8_t m[6])
{
	if (!n->mcap)
		return NULL;
	for (size_t i = hash_mac(m) & (n->mcap - 1); n->mt[i].used; i = (i + 1) & (n->mcap - 1))
		if (!memcmp(n->mt[i].mac, m, 6))
			return &n->mt[i];
	return NULL;
}

/* h now carries m (it did not before). */
static void
mac_note(struct cx_names *n, const struct host *h, const uint8_t m[6])
{
	struct macent *e = mac_find(n, m);
	if (!e) {
		if ((n->mn + 1) * 2 > n->mcap) {
			size_t nc = n->mcap ? n->mcap * 2 : 1024;
			struct macent *nt = calloc(nc, sizeof(*nt));
			if (!nt)
				return;
			for (size_t i = 0; i < n->mcap; i++) {
				if (!n->mt[i].used)
					continue;
				size_t k = hash_mac(n->mt[i].mac) & (nc - 1);
				while (nt[k].used)
					k = (k + 1) & (nc - 1);
				nt[k] = n->mt[i];
			}
			free(n->mt);
			n->mt = nt;
			n->mcap = nc;
		}
		size_t i = hash_mac(m) & (n->mcap - 1);
		while (n->mt[i].used)
			i = (i + 1) & (n->mcap - 1);
		e = &n->mt[i];
		memcpy(e->mac, m, 6);
		e->used = true;
		n->mn++;
	}
	e->count++;
	e->nforeign += foreign(h);
	/* keep the four earliest hosts, in order of appearance */
	int k = e->count < 4 ? (int)e->count - 1 : 3;
	if (k == 3 && e->first[3] && e->first[3]->order < h->order)
		return;
	while (k > 0 && e->first[k - 1]->order > h->order) {
		e->first[k] = e->first[k - 1];
		k--;
	}
	e->first[k] = h;
}

/* ---- software announced first-hand ---- */

static uint32_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (uint32_t)mix64(h);
}

static struct swent *
sw_find(const struct cx_names *n, const char *text, uint32_t hh)
{
	if (!n->scap)
		return NULL;
	for (size_t i = hh & (n->scap - 1); n->st[i].text; i = (i + 1) & (n->scap - 1))
		if (n->st[i].hash == hh && !strcmp(n->st[i].text, text))
			return &n->st[i];
	return NULL;
}

/* One more host entry announced text first-hand. */
static void
sw_strong(struct cx_names *n, const char *text)
{
	if (!text)
		return;
	uint32_t hh = hash_str(text);
	struct swent *e = sw_find(n, text, hh);
	if (!e) {
		if ((n->sn + 1) * 2 > n->scap) {
			size_t nc = n->scap ? n->scap * 2 : 256;
			struct swent *nt = calloc(nc, sizeof(*nt));
			if (!nt)
				return;
			for (size_t i = 0; i < n->scap; i++) {
				if (!n->st[i].text)
					continue;
				size_t k = n->st[i].hash & (nc - 1);
				while (nt[k].text)
					k = (k + 1) & (nc - 1);
				nt[k] = n->st[i];
			}
			free(n->st);
			n->st = nt;
			n->scap = nc;
		}
		size_t i = hh & (n->scap - 1);
		while (n->st[i].text)
			i = (i + 1) & (n->scap - 1);
		e = &n->st[i];
		e->text = text;
		e->hash = hh;
		n->sn++;
	}
	e->strong++;
}

static char *
clean(const char *s)
{
	size_t l = strnlen(s, 200);
	char *c = malloc(l + 1);
	if (!c)
		return NULL;
	for (size_t i = 0; i < l; i++)
		c[i] = s[i]; /* as they are: escaped where written (doc/output.md) */
	c[l] = '\0';
	return c;
}

/* ---- the log of changes (shard mode) ----
 * A record per call that changed the table: the table is a function of
 * the sequence of such calls, so replaying a shard's records, shard after
 * shard, rebuilds the single pass's table. Record: kind byte ('D' dns,
 * 'M' mac, 'S' software, 'R' relayed software), family byte, 16 address
 * bytes, then 6 MAC bytes, or u32 length + bytes per string (kind, then
 * text, for S/R). */
static void
log_str(FILE *f, const char *s)
{
	uint32_t l = (uint32_t)strlen(s);
	fwrite(&l, sizeof(l), 1, f);
	fwrite(s, 1, l, f);
}

static void
log_call(struct cx_names *n, char kind, const struct cx_addr *a, const void *mac, const char *s1,
	 const char *s2)
{
	uint8_t head[18] = { (uint8_t)kind, a->family };
	memcpy(head + 2, a->a, 16);
	fwrite(head, 1, sizeof(head), n->log);
	if (mac)
		fwrite(mac, 1, 6, n->log);
	if (s1)
		log_str(n->log, s1);
	if (s2)
		log_str(n->log, s2);
}

void
cx_names_set_log(struct cx_names *n, FILE *f)
{
	n->log = f;
}

static bool
read_str(const uint8_t **p, const uint8_t *end, char *buf, size_t n)
{
	uint32_t l;
	if ((size_t)(end - *p) < sizeof(l))
		return false;
	memcpy(&l, *p, sizeof(l));
	*p += sizeof(l);
	if (l >= n || (size_t)(end - *p) < l)
		return false;
	memcpy(buf, *p, l);
	buf[l] = '\0';
	*p += l;
	return true;
}

int
cx_names_replay(struct cx_names *n, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + len;
	enum { SMAX = 65536 };
	char *s1 = malloc(SMAX), *s2 = malloc(SMAX);
	int rc = s1 && s2 ? 0 : -1;
	while (rc == 0 && p < end) {
		if ((size_t)(end - p) < 18) {
			rc = -1;
			break;
		}
		struct cx_addr a;
		memset(&a, 0, sizeof(a));
		char kind = (char)p[0];
		a.family = p[1];
		memcpy(a.a, p + 2, 16);
		p += 18;
		if (a.family != 4 && a.family != 6) {
			rc = -1;
			break;
		}
		if (kind == 'M') {
			if ((size_t)(end - p) < 6) {
				rc = -1;
				break;
			}
			cx_names_add_mac(n, &a, p);
			p += 6;
		} else if (kind == 'D') {
			if (!read_str(&p, end, s1, SMAX)) {
				rc = -1;
				break;
			}
			cx_names_add_dns(n, &a, s1);
		} else if (kind == 'S' || kind == 'R') {
			if (!read_str(&p, end, s1, SMAX) || !read_str(&p, end, s2, SMAX)) {
				rc = -1;
				break;
			}
			cx_names_add_software_seen(n, &a, s1, s2, kind == 'R');
		} else {
			rc = -1;
		}
	}
	free(s1);
	free(s2);
	return rc;
}

static void
add_dns(struct cx_names *n, const struct cx_addr *a, const char *name)
{
	struct host *h = get(n, a);
	if (!h || !name || !*name)
		return;
	for (int k = 0; k < h->ndns; k++)
		if (!strcmp(h->dns[k], name))
			return;
	if (h->ndns < MAX_DNS) {
		h->dns[h->ndns++] = clean(name);
		n->changes++;
	} else {
		drop(n, &n->drop_names, drop_key('n', a, name, strlen(name)));
	}
}

void
cx_names_add_dns(struct cx_names *n, const struct cx_addr *a, const char *name)
{
	uint64_t before = n->changes;
	add_dns(n, a, name);
	if (n->log && n->changes != before)
		log_call(n, 'D', a, NULL, name ? name : "", NULL);
}

static void
add_mac(struct cx_names *n, const struct cx_addr *a, const uint8_t mac[6])
{
	if (!a->family)
		return;
	/* the common case, every frame: this address, with the MAC it had
	 * before; one probe sequence, one cache line */
	struct slot *sl = NULL;
	for (size_t i = hash_addr(a) & (n->cap - 1); n->slots[i].h; i = (i + 1) & (n->cap - 1)) {
		if (cx_addr_eq(&n->slots[i].a, a)) {
			sl = &n->slots[i];
			break;
		}
	}
	struct host *h;
	if (sl) {
		if (sl->has_mac0 && !memcmp(sl->mac0, mac, 6))
			return;
		h = sl->h;
	} else {
		if (!(h = create(n, a)))
			return;
		for (size_t i = hash_addr(a) & (n->cap - 1); n->slots[i].h; i = (i + 1) & (n->cap - 1)) {
			if (n->slots[i].h == h) {
				sl = &n->slots[i];
				break;
			}
		}
	}
	if (sl && !sl->has_mac0) {
		memcpy(sl->mac0, mac, 6);
		sl->has_mac0 = true;
	}
	for (int k = 0; k < h->nmac; k++)
		if (!memcmp(h->mac[k], mac, 6))
			return;
	if (h->nmac < MAX_MACS) {
		memcpy(h->mac[h->nmac++], mac, 6);
		mac_note(n, h, mac);
		n->changes++;
	} else {
		drop(n, &n->drop_macs, drop_key('m', a, mac, 6));
	}
}

void
cx_names_add_mac(struct cx_names *n, const struct cx_addr *a, const uint8_t mac[6])
{
	uint64_t before = n->changes;
	add_mac(n, a, mac);
	if (n->log && n->changes != before)
		log_call(n, 'M', a, mac, NULL, NULL);
}

static void
add_software_seen(struct cx_names *n, const struct cx_addr *a, const char *kind, const char *text,
		  bool relayed)
{
	struct host *h = get(n, a);
	if (!h || !text)
		return;
	for (int k = 0; k < h->nsw; k++) {
		if (!strcmp(h->sw_kind[k], kind) && !strncmp(h->sw[k], text, 200)) {
			if (h->sw_weak[k] && !relayed) {
				sw_strong(n, h->sw[k]);
				n->changes++;
			}
			h->sw_weak[k] &= relayed;
			return;
		}
	}
	n->changes++; /* appended, or dropped: counted by drop() too, harmless */
	if (h->nsw < MAX_SW) {
		h->sw_kind[h->nsw] = strdup(kind);
		h->sw_weak[h->nsw] = relayed;
		h->sw[h->nsw] = clean(text);
		if (!relayed)
			sw_strong(n, h->sw[h->nsw]);
		h->nsw++;
	} else {
		char key[256];
		int kl = snprintf(key, sizeof(key), "%s\n%.200s", kind, text);
		drop(n, &n->drop_sw, drop_key('s', a, key, kl > 0 ? strlen(key) : 0));
	}
}

void
cx_names_add_software_seen(struct cx_names *n, const struct cx_addr *a, const char *kind, const char *text,
			   bool relayed)
{
	uint64_t before = n->changes;
	add_software_seen(n, a, kind, text, relayed);
	if (n->log && n->changes != before)
		log_call(n, relayed ? 'R' : 'S', a, NULL, kind ? kind : "", text ? text : "");
}

void
cx_names_add_software(struct cx_names *n, const struct cx_addr *a, const char *kind, const char *text)
{
	cx_names_add_software_seen(n, a, kind, text, false);
}

/* A string this host may only have relayed, which another host announced
 * for itself: it is that host's software, not this one's. */
static bool
relayed_only(const struct cx_names *n, const struct host *h, int k)
{
	if (!h->sw_weak[k])
		return false;
	const char *t = h->sw[k];
	struct swent *e = sw_find(n, t, hash_str(t));
	if (!e)
		return false;
	uint32_t others = e->strong;
	for (int j = 0; j < h->nsw; j++)
		if (!h->sw_weak[j] && !strcmp(h->sw[j], t))
			others--;
	return others > 0;
}

const char *
cx_names_dns(const struct cx_names *n, const struct cx_addr *a)
{
	struct host *h = lookup(n, a);
	return h && h->ndns ? h->dns[0] : NULL;
}

const char *
cx_names_label(struct cx_names *n, const struct cx_addr *a)
{
	char ip[CX_ADDR_STRLEN];
	cx_addr_str(a, ip);
	const char *dns = cx_names_dns(n, a);
	if (dns)
		snprintf(n->label, sizeof(n->label), "%s (%s)", dns, ip);
	else
		snprintf(n->label, sizeof(n->label), "%s", ip);
	return n->label;
}

const char *
cx_names_vendor(const struct cx_names *n, const uint8_t mac[6])
{
	if (!n->oui_loaded) {
		struct cx_names *w = (struct cx_names *)n; /* cache fill, not a visible change */
		w->oui_loaded = true;
		load_oui(w, w->oui_path);
	}
	static const uint8_t zero[6];
	if (!memcmp(mac, zero, 6))
		return NULL; /* loopback's pseudo-Ethernet, not Xerox's first block */
	struct oui key = { (uint32_t)mac[0] << 16 | (uint32_t)mac[1] << 8 | mac[2], NULL };
	struct oui *hit = n->noui ? bsearch(&key, n->oui, n->noui, sizeof(*n->oui), cmp_oui) : NULL;
	return hit ? hit->vendor : NULL;
}

/* Well-known virtual NIC prefixes; QEMU's 52:54:00 is locally administered
 * and so absent from the IEEE registry. */
static const char *
vm_hint(const uint8_t m[6], const char *vendor)
{
	uint32_t p = (uint32_t)m[0] << 16 | (uint32_t)m[1] << 8 | m[2];
	static const uint8_t zero[6];
	if (!memcmp(m, zero, 6))
		return "all-zero MAC: loopback, or a frame made by software";
	if (p == 0x525400)
		return "QEMU/KVM virtual machine";
	if (p == 0x080027 || p == 0x0a0027)
		return "VirtualBox virtual machine";
	if (p == 0x000c29 || p == 0x005056 || p == 0x000569 || p == 0x001c14)
		return "VMware virtual machine";
	if (p == 0x00155d)
		return "Hyper-V virtual machine";
	if (p == 0x00163e)
		return "Xen virtual machine";
	if (vendor && (strstr(vendor, "VMware") || strstr(vendor, "Parallels")))
		return "virtual machine";
	if (m[0] & 0x02)
		return "locally administered address (virtual interface or randomised MAC)";
	return NULL;
}

static void
mac_str(const uint8_t m[6], char s[18])
{
	snprintf(s, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Other addresses seen behind the same MAC: the frames of a host beyond a
 * router carry the router's MAC, not the host's. */
static size_t
mac_shared(const struct cx_names *n, const uint8_t m[6])
{
	const struct macent *e = mac_find(n, m);
	return e && e->count ? e->count - 1 : 0;
}

static struct json_object *
host_json(const struct cx_names *n, const struct host *h)
{
	char ip[CX_ADDR_STRLEN];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(cx_addr_str(&h->a, ip)));
	struct json_object *names = json_object_new_array();
	for (int k = 0; k < h->ndns; k++)
		json_object_array_add(names, json_object_new_string(h->dns[k]));
	json_object_object_add(o, "dns_names", names);
	struct json_object *macs = json_object_new_array();
	for (int k = 0; k < h->nmac; k++) {
		struct json_object *m = json_object_new_object();
		char s[18];
		mac_str(h->mac[k], s);
		const char *vendor = cx_names_vendor(n, h->mac[k]);
		const char *vm = vm_hint(h->mac[k], vendor);
		json_object_object_add(m, "mac", json_object_new_string(s));
		json_object_object_add(m, "vendor", vendor ? json_object_new_string(vendor) : NULL);
		json_object_object_add(m, "hint", vm ? json_object_new_string(vm) : NULL);
		json_object_object_add(m, "other_addresses_with_this_mac",
				       json_object_new_int64((int64_t)mac_shared(n, h->mac[k])));
		json_object_array_add(macs, m);
	}
	json_object_object_add(o, "macs", macs);
	struct json_object *sw = json_object_new_array();
	for (int k = 0; k < h->nsw; k++) {
		if (relayed_only(n, h, k))
			continue;
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "source", json_object_new_string(h->sw_kind[k]));
		json_object_object_add(s, "text", json_object_new_string(h->sw[k]));
		json_object_array_add(sw, s);
	}
	json_object_object_add(o, "software", sw);
	return o;
}

struct json_object *
cx_names_host(const struct cx_names *n, const struct cx_addr *a)
{
	struct host *h = lookup(n, a);
	if (h)
		return host_json(n, h);
	char ip[CX_ADDR_STRLEN];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(cx_addr_str(a, ip)));
	json_object_object_add(o, "dns_names", json_object_new_array());
	json_object_object_add(o, "macs", json_object_new_array());
	json_object_object_add(o, "software", json_object_new_array());
	return o;
}

size_t
cx_names_describe(const struct cx_names *n, const struct cx_addr *a, char *buf, size_t sz)
{
	char ip[CX_ADDR_STRLEN];
	size_t o = 0;
#define PUT(...) do { if (o < sz) o += (size_t)snprintf(buf + o, sz - o, __VA_ARGS__); } while (0)
	struct host *h = lookup(n, a);
	cx_addr_str(a, ip);
	if (!h) {
		PUT("%s (nothing more known)", ip);
		return o < sz ? o : sz ? sz - 1 : 0;
	}
	if (h->ndns)
		PUT("%s (%s)", h->dns[0], ip);
	else
		PUT("%s", ip);
	for (int k = 1; k < h->ndns; k++)
		PUT("%s%s", k > 1 ? ", " : ", also named ", h->dns[k]);
	for (int k = 0; k < h->nmac; k++) {
		char s[18];
		mac_str(h->mac[k], s);
		const char *vendor = cx_names_vendor(n, h->mac[k]);
		const char *vm = vm_hint(h->mac[k], vendor);
		PUT("; MAC %s (%s%s%s)", s, vendor ? vendor : "vendor not in the IEEE registry",
		    vm ? ": " : "", vm ? vm : "");
		/* other addresses behind this MAC: the host's own link-local
		 * IPv6 address, or hosts beyond a router whose MAC this is */
		size_t shown = 0, others = 0, nforeign = 0;
		char other[CX_ADDR_STRLEN];
		const struct macent *e = mac_find(n, h->mac[k]);
		if (e && e->count) {
			others = e->count - 1;
			nforeign = e->nforeign - foreign(h);
			for (int i = 0; i < 4 && shown < 3 && shown < others; i++) {
				const struct host *oh = e->first[i];
				if (!oh || oh == h)
					continue;
				shown++;
				PUT("%s%s", shown == 1 ? ", also the source MAC of " : ", ", cx_addr_str(&oh->a, other));
			}
		}
		shown = others;
		if (shown > 3)
			PUT(" and %zu more", shown - 3);
		if (nforeign)
			PUT(": a router's MAC, or this host is beyond a router");
		else if (shown)
			PUT(" (its own link-local address)");
	}
	if (!h->nmac)
		PUT("; no MAC seen (not on the capture's link, or a link type without one)");
	for (int k = 0, shown = 0; k < h->nsw; k++)
		if (!relayed_only(n, h, k))
			PUT("%s%s [%s]", shown++ ? ", " : "; software: ", h->sw[k], h->sw_kind[k]);
#undef PUT
	return o < sz ? o : sz ? sz - 1 : 0;
}

struct json_object *
cx_names_report(const struct cx_names *n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n->n; i++)
		json_object_array_add(arr, host_json(n, n->v[i]));
	return arr;
}

void
cx_names_report_stream(const struct cx_names *n, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "hosts", true);
	for (size_t i = 0; i < n->n; i++)
		cx_jsonw_element(w, host_json(n, n->v[i]));
	cx_jsonw_end(w, true);
}
