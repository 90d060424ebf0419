/* The public pages (no login): GET/POST /subscribe, GET /confirm/{token},
 * GET/POST /preferences/{token} (also the RFC 8058 one-click unsubscribe of List-Unsubscribe).
 * A forged or expired token gets a friendly page with 400 and never anyone's data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "audience/public_flows.h"
#include "audience/public_token.h"
#include "http/form.h"
#include "content/system_templates.h"
#include "queue/system_mail.h"

#define MAX_FORM_LISTS 100

/* error_key: the word shown above the form, NULL for none; ticked: the id of a list to show
 * ticked, 0 for none */
static void subscribe_form(http_request *req, api_context *ctx, const char *lang, int status,
                           const char *error_key, const char *email, const char *name,
                           long long ticked)
{
    mc_error err;
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    json_t *lists = public_lists(conn, &err);
    if (!lists) {
        api_public_message(req, ctx, lang, 503, "public.busy", NULL);
        return;
    }
    for (size_t i = 0; ticked > 0 && i < json_array_size(lists); i++) {
        json_t *list = json_array_get(lists, i);
        if (json_integer_value(json_object_get(list, "id")) == ticked)
            json_object_set_new(list, "subscribed", json_true());
    }
    const char *error = error_key ? catalog_word(&ctx->app->catalogs, lang, error_key) : "";
    api_public_page(req, ctx, lang, status, "subscribe.html",
                    json_pack("{s:s, s:s, s:s, s:o}", "error", error, "email", email, "name", name,
                              "lists", lists));
}

void api_public_subscribe_form(http_request *req, void *ctx)
{
    /* ?list=<id>: the link a list offers for itself comes with that list ticked; anything
     * else in the parameter ticks nothing */
    const char *list = http_query(req, "list");
    char *end = NULL;
    long long ticked = list && *list >= '1' && *list <= '9' ? strtoll(list, &end, 10) : 0;
    if (!end || *end) ticked = 0;
    subscribe_form(req, ctx, api_public_language(req, ctx, NULL, 0), 200, NULL, "", "", ticked);
}

/* Form fields of the request, in either form encoding. */
static bool form_field(http_request *req, const char *name, int index, buf_t *out)
{
    return http_form_field(http_header(req, "Content-Type"), buf_view(&req->body), name, index,
                           out);
}

/* Collects every "list" value of the form as a PostgreSQL array literal of ids. */
static bool form_lists(http_request *req, buf_t *out)
{
    buf_t value = BUF_INIT;
    buf_reset(out);
    buf_putc(out, '{');
    bool ok = true;
    int i;
    for (i = 0; i < MAX_FORM_LISTS && form_field(req, "list", i, &value); i++) {
        char *end;
        long long id = strtoll(buf_cstr(&value), &end, 10);
        if (!value.n || *end || id <= 0) ok = false;
        buf_appendf(out, "%s%lld", i ? "," : "", id);
    }
    buf_putc(out, '}');
    buf_free(&value);
    return ok && i < MAX_FORM_LISTS;
}

/* public_optin_mailer: the confirmation mail of a double opt-in, with the signed link of
 * GET /confirm/{token}; its words are those of the subscriber's language (the send loop adds
 * them) */
static int queue_confirmation(PGconn *conn, void *ctx, long long subscriber, long long request,
                              const char *list_names, mc_error *err)
{
    const app_t *app = ((api_context *)ctx)->app;
    char token[PUBLIC_TOKEN_MAX];
    public_token_make(app->secret, TOKEN_CONFIRM, subscriber, request,
                      time(NULL) + (time_t)CONFIRM_TOKEN_DAYS * 24 * 3600, token);
    buf_t url = BUF_INIT;
    buf_appendf(&url, "%s/confirm/%s", app->config.public_url, token);
    json_t *data = json_pack("{s:s, s:s}", "confirm_url", buf_cstr(&url), "list_name", list_names);
    char *text = json_dumps(data, JSON_COMPACT);
    long long template_id = content_system_template(
        conn, app->config.templates_dir, "optin_confirm", "{{t.mail.optin.subject}}", err);
    long long id =
        template_id < 0 ? -1 : system_mail_enqueue(conn, template_id, subscriber, text, err);
    free(text);
    json_decref(data);
    buf_free(&url);
    return id < 0 ? -1 : 0;
}

