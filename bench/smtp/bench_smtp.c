/* SMTP benchmark driver: renders N messages from a set of templates, composes each with
 * mailcast's MIME builder (and DKIM when a key is given) and sends them through the
 * libesmtp transport over C parallel connections of M messages each. Prints one line:
 * "mailcast messages=N failed=F seconds=S rate=R avg_bytes=B cpu_us_per_msg=C", C being the
 * process's CPU time (user + system, every thread, getrusage) over the sending, per message.
 * With --write-templates FILE it only writes the templates as JSON for the nodemailer
 * side, so both send the same messages. With --sign-only N (and --dkim-key) it only signs
 * one composed message N times on one thread and prints the CPU time per signature:
 * "mailcast-dkim signs=N cpu_ms_per_sign=X rate=R" (R signatures per CPU second). With
 * --sign-evp N (and --dkim-key) it times the bare signature operation through OpenSSL's EVP
 * (SHA-256 of a header block of DKIM's size, then the key's signature over it):
 * "evp-sign alg=A signs=N cpu_us_per_sign=X". --dkim-alg rsa|ed25519 names the key's
 * algorithm (rsa by default). With --dkim-cost (and --dkim-key) every thread alternates
 * unsigned and signed batches, with the thread's CPU time of each batch counted to its side,
 * and times 8 bare signatures (contexts made once per thread) after each signed batch; it
 * prints first: "dkim-cost alg=A messages_off=N messages_on=N cpu_us_off=X cpu_us_on=Y
 * added_us=Y-X evp_sign_us=S ratio=(Y-X)/S failed=F", per message and per signature. */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/buf.h"
#include "mail/compose.h"
#include "mail/dkim_signer.h"
#include "mail/message_id.h"
#include "mail/transport_esmtp.h"

#define TEMPLATE_COUNT 100

typedef struct {
    char *subject, *html, *text;
} template_t;

typedef struct {
    const template_t *templates;
    const relay_config *relay;
    const dkim_signer *signer;
    size_t total, per_connection;
    atomic_size_t next;
    atomic_size_t failed;
    atomic_size_t bytes;
    /* --dkim-cost: batches alternate unsigned and signed on every thread; each batch's thread
     * CPU time goes to its side, and between pairs of batches the thread times a few bare
     * signatures, so the three figures share the machine's load of the same moments */
    bool alternate;
    EVP_PKEY *bare_key;
    atomic_llong cpu_ns[2];
    atomic_size_t messages[2];
    atomic_llong sign_ns;
    atomic_size_t signs;
} bench_t;

/* CPU nanoseconds of the calling thread, user and system */
static long long thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* What one bare DKIM signature needs, made once per thread so that timing it counts the
 * signature alone, as openssl speed does: an Ed25519 signing context, or an RSA one set for
 * PKCS#1 v1.5 over a SHA-256 digest. */
typedef struct {
    EVP_MD_CTX *ed;
    EVP_PKEY_CTX *rsa;
} bare_signer;

static void bare_signer_init(bare_signer *bs, EVP_PKEY *key)
{
    bs->ed = NULL;
    bs->rsa = NULL;
    if (!key) return;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
        bs->ed = EVP_MD_CTX_new();
        EVP_DigestSignInit_ex(bs->ed, NULL, NULL, NULL, NULL, key, NULL);
    } else {
        bs->rsa = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        EVP_PKEY_sign_init(bs->rsa);
        EVP_PKEY_CTX_set_rsa_padding(bs->rsa, 1);
        EVP_PKEY_CTX_set_signature_md(bs->rsa, EVP_sha256());
    }
}

static void bare_signer_free(bare_signer *bs)
{
    EVP_MD_CTX_free(bs->ed);
    EVP_PKEY_CTX_free(bs->rsa);
}

/* One bare DKIM signature: the SHA-256 of 600 bytes of header data, then the signature over
 * that digest (pure Ed25519 as RFC 8463 has it, or PKCS#1 v1.5). returns 0, or -1. */
static int bare_signature(const bare_signer *bs, unsigned seed)
{
    unsigned char data[600], digest[32], sig[1024];
    size_t sig_len = sizeof sig;
    memset(data, 'h', sizeof data);
    memcpy(data, &seed, sizeof seed);
    int ok = EVP_Digest(data, sizeof data, digest, NULL, EVP_sha256(), NULL);
    if (bs->ed)
        ok = ok && EVP_DigestSign(bs->ed, sig, &sig_len, digest, sizeof digest);
    else
        ok = ok && bs->rsa && EVP_PKEY_sign(bs->rsa, sig, &sig_len, digest, sizeof digest);
    return ok ? 0 : -1;
}

