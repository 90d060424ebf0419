/* The scanner: turns template text into tokens (text, tags), applies the spec's
 * standalone-line rule, and matches every section with its closing tag, so that the
 * compiler sees a well-formed sequence or the scanner reports where it is not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf8.h"
#include "template/template_internal.h"

int tpl_error(mc_error *err, const char *code, const tpl_origin *origin, uint32_t line,
              uint32_t column, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char field[32];
    snprintf(field, sizeof field, "%u:%u", line, column);
    if (origin && origin->what)
        return mc_error_set(err, 400, code, field, "%s '%.*s', line %u, column %u: %s",
                            origin->what, (int)origin->name.n, origin->name.p, line, column, what);
    return mc_error_set(err, 400, code, field, "line %u, column %u: %s", line, column, what);
}

static tpl_token *push_token(tpl_tokens *t)
{
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->items = xrealloc(t->items, t->cap * sizeof *t->items);
    }
    tpl_token *tok = &t->items[t->count++];
    memset(tok, 0, sizeof *tok);
    return tok;
}

/* Tracks line and column (in characters) while the scanner moves forward. */
typedef struct {
    str_t src;
    size_t at;
    uint32_t line, column;
} position;

static void advance(position *pos, size_t to)
{
    for (; pos->at < to; pos->at++) {
        unsigned char c = (unsigned char)pos->src.p[pos->at];
        if (c == '\n') {
            pos->line++;
            pos->column = 1;
        } else if ((c & 0xC0) != 0x80) {
            pos->column++;
        }
    }
}

static const char *find(str_t src, size_t from, const char *needle, size_t n)
{
    if (from > src.n || n == 0) return NULL;
    return memmem(src.p + from, src.n - from, needle, n);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool has_blank(str_t s)
{
    for (size_t i = 0; i < s.n; i++)
        if (is_blank(s.p[i])) return true;
    return false;
}

/* Splits a dotted name; "." is the implicit iterator. Returns false for "a..b" or "a.". */
static bool split_name(arena_t *arena, str_t name, tpl_name *out)
{
    out->segments = NULL;
    out->count = 0;
    if (name.n == 1 && name.p[0] == '.') return true;
    size_t count = 1;
    for (size_t i = 0; i < name.n; i++)
        if (name.p[i] == '.') count++;
    if (count > 1000) return false;
    str_t *segments = arena_alloc(arena, count * sizeof *segments);
    size_t k = 0, begin = 0;
    for (size_t i = 0; i <= name.n; i++) {
        if (i == name.n || name.p[i] == '.') {
            if (i == begin) return false;
            segments[k++] = (str_t){name.p + begin, i - begin};
            begin = i + 1;
        }
    }
    out->segments = segments;
    out->count = (uint16_t)count;
    return true;
}

/* returns the first '|' outside quotes: where a filter chain starts (NULL: no filters) */
static const char *find_pipe(str_t s)
{
    char quote = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (quote) {
            if (c == '\\' && i + 1 < s.n)
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '|') {
            return s.p + i;
        }
    }
    return NULL;
}

static const char *sigil_label(char sigil)
{
    switch (sigil) {
    case '#':
        return "section";
    case '^':
        return "inverted section";
    case '<':
        return "parent";
    case '$':
        return "block";
    default:
        return "tag";
    }
}

