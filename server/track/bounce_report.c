/* Small, pure helpers shared by every parser of bounce reports. */
#include "track/bounce_report.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void bounce_report_add_address(bounce_report *r, str_t a)
{
    while (a.n && (a.p[0] == ' ' || a.p[0] == '\t' || a.p[0] == '<'))
        a = str_make(a.p + 1, a.n - 1);
    /* "rfc822; user@example.com" */
    for (size_t i = 0; i < a.n; i++)
        if (a.p[i] == ';') {
            a = str_make(a.p + i + 1, a.n - i - 1);
            while (a.n && (a.p[0] == ' ' || a.p[0] == '\t' || a.p[0] == '<'))
                a = str_make(a.p + 1, a.n - 1);
            break;
        }
    while (a.n && (a.p[a.n - 1] == ' ' || a.p[a.n - 1] == '\t' || a.p[a.n - 1] == '>' ||
                   a.p[a.n - 1] == '\r' || a.p[a.n - 1] == '\n' || a.p[a.n - 1] == '.'))
        a.n--;
    const char *at = memchr(a.p, '@', a.n);
    if (!at || at == a.p || at == a.p + a.n - 1 || a.n >= BOUNCE_ADDRESS_MAX) return;
    for (size_t i = 0; i < a.n; i++)
        if ((unsigned char)a.p[i] <= ' ' || a.p[i] == '<' || a.p[i] == '>' || a.p[i] == ',') return;
    if (r->address_count == BOUNCE_ADDRESSES_MAX) return;
    char clean[BOUNCE_ADDRESS_MAX];
    for (size_t i = 0; i < a.n; i++)
        clean[i] = lower(a.p[i]);
    clean[a.n] = '\0';
    for (size_t i = 0; i < r->address_count; i++)
        if (!strcmp(r->addresses[i], clean)) return;
    memcpy(r->addresses[r->address_count++], clean, a.n + 1);
}

void bounce_report_add_reason(bounce_report *r, str_t text)
{
    while (text.n && (text.p[0] == ' ' || text.p[0] == '\t'))
        text = str_make(text.p + 1, text.n - 1);
    while (text.n && (unsigned char)text.p[text.n - 1] <= ' ')
        text.n--;
    if (!text.n) return;
    size_t n = strlen(r->reason);
    if (n && n + 2 < sizeof r->reason) {
        memcpy(r->reason + n, "; ", 2);
        n += 2;
    }
    /* stored as text: control characters become spaces and bytes that are not UTF-8 '?' */
    size_t room = sizeof r->reason - 1 - n;
    for (size_t i = 0; i < text.n;) {
        uint32_t cp;
        size_t len = utf8_decode(text.p + i, text.n - i, &cp);
        if (len == 0 || cp < ' ' || cp == 127) {
            if (room < 1) break;
            r->reason[n++] = len == 0 ? '?' : ' ';
            room--;
            i += len ? len : 1;
            continue;
        }
        if (len > room) break;
        memcpy(r->reason + n, text.p + i, len);
        n += len;
        room -= len;
        i += len;
    }
    r->reason[n] = '\0';
}

/* true when the 32 characters at p are hex digits and p[32] is '@' */
static bool token_at(const char *p, const char *end)
{
    if (end - p < BOUNCE_TOKEN_CHARS + 1 || p[BOUNCE_TOKEN_CHARS] != '@') return false;
    for (int i = 0; i < BOUNCE_TOKEN_CHARS; i++)
        if (!is_hex(p[i])) return false;
    return true;
}

int bounce_report_find_token(bounce_report *r, str_t text, str_t verp_prefix)
{
    const char *end = text.p + text.n;
    for (const char *p = text.p; p < end; p++) {
        const char *start = NULL;
        if (*p == '<' && token_at(p + 1, end))
            start = p + 1;
        else if (verp_prefix.n && (size_t)(end - p) > verp_prefix.n &&
                 !strncasecmp(p, verp_prefix.p, verp_prefix.n) && token_at(p + verp_prefix.n, end))
            start = p + verp_prefix.n;
        if (start) {
            for (int i = 0; i < BOUNCE_TOKEN_CHARS; i++)
                r->token[i] = lower(start[i]);
            r->token[BOUNCE_TOKEN_CHARS] = '\0';
            return 1;
        }
    }
    return 0;
}

str_t bounce_verp_prefix(const char *bounce_address)
{
    const char *hit = strstr(bounce_address, "{token}");
    return hit ? str_make(bounce_address, (size_t)(hit - bounce_address)) : STR_NULL;
}