static const char *const WORDS[] = {
    "campaign", "update",   "release", "feature", "customer", "pricing", "webinar", "report",
    "growth",   "security", "team",    "product", "offer",    "guide",   "season",  "invite",
    "news",     "survey",   "event",   "story",   "analysis", "market",  "partner", "launch"};

static void add_words(buf_t *b, unsigned *seed, int count)
{
    for (int i = 0; i < count; i++) {
        *seed = *seed * 1103515245u + 12345u;
        buf_append_cstr(b, WORDS[(*seed >> 16) % (sizeof WORDS / sizeof WORDS[0])]);
        buf_putc(b, i + 1 == count ? '.' : ' ');
    }
}

/* Builds template t: about 6.5 KB of HTML and 3 KB of text with {{name}}, {{email}} and
 * {{unsubscribe}} placeholders, deterministic so every run sends the same bytes. */
static void make_template(template_t *t, unsigned index)
{
    unsigned seed = index * 7919u + 1;
    buf_t subject = BUF_INIT, html = BUF_INIT, text = BUF_INIT;
    buf_appendf(&subject, "Issue %u: news for {{name}}", index);
    buf_append_cstr(&html, "<!doctype html><html><head><style>p{font:14px sans-serif}</style>"
                           "</head><body><h1>Hello {{name}}</h1>");
    buf_append_cstr(&text, "Hello {{name}}\n\n");
    for (int p = 0; p < 11; p++) {
        buf_t para = BUF_INIT;
        add_words(&para, &seed, 45);
        buf_appendf(&html,
                    "<p>%s <a href=\"https://news.example.com/articles/%u/%d?utm_source=mail\">"
                    "Read more</a></p>\n",
                    para.p, index, p);
        buf_appendf(&text, "%s Read more: https://news.example.com/articles/%u/%d\n\n", para.p,
                    index, p);
        buf_free(&para);
    }
    buf_append_cstr(&html, "<p>Sent to {{email}}. <a href=\"{{unsubscribe}}\">Unsubscribe</a></p>"
                           "</body></html>");
    buf_append_cstr(&text, "Sent to {{email}}. Unsubscribe: {{unsubscribe}}\n");
    t->subject = buf_detach(&subject, NULL);
    t->html = buf_detach(&html, NULL);
    t->text = buf_detach(&text, NULL);
}

/* appends src with the placeholders of message i replaced */
static void render(buf_t *out, const char *src, size_t i)
{
    buf_reset(out);
    const char *p = src;
    for (;;) {
        const char *open = strstr(p, "{{");
        if (!open) break;
        buf_append(out, p, (size_t)(open - p));
        if (!strncmp(open, "{{name}}", 8)) {
            buf_appendf(out, "Subscriber %zu", i);
            p = open + 8;
        } else if (!strncmp(open, "{{email}}", 9)) {
            buf_appendf(out, "user%zu@example.org", i);
            p = open + 9;
        } else if (!strncmp(open, "{{unsubscribe}}", 15)) {
            buf_appendf(out, "https://news.example.com/u/%zu", i);
            p = open + 15;
        } else {
            buf_append(out, "{{", 2);
            p = open + 2;
        }
    }
    buf_append_cstr(out, p);
}

