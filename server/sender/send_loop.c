/* One batch, start to end. The batch holds its campaigns while it is on the wire
 * (campaign_hold_for_sending()): a pause or cancel waits for it and then nothing more is sent.
 * No transaction stays open across SMTP: the results are recorded as they come on a second
 * connection, each statement committing at once, and all of them before the campaigns are let
 * go. */
#include "sender/send_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "audience/public_token.h"
#include "campaign/campaigns.h"
#include "content/render_context.h"
#include "i18n/catalog.h"
#include "content/template_source.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/query.h"
#include "mail/compose.h"
#include "mail/header_encode.h"
#include "mail/html_to_text.h"
#include "mail/mail_setup.h"
#include "mail/message_id.h"
#include "mail/text_template.h"
#include "mail/verp.h"
#include "queue/destination_pacing.h"
#include "queue/rate_shared.h"
#include "queue/send_queue.h"
#include "queue/warmup.h"
#include "track/tracker.h"
#include "track/unsubscribe_address.h"

#define DB_WAIT_MS 5000

void send_loop_init(send_loop *l, app_t *app)
{
    memset(l, 0, sizeof *l);
    l->app = app;
    l->limiter = rate_shared_new(app->pool);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(l->loop_name, sizeof l->loop_name, "%s:%ld:%p", host, (long)getpid(), (void *)l);
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
    free(l->recorded);
    free(l->order);
    free(l->dest);
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
    buf_free(&l->list_id);
    buf_free(&l->mailto);
    rate_limiter_free(l->limiter);
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
    l->recorded = xcalloc(n, sizeof *l->recorded);
    l->order = xcalloc(n, sizeof *l->order);
    l->dest = xcalloc(n, sizeof *l->dest);
}

/* Subjects and text parts are not HTML: their values are not escaped. */
static const template_limits PLAIN_TEXT = {.plain_text = true};

/* limits: NULL for HTML, &PLAIN_TEXT for the rest */
static int render(const template_t *t, json_t *context, buf_t *out, const template_limits *limits,
                  mc_error *err)
{
    buf_reset(out);
    return template_render(t, context, out, limits, err);
}

/* Renders the subject into l->subject: the message's own subject when it has one (compiled
 * for this message), else the source's. returns 0 or -1 with err. */
static int render_subject(send_loop *l, PGconn *conn, const send_campaign *c, const char *own,
                          json_t *context, mc_error *err)
{
    if (!own[0]) return render(c->subject, context, &l->subject, &PLAIN_TEXT, err);
    template_source src = {conn, l->app->config.templates_dir};
    template_t *t = NULL;
    if (template_source_compile(&src, "subject", own, &t, err) < 0) return -1;
    int rc = render(t, context, &l->subject, &PLAIN_TEXT, err);
    template_free(t);
    return rc;
}

/* Renders subject, HTML and text of row with context (consumed). returns 0 or -1 with err,
 * whose message starts with the part that failed (subject, body or text_body), as the
 * preview's errors do. */
static int render_all(send_loop *l, PGconn *conn, const send_campaign *c, PGresult *res, int row,
                      json_t *context, bool marked, mc_error *err)
{
    const char *part = "subject";
    int rc = render_subject(l, conn, c, PQgetvalue(res, row, CLAIM_SUBJECT), context, err);
    if (rc == 0) {
        json_object_set_new(context, "subject", json_string(buf_cstr(&l->subject)));
        part = "body";
        rc = render(marked ? c->marked_html : c->html, context, &l->html, NULL, err);
    }
    if (rc == 0 && c->text) {
        part = "text_body";
        rc = render(c->text, context, &l->text, &PLAIN_TEXT, err);
    }
    if (rc == 0 && !c->text) {
        buf_reset(&l->text);
        /* l->scratch is free until mail_compose() */
        if (c->derived_text)
            rc = text_template_render(c->derived_text, context, &l->scratch, &l->text, err);
        else
            html_to_text(buf_view(&l->html), &l->text);
    }
    json_decref(context);
    /* a subject of the message's own is compiled here, and that error names it already */
    if (rc < 0 && strncmp(err->message, part, strlen(part)) != 0) {
        mc_error why = *err;
        mc_error_set(err, why.status, why.code, part, "%s: %s", part, why.message);
    }
    return rc;
}

/* sets key of context to the text value unless the message's data set it or value is empty */
static void set_default(json_t *context, const char *key, const char *value)
{
    if (value[0] && !json_object_get(context, key))
        json_object_set_new(context, key, json_string(value));
}

/* The render data of row: the message's data, the subscriber's fields (render_context.h), and
 * what footers print: the sender's name and postal address and the campaign's lists. returns
 * a new reference. */
