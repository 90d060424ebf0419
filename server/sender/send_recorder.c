/* The recorder's statements go with PQsendQueryParams and are collected later, so that the
 * SMTP dialogue waits for the database only when a mark must be committed before a hand-over
 * and the statement before it is still running. */
#include "sender/send_recorder.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
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
    r->marks = json_array();
}

/* Reads the answer of the running statement, waiting for it when wait. */
static void collect(send_recorder *r, bool wait)
{
    if (!r->running || (!wait && db_busy(r->conn))) return;
    r->running = false;
    if (send_queue_record_wait(r->conn, &r->err) < 0) r->failed = -1;
}

/* Sends the pending results and marks as one statement (the connection must be free). */
static void send_pending(send_recorder *r)
{
    if (r->failed || (!json_array_size(r->pending) && !json_array_size(r->marks))) return;
    buf_t marks = BUF_INIT;
    buf_putc(&marks, '{');
    for (size_t i = 0; i < json_array_size(r->marks); i++)
        buf_appendf(&marks, "%s%lld", i ? "," : "",
                    (long long)json_integer_value(json_array_get(r->marks, i)));
    buf_putc(&marks, '}');
    if (send_queue_record_send(r->conn, r->pending, buf_cstr(&marks), r->owner, r->cfg, &r->err) <
        0)
        r->failed = -1;
    else
        r->running = true;
    buf_free(&marks);
    json_array_clear(r->pending);
    json_array_clear(r->marks);
}

void send_recorder_add(send_recorder *r, json_t *result)
{
    /* a message refused before its hand-over may still have its mark queued: the result
     * says all there is, and one statement must not update a row twice */
    json_int_t id = json_integer_value(json_object_get(result, "id"));
    for (size_t i = 0; i < json_array_size(r->marks); i++)
        if (json_integer_value(json_array_get(r->marks, i)) == id) {
            json_array_remove(r->marks, i);
            break;
        }
    if (!json_array_size(r->pending)) r->pending_since = now_seconds();
    json_array_append_new(r->pending, result);
    send_recorder_poll(r);
}

void send_recorder_mark(send_recorder *r, const char *id)
{
    json_array_append_new(r->marks, json_integer(strtoll(id, NULL, 10)));
}

void send_recorder_poll(send_recorder *r)
{
    collect(r, false);
    if (r->running) return;
    size_t n = json_array_size(r->pending);
    if (json_array_size(r->marks) || n >= SEND_RECORDER_GROUP ||
        (n && now_seconds() - r->pending_since >= SEND_RECORDER_WAIT_MS / 1000.0))
        send_pending(r);
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
    json_decref(r->marks);
    r->pending = r->marks = NULL;
    return rc;
}
