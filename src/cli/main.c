/*
 * main.c - the `sluice` binary: one table of subcommands, each in its own file (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
    {"operator", "run the SparkApplication controller against a cluster", cmd_operator},
    {"sim", "serve a simulated Kubernetes cluster (API server, nodes, scheduler, kubelet)",
     cmd_sim},
    {"submit", "submit a Spark application (spark-submit's command line)", cmd_submit},
    {"apply", "create or update objects from a YAML/JSON file (any kind)", cmd_apply},
    {"get", "list SparkApplications or ScheduledSparkApplications", cmd_get},
    {"describe", "show one SparkApplication in detail", cmd_describe},
    {"logs", "print the driver (or an executor) log of an application", cmd_logs},
    {"delete", "delete SparkApplications or ScheduledSparkApplications", cmd_delete},
    {"events", "list the events of an application and its pods", cmd_events},
    {"version", "print the version", cmd_version},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: sluice <command> [options]\n\n"
               "Sluice runs Apache Spark applications on Kubernetes.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nRun 'sluice <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
