/* SIP: found by content on any port, framed by us (osip2 is not a framer:
 * DEPS.md §1.4), parsed by osip2, handed to the dialog correlator.
 *
 * Framing: the header block ends at the first empty line; the body length
 * comes from Content-Length (or compact "l:"). Over UDP one datagram may
 * hold several messages; over TCP each direction is buffered (capped) and
 * split on the same rule. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <osipparser2/osip_parser.h>
#include "call/dialog.h"
#include "callextract/auth.h"
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "callextract/findings.h"
#include "callextract/names.h"
#include "callextract/sip.h"
#include "callextract/tcp.h"
#include "output/callpcap.h"

#define SIP_MAX_MSG (256u * 1024u)  /* bigger than any sane SIP message */
#define SIP_MAX_LINE 4096

#define MAX_SPANS 64 /* frames whose bytes wait in one direction's buffer */

/* The frames the buffered bytes came from, for the calls' captures: span
 * i holds buf[spans[i-1].end, spans[i].end), where spans of the same end
 * (the segments of one TLS record) share the range. A message marks every
 * frame that carried a byte of it. */
struct span {
	struct cx_cp_frame *f;
	size_t end;
};

struct tcp_half {
	uint8_t *buf;
	size_t len, cap;
	uint64_t first_frame;
	bool skipping; /* after a gap: resynchronise on the next start line */
	struct span spans[MAX_SPANS];
	size_t nspans;
};

struct tcp_state {
	struct tcp_half h[2];
};

/* Recent messages by content, to take a message once when it is seen both
 * on the wire and in a capture agent's HEP copy. */
#define SEEN_RING 512
#define SEEN_WINDOW_NS (2LL * 1000000000LL)
#define HEP_REPEAT_NS (100LL * 1000000LL)
struct seen {
	uint64_t hash;
	int64_t ts;
	uint64_t frame;
	uint8_t carrier; /* 0 empty, 1 plain, 2 encrypted on the wire, 3 HEP, 4 both seen */
	uint32_t call;   /* the call the message went to: its copy's frames go there too */
};

struct cx_sip {
	struct cx_ctx *ctx;
	struct cx_dialogs *dialogs;
	uint64_t *n_msgs, *n_bad;
	struct seen seen[SEEN_RING];
	uint32_t seen_next;
	bool hep_seen;   /* dedupe scans only once HEP copies are in the capture */
	/* the message being handled: where its bytes are, for its call's
	 * capture (half NULL: in the frame being processed, UDP) */
	struct tcp_half *half;
	size_t msg_off, msg_len;
	struct seen *cur_seen; /* the message's entry in the ring while it is handled */
};

/* The message just handled belongs to call: the frames that carried it. */
static void
attribute(struct cx_sip *s, uint32_t call)
{
	struct cx_callpcap *cp = s->ctx->cpcap;
	if (!cp || !call)
		return;
	if (!s->half) {
		cx_callpcap_mark(cp, call);
		return;
	}
	/* spans with the same end share their start (a TLS record's segments) */
	size_t a = s->msg_off, b = s->msg_off + s->msg_len, start = 0, prev = 0;
	for (size_t i = 0; i < s->half->nspans; i++) {
		const struct span *sp = &s->half->spans[i];
		if (sp->end != prev)
			start = prev;
		if (start < b && sp->end > a)
			cx_callpcap_mark_held(cp, sp->f, call);
		prev = sp->end;
	}
}

/* The first used bytes of the buffer are gone: so are their frames. */
static void
spans_consumed(struct tcp_half *h, size_t used)
{
	size_t k = 0;
	for (size_t i = 0; i < h->nspans; i++) {
		if (h->spans[i].end <= used) {
			cx_cp_frame_put(h->spans[i].f);
			continue;
		}
		h->spans[k].f = h->spans[i].f;
		h->spans[k++].end = h->spans[i].end - used;
	}
	h->nspans = k;
}

static const char *methods[] = { "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS",
				 "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER",
				 "MESSAGE", "UPDATE" };

