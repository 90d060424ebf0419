/* [smtp.NAME] parsing with FILE:LINE errors, weighted choice among relays, and back-off
 * after connection failures. */
#include "mail/relay.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "mail/transport_curl.h"
#include "mail/transport_esmtp.h"

typedef struct {
    const config_t *cfg;
    const config_named_section *sec;
    mc_error *err;
} section_reader;

static void where_of(const section_reader *r, int line, char *out, size_t size)
{
    if (line > 0)
        snprintf(out, size, "%s:%d", r->cfg->path ? r->cfg->path : "config", line);
    else
        snprintf(out, size, "environment");
}

static const char *get(const section_reader *r, const char *key, char *where, size_t size)
{
    int line = r->sec->line;
    const char *v = config_named_get(r->sec, key, &line);
    where_of(r, v ? line : r->sec->line, where, size);
    return v;
}

static int get_uint(const section_reader *r, const char *key, unsigned dflt, unsigned min,
                    unsigned max, unsigned *out)
{
    char where[600];
    const char *v = get(r, key, where, sizeof where);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || v[0] == '-' || n < min || n > max)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] %s = \"%s\" must be a whole number from %u to %u", where,
                            r->sec->name, key, v, min, max);
    *out = (unsigned)n;
    return 0;
}

static int get_seconds(const section_reader *r, const char *key, double dflt, double min,
                       double max, double *out)
{
    char where[600];
    const char *v = get(r, key, where, sizeof where);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !isfinite(d) || d < min || d > max)
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] %s = \"%s\" must be a number from %g to %g", where,
                            r->sec->name, key, v, min, max);
    *out = d;
    return 0;
}

static bool host_valid(const char *h)
{
    if (!*h || strlen(h) > 253) return false;
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              *h == '-' || *h == '.' || *h == ':' || *h == '[' || *h == ']'))
            return false;
    return true;
}

static bool group_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) return false;
    return true;
}

static int load_one(section_reader *r, relay_config *rc)
{
    char where[600];
    memset(rc, 0, sizeof *rc);
    rc->name = xstrdup(r->sec->name);
    const char *host = get(r, "host", where, sizeof where);
    if (!host || !host_valid(host))
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] needs host = a host name or IP address", where,
                            r->sec->name);
    rc->host = xstrdup(host);

    const char *tls = get(r, "tls", where, sizeof where);
    if (!tls || !strcmp(tls, "opportunistic"))
        rc->tls = RELAY_TLS_OPPORTUNISTIC;
    else if (!strcmp(tls, "off"))
        rc->tls = RELAY_TLS_OFF;
    else if (!strcmp(tls, "starttls"))
        rc->tls = RELAY_TLS_STARTTLS;
    else if (!strcmp(tls, "implicit"))
        rc->tls = RELAY_TLS_IMPLICIT;
    else
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] tls = \"%s\" must be off, opportunistic, starttls or "
                            "implicit",
                            where, r->sec->name, tls);
    unsigned default_port = rc->tls == RELAY_TLS_IMPLICIT   ? 465
                            : rc->tls == RELAY_TLS_STARTTLS ? 587
                                                            : 25;
    if (get_uint(r, "port", default_port, 1, 65535, &rc->port) < 0) return -1;

    const char *user = get(r, "username", where, sizeof where);
    char pass_where[600];
    const char *pass = get(r, "password", pass_where, sizeof pass_where);
    if ((user && *user) != (pass && *pass))
        return mc_error_set(r->err, 400, "invalid_config", user ? where : pass_where,
                            "%s: [smtp.%s] needs both username and password, or neither",
                            user ? where : pass_where, r->sec->name);
    if (user && *user) {
        rc->username = xstrdup(user);
        rc->password = xstrdup(pass);
    }

    const char *helo = get(r, "helo", where, sizeof where);
    if (helo && !host_valid(helo))
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] helo = \"%s\" must be a host name", where, r->sec->name,
                            helo);
    if (helo) {
        rc->helo = xstrdup(helo);
    } else {
        char name[256] = "localhost";
        if (gethostname(name, sizeof name) < 0 || !host_valid(name)) strcpy(name, "localhost");
        name[sizeof name - 1] = '\0';
        rc->helo = xstrdup(name);
    }
    if (get_uint(r, "max_connections", 2, 1, 256, &rc->max_connections) < 0 ||
        get_uint(r, "messages_per_connection", 100, 1, 100000, &rc->messages_per_connection) < 0 ||
        get_seconds(r, "rate", 0, 0, 1e6, &rc->rate) < 0 ||
        get_uint(r, "max_per_hour", 0, 0, 4000000000u, &rc->max_per_hour) < 0 ||
        get_uint(r, "max_per_day", 0, 0, 4000000000u, &rc->max_per_day) < 0 ||
        get_uint(r, "weight", 1, 1, 1000, &rc->weight) < 0)
        return -1;
    double timeout;
    if (get_seconds(r, "timeout", 30, 0.1, 3600, &timeout) < 0) return -1;
    rc->timeout_ms = (unsigned)(timeout * 1000);
    const char *group = get(r, "group", where, sizeof where);
    if (group && !group_name_valid(group))
        return mc_error_set(r->err, 400, "invalid_config", where,
                            "%s: [smtp.%s] group = \"%s\" must be 1 to 64 letters, digits, '.',"
                            " '_' or '-'",
                            where, r->sec->name, group);
    /* a campaign names a relay or a group in the same field: the two must not clash */
    for (size_t i = 0; group && i < r->cfg->named_count; i++)
        if (!strcmp(r->cfg->named[i].kind, "smtp") && !strcmp(r->cfg->named[i].name, group))
            return mc_error_set(r->err, 400, "invalid_config", where,
                                "%s: [smtp.%s] group = \"%s\" is also the name of a relay", where,
                                r->sec->name, group);
    if (group) rc->group = xstrdup(group);
    const char *ca = get(r, "ca_file", where, sizeof where);
    if (ca && *ca) {
        if (access(ca, R_OK) < 0)
            return mc_error_set(r->err, 400, "invalid_config", where,
                                "%s: [smtp.%s] ca_file = \"%s\" cannot be read", where,
                                r->sec->name, ca);
        rc->ca_file = xstrdup(ca);
    }
    return 0;
}

