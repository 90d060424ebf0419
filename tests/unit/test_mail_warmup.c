/* Warm-up schedules: [warmup.NAME] parsing with FILE:LINE errors, and the day arithmetic (day
 * index from the start, the cap of a day, when the rest of a campaign will have gone). The
 * shared counting through PostgreSQL is covered by the integration tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/warmup_config.h"

static char path[64];

/* Loads text as the configuration file; returns warmup_set_load()'s result. */
static int load(const char *text, config_t *cfg, relay_set *relays, warmup_set *set, mc_error *err)
{
    char *envp[] = {NULL};
    snprintf(path, sizeof path, "/tmp/mailcast-warmup-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    int rc = config_load(cfg, path, envp, err);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(relay_set_load(relays, cfg, err), 0);
    return warmup_set_load(set, cfg, relays, err);
}

static void done(config_t *cfg, relay_set *relays)
{
    relay_set_free(relays);
    config_free(cfg);
}

static const char RELAY[] = "[smtp.fresh]\nhost = 127.0.0.1\n";

static void parses_relay_and_domain_schedules(void **state)
{
    (void)state;
    config_t cfg;
    relay_set relays;
    warmup_set set;
    mc_error err;
    char text[512];
    snprintf(text, sizeof text,
             "%s[warmup.ip]\nrelay = fresh\ndaily = 50, 100,250 ,500\nstart = 2026-02-28\n"
             "[warmup.brand]\ndomain = News.Example.COM\ndaily = 20\n",
             RELAY);
    assert_int_equal(load(text, &cfg, &relays, &set, &err), 0);
    assert_int_equal(set.count, 2);
    const warmup_schedule *ip = &set.items[0], *brand = &set.items[1];
    assert_string_equal(ip->name, "ip");
    assert_string_equal(ip->relay, "fresh");
    assert_null(ip->domain);
    assert_int_equal(ip->days, 4);
    assert_int_equal(ip->daily[0], 50);
    assert_int_equal(ip->daily[2], 250);
    assert_int_equal(ip->start_day, warmup_civil_day(2026, 2, 28));
    assert_string_equal(brand->domain, "news.example.com");
    assert_int_equal(brand->start_day, WARMUP_NO_START);
    /* relay schedules first, a domain matched whatever its case */
    const warmup_schedule *out[4];
    assert_int_equal(warmup_set_match(&set, "fresh", "a@NEWS.example.com", out, 4), 2);
    assert_ptr_equal(out[0], ip);
    assert_ptr_equal(out[1], brand);
    assert_int_equal(warmup_set_match(&set, "other", "a@example.com", out, 4), 0);
    assert_int_equal(warmup_set_match(&set, NULL, "a@news.example.com", out, 4), 1);
    warmup_set_free(&set);
    done(&cfg, &relays);
}

/* text must fail with a message containing want, naming line `line` */
static void refused(const char *text, int line, const char *want)
{
    config_t cfg;
    relay_set relays;
    warmup_set set;
    mc_error err;
    char full[512];
    snprintf(full, sizeof full, "%s%s", RELAY, text);
    assert_int_equal(load(full, &cfg, &relays, &set, &err), -1);
    char where[96];
    snprintf(where, sizeof where, "%s:%d", path, line);
    assert_string_equal(err.code, "invalid_config");
    assert_string_equal(err.field, where);
    if (!strstr(err.message, want)) fail_msg("\"%s\" lacks \"%s\"", err.message, want);
    done(&cfg, &relays);
}

static void refuses_bad_schedules_naming_the_line(void **state)
{
    (void)state;
    refused("[warmup.a]\nrelay = nowhere\ndaily = 5\n", 4, "names no [smtp.nowhere]");
    refused("[warmup.a]\nrelay = fresh\ndomain = example.com\ndaily = 5\n", 4, "not both");
    refused("[warmup.a]\ndaily = 5\n", 4, "not neither");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5, 0, 9\n", 5, "whole numbers");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5, -2\n", 5, "whole numbers");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5,,9\n", 5, "whole numbers");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5, 9,\n", 5, "separated by commas");
    refused("[warmup.a]\nrelay = fresh\ndaily = 1.5\n", 5, "separated by commas");
    refused("[warmup.a]\nrelay = fresh\n", 4, "needs daily");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5\nstart = 2026-02-30\n", 6, "YYYY-MM-DD");
    refused("[warmup.a]\nrelay = fresh\ndaily = 5\nstart = 7/1/2026\n", 6, "YYYY-MM-DD");
    refused("[warmup.a]\ndomain = not a domain\ndaily = 5\n", 4, "is not a domain");
}

static void dates_are_days_since_1970_in_utc(void **state)
{
    (void)state;
    long day;
    assert_int_equal(warmup_parse_date("1970-01-01", &day), 0);
    assert_int_equal(day, 0);
    assert_int_equal(warmup_parse_date("2024-02-29", &day), 0);
    assert_int_equal(day, 19782);
    assert_int_equal(warmup_parse_date("2023-02-29", &day), -1);
    assert_int_equal(warmup_parse_date("2026-13-01", &day), -1);
    assert_int_equal(warmup_parse_date("2026-1-01", &day), -1);
    char text[11];
    warmup_format_date(19782, text);
    assert_string_equal(text, "2024-02-29");
    warmup_format_date(warmup_civil_day(2026, 12, 31) + 1, text);
    assert_string_equal(text, "2027-01-01");
}

static void the_day_index_and_its_cap(void **state)
{
    (void)state;
    const unsigned daily[] = {50, 100, 250};
    long start = warmup_civil_day(2026, 12, 6);
    assert_int_equal(warmup_day_index(start, start), 1);
    assert_int_equal(warmup_day_index(start, start + 2), 3);
    /* before its start a schedule keeps to day 1 */
    assert_int_equal(warmup_day_index(start, start - 5), 1);
    assert_int_equal(warmup_cap(daily, 3, 1), 50);
    assert_int_equal(warmup_cap(daily, 3, 3), 250);
    /* after the last day nothing caps */
    assert_int_equal(warmup_cap(daily, 3, 4), -1);
    assert_int_equal(warmup_cap(daily, 3, 400), -1);
}

static void the_finish_estimate_for_the_rest(void **state)
{
    (void)state;
    const unsigned daily[] = {5, 10, 20};
    /* day 1, 5 left today: 5 go today */
    assert_int_equal(warmup_finish_days(daily, 3, 1, 5, 5), 0);
    assert_int_equal(warmup_finish_days(daily, 3, 1, 5, 0), 0);
    /* 7 after today's 5 used up: day 2's 10 take them */
    assert_int_equal(warmup_finish_days(daily, 3, 1, 0, 7), 1);
    /* 12 with 5 left today: 5 today, 7 tomorrow */
    assert_int_equal(warmup_finish_days(daily, 3, 1, 5, 12), 1);
    /* 16 with 5 today: 10 tomorrow, 1 on day 3 */
    assert_int_equal(warmup_finish_days(daily, 3, 1, 5, 16), 2);
    /* more than every capped day holds: the first day without a cap takes the rest */
    assert_int_equal(warmup_finish_days(daily, 3, 1, 5, 1000000), 3);
    /* a cap exceeded today (lowered in the configuration) counts as nothing left */
    assert_int_equal(warmup_finish_days(daily, 3, 2, -3, 10), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_relay_and_domain_schedules),
        cmocka_unit_test(refuses_bad_schedules_naming_the_line),
        cmocka_unit_test(dates_are_days_since_1970_in_utc),
        cmocka_unit_test(the_day_index_and_its_cap),
        cmocka_unit_test(the_finish_estimate_for_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
