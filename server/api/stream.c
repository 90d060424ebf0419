/* Streamed answers whose body is read from the database after the handler returns: the
 * request's connection moves to the stream and goes back to the pool when the body is done
 * or the client leaves. */
#include <stdlib.h>

#include "api/internal.h"
#include "core/alloc.h"

typedef struct {
    http_stream_reader reader;
    void *ctx;
    http_stream_free free_fn;
    db_pool *pool;
    PGconn *conn;
} pooled_stream;

static ssize_t pooled_read(void *ctx, char *out, size_t cap)
{
    pooled_stream *s = ctx;
    return s->reader(s->ctx, out, cap);
}

static void pooled_free(void *ctx)
{
    pooled_stream *s = ctx;
    s->free_fn(s->ctx);
    db_pool_release(s->pool, s->conn);
    free(s);
}

void api_respond_stream_with_db(http_request *req, api_context *api, const char *content_type,
                                http_stream_reader reader, void *ctx, http_stream_free free_fn)
{
    pooled_stream *s = xmalloc(sizeof *s);
    *s = (pooled_stream){reader, ctx, free_fn, api->app->pool, req->local};
    req->local = NULL; /* the stream gives the connection back */
    http_respond_stream(req, 200, content_type, pooled_read, s, pooled_free);
}