static json_t *message_context(const config_t *cfg, const send_campaign *c, PGresult *res, int row)
{
    json_t *context = json_loads(PQgetvalue(res, row, CLAIM_CONTEXT), 0, NULL);
    if (!json_is_object(context)) {
        json_decref(context);
        context = json_object();
    }
    if (!PQgetisnull(res, row, CLAIM_PERSON)) {
        const char *columns[SUBSCRIBER_RENDER_COLUMN_COUNT];
        for (int i = 0; i < SUBSCRIBER_RENDER_COLUMN_COUNT; i++)
            columns[i] = PQgetvalue(res, row, CLAIM_PERSON + i);
        json_t *subscriber = render_context_subscriber(
            strtoll(PQgetvalue(res, row, CLAIM_SUBSCRIBER), NULL, 10), columns);
        render_context_add_subscriber(context, subscriber);
        json_decref(subscriber);
    }
    set_default(context, "email", PQgetvalue(res, row, CLAIM_EMAIL));
    set_default(context, "sender_name",
                cfg->sender_name[0] ? cfg->sender_name
                : c->from_name[0]   ? c->from_name
                                    : c->from_email);
    set_default(context, "postal_address", cfg->postal_address);
    set_default(context, "list_name", c->list_names);
    return context;
}

/* Points *id and *name at the List-Id of campaign c: "list-7.example.com", the audience's key
 * under the From address's domain (RFC 2919; written into buf), and the audience's name. Both
 * empty (no List-Id rather than a message refused) when the domain is not ASCII or too long,
 * and the name alone empty when it cannot be a header's phrase. */
static void list_id(const send_campaign *c, str_t from, buf_t *buf, str_t *id, str_t *name)
{
    str_t domain = mail_address_domain(from);
    *id = *name = STR_NULL;
    for (size_t i = 0; i < domain.n; i++)
        if ((unsigned char)domain.p[i] > 126) return;
    buf_reset(buf);
    buf_appendf(buf, "%s.%.*s", c->list_key, (int)domain.n, domain.p);
    if (!c->list_key[0] || buf->n > 200) return;
    *id = buf_view(buf);
    mc_error ignored;
    if (header_check_value(str_from_cstr(c->list_name), "list_name", &ignored) == 0)
        *name = str_from_cstr(c->list_name);
}

/* Builds message `row` of res into slot k: campaign mail and test sends of a campaign get an
 * unsubscribe link, List-Unsubscribe and List-Id, triggered mail the first two, transactional
 * mail none. returns 0 or -1 with err (the message then fails without reaching SMTP). */
