/* An open-addressing table of links under one mutex, indexed both by (campaign or template,
 * url) and by id. The statements that fill it run outside the mutex. */
#include "track/track_links.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "db/query.h"

#define DB_WAIT_MS        5000
#define TEMPLATE_OF_SLOTS 4096

typedef struct {
    long long id, campaign_id, template_id; /* one of campaign_id and template_id is 0 */
    char *url;
    size_t url_len;
    uint64_t hash; /* of (campaign, template, url) */
} link_entry;

struct track_links {
    pthread_mutex_t lock;
    size_t max_entries;
    link_entry *entries;
    size_t count;
    /* slot -> entry index + 1 (0: empty); capacity a power of two, twice max_entries */
    uint32_t *by_key, *by_id;
    size_t slots;
    /* the template of recently clicked transactional messages, by message id modulo the size
     * (template -1: the message is gone) */
    struct {
        long long message_id, template_id;
    } template_of[TEMPLATE_OF_SLOTS];
};

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t key_hash(long long campaign_id, long long template_id, str_t url)
{
    uint64_t h = 14695981039346656037ULL;
    h = fnv(h, &campaign_id, sizeof campaign_id);
    h = fnv(h, &template_id, sizeof template_id);
    return fnv(h, url.p, url.n);
}

static uint64_t id_hash(long long id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

track_links *track_links_new(size_t max_entries)
{
    track_links *links = xcalloc(1, sizeof *links);
    pthread_mutex_init(&links->lock, NULL);
    links->max_entries = max_entries ? max_entries : 1;
    links->slots = 16;
    while (links->slots < 2 * links->max_entries)
        links->slots *= 2;
    links->entries = xcalloc(links->max_entries, sizeof *links->entries);
    links->by_key = xcalloc(links->slots, sizeof *links->by_key);
    links->by_id = xcalloc(links->slots, sizeof *links->by_id);
    return links;
}

static void forget_all(track_links *links)
{
    for (size_t i = 0; i < links->count; i++)
        free(links->entries[i].url);
    links->count = 0;
    memset(links->by_key, 0, links->slots * sizeof *links->by_key);
    memset(links->by_id, 0, links->slots * sizeof *links->by_id);
}

void track_links_free(track_links *links)
{
    if (!links) return;
    forget_all(links);
    free(links->entries);
    free(links->by_key);
    free(links->by_id);
    pthread_mutex_destroy(&links->lock);
    free(links);
}

/* under the lock */
static const link_entry *find_key(track_links *links, long long campaign_id, long long template_id,
                                  str_t url, uint64_t h)
{
    for (size_t s = h & (links->slots - 1);; s = (s + 1) & (links->slots - 1)) {
        uint32_t k = links->by_key[s];
        if (!k) return NULL;
        const link_entry *e = &links->entries[k - 1];
        if (e->hash == h && e->campaign_id == campaign_id && e->template_id == template_id &&
            e->url_len == url.n && !memcmp(e->url, url.p, url.n))
            return e;
    }
}

/* under the lock */
static const link_entry *find_id(track_links *links, long long id)
{
    for (size_t s = id_hash(id) & (links->slots - 1);; s = (s + 1) & (links->slots - 1)) {
        uint32_t k = links->by_id[s];
        if (!k) return NULL;
        if (links->entries[k - 1].id == id) return &links->entries[k - 1];
    }
}

/* under the lock */
static void remember(track_links *links, long long id, long long campaign_id, long long template_id,
                     str_t url)
{
    uint64_t h = key_hash(campaign_id, template_id, url);
    if (find_id(links, id)) return;
    if (links->count == links->max_entries) forget_all(links);
    link_entry *e = &links->entries[links->count++];
    *e = (link_entry){id, campaign_id, template_id, xmalloc(url.n + 1), url.n, h};
    memcpy(e->url, url.p, url.n);
    e->url[url.n] = '\0';
    uint32_t k = (uint32_t)links->count;
    size_t s = h & (links->slots - 1);
    while (links->by_key[s])
        s = (s + 1) & (links->slots - 1);
    links->by_key[s] = k;
    s = id_hash(id) & (links->slots - 1);
    while (links->by_id[s])
        s = (s + 1) & (links->slots - 1);
    links->by_id[s] = k;
}

/* One statement for all the new links of a message. DO NOTHING inserts nothing for a link
 * that exists; the join finds it then, unless another worker committed it after this
 * statement began (its id is NULL here, and the next statement finds it). */
#define UPSERT_SQL(owner)                                                                          \
    "WITH input AS (SELECT u.url, u.n FROM unnest($2::text[]) WITH ORDINALITY AS u(url, n)),"      \
    " made AS (INSERT INTO tracked_links (" owner ", url) SELECT $1::bigint, url FROM input"       \
    " ON CONFLICT DO NOTHING RETURNING id, url)"                                                   \
    " SELECT COALESCE(m.id, l.id) FROM input i LEFT JOIN made m ON m.url = i.url"                  \
    " LEFT JOIN tracked_links l ON l." owner " = $1::bigint AND l.url = i.url ORDER BY i.n"
static const char CAMPAIGN_UPSERT_SQL[] = UPSERT_SQL("campaign_id");
static const char TEMPLATE_UPSERT_SQL[] = UPSERT_SQL("template_id");

/* Appends the PostgreSQL array literal of urls[0..n) to out. */
static void text_array(const str_t *urls, size_t n, buf_t *out)
{
    buf_putc(out, '{');
    for (size_t i = 0; i < n; i++) {
        buf_append_cstr(out, i ? ",\"" : "\"");
        for (size_t j = 0; j < urls[i].n; j++) {
            if (urls[i].p[j] == '"' || urls[i].p[j] == '\\') buf_putc(out, '\\');
            buf_putc(out, urls[i].p[j]);
        }
        buf_putc(out, '"');
    }
    buf_putc(out, '}');
}

/* Inserts or reads the rows of urls[0..n) for owner on a connection of pool, committed at
 * once; ids of rows another worker is committing meanwhile are read by a second statement.
 * returns 0 with ids, or -1 with err. */
static int upsert(db_pool *pool, long long campaign_id, long long template_id, const str_t *urls,
                  size_t n, long long *ids, mc_error *err)
{
    char owner[32];
    snprintf(owner, sizeof owner, "%lld", campaign_id ? campaign_id : template_id);
    buf_t array = BUF_INIT;
    text_array(urls, n, &array);
    const char *params[] = {owner, buf_cstr(&array)};
    PGconn *conn = db_pool_acquire(pool, DB_WAIT_MS, err);
    int rc = conn ? 0 : -1;
    bool missing = true;
    for (int attempt = 0; rc == 0 && missing && attempt < 2; attempt++) {
        PGresult *res =
            db_query(conn, campaign_id ? CAMPAIGN_UPSERT_SQL : TEMPLATE_UPSERT_SQL, 2, params, err);
        if (!res) {
            rc = -1;
            break;
        }
        missing = false;
        for (int i = 0; i < PQntuples(res) && (size_t)i < n; i++) {
            if (PQgetisnull(res, i, 0))
                missing = true;
            else
                ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        }
        PQclear(res);
    }
    if (rc == 0 && missing)
        rc = mc_error_set(err, 500, "internal_error", "", "a tracked link has no row");
    if (conn) db_pool_release(pool, conn);
    buf_free(&array);
    return rc;
}

int track_links_ids(track_links *links, db_pool *pool, long long campaign_id, long long template_id,
                    const str_t *urls, size_t n, long long *ids, mc_error *err)
{
    if (campaign_id) template_id = 0;
    /* the links the cache does not know, in their order */
    str_t *unknown = xcalloc(n ? n : 1, sizeof *unknown);
    size_t *where = xcalloc(n ? n : 1, sizeof *where);
    long long *found = xcalloc(n ? n : 1, sizeof *found);
    size_t misses = 0;
    pthread_mutex_lock(&links->lock);
    for (size_t i = 0; i < n; i++) {
        const link_entry *e = find_key(links, campaign_id, template_id, urls[i],
                                       key_hash(campaign_id, template_id, urls[i]));
        if (e) {
            ids[i] = e->id;
        } else {
            unknown[misses] = urls[i];
            where[misses++] = i;
        }
    }
    pthread_mutex_unlock(&links->lock);
    int rc = misses ? upsert(pool, campaign_id, template_id, unknown, misses, found, err) : 0;
    if (rc == 0 && misses) {
        pthread_mutex_lock(&links->lock);
        for (size_t k = 0; k < misses; k++) {
            ids[where[k]] = found[k];
            remember(links, found[k], campaign_id, template_id, unknown[k]);
        }
        pthread_mutex_unlock(&links->lock);
    }
    free(unknown);
    free(where);
    free(found);
    return rc;
}

/* A transactional message's link must be of the message's template; a message pruned by
 * retention no longer says which, and its signed token is then enough. */
static const char TEMPLATE_OF_SQL[] =
    "SELECT (SELECT template_id FROM messages WHERE id = $1::bigint)";
static const char LINK_SQL[] =
    "SELECT COALESCE(campaign_id, 0), COALESCE(template_id, 0), url FROM tracked_links"
    " WHERE id = $1::bigint";

/* Runs sql with the one id parameter on a connection of pool, taken for this statement
 * alone. returns the rows (caller frees with PQclear()) or NULL with err. */
static PGresult *query_by_id(db_pool *pool, const char *sql, long long id, mc_error *err)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", id);
    const char *params[] = {text};
    PGconn *conn = db_pool_acquire(pool, DB_WAIT_MS, err);
    if (!conn) return NULL;
    PGresult *res = db_query(conn, sql, 1, params, err);
    db_pool_release(pool, conn);
    return res;
}

