/*
 * submit_args.c - the spark-submit command line: parsing (as bin/spark-submit's launcher and
 * SparkSubmitArguments do), the effective Spark conf of a submission, k8s master URLs and
 * --kill/--status submission ids.
 *
 * How it works: one table lists every option (Spark's and Sluice's) with its alias, whether it
 * takes a value and the Spark property it sets. spark_submit_parse walks argv exactly like
 * SparkSubmitOptionParser.parse: an argument matching "--name=value" (value non-empty, no line
 * break) is split; a known option with a value takes the split value or the next argument
 * ("Missing argument for option '<arg>'." at the end); a known switch ignores any "=value"; an
 * unknown argument starting with '-' is "Unrecognized option: <arg>"; the first other argument is
 * the primary resource and everything after it is application arguments, kept verbatim even when
 * they look like options. spark_submit_resolve then merges properties as
 * SparkSubmitArguments.mergeDefaultSparkProperties/loadEnvironmentArguments and
 * SparkSubmit.prepareSubmitEnvironment (k8s, cluster) do, and runs validateSubmitArguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

/* Caps on what one command line may hold. */
#define MAX_ARGS 100000
#define MAX_ARG_LEN (1024 * 1024)

enum opt_id {
    O_MASTER,
    O_REMOTE,
    O_DEPLOY_MODE,
    O_CLASS,
    O_NAME,
    O_JARS,
    O_PACKAGES,
    O_EXCLUDE_PACKAGES,
    O_REPOSITORIES,
    O_PY_FILES,
    O_FILES,
    O_ARCHIVES,
    O_CONF,
    O_PROPERTIES_FILE,
    O_LOAD_SPARK_DEFAULTS,
    O_DRIVER_MEMORY,
    O_DRIVER_JAVA_OPTIONS,
    O_DRIVER_LIBRARY_PATH,
    O_DRIVER_CLASS_PATH,
    O_DRIVER_DEFAULT_CLASS_PATH,
    O_DRIVER_CORES,
    O_EXECUTOR_MEMORY,
    O_EXECUTOR_CORES,
    O_NUM_EXECUTORS,
    O_TOTAL_EXECUTOR_CORES,
    O_QUEUE,
    O_PRINCIPAL,
    O_KEYTAB,
    O_PROXY_USER,
    O_SUPERVISE,
    O_KILL,
    O_STATUS,
    O_VERBOSE,
    O_HELP,
    O_VERSION,
    O_USAGE_ERROR,
    /* Sluice */
    O_NATIVE,
    O_DRY_RUN,
    O_OUTPUT,
    O_UNIQUE_ID,
    O_APP_ID,
    O_SPARK_VERSION,
    O_WAIT,
    O_KUBECONFIG,
    O_CONTEXT,
    O_NAMESPACE,
    O_COUNT
};

