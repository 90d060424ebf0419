/* [warmup.NAME] parsing with FILE:LINE errors, and the calendar arithmetic of schedules. */
#include "mail/warmup_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

/* a schedule longer than this is a typo rather than a plan */
#define WARMUP_MAX_DAYS 366
#define WARMUP_MAX_CAP  100000000UL

long warmup_civil_day(int year, unsigned month, unsigned day)
{
    /* days_from_civil (H. Hinnant): exact for every Gregorian date */
    long y = (long)year - (month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (long)(month > 2 ? month - 3 : month + 9) + 2) / 5 + (long)day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void warmup_format_date(long day, char out[11])
{
    long z = day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

int warmup_parse_date(const char *text, long *day)
{
    int y, m, d, used = 0;
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i])) return -1;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10) return -1;
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1) return -1;
    if (d > DAYS[m - 1] + (m == 2 && leap)) return -1;
    *day = warmup_civil_day(y, (unsigned)m, (unsigned)d);
    return 0;
}

long warmup_day_index(long start_day, long today)
{
    return today < start_day ? 1 : today - start_day + 1;
}

long long warmup_cap(const unsigned *daily, size_t days, long day)
{
    if (day < 1) day = 1;
    return (size_t)day <= days ? (long long)daily[day - 1] : -1;
}

long warmup_finish_days(const unsigned *daily, size_t days, long day, long long left_today,
                        long long left)
{
    if (left <= (left_today > 0 ? left_today : 0)) return 0;
    left -= left_today > 0 ? left_today : 0;
    for (long k = 1;; k++) {
        long long cap = warmup_cap(daily, days, day + k);
        if (cap < 0 || left <= cap) return k;
        left -= cap;
    }
}

typedef struct {
    const config_t *cfg;
    const config_named_section *sec;
    mc_error *err;
} reader;

/* the value of key (NULL when unset) with its place ("FILE:LINE", or the section's line when
 * unset) in where */
static const char *get(const reader *r, const char *key, char *where, size_t size)
{
    int line = r->sec->line;
    const char *v = config_named_get(r->sec, key, &line);
    if (!v) line = r->sec->line;
    if (line > 0)
        snprintf(where, size, "%s:%d", r->cfg->path ? r->cfg->path : "config", line);
    else
        snprintf(where, size, "environment");
    return v;
}

/* "50, 100, 250": each a whole number from 1 to WARMUP_MAX_CAP */
static int parse_daily(const reader *r, warmup_schedule *w)
{
    char where[600];
    const char *v = get(r, "daily", where, sizeof where);
    if (!v)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [warmup.%s] needs daily = the caps of day 1, 2, ... e.g. "
                            "daily = 50, 100, 250, 500",
                            where, r->sec->name);
    const char *p = v;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        char *end;
        errno = 0;
        unsigned long n = isdigit((unsigned char)*p) ? strtoul(p, &end, 10) : 0;
        if (n == 0 || errno || n > WARMUP_MAX_CAP || w->days == WARMUP_MAX_DAYS)
            return mc_error_set(r->err, 400, "invalid_config", where,
                                "%s: [warmup.%s] daily = \"%s\" must be up to %d whole numbers "
                                "from 1 to %lu separated by commas",
                                where, r->sec->name, v, WARMUP_MAX_DAYS, WARMUP_MAX_CAP);
        w->daily = xrealloc(w->daily, (w->days + 1) * sizeof *w->daily);
        w->daily[w->days++] = (unsigned)n;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == ',' && p[1]) {
            p++;
        } else if (*p) {
            return mc_error_set(r->err, 400, "invalid_config", where,
                                "%s: [warmup.%s] daily = \"%s\" must be whole numbers separated "
                                "by commas",
                                where, r->sec->name, v);
        }
    }
    if (w->days == 0)
        return mc_error_set(r->err, 400, "invalid_config", where, "%s: [warmup.%s] daily is empty",
                            where, r->sec->name);
    return 0;
}

static bool domain_valid(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.' || !strchr(d, '.')) return false;
    for (; *d; d++)
        if (!isalnum((unsigned char)*d) && *d != '-' && *d != '.' && (unsigned char)*d < 0x80)
            return false;
    return true;
}

static int load_one(const reader *r, const relay_set *relays, warmup_schedule *w)
{
    char where[600];
    w->name = xstrdup(r->sec->name);
    w->start_day = WARMUP_NO_START;
    const char *relay = get(r, "relay", where, sizeof where);
    char domain_where[600];
    const char *domain = get(r, "domain", domain_where, sizeof domain_where);
    if ((relay != NULL) == (domain != NULL))
        return mc_error_set(r->err, 400, "invalid_config", relay ? where : domain_where,
                            "%s: [warmup.%s] needs either relay = an [smtp.NAME] or domain = a "
                            "sending domain, not %s",
                            relay ? where : domain_where, r->sec->name, relay ? "both" : "neither");
    if (relay && !relay_set_find(relays, relay))
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [warmup.%s] relay = \"%s\" names no [smtp.%s] section", where,
                            r->sec->name, relay, relay);
    if (domain && !domain_valid(domain))
        return mc_error_set(r->err, 400, "invalid_config", domain_where,
                            "%s: [warmup.%s] domain = \"%s\" is not a domain like example.com",
                            domain_where, r->sec->name, domain);
    if (relay) w->relay = xstrdup(relay);
    if (domain) {
        w->domain = xstrdup(domain);
        for (char *p = w->domain; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    if (parse_daily(r, w) < 0) return -1;
    const char *start = get(r, "start", where, sizeof where);
    if (start && warmup_parse_date(start, &w->start_day) < 0)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [warmup.%s] start = \"%s\" must be a date YYYY-MM-DD (day 1, "
                            "in UTC)",
                            where, r->sec->name, start);
    return 0;
}

int warmup_set_load(warmup_set *s, const config_t *cfg, const relay_set *relays, mc_error *err)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < cfg->named_count; i++) {
        if (strcmp(cfg->named[i].kind, "warmup")) continue;
        s->items = xrealloc(s->items, (s->count + 1) * sizeof *s->items);
        warmup_schedule *w = &s->items[s->count++];
        memset(w, 0, sizeof *w);
        reader r = {cfg, &cfg->named[i], err};
        if (load_one(&r, relays, w) < 0) {
            warmup_set_free(s);
            return -1;
        }
    }
    return 0;
}

void warmup_set_free(warmup_set *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].name);
        free(s->items[i].relay);
        free(s->items[i].domain);
        free(s->items[i].daily);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

size_t warmup_set_match(const warmup_set *s, const char *relay, const char *from,
                        const warmup_schedule **out, size_t max)
{
    size_t n = 0;
    const char *at = from ? strrchr(from, '@') : NULL;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->count && n < max; i++) {
            const warmup_schedule *w = &s->items[i];
            if (pass == 0 && w->relay && relay && !strcmp(w->relay, relay)) out[n++] = w;
            if (pass == 1 && w->domain && at && !strcasecmp(w->domain, at + 1)) out[n++] = w;
        }
    return n;
}
