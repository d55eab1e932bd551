/* TLS (src/wrap/tls.c, tls_keys.c, tls_crypto.c): the record layer
 * (reassembly of records and of handshake messages across records),
 * ClientHello/ServerHello extensions (HelloRetryRequest, encrypt_then_mac),
 * Certificate (1.2 and 1.3 forms), and decryption: a unit with flag 4 is
 * NSS key log text handed to the key store as a pcapng Decryption Secrets
 * Block would be (cx_wrap_tls_secrets), so inputs that carry the secrets of
 * their own handshake reach the key schedules, AEAD/CBC record decryption,
 * the decrypted handshake (Finished, KeyUpdate) and the SIP or WebSocket
 * parser behind it. One connection 10.0.0.1:40000 -> 10.0.0.2:5061; units
 * as cxf_wrap_stream reads them ([flags][bytes]: bit 0 direction, bit 1 a
 * gap before, bit 2 key log). Seeds: make-tls-seeds.py. */
#include "callextract/wrap.h"
#include "fuzz_common.h"

static void
keylog(struct cx_wrap *w, const uint8_t *d, size_t n)
{
	cx_wrap_tls_secrets(w, CX_DSB_TLS_KEYLOG, d, n);
}

static const struct cxf_wrap_ops ops = {
	cx_tls_looks_like, CX_TCP_TLS, cx_tls_tcp_data, cx_tls_tcp_gap, cx_tls_tcp_close, keylog,
};

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	return cxf_wrap_stream(data, size, 5061, &ops);
}
CXF_LIBFUZZER_ENTRY
