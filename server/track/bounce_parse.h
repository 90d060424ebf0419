/* Reading the mail that arrives in the bounce mailbox, as pure functions: delivery status
 * notifications (RFC 3464: multipart/report; report-type=delivery-status), complaint reports
 * (RFC 5965: report-type=feedback-report) and the plain-text bounces some large providers send
 * instead, which quote the original message: those are recognised by one of our VERP
 * addresses or Message-IDs in their body. */
#ifndef MC_TRACK_BOUNCE_PARSE_H
#define MC_TRACK_BOUNCE_PARSE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"
#include "track/bounce_report.h"

typedef enum {
    BOUNCE_MAIL_OTHER = 0, /* none of ours: an auto-reply, a delivery report of success, spam */
    BOUNCE_MAIL_DSN,       /* a delivery status notification */
    BOUNCE_MAIL_ARF,       /* a complaint (abuse report) */
    BOUNCE_MAIL_PLAIN,     /* a non-standard bounce quoting one of our messages */
} bounce_mail_type;

/* Parses the message raw (headers and body, CRLF or LF line ends) into r (zeroed first).
 * verp_prefix is the part of [mail] bounce_address before "{token}" ("bounces+"; may be
 * empty). A DSN whose recipients were delivered, or that says nothing of failure, is
 * BOUNCE_MAIL_OTHER. returns the type; r->kind is set for every type but BOUNCE_MAIL_OTHER. */
bounce_mail_type bounce_parse_mail(str_t raw, str_t verp_prefix, bounce_report *r);

/* Reads an SMTP reply code ("550") or enhanced status ("5.1.1") in text into a kind: "hard"
 * for 5, "soft" for 4, NULL when text has neither. *code gets a three-digit reply code found
 * (0 when none). */
const char *bounce_kind_of_status(str_t text, int *code);

/* returns the header section of the message raw (borrowed), up to its first empty line */
str_t bounce_mail_headers(str_t raw);
/* Puts the unfolded value of the first header field name (any case) of headers into out
 * (reset first). returns true when headers has one. */
bool bounce_mail_header(str_t headers, const char *name, buf_t *out);

#endif
