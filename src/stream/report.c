/* What the media side reports: a line per stream for a call's write-up,
 * each stream's report entry (spilled with its call, or written at the
 * end), and summary.txt sections for RTP nobody signalled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/media.h"
#include "callextract/spill.h"
#include "callextract/summary.h"
#include "call/finisher.h"
#include "output/writers.h"
#include "proto/rtp.h"
#include "sink/stereo.h"
#include "stream/rtcp.h"
#include "codec/codec.h"
#include "stream/stream.h"
#include "util/text.h"

size_t
cx_media_describe_call(struct cx_media *m, uint32_t call_index, char *buf, size_t n)
{
	size_t o = 0;
	char a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8];
	struct cx_mcall *mc = cx_mcall_get(m, call_index, false);
	for (struct cx_stream *s = mc ? mc->streams : NULL; s && o + 300 < n; s = s->knext) {
		if (!s->confirmed || !s->call_id)
			continue;
		uint64_t expected = cx_rtp_stats_expected(&s->st);
		char sec[128] = "";
		if (s->tcp) /* the UDP default goes unsaid */
			snprintf(sec, sizeof(sec), ", TCP (RFC 4571)");
		size_t sl = strlen(sec);
		cx_stream_srtp_describe(s, sec + sl, sizeof(sec) - sl);
		char q[64] = "";
		double r, mos;
		if (cx_rtp_quality(&s->st, s->codec, &r, &mos))
			snprintf(q, sizeof(q), ", MOS %.2f (R %.1f, E-model)", mos, r);
		o += (size_t)snprintf(buf + o, n - o, "  media %s %s -> %s SSRC 0x%08X %s%s: %llu packets, %lld lost, jitter max %.1f ms%s%s%s%s\n",
				      s->sender == 0 ? "caller" : s->sender == 1 ? "callee" : "?",
				      cx_endpoint_str(&s->src, s->sport, a), cx_endpoint_str(&s->dst, s->dport, b), s->ssrc,
				      s->codec[0] ? s->codec : "?", sec, (unsigned long long)s->st.packets,
				      (long long)expected - (long long)s->st.packets, s->st.max_jitter, q,
				      s->dtmf && json_object_array_length(s->dtmf) ? ", DTMF sent" : "",
				      s->decodable && s->snk.path[0] && !m->ctx->cfg->no_audio ? ", audio in " : ", not decoded",
				      s->decodable && s->snk.path[0] && !m->ctx->cfg->no_audio ? s->snk.path : "");
	}
	return o;
}

static struct json_object *
jd(double v)
{
	return json_object_new_double(v);
}

/* take: the stream is being written out; its DTMF list moves into the
 * entry (which then shares nothing with the stream). */
