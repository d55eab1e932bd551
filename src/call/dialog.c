/* SIP dialogs: grouped by Call-ID, forked early dialogs told apart by To
 * tag, transactions by CSeq and top Via branch, retransmissions marked.
 * INVITE dialogs get a call state, timings, the SDP offer/answer exchange
 * and the media endpoints handed to the media correlator; each call gets a
 * folder with call.json, flow.txt and flow.svg. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <osipparser2/sdp_message.h>
#include "call/dialog.h"
#include "call/finisher.h"
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/spill.h"
#include "callextract/srtp.h"
#include "callextract/summary.h"
#include "output/callpcap.h"
#include "util/text.h"

#define NBUCKETS 65536u
#define MAX_MSGS 2000    /* messages listed per dialog; the rest only counted */
#define MAX_KEYS 4096
#define MAX_FIELD 512    /* longest string kept from a header */
#define MAX_TEXT 16384   /* bytes of one message's text kept for the report */
#define MAX_TEXTS (256u * 1024u) /* ... and of all a dialog's messages */

struct msg_rec {
	uint64_t frame;
	int64_t ts;
	struct cx_addr src, dst;
	uint16_t sport, dport;
	bool req, retrans, sdp;
	int status;
	uint32_t cseq;
	char label[64];
	char cseq_method[16];
	char transport[32]; /* "UDP", "TLS 1.3", "HEP3 via agent 2001" */
	char *text;     /* the message as captured (see copy_text), NULL past the cap */
};

struct dialog {
	uint32_t index;
	char *call_id;
	char *kind;
	char *from_uri, *from_disp, *from_tag, *to_uri, *to_disp;
	char *to_tags[8];
	size_t n_to_tags;
	char *ua[2];                /* software of caller and callee */
	bool ua_firsthand[2];       /* ... taken from a message its party sent itself */
	bool sdes_reported;         /* the SDES-in-cleartext finding was made */
	bool sdes_tls_reported;     /* SDES keys seen inside TLS (hop-by-hop only) */
	char *contact, *expires, *aor;
	char *subject;
	struct cx_addr caller;
	uint16_t caller_port;
	int64_t t_first, t_last, t_invite, t_18x, t_200, t_ack, t_bye, t_cancel, t_bye_ok;
	uint64_t f_first, f_last;
	uint32_t invite_cseq;       /* last INVITE transaction seen */
	uint32_t offer_cseq;        /* CSeq of the last request that carried an SDP offer */
	int invite_final;           /* its final status, 0 if none */
	char *invite_reason;
	int first_final;            /* final status of the request that started the dialog */
	char *first_reason;
	bool cancelled, answered, bye_seen;
	int bye_by;                 /* -1 none, 0 caller, 1 callee */
	uint32_t n_msgs, n_retrans;
	size_t text_bytes;          /* kept in msgs[].text */
	struct msg_rec *msgs;
	size_t nm, capm;
	uint64_t *keys;             /* transaction keys seen, for retransmissions */
	size_t nk, capk;
	struct json_object *sdp;    /* array of offers/answers */
	struct json_object *media;  /* array of media endpoints */
	struct json_object *vias;   /* distinct Via chains */
	struct json_object *texts;  /* MESSAGE/INFO bodies */
	struct json_object *rr;     /* Record-Route */
	char dir[160];              /* calls/FFFFFFFFFF-callid, "" if not a call */
	uint32_t n_auth;            /* digest answers the dialog carried */
	uint64_t continues;         /* id of the finished dialog this one continues */
	uint32_t last_cseq[2];      /* highest request CSeq of caller and callee */
	uint64_t from_tag_h;
	bool over;                  /* its last transaction ended it (see cx_dialogs_on_message) */
	bool owned;                 /* begun in the frames this run writes (cx_config_owns) */
	int64_t l_last, l_bye;      /* last message, BYE: on the lifecycle clock */
	int64_t l_pend;             /* the last request, while it has no final answer */
	uint32_t pend_cseq;
	char pend_method[16];
	struct dialog *hnext;
	struct dialog *lprev, *lnext; /* live dialogs, in index order */
};

/* What is left of a finished dialog: enough to tell a late retransmission
 * (counted) from a new transaction on the same Call-ID (a continuation). */
struct tomb {
	uint64_t h;                 /* of the Call-ID */
	uint64_t from_tag_h;
	uint32_t index;
	uint64_t id;                /* the dialog's id (its first frame) */
	uint32_t last_cseq[2];
	int64_t t;                  /* finished at (capture time) */
	struct tomb *hnext, *qnext;
};

#define TOMB_KEEP_NS (7200LL * 1000000000LL) /* remembered this long after finishing */
#define MAX_TOMBS (1u << 20)
#define BYE_TIMEOUT_NS (32LL * 1000000000LL) /* RFC 3261 timer F: a BYE never answered */

