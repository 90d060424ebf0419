/* mailcast migrate: applies pending migrations and exits. */
#include <stdio.h>

#include "app/app.h"
#include "cli/cli.h"
#include "cli/options.h"

int cli_migrate(int argc, char **argv)
{
    const char *config_path = NULL;
    const cli_option options[] = {CLI_OPTION_CONFIG(&config_path), CLI_OPTIONS_END};
    const cli_spec spec = {"mailcast migrate [--config FILE]",
                           "Applies the database migrations not applied yet, then exits. Safe to "
                           "run from several processes at once.",
                           options, 0, 0};
    int count;
    int rc = cli_parse(&spec, argc, argv, NULL, &count);
    if (rc) return rc == 1 ? 0 : rc;
    app_t app;
    mc_error err;
    if (app_open(&app, config_path, APP_MIGRATE, &err) < 0) return app_report_error(&err);
    printf("database schema is up to date\n");
    app_close(&app);
    return 0;
}
