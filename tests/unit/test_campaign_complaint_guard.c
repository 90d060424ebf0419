/* The complaint guard's judgement of a rate: the minimum of messages sent before a rate counts,
 * the threshold (strictly above), and the rate a person resumed at. The pauses themselves are
 * covered by the integration tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "campaign/complaint_guard.h"

static void a_rate_counts_from_the_minimum_and_pauses_above_the_threshold(void **state)
{
    (void)state;
    config_t cfg = {0};
    cfg.complaint_threshold = 0.001; /* 0.1% */
    cfg.complaint_min_sent = 1000;
    /* 1 in 10 is 10%, but 10 messages say nothing yet */
    complaint_rate r = complaint_rate_judge(1, 10, &cfg, -1);
    assert_false(r.counts);
    assert_false(r.over);
    assert_true(r.rate > 0.099 && r.rate < 0.101);
    /* exactly at the threshold: not above it */
    r = complaint_rate_judge(1, 1000, &cfg, -1);
    assert_true(r.counts);
    assert_false(r.over);
    r = complaint_rate_judge(2, 1000, &cfg, -1);
    assert_true(r.over);
    assert_false(r.overridden);
    /* nothing sent, nothing to divide */
    r = complaint_rate_judge(3, 0, &cfg, -1);
    assert_false(r.counts);
    assert_true(r.rate == 0);
}

static void an_override_holds_up_to_the_rate_it_was_given_at(void **state)
{
    (void)state;
    config_t cfg = {0};
    cfg.complaint_threshold = 0.001;
    cfg.complaint_min_sent = 100;
    /* resumed at 2 in 1000 */
    complaint_rate r = complaint_rate_judge(2, 1000, &cfg, 0.002);
    assert_true(r.over);
    assert_true(r.overridden);
    r = complaint_rate_judge(2, 1500, &cfg, 0.002);
    assert_true(r.overridden);
    /* higher than then: the guard pauses again */
    r = complaint_rate_judge(3, 1000, &cfg, 0.002);
    assert_true(r.over);
    assert_false(r.overridden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_rate_counts_from_the_minimum_and_pauses_above_the_threshold),
        cmocka_unit_test(an_override_holds_up_to_the_rate_it_was_given_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
