/*
 * cmd_logs.c - `sluice logs NAME [-f] [--executor ID] [--tail N] [-c CONTAINER] [-n NS]`: prints
 * the log of a Spark application's driver (or of one executor).
 *
 * NAME is a SparkApplication (its driver pod is status.driverInfo.podName, else the name the
 * operator gives it, <name>-driver) or, when no such SparkApplication exists, a driver pod (what
 * `sluice submit --native` prints). --executor ID picks the executor pod by the labels
 * spark-app-selector=<application id> and spark-exec-id=ID, the application id coming from the
 * app's status or the driver pod's spark-app-selector label. The container is Spark's
 * (spark-kubernetes-driver / spark-kubernetes-executor) when the pod has it, so sidecars do not
 * make the request ambiguous. The log is streamed with pods/NAME/log (follow=true for -f) to
 * stdout as it arrives.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"

static void logs_usage(FILE *f)
{
    fprintf(f, "Usage: sluice logs NAME [options]\n\n"
               "Prints the driver log of a SparkApplication NAME (or of the driver pod NAME), or\n"
               "of one of its executors.\n\n"
               "Options:\n"
               "  -f, --follow          stream the log until the container ends\n"
               "  --executor ID         the executor with this id (spark-exec-id label)\n"
               "  --tail N              only the last N lines\n"
               "  -c, --container NAME  a container other than Spark's\n"
               "  -n, --namespace NS    namespace (default: the kubeconfig context's)\n"
               "  --kubeconfig PATH     kubeconfig file\n"
               "  --context NAME        kubeconfig context\n\n"
               "Examples:\n"
               "  sluice logs spark-pi\n"
               "  sluice logs spark-pi -f\n"
               "  sluice logs spark-pi --executor 1 --tail 20\n");
}

static bool write_out(void *ud, const char *data, size_t n)
{
    (void)ud;
    bool ok = fwrite(data, 1, n, stdout) == n;
    fflush(stdout);
    return ok;
}

static bool has_container(const json_t *pod, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(slu_json_path(pod, "spec.containers"), i,
                       c) if (slu_streq(slu_json_str(c, "name"), name)) return true;
    return false;
}

int cmd_logs(int argc, char **argv)
{
    struct cli_common com = {0};
    bool follow = false;
    const char *executor = NULL, *tail_s = NULL, *container = NULL;
    struct cli_flag flags[] = {{"follow", 'f', NULL, &follow},
                               {"executor", 'e', &executor, NULL},
                               {"tail", 0, &tail_s, NULL},
                               {"container", 'c', &container, NULL},
                               {NULL, 0, NULL, NULL}};
    struct slu_vec pos = {0};
    struct kube_client *cl = NULL;
    json_t *app = NULL, *pod = NULL, *list = NULL;
    struct slu_err err = {0};
    char *driver = NULL, *path = NULL;
    int code = cli_parse(argc, argv, "logs", CLI_F_NAMESPACE, flags, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        logs_usage(stdout);
        goto out;
    }
    if (pos.len != 1) {
        code = cli_error("expected exactly one NAME (a SparkApplication or driver pod)\n"
                         "See 'sluice logs --help' for usage.");
        goto out;
    }
    int64_t tail = -1;
    if (tail_s && (slu_parse_i64(tail_s, &tail) != 0 || tail < -1)) {
        code = cli_error("--tail: expected a number of lines, got \"%s\"", tail_s);
        goto out;
    }
    if (executor && (!*executor || kube_label_value_invalid(executor))) {
        code = cli_error("--executor: \"%s\" is not an executor id", executor);
        goto out;
    }
    const char *name = pos.items[0];
    const char *ns = NULL;
    if (cli_connect(&com, NULL, &cl, &ns)) {
        code = 1;
        goto out;
    }
    int rc = kube_get(cl, &CLI_RES_SPARKAPPS, ns, name, &app, &err);
    if (rc == 0) {
        driver = cli_app_driver_pod(app);
    } else if (rc == SLU_ENOTFOUND) {
        driver = slu_strdup(name);
    } else {
        code = cli_api_error(&err, NULL);
        goto out;
    }
    slu_err_release(&err);
    rc = kube_get(cl, &KUBE_RES_PODS, ns, driver, &pod, &err);
    if (rc == SLU_ENOTFOUND) {
        if (app)
            code = cli_error("the driver pod %s of SparkApplication %s does not exist (yet); "
                             "state: %s",
                             driver, name,
                             slu_json_str(app, "status.applicationState.state")
                                 ? slu_json_str(app, "status.applicationState.state")
                                 : "new");
        else
            code = cli_error("no SparkApplication or driver pod named \"%s\" in namespace %s", name,
                             ns);
        goto out;
    } else if (rc != 0) {
        code = cli_api_error(&err, NULL);
        goto out;
    }
    const char *target = driver;
    const char *spark_container = "spark-kubernetes-driver";
    if (executor) {
        const char *app_id = app ? slu_json_str(app, "status.sparkApplicationId") : NULL;
        if (!app_id || !*app_id)
            app_id = slu_json_str(pod, "metadata.labels.spark-app-selector");
        if (!app_id || kube_label_value_invalid(app_id)) {
            code = cli_error("cannot find the application id of %s (no spark-app-selector "
                             "label on pod %s)",
                             name, driver);
            goto out;
        }
        char *sel = slu_asprintf("spark-app-selector=%s,spark-exec-id=%s", app_id, executor);
        struct kube_list_opts lo = {.label_selector = sel};
        rc = kube_list_all(cl, &KUBE_RES_PODS, ns, &lo, &list, &err);
        free(sel);
        if (rc != 0) {
            code = cli_api_error(&err, NULL);
            goto out;
        }
        json_t *items = json_object_get(list, "items");
        if (json_array_size(items) == 0) {
            code =
                cli_error("no executor %s found for application %s (%s)", executor, name, app_id);
            goto out;
        }
        json_decref(pod);
        pod = json_incref(json_array_get(items, json_array_size(items) - 1));
        target = kube_object_name(pod);
        spark_container = "spark-kubernetes-executor";
    }
    if (!container && has_container(pod, spark_container))
        container = spark_container;
    path = cli_log_path(ns, target, container, tail, follow);
    rc = kube_request_stream(cl, path, write_out, NULL, NULL, &err);
    if (rc != 0)
        code = cli_api_error(&err, NULL);
out:
    free(path);
    free(driver);
    json_decref(list);
    json_decref(pod);
    json_decref(app);
    slu_err_release(&err);
    kube_client_free(cl);
    slu_vec_release(&pos, NULL);
    return code;
}