/* Indexed by enum opt_id. */
static const struct spark_submit_option options[O_COUNT + 1] = {
    [O_MASTER] = {"--master", NULL, true, false, "spark.master",
                  "k8s://https://host:port (k8s://host:port means https)"},
    [O_REMOTE] = {"--remote", NULL, true, false, NULL, "Spark Connect URL (not for k8s)"},
    [O_DEPLOY_MODE] = {"--deploy-mode", NULL, true, false, "spark.submit.deployMode",
                       "client or cluster"},
    [O_CLASS] = {"--class", NULL, true, false, NULL, "main class (Java / Scala apps)"},
    [O_NAME] = {"--name", NULL, true, false, "spark.app.name", "application name"},
    [O_JARS] = {"--jars", NULL, true, false, "spark.jars", "comma-separated jars"},
    [O_PACKAGES] = {"--packages", NULL, true, false, "spark.jars.packages",
                    "comma-separated maven coordinates"},
    [O_EXCLUDE_PACKAGES] = {"--exclude-packages", NULL, true, false, "spark.jars.excludes",
                            "comma-separated groupId:artifactId to exclude"},
    [O_REPOSITORIES] = {"--repositories", NULL, true, false, "spark.jars.repositories",
                        "comma-separated extra maven repositories"},
    [O_PY_FILES] = {"--py-files", NULL, true, false, "spark.submit.pyFiles",
                    "comma-separated .zip, .egg or .py files"},
    [O_FILES] = {"--files", NULL, true, false, "spark.files", "comma-separated files"},
    [O_ARCHIVES] = {"--archives", NULL, true, false, "spark.archives", "comma-separated archives"},
    [O_CONF] = {"--conf", "-c", true, false, NULL, "PROP=VALUE, any Spark property"},
    [O_PROPERTIES_FILE] = {"--properties-file", NULL, true, false, NULL,
                           "properties file (default: conf/spark-defaults.conf)"},
    [O_LOAD_SPARK_DEFAULTS] = {"--load-spark-defaults", NULL, false, false, NULL,
                               "also read spark-defaults.conf with --properties-file"},
    [O_DRIVER_MEMORY] = {"--driver-memory", NULL, true, false, "spark.driver.memory",
                         "driver memory (e.g. 1000M, 2G)"},
    [O_DRIVER_JAVA_OPTIONS] = {"--driver-java-options", NULL, true, false,
                               "spark.driver.extraJavaOptions", "extra driver JVM options"},
    [O_DRIVER_LIBRARY_PATH] = {"--driver-library-path", NULL, true, false,
                               "spark.driver.extraLibraryPath", "extra driver library path"},
    [O_DRIVER_CLASS_PATH] = {"--driver-class-path", NULL, true, false,
                             "spark.driver.extraClassPath", "extra driver class path"},
    [O_DRIVER_DEFAULT_CLASS_PATH] = {"--driver-default-class-path", NULL, true, false,
                                     "spark.driver.defaultExtraClassPath",
                                     "default extra driver class path"},
    [O_DRIVER_CORES] = {"--driver-cores", NULL, true, false, "spark.driver.cores",
                        "driver cores (cluster mode)"},
    [O_EXECUTOR_MEMORY] = {"--executor-memory", NULL, true, false, "spark.executor.memory",
                           "memory per executor (e.g. 1000M, 2G)"},
    [O_EXECUTOR_CORES] = {"--executor-cores", NULL, true, false, "spark.executor.cores",
                          "cores per executor"},
    [O_NUM_EXECUTORS] = {"--num-executors", NULL, true, false, "spark.executor.instances",
                         "number of executors"},
    [O_TOTAL_EXECUTOR_CORES] = {"--total-executor-cores", NULL, true, false, NULL,
                                "standalone only; ignored on Kubernetes"},
    [O_QUEUE] = {"--queue", NULL, true, false, NULL, "YARN only; ignored on Kubernetes"},
    [O_PRINCIPAL] = {"--principal", NULL, true, false, "spark.kerberos.principal",
                     "Kerberos principal"},
    [O_KEYTAB] = {"--keytab", NULL, true, false, "spark.kerberos.keytab", "Kerberos keytab"},
    [O_PROXY_USER] = {"--proxy-user", NULL, true, false, NULL, "user to impersonate"},
    [O_SUPERVISE] = {"--supervise", NULL, false, false, NULL,
                     "standalone only; ignored on Kubernetes"},
    [O_KILL] = {"--kill", NULL, true, false, NULL, "kill driver(s): [namespace:]pod[*]"},
    [O_STATUS] = {"--status", NULL, true, false, NULL, "status of driver(s): [namespace:]pod[*]"},
    [O_VERBOSE] = {"--verbose", "-v", false, false, NULL, "print additional debug output"},
    [O_HELP] = {"--help", "-h", false, false, NULL, "show this help and exit"},
    [O_VERSION] = {"--version", NULL, false, false, NULL, "print the version and exit"},
    [O_USAGE_ERROR] = {"--usage-error", NULL, false, false, NULL, "print usage and exit 1"},
    [O_NATIVE] = {"--native", NULL, false, true, NULL,
                  "create the driver objects directly (no SparkApplication)"},
    [O_DRY_RUN] = {"--dry-run", NULL, false, true, NULL,
                   "print the objects instead of creating them (--dry-run=MODE accepted)"},
    [O_OUTPUT] = {"--output", "-o", true, true, NULL, "output format: yaml, json, name"},
    [O_UNIQUE_ID] = {"--unique-id", NULL, true, true, NULL,
                     "fixed resource-name unique id (reproducible names)"},
    [O_APP_ID] = {"--app-id", NULL, true, true, NULL,
                  "fixed spark.app.id, e.g. spark-<32 hex> (--native)"},
    [O_SPARK_VERSION] = {"--spark-version", NULL, true, true, NULL,
                         "Spark version whose behaviour to follow (3.5, 4.0)"},
    [O_WAIT] = {"--wait", NULL, false, true, NULL,
                "follow the application to its end; exit 0 only on success"},
    [O_KUBECONFIG] = {"--kubeconfig", NULL, true, true, NULL, "path of the kubeconfig file"},
    [O_CONTEXT] = {"--context", NULL, true, true, NULL, "kubeconfig context"},
    [O_NAMESPACE] = {"--namespace", "-n", true, true, "spark.kubernetes.namespace",
                     "namespace of the driver"},
    [O_COUNT] = {NULL, NULL, false, false, NULL, NULL},
};

