/* FTP: the control channel (commands, single- and multi-line replies,
 * USER/PASS with the server's verdict, banner/SYST/CLNT software, TYPE,
 * CWD) and the data connections announced by PASV/EPSV/PORT/EPRT, whose
 * bytes are written to DIR/ftp/ under a sanitised name with size, SHA-256
 * and a completeness flag. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/around.h"
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/names.h"
#include "callextract/outdir.h"
#include "callextract/summary.h"
#include "callextract/tcp.h"
#include "util/text.h"

#define LINE_MAX_FTP 4096
#define MAX_CMDS 500
/* Control sessions and data transfers kept; more are counted in
 * report.json "ftp_dropped" (a top-level key present only when something
 * was dropped). A dropped data connection is still claimed, its bytes
 * ignored. */
#define MAX_SESSIONS 10000
#define MAX_TRANSFERS 50000
#define MAX_PENDING_DATA (4u << 20)
/* Sessions waiting for a data connection, by the announced endpoint. */
#define DATA_BUCKETS 4096

/* c->user of a control connection beyond MAX_SESSIONS: counted once. */
static char dropped_session;
#define DROPPED_SESSION ((void *)&dropped_session)

struct transfer;

struct session {
	uint32_t index;
	struct cx_addr client, server;
	uint16_t cport, sport;
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;
	char line[2][LINE_MAX_FTP];
	size_t ll[2];
	bool overlong[2];
	char *user, *pass, *banner, *syst, *clnt, *type;
	char feat[400];            /* the FEAT answer's features, space-separated */
	bool feat_asked;
	int login;                 /* 0 unknown, reply code to PASS otherwise */
	int early_login_reply;     /* 230/530 seen before PASS (capture order across directions) */
	int64_t early_ts;
	bool data_passive;         /* the data endpoint came from 227/229 */
	uint64_t pass_frame;
	bool awaiting_pass_reply;
	/* the data endpoint announced last, and the command that will use it */
	struct cx_addr data_addr;
	uint16_t data_port;
	bool data_expected;
	char pending_cmd[8];
	char *pending_arg;
	struct transfer *open_xfer; /* claimed data connection waiting for its command */
	struct transfer *last_xfer; /* the transfer the next 226/426 reply concludes */
	int multiline;             /* code of an open multi-line reply */
	struct json_object *cmds;
	uint32_t ncmds;
	bool closed;
	bool owned;                /* a shard's own session (shard mode) */
	/* in the index of expected data endpoints while data_expected */
	struct session *dnext, **dprev;
	struct transfer *xfirst, *xlast; /* its transfers, in order */
};

struct transfer {
	uint32_t index;
	struct session *s;
	char cmd[8];
	char *name;                /* as sent, may be hostile */
	char path[200];            /* relative, "" until known */
	FILE *f;
	uint8_t *pending;          /* bytes that came before the command */
	size_t npending;
	uint64_t bytes, gap;
	EVP_MD_CTX *sha;
	char sha_hex[65];
	uint64_t first_frame, last_frame;
	int64_t first_ts;
	int reply;                 /* 226/250 complete, 426/451... aborted */
	bool conn_closed, active_mode;
	bool owned_open;           /* of an owned session, its connection still open */
	struct cx_tcp_conn *conn;
	struct transfer *snext;    /* the session's next transfer */
};

struct cx_ftp {
	struct cx_ctx *ctx;
	struct session **s;
	size_t ns, caps;
	struct transfer **x;
	size_t nx, capx;
	struct session *dhead[DATA_BUCKETS];
	uint64_t drop_sessions, drop_transfers;
	uint32_t owned_open;       /* shard mode: own sessions and their transfers still open */
};

struct cx_ftp *
cx_ftp_new(struct cx_ctx *ctx)
{
	struct cx_ftp *f = calloc(1, sizeof(*f));
	if (f)
		f->ctx = ctx;
	return f;
}

static void
xfer_close_file(struct transfer *t)
{
	if (t->f) {
		fclose(t->f);
		t->f = NULL;
	}
	if (t->sha) {
		unsigned char h[32];
		unsigned int hl = 0;
		EVP_DigestFinal_ex(t->sha, h, &hl);
		cx_hex(h, hl, t->sha_hex);
		EVP_MD_CTX_free(t->sha);
		t->sha = NULL;
	}
}

