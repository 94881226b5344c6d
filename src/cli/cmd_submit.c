/*
 * cmd_submit.c - `sluice submit`: spark-submit's command line, for Kubernetes cluster mode.
 *
 * The command line is parsed by spark_submit_parse (spark-submit's options plus Sluice's own:
 * --native, --dry-run, -o, --unique-id, --app-id, --spark-version, --wait, --kubeconfig,
 * --context, -n) and resolved into the effective conf with Spark's precedence
 * (spark_submit_resolve). Then one of two paths:
 *
 *  - default: a SparkApplication (sparkoperator.k8s.io/v1beta2, spark_app_from_conf) is created
 *    for the operator. Its name is Spark's resource name prefix, <app name>-<unique id>, so
 *    repeated submissions of one job do not collide (as spark-submit's driver pods do not), and
 *    --unique-id makes it reproducible.
 *  - --native: the driver objects are built in-process (spark_build) and created the way
 *    spark-submit's Client.run does: POST the driver Pod, then every other object with an
 *    ownerReference to the created pod (spark_build_set_owner); if one of them fails the driver
 *    pod is deleted again.
 *
 * --dry-run prints what would be created (a v1 List for --native, the SparkApplication
 * otherwise) without reading any kubeconfig. --wait follows the application until it ends,
 * printing a line for each change of state or executor counts, and exits 0 only on success.
 * --kill and --status act on driver pods named by a submission id "[namespace:]pod[*]".
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "spark/spark.h"

/* ---------------------------------------------------------------- usage */

static void submit_usage(FILE *f)
{
    fprintf(f, "Usage: sluice submit [options] <app jar | python file | R file> [app arguments]\n"
               "Usage: sluice submit --kill [namespace:]driver-pod[*] [options]\n"
               "Usage: sluice submit --status [namespace:]driver-pod[*] [options]\n\n"
               "Submits a Spark application to Kubernetes (cluster mode), taking spark-submit's\n"
               "command line. By default it creates a SparkApplication for `sluice operator`;\n"
               "with --native it creates the driver Pod, Service and ConfigMaps itself, exactly\n"
               "as spark-submit does.\n\nSpark options:\n");
    const struct spark_submit_option *o = spark_submit_options();
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            fprintf(f, "\nSluice options:\n");
        for (size_t i = 0; o[i].name; i++) {
            if (o[i].sluice != (pass == 1))
                continue;
            char head[64];
            snprintf(head, sizeof head, "%s%s%s%s", o[i].alias ? o[i].alias : "",
                     o[i].alias ? ", " : "", o[i].name, o[i].takes_value ? " VALUE" : "");
            fprintf(f, "  %-30s %s%s%s%s\n", head, o[i].help ? o[i].help : "",
                    o[i].conf_key ? " (" : "", o[i].conf_key ? o[i].conf_key : "",
                    o[i].conf_key ? ")" : "");
        }
    }
    fprintf(f, "\nOptions go before the application file: what follows it is passed to the\n"
               "application. --wait follows the SparkApplication (with --native, the driver\n"
               "pod) to its end and exits 1 if it failed. --app-id applies to --native only.\n\n"
               "The API server is --master k8s://https://HOST:PORT when given (with the\n"
               "kubeconfig's credentials), else the kubeconfig's server. --dry-run needs no\n"
               "cluster and no kubeconfig.\n\n"
               "Examples:\n"
               "  sluice submit --class org.apache.spark.examples.SparkPi --name spark-pi \\\n"
               "    --conf spark.kubernetes.container.image=apache/spark:4.0.0 \\\n"
               "    local:///opt/spark/examples/jars/spark-examples.jar 1000\n"
               "  sluice submit --native --wait ... (same arguments)\n"
               "  sluice submit --native --dry-run -o yaml --unique-id 0a1b2c ...\n"
               "  sluice submit --kill 'default:spark-pi-*'\n");
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "Error: %s\n", msg);
    fprintf(stderr, "Usage: sluice submit [options] <app jar | python file | R file> "
                    "[app arguments]\nRun 'sluice submit --help' for the list of options.\n");
    return 1;
}

/* ---------------------------------------------------------------- inputs */

