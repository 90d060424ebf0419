/* The renderer: walks the compiled nodes with a context stack kept in a fixed array on the
 * C stack. It allocates nothing but what the output buffer needs to grow, and reads the
 * template only, so threads can share one compiled template. */
#include <stdio.h>
#include <string.h>

#include "template/template_internal.h"

/* The indentation of nested standalone partials, outermost first, as a list on the C stack. */
typedef struct indent_link {
    str_t text;
    const struct indent_link *outer;
} indent_link;

typedef struct {
    const template_t *t;
    buf_t *out;
    size_t start, max_output;
    unsigned max_depth, depth;
    bool escape; /* HTML-escape the values of {{name}} tags */
    void (*missing)(void *ctx, str_t name);
    void *missing_ctx;
    mc_error *err;
    json_t *stack[TEMPLATE_MAX_DEPTH_CAP + 2];
} render_state;

static json_t *lookup(const render_state *st, const tpl_name *name)
{
    if (name->count == 0) return st->stack[st->depth - 1];
    json_t *v = NULL;
    const str_t *s = name->segments;
    /* the first part of a dotted name is searched down the stack, the rest only inside it */
    for (unsigned d = st->depth; d-- > 0;) {
        json_t *frame = st->stack[d];
        if (json_is_object(frame) && (v = json_object_getn(frame, s[0].p, s[0].n))) break;
    }
    for (uint16_t i = 1; v && i < name->count; i++)
        v = json_is_object(v) ? json_object_getn(v, s[i].p, s[i].n) : NULL;
    return v;
}

/* tells the caller's missing() about the name of variable n, as written */
static void report_missing(const render_state *st, const tpl_node *n)
{
    if (n->name.count == 0) return;
    const str_t *first = &n->name.segments[0], *last = &n->name.segments[n->name.count - 1];
    st->missing(st->missing_ctx, str_make(first->p, (size_t)(last->p + last->n - first->p)));
}

static void put_indent(buf_t *out, const indent_link *indent)
{
    if (!indent) return;
    put_indent(out, indent->outer);
    buf_append(out, indent->text.p, indent->text.n);
}

static int too_large(render_state *st)
{
    return mc_error_set(st->err, 422, "template_limit", "",
                        "the rendered text is larger than the limit of %zu bytes", st->max_output);
}

static int render_nodes(render_state *st, const tpl_node *nodes, uint32_t from, uint32_t to,
                        const indent_link *indent);

static int enter(render_state *st, const tpl_node *n)
{
    if (st->depth <= st->max_depth) return 0;
    char field[32];
    snprintf(field, sizeof field, "%u:%u", n->line, n->column);
    return mc_error_set(st->err, 422, "template_limit", field,
                        "line %u, column %u: sections and partials nest deeper than %u levels",
                        n->line, n->column, st->max_depth);
}

static int render_partial(render_state *st, const tpl_partial *p, const tpl_node *n,
                          const indent_link *indent)
{
    if (!p->found) return 0;
    if (enter(st, n) < 0) return -1;
    indent_link link = {n->text, indent};
    /* a partial is a level of nesting too: otherwise {{>self}} would never stop */
    st->stack[st->depth] = st->stack[st->depth - 1];
    st->depth++;
    int rc = render_nodes(st, p->nodes, 0, p->count, n->text.n ? &link : indent);
    st->depth--;
    return rc;
}

