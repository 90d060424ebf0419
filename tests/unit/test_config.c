/* Configuration: defaults, file, environment overrides, and errors that name file:line key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/mailcast-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults_apply_without_a_file(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *env[] = {NULL};
    assert_int_equal(config_load(&cfg, NULL, env, &err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
    assert_string_equal(cfg.database_url, "");
    assert_string_equal(cfg.data_dir, "var");
    assert_string_equal(cfg.secret_file, "var/secret");
    assert_int_equal(cfg.max_body_bytes, 10 * 1024 * 1024);
    config_free(&cfg);
}

static void test_file_values_and_named_sections_are_read(void **state)
{
    (void)state;
    char *path = write_temp("[server]\nlisten = 0.0.0.0:9000\npublic_url = https://news.example/\n"
                            "max_body_size = 2M\n[database]\npool_size = 3\n"
                            "[smtp.primary]\nhost = smtp.example\nport = 587\n");
    config_t cfg;
    mc_error err;
    char *env[] = {NULL};
    assert_int_equal(config_load(&cfg, path, env, &err), 0);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");
    assert_string_equal(cfg.public_url, "https://news.example");
    assert_int_equal(cfg.max_body_bytes, 2 * 1024 * 1024);
    assert_int_equal(cfg.pool_size, 3);
    assert_int_equal(cfg.named_count, 1);
    int line = 0;
    assert_string_equal(config_named_get(&cfg.named[0], "host", &line), "smtp.example");
    assert_int_equal(line, 8);
    config_free(&cfg);
    unlink(path);
    free(path);
}

static void test_environment_overrides_the_file(void **state)
{
    (void)state;
    char *path = write_temp("[server]\nlisten = 127.0.0.1:9000\n[smtp.primary]\nhost = a\n");
    config_t cfg;
    mc_error err;
    char *env[] = {"MAILCAST_SERVER_LISTEN=127.0.0.1:9999", "MAILCAST_DATABASE_POOL_SIZE=12",
                   "MAILCAST_SMTP_PRIMARY_HOST=b", NULL};
    assert_int_equal(config_load(&cfg, path, env, &err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:9999");
    assert_int_equal(cfg.pool_size, 12);
    assert_string_equal(config_named_get(&cfg.named[0], "host", NULL), "b");
    config_free(&cfg);
    unlink(path);
    free(path);
}

static void expect_error(const char *text, const char *where_suffix, const char *needle)
{
    char *path = write_temp(text);
    config_t cfg;
    mc_error err;
    char *env[] = {NULL};
    assert_int_equal(config_load(&cfg, path, env, &err), -1);
    assert_string_equal(err.code, "invalid_config");
    char where[512];
    snprintf(where, sizeof where, "%s%s", path, where_suffix);
    assert_non_null(strstr(err.message, where));
    assert_non_null(strstr(err.message, needle));
    unlink(path);
    free(path);
}

static void test_unknown_key_names_file_line_and_key(void **state)
{
    (void)state;
    expect_error("[server]\nlisten = 127.0.0.1:1\nlistne = x\n", ":3", "listne");
}

static void test_bad_number_names_file_line_and_key(void **state)
{
    (void)state;
    expect_error("[database]\n\npool_size = many\n", ":3", "pool_size");
}

static void test_unknown_section_key_is_an_error(void **state)
{
    (void)state;
    expect_error("[smtp.x]\nhots = a\n", ":2", "hots");
}

static void test_overlong_line_is_refused_not_split(void **state)
{
    (void)state;
    char text[600] = "[database]\nurl = ";
    size_t n = strlen(text);
    memset(text + n, 'x', 300);
    strcpy(text + n + 300, "\n");
    expect_error(text, ":2", "longer than");
}

static void test_bad_environment_value_names_the_variable(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *env[] = {"MAILCAST_SERVER_THREADS=lots", NULL};
    assert_int_equal(config_load(&cfg, NULL, env, &err), -1);
    assert_non_null(strstr(err.message, "MAILCAST_SERVER_THREADS"));
}

static void test_unreadable_file_is_an_error(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *env[] = {NULL};
    assert_int_equal(config_load(&cfg, "/nonexistent/mailcast.ini", env, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/mailcast.ini"));
}

static void test_listen_must_be_host_and_port(void **state)
{
    (void)state;
    expect_error("[server]\nlisten = localhost\n", ":2", "host:port");
}

static void test_messages_are_kept_forever_unless_a_retention_is_set(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *none[] = {NULL};
    assert_int_equal(config_load(&cfg, NULL, none, &err), 0);
    assert_int_equal(cfg.queue_retention_days, 0);
    config_free(&cfg);
    char *path = write_temp("[queue]\nretention_days = 30\n");
    assert_int_equal(config_load(&cfg, path, none, &err), 0);
    assert_int_equal(cfg.queue_retention_days, 30);
    config_free(&cfg);
    char *env[] = {"MAILCAST_QUEUE_RETENTION_DAYS=400", NULL};
    assert_int_equal(config_load(&cfg, path, env, &err), 0);
    assert_int_equal(cfg.queue_retention_days, 400);
    config_free(&cfg);
    unlink(path);
    free(path);
}

static void test_workers_poll_once_a_second_unless_configured(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *none[] = {NULL};
    assert_int_equal(config_load(&cfg, NULL, none, &err), 0);
    assert_int_equal(cfg.queue_poll_interval_ms, 1000);
    config_free(&cfg);
    char *path = write_temp("[queue]\npoll_interval_ms = 60000\n");
    assert_int_equal(config_load(&cfg, path, none, &err), 0);
    assert_int_equal(cfg.queue_poll_interval_ms, 60000);
    config_free(&cfg);
    unlink(path);
    free(path);
    /* a loop that never sleeps would hammer the database */
    expect_error("[queue]\npoll_interval_ms = 0\n", ":2", "between 10 and 3600000");
}

