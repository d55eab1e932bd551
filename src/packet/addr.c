/* Address formatting and parsing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "callextract/packet.h"

const char *
cx_addr_str(const struct cx_addr *a, char *buf)
{
	if (a->family == 4)
		inet_ntop(AF_INET, a->a, buf, CX_ADDR_STRLEN);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->a, buf, CX_ADDR_STRLEN);
	else
		strcpy(buf, "-");
	return buf;
}

const char *
cx_endpoint_str(const struct cx_addr *a, uint16_t port, char *buf)
{
	char tmp[CX_ADDR_STRLEN];
	cx_addr_str(a, tmp);
	if (a->family == 6)
		snprintf(buf, CX_ADDR_STRLEN + 8, "[%s]:%u", tmp, port);
	else
		snprintf(buf, CX_ADDR_STRLEN + 8, "%s:%u", tmp, port);
	return buf;
}

int
cx_addr_parse(const char *s, struct cx_addr *out)
{
	char tmp[64];
	size_t n = strlen(s);
	memset(out, 0, sizeof(*out));
	if (n >= sizeof(tmp))
		return -1;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, s, n + 1);
	}
	if (inet_pton(AF_INET, tmp, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}