static void *sender_thread(void *arg)
{
    bench_t *b = arg;
    mail_transport *t = transport_esmtp_new(b->relay);
    size_t m = b->per_connection;
    buf_t *data = calloc(m, sizeof *data), *ids = calloc(m, sizeof *ids),
          *rcpts = calloc(m, sizeof *rcpts);
    mail_envelope *env = calloc(m, sizeof *env);
    mail_result *res = calloc(m, sizeof *res);
    buf_t subject = BUF_INIT, html = BUF_INIT, text = BUF_INIT, scratch = BUF_INIT,
          unsub = BUF_INIT, name = BUF_INIT, sub_id = BUF_INIT;
    static const uint8_t secret[] = "benchmark secret, not for production";
    bare_signer bs;
    bare_signer_init(&bs, b->bare_key);
    unsigned batch = 0;
    for (;; batch++) {
        size_t first = atomic_fetch_add(&b->next, m);
        if (first >= b->total) break;
        int side = b->alternate ? (int)(batch & 1) : b->signer != NULL;
        const dkim_signer *signer = side ? b->signer : NULL;
        long long cpu_start = thread_cpu_ns();
        size_t n = b->total - first < m ? b->total - first : m;
        for (size_t k = 0; k < n; k++) {
            size_t i = first + k;
            const template_t *tp = &b->templates[i % TEMPLATE_COUNT];
            render(&subject, tp->subject, i);
            render(&html, tp->html, i);
            render(&text, tp->text, i);
            buf_reset(&rcpts[k]);
            buf_appendf(&rcpts[k], "user%zu@example.org", i);
            buf_reset(&name);
            buf_appendf(&name, "Subscriber %zu", i);
            buf_reset(&unsub);
            buf_appendf(&unsub, "https://news.example.com/u/%zu", i);
            buf_reset(&sub_id);
            buf_appendf(&sub_id, "%zu", i);
            buf_reset(&ids[k]);
            mc_error err;
            message_id_make(&ids[k], secret, sizeof secret - 1, STR_LIT("campaign"), STR_LIT("1"),
                            buf_view(&sub_id), STR_LIT("example.com"), &err);
            mail_message msg = {
                .from = {STR_LIT("news@example.com"), STR_LIT("Example News")},
                .to = {buf_view(&rcpts[k]), buf_view(&name)},
                .subject = buf_view(&subject),
                .html = buf_view(&html),
                .text = buf_view(&text),
                .message_id = buf_view(&ids[k]),
                .date = time(NULL),
                .list_id = STR_LIT("news.example.com"),
                .unsubscribe_url = buf_view(&unsub),
                .unsubscribe_mailto = STR_LIT("unsubscribe@example.com"),
                .feedback_id = STR_LIT("1:news:campaign:mailcast"),
            };
            buf_reset(&data[k]);
            if (mail_compose(&msg, signer, &scratch, &data[k], &err) < 0) {
                fprintf(stderr, "bench: %s\n", err.message);
                exit(1);
            }
            atomic_fetch_add(&b->bytes, data[k].n);
            env[k] = (mail_envelope){STR_LIT("bounces@example.com"), buf_view(&rcpts[k]),
                                     buf_view(&data[k]), buf_view(&ids[k])};
        }
        mc_error err;
        if (mail_transport_send(t, env, n, res, &err) < 0)
            fprintf(stderr, "bench: %s\n", err.message);
        for (size_t k = 0; k < n; k++)
            if (res[k].outcome != MAIL_SENT) atomic_fetch_add(&b->failed, 1);
        atomic_fetch_add(&b->cpu_ns[side], thread_cpu_ns() - cpu_start);
        atomic_fetch_add(&b->messages[side], n);
        if (b->alternate && (batch & 1)) {
            long long sign_start = thread_cpu_ns();
            for (unsigned k = 0; k < 8; k++)
                if (bare_signature(&bs, batch * 8 + k) < 0) atomic_fetch_add(&b->failed, 1);
            atomic_fetch_add(&b->sign_ns, thread_cpu_ns() - sign_start);
            atomic_fetch_add(&b->signs, 8);
        }
    }
    for (size_t k = 0; k < m; k++) {
        buf_free(&data[k]);
        buf_free(&ids[k]);
        buf_free(&rcpts[k]);
    }
    free(data);
    free(ids);
    free(rcpts);
    free(env);
    free(res);
    buf_free(&subject);
    buf_free(&html);
    buf_free(&text);
    buf_free(&scratch);
    buf_free(&unsub);
    buf_free(&name);
    buf_free(&sub_id);
    bare_signer_free(&bs);
    mail_transport_free(t);
    return NULL;
}

static int write_templates(const template_t *templates, const char *path)
{
    json_t *array = json_array();
    for (int i = 0; i < TEMPLATE_COUNT; i++)
        json_array_append_new(array,
                              json_pack("{s:s,s:s,s:s}", "subject", templates[i].subject, "html",
                                        templates[i].html, "text", templates[i].text));
    int rc = json_dump_file(array, path, JSON_COMPACT);
    json_decref(array);
    return rc;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    buf_t b = BUF_INIT;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    return buf_detach(&b, NULL);
}

