/* The compiled-campaign cache: a few slots, least recently used replaced first. */
#include "sender/send_campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/template_source.h"
#include "campaign/utm_links.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/query.h"
#include "mail/text_template.h"

static void slot_free(send_campaign *c)
{
    template_free(c->subject);
    template_free(c->html);
    template_free(c->marked_html);
    track_template_free(c->links);
    template_free(c->text);
    template_free(c->derived_text);
    free(c->version);
    free(c->from_email);
    free(c->from_name);
    free(c->reply_to);
    free(c->relay);
    free(c->list_key);
    free(c->list_name);
    free(c->list_names);
    json_decref(c->headers);
    free(c->header_list);
    memset(c, 0, sizeof *c);
}

void send_campaign_cache_next_batch(send_campaign_cache *cache)
{
    cache->batch++;
}

void send_campaign_cache_free(send_campaign_cache *cache)
{
    for (int i = 0; i < SEND_CAMPAIGN_CACHE; i++)
        slot_free(&cache->slots[i]);
}

static bool slot_is(const send_campaign *c, long long id, bool is_template, int variant)
{
    return c->id == id && c->is_template == is_template && c->variant == variant;
}

static send_campaign *find_slot(send_campaign_cache *cache, long long id, bool is_template,
                                int variant)
{
    send_campaign *victim = &cache->slots[0];
    for (int i = 0; i < SEND_CAMPAIGN_CACHE; i++) {
        send_campaign *c = &cache->slots[i];
        if (slot_is(c, id, is_template, variant)) return c;
        if (c->last_used < victim->last_used) victim = c;
    }
    slot_free(victim);
    return victim;
}

static void load_headers(send_campaign *c, const char *json)
{
    c->headers = json_loads(json, 0, NULL);
    size_t n = json_object_size(c->headers);
    c->header_list = n ? xcalloc(n, sizeof *c->header_list) : NULL;
    const char *key;
    json_t *value;
    json_object_foreach(c->headers, key, value)
    {
        c->header_list[c->header_count++] =
            (mail_header){str_from_cstr(key), str_from_cstr(json_string_value(value))};
    }
}

/* Compiles html (the body after UTM tagging) once more with every source's trackable links
 * marked, into c->marked_html and c->links; leaves both NULL, and says why, when the links
 * can only be found in each rendered message. */
static void compile_marked(send_campaign *c, const template_loader *loader, str_t html,
                           long long id, bool is_template)
{
    track_template *links = track_template_new();
    template_loader marking = track_template_loader(links, loader);
    buf_t marked = BUF_INIT;
    track_template_mark(links, html, &marked);
    mc_error why = {0};
    template_t *t = NULL;
    if (template_compile_strict(buf_view(&marked), &marking, &t, &why) == 0 &&
        track_template_usable(links)) {
        c->marked_html = t;
        c->links = links;
    } else {
        log_info("send: %s %lld: tracking finds the links of each message: %s",
                 is_template ? "template" : "campaign", id,
                 track_template_usable(links) ? why.message : track_template_why(links));
        template_free(t);
        track_template_free(links);
    }
    buf_free(&marked);
}

/* Fills c (campaign or template id) from row 0 of res (columns as in LOAD_SQL). returns 0 or -1
 * with err. */
static int compile_slot(send_campaign *c, PGconn *conn, const char *templates_dir, PGresult *res,
                        long long id, bool is_template, mc_error *err)
{
    template_source src = {conn, templates_dir};
    const char *text = PQgetvalue(res, 0, 3);
    /* links tagged in the template's text, so the text part shows them tagged as well */
    json_t *utm = json_loads(PQgetvalue(res, 0, 10), 0, NULL);
    buf_t html = BUF_INIT;
    utm_tag_links(str_from_cstr(PQgetvalue(res, 0, 2)), utm, &html);
    json_decref(utm);
    if (template_source_compile(&src, "subject", PQgetvalue(res, 0, 1), &c->subject, err) < 0 ||
        template_source_compile(&src, "body", buf_cstr(&html), &c->html, err) < 0 ||
        (text[0] && template_source_compile(&src, "text_body", text, &c->text, err) < 0)) {
        buf_free(&html);
        return -1;
    }
    /* once here rather than an HTML-to-text conversion for every message */
    template_loader loader = template_source_loader(&src);
    if (PQgetvalue(res, 0, 14)[0] == 't' || PQgetvalue(res, 0, 15)[0] == 't')
        compile_marked(c, &loader, buf_view(&html), id, is_template);
    mc_error why;
    if (!text[0] && text_template_derive(buf_view(&html), &loader, &c->derived_text, &why) < 0)
        log_info("send: %s %lld: the text part is converted from each message's HTML: %s",
                 is_template ? "template" : "campaign", id, why.message);
    buf_free(&html);
    c->from_email = xstrdup(PQgetvalue(res, 0, 4));
    c->from_name = xstrdup(PQgetvalue(res, 0, 5));
    c->reply_to = xstrdup(PQgetvalue(res, 0, 6));
    c->relay = xstrdup(PQgetvalue(res, 0, 7));
    load_headers(c, PQgetvalue(res, 0, 8));
    c->rate_per_s = strtod(PQgetvalue(res, 0, 9), NULL);
    return 0;
}

/* The A/B variant a message is built with, as x (v: its index, o: its overrides; both NULL
 * outside a test): the one asked for ($2, a test message's), else the test's winner once
 * chosen (the held rest). What a variant leaves out is the campaign's. The variant is part of
 * the version, so that the rest is compiled again with the winner once there is one. */
