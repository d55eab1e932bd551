/* The traffic around the call: DNS, ICMP, FTP. Report keys "dns", "icmp",
 * "ftp". Files: ftp/. */
#ifndef CX_AROUND_H
#define CX_AROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "callextract/packet.h"

struct cx_ctx;
struct cx_dns;
struct cx_icmp;
struct cx_ftp;
struct cx_tcp_conn;
struct json_object;

/* ---- DNS (UDP and TCP) ---- */
struct cx_dns *cx_dns_new(struct cx_ctx *ctx);
void cx_dns_free(struct cx_dns *d);
bool cx_dns_is_port(uint16_t port);           /* 53, 5353, 5355 */
void cx_dns_on_udp(struct cx_dns *d, const struct cx_packet *p);
void cx_dns_tcp_data(struct cx_dns *d, struct cx_tcp_conn *c, int dir, uint64_t frame,
		     int64_t ts_ns, const uint8_t *data, size_t len);
void cx_dns_tcp_close(struct cx_dns *d, struct cx_tcp_conn *c);
void cx_dns_finish(struct cx_dns *d);
void cx_dns_report(struct cx_dns *d, struct json_object *root);
/* Shard mode (doc/distributed.md): whether the shard must read on past its
 * own frames for what it owns here. DNS queries and echo requests: one
 * still unanswered, the newest under CX_SHARD_PENDING_NS old; FTP: a
 * session or one of its data connections still open. */
#define CX_SHARD_PENDING_NS (10 * 1000000000LL)
bool cx_dns_owned_pending(const struct cx_dns *d, int64_t now_ns);
bool cx_icmp_owned_pending(const struct cx_icmp *i, int64_t now_ns);
bool cx_ftp_owned_open(const struct cx_ftp *f);

/* ---- ICMP / ICMPv6 ---- */
struct cx_icmp *cx_icmp_new(struct cx_ctx *ctx);
void cx_icmp_free(struct cx_icmp *i);
void cx_icmp_on_packet(struct cx_icmp *i, const struct cx_packet *p);
/* Every IP datagram is offered so that errors can be linked back to the
 * frame that caused them (bounded memory: a ring of recent datagrams). */
void cx_icmp_remember(struct cx_icmp *i, const struct cx_packet *p);
void cx_icmp_finish(struct cx_icmp *i);
void cx_icmp_report(struct cx_icmp *i, struct json_object *root);

/* ---- FTP ---- */
struct cx_ftp *cx_ftp_new(struct cx_ctx *ctx);
void cx_ftp_free(struct cx_ftp *f);
/* Asked for every new TCP connection before anyone else: true if it is a
 * data connection announced by PORT/EPRT/PASV/EPSV. */
bool cx_ftp_claim_data(struct cx_ftp *f, const struct cx_tcp_conn *c);
/* True if the connection looks like an FTP control channel (port 21, or a
 * "220" banner from the server). first/len: the first bytes seen, dir their
 * direction. */
bool cx_ftp_looks_like(const struct cx_tcp_conn *c, int dir, const uint8_t *first, size_t len);
void cx_ftp_tcp_data(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t frame,
		     int64_t ts_ns, const uint8_t *data, size_t len);
void cx_ftp_tcp_gap(struct cx_ftp *f, struct cx_tcp_conn *c, int dir, uint64_t missing);
void cx_ftp_tcp_close(struct cx_ftp *f, struct cx_tcp_conn *c);
void cx_ftp_finish(struct cx_ftp *f);
void cx_ftp_report(struct cx_ftp *f, struct json_object *root);

#endif
