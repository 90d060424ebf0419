/* The tracked_links rows, cached in memory: the send loop asks for the ids of a compiled
 * template's hrefs as written (a row is made on first sight, per campaign or per
 * transactional template), or of a message's rendered URLs when its template's links can only
 * be found per message; the click redirect asks for the row of a token's link. One cache per
 * process, shared by its threads; it forgets everything when it grows past its bound, and a
 * miss costs one statement. */
#ifndef MC_TRACK_TRACK_LINKS_H
#define MC_TRACK_TRACK_LINKS_H

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"
#include "db/pool.h"

typedef struct track_links track_links;

/* returns a new cache of at most max_entries links; caller frees with track_links_free() */
track_links *track_links_new(size_t max_entries);
void track_links_free(track_links *links);

/* Gets the ids of urls[0..n) (distinct) for campaign_id, or for template_id when
 * campaign_id is 0, into ids: from the cache, else by inserting the rows (or reading those that
 * exist) with one statement on a connection of pool, committed at once, so that a send that
 * rolls back leaves no id the cache knows and the database does not. returns 0, or -1 with
 * err. */
int track_links_ids(track_links *links, db_pool *pool, long long campaign_id, long long template_id,
                    const str_t *urls, size_t n, long long *ids, mc_error *err);

/* Finds link id for a click token of campaign_id (0: a transactional message, message_id):
 * only a link of that campaign, or of that message's template, counts. Writes its URL into
 * url (reset first). returns 1 when found, 0 when there is no such link for them, -1 with err
 * when the database cannot be read. */
int track_links_url(track_links *links, db_pool *pool, long long id, long long campaign_id,
                    long long message_id, buf_t *url, mc_error *err);

#endif
