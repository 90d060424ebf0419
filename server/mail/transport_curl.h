/* The libcurl transport for relays on implicit TLS (smtps://, port 465) or needing SNI,
 * which libesmtp lacks. Messages of a batch reuse one connection while the peer keeps it
 * (libcurl drops it after a refused recipient and opens a new one for the next message).
 * Reply text and enhanced status are read from libcurl's protocol trace. */
#ifndef MC_MAIL_TRANSPORT_CURL_H
#define MC_MAIL_TRANSPORT_CURL_H

#include "mail/relay_config.h"
#include "mail/transport.h"

/* returns a transport for relay (borrowed: it must outlive the transport);
 * caller frees with mail_transport_free() */
mail_transport *transport_curl_new(const relay_config *relay);

#endif
