/* What the public pages do, without the pages: subscribing through the form (with double
 * opt-in and a per-address rate limit), confirming, and a subscriber's own preferences.
 * Every change records consent with source "form" or "preferences". */
#ifndef MC_AUDIENCE_PUBLIC_FLOWS_H
#define MC_AUDIENCE_PUBLIC_FLOWS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

#define CONFIRM_TOKEN_DAYS 7

/* returns [{"id", "name", "description"}] of the public lists (caller frees with
 * json_decref()), or NULL with err */
json_t *public_lists(PGconn *conn, mc_error *err);
/* Subscribes email (name used only for a new subscriber) to list_ids (a PostgreSQL array
 * literal of public list ids) from remote_addr. Single opt-in lists are confirmed at once;
 * double opt-in lists become unconfirmed and an opt-in request is queued for the delivery
 * path. A suppressed or blocklisted address changes nothing and is not told apart, so the form
 * cannot be used to learn who is on the lists. returns 0, or -1 with err (400 naming the
 * field, 429 past the rate limit). */
int public_subscribe(PGconn *conn, const unsigned char secret[32], const char *email,
                     const char *name, const char *list_ids, const char *remote_addr,
                     mc_error *err);
/* Confirms the memberships of opt-in request ref of subscriber_id. returns the names of the
 * lists confirmed now or before (caller frees with json_decref()), or NULL with err (404 when
 * the request does not exist). */
json_t *public_confirm(PGconn *conn, long long subscriber_id, long long ref,
                       const char *remote_addr, mc_error *err);
/* returns {"email", "lists": [{"id", "name", "description", "subscribed": bool}]} for the
 * subscriber's preferences page: public lists and lists they are on (caller frees with
 * json_decref()), or NULL with err (404). */
json_t *public_preferences(PGconn *conn, long long subscriber_id, mc_error *err);
/* Sets the subscriber's memberships among the lists public_preferences shows to exactly
 * wanted (a PostgreSQL array literal; "{}" unsubscribes from all). returns 0 or -1 with err. */
int public_preferences_save(PGconn *conn, long long subscriber_id, const char *wanted,
                            const char *remote_addr, mc_error *err);

/* Forgets form attempts older than the rate limit's hour. returns 0 or -1 with err. */
int public_flows_prune(PGconn *conn, mc_error *err);

#endif
