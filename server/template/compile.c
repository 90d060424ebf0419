/* The compiler: from tokens to the flat node arrays the renderer walks. Partials are
 * compiled once each, by name, into the template; parents and their blocks are expanded
 * here, at compile time, so that rendering only ever sees text, variables, sections and
 * partials. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf8.h"
#include "template/template_internal.h"

/* Parents and blocks are expanded at compile time; these bound the work a hostile template
 * can ask for (the expansion depth is bounded by TEMPLATE_MAX_EXPANSION_DEPTH). */
#define MAX_NODES      (1024u * 1024)
#define MAX_EXPANSIONS 100000u

/* An argument passed to a parent: the text of a block, with the delimiters it was written
 * with. The list runs from the innermost parent outwards; the outermost argument wins. */
typedef struct env_entry {
    str_t name, text, open, close;
    const struct env_entry *next;
} env_entry;

typedef struct {
    tpl_node *items;
    uint32_t count, cap;
} node_vec;

typedef struct {
    template_t *t;
    const template_loader *loader;
    mc_error *err;
    size_t total_nodes;
    size_t expansions;
    unsigned nesting; /* sections and expansions open right now: the recursion of emit() */
    bool dynamic;
    bool strict; /* a partial or parent the loader cannot provide is an error */
    uint32_t partial_cap;
    buf_t scratch;
} compiler;

/* Everything one emit call needs to know about the text it walks. */
typedef struct {
    str_t src;
    const tpl_tokens *toks;
    const tpl_origin *origin;
    bool markers;
} unit_text;

static const str_t DEFAULT_OPEN = {"{{", 2};
static const str_t DEFAULT_CLOSE = {"}}", 2};

static tpl_node *push_node(compiler *c, node_vec *v)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    }
    c->total_nodes++;
    tpl_node *n = &v->items[v->count++];
    memset(n, 0, sizeof *n);
    return n;
}

static void push_text(compiler *c, node_vec *v, const char *p, size_t n)
{
    if (n == 0) return;
    tpl_node *last = v->count ? &v->items[v->count - 1] : NULL;
    /* neighbouring pieces of one source become one node: fewer steps when rendering */
    if (last && last->kind == NODE_TEXT && last->text.p + last->text.n == p) {
        last->text.n += n;
        return;
    }
    tpl_node *node = push_node(c, v);
    node->kind = NODE_TEXT;
    node->text = (str_t){p, n};
}

/* returns the index of the partial called name, loading its text on first use */
static uint32_t partial_ref(compiler *c, str_t name, bool wanted)
{
    template_t *t = c->t;
    for (uint32_t i = 0; i < t->partial_count; i++)
        if (str_eq(t->partials[i].name, name)) {
            if (wanted) t->partials[i].wanted = true;
            return i;
        }
    if (t->partial_count == c->partial_cap) {
        c->partial_cap = c->partial_cap ? c->partial_cap * 2 : 16;
        t->partials = xrealloc(t->partials, c->partial_cap * sizeof *t->partials);
    }
    tpl_partial *p = &t->partials[t->partial_count];
    memset(p, 0, sizeof *p);
    p->wanted = wanted;
    p->name = (str_t){arena_strndup(&t->arena, name.p, name.n), name.n};
    buf_reset(&c->scratch);
    if (c->loader && c->loader->load && c->loader->load(c->loader->ctx, p->name, &c->scratch)) {
        p->found = true;
        p->source =
            (str_t){arena_strndup(&t->arena, buf_cstr(&c->scratch), c->scratch.n), c->scratch.n};
    }
    return t->partial_count++;
}

static int emit(compiler *c, node_vec *v, const unit_text *u, uint32_t from, uint32_t to,
                const env_entry *env, unsigned depth);

static int check_size(compiler *c, const unit_text *u, const tpl_token *t)
{
    if (c->total_nodes <= MAX_NODES) return 0;
    return tpl_error(c->err, "template_limit", u->origin, t->line, t->column,
                     "the template is too large once its parents and blocks are expanded "
                     "(more than %u parts)",
                     MAX_NODES);
}