struct cx_dialogs {
	struct cx_ctx *ctx;
	struct dialog **buckets;
	uint32_t n;                 /* dialogs so far (the last index) */
	uint32_t calls;
	uint32_t owned_live;        /* live dialogs that are owned (shard mode) */
	uint64_t owned_finished;    /* owned dialogs finished so far */
	struct dialog *live, *live_tail;
	struct dialog *last;        /* of the last message */
	int64_t first_t;            /* of dialog 1 (the calls table sorts there) */
	struct cx_spill *report;    /* report.json "dialogs" elements, slot = index */
	struct tomb **tb;
	struct tomb *tq, *tq_tail;  /* tombs, oldest first */
	size_t ntomb;
	uint64_t *late, *finished, *continuations;
};

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static uint64_t
hash64(const char *s, uint64_t h)
{
	if (!s)
		return h * 31;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The 64-bit hash tombs keep of a Call-ID or a From tag (a tomb keeps no
 * strings: two texts with the same hash would be taken for one). */
static uint64_t
hash_text(const char *s)
{
	return hash64(s, 1469598103934665603ULL);
}

/* A bounded copy; bytes from packets are kept as they are (escaped when written). */
static char *
field(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strnlen(s, MAX_FIELD);
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static void
set_field(char **dst, const char *s)
{
	if (*dst || !s)
		return;
	*dst = field(s);
}

struct cx_dialogs *
cx_dialogs_new(struct cx_ctx *ctx)
{
	struct cx_dialogs *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->buckets = calloc(NBUCKETS, sizeof(*d->buckets));
	d->tb = calloc(NBUCKETS, sizeof(*d->tb));
	d->ctx = ctx;
	d->late = cx_stats_counter(ctx->stats, "late.sip");
	d->finished = cx_stats_counter(ctx->stats, "lifecycle.calls_finished");
	d->continuations = cx_stats_counter(ctx->stats, "lifecycle.continuations");
	if (!d->buckets || !d->tb || !d->late || !d->finished || !d->continuations) {
		free(d->buckets);
		free(d->tb);
		free(d);
		return NULL;
	}
	return d;
}

static void
free_dialog(struct dialog *g)
{
	free(g->call_id);
	free(g->kind);
	free(g->from_uri);
	free(g->from_disp);
	free(g->from_tag);
	free(g->to_uri);
	free(g->to_disp);
	for (size_t i = 0; i < g->n_to_tags; i++)
		free(g->to_tags[i]);
	free(g->ua[0]);
	free(g->ua[1]);
	free(g->contact);
	free(g->expires);
	free(g->aor);
	free(g->subject);
	free(g->invite_reason);
	free(g->first_reason);
	for (size_t i = 0; i < g->nm; i++)
		free(g->msgs[i].text);
	free(g->msgs);
	free(g->keys);
	json_object_put(g->sdp);
	json_object_put(g->media);
	json_object_put(g->vias);
	json_object_put(g->texts);
	json_object_put(g->rr);
	free(g);
}

void
cx_dialogs_free(struct cx_dialogs *d)
{
	if (!d)
		return;
	for (struct dialog *g = d->live, *n; g; g = n) {
		n = g->lnext;
		free_dialog(g);
	}
	for (struct tomb *t = d->tq, *n; t; t = n) {
		n = t->qnext;
		free(t);
	}
	cx_spill_free(d->report);
	free(d->tb);
	free(d->buckets);
	free(d);
}

static struct dialog *
find(struct cx_dialogs *d, const char *call_id)
{
	for (struct dialog *g = d->buckets[hash_str(call_id) & (NBUCKETS - 1)]; g; g = g->hnext)
		if (!strcmp(g->call_id, call_id))
			return g;
	return NULL;
}

static struct tomb *
tomb_find(const struct cx_dialogs *d, const char *call_id)
{
	uint64_t h = hash_text(call_id);
	for (struct tomb *t = d->tb[h & (NBUCKETS - 1)]; t; t = t->hnext)
		if (t->h == h)
			return t;
	return NULL;
}

static void
tomb_unlink(struct cx_dialogs *d, struct tomb *t)
{
	for (struct tomb **pp = &d->tb[t->h & (NBUCKETS - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			return;
		}
	}
}

/* Tombs older than TOMB_KEEP_NS, or past the cap, are forgotten: a message
 * of that Call-ID then simply starts a new dialog. */
static void
tomb_expire(struct cx_dialogs *d, int64_t now)
{
	while (d->tq && (d->ntomb > MAX_TOMBS || now - d->tq->t > TOMB_KEEP_NS)) {
		struct tomb *t = d->tq;
		d->tq = t->qnext;
		if (!d->tq)
			d->tq_tail = NULL;
		if (t->index) /* index 0: replaced by a newer tomb, already unlinked */
			tomb_unlink(d, t);
		free(t);
		d->ntomb--;
	}
}

static void
tomb_add(struct cx_dialogs *d, const struct dialog *g, int64_t now)
{
	struct tomb *old = tomb_find(d, g->call_id);
	if (old) {
		tomb_unlink(d, old);
		old->index = 0;
	}
	struct tomb *t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->h = hash_text(g->call_id);
	t->from_tag_h = g->from_tag_h;
	t->index = g->index;
	t->id = g->f_first;
	t->last_cseq[0] = g->last_cseq[0];
	t->last_cseq[1] = g->last_cseq[1];
	t->t = now;
	t->hnext = d->tb[t->h & (NBUCKETS - 1)];
	d->tb[t->h & (NBUCKETS - 1)] = t;
	if (d->tq_tail)
		d->tq_tail->qnext = t;
	else
		d->tq = t;
	d->tq_tail = t;
	d->ntomb++;
	tomb_expire(d, now);
}

static struct dialog *
create(struct cx_dialogs *d, const struct cx_sip_msg_view *v, uint64_t continues)
{
	struct dialog *g = calloc(1, sizeof(*g));
	if (!g || !(g->call_id = field(v->call_id))) {
		free(g);
		return NULL;
	}
	g->index = ++d->n;
	g->continues = continues;
	g->owned = cx_config_owns(d->ctx->cfg, v->frame);
	d->owned_live += g->owned;
	/* a shard that did not start at the capture's first frame cannot
	 * tell a dialog begun mid-way (an answer, a request with a To tag)
	 * from one begun before its first file: it says so, and is run again
	 * from earlier (doc/distributed.md) */
	if (g->owned && d->ctx->cfg->shard.on && d->ctx->cfg->shard.frames_before > 0 &&
	    (!v->is_request || (v->to_tag && *v->to_tag)) && !d->ctx->shard_uncertain++)
		d->ctx->shard_uncertain_frame = v->frame;
	if (g->index == 1)
		d->first_t = v->ts_ns;
	g->lprev = d->live_tail;
	if (d->live_tail)
		d->live_tail->lnext = g;
	else
		d->live = g;
	d->live_tail = g;
	g->kind = field(v->method);
	g->bye_by = -1;
	g->sdp = json_object_new_array();
	g->media = json_object_new_array();
	g->vias = json_object_new_array();
	g->texts = json_object_new_array();
	g->rr = json_object_new_array();
	g->t_first = v->ts_ns;
	g->f_first = v->frame;
	g->caller = v->is_request ? v->src : v->dst;
	g->caller_port = v->is_request ? v->sport : v->dport;
	uint32_t b = hash_str(g->call_id) & (NBUCKETS - 1);
	g->hnext = d->buckets[b];
	d->buckets[b] = g;
	if (v->is_request && !strcmp(v->method, "INVITE")) {
		char name[110];
		cx_sanitize_name(g->call_id, strlen(g->call_id), name, 100);
		d->calls++;
		cx_stats_add(d->ctx->stats, "proto.sip_calls", 1);
		/* named by the frame that began it, not by a count of the calls
		 * before it: the name does not depend on what else the capture
		 * holds, so a shard of the capture names the call as the whole does */
		snprintf(g->dir, sizeof(g->dir), "calls/%010llu-%s", (unsigned long long)v->frame, name);
		if (cx_outdir_mkdir(d->ctx->out, g->dir) < 0) {
			cx_log(d->ctx, CX_LOG_WARN, "cannot create %s", g->dir);
			g->dir[0] = '\0';
		} else {
			cx_callpcap_call_open(d->ctx->cpcap, g->index, g->dir);
		}
	}
	return g;
}

/* Which party sent the message: through proxies the addresses change but
 * the From tag does not. A request whose From tag is the caller's comes
 * from the caller; a response to it comes from the callee (and the other
 * way round for requests the callee sends, e.g. its BYE). */
static int
party_of(const struct dialog *g, const struct cx_sip_msg_view *v)
{
	if (g->from_tag && v->from_tag) {
		bool callers_tx = !strcmp(g->from_tag, v->from_tag);
		return v->is_request ? !callers_tx : callers_tx;
	}
	return (cx_addr_eq(&v->src, &g->caller) && v->sport == g->caller_port) ? 0 : 1;
}

/* ---- SDP ---- */


static const char *dir_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

static int
direction_of(const char *a)
{
	if (!strcmp(a, "sendonly")) return 1;
	if (!strcmp(a, "recvonly")) return 2;
	if (!strcmp(a, "inactive")) return 3;
	if (!strcmp(a, "sendrecv")) return 0;
	return -1;
}

/* SDP through osip's parser; when osip refuses it (no t=, last line
 * without CRLF...), a line scanner takes the c=, m= and a= lines. Both
 * produce the same JSON. */
static struct json_object *
parse_sdp(const char *body, size_t len, struct json_object **media_out)
{
	struct json_object *o = json_object_new_object();
	struct json_object *media = json_object_new_array();
	char *copy = malloc(len + 3);
	if (!copy)
		return o;
	memcpy(copy, body, len);
	copy[len] = '\0';
	if (len && copy[len - 1] != '\n')
		strcat(copy, "\r\n");
	char session_c[64] = "";
	int session_dir = 0;
	struct json_object *cur = NULL;
	int cur_dir = -1;
	/* Line scanner (used always: osip gives the same fields but drops
	 * SDPs that real phones send; one code path keeps the outputs equal). */
	char *save = NULL;
	for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (strlen(line) < 2 || line[1] != '=')
			continue;
		char t = line[0];
		const char *val = line + 2;
		if (t == 'o' && !cur) {
			json_object_object_add(o, "origin", json_object_new_string(val));
		} else if (t == 's' && !cur) {
			json_object_object_add(o, "session_name", json_object_new_string(val));
		} else if (t == 'c') {
			char nt[8], at[8], addr[64];
			if (sscanf(val, "%7s %7s %63s", nt, at, addr) == 3) {
				char *slash = strchr(addr, '/');
				if (slash)
					*slash = '\0';
				if (cur)
					json_object_object_add(cur, "connection", json_object_new_string(addr));
				else
					snprintf(session_c, sizeof(session_c), "%s", addr);
			}
		} else if (t == 'm') {
			if (cur) {
				json_object_object_add(cur, "direction", json_object_new_string(dir_names[cur_dir >= 0 ? cur_dir : session_dir]));
				json_object_array_add(media, cur);
			}
			cur = json_object_new_object();
			cur_dir = -1;
			char mt[16], proto[32];
			unsigned port = 0;
			int used = 0;
			if (sscanf(val, "%15s %u%*[^ ] %31s %n", mt, &port, proto, &used) >= 3 ||
			    sscanf(val, "%15s %u %31s %n", mt, &port, proto, &used) >= 3) {
				json_object_object_add(cur, "media", json_object_new_string(mt));
				json_object_object_add(cur, "port", json_object_new_int((int)(port & 0xffff)));
				json_object_object_add(cur, "proto", json_object_new_string(proto));
				struct json_object *fmts = json_object_new_array();
				const char *f = val + used;
				char tok[32];
				int k;
				while (*f && sscanf(f, "%31s%n", tok, &k) == 1) {
					json_object_array_add(fmts, json_object_new_string(tok));
					f += k;
					while (*f == ' ')
						f++;
				}
				json_object_object_add(cur, "formats", fmts);
			}
			json_object_object_add(cur, "rtpmap", json_object_new_object());
			json_object_object_add(cur, "fmtp", json_object_new_object());
			json_object_object_add(cur, "candidates", json_object_new_array());
		} else if (t == 'a') {
			char name[32];
			const char *colon = strchr(val, ':');
			size_t nl = colon ? (size_t)(colon - val) : strlen(val);
			if (nl >= sizeof(name))
				continue;
			memcpy(name, val, nl);
			name[nl] = '\0';
			const char *av = colon ? colon + 1 : "";
			int dr = direction_of(name);
			if (dr >= 0) {
				if (cur)
					cur_dir = dr;
				else
					session_dir = dr;
			} else if (cur && (!strcmp(name, "rtpmap") || !strcmp(name, "fmtp"))) {
				char pt[16];
				int k = 0;
				if (sscanf(av, "%15s %n", pt, &k) == 1 && k > 0) {
					struct json_object *m;
					json_object_object_get_ex(cur, name, &m);
					json_object_object_add(m, pt, json_object_new_string(av + k));
				}
			} else if (cur && !strcmp(name, "rtcp")) {
				unsigned rp;
				char rest[64] = "";
				if (sscanf(av, "%u %*s %*s %63s", &rp, rest) >= 1) {
					json_object_object_add(cur, "rtcp_port", json_object_new_int((int)(rp & 0xffff)));
					if (rest[0])
						json_object_object_add(cur, "rtcp_address", json_object_new_string(rest));
				}
			} else if (cur && !strcmp(name, "candidate")) {
				struct json_object *c;
				json_object_object_get_ex(cur, "candidates", &c);
				if (json_object_array_length(c) < 32)
					json_object_array_add(c, json_object_new_string(av));
			} else if (cur && !strcmp(name, "crypto")) {
				/* RFC 4568 lines as sent (keys included: they are the
				 * evidence, and what --srtp-key would need) */
				struct json_object *c;
				if (!json_object_object_get_ex(cur, "crypto", &c)) {
					c = json_object_new_array();
					json_object_object_add(cur, "crypto", c);
				}
				if (json_object_array_length(c) < CX_SRTP_MAX_KEYS)
					json_object_array_add(c, json_object_new_string(av));
			} else if (!strcmp(name, "fingerprint") || !strcmp(name, "setup")) {
				/* DTLS-SRTP (RFC 5763): keys from a handshake, not the SDP */
				json_object_object_add(cur ? cur : o, "dtls", json_object_new_boolean(1));
			}
		}
	}
	if (cur) {
		json_object_object_add(cur, "direction", json_object_new_string(dir_names[cur_dir >= 0 ? cur_dir : session_dir]));
		json_object_array_add(media, cur);
	}
	if (session_c[0])
		json_object_object_add(o, "connection", json_object_new_string(session_c));
	/* Media without their own c= use the session's. */
	struct json_object *sdtls = NULL;
	json_object_object_get_ex(o, "dtls", &sdtls);
	for (size_t i = 0; i < json_object_array_length(media); i++) {
		struct json_object *m = json_object_array_get_idx(media, i), *c;
		if (!json_object_object_get_ex(m, "connection", &c) && session_c[0])
			json_object_object_add(m, "connection", json_object_new_string(session_c));
		if (sdtls && !json_object_object_get_ex(m, "dtls", &c))
			json_object_object_add(m, "dtls", json_object_new_boolean(1));
	}
	free(copy);
	*media_out = media;
	return o;
}

/* Cross-check with osip's SDP parser: a body osip cannot parse is noted. */
static bool
osip_accepts_sdp(const char *body, size_t len)
{
	/* osip2 5.3 reads past the end of a body whose last line is an m=
	 * line without formats ending in a bare LF (tests/fuzz/regress/sdp):
	 * it gets a C string (up to the first NUL) that always ends in CRLF. */
	len = strnlen(body, len);
	char *copy = malloc(len + 3);
	if (!copy)
		return false;
	memcpy(copy, body, len);
	copy[len] = '\0';
	if (len < 2 || copy[len - 2] != '\r' || copy[len - 1] != '\n') {
		if (len && copy[len - 1] == '\n')
			len--; /* a bare LF becomes the CRLF */
		memcpy(copy + len, "\r\n", 3);
	}
	sdp_message_t *sdp = NULL;
	bool ok = false;
	if (sdp_message_init(&sdp) == 0) {
		ok = sdp_message_parse(sdp, copy) == 0;
		sdp_message_free(sdp);
	}
	free(copy);
	return ok;
}

/* Narrow entry for tests/fuzz (dialog.h): the two SDP parsers above, as
 * handle_sdp runs them on a body. */
struct json_object *
cx_dialog_parse_sdp(const char *body, size_t len, struct json_object **media, bool *osip_ok)
{
	*media = NULL;
	*osip_ok = osip_accepts_sdp(body, len);
	return parse_sdp(body, len, media);
}

/* The a=crypto lines of one m= line into e (RFC 4568); a line that does
 * not parse is counted and named in a finding. Once per call, a finding
 * that SDES keys crossed the wire in cleartext SIP. */
static void
media_crypto(struct cx_dialogs *d, struct dialog *g, const struct cx_sip_msg_view *v, struct json_object *m,
	     struct cx_media_expect *e)
{
	struct json_object *x;
	e->dtls = json_object_object_get_ex(m, "dtls", &x);
	if (!json_object_object_get_ex(m, "crypto", &x))
		return;
	for (size_t k = 0; k < json_object_array_length(x) && e->n_crypto < CX_SRTP_MAX_KEYS; k++) {
		const char *line = json_object_get_string(json_object_array_get_idx(x, k));
		const char *err = NULL;
		if (cx_srtp_parse_crypto(line, &e->crypto[e->n_crypto], &err) < 0) {
			cx_stats_add(d->ctx->stats, "error.sdp.crypto", 1);
			cx_findings_add(d->ctx->findings, CX_SEV_LOW, "srtp.bad_crypto", v->frame,
					"a=crypto line not usable (%s): %.60s", err, line);
			continue;
		}
		e->crypto[e->n_crypto++].frame = v->frame;
	}
	bool tls = v->transport && (!strncmp(v->transport, "TLS", 3) || !strcmp(v->transport, "WSS"));
	if (e->n_crypto && tls && !g->sdes_tls_reported) {
		/* decrypted from TLS (src/wrap/tls.c): not cleartext on the wire,
		 * but protected hop by hop only */
		g->sdes_tls_reported = true;
		cx_findings_add(d->ctx->findings, CX_SEV_MEDIUM, "srtp.sdes_over_tls", v->frame,
				"SRTP keys (SDES a=crypto) of call %llu travel in SIP protected only hop by hop "
				"by TLS (%s): every proxy on the path, and whoever holds the TLS key log, can "
				"decrypt its media", (unsigned long long)g->f_first, v->transport);
	} else if (e->n_crypto && !tls && !g->sdes_reported) {
		g->sdes_reported = true;
		cx_findings_add(d->ctx->findings, CX_SEV_HIGH, "srtp.sdes_cleartext", v->frame,
				"SRTP keys (SDES a=crypto) of call %llu crossed the wire in cleartext SIP: "
				"whoever holds the capture can decrypt its media", (unsigned long long)g->f_first);
	}
}

static void
announce_media(struct cx_dialogs *d, struct dialog *g, const struct cx_sip_msg_view *v, int party,
	       struct json_object *media, bool answer)
{
	for (size_t i = 0; i < json_object_array_length(media); i++) {
		struct json_object *m = json_object_array_get_idx(media, i), *x;
		struct cx_media_expect e;
		memset(&e, 0, sizeof(e));
		e.call_id = g->call_id;
		e.call_index = g->index;
		e.party = party;
		e.media = json_object_object_get_ex(m, "media", &x) ? json_object_get_string(x) : "";
		e.proto = json_object_object_get_ex(m, "proto", &x) ? json_object_get_string(x) : "";
		const char *addr = json_object_object_get_ex(m, "connection", &x) ? json_object_get_string(x) : NULL;
		int port = json_object_object_get_ex(m, "port", &x) ? json_object_get_int(x) : 0;
		if (!addr || cx_addr_parse(addr, &e.addr) != 0 || port <= 0)
			continue;
		e.rtp_port = (uint16_t)port;
		e.rtcp_port = json_object_object_get_ex(m, "rtcp_port", &x) ? (uint16_t)json_object_get_int(x) : (uint16_t)(port + 1);
		const char *dn = json_object_object_get_ex(m, "direction", &x) ? json_object_get_string(x) : "sendrecv";
		e.direction = direction_of(dn) < 0 ? 0 : direction_of(dn);
		struct json_object *fmts = NULL, *rtpmap = NULL, *fmtp = NULL;
		json_object_object_get_ex(m, "formats", &fmts);
		json_object_object_get_ex(m, "rtpmap", &rtpmap);
		json_object_object_get_ex(m, "fmtp", &fmtp);
		for (size_t k = 0; fmts && k < json_object_array_length(fmts) && e.n_pts < CX_MEDIA_MAX_PT; k++) {
			const char *f = json_object_get_string(json_object_array_get_idx(fmts, k));
			char *end;
			unsigned long pt = strtoul(f, &end, 10);
			if (*end || pt > 127)
				continue;
			e.pts[e.n_pts].pt = (uint8_t)pt;
			struct json_object *rm;
			if (rtpmap && json_object_object_get_ex(rtpmap, f, &rm)) {
				char enc[24] = "";
				unsigned clock = 0, channels = 0;
				sscanf(json_object_get_string(rm), "%23[^/]/%u/%u", enc, &clock, &channels);
				snprintf(e.pts[e.n_pts].encoding, sizeof(e.pts[0].encoding), "%s", enc);
				e.pts[e.n_pts].clock = clock;
				e.pts[e.n_pts].channels = channels <= 8 ? (uint8_t)channels : 0;
			}
			/* codec parameters: AMR octet-align, iLBC mode */
			if (fmtp && json_object_object_get_ex(fmtp, f, &rm))
				snprintf(e.pts[e.n_pts].fmtp, sizeof(e.pts[0].fmtp), "%s", json_object_get_string(rm));
			e.n_pts++;
		}
		e.frame = v->frame;
		e.ts_ns = v->ts_ns;
		e.mline = (int)i;
		e.answer = answer;
		media_crypto(d, g, v, m, &e);
		cx_media_expect(d->ctx->media, &e);
		char ep[CX_ADDR_STRLEN + 8];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "party", json_object_new_string(party ? "callee" : "caller"));
		json_object_object_add(o, "media", json_object_new_string(e.media));
		json_object_object_add(o, "rtp", json_object_new_string(cx_endpoint_str(&e.addr, e.rtp_port, ep)));
		json_object_object_add(o, "rtcp", json_object_new_string(cx_endpoint_str(&e.addr, e.rtcp_port, ep)));
		json_object_object_add(o, "direction", json_object_new_string(dir_names[e.direction]));
		json_object_object_add(o, "valid_from_frame", json_object_new_int64((int64_t)v->frame));
		char t[48];
		json_object_object_add(o, "valid_from", json_object_new_string(cx_time_utc(v->ts_ns, t, sizeof(t))));
		json_object_array_add(g->media, o);
	}
}

static bool
is_sdp(const struct cx_sip_msg_view *v, const struct cx_sip_extra *x)
{
	if (!v->body || v->body_len < 4)
		return false;
	if (x->content_type)
		return strstr(x->content_type, "sdp") != NULL;
	return !strncmp(v->body, "v=0", 3);
}

static void
handle_sdp(struct cx_dialogs *d, struct dialog *g, const struct cx_sip_msg_view *v,
	   const struct cx_sip_extra *x, int party)
{
	struct json_object *media = NULL;
	struct json_object *o = parse_sdp(v->body, v->body_len, &media);
	char t[48];
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)v->frame));
	json_object_object_add(o, "time", json_object_new_string(cx_time_utc(v->ts_ns, t, sizeof(t))));
	json_object_object_add(o, "party", json_object_new_string(party ? "callee" : "caller"));
	/* RFC 3264: the first SDP of an exchange is the offer; the other side's
	 * reply is the answer. An INVITE without SDP makes the 200 the offer. */
	const char *type;
	if (v->is_request) {
		type = strcmp(v->method, "ACK") ? "offer" : "answer";
		if (strcmp(v->method, "ACK"))
			g->offer_cseq = v->cseq;
	} else {
		type = v->cseq == g->offer_cseq ? "answer" : "offer"; /* late offer in a 2xx */
	}
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "message", json_object_new_string(v->is_request ? v->method : "response"));
	json_object_object_add(o, "osip_parsed", json_object_new_boolean(osip_accepts_sdp(v->body, v->body_len)));
	if (media) {
		json_object_object_add(o, "media", json_object_get(media));
		if (!v->retransmission)
			announce_media(d, g, v, party, media, !strcmp(type, "answer"));
		json_object_put(media);
	}
	if (json_object_array_length(g->sdp) < 64)
		json_object_array_add(g->sdp, o);
	else
		json_object_put(o);
	(void)x;
}

