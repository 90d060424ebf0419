/* Stores the results of messages on the wire as they come, and the loop's progress (the last
 * message that may have reached the peer) before each message is handed over, on a connection
 * of its own that holds no transaction: a worker killed in the middle of a connection leaves at
 * most the messages of the last few milliseconds to be sent again, and only the messages up to
 * its progress are marked possible duplicates. */
#ifndef MC_SENDER_SEND_RECORDER_H
#define MC_SENDER_SEND_RECORDER_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/config.h"
#include "core/error.h"

/* Results wait for company at most this long, or until this many have come, before they are
 * sent; progress goes at once. At most one statement runs at a time: what comes meanwhile goes
 * with the next. */
#define SEND_RECORDER_WAIT_MS 50
#define SEND_RECORDER_GROUP   20

typedef struct {
    PGconn *conn;             /* borrowed; outside any transaction */
    const char *owner;        /* borrowed: the lease owner */
    const config_t *cfg;      /* borrowed */
    json_t *pending;          /* results not sent yet */
    long long mark_pending;   /* progress not sent yet (a message id); 0: none */
    long long mark_running;   /* progress in the statement running; 0: none */
    long long mark_committed; /* progress committed during this batch */
    double pending_since;     /* monotonic seconds of the oldest pending result */
    bool running;             /* a statement was sent and its answer not read */
    int failed;               /* -1 once a statement failed: nothing more is sent */
    mc_error err;             /* why, when failed */
} send_recorder;

/* Prepares r to record for owner on conn (borrowed, idle, outside any transaction, with
 * send_queue_record_prepare() done; all three must outlive r's use). End with
 * send_recorder_finish(). */
void send_recorder_begin(send_recorder *r, PGconn *conn, const char *owner, const config_t *cfg);
/* Adds a result ({"id", ...} as send_queue_record_send() takes it; the reference is stolen),
 * sent once SEND_RECORDER_GROUP are pending or the oldest is SEND_RECORDER_WAIT_MS old. */
void send_recorder_add(send_recorder *r, json_t *result);
/* Moves the progress to message id (messages go out in id order), sent by the next
 * send_recorder_poll() that finds the connection free, with the results pending. */
void send_recorder_mark(send_recorder *r, long long id);
/* Sends what is due when no statement runs; never waits. */
void send_recorder_poll(send_recorder *r);
/* Waits until progress up to id (marked before) is committed; returns at once when it is.
 * returns 0, or -1 when a statement failed (the message must then not be handed over). */
int send_recorder_wait_marked(send_recorder *r, long long id);
/* Waits until everything added or marked so far is committed. returns 0, or -1 when a
 * statement failed (then nothing more is recorded). */
int send_recorder_settle(send_recorder *r);
/* Settles and frees r's memory (the connection is the caller's). returns 0 or -1 with err
 * when some statement failed. */
int send_recorder_finish(send_recorder *r, mc_error *err);

#endif
