/* Address syntax checks. Domain literals ([192.0.2.1]) and comments are refused: no mailing
 * list needs them and they are a common way to smuggle odd bytes into headers. */
#include "core/email_address.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"

#define LOCAL_MAX  64
#define DOMAIN_MAX 255
#define LABEL_MAX  63

static bool is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

/* A dot-atom: atoms of atext (or UTF-8 beyond ASCII) separated by single dots. */
static bool dot_atom_ok(str_t s)
{
    if (s.n == 0 || s.p[0] == '.' || s.p[s.n - 1] == '.') return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '.') {
            if (s.p[i + 1] == '.') return false;
        } else if (c < 0x80 && !is_atext(c)) {
            return false;
        }
    }
    return true;
}

/* A quoted string: printable ASCII (or UTF-8) except '"' and '\', which need a backslash. */
static bool quoted_ok(str_t s)
{
    if (s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"') return false;
    for (size_t i = 1; i + 1 < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '\\') {
            i++;
            if (i + 1 >= s.n) return false;
            c = (unsigned char)s.p[i];
            if (c < 0x20 || c == 0x7f) return false;
        } else if (c == '"' || c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* A host name: labels of letters, digits and hyphens (or UTF-8 beyond ASCII), 1 to 63 octets,
 * not starting or ending with a hyphen; at least two labels, and a top-level label that is not
 * all digits (so that an IP address is not taken for a domain). */
static bool domain_ok(str_t s)
{
    if (s.n == 0 || s.n > DOMAIN_MAX) return false;
    size_t start = 0, labels = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= s.n; i++) {
        if (i == s.n || s.p[i] == '.') {
            size_t len = i - start;
            if (len == 0 || len > LABEL_MAX) return false;
            if (s.p[start] == '-' || s.p[i - 1] == '-') return false;
            labels++;
            if (i == s.n && all_digits) return false;
            start = i + 1;
            all_digits = true;
            continue;
        }
        unsigned char c = (unsigned char)s.p[i];
        bool digit = c >= '0' && c <= '9';
        if (!digit) all_digits = false;
        if (c < 0x80 && !digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-')
            return false;
    }
    return labels >= 2;
}

/* true when s holds a C0/C1 control character or a Unicode line/paragraph separator */
static bool has_control(str_t s)
{
    size_t i = 0;
    while (i < s.n) {
        uint32_t cp;
        size_t len = utf8_decode(s.p + i, s.n - i, &cp);
        if (len == 0) return true;
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029) return true;
        i += len;
    }
    return false;
}

int email_address_check(str_t in, const char *field, str_t *out, mc_error *err)
{
    str_t s = str_trim(in);
    if (s.n == 0) return mc_error_set(err, 400, "invalid_field", field, "the address is empty");
    if (!utf8_valid(s.p, s.n, NULL))
        return mc_error_set(err, 400, "invalid_field", field, "the address is not valid UTF-8");
    if (has_control(s))
        return mc_error_set(err, 400, "invalid_field", field,
                            "the address contains a control character");
    if (s.n > EMAIL_ADDRESS_MAX)
        return mc_error_set(err, 400, "invalid_field", field,
                            "the address is longer than %d octets", EMAIL_ADDRESS_MAX);
    const char *at = NULL;
    for (size_t i = s.n; i > 0; i--)
        if (s.p[i - 1] == '@') {
            at = s.p + i - 1;
            break;
        }
    if (!at) return mc_error_set(err, 400, "invalid_field", field, "the address has no '@'");
    str_t local = {s.p, (size_t)(at - s.p)};
    str_t domain = {at + 1, s.n - local.n - 1};
    if (local.n == 0 || local.n > LOCAL_MAX)
        return mc_error_set(err, 400, "invalid_field", field,
                            "the part before '@' must be 1 to %d octets", LOCAL_MAX);
    if (!(local.p[0] == '"' ? quoted_ok(local) : dot_atom_ok(local)))
        return mc_error_set(err, 400, "invalid_field", field,
                            "the part before '@' is not a valid mailbox name");
    if (!domain_ok(domain))
        return mc_error_set(err, 400, "invalid_field", field,
                            "the part after '@' is not a valid domain name");
    *out = s;
    return 0;
}
