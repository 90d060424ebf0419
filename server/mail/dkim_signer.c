/* DKIM signing on OpenSSL's EVP interface. Keys are decoded once, at start-up, and shared
 * read-only by the sending threads. What one signature works with (a digest context and a
 * signing context per key) lives in slots that a sending thread holds alone for one message
 * (see sign_slot), taken and given back with one atomic exchange: no lock, and no context is
 * shared by two threads at once. The message is canonicalized once: the body streams through
 * the relaxed canonicalizer into SHA-256, and the signed header fields are canonicalized into
 * one block that every signature of the message hashes, followed by its own DKIM-Signature
 * field. */
#include "mail/dkim_signer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "mail/dkim_canon.h"
#include "mail/dkim_key.h"

typedef struct {
    char *domain;
    char *selector;
    dkim_algorithm alg;
    EVP_PKEY *key; /* decoded once; read-only afterwards, shared by every sending thread */
} dkim_key;

/* The working state of one signature at a time: a digest context and, per key, a signing
 * context made on first use and then reused (an RSA context set for PKCS#1 v1.5 over SHA-256,
 * or an Ed25519 one after EVP_DigestSignInit). Making them for each message costs 3 to 5
 * microseconds, and the looking up under OpenSSL's locks that comes with it, which is 5 % of
 * an Ed25519 signature: a sending thread takes a free slot for the time of one message. */
typedef struct {
    atomic_bool busy;
    EVP_MD_CTX *md;
    /* the h= list and the canonical signed fields of the message at hand, kept with their
     * memory from one message to the next: no allocation per message once they have grown */
    buf_t names, canonical;
    void **contexts; /* per key index: EVP_PKEY_CTX * (rsa) or EVP_MD_CTX * (ed25519) */
    size_t context_count;
} sign_slot;

/* more than the sending threads of a process; past them a message makes its own */
#define SIGN_SLOTS 32

struct dkim_signer {
    EVP_MD *sha256; /* fetched once: an implicit fetch per use looks it up again, under a lock */
    dkim_key *keys; /* fixed once signing starts: add keys before the first message */
    size_t key_count;
    sign_slot *slots; /* SIGN_SLOTS of them, the only state that changes after start-up */
};

/* The fields that carry what a receiver shows or acts on; h= names the ones the message has,
 * in the message's order and spelling. */
/* clang-format off */
#define NAME(s) {s, sizeof s - 1}
/* clang-format on */
static const str_t SIGNED_HEADERS[] = {NAME("from"),
                                       NAME("to"),
                                       NAME("subject"),
                                       NAME("date"),
                                       NAME("message-id"),
                                       NAME("reply-to"),
                                       NAME("mime-version"),
                                       NAME("content-type"),
                                       NAME("content-transfer-encoding"),
                                       NAME("list-id"),
                                       NAME("list-unsubscribe"),
                                       NAME("list-unsubscribe-post"),
                                       NAME("feedback-id")};
#undef NAME
/* Listed in h= once more than they occur, so nobody can add a second one later without
 * breaking the signature (RFC 6376 8.15). */
static const char OVERSIGNED_HEADERS[] =
    "from:subject:reply-to:list-unsubscribe:list-unsubscribe-post";

/* Folded lines of the field stay within this many columns (a tab counted as 8), well under
 * the 78 of RFC 5322. */
#define FOLD_MARGIN 75

dkim_signer *dkim_signer_new(void)
{
    dkim_signer *s = xcalloc(1, sizeof *s);
    s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!s->sha256) abort(); /* the default provider always has it: out of memory */
    s->slots = xcalloc(SIGN_SLOTS, sizeof *s->slots);
    return s;
}

static void slot_clear(const dkim_signer *s, sign_slot *slot)
{
    for (size_t i = 0; i < slot->context_count; i++) {
        if (!slot->contexts[i]) continue;
        if (s->keys[i].alg == DKIM_ALG_ED25519_SHA256)
            EVP_MD_CTX_free(slot->contexts[i]);
        else
            EVP_PKEY_CTX_free(slot->contexts[i]);
    }
    free(slot->contexts);
    EVP_MD_CTX_free(slot->md);
    buf_free(&slot->names);
    buf_free(&slot->canonical);
    slot->contexts = NULL;
    slot->context_count = 0;
    slot->md = NULL;
}

