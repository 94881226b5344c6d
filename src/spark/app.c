/*
 * app.c - the SparkApplication (sparkoperator.k8s.io/v1beta2) model: defaults, validation with
 * field paths, and the conversion both ways between a SparkApplication and what spark-submit
 * would be given (effective conf, primary resource, arguments), following the Kubeflow operator's
 * mapping of each spec field onto spark-submit (spec/sparkapplication.md §3.1) and its webhooks
 * (§1.2 defaults, §3.3 pod mutations and validation).
 *
 * How it works. The model stays JSON (the object as stored in the API server): the operator reads
 * it from an informer and writes status back, so a C struct copy would only be converted back
 * and forth. What makes it a typed model is the schema table below (`spec_fields` and the tables
 * it points to): every field of the CRD with its JSON type, whether it is required, its enum or
 * bounds. spark_app_validate walks the object against that table first (a string where an integer
 * belongs is "spec.driver.cores: must be an integer, not a string (\"two\")"), then checks what
 * the types cannot say (memory strings, quantities, names, the validating webhook's rules). The
 * conversion only reads values of the right type, so a bad document can never crash it.
 *
 * spark_app_to_submission applies the defaults, validates, then maps the fields in the order the
 * operator passes them to spark-submit (buildSparkSubmitArgs); fields the operator leaves to its
 * mutating pod webhook travel as "extras" (a SparkPodSpec JSON) that the builder applies itself,
 * with the ConfigMap volumes the webhook would add (spark/hadoop conf, Prometheus) made explicit.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

#define DRIVER_CONTAINER "spark-kubernetes-driver"
#define EXECUTOR_CONTAINER "spark-kubernetes-executor"
#define PROM_MOUNT_PATH "/etc/metrics/conf"
#define PROM_CONFIG_KEY "prometheus.yaml"
#define METRICS_PROPERTIES_KEY "metrics.properties"
#define PROM_DEFAULT_PORT 8090
#define PROM_DEFAULT_PORT_NAME "jmx-exporter"
#define SPARK_CONF_VOLUME "spark-configmap-volume"
#define HADOOP_CONF_VOLUME "hadoop-configmap-volume"
#define SPARK_CONF_DIR_DEFAULT "/etc/spark/conf"
#define HADOOP_CONF_DIR_DEFAULT "/etc/hadoop/conf"
#define LOCAL_DIR_PREFIX "spark-local-dir-"
#define MAX_CAUSES 64

/* metrics.properties when the app gives none (Spark's JMX sink and JVM sources). */
static const char prom_default_metrics_properties[] =
    "*.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink\n"
    "driver.source.jvm.class=org.apache.spark.metrics.source.JvmSource\n"
    "executor.source.jvm.class=org.apache.spark.metrics.source.JvmSource\n";
/* prometheus.yaml (JMX exporter rules) when the app gives none: Sluice's own short rule set that
 * exports every Spark metric gauge of the driver and executors with the app namespace and id as
 * labels (not the Kubeflow operator's longer default). */
static const char prom_default_configuration[] =
    "lowercaseOutputName: true\n"
    "attrNameSnakeCase: true\n"
    "rules:\n"
    "  - pattern: metrics<name=(\\S+)\\.(\\S+)\\.driver\\.(\\S+)><>Value\n"
    "    name: spark_driver_$3\n"
    "    type: GAUGE\n"
    "    labels: {app_namespace: \"$1\", app_id: \"$2\"}\n"
    "  - pattern: metrics<name=(\\S+)\\.(\\S+)\\.(\\S+)\\.executor\\.(\\S+)><>Value\n"
    "    name: spark_executor_$4\n"
    "    type: GAUGE\n"
    "    labels: {app_namespace: \"$1\", app_id: \"$2\", executor_id: \"$3\"}\n"
    "  - pattern: metrics<name=(\\S+)\\.(\\S+)\\.(\\S+)\\.executor\\.(\\S+)><>Count\n"
    "    name: spark_executor_$4_count\n"
    "    type: COUNTER\n"
    "    labels: {app_namespace: \"$1\", app_id: \"$2\", executor_id: \"$3\"}\n";

/* ---------------------------------------------------------------- small helpers */

static bool absent(const json_t *v)
{
    return !v || json_is_null(v);
}

/* The object at parent[key], created when absent (or null). NULL when parent is not an object or
 * the member has another type (left alone for the validator to report). Borrowed. */
static json_t *obj_at(json_t *parent, const char *key)
{
    if (!json_is_object(parent))
        return NULL;
    json_t *o = json_object_get(parent, key);
    if (absent(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return json_is_object(o) ? o : NULL;
}

/* A JSON integer, or a real with an integral value (YAML "1.0"), into *out. */
static bool int_of(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

/* A JSON scalar as conf text: strings verbatim, integers, reals, booleans. NULL otherwise. */
static char *scalar_text(const json_t *v)
{
    int64_t n;
    if (json_is_string(v))
        return slu_strdup(json_string_value(v));
    if (int_of(v, &n))
        return slu_asprintf("%lld", (long long)n);
    if (json_is_real(v))
        return slu_asprintf("%g", json_real_value(v));
    if (json_is_boolean(v))
        return slu_strdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

/* A conf key joined from parts (NULL-terminated), in kb->stack when it fits, else allocated
 * (kb->heap; release with kb_release). The conversion builds ~40 keys per application. */
struct keybuf {
    char stack[256];
    char *heap;
};

static const char *kjoin(struct keybuf *kb, ...)
{
    va_list ap;
    size_t total = 0;
    va_start(ap, kb);
    for (const char *p; (p = va_arg(ap, const char *)) != NULL;)
        total += strlen(p);
    va_end(ap);
    char *out = kb->stack;
    if (total >= sizeof(kb->stack)) {
        free(kb->heap);
        out = kb->heap = slu_malloc(total + 1);
    }
    size_t at = 0;
    va_start(ap, kb);
    for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
        size_t n = strlen(p);
        memcpy(out + at, p, n);
        at += n;
    }
    va_end(ap);
    out[at] = '\0';
    return out;
}

static void kb_release(struct keybuf *kb)
{
    free(kb->heap);
    kb->heap = NULL;
}

/* n in decimal into buf (>= 21 bytes); returns buf. */
static const char *i64_text(int64_t n, char *buf)
{
    char tmp[24];
    size_t d = sizeof(tmp);
    uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
    tmp[--d] = '\0';
    do {
        tmp[--d] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        tmp[--d] = '-';
    memcpy(buf, tmp + d, sizeof(tmp) - d);
    return buf;
}

/* conf key = scalar_text(v), without the copies for strings and integers. */
static void conf_set_json(struct spark_conf *c, const char *key, const json_t *v)
{
    int64_t n;
    char nb[24];
    if (json_is_string(v)) {
        spark_conf_set(c, key, json_string_value(v));
        return;
    }
    if (int_of(v, &n)) {
        spark_conf_set(c, key, i64_text(n, nb));
        return;
    }
    char *s = scalar_text(v);
    if (s) {
        spark_conf_set(c, key, s);
        free(s);
    }
}

/* A non-empty string field (the operator skips nil and "" for these). */
static const char *nonempty(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : NULL;
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
        if (i)
            slu_buf_putc(&b, ',');
        slu_buf_puts(&b, json_string_value(v));
    }
    spark_conf_set(c, key, b.data ? b.data : "");
    slu_buf_release(&b);
}

static void conf_set_map(struct spark_conf *c, const char *prefix, const json_t *map)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        if (!json_is_string(v))
            continue;
        struct keybuf kb = {.heap = NULL};
        spark_conf_set(c, kjoin(&kb, prefix, k, NULL), json_string_value(v));
        kb_release(&kb);
    }
}

/* Leading "v?MAJOR[.MINOR[.PATCH]]" of a version string; false when it does not start so. */
static bool parse_version(const char *s, int v[3])
{
    v[0] = v[1] = v[2] = 0;
    if (!s)
        return false;
    if (*s == 'v')
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    for (int i = 0; i < 3; i++) {
        int n = 0;
        while (isdigit((unsigned char)*s)) {
            if (n < 100000)
                n = n * 10 + (*s - '0');
            s++;
        }
        v[i] = n;
        if (*s != '.' || !isdigit((unsigned char)s[1]))
            break;
        s++;
    }
    return true;
}

/* util.CompareSemanticVersion(v, "3.0.0") < 0; unparsable versions are not "older". */
static bool older_than_3(const char *version)
{
    int v[3];
    return parse_version(version, v) && v[0] < 3;
}

const char *spark_app_rules_version(const char *spark_version)
{
    int v[3];
    if (!spark_version || !parse_version(spark_version, v))
        return "4.0";
    return v[0] >= 4 ? "4.0" : "3.5";
}

/* ---------------------------------------------------------------- schema (the typed model) */

enum fkind {
    F_STR,         /* string (optionally one of enums) */
    F_INT,         /* integer (int32 or int64; optional bounds) */
    F_BOOL,        /* boolean */
    F_MAP,         /* object of strings (map[string]string) */
    F_STRLIST,     /* array of strings */
    F_OBJ,         /* object, contents not checked (Kubernetes types, pod templates) */
    F_ARR,         /* array of objects, contents not checked */
    F_STRUCT,      /* object checked against sub */
    F_STRUCTLIST,  /* array of objects checked against sub */
    F_STRUCTMAP,   /* object whose values are objects checked against sub */
    F_QUANTITYMAP, /* object of Kubernetes quantities (int or string) */
};

struct field {
    const char *name;
    enum fkind kind;
    bool required;
    int bits; /* F_INT: 32 or 64 */
    bool has_min, has_max;
    int64_t min, max;
    const char *const *enums;
    const struct field *sub;
};

#define FS(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = F_STR                                                                   \
    }
#define FSE(n, e)                                                                                  \
    {                                                                                              \
        .name = n, .kind = F_STR, .enums = e                                                       \
    }
#define FI32(n)                                                                                    \
    {                                                                                              \
        .name = n, .kind = F_INT, .bits = 32                                                       \
    }
#define FI64(n)                                                                                    \
    {                                                                                              \
        .name = n, .kind = F_INT, .bits = 64                                                       \
    }
#define FB(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = F_BOOL                                                                  \
    }
#define FM(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = F_MAP                                                                   \
    }
#define FSL(n)                                                                                     \
    {                                                                                              \
        .name = n, .kind = F_STRLIST                                                               \
    }
#define FO(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = F_OBJ                                                                   \
    }
#define FA(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = F_ARR                                                                   \
    }
#define FEND                                                                                       \
    {                                                                                              \
        .name = NULL                                                                               \
    }

static const char *const e_types[] = {"Java", "Python", "Scala", "R", NULL};
static const char *const e_modes[] = {"cluster", "client", NULL};
static const char *const e_policies[] = {"Never", "Always", "OnFailure", NULL};
static const char *const e_pyv[] = {"2", "3", NULL};
static const char *const e_pull[] = {"Always", "Never", "IfNotPresent", NULL};
static const char *const e_proto[] = {"TCP", "UDP", "SCTP", NULL};

