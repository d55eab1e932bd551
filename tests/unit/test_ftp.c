/* FTP: credentials with the server's verdict, data connections from
 * PASV/EPSV/PORT/EPRT, recovered files equal to what
 * `tshark --export-objects ftp-data` writes for the same capture (SHA-256
 * below computed from tshark's files), hostile names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

static void
sha256_file(const char *dir, const char *rel, char *hex)
{
	size_t len;
	char *b = cxt_slurp(dir, rel, &len);
	cr_assert_not_null(b, "%s/%s", dir, rel);
	unsigned char h[32];
	unsigned int hl;
	EVP_Digest(b, len, h, &hl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", h[i]);
	free(b);
}

/* Finds the transfer of `name` and checks the file on disk. */
static void
check_file(const char *capture, const char *cmd, const char *name, long size, const char *sha, const char *mode)
{
	const char *p = cxt_path(capture);
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	const char *dir;
	struct json_object *r = cxt_run(p, NULL, NULL, &dir);
	cr_assert_not_null(r);
	struct json_object *sessions = cxt_get(r, "ftp");
	bool found = false;
	for (size_t i = 0; i < json_object_array_length(sessions); i++) {
		struct json_object *xs = cxt_get(json_object_array_get_idx(sessions, i), "transfers");
		for (size_t k = 0; k < json_object_array_length(xs); k++) {
			struct json_object *x = json_object_array_get_idx(xs, k);
			const char *n = json_object_get_string(cxt_get(x, "name"));
			if (!n || strcmp(n, name) || strcmp(json_object_get_string(cxt_get(x, "command")), cmd))
				continue;
			found = true;
			cr_assert_eq(json_object_get_int64(cxt_get(x, "size")), size);
			cr_assert_str_eq(json_object_get_string(cxt_get(x, "sha256")), sha);
			if (mode)
				cr_assert_str_eq(json_object_get_string(cxt_get(x, "mode")), mode);
			char hex[65];
			sha256_file(dir, json_object_get_string(cxt_get(x, "file")), hex);
			cr_assert_str_eq(hex, sha, "the file written equals the bytes transferred");
		}
	}
	cr_assert(found, "%s %s not found in %s", cmd, name, capture);
	json_object_put(r);
}

Test(ftp, reordered_passive_download_and_credentials)
{
	check_file("fixtures/tcp-reorder.pcap", "RETR", "numbers.txt", 65556,
		   "c25dd878266ec457819614ede15ed41212b37955b5b2a6b1a31b87b564bf75e5", "passive");
	struct json_object *r = cxt_run(cxt_path("fixtures/tcp-reorder.pcap"), NULL, NULL, NULL);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.login")), "accepted");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "auth.cleartext.0.user")), "alice");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "auth.cleartext.0.password")), "wonderland");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "auth.cleartext.0.verdict")), "accepted");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.banner")), "pyftpdlib 1.5.7 ready.");
	json_object_put(r);
}

Test(ftp, corpus_active_download)
{
	check_file("corpus:OISF__suricata-verify/tests/ftp/ftp-download-active/input.pcap", "RETR", "index.html", 39,
		   "5ef391d886d04116cf84b584ae37ef136f83950ab69b7bfb2a6da7506f7b3a57", "active");
}

Test(ftp, corpus_passive_upload)
{
	check_file("corpus:OISF__suricata-verify/tests/ftp/ftp-upload-passive/input.pcap", "STOR", "index.html", 39,
		   "5ef391d886d04116cf84b584ae37ef136f83950ab69b7bfb2a6da7506f7b3a57", "passive");
}

Test(ftp, corpus_mp3_download)
{
	check_file("corpus:markofu__pcaps/PracticalPacketAnalysis/ppa-capture-files/ftp.pcap", "RETR", "Music.mp3", 5808,
		   "b95358577a3ee3f86b2dfec3e1e8eab310cafc5dc50510098f0145b6ca02e4ca", "passive");
}

Test(ftp, corpus_ipv6_epsv_and_eprt)
{
	/* zeek's ipv6.pcap fetches robots.txt twice: EPSV (passive), then EPRT (active) */
	check_file("corpus:zeek__zeek/testing/btest/Traces/ftp/ipv6.pcap", "RETR", "robots.txt", 77,
		   "92101c97b7425d24309c923bbd4a554f85d8b0b1ce105666bc8f64c0c72d7fac", NULL);
	struct json_object *r = cxt_run(cxt_path("corpus:zeek__zeek/testing/btest/Traces/ftp/ipv6.pcap"), NULL, NULL, NULL);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.transfers.2.mode")), "passive");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.transfers.3.mode")), "active");
	json_object_put(r);
}

