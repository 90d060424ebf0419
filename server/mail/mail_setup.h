/* What the server builds from the configuration at start-up to send mail: the relays (or
 * the capture outbox when there are none) and the DKIM keys. A bad [smtp.NAME], [dkim.DOMAIN]
 * or [mail] value is an error naming FILE:LINE, for exit status 2. */
#ifndef MC_MAIL_MAIL_SETUP_H
#define MC_MAIL_MAIL_SETUP_H

#include "core/buf.h"
#include "core/config.h"
#include "core/error.h"
#include "mail/destination_config.h"
#include "mail/dkim_signer.h"
#include "mail/relay.h"
#include "mail/warmup_config.h"

typedef struct {
    relay_set relays;             /* count 0: capture */
    relay_pool *pool;             /* weighted choice and back-off over relays; NULL with no relay */
    dkim_signer *signer;          /* never NULL; may hold no key */
    char *outbox_dir;             /* <data_dir>/outbox, where capture writes */
    destination_set destinations; /* the recipient domains' groups, paced each on its own */
    warmup_set warmup;            /* [warmup.NAME] schedules (count 0: none) */
} mail_setup;

/* Loads relays, destination groups and DKIM keys from cfg and checks [mail] bounce_address and
 * from_email. Logs one line saying which transport is used ("no [smtp.*] relay configured: messages
 * are captured in DIR" or the relays) and which domains sign.
 * returns 0, or -1 with err (field "FILE:LINE" where known); caller frees with
 * mail_setup_free() after success. */
int mail_setup_load(mail_setup *m, const config_t *cfg, mc_error *err);
void mail_setup_free(mail_setup *m);
/* returns 0 when cfg has the From address of mail that has none of its own ([mail]
 * from_email: transactional, system and send-test mail), else -1 with a 400 naming field and
 * the setting */
int mail_setup_require_from(const config_t *cfg, const char *field, mc_error *err);
/* Warns about what a process that sends mail should have and cfg lacks: a From address, a
 * postal address for footers. Called once at start-up by serve and worker. */
void mail_setup_warn(const config_t *cfg);
/* returns the transport for relay index i, or the capture transport when there are no
 * relays (i ignored); caller frees with mail_transport_free() */
mail_transport *mail_setup_transport(const mail_setup *m, size_t i);

#endif
