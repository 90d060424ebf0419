/* Loading the message catalogs, choosing a language and handing the words to templates. */
#include "i18n/catalog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/file.h"

#define CATALOG_MAX_BYTES (1024 * 1024)
#define LANG_MAX          4 /* "en", "es", "ru", or a three-letter code, and the NUL */

/* true when name is LANG.json with LANG two or three lowercase letters; copies LANG */
static bool catalog_file_name(const char *name, char lang[LANG_MAX])
{
    size_t n = strcspn(name, ".");
    if (n < 2 || n > 3 || strcmp(name + n, ".json") != 0) return false;
    for (size_t i = 0; i < n; i++)
        if (name[i] < 'a' || name[i] > 'z') return false;
    memcpy(lang, name, n);
    lang[n] = '\0';
    return true;
}

static int load_file(json_t *flat, const char *dir, const char *name, const char *lang,
                     mc_error *err)
{
    buf_t path = BUF_INIT, text = BUF_INIT;
    buf_appendf(&path, "%s/%s", dir, name);
    int rc = -1;
    if (file_read_all(buf_cstr(&path), CATALOG_MAX_BYTES, &text) < 0) {
        mc_error_set(err, 500, "invalid_config", "paths.templates_dir", "cannot read %s: %s",
                     buf_cstr(&path), strerror(errno));
        goto done;
    }
    json_error_t jerr;
    json_t *words = json_loadb(text.p, text.n, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(words)) {
        mc_error_set(err, 500, "invalid_config", "paths.templates_dir", "%s: line %d: %s",
                     buf_cstr(&path), jerr.line, words ? "not a JSON object" : jerr.text);
        json_decref(words);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(words, key, v)
    {
        if (!json_is_string(v) || !key[0]) {
            mc_error_set(err, 500, "invalid_config", "paths.templates_dir",
                         "%s: \"%s\" is not a text", buf_cstr(&path), key);
            json_decref(words);
            goto done;
        }
    }
    json_object_set_new(flat, lang, words);
    rc = 0;
done:
    buf_free(&path);
    buf_free(&text);
    return rc;
}

/* Sets the flat key ("a.b.c") in the nested object root to value (taken over). A key that is
 * also another's prefix keeps the longer ones: a word never replaces a group. shared (may be
 * NULL) is the object root was copied from: a group root still shares with it is copied first,
 * so that shared never changes. */
static void set_nested(json_t *root, const json_t *shared, const char *key, json_t *value)
{
    json_t *node = root;
    const json_t *from = shared;
    const char *dot;
    char part[256];
    while ((dot = strchr(key, '.'))) {
        size_t n = (size_t)(dot - key);
        if (n >= sizeof part) break;
        memcpy(part, key, n);
        part[n] = '\0';
        json_t *child = json_object_get(node, part);
        json_t *original = from ? json_object_get(from, part) : NULL;
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(node, part, child);
        } else if (child == original) {
            child = json_copy(original);
            json_object_set_new(node, part, child);
        }
        node = child;
        from = original;
        key = dot + 1;
    }
    if (!json_is_object(json_object_get(node, key)))
        json_object_set_new(node, key, value);
    else
        json_decref(value);
}

/* Lists each language's words and compiles those with template tags, once: a message then only
 * renders them. A word that does not compile is a configuration error naming it. */
static int compile_words(catalog_set *set, mc_error *err)
{
    set->languages = xcalloc(json_object_size(set->flat), sizeof *set->languages);
    const char *lang;
    json_t *words;
    json_object_foreach(set->flat, lang, words)
    {
        catalog_words_of *l = &set->languages[set->language_count++];
        l->lang = lang;
        l->entries = xcalloc(json_object_size(words), sizeof *l->entries);
        const char *key;
        json_t *v;
        json_object_foreach(words, key, v)
        {
            catalog_entry *e = &l->entries[l->count++];
            e->key = key;
            e->word = json_string_value(v);
            mc_error why;
            if (strstr(e->word, "{{") &&
                template_compile(str_from_cstr(e->word), NULL, &e->tmpl, &why) < 0)
                return mc_error_set(err, 500, "invalid_config", "paths.templates_dir",
                                    "%s.json: %s: %s", lang, key, why.message);
        }
        l->nested = json_object();
        for (size_t i = 0; i < l->count; i++)
            set_nested(l->nested, NULL, l->entries[i].key, json_string(l->entries[i].word));
    }
    return 0;
}

int catalog_load(catalog_set *set, const char *dir, mc_error *err)
{
    memset(set, 0, sizeof *set);
    set->flat = json_object();
    DIR *d = opendir(dir);
    if (!d) {
        catalog_free(set);
        return mc_error_set(err, 500, "invalid_config", "paths.templates_dir",
                            "cannot read the message catalogs in %s: %s", dir, strerror(errno));
    }
    struct dirent *e;
    int rc = 0;
    char lang[LANG_MAX];
    while (rc == 0 && (e = readdir(d)))
        if (catalog_file_name(e->d_name, lang))
            rc = load_file(set->flat, dir, e->d_name, lang, err);
    closedir(d);
    json_t *english = json_object_get(set->flat, CATALOG_DEFAULT);
    if (rc == 0 && !english)
        rc = mc_error_set(err, 500, "invalid_config", "paths.templates_dir",
                          "%s/" CATALOG_DEFAULT ".json is missing", dir);
    if (rc < 0) {
        catalog_free(set);
        return -1;
    }
    /* a key a translation lacks shows in English rather than as its name */
    const char *name;
    json_t *words;
    json_object_foreach(set->flat, name, words)
    {
        if (words != english) json_object_update_missing(words, english);
    }
    if (compile_words(set, err) < 0) {
        catalog_free(set);
        return -1;
    }
    return 0;
}

