/* The output directory. Every file callextract writes goes through here, so
 * nothing can land outside -o DIR whatever a packet contains: paths are
 * relative, built only from sanitised components, opened with openat() and
 * O_NOFOLLOW below the directory's own descriptor. */
#ifndef CX_OUTDIR_H
#define CX_OUTDIR_H

#include <stddef.h>
#include <stdio.h>

struct cx_outdir;

/* Opens (creating if needed) DIR. Refuses a non-empty DIR unless force.
 * Owned: cx_outdir_close(). Returns 0 or a negative errno; *why gets a
 * static message. */
int cx_outdir_open(struct cx_outdir **out, const char *path, int force, const char **why);
void cx_outdir_close(struct cx_outdir *d);
const char *cx_outdir_path(const struct cx_outdir *d);

/* Make a file-system-safe name from untrusted bytes (a Call-ID, an FTP file
 * name): keeps [A-Za-z0-9._-+@=], maps the rest to '_', never yields "", "."
 * or "..", strips leading dots, caps at outsz-1 (and 100) bytes. Returns out. */
char *cx_sanitize_name(const void *in, size_t len, char *out, size_t outsz);

/* mkdir -p of a relative path whose components are already sanitised
 * ("calls/0001-abc"). Rejects "..", absolute paths, empty components. */
int cx_outdir_mkdir(struct cx_outdir *d, const char *relpath);

/* fopen() a relative path below DIR (parents are created). mode "w"/"wb".
 * Returns NULL on error (errno set). The FILE is owned by the caller. */
FILE *cx_outdir_fopen(struct cx_outdir *d, const char *relpath, const char *mode);

/* open(2) flavour for libraries that want a descriptor (libsndfile's
 * sf_open_fd). Returns fd or -1. */
int cx_outdir_openfd(struct cx_outdir *d, const char *relpath);

/* Reopen an existing file for reading and writing, without truncating it
 * (writers that were closed to spare descriptors). Returns fd or -1. */
int cx_outdir_reopenfd(struct cx_outdir *d, const char *relpath);

/* Removes a file below DIR (spill files at the end). 0 or -1. */
int cx_outdir_remove(struct cx_outdir *d, const char *relpath);
/* Renames a file below DIR, replacing to: a reader sees the old file or
 * the whole new one (report.json is written as a temporary first). */
int cx_outdir_rename(struct cx_outdir *d, const char *from, const char *to);
/* Writes DIR/name (SHA256SUMS), the sha256sum(1) manifest of every regular
 * file below DIR but itself, in byte order of their relative paths, so
 * that `cd DIR && sha256sum -c name` verifies them. Call it last, when
 * every writer has closed its files: the files are read back and hashed
 * (one read of what was just written, mostly from the page cache). 0 or -1. */
int cx_outdir_manifest(struct cx_outdir *d, const char *name);
/* Absolute-ish path (DIR/relpath) for messages; buf of size n. */
const char *cx_outdir_join(const struct cx_outdir *d, const char *relpath, char *buf, size_t n);

#endif
