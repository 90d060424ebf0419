/* Streamed answers: the body is produced piece by piece after the handler returns, so a large
 * export is never held in memory. The reader runs on the connection's HTTP thread as the
 * client accepts data. */
#ifndef MC_HTTP_STREAM_H
#define MC_HTTP_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "http/request.h"

/* Writes up to cap bytes of the body into out. returns how many (> 0), 0 at the end of the
 * body, or -1 on an error (the connection is closed and the client sees a cut body). */
typedef ssize_t (*http_stream_reader)(void *ctx, char *out, size_t cap);
/* Releases ctx; called once, when the body is done or the client went away. */
typedef void (*http_stream_free)(void *ctx);

typedef struct http_stream http_stream;

/* Answers with a streamed body. Takes over ctx: free_fn releases it whatever happens next.
 * Headers added with http_add_header() are sent as usual. */
void http_respond_stream(http_request *req, int status, const char *content_type,
                         http_stream_reader reader, void *ctx, http_stream_free free_fn);

struct MHD_Response;
/* For the server: builds the libmicrohttpd response of a streamed answer and takes over s
 * (freed through the response). */
struct MHD_Response *http_stream_response(http_stream *s);
/* For the server: releases a stream that will not be sent. */
void http_stream_discard(http_stream *s);

#endif
