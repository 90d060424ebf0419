/* Durations and times of day as people write them (core/duration.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/duration.h"

static long long parsed(const char *text)
{
    long long seconds = -1;
    mc_error err;
    if (duration_parse(text, "steps[0].wait", &seconds, &err) < 0) return -1;
    return seconds;
}

static void test_each_unit_reads_as_seconds(void **state)
{
    (void)state;
    assert_int_equal(parsed("45s"), 45);
    assert_int_equal(parsed("30m"), 1800);
    assert_int_equal(parsed("2h"), 7200);
    assert_int_equal(parsed("3d"), 259200);
    assert_int_equal(parsed("1w"), 604800);
    assert_int_equal(parsed("1d12h"), 129600);
    assert_int_equal(parsed("3650d"), DURATION_MAX_SECONDS);
}

static void test_malformed_durations_are_refused_naming_the_field(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "3",
                         "d",
                         "3x",
                         "-3d",
                         "3 d",
                         "3h1d",
                         "1h1h",
                         "0s",
                         "3651d",
                         "99999999999999999999s",
                         "1.5h",
                         "3D"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long seconds = 7;
        mc_error err;
        assert_int_equal(duration_parse(bad[i], "steps[2].wait", &seconds, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.field, "steps[2].wait");
        assert_int_equal(seconds, 7);
    }
}

static void test_times_of_day_read_as_minutes_after_midnight(void **state)
{
    (void)state;
    int minutes = -1;
    mc_error err;
    assert_int_equal(time_of_day_parse("09:30", "until", &minutes, &err), 0);
    assert_int_equal(minutes, 570);
    assert_int_equal(time_of_day_parse("00:00", "until", &minutes, &err), 0);
    assert_int_equal(minutes, 0);
    assert_int_equal(time_of_day_parse("23:59", "until", &minutes, &err), 0);
    assert_int_equal(minutes, 1439);
    const char *bad[] = {"24:00", "9:30", "09:60", "09:30:00", "0930", "", "ab:cd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(time_of_day_parse(bad[i], "until", &minutes, &err), -1);
        assert_string_equal(err.field, "until");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_unit_reads_as_seconds),
        cmocka_unit_test(test_malformed_durations_are_refused_naming_the_field),
        cmocka_unit_test(test_times_of_day_read_as_minutes_after_midnight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
