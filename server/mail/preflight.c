/* The preflight's frame: the domain asked about, the resolver of this request, the addresses
 * mail leaves from, and the checklist the checks of preflight_*.c append to. */
#include "mail/preflight.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mail/preflight_internal.h"

/* Normalizes one textual address into out (as inet_ntop writes it). returns the family, or 0
 * when text is not an address. */
static int normalize_address(const char *text, size_t n, char out[INET6_ADDRSTRLEN])
{
    char copy[INET6_ADDRSTRLEN + 8];
    while (n && isspace((unsigned char)*text))
        text++, n--;
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0 || n >= sizeof copy) return 0;
    memcpy(copy, text, n);
    copy[n] = '\0';
    unsigned char bytes[16];
    if (inet_pton(AF_INET, copy, bytes) == 1) return inet_ntop(AF_INET, bytes, out, 46) ? 4 : 0;
    if (inet_pton(AF_INET6, copy, bytes) == 1) return inet_ntop(AF_INET6, bytes, out, 46) ? 6 : 0;
    return 0;
}

int preflight_config_check(const config_t *cfg, mc_error *err)
{
    if (dns_resolver_check(cfg->dns_resolver, "dns.resolver", err) < 0)
        return mc_error_set(err, 400, "invalid_config", "dns.resolver",
                            "[dns] resolver = \"%s\" must be addresses, each ADDR or ADDR@PORT "
                            "(127.0.0.1@5353), separated by commas",
                            cfg->dns_resolver);
    const char *s = cfg->deliverability_sending_addresses;
    while (*s) {
        size_t n = strcspn(s, ",");
        char addr[INET6_ADDRSTRLEN];
        if (!normalize_address(s, n, addr))
            return mc_error_set(err, 400, "invalid_config", "deliverability.sending_addresses",
                                "[deliverability] sending_addresses = \"%s\" must be IPv4 or "
                                "IPv6 addresses separated by commas",
                                cfg->deliverability_sending_addresses);
        s += n + (s[n] ? 1 : 0);
    }
    return 0;
}

/* Lower-cases domain into out without a final dot. returns 0, or -1 with a 400 on "domain"
 * when it is not a host name of labels of letters, digits, '-' and '_'. */
static int normalize_domain(const char *domain, buf_t *out, mc_error *err)
{
    size_t n = strlen(domain);
    if (n && domain[n - 1] == '.') n--;
    if (n == 0) return mc_error_set(err, 400, "invalid_field", "domain", "domain is required");
    if (n > 253)
        return mc_error_set(err, 400, "invalid_field", "domain", "domain is longer than 253");
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)domain[i];
        if (c >= 0x80)
            return mc_error_set(err, 400, "invalid_field", "domain",
                                "domain must be written in ASCII: an internationalized name in "
                                "its xn-- form");
        if (c == '.') {
            if (label == 0 || domain[i - 1] == '-')
                return mc_error_set(err, 400, "invalid_field", "domain",
                                    "domain has an empty label or one ending with '-'");
            label = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (label == 0 && c == '-')
                return mc_error_set(err, 400, "invalid_field", "domain",
                                    "a label of domain starts with '-'");
            if (++label > 63)
                return mc_error_set(err, 400, "invalid_field", "domain",
                                    "a label of domain is longer than 63");
        } else {
            return mc_error_set(err, 400, "invalid_field", "domain",
                                "domain may hold letters, digits, '-', '_' and dots only");
        }
        buf_putc(out, (char)tolower(c));
    }
    if (!strchr(buf_cstr(out), '.'))
        return mc_error_set(err, 400, "invalid_field", "domain",
                            "domain must be a full domain name such as example.com");
    return 0;
}

int preflight_lookup(preflight *p, dns_type type, const char *name, dns_answer *out, char **why)
{
    mc_error err;
    if (dns_lookup(p->dns, type, name, out, &err) == 0) return 0;
    if (dns_error_is_resolver_down(&err) && !p->down) {
        p->down = true;
        p->down_err = err;
    }
    *why = xstrdup(err.message);
    return -1;
}

json_t *preflight_item(preflight *p, const char *check, const char *status, json_t *found,
                       json_t *publish, const char *fmt, ...)
{
    buf_t message = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vappendf(&message, fmt, ap);
    va_end(ap);
    json_t *item = json_pack("{s:s, s:s, s:o, s:o, s:s}", "check", check, "status", status, "found",
                             found ? found : json_null(), "publish",
                             publish ? publish : json_null(), "message", buf_cstr(&message));
    buf_free(&message);
    json_array_append_new(p->items, item);
    return item;
}

json_t *preflight_record(const char *type, const char *name, const char *value)
{
    return json_pack("{s:s, s:s, s:s}", "type", type, "name", name, "value", value);
}

json_t *preflight_strings(const dns_answer *a)
{
    json_t *list = json_array();
    for (size_t i = 0; i < a->count; i++)
        json_array_append_new(list, json_string(a->items[i]));
    return list;
}

static void add_address(preflight *p, const char *addr)
{
    for (size_t i = 0; i < p->address_count; i++)
        if (!strcmp(p->addresses[i], addr)) return;
    p->addresses = xrealloc(p->addresses, (p->address_count + 1) * sizeof *p->addresses);
    p->addresses[p->address_count++] = xstrdup(addr);
}

static bool is_loopback(const char *addr)
{
    return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1");
}

/* The addresses mail leaves from: [deliverability] sending_addresses, else each relay's host
 * (an address, or the A and AAAA records of its name). A relay on this machine says nothing
 * about the public address: it gives a warning that names the setting. */
