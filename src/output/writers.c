/* Writers that give their descriptor back when others need it: an LRU of
 * the open ones, the least recently written closed first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sndfile.h>
#include "callextract/outdir.h"
#include "output/writers.h"

struct cx_writer {
	char *path;
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

struct cx_writers {
	struct cx_outdir *out;
	size_t max_open, nopen;
	struct cx_writer *head, *tail;
};

struct cx_writers *
cx_writers_new(struct cx_outdir *out, size_t max_open)
{
	struct cx_writers *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->out = out;
	w->max_open = max_open ? max_open : 1;
	return w;
}

void
cx_writers_free(struct cx_writers *w)
{
	if (!w)
		return;
	while (w->head)
		cx_writer_close(w, w->head);
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

void
cx_writer_close(struct cx_writers *w, struct cx_writer *f)
{
	if (!f)
		return;
	if (f->sf)
		sf_close(f->sf);
	if (f->raw)
		fclose(f->raw);
	f->sf = NULL;
	f->raw = NULL;
	unlink_open(w, f);
}

void
cx_writer_free(struct cx_writers *w, struct cx_writer *f)
{
	if (!f)
		return;
	cx_writer_close(w, f);
	free(f->path);
	free(f);
}

static int
reopen(struct cx_writers *w, struct cx_writer *f)
{
	while (w->nopen >= w->max_open && w->head)
		cx_writer_close(w, w->head);
	if (f->kind == CX_WRITER_RAW) {
		f->raw = cx_outdir_fopen(w->out, f->path, f->created ? "a" : "w");
		if (!f->raw) {
			snprintf(f->error, sizeof(f->error), "cannot write %s: %s", f->path, strerror(errno));
			return -1;
		}
	} else {
		int fd = f->created ? cx_outdir_reopenfd(w->out, f->path) : cx_outdir_openfd(w->out, f->path);
		if (fd < 0) {
			snprintf(f->error, sizeof(f->error), "cannot write the WAV file: %s", strerror(errno));
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

int
cx_writer_write(struct cx_writers *w, struct cx_writer *f, const void *data, size_t n)
{
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
