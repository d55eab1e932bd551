/* The harnesses' output directory is removed when the process ends: the
 * suite runs some twenty harnesses on every build, and /dev/shm is memory. */
#ifndef CX_FUZZ_TMP_H
#define CX_FUZZ_TMP_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char cxf_tmp_dir[64];

static int
cxf_tmp_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
cxf_tmp_cleanup(void)
{
	if (cxf_tmp_dir[0])
		nftw(cxf_tmp_dir, cxf_tmp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir: made by mkdtemp, at most 63 bytes */
static inline void
cxf_remove_at_exit(const char *dir)
{
	snprintf(cxf_tmp_dir, sizeof(cxf_tmp_dir), "%s", dir);
	atexit(cxf_tmp_cleanup);
}
#endif
