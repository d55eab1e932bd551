/* Playout: a stream's RTP packets in timestamp order through a bounded
 * reorder window, gaps turned into silence (capped), late packets and
 * timestamp resets counted, each payload decoded by its codec and the
 * samples handed to the stream's sink (sink/sink.h).
 *
 * Owns, per stream (struct cx_playout inside struct cx_stream): the window
 * slots `win` and their payload copies `wdata` (malloc'd on the first packet
 * that has to wait, freed by cx_playout_flush and cx_playout_free). Packets
 * played at once are borrowed for the call only. */
#ifndef CX_PLAYOUT_PLAYOUT_H
#define CX_PLAYOUT_PLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_media;
struct cx_stream;
struct cx_unit;

#define CX_PLAYOUT_WINDOW 50 /* packets held for reordering (1 s of 20 ms audio) */

/* A packet held in the reorder window; its payload is in wdata. */
struct cx_wpkt {
	uint64_t ext_ts;
	int64_t ts_ns;
	uint64_t frame;
	uint8_t pt;
	uint16_t len;
};

struct cx_playout {
	bool ts_started;
	uint64_t next_ts;        /* extended RTP timestamp of the next sample */
	struct cx_wpkt *win;     /* CX_PLAYOUT_WINDOW slots; owned */
	uint8_t *wdata;          /* CX_PLAYOUT_WINDOW * slot_sz payload bytes; owned */
	size_t slot_sz;
	uint8_t order[CX_PLAYOUT_WINDOW]; /* slot numbers sorted by timestamp */
	size_t nwin;
	/* for the report */
	uint64_t late, jumps, silence_samples, silence_limited;
};

/* One audio or comfort-noise packet of s (u->data borrowed for the call;
 * what has to wait is copied). */
void cx_playout_push(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u);
/* Plays out everything held, frees the window and lets the sink go idle
 * (its buffered samples written, its PCM buffer freed). */
void cx_playout_flush(struct cx_media *m, struct cx_stream *s);
/* Frees the window without playing it (the stream is being freed). */
void cx_playout_free(struct cx_playout *pl);

#endif
