/* The send loop: claim a batch of due messages, check that their campaigns still run, render
 * and compose each message, hand them to the relay's transport over one connection, and
 * record each result as it comes (sender/send_recorder.h). Any number of these run at once, in
 * one process or in many (`mailcast worker` on other machines): PostgreSQL's row locks and
 * leases keep them apart. */
#ifndef MC_SENDER_SEND_LOOP_H
#define MC_SENDER_SEND_LOOP_H

#include <stdbool.h>
#include <time.h>

#include "app/app.h"
#include "core/buf.h"
#include "mail/relay.h"
#include "mail/transport.h"
#include "sender/destination_batch.h"
#include "sender/send_recorder.h"
#include "sender/send_campaign.h"

/* One loop's state, reused from batch to batch (no allocation per message once warm). */
typedef struct {
    app_t *app;            /* borrowed */
    char loop_name[100];   /* host, process and loop */
    unsigned long batches; /* claimed so far */
    char owner[128];       /* lease owner of the batch: the loop's name and the batch's number,
                              so that a batch's progress is its own */
    send_campaign_cache campaigns;
    rate_limiter *limiter;      /* the installation-wide rates of relays and campaigns */
    unsigned next_campaign;     /* where the turn among sendable campaigns starts */
    double seconds_per_message; /* hand-off time per message, averaged; 0 until known */
    double wire_seconds;        /* SMTP session time per message, averaged; 0 until known */
    time_t last_reclaim;        /* when expired leases were last looked for */
    double lease_taken_at; /* monotonic seconds when the batch's leases were taken or renewed */
    size_t cap;            /* slots below */
    buf_t *data, *senders, *ids; /* per message of the batch */
    mail_envelope *envelopes;
    mail_result *results;
    bool *recorded;              /* per message of the group being sent */
    size_t *order;               /* batch rows of the campaign being sent */
    size_t *dest;                /* destination group of each message of the group */
    size_t group_count;          /* messages of the group */
    destination_segment segment; /* the destination group being sent */
    send_recorder recorder;      /* on a connection of its own, for the batch */
    /* the send call in progress: its first message in the group, the claimed rows and the
     * relay, for the transport's progress reports */
    size_t first, end;   /* messages [first, end) of the group */
    size_t marked_until; /* the progress covers the messages before it */
    PGresult *claimed;
    const char *relay;
    buf_t subject, html, text, scratch, url, list_id, mailto;
} send_loop;

/* Prepares l for app (borrowed; must outlive l). Release with send_loop_free(). */
void send_loop_init(send_loop *l, app_t *app);
void send_loop_free(send_loop *l);
/* Handles at most one batch. returns 1 when it handled one (there may be more), 0 when no
 * message was due, -1 with err (the batch's leases then expire and another worker, or this
 * one, takes it over). */
int send_loop_once(send_loop *l, mc_error *err);

#endif
