/* Fixed arrays indexed by route and status, and a histogram (core/metrics.h) per route: no
 * lock, no allocation per request. */
#include "http/metrics.h"

#include <stdlib.h>

#include "core/alloc.h"

#define STATUS_SLOTS 600

/* Upper bounds of the latency buckets, in seconds. */
static const double BUCKET_BOUNDS[HTTP_METRICS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

void http_metrics_init(http_metrics *m, size_t route_count)
{
    m->route_slots = route_count + 1;
    m->by_status = xcalloc(m->route_slots * STATUS_SLOTS, sizeof *m->by_status);
    m->latencies = xcalloc(m->route_slots, sizeof *m->latencies);
    for (size_t i = 0; i < m->route_slots; i++)
        metric_histogram_init(&m->latencies[i], BUCKET_BOUNDS, HTTP_METRICS_BUCKETS);
}

void http_metrics_free(http_metrics *m)
{
    free(m->by_status);
    free(m->latencies);
    m->by_status = NULL;
    m->latencies = NULL;
}

static size_t slot_of(const http_metrics *m, int route_index)
{
    return route_index >= 0 && (size_t)route_index < m->route_slots - 1 ? (size_t)route_index
                                                                        : m->route_slots - 1;
}

void http_metrics_record(http_metrics *m, int route_index, int status, uint64_t duration_us)
{
    size_t slot = slot_of(m, route_index);
    if (status < 0 || status >= STATUS_SLOTS) status = 0;
    __atomic_fetch_add(&m->by_status[slot * STATUS_SLOTS + (size_t)status], 1, __ATOMIC_RELAXED);
    metric_histogram_observe_us(&m->latencies[slot], duration_us);
}

static void route_label(const http_router *router, size_t slot, buf_t *out)
{
    if (slot < router->count)
        buf_appendf(out, "method=\"%s\",route=\"%s\"", router->routes[slot].method,
                    router->routes[slot].pattern);
    else
        buf_append_cstr(out, "method=\"\",route=\"unmatched\"");
}

void http_metrics_render(const http_metrics *m, const http_router *router, buf_t *out)
{
    buf_append_cstr(out, "# HELP mailcast_http_requests_total HTTP requests answered.\n"
                         "# TYPE mailcast_http_requests_total counter\n");
    for (size_t slot = 0; slot < m->route_slots; slot++) {
        for (int status = 0; status < STATUS_SLOTS; status++) {
            uint64_t n = __atomic_load_n(&m->by_status[slot * STATUS_SLOTS + (size_t)status],
                                         __ATOMIC_RELAXED);
            if (!n) continue;
            buf_append_cstr(out, "mailcast_http_requests_total{");
            route_label(router, slot, out);
            buf_appendf(out, ",status=\"%d\"} %llu\n", status, (unsigned long long)n);
        }
    }
    buf_append_cstr(out, "# HELP mailcast_http_request_duration_seconds Time to answer.\n"
                         "# TYPE mailcast_http_request_duration_seconds histogram\n");
    buf_t labels = BUF_INIT;
    for (size_t slot = 0; slot < m->route_slots; slot++) {
        if (!metric_histogram_count(&m->latencies[slot])) continue;
        buf_reset(&labels);
        route_label(router, slot, &labels);
        metric_write_histogram(out, "mailcast_http_request_duration_seconds", buf_cstr(&labels),
                               &m->latencies[slot]);
    }
    buf_free(&labels);
}
