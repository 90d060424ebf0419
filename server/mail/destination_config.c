/* [destination.NAME] parsing with FILE:LINE errors, and the built-in groups.
 *
 * Built-in values, and why: the big mailbox providers take a few parallel connections from one
 * sender well and start refusing with 421 beyond that, so 4 connections each; Gmail accepts
 * long sessions (100 messages), Microsoft and Yahoo prefer shorter ones (30 and 20). No rate is
 * configured out of the box: a sender's reputation decides the rate a provider accepts, which
 * no constant fits, so the relay's and campaign's limits apply until a provider throttles, and
 * the adaptive slow-down then finds the rate it accepts. The floor (60 a minute) keeps a
 * campaign moving through a long slow-down; quiet_seconds (300) is about how long providers
 * remember a burst. */
#include "mail/destination_config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef struct {
    const char *name;
    const char *domains; /* comma list */
    unsigned max_connections, messages_per_connection;
} builtin_group;

static const builtin_group BUILTIN[] = {
    {"gmail", "gmail.com,googlemail.com", 4, 100},
    {"outlook",
     "outlook.com,hotmail.com,live.com,msn.com,hotmail.co.uk,hotmail.fr,hotmail.de,hotmail.it,"
     "hotmail.es,live.co.uk,live.fr,live.de,live.nl,outlook.fr,outlook.de,outlook.es",
     4, 30},
    {"yahoo",
     "yahoo.com,ymail.com,rocketmail.com,aol.com,yahoo.co.uk,yahoo.fr,yahoo.de,yahoo.es,"
     "yahoo.it,yahoo.ca,yahoo.com.au,yahoo.com.br,aol.co.uk,aim.com",
     4, 20},
    {"default", "", 0, 0},
};

#define DEFAULT_MIN_RATE      60.0
#define DEFAULT_QUIET_SECONDS 300

typedef struct {
    const config_t *cfg;
    const config_named_section *sec;
    mc_error *err;
} section_reader;

static const char *get(const section_reader *r, const char *key, char *where, size_t size)
{
    int line = r->sec->line;
    const char *v = config_named_get(r->sec, key, &line);
    if (v && line <= 0)
        snprintf(where, size, "environment");
    else
        snprintf(where, size, "%s:%d", r->cfg->path ? r->cfg->path : "config",
                 v ? line : r->sec->line);
    return v;
}

/* Sets *out from key when present: a whole number from min to max. */
static int get_uint(const section_reader *r, const char *key, unsigned min, unsigned max,
                    unsigned *out)
{
    char where[600];
    const char *v = get(r, key, where, sizeof where);
    if (!v) return 0;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || v[0] == '-' || n < min || n > max)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.%s] %s = \"%s\" must be a whole number from %u to "
                            "%u",
                            where, r->sec->name, key, v, min, max);
    *out = (unsigned)n;
    return 0;
}

/* Sets *out from key when present: a number from min to max. */
static int get_rate(const section_reader *r, const char *key, double min, double max, double *out)
{
    char where[600];
    const char *v = get(r, key, where, sizeof where);
    if (!v) return 0;
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !isfinite(d) || d < min || d > max)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.%s] %s = \"%s\" must be a number from %g to %g",
                            where, r->sec->name, key, v, min, max);
    *out = d;
    return 0;
}

static void free_domains(destination_config *d)
{
    for (size_t i = 0; i < d->domain_count; i++)
        free(d->domains[i]);
    free(d->domains);
    d->domains = NULL;
    d->domain_count = 0;
}

/* Replaces d's domains with the comma list text (lower-cased, blanks around each dropped).
 * returns 0, or -1 when an entry is empty or not a domain name (err->message then says which;
 * where names the key). */
static int set_domains(destination_config *d, const char *text, const char *where, mc_error *err)
{
    free_domains(d);
    str_t rest = str_from_cstr(text), item;
    while (rest.n) {
        str_cut(rest, ',', &item, &rest);
        item = str_trim(item);
        bool valid = item.n > 0 && item.n <= 253 && item.p[0] != '.' && item.p[item.n - 1] != '.';
        for (size_t i = 0; valid && i < item.n; i++) {
            unsigned char c = (unsigned char)item.p[i];
            /* an internationalized domain stays as stored: UTF-8 bytes or its A-label */
            valid = c >= 0x80 || isalnum(c) || c == '-' || c == '.';
        }
        if (!valid)
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: [destination.%s] domains = \"%s\": \"%.*s\" is not a domain"
                                " such as example.com",
                                where, d->name, text, (int)item.n, item.p ? item.p : "");
        char *copy = xmalloc(item.n + 1);
        for (size_t i = 0; i < item.n; i++)
            copy[i] = (char)tolower((unsigned char)item.p[i]);
        copy[item.n] = '\0';
        d->domains = xrealloc(d->domains, (d->domain_count + 1) * sizeof *d->domains);
        d->domains[d->domain_count++] = copy;
    }
    return 0;
}

static bool name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_-", name[i])) return false;
    return true;
}

static destination_config *find_named(destination_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (!strcmp(set->items[i].name, name)) return &set->items[i];
    return NULL;
}

