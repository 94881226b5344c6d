/* cmd_version.c - `sluice version`: prints the version of the binary. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: sluice version\n\nPrints the version of sluice.\n");
        return 0;
    }
    if (argc > 1)
        return cli_error("sluice version takes no arguments, got \"%s\"\nSee 'sluice version "
                         "--help' for usage.",
                         argv[1]);
    printf("sluice %s\n", SLUICE_VERSION);
    return 0;
}
