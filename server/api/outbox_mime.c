/* A MIME reader just deep enough for the outbox: headers, multipart bodies, transfer encodings
 * and charsets. */
#include "api/outbox_mime.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "track/bounce_parse.h"

/* deep enough for mixed { alternative { related { ... } } } with room to spare */
#define MAX_DEPTH 8

static str_t trim(str_t s)
{
    while (s.n && isspace((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && isspace((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

/* the body of entity: what follows the empty line after its headers */
static str_t entity_body(str_t entity, str_t headers)
{
    size_t at = headers.n;
    if (at < entity.n && entity.p[at] == '\r') at++;
    if (at < entity.n && entity.p[at] == '\n') at++;
    return at <= entity.n ? str_make(entity.p + at, entity.n - at) : STR_NULL;
}

/* Appends text (in charset) to out as UTF-8; bytes iconv cannot convert are kept only when
 * they already are UTF-8, else replaced by U+FFFD. */
static void append_utf8(buf_t *out, str_t text, str_t charset)
{
    char name[64];
    size_t n = charset.n < sizeof name - 1 ? charset.n : sizeof name - 1;
    if (n) memcpy(name, charset.p, n);
    name[n] = '\0';
    bool utf8 = n == 0 || !strcasecmp(name, "utf-8") || !strcasecmp(name, "us-ascii") ||
                !strcasecmp(name, "utf8");
    iconv_t cd = utf8 ? (iconv_t)-1 : iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1) {
        if (utf8_valid(text.p, text.n, NULL)) {
            buf_append(out, text.p, text.n);
            return;
        }
        /* an unknown charset: keep ASCII, mark the rest */
        for (size_t i = 0; i < text.n; i++)
            if ((unsigned char)text.p[i] < 0x80)
                buf_append(out, &text.p[i], 1);
            else
                buf_append_cstr(out, "\xEF\xBF\xBD");
        return;
    }
    char *in = (char *)text.p;
    size_t left = text.n;
    while (left) {
        char chunk[4096];
        char *o = chunk;
        size_t room = sizeof chunk;
        size_t rc = iconv(cd, &in, &left, &o, &room);
        buf_append(out, chunk, (size_t)(o - chunk));
        if (rc == (size_t)-1 && errno != E2BIG) {
            buf_append_cstr(out, "\xEF\xBF\xBD");
            in++;
            left--;
        }
    }
    char chunk[64], *o = chunk;
    size_t room = sizeof chunk;
    iconv(cd, NULL, NULL, &o, &room);
    buf_append(out, chunk, (size_t)(o - chunk));
    iconv_close(cd);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* quoted-printable (RFC 2045 6.7); in_header: the Q encoding, where '_' is a space */
static void qp_decode(str_t in, bool in_header, buf_t *out)
{
    for (size_t i = 0; i < in.n; i++) {
        char c = in.p[i];
        if (c == '=' && i + 1 < in.n && (in.p[i + 1] == '\n' || in.p[i + 1] == '\r')) {
            i++; /* a soft line break */
            if (in.p[i] == '\r' && i + 1 < in.n && in.p[i + 1] == '\n') i++;
        } else if (c == '=' && i + 2 < in.n && hex_value(in.p[i + 1]) >= 0 &&
                   hex_value(in.p[i + 2]) >= 0) {
            char b = (char)(hex_value(in.p[i + 1]) * 16 + hex_value(in.p[i + 2]));
            buf_append(out, &b, 1);
            i += 2;
        } else {
            if (in_header && c == '_') c = ' ';
            buf_append(out, &c, 1);
        }
    }
}

static void base64_decode(str_t in, buf_t *out)
{
    size_t cap = in.n / 4 * 3 + 3, len = 0;
    buf_reserve(out, cap);
    if (sodium_base642bin((unsigned char *)out->p + out->n, cap, in.p, in.n, " \t\r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0)
        out->n += len;
}

/* returns the value of parameter name of a header value ("text/html; charset=utf-8"), quotes
 * removed, or STR_NULL */
static str_t param_of(str_t value, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < value.n; i++) {
        if (value.p[i] != ';') continue;
        size_t j = i + 1;
        while (j < value.n && isspace((unsigned char)value.p[j]))
            j++;
        if (j + len >= value.n || strncasecmp(value.p + j, name, len) || value.p[j + len] != '=')
            continue;
        j += len + 1;
        if (j < value.n && value.p[j] == '"') {
            const char *end = memchr(value.p + j + 1, '"', value.n - j - 1);
            return end ? str_make(value.p + j + 1, (size_t)(end - value.p - j - 1)) : STR_NULL;
        }
        size_t k = j;
        while (k < value.n && value.p[k] != ';' && !isspace((unsigned char)value.p[k]))
            k++;
        return str_make(value.p + j, k - j);
    }
    return STR_NULL;
}

/* Decodes the encoded-words of a header value into out; white space between two of them is
 * dropped, as RFC 2047 6.2 says. */
static void decode_words(str_t v, buf_t *out)
{
    bool after_word = false;
    size_t i = 0;
    while (i < v.n) {
        const char *start = v.p + i;
        if (v.n - i > 8 && start[0] == '=' && start[1] == '?') {
            /* =?charset?X?text?= */
            const char *q1 = memchr(start + 2, '?', v.n - i - 2);
            const char *q2 = q1 && q1 + 2 < v.p + v.n && q1[2] == '?' ? q1 + 2 : NULL;
            const char *end = NULL;
            for (const char *p = q2 ? q2 + 1 : NULL; p && p + 1 < v.p + v.n; p++)
                if (p[0] == '?' && p[1] == '=') {
                    end = p;
                    break;
                }
            if (end) {
                str_t charset = str_make(start + 2, (size_t)(q1 - start - 2));
                const char *star = memchr(charset.p, '*', charset.n); /* RFC 2231 language */
                if (star) charset.n = (size_t)(star - charset.p);
                str_t text = str_make(q2 + 1, (size_t)(end - q2 - 1));
                buf_t raw = BUF_INIT;
                if (q1[1] == 'B' || q1[1] == 'b')
                    base64_decode(text, &raw);
                else
                    qp_decode(text, true, &raw);
                append_utf8(out, buf_view(&raw), charset);
                buf_free(&raw);
                i = (size_t)(end + 2 - v.p);
                after_word = true;
                continue;
            }
        }
        if (after_word && isspace((unsigned char)*start)) {
            /* keep the space only when no encoded-word follows it */
            size_t j = i;
            while (j < v.n && isspace((unsigned char)v.p[j]))
                j++;
            if (j + 1 < v.n && v.p[j] == '=' && v.p[j + 1] == '?') {
                i = j;
                continue;
            }
        }
        after_word = false;
        buf_append(out, start, 1);
        i++;
    }
}

static void header_value_text(str_t raw, buf_t *out);

bool outbox_header_text(str_t message, const char *name, buf_t *out)
{
    buf_t raw = BUF_INIT;
    bool found = bounce_mail_header(bounce_mail_headers(message), name, &raw);
    buf_reset(out);
    if (found) header_value_text(buf_view(&raw), out);
    buf_free(&raw);
    return found;
}

/* Looks for the first part of type in entity (a message or a part), depth-first. */
static bool find_part(str_t entity, const char *type, int depth, buf_t *out)
{
    str_t headers = bounce_mail_headers(entity);
    str_t body = entity_body(entity, headers);
    buf_t ctype = BUF_INIT, disposition = BUF_INIT, encoding = BUF_INIT;
    bool found = false;
    if (!bounce_mail_header(headers, "Content-Type", &ctype)) buf_append_cstr(&ctype, "text/plain");
    str_t ct = trim(buf_view(&ctype));
    size_t tlen = strlen(type);
    if (ct.n >= 10 && !strncasecmp(ct.p, "multipart/", 10)) {
        str_t boundary = param_of(ct, "boundary");
        if (boundary.n && depth < MAX_DEPTH) {
            /* parts lie between lines "--boundary"; "--boundary--" ends them */
            const char *p = body.p, *end = body.p + body.n, *part = NULL;
            while (p < end && !found) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *line_end = eol ? eol : end;
                bool delimiter = (size_t)(line_end - p) >= boundary.n + 2 && p[0] == '-' &&
                                 p[1] == '-' && !memcmp(p + 2, boundary.p, boundary.n);
                if (delimiter) {
                    if (part) {
                        const char *stop = p;
                        if (stop > part && stop[-1] == '\n') stop--;
                        if (stop > part && stop[-1] == '\r') stop--;
                        found =
                            find_part(str_make(part, (size_t)(stop - part)), type, depth + 1, out);
                    }
                    bool last = (size_t)(line_end - p) >= boundary.n + 4 &&
                                p[boundary.n + 2] == '-' && p[boundary.n + 3] == '-';
                    if (last) break;
                    part = eol ? eol + 1 : end;
                }
                p = eol ? eol + 1 : end;
            }
        }
    } else if (ct.n >= tlen && !strncasecmp(ct.p, type, tlen) &&
               (ct.n == tlen || ct.p[tlen] == ';' || isspace((unsigned char)ct.p[tlen]))) {
        bounce_mail_header(headers, "Content-Disposition", &disposition);
        str_t d = trim(buf_view(&disposition));
        if (!(d.n >= 10 && !strncasecmp(d.p, "attachment", 10))) {
            bounce_mail_header(headers, "Content-Transfer-Encoding", &encoding);
            str_t enc = trim(buf_view(&encoding));
            buf_t raw = BUF_INIT;
            if (enc.n == 6 && !strncasecmp(enc.p, "base64", 6))
                base64_decode(body, &raw);
            else if (enc.n == 16 && !strncasecmp(enc.p, "quoted-printable", 16))
                qp_decode(body, false, &raw);
            else
                buf_append(&raw, body.p, body.n);
            buf_reset(out);
            append_utf8(out, buf_view(&raw), param_of(ct, "charset"));
            buf_free(&raw);
            found = true;
        }
    }
    buf_free(&ctype);
    buf_free(&disposition);
    buf_free(&encoding);
    return found;
}

bool outbox_part_text(str_t message, const char *type, buf_t *out)
{
    buf_reset(out);
    return find_part(message, type, 0, out);
}

/* a decoded value as valid UTF-8 (raw 8-bit bytes read as Latin-1) */
static void header_value_text(str_t raw, buf_t *out)
{
    buf_reset(out);
    decode_words(trim(raw), out);
    if (!utf8_valid(out->p, out->n, NULL)) {
        buf_reset(out);
        append_utf8(out, trim(raw), str_from_cstr("ISO-8859-1"));
    }
}

json_t *outbox_headers(str_t message)
{
    str_t headers = bounce_mail_headers(message);
    json_t *fields = json_array();
    buf_t value = BUF_INIT, text = BUF_INIT;
    const char *p = headers.p, *end = headers.p + headers.n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon && colon > p && !isspace((unsigned char)p[0])) {
            str_t name = str_make(p, (size_t)(colon - p));
            buf_reset(&value);
            const char *v = colon + 1;
            for (;;) {
                const char *stop = line_end;
                if (stop > v && stop[-1] == '\r') stop--;
                buf_append(&value, v, (size_t)(stop - v));
                if (!eol || eol + 1 >= end || (eol[1] != ' ' && eol[1] != '\t')) break;
                v = eol + 1;
                eol = memchr(v, '\n', (size_t)(end - v));
                line_end = eol ? eol : end;
            }
            header_value_text(buf_view(&value), &text);
            json_t *field = json_pack("{s:s%, s:s%}", "name", name.p, name.n, "value",
                                      text.p ? text.p : "", text.n);
            if (field) json_array_append_new(fields, field);
        }
        p = eol ? eol + 1 : end;
    }
    buf_free(&value);
    buf_free(&text);
    return fields;
}
