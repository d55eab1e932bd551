/* Shared by the per-parser fuzz targets (fuzz_*.c). Every target defines
 * cx_fuzz_one() (fuzz_frame.h); built with -DCX_LIBFUZZER it also defines
 * LLVMFuzzerTestOneInput, otherwise driver.c runs it over a corpus.
 *
 * Inputs that carry several units (datagrams, segments, lines) separate
 * them with CXF_SEP, three bytes that never occur in UTF-8 text, so that
 * seeds of text protocols stay readable and libFuzzer can splice them. */
#ifndef CX_FUZZ_COMMON_H
#define CX_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include "callextract/callextract.h"
#include "callextract/packet.h"
#include "callextract/tcp.h"
#include "fuzz_frame.h"

struct cx_wrap;

#define CXF_SEP "\xff\xfe\xfd"
#define CXF_SEP_LEN 3

/* A fresh context over a private temporary output dir (NULL on failure);
 * each input gets its own so a leak or stale state shows up per input. */
struct cx_ctx *cxf_open(void);
/* Frees it; one call in 64 runs cx_ctx_finish first so the report writers
 * see the parsed state too. */
void cxf_close(struct cx_ctx *ctx);
/* Next unit of data (split at CXF_SEP): sets *rec and *len, returns 0 at end. */
int cxf_next(const uint8_t **data, size_t *size, const uint8_t **rec, size_t *len);
/* Exact-size heap copy (ASan sees a read one past the end). Owned: free(). */
uint8_t *cxf_copy(const uint8_t *d, size_t n);
/* A connection between 10.0.0.1:cport and 10.0.0.2:sport, as the flow
 * layer would hand it to a consumer. Owned: free() after its close callback. */
struct cx_tcp_conn *cxf_conn(uint16_t cport, uint16_t sport);
/* A UDP packet for the dissectors, dir 0 is from 10.0.0.1:cport to 10.0.0.2:sport. */
void cxf_udp(struct cx_packet *p, int dir, uint16_t cport, uint16_t sport, uint64_t frame,
	     const uint8_t *d, size_t n);

/* A wrapper room's TCP callbacks (include/callextract/wrap.h). */
struct cxf_wrap_ops {
	bool (*looks_like)(const uint8_t *d, size_t n);
	enum cx_tcp_owner owner;
	void (*data)(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t frame, int64_t ts_ns,
		     const uint8_t *d, size_t n);
	void (*gap)(struct cx_wrap *w, struct cx_tcp_conn *c, int dir, uint64_t missing);
	void (*close)(struct cx_wrap *w, struct cx_tcp_conn *c);
	/* units with flag 4 go here instead of the connection (NULL: ignored
	 * flag): fuzz_tls.c's key log text */
	void (*side)(struct cx_wrap *w, const uint8_t *d, size_t n);
};
/* One connection 10.0.0.1:40000 -> 10.0.0.2:sport fed to a wrapper room.
 * Each unit is [flags][bytes]: flags bit 0 = direction (server->client),
 * bit 1 = a gap of lost bytes before this unit. The stream goes to the
 * room once looks_like accepted a unit (as flow/tcp.c claims a
 * connection); it is closed and the wrappers finished at the end. */
int cxf_wrap_stream(const uint8_t *data, size_t size, uint16_t sport, const struct cxf_wrap_ops *ops);

#ifdef CX_LIBFUZZER
#define CXF_LIBFUZZER_ENTRY \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ return cx_fuzz_one(data, size); }
#else
#define CXF_LIBFUZZER_ENTRY
#endif
#endif
