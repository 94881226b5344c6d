/*
 * app.c - the SparkApplication (sparkoperator.k8s.io/v1beta2) model: defaults, validation with
 * field paths, and the conversion both ways between a SparkApplication and what spark-submit
 * would be given (effective conf, primary resource, arguments), following the Kubeflow operator's
 * mapping of each spec field onto spark-submit (spec/sparkapplication.md §3.1).
 *
 * The model stays JSON (the object as stored in the API server): the operator reads it from an
 * informer and writes status back, so a typed copy would only be converted back and forth. These
 * functions read it through path helpers and produce a struct spark_submission.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

/* ---------------------------------------------------------------- small helpers */

static json_t *obj_at(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

/* A JSON scalar as conf text: strings verbatim, integers, reals, booleans. NULL otherwise. */
static char *scalar_text(const json_t *v)
{
    if (json_is_string(v))
        return slu_strdup(json_string_value(v));
    if (json_is_integer(v))
        return slu_asprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == (double)(long long)d)
            return slu_asprintf("%lld", (long long)d);
        return slu_asprintf("%g", d);
    }
    if (json_is_boolean(v))
        return slu_strdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

static void conf_set_json(struct spark_conf *c, const char *key, const json_t *v)
{
    char *s = scalar_text(v);
    if (s) {
        spark_conf_set(c, key, s);
        free(s);
    }
}

static void conf_set_joined(struct spark_conf *c, const char *key, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return;
    struct slu_buf b = {0};
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            continue;
        if (b.len)
            slu_buf_putc(&b, ',');
        slu_buf_puts(&b, json_string_value(v));
    }
    if (b.len)
        spark_conf_set(c, key, b.data);
    slu_buf_release(&b);
}

static void conf_set_map(struct spark_conf *c, const char *prefix, const json_t *map)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        char *key = slu_asprintf("%s%s", prefix, k);
        conf_set_json(c, key, v);
        free(key);
    }
}

/* "4.0.4" -> "4.0", "3.5.1" -> "3.5"; other versions map to the nearest rules we implement. */
const char *spark_app_rules_version(const char *spark_version)
{
    if (!spark_version)
        return "4.0";
    int major = 0, minor = 0;
    const char *p = spark_version;
    if (*p == 'v')
        p++;
    while (isdigit((unsigned char)*p))
        major = major * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            minor = minor * 10 + (*p++ - '0');
    }
    return major >= 4 ? "4.0" : "3.5";
}

/* ---------------------------------------------------------------- defaults */

static bool spark_conf_has(const json_t *app, const char *key)
{
    json_t *sc = slu_json_path(app, "spec.sparkConf");
    return json_is_object(sc) && json_object_get(sc, key) != NULL;
}

void spark_app_apply_defaults(json_t *app)
{
    json_t *spec = obj_at(app, "spec");
    if (!json_is_string(json_object_get(spec, "type")))
        json_object_set_new(spec, "type", json_string("Scala"));
    if (!json_is_string(json_object_get(spec, "mode")))
        json_object_set_new(spec, "mode", json_string("cluster"));
    json_t *rp = obj_at(spec, "restartPolicy");
    if (!json_is_string(json_object_get(rp, "type")))
        json_object_set_new(rp, "type", json_string("Never"));
    const char *rpt = json_string_value(json_object_get(rp, "type"));
    if (strcmp(rpt, "Never") != 0) {
        if (!json_is_integer(json_object_get(rp, "onFailureRetryInterval")))
            json_object_set_new(rp, "onFailureRetryInterval", json_integer(5));
        if (!json_is_integer(json_object_get(rp, "onSubmissionFailureRetryInterval")))
            json_object_set_new(rp, "onSubmissionFailureRetryInterval", json_integer(5));
    }
    json_t *driver = obj_at(spec, "driver");
    json_t *executor = obj_at(spec, "executor");
    if (!json_object_get(driver, "cores") && !spark_conf_has(app, "spark.driver.cores"))
        json_object_set_new(driver, "cores", json_integer(1));
    if (!json_object_get(driver, "memory") && !spark_conf_has(app, "spark.driver.memory"))
        json_object_set_new(driver, "memory", json_string("1g"));
    if (!json_object_get(executor, "cores") && !spark_conf_has(app, "spark.executor.cores"))
        json_object_set_new(executor, "cores", json_integer(1));
    if (!json_object_get(executor, "memory") && !spark_conf_has(app, "spark.executor.memory"))
        json_object_set_new(executor, "memory", json_string("1g"));
    bool da = json_is_true(slu_json_path(app, "spec.dynamicAllocation.enabled"));
    if (!json_object_get(executor, "instances") && !da &&
        !spark_conf_has(app, "spark.executor.instances"))
        json_object_set_new(executor, "instances", json_integer(1));
    if (da) {
        json_t *d = slu_json_path(app, "spec.dynamicAllocation");
        if (!json_object_get(d, "shuffleTrackingEnabled"))
            json_object_set_new(d, "shuffleTrackingEnabled", json_true());
    }
}

/* ---------------------------------------------------------------- validation */

static void cause(struct slu_err *err, const char *field, const char *fmt, ...) SLU_PRINTF(3, 4);
static void cause(struct slu_err *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = slu_vasprintf(fmt, ap);
    va_end(ap);
    char *full = slu_asprintf("%s: %s", field, m);
    slu_err_add_cause(err, "FieldValueInvalid", field, full);
    free(full);
    free(m);
}