bool
cx_sip_looks_like(const uint8_t *d, size_t n)
{
	if (!d || n < 12)
		return false;
	if (!memcmp(d, "SIP/2.0 ", 8))
		return isdigit(d[8]) && n > 11 && isdigit(d[9]) && isdigit(d[10]);
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
		size_t l = strlen(methods[i]);
		if (n > l + 1 && !memcmp(d, methods[i], l) && d[l] == ' ') {
			/* The request line must end in SIP/2.0 within a sane length. */
			size_t lim = n < 2048 ? n : 2048;
			for (size_t k = l + 1; k < lim; k++) {
				if (d[k] == '\r' || d[k] == '\n')
					return k >= 8 && !memcmp(d + k - 7, "SIP/2.0", 7);
			}
			return false;
		}
	}
	return false;
}

struct cx_sip *
cx_sip_new(struct cx_ctx *ctx)
{
	struct cx_sip *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ctx = ctx;
	s->dialogs = cx_dialogs_new(ctx);
	if (s->dialogs && cx_dialogs_begin(s->dialogs) < 0) {
		cx_dialogs_free(s->dialogs);
		s->dialogs = NULL;
	}
	s->n_msgs = cx_stats_counter(ctx->stats, "proto.sip");
	s->n_bad = cx_stats_counter(ctx->stats, "error.sip.malformed");
	if (!s->dialogs || !s->n_msgs || !s->n_bad) {
		cx_sip_free(s);
		return NULL;
	}
	return s;
}

void
cx_sip_free(struct cx_sip *s)
{
	if (!s)
		return;
	cx_dialogs_free(s->dialogs);
	free(s);
}

