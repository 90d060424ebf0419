/* Metric primitives for the Prometheus text format: counters and histograms updated with
 * atomic adds from any thread (no lock, no allocation), and the writers of their text. */
#ifndef MC_CORE_METRICS_H
#define MC_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct {
    uint64_t value;
} metric_counter;

static inline void metric_counter_add(metric_counter *c, uint64_t n)
{
    __atomic_fetch_add(&c->value, n, __ATOMIC_RELAXED);
}

static inline uint64_t metric_counter_get(const metric_counter *c)
{
    return __atomic_load_n(&c->value, __ATOMIC_RELAXED);
}

#define METRIC_BUCKETS_MAX 16

/* Durations: a count per bucket (not cumulative: the writer adds them up) and the sum in
 * microseconds. */
typedef struct {
    const double *bounds; /* upper bounds in seconds, ascending; borrowed (a static array) */
    size_t bound_count;   /* at most METRIC_BUCKETS_MAX */
    uint64_t buckets[METRIC_BUCKETS_MAX + 1]; /* the last one is +Inf */
    uint64_t sum_us;
} metric_histogram;

/* Empties h and gives it bounds[0..count) (borrowed; count at most METRIC_BUCKETS_MAX). */
void metric_histogram_init(metric_histogram *h, const double *bounds, size_t count);
void metric_histogram_observe_us(metric_histogram *h, uint64_t duration_us);
/* seconds below 0 count as 0 */
void metric_histogram_observe(metric_histogram *h, double seconds);
/* returns how many observations h holds */
uint64_t metric_histogram_count(const metric_histogram *h);

/* Appends the "# HELP" and "# TYPE" lines of a family. */
void metric_write_family(buf_t *out, const char *name, const char *type, const char *help);
/* Appends `key="value"` to a label list, after a comma when out already ends in a label, with
 * value escaped as the format wants (backslash, double quote, newline). */
void metric_write_label(buf_t *out, const char *key, const char *value);
/* Appends `name{labels} value`; labels may be "" (then no braces). */
void metric_write_sample(buf_t *out, const char *name, const char *labels, uint64_t value);
/* The same for a value kept in microseconds, written in seconds. */
void metric_write_seconds(buf_t *out, const char *name, const char *labels, uint64_t value_us);
/* Appends the _bucket (cumulative, le="+Inf" last), _sum and _count lines of h. */
void metric_write_histogram(buf_t *out, const char *name, const char *labels,
                            const metric_histogram *h);

#endif