static int build(send_loop *l, PGconn *conn, const send_campaign *c, PGresult *res, int row,
                 size_t k, mc_error *err)
{
    const config_t *cfg = &l->app->config;
    const char *campaign = PQgetvalue(res, row, CLAIM_CAMPAIGN);
    const char *test_of = PQgetvalue(res, row, CLAIM_TEST_OF);
    const char *subscriber = PQgetvalue(res, row, CLAIM_SUBSCRIBER);
    const char *email = PQgetvalue(res, row, CLAIM_EMAIL);
    const char *trigger = PQgetvalue(res, row, CLAIM_TRIGGER);
    /* a test send is the campaign's message as its subscriber would get it; triggered mail is
     * marketing mail too, whose reader may leave */
    bool bulk = campaign[0] || test_of[0] || trigger[0];
    json_t *context = message_context(cfg, c, res, row);
    buf_reset(&l->url);
    /* the links and the mailto address name the message, so that campaigns count their
     * unsubscribes */
    long long message_row = strtoll(PQgetvalue(res, row, CLAIM_ID), NULL, 10);
    buf_reset(&l->mailto);
    if (bulk && subscriber[0]) {
        char token[PUBLIC_TOKEN_MAX];
        public_token_make(l->app->secret, TOKEN_PREFERENCES, strtoll(subscriber, NULL, 10),
                          message_row, 0, token);
        unsubscribe_address_make(l->app->secret, strtoll(subscriber, NULL, 10), message_row,
                                 str_from_cstr(cfg->bounce_address), &l->mailto);
        buf_appendf(&l->url, "%s/preferences/%s", cfg->public_url, token);
        json_object_set_new(context, "unsubscribe_url", json_string(buf_cstr(&l->url)));
    }
    /* the footer's and system mail's words, in the subscriber's language, with the links */
    const catalog_set *words = &l->app->catalogs;
    catalog_add_words(words, catalog_context_language(words, context), context);
    /* tracked HTML is rendered with its links marked, found once per compiled template */
    bool marked = l->app->tracker && c->marked_html && (c->track_opens || c->track_clicks);
    if (render_all(l, conn, c, res, row, context, marked, err) < 0) return -1;
    /* links and pixel after rendering, from the markers */
    tracker_message tracked = {.message_id = strtoll(PQgetvalue(res, row, CLAIM_ID), NULL, 10),
                               .campaign_id = strtoll(campaign[0] ? campaign : test_of, NULL, 10),
                               .template_id = c->is_template ? c->id : 0,
                               .subscriber_id = strtoll(subscriber, NULL, 10),
                               .opens = c->track_opens,
                               .clicks = c->track_clicks,
                               .unsubscribe_url = buf_cstr(&l->url),
                               .links = marked ? c->links : NULL};
    if (l->app->tracker && tracker_rewrite_message(l->app->tracker, &tracked, &l->html, &l->text,
                                                   !c->text && !c->derived_text, err) < 0)
        return -1;

    buf_reset(&l->ids[k]);
    buf_reset(&l->data[k]);
    buf_reset(&l->senders[k]);
    str_t from = str_from_cstr(c->from_email);
    /* stable per (campaign, subscriber); a transactional or triggered message or a test is its
     * own source */
    if (message_id_make(&l->ids[k], l->app->secret, 32,
                        campaign[0]  ? STR_LIT("campaign")
                        : trigger[0] ? STR_LIT("trigger")
                                     : STR_LIT("transactional"),
                        str_from_cstr(campaign[0] ? campaign : PQgetvalue(res, row, CLAIM_ID)),
                        str_from_cstr(subscriber[0] ? subscriber : email),
                        mail_address_domain(from), err) < 0)
        return -1;
    /* campaign:list:kind:sender, for the feedback loops' complaint reports */
    char feedback[160];
    str_t list = STR_NULL, list_name = STR_NULL;
    if (trigger[0]) {
        snprintf(feedback, sizeof feedback, "%s:0:trigger:mailcast", trigger);
    } else if (bulk) {
        snprintf(feedback, sizeof feedback, "%s:%s:campaign:mailcast",
                 campaign[0] ? campaign : test_of, c->list_key);
        list_id(c, from, &l->list_id, &list, &list_name);
    } else {
        const char *template_id = PQgetvalue(res, row, CLAIM_TEMPLATE);
        snprintf(feedback, sizeof feedback, "%s:0:transactional:mailcast",
                 template_id[0] ? template_id : "0");
    }
    mail_message m = {
        .from = {from, str_from_cstr(c->from_name)},
        .to = {str_from_cstr(email), STR_NULL},
        .reply_to = {str_from_cstr(c->reply_to), STR_NULL},
        .subject = buf_view(&l->subject),
        .html = buf_view(&l->html),
        .text = buf_view(&l->text),
        .message_id = buf_view(&l->ids[k]),
        .date = time(NULL),
        .list_id = list,
        .list_name = list_name,
        .unsubscribe_url = buf_view(&l->url),
        .unsubscribe_mailto = buf_view(&l->mailto),
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

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The result of claimed row `row` of res for send_queue_record_send(), sent through relay ("":
 * none). returns a new reference. */
static json_t *result_json(PGresult *res, int row, const char *relay, const char *outcome, int code,
                           const char *enhanced, const char *text, bool maybe_delivered)
{
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:b}", "id",
                     (json_int_t)strtoll(PQgetvalue(res, row, CLAIM_ID), NULL, 10), "outcome",
                     outcome, "code", code, "enhanced", enhanced, "text", text, "relay", relay,
                     "maybe_delivered", maybe_delivered);
}

/* Records the result of message k of the group sent through l->relay. A receiver asking to
 * slow down defers it (and the rest of its destination group) without counting an attempt. */
static void record_result(send_loop *l, size_t k, const mail_result *r)
{
    l->recorded[k] = true;
    const char *outcome = mail_outcome_name(r->outcome);
    if (r->outcome == MAIL_TEMPORARY && destination_segment_defers(&l->segment, r))
        outcome = "deferred";
    else if (r->outcome == MAIL_SENT)
        l->segment.sent++;
    send_recorder_add(&l->recorder, result_json(l->claimed, (int)l->order[k], l->relay, outcome,
                                                r->code, r->enhanced, r->text, r->maybe_delivered));
}

/* Records message k of the group as not sent: outcome "throttled" (a rate or connection limit
 * was used up), "deferred" (its destination is slowing down) or "held" (a warm-up's cap is
 * used up: hold says until when; NULL otherwise). */
static void record_unsent(send_loop *l, size_t k, const char *outcome, const warmup_hold *hold)
{
    l->recorded[k] = true;
    if (!strcmp(outcome, "deferred")) l->segment.deferred++;
    json_t *r = result_json(l->claimed, (int)l->order[k], l->relay, outcome, 0, "",
                            hold ? hold->reason : "", false);
    if (hold) warmup_hold_annotate(hold, r);
    send_recorder_add(&l->recorder, r);
}

