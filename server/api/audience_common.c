/* What the audience handlers share: the origin of a change made through the API (consent
 * source "api"). */
#include "api/internal.h"

void api_audience_origin(http_request *req, api_context *ctx, audience_origin *origin)
{
    origin->secret = ctx->app->secret;
    origin->source = "api";
    origin->remote_addr = http_remote_addr(req);
}
