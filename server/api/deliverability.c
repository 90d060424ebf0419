/* GET /api/v1/deliverability/check?domain=: the DNS preflight of a sending domain. The
 * lookups run in the request's thread, each bounded by [dns] timeout_seconds. */
#include "api/internal.h"
#include "mail/preflight.h"

void api_deliverability_check(http_request *req, void *ctx)
{
    api_context *api = ctx;
    const char *domain = http_query(req, "domain");
    mc_error err;
    json_t *answer;
    if (!domain || !*domain) {
        mc_error_set(&err, 400, "invalid_field", "domain",
                     "domain is required: ?domain=example.com");
        http_respond_error(req, &err);
        return;
    }
    const relay_set *relays = api->app->mail_loaded ? &api->app->mail.relays : NULL;
    if (preflight_run(&api->app->config, relays, domain, &answer, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    http_respond_json(req, 200, answer);
}
