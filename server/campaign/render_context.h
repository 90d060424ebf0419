/* The data a message is rendered with, as SQL over a subscribers row: the subscriber's
 * attributes at the top level, then email, name, first_name and subscriber_id (docs/templates.md,
 * "Stored templates"). Previews and the send loop use the same expression. */
#ifndef MC_CAMPAIGN_RENDER_CONTEXT_H
#define MC_CAMPAIGN_RENDER_CONTEXT_H

/* a jsonb expression over the subscribers alias s (NULL when s is NULL) */
#define SUBSCRIBER_CONTEXT_SQL(s)                                                                  \
    s ".attributes || jsonb_build_object('email', " s ".email, 'name', " s ".name,"                \
      " 'first_name', split_part(btrim(" s ".name), ' ', 1), 'subscriber_id', " s ".id)"

#endif
