/* Fixed slots made at start-up (relays are known by then), so that counting a message is an
 * atomic add into an array and never allocates or locks. */
#include "app/metrics.h"

#include <stdlib.h>

#include "core/alloc.h"

/* An SMTP session: a connection, its greeting, EHLO, maybe TLS and AUTH, the messages, QUIT. */
static const double SESSION_BOUNDS[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
/* One message's share of a session. */
static const double MESSAGE_BOUNDS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,   0.5,   1,    2.5,   10};
/* How late a job runs: the loop looks every second, and is late while a large batch sends. */
static const double LAG_BOUNDS[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};

#define COUNT_OF(a) (sizeof(a) / sizeof(a)[0])

static const char *const OUTCOME_NAMES[APP_OUTCOMES] = {"sent", "deferred", "failed"};
static const char *const CLASS_NAMES[APP_REPLY_CLASSES] = {"2xx", "4xx", "5xx", "none"};

void app_metrics_init(app_metrics *m, const relay_set *relays)
{
    *m = (app_metrics){0};
    m->relay_count = relays && relays->count ? relays->count : 1;
    m->relays = xcalloc(m->relay_count, sizeof *m->relays);
    for (size_t i = 0; i < m->relay_count; i++) {
        app_relay_metrics *r = &m->relays[i];
        r->name = relays && relays->count ? relays->relays[i].name : "outbox";
        metric_histogram_init(&r->session_seconds, SESSION_BOUNDS, COUNT_OF(SESSION_BOUNDS));
        metric_histogram_init(&r->message_seconds, MESSAGE_BOUNDS, COUNT_OF(MESSAGE_BOUNDS));
    }
    for (size_t i = 0; i < APP_METRICS_JOBS; i++)
        metric_histogram_init(&m->job_lag[i], LAG_BOUNDS, COUNT_OF(LAG_BOUNDS));
}

void app_metrics_free(app_metrics *m)
{
    free(m->relays);
    *m = (app_metrics){0};
}

static app_relay_metrics *relay_slot(app_metrics *m, size_t relay)
{
    return &m->relays[relay < m->relay_count ? relay : 0];
}

static int reply_class(int code)
{
    if (code >= 200 && code < 300) return APP_REPLY_2XX;
    if (code >= 400 && code < 500) return APP_REPLY_4XX;
    if (code >= 500 && code < 600) return APP_REPLY_5XX;
    return APP_REPLY_NONE;
}

void app_metrics_session(app_metrics *m, size_t relay, const mail_result *results, size_t n,
                         double seconds)
{
    if (!m->relays) return;
    app_relay_metrics *r = relay_slot(m, relay);
    metric_histogram_observe(&r->session_seconds, seconds);
    for (size_t i = 0; i < n; i++) {
        int outcome = results[i].outcome == MAIL_SENT        ? APP_SENT
                      : results[i].outcome == MAIL_PERMANENT ? APP_FAILED
                                                             : APP_DEFERRED;
        metric_counter_add(&r->messages[outcome][reply_class(results[i].code)], 1);
        metric_histogram_observe(&r->message_seconds, seconds / (double)n);
    }
}

void app_metrics_rate_wait(app_metrics *m, size_t relay, size_t messages, double delay_seconds)
{
    if (!m->relays || !messages) return;
    app_relay_metrics *r = relay_slot(m, relay);
    metric_counter_add(&r->rate_limit_waits, messages);
    metric_counter_add(&r->rate_limit_wait_us, (uint64_t)((double)messages * delay_seconds * 1e6));
}

void app_metrics_job_lag(app_metrics *m, size_t job, const char *name, double lag_seconds)
{
    if (job >= APP_METRICS_JOBS) return;
    __atomic_store_n(&m->job_names[job], name, __ATOMIC_RELEASE);
    metric_histogram_observe(&m->job_lag[job], lag_seconds);
}

static app_destination_metrics *destination_slot(app_metrics *m, size_t dest, const char *name)
{
    if (dest >= APP_METRICS_DESTINATIONS) return NULL;
    __atomic_store_n(&m->destinations[dest].name, name, __ATOMIC_RELEASE);
    return &m->destinations[dest];
}

void app_metrics_destination_rate(app_metrics *m, size_t dest, const char *name,
                                  double rate_per_minute)
{
    app_destination_metrics *d = destination_slot(m, dest, name);
    if (d) __atomic_store_n(&d->rate_micro, (uint64_t)(rate_per_minute * 1e6), __ATOMIC_RELAXED);
}

void app_metrics_destination_throttled(app_metrics *m, size_t dest, const char *name,
                                       size_t replies, size_t deferred)
{
    app_destination_metrics *d = destination_slot(m, dest, name);
    if (!d) return;
    metric_counter_add(&d->throttle_replies, replies);
    metric_counter_add(&d->deferrals, deferred);
}

