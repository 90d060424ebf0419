/* Links found once per template: the marked path (markers put in at compile time, one pass
 * after rendering) writes what the gumbo path writes for the same template and data; which
 * templates cannot be marked; how a personalized href matches its renderings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "template/template.h"
#include "track/track_rewrite.h"
#include "track/track_template.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";
#define PUBLIC "https://news.example.org"

/* link ids: the position of the URL (or href as written) in a list of those seen, from 1 */
typedef struct {
    char urls[64][512];
    int count;
} seen_links;

static int link_ids(void *arg, const str_t *urls, size_t n, long long *ids, mc_error *err)
{
    (void)err;
    seen_links *seen = arg;
    for (size_t i = 0; i < n; i++) {
        ids[i] = 0;
        for (int k = 0; k < seen->count && !ids[i]; k++)
            if (strlen(seen->urls[k]) == urls[i].n && !memcmp(seen->urls[k], urls[i].p, urls[i].n))
                ids[i] = k + 1;
        if (!ids[i]) {
            snprintf(seen->urls[seen->count], sizeof seen->urls[0], "%.*s", (int)urls[i].n,
                     urls[i].p);
            ids[i] = ++seen->count;
        }
    }
    return 0;
}

static const str_t KEEP[] = {STR_LIT(PUBLIC "/preferences/")};

static track_rewrite_options options(seen_links *seen)
{
    return (track_rewrite_options){
        .secret = SECRET,
        .public_url = STR_LIT(PUBLIC),
        .clicks = true,
        .opens = true,
        .message = {.message_id = 501, .campaign_id = 7, .subscriber_id = 4711},
        .keep_prefixes = KEEP,
        .keep_count = 1,
        .link_ids = link_ids,
        .link_arg = seen};
}

/* partials and layouts by name */
static const char *const PARTIALS[][2] = {
    {"layout", "<!doctype html><html><body><div class=\"wrap\">{{$content}}{{/content}}</div>\n"
               "<p><a href=\"https://example.org/aviso-legal\">Aviso legal</a> · "
               "<a href=\"{{unsubscribe_url}}\">Darse de baja</a></p></body></html>\n"},
    {"footer", "<p>{{postal_address}} <a href='https://example.org/contacto?de={{email}}'>"
               "Контакты</a></p>\n"},
};

static bool load(void *ctx, str_t name, buf_t *out)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof PARTIALS / sizeof *PARTIALS; i++)
        if (str_eq_cstr(name, PARTIALS[i][0])) {
            buf_append_cstr(out, PARTIALS[i][1]);
            return true;
        }
    return false;
}

static const template_loader LOADER = {load, NULL, NULL};

static const char CONTEXT[] =
    "{\"subscriber_id\": 4711, \"email\": \"ana+otoño@example.org\", \"first_name\": \"Ana "
    "\\\"la\\\" <Ruiz> & Co\", \"postal_address\": \"Calle Mayor 1, Madrid\", "
    "\"unsubscribe_url\": \"" PUBLIC "/preferences/abc\", \"city\": \"Málaga & Córdoba\", "
    "\"items\": [{\"id\": 1, \"name\": \"Чай\"}, {\"id\": 2, \"name\": \"Café\"}], "
    "\"vip\": true, \"empty\": false}";

/* Replaces every click URL of s by "[click:destination]", the destination read from its
 * token: the URL it carries, or the URL (href) its link id names in seen. */
static void normalize(const seen_links *seen, const char *s, buf_t *out)
{
    const char *prefix = PUBLIC "/t/c/";
    buf_reset(out);
    for (;;) {
        const char *hit = strstr(s, prefix);
        if (!hit) break;
        buf_append(out, s, (size_t)(hit - s));
        const char *token = hit + strlen(prefix);
        size_t n =
            strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
        track_token t;
        buf_t url = BUF_INIT;
        assert_true(track_token_check_click(SECRET, str_make(token, n), &t, &url));
        assert_int_equal(t.message_id, 501);
        assert_true(t.link_id >= 1 && t.link_id <= seen->count);
        const char *href = seen->urls[t.link_id - 1];
        if (t.url.p) {
            /* a personalized link's token carries the URL its href rendered to, between the
             * href's literal start and end */
            size_t start, end;
            track_link_pattern_ends(str_from_cstr(href), &start, &end);
            buf_t whole = BUF_INIT;
            buf_appendf(&whole, "%.*s%.*s%s", (int)start, href, (int)t.url.n, t.url.p,
                        href + strlen(href) - end);
            assert_true(track_link_pattern_matches(str_from_cstr(href), buf_view(&whole)));
            buf_appendf(out, "[click:%s]", buf_cstr(&whole));
            buf_free(&whole);
        } else {
            assert_null(strstr(href, "{{"));
            buf_appendf(out, "[click:%s]", href);
        }
        buf_free(&url);
        s = token + n;
    }
    buf_append_cstr(out, s);
}

