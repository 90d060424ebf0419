/* The segment compiler: rule JSON to one boolean SQL expression whose every value, attribute
 * key, list id and event name is a parameter, with errors that name the path in the rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/segment_compile.h"

typedef struct {
    sql_builder b;
    mc_error err;
    int rc;
} compiled;

static compiled compile(const char *rule_json)
{
    compiled c = {SQL_BUILDER_INIT, {0}, 0};
    json_error_t jerr;
    json_t *rule = json_loads(rule_json, JSON_DECODE_ANY, &jerr);
    if (!rule) fail_msg("bad test JSON: %s", jerr.text);
    c.rc = segment_compile(rule, &c.b, &c.err);
    json_decref(rule);
    return c;
}

static void assert_sql(const char *rule, const char *sql)
{
    compiled c = compile(rule);
    if (c.rc != 0) fail_msg("refused %s: %s (%s)", rule, c.err.message, c.err.field);
    assert_string_equal(sql_builder_text(&c.b), sql);
    sql_builder_free(&c.b);
}

static void assert_params(const char *rule, int count, const char *const *expected)
{
    compiled c = compile(rule);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.b.count, count);
    for (int i = 0; i < count; i++)
        assert_string_equal(c.b.params[i], expected[i]);
    sql_builder_free(&c.b);
}

static void assert_refused_at(const char *rule, const char *path)
{
    compiled c = compile(rule);
    if (c.rc == 0) fail_msg("accepted %s as %s", rule, sql_builder_text(&c.b));
    assert_int_equal(c.err.status, 400);
    assert_string_equal(c.err.code, "invalid_rule");
    assert_string_equal(c.err.field, path);
    sql_builder_free(&c.b);
}

static void test_email_equality_compares_lower_case_through_a_parameter(void **state)
{
    (void)state;
    assert_sql("{\"field\": \"email\", \"op\": \"eq\", \"value\": \"Ana@Example.com\"}",
               "(lower(s.email) = lower($1))");
    const char *params[] = {"Ana@Example.com"};
    assert_params("{\"field\": \"email\", \"op\": \"eq\", \"value\": \"Ana@Example.com\"}", 1,
                  params);
}

static void
test_attribute_equality_is_a_containment_with_key_and_value_in_one_parameter(void **state)
{
    (void)state;
    assert_sql("{\"field\": \"attributes.city\", \"op\": \"eq\", \"value\": \"Sevilla\"}",
               "(s.attributes @> $1::jsonb)");
    const char *params[] = {"{\"city\":\"Sevilla\"}"};
    assert_params("{\"field\": \"attributes.city\", \"op\": \"eq\", \"value\": \"Sevilla\"}", 1,
                  params);
}

static void test_numeric_comparison_reads_only_json_numbers(void **state)
{
    (void)state;
    assert_sql("{\"field\": \"attributes.age\", \"op\": \"gte\", \"value\": 18}",
               "COALESCE((CASE WHEN jsonb_typeof(s.attributes -> $1) = 'number' THEN "
               "(s.attributes ->> $1)::numeric END) >= $2::numeric, false)");
    const char *params[] = {"age", "18"};
    assert_params("{\"field\": \"attributes.age\", \"op\": \"gte\", \"value\": 18}", 2, params);
}

static void test_date_between_uses_utc_dates_on_both_sides(void **state)
{
    (void)state;
    assert_sql("{\"field\": \"created_at\", \"op\": \"between\", \"value\": [\"2026-01-01\", "
               "\"2026-02-01T00:00:00Z\"]}",
               "COALESCE(s.created_at BETWEEN mc_try_timestamptz($1) AND mc_try_timestamptz($2), "
               "false)");
}

static void test_groups_nest_with_and_or_not(void **state)
{
    (void)state;
    assert_sql("{\"all\": [{\"field\": \"status\", \"op\": \"eq\", \"value\": \"active\"},"
               " {\"any\": [{\"list\": 3}, {\"not\": {\"list\": 4, \"status\": \"confirmed\"}}]}]}",
               "((s.status = $1) AND (EXISTS (SELECT 1 FROM list_subscribers m WHERE "
               "m.subscriber_id = s.id AND m.list_id = $2) OR (NOT EXISTS (SELECT 1 FROM "
               "list_subscribers m WHERE m.subscriber_id = s.id AND m.list_id = $3 AND m.status = "
               "$4))))");
}

static void test_empty_all_is_everyone_and_empty_any_no_one(void **state)
{
    (void)state;
    assert_sql("{\"all\": []}", "true");
    assert_sql("{\"any\": []}", "false");
}

static void test_engagement_never_opened_within_days(void **state)
{
    (void)state;
    assert_sql("{\"engagement\": \"not_opened\", \"campaign\": 7, \"within_days\": 30}",
               "NOT EXISTS (SELECT 1 FROM message_engagements e WHERE e.subscriber_id = s.id AND "
               "e.kind = $1 AND e.campaign_id = $2 AND NOT e.machine AND e.occurred_at >= now() - "
               "make_interval(days => $3::int))");
    const char *params[] = {"open", "7", "30"};
    assert_params("{\"engagement\": \"not_opened\", \"campaign\": 7, \"within_days\": 30}", 3,
                  params);
}

static void test_engagement_counts_machines_only_when_asked(void **state)
{
    (void)state;
    assert_sql("{\"engagement\": \"clicked\", \"include_machine\": true}",
               "EXISTS (SELECT 1 FROM message_engagements e WHERE e.subscriber_id = s.id AND "
               "e.kind = $1)");
    assert_sql("{\"engagement\": \"clicked\", \"include_machine\": false}",
               "EXISTS (SELECT 1 FROM message_engagements e WHERE e.subscriber_id = s.id AND "
               "e.kind = $1 AND NOT e.machine)");
    assert_refused_at("{\"engagement\": \"opened\", \"include_machine\": \"yes\"}",
                      "include_machine");
}

static void test_event_counts_up_to_min_count_with_property_conditions(void **state)
{
    (void)state;
    assert_sql("{\"event\": \"purchase\", \"min_count\": 2, \"within_days\": 7, \"where\": "
               "[{\"field\": \"properties.sku\", \"op\": \"starts_with\", \"value\": \"AB\"}]}",
               "((SELECT count(*) FROM (SELECT 1 FROM events ev WHERE ev.subscriber_id = s.id AND "
               "ev.name = $1 AND ev.occurred_at >= now() - make_interval(days => $2::int) AND "
               "COALESCE((ev.properties ->> $3) ILIKE $4, false) LIMIT $5) counted) >= $5)");
    const char *params[] = {"purchase", "7", "sku", "AB%", "2"};
    assert_params("{\"event\": \"purchase\", \"min_count\": 2, \"within_days\": 7, \"where\": "
                  "[{\"field\": \"properties.sku\", \"op\": \"starts_with\", \"value\": \"AB\"}]}",
                  5, params);
}

static compiled compile_at(const char *rule_json, const char *entry_at)
{
    compiled c = {SQL_BUILDER_INIT, {0}, 0};
    json_t *rule = json_loads(rule_json, JSON_DECODE_ANY, NULL);
    if (!rule) fail_msg("bad test JSON: %s", rule_json);
    c.rc = segment_compile_at(rule, &c.b, entry_at, &c.err);
    json_decref(rule);
    return c;
}

static void test_since_entry_counts_events_from_the_entry_time_bound_once(void **state)
{
    (void)state;
    compiled c = compile_at("{\"all\": [{\"not\": {\"event\": \"order_completed\", "
                            "\"since_entry\": true}}, {\"event\": \"cart_viewed\", "
                            "\"since_entry\": true}, {\"event\": \"login\", "
                            "\"since_entry\": false}]}",
                            "2026-12-06 08:00:00+00");
    if (c.rc != 0) fail_msg("refused: %s (%s)", c.err.message, c.err.field);
    assert_string_equal(
        sql_builder_text(&c.b),
        "((NOT ((SELECT count(*) FROM (SELECT 1 FROM events ev WHERE ev.subscriber_id = s.id AND "
        "ev.name = $1 AND ev.occurred_at >= $2::timestamptz LIMIT $3) counted) >= $3)) AND "
        "((SELECT count(*) FROM (SELECT 1 FROM events ev WHERE ev.subscriber_id = s.id AND "
        "ev.name = $4 AND ev.occurred_at >= $2::timestamptz LIMIT $5) counted) >= $5) AND "
        "((SELECT count(*) FROM (SELECT 1 FROM events ev WHERE ev.subscriber_id = s.id AND "
        "ev.name = $6 LIMIT $7) counted) >= $7))");
    assert_int_equal(c.b.count, 7);
    assert_string_equal(c.b.params[1], "2026-12-06 08:00:00+00");
    sql_builder_free(&c.b);
}

static void test_since_entry_is_refused_without_an_entry_time(void **state)
{
    (void)state;
    /* saved segments (segment_compile) have no entry time */
    assert_refused_at("{\"not\": {\"event\": \"order_completed\", \"since_entry\": true}}",
                      "not.since_entry");
    compiled c = compile_at("{\"any\": [{\"event\": \"x\", \"since_entry\": true}]}", NULL);
    assert_int_equal(c.rc, -1);
    assert_string_equal(c.err.field, "any[0].since_entry");
    sql_builder_free(&c.b);
    c = compile_at("{\"event\": \"x\", \"since_entry\": \"yes\"}", "2026-01-01T00:00:00Z");
    assert_int_equal(c.rc, -1);
    assert_string_equal(c.err.field, "since_entry");
    sql_builder_free(&c.b);
}

