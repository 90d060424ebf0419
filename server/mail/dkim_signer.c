/* DKIM with OpenSSL directly. libopendkim 2.11 takes the key as PEM text on every
 * dkim_sign() and decodes it again for each message: 1.0 ms per signature here against
 * 0.26 ms for the RSA operation itself, and it leaks the decoded key for ed25519. Relaxed
 * canonicalization is small and exactly specified (RFC 6376 3.4.2, 3.4.4), so we do it here
 * and keep one decoded EVP_PKEY per domain, shared read-only by every sending thread. */
#include "mail/dkim_signer.h"

#include <errno.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdatomic.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "mail/encoding.h"

/* RSA signing contexts for one key. A context is used by one thread at a time, and each
 * holds its own copy of the key: OpenSSL's RSA blinding serializes threads that share one
 * key object, and setting up a context per signature costs a fifth of the RSA operation. */
#define SIGNING_SLOTS 16

typedef struct {
    pthread_mutex_t lock;
    EVP_PKEY_CTX *ctx; /* sign-initialized: PKCS#1 v1.5 over a SHA-256 digest */
} signing_slot;

typedef struct {
    char *domain;
    char *selector;
    EVP_PKEY *key;
    dkim_algorithm alg;
    signing_slot *slots; /* RSA only */
    atomic_uint next_slot;
} dkim_key;

struct dkim_signer {
    dkim_key *keys;
    size_t key_count;
};

/* The fields that carry what a receiver shows or acts on, in h= order. */
static const char *const SIGNED_HEADERS[] = {"from",
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
/* Listed once more than they occur, so nobody can add a second one later without breaking
 * the signature (RFC 6376 8.15). */
static const char *const OVERSIGNED_HEADERS[] = {
    "from", "subject", "reply-to", "list-unsubscribe", "list-unsubscribe-post", NULL};

#define MAX_FIELDS 128

typedef struct {
    const char *p; /* start of the field (its name) */
    size_t n;      /* length without the final CRLF */
    size_t name_n;
    bool used;
} header_field;

dkim_signer *dkim_signer_new(void)
{
    return xcalloc(1, sizeof(dkim_signer));
}

void dkim_signer_free(dkim_signer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->key_count; i++) {
        free(s->keys[i].domain);
        free(s->keys[i].selector);
        EVP_PKEY_free(s->keys[i].key);
        for (int j = 0; s->keys[i].slots && j < SIGNING_SLOTS; j++) {
            pthread_mutex_destroy(&s->keys[i].slots[j].lock);
            EVP_PKEY_CTX_free(s->keys[i].slots[j].ctx);
        }
        free(s->keys[i].slots);
    }
    free(s->keys);
    free(s);
}

size_t dkim_signer_count(const dkim_signer *s)
{
    return s->key_count;
}

static EVP_PKEY *decode_key(const char *pem, dkim_algorithm alg, const char *where, mc_error *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        mc_error_set(err, 400, "invalid_config", where, "%s: the DKIM key is not a PEM private key",
                     where);
        return NULL;
    }
    int type = EVP_PKEY_get_base_id(key);
    int bits = EVP_PKEY_get_bits(key);
    const char *problem = NULL;
    if (alg == DKIM_ALG_RSA_SHA256 && type != EVP_PKEY_RSA)
        problem = "algorithm rsa-sha256 needs an RSA key";
    else if (alg == DKIM_ALG_RSA_SHA256 && bits < 1024)
        problem = "the RSA key is shorter than the 1024 bits receivers require";
    else if (alg == DKIM_ALG_ED25519_SHA256 && type != EVP_PKEY_ED25519)
        problem = "algorithm ed25519-sha256 needs an Ed25519 key";
    if (problem) {
        EVP_PKEY_free(key);
        mc_error_set(err, 400, "invalid_config", where, "%s: %s", where, problem);
        return NULL;
    }
    return key;
}

