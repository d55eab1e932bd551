/* Fuzz entry over the whole frame path: link layer, tunnels, IP and
 * reassembly, UDP/TCP, and every dissector behind them (SIP, SDP, RTP,
 * RTCP, STUN, auth, ...). An input is a sequence of frames:
 *   [link-type selector][length: 2 bytes][frame bytes] ...
 * so that reassembly state is exercised across frames. Each input gets a
 * fresh context (leaks show up per input); a selector with its high bit set
 * is followed by a 6 s pause (so calls are finished inside an input); one in
 * 256 inputs is also finished, so
 * the report writers run too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callextract/callextract.h"
#include "callextract/outdir.h"
#include "fuzz_frame.h"
#include "fuzz_tmp.h"

static const int linktypes[] = { 1, 0, 101, 108, 113, 276, 228, 229 };

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	static int init;
	static char dir[64];
	static struct cx_config cfg;
	static unsigned long count;
	if (!init) {
		cx_global_init();
		/* tmpfs when there is one: every input opens a dozen files */
		snprintf(dir, sizeof(dir), "%s/cxfuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			return 0;
		cxf_remove_at_exit(dir);
		cx_config_defaults(&cfg);
		cfg.outdir = dir;
		cfg.force = true;
		cfg.verbosity = -1;
		init = 1;
	}
	struct cx_outdir *out;
	const char *why;
	if (cx_outdir_open(&out, dir, 1, &why) < 0)
		return 0;
	struct cx_ctx *ctx;
	if (cx_ctx_new(&ctx, &cfg, out) < 0) {
		cx_outdir_close(out);
		return 0;
	}
	size_t off = 0;
	int64_t ts = 1000000000LL;
	while (off + 3 <= size) {
		int lt = linktypes[data[off] % (sizeof(linktypes) / sizeof(*linktypes))];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		/* exact-size copy: ASan sees any read past the frame */
		uint8_t *frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		cx_ctx_frame(ctx, lt, ts, frame, (uint32_t)len, (uint32_t)len);
		free(frame);
		/* the selector's high bit is a 6 s pause: calls' lives end
		 * (linger, late packets, continuations) inside one input */
		ts += (data[off - 3] & 0x80) ? 6000000000LL : 20000000LL;
		off += len;
	}
	if ((++count & 255) == 0)
		cx_ctx_finish(ctx, NULL);
	cx_ctx_free(ctx);
	cx_outdir_close(out);
	return 0;
}

#ifdef CX_LIBFUZZER
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cx_fuzz_one(data, size);
}
#endif
