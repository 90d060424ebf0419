/* Tracking in one process: the link cache the send loop and the click redirect share, and
 * (in `mailcast serve`) the batch of opens and clicks with its flusher. Hung off app_t
 * (app->tracker); built by the subcommand after app_open() and freed before app_close(). */
#ifndef MC_TRACK_TRACKER_H
#define MC_TRACK_TRACKER_H

#include <stdbool.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/error.h"
#include "track/track_events.h"
#include "track/track_links.h"
#include "track/track_template.h"
#include "track/track_token.h"

struct sockaddr;

typedef struct tracker {
    app_t *app; /* borrowed: secret, [server] public_url, [tracking] settings, pool */
    track_links *links;
    track_events *events; /* NULL until tracker_start_events() */
} tracker;

/* returns the tracker of app (borrowed; must outlive it); caller frees with tracker_free() */
tracker *tracker_new(app_t *app);
/* Starts the batch of opens and clicks and its flusher. returns 0 or -1 with err. */
int tracker_start_events(tracker *t, mc_error *err);
/* Writes every event answered so far (tracker_start_events), then frees t. NULL is a no-op. */
void tracker_free(tracker *t);

/* One rendered message, as the send loop knows it. */
typedef struct {
    long long message_id;
    long long campaign_id;       /* its campaign, or the campaign a test send is of; 0 for none */
    long long template_id;       /* a transactional message's template (campaign_id 0) */
    long long subscriber_id;     /* 0 for mail to an address */
    bool opens, clicks;          /* what the campaign tracks */
    const char *unsubscribe_url; /* left alone; may be NULL */
    /* the links of the template the HTML was rendered from, marked (track_template.h); NULL
     * for HTML rendered from a template that is not */
    const track_template *links;
} tracker_message;

/* Rewrites the rendered parts of m in place: html's links and pixel (track_rewrite.h: from the
 * markers of m->links, else, or when the markers do not serve, parsed with gumbo), text's
 * URLs, or, with text_from_html, text converted again from the rewritten HTML (as the send
 * loop converts messages whose template has no text part it can derive). When the links' rows
 * cannot be had (the database is away), the message keeps its links as written (a warning is
 * logged) rather than failing. returns 0 (-1 with err is kept for callers to check). */
int tracker_rewrite_message(tracker *t, const tracker_message *m, buf_t *html, buf_t *text,
                            bool text_from_html, mc_error *err);

/* Records an open of token (checked by the caller) from a request: HEAD or GET, its
 * User-Agent (may be NULL) and client address (may be NULL). Never waits on the database. */
void tracker_open(tracker *t, const track_token *token, bool head, const char *user_agent,
                  const struct sockaddr *client);
/* The click of token (checked by the caller, track_token_check_click()): writes the URL of its
 * link into url and records the click when the link is one of the token's campaign (or its
 * message's template). A personalized link's row holds its href as written: the token's URL
 * is the one, when it matches that pattern (track_link_pattern_matches()); a token without a
 * URL never leads to such a row. returns 1 then, 0 when it is not (nothing recorded), -1 with err
 * when the link cannot be looked up. */
int tracker_click(tracker *t, const track_token *token, bool head, const char *user_agent,
                  const struct sockaddr *client, buf_t *url, mc_error *err);

/* Appends the tracking figures (track_events.h) to a Prometheus text body. */
void tracker_render_metrics(tracker *t, buf_t *out);

#endif
