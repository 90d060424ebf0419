/* app_t: everything a running mailcast process shares between its threads: configuration,
 * the database pool, the server secret, the metrics. Built once in a subcommand and passed down;
 * there is no global state. */
#ifndef MC_APP_APP_H
#define MC_APP_APP_H

#include <semaphore.h>
#include <stdbool.h>

#include "app/metrics.h"
#include "core/config.h"
#include "core/error.h"
#include "db/embedded.h"
#include "db/pool.h"
#include "i18n/catalog.h"
#include "mail/mail_setup.h"

typedef struct {
    config_t config;
    bool embedded_running;
    db_embedded embedded;
    db_pool *pool;
    unsigned char secret[32];
    /* relays (or the capture outbox) and DKIM keys, checked at start-up */
    mail_setup mail;
    bool mail_loaded;
    /* argon2id takes 64 MiB per hash: this caps the logins hashed at once */
    sem_t password_slots;
    /* what the sender, imports and the worker loop did, for GET /metrics */
    app_metrics metrics;
    /* links, opens and clicks (track/tracker.h); set by the subcommands that send or serve
     * tracked mail, NULL elsewhere */
    struct tracker *tracker;
    /* the words of public pages and of mailcast's own mail, per language */
    catalog_set catalogs;
} app_t;

enum {
    APP_MIGRATE = 1 << 0, /* apply pending migrations once connected */
};

/* Loads configuration (config_path may be NULL: then $MAILCAST_CONFIG, or defaults), connects
 * to the database (starting the embedded cluster when no URL is set) and loads the secret.
 * returns 0 (release with app_close()), or -1 with err set; err->code is "invalid_config"
 * when the configuration is at fault (exit status 2). */
int app_open(app_t *app, const char *config_path, unsigned flags, mc_error *err);
void app_close(app_t *app);
/* Prints err for a subcommand and returns its exit status: 2 for configuration, else 1. */
int app_report_error(const mc_error *err);

#endif
