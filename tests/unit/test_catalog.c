/* Message catalogs (i18n/catalog.h): choosing a language from a subscriber's attribute or an
 * Accept-Language header, and the words templates see, read from the shipped catalogs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n/catalog.h"

static catalog_set words;

static int load(void **state)
{
    (void)state;
    mc_error err;
    if (catalog_load(&words, MAILCAST_SOURCE_DIR "/templates/locales", &err) < 0)
        fail_msg("%s", err.message);
    return 0;
}

static int unload(void **state)
{
    (void)state;
    catalog_free(&words);
    return 0;
}

static void a_language_tag_names_its_primary_language(void **state)
{
    (void)state;
    assert_string_equal(catalog_language(&words, "es"), "es");
    assert_string_equal(catalog_language(&words, "es-MX"), "es");
    assert_string_equal(catalog_language(&words, "RU_ru"), "ru");
    assert_null(catalog_language(&words, "de"));
    assert_null(catalog_language(&words, "esperanto"));
    assert_null(catalog_language(&words, "e"));
    assert_null(catalog_language(&words, ""));
    assert_null(catalog_language(&words, NULL));
}

static void accept_language_honours_q_values(void **state)
{
    (void)state;
    assert_string_equal(catalog_accept_language(&words, "es-ES,es;q=0.9"), "es");
    assert_string_equal(catalog_accept_language(&words, "es-MX"), "es");
    assert_string_equal(catalog_accept_language(&words, "de-DE, ru;q=0.8, en;q=0.5"), "ru");
    assert_string_equal(catalog_accept_language(&words, "en;q=0.3, es;q=0.7"), "es");
    assert_string_equal(catalog_accept_language(&words, "ru;q=0, es;q=0.1"), "es");
    /* the first of equal weights, as the header lists them by preference */
    assert_string_equal(catalog_accept_language(&words, "ru, es"), "ru");
    assert_string_equal(catalog_accept_language(&words, "en-GB, es;q=0.5"), "en");
    /* nothing asked for that a catalog has: the caller's default */
    assert_null(catalog_accept_language(&words, "*"));
    assert_null(catalog_accept_language(&words, "de, fr;q=0.9"));
    assert_null(catalog_accept_language(&words, "es;q=abc, ru;q=2"));
    assert_null(catalog_accept_language(&words, ""));
    assert_null(catalog_accept_language(&words, NULL));
}

static void words_nest_by_their_dots_and_render_with_the_data(void **state)
{
    (void)state;
    json_t *data = json_pack("{s:s, s:s}", "list_name", "Новости & more", "sender_name", "Nord");
    json_t *t = catalog_words(&words, "ru", data);
    json_t *footer = json_object_get(json_object_get(t, "mail"), "footer");
    assert_string_equal(json_string_value(json_object_get(footer, "unsubscribe")), "Отписаться");
    /* rendered as plain text: the page or message escapes the whole word once */
    assert_string_equal(json_string_value(json_object_get(footer, "reason")),
                        "Вы получили это письмо, потому что подписались на Новости & more от "
                        "Nord.");
    json_decref(t);
    json_decref(data);
}

static const char *footer_reason(json_t *t)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(t, "mail"), "footer"), "reason"));
}

static void each_message_gets_its_own_words_and_the_shared_ones_stay_as_written(void **state)
{
    (void)state;
    json_t *first = json_pack("{s:s}", "list_name", "Boletín");
    json_t *second = json_pack("{s:s}", "list_name", "Ofertas");
    json_t *a = catalog_words(&words, "es", first);
    json_t *b = catalog_words(&words, "es", second);
    json_t *none = catalog_words(&words, "es", NULL);
    assert_string_equal(footer_reason(a), "Recibes este correo porque te suscribiste a Boletín.");
    assert_string_equal(footer_reason(b), "Recibes este correo porque te suscribiste a Ofertas.");
    assert_string_equal(footer_reason(none),
                        "Recibes este correo porque te suscribiste a nuestros correos.");
    /* a word without tags is the same in all three */
    json_t *unsub_a =
        json_object_get(json_object_get(json_object_get(a, "mail"), "footer"), "unsubscribe");
    assert_string_equal(json_string_value(unsub_a), "Darme de baja");
    json_decref(a);
    json_decref(b);
    json_decref(none);
    json_decref(first);
    json_decref(second);
}

