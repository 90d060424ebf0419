/* The metric primitives and the Prometheus text they write: a histogram's cumulative buckets,
 * sum and count; escaped label values; the sender's figures by relay, outcome and reply class. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "app/metrics.h"
#include "core/metrics.h"

static const double BOUNDS[] = {0.01, 0.1, 1};

static void test_histogram_writes_cumulative_buckets_sum_and_count(void **state)
{
    (void)state;
    metric_histogram h;
    metric_histogram_init(&h, BOUNDS, 3);
    metric_histogram_observe(&h, 0.005); /* le 0.01 */
    metric_histogram_observe(&h, 0.01);  /* on the bound: still le 0.01 */
    metric_histogram_observe(&h, 0.5);   /* le 1 */
    metric_histogram_observe(&h, 2.0);   /* +Inf only */
    metric_histogram_observe(&h, -1);    /* a clock step back counts as 0 */
    assert_int_equal(metric_histogram_count(&h), 5);
    buf_t out = BUF_INIT;
    metric_write_histogram(&out, "x_seconds", "relay=\"a\"", &h);
    assert_string_equal(buf_cstr(&out), "x_seconds_bucket{relay=\"a\",le=\"0.01\"} 3\n"
                                        "x_seconds_bucket{relay=\"a\",le=\"0.1\"} 3\n"
                                        "x_seconds_bucket{relay=\"a\",le=\"1\"} 4\n"
                                        "x_seconds_bucket{relay=\"a\",le=\"+Inf\"} 5\n"
                                        "x_seconds_sum{relay=\"a\"} 2.515000\n"
                                        "x_seconds_count{relay=\"a\"} 5\n");
    buf_reset(&out);
    metric_histogram_init(&h, BOUNDS, 3);
    metric_write_histogram(&out, "y", "", &h);
    assert_string_equal(buf_cstr(&out), "y_bucket{le=\"0.01\"} 0\n"
                                        "y_bucket{le=\"0.1\"} 0\n"
                                        "y_bucket{le=\"1\"} 0\n"
                                        "y_bucket{le=\"+Inf\"} 0\n"
                                        "y_sum 0.000000\n"
                                        "y_count 0\n");
    buf_free(&out);
}

static void test_label_values_are_escaped_and_joined_with_commas(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    metric_write_label(&out, "relay", "a\"b\\c\nd");
    metric_write_label(&out, "class", "2xx");
    assert_string_equal(buf_cstr(&out), "relay=\"a\\\"b\\\\c\\nd\",class=\"2xx\"");
    buf_free(&out);
}

static void test_family_and_samples(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    metric_write_family(&out, "n_total", "counter", "Things.");
    metric_write_sample(&out, "n_total", "", 7);
    metric_write_seconds(&out, "w_seconds_total", "relay=\"r\"", 1500000);
    assert_string_equal(buf_cstr(&out), "# HELP n_total Things.\n# TYPE n_total counter\n"
                                        "n_total 7\nw_seconds_total{relay=\"r\"} 1.500000\n");
    buf_free(&out);
}

static void result(mail_result *r, mail_outcome outcome, int code)
{
    memset(r, 0, sizeof *r);
    r->outcome = outcome;
    r->code = code;
}

static void test_sessions_count_messages_by_relay_outcome_and_class(void **state)
{
    (void)state;
    relay_config configs[2] = {{.name = "main"}, {.name = "backup"}};
    relay_set relays = {.relays = configs, .count = 2};
    app_metrics m;
    app_metrics_init(&m, &relays);
    mail_result r[4];
    result(&r[0], MAIL_SENT, 250);
    result(&r[1], MAIL_TEMPORARY, 451);
    result(&r[2], MAIL_PERMANENT, 550);
    result(&r[3], MAIL_TEMPORARY, 0); /* no reply */
    app_metrics_session(&m, 1, r, 4, 0.2);
    app_metrics_rate_wait(&m, 0, 3, 1.0);
    buf_t out = BUF_INIT;
    app_metrics_render(&m, &out);
    const char *text = buf_cstr(&out);
    assert_non_null(strstr(text, "mailcast_messages_total{relay=\"backup\",outcome=\"sent\","
                                 "class=\"2xx\"} 1\n"));
    assert_non_null(strstr(text, "mailcast_messages_total{relay=\"backup\",outcome=\"deferred\","
                                 "class=\"4xx\"} 1\n"));
    assert_non_null(strstr(text, "mailcast_messages_total{relay=\"backup\",outcome=\"failed\","
                                 "class=\"5xx\"} 1\n"));
    assert_non_null(strstr(text, "mailcast_messages_total{relay=\"backup\",outcome=\"deferred\","
                                 "class=\"none\"} 1\n"));
    assert_null(strstr(text, "mailcast_messages_total{relay=\"main\""));
    assert_non_null(
        strstr(text, "mailcast_smtp_session_duration_seconds_count{relay=\"backup\"} 1\n"));
    /* each message's share: 0.05 s */
    assert_non_null(strstr(text, "mailcast_message_send_duration_seconds_bucket{relay=\"backup\","
                                 "le=\"0.05\"} 4\n"));
    assert_non_null(strstr(text, "mailcast_rate_limit_waits_total{relay=\"main\"} 3\n"));
    assert_non_null(
        strstr(text, "mailcast_rate_limit_wait_seconds_total{relay=\"main\"} 3.000000\n"));
    buf_free(&out);
    app_metrics_free(&m);
}

static void test_without_relays_the_outbox_is_the_only_relay(void **state)
{
    (void)state;
    relay_set none = {0};
    app_metrics m;
    app_metrics_init(&m, &none);
    mail_result r;
    result(&r, MAIL_SENT, 250);
    app_metrics_session(&m, 0, &r, 1, 0.001);
    buf_t out = BUF_INIT;
    app_metrics_render(&m, &out);
    assert_non_null(strstr(buf_cstr(&out), "mailcast_messages_total{relay=\"outbox\","
                                           "outcome=\"sent\",class=\"2xx\"} 1\n"));
    buf_free(&out);
    app_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_writes_cumulative_buckets_sum_and_count),
        cmocka_unit_test(test_label_values_are_escaped_and_joined_with_commas),
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_sessions_count_messages_by_relay_outcome_and_class),
        cmocka_unit_test(test_without_relays_the_outbox_is_the_only_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
