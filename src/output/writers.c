/* Writers that give their descriptor back when others need it: an LRU of
 * the open ones, the least recently written closed first. In threaded mode
 * a second thread does the writing: the caller's data is copied into a
 * bounded queue and the kernel's copying into the page cache (half of the
 * full job's time) runs beside the dissection. Only that thread touches
 * the LRU, the files and libsndfile; the queue keeps each writer's
 * operations in order. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "callextract/outdir.h"
#include "output/writers.h"

struct cx_writer {
	char *path;
	char *final;             /* renamed to this once closed for good, or NULL */
	enum cx_writer_kind kind;
	int channels;
	SNDFILE *sf;
	FILE *raw;
	int created;             /* the file exists: reopen, do not truncate */
	uint64_t written;
	char error[128];
	struct cx_writer *prev, *next; /* open ones, least recent first */
	int open;
};

enum op { OP_WRITE, OP_CLOSE, OP_FREE };

struct job {
	struct cx_writer *f;
	enum op op;
	void *data;              /* owned by the job */
	size_t n;                /* frames or bytes */
	size_t bytes;
	size_t mem;              /* memory it holds: a whole pool buffer, or bytes */
};

#define QUEUE_JOBS 4096
#define QUEUE_BYTES (16u << 20) /* memory in flight at most: the caller waits beyond */
/* Copies go into buffers that are handed back and forth instead of being
 * freed: memory malloc gives back to the system costs a page fault per
 * page when it is taken again. */
#define POOL_BUF (16u << 10)  /* a second of 8 kHz PCM: one stream's flush */
#define POOL_MAX (QUEUE_BYTES / POOL_BUF + 64)

struct cx_writers {
	struct cx_outdir *out;
	size_t max_open, nopen;
	struct cx_writer *head, *tail;
	/* threaded mode */
	bool threaded, stop, busy;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, room, idle;
	struct job q[QUEUE_JOBS];
	size_t qhead, qn, qbytes;
	void *pool[POOL_MAX];
	size_t npool;
};

static void run_job(struct cx_writers *w, struct job *j);

static void *
worker(void *arg)
{
	struct cx_writers *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->qn && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (!w->qn)
			break;
		struct job j = w->q[w->qhead];
		w->qhead = (w->qhead + 1) % QUEUE_JOBS;
		w->qn--;
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		run_job(w, &j);
		pthread_mutex_lock(&w->mu);
		if (j.data && j.bytes <= POOL_BUF && w->npool < POOL_MAX)
			w->pool[w->npool++] = j.data; /* back to the caller's side */
		else
			free(j.data);
		w->busy = false;
		w->qbytes -= j.mem;
		pthread_cond_signal(&w->room);
		if (!w->qn)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hands a job to the writing thread, waiting while the queue is full. */
static void
enqueue(struct cx_writers *w, struct job j)
{
	pthread_mutex_lock(&w->mu);
	if (j.data)
		j.mem = j.bytes <= POOL_BUF ? POOL_BUF : j.bytes;
	while (w->qn == QUEUE_JOBS || (w->qn && w->qbytes + j.mem > QUEUE_BYTES))
		pthread_cond_wait(&w->room, &w->mu);
	w->q[(w->qhead + w->qn) % QUEUE_JOBS] = j;
	w->qn++;
	w->qbytes += j.mem;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

void
cx_writers_sync(struct cx_writers *w)
{
	if (!w || !w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->qn || w->busy)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

struct cx_writers *
cx_writers_new(struct cx_outdir *out, size_t max_open, bool threaded)
{
	struct cx_writers *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->out = out;
	w->max_open = max_open ? max_open : 1;
	if (threaded) {
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->work, NULL);
		pthread_cond_init(&w->room, NULL);
		pthread_cond_init(&w->idle, NULL);
		/* without a thread, everything is written in the caller's */
		w->threaded = pthread_create(&w->th, NULL, worker, w) == 0;
	}
	return w;
}

static void close_now(struct cx_writers *w, struct cx_writer *f);

void
cx_writers_free(struct cx_writers *w)
{
	if (!w)
		return;
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL); /* it empties the queue first */
		w->threaded = false;
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->idle);
	}
	while (w->head)
		close_now(w, w->head);
	for (size_t i = 0; i < w->npool; i++)
		free(w->pool[i]);
	free(w);
}

struct cx_writer *
cx_writer_new(struct cx_writers *w, const char *relpath, enum cx_writer_kind kind, int channels)
{
	(void)w;
	struct cx_writer *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(relpath))) {
		free(f);
		return NULL;
	}
	f->kind = kind;
	f->channels = channels == 2 ? 2 : 1;
	return f;
}

static void
unlink_open(struct cx_writers *w, struct cx_writer *f)
{
	if (!f->open)
		return;
	if (f->prev)
		f->prev->next = f->next;
	else
		w->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		w->tail = f->prev;
	f->prev = f->next = NULL;
	f->open = 0;
	w->nopen--;
}

static void
touch(struct cx_writers *w, struct cx_writer *f)
{
	if (f->open && w->tail == f)
		return;
	if (f->open)
		unlink_open(w, f);
	f->prev = w->tail;
	if (w->tail)
		w->tail->next = f;
	else
		w->head = f;
	w->tail = f;
	f->open = 1;
	w->nopen++;
}

static void
close_now(struct cx_writers *w, struct cx_writer *f)
{
	if (f->sf)
		sf_close(f->sf);
	if (f->raw)
		fclose(f->raw);
	f->sf = NULL;
	f->raw = NULL;
	unlink_open(w, f);
}

