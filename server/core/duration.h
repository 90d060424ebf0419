/* Durations and times of day as people write them: a wait of "3d", a re-entry rule of
 * "after:30d", an A/B test's wait of "4h", a wait until "09:30" in the subscriber's time zone. */
#ifndef MC_CORE_DURATION_H
#define MC_CORE_DURATION_H

#include "core/error.h"

/* the longest wait or re-entry pause accepted: about ten years */
#define DURATION_MAX_SECONDS (3650LL * 86400)

/* Reads text as a whole number and a unit: s (seconds), m (minutes), h (hours), d (days) or
 * w (weeks), such as "45s" or "3d"; several may follow each other, largest first ("1d12h").
 * Sets *seconds (at least 1, at most DURATION_MAX_SECONDS). returns 0, or -1 with a 400
 * "invalid_field" naming field. */
int duration_parse(const char *text, const char *field, long long *seconds, mc_error *err);

/* Reads "HH:MM" (24-hour clock, 00:00 to 23:59) into *minutes after midnight. returns 0, or -1
 * with a 400 "invalid_field" naming field. */
int time_of_day_parse(const char *text, const char *field, int *minutes, mc_error *err);

#endif
