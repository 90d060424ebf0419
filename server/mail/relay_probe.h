/* A connection test of one relay: connect, EHLO, STARTTLS when the relay's tls setting asks
 * for it, AUTH when it has a username, NOOP and QUIT, without sending mail. Lets an admin see
 * that a relay's settings work before a campaign depends on them. */
#ifndef MC_MAIL_RELAY_PROBE_H
#define MC_MAIL_RELAY_PROBE_H

#include <stdbool.h>

#include "mail/relay_config.h"

typedef struct {
    bool ok;
    /* where it stopped: "connect", "tls", "ehlo", "auth", "noop"; "done" when ok */
    const char *stage;
    int code;        /* the relay's last reply code, 0 when none came */
    char reply[512]; /* that reply's text, or what went wrong when the relay never answered */
    long elapsed_ms; /* from the start of the connection to QUIT or the failure */
} relay_probe_result;

/* Runs the test against relay (borrowed) with its TLS mode, CA file, credentials and timeout.
 * Blocks for at most about four times the relay's timeout. Always fills out. */
void relay_probe(const relay_config *relay, relay_probe_result *out);

#endif