static struct json_object *
stream_json(struct cx_media *m, struct cx_stream *s, bool take)
{
	char ep[CX_ADDR_STRLEN + 8], t[48];
	struct json_object *o = json_object_new_object();
	char ssrc[16];
	snprintf(ssrc, sizeof(ssrc), "0x%08X", s->ssrc);
	json_object_object_add(o, "ssrc", json_object_new_string(ssrc));
	json_object_object_add(o, "src", json_object_new_string(cx_endpoint_str(&s->src, s->sport, ep)));
	json_object_object_add(o, "dst", json_object_new_string(cx_endpoint_str(&s->dst, s->dport, ep)));
	json_object_object_add(o, "transport", json_object_new_string(s->tcp ? "TCP (RFC 4571)" : "UDP"));
	json_object_object_add(o, "call_id", s->call_id ? json_object_new_string(s->call_id) : NULL);
	json_object_object_add(o, "signalled", json_object_new_boolean(s->ep != NULL));
	json_object_object_add(o, "sender", s->sender < 0 ? NULL : json_object_new_string(s->sender ? "callee" : "caller"));
	const struct cx_rtp_stats *st = &s->st;
	json_object_object_add(o, "payload_type", json_object_new_int(st->first_pt));
	json_object_object_add(o, "codec", json_object_new_string(s->codec[0] ? s->codec : "unknown"));
	cx_stream_srtp_json(s, o);
	uint64_t expected = cx_rtp_stats_expected(st);
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)st->packets));
	json_object_object_add(o, "expected", json_object_new_int64((int64_t)expected));
	json_object_object_add(o, "lost", json_object_new_int64((int64_t)expected - (int64_t)st->packets));
	json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)st->duplicates));
	json_object_object_add(o, "out_of_order", json_object_new_int64((int64_t)st->out_of_order));
	json_object_object_add(o, "sequence_wraps", json_object_new_int64((int64_t)st->wraps));
	json_object_object_add(o, "markers", json_object_new_int64((int64_t)st->markers));
	json_object_object_add(o, "payload_type_changes", json_object_new_int64((int64_t)st->pt_changes));
	json_object_object_add(o, "min_delta_ms", st->min_delta < 0 ? NULL : jd(st->min_delta));
	json_object_object_add(o, "mean_delta_ms", jd(st->mean_delta));
	json_object_object_add(o, "max_delta_ms", jd(st->max_delta));
	json_object_object_add(o, "min_jitter_ms", st->min_jitter < 0 ? NULL : jd(st->min_jitter));
	json_object_object_add(o, "mean_jitter_ms", jd(st->mean_jitter));
	json_object_object_add(o, "max_jitter_ms", jd(st->max_jitter));
	json_object_object_add(o, "quality", cx_rtp_quality_json(st, s->codec));
	json_object_object_add(o, "series", cx_rtp_series_json(st));
	json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)s->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64((int64_t)s->last_frame));
	json_object_object_add(o, "first_time", json_object_new_string(cx_time_utc(s->first_ts, t, sizeof(t))));
	json_object_object_add(o, "last_time", json_object_new_string(cx_time_utc(s->last_ts, t, sizeof(t))));
	json_object_object_add(o, "start", jd(cx_time_rel(m->ctx, s->first_ts)));
	json_object_object_add(o, "end", jd(cx_time_rel(m->ctx, s->last_ts)));
	/* samples handed to the writer: a call is written out while the
	 * writing thread still works, so its failures surface in the stream's
	 * reason only for streams reported at the end (and always in stderr) */
	bool wav = s->decodable && s->snk.wav && s->snk.queued && !m->ctx->cfg->no_audio;
	json_object_object_add(o, "wav", wav ? json_object_new_string(s->snk.path) : NULL);
	const char *reason = wav ? NULL : m->ctx->cfg->no_audio ? "--no-audio" :
			     s->reason[0] ? s->reason : s->decodable ? "no audio samples" :
			     "no decodable audio payload in this stream";
	json_object_object_add(o, "reason", reason ? json_object_new_string(reason) : NULL);
	if (!wav && s->pl.decode_errors)
		json_object_object_add(o, "decode_errors", json_object_new_int64((int64_t)s->pl.decode_errors));
	if (s->snk.raw_path[0])
		json_object_object_add(o, "raw_payload", json_object_new_string(s->snk.raw_path));
	if (wav) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "samples", json_object_new_int64((int64_t)s->snk.samples));
		uint32_t rate = s->snk.rate ? s->snk.rate : 8000;
		json_object_object_add(a, "seconds", jd((double)s->snk.samples / rate));
		json_object_object_add(a, "rate", json_object_new_int((int)rate));
		json_object_object_add(a, "channels", json_object_new_int(s->snk.channels == 2 ? 2 : 1));
		json_object_object_add(a, "codecs", json_object_new_string(s->pl.codecs[0] ? s->pl.codecs : s->codec));
		json_object_object_add(a, "decode_errors", json_object_new_int64((int64_t)s->pl.decode_errors));
		json_object_object_add(a, "segments_resampled", json_object_new_int64((int64_t)s->pl.segments_resampled));
		if (s->pl.dec && cx_dec_note(s->pl.dec))
			json_object_object_add(a, "note", json_object_new_string(cx_dec_note(s->pl.dec)));
		json_object_object_add(a, "silence_inserted_samples", json_object_new_int64((int64_t)s->pl.silence_samples));
		json_object_object_add(a, "late_or_duplicate_dropped", json_object_new_int64((int64_t)s->pl.late));
		json_object_object_add(a, "timestamp_jumps", json_object_new_int64((int64_t)s->pl.jumps));
		json_object_object_add(a, "silence_limited", json_object_new_int64((int64_t)s->pl.silence_limited));
		if (s->snk.mix) {
			/* where this stream is in the call's stereo file; the
			 * last two figures are for the whole file */
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "file", json_object_new_string(cx_stereo_path(s->snk.mix)));
			json_object_object_add(x, "channel", json_object_new_string(s->sender == 0 ? "left" : "right"));
			json_object_object_add(x, "first_frame", json_object_new_int64(s->snk.mix_first));
			json_object_object_add(x, "frames", json_object_new_int64((int64_t)cx_stereo_frames(s->snk.mix)));
			json_object_object_add(x, "samples_left_out", json_object_new_int64((int64_t)cx_stereo_dropped(s->snk.mix)));
			json_object_object_add(x, "streams_realigned", json_object_new_int64((int64_t)cx_stereo_realigned(s->snk.mix)));
			if (cx_stereo_error(s->snk.mix)[0])
				json_object_object_add(x, "error", json_object_new_string(cx_stereo_error(s->snk.mix)));
			json_object_object_add(a, "stereo", x);
		}
		json_object_object_add(o, "audio", a);
	}
	struct json_object *dtmf = !s->dtmf ? json_object_new_array() : take ? s->dtmf : json_object_get(s->dtmf);
	if (take)
		s->dtmf = NULL;
	json_object_object_add(o, "dtmf", dtmf);
	json_object_object_add(o, "rtcp", cx_rtcp_table_json(m->rtcp, s->ssrc, cx_stream_clock(s, s->st.last_pt)));
	struct cx_stun_flow *f = cx_stunf_find(m, &s->src, s->sport, &s->dst, s->dport);
	if (f)
		f->used = true;
	json_object_object_add(o, "stun", f ? json_object_get(f->msgs) : json_object_new_array());
	return o;
}