void
cx_ftp_free(struct cx_ftp *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nx; i++) {
		xfer_close_file(f->x[i]);
		free(f->x[i]->name);
		free(f->x[i]->pending);
		free(f->x[i]);
	}
	for (size_t i = 0; i < f->ns; i++) {
		struct session *s = f->s[i];
		free(s->user);
		free(s->pass);
		free(s->banner);
		free(s->syst);
		free(s->clnt);
		free(s->type);
		free(s->pending_arg);
		json_object_put(s->cmds);
		free(s);
	}
	free(f->s);
	free(f->x);
	free(f);
}

bool
cx_ftp_looks_like(const struct cx_tcp_conn *c, int dir, const uint8_t *first, size_t len)
{
	if (c->port[1] == 21)
		return true;
	return dir == 1 && len >= 4 && !memcmp(first, "220", 3) && (first[3] == ' ' || first[3] == '-');
}

/* ---- data connections ---- */

static size_t
data_bucket(const struct cx_addr *a, uint16_t port)
{
	uint64_t h = 1469598103934665603ULL ^ port;
	h = (h ^ a->family) * 1099511628211ULL;
	for (int k = 0; k < (a->family == 4 ? 4 : 16); k++)
		h = (h ^ a->a[k]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)((h ^ (h >> 32)) % DATA_BUCKETS);
}

/* Files s under the endpoint it now expects a data connection at, or
 * takes it out of the index; called whenever that may have changed. */
static void
data_index(struct cx_ftp *f, struct session *s)
{
	if (s->dprev) {
		*s->dprev = s->dnext;
		if (s->dnext)
			s->dnext->dprev = s->dprev;
		s->dnext = NULL;
		s->dprev = NULL;
	}
	if (!s->data_expected || s->closed)
		return;
	struct session **b = &f->dhead[data_bucket(&s->data_addr, s->data_port)];
	s->dnext = *b;
	if (*b)
		(*b)->dprev = &s->dnext;
	s->dprev = b;
	*b = s;
}

bool
cx_ftp_claim_data(struct cx_ftp *f, const struct cx_tcp_conn *c)
{
	/* the newest session expecting this endpoint */
	struct session *s = NULL;
	for (struct session *o = f->dhead[data_bucket(&c->addr[1], c->port[1])]; o; o = o->dnext)
		if (o->data_expected && !o->closed && c->port[1] == o->data_port &&
		    cx_addr_eq(&c->addr[1], &o->data_addr) && (!s || o->index > s->index))
			s = o;
	if (!s)
		return false;
	if (f->nx >= MAX_TRANSFERS) {
		/* claimed all the same, so that no one else reads its bytes */
		f->drop_transfers++;
		s->data_expected = false;
		data_index(f, s);
		s->pending_cmd[0] = '\0';
		free(s->pending_arg);
		s->pending_arg = NULL;
		((struct cx_tcp_conn *)c)->user = NULL;
		cx_stats_add(f->ctx->stats, "proto.ftp_data", 1);
		return true;
	}
	struct transfer *t = calloc(1, sizeof(*t));
	if (!t)
		return false;
	if (cx_grow(&f->x, &f->capx, f->nx, sizeof(*f->x)) < 0) {
		free(t);
		return false;
	}
	f->x[f->nx++] = t;
	t->index = (uint32_t)f->nx;
	t->s = s;
	if (s->xlast)
		s->xlast->snext = t;
	else
		s->xfirst = t;
	s->xlast = t;
	t->first_frame = c->first_frame;
	t->first_ts = c->first_ts_ns;
	t->active_mode = !s->data_passive;
	if (s->owned) {
		t->owned_open = true;
		f->owned_open++;
	}
	t->sha = EVP_MD_CTX_new();
	if (t->sha)
		EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL);
	((struct cx_tcp_conn *)c)->user = t;
	t->conn = (struct cx_tcp_conn *)c;
	s->data_expected = false;
	data_index(f, s);
	if (s->pending_cmd[0]) {
		/* the command came before the connection (active mode) */
		snprintf(t->cmd, sizeof(t->cmd), "%s", s->pending_cmd);
		t->name = s->pending_arg;
		s->pending_arg = NULL;
		s->pending_cmd[0] = '\0';
		s->last_xfer = t;
	} else {
		s->open_xfer = t;
	}
	cx_stats_add(f->ctx->stats, "proto.ftp_data", 1);
	return true;
}

