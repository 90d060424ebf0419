/* DNS lookups for the deliverability preflight, through c-ares: a stub resolver that asks the
 * configured servers ([dns] resolver, or /etc/resolv.conf) and nothing else, with a bounded
 * time per lookup. One resolver per request: it holds its own sockets and no shared state. */
#ifndef MC_MAIL_DNS_RESOLVER_H
#define MC_MAIL_DNS_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef struct dns_resolver dns_resolver;

typedef enum { DNS_A, DNS_AAAA, DNS_TXT, DNS_MX, DNS_PTR } dns_type;

/* The records of one lookup, as text: an address for A and AAAA, the character-strings of one
 * record joined for TXT, "PREFERENCE HOST" for MX (sorted by preference), a host for PTR.
 * Host names carry no final dot. count 0: the name has no such record (nxdomain tells whether
 * the name does not exist at all). */
typedef struct {
    char **items;
    size_t count;
    bool nxdomain;
} dns_answer;

/* Checks a resolver setting: "" (the system's), or ADDR or ADDR@PORT, several separated by
 * commas (an IPv6 ADDR as is: 2001:db8::1@53). returns 0, or -1 with a 400 naming field. */
int dns_resolver_check(const char *servers, const char *field, mc_error *err);
/* returns a new resolver asking servers (as dns_resolver_check() accepts) with at most
 * timeout_ms for each lookup, or NULL with err; caller frees with dns_resolver_free() */
dns_resolver *dns_resolver_new(const char *servers, unsigned timeout_ms, mc_error *err);
void dns_resolver_free(dns_resolver *r);
/* returns the servers asked, as "ADDR@PORT, ..." (borrowed from r) */
const char *dns_resolver_servers(const dns_resolver *r);

/* Looks name up. returns 0 with *out (caller frees with dns_answer_free()), or -1 with err:
 * code "dns_timeout" (504) when no server answered in time, "dns_unreachable" (502) when the
 * servers refuse connections, "dns_failed" (502) for an answer that is an error (SERVFAIL,
 * REFUSED, a malformed reply). */
int dns_lookup(dns_resolver *r, dns_type type, const char *name, dns_answer *out, mc_error *err);
void dns_answer_free(dns_answer *a);
/* returns whether err (from dns_lookup) says the resolver itself is out of reach, so that no
 * further lookup can succeed */
bool dns_error_is_resolver_down(const mc_error *err);

/* Writes the reverse lookup name of a textual IPv4 or IPv6 address (d.c.b.a.in-addr.arpa,
 * nibbles.ip6.arpa) into out. returns 0, or -1 when addr is not an address. */
int dns_reverse_name(const char *addr, char *out, size_t size);

#endif