/* A real session (tcp-reorder.pcap) with the file name in RETR replaced by
 * hostile ones of the same length is not possible; instead the control
 * command is rewritten in a copy of the capture: "RETR numbers.txt" becomes
 * "RETR ../../../etc/x" (same length, so TCP sequence numbers still hold). */
Test(ftp, hostile_file_name_stays_inside_the_output_dir)
{
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), "fixtures/tcp-reorder.pcap", &len);
	cr_assert_not_null(all);
	char *hit = memmem(all, len, "RETR numbers.txt", 16);
	cr_assert_not_null(hit);
	memcpy(hit, "RETR ../../../ex", 16);
	char path[] = "/tmp/cxftpevil-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_eq(write(fd, all, len), (ssize_t)len);
	close(fd);
	free(all);
	const char *dir;
	struct json_object *r = cxt_run(path, NULL, NULL, &dir);
	const char *file = json_object_get_string(cxt_get(r, "ftp.0.transfers.0.file"));
	cr_assert_not_null(file);
	cr_assert_eq(strncmp(file, "ftp/", 4), 0);
	cr_assert_null(strstr(file + 4, "/"), "no directory taken from the packet: %s", file);
	cr_assert_null(strstr(file, ".."), "%s", file);
	struct json_object *f = cxt_get(r, "findings");
	bool flagged = false;
	for (size_t i = 0; i < json_object_array_length(f); i++)
		flagged |= !strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind")), "ftp.suspicious_name");
	cr_assert(flagged);
	json_object_put(r);
	unlink(path);
}

/* fixtures/ftp-modes.pcap (fixtures/make/ftp-modes.sh): pyftpdlib and
 * ftplib, an active-mode session (MLSD, STOR, RETR, a STOR climbing out
 * with ../../, LIST, after FEAT, SYST and CLNT) and a passive EPSV one (NLST, RETR, APPE, STOU, a
 * 180-character name). SHA-256 values are those of the files the server
 * stored (sha256sum in its directory after the run). */
#define FTP_MODES "fixtures/ftp-modes.pcap"
Test(ftp, own_active_mode_upload_and_download)
{
	const char *bin = "86999324511ad84c69f01938832689a50bebda2d4c65061db2e73b4b0857e831";
	check_file(FTP_MODES, "STOR", "report.bin", 20000, bin, "active");
	check_file(FTP_MODES, "RETR", "report.bin", 20000, bin, "active");
	check_file(FTP_MODES, "STOR", "../../escape.txt", 48,
		   "03a1c8970a254db1449c7840d84ea6e0675ba49e6e204e495876334703e51965", "active");
}

Test(ftp, own_passive_mode_transfers)
{
	/* notes.txt as RETR'd equals tshark --export-objects ftp-data */
	check_file(FTP_MODES, "RETR", "notes.txt", 49,
		   "dc0055343cb983eba47582fb0df5acfeca0e694f15fff29fb4942e68c2c59946", "passive");
	check_file(FTP_MODES, "APPE", "notes.txt", 14,
		   "4620a0fc9c290b101ddfc03b6004a73f6ef4d642bb7426fbb9b04bc4a9566909", "passive");
	check_file(FTP_MODES, "STOU", "", 14,
		   "8301ed501756d80becb9380976f448afd3f15b396972039f1ff82af60e6c12bc", "passive");
	char longname[200];
	memset(longname, 'L', 176);
	strcpy(longname + 176, ".txt");
	check_file(FTP_MODES, "STOR", longname, 10,
		   "1272a49868c41260330ce643f91dffd1114abc24bf149dfb4ebfb8833bbe5670", "passive");
}

