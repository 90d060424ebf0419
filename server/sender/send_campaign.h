/* What the send loop needs of a campaign to build its messages: the subject, HTML and text
 * templates compiled once, the addresses and the custom headers. Kept across batches and
 * compiled again only when the campaign or its template changed (their updated_at). */
#ifndef MC_SENDER_SEND_CAMPAIGN_H
#define MC_SENDER_SEND_CAMPAIGN_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"
#include "mail/mime.h"
#include "template/template.h"
#include "track/track_template.h"

#define SEND_CAMPAIGN_CACHE 8

typedef struct {
    long long id;        /* 0: an empty slot */
    bool is_template;    /* id names a transactional template, not a campaign */
    int variant;         /* the A/B variant asked for; -1: the campaign's own content, or its test's
                            winner once there is one */
    char *version;       /* updated_at of the campaign and of its template */
    template_t *subject; /* compiled; owned */
    template_t *html;
    /* for tracked mail: the HTML with its links marked (track_template.h), found once here
     * rather than in every message, and those links; NULL when not tracked, or when the
     * links can only be found in each message (unescaped values) */
    template_t *marked_html;
    track_template *links;
    template_t *text;         /* the template's own text body, or NULL */
    template_t *derived_text; /* without one: derived from the HTML (text_template.h), or
                                 NULL when each message's HTML is converted */
    char *from_email, *from_name, *reply_to, *relay;
    /* the audience its List-Id and Feedback-ID name ("list-7", "segment-3" for a campaign
     * without lists, "campaign-12" without either) and that audience's name; the names of all
     * its lists, joined by ", " ("" without lists); all "" for transactional templates */
    char *list_key, *list_name, *list_names;
    bool track_opens, track_clicks; /* add the open pixel; rewrite links to click URLs */
    double rate_per_s;              /* the campaign's own limit, 0 = none */
    json_t *headers;                /* the custom headers object; owned */
    mail_header *header_list;       /* views into headers */
    size_t header_count;
    unsigned long last_used;
    unsigned long checked; /* the cache's batch in which the version was last compared */
} send_campaign;

typedef struct {
    send_campaign slots[SEND_CAMPAIGN_CACHE];
    unsigned long clock;
    unsigned long batch; /* counts batches; see send_campaign_cache_next_batch() */
} send_campaign_cache;

/* returns the campaign id, loaded (and compiled when it changed since the last call) through
 * conn, borrowed from cache until the next call; NULL with err when it cannot be read or no
 * longer compiles (a layout it uses was changed). templates_dir: built-in layouts. variant:
 * the A/B test variant whose subject, from name and content replace the campaign's (-1: none;
 * the held rest of a test then gets the winner's, once chosen). */
const send_campaign *send_campaign_get(send_campaign_cache *cache, PGconn *conn,
                                       const char *templates_dir, long long id, int variant,
                                       mc_error *err);
/* The same for transactional template id: its subject and bodies, from_email as the sender
 * ([mail] from_email), no custom headers, the default relay. */
const send_campaign *send_template_get(send_campaign_cache *cache, PGconn *conn,
                                       const char *templates_dir, long long id,
                                       const char *from_email, mc_error *err);
/* Starts a new batch: every entry's version is compared again on its first use after this.
 * Call before each batch. */
void send_campaign_cache_next_batch(send_campaign_cache *cache);
/* releases every entry */
void send_campaign_cache_free(send_campaign_cache *cache);

#endif
