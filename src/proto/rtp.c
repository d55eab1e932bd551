/* RTP fixed header (RFC 3550 5.1): CSRC list, header extension and
 * padding checked against the datagram's length. */
#include <string.h>
#include "callextract/cursor.h"
#include "proto/rtp.h"

int
cx_rtp_parse(const uint8_t *d, size_t n, struct cx_rtp *r)
{
	struct cx_cur c = cx_cur_make(d, n);
	uint8_t b0 = cx_get_u8(&c), b1 = cx_get_u8(&c);
	r->seq = cx_get_be16(&c);
	r->ts = cx_get_be32(&c);
	r->ssrc = cx_get_be32(&c);
	if (c.err || (b0 >> 6) != 2)
		return -1;
	r->padding = b0 & 0x20;
	r->ext = b0 & 0x10;
	r->cc = b0 & 0x0f;
	r->marker = b1 & 0x80;
	r->pt = b1 & 0x7f;
	cx_skip(&c, (size_t)r->cc * 4);
	if (r->ext) {
		cx_skip(&c, 2);
		uint16_t words = cx_get_be16(&c);
		cx_skip(&c, (size_t)words * 4);
	}
	if (c.err)
		return -1;
	size_t len = cx_cur_left(&c);
	if (r->padding) {
		if (len == 0)
			return -1;
		struct cx_cur last = c;
		cx_skip(&last, len - 1);
		uint8_t pad = cx_get_u8(&last);
		if (pad == 0 || pad > len)
			return -1;
		len -= pad;
	}
	r->payload = c.p;
	r->payload_len = (uint32_t)len;
	return 0;
}
