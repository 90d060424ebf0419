/* One easy handle per poll, so libcurl keeps one IMAP connection (and its SELECT) for the
 * search, every fetch and every flag. */
#include "track/bounce_mailbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/membership.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/query.h"
#include "track/bounce_parse.h"
#include "track/bounce_store.h"
#include "track/curl_setup.h"
#include "track/unsubscribe_address.h"

/* messages read per poll: the rest wait for the next one */
#define POLL_MAX_MESSAGES 200
/* a report bigger than this is read only this far */
#define MESSAGE_MAX_BYTES (4u << 20)
#define IMAP_TIMEOUT_MS   30000L

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
    buf_t *out = arg;
    size_t n = size * count;
    if (out->n + n > MESSAGE_MAX_BYTES) return n; /* the rest is dropped, not an error */
    buf_append(out, data, n);
    return n;
}

typedef struct {
    CURL *curl;
    buf_t folder_url; /* imap_url/folder */
    buf_t url;
    buf_t body;
    char errbuf[CURL_ERROR_SIZE];
} imap_session;

/* Runs request (a custom IMAP command, NULL to fetch) on url; the untagged answer or the
 * message goes into s->body. returns 0 or -1 with err. */
static int imap_run(imap_session *s, const char *url, const char *request, mc_error *err)
{
    buf_reset(&s->body);
    s->errbuf[0] = '\0';
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, request);
    CURLcode rc = curl_easy_perform(s->curl);
    if (rc != CURLE_OK)
        return mc_error_set(err, 502, "bounce_mailbox", "bounces.imap_url",
                            "the bounce mailbox: %s",
                            s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    return 0;
}

/* Reads the UIDs of "* SEARCH 4 7 9" lines into uids. returns how many. */
static size_t search_uids(str_t answer, unsigned long long *uids, size_t cap)
{
    size_t n = 0;
    const char *p = answer.p, *end = answer.p + answer.n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if (line_end - p > 8 && !strncasecmp(p, "* SEARCH", 8)) {
            const char *q = p + 8;
            while (q < line_end && n < cap) {
                while (q < line_end && (*q == ' ' || *q == '\r'))
                    q++;
                unsigned long long v = 0;
                int digits = 0;
                while (q < line_end && *q >= '0' && *q <= '9' && digits < 19) {
                    v = v * 10 + (unsigned long long)(*q++ - '0');
                    digits++;
                }
                if (!digits) break;
                uids[n++] = v;
            }
        }
        p = eol ? eol + 1 : end;
    }
    return n;
}

/* Unsubscribes the subscriber named by an unsubscribe address among the recipients in the
 * headers of mail. returns 1 when it was such mail, 0 when not, -1 with err. */
