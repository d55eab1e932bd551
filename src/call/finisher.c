/* The call finisher (see finisher.h): a bounded FIFO of jobs and one
 * thread that runs them. */
#include <pthread.h>
#include <stdlib.h>
#include "call/finisher.h"

#define QJOBS 64

struct job {
	void (*run)(void *);
	void *arg;
};

struct cx_finisher {
	bool threaded, stop, busy;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, room, idle;
	struct job q[QJOBS];
	size_t head, n;
};

static void *
worker(void *a)
{
	struct cx_finisher *f = a;
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->n && !f->stop)
			pthread_cond_wait(&f->work, &f->mu);
		if (!f->n)
			break;
		struct job j = f->q[f->head];
		f->head = (f->head + 1) % QJOBS;
		f->n--;
		f->busy = true;
		pthread_cond_signal(&f->room);
		pthread_mutex_unlock(&f->mu);
		j.run(j.arg);
		pthread_mutex_lock(&f->mu);
		f->busy = false;
		if (!f->n)
			pthread_cond_broadcast(&f->idle);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct cx_finisher *
cx_finisher_new(bool threaded)
{
	struct cx_finisher *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->room, NULL);
	pthread_cond_init(&f->idle, NULL);
	f->threaded = threaded && pthread_create(&f->th, NULL, worker, f) == 0;
	return f;
}

void
cx_finisher_submit(struct cx_finisher *f, void (*run)(void *), void *arg)
{
	if (!f || !f->threaded) {
		run(arg);
		return;
	}
	pthread_mutex_lock(&f->mu);
	while (f->n == QJOBS)
		pthread_cond_wait(&f->room, &f->mu);
	f->q[(f->head + f->n) % QJOBS] = (struct job){ run, arg };
	f->n++;
	pthread_cond_signal(&f->work);
	pthread_mutex_unlock(&f->mu);
}

void
cx_finisher_sync(struct cx_finisher *f)
{
	if (!f || !f->threaded)
		return;
	pthread_mutex_lock(&f->mu);
	while (f->n || f->busy)
		pthread_cond_wait(&f->idle, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

void
cx_finisher_free(struct cx_finisher *f)
{
	if (!f)
		return;
	if (f->threaded) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_signal(&f->work);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->th, NULL); /* runs what is queued, then ends */
	}
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->work);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->idle);
	free(f);
}
