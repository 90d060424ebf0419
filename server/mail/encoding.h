/* Content transfer encodings for MIME bodies and encoded-words: base64 (RFC 2045 6.8)
 * and quoted-printable (RFC 2045 6.7). Both append to a buf_t and write CRLF line ends. */
#ifndef MC_MAIL_ENCODING_H
#define MC_MAIL_ENCODING_H

#include <stddef.h>

#include "core/buf.h"

/* appends the base64 of data[0..n) on one line, no line break (for encoded-words) */
void base64_append(buf_t *out, const void *data, size_t n);
/* appends the base64 of data[0..n) in lines of 76 characters, each ending in CRLF */
void base64_append_lines(buf_t *out, const void *data, size_t n);
/* appends text[0..n) as quoted-printable: every line break (CRLF, LF or a lone CR)
 * becomes a CRLF hard break, lines are at most 76 characters with soft breaks, and '=',
 * controls, bytes over 126 and white space before a break are escaped */
void qp_append(buf_t *out, const char *text, size_t n);

#endif