/* ---- messages ---- */

static bool
is_call(const struct dialog *g)
{
	return g->kind && !strcmp(g->kind, "INVITE");
}

/* Methods whose dialog is over with the final answer to the first request
 * (SUBSCRIBE, REFER... go on with NOTIFYs and stay until idle). */
static bool
ends_with_answer(const struct dialog *g)
{
	static const char *m[] = { "REGISTER", "OPTIONS", "MESSAGE", "INFO", "PUBLISH" };
	for (size_t i = 0; g->kind && i < sizeof(m) / sizeof(*m); i++)
		if (!strcmp(g->kind, m[i]))
			return true;
	return false;
}

static bool
seen_key(struct dialog *g, uint64_t key)
{
	for (size_t i = 0; i < g->nk; i++)
		if (g->keys[i] == key)
			return true;
	if (g->nk < MAX_KEYS) {
		if (cx_grow(&g->keys, &g->capk, g->nk, sizeof(*g->keys)) < 0)
			return false;
		g->keys[g->nk++] = key;
	}
	return false;
}

static void
add_to_tag(struct dialog *g, const char *tag)
{
	if (!tag)
		return;
	for (size_t i = 0; i < g->n_to_tags; i++)
		if (!strcmp(g->to_tags[i], tag))
			return;
	if (g->n_to_tags < 8)
		g->to_tags[g->n_to_tags++] = field(tag);
}

