/* The audience filter of an entry. */
#include "automation/enrollment.h"

#include "audience/segment_compile.h"
#include "core/log.h"

void enrollment_add_segment(sql_builder *b, long long trigger_id, bool has_segment, json_t *rule)
{
    if (!has_segment) return;
    if (!rule) {
        sql_builder_add(b, " AND false");
        return;
    }
    /* compiled into a builder of its own first: a failure leaves b whole */
    sql_builder seg = SQL_BUILDER_INIT;
    for (int i = 0; i < b->count; i++)
        sql_builder_bind(&seg, b->params[i]);
    mc_error err;
    if (segment_compile(rule, &seg, &err) < 0) {
        log_warn("automation: trigger %lld: its segment no longer compiles (%s: %s); nobody enters",
                 trigger_id, err.field, err.message);
        sql_builder_add(b, " AND false");
    } else {
        sql_builder_add(b, " AND (");
        /* the same parameters first, then the rule's own */
        const char *const *params = sql_builder_params(&seg);
        for (int i = b->count; i < seg.count; i++)
            sql_builder_bind(b, params[i]);
        sql_builder_add(b, sql_builder_text(&seg));
        sql_builder_add(b, ")");
    }
    sql_builder_free(&seg);
}
