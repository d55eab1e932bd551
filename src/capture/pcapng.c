/* PLACEHOLDER until the capture area lands. */
#include "capture/pcapng.h"
int cx_pcapng_open(struct cx_pcapng **out, FILE *f, char *err, size_t errlen) { if (f) fclose(f); snprintf(err, errlen, "pcapng fallback not built"); *out = NULL; return -1; }
int cx_pcapng_next(struct cx_pcapng *r, int *lt, int64_t *ts, const uint8_t **d, uint32_t *c, uint32_t *w, char *err, size_t n) { return -1; }
size_t cx_pcapng_linktypes(const struct cx_pcapng *r, int *out, size_t max) { return 0; }
void cx_pcapng_close(struct cx_pcapng *r) {}
