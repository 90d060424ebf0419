/* Rewriting a rendered message for tracking: which links change, that nothing else does, the
 * pixel's place, the text part, and the events' privacy helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "track/track_events.h"
#include "track/track_rewrite.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";

/* link ids: the position of the URL in a list of those seen, from 1 */
typedef struct {
    char urls[16][512];
    int count;
    int calls;
} seen_links;

static long long link_id(seen_links *seen, str_t url)
{
    for (int i = 0; i < seen->count; i++)
        if (strlen(seen->urls[i]) == url.n && !memcmp(seen->urls[i], url.p, url.n)) return i + 1;
    snprintf(seen->urls[seen->count], sizeof seen->urls[0], "%.*s", (int)url.n, url.p);
    return ++seen->count;
}

/* the callback: every URL of a message at once, each once */
static int link_ids(void *arg, const str_t *urls, size_t n, long long *ids, mc_error *err)
{
    (void)err;
    seen_links *seen = arg;
    seen->calls++;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            assert_false(str_eq(urls[i], urls[j]));
        ids[i] = link_id(seen, urls[i]);
    }
    return 0;
}

static const str_t KEEP[] = {STR_LIT("https://news.example.org/preferences/")};

static track_rewrite_options options(seen_links *seen, bool clicks, bool opens)
{
    return (track_rewrite_options){
        .secret = SECRET,
        .public_url = STR_LIT("https://news.example.org"),
        .clicks = clicks,
        .opens = opens,
        .message = {.message_id = 501, .campaign_id = 7, .subscriber_id = 33},
        .keep_prefixes = KEEP,
        .keep_count = 1,
        .link_ids = link_ids,
        .link_arg = seen};
}

/* the token of the click URL starting at p, checked; returns its link id or -1 */
static long long link_of(const char *p)
{
    const char *prefix = "https://news.example.org/t/c/";
    if (strncmp(p, prefix, strlen(prefix))) return -1;
    p += strlen(prefix);
    size_t n = strcspn(p, "\" \n).");
    track_token t;
    if (!track_token_check(SECRET, str_make(p, n), TRACK_CLICK, &t)) return -1;
    if (t.message_id != 501 || t.campaign_id != 7 || t.subscriber_id != 33) return -1;
    return t.link_id;
}

static void test_only_http_links_change_and_every_other_byte_stays(void **state)
{
    (void)state;
    const char *html =
        "<html><body><p class=x>Hola, señor — <a  href='https://shop.example.com/a?x=1&amp;y=2'"
        " title=\"Ñandú\">Tienda</a>\n<a href=\"mailto:ayuda@example.org\">mail</a> "
        "<a href=\"tel:+34600\">tel</a> <a href=\"#top\">arriba</a> "
        "<a data-notrack href=\"https://private.example.com/\">private</a> "
        "<a href=\"https://news.example.org/preferences/abc\">Darse de baja</a> "
        "<A HREF=https://Пример.example/путь>Пример</A></p></body></html>";
    seen_links seen = {0};
    track_rewrite_options o = options(&seen, true, false);
    buf_t out = BUF_INIT;
    track_url_map map = {0};
    mc_error err;
    assert_int_equal(track_rewrite_html(&o, str_from_cstr(html), &out, &map, &err), 0);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.urls[0], "https://shop.example.com/a?x=1&y=2");
    assert_string_equal(seen.urls[1], "https://Пример.example/путь");
    const char *got = buf_cstr(&out);
    /* put the original values back where the click URLs are: the input comes back */
    const char *first = strstr(got, "href=\"https://news.example.org/t/c/");
    assert_non_null(first);
    assert_int_equal(link_of(first + 6), 1);
    const char *second = strstr(first + 1, "HREF=\"https://news.example.org/t/c/");
    assert_non_null(second);
    assert_int_equal(link_of(second + 6), 2);
    buf_t back = BUF_INIT;
    buf_append(&back, got, (size_t)(first - got));
    buf_append_cstr(&back, "href='https://shop.example.com/a?x=1&amp;y=2'");
    const char *after_first = strchr(first + 6, '"');
    buf_append(&back, after_first + 1, (size_t)(second - after_first - 1));
    buf_append_cstr(&back, "HREF=https://Пример.example/путь");
    buf_append_cstr(&back, strchr(second + 6, '"') + 1);
    assert_string_equal(buf_cstr(&back), html);
    buf_free(&back);
    buf_free(&out);
    track_url_map_free(&map);
}

