/* The libesmtp transport: plain SMTP or STARTTLS (required or opportunistic), AUTH PLAIN
 * or LOGIN, many messages per connection with PIPELINING when the peer offers it. */
#ifndef MC_MAIL_TRANSPORT_ESMTP_H
#define MC_MAIL_TRANSPORT_ESMTP_H

#include "mail/relay_config.h"
#include "mail/transport.h"

/* returns a transport for relay (borrowed: it must outlive the transport);
 * caller frees with mail_transport_free() */
mail_transport *transport_esmtp_new(const relay_config *relay);

#endif
