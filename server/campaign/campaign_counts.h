/* A campaign's final counts as SQL sets them, over the alias c of the campaigns row being
 * updated. Stored when it finishes or is cancelled (both in the lifecycle), so
 * that its progress outlives its messages once retention deletes them. */
#ifndef MC_CAMPAIGN_CAMPAIGN_COUNTS_H
#define MC_CAMPAIGN_CAMPAIGN_COUNTS_H

/* Every message neither sent nor failed counts as cancelled: once a campaign is cancelled no
 * other is handed to SMTP, and those a worker holds are given back cancelled. One scan of the
 * campaign's (campaign_id, state) index. */
#define CAMPAIGN_FINAL_COUNTS_SET                                                                  \
    "(sent_count, failed_count, cancelled_count) = (SELECT count(*) FILTER (WHERE m.state ="       \
    " 'sent'), count(*) FILTER (WHERE m.state = 'failed'), count(*) FILTER (WHERE m.state NOT IN"  \
    " ('sent', 'failed')) FROM messages m WHERE m.campaign_id = c.id)"

#endif