void
cx_media_spill_json(struct cx_spill *sp, uint64_t slot, struct json_object *o)
{
	const char *t = cx_json_pretty(o);
	cx_spill_put(sp, slot, t, strlen(t));
	json_object_put(o);
}

void
cx_media_call_text(struct cx_media *m, const char *relpath, const char *text)
{
	/* written as NAME.tmp and renamed: a kill mid-write leaves no
	 * call.json without its end */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", relpath);
	struct cx_writer *f = cx_writer_new(m->w, tmp, CX_WRITER_RAW, 1);
	if (f && cx_writer_set_final(f, relpath) < 0) {
		cx_writer_free(m->w, f);
		f = NULL;
	}
	if (!f) {
		cx_log(m->ctx, CX_LOG_WARN, "%s: out of memory", relpath);
		return;
	}
	/* one write: the file goes out in one piece (text and newline) */
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	if (!copy || (memcpy(copy, text, len), copy[len] = '\n', cx_writer_write(m->w, f, copy, len + 1) < 0))
		cx_log(m->ctx, CX_LOG_WARN, "%s: %s", relpath, copy ? cx_writer_error(f) : "out of memory");
	free(copy);
	cx_writer_free(m->w, f);
}

/* Report entries of a written-out call's streams, for the finisher. */
struct spill_job {
	struct cx_spill *sp;
	size_t n;
	uint64_t *slot;
	struct json_object **o;
};

static void
spill_run(void *arg)
{
	struct spill_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		cx_media_spill_json(j->sp, j->slot[i], j->o[i]);
	free(j->slot);
	free(j->o);
	free(j);
}

