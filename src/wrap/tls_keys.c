/* The TLS key store: NSS key log lines (what SSLKEYLOGFILE, OpenSSL's
 * keylog callback and `editcap --inject-secrets tls` write) by client
 * random. One store per run, fed by --tls-keylog and by the Decryption
 * Secrets Blocks of pcapng inputs; looked up when a ServerHello is seen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "wrap/tls_int.h"

#define KEYS_MAX_ENTRIES (1u << 20) /* a million connections: bounded memory */

struct key_entry {
	uint8_t cr[32];
	uint8_t len[TLS_SEC_N];
	uint8_t sec[TLS_SEC_N][TLS_SECRET_MAX];
	uint32_t next;          /* 1-based chain in the bucket, 0 = end */
};

struct tls_keys {
	struct key_entry *e;
	uint32_t n, cap;
	uint32_t *bucket;       /* 1-based index of the chain's head */
	uint32_t nbucket;       /* power of two */
	struct tls_keys_stats st;
};

static const struct { const char *label; enum tls_secret s; } labels[] = {
	{ "CLIENT_RANDOM", TLS_SEC_MASTER },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_SEC_CHTS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_SEC_SHTS },
	{ "CLIENT_TRAFFIC_SECRET_0", TLS_SEC_CTS0 },
	{ "SERVER_TRAFFIC_SECRET_0", TLS_SEC_STS0 },
};

struct tls_keys *
tls_keys_new(void)
{
	return calloc(1, sizeof(struct tls_keys));
}

void
tls_keys_free(struct tls_keys *k)
{
	if (!k)
		return;
	free(k->e);
	free(k->bucket);
	free(k);
}

static uint32_t
hash_cr(const uint8_t cr[32], uint32_t nb)
{
	/* the client random is random: its first bytes are a good hash (the
	 * first 4 of TLS 1.2 randoms may be gmt_unix_time, so take 4..7 too) */
	uint32_t h = (uint32_t)cr[4] << 24 | (uint32_t)cr[5] << 16 | (uint32_t)cr[6] << 8 | cr[7];
	h ^= (uint32_t)cr[28] << 24 | (uint32_t)cr[29] << 16 | (uint32_t)cr[30] << 8 | cr[31];
	return h & (nb - 1);
}

static struct key_entry *
lookup(const struct tls_keys *k, const uint8_t cr[32])
{
	if (!k || !k->nbucket)
		return NULL;
	for (uint32_t i = k->bucket[hash_cr(cr, k->nbucket)]; i; i = k->e[i - 1].next)
		if (!memcmp(k->e[i - 1].cr, cr, 32))
			return &k->e[i - 1];
	return NULL;
}

static int
rehash(struct tls_keys *k, uint32_t nb)
{
	uint32_t *b = calloc(nb, sizeof(*b));
	if (!b)
		return -1;
	free(k->bucket);
	k->bucket = b;
	k->nbucket = nb;
	for (uint32_t i = 0; i < k->n; i++) {
		uint32_t h = hash_cr(k->e[i].cr, nb);
		k->e[i].next = b[h];
		b[h] = i + 1;
	}
	return 0;
}