static void
xfer_open(struct cx_ftp *f, struct transfer *t)
{
	if (t->path[0])
		return;
	char safe[110];
	const char *name = t->name && *t->name ? t->name : (strcmp(t->cmd, "LIST") && strcmp(t->cmd, "NLST") && strcmp(t->cmd, "MLSD") ? "unnamed" : "listing");
	/* the base name only: a path in the argument is not a place to write */
	const char *base = strrchr(name, '/');
	base = base && base[1] ? base + 1 : name;
	cx_sanitize_name(base, strlen(base), safe, sizeof(safe));
	/* by its first frame: the same name in a shard as in the whole capture */
	snprintf(t->path, sizeof(t->path), "ftp/%010llu-%s-%s", (unsigned long long)t->first_frame, t->cmd[0] ? t->cmd : "DATA", safe);
	t->f = cx_outdir_fopen(f->ctx->out, t->path, "wb");
	if (!t->f)
		cx_log(f->ctx, CX_LOG_WARN, "cannot write %s", t->path);
	if (t->npending && t->f)
		fwrite(t->pending, 1, t->npending, t->f);
	free(t->pending);
	t->pending = NULL;
	t->npending = 0;
}

static void
xfer_data(struct cx_ftp *f, struct transfer *t, uint64_t frame, const uint8_t *d, size_t n)
{
	t->bytes += n;
	t->last_frame = frame;
	if (t->sha)
		EVP_DigestUpdate(t->sha, d, n);
	if (t->path[0]) {
		if (t->f)
			fwrite(d, 1, n, t->f);
		return;
	}
	/* the command naming this transfer has not been seen yet */
	if (t->npending + n > MAX_PENDING_DATA) {
		xfer_open(f, t);
		if (t->f)
			fwrite(d, 1, n, t->f);
		return;
	}
	uint8_t *nb = realloc(t->pending, t->npending + n);
	if (!nb)
		return;
	t->pending = nb;
	memcpy(t->pending + t->npending, d, n);
	t->npending += n;
}

/* ---- control channel ---- */

static struct session *
session_of(struct cx_ftp *f, struct cx_tcp_conn *c)
{
	struct session *s = c->user;
	if (s == DROPPED_SESSION)
		return NULL;
	if (s)
		return s;
	if (f->ns >= MAX_SESSIONS) {
		f->drop_sessions++;
		c->user = DROPPED_SESSION;
		return NULL;
	}
	if (cx_grow(&f->s, &f->caps, f->ns, sizeof(*f->s)) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	f->s[f->ns++] = s;
	s->index = (uint32_t)f->ns;
	s->client = c->addr[0];
	s->cport = c->port[0];
	s->server = c->addr[1];
	s->sport = c->port[1];
	s->first_frame = c->first_frame;
	s->first_ts = c->first_ts_ns;
	if (f->ctx->cfg->shard.on && cx_config_owns(f->ctx->cfg, s->first_frame)) {
		s->owned = true;
		f->owned_open++;
	}
	s->cmds = json_object_new_array();
	c->user = s;
	cx_stats_add(f->ctx->stats, "proto.ftp", 1);
	return s;
}

static void
hostile_name(struct cx_ftp *f, uint64_t frame, const char *arg)
{
	bool bad = strlen(arg) > 100 || strstr(arg, "..") || strchr(arg, '/') || strchr(arg, '\\');
	for (const unsigned char *p = (const unsigned char *)arg; *p && !bad; p++)
		bad = *p < 0x20 || *p == 0x7f;
	if (bad)
		cx_findings_add(f->ctx->findings, CX_SEV_MEDIUM, "ftp.suspicious_name", frame,
				"FTP file name with a path, \"..\", control bytes or excessive length: \"%.120s\"; saved under a sanitised name",
				arg);
}

static void
record(struct session *s, uint64_t frame, int64_t ts, const char *who, const char *text)
{
	s->ncmds++;
	if (json_object_array_length(s->cmds) >= MAX_CMDS)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)frame));
	(void)ts;
	json_object_object_add(o, who, json_object_new_string(text));
	json_object_array_add(s->cmds, o);
}


