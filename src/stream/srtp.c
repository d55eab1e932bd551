/* SRTP at the stream layer: which keys protect a stream, decrypting its
 * packets (src/srtp/ does the cryptography) before they go to playout,
 * SRTCP before the RTCP table, and the report's "encrypted"/"srtp".
 *
 * A key in an endpoint's SDP protects what that endpoint's party SENDS
 * (RFC 4568 section 6.1); an answer's tag selects which of the offer's
 * lines the offerer uses. A stream's keys are those of its sending party
 * for the same m= line, newest announcement first, after any --srtp-key
 * naming the stream. A payload that is not decrypted (no key, DTLS-SRTP,
 * authentication failed) is handed on as opaque: raw file, never audio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/srtp.h"
#include "proto/rtp.h"
#include "stream/stream.h"

/* SRTP facts of one endpoint (RTP or RTCP) whose m= line is secure. */
struct cx_ep_srtp {
	int mline;
	bool savp, dtls;
	int sel_tag;              /* tag the answer chose; -1 not (yet) known */
	uint8_t n;
	struct cx_srtp_key k[CX_SRTP_MAX_KEYS];
};

enum sec_state { SEC_PLAIN, SEC_KEYED, SEC_DTLS, SEC_NOKEY };

struct cx_stream_srtp {
	enum sec_state state;
	uint32_t gen;             /* m->expect_gen the keys were taken under */
	struct cx_srtp_rx *rx;    /* owned */
	uint64_t opaque;          /* packets handed on still encrypted */
};

struct cx_media_srtp {
	size_t nopt;
	struct cx_srtp_opt *opt;  /* --srtp-key, parsed */
	uint8_t buf[65536];       /* one decrypted packet */
};

int
cx_media_srtp_init(struct cx_media *m)
{
	m->sec = calloc(1, sizeof(*m->sec));
	if (!m->sec)
		return -1;
	const struct cx_config *cfg = m->ctx->cfg;
	if (cfg->n_srtp_keys && !(m->sec->opt = calloc(cfg->n_srtp_keys, sizeof(*m->sec->opt))))
		return -1;
	for (size_t i = 0; i < cfg->n_srtp_keys; i++) {
		const char *err;
		if (cx_srtp_parse_option(cfg->srtp_keys[i], &m->sec->opt[m->sec->nopt], &err) == 0)
			m->sec->nopt++;
	}
	return 0;
}

void
cx_media_srtp_free(struct cx_media *m)
{
	if (m->sec)
		free(m->sec->opt);
	free(m->sec);
}

static bool
proto_secure(const char *proto)
{
	return proto && strstr(proto, "SAVP") != NULL;
}

static const struct cx_ep *
peer_of(const struct cx_ep *ep, int party, int mline, bool rtcp)
{
	for (const struct cx_ep *e = ep->mc ? ep->mc->eps : NULL; e; e = e->cnext)
		if (e->party == party && e->rtcp == rtcp && e->sec && e->sec->mline == mline && !e->finished)
			return e;
	return NULL;
}

void
cx_ep_srtp_set(struct cx_media *m, struct cx_ep *ep, const struct cx_media_expect *e)
{
	(void)m;
	/* on a TCP/RTP/ profile a=setup is RFC 4145's (who connects), not DTLS */
	bool dtls = e->dtls && !cx_proto_rfc4571(e->proto);
	if (!e->n_crypto && !dtls && !proto_secure(e->proto)) {
		cx_ep_srtp_free(ep);
		return;
	}
	if (!ep->sec && !(ep->sec = calloc(1, sizeof(*ep->sec))))
		return;
	struct cx_ep_srtp *s = ep->sec;
	s->mline = e->mline;
	s->savp = proto_secure(e->proto);
	s->dtls = dtls;
	s->sel_tag = -1;
	s->n = (uint8_t)(e->n_crypto < CX_SRTP_MAX_KEYS ? e->n_crypto : CX_SRTP_MAX_KEYS);
	memcpy(s->k, e->crypto, s->n * sizeof(s->k[0]));
	/* The answer names the offer's line its peer will use. */
	if (e->answer && e->n_crypto) {
		const struct cx_ep *o = peer_of(ep, !e->party, e->mline, ep->rtcp);
		if (o)
			o->sec->sel_tag = (int)e->crypto[0].tag;
	}
}

