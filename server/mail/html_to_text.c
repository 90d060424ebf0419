/* Walks gumbo's tree and collects inline text into a paragraph buffer with collapsed white
 * space; each block element flushes the paragraph, wrapped, into the output. */
#include "mail/html_to_text.h"

#include <gumbo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"

#define WRAP_COLUMN   78
#define MAX_DEPTH     200
#define MAX_LIST_NEST 16

typedef struct {
    buf_t *out;
    buf_t para;         /* inline text of the current block, single spaces */
    bool pending_space; /* white space seen since the last character */
    int gap;            /* newlines wanted before the next block: 1 or 2 */
    bool in_pre;
    int quote_depth;
    char bullet[16]; /* marker for the next flushed block ("- ", "3. ") */
    int indent;      /* columns of list indentation */
    int list_depth;
    int counters[MAX_LIST_NEST]; /* 0 for <ul>, next number for <ol> */
    bool layout;                 /* the layout form (html_to_text_layout) */
    size_t (*silent)(const char *p, size_t n);
    size_t silent_seen;   /* silent comments walked so far */
    bool numbers_unknown; /* an ordered list holds silent comments: its numbers depend on data */
} text_state;

static size_t width_of(const char *s, size_t n)
{
    return utf8_count(s, n);
}

static void put_prefix(text_state *st, bool first_line, size_t *column)
{
    for (int i = 0; i < st->quote_depth; i++)
        buf_append(st->out, "> ", 2);
    *column = 2 * (size_t)st->quote_depth;
    size_t marker = strlen(st->bullet);
    size_t pad = (size_t)st->indent;
    if (marker && pad >= marker) pad -= marker;
    for (size_t i = 0; i < pad; i++)
        buf_putc(st->out, ' ');
    *column += pad;
    if (first_line) {
        buf_append_cstr(st->out, st->bullet);
    } else {
        for (size_t i = 0; i < marker; i++)
            buf_putc(st->out, ' ');
    }
    *column += marker;
}