/* "3.5" -> "3.5.0", "4.0" -> "4.0.0", "4.0.1" kept; anything not 3.x / 4.x is refused. */
static char *norm_version(const char *v, struct slu_err *err)
{
    if (!v)
        return slu_strdup("4.0.0");
    int dots = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '.')
            dots++;
        else if (*p < '0' || *p > '9')
            dots = 99;
    }
    if (dots < 1 || dots > 2 || !(slu_str_has_prefix(v, "3.") || slu_str_has_prefix(v, "4."))) {
        slu_err_set(err, SLU_EINVAL, "--spark-version must be 3.5 or 4.0 (or X.Y.Z), got \"%s\"",
                    v);
        return NULL;
    }
    return dots == 1 ? slu_asprintf("%s.0", v) : slu_strdup(v);
}

static int check_ids(const struct spark_submit *s, struct slu_err *err)
{
    if (s->unique_id) {
        size_t n = strlen(s->unique_id);
        bool ok = n > 0 && n <= 32;
        for (const char *p = s->unique_id; ok && *p; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z');
        if (!ok)
            return slu_err_set(err, SLU_EINVAL,
                               "--unique-id must be 1 to 32 lowercase letters or digits (hex), "
                               "got \"%s\"",
                               s->unique_id);
    }
    if (s->app_id) {
        const char *why = kube_label_value_invalid(s->app_id);
        if (!*s->app_id || why)
            return slu_err_set(err, SLU_EINVAL,
                               "--app-id must be a valid label value (it becomes the "
                               "spark-app-selector label): %s",
                               why ? why : "empty");
    }
    return 0;
}

/* Files of the submitter's Spark conf dir ($SPARK_CONF_DIR, else $SPARK_HOME/conf) as a JSON
 * object name -> text (spark_build applies the eligibility rules). Regular files up to 1 MiB;
 * at most 256 of them. NULL when there is no such directory. */
static json_t *load_conf_files(void)
{
    const char *dir = getenv("SPARK_CONF_DIR");
    char *owned = NULL;
    if (!dir || !*dir) {
        const char *home = getenv("SPARK_HOME");
        if (!home || !*home)
            return NULL;
        dir = owned = slu_asprintf("%s/conf", home);
    }
    DIR *d = opendir(dir);
    if (!d) {
        free(owned);
        return NULL;
    }
    json_t *files = json_object();
    struct dirent *de;
    int count = 0;
    while ((de = readdir(d)) && count < 256) {
        if (de->d_name[0] == '.')
            continue;
        char *path = slu_asprintf("%s/%s", dir, de->d_name);
        struct stat st;
        struct slu_buf b = {0};
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (1 << 20) &&
            slu_read_file(path, 1 << 20, &b, NULL) == 0) {
            json_object_set_new(files, de->d_name, json_stringn(b.data ? b.data : "", b.len));
            count++;
        }
        slu_buf_release(&b);
        free(path);
    }
    closedir(d);
    free(owned);
    return files;
}

/* The API server from spark.master ("k8s://https://h:p" -> "https://h:p"), or NULL. */
static int master_server(const char *master, char **server, struct slu_err *err)
{
    *server = NULL;
    if (!master || !*master)
        return 0;
    struct spark_k8s_master m = {0};
    int rc = spark_k8s_master_parse(master, &m, err);
    if (rc == 0)
        *server = slu_strdup(m.api);
    spark_k8s_master_release(&m);
    return rc;
}

static const struct kube_resource *resource_of_kind(const char *kind)
{
    static const struct {
        const char *kind;
        const struct kube_resource *r;
    } map[] = {
        {"Pod", &KUBE_RES_PODS},
        {"ConfigMap", &KUBE_RES_CONFIGMAPS},
        {"Secret", &KUBE_RES_SECRETS},
        {"Service", &KUBE_RES_SERVICES},
        {"PersistentVolumeClaim", &KUBE_RES_PVCS},
    };
    for (size_t i = 0; kind && i < SLU_ARRAY_LEN(map); i++)
        if (strcmp(kind, map[i].kind) == 0)
            return map[i].r;
    return NULL;
}

