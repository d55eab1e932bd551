/* Streaming stereo mix. The buffer holds frames [base, base + cap) of the
 * timeline; [base, top) may hold samples, everything after top is zero.
 * Frames before base are in the file. */
#include <stdlib.h>
#include <string.h>
#include "sink/stereo.h"
#include "output/writers.h"

#define INIT_CAP 16000u   /* 2 s: each side comes a second at a time; grows when they differ more */
#define MAX_CAP 256000u   /* 32 s (1 MB): beyond that a lagging feed loses samples */
#define NS_PER_FRAME 125000LL

struct feed {
	int ch;
	int live;
	int64_t pos;             /* timeline frame of the feed's next sample */
};

struct cx_stereo {
	struct cx_writers *w;
	struct cx_writer *out;
	int64_t origin;
	int16_t *buf;            /* cap frames, 2 samples each */
	uint64_t queued;         /* frames handed to the writer */
	size_t cap;
	uint64_t base, top;
	uint64_t ctop[2];        /* per channel: zero from here on */
	struct feed feed[CX_STEREO_MAX_FEEDS];
	int nfeeds;
	uint64_t dropped, realigned;
	uint64_t max_gap;        /* frames of silence a feed may open up at once */
	int failed;
};

struct cx_stereo *
cx_stereo_new(struct cx_writers *w, const char *relpath, int64_t origin_ns, uint64_t max_gap_frames)
{
	struct cx_stereo *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->w = w;
	x->origin = origin_ns;
	x->max_gap = max_gap_frames;
	x->out = cx_writer_new(w, relpath, CX_WRITER_WAV, 2);
	if (!x->out) {
		free(x);
		return NULL;
	}
	return x;
}

/* Hands frames [base, upto) to the file; frames past top are silence. */
static void
write_out(struct cx_stereo *x, uint64_t upto)
{
	while (x->buf && x->base < upto) {
		size_t k = upto - x->base < x->cap ? (size_t)(upto - x->base) : x->cap;
		if (x->top < x->base + k)
			x->top = x->base + k;
		if (!x->failed && cx_writer_write(x->w, x->out, x->buf, k) < 0)
			x->failed = 1; /* reported once through cx_stereo_error() */
		else if (!x->failed)
			x->queued += k;
		size_t rest = (size_t)(x->top - (x->base + k));
		memmove(x->buf, x->buf + 2 * k, rest * 2 * sizeof(int16_t));
		memset(x->buf + 2 * rest, 0, k * 2 * sizeof(int16_t));
		x->base += k;
	}
}

/* Everything every live feed has passed goes out. */
static void
advance(struct cx_stereo *x)
{
	uint64_t lo = UINT64_MAX;
	for (int i = 0; i < x->nfeeds; i++)
		if (x->feed[i].live)
			lo = x->feed[i].pos < 0 ? 0 : (uint64_t)x->feed[i].pos < lo ? (uint64_t)x->feed[i].pos : lo;
	write_out(x, lo < x->top ? lo : x->top);
}

void
cx_stereo_free(struct cx_stereo *x)
{
	if (!x)
		return;
	write_out(x, x->top);
	cx_writer_free(x->w, x->out);
	free(x->buf);
	free(x);
}

/* A place on the timeline taken from capture times, kept within reach:
 * capture timestamps are the capture's to set, and a jump of years must
 * not become years of silence (nor a stream placed where nothing of it
 * can land). */
static int64_t
within_reach(struct cx_stereo *x, int64_t pos)
{
	int64_t hi = (int64_t)(x->top + x->max_gap), lo = (int64_t)x->base - (int64_t)x->max_gap;
	if (pos > hi || pos < lo) {
		x->realigned++;
		return pos > hi ? hi : (int64_t)x->base;
	}
	return pos;
}

int
cx_stereo_feed(struct cx_stereo *x, int ch, int64_t start_ns)
{
	if (x->nfeeds == CX_STEREO_MAX_FEEDS)
		return -1;
	struct feed *f = &x->feed[x->nfeeds];
	f->ch = ch ? 1 : 0;
	f->live = 1; /* its samples are on the way */
	f->pos = within_reach(x, (start_ns - x->origin) / NS_PER_FRAME);
	return x->nfeeds++;
}

/* Room for frames up to end: the buffer grows to its cap, then the
 * oldest frames go out whether or not every feed has passed them. */
