/* The data a message is rendered with (docs/templates.md, "The render context"): the
 * message's own data first, then the subscriber as the API shows it (`subscriber`, and
 * `attributes`), its attributes again at the top level, and email, name, first_name and
 * subscriber_id, each only where the data did not set that name. The send loop and the
 * preview build it the same way, from the columns SUBSCRIBER_RENDER_COLUMNS reads. */
#ifndef MC_CONTENT_RENDER_CONTEXT_H
#define MC_CONTENT_RENDER_CONTEXT_H

#include <jansson.h>

#include "audience/subscriber_json.h"

/* returns the subscriber object of the context (the API's subscriber without its lists: id,
 * email, name, status, attributes, created_at, updated_at) from id and the texts of
 * SUBSCRIBER_RENDER_COLUMNS in order (UTF-8, as PostgreSQL gives them); a new reference */
json_t *render_context_subscriber(long long id,
                                  const char *const columns[SUBSCRIBER_RENDER_COLUMN_COUNT]);

/* Adds subscriber (an object as render_context_subscriber() builds it, borrowed; its values are
 * shared with context, not copied) to context under every name context does not hold yet:
 * subscriber, attributes, email, name, first_name (the first word of the name),
 * subscriber_id, then each attribute. */
void render_context_add_subscriber(json_t *context, json_t *subscriber);

#endif
