/* admin_http.h - the admin HTTP endpoint on admin_listen: GET /metrics
 * (Prometheus text), GET /v1/status (JSON) and POST /v1/leaders/balance
 * (balance.h; answers {"requested": N}); 405 for another method on those,
 * 404 for anything else. */
#ifndef FJORD_SUP_ADMIN_HTTP_H
#define FJORD_SUP_ADMIN_HTTP_H

#include "common/buf.h"

struct sup;
struct evhttp;

/* Binds s->cfg->node.admin_listen and serves it. Returns the server, or
 * NULL after logging which address could not be bound. */
struct evhttp *admin_http_start(struct sup *s);

/* Renders the bodies (appended to out); exposed for tests. */
void admin_http_metrics(struct sup *s, struct buf *out);
void admin_http_status(struct sup *s, struct buf *out);

#endif