const struct spark_submit_option *spark_submit_options(void)
{
    return options;
}

static int find_option(const char *arg, size_t len)
{
    for (int i = 0; i < O_COUNT; i++) {
        const struct spark_submit_option *o = &options[i];
        if (strlen(o->name) == len && memcmp(o->name, arg, len) == 0)
            return i;
        if (o->alias && strlen(o->alias) == len && memcmp(o->alias, arg, len) == 0)
            return i;
    }
    return -1;
}

enum spark_app_type spark_app_type_of(const char *res)
{
    if (!res)
        return SPARK_APP_JAVA;
    if (slu_str_has_suffix(res, ".py") || strcmp(res, "pyspark-shell") == 0)
        return SPARK_APP_PYTHON;
    if (slu_str_has_suffix(res, ".R") || slu_str_has_suffix(res, ".r") ||
        strcmp(res, "sparkr-shell") == 0)
        return SPARK_APP_R;
    return SPARK_APP_JAVA;
}

static void set_str(char **dst, const char *v)
{
    char *n = slu_strdup(v);
    free(*dst);
    *dst = n;
}

static const char *action_name(enum spark_submit_action a)
{
    switch (a) {
    case SPARK_SUBMIT_KILL:
        return "KILL";
    case SPARK_SUBMIT_STATUS:
        return "REQUEST_STATUS";
    case SPARK_SUBMIT_VERSION:
        return "PRINT_VERSION";
    default:
        return "SUBMIT";
    }
}

