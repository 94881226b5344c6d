/*
 * spark.h - the public contract of src/spark: Spark configuration (properties, sizes, times,
 * precedence layers), the spark-submit command line, the SparkApplication model, and the builder
 * of the driver objects exactly as `spark-submit --deploy-mode cluster` creates them.
 */
#ifndef SLU_SPARK_H
#define SLU_SPARK_H

#include <jansson.h>

#include "base/base.h"
#include "json/json.h"
#include "kube/kube.h"

/* ================================================================ conf (conf.c) */

/* An ordered map of Spark properties (insertion order kept; set on an existing key replaces the
 * value in place). */
struct spark_conf;
struct spark_conf *spark_conf_new(void);
struct spark_conf *spark_conf_copy(const struct spark_conf *c);
void spark_conf_free(struct spark_conf *c);
void spark_conf_set(struct spark_conf *c, const char *key, const char *value); /* copied */
const char *spark_conf_get(const struct spark_conf *c, const char *key); /* borrowed or NULL */
bool spark_conf_unset(struct spark_conf *c, const char *key);
size_t spark_conf_len(const struct spark_conf *c);
/* i-th entry in insertion order (borrowed). */
const char *spark_conf_key_at(const struct spark_conf *c, size_t i);
const char *spark_conf_value_at(const struct spark_conf *c, size_t i);

/* JavaUtils.byteStringAs: "2g", "512m", "1024k", "100" (in default_unit), "1gb"... into bytes.
 * default_unit one of "b", "k", "m", "g", "t", "p". */
int spark_size_parse(const char *s, const char *default_unit, int64_t *bytes, struct slu_err *err);
/* JavaUtils.timeStringAs: "10s", "100ms", "5min", "1h", "2d", "30" (default_unit) into ms. */
int spark_time_parse(const char *s, const char *default_unit, int64_t *ms, struct slu_err *err);

/* --- more of conf (conf.c, size.c; owner: sparkconf). See docs/internals/spark.md. */

/* Merges src into dst. overwrite: src wins on keys present in both; else dst keeps its value.
 * New keys are appended in src's order. */
void spark_conf_merge(struct spark_conf *dst, const struct spark_conf *src, bool overwrite);
/* New conf with the entries whose key starts with prefix, the prefix stripped (SparkConf
 * getAllWithPrefix), in insertion order. Returned owned. */
struct spark_conf *spark_conf_with_prefix(const struct spark_conf *c, const char *prefix);
/* Removes every key that does not start with "spark." (logs a warning for each, as
 * SparkSubmitArguments.ignoreNonSparkProperties does). Returns how many were removed. */
size_t spark_conf_drop_non_spark(struct spark_conf *c);

/* Typed getters with Spark's ConfigBuilder semantics. Absent key: *out = def (or the default
 * string parsed), return 0. Bad value: SLU_EINVAL, message "<key> should be boolean, but was
 * <v>" (as Spark), or the size/time error. */
int spark_conf_get_bool(const struct spark_conf *c, const char *key, bool def, bool *out,
                        struct slu_err *err);
int spark_conf_get_int(const struct spark_conf *c, const char *key, int32_t def, int32_t *out,
                       struct slu_err *err);
int spark_conf_get_long(const struct spark_conf *c, const char *key, int64_t def, int64_t *out,
                        struct slu_err *err);
int spark_conf_get_double(const struct spark_conf *c, const char *key, double def, double *out,
                          struct slu_err *err);
/* bytesConf(unit): the value (or def, a size string; NULL means "no default": *out untouched
 * and SLU_ENOTFOUND when absent) as byteStringAs(v, unit). */
int spark_conf_get_size(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err);
/* timeConf(unit): as above with timeStringAs(v, unit). */
int spark_conf_get_time(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err);

/* java.util.Properties.load(Reader) of text (UTF-8): separators '=' ':' or whitespace, comments
 * '#' '!', continuation lines (odd number of trailing backslashes), escapes \t \n \r \f
 * \uXXXX, other "\c" -> c; leading whitespace skipped. Entries are set into out (a later
 * duplicate replaces an earlier one). Keys and values are kept exactly (no trimming, no filter).
 * origin names the input in error messages ("<origin>:<line>: Malformed \uxxxx encoding."). */
int spark_properties_parse(const char *text, size_t len, const char *origin, struct spark_conf *out,
                           struct slu_err *err);
/* Utils.getPropertiesFromFile + SparkSubmitArguments.loadPropertiesFromFile: reads path (cap 4
 * MiB; "Properties file <path> does not exist" / "is not a normal file"), parses it, trims each
 * value except CR/LF (Utils.trimExceptCRLF) and, when spark_only, keeps only keys starting with
 * "spark.". Each entry is set into c when overwrite or when c lacks the key. */
