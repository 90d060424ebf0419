/* Flag parsing shared by the subcommands: --name VALUE, --name=VALUE, boolean --name,
 * positional arguments, and --help generated from the same table. */
#ifndef MC_CLI_OPTIONS_H
#define MC_CLI_OPTIONS_H

#include <stdbool.h>

typedef struct {
    const char *name;       /* without the leading dashes */
    const char *value_name; /* NULL for a boolean flag */
    const char *help;
    const char **value; /* set for flags with a value (borrowed from argv) */
    bool *present;      /* set for boolean flags */
} cli_option;

typedef struct {
    const char *usage; /* e.g. "mailcast render TEMPLATE_FILE [OPTIONS]" */
    const char *summary;
    const cli_option *options; /* terminated by an entry with name NULL */
    int min_positional, max_positional;
} cli_spec;

/* The --config option every subcommand takes, and the end of an option table. */
#define CLI_OPTION_CONFIG(value_ptr)                                                               \
    {                                                                                              \
        "config", "FILE",                                                                          \
            "configuration file (default: $MAILCAST_CONFIG, else built-in defaults)", (value_ptr), \
            NULL                                                                                   \
    }
#define CLI_OPTIONS_END                                                                            \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL                                                               \
    }

/* Parses argv[1..argc) (argv[0] is the command name). Positional arguments are left in
 * positional[] (borrowed from argv, at most max_positional of them).
 * returns 0 to go on, 1 when --help was printed (exit 0), 2 after printing a usage error. */
int cli_parse(const cli_spec *spec, int argc, char **argv, const char **positional,
              int *positional_count);

#endif
