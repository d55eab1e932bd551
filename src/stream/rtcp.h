/* RTCP summaries kept per SSRC, whether or not RTP of that SSRC has been
 * seen yet (RTCP often comes first), and turned into a stream's "rtcp"
 * object at report time. */
#ifndef CX_STREAM_RTCP_H
#define CX_STREAM_RTCP_H

#include <stdint.h>
#include "proto/rtp.h"

struct cx_rtcp_table;
struct json_object;

#define CX_RTCP_MAX_SOURCES 16384 /* SSRCs remembered; more are counted, not kept */

/* Owned by the caller; free with cx_rtcp_table_free. */
struct cx_rtcp_table *cx_rtcp_table_new(void);
void cx_rtcp_table_free(struct cx_rtcp_table *t);

/* Records what one parsed compound packet says about its sender and about
 * each SSRC in its report blocks. arrival: the capture time as the middle
 * 32 bits of an NTP timestamp (for LSR/DLSR round trips). Returns -1 when
 * a new SSRC did not fit (cap). */
int cx_rtcp_table_add(struct cx_rtcp_table *t, const struct cx_rtcp_info *info, uint32_t arrival);

/* A new JSON object about ssrc (caller owns it), or NULL if no RTCP named
 * it. clock: the stream's RTP clock, to express reported jitter in ms
 * (0: jitter left in timestamp units only). */
struct json_object *cx_rtcp_table_json(const struct cx_rtcp_table *t, uint32_t ssrc, uint32_t clock);

/* Forgets ssrc (its stream was written out with its call). */
void cx_rtcp_table_remove(struct cx_rtcp_table *t, uint32_t ssrc);
/* NTP middle 32 bits of a capture time. */
uint32_t cx_rtcp_ntp_middle(int64_t ts_ns);

#endif
