/* GET /api/v1/outbox and GET /api/v1/outbox/{name}: the messages the capture transport kept
 * instead of sending (no [smtp.*] relay configured), for the dashboard to show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "mail/transport_capture.h"

void api_outbox_list(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    api_page page;
    if (api_page_parse(req, &page, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    /* the outbox is a folder, not a table: its cursor is a position in the listing */
    capture_entry *entries = NULL;
    size_t count = 0, total = 0;
    if (capture_list(api->app->mail.outbox_dir, (size_t)page.after, (size_t)page.limit, &entries,
                     &count, &total, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++) {
        char modified[32];
        struct tm tm;
        gmtime_r(&entries[i].modified, &tm);
        strftime(modified, sizeof modified, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_array_append_new(items,
                              json_pack("{s:s, s:I, s:s}", "name", entries[i].name, "size",
                                        (json_int_t)entries[i].size, "modified_at", modified));
    }
    free(entries);
    size_t next = (size_t)page.after + count;
    json_t *list = json_pack("{s:o}", "items", items);
    if (next < total) {
        char cursor[32];
        snprintf(cursor, sizeof cursor, "%zu", next);
        json_object_set_new(list, "next_cursor", json_string(cursor));
    } else {
        json_object_set_new(list, "next_cursor", json_null());
    }
    if (page.total) json_object_set_new(list, "total", json_integer((json_int_t)total));
    http_respond_json(req, 200, list);
}

void api_outbox_get(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    char name[256];
    str_t p = req->params[0];
    if (p.n >= sizeof name) {
        http_respond_error_with(req, 400, "invalid_field", "name", "no message has that name");
        return;
    }
    memcpy(name, p.p, p.n);
    name[p.n] = '\0';
    buf_t message = BUF_INIT;
    if (capture_read(api->app->mail.outbox_dir, name, &message, &err) < 0) {
        buf_free(&message);
        http_respond_error(req, &err);
        return;
    }
    http_respond(req, 200, "message/rfc822", buf_cstr(&message), message.n);
    buf_free(&message);
}