static const struct field f_gpu[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "quantity", .kind = F_INT, .bits = 64, .required = true},
    FEND,
};
static const struct field f_name_path[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "path", .kind = F_STR, .required = true},
    FEND,
};
static const struct field f_secret[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "path", .kind = F_STR, .required = true},
    {.name = "secretType", .kind = F_STR, .required = true},
    FEND,
};
static const struct field f_env[] = {
    {.name = "name", .kind = F_STR, .required = true},
    FS("value"),
    FO("valueFrom"),
    FEND,
};
static const struct field f_name_key[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "key", .kind = F_STR, .required = true},
    FEND,
};
static const struct field f_mount[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "mountPath", .kind = F_STR, .required = true},
    FB("readOnly"),
    FS("subPath"),
    FS("subPathExpr"),
    FS("mountPropagation"),
    FEND,
};
static const struct field f_port[] = {
    {.name = "name", .kind = F_STR, .required = true},
    {.name = "protocol", .kind = F_STR, .required = true, .enums = e_proto},
    {.name = "containerPort",
     .kind = F_INT,
     .bits = 32,
     .required = true,
     .has_min = true,
     .min = 1,
     .has_max = true,
     .max = 65535},
    FEND,
};
/* SparkPodSpec: the fields driver and executor share. */
static const struct field f_pod[] = {
    FO("template"),
    {.name = "cores", .kind = F_INT, .bits = 32, .has_min = true, .min = 1},
    FS("coreLimit"),
    FS("memory"),
    FS("memoryLimit"),
    FS("memoryOverhead"),
    {.name = "gpu", .kind = F_STRUCT, .sub = f_gpu},
    FS("image"),
    {.name = "configMaps", .kind = F_STRUCTLIST, .sub = f_name_path},
    {.name = "secrets", .kind = F_STRUCTLIST, .sub = f_secret},
    {.name = "env", .kind = F_STRUCTLIST, .sub = f_env},
    FM("envVars"),
    FA("envFrom"),
    {.name = "envSecretKeyRefs", .kind = F_STRUCTMAP, .sub = f_name_key},
    FM("labels"),
    FM("annotations"),
    {.name = "volumeMounts", .kind = F_STRUCTLIST, .sub = f_mount},
    FO("affinity"),
    FA("tolerations"),
    FO("podSecurityContext"),
    FO("securityContext"),
    FS("schedulerName"),
    FA("sidecars"),
    FA("initContainers"),
    FB("hostNetwork"),
    FM("nodeSelector"),
    FO("dnsConfig"),
    FI64("terminationGracePeriodSeconds"),
    FS("serviceAccount"),
    FA("hostAliases"),
    FB("shareProcessNamespace"),
    FS("coreRequest"),
    FS("javaOptions"),
    FO("lifecycle"),
    {.name = "ports", .kind = F_STRUCTLIST, .sub = f_port},
    FS("priorityClassName"),
    FEND,
};
static const struct field f_driver_only[] = {
    FS("podName"), FS("kubernetesMaster"), FM("serviceAnnotations"), FM("serviceLabels"), FEND,
};
static const struct field f_executor_only[] = {
    {.name = "instances", .kind = F_INT, .bits = 32, .has_min = true, .min = 1},
    FB("deleteOnTermination"),
    FEND,
};
static const struct field f_deps[] = {
    FSL("jars"),         FSL("files"),    FSL("pyFiles"), FSL("packages"), FSL("excludePackages"),
    FSL("repositories"), FSL("archives"), FEND,
};
static const struct field f_restart[] = {
    FSE("type", e_policies),
    {.name = "onSubmissionFailureRetries", .kind = F_INT, .bits = 32, .has_min = true, .min = 0},
    {.name = "onFailureRetries", .kind = F_INT, .bits = 32, .has_min = true, .min = 0},
    {.name = "onSubmissionFailureRetryInterval",
     .kind = F_INT,
     .bits = 64,
     .has_min = true,
     .min = 1},
    {.name = "onFailureRetryInterval", .kind = F_INT, .bits = 64, .has_min = true, .min = 1},
    FEND,
};
static const struct field f_prometheus[] = {
    {.name = "jmxExporterJar", .kind = F_STR, .required = true},
    {.name = "port",
     .kind = F_INT,
     .bits = 32,
     .has_min = true,
     .min = 1024,
     .has_max = true,
     .max = 49151},
    FS("portName"),
    FS("configFile"),
    FS("configuration"),
    FEND,
};
static const struct field f_monitoring[] = {
    {.name = "exposeDriverMetrics", .kind = F_BOOL, .required = true},
    {.name = "exposeExecutorMetrics", .kind = F_BOOL, .required = true},
    FS("metricsProperties"),
    FS("metricsPropertiesFile"),
    {.name = "prometheus", .kind = F_STRUCT, .sub = f_prometheus},
    FEND,
};
static const struct field f_batch[] = {
    FS("queue"),
    FS("priorityClassName"),
    {.name = "resources", .kind = F_QUANTITYMAP},
    FEND,
};
static const struct field f_ui[] = {
    {.name = "servicePort",
     .kind = F_INT,
     .bits = 32,
     .has_min = true,
     .min = 1,
     .has_max = true,
     .max = 65535},
    FS("servicePortName"),
    FS("serviceType"),
    FM("serviceAnnotations"),
    FM("serviceLabels"),
    FM("ingressAnnotations"),
    FA("ingressTLS"),
    FEND,
};
static const struct field f_ingress[] = {
    {.name = "servicePort",
     .kind = F_INT,
     .bits = 32,
     .required = true,
     .has_min = true,
     .min = 1,
     .has_max = true,
     .max = 65535},
    {.name = "servicePortName", .kind = F_STR, .required = true},
    FS("serviceType"),
    FM("serviceAnnotations"),
    FM("serviceLabels"),
    FS("ingressURLFormat"),
    FM("ingressAnnotations"),
    FA("ingressTLS"),
    FEND,
};
static const struct field f_dynalloc[] = {
    FB("enabled"),
    FI32("initialExecutors"),
    FI32("minExecutors"),
    FI32("maxExecutors"),
    FB("shuffleTrackingEnabled"),
    FI64("shuffleTrackingTimeout"),
    FEND,
};
static const struct field f_volume[] = {
    {.name = "name", .kind = F_STR, .required = true},
    FEND,
};
static const struct field f_spec[] = {
    FB("suspend"),
    {.name = "type", .kind = F_STR, .required = true, .enums = e_types},
    {.name = "sparkVersion", .kind = F_STR, .required = true},
    FSE("mode", e_modes),
    FS("proxyUser"),
    FS("image"),
    FSE("imagePullPolicy", e_pull),
    FSL("imagePullSecrets"),
    FS("mainClass"),
    {.name = "mainApplicationFile", .kind = F_STR, .required = true},
    FSL("arguments"),
    FM("sparkConf"),
    FM("hadoopConf"),
    FS("sparkConfigMap"),
    FS("hadoopConfigMap"),
    {.name = "volumes", .kind = F_STRUCTLIST, .sub = f_volume},
    {.name = "driver", .kind = F_STRUCT, .required = true, .sub = f_pod},
    {.name = "executor", .kind = F_STRUCT, .required = true, .sub = f_pod},
    {.name = "deps", .kind = F_STRUCT, .sub = f_deps},
    {.name = "restartPolicy", .kind = F_STRUCT, .sub = f_restart},
    FM("nodeSelector"),
    FI32("failureRetries"),
    FI64("retryInterval"),
    FSE("pythonVersion", e_pyv),
    FS("memoryOverheadFactor"),
    {.name = "monitoring", .kind = F_STRUCT, .sub = f_monitoring},
    FS("batchScheduler"),
    {.name = "batchSchedulerOptions", .kind = F_STRUCT, .sub = f_batch},
    FI64("timeToLiveSeconds"),
    {.name = "sparkUIOptions", .kind = F_STRUCT, .sub = f_ui},
    {.name = "driverIngressOptions", .kind = F_STRUCTLIST, .sub = f_ingress},
    {.name = "dynamicAllocation", .kind = F_STRUCT, .sub = f_dynalloc},
    FB("driverPodDisruptionBudget"),
    FEND,
};
static const struct field f_meta[] = {
    FS("name"), FS("namespace"), FM("labels"), FM("annotations"), FEND,
};

/* ---------------------------------------------------------------- validation context */

struct vctx {
    struct slu_err e;
    size_t dropped; /* causes beyond MAX_CAUSES */
};

static void vadd(struct vctx *v, const char *reason, const char *field, const char *fmt, ...)
    SLU_PRINTF(4, 5);
