/* Deriving a text template from an HTML template, checking that the derivation kept every
 * section whole and in order, and laying out what the derived template renders. */
#include "mail/text_template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/utf8.h"
#include "mail/html_to_text.h"

#define WRAP_COLUMN 78

/* A placeholder is PREFIX, 'V' (a variable) or 'S' (a section tag), and the tag's number in
 * DIGITS decimal digits: letters and digits only, so that the HTML parser keeps it as text,
 * in attribute values too, and html_to_text never cuts it. A template whose own text holds
 * PREFIX is not derived. */
#define PREFIX          "Zqx"
#define PREFIX_LEN      3
#define DIGITS          6
#define PLACEHOLDER_LEN (PREFIX_LEN + 1 + DIGITS)
#define MAX_TAGS        999999u

typedef enum { TAG_VARIABLE, TAG_OPEN, TAG_CLOSE } tag_kind;

typedef struct {
    tag_kind kind;
    size_t at, n; /* the tag as written, in deriver.texts */
} tag_entry;

typedef struct {
    size_t *items;
    size_t count, cap;
} index_list;

typedef struct {
    const template_loader *inner;
    tag_entry *tags;
    size_t count, cap;
    buf_t texts;        /* the text of every tag */
    buf_t loaded;       /* a partial or parent as the inner loader gives it */
    buf_t opened;       /* 'S' for an open section, 'K' for an open parent or block */
    const char *unsafe; /* the first reason found not to derive */
} deriver;

static void push_index(index_list *l, size_t index)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = index;
}

static size_t add_tag(deriver *d, tag_kind kind, str_t tag)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->tags = xrealloc(d->tags, d->cap * sizeof *d->tags);
    }
    d->tags[d->count] = (tag_entry){kind, d->texts.n, tag.n};
    buf_append_str(&d->texts, tag);
    return d->count++;
}

static str_t tag_text(const deriver *d, size_t index)
{
    return str_make(d->texts.p + d->tags[index].at, d->tags[index].n);
}

/* A section tag goes into the HTML as a comment, which the HTML parser keeps where it is
 * even between table rows ({{#items}}<tr>), where it would move text; inside a comment of the
 * template it goes as a word, not to end that comment early. */
static void put_placeholder(buf_t *out, tag_kind kind, size_t index, bool in_comment)
{
    bool wrap = kind != TAG_VARIABLE && !in_comment;
    buf_appendf(out, "%s" PREFIX "%c%0*zu%s", wrap ? "<!--" : "", kind == TAG_VARIABLE ? 'V' : 'S',
                DIGITS, index, wrap ? "-->" : "");
}

/* Appends text to out; *in_comment tells whether it ends inside an HTML comment. */
static void put_text(buf_t *out, str_t text, bool *in_comment)
{
    for (size_t i = 0; i < text.n; i++) {
        if (!*in_comment && i + 4 <= text.n && !memcmp(text.p + i, "<!--", 4)) {
            *in_comment = true;
            i += 3;
        } else if (*in_comment && i + 3 <= text.n && !memcmp(text.p + i, "-->", 3)) {
            *in_comment = false;
            i += 2;
        }
    }
    buf_append_str(out, text);
}

static void refuse(deriver *d, const char *why)
{
    if (!d->unsafe) d->unsafe = why;
}

/* Appends src to out with each variable and section tag replaced by a placeholder. Partial,
 * parent, block and comment tags stay, so that the compiler puts the HTML together as it does
 * for a message. */
