#include "core/duration.h"

#include <stdbool.h>

static long long unit_seconds(char unit)
{
    switch (unit) {
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    case 'w':
        return 7 * 86400;
    default:
        return 0;
    }
}

int duration_parse(const char *text, const char *field, long long *seconds, mc_error *err)
{
    long long total = 0, last_unit = 0;
    const char *p = text;
    bool any = false;
    while (*p) {
        long long n = 0;
        const char *digits = p;
        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (*p - '0');
            if (n > DURATION_MAX_SECONDS) goto bad;
            p++;
        }
        long long unit = unit_seconds(*p);
        /* a number without a unit, a unit without a number, or units out of order ("3h1d") */
        if (p == digits || !unit || (last_unit && unit >= last_unit)) goto bad;
        total += n * unit;
        if (total > DURATION_MAX_SECONDS) goto bad;
        last_unit = unit;
        any = true;
        p++;
    }
    if (!any || total < 1) goto bad;
    *seconds = total;
    return 0;
bad:
    return mc_error_set(err, 400, "invalid_field", field,
                        "%s must be a duration such as \"45s\", \"30m\", \"2h\", \"3d\" or "
                        "\"1d12h\", from 1 second to 3650 days",
                        field);
}

int time_of_day_parse(const char *text, const char *field, int *minutes, mc_error *err)
{
    const char *t = text;
    bool digits = t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' && t[2] == ':' &&
                  t[3] >= '0' && t[3] <= '9' && t[4] >= '0' && t[4] <= '9' && t[5] == '\0';
    int hours = digits ? (t[0] - '0') * 10 + (t[1] - '0') : 0;
    int mins = digits ? (t[3] - '0') * 10 + (t[4] - '0') : 0;
    if (!digits || hours > 23 || mins > 59)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be a time of day \"HH:MM\" from 00:00 to 23:59", field);
    *minutes = hours * 60 + mins;
    return 0;
}