/* "h1,h2,h3,h4,p1,p2" (PORT, 227 reply) */
static bool
parse_hostport(const char *s, struct cx_addr *a, uint16_t *port)
{
	unsigned v[6];
	while (*s && !isdigit((unsigned char)*s))
		s++;
	if (sscanf(s, "%u,%u,%u,%u,%u,%u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (v[i] > 255)
			return false;
	memset(a, 0, sizeof(*a));
	a->family = 4;
	for (int i = 0; i < 4; i++)
		a->a[i] = (uint8_t)v[i];
	*port = (uint16_t)(v[4] * 256 + v[5]);
	return true;
}

static void
on_command(struct cx_ftp *f, struct session *s, uint64_t frame, int64_t ts, char *line)
{
	char cmd[8] = "";
	size_t k = 0;
	while (line[k] && line[k] != ' ' && k < 7) {
		cmd[k] = (char)toupper((unsigned char)line[k]);
		k++;
	}
	cmd[k] = '\0';
	const char *arg = line[k] == ' ' ? line + k + 1 : "";
	char shown[LINE_MAX_FTP];
	snprintf(shown, sizeof(shown), "%s", line); /* as it is: escaped where written */
	if (!strcmp(cmd, "PASS"))
		snprintf(shown, sizeof(shown), "PASS %s", arg); /* kept: the audit needs it */
	record(s, frame, ts, "command", shown);
	if (!strcmp(cmd, "USER")) {
		free(s->user);
		s->user = strdup(arg);
	} else if (!strcmp(cmd, "PASS")) {
		free(s->pass);
		s->pass = strdup(arg);
		s->pass_frame = frame;
		s->awaiting_pass_reply = true;
		if (s->early_login_reply) {
			/* the reply was captured before the command: the two directions
			 * of a connection are only ordered by the capture's clock */
			s->awaiting_pass_reply = false;
			s->login = s->early_login_reply;
			cx_auth_add_cleartext(f->ctx->auth, "ftp", s->user, s->pass,
					      s->login == 230 ? "accepted" : s->login == 530 ? "rejected" : "unknown",
					      frame, s->early_ts, &s->client, s->cport, &s->server, s->sport);
			s->early_login_reply = 0;
		}
	} else if (!strcmp(cmd, "FEAT")) {
		s->feat_asked = true;
	} else if (!strcmp(cmd, "CLNT")) {
		free(s->clnt);
		s->clnt = strdup(arg);
		cx_names_add_software(f->ctx->names, &s->client, "ftp-clnt", arg);
	} else if (!strcmp(cmd, "TYPE")) {
		free(s->type);
		s->type = strdup(arg);
	} else if (!strcmp(cmd, "PORT")) {
		s->data_expected = parse_hostport(arg, &s->data_addr, &s->data_port);
		s->data_passive = false;
	} else if (!strcmp(cmd, "EPRT")) {
		/* |1|132.235.1.2|6275| or |2|::1|6275| */
		char d = arg[0], addr[64] = "";
		unsigned port = 0;
		/* split on the delimiter by hand: |proto|addr|port| */
		const char *p1 = d ? strchr(arg + 1, d) : NULL;
		const char *p2 = p1 ? strchr(p1 + 1, d) : NULL;
		if (p1 && p2 && (size_t)(p2 - p1 - 1) < sizeof(addr)) {
			memcpy(addr, p1 + 1, (size_t)(p2 - p1 - 1));
			addr[p2 - p1 - 1] = '\0';
			port = (unsigned)strtoul(p2 + 1, NULL, 10);
		}
		if (p2 && port && port < 65536 && cx_addr_parse(addr, &s->data_addr) == 0) {
			s->data_port = (uint16_t)port;
			s->data_expected = true;
			s->data_passive = false;
		}
	} else if (!strcmp(cmd, "RETR") || !strcmp(cmd, "STOR") || !strcmp(cmd, "STOU") ||
		   !strcmp(cmd, "APPE") || !strcmp(cmd, "LIST") || !strcmp(cmd, "NLST") ||
		   !strcmp(cmd, "MLSD")) {
		if (*arg)
			hostile_name(f, frame, arg);
		struct transfer *t = s->open_xfer;
		if (t) {
			snprintf(t->cmd, sizeof(t->cmd), "%s", cmd);
			t->name = strdup(arg);
			s->open_xfer = NULL;
			s->last_xfer = t;
			xfer_open(f, t);
		} else {
			snprintf(s->pending_cmd, sizeof(s->pending_cmd), "%s", cmd);
			free(s->pending_arg);
			s->pending_arg = strdup(arg);
		}
	}
	data_index(f, s);
}

static void
on_reply(struct cx_ftp *f, struct session *s, uint64_t frame, int64_t ts, char *line)
{
	char shown[LINE_MAX_FTP];
	snprintf(shown, sizeof(shown), "%s", line);
	int code = (isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]))
			   ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
	if (s->multiline) {
		/* inside a multi-line reply: it ends with "code " */
		record(s, frame, ts, "reply", shown);
		if (code == s->multiline && line[3] == ' ') {
			s->multiline = 0;
			s->feat_asked = false;
		} else if (s->multiline == 211 && s->feat_asked) {
			/* one feature per line, after a space */
			const char *ft = shown;
			while (*ft == ' ')
				ft++;
			size_t o = strlen(s->feat);
			if (*ft && o + strlen(ft) + 2 < sizeof(s->feat))
				snprintf(s->feat + o, sizeof(s->feat) - o, "%s%s", o ? " " : "", ft);
		}
		return;
	}
	record(s, frame, ts, "reply", shown);
	if (!code)
		return;
	if (line[3] == '-')
		s->multiline = code;
	const char *text = line[3] ? line + 4 : "";
	if (code == 220 && !s->banner) {
		s->banner = strdup(text);
		cx_names_add_software(f->ctx->names, &s->server, "ftp-banner", text);
	} else if (code == 215 && !s->syst) {
		s->syst = strdup(text);
		cx_names_add_software(f->ctx->names, &s->server, "ftp-syst", text);
	} else if (code == 227) {
		s->data_expected = parse_hostport(text, &s->data_addr, &s->data_port);
		s->data_passive = true;
	} else if (code == 229) {
		/* (|||6446|) : same host as the control connection */
		const char *p = strchr(text, '(');
		unsigned port;
		if (p && sscanf(p + 1, "%*c%*c%*c%u", &port) == 1 && port < 65536) {
			s->data_addr = s->server;
			s->data_port = (uint16_t)port;
			s->data_expected = true;
			s->data_passive = true;
		}
	}
	if (!s->awaiting_pass_reply && s->user && !s->pass && (code == 230 || code == 530)) {
		s->early_login_reply = code;
		s->early_ts = ts;
	}
	if (s->awaiting_pass_reply && code >= 200) {
		s->awaiting_pass_reply = false;
		s->login = code;
		cx_auth_add_cleartext(f->ctx->auth, "ftp", s->user, s->pass,
				      code == 230 ? "accepted" : code == 530 ? "rejected" : "unknown",
				      s->pass_frame, ts, &s->client, s->cport, &s->server, s->sport);
	}
	if (s->last_xfer && (code == 226 || code == 250 || code >= 400)) {
		s->last_xfer->reply = code;
		s->last_xfer = NULL;
	}
	data_index(f, s);
}

