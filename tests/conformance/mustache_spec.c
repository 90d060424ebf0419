/* Runs every test of the official Mustache specification (JSON files) through the template
 * engine: prints "file: passed/total" per file and fails on any miss. The files are read at
 * run time from the folder given as the first argument; ~lambdas is skipped because
 * mailcast's contexts are JSON data, never code. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

/* Partials of one test case, served by name from its "partials" object. */
static bool load_partial(void *ctx, str_t name, buf_t *out)
{
    json_t *partials = ctx;
    json_t *text = json_object_getn(partials, name.p, name.n);
    if (!json_is_string(text)) return false;
    buf_append(out, json_string_value(text), json_string_length(text));
    return true;
}

static void list_partials(void *ctx, void (*each)(void *acc, str_t name), void *acc)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)ctx, key, value) each(acc, str_from_cstr(key));
}

static void show(const char *label, const char *s)
{
    printf("    %s: \"", label);
    for (; *s; s++) {
        if (*s == '\n')
            printf("\\n");
        else if (*s == '\r')
            printf("\\r");
        else if (*s == '\t')
            printf("\\t");
        else
            putchar(*s);
    }
    printf("\"\n");
}

/* returns the number of failed cases of one spec file, counting them in *total */
static int run_file(const char *dir, const char *file, int *passed_out, int *total_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_error_t jerr;
    json_t *spec = json_load_file(path, 0, &jerr);
    if (!spec) {
        printf("%s: cannot read (%s)\n", file, jerr.text);
        return 1;
    }
    json_t *tests = json_object_get(spec, "tests");
    size_t i;
    json_t *test;
    int passed = 0, total = 0;
    buf_t out = BUF_INIT;
    json_array_foreach(tests, i, test)
    {
        total++;
        const char *name = json_string_value(json_object_get(test, "name"));
        json_t *partials = json_object_get(test, "partials");
        json_t *empty = json_object();
        template_loader loader = {load_partial, list_partials, partials ? partials : empty};
        const char *text = json_string_value(json_object_get(test, "template"));
        const char *expected = json_string_value(json_object_get(test, "expected"));
        template_t *t;
        mc_error err = {0};
        buf_reset(&out);
        bool ok = false;
        if (template_compile(str_from_cstr(text), &loader, &t, &err) == 0) {
            if (template_render(t, json_object_get(test, "data"), &out, NULL, &err) == 0)
                ok = strcmp(buf_cstr(&out), expected) == 0;
            template_free(t);
        }
        json_decref(empty);
        if (ok) {
            passed++;
            continue;
        }
        printf("  FAIL %s / %s\n", file, name);
        show("template", text);
        show("expected", expected);
        if (err.message[0])
            printf("    error: %s\n", err.message);
        else
            show("got     ", buf_cstr(&out));
    }
    buf_free(&out);
    json_decref(spec);
    printf("%s: %d/%d\n", file, passed, total);
    *passed_out += passed;
    *total_out += total;
    return total - passed;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mustache_spec SPEC_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    DIR *d = opendir(dir);
    if (!d) {
        printf("FAIL: the Mustache specification is missing: cannot open %s (it is expected "
               "beside the repository, in ../shared/conformance/mustache-spec/)\n",
               dir);
        return 1;
    }
    char *files[64];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 64) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json")) continue;
        if (!strcmp(e->d_name, "~lambdas.json")) continue;
        files[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, count, sizeof *files, by_name);
    static const char *required[] = {
        "comments.json", "delimiters.json", "interpolation.json", "inverted.json",
        "partials.json", "sections.json",   "~inheritance.json",  "~dynamic-names.json"};
    int failures = 0, passed = 0, total = 0;
    for (size_t r = 0; r < sizeof required / sizeof *required; r++) {
        bool present = false;
        for (size_t i = 0; i < count; i++)
            present |= !strcmp(files[i], required[r]);
        if (!present) {
            printf("FAIL: %s is missing from %s\n", required[r], dir);
            failures++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        failures += run_file(dir, files[i], &passed, &total);
        free(files[i]);
    }
    printf("total: %d/%d (~lambdas.json skipped: contexts hold no code)\n", passed, total);
    return failures == 0 && total > 0 ? 0 : 1;
}
