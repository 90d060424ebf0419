/* Each provider's payload becomes bounce reports. The message is found as for the bounce
 * mailbox: our Message-ID ("<hex@domain>") or VERP address anywhere in the event (SendGrid's
 * smtp-id, Mailgun's message-id header and envelope sender, SES's mail.source and headers),
 * among the mail of the event's recipient. */
#include "track/webhooks.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/query.h"
#include "track/bounce_parse.h"
#include "track/bounce_store.h"
#include "track/curl_setup.h"
#include "track/webhook_verify.h"

#define FETCH_TIMEOUT_MS 10000L
#define CERT_MAX_BYTES   65536u
#define CERT_CACHE_DAYS  "1"

static const char *str_member(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Looks for our token in the whole event, and in a Message-ID given without angle brackets. */
static void find_token(const config_t *cfg, bounce_report *r, json_t *event, const char *bare_id)
{
    char *text = json_dumps(event, JSON_COMPACT);
    if (text)
        bounce_report_find_token(r, str_from_cstr(text), bounce_verp_prefix(cfg->bounce_address));
    free(text);
    if (!r->token[0] && bare_id) {
        buf_t id = BUF_INIT;
        buf_appendf(&id, "<%s>", bare_id[0] == '<' ? bare_id + 1 : bare_id);
        bounce_report_find_token(r, buf_view(&id), STR_NULL);
        buf_free(&id);
    }
}

typedef struct {
    app_t *app;
    PGconn *conn;
    const char *source;
    long long recorded;
} recorder;

static int record(recorder *rec, const bounce_report *r, const char *ref, mc_error *err)
{
    if (!r->kind[0] || !r->address_count) return 0;
    long long id = bounce_record(rec->conn, &rec->app->config, rec->app->secret, r, rec->source,
                                 ref && ref[0] ? ref : NULL, 0, err);
    if (id < 0) return -1;
    if (id > 0) rec->recorded++;
    return 0;
}

static int refuse(mc_error *err, int status, const char *field, const char *message)
{
    return mc_error_set(err, status, status == 400 ? "invalid_body" : "unauthorized", field, "%s",
                        message);
}

/* ---- Mailgun: {"signature": {"timestamp", "token", "signature"}, "event-data": {...}} */

static int mailgun(recorder *rec, json_t *body, mc_error *err)
{
    const config_t *cfg = &rec->app->config;
    json_t *sig = json_object_get(body, "signature");
    if (!json_is_object(sig)) return refuse(err, 401, "signature", "the request is not signed");
    if (!cfg->bounces_mailgun_signing_key[0])
        return refuse(err, 403, "signature", "[bounces] mailgun_signing_key is not set");
    if (!webhook_mailgun_valid(cfg->bounces_mailgun_signing_key, str_member(sig, "timestamp"),
                               str_member(sig, "token"), str_member(sig, "signature"), time(NULL)))
        return refuse(err, 403, "signature", "the signature is wrong or too old");
    json_t *event = json_object_get(body, "event-data");
    if (!json_is_object(event)) return refuse(err, 400, "event-data", "event-data is missing");
    const char *type = str_member(event, "event");
    const char *severity = str_member(event, "severity");
    bounce_report r = {0};
    if (type && !strcmp(type, "failed"))
        snprintf(r.kind, sizeof r.kind, "%s",
                 severity && !strcmp(severity, "permanent") ? "hard" : "soft");
    else if (type && !strcmp(type, "complained"))
        snprintf(r.kind, sizeof r.kind, "complaint");
    const char *recipient = str_member(event, "recipient");
    if (recipient) bounce_report_add_address(&r, str_from_cstr(recipient));
    json_t *status = json_object_get(event, "delivery-status");
    json_t *code = json_object_get(status, "code");
    if (json_is_integer(code)) r.smtp_code = (int)json_integer_value(code);
    const char *text = str_member(status, "message");
    if (!text || !text[0]) text = str_member(status, "description");
    if (text) bounce_report_add_reason(&r, str_from_cstr(text));
    json_t *headers = json_object_get(json_object_get(event, "message"), "headers");
    find_token(cfg, &r, event, str_member(headers, "message-id"));
    return record(rec, &r, str_member(event, "id"), err);
}

/* ---- SendGrid: a JSON array of events, signed over timestamp + raw body */

static int sendgrid(recorder *rec, str_t raw, const webhook_headers *h, mc_error *err)
{
    const config_t *cfg = &rec->app->config;
    if (!h->signature || !h->timestamp)
        return refuse(err, 401, "signature", "the request is not signed");
    if (!cfg->bounces_sendgrid_public_key[0])
        return refuse(err, 403, "signature", "[bounces] sendgrid_public_key is not set");
    if (!webhook_sendgrid_valid(cfg->bounces_sendgrid_public_key, h->timestamp, raw, h->signature))
        return refuse(err, 403, "signature", "the signature is wrong");
    json_t *events = json_loadb(raw.p, raw.n, 0, NULL);
    if (!json_is_array(events)) {
        json_decref(events);
        return refuse(err, 400, "body", "the body must be a JSON array of events");
    }
    size_t i;
    json_t *event;
    int rc = 0;
    json_array_foreach(events, i, event)
    {
        const char *type = str_member(event, "event");
        bounce_report r = {0};
        if (type && !strcmp(type, "bounce")) {
            /* "blocked" is a refusal of this message (reputation, content), not of the address */
            const char *kind = str_member(event, "type");
            snprintf(r.kind, sizeof r.kind, "%s",
                     kind && !strcmp(kind, "blocked") ? "soft" : "hard");
        } else if (type && !strcmp(type, "spamreport")) {
            snprintf(r.kind, sizeof r.kind, "complaint");
        } else {
            continue;
        }
        const char *email = str_member(event, "email");
        if (email) bounce_report_add_address(&r, str_from_cstr(email));
        const char *status = str_member(event, "status");
        const char *reason = str_member(event, "reason");
        if (status) bounce_report_add_reason(&r, str_from_cstr(status));
        if (reason) {
            bounce_report_add_reason(&r, str_from_cstr(reason));
            int code;
            bounce_kind_of_status(str_from_cstr(reason), &code);
            r.smtp_code = code;
        }
        find_token(cfg, &r, event, NULL);
        if ((rc = record(rec, &r, str_member(event, "sg_event_id"), err)) < 0) break;
    }
    json_decref(events);
    return rc;
}

/* ---- Postmark: one record per request, HTTP basic credentials */

static int postmark(recorder *rec, json_t *body, mc_error *err)
{
    const config_t *cfg = &rec->app->config;
    const char *record_type = str_member(body, "RecordType");
    const char *type = str_member(body, "Type");
    bounce_report r = {0};
    static const char *const hard[] = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated",
                                       NULL};
    static const char *const soft[] = {"SoftBounce", "Transient",    "DnsError",
                                       "Blocked",    "SMTPApiError", NULL};
    if ((record_type && !strcmp(record_type, "SpamComplaint")) ||
        (type && !strcmp(type, "SpamComplaint")))
        snprintf(r.kind, sizeof r.kind, "complaint");
    for (int i = 0; type && !r.kind[0] && hard[i]; i++)
        if (!strcmp(type, hard[i])) snprintf(r.kind, sizeof r.kind, "hard");
    for (int i = 0; type && !r.kind[0] && soft[i]; i++)
        if (!strcmp(type, soft[i])) snprintf(r.kind, sizeof r.kind, "soft");
    const char *email = str_member(body, "Email");
    if (email) bounce_report_add_address(&r, str_from_cstr(email));
    const char *description = str_member(body, "Description");
    const char *details = str_member(body, "Details");
    if (description) bounce_report_add_reason(&r, str_from_cstr(description));
    if (details) bounce_report_add_reason(&r, str_from_cstr(details));
    find_token(cfg, &r, body, NULL);
    char ref[32] = "";
    json_t *id = json_object_get(body, "ID");
    if (json_is_integer(id)) snprintf(ref, sizeof ref, "%lld", (long long)json_integer_value(id));
    return record(rec, &r, ref, err);
}