/* A message's bytes as text for report.json, kept as they are: the JSON
 * writer escapes what is not UTF-8 by the one rule of every field
 * (doc/output.md, "Text from packets"); a NUL, which a C string cannot
 * carry, becomes '?'. NULL past the caps. */
static char *
copy_text(struct dialog *g, const char *raw, size_t len)
{
	if (!raw || g->text_bytes >= MAX_TEXTS)
		return NULL;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	char *t = malloc(len + 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++)
		t[i] = raw[i] ? raw[i] : '?';
	t[len] = '\0';
	g->text_bytes += len;
	return t;
}

static void
record_msg(struct dialog *g, const struct cx_sip_msg_view *v, bool sdp)
{
	g->n_msgs++;
	if (g->nm >= MAX_MSGS)
		return;
	if (cx_grow(&g->msgs, &g->capm, g->nm, sizeof(*g->msgs)) < 0)
		return;
	struct msg_rec *r = &g->msgs[g->nm++];
	memset(r, 0, sizeof(*r));
	r->frame = v->frame;
	r->ts = v->ts_ns;
	r->src = v->src;
	r->dst = v->dst;
	r->sport = v->sport;
	r->dport = v->dport;
	r->req = v->is_request;
	r->retrans = v->retransmission;
	r->sdp = sdp;
	r->status = v->status;
	r->cseq = v->cseq;
	r->text = copy_text(g, v->raw, v->raw_len);
	snprintf(r->cseq_method, sizeof(r->cseq_method), "%s", v->cseq_method ? v->cseq_method : "");
	snprintf(r->transport, sizeof(r->transport), "%s", v->transport);
	if (v->is_request)
		snprintf(r->label, sizeof(r->label), "%s", v->method);
	else
		snprintf(r->label, sizeof(r->label), "%d %s", v->status, v->reason ? v->reason : "");
}

