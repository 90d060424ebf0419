/* The analytics: a campaign's numbers (alone or side by side with others), a subscriber's
 * activity timeline and a list's growth. Every campaign number comes from the counts the
 * engagement job keeps and from the campaign's own stored counts, so none depends on how much
 * history retention has kept, and each answer reads a few index entries, not the events. */
#ifndef MC_TRACK_ANALYTICS_H
#define MC_TRACK_ANALYTICS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* at most this many campaigns compared at once */
#define TRACK_COMPARE_MAX 20

/* returns the stats of the campaigns ids[0..n) as a JSON array in that order (caller frees
 * with json_decref()), or NULL with err: 404 naming field when one of them does not exist.
 * Each: {"id", "name", "recipients", "sent", "failed", "delivered", "bounces": {"hard",
 * "soft"}, "opens": {"unique_human", "total_human", "unique_machine", "total_machine"},
 * "clicks": {the same}, "click_to_open", "links": [{"id", "url", "unique_human", "total",
 * "total_human"}], "unsubscribes", "complaints", "series": [{"hour", "opens_human",
 * "clicks_human", "opens_machine", "clicks_machine"}]}. */
json_t *track_campaign_stats(PGconn *conn, const long long *ids, int n, const char *field,
                             mc_error *err);
/* Parses "1,2,3" (1 to TRACK_COMPARE_MAX distinct positive ids) into ids. returns the count,
 * or -1 with a 400 naming field. */
int track_parse_ids(const char *text, long long *ids, const char *field, mc_error *err);

/* The subscriber's timeline, newest first: {"items": [{"type": "sent" | "opened" | "clicked"
 * | "bounced" | "unsubscribed" | "event", "at", ...}], "next_cursor"}; keyset-paged after the
 * cursor `after` (0 for the first page). Caller frees with json_decref(); NULL with err (404
 * when there is no such subscriber). */
json_t *track_subscriber_activity(PGconn *conn, long long subscriber_id, long long after, int limit,
                                  mc_error *err);

typedef enum { TRACK_DAY, TRACK_WEEK, TRACK_MONTH } track_interval;

typedef struct {
    track_interval interval;
    int from[3]; /* year, month, day */
    int to[3];
} track_growth_query;

/* Reads ?from= and ?to= (YYYY-MM-DD, UTC; default: the last 30 days, 12 weeks or 12 months
 * to today) and ?interval= (day, week, month; default day) given as strings (NULL when
 * absent). returns 0, or -1 with a 400 naming the field. */
int track_growth_parse(const char *from, const char *to, const char *interval,
                       track_growth_query *q, mc_error *err);
/* The list's growth per interval: {"list_id", "interval", "from", "to", "series": [{"start",
 * "subscribed", "unsubscribed", "bounced"}]}. Caller frees with json_decref(); NULL with err
 * (404 when there is no such list). */
json_t *track_list_growth(PGconn *conn, long long list_id, const track_growth_query *q,
                          mc_error *err);

#endif
