/* A chunked bump allocator: large requests get a chunk of their own. */
#include "core/arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct arena_chunk {
    arena_chunk *next;
    size_t used, cap;
    alignas(max_align_t) char data[];
};

void *arena_alloc(arena_t *a, size_t n)
{
    if (!a) return xmalloc(n);
    size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > a->chunk_size ? n : a->chunk_size;
        arena_chunk *c = xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_free(arena_t *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
