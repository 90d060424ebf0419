/* What the preflight's checks share: the request's resolver, the sending addresses and the
 * checklist being built. */
#ifndef MC_MAIL_PREFLIGHT_INTERNAL_H
#define MC_MAIL_PREFLIGHT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "core/config.h"
#include "mail/dkim_signer.h"
#include "mail/dns_resolver.h"
#include "mail/relay.h"

typedef struct {
    const config_t *cfg;
    const relay_set *relays;
    dns_resolver *dns;
    const char *domain;          /* lower case, no final dot */
    const char *envelope_domain; /* the bounce address's domain, else domain */
    char **addresses;            /* sending addresses, textual, normalized */
    size_t address_count;
    dkim_record *dkim;
    size_t dkim_count;
    json_t *items;
    bool down; /* the resolver is out of reach: stop, answer down_err */
    mc_error down_err;
} preflight;

/* Looks name up. returns 0 with *out, or -1 with a message in *why (a new string: caller frees
 * with free()); notes in p when the resolver itself is out of reach. */
int preflight_lookup(preflight *p, dns_type type, const char *name, dns_answer *out, char **why);

/* Appends an item to the checklist: status "pass", "warn" or "fail"; found and publish are
 * taken over (NULL: JSON null). returns the item (borrowed) for further members. */
json_t *preflight_item(preflight *p, const char *check, const char *status, json_t *found,
                       json_t *publish, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* returns {"type", "name", "value"} (a new reference) */
json_t *preflight_record(const char *type, const char *name, const char *value);
/* returns the answer's items as a JSON array of strings (a new reference) */
json_t *preflight_strings(const dns_answer *a);

void preflight_check_spf(preflight *p, const char *domain, const char *scope);
void preflight_check_dkim(preflight *p);
void preflight_check_dmarc(preflight *p);
void preflight_check_reverse_dns(preflight *p);
void preflight_check_mx(preflight *p);

#endif