void
cx_media_call_done(struct cx_media *m, uint32_t call_index, int64_t now_ns)
{
	struct cx_mcall *mc = cx_mcall_get(m, call_index, false);
	if (!mc)
		return;
	struct spill_job *job = calloc(1, sizeof(*job));
	size_t ns = 0;
	for (struct cx_stream *s = mc->streams; s; s = s->knext)
		ns++;
	if (job && (!(job->o = calloc(ns + 1, sizeof(*job->o))) || !(job->slot = calloc(ns + 1, sizeof(*job->slot))))) {
		free(job->o);
		free(job);
		job = NULL;
	}
	if (!job) /* out of memory: spilled here, once the finisher is done with the spill */
		cx_finisher_sync(m->ctx->fin);
	for (struct cx_stream *s = mc->streams; s; s = s->knext) {
		if (!s->confirmed)
			continue;
		struct json_object *o = stream_json(m, s, true);
		if (job && job->n < ns) {
			job->slot[job->n] = s->seq;
			job->o[job->n++] = o;
		} else {
			cx_media_spill_json(m->sp_streams, s->seq, o);
		}
	}
	/* STUN flows go with their call: those its streams listed, and the
	 * checks that touched its endpoints without carrying RTP */
	cx_stunf_call_done(m, mc, call_index);
	for (struct cx_stream *s = mc->streams, *n; s; s = n) {
		n = s->knext;
		cx_stream_unlink_chain(&m->sb[cx_stream_hash(&s->src, &s->dst, s->sport, s->dport, s->ssrc)], s);
		cx_rtcp_table_remove(m->rtcp, s->ssrc);
		s->dead = true; /* freed at the next tick (m->v still holds it) */
		s->snk.mix = NULL;
		s->mc = NULL;
		s->knext = NULL;
	}
	mc->streams = mc->streams_tail = NULL;
	/* the entries are serialised and spilled beside the dissection: from
	 * here on nothing of the main thread's points into them (the STUN
	 * lists they hold were let go of above) */
	if (job) {
		job->sp = m->sp_streams;
		cx_finisher_submit(m->ctx->fin, spill_run, job);
	}
	cx_stereo_free(mc->x);
	mc->x = NULL;
	for (struct cx_mcall **pp = &m->mix_b[call_index % CX_MIX_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == mc) {
			*pp = mc->next;
			break;
		}
	}
	for (struct cx_ep *e = mc->eps; e; e = e->cnext) {
		e->finished = true; /* a tomb: only its address is needed now */
		cx_ep_srtp_free(e);
		free(e->pts);
		e->pts = NULL;
		e->npts = e->cappts = 0;
	}
	mc->t_finished = now_ns ? now_ns : 1;
	mc->qnext = NULL;
	if (m->fq_tail)
		m->fq_tail->qnext = mc;
	else
		m->fq = mc;
	m->fq_tail = mc;
}

void
cx_media_report_stream(struct cx_media *m, struct cx_jsonw *w)
{
	cx_jsonw_begin(w, "streams", true);
	/* written-out streams and the ones still here, by creation */
	uint64_t slot = 0, nslots = cx_spill_slots(m->sp_streams);
	size_t i = 0;
	for (;;) {
		while (i < m->n && (m->v[i]->dead || !m->v[i]->confirmed))
			i++;
		uint64_t live = i < m->n ? m->v[i]->seq : UINT64_MAX;
		size_t len = 0;
		const char *t = NULL;
		while (slot < nslots && slot < live && !(t = cx_spill_get(m->sp_streams, slot, &len)))
			slot++;
		if (t && slot < live) {
			cx_jsonw_element_text(w, t, len);
			slot++;
			continue;
		}
		if (i >= m->n)
			break;
		cx_jsonw_element(w, stream_json(m, m->v[i], false));
		i++;
	}
	/* STUN flows that carried no RTP */
	slot = 0;
	nslots = cx_spill_slots(m->sp_stun);
	struct cx_stun_flow *f = m->stun;
	for (;;) {
		while (f && f->used)
			f = f->next;
		uint64_t live = f ? f->seq : UINT64_MAX;
		size_t len = 0;
		const char *t = NULL;
		while (slot < nslots && slot < live && !(t = cx_spill_get(m->sp_stun, slot, &len)))
			slot++;
		if (t && slot < live) {
			cx_jsonw_element_text(w, t, len);
			slot++;
			continue;
		}
		if (!f)
			break;
		cx_jsonw_element(w, cx_stunf_json(m, f));
		f = f->next;
	}
	cx_jsonw_end(w, true);
}

