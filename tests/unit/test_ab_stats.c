/* A/B statistics against answers worked out by hand (the arithmetic is in each comment; the
 * normal distribution's values are those of a printed table). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "automation/ab_stats.h"

static void test_a_clear_difference_has_a_small_p_value(void **state)
{
    (void)state;
    double z, p;
    /* 20 of 100 against 10 of 100: p1 = 0.2, p2 = 0.1, pooled = 30 / 200 = 0.15;
     * variance = 0.15 * 0.85 * (1/100 + 1/100) = 0.1275 * 0.02 = 0.00255, sqrt = 0.0504975;
     * z = (0.2 - 0.1) / 0.0504975 = 1.98030; Phi(1.98) = 0.97615 in the table, so the
     * two-sided p = 2 * (1 - 0.97615) = 0.0477. */
    assert_true(ab_two_proportion(20, 100, 10, 100, &z, &p));
    assert_true(z > 1.98029 && z < 1.98031);
    assert_true(p > 0.0475 && p < 0.0479);
    /* the other way round: the same p, z negated */
    assert_true(ab_two_proportion(10, 100, 20, 100, &z, &p));
    assert_true(z < -1.98029 && z > -1.98031);
    assert_true(p > 0.0475 && p < 0.0479);
}

static void test_unequal_sizes_use_the_pooled_proportion(void **state)
{
    (void)state;
    double z, p;
    /* 12 of 200 against 30 of 250: p1 = 0.06, p2 = 0.12, pooled = 42 / 450 = 0.093333;
     * variance = 0.093333 * 0.906667 * (1/200 + 1/250) = 0.084622 * 0.009 = 0.00076160,
     * sqrt = 0.0275971; z = (0.06 - 0.12) / 0.0275971 = -2.17414; Phi(2.17) = 0.98500, so
     * p = 2 * (1 - 0.98500) = 0.0300 (0.0297 at z = 2.174 exactly). */
    assert_true(ab_two_proportion(12, 200, 30, 250, &z, &p));
    assert_true(z < -2.17413 && z > -2.17415);
    assert_true(p > 0.0295 && p < 0.0299);
}

static void test_a_small_test_is_not_significant(void **state)
{
    (void)state;
    double z, p;
    /* 8 of 20 against 3 of 20: p1 = 0.4, p2 = 0.15, pooled = 11 / 40 = 0.275; variance =
     * 0.275 * 0.725 * 0.1 = 0.0199375, sqrt = 0.1412002; z = 0.25 / 0.1412002 = 1.77054;
     * Phi(1.77) = 0.96164, p = 2 * 0.03836 = 0.0767. */
    assert_true(ab_two_proportion(8, 20, 3, 20, &z, &p));
    assert_true(z > 1.77053 && z < 1.77055);
    assert_true(p > 0.0764 && p < 0.0769);
}

static void test_equal_proportions_give_z_zero_and_p_one(void **state)
{
    (void)state;
    double z = 5, p = 0;
    /* 5/50 = 1/10: the difference is 0, so z = 0 and p = erfc(0) = 1 */
    assert_true(ab_two_proportion(5, 50, 1, 10, &z, &p));
    assert_true(z == 0 && p > 0.999999);
    /* nobody clicked in either: no variance at all */
    z = 5;
    assert_true(ab_two_proportion(0, 20, 0, 20, &z, &p));
    assert_true(z == 0 && p == 1);
}

static void test_no_trials_have_no_test(void **state)
{
    (void)state;
    double z = 7, p = 7;
    assert_false(ab_two_proportion(0, 0, 3, 20, &z, &p));
    assert_false(ab_two_proportion(3, 20, 0, 0, &z, &p));
    assert_false(ab_two_proportion(21, 20, 0, 20, &z, &p));
    assert_true(z == 7 && p == 7);
}

static void test_the_best_rate_wins_and_ties_go_to_the_lower_index(void **state)
{
    (void)state;
    /* 3/60 = 0.05, 1/20 = 0.05, 2/20 = 0.1: the third */
    double clicks[] = {3, 1, 2};
    long long sent[] = {60, 20, 20};
    assert_int_equal(ab_best_rate(clicks, sent, 3), 2);
    /* 3/60 and 1/20 tie exactly: the first */
    assert_int_equal(ab_best_rate(clicks, sent, 2), 0);
    /* a variant that sent nothing has the rate 0 and loses to any positive one */
    double revenue[] = {50.5, 0, 10};
    long long none[] = {0, 10, 10};
    assert_int_equal(ab_best_rate(revenue, none, 3), 2);
    /* all 0: the first */
    double zero[] = {0, 0};
    long long some[] = {10, 5};
    assert_int_equal(ab_best_rate(zero, some, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_clear_difference_has_a_small_p_value),
        cmocka_unit_test(test_unequal_sizes_use_the_pooled_proportion),
        cmocka_unit_test(test_a_small_test_is_not_significant),
        cmocka_unit_test(test_equal_proportions_give_z_zero_and_p_one),
        cmocka_unit_test(test_no_trials_have_no_test),
        cmocka_unit_test(test_the_best_rate_wins_and_ties_go_to_the_lower_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
