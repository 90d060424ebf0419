/* The SQL expression that builds the API's subscriber object from a subscribers row aliased s,
 * shared by every query that answers with subscribers. */
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

#endif
