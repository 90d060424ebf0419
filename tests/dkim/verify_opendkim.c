/* Checks every DKIM-Signature of a message with libopendkim, a verifier independent of
 * mailcast's signer. Usage: verify_opendkim KEYS_FILE < message, where KEYS_FILE holds lines
 * "SELECTOR._domainkey.DOMAIN TXT-RECORD" (libopendkim's file query method: no DNS).
 * Prints one line per signature, "d=DOMAIN s=SELECTOR a=ALG pass" or "... fail: WHY", and
 * exits 0 when there is at least one signature and every one passes, 1 otherwise.
 * Built without AddressSanitizer: libopendkim 2.11 does not free what it decodes for
 * ed25519-sha256, and that is its leak, not the tests'. */
#include <dkim.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(FILE *f, size_t *n)
{
    size_t cap = 1 << 16;
    unsigned char *p = malloc(cap);
    *n = 0;
    size_t got;
    while (p && (got = fread(p + *n, 1, cap - *n, f)) > 0) {
        *n += got;
        if (*n == cap) p = realloc(p, cap *= 2);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: verify_opendkim KEYS_FILE < message\n");
        return 2;
    }
    size_t n;
    unsigned char *m = read_all(stdin, &n);
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (!m || !lib) return 2;
    dkim_query_t query = DKIM_QUERY_FILE;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &query, sizeof query);
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, argv[1], strlen(argv[1]));
    DKIM_STAT stat;
    DKIM *d = dkim_verify(lib, (const unsigned char *)"test", NULL, &stat);
    if (!d) return 2;
    /* each header field without its final CRLF, continuation lines included */
    size_t i = 0, body = n;
    while (i + 1 < n) {
        if (m[i] == '\r' && m[i + 1] == '\n') {
            body = i + 2;
            break;
        }
        size_t start = i;
        while (i + 1 < n && !(m[i] == '\r' && m[i + 1] == '\n' && i + 2 < n && m[i + 2] != ' ' &&
                              m[i + 2] != '\t'))
            i++;
        dkim_header(d, m + start, i - start);
        i += 2;
    }
    dkim_eoh(d);
    if (body < n) dkim_body(d, m + body, n - body);
    stat = dkim_eom(d, NULL);
    DKIM_SIGINFO **sigs = NULL;
    int count = 0;
    int failed = dkim_getsiglist(d, &sigs, &count) != DKIM_STAT_OK || count == 0;
    if (count == 0) printf("no signature (%s)\n", dkim_getresultstr(stat));
    for (int s = 0; s < count; s++) {
        dkim_alg_t alg = 0;
        dkim_sig_getsignalg(sigs[s], &alg);
        bool pass = DKIM_SIG_CHECK(sigs[s]);
        printf("d=%s s=%s a=%s %s", dkim_sig_getdomain(sigs[s]), dkim_sig_getselector(sigs[s]),
               alg == DKIM_SIGN_ED25519SHA256 ? "ed25519-sha256"
               : alg == DKIM_SIGN_RSASHA256   ? "rsa-sha256"
                                              : "other",
               pass ? "pass" : "fail");
        if (!pass)
            printf(": %s%s", dkim_sig_geterrorstr(dkim_sig_geterror(sigs[s])),
                   dkim_sig_getbh(sigs[s]) != DKIM_SIGBH_MATCH ? " (body hash differs)" : "");
        printf("\n");
        failed |= !pass;
    }
    dkim_free(d);
    dkim_close(lib);
    free(m);
    return failed ? 1 : 0;
}
