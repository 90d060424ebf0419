/* The checks of a posted event: names, times, revenue amounts, and the fields errors name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "automation/event_input.h"

/* 2026-12-06T08:00:00Z */
#define NOW 1796544000LL

static buf_t encoded = BUF_INIT;
static const event_rules RULES = {.order_event = "order_completed",
                                  .revenue_property = "revenue",
                                  .max_property_bytes = 64,
                                  .now = (time_t)NOW,
                                  .encoded = &encoded};

static long long when(const char *text)
{
    long long t = -1;
    return event_time_parse(text, &t) < 0 ? -1 : t;
}

static void test_rfc3339_times_read_as_seconds_since_the_epoch(void **state)
{
    (void)state;
    assert_int_equal(when("2026-12-06T08:00:00Z"), NOW);
    assert_int_equal(when("2026-12-06t09:00:00+01:00"), NOW);
    assert_int_equal(when("2026-12-06 03:30:00.123456-04:30"), NOW);
    assert_int_equal(when("2026-12-06T08:00:00.5z"), NOW);
    assert_int_equal(when("2000-01-01T00:00:00Z"), EVENT_EARLIEST);
    assert_int_equal(when("2024-02-29T00:00:00Z"), 1709164800LL);
    assert_int_equal(when("1970-01-01T00:00:00Z"), 0);
}

static void test_malformed_times_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "2026-12-06",
                         "2026-12-06T08:00:00",
                         "2026-12-06T08:00Z",
                         "2026-12-06T08:00:00+0100",
                         "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-12-06T24:00:00Z",
                         "2026-12-06T08:60:00Z",
                         "2026-12-06T08:00:60Z",
                         "2026-12-06T08:00:00.Z",
                         "2026-12-06T08:00:00Z ",
                         "26-12-06T08:00:00Z",
                         "２026-12-06T08:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(when(bad[i]), -1);
}

static void test_names_allow_letters_digits_and_four_marks(void **state)
{
    (void)state;
    assert_true(event_name_valid("order_completed", strlen("order_completed")));
    assert_true(event_name_valid("shop:cart.updated-2", strlen("shop:cart.updated-2")));
    char longest[EVENT_NAME_MAX + 2];
    memset(longest, 'a', EVENT_NAME_MAX);
    longest[EVENT_NAME_MAX] = '\0';
    assert_true(event_name_valid(longest, strlen(longest)));
    longest[EVENT_NAME_MAX] = 'a';
    longest[EVENT_NAME_MAX + 1] = '\0';
    assert_false(event_name_valid(longest, strlen(longest)));
    assert_false(event_name_valid("", strlen("")));
    assert_false(event_name_valid("cart updated", strlen("cart updated")));
    assert_false(event_name_valid("compra_café", strlen("compra_café")));
    assert_false(event_name_valid("заказ", strlen("заказ")));
    assert_false(event_name_valid("a/b", strlen("a/b")));
}

static const char *revenue(json_t *v)
{
    static char out[32];
    int rc = event_revenue_text(v, out, sizeof out);
    json_decref(v);
    return rc < 0 ? NULL : out;
}

static void test_revenue_is_a_number_or_a_numeric_string(void **state)
{
    (void)state;
    assert_string_equal(revenue(json_integer(30)), "30");
    assert_string_equal(revenue(json_real(19.99)), "19.990000");
    assert_string_equal(revenue(json_string("1234.50")), "1234.50");
    assert_string_equal(revenue(json_string("0")), "0");
    assert_string_equal(revenue(json_string("99999999999999.99")), "99999999999999.99");
    assert_null(revenue(json_integer(-1)));
    assert_null(revenue(json_real(1e14)));
    assert_null(revenue(json_string("100000000000000")));
    assert_null(revenue(json_string("")));
    assert_null(revenue(json_string("12,50")));
    assert_null(revenue(json_string("1e3")));
    assert_null(revenue(json_string(".5")));
    assert_null(revenue(json_string("5.")));
    assert_null(revenue(json_string("1.2.3")));
    assert_null(revenue(json_string("-3")));
    assert_null(revenue(json_true()));
    assert_null(revenue(json_object()));
}