/* user + system CPU seconds of the whole process, every thread included */
static double process_cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Signs the first template's message n times on this thread: what the signer alone costs,
 * to set against openssl's RSA operation. returns 0, or 1 when signing fails. */
static int sign_only(const template_t *templates, const dkim_signer *signer, size_t n)
{
    buf_t subject = BUF_INIT, html = BUF_INIT, text = BUF_INIT, scratch = BUF_INIT,
          message = BUF_INIT, out = BUF_INIT;
    render(&subject, templates[0].subject, 0);
    render(&html, templates[0].html, 0);
    render(&text, templates[0].text, 0);
    mail_message msg = {
        .from = {STR_LIT("news@example.com"), STR_LIT("Example News")},
        .to = {STR_LIT("user0@example.org"), STR_LIT("Subscriber 0")},
        .subject = buf_view(&subject),
        .html = buf_view(&html),
        .text = buf_view(&text),
        .message_id = STR_LIT("<0@example.com>"),
        .date = time(NULL),
        .list_id = STR_LIT("news.example.com"),
        .unsubscribe_url = STR_LIT("https://news.example.com/u/0"),
        .unsubscribe_mailto = STR_LIT("unsubscribe@example.com"),
        .feedback_id = STR_LIT("1:news:campaign:mailcast"),
    };
    mc_error err;
    int rc = mail_compose(&msg, NULL, &scratch, &message, &err) < 0;
    double start = cpu_seconds();
    for (size_t i = 0; i < n && rc == 0; i++) {
        buf_reset(&out);
        if (dkim_signer_sign(signer, STR_LIT("example.com"), buf_view(&message), &out, &err) != 0)
            rc = 1;
    }
    double seconds = cpu_seconds() - start;
    if (rc == 0)
        printf("mailcast-dkim signs=%zu cpu_ms_per_sign=%.3f rate=%.0f\n", n, seconds * 1000 / n,
               n / seconds);
    else
        fprintf(stderr, "bench: signing failed\n");
    buf_free(&subject);
    buf_free(&html);
    buf_free(&text);
    buf_free(&scratch);
    buf_free(&message);
    buf_free(&out);
    return rc;
}

/* Times n bare signatures with the key in PEM file path: the SHA-256 of 600 bytes (a signed
 * header block) and the key's signature over that digest, which is what one DKIM signature
 * costs at the least. returns 0, or 1 when the key cannot be used. */
static int sign_evp(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    if (!key) {
        fprintf(stderr, "bench: cannot read the key %s\n", path);
        return 1;
    }
    bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
    unsigned char data[600], digest[32], sig[1024];
    memset(data, 'h', sizeof data);
    int rc = 0;
    double start = cpu_seconds();
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t sig_len = sizeof sig;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        data[0] = (unsigned char)i;
        if (ed) {
            rc = !(EVP_Digest(data, sizeof data, digest, NULL, EVP_sha256(), NULL) &&
                   EVP_DigestSignInit(md, NULL, NULL, NULL, key) &&
                   EVP_DigestSign(md, sig, &sig_len, digest, sizeof digest));
        } else {
            rc = !(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) &&
                   EVP_DigestSign(md, sig, &sig_len, data, sizeof data));
        }
        EVP_MD_CTX_free(md);
    }
    double seconds = cpu_seconds() - start;
    if (rc == 0)
        printf("evp-sign alg=%s signs=%zu cpu_us_per_sign=%.2f\n", ed ? "ed25519" : "rsa", n,
               seconds * 1e6 / n);
    else
        fprintf(stderr, "bench: EVP signing failed\n");
    EVP_PKEY_free(key);
    return rc;
}