/* Applies section r->sec to its group, made (before default) when it is not built in. */
static int apply_section(destination_set *set, const section_reader *r)
{
    char where[600];
    const char *name = r->sec->name;
    get(r, "domains", where, sizeof where);
    if (!name_valid(name))
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.%s]: the name must be 1 to 64 letters, digits, '_'"
                            " or '-'",
                            where, name);
    destination_config *d = find_named(set, name);
    if (!d) {
        /* default stays last: it is the one no domain list names */
        set->items = xrealloc(set->items, (set->count + 1) * sizeof *set->items);
        d = &set->items[set->count - 1];
        set->items[set->count++] = *d;
        *d = (destination_config){.name = xstrdup(name),
                                  .min_rate_per_minute = DEFAULT_MIN_RATE,
                                  .quiet_seconds = DEFAULT_QUIET_SECONDS};
    }
    bool is_default = !strcmp(name, "default");
    const char *domains = get(r, "domains", where, sizeof where);
    if (domains && is_default)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.default] takes no domains: it is every domain no "
                            "other group lists",
                            where);
    if (domains && set_domains(d, domains, where, r->err) < 0) return -1;
    if (!is_default && d->domain_count == 0)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.%s] needs domains = a comma list such as "
                            "example.com, example.net",
                            where, name);
    if (get_uint(r, "max_connections", 0, 256, &d->max_connections) < 0 ||
        get_uint(r, "messages_per_connection", 0, 100000, &d->messages_per_connection) < 0 ||
        get_rate(r, "rate_per_minute", 0, 1e7, &d->rate_per_minute) < 0 ||
        get_rate(r, "min_rate_per_minute", 0.1, 1e7, &d->min_rate_per_minute) < 0 ||
        get_uint(r, "quiet_seconds", 1, 86400, &d->quiet_seconds) < 0)
        return -1;
    if (d->rate_per_minute > 0 && d->min_rate_per_minute > d->rate_per_minute) {
        const char *floor = get(r, "min_rate_per_minute", where, sizeof where);
        if (!floor) get(r, "rate_per_minute", where, sizeof where);
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [destination.%s] min_rate_per_minute = %g is above "
                            "rate_per_minute = %g",
                            where, name, d->min_rate_per_minute, d->rate_per_minute);
    }
    return 0;
}

/* A domain in two groups would make a message's group depend on the order of the file. */
static int check_overlap(const destination_set *set, const config_t *cfg, mc_error *err)
{
    for (size_t i = 0; i < set->count; i++)
        for (size_t a = 0; a < set->items[i].domain_count; a++)
            for (size_t j = i; j < set->count; j++)
                for (size_t b = j == i ? a + 1 : 0; b < set->items[j].domain_count; b++) {
                    if (strcmp(set->items[i].domains[a], set->items[j].domains[b])) continue;
                    const char *later = set->items[j].name;
                    int line = 0;
                    for (size_t s = 0; s < cfg->named_count; s++)
                        if (!strcmp(cfg->named[s].kind, "destination") &&
                            (!strcmp(cfg->named[s].name, later) ||
                             !strcmp(cfg->named[s].name, set->items[i].name)))
                            config_named_get(&cfg->named[s], "domains", &line);
                    char where[600];
                    snprintf(where, sizeof where, "%s:%d", cfg->path ? cfg->path : "config", line);
                    return mc_error_set(err, 400, "invalid_config", where,
                                        "%s: %s is in both [destination.%s] and "
                                        "[destination.%s]",
                                        where, set->items[i].domains[a], set->items[i].name, later);
                }
    return 0;
}

int destination_set_load(destination_set *set, const config_t *cfg, mc_error *err)
{
    size_t n = sizeof BUILTIN / sizeof BUILTIN[0];
    set->items = xcalloc(n, sizeof *set->items);
    set->count = n;
    for (size_t i = 0; i < n; i++) {
        destination_config *d = &set->items[i];
        *d = (destination_config){.name = xstrdup(BUILTIN[i].name),
                                  .max_connections = BUILTIN[i].max_connections,
                                  .messages_per_connection = BUILTIN[i].messages_per_connection,
                                  .min_rate_per_minute = DEFAULT_MIN_RATE,
                                  .quiet_seconds = DEFAULT_QUIET_SECONDS};
        mc_error ignored;
        set_domains(d, BUILTIN[i].domains, "built-in", &ignored);
    }
    for (size_t i = 0; i < cfg->named_count; i++) {
        if (strcmp(cfg->named[i].kind, "destination")) continue;
        section_reader r = {cfg, &cfg->named[i], err};
        if (apply_section(set, &r) < 0) {
            destination_set_free(set);
            return -1;
        }
    }
    if (check_overlap(set, cfg, err) < 0) {
        destination_set_free(set);
        return -1;
    }
    return 0;
}

void destination_set_free(destination_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free_domains(&set->items[i]);
        free(set->items[i].name);
    }
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

size_t destination_set_find(const destination_set *set, str_t address)
{
    const char *at = NULL;
    for (size_t i = 0; i < address.n; i++)
        if (address.p[i] == '@') at = address.p + i;
    str_t domain = at ? str_make(at + 1, (size_t)(address.p + address.n - at - 1)) : STR_NULL;
    for (size_t i = 0; domain.n && i < set->count; i++)
        for (size_t j = 0; j < set->items[i].domain_count; j++)
            if (str_eq_ascii_nocase(domain, str_from_cstr(set->items[i].domains[j]))) return i;
    return set->count - 1;
}
