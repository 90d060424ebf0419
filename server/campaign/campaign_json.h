/* The campaign object as SQL builds it, over the alias c (a campaigns row). Shared by the
 * campaign store and the lifecycle so that every answer has the same shape. */
#ifndef MC_CAMPAIGN_CAMPAIGN_JSON_H
#define MC_CAMPAIGN_CAMPAIGN_JSON_H

#define CAMPAIGN_JSON                                                                              \
    "json_build_object('id', c.id, 'name', c.name, 'state', c.state, 'subject', c.subject,"        \
    " 'from_email', c.from_email, 'from_name', c.from_name, 'reply_to', c.reply_to,"               \
    " 'template_id', c.template_id, 'body', c.body, 'lists', c.lists, 'segments', c.segments,"     \
    " 'exclude_lists', c.exclude_lists, 'exclude_segments', c.exclude_segments,"                   \
    " 'relay', c.relay, 'send_at', mc_rfc3339(c.send_at), 'timezone', c.timezone,"                 \
    " 'tags', c.tags, 'headers', c.headers, 'track_opens', c.track_opens,"                         \
    " 'track_clicks', c.track_clicks, 'utm', c.utm, 'rate_per_s', c.rate_per_s,"                   \
    " 'window_start', to_char(c.window_start, 'HH24:MI'),"                                         \
    " 'window_end', to_char(c.window_end, 'HH24:MI'), 'total', c.total,"                           \
    " 'created_at', mc_rfc3339(c.created_at), 'updated_at', mc_rfc3339(c.updated_at),"             \
    " 'started_at', mc_rfc3339(c.started_at), 'finished_at', mc_rfc3339(c.finished_at),"           \
    " 'sent', c.sent_count, 'failed', c.failed_count, 'cancelled', c.cancelled_count,"             \
    " 'messages_pruned_at', mc_rfc3339(c.messages_pruned_at),"                                     \
    " 'paused_reason', c.paused_reason, 'ab_test', " CAMPAIGN_AB_JSON ")::text"

/* The campaign's A/B test (campaign_ab.h), or null: its settings and, once chosen, the winner
 * (variant: its index, name: "A" for 0, by: auto or manual, at). */
#define CAMPAIGN_AB_JSON                                                                           \
    "(SELECT json_build_object('variants', a.variants, 'test_percent', a.test_percent,"            \
    " 'metric', a.metric, 'wait', a.wait, 'winner', a.winner_mode, 'result', CASE WHEN"            \
    " a.winner IS NOT NULL THEN json_build_object('variant', a.winner, 'name', chr(65 +"           \
    " a.winner), 'by', a.winner_by, 'at', mc_rfc3339(a.winner_at)) END)"                           \
    " FROM campaign_ab_tests a WHERE a.campaign_id = c.id)"

#endif
