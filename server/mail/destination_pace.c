/* Halving on throttling, raising by half after quiet periods: a multiplicative decrease finds
 * a receiver's limit in a few replies, and the slower increase gets close to it again without
 * overshooting by much. */
#include "mail/destination_pace.h"

#define MIN_WINDOW_SECONDS 10.0

bool pace_is_throttle_reply(int code, const char *enhanced)
{
    if (code == 421 || code == 451 || code == 454) return true;
    return enhanced && enhanced[0] == '4' && enhanced[1] == '.' && enhanced[2] == '7' &&
           enhanced[3] == '.';
}

double pace_observed_per_minute(double prev_sent, double window_sent, double window_age_seconds)
{
    double age = window_age_seconds < MIN_WINDOW_SECONDS ? MIN_WINDOW_SECONDS : window_age_seconds;
    if (prev_sent > 0) return (prev_sent + window_sent) * 60.0 / (60.0 + age);
    return window_sent * 60.0 / age;
}

double pace_slowed(double current, double configured, double observed, double floor)
{
    double base = current > 0 ? current : configured > 0 ? configured : observed;
    double half = base / 2;
    return half < floor ? floor : half;
}

double pace_raised(double current, double configured, double ceiling)
{
    if (current <= 0) return 0;
    double next = current * 1.5;
    double top = configured > 0 ? configured : ceiling;
    return next >= top ? 0 : next;
}