void dkim_signer_free(dkim_signer *s)
{
    if (!s) return;
    for (size_t i = 0; i < SIGN_SLOTS; i++)
        slot_clear(s, &s->slots[i]);
    free(s->slots);
    for (size_t i = 0; i < s->key_count; i++) {
        free(s->keys[i].domain);
        free(s->keys[i].selector);
        EVP_PKEY_free(s->keys[i].key);
    }
    free(s->keys);
    EVP_MD_free(s->sha256);
    free(s);
}

size_t dkim_signer_count(const dkim_signer *s)
{
    return s->key_count;
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

static const dkim_key *find_key(const dkim_signer *s, str_t domain, dkim_algorithm alg)
{
    for (size_t i = 0; i < s->key_count; i++)
        if (s->keys[i].alg == alg && str_eq_ascii_nocase(domain, str_from_cstr(s->keys[i].domain)))
            return &s->keys[i];
    return NULL;
}

/* decodes pem and stores it for domain; returns 0, or -1 with err naming where */
static int add_key(dkim_signer *s, const char *domain, const char *selector, const char *pem,
                   dkim_algorithm alg, const char *where, mc_error *err)
{
    if (find_key(s, str_from_cstr(domain), alg))
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: %s already has a %s key: one key per algorithm", where, domain,
                            dkim_algorithm_name(alg));
    EVP_PKEY *key = dkim_key_decode(pem, alg, where, err);
    if (!key) return -1;
    s->keys = xrealloc(s->keys, (s->key_count + 1) * sizeof *s->keys);
    s->keys[s->key_count++] = (dkim_key){xstrdup(domain), xstrdup(selector), alg, key};
    return 0;
}

int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err)
{
    if (!selector_valid(selector))
        return mc_error_set(err, 400, "invalid_config", domain,
                            "%s: the selector must be letters, digits, '-', '_' and '.'", domain);
    return add_key(s, domain, selector, key_pem, alg, domain, err);
}

/* The value of key in sec and "FILE:LINE" of it (of the section when unset) in where. */
static const char *section_get(const config_named_section *sec, const char *file, const char *key,
                               char *where, size_t where_size)
{
    int line = sec->line;
    const char *value = config_named_get(sec, key, &line);
    snprintf(where, where_size, "%s:%d", file, line);
    return value;
}

/* Reads and adds the key of key_file for sec's domain. returns 0, or -1 with err. */
static int load_key_file(dkim_signer *s, const config_named_section *sec, const char *selector,
                         const char *key_file, dkim_algorithm alg, const char *where, mc_error *err)
{
    char *pem = dkim_key_read_file(key_file, where, err);
    if (!pem) return -1;
    int rc = add_key(s, sec->name, selector, pem, alg, where, err);
    dkim_key_text_free(pem);
    return rc;
}

