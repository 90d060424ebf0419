/* The complaint guard's statements and decisions. The counts read track's table bounces and the
 * queue's messages; only the campaign's own rows are written here. */
#include "campaign/complaint_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaigns.h"
#include "core/log.h"
#include "core/metrics.h"
#include "db/query.h"
#include "queue/message_state.h"

#define GUARD_ACTOR "complaint guard"
/* sending alone can bring a rate to its minimum: a look at least this often */
#define GUARD_RECHECK_SQL "interval '60 seconds'"

/* The domain of a campaign's From address, as the rates group it. */
#define DOMAIN_OF(c) "lower(split_part(" c ".from_email, '@', 2))"

/* Rates of the campaigns `where` picks ($1: the window in days): id, sent, complaints, domain,
 * the domain's sent and complaints over the window, the rates resumed at (NULL: none). The
 * domain counts the campaigns that sent from it in the window, through the messages' and the
 * bounces' campaign indexes. */
#define RATES_SQL(where)                                                                           \
    "WITH rc AS (SELECT c.id, " DOMAIN_OF(                                                         \
        "c") " AS domain, c.sent_count,"                                                           \
             " c.complaint_override_campaign AS oc, c.complaint_override_domain AS od FROM "       \
             "campaigns c"                                                                         \
             " WHERE " where "),"                                                                  \
             " dc AS (SELECT c2.id, " DOMAIN_OF(                                                   \
                 "c2") " AS domain FROM campaigns c2 WHERE c2.state IN"                            \
                       " ('running', 'paused', 'finished', 'cancelled') AND "                      \
                       "COALESCE(c2.finished_at, now()) >"                                         \
                       " now() - $1::integer * interval '1 day' AND " DOMAIN_OF(                   \
                           "c2") " IN (SELECT domain FROM rc)),"                                   \
                                 " ds AS (SELECT dc.domain, sum((SELECT count(*) FROM messages m " \
                                 "WHERE m.campaign_id = dc.id"                                     \
                                 " AND m.state = " MESSAGE_SENT_SQL                                \
                                 " AND m.sent_at > now() - $1::integer * interval"                 \
                                 " '1 day'))::bigint AS sent, sum((SELECT count(DISTINCT "         \
                                 "b.subscriber_id) FROM bounces b"                                 \
                                 " WHERE b.campaign_id = dc.id AND b.kind = 'complaint' AND "      \
                                 "b.created_at > now() -"                                          \
                                 " $1::integer * interval '1 day'))::bigint AS complaints FROM "   \
                                 "dc GROUP BY dc.domain)"                                          \
                                 " SELECT rc.id, COALESCE(rc.sent_count, (SELECT count(*) FROM "   \
                                 "messages m WHERE"                                                \
                                 " m.campaign_id = rc.id AND m.state = " MESSAGE_SENT_SQL ")),"    \
                                 " (SELECT count(DISTINCT b.subscriber_id) FROM bounces b WHERE "  \
                                 "b.campaign_id = rc.id"                                           \
                                 " AND b.kind = 'complaint'), rc.domain, COALESCE(ds.sent, 0), "   \
                                 "COALESCE(ds.complaints, 0),"                                     \
                                 " COALESCE(rc.oc, -1), COALESCE(rc.od, -1) FROM rc LEFT JOIN ds " \
                                 "USING (domain) ORDER BY rc.id"

enum { R_ID, R_SENT, R_COMPLAINTS, R_DOMAIN, R_DOMAIN_SENT, R_DOMAIN_COMPLAINTS, R_OC, R_OD };

complaint_rate complaint_rate_judge(long long complaints, long long sent, const config_t *cfg,
                                    double overridden_at)
{
    complaint_rate r = {complaints, sent,  sent > 0 ? (double)complaints / (double)sent : 0,
                        false,      false, false};
    r.counts = sent >= (long long)cfg->complaint_min_sent && sent > 0;
    r.over = r.counts && r.rate > cfg->complaint_threshold;
    r.overridden = r.over && overridden_at >= 0 && r.rate <= overridden_at;
    return r;
}

static double number(PGresult *res, int row, int col)
{
    return strtod(PQgetvalue(res, row, col), NULL);
}