/* Compiles text (a block's content or a parent) in place of the tag at t. */
static int emit_text(compiler *c, node_vec *v, const unit_text *u, const tpl_token *t, str_t text,
                     str_t open, str_t close, const tpl_origin *origin, const env_entry *env,
                     unsigned depth)
{
    if (depth >= TEMPLATE_MAX_EXPANSION_DEPTH)
        return tpl_error(c->err, "template_limit", u->origin, t->line, t->column,
                         "parents and blocks nest deeper than %u levels at '%.*s' (does a "
                         "parent include itself?)",
                         TEMPLATE_MAX_EXPANSION_DEPTH, (int)t->name.n, t->name.p);
    if (++c->expansions > MAX_EXPANSIONS)
        return tpl_error(c->err, "template_limit", u->origin, t->line, t->column,
                         "parents and blocks are expanded more than %u times in all",
                         MAX_EXPANSIONS);
    tpl_tokens toks;
    if (tpl_scan(&c->t->arena, text, open, close, u->markers, origin, &toks, c->err) < 0) return -1;
    unit_text inner = {text, &toks, origin, u->markers};
    int rc = ++c->nesting > TEMPLATE_MAX_NESTING
                 ? tpl_error(c->err, "template_limit", u->origin, t->line, t->column,
                             "sections, parents and blocks nest deeper than %u levels",
                             TEMPLATE_MAX_NESTING)
                 : emit(c, v, &inner, 0, toks.count, env, depth + 1);
    c->nesting--;
    free(toks.items);
    return rc;
}

/* the text between a block's tags, without its own indentation when it stands alone */
static str_t block_content(compiler *c, const unit_text *u, const tpl_token *open, str_t *margin)
{
    const tpl_token *close = &u->toks->items[open->match];
    str_t text = {u->src.p + open->outer_end, close->outer_start - open->outer_end};
    if (close->outer_start < open->outer_end) text.n = 0;
    *margin = (str_t){"", 0};
    if (open->standalone) text = tpl_dedent(&c->t->arena, text, margin);
    return text;
}

static int emit_block(compiler *c, node_vec *v, const unit_text *u, const tpl_token *t,
                      const env_entry *env, unsigned depth)
{
    str_t margin;
    str_t own = block_content(c, u, t, &margin);
    const env_entry *arg = NULL;
    for (const env_entry *e = env; e; e = e->next)
        if (str_eq(e->name, t->name)) arg = e; /* keep going: the outermost one wins */
    str_t text = arg ? arg->text : own;
    str_t open = arg ? arg->open : t->open, close = arg ? arg->close : t->close;
    if (t->standalone) text = tpl_indent(&c->t->arena, text, margin.n ? margin : t->indent);
    return emit_text(c, v, u, t, text, open, close, u->origin, env, depth);
}

static int emit_parent(compiler *c, node_vec *v, const unit_text *u, uint32_t at,
                       const env_entry *env, unsigned depth)
{
    const tpl_token *t = &u->toks->items[at];
    /* the blocks directly inside the parent tag are its arguments; other text is ignored */
    const env_entry *args = env;
    for (uint32_t i = at + 1; i < t->match; i++) {
        const tpl_token *b = &u->toks->items[i];
        if (b->kind != TOK_TAG) continue;
        if (b->sigil == '$') {
            env_entry *e = arena_alloc(&c->t->arena, sizeof *e);
            str_t margin;
            e->name = b->name;
            e->text = block_content(c, u, b, &margin);
            e->open = b->open;
            e->close = b->close;
            e->next = args;
            args = e;
        }
        if (b->sigil == '$' || b->sigil == '#' || b->sigil == '^' || b->sigil == '<') i = b->match;
    }
    uint32_t index = partial_ref(c, t->name, false);
    const tpl_partial *p = &c->t->partials[index];
    if (!p->found && c->strict)
        return tpl_error(c->err, "template_syntax", u->origin, t->line, t->column,
                         "parent '%.*s' does not exist", (int)t->name.n, t->name.p);
    if (!p->found) return 0;
    str_t src = p->source;
    if (t->standalone) src = tpl_indent(&c->t->arena, src, t->indent);
    tpl_origin origin = {"parent", p->name};
    return emit_text(c, v, u, t, src, DEFAULT_OPEN, DEFAULT_CLOSE, &origin, args, depth);
}

