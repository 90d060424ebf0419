/* Building the render context from a subscriber row once per message: the values are
 * shared by reference between the flat names and the objects, so that the attributes are
 * parsed once and never copied. */
#include "content/render_context.h"

#include <string.h>

/* sets key to value (a new reference) unless context has key; value is released then */
static void set_absent(json_t *context, const char *key, json_t *value)
{
    if (!value) return;
    if (json_object_get(context, key))
        json_decref(value);
    else
        json_object_set_new(context, key, value);
}

json_t *render_context_subscriber(long long id,
                                  const char *const columns[SUBSCRIBER_RENDER_COLUMN_COUNT])
{
    /* PostgreSQL's text is valid UTF-8 (the database's encoding): no second check */
    json_t *attributes = json_loads(columns[5], 0, NULL);
    json_t *subscriber = json_object();
    json_object_set_new_nocheck(subscriber, "id", json_integer(id));
    json_object_set_new_nocheck(subscriber, "email", json_string_nocheck(columns[0]));
    json_object_set_new_nocheck(subscriber, "name", json_string_nocheck(columns[1]));
    json_object_set_new_nocheck(subscriber, "status", json_string_nocheck(columns[2]));
    json_object_set_new_nocheck(subscriber, "attributes",
                                json_is_object(attributes) ? attributes : json_object());
    json_object_set_new_nocheck(subscriber, "created_at", json_string_nocheck(columns[3]));
    json_object_set_new_nocheck(subscriber, "updated_at", json_string_nocheck(columns[4]));
    if (!json_is_object(attributes)) json_decref(attributes);
    return subscriber;
}

void render_context_add_subscriber(json_t *context, json_t *subscriber)
{
    if (!json_is_object(context) || !json_is_object(subscriber)) return;
    json_t *attributes = json_object_get(subscriber, "attributes");
    json_t *name = json_object_get(subscriber, "name");
    set_absent(context, "subscriber", json_incref(subscriber));
    set_absent(context, "attributes", json_incref(attributes));
    set_absent(context, "email", json_incref(json_object_get(subscriber, "email")));
    set_absent(context, "name", json_incref(name));
    if (json_is_string(name)) {
        /* as split_part(btrim(name), ' ', 1): the first word */
        const char *p = json_string_value(name);
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        set_absent(context, "first_name", json_stringn(p, n));
    }
    set_absent(context, "subscriber_id", json_incref(json_object_get(subscriber, "id")));
    const char *key;
    json_t *value;
    json_object_foreach(attributes, key, value)
    {
        set_absent(context, key, json_incref(value));
    }
}
