/* fixtures/sip-call-ice.pcap (fixtures/make/voip-ice.sh): two baresip UAs
 * with ICE through kamailio, coturn as STUN server. Every STUN message the
 * report lists must carry what tshark 4.0.17 decodes in the same frame
 * (fixtures/sip-call-ice.stun.txt: frame|src|sport|dst|dport|type|priority|
 * username|ipv4s|ports|attribute types); the RTP that follows the checks
 * on the same 5-tuples stays RTP (tshark 4.0 shows one direction as data);
 * every STUN flow belongs to the call. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

static struct json_object *
find_msg(struct json_object *streams, long frame)
{
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *st = cxt_get(json_object_array_get_idx(streams, i), "stun");
		for (size_t k = 0; k < json_object_array_length(st); k++) {
			struct json_object *m = json_object_array_get_idx(st, k);
			if (json_object_get_int64(cxt_get(m, "frame")) == frame)
				return m;
		}
	}
	return NULL;
}

/* Splits s at '|' into at most n fields (in place). */
static int
fields(char *s, char **f, int n)
{
	int k = 0;
	f[k++] = s;
	for (char *p = s; *p && k < n; p++)
		if (*p == '|') {
			*p = '\0';
			f[k++] = p + 1;
		}
	return k;
}

Test(media_ice, stun_messages_equal_tshark)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-ice.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *streams = cxt_get(r, "streams");
	char *ref = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/sip-call-ice.stun.txt", NULL);
	cr_assert_not_null(ref);
	int n = 0;
	for (char *line = strtok(ref, "\n"); line; line = strtok(NULL, "\n")) {
		char *f[11];
		cr_assert_eq(fields(line, f, 11), 11);
		long frame = atol(f[0]);
		struct json_object *m = find_msg(streams, frame);
		cr_assert_not_null(m, "STUN frame %ld listed", frame);
		char ep[80];
		snprintf(ep, sizeof(ep), "%s:%s", f[1], f[2]);
		cr_assert_str_eq(json_object_get_string(cxt_get(m, "src")), ep);
		unsigned type = (unsigned)strtoul(f[5], NULL, 16);
		cr_assert_str_eq(json_object_get_string(cxt_get(m, "class")), type == 0x0001 ? "request" : "success",
				 "frame %ld", frame);
		if (*f[6])
			cr_assert_eq(json_object_get_int64(cxt_get(m, "priority")), atoll(f[6]), "frame %ld", frame);
		else
			cr_assert_null(cxt_get(m, "priority"));
		if (*f[7])
			cr_assert_str_eq(json_object_get_string(cxt_get(m, "username")), f[7]);
		/* the attribute types, in order: flags and which address is XOR-MAPPED */
		bool uc = false, ing = false, ed = false, mi = false, fp = false;
		int addr_i = 0, xor_i = -1;
		for (char *t = f[10]; *t;) {
			unsigned a = (unsigned)strtoul(t, &t, 16);
			uc |= a == 0x0025;
			ing |= a == 0x802a;
			ed |= a == 0x8029;
			mi |= a == 0x0008;
			fp |= a == 0x8028;
			if (a == 0x0020)
				xor_i = addr_i;
			if (a == 0x0001 || a == 0x0020 || a == 0x802b || a == 0x802c)
				addr_i++;
			if (*t == ',')
				t++;
		}
		cr_assert_eq(json_object_get_boolean(cxt_get(m, "use_candidate")), uc, "frame %ld", frame);
		cr_assert_eq(json_object_get_boolean(cxt_get(m, "ice_controlling")), ing, "frame %ld", frame);
		cr_assert_eq(json_object_get_boolean(cxt_get(m, "ice_controlled")), ed, "frame %ld", frame);
		cr_assert_eq(json_object_get_boolean(cxt_get(m, "message_integrity")), mi, "frame %ld", frame);
		cr_assert_eq(json_object_get_boolean(cxt_get(m, "fingerprint")), fp, "frame %ld", frame);
		if (xor_i >= 0) {
			/* tshark joins repeated fields with ',': take the xor_i-th */
			char want[80], ipbuf[64], portbuf[16];
			const char *ip = f[8], *pt = f[9];
			for (int k = 0; k < xor_i; k++) {
				cr_assert(strchr(ip, ',') && strchr(pt, ','));
				ip = strchr(ip, ',') + 1;
				pt = strchr(pt, ',') + 1;
			}
			snprintf(ipbuf, sizeof(ipbuf), "%.*s", (int)strcspn(ip, ","), ip);
			snprintf(portbuf, sizeof(portbuf), "%.*s", (int)strcspn(pt, ","), pt);
			snprintf(want, sizeof(want), "%s:%s", ipbuf, portbuf);
			cr_assert_str_eq(json_object_get_string(cxt_get(m, "xor_mapped_address")), want, "frame %ld", frame);
		} else {
			cr_assert_null(cxt_get(m, "xor_mapped_address"));
		}
		n++;
	}
	cr_assert_eq(n, 24, "every STUN message of the capture");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.stun")), 24);
	free(ref);
	json_object_put(r);
}

