/* summary.txt: an analyst's write-up, one section per conversation in time
 * order, and the same conversations as report.json "conversations".
 * Dissectors describe each finished conversation (parties by address; the
 * names, MACs, vendors and software are filled in from the host table when
 * the write-up is made); a few sections are plain text (tables). */
#ifndef CX_SUMMARY_H
#define CX_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "callextract/packet.h"

struct cx_summary;
struct cx_names;
struct json_object;

#define CX_CONV_MAX_PARTIES 8

/* One conversation as a dissector describes it. Every string is copied by
 * cx_summary_conv(); NULL or "" leaves a field out. */
struct cx_conv {
	const char *kind;          /* "sip-call", "sip", "dns", "icmp", "ftp" */
	const char *title;
	uint64_t first_frame, last_frame;
	int64_t start_ns, end_ns;
	const char *application, *transport, *network;
	struct {
		const char *role;  /* "caller", "client", "server", "router", ... */
		struct cx_addr addr;
		const char *ports; /* "5060/udp", "40086/udp (RTP)" */
	} party[CX_CONV_MAX_PARTIES];
	size_t nparty;
	const char *course;        /* lines: what happened, in order */
	const char *protection;    /* encrypted or not; readable, forgeable */
	const char *data;          /* what its data part carried */
};

struct cx_summary *cx_summary_new(void);
void cx_summary_free(struct cx_summary *s);
/* A plain text section (copied). Sections sort by (ts_ns, first_frame). */
void cx_summary_add(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *text);
/* Adds a party to c unless the same role and address is there already. */
void cx_conv_party(struct cx_conv *c, const char *role, const struct cx_addr *a, const char *ports);
/* A conversation (copied). */
void cx_summary_conv(struct cx_summary *s, const struct cx_conv *c);
/* Finished calls: their conversation and their row of the calls table go
 * to spill files below out (see callextract/spill.h) instead of memory.
 * Without it, cx_summary_conv_spill keeps the conversation in memory. */
struct cx_outdir;
struct cx_jsonw;
void cx_summary_set_out(struct cx_summary *s, struct cx_outdir *out);
/* A conversation written out now (copied to disk). slot: a dense number
 * in time order (the dialog index); spilled conversations sort after
 * in-memory ones of the same time and frame. 0 or -1. */
int cx_summary_conv_spill(struct cx_summary *s, uint64_t slot, const struct cx_conv *c);
/* One row (text with its newline) of the calls table, by slot. */
int cx_summary_table_row(struct cx_summary *s, uint64_t slot, const char *row);
/* The calls table's heading and where it sorts; written only if a row
 * was given. */
void cx_summary_table(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *heading);
/* rel0_ns: the capture's first timestamp, for relative times. */
void cx_summary_write(struct cx_summary *s, struct cx_names *names, int64_t rel0_ns, FILE *out);
/* Writes the member "conversations" (in-memory and spilled, time order). */
void cx_summary_report_stream(struct cx_summary *s, struct cx_names *names, int64_t rel0_ns, struct cx_jsonw *w);
/* New JSON array of the conversations, in time order. */
struct json_object *cx_summary_report(const struct cx_summary *s, struct cx_names *names, int64_t rel0_ns);

#endif
