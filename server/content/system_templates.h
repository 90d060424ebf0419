/* System messages (the double opt-in confirmation) are rendered from a stored transactional
 * template with a reserved name, "system/NAME", which the first message of its kind creates from
 * the built-in templates_dir/system/NAME.mustache; editing that stored template changes the
 * message. */
#ifndef MC_CONTENT_SYSTEM_TEMPLATES_H
#define MC_CONTENT_SYSTEM_TEMPLATES_H

#include <libpq-fe.h>

#include "core/error.h"

/* returns the id of the stored template of system message name (e.g. "optin_confirm"),
 * storing it first from the built-in file with subject (a template) when there is none; run it
 * inside the caller's transaction (one creator at a time: an advisory lock until it ends).
 * returns -1 with err (500 when the built-in file cannot be read). */
long long content_system_template(PGconn *conn, const char *templates_dir, const char *name,
                                  const char *subject, mc_error *err);

#endif
