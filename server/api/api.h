/* The HTTP API: every route of the product, and the authentication step in front of them.
 * Handlers are thin: parse, call the concern that owns the work, answer. */
#ifndef MC_API_API_H
#define MC_API_API_H

#include <stdbool.h>

#include "app/app.h"
#include "http/metrics.h"
#include "http/router.h"

/* What handlers get as their ctx. */
typedef struct {
    app_t *app;
    const http_router *router;
    http_metrics *metrics;
    /* called once a job is queued, so that this process's worker loop starts it without waiting
     * for its next poll; NULL when the process runs no worker */
    void (*job_queued)(void *arg);
    void *job_queued_arg;
    /* the open pixel's answer, built once (api_track_pixel_new()); NULL answers it anew */
    http_shared_response *pixel;
} api_context;

/* returns the shared answer of the open pixel; caller frees with
 * http_shared_response_free() once the server has stopped */
http_shared_response *api_track_pixel_new(void);
/* Adds every route to r. */
void api_routes_register(http_router *r);
/* http_server_options.authorize and .after for the API */
bool api_authorize(http_request *req, const http_route *route, void *ctx);
/* returns the least role (auth/roles.h) a route needs: ROLE_NONE for public routes, -1 when
 * an API route names no role or more than one */
int api_route_role(const http_route *route);
void api_after(http_request *req, void *ctx);
/* http_server_options.fallback: the dashboard's files from [paths] web_dir */
bool api_dashboard(http_request *req, void *ctx);

#endif
