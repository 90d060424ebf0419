/* Retention statements. Each deletion picks its chunk through messages_ended_idx in index
 * order (so it reads what it deletes and stops at the chunk's end whatever the statistics say)
 * and commits on its own; rows another transaction holds are skipped, so that two workers
 * pruning at once share the work instead of waiting for each other. */
#include "queue/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db/query.h"
#include "queue/message_state.h"

#define ENDED MESSAGE_ENDED_SQL

/* Only a campaign whose counts are stored loses its messages: its progress needs them. */
static const char NEXT_CAMPAIGN_SQL[] =
    "SELECT id FROM campaigns WHERE state IN ('finished', 'cancelled')"
    " AND messages_pruned_at IS NULL AND finished_at < now() - $1::integer * interval '1 day'"
    " AND sent_count IS NOT NULL ORDER BY finished_at, id LIMIT 1";

static const char DELETE_CAMPAIGN_CHUNK_SQL[] =
    "WITH doomed AS (SELECT id FROM messages WHERE campaign_id = $1::bigint AND state IN " ENDED
    " ORDER BY campaign_id, updated_at LIMIT $2::integer FOR UPDATE SKIP LOCKED)"
    " DELETE FROM messages WHERE id = ANY(ARRAY(SELECT id FROM doomed))";

/* ORDER BY campaign_id as well: it is NULL for all of them, and the order then is the index's,
 * which the planner recognizes (IS NULL alone does not make updated_at the index order). */
static const char DELETE_OTHER_CHUNK_SQL[] =
    "WITH doomed AS (SELECT id FROM messages WHERE campaign_id IS NULL AND state IN " ENDED
    " AND updated_at < now() - $1::integer * interval '1 day'"
    " ORDER BY campaign_id, updated_at LIMIT $2::integer FOR UPDATE SKIP LOCKED)"
    " DELETE FROM messages WHERE id = ANY(ARRAY(SELECT id FROM doomed))";

retention_step retention_next(retention_pass *p, bool out_of_time)
{
    if (out_of_time || (p->campaigns_done && p->others_done)) return RETENTION_DONE;
    if (p->campaigns_done)
        p->last = RETENTION_OTHERS;
    else if (p->others_done)
        p->last = RETENTION_CAMPAIGNS;
    else
        p->last = p->last == RETENTION_CAMPAIGNS ? RETENTION_OTHERS : RETENTION_CAMPAIGNS;
    return p->last;
}

/* returns the rows sql changed, or -1 with err */
static long long affected(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          mc_error *err)
{
    PGresult *res = db_query(conn, sql, nparams, params, err);
    if (!res) return -1;
    long long n = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return n;
}

/* Deletes a chunk of the messages of the campaign that ended first among those old enough
 * that still have some. returns 1 when there was such a campaign, 0 when none is left, -1 with
 * err. */
static int prune_campaign_chunk(PGconn *conn, const char *days, const char *chunk,
                                retention_emptied_fn emptied, retention_counts *counts,
                                mc_error *err)
{
    const char *params[] = {days};
    PGresult *res = db_query(conn, NEXT_CAMPAIGN_SQL, 1, params, err);
    if (!res) return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    char id[32];
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *chunk_params[] = {id, chunk};
    long long deleted = affected(conn, DELETE_CAMPAIGN_CHUNK_SQL, 2, chunk_params, err);
    if (deleted < 0) return -1;
    counts->campaign_messages += deleted;
    if (deleted == RETENTION_CHUNK) return 1;
    long long marked = emptied(conn, id, err);
    if (marked < 0) return -1;
    counts->campaigns += marked;
    return 1;
}

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1000.0 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

int retention_prune(PGconn *conn, unsigned days, unsigned budget_ms, const bool *stop,
                    retention_emptied_fn emptied, retention_counts *counts, mc_error *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char days_text[16], chunk_text[16];
    snprintf(days_text, sizeof days_text, "%u", days);
    snprintf(chunk_text, sizeof chunk_text, "%d", RETENTION_CHUNK);
    const char *params[] = {days_text, chunk_text};
    retention_pass pass = {0};
    for (;;) {
        bool out_of_time =
            __atomic_load_n(stop, __ATOMIC_RELAXED) || elapsed_ms(&start) >= budget_ms;
        switch (retention_next(&pass, out_of_time)) {
        case RETENTION_DONE:
            return pass.campaigns_done && pass.others_done ? 0 : 1;
        case RETENTION_CAMPAIGNS: {
            int rc = prune_campaign_chunk(conn, days_text, chunk_text, emptied, counts, err);
            if (rc < 0) return -1;
            pass.campaigns_done = rc == 0;
            break;
        }
        case RETENTION_OTHERS: {
            long long deleted = affected(conn, DELETE_OTHER_CHUNK_SQL, 2, params, err);
            if (deleted < 0) return -1;
            counts->other_messages += deleted;
            pass.others_done = deleted < RETENTION_CHUNK;
            break;
        }
        }
    }
}