static void relay_config_free(relay_config *rc)
{
    free(rc->name);
    free(rc->host);
    free(rc->username);
    free(rc->password);
    free(rc->helo);
    free(rc->ca_file);
    free(rc->group);
}

int relay_set_load(relay_set *set, const config_t *cfg, mc_error *err)
{
    set->relays = NULL;
    set->count = 0;
    for (size_t i = 0; i < cfg->named_count; i++) {
        if (strcmp(cfg->named[i].kind, "smtp")) continue;
        set->relays = xrealloc(set->relays, (set->count + 1) * sizeof *set->relays);
        section_reader r = {cfg, &cfg->named[i], err};
        if (load_one(&r, &set->relays[set->count++]) < 0) {
            relay_set_free(set);
            return -1;
        }
    }
    return 0;
}

bool relay_set_has_group(const relay_set *set, const char *group)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->relays[i].group && !strcmp(set->relays[i].group, group)) return true;
    return false;
}

void relay_set_free(relay_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        relay_config_free(&set->relays[i]);
    free(set->relays);
    set->relays = NULL;
    set->count = 0;
}

const relay_config *relay_set_find(const relay_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (!strcmp(set->relays[i].name, name)) return &set->relays[i];
    return NULL;
}

mail_transport *relay_transport_new(const relay_config *relay)
{
    if (relay->tls == RELAY_TLS_IMPLICIT) return transport_curl_new(relay);
    return transport_esmtp_new(relay);
}

/* ---- choice and back-off ---- */

typedef struct {
    double out_until;  /* seconds; 0 when available */
    unsigned failures; /* connection failures in a row */
} relay_health;

struct relay_pool {
    pthread_mutex_t lock;
    const relay_set *set;
    relay_health *health;
};

relay_pool *relay_pool_new(const relay_set *set)
{
    relay_pool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->set = set;
    p->health = xcalloc(set->count ? set->count : 1, sizeof *p->health);
    return p;
}

void relay_pool_free(relay_pool *p)
{
    if (!p) return;
    pthread_mutex_destroy(&p->lock);
    free(p->health);
    free(p);
}

/* whether relay i may carry mail for group (NULL: any relay) */
static bool in_group(const relay_pool *p, size_t i, const char *group)
{
    const char *g = p->set->relays[i].group;
    return !group || (g && !strcmp(g, group));
}

int relay_pool_pick(relay_pool *p, double now, uint64_t random, double *retry_in)
{
    return relay_pool_pick_in(p, NULL, now, random, retry_in);
}

int relay_pool_pick_in(relay_pool *p, const char *group, double now, uint64_t random,
                       double *retry_in)
{
    pthread_mutex_lock(&p->lock);
    uint64_t total = 0;
    double soonest = -1;
    for (size_t i = 0; i < p->set->count; i++) {
        if (!in_group(p, i, group)) continue;
        if (p->health[i].out_until <= now) {
            total += p->set->relays[i].weight;
        } else if (soonest < 0 || p->health[i].out_until - now < soonest) {
            soonest = p->health[i].out_until - now;
        }
    }
    int chosen = -1;
    if (total > 0) {
        uint64_t ticket = random % total;
        for (size_t i = 0; i < p->set->count; i++) {
            if (!in_group(p, i, group) || p->health[i].out_until > now) continue;
            if (ticket < p->set->relays[i].weight) {
                chosen = (int)i;
                break;
            }
            ticket -= p->set->relays[i].weight;
        }
    }
    if (chosen < 0 && retry_in) *retry_in = soonest < 0 ? 0 : soonest;
    pthread_mutex_unlock(&p->lock);
    return chosen;
}

void relay_pool_report(relay_pool *p, size_t index, bool connected, double now)
{
    if (index >= p->set->count) return;
    pthread_mutex_lock(&p->lock);
    relay_health *h = &p->health[index];
    if (connected) {
        h->failures = 0;
        h->out_until = 0;
    } else {
        double backoff = RELAY_BACKOFF_BASE;
        for (unsigned i = 0; i < h->failures && backoff < RELAY_BACKOFF_MAX; i++)
            backoff *= 2;
        if (backoff > RELAY_BACKOFF_MAX) backoff = RELAY_BACKOFF_MAX;
        h->failures++;
        h->out_until = now + backoff;
    }
    pthread_mutex_unlock(&p->lock);
}
