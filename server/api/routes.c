/* The route table. docs/api/openapi.yaml lists the same routes; a test keeps them equal. */
#include "api/api.h"
#include "api/internal.h"

void api_routes_register(http_router *r)
{
    http_router_add(r, "GET", "/healthz", api_healthz, 0);
    http_router_add(r, "GET", "/metrics", api_metrics, 0);

    http_router_add(r, "POST", "/api/v1/auth/login", api_auth_login, ROUTE_API | ROUTE_PUBLIC);
    http_router_add(r, "POST", "/api/v1/auth/logout", api_auth_logout, ROUTE_API);
    http_router_add(r, "GET", "/api/v1/auth/me", api_auth_me, ROUTE_API);

    http_router_add(r, "GET", "/api/v1/tokens", api_tokens_list, ROUTE_API);
    http_router_add(r, "POST", "/api/v1/tokens", api_tokens_create, ROUTE_API);
    http_router_add(r, "DELETE", "/api/v1/tokens/{id}", api_tokens_revoke, ROUTE_API);
}
