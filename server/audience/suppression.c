/* Suppression keys are HMACs, not plain hashes: without the server secret, a leaked table
 * cannot be checked against a list of known addresses. */
#include "audience/suppression.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "db/query.h"

int suppression_key(PGconn *conn, const unsigned char secret[32], const char *email,
                    char key[SUPPRESSION_KEY_TEXT], mc_error *err)
{
    const char *params[] = {email};
    PGresult *res = db_query(conn, "SELECT lower($1)", 1, params, err);
    if (!res) return -1;
    const char *lower = PQgetvalue(res, 0, 0);
    unsigned char mac[32];
    unsigned int mac_len = sizeof mac;
    HMAC(EVP_sha256(), secret, 32, (const unsigned char *)lower, strlen(lower), mac, &mac_len);
    PQclear(res);
    static const char hex[] = "0123456789abcdef";
    key[0] = '\\';
    key[1] = 'x';
    for (unsigned i = 0; i < 32; i++) {
        key[2 + 2 * i] = hex[mac[i] >> 4];
        key[3 + 2 * i] = hex[mac[i] & 15];
    }
    key[66] = '\0';
    return 0;
}

static void bytea_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = hex[bytes[i] >> 4];
        out[3 + 2 * i] = hex[bytes[i] & 15];
    }
    out[2 + 2 * n] = '\0';
}

void suppression_pads(const unsigned char secret[32], char ipad[SUPPRESSION_PAD_TEXT],
                      char opad[SUPPRESSION_PAD_TEXT])
{
    /* HMAC (RFC 2104) with a key shorter than SHA-256's 64-byte block: zero-padded, then
     * XORed with 0x36 (inner) and 0x5c (outer) */
    unsigned char in[64], out[64];
    for (int i = 0; i < 64; i++) {
        unsigned char k = i < 32 ? secret[i] : 0;
        in[i] = k ^ 0x36;
        out[i] = k ^ 0x5c;
    }
    bytea_hex(in, 64, ipad);
    bytea_hex(out, 64, opad);
}

int suppression_contains(PGconn *conn, const unsigned char secret[32], const char *email,
                         mc_error *err)
{
    char key[SUPPRESSION_KEY_TEXT];
    if (suppression_key(conn, secret, email, key, err) < 0) return -1;
    const char *params[] = {key};
    PGresult *res =
        db_query(conn, "SELECT 1 FROM suppressions WHERE email_hash = $1::bytea", 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

int suppression_add(PGconn *conn, const unsigned char secret[32], const char *email,
                    const char *reason, mc_error *err)
{
    char key[SUPPRESSION_KEY_TEXT];
    if (suppression_key(conn, secret, email, key, err) < 0) return -1;
    const char *params[] = {key, reason};
    return db_exec(conn,
                   "INSERT INTO suppressions (email_hash, reason) VALUES ($1::bytea, $2)"
                   " ON CONFLICT (email_hash) DO NOTHING",
                   2, params, err);
}

int suppression_remove(PGconn *conn, const unsigned char secret[32], const char *email,
                       mc_error *err)
{
    char key[SUPPRESSION_KEY_TEXT];
    if (suppression_key(conn, secret, email, key, err) < 0) return -1;
    const char *params[] = {key};
    PGresult *res =
        db_query(conn, "DELETE FROM suppressions WHERE email_hash = $1::bytea", 1, params, err);
    if (!res) return -1;
    int removed = atoi(PQcmdTuples(res)) > 0;
    PQclear(res);
    return removed;
}