static void replace_tags(deriver *d, str_t src, buf_t *out)
{
    if (memmem(src.p, src.n, PREFIX, PREFIX_LEN))
        refuse(d, "the template's text holds " PREFIX ", the start of the placeholders");
    buf_reset(&d->opened);
    size_t at = 0;
    bool in_comment = false;
    while (at < src.n) {
        const char *hit = memmem(src.p + at, src.n - at, "{{", 2);
        if (!hit) break;
        size_t start = (size_t)(hit - src.p);
        const char *end = memmem(hit + 2, src.n - start - 2, "}}", 2);
        if (!end) break; /* the compiler reports it */
        put_text(out, str_make(src.p + at, start - at), &in_comment);
        str_t tag = str_make(hit, (size_t)(end - hit) + 2);
        at = start + tag.n;
        char sigil = hit[2];
        switch (sigil) {
        case '{':
        case '&':
            refuse(d, "the template prints raw HTML ({{{name}}} or {{&name}}), whose markup would "
                      "reach the text");
            buf_append_str(out, tag);
            break;
        case '=':
            refuse(d, "the template changes its delimiters");
            buf_append_str(out, tag);
            break;
        case '#':
        case '^':
            buf_putc(&d->opened, 'S');
            put_placeholder(out, TAG_OPEN, add_tag(d, TAG_OPEN, tag), in_comment);
            break;
        case '/':
            if (d->opened.n && d->opened.p[--d->opened.n] == 'S')
                put_placeholder(out, TAG_CLOSE, add_tag(d, TAG_CLOSE, tag), in_comment);
            else
                buf_append_str(out, tag);
            break;
        case '<':
        case '$':
            buf_putc(&d->opened, 'K');
            buf_append_str(out, tag);
            break;
        case '>':
            if (str_has_prefix(str_trim(str_make(hit + 3, tag.n - 5)), STR_LIT("*")))
                refuse(d, "the template has a dynamic partial ({{>*name}}), known only for each "
                          "message");
            buf_append_str(out, tag);
            break;
        case '!':
            buf_append_str(out, tag);
            break;
        default:
            put_placeholder(out, TAG_VARIABLE, add_tag(d, TAG_VARIABLE, tag), in_comment);
            break;
        }
    }
    buf_append(out, src.p + at, src.n - at);
}

/* The loader the compiler sees: the inner loader's text with its tags replaced. */
static bool load_replaced(void *ctx, str_t name, buf_t *out)
{
    deriver *d = ctx;
    buf_reset(&d->loaded);
    if (!d->inner || !d->inner->load || !d->inner->load(d->inner->ctx, name, &d->loaded))
        return false;
    replace_tags(d, buf_view(&d->loaded), out);
    return true;
}