/* How far the progress runs ahead of the messages: the messages of MARK_AHEAD_SECONDS on the
 * wire, from 1 up to SEND_RECORDER_GROUP. On a relay that takes that long or longer per
 * message (one across the Internet), one: a crash then marks only the message in flight. On a
 * faster one (a relay on the same network), several: a message's progress is then committed
 * before its data ends without the dialogue waiting for it, and the database commits a
 * statement every few milliseconds rather than one per message. */
#define MARK_AHEAD_SECONDS 0.01

static size_t mark_ahead(const send_loop *l)
{
    double each = l->wire_seconds;
    if (each <= 0 || each >= MARK_AHEAD_SECONDS) return 1;
    double fit = MARK_AHEAD_SECONDS / each;
    return fit >= SEND_RECORDER_GROUP ? SEND_RECORDER_GROUP : (size_t)fit;
}

/* the id of message k of the group */
static long long message_id(const send_loop *l, size_t k)
{
    return strtoll(PQgetvalue(l->claimed, (int)l->order[k], CLAIM_ID), NULL, 10);
}

/* Progress of the send call in progress, message i of it being message l->first + i of the
 * group. When a message's data starts and a quarter of mark_ahead() messages or fewer are left
 * marked, the progress moves mark_ahead() messages on (sent without waiting, with the results
 * pending); a message is handed over once its progress is committed, which it normally is by
 * then; results are recorded as they come. */
static void message_starting(void *arg, size_t i)
{
    send_loop *l = arg;
    size_t k = l->first + i, ahead = mark_ahead(l);
    if (k + (ahead + 3) / 4 >= l->marked_until) {
        size_t end = k + ahead < l->end ? k + ahead : l->end;
        if (end > l->marked_until) {
            send_recorder_mark(&l->recorder, message_id(l, end - 1));
            l->marked_until = end;
        }
    }
    send_recorder_poll(&l->recorder);
}

static bool message_handing_over(void *arg, size_t i)
{
    send_loop *l = arg;
    message_starting(l, i);
    return send_recorder_wait_marked(&l->recorder, message_id(l, l->first + i)) == 0;
}

static void message_result(void *arg, size_t i, const mail_result *r)
{
    send_loop *l = arg;
    record_result(l, l->first + i, r);
}

/* The compiled source of row: its campaign (or the campaign it tests), or its transactional
 * template. NULL with err. */
static const send_campaign *source_of(send_loop *l, PGconn *conn, PGresult *res, int row,
                                      mc_error *err)
{
    const config_t *cfg = &l->app->config;
    const char *campaign = PQgetvalue(res, row, CLAIM_CAMPAIGN);
    if (!campaign[0]) campaign = PQgetvalue(res, row, CLAIM_TEST_OF);
    const char *variant = PQgetvalue(res, row, CLAIM_VARIANT);
    if (campaign[0])
        return send_campaign_get(&l->campaigns, conn, cfg->templates_dir,
                                 strtoll(campaign, NULL, 10), variant[0] ? atoi(variant) : -1, err);
    const send_campaign *c = send_template_get(
        &l->campaigns, conn, cfg->templates_dir,
        strtoll(PQgetvalue(res, row, CLAIM_TEMPLATE), NULL, 10), cfg->from_email, err);
    /* queued before [mail] from_email was emptied, or a system message: say what to set rather
     * than fail later on the empty address */
    if (c && !c->from_email[0]) {
        mail_setup_require_from(cfg, "from_email", err);
        return NULL;
    }
    return c;
}

/* returns how many of the n built messages the installation-wide limits of relay (NULL for
 * the capture outbox), of campaign (NULL for transactional mail) and of destination group
 * dest (NULL: none) at its rate now (messages a minute, 0: none) let through now; hold says
 * how many of the rest wait for the next UTC day (a warm-up's cap is used up). */
static size_t allowance(send_loop *l, const relay_config *relay, const send_campaign *campaign,
                        const destination_config *dest, double dest_rate, size_t n,
                        warmup_hold *hold)
{
    rate_budget budgets[3];
    size_t count = 0;
    char relay_key[300], campaign_key[64], dest_key[100];
    if (relay) {
        snprintf(relay_key, sizeof relay_key, "relay:%s", relay->name);
        budgets[count++] =
            (rate_budget){relay_key, relay->rate, relay->max_per_hour, relay->max_per_day};
    }
    if (campaign) {
        snprintf(campaign_key, sizeof campaign_key, "campaign:%lld", campaign->id);
        budgets[count++] = (rate_budget){campaign_key, campaign->rate_per_s, 0, 0};
    }
    if (dest) {
        snprintf(dest_key, sizeof dest_key, "destination:%s", dest->name);
        budgets[count++] = (rate_budget){dest_key, dest_rate / 60.0, 0, 0};
    }
    mc_error err;
    long long allowed = rate_limiter_acquire(l->limiter, budgets, count, n, &err);
    /* the warm-up's daily caps last, so that they count only what goes now */
    if (allowed > 0 && campaign)
        allowed = warmup_allow(l->app->pool, &l->app->mail.warmup, relay ? relay->name : NULL,
                               campaign->from_email, allowed, hold, &err);
    if (allowed < 0) {
        log_warn("send: rate limit: %s", err.message);
        return 0;
    }
    return (size_t)allowed;
}

