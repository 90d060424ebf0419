/* c-ares as a blocking stub resolver: one channel per resolver, each lookup driven with poll()
 * until its answer or a deadline. c-ares was chosen over libunbound because a preflight wants
 * what the configured resolver answers, nothing more: c-ares asks exactly those servers,
 * reads /etc/resolv.conf itself, and has per-try timeouts, where libunbound is a caching,
 * recursing and validating resolver whose synchronous call can wait long on a dead forwarder. */
#include "mail/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"

enum { T_A = 1, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28, C_IN = 1 };

struct dns_resolver {
    ares_channel channel;
    unsigned timeout_ms;
    char *servers; /* as shown to people */
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;

static void ares_setup(void)
{
    ares_library_init(ARES_LIB_INIT_ALL);
}

/* Parses one "ADDR" or "ADDR@PORT" (the text between commas, trimmed) into node. returns 0 or
 * -1 when it is neither. */
static int parse_server(const char *text, size_t n, struct ares_addr_port_node *node)
{
    char addr[64];
    while (n && (*text == ' ' || *text == '\t'))
        text++, n--;
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof addr) return -1;
    memcpy(addr, text, n);
    addr[n] = '\0';
    unsigned long port = 53;
    char *at = strchr(addr, '@');
    if (at) {
        char *end;
        *at = '\0';
        errno = 0;
        port = strtoul(at + 1, &end, 10);
        if (errno || *end || end == at + 1 || port == 0 || port > 65535) return -1;
    }
    memset(node, 0, sizeof *node);
    node->udp_port = node->tcp_port = (int)port;
    if (inet_pton(AF_INET, addr, &node->addr.addr4) == 1) {
        node->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &node->addr.addr6) == 1) {
        node->family = AF_INET6;
        return 0;
    }
    return -1;
}

/* returns the nodes of servers (caller frees with free() each) with *count, or -1 */
static int parse_servers(const char *servers, struct ares_addr_port_node **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    const char *p = servers;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        struct ares_addr_port_node node;
        if (parse_server(p, n, &node) < 0) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *out = xrealloc(*out, (*count + 1) * sizeof **out);
        (*out)[(*count)++] = node;
        p += n + (comma ? 1 : 0);
        if (comma && !*p) { /* a final comma */
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

int dns_resolver_check(const char *servers, const char *field, mc_error *err)
{
    struct ares_addr_port_node *nodes;
    size_t count;
    if (parse_servers(servers ? servers : "", &nodes, &count) < 0)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be addresses, each ADDR or ADDR@PORT, separated by commas",
                            field);
    free(nodes);
    return 0;
}

static void describe_servers(dns_resolver *r)
{
    struct ares_addr_port_node *list = NULL;
    buf_t b = BUF_INIT;
    if (ares_get_servers_ports(r->channel, &list) == ARES_SUCCESS) {
        for (struct ares_addr_port_node *n = list; n; n = n->next) {
            char text[INET6_ADDRSTRLEN];
            inet_ntop(n->family, &n->addr, text, sizeof text);
            buf_appendf(&b, "%s%s@%d", b.n ? ", " : "", text, n->udp_port ? n->udp_port : 53);
        }
        ares_free_data(list);
    }
    r->servers = xstrdup(buf_cstr(&b));
    buf_free(&b);
}

dns_resolver *dns_resolver_new(const char *servers, unsigned timeout_ms, mc_error *err)
{
    pthread_once(&ares_once, ares_setup);
    struct ares_addr_port_node *nodes;
    size_t count;
    if (dns_resolver_check(servers, "dns.resolver", err) < 0) return NULL;
    parse_servers(servers ? servers : "", &nodes, &count);

    dns_resolver *r = xcalloc(1, sizeof *r);
    r->timeout_ms = timeout_ms ? timeout_ms : 1;
    struct ares_options opts;
    memset(&opts, 0, sizeof opts);
    /* two tries within the deadline: one lost datagram does not fail a lookup */
    opts.timeout = (int)(r->timeout_ms / 2 ? r->timeout_ms / 2 : 1);
    opts.tries = 2;
    /* NOCHECKRESP: c-ares 1.18 reports a REFUSED answer as ARES_ECONNREFUSED, the same as
     * a port that refuses; taking answers as they are keeps "refused this name" apart from
     * "nobody listens" (and gives SERVFAIL at once instead of asking the next server) */
    opts.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    opts.ednspsz = 1232;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
    int rc = ares_init_options(&r->channel, &opts, mask);
    if (rc != ARES_SUCCESS) {
        free(nodes);
        free(r);
        mc_error_set(err, 502, "dns_unreachable", "", "the DNS resolver cannot be set up: %s",
                     ares_strerror(rc));
        return NULL;
    }
    if (count) {
        for (size_t i = 0; i + 1 < count; i++)
            nodes[i].next = &nodes[i + 1];
        rc = ares_set_servers_ports(r->channel, nodes);
        free(nodes);
        if (rc != ARES_SUCCESS) {
            ares_destroy(r->channel);
            free(r);
            mc_error_set(err, 502, "dns_unreachable", "", "the DNS servers cannot be set: %s",
                         ares_strerror(rc));
            return NULL;
        }
    }
    describe_servers(r);
    return r;
}

void dns_resolver_free(dns_resolver *r)
{
    if (!r) return;
    ares_destroy(r->channel);
    free(r->servers);
    free(r);
}

const char *dns_resolver_servers(const dns_resolver *r)
{
    return r->servers;
}

typedef struct {
    bool done;
    int status;
    unsigned char *abuf;
    int alen;
} query_state;

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    query_state *q = arg;
    q->done = true;
    q->status = status;
    if (abuf && alen > 0) {
        q->abuf = xmalloc((size_t)alen);
        memcpy(q->abuf, abuf, (size_t)alen);
        q->alen = alen;
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the channel until q is answered or the deadline passes (then the query is cancelled).
 * returns whether the deadline ended it. */
static bool wait_for_answer(dns_resolver *r, query_state *q, long long deadline)
{
    bool late = false;
    while (!q->done) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            late = true;
            ares_cancel(r->channel); /* calls on_answer with ARES_ECANCELLED */
            break;
        }
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        /* tested as unsigned: c-ares's own macros shift an int by up to 31 */
        unsigned bits = (unsigned)ares_getsock(r->channel, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd fds[ARES_GETSOCK_MAXNUM];
        nfds_t n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short events = (short)((bits & (1u << i) ? POLLIN : 0) |
                                   (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));
            if (events) fds[n++] = (struct pollfd){.fd = socks[i], .events = events};
        }
        struct timeval max = {left / 1000, (left % 1000) * 1000}, tv;
        struct timeval *wait = ares_timeout(r->channel, &max, &tv);
        int ms = (int)(wait->tv_sec * 1000 + (wait->tv_usec + 999) / 1000);
        int ready = poll(fds, n, ms);
        if (ready < 0 && errno != EINTR) {
            ares_cancel(r->channel);
            break;
        }
        if (ready <= 0) {
            ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (!fds[i].revents) continue;
            bool in = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
            bool out = fds[i].revents & POLLOUT;
            ares_process_fd(r->channel, in ? fds[i].fd : ARES_SOCKET_BAD,
                            out ? fds[i].fd : ARES_SOCKET_BAD);
        }
    }
    return late;
}