static void vadd(struct vctx *v, const char *reason, const char *field, const char *fmt, ...)
{
    if (v->e.ncauses >= MAX_CAUSES) {
        v->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *m = slu_vasprintf(fmt, ap);
    va_end(ap);
    char *full = slu_asprintf("%s: %s", field, m);
    slu_err_add_cause(&v->e, reason, field, full);
    free(full);
    free(m);
}

static void vrequired(struct vctx *v, const char *field)
{
    vadd(v, "FieldValueRequired", field, "Required value");
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* "must be <want>, not <what> (\"value\")", with a hint for numbers written where a string
 * belongs (YAML reads 3.5 or 4 as numbers). */
static void vtype(struct vctx *v, const char *field, const char *want, const json_t *got)
{
    if (json_is_string(got)) {
        vadd(v, "FieldValueTypeInvalid", field, "must be %s, not a string (\"%.40s%s\")", want,
             json_string_value(got), strlen(json_string_value(got)) > 40 ? "..." : "");
    } else if (json_is_number(got) && strcmp(want, "a string") == 0) {
        char *t = scalar_text(got);
        vadd(v, "FieldValueTypeInvalid", field, "must be a string, not %s (quote it: \"%s\")",
             json_type_name(got), t ? t : "");
        free(t);
    } else {
        vadd(v, "FieldValueTypeInvalid", field, "must be %s, not %s", want, json_type_name(got));
    }
}

/* A field path into buf; a path too long for buf is cut (it only names the field). */
static void fpath(char *buf, size_t n, const char *fmt, ...) SLU_PRINTF(3, 4);
static void fpath(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* Appends s at buf[*at] (n bytes in all), cut and NUL-terminated as snprintf would. The path
 * helpers below are on every field the validator visits, so they do without printf. */
static void path_put(char *buf, size_t n, size_t *at, const char *s)
{
    size_t len = strlen(s);
    size_t room = *at < n ? n - 1 - *at : 0;
    if (len > room)
        len = room;
    memcpy(buf + *at, s, len);
    *at += len;
    buf[*at] = '\0';
}

/* path + open + key + close ("a.b", "a[k]"). */
static void path_join(char *buf, size_t n, const char *path, const char *open, const char *key,
                      const char *close)
{
    size_t at = 0;
    buf[0] = '\0';
    path_put(buf, n, &at, path);
    path_put(buf, n, &at, open);
    path_put(buf, n, &at, key);
    path_put(buf, n, &at, close);
}

static void path_key(char *buf, size_t n, const char *path, const char *key)
{
    path_join(buf, n, path, ".", key, "");
}

static void path_index(char *buf, size_t n, const char *path, size_t i)
{
    char num[24];
    size_t d = sizeof(num) - 1;
    num[d] = '\0';
    do {
        num[--d] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    path_join(buf, n, path, "[", num + d, "]");
}

static void path_mapkey(char *buf, size_t n, const char *path, const char *key)
{
    path_join(buf, n, path, "[", key, "]");
}

static void check_fields(const json_t *obj, const struct field *fs, const char *path,
                         struct vctx *v);

static void check_enum(const char *s, const char *const *allowed, const char *field, struct vctx *v)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(allowed[i], s) == 0)
            return;
    struct slu_buf b = {0};
    for (size_t i = 0; allowed[i]; i++)
        slu_buf_printf(&b, "%s\"%s\"", i ? ", " : "", allowed[i]);
    vadd(v, "FieldValueNotSupported", field, "Unsupported value: \"%.60s\": supported values: %s",
         s, b.data);
    slu_buf_release(&b);
}

static void check_value(const json_t *val, const struct field *f, const char *path, struct vctx *v)
{
    char sub[512];
    size_t i;
    const char *k;
    json_t *x;
    int64_t n;
    switch (f->kind) {
    case F_STR:
        if (!json_is_string(val))
            vtype(v, path, "a string", val);
        else if (f->enums)
            check_enum(json_string_value(val), f->enums, path, v);
        break;
    case F_INT:
        if (!int_of(val, &n)) {
            vtype(v, path, "an integer", val);
            break;
        }
        if (f->has_min && n < f->min) {
            if (f->min == 1)
                vadd(v, "FieldValueInvalid", path, "must be greater than 0");
            else
                vadd(v, "FieldValueInvalid", path, "must be greater than or equal to %lld",
                     (long long)f->min);
        } else if (f->has_max && n > f->max) {
            vadd(v, "FieldValueInvalid", path, "must be less than or equal to %lld",
                 (long long)f->max);
        } else if (f->bits == 32 && (n < INT32_MIN || n > INT32_MAX)) {
            vadd(v, "FieldValueInvalid", path, "%lld does not fit in a 32-bit integer",
                 (long long)n);
        }
        break;
    case F_BOOL:
        if (!json_is_boolean(val))
            vtype(v, path, "a boolean (true or false)", val);
        break;
    case F_MAP:
        if (!json_is_object(val)) {
            vtype(v, path, "a map of strings", val);
            break;
        }
        json_object_foreach((json_t *)val, k, x)
        {
            path_mapkey(sub, sizeof(sub), path, k);
            if (!*k)
                vadd(v, "FieldValueInvalid", path, "keys must not be empty");
            else if (!json_is_string(x))
                vtype(v, sub, "a string", x);
        }
        break;
    case F_STRLIST:
        if (!json_is_array(val)) {
            vtype(v, path, "a list of strings", val);
            break;
        }
        json_array_foreach(val, i, x)
        {
            path_index(sub, sizeof(sub), path, i);
            if (!json_is_string(x))
                vtype(v, sub, "a string", x);
        }
        break;
    case F_OBJ:
        if (!json_is_object(val))
            vtype(v, path, "an object", val);
        break;
    case F_ARR:
    case F_STRUCTLIST:
        if (!json_is_array(val)) {
            vtype(v, path, "a list", val);
            break;
        }
        json_array_foreach(val, i, x)
        {
            path_index(sub, sizeof(sub), path, i);
            if (!json_is_object(x))
                vtype(v, sub, "an object", x);
            else if (f->kind == F_STRUCTLIST)
                check_fields(x, f->sub, sub, v);
        }
        break;
    case F_STRUCT:
        if (!json_is_object(val))
            vtype(v, path, "an object", val);
        else
            check_fields(val, f->sub, path, v);
        break;
    case F_STRUCTMAP:
        if (!json_is_object(val)) {
            vtype(v, path, "an object", val);
            break;
        }
        json_object_foreach((json_t *)val, k, x)
        {
            path_mapkey(sub, sizeof(sub), path, k);
            if (!json_is_object(x))
                vtype(v, sub, "an object", x);
            else
                check_fields(x, f->sub, sub, v);
        }
        break;
    case F_QUANTITYMAP:
        if (!json_is_object(val)) {
            vtype(v, path, "a map of quantities", val);
            break;
        }
        json_object_foreach((json_t *)val, k, x)
        {
            path_mapkey(sub, sizeof(sub), path, k);
            struct kube_quantity q;
            struct slu_err e = {0};
            if (!json_is_string(x) && !json_is_number(x))
                vtype(v, sub, "a quantity such as \"2\" or \"4Gi\"", x);
            else if (kube_quantity_from_json(x, &q, &e) != 0) {
                char *t = scalar_text(x);
                vadd(v, "FieldValueInvalid", sub, "invalid quantity \"%.40s\": %s", t, e.msg);
                free(t);
            }
            slu_err_release(&e);
        }
        break;
    }
}

static void check_fields(const json_t *obj, const struct field *fs, const char *path,
                         struct vctx *v)
{
    char sub[512];
    for (const struct field *f = fs; f->name; f++) {
        json_t *val = json_object_get(obj, f->name);
        if (absent(val) && !f->required)
            continue;
        path_key(sub, sizeof(sub), path, f->name);
        if (absent(val)) {
            vrequired(v, sub);
            continue;
        }
        check_value(val, f, sub, v);
    }
}

/* ---------------------------------------------------------------- defaults */

static bool conf_has(const json_t *spark_conf, const char *key)
{
    return json_is_object(spark_conf) && !absent(json_object_get(spark_conf, key));
}

void spark_app_apply_defaults(json_t *app)
{
    json_t *spec = obj_at(app, "spec");
    if (!spec)
        return;
    if (absent(json_object_get(spec, "type")))
        json_object_set_new(spec, "type", json_string("Scala"));
    if (absent(json_object_get(spec, "mode")))
        json_object_set_new(spec, "mode", json_string("cluster"));
    json_t *rp = obj_at(spec, "restartPolicy");
    if (rp) {
        if (absent(json_object_get(rp, "type")))
            json_object_set_new(rp, "type", json_string("Never"));
        const char *t = json_string_value(json_object_get(rp, "type"));
        if (t && strcmp(t, "Never") != 0) {
            if (absent(json_object_get(rp, "onFailureRetryInterval")))
                json_object_set_new(rp, "onFailureRetryInterval", json_integer(5));
            if (absent(json_object_get(rp, "onSubmissionFailureRetryInterval")))
                json_object_set_new(rp, "onSubmissionFailureRetryInterval", json_integer(5));
        }
    }
    json_t *sc = json_object_get(spec, "sparkConf");
    json_t *driver = obj_at(spec, "driver");
    if (driver) {
        if (absent(json_object_get(driver, "cores")) && !conf_has(sc, "spark.driver.cores"))
            json_object_set_new(driver, "cores", json_integer(1));
        if (absent(json_object_get(driver, "memory")) && !conf_has(sc, "spark.driver.memory"))
            json_object_set_new(driver, "memory", json_string("1g"));
    }
    json_t *da = json_object_get(spec, "dynamicAllocation");
    bool da_on = json_is_object(da) && json_is_true(json_object_get(da, "enabled"));
    json_t *executor = obj_at(spec, "executor");
    if (executor) {
        if (absent(json_object_get(executor, "cores")) && !conf_has(sc, "spark.executor.cores"))
            json_object_set_new(executor, "cores", json_integer(1));
        if (absent(json_object_get(executor, "memory")) && !conf_has(sc, "spark.executor.memory"))
            json_object_set_new(executor, "memory", json_string("1g"));
        /* as defaults.go: an empty spark.executor.instances counts as unset */
        const char *inst = json_is_object(sc)
                               ? json_string_value(json_object_get(sc, "spark.executor.instances"))
                               : NULL;
        if (absent(json_object_get(executor, "instances")) && !da_on && !(inst && *inst))
            json_object_set_new(executor, "instances", json_integer(1));
    }
    if (da_on && absent(json_object_get(da, "shuffleTrackingEnabled")))
        json_object_set_new(da, "shuffleTrackingEnabled", json_true());
}

/* ---------------------------------------------------------------- semantic checks */

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

/* A Spark memory string (byteStringAs, no suffix = MiB). */
static void check_size(const json_t *parent, const char *key, const char *path, bool allow_zero,
                       struct vctx *v)
{
    const char *s = json_string_value(json_object_get(parent, key));
    if (!s)
        return;
    char f[512];
    path_key(f, sizeof(f), path, key);
    int64_t bytes;
    struct slu_err e = {0};
    if (spark_size_parse(s, "m", &bytes, &e) != 0)
        vadd(v, "FieldValueInvalid", f,
             "invalid memory \"%.40s\" (use a size such as \"512m\" or \"2g\"): %s", s, e.msg);
    else if (bytes < 0 || (bytes == 0 && !allow_zero))
        vadd(v, "FieldValueInvalid", f, "must be greater than 0");
    slu_err_release(&e);
}

/* A Kubernetes CPU quantity ("500m", "1.5"), > 0. */
static void check_cpu(const json_t *parent, const char *key, const char *path, struct vctx *v)
{
    const char *s = json_string_value(json_object_get(parent, key));
    if (!s)
        return;
    char f[512];
    path_key(f, sizeof(f), path, key);
    struct kube_quantity q;
    struct slu_err e = {0};
    if (kube_quantity_parse(s, &q, &e) != 0)
        vadd(v, "FieldValueInvalid", f, "invalid CPU quantity \"%.40s\": %s", s, e.msg);
    else if (q.nanos <= 0)
        vadd(v, "FieldValueInvalid", f, "must be greater than 0");
    slu_err_release(&e);
}

static void check_label_map(const json_t *map, const char *path, bool values_too, struct vctx *v)
{
    const char *k;
    json_t *x;
    char f[512];
    json_object_foreach((json_t *)map, k, x)
    {
        if (!*k)
            continue; /* reported by the schema */
        path_mapkey(f, sizeof(f), path, k);
        const char *why = kube_label_key_invalid(k);
        if (why)
            vadd(v, "FieldValueInvalid", f, "invalid key: %s", why);
        else if (values_too && json_is_string(x) &&
                 (why = kube_label_value_invalid(json_string_value(x))) != NULL)
            vadd(v, "FieldValueInvalid", f, "invalid value \"%.63s\": %s", json_string_value(x),
                 why);
    }
}

static const json_t *find_volume(const json_t *spec, const char *name)
{
    size_t i;
    json_t *vol;
    json_array_foreach(json_object_get(spec, "volumes"), i, vol)
    {
        if (slu_streq(json_string_value(json_object_get(vol, "name")), name))
            return vol;
    }
    return NULL;
}

/* The Spark volume type of a local-dir volume as the operator picks it, or NULL. */
static const char *local_dir_type(const json_t *vol)
{
    static const char *const kinds[] = {"emptyDir", "hostPath", "nfs", "persistentVolumeClaim"};
    for (size_t t = 0; t < SLU_ARRAY_LEN(kinds); t++)
        if (json_is_object(json_object_get(vol, kinds[t])))
            return kinds[t];
    return NULL;
}

static void check_pod(const json_t *spec, const json_t *pod, const char *path, struct vctx *v)
{
    char f[512];
    check_size(pod, "memory", path, false, v);
    check_size(pod, "memoryOverhead", path, true, v);
    check_size(pod, "memoryLimit", path, false, v);
    check_cpu(pod, "coreRequest", path, v);
    check_cpu(pod, "coreLimit", path, v);
    static const char *const label_maps[] = {"labels", "serviceLabels", "nodeSelector"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(label_maps); i++) {
        json_t *m = json_object_get(pod, label_maps[i]);
        path_key(f, sizeof(f), path, label_maps[i]);
        if (json_is_object(m))
            check_label_map(m, f, true, v);
    }
    static const char *const ann_maps[] = {"annotations", "serviceAnnotations"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(ann_maps); i++) {
        json_t *m = json_object_get(pod, ann_maps[i]);
        path_key(f, sizeof(f), path, ann_maps[i]);
        if (json_is_object(m))
            check_label_map(m, f, false, v);
    }
    const char *pn = json_string_value(json_object_get(pod, "podName"));
    if (pn && !kube_is_dns1123_subdomain(pn)) {
        path_key(f, sizeof(f), path, "podName");
        vadd(v, "FieldValueInvalid", f,
             "Invalid value: \"%.63s\": a pod name must be a lowercase RFC 1123 subdomain", pn);
    }
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(pod, "configMaps"), i, x)
    {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (n && !kube_is_dns1123_subdomain(n)) {
            fpath(f, sizeof(f), "%s.configMaps[%zu].name", path, i);
            vadd(v, "FieldValueInvalid", f, "Invalid value: \"%.63s\": not a ConfigMap name", n);
        }
    }
    json_array_foreach(json_object_get(pod, "secrets"), i, x)
    {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (n && !kube_is_dns1123_subdomain(n)) {
            fpath(f, sizeof(f), "%s.secrets[%zu].name", path, i);
            vadd(v, "FieldValueInvalid", f, "Invalid value: \"%.63s\": not a Secret name", n);
        }
    }
    /* spark-local-dir-* mounts become Spark volume confs: the volume must exist and be of a
     * type Spark mounts (the operator fails the submission otherwise) */
    json_array_foreach(json_object_get(pod, "volumeMounts"), i, x)
    {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (!n || !slu_str_has_prefix(n, LOCAL_DIR_PREFIX))
            continue;
        fpath(f, sizeof(f), "%s.volumeMounts[%zu].name", path, i);
        const json_t *vol = find_volume(spec, n);
        if (!vol)
            vadd(v, "FieldValueNotFound", f, "volume %.63s not found in spec.volumes", n);
        else if (!local_dir_type(vol))
            vadd(v, "FieldValueNotSupported", f,
                 "volume %.63s: unsupported volume type for a local dir (emptyDir, hostPath, "
                 "nfs or persistentVolumeClaim)",
                 n);
    }
}

static const struct {
    const char *key;
    const char *why;
} denied_conf[] = {
    {"spark.kubernetes.authenticate.driver.serviceAccountName",
     "configure the service account via the CRD spec instead"},
    {"spark.kubernetes.authenticate.executor.serviceAccountName",
     "configure the service account via the CRD spec instead"},
    {"spark.kubernetes.authenticate.submission.oauthTokenFile",
     "authentication credentials are managed by the operator"},
    {"spark.kubernetes.authenticate.submission.oauthToken",
     "authentication credentials are managed by the operator"},
    {"spark.kubernetes.authenticate.driver.oauthTokenFile",
     "authentication credentials are managed by the operator"},
    {"spark.kubernetes.authenticate.driver.oauthToken",
     "authentication credentials are managed by the operator"},
    {"spark.kubernetes.authenticate.executor.oauthTokenFile",
     "authentication credentials are managed by the operator"},
    {"spark.kubernetes.authenticate.executor.oauthToken",
     "authentication credentials are managed by the operator"},
    {"spark.master", "this value is managed by the operator"},
    {"spark.kubernetes.driver.master", "this value is managed by the operator"},
    {"spark.kubernetes.container.image", "use the image field on the CRD instead"},
    {"spark.kubernetes.driver.container.image", "use the image field on the CRD instead"},
    {"spark.kubernetes.executor.container.image", "use the image field on the CRD instead"},
    /* Sluice: the operator cannot read files of the submitting machine */
    {"spark.kubernetes.driver.podTemplateFile", "put the pod template in spec.driver.template"},
    {"spark.kubernetes.executor.podTemplateFile", "put the pod template in spec.executor.template"},
};

static void check_spark_conf(const json_t *sc, const char *ns, struct vctx *v)
{
    const char *k;
    json_t *x;
    char f[512];
    json_object_foreach((json_t *)sc, k, x)
    {
        path_mapkey(f, sizeof(f), "spec.sparkConf", k);
        for (size_t i = 0; i < SLU_ARRAY_LEN(denied_conf); i++)
            if (strcmp(k, denied_conf[i].key) == 0)
                vadd(v, "FieldValueForbidden", f, "sparkConf key \"%s\" is not allowed: %s", k,
                     denied_conf[i].why);
        if (strcmp(k, "spark.kubernetes.namespace") == 0 && json_is_string(x) &&
            strcmp(json_string_value(x), ns) != 0)
            vadd(v, "FieldValueForbidden", f,
                 "sparkConf key \"%s\" is not allowed: must equal the application namespace "
                 "\"%s\", got \"%.63s\"",
                 k, ns, json_string_value(x));
    }
}

static void check_ingress_options(const json_t *list, struct vctx *v)
{
    size_t i, j;
    json_t *x, *y;
    char f[512];
    json_array_foreach(list, i, x)
    {
        if (!json_is_object(x))
            continue;
        int64_t port;
        bool has_port = int_of(json_object_get(x, "servicePort"), &port);
        if (has_port) {
            json_array_foreach(list, j, y)
            {
                int64_t p2;
                if (j >= i)
                    break;
                if (int_of(json_object_get(y, "servicePort"), &p2) && p2 == port) {
                    fpath(f, sizeof(f), "spec.driverIngressOptions[%zu].servicePort", i);
                    vadd(v, "FieldValueDuplicate", f, "Duplicate value: %lld", (long long)port);
                    break;
                }
            }
        }
        fpath(f, sizeof(f), "spec.driverIngressOptions[%zu].ingressURLFormat", i);
        const char *url = json_string_value(json_object_get(x, "ingressURLFormat"));
        if (absent(json_object_get(x, "ingressURLFormat")) || (url && !*url)) {
            vrequired(v, f);
            continue;
        }
        if (!url)
            continue;
        json_array_foreach(list, j, y)
        {
            if (j >= i)
                break;
            if (slu_streq(json_string_value(json_object_get(y, "ingressURLFormat")), url)) {
                vadd(v, "FieldValueDuplicate", f, "Duplicate value: \"%.80s\"", url);
                break;
            }
        }
    }
}

int spark_app_validate(const json_t *app, struct slu_err *err)
{
    struct vctx v = {0};
    const char *name = NULL;
    if (!json_is_object(app)) {
        vadd(&v, "FieldValueTypeInvalid", "<root>", "a SparkApplication must be an object, not %s",
             json_type_name(app));
        goto out;
    }
    const char *api = json_string_value(json_object_get(app, "apiVersion"));
    if (api && strcmp(api, "sparkoperator.k8s.io/v1beta2") != 0)
        vadd(&v, "FieldValueNotSupported", "apiVersion",
             "Unsupported value: \"%.60s\": supported values: \"sparkoperator.k8s.io/v1beta2\"",
             api);
    const char *kind = json_string_value(json_object_get(app, "kind"));
    if (kind && strcmp(kind, "SparkApplication") != 0)
        vadd(&v, "FieldValueNotSupported", "kind",
             "Unsupported value: \"%.60s\": supported values: \"SparkApplication\"", kind);
    json_t *meta = json_object_get(app, "metadata");
    if (absent(meta)) {
        vrequired(&v, "metadata.name");
    } else if (!json_is_object(meta)) {
        vtype(&v, "metadata", "an object", meta);
    } else {
        check_fields(meta, f_meta, "metadata", &v);
        name = json_string_value(json_object_get(meta, "name"));
        if (!name || !*name) {
            if (!json_object_get(meta, "name") || (name && !*name))
                vrequired(&v, "metadata.name");
        } else if (!is_dns1035_label(name)) {
            vadd(&v, "FieldValueInvalid", "metadata.name",
                 "Invalid value: \"%.80s\": a DNS-1035 label must consist of lower case "
                 "alphanumeric characters or '-', start with an alphabetic character, and end "
                 "with an alphanumeric character (at most 63 characters)",
                 name);
        }
        const char *ns = json_string_value(json_object_get(meta, "namespace"));
        if (ns && !kube_is_dns1123_label(ns))
            vadd(&v, "FieldValueInvalid", "metadata.namespace",
                 "Invalid value: \"%.80s\": a namespace must be a DNS-1123 label", ns);
    }
    json_t *spec = json_object_get(app, "spec");
    if (absent(spec)) {
        vrequired(&v, "spec");
        goto out;
    }
    if (!json_is_object(spec)) {
        vtype(&v, "spec", "an object", spec);
        goto out;
    }
    /* the typed model: every field's type, enums, bounds, required members */
    check_fields(spec, f_spec, "spec", &v);
    json_t *driver = json_object_get(spec, "driver");
    json_t *executor = json_object_get(spec, "executor");
    if (json_is_object(driver))
        check_fields(driver, f_driver_only, "spec.driver", &v);
    if (json_is_object(executor))
        check_fields(executor, f_executor_only, "spec.executor", &v);

    /* what the types cannot say */
    const char *sv = json_string_value(json_object_get(spec, "sparkVersion"));
    int ver[3];
    if (sv && !parse_version(sv, ver))
        vadd(&v, "FieldValueInvalid", "spec.sparkVersion",
             "Invalid value: \"%.40s\": must be a Spark version such as \"3.5.1\"", sv);
    const char *mainfile = json_string_value(json_object_get(spec, "mainApplicationFile"));
    if (mainfile && !*mainfile)
        vrequired(&v, "spec.mainApplicationFile");
    const char *type = json_string_value(json_object_get(spec, "type"));
    if (type && (strcmp(type, "Java") == 0 || strcmp(type, "Scala") == 0) &&
        absent(json_object_get(spec, "mainClass")) && mainfile &&
        slu_str_has_suffix(mainfile, ".py"))
        vadd(&v, "FieldValueInvalid", "spec.mainApplicationFile",
             "a %s application needs a jar, not \"%.80s\"", type, mainfile);
    const char *mof = json_string_value(json_object_get(spec, "memoryOverheadFactor"));
    double d;
    if (mof && (slu_parse_double(mof, &d) != 0 || !(d >= 0)))
        vadd(&v, "FieldValueInvalid", "spec.memoryOverheadFactor",
             "Invalid value: \"%.40s\": must be a non-negative number such as \"0.1\"", mof);
    if (json_is_object(driver))
        check_pod(spec, driver, "spec.driver", &v);
    if (json_is_object(executor))
        check_pod(spec, executor, "spec.executor", &v);
    json_t *ns_sel = json_object_get(spec, "nodeSelector");
    if (json_is_object(ns_sel))
        check_label_map(ns_sel, "spec.nodeSelector", true, &v);
    json_t *da = json_object_get(spec, "dynamicAllocation");
    if (json_is_object(da)) {
        static const char *const counts[] = {"initialExecutors", "minExecutors", "maxExecutors"};
        for (size_t i = 0; i < SLU_ARRAY_LEN(counts); i++) {
            int64_t n;
            char f[128];
            fpath(f, sizeof(f), "spec.dynamicAllocation.%s", counts[i]);
            if (int_of(json_object_get(da, counts[i]), &n) && n < 0)
                vadd(&v, "FieldValueInvalid", f, "must be greater than or equal to 0");
        }
        int64_t mn, mx;
        if (int_of(json_object_get(da, "minExecutors"), &mn) &&
            int_of(json_object_get(da, "maxExecutors"), &mx) && mx < mn)
            vadd(&v, "FieldValueInvalid", "spec.dynamicAllocation.maxExecutors",
                 "must be greater than or equal to minExecutors (%lld)", (long long)mn);
    }
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(spec, "volumes"), i, x)
    {
        const char *vn = json_string_value(json_object_get(x, "name"));
        char f[128];
        fpath(f, sizeof(f), "spec.volumes[%zu].name", i);
        if (vn && !kube_is_dns1123_label(vn))
            vadd(&v, "FieldValueInvalid", f,
                 "Invalid value: \"%.63s\": a volume name must be a DNS-1123 label", vn);
    }

    /* the Kubeflow validating webhook (spec §3.3) */
    if (sv && older_than_3(sv)) {
        if (!absent(slu_json_path(spec, "driver.template")))
            vadd(&v, "FieldValueForbidden", "spec.driver.template",
                 "pod template feature requires Spark version 3.0.0 or higher (got %.40s)", sv);
        if (!absent(slu_json_path(spec, "executor.template")))
            vadd(&v, "FieldValueForbidden", "spec.executor.template",
                 "pod template feature requires Spark version 3.0.0 or higher (got %.40s)", sv);
    }
    if (json_is_object(ns_sel) &&
        ((json_is_object(driver) && json_is_object(json_object_get(driver, "nodeSelector"))) ||
         (json_is_object(executor) && json_is_object(json_object_get(executor, "nodeSelector")))))
        vadd(&v, "FieldValueForbidden", "spec.nodeSelector",
             "node selector cannot be defined at both SparkApplication and Driver/Executor");
    json_t *dio = json_object_get(spec, "driverIngressOptions");
    if (json_is_array(dio))
        check_ingress_options(dio, &v);
    json_t *sc = json_object_get(spec, "sparkConf");
    if (json_is_object(sc)) {
        const char *ns =
            json_is_object(meta) ? json_string_value(json_object_get(meta, "namespace")) : NULL;
        check_spark_conf(sc, ns && *ns ? ns : "default", &v);
    }
out:
    if (v.e.ncauses == 0) {
        slu_err_release(&v.e);
        return 0;
    }
    struct slu_buf b = {0};
    slu_buf_printf(&b, "SparkApplication \"%s\" is invalid: ", name ? name : "");
    /* err->msg holds 1 KiB: list what fits, count the rest (all are in err->causes) */
    size_t listed = 0;
    for (; listed < v.e.ncauses; listed++) {
        const char *m = v.e.causes[listed].message;
        if (listed && b.len + strlen(m) > 900)
            break;
        slu_buf_printf(&b, "%s%s", listed ? "; " : "", m);
    }
    if (v.dropped + (v.e.ncauses - listed))
        slu_buf_printf(&b, "; and %zu more", v.dropped + (v.e.ncauses - listed));
    slu_err_set(&v.e, SLU_EINVAL, "%s", b.data);
    slu_err_set_reason(&v.e, "Invalid");
    slu_buf_release(&b);
    if (err)
        slu_err_move(err, &v.e);
    else
        slu_err_release(&v.e);
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
    json_decref(s->app_volumes);
    free(s);
}

