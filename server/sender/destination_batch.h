/* A claimed batch split by destination group, each group sent on its own sessions in turn, and
 * the adaptive pacing of each group: its limit now (raised a step after a quiet period), and
 * the slow-down when a receiver answers 421, 451, 454 or 4.7.x, with the message and the rest
 * of its group deferred without counting an attempt. The shared state is queue/'s
 * destination_pacing; every change is logged and counted in the metrics. */
#ifndef MC_SENDER_DESTINATION_BATCH_H
#define MC_SENDER_DESTINATION_BATCH_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"
#include "mail/destination_config.h"
#include "mail/transport.h"

/* What the messages of one group met while it was sent. */
typedef struct {
    size_t index;      /* the group, in the configuration's destination_set */
    bool slowed;       /* a throttling reply came: the rest of the group waits */
    mail_result reply; /* the first such reply */
    size_t replies;    /* throttling replies */
    size_t deferred;   /* messages deferred for them */
    size_t sent;       /* messages accepted */
} destination_segment;

/* Reorders messages [0, n) of a batch by group: envelopes[] and order[] are moved together,
 * stably (ids stay ascending within a group), and dest[k] gets message k's group in set. */
void destination_batch_group(const destination_set *set, mail_envelope *envelopes, size_t *order,
                             size_t *dest, size_t n);
/* returns whether the temporary result r of a message of segment s is deferred for pacing
 * rather than counted as an attempt: a throttling reply, or any temporary result after one in
 * the same group (a 421 closes the session, and the messages after it were never tried);
 * counts it in s */
bool destination_segment_defers(destination_segment *s, const mail_result *r);
/* returns the limit now of group d of app's configuration, in messages a minute (0: none):
 * the adaptive one while slowed, else the configured one. A slowed group whose quiet period
 * passed goes up a step first. On a database error it logs and answers the configured one. */
double destination_batch_rate(app_t *app, PGconn *conn, size_t d);
/* Slows group s->index down after s->reply: half its limit now (or of the configured or the
 * lately observed rate), not below its floor; logged and exported. */
void destination_batch_slow_down(app_t *app, PGconn *conn, const destination_segment *s);
/* Adds what segment s of campaign_id ("" outside campaigns) did to the shared counts and the
 * metrics. */
void destination_batch_note(app_t *app, PGconn *conn, const destination_segment *s,
                            const char *campaign_id);

#endif
