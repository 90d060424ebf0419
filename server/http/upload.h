/* File uploads (multipart/form-data) written to disk as they arrive, so a large CSV is never
 * held in memory. Routes flagged ROUTE_UPLOAD get their body parsed by libmicrohttpd's post
 * processor: file parts go to a temporary file in the upload folder, small fields to memory. */
#ifndef MC_HTTP_UPLOAD_H
#define MC_HTTP_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "http/request.h"

#define UPLOAD_FIELD_MAX 65536 /* bytes of a form field that is not a file */

typedef struct http_upload http_upload;

/* For the server: starts collecting the body of req into dir. returns the upload (released by
 * http_upload_free()), never NULL: a body that is not multipart/form-data is remembered as an
 * error for the handler to report. */
http_upload *http_upload_new(struct MHD_Connection *connection, const char *dir, size_t max_bytes);
/* For the server: feeds body bytes. */
void http_upload_feed(http_upload *u, const char *data, size_t n);
/* For the server: deletes a file nobody claimed and releases u. */
void http_upload_free(http_upload *u);

/* returns 0 when the body arrived whole, or -1 with err (400 for a malformed body, 413 past
 * the size limit, 500 when the disk refused a write) */
int http_upload_status(http_request *req, mc_error *err);
/* returns the temporary path of file part name (borrowed), or NULL when there was none;
 * *filename (when not NULL) gets the client's file name (borrowed, may be ""). */
const char *http_upload_file(http_request *req, const char *name, const char **filename);
/* returns the value of form field name (borrowed, NUL-terminated), or NULL */
const char *http_upload_field(http_request *req, const char *name);
/* Moves file part name to dest (same file system) so that it outlives the request.
 * returns 0, or -1 with err. */
int http_upload_claim(http_request *req, const char *name, const char *dest, mc_error *err);

#endif
