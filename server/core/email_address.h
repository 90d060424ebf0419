/* Email address syntax: what mailcast accepts as a subscriber's address. RFC 5321 limits
 * (local part <= 64 octets, domain <= 255, whole address <= 254), RFC 5322 dot-atom or quoted
 * local parts, and internationalized addresses (RFC 6531: UTF-8 in the local part and in
 * domain labels). Addresses are stored as given, not converted to punycode. */
#ifndef MC_CORE_EMAIL_ADDRESS_H
#define MC_CORE_EMAIL_ADDRESS_H

#include "core/error.h"
#include "core/str.h"

#define EMAIL_ADDRESS_MAX 254

/* Trims ASCII white space from in and checks the rest. returns 0 with *out a view into in,
 * or -1 with a 400 "invalid_field" naming field and saying what is wrong. */
int email_address_check(str_t in, const char *field, str_t *out, mc_error *err);

#endif