/* the campaign's and its domain's rates of row */
static void judge_row(PGresult *res, int row, const config_t *cfg, complaint_rate *campaign,
                      complaint_rate *domain)
{
    *campaign = complaint_rate_judge(strtoll(PQgetvalue(res, row, R_COMPLAINTS), NULL, 10),
                                     strtoll(PQgetvalue(res, row, R_SENT), NULL, 10), cfg,
                                     number(res, row, R_OC));
    *domain = complaint_rate_judge(strtoll(PQgetvalue(res, row, R_DOMAIN_COMPLAINTS), NULL, 10),
                                   strtoll(PQgetvalue(res, row, R_DOMAIN_SENT), NULL, 10), cfg,
                                   number(res, row, R_OD));
}

/* The reason a campaign pauses for rate r (of the campaign, or of domain when not NULL).
 * returns a new reference. */
static json_t *reason_of(const complaint_rate *r, const char *domain, const config_t *cfg)
{
    char message[400];
    if (domain)
        snprintf(message, sizeof message,
                 "the complaint rate of %s over the last %u days is %.2f%% (%lld complaints in "
                 "%lld messages sent), above the threshold of %.2f%%",
                 domain, cfg->complaint_window_days, r->rate * 100, r->complaints, r->sent,
                 cfg->complaint_threshold * 100);
    else
        snprintf(message, sizeof message,
                 "the campaign's complaint rate is %.2f%% (%lld complaints in %lld messages "
                 "sent), above the threshold of %.2f%%",
                 r->rate * 100, r->complaints, r->sent, cfg->complaint_threshold * 100);
    json_t *reason = json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:I}", "code", "complaint_rate",
                               "scope", domain ? "domain" : "campaign", "message", message, "rate",
                               r->rate, "threshold", cfg->complaint_threshold, "complaints",
                               (json_int_t)r->complaints, "sent", (json_int_t)r->sent);
    if (domain) json_object_set_new(reason, "domain", json_string(domain));
    return reason;
}

/* Pauses campaign id for reason (consumed). returns 1 when paused, 0 when it no longer ran, -1
 * with err. */
static int pause_for(PGconn *conn, const config_t *cfg, long long id, json_t *reason, mc_error *err)
{
    char *text = json_dumps(reason, JSON_COMPACT);
    campaign_actor guard = {0, 0, GUARD_ACTOR, text, false};
    campaign_env env = {cfg->templates_dir, NULL, NULL, cfg};
    mc_error terr;
    json_t *paused = campaign_transition(conn, &env, id, "pause", &guard, NULL, &terr);
    int rc = paused ? 1 : 0;
    if (paused)
        log_warn("complaint guard: campaign %lld paused: %s", id,
                 json_string_value(json_object_get(reason, "message")));
    else if (terr.status != 409) /* paused, finished or cancelled meanwhile */
        rc = -1, *err = terr;
    json_decref(paused);
    json_decref(reason);
    free(text);
    return rc;
}

int complaint_guard_run(PGconn *conn, const config_t *cfg, mc_error *err)
{
    /* whoever moves the mark looks; a look that failed half-way is made again within a minute */
    PGresult *res = db_query(conn,
                             "UPDATE complaint_guard_state s SET checked_until = m.top,"
                             " checked_at = now() FROM (SELECT COALESCE(max(id), 0) AS top FROM"
                             " bounces WHERE kind = 'complaint') m WHERE m.top > s.checked_until"
                             " OR s.checked_at < now() - " GUARD_RECHECK_SQL " RETURNING 1",
                             0, NULL, err);
    if (!res) return -1;
    bool look = PQntuples(res) > 0;
    PQclear(res);
    if (!look) return 0;
    char window[16];
    snprintf(window, sizeof window, "%u", cfg->complaint_window_days);
    const char *params[] = {window};
    res = db_query(conn, RATES_SQL("c.state = 'running'"), 1, params, err);
    if (!res) return -1;
    int paused = 0, rc = 0;
    for (int i = 0; i < PQntuples(res) && rc >= 0; i++) {
        complaint_rate campaign, domain;
        judge_row(res, i, cfg, &campaign, &domain);
        json_t *reason = NULL;
        if (campaign.over && !campaign.overridden)
            reason = reason_of(&campaign, NULL, cfg);
        else if (domain.over && !domain.overridden)
            reason = reason_of(&domain, PQgetvalue(res, i, R_DOMAIN), cfg);
        if (!reason) continue;
        rc = pause_for(conn, cfg, strtoll(PQgetvalue(res, i, R_ID), NULL, 10), reason, err);
        if (rc > 0) paused++;
    }
    PQclear(res);
    return rc < 0 ? -1 : paused;
}

