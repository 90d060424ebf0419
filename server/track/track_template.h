/* The links of a template, found once when it is compiled rather than in every message: each
 * HTML source (the body, every layout and partial it pulls in) is parsed with gumbo as written,
 * and the value of every href that may track is wrapped in markers that the renderer copies
 * like any other text; the closing body tag gets one too. After rendering, one pass over the
 * markers (track_rewrite_marked() in track_rewrite.h) puts the click URLs and the pixel in.
 * A marker is 0x1E, a per-process random nonce and 0x1F, which no escaped value holds by
 * accident. No I/O here. */
#ifndef MC_TRACK_TRACK_TEMPLATE_H
#define MC_TRACK_TRACK_TEMPLATE_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"
#include "template/template.h"

typedef struct track_template track_template;

/* returns an empty set of links; caller frees with track_template_free() */
track_template *track_template_new(void);
void track_template_free(track_template *tt);

/* Appends source to out with its trackable hrefs and closing body tag marked, and records its
 * hrefs (as written: entities decoded, Mustache tags kept) in tt. A source whose links gumbo
 * cannot see before rendering (unescaped values, changed delimiters, tags in a tag's
 * attribute names or in an unquoted value) makes tt unusable (track_template_usable()). */
void track_template_mark(track_template *tt, str_t source, buf_t *out);

/* returns a loader that marks (track_template_mark) every partial and parent inner loads;
 * valid while tt and inner are */
template_loader track_template_loader(track_template *tt, const template_loader *inner);

/* false when a source could not be marked: each message then takes the gumbo path */
bool track_template_usable(const track_template *tt);
/* why it is not usable ("" when it is); borrowed from tt */
const char *track_template_why(const track_template *tt);

/* the distinct hrefs marked, each as written; borrowed from tt */
size_t track_template_link_count(const track_template *tt);
str_t track_template_link(const track_template *tt, size_t i);
/* whether href i has Mustache tags (a personalized link) */
bool track_template_link_has_tags(const track_template *tt, size_t i);

/* What one marker in rendered HTML is: the opening one of link `link`, a closing one, or the
 * closing body tag's. */
typedef enum { TRACK_MARK_OPEN, TRACK_MARK_CLOSE, TRACK_MARK_BODY } track_mark_kind;
typedef struct {
    track_mark_kind kind;
    size_t at, len; /* the marker's bytes in the HTML */
    size_t link;    /* of an opening marker */
} track_mark;

/* Finds the first marker of this process in html at or after from. returns false when none. */
bool track_mark_next(str_t html, size_t from, track_mark *m);

/* Appends html to out without its markers: the HTML as the unmarked template renders it. */
void track_marks_strip(str_t html, buf_t *out);

/* Whether url may be the rendered form of href pattern (as track_template_link gives it): the
 * literal text before the first tag is url's prefix byte for byte, every further literal piece
 * follows in order, and a pattern ending with literal text ends url with it; what sections and
 * blocks hold counts as part of their tag. A pattern without tags matches only itself. */
bool track_link_pattern_matches(str_t pattern, str_t url);

struct GumboInternalOutput;
/* Parses html with gumbo, every node from arena (freed with arena_free(), the whole tree at
 * once: a fraction of the time malloc takes). returns the tree, owned by arena. */
struct GumboInternalOutput *track_html_parse(str_t html, arena_t *arena);
/* returns where the closing tag of body is written in html (parsed as doc), else html.n */
size_t track_html_body_end(const struct GumboInternalOutput *doc, str_t html);

/* The lengths of pattern's literal start (before its first tag) and end (after its last tag,
 * outside sections); both pattern.n for a pattern without tags. A personalized link's token
 * carries only what its URL has between them. */
void track_link_pattern_ends(str_t pattern, size_t *start, size_t *end);

/* whether s has a Mustache tag ("{{") */
bool track_has_tags(str_t s);

#endif