static bool
same_pair(const struct cx_stream *a, const struct cx_stream *b)
{
	return (a->sport == b->sport && a->dport == b->dport && cx_addr_eq(&a->src, &b->src) && cx_addr_eq(&a->dst, &b->dst)) ||
	       (a->sport == b->dport && a->dport == b->sport && cx_addr_eq(&a->src, &b->dst) && cx_addr_eq(&a->dst, &b->src));
}

/* summary.txt: RTP that no signalling in the capture announced is a
 * conversation of its own, one per pair of endpoints (both directions). */
void
cx_media_unsignalled(struct cx_media *m)
{
	size_t sections = 0;
	for (size_t i = 0; i < m->n && sections < 256; i++) {
		struct cx_stream *s = m->v[i];
		if (!s->confirmed || s->call_id || s->dead)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = m->v[k]->confirmed && !m->v[k]->call_id && !m->v[k]->dead && same_pair(m->v[k], s);
		if (seen)
			continue;
		sections++;
		char course[2048], title[200], a[CX_ADDR_STRLEN + 8], b[CX_ADDR_STRLEN + 8], pa[40], pb[40];
		size_t o = 0;
		bool audio = false, dtmf = false;
		struct cx_conv c = { .kind = "rtp", .title = title, .first_frame = s->first_frame, .last_frame = s->last_frame,
				     .start_ns = s->first_ts, .end_ns = s->last_ts, .transport = "UDP",
				     .network = s->src.family == 6 ? "IPv6" : "IPv4" };
		snprintf(pa, sizeof(pa), "%u/udp, RTP", s->sport);
		snprintf(pb, sizeof(pb), "%u/udp, RTP", s->dport);
		cx_conv_party(&c, "one end", &s->src, pa);
		cx_conv_party(&c, "other end", &s->dst, pb);
		for (size_t k = i; k < m->n && o + 400 < sizeof(course); k++) {
			struct cx_stream *t = m->v[k];
			if (!t->confirmed || t->call_id || t->dead || !same_pair(t, s))
				continue;
			if (t->first_frame < c.first_frame) {
				c.first_frame = t->first_frame;
				c.start_ns = t->first_ts;
			}
			if (t->last_frame > c.last_frame) {
				c.last_frame = t->last_frame;
				c.end_ns = t->last_ts;
			}
			bool wav = t->decodable && t->snk.path[0] && !m->ctx->cfg->no_audio;
			audio |= wav;
			dtmf |= t->dtmf && json_object_array_length(t->dtmf);
			uint64_t expected = cx_rtp_stats_expected(&t->st);
			o += (size_t)snprintf(course + o, sizeof(course) - o,
					      "%s -> %s SSRC 0x%08X %s: %llu packets (frames %llu-%llu), %lld lost, jitter max %.1f ms%s%s%s\n",
					      cx_endpoint_str(&t->src, t->sport, a), cx_endpoint_str(&t->dst, t->dport, b), t->ssrc,
					      t->codec[0] ? t->codec : "?", (unsigned long long)t->st.packets,
					      (unsigned long long)t->first_frame, (unsigned long long)t->last_frame,
					      (long long)expected - (long long)t->st.packets, t->st.max_jitter,
					      wav ? ", audio in " : ", not decoded: ", wav ? t->snk.path : t->reason[0] ? t->reason :
					      m->ctx->cfg->no_audio ? "--no-audio" : "no decodable audio payload",
					      t->dtmf && json_object_array_length(t->dtmf) ? "; DTMF events" : "");
		}
		snprintf(title, sizeof(title), "RTP without signalling in the capture: %s <-> %s (%s)",
			 cx_endpoint_str(&s->src, s->sport, a), cx_endpoint_str(&s->dst, s->dport, b), s->codec[0] ? s->codec : "?");
		c.application = "RTP (found by its headers: no SIP/SDP announced it)";
		c.course = course;
		c.protection = "none seen: plain RTP, the payload can be listened to and altered (SRTP would not decode as audio)";
		c.data = audio ? (dtmf ? "audio (decoded to WAV) and RFC 4733 DTMF events" : "audio (decoded to WAV)") :
			 dtmf ? "RFC 4733 DTMF events; media not decoded" : "media not decoded (see the reasons above)";
		cx_summary_conv(m->ctx->summary, &c);
	}
}
