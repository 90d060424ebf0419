/* One batch, start to end. The hand-off runs in a transaction that holds the batch's
 * campaigns FOR SHARE: a pause or cancel (which locks the campaign FOR UPDATE) waits for the
 * batch on the wire and then nothing more is sent, and the results commit with it. */
#include "queue/send_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audience/public_token.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/query.h"
#include "mail/compose.h"
#include "mail/html_to_text.h"
#include "mail/message_id.h"
#include "mail/verp.h"
#include "queue/send_queue.h"

#define DB_WAIT_MS 5000

void send_loop_init(send_loop *l, app_t *app)
{
    memset(l, 0, sizeof *l);
    l->app = app;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(l->owner, sizeof l->owner, "%s:%ld:%p", host, (long)getpid(), (void *)l);
}

static void free_slots(send_loop *l)
{
    for (size_t i = 0; i < l->cap; i++) {
        buf_free(&l->data[i]);
        buf_free(&l->senders[i]);
        buf_free(&l->ids[i]);
    }
    free(l->data);
    free(l->senders);
    free(l->ids);
    free(l->envelopes);
    free(l->results);
    free(l->order);
}

void send_loop_free(send_loop *l)
{
    free_slots(l);
    send_campaign_cache_free(&l->campaigns);
    buf_free(&l->subject);
    buf_free(&l->html);
    buf_free(&l->text);
    buf_free(&l->scratch);
    buf_free(&l->url);
    memset(l, 0, sizeof *l);
}

static void reserve(send_loop *l, size_t n)
{
    if (n <= l->cap) return;
    free_slots(l);
    l->cap = n;
    l->data = xcalloc(n, sizeof *l->data);
    l->senders = xcalloc(n, sizeof *l->senders);
    l->ids = xcalloc(n, sizeof *l->ids);
    l->envelopes = xcalloc(n, sizeof *l->envelopes);
    l->results = xcalloc(n, sizeof *l->results);
    l->order = xcalloc(n, sizeof *l->order);
}

static int render(const template_t *t, json_t *context, buf_t *out, mc_error *err)
{
    buf_reset(out);
    return template_render(t, context, out, NULL, err);
}

/* Builds message `row` of res into slot k. returns 0 or -1 with err (the message then fails
 * without reaching SMTP). */
static int build(send_loop *l, const send_campaign *c, PGresult *res, int row, size_t k,
                 mc_error *err)
{
    const config_t *cfg = &l->app->config;
    long long subscriber = strtoll(PQgetvalue(res, row, CLAIM_SUBSCRIBER), NULL, 10);
    json_t *context = json_loads(PQgetvalue(res, row, CLAIM_CONTEXT), 0, NULL);
    if (!context) context = json_object();
    char token[PUBLIC_TOKEN_MAX];
    public_token_make(l->app->secret, TOKEN_PREFERENCES, subscriber, 0, 0, token);
    buf_reset(&l->url);
    buf_appendf(&l->url, "%s/preferences/%s", cfg->public_url, token);
    json_object_set_new(context, "unsubscribe_url", json_string(buf_cstr(&l->url)));
    int rc = render(c->subject, context, &l->subject, err);
    if (rc == 0) {
        json_object_set_new(context, "subject", json_string(buf_cstr(&l->subject)));
        rc = render(c->html, context, &l->html, err);
    }
    if (rc == 0 && c->text) rc = render(c->text, context, &l->text, err);
    if (rc == 0 && !c->text) {
        buf_reset(&l->text);
        html_to_text(buf_view(&l->html), &l->text);
    }
    json_decref(context);
    if (rc < 0) return -1;

    const char *campaign = PQgetvalue(res, row, CLAIM_CAMPAIGN);
    const char *email = PQgetvalue(res, row, CLAIM_EMAIL);
    buf_reset(&l->ids[k]);
    buf_reset(&l->data[k]);
    buf_reset(&l->senders[k]);
    str_t from = str_from_cstr(c->from_email);
    if (message_id_make(&l->ids[k], l->app->secret, 32, STR_LIT("campaign"),
                        str_from_cstr(campaign),
                        str_from_cstr(PQgetvalue(res, row, CLAIM_SUBSCRIBER)),
                        mail_address_domain(from), err) < 0)
        return -1;
    char feedback[96];
    snprintf(feedback, sizeof feedback, "%s:0:campaign:mailcast", campaign);
    mail_message m = {
        .from = {from, str_from_cstr(c->from_name)},
        .to = {str_from_cstr(email), STR_NULL},
        .reply_to = {str_from_cstr(c->reply_to), STR_NULL},
        .subject = buf_view(&l->subject),
        .html = buf_view(&l->html),
        .text = buf_view(&l->text),
        .message_id = buf_view(&l->ids[k]),
        .date = time(NULL),
        .unsubscribe_url = buf_view(&l->url),
        .feedback_id = str_from_cstr(feedback),
        .headers = c->header_list,
        .header_count = c->header_count,
    };
    if (mail_compose(&m, l->app->mail.signer, &l->scratch, &l->data[k], err) < 0) return -1;
    /* the VERP token: the Message-ID's hex part */
    if (verp_envelope_sender(str_from_cstr(cfg->bounce_address), str_make(l->ids[k].p + 1, 32),
                             from, &l->senders[k], err) < 0)
        return -1;
    l->envelopes[k] = (mail_envelope){buf_view(&l->senders[k]), str_from_cstr(email),
                                      buf_view(&l->data[k]), buf_view(&l->ids[k])};
    return 0;
}

