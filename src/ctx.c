/* The run context: creation and tear-down of every module, logging, time
 * formatting, process-wide library set-up. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <bctoolbox/logging.h>
#include <json-c/json.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include "callextract/around.h"
#include "callextract/auth.h"
#include "call/finisher.h"
#include "callextract/ctx.h"
#include "callextract/outdir.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/names.h"
#include "callextract/sip.h"
#include "callextract/summary.h"
#include "callextract/tcp.h"
#include "callextract/wrap.h"
#include "output/callpcap.h"
#include "packet/defrag.h"

/* osip prints parse errors to stdout by default; stdout is not ours to
 * clutter, and a malformed message is already counted and reported. */
static void
osip_sink(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap)
{
	(void)fi; (void)li; (void)level; (void)chfr; (void)ap;
}

void
cx_global_init(void)
{
	parser_init();
	osip_trace_initialize_func(END_TRACE_LEVEL, osip_sink);
	bctbx_set_log_level(NULL, BCTBX_LOG_FATAL);
	/* Seconds and statistics with microsecond precision, not 17 digits of
	 * binary noise; set once, before any report is built. */
	json_c_set_serialization_double_format("%.6f", JSON_C_OPTION_GLOBAL);
}

void
cx_config_defaults(struct cx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_silence_ms = 10000;
	cfg->max_tcp_buffer = 1u << 20;
	cfg->max_frag_bytes = 16u << 20;
	cfg->flow_timeout_s = 300;
	cfg->linger_ms = 5000;
	cfg->call_idle_s = 3600;
}

int
cx_ctx_new(struct cx_ctx **out, const struct cx_config *cfg, struct cx_outdir *dir)
{
	struct cx_ctx *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return -1;
	c->cfg = cfg;
	c->out = dir;
	c->findings = cx_findings_new();
	c->stats = cx_stats_new();
	c->names = cx_names_new(NULL);
	c->summary = cx_summary_new();
	if (c->summary)
		cx_summary_set_out(c->summary, dir);
	c->defrag = cx_defrag_new(cfg->max_frag_bytes, 30LL * 1000000000LL, c->stats);
	/* finished calls are written out beside the dissection when there is
	 * a second core (--threads 1: in line) */
	c->fin = cx_finisher_new(cfg->threads != 1 && (cfg->threads >= 2 || sysconf(_SC_NPROCESSORS_ONLN) > 1));
	/* Consumers before producers: sip calls into media and auth. */
	c->auth = cx_auth_new(c);
	c->media = cx_media_new(c);
	/* through the media writers: a call's capture is closed in the queue
	 * before its call.json is written */
	if (c->media && !cfg->no_call_pcap && !(c->cpcap = cx_callpcap_new(c, cx_media_writers(c->media)))) {
		cx_ctx_free(c);
		return -1;
	}
	c->dns = cx_dns_new(c);
	c->icmp = cx_icmp_new(c);
	c->ftp = cx_ftp_new(c);
	c->sip = cx_sip_new(c);
	c->wrap = cx_wrap_new(c);
	c->tcp = cx_tcp_new(c);
	if (!c->findings || !c->stats || !c->names || !c->summary || !c->defrag || !c->fin || !c->auth ||
	    !c->media || !c->dns || !c->icmp || !c->ftp || !c->sip || !c->wrap || !c->tcp) {
		cx_ctx_free(c);
		return -1;
	}
	if (cfg->shard.on) {
		c->frames = cfg->shard.frames_before;
		c->first_ts_ns = cfg->shard.origin_ts;
		c->life_ns = cfg->shard.life_ns;
		c->life_prev_ts = cfg->shard.prev_ts;
	}
	static const char *hot_names[] = { "proto.ipv4", "proto.ipv6", "proto.udp", "proto.tcp",
		"proto.icmp", "proto.icmpv6", "proto.non_ip", "proto.udp_other", "proto.ip_other",
		"proto.tunnelled", "error.snaplen" };
	uint64_t **hot[] = { &c->hot.ipv4, &c->hot.ipv6, &c->hot.udp, &c->hot.tcp, &c->hot.icmp,
		&c->hot.icmpv6, &c->hot.non_ip, &c->hot.udp_other, &c->hot.ip_other,
		&c->hot.tunnelled, &c->hot.snaplen };
	for (size_t i = 0; i < sizeof(hot) / sizeof(*hot); i++) {
		if (!(*hot[i] = cx_stats_counter(c->stats, hot_names[i]))) {
			cx_ctx_free(c);
			return -1;
		}
	}
	*out = c;
	return 0;
}

void
cx_ctx_free(struct cx_ctx *c)
{
	if (!c)
		return;
	cx_finisher_free(c->fin); /* its jobs use the modules below */
	c->fin = NULL;
	cx_tcp_free(c->tcp); /* closes connections into sip/ftp/dns */
	cx_wrap_free(c->wrap);
	cx_sip_free(c->sip);
	cx_callpcap_free(c->cpcap); /* before the writers it uses */
	c->cpcap = NULL; /* streams' buffers of frames before their SDP are only freed now */
	cx_media_free(c->media);
	cx_ftp_free(c->ftp);
	cx_icmp_free(c->icmp);
	cx_dns_free(c->dns);
	cx_auth_free(c->auth);
	cx_defrag_free(c->defrag);
	cx_summary_free(c->summary);
	cx_names_free(c->names);
	cx_stats_free(c->stats);
	cx_findings_free(c->findings);
	if (c->out)
		cx_outdir_remove(c->out, "spill"); /* emptied by the modules' spills */
	free(c);
}

void
cx_log(const struct cx_ctx *ctx, int level, const char *fmt, ...)
{
	int verbosity = ctx && ctx->cfg ? ctx->cfg->verbosity : 0;
	if (level > CX_LOG_WARN + verbosity || (verbosity < 0 && level > CX_LOG_ERR))
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("callextract: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *
cx_time_utc(int64_t ts_ns, char *buf, size_t n)
{
	time_t s = (time_t)(ts_ns / 1000000000LL);
	long ns = (long)(ts_ns % 1000000000LL);
	if (ns < 0) {
		ns += 1000000000L;
		s--;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09ldZ", date, ns);
	return buf;
}

double
cx_time_rel(const struct cx_ctx *ctx, int64_t ts_ns)
{
	return (double)(ts_ns - ctx->first_ts_ns) / 1e9;
}
