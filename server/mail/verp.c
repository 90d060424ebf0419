/* VERP: the token goes into the local part, which every relay passes through unchanged. */
#include "mail/verp.h"

#include <string.h>

#include "mail/header_encode.h"

int verp_envelope_sender(str_t bounce_template, str_t token, str_t fallback, buf_t *out,
                         mc_error *err)
{
    size_t start = out->n;
    if (bounce_template.n == 0) {
        buf_append_str(out, fallback);
    } else {
        for (size_t i = 0; i < token.n; i++) {
            char c = token.p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '=' || c == '-'))
                return mc_error_set(err, 400, "invalid_field", "bounce_token",
                                    "a VERP token may hold only letters, digits and . _ = -");
        }
        static const char placeholder[] = "{token}";
        const char *hit = NULL;
        for (size_t i = 0; i + sizeof placeholder - 1 <= bounce_template.n; i++)
            if (!memcmp(bounce_template.p + i, placeholder, sizeof placeholder - 1)) {
                hit = bounce_template.p + i;
                break;
            }
        if (!hit) {
            buf_append_str(out, bounce_template);
        } else {
            buf_append(out, bounce_template.p, (size_t)(hit - bounce_template.p));
            buf_append_str(out, token);
            const char *rest = hit + sizeof placeholder - 1;
            buf_append(out, rest, (size_t)(bounce_template.p + bounce_template.n - rest));
        }
    }
    str_t result = str_make(out->p + start, out->n - start);
    if (header_check_email(result, "bounce_address", err) < 0) {
        if (out->p) {
            out->n = start;
            out->p[start] = '\0';
        }
        return -1;
    }
    return 0;
}
