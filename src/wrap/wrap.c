/* The wrappers' shared state and their report section "wrappers". */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "callextract/ctx.h"
#include "callextract/findings.h"
#include "callextract/wrap.h"
#include "wrap/tls_int.h"
#include "wrap/wrap_int.h"

struct cx_wrap *
cx_wrap_new(struct cx_ctx *ctx)
{
	struct cx_wrap *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ctx = ctx;
	return w;
}

void
cx_wrap_free(struct cx_wrap *w)
{
	if (!w)
		return;
	json_object_put(w->hep_reports);
	json_object_put(w->ws_conns);
	json_object_put(w->tls_conns);
	tls_keys_free(w->keys);
	free(w->keylogs);
	free(w->tls_out);
	free(w);
}

void
cx_wrap_finish(struct cx_wrap *w)
{
	char a[CX_ADDR_STRLEN];
	for (uint32_t i = 0; i < w->n_agents; i++) {
		const struct hep_agent *g = &w->agents[i];
		if (g->auth_key)
			continue;
		/* v1/v2 have no place for a key at all */
		const char *v = (g->versions & 0x08) ? "3" : (g->versions & 0x04) ? "2" : "1";
		cx_findings_add(w->ctx->findings, CX_SEV_MEDIUM, "hep.no_auth_key", g->first_frame,
				"HEP%s from %s (agent %u) carries no auth key: anyone who can reach the "
				"collector can feed it SIP, and the copies travel in clear", v,
				cx_addr_str(&g->from, a), g->id);
	}
}

void
cx_wrap_report(struct cx_wrap *w, struct json_object *holder)
{
	struct json_object *r = json_object_new_object();
	struct json_object *agents = json_object_new_array();
	char a[CX_ADDR_STRLEN];
	for (uint32_t i = 0; i < w->n_agents; i++) {
		const struct hep_agent *g = &w->agents[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "agent", json_object_new_int64(g->id));
		json_object_object_add(o, "from", json_object_new_string(cx_addr_str(&g->from, a)));
		struct json_object *v = json_object_new_array();
		for (int k = 1; k <= 3; k++)
			if (g->versions & (1u << k))
				json_object_array_add(v, json_object_new_int(k));
		json_object_object_add(o, "versions", v);
		json_object_object_add(o, "transport", json_object_new_string(
			g->over_tcp && g->over_udp ? "UDP+TCP" : g->over_tcp ? "TCP" : "UDP"));
		json_object_object_add(o, "first_frame", json_object_new_int64((int64_t)g->first_frame));
		json_object_object_add(o, "messages", json_object_new_int64((int64_t)g->messages));
		json_object_object_add(o, "sip", json_object_new_int64((int64_t)g->sip));
		json_object_object_add(o, "rtcp", json_object_new_int64((int64_t)g->rtcp));
		json_object_object_add(o, "reports", json_object_new_int64((int64_t)g->json));
		json_object_object_add(o, "other", json_object_new_int64((int64_t)g->other));
		json_object_object_add(o, "compressed", json_object_new_int64((int64_t)g->compressed));
		json_object_object_add(o, "auth_key", g->auth_key ? json_object_new_string(g->key) : NULL);
		json_object_array_add(agents, o);
	}
	struct json_object *hep = json_object_new_object();
	json_object_object_add(hep, "agents", agents);
	json_object_object_add(hep, "agents_dropped", json_object_new_int64((int64_t)w->agents_dropped));
	json_object_object_add(hep, "reports", w->hep_reports ? json_object_get(w->hep_reports) : json_object_new_array());
	json_object_object_add(hep, "reports_dropped", json_object_new_int64((int64_t)w->hep_reports_dropped));
	json_object_object_add(r, "hep", hep);
	struct json_object *ws = json_object_new_object();
	json_object_object_add(ws, "connections", w->ws_conns ? json_object_get(w->ws_conns) : json_object_new_array());
	json_object_object_add(ws, "connections_dropped", json_object_new_int64((int64_t)w->ws_conns_dropped));
	json_object_object_add(r, "websocket", ws);
	struct json_object *tls = json_object_new_object();
	json_object_object_add(tls, "connections", w->tls_conns ? json_object_get(w->tls_conns) : json_object_new_array());
	json_object_object_add(tls, "connections_dropped", json_object_new_int64((int64_t)w->tls_conns_dropped));
	cx_wrap_tls_report(w, tls);
	json_object_object_add(r, "tls", tls);
	json_object_object_add(holder, "wrappers", r);
}
