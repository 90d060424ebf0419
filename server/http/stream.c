/* Streamed answers through MHD_create_response_from_callback. MHD asks for the body in blocks;
 * the end of the body is known only when the reader says so (chunked transfer encoding). */
#include "http/stream.h"

#include <microhttpd.h>
#include <stdlib.h>

#include "core/alloc.h"

#define STREAM_BLOCK 65536

struct http_stream {
    http_stream_reader reader;
    void *ctx;
    http_stream_free free_fn;
};

void http_respond_stream(http_request *req, int status, const char *content_type,
                         http_stream_reader reader, void *ctx, http_stream_free free_fn)
{
    http_respond(req, status, content_type, "", 0);
    if (req->stream) http_stream_discard(req->stream);
    req->stream = xcalloc(1, sizeof *req->stream);
    *req->stream = (http_stream){reader, ctx, free_fn};
}

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_stream *s = cls;
    ssize_t n = s->reader(s->ctx, buf, max);
    if (n > 0) return n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void on_free(void *cls)
{
    http_stream_discard(cls);
}

struct MHD_Response *http_stream_response(http_stream *s)
{
    return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, on_read, s, on_free);
}

void http_stream_discard(http_stream *s)
{
    if (!s) return;
    if (s->free_fn) s->free_fn(s->ctx);
    free(s);
}