/* html_to_text's test for a section's placeholder */
static size_t silent_word(const char *p, size_t n)
{
    if (n < PLACEHOLDER_LEN || memcmp(p, PREFIX "S", PREFIX_LEN + 1) != 0) return 0;
    for (size_t i = PREFIX_LEN + 1; i < PLACEHOLDER_LEN; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return PLACEHOLDER_LEN;
}

/* reads the placeholder at s[i] into *index; false when it is not one of d's */
static bool read_placeholder(const deriver *d, str_t s, size_t i, size_t *index)
{
    if (s.n - i < PLACEHOLDER_LEN) return false;
    size_t value = 0;
    for (size_t k = PREFIX_LEN + 1; k < PLACEHOLDER_LEN; k++) {
        char c = s.p[i + k];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (size_t)(c - '0');
    }
    char kind = s.p[i + PREFIX_LEN];
    if (value >= d->count || kind != (d->tags[value].kind == TAG_VARIABLE ? 'V' : 'S'))
        return false;
    *index = value;
    return true;
}

/* Appends the tag numbers of the placeholders in s, in order, to list. returns false when
 * s holds PREFIX without a placeholder of d after it. */
static bool list_placeholders(const deriver *d, str_t s, index_list *list)
{
    for (size_t at = 0;;) {
        const char *hit = memmem(s.p + at, s.n - at, PREFIX, PREFIX_LEN);
        if (!hit) return true;
        size_t index;
        if (!read_placeholder(d, s, (size_t)(hit - s.p), &index)) return false;
        push_index(list, index);
        at = (size_t)(hit - s.p) + PLACEHOLDER_LEN;
    }
}

/* Checks that the text's placeholders (got) keep the structure of the HTML's (expected): the
 * HTML parser moves text it finds where HTML allows none (between table rows), and attributes
 * other than a link's address and an image's alt text never reach the text. Section tags must
 * come in the same order, some sections left out whole; a variable may move (a link's address
 * follows its text) but not out of the section it is in. returns NULL or why not. */
static const char *check_order(const deriver *d, const index_list *expected, const index_list *got)
{
    static const char *const MOVED = "the HTML parser moves section tags out of their place";
    static const char *const SPLIT = "a section's opening and closing tags do not both reach the "
                                     "text (is one of them in an attribute?)";
    size_t n = expected->count;
    /* for each position of expected: the innermost section around it, and for a section tag
     * the position of the other tag of its pair (NONE: none) */
    const size_t NONE = SIZE_MAX;
    size_t *around = xcalloc(n + 1, sizeof *around), *partner = xcalloc(n + 1, sizeof *partner);
    size_t *stack = xcalloc(n + 1, sizeof *stack);
    bool *kept = xcalloc(n + 1, sizeof *kept);
    size_t depth = 0;
    for (size_t k = 0; k < n; k++) {
        tag_kind kind = d->tags[expected->items[k]].kind;
        partner[k] = NONE;
        if (kind == TAG_CLOSE && depth) {
            partner[k] = stack[--depth];
            partner[partner[k]] = k;
        }
        around[k] = depth ? stack[depth - 1] : NONE;
        if (kind == TAG_OPEN) stack[depth++] = k;
    }
    const char *why = NULL;
    depth = 0;
    size_t j = 0;
    for (size_t i = 0; i < got->count && !why; i++) {
        size_t index = got->items[i], inside = depth ? stack[depth - 1] : NONE;
        if (d->tags[index].kind == TAG_VARIABLE) {
            size_t k = inside == NONE ? 0 : inside + 1, end = inside == NONE ? n : partner[inside];
            while (k < end && !(expected->items[k] == index && around[k] == inside))
                k++;
            if (k == end) why = "the HTML parser moves a value out of its section";
            continue;
        }
        while (j < n && expected->items[j] != index)
            j++;
        if (j == n) {
            why = MOVED;
        } else if (d->tags[index].kind == TAG_CLOSE) {
            if (partner[j] == NONE || !kept[partner[j]])
                why = SPLIT;
            else if (!depth || stack[--depth] != partner[j])
                why = MOVED;
        } else {
            stack[depth++] = j;
        }
        if (j < n) kept[j++] = true;
    }
    /* dropped counts the sections left out around position k */
    size_t dropped = 0;
    for (size_t k = 0; k < n && !why; k++) {
        tag_kind kind = d->tags[expected->items[k]].kind;
        if (kind == TAG_VARIABLE) continue;
        if (kind == TAG_OPEN && partner[k] != NONE && kept[k] != kept[partner[k]])
            why = SPLIT;
        else if (kept[k] && dropped > 0)
            why = "a section reaches the text from inside a section that does not";
        if (kind == TAG_OPEN && !kept[k]) dropped++;
        if (kind == TAG_CLOSE && !kept[k] && dropped) dropped--;
    }
    free(around);
    free(partner);
    free(stack);
    free(kept);
    return why;
}

/* Appends text to out with each placeholder replaced by its tag as written. A section tag
 * still in its comment came through an attribute (a link's address): the comment goes. */
static void put_tags_back(const deriver *d, str_t text, buf_t *out)
{
    size_t at = 0;
    for (const char *hit; (hit = memmem(text.p + at, text.n - at, PREFIX, PREFIX_LEN));) {
        size_t i = (size_t)(hit - text.p), index = 0, end = i + PLACEHOLDER_LEN;
        read_placeholder(d, text, i, &index); /* list_placeholders() has checked them all */
        if (i - at >= 4 && !memcmp(text.p + i - 4, "<!--", 4) && end + 3 <= text.n &&
            !memcmp(text.p + end, "-->", 3)) {
            buf_append(out, text.p + at, i - 4 - at);
            end += 3;
        } else {
            buf_append(out, text.p + at, i - at);
        }
        buf_append_str(out, tag_text(d, index));
        at = end;
    }
    buf_append(out, text.p + at, text.n - at);
}

/* <pre> keeps its line ends and spaces, which the layout does not */
static bool has_pre(str_t html)
{
    for (size_t i = 0; i + 4 < html.n; i++)
        if (html.p[i] == '<' && !strncasecmp(html.p + i + 1, "pre", 3) &&
            strchr(" \t\r\n\f/>", html.p[i + 4]))
            return true;
    return false;
}

static bool has_layout_marks(str_t s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] >= HTML_TEXT_LINK && s.p[i] <= HTML_TEXT_CONTENT) return true;
    return false;
}

