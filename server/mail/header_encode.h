/* Header field encoding (RFC 5322, RFC 2047): validation of caller-supplied values,
 * encoded-words for non-ASCII text, folding at 78 columns, and address formatting.
 * Every writer appends a complete field, "Name: value\r\n", to a buf_t, and no line it
 * writes is longer than 998 octets. */
#ifndef MC_MAIL_HEADER_ENCODE_H
#define MC_MAIL_HEADER_ENCODE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

/* returns 0 when v is valid UTF-8 with no CR, LF, NUL or other C0 control except TAB,
 * or -1 with err naming field: the one check every caller-supplied header value passes,
 * so a value can never end a field and start a new one */
int header_check_value(str_t v, const char *field, mc_error *err);
/* returns true when name is a valid field name (RFC 5322 ftext: printable ASCII but ':') */
bool header_name_valid(str_t name);
/* returns 0 when email is an ASCII addr-spec local@domain this server can put in a header
 * and an SMTP envelope, else -1 with err naming field */
int header_check_email(str_t email, const char *field, mc_error *err);

/* appends "Name: value" for unstructured text (Subject, custom headers): plain folded
 * ASCII when that is exact, RFC 2047 encoded-words (UTF-8, base64) otherwise. The value
 * must have passed header_check_value. */
void header_write_unstructured(buf_t *out, const char *name, str_t value);
/* appends a display name as a phrase: an atom run or a quoted string for ASCII,
 * encoded-words for anything else */
void header_append_phrase(buf_t *out, str_t name, size_t *column);
/* appends "Name: "display" <email>" (or just the email when name is empty), folded */
void header_write_address(buf_t *out, const char *name, str_t display, str_t email);
/* appends "Name: value" where value is pre-validated ASCII made of items that may be
 * folded after a comma (List-Unsubscribe) or at spaces */
void header_write_structured(buf_t *out, const char *name, str_t value);

#endif
