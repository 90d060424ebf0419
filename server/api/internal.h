/* Helpers shared by the API's handlers, and the handlers' declarations. */
#ifndef MC_API_INTERNAL_H
#define MC_API_INTERNAL_H

#include <libpq-fe.h>

#include "api/api.h"
#include "audience/subscribers.h"
#include "auth/roles.h"
#include "http/request.h"
#include "http/stream.h"

/* Answers obj with status, or err when obj is NULL. Takes over obj. */
void api_respond_object(http_request *req, int status, json_t *obj, const mc_error *err);
/* Answers err; a 409 with existing_id > 0 adds "id" to the error object so clients can go on
 * with the subscriber that holds the address. */
void api_respond_error_with_id(http_request *req, const mc_error *err, long long existing_id);
/* Parses the JSON body and takes the request's connection. returns the connection with *body
 * (caller frees with json_decref()), or NULL after answering. */
PGconn *api_body_and_db(http_request *req, api_context *ctx, json_t **body);
/* Parses the {id} path parameter and takes the request's database connection. returns the
 * connection, or NULL after answering 404 (bad id) or 503 (no connection). */
PGconn *api_id_and_db(http_request *req, void *ctx, long long *id);
/* Parses {id} and the JSON object body and takes the connection. returns the connection with
 * *body (caller frees with json_decref()), or NULL after answering (404, 400 or 503). */
PGconn *api_id_body_and_db(http_request *req, void *ctx, long long *id, json_t **body);
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
/* The start of every keyset listing: parses the page and takes the request's connection.
 * returns the connection, or NULL after answering (400 or 503). */
PGconn *api_page_and_db(http_request *req, void *ctx, api_page *page);
/* The start of a keyset listing of one object's things (a subscriber's bounces or events):
 * parses {id} and the page and takes the request's connection. returns the connection, or NULL
 * after answering (404, 400 or 503). */
PGconn *api_id_page_and_db(http_request *req, void *ctx, long long *id, api_page *page);
/* Reads a required string member of a JSON object. returns 0 with *out borrowed from obj, or
 * -1 with a 400 naming the field. */
int api_json_string(json_t *obj, const char *field, const char **out, mc_error *err);
/* Reads the optional "role" member of a JSON object. returns 0 with *out (fallback when it is
 * absent), or -1 with a 400 naming role when it is not a role's name. */
int api_json_role(json_t *obj, mc_role fallback, mc_role *out, mc_error *err);

/* Fills origin for a change made through the API by this request (consent source "api"). */
void api_audience_origin(http_request *req, api_context *ctx, audience_origin *origin);
/* Reads the subscriber filters of the query string (query, list, list_status, status,
 * segment). returns 0 or -1 with a 400 in err. */
int api_subscriber_filter_parse(http_request *req, subscriber_filter *f, mc_error *err);

/* Answers 200 with a body that reader produces from ctx after the handler returns, from the
 * request's database connection (taken with api_db()), which moves to the stream: free_fn
 * releases ctx, then the connection goes back to the pool, when the body is done or the client
 * leaves. Takes over ctx. Headers added with http_add_header() are sent as usual. */
void api_respond_stream_with_db(http_request *req, api_context *api, const char *content_type,
                                http_stream_reader reader, void *ctx, http_stream_free free_fn);

/* Answers a public HTML page rendered from templates_dir/public/NAME with the template engine;
 * context is the page's data (the call takes over the reference), to which the words of
 * language lang are added as t (i18n/catalog.h). Partials ({{> name}}) come from the same
 * folder. */
void api_public_page(http_request *req, api_context *ctx, const char *lang, int status,
                     const char *name, json_t *context);
/* Answers message.html with the words KEY.title and KEY.message of lang; items (a JSON array
 * of strings, taken over; may be NULL) is shown as a list under the message. */
void api_public_message(http_request *req, api_context *ctx, const char *lang, int status,
                        const char *key, json_t *items);
/* returns the language of a public page: the "language" attribute of subscriber (0: none known;
 * read through conn) when the catalogs have it, else the request's Accept-Language, else
 * English. Points into the catalogs. */
const char *api_public_language(http_request *req, api_context *ctx, PGconn *conn,
                                long long subscriber);

