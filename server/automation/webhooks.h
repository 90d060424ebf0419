/* Outgoing webhook subscriptions and their delivery log (docs/automations.md, "Webhooks"). */
#ifndef MC_AUTOMATION_WEBHOOKS_H
#define MC_AUTOMATION_WEBHOOKS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* the events a webhook can subscribe to, NULL-terminated */
extern const char *const WEBHOOK_EVENTS[];

/* Each returns the webhook as JSON (caller frees with json_decref()), or NULL with err: 400
 * naming the field for bad input, 404 for an unknown id. allow_private: [webhooks]
 * allow_private (a URL whose host is a loopback, private or link-local literal address is
 * refused without it). Create answers the generated secret once, when the body had none. */
json_t *webhook_create(PGconn *conn, json_t *body, bool allow_private, mc_error *err);
json_t *webhook_get(PGconn *conn, long long id, mc_error *err);
/* replace: PUT (url and events required, a missing secret or enabled is kept); else PATCH */
json_t *webhook_update(PGconn *conn, long long id, json_t *body, bool replace, bool allow_private,
                       mc_error *err);
int webhook_delete(PGconn *conn, long long id, mc_error *err);
/* returns {"items", "next_cursor"[, "total"]} of webhooks by id (caller frees) or NULL */
json_t *webhook_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err);
/* A webhook's deliveries, newest first (after: the last id of the previous page, 0 for the
 * first), each with its attempts; state (NULL: all) filters. returns the page (caller frees
 * with json_decref()) or NULL with err (404: no such webhook, 400: unknown state). */
json_t *webhook_deliveries(PGconn *conn, long long id, const char *state, long long after,
                           int limit, bool with_total, mc_error *err);
/* Deletes at most limit delivered and failed deliveries (with their attempts) queued more than
 * days ago, oldest first. returns how many, or -1 with err. */
long long webhook_log_prune(PGconn *conn, unsigned days, int limit, mc_error *err);
/* Queues a webhook.test delivery to the webhook. returns the delivery (caller frees) or NULL. */
json_t *webhook_queue_test(PGconn *conn, long long id, mc_error *err);

#endif