static void test_the_pixel_goes_before_the_closing_body_tag_or_at_the_end(void **state)
{
    (void)state;
    seen_links seen = {0};
    track_rewrite_options o = options(&seen, false, true);
    buf_t out = BUF_INIT;
    track_url_map map = {0};
    mc_error err;
    const char *html = "<html><body><p>Привет</p></body>\n</html>\n";
    assert_int_equal(track_rewrite_html(&o, str_from_cstr(html), &out, &map, &err), 0);
    const char *img = strstr(buf_cstr(&out), "<img src=\"https://news.example.org/t/o/");
    assert_non_null(img);
    assert_int_equal(img - buf_cstr(&out), strstr(html, "</body>") - html);
    assert_string_equal(strstr(buf_cstr(&out), "</body>"), "</body>\n</html>\n");
    const char *token = img + strlen("<img src=\"https://news.example.org/t/o/");
    size_t n = strstr(token, ".gif\"") - token;
    track_token t;
    assert_true(track_token_check(SECRET, str_make(token, n), TRACK_OPEN, &t));
    assert_int_equal(t.message_id, 501);

    assert_int_equal(track_rewrite_html(&o, STR_LIT("<p>sin cuerpo</p>"), &out, &map, &err), 0);
    assert_true(strncmp(buf_cstr(&out), "<p>sin cuerpo</p><img src=", 26) == 0);
    buf_free(&out);
    track_url_map_free(&map);
}

static void test_nothing_changes_with_tracking_off(void **state)
{
    (void)state;
    seen_links seen = {0};
    track_rewrite_options o = options(&seen, false, false);
    buf_t out = BUF_INIT;
    track_url_map map = {0};
    mc_error err;
    const char *html = "<body><a href=\"https://a.example/\">a</a></body>";
    assert_int_equal(track_rewrite_html(&o, str_from_cstr(html), &out, &map, &err), 0);
    assert_string_equal(buf_cstr(&out), html);
    assert_int_equal(seen.count, 0);
    buf_free(&out);
    track_url_map_free(&map);
}

static void test_the_text_part_shows_the_same_click_urls(void **state)
{
    (void)state;
    seen_links seen = {0};
    track_rewrite_options o = options(&seen, true, false);
    buf_t out = BUF_INIT, text = BUF_INIT;
    track_url_map map = {0};
    mc_error err;
    const char *html = "<a href=\"https://a.example/x?utm_source=news&amp;utm_medium=email\">A</a>"
                       "<a href=\"https://a.example/x/more\">B</a>";
    assert_int_equal(track_rewrite_html(&o, str_from_cstr(html), &out, &map, &err), 0);
    /* the derived form has the tagged URL; a hand-written text part has it without the tags,
     * and a longer URL that starts the same is another link */
    track_rewrite_text(&map,
                       STR_LIT("A (https://a.example/x?utm_source=news&utm_medium=email)\n"
                               "Voir https://a.example/x. Ou https://a.example/x/more\n"
                               "https://a.example/xy stays"),
                       &text);
    const char *got = buf_cstr(&text);
    const char *a = strstr(got, "A (https://news.example.org/t/c/");
    assert_non_null(a);
    assert_int_equal(link_of(a + 3), 1);
    const char *voir = strstr(got, "Voir https://news.example.org/t/c/");
    assert_non_null(voir);
    assert_int_equal(link_of(voir + 5), 1);
    const char *ou = strstr(got, "Ou https://news.example.org/t/c/");
    assert_non_null(ou);
    assert_int_equal(link_of(ou + 3), 2);
    assert_non_null(strstr(got, "\nhttps://a.example/xy stays"));
    buf_free(&out);
    buf_free(&text);
    track_url_map_free(&map);
}

