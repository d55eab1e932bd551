/* One capture input: a file (pcap or pcapng, via libpcap, with our own
 * pcapng reader as fallback), stdin, or a live interface. */
#ifndef CX_CAPTURE_SOURCE_H
#define CX_CAPTURE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cx_source;
struct json_object;

/* path "-" = stdin. Returns 0, or -1 with a one-line reason in err.
 * Owned: cx_source_close(). */
int cx_source_open_file(struct cx_source **out, const char *path, char *err, size_t n);
int cx_source_open_live(struct cx_source **out, const char *iface, const char *bpf, char *err,
			size_t n);

/* 1 = a packet (data borrowed until the next call), 0 = end (or, live, a
 * read timeout: check *timeout), -1 = the input is damaged: err names the
 * frame; what came before stays valid. */
int cx_source_next(struct cx_source *s, int *linktype, int64_t *ts_ns, const uint8_t **data,
		   uint32_t *caplen, uint32_t *wirelen, bool *timeout, char *err, size_t n);

/* Timestamp of the first packet (peeked; INT64_MAX for an empty input). */
int64_t cx_source_first_ts(struct cx_source *s);
const char *cx_source_path(const struct cx_source *s);
/* Bytes consumed so far and total size (0 if unknown), for progress. */
uint64_t cx_source_pos(const struct cx_source *s);
uint64_t cx_source_size(const struct cx_source *s);
/* {path, size, sha256, format, link_types, frames, bytes, error} (owned by
 * caller). The first call finishes the digest: what was not read yet is
 * read then (sha256 null for stdin not read to its end and for live). */
struct json_object *cx_source_report(struct cx_source *s);
/* What a copy of its frames needs: the link type at open, whether it is a
 * pcapng (whose interfaces may differ in link type), the snaplen (0 if
 * unknown). */
void cx_source_format(const struct cx_source *s, int *linktype, bool *pcapng, uint32_t *snaplen);
void cx_source_set_error(struct cx_source *s, const char *msg);
void cx_source_close(struct cx_source *s);

#endif