static void set_role_key(struct spark_conf *c, const char *role, const char *what, const char *name,
                         const char *value)
{
    struct keybuf kb = {.heap = NULL};
    spark_conf_set(c, kjoin(&kb, "spark.kubernetes.", role, ".", what, ".", name, NULL), value);
    kb_release(&kb);
}

/* The operator's own labels, then (after the resource confs) the app's and the pod's labels and
 * annotations: see driver_conf / executor_conf for the order. */
static void operator_labels(struct spark_conf *c, const char *role, const json_t *app,
                            const json_t *pod, const char *submission_id)
{
    const char *name = slu_json_str(app, "metadata.name");
    set_role_key(c, role, "label", SPARK_LABEL_APP_NAME, name);
    set_role_key(c, role, "label", SPARK_LABEL_LAUNCHED_BY, "true");
    if (older_than_3(slu_json_str(app, "spec.sparkVersion")) ||
        absent(json_object_get(pod, "template")))
        set_role_key(c, role, "label", SPARK_LABEL_MUTATED_BY, "true");
    if (submission_id)
        set_role_key(c, role, "label", SPARK_LABEL_SUBMISSION_ID, submission_id);
}

static void user_labels(struct spark_conf *c, const char *role, const json_t *app,
                        const json_t *pod)
{
    const char *k;
    json_t *v;
    json_object_foreach(slu_json_path(app, "metadata.labels"), k, v)
    {
        if (json_is_string(v) && !slu_str_has_prefix(k, "kueue.x-k8s.io/"))
            set_role_key(c, role, "label", k, json_string_value(v));
    }
    json_object_foreach(json_object_get(pod, "labels"), k, v)
    {
        if (json_is_string(v))
            set_role_key(c, role, "label", k, json_string_value(v));
    }
    json_object_foreach(json_object_get(pod, "annotations"), k, v)
    {
        if (json_is_string(v))
            set_role_key(c, role, "annotation", k, json_string_value(v));
    }
}

