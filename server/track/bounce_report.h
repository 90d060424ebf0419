/* What a bounce or complaint report says, whatever it came from: the bounce mailbox's DSN and
 * ARF parsers, the providers' webhooks and the API fill one of these, and bounce_store.h
 * records it. */
#ifndef MC_TRACK_BOUNCE_REPORT_H
#define MC_TRACK_BOUNCE_REPORT_H

#include <stddef.h>

#include "core/str.h"

#define BOUNCE_ADDRESSES_MAX 8
#define BOUNCE_ADDRESS_MAX   255
#define BOUNCE_TOKEN_CHARS   32
#define BOUNCE_REASON_MAX    400

typedef struct {
    char kind[12]; /* "hard", "soft" or "complaint"; "" when the report is none of them */
    /* the 32 hex digits that name the message: the VERP address's token, which is the
     * Message-ID's left-hand side ("" when the report has neither) */
    char token[BOUNCE_TOKEN_CHARS + 1];
    /* who bounced or complained: the recipient first, then other addresses the report shows
     * (a message is found among the mail of these addresses) */
    char addresses[BOUNCE_ADDRESSES_MAX][BOUNCE_ADDRESS_MAX];
    size_t address_count;
    char reason[BOUNCE_REASON_MAX]; /* status and diagnostic, or the provider's words */
    int smtp_code;                  /* the remote server's reply code, 0 when unknown */
} bounce_report;

/* Adds address (trimmed of spaces, angle brackets and a "rfc822;" type) to r's addresses,
 * lower-cased, unless it is there already, is not an address or the list is full. */
void bounce_report_add_address(bounce_report *r, str_t address);
/* Sets r's reason to text (cut at BOUNCE_REASON_MAX - 1 bytes on a character boundary, control
 * characters made spaces, bytes that are not UTF-8 made '?'); appends "; text" when r has a
 * reason already. */
void bounce_report_add_reason(bounce_report *r, str_t text);
/* Looks in text for the token of one of our messages: "<32 hex digits@" (a Message-ID) or
 * verp_prefix followed by 32 hex digits and "@" (the VERP address: verp_prefix is the part of
 * [mail] bounce_address before "{token}", e.g. "bounces+"). Sets r->token to the first found.
 * returns 1 when found, else 0. */
int bounce_report_find_token(bounce_report *r, str_t text, str_t verp_prefix);

/* returns the part of bounce_address ([mail] bounce_address) before "{token}" (borrowed),
 * STR_NULL when it has no "{token}" */
str_t bounce_verp_prefix(const char *bounce_address);

#endif
