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
/* An email shown in the dashboard (template previews, captured messages): its own inline styles,
 * remote images and fonts, never a script, a form or a plugin (sandbox without allow-*, which
 * also gives it an origin of its own, so it reads no cookie of the dashboard), framed only by
 * the dashboard. */
#define HTTP_CSP_EMAIL_FRAME                                                                       \
    "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *;"                   \
    " font-src * data:; frame-ancestors 'self'"

/* Adds Content-Security-Policy csp and Referrer-Policy: no-referrer to req's response
 * (X-Content-Type-Options: nosniff the server adds to every response, http/server.c). */
void http_page_headers(http_request *req, const char *csp);

/* Answers html (UTF-8) as an email in a frame: HTTP_CSP_EMAIL_FRAME, no referrer, never
 * cached (it may hold a subscriber's data). */
void http_respond_email_frame(http_request *req, const char *html, size_t n);

#endif