Test(media_ice, rtp_after_ice_checks_stays_rtp_and_flows_belong_to_the_call)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-ice.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *streams = cxt_get(r, "streams");
	const char *cid = json_object_get_string(cxt_get(r, "dialogs.2.call_id"));
	cr_assert_not_null(cid);
	size_t rtp = 0, stun = 0;
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "call_id")), cid, "stream %zu belongs to the call", i);
		if (cxt_get(s, "kind")) {
			stun++;
			continue;
		}
		rtp++;
		cr_assert_geq(json_object_get_int64(cxt_get(s, "packets")), 250);
		cr_assert_eq(json_object_get_int64(cxt_get(s, "lost")), 0);
		cr_assert_eq(json_object_array_length(cxt_get(s, "stun")), 8, "the checks on its 5-tuple");
		cr_assert_not_null(cxt_get(s, "wav"));
		cr_assert_geq(json_object_get_int64(cxt_get(s, "audio.samples")), 250 * 160);
	}
	cr_assert_eq(rtp, 2);
	cr_assert_eq(stun, 5, "4 gathering flows to coturn, the RTCP component's checks");
	json_object_put(r);
}

/* fixtures/turn-tcp.pcap (fixtures/make/turn-tcp.sh): coturn and its test
 * client over TCP. Every STUN message tshark decodes (fixtures/
 * turn-tcp.stun.txt: frame|types, two messages in one segment at times)
 * is listed with the same method and class, in order; the four ChannelData
 * frames (empty type) are counted as such. */
Test(media_ice, stun_and_turn_over_tcp_equal_tshark)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/turn-tcp.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *streams = cxt_get(r, "streams");
	char *ref = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/turn-tcp.stun.txt", NULL);
	cr_assert_not_null(ref);
	int msgs = 0, chan = 0;
	for (char *line = strtok(ref, "\n"); line; line = strtok(NULL, "\n")) {
		long frame = atol(line);
		char *t = strchr(line, '|') + 1;
		if (!*t) {
			chan++;
			continue;
		}
		/* our messages of this frame, in order */
		struct json_object *got[4];
		int ng = 0;
		for (size_t i = 0; i < json_object_array_length(streams); i++) {
			struct json_object *st = cxt_get(json_object_array_get_idx(streams, i), "stun");
			for (size_t k = 0; k < json_object_array_length(st) && ng < 4; k++)
				if (json_object_get_int64(cxt_get(json_object_array_get_idx(st, k), "frame")) == frame)
					got[ng++] = json_object_array_get_idx(st, k);
		}
		int k = 0;
		while (*t) {
			unsigned type = (unsigned)strtoul(t, &t, 16);
			if (*t == ',')
				t++;
			cr_assert_lt(k, ng, "frame %ld: message %d missing", frame, k);
			unsigned method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
			unsigned cls = ((type & 0x0100) >> 7) | ((type & 0x0010) >> 4);
			static const char *classes[] = { "request", "indication", "success", "error" };
			cr_assert_eq(json_object_get_int(cxt_get(got[k], "method")), (int)method, "frame %ld", frame);
			cr_assert_str_eq(json_object_get_string(cxt_get(got[k], "class")), classes[cls], "frame %ld", frame);
			cr_assert_str_eq(json_object_get_string(cxt_get(got[k], "transport")), "tcp");
			k++;
			msgs++;
		}
		cr_assert_eq(k, ng, "frame %ld: as many messages as tshark", frame);
	}
	cr_assert_eq(msgs, 38);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.stun")), 38);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.turn_channel_data")), chan);
	cr_assert_eq(chan, 4);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "streams.1.stun.4.method_name")), "ChannelBind");
	free(ref);
	json_object_put(r);
}

/* The same connections cut short: every truncation of the capture file
 * ends cleanly, never reads past a message (ASan build) */
Test(media_ice, turn_over_tcp_truncated_anywhere)
{
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/turn-tcp.pcap", &len);
	cr_assert_not_null(all);
	for (size_t cut = 24; cut < len; cut += 97) {
		char path[] = "/tmp/cxturn-XXXXXX";
		int fd = mkstemp(path);
		cr_assert_eq(write(fd, all, cut), (ssize_t)cut);
		close(fd);
		struct json_object *r = cxt_run(path, NULL, NULL, NULL);
		cr_assert_not_null(r, "cut at %zu", cut);
		cr_assert_leq(json_object_get_int64(cxt_get(r, "capture.protocols.stun")), 38);
		json_object_put(r);
		unlink(path);
	}
	free(all);
}

/* fixtures/stun-rfc3489.pcap (fixtures/make/stun-rfc3489.sh): Vovida's
 * stun client and stund, RFC 3489 without the magic cookie. The Binding
 * exchanges on the STUN ports are listed with MAPPED-ADDRESS as tshark's
 * classicstun shows it; the hairpin probe between two client ports (frame
 * 9) is not on a STUN port and is left alone. */
Test(media_ice, classic_rfc3489_stun)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/stun-rfc3489.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.stun")), 8);
	struct json_object *streams = cxt_get(r, "streams");
	const long resp[4] = { 2, 4, 6, 8 };
	const char *mapped[4] = { "127.0.0.1:30489", "127.0.0.1:30490", "127.0.0.1:30490", "127.0.0.1:30489" };
	for (int i = 0; i < 4; i++) {
		struct json_object *m = find_msg(streams, resp[i]);
		cr_assert_not_null(m, "frame %ld", resp[i]);
		cr_assert_str_eq(json_object_get_string(cxt_get(m, "class")), "success");
		cr_assert_str_eq(json_object_get_string(cxt_get(m, "mapped_address")), mapped[i]);
		cr_assert(json_object_get_boolean(cxt_get(m, "classic_rfc3489")));
		cr_assert_null(cxt_get(m, "xor_mapped_address"), "no cookie, no XOR key");
	}
	cr_assert_not_null(find_msg(streams, 1));
	cr_assert_null(find_msg(streams, 9));
	json_object_put(r);
}
