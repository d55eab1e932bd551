/* G.711 mu-law and A-law expansion, computed from the bit layout defined in
 * ITU-T G.711 (sign, 3-bit segment, 4-bit mantissa). */
#include "codec/g711.h"

int16_t
cx_ulaw_to_pcm(uint8_t u)
{
	u = (uint8_t)~u;
	int t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

int16_t
cx_alaw_to_pcm(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0f) << 4;
	int seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

void
cx_g711_decode(int alaw, const uint8_t *in, size_t n, int16_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = alaw ? cx_alaw_to_pcm(in[i]) : cx_ulaw_to_pcm(in[i]);
}
