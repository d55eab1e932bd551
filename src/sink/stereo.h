/* A call's stereo WAV (caller left, callee right), written while the
 * capture is read. Each decoded stream of the call is a feed that appends
 * its samples on one timeline; frames go to the file once every live feed
 * has passed them, so the buffer holds only the few seconds by which the
 * two directions' decoders differ (capped: a feed that lags more than the
 * cap loses those samples from the mix, counted, never from its own WAV). */
#ifndef CX_SINK_STEREO_H
#define CX_SINK_STEREO_H

#include <stddef.h>
#include <stdint.h>

struct cx_writers;
struct cx_stereo;

#define CX_STEREO_MAX_FEEDS 64

/* relpath: the file below the output directory; origin_ns: the capture
 * time of the timeline's first frame; max_gap_frames: the most silence a
 * feed placed by capture time may open up past the end (--max-silence):
 * a place further away is pulled in and counted as realigned. Owned:
 * cx_stereo_free(). */
struct cx_stereo *cx_stereo_new(struct cx_writers *w, const char *relpath, int64_t origin_ns,
				uint64_t max_gap_frames);
/* Writes out what is buffered and releases everything. */
void cx_stereo_free(struct cx_stereo *x);

/* A new feed on channel ch (0 left, 1 right) whose first sample was
 * captured at start_ns. It is live at once: the output waits for its
 * samples. Returns its number, or -1 when the call has too many feeds
 * (that stream is then left out of the mix). */
int cx_stereo_feed(struct cx_stereo *x, int ch, int64_t start_ns);

/* Appends n samples of the feed (pcm NULL: silence) after its previous
 * ones. The feed becomes live again if it was idle. */
void cx_stereo_put(struct cx_stereo *x, int feed, const int16_t *pcm, size_t n);

/* The feed's next sample belongs at capture time now_ns: if its own
 * count of samples is more than a second away from that (a timestamp
 * jump that was not filled, a reset), it moves there. */
void cx_stereo_realign(struct cx_stereo *x, int feed, int64_t now_ns);

/* The feed stopped for now: it no longer holds the output back. When no
 * feed is live, the file is brought up to date and its descriptor and
 * buffer are given back. */
void cx_stereo_idle(struct cx_stereo *x, int feed);

const char *cx_stereo_path(const struct cx_stereo *x);
uint64_t cx_stereo_frames(const struct cx_stereo *x);     /* handed to the writer so far */
uint64_t cx_stereo_dropped(const struct cx_stereo *x);    /* samples left out */
uint64_t cx_stereo_realigned(const struct cx_stereo *x);  /* feeds moved */
/* Where the feed's next sample goes on the timeline (for the report). */
int64_t cx_stereo_feed_pos(const struct cx_stereo *x, int feed);
const char *cx_stereo_error(const struct cx_stereo *x);

#endif
