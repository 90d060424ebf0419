/* mailcast token create NAME [--role ROLE]: creates an API token and prints it, once. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "auth/tokens.h"
#include "cli/cli.h"
#include "cli/options.h"

int cli_token(int argc, char **argv)
{
    const char *config_path = NULL, *role_text = "admin";
    const cli_option options[] = {CLI_OPTION_CONFIG(&config_path), CLI_OPTION_ROLE(&role_text),
                                  CLI_OPTIONS_END};
    const cli_spec spec = {"mailcast token create NAME [--role ROLE] [--config FILE]",
                           "Creates an API token for scripts and prints it. It is shown only "
                           "this once; send it as 'Authorization: Bearer TOKEN'. It acts with "
                           "its role (admin unless --role says otherwise).",
                           options, 2, 2};
    const char *args[2];
    int count;
    int rc = cli_parse(&spec, argc, argv, args, &count);
    if (rc) return rc == 1 ? 0 : rc;
    if (strcmp(args[0], "create") != 0) {
        fprintf(stderr, "mailcast: unknown token action '%s' (expected: create)\n", args[0]);
        return 2;
    }
    mc_role role;
    if (cli_role(role_text, &role)) return 2;
    app_t app;
    mc_error err;
    if (app_open(&app, config_path, APP_MIGRATE, &err) < 0) return app_report_error(&err);
    PGconn *conn = db_pool_acquire(app.pool, 10000, &err);
    json_t *token = conn ? token_create(conn, args[1], role, 0, &err) : NULL;
    if (conn) db_pool_release(app.pool, conn);
    app_close(&app);
    if (!token) {
        fprintf(stderr, "mailcast: %s\n", err.message);
        return err.status >= 400 && err.status < 500 ? 2 : 1;
    }
    printf("%s\n", json_string_value(json_object_get(token, "token")));
    json_decref(token);
    return 0;
}
