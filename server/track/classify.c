/* The human-or-machine rules (docs/tracking.md, "Human or machine"). The lists below are the
 * only place the product names proxies and scanners: add to them here and in the document. */
#include "track/classify.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *needle; /* matched case-insensitively anywhere in the user agent */
    const char *reason;
    bool opens;  /* the rule applies to opens */
    bool clicks; /* the rule applies to clicks */
} agent_rule;

/* Image proxies fetch the pixel when mail arrives (Apple Mail Privacy Protection) or when a
 * webmail shows it through its own cache (Gmail, Yahoo): the fetch says nothing about a person
 * reading. Scanners (secure mail gateways, link previews, scripts) visit links and images. */
static const agent_rule AGENT_RULES[] = {
    {"GoogleImageProxy", "image_proxy", true, true},
    {"ggpht.com", "image_proxy", true, true},
    {"YahooMailProxy", "image_proxy", true, true},
    {"Mail.RU_Bot", "image_proxy", true, true},
    {"Microsoft Defender", "scanner", true, true},
    {"SafeLinks", "scanner", true, true},
    {"Proofpoint", "scanner", true, true},
    {"urldefense", "scanner", true, true},
    {"Mimecast", "scanner", true, true},
    {"Barracuda", "scanner", true, true},
    {"MessageLabs", "scanner", true, true},
    {"Symantec", "scanner", true, true},
    {"Forcepoint", "scanner", true, true},
    {"TrendMicro", "scanner", true, true},
    {"Sophos", "scanner", true, true},
    {"IronPort", "scanner", true, true},
    {"FireEye", "scanner", true, true},
    {"BingPreview", "bot", true, true},
    {"SkypeUriPreview", "bot", true, true},
    {"facebookexternalhit", "bot", true, true},
    {"WhatsApp/", "bot", true, true},
    {"HeadlessChrome", "bot", true, true},
    {"PhantomJS", "bot", true, true},
    {"bot/", "bot", true, true},
    {"bot;", "bot", true, true},
    {"crawler", "bot", true, true},
    {"spider", "bot", true, true},
    {"+http", "bot", true, true},
    {"curl/", "bot", true, true},
    {"Wget/", "bot", true, true},
    {"python-requests", "bot", true, true},
    {"python-urllib", "bot", true, true},
    {"aiohttp", "bot", true, true},
    {"Go-http-client", "bot", true, true},
    {"okhttp", "bot", true, true},
    {"Java/", "bot", true, true},
    {"libwww-perl", "bot", true, true},
    {"Apache-HttpClient", "bot", true, true},
};

typedef struct {
    const char *prefix; /* network address */
    int bits;           /* prefix length */
    bool scanner;       /* true: a scanner's network; false: an image proxy's */
} address_rule;

/* Networks that fetch mail images or visit links on behalf of a mailbox, not a person. */
static const address_rule ADDRESS_RULES[] = {
    {"17.0.0.0", 8, false},        /* Apple, Mail Privacy Protection */
    {"2620:149::", 32, false},     /* Apple */
    {"2a01:b740::", 32, false},    /* Apple */
    {"66.102.0.0", 20, false},     /* Google image proxy */
    {"66.249.64.0", 19, false},    /* Google image proxy */
    {"64.233.160.0", 19, false},   /* Google */
    {"74.125.0.0", 16, false},     /* Google */
    {"2001:4860::", 32, false},    /* Google */
    {"98.136.0.0", 14, false},     /* Yahoo */
    {"74.6.0.0", 16, false},       /* Yahoo */
    {"40.92.0.0", 15, true},       /* Microsoft Exchange Online Protection, Safe Links */
    {"40.107.0.0", 16, true},      /* Microsoft Exchange Online Protection */
    {"52.100.0.0", 14, true},      /* Microsoft Exchange Online Protection */
    {"104.47.0.0", 17, true},      /* Microsoft Exchange Online Protection */
    {"2a01:111:f400::", 48, true}, /* Microsoft Exchange Online Protection */
    {"148.163.128.0", 17, true},   /* Proofpoint */
    {"67.231.144.0", 20, true},    /* Proofpoint */
    {"205.139.110.0", 24, true},   /* Mimecast */
    {"207.211.30.0", 24, true},    /* Mimecast */
    {"216.205.24.0", 24, true},    /* Mimecast */
    {"170.10.128.0", 21, true},    /* Mimecast */
    {"64.235.144.0", 20, true},    /* Barracuda */
    {"209.222.80.0", 21, true},    /* Barracuda */
};

