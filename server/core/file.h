/* Reading a whole file into the project's buffer. */
#ifndef MC_CORE_FILE_H
#define MC_CORE_FILE_H

#include <stddef.h>

#include "core/buf.h"

/* Appends the bytes of path to out. returns 0, or -1 with errno set (EFBIG when the file holds
 * more than max_bytes; out then holds a partial read the caller should discard). */
int file_read_all(const char *path, size_t max_bytes, buf_t *out);

#endif
