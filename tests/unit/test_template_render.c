/* Rendering: escaping, values, the context stack, limits, buffer reuse and threads. */
#include <pthread.h>

#include "template_support.h"

static void double_braces_escape_the_five_html_characters(void **state)
{
    assert_renders("{{v}}", "{\"v\": \"& < > \\\" '\"}", "&amp; &lt; &gt; &quot; &#39;");
}

static void triple_braces_and_ampersand_do_not_escape(void **state)
{
    assert_renders("{{{v}}} {{&v}}", "{\"v\": \"<a href='x'>&</a>\"}",
                   "<a href='x'>&</a> <a href='x'>&</a>");
}

static void numbers_print_like_javascript(void **state)
{
    assert_renders("{{a}} {{b}} {{c}} {{d}} {{e}}",
                   "{\"a\": 1.5, \"b\": 85, \"c\": 2.0, \"d\": 0.1, \"e\": -1e-7}",
                   "1.5 85 2 0.1 -1e-7");
}

static void lists_print_their_items_joined_by_commas(void **state)
{
    assert_renders("[{{l}}] [{{e}}] {{{o}}}",
                   "{\"l\": [\"a\", 1, [2, 3]], \"e\": [], \"o\": {\"k\": [1]}}",
                   "[a,1,2,3] [] {\"k\":[1]}");
}

static void empty_strings_and_zero_are_false_in_sections(void **state)
{
    assert_renders("{{#a}}A{{/a}}{{^a}}!A{{/a}} {{#z}}Z{{/z}}{{^z}}!Z{{/z}}",
                   "{\"a\": \"\", \"z\": 0}", "!A !Z");
}

static void dotted_names_and_the_context_stack(void **state)
{
    assert_renders("{{#items}}{{name}} of {{shop.name}}; {{/items}}",
                   "{\"shop\": {\"name\": \"Acme\"}, \"items\": [{\"name\": \"cup\"}, {\"name\": "
                   "\"pen\"}]}",
                   "cup of Acme; pen of Acme; ");
}

static void utf8_text_passes_through_unchanged(void **state)
{
    assert_renders("Привет, {{n}} 👋", "{\"n\": \"Zoë\"}", "Привет, Zoë 👋");
}

static void dynamic_partials_resolve_at_render_time(void **state)
{
    outcome o =
        run("{{#blocks}}{{>*kind}}{{/blocks}}",
            "{\"blocks\": [{\"kind\": \"h\", \"t\": \"Hi\"}, {\"kind\": \"p\", \"t\": \"x\"}]}",
            "{\"h\": \"<h1>{{t}}</h1>\", \"p\": \"<p>{{t}}</p>\"}");
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "<h1>Hi</h1><p>x</p>");
}

static void an_indented_partial_leaves_empty_lines_empty(void **state)
{
    outcome o = run("|\n  {{>p}}\n|", "{}", "{\"p\": \"1\\n\\n2\\n\"}");
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "|\n  1\n\n  2\n|");
}

static void output_beyond_the_limit_is_an_error_and_leaves_nothing(void **state)
{
    template_limits limits = {.max_output = 10};
    outcome o = run_limited("{{#l}}abcd{{/l}}", "{\"l\": [1, 2, 3, 4]}", NULL, &limits);
    assert_int_equal(o.render_rc, -1);
    assert_string_equal(o.err.code, "template_limit");
    assert_string_equal(o.text, "");
}

static void recursion_beyond_the_depth_limit_is_an_error(void **state)
{
    template_limits limits = {.max_depth = 20};
    outcome o = run_limited("{{>tree}}", "{\"c\": {\"c\": {\"c\": {\"c\": {\"c\": false}}}}}",
                            "{\"tree\": \"x{{#c}}{{>tree}}{{/c}}\"}", &limits);
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "xxxxx");
    limits.max_depth = 6;
    o = run_limited("{{>tree}}", "{\"c\": {\"c\": {\"c\": {\"c\": {\"c\": false}}}}}",
                    "{\"tree\": \"x\\n {{#c}}{{>tree}}{{/c}}\"}", &limits);
    assert_int_equal(o.render_rc, -1);
    assert_string_equal(o.err.field, "2:8");
    assert_non_null(strstr(o.err.message, "deeper than 6 levels"));
}

static void a_failed_render_leaves_the_buffer_as_it_was(void **state)
{
    template_t *t;
    mc_error err;
    assert_int_equal(template_compile(STR_LIT("ok {{d | date: \"%Y\"}}"), NULL, &t, &err), 0);
    json_t *bad = json_pack("{s:s}", "d", "not a date");
    buf_t out = BUF_INIT;
    buf_append_cstr(&out, "kept");
    assert_int_equal(template_render(t, bad, &out, NULL, &err), -1);
    assert_string_equal(buf_cstr(&out), "kept");
    buf_free(&out);
    json_decref(bad);
    template_free(t);
}

static void rendering_again_into_a_reset_buffer_does_not_grow_it(void **state)
{
    template_t *t;
    mc_error err;
    assert_int_equal(
        template_compile(STR_LIT("Dear {{n | upper}}, {{#l}}{{.}},{{/l}}"), NULL, &t, &err), 0);
    json_t *ctx = json_pack("{s:s,s:[i,i,i]}", "n", "ana", "l", 1, 2, 3);
    buf_t out = BUF_INIT;
    assert_int_equal(template_render(t, ctx, &out, NULL, &err), 0);
    char *memory = out.p;
    size_t cap = out.cap;
    for (int i = 0; i < 100; i++) {
        buf_reset(&out);
        assert_int_equal(template_render(t, ctx, &out, NULL, &err), 0);
    }
    assert_ptr_equal(out.p, memory);
    assert_int_equal(out.cap, cap);
    assert_string_equal(buf_cstr(&out), "Dear ANA, 1,2,3,");
    buf_free(&out);
    json_decref(ctx);
    template_free(t);
}

