/* Rendering for text that is not HTML (subjects, text parts): no value is escaped. */
#include "template_support.h"

static const template_limits PLAIN = {.plain_text = true};

static void plain_text_leaves_the_five_html_characters_as_they_are(void **state)
{
    outcome o = run_limited("Hi {{name}}!", "{\"name\": \"Tom & Jerry <tj@x.example> \\\"'\"}",
                            NULL, &PLAIN);
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "Hi Tom & Jerry <tj@x.example> \"'!");
}

static void double_and_triple_braces_render_the_same_in_plain_text(void **state)
{
    outcome o = run_limited("{{v}}|{{{v}}}|{{&v}}", "{\"v\": \"<b>&</b>\"}", NULL, &PLAIN);
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "<b>&</b>|<b>&</b>|<b>&</b>");
}

static void filtered_numbers_and_partials_are_not_escaped_either(void **state)
{
    outcome o = run_limited("{{ n | default: \"A & B\" }} {{l}} {{>p}}", "{\"l\": [\"<\", \">\"]}",
                            "{\"p\": \"{{#l}}{{.}}{{/l}}\"}", &PLAIN);
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "A & B <,> <>");
}

static void limits_still_apply_in_plain_text(void **state)
{
    template_limits limits = {.max_output = 4, .plain_text = true};
    outcome o = run_limited("{{v}}", "{\"v\": \"&&&&&\"}", NULL, &limits);
    assert_int_equal(o.render_rc, -1);
    assert_string_equal(o.err.code, "template_limit");
}

static void html_escaping_stays_the_default(void **state)
{
    template_limits bounds = {.max_depth = 10};
    outcome o = run_limited("{{v}}", "{\"v\": \"Tom & Jerry\"}", NULL, &bounds);
    assert_string_equal(o.text, "Tom &amp; Jerry");
    assert_renders("{{v}}", "{\"v\": \"<\"}", "&lt;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_leaves_the_five_html_characters_as_they_are),
        cmocka_unit_test(double_and_triple_braces_render_the_same_in_plain_text),
        cmocka_unit_test(filtered_numbers_and_partials_are_not_escaped_either),
        cmocka_unit_test(limits_still_apply_in_plain_text),
        cmocka_unit_test(html_escaping_stays_the_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
