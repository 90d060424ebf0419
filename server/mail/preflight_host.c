/* The reverse DNS items (each sending address has a PTR whose name resolves back to it:
 * forward-confirmed reverse DNS, which large receivers require) and the MX item. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "mail/preflight_internal.h"

/* the host name suggested for a PTR: the first relay's EHLO name, else mail.DOMAIN */
static void suggested_host(const preflight *p, buf_t *out)
{
    if (p->relays && p->relays->count && p->relays->relays[0].helo &&
        p->relays->relays[0].helo[0] && strchr(p->relays->relays[0].helo, '.'))
        buf_append_cstr(out, p->relays->relays[0].helo);
    else
        buf_appendf(out, "mail.%s", p->domain);
}

/* returns whether name resolves to addr (A or AAAA by its family); -1 after a failed lookup
 * (why set) */
static int resolves_to(preflight *p, const char *name, const char *addr, char **why)
{
    dns_answer a;
    if (preflight_lookup(p, strchr(addr, ':') ? DNS_AAAA : DNS_A, name, &a, why) < 0) return -1;
    int found = 0;
    for (size_t i = 0; i < a.count; i++)
        if (!strcmp(a.items[i], addr)) found = 1;
    dns_answer_free(&a);
    return found;
}

static void check_address(preflight *p, const char *addr)
{
    char reverse[80];
    dns_reverse_name(addr, reverse, sizeof reverse);
    dns_answer ptr;
    char *why = NULL;
    json_t *item;
    if (preflight_lookup(p, DNS_PTR, reverse, &ptr, &why) < 0) {
        item = preflight_item(p, "reverse_dns", "fail", NULL, NULL, "%s cannot be read: %s",
                              reverse, why);
        free(why);
    } else if (ptr.count == 0) {
        buf_t host = BUF_INIT;
        suggested_host(p, &host);
        item = preflight_item(p, "reverse_dns", "fail", NULL,
                              preflight_record("PTR", reverse, buf_cstr(&host)),
                              "%s has no PTR record: many receivers refuse mail from an address "
                              "without reverse DNS; ask whoever owns the address (the hosting "
                              "provider) to set it, and give the name an %s record too",
                              addr, strchr(addr, ':') ? "AAAA" : "A");
        buf_free(&host);
        dns_answer_free(&ptr);
    } else {
        const char *confirmed = NULL;
        for (size_t i = 0; i < ptr.count && !confirmed && !p->down; i++) {
            int r = resolves_to(p, ptr.items[i], addr, &why);
            if (r > 0) confirmed = ptr.items[i];
            free(why);
            why = NULL;
        }
        if (confirmed)
            item = preflight_item(p, "reverse_dns", "pass", preflight_strings(&ptr), NULL,
                                  "%s is %s, which resolves back to it", addr, confirmed);
        else
            item = preflight_item(
                p, "reverse_dns", "fail", preflight_strings(&ptr),
                preflight_record(strchr(addr, ':') ? "AAAA" : "A", ptr.items[0], addr),
                "the PTR of %s names %s, which does not resolve back to it: "
                "the reverse DNS is not forward-confirmed",
                addr, ptr.items[0]);
        dns_answer_free(&ptr);
    }
    json_object_set_new(item, "address", json_string(addr));
    json_object_set_new(item, "record_name", json_string(reverse));
}

void preflight_check_reverse_dns(preflight *p)
{
    for (size_t i = 0; i < p->address_count && !p->down; i++)
        check_address(p, p->addresses[i]);
    if (p->address_count == 0)
        preflight_item(p, "reverse_dns", "warn", NULL, NULL,
                       "no sending address is known: set [deliverability] sending_addresses to "
                       "check reverse DNS");
}

void preflight_check_mx(preflight *p)
{
    dns_answer mx;
    char *why = NULL;
    if (preflight_lookup(p, DNS_MX, p->domain, &mx, &why) < 0) {
        preflight_item(p, "mx", "fail", NULL, NULL, "the MX records of %s cannot be read: %s",
                       p->domain, why);
        free(why);
        return;
    }
    buf_t value = BUF_INIT;
    buf_appendf(&value, "10 mail.%s", p->domain);
    if (mx.count == 0)
        preflight_item(p, "mx", "warn", NULL, preflight_record("MX", p->domain, buf_cstr(&value)),
                       "%s has no MX record: replies and bounces to it are lost; publish one "
                       "naming a server that accepts mail for it (mail.%s is an example)",
                       p->domain, p->domain);
    else if (mx.count == 1 && !strcmp(mx.items[0], "0 ."))
        preflight_item(p, "mx", "warn", preflight_strings(&mx),
                       preflight_record("MX", p->domain, buf_cstr(&value)),
                       "%s publishes a null MX (RFC 7505): it accepts no mail, so replies and "
                       "bounces to it are refused",
                       p->domain);
    else
        preflight_item(p, "mx", "pass", preflight_strings(&mx), NULL, "%s receives mail at %s",
                       p->domain, mx.items[0]);
    buf_free(&value);
    dns_answer_free(&mx);
}
