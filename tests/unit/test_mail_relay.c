/* Relays: [smtp.NAME] parsing with FILE:LINE errors, weighted choice, back-off after
 * connection failures. Rate limits are shared through PostgreSQL: the integration tests
 * cover them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/relay.h"

static char *write_ini(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mailcast-relay-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static int load(const char *text, config_t *cfg, relay_set *set, mc_error *err)
{
    char *envp[] = {NULL};
    char *path = write_ini(text);
    int rc = config_load(cfg, path, envp, err);
    unlink(path);
    assert_int_equal(rc, 0);
    return relay_set_load(set, cfg, err);
}

static void parses_relays_with_defaults(void **state)
{
    (void)state;
    config_t cfg;
    relay_set set;
    mc_error err;
    assert_int_equal(load("[smtp.main]\nhost = mx.example.com\nusername = u\npassword = p\n"
                          "rate = 12.5\nweight = 3\ntimeout = 1.5\n"
                          "[smtp.backup]\nhost = 10.0.0.2\ntls = implicit\n",
                          &cfg, &set, &err),
                     0);
    assert_int_equal(set.count, 2);
    const relay_config *m = relay_set_find(&set, "main");
    assert_string_equal(m->host, "mx.example.com");
    assert_int_equal(m->port, 25);
    assert_int_equal(m->tls, RELAY_TLS_OPPORTUNISTIC);
    assert_string_equal(m->username, "u");
    assert_true(m->rate == 12.5);
    assert_int_equal(m->weight, 3);
    assert_int_equal(m->timeout_ms, 1500);
    assert_int_equal(m->messages_per_connection, 100);
    const relay_config *b = relay_set_find(&set, "backup");
    assert_int_equal(b->port, 465);
    assert_int_equal(b->tls, RELAY_TLS_IMPLICIT);
    assert_null(b->username);
    relay_set_free(&set);
    config_free(&cfg);
}

static void bad_value_names_file_and_line(void **state)
{
    (void)state;
    config_t cfg;
    relay_set set;
    mc_error err;
    assert_int_equal(
        load("[smtp.main]\nhost = mx.example.com\n\ntls = sometimes\n", &cfg, &set, &err), -1);
    assert_non_null(strstr(err.field, ".ini:4"));
    assert_non_null(strstr(err.message, "tls"));
    config_free(&cfg);
}

static void missing_host_and_half_credentials_are_errors(void **state)
{
    (void)state;
    config_t cfg;
    relay_set set;
    mc_error err;
    assert_int_equal(load("[smtp.main]\nport = 25\n", &cfg, &set, &err), -1);
    assert_non_null(strstr(err.message, "host"));
    config_free(&cfg);
    assert_int_equal(load("[smtp.main]\nhost = a.example\nusername = u\n", &cfg, &set, &err), -1);
    assert_non_null(strstr(err.field, ".ini:3"));
    config_free(&cfg);
}

static relay_config relay_with_weight(const char *name, unsigned weight)
{
    relay_config r = {0};
    r.name = (char *)name;
    r.weight = weight;
    return r;
}

static void choice_follows_weights(void **state)
{
    (void)state;
    relay_config relays[2] = {relay_with_weight("a", 1), relay_with_weight("b", 3)};
    relay_set set = {relays, 2};
    relay_pool *pool = relay_pool_new(&set);
    int counts[2] = {0, 0};
    for (uint64_t r = 0; r < 400; r++)
        counts[relay_pool_pick(pool, 1000, r, NULL)]++;
    assert_int_equal(counts[0], 100);
    assert_int_equal(counts[1], 300);
    relay_pool_free(pool);
}

static void failing_relay_backs_off_and_traffic_moves(void **state)
{
    (void)state;
    relay_config relays[2] = {relay_with_weight("a", 1), relay_with_weight("b", 1)};
    relay_set set = {relays, 2};
    relay_pool *pool = relay_pool_new(&set);
    relay_pool_report(pool, 0, false, 1000);
    for (uint64_t r = 0; r < 10; r++)
        assert_int_equal(relay_pool_pick(pool, 1001, r, NULL), 1);
    relay_pool_report(pool, 1, false, 1000);
    double retry = 0;
    assert_int_equal(relay_pool_pick(pool, 1001, 0, &retry), -1);
    assert_true(retry > 28 && retry <= RELAY_BACKOFF_BASE);
    /* back after the back-off; a second failure doubles it */
    assert_int_equal(relay_pool_pick(pool, 1000 + RELAY_BACKOFF_BASE, 0, NULL), 0);
    relay_pool_report(pool, 0, false, 1031);
    assert_int_equal(relay_pool_pick(pool, 1031 + RELAY_BACKOFF_BASE + 1, 0, &retry), 1);
    relay_pool_report(pool, 0, true, 1200);
    assert_int_equal(relay_pool_pick(pool, 1200, 0, NULL), 0);
    relay_pool_free(pool);
}

static void a_group_is_chosen_from_its_own_relays(void **state)
{
    (void)state;
    relay_config relays[3] = {relay_with_weight("a", 1), relay_with_weight("b", 1),
                              relay_with_weight("c", 2)};
    relays[1].group = "bulk";
    relays[2].group = "bulk";
    relay_set set = {relays, 3};
    assert_true(relay_set_has_group(&set, "bulk"));
    assert_false(relay_set_has_group(&set, "a"));
    relay_pool *pool = relay_pool_new(&set);
    int counts[3] = {0, 0, 0};
    for (uint64_t r = 0; r < 300; r++)
        counts[relay_pool_pick_in(pool, "bulk", 1000, r, NULL)]++;
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 100);
    assert_int_equal(counts[2], 200);
    /* with the group down, nothing outside it is chosen */
    relay_pool_report(pool, 1, false, 1000);
    relay_pool_report(pool, 2, false, 1000);
    assert_int_equal(relay_pool_pick_in(pool, "bulk", 1001, 0, NULL), -1);
    assert_int_equal(relay_pool_pick_in(pool, NULL, 1001, 0, NULL), 0);
    relay_pool_free(pool);
}

static void a_group_must_be_a_plain_name_and_no_relay_name(void **state)
{
    (void)state;
    config_t cfg;
    relay_set set;
    mc_error err;
    assert_int_equal(load("[smtp.one]\nhost = a.example\ngroup = bulk\n[smtp.two]\nhost = "
                          "b.example\ngroup = bulk\n",
                          &cfg, &set, &err),
                     0);
    assert_string_equal(set.relays[1].group, "bulk");
    relay_set_free(&set);
    config_free(&cfg);
    assert_int_equal(
        load("[smtp.one]\nhost = a.example\ngroup = two\n[smtp.two]\nhost = b.example\n", &cfg,
             &set, &err),
        -1);
    assert_non_null(strstr(err.field, ".ini:3"));
    assert_non_null(strstr(err.message, "also the name of a relay"));
    config_free(&cfg);
    assert_int_equal(load("[smtp.one]\nhost = a.example\ngroup = en masa\n", &cfg, &set, &err), -1);
    assert_non_null(strstr(err.field, ".ini:3"));
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_relays_with_defaults),
        cmocka_unit_test(bad_value_names_file_and_line),
        cmocka_unit_test(missing_host_and_half_credentials_are_errors),
        cmocka_unit_test(choice_follows_weights),
        cmocka_unit_test(failing_relay_backs_off_and_traffic_moves),
        cmocka_unit_test(a_group_is_chosen_from_its_own_relays),
        cmocka_unit_test(a_group_must_be_a_plain_name_and_no_relay_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
