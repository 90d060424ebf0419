/* The figures of the work behind the HTTP front: messages by relay, outcome and reply class,
 * SMTP session and per-message latency, rate-limit waits, import rows and how late the worker
 * loop runs its jobs. One registry per process, in app_t; any thread adds to it with atomic
 * adds (no lock, no allocation) and GET /metrics writes it out. */
#ifndef MC_APP_METRICS_H
#define MC_APP_METRICS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/metrics.h"
#include "mail/relay.h"
#include "mail/transport.h"

/* what became of a message handed to a relay: sent, deferred (a temporary refusal or no
 * reply; the ledger may still give up on it) or failed (refused for good) */
enum { APP_SENT, APP_DEFERRED, APP_FAILED, APP_OUTCOMES };
/* the class of the reply: 2xx, 4xx, 5xx, or none (no connection or no reply) */
enum { APP_REPLY_2XX, APP_REPLY_4XX, APP_REPLY_5XX, APP_REPLY_NONE, APP_REPLY_CLASSES };

typedef struct {
    const char *name; /* the relay's name, "outbox" for the capture transport; borrowed */
    metric_counter messages[APP_OUTCOMES][APP_REPLY_CLASSES];
    metric_histogram session_seconds;  /* one connection, from connect to quit */
    metric_histogram message_seconds;  /* a session's time divided by its messages */
    metric_counter rate_limit_waits;   /* messages put back because a rate was used up */
    metric_counter rate_limit_wait_us; /* the delay those messages were given */
} app_relay_metrics;

#define APP_METRICS_JOBS 24
/* destination groups with figures of their own; the groups past it are not exported */
#define APP_METRICS_DESTINATIONS 32

/* One destination group's pacing, as this process last saw it. */
typedef struct {
    const char *name;    /* borrowed from the configuration; NULL until it is used */
    uint64_t rate_micro; /* the limit now, in millionths of a message a minute; 0: none */
    metric_counter throttle_replies; /* 421, 451, 454 and 4.7.x replies */
    metric_counter deferrals;        /* messages deferred for them, no attempt counted */
} app_destination_metrics;

typedef struct {
    app_relay_metrics *relays; /* one per configured relay, or the outbox alone */
    size_t relay_count;
    metric_counter import_rows_imported, import_rows_failed;
    /* how long after it was due each job of the worker loop ran, by the job's slot */
    const char *job_names[APP_METRICS_JOBS];
    metric_histogram job_lag[APP_METRICS_JOBS];
    app_destination_metrics destinations[APP_METRICS_DESTINATIONS]; /* by index in the set */
} app_metrics;

/* Prepares m with a slot per relay of relays (borrowed, must outlive m; none: the outbox).
 * Release with app_metrics_free(). */
void app_metrics_init(app_metrics *m, const relay_set *relays);
void app_metrics_free(app_metrics *m);
/* Counts one SMTP session of relay slot `relay` (an index of the relay set, 0 for the outbox):
 * each of results[0..n) by outcome and reply class, the session's duration and each message's
 * share of it. */
void app_metrics_session(app_metrics *m, size_t relay, const mail_result *results, size_t n,
                         double seconds);
/* Counts messages of relay slot `relay` put back by a rate limit, each for delay_seconds. */
void app_metrics_rate_wait(app_metrics *m, size_t relay, size_t messages, double delay_seconds);
/* Records the limit now of destination group slot dest (named name, borrowed from the
 * configuration): messages per minute, 0 for none. */
void app_metrics_destination_rate(app_metrics *m, size_t dest, const char *name,
                                  double rate_per_minute);
/* Counts throttling replies of destination group slot dest and the messages deferred for them. */
void app_metrics_destination_throttled(app_metrics *m, size_t dest, const char *name,
                                       size_t replies, size_t deferred);
/* Records that job slot `job` (named name, a literal) ran lag_seconds after it was due. */
void app_metrics_job_lag(app_metrics *m, size_t job, const char *name, double lag_seconds);
/* Appends every family of m as Prometheus text. */
void app_metrics_render(const app_metrics *m, buf_t *out);

#endif