static const tpl_partial *find_partial(const template_t *t, const json_t *name)
{
    if (!json_is_string(name)) return NULL;
    const char *key = json_string_value(name);
    size_t key_n = json_string_length(name);
    size_t lo = 0, hi = t->partial_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const tpl_partial *p = &t->partials[t->partials_by_name[mid]];
        size_t n = p->name.n < key_n ? p->name.n : key_n;
        int cmp = memcmp(p->name.p, key, n);
        if (cmp == 0) cmp = p->name.n < key_n ? -1 : p->name.n > key_n;
        if (cmp == 0) return p->compiled ? p : NULL;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int render_section(render_state *st, const tpl_node *nodes, uint32_t at,
                          const indent_link *indent)
{
    const tpl_node *n = &nodes[at];
    json_t *v = lookup(st, &n->name);
    bool truthy = tpl_truthy(v);
    if (n->kind == NODE_INVERTED)
        return truthy ? 0 : render_nodes(st, nodes, at + 1, n->end, indent);
    if (!truthy) return 0;
    if (enter(st, n) < 0) return -1;
    if (json_is_array(v)) {
        size_t count = json_array_size(v);
        for (size_t i = 0; i < count; i++) {
            st->stack[st->depth++] = json_array_get(v, i);
            int rc = render_nodes(st, nodes, at + 1, n->end, indent);
            st->depth--;
            if (rc < 0) return rc;
        }
        return 0;
    }
    st->stack[st->depth++] = v;
    int rc = render_nodes(st, nodes, at + 1, n->end, indent);
    st->depth--;
    return rc;
}

static int render_nodes(render_state *st, const tpl_node *nodes, uint32_t from, uint32_t to,
                        const indent_link *indent)
{
    buf_t *out = st->out;
    for (uint32_t i = from; i < to; i++) {
        const tpl_node *n = &nodes[i];
        switch (n->kind) {
        case NODE_TEXT:
            /* the common case, without a call: room is usually there already */
            if (out->cap - out->n > n->text.n) {
                memcpy(out->p + out->n, n->text.p, n->text.n);
                out->n += n->text.n;
                out->p[out->n] = '\0';
            } else {
                buf_append(out, n->text.p, n->text.n);
            }
            break;
        case NODE_INDENT:
            put_indent(out, indent);
            break;
        case NODE_VAR: {
            json_t *v = lookup(st, &n->name);
            size_t base = out->n;
            bool escape = n->escape && st->escape;
            if (n->filter_count) {
                if (tpl_filters_apply(n, v, out, base, st->err) < 0) return -1;
                if (escape) tpl_escape_tail(out, base);
            } else if (json_is_string(v)) {
                if (escape)
                    tpl_append_escaped(out, json_string_value(v), json_string_length(v));
                else
                    buf_append(out, json_string_value(v), json_string_length(v));
            } else {
                tpl_append_value(out, v);
                if (escape) tpl_escape_tail(out, base);
            }
            if (st->missing && out->n == base && (!v || json_is_null(v))) report_missing(st, n);
            break;
        }
        case NODE_SECTION:
        case NODE_INVERTED:
            if (render_section(st, nodes, i, indent) < 0) return -1;
            i = n->end - 1;
            break;
        case NODE_PARTIAL:
            if (render_partial(st, &st->t->partials[n->partial], n, indent) < 0) return -1;
            break;
        case NODE_DYNAMIC_PARTIAL: {
            const tpl_partial *p = find_partial(st->t, lookup(st, &n->name));
            if (p && render_partial(st, p, n, indent) < 0) return -1;
            break;
        }
        }
        if (out->n - st->start > st->max_output) return too_large(st);
    }
    return 0;
}

int template_render(const template_t *t, json_t *context, buf_t *out, const template_limits *limits,
                    mc_error *err)
{
    render_state st;
    st.t = t;
    st.out = out;
    st.start = out->n;
    st.max_output = limits && limits->max_output ? limits->max_output : TEMPLATE_DEFAULT_MAX_OUTPUT;
    st.max_depth = limits && limits->max_depth ? limits->max_depth : TEMPLATE_DEFAULT_MAX_DEPTH;
    if (st.max_depth > TEMPLATE_MAX_DEPTH_CAP) st.max_depth = TEMPLATE_MAX_DEPTH_CAP;
    st.escape = !(limits && limits->plain_text);
    st.missing = limits ? limits->missing : NULL;
    st.missing_ctx = limits ? limits->missing_ctx : NULL;
    st.err = err;
    st.stack[0] = context ? context : json_null();
    st.depth = 1;
    int rc = render_nodes(&st, t->nodes, 0, t->count, NULL);
    if (rc < 0) {
        /* no partial result: the caller's buffer is as it was */
        out->n = st.start;
        if (out->p) out->p[out->n] = '\0';
    }
    return rc;
}