/* Renders body both ways and checks that the outputs are the same: byte for byte when
 * `literal` (every link's href is as written), else after each click URL is replaced by where
 * it leads. Also the text part's URL map. */
static void assert_same_both_ways(const char *body, bool literal)
{
    seen_links seen = {0};
    track_rewrite_options o = options(&seen);
    mc_error err;
    json_t *context = json_loads(CONTEXT, 0, NULL);
    assert_non_null(context);

    template_t *plain = NULL, *marked = NULL;
    assert_int_equal(template_compile_strict(str_from_cstr(body), &LOADER, &plain, &err), 0);
    track_template *tt = track_template_new();
    template_loader marking = track_template_loader(tt, &LOADER);
    buf_t source = BUF_INIT;
    track_template_mark(tt, str_from_cstr(body), &source);
    assert_int_equal(template_compile_strict(buf_view(&source), &marking, &marked, &err), 0);
    assert_true(track_template_usable(tt));

    buf_t plain_html = BUF_INIT, marked_html = BUF_INIT, slow = BUF_INIT, fast = BUF_INIT;
    assert_int_equal(template_render(plain, context, &plain_html, NULL, &err), 0);
    assert_int_equal(template_render(marked, context, &marked_html, NULL, &err), 0);
    /* without its markers, the marked rendering is the plain one */
    buf_t stripped = BUF_INIT;
    track_marks_strip(buf_view(&marked_html), &stripped);
    assert_string_equal(buf_cstr(&stripped), buf_cstr(&plain_html));

    track_url_map slow_map = {0}, fast_map = {0};
    assert_int_equal(track_rewrite_html(&o, buf_view(&plain_html), &slow, &slow_map, &err), 0);
    assert_int_equal(track_rewrite_marked(&o, tt, buf_view(&marked_html), &fast, &fast_map, &err),
                     0);
    assert_null(memchr(fast.p, '\x1e', fast.n));
    if (literal) assert_string_equal(buf_cstr(&fast), buf_cstr(&slow));
    buf_t a = BUF_INIT, b = BUF_INIT;
    normalize(&seen, buf_cstr(&slow), &a);
    normalize(&seen, buf_cstr(&fast), &b);
    assert_string_equal(buf_cstr(&b), buf_cstr(&a));
    /* the text part is rewritten from the same URLs */
    assert_int_equal(fast_map.count, slow_map.count);
    buf_t text = BUF_INIT, slow_text = BUF_INIT, fast_text = BUF_INIT;
    for (size_t i = 0; i < slow_map.count; i++)
        buf_appendf(&text, "Enlace: %.*s\n", (int)(slow_map.offs[2 * i + 1] - slow_map.offs[2 * i]),
                    slow_map.text.p + slow_map.offs[2 * i]);
    track_rewrite_text(&slow_map, buf_view(&text), &slow_text);
    track_rewrite_text(&fast_map, buf_view(&text), &fast_text);
    normalize(&seen, buf_cstr(&slow_text), &a);
    normalize(&seen, buf_cstr(&fast_text), &b);
    assert_string_equal(buf_cstr(&b), buf_cstr(&a));

    buf_free(&text);
    buf_free(&slow_text);
    buf_free(&fast_text);
    buf_free(&a);
    buf_free(&b);
    buf_free(&stripped);
    track_url_map_free(&slow_map);
    track_url_map_free(&fast_map);
    buf_free(&plain_html);
    buf_free(&marked_html);
    buf_free(&slow);
    buf_free(&fast);
    buf_free(&source);
    template_free(plain);
    template_free(marked);
    track_template_free(tt);
    json_decref(context);
}

static void test_literal_links_come_out_byte_for_byte_as_gumbo_writes_them(void **state)
{
    (void)state;
    assert_same_both_ways(
        "<html><head><title>Otoño</title></head><body>\n"
        "<p class=x>Hola {{first_name}}, <a  href='https://shop.example.com/a?x=1&amp;y=2'"
        " title=\"Ñandú\">Tienda</a>\n<a href=\"mailto:ayuda@example.org\">mail</a> "
        "<a href=\"tel:+34600\">tel</a> <a href=\"#top\">arriba</a> "
        "<a data-notrack href=\"https://private.example.com/\">privado</a> "
        "<a href=\"{{unsubscribe_url}}\">Darse de baja</a> "
        "<a href=\"" PUBLIC "/preferences/fijo\">Preferencias</a> "
        "<A HREF=https://Пример.example/путь>Пример</A> "
        "<a href=\" https://shop.example.com/a?x=1&amp;y=2 \">otra vez</a> "
        "<a href=\"https://q.example.com/?a=1&copy=2&notify=3&utm_source=x&#47;&u\">q</a> "
        "<b><a href=\"https://nested.example.com/\">mal<p>anidado</a></b></p>\n"
        "<map><area href=\"https://map.example.com/zona\" alt=\"z\"></map>\n"
        "<p>Adiós</p></body>\n</html>\n",
        true);
}

