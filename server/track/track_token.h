/* Signed tokens of tracked mail: a click token names its message and link, an open token its
 * message. The fields (kind, message, campaign, subscriber, link) are packed as LEB128 numbers
 * after a kind byte, followed by the first 12 bytes of HMAC-SHA256(secret,
 * "mailcast-track-v1" || packed), and the whole is written in unpadded base64url: about 30
 * characters, safe in a path. Nothing in a token can be changed without the secret. The click
 * token of a personalized link (an href with Mustache tags) also carries the URL the message
 * rendered, after the numbers and inside the MAC: the part between the href's literal start
 * and end, which the href gives back (track_template.h). */
#ifndef MC_TRACK_TRACK_TOKEN_H
#define MC_TRACK_TRACK_TOKEN_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/* 1 kind byte, 4 numbers of at most 10 bytes, 12 bytes of MAC, in base64url, plus the NUL */
#define TRACK_TOKEN_MAX 96

typedef enum { TRACK_OPEN = 'o', TRACK_CLICK = 'c' } track_kind;

typedef struct {
    track_kind kind;
    long long message_id;    /* messages.id */
    long long campaign_id;   /* 0 for a transactional message */
    long long subscriber_id; /* 0 for mail to an address */
    long long link_id;       /* tracked_links.id of a click; 0 in an open token */
    /* what a personalized link's click token carries of the URL it rendered (url.p non-NULL,
     * url.n may be 0); STR_NULL for the others. A view: into the caller's buffer after
     * track_token_check_click(). */
    str_t url;
} track_token;

/* Writes the token of t (ids >= 0) into out. returns its length. */
size_t track_token_make(const unsigned char secret[32], const track_token *t,
                        char out[TRACK_TOKEN_MAX]);

/* Appends the token of t (ids >= 0) to out, with t->url when it is a click token that has one
 * (url.p non-NULL; its length grows with it). */
void track_token_append(const unsigned char secret[32], const track_token *t, buf_t *out);

/* Checks text as a token of kind. returns true and fills *t when its signature holds, it is
 * of kind and every field reads back; false for anything else (malformed, altered, forged or
 * of the other kind). */
bool track_token_check(const unsigned char secret[32], str_t text, track_kind kind, track_token *t);

/* As track_token_check() for a click token, with or without a URL: the URL is written into url
 * (reset first) and t->url views it (STR_NULL for a token without one). */
bool track_token_check_click(const unsigned char secret[32], str_t text, track_token *t,
                             buf_t *url);

#endif