static void a_missing_language_and_a_missing_key_fall_back(void **state)
{
    (void)state;
    assert_string_equal(catalog_word(&words, "de", "public.subscribe.title"), "Subscribe");
    assert_string_equal(catalog_word(&words, "es", "public.subscribe.title"), "Suscríbete");
    assert_string_equal(catalog_word(&words, "es", "no.such.key"), "no.such.key");
}

static void the_subscriber_language_comes_from_their_attributes(void **state)
{
    (void)state;
    json_t *direct = json_pack("{s:{s:s}}", "attributes", "language", "ru-RU");
    json_t *nested = json_pack("{s:{s:{s:s}}}", "subscriber", "attributes", "language", "es");
    json_t *unknown = json_pack("{s:{s:s}}", "attributes", "language", "de");
    json_t *number = json_pack("{s:{s:i}}", "attributes", "language", 7);
    assert_string_equal(catalog_context_language(&words, direct), "ru");
    assert_string_equal(catalog_context_language(&words, nested), "es");
    assert_string_equal(catalog_context_language(&words, unknown), "en");
    assert_string_equal(catalog_context_language(&words, number), "en");
    json_decref(direct);
    json_decref(nested);
    json_decref(unknown);
    json_decref(number);
}

static void a_message_keeps_words_and_lang_of_its_own(void **state)
{
    (void)state;
    json_t *context = json_pack("{s:s, s:{s:s}}", "lang", "de", "t", "x", "y");
    catalog_add_words(&words, "es", context);
    assert_string_equal(json_string_value(json_object_get(context, "lang")), "de");
    assert_string_equal(json_string_value(json_object_get(json_object_get(context, "t"), "x")),
                        "y");
    json_t *plain = json_object();
    catalog_add_words(&words, "de", plain);
    assert_string_equal(json_string_value(json_object_get(plain, "lang")), "en");
    json_decref(context);
    json_decref(plain);
}

static void a_missing_folder_or_english_is_a_configuration_error(void **state)
{
    (void)state;
    catalog_set none;
    mc_error err;
    assert_int_equal(catalog_load(&none, MAILCAST_SOURCE_DIR "/no/such/folder", &err), -1);
    assert_string_equal(err.code, "invalid_config");
    /* templates/public holds no LANG.json at all */
    assert_int_equal(catalog_load(&none, MAILCAST_SOURCE_DIR "/templates/public", &err), -1);
    assert_non_null(strstr(err.message, "en.json is missing"));
}

/* writes text to dir/name */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void a_bad_catalog_file_is_a_configuration_error_naming_it(void **state)
{
    (void)state;
    char dir[] = "/tmp/mailcast-catalog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    catalog_set set;
    mc_error err;
    write_file(dir, "en.json", "{\"a.b\": \"{{#open}} never closed\"}");
    assert_int_equal(catalog_load(&set, dir, &err), -1);
    assert_string_equal(err.code, "invalid_config");
    assert_non_null(strstr(err.message, "en.json: a.b:"));
    write_file(dir, "en.json", "{\"a.b\": 7}");
    assert_int_equal(catalog_load(&set, dir, &err), -1);
    assert_non_null(strstr(err.message, "\"a.b\" is not a text"));
    write_file(dir, "en.json", "{\"a.b\": \"x\", \"a.b\": \"y\"}");
    assert_int_equal(catalog_load(&set, dir, &err), -1);
    /* a translation lacking a key shows it in English */
    write_file(dir, "en.json", "{\"a.b\": \"Hello\", \"a.c\": \"Bye\"}");
    write_file(dir, "es.json", "{\"a.b\": \"Hola\"}");
    assert_int_equal(catalog_load(&set, dir, &err), 0);
    assert_string_equal(catalog_word(&set, "es", "a.b"), "Hola");
    assert_string_equal(catalog_word(&set, "es", "a.c"), "Bye");
    catalog_free(&set);
    char path[512];
    snprintf(path, sizeof path, "%s/en.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/es.json", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_language_tag_names_its_primary_language),
        cmocka_unit_test(accept_language_honours_q_values),
        cmocka_unit_test(words_nest_by_their_dots_and_render_with_the_data),
        cmocka_unit_test(each_message_gets_its_own_words_and_the_shared_ones_stay_as_written),
        cmocka_unit_test(a_missing_language_and_a_missing_key_fall_back),
        cmocka_unit_test(the_subscriber_language_comes_from_their_attributes),
        cmocka_unit_test(a_message_keeps_words_and_lang_of_its_own),
        cmocka_unit_test(a_missing_folder_or_english_is_a_configuration_error),
        cmocka_unit_test(a_bad_catalog_file_is_a_configuration_error_naming_it),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
