/* The plain-text part generated from HTML: readable structure, links, alt text, no
 * scripts or styles, 78-column wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "mail/html_to_text.h"

static char *convert(const char *html, buf_t *out)
{
    buf_reset(out);
    html_to_text(str_from_cstr(html), out);
    return out->p ? out->p : "";
}

static void paragraphs_are_separated_by_a_blank_line(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(convert("<p>One</p><p>Two   words\n here</p>", &out),
                        "One\n\nTwo words here\n");
    buf_free(&out);
}

static void links_show_their_url_after_the_text(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(convert("<p>See <a href=\"https://x.example/a?b=1&amp;c=2\">the page</a>."
                                " <a href=\"https://y.example/\">https://y.example/</a>"
                                " <a href=\"#top\">top</a></p>",
                                &out),
                        "See the page (https://x.example/a?b=1&c=2). https://y.example/ top\n");
    buf_free(&out);
}

static void scripts_styles_and_head_are_left_out(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(convert("<html><head><title>T</title><style>p{x:y}</style></head><body>"
                                "<script>var a = 1;</script><p>Body</p></body></html>",
                                &out),
                        "Body\n");
    buf_free(&out);
}

static void lists_get_markers(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(convert("<p>Intro</p><ul><li>a</li><li>b</li></ul><ol start=\"3\">"
                                "<li>c</li><li>d</li></ol>",
                                &out),
                        "Intro\n\n- a\n- b\n\n3. c\n4. d\n");
    buf_free(&out);
}

static void headings_are_underlined_and_images_give_alt_text(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(convert("<h1>Zoë</h1><p><img src=\"l.png\" alt=\"Logo\"> text</p>", &out),
                        "Zoë\n===\n\nLogo text\n");
    buf_free(&out);
}

static void long_paragraphs_wrap_at_78_columns_counting_characters(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    buf_t html = BUF_INIT;
    buf_append_cstr(&html, "<p>");
    for (int i = 0; i < 60; i++)
        buf_append_cstr(&html, "ünïcödé ");
    buf_append_cstr(&html, "</p>");
    convert(html.p, &out);
    size_t lines = 0, start = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (out.p[i] == '\n') {
            size_t width = utf8_count(out.p + start, i - start);
            assert_true(width <= 78);
            assert_true(width >= 70); /* filled, not broken early */
            lines++;
            start = i + 1;
            if (out.n - start < 80) break;
        }
    }
    assert_true(lines >= 5);
    buf_free(&html);
    buf_free(&out);
}

static void long_urls_keep_a_line_of_their_own(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    char html[400];
    snprintf(html, sizeof html, "<p>Go to <a href=\"https://example.com/%0100d\">here</a></p>", 0);
    convert(html, &out);
    assert_non_null(strstr(out.p, "Go to here\n(https://example.com/000"));
    buf_free(&out);
}

static void elements_hidden_with_display_none_are_left_out(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    /* a preheader: its text and filler characters are for the inbox list, not the text */
    assert_string_equal(
        convert("<div style=\"display:none;font-size:1px;max-height:0\">Ofertas de otoño"
                "&#8199;&#847;&#8199;&#847;</div><p>Hola, Ольга</p>",
                &out),
        "Hola, Ольга\n");
    assert_string_equal(convert("<span style=\"color: red; DISPLAY : None !important\">x</span>"
                                "<p style=\"margin:0;display:\tnone\">y</p>Visible",
                                &out),
                        "Visible\n");
    assert_string_equal(convert("<div style=\"display: none; max-height:0\"><p>a</p>"
                                "<table><tr><td>b</td></tr></table></div><p>c</p>",
                                &out),
                        "c\n");
    /* other display values, and properties that only end in "display", stay */
    assert_string_equal(convert("<p style=\"display:block\">one</p>"
                                "<p style=\"mso-display:none\">two</p>"
                                "<p style=\"display:nonesuch\">three</p>",
                                &out),
                        "one\n\ntwo\n\nthree\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paragraphs_are_separated_by_a_blank_line),
        cmocka_unit_test(links_show_their_url_after_the_text),
        cmocka_unit_test(scripts_styles_and_head_are_left_out),
        cmocka_unit_test(lists_get_markers),
        cmocka_unit_test(headings_are_underlined_and_images_give_alt_text),
        cmocka_unit_test(long_paragraphs_wrap_at_78_columns_counting_characters),
        cmocka_unit_test(long_urls_keep_a_line_of_their_own),
        cmocka_unit_test(elements_hidden_with_display_none_are_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
