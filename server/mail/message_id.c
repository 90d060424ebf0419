/* HMAC keeps the id unguessable (it does not reveal subscriber ids) while staying a
 * pure function of its inputs. */
#include "mail/message_id.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mail/header_encode.h"

str_t mail_address_domain(str_t email)
{
    for (size_t i = email.n; i > 0; i--)
        if (email.p[i - 1] == '@') return str_make(email.p + i, email.n - i);
    return STR_NULL;
}

int message_id_make(buf_t *out, const uint8_t *secret, size_t secret_len, str_t kind,
                    str_t source_id, str_t subscriber_id, str_t domain, mc_error *err)
{
    if (secret_len == 0)
        return mc_error_set(err, 500, "internal", "secret", "the server secret is empty");
    /* reuse the address check on "x@domain" so the id's right side is a host name */
    char probe[300];
    if (domain.n == 0 || domain.n > 253)
        return mc_error_set(err, 400, "invalid_field", "message_id.domain",
                            "the sending domain must be a host name");
    probe[0] = 'x';
    probe[1] = '@';
    memcpy(probe + 2, domain.p, domain.n);
    if (header_check_email(str_make(probe, domain.n + 2), "message_id.domain", err) < 0) return -1;

    buf_t input = BUF_INIT;
    buf_append_str(&input, kind);
    buf_putc(&input, '\0');
    buf_append_str(&input, source_id);
    buf_putc(&input, '\0');
    buf_append_str(&input, subscriber_id);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)input.p, input.n, mac,
         &mac_len);
    buf_free(&input);

    static const char hex[] = "0123456789abcdef";
    buf_putc(out, '<');
    for (int i = 0; i < 16; i++) {
        buf_putc(out, hex[mac[i] >> 4]);
        buf_putc(out, hex[mac[i] & 15]);
    }
    buf_putc(out, '@');
    buf_append_str(out, domain);
    buf_putc(out, '>');
    return 0;
}
