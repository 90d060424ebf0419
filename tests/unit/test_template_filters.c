/* Filters, as marketers write them: {{ value | filter: argument | next }}. */
#include "template_support.h"

static void default_fills_in_a_missing_value(void **state)
{
    assert_renders("Hi {{ first_name | default: \"friend\" }}!", "{}", "Hi friend!");
}

static void default_fills_in_an_empty_string(void **state)
{
    assert_renders("Hi {{ first_name | default: \"friend\" }}!", "{\"first_name\": \"\"}",
                   "Hi friend!");
}

static void default_keeps_zero_and_true(void **state)
{
    assert_renders("{{ n | default: \"none\" }} {{ b | default: \"no\" }}",
                   "{\"n\": 0, \"b\": true}", "0 true");
}

static void default_replaces_null_false_and_an_empty_list(void **state)
{
    assert_renders("{{ a | default: \"x\" }}{{ b | default: \"y\" }}{{ c | default: \"z\" }}",
                   "{\"a\": null, \"b\": false, \"c\": []}", "xyz");
}

static void default_keeps_a_present_value(void **state)
{
    assert_renders("Hi {{ first_name | default: \"friend\" }}!", "{\"first_name\": \"Ana\"}",
                   "Hi Ana!");
}

static void upper_maps_latin_cyrillic_and_greek(void **state)
{
    assert_renders("{{ a | upper }} {{ b | upper }} {{ c | upper }}",
                   "{\"a\": \"ñandú\", \"b\": \"привет\", \"c\": \"καλημέρα\"}",
                   "ÑANDÚ ПРИВЕТ ΚΑΛΗΜΈΡΑ");
}

static void lower_maps_latin_cyrillic_and_greek(void **state)
{
    assert_renders("{{ a | lower }} {{ b | lower }} {{ c | lower }}",
                   "{\"a\": \"ÑANDÚ\", \"b\": \"ПРИВЕТ\", \"c\": \"ΑΒΓ\"}", "ñandú привет αβγ");
}

static void capitalize_uppers_the_first_letter_and_lowers_the_rest(void **state)
{
    assert_renders("{{ a | capitalize }} {{ b | capitalize }}",
                   "{\"a\": \"élodie\", \"b\": \"JOHN\"}", "Élodie John");
}

static void truncate_counts_characters_not_bytes(void **state)
{
    assert_renders("{{ s | truncate: 4 }}", "{\"s\": \"ñandúes\"}", "ñand…");
}

static void truncate_leaves_short_text_alone(void **state)
{
    assert_renders("{{ s | truncate: 5 }}", "{\"s\": \"ñandú\"}", "ñandú");
}

static void date_formats_an_iso_date(void **state)
{
    assert_renders("{{ d | date: \"%d %B %Y\" }}", "{\"d\": \"2024-03-07\"}", "07 March 2024");
}

static void date_keeps_the_written_time_and_offset(void **state)
{
    assert_renders("{{ d | date: \"%A %H:%M %z\" }}", "{\"d\": \"2024-03-07T09:30:00+02:00\"}",
                   "Thursday 09:30 +0200");
    assert_renders("{{ d | date: \"%Y-%m-%d %H:%M:%S\" }}", "{\"d\": \"2024-12-31T23:59:59Z\"}",
                   "2024-12-31 23:59:59");
}

static void date_rejects_what_is_not_a_date_with_its_position(void **state)
{
    outcome o = run("x\n  {{ d | date: \"%Y\" }}", "{\"d\": \"2024-02-30\"}", NULL);
    assert_int_equal(o.render_rc, -1);
    assert_string_equal(o.err.field, "2:3");
    assert_non_null(strstr(o.err.message, "ISO-8601"));
}

static void date_of_a_missing_value_is_empty(void **state)
{
    assert_renders("[{{ d | date: \"%Y\" }}]", "{}", "[]");
}

static void money_prints_two_decimals_and_the_currency(void **state)
{
    assert_renders("{{ p | money: \"EUR\" }}", "{\"p\": 12.5}", "12.50 EUR");
    assert_renders("{{ p | money: \"USD\" }}", "{\"p\": 1234}", "1234.00 USD");
    assert_renders("{{ p | money }}", "{\"p\": \"-3.1\"}", "-3.10");
}

static void money_rounds_half_away_from_zero_on_decimal_digits(void **state)
{
    assert_renders("{{ a | money: \"EUR\" }} {{ b | money: \"EUR\" }} {{ c | money: \"EUR\" }}",
                   "{\"a\": 0.125, \"b\": \"2.675\", \"c\": -0.005}",
                   "0.13 EUR 2.68 EUR -0.01 EUR");
}

