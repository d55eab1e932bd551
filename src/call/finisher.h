/* The call finisher: a thread of its own that writes out finished calls
 * (their report entries serialised and spilled, call.json, flow.txt,
 * flow.svg, the summary conversation and calls-table row) while the main
 * thread dissects the next packets. A job owns what it is handed; the
 * main thread does not touch it again. Outputs go by slot to the spill
 * files, so the order jobs run in changes nothing in what is written. */
#ifndef CX_CALL_FINISHER_H
#define CX_CALL_FINISHER_H

#include <stdbool.h>

struct cx_finisher;

/* threaded false: every job runs at once in the caller. Owned:
 * cx_finisher_free(), which runs what is queued first. */
struct cx_finisher *cx_finisher_new(bool threaded);
void cx_finisher_free(struct cx_finisher *f);
/* Queues run(arg) (waits while 64 jobs are queued); a NULL finisher runs
 * it at once. */
void cx_finisher_submit(struct cx_finisher *f, void (*run)(void *arg), void *arg);
/* Waits until every job queued so far has run. */
void cx_finisher_sync(struct cx_finisher *f);

#endif
