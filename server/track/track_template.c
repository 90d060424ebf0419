/* Marking a template's links at compile time (gumbo over each source as written), the markers'
 * syntax, and matching a rendered URL against the href it came from. */
#include "track/track_template.h"

#include <gumbo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "core/alloc.h"
#include "track/track_rewrite.h"

#define MAX_DEPTH   400
#define NONCE_CHARS 16
#define MARK_START  '\x1e'
#define MARK_END    '\x1f'

struct track_template {
    buf_t links;  /* the hrefs as written, one after the other */
    size_t *ends; /* where each ends in links */
    bool *tags;   /* whether each has Mustache tags */
    size_t count;
    char why[200]; /* "" while usable */
    template_loader inner;
};

/* ---- markers ---- */

static char nonce[NONCE_CHARS + 1];
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;

/* one per process: a value a subscriber writes cannot hold it but by guessing 64 bits */
static void nonce_init(void)
{
    unsigned char raw[NONCE_CHARS / 2] = {0};
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* no entropy yet: the address of a stack variable and the time still differ per run */
        unsigned long long mix = (unsigned long long)(uintptr_t)&raw ^ (unsigned long long)clock();
        memcpy(raw, &mix, sizeof raw < sizeof mix ? sizeof raw : sizeof mix);
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        nonce[2 * i] = hex[raw[i] >> 4];
        nonce[2 * i + 1] = hex[raw[i] & 15];
    }
}

static const char *marker_nonce(void)
{
    pthread_once(&nonce_once, nonce_init);
    return nonce;
}

bool track_mark_next(str_t html, size_t from, track_mark *m)
{
    const char *n = marker_nonce();
    while (from < html.n) {
        const char *hit = memchr(html.p + from, MARK_START, html.n - from);
        if (!hit) return false;
        size_t at = (size_t)(hit - html.p), rest = html.n - at - 1;
        const char *p = hit + 1;
        if (rest >= NONCE_CHARS + 2 && (p[0] == '/' || p[0] == '!') &&
            !memcmp(p + 1, n, NONCE_CHARS) && p[NONCE_CHARS + 1] == MARK_END) {
            *m = (track_mark){p[0] == '/' ? TRACK_MARK_CLOSE : TRACK_MARK_BODY, at, NONCE_CHARS + 3,
                              0};
            return true;
        }
        if (rest >= NONCE_CHARS + 2 && !memcmp(p, n, NONCE_CHARS)) {
            size_t link = 0, i = NONCE_CHARS;
            while (i < rest && i < NONCE_CHARS + 9 && p[i] >= '0' && p[i] <= '9')
                link = link * 10 + (size_t)(p[i++] - '0');
            if (i > NONCE_CHARS && i < rest && p[i] == MARK_END) {
                *m = (track_mark){TRACK_MARK_OPEN, at, i + 2, link};
                return true;
            }
        }
        from = at + 1;
    }
    return false;
}

void track_marks_strip(str_t html, buf_t *out)
{
    size_t copied = 0;
    track_mark m;
    while (track_mark_next(html, copied, &m)) {
        buf_append(out, html.p + copied, m.at - copied);
        copied = m.at + m.len;
    }
    buf_append(out, html.p + copied, html.n - copied);
}

/* ---- the links ---- */

track_template *track_template_new(void)
{
    return xcalloc(1, sizeof(track_template));
}

void track_template_free(track_template *tt)
{
    if (!tt) return;
    buf_free(&tt->links);
    free(tt->ends);
    free(tt->tags);
    free(tt);
}

bool track_template_usable(const track_template *tt)
{
    return !tt->why[0];
}

const char *track_template_why(const track_template *tt)
{
    return tt->why;
}

size_t track_template_link_count(const track_template *tt)
{
    return tt->count;
}

str_t track_template_link(const track_template *tt, size_t i)
{
    size_t start = i ? tt->ends[i - 1] : 0;
    return str_make(tt->links.p + start, tt->ends[i] - start);
}

bool track_template_link_has_tags(const track_template *tt, size_t i)
{
    return tt->tags[i];
}

bool track_has_tags(str_t s)
{
    return s.n >= 2 && memmem(s.p, s.n, "{{", 2) != NULL;
}

static void unusable(track_template *tt, const char *why)
{
    if (!tt->why[0]) snprintf(tt->why, sizeof tt->why, "%s", why);
}

/* returns the index of href, added when new */
static size_t link_index(track_template *tt, str_t href)
{
    for (size_t i = 0; i < tt->count; i++)
        if (str_eq(track_template_link(tt, i), href)) return i;
    tt->ends = xrealloc(tt->ends, (tt->count + 1) * sizeof *tt->ends);
    tt->tags = xrealloc(tt->tags, (tt->count + 1) * sizeof *tt->tags);
    buf_append_str(&tt->links, href);
    tt->ends[tt->count] = tt->links.n;
    tt->tags[tt->count] = track_has_tags(href);
    return tt->count++;
}