int spark_conf_load_file(struct spark_conf *c, const char *path, bool spark_only, bool overwrite,
                         struct slu_err *err);
/* Utils.getDefaultPropertiesFile: <spark_conf_dir or spark_home/conf>/spark-defaults.conf when
 * that is a regular file, else NULL. Either argument may be NULL (unset env). Returned owned. */
char *spark_conf_default_properties_path(const char *spark_conf_dir, const char *spark_home);
/* Spark's precedence, SparkSubmitArguments.mergeDefaultSparkProperties: start from cmdline
 * (the --conf pairs; may be NULL), add keys of properties_file (may be NULL) not already set,
 * then, when properties_file is NULL or load_spark_defaults ([4.0] --load-spark-defaults), keys of
 * spark-defaults.conf (see above) not already set; finally drop non-"spark." keys. *out is
 * returned owned. */
int spark_conf_resolve(const struct spark_conf *cmdline, const char *properties_file,
                       bool load_spark_defaults, const char *spark_conf_dir, const char *spark_home,
                       struct spark_conf **out, struct slu_err *err);

/* java.util.Properties.saveConvert: appends s escaped to out. is_key escapes every space (values
 * only a leading one); '\\' '=' ':' '#' '!' get a backslash; TAB LF CR FF become \t \n \r \f.
 * escape_unicode (store(OutputStream)) also writes chars < 0x20 and > 0x7e as \uXXXX (UTF-16,
 * upper-case hex); Spark's spark.properties is written with store(Writer), i.e. false: other
 * bytes are copied raw. */
void spark_properties_escape(struct slu_buf *out, const char *s, bool is_key, bool escape_unicode);
/* java.util.Properties.store(Writer, comment) text of c, the way the driver ConfigMap's
 * spark.properties is written (spec spark-objects.md 6.2): "#<comment>\n" when comment is not
 * NULL (line breaks in it continue as comment lines, chars > U+00FF as \uXXXX), "#<date>\n"
 * when date is not NULL (see spark_properties_date), then "key=value\n" per entry, escaped with
 * escape_unicode=false, in insertion order or sorted by key (JDK 18+). Returned owned. */
char *spark_properties_store(const struct spark_conf *c, const char *comment, const char *date,
                             bool sorted);
/* java.util.Date.toString in UTC: "Wed Jan 01 00:00:00 UTC 2025" into buf (>= 32 bytes). */
void spark_properties_date(int64_t unix_seconds, char *buf, size_t n);

/* byteStringAs(s, unit): s in unit when it has no suffix, result in unit (a conversion to a
 * larger unit truncates; to a smaller one fails on overflow). unit: b k m g t p. */
int spark_size_as(const char *s, const char *unit, int64_t *out, struct slu_err *err);
/* Memory settings as the driver/executor feature steps read them (bytesConf(MiB)): "1g" -> 1024,
 * "512m" -> 512, "2048" -> 2048 (no suffix: MiB), "1500k" -> 1. */
int spark_memory_mib(const char *s, int64_t *mib, struct slu_err *err);
/* timeStringAs(s, unit): no suffix means unit; result in unit (truncating / saturating as
 * TimeUnit.convert). unit: ns us ms s m min h d (strings may not use "ns"). */
int spark_time_as(const char *s, const char *unit, int64_t *out, struct slu_err *err);
/* As spark_time_as, with a default unit for suffix-less numbers that differs from the result's. */
int spark_time_parse_into(const char *s, const char *default_unit, const char *unit, int64_t *out,
                          struct slu_err *err);

/* ================================================================ app (app.c; owner: sparkapp).
 * See docs/internals/spark.md, section "SparkApplication model". */

/* Labels the operator puts on every pod it launches (spec/sparkapplication.md 3.2). */
#define SPARK_LABEL_APP_NAME "sparkoperator.k8s.io/app-name"
#define SPARK_LABEL_LAUNCHED_BY "sparkoperator.k8s.io/launched-by-spark-operator"
#define SPARK_LABEL_SUBMISSION_ID "sparkoperator.k8s.io/submission-id"
#define SPARK_LABEL_SCHEDULED_APP "sparkoperator.k8s.io/scheduled-app-name"
/* Set on pods when sparkVersion < 3.0.0 or there is no pod template (nothing selects on it). */
#define SPARK_LABEL_MUTATED_BY "sparkoperator.k8s.io/mutated-by-spark-operator"
/* On the Services and ConfigMaps the operator creates. */
#define SPARK_LABEL_CREATED_BY "sparkoperator.k8s.io/created-by-spark-operator"
/* The Prometheus ConfigMap of an app is "<app>" SPARK_PROM_CONFIGMAP_SUFFIX. */
#define SPARK_PROM_CONFIGMAP_SUFFIX "-prom-conf"