Test(ftp, own_listings_and_sessions)
{
	const char *dir;
	struct json_object *r = cxt_run(cxt_path(FTP_MODES), NULL, NULL, &dir);
	cr_assert_not_null(r);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp")), 2);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp.0.transfers")), 5);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp.1.transfers")), 5);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.transfers.0.command")), "MLSD");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.transfers.0.transfer_type")), "A");
	char *mlsd = cxt_slurp(dir, json_object_get_string(cxt_get(r, "ftp.0.transfers.0.file")), NULL);
	cr_assert_not_null(strstr(mlsd, "type=file;"));
	cr_assert_not_null(strstr(mlsd, "notes.txt"), "the listing of the server's directory");
	free(mlsd);
	char *nlst = cxt_slurp(dir, json_object_get_string(cxt_get(r, "ftp.1.transfers.0.file")), NULL);
	cr_assert_not_null(strstr(nlst, "report.bin"));
	cr_assert_not_null(strstr(nlst, "escape.txt"), "the escaped upload landed inside the server's root");
	free(nlst);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.banner")), "callextract fixture FTP server ready.");
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.1.login")), "accepted");
	/* hostile names: flagged, and kept below ftp/ */
	int flagged = 0;
	struct json_object *f = cxt_get(r, "findings");
	for (size_t i = 0; i < json_object_array_length(f); i++)
		flagged += !strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind")), "ftp.suspicious_name");
	cr_assert_eq(flagged, 2, "../../escape.txt and the 180-character name");
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 5; k++) {
			char p[64];
			snprintf(p, sizeof(p), "ftp.%d.transfers.%d.file", s, k);
			const char *file = json_object_get_string(cxt_get(r, p));
			cr_assert(file && !strncmp(file, "ftp/", 4) && !strchr(file + 4, '/') && !strstr(file, ".."), "%s", file);
			cr_assert_lt(strlen(file), 130, "long names are cut: %s", file);
		}
	/* the write-up: one conversation per session */
	struct json_object *c = cxt_get(r, "conversations");
	cr_assert_eq(json_object_array_length(c), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.kind")), "ftp");
	cr_assert_eq(json_object_get_int64(cxt_get(c, "0.first_frame")), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(c, "0.parties.1.ports")), "21/tcp, control");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(c, "0.course.2")), "MLSD (active mode)"));
	/* FEAT, SYST and CLNT: the server's and the client's software */
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.syst")), "UNIX Type: L8");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(r, "ftp.0.features")), "EPSV MDTM MFMT MLST"));
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.clnt")), "callextract-fixture-client 1.0");
	cr_assert_not_null(strstr(json_object_get_string(cxt_get(c, "0.course.1")), "client announced \"callextract-fixture-client 1.0\""));
	json_object_put(r);
}

/* The same real session with a NUL and a path in the stored name (same
 * length, so the TCP stream still holds): a finding, a clean file name. */
Test(ftp, nul_in_file_name)
{
	size_t len;
	char *all = cxt_slurp(getenv("CX_SRCDIR"), FTP_MODES, &len);
	cr_assert_not_null(all);
	char *hit = memmem(all, len, "STOR ../../escape.txt", 21);
	cr_assert_not_null(hit);
	memcpy(hit, "STOR a\0/../../etc/pw", 21);
	char path[] = "/tmp/cxftpnul-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_eq(write(fd, all, len), (ssize_t)len);
	close(fd);
	free(all);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	const char *file = json_object_get_string(cxt_get(r, "ftp.0.transfers.3.file"));
	cr_assert_not_null(file);
	cr_assert(!strncmp(file, "ftp/", 4) && !strchr(file + 4, '/') && !strstr(file, ".."), "%s", file);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "ftp.0.transfers.3.size")), 48, "the bytes are still recovered");
	int flagged = 0;
	struct json_object *f = cxt_get(r, "findings");
	for (size_t i = 0; i < json_object_array_length(f); i++)
		flagged += !strcmp(json_object_get_string(cxt_get(json_object_array_get_idx(f, i), "kind")), "ftp.suspicious_name");
	cr_assert_eq(flagged, 2);
	json_object_put(r);
	unlink(path);
}

/* ---- the session index and the caps, on built captures ---- */

#include <pcap/pcap.h>

