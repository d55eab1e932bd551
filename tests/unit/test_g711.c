/* Our G.711 expansion must equal libsndfile's for all 256 codes of both
 * laws (DEPS.md §3: libsndfile's mu-law decode equals the ITU reference). */
#include <criterion/criterion.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "codec/g711.h"

static void
check(int format, int alaw)
{
	char path[] = "/tmp/cxg711-XXXXXX";
	close(mkstemp(path));
	SF_INFO info = { .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | format };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	cr_assert_not_null(sf);
	uint8_t codes[256];
	for (int i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	cr_assert_eq(sf_write_raw(sf, codes, 256), 256);
	sf_close(sf);
	memset(&info, 0, sizeof(info));
	sf = sf_open(path, SFM_READ, &info);
	short ref[256];
	cr_assert_eq(sf_readf_short(sf, ref, 256), 256);
	sf_close(sf);
	unlink(path);
	int16_t ours[256];
	cx_g711_decode(alaw, codes, 256, ours);
	for (int i = 0; i < 256; i++)
		cr_assert_eq(ours[i], ref[i], "%s code 0x%02x: ours %d, libsndfile %d",
			     alaw ? "A-law" : "mu-law", i, ours[i], ref[i]);
}

Test(g711, ulaw_equals_libsndfile) { check(SF_FORMAT_ULAW, 0); }
Test(g711, alaw_equals_libsndfile) { check(SF_FORMAT_ALAW, 1); }
