/* Case mapping through glibc's towupper_l/towlower_l with a C.UTF-8 locale handle that is
 * created once (pthread_once) and never changed, so threads share it safely. */
#include "core/utf8_case.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

#include "core/utf8.h"

static locale_t case_locale;
static pthread_once_t case_locale_once = PTHREAD_ONCE_INIT;

static void open_case_locale(void)
{
    case_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t map_one(uint32_t cp, int upper)
{
    if (cp < 0x80) {
        if (upper && cp >= 'a' && cp <= 'z') return cp - 32;
        if (!upper && cp >= 'A' && cp <= 'Z') return cp + 32;
        return cp;
    }
    if (!case_locale) return cp;
    wint_t mapped =
        upper ? towupper_l((wint_t)cp, case_locale) : towlower_l((wint_t)cp, case_locale);
    return (uint32_t)mapped;
}

size_t utf8_case_map(const char *src, size_t n, char *dst, utf8_case_mode mode)
{
    pthread_once(&case_locale_once, open_case_locale);
    size_t r = 0, w = 0;
    bool first = true;
    while (r < n) {
        uint32_t cp;
        size_t len = utf8_decode(src + r, n - r, &cp);
        if (len == 0) {
            dst[w++] = src[r++];
            continue;
        }
        int upper = mode == UTF8_CASE_UPPER || (mode == UTF8_CASE_CAPITALIZE && first);
        char enc[4];
        size_t out = utf8_encode(map_one(cp, upper), enc);
        if (out == 0 || out > 2 * len) {
            memcpy(dst + w, src + r, len);
            w += len;
        } else {
            memcpy(dst + w, enc, out);
            w += out;
        }
        r += len;
        first = false;
    }
    return w;
}
