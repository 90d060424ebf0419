/* A/B test results (ab_results.h): per-variant numbers in one statement, the winner job and
 * the report. */
#include "automation/ab_results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "automation/ab_stats.h"
#include "campaign/campaign_ab.h"
#include "core/log.h"
#include "db/query.h"
#include "queue/message_state.h"

/* the tests the job looks at in one round */
#define PENDING_MAX 20

/* $1 campaign, $2 variants. Each count reads the variant's test messages through their index
 * (messages_ab_variant_idx); engagements and conversions name their message, so a test
 * message's are its variant's. Unique: one per message, which is one per recipient. */
static const char NUMBERS_SQL[] =
    "SELECT (SELECT count(*) FROM messages m WHERE m.campaign_id = $1 AND m.ab_variant = g"
    " AND m.state = " MESSAGE_SENT_SQL "),"
    " (SELECT count(DISTINCT e.message_id) FROM message_engagements e JOIN messages m"
    " ON m.id = e.message_id WHERE e.campaign_id = $1 AND e.kind = 'open' AND NOT e.machine"
    " AND m.ab_variant = g),"
    " (SELECT count(DISTINCT e.message_id) FROM message_engagements e JOIN messages m"
    " ON m.id = e.message_id WHERE e.campaign_id = $1 AND e.kind = 'click' AND NOT e.machine"
    " AND m.ab_variant = g),"
    " (SELECT count(DISTINCT x.message_id) FROM conversions x JOIN messages m"
    " ON m.id = x.message_id WHERE x.campaign_id = $1 AND m.ab_variant = g),"
    " (SELECT COALESCE(sum(x.revenue), 0)::float8 FROM conversions x JOIN messages m"
    " ON m.id = x.message_id WHERE x.campaign_id = $1 AND m.ab_variant = g)"
    " FROM generate_series(0, $2::integer - 1) g ORDER BY g";

/* Reads the numbers of variants [0, n) of campaign id_text into out. returns 0 or -1. */
static int read_numbers(PGconn *conn, const char *id_text, int n, ab_numbers *out, mc_error *err)
{
    char n_text[16];
    snprintf(n_text, sizeof n_text, "%d", n);
    const char *params[] = {id_text, n_text};
    PGresult *res = db_query(conn, NUMBERS_SQL, 2, params, err);
    if (!res) return -1;
    for (int i = 0; i < n && i < PQntuples(res); i++)
        out[i] = (ab_numbers){
            strtoll(PQgetvalue(res, i, 0), NULL, 10), strtoll(PQgetvalue(res, i, 1), NULL, 10),
            strtoll(PQgetvalue(res, i, 2), NULL, 10), strtoll(PQgetvalue(res, i, 3), NULL, 10),
            strtod(PQgetvalue(res, i, 4), NULL)};
    PQclear(res);
    return 0;
}

/* what the metric counts of v: successes for the rate and the z-test */
static double metric_amount(const char *metric, const ab_numbers *v)
{
    if (!strcmp(metric, "opens")) return (double)v->opens;
    if (!strcmp(metric, "revenue")) return v->revenue;
    return (double)v->clicks;
}

/* the proportion the significance compares: revenue is not a proportion, so its test is on
 * the recipients who converted */
static long long metric_successes(const char *metric, const ab_numbers *v)
{
    if (!strcmp(metric, "opens")) return v->opens;
    if (!strcmp(metric, "revenue")) return v->converters;
    return v->clicks;
}

int ab_best_variant(const char *metric, const ab_numbers *variants, int n)
{
    double amount[4];
    long long base[4];
    for (int i = 0; i < n && i < 4; i++) {
        amount[i] = metric_amount(metric, &variants[i]);
        base[i] = variants[i].sent;
    }
    return ab_best_rate(amount, base, n < 4 ? n : 4);
}

static json_t *numbers_json(const ab_numbers *v, int n)
{
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:I, s:I, s:I, s:I, s:f}", "sent",
                                             (json_int_t)v[i].sent, "opens", (json_int_t)v[i].opens,
                                             "clicks", (json_int_t)v[i].clicks, "converters",
                                             (json_int_t)v[i].converters, "revenue", v[i].revenue));
    return out;
}

