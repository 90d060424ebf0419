/* A linear scan per lookup: public forms have a handful of fields. */
#include "http/form.h"

#include <string.h>

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