/* Between two connections of a long hand-off: once a third of the lease has passed since it
 * was taken or last renewed, extends the leases of the group's rows (order[0..n)) not recorded
 * yet (the recorded ones are no longer sending), so that no other worker takes over messages
 * that are only slow to go out. On the recorder's connection, once it has caught up. */
static void renew_if_due(send_loop *l, PGresult *res, size_t n)
{
    unsigned lease = l->app->config.queue_lease_seconds;
    if (monotonic_seconds() - l->lease_taken_at < lease / 3.0) return;
    buf_t ids = BUF_INIT;
    buf_putc(&ids, '{');
    for (size_t i = 0; i < n; i++)
        buf_appendf(&ids, "%s%s", i ? "," : "", PQgetvalue(res, (int)l->order[i], CLAIM_ID));
    buf_putc(&ids, '}');
    mc_error err = l->recorder.err;
    if (send_recorder_settle(&l->recorder) == 0 &&
        send_queue_renew(l->recorder.conn, buf_cstr(&ids), l->owner, lease, &err) == 0)
        l->lease_taken_at = monotonic_seconds();
    else
        log_warn("send: cannot renew leases: %s", err.message);
    buf_free(&ids);
}

/* Picks the relay of a group of messages into *index: the campaign's own when pinned, else
 * one chosen by weight among those of relay_group (NULL: all) not backing off after
 * connection failures. returns false when every candidate is backing off (the messages then
 * wait, not counted as an attempt). */
static bool choose_relay(send_loop *l, bool pinned, const char *relay_group, size_t *index)
{
    const mail_setup *mail = &l->app->mail;
    if (pinned || mail->relays.count < 2) return true;
    double retry_in;
    int picked = relay_pool_pick_in(mail->pool, relay_group, monotonic_seconds(),
                                    randombytes_random(), &retry_in);
    if (picked < 0) return false;
    *index = (size_t)picked;
    return true;
}

/* Takes a connection slot of destination group dest for the batch's sessions, when the group
 * caps its connections. returns the slot, 0 when none is free (or the database failed: the
 * messages then wait a second), -1 when the group has no cap. */
static int take_slot(send_loop *l, PGconn *conn, const destination_config *dest)
{
    if (!dest->max_connections) return -1;
    int slot = 0;
    mc_error err;
    if (destination_slot_take(conn, dest->name, dest->max_connections, l->owner,
                              l->app->config.queue_lease_seconds, &slot, &err) < 0)
        log_warn("send: destination %s: %s", dest->name, err.message);
    return slot;
}

/* Sends messages [from, to) of the group, all of one destination group, through relay index
 * (rc; NULL for the capture outbox) on sessions of their own, within the limits of relay,
 * campaign and destination; what the limits hold back waits a second, and after a throttling
 * reply the rest waits with a jittered back-off. */
