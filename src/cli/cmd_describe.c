/*
 * cmd_describe.c - `sluice describe app NAME [-n NS]`: a kubectl-describe-like text view of one
 * SparkApplication: metadata, a summary of the spec (type, image, main class and file,
 * arguments, driver and executor resources, restart policy), the status (state, error, ids,
 * attempts, times), the driver pod as it is now (phase, node, IP, container state), the
 * executors (counts and each executor's state, from status.executorState or, when the operator
 * has not written it, from the pods labelled with the application id), and the Events of the app
 * and its pods, oldest first.
 *
 * Layout: "Key:" labels padded to one column per section, nested sections indented by two
 * spaces, absent values printed as <none>, as kubectl does.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"

static void describe_usage(FILE *f)
{
    fprintf(f, "Usage: sluice describe app NAME [-n NAMESPACE]\n\n"
               "Shows a SparkApplication: spec summary, status, driver pod, executors and recent\n"
               "events of the application and its pods.\n\n"
               "Options:\n"
               "  -n, --namespace NS    namespace (default: the kubeconfig context's)\n"
               "  --kubeconfig PATH     kubeconfig file\n"
               "  --context NAME        kubeconfig context\n\n"
               "Example:\n"
               "  sluice describe app spark-pi\n");
}

static void kv(int indent, const char *key, const char *val)
{
    char k[64];
    snprintf(k, sizeof k, "%s:", key);
    printf("%*s%-*s %s\n", indent, "", 22 - indent, k, val && *val ? val : "<none>");
}

static void kv_json(int indent, const char *key, const json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        kv(indent, key, json_string_value(v));
    else if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        kv(indent, key, buf);
    } else if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%g", json_real_value(v));
        kv(indent, key, buf);
    } else if (json_is_boolean(v))
        kv(indent, key, json_is_true(v) ? "true" : "false");
    else if (v && !json_is_null(v)) {
        char *s = slu_json_dumps(v);
        kv(indent, key, s);
        free(s);
    } else
        kv(indent, key, NULL);
}

static void kv_map(int indent, const char *key, const json_t *m)
{
    if (!json_is_object(m) || json_object_size(m) == 0) {
        kv(indent, key, NULL);
        return;
    }
    bool first = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        char *line = slu_asprintf("%s=%s", k, json_is_string(v) ? json_string_value(v) : "");
        if (first)
            kv(indent, key, line);
        else
            printf("%*s%s\n", 23, "", line);
        first = false;
        free(line);
    }
}

static void pod_section(const char *title, const json_t *spec)
{
    printf("  %s:\n", title);
    kv_json(4, "Cores", json_object_get(spec, "cores"));
    kv_json(4, "Core Request", json_object_get(spec, "coreRequest"));
    kv_json(4, "Core Limit", json_object_get(spec, "coreLimit"));
    kv_json(4, "Memory", json_object_get(spec, "memory"));
    kv_json(4, "Memory Overhead", json_object_get(spec, "memoryOverhead"));
    if (json_object_get(spec, "instances"))
        kv_json(4, "Instances", json_object_get(spec, "instances"));
    kv_json(4, "Service Account", json_object_get(spec, "serviceAccount"));
}

static void driver_pod_section(struct kube_client *cl, const char *ns, const char *pod_name,
                               const json_t *app, int64_t now)
{
    printf("Driver:\n");
    kv(2, "Pod", pod_name);
    kv(2, "Web UI", slu_json_str(app, "status.driverInfo.webUIAddress"));
    kv(2, "UI Service", slu_json_str(app, "status.driverInfo.webUIServiceName"));
    json_t *pod = NULL;
    if (!pod_name || kube_get(cl, &KUBE_RES_PODS, ns, pod_name, &pod, NULL) != 0) {
        kv(2, "Pod Phase", "<pod not found>");
        return;
    }
    kv(2, "Pod Phase", slu_json_str(pod, "status.phase"));
    kv(2, "Node", slu_json_str(pod, "spec.nodeName"));
    kv(2, "Pod IP", slu_json_str(pod, "status.podIP"));
    char age[32];
    cli_age(slu_json_str(pod, "status.startTime"), now, age, sizeof age);
    kv(2, "Started", slu_json_str(pod, "status.startTime") ? age : NULL);
    size_t i;
    json_t *c;
    json_array_foreach(slu_json_path(pod, "status.containerStatuses"), i, c)
    {
        json_t *st = json_object_get(c, "state");
        char *line;
        if (json_object_get(st, "terminated"))
            line = slu_asprintf("Terminated (exit code %lld, %s)",
                                (long long)slu_json_int(st, "terminated.exitCode", 0),
                                slu_json_str(st, "terminated.reason")
                                    ? slu_json_str(st, "terminated.reason")
                                    : "no reason");
        else if (json_object_get(st, "running"))
            line = slu_strdup("Running");
        else
            line = slu_asprintf("Waiting (%s)", slu_json_str(st, "waiting.reason")
                                                    ? slu_json_str(st, "waiting.reason")
                                                    : "no reason");
        char key[128];
        snprintf(key, sizeof key, "Container %s", slu_json_str(c, "name"));
        printf("  %s:\n", key);
        kv(4, "State", line);
        kv_json(4, "Restarts", json_object_get(c, "restartCount"));
        free(line);
    }
    json_decref(pod);
}

static void executors_section(struct kube_client *cl, const char *ns, const json_t *app)
{
    int running, total;
    cli_app_executors(app, &running, &total);
    json_t *st = slu_json_path(app, "status.executorState");
    struct cli_table t;
    const char *hdr[] = {"NAME", "STATE"};
    cli_table_init(&t, 2, hdr);
    if (json_is_object(st) && json_object_size(st)) {
        const char *k;
        json_t *v;
        json_object_foreach(st, k, v)
        {
            const char *row[] = {k, json_string_value(v)};
            cli_table_add(&t, row);
        }
    } else {
        const char *app_id = slu_json_str(app, "status.sparkApplicationId");
        json_t *list = NULL;
        if (app_id && !kube_label_value_invalid(app_id)) {
            char *sel = slu_asprintf("spark-app-selector=%s,spark-role=executor", app_id);
            struct kube_list_opts lo = {.label_selector = sel};
            if (kube_list_all(cl, &KUBE_RES_PODS, ns, &lo, &list, NULL) == 0) {
                size_t i;
                json_t *p;
                json_array_foreach(json_object_get(list, "items"), i, p)
                {
                    const char *phase = slu_json_str(p, "status.phase");
                    const char *row[] = {kube_object_name(p), phase};
                    cli_table_add(&t, row);
                    total++;
                    if (slu_streq(phase, "Running"))
                        running++;
                }
            }
            free(sel);
        }
        json_decref(list);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%d running / %d total", running, total);
    printf("Executors:\n");
    kv(2, "Count", buf);
    if (t.cells.len > 2) {
        cli_table_print_indent(&t, stdout, 2);
    }
    cli_table_release(&t);
}

static void events_section(struct kube_client *cl, const char *ns, const json_t *app, int64_t now)
{
    struct slu_vec names = {0};
    cli_app_related_names(cl, ns, app, NULL, &names);
    json_t *evs = NULL;
    printf("Events:");
    if (cli_events_for(cl, ns, &names, &evs, NULL) != 0 || json_array_size(evs) == 0) {
        printf("  <none>\n");
    } else {
        printf("\n");
        const char *hdr[] = {"Type", "Reason", "Age", "From", "Object", "Message"};
        struct cli_table t;
        cli_table_init(&t, 6, hdr);
        /* kubectl's dashes under the header */
        const char *dash[] = {"----", "------", "---", "----", "------", "-------"};
        cli_table_add(&t, dash);
        size_t i;
        json_t *e;
        json_array_foreach(evs, i, e)
        {
            char age[32];
            cli_event_age(e, now, age, sizeof age);
            char *obj = slu_asprintf("%s/%s", slu_json_str(e, "involvedObject.kind"),
                                     slu_json_str(e, "involvedObject.name"));
            const char *from = slu_json_str(e, "source.component");
            if (!from)
                from = slu_json_str(e, "reportingComponent");
            const char *row[] = {
                slu_json_str(e, "type"),   slu_json_str(e, "reason"), age, from, obj,
                slu_json_str(e, "message")};
            cli_table_add(&t, row);
            free(obj);
        }
        cli_table_print_indent(&t, stdout, 2);
        cli_table_release(&t);
    }
    json_decref(evs);
    slu_vec_release(&names, free);
}