static void test_injection_attempts_stay_parameters(void **state)
{
    (void)state;
    const char *rule = "{\"any\": ["
                       "{\"field\": \"name\", \"op\": \"eq\", \"value\": \"x'); DROP TABLE s;--\"},"
                       "{\"field\": \"attributes.a') OR 1=1 --\", \"op\": \"exists\"},"
                       "{\"field\": \"attributes.k\", \"op\": \"contains\", \"value\": \"50%_\"},"
                       "{\"event\": \"e' OR '1'='1\"}]}";
    compiled c = compile(rule);
    assert_int_equal(c.rc, 0);
    const char *sql = sql_builder_text(&c.b);
    assert_null(strstr(sql, "DROP"));
    assert_null(strstr(sql, "1=1"));
    assert_null(strstr(sql, "'1'"));
    assert_string_equal(c.b.params[0], "x'); DROP TABLE s;--");
    assert_string_equal(c.b.params[1], "a') OR 1=1 --");
    /* LIKE wildcards in a value match themselves */
    assert_string_equal(c.b.params[3], "%50\\%\\_%");
    sql_builder_free(&c.b);
}

static void test_unknown_operator_is_refused_with_its_path(void **state)
{
    (void)state;
    assert_refused_at("{\"all\": [{\"list\": 1}, {\"list\": 2}, {\"any\": [{\"field\": \"name\", "
                      "\"op\": \"like\", \"value\": \"a\"}]}]}",
                      "all[2].any[0].op");
}