/* Writes the pacing of the destination groups used so far. */
static void render_destinations(const app_metrics *m, buf_t *labels, buf_t *out)
{
    static const char *const FAMILIES[][3] = {
        {"mailcast_destination_rate_per_minute", "gauge",
         "The limit of a destination group now, messages a minute (0: none, as configured)."},
        {"mailcast_destination_throttle_replies_total", "counter",
         "Replies asking to slow down (421, 451, 454, 4.7.x) from a destination group."},
        {"mailcast_destination_deferrals_total", "counter",
         "Messages deferred for such a reply, without counting an attempt."},
    };
    for (size_t f = 0; f < 3; f++) {
        metric_write_family(out, FAMILIES[f][0], FAMILIES[f][1], FAMILIES[f][2]);
        for (size_t i = 0; i < APP_METRICS_DESTINATIONS; i++) {
            const app_destination_metrics *d = &m->destinations[i];
            const char *name = __atomic_load_n(&d->name, __ATOMIC_ACQUIRE);
            if (!name) continue;
            buf_reset(labels);
            metric_write_label(labels, "destination", name);
            /* a gauge with decimals: the seconds writer prints millionths */
            if (f == 0)
                metric_write_seconds(out, FAMILIES[f][0], buf_cstr(labels),
                                     __atomic_load_n(&d->rate_micro, __ATOMIC_RELAXED));
            else
                metric_write_sample(
                    out, FAMILIES[f][0], buf_cstr(labels),
                    metric_counter_get(f == 1 ? &d->throttle_replies : &d->deferrals));
        }
    }
}

/* returns the label list `relay="NAME"` of r, written into labels */
static const char *relay_label(buf_t *labels, const app_relay_metrics *r)
{
    buf_reset(labels);
    metric_write_label(labels, "relay", r->name);
    return buf_cstr(labels);
}

void app_metrics_render(const app_metrics *m, buf_t *out)
{
    buf_t labels = BUF_INIT;
    metric_write_family(out, "mailcast_messages_total", "counter",
                        "Messages handed to a relay, by what became of them and the reply class.");
    for (size_t i = 0; i < m->relay_count; i++)
        for (int o = 0; o < APP_OUTCOMES; o++)
            for (int c = 0; c < APP_REPLY_CLASSES; c++) {
                uint64_t n = metric_counter_get(&m->relays[i].messages[o][c]);
                if (!n) continue;
                relay_label(&labels, &m->relays[i]);
                metric_write_label(&labels, "outcome", OUTCOME_NAMES[o]);
                metric_write_label(&labels, "class", CLASS_NAMES[c]);
                metric_write_sample(out, "mailcast_messages_total", buf_cstr(&labels), n);
            }
    metric_write_family(out, "mailcast_smtp_session_duration_seconds", "histogram",
                        "One connection to a relay, from connect to quit.");
    for (size_t i = 0; i < m->relay_count; i++)
        metric_write_histogram(out, "mailcast_smtp_session_duration_seconds",
                               relay_label(&labels, &m->relays[i]), &m->relays[i].session_seconds);
    metric_write_family(out, "mailcast_message_send_duration_seconds", "histogram",
                        "A message's share of its SMTP session.");
    for (size_t i = 0; i < m->relay_count; i++)
        metric_write_histogram(out, "mailcast_message_send_duration_seconds",
                               relay_label(&labels, &m->relays[i]), &m->relays[i].message_seconds);
    metric_write_family(out, "mailcast_rate_limit_waits_total", "counter",
                        "Messages put back because a relay's or campaign's rate was used up.");
    for (size_t i = 0; i < m->relay_count; i++)
        metric_write_sample(out, "mailcast_rate_limit_waits_total",
                            relay_label(&labels, &m->relays[i]),
                            metric_counter_get(&m->relays[i].rate_limit_waits));
    metric_write_family(out, "mailcast_rate_limit_wait_seconds_total", "counter",
                        "The delay given to messages put back by a rate limit.");
    for (size_t i = 0; i < m->relay_count; i++)
        metric_write_seconds(out, "mailcast_rate_limit_wait_seconds_total",
                             relay_label(&labels, &m->relays[i]),
                             metric_counter_get(&m->relays[i].rate_limit_wait_us));
    render_destinations(m, &labels, out);
    metric_write_family(out, "mailcast_import_rows_total", "counter",
                        "CSV rows of subscriber imports, imported or failed.");
    metric_write_sample(out, "mailcast_import_rows_total", "result=\"imported\"",
                        metric_counter_get(&m->import_rows_imported));
    metric_write_sample(out, "mailcast_import_rows_total", "result=\"failed\"",
                        metric_counter_get(&m->import_rows_failed));
    metric_write_family(out, "mailcast_worker_job_lag_seconds", "histogram",
                        "How long after it was due the worker loop ran a job.");
    for (size_t i = 0; i < APP_METRICS_JOBS; i++) {
        const char *name = __atomic_load_n(&m->job_names[i], __ATOMIC_ACQUIRE);
        if (!name) continue;
        buf_reset(&labels);
        metric_write_label(&labels, "job", name);
        metric_write_histogram(out, "mailcast_worker_job_lag_seconds", buf_cstr(&labels),
                               &m->job_lag[i]);
    }
    buf_free(&labels);
}
