/* mc_error: the one error convention. A function that can fail returns 0 on success or
 * a negative value, and fills the caller's mc_error with a machine code, a sentence a
 * person understands, the field or line concerned, and the HTTP status it maps to.
 * The HTTP layer turns it into {"error": {"code", "message", "field"}}. */
#ifndef MC_CORE_ERROR_H
#define MC_CORE_ERROR_H

typedef struct {
    int status;        /* HTTP status this error maps to (400, 404, 409, 500, ...) */
    char code[40];     /* machine-readable: "invalid_field", "not_found", ... */
    char field[128];   /* the input field, path or "file:line" concerned; may be empty */
    char message[512]; /* one sentence for a person */
} mc_error;

/* fills err (when not NULL) and returns -1 so callers can write `return mc_error_set(...)` */
int mc_error_set(mc_error *err, int status, const char *code, const char *field, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
/* empties err */
void mc_error_clear(mc_error *err);

#endif
