/* The dashboard's files: from the folder [paths] web_dir names, with a strict path check (no
 * "..", no hidden files, resolved path inside root), or else from the copy embedded in the
 * binary at build time. */
#include "http/static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "http/page_headers.h"
#include "http/web_files.h"

#define STATIC_FILE_MAX (32u * 1024 * 1024)

static const struct {
    const char *ext;
    const char *type;
} CONTENT_TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof CONTENT_TYPES / sizeof CONTENT_TYPES[0]; i++)
        if (!strcmp(dot, CONTENT_TYPES[i].ext)) return CONTENT_TYPES[i].type;
    return "application/octet-stream";
}

/* Only plain relative paths: segments of safe characters, none starting with a dot. */
static bool safe_path(const char *path)
{
    if (path[0] != '/') return false;
    for (const char *p = path + 1; *p; p++) {
        if ((p[-1] == '/' && *p == '.') || *p == '\\') return false;
        if ((unsigned char)*p < 0x20) return false;
    }
    return true;
}

/* Reads root + rel when it is a regular file inside root. returns 0, or -1 when absent. */
static int read_inside(const char *root_real, const char *rel, buf_t *out)
{
    char joined[PATH_MAX * 2], resolved[PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s", root_real, rel);
    if (!realpath(joined, resolved)) return -1;
    size_t root_len = strlen(root_real);
    if (strncmp(resolved, root_real, root_len) != 0 || resolved[root_len] != '/') return -1;
    int fd = open(resolved, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_FILE_MAX) {
        close(fd);
        return -1;
    }
    buf_reserve(out, (size_t)st.st_size);
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(out, chunk, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}

static const char NOT_BUILT_PAGE[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>mailcast</title>"
    "</head><body>"
    "<h1>mailcast is running</h1><p>The dashboard has not been built on this server. The JSON "
    "API answers under <code>/api/v1</code> (see <code>docs/api/openapi.yaml</code>); "
    "<code>/healthz</code> tells whether the database answers.</p></body></html>";

/* One file of the dashboard, from the folder or from the binary. */
typedef struct {
    const char *root_real; /* the folder, resolved; NULL for the embedded files */
    buf_t owned;           /* a file read from the folder */
    const void *data;
    size_t size;
    bool hashed;
} dash_file;

/* Finds path (starting with "/") in f's source. returns true when found. */
static bool find_file(dash_file *f, const char *path)
{
    if (f->root_real) {
        buf_reset(&f->owned);
        if (read_inside(f->root_real, path, &f->owned) != 0) return false;
        f->data = f->owned.p;
        f->size = f->owned.n;
        f->hashed = !strncmp(path, "/assets/", 8);
        return true;
    }
    for (size_t i = 0; i < WEB_FILE_COUNT; i++) {
        if (strcmp(WEB_FILES[i].path, path) != 0) continue;
        f->data = WEB_FILES[i].data;
        f->size = WEB_FILES[i].size;
        f->hashed = WEB_FILES[i].hashed;
        return true;
    }
    return false;
}

bool http_static_serve(http_request *req, const char *root)
{
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) return false;
    if (!strncmp(req->path, "/api/", 5) || !safe_path(req->path)) return false;
    char root_real[PATH_MAX];
    bool from_disk = root && root[0];
    /* a folder that does not exist serves nothing, not the embedded copy: the setting says
     * which files to serve */
    bool have_files = from_disk ? realpath(root, root_real) != NULL : WEB_FILE_COUNT > 0;
    dash_file file = {.root_real = from_disk ? root_real : NULL, .owned = BUF_INIT};
    const char *served = req->path;
    bool found = false;
    if (have_files && strcmp(req->path, "/") != 0) found = find_file(&file, req->path);
    /* paths without an extension are the app's own routes: they get index.html */
    const char *last = strrchr(req->path, '/');
    if (!found && have_files && !strchr(last, '.')) {
        served = "/index.html";
        found = find_file(&file, served);
    }
    if (!found) {
        buf_free(&file.owned);
        if (strcmp(req->path, "/") != 0) return false;
        http_add_header(req, "Cache-Control", "no-cache");
        http_page_headers(req, HTTP_CSP_APP);
        http_respond(req, 200, "text/html; charset=utf-8", NOT_BUILT_PAGE,
                     sizeof NOT_BUILT_PAGE - 1);
        return true;
    }
    /* hashed build output never changes; the entry page must always be fetched again */
    http_add_header(req, "Cache-Control",
                    file.hashed ? "public, max-age=31536000, immutable" : "no-cache");
    /* on every file, not only index.html: an SVG or HTML asset is a page too */
    http_page_headers(req, HTTP_CSP_APP);
    http_respond(req, 200, content_type_of(served), file.data, file.size);
    buf_free(&file.owned);
    return true;
}
