/* Reading a captured message for the dashboard: its headers as text and its HTML and text
 * parts decoded (quoted-printable or base64, any charset iconv knows, into UTF-8). Messages come
 * from our own MIME builder, but a message sent through /api/v1/tx with custom parts, or an
 * older build's, may differ, so any well-formed MIME is read. */
#ifndef MC_API_OUTBOX_MIME_H
#define MC_API_OUTBOX_MIME_H

#include <jansson.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/* Puts the value of header name of message into out (reset first), unfolded, trimmed, its
 * encoded-words (RFC 2047) decoded into UTF-8. returns true when the message has the header. */
bool outbox_header_text(str_t message, const char *name, buf_t *out);

/* Puts the first part of type ("text/html", "text/plain") of message that is not an
 * attachment into out (reset first), decoded into UTF-8. returns true when there is one. */
bool outbox_part_text(str_t message, const char *type, buf_t *out);

/* returns the header fields of message in order as [{"name", "value"}], values as
 * outbox_header_text() gives them (a new reference) */
json_t *outbox_headers(str_t message);

#endif
