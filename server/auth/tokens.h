/* API tokens for scripts: "mc_" followed by 43 random characters, shown once at creation;
 * only the SHA-256 is stored. */
#ifndef MC_AUTH_TOKENS_H
#define MC_AUTH_TOKENS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "auth/roles.h"
#include "core/error.h"

#define TOKEN_MAX 64 /* bytes of a token's text, with its NUL */

/* owner argument of token_list() and token_revoke(): every token, whoever made it */
#define TOKENS_OF_EVERYONE (-1)

/* Creates a token named name acting with role, made by user created_by (0: the operator's
 * command line). The caller checks that its maker may give that role. returns the object
 * {"id", "name", "prefix", "role", "created_at", "token"} with the token in clear (caller
 * frees with json_decref()), or NULL with err. */
json_t *token_create(PGconn *conn, const char *name, mc_role role, long long created_by,
                     mc_error *err);
/* Finds a live (not revoked) token. returns 0 with *token_id, *created_by (0: none) and the
 * *role it acts with (its own, never above its maker's current role), 1 when unknown or
 * revoked, -1 with err on a database error. */
int token_lookup(PGconn *conn, const char *token, long long *token_id, mc_role *role,
                 long long *created_by, mc_error *err);
/* Lists live tokens made by user owner (TOKENS_OF_EVERYONE: all of them) with id > after, at
 * most limit, oldest first. returns {"items": [...], "next_cursor"} plus "total" when
 * with_total (caller frees with json_decref()), or NULL with err. */
json_t *token_list(PGconn *conn, long long owner, long long after, int limit, bool with_total,
                   mc_error *err);
/* Revokes a token made by user owner (TOKENS_OF_EVERYONE: anyone's). returns 0, or -1 with
 * err (404 when unknown, already revoked or someone else's). */
int token_revoke(PGconn *conn, long long owner, long long id, mc_error *err);

#endif
