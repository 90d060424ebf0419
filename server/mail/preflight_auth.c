/* The DKIM items (each configured selector's record against its private key) and the DMARC
 * item (the policy and whether our mail aligns with the From domain). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mail/dns_tags.h"
#include "mail/preflight_internal.h"

static bool is_own_key(const preflight *p, const dkim_record *r)
{
    return !strcasecmp(r->domain, p->domain);
}

/* returns whether a TXT record at a selector's name is a DKIM key record: v=DKIM1 first when
 * there is a v= at all, and a p= tag */
static bool is_key_record(const char *txt)
{
    buf_t v = BUF_INIT, key = BUF_INIT;
    bool has_v = dns_tag_get(txt, "v", false, &v);
    bool ok = (!has_v || dns_tag_first_is(txt, "DKIM1")) && dns_tag_get(txt, "p", true, &key);
    buf_free(&v);
    buf_free(&key);
    return ok;
}

static void check_selector(preflight *p, const dkim_record *r)
{
    json_t *item;
    if (!r->txt) {
        item = preflight_item(p, "dkim", "fail", NULL, NULL,
                              "the key of selector %s cannot give a record: %s", r->selector,
                              r->error ? r->error : "unknown error");
    } else {
        dns_answer txt;
        char *why = NULL;
        json_t *publish = preflight_record("TXT", r->record_name, r->txt);
        if (preflight_lookup(p, DNS_TXT, r->record_name, &txt, &why) < 0) {
            item = preflight_item(p, "dkim", "fail", NULL, publish, "%s cannot be read: %s",
                                  r->record_name, why);
            free(why);
        } else {
            const char *found = NULL;
            size_t keys = 0;
            for (size_t i = 0; i < txt.count; i++)
                if (is_key_record(txt.items[i])) {
                    found = txt.items[i];
                    keys++;
                }
            buf_t want_p = BUF_INIT, want_k = BUF_INIT, got_p = BUF_INIT, got_k = BUF_INIT;
            dns_tag_get(r->txt, "p", true, &want_p);
            if (!dns_tag_get(r->txt, "k", true, &want_k)) buf_append_cstr(&want_k, "rsa");
            if (found) {
                dns_tag_get(found, "p", true, &got_p);
                if (!dns_tag_get(found, "k", true, &got_k)) buf_append_cstr(&got_k, "rsa");
            }
            if (keys == 0) {
                item = preflight_item(p, "dkim", "fail", NULL, publish,
                                      "%s has no DKIM key record: receivers cannot verify the "
                                      "signatures of selector %s",
                                      r->record_name, r->selector);
            } else if (keys > 1) {
                item = preflight_item(p, "dkim", "fail", preflight_strings(&txt), publish,
                                      "%s has %zu DKIM key records: publish only this one",
                                      r->record_name, keys);
            } else if (got_p.n == 0) {
                item = preflight_item(p, "dkim", "fail", json_string(found), publish,
                                      "the key of %s is revoked (empty p=): publish the key of "
                                      "selector %s",
                                      r->record_name, r->selector);
            } else if (strcmp(buf_cstr(&got_p), buf_cstr(&want_p))) {
                item = preflight_item(p, "dkim", "fail", json_string(found), publish,
                                      "%s holds a different key from the private key of "
                                      "selector %s (%s): signatures will not verify",
                                      r->record_name, r->selector,
                                      r->key_file ? r->key_file : "no file");
            } else if (strcasecmp(buf_cstr(&got_k), buf_cstr(&want_k))) {
                item = preflight_item(p, "dkim", "fail", json_string(found), publish,
                                      "%s says k=%s but the key is %s", r->record_name,
                                      buf_cstr(&got_k), buf_cstr(&want_k));
            } else {
                json_decref(publish);
                item = preflight_item(p, "dkim", "pass", json_string(found), NULL,
                                      "%s holds the public key of selector %s", r->record_name,
                                      r->selector);
            }
            buf_free(&want_p);
            buf_free(&want_k);
            buf_free(&got_p);
            buf_free(&got_k);
            dns_answer_free(&txt);
        }
    }
    json_object_set_new(item, "selector", json_string(r->selector));
    json_object_set_new(item, "algorithm", json_string(r->algorithm));
}

void preflight_check_dkim(preflight *p)
{
    size_t own = 0;
    for (size_t i = 0; i < p->dkim_count && !p->down; i++)
        if (is_own_key(p, &p->dkim[i])) {
            own++;
            check_selector(p, &p->dkim[i]);
        }
    if (own == 0)
        preflight_item(p, "dkim", "fail", NULL, NULL,
                       "no DKIM key is configured for %s: add a [dkim.%s] section with selector "
                       "and private_key_file (an RSA key of 2048 bits: openssl genrsa -out "
                       "%s.pem 2048), then publish the record this check shows",
                       p->domain, p->domain, p->domain);
}

/* returns whether domain a aligns with b in mode ('s': equal, else the same organizational
 * domain) */
static bool aligned(const char *a, const char *b, char mode)
{
    if (mode == 's') return !strcasecmp(a, b);
    return !strcasecmp(dns_organizational_domain(a), dns_organizational_domain(b));
}

/* looks up the DMARC records at _dmarc.domain; returns 0 with the v=DMARC1 ones in *records
 * (caller frees with dns_answer_free()), or -1 after adding a failed item */