static int mailto_unsubscribe(app_t *app, PGconn *conn, str_t headers, mc_error *err)
{
    static const char *const fields[] = {"To",          "Cc", "Delivered-To", "X-Original-To",
                                         "Envelope-To", NULL};
    buf_t v = BUF_INIT;
    long long subscriber = 0, message = 0;
    bool found = false;
    for (int i = 0; fields[i] && !found; i++)
        if (bounce_mail_header(headers, fields[i], &v))
            found = unsubscribe_address_find(app->secret, buf_view(&v), &subscriber, &message);
    buf_free(&v);
    if (!found) return 0;
    if (db_begin(conn, err) < 0) return -1;
    if (membership_unsubscribe_everything(conn, subscriber, "mailto", NULL, message, err) < 0 ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return 1;
}

/* Processes one message. returns 0 or -1 with err. */
static int process(app_t *app, PGconn *conn, str_t mail, bounce_mailbox_counts *counts,
                   mc_error *err)
{
    str_t headers = bounce_mail_headers(mail);
    int unsubscribed = mailto_unsubscribe(app, conn, headers, err);
    if (unsubscribed < 0) return -1;
    if (unsubscribed) {
        counts->unsubscribes++;
        return 0;
    }
    bounce_report r;
    bounce_mail_type type =
        bounce_parse_mail(mail, bounce_verp_prefix(app->config.bounce_address), &r);
    if (type == BOUNCE_MAIL_OTHER) {
        counts->other++;
        return 0;
    }
    /* the report's own Message-ID: seen again (a flag lost), it is not recorded twice */
    buf_t ref = BUF_INIT;
    bounce_mail_header(headers, "Message-ID", &ref);
    str_t id = str_trim(buf_view(&ref));
    /* printable ASCII only: stored as text, whatever bytes the header held */
    char source_ref[301];
    size_t n = 0;
    for (size_t i = 0; i < id.n && n < sizeof source_ref - 1; i++)
        if (id.p[i] > ' ' && id.p[i] < 127) source_ref[n++] = id.p[i];
    source_ref[n] = '\0';
    buf_free(&ref);
    long long recorded =
        bounce_record(conn, &app->config, app->secret, &r, type == BOUNCE_MAIL_ARF ? "arf" : "dsn",
                      source_ref[0] ? source_ref : NULL, 0, err);
    if (recorded < 0) return -1;
    if (recorded == 0)
        counts->other++;
    else if (type == BOUNCE_MAIL_ARF)
        counts->complaints++;
    else
        counts->bounces++;
    return 0;
}

int bounce_mailbox_poll(app_t *app, PGconn *conn, const bool *stop, bounce_mailbox_counts *counts,
                        mc_error *err)
{
    const config_t *cfg = &app->config;
    imap_session s = {0};
    s.curl = track_curl_new(IMAP_TIMEOUT_MS * 4);
    /* imap_url/FOLDER, the folder's name escaped for the URL */
    buf_append_cstr(&s.folder_url, cfg->bounces_imap_url);
    while (s.folder_url.n && s.folder_url.p[s.folder_url.n - 1] == '/')
        s.folder_url.p[--s.folder_url.n] = '\0';
    char *folder = curl_easy_escape(s.curl, cfg->bounces_folder, 0);
    buf_appendf(&s.folder_url, "/%s", folder);
    curl_free(folder);

    curl_easy_setopt(s.curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(s.curl, CURLOPT_ERRORBUFFER, s.errbuf);
    curl_easy_setopt(s.curl, CURLOPT_CONNECTTIMEOUT_MS, IMAP_TIMEOUT_MS);
    curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(s.curl, CURLOPT_WRITEDATA, &s.body);
    if (cfg->bounces_username[0]) curl_easy_setopt(s.curl, CURLOPT_USERNAME, cfg->bounces_username);
    if (cfg->bounces_password[0]) curl_easy_setopt(s.curl, CURLOPT_PASSWORD, cfg->bounces_password);

    unsigned long long uids[POLL_MAX_MESSAGES];
    size_t n = 0;
    int rc =
        imap_run(&s, buf_cstr(&s.folder_url), "UID SEARCH UNKEYWORD " BOUNCE_MAILBOX_KEYWORD, err);
    if (rc == 0) n = search_uids(buf_view(&s.body), uids, POLL_MAX_MESSAGES);
    for (size_t i = 0; rc == 0 && i < n && !*stop; i++) {
        buf_reset(&s.url);
        buf_appendf(&s.url, "%s/;UID=%llu", buf_cstr(&s.folder_url), uids[i]);
        rc = imap_run(&s, buf_cstr(&s.url), NULL, err);
        if (rc == 0) rc = process(app, conn, buf_view(&s.body), counts, err);
        /* a message the database refuses (not a failure of the database) would stop every
         * later poll at it: it is flagged as read without effect */
        if (rc < 0 && err->status == 400) {
            log_warn("bounce mailbox: message %llu left alone: %s", uids[i], err->message);
            counts->other++;
            rc = 0;
        }
        if (rc == 0) {
            char store[128];
            snprintf(store, sizeof store,
                     "UID STORE %llu +FLAGS (\\Seen " BOUNCE_MAILBOX_KEYWORD ")", uids[i]);
            rc = imap_run(&s, buf_cstr(&s.folder_url), store, err);
        }
    }
    curl_easy_cleanup(s.curl);
    buf_free(&s.folder_url);
    buf_free(&s.url);
    buf_free(&s.body);
    return rc;
}
