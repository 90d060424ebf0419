/* A linear scan per lookup: public forms have a handful of fields. */
#include "http/form.h"

#include <string.h>

#define BOUNDARY_MAX 70 /* RFC 2046 */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void decode(str_t s, buf_t *out)
{
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '+') {
            buf_putc(out, ' ');
        } else if (c == '%' && i + 2 < s.n && hex_digit(s.p[i + 1]) >= 0 &&
                   hex_digit(s.p[i + 2]) >= 0) {
            buf_putc(out, (char)(hex_digit(s.p[i + 1]) * 16 + hex_digit(s.p[i + 2])));
            i += 2;
        } else {
            buf_putc(out, c);
        }
    }
}

bool http_form_value(str_t body, const char *name, int index, buf_t *out)
{
    buf_reset(out);
    buf_t key = BUF_INIT;
    str_t rest = body;
    bool found = false;
    while (rest.n > 0 && !found) {
        str_t pair, after;
        bool more = str_cut(rest, '&', &pair, &after);
        str_t k, v;
        if (!str_cut(pair, '=', &k, &v)) v = STR_NULL;
        buf_reset(&key);
        decode(k, &key);
        if (str_eq_cstr(buf_view(&key), name) && index-- == 0) {
            decode(v, out);
            found = true;
        }
        rest = more ? after : STR_NULL;
    }
    buf_free(&key);
    return found;
}

/* Splits the next "; key=value" parameter off *rest (a header value after its first item).
 * A quoted value loses its quotes; a backslash inside them escapes the next character.
 * returns false when there is none left. */
static bool next_parameter(str_t *rest, str_t *key, buf_t *value)
{
    str_t item, after;
    if (!rest->n) return false;
    bool more = str_cut(*rest, ';', &item, &after);
    str_t k, v;
    item = str_trim(item);
    if (!str_cut(item, '=', &k, &v)) v = STR_NULL;
    *key = str_trim(k);
    v = str_trim(v);
    buf_reset(value);
    if (v.n >= 2 && v.p[0] == '"') {
        /* a quoted value may hold ';': take it up to its closing quote */
        const char *start = v.p + 1, *end = rest->p + rest->n;
        const char *q = start;
        for (; q < end && *q != '"'; q++) {
            if (*q == '\\' && q + 1 < end) q++;
            buf_putc(value, *q);
        }
        const char *next = q < end ? memchr(q, ';', (size_t)(end - q)) : NULL;
        *rest = next ? str_make(next + 1, (size_t)(end - next - 1)) : STR_NULL;
        return true;
    }
    buf_append_str(value, v);
    *rest = more ? after : STR_NULL;
    return true;
}

/* Finds parameter key of a header value such as `form-data; name="x"`. returns true with its
 * value in out. */
static bool header_parameter(str_t header_value, const char *key, buf_t *out)
{
    str_t first, rest;
    if (!str_cut(header_value, ';', &first, &rest)) return false;
    str_t k;
    while (next_parameter(&rest, &k, out))
        if (str_eq_ascii_nocase(k, str_from_cstr(key))) return true;
    return false;
}

static str_t find(str_t hay, str_t needle)
{
    const char *at = hay.n ? memmem(hay.p, hay.n, needle.p, needle.n) : NULL;
    return at ? str_make(at, (size_t)(hay.p + hay.n - at)) : STR_NULL;
}

/* In the headers of one part, the value of the Content-Disposition header, or STR_NULL */
static str_t disposition(str_t headers)
{
    static const str_t NAME = STR_LIT("content-disposition:");
    while (headers.n) {
        str_t line = headers, rest = STR_NULL;
        str_t crlf = find(headers, STR_LIT("\r\n"));
        if (crlf.p) {
            line = str_make(headers.p, (size_t)(crlf.p - headers.p));
            rest = str_make(crlf.p + 2, crlf.n - 2);
        }
        if (line.n >= NAME.n && str_eq_ascii_nocase(str_make(line.p, NAME.n), NAME))
            return str_trim(str_make(line.p + NAME.n, line.n - NAME.n));
        headers = rest;
    }
    return STR_NULL;
}

static str_t skip(str_t s, size_t n)
{
    return str_make(s.p + n, s.n - n);
}

static bool multipart_value(str_t boundary, str_t body, const char *name, int index, buf_t *out)
{
    char delimiter[BOUNDARY_MAX + 4] = "\r\n--";
    memcpy(delimiter + 4, boundary.p, boundary.n);
    str_t delim = str_make(delimiter, boundary.n + 4);
    str_t dashes = skip(delim, 2);
    /* the first delimiter may open the body without the CRLF before it */
    str_t rest = STR_NULL;
    if (str_has_prefix(body, dashes)) {
        rest = skip(body, dashes.n);
    } else {
        str_t at = find(body, delim);
        if (!at.p) return false;
        rest = skip(at, delim.n);
    }
    buf_t field = BUF_INIT;
    bool found = false;
    /* each round: rest starts right after a delimiter */
    while (!found && !str_has_prefix(rest, STR_LIT("--"))) {
        str_t eol = find(rest, STR_LIT("\r\n"));
        str_t head_end = eol.p ? find(eol, STR_LIT("\r\n\r\n")) : STR_NULL;
        if (!head_end.p) break;
        str_t headers = str_make(eol.p + 2, (size_t)(head_end.p - eol.p));
        str_t content = skip(head_end, 4);
        str_t at = find(content, delim);
        if (!at.p) break;
        content.n = (size_t)(at.p - content.p);
        rest = skip(at, delim.n);
        str_t cd = disposition(headers);
        bool is_file = header_parameter(cd, "filename", &field);
        if (!is_file && header_parameter(cd, "name", &field) &&
            str_eq_cstr(buf_view(&field), name) && index-- == 0) {
            buf_reset(out);
            buf_append_str(out, content);
            found = true;
        }
    }
    buf_free(&field);
    return found;
}

bool http_form_field(const char *content_type, str_t body, const char *name, int index, buf_t *out)
{
    static const str_t MULTIPART = STR_LIT("multipart/form-data");
    str_t type = str_trim(str_from_cstr(content_type));
    if (type.n < MULTIPART.n || !str_eq_ascii_nocase(str_make(type.p, MULTIPART.n), MULTIPART))
        return http_form_value(body, name, index, out);
    buf_reset(out);
    buf_t boundary = BUF_INIT;
    bool found = header_parameter(type, "boundary", &boundary) && boundary.n > 0 &&
                 boundary.n <= BOUNDARY_MAX &&
                 multipart_value(buf_view(&boundary), body, name, index, out);
    buf_free(&boundary);
    return found;
}
