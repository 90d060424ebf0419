/* The SQL expressions that build the API's subscriber object from a subscribers row aliased s,
 * shared by every query that answers with subscribers, and the columns a message is rendered
 * with (content/render_context.h builds the object from them). */
#ifndef MC_AUDIENCE_SUBSCRIBER_JSON_H
#define MC_AUDIENCE_SUBSCRIBER_JSON_H

/* The API's subscriber object (json), built by PostgreSQL from the alias s. */
#define SUBSCRIBER_JSON_OBJECT                                                                     \
    "json_build_object('id', s.id, 'email', s.email, 'name', s.name, 'attributes', s.attributes,"  \
    " 'status', s.status, 'lists', COALESCE((SELECT json_agg(json_build_object('id', m.list_id,"   \
    " 'status', m.status) ORDER BY m.list_id) FROM list_subscribers m"                             \
    " WHERE m.subscriber_id = s.id), '[]'::json), 'created_at', mc_rfc3339(s.created_at),"         \
    " 'updated_at', mc_rfc3339(s.updated_at))"

/* The same as text, ready for json_loads(). */
#define SUBSCRIBER_JSON SUBSCRIBER_JSON_OBJECT "::text"

/* The subscriber's columns the render context's subscriber object is built from, over the
 * subscribers alias s: email, name, status, created_at and updated_at (RFC 3339) and the
 * attributes as JSON text. Plain columns rather than one JSON text: building the object from
 * them costs a third of what parsing it would, once per message. */
#define SUBSCRIBER_RENDER_COLUMNS(s)                                                               \
    s ".email, " s ".name, " s ".status, mc_rfc3339(" s ".created_at), mc_rfc3339(" s              \
      ".updated_at), " s ".attributes::text"
#define SUBSCRIBER_RENDER_COLUMN_COUNT 6

#endif
