/* Rendered previews behind a capability URL (/preview/{key}), so that the dashboard can show an
 * email in a sandboxed frame with the email's own styles and remote images, which its own
 * Content-Security-Policy forbids. A key is 128 random bits in hex; only its SHA-256 is stored
 * (table template_previews) and it reads its preview for PREVIEW_FRAME_SECONDS. */
#ifndef MC_CONTENT_PREVIEW_FRAME_H
#define MC_CONTENT_PREVIEW_FRAME_H

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/error.h"

#define PREVIEW_FRAME_SECONDS 600
/* 32 hex digits and the NUL */
#define PREVIEW_FRAME_KEY_SIZE 33

/* Stores html under a new key written into key; removes the previews whose time is up.
 * returns 0, or -1 with err (500) */
int preview_frame_store(PGconn *conn, const char *html, char key[PREVIEW_FRAME_KEY_SIZE],
                        mc_error *err);

/* Appends the HTML stored under key to out. returns 0, or -1 with err: 404 "not_found" for a
 * key that is malformed, unknown or past its time, 500 */
int preview_frame_read(PGconn *conn, const char *key, buf_t *out, mc_error *err);

#endif
