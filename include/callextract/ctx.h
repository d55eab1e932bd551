/* The run context: configuration plus every table the pipeline owns. There
 * is no global mutable state; everything hangs off one struct cx_ctx that
 * is passed first (tcpdump's ndo). */
#ifndef CX_CTX_H
#define CX_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cx_outdir;
struct cx_findings;
struct cx_stats;
struct cx_names;
struct cx_summary;
struct cx_defrag;
struct cx_tcp;
struct cx_sip;
struct cx_media;
struct cx_auth;
struct cx_dns;
struct cx_icmp;
struct cx_ftp;
struct cx_wrap;
struct cx_finisher;
struct cx_callpcap;
struct json_object;

#define CX_LIFE_MAX_JUMP_NS (600LL * 1000000000LL)

/* The lifecycle clock's step from one frame's time to the next (see
 * struct cx_ctx): backward nothing, forward at most CX_LIFE_MAX_JUMP_NS.
 * The single pass and callextract index (a shard's start) both use it. */
static inline int64_t
cx_life_step(int64_t prev_ts, int64_t ts)
{
	int64_t d = ts - prev_ts;
	return d <= 0 ? 0 : d < CX_LIFE_MAX_JUMP_NS ? d : CX_LIFE_MAX_JUMP_NS;
}

struct cx_config {
	const char *outdir;
	bool force;            /* accept a non-empty outdir */
	int verbosity;         /* -1 quiet, 0 normal, 1+ verbose */
	bool progress;         /* progress display on stderr */
	bool no_audio;         /* --no-audio: no WAV files */
	bool no_call_pcap;     /* --no-call-pcap: no calls/.../call.pcap */
	bool no_html;          /* --no-html: no index.html pages, no assets/ */
	const char **wordlists; size_t n_wordlists;  /* --wordlist FILE */
	const char **passwords; size_t n_passwords;  /* --password WORD */
	int threads;           /* cracking threads; 0 = all cores */
	uint32_t max_silence_ms; /* cap on silence inserted for one gap */
	uint32_t max_tcp_buffer; /* bytes buffered out of order per direction */
	uint32_t max_frag_bytes; /* bytes held in IP fragment reassembly */
	uint32_t flow_timeout_s; /* idle time after which flows are expired */
	uint32_t linger_ms;      /* a dialog that is over is finished after this
				    much capture time without SIP or media */
	uint32_t call_idle_s;    /* a call with no SIP and no media for this long
				    is finished whatever its state; 0 never */
	const char **srtp_keys; size_t n_srtp_keys; /* --srtp-key "STREAM SUITE inline:KEY" */
	const char **tls_keylogs; size_t n_tls_keylogs; /* --tls-keylog FILE (NSS key log) */
	/* A shard of a larger capture (doc/distributed.md): the inputs are a
	 * run of files from the middle of the set. base gives what the whole
	 * capture would have counted before their first frame, so frame
	 * numbers, times and the lifecycle clock are the whole capture's;
	 * only entities (calls, streams) whose first frame lies in
	 * [own_first, own_last] are written out, and reading stops once past
	 * own_last none of them is still open. */
	struct cx_shard {
		bool on;
		uint64_t frames_before;  /* frames of the set before the first one read */
		int64_t origin_ts;       /* time of the set's first frame */
		int64_t life_ns, prev_ts; /* lifecycle clock, and the time of the frame before */
		uint64_t own_first, own_last;
	} shard;
};

/* Whether the entity that began at frame is this run's to write out
 * (always, outside shard mode). */
static inline bool
cx_config_owns(const struct cx_config *cfg, uint64_t frame)
{
	return !cfg->shard.on || (frame >= cfg->shard.own_first && frame <= cfg->shard.own_last);
}

void cx_config_defaults(struct cx_config *cfg);

