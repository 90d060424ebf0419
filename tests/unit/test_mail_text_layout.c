/* Laying out what a derived text template renders: values of any length wrap at 78 columns
 * counted in characters, continuation lines keep the quote and list prefix, white space in
 * values collapses, and paragraphs that come out empty leave no blank lines behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/utf8.h"
#include "mail/text_template.h"

/* renders the text derived from html with data (JSON text) into out */
static const char *render_text(const char *html, const char *data, buf_t *out)
{
    template_t *t = NULL;
    mc_error err;
    if (text_template_derive(str_from_cstr(html), NULL, &t, &err) < 0)
        fail_msg("not derived: %s", err.message);
    json_t *context = json_loads(data, 0, NULL);
    assert_non_null(context);
    buf_t scratch = BUF_INIT;
    buf_reset(out);
    assert_int_equal(text_template_render(t, context, &scratch, out, &err), 0);
    buf_free(&scratch);
    json_decref(context);
    template_free(t);
    return buf_cstr(out);
}

static void a_long_value_wraps_keeping_the_quote_and_list_prefixes(void **state)
{
    buf_t out = BUF_INIT;
    const char *data = "{\"v\": \"uno dos tres cuatro cinco seis siete ocho nueve diez once doce"
                       " trece catorce quince dieciséis\"}";
    assert_string_equal(render_text("<blockquote><p>Nota: {{v}}</p></blockquote>", data, &out),
                        "> Nota: uno dos tres cuatro cinco seis siete ocho nueve diez once doce "
                        "trece\n> catorce quince dieciséis\n");
    assert_string_equal(render_text("<ul><li>Nota: {{v}}</li></ul>", data, &out),
                        "- Nota: uno dos tres cuatro cinco seis siete ocho nueve diez once doce "
                        "trece\n  catorce quince dieciséis\n");
    buf_free(&out);
}

static void lines_are_counted_in_characters_and_never_cut_a_character(void **state)
{
    buf_t out = BUF_INIT;
    render_text("<p>{{v}}</p>",
                "{\"v\": \"Съешь же ещё этих мягких французских булок, да выпей чаю. Съешь же ещё "
                "этих мягких французских булок, да выпей чаю. Съешь же ещё этих мягких\"}",
                &out);
    assert_true(utf8_valid(out.p, out.n, NULL));
    size_t start = 0, lines = 0;
    for (size_t i = 0; i < out.n; i++)
        if (out.p[i] == '\n') {
            size_t width = utf8_count(out.p + start, i - start);
            assert_true(width <= 78);
            assert_true(width >= 60); /* filled, not broken at bytes */
            lines++;
            start = i + 1;
        }
    assert_int_equal(lines, 2);
    buf_free(&out);
}

static void a_word_longer_than_a_line_keeps_a_line_of_its_own(void **state)
{
    buf_t out = BUF_INIT;
    char data[300];
    snprintf(data, sizeof data, "{\"url\": \"https://x.example/%090d\"}", 0);
    const char *text =
        render_text("<p>Abre <a href=\"{{url}}\">el enlace</a> hoy.</p>", data, &out);
    assert_non_null(strstr(text, "Abre el enlace\n(https://x.example/000"));
    assert_non_null(strstr(text, "000)\nhoy.\n"));
    buf_free(&out);
}

static void white_space_in_values_collapses(void **state)
{
    buf_t out = BUF_INIT;
    assert_string_equal(
        render_text("<p>Calle: {{a}}.</p>", "{\"a\": \"  Mayor\\n 5,\\t\\t2º  \"}", &out),
        "Calle: Mayor 5, 2º .\n");
    buf_free(&out);
}

static void empty_paragraphs_leave_no_blank_lines(void **state)
{
    buf_t out = BUF_INIT;
    assert_string_equal(render_text("<p>Uno</p><p>{{empty}}</p><h1>{{empty}}</h1>"
                                    "{{#no}}<p>x</p>{{/no}}<ul><li>Dos</li></ul><p>Tres</p>",
                                    "{}", &out),
                        "Uno\n\n- Dos\n\nTres\n");
    assert_string_equal(render_text("<p>{{empty}}</p>", "{}", &out), "");
    assert_string_equal(
        render_text("<p>Uno</p><p><a href=\"{{u}}\"></a></p><p>Dos</p>", "{}", &out),
        "Uno\n\nDos\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_long_value_wraps_keeping_the_quote_and_list_prefixes),
        cmocka_unit_test(lines_are_counted_in_characters_and_never_cut_a_character),
        cmocka_unit_test(a_word_longer_than_a_line_keeps_a_line_of_its_own),
        cmocka_unit_test(white_space_in_values_collapses),
        cmocka_unit_test(empty_paragraphs_leave_no_blank_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