/* What spark-submit would be given for one SparkApplication submission. */
struct spark_submission {
    struct spark_conf *conf; /* effective conf, in the order the operator passes --conf */
    char *main_class;        /* or NULL */
    char *primary_resource;
    char **args; /* NULL-terminated */
    size_t nargs;
    char *app_type;      /* "Java", "Scala", "Python", "R" */
    char *spark_version; /* spec.sparkVersion, e.g. "4.0.4" */
    char *namespace;
    char *app_name;
    char *proxy_user; /* or NULL */
    char *driver_pod_name;
    /* The pod fields the Kubeflow webhook patches into pods (spec.driver / spec.executor as JSON,
     * without `template`, plus the app-level `volumes`, `sparkConfigMap`, `hadoopConfigMap`,
     * `batchScheduler`): the builder applies them directly. The extras, the templates and
     * app_volumes may share values with one another (docs/internals/spark.md, "Object building
     * cost"): read them only, or copy one before changing it. */
    json_t *driver_extras;
    json_t *executor_extras;
    json_t *driver_template; /* spec.driver.template (a PodTemplateSpec) or NULL */
    json_t *executor_template;
    /* spec.volumes plus the ConfigMap volumes the webhook would add and that the extras mount
     * (spark-configmap-volume, hadoop-configmap-volume, <app>-prom-conf-vol): pass it as
     * spark_build_input.app_volumes. Always an array. */
    json_t *app_volumes;
};
void spark_submission_free(struct spark_submission *s);

/* "4.0.4" -> "4.0", "3.5.1" -> "3.5" (whose builder rules apply); NULL -> "4.0". Static. */
const char *spark_app_rules_version(const char *spark_version);
/* The defaults of spec/sparkapplication.md 1.2 applied to app in place (what the Kubeflow
 * webhook would do; Sluice applies them itself, always). */
void spark_app_apply_defaults(json_t *app);
/* Validation with field paths: SLU_EINVAL, err->msg "SparkApplication \"x\" is invalid:
 * spec.driver.cores: must be greater than 0; ...", one cause per problem. */
int spark_app_validate(const json_t *app, struct slu_err *err);
/* spec.driver.podName, else sparkConf spark.kubernetes.driver.pod.name, else "<app>-driver".
 * Returned owned. */
char *spark_app_driver_pod_name(const json_t *app);
/* Defaults + validation + the operator's mapping of every spec field onto spark-submit
 * (spec/sparkapplication.md 3.1, in the operator's order), Prometheus included (javaagent in
 * javaOptions, spark.metrics.*, prometheus.io annotations). submission_id (may be NULL) becomes
 * the sparkoperator.k8s.io/submission-id label and names the pod template files. Errors:
 * SLU_EINVAL (validation, with causes), SLU_EUNSUPPORTED (spec.mode client). app is borrowed;
 * *out returned owned. */
int spark_app_to_submission(const json_t *app, const char *submission_id,
                            struct spark_submission **out, struct slu_err *err);
/* The other way: a SparkApplication (returned owned) from a spark-submit's effective conf,
 * class, primary resource and arguments. Conf keys with a spec field go there (when the value fits
 * the field's type); keys the operator sets itself are dropped (its labels, waitAppCompletion,
 * spark.master, the default driver pod name); spark.kubernetes.{driver,executor}.podTemplateFile
 * is read (a local file) into spec.{driver,executor}.template; the rest go to spec.sparkConf.
 * So from_conf(to_submission(app).conf) gives the same conf again. --proxy-user is not part of
 * the conf: set spec.proxyUser on the result. name NULL: spark.app.name. ns NULL:
 * spark.kubernetes.namespace or "default". */
int spark_app_from_conf(const struct spark_conf *conf, const char *main_class,
                        const char *primary_resource, char *const *args, size_t nargs,
                        const char *ns, const char *name, const char *spark_version, json_t **out,
                        struct slu_err *err);
/* The <app>-prom-conf ConfigMap the operator creates before submitting (metrics.properties unless
 * spec.monitoring.metricsPropertiesFile, prometheus.yaml unless prometheus.configFile; label
 * created-by; owner reference when metadata.uid is set). *cm = NULL (and 0) when the app needs
 * none. *cm returned owned. */
int spark_app_prometheus_configmap(const json_t *app, json_t **cm, struct slu_err *err);

/* ================================================================ build (build*.c, policy.c;
 * owner: sparkbuild). The Kubernetes objects `spark-submit --deploy-mode cluster` creates, built
 * in-process (spec spark-objects.md 2-9, 11). See docs/internals/spark.md, section "Builder". */

