/* The money filter: a decimal number with exactly two decimals, rounded half away from zero
 * on the decimal digits as written, never through binary floating point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template_internal.h"

/* Formats a decimal number with two decimals, rounding half away from zero on its decimal
 * digits (so "0.125" gives 0.13, which binary floating point would get wrong). */
int tpl_format_money(str_t value, str_t currency, char *out, size_t cap, size_t *len)
{
    const char *s = value.p;
    size_t n = value.n, at = 0;
    bool negative = false;
    if (at < n && (s[at] == '-' || s[at] == '+')) negative = s[at++] == '-';
    char digits[64];
    size_t count = 0;
    long point = -1;
    for (; at < n; at++) {
        if (s[at] >= '0' && s[at] <= '9') {
            if (count == sizeof digits) goto bad;
            if (count == 0 && s[at] == '0' && point < 0) continue; /* leading zeros */
            digits[count++] = s[at];
        } else if (s[at] == '.' && point < 0) {
            point = (long)count;
        } else {
            break;
        }
    }
    if (point < 0) point = (long)count;
    if (at < n && (s[at] == 'e' || s[at] == 'E')) {
        /* read within value only: it need not end with a NUL */
        at++;
        int sign = 1;
        if (at < n && (s[at] == '-' || s[at] == '+')) sign = s[at++] == '-' ? -1 : 1;
        long exponent = 0;
        size_t first = at;
        while (at < n && s[at] >= '0' && s[at] <= '9' && exponent <= 30)
            exponent = exponent * 10 + (s[at++] - '0');
        if (at == first || exponent > 30) goto bad;
        point += sign * exponent;
    }
    if (at != n || (count == 0 && !memchr(s, '0', n))) goto bad;
    /* cents are the digits up to two places after the point; the next digit rounds */
    unsigned long long cents = 0;
    for (long i = 0; i < point + 2; i++) {
        int d = (i >= 0 && i < (long)count) ? digits[i] - '0' : 0;
        if (cents > 100000000000000000ULL) goto bad;
        cents = cents * 10 + (unsigned)d;
    }
    long next = point + 2;
    if (next >= 0 && next < (long)count && digits[next] >= '5') cents++;
    int n_out = snprintf(out, cap, "%s%llu.%02llu%s%.*s", negative && cents ? "-" : "", cents / 100,
                         cents % 100, currency.n ? " " : "", (int)currency.n, currency.p);
    if (n_out < 0 || (size_t)n_out >= cap) return -1;
    *len = (size_t)n_out;
    return 0;
bad:
    return -1;
}
