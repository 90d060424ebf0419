/* The import's CSV reader: records with their row numbers, and bad rows reported without
 * stopping the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/csv_reader.h"
#include "core/buf.h"

typedef struct {
    buf_t log; /* "row:field|field;" for records, "row:!message;" for bad rows */
    long long stop_after;
} collected;

static int on_record(void *ctx, long long row, const str_t *fields, int count)
{
    collected *c = ctx;
    buf_appendf(&c->log, "%lld:", row);
    for (int i = 0; i < count; i++)
        buf_appendf(&c->log, "%s%.*s", i ? "|" : "", (int)fields[i].n, fields[i].p);
    buf_putc(&c->log, ';');
    return c->stop_after && row >= c->stop_after ? 1 : 0;
}

static int on_bad_row(void *ctx, long long row, const char *message)
{
    collected *c = ctx;
    buf_appendf(&c->log, "%lld:!%.6s;", row, message);
    return 0;
}

static char *read_all(const char *data, size_t n, long long stop_after)
{
    FILE *f = fmemopen((void *)data, n, "rb");
    assert_non_null(f);
    collected c = {BUF_INIT, stop_after};
    mc_error err;
    assert_int_equal(csv_read(f, on_record, on_bad_row, &c, &err), 0);
    fclose(f);
    buf_putc(&c.log, '\0');
    return buf_detach(&c.log, NULL);
}

#define READ(s) read_all((s), sizeof(s) - 1, 0)

static void test_records_come_with_row_numbers_and_quoted_fields_unquoted(void **state)
{
    (void)state;
    char *log = READ("email,name\r\na@x.es,\"Núñez, \"\"el\"\"\"\nb@x.es,\"two\nlines\"\n");
    assert_string_equal(log, "1:email|name;2:a@x.es|Núñez, \"el\";3:b@x.es|two\nlines;");
    free(log);
}

static void test_a_byte_order_mark_is_skipped(void **state)
{
    (void)state;
    char *log = READ("\xEF\xBB\xBF"
                     "email\na@x.es\n");
    assert_string_equal(log, "1:email;2:a@x.es;");
    free(log);
}

static void test_a_row_with_broken_quoting_is_reported_and_reading_goes_on(void **state)
{
    (void)state;
    char *log = READ("email,name\n\"a@x.es\"x,A\nb@x.es,B\nc@x.es,\"C\"\"\"D\nd@x.es,D\n");
    assert_string_equal(log, "1:email|name;2:!broken;3:b@x.es|B;4:!broken;5:d@x.es|D;");
    free(log);
}

static void test_a_quote_left_open_at_the_end_is_one_bad_row(void **state)
{
    (void)state;
    char *log = READ("email\na@x.es\n\"b@x.es\nc@x.es\n");
    assert_string_equal(log, "1:email;2:a@x.es;3:!broken;");
    free(log);
}

static void test_a_field_over_the_limit_is_reported_without_holding_it(void **state)
{
    (void)state;
    size_t big = CSV_FIELD_MAX + 100000;
    char *data = malloc(big + 64);
    size_t n = 0;
    n += (size_t)sprintf(data + n, "email,note\na@x.es,");
    memset(data + n, 'x', big);
    n += big;
    n += (size_t)sprintf(data + n, "\nb@x.es,ok\n");
    char *log = read_all(data, n, 0);
    assert_string_equal(log, "1:email|note;2:!a fiel;3:b@x.es|ok;");
    free(log);
    free(data);
}

static void test_a_callback_can_stop_reading_early(void **state)
{
    (void)state;
    static const char data[] = "email\na@x.es\nb@x.es\n";
    char *log = read_all(data, sizeof data - 1, 1);
    assert_string_equal(log, "1:email;");
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_come_with_row_numbers_and_quoted_fields_unquoted),
        cmocka_unit_test(test_a_byte_order_mark_is_skipped),
        cmocka_unit_test(test_a_row_with_broken_quoting_is_reported_and_reading_goes_on),
        cmocka_unit_test(test_a_quote_left_open_at_the_end_is_one_bad_row),
        cmocka_unit_test(test_a_field_over_the_limit_is_reported_without_holding_it),
        cmocka_unit_test(test_a_callback_can_stop_reading_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
