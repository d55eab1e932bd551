/* Read-ahead: a thread of its own reads a capture file's frames (libpcap
 * or the pcapng reader, their fread and record parsing) into batches while
 * the caller dissects the previous ones. The frames come out in the same
 * order with the same bytes, so the output cannot differ from a run
 * without it. Files only: a live capture is read where it is dissected. */
#ifndef CX_CAPTURE_READAHEAD_H
#define CX_CAPTURE_READAHEAD_H

#include <stddef.h>
#include <stdint.h>

struct cx_source;
struct cx_readahead;

/* Starts reading src (borrowed: it must outlive the read-ahead, and
 * nobody else may read it meanwhile). Owned: cx_readahead_stop(). NULL
 * when the thread or its buffers could not be had (read src directly). */
struct cx_readahead *cx_readahead_start(struct cx_source *src);
/* The next frame, as cx_source_next gives it: 1 frame (data valid until
 * the next call), 0 end, -1 error with the message in err. */
int cx_readahead_next(struct cx_readahead *ra, int *linktype, int64_t *ts_ns, const uint8_t **data,
		      uint32_t *caplen, uint32_t *wirelen, char *err, size_t n);
/* Bytes of the file consumed by the frames handed out so far. */
uint64_t cx_readahead_pos(const struct cx_readahead *ra);
/* Stops the thread (if it still runs) and frees everything. */
void cx_readahead_stop(struct cx_readahead *ra);

#endif