int complaint_guard_resume(PGconn *conn, const config_t *cfg, const char *id_text, bool override,
                           mc_error *err)
{
    char window[16];
    snprintf(window, sizeof window, "%u", cfg->complaint_window_days);
    const char *params[] = {window, id_text};
    PGresult *res = db_query(conn,
                             RATES_SQL("c.id = $2::bigint AND c.paused_reason->>'code' ="
                                       " 'complaint_rate'"),
                             2, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) == 1) {
        complaint_rate campaign, domain;
        judge_row(res, 0, cfg, &campaign, &domain);
        if (!override && (campaign.over || domain.over)) {
            const complaint_rate *r = campaign.over ? &campaign : &domain;
            rc = mc_error_set(err, 409, "complaint_rate", "override_complaint_guard",
                              "the complaint guard paused this campaign and the %s complaint "
                              "rate is still %.2f%%, above the threshold of %.2f%%: resume with "
                              "{\"override_complaint_guard\": true} to send anyway",
                              campaign.over ? "campaign's" : "sending domain's", r->rate * 100,
                              cfg->complaint_threshold * 100);
        } else if (override) {
            char oc[40], od[40];
            snprintf(oc, sizeof oc, "%.17g", campaign.rate);
            snprintf(od, sizeof od, "%.17g", domain.rate);
            const char *set[] = {id_text, oc, od};
            rc = db_exec(conn,
                         "UPDATE campaigns SET complaint_override_campaign = $2::float8,"
                         " complaint_override_domain = $3::float8 WHERE id = $1::bigint",
                         3, set, err);
        }
    }
    PQclear(res);
    return rc;
}

int complaint_guard_render_metrics(PGconn *conn, const config_t *cfg, buf_t *out, mc_error *err)
{
    PGresult *res = db_query(conn,
                             "SELECT count(*) FROM campaign_transitions WHERE action = 'pause'"
                             " AND actor = '" GUARD_ACTOR "'",
                             0, NULL, err);
    if (!res) return -1;
    buf_append_cstr(out,
                    "# HELP mailcast_complaint_guard_pauses_total Campaigns paused by the "
                    "complaint guard.\n# TYPE mailcast_complaint_guard_pauses_total counter\n");
    metric_write_sample(out, "mailcast_complaint_guard_pauses_total", "",
                        strtoull(PQgetvalue(res, 0, 0), NULL, 10));
    PQclear(res);
    char window[16];
    snprintf(window, sizeof window, "%u", cfg->complaint_window_days);
    const char *params[] = {window};
    res = db_query(
        conn,
        "SELECT domain, sum(complaints)::float8 / sum(sent) FROM (SELECT " DOMAIN_OF(
            "c") " AS domain, (SELECT count(*) FROM messages m WHERE m.campaign_id = c.id AND "
                 "m.state = " MESSAGE_SENT_SQL
                 " AND m.sent_at > now() - $1::integer * interval '1 day') AS sent,"
                 " (SELECT count(DISTINCT b.subscriber_id) FROM bounces b WHERE b.campaign_id = "
                 "c.id"
                 " AND b.kind = 'complaint' AND b.created_at > now() - $1::integer * interval '1 "
                 "day')"
                 " AS complaints FROM campaigns c WHERE c.state IN ('running', 'paused', "
                 "'finished',"
                 " 'cancelled') AND COALESCE(c.finished_at, now()) > now() - $1::integer * interval"
                 " '1 day') d GROUP BY domain HAVING sum(sent) > 0 ORDER BY domain",
        1, params, err);
    if (!res) return -1;
    buf_appendf(out,
                "# HELP mailcast_complaint_rate Complaints per message sent from each sending "
                "domain over the last %u days.\n# TYPE mailcast_complaint_rate gauge\n",
                cfg->complaint_window_days);
    for (int i = 0; i < PQntuples(res); i++) {
        buf_t labels = BUF_INIT;
        metric_write_label(&labels, "domain", PQgetvalue(res, i, 0));
        buf_appendf(out, "mailcast_complaint_rate{%s} %.6f\n", buf_cstr(&labels),
                    number(res, i, 1));
        buf_free(&labels);
    }
    PQclear(res);
    return 0;
}
