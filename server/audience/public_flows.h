/* What the public pages do, without the pages: subscribing through the form (with double
 * opt-in and a per-address rate limit), confirming, and a subscriber's own preferences.
 * Every change records consent with source "form" or "preferences". */
#ifndef MC_AUDIENCE_PUBLIC_FLOWS_H
#define MC_AUDIENCE_PUBLIC_FLOWS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/buf.h"
#include "core/error.h"

#define CONFIRM_TOKEN_DAYS 7

/* No more than one confirmation mail per address in this many minutes: a form posted again
 * meanwhile adds its lists to the request already mailed, whose link confirms them all. */
#define OPTIN_MAIL_MINUTES 10

/* Queues the confirmation mail of opt-in request `request` of subscriber_id for the lists
 * named list_names (joined with ", "), inside the subscription's transaction. ctx is the
 * caller's. returns 0 or -1 with err. */
typedef int (*public_optin_mailer)(PGconn *conn, void *ctx, long long subscriber_id,
                                   long long request, const char *list_names, mc_error *err);

/* returns [{"id", "name", "description"}] of the public lists (caller frees with
 * json_decref()), or NULL with err */
json_t *public_lists(PGconn *conn, mc_error *err);
/* Subscribes email (name, and language as the attribute "language" unless NULL or empty, used
 * only for a new subscriber) to list_ids (a PostgreSQL array literal of public list ids) from
 * remote_addr. Single opt-in lists are confirmed at once (and
 * a subscriber who had unsubscribed from everything is active again); double opt-in lists
 * become unconfirmed, an opt-in request is recorded and mailer queues its confirmation mail in
 * the same transaction, at most once per OPTIN_MAIL_MINUTES per subscriber. A suppressed or
 * blocklisted address changes nothing and is not told apart, so the form cannot be used to
 * learn who is on the lists. returns 0, or -1 with err (400 naming the field, 429 past the rate
 * limit). */
int public_subscribe(PGconn *conn, const unsigned char secret[32], const char *email,
                     const char *name, const char *language, const char *list_ids,
                     const char *remote_addr, public_optin_mailer mailer, void *mailer_ctx,
                     mc_error *err);
/* Confirms the memberships of opt-in request ref of subscriber_id; a subscriber who had
 * unsubscribed from everything is active again once something is confirmed. returns the names
 * of the lists confirmed now or before (caller frees with json_decref()), or NULL with err (404
 * when the request does not exist). */
json_t *public_confirm(PGconn *conn, long long subscriber_id, long long ref,
                       const char *remote_addr, mc_error *err);
/* returns {"email", "lists": [{"id", "name", "description", "subscribed": bool}]} for the
 * subscriber's preferences page: public lists and lists they are on (caller frees with
 * json_decref()), or NULL with err (404). */
json_t *public_preferences(PGconn *conn, long long subscriber_id, mc_error *err);
/* Sets the subscriber's memberships among the lists public_preferences shows to exactly
 * wanted (a PostgreSQL array literal; "{}" leaves every list); joining a list makes a
 * subscriber who had unsubscribed from everything active again. message_id is the message
 * whose link was followed (the token's reference; 0 for none): the consent rows of the lists
 * left name it and its campaign. returns 0 or -1 with err. */
int public_preferences_save(PGconn *conn, long long subscriber_id, const char *wanted,
                            const char *remote_addr, long long message_id, mc_error *err);
/* Unsubscribes from everything (the one-click unsubscribe and the preferences page's
 * unsubscribe_all): leaves every list and sets the subscriber's status to "unsubscribed", so
 * that no campaign reaches them whatever lists or segments it targets; the consent rows name
 * message_id (0: none) and its campaign. returns 0 or -1 with err. */
int public_unsubscribe_all(PGconn *conn, long long subscriber_id, const char *remote_addr,
                           long long message_id, mc_error *err);

/* Copies the subscriber's "language" attribute (a text such as "es" or "ru-RU") into out, or
 * nothing when they have none or do not exist. returns 0 or -1 with err. */
int public_subscriber_language(PGconn *conn, long long subscriber_id, buf_t *out, mc_error *err);

/* Forgets form attempts older than the rate limit's hour. returns 0 or -1 with err. */
int public_flows_prune(PGconn *conn, mc_error *err);

#endif
