/* Message catalogs: the words mailcast itself shows on public pages and puts into mail, one
 * JSON file per language (templates_dir/locales/LANG.json, flat keys such as
 * "public.subscribe.title"), loaded once at start and read-only afterwards (safe to share
 * across threads). English (en.json) is required and is what any other language falls back to
 * for a key it lacks. A word may hold template tags ("{{list_name}}"): it is rendered with the
 * data of the page or message it goes into (docs/languages.md). */
#ifndef MC_I18N_CATALOG_H
#define MC_I18N_CATALOG_H

#include <jansson.h>

#include "core/error.h"
#include "template/template.h"

#define CATALOG_DEFAULT "en"

/* one word of a language: key and word point into the set's JSON; tmpl is the word compiled
 * once at load when it holds template tags, else NULL */
typedef struct {
    const char *key, *word;
    template_t *tmpl;
} catalog_entry;

typedef struct {
    const char *lang; /* points into the set's JSON */
    catalog_entry *entries;
    size_t count;
    /* every word nested by its dots, as written: shared, never changed after load (jansson's
     * reference counts are atomic), so a message copies only the groups of words it renders */
    json_t *nested;
} catalog_words_of;

typedef struct {
    /* {"en": {"public.subscribe.title": "Subscribe", ...}, "es": {...}}: flat, every language
     * holding every English key */
    json_t *flat;
    catalog_words_of *languages;
    size_t language_count;
} catalog_set;

/* Loads every dir/LANG.json (LANG: two or three lowercase letters). returns 0 (release with
 * catalog_free()), or -1 with err (code "invalid_config") when en.json is missing or a file is
 * not a JSON object of strings. */
int catalog_load(catalog_set *set, const char *dir, mc_error *err);
void catalog_free(catalog_set *set);

/* returns the language of set that tag names ("es", "es-MX" and "ES_mx" all give "es"), or
 * NULL when set has none (tag may be NULL); the result points into set */
const char *catalog_language(const catalog_set *set, const char *tag);

/* returns the language of set an Accept-Language header (RFC 9110: "es-ES,es;q=0.9,en;q=0.5";
 * may be NULL) asks for most, honouring q-values and ignoring q=0, or NULL when it asks for
 * none of them; points into set */
const char *catalog_accept_language(const catalog_set *set, const char *header);

/* returns the word key in language lang (CATALOG_DEFAULT when set lacks lang), unrendered;
 * key itself when no catalog has it. Points into set. */
const char *catalog_word(const catalog_set *set, const char *lang, const char *key);

/* returns every word of lang as nested objects ("public.subscribe.title" becomes
 * {"public": {"subscribe": {"title": ...}}}, so a template writes {{t.public.subscribe.title}}),
 * words with template tags rendered as plain text with context (borrowed, may be NULL).
 * A new reference (caller frees with json_decref()). */
json_t *catalog_words(const catalog_set *set, const char *lang, json_t *context);

/* Sets context's "t" to catalog_words() of lang and "lang" to lang, each unless context holds
 * it already (a message's own data may bring its own words). */
void catalog_add_words(const catalog_set *set, const char *lang, json_t *context);

/* returns the language of the subscriber context names: its attributes' "language" (at
 * context.attributes.language or context.subscriber.attributes.language) when set has it,
 * else CATALOG_DEFAULT */
const char *catalog_context_language(const catalog_set *set, const json_t *context);

#endif
