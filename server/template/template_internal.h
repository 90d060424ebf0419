/* What the compiler, the renderer and the filters share: the compiled form of a template
 * and the tokens the scanner hands to the compiler. Not part of the public API. */
#ifndef MC_TEMPLATE_INTERNAL_H
#define MC_TEMPLATE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "template/template.h"

/* A name as written in a tag, split at its dots at compile time; no segments means ".". */
typedef struct {
    const str_t *segments;
    uint16_t count;
} tpl_name;

typedef enum {
    FILTER_DEFAULT,
    FILTER_UPPER,
    FILTER_LOWER,
    FILTER_CAPITALIZE,
    FILTER_TRUNCATE,
    FILTER_DATE,
    FILTER_MONEY,
    FILTER_URLENCODE,
    FILTER_JSON,
} tpl_filter_kind;

typedef struct {
    tpl_filter_kind kind;
    str_t text;      /* string argument, NUL-terminated (arena), or empty */
    long long count; /* numeric argument (truncate) */
} tpl_filter;

typedef enum {
    NODE_TEXT,
    NODE_INDENT, /* start of a line inside a partial: the caller's indentation goes here */
    NODE_VAR,
    NODE_SECTION,
    NODE_INVERTED,
    NODE_PARTIAL,
    NODE_DYNAMIC_PARTIAL,
} tpl_node_kind;

typedef struct {
    uint8_t kind;
    bool escape;           /* NODE_VAR: HTML-escape the value */
    uint16_t filter_count; /* NODE_VAR */
    uint32_t end;          /* sections: index of the first node after the section's children */
    uint32_t partial;      /* NODE_PARTIAL: index in template_t.partials */
    uint32_t line, column; /* of the tag, for render errors */
    str_t text;            /* NODE_TEXT: the bytes; partials: indentation of a standalone tag */
    tpl_name name;
    const tpl_filter *filters;
} tpl_node;

/* One named partial, compiled once and shared by every tag that includes it. */
typedef struct {
    str_t name;
    bool found;
    bool wanted; /* included as a partial, not only used as a parent */
    bool compiled;
    str_t source;
    tpl_node *nodes;
    uint32_t count;
} tpl_partial;

struct template_t {
    arena_t arena; /* owns every byte the compiled form points to */
    tpl_node *nodes;
    uint32_t count;
    tpl_partial *partials;
    uint32_t partial_count;
    uint32_t *partials_by_name; /* indices into partials, sorted by name (dynamic partials) */
};

/* ---- scanner (scan.c) ---- */

typedef enum { TOK_TEXT, TOK_INDENT, TOK_TAG } tpl_token_kind;

typedef struct {
    tpl_token_kind kind;
    char sigil;                    /* TOK_TAG: 0 for {{name}}, else one of { & # ^ / > < $ ! = */
    bool standalone;               /* the tag's line holds only white space and tags like it */
    bool dynamic;                  /* {{>*name}} */
    size_t start, end;             /* TOK_TEXT: the bytes; TOK_TAG: the whole tag */
    size_t outer_start, outer_end; /* the tag with its standalone line removed */
    str_t indent;                  /* standalone tags: the white space before the tag */
    str_t name;                    /* trimmed name */
    tpl_name path;                 /* name split at dots (variables, sections, dynamic) */
    const tpl_filter *filters;
    uint16_t filter_count;
    str_t open, close; /* delimiters in effect at this tag */
    uint32_t line, column;
    uint32_t match; /* open and close tags of a section: index of the other one */
} tpl_token;

typedef struct {
    tpl_token *items;
    uint32_t count, cap;
} tpl_tokens;

/* Where a text being compiled came from, for error messages. */
typedef struct {
    const char *what; /* NULL for the template itself, else "partial" or "parent" */
    str_t name;
} tpl_origin;

/* Splits src into tokens, drops standalone lines, matches sections. With markers, a
 * TOK_INDENT starts every line that is kept (used for partials, which may be indented).
 * Allocations come from arena; tokens->items is malloc'd (caller frees). */
int tpl_scan(arena_t *arena, str_t src, str_t open, str_t close, bool markers,
             const tpl_origin *origin, tpl_tokens *tokens, mc_error *err);

/* fills err with "line L, column C: message" (prefixed by the origin) and returns -1 */
int tpl_error(mc_error *err, const char *code, const tpl_origin *origin, uint32_t line,
              uint32_t column, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- filters (filter_parse.c) ---- */

/* Parses the filter chain after the first '|' of a tag ("upper | truncate: 10").
 * On error returns -1 with a message in why[0..why_cap). Filters live in arena. */
int tpl_filters_parse(arena_t *arena, str_t src, const tpl_filter **out, uint16_t *count, char *why,
                      size_t why_cap);

/* ---- text reshaping for blocks and parents (reshape.c) ---- */

/* returns src without the white space common to the start of its non-blank lines; *margin
 * gets the removed prefix. Result lives in arena. */
str_t tpl_dedent(arena_t *arena, str_t src, str_t *margin);
/* returns src with prefix put before every line that has something besides white space */
str_t tpl_indent(arena_t *arena, str_t src, str_t prefix);

/* ---- values (value.c) ---- */

/* the spec's and mustache.js's truthiness: missing, null, false, "", 0 and [] are false */
bool tpl_truthy(const json_t *v);
/* appends the text of a value: strings as they are, numbers as JavaScript prints them,
 * booleans as true/false, null as nothing, lists as their items joined by commas (as
 * JavaScript does), objects as compact JSON */
void tpl_append_value(buf_t *out, const json_t *v);
/* appends the compact JSON text of v (nothing is allocated besides out's growth) */
void tpl_append_json(buf_t *out, const json_t *v);
/* writes r[0..n) as a quoted JSON string at w (room for 6 * n + 2 bytes); returns the end */
char *tpl_json_string_into(char *w, const char *r, size_t n);
/* appends p[0..n) HTML-escaped (& < > " '); p[n] must be readable (jansson strings end
 * with a NUL, which enables a fast path) */
void tpl_append_escaped(buf_t *out, const char *p, size_t n);
/* replaces out[from..] with its HTML-escaped form, in place */
void tpl_escape_tail(buf_t *out, size_t from);

/* ---- filters at render time (filters.c, filter_date.c, filter_money.c) ---- */

/* Formats an ISO-8601 date or date-time (value) with a strftime format into out[0..cap);
 * returns 0 with the length in *len, or -1 when value is not such a date. */
int tpl_format_date(str_t value, const char *format, char *out, size_t cap, size_t *len);
/* Formats a decimal number (value, as text) with two decimals and the currency, if any, after
 * a space ("12.50 EUR"); returns 0 with the length in *len, or -1 when value is no number. */
int tpl_format_money(str_t value, str_t currency, char *out, size_t cap, size_t *len);

/* Applies the filters of node to v, leaving the text at out[base..]. On a bad value returns
 * -1 with err filled. */
int tpl_filters_apply(const tpl_node *node, const json_t *v, buf_t *out, size_t base,
                      mc_error *err);

#endif
