/* fixtures/mixed-linktypes.pcapng: mergecap of 8 Ethernet frames (from
 * sip-call-auth.pcap) and 5 Linux SLL frames (from the corpus'
 * speech_8k_ulaw.pcap). libpcap 1.10 refuses it; our pcapng reader takes
 * over. tshark: 13 frames, SLL first (epoch 0.00 to 0.08), then Ethernet
 * from 1795484977.097414. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

Test(pcapng, mixed_link_types_are_read_anyway)
{
	int rc;
	struct json_object *r = cxt_run(cxt_path("fixtures/mixed-linktypes.pcapng"), NULL, &rc, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(rc, 0);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.frames")), 13);
	cr_assert_eq(json_object_array_length(cxt_get(r, "capture.link_types")), 2);
	cr_assert_not_null(cxt_get(r, "capture.files.0.reader"), "our reader took over");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.first_time")), "1970-01-01T00:00:00.000000000Z");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "capture.last_time")), "2026-11-24T01:49:38.109354000Z");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.sip")), 8);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.rtp")), 5);
	json_object_put(r);
}

Test(pcapng, damaged_block_is_reported_with_its_offset)
{
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/mixed-linktypes.pcapng", &len);
	cr_assert_not_null(all);
	char path[] = "/tmp/cxng-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_eq(write(fd, all, len - 30), (ssize_t)(len - 30)); /* cut inside the last block */
	close(fd);
	int rc;
	struct json_object *r = cxt_run(path, NULL, &rc, NULL);
	cr_assert_eq(rc, 1);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.frames")), 12);
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(r, "capture.files.0.error")), "byte"));
	json_object_put(r);
	free(all);
	unlink(path);
}
