/* Form bodies as HTML forms and mail clients post them: application/x-www-form-urlencoded,
 * and multipart/form-data for the small bodies of routes that are not uploads. */
#ifndef MC_HTTP_FORM_H
#define MC_HTTP_FORM_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/* Finds the index-th value (0 for the first) of field name in body and decodes it into out
 * ('+' is a space, %XX a byte). returns true when found. out is reset first. */
bool http_form_value(str_t body, const char *name, int index, buf_t *out);
/* Like http_form_value for a body sent with content_type (a request's Content-Type, may be
 * NULL): multipart/form-data is read part by part (file parts are skipped, a malformed body
 * has no fields), anything else as application/x-www-form-urlencoded. */
bool http_form_field(const char *content_type, str_t body, const char *name, int index, buf_t *out);

#endif