static void secret_key_refs(struct spark_conf *c, const char *role, const json_t *pod)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(pod, "envSecretKeyRefs"), k, v)
    {
        const char *sn = slu_json_str(v, "name"), *sk = slu_json_str(v, "key");
        if (!sn || !sk)
            continue;
        char *val = slu_asprintf("%s:%s", sn, sk);
        set_role_key(c, role, "secretKeyRef", k, val);
        free(val);
    }
}

/* envVars (deprecated map) and secrets (with the credentials env of typed secrets). */
static void pod_env_secrets(struct spark_conf *c, const char *role, const json_t *pod)
{
    bool drv = strcmp(role, "driver") == 0;
    const char *env_prefix = drv ? "spark.kubernetes.driverEnv." : "spark.executorEnv.";
    const char *k;
    json_t *v;
    char key[512];
    json_object_foreach(json_object_get(pod, "envVars"), k, v)
    {
        if (!json_is_string(v))
            continue;
        snprintf(key, sizeof(key), "%s%s", env_prefix, k);
        spark_conf_set(c, key, json_string_value(v));
    }
    size_t i;
    json_array_foreach(json_object_get(pod, "secrets"), i, v)
    {
        const char *sn = slu_json_str(v, "name"), *path = slu_json_str(v, "path");
        if (!sn || !path)
            continue;
        set_role_key(c, role, "secrets", sn, path);
        const char *st = slu_json_str(v, "secretType");
        const char *envname = NULL, *file = NULL;
        if (slu_streq(st, "GCPServiceAccount")) {
            envname = "GOOGLE_APPLICATION_CREDENTIALS";
            file = "key.json";
        } else if (slu_streq(st, "HadoopDelegationToken")) {
            envname = "HADOOP_TOKEN_FILE_LOCATION";
            file = "hadoop.token";
        }
        if (envname) {
            snprintf(key, sizeof(key), "%s%s", env_prefix, envname);
            size_t pl = strlen(path);
            char *val =
                slu_asprintf("%.*s/%s", (int)(pl && path[pl - 1] == '/' ? pl - 1 : pl), path, file);
            spark_conf_set(c, key, val);
            free(val);
        }
    }
}

/* A volume conf "spark.kubernetes.<role>.volumes.<type>.<name>.<rest>". */
static void set_volume_key(struct spark_conf *c, const char *role, const char *type,
                           const char *name, const char *rest, const char *value)
{
    struct keybuf kb = {.heap = NULL};
    spark_conf_set(
        c, kjoin(&kb, "spark.kubernetes.", role, ".volumes.", type, ".", name, ".", rest, NULL),
        value);
    kb_release(&kb);
}

/* volumeMounts named spark-local-dir-* become Spark volume confs (driverVolumeMountsOption):
 * mount path/subPath/readOnly, then per type emptyDir sizeLimit, hostPath path and type, nfs
 * path, server and readOnly, persistentVolumeClaim claimName and readOnly. */
static void pod_local_dirs(struct spark_conf *c, const char *role, const json_t *spec,
                           const json_t *pod)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(pod, "volumeMounts"), i, m)
    {
        const char *vname = slu_json_str(m, "name");
        if (!vname || !slu_str_has_prefix(vname, LOCAL_DIR_PREFIX))
            continue;
        const json_t *vol = find_volume(spec, vname);
        const char *type = vol ? local_dir_type(vol) : NULL;
        if (!type)
            continue; /* refused by validation */
        const char *mp = nonempty(m, "mountPath");
        if (mp)
            set_volume_key(c, role, type, vname, "mount.path", mp);
        const char *sp = nonempty(m, "subPath");
        if (sp)
            set_volume_key(c, role, type, vname, "mount.subPath", sp);
        if (json_is_true(json_object_get(m, "readOnly")))
            set_volume_key(c, role, type, vname, "mount.readOnly", "true");
        json_t *src = json_object_get(vol, type);
        if (strcmp(type, "emptyDir") == 0) {
            json_t *sl = json_object_get(src, "sizeLimit");
            struct kube_quantity q;
            if (!absent(sl) && kube_quantity_from_json(sl, &q, NULL) == 0) {
                char qb[64];
                kube_quantity_format(&q, qb, sizeof(qb));
                set_volume_key(c, role, type, vname, "options.sizeLimit", qb);
            }
        } else if (strcmp(type, "hostPath") == 0) {
            set_volume_key(c, role, type, vname, "options.path",
                           json_string_value(json_object_get(src, "path"))
                               ? json_string_value(json_object_get(src, "path"))
                               : "");
            const char *t = json_string_value(json_object_get(src, "type"));
            if (t)
                set_volume_key(c, role, type, vname, "options.type", t);
        } else if (strcmp(type, "nfs") == 0) {
            const char *p = json_string_value(json_object_get(src, "path"));
            const char *s = json_string_value(json_object_get(src, "server"));
            set_volume_key(c, role, type, vname, "options.path", p ? p : "");
            set_volume_key(c, role, type, vname, "options.server", s ? s : "");
            if (json_is_true(json_object_get(src, "readOnly")))
                set_volume_key(c, role, type, vname, "options.readOnly", "true");
        } else {
            const char *cn = json_string_value(json_object_get(src, "claimName"));
            set_volume_key(c, role, type, vname, "options.claimName", cn ? cn : "");
            if (json_is_true(json_object_get(src, "readOnly")))
                set_volume_key(c, role, type, vname, "options.readOnly", "true");
        }
    }
}

/* ---------------------------------------------------------------- Prometheus (spec §3.1 step 3) */

