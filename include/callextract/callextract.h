/* callextract library entry point: the whole job in one call, as the CLI
 * and the tests run it. */
#ifndef CALLEXTRACT_H
#define CALLEXTRACT_H

#include <signal.h>
#include <stddef.h>
#include "callextract/ctx.h"

/* Exit codes (documented in doc/callextract.1). */
enum cx_exit {
	CX_EXIT_OK = 0,        /* every input read to its end */
	CX_EXIT_PARTIAL = 1,   /* an input was damaged, or a file run was interrupted
				  (SIGINT/SIGTERM); what was read is analysed and written */
	CX_EXIT_USAGE = 2,     /* bad command line */
	CX_EXIT_INPUT = 3,     /* no input could be read at all */
	CX_EXIT_OUTPUT = 4,    /* the output directory could not be used or written */
	CX_EXIT_INTERNAL = 5,
};

struct cx_run_opts {
	const char *const *inputs; /* capture files ("-" = stdin), read as one capture in time order */
	size_t n_inputs;
	const char *iface;         /* live capture instead of files (-i) */
	const char *bpf;           /* capture filter (-f) */
	volatile sig_atomic_t *stop; /* set by a signal handler to end a live capture; may be NULL */
};

/* Runs cfg against the inputs and writes cfg->outdir. Messages go to stderr.
 * Returns an enum cx_exit value. */
int cx_run(const struct cx_config *cfg, const struct cx_run_opts *opts);

#endif
