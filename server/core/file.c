/* stdio with a size cap, so that no caller reads an unexpectedly huge file into memory. */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>

int file_read_all(const char *path, size_t max_bytes, buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char chunk[65536];
    size_t n, total = 0;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        total += n;
        if (total > max_bytes) {
            errno = EFBIG;
            rc = -1;
            break;
        }
        buf_append(out, chunk, n);
    }
    if (rc == 0 && ferror(f)) {
        errno = EIO;
        rc = -1;
    }
    fclose(f);
    return rc;
}
