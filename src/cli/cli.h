/* cli.h - private to src/cli: the subcommand table and shared helpers. */
#ifndef SLU_CLI_H
#define SLU_CLI_H

#define SLUICE_VERSION "0.1.0"

struct cli_command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_sim(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
