/* Destination groups: [destination.NAME] parsing with FILE:LINE errors over the built-in
 * groups, a recipient's group, a batch grouped by destination, and the arithmetic of the
 * adaptive slow-down (halving to a floor, the observed rate, the steps back up). The shared
 * state in PostgreSQL is covered by the integration test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/destination_config.h"
#include "mail/destination_pace.h"
#include "sender/destination_batch.h"

static int load(const char *text, config_t *cfg, destination_set *set, mc_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mailcast-destination-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char *envp[] = {NULL};
    int rc = config_load(cfg, path, envp, err);
    unlink(path);
    assert_int_equal(rc, 0);
    return destination_set_load(set, cfg, err);
}

static const destination_config *named(const destination_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (!strcmp(set->items[i].name, name)) return &set->items[i];
    return NULL;
}

static const char *group_of(const destination_set *set, const char *address)
{
    return set->items[destination_set_find(set, str_from_cstr(address))].name;
}

static void built_in_groups_cover_the_big_providers(void **state)
{
    (void)state;
    config_t cfg;
    destination_set set;
    mc_error err;
    assert_int_equal(load("", &cfg, &set, &err), 0);
    assert_int_equal(set.count, 4);
    assert_string_equal(set.items[set.count - 1].name, "default");
    assert_string_equal(group_of(&set, "ana@gmail.com"), "gmail");
    assert_string_equal(group_of(&set, "Ana@GoogleMail.COM"), "gmail");
    assert_string_equal(group_of(&set, "bo@hotmail.co.uk"), "outlook");
    assert_string_equal(group_of(&set, "cy@live.com"), "outlook");
    assert_string_equal(group_of(&set, "di@aol.com"), "yahoo");
    assert_string_equal(group_of(&set, "ed@example.org"), "default");
    /* a subdomain is another receiver; an address without a domain is the default's */
    assert_string_equal(group_of(&set, "fa@mail.gmail.com"), "default");
    assert_string_equal(group_of(&set, "nobody"), "default");
    const destination_config *g = named(&set, "gmail");
    assert_int_equal(g->max_connections, 4);
    assert_true(g->rate_per_minute == 0);
    assert_true(g->min_rate_per_minute == 60);
    assert_int_equal(g->quiet_seconds, 300);
    destination_set_free(&set);
    config_free(&cfg);
}

static void sections_override_key_by_key_and_add_groups(void **state)
{
    (void)state;
    config_t cfg;
    destination_set set;
    mc_error err;
    assert_int_equal(load("[destination.gmail]\nrate_per_minute = 600\nmin_rate_per_minute = 30\n"
                          "quiet_seconds = 20\n"
                          "[destination.corp]\ndomains = Corp.Example, correo.españa.es\n"
                          "max_connections = 1\nmessages_per_connection = 10\n"
                          "[destination.default]\nmax_connections = 8\n",
                          &cfg, &set, &err),
                     0);
    assert_int_equal(set.count, 5);
    assert_string_equal(set.items[set.count - 1].name, "default");
    const destination_config *g = named(&set, "gmail");
    assert_true(g->rate_per_minute == 600 && g->min_rate_per_minute == 30);
    assert_int_equal(g->quiet_seconds, 20);
    assert_int_equal(g->messages_per_connection, 100); /* the built-in value stays */
    assert_int_equal(g->domain_count, 2);
    const destination_config *c = named(&set, "corp");
    assert_int_equal(c->max_connections, 1);
    assert_int_equal(c->messages_per_connection, 10);
    assert_true(c->min_rate_per_minute == 60);
    assert_string_equal(group_of(&set, "x@corp.example"), "corp");
    /* an internationalized domain as stored, UTF-8 */
    assert_string_equal(group_of(&set, "x@correo.españa.es"), "corp");
    assert_int_equal(named(&set, "default")->max_connections, 8);
    destination_set_free(&set);
    config_free(&cfg);
}

/* loads text, expecting an error whose field is the file's line `line` and whose message has
 * `words` */
static void expect_error(const char *text, int line, const char *words)
{
    config_t cfg;
    destination_set set;
    mc_error err;
    assert_int_equal(load(text, &cfg, &set, &err), -1);
    char suffix[16];
    snprintf(suffix, sizeof suffix, ":%d", line);
    const char *field_end = err.field + strlen(err.field) - strlen(suffix);
    if (strcmp(field_end, suffix) || !strstr(err.message, words))
        fail_msg("field %s, message %s", err.field, err.message);
    config_free(&cfg);
}

static void bad_values_fail_with_their_line(void **state)
{
    (void)state;
    expect_error("[destination.corp]\nmax_connections = 2\n", 2, "needs domains");
    expect_error("[destination.gmail]\nmax_connections = many\n", 2, "whole number from 0 to 256");
    expect_error("[destination.gmail]\n\nrate_per_minute = -5\n", 3, "number from 0");
    expect_error("[destination.gmail]\nmin_rate_per_minute = 0\n", 2, "number from 0.1");
    expect_error("[destination.gmail]\nrate_per_minute = 100\nmin_rate_per_minute = 200\n", 3,
                 "above rate_per_minute");
    expect_error("[destination.gmail]\nquiet_seconds = 0\n", 2, "from 1 to 86400");
    expect_error("[destination.corp]\ndomains = a.example, ,b.example\n", 2, "is not a domain");
    expect_error("[destination.corp]\ndomains = a example\n", 2, "is not a domain");
    expect_error("[destination.default]\ndomains = a.example\n", 2, "takes no domains");
    expect_error("[destination.corp]\ndomains = gmail.com\n", 2, "in both");
}

