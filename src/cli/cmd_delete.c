/*
 * cmd_delete.c - `sluice delete app|scheduledapp NAME... [-n NS] [--ignore-not-found]`: deletes
 * SparkApplications or ScheduledSparkApplications, printing kubectl's line
 * (sparkapplication.sparkoperator.k8s.io "NAME" deleted). The driver pod, its Service and
 * ConfigMaps go with the application through their owner references (garbage collection), so
 * deletion uses the default (background) propagation.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void delete_usage(FILE *f)
{
    fprintf(f, "Usage: sluice delete app|scheduledapp NAME... [options]\n\n"
               "Deletes SparkApplications (app) or ScheduledSparkApplications (scheduledapp).\n"
               "Their driver pods, services and config maps are garbage-collected.\n\n"
               "Options:\n"
               "  -n, --namespace NS     namespace (default: the kubeconfig context's)\n"
               "  --ignore-not-found     a missing object is not an error\n"
               "  --kubeconfig PATH      kubeconfig file\n"
               "  --context NAME         kubeconfig context\n\n"
               "Example:\n"
               "  sluice delete app spark-pi\n");
}

int cmd_delete(int argc, char **argv)
{
    struct cli_common com = {0};
    bool ignore = false;
    struct cli_flag flags[] = {{"ignore-not-found", 0, NULL, &ignore}, {NULL, 0, NULL, NULL}};
    struct slu_vec pos = {0};
    struct kube_client *cl = NULL;
    int code = cli_parse(argc, argv, "delete", CLI_F_NAMESPACE, flags, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        delete_usage(stdout);
        goto out;
    }
    if (pos.len < 2) {
        code = cli_error("expected: sluice delete app NAME...\nSee 'sluice delete --help' for "
                         "usage.");
        goto out;
    }
    const char *what = pos.items[0];
    const struct kube_resource *r;
    const char *tn;
    if (!strcmp(what, "app") || !strcmp(what, "apps") || !strcmp(what, "sparkapplication") ||
        !strcmp(what, "sparkapplications") || !strcmp(what, "sparkapp")) {
        r = &CLI_RES_SPARKAPPS;
        tn = "sparkapplication.sparkoperator.k8s.io";
    } else if (!strcmp(what, "scheduledapp") || !strcmp(what, "scheduledapps") ||
               !strcmp(what, "scheduledsparkapplication") ||
               !strcmp(what, "scheduledsparkapplications")) {
        r = &CLI_RES_SCHEDULEDAPPS;
        tn = "scheduledsparkapplication.sparkoperator.k8s.io";
    } else {
        code = cli_error("sluice delete knows \"app\" and \"scheduledapp\", not \"%s\"", what);
        goto out;
    }
    const char *ns = NULL;
    if (cli_connect(&com, NULL, &cl, &ns)) {
        code = 1;
        goto out;
    }
    struct kube_delete_opts opts = {.propagation_policy = "Background", .grace_period_seconds = -1};
    for (size_t i = 1; i < pos.len; i++) {
        struct slu_err err = {0};
        const char *name = pos.items[i];
        int rc = kube_delete(cl, r, ns, name, &opts, NULL, &err);
        if (rc == 0)
            printf("%s \"%s\" deleted\n", tn, name);
        else if (!(rc == SLU_ENOTFOUND && ignore)) {
            code = cli_api_error(&err, NULL);
            cli_not_found_hint(&err, r, ns);
        }
        slu_err_release(&err);
    }
out:
    kube_client_free(cl);
    slu_vec_release(&pos, NULL);
    return code;
}
