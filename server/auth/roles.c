/* Role names as stored in users.role and api_tokens.role. */
#include "auth/roles.h"

#include <string.h>

static const char *const NAMES[] = {"none", "viewer", "editor", "admin"};

int role_parse(const char *text, const char *field, mc_role *role, mc_error *err)
{
    for (int r = ROLE_VIEWER; r <= ROLE_ADMIN; r++)
        if (text && !strcmp(text, NAMES[r])) {
            *role = (mc_role)r;
            return 0;
        }
    return mc_error_set(err, 400, "invalid_field", field,
                        "the role must be admin, editor or viewer");
}

const char *role_name(mc_role role)
{
    return role >= ROLE_VIEWER && role <= ROLE_ADMIN ? NAMES[role] : NAMES[0];
}