/* Application kind; decides the driver args, the default overhead factor and
 * spark.kubernetes.resource.type. SPARK_APP_AUTO: from the primary resource (.py, .R/.r, else
 * Java), as spark-submit does. */
enum spark_app_type { SPARK_APP_AUTO = 0, SPARK_APP_JAVA, SPARK_APP_PYTHON, SPARK_APP_R };

/* Platform policy (off unless passed to spark_build; never part of Spark itself):
 * - memory padding: when spark.{driver,executor}.memoryOverhead is not set, Spark's overhead
 *   max(factor*mem, min) is rounded up to a multiple of round_mib; then pad_mib is added (also to
 *   a configured overhead). The result is written as spark.{driver,executor}.memoryOverhead, so
 *   the driver pod and (through spark.properties) the executors get it.
 * - CPU overcommit: when 0 < cpu_ratio < 1 and spark.kubernetes.{driver,executor}.request.cores
 *   is not set, it is set to cores x ratio (millicores, "800m"); Spark is still told the cores.
 */
struct spark_policy {
    bool memory_padding;
    int64_t pad_mib;   /* 100 */
    int64_t round_mib; /* 512 */
    double cpu_ratio;  /* 0 = off; e.g. 0.8 */
};
/* The seed platform's values (memory padding on, 100 MiB, 512 MiB, cpu_ratio 0.8). */
void spark_policy_init_default(struct spark_policy *p);
/* Applies p to conf in place (see above); spark_version as for spark_build. */
int spark_policy_apply(const struct spark_policy *p, struct spark_conf *conf,
                       const char *spark_version, enum spark_app_type type, struct slu_err *err);

/* Memory of one Spark pod (spec 4), all MiB. */
struct spark_memory {
    int64_t heap;          /* spark.{driver,executor}.memory */
    int64_t overhead;      /* configured or max((int)(factor*heap), min) */
    int64_t offheap;       /* executors: spark.memory.offHeap.size when enabled */
    int64_t pyspark;       /* executors: spark.executor.pyspark.memory for Python apps */
    int64_t total;         /* what the pod requests and limits ("<total>Mi") */
    double factor;         /* the overhead factor used */
    double default_factor; /* driver: written as spark.kubernetes.memoryOverheadFactor */
};
/* Driver arithmetic (BasicDriverFeatureStep). spark_version: "3.5[.x]" or "4.0[.x]" (any 3.x
 * behaves as 3.5, 4.x and later as 4.0); NULL means "4.0.0". */
int spark_driver_memory(const struct spark_conf *conf, const char *spark_version,
                        enum spark_app_type type, struct spark_memory *out, struct slu_err *err);
/* Executor arithmetic (BasicExecutorFeatureStep), from the driver's conf (spark.properties:
 * spark.kubernetes.memoryOverheadFactor and spark.kubernetes.resource.type are read there). */
int spark_executor_memory(const struct spark_conf *conf, const char *spark_version,
                          struct spark_memory *out, struct slu_err *err);

/* KubernetesUtils.uniqueID: 6 hex chars of 3 random bytes (bytes may be NULL: random) + lowercase
 * unpadded hex of (now_ms & 0xFFFFFFFFFF). buf >= 24 bytes. */
void spark_unique_id(const unsigned char *bytes3, int64_t now_ms, char *buf, size_t n);
/* KubernetesConf.getResourceNamePrefix(app_name + "-" + unique_id), sanitised (spec 2.2).
 * Returned owned. */
char *spark_resource_name_prefix(const char *app_name, const char *unique_id);
/* KubernetesConf.getAppNameLabel (spec 2.4). Returned owned. */
char *spark_app_name_label(const char *app_name);
/* Executor hostname from its pod name: last 63 chars, leading non-word chars dropped, runs of
 * [^A-Za-z0-9_-] as "_". Returned owned. */
char *spark_executor_hostname(const char *pod_name);

/* What spark_build reads. Everything is borrowed. Fields marked "NULL: random/now" make the
 * output non-deterministic unless given; tests give them all. */
