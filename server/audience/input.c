/* JSON member readers. jansson has already checked that strings are valid UTF-8. */
#include "audience/input.h"

#include <string.h>

#include "core/alloc.h"
#include "core/str.h"
#include "core/utf8.h"

int input_string(json_t *obj, const char *field, size_t min_chars, size_t max_chars, char **out,
                 mc_error *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return mc_error_set(err, 400, "invalid_field", field, "%s must be a string", field);
    str_t s = str_trim(str_make(json_string_value(v), json_string_length(v)));
    if (memchr(s.p, '\0', s.n))
        return mc_error_set(err, 400, "invalid_field", field, "%s contains a NUL character", field);
    size_t chars = utf8_count(s.p, s.n);
    if (chars < min_chars || chars > max_chars)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be %zu to %zu characters long", field, min_chars, max_chars);
    *out = xstrndup(s.p, s.n);
    return 0;
}

int input_enum(json_t *obj, const char *field, const char *const *allowed, const char **out,
               mc_error *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v))
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(json_string_value(v), allowed[i])) {
                *out = allowed[i];
                return 0;
            }
    buf_t list = BUF_INIT;
    for (size_t i = 0; allowed[i]; i++)
        buf_appendf(&list, "%s%s", i ? ", " : "", allowed[i]);
    mc_error_set(err, 400, "invalid_field", field, "%s must be one of: %s", field, buf_cstr(&list));
    buf_free(&list);
    return -1;
}

int input_ids(json_t *obj, const char *field, size_t max, buf_t *out, size_t *count, bool *present,
              mc_error *err)
{
    buf_reset(out);
    buf_putc(out, '{');
    *count = 0;
    json_t *v = json_object_get(obj, field);
    *present = v && !json_is_null(v);
    if (*present) {
        if (!json_is_array(v))
            return mc_error_set(err, 400, "invalid_field", field, "%s must be an array of ids",
                                field);
        if (json_array_size(v) > max)
            return mc_error_set(err, 400, "invalid_field", field, "%s may hold at most %zu ids",
                                field, max);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_integer(item) || json_integer_value(item) <= 0)
                return mc_error_set(err, 400, "invalid_field", field,
                                    "%s[%zu] must be a positive integer id", field, i);
            buf_appendf(out, "%s%lld", i ? "," : "", (long long)json_integer_value(item));
        }
        *count = json_array_size(v);
    }
    buf_putc(out, '}');
    return 0;
}

int input_id(json_t *obj, const char *field, long long *id, mc_error *err)
{
    *id = 0;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return mc_error_set(err, 400, "invalid_field", field, "%s must be a positive integer id",
                            field);
    *id = json_integer_value(v);
    return 0;
}

int input_known_fields(json_t *obj, const char *const *known, mc_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool found = false;
        for (size_t i = 0; known[i] && !found; i++)
            found = !strcmp(key, known[i]);
        if (!found)
            return mc_error_set(err, 400, "invalid_field", key, "unknown field '%.60s'", key);
    }
    return 0;
}
