/* JSON answers print reals as short as they can without changing any value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"

/* the text http_respond_json sends for the JSON text given */
static char *answer_for(const char *text)
{
    json_t *value = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(value);
    char *out = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY |
                                      JSON_REAL_PRECISION(http_json_real_precision(value)));
    json_decref(value);
    return out;
}

static void test_a_rounded_rate_prints_as_rounded(void **state)
{
    (void)state;
    char *out = answer_for("{\"rate_per_s\": 12.3, \"items\": [{\"x\": 0.1}, 2.5, 7]}");
    assert_string_equal(out, "{\"rate_per_s\":12.3,\"items\":[{\"x\":0.1},2.5,7]}");
    free(out);
}

static void test_a_value_that_needs_every_digit_keeps_them(void **state)
{
    (void)state;
    char *out = answer_for("[0.30000000000000004, 12.3]");
    json_t *back = json_loads(out, 0, NULL);
    assert_true(json_real_value(json_array_get(back, 0)) == 0.1 + 0.2);
    assert_true(json_real_value(json_array_get(back, 1)) == 12.3);
    json_decref(back);
    free(out);
}

static void test_documents_without_reals_need_nothing(void **state)
{
    (void)state;
    json_t *value = json_loads("{\"a\": [1, \"b\", null, {\"c\": true}]}", 0, NULL);
    assert_int_equal(http_json_real_precision(value), 15);
    json_decref(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_rounded_rate_prints_as_rounded),
        cmocka_unit_test(test_a_value_that_needs_every_digit_keeps_them),
        cmocka_unit_test(test_documents_without_reals_need_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
