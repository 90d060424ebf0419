/* Roles of users and API tokens, ordered: each role can do what the ones below it can. */
#ifndef MC_AUTH_ROLES_H
#define MC_AUTH_ROLES_H

#include "core/error.h"

typedef enum {
    ROLE_NONE = 0,   /* no credentials */
    ROLE_VIEWER = 1, /* reads, except exports of personal data */
    ROLE_EDITOR = 2, /* audience, templates, campaigns, triggers, events, imports and exports */
    ROLE_ADMIN = 3,  /* everything: users, everyone's tokens, webhooks */
} mc_role;

/* Parses "admin", "editor" or "viewer". returns 0 with *role, or -1 with a 400 naming field. */
int role_parse(const char *text, const char *field, mc_role *role, mc_error *err);
/* returns the role's name (static), "none" for ROLE_NONE */
const char *role_name(mc_role role);

#endif