static void send_destination(send_loop *l, PGconn *conn, const relay_config *rc, size_t index,
                             bool usable, bool pinned, const send_campaign *campaign,
                             const char *campaign_id, size_t from, size_t to)
{
    const mail_setup *mail = &l->app->mail;
    const destination_config *dest = &mail->destinations.items[l->dest[from]];
    l->segment = (destination_segment){.index = l->dest[from]};
    size_t n = to - from, allowed = 0;
    warmup_hold hold = {0};
    int slot = usable ? take_slot(l, conn, dest) : 0;
    if (slot != 0) {
        double rate = destination_batch_rate(l->app, conn, l->dest[from]);
        allowed = allowance(l, rc, campaign, dest, rate, n, &hold);
    }
    size_t held_from = from + allowed; /* the held ones follow those allowed */
    /* the rest is put back for a second (send_queue_record()) */
    if (usable) app_metrics_rate_wait(&l->app->metrics, index, n - allowed, 1.0);
    size_t end = from + allowed; /* [from, end): offered, or deferred after a slow-down */
    if (allowed > 0) {
        mail_transport *t = mail_setup_transport(mail, index);
        mail_progress progress = {l, message_starting, message_handing_over, message_result};
        mail_transport_set_progress(t, &progress);
        size_t per_connection =
            rc && rc->messages_per_connection ? rc->messages_per_connection : allowed;
        if (dest->messages_per_connection && dest->messages_per_connection < per_connection)
            per_connection = dest->messages_per_connection;
        for (size_t first = from; first < end; first += per_connection) {
            if (first > 0) renew_if_due(l, l->claimed, l->group_count);
            size_t count = end - first < per_connection ? end - first : per_connection;
            l->first = first;
            l->end = first + count;
            l->marked_until = first;
            mc_error serr;
            double began = monotonic_seconds();
            bool connected =
                mail_transport_send(t, l->envelopes + first, count, l->results + first, &serr) == 0;
            double took = monotonic_seconds() - began;
            app_metrics_session(&l->app->metrics, index, l->results + first, count, took);
            l->wire_seconds =
                l->wire_seconds <= 0 ? took / count : (l->wire_seconds + took / count) / 2;
            if (mail->pool) relay_pool_report(mail->pool, index, connected, monotonic_seconds());
            /* the results the transport did not report as they came */
            for (size_t i = first; i < first + count; i++)
                if (!l->recorded[i]) record_result(l, i, &l->results[i]);
            if (l->segment.slowed) {
                /* the receiver asked to slow down: the rest of the group waits */
                destination_batch_slow_down(l->app, conn, &l->segment);
                for (size_t i = first + count; i < end; i++)
                    record_unsent(l, i, "deferred", NULL);
                break;
            }
            if (connected) continue;
            log_warn("send: relay %s: %s", l->relay, serr.message);
            /* the rest goes to another relay in a second, without counting an attempt */
            if (!pinned && mail->relays.count > 1) {
                end = first + count;
                break;
            }
        }
        mail_transport_free(t);
    }
    if (slot > 0) {
        mc_error err;
        if (destination_slot_give(conn, dest->name, slot, l->owner, &err) < 0)
            log_warn("send: destination %s: %s", dest->name, err.message);
    }
    for (size_t i = end; i < to; i++) {
        bool held = i >= held_from && i < held_from + hold.count; /* until the next UTC day */
        record_unsent(l, i, held ? "held" : "throttled", held ? &hold : NULL);
    }
    destination_batch_note(l->app, conn, &l->segment, campaign_id);
}

/* Sends the rows of res whose campaign is campaign_id ("" for the transactional ones)
 * through the campaign's relay (the default one for transactional mail) and records one
 * result per row, each as soon as it is known. A row whose source no longer compiles fails
 * rather than retrying forever. returns 0, or -1 with err on a database error. */
static int send_group(send_loop *l, PGconn *conn, PGresult *res, const char *campaign_id,
                      mc_error *err)
{
    const mail_setup *mail = &l->app->mail;
    size_t index = 0, n = 0;
    bool pinned = false;      /* the campaign names its relay: no other is chosen */
    const char *group = NULL; /* the campaign names a relay group: one of it is chosen */
    const send_campaign *campaign = NULL;
    json_t *unbuilt = json_array(); /* results of the rows that could not be built */
    for (int row = 0; row < PQntuples(res); row++) {
        if (strcmp(PQgetvalue(res, row, CLAIM_CAMPAIGN), campaign_id)) continue;
        const send_campaign *c = source_of(l, conn, res, row, err);
        if (!c && err->status == 500) {
            json_decref(unbuilt);
            return -1;
        }
        if (campaign_id[0]) campaign = c;
        mc_error berr = *err;
        if (c && campaign_id[0] && c->relay[0]) {
            const relay_config *found = relay_set_find(&mail->relays, c->relay);
            if (found) index = (size_t)(found - mail->relays.relays);
            pinned = found != NULL;
            if (!found && relay_set_has_group(&mail->relays, c->relay)) group = c->relay;
        }
        if (!c || build(l, conn, c, res, row, n, &berr) < 0)
            json_array_append_new(unbuilt,
                                  result_json(res, row, "", "render", 0, "", berr.message, false));
        else
            l->order[n++] = (size_t)row;
    }
    bool usable = n && choose_relay(l, pinned, group, &index);
    l->relay = !n ? "" : mail->relays.count ? mail->relays.relays[index].name : "capture";
    /* the messages that could not be built name the relay of their group */
    size_t k;
    json_t *result;
    json_array_foreach(unbuilt, k, result)
    {
        json_object_set_new(result, "relay", json_string(l->relay));
        send_recorder_add(&l->recorder, json_incref(result));
    }
    json_decref(unbuilt);
    if (n == 0) return 0;
    memset(l->recorded, 0, n * sizeof *l->recorded);
    l->claimed = res;
    const relay_config *rc = mail->relays.count ? &mail->relays.relays[index] : NULL;
    /* each destination group on its own sessions, in turn */
    destination_batch_group(&mail->destinations, l->envelopes, l->order, l->dest, n);
    l->group_count = n;
    for (size_t first = 0, end; first < n; first = end) {
        for (end = first + 1; end < n && l->dest[end] == l->dest[first]; end++) {
        }
        send_destination(l, conn, rc, index, usable, pinned, campaign, campaign_id, first, end);
    }
    return 0;
}