static struct key_entry *
add(struct tls_keys *k, const uint8_t cr[32])
{
	struct key_entry *e = lookup(k, cr);
	if (e)
		return e;
	if (k->n >= KEYS_MAX_ENTRIES)
		return NULL;
	if (k->n == k->cap) {
		uint32_t nc = k->cap ? k->cap * 2 : 64;
		struct key_entry *ne = realloc(k->e, (size_t)nc * sizeof(*ne));
		if (!ne)
			return NULL;
		k->e = ne;
		k->cap = nc;
	}
	e = &k->e[k->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->cr, cr, 32);
	k->st.randoms++;
	if (k->n > k->nbucket / 2) {
		if (rehash(k, k->nbucket ? k->nbucket * 2 : 128) < 0) {
			k->n--;
			k->st.randoms--;
			return NULL;
		}
	} else {
		uint32_t h = hash_cr(cr, k->nbucket);
		e->next = k->bucket[h];
		k->bucket[h] = k->n;
	}
	return e;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex of exactly 2*max or fewer digits into out; the byte count, or -1. */
static long
unhex(const char *s, size_t n, uint8_t *out, size_t max)
{
	if (n % 2 || n / 2 > max || n == 0)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int a = hexval(s[i]), b = hexval(s[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return (long)(n / 2);
}

/* One line without its end. */
static void
line(struct tls_keys *k, const char *l, size_t n)
{
	while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	size_t i = 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i == n || l[i] == '#')
		return;
	k->st.lines++;
	const char *f[3];
	size_t fl[3];
	int nf = 0;
	while (i < n && nf < 3) {
		size_t j = i;
		while (j < n && l[j] != ' ' && l[j] != '\t')
			j++;
		f[nf] = l + i;
		fl[nf++] = j - i;
		while (j < n && (l[j] == ' ' || l[j] == '\t'))
			j++;
		i = j;
	}
	if (nf < 3 || i < n) {
		k->st.bad++;
		return;
	}
	int which = -1;
	for (size_t s = 0; s < sizeof(labels) / sizeof(*labels); s++)
		if (strlen(labels[s].label) == fl[0] && !memcmp(labels[s].label, f[0], fl[0]))
			which = (int)labels[s].s;
	uint8_t cr[32], sec[TLS_SECRET_MAX];
	if (unhex(f[1], fl[1], cr, 32) != 32) {
		k->st.bad++;
		return;
	}
	long sl = unhex(f[2], fl[2], sec, sizeof(sec));
	if (sl < 0) {
		k->st.bad++;
		return;
	}
	if (which < 0) {
		k->st.ignored++; /* EXPORTER_SECRET, EARLY_TRAFFIC_SECRET, RSA ... */
		return;
	}
	if (which == TLS_SEC_MASTER && sl != 48) {
		k->st.bad++;
		return;
	}
	struct key_entry *e = add(k, cr);
	if (!e) {
		k->st.bad++;
		return;
	}
	if (e->len[which]) {
		k->st.duplicates++;
		if (e->len[which] == sl && !memcmp(e->sec[which], sec, (size_t)sl))
			return;
	} else {
		k->st.secrets++;
	}
	/* a later line wins: the same random again is a new key log's */
	memcpy(e->sec[which], sec, (size_t)sl);
	e->len[which] = (uint8_t)sl;
}

size_t
tls_keys_parse(struct tls_keys *k, const char *text, size_t n)
{
	uint64_t before = k->st.secrets;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && text[j] != '\n' && text[j] != '\0')
			j++;
		if (j - i <= 512)
			line(k, text + i, j - i);
		else
			k->st.bad++, k->st.lines++;
		i = j + 1;
	}
	return (size_t)(k->st.secrets - before);
}

int
tls_keys_load_file(struct tls_keys *k, const char *path, uint8_t sha256[32], uint64_t *size,
		   char *err, size_t errlen)
{
	*size = 0;
	memset(sha256, 0, 32);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* in chunks, hashed as read (the file is evidence, named in the report
	 * by size and SHA-256); split into lines here: a key log may be large */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool md_ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	char line[1024];
	size_t ll = 0;
	bool overlong = false;
	uint8_t chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		*size += got;
		if (md_ok)
			md_ok = EVP_DigestUpdate(md, chunk, got) == 1;
		for (size_t i = 0; i < got; i++) {
			if (overlong) {
				/* overlong line: counted bad once, the rest of it skipped */
				overlong = chunk[i] != '\n';
				continue;
			}
			line[ll++] = (char)chunk[i];
			if (chunk[i] == '\n') {
				tls_keys_parse(k, line, ll);
				ll = 0;
			} else if (ll == sizeof(line)) {
				k->st.lines++;
				k->st.bad++;
				ll = 0;
				overlong = true;
			}
		}
	}
	if (ll)
		tls_keys_parse(k, line, ll); /* a last line without its newline */
	bool rerr = ferror(f);
	fclose(f);
	unsigned int dl = 0;
	if (md_ok)
		md_ok = EVP_DigestFinal_ex(md, sha256, &dl) == 1 && dl == 32;
	EVP_MD_CTX_free(md);
	if (rerr) {
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	if (!md_ok) {
		snprintf(err, errlen, "%s: SHA-256 failed", path);
		return -1;
	}
	return 0;
}

const uint8_t *
tls_keys_find(const struct tls_keys *k, const uint8_t cr[32], enum tls_secret s, size_t *len)
{
	const struct key_entry *e = lookup(k, cr);
	if (!e || !e->len[s])
		return NULL;
	*len = e->len[s];
	return e->sec[s];
}

const struct tls_keys_stats *
tls_keys_stats(const struct tls_keys *k)
{
	return &k->st;
}

void
tls_keys_count_dsb(struct tls_keys *k, bool keylog)
{
	if (keylog)
		k->st.dsb_blocks++;
	else
		k->st.dsb_other++;
}
