/* Command line. Every option here is documented in doc/callextract.1 and
 * printed by --help; tests/unit/test_cli.c checks that the three agree. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "callextract/srtp.h"

enum {
	OPT_FORCE = 256,
	OPT_NO_AUDIO,
	OPT_NO_CALL_PCAP,
	OPT_NO_HTML,
	OPT_WORDLIST,
	OPT_PASSWORD,
	OPT_THREADS,
	OPT_MAX_SILENCE,
	OPT_LINGER,
	OPT_CALL_IDLE,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_SRTP_KEY,
	OPT_TLS_KEYLOG,
	OPT_SHARD,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "interface", required_argument, NULL, 'i' },
	{ "filter", required_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-audio", no_argument, NULL, OPT_NO_AUDIO },
	{ "no-call-pcap", no_argument, NULL, OPT_NO_CALL_PCAP },
	{ "no-html", no_argument, NULL, OPT_NO_HTML },
	{ "wordlist", required_argument, NULL, OPT_WORDLIST },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-silence", required_argument, NULL, OPT_MAX_SILENCE },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "call-idle", required_argument, NULL, OPT_CALL_IDLE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "srtp-key", required_argument, NULL, OPT_SRTP_KEY },
	{ "tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void
cx_cli_usage(FILE *out)
{
	fputs("Usage: callextract [options] CAPTURE... -o DIR\n"
	      "       callextract [options] -i IFACE [-f BPF] -o DIR\n"
	      "       callextract explain CAPTURE FRAME\n"
	      "       callextract index CAPTURE...              (shards: doc/distributed.md)\n"
	      "       callextract merge SHARD_DIR... -o DIR\n"
	      "\n"
	      "Reads pcap/pcapng captures (several files are one capture, in time order;\n"
	      "'-' is stdin) and writes SIP dialogs, media streams with WAV audio, digest\n"
	      "credentials, DNS, ICMP and FTP findings into DIR (report.json, summary.txt,\n"
	      "and last SHA256SUMS, the manifest: cd DIR && sha256sum -c SHA256SUMS).\n"
	      "\n"
	      "Options:\n"
	      "  -o, --output DIR       output directory (created; must be empty)\n"
	      "      --force            write into a non-empty DIR\n"
	      "  -i, --interface IFACE  capture live from IFACE until SIGINT/SIGTERM\n"
	      "  -f, --filter BPF       capture filter for -i\n"
	      "  -q, --quiet            only errors on stderr\n"
	      "  -v, --verbose          more messages (repeat for more)\n"
	      "      --no-audio         report only: no WAV files\n"
	      "      --no-call-pcap     no per-call capture (calls/.../call.pcap)\n"
	      "      --no-html          no HTML report (index.html, calls/*/index.html, assets/)\n"
	      "      --wordlist FILE    try every line of FILE as a password for digest exchanges\n"
	      "      --password WORD    try WORD as a password (repeatable)\n"
	      "      --threads N        threads: the password audit's workers, and with 2 or more\n"
	      "                         the capture is read ahead in a thread of its own beside\n"
	      "                         the dissection (default: all cores; 1: one thread)\n"
	      "      --max-silence MS   longest silence inserted for one RTP gap (default 10000)\n"
	      "      --linger MS        a call whose dialog is over is written out and freed after\n"
	      "                         this much capture time without SIP or media (default 5000)\n"
	      "      --call-idle S      a call with no SIP and no media for S seconds of capture\n"
	      "                         time is written out whatever its state (default 3600;\n"
	      "                         0: never, calls then stay in memory until they end)\n"
	      "      --progress         show progress on stderr even when it is not a terminal\n"
	      "      --no-progress      never show progress\n"
	      "      --srtp-key 'STREAM SUITE inline:KEY'\n"
	      "                         SRTP key of the stream sent from STREAM (address:port or\n"
	      "                         SSRC), RFC 4568 suite and key parameters (repeatable)\n"
	      "      --tls-keylog FILE  TLS secrets in the NSS key log format (SSLKEYLOGFILE)\n"
	      "                         to decrypt SIP over TLS and WSS (repeatable; pcapng\n"
	      "                         Decryption Secrets Blocks are read as well)\n"
	      "      --shard FRAMES,ORIGIN,LIFE,PREV,FIRST-LAST\n"
	      "                         the inputs are files from the middle of a larger capture:\n"
	      "                         FRAMES frames came before them, ORIGIN (ns) is the time\n"
	      "                         of its first frame, LIFE and PREV (ns) its lifecycle\n"
	      "                         clock and the time of the frame before; only calls and\n"
	      "                         streams begun in frames FIRST-LAST are written, and\n"
	      "                         reading stops when they are over (callextract index\n"
	      "                         gives the numbers; doc/distributed.md)\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n"
	      "\n"
	      "Exit status: 0 ok; 1 an input was damaged or could not be read, a key log\n"
	      "included (what was read is written);\n"
	      "2 usage; 3 no input could be read; 4 the output directory could not be\n"
	      "used; 5 internal error.\n",
	      out);
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int
push(const char ***arr, size_t *n, const char *s)
{
	const char **nv = realloc(*arr, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*arr = nv;
	return 0;
}

int
cx_cli_parse(struct cx_cli *cli, int argc, char **argv)
{
	memset(cli, 0, sizeof(*cli));
	cx_config_defaults(&cli->cfg);
	cli->cfg.progress = isatty(2);
	int progress_forced = -1;
	int c;
	unsigned long v;
	size_t nin = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:i:f:qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o': cli->cfg.outdir = optarg; break;
		case OPT_FORCE: cli->cfg.force = true; break;
		case 'i': cli->run.iface = optarg; break;
		case 'f': cli->run.bpf = optarg; break;
		case 'q': cli->cfg.verbosity = -1; break;
		case 'v': cli->cfg.verbosity++; break;
		case OPT_NO_AUDIO: cli->cfg.no_audio = true; break;
		case OPT_NO_CALL_PCAP: cli->cfg.no_call_pcap = true; break;
		case OPT_NO_HTML: cli->cfg.no_html = true; break;
		case OPT_WORDLIST:
			if (push(&cli->wordlists, &cli->cfg.n_wordlists, optarg) < 0)
				return CX_EXIT_INTERNAL;
			break;
		case OPT_PASSWORD:
			if (push(&cli->passwords, &cli->cfg.n_passwords, optarg) < 0)
				return CX_EXIT_INTERNAL;
			break;
		case OPT_THREADS:
			if (parse_uint(optarg, 1024, &v) < 0) {
				fprintf(stderr, "callextract: --threads: '%s' is not a number from 0 to 1024\n", optarg);
				return CX_EXIT_USAGE;
			}
			cli->cfg.threads = (int)v;
			break;
		case OPT_MAX_SILENCE:
			if (parse_uint(optarg, 3600000, &v) < 0) {
				fprintf(stderr, "callextract: --max-silence: '%s' is not a number of milliseconds\n", optarg);
				return CX_EXIT_USAGE;
			}
			cli->cfg.max_silence_ms = (uint32_t)v;
			break;
		case OPT_LINGER:
			if (parse_uint(optarg, 86400000, &v) < 0) {
				fprintf(stderr, "callextract: --linger: '%s' is not a number of milliseconds\n", optarg);
				return CX_EXIT_USAGE;
			}
			cli->cfg.linger_ms = (uint32_t)v;
			break;
		case OPT_CALL_IDLE:
			if (parse_uint(optarg, 31536000, &v) < 0) {
				fprintf(stderr, "callextract: --call-idle: '%s' is not a number of seconds\n", optarg);
				return CX_EXIT_USAGE;
			}
			cli->cfg.call_idle_s = (uint32_t)v;
			break;
		case OPT_PROGRESS: progress_forced = 1; break;
		case OPT_NO_PROGRESS: progress_forced = 0; break;
		case OPT_SRTP_KEY: {
			struct cx_srtp_opt so;
			const char *err = "";
			if (cx_srtp_parse_option(optarg, &so, &err) < 0) {
				fprintf(stderr, "callextract: --srtp-key: %s\n", err);
				return CX_EXIT_USAGE;
			}
			if (push(&cli->srtp_keys, &cli->cfg.n_srtp_keys, optarg) < 0)
				return CX_EXIT_INTERNAL;
			break;
		}
		case OPT_TLS_KEYLOG:
			if (push(&cli->tls_keylogs, &cli->cfg.n_tls_keylogs, optarg) < 0)
				return CX_EXIT_INTERNAL;
			break;
		case OPT_SHARD: {
			struct cx_shard *sh = &cli->cfg.shard;
			unsigned long long f, a, b;
			long long o, l, p;
			int used = 0;
			if (sscanf(optarg, "%llu,%lld,%lld,%lld,%llu-%llu%n", &f, &o, &l, &p, &a, &b, &used) != 6 ||
			    optarg[used] || a == 0 || b < a || a <= f) {
				fprintf(stderr, "callextract: --shard: '%s' is not FRAMES,ORIGIN,LIFE,PREV,FIRST-LAST "
						"(FIRST after FRAMES, LAST not before FIRST)\n", optarg);
				return CX_EXIT_USAGE;
			}
			*sh = (struct cx_shard){ true, f, o, l, p, a, b };
			break;
		}
		case 'h': cli->show_help = 1; break;
		case 'V': cli->show_version = 1; break;
		case ':':
			fprintf(stderr, "callextract: option '%s' needs an argument\n", argv[optind - 1]);
			return CX_EXIT_USAGE;
		default:
			fprintf(stderr, "callextract: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (cli->show_help || cli->show_version)
		return 0;
	for (int i = optind; i < argc; i++)
		if (push(&cli->inputs, &nin, argv[i]) < 0)
			return CX_EXIT_INTERNAL;
	cli->run.inputs = cli->inputs;
	cli->run.n_inputs = nin;
	cli->cfg.wordlists = cli->wordlists;
	cli->cfg.passwords = cli->passwords;
	cli->cfg.srtp_keys = cli->srtp_keys;
	cli->cfg.tls_keylogs = cli->tls_keylogs;
	if (progress_forced >= 0)
		cli->cfg.progress = progress_forced;
	if (cli->cfg.verbosity < 0)
		cli->cfg.progress = false;
	if (!cli->cfg.outdir) {
		fprintf(stderr, "callextract: no output directory (-o DIR)\n");
		return CX_EXIT_USAGE;
	}
	if (!cli->run.iface && nin == 0) {
		fprintf(stderr, "callextract: no capture given (CAPTURE... or -i IFACE)\n");
		return CX_EXIT_USAGE;
	}
	if (cli->run.iface && nin) {
		fprintf(stderr, "callextract: -i and capture files are exclusive\n");
		return CX_EXIT_USAGE;
	}
	if (cli->run.bpf && !cli->run.iface) {
		fprintf(stderr, "callextract: -f needs -i\n");
		return CX_EXIT_USAGE;
	}
	return 0;
}

void
cx_cli_free(struct cx_cli *cli)
{
	free(cli->inputs);
	free(cli->wordlists);
	free(cli->passwords);
	free(cli->srtp_keys);
	free(cli->tls_keylogs);
}