/* takes ownership of key; returns 0, or -1 when OpenSSL refuses to sign with it */
static int store_key(dkim_signer *s, const char *domain, const char *selector, EVP_PKEY *key,
                     dkim_algorithm alg, const char *where, mc_error *err)
{
    signing_slot *slots = NULL;
    if (alg == DKIM_ALG_RSA_SHA256) {
        slots = xcalloc(SIGNING_SLOTS, sizeof *slots);
        for (int j = 0; j < SIGNING_SLOTS; j++) {
            EVP_PKEY *copy = EVP_PKEY_dup(key);
            EVP_PKEY_CTX *ctx = copy ? EVP_PKEY_CTX_new(copy, NULL) : NULL;
            EVP_PKEY_free(copy); /* the context keeps its own reference */
            pthread_mutex_init(&slots[j].lock, NULL);
            slots[j].ctx = ctx;
            if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
                EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
                EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
                for (int k = 0; k <= j; k++) {
                    pthread_mutex_destroy(&slots[k].lock);
                    EVP_PKEY_CTX_free(slots[k].ctx);
                }
                free(slots);
                EVP_PKEY_free(key);
                return mc_error_set(err, 400, "invalid_config", where,
                                    "%s: OpenSSL cannot sign with this DKIM key", where);
            }
        }
    }
    s->keys = xrealloc(s->keys, (s->key_count + 1) * sizeof *s->keys);
    dkim_key *k = &s->keys[s->key_count++];
    k->domain = xstrdup(domain);
    k->selector = xstrdup(selector);
    k->key = key;
    k->alg = alg;
    k->slots = slots;
    atomic_init(&k->next_slot, 0);
    return 0;
}

int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err)
{
    EVP_PKEY *key = decode_key(key_pem, alg, domain, err);
    if (!key) return -1;
    return store_key(s, domain, selector, key, alg, domain, err);
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
        EVP_PKEY *key = decode_key(pem, alg, where, err);
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
        if (!key || store_key(s, sec->name, selector, key, alg, where, err) < 0) return -1;
    }
    return 0;
}

static const dkim_key *find_key(const dkim_signer *s, str_t domain)
{
    for (size_t i = 0; i < s->key_count; i++)
        if (str_eq_ascii_nocase(domain, str_from_cstr(s->keys[i].domain))) return &s->keys[i];
    return NULL;
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits the header section into fields. returns the body offset, or -1 when there is no
 * blank line or more than MAX_FIELDS fields. */
static long split_fields(str_t m, header_field *fields, size_t *count)
{
    size_t i = 0;
    *count = 0;
    while (i + 1 < m.n) {
        if (m.p[i] == '\r' && m.p[i + 1] == '\n') return (long)(i + 2);
        if (*count == MAX_FIELDS) return -1;
        size_t start = i;
        for (;;) {
            const char *cr = memchr(m.p + i, '\r', m.n - i);
            if (!cr || (size_t)(cr - m.p) + 1 >= m.n || cr[1] != '\n') return -1;
            i = (size_t)(cr - m.p) + 2;
            if (i >= m.n || !is_wsp(m.p[i])) break;
        }
        const char *colon = memchr(m.p + start, ':', i - 2 - start);
        if (!colon) return -1;
        size_t name_n = (size_t)(colon - (m.p + start));
        while (name_n && is_wsp(m.p[start + name_n - 1]))
            name_n--;
        fields[(*count)++] = (header_field){m.p + start, i - 2 - start, name_n, false};
    }
    return -1;
}

/* appends the relaxed form of one field: "name:value\r\n" (RFC 6376 3.4.2) */
static void canon_header(buf_t *out, const char *p, size_t n, size_t name_n, bool final_crlf)
{
    for (size_t i = 0; i < name_n; i++) {
        char c = p[i];
        buf_putc(out, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
    }
    buf_putc(out, ':');
    const char *colon = memchr(p, ':', n);
    size_t i = (size_t)(colon - p) + 1;
    bool space = false, started = false;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\r' || c == '\n') continue; /* unfold */
        if (is_wsp(c)) {
            space = true;
            continue;
        }
        if (space && started) buf_putc(out, ' ');
        space = false;
        started = true;
        buf_putc(out, c);
    }
    if (final_crlf) buf_append(out, "\r\n", 2);
}

/* feeds the relaxed body (RFC 6376 3.4.4) into the hash, through a line buffer */
static void hash_body(EVP_MD_CTX *md, const char *p, size_t n, buf_t *line)
{
    size_t empty_lines = 0, i = 0;
    while (i < n) {
        const char *cr = memchr(p + i, '\n', n - i);
        size_t end = cr ? (size_t)(cr - p) : n; /* the LF, or the end of a last partial line */
        size_t content_end = end;
        if (cr && content_end > i && p[content_end - 1] == '\r') content_end--;
        buf_reset(line);
        buf_reserve(line, content_end - i + 2);
        char *w = line->p, *start = line->p;
        bool space = false;
        for (size_t j = i; j < content_end; j++) {
            if (is_wsp(p[j])) {
                space = true;
                continue;
            }
            if (space) *w++ = ' ';
            space = false;
            *w++ = p[j];
        }
        if (w == start) {
            empty_lines++;
        } else {
            for (; empty_lines > 0; empty_lines--)
                EVP_DigestUpdate(md, "\r\n", 2);
            *w++ = '\r';
            *w++ = '\n';
            EVP_DigestUpdate(md, start, (size_t)(w - start));
        }
        i = cr ? end + 1 : n;
    }
}

/* the last field named name not yet used, from the bottom (RFC 6376 5.4.2), or NULL */
static header_field *take_field(header_field *fields, size_t count, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = count; i > 0; i--) {
        header_field *f = &fields[i - 1];
        if (!f->used && f->name_n == len &&
            str_eq_ascii_nocase(str_make(f->p, f->name_n), str_make(name, len))) {
            f->used = true;
            return f;
        }
    }
    return NULL;
}

