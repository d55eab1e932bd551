/* One call's page (calls/FFFFFFFFFF-.../index.html) and its row in the calls
 * table, from the call's report entries (see html.h). */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/html.h"
#include "callextract/outdir.h"

void cx_html_page_head(FILE *f, const char *root, const char *page);
void cx_html_page_tail(FILE *f, const char *root);
int cx_html_call_page(struct cx_ctx *ctx, struct cx_pictures *pic, struct json_object *dialog,
		      struct json_object *streams, struct json_object *auth, struct json_object *parties,
		      struct json_object *row);

static struct json_object *
get(struct json_object *o, const char *path)
{
	char k[64];
	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(k, sizeof(k), "%.*s", (int)n, path);
		struct json_object *v;
		o = json_object_object_get_ex(o, k, &v) ? v : NULL;
		path += n + (dot ? 1 : 0);
	}
	return o;
}

static const char *
sget(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static void
copy(struct json_object *row, const char *key, struct json_object *v)
{
	json_object_object_add(row, key, v ? json_object_get(v) : NULL);
}

/* The file name of path if it lies in folder (the page links it
 * relatively), else NULL. */
static const char *
in_folder(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	if (!path || strncmp(path, folder, n) || path[n] != '/' || strchr(path + n + 1, '/'))
		return NULL;
	return path + n + 1;
}

int
cx_html_call_page(struct cx_ctx *ctx, struct cx_pictures *pic, struct json_object *dialog,
		  struct json_object *streams, struct json_object *auth, struct json_object *parties,
		  struct json_object *row)
{
	const char *folder = sget(dialog, "folder");
	if (!folder)
		return 0;
	/* a shard draws the pages and pictures of its own calls only */
	struct json_object *id = get(dialog, "index");
	if (ctx->cfg->shard.on && id && !cx_config_owns(ctx->cfg, (uint64_t)json_object_get_int64(id)))
		return 0;
	/* the row of the calls table */
	copy(row, "index", get(dialog, "index"));
	copy(row, "call_id", get(dialog, "call_id"));
	copy(row, "from", get(dialog, "from.uri"));
	copy(row, "to", get(dialog, "to.uri"));
	copy(row, "start", get(dialog, "start.rel"));
	copy(row, "start_utc", get(dialog, "start.utc"));
	struct json_object *s0 = get(dialog, "start.rel"), *s1 = get(dialog, "end.rel");
	json_object_object_add(row, "duration", s0 && s1 ? json_object_new_double(
		(double)(long long)((json_object_get_double(s1) - json_object_get_double(s0)) * 1000 + 0.5) / 1000) : NULL);
	copy(row, "talk_time", get(dialog, "talk_time"));
	copy(row, "state", get(dialog, "state"));
	copy(row, "final_status", get(dialog, "final_status"));
	copy(row, "first_frame", get(dialog, "first_frame"));
	copy(row, "last_frame", get(dialog, "last_frame"));
	copy(row, "folder", get(dialog, "folder"));
	struct json_object *codecs = json_object_new_array();
	double mos = 0;
	bool have_mos = false, srtp = false;
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *c = sget(s, "codec");
		bool seen = false;
		for (size_t k = 0; c && k < json_object_array_length(codecs); k++)
			seen |= !strcmp(json_object_get_string(json_object_array_get_idx(codecs, k)), c);
		if (c && !seen)
			json_object_array_add(codecs, json_object_new_string(c));
		struct json_object *m = get(s, "quality.mos");
		if (m && (!have_mos || json_object_get_double(m) < mos)) {
			mos = json_object_get_double(m);
			have_mos = true;
		}
	}
	struct json_object *sdp = get(dialog, "sdp");
	for (size_t i = 0; i < json_object_array_length(sdp); i++) {
		struct json_object *media = get(json_object_array_get_idx(sdp, i), "media");
		for (size_t k = 0; k < json_object_array_length(media); k++) {
			const char *p = sget(json_object_array_get_idx(media, k), "proto");
			srtp |= p && strstr(p, "SAVP");
		}
	}
	struct json_object *msgs = get(dialog, "messages");
	const char *tr = json_object_array_length(msgs) ? sget(json_object_array_get_idx(msgs, 0), "transport") : NULL;
	bool tls = tr && !strcmp(tr, "TLS");
	json_object_object_add(row, "codecs", codecs);
	json_object_object_add(row, "mos", have_mos ? json_object_new_double(mos) : NULL);
	json_object_object_add(row, "encrypted", json_object_new_string(tls && srtp ? "TLS+SRTP" : tls ? "TLS" : srtp ? "SRTP" : "no"));

	/* pictures of each direction's audio, next to its WAV */
	struct json_object *pics = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *wav = sget(s, "wav");
		const char *name = in_folder(wav, folder);
		struct json_object *p = json_object_new_object();
		json_object_array_add(pics, p);
		if (!name)
			continue;
		char wave[300], spec[300];
		int len = (int)strlen(wav);
		if (len < 5 || len > 280)
			continue;
		snprintf(wave, sizeof(wave), "%.*s.wave.png", len - 4, wav);
		snprintf(spec, sizeof(spec), "%.*s.spec.png", len - 4, wav);
		int width = 0;
		char why[200] = "";
		if (pic && cx_pictures_write(ctx, pic, wav, wave, spec, &width, why, sizeof(why)) == 0) {
			json_object_object_add(p, "wave", json_object_new_string(in_folder(wave, folder)));
			json_object_object_add(p, "spec", json_object_new_string(in_folder(spec, folder)));
			json_object_object_add(p, "width", json_object_new_int(width));
		} else {
			json_object_object_add(p, "error", json_object_new_string(pic ? why : "out of memory"));
		}
	}

	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "dialog", json_object_get(dialog));
	json_object_object_add(data, "streams", json_object_get(streams));
	json_object_object_add(data, "auth", json_object_get(auth));
	json_object_object_add(data, "parties", parties ? json_object_get(parties) : json_object_new_array());
	json_object_object_add(data, "pictures", pics);
	char path[300];
	snprintf(path, sizeof(path), "%s/index.html", folder);
	FILE *f = cx_outdir_fopen(ctx->out, path, "w");
	int rc = -1;
	if (f) {
		cx_html_page_head(f, "../../", "call");
		fputs("<script type=\"application/json\" id=\"d-call\">", f);
		const char *t = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		cx_html_json_escape(f, t, strlen(t));
		fputs("</script>\n", f);
		cx_html_page_tail(f, "../../");
		rc = fclose(f) == 0 ? 0 : -1;
	}
	json_object_put(data);
	return rc;
}
