#include <criterion/criterion.h>
#include "callextract/cursor.h"

Test(cursor, reads_big_endian_fields)
{
	const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01 };
	struct cx_cur c = cx_cur_make(b, sizeof(b));
	cr_assert_eq(cx_get_be16(&c), 0x1234);
	cr_assert_eq(cx_get_be32(&c), 0x56789abcu);
	cr_assert_eq(cx_get_u8(&c), 0xde);
	cr_assert_eq(cx_cur_left(&c), 2);
	cr_assert_eq(c.err, 0);
}

Test(cursor, overrun_is_sticky_and_returns_zero)
{
	const uint8_t b[] = { 1, 2, 3 };
	struct cx_cur c = cx_cur_make(b, sizeof(b));
	cr_assert_eq(cx_get_be32(&c), 0);
	cr_assert(c.err);
	cr_assert_eq(cx_get_u8(&c), 0, "reads after an overrun must return 0");
	cr_assert_eq(cx_cur_left(&c), 0);
}

Test(cursor, take_gives_bounded_subcursor)
{
	const uint8_t b[] = { 0, 4, 'a', 'b', 'c', 'd', 'e' };
	struct cx_cur c = cx_cur_make(b, sizeof(b));
	uint16_t n = cx_get_be16(&c);
	struct cx_cur s = cx_take(&c, n);
	cr_assert_eq(cx_cur_left(&s), 4);
	cx_skip(&s, 5);
	cr_assert(s.err, "sub-cursor must not read past its slice");
	cr_assert_eq(cx_get_u8(&c), 'e');
	struct cx_cur t = cx_take(&c, 1);
	cr_assert(t.err && c.err);
}

Test(cursor, find_and_peek)
{
	const char *m = "INVITE x SIP/2.0\r\nA: b\r\n\r\nbody";
	struct cx_cur c = cx_cur_make(m, strlen(m));
	cr_assert_eq(cx_find(&c, "\r\n\r\n", 4), 22);
	cr_assert_eq(cx_peek_u8(&c, 0), 'I');
	cr_assert_eq(cx_peek_u8(&c, 100), 0);
	cr_assert(c.err);
}
