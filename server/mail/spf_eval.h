/* SPF evaluation (RFC 7208 section 4 and 5): whether a sending address is authorized by a
 * domain's record, following include:, a, mx, exists and redirect= through DNS, with the limit
 * of 10 lookups that cause DNS queries. ptr is counted but never matches (the RFC says not to
 * use it) and terms with macros never match: they are not expanded. */
#ifndef MC_MAIL_SPF_EVAL_H
#define MC_MAIL_SPF_EVAL_H

#include <stdbool.h>

#include "core/error.h"
#include "mail/dns_resolver.h"
#include "mail/spf_record.h"

typedef enum {
    SPF_RESULT_NONE,
    SPF_RESULT_NEUTRAL,
    SPF_RESULT_PASS,
    SPF_RESULT_FAIL,
    SPF_RESULT_SOFTFAIL,
    SPF_RESULT_TEMPERROR,
    SPF_RESULT_PERMERROR
} spf_result;

#define SPF_LOOKUP_LIMIT 10

/* One evaluation for one address. Set dns, zero the rest. */
typedef struct {
    dns_resolver *dns;
    unsigned lookups; /* mechanisms and modifiers that caused DNS queries so far */
    char why[512];    /* for temperror and permerror: what went wrong */
    bool resolver_down;
    mc_error dns_err; /* when resolver_down: the error of the lookup that found it */
} spf_eval;

/* returns the result's name as RFC 7208 writes it ("pass", "permerror", ...) */
const char *spf_result_name(spf_result r);
/* check_host() for addr and domain: looks up the domain's record first */
spf_result spf_check_host(spf_eval *e, const spf_addr *addr, const char *domain);
/* check_host() with the record of domain already in hand (txt) */
spf_result spf_eval_record(spf_eval *e, const spf_addr *addr, const char *domain, const char *txt);

#endif
