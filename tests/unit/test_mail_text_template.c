/* The text template derived from an HTML template: for realistic emails, rendering it gives
 * the text that converting each rendered message gives; templates it cannot derive safely are
 * refused, so that their messages are converted one by one. */
#include "template_support.h"

#include "core/utf8.h"
#include "mail/html_to_text.h"
#include "mail/text_template.h"

/* A table-based newsletter: sections inside cells, a list, links with values in their
 * address, images with values in their alt text, an inline section. */
static const char NEWSLETTER[] =
    "<!DOCTYPE html>\n<html><head><title>{{subject}}</title>\n"
    "<style>p { color: #333; }</style></head>\n<body>\n"
    "<table role=\"presentation\" width=\"100%\"><tr><td align=\"center\">\n"
    "<img src=\"https://shop.example/logo.png\" alt=\"{{company}}\">\n"
    "<h1>Hola {{ first_name | default: \"amigo\" | capitalize }}</h1>\n"
    "<p>Estas son las novedades de {{company}} para este mes, elegidas para ti.</p>\n"
    "</td></tr>\n<tr><td>\n"
    "{{#items}}\n"
    "<table><tr><td><img src=\"{{image}}\" alt=\"{{title}}\"></td>\n"
    "<td><a href=\"{{url}}?utm_campaign={{campaign}}\">{{ title | truncate: 40 }}</a> &mdash; "
    "{{ price | money: \"EUR\" }}</td></tr></table>\n"
    "{{/items}}\n"
    "{{^items}}\n<p>Este mes no hay novedades.</p>\n{{/items}}\n"
    "</td></tr>\n<tr><td>\n"
    "<ul>\n{{#tags}}\n  <li>{{.}}</li>\n{{/tags}}\n</ul>\n"
    "<p>{{#vip}}Como cliente VIP tienes un 15% de descuento en toda la tienda. {{/vip}}"
    "Gracias por leernos, {{name}}.</p>\n"
    "<p><a href=\"{{unsubscribe_url}}\">Darse de baja</a>{{#preferences_url}} &middot; "
    "<a href=\"{{preferences_url}}\">Preferencias</a>{{/preferences_url}}</p>\n"
    "<p><a href=\"{{view_url}}\">{{view_url}}</a></p>\n"
    "</td></tr></table>\n</body></html>\n";

static const char LAYOUT_PARTIALS[] =
    "{\"layouts/frame\": \"<!DOCTYPE html>\\n<html><head><title>{{subject}}</title></head>\\n"
    "<body>\\n<div style=\\\"display:none\\\">{{$preheader}}{{/preheader}}</div>\\n"
    "<table width=\\\"600\\\">\\n{{#view_online_url}}\\n<tr><td><a "
    "href=\\\"{{view_online_url}}\\\">Ver en el navegador</a></td></tr>\\n"
    "{{/view_online_url}}\\n<tr>\\n<td>\\n{{$content}}\\n<p>Nada por aquí.</p>\\n{{/content}}\\n"
    "</td>\\n</tr>\\n<tr><td>\\n{{$footer}}\\n{{> footer}}\\n{{/footer}}\\n</td></tr>\\n"
    "</table>\\n</body></html>\\n\","
    "\"footer\": \"<p>Recibes este correo porque te suscribiste a {{sender_name}}.</p>\\n"
    "<p><a href=\\\"{{unsubscribe_url}}\\\">Darse de baja</a></p>\\n\"}";

static const char LAYOUT_CHILD[] =
    "{{<layouts/frame}}\n"
    "{{$preheader}}{{ preheader | default: \"Lo nuevo\" }}{{/preheader}}\n"
    "{{$content}}\n"
    "<h2>Здравствуйте, {{first_name}}!</h2>\n"
    "<p>Мы рады сообщить, что ваш заказ {{order}} отправлен и скоро будет у вас. Спасибо, что "
    "выбираете нас.</p>\n"
    "<ul>\n{{#lines}}\n<li>{{qty}} × {{name}}</li>\n{{/lines}}\n</ul>\n"
    "<ol><li>Pague</li><li>Espere</li></ol>\n"
    "<blockquote><p>{{note}}</p></blockquote>\n"
    "{{/content}}\n"
    "{{/layouts/frame}}\n";

