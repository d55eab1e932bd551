/* Playout: a stream's RTP packets in timestamp order through a bounded
 * reorder window, gaps turned into silence (capped), late packets and
 * timestamp resets counted, each payload decoded by its codec and the
 * samples handed to the stream's sink (sink/sink.h).
 *
 * Owns, per stream (struct cx_playout inside struct cx_stream): the window
 * slots `win` and their payload copies `wdata` (malloc'd on the first packet
 * that has to wait, freed by cx_playout_flush and cx_playout_free), the
 * decoder of the current codec segment `dec` (codec/codec.h; replaced at a
 * codec switch), the resampler `swr` of a segment whose rate is not the
 * WAV's (libswresample; flushed at every gap, switch and flush) and its
 * scratch buffer `rs`: all freed by cx_playout_free. Packets played at once
 * are borrowed for the call only.
 *
 * Rates: RTP timestamps count the codec's RTP clock (G.722: 8000 for 16 kHz
 * audio); the WAV's samples count the stream's output rate (sink's rate:
 * that of the first codec decoded); a segment of another rate is
 * resampled to it. Gaps are silence at the output rate. */
#ifndef CX_PLAYOUT_PLAYOUT_H
#define CX_PLAYOUT_PLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_media;
struct cx_stream;
struct cx_unit;
struct cx_dec;
struct cx_codec;
struct SwrContext;

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
	/* the current codec segment */
	struct cx_dec *dec;      /* owned; NULL for G.711 on its fast path */
	const struct cx_codec *codec;
	uint8_t pt;
	bool failed;             /* its decoder could not be made */
	uint32_t clock;          /* its RTP clock (0: no segment yet) */
	uint32_t seg_rate;       /* its decoder's rate */
	uint64_t frac;           /* remainder of RTP units -> output samples */
	struct SwrContext *swr;  /* seg_rate -> the WAV's rate; owned */
	int16_t *rs;             /* resampler output; owned */
	size_t rs_cap;           /* samples */
	int16_t *mono;           /* channel conversion scratch; owned */
	size_t mono_cap;
	/* for the report */
	uint64_t late, jumps, silence_samples, silence_limited;
	uint64_t decode_errors;  /* frames the decoder refused or malformed */
	uint64_t segments_resampled;
	char codecs[64];         /* the codecs decoded, in order ("G722,PCMU") */
};

/* One audio or comfort-noise packet of s (u->data borrowed for the call;
 * what has to wait is copied). */
void cx_playout_push(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u);
/* Before the first audio packet is held: the codec's decoder made, the
 * WAV's rate and channels known (the call's mix takes its rate from them). */
void cx_playout_format(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u);
/* Plays out everything held, frees the window and lets the sink go idle
 * (its buffered samples written, its PCM buffer freed). */
void cx_playout_flush(struct cx_media *m, struct cx_stream *s);
/* Frees the window without playing it (the stream is being freed). */
void cx_playout_free(struct cx_playout *pl);

#endif
