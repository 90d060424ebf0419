/* Trigger definitions checked and normalized without a database: the stored form, defaults,
 * event names, and the path every refusal names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "automation/event_input.h"
#include "automation/trigger_validate.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v) fail_msg("bad test JSON: %s in %s", jerr.text, text);
    return v;
}

static void assert_normalizes_to(const char *body_json, const char *expected_json)
{
    json_t *body = parse(body_json), *expected = parse(expected_json);
    mc_error err;
    json_t *def = trigger_normalize(body, &err);
    if (!def) fail_msg("refused: %s (%s)", err.message, err.field);
    if (!json_equal(def, expected)) {
        char *got = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("normalized to %s", got);
    }
    /* normalizing the stored form gives it back: a GET can be PUT again as it is */
    json_t *again = trigger_normalize(def, &err);
    if (!again) fail_msg("normalized form refused: %s (%s)", err.message, err.field);
    assert_true(json_equal(again, def));
    json_decref(again);
    json_decref(def);
    json_decref(body);
    json_decref(expected);
}

static void assert_refused_at(const char *body_json, const char *field)
{
    json_t *body = parse(body_json);
    mc_error err;
    json_t *def = trigger_normalize(body, &err);
    if (def) fail_msg("accepted %s", body_json);
    assert_int_equal(err.status, 400);
    assert_true(err.message[0] != '\0');
    if (strcmp(err.field, field))
        fail_msg("refused at %s, not %s: %s", err.field, field, err.message);
    json_decref(body);
}

static void test_the_cart_trigger_is_stored_with_its_seconds(void **state)
{
    (void)state;
    assert_normalizes_to(
        "{\"name\": \"Carrito abandonado\", \"entry\": {\"event\": \"cart_updated\", \"where\": "
        "[{\"field\": \"properties.total\", \"op\": \"gte\", \"value\": 10}]}, \"segment\": 5, "
        "\"steps\": [{\"wait\": \"3d\"}, {\"if\": {\"not\": {\"event\": \"order_completed\", "
        "\"since_entry\": true}}}, {\"send\": 12, \"subject\": \"¿Olvidaste algo?\"}, "
        "{\"wait_until\": \"09:30\"}, {\"exit\": true}], \"exit_on\": [\"order_completed\"], "
        "\"reentry\": \"after:30d\", \"settings\": {\"discount_code\": \"VUELVE10\"}}",
        "{\"name\": \"Carrito abandonado\", \"entry\": {\"event\": \"cart_updated\", \"where\": "
        "[{\"field\": \"properties.total\", \"op\": \"gte\", \"value\": 10}]}, \"segment\": 5, "
        "\"steps\": [{\"wait\": \"3d\", \"seconds\": 259200}, {\"if\": {\"not\": {\"event\": "
        "\"order_completed\", \"since_entry\": true}}, \"else\": \"exit\"}, {\"send\": 12, "
        "\"subject\": \"¿Olvidaste algo?\"}, {\"wait_until\": \"09:30\"}, {\"exit\": true}], "
        "\"exit_on\": [\"order_completed\"], \"reentry\": \"after:30d\", \"reentry_seconds\": "
        "2592000, \"settings\": {\"discount_code\": \"VUELVE10\"}, \"enabled\": true}");
}

static void test_defaults_fill_a_minimal_definition(void **state)
{
    (void)state;
    assert_normalizes_to(
        "{\"name\": \"Добро пожаловать\", \"entry\": {\"list\": 7}, \"steps\": [{\"send\": 3, "
        "\"subject\": \"\"}], \"enabled\": false}",
        "{\"name\": \"Добро пожаловать\", \"entry\": {\"list\": 7}, \"segment\": null, \"steps\": "
        "[{\"send\": 3, \"subject\": null}], \"exit_on\": [], \"reentry\": \"once\", "
        "\"settings\": {}, \"enabled\": false}");
    assert_normalizes_to(
        "{\"name\": \"b\", \"entry\": {\"date_attribute\": \"cumpleaños\"}, \"steps\": "
        "[{\"send\": 3}], \"reentry\": \"every_time\"}",
        "{\"name\": \"b\", \"entry\": {\"date_attribute\": \"cumpleaños\", \"offset_days\": 0}, "
        "\"segment\": null, \"steps\": [{\"send\": 3, \"subject\": null}], \"exit_on\": [], "
        "\"reentry\": \"every_time\", \"settings\": {}, \"enabled\": true}");
}