int main(int argc, char **argv)
{
    const char *port = "2525", *dkim_key = NULL, *templates_out = NULL, *dkim_alg = "rsa";
    size_t total = 50000, connections = 4, per_connection = 100, sign_only_count = 0,
           sign_evp_count = 0;
    bool dkim_cost = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = argv[i + 1];
        if (!strcmp(argv[i], "--messages")) total = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--connections")) connections = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--per-connection")) per_connection = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--dkim-key")) dkim_key = argv[i + 1];
        if (!strcmp(argv[i], "--write-templates")) templates_out = argv[i + 1];
        if (!strcmp(argv[i], "--sign-only")) sign_only_count = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--sign-evp")) sign_evp_count = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--dkim-alg")) dkim_alg = argv[i + 1];
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--dkim-cost")) dkim_cost = true;
    if (sign_evp_count > 0) {
        if (!dkim_key) fprintf(stderr, "bench: --sign-evp needs --dkim-key\n");
        return dkim_key ? sign_evp(dkim_key, sign_evp_count) : 2;
    }
    template_t templates[TEMPLATE_COUNT];
    for (unsigned i = 0; i < TEMPLATE_COUNT; i++)
        make_template(&templates[i], i);
    if (templates_out) return write_templates(templates, templates_out) == 0 ? 0 : 1;
    if (connections < 1 || connections > 64 || per_connection < 1) {
        fprintf(stderr, "bench: bad --connections or --per-connection\n");
        return 2;
    }

    dkim_signer *signer = NULL;
    if (dkim_key) {
        char *pem = read_file(dkim_key);
        mc_error err;
        signer = dkim_signer_new();
        dkim_algorithm alg =
            strcmp(dkim_alg, "ed25519") ? DKIM_ALG_RSA_SHA256 : DKIM_ALG_ED25519_SHA256;
        if (!pem || dkim_signer_add_key(signer, "example.com", "bench", pem, alg, &err) < 0) {
            fprintf(stderr, "bench: cannot use the DKIM key %s: %s\n", dkim_key,
                    pem ? err.message : "unreadable");
            return 1;
        }
        free(pem);
    }
    if (sign_only_count > 0) {
        int rc = signer ? sign_only(templates, signer, sign_only_count) : 2;
        if (!signer) fprintf(stderr, "bench: --sign-only needs --dkim-key\n");
        dkim_signer_free(signer);
        for (int i = 0; i < TEMPLATE_COUNT; i++) {
            free(templates[i].subject);
            free(templates[i].html);
            free(templates[i].text);
        }
        return rc;
    }
    relay_config relay = {.name = "sink",
                          .host = "127.0.0.1",
                          .port = (unsigned)strtoul(port, NULL, 10),
                          .tls = RELAY_TLS_OFF,
                          .helo = "bench.example.com",
                          .timeout_ms = 30000};
    bench_t b = {.templates = templates,
                 .relay = &relay,
                 .signer = signer,
                 .total = total,
                 .per_connection = per_connection,
                 .alternate = dkim_cost && signer};
    if (b.alternate) {
        FILE *f = fopen(dkim_key, "rb");
        b.bare_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f) fclose(f);
        if (!b.bare_key) return 1;
    }
    pthread_t threads[64];
    struct timespec start, end;
    double cpu_start = process_cpu_seconds();
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < connections; i++)
        pthread_create(&threads[i], NULL, sender_thread, &b);
    for (size_t i = 0; i < connections; i++)
        pthread_join(threads[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double cpu = process_cpu_seconds() - cpu_start;
    double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    if (b.alternate) {
        double off = (double)b.cpu_ns[0] / 1e3 / (double)(b.messages[0] ? b.messages[0] : 1);
        double on = (double)b.cpu_ns[1] / 1e3 / (double)(b.messages[1] ? b.messages[1] : 1);
        double sign = (double)b.sign_ns / 1e3 / (double)(b.signs ? b.signs : 1);
        printf("dkim-cost alg=%s messages_off=%zu messages_on=%zu cpu_us_off=%.2f cpu_us_on=%.2f "
               "added_us=%.2f evp_sign_us=%.2f ratio=%.3f failed=%zu\n",
               dkim_alg, (size_t)b.messages[0], (size_t)b.messages[1], off, on, on - off, sign,
               (on - off) / sign, (size_t)b.failed);
        EVP_PKEY_free(b.bare_key);
    }
    printf("mailcast messages=%zu failed=%zu seconds=%.2f rate=%.0f avg_bytes=%zu "
           "cpu_us_per_msg=%.2f\n",
           total, (size_t)b.failed, seconds, (double)total / seconds, (size_t)b.bytes / total,
           cpu * 1e6 / total);
    dkim_signer_free(signer);
    for (int i = 0; i < TEMPLATE_COUNT; i++) {
        free(templates[i].subject);
        free(templates[i].html);
        free(templates[i].text);
    }
    return b.failed ? 1 : 0;
}