static void
put_tcp(pcap_dumper_t *d, uint32_t ts, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	uint32_t seq, uint8_t flags, const char *text)
{
	uint8_t pkt[600];
	size_t n = text ? strlen(text) : 0;
	uint16_t tot = (uint16_t)(40 + n);
	const uint8_t ip[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 1, 0, 0, 64, 6, 0, 0,
				 (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
				 (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst };
	const uint8_t tcp[20] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8), (uint8_t)dport,
				  (uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8), (uint8_t)seq,
				  0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0 };
	memcpy(pkt, ip, 20);
	memcpy(pkt + 20, tcp, 20);
	if (n)
		memcpy(pkt + 40, text, n);
	struct pcap_pkthdr h = { { ts, 0 }, tot, tot };
	pcap_dump((u_char *)d, &h, pkt);
}

static pcap_dumper_t *
open_capture(char *path, pcap_t **dead)
{
	close(mkstemp(path));
	*dead = pcap_open_dead(DLT_RAW, 65535);
	return pcap_dump_open(*dead, path);
}

static struct json_object *
run_built(char *path, pcap_dumper_t *d, pcap_t *dead)
{
	pcap_dump_close(d);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	cr_assert_not_null(r);
	unlink(path);
	return r;
}

Test(ftp, data_connection_goes_to_the_newest_session_expecting_it)
{
	char path[] = "/tmp/cxftp-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	const uint32_t server = 0x0a000015, c1 = 0x0a000001, c2 = 0x0a000002, c3 = 0x0a000003;
	const char *pasv = "227 Entering Passive Mode (10,0,0,21,195,80)\r\n"; /* port 50000 */
	uint32_t ts = 1000;
	/* sessions 1 and 2 both told to use 10.0.0.21:50000; session 3 too,
	 * but its control connection closes first */
	const uint32_t cl[3] = { c1, c2, c3 };
	for (int i = 0; i < 3; i++) {
		put_tcp(d, ts++, cl[i], (uint16_t)(3001 + i), server, 21, 494, 0x18, "PASV\r\n");
		put_tcp(d, ts++, server, 21, cl[i], (uint16_t)(3001 + i), 100, 0x18, pasv);
	}
	put_tcp(d, ts++, server, 21, c3, 3003, 100 + (uint32_t)strlen(pasv), 0x11, NULL);
	put_tcp(d, ts++, c3, 3003, server, 21, 500, 0x11, NULL);
	put_tcp(d, ts++, c2, 4000, server, 50000, 1, 0x02, NULL);      /* SYN: claimed by session 2 */
	put_tcp(d, ts++, c2, 3002, server, 21, 500, 0x18, "RETR a.txt\r\n");
	put_tcp(d, ts++, server, 50000, c2, 4000, 7, 0x18, "hello\n");
	put_tcp(d, ts++, c1, 4001, server, 50000, 1, 0x02, NULL);      /* then session 1 */
	put_tcp(d, ts++, c1, 3001, server, 21, 500, 0x18, "RETR b.txt\r\n");
	put_tcp(d, ts++, c1, 4002, server, 50000, 1, 0x02, NULL);      /* nobody expects it now */
	struct json_object *r = run_built(path, d, dead);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp")), 3);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp.0.transfers")), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.0.transfers.0.name")), "b.txt");
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp.1.transfers")), 1);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.1.transfers.0.name")), "a.txt");
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp.2.transfers")), 0);
	cr_assert_null(cxt_get(r, "ftp_dropped"));
	json_object_put(r);
}

Test(ftp, sessions_capped_and_counted_once)
{
	char path[] = "/tmp/cxftp-XXXXXX";
	pcap_t *dead;
	pcap_dumper_t *d = open_capture(path, &dead);
	const uint32_t server = 0x0a000015;
	const int cap = 10000, extra = 4;
	for (int i = 0; i < cap + extra; i++) {
		uint32_t client = 0x0b000000 + (uint32_t)i;
		put_tcp(d, 1000 + (uint32_t)i / 100, client, 2000, server, 21, 1, 0x18, "USER anonymous\r\n");
		put_tcp(d, 1000 + (uint32_t)i / 100, client, 2000, server, 21, 17, 0x18, "PASS guest\r\n");
	}
	struct json_object *r = run_built(path, d, dead);
	cr_assert_eq(json_object_array_length(cxt_get(r, "ftp")), (size_t)cap);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "ftp_dropped.sessions")), extra);
	cr_assert_eq(json_object_get_int64(cxt_get(r, "ftp_dropped.transfers")), 0);
	cr_assert_str_eq(json_object_get_string(cxt_get(r, "ftp.9999.user")), "anonymous");
	json_object_put(r);
}
