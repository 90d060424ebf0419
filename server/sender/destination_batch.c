/* Grouping a batch by destination and the adaptive pacing around each group's sessions. */
#include "sender/destination_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "mail/destination_pace.h"
#include "queue/destination_pacing.h"

/* A second slow-down within this many seconds is the same burst of refusals (replies to
 * messages sent before the first halving took effect): it does not halve again. */
#define SLOW_DOWN_GAP_SECONDS 1.0

void destination_batch_group(const destination_set *set, mail_envelope *envelopes, size_t *order,
                             size_t *dest, size_t n)
{
    /* a counting sort: groups are few, and it keeps each group's messages in order */
    size_t groups = set->count;
    size_t *start = xcalloc(groups + 1, sizeof *start);
    size_t *of = xmalloc((n ? n : 1) * sizeof *of);
    for (size_t k = 0; k < n; k++) {
        of[k] = destination_set_find(set, envelopes[k].recipient);
        start[of[k] + 1]++;
    }
    for (size_t g = 0; g < groups; g++)
        start[g + 1] += start[g];
    mail_envelope *env_copy = xmalloc((n ? n : 1) * sizeof *env_copy);
    size_t *order_copy = xmalloc((n ? n : 1) * sizeof *order_copy);
    memcpy(env_copy, envelopes, n * sizeof *envelopes);
    memcpy(order_copy, order, n * sizeof *order);
    for (size_t k = 0; k < n; k++) {
        size_t to = start[of[k]]++;
        envelopes[to] = env_copy[k];
        order[to] = order_copy[k];
        dest[to] = of[k];
    }
    free(order_copy);
    free(env_copy);
    free(of);
    free(start);
}

bool destination_segment_defers(destination_segment *s, const mail_result *r)
{
    if (pace_is_throttle_reply(r->code, r->enhanced)) {
        if (!s->slowed) s->reply = *r;
        s->slowed = true;
        s->replies++;
    }
    if (s->slowed) s->deferred++;
    return s->slowed;
}

/* Writes rate (messages a minute, 0: none) into out for the log. */
static const char *rate_text(double rate, char *out, size_t size)
{
    if (rate <= 0)
        snprintf(out, size, "unlimited");
    else
        snprintf(out, size, "%.1f/min", rate);
    return out;
}

double destination_batch_rate(app_t *app, PGconn *conn, size_t d)
{
    const destination_config *dc = &app->mail.destinations.items[d];
    destination_state st;
    mc_error err;
    if (destination_pacing_read(conn, dc->name, &st, &err) < 0) {
        log_warn("pacing: destination %s: %s", dc->name, err.message);
        return dc->rate_per_minute;
    }
    double rate = st.rate_per_minute;
    if (rate > 0 && st.seconds_since_change >= dc->quiet_seconds) {
        double raised = pace_raised(rate, dc->rate_per_minute, st.ceiling_per_minute);
        bool changed = false;
        if (destination_pacing_change(conn, dc->name, rate, raised, st.ceiling_per_minute,
                                      dc->quiet_seconds, &changed, &err) < 0)
            log_warn("pacing: destination %s: %s", dc->name, err.message);
        if (changed) {
            char was[32], now[32];
            log_info("pacing: destination %s: rate %s → %s (no throttling for %u s)", dc->name,
                     rate_text(rate, was, sizeof was),
                     rate_text(raised > 0 ? raised : dc->rate_per_minute, now, sizeof now),
                     dc->quiet_seconds);
            rate = raised;
        } else {
            /* another worker moved it meanwhile: its value holds */
            if (destination_pacing_read(conn, dc->name, &st, &err) == 0) rate = st.rate_per_minute;
        }
    }
    double limit = rate > 0 ? rate : dc->rate_per_minute;
    app_metrics_destination_rate(&app->metrics, d, dc->name, limit);
    return limit;
}

void destination_batch_slow_down(app_t *app, PGconn *conn, const destination_segment *s)
{
    const destination_config *dc = &app->mail.destinations.items[s->index];
    destination_state st;
    mc_error err;
    if (destination_pacing_read(conn, dc->name, &st, &err) < 0) {
        log_warn("pacing: destination %s: %s", dc->name, err.message);
        return;
    }
    double observed = pace_observed_per_minute(st.prev_sent, st.window_sent + (double)s->sent,
                                               st.window_age_seconds);
    double slowed =
        pace_slowed(st.rate_per_minute, dc->rate_per_minute, observed, dc->min_rate_per_minute);
    /* the steps back up stop where the slow-down started */
    double ceiling = st.rate_per_minute > 0    ? st.ceiling_per_minute
                     : dc->rate_per_minute > 0 ? dc->rate_per_minute
                                               : observed;
    bool changed = false;
    /* at the floor already, the quiet period starts again */
    bool floor = slowed == st.rate_per_minute;
    if (destination_pacing_change(conn, dc->name, st.rate_per_minute, slowed, ceiling,
                                  floor ? 0 : SLOW_DOWN_GAP_SECONDS, &changed, &err) < 0) {
        log_warn("pacing: destination %s: %s", dc->name, err.message);
        return;
    }
    if (!changed || floor) return;
    char was[32], now[32];
    log_info("pacing: destination %s: rate %s → %s after \"%d %s %s\"", dc->name,
             rate_text(st.rate_per_minute > 0 ? st.rate_per_minute : dc->rate_per_minute, was,
                       sizeof was),
             rate_text(slowed, now, sizeof now), s->reply.code, s->reply.enhanced, s->reply.text);
    app_metrics_destination_rate(&app->metrics, s->index, dc->name, slowed);
}

void destination_batch_note(app_t *app, PGconn *conn, const destination_segment *s,
                            const char *campaign_id)
{
    const destination_config *dc = &app->mail.destinations.items[s->index];
    if (s->replies || s->deferred)
        app_metrics_destination_throttled(&app->metrics, s->index, dc->name, s->replies,
                                          s->deferred);
    if (!s->sent && !s->replies && !s->deferred) return;
    mc_error err;
    if (destination_pacing_note(conn, dc->name, dc->rate_per_minute, campaign_id,
                                (long long)s->sent, (long long)s->replies, (long long)s->deferred,
                                &err) < 0)
        log_warn("pacing: destination %s: %s", dc->name, err.message);
}
