/* The subcommands of the mailcast binary. Each takes argc/argv starting at its own name and
 * returns the process exit status: 0 success, 1 failure, 2 bad usage or configuration. */
#ifndef MC_CLI_CLI_H
#define MC_CLI_CLI_H

#include "app/jobs.h"
#include "auth/roles.h"

#define MAILCAST_VERSION "0.1.0"

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

int cli_version(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_worker(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_render(int argc, char **argv);
int cli_send_sample(int argc, char **argv);

/* The --role option of `user add` and `token create`, and its check: returns 0 with *role, or
 * 2 after printing what is wrong. */
#define CLI_OPTION_ROLE(value_ptr)                                                                 \
    {                                                                                              \
        "role", "ROLE", "admin, editor or viewer (default: admin)", (value_ptr), NULL              \
    }
int cli_role(const char *text, mc_role *role);

/* Adds every folder's periodic jobs for the worker loop, in the order it runs them; cfg gives
 * the intervals that are configurable. */
void cli_worker_jobs(app_jobs *jobs, const config_t *cfg);

#endif
