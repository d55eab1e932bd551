/* Read-ahead thread (see readahead.h). A ring of NBATCH batches: the
 * reader fills the next free one with frames (headers and bytes copied
 * into the batch), the caller empties them in order. One mutex and two
 * condition variables; the copies cost less than the reading they move
 * off the dissecting thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/readahead.h"
#include "capture/source.h"

#define NBATCH 4
#define BATCH_BYTES (1u << 20)
#define BATCH_FRAMES 8192

struct rframe {
	int lt;
	int64_t ts;
	uint32_t cap, wire;
	size_t off;             /* into the batch's bytes */
};

struct batch {
	struct rframe f[BATCH_FRAMES];
	uint8_t *bytes;
	size_t nbytes, cap;     /* cap grows for a frame larger than BATCH_BYTES */
	size_t nf;
	uint64_t pos;           /* source position after its last frame */
	int end;                /* 0 more to come, 1 end, -1 error after the frames */
	char err[256];
};

struct cx_readahead {
	struct cx_source *src;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	struct batch b[NBATCH];
	size_t head, count;     /* batches full and waiting, from head */
	bool stop;
	/* the caller's side */
	struct batch *cur;
	size_t next;
	uint64_t pos;
	bool done;
};

/* Room for one more frame: a batch ends past BATCH_BYTES, so it only
 * grows for the frame that crosses that line (or one larger than a batch). */
static bool
room(struct batch *b, uint32_t cap)
{
	if (b->nbytes + cap <= b->cap)
		return true;
	size_t nc = b->nbytes + cap;
	uint8_t *nb = realloc(b->bytes, nc);
	if (!nb)
		return false;
	b->bytes = nb;
	b->cap = nc;
	return true;
}

static void *
reader(void *arg)
{
	struct cx_readahead *ra = arg;
	size_t slot = 0;
	int end = 0;
	while (!end) {
		pthread_mutex_lock(&ra->mu);
		while (ra->count == NBATCH && !ra->stop)
			pthread_cond_wait(&ra->emptied, &ra->mu);
		bool stop = ra->stop;
		pthread_mutex_unlock(&ra->mu);
		if (stop)
			break;
		struct batch *b = &ra->b[slot];
		b->nf = b->nbytes = 0;
		b->end = 0;
		b->err[0] = '\0';
		while (b->nf < BATCH_FRAMES) {
			int lt;
			int64_t ts;
			const uint8_t *d;
			uint32_t cap, wire;
			bool timeout;
			int rc = cx_source_next(ra->src, &lt, &ts, &d, &cap, &wire, &timeout, b->err, sizeof(b->err));
			if (rc != 1) {
				end = b->end = rc < 0 ? -1 : 1;
				break;
			}
			if (!room(b, cap)) {
				/* no memory for it: end here, as a damaged input would */
				snprintf(b->err, sizeof(b->err), "%s: out of memory reading ahead", cx_source_path(ra->src));
				end = b->end = -1;
				break;
			}
			memcpy(b->bytes + b->nbytes, d, cap);
			b->f[b->nf++] = (struct rframe){ lt, ts, cap, wire, b->nbytes };
			b->nbytes += cap;
			if (b->nbytes >= BATCH_BYTES)
				break;
		}
		b->pos = cx_source_pos(ra->src);
		pthread_mutex_lock(&ra->mu);
		ra->count++;
		pthread_cond_signal(&ra->filled);
		pthread_mutex_unlock(&ra->mu);
		slot = (slot + 1) % NBATCH;
	}
	return NULL;
}

struct cx_readahead *
cx_readahead_start(struct cx_source *src)
{
	struct cx_readahead *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->src = src;
	for (size_t i = 0; i < NBATCH; i++) {
		ra->b[i].bytes = malloc(BATCH_BYTES);
		ra->b[i].cap = BATCH_BYTES;
		if (!ra->b[i].bytes)
			goto fail;
	}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->filled, NULL);
	pthread_cond_init(&ra->emptied, NULL);
	if (pthread_create(&ra->th, NULL, reader, ra) != 0) {
		pthread_mutex_destroy(&ra->mu);
		pthread_cond_destroy(&ra->filled);
		pthread_cond_destroy(&ra->emptied);
		goto fail;
	}
	return ra;
fail:
	for (size_t i = 0; i < NBATCH; i++)
		free(ra->b[i].bytes);
	free(ra);
	return NULL;
}

int
cx_readahead_next(struct cx_readahead *ra, int *lt, int64_t *ts, const uint8_t **data, uint32_t *caplen,
		  uint32_t *wirelen, char *err, size_t n)
{
	for (;;) {
		if (ra->cur && ra->next < ra->cur->nf) {
			const struct rframe *f = &ra->cur->f[ra->next++];
			*lt = f->lt;
			*ts = f->ts;
			*data = ra->cur->bytes + f->off;
			*caplen = f->cap;
			*wirelen = f->wire;
			return 1;
		}
		if (ra->cur) {
			/* this batch is used up: say how it ended, or hand it back */
			struct batch *b = ra->cur;
			ra->pos = b->pos;
			if (b->end) {
				ra->done = true;
				if (b->end < 0)
					snprintf(err, n, "%s", b->err);
				int rc = b->end < 0 ? -1 : 0;
				b->end = 0;
				b->nf = 0;
				ra->cur = NULL;
				return rc;
			}
			pthread_mutex_lock(&ra->mu);
			ra->head = (ra->head + 1) % NBATCH;
			ra->count--;
			pthread_cond_signal(&ra->emptied);
			pthread_mutex_unlock(&ra->mu);
			ra->cur = NULL;
		}
		if (ra->done)
			return 0;
		pthread_mutex_lock(&ra->mu);
		while (ra->count == 0)
			pthread_cond_wait(&ra->filled, &ra->mu);
		ra->cur = &ra->b[ra->head];
		pthread_mutex_unlock(&ra->mu);
		ra->next = 0;
	}
}

uint64_t
cx_readahead_pos(const struct cx_readahead *ra)
{
	return ra->pos;
}

void
cx_readahead_stop(struct cx_readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	pthread_cond_signal(&ra->emptied);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->filled);
	pthread_cond_destroy(&ra->emptied);
	for (size_t i = 0; i < NBATCH; i++)
		free(ra->b[i].bytes);
	free(ra);
}
