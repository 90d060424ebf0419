/* POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me */
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "auth/users.h"

static void set_session_cookie(http_request *req, const api_context *api, const char *token,
                               unsigned max_age)
{
    bool secure = strncmp(api->app->config.public_url, "https://", 8) == 0;
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token, max_age, secure ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
}

void api_auth_login(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    json_t *body = NULL;
    const char *email, *password;
    if (http_json_body(req, &body, &err) < 0 || api_json_string(body, "email", &email, &err) < 0 ||
        api_json_string(body, "password", &password, &err) < 0) {
        json_decref(body);
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) {
        json_decref(body);
        return;
    }
    const char *addr = http_remote_addr(req);
    if (login_throttle_check(conn, email, addr, api->app->config.login_attempts_per_minute, &err) <
        0) {
        json_decref(body);
        if (err.status == 429) http_add_header(req, "Retry-After", "60");
        http_respond_error(req, &err);
        return;
    }
    long long user_id = 0;
    sem_wait(&api->app->password_slots);
    int rc = user_check_password(conn, email, password, &user_id, &err);
    sem_post(&api->app->password_slots);
    if (rc < 0) {
        json_decref(body);
        http_respond_error(req, &err);
        return;
    }
    if (rc == 1) {
        login_throttle_record_failure(conn, email, addr);
        json_decref(body);
        http_respond_error_with(req, 401, "invalid_credentials", "email",
                                "the email address or the password is wrong");
        return;
    }
    login_throttle_clear(conn, email);
    json_decref(body);
    char token[SESSION_TOKEN_MAX], csrf[SESSION_TOKEN_MAX];
    unsigned hours = api->app->config.session_hours;
    json_t *user = NULL;
    if (session_create(conn, user_id, hours, addr, token, csrf, &err) < 0 ||
        !(user = user_get(conn, user_id, &err))) {
        http_respond_error(req, &err);
        return;
    }
    set_session_cookie(req, api, token, hours * 3600u);
    http_respond_json(req, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", csrf));
}

void api_auth_logout(http_request *req, void *ctx)
{
    api_context *api = ctx;
    const char *cookie = http_cookie(req, SESSION_COOKIE);
    if (cookie && req->user_id) {
        PGconn *conn = api_db(req, api);
        if (!conn) return;
        mc_error err;
        if (session_delete(conn, cookie, &err) < 0) {
            http_respond_error(req, &err);
            return;
        }
    }
    set_session_cookie(req, api, "", 0);
    http_respond(req, 204, NULL, "", 0);
}

/* Answers the session's user as GET /api/v1/auth/me does, or err when user is NULL. Takes over
 * user. */
static void respond_me(http_request *req, json_t *user, const mc_error *err)
{
    if (!user) {
        http_respond_error(req, err);
        return;
    }
    http_respond_json(req, 200,
                      json_pack("{s:s, s:o, s:s}", "kind", "session", "user", user, "role",
                                role_name((mc_role)req->role)));
}

void api_auth_me(http_request *req, void *ctx)
{
    api_context *api = ctx;
    if (!req->user_id) {
        http_respond_json(req, 200,
                          json_pack("{s:s, s:I, s:s}", "kind", "token", "token_id",
                                    (json_int_t)req->token_id, "role",
                                    role_name((mc_role)req->role)));
        return;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    mc_error err;
    respond_me(req, user_get(conn, req->user_id, &err), &err);
}

/* returns the language of app's catalogs that is exactly code, or NULL */
static const char *catalog_code(const api_context *api, const char *code)
{
    const catalog_set *set = &api->app->catalogs;
    for (size_t i = 0; i < set->language_count; i++)
        if (!strcmp(set->languages[i].lang, code)) return set->languages[i].lang;
    return NULL;
}

/* PATCH /api/v1/auth/me {"language": "ru" | null}: the logged-in user's own settings. The
 * dashboard's languages are its own catalogs, which the server cannot see; the public pages'
 * catalogs (templates_dir/locales) hold the same languages, so their codes are the ones
 * accepted. */
void api_auth_me_patch(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    json_t *body = NULL;
    if (http_json_body(req, &body, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    json_t *value = json_object_get(body, "language");
    const char *language = NULL;
    if (!req->user_id) {
        mc_error_set(&err, 400, "not_a_session", "",
                     "an API token has no user settings: log in with a session to change them");
    } else if (!value) {
        mc_error_set(&err, 400, "invalid_field", "language", "language is required");
    } else if (!json_is_null(value) &&
               (!json_is_string(value) ||
                !(language = catalog_code(api, json_string_value(value))))) {
        buf_t codes = BUF_INIT;
        for (size_t i = 0; i < api->app->catalogs.language_count; i++)
            buf_appendf(&codes, "%s%s", i ? ", " : "", api->app->catalogs.languages[i].lang);
        mc_error_set(&err, 400, "invalid_field", "language",
                     "language must be one of %s, or null for the browser's", buf_cstr(&codes));
        buf_free(&codes);
        value = NULL;
    }
    if (!req->user_id || !value) {
        json_decref(body);
        http_respond_error(req, &err);
        return;
    }
    json_decref(body);
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    json_t *user = NULL;
    if (user_set_language(conn, req->user_id, language, &err) == 0)
        user = user_get(conn, req->user_id, &err);
    respond_me(req, user, &err);
}