/* Applies one option; value is NULL for switches. */
static int handle(struct spark_submit *s, int id, const char *value, const char *dry_value,
                  bool *special, struct slu_err *err)
{
    switch ((enum opt_id)id) {
    case O_MASTER:
        set_str(&s->master, value);
        break;
    case O_REMOTE:
        set_str(&s->remote, value);
        break;
    case O_DEPLOY_MODE:
        if (strcmp(value, "client") != 0 && strcmp(value, "cluster") != 0)
            return slu_err_set(err, SLU_EINVAL,
                               "--deploy-mode must be either \"client\" or \"cluster\"");
        set_str(&s->deploy_mode, value);
        break;
    case O_CLASS:
        set_str(&s->main_class, value);
        break;
    case O_NAME:
        set_str(&s->name, value);
        break;
    case O_JARS:
        set_str(&s->jars, value);
        break;
    case O_PACKAGES:
        set_str(&s->packages, value);
        break;
    case O_EXCLUDE_PACKAGES:
        set_str(&s->exclude_packages, value);
        break;
    case O_REPOSITORIES:
        set_str(&s->repositories, value);
        break;
    case O_PY_FILES:
        set_str(&s->py_files, value);
        break;
    case O_FILES:
        set_str(&s->files, value);
        break;
    case O_ARCHIVES:
        set_str(&s->archives, value);
        break;
    case O_CONF: {
        const char *eq = strchr(value, '=');
        if (!eq)
            return slu_err_set(err, SLU_EINVAL, "Invalid argument to --conf: %s", value);
        char *k = slu_strndup(value, (size_t)(eq - value));
        spark_conf_set(s->conf, k, eq + 1);
        free(k);
        break;
    }
    case O_PROPERTIES_FILE:
        set_str(&s->properties_file, value);
        break;
    case O_LOAD_SPARK_DEFAULTS:
        s->load_spark_defaults = true;
        break;
    case O_DRIVER_MEMORY:
        set_str(&s->driver_memory, value);
        break;
    case O_DRIVER_JAVA_OPTIONS:
        set_str(&s->driver_java_options, value);
        break;
    case O_DRIVER_LIBRARY_PATH:
        set_str(&s->driver_library_path, value);
        break;
    case O_DRIVER_CLASS_PATH:
        set_str(&s->driver_class_path, value);
        break;
    case O_DRIVER_DEFAULT_CLASS_PATH:
        set_str(&s->driver_default_class_path, value);
        break;
    case O_DRIVER_CORES:
        set_str(&s->driver_cores, value);
        break;
    case O_EXECUTOR_MEMORY:
        set_str(&s->executor_memory, value);
        break;
    case O_EXECUTOR_CORES:
        set_str(&s->executor_cores, value);
        break;
    case O_NUM_EXECUTORS:
        set_str(&s->num_executors, value);
        break;
    case O_TOTAL_EXECUTOR_CORES:
        set_str(&s->total_executor_cores, value);
        break;
    case O_QUEUE:
        set_str(&s->queue, value);
        break;
    case O_PRINCIPAL:
        set_str(&s->principal, value);
        break;
    case O_KEYTAB:
        set_str(&s->keytab, value);
        break;
    case O_PROXY_USER:
        set_str(&s->proxy_user, value);
        break;
    case O_SUPERVISE:
        s->supervise = true;
        break;
    case O_KILL:
    case O_STATUS: {
        enum spark_submit_action a = id == O_KILL ? SPARK_SUBMIT_KILL : SPARK_SUBMIT_STATUS;
        if (s->action == SPARK_SUBMIT_KILL || s->action == SPARK_SUBMIT_STATUS)
            return slu_err_set(err, SLU_EINVAL, "Action cannot be both %s and %s.",
                               action_name(s->action), action_name(a));
        set_str(&s->submission_id, value);
        if (s->action == SPARK_SUBMIT_SUBMIT)
            s->action = a;
        *special = true;
        break;
    }
    case O_VERBOSE:
        s->verbose = true;
        break;
    case O_HELP:
        s->action = SPARK_SUBMIT_HELP;
        *special = true;
        break;
    case O_VERSION:
        if (s->action != SPARK_SUBMIT_HELP && s->action != SPARK_SUBMIT_USAGE_ERROR)
            s->action = SPARK_SUBMIT_VERSION;
        *special = true;
        break;
    case O_USAGE_ERROR:
        if (s->action != SPARK_SUBMIT_HELP)
            s->action = SPARK_SUBMIT_USAGE_ERROR;
        *special = true;
        break;
    case O_NATIVE:
        s->native = true;
        break;
    case O_DRY_RUN:
        s->dry_run = true;
        if (dry_value)
            set_str(&s->dry_run_mode, dry_value);
        break;
    case O_OUTPUT:
        set_str(&s->output, value);
        break;
    case O_UNIQUE_ID:
        set_str(&s->unique_id, value);
        break;
    case O_APP_ID:
        set_str(&s->app_id, value);
        break;
    case O_SPARK_VERSION:
        set_str(&s->spark_version, value);
        break;
    case O_WAIT:
        s->wait = true;
        break;
    case O_KUBECONFIG:
        set_str(&s->kubeconfig, value);
        break;
    case O_CONTEXT:
        set_str(&s->context, value);
        break;
    case O_NAMESPACE:
        set_str(&s->namespace_, value);
        break;
    case O_COUNT:
        break;
    }
    return 0;
}

