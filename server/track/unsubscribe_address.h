/* The mailto half of List-Unsubscribe: "unsubscribe+<subscriber>.<message>.<mac>@<bounce
 * domain>". The address is signed (HMAC-SHA256 under the server secret), so mail to it
 * unsubscribes exactly the subscriber it was made for, and names the message it came from. */
#ifndef MC_TRACK_UNSUBSCRIBE_ADDRESS_H
#define MC_TRACK_UNSUBSCRIBE_ADDRESS_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/* Appends the address for subscriber_id and message_id to out, on the domain of
 * bounce_address ("bounces+{token}@bounces.example.com"). returns false (out unchanged) when
 * bounce_address has no domain. */
bool unsubscribe_address_make(const unsigned char secret[32], long long subscriber_id,
                              long long message_id, str_t bounce_address, buf_t *out);
/* Finds an address made by unsubscribe_address_make() in text (a header value or a whole
 * message) and checks its signature. returns true with the subscriber and message it names. */
bool unsubscribe_address_find(const unsigned char secret[32], str_t text, long long *subscriber_id,
                              long long *message_id);

#endif