void
cx_ftp_tcp_data(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *data, size_t len)
{
	if (c->owner == CX_TCP_FTP_DATA) {
		struct transfer *t = c->user;
		if (t)
			xfer_data(f, t, frame, data, len);
		return;
	}
	struct session *s = session_of(f, c);
	if (!s)
		return;
	s->last_frame = frame;
	s->last_ts = ts;
	for (size_t i = 0; i < len; i++) {
		char ch = (char)data[i];
		if (ch == '\n') {
			size_t l = s->ll[dir];
			if (l && s->line[dir][l - 1] == '\r')
				l--;
			s->line[dir][l] = '\0';
			if (s->overlong[dir])
				cx_findings_add(f->ctx->findings, CX_SEV_LOW, "ftp.long_line", frame,
						"FTP control line longer than %d bytes (cut)", LINE_MAX_FTP);
			if (dir == 0)
				on_command(f, s, frame, ts, s->line[dir]);
			else
				on_reply(f, s, frame, ts, s->line[dir]);
			s->ll[dir] = 0;
			s->overlong[dir] = false;
		} else if (s->ll[dir] + 1 < LINE_MAX_FTP) {
			s->line[dir][s->ll[dir]++] = ch ? ch : '?';
		} else {
			s->overlong[dir] = true;
		}
	}
}

void
cx_ftp_tcp_gap(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	(void)f;
	(void)dir;
	if (c->owner == CX_TCP_FTP_DATA && c->user)
		((struct transfer *)c->user)->gap += missing;
}