/* Java's Pattern "(--[^=]+)=(.+)" with matches(): "--" then at least one non-'=' char, then '=',
 * then at least one char; '.' does not match line terminators. Returns the '=' position or 0. */
static size_t eq_split(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        return 0;
    const char *eq = strchr(arg + 2, '=');
    if (!eq || eq == arg + 2 || eq[1] == '\0')
        return 0;
    for (const char *p = eq + 1; *p; p++)
        if (*p == '\n' || *p == '\r')
            return 0;
    /* Java's '.' also excludes U+0085, U+2028 and U+2029 */
    if (strstr(eq + 1, "\xc2\x85") || strstr(eq + 1, "\xe2\x80\xa8") ||
        strstr(eq + 1, "\xe2\x80\xa9"))
        return 0;
    return (size_t)(eq - arg);
}

int spark_submit_parse(struct spark_submit *s, int argc, const char *const *argv,
                       struct slu_err *err)
{
    memset(s, 0, sizeof(*s));
    s->conf = spark_conf_new();
    if (argc < 0 || argc > MAX_ARGS)
        return slu_err_set(err, SLU_ETOOBIG, "too many arguments (%d; at most %d)", argc, MAX_ARGS);
    bool special = false;
    int idx;
    for (idx = 0; idx < argc; idx++) {
        const char *arg = argv[idx];
        if (!arg)
            return slu_err_set(err, SLU_EINVAL, "argument %d is NULL", idx);
        size_t alen = strnlen(arg, MAX_ARG_LEN + 1);
        if (alen > MAX_ARG_LEN)
            return slu_err_set(err, SLU_ETOOBIG, "argument %d is longer than %d bytes", idx,
                               MAX_ARG_LEN);
        size_t eq = eq_split(arg);
        size_t namelen = eq ? eq : alen;
        const char *value = eq ? arg + eq + 1 : NULL;
        int id = find_option(arg, namelen);
        if (id >= 0 && options[id].takes_value) {
            if (!value) {
                if (idx == argc - 1)
                    return slu_err_set(err, SLU_EINVAL, "Missing argument for option '%.*s'.",
                                       (int)namelen, arg);
                value = argv[++idx];
                if (!value)
                    return slu_err_set(err, SLU_EINVAL, "argument %d is NULL", idx);
            }
            int rc = handle(s, id, value, NULL, &special, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (id >= 0) {
            /* a switch; Spark drops an "=value" (only --dry-run keeps it, as its mode) */
            int rc = handle(s, id, NULL, value, &special, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (arg[0] == '-')
            return slu_err_set(err, SLU_EINVAL, "Unrecognized option: %s", arg);
        /* the primary resource; the rest are application arguments */
        s->primary_resource = slu_strdup(arg);
        s->internal = strcmp(arg, "spark-internal") == 0;
        s->app_type = spark_app_type_of(arg);
        idx++;
        break;
    }
    if (idx < argc) {
        s->napp_args = (size_t)(argc - idx);
        s->app_args = slu_calloc(s->napp_args + 1, sizeof(char *));
        for (size_t i = 0; i < s->napp_args; i++) {
            const char *a = argv[idx + (int)i];
            if (!a)
                return slu_err_set(err, SLU_EINVAL, "argument %d is NULL", idx + (int)i);
            if (strnlen(a, MAX_ARG_LEN + 1) > MAX_ARG_LEN)
                return slu_err_set(err, SLU_ETOOBIG, "argument %d is longer than %d bytes",
                                   idx + (int)i, MAX_ARG_LEN);
            s->app_args[i] = slu_strdup(a);
        }
    }
    if (!special && !s->primary_resource)
        return slu_err_set(err, SLU_EINVAL, "Missing application resource.");
    return 0;
}

void spark_submit_release(struct spark_submit *s)
{
    if (!s)
        return;
    char **strs[] = {&s->master,
                     &s->remote,
                     &s->deploy_mode,
                     &s->main_class,
                     &s->name,
                     &s->jars,
                     &s->packages,
                     &s->exclude_packages,
                     &s->repositories,
                     &s->py_files,
                     &s->files,
                     &s->archives,
                     &s->properties_file,
                     &s->driver_memory,
                     &s->driver_java_options,
                     &s->driver_library_path,
                     &s->driver_class_path,
                     &s->driver_default_class_path,
                     &s->driver_cores,
                     &s->executor_memory,
                     &s->executor_cores,
                     &s->num_executors,
                     &s->total_executor_cores,
                     &s->queue,
                     &s->principal,
                     &s->keytab,
                     &s->proxy_user,
                     &s->submission_id,
                     &s->primary_resource,
                     &s->dry_run_mode,
                     &s->output,
                     &s->unique_id,
                     &s->app_id,
                     &s->spark_version,
                     &s->kubeconfig,
                     &s->context,
                     &s->namespace_};
    for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (size_t i = 0; s->app_args && i < s->napp_args; i++)
        free(s->app_args[i]);
    free(s->app_args);
    spark_conf_free(s->conf);
    memset(s, 0, sizeof(*s));
}

void spark_submit_env_from_process(struct spark_submit_env *env)
{
    env->spark_conf_dir = getenv("SPARK_CONF_DIR");
    env->spark_home = getenv("SPARK_HOME");
    env->master = getenv("MASTER");
    env->deploy_mode = getenv("DEPLOY_MODE");
    env->driver_memory = getenv("SPARK_DRIVER_MEMORY");
    env->executor_memory = getenv("SPARK_EXECUTOR_MEMORY");
    env->executor_cores = getenv("SPARK_EXECUTOR_CORES");
}

/* ---------------------------------------------------------------- k8s master */

void spark_k8s_master_release(struct spark_k8s_master *m)
{
    if (!m)
        return;
    free(m->url);
    free(m->api);
    free(m->scheme);
    free(m->host);
    memset(m, 0, sizeof(*m));
}

/* java.net.URI scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) before ':'. NULL when none. */
static char *uri_scheme(const char *u)
{
    const char *c = strchr(u, ':');
    if (!c || c == u)
        return NULL;
    if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
        return NULL;
    for (const char *p = u; p < c; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '-' || ch == '.'))
            return NULL;
    }
    return slu_strndup(u, (size_t)(c - u));
}

int spark_k8s_master_parse(const char *raw, struct spark_k8s_master *out, struct slu_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!raw || strncmp(raw, "k8s://", 6) != 0)
        return slu_err_set(err, SLU_EINVAL, "Kubernetes master URL must start with k8s://.");
    const char *rest = raw + 6;
    if (!strstr(rest, "://")) {
        out->api = slu_asprintf("https://%s", rest);
        out->scheme = slu_strdup("https");
    } else {
        char *scheme = uri_scheme(rest);
        if (scheme)
            slu_str_lower(scheme);
        if (!scheme || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
            int rc = slu_err_set(err, SLU_EINVAL,
                                 "Invalid Kubernetes master scheme: %s found in URL: %s",
                                 scheme ? scheme : "null", rest);
            free(scheme);
            return rc;
        }
        out->api = slu_strdup(rest);
        out->scheme = scheme;
        out->http = strcmp(scheme, "http") == 0;
    }
    out->url = slu_asprintf("k8s://%s", out->api);
    /* authority: after "scheme://" up to '/', '?' or '#'; userinfo dropped */
    const char *a = strstr(out->api, "://") + 3;
    size_t alen = strcspn(a, "/?#");
    const char *at = memchr(a, '@', alen);
    if (at) {
        alen -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *hend = a + alen;
    const char *colon = NULL;
    if (alen > 0 && a[0] == '[') {
        const char *rb = memchr(a, ']', alen);
        if (rb)
            colon = (rb + 1 < a + alen && rb[1] == ':') ? rb + 1 : NULL;
    } else {
        colon = memchr(a, ':', alen);
    }
    if (colon)
        hend = colon;
    out->host = slu_strndup(a, (size_t)(hend - a));
    if (colon) {
        int64_t port = 0;
        char *ps = slu_strndup(colon + 1, (size_t)(a + alen - colon - 1));
        if (*ps && (slu_parse_i64(ps, &port) < 0 || port < 0 || port > 65535)) {
            free(ps);
            int rc = slu_err_set(err, SLU_EINVAL, "Invalid port in Kubernetes master URL: %s", raw);
            spark_k8s_master_release(out);
            return rc;
        }
        free(ps);
        out->port = (int)port;
    }
    if (out->host[0] == '\0') {
        spark_k8s_master_release(out);
        return slu_err_set(err, SLU_EINVAL, "Kubernetes master URL has no host: %s", raw);
    }
    return 0;
}

/* ---------------------------------------------------------------- submission ids */

int spark_submission_id_parse(const char *id, struct spark_submission_id *out, struct slu_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!id || !*id)
        return slu_err_set(err, SLU_EINVAL, "empty submission id");
    const char *colon = strchr(id, ':');
    const char *pod = id;
    if (colon) {
        out->namespace_ = slu_strndup(id, (size_t)(colon - id));
        pod = colon + 1;
    }
    size_t n = strlen(pod);
    if (n > 0 && pod[n - 1] == '*') {
        out->glob = true;
        n--;
    }
    out->pod = slu_strndup(pod, n);
    if (!out->glob && n == 0) {
        spark_submission_id_release(out);
        return slu_err_set(err, SLU_EINVAL, "submission id \"%s\" has no pod name", id);
    }
    return 0;
}

void spark_submission_id_release(struct spark_submission_id *id)
{
    if (!id)
        return;
    free(id->namespace_);
    free(id->pod);
    memset(id, 0, sizeof(*id));
}

bool spark_submission_id_matches(const struct spark_submission_id *id, const char *pod)
{
    if (!id || !id->pod || !pod)
        return false;
    return id->glob ? slu_str_has_prefix(pod, id->pod) : strcmp(pod, id->pod) == 0;
}

/* ---------------------------------------------------------------- effective conf */

/* Scala's String.toInt (Integer.parseInt, no trimming). */
static bool java_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p || strspn(p, "0123456789") != strlen(p))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = v;
    return true;
}