static int
room(struct cx_stereo *x, uint64_t end)
{
	if (!x->buf) {
		x->cap = INIT_CAP;
		if (!(x->buf = calloc(x->cap * 2, sizeof(int16_t))))
			return -1;
	}
	if (end - x->base <= x->cap)
		return 0;
	if (x->cap < MAX_CAP) {
		size_t nc = x->cap;
		while (nc < MAX_CAP && nc < end - x->base)
			nc *= 2;
		if (nc > MAX_CAP)
			nc = MAX_CAP;
		int16_t *nb = realloc(x->buf, nc * 2 * sizeof(int16_t));
		if (!nb)
			return -1;
		memset(nb + 2 * x->cap, 0, (nc - x->cap) * 2 * sizeof(int16_t));
		x->buf = nb;
		x->cap = nc;
	}
	if (end - x->base > x->cap)
		write_out(x, end - x->cap);
	return 0;
}

void
cx_stereo_put(struct cx_stereo *x, int feed, const int16_t *pcm, size_t n)
{
	if (feed < 0 || feed >= x->nfeeds)
		return;
	struct feed *f = &x->feed[feed];
	f->live = 1;
	int64_t pos = f->pos;
	f->pos += (int64_t)n;
	if (pos < (int64_t)x->base) {
		/* behind what is already in the file */
		uint64_t d = (uint64_t)((int64_t)x->base - pos);
		if (d > n)
			d = n;
		x->dropped += d;
		pos += (int64_t)d;
		if (pcm)
			pcm += d;
		n -= (size_t)d;
	}
	if (n && room(x, (uint64_t)pos + n) == 0) {
		if (pos < (int64_t)x->base) { /* the cap moved base past pos */
			uint64_t d = (uint64_t)((int64_t)x->base - pos);
			x->dropped += d;
			pos += (int64_t)d;
			if (pcm)
				pcm += d;
			n -= (size_t)d;
		}
		int16_t *o = x->buf + 2 * (size_t)((uint64_t)pos - x->base) + f->ch;
		uint64_t *ct = &x->ctop[f->ch];
		/* where this side already has samples, two streams add up */
		size_t ov = *ct > (uint64_t)pos ? (size_t)(*ct - (uint64_t)pos) : 0;
		if (ov > n)
			ov = n;
		for (size_t i = 0; pcm && i < n; i++, o += 2) {
			if (i < ov) {
				int32_t v = (int32_t)*o + pcm[i];
				*o = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
			} else {
				*o = pcm[i];
			}
		}
		if ((uint64_t)pos + n > *ct)
			*ct = (uint64_t)pos + n;
		if ((uint64_t)pos + n > x->top)
			x->top = (uint64_t)pos + n;
	}
	advance(x);
}

void
cx_stereo_realign(struct cx_stereo *x, int feed, int64_t now_ns)
{
	if (feed < 0 || feed >= x->nfeeds)
		return;
	int64_t wall = (now_ns - x->origin) / NS_PER_FRAME;
	struct feed *f = &x->feed[feed];
	if (wall - f->pos > 8000 || f->pos - wall > 8000) {
		uint64_t before = x->realigned;
		f->pos = within_reach(x, wall);
		x->realigned = before + 1;
	}
}

void
cx_stereo_idle(struct cx_stereo *x, int feed)
{
	if (feed < 0 || feed >= x->nfeeds)
		return;
	x->feed[feed].live = 0;
	advance(x);
	for (int i = 0; i < x->nfeeds; i++)
		if (x->feed[i].live)
			return;
	/* nobody is talking: the file is complete so far */
	write_out(x, x->top);
	cx_writer_close(x->w, x->out);
	free(x->buf);
	x->buf = NULL;
	x->cap = 0;
}

const char *
cx_stereo_path(const struct cx_stereo *x)
{
	return cx_writer_path(x->out);
}

uint64_t
cx_stereo_frames(const struct cx_stereo *x)
{
	return x->queued; /* the writing thread's own count may lag */
}

uint64_t
cx_stereo_dropped(const struct cx_stereo *x)
{
	return x->dropped;
}

uint64_t
cx_stereo_realigned(const struct cx_stereo *x)
{
	return x->realigned;
}

int64_t
cx_stereo_feed_pos(const struct cx_stereo *x, int feed)
{
	return feed >= 0 && feed < x->nfeeds ? x->feed[feed].pos : -1;
}

const char *
cx_stereo_error(const struct cx_stereo *x)
{
	return cx_writer_error(x->out);
}