/* Renders html_template (partials through loader) with data, converts the HTML, and checks
 * that the derived text template gives the same text. */
static void assert_same_text_with(const char *html_template, const template_loader *loader,
                                  const char *data)
{
    json_t *context = json_loads(data, 0, NULL);
    assert_non_null(context);
    mc_error err;
    template_t *html = NULL, *text = NULL;
    if (template_compile(str_from_cstr(html_template), loader, &html, &err) < 0)
        fail_msg("%s", err.message);
    if (text_template_derive(str_from_cstr(html_template), loader, &text, &err) < 0)
        fail_msg("not derived: %s", err.message);
    buf_t rendered = BUF_INIT, expected = BUF_INIT, got = BUF_INIT, scratch = BUF_INIT;
    assert_int_equal(template_render(html, context, &rendered, NULL, &err), 0);
    html_to_text(buf_view(&rendered), &expected);
    assert_int_equal(text_template_render(text, context, &scratch, &got, &err), 0);
    if (strcmp(buf_cstr(&got), buf_cstr(&expected)))
        fail_msg("derived:\n%s\nconverted:\n%s", buf_cstr(&got), buf_cstr(&expected));
    buf_free(&rendered);
    buf_free(&expected);
    buf_free(&got);
    buf_free(&scratch);
    template_free(html);
    template_free(text);
    json_decref(context);
}

/* The same with partials given as a JSON object {"name": "text"} (may be NULL) */
static void assert_same_text(const char *html_template, const char *partials, const char *data)
{
    json_t *parts = partials ? json_loads(partials, 0, NULL) : NULL;
    if (partials) assert_non_null(parts);
    template_loader loader = {support_load, support_list, parts};
    assert_same_text_with(html_template, &loader, data);
    json_decref(parts);
}

