/* DKIM signing with libopendkim: one DKIM_LIB for the process, configured once with the
 * fields to sign and to over-sign, and a DKIM handle per message. Keys are read and checked
 * with OpenSSL once at start-up and kept in memory as PEM text. libopendkim 2.11 takes the
 * key as text and decodes it again for every message; base64 DER instead of PEM was measured
 * and costs the same (0.93 ms of CPU per 10 KB message either way), so the PEM stays as read. */
#include "mail/dkim_signer.h"

#include <dkim.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef struct {
    char *domain;
    char *selector;
    char *key_pem; /* checked at start-up; libopendkim decodes it again for every message */
} dkim_key;

struct dkim_signer {
    DKIM_LIB *lib; /* read-only after dkim_signer_new(): shared by every sending thread */
    dkim_key *keys;
    size_t key_count;
};

/* The fields that carry what a receiver shows or acts on. libopendkim names them in h= in
 * the order the message has them. */
static const char *SIGNED_HEADERS[] = {"from",
                                       "to",
                                       "subject",
                                       "date",
                                       "message-id",
                                       "reply-to",
                                       "mime-version",
                                       "content-type",
                                       "content-transfer-encoding",
                                       "list-id",
                                       "list-unsubscribe",
                                       "list-unsubscribe-post",
                                       "feedback-id",
                                       NULL};
/* Listed in h= once more than they occur, so nobody can add a second one later without
 * breaking the signature (RFC 6376 8.15). */
static const char *OVERSIGNED_HEADERS[] = {
    "from", "subject", "reply-to", "list-unsubscribe", "list-unsubscribe-post", NULL};

/* Why ed25519-sha256 is refused: libopendkim 2.11 (Debian 12) does not free the key it
 * decodes in dkim_eom() for an Ed25519 signature, about 470 bytes per message. */
#define ED25519_REFUSAL                                                                            \
    "algorithm ed25519-sha256 is not supported: the DKIM library in Debian 12 (libopendkim "       \
    "2.11) leaks memory on every ed25519 signature; use rsa-sha256"

/* returns a new signer; caller frees with dkim_signer_free() */
dkim_signer *dkim_signer_new(void)
{
    dkim_signer *s = xcalloc(1, sizeof *s);
    s->lib = dkim_init(NULL, NULL);
    if (!s->lib) abort(); /* it fails only when out of memory, like xcalloc */
    /* the size argument is that of the pointer to the list, not of the list: given the
     * array's size, the option fails silently */
    if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, SIGNED_HEADERS, sizeof(char **)) !=
            DKIM_STAT_OK ||
        dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, OVERSIGNED_HEADERS,
                     sizeof(char **)) != DKIM_STAT_OK)
        abort(); /* constant lists: a refusal is a programming error */
    return s;
}

void dkim_signer_free(dkim_signer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->key_count; i++) {
        free(s->keys[i].domain);
        free(s->keys[i].selector);
        OPENSSL_cleanse(s->keys[i].key_pem, strlen(s->keys[i].key_pem));
        free(s->keys[i].key_pem);
    }
    free(s->keys);
    dkim_close(s->lib);
    free(s);
}

size_t dkim_signer_count(const dkim_signer *s)
{
    return s->key_count;
}

/* Decodes the PEM once with OpenSSL so that a bad key stops start-up rather than every
 * message. returns 0, or -1 with err naming where. */
static int check_key(const char *pem, dkim_algorithm alg, const char *where, mc_error *err)
{
    if (alg == DKIM_ALG_ED25519_SHA256)
        return mc_error_set(err, 400, "invalid_config", where, "%s: " ED25519_REFUSAL, where);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: the DKIM key is not a PEM private key", where);
    int type = EVP_PKEY_get_base_id(key);
    int bits = EVP_PKEY_get_bits(key);
    EVP_PKEY_free(key);
    if (type != EVP_PKEY_RSA)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: algorithm rsa-sha256 needs an RSA key", where);
    if (bits < 1024)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: the RSA key is shorter than the 1024 bits receivers require",
                            where);
    return 0;
}

/* copies domain, selector and pem into a new entry of s */
static void store_key(dkim_signer *s, const char *domain, const char *selector, const char *pem)
{
    s->keys = xrealloc(s->keys, (s->key_count + 1) * sizeof *s->keys);
    s->keys[s->key_count++] = (dkim_key){xstrdup(domain), xstrdup(selector), xstrdup(pem)};
}

int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err)
{
    if (check_key(key_pem, alg, domain, err) < 0) return -1;
    store_key(s, domain, selector, key_pem);
    return 0;
}