static void test_an_iri_redirects_to_its_uri_form(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    track_uri_from_iri(STR_LIT("https://example.org/ruta/ñandú?q=a b&r=%41"), &out);
    assert_string_equal(buf_cstr(&out), "https://example.org/ruta/%C3%B1and%C3%BA?q=a%20b&r=%41");
    buf_free(&out);
}

static void test_client_hints_keep_a_24_or_a_48(void **state)
{
    (void)state;
    char hint[TRACK_CLIENT_HINT_MAX];
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "203.0.113.77", &v4.sin_addr);
    track_client_hint((struct sockaddr *)&v4, hint);
    assert_string_equal(hint, "203.0.113.0/24");
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8:abcd:12:34::1", &v6.sin6_addr);
    track_client_hint((struct sockaddr *)&v6, hint);
    assert_string_equal(hint, "2001:db8:abcd::/48");
    inet_pton(AF_INET6, "::ffff:198.51.100.9", &v6.sin6_addr);
    track_client_hint((struct sockaddr *)&v6, hint);
    assert_string_equal(hint, "198.51.100.0/24");
    track_client_hint(NULL, hint);
    assert_string_equal(hint, "");
}

static void test_user_agents_are_cut_on_a_character_and_made_valid(void **state)
{
    (void)state;
    track_event e;
    char ua[600] = "";
    for (int i = 0; i < 200; i++)
        strcat(ua, "ж"); /* 2 bytes each: 400 bytes */
    track_event_set_user_agent(&e, ua);
    assert_int_equal(e.user_agent_len, TRACK_USER_AGENT_MAX);
    track_event_set_user_agent(&e, "a\xff\tb");
    assert_int_equal(e.user_agent_len, 4);
    assert_memory_equal(e.user_agent, "a??b", 4);
    track_event_set_user_agent(&e, NULL);
    assert_int_equal(e.user_agent_len, 0);
    /* 255 bytes of 'a' then a 2-byte letter: the letter does not fit and is left out */
    memset(ua, 'a', 255);
    strcpy(ua + 255, "ж");
    track_event_set_user_agent(&e, ua);
    assert_int_equal(e.user_agent_len, 255);
}

static void test_a_copy_line_escapes_and_writes_nulls(void **state)
{
    (void)state;
    track_event e = {.at_us = 1700000000123456LL,
                     .kind = 'c',
                     .head = true,
                     .message_id = 9,
                     .campaign_id = 0,
                     .subscriber_id = 4,
                     .link_id = 2};
    track_event_set_user_agent(&e, "Mozilla\\5.0\tЮ");
    buf_t out = BUF_INIT;
    track_event_copy_line(&e, &out);
    assert_string_equal(buf_cstr(&out), "2023-11-14 22:13:20.123456+00\tclick\t9\t\\N\t4\t2\tHEAD\t"
                                        "Mozilla\\\\5.0?Ю\t\\N\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_http_links_change_and_every_other_byte_stays),
        cmocka_unit_test(test_the_pixel_goes_before_the_closing_body_tag_or_at_the_end),
        cmocka_unit_test(test_nothing_changes_with_tracking_off),
        cmocka_unit_test(test_the_text_part_shows_the_same_click_urls),
        cmocka_unit_test(test_an_iri_redirects_to_its_uri_form),
        cmocka_unit_test(test_client_hints_keep_a_24_or_a_48),
        cmocka_unit_test(test_user_agents_are_cut_on_a_character_and_made_valid),
        cmocka_unit_test(test_a_copy_line_escapes_and_writes_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
