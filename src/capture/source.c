/* Capture input through libpcap. libpcap 1.10 stops on a pcapng whose
 * interfaces have different link types; then the file is read again with
 * our own pcapng reader, skipping the frames already delivered, so frame
 * numbers stay those of Wireshark. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include "callextract/decode.h"
#include "capture/pcapng.h"

#define IOBUF (1u << 20)
#include "capture/source.h"
#include "util/text.h"

#define MAX_LT 16

struct cx_source {
	char *path;
	bool is_stdin, live;
	pcap_t *pc;
	char *iobuf;             /* stdio buffer of a file libpcap reads */
	struct cx_pcapng *ng;  /* fallback reader, when libpcap gave up */
	bool pcapng;
	uint64_t size;
	uint64_t frames, bytes;
	int lts[MAX_LT];
	size_t nlt;
	char *error;
	/* peeked first packet */
	bool peeked, peek_valid;
	int peek_rc;
	int peek_lt;
	int64_t peek_ts;
	uint32_t peek_cap, peek_wire;
	uint8_t *peek_data;
	char peek_err[256];
	/* SHA-256 of the input, taken as libpcap or the pcapng reader read it
	 * (hashin_read): each byte once, in file order */
	int hfd;                 /* read-only descriptor of a file, -1 for stdin/live */
	EVP_MD_CTX *md;
	uint64_t hashed;         /* bytes of the file in md, from offset 0 */
	bool at_eof, hash_bad;   /* the stream saw the end; a read error */
	bool hash_done;
	char sha_hex[65];
	uint64_t size_at_end;
};

/* A FILE for libpcap / the pcapng reader over the input, read-only, that
 * feeds what it reads to the source's SHA-256: no second pass over the
 * input. The position is the cookie's own (pread), so a second stream over
 * the same descriptor (the pcapng fallback) hashes only what the first
 * did not. */
struct hashin {
	struct cx_source *s;
	int fd;                  /* borrowed from s->hfd, or 0 for stdin */
	bool seekable;
	uint64_t pos;
};

static ssize_t
hashin_read(void *cookie, char *buf, size_t size)
{
	struct hashin *h = cookie;
	ssize_t k;
	do
		k = h->seekable ? pread(h->fd, buf, size, (off_t)h->pos) : read(h->fd, buf, size);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		h->s->hash_bad = true;
		return -1;
	}
	if (k == 0)
		h->s->at_eof = true;
	struct cx_source *s = h->s;
	uint64_t end = h->pos + (uint64_t)k;
	if (k > 0 && h->pos <= s->hashed && end > s->hashed && s->md) {
		EVP_DigestUpdate(s->md, buf + (s->hashed - h->pos), (size_t)(end - s->hashed));
		s->hashed = end;
	}
	h->pos = end;
	return k;
}

static int
hashin_seek(void *cookie, off64_t *off, int whence)
{
	struct hashin *h = cookie;
	/* stdio asks for the position (ftell); libpcap never seeks a file it
	 * reads front to back. A jump leaves a gap that cx_source_report's
	 * tail read fills. */
	int64_t to = whence == SEEK_SET ? *off : whence == SEEK_CUR ? (int64_t)h->pos + *off : -1;
	if (to < 0 || (!h->seekable && (uint64_t)to != h->pos)) {
		errno = EINVAL;
		return -1;
	}
	h->pos = (uint64_t)to;
	*off = to;
	return 0;
}

static int
hashin_close(void *cookie)
{
	free(cookie);
	return 0;
}

static FILE *
hashin_open(struct cx_source *s)
{
	struct hashin *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->s = s;
	h->fd = s->is_stdin ? 0 : s->hfd;
	h->seekable = !s->is_stdin;
	cookie_io_functions_t io = { .read = hashin_read, .seek = hashin_seek, .close = hashin_close };
	FILE *f = fopencookie(h, "rb", io);
	if (!f)
		free(h);
	return f;
}

static void
note_lt(struct cx_source *s, int lt)
{
	for (size_t i = 0; i < s->nlt; i++)
		if (s->lts[i] == lt)
			return;
	if (s->nlt < MAX_LT)
		s->lts[s->nlt++] = lt;
}