static size_t json_allocations;

static void *counting_malloc(size_t n)
{
    json_allocations++;
    return malloc(n);
}

static void rendering_allocates_nothing_in_jansson_either(void **state)
{
    template_t *t;
    mc_error err;
    assert_int_equal(template_compile(STR_LIT("{{o}} {{{o | json}}} {{s | upper | json}} "
                                              "{{d | date: \"%B\"}} {{m | money: \"EUR\"}} {{l}}"),
                                      NULL, &t, &err),
                     0);
    json_t *ctx = json_loads("{\"o\": {\"a\": [1, {\"b\": null}]}, \"s\": \"é\", \"d\": "
                             "\"2024-05-01\", \"m\": 1.005, \"l\": [1, [2]]}",
                             0, NULL);
    buf_t out = BUF_INIT;
    buf_reserve(&out, 4096);
    json_set_alloc_funcs(counting_malloc, free);
    json_allocations = 0;
    assert_int_equal(template_render(t, ctx, &out, NULL, &err), 0);
    assert_int_equal(json_allocations, 0);
    json_set_alloc_funcs(malloc, free);
    assert_string_equal(buf_cstr(&out), "{&quot;a&quot;:[1,{&quot;b&quot;:null}]} "
                                        "{\"a\":[1,{\"b\":null}]} &quot;É&quot; May 1.01 EUR 1,2");
    buf_free(&out);
    json_decref(ctx);
    template_free(t);
}

typedef struct {
    const template_t *t;
    json_t *ctx;
    int mismatches;
} worker_job;

static void *render_many(void *arg)
{
    worker_job *job = arg;
    buf_t out = BUF_INIT;
    mc_error err;
    for (int i = 0; i < 2000; i++) {
        buf_reset(&out);
        if (template_render(job->t, job->ctx, &out, NULL, &err) < 0 ||
            strcmp(buf_cstr(&out), "<b>ÉLODIE</b>: a b c"))
            job->mismatches++;
    }
    buf_free(&out);
    return NULL;
}

static void one_template_renders_in_many_threads_at_once(void **state)
{
    template_t *t;
    mc_error err;
    assert_int_equal(
        template_compile(STR_LIT("<b>{{n | upper}}</b>:{{#l}} {{.}}{{/l}}"), NULL, &t, &err), 0);
    pthread_t threads[4];
    worker_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] =
            (worker_job){t, json_pack("{s:s,s:[s,s,s]}", "n", "élodie", "l", "a", "b", "c"), 0};
        pthread_create(&threads[i], NULL, render_many, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].mismatches, 0);
        json_decref(jobs[i].ctx);
    }
    template_free(t);
}

/* missing() of the limits: appends each name and a comma to the buffer ctx */
static void collect_missing(void *ctx, str_t name)
{
    buf_append_str(ctx, name);
    buf_putc(ctx, ',');
}

static void names_that_print_nothing_are_reported(void **state)
{
    buf_t names = BUF_INIT;
    template_limits limits = {.missing = collect_missing, .missing_ctx = &names};
    outcome o = run_limited("{{ciudad}}|{{attributes.ciudad}}|{{attributes.país}}|{{nada}}|"
                            "{{ nada | default: \"x\" }}|{{ vacío }}|{{ cero }}|{{#items}}{{n}}"
                            "{{/items}}|{{#ausente}}{{dentro}}{{/ausente}}{{{crudo}}}",
                            "{\"attributes\": {\"ciudad\": \"Sevilla\"}, \"ciudad\": "
                            "\"Sevilla\", \"nada\": null, \"vacío\": \"\", \"cero\": 0,"
                            " \"items\": [{\"n\": 1}, {}]}",
                            NULL, &limits);
    assert_int_equal(o.render_rc, 0);
    assert_string_equal(o.text, "Sevilla|Sevilla|||x||0|1|");
    /* not found or null; an empty string is a value; a section that is not shown is not
     * looked into */
    assert_string_equal(buf_cstr(&names), "attributes.país,nada,n,crudo,");
    buf_free(&names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(double_braces_escape_the_five_html_characters),
        cmocka_unit_test(triple_braces_and_ampersand_do_not_escape),
        cmocka_unit_test(numbers_print_like_javascript),
        cmocka_unit_test(lists_print_their_items_joined_by_commas),
        cmocka_unit_test(empty_strings_and_zero_are_false_in_sections),
        cmocka_unit_test(dotted_names_and_the_context_stack),
        cmocka_unit_test(utf8_text_passes_through_unchanged),
        cmocka_unit_test(dynamic_partials_resolve_at_render_time),
        cmocka_unit_test(an_indented_partial_leaves_empty_lines_empty),
        cmocka_unit_test(output_beyond_the_limit_is_an_error_and_leaves_nothing),
        cmocka_unit_test(recursion_beyond_the_depth_limit_is_an_error),
        cmocka_unit_test(a_failed_render_leaves_the_buffer_as_it_was),
        cmocka_unit_test(rendering_again_into_a_reset_buffer_does_not_grow_it),
        cmocka_unit_test(rendering_allocates_nothing_in_jansson_either),
        cmocka_unit_test(one_template_renders_in_many_threads_at_once),
        cmocka_unit_test(names_that_print_nothing_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
