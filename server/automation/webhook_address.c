/* The ranges a webhook may not reach unless [webhooks] allow_private: everything that is not a
 * public unicast address (IANA special-purpose registries), IPv4 forms inside IPv6 included. */
#include "automation/webhook_address.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t net;
    unsigned bits;
    const char *what;
} v4_range;

static const v4_range V4_REFUSED[] = {
    {0x00000000u, 8, "\"this network\" (0.0.0.0/8)"},
    {0x0A000000u, 8, "private (RFC 1918)"},
    {0x64400000u, 10, "shared address space (CGNAT, 100.64.0.0/10)"},
    {0x7F000000u, 8, "loopback"},
    {0xA9FE0000u, 16, "link-local"},
    {0xAC100000u, 12, "private (RFC 1918)"},
    {0xC0000000u, 24, "IETF protocol assignments (192.0.0.0/24)"},
    {0xC0000200u, 24, "documentation (192.0.2.0/24)"},
    {0xC0586300u, 24, "6to4 relay anycast (192.88.99.0/24)"},
    {0xC0A80000u, 16, "private (RFC 1918)"},
    {0xC6120000u, 15, "benchmarking (198.18.0.0/15)"},
    {0xC6336400u, 24, "documentation (198.51.100.0/24)"},
    {0xCB007100u, 24, "documentation (203.0.113.0/24)"},
    {0xE0000000u, 4, "multicast"},
    {0xF0000000u, 4, "reserved (240.0.0.0/4) or broadcast"},
};

/* addr in host byte order */
static const char *v4_refusal(uint32_t addr)
{
    for (size_t i = 0; i < sizeof V4_REFUSED / sizeof V4_REFUSED[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - V4_REFUSED[i].bits);
        if ((addr & mask) == V4_REFUSED[i].net) return V4_REFUSED[i].what;
    }
    return NULL;
}

static uint32_t v4_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static bool zeros(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

static const char *v6_refusal(const unsigned char *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    /* an IPv4 address carried in IPv6 reaches that IPv4 address: judge it as one */
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        const char *v4 = v4_refusal(v4_at(a + 12));
        return v4 ? v4 : NULL;
    }
    if (zeros(a, 15) && a[15] == 1) return "loopback";
    if (zeros(a, 16)) return "unspecified (::)";
    if (zeros(a, 12)) return "IPv4-compatible (deprecated, ::/96)";
    if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4: 2002:V4ADDR::/48 */
        const char *v4 = v4_refusal(v4_at(a + 2));
        if (v4) return v4;
    }
    if ((a[0] & 0xFE) == 0xFC) return "unique-local (fc00::/7)";
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return "link-local";
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return "site-local (fec0::/10)";
    if (a[0] == 0xFF) return "multicast";
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8)
        return "documentation (2001:db8::/32)";
    if (a[0] == 0x01 && zeros(a + 1, 7)) return "discard-only (100::/64)";
    return NULL;
}

const char *webhook_address_refusal(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_refusal(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_refusal(in6->sin6_addr.s6_addr);
    }
    return "not an IP address";
}

const char *webhook_host_refusal(const char *host)
{
    char text[INET6_ADDRSTRLEN + 8];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof text) return NULL;
        memcpy(text, host + 1, n - 2);
        text[n - 2] = '\0';
        char *zone = strchr(text, '%'); /* fe80::1%eth0 */
        if (zone) *zone = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, text, &a6) != 1) return NULL;
        return v6_refusal(a6.s6_addr);
    }
    /* the family's own check, not webhook_address_refusal(): through a sockaddr cast, gcc -O3
     * takes the IPv6 branch as reachable for an IPv4 object and refuses to build */
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) != 1) return NULL;
    return v4_refusal(ntohl(a4.s_addr));
}
