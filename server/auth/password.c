/* argon2id costs ~100 ms and 64 MiB per call here; callers cap how many run at once. */
#include "auth/password.h"

#include <sodium.h>
#include <string.h>

#include "core/utf8.h"

#define PASSWORD_MAX_BYTES 1024

int password_hash(const char *password, char out[PASSWORD_HASH_MAX], mc_error *err)
{
    size_t n = strlen(password);
    if (!utf8_valid(password, n, NULL))
        return mc_error_set(err, 400, "invalid_field", "password",
                            "the password is not valid UTF-8");
    if (utf8_count(password, n) < PASSWORD_MIN_CHARS)
        return mc_error_set(err, 400, "invalid_field", "password",
                            "the password must have at least %d characters", PASSWORD_MIN_CHARS);
    if (n > PASSWORD_MAX_BYTES)
        return mc_error_set(err, 400, "invalid_field", "password",
                            "the password must not exceed %d bytes", PASSWORD_MAX_BYTES);
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return mc_error_set(err, 503, "busy", "", "not enough memory to hash the password");
    return 0;
}

bool password_verify(const char *hash, const char *password)
{
    size_t n = strlen(password);
    if (n > PASSWORD_MAX_BYTES) return false;
    return crypto_pwhash_str_verify(hash, password, n) == 0;
}