void
cx_ep_srtp_free(struct cx_ep *ep)
{
	free(ep->sec);
	ep->sec = NULL;
}

void
cx_stream_srtp_free(struct cx_stream *s)
{
	if (s->sec)
		cx_srtp_rx_free(s->sec->rx);
	free(s->sec);
	s->sec = NULL;
}

/* The stream's keys under the current announcements. */
static void
stream_keys(struct cx_media *m, struct cx_stream *s)
{
	struct cx_stream_srtp *x = s->sec;
	struct cx_srtp_key keys[CX_SRTP_MAX_KEYS];
	size_t n = 0;
	bool secure = false, dtls = false;
	for (size_t i = 0; i < m->sec->nopt && n < CX_SRTP_MAX_KEYS; i++) {
		const struct cx_srtp_opt *o = &m->sec->opt[i];
		if (o->by_ssrc ? o->ssrc == s->ssrc : (o->port == s->sport && cx_addr_eq(&o->addr, &s->src))) {
			keys[n++] = o->key;
			secure = true;
		}
	}
	const struct cx_ep *ep = s->ep;
	if (ep && ep->sec) {
		secure = true;
		dtls = ep->sec->dtls;
		/* the sender's own endpoint of this m= line (newest first) */
		const struct cx_ep *snd = s->sender < 0 ? NULL : peer_of(ep, s->sender, ep->sec->mline, false);
		if (!snd && ep->party == s->sender)
			snd = ep;
		if (snd) {
			dtls = dtls || snd->sec->dtls;
			for (size_t i = 0; i < snd->sec->n && n < CX_SRTP_MAX_KEYS; i++)
				if (snd->sec->sel_tag < 0 || (unsigned)snd->sec->sel_tag == snd->sec->k[i].tag)
					keys[n++] = snd->sec->k[i];
		}
	}
	if (!secure) {
		x->state = SEC_PLAIN;
		return;
	}
	if (!x->rx && !(x->rx = cx_srtp_rx_new(s->ssrc)))
		return;
	cx_srtp_rx_set_keys(x->rx, keys, n);
	x->state = cx_srtp_rx_n_keys(x->rx) ? SEC_KEYED : dtls ? SEC_DTLS : SEC_NOKEY;
}

static void
opaque_reason(struct cx_stream *s, enum cx_srtp_result r)
{
	if (s->reason[0] && !strstr(s->reason, "codec"))
		return;
	const char *why = s->sec->state == SEC_DTLS ? "DTLS-SRTP: keys were agreed in the DTLS handshake, not in the capture" :
			  s->sec->state == SEC_NOKEY ? "SRTP without a=crypto keys (and no --srtp-key for it)" :
			  r == CX_SRTP_BAD ? "SRTP packets too short for the suite" :
			  "SRTP: no known key authenticates its packets";
	snprintf(s->reason, sizeof(s->reason), "%s; raw payload kept", why);
}

