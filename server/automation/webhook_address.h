/* Which addresses an outgoing webhook may reach: the guard against requests into the server's
 * own network (loopback, private, link-local and other special ranges). Pure functions: the
 * delivery checks the address it is about to connect to, the API a URL's literal address. */
#ifndef MC_AUTOMATION_WEBHOOK_ADDRESS_H
#define MC_AUTOMATION_WEBHOOK_ADDRESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* returns NULL when a webhook may connect to sa (an AF_INET or AF_INET6 address), else a
 * static phrase naming the range it falls in ("loopback", "private (RFC 1918)", ...); any other
 * family is refused as "not an IP address" */
const char *webhook_address_refusal(const struct sockaddr *sa);
/* host: a URL's host as written ("10.0.0.1", "[::1]", "example.com"). returns NULL when it is
 * a name or a public literal address, else the phrase of webhook_address_refusal() */
const char *webhook_host_refusal(const char *host);

#endif
