#ifndef CX_TOOLS_EXPLAIN_H
#define CX_TOOLS_EXPLAIN_H
#include <stdint.h>
#include <stdio.h>
/* Layer-by-layer breakdown of one frame. Returns 0, or non-zero with a message on stderr. */
int cx_explain(const char *capture, uint64_t frame, FILE *out);
#endif