uint32_t
cx_dialogs_on_message(struct cx_dialogs *d, struct cx_sip_msg_view *v, const struct cx_sip_extra *x)
{
	struct dialog *g = find(d, v->call_id);
	if (!g) {
		/* A finished Call-ID: a retransmission or a late answer is
		 * counted; a new request (a re-INVITE an hour later) starts a
		 * continuation that names the dialog it continues. */
		struct tomb *t = tomb_find(d, v->call_id);
		uint64_t continues = 0;
		if (t) {
			int p = 0;
			if (t->from_tag_h && v->from_tag)
				p = hash_text(v->from_tag) != t->from_tag_h;
			bool fresh = v->is_request && strcmp(v->method, "ACK") && strcmp(v->method, "CANCEL") &&
				     v->cseq > t->last_cseq[p];
			if (!fresh) {
				(*d->late)++;
				cx_findings_add(d->ctx->findings, CX_SEV_INFO, "lifecycle.late_sip", v->frame,
						"SIP %s of dialog %llu after the dialog was finished (counted, not added to it)",
						v->is_request ? "request" : "response", (unsigned long long)t->id);
				v->retransmission = true;
				d->last = NULL;
				return t->index;
			}
			continues = t->id;
			(*d->continuations)++;
		}
		if (!(g = create(d, v, continues)))
			return 0;
	}
	d->last = g;
	/* Transaction identity: CSeq, method, top Via branch, status, and the
	 * direction; the same key again is a retransmission. */
	uint64_t key = hash64(v->cseq_method, 1469598103934665603ULL);
	key = hash64(x->via_branch, key ^ v->cseq);
	key = hash64(v->to_tag, key ^ ((uint64_t)v->status << 20) ^ ((uint64_t)v->is_request << 40));
	key = hash64(v->method, key ^ v->sport ^ ((uint64_t)v->dport << 16));
	v->retransmission = seen_key(g, key);
	if (v->retransmission)
		g->n_retrans++;
	set_field(&g->from_uri, v->from_uri);
	set_field(&g->from_disp, x->from_display);
	if (v->is_request && !g->from_tag && v->from_tag) {
		set_field(&g->from_tag, v->from_tag);
		g->from_tag_h = hash_text(v->from_tag);
	}
	int party = party_of(g, v);
	if (v->is_request && strcmp(v->method, "ACK")) {
		g->l_pend = d->ctx->life_ns;
		g->pend_cseq = v->cseq;
		snprintf(g->pend_method, sizeof(g->pend_method), "%s", v->method);
	} else if (!v->is_request && v->status >= 200 && v->cseq == g->pend_cseq && v->cseq_method &&
		   !strcmp(v->cseq_method, g->pend_method)) {
		g->l_pend = 0;
	}
	if (v->is_request && strcmp(v->method, "ACK") && strcmp(v->method, "CANCEL")) {
		/* the sending party's CSeq space (party_of is about who answers) */
		int sp = party ? 1 : 0;
		if (v->cseq > g->last_cseq[sp])
			g->last_cseq[sp] = v->cseq;
	}
	bool sdp = is_sdp(v, x);
	record_msg(g, v, sdp);
	g->t_last = v->ts_ns;
	g->l_last = d->ctx->life_ns;
	g->f_last = v->frame;
	set_field(&g->to_uri, v->to_uri);
	set_field(&g->to_disp, x->to_display);
	set_field(&g->subject, x->subject);
	add_to_tag(g, v->to_tag);
	/* 100 Trying comes from the next hop (often a proxy), not the party.
	 * A request with one Via, or a response with more than one, was sent
	 * by the party itself; anything else may come from a proxy (a 407, a
	 * relayed answer), and gives way to a first-hand one. */
	const char *sw = x->user_agent ? x->user_agent : x->server;
	if (sw && (v->is_request || v->status > 100)) {
		bool firsthand = v->is_request ? x->n_via <= 1 : x->n_via >= 2;
		if (!g->ua[party] || (firsthand && !g->ua_firsthand[party])) {
			free(g->ua[party]);
			g->ua[party] = field(sw);
			g->ua_firsthand[party] = firsthand;
		}
	}
	if (x->n_via && json_object_array_length(g->vias) < 8 && !v->retransmission) {
		/* Distinct Via chains: received=/rport= reveal NAT public addresses. */
		struct json_object *chain = json_object_new_array();
		for (size_t i = 0; i < x->n_via; i++)
			json_object_array_add(chain, json_object_new_string(x->via[i]));
		bool dup = false;
		for (size_t i = 0; i < json_object_array_length(g->vias) && !dup; i++)
			dup = json_object_equal(json_object_array_get_idx(g->vias, i), chain);
		if (dup)
			json_object_put(chain);
		else
			json_object_array_add(g->vias, chain);
	}
	for (size_t i = 0; i < x->n_rr && json_object_array_length(g->rr) < 8; i++) {
		bool dup = false;
		for (size_t k = 0; k < json_object_array_length(g->rr) && !dup; k++)
			dup = !strcmp(json_object_get_string(json_object_array_get_idx(g->rr, k)), x->record_route[i]);
		if (!dup)
			json_object_array_add(g->rr, json_object_new_string(x->record_route[i]));
	}
	if (v->retransmission)
		return g->index;

	const char *cm = v->cseq_method ? v->cseq_method : "";
	if (v->is_request) {
		if (!strcmp(v->method, "INVITE")) {
			if (!g->t_invite)
				g->t_invite = v->ts_ns;
			g->invite_cseq = v->cseq;
			g->invite_final = 0;
		} else if (!strcmp(v->method, "ACK")) {
			if (g->answered && !g->t_ack)
				g->t_ack = v->ts_ns;
		} else if (!strcmp(v->method, "BYE")) {
			if (!g->bye_seen) {
				g->bye_seen = true;
				g->t_bye = v->ts_ns;
				g->l_bye = d->ctx->life_ns;
				g->bye_by = party;
			}
		} else if (!strcmp(v->method, "CANCEL")) {
			g->cancelled = true;
			if (!g->t_cancel)
				g->t_cancel = v->ts_ns;
		} else if (!strcmp(v->method, "REGISTER")) {
			set_field(&g->aor, v->to_uri);
			if (x->contact)
				set_field(&g->contact, x->contact);
			if (x->expires)
				set_field(&g->expires, x->expires);
		}
		if ((!strcmp(v->method, "MESSAGE") || !strcmp(v->method, "INFO")) && v->body_len &&
		    json_object_array_length(g->texts) < 64) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "frame", json_object_new_int64((int64_t)v->frame));
			json_object_object_add(o, "method", json_object_new_string(v->method));
			json_object_object_add(o, "content_type", x->content_type ? json_object_new_string(x->content_type) : NULL);
			size_t bl = v->body_len < 2048 ? v->body_len : 2048;
			json_object_object_add(o, "body", json_object_new_string_len(v->body, (int)bl));
			json_object_array_add(g->texts, o);
		}
	} else {
		int st = v->status;
		if (!strcmp(cm, "INVITE") && v->cseq == g->invite_cseq) {
			if (st >= 180 && st < 200 && !g->t_18x)
				g->t_18x = v->ts_ns;
			if (st >= 200 && !g->invite_final) {
				g->invite_final = st;
				free(g->invite_reason);
				g->invite_reason = field(v->reason);
			}
			if (st >= 200 && st < 300 && !g->answered) {
				g->answered = true;
				g->t_200 = v->ts_ns;
			}
		} else if (!strcmp(cm, "BYE") && st >= 200 && !g->t_bye_ok) {
			g->t_bye_ok = v->ts_ns;
		}
		if (st >= 200 && g->kind && !strcmp(cm, g->kind) &&
		    (!g->first_final || g->first_final == 401 || g->first_final == 407)) {
			g->first_final = st;
			free(g->first_reason);
			g->first_reason = field(v->reason);
		}
		if (x->contact && !strcmp(cm, "REGISTER") && st >= 200 && st < 300) {
			free(g->contact);
			g->contact = field(x->contact);
		}
	}
	if (sdp)
		handle_sdp(d, g, v, x, party);
	/* a challenge (401/407) is expected to be answered with credentials */
	g->over = g->t_invite ? (g->answered ? g->t_bye_ok != 0 :
				 g->invite_final >= 300 && g->invite_final != 401 && g->invite_final != 407) :
		  ends_with_answer(g) && g->first_final >= 200 && g->first_final != 401 && g->first_final != 407;
	return g->index;
}

uint32_t
cx_dialogs_owned_live(const struct cx_dialogs *d)
{
	return d->owned_live;
}

uint64_t
cx_dialogs_owned_finished(const struct cx_dialogs *d)
{
	return d->owned_finished;
}

const char *
cx_dialogs_call_dir(struct cx_dialogs *d, const char *call_id)
{
	struct dialog *g = call_id ? find(d, call_id) : NULL;
	return g && g->dir[0] ? g->dir : NULL;
}

/* ---- results ---- */

static const char *
call_state(const struct dialog *g)
{
	if (g->answered)
		return g->bye_seen ? "completed" : "answered";
	if (g->cancelled || g->invite_final == 487)
		return "cancelled";
	if (g->invite_final >= 300)
		return (g->invite_final >= 500 && g->invite_final < 600) || g->invite_final == 408 ? "failed" : "rejected";
	if (g->t_18x)
		return "ringing";
	return g->n_msgs > 1 ? "incomplete" : "calling";
}

static const char *
other_state(const struct dialog *g)
{
	int st = g->first_final;
	if (!st)
		return "no-final-response";
	if (st < 300)
		return "accepted";
	if (st == 401 || st == 407)
		return "challenged";
	return "rejected";
}

static struct json_object *
jtime(const struct cx_ctx *ctx, int64_t ts)
{
	if (!ts)
		return NULL;
	struct json_object *o = json_object_new_object();
	char t[48];
	json_object_object_add(o, "utc", json_object_new_string(cx_time_utc(ts, t, sizeof(t))));
	json_object_object_add(o, "rel", json_object_new_double(cx_time_rel(ctx, ts)));
	return o;
}