static void money_rejects_text_that_is_not_a_number(void **state)
{
    outcome o = run("{{ p | money: \"EUR\" }}", "{\"p\": \"12,50\"}", NULL);
    assert_int_equal(o.render_rc, -1);
    assert_string_equal(o.err.field, "1:1");
}

static void urlencode_keeps_only_unreserved_characters(void **state)
{
    assert_renders("{{{ q | urlencode }}}", "{\"q\": \"a b&c=d/é~._-\"}",
                   "a%20b%26c%3Dd%2F%C3%A9~._-");
}

static void json_encodes_the_value(void **state)
{
    assert_renders("{{{ v | json }}}", "{\"v\": {\"a\": [1, \"x\"]}}", "{\"a\":[1,\"x\"]}");
    assert_renders("{{{ s | json }}}", "{\"s\": \"say \\\"hi\\\"\\n\"}", "\"say \\\"hi\\\"\\n\"");
    assert_renders("{{{ m | json }}}", "{}", "null");
}

static void filter_output_is_escaped_in_double_braces_only(void **state)
{
    assert_renders("{{ v | json }} {{{ v | json }}} {{& v | json }}", "{\"v\": \"<b>\"}",
                   "&quot;&lt;b&gt;&quot; \"<b>\" \"<b>\"");
}

static void filters_apply_left_to_right(void **state)
{
    assert_renders("{{ n | default: \"dear friend\" | upper | truncate: 4 }}", "{}", "DEAR…");
    assert_renders("{{ n | truncate: 2 | default: \"x\" | upper }}", "{\"n\": \"abc\"}", "AB…");
}

static void a_pipe_inside_quotes_is_part_of_the_argument(void **state)
{
    assert_renders("{{ n | default: \"a | b\" }}", "{}", "a | b");
}

static void an_unknown_filter_is_a_compile_error(void **state)
{
    assert_compile_error("Hello\n  {{ name | shout }}", "2:3", "unknown filter 'shout'");
}

static void a_missing_argument_is_a_compile_error(void **state)
{
    assert_compile_error("{{ name | truncate }}", "1:1", "truncate: 40");
    assert_compile_error("{{ name | truncate: \"x\" }}", "1:1", "whole number");
    assert_compile_error("{{ name | upper: 3 }}", "1:1", "takes no argument");
    assert_compile_error("{{ name | default: \"x }}", "1:1", "never closed");
}

static void filters_belong_in_variable_tags_only(void **state)
{
    assert_compile_error("{{#items | upper}}{{/items}}", "1:1", "only allowed in variable tags");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_fills_in_a_missing_value),
        cmocka_unit_test(default_fills_in_an_empty_string),
        cmocka_unit_test(default_keeps_a_present_value),
        cmocka_unit_test(default_keeps_zero_and_true),
        cmocka_unit_test(default_replaces_null_false_and_an_empty_list),
        cmocka_unit_test(upper_maps_latin_cyrillic_and_greek),
        cmocka_unit_test(lower_maps_latin_cyrillic_and_greek),
        cmocka_unit_test(capitalize_uppers_the_first_letter_and_lowers_the_rest),
        cmocka_unit_test(truncate_counts_characters_not_bytes),
        cmocka_unit_test(truncate_leaves_short_text_alone),
        cmocka_unit_test(date_formats_an_iso_date),
        cmocka_unit_test(date_keeps_the_written_time_and_offset),
        cmocka_unit_test(date_rejects_what_is_not_a_date_with_its_position),
        cmocka_unit_test(date_of_a_missing_value_is_empty),
        cmocka_unit_test(money_prints_two_decimals_and_the_currency),
        cmocka_unit_test(money_rounds_half_away_from_zero_on_decimal_digits),
        cmocka_unit_test(money_rejects_text_that_is_not_a_number),
        cmocka_unit_test(urlencode_keeps_only_unreserved_characters),
        cmocka_unit_test(json_encodes_the_value),
        cmocka_unit_test(filter_output_is_escaped_in_double_braces_only),
        cmocka_unit_test(filters_apply_left_to_right),
        cmocka_unit_test(a_pipe_inside_quotes_is_part_of_the_argument),
        cmocka_unit_test(an_unknown_filter_is_a_compile_error),
        cmocka_unit_test(a_missing_argument_is_a_compile_error),
        cmocka_unit_test(filters_belong_in_variable_tags_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