void api_healthz(http_request *req, void *ctx);
void api_templates_list(http_request *req, void *ctx);
void api_templates_create(http_request *req, void *ctx);
void api_templates_get(http_request *req, void *ctx);
void api_templates_put(http_request *req, void *ctx);
void api_templates_patch(http_request *req, void *ctx);
void api_templates_delete(http_request *req, void *ctx);
void api_templates_preview(http_request *req, void *ctx);
void api_templates_preview_source(http_request *req, void *ctx);
void api_preview_frame(http_request *req, void *ctx);
void api_campaigns_list(http_request *req, void *ctx);
void api_campaigns_create(http_request *req, void *ctx);
void api_campaigns_get(http_request *req, void *ctx);
void api_campaigns_put(http_request *req, void *ctx);
void api_campaigns_patch(http_request *req, void *ctx);
void api_campaigns_delete(http_request *req, void *ctx);
void api_campaigns_duplicate(http_request *req, void *ctx);
void api_campaigns_schedule(http_request *req, void *ctx);
void api_campaigns_send(http_request *req, void *ctx);
void api_campaigns_pause(http_request *req, void *ctx);
void api_campaigns_resume(http_request *req, void *ctx);
void api_campaigns_cancel(http_request *req, void *ctx);
void api_campaigns_progress(http_request *req, void *ctx);
void api_campaigns_test(http_request *req, void *ctx);
void api_campaigns_audience(http_request *req, void *ctx);
void api_campaigns_stats(http_request *req, void *ctx);
void api_campaigns_stats_compare(http_request *req, void *ctx);
void api_subscribers_activity(http_request *req, void *ctx);
void api_lists_growth(http_request *req, void *ctx);
void api_messages_get(http_request *req, void *ctx);
void api_tx_create(http_request *req, void *ctx);
void api_outbox_list(http_request *req, void *ctx);
void api_outbox_get(http_request *req, void *ctx);
void api_outbox_parts(http_request *req, void *ctx);
void api_outbox_html(http_request *req, void *ctx);
void api_metrics(http_request *req, void *ctx);
void api_auth_login(http_request *req, void *ctx);
void api_auth_logout(http_request *req, void *ctx);
void api_auth_me(http_request *req, void *ctx);
void api_auth_me_patch(http_request *req, void *ctx);
void api_settings_relays(http_request *req, void *ctx);
void api_settings_relays_test(http_request *req, void *ctx);
void api_settings_dkim(http_request *req, void *ctx);
void api_deliverability_check(http_request *req, void *ctx);
void api_tokens_create(http_request *req, void *ctx);
void api_users_list(http_request *req, void *ctx);
void api_users_create(http_request *req, void *ctx);
void api_users_get(http_request *req, void *ctx);
void api_users_patch(http_request *req, void *ctx);
void api_users_delete(http_request *req, void *ctx);
void api_tokens_list(http_request *req, void *ctx);
void api_tokens_revoke(http_request *req, void *ctx);

void api_subscribers_list(http_request *req, void *ctx);
void api_subscribers_create(http_request *req, void *ctx);
void api_subscribers_bulk(http_request *req, void *ctx);
void api_subscribers_export(http_request *req, void *ctx);
void api_subscribers_get(http_request *req, void *ctx);
void api_subscribers_put(http_request *req, void *ctx);
void api_subscribers_patch(http_request *req, void *ctx);
void api_subscribers_delete(http_request *req, void *ctx);
void api_subscribers_person_export(http_request *req, void *ctx);
void api_subscribers_erase(http_request *req, void *ctx);
void api_subscribers_bounces(http_request *req, void *ctx);
void api_bounces_create(http_request *req, void *ctx);
void api_events_create(http_request *req, void *ctx);
void api_subscribers_events(http_request *req, void *ctx);
void api_webhooks_ses(http_request *req, void *ctx);
void api_webhooks_sendgrid(http_request *req, void *ctx);
void api_webhooks_postmark(http_request *req, void *ctx);
void api_webhooks_mailgun(http_request *req, void *ctx);
void api_outgoing_webhooks_list(http_request *req, void *ctx);
void api_outgoing_webhooks_create(http_request *req, void *ctx);
void api_outgoing_webhooks_get(http_request *req, void *ctx);
void api_outgoing_webhooks_put(http_request *req, void *ctx);
void api_outgoing_webhooks_patch(http_request *req, void *ctx);
void api_outgoing_webhooks_delete(http_request *req, void *ctx);
void api_outgoing_webhooks_deliveries(http_request *req, void *ctx);
void api_outgoing_webhooks_test(http_request *req, void *ctx);
void api_lists_list(http_request *req, void *ctx);
void api_lists_create(http_request *req, void *ctx);
void api_lists_get(http_request *req, void *ctx);
void api_lists_put(http_request *req, void *ctx);
void api_lists_patch(http_request *req, void *ctx);
void api_lists_delete(http_request *req, void *ctx);
void api_lists_members_put(http_request *req, void *ctx);
void api_lists_members_delete(http_request *req, void *ctx);
void api_imports_create(http_request *req, void *ctx);
void api_imports_list(http_request *req, void *ctx);
void api_imports_get(http_request *req, void *ctx);
void api_imports_errors(http_request *req, void *ctx);
void api_segments_list(http_request *req, void *ctx);
void api_segments_create(http_request *req, void *ctx);
void api_segments_evaluate(http_request *req, void *ctx);
void api_segments_get(http_request *req, void *ctx);
void api_segments_put(http_request *req, void *ctx);
void api_segments_delete(http_request *req, void *ctx);
void api_segments_count(http_request *req, void *ctx);
void api_segments_preview(http_request *req, void *ctx);

void api_triggers_list(http_request *req, void *ctx);
void api_triggers_create(http_request *req, void *ctx);
void api_triggers_get(http_request *req, void *ctx);
void api_triggers_put(http_request *req, void *ctx);
void api_triggers_patch(http_request *req, void *ctx);
void api_triggers_delete(http_request *req, void *ctx);
void api_triggers_pause(http_request *req, void *ctx);
void api_triggers_resume(http_request *req, void *ctx);
void api_triggers_stats(http_request *req, void *ctx);
void api_triggers_enrollments(http_request *req, void *ctx);

void api_public_subscribe_form(http_request *req, void *ctx);
void api_public_subscribe(http_request *req, void *ctx);
void api_public_confirm(http_request *req, void *ctx);
void api_public_preferences(http_request *req, void *ctx);
void api_public_preferences_save(http_request *req, void *ctx);
void api_public_stylesheet(http_request *req, void *ctx);

/* tracking (track.c): GET|HEAD /t/c/{token} and /t/o/{token}.gif */
void api_track_click(http_request *req, void *ctx);
void api_track_open(http_request *req, void *ctx);

#endif