struct spark_build_input {
    const struct spark_conf *conf; /* the effective conf (spark-submit's), required */
    const char *spark_version;     /* "3.5.1", "4.0.0", ... NULL: "4.0.0". Used as the
                                      spark-version label ("X.Y" becomes "X.Y.0") */
    enum spark_app_type app_type;  /* SPARK_APP_AUTO: from primary_resource */
    const char *main_class;        /* --class (Java; ignored for Python/R) */
    const char *primary_resource;  /* NULL or "spark-internal": none */
    const char *const *app_args;
    size_t nargs;
    const char *proxy_user;     /* --proxy-user, or NULL */
    const char *namespace;      /* NULL: spark.kubernetes.namespace, else "default" */
    const char *app_id;         /* spark.app.id; NULL: "spark-" + 32 random hex */
    const char *unique_id;      /* resource name prefix id; NULL: spark_unique_id(random) */
    const char *conf_map_id;    /* id in spark-drv-<id>-conf-map; NULL: unique_id */
    const char *service_id;     /* id in the spark-<id>-driver-svc fallback; NULL: unique_id */
    const char *local_dir_uuid; /* /var/data/spark-<uuid>; NULL: random UUID */
    int64_t now_ms;             /* spark.app.submitTime, ids, properties date; 0: now */
    /* The submitting process's environment (see spark_build_input_from_env). */
    const char *spark_user;                /* SPARK_USER; NULL: "root" */
    const char *env_local_dirs;            /* $SPARK_LOCAL_DIRS or NULL */
    const char *env_pyspark_python;        /* $PYSPARK_PYTHON or NULL */
    const char *env_pyspark_driver_python; /* $PYSPARK_DRIVER_PYTHON or NULL */
    /* Files of the submitter's conf dir: a JSON object file name -> text (eligibility rules of
     * spec 6.1 are applied here), or NULL. */
    const json_t *conf_files;
    /* Pod templates (parsed Pod objects), required when spark.kubernetes.{driver,executor}.
     * podTemplateFile is set (see spark_pod_template_load); may also be given without the key.
     * executor_template_text: the file's text for the podspec ConfigMap (NULL: the template is
     * written as JSON, which is YAML too). */
    const json_t *driver_template;
    const json_t *executor_template;
    const char *executor_template_text;
    /* SparkApplication pod-level fields (a SparkPodSpec object: spec.driver / spec.executor) that
     * the Kubeflow pod webhook would patch in, applied directly: into the driver Pod, and into
     * the executor pod template (so executors get them from Spark, without a webhook).
     * app_volumes: spec.volumes, looked up by volumeMounts. Each may be NULL. */
    const json_t *driver_extras;
    const json_t *executor_extras;
    const json_t *app_volumes;
    const struct spark_policy *policy; /* NULL: off */
};

/* Fills the environment-derived fields of in that are NULL from the process environment
 * (SPARK_USER, else HADOOP_USER_NAME, else USER / LOGNAME; SPARK_LOCAL_DIRS; PYSPARK_PYTHON;
 * PYSPARK_DRIVER_PYTHON). The strings are borrowed from the environment. */
void spark_build_input_from_env(struct spark_build_input *in);

/* Builds the objects of one cluster-mode submission. *objects (returned owned) is a JSON array in
 * the order spark-submit creates them: [driver Pod (POSTed), then, server-side applied with the
 * driver pod as owner: credentials Secret?, driver Service, driver PVCs..., executor pod template
 * ConfigMap?, spark conf ConfigMap]. Owner references are not set (the pod uid is not known yet:
 * see spark_build_set_owner). Namespaces are as Spark writes them (only the conf ConfigMap has
 * one); *namespace_out (may be NULL) receives the namespace to create them in (owned).
 * Errors (SLU_EINVAL with Spark's message): missing image, bad pull policy, bad volume/secret
 * conf, reserved labels, user-set spark.driver.bindAddress, local files that need an upload
 * (sluice does not upload; SLU_EUNSUPPORTED), template key set without a template. */
int spark_build(const struct spark_build_input *in, json_t **objects, char **namespace_out,
                struct slu_err *err);

/* Sets ownerReferences = [{apiVersion, kind: Pod, name, uid, controller: true}] of driver_pod (as
 * created, with its uid) on every element of objects except Pods (replacing any list). */
void spark_build_set_owner(json_t *objects, const json_t *driver_pod);

/* Reads a pod template file (YAML or JSON, cap 1 MiB) as KubernetesUtils.loadPodFromTemplate:
 * *pod and *text (may be NULL) returned owned. Only local paths and file: URIs. */
int spark_pod_template_load(const char *path, json_t **pod, char **text, struct slu_err *err);

/* Applies SparkApplication pod-level fields (SparkPodSpec: env, envFrom, configMaps,
 * volumeMounts (+ app_volumes), ports, hostNetwork, hostAliases, initContainers, sidecars,
 * dnsConfig, priorityClassName, schedulerName, nodeSelector, affinity, tolerations, gpu,
 * memoryLimit, securityContext, podSecurityContext, terminationGracePeriodSeconds, lifecycle,
 * shareProcessNamespace, runtimeClassName, labels, annotations, serviceAccount) to pod in place,
 * as the Kubeflow pod webhook does. The Spark container is the one named container_name, else the
 * first. */
int spark_pod_apply_extras(json_t *pod, const json_t *extras, const json_t *app_volumes,
                           const char *container_name, struct slu_err *err);

