/* The text rule (doc/output.md "Text from packets"): cx_json_utf8 on
 * json-c's text and cx_printable for text files, on the edge cases of
 * UTF-8 a strict decoder refuses. */
#include <criterion/criterion.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/spill.h"
#include "util/text.h"

/* json-c's text of a string made of bytes, through cx_json_utf8 */
static char *
json_of(const char *bytes)
{
	struct json_object *s = json_object_new_string(bytes);
	const char *t = json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t ul;
	char *u = cx_json_utf8(t, strlen(t), &ul);
	char *r = strdup(u ? u : t);
	cr_assert_eq(strlen(r), u ? ul : strlen(t));
	free(u);
	json_object_put(s);
	return r;
}

Test(text, json_escapes_what_is_not_utf8_and_backslashes)
{
	static const struct { const char *in, *out; } v[] = {
		{ "plain", "\"plain\"" },
		{ "A\x91" "B", "\"A\\\\x91B\"" },                       /* lone continuation byte */
		{ "a\\b", "\"a\\\\\\\\b\"" },                            /* backslash: \\ in the value */
		{ "q\"", "\"q\\\"\"" },                                  /* json-c's own escape kept */
		{ "\x01", "\"\\u0001\"" },                               /* control: JSON escape */
		{ "\xc3\xa9", "\"\xc3\xa9\"" },                          /* e-acute kept */
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },          /* 4-byte kept */
		{ "\xe2\x80\xa8", "\"\\u2028\"" },                       /* U+2028 */
		{ "\xc0\xaf", "\"\\\\xc0\\\\xaf\"" },                    /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"" },         /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"" }, /* above U+10FFFF */
		{ "\xe2\x82", "\"\\\\xe2\\\\x82\"" },                    /* cut sequence at the end */
		{ "\xe2\x82x", "\"\\\\xe2\\\\x82x\"" },                  /* cut sequence, then ASCII */
		{ "<script>", "\"<script>\"" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		char *r = json_of(v[i].in);
		cr_expect_str_eq(r, v[i].out, "case %zu", i);
		/* and json-c reads it back as valid UTF-8 text with the escapes */
		free(r);
	}
}

Test(text, json_result_reads_back_to_the_rule)
{
	char *r = json_of("A\x91\\Z");
	struct json_object *o = json_tokener_parse(r);
	cr_assert_not_null(o);
	cr_expect_str_eq(json_object_get_string(o), "A\\x91\\\\Z");
	json_object_put(o);
	free(r);
}

Test(text, printable_for_text_files)
{
	static const struct { const char *in, *out; } v[] = {
		{ "plain <x>", "plain <x>" },
		{ "A\x91" "B", "A\\x91B" },
		{ "a\\b", "a\\\\b" },
		{ "tab\there\r\n", "tab\\x09here\\x0d\\x0a" },
		{ "\x7f", "\\x7f" },
		{ "\xc2\x85", "\\xc2\\x85" },            /* C1 control (NEL) */
		{ "\xe2\x80\xa9", "\\xe2\\x80\\xa9" },   /* U+2029 */
		{ "\xc3\xa9", "\xc3\xa9" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		char out[128];
		cx_printable(v[i].in, out, sizeof(out));
		cr_expect_str_eq(out, v[i].out, "case %zu", i);
	}
	/* an escape that does not fit is left out whole */
	char small[6];
	cx_printable("ab\x91", small, sizeof(small));
	cr_expect_str_eq(small, "ab");
	cx_printable("\xc3\xa9\xc3\xa9\xc3\xa9", small, sizeof(small));
	cr_expect_str_eq(small, "\xc3\xa9\xc3\xa9");
}
