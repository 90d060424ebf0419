/* gumbo gives each href's value as written (quotes included) and where it sits in the
 * rendered HTML; the click URLs are spliced in at those places, in source order, and the rest
 * of the message is copied as it is. */
#include "track/track_rewrite.h"

#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/arena.h"

#define MAX_DEPTH 400

typedef struct {
    size_t at, len;  /* the bytes of the HTML replaced */
    size_t from, to; /* the replacement, in edits.text */
} edit;

typedef struct {
    edit *items;
    size_t n, cap;
    buf_t text;
} edits;

/* an href to replace: where its value is written and which distinct URL it holds */
typedef struct {
    size_t at, len, url;
} pending_link;

typedef struct {
    const track_rewrite_options *o;
    str_t html;
    pending_link *links;
    size_t link_count, link_cap;
    buf_t urls;       /* the distinct URLs, one after the other */
    size_t *url_ends; /* where each ends in urls */
    size_t url_count;
} walk_state;

void track_url_map_free(track_url_map *map)
{
    buf_free(&map->text);
    free(map->offs);
    memset(map, 0, sizeof *map);
}

static void map_reset(track_url_map *map)
{
    buf_reset(&map->text);
    map->count = 0;
}

static str_t map_original(const track_url_map *map, size_t i)
{
    return str_make(map->text.p + map->offs[2 * i], map->offs[2 * i + 1] - map->offs[2 * i]);
}

static str_t map_click(const track_url_map *map, size_t i)
{
    return str_make(map->text.p + map->offs[2 * i + 1],
                    map->offs[2 * i + 2] - map->offs[2 * i + 1]);
}

static void map_add(track_url_map *map, str_t original, str_t click)
{
    for (size_t i = 0; i < map->count; i++)
        if (str_eq(map_original(map, i), original)) return;
    if (2 * map->count + 3 > map->cap) {
        map->cap = map->cap ? map->cap * 2 : 16;
        map->offs = xrealloc(map->offs, map->cap * sizeof *map->offs);
    }
    if (map->count == 0) map->offs[0] = map->text.n;
    buf_append_str(&map->text, original);
    map->offs[2 * map->count + 1] = map->text.n;
    buf_append_str(&map->text, click);
    map->offs[2 * map->count + 2] = map->text.n;
    map->count++;
}

static void add_edit(edits *e, size_t at, size_t len, str_t replacement)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->items = xrealloc(e->items, e->cap * sizeof *e->items);
    }
    size_t from = e->text.n;
    buf_append_str(&e->text, replacement);
    e->items[e->n++] = (edit){at, len, from, e->text.n};
}