static bool is_dns1035_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !islower((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
            return false;
    }
    return s[n - 1] != '-';
}

static void check_enum(const json_t *spec, const char *key, const char *field,
                       const char *const *allowed, struct slu_err *err)
{
    json_t *v = json_object_get(spec, key);
    if (!v)
        return;
    if (!json_is_string(v)) {
        cause(err, field, "must be a string");
        return;
    }
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(allowed[i], json_string_value(v)) == 0)
            return;
    struct slu_buf b = {0};
    for (size_t i = 0; allowed[i]; i++)
        slu_buf_printf(&b, "%s\"%s\"", i ? ", " : "", allowed[i]);
    cause(err, field, "Unsupported value: \"%s\": supported values: %s", json_string_value(v),
          b.data);
    slu_buf_release(&b);
}

static void check_int_min(const json_t *parent, const char *key, const char *field, int64_t min,
                          struct slu_err *err)
{
    json_t *v = json_object_get(parent, key);
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v)) {
        cause(err, field, "must be an integer");
        return;
    }
    if (json_integer_value(v) < min) {
        if (min == 1)
            cause(err, field, "must be greater than 0");
        else
            cause(err, field, "must be greater than or equal to %lld", (long long)min);
    }
}

static void check_size(const json_t *parent, const char *key, const char *field,
                       struct slu_err *err)
{
    json_t *v = json_object_get(parent, key);
    if (!v || json_is_null(v))
        return;
    if (!json_is_string(v)) {
        cause(err, field, "must be a memory string such as \"512m\" or \"2g\"");
        return;
    }
    int64_t bytes;
    struct slu_err e = {0};
    if (spark_size_parse(json_string_value(v), "m", &bytes, &e) != 0)
        cause(err, field, "invalid memory \"%s\": %s", json_string_value(v), e.msg);
    else if (bytes <= 0)
        cause(err, field, "must be greater than 0");
    slu_err_release(&e);
}

static void check_quantity(const json_t *parent, const char *key, const char *field,
                           struct slu_err *err)
{
    json_t *v = json_object_get(parent, key);
    if (!v || json_is_null(v))
        return;
    struct kube_quantity q;
    struct slu_err e = {0};
    if (kube_quantity_from_json(v, &q, &e) != 0)
        cause(err, field, "%s", e.msg);
    slu_err_release(&e);
}

static void check_pod_spec(const json_t *pod, const char *path, struct slu_err *err)
{
    char f[128];
    if (!json_is_object(pod)) {
        snprintf(f, sizeof(f), "%s", path);
        slu_err_add_cause(err, "FieldValueRequired", f, "Required value");
        return;
    }
    snprintf(f, sizeof(f), "%s.cores", path);
    check_int_min(pod, "cores", f, 1, err);
    snprintf(f, sizeof(f), "%s.memory", path);
    check_size(pod, "memory", f, err);
    snprintf(f, sizeof(f), "%s.memoryOverhead", path);
    check_size(pod, "memoryOverhead", f, err);
    snprintf(f, sizeof(f), "%s.coreRequest", path);
    check_quantity(pod, "coreRequest", f, err);
    snprintf(f, sizeof(f), "%s.coreLimit", path);
    check_quantity(pod, "coreLimit", f, err);
    snprintf(f, sizeof(f), "%s.memoryLimit", path);
    check_quantity(pod, "memoryLimit", f, err);
    json_t *gpu = json_object_get(pod, "gpu");
    if (gpu) {
        if (!json_is_string(json_object_get(gpu, "name"))) {
            snprintf(f, sizeof(f), "%s.gpu.name", path);
            slu_err_add_cause(err, "FieldValueRequired", f, "Required value");
        }
        snprintf(f, sizeof(f), "%s.gpu.quantity", path);
        check_int_min(gpu, "quantity", f, 1, err);
    }
    json_t *labels = json_object_get(pod, "labels");
    const char *k;
    json_t *v;
    json_object_foreach(labels, k, v)
    {
        const char *why = kube_label_key_invalid(k);
        if (!why && json_is_string(v))
            why = kube_label_value_invalid(json_string_value(v));
        if (why) {
            snprintf(f, sizeof(f), "%s.labels", path);
            cause(err, f, "invalid label %s: %s", k, why);
        }
    }
}

