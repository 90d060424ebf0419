/* Unicode upper/lower case mapping of UTF-8 text, one code point at a time (Latin, Greek,
 * Cyrillic and every other script glibc's C.UTF-8 locale knows). Mappings that change the
 * number of characters (German sharp s to "SS") are left as they are. */
#ifndef MC_CORE_UTF8_CASE_H
#define MC_CORE_UTF8_CASE_H

#include <stddef.h>

typedef enum {
    UTF8_CASE_UPPER,
    UTF8_CASE_LOWER,
    UTF8_CASE_CAPITALIZE, /* first character upper case, the rest lower case */
} utf8_case_mode;

/* Writes the mapped form of src[0..n) to dst, which must have room for 2 * n bytes, and
 * returns the number of bytes written. Bytes that are not valid UTF-8 are copied as they are. */
size_t utf8_case_map(const char *src, size_t n, char *dst, utf8_case_mode mode);

#endif