static void assert_not_derived(const char *html_template, const char *partials, const char *needle)
{
    json_t *parts = partials ? json_loads(partials, 0, NULL) : NULL;
    template_loader loader = {support_load, support_list, parts};
    template_t *text = NULL;
    mc_error err;
    assert_int_equal(text_template_derive(str_from_cstr(html_template), &loader, &text, &err), -1);
    assert_null(text);
    assert_string_equal(err.code, "text_not_derived");
    if (!strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
    json_decref(parts);
}

static void a_newsletter_with_items_gives_the_converted_text(void **state)
{
    assert_same_text(
        NEWSLETTER, NULL,
        "{\"subject\": \"Novedades\", \"company\": \"Tienda Ñandú & Cía\","
        " \"first_name\": \"josé\", \"name\": \"José Pérez\", \"campaign\": \"oct\","
        " \"items\": [{\"title\": \"Camiseta de algodón orgánico <edición limitada>\","
        " \"url\": \"https://shop.example/p/1\", \"image\": \"https://shop.example/1.jpg\","
        " \"price\": 19.5}, {\"title\": \"Taza\", \"url\": \"https://shop.example/p/2\","
        " \"image\": \"https://shop.example/2.jpg\", \"price\": \"7\"}],"
        " \"tags\": [\"ropa\", \"hogar\"], \"vip\": true,"
        " \"unsubscribe_url\": \"https://shop.example/u/abc\","
        " \"preferences_url\": \"https://shop.example/p/abc\","
        " \"view_url\": \"https://shop.example/v/abc\"}");
}

static void a_newsletter_without_items_or_optional_parts_gives_the_converted_text(void **state)
{
    assert_same_text(NEWSLETTER, NULL,
                     "{\"company\": \"Tienda\", \"items\": [], \"tags\": [], \"vip\": false,"
                     " \"name\": \"\", \"unsubscribe_url\": \"https://shop.example/u/abc\"}");
}

static void long_values_wrap_as_the_converted_text_wraps(void **state)
{
    assert_same_text(NEWSLETTER, NULL,
                     "{\"company\": \"La Compañía de Productos Artesanales del Valle Central "
                     "de Costa Rica y Alrededores\", \"name\": \"María de los Ángeles "
                     "Fernández-Villaverde y Castro\", \"vip\": true, \"items\": [{\"title\": "
                     "\"x\", \"url\": \"https://shop.example/a/very/long/path/that/goes/on/and/on"
                     "/and/on/for/a/long/while/indeed\", \"price\": 1}], \"tags\": [\"uno\"],"
                     " \"unsubscribe_url\": \"https://shop.example/u/abc\"}");
}

static void a_layout_with_blocks_and_a_partial_gives_the_converted_text(void **state)
{
    assert_same_text(
        LAYOUT_CHILD, LAYOUT_PARTIALS,
        "{\"first_name\": \"Ольга\", \"order\": \"A-17\", \"sender_name\": \"Магазин\","
        " \"view_online_url\": \"https://shop.example/v/1\", \"lines\": [{\"qty\": 2,"
        " \"name\": \"чай\"}, {\"qty\": 1, \"name\": \"чашка с блюдцем\"}],"
        " \"note\": \"Доставка занимает от трёх до пяти рабочих дней, в зависимости "
        "от региона и погоды.\", \"unsubscribe_url\": \"https://shop.example/u\"}");
    assert_same_text(
        LAYOUT_CHILD, LAYOUT_PARTIALS,
        "{\"first_name\": \"Ana\", \"order\": \"B-2\", \"lines\": [], \"note\": \"\"}");
}

static void the_shipped_sample_campaign_gives_the_converted_text(void **state)
{
    template_loader loader = {support_load_shipped, NULL, NULL};
    buf_t campaign = BUF_INIT;
    assert_true(support_load_shipped(NULL, STR_LIT("campaigns/sample_newsletter"), &campaign));
    const char *data =
        "{\"subject\": \"Octubre\", \"first_name\": \"élodie\", \"sender_name\": \"Nord & Co\","
        " \"postal_address\": \"Kastanienallee 12, 10435 Berlin\", \"view_online_url\":"
        " \"https://x.example/v/1\", \"unsubscribe_url\": \"https://x.example/u/1\","
        " \"preferences_url\": \"https://x.example/p/1\", \"items\": [{\"title\": \"Lámpara de"
        " escritorio con brazo articulado y luz cálida regulable\", \"url\":"
        " \"https://x.example/i/1\", \"price\": 49.9}, {\"title\": \"Чайник\", \"url\":"
        " \"https://x.example/i/2\", \"price\": \"12\"}], \"sale_ends\": \"2026-11-30\"}";
    assert_same_text_with(buf_cstr(&campaign), &loader, data);
    assert_same_text_with(
        buf_cstr(&campaign), &loader,
        "{\"sender_name\": \"Nord\", \"unsubscribe_url\": \"https://x.example/u\"}");
    buf_free(&campaign);
}

static void a_hidden_preheader_is_left_out_of_the_derived_text(void **state)
{
    const char *html = "<div style=\"display: none; max-height:0\">{{preheader}}{{#vip}}VIP"
                       "{{/vip}}&#8199;&#847;&#8199;&#847;</div>\n<p>Hola {{name}}</p>";
    const char *data = "{\"preheader\": \"Rebajas de invierno\", \"vip\": true,"
                       " \"name\": \"Ольга\"}";
    assert_same_text(html, NULL, data);
    template_t *text = NULL;
    mc_error err;
    assert_int_equal(text_template_derive(str_from_cstr(html), NULL, &text, &err), 0);
    json_t *context = json_loads(data, 0, NULL);
    buf_t scratch = BUF_INIT, got = BUF_INIT;
    assert_int_equal(text_template_render(text, context, &scratch, &got, &err), 0);
    assert_string_equal(buf_cstr(&got), "Hola Ольга\n");
    buf_free(&scratch);
    buf_free(&got);
    json_decref(context);
    template_free(text);
}

static void sections_between_table_rows_stay_in_place(void **state)
{
    const char *html = "<table>\n{{#items}}\n<tr><td>{{name}}</td><td>{{qty}}</td></tr>\n"
                       "{{/items}}\n</table>\n<p>Total: {{total}}</p>";
    assert_same_text(html, NULL,
                     "{\"items\": [{\"name\": \"té\", \"qty\": 2}, {\"name\": \"чай\","
                     " \"qty\": 1}], \"total\": \"3\"}");
    assert_same_text(html, NULL, "{\"items\": [], \"total\": \"0\"}");
}

static void a_template_may_start_and_end_with_a_section(void **state)
{
    const char *html = "{{#vip}}<p>Hola {{name}}, eres VIP.</p>{{/vip}}\n"
                       "{{^vip}}<p>Hola {{name}}.</p>{{/vip}}";
    assert_same_text(html, NULL, "{\"vip\": true, \"name\": \"Ana\"}");
    assert_same_text(html, NULL, "{\"vip\": false, \"name\": \"Ana\"}");
}

static void sections_inside_attributes_are_left_out_or_kept_whole(void **state)
{
    const char *html = "<p style=\"{{#red}}color: red{{/red}}\">Hola {{name}}</p>\n"
                       "<p><a href=\"{{#secure}}https{{/secure}}{{^secure}}http{{/secure}}://"
                       "x.example/{{path}}\">la tienda</a> <img src=\"l.png\" alt=\"{{#logo}}"
                       "Logo de {{company}}{{/logo}}\"></p>";
    assert_same_text(html, NULL,
                     "{\"red\": true, \"name\": \"Ana\", \"secure\": true, \"path\": \"a/b\","
                     " \"logo\": true, \"company\": \"Ñandú\"}");
    assert_same_text(html, NULL, "{\"name\": \"Ana\", \"path\": \"\"}");
}

static void links_show_their_address_as_the_conversion_shows_it(void **state)
{
    const char *html = "<p>Ver online: <a href=\"{{url}}\">{{url}}</a>. Escribe a <a "
                       "href=\"mailto:{{email}}\">{{email}}</a> o <a href=\"{{a}}\">{{b}}</a>"
                       "<a href=\"{{a}}\"></a>, <a href=\" {{a}} \">{{#b}}{{b}}{{/b}}</a>.</p>";
    assert_same_text(html, NULL,
                     "{\"url\": \"https://x.example/v/1\", \"email\": \"a@x.example\","
                     " \"a\": \"https://x.example/\", \"b\": \"https://x.example/\"}");
    assert_same_text(html, NULL, "{\"url\": \"\", \"a\": \"#top\", \"b\": \"arriba\"}");
}

/* Pieces of email HTML that the property test below strings together at random. */
static const char *const PIECES[] = {
    "<p>Hola {{name}}, bienvenido.</p>",
    "<p>{{#vip}}VIP {{/vip}}Texto {{long}}</p>",
    "<h1>{{title}}</h1>",
    "<h2>Sección {{name}}</h2>",
    "<ul>{{#l}}<li>{{.}}</li>{{/l}}</ul>",
    "<ul>\n{{#items}}\n<li><a href=\"{{url}}\">{{t}}</a></li>\n{{/items}}\n</ul>",
    "<table>\n{{#items}}\n<tr><td>{{t}}</td><td>{{url}}</td></tr>\n{{/items}}\n</table>",
    "<table><tr><td>{{#vip}}<p>Solo VIP {{name}}</p>{{/vip}}</td></tr></table>",
    "<blockquote><p>{{long}}</p></blockquote>",
    "<p>Línea<br>{{name}}<br>{{#vip}}x{{/vip}}</p>",
    "{{^vip}}<p>No VIP</p>{{/vip}}",
    "{{#vip}}\n<div>\n<p>{{title}}</p>\n<ul><li>{{name}}</li><li>{{long}}</li></ul>\n</div>\n"
    "{{/vip}}",
    "<p><img src=\"x.png\" alt=\"{{title}}\"> {{name}}</p>",
    "<hr>",
    "<div>{{#items}}<p>{{t}} {{#sub}}<b>{{.}}</b>{{/sub}}</p>{{/items}}</div>",
    "<p><a href=\"{{url}}\">{{url}}</a> <a href=\"mailto:{{name}}\">{{title}}</a></p>",
    "<ul><li>Uno<ul>{{#l}}<li>{{.}}</li>{{/l}}</ul></li><li>Dos</li></ul>",
    "<p>   {{title}}   </p>",
    "{{#items}}<h3>{{t}}</h3>{{/items}}",
    "<p style=\"{{#vip}}color:red{{/vip}}\">{{name}}</p>",
};

/* Values; the first one may print nothing, which list items never get (an empty item is a
 * known difference, docs/mail.md). */
static const char *const VALUES[] = {
    "\"\"",
    "\"Ana\"",
    "\"Tom & Jerry <tj>\"",
    "\"palabra\"",
    "\"https://x.example/a/b?c=d&e=f\"",
    "\"Съешь же ещё этих мягких французских булок, да выпей чаю, и ещё раз, и ещё раз\""};

static unsigned next_random(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static const char *value(unsigned *seed, bool may_be_empty)
{
    unsigned n = sizeof VALUES / sizeof *VALUES;
    return VALUES[may_be_empty ? next_random(seed) % n : 1 + next_random(seed) % (n - 1)];
}

static void random_templates_of_realistic_pieces_give_the_converted_text(void **state)
{
    unsigned seed = 7;
    buf_t html = BUF_INIT, data = BUF_INIT;
    for (int round = 0; round < 300; round++) {
        buf_reset(&html);
        for (unsigned i = 0, n = 1 + next_random(&seed) % 6; i < n; i++) {
            buf_append_cstr(&html, PIECES[next_random(&seed) % (sizeof PIECES / sizeof *PIECES)]);
            if (next_random(&seed) % 2) buf_putc(&html, '\n');
        }
        for (int k = 0; k < 3; k++) {
            buf_reset(&data);
            buf_appendf(&data, "{\"name\": %s, \"long\": %s, \"title\": %s, \"url\": %s,",
                        value(&seed, false), value(&seed, false), value(&seed, true),
                        value(&seed, true));
            buf_appendf(&data, " \"vip\": %s, \"l\": [", next_random(&seed) % 2 ? "true" : "false");
            for (unsigned i = 0, n = next_random(&seed) % 4; i < n; i++)
                buf_appendf(&data, "%s%s", i ? "," : "", value(&seed, false));
            buf_append_cstr(&data, "], \"items\": [");
            for (unsigned i = 0, n = next_random(&seed) % 3; i < n; i++)
                buf_appendf(&data, "%s{\"t\": %s, \"url\": %s, \"sub\": [%s]}", i ? "," : "",
                            value(&seed, false), value(&seed, true),
                            next_random(&seed) % 2 ? value(&seed, true) : "");
            buf_append_cstr(&data, "]}");
            assert_same_text(buf_cstr(&html), NULL, buf_cstr(&data));
        }
    }
    buf_free(&html);
    buf_free(&data);
}

static void text_moved_out_of_a_table_section_is_not_derived(void **state)
{
    assert_not_derived("<table>{{#items}}{{name}}<tr><td>x</td></tr>{{/items}}</table>", NULL,
                       "moves a value out of its section");
}

static void raw_html_values_are_not_derived(void **state)
{
    assert_not_derived("<p>{{{signature}}}</p>", NULL, "raw HTML");
    assert_not_derived("<p>{{& signature}}</p>", NULL, "raw HTML");
    assert_not_derived("{{<frame}}{{$body}}<p>{{{x}}}</p>{{/body}}{{/frame}}",
                       "{\"frame\": \"<div>{{$body}}{{/body}}</div>\"}", "raw HTML");
}

static void a_section_split_between_an_attribute_and_text_is_not_derived(void **state)
{
    assert_not_derived("<p style=\"{{#vip}}color: gold\">Hola</p><p>VIP{{/vip}}</p>", NULL,
                       "do not both reach the text");
    assert_not_derived("<p>{{#vip}}VIP<!-- {{/vip}} --></p>", NULL, "do not both reach the text");
}

static void delimiter_changes_are_not_derived(void **state)
{
    assert_not_derived("{{=<% %>=}}<p>Hola <% name %></p>", NULL, "changes its delimiters");
}

static void dynamic_partials_are_not_derived(void **state)
{
    assert_not_derived("{{#blocks}}{{>*kind}}{{/blocks}}", "{\"h\": \"<h1>{{t}}</h1>\"}",
                       "dynamic partial");
}

static void preformatted_text_is_not_derived(void **state)
{
    assert_not_derived("<PRE>\n{{code}}\n</PRE>", NULL, "preformatted");
}

static void numbered_lists_built_by_a_section_are_not_derived(void **state)
{
    assert_not_derived("<ol>{{#steps}}<li>{{.}}</li>{{/steps}}</ol>", NULL, "numbered list");
}

static void a_partial_that_includes_itself_is_not_derived(void **state)
{
    assert_not_derived(
        "<ul>{{>tree}}</ul>",
        "{\"tree\": \"{{#children}}<li>{{name}}<ul>{{>tree}}</ul></li>{{/children}}\"}",
        "does not compile");
}

static void placeholder_lookalikes_and_braces_in_the_text_are_not_derived(void **state)
{
    assert_not_derived("<p>Code ZqxV000000 for {{name}}</p>", NULL, "Zqx");
    assert_not_derived("<p>&#123;&#123;secret}} for {{name}}</p>", NULL, "braces");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_newsletter_with_items_gives_the_converted_text),
        cmocka_unit_test(a_newsletter_without_items_or_optional_parts_gives_the_converted_text),
        cmocka_unit_test(long_values_wrap_as_the_converted_text_wraps),
        cmocka_unit_test(a_layout_with_blocks_and_a_partial_gives_the_converted_text),
        cmocka_unit_test(the_shipped_sample_campaign_gives_the_converted_text),
        cmocka_unit_test(a_hidden_preheader_is_left_out_of_the_derived_text),
        cmocka_unit_test(sections_between_table_rows_stay_in_place),
        cmocka_unit_test(a_template_may_start_and_end_with_a_section),
        cmocka_unit_test(sections_inside_attributes_are_left_out_or_kept_whole),
        cmocka_unit_test(links_show_their_address_as_the_conversion_shows_it),
        cmocka_unit_test(random_templates_of_realistic_pieces_give_the_converted_text),
        cmocka_unit_test(text_moved_out_of_a_table_section_is_not_derived),
        cmocka_unit_test(raw_html_values_are_not_derived),
        cmocka_unit_test(a_section_split_between_an_attribute_and_text_is_not_derived),
        cmocka_unit_test(delimiter_changes_are_not_derived),
        cmocka_unit_test(dynamic_partials_are_not_derived),
        cmocka_unit_test(preformatted_text_is_not_derived),
        cmocka_unit_test(numbered_lists_built_by_a_section_are_not_derived),
        cmocka_unit_test(a_partial_that_includes_itself_is_not_derived),
        cmocka_unit_test(placeholder_lookalikes_and_braces_in_the_text_are_not_derived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