int spark_app_validate(const json_t *app, struct slu_err *err)
{
    struct slu_err e = {0};
    const char *name = slu_json_str(app, "metadata.name");
    if (!name || !*name)
        slu_err_add_cause(&e, "FieldValueRequired", "metadata.name", "Required value");
    else if (!is_dns1035_label(name))
        cause(&e, "metadata.name",
              "Invalid value: \"%s\": a DNS-1035 label must consist of lower case alphanumeric "
              "characters or '-', start with an alphabetic character, and end with an "
              "alphanumeric character",
              name);
    json_t *spec = slu_json_path(app, "spec");
    if (!json_is_object(spec)) {
        slu_err_add_cause(&e, "FieldValueRequired", "spec", "Required value");
        goto out;
    }
    static const char *const types[] = {"Java", "Python", "Scala", "R", NULL};
    static const char *const modes[] = {"cluster", "client", "in-cluster-client", NULL};
    static const char *const policies[] = {"Never", "OnFailure", "Always", NULL};
    static const char *const pyv[] = {"2", "3", NULL};
    if (!json_object_get(spec, "type"))
        slu_err_add_cause(&e, "FieldValueRequired", "spec.type", "spec.type: Required value");
    check_enum(spec, "type", "spec.type", types, &e);
    check_enum(spec, "mode", "spec.mode", modes, &e);
    check_enum(spec, "pythonVersion", "spec.pythonVersion", pyv, &e);
    const char *sv = slu_json_str(spec, "sparkVersion");
    if (!sv || !*sv)
        slu_err_add_cause(&e, "FieldValueRequired", "spec.sparkVersion",
                          "spec.sparkVersion: Required value");
    const char *mainfile = slu_json_str(spec, "mainApplicationFile");
    if (!mainfile || !*mainfile)
        slu_err_add_cause(&e, "FieldValueRequired", "spec.mainApplicationFile",
                          "spec.mainApplicationFile: Required value");
    const char *type = slu_json_str(spec, "type");
    if (type && (strcmp(type, "Java") == 0 || strcmp(type, "Scala") == 0) &&
        !slu_json_str(spec, "mainClass") && mainfile && slu_str_has_suffix(mainfile, ".py"))
        cause(&e, "spec.mainApplicationFile", "a %s application needs a jar, not \"%s\"", type,
              mainfile);
    json_t *rp = json_object_get(spec, "restartPolicy");
    if (rp) {
        check_enum(rp, "type", "spec.restartPolicy.type", policies, &e);
        check_int_min(rp, "onFailureRetries", "spec.restartPolicy.onFailureRetries", 0, &e);
        check_int_min(rp, "onSubmissionFailureRetries",
                      "spec.restartPolicy.onSubmissionFailureRetries", 0, &e);
        check_int_min(rp, "onFailureRetryInterval", "spec.restartPolicy.onFailureRetryInterval", 1,
                      &e);
        check_int_min(rp, "onSubmissionFailureRetryInterval",
                      "spec.restartPolicy.onSubmissionFailureRetryInterval", 1, &e);
    }
    check_pod_spec(json_object_get(spec, "driver"), "spec.driver", &e);
    check_pod_spec(json_object_get(spec, "executor"), "spec.executor", &e);
    json_t *ex = json_object_get(spec, "executor");
    if (json_is_object(ex))
        check_int_min(ex, "instances", "spec.executor.instances", 0, &e);
    json_t *da = json_object_get(spec, "dynamicAllocation");
    if (json_is_object(da)) {
        check_int_min(da, "minExecutors", "spec.dynamicAllocation.minExecutors", 0, &e);
        check_int_min(da, "maxExecutors", "spec.dynamicAllocation.maxExecutors", 0, &e);
        int64_t mn = slu_json_int(da, "minExecutors", 0);
        int64_t mx = slu_json_int(da, "maxExecutors", INT64_MAX);
        if (mx < mn)
            cause(&e, "spec.dynamicAllocation.maxExecutors",
                  "must be greater than or equal to minExecutors (%lld)", (long long)mn);
    }
    check_int_min(spec, "timeToLiveSeconds", "spec.timeToLiveSeconds", 0, &e);
    /* nodeSelector at app level and pod level are mutually exclusive */
    if (json_object_size(json_object_get(spec, "nodeSelector")) > 0 &&
        (json_object_size(slu_json_path(spec, "driver.nodeSelector")) > 0 ||
         json_object_size(slu_json_path(spec, "executor.nodeSelector")) > 0))
        cause(&e, "spec.nodeSelector",
              "node selector cannot be defined at both SparkApplication and Driver/Executor");
    /* template needs Spark >= 3 */
    if (sv && sv[0] >= '0' && sv[0] < '3' && isdigit((unsigned char)sv[0]) &&
        (slu_json_path(spec, "driver.template") || slu_json_path(spec, "executor.template")))
        cause(&e, "spec.driver.template", "pod template requires Spark 3.0.0 or later (got %s)",
              sv);
    /* denied sparkConf keys */
    json_t *sc = json_object_get(spec, "sparkConf");
    if (sc && !json_is_object(sc))
        cause(&e, "spec.sparkConf", "must be a map of strings");
    static const char *const denied[] = {
        "spark.master",
        "spark.kubernetes.driver.master",
        "spark.kubernetes.container.image",
        "spark.kubernetes.driver.container.image",
        "spark.kubernetes.executor.container.image",
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        "spark.kubernetes.authenticate.submission.oauthToken",
        "spark.kubernetes.authenticate.driver.oauthToken",
        "spark.kubernetes.authenticate.submission.oauthTokenFile",
        NULL,
    };
    const char *k;
    json_t *v;
    json_object_foreach(sc, k, v)
    {
        char f[512];
        snprintf(f, sizeof(f), "spec.sparkConf[%s]", k);
        for (size_t i = 0; denied[i]; i++)
            if (strcmp(k, denied[i]) == 0)
                cause(&e, f, "%s is not allowed in sparkConf; use the matching spec field", k);
        if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
            cause(&e, f, "must be a string");
        if (strcmp(k, "spark.kubernetes.namespace") == 0 && json_is_string(v)) {
            const char *ns = slu_json_str(app, "metadata.namespace");
            if (ns && strcmp(ns, json_string_value(v)) != 0)
                cause(&e, f, "must equal the application's namespace \"%s\"", ns);
        }
    }
out:
    if (e.ncauses == 0) {
        slu_err_release(&e);
        return 0;
    }
    struct slu_buf b = {0};
    slu_buf_printf(&b, "SparkApplication \"%s\" is invalid: ", name ? name : "");
    for (size_t i = 0; i < e.ncauses; i++) {
        const char *m = e.causes[i].message;
        if (slu_str_has_prefix(m, e.causes[i].field ? e.causes[i].field : "\x01"))
            slu_buf_printf(&b, "%s%s", i ? "; " : "", m);
        else
            slu_buf_printf(&b, "%s%s: %s", i ? "; " : "", e.causes[i].field, m);
    }
    slu_err_set(&e, SLU_EINVAL, "%s", b.data);
    slu_err_set_reason(&e, "Invalid");
    slu_buf_release(&b);
    slu_err_move(err, &e);
    return SLU_EINVAL;
}

