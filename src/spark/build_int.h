/*
 * build_int.h - private helpers shared by the builder files (build.c, build_exec.c, build_pod.c,
 * build_names.c, build_mem.c, policy.c). Not part of the module's contract; see spark.h.
 */
#ifndef SLU_SPARK_BUILD_INT_H
#define SLU_SPARK_BUILD_INT_H

#include "spark/spark.h"

#define SB_DRIVER_CONTAINER "spark-kubernetes-driver"
#define SB_EXECUTOR_CONTAINER "spark-kubernetes-executor"
#define SB_CONF_DIR "/opt/spark/conf"
#define SB_PROPERTIES_FILE "spark.properties"
#define SB_TEMPLATE_KEY "podspec-configmap-key"
#define SB_TEMPLATE_FILE "pod-spec-template.yml"
#define SB_TEMPLATE_DIR "/opt/spark/pod-template"
#define SB_HADOOP_CONF_DIR "/opt/hadoop/conf"
#define SB_HADOOP_CREDS_DIR "/mnt/secrets/hadoop-credentials"
#define SB_K8S_CREDS_DIR "/mnt/secrets/spark-kubernetes-credentials"

/* Version behaviour: 35 or 40 (any 3.x is 35, 4.x and later 40). */
int sb__version(const char *spark_version);

/* A string JSON value that never returns NULL (invalid UTF-8 gives ""; inputs are checked first,
 * see sb__check_utf8). Returned owned (a new reference). */
json_t *sb__str(const char *s);
/* obj[key] = string s (copied). */
void sb__set_str(json_t *obj, const char *key, const char *s);
/* obj[key] as an object, created when absent or not an object (borrowed). */
json_t *sb__obj(json_t *obj, const char *key);
/* obj[key] as an array, created when absent or not an array (borrowed). */
json_t *sb__arr(json_t *obj, const char *key);
/* {name, value} and {name, valueFrom: {fieldRef: {apiVersion: v1, fieldPath}}}. Owned. */
json_t *sb__env(const char *name, const char *value);
json_t *sb__env_field(const char *name, const char *field_path);
/* True when s is valid UTF-8 (jansson accepts it). */
bool sb__utf8_ok(const char *s);

/* Java String.split(regex-free sep) semantics: trailing empty strings removed. Returns a
 * NULL-terminated vector (slu_strv_free). */
char **sb__java_split(const char *s, char sep, size_t *count);
/* Scala "x".toBoolean (case-insensitive true/false); SLU_EINVAL naming key otherwise. */
int sb__to_bool(const char *key, const char *v, bool *out, struct slu_err *err);
/* Replaces every occurrence of pat in s by rep; returned owned. */
char *sb__replace_all(const char *s, const char *pat, const char *rep);
/* Java Double.toString for ordinary values (0.1 -> "0.1", 1 -> "1.0"). buf >= 32. */
void sb__double_str(double v, char *buf, size_t n);
/* Utils.substituteAppNExecIds: {{APP_ID}} and {{EXECUTOR_ID}} (exec_id may be NULL: left).
 * Returned owned. */
char *sb__subst_ids(const char *s, const char *app_id, const char *exec_id);
/* Image for a role: spark.kubernetes.<role>.container.image, else spark.kubernetes.container.image
 * (borrowed, NULL when neither). */
const char *sb__image(const struct spark_conf *c, const char *role);
/* spark.kubernetes.container.image.pullPolicy, checked (default IfNotPresent). */
int sb__pull_policy(const struct spark_conf *c, const char **out, struct slu_err *err);

/* A parsed user volume (KubernetesVolumeUtils). */
struct sb_volume {
    char *type;
    char *name;
    char *mount_path;
    bool read_only;
    char *sub_path;                 /* "" when unset */
    char *sub_path_expr;            /* "" when unset ([4.0]) */
    char *path;                     /* hostPath, nfs */
    char *host_type;                /* hostPath type ([4.0]; "" otherwise) */
    char *claim_name;               /* persistentVolumeClaim */
    char *storage_class;            /* persistentVolumeClaim, may be NULL */
    char *size_limit;               /* persistentVolumeClaim, emptyDir, may be NULL */
    char *medium;                   /* emptyDir, may be NULL */
    char *server;                   /* nfs */
    struct spark_conf *labels;      /* PVC label.* ([4.0]), owned, may be NULL */
    struct spark_conf *annotations; /* PVC annotation.* ([4.0]), owned, may be NULL */
};
void sb__volume_free(void *v);
/* Parses spark.kubernetes.<role>.volumes.* into out (struct sb_volume *, in conf order of first
 * appearance) and checks them (required keys, types, [4.0] size and subPath rules, duplicated
 * mount paths). */
int sb__volumes_parse(const struct spark_conf *c, const char *role, int ver, struct slu_vec *out,
                      struct slu_err *err);
/* Appends the volumes and mounts of vols (MountVolumesFeatureStep) to pod_volumes / mounts; PVCs
 * Spark creates are appended to pvcs (may be NULL). claim_prefix replaces "OnDemand" with
 * "<claim_prefix>-<i>"; exec_id (may be NULL) replaces SPARK_EXECUTOR_ID. */
void sb__volumes_apply(const struct slu_vec *vols, int ver, const char *claim_prefix,
                       const char *exec_id, const char *app_id, json_t *pod_volumes, json_t *mounts,
                       json_t *pvcs);
/* MountSecretsFeatureStep for role. */
void sb__secrets_apply(const struct spark_conf *c, const char *role, json_t *pod_volumes,
                       json_t *mounts);
/* EnvSecretsFeatureStep for role: appends to env. */
int sb__secret_env_apply(const struct spark_conf *c, const char *role, json_t *env,
                         struct slu_err *err);
/* Node selector: spark.kubernetes.node.selector.* then spark.kubernetes.<role>.node.selector.*. */
void sb__node_selector_apply(const struct spark_conf *c, const char *role, json_t *spec);
/* imagePullSecrets appended from spark.kubernetes.container.image.pullSecrets. */
void sb__pull_secrets_apply(const struct spark_conf *c, json_t *spec);
/* schedulerName from spark.kubernetes.<role>.scheduler.name, else
 * spark.kubernetes.scheduler.name; left alone when neither is set. */
void sb__scheduler_name_apply(const struct spark_conf *c, const char *role, json_t *spec);
/* Custom resources spark.<role>.resource.<name>.{amount,vendor} into limits. */
int sb__custom_resources(const struct spark_conf *c, const char *role, json_t *limits,
                         struct slu_err *err);

/* Splits a template into (pod copy without the Spark container, Spark container) as
 * KubernetesUtils.selectSparkContainer; template may be NULL (empty pod, empty container). The
 * pod gets apiVersion v1 / kind Pod and metadata/spec objects. Both returned owned. */
void sb__template_split(const json_t *tmpl, const char *container_name, json_t **pod,
                        json_t **container);
/* LocalDirsFeatureStep: dirs from existing spark-local-dir-* mounts, else env_dirs, else
 * spark.local.dir, else /var/data/spark-<uuid>; adds volumes/mounts and SPARK_LOCAL_DIRS. */
void sb__local_dirs_apply(const struct spark_conf *c, const char *env_dirs, const char *uuid,
                          json_t *pod_volumes, json_t *mounts, json_t *env);

/* Removes empty arrays/objects Spark would not serialise from a pod's spec/container (fabric8
 * omits empty lists). */
void sb__prune_pod(json_t *pod);

#endif
