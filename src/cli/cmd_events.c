/*
 * cmd_events.c - `sluice events NAME [-n NS] [-o json|yaml]`: the Events of a Spark application,
 * oldest first, as a table (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, like `kubectl get
 * events`). NAME is a SparkApplication or, when there is none of that name, a driver pod; the
 * events kept are those whose involvedObject is the app, its driver pod, or any pod with the
 * app's spark-app-selector (executors) or sparkoperator.k8s.io/app-name label
 * (cli_app_related_names + cli_events_for in common.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"

static void events_usage(FILE *f)
{
    fprintf(f, "Usage: sluice events NAME [options]\n\n"
               "Lists the events of a SparkApplication NAME (or of the driver pod NAME) and of\n"
               "its pods, oldest first.\n\n"
               "Options:\n"
               "  -n, --namespace NS    namespace (default: the kubeconfig context's)\n"
               "  -o, --output FORMAT   json or yaml (a v1 List of Events)\n"
               "  --kubeconfig PATH     kubeconfig file\n"
               "  --context NAME        kubeconfig context\n\n"
               "Example:\n"
               "  sluice events spark-pi\n");
}

int cmd_events(int argc, char **argv)
{
    struct cli_common com = {0};
    struct slu_vec pos = {0}, names = {0};
    struct kube_client *cl = NULL;
    json_t *app = NULL, *evs = NULL;
    struct slu_err err = {0};
    int code = cli_parse(argc, argv, "events", CLI_F_NAMESPACE | CLI_F_OUTPUT, NULL, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        events_usage(stdout);
        goto out;
    }
    if (pos.len != 1) {
        code = cli_error("expected exactly one NAME (a SparkApplication or driver pod)\n"
                         "See 'sluice events --help' for usage.");
        goto out;
    }
    if (com.output && strcmp(com.output, "json") && strcmp(com.output, "yaml")) {
        code = cli_error("unable to match a printer suitable for the output format \"%s\", "
                         "allowed formats are: json, yaml",
                         com.output);
        goto out;
    }
    const char *name = pos.items[0], *ns = NULL;
    if (cli_connect(&com, NULL, &cl, &ns)) {
        code = 1;
        goto out;
    }
    int rc = kube_get(cl, &CLI_RES_SPARKAPPS, ns, name, &app, &err);
    if (rc != 0 && rc != SLU_ENOTFOUND) {
        code = cli_api_error(&err, NULL);
        goto out;
    }
    slu_err_release(&err);
    cli_app_related_names(cl, ns, app, app ? NULL : name, &names);
    if (cli_events_for(cl, ns, &names, &evs, &err) != 0) {
        code = cli_api_error(&err, NULL);
        goto out;
    }
    if (com.output) {
        json_t *l = cli_list_of(evs);
        code = cli_print_object(stdout, l, com.output);
        json_decref(l);
        goto out;
    }
    if (json_array_size(evs) == 0) {
        fprintf(stderr, "No events found in namespace %s for %s.\n", ns, name);
        goto out;
    }
    const char *hdr[] = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
    struct cli_table t;
    cli_table_init(&t, 5, hdr);
    int64_t now = slu_now_unix();
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        char age[32];
        cli_event_age(e, now, age, sizeof age);
        char *kind = slu_strdup(slu_json_str(e, "involvedObject.kind"));
        if (kind)
            slu_str_lower(kind);
        char *obj =
            slu_asprintf("%s/%s", kind ? kind : "object", slu_json_str(e, "involvedObject.name"));
        const char *row[] = {age, slu_json_str(e, "type"), slu_json_str(e, "reason"), obj,
                             slu_json_str(e, "message")};
        cli_table_add(&t, row);
        free(obj);
        free(kind);
    }
    cli_table_print(&t, stdout);
    cli_table_release(&t);
out:
    json_decref(evs);
    json_decref(app);
    slu_vec_release(&names, free);
    slu_err_release(&err);
    kube_client_free(cl);
    slu_vec_release(&pos, NULL);
    return code;
}
