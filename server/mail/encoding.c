/* base64 through OpenSSL's EVP_EncodeBlock, quoted-printable by hand: the encoder keeps
 * every line within 76 characters and never splits an =XX escape across a soft break. */
#include "mail/encoding.h"

#include <stdbool.h>

#include <openssl/evp.h>

void base64_append(buf_t *out, const void *data, size_t n)
{
    const unsigned char *p = data;
    /* encode in slices so the output room needed per call stays bounded */
    while (n > 0) {
        size_t take = n > 3 * 1024 ? 3 * 1024 : n;
        buf_reserve(out, 4 * ((take + 2) / 3) + 1);
        int w = EVP_EncodeBlock((unsigned char *)out->p + out->n, p, (int)take);
        out->n += (size_t)w;
        out->p[out->n] = '\0';
        p += take;
        n -= take;
    }
}

void base64_append_lines(buf_t *out, const void *data, size_t n)
{
    const unsigned char *p = data;
    buf_reserve(out, (n + 56) / 57 * 78 + 1);
    while (n > 0) {
        size_t take = n > 57 ? 57 : n; /* 57 bytes are exactly 76 base64 characters */
        int w = EVP_EncodeBlock((unsigned char *)out->p + out->n, p, (int)take);
        out->n += (size_t)w;
        out->p[out->n++] = '\r';
        out->p[out->n++] = '\n';
        out->p[out->n] = '\0';
        p += take;
        n -= take;
    }
}

static const char HEX[] = "0123456789ABCDEF";

void qp_append(buf_t *out, const char *text, size_t n)
{
    /* worst case: every byte escaped (3x) plus a soft break every 25 escapes; reserving it
     * once lets the loop write without a call per character */
    buf_reserve(out, 4 * n + 16);
    char *w = out->p + out->n;
    size_t column = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r' || c == '\n') {
            *w++ = '\r';
            *w++ = '\n';
            column = 0;
            if (c == '\r' && i + 1 < n && text[i + 1] == '\n') i++;
            continue;
        }
        bool at_line_end = i + 1 == n || text[i + 1] == '\r' || text[i + 1] == '\n';
        bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
        /* a '.' alone at the start of a line is harmless after SMTP dot-stuffing, but some
         * relays mangle it; escaping it costs nothing */
        if (c == '.' && column == 0) plain = false;
        size_t width = plain ? 1 : 3;
        /* keep room for the '=' of a soft break unless this is the line's last character */
        size_t limit = at_line_end ? 76 : 75;
        if (column + width > limit) {
            *w++ = '=';
            *w++ = '\r';
            *w++ = '\n';
            column = 0;
            if (c == '.') {
                plain = false;
                width = 3;
            }
        }
        if (plain) {
            *w++ = (char)c;
        } else {
            *w++ = '=';
            *w++ = HEX[c >> 4];
            *w++ = HEX[c & 15];
        }
        column += width;
    }
    out->n = (size_t)(w - out->p);
    out->p[out->n] = '\0';
}