/* ---------------------------------------------------------------- app -> submission */

void spark_submission_free(struct spark_submission *s)
{
    if (!s)
        return;
    spark_conf_free(s->conf);
    free(s->main_class);
    free(s->primary_resource);
    slu_strv_free(s->args);
    free(s->app_type);
    free(s->spark_version);
    free(s->namespace);
    free(s->app_name);
    free(s->proxy_user);
    free(s->driver_pod_name);
    json_decref(s->driver_extras);
    json_decref(s->executor_extras);
    json_decref(s->driver_template);
    json_decref(s->executor_template);
    free(s);
}

static void pod_labels(struct spark_conf *c, const char *role, const json_t *app, const json_t *pod,
                       const char *submission_id)
{
    char key[512];
    const char *name = slu_json_str(app, "metadata.name");
    /* app labels (except kueue.x-k8s.io/), then pod labels, then the operator's own */
    const char *k;
    json_t *v;
    json_object_foreach(slu_json_path(app, "metadata.labels"), k, v)
    {
        if (slu_str_has_prefix(k, "kueue.x-k8s.io/"))
            continue;
        snprintf(key, sizeof(key), "spark.kubernetes.%s.label.%s", role, k);
        conf_set_json(c, key, v);
    }
    json_object_foreach(json_object_get(pod, "labels"), k, v)
    {
        snprintf(key, sizeof(key), "spark.kubernetes.%s.label.%s", role, k);
        conf_set_json(c, key, v);
    }
    json_object_foreach(json_object_get(pod, "annotations"), k, v)
    {
        snprintf(key, sizeof(key), "spark.kubernetes.%s.annotation.%s", role, k);
        conf_set_json(c, key, v);
    }
    snprintf(key, sizeof(key), "spark.kubernetes.%s.label.%s", role, SPARK_LABEL_APP_NAME);
    spark_conf_set(c, key, name);
    snprintf(key, sizeof(key), "spark.kubernetes.%s.label.%s", role, SPARK_LABEL_LAUNCHED_BY);
    spark_conf_set(c, key, "true");
    if (submission_id) {
        snprintf(key, sizeof(key), "spark.kubernetes.%s.label.%s", role, SPARK_LABEL_SUBMISSION_ID);
        spark_conf_set(c, key, submission_id);
    }
}

static void pod_secrets_env(struct spark_conf *c, const char *role, const json_t *pod)
{
    char key[512];
    const char *k;
    json_t *v;
    /* envVars (deprecated map) */
    const char *env_prefix =
        strcmp(role, "driver") == 0 ? "spark.kubernetes.driverEnv." : "spark.executorEnv.";
    json_object_foreach(json_object_get(pod, "envVars"), k, v)
    {
        snprintf(key, sizeof(key), "%s%s", env_prefix, k);
        conf_set_json(c, key, v);
    }
    json_object_foreach(json_object_get(pod, "envSecretKeyRefs"), k, v)
    {
        const char *sn = slu_json_str(v, "name"), *sk = slu_json_str(v, "key");
        if (!sn || !sk)
            continue;
        snprintf(key, sizeof(key), "spark.kubernetes.%s.secretKeyRef.%s", role, k);
        char *val = slu_asprintf("%s:%s", sn, sk);
        spark_conf_set(c, key, val);
        free(val);
    }
    size_t i;
    json_array_foreach(json_object_get(pod, "secrets"), i, v)
    {
        const char *sn = slu_json_str(v, "name"), *path = slu_json_str(v, "path");
        if (!sn || !path)
            continue;
        snprintf(key, sizeof(key), "spark.kubernetes.%s.secrets.%s", role, sn);
        spark_conf_set(c, key, path);
        const char *st = slu_json_str(v, "secretType");
        const char *envname = NULL, *file = NULL;
        if (st && strcmp(st, "GCPServiceAccount") == 0) {
            envname = "GOOGLE_APPLICATION_CREDENTIALS";
            file = "key.json";
        } else if (st && strcmp(st, "HadoopDelegationToken") == 0) {
            envname = "HADOOP_TOKEN_FILE_LOCATION";
            file = "hadoop.token";
        }
        if (envname) {
            snprintf(key, sizeof(key), "%s%s", env_prefix, envname);
            char *val = slu_asprintf("%s/%s", path, file);
            spark_conf_set(c, key, val);
            free(val);
        }
    }
}

