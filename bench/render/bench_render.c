/* Renders the newsletter with mailcast's engine for every recipient in turn, COUNT times in
 * all, and prints renders per second; with --print N it prints the rendering for recipient N.
 * The template is compiled once and one output buffer is reused, as the send loop does.
 * Time is CPU time of the process, so that other work on the machine disturbs it less. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/template.h"

static const char *folder;

static bool load(void *ctx, str_t name, buf_t *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%.*s.mustache", folder, (int)name.n, name.p);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(
            stderr,
            "usage: bench_render NEWSLETTER_DIR RECIPIENTS.json COUNT [DISTINCT] | --print N\n");
        return 2;
    }
    folder = argv[1];
    json_error_t jerr;
    json_t *recipients = json_load_file(argv[2], 0, &jerr);
    if (!recipients) {
        fprintf(stderr, "bench_render: %s: %s\n", argv[2], jerr.text);
        return 1;
    }
    template_loader loader = {load, NULL, NULL};
    buf_t text = BUF_INIT;
    load(NULL, STR_LIT("campaign"), &text);
    template_t *t;
    mc_error err;
    if (template_compile(buf_view(&text), &loader, &t, &err) < 0) {
        fprintf(stderr, "bench_render: %s\n", err.message);
        return 1;
    }
    size_t count = json_array_size(recipients);
    buf_t out = BUF_INIT;
    if (!strcmp(argv[3], "--print")) {
        if (template_render(t, json_array_get(recipients, (size_t)atoi(argv[4])), &out, NULL,
                            &err) < 0)
            return fprintf(stderr, "bench_render: %s\n", err.message), 1;
        fwrite(out.p, 1, out.n, stdout);
        return 0;
    }
    long renders = atol(argv[3]);
    /* how many different recipients to cycle through (the first DISTINCT of the file) */
    if (argc > 4 && (size_t)atol(argv[4]) < count && atol(argv[4]) > 0)
        count = (size_t)atol(argv[4]);
    size_t bytes = 0;
    for (long i = 0; i < 2000; i++) { /* warm-up */
        buf_reset(&out);
        template_render(t, json_array_get(recipients, (size_t)i % count), &out, NULL, &err);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    for (long i = 0; i < renders; i++) {
        buf_reset(&out);
        if (template_render(t, json_array_get(recipients, (size_t)i % count), &out, NULL, &err) < 0)
            return fprintf(stderr, "bench_render: %s\n", err.message), 1;
        bytes += out.n;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("{\"engine\":\"mailcast\",\"renders\":%ld,\"seconds\":%f,\"per_second\":%f,\"bytes\":%"
           "zu}\n",
           renders, seconds, (double)renders / seconds, bytes);
    buf_free(&out);
    buf_free(&text);
    template_free(t);
    json_decref(recipients);
    return 0;
}
