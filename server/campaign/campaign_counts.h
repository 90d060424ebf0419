/* A campaign's final counts as SQL sets them, over the alias c of the campaigns row being
 * updated. Stored when it finishes or is cancelled (both in the lifecycle), so
 * that its progress outlives its messages once retention deletes them. */
#ifndef MC_CAMPAIGN_CAMPAIGN_COUNTS_H
#define MC_CAMPAIGN_CAMPAIGN_COUNTS_H

#include "queue/message_state.h"

/* Every message neither sent nor failed counts as cancelled: once a campaign is cancelled no
 * other is handed to SMTP, and those a worker holds are given back cancelled. One scan of the
 * campaign's (campaign_id, state) index. */
#define CAMPAIGN_FINAL_COUNTS_SET                                                                  \
    "(sent_count, failed_count, cancelled_count) = (SELECT count(*) FILTER (WHERE m.state ="       \
    " " MESSAGE_SENT_SQL "), count(*) FILTER (WHERE m.state = " MESSAGE_FAILED_SQL "),"            \
    " count(*) FILTER (WHERE m.state NOT IN (" MESSAGE_SENT_SQL ", " MESSAGE_FAILED_SQL ")) FROM"  \
    " messages m WHERE m.campaign_id = c.id)"

#endif