/* the word that tells what is wrong with the form's field (public_subscribe()'s err.field) */
static const char *subscribe_error(const char *field)
{
    if (!strcmp(field, "name")) return "public.subscribe.error.name";
    if (!strcmp(field, "lists")) return "public.subscribe.error.lists";
    return "public.subscribe.error.email";
}

void api_public_subscribe(http_request *req, void *ctx)
{
    api_context *api = ctx;
    buf_t email = BUF_INIT, name = BUF_INIT, trap = BUF_INIT, lists = BUF_INIT;
    form_field(req, "email", 0, &email);
    form_field(req, "name", 0, &name);
    form_field(req, "website", 0, &trap);
    const char *lang = api_public_language(req, api, NULL, 0);
    if (trap.n) {
        /* a robot filled the hidden field: answer as if all went well, do nothing */
        api_public_message(req, api, lang, 200, "public.thanks", NULL);
    } else if (!form_lists(req, &lists)) {
        subscribe_form(req, api, lang, 400, "public.preferences.error.lists", buf_cstr(&email),
                       buf_cstr(&name), 0);
    } else {
        mc_error err;
        PGconn *conn = api_db(req, api);
        if (conn) {
            /* a new subscriber keeps the language their browser asked for: their mail, the
             * confirmation first, speaks it */
            const char *asked =
                catalog_accept_language(&api->app->catalogs, http_header(req, "Accept-Language"));
            int rc = public_subscribe(conn, api->app->secret, buf_cstr(&email), buf_cstr(&name),
                                      asked, buf_cstr(&lists), http_remote_addr(req),
                                      queue_confirmation, api, &err);
            if (rc == 0)
                api_public_message(req, api, lang, 200, "public.thanks", NULL);
            else if (err.status == 429)
                api_public_message(req, api, lang, 429, "public.wait", NULL);
            else if (err.status == 400)
                subscribe_form(req, api, lang, 400, subscribe_error(err.field), buf_cstr(&email),
                               buf_cstr(&name), 0);
            else
                api_public_message(req, api, lang, 503, "public.busy", NULL);
        }
    }
    buf_free(&email);
    buf_free(&name);
    buf_free(&trap);
    buf_free(&lists);
}

/* Checks the {token} path parameter; answers the friendly 400 page itself when it fails. */
static bool token_param(http_request *req, api_context *ctx, char purpose, long long *subscriber,
                        long long *ref)
{
    char token[PUBLIC_TOKEN_MAX];
    str_t p = req->param_count ? req->params[0] : STR_NULL;
    int rc = TOKEN_FORGED;
    if (p.p && p.n < sizeof token) {
        memcpy(token, p.p, p.n);
        token[p.n] = '\0';
        rc = public_token_check(ctx->app->secret, token, purpose, time(NULL), subscriber, ref);
    }
    /* whose link it is cannot be trusted: the request's languages */
    if (rc == TOKEN_EXPIRED)
        api_public_message(req, ctx, api_public_language(req, ctx, NULL, 0), 400,
                           "public.link.expired", NULL);
    else if (rc != TOKEN_OK)
        api_public_message(req, ctx, api_public_language(req, ctx, NULL, 0), 400,
                           "public.link.invalid", NULL);
    return rc == TOKEN_OK;
}

/* The page of a valid link whose subscription or subscriber is gone (err 404; else busy):
 * the invalid link's title over the words message_key. */
static void gone_page(http_request *req, api_context *ctx, const char *lang, const mc_error *err,
                      const char *message_key)
{
    if (err->status != 404) {
        api_public_message(req, ctx, lang, 503, "public.busy", NULL);
        return;
    }
    const catalog_set *words = &ctx->app->catalogs;
    api_public_page(req, ctx, lang, 400, "message.html",
                    json_pack("{s:s, s:s}", "title",
                              catalog_word(words, lang, "public.link.invalid.title"), "message",
                              catalog_word(words, lang, message_key)));
}

