/* From a rendered message to signed bytes ready for a transport: MIME build, then DKIM with
 * the key of the From address's domain when one is configured. */
#ifndef MC_MAIL_COMPOSE_H
#define MC_MAIL_COMPOSE_H

#include "core/buf.h"
#include "core/error.h"
#include "mail/dkim_signer.h"
#include "mail/mime.h"

/* Appends the finished message to out, using scratch (reset here) for the unsigned bytes;
 * both buffers are the caller's, to reuse across messages. signer may be NULL (no DKIM).
 * returns 0, or -1 with err (out unchanged) */
int mail_compose(const mail_message *m, const dkim_signer *signer, buf_t *scratch, buf_t *out,
                 mc_error *err);

#endif
