/* Allocation that never returns NULL: running out of memory aborts here, in one place,
 * so call sites do not test every allocation. Everything returned is freed with free(). */
#ifndef MC_CORE_ALLOC_H
#define MC_CORE_ALLOC_H

#include <stddef.h>

/* returns new memory; caller frees with free() */
void *xmalloc(size_t n);
/* returns zeroed memory for count*size bytes (overflow aborts); caller frees with free() */
void *xcalloc(size_t count, size_t size);
/* returns p resized (may move); caller frees the result with free() */
void *xrealloc(void *p, size_t n);
/* returns a NUL-terminated copy; caller frees with free() */
char *xstrdup(const char *s);
/* returns a NUL-terminated copy of the first n bytes; caller frees with free() */
char *xstrndup(const char *s, size_t n);

#endif