static void test_personalized_links_lead_where_gumbo_sends_them(void **state)
{
    (void)state;
    assert_same_both_ways(
        "<!doctype html><html><body>\n"
        "<p><a href=\"https://shop.example.com/u/{{subscriber_id}}?utm_source=bolet%C3%ADn&amp;"
        "utm_medium=email\">Tu página</a></p>\n"
        "<ul>{{#items}}<li><a href=\"https://shop.example.com/p/{{id}}?ciudad={{city}}\">{{name}}"
        "</a></li>{{/items}}</ul>\n"
        "<p><a href=\"https://shop.example.com/{{#vip}}vip{{/vip}}{{^vip}}todos{{/vip}}/oferta\">"
        "Oferta</a> <a href='https://s.example.com/q?n={{first_name}}'>n</a></p>\n"
        "<p><a href=\"https://shop.example.com/{{#empty}}nada{{/empty}}fin\">fin</a></p>\n"
        "{{>footer}}</body></html>\n",
        false);
}

static void test_layouts_and_partials_are_marked_as_they_are_written(void **state)
{
    (void)state;
    assert_same_both_ways("{{<layout}}{{$content}}<h1>Hola {{first_name}}</h1>\n"
                          "<p><a href=\"https://shop.example.com/ofertas?u={{subscriber_id}}\">"
                          "Ofertas</a></p>{{>footer}}{{/content}}{{/layout}}",
                          false);
}

static void test_links_after_the_body_and_the_pixel_place_agree(void **state)
{
    (void)state;
    assert_same_both_ways("<html><body><p>Привет</p></body>\n"
                          "<p>después <a href=\"https://late.example.com/\">tarde</a></p>"
                          "</html>\n",
                          true);
    assert_same_both_ways("<p>sin cuerpo <a href=\"https://x.example.com/\">x</a></p>", true);
}

/* the marked template of body, or NULL when it cannot be marked */
static bool usable(const char *body)
{
    track_template *tt = track_template_new();
    buf_t out = BUF_INIT;
    track_template_mark(tt, str_from_cstr(body), &out);
    bool ok = track_template_usable(tt);
    buf_free(&out);
    track_template_free(tt);
    return ok;
}

static void test_templates_whose_links_only_rendering_shows_are_not_marked(void **state)
{
    (void)state;
    assert_true(usable("<p><a href=\"https://x.example/{{id}}\">x</a> {{name}}</p>"));
    assert_false(usable("<p>{{{promo_html}}}</p>"));
    assert_false(usable("<p>{{& promo_html}}</p>"));
    assert_false(usable("<a {{attrs}} href=\"https://x.example/\">x</a>"));
    assert_false(usable("<a href={{url}}>x</a>"));
    assert_false(usable("{{=<% %>=}}<a href=\"<% url %>\">x</a>"));
    /* HTML in a tag is no link: the value it prints is escaped */
    assert_true(usable("<p>{{ name | default: \"<a href='https://x.example/'>x</a>\" }}</p>"));
    /* a value cut by a section renders markers that do not pair up: the message is parsed */
    const char *body = "<a href=\"https://x.example/{{#a}}\"{{/a}}>x</a>";
    track_template *tt = track_template_new();
    buf_t source = BUF_INIT, html = BUF_INIT, out = BUF_INIT;
    track_template_mark(tt, str_from_cstr(body), &source);
    template_t *t = NULL;
    mc_error err;
    assert_int_equal(template_compile(buf_view(&source), NULL, &t, &err), 0);
    assert_int_equal(template_render(t, NULL, &html, NULL, &err), 0);
    seen_links seen = {0};
    track_rewrite_options o = options(&seen);
    track_url_map map = {0};
    assert_int_equal(track_rewrite_marked(&o, tt, buf_view(&html), &out, &map, &err), 1);
    track_url_map_free(&map);
    template_free(t);
    buf_free(&source);
    buf_free(&html);
    buf_free(&out);
    track_template_free(tt);
}