void
cx_ftp_tcp_close(struct cx_ftp *f, struct cx_tcp_conn *c)
{
	if (c->owner == CX_TCP_FTP_DATA) {
		struct transfer *t = c->user;
		if (t) {
			t->conn_closed = c->closed[0] && c->closed[1];
			t->conn = NULL;
			if (t->owned_open) {
				t->owned_open = false;
				f->owned_open--;
			}
			if (!t->path[0])
				xfer_open(f, t);
			xfer_close_file(t);
			if (t->s->open_xfer == t)
				t->s->open_xfer = NULL;
		}
		return;
	}
	struct session *s = c->user;
	if (s == DROPPED_SESSION) {
		c->user = NULL;
		return;
	}
	if (s) {
		if (s->owned && !s->closed)
			f->owned_open--;
		s->closed = true;
		data_index(f, s);
	}
}

void
cx_ftp_finish(struct cx_ftp *f)
{
	for (size_t i = 0; i < f->nx; i++) {
		struct transfer *t = f->x[i];
		if (!t->path[0])
			xfer_open(f, t);
		xfer_close_file(t);
		bool complete = t->gap == 0 && (t->reply == 226 || t->reply == 250);
		if (!complete)
			cx_findings_add(f->ctx->findings, CX_SEV_INFO, "ftp.incomplete_transfer", t->first_frame,
					"FTP %s transfer %s is incomplete (%s)", t->cmd, t->path,
					t->gap ? "bytes missing from the capture" : t->reply ? "the server reported a failure" : "no completion reply seen");
	}
	for (size_t i = 0; i < f->ns; i++) {
		struct session *s = f->s[i];
		char course[4096], title[300], a[CX_ADDR_STRLEN], b[CX_ADDR_STRLEN], u[80] = "", banner[120] = "";
		char cport[32], sport[32], data[400];
		cx_addr_str(&s->client, a);
		cx_addr_str(&s->server, b);
		if (s->user)
			snprintf(u, sizeof(u), "%s", s->user);
		if (s->banner)
			snprintf(banner, sizeof(banner), "%s", s->banner);
		snprintf(title, sizeof(title), "FTP session %llu: %s -> %s", (unsigned long long)s->first_frame, a, b);
		snprintf(cport, sizeof(cport), "%u/tcp, control", s->cport);
		snprintf(sport, sizeof(sport), "%u/tcp, control", s->sport);
		struct cx_conv c = { .kind = "ftp", .title = title, .first_frame = s->first_frame,
				     .last_frame = s->last_frame, .start_ns = s->first_ts, .end_ns = s->last_ts,
				     .application = "FTP (control and data connections)", .transport = "TCP",
				     .network = s->client.family == 6 ? "IPv6" : "IPv4",
				     .protection = "none: FTP sends commands, credentials and file contents in clear text; all of it can be read and modified on the path" };
		cx_conv_party(&c, "client", &s->client, cport);
		cx_conv_party(&c, "server", &s->server, sport);
		size_t o = (size_t)snprintf(course, sizeof(course), "Server banner \"%s\". Login: user \"%s\" %s.\n", banner, u,
					    s->login == 230 ? "accepted" : s->login ? "rejected" : "(no verdict seen)");
		if (s->syst || s->feat[0] || s->clnt) {
			char sy[120] = "", cl[120] = "";
			if (s->syst)
				snprintf(sy, sizeof(sy), "%s", s->syst);
			if (s->clnt)
				snprintf(cl, sizeof(cl), "%s", s->clnt);
			o += (size_t)snprintf(course + o, sizeof(course) - o, "Server system \"%s\"; features: %s; client announced \"%s\".\n",
					      sy[0] ? sy : "not asked", s->feat[0] ? s->feat : "not asked", cl[0] ? cl : "nothing (no CLNT)");
		}
		size_t nt = 0;
		uint64_t bytes = 0;
		for (struct transfer *t = s->xfirst; t && o + 600 < sizeof(course); t = t->snext) {
			nt++;
			bytes += t->bytes;
			if (t->last_frame > c.last_frame)
				c.last_frame = t->last_frame;
			char nm[120] = "";
			if (t->name)
				snprintf(nm, sizeof(nm), "%s", t->name);
			o += (size_t)snprintf(course + o, sizeof(course) - o,
					      "frame %llu: %s%s%s (%s mode) -> %s: %llu bytes, SHA-256 %.16s..., %s.\n",
					      (unsigned long long)t->first_frame, t->cmd, nm[0] ? " " : "", nm,
					      t->active_mode ? "active" : "passive", t->path, (unsigned long long)t->bytes, t->sha_hex,
					      t->gap == 0 && (t->reply == 226 || t->reply == 250) ? "complete" : "INCOMPLETE");
		}
		snprintf(data, sizeof(data), "%zu transfer(s), %llu bytes, written under ftp/ (listings and files)%s", nt,
			 (unsigned long long)bytes, s->user ? "; the login (user and password) is in clear text (see auth)" : "");
		c.course = course;
		c.data = data;
		cx_summary_conv(f->ctx->summary, &c);
	}
}

