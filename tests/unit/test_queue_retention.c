/* The order of a retention pass: campaigns and other messages take turns until both are done,
 * and the pass ends when its time is up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "queue/retention.h"

static void test_campaigns_and_other_messages_take_turns(void **state)
{
    (void)state;
    retention_pass pass = {0};
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
    assert_int_equal(retention_next(&pass, false), RETENTION_OTHERS);
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
    assert_int_equal(retention_next(&pass, false), RETENTION_OTHERS);
}

static void test_once_one_kind_is_done_the_other_goes_on_alone(void **state)
{
    (void)state;
    retention_pass pass = {0};
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
    pass.campaigns_done = true;
    assert_int_equal(retention_next(&pass, false), RETENTION_OTHERS);
    assert_int_equal(retention_next(&pass, false), RETENTION_OTHERS);
    pass = (retention_pass){0};
    pass.others_done = true;
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
}

static void test_the_pass_ends_when_both_are_done(void **state)
{
    (void)state;
    retention_pass pass = {0};
    pass.campaigns_done = true;
    pass.others_done = true;
    assert_int_equal(retention_next(&pass, false), RETENTION_DONE);
}

static void test_the_pass_ends_when_its_time_is_up_with_work_left(void **state)
{
    (void)state;
    retention_pass pass = {0};
    assert_int_equal(retention_next(&pass, false), RETENTION_CAMPAIGNS);
    assert_int_equal(retention_next(&pass, true), RETENTION_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_campaigns_and_other_messages_take_turns),
        cmocka_unit_test(test_once_one_kind_is_done_the_other_goes_on_alone),
        cmocka_unit_test(test_the_pass_ends_when_both_are_done),
        cmocka_unit_test(test_the_pass_ends_when_its_time_is_up_with_work_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
