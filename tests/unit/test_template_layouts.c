/* The templates shipped in templates/: the base layout, the sample campaign that extends it,
 * and the system messages, rendered through the engine as mailcast will render them. */
#include "template_support.h"

#include "i18n/catalog.h"

/* renders templates/NAME.mustache with data (JSON text) and the words of lang, as the send
 * loop adds them; returns a string to free() */
static char *render_shipped_in(const char *name, const char *data, const char *lang)
{
    template_loader loader = {support_load_shipped, NULL, NULL};
    buf_t text = BUF_INIT;
    assert_true(support_load_shipped(NULL, str_from_cstr(name), &text));
    template_t *t;
    mc_error err;
    if (template_compile(buf_view(&text), &loader, &t, &err) < 0)
        fail_msg("%s: %s", name, err.message);
    json_t *context = json_loads(data, 0, NULL);
    assert_non_null(context);
    catalog_set words;
    if (catalog_load(&words, MAILCAST_SOURCE_DIR "/templates/locales", &err) < 0)
        fail_msg("%s", err.message);
    catalog_add_words(&words, lang, context);
    catalog_free(&words);
    buf_t out = BUF_INIT;
    if (template_render(t, context, &out, NULL, &err) < 0) fail_msg("%s: %s", name, err.message);
    json_decref(context);
    template_free(t);
    buf_free(&text);
    return buf_detach(&out, NULL);
}

static char *render_shipped(const char *name, const char *data)
{
    return render_shipped_in(name, data, CATALOG_DEFAULT);
}

static const char *SENDER = "\"sender_name\": \"Nord & Co\", \"postal_address\": \"Kastanienallee "
                            "12, Berlin\", \"unsubscribe_url\": \"https://m.example/u/1?a=1&b=2\"";

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        if (!strstr((haystack), (needle))) fail_msg("'%s' is missing", (needle));                  \
    } while (0)

static void the_sample_campaign_fills_the_base_layout(void **state)
{
    char data[1024];
    snprintf(data, sizeof data,
             "{%s, \"first_name\": \"zoë\", \"preheader\": \"Spring picks\", \"items\": "
             "[{\"title\": \"Shirt <linen>\", \"url\": \"https://s.example/1\", \"price\": 49.5}]}",
             SENDER);
    char *html = render_shipped("campaigns/sample_newsletter", data);
    assert_contains(html, "<!DOCTYPE html>");
    assert_contains(html, "mso-hide:all;\">Spring picks");
    assert_contains(html, "Hello Zoë,");
    assert_contains(html, "Shirt &lt;linen&gt;</a> &mdash; 49.50 EUR");
    assert_contains(html, "href=\"https://m.example/u/1?a=1&amp;b=2\"");
    assert_contains(html, "Kastanienallee 12, Berlin");
    assert_contains(html, "subscribed to emails from Nord &amp; Co.");
    free(html);
}

static void the_footer_names_the_list_and_never_ends_in_a_lone_full_stop(void **state)
{
    char data[512];
    snprintf(data, sizeof data, "{%s, \"list_name\": \"Boletín, Новости\"}", SENDER);
    char *html = render_shipped("layouts/base", data);
    assert_contains(html, "because you subscribed to Boletín, Новости from Nord &amp; Co.</p>");
    char *bare = render_shipped("layouts/base", "{}");
    assert_contains(bare, "because you subscribed to emails.</p>");
    assert_null(strstr(bare, " .</p>"));
    assert_null(strstr(bare, "<p style=\"margin:0;\"></p>"));
    free(html);
    free(bare);
}

static void the_base_layout_has_a_footer_with_unsubscribe_link_and_postal_address(void **state)
{
    char data[512];
    snprintf(data, sizeof data, "{%s}", SENDER);
    char *html = render_shipped("layouts/base", data);
    assert_contains(html, ">Unsubscribe</a>");
    assert_contains(html, "<p style=\"margin:0;\">Kastanienallee 12, Berlin</p>");
    assert_null(strstr(html, "{{"));
    free(html);
}

