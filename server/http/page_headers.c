/* The security headers of pages and dashboard files. */
#include "http/page_headers.h"

void http_page_headers(http_request *req, const char *csp)
{
    http_add_header(req, "Content-Security-Policy", csp);
    /* no-referrer rather than strict-origin-when-cross-origin: a preferences page's own URL is
     * a credential, and the dashboard links nowhere that needs to know where a visit came from */
    http_add_header(req, "Referrer-Policy", "no-referrer");
}

void http_respond_email_frame(http_request *req, const char *html, size_t n)
{
    http_page_headers(req, HTTP_CSP_EMAIL_FRAME);
    http_add_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "text/html; charset=utf-8", html, n);
}