static bool prometheus_enabled(const json_t *app)
{
    return json_is_object(slu_json_path(app, "spec.monitoring.prometheus"));
}

static int64_t prometheus_port(const json_t *app)
{
    int64_t p;
    if (int_of(slu_json_path(app, "spec.monitoring.prometheus.port"), &p))
        return p;
    return PROM_DEFAULT_PORT;
}

/* The ConfigMap is mounted unless both metricsPropertiesFile and prometheus.configFile are set. */
static bool prometheus_configmap_needed(const json_t *app)
{
    if (!prometheus_enabled(app))
        return false;
    bool props_file = json_is_string(slu_json_path(app, "spec.monitoring.metricsPropertiesFile"));
    const char *cf = slu_json_str(app, "spec.monitoring.prometheus.configFile");
    return !(props_file && cf && *cf);
}

static void append_java_option(json_t *pod, const char *opt)
{
    const char *cur = json_string_value(json_object_get(pod, "javaOptions"));
    char *v = cur ? slu_asprintf("%s %s", cur, opt) : slu_strdup(opt);
    json_object_set_new(pod, "javaOptions", json_string(v));
    free(v);
}

static void add_prom_annotations(json_t *pod, int64_t port)
{
    json_t *ann = obj_at(pod, "annotations");
    if (!ann)
        return;
    char pb[24];
    snprintf(pb, sizeof(pb), "%lld", (long long)port);
    json_object_set_new(ann, "prometheus.io/scrape", json_string("true"));
    json_object_set_new(ann, "prometheus.io/port", json_string(pb));
    json_object_set_new(ann, "prometheus.io/path", json_string("/metrics"));
}

/* configPrometheusMonitoring, on the app copy: the javaagent option, spark.metrics.namespace and
 * spark.metrics.conf in sparkConf, the prometheus.io annotations. */
static void prometheus_apply(json_t *app)
{
    if (!prometheus_enabled(app))
        return;
    json_t *spec = json_object_get(app, "spec");
    json_t *mon = json_object_get(spec, "monitoring");
    json_t *prom = json_object_get(mon, "prometheus");
    int64_t port = prometheus_port(app);
    const char *jar = json_string_value(json_object_get(prom, "jmxExporterJar"));
    const char *cf = nonempty(prom, "configFile");
    char *opt = cf ? slu_asprintf("-javaagent:%s=%lld:%s", jar ? jar : "", (long long)port, cf)
                   : slu_asprintf("-javaagent:%s=%lld:%s/%s", jar ? jar : "", (long long)port,
                                  PROM_MOUNT_PATH, PROM_CONFIG_KEY);
    json_t *sc = obj_at(spec, "sparkConf");
    if (sc) {
        char *mns = slu_asprintf("%s.%s",
                                 slu_json_str(app, "metadata.namespace")
                                     ? slu_json_str(app, "metadata.namespace")
                                     : "default",
                                 slu_json_str(app, "metadata.name"));
        json_object_set_new(sc, "spark.metrics.namespace", json_string(mns));
        free(mns);
        const char *mpf = json_string_value(json_object_get(mon, "metricsPropertiesFile"));
        char *mc =
            mpf ? slu_strdup(mpf) : slu_asprintf("%s/%s", PROM_MOUNT_PATH, METRICS_PROPERTIES_KEY);
        json_object_set_new(sc, "spark.metrics.conf", json_string(mc));
        free(mc);
    }
    static const char *const roles[][2] = {{"driver", "exposeDriverMetrics"},
                                           {"executor", "exposeExecutorMetrics"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *pod = json_object_get(spec, roles[i][0]);
        if (!json_is_object(pod) || !json_is_true(json_object_get(mon, roles[i][1])))
            continue;
        add_prom_annotations(pod, port);
        append_java_option(pod, opt);
    }
    free(opt);
}

int spark_app_prometheus_configmap(const json_t *app, json_t **cm, struct slu_err *err)
{
    *cm = NULL;
    if (!json_is_object(app))
        return slu_err_set(err, SLU_EINVAL, "SparkApplication: expected an object");
    if (!prometheus_configmap_needed(app))
        return 0;
    const char *name = slu_json_str(app, "metadata.name");
    if (!name)
        return slu_err_set(err, SLU_EINVAL, "SparkApplication: metadata.name is missing");
    json_t *mon = slu_json_path(app, "spec.monitoring");
    json_t *o = json_object();
    json_object_set_new(o, "apiVersion", json_string("v1"));
    json_object_set_new(o, "kind", json_string("ConfigMap"));
    json_t *md = obj_at(o, "metadata");
    char *cmn = slu_asprintf("%s%s", name, SPARK_PROM_CONFIGMAP_SUFFIX);
    json_object_set_new(md, "name", json_string(cmn));
    free(cmn);
    const char *ns = slu_json_str(app, "metadata.namespace");
    json_object_set_new(md, "namespace", json_string(ns ? ns : "default"));
    json_object_set_new(md, "labels", json_pack("{s:s}", SPARK_LABEL_CREATED_BY, "true"));
    const char *uid = slu_json_str(app, "metadata.uid");
    if (uid)
        json_object_set_new(md, "ownerReferences",
                            json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion",
                                      "sparkoperator.k8s.io/v1beta2", "kind", "SparkApplication",
                                      "name", name, "uid", uid, "controller", 1,
                                      "blockOwnerDeletion", 1));
    json_t *data = obj_at(o, "data");
    if (!json_is_string(json_object_get(mon, "metricsPropertiesFile"))) {
        const char *mp = json_string_value(json_object_get(mon, "metricsProperties"));
        json_object_set_new(data, METRICS_PROPERTIES_KEY,
                            json_string(mp ? mp : prom_default_metrics_properties));
    }
    json_t *prom = json_object_get(mon, "prometheus");
    if (!nonempty(prom, "configFile")) {
        const char *pc = json_string_value(json_object_get(prom, "configuration"));
        json_object_set_new(data, PROM_CONFIG_KEY,
                            json_string(pc ? pc : prom_default_configuration));
    }
    *cm = o;
    return 0;
}

/* ---------------------------------------------------------------- extras (webhook fields) */

static json_t *arr_at(json_t *obj, const char *key)
{
    json_t *a = json_object_get(obj, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(obj, key, a);
    }
    return a;
}

static void add_cm_mount(json_t *x, json_t *app_volumes, const char *cm, const char *vname,
                         const char *path, const char *env, bool add_volume)
{
    if (env)
        json_array_append_new(arr_at(x, "env"), json_pack("{s:s,s:s}", "name", env, "value", path));
    json_array_append_new(arr_at(x, "volumeMounts"), json_pack("{s:s,s:s,s:b}", "name", vname,
                                                               "mountPath", path, "readOnly", 1));
    if (add_volume)
        json_array_append_new(app_volumes,
                              json_pack("{s:s,s:{s:s}}", "name", vname, "configMap", "name", cm));
}

/* The SparkPodSpec (without template) with the app-level fields the pod webhook applies to each
 * pod made explicit: hadoop/spark ConfigMap env + mounts, the Prometheus mount and port, and
 * schedulerName from batchScheduler. The app-level fields are also set as they are
 * (volumes, sparkConfigMap, hadoopConfigMap, batchScheduler, batchSchedulerOptions). When
 * app_volumes is not NULL the ConfigMap volumes are appended to it (once, for the driver).
 * app is spark_app_to_submission's private copy: pod (a member of its spec) is itself changed
 * into the extras and returned with a new reference; the app-level values are shared. */
static json_t *pod_extras(const json_t *app, json_t *pod, const char *expose_key,
                          json_t *app_volumes)
{
    json_t *spec = json_object_get(app, "spec");
    json_t *x = json_is_object(pod) ? json_incref(pod) : json_object();
    json_object_del(x, "template");
    static const char *const app_fields[] = {"volumes", "sparkConfigMap", "hadoopConfigMap",
                                             "batchScheduler", "batchSchedulerOptions"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(app_fields); i++) {
        json_t *v = json_object_get(spec, app_fields[i]);
        if (!absent(v))
            json_object_set(x, app_fields[i], v);
    }
    /* the webhook's order: hadoop ConfigMap, spark ConfigMap (after env and envFrom) */
    const char *hcm = nonempty(spec, "hadoopConfigMap");
    if (hcm)
        add_cm_mount(x, app_volumes, hcm, HADOOP_CONF_VOLUME, HADOOP_CONF_DIR_DEFAULT,
                     "HADOOP_CONF_DIR", app_volumes != NULL);
    const char *scm = nonempty(spec, "sparkConfigMap");
    if (scm)
        add_cm_mount(x, app_volumes, scm, SPARK_CONF_VOLUME, SPARK_CONF_DIR_DEFAULT,
                     "SPARK_CONF_DIR", app_volumes != NULL);
    if (prometheus_configmap_needed(app) &&
        json_is_true(slu_json_path(app, "spec.monitoring")
                         ? json_object_get(slu_json_path(app, "spec.monitoring"), expose_key)
                         : NULL)) {
        char *cm =
            slu_asprintf("%s%s", slu_json_str(app, "metadata.name"), SPARK_PROM_CONFIGMAP_SUFFIX);
        char *vname = slu_asprintf("%s-vol", cm);
        add_cm_mount(x, app_volumes, cm, vname, PROM_MOUNT_PATH, NULL, app_volumes != NULL);
        const char *pn = nonempty(slu_json_path(app, "spec.monitoring.prometheus"), "portName");
        json_array_append_new(arr_at(x, "ports"),
                              json_pack("{s:s,s:I,s:s}", "name", pn ? pn : PROM_DEFAULT_PORT_NAME,
                                        "containerPort", (json_int_t)prometheus_port(app),
                                        "protocol", "TCP"));
        free(vname);
        free(cm);
    }
    const char *bs = nonempty(spec, "batchScheduler");
    if (bs)
        json_object_set_new(x, "schedulerName", json_string(bs));
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
    const char *name = slu_json_str(app, "metadata.name");
    return slu_asprintf("%s-driver", name ? name : "spark");
}

/* Sets key to the role's image, else the app's (driverConfOption / executorConfOption). */
static void role_image(struct spark_conf *c, const char *key, const json_t *spec, const json_t *pod)
{
    const char *img = nonempty(pod, "image");
    if (!img)
        img = nonempty(spec, "image");
    if (img)
        spark_conf_set(c, key, img);
}

static void template_confs(struct spark_conf *c, const char *role, const json_t *pod,
                           const char *submission_id, const char *container)
{
    if (!json_is_object(json_object_get(pod, "template")))
        return;
    char *file = slu_asprintf("/tmp/spark/%s/%s-pod-template.yaml",
                              submission_id ? submission_id : "none", role);
    char *k1 = slu_asprintf("spark.kubernetes.%s.podTemplateFile", role);
    char *k2 = slu_asprintf("spark.kubernetes.%s.podTemplateContainerName", role);
    spark_conf_set(c, k1, file);
    spark_conf_set(c, k2, container);
    free(k2);
    free(k1);
    free(file);
}

/* Properties spark-submit also takes from a flag, which wins over the same --conf. */
static const char *const flag_keys[] = {
    "spark.app.name",      "spark.submit.deployMode", "spark.jars",           "spark.jars.packages",
    "spark.jars.excludes", "spark.jars.repositories", "spark.submit.pyFiles", "spark.files",
    "spark.archives",
};