/* Reads the content of one tag into tok. Returns -1 with err on a malformed tag. */
static int read_tag(arena_t *arena, tpl_token *tok, str_t content, const tpl_origin *origin,
                    str_t *open, str_t *close, mc_error *err)
{
    uint32_t line = tok->line, column = tok->column;
    if (tok->sigil == '!') return 0;
    if (tok->sigil == '=') {
        str_t inner = str_trim(content);
        size_t i = 0;
        while (i < inner.n && !is_blank(inner.p[i]))
            i++;
        str_t first = {inner.p, i};
        str_t second = str_trim((str_t){inner.p + i, inner.n - i});
        if (first.n == 0 || second.n == 0 || first.n > 32 || second.n > 32 || has_blank(second) ||
            memchr(first.p, '=', first.n) || memchr(second.p, '=', second.n))
            return tpl_error(err, "template_syntax", origin, line, column,
                             "bad delimiter change '%.*s': write two delimiters of at most 32 "
                             "characters separated by a space, without '=' in them, as in "
                             "{{=<%% %%>=}}",
                             (int)content.n, content.p);
        *open = first;
        *close = second;
        return 0;
    }
    str_t body = str_trim(content);
    if (tok->sigil == '>' && body.n && body.p[0] == '*') {
        tok->dynamic = true;
        body = str_trim((str_t){body.p + 1, body.n - 1});
    }
    /* a parent is expanded when the template is compiled, before any data is known */
    if (tok->sigil == '<' && body.n && body.p[0] == '*')
        return tpl_error(err, "template_syntax", origin, line, column,
                         "dynamic parents ({{<*name}}) are not supported: choose the layout "
                         "with a section per layout, or a dynamic partial ({{>*name}})");
    const char *pipe = NULL;
    if (tok->sigil == 0 || tok->sigil == '&' || tok->sigil == '{') {
        pipe = find_pipe(body);
        if (pipe) {
            char why[300];
            str_t chain = {pipe + 1, (size_t)(body.p + body.n - pipe - 1)};
            const tpl_filter *filters;
            uint16_t count;
            if (tpl_filters_parse(arena, chain, &filters, &count, why, sizeof why) < 0)
                return tpl_error(err, "template_syntax", origin, line, column, "%s", why);
            tok->filters = filters;
            tok->filter_count = count;
            body = str_trim((str_t){body.p, (size_t)(pipe - body.p)});
        }
    } else if (find_pipe(body)) {
        return tpl_error(err, "template_syntax", origin, line, column,
                         "filters are only allowed in variable tags such as {{ name | upper }}");
    }
    if (body.n == 0)
        return tpl_error(err, "template_syntax", origin, line, column,
                         "empty tag: a name is missing");
    if (has_blank(body))
        return tpl_error(err, "template_syntax", origin, line, column,
                         "'%.*s' is not a name: names cannot contain spaces", (int)body.n, body.p);
    tok->name = body;
    bool dotted = tok->sigil == 0 || tok->sigil == '&' || tok->sigil == '{' || tok->sigil == '#' ||
                  tok->sigil == '^' || tok->dynamic;
    if (dotted && !split_name(arena, body, &tok->path))
        return tpl_error(err, "template_syntax", origin, line, column,
                         "'%.*s' is not a valid dotted name", (int)body.n, body.p);
    return 0;
}

/* Pass 1: text and tags, in order, with delimiter changes applied as they come. */
static int tokenize(arena_t *arena, str_t src, str_t open, str_t close, const tpl_origin *origin,
                    tpl_tokens *raw, mc_error *err)
{
    position pos = {src, 0, 1, 1};
    size_t at = 0;
    while (at < src.n) {
        const char *hit = find(src, at, open.p, open.n);
        size_t tag_start = hit ? (size_t)(hit - src.p) : src.n;
        if (tag_start > at) {
            tpl_token *t = push_token(raw);
            t->kind = TOK_TEXT;
            t->start = at;
            t->end = tag_start;
        }
        if (!hit) break;
        advance(&pos, tag_start);
        tpl_token *tok = push_token(raw);
        tok->kind = TOK_TAG;
        tok->start = tag_start;
        tok->line = pos.line;
        tok->column = pos.column;
        tok->open = open;
        tok->close = close;
        size_t inner = tag_start + open.n;
        char sigil = inner < src.n ? src.p[inner] : 0;
        if (strchr("{&#^/><$!=", sigil) && sigil != 0) {
            tok->sigil = sigil;
            inner++;
        } else {
            tok->sigil = 0;
        }
        /* {{{name}}} and {{=a b=}} end with an extra character before the closing delimiter */
        char closing[80];
        size_t closing_n = 0;
        if (tok->sigil == '{' || tok->sigil == '=') closing[closing_n++] = sigil == '{' ? '}' : '=';
        if (close.n + closing_n > sizeof closing)
            return tpl_error(err, "template_syntax", origin, pos.line, pos.column,
                             "delimiter is too long");
        memcpy(closing + closing_n, close.p, close.n);
        closing_n += close.n;
        const char *end = find(src, inner, closing, closing_n);
        if (!end)
            return tpl_error(err, "template_syntax", origin, pos.line, pos.column,
                             "tag is never closed: '%.*s' is missing", (int)closing_n, closing);
        str_t content = {src.p + inner, (size_t)(end - (src.p + inner))};
        tok->end = (size_t)(end - src.p) + closing_n;
        tok->outer_start = tok->start;
        tok->outer_end = tok->end;
        tpl_token copy = *tok;
        /* read_tag may change the delimiters for the rest of the text */
        if (read_tag(arena, &copy, content, origin, &open, &close, err) < 0) return -1;
        raw->items[raw->count - 1] = copy;
        at = tok->end;
    }
    return 0;
}

