/* What the capture tells about each host: DNS names learned from answers,
 * MAC addresses (with the IEEE OUI vendor), the software it announced.
 * Used to label addresses in every report. */
#ifndef CX_NAMES_H
#define CX_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "callextract/packet.h"

struct cx_names;
struct json_object;

/* oui_path: IEEE registry (ieee-data oui.txt or Wireshark manuf), NULL for
 * the default places; a missing file only disables vendor names. */
struct cx_names *cx_names_new(const char *oui_path);
void cx_names_free(struct cx_names *n);

void cx_names_add_dns(struct cx_names *n, const struct cx_addr *a, const char *name);
void cx_names_add_mac(struct cx_names *n, const struct cx_addr *a, const uint8_t mac[6]);
/* kind: "sip-user-agent", "sip-server", "ftp-banner", "ftp-syst", "ftp-clnt". */
void cx_names_add_software(struct cx_names *n, const struct cx_addr *a, const char *kind,
			   const char *text);
/* The same, for a string the host may only have passed on (a SIP proxy
 * relays the User-Agent and Server of others): it is left out of the host's
 * software when another host announced it first-hand. */
void cx_names_add_software_seen(struct cx_names *n, const struct cx_addr *a, const char *kind,
				const char *text, bool relayed);

/* "sip.example.com (10.0.0.1)" or "10.0.0.1". Borrowed: valid until the
 * next call on n. */
const char *cx_names_label(struct cx_names *n, const struct cx_addr *a);
/* First DNS name for a, or NULL (borrowed until cx_names_free). */
const char *cx_names_dns(const struct cx_names *n, const struct cx_addr *a);
/* Vendor for a MAC from the OUI registry, or NULL. */
const char *cx_names_vendor(const struct cx_names *n, const uint8_t mac[6]);

/* One line about a: "sip.example.com (10.0.0.1); MAC 52:54:00:..
 * (vendor: hint); software: baresip [sip-user-agent]". Returns the length
 * written to buf (always terminated). */
size_t cx_names_describe(const struct cx_names *n, const struct cx_addr *a, char *buf, size_t sz);
/* New JSON object for a (as in "hosts"; only the address if unknown). */
struct json_object *cx_names_host(const struct cx_names *n, const struct cx_addr *a);

/* New JSON array "hosts": address, names, macs+vendor, vm hint, software. */
struct json_object *cx_names_report(const struct cx_names *n);
/* The same, written as the member "hosts" one host at a time. */
struct cx_jsonw;
void cx_names_report_stream(const struct cx_names *n, struct cx_jsonw *w);

/* What the tables' caps kept out (see names.c: MAX_HOSTS addresses,
 * MAX_DNS names, MAX_MACS MACs and MAX_SW software strings per host), each
 * counted once per distinct item: addresses never described, names, MACs
 * and software strings not kept for a host. Any pointer may be NULL. */
void cx_names_dropped(const struct cx_names *n, uint64_t *hosts, uint64_t *names, uint64_t *macs,
		      uint64_t *software);

/* Shards (doc/distributed.md): set_log makes every later call that
 * changes the table append a record to f (NULL: stop; f not owned);
 * replay makes those calls again, in order, on n. 0, or -1 on a damaged
 * log (what came before it is applied). */
void cx_names_set_log(struct cx_names *n, FILE *f);
int cx_names_replay(struct cx_names *n, const void *data, size_t len);

#endif
