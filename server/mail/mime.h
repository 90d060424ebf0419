/* The MIME builder: a rendered message (subject, HTML, text, addresses, list headers,
 * attachments) in, the exact RFC 5322 bytes out. Structure:
 *   no attachments: multipart/alternative { text/plain, text/html }
 *   attachments:    multipart/mixed { multipart/alternative {...}, attachment... }
 * A message with no HTML is a single text/plain part. Text parts are UTF-8 quoted-printable,
 * attachments base64; lines end in CRLF and none exceeds 78 columns except where a header
 * value's single word is longer (never past 998). */
#ifndef MC_MAIL_MIME_H
#define MC_MAIL_MIME_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

typedef struct {
    str_t email; /* ASCII addr-spec */
    str_t name;  /* display name, UTF-8, may be empty */
} mail_address;

typedef struct {
    str_t name;  /* a field name not on the blocklist (see mime_header_blocked) */
    str_t value; /* UTF-8, no CR/LF */
} mail_header;

typedef struct {
    str_t filename;     /* UTF-8; non-ASCII names use RFC 2231 */
    str_t content_type; /* "type/subtype"; empty means application/octet-stream */
    str_t data;         /* the bytes */
} mail_attachment;

typedef struct {
    mail_address from;
    mail_address to;
    mail_address reply_to; /* email empty: none */
    str_t subject;
    str_t html;       /* empty: a text-only message */
    str_t text;       /* empty: generated from html */
    str_t message_id; /* "<id@domain>", from message_id_make */
    time_t date;

    /* bulk-mail headers; each empty means the header is left out */
    str_t list_id;            /* "news.example.com" (dot-atom) */
    str_t list_name;          /* display name of the list, UTF-8 */
    str_t unsubscribe_url;    /* https URL: one-click (RFC 8058) */
    str_t unsubscribe_mailto; /* an address; "mailto:" is added */
    str_t feedback_id;        /* "campaign:list:kind:sender", parts without spaces */

    const mail_header *headers;
    size_t header_count;
    const mail_attachment *attachments;
    size_t attachment_count;
} mail_message;

/* Appends the complete message to out (headers, blank line, body).
 * returns 0, or -1 with err->field naming the input that is invalid (nothing useful is
 * left in out then; the caller resets it) */
int mime_build(const mail_message *m, buf_t *out, mc_error *err);
/* returns true when name (any case) may not be set by a custom header */
bool mime_header_blocked(str_t name);
/* appends an RFC 5322 date, e.g. "Mon, 23 Nov 2026 13:00:00 +0000" (UTC, locale-free) */
void mime_append_date(buf_t *out, time_t t);

#endif