static int emit(compiler *c, node_vec *v, const unit_text *u, uint32_t from, uint32_t to,
                const env_entry *env, unsigned depth)
{
    for (uint32_t i = from; i < to; i++) {
        const tpl_token *t = &u->toks->items[i];
        if (t->kind == TOK_TEXT) {
            push_text(c, v, u->src.p + t->start, t->end - t->start);
            continue;
        }
        if (t->kind == TOK_INDENT) {
            push_node(c, v)->kind = NODE_INDENT;
            continue;
        }
        if (check_size(c, u, t) < 0) return -1;
        tpl_node *n;
        switch (t->sigil) {
        case 0:
        case '&':
        case '{':
            n = push_node(c, v);
            n->kind = NODE_VAR;
            n->escape = t->sigil == 0;
            n->name = t->path;
            n->filters = t->filters;
            n->filter_count = t->filter_count;
            n->line = t->line;
            n->column = t->column;
            break;
        case '#':
        case '^': {
            uint32_t at = v->count;
            n = push_node(c, v);
            n->kind = t->sigil == '#' ? NODE_SECTION : NODE_INVERTED;
            n->name = t->path;
            n->line = t->line;
            n->column = t->column;
            if (++c->nesting > TEMPLATE_MAX_NESTING)
                return tpl_error(c->err, "template_limit", u->origin, t->line, t->column,
                                 "sections, parents and blocks nest deeper than %u levels",
                                 TEMPLATE_MAX_NESTING);
            if (emit(c, v, u, i + 1, t->match, env, depth) < 0) return -1;
            c->nesting--;
            v->items[at].end = v->count;
            i = t->match;
            break;
        }
        case '>':
            if (t->dynamic) {
                c->dynamic = true;
                n = push_node(c, v);
                n->kind = NODE_DYNAMIC_PARTIAL;
                n->name = t->path;
            } else {
                uint32_t index = partial_ref(c, t->name, true);
                if (!c->t->partials[index].found && c->strict)
                    return tpl_error(c->err, "template_syntax", u->origin, t->line, t->column,
                                     "partial '%.*s' does not exist", (int)t->name.n, t->name.p);
                n = push_node(c, v);
                n->kind = NODE_PARTIAL;
                n->partial = index;
            }
            n->text = t->standalone ? t->indent : (str_t){"", 0};
            n->line = t->line;
            n->column = t->column;
            break;
        case '<':
            if (emit_parent(c, v, u, i, env, depth) < 0) return -1;
            i = t->match;
            break;
        case '$':
            if (emit_block(c, v, u, t, env, depth) < 0) return -1;
            i = t->match;
            break;
        default: /* comments, delimiter changes, and closing tags already matched */
            break;
        }
    }
    return 0;
}

/* Compiles src as one unit (the template or a partial) into a node array in the arena. */
static int compile_unit(compiler *c, str_t src, bool markers, const tpl_origin *origin,
                        tpl_node **nodes, uint32_t *count)
{
    size_t bad;
    if (!utf8_valid(src.p, src.n, &bad)) {
        uint32_t line = 1, column = 1;
        for (size_t i = 0; i < bad; i++) {
            if (src.p[i] == '\n') {
                line++;
                column = 1;
            } else if (((unsigned char)src.p[i] & 0xC0) != 0x80) {
                column++;
            }
        }
        return tpl_error(c->err, "template_syntax", origin, line, column,
                         "the text is not valid UTF-8");
    }
    tpl_tokens toks;
    if (tpl_scan(&c->t->arena, src, DEFAULT_OPEN, DEFAULT_CLOSE, markers, origin, &toks, c->err) <
        0)
        return -1;
    node_vec v = {0};
    unit_text u = {src, &toks, origin, markers};
    int rc = emit(c, &v, &u, 0, toks.count, NULL, 0);
    free(toks.items);
    if (rc == 0) {
        *nodes = arena_alloc(&c->t->arena, (v.count ? v.count : 1) * sizeof **nodes);
        if (v.count) memcpy(*nodes, v.items, v.count * sizeof **nodes);
        *count = v.count;
    }
    free(v.items);
    return rc;
}

/* Looks for a partial that includes itself, directly or through others, outside any
 * section: rendering it could never end, whatever the data. Recursion inside a section
 * ({{#children}}{{>node}}{{/children}}) is fine: it stops where the data stops. */
