/* SPF record syntax (RFC 7208 section 4.6 and 5): terms separated by spaces, each a
 * mechanism with an optional qualifier or a NAME=VALUE modifier. */
#include "mail/spf_record.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"

bool spf_is_record(const char *txt)
{
    return !strncasecmp(txt, "v=spf1", 6) && (txt[6] == '\0' || txt[6] == ' ');
}

int spf_addr_parse(const char *text, spf_addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    return -1;
}

bool spf_cidr_match(const spf_addr *addr, const spf_addr *net, int prefix)
{
    if (addr->family != net->family) return false;
    int bits = addr->family == AF_INET ? 32 : 128;
    if (prefix < 0 || prefix > bits) return false;
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(addr->bytes, net->bytes, (size_t)whole)) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (addr->bytes[whole] & mask) == (net->bytes[whole] & mask);
}

/* Parses "/N" or "//N" or "/N//M" at the end of a term (in place: cuts it from text). returns
 * 0 or -1 when a prefix is out of range. */
static int cut_prefixes(char *text, int *prefix4, int *prefix6, bool dual)
{
    *prefix4 = 32;
    *prefix6 = 128;
    char *slash = strchr(text, '/');
    if (!slash) return 0;
    char *p = slash;
    *slash = '\0';
    if (p[1] != '/') {
        char *end;
        long n = strtol(p + 1, &end, 10);
        if (end == p + 1 || n < 0 || n > 128) return -1;
        *prefix4 = (int)n;
        p = end;
    }
    if (p[0] == '/' && p[1] == '/') {
        if (!dual) return -1;
        char *end;
        long n = strtol(p + 2, &end, 10);
        if (end == p + 2 || n < 0 || n > 128) return -1;
        *prefix6 = (int)n;
        p = end;
    }
    return *p ? -1 : 0;
}

static bool valid_domain_spec(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f) return false;
    return true;
}

static int term_error(mc_error *err, const char *term)
{
    return mc_error_set(err, 400, "spf_syntax", "", "the SPF term \"%s\" is not valid", term);
}

