/* arena_t: memory for one request or one batch, released all at once by arena_free().
 * Functions that take an arena_t * allocate from it; passing NULL means plain malloc,
 * and then the caller frees each result with free(). */
#ifndef MC_CORE_ARENA_H
#define MC_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct {
    arena_chunk *head;
    size_t chunk_size;
} arena_t;

#define ARENA_INIT ((arena_t){NULL, 8192})

/* returns n bytes aligned for any type, owned by the arena (or by the caller when a is NULL) */
void *arena_alloc(arena_t *a, size_t n);
/* returns a NUL-terminated copy of s[0..n), owned like arena_alloc's result */
char *arena_strndup(arena_t *a, const char *s, size_t n);
/* releases everything allocated from a; a stays usable */
void arena_free(arena_t *a);

#endif
