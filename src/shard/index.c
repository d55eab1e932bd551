/* callextract index: what a shard needs to know of the files before it
 * (doc/distributed.md). One read of each file's records, no dissection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "callextract/shard.h"
#include "capture/source.h"

int
cx_index_file(const char *path, struct cx_index *ix, char *err, size_t errlen)
{
	struct cx_source *s;
	memset(ix, 0, sizeof(*ix));
	if (cx_source_open_file(&s, path, err, errlen) < 0)
		return -1;
	ix->sort_ts = cx_source_first_ts(s);
	int lt, rc;
	int64_t ts;
	const uint8_t *d;
	uint32_t cap, wire;
	bool timeout;
	while ((rc = cx_source_next(s, &lt, &ts, &d, &cap, &wire, &timeout, err, errlen)) == 1) {
		if (ix->frames == 0)
			ix->first_ts = ts;
		else
			ix->life_within += cx_life_step(ix->last_ts, ts);
		ix->last_ts = ts;
		ix->frames++;
	}
	ix->damaged = rc < 0;
	cx_source_close(s);
	return 0;
}

void
cx_index_chain(struct cx_index *ix, size_t n)
{
	uint64_t frames = 0;
	int64_t life = 0, prev = 0, origin = 0;
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		ix[i].shard.on = true;
		ix[i].shard.frames_before = frames;
		/* the clock before this file's first frame: its step from the
		 * previous frame is taken when that frame is read */
		ix[i].shard.life_ns = life;
		ix[i].shard.prev_ts = seen ? prev : ix[i].first_ts;
		ix[i].shard.own_first = frames + 1;
		ix[i].shard.own_last = frames + ix[i].frames;
		if (ix[i].frames) {
			if (!seen)
				origin = ix[i].first_ts;
			life += (seen ? cx_life_step(prev, ix[i].first_ts) : 0) + ix[i].life_within;
			prev = ix[i].last_ts;
			seen = true;
		}
		frames += ix[i].frames;
	}
	for (size_t i = 0; i < n; i++)
		ix[i].shard.origin_ts = origin;
}