static void test_a_personalized_href_matches_only_its_renderings(void **state)
{
    (void)state;
    str_t pattern = STR_LIT("https://example.com/a/3?u={{subscriber_id}}&utm_source=news");
    assert_true(track_link_pattern_matches(
        pattern, STR_LIT("https://example.com/a/3?u=42&utm_source=news")));
    assert_true(track_link_pattern_matches(
        pattern, STR_LIT("https://example.com/a/3?u=Пётр&utm_source=news")));
    assert_false(track_link_pattern_matches(
        pattern, STR_LIT("https://evil.example/?https://example.com/a/3?u=1&utm_source=news")));
    assert_false(
        track_link_pattern_matches(pattern, STR_LIT("https://example.com/a/3?u=42&utm_source=x")));
    assert_false(track_link_pattern_matches(
        pattern, STR_LIT("https://example.com/a/3?u=42&utm_source=news&then=more")));
    assert_false(track_link_pattern_matches(pattern, STR_LIT("https://example.com/a/3?u=42")));
    /* without tags only itself */
    assert_true(track_link_pattern_matches(STR_LIT("https://example.com/"),
                                           STR_LIT("https://example.com/")));
    assert_false(track_link_pattern_matches(STR_LIT("https://example.com/"),
                                            STR_LIT("https://example.com/x")));
    /* a section's text may or may not be there */
    str_t section = STR_LIT("https://s.example/{{#vip}}vip/{{/vip}}fin");
    assert_true(track_link_pattern_matches(section, STR_LIT("https://s.example/vip/fin")));
    assert_true(track_link_pattern_matches(section, STR_LIT("https://s.example/fin")));
    assert_false(track_link_pattern_matches(section, STR_LIT("https://s.example/vip/")));
    /* pieces in order, not overlapping */
    str_t pieces = STR_LIT("https://p.example/{{a}}/x/{{b}}/x");
    assert_true(track_link_pattern_matches(pieces, STR_LIT("https://p.example/1/x/2/x")));
    assert_false(track_link_pattern_matches(pieces, STR_LIT("https://p.example/1/x")));
}

static void test_a_personalized_token_carries_only_what_the_href_does_not_give_back(void **state)
{
    (void)state;
    size_t start, end;
    track_link_pattern_ends(STR_LIT("https://e.example/a?u={{id}}&utm_source=x"), &start, &end);
    assert_int_equal(start, strlen("https://e.example/a?u="));
    assert_int_equal(end, strlen("&utm_source=x"));
    track_link_pattern_ends(STR_LIT("https://e.example/{{#vip}}v{{/vip}}"), &start, &end);
    assert_int_equal(start, strlen("https://e.example/"));
    assert_int_equal(end, 0);
    track_link_pattern_ends(STR_LIT("https://e.example/"), &start, &end);
    assert_int_equal(start, strlen("https://e.example/"));
    assert_int_equal(end, strlen("https://e.example/"));
    /* the message's click URL holds the subscriber's id, not the whole address again */
    seen_links seen = {0};
    track_rewrite_options o = options(&seen);
    track_template *tt = track_template_new();
    buf_t source = BUF_INIT, html = BUF_INIT, out = BUF_INIT;
    track_template_mark(
        tt,
        STR_LIT("<a href=\"https://tienda.example.es/ofertas/otoño?u={{subscriber_id}}\">x</a>"),
        &source);
    template_t *t = NULL;
    mc_error err;
    json_t *context = json_loads(CONTEXT, 0, NULL);
    assert_int_equal(template_compile(buf_view(&source), NULL, &t, &err), 0);
    assert_int_equal(template_render(t, context, &html, NULL, &err), 0);
    track_url_map map = {0};
    assert_int_equal(track_rewrite_marked(&o, tt, buf_view(&html), &out, &map, &err), 0);
    const char *token = strstr(buf_cstr(&out), "/t/c/") + 5;
    track_token got;
    buf_t carried = BUF_INIT;
    assert_true(
        track_token_check_click(SECRET, str_make(token, strcspn(token, "\"")), &got, &carried));
    assert_string_equal(buf_cstr(&carried), "4711");
    assert_true(strcspn(token, "\"") < 48);
    buf_free(&carried);
    track_url_map_free(&map);
    json_decref(context);
    template_free(t);
    buf_free(&source);
    buf_free(&html);
    buf_free(&out);
    track_template_free(tt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_links_come_out_byte_for_byte_as_gumbo_writes_them),
        cmocka_unit_test(test_personalized_links_lead_where_gumbo_sends_them),
        cmocka_unit_test(test_layouts_and_partials_are_marked_as_they_are_written),
        cmocka_unit_test(test_links_after_the_body_and_the_pixel_place_agree),
        cmocka_unit_test(test_templates_whose_links_only_rendering_shows_are_not_marked),
        cmocka_unit_test(test_a_personalized_href_matches_only_its_renderings),
        cmocka_unit_test(test_a_personalized_token_carries_only_what_the_href_does_not_give_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