/* A brace the text gets from the HTML (&#123;) would make a tag of its neighbours. */
static bool has_stray_braces(str_t text)
{
    for (size_t i = 0; i + 1 < text.n; i++)
        if (text.p[i] == '{' && (text.p[i + 1] == '{' || text.p[i + 1] == PREFIX[0])) return true;
    return false;
}

/* The steps after the tags are replaced; returns NULL with *out set, or why not (details in
 * err when it comes from the compiler). */
static const char *derive(deriver *d, str_t source, template_t **out, mc_error *err)
{
    template_loader wrapper = {load_replaced, NULL, d};
    template_t *whole = NULL;
    buf_t html = BUF_INIT, text = BUF_INIT, derived = BUF_INIT;
    index_list expected = {0}, got = {0};
    const char *why = NULL;
    if (template_compile(source, &wrapper, &whole, err) < 0)
        why = "the HTML template does not compile with its sections replaced";
    else if (d->unsafe)
        why = d->unsafe;
    else if (d->count > MAX_TAGS)
        why = "the template has too many tags";
    else if (template_render(whole, NULL, &html, NULL, err) < 0)
        why = "the HTML template does not render with its sections replaced";
    else if (has_pre(buf_view(&html)))
        why = "the template has preformatted text (<pre>)";
    else if (has_layout_marks(buf_view(&html)))
        why = "the template holds control characters";
    if (!why) {
        if (!html_to_text_layout(buf_view(&html), silent_word, &text))
            why = "a numbered list holds a section, so its numbers depend on the data";
        else if (has_stray_braces(buf_view(&text)))
            why = "the text holds braces that would read as tags";
        else if (!list_placeholders(d, buf_view(&html), &expected) ||
                 !list_placeholders(d, buf_view(&text), &got))
            why = "the template's text holds " PREFIX ", the start of the placeholders";
        else
            why = check_order(d, &expected, &got);
    }
    if (!why) {
        put_tags_back(d, buf_view(&text), &derived);
        if (template_compile(buf_view(&derived), NULL, out, err) < 0)
            why = "the derived text template does not compile";
    }
    template_free(whole);
    buf_free(&html);
    buf_free(&text);
    buf_free(&derived);
    free(expected.items);
    free(got.items);
    return why;
}

int text_template_derive(str_t html, const template_loader *loader, template_t **out, mc_error *err)
{
    *out = NULL;
    deriver d = {.inner = loader, .texts = BUF_INIT, .loaded = BUF_INIT, .opened = BUF_INIT};
    buf_t source = BUF_INIT;
    replace_tags(&d, html, &source);
    mc_error detail = {0};
    const char *why = derive(&d, buf_view(&source), out, &detail);
    buf_free(&source);
    buf_free(&d.texts);
    buf_free(&d.loaded);
    buf_free(&d.opened);
    free(d.tags);
    if (!why) return 0;
    if (detail.message[0])
        return mc_error_set(err, 422, "text_not_derived", "", "%s: %s", why, detail.message);
    return mc_error_set(err, 422, "text_not_derived", "", "%s", why);
}

/* ---- laying out what a derived template renders ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == HTML_TEXT_CONTENT;
}

static bool is_mark(char c)
{
    return c == HTML_TEXT_GAP1 || c == HTML_TEXT_GAP2 || c == HTML_TEXT_UNDERLINE;
}

/* the prefix of a paragraph's next lines: its quotes, then spaces where the rest was */
static void put_continuation(buf_t *out, str_t prefix)
{
    size_t quotes = 0;
    while (quotes + 1 < prefix.n && prefix.p[quotes] == '>' && prefix.p[quotes + 1] == ' ')
        quotes += 2;
    buf_append(out, prefix.p, quotes);
    for (size_t i = quotes; i < prefix.n; i++)
        buf_putc(out, ' ');
}

