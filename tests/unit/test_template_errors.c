/* Malformed templates: every mistake is a compile error that says where it is (line and
 * column, 1-based, columns counted in characters), never a crash or a partial result. */
#include "template_support.h"

static void an_unclosed_section_points_at_its_opening_tag(void **state)
{
    assert_compile_error("<ul>\n  {{#items}}\n  <li>{{name}}</li>\n</ul>", "2:3",
                         "section 'items' is never closed");
}

static void a_mismatched_closing_tag_names_both_tags(void **state)
{
    assert_compile_error("{{#a}}\n{{#b}}x{{/a}}", "2:8",
                         "closing tag 'a' does not match the open section 'b' (line 2, column 1)");
}

static void a_closing_tag_without_a_section_is_an_error(void **state)
{
    assert_compile_error("x {{/done}}", "1:3", "closing tag 'done' has no open section");
}

static void a_bad_delimiter_change_is_an_error(void **state)
{
    assert_compile_error("ok\n{{=<% =}}", "2:1", "bad delimiter change");
    assert_compile_error("{{=<% a b %>=}}", "1:1", "bad delimiter change");
}

static void an_unclosed_tag_is_an_error(void **state)
{
    assert_compile_error("Hello {{name", "1:7", "tag is never closed");
}

static void an_empty_tag_is_an_error(void **state)
{
    assert_compile_error("a {{ }}", "1:3", "empty tag");
}

static void a_name_with_spaces_is_an_error(void **state)
{
    assert_compile_error("{{first name}}", "1:1", "names cannot contain spaces");
}

static void columns_count_characters_not_bytes(void **state)
{
    assert_compile_error("ñandú {{/x}}", "1:7", "no open section");
}

static void text_that_is_not_utf8_is_an_error(void **state)
{
    assert_compile_error("ok\nab\xC3(", "2:3", "not valid UTF-8");
}

static void an_error_in_a_partial_names_the_partial(void **state)
{
    outcome o = run("a\n{{> card}}", "{}", "{\"card\": \"x\\n{{#open}}\"}");
    assert_int_equal(o.compile_rc, -1);
    assert_string_equal(o.err.field, "2:1");
    assert_non_null(strstr(o.err.message, "partial 'card', line 2, column 1: section 'open'"));
}

static void a_parent_including_itself_stops_at_the_expansion_limit(void **state)
{
    outcome o = run("{{<loop}}{{/loop}}", "{}", "{\"loop\": \"x{{<loop}}{{/loop}}\"}");
    assert_int_equal(o.compile_rc, -1);
    assert_string_equal(o.err.code, "template_limit");
    assert_non_null(strstr(o.err.message, "nest deeper than"));
}

static void a_partial_including_itself_outside_a_section_is_an_error(void **state)
{
    outcome o = run("{{>a}}", "{}", "{\"a\": \"x\\n {{>b}}\", \"b\": \"{{#s}}{{/s}}{{>a}}\"}");
    assert_int_equal(o.compile_rc, -1);
    assert_non_null(strstr(o.err.message, "includes itself with no section in between"));
    assert_true(!strcmp(o.err.field, "2:2") || !strcmp(o.err.field, "1:13"));
}

static void a_partial_including_itself_inside_a_section_is_fine(void **state)
{
    outcome o = run("{{>node}}", "{\"name\": \"a\", \"kids\": [{\"name\": \"b\", \"kids\": []}]}",
                    "{\"node\": \"{{name}}({{#kids}}{{>node}}{{/kids}})\"}");
    assert_int_equal(o.compile_rc, 0);
    assert_string_equal(o.text, "a(b())");
}

static void sections_nested_too_deep_are_an_error(void **state)
{
    static char text[6 * 1100 + 1];
    for (int i = 0; i < 1100; i++)
        memcpy(text + 6 * i, "{{#a}}", 6);
    outcome o = run(text, NULL, NULL);
    assert_int_equal(o.compile_rc, -1);
    assert_string_equal(o.err.field, "1:6001");
    assert_non_null(strstr(o.err.message, "sections nest deeper than 1000 levels"));
}