/* volumeMounts whose volume name starts with spark-local-dir- become Spark volume confs. */
static void pod_local_dirs(struct spark_conf *c, const char *role, const json_t *app,
                           const json_t *pod)
{
    size_t i, j;
    json_t *m, *vol;
    json_array_foreach(json_object_get(pod, "volumeMounts"), i, m)
    {
        const char *vname = slu_json_str(m, "name");
        if (!vname || !slu_str_has_prefix(vname, "spark-local-dir-"))
            continue;
        json_array_foreach(slu_json_path(app, "spec.volumes"), j, vol)
        {
            if (!slu_streq(slu_json_str(vol, "name"), vname))
                continue;
            const char *type = NULL;
            json_t *src = NULL;
            static const char *const kinds[][2] = {
                {"hostPath", "hostPath"},
                {"emptyDir", "emptyDir"},
                {"nfs", "nfs"},
                {"persistentVolumeClaim", "persistentVolumeClaim"}};
            for (size_t t = 0; t < SLU_ARRAY_LEN(kinds); t++)
                if ((src = json_object_get(vol, kinds[t][0])) != NULL) {
                    type = kinds[t][1];
                    break;
                }
            if (!type)
                break;
            char key[512];
            snprintf(key, sizeof(key), "spark.kubernetes.%s.volumes.%s.%s.mount.path", role, type,
                     vname);
            conf_set_json(c, key, json_object_get(m, "mountPath"));
            if (json_object_get(m, "readOnly")) {
                snprintf(key, sizeof(key), "spark.kubernetes.%s.volumes.%s.%s.mount.readOnly", role,
                         type, vname);
                conf_set_json(c, key, json_object_get(m, "readOnly"));
            }
            if (json_object_get(m, "subPath")) {
                snprintf(key, sizeof(key), "spark.kubernetes.%s.volumes.%s.%s.mount.subPath", role,
                         type, vname);
                conf_set_json(c, key, json_object_get(m, "subPath"));
            }
            const char *ok;
            json_t *ov;
            json_object_foreach(src, ok, ov)
            {
                snprintf(key, sizeof(key), "spark.kubernetes.%s.volumes.%s.%s.options.%s", role,
                         type, vname, ok);
                conf_set_json(c, key, ov);
            }
            break;
        }
    }
}

/* Extras: the pod-spec fields the Kubeflow webhook would patch into pods, plus the app-level
 * fields they depend on (volumes, spark/hadoop ConfigMaps, batch scheduler). */
static json_t *pod_extras(const json_t *app, const json_t *pod)
{
    json_t *x = json_is_object(pod) ? slu_json_copy(pod) : json_object();
    json_object_del(x, "template");
    json_t *vols = slu_json_path(app, "spec.volumes");
    if (json_is_array(vols))
        json_object_set(x, "volumes", vols);
    static const char *const app_fields[] = {"sparkConfigMap", "hadoopConfigMap", "batchScheduler"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(app_fields); i++) {
        json_t *v = json_object_get(json_object_get(app, "spec"), app_fields[i]);
        if (v)
            json_object_set(x, app_fields[i], v);
    }
    return x;
}

char *spark_app_driver_pod_name(const json_t *app)
{
    const char *n = slu_json_str(app, "spec.driver.podName");
    if (n && *n)
        return slu_strdup(n);
    json_t *sc = slu_json_path(app, "spec.sparkConf");
    n = json_string_value(json_object_get(sc, "spark.kubernetes.driver.pod.name"));
    if (n && *n)
        return slu_strdup(n);
    return slu_asprintf("%s-driver", slu_json_str(app, "metadata.name"));
}

int spark_app_to_submission(const json_t *app_in, const char *submission_id,
                            struct spark_submission **out, struct slu_err *err)
{
    json_t *app = slu_json_copy(app_in);
    spark_app_apply_defaults(app);
    int rc = spark_app_validate(app, err);
    if (rc) {
        json_decref(app);
        return rc;
    }
    struct spark_submission *s = slu_calloc(1, sizeof(*s));
    struct spark_conf *c = s->conf = spark_conf_new();
    json_t *spec = json_object_get(app, "spec");
    json_t *driver = json_object_get(spec, "driver");
    json_t *executor = json_object_get(spec, "executor");
    const char *name = slu_json_str(app, "metadata.name");
    const char *ns = slu_json_str(app, "metadata.namespace");
    s->namespace = slu_strdup(ns ? ns : "default");
    s->app_name = slu_strdup(name);
    s->app_type = slu_strdup(slu_json_str(spec, "type"));
    s->spark_version = slu_strdup(slu_json_str(spec, "sparkVersion"));
    s->main_class = slu_strdup(slu_json_str(spec, "mainClass"));
    s->primary_resource = slu_strdup(slu_json_str(spec, "mainApplicationFile"));
    s->proxy_user = slu_strdup(slu_json_str(spec, "proxyUser"));
    s->driver_pod_name = spark_app_driver_pod_name(app);

