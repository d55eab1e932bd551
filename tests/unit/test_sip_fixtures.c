/* SIP scenarios captured from real user agents (fixtures/README.md, "VoIP
 * captures": kamailio, baresip, SIPp). Message totals equal tshark's
 * sip,stat on each file (given in the README). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"

static struct json_object *
run(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "fixtures/%s", name);
	struct json_object *r = cxt_run(cxt_path(rel), NULL, NULL, NULL);
	cr_assert_not_null(r, "%s", name);
	return r;
}

static const char *
str(struct json_object *r, const char *path)
{
	struct json_object *o = cxt_get(r, path);
	return o ? json_object_get_string(o) : NULL;
}

static long
num(struct json_object *r, const char *path)
{
	struct json_object *o = cxt_get(r, path);
	cr_assert_not_null(o, "missing %s", path);
	return (long)json_object_get_int64(o);
}

Test(sip_fixtures, registered_authenticated_call)
{
	struct json_object *r = run("sip-call-auth.pcap");
	cr_assert_eq(json_object_array_length(cxt_get(r, "dialogs")), 3);
	cr_assert_str_eq(str(r, "dialogs.0.kind"), "REGISTER");
	cr_assert_str_eq(str(r, "dialogs.0.state"), "accepted");
	cr_assert_str_eq(str(r, "dialogs.2.call_id"), "d49da8430d23505f");
	cr_assert_str_eq(str(r, "dialogs.2.state"), "completed");
	cr_assert_str_eq(str(r, "dialogs.2.hung_up_by"), "caller");
	cr_assert_eq(num(r, "capture.protocols.sip"), 24);
	cr_assert_not_null(cxt_get(r, "dialogs.2.times.first_18x"));
	cr_assert_gt(json_object_get_double(cxt_get(r, "dialogs.2.talk_time")), 8.5);
	cr_assert_not_null(strstr(str(r, "dialogs.2.from.software"), "baresip"));
	json_object_put(r);
}

Test(sip_fixtures, cancelled_call)
{
	struct json_object *r = run("sip-call-cancel.pcap");
	cr_assert_str_eq(str(r, "dialogs.0.state"), "cancelled");
	cr_assert_eq(num(r, "dialogs.0.final_status"), 487);
	cr_assert_eq(num(r, "capture.protocols.sip"), 16);
	cr_assert_not_null(cxt_get(r, "dialogs.0.times.cancel"));
	json_object_put(r);
}

Test(sip_fixtures, busy_call_rejected_486)
{
	struct json_object *r = run("sip-call-busy.pcap");
	cr_assert_str_eq(str(r, "dialogs.0.state"), "rejected");
	cr_assert_eq(num(r, "dialogs.0.final_status"), 486);
	cr_assert_str_eq(str(r, "dialogs.0.final_reason"), "Rejected");
	json_object_put(r);
}

Test(sip_fixtures, hold_and_resume_change_the_media_direction)
{
	struct json_object *r = run("sip-call-hold.pcap");
	struct json_object *sdp = cxt_get(r, "dialogs.0.sdp");
	bool sendonly = false, recvonly = false, resumed = false;
	for (size_t i = 0; i < json_object_array_length(sdp); i++) {
		const char *dir = json_object_get_string(cxt_get(json_object_array_get_idx(sdp, i), "media.0.direction"));
		if (!strcmp(dir, "sendonly"))
			sendonly = true;
		else if (!strcmp(dir, "recvonly"))
			recvonly = true;
		else if (sendonly && !strcmp(dir, "sendrecv"))
			resumed = true;
	}
	cr_assert(sendonly && recvonly && resumed, "hold (sendonly/recvonly) then resume (sendrecv)");
	cr_assert_eq(num(r, "capture.protocols.sip"), 30);
	/* the 2.08 s pause in RTP timestamps is filled with silence, not a jump */
	cr_assert_eq(num(r, "streams.0.audio.timestamp_jumps"), 0);
	/* timestamps jump by 16640 between two 160-sample packets: 16480 missing */
	cr_assert_eq(num(r, "streams.0.audio.silence_inserted_samples"), 16480);
	json_object_put(r);
}

Test(sip_fixtures, tcp_coalesced_and_split_messages)
{
	struct json_object *r = run("sip-tcp.pcap");
	cr_assert_eq(json_object_array_length(cxt_get(r, "dialogs")), 20);
	cr_assert_eq(num(r, "capture.protocols.sip"), 120, "tshark sip,stat: 120");
	cr_assert_str_eq(str(r, "dialogs.19.messages.0.transport"), "TCP");
	for (size_t i = 0; i < 20; i++) {
		char p[64];
		snprintf(p, sizeof(p), "dialogs.%zu.state", i);
		cr_assert_str_eq(str(r, p), "completed");
	}
	json_object_put(r);
}

Test(sip_fixtures, summary_lists_every_call_on_one_line)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-tcp.pcap"), NULL, NULL, &dir);
	cr_assert_not_null(r);
	char *s = cxt_slurp(dir, "summary.txt", NULL);
	char *t = strstr(s, "== Calls ==");
	cr_assert_not_null(t);
	int lines = 0;
	for (char *l = strchr(t, '\n'); l && l[1] && l[1] != '\n'; l = strchr(l + 1, '\n'))
		lines += strstr(l + 1, "completed") != NULL && strstr(l + 1, "-18897@10.77.0.2") < strchr(l + 1, '\n');
	cr_assert_eq(lines, 20);
	free(s);
	json_object_put(r);
}

