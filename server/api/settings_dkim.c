/* GET /api/v1/settings/dkim: for each [dkim.DOMAIN], the DNS TXT record to publish, derived
 * from the private key file as it is on disk now, or why it cannot be. */
#include <string.h>

#include "api/internal.h"
#include "core/buf.h"
#include "mail/dkim_signer.h"

/* A TXT record's character-strings hold 255 bytes at most (RFC 1035): returns the value cut
 * into such pieces (a new reference) */
static json_t *txt_strings(const char *txt)
{
    json_t *parts = json_array();
    size_t n = strlen(txt);
    for (size_t at = 0; at < n; at += 255)
        json_array_append_new(parts, json_stringn(txt + at, n - at < 255 ? n - at : 255));
    return parts;
}

/* the record as a zone file line: NAME. IN TXT ( "piece" "piece" ) */
static json_t *zone_line(const char *name, json_t *parts)
{
    buf_t b = BUF_INIT;
    buf_appendf(&b, "%s. IN TXT (", name);
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part) buf_appendf(&b, " \"%s\"", json_string_value(part));
    buf_append_cstr(&b, " )");
    json_t *line = json_string(buf_cstr(&b));
    buf_free(&b);
    return line;
}

void api_settings_dkim(http_request *req, void *ctx)
{
    api_context *api = ctx;
    dkim_record *records;
    size_t count = dkim_records_from_config(&api->app->config, &records);
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++) {
        const dkim_record *r = &records[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "domain", r->domain, "selector",
                              r->selector, "algorithm", r->algorithm, "key_file", r->key_file,
                              "record_name", r->record_name);
        if (r->txt) {
            json_t *parts = txt_strings(r->txt);
            json_object_set_new(o, "zone", zone_line(r->record_name, parts));
            json_object_set_new(o, "txt", json_string(r->txt));
            json_object_set_new(o, "txt_strings", parts);
            json_object_set_new(o, "error", json_null());
        } else {
            json_object_set_new(o, "txt", json_null());
            json_object_set_new(o, "error", json_string(r->error));
        }
        json_array_append_new(items, o);
    }
    dkim_records_free(records, count);
    http_respond_json(req, 200, json_pack("{s:o}", "items", items));
}
