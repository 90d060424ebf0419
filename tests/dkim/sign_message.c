/* Signs a message with mailcast's DKIM signer, for the tests that check the signature with
 * independent verifiers. Usage: sign_message DOMAIN ALG SELECTOR KEY_FILE [ALG SELECTOR
 * KEY_FILE] < message > signed, ALG being rsa-sha256 or ed25519-sha256. Exits 0 when
 * signed, 1 when the signer refuses the message, 2 on a bad key or usage. */
#include <stdio.h>
#include <stdlib.h>

#include "mail/dkim_key.h"
#include "mail/dkim_signer.h"

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 8) {
        fprintf(stderr, "usage: sign_message DOMAIN ALG SELECTOR KEY_FILE [ALG SELECTOR "
                        "KEY_FILE] < message\n");
        return 2;
    }
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    for (int i = 2; i + 2 < argc; i += 3) {
        dkim_algorithm alg;
        char *pem = dkim_key_read_file(argv[i + 2], argv[i + 2], &err);
        int rc = pem && dkim_algorithm_parse(argv[i], &alg)
                     ? dkim_signer_add_key(s, argv[1], argv[i + 1], pem, alg, &err)
                     : -1;
        dkim_key_text_free(pem);
        if (rc < 0) {
            fprintf(stderr, "sign_message: %s\n", pem ? err.message : "bad algorithm or key");
            dkim_signer_free(s);
            return 2;
        }
    }
    buf_t in = BUF_INIT, out = BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        buf_append(&in, chunk, got);
    int rc = dkim_signer_sign(s, str_from_cstr(argv[1]), buf_view(&in), &out, &err);
    if (rc == 0)
        fwrite(out.p, 1, out.n, stdout);
    else
        fprintf(stderr, "sign_message: %s\n", rc < 0 ? err.message : "no key for the domain");
    buf_free(&in);
    buf_free(&out);
    dkim_signer_free(s);
    return rc == 0 ? 0 : 1;
}