/* The copy of the app that defaults and Prometheus settings are applied to: a new top-level
 * object whose spec is a deep copy (everything that is changed, and everything the submission
 * keeps, is under spec) and whose other members (metadata, status, ...) are shared with app_in:
 * they are only read, and none of them is kept. */
static json_t *private_copy(const json_t *app_in)
{
    json_t *app = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)app_in, k, v)
    {
        if (strcmp(k, "spec") == 0 && (json_is_object(v) || json_is_array(v)))
            json_object_set_new_nocheck(app, k, slu_json_copy(v));
        else
            json_object_set_nocheck(app, k, v);
    }
    return app;
}

int spark_app_to_submission(const json_t *app_in, const char *submission_id,
                            struct spark_submission **out, struct slu_err *err)
{
    *out = NULL;
    if (!json_is_object(app_in))
        return slu_err_set(err, SLU_EINVAL, "SparkApplication: expected an object");
    json_t *app = private_copy(app_in);
    spark_app_apply_defaults(app);
    int rc = spark_app_validate(app, err);
    if (rc) {
        json_decref(app);
        return rc;
    }
    json_t *spec = json_object_get(app, "spec");
    const char *mode = slu_json_str(spec, "mode");
    if (!slu_streq(mode, "cluster")) {
        slu_err_set(err, SLU_EUNSUPPORTED,
                    "spec.mode: \"%s\" is not supported: sluice runs the driver in its own pod "
                    "(cluster mode)",
                    mode ? mode : "");
        json_decref(app);
        return SLU_EUNSUPPORTED;
    }
    prometheus_apply(app);
    struct spark_submission *s = slu_calloc(1, sizeof(*s));
    struct spark_conf *c = s->conf = spark_conf_new();
    json_t *driver = json_object_get(spec, "driver");
    json_t *executor = json_object_get(spec, "executor");
    const char *name = slu_json_str(app, "metadata.name");
    const char *ns = slu_json_str(app, "metadata.namespace");
    s->namespace = slu_strdup(ns && *ns ? ns : "default");
    s->app_name = slu_strdup(name);
    s->app_type = slu_strdup(slu_json_str(spec, "type"));
    s->spark_version = slu_strdup(slu_json_str(spec, "sparkVersion"));
    s->main_class = slu_strdup(slu_json_str(spec, "mainClass"));
    s->primary_resource = slu_strdup(slu_json_str(spec, "mainApplicationFile"));
    s->proxy_user = nonempty(spec, "proxyUser") ? slu_strdup(nonempty(spec, "proxyUser")) : NULL;
    s->driver_pod_name = spark_app_driver_pod_name(app);

    /* in the order the operator passes them to spark-submit (buildSparkSubmitArgs) */
    spark_conf_set(c, "spark.submit.deployMode", mode);
    spark_conf_set(c, "spark.app.name", name);
    conf_set_joined(c, "spark.jars", slu_json_path(spec, "deps.jars"));
    conf_set_joined(c, "spark.jars.packages", slu_json_path(spec, "deps.packages"));
    conf_set_joined(c, "spark.jars.excludes", slu_json_path(spec, "deps.excludePackages"));
    conf_set_joined(c, "spark.jars.repositories", slu_json_path(spec, "deps.repositories"));
    conf_set_joined(c, "spark.submit.pyFiles", slu_json_path(spec, "deps.pyFiles"));
    conf_set_joined(c, "spark.files", slu_json_path(spec, "deps.files"));
    conf_set_joined(c, "spark.archives", slu_json_path(spec, "deps.archives"));
    spark_conf_set(c, "spark.kubernetes.namespace", s->namespace);
    if (nonempty(spec, "image"))
        spark_conf_set(c, "spark.kubernetes.container.image", nonempty(spec, "image"));
    if (nonempty(spec, "imagePullPolicy"))
        spark_conf_set(c, "spark.kubernetes.container.image.pullPolicy",
                       nonempty(spec, "imagePullPolicy"));
    conf_set_joined(c, "spark.kubernetes.container.image.pullSecrets",
                    json_object_get(spec, "imagePullSecrets"));
    if (nonempty(spec, "pythonVersion"))
        spark_conf_set(c, "spark.kubernetes.pyspark.pythonVersion",
                       nonempty(spec, "pythonVersion"));
    if (nonempty(spec, "memoryOverheadFactor"))
        spark_conf_set(c, "spark.kubernetes.memoryOverheadFactor",
                       nonempty(spec, "memoryOverheadFactor"));
    spark_conf_set(c, "spark.kubernetes.submission.waitAppCompletion", "false");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(spec, "sparkConf"), k, v)
    {
        if (strcmp(k, "spark.kubernetes.driver.pod.name") == 0 || !json_is_string(v))
            continue;
        /* spark-submit's flags (--name, --deploy-mode, --jars, ...) win over --conf */
        bool flag = false;
        for (size_t i = 0; i < SLU_ARRAY_LEN(flag_keys); i++)
            if (strcmp(k, flag_keys[i]) == 0 && spark_conf_get(c, k))
                flag = true;
        if (!flag)
            spark_conf_set(c, k, json_string_value(v));
    }
    conf_set_map(c, "spark.hadoop.", json_object_get(spec, "hadoopConf"));
    template_confs(c, "driver", driver, submission_id, DRIVER_CONTAINER);
    spark_conf_set(c, "spark.kubernetes.driver.pod.name", s->driver_pod_name);

    /* driver (driverConfOption, driverEnvOption, driverSecretOption, driverVolumeMountsOption) */
    operator_labels(c, "driver", app, driver, submission_id);
    role_image(c, "spark.kubernetes.driver.container.image", spec, driver);
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
    user_labels(c, "driver", app, driver);
    /* the operator's labels win: it tracks its pods by them */
    operator_labels(c, "driver", app, driver, submission_id);
    conf_set_map(c, "spark.kubernetes.driver.service.label.",
                 json_object_get(driver, "serviceLabels"));
    conf_set_map(c, "spark.kubernetes.driver.service.annotation.",
                 json_object_get(driver, "serviceAnnotations"));
    secret_key_refs(c, "driver", driver);
    pod_env_secrets(c, "driver", driver);
    pod_local_dirs(c, "driver", spec, driver);

    /* executor */
    template_confs(c, "executor", executor, submission_id, EXECUTOR_CONTAINER);
    operator_labels(c, "executor", app, executor, submission_id);
    conf_set_json(c, "spark.executor.instances", json_object_get(executor, "instances"));
    role_image(c, "spark.kubernetes.executor.container.image", spec, executor);
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
    user_labels(c, "executor", app, executor);
    operator_labels(c, "executor", app, executor, submission_id);
    secret_key_refs(c, "executor", executor);
    conf_set_json(c, "spark.executor.extraJavaOptions", json_object_get(executor, "javaOptions"));
    pod_env_secrets(c, "executor", executor);
    pod_local_dirs(c, "executor", spec, executor);

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
                       json_is_false(st) ? "false" : "true");
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
    /* app is this function's own copy: what the submission keeps is taken from it by reference
     * (the templates, the pod objects that become the extras, the volumes), not copied again.
     * app_volumes is a new array (it is appended to) of the same volume objects. */
    json_t *dt = json_object_get(driver, "template");
    json_t *et = json_object_get(executor, "template");
    s->driver_template = json_is_object(dt) ? json_incref(dt) : NULL;
    s->executor_template = json_is_object(et) ? json_incref(et) : NULL;
    json_t *vols = json_object_get(spec, "volumes");
    s->app_volumes = json_array();
    if (json_is_array(vols))
        json_array_extend(s->app_volumes, vols);
    s->driver_extras = pod_extras(app, driver, "exposeDriverMetrics", s->app_volumes);
    s->executor_extras = pod_extras(app, executor, "exposeExecutorMetrics", NULL);
    json_decref(app);
    *out = s;
    return 0;
}

/* ---------------------------------------------------------------- submission -> app */

/* conf keys that have their own spec field: (conf key, spec path, kind) where kind is 's' string,
 * 'i' integer, 'b' boolean. A value that does not fit the kind stays in spec.sparkConf. */
static const struct {
    const char *key;
    const char *path;
    char kind;
} field_map[] = {
    {"spark.kubernetes.container.image", "spec.image", 's'},
    {"spark.kubernetes.container.image.pullPolicy", "spec.imagePullPolicy", 'P'},
    {"spark.kubernetes.memoryOverheadFactor", "spec.memoryOverheadFactor", 'f'},
    {"spark.driver.cores", "spec.driver.cores", 'p'},
    {"spark.kubernetes.driver.request.cores", "spec.driver.coreRequest", 'q'},
    {"spark.kubernetes.driver.limit.cores", "spec.driver.coreLimit", 'q'},
    {"spark.driver.memory", "spec.driver.memory", 'm'},
    {"spark.driver.memoryOverhead", "spec.driver.memoryOverhead", 'o'},
    {"spark.kubernetes.authenticate.driver.serviceAccountName", "spec.driver.serviceAccount", 's'},
    {"spark.driver.extraJavaOptions", "spec.driver.javaOptions", 's'},
    {"spark.kubernetes.driver.master", "spec.driver.kubernetesMaster", 's'},
    {"spark.executor.instances", "spec.executor.instances", 'p'},
    {"spark.executor.cores", "spec.executor.cores", 'p'},
    {"spark.kubernetes.executor.request.cores", "spec.executor.coreRequest", 'q'},
    {"spark.kubernetes.executor.limit.cores", "spec.executor.coreLimit", 'q'},
    {"spark.executor.memory", "spec.executor.memory", 'm'},
    {"spark.executor.memoryOverhead", "spec.executor.memoryOverhead", 'o'},
    {"spark.kubernetes.authenticate.executor.serviceAccountName", "spec.executor.serviceAccount",
     's'},
    {"spark.executor.extraJavaOptions", "spec.executor.javaOptions", 's'},
    {"spark.kubernetes.executor.deleteOnTermination", "spec.executor.deleteOnTermination", 'b'},
};

/* Dynamic allocation keys, mapped only when spark.dynamicAllocation.enabled is "true" (the
 * operator writes none of them when it is off). */
static const struct {
    const char *key;
    const char *path;
    char kind;
} da_map[] = {
    {"spark.dynamicAllocation.enabled", "spec.dynamicAllocation.enabled", 'b'},
    {"spark.dynamicAllocation.initialExecutors", "spec.dynamicAllocation.initialExecutors", 'i'},
    {"spark.dynamicAllocation.minExecutors", "spec.dynamicAllocation.minExecutors", 'i'},
    {"spark.dynamicAllocation.maxExecutors", "spec.dynamicAllocation.maxExecutors", 'i'},
    {"spark.dynamicAllocation.shuffleTracking.enabled",
     "spec.dynamicAllocation.shuffleTrackingEnabled", 'b'},
    {"spark.dynamicAllocation.shuffleTracking.timeout",
     "spec.dynamicAllocation.shuffleTrackingTimeout", 'i'},
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
    {"spark.kubernetes.driverEnv.", "spec.driver.envVars"},
    {"spark.executorEnv.", "spec.executor.envVars"},
};