static struct json_object *
jdur(int64_t a, int64_t b)
{
	if (!a || !b || b < a)
		return NULL;
	return json_object_new_double((double)(b - a) / 1e9);
}

static struct json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *
dialog_json(struct cx_dialogs *d, struct dialog *g)
{
	struct cx_ctx *ctx = d->ctx;
	struct json_object *o = json_object_new_object();
	char ep[CX_ADDR_STRLEN + 8];
	/* the id: the dialog's first frame (stable whatever else is captured) */
	json_object_object_add(o, "index", json_object_new_int64((int64_t)g->f_first));
	json_object_object_add(o, "call_id", json_object_new_string(g->call_id));
	if (g->continues)
		json_object_object_add(o, "continues", json_object_new_int64((int64_t)g->continues));
	json_object_object_add(o, "kind", jstr(g->kind));
	struct json_object *from = json_object_new_object();
	json_object_object_add(from, "uri", jstr(g->from_uri));
	json_object_object_add(from, "display_name", jstr(g->from_disp));
	json_object_object_add(from, "tag", jstr(g->from_tag));
	json_object_object_add(from, "address", json_object_new_string(cx_endpoint_str(&g->caller, g->caller_port, ep)));
	json_object_object_add(from, "software", jstr(g->ua[0]));
	json_object_object_add(o, "from", from);
	struct json_object *to = json_object_new_object();
	json_object_object_add(to, "uri", jstr(g->to_uri));
	json_object_object_add(to, "display_name", jstr(g->to_disp));
	struct json_object *tags = json_object_new_array();
	for (size_t i = 0; i < g->n_to_tags; i++)
		json_object_array_add(tags, json_object_new_string(g->to_tags[i]));
	json_object_object_add(to, "tags", tags);
	json_object_object_add(to, "software", jstr(g->ua[1]));
	json_object_object_add(o, "to", to);
	if (is_call(g)) {
		json_object_object_add(o, "state", json_object_new_string(call_state(g)));
		json_object_object_add(o, "final_status", g->invite_final ? json_object_new_int(g->invite_final) : NULL);
		json_object_object_add(o, "final_reason", jstr(g->invite_reason));
		json_object_object_add(o, "hung_up_by", g->bye_by < 0 ? NULL : json_object_new_string(g->bye_by ? "callee" : "caller"));
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "invite", jtime(ctx, g->t_invite));
		json_object_object_add(t, "first_18x", jtime(ctx, g->t_18x));
		json_object_object_add(t, "answer", jtime(ctx, g->t_200));
		json_object_object_add(t, "ack", jtime(ctx, g->t_ack));
		json_object_object_add(t, "cancel", jtime(ctx, g->t_cancel));
		json_object_object_add(t, "bye", jtime(ctx, g->t_bye));
		json_object_object_add(o, "times", t);
		json_object_object_add(o, "post_dial_delay", jdur(g->t_invite, g->t_18x));
		json_object_object_add(o, "setup_time", jdur(g->t_invite, g->t_200));
		json_object_object_add(o, "ring_time", jdur(g->t_18x, g->t_200 ? g->t_200 : (g->invite_final ? g->t_last : 0)));
		json_object_object_add(o, "talk_time", g->t_200 ? jdur(g->t_200, g->t_bye ? g->t_bye : g->t_last) : NULL);
		json_object_object_add(o, "folder", g->dir[0] ? json_object_new_string(g->dir) : NULL);
	} else {
		json_object_object_add(o, "state", json_object_new_string(other_state(g)));
		json_object_object_add(o, "final_status", g->first_final ? json_object_new_int(g->first_final) : NULL);
		json_object_object_add(o, "final_reason", jstr(g->first_reason));
	}
	if (g->kind && !strcmp(g->kind, "REGISTER")) {
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "aor", jstr(g->aor));
		json_object_object_add(r, "contact", jstr(g->contact));
		json_object_object_add(r, "expires", jstr(g->expires));
		json_object_object_add(r, "result", json_object_new_string(other_state(g)));
		json_object_object_add(o, "register", r);
	}
	json_object_object_add(o, "subject", jstr(g->subject));
	json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)g->f_first));
	json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)g->f_last));
	json_object_object_add(o, "start", jtime(ctx, g->t_first));
	json_object_object_add(o, "end", jtime(ctx, g->t_last));
	json_object_object_add(o, "message_count", json_object_new_int((int)g->n_msgs));
	json_object_object_add(o, "retransmissions", json_object_new_int((int)g->n_retrans));
	struct json_object *msgs = json_object_new_array();
	for (size_t i = 0; i < g->nm; i++) {
		struct msg_rec *r = &g->msgs[i];
		struct json_object *m = json_object_new_object();
		char t[48];
		json_object_object_add(m, "frame", json_object_new_int64((int64_t)r->frame));
		json_object_object_add(m, "time", json_object_new_string(cx_time_utc(r->ts, t, sizeof(t))));
		json_object_object_add(m, "rel", json_object_new_double(cx_time_rel(ctx, r->ts)));
		json_object_object_add(m, "src", json_object_new_string(cx_endpoint_str(&r->src, r->sport, ep)));
		json_object_object_add(m, "dst", json_object_new_string(cx_endpoint_str(&r->dst, r->dport, ep)));
		json_object_object_add(m, "transport", json_object_new_string(r->transport));
		if (r->req)
			json_object_object_add(m, "request", json_object_new_string(r->label));
		else
			json_object_object_add(m, "status", json_object_new_int(r->status));
		json_object_object_add(m, "summary", json_object_new_string(r->label));
		char cs[40];
		snprintf(cs, sizeof(cs), "%u %s", r->cseq, r->cseq_method);
		json_object_object_add(m, "cseq", json_object_new_string(cs));
		json_object_object_add(m, "sdp", json_object_new_boolean(r->sdp));
		json_object_object_add(m, "retransmission", json_object_new_boolean(r->retrans));
		json_object_object_add(m, "text", jstr(r->text));
		json_object_array_add(msgs, m);
	}
	json_object_object_add(o, "messages", msgs);
	json_object_object_add(o, "sdp", json_object_get(g->sdp));
	json_object_object_add(o, "media_endpoints", json_object_get(g->media));
	json_object_object_add(o, "via_chains", json_object_get(g->vias));
	json_object_object_add(o, "record_route", json_object_get(g->rr));
	if (json_object_array_length(g->texts))
		json_object_object_add(o, "bodies", json_object_get(g->texts));
	return o;
}

/* ---- call flow ---- */

#define MAX_COLS 6
#define COLW 28

static int
column(char cols[MAX_COLS][CX_ADDR_STRLEN + 8], int *n, const char *ep)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(cols[i], ep))
			return i;
	if (*n == MAX_COLS)
		return MAX_COLS - 1;
	snprintf(cols[*n], CX_ADDR_STRLEN + 8, "%s", ep);
	return (*n)++;
}


