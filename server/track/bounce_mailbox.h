/* The bounce mailbox: the mailbox that receives mail to the VERP addresses and to the mailto
 * unsubscribe addresses, polled over IMAP with libcurl ([bounces] imap_url, username,
 * password, folder). Each message not yet processed is read once: a DSN, complaint report or
 * plain-text bounce is recorded (track/bounce_store.h), mail to an unsubscribe address
 * unsubscribes its subscriber, and every message read is then flagged \Seen and
 * $MailcastDone, which the next poll's search leaves out. */
#ifndef MC_TRACK_BOUNCE_MAILBOX_H
#define MC_TRACK_BOUNCE_MAILBOX_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "app/app.h"
#include "core/error.h"

#define BOUNCE_MAILBOX_KEYWORD "$MailcastDone"

typedef struct {
    long long bounces;      /* hard and soft bounces recorded */
    long long complaints;   /* complaints recorded */
    long long unsubscribes; /* mail to an unsubscribe address */
    long long other;        /* read and flagged without effect */
} bounce_mailbox_counts;

/* Processes the unprocessed messages of the bounce mailbox (a bounded number per call) with
 * conn, adding to *counts. Stops early when *stop becomes true. returns 0, or -1 with err (the
 * mailbox could not be reached, or the database failed: messages not flagged are read again
 * next time, and a report's own Message-ID keeps it from being recorded twice). */
int bounce_mailbox_poll(app_t *app, PGconn *conn, const bool *stop, bounce_mailbox_counts *counts,
                        mc_error *err);

#endif