    /* in the order the operator passes them to spark-submit */
    spark_conf_set(c, "spark.submit.deployMode", slu_json_str(spec, "mode"));
    spark_conf_set(c, "spark.app.name", name);
    conf_set_joined(c, "spark.jars", slu_json_path(spec, "deps.jars"));
    conf_set_joined(c, "spark.jars.packages", slu_json_path(spec, "deps.packages"));
    conf_set_joined(c, "spark.jars.excludes", slu_json_path(spec, "deps.excludePackages"));
    conf_set_joined(c, "spark.jars.repositories", slu_json_path(spec, "deps.repositories"));
    conf_set_joined(c, "spark.submit.pyFiles", slu_json_path(spec, "deps.pyFiles"));
    conf_set_joined(c, "spark.files", slu_json_path(spec, "deps.files"));
    conf_set_joined(c, "spark.archives", slu_json_path(spec, "deps.archives"));
    spark_conf_set(c, "spark.kubernetes.namespace", s->namespace);
    conf_set_json(c, "spark.kubernetes.container.image", json_object_get(spec, "image"));
    conf_set_json(c, "spark.kubernetes.container.image.pullPolicy",
                  json_object_get(spec, "imagePullPolicy"));
    conf_set_joined(c, "spark.kubernetes.container.image.pullSecrets",
                    json_object_get(spec, "imagePullSecrets"));
    conf_set_json(c, "spark.kubernetes.pyspark.pythonVersion",
                  json_object_get(spec, "pythonVersion"));
    conf_set_json(c, "spark.kubernetes.memoryOverheadFactor",
                  json_object_get(spec, "memoryOverheadFactor"));
    spark_conf_set(c, "spark.kubernetes.submission.waitAppCompletion", "false");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(spec, "sparkConf"), k, v)
    {
        if (strcmp(k, "spark.kubernetes.driver.pod.name") != 0)
            conf_set_json(c, k, v);
    }
    conf_set_map(c, "spark.hadoop.", json_object_get(spec, "hadoopConf"));
    spark_conf_set(c, "spark.kubernetes.driver.pod.name", s->driver_pod_name);

    /* driver */
    pod_labels(c, "driver", app, driver, submission_id);
    conf_set_json(c, "spark.kubernetes.driver.container.image", json_object_get(driver, "image"));
    conf_set_json(c, "spark.driver.cores", json_object_get(driver, "cores"));
    conf_set_json(c, "spark.kubernetes.driver.request.cores",
                  json_object_get(driver, "coreRequest"));
    conf_set_json(c, "spark.kubernetes.driver.limit.cores", json_object_get(driver, "coreLimit"));
    conf_set_json(c, "spark.driver.memory", json_object_get(driver, "memory"));
    conf_set_json(c, "spark.driver.memoryOverhead", json_object_get(driver, "memoryOverhead"));
    conf_set_json(c, "spark.kubernetes.authenticate.driver.serviceAccountName",
                  json_object_get(driver, "serviceAccount"));
    conf_set_json(c, "spark.driver.extraJavaOptions", json_object_get(driver, "javaOptions"));
    conf_set_json(c, "spark.kubernetes.driver.master", json_object_get(driver, "kubernetesMaster"));
    conf_set_map(c, "spark.kubernetes.driver.service.label.",
                 json_object_get(driver, "serviceLabels"));
    conf_set_map(c, "spark.kubernetes.driver.service.annotation.",
                 json_object_get(driver, "serviceAnnotations"));
    pod_secrets_env(c, "driver", driver);
    pod_local_dirs(c, "driver", app, driver);

    /* executor */
    conf_set_json(c, "spark.executor.instances", json_object_get(executor, "instances"));
    conf_set_json(c, "spark.kubernetes.executor.container.image",
                  json_object_get(executor, "image"));
    conf_set_json(c, "spark.executor.cores", json_object_get(executor, "cores"));
    conf_set_json(c, "spark.kubernetes.executor.request.cores",
                  json_object_get(executor, "coreRequest"));
    conf_set_json(c, "spark.kubernetes.executor.limit.cores",
                  json_object_get(executor, "coreLimit"));
    conf_set_json(c, "spark.executor.memory", json_object_get(executor, "memory"));
    conf_set_json(c, "spark.executor.memoryOverhead", json_object_get(executor, "memoryOverhead"));
    conf_set_json(c, "spark.kubernetes.authenticate.executor.serviceAccountName",
                  json_object_get(executor, "serviceAccount"));
    conf_set_json(c, "spark.kubernetes.executor.deleteOnTermination",
                  json_object_get(executor, "deleteOnTermination"));
    pod_labels(c, "executor", app, executor, submission_id);
    conf_set_json(c, "spark.executor.extraJavaOptions", json_object_get(executor, "javaOptions"));
    pod_secrets_env(c, "executor", executor);
    pod_local_dirs(c, "executor", app, executor);

    conf_set_map(c, "spark.kubernetes.node.selector.", json_object_get(spec, "nodeSelector"));
    json_t *da = json_object_get(spec, "dynamicAllocation");
    if (json_is_true(json_object_get(da, "enabled"))) {
        spark_conf_set(c, "spark.dynamicAllocation.enabled", "true");
        conf_set_json(c, "spark.dynamicAllocation.initialExecutors",
                      json_object_get(da, "initialExecutors"));
        conf_set_json(c, "spark.dynamicAllocation.minExecutors",
                      json_object_get(da, "minExecutors"));
        conf_set_json(c, "spark.dynamicAllocation.maxExecutors",
                      json_object_get(da, "maxExecutors"));
        json_t *st = json_object_get(da, "shuffleTrackingEnabled");
        spark_conf_set(c, "spark.dynamicAllocation.shuffleTracking.enabled",
                       st && !json_is_true(st) ? "false" : "true");
        conf_set_json(c, "spark.dynamicAllocation.shuffleTracking.timeout",
                      json_object_get(da, "shuffleTrackingTimeout"));
    }

    /* arguments */
    json_t *args = json_object_get(spec, "arguments");
    size_t nargs = json_is_array(args) ? json_array_size(args) : 0;
    s->args = slu_calloc(nargs + 1, sizeof(char *));
    for (size_t i = 0; i < nargs; i++) {
        char *t = scalar_text(json_array_get(args, i));
        s->args[s->nargs++] = t ? t : slu_strdup("");
    }
    s->driver_extras = pod_extras(app, driver);
    s->executor_extras = pod_extras(app, executor);
    json_t *dt = json_object_get(driver, "template");
    json_t *et = json_object_get(executor, "template");
    s->driver_template = json_is_object(dt) ? slu_json_copy(dt) : NULL;
    s->executor_template = json_is_object(et) ? slu_json_copy(et) : NULL;
    json_decref(app);
    *out = s;
    return 0;
}

