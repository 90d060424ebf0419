/* API tokens for scripts: "mc_" followed by 43 random characters, shown once at creation;
 * only the SHA-256 is stored. */
#ifndef MC_AUTH_TOKENS_H
#define MC_AUTH_TOKENS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

#define TOKEN_MAX 64 /* bytes of a token's text, with its NUL */

/* Creates a token named name. returns the object {"id", "name", "prefix", "created_at",
 * "token"} with the token in clear (caller frees with json_decref()), or NULL with err. */
json_t *token_create(PGconn *conn, const char *name, long long created_by, mc_error *err);
/* Finds a live (not revoked) token. returns 0 with *token_id, 1 when unknown or revoked,
 * -1 with err on a database error. */
int token_lookup(PGconn *conn, const char *token, long long *token_id, mc_error *err);
/* Lists live tokens with id > after, at most limit, oldest first. returns {"items": [...],
 * "next_cursor"} plus "total" when with_total (caller frees with json_decref()), or NULL
 * with err. */
json_t *token_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err);
/* Revokes a token. returns 0, or -1 with err (404 when unknown or already revoked). */
int token_revoke(PGconn *conn, long long id, mc_error *err);

#endif
