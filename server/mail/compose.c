/* Signing needs the final bytes, so the message is built once into scratch and copied
 * after the DKIM-Signature field. */
#include "mail/compose.h"

#include "mail/message_id.h"

int mail_compose(const mail_message *m, const dkim_signer *signer, buf_t *scratch, buf_t *out,
                 mc_error *err)
{
    buf_reset(scratch);
    if (mime_build(m, scratch, err) < 0) return -1;
    if (!signer) {
        buf_append_str(out, buf_view(scratch));
        return 0;
    }
    int rc =
        dkim_signer_sign(signer, mail_address_domain(m->from.email), buf_view(scratch), out, err);
    return rc < 0 ? -1 : 0;
}
