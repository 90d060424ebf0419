/* mailcast send-test: sends a sample message through the configured relay (or into the
 * capture outbox) and prints the result for each recipient, so an operator can check the
 * relay, TLS, AUTH and DKIM settings before a campaign does. */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/file.h"
#include "cli/options.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/config.h"
#include "mail/compose.h"
#include "mail/dkim_signer.h"
#include "mail/mail_setup.h"
#include "mail/message_id.h"
#include "mail/relay.h"
#include "mail/verp.h"

extern char **environ;

static const char SAMPLE_HTML[] =
    "<!doctype html><html><head><title>mailcast test</title>"
    "<style>p{color:#333}</style></head><body>"
    "<h1>mailcast test message</h1>"
    "<p>This message checks the relay, TLS, authentication and DKIM settings of this "
    "server. If you can read it, they work.</p>"
    "<ul><li>MIME: multipart/alternative, UTF-8, quoted-printable</li>"
    "<li>Headers: List-Unsubscribe with one-click, List-Id, Feedback-ID</li></ul>"
    "<p>Documentation: <a href=\"https://example.com/docs/mail\">mail layer</a>.</p>"
    "</body></html>";

static int read_file(const char *path, buf_t *out)
{
    if (file_read_all(path, 64u * 1024 * 1024, out) == 0) return 0;
    fprintf(stderr, "mailcast: cannot read %s: %s\n", path, strerror(errno));
    return -1;
}

static void load_secret(const config_t *cfg, buf_t *secret)
{
    FILE *f = fopen(cfg->secret_file, "rb");
    if (f) {
        char chunk[64];
        size_t got = fread(chunk, 1, sizeof chunk, f);
        fclose(f);
        if (got > 0) {
            buf_append(secret, chunk, got);
            return;
        }
    }
    /* no server secret yet: ids for a one-off test message need only be unique */
    unsigned char random[32];
    RAND_bytes(random, sizeof random);
    buf_append(secret, random, sizeof random);
}

typedef struct {
    const char *config, *to, *relay, *from, *from_name, *to_name, *subject, *html_file, *text_file,
        *header, *attach, *attach_name, *attach_type, *unsubscribe_url, *unsubscribe_mailto,
        *list_id, *list_name, *feedback_id, *count;
} send_sample_args;

static int parse_header(const char *arg, mail_header *h)
{
    const char *colon = strchr(arg, ':');
    if (!colon) {
        fprintf(stderr, "mailcast: --header must be \"Name: value\"\n");
        return -1;
    }
    h->name = str_make(arg, (size_t)(colon - arg));
    const char *v = colon + 1;
    while (*v == ' ')
        v++;
    h->value = str_from_cstr(v);
    return 0;
}

/* returns the transport, and in *per_connection the chosen relay's messages per session
 * (0 for the capture outbox: one batch) */
static mail_transport *choose_transport(const mail_setup *setup, const char *relay_name,
                                        size_t *per_connection)
{
    *per_connection = 0;
    const relay_set *relays = &setup->relays;
    if (relays->count == 0) {
        printf("no [smtp.*] relay configured: messages are captured in %s\n", setup->outbox_dir);
        return mail_setup_transport(setup, 0);
    }
    size_t index = 0;
    if (relay_name) {
        const relay_config *found = relay_set_find(relays, relay_name);
        if (!found) {
            fprintf(stderr, "mailcast: no relay [smtp.%s] in the configuration\n", relay_name);
            return NULL;
        }
        index = (size_t)(found - relays->relays);
    } else {
        relay_pool *pool = relay_pool_new(relays);
        uint64_t random;
        RAND_bytes((unsigned char *)&random, sizeof random);
        int picked = relay_pool_pick(pool, (double)time(NULL), random, NULL);
        relay_pool_free(pool);
        index = picked < 0 ? 0 : (size_t)picked;
    }
    const relay_config *relay = &relays->relays[index];
    *per_connection = relay->messages_per_connection;
    printf("relay %s: %s:%u, tls %s\n", relay->name, relay->host, relay->port,
           relay->tls == RELAY_TLS_OFF             ? "off"
           : relay->tls == RELAY_TLS_OPPORTUNISTIC ? "opportunistic"
           : relay->tls == RELAY_TLS_STARTTLS      ? "starttls"
                                                   : "implicit");
    return mail_setup_transport(setup, index);
}