static int load_section(dkim_signer *s, const config_named_section *sec, const char *file,
                        mc_error *err)
{
    char where[600];
    const char *selector = section_get(sec, file, "selector", where, sizeof where);
    if (!selector || !selector_valid(selector))
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [dkim.%s] needs selector = NAME (letters, digits, '-', '.')",
                            where, sec->name);
    const char *alg_name = section_get(sec, file, "algorithm", where, sizeof where);
    dkim_algorithm alg = DKIM_ALG_RSA_SHA256;
    if (alg_name && !dkim_algorithm_parse(alg_name, &alg))
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: algorithm must be rsa-sha256 or ed25519-sha256", where);
    const char *key_file = section_get(sec, file, "private_key_file", where, sizeof where);
    if (!key_file || !*key_file)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [dkim.%s] needs private_key_file = PATH", where, sec->name);
    if (load_key_file(s, sec, selector, key_file, alg, where, err) < 0) return -1;

    char ed_where[600];
    const char *ed_selector = section_get(sec, file, "ed25519_selector", where, sizeof where);
    const char *ed_file = section_get(sec, file, "ed25519_key_file", ed_where, sizeof ed_where);
    if (!ed_selector && !ed_file) return 0;
    if (alg == DKIM_ALG_ED25519_SHA256)
        return mc_error_set(err, 400, "invalid_config", ed_file ? ed_where : where,
                            "%s: [dkim.%s] already signs with ed25519-sha256: ed25519_selector "
                            "and ed25519_key_file add an Ed25519 key next to an RSA key",
                            ed_file ? ed_where : where, sec->name);
    if (!ed_selector || !selector_valid(ed_selector) || !strcmp(ed_selector, selector))
        return mc_error_set(err, 400, "invalid_config", ed_selector ? where : ed_where,
                            "%s: [dkim.%s] needs ed25519_selector = NAME (letters, digits, '-', "
                            "'.'), other than selector: each key has its own DNS record",
                            ed_selector ? where : ed_where, sec->name);
    if (!ed_file || !*ed_file)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [dkim.%s] needs ed25519_key_file = PATH with ed25519_selector",
                            where, sec->name);
    return load_key_file(s, sec, ed_selector, ed_file, DKIM_ALG_ED25519_SHA256, ed_where, err);
}

int dkim_signer_load_config(dkim_signer *s, const config_t *cfg, mc_error *err)
{
    const char *file = cfg->path ? cfg->path : "environment";
    for (size_t i = 0; i < cfg->named_count; i++)
        if (!strcmp(cfg->named[i].kind, "dkim") && load_section(s, &cfg->named[i], file, err) < 0)
            return -1;
    return 0;
}

/* ---- signing ---- */

typedef struct {
    str_t name;  /* as the message spells it */
    str_t field; /* the whole field, continuation lines included, without the final CRLF */
} header_field;

typedef struct {
    header_field *items; /* stack until more fields than it holds */
    size_t count, cap;
    header_field stack[32];
} header_list;

static void header_list_push(header_list *l, header_field f)
{
    if (l->count == l->cap) {
        header_field *grown = xmalloc(2 * l->cap * sizeof *grown);
        memcpy(grown, l->items, l->count * sizeof *grown);
        if (l->items != l->stack) free(l->items);
        l->items = grown;
        l->cap *= 2;
    }
    l->items[l->count++] = f;
}

/* Splits the header of m into the fields of l. returns the offset of the body, or -1 when
 * no blank line ends the header. */
static long split_header(str_t m, header_list *l)
{
    size_t i = 0;
    while (i + 1 < m.n) {
        if (m.p[i] == '\r' && m.p[i + 1] == '\n') return (long)(i + 2); /* the blank line */
        size_t start = i;
        for (;;) { /* to the CRLF that is not followed by a continuation line */
            const char *cr = memchr(m.p + i, '\r', m.n - i);
            if (!cr || (size_t)(cr - m.p) + 1 >= m.n) return -1;
            i = (size_t)(cr - m.p) + 1;
            if (cr[1] != '\n') continue; /* a bare CR inside a field */
            i++;
            if (i >= m.n || (m.p[i] != ' ' && m.p[i] != '\t')) break;
        }
        str_t field = {m.p + start, i - 2 - start};
        const char *colon = memchr(field.p, ':', field.n);
        size_t name_n = colon ? (size_t)(colon - field.p) : field.n;
        while (name_n > 0 && (field.p[name_n - 1] == ' ' || field.p[name_n - 1] == '\t'))
            name_n--;
        header_list_push(l, (header_field){{field.p, name_n}, field});
    }
    return -1;
}

static bool signed_header(str_t name)
{
    for (size_t i = 0; i < sizeof SIGNED_HEADERS / sizeof SIGNED_HEADERS[0]; i++)
        if (name.n == SIGNED_HEADERS[i].n && str_eq_ascii_nocase(name, SIGNED_HEADERS[i]))
            return true;
    return false;
}

static void hash_sink(void *ctx, const char *p, size_t n)
{
    EVP_DigestUpdate(ctx, p, n);
}

typedef struct {
    buf_t *names;     /* h= value: names separated by ':' */
    buf_t *canonical; /* the signed fields, relaxed, each with its CRLF */
    char body_hash[48];
} message_state;