/* The value as JSON of the kind, or NULL when it does not fit (it then stays in sparkConf, so
 * the app maps back to the very same conf and passes validation). Kinds: 's' any string, 'i'
 * int32, 'p' int32 > 0, 'b' "true"/"false", 'm' memory > 0, 'o' memory >= 0, 'q' CPU quantity >
 * 0, 'f' number >= 0, 'P' image pull policy. */
static json_t *typed_value(const char *v, char kind)
{
    int64_t n;
    double d;
    struct kube_quantity q;
    switch (kind) {
    case 'i':
    case 'p':
        if (slu_parse_i64(v, &n) == 0 && n >= (kind == 'p' ? 1 : INT32_MIN) && n <= INT32_MAX) {
            /* only the canonical text maps back to itself */
            char buf[24];
            snprintf(buf, sizeof(buf), "%lld", (long long)n);
            if (strcmp(buf, v) == 0)
                return json_integer(n);
        }
        return NULL;
    case 'b':
        if (strcmp(v, "true") == 0)
            return json_true();
        if (strcmp(v, "false") == 0)
            return json_false();
        return NULL;
    case 'm':
    case 'o':
        if (spark_size_parse(v, "m", &n, NULL) != 0 || n < 0 || (n == 0 && kind == 'm'))
            return NULL;
        return json_string(v);
    case 'q':
        if (kube_quantity_parse(v, &q, NULL) != 0 || q.nanos <= 0)
            return NULL;
        return json_string(v);
    case 'f':
        if (slu_parse_double(v, &d) != 0 || !(d >= 0))
            return NULL;
        return json_string(v);
    case 'P':
        if (strcmp(v, "Always") != 0 && strcmp(v, "Never") != 0 && strcmp(v, "IfNotPresent") != 0)
            return NULL;
        return json_string(v);
    default:
        return json_string(v);
    }
}

/* A comma list as the spec's list, when joining it back gives v exactly (no blanks around
 * entries, no empty entries); else NULL. */
static json_t *list_value(const char *v)
{
    if (!*v)
        return NULL;
    char **parts = slu_str_split(v, ',', false, NULL);
    json_t *arr = json_array();
    bool exact = parts != NULL;
    for (char **p = parts; exact && *p; p++) {
        size_t l = strlen(*p);
        if (l == 0 || isspace((unsigned char)(*p)[0]) || isspace((unsigned char)(*p)[l - 1]))
            exact = false;
        else
            json_array_append_new(arr, json_string(*p));
    }
    slu_strv_free(parts);
    if (!exact) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* Whether a map entry (key under a prefix) is valid where it would go: label keys and values
 * for labels and selectors, annotation keys, non-empty otherwise. */
static bool map_entry_fits(const char *path, const char *key, const char *value)
{
    if (!*key)
        return false;
    if (slu_str_has_suffix(path, "abels") || slu_str_has_suffix(path, "nodeSelector"))
        return !kube_label_key_invalid(key) && !kube_label_value_invalid(value);
    if (slu_str_has_suffix(path, "nnotations"))
        return !kube_label_key_invalid(key);
    return true;
}

/* The object at a dotted path (keys without dots), created when absent. Borrowed. */
static json_t *obj_path(json_t *root, const char *path)
{
    json_t *m = slu_json_path(root, path);
    if (!json_is_object(m)) {
        slu_json_set(root, path, json_object());
        m = slu_json_path(root, path);
    }
    return m;
}

/* Sets a map entry at path.key where key may contain dots (so slu_json_set cannot be used). */
static void set_map_entry(json_t *app, const char *path, const char *key, json_t *value)
{
    json_object_set_new(obj_path(app, path), key, value);
}

static bool is_operator_label(const char *k)
{
    static const char *const own[] = {SPARK_LABEL_APP_NAME, SPARK_LABEL_LAUNCHED_BY,
                                      SPARK_LABEL_MUTATED_BY, SPARK_LABEL_SUBMISSION_ID};
    static const char *const roles[] = {"spark.kubernetes.driver.label.",
                                        "spark.kubernetes.executor.label."};
    for (size_t r = 0; r < 2; r++) {
        if (!slu_str_has_prefix(k, roles[r]))
            continue;
        for (size_t i = 0; i < SLU_ARRAY_LEN(own); i++)
            if (strcmp(k + strlen(roles[r]), own[i]) == 0)
                return true;
    }
    return false;
}

/* spark.kubernetes.<role>.secretKeyRef.ENV = name:key and .secrets.NAME = path. */
static bool role_secret_entry(json_t *app, const char *k, const char *v)
{
    static const char *const roles[] = {"driver", "executor"};
    for (size_t r = 0; r < 2; r++) {
        char p1[64], p2[64], path[64];
        snprintf(p1, sizeof(p1), "spark.kubernetes.%s.secretKeyRef.", roles[r]);
        snprintf(p2, sizeof(p2), "spark.kubernetes.%s.secrets.", roles[r]);
        if (slu_str_has_prefix(k, p1) && k[strlen(p1)]) {
            const char *colon = strchr(v, ':');
            if (!colon || colon == v || !colon[1])
                return false;
            char *sn = slu_strdup(v);
            sn[colon - v] = '\0';
            snprintf(path, sizeof(path), "spec.%s.envSecretKeyRefs", roles[r]);
            set_map_entry(app, path, k + strlen(p1),
                          json_pack("{s:s,s:s}", "name", sn, "key", colon + 1));
            free(sn);
            return true;
        }
        if (slu_str_has_prefix(k, p2) && kube_is_dns1123_subdomain(k + strlen(p2))) {
            snprintf(path, sizeof(path), "spec.%s", roles[r]);
            json_t *pod = obj_path(app, path);
            json_array_append_new(arr_at(pod, "secrets"),
                                  json_pack("{s:s,s:s,s:s}", "name", k + strlen(p2), "path", v,
                                            "secretType", "Generic"));
            return true;
        }
    }
    return false;
}

/* spark.kubernetes.<role>.podTemplateFile: the template is read (the operator cannot read the
 * submitter's files) into spec.<role>.template. */
static int load_template(json_t *app, const char *role, const char *file, struct slu_err *err)
{
    json_t *pod = NULL;
    int rc = spark_pod_template_load(file, &pod, NULL, err);
    if (rc) {
        slu_err_prefix(err, "spark.kubernetes.%s.podTemplateFile", role);
        return rc;
    }
    char path[64];
    snprintf(path, sizeof(path), "spec.%s", role);
    json_object_set_new(obj_path(app, path), "template", pod);
    return 0;
}

int spark_app_from_conf(const struct spark_conf *conf, const char *main_class,
                        const char *primary_resource, char *const *args, size_t nargs,
                        const char *ns, const char *name, const char *spark_version, json_t **out,
                        struct slu_err *err)
{
    *out = NULL;
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
    switch (spark_app_type_of(primary_resource)) {
    case SPARK_APP_PYTHON:
        type = "Python";
        break;
    case SPARK_APP_R:
        type = "R";
        break;
    default:
        break;
    }
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
            json_array_append_new(a, json_string(args[i] ? args[i] : ""));
        json_object_set_new(spec, "arguments", a);
    }
    obj_at(spec, "driver");
    obj_at(spec, "executor");
    const char *image = spark_conf_get(conf, "spark.kubernetes.container.image");
    /* dynamic allocation goes to its fields only as the operator writes it (enabled and
     * shuffleTracking.enabled both set); otherwise the keys stay as they are in sparkConf */
    bool da_on = slu_streq(spark_conf_get(conf, "spark.dynamicAllocation.enabled"), "true") &&
                 spark_conf_get(conf, "spark.dynamicAllocation.shuffleTracking.enabled");
    char *default_pod = slu_asprintf("%s-driver", name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spark_conf_len(conf); i++) {
        const char *k = spark_conf_key_at(conf, i), *v = spark_conf_value_at(conf, i);
        bool done = false;
        /* what the operator sets itself, or what has a place outside the spec */
        if (strcmp(k, "spark.app.name") == 0 || strcmp(k, "spark.submit.deployMode") == 0 ||
            strcmp(k, "spark.master") == 0 || strcmp(k, "spark.kubernetes.namespace") == 0 ||
            (strcmp(k, "spark.kubernetes.submission.waitAppCompletion") == 0 &&
             strcmp(v, "false") == 0) ||
            is_operator_label(k))
            continue;
        if (strcmp(k, "spark.kubernetes.driver.pod.name") == 0 && strcmp(v, default_pod) == 0)
            continue;
        if ((strcmp(k, "spark.kubernetes.driver.container.image") == 0 ||
             strcmp(k, "spark.kubernetes.executor.container.image") == 0)) {
            if (!slu_streq(v, image))
                slu_json_set(app, strstr(k, "driver") ? "spec.driver.image" : "spec.executor.image",
                             json_string(v));
            continue;
        }
        if (strcmp(k, "spark.kubernetes.pyspark.pythonVersion") == 0 &&
            (strcmp(v, "2") == 0 || strcmp(v, "3") == 0)) {
            json_object_set_new(spec, "pythonVersion", json_string(v));
            continue;
        }
        if (strcmp(k, "spark.kubernetes.driver.podTemplateFile") == 0) {
            rc = load_template(app, "driver", v, err);
            continue;
        }
        if (strcmp(k, "spark.kubernetes.executor.podTemplateFile") == 0) {
            rc = load_template(app, "executor", v, err);
            continue;
        }
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(field_map); j++)
            if (strcmp(k, field_map[j].key) == 0) {
                json_t *tv = typed_value(v, field_map[j].kind);
                if (tv) {
                    slu_json_set(app, field_map[j].path, tv);
                    done = true;
                }
                break;
            }
        for (size_t j = 0; !done && da_on && j < SLU_ARRAY_LEN(da_map); j++)
            if (strcmp(k, da_map[j].key) == 0) {
                json_t *tv = typed_value(v, da_map[j].kind);
                if (tv) {
                    slu_json_set(app, da_map[j].path, tv);
                    done = true;
                }
                break;
            }
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(list_map); j++)
            if (strcmp(k, list_map[j].key) == 0) {
                json_t *arr = list_value(v);
                if (arr) {
                    slu_json_set(app, list_map[j].path, arr);
                    done = true;
                }
                break;
            }
        for (size_t j = 0; !done && j < SLU_ARRAY_LEN(map_map); j++)
            if (slu_str_has_prefix(k, map_map[j].prefix) &&
                map_entry_fits(map_map[j].path, k + strlen(map_map[j].prefix), v)) {
                set_map_entry(app, map_map[j].path, k + strlen(map_map[j].prefix), json_string(v));
                done = true;
            }
        if (!done)
            done = role_secret_entry(app, k, v);
        if (!done)
            set_map_entry(app, "spec.sparkConf", k, json_string(v));
    }
    free(default_pod);
    if (rc) {
        json_decref(app);
        return rc;
    }
    /* the operator needs a restart policy; a spark-submit never retries */
    if (!slu_json_path(app, "spec.restartPolicy"))
        slu_json_set(app, "spec.restartPolicy", json_pack("{s:s}", "type", "Never"));
    *out = app;
    return 0;
}