static void a_batch_is_grouped_by_destination_in_order(void **state)
{
    (void)state;
    config_t cfg;
    destination_set set;
    mc_error err;
    assert_int_equal(load("", &cfg, &set, &err), 0);
    const char *to[] = {"a@gmail.com", "b@example.org", "c@yahoo.com",
                        "d@gmail.com", "e@example.org", "f@GMAIL.com"};
    size_t n = sizeof to / sizeof to[0];
    mail_envelope envelopes[6];
    size_t order[6], dest[6];
    for (size_t i = 0; i < n; i++) {
        envelopes[i] = (mail_envelope){.recipient = str_from_cstr(to[i])};
        order[i] = i * 10; /* rows of the claim */
    }
    destination_batch_group(&set, envelopes, order, dest, n);
    const char *want[] = {"a@gmail.com", "d@gmail.com",   "f@GMAIL.com",
                          "c@yahoo.com", "b@example.org", "e@example.org"};
    size_t want_order[] = {0, 30, 50, 20, 10, 40};
    for (size_t i = 0; i < n; i++) {
        assert_true(str_eq_cstr(envelopes[i].recipient, want[i]));
        assert_int_equal(order[i], want_order[i]);
        assert_string_equal(set.items[dest[i]].name, group_of(&set, want[i]));
    }
    destination_set_free(&set);
    config_free(&cfg);
}

static void throttling_replies_are_recognized(void **state)
{
    (void)state;
    assert_true(pace_is_throttle_reply(421, "4.7.0"));
    assert_true(pace_is_throttle_reply(421, ""));
    assert_true(pace_is_throttle_reply(451, "4.3.0"));
    assert_true(pace_is_throttle_reply(454, ""));
    assert_true(pace_is_throttle_reply(450, "4.7.28"));
    assert_false(pace_is_throttle_reply(450, "4.2.1"));
    assert_false(pace_is_throttle_reply(452, "4.2.2"));
    assert_false(pace_is_throttle_reply(550, "5.7.1"));
    assert_false(pace_is_throttle_reply(0, ""));
}

static void a_segment_defers_from_the_first_throttling_reply(void **state)
{
    (void)state;
    destination_segment s = {0};
    mail_result busy = {.outcome = MAIL_TEMPORARY, .code = 450, .enhanced = "4.2.1"};
    mail_result slow = {.outcome = MAIL_TEMPORARY, .code = 421, .enhanced = "4.7.0"};
    mail_result never = {.outcome = MAIL_TEMPORARY, .code = 0};
    assert_false(destination_segment_defers(&s, &busy));
    assert_true(destination_segment_defers(&s, &slow));
    assert_true(destination_segment_defers(&s, &never));
    assert_int_equal(s.replies, 1);
    assert_int_equal(s.deferred, 2);
    assert_int_equal(s.reply.code, 421);
}

static void halving_stops_at_the_floor(void **state)
{
    (void)state;
    /* from the configured rate, then from the limit now */
    assert_true(pace_slowed(0, 600, 0, 60) == 300);
    assert_true(pace_slowed(300, 600, 0, 60) == 150);
    assert_true(pace_slowed(100, 600, 0, 60) == 60);
    assert_true(pace_slowed(60, 600, 0, 60) == 60);
    /* none configured: from the rate observed */
    assert_true(pace_slowed(0, 0, 400, 60) == 200);
    assert_true(pace_slowed(0, 0, 0, 60) == 60);
}

static void the_observed_rate_is_per_minute(void **state)
{
    (void)state;
    /* 30 in the 30 s of a first window */
    assert_true(pace_observed_per_minute(0, 30, 30) == 60);
    /* a burst at the start of a first window counts over 10 s */
    assert_true(pace_observed_per_minute(0, 20, 1) == 120);
    /* 120 in the minute before and 30 in the 30 s since: 150 in 90 s */
    assert_true(pace_observed_per_minute(120, 30, 30) == 100);
}

static void quiet_periods_raise_the_rate_back_step_by_step(void **state)
{
    (void)state;
    /* configured 600: 100, 150, 225, 337.5, 506.25, then normal again */
    double r = 100;
    double want[] = {150, 225, 337.5, 506.25, 0};
    for (size_t i = 0; i < 5; i++) {
        r = pace_raised(r, 600, 0);
        assert_true(r == want[i]);
    }
    /* none configured: back to no limit once the rate the slow-down started from is reached */
    assert_true(pace_raised(100, 0, 200) == 150);
    assert_true(pace_raised(150, 0, 200) == 0);
    assert_true(pace_raised(0, 600, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(built_in_groups_cover_the_big_providers),
        cmocka_unit_test(sections_override_key_by_key_and_add_groups),
        cmocka_unit_test(bad_values_fail_with_their_line),
        cmocka_unit_test(a_batch_is_grouped_by_destination_in_order),
        cmocka_unit_test(throttling_replies_are_recognized),
        cmocka_unit_test(a_segment_defers_from_the_first_throttling_reply),
        cmocka_unit_test(halving_stops_at_the_floor),
        cmocka_unit_test(the_observed_rate_is_per_minute),
        cmocka_unit_test(quiet_periods_raise_the_rate_back_step_by_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