static void the_optin_email_asks_to_confirm_with_its_own_footer(void **state)
{
    char data[1024];
    snprintf(data, sizeof data,
             "{%s, \"list_name\": \"Weekly news\", \"confirm_url\": \"https://m.example/c/9\"}",
             SENDER);
    char *html = render_shipped("system/optin_confirm", data);
    assert_contains(html, "<title>Please confirm your subscription</title>");
    assert_contains(html, "href=\"https://m.example/c/9\"");
    assert_contains(html, "Hello there,");
    assert_contains(html, "Weekly news");
    assert_contains(html, "Kastanienallee 12, Berlin");
    assert_null(strstr(html, ">Unsubscribe</a>"));
    free(html);
}

static void the_unsubscribed_page_names_the_address_when_it_is_known(void **state)
{
    char *with = render_shipped("system/unsubscribed",
                                "{\"email\": \"a@b.example\", \"list_name\": \"News\", "
                                "\"sender_name\": \"Nord\", \"postal_address\": \"Berlin\"}");
    assert_contains(with, "<strong>a@b.example</strong> will no longer receive News from Nord.");
    char *without = render_shipped("system/unsubscribed", "{\"sender_name\": \"Nord\"}");
    assert_contains(without, "You will no longer receive our emails from Nord.");
    free(with);
    free(without);
}

static void the_footer_speaks_the_language_of_its_words(void **state)
{
    char data[512];
    snprintf(data, sizeof data,
             "{%s, \"list_name\": \"Boletín\", \"preferences_url\": \"https://m.example/p\"}",
             SENDER);
    char *ru = render_shipped_in("layouts/base", data, "ru");
    assert_contains(ru, "<html lang=\"ru\"");
    assert_contains(ru, "Вы получили это письмо, потому что подписались на Boletín от Nord &amp; "
                        "Co.</p>");
    assert_contains(ru, ">Отписаться</a>");
    assert_contains(ru, ">Настроить подписку</a>");
    assert_null(strstr(ru, "Unsubscribe"));
    char *es = render_shipped_in("layouts/base", "{}", "es");
    assert_contains(es, "Recibes este correo porque te suscribiste a nuestros correos.</p>");
    free(ru);
    free(es);
}

static void the_optin_email_in_spanish_greets_by_name_or_without_one(void **state)
{
    char data[1024];
    snprintf(data, sizeof data,
             "{%s, \"list_name\": \"Ofertas\", \"first_name\": \"Zoë\", "
             "\"confirm_url\": \"https://m.example/c/9\"}",
             SENDER);
    char *named = render_shipped_in("system/optin_confirm", data, "es");
    assert_contains(named, "<title>Confirma tu suscripción</title>");
    assert_contains(named, "Hola, Zoë: alguien (esperamos que tú) ha pedido recibir Ofertas de "
                           "Nord &amp; Co en esta dirección.");
    assert_contains(named, ">Sí, suscribirme</a>");
    snprintf(data, sizeof data, "{%s, \"list_name\": \"Ofertas\"}", SENDER);
    char *unnamed = render_shipped_in("system/optin_confirm", data, "es");
    assert_contains(unnamed, "Hola: alguien");
    free(named);
    free(unnamed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_sample_campaign_fills_the_base_layout),
        cmocka_unit_test(the_base_layout_has_a_footer_with_unsubscribe_link_and_postal_address),
        cmocka_unit_test(the_footer_names_the_list_and_never_ends_in_a_lone_full_stop),
        cmocka_unit_test(the_optin_email_asks_to_confirm_with_its_own_footer),
        cmocka_unit_test(the_unsubscribed_page_names_the_address_when_it_is_known),
        cmocka_unit_test(the_footer_speaks_the_language_of_its_words),
        cmocka_unit_test(the_optin_email_in_spanish_greets_by_name_or_without_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