static void lower_kind(const char *kind, char *buf, size_t n)
{
    slu_strlcpy(buf, kind ? kind : "object", n);
    slu_str_lower(buf);
}

/* Prints created/would-be-created objects: -o name|json|yaml, or "kind/name created". */
static int print_result(const json_t *objs, const char *output, bool as_list, bool dry)
{
    if (output && (strcmp(output, "json") == 0 || strcmp(output, "yaml") == 0)) {
        if (as_list) {
            json_t *l = cli_list_of(objs);
            int rc = cli_print_object(stdout, l, output);
            json_decref(l);
            return rc;
        }
        return cli_print_object(stdout, json_array_get(objs, 0), output);
    }
    if (output && *output && strcmp(output, "name") != 0)
        return cli_error("unable to match a printer suitable for the output format \"%s\", "
                         "allowed formats are: json, name, yaml",
                         output);
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        char kind[64];
        lower_kind(slu_json_str(o, "kind"), kind, sizeof kind);
        const char *api = slu_json_str(o, "apiVersion");
        const char *slash = api ? strchr(api, '/') : NULL;
        char group[128] = "";
        if (slash && strcmp(kind, "sparkapplication") == 0)
            snprintf(group, sizeof group, ".%.*s", (int)(slash - api), api);
        if (output && strcmp(output, "name") == 0)
            printf("%s%s/%s\n", kind, group, kube_object_name(o));
        else
            printf("%s%s/%s %s\n", kind, group, kube_object_name(o),
                   dry ? "created (dry run)" : "created");
    }
    return 0;
}

/* ---------------------------------------------------------------- --wait, native */

/* --wait progress: prints line with a timestamp when it differs from last (a buffer of n bytes
 * holding the line printed before, updated). */
static void print_progress(char *last, size_t n, const char *line)
{
    if (strcmp(line, last)) {
        slu_strlcpy(last, line, n);
        char ts[40];
        slu_time_format_rfc3339(slu_now_unix(), ts, sizeof ts);
        printf("%s  %s\n", ts, line);
        fflush(stdout);
    }
}

/* After one list-then-watch round of --wait that returned rc (err its error): whether to go on.
 * A clean end or 410 Gone resets *failures; another error backs off (0.5 s more each time),
 * and the fifth in a row prints err (as `what`) and gives up. */
static bool keep_watching(int rc, int *failures, const struct slu_err *err, const char *what)
{
    if (rc == 0 || rc == SLU_EGONE) {
        *failures = 0;
        return true;
    }
    if (++*failures >= 5) {
        cli_api_error(err, what);
        return false;
    }
    slu_sleep_ms(500 * *failures);
    return true;
}

struct native_wait {
    const char *driver;
    struct slu_map execs; /* executor pod name -> phase (owned strings) */
    char *driver_phase;
    char last[512];
    bool done, gone;
    int exit_code;
    char reason[128];
};

static void note_driver(struct native_wait *w, const json_t *pod, bool deleted)
{
    const char *phase = slu_json_str(pod, "status.phase");
    free(w->driver_phase);
    w->driver_phase = slu_strdup(deleted ? "Deleted" : phase ? phase : "Pending");
    if (deleted) {
        w->done = w->gone = true;
        return;
    }
    if (!phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed")))
        return;
    w->done = true;
    json_t *cs = slu_json_path(pod, "status.containerStatuses");
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c)
    {
        const char *n = slu_json_str(c, "name");
        json_t *t = slu_json_path(c, "state.terminated");
        if (!t)
            continue;
        if (i == 0 || slu_streq(n, "spark-kubernetes-driver")) {
            w->exit_code = (int)slu_json_int(t, "exitCode", 0);
            const char *r = slu_json_str(t, "reason");
            slu_strlcpy(w->reason, r ? r : "", sizeof w->reason);
        }
    }
}

static void note_pod(struct native_wait *w, const json_t *pod, bool deleted)
{
    const char *name = kube_object_name(pod);
    const char *role = slu_json_str(pod, "metadata.labels.spark-role");
    if (!name)
        return;
    if (strcmp(name, w->driver) == 0) {
        note_driver(w, pod, deleted);
        return;
    }
    if (!slu_streq(role, "executor"))
        return;
    if (deleted) {
        slu_map_del(&w->execs, name);
        return;
    }
    const char *phase = slu_json_str(pod, "status.phase");
    slu_map_put(&w->execs, name, slu_strdup(phase ? phase : "Pending"));
}

