/* The tracking endpoints: GET|HEAD /t/c/{token} redirects a click to its link's URL and
 * GET|HEAD /t/o/{token}.gif answers the open pixel. Both put their event into the batch
 * (track/tracker.h) and never wait on the database for it; a forged or altered click token
 * gets a small 404 page (templates/public/message.html) and no Location, a forged open token still
 * gets the image. */
#include <string.h>

#include "api/internal.h"
#include "track/track_rewrite.h"
#include "track/tracker.h"

/* a transparent 1x1 GIF */
static const unsigned char PIXEL[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff,
    0xff, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

/* every fetch of the image must reach the server to count */
static const char *const PIXEL_HEADERS[] = {
    "Cache-Control",
    "no-cache, no-store, must-revalidate, private, max-age=0",
    "Pragma",
    "no-cache",
    "Expires",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    NULL};

/* a click whose token or link is not valid: a page in the reader's language */
static void link_not_found(http_request *req, api_context *api)
{
    api_public_message(req, api, api_public_language(req, api, NULL, 0), 404,
                       "public.link.not_found", NULL);
}

http_shared_response *api_track_pixel_new(void)
{
    return http_shared_response_new(200, "image/gif", PIXEL, sizeof PIXEL, PIXEL_HEADERS);
}

static void no_store(http_request *req)
{
    http_add_header(req, "Cache-Control", "no-store, private");
}

void api_track_click(http_request *req, void *ctx)
{
    api_context *api = ctx;
    tracker *t = api->app->tracker;
    track_token token;
    buf_t token_url = BUF_INIT; /* a personalized link's, which token.url views */
    if (!t || !track_token_check_click(api->app->secret, req->params[0], &token, &token_url)) {
        link_not_found(req, api);
        buf_free(&token_url);
        return;
    }
    buf_t url = BUF_INIT;
    mc_error err;
    int rc = tracker_click(t, &token, !strcmp(req->method, "HEAD"), http_header(req, "User-Agent"),
                           http_remote_sockaddr(req), &url, &err);
    if (rc < 0) {
        api_public_message(req, api, api_public_language(req, api, NULL, 0), 503, "public.busy",
                           NULL);
    } else if (rc == 0) {
        link_not_found(req, api);
    } else {
        buf_t location = BUF_INIT;
        track_uri_from_iri(buf_view(&url), &location);
        no_store(req);
        http_add_header(req, "Location", buf_cstr(&location));
        http_respond(req, 302, "text/plain; charset=utf-8", "", 0);
        buf_free(&location);
    }
    buf_free(&url);
    buf_free(&token_url);
}

void api_track_open(http_request *req, void *ctx)
{
    api_context *api = ctx;
    tracker *t = api->app->tracker;
    str_t file = req->params[0];
    track_token token;
    if (t && file.n > 4 && !memcmp(file.p + file.n - 4, ".gif", 4) &&
        track_token_check(api->app->secret, str_make(file.p, file.n - 4), TRACK_OPEN, &token))
        tracker_open(t, &token, !strcmp(req->method, "HEAD"), http_header(req, "User-Agent"),
                     http_remote_sockaddr(req));
    if (api->pixel) {
        http_respond_shared(req, api->pixel);
        return;
    }
    for (size_t i = 0; PIXEL_HEADERS[i]; i += 2)
        http_add_header(req, PIXEL_HEADERS[i], PIXEL_HEADERS[i + 1]);
    http_respond(req, 200, "image/gif", PIXEL, sizeof PIXEL);
}
