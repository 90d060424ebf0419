/* Static files with a strict path check: no "..", no hidden files, resolved path inside root. */
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

bool http_static_serve(http_request *req, const char *root)
{
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) return false;
    if (!strncmp(req->path, "/api/", 5) || !safe_path(req->path)) return false;
    char root_real[PATH_MAX];
    bool have_root = root && realpath(root, root_real);
    buf_t body = BUF_INIT;
    const char *served = req->path;
    bool found = false;
    if (have_root && strcmp(req->path, "/") != 0)
        found = read_inside(root_real, req->path, &body) == 0;
    /* paths without an extension are the app's own routes: they get index.html */
    const char *last = strrchr(req->path, '/');
    if (!found && have_root && !strchr(last, '.')) {
        buf_reset(&body);
        served = "/index.html";
        found = read_inside(root_real, served, &body) == 0;
    }
    if (!found) {
        buf_free(&body);
        if (strcmp(req->path, "/") != 0) return false;
        http_add_header(req, "Cache-Control", "no-cache");
        http_page_headers(req, HTTP_CSP_APP);
        http_respond(req, 200, "text/html; charset=utf-8", NOT_BUILT_PAGE,
                     sizeof NOT_BUILT_PAGE - 1);
        return true;
    }
    /* hashed build output never changes; the entry page must always be fetched again */
    http_add_header(req, "Cache-Control",
                    !strncmp(served, "/assets/", 8) ? "public, max-age=31536000, immutable"
                                                    : "no-cache");
    /* on every file, not only index.html: an SVG or HTML asset is a page too */
    http_page_headers(req, HTTP_CSP_APP);
    http_respond(req, 200, content_type_of(served), body.p, body.n);
    buf_free(&body);
    return true;
}
