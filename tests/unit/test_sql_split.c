/* Splitting migration scripts: semicolons inside quotes, dollar quotes and comments stay. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "db/sql_split.h"

static int split_all(const char *script, str_t *out, int *lines, int max)
{
    sql_splitter s;
    sql_split_init(&s, str_from_cstr(script));
    int n = 0;
    while (n < max && sql_split_next(&s, &out[n], &lines[n]))
        n++;
    return n;
}

static void test_statements_split_at_semicolons_with_their_lines(void **state)
{
    (void)state;
    str_t st[8];
    int line[8];
    int n = split_all(
        "CREATE TABLE a (x int);\n\n-- comment; not a statement\nCREATE TABLE b (y int);\n", st,
        line, 8);
    assert_int_equal(n, 2);
    assert_true(str_eq_cstr(st[0], "CREATE TABLE a (x int)"));
    assert_int_equal(line[0], 1);
    assert_true(str_eq_cstr(st[1], "CREATE TABLE b (y int)"));
    assert_int_equal(line[1], 4);
}

static void test_semicolons_inside_strings_and_dollar_quotes_do_not_split(void **state)
{
    (void)state;
    str_t st[8];
    int line[8];
    int n = split_all("INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x');\n"
                      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
                      "SELECT \"odd;name\" FROM t /* a; b /* nested; */ c; */;",
                      st, line, 8);
    assert_int_equal(n, 3);
    assert_int_equal(line[1], 2);
    assert_non_null(memchr(st[1].p, '$', st[1].n));
    assert_int_equal(line[2], 3);
}

static void test_trailing_statement_without_semicolon_is_kept(void **state)
{
    (void)state;
    str_t st[4];
    int line[4];
    assert_int_equal(split_all("SELECT 1;\nSELECT 2", st, line, 4), 2);
    assert_true(str_eq_cstr(st[1], "SELECT 2"));
    assert_int_equal(split_all("  \n-- only a comment\n;;", st, line, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_split_at_semicolons_with_their_lines),
        cmocka_unit_test(test_semicolons_inside_strings_and_dollar_quotes_do_not_split),
        cmocka_unit_test(test_trailing_statement_without_semicolon_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
