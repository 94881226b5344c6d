/* cli.h - private to src/cli: the subcommand table and shared helpers. */
#ifndef SLU_CLI_H
#define SLU_CLI_H

#define SLUICE_VERSION "0.1.0"

struct cli_command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_operator(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* ---------------------------------------------------------------- user commands (owner: cli)
 * submit, apply, get, describe, logs, delete, events, and their shared helpers (common.c). */

#include <stdio.h>

#include "base/base.h"
#include "kube/kube.h"

int cmd_submit(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* The kubectl-style flags every command shares. Strings are borrowed from argv. */
struct cli_common {
    const char *kubeconfig; /* --kubeconfig PATH */
    const char *context;    /* --context NAME */
    const char *namespace_; /* -n/--namespace NS; NULL: the context's namespace */
    bool all_namespaces;    /* -A/--all-namespaces */
    const char *output;     /* -o/--output FORMAT */
    bool help;              /* -h/--help */
};

/* Which of the optional common flags a command accepts (--kubeconfig, --context and --help are
 * always accepted). */
enum { CLI_F_NAMESPACE = 1, CLI_F_ALL_NAMESPACES = 2, CLI_F_OUTPUT = 4 };

/* One command-specific flag. Exactly one of value (a flag with a value; the pointer is set to the
 * borrowed argv string) and set (a switch) is non-NULL. */
struct cli_flag {
    const char *name; /* long name without "--" */
    char short_name;  /* or 0 */
    const char **value;
    bool *set;
};

/* Parses argv[1..argc) of command cmd (for messages) kubectl-style: flags anywhere, "--name=v",
 * "--name v", "-x v", "-xv", "--" ends flags. Positional arguments are pushed (borrowed) onto pos.
 * flags is terminated by {NULL}. Returns 0, or 1 after printing "Error: unknown flag: --x" (or a
 * missing value) and a usage hint to stderr. c->help is set for -h/--help. */
int cli_parse(int argc, char **argv, const char *cmd, unsigned common_mask,
              const struct cli_flag *flags, struct cli_common *c, struct slu_vec *pos);

/* Prints "Error: <msg>" to stderr; returns 1 (the exit code). */
int cli_error(const char *fmt, ...) SLU_PRINTF(1, 2);
/* Prints an API error kubectl's way ("Error from server (NotFound): <msg>" when the error
 * carries a Kubernetes reason, else "Error: <msg>"), optionally prefixed, then the field
 * causes, and a hint about the CRDs for a 404 on a resource type the server lacks; returns 1. */
int cli_api_error(const struct slu_err *err, const char *what);
/* After cli_api_error for a named object of res (CLI_RES_SPARKAPPS or CLI_RES_SCHEDULEDAPPS) in
 * ns: when it was not found, says which namespace was searched and how to search them all
 * (a wrong or missing -n is the usual cause). */
void cli_not_found_hint(const struct slu_err *err, const struct kube_resource *res, const char *ns);

/* Loads the kubeconfig (kube_config_auto with --kubeconfig/--context), replaces its server with
 * server_override when not NULL, and creates a client. *ns gets -n, else the context's
 * namespace (borrowed from c or the client). Prints the error and returns 1 on failure. */
int cli_connect(const struct cli_common *c, const char *server_override, struct kube_client **cl,
                const char **ns);

/* Prints obj as "yaml" or "json" (indented 4, as kubectl) to f. Returns 0, or 1 after printing
 * an error for any other format. */
int cli_print_object(FILE *f, const json_t *obj, const char *format);
/* A v1 List of items (borrowed; copied by reference), returned owned. */
json_t *cli_list_of(const json_t *items);

/* A text table printed as kubectl does: columns left-aligned, separated by 3 spaces, header in
 * upper case. Cells are copied. */
struct cli_table {
    size_t ncols;
    struct slu_vec cells; /* char*, row-major, header first */
};
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers);
/* Appends a row of t->ncols cells (NULL cells print as "<none>"). */
void cli_table_add(struct cli_table *t, const char *const *row);
void cli_table_print(const struct cli_table *t, FILE *f);
/* As cli_table_print with every line indented by indent spaces. */
void cli_table_print_indent(const struct cli_table *t, FILE *f, int indent);
void cli_table_release(struct cli_table *t);

/* kubectl's HumanDuration ("45s", "3m20s", "5h", "12d") of seconds into buf (>= 32 bytes). */
void cli_human_duration(int64_t seconds, char *buf, size_t n);
/* Age of an RFC 3339 timestamp relative to now_unix, or "<unknown>". */
void cli_age(const char *rfc3339, int64_t now_unix, char *buf, size_t n);

/* The Kubeflow kinds (sparkoperator.k8s.io/v1beta2). */
extern const struct kube_resource CLI_RES_SPARKAPPS, CLI_RES_SCHEDULEDAPPS;
/* Driver pod of a SparkApplication: status.driverInfo.podName, else spark_app_driver_pod_name.
 * Returned owned. */
char *cli_app_driver_pod(const json_t *app);
/* Executor counts of a SparkApplication from status.executorState. */
void cli_app_executors(const json_t *app, int *running, int *total);
/* A path query "/api/v1/namespaces/NS/pods/POD/log?..." (returned owned); container, tail (<0:
 * all) and follow as given. */
char *cli_log_path(const char *ns, const char *pod, const char *container, int64_t tail,
                   bool follow);

/* Names of the objects of one application: the SparkApplication (app, may be NULL), its driver
 * pod (driver_pod, may be NULL: taken from app), and every pod labelled with its
 * spark-app-selector (from app's status or the driver pod) or sparkoperator.k8s.io/app-name.
 * Pushed as owned strings onto names (duplicates skipped). Errors listing pods are ignored. */
void cli_app_related_names(struct kube_client *cl, const char *ns, const json_t *app,
                           const char *driver_pod, struct slu_vec *names);
/* Events in ns whose involvedObject.name is one of names, oldest first (by lastTimestamp, else
 * eventTime, firstTimestamp, creationTimestamp; within a second by resourceVersion). *out (a
 * JSON array) returned owned. */
int cli_events_for(struct kube_client *cl, const char *ns, const struct slu_vec *names,
                   json_t **out, struct slu_err *err);
/* The time an event was last seen (unix seconds), 0 when unknown. */
int64_t cli_event_time(const json_t *ev);
/* How long ago (from now, unix seconds) an event was last seen, in kubectl's human duration,
 * "<unknown>" without a time. */
void cli_event_age(const json_t *ev, int64_t now, char *buf, size_t n);

/* ---------------------------------------------------------------- long-running commands
 * (sim, operator; common.c) */

#include <signal.h>

/* --log-level VALUE: sets the log level; on an unknown level prints "sluice CMD: --log-level:
 * unknown level" and returns 2 (the exit code), else 0. */
int cli_set_log_level(const char *cmd, const char *value);
/* Blocks SIGINT and SIGTERM in this and every later thread (fills *set with them, for
 * sigwait/sigtimedwait) and ignores SIGPIPE. */
void cli_block_stop_signals(sigset_t *set);

#endif