static void answer_add(dns_answer *a, char *item)
{
    a->items = xrealloc(a->items, (a->count + 1) * sizeof *a->items);
    a->items[a->count++] = item;
}

static char *host_without_dot(const char *host)
{
    size_t n = strlen(host);
    if (n > 1 && host[n - 1] == '.') n--;
    return xstrndup(host, n);
}

static int compare_mx(const void *a, const void *b)
{
    const struct ares_mx_reply *x = *(struct ares_mx_reply *const *)a;
    const struct ares_mx_reply *y = *(struct ares_mx_reply *const *)b;
    if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
    return strcmp(x->host, y->host);
}

/* returns an ares status */
static int parse_answer(dns_type type, const unsigned char *abuf, int alen, dns_answer *out)
{
    char text[INET6_ADDRSTRLEN];
    int rc;
    if (type == DNS_A) {
        struct ares_addrttl addrs[64];
        int n = 64;
        rc = ares_parse_a_reply(abuf, alen, NULL, addrs, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
            answer_add(out, xstrdup(inet_ntop(AF_INET, &addrs[i].ipaddr, text, sizeof text)));
    } else if (type == DNS_AAAA) {
        struct ares_addr6ttl addrs[64];
        int n = 64;
        rc = ares_parse_aaaa_reply(abuf, alen, NULL, addrs, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
            answer_add(out, xstrdup(inet_ntop(AF_INET6, &addrs[i].ip6addr, text, sizeof text)));
    } else if (type == DNS_TXT) {
        struct ares_txt_ext *txt = NULL;
        rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
        buf_t b = BUF_INIT;
        bool open = false;
        for (struct ares_txt_ext *t = txt; rc == ARES_SUCCESS && t; t = t->next) {
            if (t->record_start && open) answer_add(out, buf_detach(&b, NULL));
            buf_append(&b, t->txt, t->length);
            open = true;
        }
        if (open) answer_add(out, buf_detach(&b, NULL));
        buf_free(&b);
        if (txt) ares_free_data(txt);
    } else if (type == DNS_MX) {
        struct ares_mx_reply *mx = NULL;
        rc = ares_parse_mx_reply(abuf, alen, &mx);
        size_t n = 0;
        for (struct ares_mx_reply *m = mx; m; m = m->next)
            n++;
        struct ares_mx_reply **sorted = xcalloc(n ? n : 1, sizeof *sorted);
        n = 0;
        for (struct ares_mx_reply *m = mx; m; m = m->next)
            sorted[n++] = m;
        qsort(sorted, n, sizeof *sorted, compare_mx);
        for (size_t i = 0; rc == ARES_SUCCESS && i < n; i++) {
            char *host = host_without_dot(sorted[i]->host);
            buf_t b = BUF_INIT;
            buf_appendf(&b, "%u %s", sorted[i]->priority, *host ? host : ".");
            answer_add(out, buf_detach(&b, NULL));
            free(host);
        }
        free(sorted);
        if (mx) ares_free_data(mx);
    } else {
        struct hostent *host = NULL;
        unsigned char unused[4] = {0};
        rc = ares_parse_ptr_reply(abuf, alen, unused, sizeof unused, AF_INET, &host);
        if (rc == ARES_SUCCESS && host) {
            /* c-ares 1.18 lists the first name among the aliases as well */
            answer_add(out, host_without_dot(host->h_name));
            for (char **alias = host->h_aliases; alias && *alias; alias++) {
                char *name = host_without_dot(*alias);
                bool seen = false;
                for (size_t i = 0; i < out->count && !seen; i++)
                    seen = !strcasecmp(out->items[i], name);
                if (seen)
                    free(name);
                else
                    answer_add(out, name);
            }
        }
        if (host) ares_free_hostent(host);
    }
    return rc;
}

static const char *type_name(dns_type type)
{
    static const char *const NAMES[] = {"A", "AAAA", "TXT", "MX", "PTR"};
    return NAMES[type];
}

int dns_lookup(dns_resolver *r, dns_type type, const char *name, dns_answer *out, mc_error *err)
{
    static const int QTYPES[] = {T_A, T_AAAA, T_TXT, T_MX, T_PTR};
    *out = (dns_answer){NULL, 0, false};
    query_state q = {0};
    long long deadline = now_ms() + r->timeout_ms;
    ares_query(r->channel, name, C_IN, QTYPES[type], on_answer, &q);
    bool late = wait_for_answer(r, &q, deadline);
    int status = q.status;
    if (status == ARES_SUCCESS) status = parse_answer(type, q.abuf, q.alen, out);
    free(q.abuf);
    if (status == ARES_SUCCESS || status == ARES_ENODATA) return 0;
    if (status == ARES_ENOTFOUND) {
        out->nxdomain = true;
        return 0;
    }
    dns_answer_free(out);
    if (late || status == ARES_ETIMEOUT)
        return mc_error_set(err, 504, "dns_timeout", "",
                            "the DNS resolver (%s) did not answer %s %s within %u ms", r->servers,
                            type_name(type), name, r->timeout_ms);
    if (status == ARES_ECONNREFUSED)
        return mc_error_set(err, 502, "dns_unreachable", "",
                            "the DNS resolver (%s) refused the connection for %s %s", r->servers,
                            type_name(type), name);
    return mc_error_set(err, 502, "dns_failed", "", "the lookup of %s %s failed: %s",
                        type_name(type), name, ares_strerror(status));
}

void dns_answer_free(dns_answer *a)
{
    for (size_t i = 0; i < a->count; i++)
        free(a->items[i]);
    free(a->items);
    *a = (dns_answer){NULL, 0, false};
}

bool dns_error_is_resolver_down(const mc_error *err)
{
    return !strcmp(err->code, "dns_timeout") || !strcmp(err->code, "dns_unreachable");
}

int dns_reverse_name(const char *addr, char *out, size_t size)
{
    unsigned char bytes[16];
    buf_t b = BUF_INIT;
    if (inet_pton(AF_INET, addr, bytes) == 1) {
        buf_appendf(&b, "%u.%u.%u.%u.in-addr.arpa", bytes[3], bytes[2], bytes[1], bytes[0]);
    } else if (inet_pton(AF_INET6, addr, bytes) == 1) {
        for (int i = 15; i >= 0; i--)
            buf_appendf(&b, "%x.%x.", bytes[i] & 0xf, bytes[i] >> 4);
        buf_append_cstr(&b, "ip6.arpa");
    } else {
        return -1;
    }
    int rc = b.n < size ? 0 : -1;
    if (rc == 0) memcpy(out, buf_cstr(&b), b.n + 1);
    buf_free(&b);
    return rc;
}
