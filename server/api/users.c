/* /api/v1/users: admins manage who logs in and with which role. */
#include <semaphore.h>

#include "api/internal.h"
#include "auth/users.h"

void api_users_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, user_list(conn, page.after, page.limit, page.total, &err), &err);
}

/* Reads the optional "password" member. returns 0 with *out (NULL when absent), or -1 with a
 * 400 naming password. */
static int body_password(json_t *body, const char **out, mc_error *err)
{
    *out = NULL;
    return json_object_get(body, "password") ? api_json_string(body, "password", out, err) : 0;
}

void api_users_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    const char *email, *password;
    mc_role role;
    long long id = 0;
    json_t *user = NULL;
    if (api_json_string(body, "email", &email, &err) == 0 &&
        api_json_string(body, "password", &password, &err) == 0 &&
        api_json_role(body, ROLE_VIEWER, &role, &err) == 0) {
        /* hashing a password takes a large share of memory: as many at once as logins */
        sem_wait(&api->app->password_slots);
        int rc = user_create(conn, email, password, role, &id, &err);
        sem_post(&api->app->password_slots);
        if (rc == 0) user = user_get(conn, id, &err);
    }
    json_decref(body);
    api_respond_object(req, 201, user, &err);
}

void api_users_get(http_request *req, void *ctx)
{
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, user_get(conn, id, &err), &err);
}

void api_users_patch(http_request *req, void *ctx)
{
    api_context *api = ctx;
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    mc_error err;
    const char *password;
    mc_role role;
    json_t *user = NULL;
    bool has_role = json_object_get(body, "role") != NULL;
    if (api_json_role(body, ROLE_VIEWER, &role, &err) == 0 &&
        body_password(body, &password, &err) == 0) {
        if (password) sem_wait(&api->app->password_slots);
        int rc = user_update(conn, id, has_role ? &role : NULL, password, &err);
        if (password) sem_post(&api->app->password_slots);
        if (rc == 0) user = user_get(conn, id, &err);
    }
    json_decref(body);
    api_respond_object(req, 200, user, &err);
}

void api_users_delete(http_request *req, void *ctx)
{
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    mc_error err;
    if (user_delete(conn, id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    http_respond(req, 204, NULL, "", 0);
}
