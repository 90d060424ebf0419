/* Message-ID values that are unique per message and stable per (kind, source, subscriber):
 * a retry of the same campaign or trigger to the same subscriber resends the same id, so
 * receivers and our bounce handling see one message, not two. */
#ifndef MC_MAIL_MESSAGE_ID_H
#define MC_MAIL_MESSAGE_ID_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

/* appends "<hex@domain>" where hex is the first 128 bits of
 * HMAC-SHA256(secret, kind "\0" source_id "\0" subscriber_id) in lower-case hex.
 * kind is e.g. "campaign", "trigger" or "system"; domain is the sending domain.
 * returns 0, or -1 when domain is not a host name or the secret is empty */
int message_id_make(buf_t *out, const uint8_t *secret, size_t secret_len, str_t kind,
                    str_t source_id, str_t subscriber_id, str_t domain, mc_error *err);
/* returns the domain part of an address (borrowed from email), STR_NULL when it has none */
str_t mail_address_domain(str_t email);

#endif
