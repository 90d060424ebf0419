/* One DKIM_LIB for the process, configured with the header list to sign; a DKIM handle per
 * message. libopendkim folds the signature with bare "\n\t", which we turn into CRLF. */
#include "mail/dkim_signer.h"

#include <dkim.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef struct {
    char *domain;
    char *selector;
    char *key_pem;
    dkim_algorithm alg;
} dkim_key;

struct dkim_signer {
    DKIM_LIB *lib;
    dkim_key *keys;
    size_t key_count;
};

/* The fields that carry what a receiver shows or acts on. Oversigned fields are listed in
 * h= once more than present, so nobody can add a second From or List-Unsubscribe later. */
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
static const char *OVERSIGNED_HEADERS[] = {
    "from", "subject", "reply-to", "list-unsubscribe", "list-unsubscribe-post", NULL};

dkim_signer *dkim_signer_new(void)
{
    dkim_signer *s = xcalloc(1, sizeof *s);
    s->lib = dkim_init(NULL, NULL);
    if (!s->lib) abort(); /* only fails when out of memory */
    /* the size argument is that of a pointer to the array, not the array */
    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, SIGNED_HEADERS, sizeof(char **));
    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, OVERSIGNED_HEADERS,
                 sizeof(char **));
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

static int check_key(const char *pem, dkim_algorithm alg, const char *where, mc_error *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: the DKIM key is not a PEM private key", where);
    int type = EVP_PKEY_get_base_id(key);
    int bits = EVP_PKEY_get_bits(key);
    EVP_PKEY_free(key);
    if (alg == DKIM_ALG_RSA_SHA256 && type != EVP_PKEY_RSA)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: algorithm rsa-sha256 needs an RSA key", where);
    if (alg == DKIM_ALG_RSA_SHA256 && bits < 1024)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: the RSA key has %d bits; receivers require at least 1024", where,
                            bits);
    if (alg == DKIM_ALG_ED25519_SHA256 && type != EVP_PKEY_ED25519)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: algorithm ed25519-sha256 needs an Ed25519 key", where);
    return 0;
}

int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err)
{
    if (check_key(key_pem, alg, domain, err) < 0) return -1;
    s->keys = xrealloc(s->keys, (s->key_count + 1) * sizeof *s->keys);
    s->keys[s->key_count++] = (dkim_key){xstrdup(domain), xstrdup(selector), xstrdup(key_pem), alg};
    return 0;
}

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
        dkim_algorithm alg = DKIM_ALG_RSA_SHA256;
        if (alg_name && !strcmp(alg_name, "ed25519-sha256"))
            alg = DKIM_ALG_ED25519_SHA256;
        else if (alg_name && strcmp(alg_name, "rsa-sha256"))
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
        mc_error inner;
        int rc = dkim_signer_add_key(s, sec->name, selector, pem, alg, &inner);
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
        if (rc < 0)
            return mc_error_set(err, 400, "invalid_config", where, "%s: %s: %s", where, key_file,
                                strchr(inner.message, ' ') ? strchr(inner.message, ' ') + 1
                                                           : inner.message);
    }
    return 0;
}

static const dkim_key *find_key(const dkim_signer *s, str_t domain)
{
    for (size_t i = 0; i < s->key_count; i++)
        if (str_eq_ascii_nocase(domain, str_from_cstr(s->keys[i].domain))) return &s->keys[i];
    return NULL;
}

/* feeds each header field (folded lines included, final CRLF excluded); returns the offset
 * of the body, or -1 when the message has no blank line */
static long feed_headers(DKIM *d, str_t m)
{
    size_t i = 0;
    while (i + 1 < m.n) {
        if (m.p[i] == '\r' && m.p[i + 1] == '\n') return (long)(i + 2); /* the blank line */
        size_t start = i;
        for (;;) {
            const char *cr = memchr(m.p + i, '\r', m.n - i);
            if (!cr || (size_t)(cr - m.p) + 1 >= m.n) return -1;
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
    DKIM *d =
        dkim_sign(s->lib, (const u_char *)"mailcast", NULL, (dkim_sigkey_t)k->key_pem,
                  (const u_char *)k->selector, (const u_char *)k->domain, DKIM_CANON_RELAXED,
                  DKIM_CANON_RELAXED,
                  k->alg == DKIM_ALG_ED25519_SHA256 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
                  -1, &stat);
    if (!d)
        return mc_error_set(err, 500, "dkim_failed", "dkim", "cannot start DKIM signing: %s",
                            dkim_getresultstr(stat));
    long body = feed_headers(d, message);
    if (body < 0) {
        dkim_free(d);
        return mc_error_set(err, 500, "dkim_failed", "dkim",
                            "the message has no header/body separator");
    }
    u_char *sig = NULL;
    size_t sig_len = 0;
    static const char prefix[] = "DKIM-Signature: ";
    if ((stat = dkim_eoh(d)) != DKIM_STAT_OK ||
        (stat = dkim_body(d, (u_char *)message.p + body, message.n - (size_t)body)) !=
            DKIM_STAT_OK ||
        (stat = dkim_eom(d, NULL)) != DKIM_STAT_OK ||
        (stat = dkim_getsighdr_d(d, sizeof prefix - 1, &sig, &sig_len)) != DKIM_STAT_OK) {
        const char *why = dkim_geterror(d);
        mc_error_set(err, 500, "dkim_failed", "dkim", "DKIM signing failed: %s",
                     why && *why ? why : dkim_getresultstr(stat));
        dkim_free(d);
        return -1;
    }
    buf_reserve(out, sizeof prefix + sig_len + 32 + message.n);
    buf_append(out, prefix, sizeof prefix - 1);
    /* libopendkim folds with "\n\t" or, when the fields it was given end in CRLF, with
     * "\r\n\t": make every line end CRLF either way */
    for (size_t i = 0; i < sig_len; i++) {
        if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
            buf_append(out, "\r\n", 2);
        else
            buf_putc(out, (char)sig[i]);
    }
    buf_append(out, "\r\n", 2);
    buf_append_str(out, message);
    dkim_free(d);
    return 0;
}