static bool positive_int(const char *s)
{
    int64_t v;
    return java_parse_int(s, &v) && v > 0;
}

static bool positive_size(const char *s)
{
    int64_t v;
    return spark_size_as(s, "b", &v, NULL) == 0 && v > 0;
}

/* flag, else property, else env: Option(flag).orElse(props.get(key)).orElse(env). */
static const char *pick(const char *flag, const struct spark_conf *c, const char *key,
                        const char *envv)
{
    if (flag)
        return flag;
    const char *v = key ? spark_conf_get(c, key) : NULL;
    return v ? v : envv;
}

int spark_submit_resolve(const struct spark_submit *s, const struct spark_submit_env *env,
                         struct spark_conf **out, struct slu_err *err)
{
    struct spark_submit_env none = {0};
    if (!env)
        env = &none;
    struct spark_conf *c = NULL;
    int rc = spark_conf_resolve(s->conf, s->properties_file, s->load_spark_defaults,
                                env->spark_conf_dir, env->spark_home, &c, err);
    if (rc < 0)
        return rc;

    /* loadEnvironmentArguments: flag, else property, else env */
    const char *master = pick(s->master, c, "spark.master", env->master);
    const char *remote = pick(s->remote, c, "spark.remote", NULL);
    const char *deploy = pick(s->deploy_mode, c, "spark.submit.deployMode", env->deploy_mode);
    const char *drv_mem = pick(s->driver_memory, c, "spark.driver.memory", env->driver_memory);
    const char *exe_mem =
        pick(s->executor_memory, c, "spark.executor.memory", env->executor_memory);
    const char *exe_cores = pick(s->executor_cores, c, "spark.executor.cores", env->executor_cores);
    const char *drv_cores = pick(s->driver_cores, c, "spark.driver.cores", NULL);
    const char *total_cores = pick(s->total_executor_cores, c, "spark.cores.max", NULL);
    const char *num_exec = pick(s->num_executors, c, "spark.executor.instances", NULL);
    const char *principal = pick(s->principal, c, "spark.kerberos.principal", NULL);
    if (!principal)
        principal = spark_conf_get(c, "spark.yarn.principal");
    const char *keytab = pick(s->keytab, c, "spark.kerberos.keytab", NULL);
    if (!keytab)
        keytab = spark_conf_get(c, "spark.yarn.keytab");
    const char *dyn = spark_conf_get(c, "spark.dynamicAllocation.enabled");
    bool dyn_on = dyn && strcasecmp(dyn, "true") == 0;