/* appends a tag list item, folding the line before it when it would pass 78 columns */
static void add_tag(buf_t *h, size_t *column, const char *text, size_t n)
{
    if (*column + 1 + n > 78) {
        buf_append(h, "\r\n\t", 3);
        *column = 8;
    } else if (*column > 16) {
        buf_putc(h, ' ');
        (*column)++;
    }
    buf_append(h, text, n);
    *column += n;
}

int dkim_signer_sign(const dkim_signer *s, str_t domain, str_t message, buf_t *out, mc_error *err)
{
    const dkim_key *k = find_key(s, domain);
    if (!k) {
        buf_append_str(out, message);
        return 1;
    }
    header_field fields[MAX_FIELDS];
    size_t count;
    long body = split_fields(message, fields, &count);
    if (body < 0)
        return mc_error_set(err, 500, "dkim_failed", "dkim",
                            "the message has no header/body separator or too many fields");

    buf_t scratch = BUF_INIT, header = BUF_INIT, canon = BUF_INIT;
    unsigned char body_hash[EVP_MAX_MD_SIZE], digest[EVP_MAX_MD_SIZE], sig[1024];
    unsigned body_hash_n = 0, digest_n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    hash_body(md, message.p + body, message.n - (size_t)body, &scratch);
    EVP_DigestFinal_ex(md, body_hash, &body_hash_n);

    /* the tag list; h= names each signed field once per instance, plus the oversigned */
    size_t column = 16;
    buf_append_cstr(&header, "DKIM-Signature: ");
    buf_reset(&scratch);
    buf_appendf(&scratch, "v=1; a=%s; c=relaxed/relaxed;",
                k->alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256");
    add_tag(&header, &column, scratch.p, scratch.n);
    buf_reset(&scratch);
    buf_appendf(&scratch, "d=%s;", k->domain);
    add_tag(&header, &column, scratch.p, scratch.n);
    buf_reset(&scratch);
    buf_appendf(&scratch, "s=%s;", k->selector);
    add_tag(&header, &column, scratch.p, scratch.n);
    buf_reset(&scratch);
    buf_appendf(&scratch, "t=%lld;", (long long)time(NULL));
    add_tag(&header, &column, scratch.p, scratch.n);

    /* canonical signed fields, in h= order, go to canon for hashing */
    const char *names[MAX_FIELDS + 8];
    size_t name_count = 0;
    for (const char *const *n = SIGNED_HEADERS; *n; n++) {
        header_field *f;
        while (name_count < MAX_FIELDS && (f = take_field(fields, count, *n)) != NULL) {
            canon_header(&canon, f->p, f->n, f->name_n, true);
            names[name_count++] = *n;
        }
    }
    for (const char *const *n = OVERSIGNED_HEADERS; *n; n++)
        names[name_count++] = *n; /* matches no instance: contributes nothing to the hash */
    for (size_t i = 0; i < name_count; i++) {
        buf_reset(&scratch);
        buf_appendf(&scratch, "%s%s%s", i == 0 ? "h=" : "", names[i],
                    i + 1 == name_count ? ";" : ":");
        if (i > 0 && column + scratch.n > 78) {
            buf_append(&header, "\r\n\t", 3);
            column = 8;
        } else if (i == 0 && column + 1 + scratch.n > 78) {
            buf_append(&header, "\r\n\t", 3);
            column = 8;
        } else if (i == 0) {
            buf_putc(&header, ' ');
            column++;
        }
        buf_append(&header, scratch.p, scratch.n);
        column += scratch.n;
    }
    buf_reset(&scratch);
    buf_append_cstr(&scratch, "bh=");
    base64_append(&scratch, body_hash, body_hash_n);
    buf_putc(&scratch, ';');
    add_tag(&header, &column, scratch.p, scratch.n);
    add_tag(&header, &column, "b=", 2);

    /* the signature field itself, b= empty and without its CRLF, ends the hashed data */
    canon_header(&canon, header.p, header.n, 14, false);
    int ok;
    size_t sig_n = sizeof sig;
    /* both algorithms sign over SHA-256 of the data: RSA with PKCS#1 v1.5 (the context
     * adds the DigestInfo), Ed25519 signs the digest itself (RFC 8463) */
    EVP_Digest(canon.p, canon.n, digest, &digest_n, EVP_sha256(), NULL);
    if (k->alg == DKIM_ALG_ED25519_SHA256) {
        EVP_MD_CTX *sign = EVP_MD_CTX_new();
        ok = EVP_DigestSignInit(sign, NULL, NULL, NULL, k->key) == 1 &&
             EVP_DigestSign(sign, sig, &sig_n, digest, digest_n) == 1;
        EVP_MD_CTX_free(sign);
    } else {
        /* a free slot if there is one, else wait for the one our ticket names */
        signing_slot *slots = ((dkim_key *)k)->slots;
        unsigned first = atomic_fetch_add(&((dkim_key *)k)->next_slot, 1) % SIGNING_SLOTS;
        signing_slot *slot = NULL;
        for (unsigned j = 0; j < SIGNING_SLOTS && !slot; j++) {
            signing_slot *candidate = &slots[(first + j) % SIGNING_SLOTS];
            if (pthread_mutex_trylock(&candidate->lock) == 0) slot = candidate;
        }
        if (!slot) {
            slot = &slots[first];
            pthread_mutex_lock(&slot->lock);
        }
        ok = EVP_PKEY_sign(slot->ctx, sig, &sig_n, digest, digest_n) == 1;
        pthread_mutex_unlock(&slot->lock);
    }
    EVP_MD_CTX_free(md);
    int rc = 0;
    if (!ok) {
        rc = mc_error_set(err, 500, "dkim_failed", "dkim", "DKIM signing failed for %s", k->domain);
    } else {
        /* b= folded in 72-character pieces; verifiers ignore white space inside it */
        buf_reset(&scratch);
        base64_append(&scratch, sig, sig_n);
        for (size_t i = 0; i < scratch.n; i += 72) {
            size_t take = scratch.n - i < 72 ? scratch.n - i : 72;
            if (i > 0 || column + take > 78) buf_append(&header, "\r\n\t ", 4);
            buf_append(&header, scratch.p + i, take);
        }
        buf_reserve(out, header.n + 2 + message.n);
        buf_append(out, header.p, header.n);
        buf_append(out, "\r\n", 2);
        buf_append_str(out, message);
    }
    buf_free(&scratch);
    buf_free(&header);
    buf_free(&canon);
    return rc;
}