/* ---- Amazon SES through SNS */

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
    buf_t *out = arg;
    size_t n = size * count;
    if (out->n + n > CERT_MAX_BYTES) return 0; /* too big: the transfer fails */
    buf_append(out, data, n);
    return n;
}

/* GETs url (allowed by the pattern) into out. returns 0 or -1 with err. */
static int fetch(const char *url, buf_t *out, mc_error *err)
{
    CURL *curl = track_curl_new(FETCH_TIMEOUT_MS);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK)
        return mc_error_set(err, 502, "fetch_failed", "SigningCertURL", "fetching %s: %s", url,
                            errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return 0;
}

/* Puts the PEM certificate at url into pem: from sns_certificates when fetched less than a
 * day ago, else fetched and kept. returns 0 or -1 with err. */
static int sns_certificate(PGconn *conn, const char *url, buf_t *pem, mc_error *err)
{
    const char *params[] = {url};
    PGresult *res = db_query(conn,
                             "SELECT pem FROM sns_certificates WHERE url = $1 AND fetched_at >"
                             " now() - interval '" CERT_CACHE_DAYS " day'",
                             1, params, err);
    if (!res) return -1;
    if (PQntuples(res) == 1) {
        buf_append_cstr(pem, PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
    }
    PQclear(res);
    if (fetch(url, pem, err) < 0) return -1;
    if (!pem->n || !memmem(pem->p, pem->n, "BEGIN CERTIFICATE", 17))
        return mc_error_set(err, 502, "fetch_failed", "SigningCertURL",
                            "%s is not a PEM certificate", url);
    const char *store[] = {url, buf_cstr(pem)};
    return db_exec(conn,
                   "INSERT INTO sns_certificates (url, pem) VALUES ($1, $2) ON CONFLICT (url) DO"
                   " UPDATE SET pem = EXCLUDED.pem, fetched_at = now()",
                   2, store, err);
}

static void ses_recipients(bounce_report *base, json_t *list, const char *reason_key, recorder *rec,
                           const char *feedback_id, int *rc, mc_error *err)
{
    size_t i;
    json_t *recipient;
    json_array_foreach(list, i, recipient)
    {
        if (*rc < 0) return;
        bounce_report r = *base;
        r.address_count = 0;
        const char *email = str_member(recipient, "emailAddress");
        if (!email) continue;
        bounce_report_add_address(&r, str_from_cstr(email));
        const char *status = str_member(recipient, "status");
        const char *diagnostic = reason_key ? str_member(recipient, reason_key) : NULL;
        if (status) bounce_report_add_reason(&r, str_from_cstr(status));
        if (diagnostic) {
            bounce_report_add_reason(&r, str_from_cstr(diagnostic));
            int code;
            bounce_kind_of_status(str_from_cstr(diagnostic), &code);
            r.smtp_code = code;
        }
        /* one feedback can name several recipients: each is its own event */
        char ref[300];
        snprintf(ref, sizeof ref, "%s/%s", feedback_id ? feedback_id : "", email);
        *rc = record(rec, &r, feedback_id ? ref : NULL, err);
    }
}

static int ses_notification(recorder *rec, const char *message, mc_error *err)
{
    json_t *n = json_loads(message, 0, NULL);
    if (!json_is_object(n)) {
        json_decref(n);
        return refuse(err, 400, "Message", "the notification's Message is not SES JSON");
    }
    const char *type = str_member(n, "notificationType");
    if (!type) type = str_member(n, "eventType"); /* event publishing */
    bounce_report base = {0};
    find_token(&rec->app->config, &base, json_object_get(n, "mail"), NULL);
    int rc = 0;
    if (type && !strcmp(type, "Bounce")) {
        json_t *bounce = json_object_get(n, "bounce");
        const char *bounce_type = str_member(bounce, "bounceType");
        snprintf(base.kind, sizeof base.kind, "%s",
                 bounce_type && !strcmp(bounce_type, "Permanent") ? "hard" : "soft");
        ses_recipients(&base, json_object_get(bounce, "bouncedRecipients"), "diagnosticCode", rec,
                       str_member(bounce, "feedbackId"), &rc, err);
    } else if (type && !strcmp(type, "Complaint")) {
        json_t *complaint = json_object_get(n, "complaint");
        snprintf(base.kind, sizeof base.kind, "complaint");
        const char *feedback = str_member(complaint, "complaintFeedbackType");
        if (feedback) {
            buf_t reason = BUF_INIT;
            buf_appendf(&reason, "feedback-type: %s", feedback);
            bounce_report_add_reason(&base, buf_view(&reason));
            buf_free(&reason);
        }
        ses_recipients(&base, json_object_get(complaint, "complainedRecipients"), NULL, rec,
                       str_member(complaint, "feedbackId"), &rc, err);
    }
    json_decref(n);
    return rc;
}

static int ses(recorder *rec, json_t *body, mc_error *err)
{
    const config_t *cfg = &rec->app->config;
    const char *signature = str_member(body, "Signature");
    const char *cert_url = str_member(body, "SigningCertURL");
    if (!signature || !cert_url) return refuse(err, 401, "Signature", "the message is not signed");
    if (!webhook_sns_url_allowed(cfg->bounces_ses_certificate_url, cert_url))
        return refuse(err, 403, "SigningCertURL",
                      "SigningCertURL is not allowed by [bounces] ses_certificate_url");
    buf_t text = BUF_INIT, pem = BUF_INIT;
    int rc = 0;
    if (!webhook_sns_string_to_sign(body, &text))
        rc = refuse(err, 400, "Type", "not an SNS notification or subscription message");
    if (rc == 0) rc = sns_certificate(rec->conn, cert_url, &pem, err);
    if (rc == 0 && !webhook_sns_signature_valid(buf_view(&pem), buf_view(&text), signature,
                                                str_member(body, "SignatureVersion")))
        rc = refuse(err, 403, "Signature", "the signature is wrong");
    buf_free(&text);
    buf_free(&pem);
    if (rc < 0) return -1;
    /* a valid signature proves SNS sent it, not that it is our topic */
    const char *topic = str_member(body, "TopicArn");
    if (cfg->bounces_ses_topic_arn[0] && strcmp(topic, cfg->bounces_ses_topic_arn))
        return refuse(err, 403, "TopicArn", "TopicArn is not [bounces] ses_topic_arn");
    const char *type = str_member(body, "Type");
    if (!strcmp(type, "SubscriptionConfirmation")) {
        /* confirming is a GET of SubscribeURL, which must be Amazon's too */
        const char *subscribe = str_member(body, "SubscribeURL");
        if (!webhook_sns_url_allowed(cfg->bounces_ses_certificate_url, subscribe))
            return refuse(err, 403, "SubscribeURL",
                          "SubscribeURL is not allowed by [bounces] ses_certificate_url");
        buf_t answer = BUF_INIT;
        rc = fetch(subscribe, &answer, err);
        buf_free(&answer);
        if (rc == 0) log_info("webhooks: SES: subscribed to %s", topic);
        return rc;
    }
    if (!strcmp(type, "Notification"))
        return ses_notification(rec, str_member(body, "Message"), err);
    return 0;
}

long long webhook_receive(app_t *app, PGconn *conn, webhook_provider provider, str_t body,
                          const webhook_headers *headers, mc_error *err)
{
    static const char *const sources[] = {"ses", "sendgrid", "postmark", "mailgun"};
    recorder rec = {app, conn, sources[provider], 0};
    if (provider == WEBHOOK_SENDGRID)
        return sendgrid(&rec, body, headers, err) < 0 ? -1 : rec.recorded;
    /* Postmark's credentials come before the body is read */
    if (provider == WEBHOOK_POSTMARK) {
        if (!headers->authorization)
            return refuse(err, 401, "authorization", "credentials are required");
        if (!webhook_basic_valid(headers->authorization, app->config.bounces_postmark_username,
                                 app->config.bounces_postmark_password))
            return refuse(err, 403, "authorization", "the credentials are wrong");
    }
    json_error_t jerr;
    json_t *obj = json_loadb(body.p, body.n, 0, &jerr);
    if (!json_is_object(obj)) {
        json_decref(obj);
        /* without a readable body there is no signature either */
        return refuse(err, provider == WEBHOOK_POSTMARK ? 400 : 401, "body",
                      "the body must be a JSON object");
    }
    int rc = provider == WEBHOOK_SES       ? ses(&rec, obj, err)
             : provider == WEBHOOK_MAILGUN ? mailgun(&rec, obj, err)
                                           : postmark(&rec, obj, err);
    json_decref(obj);
    return rc < 0 ? -1 : rec.recorded;
}
