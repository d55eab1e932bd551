/* PLACEHOLDER until the around area lands. */
#include <stdlib.h>
#include "callextract/names.h"
struct cx_names { char buf[64]; };
struct cx_names *cx_names_new(const char *oui_path) { return calloc(1, sizeof(struct cx_names)); }
void cx_names_free(struct cx_names *n) { free(n); }
void cx_names_add_dns(struct cx_names *n, const struct cx_addr *a, const char *name) {}
void cx_names_add_mac(struct cx_names *n, const struct cx_addr *a, const uint8_t mac[6]) {}
void cx_names_add_software(struct cx_names *n, const struct cx_addr *a, const char *kind, const char *text) {}
const char *cx_names_label(struct cx_names *n, const struct cx_addr *a) { return cx_addr_str(a, n->buf); }
const char *cx_names_dns(const struct cx_names *n, const struct cx_addr *a) { return NULL; }
const char *cx_names_vendor(const struct cx_names *n, const uint8_t mac[6]) { return NULL; }
struct json_object *cx_names_report(const struct cx_names *n) { return NULL; }