static void report(struct native_wait *w)
{
    int running = 0, total = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&w->execs, &it, &k, &v)) {
        total++;
        if (strcmp(v, "Running") == 0)
            running++;
    }
    char line[512];
    snprintf(line, sizeof line, "driver %s: %s, executors: %d running / %d", w->driver,
             w->driver_phase ? w->driver_phase : "Pending", running, total);
    print_progress(w->last, sizeof w->last, line);
}

static bool native_event(void *ud, const char *type, json_t *obj)
{
    struct native_wait *w = ud;
    if (strcmp(type, "ERROR") == 0 || strcmp(type, "BOOKMARK") == 0)
        return true;
    note_pod(w, obj, strcmp(type, "DELETED") == 0);
    report(w);
    return !w->done;
}

/* Lists then watches the pods of app_id until the driver ends; returns the exit code. */
static int wait_native(struct kube_client *cl, const char *ns, const char *driver,
                       const char *app_id)
{
    struct native_wait w = {.driver = driver};
    slu_map_init(&w.execs, free);
    char *sel = slu_asprintf("spark-app-selector=%s", app_id);
    int failures = 0, rc = 0;
    while (!w.done) {
        struct slu_err err = {0};
        json_t *list = NULL;
        struct kube_list_opts lo = {.label_selector = sel};
        rc = kube_list_all(cl, &KUBE_RES_PODS, ns, &lo, &list, &err);
        if (rc == 0) {
            slu_map_release(&w.execs);
            slu_map_init(&w.execs, free);
            bool seen = false;
            size_t i;
            json_t *p;
            json_array_foreach(json_object_get(list, "items"), i, p)
            {
                seen |= slu_streq(kube_object_name(p), driver);
                note_pod(&w, p, false);
            }
            if (!seen) /* the driver pod is gone (or was never labelled) */
                note_driver(&w, NULL, true);
            report(&w);
            char *rv = slu_strdup(slu_json_str(list, "metadata.resourceVersion"));
            json_decref(list);
            if (!w.done) {
                struct kube_watch_opts wo = {.label_selector = sel,
                                             .resource_version = rv,
                                             .allow_bookmarks = true,
                                             .timeout_seconds = 300};
                rc = kube_watch(cl, &KUBE_RES_PODS, ns, &wo, native_event, &w, NULL, &err);
            }
            free(rv);
        }
        bool again = keep_watching(rc, &failures, &err, "watching the driver pod");
        slu_err_release(&err);
        if (!again)
            break;
    }
    int code = 1;
    if (w.done) {
        if (w.gone)
            cli_error("driver pod %s was deleted before it finished", driver);
        else if (slu_streq(w.driver_phase, "Succeeded")) {
            printf("Application %s finished: driver pod %s succeeded.\n", app_id, driver);
            code = 0;
        } else
            cli_error("driver pod %s failed: exit code %d%s%s%s", driver, w.exit_code,
                      w.reason[0] ? " (" : "", w.reason, w.reason[0] ? ")" : "");
    }
    free(w.driver_phase);
    slu_map_release(&w.execs);
    free(sel);
    return code;
}

/* ---------------------------------------------------------------- --wait, SparkApplication */

struct app_wait {
    char last[512];
    bool done, gone, ok;
    char msg[512];
};

static void note_app(struct app_wait *w, const json_t *app, bool deleted)
{
    if (deleted) {
        w->done = w->gone = true;
        return;
    }
    const char *st = slu_json_str(app, "status.applicationState.state");
    int running, total;
    cli_app_executors(app, &running, &total);
    char line[512];
    snprintf(line, sizeof line, "application %s: %s, executors: %d running / %d",
             kube_object_name(app), st && *st ? st : "NEW", running, total);
    print_progress(w->last, sizeof w->last, line);
    if (slu_streq(st, "COMPLETED")) {
        w->done = w->ok = true;
    } else if (slu_streq(st, "FAILED")) {
        w->done = true;
        const char *m = slu_json_str(app, "status.applicationState.errorMessage");
        slu_strlcpy(w->msg, m ? m : "", sizeof w->msg);
    }
}