static void a_dynamic_parent_is_refused_rather_than_rendered_blank(void **state)
{
    assert_compile_error("x\n{{<*layout}}{{/*layout}}", "2:1", "dynamic parents");
}

static void a_missing_partial_renders_as_nothing(void **state)
{
    outcome o = run("[{{> nowhere}}]", "{}", "{}");
    assert_int_equal(o.compile_rc, 0);
    assert_string_equal(o.text, "[]");
}

/* compiles text strictly with partials (a JSON object text) and returns the error message */
static void assert_strict_error(const char *text, const char *partials, const char *field,
                                const char *message)
{
    json_t *parts = json_loads(partials, 0, NULL);
    template_loader loader = {support_load, support_list, parts};
    template_t *t = NULL;
    mc_error err;
    assert_int_equal(template_compile_strict(str_from_cstr(text), &loader, &t, &err), -1);
    assert_null(t);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
    /* the specification's compile renders them as nothing */
    assert_int_equal(template_compile(str_from_cstr(text), &loader, &t, &err), 0);
    template_free(t);
    json_decref(parts);
}

static void strict_compiling_refuses_partials_and_parents_that_do_not_exist(void **state)
{
    assert_strict_error("Hola\n{{<layouts/bse}}{{$content}}x{{/content}}{{/layouts/bse}}",
                        "{\"layouts/base\": \"{{$content}}{{/content}}\"}", "2:1",
                        "line 2, column 1: parent 'layouts/bse' does not exist");
    assert_strict_error("<p>Ñandú {{>nope}}</p>", "{}", "1:10",
                        "line 1, column 10: partial 'nope' does not exist");
    assert_strict_error("{{<frame}}{{/frame}}", "{\"frame\": \"a\\n  {{> pie }}\"}", "2:3",
                        "parent 'frame', line 2, column 3: partial 'pie' does not exist");
    json_t *parts = json_loads("{\"frame\": \"[{{$b}}{{/b}}]\", \"pie\": \"p\"}", 0, NULL);
    template_loader loader = {support_load, support_list, parts};
    template_t *t = NULL;
    mc_error err;
    assert_int_equal(template_compile_strict(STR_LIT("{{<frame}}{{$b}}{{>pie}}{{/b}}{{/frame}}"),
                                             &loader, &t, &err),
                     0);
    template_free(t);
    json_decref(parts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strict_compiling_refuses_partials_and_parents_that_do_not_exist),
        cmocka_unit_test(an_unclosed_section_points_at_its_opening_tag),
        cmocka_unit_test(a_mismatched_closing_tag_names_both_tags),
        cmocka_unit_test(a_closing_tag_without_a_section_is_an_error),
        cmocka_unit_test(a_bad_delimiter_change_is_an_error),
        cmocka_unit_test(an_unclosed_tag_is_an_error),
        cmocka_unit_test(an_empty_tag_is_an_error),
        cmocka_unit_test(a_name_with_spaces_is_an_error),
        cmocka_unit_test(columns_count_characters_not_bytes),
        cmocka_unit_test(text_that_is_not_utf8_is_an_error),
        cmocka_unit_test(an_error_in_a_partial_names_the_partial),
        cmocka_unit_test(a_parent_including_itself_stops_at_the_expansion_limit),
        cmocka_unit_test(a_partial_including_itself_outside_a_section_is_an_error),
        cmocka_unit_test(a_partial_including_itself_inside_a_section_is_fine),
        cmocka_unit_test(sections_nested_too_deep_are_an_error),
        cmocka_unit_test(a_dynamic_parent_is_refused_rather_than_rendered_blank),
        cmocka_unit_test(a_missing_partial_renders_as_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
