/* The SPF item: the one v=spf1 record of a domain, evaluated for every sending address, and
 * the record to publish when an address is not authorized. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mail/preflight_internal.h"
#include "mail/spf_eval.h"

/* A new record for a domain without one: the sending addresses, and softfail for the rest
 * (a stricter -all is the domain owner's choice once every sender is listed). */
static char *new_record(const preflight *p)
{
    return spf_record_with_addresses("v=spf1 ~all", (const char *const *)p->addresses,
                                     p->address_count);
}

/* The record with only what needs no lookup (its ip4:, ip6: and all terms): what replaces
 * one that breaks the 10-lookup limit or does not parse. */
static char *direct_terms(const char *record)
{
    buf_t out = BUF_INIT;
    buf_append_cstr(&out, "v=spf1");
    char *copy = xstrdup(record + 6), *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const char *m = strchr("+-~?", *t) ? t + 1 : t;
        if (!strncasecmp(m, "ip4:", 4) || !strncasecmp(m, "ip6:", 4) || !strcasecmp(m, "all"))
            buf_appendf(&out, " %s", t);
    }
    free(copy);
    return buf_detach(&out, NULL);
}

/* returns the addresses of p that record does not authorize (a list of borrowed strings,
 * caller frees the array with free()), with *count, and the per-address results appended to
 * results when not NULL */
static const char **unauthorized(preflight *p, const char *domain, const char *record,
                                 json_t *results, size_t *count, spf_eval *last_error)
{
    const char **missing = xcalloc(p->address_count ? p->address_count : 1, sizeof *missing);
    *count = 0;
    for (size_t i = 0; i < p->address_count && !p->down; i++) {
        spf_addr addr;
        spf_addr_parse(p->addresses[i], &addr);
        spf_eval e = {.dns = p->dns};
        spf_result r = spf_eval_record(&e, &addr, domain, record);
        if (e.resolver_down) {
            p->down = true;
            p->down_err = e.dns_err;
        }
        if (r != SPF_RESULT_PASS) missing[(*count)++] = p->addresses[i];
        if ((r == SPF_RESULT_PERMERROR || r == SPF_RESULT_TEMPERROR) && last_error) *last_error = e;
        if (results) {
            json_t *o = json_pack("{s:s, s:s, s:i}", "address", p->addresses[i], "result",
                                  spf_result_name(r), "lookups", (int)e.lookups);
            if (e.why[0]) json_object_set_new(o, "reason", json_string(e.why));
            json_array_append_new(results, o);
        }
    }
    return missing;
}

/* returns whether some address's result is a permerror: the record is broken for everyone */
static bool any_permerror(json_t *results)
{
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        if (!strcmp(json_string_value(json_object_get(r, "result")), "permerror")) return true;
    }
    return false;
}

static void check_one_record(preflight *p, const char *domain, const char *record, json_t *item)
{
    json_t *results = json_array();
    size_t count;
    spf_eval failure = {.dns = NULL};
    const char **missing = unauthorized(p, domain, record, results, &count, &failure);
    json_object_set_new(item, "addresses", results);
    char *publish = NULL;
    const char *status = "pass";
    buf_t message = BUF_INIT;
    if (p->address_count == 0) {
        status = "warn";
        buf_appendf(&message,
                    "%s has an SPF record, but no sending address is known to check "
                    "it against",
                    domain);
    } else if (any_permerror(results)) {
        status = "fail";
        char *direct = direct_terms(record);
        size_t direct_missing;
        const char **still = unauthorized(p, domain, direct, NULL, &direct_missing, NULL);
        publish = spf_record_with_addresses(direct, still, direct_missing);
        free(still);
        free(direct);
        buf_appendf(&message,
                    "the SPF record of %s is a permerror for every receiver: %s; publish one "
                    "that lists the sending addresses directly (the terms that need DNS lookups "
                    "are left out)",
                    domain, failure.why);
    } else if (count) {
        status = "fail";
        if (failure.why[0])
            buf_appendf(&message, "SPF of %s cannot be evaluated: %s. ", domain, failure.why);
        publish = spf_record_with_addresses(record, missing, count);
        buf_appendf(&message, "the SPF record of %s does not authorize", domain);
        for (size_t i = 0; i < count; i++)
            buf_appendf(&message, "%s %s", i ? "," : "", missing[i]);
        buf_append_cstr(&message, ": publish it with the missing addresses added");
    } else {
        buf_appendf(&message, "the SPF record of %s authorizes every sending address", domain);
    }
    json_object_set_new(item, "status", json_string(status));
    json_object_set_new(item, "message", json_string(buf_cstr(&message)));
    if (publish) json_object_set_new(item, "publish", preflight_record("TXT", domain, publish));
    free(publish);
    free(missing);
    buf_free(&message);
}

void preflight_check_spf(preflight *p, const char *domain, const char *scope)
{
    dns_answer txt;
    char *why = NULL;
    json_t *item;
    if (preflight_lookup(p, DNS_TXT, domain, &txt, &why) < 0) {
        item = preflight_item(p, "spf", "fail", NULL, NULL,
                              "the TXT records of %s cannot be "
                              "read: %s",
                              domain, why);
        free(why);
    } else {
        dns_answer spf = {NULL, 0, false};
        for (size_t i = 0; i < txt.count; i++)
            if (spf_is_record(txt.items[i])) {
                spf.items = xrealloc(spf.items, (spf.count + 1) * sizeof *spf.items);
                spf.items[spf.count++] = txt.items[i];
            }
        if (spf.count == 0) {
            char *record = new_record(p);
            item = preflight_item(p, "spf", "fail", NULL,
                                  p->address_count ? preflight_record("TXT", domain, record) : NULL,
                                  "%s has no SPF record: receivers cannot tell whether our "
                                  "servers may send for it",
                                  domain);
            free(record);
        } else if (spf.count > 1) {
            size_t count;
            const char **missing = unauthorized(p, domain, spf.items[0], NULL, &count, NULL);
            char *record = spf_record_with_addresses(spf.items[0], missing, count);
            item = preflight_item(p, "spf", "fail", preflight_strings(&spf),
                                  preflight_record("TXT", domain, record),
                                  "%s has %zu SPF records: RFC 7208 makes that a permerror for "
                                  "every receiver; publish this one record instead of them all",
                                  domain, spf.count);
            free(record);
            free(missing);
        } else {
            item = preflight_item(p, "spf", "pass", json_string(spf.items[0]), NULL, "-");
            check_one_record(p, domain, spf.items[0], item);
        }
        free(spf.items);
        dns_answer_free(&txt);
    }
    json_object_set_new(item, "domain", json_string(domain));
    json_object_set_new(item, "scope", json_string(scope));
}