/* Chooses and records the winner of p's test. returns 1 when chosen, 0 when someone chose
 * first, -1 with err. */
static int choose(PGconn *conn, const campaign_ab_pending *p, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", p->campaign_id);
    ab_numbers numbers[4] = {{0}};
    int n = p->variants < 4 ? p->variants : 4;
    if (read_numbers(conn, id_text, n, numbers, err) < 0) return -1;
    int best = ab_best_variant(p->metric, numbers, n);
    json_t *decided = numbers_json(numbers, n);
    char *text = json_dumps(decided, JSON_COMPACT);
    json_decref(decided);
    mc_error cerr;
    int rc = campaign_ab_set_winner(conn, p->campaign_id, best, "auto", 0, text, &cerr);
    free(text);
    if (rc == 0) {
        log_info("ab: campaign %lld: variant %c wins by %s", p->campaign_id, 'A' + best, p->metric);
        return 1;
    }
    /* a person chose meanwhile, or the campaign was cancelled */
    if (cerr.status == 409) return 0;
    *err = cerr;
    return -1;
}

int ab_choose_winner(PGconn *conn, long long id, int variant, long long user_id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    /* all four: the choice itself says how many the test has */
    ab_numbers numbers[4] = {{0}};
    if (read_numbers(conn, id_text, 4, numbers, err) < 0) return -1;
    json_t *decided = numbers_json(numbers, 4);
    char *text = json_dumps(decided, JSON_COMPACT);
    json_decref(decided);
    int rc = campaign_ab_set_winner(conn, id, variant, "manual", user_id, text, err);
    free(text);
    return rc;
}

int ab_choose_due_winners(PGconn *conn, long long *wake_ms, mc_error *err)
{
    campaign_ab_pending pending[PENDING_MAX];
    int n = campaign_ab_pending_list(conn, pending, PENDING_MAX, err);
    if (n < 0) return -1;
    int chosen = 0;
    for (int i = 0; i < n; i++) {
        const campaign_ab_pending *p = &pending[i];
        if (p->manual || !p->ended) continue;
        if (p->due_ms > 0) {
            if (*wake_ms < 0 || p->due_ms < *wake_ms) *wake_ms = p->due_ms;
            continue;
        }
        int rc = choose(conn, p, err);
        if (rc < 0) return -1;
        chosen += rc;
    }
    return chosen;
}

static const char SETTINGS_SQL[] =
    "SELECT a.variants::text, a.test_percent, a.metric, a.wait, a.winner_mode, a.winner,"
    " a.winner_by, mc_rfc3339(a.winner_at), a.decided_on::text, c.messages_pruned_at IS NOT"
    " NULL, c.subject, c.from_name FROM campaigns c LEFT JOIN campaign_ab_tests a"
    " ON a.campaign_id = c.id WHERE c.id = $1";

static json_t *rate(double amount, long long base)
{
    return json_real(base > 0 ? amount / (double)base : 0);
}

/* The report's variant i of settings row res, with its numbers v against the best's. */
static json_t *variant_json(PGresult *res, json_t *variants, int i, const char *metric,
                            const ab_numbers *v, const ab_numbers *best, bool is_best)
{
    json_t *own = json_array_get(variants, (size_t)i);
    json_t *subject = json_object_get(own, "subject");
    json_t *from_name = json_object_get(own, "from_name");
    char name[2] = {(char)('A' + i), 0};
    json_t *out = json_pack(
        "{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:o, s:o, s:o, s:o}", "variant", i, "name",
        name, "subject", subject ? json_string_value(subject) : PQgetvalue(res, 0, 10), "from_name",
        from_name ? json_string_value(from_name) : PQgetvalue(res, 0, 11), "sent",
        (json_int_t)v->sent, "opens_unique_human", (json_int_t)v->opens, "clicks_unique_human",
        (json_int_t)v->clicks, "converters", (json_int_t)v->converters, "revenue", v->revenue,
        "open_rate", rate((double)v->opens, v->sent), "click_rate",
        rate((double)v->clicks, v->sent), "conversion_rate", rate((double)v->converters, v->sent),
        "revenue_per_recipient", rate(v->revenue, v->sent));
    double z, p;
    if (!is_best && ab_two_proportion(metric_successes(metric, v), v->sent,
                                      metric_successes(metric, best), best->sent, &z, &p)) {
        json_object_set_new(out, "z", json_real(z));
        json_object_set_new(out, "p_value", json_real(p));
    } else {
        json_object_set_new(out, "z", json_null());
        json_object_set_new(out, "p_value", json_null());
    }
    return out;
}

