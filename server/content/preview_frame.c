/* The rows of template_previews: written with a new key, read by key until they expire. */
#include "content/preview_frame.h"

#include <sodium.h>
#include <string.h>

#include "core/secret.h"
#include "db/query.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

int preview_frame_store(PGconn *conn, const char *html, char key[PREVIEW_FRAME_KEY_SIZE],
                        mc_error *err)
{
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(key, PREVIEW_FRAME_KEY_SIZE, raw, sizeof raw);
    char key_hash[SECRET_KEY_TEXT];
    secret_token_key(key, key_hash);
    const char *params[] = {key_hash, html};
    /* the clean-up rides on the write, so that no job is needed and the table stays as small
     * as the previews of the last ten minutes */
    return db_exec(
        conn,
        "WITH gone AS (DELETE FROM template_previews WHERE expires_at <= now())"
        " INSERT INTO template_previews (key_hash, html, expires_at)"
        " VALUES ($1::bytea, $2, now() + interval '" STRINGIFY(PREVIEW_FRAME_SECONDS) " seconds')",
        2, params, err);
}

static bool key_valid(const char *key)
{
    if (strlen(key) != PREVIEW_FRAME_KEY_SIZE - 1) return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

int preview_frame_read(PGconn *conn, const char *key, buf_t *out, mc_error *err)
{
    if (!key_valid(key))
        return mc_error_set(err, 404, "not_found", "key", "this preview does not exist");
    char key_hash[SECRET_KEY_TEXT];
    secret_token_key(key, key_hash);
    const char *params[] = {key_hash};
    PGresult *res = db_query(conn,
                             "SELECT html FROM template_previews"
                             " WHERE key_hash = $1::bytea AND expires_at > now()",
                             1, params, err);
    if (!res) return -1;
    int found = PQntuples(res) == 1;
    if (found) buf_append(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
    if (!found)
        return mc_error_set(err, 404, "not_found", "key",
                            "this preview does not exist or has expired");
    return 0;
}