static bool app_event(void *ud, const char *type, json_t *obj)
{
    struct app_wait *w = ud;
    if (strcmp(type, "ERROR") == 0 || strcmp(type, "BOOKMARK") == 0)
        return true;
    note_app(w, obj, strcmp(type, "DELETED") == 0);
    return !w->done;
}

static int wait_app(struct kube_client *cl, const char *ns, const char *name)
{
    struct app_wait w = {0};
    char *fsel = slu_asprintf("metadata.name=%s", name);
    int failures = 0;
    while (!w.done) {
        struct slu_err err = {0};
        json_t *app = NULL;
        int rc = kube_get(cl, &CLI_RES_SPARKAPPS, ns, name, &app, &err);
        if (rc == SLU_ENOTFOUND) {
            note_app(&w, NULL, true);
            slu_err_release(&err);
            break;
        }
        if (rc == 0) {
            note_app(&w, app, false);
            char *rv = slu_strdup(kube_object_rv(app));
            json_decref(app);
            if (!w.done) {
                struct kube_watch_opts wo = {.field_selector = fsel,
                                             .resource_version = rv,
                                             .allow_bookmarks = true,
                                             .timeout_seconds = 300};
                rc = kube_watch(cl, &CLI_RES_SPARKAPPS, ns, &wo, app_event, &w, NULL, &err);
            }
            free(rv);
        }
        bool again = keep_watching(rc, &failures, &err, "watching the SparkApplication");
        slu_err_release(&err);
        if (!again)
            break;
    }
    free(fsel);
    if (!w.done)
        return 1;
    if (w.gone)
        return cli_error("SparkApplication %s was deleted before it finished", name);
    if (!w.ok)
        return cli_error("SparkApplication %s failed%s%s", name, w.msg[0] ? ": " : "", w.msg);
    printf("SparkApplication %s completed.\n", name);
    return 0;
}

/* ---------------------------------------------------------------- --kill / --status */

static void print_pod_status(const json_t *pod)
{
    printf("Application status (driver):\n");
    printf("\t pod name: %s\n", kube_object_name(pod));
    printf("\t namespace: %s\n", kube_object_namespace(pod));
    json_t *labels = slu_json_path(pod, "metadata.labels");
    printf("\t labels: ");
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(labels, k, v)
    {
        printf("%s%s -> %s", first ? "" : ", ", k, json_string_value(v));
        first = false;
    }
    printf("\n");
    const char *s;
    printf("\t pod uid: %s\n", (s = kube_object_uid(pod)) ? s : "N/A");
    printf("\t creation time: %s\n",
           (s = slu_json_str(pod, "metadata.creationTimestamp")) ? s : "N/A");
    printf("\t service account name: %s\n",
           (s = slu_json_str(pod, "spec.serviceAccountName")) ? s : "N/A");
    printf("\t node name: %s\n", (s = slu_json_str(pod, "spec.nodeName")) ? s : "N/A");
    printf("\t start time: %s\n", (s = slu_json_str(pod, "status.startTime")) ? s : "N/A");
    printf("\t phase: %s\n", (s = slu_json_str(pod, "status.phase")) ? s : "N/A");
    json_t *cs = slu_json_path(pod, "status.containerStatuses");
    size_t i;
    json_array_foreach(cs, i, v)
    {
        printf("\t container status:\n\t\t container name: %s\n", slu_json_str(v, "name"));
        json_t *st = json_object_get(v, "state");
        const char *state = json_object_get(st, "running")      ? "running"
                            : json_object_get(st, "terminated") ? "terminated"
                                                                : "waiting";
        printf("\t\t container state: %s\n", state);
        if (json_object_get(st, "terminated"))
            printf("\t\t exit code: %lld\n", (long long)slu_json_int(st, "terminated.exitCode", 0));
    }
}

