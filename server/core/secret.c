/* libsodium for randomness and SHA-256; the server secret lives in a file next to the data. */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

void secret_random_token(const char *prefix, size_t bytes, char *out, size_t out_cap)
{
    unsigned char raw[64];
    if (bytes > sizeof raw) bytes = sizeof raw;
    randombytes_buf(raw, bytes);
    size_t plen = strlen(prefix);
    snprintf(out, out_cap, "%s", prefix);
    if (plen < out_cap)
        sodium_bin2base64(out + plen, out_cap - plen, raw, bytes,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void secret_hash(const char *text, unsigned char hash[SECRET_HASH_BYTES])
{
    crypto_hash_sha256(hash, (const unsigned char *)text, strlen(text));
}

void secret_hash_bytea(const unsigned char hash[SECRET_HASH_BYTES], char *out, size_t out_cap)
{
    if (out_cap < 2 * SECRET_HASH_BYTES + 3) {
        if (out_cap) out[0] = '\0';
        return;
    }
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, out_cap - 2, hash, SECRET_HASH_BYTES);
}

void secret_token_key(const char *token, char key[SECRET_KEY_TEXT])
{
    unsigned char hash[SECRET_HASH_BYTES];
    secret_hash(token, hash);
    secret_hash_bytea(hash, key, SECRET_KEY_TEXT);
}

int secret_load_or_create(const char *path, unsigned char key[32], mc_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char fresh[32];
        randombytes_buf(fresh, sizeof fresh);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
        /* written aside and linked into place, so a process starting at the same moment
         * reads either no file or a whole one */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ssize_t w = write(fd, hex, 64);
            if (close(fd) == 0 && w == 64) {
                if (link(tmp, path) < 0 && errno != EEXIST)
                    log_warn("cannot create %s: %s", path, strerror(errno));
            }
            unlink(tmp);
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return mc_error_set(err, 500, "secret", "security.secret_file",
                            "cannot read the secret file %s: %s", path, strerror(errno));
    char hex[65] = {0};
    ssize_t n = read(fd, hex, 64);
    close(fd);
    size_t bin_len = 0;
    if (n != 64 || sodium_hex2bin(key, 32, hex, 64, NULL, &bin_len, NULL) != 0 || bin_len != 32)
        return mc_error_set(err, 500, "secret", "security.secret_file",
                            "the secret file %s must hold 64 hexadecimal characters", path);
    return 0;
}

int secret_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na != nb) return 0;
    return sodium_memcmp(a, b, na) == 0;
}
