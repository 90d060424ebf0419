/* The complaint guard: complaints (bounces of kind 'complaint', one per person) per message
 * sent, for each running campaign (over its whole send) and for its sending domain (the From
 * address's domain, over [deliverability] complaint_window_days). Once either rate counts (at
 * least complaint_min_sent messages sent) and is above complaint_threshold, the campaign
 * pauses with a reason ("paused_reason": code "complaint_rate") that progress, the campaign,
 * a log line, /metrics and the campaign.paused webhook show. A person may resume it against
 * the guard (override): it is then paused again only above the rates it had then. */
#ifndef MC_CAMPAIGN_COMPLAINT_GUARD_H
#define MC_CAMPAIGN_COMPLAINT_GUARD_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/error.h"

/* A rate as the guard sees it. */
typedef struct {
    long long complaints, sent;
    double rate;     /* complaints / sent; 0 with nothing sent */
    bool counts;     /* sent reached the minimum */
    bool over;       /* counts and rate above the threshold */
    bool overridden; /* over, but not above the rate a person resumed at */
} complaint_rate;

/* returns the rate of complaints in sent judged against cfg's threshold and minimum;
 * overridden_at is the rate a person resumed the campaign at (negative: never). */
complaint_rate complaint_rate_judge(long long complaints, long long sent, const config_t *cfg,
                                    double overridden_at);

/* One look: when a complaint came since the last look (or a minute passed, as sending alone
 * can bring a rate to its minimum), pauses each running campaign whose rate or whose domain's
 * rate is over the threshold. Safe with many workers: one looks at a time. returns how many
 * campaigns it paused, or -1 with err. */
int complaint_guard_run(PGconn *conn, const config_t *cfg, mc_error *err);

/* For a resume of campaign id_text paused by the guard, in the resume's transaction: refuses
 * (409 "complaint_rate") while a rate is still over the threshold unless override, which
 * records the rates of now so that the guard pauses it again only above them. returns 0 or -1
 * with err. */
int complaint_guard_resume(PGconn *conn, const config_t *cfg, const char *id_text, bool override,
                           mc_error *err);

/* Appends mailcast_complaint_guard_pauses_total and mailcast_complaint_rate{domain} (over the
 * window, for each domain that sent in it). returns 0 or -1 with err. */
int complaint_guard_render_metrics(PGconn *conn, const config_t *cfg, buf_t *out, mc_error *err);

#endif