/* What the driver JVM adds to its conf when it starts (entrypoint.sh and
 * KubernetesClusterManager): spark.driver.bindAddress and spark.executorEnv.SPARK_DRIVER_POD_IP =
 * pod_ip (when not NULL), and spark.kubernetes.executor.podNamePrefix = a new resource name prefix
 * (exec_unique_id, NULL: random) when unset. conf is the parsed spark.properties. */
int spark_driver_runtime_init(struct spark_conf *conf, const char *pod_ip,
                              const char *exec_unique_id, int64_t now_ms, struct slu_err *err);

/* One executor pod as the driver builds it (spec 11): conf is the driver's runtime conf (see
 * spark_driver_runtime_init; spark.kubernetes.executor.podNamePrefix must be set), driver_pod the
 * driver Pod as created (owner reference, SPARK_USER, SPARK_LOCAL_DIRS, conf files; may be NULL),
 * executor_id >= 1, executor_template the parsed executor pod template or NULL. *pod returned
 * owned. The executor conf ConfigMap name is spark_executor_configmap_name(driver_pod). */
int spark_build_executor_pod(const struct spark_conf *conf, const char *spark_version,
                             const json_t *driver_pod, int executor_id,
                             const json_t *executor_template, json_t **pod, struct slu_err *err);
/* The PVCs Spark creates for executor executor_id (OnDemand claims with storageClass and
 * sizeLimit), owned by driver_pod when ownPersistentVolumeClaim (default true). *pvcs (returned
 * owned) is an array, possibly empty. */
int spark_build_executor_pvcs(const struct spark_conf *conf, const char *spark_version,
                              const json_t *driver_pod, int executor_id, json_t **pvcs,
                              struct slu_err *err);
/* "spark-exec-<id>-conf-map", with <id> taken from the driver's conf ConfigMap name (Spark draws a
 * fresh random id in the driver; sluice reuses the submission's). Returned owned. */
char *spark_executor_configmap_name(const json_t *driver_pod);
/* The executor conf ConfigMap the driver creates (spec 6.3), unless
 * spark.kubernetes.executor.disableConfigMap (then *cm = NULL). driver_conf_cm: the driver's conf
 * ConfigMap (its conf files are copied), may be NULL. *cm returned owned, owner = driver_pod. */
int spark_build_executor_configmap(const struct spark_conf *conf, const json_t *driver_pod,
                                   const json_t *driver_conf_cm, int64_t now_ms, json_t **cm,
                                   struct slu_err *err);

/* ================================================================ submit (submit_args.c; owner:
 * sparkconf)
 *
 * The spark-submit command line, parsed as bin/spark-submit does (launcher
 * SparkSubmitOptionParser + SparkSubmitArguments), plus Sluice's own options in the same pass.
 * Error messages are spark-submit's, without the "Error: " prefix its launcher prints (a CLI
 * prints "Error: %s" itself). See docs/internals/spark.md "Conf and spark-submit". */

enum spark_submit_action {
    SPARK_SUBMIT_SUBMIT = 0,
    SPARK_SUBMIT_KILL,        /* --kill ID */
    SPARK_SUBMIT_STATUS,      /* --status ID */
    SPARK_SUBMIT_VERSION,     /* --version */
    SPARK_SUBMIT_HELP,        /* --help / -h: print usage, exit 0 */
    SPARK_SUBMIT_USAGE_ERROR, /* --usage-error: print usage, exit 1 */
};

/* One parsed command line. Every string is owned by the struct (NULL when the option was not
 * given); values are kept verbatim (no URI resolution: the builder does that). */