/* ---------------------------------------------------------------- submission -> app */

/* conf keys that have their own spec field: (conf key, spec path, kind) where kind is 's' string,
 * 'i' integer, 'b' boolean. */
static const struct {
    const char *key;
    const char *path;
    char kind;
} field_map[] = {
    {"spark.kubernetes.container.image", "spec.image", 's'},
    {"spark.kubernetes.container.image.pullPolicy", "spec.imagePullPolicy", 's'},
    {"spark.kubernetes.pyspark.pythonVersion", "spec.pythonVersion", 's'},
    {"spark.kubernetes.memoryOverheadFactor", "spec.memoryOverheadFactor", 's'},
    {"spark.kubernetes.driver.container.image", "spec.driver.image", 's'},
    {"spark.driver.cores", "spec.driver.cores", 'i'},
    {"spark.kubernetes.driver.request.cores", "spec.driver.coreRequest", 's'},
    {"spark.kubernetes.driver.limit.cores", "spec.driver.coreLimit", 's'},
    {"spark.driver.memory", "spec.driver.memory", 's'},
    {"spark.driver.memoryOverhead", "spec.driver.memoryOverhead", 's'},
    {"spark.kubernetes.authenticate.driver.serviceAccountName", "spec.driver.serviceAccount", 's'},
    {"spark.driver.extraJavaOptions", "spec.driver.javaOptions", 's'},
    {"spark.kubernetes.executor.container.image", "spec.executor.image", 's'},
    {"spark.executor.instances", "spec.executor.instances", 'i'},
    {"spark.executor.cores", "spec.executor.cores", 'i'},
    {"spark.kubernetes.executor.request.cores", "spec.executor.coreRequest", 's'},
    {"spark.kubernetes.executor.limit.cores", "spec.executor.coreLimit", 's'},
    {"spark.executor.memory", "spec.executor.memory", 's'},
    {"spark.executor.memoryOverhead", "spec.executor.memoryOverhead", 's'},
    {"spark.kubernetes.authenticate.executor.serviceAccountName", "spec.executor.serviceAccount",
     's'},
    {"spark.executor.extraJavaOptions", "spec.executor.javaOptions", 's'},
    {"spark.kubernetes.executor.deleteOnTermination", "spec.executor.deleteOnTermination", 'b'},
    {"spark.dynamicAllocation.enabled", "spec.dynamicAllocation.enabled", 'b'},
    {"spark.dynamicAllocation.initialExecutors", "spec.dynamicAllocation.initialExecutors", 'i'},
    {"spark.dynamicAllocation.minExecutors", "spec.dynamicAllocation.minExecutors", 'i'},
    {"spark.dynamicAllocation.maxExecutors", "spec.dynamicAllocation.maxExecutors", 'i'},
    {"spark.dynamicAllocation.shuffleTracking.enabled",
     "spec.dynamicAllocation.shuffleTrackingEnabled", 'b'},
};

static const struct {
    const char *key;
    const char *path;
} list_map[] = {
    {"spark.jars", "spec.deps.jars"},
    {"spark.jars.packages", "spec.deps.packages"},
    {"spark.jars.excludes", "spec.deps.excludePackages"},
    {"spark.jars.repositories", "spec.deps.repositories"},
    {"spark.submit.pyFiles", "spec.deps.pyFiles"},
    {"spark.files", "spec.deps.files"},
    {"spark.archives", "spec.deps.archives"},
    {"spark.kubernetes.container.image.pullSecrets", "spec.imagePullSecrets"},
};

static const struct {
    const char *prefix;
    const char *path;
} map_map[] = {
    {"spark.kubernetes.driver.label.", "spec.driver.labels"},
    {"spark.kubernetes.executor.label.", "spec.executor.labels"},
    {"spark.kubernetes.driver.annotation.", "spec.driver.annotations"},
    {"spark.kubernetes.executor.annotation.", "spec.executor.annotations"},
    {"spark.kubernetes.driver.service.label.", "spec.driver.serviceLabels"},
    {"spark.kubernetes.driver.service.annotation.", "spec.driver.serviceAnnotations"},
    {"spark.kubernetes.node.selector.", "spec.nodeSelector"},
    {"spark.hadoop.", "spec.hadoopConf"},
};