int cmd_describe(int argc, char **argv)
{
    struct cli_common com = {0};
    struct slu_vec pos = {0};
    struct kube_client *cl = NULL;
    json_t *app = NULL;
    struct slu_err err = {0};
    char *driver = NULL;
    int code = cli_parse(argc, argv, "describe", CLI_F_NAMESPACE, NULL, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        describe_usage(stdout);
        goto out;
    }
    if (pos.len != 2) {
        code = cli_error("expected: sluice describe app NAME\nSee 'sluice describe --help' "
                         "for usage.");
        goto out;
    }
    const char *what = pos.items[0], *name = pos.items[1];
    if (strcmp(what, "app") && strcmp(what, "apps") && strcmp(what, "sparkapplication") &&
        strcmp(what, "sparkapplications") && strcmp(what, "sparkapp")) {
        code = cli_error("sluice describe knows \"app\" (SparkApplication), not \"%s\"", what);
        goto out;
    }
    const char *ns = NULL;
    if (cli_connect(&com, NULL, &cl, &ns)) {
        code = 1;
        goto out;
    }
    if (kube_get(cl, &CLI_RES_SPARKAPPS, ns, name, &app, &err) != 0) {
        code = cli_api_error(&err, NULL);
        cli_not_found_hint(&err, &CLI_RES_SPARKAPPS, ns);
        goto out;
    }
    int64_t now = slu_now_unix();
    char age[32], buf[256];
    kv(0, "Name", kube_object_name(app));
    kv(0, "Namespace", kube_object_namespace(app));
    kv_map(0, "Labels", slu_json_path(app, "metadata.labels"));
    kv_map(0, "Annotations", slu_json_path(app, "metadata.annotations"));
    cli_age(slu_json_str(app, "metadata.creationTimestamp"), now, age, sizeof age);
    snprintf(buf, sizeof buf, "%s (%s ago)", slu_json_str(app, "metadata.creationTimestamp"), age);
    kv(0, "Created", buf);
    printf("Spec:\n");
    json_t *spec = json_object_get(app, "spec");
    kv_json(2, "Type", json_object_get(spec, "type"));
    kv_json(2, "Mode", json_object_get(spec, "mode"));
    kv_json(2, "Spark Version", json_object_get(spec, "sparkVersion"));
    kv_json(2, "Image", json_object_get(spec, "image"));
    kv_json(2, "Main Class", json_object_get(spec, "mainClass"));
    kv_json(2, "Main File", json_object_get(spec, "mainApplicationFile"));
    kv_json(2, "Arguments", json_object_get(spec, "arguments"));
    kv_json(2, "Restart Policy", slu_json_path(spec, "restartPolicy.type"));
    kv_json(2, "Suspend", json_object_get(spec, "suspend"));
    pod_section("Driver", json_object_get(spec, "driver"));
    pod_section("Executor", json_object_get(spec, "executor"));
    printf("Status:\n");
    kv(2, "State", slu_json_str(app, "status.applicationState.state"));
    kv(2, "Error Message", slu_json_str(app, "status.applicationState.errorMessage"));
    kv(2, "Application ID", slu_json_str(app, "status.sparkApplicationId"));
    kv(2, "Submission ID", slu_json_str(app, "status.submissionID"));
    kv_json(2, "Submission Attempts", slu_json_path(app, "status.submissionAttempts"));
    kv_json(2, "Execution Attempts", slu_json_path(app, "status.executionAttempts"));
    kv(2, "Last Submission", slu_json_str(app, "status.lastSubmissionAttemptTime"));
    kv(2, "Termination Time", slu_json_str(app, "status.terminationTime"));
    driver = cli_app_driver_pod(app);
    driver_pod_section(cl, ns, driver, app, now);
    executors_section(cl, ns, app);
    events_section(cl, ns, app, now);
out:
    free(driver);
    slu_err_release(&err);
    json_decref(app);
    kube_client_free(cl);
    slu_vec_release(&pos, NULL);
    return code;
}