/* Parses one term (a NUL-terminated copy) into r. */
static int parse_term(char *term, spf_record *r, mc_error *err)
{
    char original[256];
    snprintf(original, sizeof original, "%s", term);
    char *eq = strchr(term, '=');
    char *colon = strchr(term, ':');
    char *slash = strchr(term, '/');
    if (eq && (!colon || eq < colon) && (!slash || eq < slash)) { /* a modifier */
        *eq = '\0';
        if (!strcasecmp(term, "redirect")) {
            if (r->redirect || !valid_domain_spec(eq + 1)) return term_error(err, original);
            r->redirect = xstrdup(eq + 1);
        }
        return 0; /* exp= and unknown modifiers do not change the result */
    }
    spf_term t = {.qualifier = '+', .prefix4 = 32, .prefix6 = 128};
    if (strchr("+-~?", *term)) t.qualifier = *term++;
    char *value = NULL;
    if (colon) {
        *colon = '\0';
        value = colon + 1;
    }
    char *name = term;
    bool dual = false;
    if (!strcasecmp(name, "all"))
        t.mechanism = SPF_ALL;
    else if (!strcasecmp(name, "include"))
        t.mechanism = SPF_INCLUDE;
    else if (!strcasecmp(name, "exists"))
        t.mechanism = SPF_EXISTS;
    else if (!strcasecmp(name, "ip4"))
        t.mechanism = SPF_IP4;
    else if (!strcasecmp(name, "ip6"))
        t.mechanism = SPF_IP6;
    else {
        /* a, mx and ptr may carry a prefix right after the name ("a/24", "mx//64") */
        char *cut = strchr(name, '/');
        char prefixes[32] = "";
        if (cut && !value) {
            snprintf(prefixes, sizeof prefixes, "%s", cut);
            *cut = '\0';
        }
        if (!strcasecmp(name, "a"))
            t.mechanism = SPF_A;
        else if (!strcasecmp(name, "mx"))
            t.mechanism = SPF_MX;
        else if (!strcasecmp(name, "ptr"))
            t.mechanism = SPF_PTR;
        else
            return term_error(err, original);
        dual = true;
        if (*prefixes && cut_prefixes(prefixes, &t.prefix4, &t.prefix6, true) < 0)
            return term_error(err, original);
    }
    switch (t.mechanism) {
    case SPF_ALL:
        if (value) return term_error(err, original);
        break;
    case SPF_IP4:
    case SPF_IP6: {
        if (!value) return term_error(err, original);
        int p4, p6;
        if (cut_prefixes(value, &p4, &p6, false) < 0) return term_error(err, original);
        int family = t.mechanism == SPF_IP4 ? AF_INET : AF_INET6;
        if (inet_pton(family, value, t.net.bytes) != 1) return term_error(err, original);
        t.net.family = family;
        if (family == AF_INET && p4 > 32) return term_error(err, original);
        t.prefix4 = family == AF_INET ? p4 : 32;
        t.prefix6 = family == AF_INET6 ? (strchr(original, '/') ? p4 : 128) : 128;
        break;
    }
    case SPF_INCLUDE:
    case SPF_EXISTS:
        if (!value || !valid_domain_spec(value)) return term_error(err, original);
        t.domain = xstrdup(value);
        break;
    default:
        if (value) {
            if (dual && cut_prefixes(value, &t.prefix4, &t.prefix6, true) < 0)
                return term_error(err, original);
            if (!valid_domain_spec(value)) return term_error(err, original);
            t.domain = xstrdup(value);
        }
        break;
    }
    if (t.prefix4 > 32 || t.prefix6 > 128) {
        free(t.domain);
        return term_error(err, original);
    }
    t.has_macros = t.domain && strchr(t.domain, '%');
    r->terms = xrealloc(r->terms, (r->count + 1) * sizeof *r->terms);
    r->terms[r->count++] = t;
    return 0;
}

int spf_record_parse(const char *txt, spf_record *out, mc_error *err)
{
    *out = (spf_record){NULL, 0, NULL};
    if (!spf_is_record(txt))
        return mc_error_set(err, 400, "spf_syntax", "", "the record does not start with v=spf1");
    const char *p = txt + 6;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n) break;
        char *term = xstrndup(p, n);
        int rc = parse_term(term, out, err);
        free(term);
        if (rc < 0) {
            spf_record_free(out);
            return -1;
        }
        p += n;
    }
    return 0;
}

void spf_record_free(spf_record *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->terms[i].domain);
    free(r->terms);
    free(r->redirect);
    *r = (spf_record){NULL, 0, NULL};
}

/* returns whether a term of the record's text is where added mechanisms go: the all
 * mechanism (any qualifier) or redirect= */
static bool is_final_term(const char *term, size_t n)
{
    if (n && strchr("+-~?", *term)) term++, n--;
    return (n == 3 && !strncasecmp(term, "all", 3)) ||
           (n > 9 && !strncasecmp(term, "redirect=", 9));
}

char *spf_record_with_addresses(const char *txt, const char *const *missing, size_t count)
{
    buf_t added = BUF_INIT;
    for (size_t i = 0; i < count; i++)
        buf_appendf(&added, " ip%c:%s", strchr(missing[i], ':') ? '6' : '4', missing[i]);
    buf_t out = BUF_INIT;
    const char *p = txt;
    bool placed = false;
    while (*p) {
        size_t spaces = strspn(p, " ");
        size_t n = strcspn(p + spaces, " ");
        if (!placed && n && p != txt && is_final_term(p + spaces, n)) {
            buf_append(&out, added.p, added.n);
            placed = true;
        }
        buf_append(&out, p, spaces + n);
        p += spaces + n;
    }
    if (!placed) buf_append(&out, added.p, added.n);
    buf_free(&added);
    return buf_detach(&out, NULL);
}