static void test_retention_days_must_be_a_number_of_days(void **state)
{
    (void)state;
    expect_error("[queue]\nretention_days = -1\n", ":2", "retention_days");
    expect_error("[queue]\nretention_days = 30d\n", ":2", "retention_days");
    expect_error("[queue]\nretention_days = 36501\n", ":2", "between 0 and 36500");
}

static void test_tracking_stores_truncated_addresses_unless_switched_off(void **state)
{
    (void)state;
    config_t cfg;
    mc_error err;
    char *none[] = {NULL};
    assert_int_equal(config_load(&cfg, NULL, none, &err), 0);
    assert_true(cfg.tracking_store_ip);
    assert_int_equal(cfg.tracking_buffer_events, 100000);
    config_free(&cfg);
    char *path = write_temp("[tracking]\nstore_ip = false\nbuffer_events = 5000\n");
    assert_int_equal(config_load(&cfg, path, none, &err), 0);
    assert_false(cfg.tracking_store_ip);
    assert_int_equal(cfg.tracking_buffer_events, 5000);
    config_free(&cfg);
    char *env[] = {"MAILCAST_TRACKING_STORE_IP=yes", NULL};
    assert_int_equal(config_load(&cfg, path, env, &err), 0);
    assert_true(cfg.tracking_store_ip);
    config_free(&cfg);
    unlink(path);
    free(path);
    expect_error("[tracking]\nstore_ip = maybe\n", ":2", "true or false");
    expect_error("[tracking]\nbuffer_events = 10\n", ":2", "between 100 and 10000000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_apply_without_a_file),
        cmocka_unit_test(test_file_values_and_named_sections_are_read),
        cmocka_unit_test(test_environment_overrides_the_file),
        cmocka_unit_test(test_unknown_key_names_file_line_and_key),
        cmocka_unit_test(test_bad_number_names_file_line_and_key),
        cmocka_unit_test(test_unknown_section_key_is_an_error),
        cmocka_unit_test(test_overlong_line_is_refused_not_split),
        cmocka_unit_test(test_bad_environment_value_names_the_variable),
        cmocka_unit_test(test_unreadable_file_is_an_error),
        cmocka_unit_test(test_listen_must_be_host_and_port),
        cmocka_unit_test(test_messages_are_kept_forever_unless_a_retention_is_set),
        cmocka_unit_test(test_workers_poll_once_a_second_unless_configured),
        cmocka_unit_test(test_retention_days_must_be_a_number_of_days),
        cmocka_unit_test(test_tracking_stores_truncated_addresses_unless_switched_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
