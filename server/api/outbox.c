/* GET /api/v1/outbox and GET /api/v1/outbox/{name}[/parts|/html]: the messages the capture
 * transport kept instead of sending (no [smtp.*] relay configured), for the dashboard to show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "api/outbox_mime.h"
#include "http/page_headers.h"
#include "mail/transport_capture.h"

/* ?limit= and ?total= as every listing; ?cursor= here is the name of the last message of the
 * previous page, since the outbox is a folder, not a table: names sort by capture time, so the
 * next page is the names before it, whatever arrived meanwhile */
static int outbox_page(http_request *req, int *limit, bool *total, const char **cursor,
                       mc_error *err)
{
    *limit = 50;
    *total = false;
    *cursor = http_query(req, "cursor");
    if (*cursor && !(*cursor)[0]) *cursor = NULL;
    if (*cursor && !capture_name_valid(*cursor))
        return mc_error_set(err, 400, "invalid_field", "cursor",
                            "cursor must be a value returned as next_cursor");
    const char *l = http_query(req, "limit"), *t = http_query(req, "total");
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (!l[0] || *end || v < 1 || v > 1000)
            return mc_error_set(err, 400, "invalid_field", "limit",
                                "limit must be a number from 1 to 1000");
        *limit = (int)v;
    }
    if (t) {
        if (!strcmp(t, "true") || !strcmp(t, "1"))
            *total = true;
        else if (strcmp(t, "false") && strcmp(t, "0"))
            return mc_error_set(err, 400, "invalid_field", "total", "total must be true or false");
    }
    return 0;
}

