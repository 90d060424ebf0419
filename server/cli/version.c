/* mailcast version: prints the version of the binary. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/options.h"

int cli_version(int argc, char **argv)
{
    static const cli_option options[] = {{NULL, NULL, NULL, NULL, NULL}};
    static const cli_spec spec = {"mailcast version", "Prints the version of mailcast.", options, 0,
                                  0};
    int count;
    int rc = cli_parse(&spec, argc, argv, NULL, &count);
    if (rc) return rc == 1 ? 0 : rc;
    printf("mailcast %s\n", MAILCAST_VERSION);
    return 0;
}