/* Length of the header block including the empty line, or 0 if absent. */
static size_t
header_end(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (d[i] == '\n' && d[i + 1] == '\n')
			return i + 2;
		if (i + 3 < n && d[i] == '\r' && d[i + 1] == '\n' && d[i + 2] == '\r' &&
		    d[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

/* Content-Length from the header block; -1 if absent, -2 if unreadable. */
static long
content_length(const uint8_t *d, size_t hlen)
{
	size_t i = 0;
	while (i < hlen) {
		size_t e = i;
		while (e < hlen && d[e] != '\n')
			e++;
		const uint8_t *l = d + i;
		size_t ll = e - i, name = 0;
		if (ll > 15 && !strncasecmp((const char *)l, "content-length", 14))
			name = 14;
		else if (ll > 2 && (l[0] == 'l' || l[0] == 'L') && (l[1] == ':' || l[1] == ' '))
			name = 1;
		if (name) {
			size_t k = name;
			while (k < ll && (l[k] == ' ' || l[k] == '\t'))
				k++;
			if (k < ll && l[k] == ':') {
				k++;
				while (k < ll && (l[k] == ' ' || l[k] == '\t'))
					k++;
				long v = 0;
				size_t digits = 0;
				while (k < ll && isdigit(l[k]) && digits < 9) {
					v = v * 10 + (l[k] - '0');
					k++;
					digits++;
				}
				return digits ? v : -2;
			}
		}
		i = e + 1;
	}
	return -1;
}

static char *
dup_str(char *s)
{
	/* osip's *_to_str results are ours to osip_free; keep a libc copy. */
	if (!s)
		return NULL;
	char *c = strdup(s);
	osip_free(s);
	return c;
}

static const char *
header_value(osip_message_t *m, const char *name)
{
	osip_header_t *h = NULL;
	if (osip_message_header_get_byname(m, name, 0, &h) >= 0 && h && h->hvalue)
		return h->hvalue;
	return NULL;
}

static void
report_bad(struct cx_sip *s, uint64_t frame, const char *why, const uint8_t *d, size_t n)
{
	(*s->n_bad)++;
	char first[81];
	size_t k = 0;
	for (; k < n && k < 80 && d[k] != '\r' && d[k] != '\n'; k++)
		first[k] = d[k] ? (char)d[k] : '.';
	first[k] = '\0';
	cx_findings_add(s->ctx->findings, CX_SEV_LOW, "sip.unparsed", frame,
			"SIP message not parsed (%s): \"%s\"", why, first);
}

/* ---- fallback for messages osip2 rejects ----
 * Real captures hold SIP that osip2 will not take (a stray backslash in a
 * display name, an unquoted parameter). The message still belongs to a
 * dialog: a line scanner takes the start line, Call-ID, CSeq, From, To and
 * the top Via branch, and the message is flagged. */

struct fb_hdr {
	char *call_id, *cseq, *from, *to, *via, *ua, *server, *ctype, *contact, *expires;
};

static char *
fb_value(const char *line, size_t ll, size_t name_len)
{
	size_t k = name_len;
	while (k < ll && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (k >= ll || line[k] != ':')
		return NULL;
	k++;
	while (k < ll && (line[k] == ' ' || line[k] == '\t'))
		k++;
	size_t e = ll;
	while (e > k && (line[e - 1] == '\r' || line[e - 1] == ' '))
		e--;
	if (e - k > 1024)
		e = k + 1024;
	char *v = malloc(e - k + 1);
	if (v) {
		memcpy(v, line + k, e - k);
		v[e - k] = '\0';
	}
	return v;
}

static bool
fb_name(const char *l, size_t ll, const char *full, char compact, size_t *nl)
{
	size_t fl = strlen(full);
	if (ll > fl && !strncasecmp(l, full, fl) && (l[fl] == ':' || l[fl] == ' ' || l[fl] == '\t')) {
		*nl = fl;
		return true;
	}
	if (compact && ll > 1 && (l[0] == compact || l[0] == (char)toupper(compact)) &&
	    (l[1] == ':' || l[1] == ' ' || l[1] == '\t')) {
		*nl = 1;
		return true;
	}
	return false;
}

static void
fb_scan(const char *raw, size_t hl, struct fb_hdr *h)
{
	size_t i = 0;
	/* skip the start line */
	while (i < hl && raw[i] != '\n')
		i++;
	i++;
	while (i < hl) {
		size_t e = i;
		while (e < hl && raw[e] != '\n')
			e++;
		const char *l = raw + i;
		size_t ll = e - i, nl;
		char **slot = NULL;
		if (fb_name(l, ll, "call-id", 'i', &nl)) slot = &h->call_id;
		else if (fb_name(l, ll, "cseq", 0, &nl)) slot = &h->cseq;
		else if (fb_name(l, ll, "from", 'f', &nl)) slot = &h->from;
		else if (fb_name(l, ll, "to", 't', &nl)) slot = &h->to;
		else if (fb_name(l, ll, "via", 'v', &nl)) slot = &h->via;
		else if (fb_name(l, ll, "user-agent", 0, &nl)) slot = &h->ua;
		else if (fb_name(l, ll, "server", 0, &nl)) slot = &h->server;
		else if (fb_name(l, ll, "content-type", 'c', &nl)) slot = &h->ctype;
		else if (fb_name(l, ll, "contact", 'm', &nl)) slot = &h->contact;
		else if (fb_name(l, ll, "expires", 0, &nl)) slot = &h->expires;
		if (slot && !*slot)
			*slot = fb_value(l, ll, nl);
		i = e + 1;
	}
}

/* "Name" <sip:a@b>;tag=x -> uri "sip:a@b", tag "x" (in place). */
static void
fb_nameaddr(char *v, char **uri, char **tag, char **display)
{
	*uri = *tag = *display = NULL;
	if (!v)
		return;
	char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *params;
	if (lt && gt) {
		*gt = '\0';
		*uri = lt + 1;
		params = gt + 1;
		if (lt > v) {
			char *de = lt;
			while (de > v && de[-1] == ' ')
				de--;
			*de = '\0';
			*display = v;
		}
	} else {
		*uri = v;
		params = strchr(v, ';');
		if (params)
			*params++ = '\0';
		else
			params = v + strlen(v);
	}
	char *t = strstr(params, "tag=");
	if (t) {
		*tag = t + 4;
		char *e = strpbrk(*tag, ";, ");
		if (e)
			*e = '\0';
	}
}

static void handle_view(struct cx_sip *s, struct cx_sip_msg_view *v, struct cx_sip_extra *x);

static bool
fallback(struct cx_sip *s, const uint8_t *d, size_t n, const struct cx_addr *src, uint16_t sport,
	 const struct cx_addr *dst, uint16_t dport, const char *transport, uint64_t frame, int64_t ts)
{
	size_t hl = header_end(d, n);
	if (!hl)
		hl = n;
	char *raw = malloc(n + 1);
	if (!raw)
		return false;
	memcpy(raw, d, n);
	raw[n] = '\0';
	if (memchr(raw, '\0', hl)) {
		free(raw);
		return false;
	}
	struct fb_hdr h;
	memset(&h, 0, sizeof(h));
	fb_scan(raw, hl, &h);
	bool ok = false;
	char method[32] = "", reason[128] = "", cseq_method[32] = "", ruri[512] = "";
	int status = 0;
	unsigned long cseq = 0;
	if (h.call_id && h.cseq && h.from && h.to &&
	    sscanf(h.cseq, "%lu %31s", &cseq, cseq_method) == 2) {
		if (!strncmp(raw, "SIP/2.0 ", 8))
			ok = sscanf(raw + 8, "%3d %127[^\r\n]", &status, reason) >= 1 && status >= 100;
		else
			ok = sscanf(raw, "%31s %511s", method, ruri) == 2;
	}
	if (ok) {
		struct cx_sip_msg_view v;
		struct cx_sip_extra x;
		memset(&v, 0, sizeof(v));
		memset(&x, 0, sizeof(x));
		char *from_uri, *from_tag, *from_disp, *to_uri, *to_tag, *to_disp;
		fb_nameaddr(h.from, &from_uri, &from_tag, &from_disp);
		fb_nameaddr(h.to, &to_uri, &to_tag, &to_disp);
		v.frame = frame;
		v.ts_ns = ts;
		v.src = *src;
		v.dst = *dst;
		v.sport = sport;
		v.dport = dport;
		v.transport = transport;
		v.is_request = status == 0;
		v.method = v.is_request ? method : cseq_method;
		v.status = status;
		v.reason = reason;
		v.request_uri = v.is_request ? ruri : NULL;
		v.call_id = h.call_id;
		v.cseq = (uint32_t)cseq;
		v.cseq_method = cseq_method;
		v.from_uri = from_uri;
		v.from_tag = from_tag;
		v.to_uri = to_uri;
		v.to_tag = to_tag;
		v.raw = raw;
		v.raw_len = n;
		v.body = hl < n ? raw + hl : NULL;
		v.body_len = hl < n ? n - hl : 0;
		x.from_display = from_disp;
		x.to_display = to_disp;
		x.user_agent = h.ua;
		x.server = h.server;
		x.content_type = h.ctype;
		x.contact = h.contact;
		x.expires = h.expires;
		if (h.via) {
			x.via[0] = h.via;
			x.n_via = 1;
			char *br = strstr(h.via, "branch=");
			if (br) {
				x.via_branch = br + 7;
				char *e = strpbrk(br + 7, ";, ");
				if (e)
					*e = '\0';
			}
		}
		cx_stats_add(s->ctx->stats, "proto.sip_fallback", 1);
		handle_view(s, &v, &x);
	}
	char **all[] = { &h.call_id, &h.cseq, &h.from, &h.to, &h.via, &h.ua, &h.server, &h.ctype, &h.contact, &h.expires };
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		free(*all[i]);
	free(raw);
	return ok;
}

/* Dialogs, auth and host names for one message, whichever parser read it. */
static void
handle_view(struct cx_sip *s, struct cx_sip_msg_view *v, struct cx_sip_extra *x)
{
	(*s->n_msgs)++;
	/* A request with one Via comes from its originator; one with more was
	 * relayed by the sender. A response with more than one Via is still
	 * on its way back through proxies, so its sender made it or is one of
	 * them; with one Via, it may be a proxy passing it on. */
	if (x->user_agent)
		cx_names_add_software_seen(s->ctx->names, &v->src, "sip-user-agent", x->user_agent,
					   v->is_request ? x->n_via > 1 : x->n_via <= 1);
	if (x->server)
		cx_names_add_software_seen(s->ctx->names, &v->src, "sip-server", x->server,
					   v->is_request ? x->n_via > 1 : x->n_via <= 1);
	v->call_index = cx_dialogs_on_message(s->dialogs, v, x);
	attribute(s, v->call_index);
	if (s->cur_seen)
		s->cur_seen->call = v->call_index;
	cx_dialogs_note_auth(s->dialogs, cx_auth_on_sip(s->ctx->auth, v));
}

/* Parse one framed message and hand it on. */
static void
handle_message(struct cx_sip *s, const uint8_t *d, size_t n, const struct cx_addr *src,
	       uint16_t sport, const struct cx_addr *dst, uint16_t dport, const char *transport,
	       uint64_t frame, int64_t ts)
{
	osip_message_t *m = NULL;
	if (osip_message_init(&m) != 0)
		return;
	if (osip_message_parse(m, (const char *)d, n) != 0) {
		osip_message_free(m);
		if (fallback(s, d, n, src, sport, dst, dport, transport, frame, ts))
			cx_findings_add(s->ctx->findings, CX_SEV_LOW, "sip.osip_rejected", frame,
					"osip2 rejected this SIP message; read by the fallback scanner");
		else
			report_bad(s, frame, "osip2 rejected it", d, n);
		return;
	}
	if (!m->call_id || !m->cseq || !m->from || !m->to || !m->cseq->method ||
	    (MSG_IS_REQUEST(m) && !m->sip_method)) {
		report_bad(s, frame, "missing Call-ID, CSeq, From or To", d, n);
		osip_message_free(m);
		return;
	}
	char *call_id = NULL, *from_uri = NULL, *to_uri = NULL, *ruri = NULL;
	char *tmp = NULL;
	if (osip_call_id_to_str(m->call_id, &tmp) == 0)
		call_id = dup_str(tmp);
	tmp = NULL;
	if (m->from->url && osip_uri_to_str(m->from->url, &tmp) == 0)
		from_uri = dup_str(tmp);
	tmp = NULL;
	if (m->to->url && osip_uri_to_str(m->to->url, &tmp) == 0)
		to_uri = dup_str(tmp);
	tmp = NULL;
	if (m->req_uri && osip_uri_to_str(m->req_uri, &tmp) == 0)
		ruri = dup_str(tmp);
	osip_generic_param_t *ft = NULL, *tt = NULL;
	osip_from_get_tag(m->from, &ft);
	osip_to_get_tag(m->to, &tt);

	/* The raw text, NUL-terminated, for the auth module's own scan. */
	char *raw = malloc(n + 1);
	if (!raw || !call_id) {
		free(raw);
		free(call_id);
		free(from_uri);
		free(to_uri);
		free(ruri);
		osip_message_free(m);
		return;
	}
	memcpy(raw, d, n);
	raw[n] = '\0';
	size_t hl = header_end(d, n);

	struct cx_sip_msg_view v;
	memset(&v, 0, sizeof(v));
	v.frame = frame;
	v.ts_ns = ts;
	v.src = *src;
	v.dst = *dst;
	v.sport = sport;
	v.dport = dport;
	v.transport = transport;
	v.is_request = MSG_IS_REQUEST(m);
	v.method = v.is_request ? m->sip_method : m->cseq->method;
	v.status = v.is_request ? 0 : m->status_code;
	v.reason = m->reason_phrase;
	v.request_uri = ruri;
	v.call_id = call_id;
	char *end;
	unsigned long cseq = strtoul(m->cseq->number ? m->cseq->number : "0", &end, 10);
	v.cseq = (uint32_t)cseq;
	v.cseq_method = m->cseq->method;
	v.from_uri = from_uri;
	v.from_tag = ft ? ft->gvalue : NULL;
	v.to_uri = to_uri;
	v.to_tag = tt ? tt->gvalue : NULL;
	v.raw = raw;
	v.raw_len = n;
	v.body = hl && hl < n ? raw + hl : NULL;
	v.body_len = hl && hl < n ? n - hl : 0;

	struct cx_sip_extra x;
	memset(&x, 0, sizeof(x));
	x.from_display = m->from->displayname;
	x.to_display = m->to->displayname;
	x.user_agent = header_value(m, "user-agent");
	x.server = header_value(m, "server");
	x.expires = header_value(m, "expires");
	x.subject = header_value(m, "subject");
	char *contact = NULL, *ctype = NULL;
	osip_contact_t *ct = NULL;
	if (osip_message_get_contact(m, 0, &ct) >= 0 && ct) {
		tmp = NULL;
		if (osip_contact_to_str(ct, &tmp) == 0)
			contact = dup_str(tmp);
	}
	x.contact = contact;
	if (m->content_type) {
		tmp = NULL;
		if (osip_content_type_to_str(m->content_type, &tmp) == 0)
			ctype = dup_str(tmp);
	}
	x.content_type = ctype;
	char *vias[8] = { 0 }, *rrs[8] = { 0 };
	osip_via_t *via;
	for (int i = 0; i < 8 && osip_message_get_via(m, i, &via) >= 0; i++) {
		tmp = NULL;
		if (osip_via_to_str(via, &tmp) == 0)
			vias[x.n_via] = dup_str(tmp);
		x.via[x.n_via] = vias[x.n_via];
		if (vias[x.n_via])
			x.n_via++;
		if (i == 0) {
			osip_generic_param_t *br = NULL;
			if (osip_via_param_get_byname(via, "branch", &br) >= 0 && br)
				x.via_branch = br->gvalue;
		}
	}
	osip_record_route_t *rr;
	for (int i = 0; i < 8 && osip_message_get_record_route(m, i, &rr) >= 0; i++) {
		tmp = NULL;
		if (osip_record_route_to_str(rr, &tmp) == 0)
			rrs[x.n_rr] = dup_str(tmp);
		x.record_route[x.n_rr] = rrs[x.n_rr];
		if (rrs[x.n_rr])
			x.n_rr++;
	}
	handle_view(s, &v, &x);

	for (size_t i = 0; i < 8; i++) {
		free(vias[i]);
		free(rrs[i]);
	}
	free(contact);
	free(ctype);
	free(raw);
	free(call_id);
	free(from_uri);
	free(to_uri);
	free(ruri);
	osip_message_free(m);
}

static uint8_t
carrier_of(const char *transport)
{
	if (!strncmp(transport, "HEP", 3))
		return 3;
	if (!strncmp(transport, "TLS", 3) || !strcmp(transport, "WSS"))
		return 2;
	return 1;
}

/* True when the same bytes were seen within SEEN_WINDOW_NS in the other
 * kind of carrier (on the wire vs inside HEP): the later copy is counted,
 * not taken again. A copy of TLS-protected SIP in clear HEP is a finding. */
static bool
duplicate(struct cx_sip *s, const uint8_t *d, size_t n, const char *transport, uint64_t frame,
	  int64_t ts)
{
	uint64_t h = 1469598103934665603ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ULL;
	uint8_t car = carrier_of(transport);
	if (s->hep_seen) {
		for (uint32_t i = 0; i < SEEN_RING; i++) {
			struct seen *e = &s->seen[i];
			if (!e->carrier || e->hash != h)
				continue;
			int64_t dt = ts - e->ts;
			if (dt < -SEEN_WINDOW_NS || dt > SEEN_WINDOW_NS)
				continue;
			bool e_hep = e->carrier >= 3;
			if (car == 3 && e_hep) {
				/* an agent that sends the same copy twice (kamailio's
				 * siptrace does for an absorbed ACK): not a retransmission,
				 * which would come T1 = 500 ms later at the earliest */
				if (dt > -HEP_REPEAT_NS && dt < HEP_REPEAT_NS) {
					cx_stats_add(s->ctx->stats, "proto.hep_repeated_copy", 1);
					attribute(s, e->call); /* its frames are the call's all the same */
					return true;
				}
				continue;
			}
			if (e->carrier == 4 || e_hep == (car == 3))
				continue;
			cx_stats_add(s->ctx->stats, "proto.hep_duplicate", 1);
			if (e->carrier == 2 || car == 2)
				cx_findings_add(s->ctx->findings, CX_SEV_HIGH, "hep.clear_copy_of_tls", frame,
						"SIP that crossed the wire encrypted (frame %llu) is also carried in clear "
						"inside HEP (frame %llu): digest answers and SDP keys readable on the "
						"collector's path",
						(unsigned long long)(car == 2 ? frame : e->frame),
						(unsigned long long)(car == 3 ? frame : e->frame));
			e->carrier = 4; /* taken: both copies seen */
			e->ts = ts;
			attribute(s, e->call); /* the copy's frames are the call's too */
			return true;
		}
	}
	struct seen *e = &s->seen[s->seen_next++ % SEEN_RING];
	e->hash = h;
	e->ts = ts;
	e->frame = frame;
	e->carrier = car;
	e->call = 0;
	s->cur_seen = e;
	return false;
}

/* Frame as many complete messages as d holds; returns bytes consumed.
 * final: no more bytes will come (a UDP datagram), so an incomplete
 * message is reported instead of waited for. */
static size_t
frame_messages(struct cx_sip *s, const uint8_t *d, size_t n, bool final,
	       const struct cx_addr *src, uint16_t sport, const struct cx_addr *dst,
	       uint16_t dport, const char *transport, uint64_t frame, int64_t ts)
{
	size_t off = 0;
	while (off < n) {
		/* Keep-alives and padding between messages (RFC 5626 CRLF ping). */
		while (off < n && (d[off] == '\r' || d[off] == '\n' || d[off] == 0))
			off++;
		if (off >= n)
			break;
		const uint8_t *m = d + off;
		size_t left = n - off;
		if (!cx_sip_looks_like(m, left)) {
			if (!final && left < 64)
				break; /* wait for more of the start line */
			if (final && off > 0) {
				/* RFC 3261 18.3: a datagram's bytes past Content-Length are
				 * discarded; counted, not parsed. */
				cx_stats_add(s->ctx->stats, "error.sip.trailing_bytes", left);
				return n;
			}
			report_bad(s, frame, "no SIP start line", m, left);
			return n;
		}
		size_t hl = header_end(m, left);
		if (!hl) {
			if (!final && left < SIP_MAX_MSG)
				break;
			report_bad(s, frame, "header block without an end", m, left);
			return n;
		}
		long cl = content_length(m, hl);
		size_t body;
		if (cl == -2) {
			report_bad(s, frame, "unreadable Content-Length", m, left);
			return n;
		}
		if (cl < 0)
			body = final ? left - hl : 0; /* UDP: the rest; TCP: none */
		else
			body = (size_t)cl;
		if (hl + body > left) {
			if (!final && hl + body <= SIP_MAX_MSG)
				break;
			/* Content-Length larger than the data: parse what is there so
			 * the headers still count, and say so. */
			cx_findings_add(s->ctx->findings, CX_SEV_LOW, "sip.truncated", frame,
					"Content-Length %ld but only %zu body bytes", cl, left - hl);
			cx_stats_add(s->ctx->stats, "error.sip.truncated", 1);
			/* osip2 rejects a body shorter than Content-Length; the message is
			 * reported, not guessed at. */
			off += left;
			continue;
		}
		s->msg_off = off;
		s->msg_len = hl + body;
		if (!duplicate(s, m, hl + body, transport, frame, ts))
			handle_message(s, m, hl + body, src, sport, dst, dport, transport, frame, ts);
		s->cur_seen = NULL;
		off += hl + body;
	}
	return off;
}

void
cx_sip_on_udp(struct cx_sip *s, const struct cx_packet *p)
{
	s->half = NULL;
	frame_messages(s, p->payload, p->payload_len, true, &p->src, p->sport, &p->dst, p->dport,
		       "UDP", p->frame, p->ts_ns);
}

void
cx_sip_on_wrapped(struct cx_sip *s, const uint8_t *data, size_t len, const struct cx_sip_origin *o)
{
	if (o->hep)
		s->hep_seen = true;
	frame_messages(s, data, len, true, &o->src, o->sport, &o->dst, o->dport, o->transport,
		       o->frame, o->ts_ns);
}

size_t
cx_sip_message_length(const uint8_t *d, size_t n)
{
	if (!cx_sip_looks_like(d, n))
		return 0;
	size_t hl = header_end(d, n);
	if (!hl)
		return 0;
	long cl = content_length(d, hl);
	if (cl == -2)
		return 0;
	size_t body = cl < 0 ? 0 : (size_t)cl;
	return hl + body <= n ? hl + body : 0;
}

void
cx_sip_tcp_data(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts,
		const uint8_t *data, size_t len)
{
	struct tcp_state *st = c->user;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return;
		c->user = st;
	}
	struct tcp_half *h = &st->h[dir];
	const struct cx_addr *src = &c->addr[dir], *dst = &c->addr[!dir];
	uint16_t sport = c->port[dir], dport = c->port[!dir];
	if (h->skipping) {
		/* After a gap, drop bytes up to something that starts a message. */
		if (!cx_sip_looks_like(data, len))
			return;
		h->skipping = false;
	}
	if (h->len + len > SIP_MAX_MSG) {
		cx_findings_add(s->ctx->findings, CX_SEV_LOW, "sip.tcp_overflow", frame,
				"more than %u bytes without a complete SIP message; buffer dropped",
				SIP_MAX_MSG);
		h->len = 0;
		spans_consumed(h, SIZE_MAX);
		h->skipping = true;
		return;
	}
	if (h->len + len > h->cap) {
		size_t nc = h->cap ? h->cap : 4096;
		while (nc < h->len + len)
			nc *= 2;
		uint8_t *nb = realloc(h->buf, nc);
		if (!nb)
			return;
		h->buf = nb;
		h->cap = nc;
	}
	memcpy(h->buf + h->len, data, len);
	h->len += len;
	if (s->ctx->cpcap) {
		/* plaintext of a TLS record: the segments before this one that
		 * carried the record too, as spans ending with these bytes */
		struct cx_cp_frame *outer[MAX_SPANS];
		size_t no = cx_callpcap_carried(s->ctx->cpcap, outer, MAX_SPANS);
		for (size_t i = 0; i <= no; i++) {
			if (h->nspans < MAX_SPANS) {
				h->spans[h->nspans].f = i < no ? outer[i] : cx_callpcap_hold(s->ctx->cpcap);
				h->spans[h->nspans++].end = h->len;
			} else {
				/* pathological segmenting: the bytes go with the last frame kept */
				h->spans[h->nspans - 1].end = h->len;
				if (i < no)
					cx_cp_frame_put(outer[i]);
				cx_stats_add(s->ctx->stats, "call_pcap.not_kept", 1);
			}
		}
	}
	s->half = h;
	size_t used = frame_messages(s, h->buf, h->len, false, src, sport, dst, dport,
				     c->transport ? c->transport : "TCP",
				     frame, ts);
	s->half = NULL;
	spans_consumed(h, used);
	memmove(h->buf, h->buf + used, h->len - used);
	h->len -= used;
}

void
cx_sip_tcp_gap(struct cx_sip *s, struct cx_tcp_conn *c, int dir, uint64_t missing)
{
	struct tcp_state *st = c->user;
	(void)s;
	(void)missing;
	if (!st)
		return;
	st->h[dir].len = 0;
	spans_consumed(&st->h[dir], SIZE_MAX);
	st->h[dir].skipping = true;
}

void
cx_sip_tcp_close(struct cx_sip *s, struct cx_tcp_conn *c)
{
	struct tcp_state *st = c->user;
	if (!st)
		return;
	for (int d = 0; d < 2; d++) {
		s->half = &st->h[d];
		if (st->h[d].len)
			frame_messages(s, st->h[d].buf, st->h[d].len, true, &c->addr[d], c->port[d],
				       &c->addr[!d], c->port[!d], c->transport ? c->transport : "TCP",
				       c->last_frame, c->last_ts_ns);
		s->half = NULL;
		spans_consumed(&st->h[d], SIZE_MAX);
		free(st->h[d].buf);
	}
	free(st);
	c->user = NULL;
}

const char *
cx_sip_call_dir(struct cx_sip *s, const char *call_id)
{
	return cx_dialogs_call_dir(s->dialogs, call_id);
}

uint32_t
cx_sip_owned_live(const struct cx_sip *s)
{
	return cx_dialogs_owned_live(s->dialogs);
}

uint64_t
cx_sip_owned_finished(const struct cx_sip *s)
{
	return cx_dialogs_owned_finished(s->dialogs);
}

void
cx_sip_tick(struct cx_sip *s, int64_t now_ns)
{
	cx_dialogs_tick(s->dialogs, now_ns);
}

void
cx_sip_finish(struct cx_sip *s)
{
	cx_dialogs_finish(s->dialogs);
}

void
cx_sip_report_stream(struct cx_sip *s, struct cx_jsonw *w)
{
	cx_dialogs_report_stream(s->dialogs, w);
}