struct spark_submit {
    enum spark_submit_action action;
    /* Spark options, with the Spark property each one sets (spark_submit_resolve) */
    char *master;                    /* --master            spark.master (k8s:// normalised) */
    char *remote;                    /* --remote            (Spark Connect; not used on k8s) */
    char *deploy_mode;               /* --deploy-mode       spark.submit.deployMode */
    char *main_class;                /* --class             (main class; not a property) */
    char *name;                      /* --name              spark.app.name */
    char *jars;                      /* --jars              spark.jars */
    char *packages;                  /* --packages          spark.jars.packages */
    char *exclude_packages;          /* --exclude-packages  spark.jars.excludes */
    char *repositories;              /* --repositories      spark.jars.repositories */
    char *py_files;                  /* --py-files          spark.submit.pyFiles */
    char *files;                     /* --files             spark.files */
    char *archives;                  /* --archives          spark.archives */
    char *properties_file;           /* --properties-file */
    bool load_spark_defaults;        /* --load-spark-defaults [4.0] */
    char *driver_memory;             /* --driver-memory     spark.driver.memory */
    char *driver_java_options;       /* --driver-java-options spark.driver.extraJavaOptions */
    char *driver_library_path;       /* --driver-library-path spark.driver.extraLibraryPath */
    char *driver_class_path;         /* --driver-class-path spark.driver.extraClassPath */
    char *driver_default_class_path; /* --driver-default-class-path [4.0]
                                        spark.driver.defaultExtraClassPath */
    char *driver_cores;              /* --driver-cores      spark.driver.cores */
    char *executor_memory;           /* --executor-memory   spark.executor.memory */
    char *executor_cores;            /* --executor-cores    spark.executor.cores */
    char *num_executors;             /* --num-executors     spark.executor.instances */
    char *total_executor_cores;      /* --total-executor-cores (standalone only: ignored) */
    char *queue;                     /* --queue (YARN only: ignored) */
    char *principal;                 /* --principal         spark.kerberos.principal */
    char *keytab;                    /* --keytab            spark.kerberos.keytab */
    char *proxy_user;                /* --proxy-user        (driver arg --proxy-user) */
    bool supervise;                  /* --supervise (standalone only: ignored) */
    bool verbose;                    /* --verbose / -v */
    char *submission_id;             /* --kill / --status argument */
    struct spark_conf *conf;         /* --conf / -c pairs, in order (later same key wins) */
    char *primary_resource;          /* first non-option argument */
    enum spark_app_type app_type;    /* JAVA, PYTHON or R (never AUTO) */
    bool internal;                   /* primary resource is "spark-internal" */
    char **app_args;                 /* everything after the primary resource, verbatim */
    size_t napp_args;
    /* Sluice options (not spark-submit's; accepted anywhere before the primary resource) */
    bool native;         /* --native: build the driver objects in-process */
    bool dry_run;        /* --dry-run[=MODE]: print, do not create */
    char *dry_run_mode;  /*   MODE from --dry-run=MODE, else NULL */
    char *output;        /* -o / --output FORMAT (yaml, json, name, ...) */
    char *unique_id;     /* --unique-id ID: fixed KubernetesUtils.uniqueID */
    char *app_id;        /* --app-id ID: fixed spark.app.id ("spark-<32 hex>") */
    char *spark_version; /* --spark-version V ("3.5", "4.0") */
    bool wait;           /* --wait: wait for the driver to finish */
    char *kubeconfig;    /* --kubeconfig PATH */
    char *context;       /* --context NAME */
    char *namespace_;    /* -n / --namespace NS  spark.kubernetes.namespace */
};

/* One option of the table (for help output and tests). conf_key is the Spark property it sets on
 * Kubernetes, or NULL. */
struct spark_submit_option {
    const char *name;  /* "--driver-memory" */
    const char *alias; /* "-c", "-h", "-v", "-o", "-n" or NULL */
    bool takes_value;
    bool sluice;          /* a Sluice option, not spark-submit's */
    const char *conf_key; /* "spark.driver.memory" or NULL */
    const char *help;
};
/* The table, terminated by an entry with name == NULL. */
const struct spark_submit_option *spark_submit_options(void);

/* Parses argv[0..argc) (the arguments after the program/subcommand name) into s (zeroed first;
 * release with spark_submit_release even on failure). Errors (SLU_EINVAL) as spark-submit words
 * them: "Unrecognized option: --foo", "Missing argument for option '--conf'.",
 * "Invalid argument to --conf: x", "Missing application resource.",
 * "--deploy-mode must be either \"client\" or \"cluster\"",
 * "Action cannot be both KILL and REQUEST_STATUS.". */
int spark_submit_parse(struct spark_submit *s, int argc, const char *const *argv,
                       struct slu_err *err);
void spark_submit_release(struct spark_submit *s);

/* The environment spark-submit reads (any field may be NULL). */
struct spark_submit_env {
    const char *spark_conf_dir;  /* SPARK_CONF_DIR */
    const char *spark_home;      /* SPARK_HOME */
    const char *master;          /* MASTER */
    const char *deploy_mode;     /* DEPLOY_MODE */
    const char *driver_memory;   /* SPARK_DRIVER_MEMORY */
    const char *executor_memory; /* SPARK_EXECUTOR_MEMORY */
    const char *executor_cores;  /* SPARK_EXECUTOR_CORES */
};
/* Fills env from getenv() (pointers borrowed from the process environment). */
void spark_submit_env_from_process(struct spark_submit_env *env);

/* The effective Spark conf of a submission, as SparkSubmitArguments + prepareSubmitEnvironment
 * compute it for k8s cluster mode: --conf > --properties-file > spark-defaults.conf (non-"spark."
 * keys dropped), then each flag (or, without the flag, its property, then its env fallback)
 * written to its property, so flags win over --conf. spark.master is normalised (k8s:// forms;
 * left unset when none is given anywhere: the caller takes the API server from kubeconfig);
 * spark.app.name defaults to the main class, then the primary resource's file name;
 * spark.kubernetes.namespace from -n. Then spark-submit's checks ("Driver memory must be a
 * positive number", ...). env may be NULL. *out returned owned. */
