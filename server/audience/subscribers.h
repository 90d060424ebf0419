/* Subscribers: the people a campaign reaches. Create, read, update, delete, filtered keyset
 * listing and bulk actions. Objects are returned as JSON in the API's shape:
 * {"id", "email", "name", "attributes", "status", "lists": [{"id", "status"}], "created_at",
 * "updated_at"}. Every change runs in one transaction. */
#ifndef MC_AUDIENCE_SUBSCRIBERS_H
#define MC_AUDIENCE_SUBSCRIBERS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "audience/sql_builder.h"
#include "core/error.h"

/* Who is asking, for consent records and the suppression check. */
typedef struct {
    const unsigned char *secret; /* the server secret (32 bytes) */
    const char *source;          /* "api", "form", "import", "preferences" */
    const char *remote_addr;     /* client address, may be NULL */
} audience_origin;

/* Filters shared by the listing, the export and bulk actions. Strings are borrowed. */
typedef struct {
    const char *query;       /* part of the email or name, case-insensitive; NULL for any */
    long long list_id;       /* member of this list; 0 for any */
    const char *list_status; /* with list_id: membership status; NULL for any */
    const char *status;      /* "active" or "blocklisted"; NULL for any */
    long long segment_id;    /* matches this saved segment; 0 for none */
} subscriber_filter;

/* Checks the filter's values (from a query string). returns 0 or -1 with a 400 naming the
 * parameter. */
int subscriber_filter_check(const subscriber_filter *f, mc_error *err);
/* Appends " AND ..." conditions on the alias s for f to b. returns 0, or -1 with err (404 when
 * the segment does not exist). */
int subscriber_filter_sql(PGconn *conn, const subscriber_filter *f, sql_builder *b, mc_error *err);

/* Creates a subscriber from {"email", "name", "attributes", "status", "lists", "list_status",
 * "override_suppression"}. returns the new object (caller frees with json_decref()), or NULL
 * with err; when the address exists, err is a 409 and *existing_id names the subscriber. */
json_t *subscriber_create(PGconn *conn, json_t *body, const audience_origin *origin,
                          long long *existing_id, mc_error *err);
/* Creates an active subscriber without lists for each address of emails (the text of a JSON
 * array of checked addresses) that no subscriber holds yet and that is not suppressed (erased,
 * complained): a shop's events may name people it has not synced yet. Inside the caller's
 * transaction; two callers racing for one address make one subscriber. returns the number
 * created, or -1 with err. */
long long subscriber_create_missing(PGconn *conn, const char *emails,
                                    const unsigned char secret[32], mc_error *err);
/* A listing of what a subscriber has (bounces, events), keyset-paged as db_keyset_page() runs
 * page_sql, with the subscriber's id as $3. returns {"items", "next_cursor"} (caller frees with
 * json_decref()), or NULL with err: 404 naming "id" when there is no such subscriber. */
json_t *subscriber_keyset_page(PGconn *conn, long long subscriber_id, const char *page_sql,
                               long long after, int limit, mc_error *err);
/* returns the subscriber (caller frees with json_decref()), or NULL with err (404) */
json_t *subscriber_get(PGconn *conn, long long id, mc_error *err);
/* Updates a subscriber. replace (PUT) needs "email" and resets an absent name to "" and
 * absent attributes to {}; otherwise (PATCH) absent fields are kept and attributes are merged
 * key by key (a null value removes the key). "lists" adds memberships. returns the object
 * (caller frees with json_decref()), or NULL with err (404, 400, 409 with *existing_id). */
json_t *subscriber_update(PGconn *conn, long long id, json_t *body, bool replace,
                          const audience_origin *origin, long long *existing_id, mc_error *err);
/* Deletes a subscriber and their memberships. returns 0 or -1 with err (404). */
int subscriber_delete(PGconn *conn, long long id, mc_error *err);
/* Lists subscribers matching f with id > after, at most limit, by id. returns {"items",
 * "next_cursor"} (+ "total" when with_total); caller frees with json_decref(); NULL with err. */
json_t *subscriber_list(PGconn *conn, const subscriber_filter *f, long long after, int limit,
                        bool with_total, mc_error *err);
/* Runs {"action": "add_to_lists"|"remove_from_lists"|"blocklist"|"unblocklist"|"delete",
 * "subscriber_ids": [...] | "segment": id, "lists": [...], "status"} in one transaction.
 * returns {"affected": n} (caller frees with json_decref()), or NULL with err. */
json_t *subscriber_bulk(PGconn *conn, json_t *body, const audience_origin *origin, mc_error *err);

#endif
