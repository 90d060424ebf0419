/* The security headers of pages and dashboard files. */
#include "http/page_headers.h"

void http_page_headers(http_request *req, const char *csp)
{
    http_add_header(req, "Content-Security-Policy", csp);
    /* no-referrer rather than strict-origin-when-cross-origin: a preferences page's own URL is
     * a credential, and the dashboard links nowhere that needs to know where a visit came from */
    http_add_header(req, "Referrer-Policy", "no-referrer");
}