int
cx_stream_srtp_rtp(struct cx_media *m, struct cx_stream *s, const uint8_t *d, size_t n, struct cx_rtp *r)
{
	if (!s->sec) {
		if (!m->sec->nopt && !(s->ep && s->ep->sec))
			return CX_SRTP_PLAIN;
		if (!(s->sec = calloc(1, sizeof(*s->sec))))
			return CX_SRTP_OPAQUE;
		s->sec->gen = m->expect_gen - 1;
	}
	struct cx_stream_srtp *x = s->sec;
	if (x->gen != m->expect_gen) {
		x->gen = m->expect_gen;
		stream_keys(m, s);
	}
	if (x->state == SEC_PLAIN)
		return CX_SRTP_PLAIN;
	enum cx_srtp_result res = CX_SRTP_NO_KEY;
	size_t ol = 0;
	if (x->state == SEC_KEYED && x->rx)
		res = cx_srtp_rx_rtp(x->rx, d, n, m->sec->buf, &ol);
	if (res == CX_SRTP_OK) {
		struct cx_rtp dr;
		if (cx_rtp_parse(m->sec->buf, ol, &dr) == 0) {
			*r = dr;
			return CX_SRTP_PLAIN;
		}
		cx_stats_add(m->ctx->stats, "error.srtp.decrypted_not_rtp", 1);
	} else if (res == CX_SRTP_AUTH_FAIL) {
		cx_stats_add(m->ctx->stats, "srtp.auth_failures", 1);
	} else if (res == CX_SRTP_REPLAY) {
		cx_stats_add(m->ctx->stats, "srtp.replayed", 1);
	}
	x->opaque++;
	if (!x->rx || !cx_srtp_rx_working(x->rx))
		opaque_reason(s, res);
	return CX_SRTP_OPAQUE;
}

/* SRTCP on an endpoint of a secure m= line: decrypted with the RTP
 * stream of the same SSRC in its call. */
int
cx_stream_srtp_rtcp(struct cx_media *m, const struct cx_ep *e, const uint8_t *d, size_t n, const uint8_t **out,
		    size_t *out_len)
{
	if (!e || !e->sec || n < 8 || !e->mc)
		return CX_SRTP_PLAIN;
	uint32_t ssrc = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	for (struct cx_stream *s = e->mc->streams; s; s = s->knext) {
		if (s->ssrc != ssrc || !s->sec || !s->sec->rx || s->sec->state != SEC_KEYED)
			continue;
		if (cx_srtp_rx_rtcp(s->sec->rx, d, n, m->sec->buf, out_len) == CX_SRTP_OK) {
			*out = m->sec->buf;
			return CX_SRTP_PLAIN;
		}
		break;
	}
	cx_stats_add(m->ctx->stats, "srtp.rtcp_not_decrypted", 1);
	return CX_SRTP_OPAQUE;
}

void
cx_stream_srtp_json(const struct cx_stream *s, struct json_object *o)
{
	const struct cx_stream_srtp *x = s->sec;
	bool enc = x && x->state != SEC_PLAIN;
	json_object_object_add(o, "encrypted", json_object_new_boolean(enc));
	if (!enc)
		return;
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "kind", json_object_new_string(x->state == SEC_DTLS ? "DTLS-SRTP" :
								 x->state == SEC_NOKEY ? "SRTP, no key" : "SRTP (SDES)"));
	if (x->rx)
		cx_srtp_rx_json(x->rx, j);
	json_object_object_add(j, "not_decrypted", json_object_new_int64((int64_t)x->opaque));
	json_object_object_add(o, "srtp", j);
}

size_t
cx_stream_srtp_describe(const struct cx_stream *s, char *buf, size_t n)
{
	const struct cx_stream_srtp *x = s->sec;
	if (!x || x->state == SEC_PLAIN || !n)
		return 0;
	struct json_object *j = json_object_new_object(), *v;
	if (x->rx)
		cx_srtp_rx_json(x->rx, j);
	const char *suite = json_object_object_get_ex(j, "suite", &v) ? json_object_get_string(v) : "no key";
	int64_t dec = json_object_object_get_ex(j, "decrypted", &v) ? json_object_get_int64(v) : 0;
	int64_t fail = json_object_object_get_ex(j, "auth_failures", &v) ? json_object_get_int64(v) : 0;
	int w = snprintf(buf, n, ", %s %s, %lld decrypted, %lld auth failures",
			 x->state == SEC_DTLS ? "DTLS-SRTP" : "SRTP", suite, (long long)dec, (long long)fail);
	json_object_put(j);
	return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
}
