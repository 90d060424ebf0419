/* Campaigns (/api/v1/campaigns): rows, edits, duplication and the lifecycle's named
 * transitions. draft -> scheduled -> running <-> paused -> finished, and cancelled from any
 * state before finished; docs/campaigns.md has the table. Content is editable only in draft
 * and scheduled. */
#ifndef MC_CAMPAIGN_CAMPAIGNS_H
#define MC_CAMPAIGN_CAMPAIGNS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/relay.h"

#define CAMPAIGN_STATE_MAX 16

/* Who asked for a change: a user of the dashboard or an API token (0 when not), or the
 * scheduler or a worker (both 0). */
typedef struct {
    long long user_id;
    long long token_id;
    const char *actor; /* "api", "scheduler", "worker" or "complaint guard" */
    /* why, for a pause: a JSON object stored as the campaign's paused_reason and with the
     * transition (campaign.paused webhook); NULL: none given */
    const char *reason;
    /* a resume of a campaign the complaint guard paused goes ahead although the rate is still
     * over the threshold (campaign/complaint_guard.h) */
    bool override_complaint_guard;
} campaign_actor;

/* What campaign functions need besides the connection. */
typedef struct {
    const char *templates_dir;   /* built-in layouts for compiling */
    const unsigned char *secret; /* 32 bytes: suppression keys */
    const relay_set *relays;     /* the configured relays a campaign's relay must name */
    const config_t *config;      /* [deliverability] for the complaint guard's resume check;
                                    NULL: no check */
} campaign_env;

/* Each returns the campaign as JSON (docs/api/openapi.yaml, Campaign; caller frees with
 * json_decref()), or NULL with err: 400 naming the field, 404, or 409 "invalid_state" when
 * the campaign's state forbids the change, with the state copied into state (when not NULL). */
json_t *campaign_create(PGconn *conn, const campaign_env *env, json_t *body,
                        const campaign_actor *by, mc_error *err);
json_t *campaign_get(PGconn *conn, long long id, mc_error *err);
/* Changes the fields given in body (absent ones are kept). */
json_t *campaign_update(PGconn *conn, const campaign_env *env, long long id, json_t *body,
                        char state[CAMPAIGN_STATE_MAX], mc_error *err);
/* Replaces every editable field with body, which is checked as for campaign_create (absent
 * fields take a new campaign's defaults); a scheduled campaign must keep a send_at (else 400
 * naming send_at). */
json_t *campaign_replace(PGconn *conn, const campaign_env *env, long long id, json_t *body,
                         char state[CAMPAIGN_STATE_MAX], mc_error *err);
/* A new draft with the same content, audience and settings, named "NAME (copy)". */
json_t *campaign_duplicate(PGconn *conn, long long id, const campaign_actor *by, mc_error *err);
/* returns 0, or -1 with err: 404, or 409 while running or paused (cancel it first) */
int campaign_delete(PGconn *conn, long long id, char state[CAMPAIGN_STATE_MAX], mc_error *err);
/* returns {"items", "next_cursor"} (+ "total"); state may be NULL for any */
json_t *campaign_list(PGconn *conn, const char *state, long long after, int limit, bool with_total,
                      mc_error *err);

/* Applies the named transition action ("schedule", "send", "pause", "resume", "cancel"; and
 * "start", the scheduler's send) in
 * one transaction with its log row. "send" snapshots the audience into the queue in the same
 * transaction, so a campaign is running exactly when its messages exist; a campaign with no
 * recipient goes on to finished at once. "cancel" marks the messages not yet handed to SMTP
 * cancelled. Returns the campaign after the change. */
json_t *campaign_transition(PGconn *conn, const campaign_env *env, long long id, const char *action,
                            const campaign_actor *by, char state[CAMPAIGN_STATE_MAX],
                            mc_error *err);

/* The scheduler: starts (transition "start", actor "scheduler") scheduled campaigns whose
 * send_at has come, a few at a time. Safe with many workers: the transition's lock lets one
 * win. returns the number started, or -1 with err. */
int campaign_start_due(PGconn *conn, const campaign_env *env, mc_error *err);
/* Sets *ms to the milliseconds until the earliest send_at still to come of a scheduled
 * campaign, or to -1 when there is none, so that the scheduler sleeps until then rather than
 * until its next poll. returns 0 or -1 with err. */
int campaign_next_due_ms(PGconn *conn, long long *ms, mc_error *err);

/* A batch on the wire holds its campaigns: a pause or cancel waits until every batch holding
 * the campaign has let go, and nothing more of it is sent after that. The hold is a shared
 * advisory lock of conn's session, so that no transaction stays open across SMTP; a worker that
 * dies lets go with its connection. returns the campaigns of ids (a PostgreSQL array literal)
 * with their states as they are once held (id, state; caller frees with PQclear()), or NULL
 * with err (then nothing is held). */
PGresult *campaign_hold_for_sending(PGconn *conn, const char *ids, mc_error *err);
/* Lets go of the campaigns of ids that campaign_hold_for_sending() took on conn. Logs rather
 * than fails: a connection that broke has let go already. */
void campaign_release_sending(PGconn *conn, const char *ids);

/* Moves each running campaign of ids (a PostgreSQL array literal) with no message left to send
 * to finished, with its transition row and its final counts (sent_count, failed_count,
 * cancelled_count). The send loop runs it after the results are committed, so that the last of
 * several workers sees every other's results. returns 0 or -1 with err. */
int campaign_finish_sent(PGconn *conn, const char *ids, mc_error *err);

#endif