Test(sip_fixtures, fragmented_udp_invite)
{
	struct json_object *r = run("sip-frag.pcap");
	cr_assert_eq(num(r, "capture.ip_reassembly.reassembled"), 1);
	cr_assert_str_eq(str(r, "dialogs.0.kind"), "INVITE");
	cr_assert_eq(num(r, "capture.protocols.sip"), 6);
	json_object_put(r);
}

Test(sip_fixtures, compact_headers)
{
	struct json_object *r = run("sip-compact.pcap");
	cr_assert_eq(num(r, "capture.protocols.sip"), 9);
	cr_assert_eq(num(r, "capture.errors.sip.malformed"), 0);
	cr_assert_str_eq(str(r, "dialogs.0.state"), "completed");
	cr_assert_not_null(cxt_get(r, "dialogs.0.bodies.0.body"), "MESSAGE text kept");
	json_object_put(r);
}

Test(sip_fixtures, pcma_call_with_rfc4733_dtmf)
{
	struct json_object *r = run("sip-call-pcma.pcap");
	struct json_object *streams = cxt_get(r, "streams");
	char digits[16] = "";
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		cr_assert_str_eq(json_object_get_string(cxt_get(s, "codec")), "PCMA");
		struct json_object *d = cxt_get(s, "dtmf");
		for (size_t k = 0; k < json_object_array_length(d); k++)
			strncat(digits, json_object_get_string(cxt_get(json_object_array_get_idx(d, k), "digit")), 1);
	}
	cr_assert_str_eq(digits, "7429");
	json_object_put(r);
}

Test(sip_fixtures, linux_sll2_from_tcpdump_any)
{
	struct json_object *r = run("sip-register-sll2.pcap");
	cr_assert_str_eq(str(r, "capture.link_types.0"), "LINUX_SLL2");
	cr_assert_eq(num(r, "capture.protocols.sip"), 8);
	json_object_put(r);
}

Test(sip_fixtures, failed_registrations_reveal_user_names)
{
	struct json_object *r = run("sip-register-fail.pcap");
	cr_assert_str_eq(str(r, "dialogs.0.state"), "rejected");
	cr_assert_eq(num(r, "dialogs.0.final_status"), 403);
	struct json_object *f = cxt_get(r, "findings");
	bool enumeration = false, reuse = false;
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		const char *k = json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind"));
		enumeration |= !strcmp(k, "auth.user_enumeration");
		reuse |= !strcmp(k, "auth.nonce_reused");
	}
	cr_assert(enumeration && reuse);
	json_object_put(r);
}

/* The call's write-up names each party by role with the software it
 * announced itself: kamailio relays baresip's User-Agent and Server, which
 * must not be taken for the proxy's own. */
Test(sip_fixtures, call_conversation_names_parties)
{
	struct json_object *r = cxt_run(cxt_path("fixtures/sip-call-auth.pcap"), NULL, NULL, NULL);
	cr_assert_not_null(r);
	struct json_object *c = cxt_get(r, "conversations"), *call = NULL;
	for (size_t i = 0; i < json_object_array_length(c); i++)
		if (!strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(c, i), "kind")), "sip-call"))
			call = json_object_array_get_idx(c, i);
	cr_assert_not_null(call);
	cr_assert_eq(json_object_get_int64(cxt_get(call, "first_frame")), 9);
	cr_assert_eq(json_object_get_int64(cxt_get(call, "last_frame")), 931);
	const char *roles[3] = { "caller", "proxy (passes the requests on)", "callee" };
	const char *addrs[3] = { "10.77.0.2", "10.77.0.1", "10.77.0.3" };
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "parties.%d.role", i);
		cr_assert_str_eq(json_object_get_string(cxt_get(call, p)), roles[i]);
		snprintf(p, sizeof(p), "parties.%d.address", i);
		cr_assert_str_eq(json_object_get_string(cxt_get(call, p)), addrs[i]);
	}
	struct json_object *sw = cxt_get(call, "parties.1.software");
	cr_assert_eq(json_object_array_length(sw), 1, "the proxy announced only itself");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(sw, "0.text")), "kamailio"));
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(call, "parties.2.software.0.text")), "baresip"));
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(call, "protection")), "plain RTP"));
	/* the dialog's callee software is bob's, not the 407 kamailio sent */
	struct json_object *ds = cxt_get(r, "dialogs");
	for (size_t i = 0; i < json_object_array_length(ds); i++) {
		struct json_object *d = json_object_array_get_idx(ds, i);
		const char *tsw = json_object_get_string(cxt_get(d, "to.software"));
		if (!strcmp(json_object_get_string(cxt_get(d, "kind")), "INVITE"))
			cr_assert(tsw && strstr(tsw, "baresip"), "callee software: %s", tsw ? tsw : "none");
		else
			cr_assert(tsw && strstr(tsw, "kamailio"), "registrar software: %s", tsw ? tsw : "none");
	}
	json_object_put(r);
}