static void test_event_names_are_ascii_words_with_separators(void **state)
{
    (void)state;
    assert_true(event_name_valid("cart_updated", 12));
    assert_true(event_name_valid("shop:Order.completed-v2", 23));
    assert_false(event_name_valid("", 0));
    assert_false(event_name_valid("cart updated", 12));
    assert_false(event_name_valid("заказ", strlen("заказ")));
    assert_false(event_name_valid("a/b", 3));
    char long_name[202];
    memset(long_name, 'e', sizeof long_name);
    assert_true(event_name_valid(long_name, 200));
    assert_false(event_name_valid(long_name, 201));
}

#define CART_ENTRY "\"entry\": {\"event\": \"cart_updated\"}"
#define SEND_STEP  "{\"send\": 1}"

static void test_each_refusal_names_its_member(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"{\"entry\": {\"list\": 1}, \"steps\": [" SEND_STEP "]}", "name"},
        {"{\"name\": \"x\", \"steps\": [" SEND_STEP "]}", "entry"},
        {"{\"name\": \"x\", \"entry\": {\"list\": 1, \"event\": \"a\"}, \"steps\": [" SEND_STEP
         "]}",
         "entry"},
        {"{\"name\": \"x\", \"entry\": {\"event\": \"a\", \"where\": [{\"field\": "
         "\"properties.total\", \"op\": \"gte\", \"value\": [1]}]}, \"steps\": [" SEND_STEP "]}",
         "entry.where[0].value"},
        {"{\"name\": \"x\", \"entry\": {\"event\": \"a\", \"where\": [{\"field\": "
         "\"properties.k\", \"op\": \"eq\", \"value\": 1, \"since_entry\": true}]}, \"steps\": "
         "[" SEND_STEP "]}",
         "entry.where[0].since_entry"},
        {"{\"name\": \"x\", \"entry\": {\"date_attribute\": \"b\", \"offset_days\": -3651}, "
         "\"steps\": [" SEND_STEP "]}",
         "entry.offset_days"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP ", {\"wait\": \"0s\"}]}",
         "steps[1].wait"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP ", {\"if\": {\"event\": "
         "\"o\", \"since_entry\": 1}}]}",
         "steps[1].if.since_entry"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP ", {\"if\": {\"list\": 1}, "
         "\"then\": \"exit\"}]}",
         "steps[1].then"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [{\"wait\": \"1d\"}]}", "steps"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP "], \"exit_on\": "
         "[\"cart_updated\"]}",
         "exit_on[0]"},
        {"{\"name\": \"x\", \"entry\": {\"event\": \"trigger.sent\"}, \"steps\": [" SEND_STEP "]}",
         "entry.event"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP "], \"reentry\": "
         "\"after:0d\"}",
         "reentry"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP "], \"settings\": 1}",
         "settings"},
        {"{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP "], \"audience\": 1}",
         "audience"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_refused_at(cases[i][0], cases[i][1]);
}

static void test_settings_are_capped_at_16_kb(void **state)
{
    (void)state;
    size_t n = TRIGGER_SETTINGS_MAX_BYTES;
    char *body = malloc(n + 200);
    /* {"note":"xxxx"} is 11 bytes besides the text */
    int head = snprintf(body, n + 200,
                        "{\"name\": \"x\", " CART_ENTRY ", \"steps\": [" SEND_STEP
                        "], \"settings\": {\"note\": \"");
    memset(body + head, 'x', n - 11);
    strcpy(body + head + n - 11, "\"}}");
    json_t *ok = parse(body);
    mc_error err;
    json_t *def = trigger_normalize(ok, &err);
    assert_non_null(def);
    json_decref(def);
    json_decref(ok);
    strcpy(body + head + n - 11, "x\"}}");
    assert_refused_at(body, "settings");
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_cart_trigger_is_stored_with_its_seconds),
        cmocka_unit_test(test_defaults_fill_a_minimal_definition),
        cmocka_unit_test(test_event_names_are_ascii_words_with_separators),
        cmocka_unit_test(test_each_refusal_names_its_member),
        cmocka_unit_test(test_settings_are_capped_at_16_kb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
