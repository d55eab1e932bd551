/* `callextract explain` on the classic textbook frame of issue 6 (80 bytes,
 * Ethernet/IPv4/TCP carrying "To jest tekscik\n"). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "explain.h"

static const uint8_t textbook[] = {
	0, 208, 183, 116, 229, 103, 0, 2, 179, 101, 64, 208, 8, 0, 69, 0, 0, 56, 200, 213, 64, 0,
	64, 6, 70, 72, 212, 191, 65, 33, 212, 191, 65, 2, 5, 20, 10, 109, 166, 211, 34, 168, 138,
	91, 184, 29, 80, 24, 22, 208, 85, 26, 0, 0, 84, 111, 32, 106, 101, 115, 116, 32, 116, 101,
	107, 115, 99, 105, 107, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

static bool
line_has(const char *out, const char *a, const char *b)
{
	for (const char *l = out; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (strstr(line, a) && (!b || strstr(line, b)))
			return true;
		l = e ? e + 1 : NULL;
	}
	return false;
}

Test(explain, textbook_frame)
{
	char path[] = "/tmp/cxexplain-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	struct pcap_pkthdr h = { { 1000, 0 }, sizeof(textbook), sizeof(textbook) };
	pcap_dump((u_char *)d, &h, textbook);
	pcap_dump_close(d);
	pcap_close(dead);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_eq(cx_explain(path, 1, out), 0);
	fclose(out);
	cr_assert(line_has(buf, "source", "00:02:b3:65:40:d0"), "%s", buf);
	cr_assert(line_has(buf, "destination", "00:d0:b7:74:e5:67"));
	cr_assert(line_has(buf, "[12-13]", "IPv4"));
	cr_assert(line_has(buf, "version 4, header length 20 bytes", "45"));
	cr_assert(line_has(buf, "[16-17]", " 56 "));
	cr_assert(line_has(buf, "[23]", "6 (TCP)"));
	cr_assert(line_has(buf, "[26-29]", "212.191.65.33"));
	cr_assert(line_has(buf, "[30-33]", "212.191.65.2 "));
	cr_assert(line_has(buf, "[34-35]", "1300"));
	cr_assert(line_has(buf, "[36-37]", "2669"));
	cr_assert(line_has(buf, "[46]", "20 bytes (header length)"));
	cr_assert(line_has(buf, "text:", "\"To jest tekscik\\n\""));
	cr_assert_neq(cx_explain(path, 2, stderr), 0, "frame 2 does not exist");
	free(buf);
	unlink(path);
}