/* Writes one paragraph after newlines line ends, wrapped as html_to_text wraps it; returns
 * its width unwrapped (for an underline), 0 when it has no words and nothing was written. */
static size_t put_paragraph(buf_t *out, str_t prefix, str_t content, int newlines)
{
    size_t line_start = utf8_count(prefix.p, prefix.n), column = line_start, width = 0;
    bool first = true;
    for (size_t i = 0; i < content.n;) {
        size_t j = i;
        while (j < content.n && !is_space(content.p[j]))
            j++;
        size_t w = utf8_count(content.p + i, j - i);
        if (first && w) {
            for (int k = 0; k < newlines; k++)
                buf_putc(out, '\n');
            buf_append_str(out, prefix);
        } else if (w && column + 1 + w > WRAP_COLUMN) {
            buf_putc(out, '\n');
            put_continuation(out, prefix);
            column = line_start;
        } else if (w) {
            buf_putc(out, ' ');
            column++;
        }
        if (w) {
            buf_append(out, content.p + i, j - i);
            column += w;
            width += w + (first ? 0 : 1);
            first = false;
        }
        for (i = j; i < content.n && is_space(content.p[i]);)
            i++;
    }
    return width;
}

/* Writes content into out with its links shown as html_to_text shows them, now that their
 * text and address are known. */
static void resolve_links(str_t content, buf_t *out)
{
    buf_reset(out);
    size_t label_start = 0;
    for (size_t i = 0; i < content.n; i++) {
        char c = content.p[i];
        if (c == HTML_TEXT_LINK) {
            label_start = out->n;
        } else if (c == HTML_TEXT_ADDRESS) {
            const char *end = memchr(content.p + i, HTML_TEXT_LINK_END, content.n - i);
            size_t to = end ? (size_t)(end - content.p) : content.n;
            if (label_start > out->n) label_start = out->n;
            html_to_text_link_address(out, label_start, str_make(content.p + i + 1, to - i - 1));
            i = to;
            label_start = out->n;
        } else if (c != HTML_TEXT_LINK_END) {
            buf_putc(out, c);
        }
    }
}

void text_template_lay_out(str_t marked, buf_t *out)
{
    buf_t resolved = BUF_INIT;
    bool begun = false;
    int gap = 0;
    size_t last_width = 0; /* of the paragraph just written, for its underline */
    for (size_t i = 0; i < marked.n;) {
        char c = marked.p[i];
        if (c == HTML_TEXT_GAP1 || c == HTML_TEXT_GAP2) {
            int wanted = c == HTML_TEXT_GAP2 ? 2 : 1;
            if (wanted > gap) gap = wanted;
            last_width = 0;
            i++;
            continue;
        }
        if (c == HTML_TEXT_UNDERLINE) {
            char line = i + 1 < marked.n ? marked.p[i + 1] : '=';
            if (last_width) buf_putc(out, '\n');
            for (size_t k = 0; k < last_width && k < WRAP_COLUMN; k++)
                buf_putc(out, line);
            last_width = 0;
            i += 2;
            continue;
        }
        size_t end = i;
        while (end < marked.n && !is_mark(marked.p[end]))
            end++;
        const char *content = memchr(marked.p + i, HTML_TEXT_CONTENT, end - i);
        /* without the content mark it is what sections left between gaps: nothing to print */
        if (content) {
            str_t prefix = str_make(marked.p + i, (size_t)(content - marked.p) - i);
            str_t words = str_make(content + 1, (size_t)(marked.p + end - content) - 1);
            resolve_links(words, &resolved);
            last_width =
                put_paragraph(out, prefix, buf_view(&resolved), begun ? (gap ? gap : 1) : 0);
            if (last_width) {
                begun = true;
                gap = 0;
            }
        }
        i = end;
    }
    if (begun) buf_putc(out, '\n');
    buf_free(&resolved);
}

int text_template_render(const template_t *t, json_t *context, buf_t *scratch, buf_t *out,
                         mc_error *err)
{
    static const template_limits plain = {.plain_text = true};
    buf_reset(scratch);
    if (template_render(t, context, scratch, &plain, err) < 0) return -1;
    text_template_lay_out(buf_view(scratch), out);
    return 0;
}
