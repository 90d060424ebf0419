/* Tag lists (RFC 6376 section 3.2): "tag=value; tag=value", the syntax of DKIM key records
 * and of DMARC policy records. Pure. */
#ifndef MC_MAIL_DNS_TAGS_H
#define MC_MAIL_DNS_TAGS_H

#include <stdbool.h>

#include "core/buf.h"

/* Finds tag in record (tag names compare exactly, as both RFCs define them) and appends its
 * value to out, with the whitespace around it removed, and all whitespace inside removed too
 * when squeeze is set (a DKIM p= may be folded). returns whether the tag is present (an empty
 * value is present). */
bool dns_tag_get(const char *record, const char *tag, bool squeeze, buf_t *out);
/* returns whether the record's first tag is v=version (DMARC requires it first) */
bool dns_tag_first_is(const char *record, const char *version);
/* returns the organizational domain of domain: its last two labels (no public suffix list),
 * a pointer into domain */
const char *dns_organizational_domain(const char *domain);

#endif
