/* Our own pcapng reader, used when libpcap refuses a file (libpcap 1.10
 * rejects a pcapng whose interfaces have different link types, as written
 * by `tcpdump -i any` on some systems or dumpcap with several -i). */
#ifndef CX_CAPTURE_PCAPNG_H
#define CX_CAPTURE_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

struct cx_pcapng;

/* Takes ownership of f (closed by cx_pcapng_close). Returns 0, or -1 with a
 * message in err. Owned: cx_pcapng_close(). */
int cx_pcapng_open(struct cx_pcapng **out, FILE *f, char *err, size_t errlen);
/* 1 = a packet (data borrowed until the next call), 0 = clean end of file,
 * -1 = damaged file (err says where). Timestamps honour if_tsresol and
 * if_tsoffset; each packet carries its interface's link type. */
int cx_pcapng_next(struct cx_pcapng *r, int *linktype, int64_t *ts_ns, const uint8_t **data,
		   uint32_t *caplen, uint32_t *wirelen, char *err, size_t errlen);
/* Link types of the interfaces seen so far. */
size_t cx_pcapng_linktypes(const struct cx_pcapng *r, int *out, size_t max);
void cx_pcapng_close(struct cx_pcapng *r);

/* Decryption Secrets Blocks (type 0x0000000A: secrets type, length, data)
 * anywhere in the pcapng file at path: cb gets each one's secrets type and
 * data (borrowed for the call). Other blocks are skipped with fseek, not
 * read. Returns the number of DSBs, 0 when the file is not pcapng (or is
 * "-"), -1 on damage (err filled; the DSBs before it were delivered). The
 * frames themselves are read by libpcap or cx_pcapng_next, which skip DSBs. */
int cx_pcapng_secrets(const char *path, void (*cb)(void *arg, uint32_t type, const uint8_t *d, size_t n),
		      void *arg, char *err, size_t errlen);

#endif
