/* UTF-8 primitives shared by every text path: validation, decoding and truncation that
 * never cuts a character in half. */
#ifndef MC_CORE_UTF8_H
#define MC_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF);
 * *bad_offset (when not NULL) gets the offset of the first bad byte */
bool utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* decodes one code point at s (n bytes available); returns its length in bytes, or 0 for
 * malformed input, with the code point in *cp */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* encodes cp into out (4 bytes of room); returns the length, 0 for an invalid code point */
size_t utf8_encode(uint32_t cp, char *out);
/* returns the largest length <= max_bytes that ends on a character boundary of s[0..n) */
size_t utf8_truncate_len(const char *s, size_t n, size_t max_bytes);
/* returns the number of code points in valid UTF-8 s[0..n) */
size_t utf8_count(const char *s, size_t n);
/* returns the byte length of the first max_chars code points of s[0..n) */
size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_chars);

#endif
