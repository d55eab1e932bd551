/* TLS (src/wrap/tls.c): the record layer (reassembly of records and of
 * handshake messages across records), ClientHello/ServerHello extensions,
 * Certificate, on one connection 10.0.0.1:40000 -> 10.0.0.2:5061.
 * Units as cxf_wrap_stream reads them. */
#include "callextract/wrap.h"
#include "fuzz_common.h"

static const struct cxf_wrap_ops ops = {
	cx_tls_looks_like, CX_TCP_TLS, cx_tls_tcp_data, cx_tls_tcp_gap, cx_tls_tcp_close,
};

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	return cxf_wrap_stream(data, size, 5061, &ops);
}
CXF_LIBFUZZER_ENTRY