/* Fills numbers from decided (the numbers stored with the winner). */
static void numbers_from_json(json_t *decided, ab_numbers *numbers, int n)
{
    for (int i = 0; i < n; i++) {
        json_t *v = json_array_get(decided, (size_t)i);
        numbers[i] = (ab_numbers){json_integer_value(json_object_get(v, "sent")),
                                  json_integer_value(json_object_get(v, "opens")),
                                  json_integer_value(json_object_get(v, "clicks")),
                                  json_integer_value(json_object_get(v, "converters")),
                                  json_number_value(json_object_get(v, "revenue"))};
    }
}

static const char *significance_of(const char *metric)
{
    if (!strcmp(metric, "opens"))
        return "two-proportion z-test of unique human openers per message sent, each variant"
               " against the best; p is two-sided";
    if (!strcmp(metric, "revenue"))
        return "revenue has no test of its own: z and p are the two-proportion z-test of the"
               " recipients with an attributed conversion per message sent, each variant against"
               " the best by revenue; p is two-sided";
    return "two-proportion z-test of unique human clickers per message sent, each variant"
           " against the best; p is two-sided";
}

/* The report from the settings row res. returns a new object. */
static json_t *report_of(PGconn *conn, const char *id_text, PGresult *res, mc_error *err)
{
    json_t *variants = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    int n = (int)json_array_size(variants);
    n = n < 4 ? n : 4;
    const char *metric = PQgetvalue(res, 0, 2);
    ab_numbers numbers[4] = {{0}};
    json_t *decided = PQgetisnull(res, 0, 8) ? NULL : json_loads(PQgetvalue(res, 0, 8), 0, NULL);
    /* once retention deleted the messages, the numbers the winner was chosen on */
    if (decided && PQgetvalue(res, 0, 9)[0] == 't')
        numbers_from_json(decided, numbers, n);
    else if (read_numbers(conn, id_text, n, numbers, err) < 0) {
        json_decref(decided);
        json_decref(variants);
        return NULL;
    }
    json_decref(decided);
    int best = ab_best_variant(metric, numbers, n);
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            items, variant_json(res, variants, i, metric, &numbers[i], &numbers[best], i == best));
    json_decref(variants);
    json_t *winner = json_null();
    if (!PQgetisnull(res, 0, 5)) {
        int w = atoi(PQgetvalue(res, 0, 5));
        char name[2] = {(char)('A' + w), 0};
        winner = json_pack("{s:i, s:s, s:s, s:s}", "variant", w, "name", name, "by",
                           PQgetvalue(res, 0, 6), "at", PQgetvalue(res, 0, 7));
    }
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:i, s:o, s:s, s:o}", "campaign_id",
                     (json_int_t)strtoll(id_text, NULL, 10), "metric", metric, "test_percent",
                     atoi(PQgetvalue(res, 0, 1)), "wait", PQgetvalue(res, 0, 3), "winner_mode",
                     PQgetvalue(res, 0, 4), "best", best, "winner", winner, "significance",
                     significance_of(metric), "variants", items);
}

json_t *ab_report(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, SETTINGS_SQL, 1, params, err);
    if (!res) return NULL;
    json_t *out = NULL;
    if (PQntuples(res) != 1)
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    else if (PQgetisnull(res, 0, 0))
        mc_error_set(err, 404, "not_found", "ab_test", "campaign %lld has no A/B test", id);
    else
        out = report_of(conn, id_text, res, err);
    PQclear(res);
    return out;
}