static int kill_or_status(const struct spark_submit *s, const struct cli_common *com,
                          const char *server)
{
    struct spark_submission_id id = {0};
    struct slu_err err = {0};
    if (spark_submission_id_parse(s->submission_id, &id, &err) != 0) {
        int rc = usage_error(err.msg);
        slu_err_release(&err);
        return rc;
    }
    struct kube_client *cl = NULL;
    const char *ns = NULL;
    if (cli_connect(com, server, &cl, &ns)) {
        spark_submission_id_release(&id);
        return 1;
    }
    if (id.namespace_)
        ns = id.namespace_;
    json_t *list = NULL;
    struct kube_list_opts lo = {.label_selector = "spark-role=driver"};
    int code = 0;
    if (kube_list_all(cl, &KUBE_RES_PODS, ns, &lo, &list, &err) != 0) {
        code = cli_api_error(&err, "listing driver pods");
        goto out;
    }
    int matched = 0;
    size_t i;
    json_t *pod;
    json_array_foreach(json_object_get(list, "items"), i, pod)
    {
        if (!spark_submission_id_matches(&id, kube_object_name(pod)))
            continue;
        matched++;
        if (s->action == SPARK_SUBMIT_STATUS) {
            print_pod_status(pod);
            continue;
        }
        struct kube_delete_opts dopts = {.grace_period_seconds = -1};
        const char *g = spark_conf_get(s->conf, "spark.kubernetes.appKillPodDeletionGracePeriod");
        int64_t gs;
        if (g && spark_time_as(g, "s", &gs, NULL) == 0)
            dopts.grace_period_seconds = gs;
        slu_err_release(&err);
        if (kube_delete(cl, &KUBE_RES_PODS, ns, kube_object_name(pod), &dopts, NULL, &err) != 0) {
            code = cli_api_error(&err, kube_object_name(pod));
            slu_err_release(&err);
        } else {
            printf("Deleting driver pod: %s in namespace %s.\n", kube_object_name(pod), ns);
        }
    }
    if (!matched)
        code = cli_error("no driver pod found for submission ID %s in namespace %s",
                         s->submission_id, ns);
out:
    json_decref(list);
    slu_err_release(&err);
    kube_client_free(cl);
    spark_submission_id_release(&id);
    return code;
}

/* ---------------------------------------------------------------- submit */

/* Creates objects[0] (the driver Pod), then the rest with the pod as owner. Returns the
 * created objects (owned) or NULL after printing the error. */
static json_t *create_native(struct kube_client *cl, const char *ns, json_t *objects)
{
    struct slu_err err = {0};
    json_t *pod = NULL, *created = json_array();
    if (kube_create(cl, &KUBE_RES_PODS, ns, json_array_get(objects, 0), &pod, &err) != 0) {
        cli_api_error(&err, "creating the driver pod");
        goto fail;
    }
    json_array_append(created, pod);
    spark_build_set_owner(objects, pod);
    for (size_t i = 1; i < json_array_size(objects); i++) {
        json_t *o = json_array_get(objects, i), *out = NULL;
        const struct kube_resource *r = resource_of_kind(slu_json_str(o, "kind"));
        int rc =
            r ? kube_create(cl, r, ns, o, &out, &err)
              : slu_err_set(&err, SLU_EUNSUPPORTED, "unsupported kind %s", slu_json_str(o, "kind"));
        if (rc != 0) {
            char what[300];
            snprintf(what, sizeof what, "creating %s %s", slu_json_str(o, "kind"),
                     kube_object_name(o));
            cli_api_error(&err, what);
            slu_err_release(&err);
            /* as spark-submit: a failed resource deletes the driver pod (and, through the
             * owner references, what was created so far) */
            kube_delete(cl, &KUBE_RES_PODS, ns, kube_object_name(pod), NULL, NULL, &err);
            goto fail;
        }
        json_array_append_new(created, out);
    }
    json_decref(pod);
    slu_err_release(&err);
    return created;
fail:
    json_decref(pod);
    json_decref(created);
    slu_err_release(&err);
    return NULL;
}

