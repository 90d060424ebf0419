/* gumbo gives each href's value as written (quotes included) and where it sits in the
 * rendered HTML; the click URLs are spliced in at those places, in source order, and the rest
 * of the message is copied as it is. */
#include "track/track_rewrite.h"

#include <ctype.h>
#include <gumbo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "track/track_template.h"

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

/* The click URL of link_id into out (reset first); url: the rendered URL a personalized link's
 * token carries, or STR_NULL. */
static void click_url(const track_rewrite_options *o, long long link_id, str_t url, buf_t *out)
{
    track_token t = o->message;
    t.kind = TRACK_CLICK;
    t.link_id = link_id;
    t.url = url;
    buf_reset(out);
    buf_append_str(out, o->public_url);
    buf_append_cstr(out, "/t/c/");
    track_token_append(o->secret, &t, out);
}

/* the open pixel's tag into out (reset first) */
static void pixel_tag(const track_rewrite_options *o, buf_t *out)
{
    track_token t = o->message;
    t.kind = TRACK_OPEN;
    t.link_id = 0;
    t.url = STR_NULL;
    char token[TRACK_TOKEN_MAX];
    track_token_make(o->secret, &t, token);
    buf_reset(out);
    buf_append_cstr(out, "<img src=\"");
    buf_append_str(out, o->public_url);
    buf_appendf(out,
                "/t/o/%s.gif\" width=\"1\" height=\"1\" alt=\"\" "
                "style=\"display:block;width:1px;height:1px;border:0\">",
                token);
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
        click_url(st->o, ids[i], STR_NULL, &click);
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
    const GumboOutput *doc = track_html_parse(html, &arena);
    walk_state st = {.o = o, .html = html};
    walk(&st, doc->root, 0);
    edits changes = {0};
    int rc = replace_links(&st, &changes, map, err);
    if (rc == 0 && o->opens) {
        buf_t pixel = BUF_INIT;
        pixel_tag(o, &pixel);
        add_edit(&changes, track_html_body_end(doc, html), 0, buf_view(&pixel));
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

/* The named character references HTML decodes without a semicolon (the legacy ones). */
static const char *const LEGACY_ENTITIES[] = {
    "AElig",  "AMP",    "Aacute", "Acirc",  "Agrave", "Aring",  "Atilde", "Auml",   "COPY",
    "Ccedil", "ETH",    "Eacute", "Ecirc",  "Egrave", "Euml",   "GT",     "Iacute", "Icirc",
    "Igrave", "Iuml",   "LT",     "Ntilde", "Oacute", "Ocirc",  "Ograve", "Oslash", "Otilde",
    "Ouml",   "QUOT",   "REG",    "THORN",  "Uacute", "Ucirc",  "Ugrave", "Uuml",   "Yacute",
    "aacute", "acirc",  "acute",  "aelig",  "agrave", "amp",    "aring",  "atilde", "auml",
    "brvbar", "ccedil", "cedil",  "cent",   "copy",   "curren", "deg",    "divide", "eacute",
    "ecirc",  "egrave", "eth",    "euml",   "frac12", "frac14", "frac34", "gt",     "iacute",
    "icirc",  "iexcl",  "igrave", "iquest", "iuml",   "laquo",  "lt",     "macr",   "micro",
    "middot", "nbsp",   "not",    "ntilde", "oacute", "ocirc",  "ograve", "ordf",   "ordm",
    "oslash", "otilde", "ouml",   "para",   "plusmn", "pound",  "quot",   "raquo",  "reg",
    "sect",   "shy",    "sup1",   "sup2",   "sup3",   "szlig",  "thorn",  "times",  "uacute",
    "ucirc",  "ugrave", "uml",    "uuml",   "yacute", "yen",    "yuml"};

static bool legacy_entity(str_t name)
{
    for (size_t i = 0; i < sizeof LEGACY_ENTITIES / sizeof *LEGACY_ENTITIES; i++)
        if (str_eq_cstr(name, LEGACY_ENTITIES[i])) return true;
    return false;
}

/* the character of the references escaped values and links use, with their semicolon */
static const char *simple_entity(str_t name)
{
    static const char *const names[][2] = {
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (str_eq_cstr(name, names[i][0])) return names[i][1];
    return NULL;
}

/* Appends attribute value v to out with its character references decoded as HTML decodes an
 * attribute's, for the references escaped values and hand-written links use (&amp; &lt; &gt;
 * &quot; &apos; and numeric ones of printable ASCII) and text that is no reference ("&u=1").
 * returns false for anything else (another reference, a carriage return, a NUL): gumbo then
 * decides. */
static bool decode_value(str_t v, buf_t *out)
{
    for (size_t i = 0; i < v.n;) {
        char c = v.p[i];
        if (c == '\0' || c == '\r') return false;
        if (c != '&') {
            buf_putc(out, c);
            i++;
            continue;
        }
        size_t j = i + 1;
        if (j < v.n && v.p[j] == '#') {
            j++;
            bool hex = j < v.n && (v.p[j] == 'x' || v.p[j] == 'X');
            if (hex) j++;
            unsigned long code = 0;
            size_t digits = 0;
            for (; j < v.n && digits < 8; j++, digits++) {
                unsigned char d = (unsigned char)v.p[j];
                if (hex ? !isxdigit(d) : !isdigit(d)) break;
                code = code * (hex ? 16 : 10) +
                       (unsigned long)(isdigit(d) ? d - '0' : (tolower(d) - 'a' + 10));
            }
            if (!digits) { /* "&#" with no number stays as written */
                buf_putc(out, '&');
                i++;
                continue;
            }
            if (j >= v.n || v.p[j] != ';' || code < 0x20 || code > 0x7e) return false;
            buf_putc(out, (char)code);
            i = j + 1;
            continue;
        }
        size_t k = j;
        while (k < v.n && isalnum((unsigned char)v.p[k]))
            k++;
        str_t name = str_make(v.p + j, k - j);
        if (name.n && k < v.n && v.p[k] == ';') {
            const char *decoded = simple_entity(name);
            if (!decoded) return false;
            buf_append_cstr(out, decoded);
            i = k + 1;
            continue;
        }
        /* without a semicolon an attribute decodes only a legacy name not followed by "=" */
        if (name.n && legacy_entity(name) && !(k < v.n && v.p[k] == '=')) return false;
        buf_putc(out, '&');
        i++;
    }
    return true;
}

static size_t map_find(const track_url_map *map, str_t url)
{
    for (size_t i = 0; i < map->count; i++)
        if (str_eq(map_original(map, i), url)) return i;
    return SIZE_MAX;
}

typedef struct {
    const track_rewrite_options *o;
    const track_template *tt;
    const long long *ids;
    track_url_map *map;
    buf_t value, click;
} marked_state;

/* Appends the href value region (as rendered, quotes included) of link to out: its click URL
 * in double quotes, or the region as it is. returns 0, or 1 when gumbo must decide. */
static int rewrite_link(marked_state *st, size_t link, str_t region, buf_t *out)
{
    const track_rewrite_options *o = st->o;
    if (!o->clicks) {
        buf_append_str(out, region);
        return 0;
    }
    str_t raw = region;
    if (region.n && (region.p[0] == '"' || region.p[0] == '\'')) {
        char quote = region.p[0];
        if (region.n < 2 || region.p[region.n - 1] != quote ||
            memchr(region.p + 1, quote, region.n - 2))
            return 1;
        raw = str_make(region.p + 1, region.n - 2);
    }
    buf_reset(&st->value);
    if (!decode_value(raw, &st->value)) return 1;
    str_t url = trim_spaces(buf_view(&st->value));
    if (kept(o, url)) {
        buf_append_str(out, region);
        return 0;
    }
    str_t href = track_template_link(st->tt, link);
    bool personalized = track_template_link_has_tags(st->tt, link);
    if (personalized ? !track_link_pattern_matches(href, url) : !str_eq(href, url)) return 1;
    /* the same URL again in this message gets the same click URL, as in track_rewrite_html() */
    size_t known = map_find(st->map, url);
    if (known == SIZE_MAX) {
        /* the token carries what the href does not give back: the rendered part between its
         * literal start and end (which the match above found there) */
        str_t carried = STR_NULL;
        if (personalized) {
            size_t start, end;
            track_link_pattern_ends(href, &start, &end);
            carried = str_make(url.p + start, url.n - start - end);
        }
        click_url(o, st->ids[link], carried, &st->click);
        map_add(st->map, url, buf_view(&st->click));
        known = st->map->count - 1;
    }
    buf_putc(out, '"');
    buf_append_str(out, map_click(st->map, known));
    buf_putc(out, '"');
    return 0;
}

int track_rewrite_marked(const track_rewrite_options *o, const track_template *tt, str_t html,
                         buf_t *out, track_url_map *map, mc_error *err)
{
    map_reset(map);
    buf_reset(out);
    size_t count = track_template_link_count(tt);
    long long *ids = xcalloc(count ? count : 1, sizeof *ids);
    if (o->clicks && count) {
        str_t *links = xcalloc(count, sizeof *links);
        for (size_t i = 0; i < count; i++)
            links[i] = track_template_link(tt, i);
        int rc = o->link_ids(o->link_arg, links, count, ids, err);
        free(links);
        if (rc < 0) {
            free(ids);
            return -1;
        }
    }
    marked_state st = {.o = o, .tt = tt, .ids = ids, .map = map};
    buf_t pixel = BUF_INIT;
    if (o->opens) pixel_tag(o, &pixel);
    bool pixel_placed = !o->opens;
    int rc = 0;
    size_t copied = 0;
    track_mark m, close;
    while (rc == 0 && track_mark_next(html, copied, &m)) {
        buf_append(out, html.p + copied, m.at - copied);
        copied = m.at + m.len;
        if (m.kind == TRACK_MARK_BODY) {
            /* the first closing body tag, as gumbo takes it */
            if (!pixel_placed) buf_append_str(out, buf_view(&pixel));
            pixel_placed = true;
            continue;
        }
        if (m.kind != TRACK_MARK_OPEN || m.link >= count ||
            !track_mark_next(html, copied, &close) || close.kind != TRACK_MARK_CLOSE) {
            rc = 1; /* a section cut a marked value: the markers no longer pair up */
            break;
        }
        str_t region = str_make(html.p + copied, close.at - copied);
        copied = close.at + close.len;
        rc = rewrite_link(&st, m.link, region, out);
    }
    if (rc == 0) {
        buf_append(out, html.p + copied, html.n - copied);
        if (!pixel_placed) buf_append_str(out, buf_view(&pixel));
    }
    buf_free(&pixel);
    buf_free(&st.value);
    buf_free(&st.click);
    free(ids);
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
        /* every URL of the map is an http(s) one */
        if ((text.p[at] | 0x20) != 'h' || at + 4 > text.n || (text.p[at + 1] | 0x20) != 't' ||
            (text.p[at + 2] | 0x20) != 't' || (text.p[at + 3] | 0x20) != 'p') {
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
                /* where a URL may end is the cheaper test: most lengths end inside one */
                if (u.n > best_len && u.n <= rest.n && url_ends_at(text, at + u.n) &&
                    str_has_prefix(rest, u)) {
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