/* Sends group campaign_id and waits until its results are committed. returns 0 or -1 with
 * err. */
static int send_and_record(send_loop *l, PGconn *conn, PGresult *claimed, const char *campaign_id,
                           mc_error *err)
{
    int rc = send_group(l, conn, claimed, campaign_id, err);
    if (send_recorder_settle(&l->recorder) < 0) {
        *err = l->recorder.err;
        rc = -1;
    }
    return rc;
}

static bool has_transactional(PGresult *claimed)
{
    for (int row = 0; row < PQntuples(claimed); row++)
        if (!PQgetvalue(claimed, row, CLAIM_CAMPAIGN)[0]) return true;
    return false;
}

/* The array literal of the non-empty values of column col of res, into out; each once when
 * distinct (a column whose values are unique, such as the ids, need not be checked). */
static void array_literal(PGresult *res, int col, bool distinct, buf_t *out)
{
    buf_reset(out);
    buf_putc(out, '{');
    for (int i = 0; i < PQntuples(res); i++) {
        const char *v = PQgetvalue(res, i, col);
        bool seen = !v[0];
        for (int j = 0; distinct && j < i && !seen; j++)
            seen = !strcmp(PQgetvalue(res, j, col), v);
        if (!seen) buf_appendf(out, "%s%s", out->n > 1 ? "," : "", v);
    }
    buf_putc(out, '}');
}

/* Holds the campaigns of ids (an array literal: those of the claimed rows) for the batch and
 * gives back the claimed rows of those that stopped. returns the campaigns held (id, state;
 * caller frees) or NULL with err, with nothing held. */
static PGresult *hold_campaigns(send_loop *l, PGconn *conn, PGresult *claimed, const char *ids,
                                mc_error *err)
{
    PGresult *held = campaign_hold_for_sending(conn, ids, err);
    bool stopped = false;
    for (int i = 0; held && i < PQntuples(held); i++)
        stopped |= strcmp(PQgetvalue(held, i, 1), "running") != 0;
    if (stopped) {
        buf_t rows = BUF_INIT;
        array_literal(claimed, CLAIM_ID, false, &rows);
        if (send_queue_give_back(conn, buf_cstr(&rows), l->owner, err) < 0) {
            PQclear(held);
            held = NULL;
            campaign_release_sending(conn, ids);
        }
        buf_free(&rows);
    }
    return held;
}

/* The hand-off of the claimed rows: their campaigns are held while the batch is on the wire
 * and let go once every result is committed, so that a pause or cancel that follows counts
 * them; running gets the array literal of the campaigns sent from. returns 0 or -1 with err. */
static int hand_off(send_loop *l, PGconn *conn, PGresult *claimed, buf_t *running, mc_error *err)
{
    buf_t ids = BUF_INIT;
    array_literal(claimed, CLAIM_CAMPAIGN, true, &ids);
    PGresult *locked = hold_campaigns(l, conn, claimed, buf_cstr(&ids), err);
    int rc = locked ? 0 : -1;
    /* transactional mail first: it was claimed first, for its priority */
    if (rc == 0 && has_transactional(claimed)) rc = send_and_record(l, conn, claimed, "", err);
    buf_reset(running);
    buf_putc(running, '{');
    for (int i = 0; rc == 0 && i < PQntuples(locked); i++) {
        if (strcmp(PQgetvalue(locked, i, 1), "running")) continue;
        rc = send_and_record(l, conn, claimed, PQgetvalue(locked, i, 0), err);
        buf_appendf(running, "%s%s", running->n > 1 ? "," : "", PQgetvalue(locked, i, 0));
    }
    buf_putc(running, '}');
    if (send_recorder_settle(&l->recorder) < 0 && rc == 0) {
        *err = l->recorder.err;
        rc = -1;
    }
    if (locked) campaign_release_sending(conn, buf_cstr(&ids));
    PQclear(locked);
    buf_free(&ids);
    return rc;
}

/* How many messages to claim: [queue] batch_size, or fewer when the relay is slow, so that a
 * batch takes about [queue] batch_target_ms on the wire. A pause or cancel waits for the
 * batch in flight, and this bounds that wait. The first batch is a single message, to learn. */
static unsigned claim_limit(const send_loop *l)
{
    unsigned most = l->app->config.queue_batch_size;
    if (l->seconds_per_message <= 0) return 1;
    double fit = l->app->config.queue_batch_target_ms / 1000.0 / l->seconds_per_message;
    return fit >= most ? most : fit < 1 ? 1 : (unsigned)fit;
}