static void test_wrong_value_types_are_refused_with_their_path(void **state)
{
    (void)state;
    assert_refused_at("{\"field\": \"attributes.age\", \"op\": \"gt\", \"value\": \"old\"}",
                      "value");
    assert_refused_at("{\"field\": \"created_at\", \"op\": \"gt\", \"value\": 5}", "value");
    assert_refused_at("{\"field\": \"email\", \"op\": \"eq\", \"value\": 5}", "value");
    assert_refused_at("{\"field\": \"status\", \"op\": \"eq\", \"value\": \"gone\"}", "value");
    assert_refused_at("{\"not\": {\"field\": \"attributes.x\", \"op\": \"in\", \"value\": [1, "
                      "[2]]}}",
                      "not.value[1]");
    assert_refused_at("{\"field\": \"attributes.x\", \"op\": \"between\", \"value\": [1, "
                      "\"2026-01-01\"]}",
                      "value");
    assert_refused_at("{\"list\": \"3\"}", "list");
    assert_refused_at("{\"list\": 3, \"status\": \"maybe\"}", "status");
    assert_refused_at("{\"engagement\": \"opened\", \"within_days\": -1}", "within_days");
    assert_refused_at("{\"event\": \"x\", \"where\": [{\"field\": \"attributes.a\", \"op\": "
                      "\"eq\", \"value\": 1}]}",
                      "where[0].field");
}

static void test_unknown_fields_and_members_are_refused(void **state)
{
    (void)state;
    assert_refused_at("{\"field\": \"password\", \"op\": \"eq\", \"value\": \"x\"}", "field");
    assert_refused_at("{\"all\": [{\"list\": 1, \"colour\": \"red\"}]}", "all[0].colour");
    assert_refused_at("{\"all\": [], \"any\": []}", "rule");
    assert_refused_at("[]", "rule");
    assert_refused_at("{\"any\": [17]}", "any[0]");
}

static void test_nesting_deeper_than_the_limit_is_refused(void **state)
{
    (void)state;
    char rule[512] = "", tail[64] = "";
    for (int i = 0; i < SEGMENT_MAX_DEPTH; i++) {
        strcat(rule, "{\"not\": ");
        strcat(tail, "}");
    }
    strcat(rule, "{\"list\": 1}");
    strcat(rule, tail);
    assert_refused_at(rule, "not.not.not.not.not.not.not.not.not.not");
}

static void test_nesting_up_to_the_limit_is_accepted(void **state)
{
    (void)state;
    char rule[512] = "", tail[64] = "";
    for (int i = 0; i < SEGMENT_MAX_DEPTH - 1; i++) {
        strcat(rule, "{\"not\": ");
        strcat(tail, "}");
    }
    strcat(rule, "{\"list\": 1}");
    strcat(rule, tail);
    compiled c = compile(rule);
    assert_int_equal(c.rc, 0);
    sql_builder_free(&c.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_equality_compares_lower_case_through_a_parameter),
        cmocka_unit_test(
            test_attribute_equality_is_a_containment_with_key_and_value_in_one_parameter),
        cmocka_unit_test(test_numeric_comparison_reads_only_json_numbers),
        cmocka_unit_test(test_date_between_uses_utc_dates_on_both_sides),
        cmocka_unit_test(test_groups_nest_with_and_or_not),
        cmocka_unit_test(test_empty_all_is_everyone_and_empty_any_no_one),
        cmocka_unit_test(test_engagement_never_opened_within_days),
        cmocka_unit_test(test_engagement_counts_machines_only_when_asked),
        cmocka_unit_test(test_event_counts_up_to_min_count_with_property_conditions),
        cmocka_unit_test(test_since_entry_counts_events_from_the_entry_time_bound_once),
        cmocka_unit_test(test_since_entry_is_refused_without_an_entry_time),
        cmocka_unit_test(test_injection_attempts_stay_parameters),
        cmocka_unit_test(test_unknown_operator_is_refused_with_its_path),
        cmocka_unit_test(test_wrong_value_types_are_refused_with_their_path),
        cmocka_unit_test(test_unknown_fields_and_members_are_refused),
        cmocka_unit_test(test_nesting_deeper_than_the_limit_is_refused),
        cmocka_unit_test(test_nesting_up_to_the_limit_is_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