/* builds and sends the messages; returns the exit status */
static int send_messages(const config_t *cfg, const send_sample_args *a, const dkim_signer *signer,
                         mail_transport *transport, size_t per_connection)
{
    buf_t html = BUF_INIT, text = BUF_INIT, attachment = BUF_INIT, secret = BUF_INIT;
    int status = 2;
    long count = a->count ? strtol(a->count, NULL, 10) : 1;
    if (count < 1 || count > 100000) {
        fprintf(stderr, "mailcast: --count must be from 1 to 100000\n");
        goto done;
    }
    if (a->html_file ? read_file(a->html_file, &html) < 0
                     : (buf_append_cstr(&html, SAMPLE_HTML), 0))
        goto done;
    if (a->text_file && read_file(a->text_file, &text) < 0) goto done;
    if (a->attach && read_file(a->attach, &attachment) < 0) goto done;
    load_secret(cfg, &secret);

    mail_message m = {0};
    m.from = (mail_address){str_from_cstr(a->from), str_from_cstr(a->from_name)};
    m.subject = str_from_cstr(a->subject ? a->subject : "mailcast test message");
    m.html = buf_view(&html);
    m.text = buf_view(&text);
    m.date = time(NULL);
    m.list_id = str_from_cstr(a->list_id);
    m.list_name = str_from_cstr(a->list_name);
    m.unsubscribe_url = str_from_cstr(a->unsubscribe_url);
    m.unsubscribe_mailto = str_from_cstr(a->unsubscribe_mailto);
    m.feedback_id = str_from_cstr(a->feedback_id ? a->feedback_id : "send-test:0:system:mailcast");
    mail_header header;
    if (a->header) {
        if (parse_header(a->header, &header) < 0) goto done;
        m.headers = &header;
        m.header_count = 1;
    }
    mail_attachment att;
    if (a->attach) {
        const char *base = strrchr(a->attach, '/');
        att.filename = str_from_cstr(a->attach_name ? a->attach_name : base ? base + 1 : a->attach);
        att.content_type = str_from_cstr(a->attach_type);
        att.data = buf_view(&attachment);
        m.attachments = &att;
        m.attachment_count = 1;
    }

    /* recipients: comma-separated, each sent count times, all in one batch */
    size_t recipient_count = 1;
    for (const char *p = a->to; *p; p++)
        recipient_count += *p == ',';
    size_t total = recipient_count * (size_t)count;
    buf_t *data = xcalloc(total, sizeof *data);
    buf_t *senders = xcalloc(total, sizeof *senders);
    buf_t *ids = xcalloc(total, sizeof *ids);
    mail_envelope *envelopes = xcalloc(total, sizeof *envelopes);
    mail_result *results = xcalloc(total, sizeof *results);
    buf_t scratch = BUF_INIT, source = BUF_INIT, subscriber = BUF_INIT;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    buf_appendf(&source, "send-test-%lld.%09ld", (long long)now.tv_sec, now.tv_nsec);
    size_t built = 0;
    const char *cursor = a->to;
    mc_error err;
    for (size_t r = 0; r < recipient_count; r++) {
        const char *comma = strchr(cursor, ',');
        str_t rcpt = str_trim(str_make(cursor, comma ? (size_t)(comma - cursor) : strlen(cursor)));
        cursor = comma ? comma + 1 : cursor + strlen(cursor);
        m.to = (mail_address){rcpt, str_from_cstr(a->to_name)};
        for (long c = 0; c < count; c++, built++) {
            buf_reset(&subscriber);
            buf_append_str(&subscriber, rcpt);
            buf_appendf(&subscriber, "#%ld", c);
            if (message_id_make(&ids[built], (const uint8_t *)secret.p, secret.n, STR_LIT("system"),
                                buf_view(&source), buf_view(&subscriber),
                                mail_address_domain(m.from.email), &err) < 0)
                goto invalid;
            m.message_id = buf_view(&ids[built]);
            if (mail_compose(&m, signer, &scratch, &data[built], &err) < 0) goto invalid;
            /* the VERP token: the Message-ID's hex part */
            str_t token = str_make(ids[built].p + 1, 32);
            if (verp_envelope_sender(str_from_cstr(cfg->bounce_address), token, m.from.email,
                                     &senders[built], &err) < 0)
                goto invalid;
            envelopes[built] = (mail_envelope){buf_view(&senders[built]), rcpt,
                                               buf_view(&data[built]), buf_view(&ids[built])};
        }
    }
    if (mail_transport_send_all(transport, envelopes, total, per_connection, results, &err) < 0)
        fprintf(stderr, "mailcast: %s\n", err.message);
    status = 0;
    for (size_t i = 0; i < total; i++) {
        printf("to=%.*s result=%s code=%d status=%s maybe_delivered=%s message_id=%.*s"
               " text=%s\n",
               (int)envelopes[i].recipient.n, envelopes[i].recipient.p,
               mail_outcome_name(results[i].outcome), results[i].code,
               results[i].enhanced[0] ? results[i].enhanced : "-",
               results[i].maybe_delivered ? "yes" : "no", (int)ids[i].n, ids[i].p, results[i].text);
        if (results[i].outcome != MAIL_SENT) status = 1;
    }
    goto cleanup;
invalid:
    fprintf(stderr, "mailcast: %s: %s\n", err.field, err.message);
    status = 2;
cleanup:
    for (size_t i = 0; i < total; i++) {
        buf_free(&data[i]);
        buf_free(&senders[i]);
        buf_free(&ids[i]);
    }
    free(data);
    free(senders);
    free(ids);
    free(envelopes);
    free(results);
    buf_free(&scratch);
    buf_free(&source);
    buf_free(&subscriber);
done:
    buf_free(&html);
    buf_free(&text);
    buf_free(&attachment);
    buf_free(&secret);
    return status;
}