/* a place to mark in one source: an href's value as written (quotes included), or the closing
 * body tag (len 0, link SIZE_MAX) */
typedef struct {
    size_t at, len, link;
} spot;

typedef struct {
    track_template *tt;
    str_t source;
    spot *spots;
    size_t count, cap;
    /* the Mustache tags of the source: [at, end) pairs, and whether each holds "<" or ">" */
    size_t *tag_spans;
    bool *tag_angles;
    size_t tag_count;
} mark_state;

static void add_spot(mark_state *st, size_t at, size_t len, size_t link)
{
    if (st->count == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->spots = xrealloc(st->spots, st->cap * sizeof *st->spots);
    }
    st->spots[st->count++] = (spot){at, len, link};
}

/* true when [at, at + len) cuts a Mustache tag or sits inside one (an href written in a
 * filter's argument, say): markers there would change the tag */
static bool cuts_a_tag(const mark_state *st, size_t at, size_t len)
{
    for (size_t i = 0; i < st->tag_count; i++) {
        size_t start = st->tag_spans[2 * i], end = st->tag_spans[2 * i + 1];
        bool outside = end <= at || start >= at + len;
        bool inside = start >= at && end <= at + len && len > 0;
        if (!outside && !inside) return true;
        /* gumbo read the source with these brackets blanked out (see track_template_mark) */
        if (inside && st->tag_angles[i]) return true;
    }
    return false;
}

static bool has_prefix_nocase(str_t s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.n >= n && strncasecmp(s.p, prefix, n) == 0;
}

/* whether s could begin a URL that starts with prefix (s is shorter, or starts with it) */
static bool may_start(str_t s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncasecmp(s.p, prefix, s.n < n ? s.n : n) == 0;
}

static str_t trim_spaces(str_t s)
{
    while (s.n && strchr(" \t\n\r\f", s.p[0]))
        s = str_make(s.p + 1, s.n - 1);
    while (s.n && strchr(" \t\n\r\f", s.p[s.n - 1]))
        s.n--;
    return s;
}

/* the unsubscribe (preferences) placeholder, which tracking leaves alone */
static bool is_unsubscribe_placeholder(str_t href)
{
    if (href.n < 4 || memcmp(href.p, "{{", 2) || memcmp(href.p + href.n - 2, "}}", 2)) return false;
    return str_eq_cstr(trim_spaces(str_make(href.p + 2, href.n - 4)), "unsubscribe_url");
}

/* Whether an href (decoded, trimmed) may render to a tracked link: an http(s) URL, or a value
 * with tags whose literal start may still become one. */
static bool may_track(str_t href)
{
    const char *tag = href.n >= 2 ? memmem(href.p, href.n, "{{", 2) : NULL;
    if (!tag) return has_prefix_nocase(href, "http://") || has_prefix_nocase(href, "https://");
    if (is_unsubscribe_placeholder(href)) return false;
    str_t literal = str_make(href.p, (size_t)(tag - href.p));
    return may_start(literal, "http://") || may_start(literal, "https://");
}

static void visit_element(mark_state *st, const GumboElement *e)
{
    /* the name as written: after "<", up to white space, "/" or ">" */
    size_t name_end = 1;
    while (name_end < e->original_tag.length &&
           !strchr(" \t\n\r\f/>", e->original_tag.data[name_end]))
        name_end++;
    if (e->original_tag.length && memmem(e->original_tag.data, name_end, "{", 1) != NULL)
        unusable(st->tt, "a Mustache tag is written inside an HTML tag's name");
    for (unsigned i = 0; i < e->attributes.length; i++) {
        const GumboAttribute *a = e->attributes.data[i];
        str_t name = str_make(a->original_name.data, a->original_name.length);
        str_t value = str_make(a->original_value.data, a->original_value.length);
        if (memmem(name.p, name.n, "{{", 2) || memmem(name.p, name.n, "}}", 2))
            unusable(st->tt, "a Mustache tag is written among an HTML tag's attributes");
        /* a rendered value may hold spaces, and without quotes they would start attributes */
        if (value.n && value.p[0] != '"' && value.p[0] != '\'' && track_has_tags(value))
            unusable(st->tt, "an attribute value with a Mustache tag is not quoted");
    }
    if (e->tag != GUMBO_TAG_A && e->tag != GUMBO_TAG_AREA) return;
    if (gumbo_get_attribute(&e->attributes, "data-notrack")) return;
    const GumboAttribute *href = gumbo_get_attribute(&e->attributes, "href");
    if (!href || !href->original_value.length) return;
    str_t value = trim_spaces(str_from_cstr(href->value));
    if (!may_track(value)) return;
    if (value.n > TRACK_URL_MAX) {
        /* a literal one is left alone by either path; one with tags may render shorter */
        if (track_has_tags(value)) unusable(st->tt, "a personalized link is too long");
        return;
    }
    size_t at = (size_t)(href->original_value.data - st->source.p);
    if (cuts_a_tag(st, at, href->original_value.length)) {
        unusable(st->tt, "a link is written inside a Mustache tag");
        return;
    }
    add_spot(st, at, href->original_value.length, link_index(st->tt, value));
}

