/* Header values from callers go through header_check_value first; after that, these
 * writers decide between plain folded ASCII and RFC 2047 encoded-words, so the bytes
 * always parse back to exactly the caller's text and never form a new field. */
#include "mail/header_encode.h"

#include <string.h>

#include "core/utf8.h"
#include "mail/encoding.h"

/* RFC 5322 recommends 78 characters per line; 998 is the hard limit */
#define FOLD_COLUMN 78
/* 39 bytes of UTF-8 become 52 base64 characters: "=?UTF-8?B?" + 52 + "?=" is 64, so a
 * word fits on a line after "Subject: " or a single space of folding */
#define WORD_BYTES 39

int header_check_value(str_t v, const char *field, mc_error *err)
{
    size_t bad;
    if (!utf8_valid(v.p, v.n, &bad))
        return mc_error_set(err, 400, "invalid_field", field, "%s is not valid UTF-8 (byte %zu)",
                            field, bad);
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '\r' || c == '\n')
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s must not contain a line break (CR or LF)", field);
        if ((c < 32 && c != '\t') || c == 127)
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s must not contain control characters", field);
    }
    if (v.n > 4000)
        return mc_error_set(err, 400, "invalid_field", field, "%s is longer than 4000 bytes",
                            field);
    return 0;
}

bool header_name_valid(str_t name)
{
    if (name.n == 0 || name.n > 76) return false;
    for (size_t i = 0; i < name.n; i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (c < 33 || c > 126 || c == ':') return false;
    }
    return true;
}

static bool is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

int header_check_email(str_t email, const char *field, mc_error *err)
{
    const char *at = email.n ? memchr(email.p, '@', email.n) : NULL;
    if (!at || email.n > 254)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be an address like name@example.com", field);
    size_t local = (size_t)(at - email.p), domain = email.n - local - 1;
    if (local == 0 || local > 64 || domain == 0 || domain > 253)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be an address like name@example.com", field);
    for (size_t i = 0; i < local; i++) {
        unsigned char c = (unsigned char)email.p[i];
        bool dot_ok = c == '.' && i > 0 && i + 1 < local && email.p[i - 1] != '.';
        if (!is_atext(c) && !dot_ok)
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s has a character not allowed in an address", field);
    }
    for (size_t i = 0; i < domain; i++) {
        unsigned char c = (unsigned char)at[1 + i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool dot_ok = c == '.' && i > 0 && i + 1 < domain && at[i] != '.';
        if (!alnum && c != '-' && !dot_ok)
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s has a domain that is not an ASCII host name", field);
    }
    return 0;
}

static bool needs_encoded_words(str_t v)
{
    size_t word = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c >= 127 || (c < 32 && c != '\t')) return true;
        if (c == '=' && i + 1 < v.n && v.p[i + 1] == '?') return true;
        word = (c == ' ' || c == '\t') ? 0 : word + 1;
        /* a word that cannot fit a line would break the 78-column rule: encoded-words
         * can be split where plain text cannot */
        if (word > FOLD_COLUMN - 2) return true;
    }
    return false;
}

/* appends encoded-words for v, folding between words; *column tracks the line length */
static void append_encoded_words(buf_t *out, str_t v, size_t *column)
{
    size_t i = 0;
    bool first = true;
    while (i < v.n || first) {
        size_t take = utf8_truncate_len(v.p + i, v.n - i, WORD_BYTES);
        size_t word_len = 12 + 4 * ((take + 2) / 3);
        if (!first) {
            if (*column + 1 + word_len > FOLD_COLUMN) {
                buf_append(out, "\r\n ", 3);
                *column = 1;
            } else {
                buf_putc(out, ' ');
                (*column)++;
            }
        }
        buf_append(out, "=?UTF-8?B?", 10);
        base64_append(out, v.p + i, take);
        buf_append(out, "?=", 2);
        *column += word_len;
        i += take;
        first = false;
    }
}

/* appends ASCII v, folding before a white space that precedes a word too long for the line */
static void append_folded_ascii(buf_t *out, str_t v, size_t *column)
{
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        bool wsp = c == ' ' || c == '\t';
        if (wsp && i + 1 < v.n && v.p[i + 1] != ' ' && v.p[i + 1] != '\t' && *column > 1) {
            size_t w = 0;
            while (i + 1 + w < v.n && v.p[i + 1 + w] != ' ' && v.p[i + 1 + w] != '\t')
                w++;
            if (*column + 1 + w > FOLD_COLUMN) {
                buf_append(out, "\r\n", 2);
                *column = 0;
            }
        }
        buf_putc(out, c);
        (*column)++;
    }
}

static size_t begin_field(buf_t *out, const char *name)
{
    buf_append_cstr(out, name);
    buf_append(out, ": ", 2);
    return strlen(name) + 2;
}

void header_write_unstructured(buf_t *out, const char *name, str_t value)
{
    size_t column = begin_field(out, name);
    if (needs_encoded_words(value))
        append_encoded_words(out, value, &column);
    else
        append_folded_ascii(out, value, &column);
    buf_append(out, "\r\n", 2);
}

void header_append_phrase(buf_t *out, str_t name, size_t *column)
{
    /* a quoted string is readable for ASCII names; a long one could not be folded, so it
     * becomes encoded-words like any non-ASCII name */
    bool ascii = name.n <= 60 && !needs_encoded_words(name);
    if (!ascii) {
        append_encoded_words(out, name, column);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < name.n; i++) {
        if (name.p[i] == '"' || name.p[i] == '\\') {
            buf_putc(out, '\\');
            (*column)++;
        }
        buf_putc(out, name.p[i]);
    }
    buf_putc(out, '"');
    *column += name.n + 2;
}

void header_write_address(buf_t *out, const char *name, str_t display, str_t email)
{
    size_t column = begin_field(out, name);
    if (display.n == 0) {
        buf_append_str(out, email);
    } else {
        header_append_phrase(out, display, &column);
        if (column + 3 + email.n > FOLD_COLUMN)
            buf_append(out, "\r\n <", 4);
        else
            buf_append(out, " <", 2);
        buf_append_str(out, email);
        buf_putc(out, '>');
    }
    buf_append(out, "\r\n", 2);
}

void header_write_structured(buf_t *out, const char *name, str_t value)
{
    size_t column = begin_field(out, name);
    append_folded_ascii(out, value, &column);
    buf_append(out, "\r\n", 2);
}
