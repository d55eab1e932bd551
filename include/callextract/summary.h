/* summary.txt: an analyst's write-up, one section per conversation in time
 * order. Modules add finished sections; cx_summary_write sorts them. */
#ifndef CX_SUMMARY_H
#define CX_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

struct cx_summary;

struct cx_summary *cx_summary_new(void);
void cx_summary_free(struct cx_summary *s);
/* text is copied. Sections sort by (ts_ns, first_frame). */
void cx_summary_add(struct cx_summary *s, int64_t ts_ns, uint64_t first_frame, const char *text);
void cx_summary_write(const struct cx_summary *s, FILE *out);

#endif
