/* G.711 expansion (ITU-T G.711 tables, as libsndfile decodes them). */
#ifndef CX_CODEC_G711_H
#define CX_CODEC_G711_H

#include <stddef.h>
#include <stdint.h>

int16_t cx_ulaw_to_pcm(uint8_t u);
int16_t cx_alaw_to_pcm(uint8_t a);
/* Decode n bytes into out[n]. */
void cx_g711_decode(int alaw, const uint8_t *in, size_t n, int16_t *out);

#endif
