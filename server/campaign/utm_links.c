/* gumbo finds the href attributes and where their values sit in the template's own text; the
 * parameters are spliced into that text, so the Mustache tags and the author's markup stay
 * exactly as written. */
#include "campaign/utm_links.h"

#include <curl/curl.h>
#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

#define MAX_DEPTH 400

/* Where a link's parameters go: an offset into the template text and the separator that
 * introduces them. */
typedef struct {
    size_t at;
    const char *separator; /* "?", "&amp;" or "" */
} insertion;

typedef struct {
    const char *base;
    insertion *items;
    size_t n, cap;
} insertions;

/* returns the offset of the first c in v that is outside Mustache tags, or v.n */
static size_t find_outside_tags(str_t v, char c)
{
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '{' && i + 1 < v.n && v.p[i + 1] == '{') {
            const char *end = memmem(v.p + i + 2, v.n - i - 2, "}}", 2);
            if (!end) return v.n;
            i = (size_t)(end - v.p) + 1;
        } else if (v.p[i] == c) {
            return i;
        }
    }
    return v.n;
}

static bool ends_with(str_t v, const char *suffix)
{
    size_t n = strlen(suffix);
    return v.n >= n && memcmp(v.p + v.n - n, suffix, n) == 0;
}

/* Adds the insertion point of one href value (as written, quotes removed), if it is tagged. */
static void add_link(insertions *list, str_t value, size_t offset)
{
    if (!((value.n >= 7 && !strncasecmp(value.p, "http://", 7)) ||
          (value.n >= 8 && !strncasecmp(value.p, "https://", 8))))
        return;
    if (memmem(value.p, value.n, "utm_", 4)) return; /* the author tagged it already */
    size_t fragment = find_outside_tags(value, '#');
    str_t before = str_make(value.p, fragment);
    const char *separator = "&amp;";
    if (find_outside_tags(before, '?') == before.n)
        separator = "?";
    else if (ends_with(before, "?") || ends_with(before, "&") || ends_with(before, "&amp;"))
        separator = "";
    if (list->n == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 16;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->n++] = (insertion){offset + fragment, separator};
}

static void walk(insertions *list, const GumboNode *node, int depth)
{
    if (depth > MAX_DEPTH) return;
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE &&
        node->type != GUMBO_NODE_DOCUMENT)
        return;
    const GumboVector *children =
        node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children : &node->v.element.children;
    if (node->type != GUMBO_NODE_DOCUMENT &&
        (node->v.element.tag == GUMBO_TAG_A || node->v.element.tag == GUMBO_TAG_AREA)) {
        const GumboAttribute *href = gumbo_get_attribute(&node->v.element.attributes, "href");
        if (href && href->original_value.length > 0) {
            str_t v = str_make(href->original_value.data, href->original_value.length);
            if (v.p[0] == '"' || v.p[0] == '\'') { /* quoted: the value is inside */
                v.p++;
                v.n = v.n >= 2 ? v.n - 2 : 0;
            }
            add_link(list, v, (size_t)(v.p - list->base));
        }
    }
    for (unsigned i = 0; i < children->length; i++)
        walk(list, children->data[i], depth + 1);
}

static int by_offset(const void *a, const void *b)
{
    size_t x = ((const insertion *)a)->at, y = ((const insertion *)b)->at;
    return x < y ? -1 : x > y;
}

/* The parameters as they go into an attribute: "utm_source=a&amp;utm_medium=b". */
static void utm_query(json_t *utm, buf_t *out)
{
    static const char *const KEYS[] = {"source", "medium", "campaign", "term", "content", NULL};
    for (int i = 0; KEYS[i]; i++) {
        json_t *v = json_object_get(utm, KEYS[i]);
        if (!json_is_string(v) || json_string_length(v) == 0) continue;
        /* libcurl ignores the handle since 7.82 */
        char *escaped = curl_easy_escape(NULL, json_string_value(v), (int)json_string_length(v));
        if (!escaped) abort(); /* only fails when out of memory */
        buf_appendf(out, "%sutm_%s=%s", out->n ? "&amp;" : "", KEYS[i], escaped);
        curl_free(escaped);
    }
}

void utm_tag_links(str_t html, json_t *utm, buf_t *out)
{
    buf_t query = BUF_INIT;
    utm_query(utm, &query);
    if (query.n == 0) {
        buf_append(out, html.p, html.n);
        buf_free(&query);
        return;
    }
    GumboOutput *doc = gumbo_parse_with_options(&kGumboDefaultOptions, html.p, html.n);
    insertions list = {html.p, NULL, 0, 0};
    walk(&list, doc->document, 0);
    gumbo_destroy_output(&kGumboDefaultOptions, doc);
    /* tree order is not always text order (misnested markup is moved by the parser) */
    if (list.n) qsort(list.items, list.n, sizeof *list.items, by_offset);
    size_t copied = 0;
    for (size_t i = 0; i < list.n; i++) {
        buf_append(out, html.p + copied, list.items[i].at - copied);
        buf_append_cstr(out, list.items[i].separator);
        buf_append(out, query.p, query.n);
        copied = list.items[i].at;
    }
    buf_append(out, html.p + copied, html.n - copied);
    free(list.items);
    buf_free(&query);
}