struct cx_ctx {
	const struct cx_config *cfg;  /* borrowed from the caller */
	struct cx_outdir *out;        /* owned by the caller (tools/) */
	struct cx_findings *findings; /* everything below: owned by ctx */
	struct cx_stats *stats;
	struct cx_names *names;
	struct cx_summary *summary;
	struct cx_defrag *defrag;
	struct cx_tcp *tcp;
	struct cx_sip *sip;
	struct cx_media *media;
	struct cx_auth *auth;
	struct cx_dns *dns;
	struct cx_icmp *icmp;
	struct cx_ftp *ftp;
	struct cx_wrap *wrap;          /* HEP, WebSocket (callextract/wrap.h) */
	struct cx_finisher *fin;      /* writes finished calls out (call/finisher.h) */
	struct cx_callpcap *cpcap;    /* each call's capture (output/callpcap.h); NULL with --no-call-pcap */
	int64_t first_ts_ns;          /* of frame 1; 0 until seen */
	int64_t last_ts_ns;
	uint64_t frames;
	int64_t next_tick_ns;
	/* The lifecycle's clock: capture time, but a backward jump adds
	 * nothing and a forward jump at most CX_LIFE_MAX_JUMP_NS, so that a
	 * capture's bogus timestamps neither finish every call at once nor
	 * stop calls from finishing. */
	int64_t life_ns, life_prev_ts, next_life_tick;
	/* Shard mode: owned entities begun mid-way, which an earlier start
	 * might show to be continuations (count, and the first one's frame). */
	uint64_t shard_uncertain, shard_uncertain_frame;
	/* Per-frame counters, looked up once (cx_stats_counter). */
	struct {
		uint64_t *ipv4, *ipv6, *udp, *tcp, *icmp, *icmpv6, *non_ip, *udp_other;
		uint64_t *ip_other, *tunnelled, *snaplen;
	} hot;
};

/* Process-wide library set-up (osip parser_init, trace sinks, ortp log
 * level). Call once from main() before cx_ctx_new. */
void cx_global_init(void);

/* Owned: cx_ctx_free(). out is borrowed and must outlive the ctx. */
int cx_ctx_new(struct cx_ctx **out, const struct cx_config *cfg, struct cx_outdir *dir);
void cx_ctx_free(struct cx_ctx *ctx);

/* Feed one captured frame (data borrowed for the call). */
void cx_ctx_frame(struct cx_ctx *ctx, int linktype, int64_t ts_ns, const uint8_t *data,
		  uint32_t caplen, uint32_t wirelen);

/* End of capture: flush every module, write report.json and summary.txt.
 * capture_json is a json_object describing the inputs (owned; consumed). */
int cx_ctx_finish(struct cx_ctx *ctx, struct json_object *capture_json);

/* Format a capture time: "2024-01-02T03:04:05.123456789Z" (buf >= 40). */
const char *cx_time_utc(int64_t ts_ns, char *buf, size_t n);
/* Seconds since the first frame, as a double. */
double cx_time_rel(const struct cx_ctx *ctx, int64_t ts_ns);

/* ----- counters (report.json capture.protocols / capture.errors) ----- */
struct cx_stats *cx_stats_new(void);
void cx_stats_free(struct cx_stats *s);
/* name: "proto.sip", "error.truncated.ipv4", ... Dotted groups become nested
 * JSON objects in the report. */
void cx_stats_add(struct cx_stats *s, const char *name, uint64_t n);
uint64_t cx_stats_get(const struct cx_stats *s, const char *name);
/* The counter itself, for hot paths: look it up once, then increment the
 * pointer. Valid until cx_stats_free. NULL on allocation failure. */
uint64_t *cx_stats_counter(struct cx_stats *s, const char *name);
struct json_object *cx_stats_to_json(const struct cx_stats *s, const char *prefix);
/* Every counter, by full name, sorted (a shard's counters, shard.json). */
struct json_object *cx_stats_flat(const struct cx_stats *s);

/* ----- log to stderr ----- */
void cx_log(const struct cx_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define CX_LOG_ERR 0
#define CX_LOG_WARN 1
#define CX_LOG_INFO 2
#define CX_LOG_DEBUG 3

#endif
