/* Signed tokens for the public pages (confirm a subscription, manage preferences). A token
 * names its purpose, the subscriber, a reference (the opt-in request) and an expiry, and is
 * signed with HMAC-SHA256 under the server secret: "<purpose>.<subscriber>.<ref>.<expiry>.<mac>"
 * with the first 16 bytes of HMAC(secret, "mailcast-public-v1:<purpose>.<subscriber>.<ref>.
 * <expiry>") in hex. An expiry of 0 means none. */
#ifndef MC_AUDIENCE_PUBLIC_TOKEN_H
#define MC_AUDIENCE_PUBLIC_TOKEN_H

#include <time.h>

#define PUBLIC_TOKEN_MAX  128
#define TOKEN_CONFIRM     'c'
#define TOKEN_PREFERENCES 'p'

/* Writes a token into out. */
void public_token_make(const unsigned char secret[32], char purpose, long long subscriber_id,
                       long long ref, time_t expires, char out[PUBLIC_TOKEN_MAX]);

enum { TOKEN_OK = 0, TOKEN_FORGED = -1, TOKEN_EXPIRED = -2 };

/* Checks token for purpose at time now. returns TOKEN_OK with the subscriber and reference,
 * TOKEN_FORGED (malformed, wrong purpose or signature) or TOKEN_EXPIRED. */
int public_token_check(const unsigned char secret[32], const char *token, char purpose, time_t now,
                       long long *subscriber_id, long long *ref);

#endif
