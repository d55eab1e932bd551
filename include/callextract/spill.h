/* Spill files: what a finished call contributes to report.json and
 * summary.txt, kept on disk until the end of the run instead of in
 * memory. A spill is two files below the output directory, spill/NAME
 * (the records, appended in the order calls finish) and spill/NAME.idx
 * (a fixed 16-byte entry per slot: offset and length of its record).
 * Slots are dense numbers the writer already has (a dialog's index, a
 * stream's creation number), so the report is assembled in slot order by
 * reading both files front to back, and memory holds neither the records
 * nor their index. Also here: a JSON writer that streams report.json one
 * element at a time in exactly the layout json-c's pretty printer gives a
 * whole section. */
#ifndef CX_SPILL_H
#define CX_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cx_outdir;
struct cx_spill;
struct json_object;

/* Creates (truncates) spill/NAME and spill/NAME.idx. Owned:
 * cx_spill_free(), which closes and removes both files. NULL on error. */
struct cx_spill *cx_spill_new(struct cx_outdir *out, const char *name);
void cx_spill_free(struct cx_spill *s);

/* Stores a record for slot (copied). A slot written twice keeps the last
 * record. 0, or -1 (the error is kept for cx_spill_error). */
int cx_spill_put(struct cx_spill *s, uint64_t slot, const void *data, size_t len);
/* One more than the highest slot written. */
uint64_t cx_spill_slots(const struct cx_spill *s);
uint64_t cx_spill_records(const struct cx_spill *s);
/* The record of slot, in a buffer owned by the spill and valid until the
 * next call; NULL for an empty slot. *len gets its length (the buffer is
 * also NUL-terminated). */
const char *cx_spill_get(struct cx_spill *s, uint64_t slot, size_t *len);
/* "" or why a write or read failed (disk full...). */
const char *cx_spill_error(const struct cx_spill *s);

/* A record is built with these: fields appended in order, read back in the
 * same order. Strings may be NULL (kept as NULL). */
struct cx_rec {
	char *b;
	size_t n, cap;
	bool oom;
	size_t rd;              /* read position */
};
void cx_rec_u64(struct cx_rec *r, uint64_t v);
void cx_rec_str(struct cx_rec *r, const char *s);
void cx_rec_bytes(struct cx_rec *r, const void *p, size_t n);
void cx_rec_free(struct cx_rec *r);
/* Reading: r->b points at borrowed bytes (r->n long). Strings come back
 * pointing into the record (NUL-terminated, NULL if stored as NULL);
 * past the end: 0 / NULL. */
void cx_rec_open(struct cx_rec *r, const char *data, size_t len);
uint64_t cx_rec_get_u64(struct cx_rec *r);
const char *cx_rec_get_str(struct cx_rec *r);
const void *cx_rec_get_bytes(struct cx_rec *r, size_t n);

/* ---- report.json, streamed ---- */

/* A writer positioned inside the top-level object of report.json.
 * Members and elements are written as they come; each one is the pretty
 * json-c text of the value, indented for its depth. */
struct cx_jsonw {
	FILE *f;
	int depth;              /* 1: members of the top-level object */
	bool first[16];         /* no member/element written yet at this depth */
	/* Optional: called with every value written (the HTML pages are
	 * made from the same bytes as report.json). path names where it
	 * goes: "capture" for a top-level member, "dialogs" for an element of
	 * the dialogs array, "auth.exchanges", "auth.hashcat_file"; text is the
	 * value's pretty json-c text at depth 0 (borrowed for the call). */
	void (*tap)(void *arg, const char *path, const char *text, size_t len);
	void *tap_arg;
	char key[16][32];       /* member names leading to each depth */
};
void cx_jsonw_init(struct cx_jsonw *w, FILE *f);
/* "key": value (value consumed; NULL writes null). */
void cx_jsonw_member(struct cx_jsonw *w, const char *key, struct json_object *value);
/* Member whose value is an array or object written element by element. */
void cx_jsonw_begin(struct cx_jsonw *w, const char *key, bool array);
/* One element of the array being written (value consumed). */
void cx_jsonw_element(struct cx_jsonw *w, struct json_object *value);
/* The same, from JSON text already in pretty json-c form at depth 0. */
void cx_jsonw_element_text(struct cx_jsonw *w, const char *text, size_t len);
void cx_jsonw_end(struct cx_jsonw *w, bool array);
/* The pretty text json-c gives v at depth 0 (as every spilled element is
 * stored). Borrowed from v. */
const char *cx_json_pretty(struct json_object *v);

/* JSON text as json-c wrote it, made valid UTF-8 with text from packets
 * kept recoverable: a byte outside a well-formed UTF-8 sequence becomes
 * \\xHH in the text (the value reads \xHH), an escaped backslash \\\\
 * (the value reads \\), U+2028/2029 \u2028/\u2029. Every JSON file goes
 * through this once (report.json in cx_jsonw, call.json in dialog.c).
 * Returns a new NUL-terminated text (owned: free()) with its length in
 * *outlen, or NULL when text needs no change (or no memory). */
char *cx_json_utf8(const char *text, size_t len, size_t *outlen);

#endif
