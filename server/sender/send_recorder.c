/* The recorder's statements go with PQsendQueryPrepared and are collected later, so that the
 * SMTP dialogue waits for the database only when a message's progress must be committed before
 * it is handed over and the statement carrying it has not come back yet. */
#include "sender/send_recorder.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/query.h"
#include "queue/send_queue.h"

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void send_recorder_begin(send_recorder *r, PGconn *conn, const char *owner, const config_t *cfg)
{
    memset(r, 0, sizeof *r);
    r->conn = conn;
    r->owner = owner;
    r->cfg = cfg;
    r->pending = json_array();
}

/* Reads the answer of the running statement, waiting for it when wait. */
static void collect(send_recorder *r, bool wait)
{
    if (!r->running || (!wait && db_busy(r->conn))) return;
    r->running = false;
    if (send_queue_record_wait(r->conn, &r->err) < 0)
        r->failed = -1;
    else if (r->mark_running > r->mark_committed)
        r->mark_committed = r->mark_running;
    r->mark_running = 0;
}

/* Sends the pending results and progress as one statement (the connection must be free). */
static void send_pending(send_recorder *r)
{
    if (r->failed || (!json_array_size(r->pending) && !r->mark_pending)) return;
    char handed[32] = "";
    if (r->mark_pending) snprintf(handed, sizeof handed, "%lld", r->mark_pending);
    if (send_queue_record_send(r->conn, r->pending, handed, r->owner, r->cfg, &r->err) < 0)
        r->failed = -1;
    else {
        r->running = true;
        r->mark_running = r->mark_pending;
    }
    r->mark_pending = 0;
    json_array_clear(r->pending);
}

void send_recorder_add(send_recorder *r, json_t *result)
{
    if (!json_array_size(r->pending)) r->pending_since = now_seconds();
    json_array_append_new(r->pending, result);
    send_recorder_poll(r);
}

void send_recorder_mark(send_recorder *r, long long id)
{
    if (id > r->mark_pending && id > r->mark_running && id > r->mark_committed)
        r->mark_pending = id;
}

void send_recorder_poll(send_recorder *r)
{
    collect(r, false);
    if (r->running) return;
    size_t n = json_array_size(r->pending);
    if (r->mark_pending || n >= SEND_RECORDER_GROUP ||
        (n && now_seconds() - r->pending_since >= SEND_RECORDER_WAIT_MS / 1000.0))
        send_pending(r);
}

int send_recorder_wait_marked(send_recorder *r, long long id)
{
    if (r->mark_committed < id) collect(r, true);
    if (r->mark_committed < id && !r->failed) {
        send_pending(r);
        collect(r, true);
    }
    if (r->failed) return -1;
    send_recorder_poll(r);
    return r->mark_committed >= id ? 0 : -1;
}

int send_recorder_settle(send_recorder *r)
{
    collect(r, true);
    send_pending(r);
    collect(r, true);
    return r->failed;
}

int send_recorder_finish(send_recorder *r, mc_error *err)
{
    int rc = send_recorder_settle(r);
    if (rc < 0) *err = r->err;
    json_decref(r->pending);
    r->pending = NULL;
    return rc;
}