/* One line being examined for the standalone rule: pieces of text and tags. */
typedef struct {
    tpl_token *items;
    uint32_t count, cap;
} line_items;

static void line_push(line_items *l, const tpl_token *t)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = *t;
}

static bool standalone_capable(char sigil)
{
    return sigil && strchr("#^/!=><$", sigil);
}

static bool text_is_blank(str_t src, const tpl_token *t)
{
    for (size_t i = t->start; i < t->end; i++) {
        char c = src.p[i];
        if (c == ' ' || c == '\t' || c == '\n') continue;
        if (c == '\r' && i + 1 < t->end && src.p[i + 1] == '\n') continue;
        return false;
    }
    return true;
}

/* Section kinds still open while lines are examined, to know what a closing tag closes. */
typedef struct {
    char *items;
    size_t count, cap;
} sigil_stack;

/* Decides whether a line is standalone and emits what remains of it. */
static void finish_line(str_t src, line_items *line, size_t line_start, size_t line_end,
                        bool markers, sigil_stack *open_kinds, tpl_tokens *out)
{
    if (line->count == 0) return;
    uint32_t tags = 0;
    bool standalone = true, only_inheritance = true;
    for (uint32_t i = 0; i < line->count; i++) {
        const tpl_token *t = &line->items[i];
        if (t->kind == TOK_TEXT) {
            if (!text_is_blank(src, t)) standalone = false;
            continue;
        }
        tags++;
        if (!standalone_capable(t->sigil)) standalone = false;
        char kind = t->sigil;
        if (kind == '/') kind = open_kinds->count ? open_kinds->items[open_kinds->count - 1] : '#';
        if (kind != '<' && kind != '$') only_inheritance = false;
        if (t->sigil == '#' || t->sigil == '^' || t->sigil == '<' || t->sigil == '$') {
            if (open_kinds->count == open_kinds->cap) {
                open_kinds->cap = open_kinds->cap ? open_kinds->cap * 2 : 16;
                open_kinds->items = xrealloc(open_kinds->items, open_kinds->cap);
            }
            open_kinds->items[open_kinds->count++] = t->sigil;
        } else if (t->sigil == '/' && open_kinds->count) {
            open_kinds->count--;
        }
    }
    /* The spec's rule is one tag alone on its line; the inheritance module extends it to
     * lines made only of parent and block tags ({{<layout}}{{$body}}). */
    if (tags == 0 || (tags > 1 && !only_inheritance)) standalone = false;
    if (!standalone) {
        /* an empty line stays empty: indenting it would only add trailing white space */
        const tpl_token *only = line->count == 1 ? &line->items[0] : NULL;
        bool empty = only && only->kind == TOK_TEXT &&
                     ((only->end - only->start == 1 && src.p[only->start] == '\n') ||
                      (only->end - only->start == 2 && src.p[only->start] == '\r' &&
                       src.p[only->start + 1] == '\n'));
        if (markers && !empty) {
            tpl_token *t = push_token(out);
            t->kind = TOK_INDENT;
            t->start = t->end = line_start;
        }
        for (uint32_t i = 0; i < line->count; i++)
            *push_token(out) = line->items[i];
        line->count = 0;
        return;
    }
    size_t newline = 0;
    if (line_end > line_start && src.p[line_end - 1] == '\n')
        newline = (line_end - line_start >= 2 && src.p[line_end - 2] == '\r') ? 2 : 1;
    /* An empty block on a line of its own ({{$body}}{{/body}}) keeps the line's end, so
     * that what fills it in stays a line of its own. */
    bool keep_newline = false;
    if (tags >= 2) {
        const tpl_token *last = NULL, *before = NULL;
        for (uint32_t i = 0; i < line->count; i++)
            if (line->items[i].kind == TOK_TAG) {
                before = last;
                last = &line->items[i];
            }
        keep_newline = before && before->sigil == '$' && last->sigil == '/' &&
                       before->end == last->start && str_eq(before->name, last->name);
    }
    const tpl_token *first_tag = NULL;
    for (uint32_t i = 0; i < line->count && !first_tag; i++)
        if (line->items[i].kind == TOK_TAG) first_tag = &line->items[i];
    str_t indent = {src.p + line_start, first_tag->start - line_start};
    uint32_t seen = 0;
    for (uint32_t i = 0; i < line->count; i++) {
        tpl_token *t = &line->items[i];
        if (t->kind != TOK_TAG) continue;
        seen++;
        t->standalone = true;
        t->indent = indent;
        if (seen == 1) t->outer_start = line_start;
        if (seen == tags) t->outer_end = keep_newline ? line_end - newline : line_end;
        *push_token(out) = *t;
    }
    if (keep_newline && newline) {
        tpl_token *t = push_token(out);
        t->kind = TOK_TEXT;
        t->start = line_end - newline;
        t->end = line_end;
    }
    line->count = 0;
}

