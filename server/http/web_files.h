/* The built dashboard embedded in the binary at build time (scripts/embed_web.cmake turns
 * web/dist into a C source): what the server answers when [paths] web_dir is not set. */
#ifndef MC_HTTP_WEB_FILES_H
#define MC_HTTP_WEB_FILES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *path; /* the URL path, "/index.html" or "/assets/index-C772SJg3.js" */
    const unsigned char *data;
    size_t size;
    bool hashed; /* under /assets/: its name changes with its content */
} web_file_t;

/* WEB_FILE_COUNT entries (none when the dashboard was not built) */
extern const web_file_t WEB_FILES[];
extern const size_t WEB_FILE_COUNT;

#endif
