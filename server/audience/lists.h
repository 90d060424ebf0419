/* Mailing lists: name, description, visibility (public lists appear on the subscription form),
 * opt-in mode and tags, with membership counts by status. Objects are JSON in the API's shape:
 * {"id", "name", "description", "visibility", "optin", "tags", "counts": {"unconfirmed",
 * "confirmed", "unsubscribed"}, "created_at", "updated_at"}. */
#ifndef MC_AUDIENCE_LISTS_H
#define MC_AUDIENCE_LISTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "audience/subscribers.h"
#include "core/error.h"

/* Creates a list from {"name", "description", "visibility", "optin", "tags"}. returns the
 * object (caller frees with json_decref()), or NULL with err. */
json_t *list_create(PGconn *conn, json_t *body, mc_error *err);
/* returns the list (caller frees with json_decref()), or NULL with err (404) */
json_t *list_get(PGconn *conn, long long id, mc_error *err);
/* Updates a list; replace (PUT) needs "name" and resets absent members to their defaults,
 * otherwise (PATCH) absent members are kept. returns the object or NULL with err. */
json_t *list_update(PGconn *conn, long long id, json_t *body, bool replace, mc_error *err);
/* Deletes a list and its memberships (not the subscribers). returns 0 or -1 with err (404). */
int list_delete(PGconn *conn, long long id, mc_error *err);
/* Lists lists with id > after, at most limit; visibility filters when not NULL. returns
 * {"items", "next_cursor"} (+ "total"); caller frees with json_decref(); NULL with err. */
json_t *list_list(PGconn *conn, const char *visibility, long long after, int limit, bool with_total,
                  mc_error *err);
/* Sets the membership of {"subscriber_ids": [...], "status"} in list id (status defaults to the
 * list's opt-in default). returns the list object with fresh counts (caller frees with
 * json_decref()), or NULL with err (404, 400). */
json_t *list_members_put(PGconn *conn, long long id, json_t *body, const audience_origin *origin,
                         mc_error *err);
/* Removes {"subscriber_ids": [...]} from list id. returns the list object or NULL with err. */
json_t *list_members_delete(PGconn *conn, long long id, json_t *body, mc_error *err);

#endif
