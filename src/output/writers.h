/* Output files written a piece at a time over a long capture (the WAV of
 * every stream, each call's stereo mix, raw payloads). Thousands can be
 * live at once, more than the process may keep open: a writer holds a
 * descriptor only while it is among the most recently used ones and is
 * reopened, appending, when it writes again. */
#ifndef CX_OUTPUT_WRITERS_H
#define CX_OUTPUT_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_outdir;
struct cx_writers;
struct cx_writer;

enum cx_writer_kind {
	CX_WRITER_WAV,  /* 16-bit PCM, 8 kHz, through libsndfile */
	CX_WRITER_RAW,  /* bytes as given */
};

/* At most max_open files open at once (at least 1). threaded: the writing
 * is done by a thread of its own, fed through a bounded queue (16 MiB in
 * flight at most; writers then return before the bytes are in the file,
 * and report failures later). Owned: cx_writers_free(), which writes out
 * what is queued and closes every writer still open. */
struct cx_writers *cx_writers_new(struct cx_outdir *out, size_t max_open, bool threaded);
void cx_writers_free(struct cx_writers *w);
/* Waits until everything queued is written: call it before reading
 * cx_writer_written() or cx_writer_error() in threaded mode. */
void cx_writers_sync(struct cx_writers *w);

/* A writer for relpath below the output directory; nothing is created
 * before the first write. channels is for WAV (1 or 2). Owned by the
 * caller: cx_writer_free(). */
struct cx_writer *cx_writer_new(struct cx_writers *w, const char *relpath, enum cx_writer_kind kind,
				int channels);
void cx_writer_free(struct cx_writers *w, struct cx_writer *f);
/* The file is written under its own path and renamed to relpath when the
 * writer is freed after a write without error (threaded mode: after the
 * writes queued before), so a reader never sees it half written. 0 or -1
 * (out of memory). */
int cx_writer_set_final(struct cx_writer *f, const char *relpath);

/* Appends n frames (WAV: n * channels int16 samples) or n bytes (RAW).
 * 0, or -1 with the reason in cx_writer_error() (threaded mode: always 0;
 * a failure shows in cx_writer_error() after cx_writers_sync()). The data
 * is the caller's again when this returns. */
int cx_writer_write(struct cx_writers *w, struct cx_writer *f, const void *data, size_t n);

/* Gives the descriptor back; a later write reopens and appends. In
 * threaded mode, after the writes queued before it. */
void cx_writer_close(struct cx_writers *w, struct cx_writer *f);

const char *cx_writer_path(const struct cx_writer *f);
/* Frames (WAV) or bytes (RAW) written so far. */
uint64_t cx_writer_written(const struct cx_writer *f);
/* Why the last write failed, or "" if none did. */
const char *cx_writer_error(const struct cx_writer *f);

#endif