int
cx_source_open_file(struct cx_source **out, const char *path, char *err, size_t n)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	struct cx_source *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, n, "%s: out of memory", path);
		return -1;
	}
	s->hfd = -1;
	s->is_stdin = !strcmp(path, "-");
	s->md = EVP_MD_CTX_new();
	if (!s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		snprintf(err, n, "%s: cannot set up SHA-256", path);
		cx_source_close(s);
		return -1;
	}
	if (s->is_stdin) {
		FILE *f = hashin_open(s);
		if (f && (s->iobuf = malloc(IOBUF)))
			setvbuf(f, s->iobuf, _IOFBF, IOBUF);
		s->pc = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf) : NULL;
		if (f && !s->pc)
			fclose(f);
	} else {
		struct stat st;
		/* read-only; O_NOATIME where we own the file, so reading it does
		 * not even change its access time */
		s->hfd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
		if (s->hfd < 0 && errno == EPERM)
			s->hfd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->hfd < 0) {
			snprintf(err, n, "%s: %s", path, strerror(errno));
			cx_source_close(s);
			return -1;
		}
		if (fstat(s->hfd, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				snprintf(err, n, "%s: is a directory", path);
				cx_source_close(s);
				return -1;
			}
			s->size = (uint64_t)st.st_size;
			if (st.st_size == 0) {
				snprintf(err, n, "%s: empty file, not a capture", path);
				cx_source_close(s);
				return -1;
			}
		}
		/* libpcap reads through stdio: a 1 MiB buffer instead of 4 KiB
		 * makes 256 times fewer read(2) calls on a big capture */
		FILE *f = hashin_open(s);
		if (!f) {
			snprintf(err, n, "%s: out of memory", path);
			cx_source_close(s);
			return -1;
		}
		if ((s->iobuf = malloc(IOBUF)))
			setvbuf(f, s->iobuf, _IOFBF, IOBUF);
		s->pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (!s->pc)
			fclose(f);
	}
	if (!s->pc) {
		snprintf(err, n, "%s: %s", path, errbuf);
		cx_source_close(s);
		return -1;
	}
	/* libpcap reports version 1.0 for pcapng (the SHB's), 2.x for pcap. */
	s->pcapng = pcap_major_version(s->pc) == 1;
	note_lt(s, pcap_datalink(s->pc));
	*out = s;
	return 0;
}

