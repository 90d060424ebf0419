/* The glue between the send loop, the tracking endpoints and the tracking data: rewriting
 * messages with link ids from the cache, and turning requests into events. */
#include "track/tracker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "mail/html_to_text.h"
#include "track/track_rewrite.h"

/* links remembered per process before the cache starts again */
#define LINK_CACHE_ENTRIES 100000
/* how long a shutdown keeps trying to write the last events while the database refuses */
#define SHUTDOWN_WRITE_MS 10000

tracker *tracker_new(app_t *app)
{
    tracker *t = xcalloc(1, sizeof *t);
    t->app = app;
    t->links = track_links_new(LINK_CACHE_ENTRIES);
    return t;
}

int tracker_start_events(tracker *t, mc_error *err)
{
    t->events = track_events_new(db_pool_dsn(t->app->pool), t->app->config.tracking_buffer_events);
    if (track_events_start(t->events, err) < 0) {
        track_events_free(t->events, 0);
        t->events = NULL;
        return -1;
    }
    return 0;
}

void tracker_free(tracker *t)
{
    if (!t) return;
    track_events_free(t->events, SHUTDOWN_WRITE_MS);
    track_links_free(t->links);
    free(t);
}

typedef struct {
    tracker *t;
    const tracker_message *m;
} link_source;

static int link_ids(void *arg, const str_t *urls, size_t n, long long *ids, mc_error *err)
{
    link_source *src = arg;
    return track_links_ids(src->t->links, src->t->app->pool, src->m->campaign_id,
                           src->m->template_id, urls, n, ids, err);
}

/* Rewrites html into out with o, from the markers of links (track_rewrite_marked()) or with
 * gumbo (links NULL). When the links' rows cannot be had (the database is busy or away), the
 * message goes with its links as written rather than failing for good; the pixel needs no
 * row. returns 0, 1 when the markers do not serve, -1 with err. */
static int rewrite_html(const tracker_message *m, track_rewrite_options *o, str_t html, buf_t *out,
                        track_url_map *map, mc_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = m->links ? track_rewrite_marked(o, m->links, html, out, map, err)
                          : track_rewrite_html(o, html, out, map, err);
        if (rc >= 0 || attempt) return rc;
        log_warn("tracking: message %lld goes without click tracking: %s", m->message_id,
                 err->message);
        o->clicks = false;
    }
}

int tracker_rewrite_message(tracker *t, const tracker_message *m, buf_t *html, buf_t *text,
                            bool text_from_html, mc_error *err)
{
    buf_t out = BUF_INIT;
    if (!m->opens && !m->clicks) {
        if (m->links) {
            track_marks_strip(buf_view(html), &out);
            buf_reset(html);
            buf_append_str(html, buf_view(&out));
            buf_free(&out);
        }
        return 0;
    }
    const config_t *cfg = &t->app->config;
    /* the preferences page (unsubscribe) in any of its forms, and the message's own link */
    buf_t preferences = BUF_INIT;
    buf_appendf(&preferences, "%s/preferences/", cfg->public_url);
    str_t keep[2] = {buf_view(&preferences),
                     str_from_cstr(m->unsubscribe_url ? m->unsubscribe_url : "")};
    link_source src = {t, m};
    track_rewrite_options o = {
        .secret = t->app->secret,
        .public_url = str_from_cstr(cfg->public_url),
        .clicks = m->clicks,
        .opens = m->opens,
        .message = {.message_id = m->message_id,
                    .campaign_id = m->campaign_id,
                    .subscriber_id = m->subscriber_id},
        .keep_prefixes = keep,
        .keep_count = 2,
        .link_ids = link_ids,
        .link_arg = &src,
    };
    track_url_map map = {0};
    int rc = rewrite_html(m, &o, buf_view(html), &out, &map, err);
    if (rc == 1) {
        /* a section cut a marked value, or a value needs gumbo to read: this message is
         * parsed as the HTML the unmarked template renders */
        buf_reset(&out);
        track_marks_strip(buf_view(html), &out);
        buf_reset(html);
        buf_append_str(html, buf_view(&out));
        tracker_message plain = *m;
        plain.links = NULL;
        rc = rewrite_html(&plain, &o, buf_view(html), &out, &map, err);
    }
    if (rc == 0) {
        buf_t *swap = html;
        buf_reset(swap);
        buf_append_str(swap, buf_view(&out));
        buf_reset(&out);
        if (text_from_html) {
            /* the pixel has no alt text: the conversion leaves it out */
            html_to_text(buf_view(html), &out);
        } else {
            track_rewrite_text(&map, buf_view(text), &out);
        }
        buf_reset(text);
        buf_append_str(text, buf_view(&out));
    }
    track_url_map_free(&map);
    buf_free(&out);
    buf_free(&preferences);
    return rc;
}

static void fill(tracker *t, track_event *e, const track_token *token, bool head,
                 const char *user_agent, const struct sockaddr *client)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    e->at_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    e->kind = (char)token->kind;
    e->head = head;
    e->message_id = token->message_id;
    e->campaign_id = token->campaign_id;
    e->subscriber_id = token->subscriber_id;
    e->link_id = token->kind == TRACK_CLICK ? token->link_id : 0;
    track_event_set_user_agent(e, user_agent);
    if (t->app->config.tracking_store_ip)
        track_client_hint(client, e->client_hint);
    else
        e->client_hint[0] = '\0';
}

void tracker_open(tracker *t, const track_token *token, bool head, const char *user_agent,
                  const struct sockaddr *client)
{
    if (!t->events) return;
    track_event e;
    fill(t, &e, token, head, user_agent, client);
    track_events_put(t->events, &e);
}

int tracker_click(tracker *t, const track_token *token, bool head, const char *user_agent,
                  const struct sockaddr *client, buf_t *url, mc_error *err)
{
    int rc = track_links_url(t->links, t->app->pool, token->link_id, token->campaign_id,
                             token->message_id, url, err);
    if (rc == 1) {
        /* a personalized link's row is a pattern: its token carries the rendered URL between
         * the pattern's literal start and end, and the URL made whole must fit the pattern; a
         * literal link's token carries none */
        bool pattern = track_has_tags(buf_view(url));
        if (token->url.p && pattern) {
            size_t start, end;
            track_link_pattern_ends(buf_view(url), &start, &end);
            buf_t whole = BUF_INIT;
            buf_append(&whole, url->p, start);
            buf_append_str(&whole, token->url);
            buf_append(&whole, url->p + url->n - end, end);
            rc = track_link_pattern_matches(buf_view(url), buf_view(&whole));
            buf_reset(url);
            buf_append_str(url, buf_view(&whole));
            buf_free(&whole);
        } else {
            rc = !token->url.p && !pattern;
        }
        if (rc != 1) buf_reset(url);
    }
    if (rc == 1 && t->events) {
        track_event e;
        fill(t, &e, token, head, user_agent, client);
        track_events_put(t->events, &e);
    }
    return rc;
}

void tracker_render_metrics(tracker *t, buf_t *out)
{
    if (t && t->events) track_events_render_metrics(t->events, out);
}