/* Fills st from the header fields: the h= list and the canonical block of the fields it
 * names, each name taking the last instance not taken yet (RFC 6376 5.4.2); an over-signed
 * name with no instance left adds nothing. */
static void sign_header_fields(message_state *st, const header_field *fields, size_t count)
{
    bool taken_stack[64], *taken = count <= 64 ? taken_stack : xcalloc(count, sizeof *taken);
    memset(taken, 0, count * sizeof *taken);
    for (size_t i = 0; i < count; i++) {
        if (!signed_header(fields[i].name)) continue;
        if (st->names->n) buf_putc(st->names, ':');
        buf_append_str(st->names, fields[i].name);
        size_t j = count;
        while (j-- > 0)
            if (!taken[j] && fields[j].name.n == fields[i].name.n &&
                str_eq_ascii_nocase(fields[j].name, fields[i].name))
                break;
        taken[j] = true;
        dkim_canon_header_relaxed(fields[j].field, st->canonical);
        buf_append(st->canonical, "\r\n", 2);
    }
    if (st->names->n) buf_putc(st->names, ':');
    buf_append(st->names, OVERSIGNED_HEADERS, sizeof OVERSIGNED_HEADERS - 1);
    if (taken != taken_stack) free(taken);
}

/* appends tag to the field after a space, or on a new line when it would pass the margin */
static void append_tag(buf_t *f, size_t *col, const char *tag, size_t n)
{
    if (*col + 1 + n > FOLD_MARGIN) {
        buf_append(f, "\r\n\t", 3);
        *col = 8;
    } else {
        buf_putc(f, ' ');
        *col += 1;
    }
    buf_append(f, tag, n);
    *col += n;
}

/* Writes prefix, value and ';' into tag (of size bytes; the value is cut to fit). returns
 * the length. */
static size_t tag_text(char *tag, size_t size, const char *prefix, const char *value)
{
    size_t p = strlen(prefix), v = strlen(value);
    if (p + v + 2 > size) v = size - p - 2;
    memcpy(tag, prefix, p);
    memcpy(tag + p, value, v);
    tag[p + v] = ';';
    tag[p + v + 1] = '\0';
    return p + v + 1;
}

/* Writes "DKIM-Signature: v=1; ...; b=" folded, the way it is hashed and then sent with the
 * signature after b=. returns the column after "b=". */
static size_t signature_field(buf_t *f, const dkim_key *k, const message_state *st, time_t now)
{
    static const char lead[] = "DKIM-Signature: v=1; a=";
    const char *alg = dkim_algorithm_name(k->alg);
    size_t alg_n = strlen(alg), col = sizeof lead - 1 + alg_n + 20;
    buf_append(f, lead, sizeof lead - 1);
    buf_append(f, alg, alg_n);
    buf_append(f, "; c=relaxed/relaxed;", 20);
    /* the tags are written by hand: snprintf's parsing of formats costs more than the rest
     * of this field */
    char tag[400];
    size_t n = tag_text(tag, sizeof tag, "d=", k->domain);
    append_tag(f, &col, tag, n);
    n = tag_text(tag, sizeof tag, "s=", k->selector);
    append_tag(f, &col, tag, n);
    char digits[24], *d = digits + sizeof digits;
    *--d = '\0';
    unsigned long long t = now > 0 ? (unsigned long long)now : 0;
    do
        *--d = (char)('0' + t % 10);
    while ((t /= 10) > 0);
    n = tag_text(tag, sizeof tag, "t=", d);
    append_tag(f, &col, tag, n);
    n = tag_text(tag, sizeof tag, "bh=", st->body_hash);
    append_tag(f, &col, tag, n);
    /* h= on a line of its own, folded after a colon between names */
    buf_append_cstr(f, "\r\n\th=");
    col = 8 + 2;
    str_t names = buf_view(st->names);
    for (size_t at = 0; at < names.n;) {
        const char *colon = memchr(names.p + at, ':', names.n - at);
        size_t end = colon ? (size_t)(colon - names.p) + 1 : names.n;
        size_t width = end - at + (colon ? 0 : 1); /* the last name is followed by ';' */
        if (at > 0 && col + width > FOLD_MARGIN) {
            buf_append(f, "\r\n\t ", 4);
            col = 9;
        }
        buf_append(f, names.p + at, end - at);
        col += end - at;
        at = end;
    }
    buf_append_cstr(f, ";\r\n\tb=");
    return 8 + 2;
}