static void find_sending_addresses(preflight *p)
{
    char addr[INET6_ADDRSTRLEN];
    const char *s = p->cfg->deliverability_sending_addresses;
    if (*s) {
        while (*s) {
            size_t n = strcspn(s, ",");
            if (normalize_address(s, n, addr)) add_address(p, addr);
            s += n + (s[n] ? 1 : 0);
        }
        return;
    }
    if (!p->relays || p->relays->count == 0) {
        preflight_item(p, "sending_addresses", "warn", NULL, NULL,
                       "no [smtp.NAME] relay is configured (mail is captured): set "
                       "[deliverability] sending_addresses to the public addresses mail will "
                       "leave from to check SPF and reverse DNS");
        return;
    }
    for (size_t i = 0; i < p->relays->count && !p->down; i++) {
        const relay_config *r = &p->relays->relays[i];
        if (normalize_address(r->host, strlen(r->host), addr)) {
            if (is_loopback(addr))
                preflight_item(p, "sending_addresses", "warn", json_string(r->host), NULL,
                               "relay %s is on this machine (%s): set [deliverability] "
                               "sending_addresses to the public addresses mail leaves from",
                               r->name, r->host);
            else
                add_address(p, addr);
            continue;
        }
        if (!strcasecmp(r->host, "localhost")) {
            preflight_item(p, "sending_addresses", "warn", json_string(r->host), NULL,
                           "relay %s is on this machine (localhost): set [deliverability] "
                           "sending_addresses to the public addresses mail leaves from",
                           r->name);
            continue;
        }
        size_t before = p->address_count;
        for (dns_type t = DNS_A; t <= DNS_AAAA && !p->down; t++) {
            dns_answer a;
            char *why = NULL;
            if (preflight_lookup(p, t, r->host, &a, &why) < 0) {
                preflight_item(p, "sending_addresses", "fail", json_string(r->host), NULL,
                               "the address of relay %s (%s) cannot be looked up: %s", r->name,
                               r->host, why);
                free(why);
                continue;
            }
            for (size_t j = 0; j < a.count; j++)
                add_address(p, a.items[j]);
            dns_answer_free(&a);
        }
        if (p->address_count == before && !p->down)
            preflight_item(p, "sending_addresses", "fail", json_string(r->host), NULL,
                           "relay %s (%s) has no A or AAAA record", r->name, r->host);
    }
}

/* the domain of the envelope sender (the bounce address), lower case, into out; the From
 * domain when there is no bounce address (mail is then sent with the From address) */
static void envelope_domain(const config_t *cfg, const char *domain, buf_t *out)
{
    const char *at = strrchr(cfg->bounce_address, '@');
    const char *d = at && at[1] ? at + 1 : domain;
    size_t n = strlen(d);
    if (n > 1 && d[n - 1] == '.') n--;
    for (size_t i = 0; i < n; i++)
        buf_putc(out, (char)tolower((unsigned char)d[i]));
}

static json_t *summary(json_t *items)
{
    int pass = 0, warn = 0, fail = 0;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        const char *s = json_string_value(json_object_get(item, "status"));
        if (!strcmp(s, "pass"))
            pass++;
        else if (!strcmp(s, "warn"))
            warn++;
        else
            fail++;
    }
    return json_pack("{s:i, s:i, s:i}", "pass", pass, "warn", warn, "fail", fail);
}

int preflight_run(const config_t *cfg, const relay_set *relays, const char *domain, json_t **out,
                  mc_error *err)
{
    buf_t name = BUF_INIT;
    if (normalize_domain(domain ? domain : "", &name, err) < 0) {
        buf_free(&name);
        return -1;
    }
    dns_resolver *dns = dns_resolver_new(cfg->dns_resolver, cfg->dns_timeout_seconds * 1000, err);
    if (!dns) {
        buf_free(&name);
        return -1;
    }
    preflight p = {.cfg = cfg, .relays = relays, .dns = dns, .domain = buf_cstr(&name)};
    p.items = json_array();
    buf_t envelope = BUF_INIT;
    envelope_domain(cfg, p.domain, &envelope);
    p.envelope_domain = buf_cstr(&envelope);
    p.dkim_count = dkim_records_from_config(cfg, &p.dkim);

    find_sending_addresses(&p);
    if (!p.down) preflight_check_spf(&p, p.domain, "from");
    if (!p.down && strcmp(p.envelope_domain, p.domain))
        preflight_check_spf(&p, p.envelope_domain, "envelope");
    if (!p.down) preflight_check_dkim(&p);
    if (!p.down) preflight_check_dmarc(&p);
    if (!p.down) preflight_check_reverse_dns(&p);
    if (!p.down) preflight_check_mx(&p);

    int rc = 0;
    if (p.down) {
        *err = p.down_err;
        json_decref(p.items);
        rc = -1;
    } else {
        json_t *addresses = json_array();
        for (size_t i = 0; i < p.address_count; i++)
            json_array_append_new(addresses, json_string(p.addresses[i]));
        *out =
            json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "domain", p.domain, "resolver",
                      dns_resolver_servers(dns), "sending_addresses", addresses, "envelope_domain",
                      p.envelope_domain, "summary", summary(p.items), "items", p.items);
    }
    for (size_t i = 0; i < p.address_count; i++)
        free(p.addresses[i]);
    free(p.addresses);
    dkim_records_free(p.dkim, p.dkim_count);
    dns_resolver_free(dns);
    buf_free(&envelope);
    buf_free(&name);
    return rc;
}