static json_t *typed_value(const char *v, char kind)
{
    if (kind == 'i') {
        int64_t n;
        if (slu_parse_i64(v, &n) == 0)
            return json_integer(n);
    } else if (kind == 'b') {
        if (strcmp(v, "true") == 0)
            return json_true();
        if (strcmp(v, "false") == 0)
            return json_false();
    }
    return json_string(v);
}

/* Sets a map entry at path.key where key may contain dots (so slu_json_set cannot be used). */
static void set_map_entry(json_t *app, const char *path, const char *key, const char *value)
{
    json_t *m = slu_json_path(app, path);
    if (!json_is_object(m)) {
        slu_json_set(app, path, json_object());
        m = slu_json_path(app, path);
    }
    json_object_set_new(m, key, json_string(value));
}

int spark_app_from_conf(const struct spark_conf *conf, const char *main_class,
                        const char *primary_resource, char *const *args, size_t nargs,
                        const char *ns, const char *name, const char *spark_version, json_t **out,
                        struct slu_err *err)
{
    if (!primary_resource || !*primary_resource)
        return slu_err_set(err, SLU_EINVAL, "Missing application resource.");
    if (!name || !*name)
        name = spark_conf_get(conf, "spark.app.name");
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "an application name is needed (--name)");
    json_t *app = json_object();
    json_object_set_new(app, "apiVersion", json_string("sparkoperator.k8s.io/v1beta2"));
    json_object_set_new(app, "kind", json_string("SparkApplication"));
    json_t *meta = obj_at(app, "metadata");
    json_object_set_new(meta, "name", json_string(name));
    const char *cns = spark_conf_get(conf, "spark.kubernetes.namespace");
    json_object_set_new(meta, "namespace", json_string(ns ? ns : cns ? cns : "default"));
    json_t *spec = obj_at(app, "spec");
    const char *type = "Scala";
    if (slu_str_has_suffix(primary_resource, ".py"))
        type = "Python";
    else if (slu_str_has_suffix(primary_resource, ".R") ||
             slu_str_has_suffix(primary_resource, ".r"))
        type = "R";
    json_object_set_new(spec, "type", json_string(type));
    const char *mode = spark_conf_get(conf, "spark.submit.deployMode");
    json_object_set_new(spec, "mode", json_string(mode ? mode : "cluster"));
    json_object_set_new(spec, "sparkVersion", json_string(spark_version ? spark_version : "4.0.0"));
    if (main_class && *main_class)
        json_object_set_new(spec, "mainClass", json_string(main_class));
    json_object_set_new(spec, "mainApplicationFile", json_string(primary_resource));
    if (nargs) {
        json_t *a = json_array();
        for (size_t i = 0; i < nargs; i++)
            json_array_append_new(a, json_string(args[i]));
        json_object_set_new(spec, "arguments", a);
    }
    obj_at(spec, "driver");
    obj_at(spec, "executor");
    for (size_t i = 0; i < spark_conf_len(conf); i++) {
        const char *k = spark_conf_key_at(conf, i), *v = spark_conf_value_at(conf, i);
        bool done = false;
        if (strcmp(k, "spark.app.name") == 0 || strcmp(k, "spark.submit.deployMode") == 0 ||
            strcmp(k, "spark.master") == 0 || strcmp(k, "spark.kubernetes.namespace") == 0)
            continue;
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(field_map); j++)
            if (strcmp(k, field_map[j].key) == 0) {
                slu_json_set(app, field_map[j].path, typed_value(v, field_map[j].kind));
                done = true;
            }
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(list_map); j++)
            if (strcmp(k, list_map[j].key) == 0) {
                json_t *arr = json_array();
                char **parts = slu_str_split(v, ',', true, NULL);
                for (char **p = parts; *p; p++)
                    if (**p)
                        json_array_append_new(arr, json_string(*p));
                slu_strv_free(parts);
                slu_json_set(app, list_map[j].path, arr);
                done = true;
            }
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(map_map); j++)
            if (slu_str_has_prefix(k, map_map[j].prefix) && k[strlen(map_map[j].prefix)]) {
                set_map_entry(app, map_map[j].path, k + strlen(map_map[j].prefix), v);
                done = true;
            }
        if (!done && slu_str_has_prefix(k, "spark.kubernetes.driverEnv.")) {
            set_map_entry(app, "spec.driver.envVars", k + strlen("spark.kubernetes.driverEnv."), v);
            done = true;
        }
        if (!done && slu_str_has_prefix(k, "spark.executorEnv.")) {
            set_map_entry(app, "spec.executor.envVars", k + strlen("spark.executorEnv."), v);
            done = true;
        }
        if (!done)
            set_map_entry(app, "spec.sparkConf", k, v);
    }
    /* the operator needs a restart policy; a spark-submit never retries */
    if (!slu_json_path(app, "spec.restartPolicy"))
        slu_json_set(app, "spec.restartPolicy", json_pack("{s:s}", "type", "Never"));
    *out = app;
    return 0;
}
