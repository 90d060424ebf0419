/* Tag-list parsing shared by the DKIM and DMARC checks of the preflight. */
#include "mail/dns_tags.h"

#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* the tag=value at p (up to the next ';'): name and value trimmed */
static const char *next_tag(const char *p, const char **name, size_t *name_len, const char **value,
                            size_t *value_len)
{
    size_t n = strcspn(p, ";");
    const char *end = p + n;
    const char *eq = memchr(p, '=', n);
    const char *name_end = eq ? eq : end;
    while (p < name_end && is_space(*p))
        p++;
    const char *ne = name_end;
    while (ne > p && is_space(ne[-1]))
        ne--;
    *name = p;
    *name_len = (size_t)(ne - p);
    const char *v = eq ? eq + 1 : end, *ve = end;
    while (v < ve && is_space(*v))
        v++;
    while (ve > v && is_space(ve[-1]))
        ve--;
    *value = v;
    *value_len = eq ? (size_t)(ve - v) : 0;
    return *end ? end + 1 : end;
}

bool dns_tag_get(const char *record, const char *tag, bool squeeze, buf_t *out)
{
    const char *p = record;
    size_t tag_len = strlen(tag);
    while (*p) {
        const char *name, *value;
        size_t name_len, value_len;
        p = next_tag(p, &name, &name_len, &value, &value_len);
        if (name_len != tag_len || memcmp(name, tag, tag_len)) continue;
        for (size_t i = 0; i < value_len; i++)
            if (!squeeze || !is_space(value[i])) buf_putc(out, value[i]);
        return true;
    }
    return false;
}

bool dns_tag_first_is(const char *record, const char *version)
{
    const char *name, *value;
    size_t name_len, value_len;
    next_tag(record, &name, &name_len, &value, &value_len);
    return name_len == 1 && *name == 'v' && value_len == strlen(version) &&
           !memcmp(value, version, value_len);
}

const char *dns_organizational_domain(const char *domain)
{
    const char *last = strrchr(domain, '.');
    if (!last) return domain;
    const char *p = last;
    while (p > domain && p[-1] != '.')
        p--;
    return p;
}