static void
write_flow(struct cx_dialogs *d, struct dialog *g)
{
	char cols[MAX_COLS][CX_ADDR_STRLEN + 8];
	int nc = 0, *a = calloc(g->nm + 1, sizeof(int)), *b = calloc(g->nm + 1, sizeof(int));
	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	char ep[CX_ADDR_STRLEN + 8];
	for (size_t i = 0; i < g->nm; i++) {
		a[i] = column(cols, &nc, cx_endpoint_str(&g->msgs[i].src, g->msgs[i].sport, ep));
		b[i] = column(cols, &nc, cx_endpoint_str(&g->msgs[i].dst, g->msgs[i].dport, ep));
	}
	char path[200];
	snprintf(path, sizeof(path), "%s/flow.txt", g->dir);
	FILE *f = cx_outdir_fopen(d->ctx->out, path, "w");
	if (f) {
		char cid[120];
		cx_printable(g->call_id, cid, sizeof(cid));
		fprintf(f, "Call-ID: %s\n\n%-22s", cid, "");
		for (int c = 0; c < nc; c++)
			fprintf(f, "%-*s", COLW, cols[c]);
		fprintf(f, "\n");
		for (size_t i = 0; i < g->nm; i++) {
			struct msg_rec *r = &g->msgs[i];
			char line[COLW * MAX_COLS + 2];
			memset(line, ' ', sizeof(line) - 1);
			line[sizeof(line) - 1] = '\0';
			for (int c = 0; c < nc; c++)
				line[c * COLW + 4] = '|';
			int lo = a[i] < b[i] ? a[i] : b[i], hi = a[i] < b[i] ? b[i] : a[i];
			int x0 = lo * COLW + 5, x1 = hi * COLW + 3;
			if (hi == lo)
				x1 = x0 + COLW - 6;
			for (int x = x0; x <= x1; x++)
				line[x] = '-';
			if (a[i] <= b[i] && hi != lo)
				line[x1] = '>';
			else
				line[x0] = '<';
			char label[96];
			snprintf(label, sizeof(label), "%s%s%s", r->label, r->sdp ? " (SDP)" : "", r->retrans ? " [rtx]" : "");
			char lab[64];
			cx_printable(label, lab, sizeof(lab));
			size_t ll = strlen(lab);
			int span = x1 - x0 - 1;
			if (span > 2) {
				if ((int)ll > span - 2)
					ll = (size_t)(span - 2);
				int start = x0 + 1 + (span - (int)ll) / 2;
				memcpy(line + start, lab, ll);
			}
			int end = nc * COLW;
			while (end > 0 && line[end - 1] == ' ')
				end--;
			line[end] = '\0';
			fprintf(f, "%10.6f #%-8llu %s\n", cx_time_rel(d->ctx, r->ts), (unsigned long long)r->frame, line);
		}
		if (g->n_msgs > g->nm)
			fprintf(f, "... %u more messages not drawn\n", g->n_msgs - (uint32_t)g->nm);
		fclose(f);
	}
	/* SVG: the same ladder. */
	snprintf(path, sizeof(path), "%s/flow.svg", g->dir);
	f = cx_outdir_fopen(d->ctx->out, path, "w");
	if (f) {
		int w = 160 + nc * 220, h = 80 + (int)g->nm * 28;
		fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"12\">\n", w, h);
		fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
		for (int c = 0; c < nc; c++) {
			int x = 220 + c * 220;
			char esc[CX_ADDR_STRLEN + 8];
			cx_printable(cols[c], esc, sizeof(esc));
			fprintf(f, "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n", x, esc);
			fprintf(f, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x, x, h - 10);
		}
		for (size_t i = 0; i < g->nm; i++) {
			struct msg_rec *r = &g->msgs[i];
			int y = 70 + (int)i * 28;
			int xa = 220 + a[i] * 220, xb = 220 + b[i] * 220;
			fprintf(f, "<text x=\"10\" y=\"%d\">%.3f #%llu</text>\n", y, cx_time_rel(d->ctx, r->ts), (unsigned long long)r->frame);
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", xa, y, xb, y, r->req ? "#0050a0" : "#a05000");
			int dirn = xb >= xa ? -1 : 1;
			fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\" fill=\"black\"/>\n", xb, y, xb + dirn * 8, y - 4, xb + dirn * 8, y + 4);
			char lab[64], esc[128];
			cx_printable(r->label, lab, sizeof(lab));
			size_t o = 0;
			for (const char *p = lab; *p && o + 6 < sizeof(esc); p++) {
				if (*p == '<') { memcpy(esc + o, "&lt;", 4); o += 4; }
				else if (*p == '>') { memcpy(esc + o, "&gt;", 4); o += 4; }
				else if (*p == '&') { memcpy(esc + o, "&amp;", 5); o += 5; }
				else esc[o++] = *p;
			}
			esc[o] = '\0';
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%s%s</text>\n", (xa + xb) / 2, y - 4, esc, r->sdp ? " (SDP)" : "", r->retrans ? " [rtx]" : "");
		}
		fprintf(f, "</svg>\n");
		fclose(f);
	}
	free(a);
	free(b);
}

/* media: the call's media lines as cx_media_describe_call gave them
 * (taken on the main thread before the streams were freed). */
static void
summary_section(struct cx_dialogs *d, struct dialog *g, const char *media)
{
	struct cx_ctx *ctx = d->ctx;
	char course[4096], title[400], cid[120], from[160], to[160], ua0[120] = "", ua1[120] = "";
	/* as they are: summary.c writes the text rule, report.json the JSON one */
	snprintf(cid, sizeof(cid), "%s", g->call_id);
	snprintf(from, sizeof(from), "%s", g->from_uri ? g->from_uri : "?");
	snprintf(to, sizeof(to), "%s", g->to_uri ? g->to_uri : "?");
	if (g->ua[0])
		snprintf(ua0, sizeof(ua0), "%s", g->ua[0]);
	if (g->ua[1])
		snprintf(ua1, sizeof(ua1), "%s", g->ua[1]);
	snprintf(title, sizeof(title), "SIP %s %llu: %s -> %s", is_call(g) ? "call" : (g->kind ? g->kind : "dialog"),
		 (unsigned long long)g->f_first, from, to);
	char ports[CX_CONV_MAX_PARTIES][48];
	struct cx_conv c = { .kind = is_call(g) ? "sip-call" : "sip", .title = title, .first_frame = g->f_first,
			     .last_frame = g->f_last, .start_ns = g->t_first, .end_ns = g->t_last,
			     .application = is_call(g) ? "SIP with SDP (signalling), RTP/RTCP (media)" : "SIP",
			     .transport = g->nm ? g->msgs[0].transport : "?",
			     .network = g->caller.family == 6 ? "IPv6" : "IPv4" };
	snprintf(ports[0], sizeof(ports[0]), "%u/%s, SIP", g->caller_port, c.transport);
	cx_conv_party(&c, "caller", &g->caller, ports[0]);
	/* Every other address of the dialog: one that receives requests and
	 * sends none of the dialog's first method (INVITE, REGISTER) is the far
	 * end (callee, registrar); one that also sends them on is a proxy. */
	for (size_t i = 0; i < g->nm && c.nparty < CX_CONV_MAX_PARTIES; i++) {
		const struct msg_rec *r = &g->msgs[i];
		const struct cx_addr *ad[2] = { &r->src, &r->dst };
		uint16_t pt[2] = { r->sport, r->dport };
		for (int k = 0; k < 2 && c.nparty < CX_CONV_MAX_PARTIES; k++) {
			if (cx_addr_eq(ad[k], &g->caller))
				continue;
			bool recv = false, relays = false;
			for (size_t j = 0; j < g->nm; j++) {
				recv |= g->msgs[j].req && cx_addr_eq(&g->msgs[j].dst, ad[k]);
				relays |= g->msgs[j].req && cx_addr_eq(&g->msgs[j].src, ad[k]) &&
					  !strcmp(g->msgs[j].cseq_method, g->msgs[0].cseq_method);
			}
			const char *role = recv && !relays ? (is_call(g) ? "callee" : "far end (registrar, server or peer)") :
					   recv ? "proxy (passes the requests on)" : "server or proxy on the path";
			size_t at = c.nparty;
			snprintf(ports[at], sizeof(ports[0]), "%u/%s, SIP", pt[k], c.transport);
			cx_conv_party(&c, role, ad[k], ports[at]);
		}
	}
	size_t o = 0;
	o += (size_t)snprintf(course + o, sizeof(course) - o, "Call-ID %s. %u messages (%u retransmissions).\n", cid,
			      g->n_msgs, g->n_retrans);
	if (ua0[0] || ua1[0])
		o += (size_t)snprintf(course + o, sizeof(course) - o, "Software: caller %s; answering side %s.\n",
				      ua0[0] ? ua0 : "not announced", ua1[0] ? ua1 : "not announced");
	if (is_call(g)) {
		o += (size_t)snprintf(course + o, sizeof(course) - o, "State %s", call_state(g));
		if (g->invite_final)
			o += (size_t)snprintf(course + o, sizeof(course) - o, ", final response %d", g->invite_final);
		if (g->t_200)
			o += (size_t)snprintf(course + o, sizeof(course) - o, ", answered after %.3f s", (double)(g->t_200 - g->t_invite) / 1e9);
		if (g->bye_by >= 0)
			o += (size_t)snprintf(course + o, sizeof(course) - o, ", hung up by the %s after %.3f s of talk",
					      g->bye_by ? "callee" : "caller", g->t_200 ? (double)(g->t_bye - g->t_200) / 1e9 : 0.0);
		o += (size_t)snprintf(course + o, sizeof(course) - o, ".\nMedia announced in SDP: %zu endpoint(s). Folder %s (call.json, flow.txt, flow.svg).\n",
				      json_object_array_length(g->media), g->dir[0] ? g->dir : "-");
		/* the media lines, as many as fit (as describing into the
		 * rest of the buffer would have) */
		size_t n = sizeof(course) - (o < sizeof(course) ? o : sizeof(course)), k = 0;
		for (const char *l = media; l && *l && o < sizeof(course) && k + 300 < n;) {
			const char *e = strchr(l, '\n');
			size_t len = e ? (size_t)(e - l) + 1 : strlen(l);
			if (len > sizeof(course) - o - 1)
				len = sizeof(course) - o - 1;
			memcpy(course + o, l, len);
			o += len;
			k += len;
			course[o] = '\0';
			l += len;
		}
		if (o >= sizeof(course))
			o = sizeof(course) - 1;
	} else {
		o += (size_t)snprintf(course + o, sizeof(course) - o, "%s", other_state(g));
		if (g->first_final && o < sizeof(course))
			o += (size_t)snprintf(course + o, sizeof(course) - o, " (final %d)", g->first_final);
		if (o < sizeof(course))
			snprintf(course + o, sizeof(course) - o, ".\n");
	}
	bool tls = g->nm && (!strncmp(g->msgs[0].transport, "TLS", 3) || !strcmp(g->msgs[0].transport, "WSS"));
	bool srtp = strstr(json_object_to_json_string(g->sdp), "SAVP") != NULL;
	char prot[400], data[300];
	snprintf(prot, sizeof(prot), "%s; media %s",
		 tls ? "TLS" : "none: signalling is cleartext SIP, readable and modifiable by anyone on the path",
		 !is_call(g) ? "none" : srtp && g->sdes_reported ?
		 "SRTP, but its SDES keys (a=crypto) are in this cleartext SIP: decrypted (see the media lines)" :
		 srtp && g->sdes_tls_reported ?
		 "SRTP, its SDES keys (a=crypto) inside the TLS-protected SIP: opened with the TLS key log, decrypted (see the media lines)" :
		 srtp ? "offered as SRTP (RTP/SAVP): content not readable without the keys" :
		 "plain RTP: the audio can be listened to and altered");
	snprintf(data, sizeof(data), "%s%s",
		 is_call(g) ? "SIP messages with SDP bodies; RTP audio (see the media lines; WAV files in the folder)" :
		 g->kind && !strcmp(g->kind, "MESSAGE") ? "SIP messages carrying text (in call.json)" : "SIP messages",
		 g->n_auth ? "; digest authentication (see auth, credentials/)" : "");
	c.course = course;
	c.protection = prot;
	c.data = data;
	cx_summary_conv_spill(ctx->summary, g->index, &c);
}

