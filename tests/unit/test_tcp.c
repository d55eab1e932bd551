/* TCP reassembly on fixtures/tcp-reorder.pcap: a real FTP download (64 KiB)
 * whose capture has reordered and duplicated data segments (see
 * fixtures/README.md). Expected byte counts are tshark's "follow tcp" of
 * the same file: 67/249 bytes on the control connection, 65556 bytes (the
 * file's size) from server to client on the data connection. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

static struct json_object *
conn_with_server_port(struct json_object *list, const char *suffix)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		const char *srv = json_object_get_string(cxt_get(c, "server"));
		size_t n = strlen(srv), m = strlen(suffix);
		if (n >= m && !strcmp(srv + n - m, suffix))
			return c;
	}
	return NULL;
}

Test(tcp, reordered_and_duplicated_segments_are_reassembled)
{
	int rc;
	struct json_object *r = cxt_run(cxt_path("fixtures/tcp-reorder.pcap"), NULL, &rc, NULL);
	cr_assert_not_null(r);
	struct json_object *list = cxt_get(r, "capture.tcp.list");
	cr_assert_eq(json_object_array_length(list), 2);
	struct json_object *data = conn_with_server_port(list, ":30005");
	cr_assert_not_null(data);
	cr_assert_eq(json_object_get_int64(cxt_get(data, "server_to_client.bytes")), 65556);
	cr_assert_eq(json_object_get_int64(cxt_get(data, "client_to_server.bytes")), 0);
	cr_assert_eq(json_object_get_int64(cxt_get(data, "server_to_client.gap_bytes")), 0);
	cr_assert_gt(json_object_get_int64(cxt_get(data, "server_to_client.out_of_order")), 0);
	cr_assert_gt(json_object_get_int64(cxt_get(data, "server_to_client.retransmissions")), 0);
	struct json_object *ctrl = conn_with_server_port(list, ":21");
	cr_assert_not_null(ctrl);
	cr_assert_eq(json_object_get_int64(cxt_get(ctrl, "client_to_server.bytes")), 67);
	cr_assert_eq(json_object_get_int64(cxt_get(ctrl, "server_to_client.bytes")), 249);
	cr_assert(json_object_get_boolean(cxt_get(ctrl, "handshake_seen")));
	json_object_put(r);
}

Test(tcp, a_missing_segment_is_a_gap_not_a_stall)
{
	/* Drop one data frame of the download: the stream must continue after
	 * the hole, with the hole's size reported. */
	char err[256];
	(void)err;
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/tcp-reorder.pcap", &len);
	cr_assert_not_null(all);
	/* Walk records (little-endian classic pcap written by tcpdump). */
	size_t off = 24, idx = 0, drop_off = 0, drop_len = 0;
	uint32_t dropped_payload = 0;
	while (off + 16 <= len) {
		uint32_t incl;
		memcpy(&incl, all + off + 8, 4);
		const unsigned char *pkt = (const unsigned char *)all + off + 16;
		/* Ethernet + IPv4 + TCP: payload length from the IP header. */
		unsigned ihl = (pkt[14] & 15) * 4u, tot = (pkt[16] << 8) | pkt[17];
		unsigned doff = (pkt[14 + ihl + 12] >> 4) * 4u;
		unsigned sport = (pkt[14 + ihl] << 8) | pkt[14 + ihl + 1];
		if (sport == 30005 && tot - ihl - doff > 1000 && ++idx == 10) {
			drop_off = off;
			drop_len = 16 + incl;
			dropped_payload = tot - ihl - doff;
			break;
		}
		off += 16 + incl;
	}
	cr_assert_gt(drop_len, 0);
	memmove(all + drop_off, all + drop_off + drop_len, len - drop_off - drop_len);
	char path[] = "/tmp/cxtcpgap-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_eq(write(fd, all, len - drop_len), (ssize_t)(len - drop_len));
	close(fd);
	free(all);
	int rc;
	struct json_object *r = cxt_run(path, NULL, &rc, NULL);
	struct json_object *data = conn_with_server_port(cxt_get(r, "capture.tcp.list"), ":30005");
	cr_assert_not_null(data);
	/* The segment may have been duplicated by the fixture (a retransmission
	 * fills the hole); otherwise its bytes are the gap. */
	int64_t gap = json_object_get_int64(cxt_get(data, "server_to_client.gap_bytes"));
	int64_t got = json_object_get_int64(cxt_get(data, "server_to_client.bytes"));
	cr_assert(gap == 0 || gap == dropped_payload, "gap=%lld dropped=%u", (long long)gap, dropped_payload);
	cr_assert_eq(got + gap, 65556);
	json_object_put(r);
}