static bool find_unguarded_cycle(const template_t *t, uint32_t at, uint8_t *state, uint32_t *where,
                                 const tpl_node **tag)
{
    const tpl_partial *p = &t->partials[at];
    state[at] = 1; /* on the current path */
    for (uint32_t k = 0; k < p->count; k++) {
        const tpl_node *n = &p->nodes[k];
        if (n->kind == NODE_SECTION || n->kind == NODE_INVERTED) {
            k = n->end - 1;
            continue;
        }
        if (n->kind != NODE_PARTIAL || !t->partials[n->partial].compiled) continue;
        if (state[n->partial] == 1 ||
            (state[n->partial] == 0 && find_unguarded_cycle(t, n->partial, state, where, tag))) {
            if (!*tag) {
                *where = at;
                *tag = n;
            }
            return true;
        }
    }
    state[at] = 2; /* done, no cycle through it */
    return false;
}

static int check_partial_cycles(compiler *c)
{
    const template_t *t = c->t;
    uint8_t *state = xcalloc(t->partial_count + 1, 1);
    int rc = 0;
    for (uint32_t i = 0; i < t->partial_count && rc == 0; i++) {
        uint32_t where = 0;
        const tpl_node *tag = NULL;
        if (t->partials[i].compiled && state[i] == 0 &&
            find_unguarded_cycle(t, i, state, &where, &tag)) {
            tpl_origin origin = {"partial", t->partials[where].name};
            str_t name = t->partials[tag->partial].name;
            rc = tpl_error(c->err, "template_syntax", &origin, tag->line, tag->column,
                           "partial '%.*s' includes itself with no section in between, so "
                           "rendering would never end",
                           (int)name.n, name.p);
        }
    }
    free(state);
    return rc;
}

static void add_listed(void *acc, str_t name)
{
    compiler *c = acc;
    partial_ref(c, name, true);
}

static int by_name(const void *a, const void *b, void *arg)
{
    const template_t *t = arg;
    str_t x = t->partials[*(const uint32_t *)a].name, y = t->partials[*(const uint32_t *)b].name;
    size_t n = x.n < y.n ? x.n : y.n;
    int cmp = memcmp(x.p, y.p, n);
    if (cmp) return cmp;
    return x.n < y.n ? -1 : x.n > y.n;
}

static int compile(str_t text, const template_loader *loader, bool strict, template_t **out,
                   mc_error *err)
{
    *out = NULL;
    template_t *t = xcalloc(1, sizeof *t);
    t->arena = ARENA_INIT;
    compiler c = {t, loader, err, 0, 0, 0, false, strict, 0, BUF_INIT};
    str_t src = {arena_strndup(&t->arena, text.p ? text.p : "", text.n), text.n};
    tpl_origin origin = {NULL, {"", 0}};
    int rc = compile_unit(&c, src, false, &origin, &t->nodes, &t->count);
    /* partials found while compiling are compiled in turn, each once */
    bool listed = false;
    for (uint32_t i = 0; rc == 0; i++) {
        if (i == t->partial_count) {
            if (!c.dynamic || listed) break;
            listed = true;
            /* a dynamic name may pick any partial: compile all the loader lists, and those
             * loaded so far only as parents */
            for (uint32_t k = 0; k < t->partial_count; k++)
                t->partials[k].wanted = true;
            if (loader && loader->list) loader->list(loader->ctx, add_listed, &c);
            i = 0;
            if (t->partial_count == 0) break;
        }
        tpl_partial *p = &t->partials[i];
        if (!p->found || !p->wanted || p->compiled) continue;
        p->compiled = true;
        tpl_origin where = {"partial", p->name};
        tpl_node *nodes = NULL;
        uint32_t count = 0;
        str_t source = p->source;
        rc = compile_unit(&c, source, true, &where, &nodes, &count);
        if (rc == 0) {
            t->partials[i].nodes = nodes;
            t->partials[i].count = count;
        }
    }
    buf_free(&c.scratch);
    if (rc == 0) rc = check_partial_cycles(&c);
    if (rc < 0) {
        template_free(t);
        return -1;
    }
    t->partials_by_name = arena_alloc(&t->arena, (t->partial_count + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < t->partial_count; i++)
        t->partials_by_name[i] = i;
    qsort_r(t->partials_by_name, t->partial_count, sizeof(uint32_t), by_name, t);
    *out = t;
    return 0;
}

int template_compile(str_t text, const template_loader *loader, template_t **out, mc_error *err)
{
    return compile(text, loader, false, out, err);
}

int template_compile_strict(str_t text, const template_loader *loader, template_t **out,
                            mc_error *err)
{
    return compile(text, loader, true, out, err);
}

void template_free(template_t *t)
{
    if (!t) return;
    free(t->partials);
    arena_free(&t->arena);
    free(t);
}