/* Pass 2: cuts text at line ends and applies the standalone rule line by line. */
static void shape_lines(str_t src, const tpl_tokens *raw, bool markers, tpl_tokens *out)
{
    line_items line = {0};
    sigil_stack open_kinds = {0};
    size_t line_start = 0;
    for (uint32_t i = 0; i < raw->count; i++) {
        tpl_token t = raw->items[i];
        if (t.kind == TOK_TAG) {
            line_push(&line, &t);
            continue;
        }
        size_t at = t.start;
        while (at < t.end) {
            const char *nl = memchr(src.p + at, '\n', t.end - at);
            size_t piece_end = nl ? (size_t)(nl - src.p) + 1 : t.end;
            tpl_token piece = t;
            piece.start = at;
            piece.end = piece_end;
            line_push(&line, &piece);
            at = piece_end;
            if (nl) {
                finish_line(src, &line, line_start, piece_end, markers, &open_kinds, out);
                line_start = piece_end;
            }
        }
    }
    finish_line(src, &line, line_start, src.n, markers, &open_kinds, out);
    free(line.items);
    free(open_kinds.items);
}

/* Pass 3: every section, inverted section, parent and block must be closed, in order. */
static int match_sections(tpl_tokens *toks, const tpl_origin *origin, mc_error *err)
{
    uint32_t *stack = NULL;
    size_t depth = 0, cap = 0;
    int rc = 0;
    for (uint32_t i = 0; i < toks->count && rc == 0; i++) {
        tpl_token *t = &toks->items[i];
        if (t->kind != TOK_TAG) continue;
        if (t->sigil == '#' || t->sigil == '^' || t->sigil == '<' || t->sigil == '$') {
            /* the compiler walks sections recursively: keep that recursion bounded */
            if (depth >= TEMPLATE_MAX_NESTING) {
                rc = tpl_error(err, "template_limit", origin, t->line, t->column,
                               "sections nest deeper than %u levels", TEMPLATE_MAX_NESTING);
                break;
            }
            if (depth == cap) {
                cap = cap ? cap * 2 : 16;
                stack = xrealloc(stack, cap * sizeof *stack);
            }
            stack[depth++] = i;
        } else if (t->sigil == '/') {
            if (depth == 0) {
                rc = tpl_error(err, "template_syntax", origin, t->line, t->column,
                               "closing tag '%.*s' has no open section", (int)t->name.n, t->name.p);
                break;
            }
            tpl_token *o = &toks->items[stack[depth - 1]];
            if (!str_eq(o->name, t->name)) {
                rc = tpl_error(err, "template_syntax", origin, t->line, t->column,
                               "closing tag '%.*s' does not match the open %s '%.*s' (line %u, "
                               "column %u)",
                               (int)t->name.n, t->name.p, sigil_label(o->sigil), (int)o->name.n,
                               o->name.p, o->line, o->column);
                break;
            }
            depth--;
            o->match = i;
            t->match = stack[depth];
        }
    }
    if (rc == 0 && depth > 0) {
        tpl_token *o = &toks->items[stack[depth - 1]];
        rc = tpl_error(err, "template_syntax", origin, o->line, o->column,
                       "%s '%.*s' is never closed", sigil_label(o->sigil), (int)o->name.n,
                       o->name.p);
    }
    free(stack);
    return rc;
}

int tpl_scan(arena_t *arena, str_t src, str_t open, str_t close, bool markers,
             const tpl_origin *origin, tpl_tokens *tokens, mc_error *err)
{
    tpl_tokens raw = {0};
    *tokens = (tpl_tokens){0};
    if (tokenize(arena, src, open, close, origin, &raw, err) < 0) {
        free(raw.items);
        return -1;
    }
    shape_lines(src, &raw, markers, tokens);
    free(raw.items);
    if (match_sections(tokens, origin, err) < 0) {
        free(tokens->items);
        *tokens = (tpl_tokens){0};
        return -1;
    }
    return 0;
}
