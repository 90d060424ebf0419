/* UTM parameters spliced into the links of a template's text: absolute http(s) links only,
 * before the fragment, with the right separator, values percent-encoded, Mustache tags and
 * the rest of the markup left as written. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "campaign/utm_links.h"

static const char *UTM = "{\"source\": \"newsletter\", \"medium\": \"email\"}";

/* returns html tagged with utm (JSON text), in out */
static const char *tag(const char *html, const char *utm, buf_t *out)
{
    json_t *settings = json_loads(utm, 0, NULL);
    assert_non_null(settings);
    buf_reset(out);
    utm_tag_links(str_from_cstr(html), settings, out);
    json_decref(settings);
    return buf_cstr(out);
}

static void a_link_without_a_query_gets_one(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(tag("<p><a href=\"https://shop.example/sale\">Sale</a></p>", UTM, &out),
                        "<p><a href=\"https://shop.example/sale?utm_source=newsletter&amp;"
                        "utm_medium=email\">Sale</a></p>");
    buf_free(&out);
}

static void a_query_is_extended_and_the_fragment_stays_last(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(tag("<a href='http://x.example/a?id=1#top'>a</a>", UTM, &out),
                        "<a href='http://x.example/a?id=1&amp;utm_source=newsletter&amp;"
                        "utm_medium=email#top'>a</a>");
    assert_string_equal(tag("<a href=\"https://x.example/?\">a</a>", UTM, &out),
                        "<a href=\"https://x.example/?utm_source=newsletter&amp;utm_medium="
                        "email\">a</a>");
    assert_string_equal(tag("<a href=https://x.example/b>b</a>", UTM, &out),
                        "<a href=https://x.example/b?utm_source=newsletter&amp;utm_medium="
                        "email>b</a>");
    buf_free(&out);
}

static void mustache_tags_in_a_link_are_kept_and_their_hash_is_not_a_fragment(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(
        tag("<a href=\"https://x.example/p/{{id}}?u={{#vip}}1{{/vip}}\">{{name}}</a>", UTM, &out),
        "<a href=\"https://x.example/p/{{id}}?u={{#vip}}1{{/vip}}&amp;utm_source=newsletter&amp;"
        "utm_medium=email\">{{name}}</a>");
    buf_free(&out);
}

static void other_links_and_text_are_left_alone(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    const char *html = "<a href=\"{{unsubscribe_url}}\">baja</a> <a href=\"mailto:a@b.example\">m"
                       "</a> <a href=\"/relative\">r</a> <a name=\"x\">n</a> "
                       "<a href=\"https://x.example/?utm_source=own\">own</a> https://x.example/";
    assert_string_equal(tag(html, UTM, &out), html);
    assert_string_equal(tag("<a href=\"https://x.example/\">x</a>", "{}", &out),
                        "<a href=\"https://x.example/\">x</a>");
    buf_free(&out);
}

static void values_are_percent_encoded_in_a_fixed_order(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    assert_string_equal(tag("<area href=\"https://x.example/\">",
                            "{\"content\": \"a&b\", \"campaign\": \"Campaña de otoño\","
                            " \"term\": \"\"}",
                            &out),
                        "<area href=\"https://x.example/?utm_campaign=Campa%C3%B1a%20de%20oto"
                        "%C3%B1o&amp;utm_content=a%26b\">");
    buf_free(&out);
}

static void links_moved_by_the_parser_are_tagged_in_text_order(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    /* the parser moves the first link out of the table: both are still tagged in place */
    assert_string_equal(tag("<table><a href=\"https://a.example/\">a</a><tr><td><a href=\"https:"
                            "//b.example/\">b</a></td></tr></table>",
                            "{\"source\": \"s\"}", &out),
                        "<table><a href=\"https://a.example/?utm_source=s\">a</a><tr><td><a "
                        "href=\"https://b.example/?utm_source=s\">b</a></td></tr></table>");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_link_without_a_query_gets_one),
        cmocka_unit_test(a_query_is_extended_and_the_fragment_stays_last),
        cmocka_unit_test(mustache_tags_in_a_link_are_kept_and_their_hash_is_not_a_fragment),
        cmocka_unit_test(other_links_and_text_are_left_alone),
        cmocka_unit_test(values_are_percent_encoded_in_a_fixed_order),
        cmocka_unit_test(links_moved_by_the_parser_are_tagged_in_text_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