    /* validateSubmitArguments */
    if (s->action == SPARK_SUBMIT_SUBMIT) {
        const char *msg = NULL;
        if (remote && (s->master || spark_conf_get(c, "spark.master") || env->master || deploy))
            msg = "Remote cannot be specified with master and/or deploy mode.";
        else if (!s->primary_resource)
            msg = "Must specify a primary resource (JAR or Python or R file)";
        else if (drv_mem && !positive_size(drv_mem))
            msg = "Driver memory must be a positive number";
        else if (exe_mem && !positive_size(exe_mem))
            msg = "Executor memory must be a positive number";
        else if (drv_cores && !positive_int(drv_cores))
            msg = "Driver cores must be a positive number";
        else if (exe_cores && !positive_int(exe_cores))
            msg = "Executor cores must be a positive number";
        else if (total_cores && !positive_int(total_cores))
            msg = "Total executor cores must be a positive number";
        else if (!dyn_on && num_exec && !positive_int(num_exec))
            msg = "Number of executors must be a positive number";
        else if (s->proxy_user && principal)
            msg = "Only one of --proxy-user or --principal can be provided.";
        if (msg) {
            rc = slu_err_set(err, SLU_EINVAL, "%s", msg);
            goto fail;
        }
    }

    if (master) {
        if (!slu_str_has_prefix(master, "k8s://")) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "Master must be a Kubernetes URL (k8s://https://host:port), got "
                             "\"%s\"",
                             master);
            goto fail;
        }
        struct spark_k8s_master m;
        rc = spark_k8s_master_parse(master, &m, err);
        if (rc < 0)
            goto fail;
        spark_conf_set(c, "spark.master", m.url);
        spark_k8s_master_release(&m);
    }
    if (deploy)
        spark_conf_set(c, "spark.submit.deployMode", deploy);

    /* name: --name, spark.app.name, the main class, the resource's file name */
    const char *name = pick(s->name, c, "spark.app.name", NULL);
    if (!name)
        name = s->main_class;
    if (name) {
        spark_conf_set(c, "spark.app.name", name);
    } else if (s->primary_resource) {
        const char *slash = strrchr(s->primary_resource, '/');
        spark_conf_set(c, "spark.app.name", slash ? slash + 1 : s->primary_resource);
    }

    /* OptionAssigner for KUBERNETES / CLUSTER (flag wins over the property) */
    struct {
        const char *value, *key;
    } assign[] = {
        {s->driver_class_path, "spark.driver.extraClassPath"},
        {s->driver_java_options, "spark.driver.extraJavaOptions"},
        {s->driver_library_path, "spark.driver.extraLibraryPath"},
        {s->driver_default_class_path, "spark.driver.defaultExtraClassPath"},
        {principal, "spark.kerberos.principal"},
        {keytab, "spark.kerberos.keytab"},
        {s->py_files, "spark.submit.pyFiles"},
        {s->packages, "spark.jars.packages"},
        {s->repositories, "spark.jars.repositories"},
        {s->exclude_packages, "spark.jars.excludes"},
        {num_exec, "spark.executor.instances"},
        {exe_cores, "spark.executor.cores"},
        {exe_mem, "spark.executor.memory"},
        {s->files, "spark.files"},
        {s->archives, "spark.archives"},
        {s->jars, "spark.jars"},
        {drv_mem, "spark.driver.memory"},
        {drv_cores, "spark.driver.cores"},
        {s->namespace_, "spark.kubernetes.namespace"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(assign); i++)
        if (assign[i].value)
            spark_conf_set(c, assign[i].key, assign[i].value);
    *out = c;
    return 0;
fail:
    spark_conf_free(c);
    return rc;
}