/* returns the field of the error event_check gives for text with prefix, or "" when none */
static const char *error_field(const char *text, const char *prefix)
{
    static mc_error err;
    json_t *ev = json_loads(text, 0, NULL);
    assert_non_null(ev);
    event_input in;
    memset(&err, 0, sizeof err);
    int rc = event_check(ev, &RULES, prefix, &in, &err);
    json_decref(ev);
    if (rc == 0) return "";
    assert_true(err.status >= 400 && err.status < 500);
    assert_true(err.message[0] != '\0');
    return err.field;
}

static void test_errors_name_the_field_within_the_batch(void **state)
{
    (void)state;
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"x\"}", ""), "");
    assert_string_equal(error_field("{\"name\": \"x\"}", "events[3]."), "events[3].subscriber_id");
    assert_string_equal(error_field("{\"subscriber_id\": 1}", "events[0]."), "events[0].name");
    assert_string_equal(error_field("[]", "events[12]."), "events[12]");
    assert_string_equal(error_field("[]", ""), "");
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"x\", \"properties\": "
                                    "{\"t\": \"ññññññññññññññññññññññññññññññ\"}}",
                                    "events[1]."),
                        "events[1].properties");
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"x\", \"occurred_at\": "
                                    "\"2026-12-07T08:00:01Z\"}",
                                    ""),
                        "occurred_at");
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"x\", \"occurred_at\": "
                                    "\"2026-12-07T08:00:00Z\"}",
                                    ""),
                        "");
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"order_completed\", "
                                    "\"properties\": {\"revenue\": \"caro\"}}",
                                    "events[2]."),
                        "events[2].properties.revenue");
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"order_completed\", "
                                    "\"properties\": {\"currency\": 978}}",
                                    ""),
                        "properties.currency");
    /* the revenue property means nothing to other events */
    assert_string_equal(error_field("{\"subscriber_id\": 1, \"name\": \"refund\", "
                                    "\"properties\": {\"revenue\": \"caro\"}}",
                                    ""),
                        "");
    assert_string_equal(
        error_field("{\"email\": \"x@example.org\", \"name\": \"x\", \"extra\": 1}", "events[5]."),
        "events[5].extra");
}

static void test_an_order_without_revenue_is_worth_zero(void **state)
{
    (void)state;
    json_t *ev =
        json_loads("{\"email\": \" ana@example.es \", \"name\": \"order_completed\"}", 0, NULL);
    event_input in;
    mc_error err;
    assert_int_equal(event_check(ev, &RULES, "", &in, &err), 0);
    assert_true(in.order);
    assert_string_equal(in.revenue, "0");
    /* the address trimmed */
    assert_int_equal(in.email_len, strlen("ana@example.es"));
    assert_memory_equal(in.email, "ana@example.es", in.email_len);
    json_decref(ev);
}

static void test_properties_are_measured_as_stored(void **state)
{
    (void)state;
    /* json_dumps() would write 19.899999999999999 and 0.10000000000000001 */
    json_t *ev =
        json_loads("{\"subscriber_id\": 1, \"name\": \"x\", \"properties\": "
                   "{\"price\": 19.9, \"tax\": 0.1, \"n\": 3, \"name\": \"Чайник \\\"Д\\\"\"}}",
                   0, NULL);
    assert_non_null(ev);
    event_input in;
    mc_error err;
    assert_int_equal(event_check(ev, &RULES, "", &in, &err), 0);
    const char *want = "{\"price\":19.9,\"tax\":0.1,\"n\":3,\"name\":\"Чайник \\\"Д\\\"\"}";
    assert_int_equal(in.properties_json.n, strlen(want));
    assert_memory_equal(in.properties_json.p, want, in.properties_json.n);
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_times_read_as_seconds_since_the_epoch),
        cmocka_unit_test(test_malformed_times_are_refused),
        cmocka_unit_test(test_names_allow_letters_digits_and_four_marks),
        cmocka_unit_test(test_revenue_is_a_number_or_a_numeric_string),
        cmocka_unit_test(test_errors_name_the_field_within_the_batch),
        cmocka_unit_test(test_an_order_without_revenue_is_worth_zero),
        cmocka_unit_test(test_properties_are_measured_as_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
