/* Destination groups: the [destination.NAME] sections (gmail, outlook, yahoo and default are
 * built in and overridden key by key by a section of the same name), each a set of recipient
 * domains with its own connections, messages per connection, rate and adaptive floor; and the
 * group a recipient address belongs to. */
#ifndef MC_MAIL_DESTINATION_CONFIG_H
#define MC_MAIL_DESTINATION_CONFIG_H

#include <stddef.h>

#include "core/config.h"
#include "core/error.h"
#include "core/str.h"

typedef struct {
    char *name;     /* the NAME of [destination.NAME] */
    char **domains; /* lower case; none for default */
    size_t domain_count;
    unsigned max_connections;         /* sessions open on it across all workers; 0: no cap */
    unsigned messages_per_connection; /* 0: the relay's */
    double rate_per_minute;           /* 0: none configured (the relay's and campaign's) */
    double min_rate_per_minute;       /* the floor of the adaptive slow-down */
    unsigned quiet_seconds;           /* without throttling, after which the rate goes up a step */
} destination_config;

typedef struct {
    destination_config *items; /* the built-in ones first, default last */
    size_t count;
} destination_set;

/* Builds the built-in groups and applies every [destination.NAME] section of cfg. returns 0,
 * or -1 with err->field "FILE:LINE" of the bad key. On success the caller frees with
 * destination_set_free(). */
int destination_set_load(destination_set *set, const config_t *cfg, mc_error *err);
void destination_set_free(destination_set *set);
/* returns the index in set of the group of address (its domain after the last '@', compared
 * without regard to ASCII case; an internationalized domain as stored), default's when no
 * group lists it */
size_t destination_set_find(const destination_set *set, str_t address);

#endif