static bool has_prefix_nocase(str_t s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.n >= n && strncasecmp(s.p, prefix, n) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static str_t trim_spaces(str_t s)
{
    while (s.n && is_space(s.p[0]))
        s = str_make(s.p + 1, s.n - 1);
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* true when url is one that tracking leaves alone */
static bool kept(const track_rewrite_options *o, str_t url)
{
    if (!has_prefix_nocase(url, "http://") && !has_prefix_nocase(url, "https://")) return true;
    if (url.n > TRACK_URL_MAX) return true;
    for (size_t i = 0; i < o->keep_count; i++)
        if (o->keep_prefixes[i].n && str_has_prefix(url, o->keep_prefixes[i])) return true;
    /* already a tracking URL of ours (a layout written with one, or a forwarded message) */
    if (str_has_prefix(url, o->public_url) && url.n > o->public_url.n + 3 &&
        !memcmp(url.p + o->public_url.n, "/t/", 3))
        return true;
    return false;
}

static void click_url(const track_rewrite_options *o, long long link_id, buf_t *out)
{
    track_token t = o->message;
    t.kind = TRACK_CLICK;
    t.link_id = link_id;
    char token[TRACK_TOKEN_MAX];
    track_token_make(o->secret, &t, token);
    buf_reset(out);
    buf_append_str(out, o->public_url);
    buf_append_cstr(out, "/t/c/");
    buf_append_cstr(out, token);
}

static str_t url_at(const walk_state *st, size_t i)
{
    size_t start = i ? st->url_ends[i - 1] : 0;
    return str_make(st->urls.p + start, st->url_ends[i] - start);
}

/* returns the index of url among the distinct URLs, adding it when new */
static size_t url_index(walk_state *st, str_t url)
{
    for (size_t i = 0; i < st->url_count; i++)
        if (str_eq(url_at(st, i), url)) return i;
    st->url_ends = xrealloc(st->url_ends, (st->url_count + 1) * sizeof *st->url_ends);
    buf_append_str(&st->urls, url);
    st->url_ends[st->url_count] = st->urls.n;
    return st->url_count++;
}

static void visit_link(walk_state *st, const GumboElement *e)
{
    if (gumbo_get_attribute(&e->attributes, "data-notrack")) return;
    const GumboAttribute *href = gumbo_get_attribute(&e->attributes, "href");
    if (!href || !href->original_value.length) return;
    /* only a value as written in this HTML can be replaced in it */
    if (href->original_value.data < st->html.p ||
        href->original_value.data + href->original_value.length > st->html.p + st->html.n)
        return;
    str_t url = trim_spaces(str_from_cstr(href->value));
    if (kept(st->o, url)) return;
    if (st->link_count == st->link_cap) {
        st->link_cap = st->link_cap ? st->link_cap * 2 : 16;
        st->links = xrealloc(st->links, st->link_cap * sizeof *st->links);
    }
    st->links[st->link_count++] = (pending_link){(size_t)(href->original_value.data - st->html.p),
                                                 href->original_value.length, url_index(st, url)};
}

static void walk(walk_state *st, const GumboNode *node, int depth)
{
    if (depth > MAX_DEPTH || node->type != GUMBO_NODE_ELEMENT) return;
    const GumboElement *e = &node->v.element;
    if (st->o->clicks && (e->tag == GUMBO_TAG_A || e->tag == GUMBO_TAG_AREA)) visit_link(st, e);
    for (unsigned i = 0; i < e->children.length; i++)
        walk(st, e->children.data[i], depth + 1);
}

/* Gets the ids of every distinct URL at once and adds an edit per link: the click URL, in
 * double quotes (the value as written may have had none; a click URL needs no escaping).
 * returns 0 or -1 with err from the callback. */
static int replace_links(walk_state *st, edits *out, track_url_map *map, mc_error *err)
{
    if (!st->url_count) return 0;
    str_t *urls = xcalloc(st->url_count, sizeof *urls);
    long long *ids = xcalloc(st->url_count, sizeof *ids);
    for (size_t i = 0; i < st->url_count; i++)
        urls[i] = url_at(st, i);
    int rc = st->o->link_ids(st->o->link_arg, urls, st->url_count, ids, err);
    buf_t click = BUF_INIT, quoted = BUF_INIT;
    for (size_t i = 0; rc == 0 && i < st->url_count; i++) {
        click_url(st->o, ids[i], &click);
        map_add(map, urls[i], buf_view(&click));
    }
    for (size_t i = 0; rc == 0 && i < st->link_count; i++) {
        const pending_link *l = &st->links[i];
        buf_reset(&quoted);
        buf_putc(&quoted, '"');
        buf_append_str(&quoted, map_click(map, l->url));
        buf_putc(&quoted, '"');
        add_edit(out, l->at, l->len, buf_view(&quoted));
    }
    buf_free(&click);
    buf_free(&quoted);
    free(urls);
    free(ids);
    return rc;
}

/* returns where the pixel goes: before the closing tag of body as written, else the end */
static size_t pixel_offset(const GumboOutput *doc, str_t html)
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

/* gumbo allocates every node and string on its own: from an arena, freed at once, it parses
 * a newsletter in a fraction of the time malloc takes */
static void *arena_allocate(void *arena, size_t n)
{
    return arena_alloc(arena, n);
}

static void arena_deallocate(void *arena, void *p)
{
    (void)arena;
    (void)p;
}

static int by_offset(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

int track_rewrite_html(const track_rewrite_options *o, str_t html, buf_t *out, track_url_map *map,
                       mc_error *err)
{
    map_reset(map);
    buf_reset(out);
    if (!o->clicks && !o->opens) {
        buf_append_str(out, html);
        return 0;
    }
    arena_t arena = {NULL, 65536};
    GumboOptions options = kGumboDefaultOptions;
    options.allocator = arena_allocate;
    options.deallocator = arena_deallocate;
    options.userdata = &arena;
    options.max_errors = 0; /* a mail's HTML has many; none is needed here */
    GumboOutput *doc = gumbo_parse_with_options(&options, html.p, html.n);
    walk_state st = {.o = o, .html = html};
    walk(&st, doc->root, 0);
    edits changes = {0};
    int rc = replace_links(&st, &changes, map, err);
    if (rc == 0 && o->opens) {
        track_token t = o->message;
        t.kind = TRACK_OPEN;
        t.link_id = 0;
        char token[TRACK_TOKEN_MAX];
        track_token_make(o->secret, &t, token);
        buf_t pixel = BUF_INIT;
        buf_append_cstr(&pixel, "<img src=\"");
        buf_append_str(&pixel, o->public_url);
        buf_appendf(&pixel,
                    "/t/o/%s.gif\" width=\"1\" height=\"1\" alt=\"\" "
                    "style=\"display:block;width:1px;height:1px;border:0\">",
                    token);
        add_edit(&changes, pixel_offset(doc, html), 0, buf_view(&pixel));
        buf_free(&pixel);
    }
    arena_free(&arena); /* the whole tree, without walking it */
    if (rc == 0) {
        /* gumbo visits in tree order, which a table's misplaced content can make differ from
         * source order; the pixel may come before a link written after </body> */
        qsort(changes.items, changes.n, sizeof *changes.items, by_offset);
        size_t copied = 0;
        for (size_t i = 0; i < changes.n; i++) {
            const edit *e = &changes.items[i];
            /* an element gumbo cloned (misnested formatting) has the same attribute again */
            if (e->at < copied) continue;
            buf_append(out, html.p + copied, e->at - copied);
            buf_append(out, changes.text.p + e->from, e->to - e->from);
            copied = e->at + e->len;
        }
        buf_append(out, html.p + copied, html.n - copied);
    }
    free(changes.items);
    buf_free(&changes.text);
    free(st.links);
    free(st.url_ends);
    buf_free(&st.urls);
    return rc;
}

/* url without its utm_ query parameters, into out. returns false when it has none. */
static bool strip_utm(str_t url, buf_t *out)
{
    buf_reset(out);
    const char *q = memchr(url.p, '?', url.n);
    if (!q) return false;
    const char *hash = memchr(q, '#', (size_t)(url.p + url.n - q));
    const char *end = hash ? hash : url.p + url.n;
    buf_append(out, url.p, (size_t)(q - url.p));
    bool stripped = false, first = true;
    for (const char *p = q + 1; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= 4 && !memcmp(p, "utm_", 4)) {
            stripped = true;
        } else if (stop > p) {
            buf_putc(out, first ? '?' : '&');
            buf_append(out, p, (size_t)(stop - p));
            first = false;
        }
        p = amp ? amp + 1 : end;
    }
    if (hash) buf_append(out, hash, (size_t)(url.p + url.n - hash));
    return stripped;
}

/* true when a URL may end before text[at]: the end, white space, a bracket or quote, or
 * punctuation that ends a sentence rather than the URL */
static bool url_ends_at(str_t text, size_t at)
{
    if (at >= text.n) return true;
    char c = text.p[at];
    if (is_space(c) || strchr(")]>\"'<", c)) return true;
    if (strchr(".,;:!?", c)) return url_ends_at(text, at + 1);
    return false;
}

void track_rewrite_text(const track_url_map *map, str_t text, buf_t *out)
{
    buf_reset(out);
    /* each URL's form without utm_ parameters, as a text part written by hand has it */
    buf_t variants = BUF_INIT, scratch = BUF_INIT;
    size_t *variant_end = map->count ? xcalloc(map->count, sizeof *variant_end) : NULL;
    for (size_t i = 0; i < map->count; i++) {
        if (strip_utm(map_original(map, i), &scratch))
            buf_append_str(&variants, buf_view(&scratch));
        variant_end[i] = variants.n;
    }
    size_t copied = 0;
    for (size_t at = 0; at < text.n && map->count;) {
        if (!(text.p[at] == 'h' || text.p[at] == 'H')) {
            at++;
            continue;
        }
        str_t rest = str_make(text.p + at, text.n - at);
        size_t best_len = 0, best = 0;
        for (size_t i = 0; i < map->count; i++) {
            size_t start = i ? variant_end[i - 1] : 0;
            str_t forms[2] = {map_original(map, i),
                              str_make(variants.p + start, variant_end[i] - start)};
            for (int f = 0; f < 2; f++) {
                str_t u = forms[f];
                if (u.n > best_len && str_has_prefix(rest, u) && url_ends_at(text, at + u.n)) {
                    best_len = u.n;
                    best = i;
                }
            }
        }
        if (!best_len) {
            at++;
            continue;
        }
        buf_append(out, text.p + copied, at - copied);
        buf_append_str(out, map_click(map, best));
        at += best_len;
        copied = at;
    }
    buf_append(out, text.p + copied, text.n - copied);
    free(variant_end);
    buf_free(&variants);
    buf_free(&scratch);
}

void track_uri_from_iri(str_t url, buf_t *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < url.n; i++) {
        unsigned char c = (unsigned char)url.p[i];
        if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c)) {
            buf_putc(out, '%');
            buf_putc(out, hex[c >> 4]);
            buf_putc(out, hex[c & 15]);
        } else {
            buf_putc(out, (char)c);
        }
    }
}