/* returns slot's signing context for key index i, made now when it has none; NULL when
 * OpenSSL refuses */
static void *slot_context(const dkim_signer *s, sign_slot *slot, size_t i)
{
    if (i >= slot->context_count) {
        slot->contexts = xrealloc(slot->contexts, s->key_count * sizeof *slot->contexts);
        memset(slot->contexts + slot->context_count, 0,
               (s->key_count - slot->context_count) * sizeof *slot->contexts);
        slot->context_count = s->key_count;
    }
    if (slot->contexts[i]) return slot->contexts[i];
    const dkim_key *k = &s->keys[i];
    if (k->alg == DKIM_ALG_ED25519_SHA256) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (ctx && EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, k->key, NULL) == 1)
            return slot->contexts[i] = ctx;
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->key, NULL);
    if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_CTX_set_signature_md(ctx, s->sha256) == 1)
        return slot->contexts[i] = ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

/* Signs digest (the SHA-256 of the signed header data) with key index i. returns the
 * signature's length in sig (of sig_size bytes), or 0 on a failure. */
static size_t sign_digest(const dkim_signer *s, sign_slot *slot, size_t i,
                          const unsigned char digest[32], unsigned char *sig, size_t sig_size)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        void *ctx = slot_context(s, slot, i);
        if (!ctx) return 0;
        size_t len = sig_size;
        /* RFC 8463: pure Ed25519 over the SHA-256 of the header data, no digest in the call;
         * RSASSA-PKCS1-v1_5 over the digest computed already, the same bytes
         * EVP_DigestSign would produce from the header data */
        int ok = s->keys[i].alg == DKIM_ALG_ED25519_SHA256
                     ? EVP_DigestSign(ctx, sig, &len, digest, 32) == 1
                     : EVP_PKEY_sign(ctx, sig, &len, digest, 32) == 1;
        if (ok) return len;
        /* an OpenSSL that allows one EVP_DigestSign per initialization: make a new context */
        if (s->keys[i].alg == DKIM_ALG_ED25519_SHA256)
            EVP_MD_CTX_free(ctx);
        else
            EVP_PKEY_CTX_free(ctx);
        slot->contexts[i] = NULL;
    }
    return 0;
}

/* Appends k's complete DKIM-Signature field (with its CRLF) to out, hashing with md (the
 * message's digest context, reused). returns 0, or -1. */
static int append_signature(const dkim_signer *s, sign_slot *slot, size_t key_index,
                            message_state *st, time_t now, buf_t *out)
{
    const dkim_key *k = &s->keys[key_index];
    EVP_MD_CTX *md = slot->md;
    size_t start = out->n;
    size_t col = signature_field(out, k, st, now);
    /* the field as hashed: relaxed, b= empty, no final CRLF, after the signed fields */
    size_t signed_n = st->canonical->n;
    dkim_canon_header_relaxed((str_t){out->p + start, out->n - start}, st->canonical);
    unsigned char digest[32], sig[1024];
    unsigned int digest_n = 0;
    int ok = EVP_DigestInit_ex2(md, s->sha256, NULL) == 1 &&
             EVP_DigestUpdate(md, st->canonical->p, st->canonical->n) == 1 &&
             EVP_DigestFinal_ex(md, digest, &digest_n) == 1;
    st->canonical->n = signed_n;
    size_t sig_n = ok ? sign_digest(s, slot, key_index, digest, sig, sizeof sig) : 0;
    if (sig_n == 0) {
        out->n = start;
        if (out->p) out->p[start] = '\0';
        return -1;
    }
    char b64[4 * sizeof sig / 3 + 4];
    size_t b64_n = (size_t)EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_n);
    for (size_t at = 0; at < b64_n;) {
        size_t room = FOLD_MARGIN > col ? FOLD_MARGIN - col : 1;
        size_t take = b64_n - at < room ? b64_n - at : room;
        buf_append(out, b64 + at, take);
        at += take;
        if (at < b64_n) {
            buf_append_cstr(out, "\r\n\t ");
            col = 9;
        }
    }
    buf_append(out, "\r\n", 2);
    return 0;
}