int
cx_source_open_live(struct cx_source **out, const char *iface, const char *bpf, char *err,
		    size_t n)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	struct cx_source *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(iface))) {
		free(s);
		snprintf(err, n, "%s: out of memory", iface);
		return -1;
	}
	s->live = true;
	s->hfd = -1;
	s->pc = pcap_create(iface, errbuf);
	if (!s->pc) {
		snprintf(err, n, "%s: %s", iface, errbuf);
		cx_source_close(s);
		return -1;
	}
	pcap_set_snaplen(s->pc, 262144);
	pcap_set_promisc(s->pc, 1);
	pcap_set_timeout(s->pc, 200);
	pcap_set_tstamp_precision(s->pc, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(s->pc);
	if (rc < 0) {
		snprintf(err, n, "%s: %s", iface, pcap_geterr(s->pc));
		cx_source_close(s);
		return -1;
	}
	if (bpf) {
		struct bpf_program prog;
		if (pcap_compile(s->pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(s->pc, &prog) < 0) {
			snprintf(err, n, "%s: filter '%s': %s", iface, bpf, pcap_geterr(s->pc));
			cx_source_close(s);
			return -1;
		}
		pcap_freecode(&prog);
	}
	/* Non-blocking, with our own poll(): a signal then always gets the
	 * reader back to check the stop flag (libpcap may wait forever). */
	if (pcap_setnonblock(s->pc, 1, errbuf) < 0 || pcap_get_selectable_fd(s->pc) < 0) {
		snprintf(err, n, "%s: cannot poll this interface: %s", iface, errbuf);
		cx_source_close(s);
		return -1;
	}
	note_lt(s, pcap_datalink(s->pc));
	*out = s;
	return 0;
}

/* Switch to our pcapng reader and skip what libpcap already delivered. */
static int
fallback(struct cx_source *s, char *err, size_t n)
{
	if (s->is_stdin || s->live)
		return -1;
	FILE *f = hashin_open(s);
	if (!f)
		return -1;
	pcap_close(s->pc);
	s->pc = NULL;
	if (cx_pcapng_open(&s->ng, f, err, n) < 0)
		return -1;
	for (uint64_t i = 0; i < s->frames; i++) {
		int lt;
		int64_t ts;
		const uint8_t *d;
		uint32_t c, w;
		if (cx_pcapng_next(s->ng, &lt, &ts, &d, &c, &w, err, n) != 1)
			return -1;
	}
	return 0;
}

static int
raw_next(struct cx_source *s, int *lt, int64_t *ts, const uint8_t **data, uint32_t *caplen,
	 uint32_t *wirelen, bool *timeout, char *err, size_t n)
{
	*timeout = false;
	if (s->ng) {
		char nerr[256] = "";
		int rc = cx_pcapng_next(s->ng, lt, ts, data, caplen, wirelen, nerr, sizeof(nerr));
		if (rc == 1)
			note_lt(s, *lt);
		else if (rc < 0)
			snprintf(err, n, "%s: frame %llu: %s", s->path, (unsigned long long)s->frames + 1, nerr);
		return rc;
	}
	if (!s->pc)
		return 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(s->pc, &h, &d);
	if (rc == 1) {
		*lt = pcap_datalink(s->pc);
		*ts = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec;
		*data = d;
		*caplen = h->caplen;
		*wirelen = h->len;
		return 1;
	}
	if (rc == 0) {
		if (s->live) {
			struct pollfd pfd = { pcap_get_selectable_fd(s->pc), POLLIN, 0 };
			poll(&pfd, 1, 200);
		}
		*timeout = true;
		return 0;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	const char *msg = pcap_geterr(s->pc);
	if (s->pcapng && strstr(msg, "different from the type")) {
		char ferr[256] = "";
		if (fallback(s, ferr, sizeof(ferr)) == 0)
			return raw_next(s, lt, ts, data, caplen, wirelen, timeout, err, n);
		snprintf(err, n, "%s: frame %llu: %s (own pcapng reader: %s)", s->path,
			 (unsigned long long)s->frames + 1, msg, ferr);
		return -1;
	}
	snprintf(err, n, "%s: frame %llu: %s", s->path, (unsigned long long)s->frames + 1, msg);
	return -1;
}

static void
peek(struct cx_source *s)
{
	if (s->peeked)
		return;
	s->peeked = true;
	const uint8_t *d;
	bool to;
	s->peek_rc = raw_next(s, &s->peek_lt, &s->peek_ts, &d, &s->peek_cap, &s->peek_wire, &to,
			      s->peek_err, sizeof(s->peek_err));
	if (s->peek_rc == 1) {
		s->peek_data = malloc(s->peek_cap ? s->peek_cap : 1);
		if (s->peek_data)
			memcpy(s->peek_data, d, s->peek_cap);
		else
			s->peek_rc = 0;
	}
	s->peek_valid = true;
}

int64_t
cx_source_first_ts(struct cx_source *s)
{
	if (s->live)
		return 0;
	peek(s);
	return s->peek_rc == 1 ? s->peek_ts : INT64_MAX;
}

int
cx_source_next(struct cx_source *s, int *lt, int64_t *ts, const uint8_t **data, uint32_t *caplen,
	       uint32_t *wirelen, bool *timeout, char *err, size_t n)
{
	int rc;
	*timeout = false;
	if (s->peek_valid) {
		s->peek_valid = false;
		rc = s->peek_rc;
		if (rc == 1) {
			*lt = s->peek_lt;
			*ts = s->peek_ts;
			*data = s->peek_data;
			*caplen = s->peek_cap;
			*wirelen = s->peek_wire;
		} else if (rc < 0) {
			snprintf(err, n, "%s", s->peek_err);
		}
	} else {
		rc = raw_next(s, lt, ts, data, caplen, wirelen, timeout, err, n);
	}
	if (rc == 1) {
		s->frames++;
		s->bytes += *caplen;
	}
	return rc;
}

const char *
cx_source_path(const struct cx_source *s)
{
	return s->path;
}

uint64_t
cx_source_pos(const struct cx_source *s)
{
	if (s->pc && !s->live && !s->is_stdin) {
		long p = ftell(pcap_file(s->pc));
		return p > 0 ? (uint64_t)p : 0;
	}
	return s->bytes;
}

uint64_t
cx_source_size(const struct cx_source *s)
{
	return s->size;
}

void
cx_source_set_error(struct cx_source *s, const char *msg)
{
	free(s->error);
	s->error = strdup(msg);
}

/* The digest, once: what the reading left unread (a damaged file, an
 * interrupted run) is read now, so the hash is of the whole file. */
static void
finish_hash(struct cx_source *s)
{
	if (s->hash_done || !s->md)
		return;
	s->hash_done = true;
	if (s->hfd >= 0) {
		char *buf = malloc(IOBUF);
		for (;;) {
			ssize_t k = buf ? pread(s->hfd, buf, IOBUF, (off_t)s->hashed) : -1;
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				if (k < 0)
					s->hash_bad = true;
				break;
			}
			EVP_DigestUpdate(s->md, buf, (size_t)k);
			s->hashed += (uint64_t)k;
		}
		free(buf);
		struct stat st;
		s->size_at_end = fstat(s->hfd, &st) == 0 ? (uint64_t)st.st_size : 0;
	} else if (!s->at_eof) {
		s->hash_bad = true; /* stdin not read to its end: no digest of it */
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	if (EVP_DigestFinal_ex(s->md, d, &dl) != 1 || dl != 32)
		s->hash_bad = true;
	if (!s->hash_bad)
		cx_hex(d, 32, s->sha_hex);
}

struct json_object *
cx_source_report(struct cx_source *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(s->path));
	if (!s->live) {
		finish_hash(s);
		/* size and digest of the bytes read, which for a file is all of
		 * it: the evidence an analyst checks the input against */
		json_object_object_add(o, "size", json_object_new_int64((int64_t)s->hashed));
		json_object_object_add(o, "sha256", s->hash_bad ? NULL : json_object_new_string(s->sha_hex));
		if (s->hfd >= 0 && s->size_at_end != s->size)
			json_object_object_add(o, "changed_while_read", json_object_new_boolean(1));
	} else {
		json_object_object_add(o, "size", NULL);
		json_object_object_add(o, "sha256", NULL);
	}
	json_object_object_add(o, "format", json_object_new_string(
		s->live ? "live" : s->pcapng ? "pcapng" : "pcap"));
	if (s->ng)
		json_object_object_add(o, "reader", json_object_new_string("own pcapng reader (mixed link types)"));
	struct json_object *lts = json_object_new_array();
	for (size_t i = 0; i < s->nlt; i++)
		json_object_array_add(lts, json_object_new_string(cx_linktype_name(s->lts[i])));
	json_object_object_add(o, "link_types", lts);
	json_object_object_add(o, "frames", json_object_new_int64((int64_t)s->frames));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)s->bytes));
	json_object_object_add(o, "error", s->error ? json_object_new_string(s->error) : NULL);
	return o;
}

void
cx_source_close(struct cx_source *s)
{
	if (!s)
		return;
	if (s->pc)
		pcap_close(s->pc);
	cx_pcapng_close(s->ng);
	free(s->peek_data);
	free(s->iobuf); /* after pcap_close(), which closed its FILE */
	if (s->hfd >= 0)
		close(s->hfd);
	EVP_MD_CTX_free(s->md);
	free(s->error);
	free(s->path);
	free(s);
}

void
cx_source_format(const struct cx_source *s, int *linktype, bool *pcapng, uint32_t *snaplen)
{
	*linktype = s->nlt ? s->lts[0] : -1;
	*pcapng = s->pcapng || s->ng;
	*snaplen = s->pc ? (uint32_t)pcap_snapshot(s->pc) : 0;
}