int spark_submit_resolve(const struct spark_submit *s, const struct spark_submit_env *env,
                         struct spark_conf **out, struct slu_err *err);

/* A parsed Kubernetes master (Utils.checkAndGetK8sMasterUrl). */
struct spark_k8s_master {
    char *url;    /* normalised, "k8s://https://host:6443" */
    char *api;    /* the API server URL the client uses, "https://host:6443" */
    char *scheme; /* "https" or "http" (lower case) */
    char *host;   /* "host", "10.0.0.1" or "[::1]" as written */
    int port;     /* as written, or 0 when the URL has none */
    bool http;    /* plain http (Spark logs a warning) */
};
/* "k8s://https://h:p" and "k8s://http://h:p" as given; "k8s://h:p" becomes https. Errors:
 * "Kubernetes master URL must start with k8s://.", "Invalid Kubernetes master scheme: <s> found
 * in URL: <rest>". */
int spark_k8s_master_parse(const char *raw, struct spark_k8s_master *out, struct slu_err *err);
void spark_k8s_master_release(struct spark_k8s_master *m);

/* A --kill/--status id, "namespace:pod" or "pod"; a trailing '*' makes a prefix glob over driver
 * pods (label spark-role=driver). */
struct spark_submission_id {
    char *namespace_; /* NULL: the client's default namespace */
    char *pod;        /* name, or the prefix without '*' when glob */
    bool glob;
};
int spark_submission_id_parse(const char *id, struct spark_submission_id *out, struct slu_err *err);
void spark_submission_id_release(struct spark_submission_id *id);
/* Pod name matches the id (exact, or prefix when glob). */
bool spark_submission_id_matches(const struct spark_submission_id *id, const char *pod);

/* App type of a primary resource (SparkSubmit.isPython / isR): JAVA, PYTHON or R. */
enum spark_app_type spark_app_type_of(const char *primary_resource);

/* ================================================================ layers (layers.c; owner:
 * sparkconf)
 *
 * The platform service's precedence of Spark conf sources, lowest first. Each layer is a
 * spark_conf; the effective conf is every layer merged in order, a higher layer's value winning. */
enum spark_layer {
    SPARK_LAYER_TASK = 0, /* the task's own config */
    SPARK_LAYER_TEMPLATE, /* a job template */
    SPARK_LAYER_SQL_SET,  /* SET k=v statements of the task's SQL */
    SPARK_LAYER_HISTORY,  /* history-based tuning */
    SPARK_LAYER_PLATFORM, /* platform rules (always win) */
    SPARK_LAYER_COUNT
};
struct spark_layers {
    struct spark_conf *layer[SPARK_LAYER_COUNT]; /* owned; NULL = empty */
};
void spark_layers_init(struct spark_layers *l);
void spark_layers_release(struct spark_layers *l);
/* Sets key=value in one layer (creating it). */
void spark_layers_set(struct spark_layers *l, enum spark_layer layer, const char *key,
                      const char *value);
/* Replaces a layer with conf (taken; may be NULL to clear). */
void spark_layers_put(struct spark_layers *l, enum spark_layer layer, struct spark_conf *conf);
/* The merged conf (returned owned). Key order: first appearance, lowest layer first. */
struct spark_conf *spark_layers_effective(const struct spark_layers *l);
/* Which layer supplies the effective value of key, or -1 when no layer has it. */
int spark_layers_source(const struct spark_layers *l, const char *key);
/* Static name of a layer: "task", "template", "sql", "history", "platform". */
const char *spark_layer_name(enum spark_layer layer);

/* Extracts the SET statements of SQL text (rules in docs/internals/spark.md). The text is split
 * into statements on ';' outside string literals ('...', "...", `...`) and comments (-- to end of
 * line, / * ... * /). A statement whose first word is SET (any case) followed by key=value is an
 * assignment: key and value are trimmed, comments inside are dropped, a value wholly in '...' or
 * "..." quotes is unquoted (backslash escapes), a key in `backquotes` is unquoted; the value may
 * be empty. Assignments go into `set` in order (a later SET of a key wins) and are removed from
 * the text returned in *rest (owned; everything else verbatim). "SET", "SET k", "SET -v" and keys
 * with blanks are not assignments and stay. Input is capped at 16 MiB (SLU_ETOOBIG); an
 * unterminated literal or comment is SLU_EPARSE. */
int spark_sql_extract_set(const char *sql, struct spark_conf *set, char **rest,
                          struct slu_err *err);

#endif