void api_public_confirm(http_request *req, void *ctx)
{
    long long subscriber, ref;
    if (!token_param(req, ctx, TOKEN_CONFIRM, &subscriber, &ref)) return;
    mc_error err;
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    json_t *names = public_confirm(conn, subscriber, ref, http_remote_addr(req), &err);
    const char *lang = api_public_language(req, ctx, conn, subscriber);
    if (!names) {
        gone_page(req, ctx, lang, &err, "public.link.unknown_request");
        return;
    }
    api_public_message(req, ctx, lang, 200, "public.confirmed", names);
}

/* message_key: the word shown above the form, NULL for none */
static void preferences_page(http_request *req, api_context *ctx, PGconn *conn,
                             long long subscriber, const char *message_key)
{
    mc_error err;
    const char *lang = api_public_language(req, ctx, conn, subscriber);
    json_t *prefs = public_preferences(conn, subscriber, &err);
    if (!prefs) {
        gone_page(req, ctx, lang, &err, "public.link.unknown_subscriber");
        return;
    }
    json_object_set_new(
        prefs, "message",
        json_string(message_key ? catalog_word(&ctx->app->catalogs, lang, message_key) : ""));
    api_public_page(req, ctx, lang, 200, "preferences.html", prefs);
}

void api_public_preferences(http_request *req, void *ctx)
{
    long long subscriber, ref;
    if (!token_param(req, ctx, TOKEN_PREFERENCES, &subscriber, &ref)) return;
    PGconn *conn = api_db(req, ctx);
    if (conn) preferences_page(req, ctx, conn, subscriber, NULL);
}

/* RFC 8058 one-click: a mailbox provider posts List-Unsubscribe=One-Click to the URL of the
 * List-Unsubscribe header, without cookies and without following a redirect, and shows nothing
 * of the answer; the subscriber leaves every list as with action=unsubscribe_all. */
static void one_click_unsubscribe(http_request *req, api_context *ctx, PGconn *conn,
                                  long long subscriber, long long message)
{
    static const char done[] = "You are unsubscribed from every list.\n";
    mc_error err;
    if (public_unsubscribe_all(conn, subscriber, http_remote_addr(req), message, &err) < 0)
        api_public_message(req, ctx, CATALOG_DEFAULT, 503, "public.busy", NULL);
    else
        http_respond(req, 200, "text/plain; charset=utf-8", done, sizeof done - 1);
}

void api_public_preferences_save(http_request *req, void *ctx)
{
    api_context *api = ctx;
    long long subscriber, ref;
    if (!token_param(req, ctx, TOKEN_PREFERENCES, &subscriber, &ref)) return;
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    buf_t action = BUF_INIT, lists = BUF_INIT;
    if (form_field(req, "List-Unsubscribe", 0, &action) &&
        str_eq_cstr(buf_view(&action), "One-Click")) {
        one_click_unsubscribe(req, api, conn, subscriber, ref);
        buf_free(&action);
        return;
    }
    form_field(req, "action", 0, &action);
    bool all = str_eq_cstr(buf_view(&action), "unsubscribe_all");
    bool ok = form_lists(req, &lists);
    mc_error err;
    if (!ok) {
        preferences_page(req, api, conn, subscriber, "public.preferences.error.lists");
    } else if ((all ? public_unsubscribe_all(conn, subscriber, http_remote_addr(req), ref, &err)
                    : public_preferences_save(conn, subscriber, buf_cstr(&lists),
                                              http_remote_addr(req), ref, &err)) < 0) {
        api_public_message(req, api, api_public_language(req, api, conn, subscriber), 503,
                           "public.busy", NULL);
    } else {
        preferences_page(req, api, conn, subscriber,
                         all ? "public.preferences.unsubscribed" : "public.preferences.saved");
    }
    buf_free(&action);
    buf_free(&lists);
}