static json_t *result_json(const char *id, const char *outcome, int code, const char *enhanced,
                           const char *text)
{
    return json_pack("{s:I, s:s, s:i, s:s, s:s}", "id", (json_int_t)strtoll(id, NULL, 10),
                     "outcome", outcome, "code", code, "enhanced", enhanced, "text", text);
}

/* Sends the rows of campaign_id in res through its relay; appends one result per row to
 * results. returns 0, or -1 with err when the campaign cannot be loaded (its rows are left
 * to their lease). */
static int send_campaign_rows(send_loop *l, PGconn *conn, PGresult *res, const char *campaign_id,
                              json_t *results, const char **relay, mc_error *err)
{
    const send_campaign *c = send_campaign_get(&l->campaigns, conn, l->app->config.templates_dir,
                                               strtoll(campaign_id, NULL, 10), err);
    /* a campaign that no longer compiles fails its messages rather than retrying forever */
    for (int row = 0; !c && err->status != 500 && row < PQntuples(res); row++)
        if (!strcmp(PQgetvalue(res, row, CLAIM_CAMPAIGN), campaign_id))
            json_array_append_new(results, result_json(PQgetvalue(res, row, CLAIM_ID), "render", 0,
                                                       "", err->message));
    if (!c) return err->status == 500 ? -1 : 0;
    const mail_setup *mail = &l->app->mail;
    const relay_config *rc = c->relay[0] ? relay_set_find(&mail->relays, c->relay) : NULL;
    size_t index = rc ? (size_t)(rc - mail->relays.relays) : 0;
    size_t per_connection =
        mail->relays.count ? mail->relays.relays[index].messages_per_connection : 0;
    *relay = mail->relays.count ? mail->relays.relays[index].name : "capture";
    size_t n = 0;
    for (int row = 0; row < PQntuples(res); row++) {
        if (strcmp(PQgetvalue(res, row, CLAIM_CAMPAIGN), campaign_id)) continue;
        mc_error berr;
        if (build(l, c, res, row, n, &berr) < 0)
            json_array_append_new(results, result_json(PQgetvalue(res, row, CLAIM_ID), "render", 0,
                                                       "", berr.message));
        else
            l->order[n++] = (size_t)row;
    }
    if (n == 0) return 0;
    mail_transport *t = mail_setup_transport(mail, index);
    mc_error serr;
    if (mail_transport_send_all(t, l->envelopes, n, per_connection, l->results, &serr) < 0)
        log_warn("send: relay %s: %s", *relay, serr.message);
    mail_transport_free(t);
    for (size_t i = 0; i < n; i++) {
        const mail_result *r = &l->results[i];
        json_array_append_new(results, result_json(PQgetvalue(res, (int)l->order[i], CLAIM_ID),
                                                   mail_outcome_name(r->outcome), r->code,
                                                   r->enhanced, r->text));
    }
    return 0;
}

/* The array literal of column col's distinct values in res, into out. */
static void ids_literal(PGresult *res, int col, buf_t *out)
{
    buf_reset(out);
    buf_putc(out, '{');
    for (int i = 0; i < PQntuples(res); i++)
        buf_appendf(out, "%s%s", i ? "," : "", PQgetvalue(res, i, col));
    buf_putc(out, '}');
}

/* The hand-off transaction for the claimed rows in res. returns 0 or -1 with err. */
static int hand_off(send_loop *l, PGconn *conn, PGresult *claimed, buf_t *campaigns, mc_error *err)
{
    buf_t ids = BUF_INIT;
    ids_literal(claimed, CLAIM_ID, &ids);
    PGresult *running = NULL;
    int rc = db_begin(conn, err);
    if (rc == 0) {
        running = send_queue_lock_running(conn, buf_cstr(&ids), l->owner, err);
        rc = running ? 0 : -1;
    }
    for (int i = 0; rc == 0 && i < PQntuples(running); i++) {
        json_t *results = json_array();
        const char *relay = "";
        rc = send_campaign_rows(l, conn, claimed, PQgetvalue(running, i, 0), results, &relay, err);
        if (rc == 0) rc = send_queue_record(conn, results, l->owner, relay, &l->app->config, err);
        json_decref(results);
    }
    if (running) ids_literal(running, 0, campaigns);
    PQclear(running);
    buf_free(&ids);
    if (rc < 0 || db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return 0;
}

int send_loop_once(send_loop *l, mc_error *err)
{
    const config_t *cfg = &l->app->config;
    PGconn *conn = db_pool_acquire(l->app->pool, DB_WAIT_MS, err);
    if (!conn) return -1;
    int rc = send_queue_reclaim(conn, err);
    if (rc > 0) log_warn("send: %d messages of a stopped worker are queued again", rc);
    PGresult *claimed = rc < 0 ? NULL
                               : send_queue_claim(conn, l->owner, cfg->queue_batch_size,
                                                  cfg->queue_lease_seconds, err);
    rc = claimed ? 0 : -1;
    if (claimed && PQntuples(claimed) == 0) {
        PQclear(claimed);
        db_pool_release(l->app->pool, conn);
        return 0;
    }
    buf_t campaigns = BUF_INIT;
    if (rc == 0) {
        reserve(l, (size_t)PQntuples(claimed));
        rc = hand_off(l, conn, claimed, &campaigns, err);
    }
    /* after the commit, so that the last worker to finish sees everyone's results */
    if (rc == 0 && campaigns.n) rc = send_queue_finish(conn, buf_cstr(&campaigns), err);
    PQclear(claimed);
    buf_free(&campaigns);
    db_pool_release(l->app->pool, conn);
    return rc < 0 ? -1 : 1;
}