static int submit_native(const struct spark_submit *s, const struct cli_common *com,
                         const struct spark_conf *conf, const char *version, const char *server)
{
    struct slu_err err = {0};
    struct spark_build_input in = {0};
    in.conf = conf;
    in.spark_version = version;
    in.app_type = s->app_type;
    in.main_class = s->main_class;
    in.primary_resource = s->primary_resource;
    in.app_args = (const char *const *)s->app_args;
    in.nargs = s->napp_args;
    in.proxy_user = s->proxy_user;
    in.app_id = s->app_id;
    in.unique_id = s->unique_id;
    spark_build_input_from_env(&in);
    json_t *conf_files = load_conf_files(), *dtpl = NULL, *etpl = NULL, *objects = NULL;
    char *etext = NULL, *ns = NULL;
    int code = 1;
    in.conf_files = conf_files;
    const char *dpath = spark_conf_get(conf, "spark.kubernetes.driver.podTemplateFile");
    const char *epath = spark_conf_get(conf, "spark.kubernetes.executor.podTemplateFile");
    if (dpath && spark_pod_template_load(dpath, &dtpl, NULL, &err) != 0) {
        code = cli_error("%s", err.msg);
        goto out;
    }
    if (epath && spark_pod_template_load(epath, &etpl, &etext, &err) != 0) {
        code = cli_error("%s", err.msg);
        goto out;
    }
    in.driver_template = dtpl;
    in.executor_template = etpl;
    in.executor_template_text = etext;
    if (spark_build(&in, &objects, &ns, &err) != 0) {
        code = cli_error("%s", err.msg);
        goto out;
    }
    if (s->dry_run) {
        code = print_result(objects, s->output ? s->output : "yaml", true, true);
        goto out;
    }
    struct kube_client *cl = NULL;
    if (cli_connect(com, server, &cl, NULL))
        goto out;
    json_t *created = create_native(cl, ns, objects);
    if (created) {
        code = print_result(created, s->output, true, false);
        json_t *pod = json_array_get(created, 0);
        const char *pname = kube_object_name(pod);
        if (!s->output)
            printf("Submission ID: %s:%s\n", ns, pname);
        fflush(stdout);
        if (code == 0 && s->wait) {
            const char *app_id = slu_json_str(pod, "metadata.labels.spark-app-selector");
            code = wait_native(cl, ns, pname, app_id ? app_id : "");
        }
        json_decref(created);
    }
    kube_client_free(cl);
out:
    slu_err_release(&err);
    json_decref(objects);
    json_decref(conf_files);
    json_decref(dtpl);
    json_decref(etpl);
    free(etext);
    free(ns);
    return code;
}

static int submit_app(const struct spark_submit *s, const struct cli_common *com,
                      const struct spark_conf *conf, const char *version, const char *server)
{
    struct slu_err err = {0};
    const char *app_name = spark_conf_get(conf, "spark.app.name");
    char idbuf[32];
    if (!s->unique_id)
        spark_unique_id(NULL, slu_now_real_ns() / 1000000, idbuf, sizeof idbuf);
    char *name = spark_resource_name_prefix(app_name ? app_name : "spark",
                                            s->unique_id ? s->unique_id : idbuf);
    json_t *app = NULL;
    int code = 1;
    /* Spark (and so the operator) refuses a driver without an image; say so now, as --native
     * does, rather than create an application that can only fail. */
    const char *img = spark_conf_get(conf, "spark.kubernetes.driver.container.image");
    if (!img || !*img)
        img = spark_conf_get(conf, "spark.kubernetes.container.image");
    if (!img || !*img) {
        code = cli_error("Must specify the driver container image "
                         "(spark.kubernetes.container.image or "
                         "spark.kubernetes.driver.container.image)");
        goto out;
    }
    if (spark_app_from_conf(conf, s->main_class, s->primary_resource, s->app_args, s->napp_args,
                            NULL, name, version, &app, &err) != 0) {
        code = cli_error("%s", err.msg);
        goto out;
    }
    /* --proxy-user is a spark-submit argument, not a conf: it has its own spec field */
    if (s->proxy_user && *s->proxy_user)
        slu_json_set_str(app, "spec.proxyUser", s->proxy_user);
    if (spark_app_validate(app, &err) != 0) {
        code = cli_api_error(&err, NULL);
        goto out;
    }
    json_t *one = json_array();
    if (s->dry_run) {
        json_array_append(one, app);
        code = print_result(one, s->output ? s->output : "yaml", false, true);
        json_decref(one);
        goto out;
    }
    struct kube_client *cl = NULL;
    if (cli_connect(com, server, &cl, NULL)) {
        json_decref(one);
        goto out;
    }
    const char *ns = kube_object_namespace(app);
    json_t *created = NULL;
    if (kube_create(cl, &CLI_RES_SPARKAPPS, ns, app, &created, &err) != 0) {
        cli_api_error(&err, "creating the SparkApplication"); /* hints at missing CRDs */
    } else {
        json_array_append(one, created);
        code = print_result(one, s->output, false, false);
        fflush(stdout);
        if (code == 0 && s->wait)
            code = wait_app(cl, ns, kube_object_name(created));
    }
    json_decref(created);
    json_decref(one);
    kube_client_free(cl);
out:
    slu_err_release(&err);
    json_decref(app);
    free(name);
    return code;
}