void
cx_ftp_report(struct cx_ftp *f, struct json_object *root)
{
	char ep[CX_ADDR_STRLEN + 8];
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < f->ns; i++) {
		struct session *s = f->s[i];
		struct json_object *o = json_object_new_object();
		/* the id: the session's first frame */
		json_object_object_add(o, "index", json_object_new_int64((int64_t)s->first_frame));
		json_object_object_add(o, "client", json_object_new_string(cx_endpoint_str(&s->client, s->cport, ep)));
		json_object_object_add(o, "server", json_object_new_string(cx_endpoint_str(&s->server, s->sport, ep)));
		json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)s->first_frame));
		json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)s->last_frame));
		json_object_object_add(o, "banner", s->banner ? json_object_new_string(s->banner) : NULL);
		json_object_object_add(o, "syst", s->syst ? json_object_new_string(s->syst) : NULL);
	json_object_object_add(o, "features", s->feat[0] ? json_object_new_string(s->feat) : NULL);
		json_object_object_add(o, "clnt", s->clnt ? json_object_new_string(s->clnt) : NULL);
		json_object_object_add(o, "user", s->user ? json_object_new_string(s->user) : NULL);
		json_object_object_add(o, "password", s->pass ? json_object_new_string(s->pass) : NULL);
		json_object_object_add(o, "login", json_object_new_string(s->login == 230 ? "accepted" : s->login ? "rejected" : "unknown"));
		json_object_object_add(o, "login_reply", s->login ? json_object_new_int(s->login) : NULL);
		json_object_object_add(o, "type", s->type ? json_object_new_string(s->type) : NULL);
		json_object_object_add(o, "control", json_object_get(s->cmds));
		struct json_object *xs = json_object_new_array();
		for (struct transfer *t = s->xfirst; t; t = t->snext) {
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "command", json_object_new_string(t->cmd[0] ? t->cmd : "unknown"));
			json_object_object_add(x, "name", t->name ? json_object_new_string(t->name) : NULL);
			json_object_object_add(x, "file", t->path[0] ? json_object_new_string(t->path) : NULL);
			json_object_object_add(x, "size", json_object_new_int64((int64_t)t->bytes));
			json_object_object_add(x, "sha256", json_object_new_string(t->sha_hex));
			json_object_object_add(x, "mode", json_object_new_string(t->active_mode ? "active" : "passive"));
			json_object_object_add(x, "transfer_type", s->type ? json_object_new_string(s->type) : NULL);
			json_object_object_add(x, "first_frame", json_object_new_int64((int64_t)t->first_frame));
			json_object_object_add(x, "last_frame", json_object_new_int64((int64_t)t->last_frame));
			json_object_object_add(x, "completion_reply", t->reply ? json_object_new_int(t->reply) : NULL);
			json_object_object_add(x, "missing_bytes", json_object_new_int64((int64_t)t->gap));
			json_object_object_add(x, "incomplete", json_object_new_boolean(!(t->gap == 0 && (t->reply == 226 || t->reply == 250))));
			json_object_array_add(xs, x);
		}
		json_object_object_add(o, "transfers", xs);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "ftp", arr);
	if (f->drop_sessions || f->drop_transfers) {
		/* only when a cap was reached: outputs below it stay as they were */
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "sessions", json_object_new_int64((int64_t)f->drop_sessions));
		json_object_object_add(o, "transfers", json_object_new_int64((int64_t)f->drop_transfers));
		json_object_object_add(root, "ftp_dropped", o);
	}
}

bool
cx_ftp_owned_open(const struct cx_ftp *f)
{
	return f->owned_open > 0;
}
