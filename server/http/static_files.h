/* Serving the built dashboard (a single-page app) from a folder, or from the copy embedded in
 * the binary: files by path, and index.html for any other GET that is not an API route, so the
 * app's own routes load. */
#ifndef MC_HTTP_STATIC_FILES_H
#define MC_HTTP_STATIC_FILES_H

#include <stdbool.h>

#include "http/request.h"

/* Answers req from the folder root, or from the embedded files when root is NULL or empty, when
 * it is a GET or HEAD outside /api/. returns false (and answers nothing) for other requests.
 * Without an index.html there, "/" gets a short page saying that the dashboard is not built. */
bool http_static_serve(http_request *req, const char *root);

#endif
