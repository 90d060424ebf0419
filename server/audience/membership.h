/* List membership: who is on which list, with a status per list, and the consent record each
 * change leaves behind. Used by subscribers, lists, bulk actions, imports and public forms. */
#ifndef MC_AUDIENCE_MEMBERSHIP_H
#define MC_AUDIENCE_MEMBERSHIP_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* Checks that every id of the PostgreSQL array literal ids ("{1,2}") names a row of lists
 * (which_lists true) or subscribers. returns 0, or -1 with a 400 naming field and the first
 * unknown id. */
int membership_check_ids(PGconn *conn, bool which_lists, const char *ids, const char *field,
                         mc_error *err);
/* Puts every subscriber of subscriber_ids on every list of list_ids with status (NULL: the
 * list's default, "confirmed" for single opt-in and "unconfirmed" for double). Rows already in
 * that status are left alone; each change records a consent row with source ("api", "form",
 * "import", "preferences") and remote_addr (may be NULL). Run it inside the caller's
 * transaction. returns the number of memberships changed, or -1 with err. */
long long membership_set(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                         const char *status, const char *source, const char *remote_addr,
                         mc_error *err);
/* membership_set() for a change that came from the message message_id (an unsubscribe link
 * or address in it; 0: none): its consent rows name the message and its campaign. */
long long membership_set_from(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                              const char *status, const char *source, const char *remote_addr,
                              long long message_id, mc_error *err);
/* Sets the subscriber-level state of subscriber_ids: subscribed (status "active") or
 * unsubscribed from everything (status "unsubscribed", which keeps them out of every
 * campaign). Blocklisted subscribers are left alone; each change records a consent row without
 * a list ("subscribe" or "unsubscribe") with source and remote_addr (may be NULL). Run it
 * inside the caller's transaction. returns the number of subscribers changed, or -1 with err. */
long long membership_set_subscribed(PGconn *conn, const char *subscriber_ids, bool subscribed,
                                    const char *source, const char *remote_addr, mc_error *err);
/* membership_set_subscribed() for a change that came from the message message_id (0: none). */
long long membership_set_subscribed_from(PGconn *conn, const char *subscriber_ids, bool subscribed,
                                         const char *source, const char *remote_addr,
                                         long long message_id, mc_error *err);
/* Unsubscribes subscriber_id from everything: leaves every list they are on and takes the
 * status "unsubscribed" (a blocklisted subscriber stays blocklisted), each change with a
 * consent row of source ("preferences", "mailto", "complaint") naming message_id (0: none) and
 * its campaign. Run it inside the caller's transaction. returns 0 or -1 with err. */
int membership_unsubscribe_everything(PGconn *conn, long long subscriber_id, const char *source,
                                      const char *remote_addr, long long message_id, mc_error *err);
/* Sets the status of subscriber_ids (a PostgreSQL array literal) to "blocklisted", which keeps
 * them out of every campaign and of the public forms. Run it inside the caller's transaction.
 * returns the number of subscribers changed, or -1 with err. */
long long membership_blocklist(PGconn *conn, const char *subscriber_ids, mc_error *err);
/* Removes the memberships of subscriber_ids in list_ids. returns how many, or -1 with err. */
long long membership_remove(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                            mc_error *err);

#endif
