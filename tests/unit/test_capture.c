/* Capture ingest: formats, damaged inputs, several files as one capture,
 * frame accounting. Expected figures come from tshark (io,phs) on the same
 * files (see fixtures/README.md). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callextract/callextract.h"
#include "cxtest.h"

static int64_t
geti(struct json_object *r, const char *path)
{
	struct json_object *o = cxt_get(r, path);
	cr_assert_not_null(o, "missing %s", path);
	return json_object_get_int64(o);
}

Test(capture, aaa_every_frame_accounted)
{
	int rc;
	struct json_object *r = cxt_run(cxt_path("fixtures/aaa.pcap"), NULL, &rc, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(rc, CX_EXIT_OK);
	/* tshark -z io,phs: eth 691, ip 647, udp 590, tcp 57, arp 44 */
	cr_assert_eq(geti(r, "capture.frames"), 691);
	cr_assert_eq(geti(r, "capture.protocols.ipv4"), 647);
	cr_assert_eq(geti(r, "capture.protocols.udp"), 590);
	cr_assert_eq(geti(r, "capture.protocols.tcp"), 57);
	cr_assert_eq(geti(r, "capture.protocols.non_ip"), 44);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.link_types.0")), "EN10MB");
	const char *keys[] = { "capture", "dialogs", "streams", "auth", "dns", "icmp", "ftp", "findings" };
	for (size_t i = 0; i < 8; i++)
		cr_assert_not_null(cxt_get(r, keys[i]), "report.json lacks %s", keys[i]);
	json_object_put(r);
}

Test(capture, pcapng_is_read)
{
	const char *p = cxt_path("corpus:NormB__sipnab/tests/pcap-samples/sip-auth-failure.pcapng");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	int rc;
	struct json_object *r = cxt_run(p, NULL, &rc, NULL);
	cr_assert_eq(rc, CX_EXIT_OK);
	cr_assert_eq(geti(r, "capture.frames"), 8);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.files.0.format")), "pcapng");
	json_object_put(r);
}

static char *
write_tmp(const void *data, size_t n)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/cxcap-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

Test(capture, not_a_capture_and_empty_file_exit_3)
{
	int rc;
	const char *text = "this is not a capture file\n";
	struct json_object *r = cxt_run(write_tmp(text, strlen(text)), NULL, &rc, NULL);
	cr_assert_eq(rc, CX_EXIT_INPUT);
	cr_assert_null(r, "nothing to report when no input was readable");
	r = cxt_run(write_tmp("", 0), NULL, &rc, NULL);
	cr_assert_eq(rc, CX_EXIT_INPUT);
}

Test(capture, cut_mid_record_keeps_what_was_read)
{
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/aaa.pcap", &len);
	cr_assert_not_null(all);
	int rc;
	/* Cut in the middle of the file: some record is split. */
	struct json_object *r = cxt_run(write_tmp(all, len / 2 + 7), NULL, &rc, NULL);
	cr_assert_eq(rc, CX_EXIT_PARTIAL);
	cr_assert_not_null(r, "the report is written for what was read");
	int64_t frames = geti(r, "capture.frames");
	cr_assert(frames > 100 && frames < 691, "frames=%lld", (long long)frames);
	cr_assert_not_null(json_object_get_string(cxt_get(r, "capture.files.0.error")));
	cr_assert_eq(geti(r, "capture.errors.capture.damaged"), 1);
	json_object_put(r);
	free(all);
}

/* Split aaa.pcap into two files and give them in reverse order: they must be
 * read as one capture in time order. */
static const char *split_a, *split_b;
static void
two_inputs(struct cx_config *cfg)
{
	(void)cfg;
}

Test(capture, rotated_files_are_one_capture_in_time_order)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(cxt_path("fixtures/aaa.pcap"), err);
	cr_assert_not_null(in);
	static char a[] = "/tmp/cxrotA-XXXXXX", b[] = "/tmp/cxrotB-XXXXXX";
	close(mkstemp(a));
	close(mkstemp(b));
	pcap_dumper_t *da = pcap_dump_open(in, a), *db = pcap_dump_open(in, b);
	struct pcap_pkthdr *h;
	const u_char *d;
	int i = 0;
	int64_t first_b = 0;
	while (pcap_next_ex(in, &h, &d) == 1) {
		if (i == 300)
			first_b = (int64_t)h->ts.tv_sec;
		pcap_dump((u_char *)(i++ < 300 ? da : db), h, d);
	}
	pcap_dump_close(da);
	pcap_dump_close(db);
	pcap_close(in);
	split_a = a;
	split_b = b;
	(void)two_inputs;
	(void)first_b;

	cx_global_init();
	char dir[] = "/tmp/cxrot-out-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct cx_config cfg;
	cx_config_defaults(&cfg);
	cfg.outdir = dir;
	cfg.verbosity = -1;
	cfg.force = true;
	const char *inputs[2] = { split_b, split_a };
	struct cx_run_opts opts = { inputs, 2, NULL, NULL, NULL };
	cr_assert_eq(cx_run(&cfg, &opts), CX_EXIT_OK);
	char path[256];
	snprintf(path, sizeof(path), "%s/report.json", dir);
	struct json_object *r = json_object_from_file(path);
	cr_assert_eq(geti(r, "capture.frames"), 691);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.files.0.path")), split_a,
			 "the earlier file is read first");
	json_object_put(r);
}

Test(capture, non_empty_output_dir_is_refused)
{
	int rc;
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/aaa.pcap"), NULL, &rc, &dir);
	json_object_put(r);
	cx_global_init();
	struct cx_config cfg;
	cx_config_defaults(&cfg);
	cfg.outdir = dir;
	cfg.verbosity = -1;
	const char *inputs[1] = { cxt_path("fixtures/aaa.pcap") };
	struct cx_run_opts opts = { inputs, 1, NULL, NULL, NULL };
	cr_assert_eq(cx_run(&cfg, &opts), CX_EXIT_OUTPUT);
}