static void
free_now(struct cx_writers *w, struct cx_writer *f)
{
	close_now(w, f);
	if (f->final && f->created && !f->error[0] && cx_outdir_rename(w->out, f->path, f->final) < 0)
		snprintf(f->error, sizeof(f->error), "cannot rename to %s: %s", f->final, strerror(errno));
	free(f->final);
	free(f->path);
	free(f);
}

int
cx_writer_set_final(struct cx_writer *f, const char *relpath)
{
	free(f->final);
	return (f->final = strdup(relpath)) ? 0 : -1;
}

void
cx_writer_close(struct cx_writers *w, struct cx_writer *f)
{
	if (!f)
		return;
	if (w->threaded)
		enqueue(w, (struct job){ .f = f, .op = OP_CLOSE });
	else
		close_now(w, f);
}

void
cx_writer_free(struct cx_writers *w, struct cx_writer *f)
{
	if (!f)
		return;
	if (w->threaded)
		enqueue(w, (struct job){ .f = f, .op = OP_FREE });
	else
		free_now(w, f);
}

static int open_files(struct cx_writers *w, struct cx_writer *f);

static int
reopen(struct cx_writers *w, struct cx_writer *f)
{
	while (w->nopen >= w->max_open && w->head)
		close_now(w, w->head);
	if (open_files(w, f) == 0)
		return 0;
	if (errno != EMFILE && errno != ENFILE)
		return -1;
	/* the process ran out of descriptors (others than ours are open):
	 * give back half of ours, keep within that from now on, try again */
	size_t keep = w->nopen / 2;
	while (w->nopen > keep && w->head)
		close_now(w, w->head);
	w->max_open = keep > 1 ? keep : 1;
	f->error[0] = '\0';
	return open_files(w, f);
}

static int
open_files(struct cx_writers *w, struct cx_writer *f)
{
	if (f->kind == CX_WRITER_RAW) {
		f->raw = cx_outdir_fopen(w->out, f->path, f->created ? "a" : "w");
		if (!f->raw) {
			int e = errno;
			snprintf(f->error, sizeof(f->error), "cannot write %s: %s", f->path, strerror(e));
			errno = e;
			return -1;
		}
	} else {
		int fd = f->created ? cx_outdir_reopenfd(w->out, f->path) : cx_outdir_openfd(w->out, f->path);
		if (fd < 0) {
			int e = errno;
			snprintf(f->error, sizeof(f->error), "cannot write the WAV file: %s", strerror(e));
			errno = e;
			return -1;
		}
		SF_INFO info = { .samplerate = 8000, .channels = f->channels,
				 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
		if (f->created)
			memset(&info, 0, sizeof(info));
		/* libsndfile rewrites the header's sizes on close; a reopened
		 * file is read-write, positioned at its end */
		f->sf = sf_open_fd(fd, f->created ? SFM_RDWR : SFM_WRITE, &info, 1);
		if (!f->sf) {
			close(fd);
			snprintf(f->error, sizeof(f->error), "libsndfile: %s", sf_strerror(NULL));
			return -1;
		}
		if (f->created)
			sf_seek(f->sf, 0, SEEK_END);
	}
	f->created = 1;
	return 0;
}

static int
write_now(struct cx_writers *w, struct cx_writer *f, const void *data, size_t n)
{
	if (f->error[0] && !f->sf && !f->raw)
		return -1; /* failed before: not retried for every chunk */
	if (!f->sf && !f->raw && reopen(w, f) < 0)
		return -1;
	touch(w, f);
	if (f->kind == CX_WRITER_RAW) {
		if (fwrite(data, 1, n, f->raw) != n) {
			snprintf(f->error, sizeof(f->error), "write failed: %s", strerror(errno));
			return -1;
		}
	} else if (sf_writef_short(f->sf, data, (sf_count_t)n) != (sf_count_t)n) {
		snprintf(f->error, sizeof(f->error), "write failed: %s", sf_strerror(f->sf));
		return -1;
	}
	f->written += n;
	return 0;
}

static void
run_job(struct cx_writers *w, struct job *j)
{
	switch (j->op) {
	case OP_WRITE: write_now(w, j->f, j->data, j->n); break;
	case OP_CLOSE: close_now(w, j->f); break;
	case OP_FREE: free_now(w, j->f); break;
	}
}

int
cx_writer_write(struct cx_writers *w, struct cx_writer *f, const void *data, size_t n)
{
	if (!w->threaded)
		return write_now(w, f, data, n);
	size_t bytes = f->kind == CX_WRITER_WAV ? n * (size_t)f->channels * sizeof(int16_t) : n;
	void *copy = NULL;
	if (bytes <= POOL_BUF) {
		pthread_mutex_lock(&w->mu);
		if (w->npool)
			copy = w->pool[--w->npool];
		pthread_mutex_unlock(&w->mu);
		if (!copy)
			copy = malloc(POOL_BUF);
	} else {
		copy = malloc(bytes);
	}
	if (!copy) {
		cx_writers_sync(w); /* no memory for a copy: write it from here */
		return write_now(w, f, data, n);
	}
	memcpy(copy, data, bytes);
	enqueue(w, (struct job){ .f = f, .op = OP_WRITE, .data = copy, .n = n, .bytes = bytes });
	return 0;
}

const char *
cx_writer_path(const struct cx_writer *f)
{
	return f->path;
}

uint64_t
cx_writer_written(const struct cx_writer *f)
{
	return f->written;
}

const char *
cx_writer_error(const struct cx_writer *f)
{
	return f->error;
}
