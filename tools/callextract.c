/* callextract: VoIP call forensics from packet captures. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "callextract/callextract.h"
#include "cli.h"
#include "explain.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
cmd_explain(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "callextract: usage: callextract explain CAPTURE FRAME\n");
		return CX_EXIT_USAGE;
	}
	char *end;
	errno = 0;
	unsigned long long frame = strtoull(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || frame == 0) {
		fprintf(stderr, "callextract: explain: '%s' is not a frame number (frames count from 1)\n", argv[3]);
		return CX_EXIT_USAGE;
	}
	return cx_explain(argv[2], (uint64_t)frame, stdout);
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "explain"))
		return cmd_explain(argc, argv);

	struct cx_cli cli;
	int rc = cx_cli_parse(&cli, argc, argv);
	if (rc) {
		cx_cli_free(&cli);
		return rc;
	}
	if (cli.show_help) {
		cx_cli_usage(stdout);
		cx_cli_free(&cli);
		return CX_EXIT_OK;
	}
	if (cli.show_version) {
		printf("callextract %s\n", CX_VERSION);
		cx_cli_free(&cli);
		return CX_EXIT_OK;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cli.run.stop = &stop_flag;

	/* One WAV writer per concurrent stream: take the descriptors we may. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cx_global_init();
	rc = cx_run(&cli.cfg, &cli.run);
	cx_cli_free(&cli);
	return rc;
}