#define SEND_VARIANT_SQL                                                                           \
    "LEFT JOIN LATERAL (SELECT w.v, a.variants -> w.v AS o FROM campaign_ab_tests a,"              \
    " LATERAL (SELECT COALESCE($2::integer, a.winner::integer) AS v) w"                            \
    " WHERE a.campaign_id = c.id) x ON true"

/* The audience the List-Id names (columns 11 and 12): the campaign's first list, else its
 * first segment, else the campaign itself; then the names of all its lists (column 13). Read
 * with every batch, so that a renamed list shows in the messages that follow. Then whether
 * opens and clicks are tracked (14, 15): as the campaign says; always for transactional
 * templates, never for system messages (their links are the reader's own confirmations). */
static const char LOAD_SQL[] =
    "SELECT c.updated_at::text || '/' || COALESCE(t.updated_at::text, '') || '/' ||"
    " COALESCE(x.v::text, ''), COALESCE(x.o->>'subject', c.subject),"
    " COALESCE(x.o->>'body', CASE WHEN x.o ? 'template_id' THEN NULL ELSE c.body END, t.body),"
    " COALESCE(t.text_body, ''), c.from_email, COALESCE(x.o->>'from_name', c.from_name),"
    " c.reply_to, c.relay, c.headers::text, COALESCE(c.rate_per_s, 0), c.utm::text,"
    " COALESCE((SELECT 'list-' || l.id FROM lists l WHERE l.id = c.lists[1]),"
    " (SELECT 'segment-' || s.id FROM segments s WHERE s.id = c.segments[1]), 'campaign-' || c.id),"
    " COALESCE((SELECT l.name FROM lists l WHERE l.id = c.lists[1]),"
    " (SELECT s.name FROM segments s WHERE s.id = c.segments[1]), c.name),"
    " COALESCE((SELECT string_agg(l.name, ', ' ORDER BY array_position(c.lists, l.id))"
    " FROM lists l WHERE l.id = ANY(c.lists)), ''), c.track_opens, c.track_clicks FROM campaigns c"
    " " SEND_VARIANT_SQL " LEFT JOIN templates t ON t.id = CASE WHEN x.o ? 'template_id' THEN"
    " (x.o->>'template_id')::bigint WHEN x.o ? 'body' THEN NULL ELSE c.template_id END"
    " WHERE c.id = $1";

static const char TEMPLATE_SQL[] =
    "SELECT t.updated_at::text, t.subject, t.body, t.text_body, $2, '', '', '', '{}', 0, '{}',"
    " '', '', '', t.name NOT LIKE 'system/%', t.name NOT LIKE 'system/%' FROM templates t"
    " WHERE t.id = $1";

/* the audience's names, from row 0 of res (columns as in LOAD_SQL) */
static void load_list(send_campaign *c, PGresult *res)
{
    free(c->list_key);
    free(c->list_name);
    free(c->list_names);
    c->list_key = xstrdup(PQgetvalue(res, 0, 11));
    c->list_name = xstrdup(PQgetvalue(res, 0, 12));
    c->list_names = xstrdup(PQgetvalue(res, 0, 13));
    c->track_opens = PQgetvalue(res, 0, 14)[0] == 't';
    c->track_clicks = PQgetvalue(res, 0, 15)[0] == 't';
}

/* Loads through sql (columns as in LOAD_SQL) and compiles when the version changed. */
static const send_campaign *get(send_campaign_cache *cache, PGconn *conn, const char *templates_dir,
                                long long id, bool is_template, int variant, const char *from_email,
                                mc_error *err)
{
    /* checked once per batch: a batch holds hundreds of messages of the same campaign */
    for (int i = 0; i < SEND_CAMPAIGN_CACHE; i++) {
        send_campaign *c = &cache->slots[i];
        if (slot_is(c, id, is_template, variant) && c->checked == cache->batch) {
            c->last_used = ++cache->clock;
            return c;
        }
    }
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    char variant_text[16];
    snprintf(variant_text, sizeof variant_text, "%d", variant);
    const char *params[] = {id_text, is_template ? from_email : variant >= 0 ? variant_text : NULL};
    PGresult *res = db_query(conn, is_template ? TEMPLATE_SQL : LOAD_SQL, 2, params, err);
    if (!res) return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "%s %lld is gone",
                     is_template ? "template" : "campaign", id);
        return NULL;
    }
    send_campaign *c = find_slot(cache, id, is_template, variant);
    c->last_used = ++cache->clock;
    if (slot_is(c, id, is_template, variant) && !strcmp(c->version, PQgetvalue(res, 0, 0))) {
        c->checked = cache->batch;
        load_list(c, res);
        PQclear(res);
        return c;
    }
    slot_free(c);
    int rc = compile_slot(c, conn, templates_dir, res, id, is_template, err);
    if (rc == 0) {
        load_list(c, res);
        c->id = id;
        c->is_template = is_template;
        c->variant = variant;
        c->version = xstrdup(PQgetvalue(res, 0, 0));
        c->last_used = cache->clock;
        c->checked = cache->batch;
    } else {
        slot_free(c);
    }
    PQclear(res);
    return rc == 0 ? c : NULL;
}

const send_campaign *send_campaign_get(send_campaign_cache *cache, PGconn *conn,
                                       const char *templates_dir, long long id, int variant,
                                       mc_error *err)
{
    return get(cache, conn, templates_dir, id, false, variant < 0 ? -1 : variant, NULL, err);
}

const send_campaign *send_template_get(send_campaign_cache *cache, PGconn *conn,
                                       const char *templates_dir, long long id,
                                       const char *from_email, mc_error *err)
{
    return get(cache, conn, templates_dir, id, true, -1, from_email, err);
}
