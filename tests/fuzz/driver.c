/* Standalone fuzz driver (no libFuzzer needed), linked with one target's
 * cx_fuzz_one(). For a capture (.pcap) it turns every frame into a seed of
 * the frame target's format; any other file, or every file of a directory
 * (a libFuzzer corpus), is a seed as it is. Each seed is run, then N
 * deterministic mutants of it (bit flips, byte stores of boundary values,
 * truncations, length-field inflation, chunk duplication, splices with the
 * previous seed). Meant to run under ASan/UBSan in the test suite; libFuzzer
 * builds link the same target with -fsanitize=fuzzer instead.
 * Usage: fuzz-driver [-n MUTANTS] CAPTURE|FILE|DIR... ; prints a TAP line
 * per argument. -n 0 runs the seeds only (regression inputs). */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_frame.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
selector(int dlt)
{
	static const int lts[] = { 1, 0, 101, 108, 113, 276, 228, 229 };
	for (int i = 0; i < 8; i++)
		if (lts[i] == dlt || (dlt == 12 && lts[i] == 101))
			return i;
	return 0;
}

static void
run(uint8_t sel, const uint8_t *f, size_t n, const uint8_t *prev, size_t pn)
{
	uint8_t *in = malloc(3 + n + 3 + pn);
	in[0] = sel;
	in[1] = (uint8_t)(n >> 8);
	in[2] = (uint8_t)n;
	memcpy(in + 3, f, n);
	size_t len = 3 + n;
	if (prev) { /* a second frame: reassembly and dialog state across frames */
		in[len] = sel;
		in[len + 1] = (uint8_t)(pn >> 8);
		in[len + 2] = (uint8_t)pn;
		memcpy(in + len + 3, prev, pn);
		len += 3 + pn;
	}
	cx_fuzz_one(in, len);
	free(in);
}

static void
mutate(uint8_t *m, size_t *n, size_t cap)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x0d, 0x0a, ':', '"', '\\' };
	int k = (int)(next() % 6);
	size_t len = *n;
	if (!len)
		return;
	size_t at = (size_t)(next() % len);
	switch (k) {
	case 0: m[at] ^= (uint8_t)(1u << (next() % 8)); break;
	case 1: m[at] = vals[next() % sizeof(vals)]; break;
	case 2: *n = at; break;                          /* truncate */
	case 3: if (at + 1 < len) { m[at] = 0xff; m[at + 1] = 0xff; } break; /* length fields */
	case 4: /* duplicate a chunk (grows headers) */
		if (len * 2 <= cap) {
			memcpy(m + len, m + at, len - at);
			*n = len + (len - at);
		}
		break;
	default: for (int i = 0; i < 4; i++) m[next() % len] = (uint8_t)next(); break;
	}
}

/* A seed and its mutants, raw (not wrapped in frame records). */
static unsigned long
run_raw(const uint8_t *d, size_t n, int mutants, const uint8_t *prev, size_t pn)
{
	unsigned long execs = 1;
	uint8_t *c = malloc(n ? n : 1);
	memcpy(c, d, n);
	cx_fuzz_one(c, n);
	free(c);
	size_t cap = 2 * n + pn + 1;
	uint8_t *m = malloc(cap);
	for (int i = 0; i < mutants; i++) {
		memcpy(m, d, n);
		size_t mn = n;
		if (pn && (next() & 7) == 0) { /* splice: our head, the other's tail */
			size_t at = n ? (size_t)(next() % n) : 0, from = (size_t)(next() % pn);
			memcpy(m + at, prev + from, pn - from);
			mn = at + pn - from;
		}
		int rounds = 1 + (int)(next() % 3);
		for (int r = 0; r < rounds; r++)
			mutate(m, &mn, cap);
		uint8_t *e = malloc(mn ? mn : 1); /* exact size: ASan sees overreads */
		memcpy(e, m, mn);
		cx_fuzz_one(e, mn);
		free(e);
		execs++;
	}
	free(m);
	return execs;
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	uint8_t *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			uint8_t *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				b = NULL;
			}
			b = nb;
		}
	}
	fclose(f);
	*n = len;
	return b;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order (deterministic). */
static int
run_dir(const char *dir, int mutants, unsigned long *execs)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return -1;
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (nn + 1) * sizeof(*names));
		names[nn++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(names, nn, sizeof(*names), by_name);
	uint8_t *prev = NULL;
	size_t pn = 0;
	int bad = 0;
	for (size_t i = 0; i < nn; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		size_t n;
		uint8_t *d = slurp(path, &n);
		if (!d) {
			bad = -1;
		} else {
			*execs += run_raw(d, n, mutants, prev, pn);
			free(prev);
			prev = d;
			pn = n;
		}
		free(names[i]);
	}
	free(prev);
	free(names);
	return bad;
}

static int
run_pcap(pcap_t *p, int mutants, unsigned long *execs)
{
	uint8_t sel = (uint8_t)selector(pcap_datalink(p));
	struct pcap_pkthdr *h;
	const u_char *d;
	static uint8_t prev[65536];
	size_t pn = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		size_t n = h->caplen > 65535 ? 65535 : h->caplen;
		run(sel, d, n, pn ? prev : NULL, pn);
		(*execs)++;
		uint8_t *m = malloc(2 * n + 1);
		for (int i = 0; i < mutants; i++) {
			memcpy(m, d, n);
			size_t mn = n;
			int rounds = 1 + (int)(next() % 3);
			for (int r = 0; r < rounds; r++)
				mutate(m, &mn, 2 * n + 1);
			if (mn > 65535)
				mn = 65535;
			run(sel, m, mn, (next() & 1) && pn ? prev : NULL, pn);
			(*execs)++;
		}
		free(m);
		memcpy(prev, d, n);
		pn = n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int mutants = 200, files = 0;
	unsigned long execs = 0;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-n") && a + 1 < argc) {
			mutants = atoi(argv[++a]);
			continue;
		}
		const char *arg = argv[a];
		size_t al = strlen(arg);
		int rc;
		DIR *isdir = opendir(arg);
		if (isdir) {
			closedir(isdir);
			rc = run_dir(arg, mutants, &execs);
		} else if (al > 5 && !strcmp(arg + al - 5, ".pcap")) {
			char err[PCAP_ERRBUF_SIZE];
			pcap_t *p = pcap_open_offline(arg, err);
			if (!p) {
				printf("not ok %d - %s: %s\n", ++files, arg, err);
				continue;
			}
			rc = run_pcap(p, mutants, &execs);
			pcap_close(p);
		} else {
			size_t n;
			uint8_t *d = slurp(arg, &n);
			rc = d ? 0 : -1;
			if (d)
				execs += run_raw(d, n, mutants, NULL, 0);
			free(d);
		}
		printf("%s %d - %s\n", rc ? "not ok" : "ok", ++files, arg);
	}
	printf("# %lu inputs\n1..%d\n", execs, files);
	return 0;
}
