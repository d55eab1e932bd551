/* SDP bodies: the dialog module's line scanner and osip2's parser
 * (cx_dialog_parse_sdp), the result serialised as call.json would be. */
#include <stdbool.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "call/dialog.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		cx_global_init(); /* osip2's parser tables */
		init = 1;
	}
	char *d = (char *)cxf_copy(data, size);
	if (!d)
		return 0;
	struct json_object *media = NULL;
	bool ok;
	struct json_object *o = cx_dialog_parse_sdp(d, size, &media, &ok);
	if (media)
		json_object_object_add(o, "media", media);
	(void)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	json_object_put(o);
	free(d);
	return 0;
}
CXF_LIBFUZZER_ENTRY