/* the message's name, size, time and its From, To, Subject and Date as text */
static json_t *summary(const capture_entry *e, str_t message)
{
    char modified[32];
    struct tm tm;
    gmtime_r(&e->modified, &tm);
    strftime(modified, sizeof modified, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *obj = json_pack("{s:s, s:I, s:s}", "name", e->name, "size", (json_int_t)e->size,
                            "modified_at", modified);
    static const char *const fields[][2] = {
        {"From", "from"}, {"To", "to"}, {"Subject", "subject"}, {"Date", "date"}};
    buf_t value = BUF_INIT;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        json_object_set_new(obj, fields[i][1],
                            outbox_header_text(message, fields[i][0], &value)
                                ? json_stringn(value.p ? value.p : "", value.n)
                                : json_null());
    buf_free(&value);
    return obj;
}

void api_outbox_list(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    int limit;
    bool with_total;
    const char *cursor;
    if (outbox_page(req, &limit, &with_total, &cursor, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    capture_entry *entries = NULL;
    size_t count = 0, total = 0;
    if (capture_list(api->app->mail.outbox_dir, 0, SIZE_MAX, &entries, &count, &total, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    size_t from = 0;
    while (cursor && from < count && strcmp(entries[from].name, cursor) >= 0)
        from++;
    json_t *items = json_array();
    buf_t message = BUF_INIT;
    size_t i = from;
    for (; i < count && i - from < (size_t)limit; i++) {
        buf_reset(&message);
        mc_error rerr;
        /* a file removed since the listing (an erased subscriber's copy) is skipped */
        if (capture_read(api->app->mail.outbox_dir, entries[i].name, &message, &rerr) < 0) continue;
        json_array_append_new(items, summary(&entries[i], buf_view(&message)));
    }
    buf_free(&message);
    json_t *list = json_pack("{s:o}", "items", items);
    json_object_set_new(list, "next_cursor",
                        i < count && i > 0 ? json_string(entries[i - 1].name) : json_null());
    if (with_total) json_object_set_new(list, "total", json_integer((json_int_t)total));
    /* with a relay, what is here is from an earlier run: the dashboard says where mail goes */
    json_object_set_new(list, "capturing", json_boolean(api->app->mail.relays.count == 0));
    free(entries);
    http_respond_json(req, 200, list);
}

/* Reads the message named by the path into message. returns 0, or -1 having answered. */
static int read_message(http_request *req, api_context *api, char name[128], buf_t *message)
{
    mc_error err;
    str_t p = req->params[0];
    if (p.n >= 128) {
        http_respond_error_with(req, 400, "invalid_field", "name", "no message has that name");
        return -1;
    }
    memcpy(name, p.p, p.n);
    name[p.n] = '\0';
    if (capture_read(api->app->mail.outbox_dir, name, message, &err) < 0) {
        http_respond_error(req, &err);
        return -1;
    }
    return 0;
}

void api_outbox_get(http_request *req, void *ctx)
{
    char name[128];
    buf_t message = BUF_INIT;
    if (read_message(req, ctx, name, &message) == 0)
        http_respond(req, 200, "message/rfc822", buf_cstr(&message), message.n);
    buf_free(&message);
}

void api_outbox_parts(http_request *req, void *ctx)
{
    api_context *api = ctx;
    char name[128];
    buf_t message = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
    if (read_message(req, api, name, &message) == 0) {
        capture_entry e = {.size = message.n, .modified = 0};
        snprintf(e.name, sizeof e.name, "%s", name);
        /* the time of capture is in the name; the file's own time is the listing's */
        capture_entry *entries = NULL;
        size_t count = 0, total = 0;
        mc_error err;
        if (capture_list(api->app->mail.outbox_dir, 0, SIZE_MAX, &entries, &count, &total, &err) ==
            0)
            for (size_t i = 0; i < count; i++)
                if (!strcmp(entries[i].name, name)) e.modified = entries[i].modified;
        free(entries);
        json_t *obj = summary(&e, buf_view(&message));
        json_object_set_new(obj, "headers", outbox_headers(buf_view(&message)));
        bool has_text = outbox_part_text(buf_view(&message), "text/plain", &text);
        bool has_html = outbox_part_text(buf_view(&message), "text/html", &html);
        json_object_set_new(obj, "text",
                            has_text ? json_stringn(text.p ? text.p : "", text.n) : json_null());
        json_object_set_new(obj, "has_html", json_boolean(has_html));
        http_respond_json(req, 200, obj);
    }
    buf_free(&message);
    buf_free(&text);
    buf_free(&html);
}

/* Removes our open pixels (<img src="PUBLIC_URL/t/o/...">, track/track_rewrite.c) from html:
 * someone reading the outbox is not the recipient opening the message, and must not count as
 * one. */
static void drop_open_pixels(buf_t *html, const char *public_url)
{
    buf_t prefix = BUF_INIT, kept = BUF_INIT;
    buf_appendf(&prefix, "<img src=\"%s/t/o/", public_url);
    const char *p = buf_cstr(html), *end = p + html->n;
    for (;;) {
        const char *tag = strstr(p, buf_cstr(&prefix));
        const char *close = tag ? memchr(tag, '>', (size_t)(end - tag)) : NULL;
        if (!close) break;
        buf_append(&kept, p, (size_t)(tag - p));
        p = close + 1;
    }
    if (kept.n || p != buf_cstr(html)) {
        buf_append(&kept, p, (size_t)(end - p));
        buf_t old = *html;
        *html = kept;
        kept = old;
    }
    buf_free(&kept);
    buf_free(&prefix);
}

void api_outbox_html(http_request *req, void *ctx)
{
    api_context *api = ctx;
    char name[128];
    buf_t message = BUF_INIT, html = BUF_INIT;
    if (read_message(req, api, name, &message) == 0) {
        if (outbox_part_text(buf_view(&message), "text/html", &html)) {
            drop_open_pixels(&html, api->app->config.public_url);
            http_respond_email_frame(req, buf_cstr(&html), html.n);
        } else {
            http_respond_error_with(req, 404, "not_found", "name", "this message has no HTML part");
        }
    }
    buf_free(&message);
    buf_free(&html);
}
