/* PCM sinks: where a stream's decoded samples go. Samples are buffered a
 * second at a time per stream and written to the stream's mono WAV and to
 * the call's stereo mix (sink/stereo.h: caller left, callee right); payloads
 * that are not decoded go, length-prefixed, to the stream's .raw file. Every
 * file goes through the media writers (output/writers.h).
 *
 * Owns, per stream (struct cx_sink inside struct cx_stream): the writers
 * `wav` and `raw` (cx_writer_new on the first second of audio or first raw
 * payload; closed by cx_sink_close, freed by cx_sink_free) and the PCM
 * buffer `pcm` (CX_SINK_BUF samples, malloc'd while the stream is active,
 * freed by cx_sink_idle and cx_sink_free). `mix` is borrowed: the call's
 * stereo file belongs to the call's media record (struct cx_mcall). */
#ifndef CX_SINK_SINK_H
#define CX_SINK_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_media;
struct cx_stream;
struct cx_writer;
struct cx_stereo;

#define CX_SINK_BUF 8000 /* samples buffered before a write (1 s) */

struct cx_sink {
	char path[256];          /* the WAV, relative; "" if none */
	char raw_path[256];      /* payloads not decoded, relative; "" if none */
	struct cx_writer *wav, *raw; /* owned */
	struct cx_stereo *mix;   /* the call's stereo file, once joined; borrowed */
	int feed;
	bool mix_tried;
	int64_t mix_first;       /* timeline frame of its first mixed sample */
	int16_t *pcm;            /* CX_SINK_BUF samples while the stream is active; owned */
	size_t npcm;
	uint64_t samples;        /* written (incl. buffered) */
	uint64_t queued;         /* samples handed to the WAV writer */
	int64_t audio_start_ns;  /* capture time of the first written sample */
};

/* Appends n samples (pcm NULL: silence). */
void cx_sink_put(struct cx_media *m, struct cx_stream *s, const int16_t *pcm, size_t n);
/* Room for n samples straight in the buffer, or NULL (then cx_sink_put);
 * cx_sink_commit(n) takes them once written there. */
int16_t *cx_sink_room(struct cx_stream *s, size_t n);
void cx_sink_commit(struct cx_media *m, struct cx_stream *s, size_t n);
/* Writes out what is buffered (WAV and mix). */
void cx_sink_flush(struct cx_media *m, struct cx_stream *s);
/* The stream's count of samples no longer follows the clock (a jump not
 * filled, a reset): its place in the mix is taken from capture time. */
void cx_sink_realign(struct cx_media *m, struct cx_stream *s, int64_t ts_ns);
/* The stream went quiet: buffer written, mix no longer waits for it, the
 * PCM buffer given back. */
void cx_sink_idle(struct cx_media *m, struct cx_stream *s);
/* A decoded stream of a call with a known sender joins the call's mix. */
void cx_sink_mix_join(struct cx_media *m, struct cx_stream *s);
/* One payload that is not decoded, to the .raw file. */
void cx_sink_raw(struct cx_media *m, struct cx_stream *s, const uint8_t *data, uint32_t len);
/* Flushes and closes the stream's files (they reopen if more comes). */
void cx_sink_close(struct cx_media *m, struct cx_stream *s);
void cx_sink_free(struct cx_media *m, struct cx_stream *s);

#endif
