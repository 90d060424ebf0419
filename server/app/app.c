/* Bringing a process up in order: configuration, database, schema, secret. */
#include "app/app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/secret.h"
#include "db/migrate.h"

extern char **environ;

#define PASSWORD_SLOTS 2

static int make_data_dir(const char *dir, mc_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(tmp, 0755);
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return mc_error_set(err, 500, "data_dir", "paths.data_dir",
                            "cannot create the data folder %s: %s", dir, strerror(errno));
    return 0;
}

int app_open(app_t *app, const char *config_path, unsigned flags, mc_error *err)
{
    memset(app, 0, sizeof *app);
    if (!config_path) {
        const char *env = getenv("MAILCAST_CONFIG");
        if (env && env[0]) config_path = env;
    }
    if (config_load(&app->config, config_path, environ, err) < 0) return -1;
    config_t *cfg = &app->config;
    sem_init(&app->password_slots, 0, PASSWORD_SLOTS);
    if (make_data_dir(cfg->data_dir, err) < 0) goto fail;
    char locales[4096];
    snprintf(locales, sizeof locales, "%s/locales", cfg->templates_dir);
    if (catalog_load(&app->catalogs, locales, err) < 0) goto fail;
    /* before the database: a bad relay or DKIM key is a configuration error (exit 2) */
    if (mail_setup_load(&app->mail, cfg, err) < 0) goto fail;
    app->mail_loaded = true;
    app_metrics_init(&app->metrics, &app->mail.relays);
    if (secret_load_or_create(cfg->secret_file, app->secret, err) < 0) goto fail;

    const char *dsn = cfg->database_url;
    if (!dsn[0]) {
        if (db_embedded_acquire(cfg->data_dir, &app->embedded, err) < 0) goto fail;
        app->embedded_running = true;
        dsn = app->embedded.dsn;
    }
    app->pool = db_pool_new(dsn, cfg->pool_size, err);
    if (!app->pool) goto fail;
    if (flags & APP_MIGRATE) {
        PGconn *conn = db_pool_acquire(app->pool, 30000, err);
        if (!conn) goto fail;
        int applied = 0;
        int rc = db_migrate(conn, cfg->migrations_dir, &applied, err);
        db_pool_release(app->pool, conn);
        if (rc < 0) goto fail;
        if (applied) log_info("database schema up to date (%d migrations applied)", applied);
    }
    return 0;
fail:
    app_close(app);
    return -1;
}

void app_close(app_t *app)
{
    db_pool_free(app->pool);
    app->pool = NULL;
    if (app->embedded_running) db_embedded_release(&app->embedded);
    app->embedded_running = false;
    if (app->mail_loaded) mail_setup_free(&app->mail);
    app->mail_loaded = false;
    app_metrics_free(&app->metrics);
    sem_destroy(&app->password_slots);
    catalog_free(&app->catalogs);
    config_free(&app->config);
}

int app_report_error(const mc_error *err)
{
    fprintf(stderr, "mailcast: %s\n", err->message);
    return strcmp(err->code, "invalid_config") == 0 ? 2 : 1;
}