/* returns the file's bytes (at most 64 KiB) as a string; caller cleanses and frees it with
 * free(). NULL with err filled when the file cannot be opened. */
static char *read_small_file(const char *path, mc_error *err, const char *where)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mc_error_set(err, 400, "invalid_config", where, "%s: cannot read %s: %s", where, path,
                     strerror(errno));
        return NULL;
    }
    buf_t b = BUF_INIT;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.n < 64 * 1024)
        buf_append(&b, chunk, got);
    fclose(f);
    OPENSSL_cleanse(chunk, sizeof chunk);
    buf_putc(&b, '\0'); /* an empty file still gives a string */
    return buf_detach(&b, NULL);
}

static bool selector_valid(const char *s)
{
    if (!*s || strlen(s) > 63) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

int dkim_signer_load_config(dkim_signer *s, const config_t *cfg, mc_error *err)
{
    const char *file = cfg->path ? cfg->path : "environment";
    for (size_t i = 0; i < cfg->named_count; i++) {
        const config_named_section *sec = &cfg->named[i];
        if (strcmp(sec->kind, "dkim")) continue;
        char where[600];
        int line = sec->line;
        const char *selector = config_named_get(sec, "selector", &line);
        snprintf(where, sizeof where, "%s:%d", file, line);
        if (!selector || !selector_valid(selector))
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: [dkim.%s] needs selector = NAME (letters, digits, '-', '.')",
                                where, sec->name);
        line = sec->line;
        const char *alg_name = config_named_get(sec, "algorithm", &line);
        snprintf(where, sizeof where, "%s:%d", file, line);
        if (alg_name && !strcmp(alg_name, "ed25519-sha256"))
            return mc_error_set(err, 400, "invalid_config", where, "%s: " ED25519_REFUSAL, where);
        if (alg_name && strcmp(alg_name, "rsa-sha256"))
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: algorithm must be rsa-sha256 or ed25519-sha256", where);
        line = sec->line;
        const char *key_file = config_named_get(sec, "private_key_file", &line);
        snprintf(where, sizeof where, "%s:%d", file, line);
        if (!key_file || !*key_file)
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: [dkim.%s] needs private_key_file = PATH", where, sec->name);
        char *pem = read_small_file(key_file, err, where);
        if (!pem) return -1;
        int rc = check_key(pem, DKIM_ALG_RSA_SHA256, where, err);
        if (rc == 0) store_key(s, sec->name, selector, pem);
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
        if (rc < 0) return -1;
    }
    return 0;
}

static const dkim_key *find_key(const dkim_signer *s, str_t domain)
{
    for (size_t i = 0; i < s->key_count; i++)
        if (str_eq_ascii_nocase(domain, str_from_cstr(s->keys[i].domain))) return &s->keys[i];
    return NULL;
}

/* Hands each header field to libopendkim, folded lines included and without its final CRLF,
 * as dkim_header() wants them. returns the offset of the body, or -1 when the message has
 * no blank line or libopendkim refuses a field. */
static long feed_header_fields(DKIM *d, str_t m)
{
    size_t i = 0;
    while (i + 1 < m.n) {
        if (m.p[i] == '\r' && m.p[i + 1] == '\n') return (long)(i + 2); /* the blank line */
        size_t start = i;
        for (;;) { /* to the CRLF that is not followed by a continuation line */
            const char *cr = memchr(m.p + i, '\r', m.n - i);
            if (!cr || (size_t)(cr - m.p) + 1 >= m.n || cr[1] != '\n') return -1;
            i = (size_t)(cr - m.p) + 2;
            if (i >= m.n || (m.p[i] != ' ' && m.p[i] != '\t')) break;
        }
        if (dkim_header(d, (u_char *)m.p + start, i - 2 - start) != DKIM_STAT_OK) return -1;
    }
    return -1;
}

