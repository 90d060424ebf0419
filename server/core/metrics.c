/* Counters and histograms are plain integers changed with relaxed atomic adds: a reader may
 * see a histogram's buckets and sum from slightly different moments, which Prometheus
 * tolerates, and a writer never waits. */
#include "core/metrics.h"

#include <stdio.h>
#include <string.h>

void metric_histogram_init(metric_histogram *h, const double *bounds, size_t count)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->bound_count = count < METRIC_BUCKETS_MAX ? count : METRIC_BUCKETS_MAX;
}

void metric_histogram_observe_us(metric_histogram *h, uint64_t duration_us)
{
    size_t bucket = 0;
    while (bucket < h->bound_count && (double)duration_us > h->bounds[bucket] * 1e6)
        bucket++;
    __atomic_fetch_add(&h->buckets[bucket], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_us, duration_us, __ATOMIC_RELAXED);
}

void metric_histogram_observe(metric_histogram *h, double seconds)
{
    metric_histogram_observe_us(h, seconds > 0 ? (uint64_t)(seconds * 1e6 + 0.5) : 0);
}

uint64_t metric_histogram_count(const metric_histogram *h)
{
    uint64_t total = 0;
    for (size_t b = 0; b <= h->bound_count; b++)
        total += __atomic_load_n(&h->buckets[b], __ATOMIC_RELAXED);
    return total;
}

void metric_write_family(buf_t *out, const char *name, const char *type, const char *help)
{
    buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metric_write_label(buf_t *out, const char *key, const char *value)
{
    if (out->n && out->p[out->n - 1] == '"') buf_putc(out, ',');
    buf_appendf(out, "%s=\"", key);
    for (const char *c = value; *c; c++) {
        if (*c == '\\' || *c == '"')
            buf_putc(out, '\\'), buf_putc(out, *c);
        else if (*c == '\n')
            buf_append_cstr(out, "\\n");
        else
            buf_putc(out, *c);
    }
    buf_putc(out, '"');
}

/* name{labels and extra} or name, without the value */
static void series(buf_t *out, const char *name, const char *suffix, const char *labels,
                   const char *extra)
{
    buf_appendf(out, "%s%s", name, suffix);
    if (!labels[0] && !extra[0]) return;
    buf_appendf(out, "{%s%s%s}", labels, labels[0] && extra[0] ? "," : "", extra);
}

void metric_write_sample(buf_t *out, const char *name, const char *labels, uint64_t value)
{
    series(out, name, "", labels, "");
    buf_appendf(out, " %llu\n", (unsigned long long)value);
}

void metric_write_seconds(buf_t *out, const char *name, const char *labels, uint64_t value_us)
{
    series(out, name, "", labels, "");
    buf_appendf(out, " %.6f\n", (double)value_us / 1e6);
}

void metric_write_histogram(buf_t *out, const char *name, const char *labels,
                            const metric_histogram *h)
{
    uint64_t cumulative = 0;
    char le[48];
    for (size_t b = 0; b <= h->bound_count; b++) {
        cumulative += __atomic_load_n(&h->buckets[b], __ATOMIC_RELAXED);
        if (b < h->bound_count)
            snprintf(le, sizeof le, "le=\"%g\"", h->bounds[b]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        series(out, name, "_bucket", labels, le);
        buf_appendf(out, " %llu\n", (unsigned long long)cumulative);
    }
    series(out, name, "_sum", labels, "");
    buf_appendf(out, " %.6f\n", (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6);
    series(out, name, "_count", labels, "");
    buf_appendf(out, " %llu\n", (unsigned long long)cumulative);
}
