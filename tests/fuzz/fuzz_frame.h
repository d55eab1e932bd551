#ifndef CX_FUZZ_FRAME_H
#define CX_FUZZ_FRAME_H
#include <stddef.h>
#include <stdint.h>
/* One fuzz input through the whole pipeline. Always returns 0. */
int cx_fuzz_one(const uint8_t *data, size_t size);
#endif
