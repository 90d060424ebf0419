/* The deliverability preflight: what DNS says about a sending domain (SPF and whether it
 * authorizes the addresses mail leaves from, the DKIM record of each configured selector
 * against its private key, the DMARC policy and our alignment with it, the sending hosts'
 * reverse DNS, the domain's MX), as a checklist with the exact records to publish. */
#ifndef MC_MAIL_PREFLIGHT_H
#define MC_MAIL_PREFLIGHT_H

#include <jansson.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/relay.h"

/* Checks the [dns] and [deliverability] keys of cfg. returns 0, or -1 with a 400 naming the
 * key ("dns.resolver", "deliverability.sending_addresses"). */
int preflight_config_check(const config_t *cfg, mc_error *err);

/* Checks domain (the From domain) through the resolver of cfg, with the relays of relays
 * (borrowed) as the sending hosts unless [deliverability] sending_addresses names them.
 * returns 0 with *out, the answer (a new reference: {domain, resolver, sending_addresses,
 * envelope_domain, items, summary}), or -1 with err: 400 (field "domain") for a name that is
 * not a domain, 504 or 502 when the resolver does not answer or refuses. */
int preflight_run(const config_t *cfg, const relay_set *relays, const char *domain, json_t **out,
                  mc_error *err);

#endif