void catalog_free(catalog_set *set)
{
    for (size_t i = 0; i < set->language_count; i++) {
        for (size_t k = 0; k < set->languages[i].count; k++)
            template_free(set->languages[i].entries[k].tmpl);
        free(set->languages[i].entries);
        json_decref(set->languages[i].nested);
    }
    free(set->languages);
    set->languages = NULL;
    set->language_count = 0;
    json_decref(set->flat);
    set->flat = NULL;
}

/* the language of set named by the first n bytes of tag (its primary subtag), or NULL */
static const char *language_of(const catalog_set *set, const char *tag, size_t n)
{
    size_t primary = 0;
    while (primary < n && isalpha((unsigned char)tag[primary]))
        primary++;
    if (primary < 2 || primary >= LANG_MAX ||
        (primary < n && tag[primary] != '-' && tag[primary] != '_'))
        return NULL;
    char lang[LANG_MAX];
    for (size_t i = 0; i < primary; i++)
        lang[i] = (char)tolower((unsigned char)tag[i]);
    lang[primary] = '\0';
    const char *key;
    json_t *v;
    json_object_foreach(set->flat, key, v)
    {
        if (!strcmp(key, lang)) return key;
    }
    return NULL;
}

const char *catalog_language(const catalog_set *set, const char *tag)
{
    return tag ? language_of(set, tag, strlen(tag)) : NULL;
}

const char *catalog_accept_language(const catalog_set *set, const char *header)
{
    const char *best = NULL;
    double best_q = 0;
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t,");
        size_t item = strcspn(p, ",");
        size_t tag = strcspn(p, ";, \t");
        if (tag > item) tag = item;
        double q = 1;
        const char *params = memchr(p, ';', item);
        if (params) {
            /* ";q=0.9", perhaps with spaces; a malformed weight counts as 0 */
            const char *w = params + 1 + strspn(params + 1, " \t");
            if ((w[0] == 'q' || w[0] == 'Q') && w[1] == '=') {
                char *end;
                q = strtod(w + 2, &end);
                if (end == w + 2 || q < 0 || q > 1) q = 0;
            }
        }
        const char *lang = language_of(set, p, tag);
        /* the first of equal weights wins, as the header lists them by preference */
        if (lang && q > best_q) {
            best = lang;
            best_q = q;
        }
        p += item;
    }
    return best;
}

static json_t *words_of(const catalog_set *set, const char *lang)
{
    json_t *words = lang ? json_object_get(set->flat, lang) : NULL;
    return words ? words : json_object_get(set->flat, CATALOG_DEFAULT);
}

/* the compiled words of lang, else of CATALOG_DEFAULT; NULL for an empty set */
static const catalog_words_of *compiled_of(const catalog_set *set, const char *lang)
{
    const catalog_words_of *english = NULL;
    for (size_t i = 0; i < set->language_count; i++) {
        if (lang && !strcmp(set->languages[i].lang, lang)) return &set->languages[i];
        if (!strcmp(set->languages[i].lang, CATALOG_DEFAULT)) english = &set->languages[i];
    }
    return english;
}

const char *catalog_word(const catalog_set *set, const char *lang, const char *key)
{
    const char *word = json_string_value(json_object_get(words_of(set, lang), key));
    return word ? word : key;
}

json_t *catalog_words(const catalog_set *set, const char *lang, json_t *context)
{
    const catalog_words_of *words = compiled_of(set, lang);
    if (!words) return json_object();
    /* the words as written, shared; the groups of the words rendered here are copies */
    json_t *nested = json_copy(words->nested);
    buf_t out = BUF_INIT;
    template_limits limits = {.plain_text = true};
    for (size_t i = 0; i < words->count; i++) {
        const catalog_entry *e = &words->entries[i];
        mc_error err;
        buf_reset(&out);
        /* rendered as plain text: the page or message escapes the whole word once; a word
         * that fails to render (its data past the limits) shows as written */
        if (e->tmpl && template_render(e->tmpl, context, &out, &limits, &err) == 0)
            set_nested(nested, words->nested, e->key, json_stringn(out.p ? out.p : "", out.n));
    }
    buf_free(&out);
    return nested;
}

void catalog_add_words(const catalog_set *set, const char *lang, json_t *context)
{
    if (!json_object_get(context, "lang"))
        json_object_set_new(context, "lang",
                            json_string(json_object_get(set->flat, lang) ? lang : CATALOG_DEFAULT));
    if (!json_object_get(context, "t"))
        json_object_set_new(context, "t", catalog_words(set, lang, context));
}

const char *catalog_context_language(const catalog_set *set, const json_t *context)
{
    const json_t *attributes = json_object_get(context, "attributes");
    if (!json_is_object(attributes))
        attributes = json_object_get(json_object_get(context, "subscriber"), "attributes");
    const char *lang =
        catalog_language(set, json_string_value(json_object_get(attributes, "language")));
    return lang ? lang : CATALOG_DEFAULT;
}