static void walk(mark_state *st, const GumboNode *node, int depth)
{
    if (depth > MAX_DEPTH || node->type != GUMBO_NODE_ELEMENT) return;
    const GumboElement *e = &node->v.element;
    visit_element(st, e);
    for (unsigned i = 0; i < e->children.length; i++)
        walk(st, e->children.data[i], depth + 1);
}

/* collects the [start, end) of every Mustache tag of the source */
static void find_tags(mark_state *st)
{
    str_t s = st->source;
    for (size_t at = 0; at + 1 < s.n;) {
        const char *open = memmem(s.p + at, s.n - at, "{{", 2);
        if (!open) break;
        size_t start = (size_t)(open - s.p);
        const char *close = memmem(s.p + start + 2, s.n - start - 2, "}}", 2);
        size_t end = close ? (size_t)(close - s.p) + 2 : s.n;
        /* a triple mustache's third brace */
        if (end < s.n && s.p[end] == '}') end++;
        st->tag_spans = xrealloc(st->tag_spans, (st->tag_count + 1) * 2 * sizeof *st->tag_spans);
        st->tag_angles = xrealloc(st->tag_angles, (st->tag_count + 1) * sizeof *st->tag_angles);
        st->tag_angles[st->tag_count] = memchr(s.p + start, '<', end - start) != NULL ||
                                        memchr(s.p + start, '>', end - start) != NULL;
        st->tag_spans[2 * st->tag_count] = start;
        st->tag_spans[2 * st->tag_count + 1] = end;
        st->tag_count++;
        at = end;
    }
}

