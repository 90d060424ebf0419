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
    " 'paused_reason', c.paused_reason)::text"

#endif
