/* The signature of an outgoing webhook: X-Mailcast-Signature: v1=<hex HMAC-SHA256(secret,
 * timestamp "." body)>, so a receiver can check that mailcast sent the body, and when. */
#ifndef MC_AUTOMATION_WEBHOOK_SIGN_H
#define MC_AUTOMATION_WEBHOOK_SIGN_H

#include <stddef.h>

#define WEBHOOK_SIGNATURE_SIZE 68 /* "v1=" + 64 hex digits + NUL */

/* Writes "v1=<hex>" into out for the request with the given timestamp (Unix seconds, as
 * sent in X-Mailcast-Timestamp) and body. */
void webhook_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
                  char out[WEBHOOK_SIGNATURE_SIZE]);

#endif