const char *track_agent_machine(const char *user_agent, track_kind kind)
{
    if (!user_agent || !user_agent[0]) return "no_user_agent";
    /* Apple's proxy sends this and nothing more; every mail client and browser says more */
    if (!strcmp(user_agent, "Mozilla/5.0")) return "apple_privacy_proxy";
    for (size_t i = 0; i < sizeof AGENT_RULES / sizeof AGENT_RULES[0]; i++) {
        const agent_rule *r = &AGENT_RULES[i];
        if (kind == TRACK_OPEN ? !r->opens : !r->clicks) continue;
        if (strcasestr(user_agent, r->needle)) return r->reason;
    }
    return NULL;
}

/* Parses "192.0.2.0", "192.0.2.0/24" or "2001:db8::/48" into 16 bytes (IPv4 mapped). returns
 * false when it is neither. */
static bool parse_address(const char *text, unsigned char out[16], bool *v4)
{
    char copy[64];
    size_t n = strcspn(text, "/");
    if (n == 0 || n >= sizeof copy) return false;
    memcpy(copy, text, n);
    copy[n] = '\0';
    memset(out, 0, 16);
    unsigned char a4[4];
    if (inet_pton(AF_INET, copy, a4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a4, 4);
        *v4 = true;
        return true;
    }
    *v4 = false;
    return inet_pton(AF_INET6, copy, out) == 1;
}

static bool prefix_matches(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole)) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

const char *track_address_machine(const char *client_hint, track_kind kind)
{
    (void)kind;
    unsigned char addr[16];
    bool v4;
    if (!client_hint || !parse_address(client_hint, addr, &v4)) return NULL;
    for (size_t i = 0; i < sizeof ADDRESS_RULES / sizeof ADDRESS_RULES[0]; i++) {
        const address_rule *r = &ADDRESS_RULES[i];
        unsigned char net[16];
        bool net_v4;
        if (!parse_address(r->prefix, net, &net_v4) || net_v4 != v4) continue;
        if (prefix_matches(addr, net, v4 ? 96 + r->bits : r->bits))
            return r->scanner ? "scanner_address" : "proxy_address";
    }
    return NULL;
}

const char *track_classify_one(const track_event *e)
{
    /* a person's browser follows a link with GET; HEAD is a checker looking before it leaps */
    if (e->head) return "head_request";
    const char *reason = track_agent_machine(e->user_agent, e->kind);
    if (!reason) reason = track_address_machine(e->client_hint, e->kind);
    if (reason) return reason;
    if (e->sent_at >= 0 && e->at >= e->sent_at) {
        double after = e->at - e->sent_at;
        if (e->kind == TRACK_OPEN && after < TRACK_OPEN_PREFETCH_SECONDS)
            return "soon_after_delivery";
        if (e->kind == TRACK_CLICK && after < TRACK_CLICK_SCAN_SECONDS)
            return "soon_after_delivery";
    }
    return NULL;
}

/* Marks the clicks of events[from, to) (one message, sorted by time) that belong to a span of
 * at most TRACK_BURST_SECONDS holding every link of the campaign. */
static void classify_bursts(track_event *events, size_t from, size_t to)
{
    int links = events[from].campaign_links;
    if (links < 2) return;
    for (size_t i = from; i < to; i++) {
        if (events[i].kind != TRACK_CLICK) continue;
        /* the distinct links clicked in [at, at + span], counted by a scan: a message has few */
        size_t end = i;
        int distinct = 0;
        for (size_t j = i; j < to && events[j].at - events[i].at <= TRACK_BURST_SECONDS; j++) {
            end = j + 1;
            if (events[j].kind != TRACK_CLICK || !events[j].link_id) continue;
            bool seen = false;
            for (size_t k = i; k < j && !seen; k++)
                seen = events[k].kind == TRACK_CLICK && events[k].link_id == events[j].link_id;
            if (!seen) distinct++;
        }
        if (distinct < links) continue;
        for (size_t j = i; j < end; j++)
            if (events[j].kind == TRACK_CLICK && !events[j].machine) {
                events[j].machine = true;
                events[j].reason = "all_links_at_once";
            }
    }
}

void track_classify_batch(track_event *events, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *reason = track_classify_one(&events[i]);
        events[i].machine = reason != NULL;
        events[i].reason = reason ? reason : "";
    }
    size_t from = 0;
    for (size_t i = 1; i <= n; i++)
        if (i == n || events[i].message_id != events[from].message_id) {
            classify_bursts(events, from, i);
            from = i;
        }
}