int cmd_submit(int argc, char **argv)
{
    struct spark_submit s;
    struct slu_err err = {0};
    int code = 1;
    char *server = NULL, *version = NULL;
    struct spark_conf *conf = NULL;
    if (spark_submit_parse(&s, argc - 1, (const char *const *)argv + 1, &err) != 0) {
        code = usage_error(err.msg);
        goto out;
    }
    switch (s.action) {
    case SPARK_SUBMIT_HELP:
        submit_usage(stdout);
        code = 0;
        goto out;
    case SPARK_SUBMIT_USAGE_ERROR:
        submit_usage(stderr);
        goto out;
    case SPARK_SUBMIT_VERSION:
        printf("sluice %s (spark-submit compatible, Spark 3.5 and 4.0 on Kubernetes)\n",
               SLUICE_VERSION);
        code = 0;
        goto out;
    default:
        break;
    }
    struct cli_common com = {.kubeconfig = s.kubeconfig,
                             .context = s.context,
                             .namespace_ = s.namespace_,
                             .output = s.output};
    if (s.action == SPARK_SUBMIT_KILL || s.action == SPARK_SUBMIT_STATUS) {
        if (master_server(s.master, &server, &err) != 0) {
            code = usage_error(err.msg);
            goto out;
        }
        code = kill_or_status(&s, &com, server);
        goto out;
    }
    if (s.deploy_mode && strcmp(s.deploy_mode, "cluster") != 0) {
        code = usage_error("sluice submit runs applications in cluster mode only "
                           "(--deploy-mode client is not supported)");
        goto out;
    }
    if (s.output && strcmp(s.output, "json") && strcmp(s.output, "yaml") &&
        strcmp(s.output, "name")) {
        code = usage_error("--output must be one of json, yaml, name");
        goto out;
    }
    if (s.dry_run && s.wait) {
        code = usage_error("--wait cannot be used with --dry-run");
        goto out;
    }
    if (s.dry_run_mode && strcmp(s.dry_run_mode, "client") && strcmp(s.dry_run_mode, "true")) {
        code = usage_error("--dry-run: only client-side dry runs are supported "
                           "(--dry-run or --dry-run=client)");
        goto out;
    }
    if (check_ids(&s, &err) != 0 || !(version = norm_version(s.spark_version, &err))) {
        code = usage_error(err.msg);
        goto out;
    }
    struct spark_submit_env env;
    spark_submit_env_from_process(&env);
    if (spark_submit_resolve(&s, &env, &conf, &err) != 0) {
        code = usage_error(err.msg);
        goto out;
    }
    if (master_server(spark_conf_get(conf, "spark.master"), &server, &err) != 0) {
        code = usage_error(err.msg);
        goto out;
    }
    if (s.verbose) {
        fprintf(stderr, "Spark properties used:\n");
        for (size_t i = 0; i < spark_conf_len(conf); i++)
            fprintf(stderr, "  (%s,%s)\n", spark_conf_key_at(conf, i),
                    spark_conf_value_at(conf, i));
    }
    code = s.native ? submit_native(&s, &com, conf, version, server)
                    : submit_app(&s, &com, conf, version, server);
out:
    spark_conf_free(conf);
    free(server);
    free(version);
    slu_err_release(&err);
    spark_submit_release(&s);
    return code;
}
