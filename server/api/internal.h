/* Helpers shared by the API's handlers, and the handlers' declarations. */
#ifndef MC_API_INTERNAL_H
#define MC_API_INTERNAL_H

#include <libpq-fe.h>

#include "api/api.h"
#include "http/request.h"

/* returns the request's database connection (taken on first use, given back after the
 * handler), or NULL after answering 503 */
PGconn *api_db(http_request *req, api_context *ctx);

typedef struct {
    long long after; /* keyset cursor: the last id of the previous page, 0 for the first */
    int limit;       /* 1..1000, default 50 */
    bool total;      /* ?total=true */
} api_page;

/* Parses ?limit=, ?cursor= and ?total=. returns 0, or -1 with a 400 in err. */
int api_page_parse(http_request *req, api_page *page, mc_error *err);
/* Reads a required string member of a JSON object. returns 0 with *out borrowed from obj, or
 * -1 with a 400 naming the field. */
int api_json_string(json_t *obj, const char *field, const char **out, mc_error *err);

void api_healthz(http_request *req, void *ctx);
void api_metrics(http_request *req, void *ctx);
void api_auth_login(http_request *req, void *ctx);
void api_auth_logout(http_request *req, void *ctx);
void api_auth_me(http_request *req, void *ctx);
void api_tokens_create(http_request *req, void *ctx);
void api_tokens_list(http_request *req, void *ctx);
void api_tokens_revoke(http_request *req, void *ctx);

#endif
