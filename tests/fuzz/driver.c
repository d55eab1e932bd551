/* Standalone fuzz driver (no libFuzzer needed): turns every frame of the
 * given captures into a seed, runs it, then runs N deterministic mutants of
 * it (bit flips, byte stores of boundary values, truncations, length-field
 * inflation, splices with another seed). Meant to run under ASan/UBSan in
 * the test suite; libFuzzer builds use fuzz_frame.c directly.
 * Usage: fuzz-driver [-n MUTANTS] CAPTURE... ; prints a TAP line per file. */
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
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(argv[a], err);
		if (!p) {
			printf("not ok %d - %s: %s\n", ++files, argv[a], err);
			continue;
		}
		uint8_t sel = (uint8_t)selector(pcap_datalink(p));
		struct pcap_pkthdr *h;
		const u_char *d;
		uint8_t prev[65536];
		size_t pn = 0;
		while (pcap_next_ex(p, &h, &d) == 1) {
			size_t n = h->caplen > 65535 ? 65535 : h->caplen;
			run(sel, d, n, pn ? prev : NULL, pn);
			execs++;
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
				execs++;
			}
			free(m);
			memcpy(prev, d, n);
			pn = n;
		}
		pcap_close(p);
		printf("ok %d - %s\n", ++files, argv[a]);
	}
	printf("# %lu inputs\n1..%d\n", execs, files);
	return 0;
}