static int by_place(const void *a, const void *b)
{
    const spot *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

void track_template_mark(track_template *tt, str_t source, buf_t *out)
{
    /* values gumbo cannot see before rendering: unescaped ones may hold whole links, and other
     * delimiters hide the tags from the checks below */
    if (memmem(source.p, source.n, "{{{", 3) || memmem(source.p, source.n, "{{&", 3))
        unusable(tt, "it prints unescaped values ({{{ }}} or {{& }}), which may hold links");
    if (memmem(source.p, source.n, "{{=", 3)) unusable(tt, "it changes the Mustache delimiters");
    mark_state st = {.tt = tt, .source = source};
    find_tags(&st);
    /* gumbo reads the source with the brackets of Mustache tags blanked out: "{{<layout}}"
     * and "{{>footer}}" are no HTML; every offset stays the same */
    char *blanked = xmalloc(source.n + 1);
    memcpy(blanked, source.p, source.n);
    blanked[source.n] = '\0';
    for (size_t i = 0; i < st.tag_count; i++)
        for (size_t k = st.tag_spans[2 * i]; k < st.tag_spans[2 * i + 1]; k++)
            if (blanked[k] == '<' || blanked[k] == '>') blanked[k] = '_';
    st.source = str_make(blanked, source.n);
    arena_t arena = {NULL, 65536};
    const GumboOutput *doc = track_html_parse(st.source, &arena);
    walk(&st, doc->root, 0);
    size_t body = track_html_body_end(doc, st.source);
    if (body < source.n) {
        if (cuts_a_tag(&st, body, 0))
            unusable(tt, "the closing body tag is written inside a Mustache tag");
        else
            add_spot(&st, body, 0, SIZE_MAX);
    }
    arena_free(&arena);
    if (st.count) qsort(st.spots, st.count, sizeof *st.spots, by_place);
    const char *n = marker_nonce();
    size_t copied = 0;
    for (size_t i = 0; i < st.count; i++) {
        const spot *s = &st.spots[i];
        /* an element gumbo cloned (misnested formatting) has the same attribute again */
        if (s->at < copied || (i && s->at == st.spots[i - 1].at)) continue;
        buf_append(out, source.p + copied, s->at - copied);
        if (s->link == SIZE_MAX) {
            buf_appendf(out, "%c!%s%c", MARK_START, n, MARK_END);
            copied = s->at;
            continue;
        }
        buf_appendf(out, "%c%s%zu%c", MARK_START, n, s->link, MARK_END);
        buf_append(out, source.p + s->at, s->len);
        buf_appendf(out, "%c/%s%c", MARK_START, n, MARK_END);
        copied = s->at + s->len;
    }
    buf_append(out, source.p + copied, source.n - copied);
    free(st.spots);
    free(st.tag_spans);
    free(st.tag_angles);
    free(blanked);
}

static bool load_marked(void *ctx, str_t name, buf_t *out)
{
    track_template *tt = ctx;
    buf_t raw = BUF_INIT;
    bool found = tt->inner.load(tt->inner.ctx, name, &raw);
    if (found) track_template_mark(tt, buf_view(&raw), out);
    buf_free(&raw);
    return found;
}

static void list_inner(void *ctx, void (*each)(void *acc, str_t name), void *acc)
{
    track_template *tt = ctx;
    tt->inner.list(tt->inner.ctx, each, acc);
}

template_loader track_template_loader(track_template *tt, const template_loader *inner)
{
    tt->inner = *inner;
    return (template_loader){load_marked, inner->list ? list_inner : NULL, tt};
}

/* ---- gumbo ---- */

static void *arena_allocate(void *arena, size_t n)
{
    return arena_alloc(arena, n);
}

static void arena_deallocate(void *arena, void *p)
{
    (void)arena;
    (void)p;
}

struct GumboInternalOutput *track_html_parse(str_t html, arena_t *arena)
{
    GumboOptions options = kGumboDefaultOptions;
    options.allocator = arena_allocate;
    options.deallocator = arena_deallocate;
    options.userdata = arena;
    options.max_errors = 0; /* a mail's HTML has many; none is needed here */
    return gumbo_parse_with_options(&options, html.p, html.n);
}

size_t track_html_body_end(const struct GumboInternalOutput *doc, str_t html)
{
    const GumboElement *root = &doc->root->v.element;
    for (unsigned i = 0; i < root->children.length; i++) {
        const GumboNode *child = root->children.data[i];
        if (child->type != GUMBO_NODE_ELEMENT || child->v.element.tag != GUMBO_TAG_BODY) continue;
        const GumboStringPiece *end = &child->v.element.original_end_tag;
        if (end->length && end->data >= html.p && end->data <= html.p + html.n)
            return (size_t)(end->data - html.p);
    }
    return html.n;
}

/* ---- matching ---- */

void track_link_pattern_ends(str_t pattern, size_t *start, size_t *end)
{
    const char *first = track_has_tags(pattern) ? memmem(pattern.p, pattern.n, "{{", 2) : NULL;
    *start = *end = pattern.n;
    if (!first) return;
    *start = (size_t)(first - pattern.p);
    *end = 0;
    int depth = 0;
    for (const char *tag = first; tag;) {
        const char *close = memmem(tag + 2, (size_t)(pattern.p + pattern.n - tag - 2), "}}", 2);
        if (!close) return;
        char sigil = tag[2];
        if (sigil == '#' || sigil == '^' || sigil == '$' || sigil == '<')
            depth++;
        else if (sigil == '/' && depth)
            depth--;
        size_t after = (size_t)(close - pattern.p) + 2;
        tag = after + 2 <= pattern.n ? memmem(pattern.p + after, pattern.n - after, "{{", 2) : NULL;
        if (!tag) *end = depth ? 0 : pattern.n - after;
    }
}

bool track_link_pattern_matches(str_t pattern, str_t url)
{
    size_t p = 0, u = 0;
    int depth = 0; /* inside a section or block: its text is part of the tag */
    for (bool first = true;; first = false) {
        const char *tag = p + 2 <= pattern.n ? memmem(pattern.p + p, pattern.n - p, "{{", 2) : NULL;
        size_t end = tag ? (size_t)(tag - pattern.p) : pattern.n;
        str_t piece = str_make(pattern.p + p, end - p);
        if (first && !tag) return str_eq(piece, url);
        if (depth == 0 && first) {
            if (!str_has_prefix(url, piece)) return false;
            u = piece.n;
        } else if (depth == 0 && !tag) {
            return url.n - u >= piece.n && !memcmp(url.p + url.n - piece.n, piece.p, piece.n);
        } else if (depth == 0 && piece.n) {
            const char *found = u < url.n ? memmem(url.p + u, url.n - u, piece.p, piece.n) : NULL;
            if (!found) return false;
            u = (size_t)(found - url.p) + piece.n;
        }
        if (!tag) return true;
        const char *close = memmem(tag + 2, (size_t)(pattern.p + pattern.n - tag - 2), "}}", 2);
        if (!close) return false;
        char sigil = tag[2];
        if (sigil == '#' || sigil == '^' || sigil == '$' || sigil == '<')
            depth++;
        else if (sigil == '/' && depth)
            depth--;
        p = (size_t)(close - pattern.p) + 2;
    }
}
