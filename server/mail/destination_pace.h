/* The arithmetic of the adaptive slow-down per destination, free of the database: which replies
 * mean "slow down", the rate a destination was accepting, halving to a floor, and the steps
 * back up after a quiet period. Rates are messages per minute; 0 means no limit. */
#ifndef MC_MAIL_DESTINATION_PACE_H
#define MC_MAIL_DESTINATION_PACE_H

#include <stdbool.h>

/* returns whether a reply asks the sender to slow down: 421, 451 or 454, or an enhanced
 * status 4.7.x (enhanced: "" when the reply had none) */
bool pace_is_throttle_reply(int code, const char *enhanced);

/* returns the messages per minute a destination accepted lately: prev_sent in the whole
 * minute before the current window and window_sent in the window_age_seconds of the current
 * one (a window younger than 10 s counts as 10 s, so that a first burst does not read as a
 * huge rate) */
double pace_observed_per_minute(double prev_sent, double window_sent, double window_age_seconds);

/* returns the rate after a throttling reply: half the current limit (current > 0), else half
 * the configured rate, else half the observed one, never below floor */
double pace_slowed(double current, double configured, double observed, double floor);

/* returns the rate one quiet period later: current raised by half, or back to 0 (normal: the
 * configured rate, or no limit) once it reaches configured (when one is configured) or
 * ceiling (the rate the slow-down started from, when none is) */
double pace_raised(double current, double configured, double ceiling);

#endif