/* true when p is made only of silent words separated by spaces */
static bool is_silent(const text_state *st, str_t p)
{
    if (!st->silent) return false;
    for (size_t i = 0; i < p.n;) {
        if (p.p[i] == ' ') {
            i++;
            continue;
        }
        size_t n = st->silent(p.p + i, p.n - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

static void put_gap_marker(text_state *st)
{
    if (st->gap > 0) buf_putc(st->out, st->gap > 1 ? HTML_TEXT_GAP2 : HTML_TEXT_GAP1);
}

/* The layout form of flush(): no wrapping, marks instead of line ends. Section tags alone
 * in a paragraph are written between a gap before them and the gap after them, so that the
 * gaps on both sides of a section merge as they would without its tags, however many times
 * it repeats (text_template_lay_out() keeps the largest of the gaps in a row). */
static bool flush_layout(text_state *st, str_t p, int gap_after)
{
    put_gap_marker(st);
    if (is_silent(st, p)) {
        /* without the spaces, which would otherwise run into the next paragraph's prefix */
        for (size_t i = 0; i < p.n; i++)
            if (p.p[i] != ' ') buf_putc(st->out, p.p[i]);
        /* this flush comes after the words in the HTML: its gap is theirs to open */
        st->gap = gap_after;
        return false;
    }
    size_t column;
    put_prefix(st, true, &column);
    buf_putc(st->out, HTML_TEXT_CONTENT);
    buf_append(st->out, p.p, p.n);
    st->bullet[0] = '\0';
    st->gap = gap_after;
    return true;
}

/* writes the paragraph with the wanted gap before it, wrapped at WRAP_COLUMN; returns
 * whether it printed words */
static bool flush(text_state *st, int gap_after)
{
    str_t p = buf_view(&st->para);
    while (p.n && p.p[p.n - 1] == ' ')
        p.n--;
    bool printed = false;
    if (p.n > 0 && st->layout) {
        printed = flush_layout(st, p, gap_after);
    } else if (p.n > 0) {
        printed = true;
        if (st->out->n > 0)
            for (int i = 0; i < st->gap; i++)
                buf_putc(st->out, '\n');
        size_t column;
        put_prefix(st, true, &column);
        size_t line_start_column = column;
        size_t i = 0;
        if (st->in_pre) { /* preformatted: as written, no wrapping */
            buf_append(st->out, p.p, p.n);
            i = p.n;
        }
        while (i < p.n) {
            size_t j = i;
            while (j < p.n && p.p[j] != ' ')
                j++;
            size_t w = width_of(p.p + i, j - i);
            if (column > line_start_column && column + 1 + w > WRAP_COLUMN) {
                buf_putc(st->out, '\n');
                put_prefix(st, false, &column);
            } else if (column > line_start_column) {
                buf_putc(st->out, ' ');
                column++;
            }
            buf_append(st->out, p.p + i, j - i);
            column += w;
            i = j < p.n ? j + 1 : j;
        }
        st->bullet[0] = '\0';
        st->gap = gap_after;
    } else if (gap_after > st->gap) {
        st->gap = gap_after;
    }
    buf_reset(&st->para);
    st->pending_space = false;
    return printed;
}

static void add_text(text_state *st, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (st->in_pre && c == '\n') {
            flush(st, 1);
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (st->in_pre) {
                buf_putc(&st->para, ' '); /* preformatted spacing is kept */
            } else if (st->para.n) {
                st->pending_space = true;
            }
            continue;
        }
        if (st->pending_space) {
            buf_putc(&st->para, ' ');
            st->pending_space = false;
        }
        buf_putc(&st->para, c);
    }
}

static const char *attribute(const GumboElement *e, const char *name)
{
    const GumboAttribute *a = gumbo_get_attribute(&e->attributes, name);
    return a ? a->value : NULL;
}

static bool is_block(GumboTag tag)
{
    switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
        return true;
    default:
        return false;
    }
}

static void walk(text_state *st, const GumboNode *node, int depth);

static void walk_children(text_state *st, const GumboElement *e, int depth)
{
    for (unsigned i = 0; i < e->children.length; i++)
        walk(st, e->children.data[i], depth + 1);
}

static void underline(text_state *st, size_t para_width, char c)
{
    if (para_width == 0) return;
    if (st->layout) { /* its width is known once the values are in */
        buf_putc(st->out, HTML_TEXT_UNDERLINE);
        buf_putc(st->out, c);
        return;
    }
    if (para_width > WRAP_COLUMN) para_width = WRAP_COLUMN;
    buf_putc(st->out, '\n');
    for (size_t i = 0; i < para_width; i++)
        buf_putc(st->out, c);
}

void html_to_text_link_address(buf_t *text, size_t label_start, str_t href)
{
    str_t url = href;
    while (url.n && url.p[0] == ' ')
        url = str_make(url.p + 1, url.n - 1);
    while (url.n && url.p[url.n - 1] == ' ')
        url.n--;
    if (url.n == 0 || url.p[0] == '#' || str_has_prefix(url, STR_LIT("javascript:"))) return;
    str_t label = str_make(text->p ? text->p + label_start : "", text->n - label_start);
    label = str_trim(label);
    str_t shown = url;
    if (str_has_prefix(url, STR_LIT("mailto:"))) shown = str_make(url.p + 7, url.n - 7);
    if (str_eq(label, url) || str_eq(label, shown)) return;
    if (label.n)
        buf_append(text, " (", 2);
    else if (text->n && text->p[text->n - 1] != ' ')
        buf_putc(text, ' ');
    buf_append_str(text, shown);
    if (label.n) buf_putc(text, ')');
}

static void walk_link(text_state *st, const GumboElement *e, int depth)
{
    const char *href = attribute(e, "href");
    if (st->layout && href) { /* the text and the address are known once the values are in */
        buf_putc(&st->para, HTML_TEXT_LINK);
        walk_children(st, e, depth);
        buf_putc(&st->para, HTML_TEXT_ADDRESS);
        buf_append_cstr(&st->para, href);
        buf_putc(&st->para, HTML_TEXT_LINK_END);
        return;
    }
    size_t before = st->para.n;
    walk_children(st, e, depth);
    if (href) html_to_text_link_address(&st->para, before, str_from_cstr(href));
}

static void walk_list(text_state *st, const GumboElement *e, int depth, bool ordered)
{
    flush(st, st->list_depth ? 1 : 2);
    if (st->list_depth < MAX_LIST_NEST) {
        const char *start = ordered ? attribute(e, "start") : NULL;
        st->counters[st->list_depth] = ordered ? (start ? atoi(start) : 1) : 0;
        if (ordered && st->counters[st->list_depth] < 0) st->counters[st->list_depth] = 1;
    }
    st->list_depth++;
    size_t silent_before = st->silent_seen;
    walk_children(st, e, depth);
    if (ordered && st->silent_seen != silent_before) st->numbers_unknown = true;
    flush(st, 2);
    st->list_depth--;
    if (st->list_depth > 0) st->gap = 1;
}

static void walk_list_item(text_state *st, const GumboElement *e, int depth)
{
    flush(st, 1);
    int level = st->list_depth > 0 ? st->list_depth - 1 : 0;
    if (level >= MAX_LIST_NEST) level = MAX_LIST_NEST - 1;
    int saved_indent = st->indent;
    if (st->list_depth > 0 && st->counters[level] > 0)
        snprintf(st->bullet, sizeof st->bullet, "%d. ", st->counters[level]++);
    else
        snprintf(st->bullet, sizeof st->bullet, "- ");
    st->indent = 3 * level + (int)strlen(st->bullet);
    walk_children(st, e, depth);
    flush(st, 1);
    st->indent = saved_indent;
}

static bool is_css_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* true when the inline style declares display: none (any case and spacing, "!important"
 * allowed): such an element, a preheader's filler for one, is not shown, so it has no text */
static bool hidden_by_style(const GumboElement *e)
{
    const char *style = attribute(e, "style");
    if (!style) return false;
    for (const char *p = style; (p = strcasestr(p, "display"));) {
        /* a property name of its own, not the end of another ("mso-display") */
        bool starts = p == style || p[-1] == ';' || is_css_space(p[-1]);
        p += 7;
        if (!starts) continue;
        while (is_css_space(*p))
            p++;
        if (*p != ':') continue;
        p++;
        while (is_css_space(*p))
            p++;
        if (strncasecmp(p, "none", 4)) continue;
        p += 4;
        while (is_css_space(*p))
            p++;
        if (*p == '\0' || *p == ';' || *p == '!') return true;
    }
    return false;
}

static void walk_element(text_state *st, const GumboElement *e, int depth)
{
    if (hidden_by_style(e)) return;
    switch (e->tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
        return;
    case GUMBO_TAG_BR:
        flush(st, 1);
        st->gap = st->gap > 1 ? st->gap : 1;
        return;
    case GUMBO_TAG_HR:
        flush(st, 2);
        add_text(st, "----------------------------------------", 40);
        flush(st, 2);
        return;
    case GUMBO_TAG_IMG: {
        const char *alt = attribute(e, "alt");
        if (alt && *alt) {
            add_text(st, " ", 1);
            add_text(st, alt, strlen(alt));
            add_text(st, " ", 1);
        }
        return;
    }
    case GUMBO_TAG_A:
        walk_link(st, e, depth);
        return;
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
        walk_list(st, e, depth, e->tag == GUMBO_TAG_OL);
        return;
    case GUMBO_TAG_LI:
        walk_list_item(st, e, depth);
        return;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6: {
        flush(st, 2);
        walk_children(st, e, depth);
        str_t p = str_trim(buf_view(&st->para));
        size_t width = utf8_count(p.p ? p.p : "", p.n);
        if (!flush(st, 2)) width = 0;
        if (e->tag == GUMBO_TAG_H1) underline(st, width, '=');
        if (e->tag == GUMBO_TAG_H2) underline(st, width, '-');
        return;
    }
    case GUMBO_TAG_BLOCKQUOTE:
        flush(st, 2);
        st->quote_depth++;
        walk_children(st, e, depth);
        flush(st, 2);
        st->quote_depth--;
        return;
    case GUMBO_TAG_PRE: {
        flush(st, 2);
        st->in_pre = true;
        walk_children(st, e, depth);
        flush(st, 2);
        st->in_pre = false;
        return;
    }
    case GUMBO_TAG_TR:
        flush(st, 1);
        walk_children(st, e, depth);
        flush(st, 1);
        return;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
        add_text(st, " ", 1);
        walk_children(st, e, depth);
        add_text(st, " ", 1);
        return;
    default:
        break;
    }
    if (is_block(e->tag)) {
        flush(st, 2);
        walk_children(st, e, depth);
        flush(st, 2);
    } else {
        walk_children(st, e, depth);
    }
}

static void walk(text_state *st, const GumboNode *node, int depth)
{
    if (depth > MAX_DEPTH) return; /* pathological nesting: keep the stack bounded */
    switch (node->type) {
    case GUMBO_NODE_DOCUMENT:
        for (unsigned i = 0; i < node->v.document.children.length; i++)
            walk(st, node->v.document.children.data[i], depth + 1);
        break;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
        walk_element(st, &node->v.element, depth);
        break;
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
    case GUMBO_NODE_CDATA:
        add_text(st, node->v.text.text, strlen(node->v.text.text));
        break;
    case GUMBO_NODE_COMMENT: {
        /* the layout form's section tags come as comments: they stay where they are */
        const char *text = node->v.text.text;
        size_t n = strlen(text);
        if (st->silent && n && st->silent(text, n) == n) {
            add_text(st, text, n);
            st->silent_seen++;
        }
        break;
    }
    }
}

static void convert(str_t html, text_state *st, buf_t *out)
{
    GumboOptions options = kGumboDefaultOptions;
    GumboOutput *tree = gumbo_parse_with_options(&options, html.p ? html.p : "", html.n);
    st->para = BUF_INIT;
    st->gap = 2;
    buf_t own = BUF_INIT;
    /* write into a fresh buffer so "out->n > 0" means "this text has begun" */
    st->out = &own;
    /* from the document: comments before <html> are section tags in the layout form */
    walk(st, tree->document, 0);
    flush(st, 1);
    if (own.n && !st->layout) buf_putc(&own, '\n');
    buf_append(out, own.p ? own.p : "", own.n);
    buf_free(&own);
    buf_free(&st->para);
    gumbo_destroy_output(&options, tree);
}

void html_to_text(str_t html, buf_t *out)
{
    text_state st = {0};
    convert(html, &st, out);
}

bool html_to_text_layout(str_t html, size_t (*silent)(const char *p, size_t n), buf_t *out)
{
    text_state st = {.layout = true, .silent = silent};
    convert(html, &st, out);
    return !st.numbers_unknown;
}
