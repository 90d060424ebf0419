/* The date filter: reads ISO-8601 dates and date-times, prints them with strftime and
 * English month and day names, as written (no time zone conversion). */
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "template/template_internal.h"

static locale_t time_locale;
static pthread_once_t time_locale_once = PTHREAD_ONCE_INIT;

static void open_time_locale(void)
{
    /* English month and day names whatever locale the process runs in */
    time_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static int read_digits(const char *s, size_t n, size_t *at, size_t count, int *value)
{
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        if (*at >= n || s[*at] < '0' || s[*at] > '9') return -1;
        v = v * 10 + (s[(*at)++] - '0');
    }
    *value = v;
    return 0;
}

/* days since 1970-01-01 in the proleptic Gregorian calendar */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.fraction]] and Z or +HH[:MM]. */
static int parse_iso8601(const char *s, size_t n, struct tm *tm)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    memset(tm, 0, sizeof *tm);
    size_t at = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (read_digits(s, n, &at, 4, &year) || at >= n || s[at++] != '-' ||
        read_digits(s, n, &at, 2, &month) || at >= n || s[at++] != '-' ||
        read_digits(s, n, &at, 2, &day))
        return -1;
    if (month < 1 || month > 12 || day < 1) return -1;
    if (day > month_days[month - 1] + (month == 2 && leap(year))) return -1;
    long offset = 0;
    bool utc = false;
    if (at < n && (s[at] == 'T' || s[at] == 't' || s[at] == ' ')) {
        at++;
        if (read_digits(s, n, &at, 2, &hour) || at >= n || s[at++] != ':' ||
            read_digits(s, n, &at, 2, &minute))
            return -1;
        if (at < n && s[at] == ':') {
            at++;
            if (read_digits(s, n, &at, 2, &second)) return -1;
            if (at < n && (s[at] == '.' || s[at] == ',')) {
                at++;
                size_t digits = 0;
                while (at < n && s[at] >= '0' && s[at] <= '9')
                    at++, digits++;
                if (!digits) return -1;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) return -1;
        if (at < n && (s[at] == 'Z' || s[at] == 'z')) {
            at++;
            utc = true;
        } else if (at < n && (s[at] == '+' || s[at] == '-')) {
            int sign = s[at++] == '-' ? -1 : 1, oh, om = 0;
            if (read_digits(s, n, &at, 2, &oh)) return -1;
            if (at < n && s[at] == ':') at++;
            if (at < n && read_digits(s, n, &at, 2, &om)) return -1;
            if (oh > 23 || om > 59) return -1;
            offset = sign * (oh * 3600L + om * 60L);
        }
    }
    if (at != n) return -1;
    long days = days_from_civil(year, month, day);
    tm->tm_year = year - 1900;
    tm->tm_mon = month - 1;
    tm->tm_mday = day;
    tm->tm_hour = hour;
    tm->tm_min = minute;
    tm->tm_sec = second;
    tm->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    tm->tm_yday = (int)(days - days_from_civil(year, 1, 1));
    tm->tm_gmtoff = offset;
    tm->tm_zone = utc ? "UTC" : "";
    return 0;
}

int tpl_format_date(str_t value, const char *format, char *out, size_t cap, size_t *len)
{
    struct tm tm;
    if (parse_iso8601(value.p, value.n, &tm) < 0) return -1;
    pthread_once(&time_locale_once, open_time_locale);
    *len = time_locale ? strftime_l(out, cap, format, &tm, time_locale)
                       : strftime(out, cap, format, &tm);
    return 0;
}