int cli_send_sample(int argc, char **argv)
{
    send_sample_args a = {0};
    const cli_option options[] = {
        {"config", "FILE", "configuration file", &a.config, NULL},
        {"to", "ADDR[,ADDR...]", "recipients (required); one message each", &a.to, NULL},
        {"relay", "NAME", "use [smtp.NAME] instead of a weighted choice", &a.relay, NULL},
        {"from", "ADDR", "From address (default: [mail] from_email)", &a.from, NULL},
        {"from-name", "TEXT", "From display name", &a.from_name, NULL},
        {"to-name", "TEXT", "recipient display name", &a.to_name, NULL},
        {"subject", "TEXT", "subject", &a.subject, NULL},
        {"html-file", "FILE", "HTML body (default: a sample)", &a.html_file, NULL},
        {"text-file", "FILE", "text body (default: generated from the HTML)", &a.text_file, NULL},
        {"header", "'NAME: VALUE'", "a custom header", &a.header, NULL},
        {"attach", "FILE", "attach a file", &a.attach, NULL},
        {"attach-name", "NAME", "file name shown for the attachment", &a.attach_name, NULL},
        {"attach-type", "TYPE/SUBTYPE", "content type of the attachment", &a.attach_type, NULL},
        {"unsubscribe-url", "URL", "List-Unsubscribe URL (https: one-click)", &a.unsubscribe_url,
         NULL},
        {"unsubscribe-mailto", "ADDR", "List-Unsubscribe mailto address", &a.unsubscribe_mailto,
         NULL},
        {"list-id", "ID", "List-Id, e.g. news.example.com", &a.list_id, NULL},
        {"list-name", "TEXT", "display name of the list", &a.list_name, NULL},
        {"feedback-id", "ID", "Feedback-ID value", &a.feedback_id, NULL},
        {"count", "N", "messages per recipient, all over one connection", &a.count, NULL},
        {NULL, NULL, NULL, NULL, NULL}};
    const cli_spec spec = {"mailcast send-test --to ADDR [--relay NAME] [--config FILE]",
                           "Sends a sample message through the configured relay (or into the "
                           "outbox when none is configured) and prints each recipient's result.",
                           options, 0, 0};
    int positional_count;
    int rc = cli_parse(&spec, argc, argv, NULL, &positional_count);
    if (rc) return rc == 1 ? 0 : rc;
    if (!a.to || !*a.to) {
        fprintf(stderr, "mailcast: --to is required\n");
        return 2;
    }
    config_t cfg;
    mc_error err;
    if (config_load(&cfg, a.config, environ, &err) < 0) {
        fprintf(stderr, "mailcast: %s\n", err.message);
        return 2;
    }
    mail_setup setup;
    if (mail_setup_load(&setup, &cfg, &err) < 0) {
        fprintf(stderr, "mailcast: %s\n", err.message);
        config_free(&cfg);
        return 2;
    }
    int status = 2;
    mail_transport *transport = NULL;
    if ((!a.from || !*a.from) && mail_setup_require_from(&cfg, "from", &err) < 0) {
        fprintf(stderr, "mailcast: %s, or give --from\n", err.message);
        goto done;
    }
    if (!a.from || !*a.from) a.from = cfg.from_email;
    size_t per_connection;
    transport = choose_transport(&setup, a.relay, &per_connection);
    if (!transport) goto done;
    status = send_messages(&cfg, &a, setup.signer, transport, per_connection);
done:
    mail_transport_free(transport);
    mail_setup_free(&setup);
    config_free(&cfg);
    return status;
}
