/* The envelope sender (Return-Path). With [mail] bounce_address = "bounces+{token}@example.com"
 * each message gets its own VERP address, so a bounce names the message it answers. */
#ifndef MC_MAIL_VERP_H
#define MC_MAIL_VERP_H

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

/* Appends the envelope sender to out: bounce_template with "{token}" replaced by token,
 * the template as is when it has no placeholder, or fallback (the From address) when the
 * template is empty. token may hold only [A-Za-z0-9._=-].
 * returns 0, or -1 when the result is not a valid address (err names "bounce_address") */
int verp_envelope_sender(str_t bounce_template, str_t token, str_t fallback, buf_t *out,
                         mc_error *err);

#endif
