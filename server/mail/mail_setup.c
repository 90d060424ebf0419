/* Start-up checks of the mail configuration, so a typo stops the server before the first
 * campaign rather than during it. */
#include "mail/mail_setup.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "mail/header_encode.h"
#include "mail/preflight.h"
#include "mail/transport_capture.h"
#include "mail/verp.h"

static int check_mail_section(const config_t *cfg, mc_error *err)
{
    if (cfg->from_email[0] &&
        header_check_email(str_from_cstr(cfg->from_email), "mail.from_email", err) < 0)
        return mc_error_set(err, 400, "invalid_config", "mail.from_email",
                            "[mail] from_email = \"%s\" is not an address like news@example.com",
                            cfg->from_email);
    if (cfg->bounce_address[0]) {
        buf_t probe = BUF_INIT;
        int rc = verp_envelope_sender(str_from_cstr(cfg->bounce_address), STR_LIT("token"),
                                      STR_NULL, &probe, err);
        buf_free(&probe);
        if (rc < 0)
            return mc_error_set(err, 400, "invalid_config", "mail.bounce_address",
                                "[mail] bounce_address = \"%s\" must be an address, with "
                                "{token} in its local part for VERP, e.g. "
                                "bounces+{token}@example.com",
                                cfg->bounce_address);
    }
    return 0;
}

int mail_setup_load(mail_setup *m, const config_t *cfg, mc_error *err)
{
    memset(m, 0, sizeof *m);
    if (check_mail_section(cfg, err) < 0) return -1;
    if (preflight_config_check(cfg, err) < 0) return -1;
    if (relay_set_load(&m->relays, cfg, err) < 0) return -1;
    if (m->relays.count) m->pool = relay_pool_new(&m->relays);
    if (destination_set_load(&m->destinations, cfg, err) < 0 ||
        warmup_set_load(&m->warmup, cfg, &m->relays, err) < 0) {
        mail_setup_free(m);
        return -1;
    }
    m->signer = dkim_signer_new();
    if (dkim_signer_load_config(m->signer, cfg, err) < 0) {
        mail_setup_free(m);
        return -1;
    }
    buf_t dir = BUF_INIT;
    buf_appendf(&dir, "%s/outbox", cfg->data_dir);
    m->outbox_dir = buf_detach(&dir, NULL);
    if (m->relays.count == 0) {
        log_info("mail: no [smtp.*] relay configured: messages are captured in %s", m->outbox_dir);
    } else {
        for (size_t i = 0; i < m->relays.count; i++) {
            const relay_config *r = &m->relays.relays[i];
            log_info("mail: relay %s at %s:%u, weight %u, %u connections", r->name, r->host,
                     r->port, r->weight, r->max_connections);
        }
    }
    if (dkim_signer_count(m->signer) == 0)
        log_warn("mail: no [dkim.DOMAIN] key: messages go out unsigned");
    return 0;
}

int mail_setup_require_from(const config_t *cfg, const char *field, mc_error *err)
{
    if (cfg->from_email[0]) return 0;
    return mc_error_set(err, 400, "invalid_field", field,
                        "no From address: set [mail] from_email in the configuration (the From "
                        "address of transactional and system mail)");
}

void mail_setup_warn(const config_t *cfg)
{
    if (!cfg->from_email[0])
        log_warn("mail: [mail] from_email is empty: transactional mail is refused and system "
                 "mail (opt-in confirmations) has no sender until it is set");
    if (!cfg->postal_address[0])
        log_warn("mail: [mail] postal_address is empty: bulk-mail laws (CAN-SPAM and others) "
                 "require the sender's postal address in every marketing message; the shipped "
                 "layout prints it in its footer");
}

void mail_setup_free(mail_setup *m)
{
    relay_pool_free(m->pool);
    relay_set_free(&m->relays);
    destination_set_free(&m->destinations);
    warmup_set_free(&m->warmup);
    dkim_signer_free(m->signer);
    free(m->outbox_dir);
    memset(m, 0, sizeof *m);
}

mail_transport *mail_setup_transport(const mail_setup *m, size_t i)
{
    if (m->relays.count == 0) return transport_capture_new(m->outbox_dir);
    return relay_transport_new(&m->relays.relays[i < m->relays.count ? i : 0]);
}
