/* mailcast: one binary, one subcommand per job. main() parses the subcommand name and
 * hands the rest of the arguments to the command; exit status 2 means bad usage. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command COMMANDS[] = {
    {"serve", "run the HTTP server (and the worker loop unless --no-worker)", cli_serve},
    {"worker", "run the worker loop only", cli_worker},
    {"migrate", "apply pending database migrations and exit", cli_migrate},
    {"user", "manage admin users: user add EMAIL (password on stdin)", cli_user},
    {"token", "manage API tokens: token create NAME", cli_token},
    {"version", "print the version", cli_version},
    {"render", "render a template with JSON data", cli_render},
    {"send-test", "send a test message through the configured relay", cli_send_sample},
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mailcast COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nRun 'mailcast COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mailcast: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
