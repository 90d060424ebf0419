/* Request metrics in Prometheus text format: counts by route and status, and a latency
 * histogram by route. Updated with atomic adds from every server thread. */
#ifndef MC_HTTP_METRICS_H
#define MC_HTTP_METRICS_H

#include <stdint.h>

#include "core/buf.h"
#include "core/metrics.h"
#include "http/router.h"

#define HTTP_METRICS_BUCKETS 12

typedef struct {
    uint64_t *by_status;         /* [route_slots][600] */
    metric_histogram *latencies; /* [route_slots] */
    size_t route_slots;          /* routes + 1 for requests that matched no route */
} http_metrics;

/* caller frees with http_metrics_free() */
void http_metrics_init(http_metrics *m, size_t route_count);
void http_metrics_free(http_metrics *m);
/* route_index -1 counts under route="unmatched" */
void http_metrics_record(http_metrics *m, int route_index, int status, uint64_t duration_us);
/* Appends the metrics as Prometheus text. */
void http_metrics_render(const http_metrics *m, const http_router *router, buf_t *out);

#endif
