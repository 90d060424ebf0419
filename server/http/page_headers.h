/* The headers every HTML page (and every file of the dashboard) carries, so that a page cannot
 * be framed, run a script it did not ship, leak its URL (public pages hold signed tokens in
 * theirs) or have its type guessed by the browser. */
#ifndef MC_HTTP_PAGE_HEADERS_H
#define MC_HTTP_PAGE_HEADERS_H

#include "http/request.h"

/* Public pages: nothing but their own stylesheet, forms posting back to this server. */
#define HTTP_CSP_PUBLIC_PAGE                                                                       \
    "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none';"                   \
    " frame-ancestors 'none'"
/* The dashboard: scripts, styles, images and API calls from this server only; no inline
 * script. */
#define HTTP_CSP_APP                                                                               \
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self';"                  \
    " frame-ancestors 'none'"

/* Adds Content-Security-Policy csp and Referrer-Policy: no-referrer to req's response
 * (X-Content-Type-Options: nosniff the server adds to every response, http/server.c). */
void http_page_headers(http_request *req, const char *csp);

#endif
