/* Command line parsing into struct cx_config and struct cx_run_opts. */
#ifndef CX_TOOLS_CLI_H
#define CX_TOOLS_CLI_H

#include "callextract/callextract.h"

struct cx_cli {
	struct cx_config cfg;
	struct cx_run_opts run;
	const char **inputs;      /* owned array (strings borrowed from argv) */
	const char **wordlists;
	const char **passwords;
	const char **srtp_keys;
	const char **tls_keylogs;
	int show_help, show_version;
};

/* Returns 0, or CX_EXIT_USAGE after printing a one-line reason. */
int cx_cli_parse(struct cx_cli *cli, int argc, char **argv);
void cx_cli_free(struct cx_cli *cli);
void cx_cli_usage(FILE *out);

#endif
