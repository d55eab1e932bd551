#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "callextract/outdir.h"

Test(outdir, sanitize_hostile_names)
{
	char out[128];
	cr_assert_str_eq(cx_sanitize_name("../../etc/passwd", 16, out, sizeof(out)), "_._.._etc_passwd");
	cr_assert_str_eq(cx_sanitize_name("..", 2, out, sizeof(out)), "_.");
	cr_assert_str_eq(cx_sanitize_name("", 0, out, sizeof(out)), "_");
	cr_assert_str_eq(cx_sanitize_name("a\0b/c", 5, out, sizeof(out)), "a_b_c");
	char big[5000];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(strlen(cx_sanitize_name(big, sizeof(big), out, sizeof(out))), 100);
	cr_assert_str_eq(cx_sanitize_name("a84b4c76e66710@pc33.atlanta.com", 31, out, sizeof(out)),
			 "a84b4c76e66710@pc33.atlanta.com");
}

Test(outdir, refuses_escapes_and_symlinks)
{
	char dir[] = "/tmp/cxout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct cx_outdir *d;
	const char *why;
	cr_assert_eq(cx_outdir_open(&d, dir, 0, &why), 0);
	cr_assert_null(cx_outdir_fopen(d, "../escape", "w"));
	cr_assert_null(cx_outdir_fopen(d, "/tmp/abs", "w"));
	cr_assert_null(cx_outdir_fopen(d, "a/../../b", "w"));
	char link[300];
	snprintf(link, sizeof(link), "%s/evil", dir);
	cr_assert_eq(symlink("/tmp", link), 0);
	cr_assert_null(cx_outdir_fopen(d, "evil/x", "w"), "must not follow a planted symlink");
	cr_assert_null(cx_outdir_fopen(d, "evil", "w"));
	FILE *f = cx_outdir_fopen(d, "calls/0001-x/call.json", "w");
	cr_assert_not_null(f);
	fputs("{}", f);
	fclose(f);
	cx_outdir_close(d);
	/* Now non-empty: refused without force, accepted with it. */
	cr_assert_lt(cx_outdir_open(&d, dir, 0, &why), 0);
	cr_assert_eq(cx_outdir_open(&d, dir, 1, &why), 0);
	cx_outdir_close(d);
}