/* whether entry e may be the link of a click on message_id of campaign_id */
static int belongs(track_links *links, const link_entry *e, db_pool *pool, long long campaign_id,
                   long long message_id, mc_error *err)
{
    if (campaign_id) return e->campaign_id == campaign_id;
    if (e->campaign_id || !e->template_id) return 0;
    size_t slot = (size_t)((unsigned long long)message_id % TEMPLATE_OF_SLOTS);
    pthread_mutex_lock(&links->lock);
    long long known = links->template_of[slot].message_id == message_id
                          ? links->template_of[slot].template_id
                          : 0;
    pthread_mutex_unlock(&links->lock);
    if (known) return known == -1 || known == e->template_id;
    PGresult *res = query_by_id(pool, TEMPLATE_OF_SQL, message_id, err);
    if (!res) return -1;
    known = PQgetisnull(res, 0, 0) ? -1 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    pthread_mutex_lock(&links->lock);
    links->template_of[slot].message_id = message_id;
    links->template_of[slot].template_id = known;
    pthread_mutex_unlock(&links->lock);
    return known == -1 || known == e->template_id;
}

int track_links_url(track_links *links, db_pool *pool, long long id, long long campaign_id,
                    long long message_id, buf_t *url, mc_error *err)
{
    link_entry found = {0};
    buf_reset(url);
    pthread_mutex_lock(&links->lock);
    const link_entry *e = find_id(links, id);
    if (e) {
        found = *e;
        buf_append(url, e->url, e->url_len);
    }
    pthread_mutex_unlock(&links->lock);
    if (!e) {
        PGresult *res = query_by_id(pool, LINK_SQL, id, err);
        if (!res) return -1;
        if (PQntuples(res) != 1) {
            PQclear(res);
            return 0;
        }
        found.id = id;
        found.campaign_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        found.template_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        buf_append(url, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2));
        PQclear(res);
        pthread_mutex_lock(&links->lock);
        remember(links, id, found.campaign_id, found.template_id, buf_view(url));
        pthread_mutex_unlock(&links->lock);
    }
    int rc = belongs(links, &found, pool, campaign_id, message_id, err);
    if (rc <= 0) buf_reset(url);
    return rc;
}
