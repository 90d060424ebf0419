/* A table-driven flag parser: usage errors go to stderr and mean exit status 2. */
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

static void print_help(const cli_spec *spec, FILE *out)
{
    fprintf(out, "usage: %s\n\n%s\n", spec->usage, spec->summary);
    if (spec->options[0].name) fprintf(out, "\noptions:\n");
    for (const cli_option *o = spec->options; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->value_name ? " " : "",
                 o->value_name ? o->value_name : "");
        fprintf(out, "  %-24s %s\n", left, o->help);
    }
    fprintf(out, "  %-24s %s\n", "--help", "show this help");
}

static int usage_error(const cli_spec *spec, const char *what, const char *arg)
{
    fprintf(stderr, "mailcast: %s '%s'\n", what, arg);
    fprintf(stderr, "usage: %s (see --help)\n", spec->usage);
    return 2;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, const char **positional,
              int *positional_count)
{
    *positional_count = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && !strcmp(arg, "--")) {
            only_positional = true;
            continue;
        }
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (*positional_count >= spec->max_positional)
                return usage_error(spec, "unexpected argument", arg);
            positional[(*positional_count)++] = arg;
            continue;
        }
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(spec, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2)) return usage_error(spec, "unknown option", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *match = NULL;
        for (const cli_option *o = spec->options; o->name && !match; o++)
            if (strlen(o->name) == name_len && !strncmp(o->name, name, name_len)) match = o;
        if (!match) return usage_error(spec, "unknown option", arg);
        if (!match->value_name) {
            if (eq) return usage_error(spec, "option takes no value", arg);
            *match->present = true;
            continue;
        }
        if (eq) {
            *match->value = eq + 1;
        } else {
            if (i + 1 >= argc) return usage_error(spec, "option needs a value", arg);
            *match->value = argv[++i];
        }
    }
    if (*positional_count < spec->min_positional) {
        fprintf(stderr, "mailcast: missing argument\nusage: %s (see --help)\n", spec->usage);
        return 2;
    }
    return 0;
}