/* Claims the next batch: transactional mail first, for its priority; else the messages of
 * one campaign that may send now, taking the campaigns in turn so that several running at
 * once share the workers. returns the rows (maybe none; caller frees) or NULL with err. */
static PGresult *claim(send_loop *l, PGconn *conn, mc_error *err)
{
    const config_t *cfg = &l->app->config;
    unsigned limit = claim_limit(l);
    PGresult *claimed =
        send_queue_claim(conn, l->owner, NULL, limit, cfg->queue_lease_seconds, err);
    if (!claimed || PQntuples(claimed) > 0) return claimed;
    PGresult *campaigns = send_queue_sendable_campaigns(conn, err);
    if (!campaigns) {
        PQclear(claimed);
        return NULL;
    }
    int count = PQntuples(campaigns);
    for (int k = 0; k < count && claimed && PQntuples(claimed) == 0; k++) {
        int i = (int)((l->next_campaign + (unsigned)k) % (unsigned)count);
        PQclear(claimed);
        const char *id = PQgetvalue(campaigns, i, 0);
        claimed = send_queue_claim(conn, l->owner, id, limit, cfg->queue_lease_seconds, err);
        if (claimed && PQntuples(claimed) > 0) l->next_campaign = (unsigned)i + 1;
        /* the claim may have ended its last messages (their recipients unsubscribed) */
        char ids[40];
        snprintf(ids, sizeof ids, "{%s}", id);
        if (claimed && PQntuples(claimed) == 0 && campaign_finish_sent(conn, ids, err) < 0) {
            PQclear(claimed);
            claimed = NULL;
        }
    }
    PQclear(campaigns);
    return claimed;
}

/* Sends the batch claimed on conn; the recorder's connection is recorder_conn. returns 0 or -1
 * with err. */
static int send_batch(send_loop *l, PGconn *conn, PGconn *recorder_conn, PGresult *claimed,
                      mc_error *err)
{
    double started = monotonic_seconds();
    l->lease_taken_at = started;
    buf_t campaigns = BUF_INIT;
    reserve(l, (size_t)PQntuples(claimed));
    send_campaign_cache_next_batch(&l->campaigns);
    send_recorder_begin(&l->recorder, recorder_conn, l->owner, &l->app->config);
    int rc = hand_off(l, conn, claimed, &campaigns, err);
    mc_error rerr;
    if (send_recorder_finish(&l->recorder, &rerr) < 0 && rc == 0) {
        *err = rerr;
        rc = -1;
    }
    /* a moving average, so that one slow session does not shrink batches for long */
    double each = (monotonic_seconds() - started) / PQntuples(claimed);
    l->seconds_per_message =
        l->seconds_per_message <= 0 ? each : (l->seconds_per_message + each) / 2;
    /* after the commit, so that the last worker to finish sees everyone's results */
    if (rc == 0 && campaigns.n > 2) rc = campaign_finish_sent(conn, buf_cstr(&campaigns), err);
    buf_free(&campaigns);
    return rc;
}

int send_loop_once(send_loop *l, mc_error *err)
{
    PGconn *conn = db_pool_acquire(l->app->pool, DB_WAIT_MS, err);
    if (!conn) return -1;
    /* the recorder's, taken before anything is claimed: a batch never waits for it */
    PGconn *recorder_conn = db_pool_acquire(l->app->pool, DB_WAIT_MS, err);
    if (!recorder_conn) {
        db_pool_release(l->app->pool, conn);
        return -1;
    }
    /* its statement prepared before anything is claimed: a connection that broke while it sat
     * in the pool (a PostgreSQL restart) fails here, not with a batch leased and unsendable */
    int rc = send_queue_record_prepare(recorder_conn, err);
    /* expired leases are rare and a second late is soon enough: not a round trip per batch */
    if (rc == 0 && time(NULL) != l->last_reclaim) {
        rc = send_queue_reclaim(conn, err);
        if (rc > 0) log_warn("send: %d messages of a stopped worker are queued again", rc);
        l->last_reclaim = time(NULL);
    }
    /* a new owner for each batch: the rows of a batch that failed (the database went away)
     * keep their lease and their progress until another worker reclaims them */
    snprintf(l->owner, sizeof l->owner, "%s#%lu", l->loop_name, ++l->batches);
    PGresult *claimed = rc < 0 ? NULL : claim(l, conn, err);
    rc = claimed ? 0 : -1;
    bool any = claimed && PQntuples(claimed) > 0;
    if (any) rc = send_batch(l, conn, recorder_conn, claimed, err);
    PQclear(claimed);
    db_pool_release(l->app->pool, recorder_conn);
    db_pool_release(l->app->pool, conn);
    return rc < 0 ? -1 : any ? 1 : 0;
}
