/* mailcast render: renders one template file with a JSON data file, for trying templates
 * out and for scripts. Partials come from --partials DIR as DIR/NAME.mustache. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/file.h"
#include "cli/options.h"
#include "core/buf.h"
#include "template/template.h"

typedef struct {
    const char *dir; /* NULL: no partials */
} partial_dir;

/* Template and partial files: the render limits bound what comes out, so no cap here */
static int read_input_file(const char *path, buf_t *out)
{
    return file_read_all(path, (size_t)1 << 30, out);
}

/* Partial names may name files in subfolders ("layouts/base") but never leave DIR. */
static bool safe_name(str_t name)
{
    if (name.n == 0 || name.n > 1024 || name.p[0] == '/' || memchr(name.p, '\0', name.n))
        return false;
    for (size_t i = 0; i < name.n;) {
        size_t j = i;
        while (j < name.n && name.p[j] != '/')
            j++;
        if (j - i == 2 && name.p[i] == '.' && name.p[i + 1] == '.') return false;
        i = j + 1;
    }
    return true;
}

static bool load_partial(void *ctx, str_t name, buf_t *out)
{
    const partial_dir *pd = ctx;
    if (!pd->dir || !safe_name(name)) return false;
    buf_t path = BUF_INIT;
    buf_appendf(&path, "%s/%.*s.mustache", pd->dir, (int)name.n, name.p);
    /* a missing partial renders as nothing, as the specification says */
    bool found = read_input_file(buf_cstr(&path), out) == 0;
    buf_free(&path);
    return found;
}

/* lists DIR/[sub/]NAME.mustache recursively, for dynamic partials ({{>*name}}) */
static void list_folder(const char *root, const char *sub, int depth,
                        void (*each)(void *acc, str_t name), void *acc)
{
    if (depth > 8) return;
    buf_t path = BUF_INIT;
    buf_appendf(&path, "%s%s%s", root, *sub ? "/" : "", sub);
    DIR *d = opendir(buf_cstr(&path));
    if (!d) {
        buf_free(&path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        buf_t name = BUF_INIT;
        buf_appendf(&name, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
        buf_t full = BUF_INIT;
        buf_appendf(&full, "%s/%s", root, buf_cstr(&name));
        struct stat st;
        size_t n = strlen(e->d_name);
        if (stat(buf_cstr(&full), &st) == 0 && S_ISDIR(st.st_mode))
            list_folder(root, buf_cstr(&name), depth + 1, each, acc);
        else if (n > 9 && !strcmp(e->d_name + n - 9, ".mustache"))
            each(acc, (str_t){buf_cstr(&name), name.n - 9});
        buf_free(&name);
        buf_free(&full);
    }
    closedir(d);
    buf_free(&path);
}

static void list_partials(void *ctx, void (*each)(void *acc, str_t name), void *acc)
{
    const partial_dir *pd = ctx;
    if (pd->dir) list_folder(pd->dir, "", 0, each, acc);
}

/* the text after "line N, column M: " at the start of message, or message itself */
static const char *after_position(const char *message)
{
    unsigned line, column;
    int used = 0;
    if (sscanf(message, "line %u, column %u: %n", &line, &column, &used) == 2 && used > 0)
        return message + used;
    return message;
}

/* Prints err as "FILE:LINE:COLUMN: what", the position once, as compilers do; an error without
 * a position as "FILE: what". Errors inside a partial or parent start with "partial 'NAME', "
 * or "parent 'NAME', ": the position then belongs to DIR/NAME.mustache, not to the template
 * file. */
static int fail_template(const char *file, const char *partials, const mc_error *err)
{
    const char *quote = NULL;
    if (!strncmp(err->message, "partial '", 9)) quote = err->message + 9;
    if (!strncmp(err->message, "parent '", 8)) quote = err->message + 8;
    const char *end = quote ? strstr(quote, "', ") : NULL;
    if (end && partials && err->field[0]) {
        fprintf(stderr, "mailcast render: %s/%.*s.mustache:%s: %s\n", partials, (int)(end - quote),
                quote, err->field, after_position(end + 3));
        return 1;
    }
    if (err->field[0] && !end)
        fprintf(stderr, "mailcast render: %s:%s: %s\n", file, err->field,
                after_position(err->message));
    else
        fprintf(stderr, "mailcast render: %s: %s\n", file, err->message);
    return 1;
}

int cli_render(int argc, char **argv)
{
    const char *data_file = NULL, *partials = NULL;
    const cli_option options[] = {
        {"data", "FILE.json", "the JSON value (usually an object) the template is rendered with",
         &data_file, NULL},
        {"partials", "DIR", "where partials and parents are found, as DIR/NAME.mustache", &partials,
         NULL},
        {NULL, NULL, NULL, NULL, NULL},
    };
    const cli_spec spec = {"mailcast render TEMPLATE_FILE [--data FILE.json] [--partials DIR]",
                           "Renders a Mustache template to standard output.", options, 1, 1};
    const char *positional[1];
    int count;
    int rc = cli_parse(&spec, argc, argv, positional, &count);
    if (rc) return rc == 1 ? 0 : rc;
    const char *template_file = positional[0];

    buf_t text = BUF_INIT;
    if (read_input_file(template_file, &text) < 0) {
        fprintf(stderr, "mailcast render: cannot read %s: %s\n", template_file, strerror(errno));
        buf_free(&text);
        return 1;
    }
    json_t *data = NULL;
    if (data_file) {
        json_error_t jerr;
        /* any JSON value is a context, as the Mustache specification's data are: a top-level
         * string, number or array renders with {{.}} or a section */
        data = json_load_file(data_file, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        /* integers beyond 64 bits: read every number as a double then, as JavaScript does */
        if (!data && strstr(jerr.text, "too big"))
            data = json_load_file(
                data_file, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                &jerr);
        if (!data && jerr.line < 1) {
            /* not a position in the file: it could not be opened or read */
            fprintf(stderr, "mailcast render: %s: %s\n", data_file, jerr.text);
            buf_free(&text);
            return 1;
        }
        if (!data) {
            fprintf(stderr, "mailcast render: %s:%d:%d: %s\n", data_file, jerr.line, jerr.column,
                    jerr.text);
            buf_free(&text);
            return 1;
        }
    }
    partial_dir pd = {partials};
    template_loader loader = {load_partial, list_partials, &pd};
    template_t *t;
    mc_error err = {0};
    buf_t out = BUF_INIT;
    rc = 0;
    if (template_compile(buf_view(&text), &loader, &t, &err) < 0) {
        rc = fail_template(template_file, partials, &err);
    } else {
        if (template_render(t, data, &out, NULL, &err) < 0)
            rc = fail_template(template_file, partials, &err);
        else if (fwrite(out.p ? out.p : "", 1, out.n, stdout) != out.n || fflush(stdout) != 0)
            rc = 1;
        template_free(t);
    }
    buf_free(&out);
    buf_free(&text);
    json_decref(data);
    return rc;
}
