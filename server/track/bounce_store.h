/* The bounces table: recording a bounce or complaint from any source, mapped back to the
 * message it answers, and what the API shows of a subscriber's bounces. */
#ifndef MC_TRACK_BOUNCE_STORE_H
#define MC_TRACK_BOUNCE_STORE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"
#include "track/bounce_report.h"

/* Records r, reported by source ("dsn", "arf", "ses", "sendgrid", "postmark", "mailgun",
 * "api"), and applies the bounce rules (track/bounce_rules.h), in one transaction.
 * source_ref is the source's own id of the event (NULL: none): a report seen again with the
 * same one is not recorded twice. message_row names the messages row (the API's message_id);
 * 0 finds it from r: among the mail of the subscribers holding r's addresses, the message
 * whose Message-ID (recomputed with secret) has r's token; without a token or a match the
 * bounce belongs to the first of r's addresses that is a subscriber, without a message.
 * returns the new bounce's id, 0 when nothing was recorded (no subscriber holds r's addresses,
 * or the event was recorded before), or -1 with err (400 naming "message_id" when message_row
 * is not a message to a subscriber). */
long long bounce_record(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                        const bounce_report *r, const char *source, const char *source_ref,
                        long long message_row, mc_error *err);
/* POST /api/v1/bounces: records the bounce of body {"email" | "message_id" (a messages row),
 * "kind": "hard" | "soft" | "complaint", "reason"} with source "api" and applies the rules.
 * returns the bounce (see bounce_list; caller frees with json_decref()), or NULL with err (400
 * naming the field). */
json_t *bounce_create(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                      json_t *body, mc_error *err);
/* returns {"items": [bounce], "next_cursor"} of subscriber_id's bounces and complaints newest
 * first, a bounce being {"id", "kind", "source", "reason", "smtp_code", "campaign_id",
 * "message_id", "created_at"} (caller frees with json_decref()), or NULL with err (404 when the
 * subscriber does not exist). after: the cursor (0 for the first page). */
json_t *bounce_list(PGconn *conn, long long subscriber_id, long long after, int limit,
                    mc_error *err);
/* returns {"hard", "soft", "complaints", "last_at"} counted over subscriber_id's bounces
 * (caller frees with json_decref()), or NULL with err. */
json_t *bounce_summary(PGconn *conn, long long subscriber_id, mc_error *err);

#endif
