/* Warm-up schedules, [warmup.NAME]: a relay ([smtp.NAME]) or a sending domain (the From
 * address's domain) whose campaign mail is capped per UTC day by a list of daily caps growing
 * over the first days, and the arithmetic of those days. Parsed and checked at start-up with
 * the relays (errors name FILE:LINE); queue/warmup.c holds the caps across workers. */
#ifndef MC_MAIL_WARMUP_CONFIG_H
#define MC_MAIL_WARMUP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/relay.h"

/* day numbers are whole days since 1970-01-01 in UTC */
#define WARMUP_NO_START (-1L)

typedef struct {
    char *name;
    char *relay;     /* the [smtp.NAME] it holds, or NULL */
    char *domain;    /* the sending domain it holds (lower case), or NULL */
    unsigned *daily; /* the cap of day 1, 2, ... */
    size_t days;
    long start_day; /* the day number of day 1, or WARMUP_NO_START: the first day it sends */
} warmup_schedule;

typedef struct {
    warmup_schedule *items;
    size_t count;
} warmup_set;

/* Loads every [warmup.NAME] of cfg; relays are the configured ones a schedule's relay must
 * name. returns 0 (free with warmup_set_free()), or -1 with err (400 "invalid_config", field
 * "FILE:LINE" of the key at fault) and nothing to free. */
int warmup_set_load(warmup_set *s, const config_t *cfg, const relay_set *relays, mc_error *err);
void warmup_set_free(warmup_set *s);

/* returns the schedules that hold campaign mail sent through relay (NULL or "" when unknown)
 * from address from (a schedule of its domain), up to max of them into out, relay schedules
 * first. */
size_t warmup_set_match(const warmup_set *s, const char *relay, const char *from,
                        const warmup_schedule **out, size_t max);

/* Parses YYYY-MM-DD (a real date of the Gregorian calendar) into its day number. returns 0 or
 * -1. */
int warmup_parse_date(const char *text, long *day);
/* returns the day number of year-month-day (proleptic Gregorian) */
long warmup_civil_day(int year, unsigned month, unsigned day);
/* Writes day number day as YYYY-MM-DD into out (11 bytes). */
void warmup_format_date(long day, char out[11]);
/* returns which day of the schedule today is: 1 on start_day; days before the start count as
 * day 1 */
long warmup_day_index(long start_day, long today);
/* returns the cap of day index day (1-based), or -1 after the last day (no cap) */
long long warmup_cap(const unsigned *daily, size_t days, long day);
/* returns in how many days the last of `left` messages goes when they are all that the
 * schedule sends: 0 when they fit in what is left of today (left_today, today being day index
 * day), k when they go on the k-th day after today. After the last day nothing caps. */
long warmup_finish_days(const unsigned *daily, size_t days, long day, long long left_today,
                        long long left);

#endif