int dkim_signer_sign(const dkim_signer *s, str_t domain, str_t message, buf_t *out, mc_error *err)
{
    const dkim_key *k = find_key(s, domain);
    if (!k) {
        buf_append_str(out, message);
        return 1;
    }
    DKIM_STAT stat;
    DKIM *d = dkim_sign(s->lib, (const u_char *)"mailcast", NULL, (dkim_sigkey_t)k->key_pem,
                        (const u_char *)k->selector, (const u_char *)k->domain, DKIM_CANON_RELAXED,
                        DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &stat);
    if (!d)
        return mc_error_set(err, 500, "dkim_failed", "dkim", "cannot start DKIM signing: %s",
                            dkim_getresultstr(stat));
    long body = feed_header_fields(d, message);
    if (body < 0) {
        const char *why = dkim_geterror(d);
        mc_error_set(err, 500, "dkim_failed", "dkim", "DKIM cannot read the header: %s",
                     why && *why ? why : "no header/body separator");
        dkim_free(d);
        return -1;
    }
    static const char prefix[] = "DKIM-Signature: ";
    u_char *value = NULL; /* owned by d, valid until dkim_free() */
    size_t value_n = 0;
    if ((stat = dkim_eoh(d)) != DKIM_STAT_OK ||
        (stat = dkim_body(d, (u_char *)message.p + body, message.n - (size_t)body)) !=
            DKIM_STAT_OK ||
        (stat = dkim_eom(d, NULL)) != DKIM_STAT_OK ||
        (stat = dkim_getsighdr_d(d, sizeof prefix - 1, &value, &value_n)) != DKIM_STAT_OK) {
        const char *why = dkim_geterror(d);
        mc_error_set(err, 500, "dkim_failed", "dkim", "DKIM signing failed for %s: %s", k->domain,
                     why && *why ? why : dkim_getresultstr(stat));
        dkim_free(d);
        return -1;
    }
    /* libopendkim folds the value with "\r\n\t" when the message it read had CRLF line
     * ends and with a bare "\n\t" otherwise; the wire needs CRLF either way */
    buf_reserve(out, sizeof prefix + 2 * value_n + message.n);
    buf_append(out, prefix, sizeof prefix - 1);
    for (size_t i = 0; i < value_n; i++) {
        if (value[i] == '\n')
            buf_append(out, "\r\n", 2);
        else if (value[i] != '\r')
            buf_putc(out, (char)value[i]);
    }
    buf_append(out, "\r\n", 2);
    buf_append_str(out, message);
    dkim_free(d);
    return 0;
}

int dkim_public_record(const char *key_pem, buf_t *txt, mc_error *err)
{
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) return mc_error_set(err, 400, "invalid_key", "", "the file is not a PEM private key");
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return mc_error_set(err, 400, "invalid_key", "", "the key is not an RSA key");
    }
    /* the public half as DER SubjectPublicKeyInfo, what "openssl rsa -pubout" writes */
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    EVP_PKEY_free(key);
    if (der_len <= 0)
        return mc_error_set(err, 400, "invalid_key", "", "the key has no public half");
    size_t b64_len = 4 * (((size_t)der_len + 2) / 3);
    unsigned char *b64 = xmalloc(b64_len + 1);
    EVP_EncodeBlock(b64, der, der_len);
    OPENSSL_free(der);
    buf_append_cstr(txt, "v=DKIM1; k=rsa; p=");
    buf_append(txt, b64, b64_len);
    free(b64);
    return 0;
}

size_t dkim_records_from_config(const config_t *cfg, dkim_record **out)
{
    *out = NULL;
    size_t count = 0;
    for (size_t i = 0; i < cfg->named_count; i++) {
        const config_named_section *sec = &cfg->named[i];
        if (strcmp(sec->kind, "dkim")) continue;
        int line = sec->line;
        const char *selector = config_named_get(sec, "selector", &line);
        const char *alg = config_named_get(sec, "algorithm", &line);
        const char *key_file = config_named_get(sec, "private_key_file", &line);
        *out = xrealloc(*out, (count + 1) * sizeof **out);
        dkim_record *r = &(*out)[count++];
        memset(r, 0, sizeof *r);
        r->domain = xstrdup(sec->name);
        r->selector = xstrdup(selector ? selector : "");
        r->algorithm = xstrdup(alg && *alg ? alg : "rsa-sha256");
        r->key_file = key_file && *key_file ? xstrdup(key_file) : NULL;
        buf_t b = BUF_INIT;
        buf_appendf(&b, "%s._domainkey.%s", r->selector, r->domain);
        r->record_name = buf_detach(&b, NULL);
        mc_error err;
        char *pem = r->key_file ? read_small_file(r->key_file, &err, r->key_file) : NULL;
        buf_t txt = BUF_INIT;
        if (!r->key_file)
            mc_error_set(&err, 400, "invalid_config", "", "no private_key_file is configured");
        if (pem && dkim_public_record(pem, &txt, &err) == 0) {
            r->txt = buf_detach(&txt, NULL);
        } else {
            buf_free(&txt);
            r->error = xstrdup(err.message);
        }
        if (pem) {
            OPENSSL_cleanse(pem, strlen(pem));
            free(pem);
        }
    }
    return count;
}

void dkim_records_free(dkim_record *records, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        dkim_record *r = &records[i];
        free(r->domain);
        free(r->selector);
        free(r->algorithm);
        free(r->key_file);
        free(r->record_name);
        free(r->txt);
        free(r->error);
    }
    free(records);
}
