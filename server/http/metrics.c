/* Fixed arrays indexed by route and status: no lock, no allocation per request. */
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
    m->histogram = xcalloc(m->route_slots * (HTTP_METRICS_BUCKETS + 1), sizeof *m->histogram);
    m->latency_us = xcalloc(m->route_slots, sizeof *m->latency_us);
}

void http_metrics_free(http_metrics *m)
{
    free(m->by_status);
    free(m->histogram);
    free(m->latency_us);
    m->by_status = m->histogram = m->latency_us = NULL;
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
    size_t bucket = 0;
    while (bucket < HTTP_METRICS_BUCKETS && duration_us > BUCKET_BOUNDS[bucket] * 1e6)
        bucket++;
    __atomic_fetch_add(&m->histogram[slot * (HTTP_METRICS_BUCKETS + 1) + bucket], 1,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&m->latency_us[slot], duration_us, __ATOMIC_RELAXED);
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
    for (size_t slot = 0; slot < m->route_slots; slot++) {
        const uint64_t *h = &m->histogram[slot * (HTTP_METRICS_BUCKETS + 1)];
        uint64_t total = 0;
        for (int b = 0; b <= HTTP_METRICS_BUCKETS; b++)
            total += __atomic_load_n(&h[b], __ATOMIC_RELAXED);
        if (!total) continue;
        uint64_t cumulative = 0;
        for (int b = 0; b <= HTTP_METRICS_BUCKETS; b++) {
            cumulative += __atomic_load_n(&h[b], __ATOMIC_RELAXED);
            buf_append_cstr(out, "mailcast_http_request_duration_seconds_bucket{");
            route_label(router, slot, out);
            if (b < HTTP_METRICS_BUCKETS)
                buf_appendf(out, ",le=\"%g\"} %llu\n", BUCKET_BOUNDS[b],
                            (unsigned long long)cumulative);
            else
                buf_appendf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
        }
        buf_append_cstr(out, "mailcast_http_request_duration_seconds_sum{");
        route_label(router, slot, out);
        buf_appendf(out, "} %.6f\n",
                    (double)__atomic_load_n(&m->latency_us[slot], __ATOMIC_RELAXED) / 1e6);
        buf_append_cstr(out, "mailcast_http_request_duration_seconds_count{");
        route_label(router, slot, out);
        buf_appendf(out, "} %llu\n", (unsigned long long)total);
    }
}
