/* mailcast user add EMAIL [--role ROLE]: creates a user; the password is read from stdin. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app/app.h"
#include "auth/users.h"
#include "cli/cli.h"
#include "cli/options.h"

/* Reads one line from stdin without echo when it is a terminal. returns 0 or -1 at EOF. */
static int read_password(char *out, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fprintf(stderr, "Password: ");
        tcgetattr(STDIN_FILENO, &saved);
        quiet = saved;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *got = fgets(out, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fprintf(stderr, "\n");
    }
    if (!got) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int cli_role(const char *text, mc_role *role)
{
    mc_error err;
    if (role_parse(text, "role", role, &err) == 0) return 0;
    fprintf(stderr, "mailcast: --role: %s\n", err.message);
    return 2;
}

int cli_user(int argc, char **argv)
{
    const char *config_path = NULL, *role_text = "admin";
    const cli_option options[] = {CLI_OPTION_CONFIG(&config_path), CLI_OPTION_ROLE(&role_text),
                                  CLI_OPTIONS_END};
    const cli_spec spec = {"mailcast user add EMAIL [--role ROLE] [--config FILE] < password",
                           "Creates a user (an admin unless --role says otherwise). The password "
                           "is read from standard input (one line; at least 8 characters).",
                           options, 2, 2};
    const char *args[2];
    int count;
    int rc = cli_parse(&spec, argc, argv, args, &count);
    if (rc) return rc == 1 ? 0 : rc;
    if (strcmp(args[0], "add") != 0) {
        fprintf(stderr, "mailcast: unknown user action '%s' (expected: add)\n", args[0]);
        return 2;
    }
    mc_role role;
    if (cli_role(role_text, &role)) return 2;
    char password[1100];
    if (read_password(password, sizeof password) < 0) {
        fprintf(stderr, "mailcast: no password on standard input\n");
        return 2;
    }
    app_t app;
    mc_error err;
    if (app_open(&app, config_path, APP_MIGRATE, &err) < 0) return app_report_error(&err);
    PGconn *conn = db_pool_acquire(app.pool, 10000, &err);
    long long id = 0;
    rc = conn ? user_create(conn, args[1], password, role, &id, &err) : -1;
    if (conn) db_pool_release(app.pool, conn);
    app_close(&app);
    if (rc < 0) {
        fprintf(stderr, "mailcast: %s\n", err.message);
        return err.status >= 400 && err.status < 500 ? 2 : 1;
    }
    printf("created user %lld: %s (%s)\n", id, args[1], role_name(role));
    return 0;
}
