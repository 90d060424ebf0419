/* check_host() over the preflight's resolver. Every lookup that fails makes a temperror;
 * the evaluation stops early when the resolver itself is out of reach. */
#include "mail/spf_eval.h"

#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

const char *spf_result_name(spf_result r)
{
    static const char *const NAMES[] = {"none",     "neutral",   "pass",     "fail",
                                        "softfail", "temperror", "permerror"};
    return NAMES[r];
}

static spf_result temperror(spf_eval *e, const mc_error *err)
{
    snprintf(e->why, sizeof e->why, "%.500s", err->message);
    if (dns_error_is_resolver_down(err)) {
        e->resolver_down = true;
        e->dns_err = *err;
    }
    return SPF_RESULT_TEMPERROR;
}

static spf_result permerror(spf_eval *e, const char *why)
{
    if (!e->why[0]) snprintf(e->why, sizeof e->why, "%.500s", why);
    return SPF_RESULT_PERMERROR;
}

/* counts one DNS-querying term. returns false when that passes the limit */
static bool count_lookup(spf_eval *e)
{
    if (++e->lookups <= SPF_LOOKUP_LIMIT) return true;
    permerror(e, "the record needs more than 10 DNS lookups (RFC 7208 section 4.6.4)");
    return false;
}

/* returns 1 when an address of name (A or AAAA by addr's family) lies in the term's network,
 * 0 when none does, -1 on a lookup failure (temperror recorded) */
static int match_host(spf_eval *e, const spf_addr *addr, const char *name, const spf_term *t,
                      spf_result *result)
{
    dns_answer a;
    mc_error err;
    if (dns_lookup(e->dns, addr->family == AF_INET6 ? DNS_AAAA : DNS_A, name, &a, &err) < 0) {
        *result = temperror(e, &err);
        return -1;
    }
    int prefix = addr->family == AF_INET6 ? t->prefix6 : t->prefix4;
    int found = 0;
    for (size_t i = 0; i < a.count && !found; i++) {
        spf_addr net;
        if (spf_addr_parse(a.items[i], &net) == 0 && spf_cidr_match(addr, &net, prefix)) found = 1;
    }
    dns_answer_free(&a);
    return found;
}

/* the mx mechanism: the addresses of up to 10 MX hosts (RFC 7208 section 4.6.4) */
static int match_mx(spf_eval *e, const spf_addr *addr, const char *name, const spf_term *t,
                    spf_result *result)
{
    dns_answer mx;
    mc_error err;
    if (dns_lookup(e->dns, DNS_MX, name, &mx, &err) < 0) {
        *result = temperror(e, &err);
        return -1;
    }
    int found = 0;
    if (mx.count > 10) {
        *result = permerror(e, "an mx mechanism names more than 10 MX hosts");
        found = -1;
    }
    for (size_t i = 0; i < mx.count && found == 0; i++) {
        const char *host = strchr(mx.items[i], ' ');
        if (host && strcmp(host + 1, ".")) found = match_host(e, addr, host + 1, t, result);
    }
    dns_answer_free(&mx);
    return found;
}

/* returns 1 when term matches, 0 when not, -1 with the evaluation's result in *result */
static int match_term(spf_eval *e, const spf_addr *addr, const char *domain, const spf_term *t,
                      spf_result *result)
{
    const char *target = t->domain ? t->domain : domain;
    int m = 0;
    switch (t->mechanism) {
    case SPF_ALL:
        return 1;
    case SPF_IP4:
    case SPF_IP6:
        return spf_cidr_match(addr, &t->net, t->mechanism == SPF_IP4 ? t->prefix4 : t->prefix6);
    default:
        break;
    }
    if (!count_lookup(e)) {
        *result = SPF_RESULT_PERMERROR;
        return -1;
    }
    if (t->has_macros) return 0;
    switch (t->mechanism) {
    case SPF_INCLUDE: {
        spf_result r = spf_check_host(e, addr, target);
        if (r == SPF_RESULT_PASS) return 1;
        if (r == SPF_RESULT_TEMPERROR || r == SPF_RESULT_PERMERROR) {
            *result = r;
            return -1;
        }
        if (r == SPF_RESULT_NONE) {
            char why[400];
            snprintf(why, sizeof why, "include:%.150s has no SPF record", target);
            *result = permerror(e, why);
            return -1;
        }
        return 0;
    }
    case SPF_A:
        m = match_host(e, addr, target, t, result);
        break;
    case SPF_MX:
        m = match_mx(e, addr, target, t, result);
        break;
    case SPF_EXISTS: {
        spf_term any = {.prefix4 = 0, .prefix6 = 0};
        spf_addr v4 = {.family = AF_INET};
        m = match_host(e, &v4, target, &any, result);
        break;
    }
    default: /* ptr */
        return 0;
    }
    return m;
}

static spf_result qualified(char qualifier)
{
    switch (qualifier) {
    case '-':
        return SPF_RESULT_FAIL;
    case '~':
        return SPF_RESULT_SOFTFAIL;
    case '?':
        return SPF_RESULT_NEUTRAL;
    default:
        return SPF_RESULT_PASS;
    }
}

spf_result spf_eval_record(spf_eval *e, const spf_addr *addr, const char *domain, const char *txt)
{
    spf_record rec;
    mc_error err;
    if (spf_record_parse(txt, &rec, &err) < 0) {
        char why[400];
        snprintf(why, sizeof why, "%.200s (in the record of %.80s)", err.message, domain);
        return permerror(e, why);
    }
    spf_result result = SPF_RESULT_NEUTRAL;
    bool decided = false;
    for (size_t i = 0; i < rec.count && !decided; i++) {
        int m = match_term(e, addr, domain, &rec.terms[i], &result);
        if (m < 0) decided = true;
        if (m > 0) {
            result = qualified(rec.terms[i].qualifier);
            decided = true;
        }
    }
    if (!decided && rec.redirect) {
        if (!count_lookup(e)) {
            result = SPF_RESULT_PERMERROR;
        } else if (strchr(rec.redirect, '%')) {
            result = SPF_RESULT_NEUTRAL;
        } else {
            result = spf_check_host(e, addr, rec.redirect);
            if (result == SPF_RESULT_NONE) {
                char why[400];
                snprintf(why, sizeof why, "redirect=%.150s has no SPF record", rec.redirect);
                result = permerror(e, why);
            }
        }
    }
    spf_record_free(&rec);
    return result;
}

spf_result spf_check_host(spf_eval *e, const spf_addr *addr, const char *domain)
{
    dns_answer txt;
    mc_error err;
    if (dns_lookup(e->dns, DNS_TXT, domain, &txt, &err) < 0) return temperror(e, &err);
    const char *record = NULL;
    size_t records = 0;
    for (size_t i = 0; i < txt.count; i++)
        if (spf_is_record(txt.items[i])) {
            record = txt.items[i];
            records++;
        }
    spf_result r;
    if (records == 0) {
        r = SPF_RESULT_NONE;
    } else if (records > 1) {
        char why[400];
        snprintf(why, sizeof why, "%.150s has %zu SPF records; RFC 7208 allows one", domain,
                 records);
        r = permerror(e, why);
    } else {
        r = spf_eval_record(e, addr, domain, record);
    }
    dns_answer_free(&txt);
    return r;
}