/* summary.txt: every call on one line, ahead of the per-conversation
 * sections (the table sorts at the time of the first dialog). */
static const char calls_heading_fmt[] = "== Calls ==\n%-5s %-10s %-11s %-5s %-9s %-28s %-28s %s\n";

static void
calls_row(struct cx_dialogs *d, const struct dialog *g)
{
	char from[29], to[29], cid[64], fr[24], row[400];
	cx_printable(g->from_uri ? g->from_uri : "?", from, sizeof(from));
	cx_printable(g->to_uri ? g->to_uri : "?", to, sizeof(to));
	cx_printable(g->call_id, cid, sizeof(cid));
	snprintf(fr, sizeof(fr), "%llu-%llu", (unsigned long long)g->f_first, (unsigned long long)g->f_last);
	double talk = g->t_200 ? (double)((g->t_bye ? g->t_bye : g->t_last) - g->t_200) / 1e9 : 0;
	snprintf(row, sizeof(row), "%-5llu %-10s %-11s %-5d %-9.2f %-28s %-28s %s\n", (unsigned long long)g->f_first, fr, call_state(g),
		 g->invite_final, talk, from, to, cid);
	cx_summary_table_row(d->ctx->summary, g->index, row);
}

static void
unlink_live(struct cx_dialogs *d, struct dialog *g)
{
	d->owned_live -= g->owned;
	if (g->lprev)
		g->lprev->lnext = g->lnext;
	else
		d->live = g->lnext;
	if (g->lnext)
		g->lnext->lprev = g->lprev;
	else
		d->live_tail = g->lprev;
	for (struct dialog **pp = &d->buckets[hash_str(g->call_id) & (NBUCKETS - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	}
	if (d->last == g)
		d->last = NULL;
}

/* What the finisher needs of a finished dialog: the dialog itself
 * (detached from every table) and its media lines. */
struct finish_job {
	struct cx_dialogs *d;
	struct dialog *g;
	char *media;
};

/* On the finisher's thread: the dialog's report entry, its folder
 * (flow.txt, flow.svg, call.json), its conversation and calls-table row. */
static void
finish_run(void *arg)
{
	struct finish_job *j = arg;
	struct cx_dialogs *d = j->d;
	struct dialog *g = j->g;
	struct cx_ctx *ctx = d->ctx;
	struct json_object *o = dialog_json(d, g);
	const char *t = cx_json_pretty(o);
	if (d->report)
		cx_spill_put(d->report, g->index, t, strlen(t));
	if (g->dir[0])
		write_flow(d, g);
	summary_section(d, g, j->media);
	if (is_call(g))
		calls_row(d, g);
	if (g->dir[0]) {
		/* call.json last, behind the WAVs' closing in the writers' queue:
		 * once it is on disk the call's folder is complete, even if the
		 * process is killed right after */
		char path[200];
		snprintf(path, sizeof(path), "%s/call.json", g->dir);
		const char *jt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t ul;
		char *u = cx_json_utf8(jt, strlen(jt), &ul); /* valid UTF-8, as report.json */
		cx_media_call_text(ctx->media, path, u ? u : jt);
		free(u);
	}
	json_object_put(o);
	free_dialog(g);
	free(j->media);
	free(j);
}

/* The end of a dialog's life: its media played out and closed and its
 * streams' entries spilled (here, on the main thread, which owns the
 * media tables), its digest exchanges handed on, a tomb left for late
 * messages; then the finisher writes the rest out and frees it. */
static void
finish_dialog(struct cx_dialogs *d, struct dialog *g, int64_t now)
{
	struct cx_ctx *ctx = d->ctx;
	cx_media_call_flush(ctx->media, g->index);
	cx_callpcap_call_close(ctx->cpcap, g->index); /* queued before call.json */
	struct finish_job *j = calloc(1, sizeof(*j));
	char *media = is_call(g) ? malloc(4096) : NULL;
	if (media) {
		size_t n = cx_media_describe_call(ctx->media, g->index, media, 4096);
		media[n < 4096 ? n : 4095] = '\0';
	}
	cx_media_call_done(ctx->media, g->index, now);
	cx_auth_dialog_done(ctx->auth, g->call_id);
	tomb_add(d, g, now);
	unlink_live(d, g);
	(*d->finished)++;
	d->owned_finished += g->owned;
	if (!j) {
		free(media);
		free_dialog(g); /* out of memory: the call's outputs are lost */
		cx_stats_add(ctx->stats, "error.lifecycle.out_of_memory", 1);
		return;
	}
	j->d = d;
	j->g = g;
	j->media = media;
	cx_finisher_submit(ctx->fin, finish_run, j);
}

void
cx_dialogs_note_auth(struct cx_dialogs *d, size_t answers)
{
	if (d->last)
		d->last->n_auth += (uint32_t)answers;
}

void
cx_dialogs_tick(struct cx_dialogs *d, int64_t now)
{
	int64_t linger = (int64_t)d->ctx->cfg->linger_ms * 1000000LL;
	int64_t idle = (int64_t)d->ctx->cfg->call_idle_s * 1000000000LL;
	for (struct dialog *g = d->live, *n; g; g = n) {
		n = g->lnext;
		int64_t last = g->l_last;
		int64_t m = cx_media_call_last(d->ctx->media, g->index);
		if (m > last)
			last = m;
		bool over = g->over || (g->bye_seen && now - g->l_bye > BYE_TIMEOUT_NS);
		/* a request still unanswered may be retransmitted for 32 s
		 * (RFC 3261 timer F): wait that long for the last one */
		int64_t wait = g->l_pend && linger < BYE_TIMEOUT_NS ? BYE_TIMEOUT_NS : linger;
		if ((over && now - last >= wait) || (idle && now - last >= idle))
			finish_dialog(d, g, now);
	}
	tomb_expire(d, now);
}

int
cx_dialogs_begin(struct cx_dialogs *d)
{
	d->report = cx_spill_new(d->ctx->out, "dialogs");
	return d->report ? 0 : -1;
}

void
cx_dialogs_finish(struct cx_dialogs *d)
{
	/* every dialog still open at the end of the capture */
	while (d->live)
		finish_dialog(d, d->live, d->ctx->life_ns);
	cx_finisher_sync(d->ctx->fin); /* the spills are read from here on */
	char head[300];
	snprintf(head, sizeof(head), calls_heading_fmt, "#", "frames", "state", "final", "talk(s)", "from", "to",
		 "call-id");
	if (d->n)
		cx_summary_table(d->ctx->summary, d->first_t - 1, 0, head);
}

void
cx_dialogs_report_stream(struct cx_dialogs *d, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "dialogs", true);
	for (uint64_t i = 1; i < cx_spill_slots(d->report); i++) {
		size_t len;
		const char *t = cx_spill_get(d->report, i, &len);
		if (t)
			cx_jsonw_element_text(w, t, len);
	}
	cx_jsonw_end(w, true);
}