/* returns a free slot, now the caller's until slot_give(); NULL when all are taken */
static sign_slot *slot_take(const dkim_signer *s)
{
    for (size_t i = 0; i < SIGN_SLOTS; i++) {
        sign_slot *slot = &s->slots[i];
        if (!atomic_load_explicit(&slot->busy, memory_order_relaxed) &&
            !atomic_exchange_explicit(&slot->busy, true, memory_order_acquire))
            return slot;
    }
    return NULL;
}

static void slot_give(sign_slot *slot)
{
    atomic_store_explicit(&slot->busy, false, memory_order_release);
}

int dkim_signer_sign(const dkim_signer *s, str_t domain, str_t message, buf_t *out, mc_error *err)
{
    /* rsa-sha256 first: a receiver that reads only the first signature, or knows no
     * ed25519-sha256 (still many), finds the one it can verify; the Ed25519 one follows */
    const dkim_key *keys[2] = {find_key(s, domain, DKIM_ALG_RSA_SHA256),
                               find_key(s, domain, DKIM_ALG_ED25519_SHA256)};
    if (!keys[0] && !keys[1]) {
        buf_append_str(out, message);
        return 1;
    }
    header_list fields;
    fields.items = fields.stack;
    fields.count = 0;
    fields.cap = sizeof fields.stack / sizeof fields.stack[0];
    long body = split_header(message, &fields);
    if (body < 0) {
        if (fields.items != fields.stack) free(fields.items);
        return mc_error_set(err, 500, "dkim_failed", "dkim",
                            "DKIM cannot read the header: no header/body separator");
    }
    sign_slot own = {0}, *slot = slot_take(s);
    if (!slot) slot = &own; /* more threads than slots: this message makes its own */
    buf_reset(&slot->names);
    buf_reset(&slot->canonical);
    message_state st = {&slot->names, &slot->canonical, {0}};
    if (!slot->md) slot->md = EVP_MD_CTX_new();
    EVP_MD_CTX *md = slot->md;
    int ok = md && EVP_DigestInit_ex2(md, s->sha256, NULL) == 1;
    if (ok) {
        dkim_body_canon canon;
        dkim_body_canon_init(&canon, hash_sink, md);
        dkim_body_canon_update(&canon, message.p + body, message.n - (size_t)body);
        dkim_body_canon_final(&canon);
        unsigned char bh[32];
        ok = EVP_DigestFinal_ex(md, bh, NULL) == 1;
        EVP_EncodeBlock((unsigned char *)st.body_hash, bh, sizeof bh);
    }
    sign_header_fields(&st, fields.items, fields.count);
    if (fields.items != fields.stack) free(fields.items);
    size_t start = out->n;
    time_t now = time(NULL);
    for (size_t i = 0; i < 2 && ok; i++)
        if (keys[i] && append_signature(s, slot, (size_t)(keys[i] - s->keys), &st, now, out) < 0)
            ok = 0;
    if (slot == &own)
        slot_clear(s, &own);
    else
        slot_give(slot);
    if (!ok) {
        out->n = start;
        if (out->p) out->p[start] = '\0';
        return mc_error_set(err, 500, "dkim_failed", "dkim", "DKIM signing failed for %.*s",
                            (int)domain.n, domain.p);
    }
    buf_append_str(out, message);
    /* SMTP ends the data with a line break anyway: sent explicitly, the bytes signed are the
     * bytes received, and verifiers that disagree on a body without one (libopendkim adds no
     * CRLF, dkimpy keeps white space before the one it adds) all see the same thing */
    if ((size_t)body < message.n &&
        (message.n < 2 || message.p[message.n - 2] != '\r' || message.p[message.n - 1] != '\n'))
        buf_append(out, "\r\n", 2);
    return 0;
}