static int dmarc_records(preflight *p, const char *domain, dns_answer *records)
{
    char name[300], *why = NULL;
    snprintf(name, sizeof name, "_dmarc.%s", domain);
    dns_answer txt;
    *records = (dns_answer){NULL, 0, false};
    if (preflight_lookup(p, DNS_TXT, name, &txt, &why) < 0) {
        preflight_item(p, "dmarc", "fail", NULL, NULL, "%s cannot be read: %s", name, why);
        free(why);
        return -1;
    }
    for (size_t i = 0; i < txt.count; i++)
        if (dns_tag_first_is(txt.items[i], "DMARC1")) {
            records->items = xrealloc(records->items, (records->count + 1) * sizeof(char *));
            records->items[records->count++] = xstrdup(txt.items[i]);
        }
    dns_answer_free(&txt);
    return 0;
}

/* the policy record suggested: reports to dmarc@ the organizational domain */
static json_t *suggested(const preflight *p, const char *policy)
{
    char value[400], name[300];
    snprintf(name, sizeof name, "_dmarc.%s", p->domain);
    snprintf(value, sizeof value, "v=DMARC1; p=%s; rua=mailto:dmarc@%s", policy,
             dns_organizational_domain(p->domain));
    return preflight_record("TXT", name, value);
}

static bool signs_for_domain(const preflight *p)
{
    for (size_t i = 0; i < p->dkim_count; i++)
        if (is_own_key(p, &p->dkim[i]) && p->dkim[i].txt) return true;
    return false;
}

void preflight_check_dmarc(preflight *p)
{
    dns_answer records;
    const char *where = p->domain;
    if (dmarc_records(p, where, &records) < 0) return;
    const char *org = dns_organizational_domain(p->domain);
    if (records.count == 0 && strcmp(org, p->domain)) {
        dns_answer_free(&records);
        where = org;
        if (dmarc_records(p, where, &records) < 0) return;
    }
    json_t *item;
    if (records.count == 0) {
        item = preflight_item(p, "dmarc", "fail", NULL, suggested(p, "none"),
                              "no DMARC record at _dmarc.%s%s: receivers apply their own policy "
                              "and send no reports; start with p=none and its reports",
                              p->domain,
                              where != p->domain ? " nor at the organizational domain" : "");
    } else if (records.count > 1) {
        item = preflight_item(p, "dmarc", "fail", preflight_strings(&records), suggested(p, "none"),
                              "_dmarc.%s has %zu DMARC records: receivers ignore them all "
                              "(RFC 7489 section 6.6.3); publish one",
                              where, records.count);
    } else {
        const char *rec = records.items[0];
        buf_t policy = BUF_INIT, sp = BUF_INIT, adkim = BUF_INIT, aspf = BUF_INIT;
        dns_tag_get(rec, "p", true, &policy);
        /* a subdomain under its organizational domain's record follows sp= when present */
        if (where != p->domain && dns_tag_get(rec, "sp", true, &sp) && sp.n) {
            buf_reset(&policy);
            buf_append(&policy, sp.p, sp.n);
        }
        if (!dns_tag_get(rec, "adkim", true, &adkim) || !adkim.n) buf_append_cstr(&adkim, "r");
        if (!dns_tag_get(rec, "aspf", true, &aspf) || !aspf.n) buf_append_cstr(&aspf, "r");
        bool dkim_aligned = signs_for_domain(p); /* we sign with d= the From domain */
        bool spf_aligned = aligned(p->envelope_domain, p->domain, aspf.p[0]);
        const char *pol = buf_cstr(&policy);
        if (strcmp(pol, "none") && strcmp(pol, "quarantine") && strcmp(pol, "reject")) {
            item = preflight_item(p, "dmarc", "fail", json_string(rec), suggested(p, "none"),
                                  "the DMARC record of %s has no valid p= (none, quarantine or "
                                  "reject): receivers ignore it",
                                  where);
        } else if (!dkim_aligned && !spf_aligned) {
            item = preflight_item(p, "dmarc", "fail", json_string(rec), NULL,
                                  "our mail fails DMARC for %s: no DKIM key signs with d=%s and "
                                  "the envelope domain %s does not align (aspf=%s); configure "
                                  "[dkim.%s]",
                                  p->domain, p->domain, p->envelope_domain, buf_cstr(&aspf),
                                  p->domain);
        } else if (!strcmp(pol, "none")) {
            item = preflight_item(p, "dmarc", "warn", json_string(rec), suggested(p, "quarantine"),
                                  "the DMARC policy of %s is p=none: receivers report but do not "
                                  "act on mail that fails; once the reports show only our mail, "
                                  "move to p=quarantine",
                                  where);
        } else {
            item = preflight_item(p, "dmarc", "pass", json_string(rec), NULL,
                                  "DMARC p=%s for %s, and our mail aligns (%s)", pol, p->domain,
                                  dkim_aligned && spf_aligned ? "DKIM and SPF"
                                  : dkim_aligned              ? "DKIM"
                                                              : "SPF");
        }
        json_object_set_new(item, "policy", json_string(pol));
        json_object_set_new(item, "adkim", json_string(adkim.p[0] == 's' ? "s" : "r"));
        json_object_set_new(item, "aspf", json_string(aspf.p[0] == 's' ? "s" : "r"));
        json_object_set_new(item, "aligned",
                            json_pack("{s:b, s:b}", "dkim", dkim_aligned, "spf", spf_aligned));
        buf_free(&policy);
        buf_free(&sp);
        buf_free(&adkim);
        buf_free(&aspf);
    }
    char name[300];
    snprintf(name, sizeof name, "_dmarc.%s", where);
    json_object_set_new(item, "record_name", json_string(name));
    if (where != p->domain)
        json_object_set_new(item, "note",
                            json_string("no record at the domain itself: the organizational "
                                        "domain's record applies (taken as the last two labels, "
                                        "without the public suffix list)"));
    dns_answer_free(&records);
}
