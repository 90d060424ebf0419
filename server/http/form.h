/* application/x-www-form-urlencoded bodies, as HTML forms post them. */
#ifndef MC_HTTP_FORM_H
#define MC_HTTP_FORM_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/* Finds the index-th value (0 for the first) of field name in body and decodes it into out
 * ('+' is a space, %XX a byte). returns true when found. out is reset first. */
bool http_form_value(str_t body, const char *name, int index, buf_t *out);

#endif
