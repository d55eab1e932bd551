/* RFC 4733 telephone events: one entry per event (digit, start, duration,
 * volume, end), updated by its repeated packets. */
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/cursor.h"
#include "stream/stream.h"
#include "util/text.h"

#define MAX_DTMF 256

void
cx_dtmf_event(struct cx_media *m, struct cx_stream *s, const struct cx_unit *u)
{
	struct cx_cur c = cx_cur_make(u->data, u->len);
	uint8_t ev = cx_get_u8(&c), flags = cx_get_u8(&c);
	uint16_t dur = cx_get_be16(&c);
	if (c.err)
		return;
	static const char digits[] = "0123456789*#ABCD";
	bool end = flags & 0x80;
	uint32_t clock = cx_stream_clock(s, u->pt);
	double dur_ms = dur * 1000.0 / (clock ? clock : 8000);
	if (!s->dtmf)
		s->dtmf = json_object_new_array();
	size_t n = json_object_array_length(s->dtmf);
	struct json_object *last = n ? json_object_array_get_idx(s->dtmf, n - 1) : NULL;
	if (last && s->dtmf_last_ts == u->ts) {
		/* same event: update duration and end */
		json_object_object_add(last, "duration_ms", json_object_new_double(dur_ms));
		if (end)
			json_object_object_add(last, "end", json_object_new_boolean(1));
		return;
	}
	if (n >= MAX_DTMF)
		return;
	s->dtmf_last_ts = u->ts;
	struct json_object *o = json_object_new_object();
	char d[2] = { ev < 16 ? digits[ev] : '?', 0 };
	char t[48];
	json_object_object_add(o, "digit", json_object_new_string(d));
	json_object_object_add(o, "event", json_object_new_int(ev));
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)u->frame));
	json_object_object_add(o, "time", json_object_new_string(cx_time_utc(u->ts_ns, t, sizeof(t))));
	json_object_object_add(o, "rel", json_object_new_double(cx_time_rel(m->ctx, u->ts_ns)));
	json_object_object_add(o, "duration_ms", json_object_new_double(dur_ms));
	json_object_object_add(o, "volume", json_object_new_int(flags & 0x3f));
	json_object_object_add(o, "end", json_object_new_boolean(end));
	json_object_array_add(s->dtmf, o);
}
