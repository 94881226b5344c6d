/*
 * build_pod.c - the feature steps the driver and the executors share (spec spark-objects.md 3.6,
 * 5.1-5.5): user volumes (hostPath, emptyDir, nfs, persistentVolumeClaim with OnDemand claims),
 * secrets as files and as env, node selectors, pull secrets, custom resources, local dirs, pod
 * template splitting, and the SparkApplication "pod extras" the Kubeflow webhook would patch in.
 *
 * Every step appends to JSON arrays owned by the caller's pod under construction, in Spark's
 * order. Keys that Spark reads from a hash map (volumes, env, secrets) are taken in conf
 * insertion order instead, which makes the output deterministic (spec 12 allows any fixed order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

/* ---------------------------------------------------------------- user volumes */

void sb__volume_free(void *p)
{
    struct sb_volume *v = p;
    if (!v)
        return;
    free(v->type);
    free(v->name);
    free(v->mount_path);
    free(v->sub_path);
    free(v->sub_path_expr);
    free(v->path);
    free(v->host_type);
    free(v->claim_name);
    free(v->storage_class);
    free(v->size_limit);
    free(v->medium);
    free(v->server);
    spark_conf_free(v->labels);
    spark_conf_free(v->annotations);
    free(v);
}

static const char *vget(const struct spark_conf *vc, const struct sb_volume *v, const char *suffix)
{
    char key[512];
    snprintf(key, sizeof(key), "%s.%s.%s", v->type, v->name, suffix);
    return spark_conf_get(vc, key);
}

static int vreq(const struct spark_conf *vc, const char *prefix, const struct sb_volume *v,
                const char *suffix, char **out, struct slu_err *err)
{
    const char *s = vget(vc, v, suffix);
    if (!s)
        return slu_err_set(err, SLU_EINVAL, "%s%s.%s.%s is required (key not found)", prefix,
                           v->type, v->name, suffix);
    *out = slu_strdup(s);
    return 0;
}

static int verify_size(const char *prefix, const struct sb_volume *v, const char *size,
                       struct slu_err *err)
{
    if (!size || !*size)
        return 0;
    for (const char *p = size; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    int64_t n = 0;
    if (slu_parse_i64(size, &n) == 0 && n < 1024)
        return slu_err_set(err, SLU_EINVAL,
                           "%s%s.%s.options.sizeLimit: Volume size `%s` is smaller than 1KiB. "
                           "Missing units?",
                           prefix, v->type, v->name, size);
    return 0;
}

static struct spark_conf *sub_prefix(const struct spark_conf *vc, const struct sb_volume *v,
                                     const char *what)
{
    char p[512];
    snprintf(p, sizeof(p), "%s.%s.%s.", v->type, v->name, what);
    struct spark_conf *c = spark_conf_with_prefix(vc, p);
    if (spark_conf_len(c) == 0) {
        spark_conf_free(c);
        return NULL;
    }
    return c;
}

static int parse_one(const struct spark_conf *vc, const char *prefix, int ver, struct sb_volume *v,
                     struct slu_err *err)
{
    int rc = vreq(vc, prefix, v, "mount.path", &v->mount_path, err);
    if (rc)
        return rc;
    const char *ro = vget(vc, v, "mount.readOnly");
    if (ro) {
        char key[512];
        snprintf(key, sizeof(key), "%s%s.%s.mount.readOnly", prefix, v->type, v->name);
        rc = sb__to_bool(key, ro, &v->read_only, err);
        if (rc)
            return rc;
    }
    const char *sp = vget(vc, v, "mount.subPath");
    v->sub_path = slu_strdup(sp ? sp : "");
    const char *spe = ver >= 40 ? vget(vc, v, "mount.subPathExpr") : NULL;
    v->sub_path_expr = slu_strdup(spe ? spe : "");
    if (ver >= 40 && sp && spe)
        return slu_err_set(err, SLU_EINVAL,
                           "These config options are mutually exclusive: %s%s.%s.mount.subPath, "
                           "%s%s.%s.mount.subPathExpr",
                           prefix, v->type, v->name, prefix, v->type, v->name);
    if (strcmp(v->type, "hostPath") == 0) {
        rc = vreq(vc, prefix, v, "options.path", &v->path, err);
        const char *t = ver >= 40 ? vget(vc, v, "options.type") : NULL;
        v->host_type = slu_strdup(t ? t : "");
        return rc;
    }
    if (strcmp(v->type, "persistentVolumeClaim") == 0) {
        rc = vreq(vc, prefix, v, "options.claimName", &v->claim_name, err);
        if (rc)
            return rc;
        v->storage_class = slu_strdup(vget(vc, v, "options.storageClass"));
        v->size_limit = slu_strdup(vget(vc, v, "options.sizeLimit"));
        if (ver >= 40) {
            v->labels = sub_prefix(vc, v, "label");
            v->annotations = sub_prefix(vc, v, "annotation");
            return verify_size(prefix, v, v->size_limit, err);
        }
        return 0;
    }
    if (strcmp(v->type, "emptyDir") == 0) {
        v->medium = slu_strdup(vget(vc, v, "options.medium"));
        v->size_limit = slu_strdup(vget(vc, v, "options.sizeLimit"));
        return ver >= 40 ? verify_size(prefix, v, v->size_limit, err) : 0;
    }
    if (strcmp(v->type, "nfs") == 0) {
        rc = vreq(vc, prefix, v, "options.path", &v->path, err);
        if (rc)
            return rc;
        return vreq(vc, prefix, v, "options.server", &v->server, err);
    }
    return slu_err_set(err, SLU_EINVAL, "%s%s.%s: Kubernetes Volume type `%s` is not supported",
                       prefix, v->type, v->name, v->type);
}

int sb__volumes_parse(const struct spark_conf *c, const char *role, int ver, struct slu_vec *out,
                      struct slu_err *err)
{
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "spark.kubernetes.%s.volumes.", role);
    struct spark_conf *vc = spark_conf_with_prefix(c, prefix);
    int rc = 0;
    for (size_t i = 0; i < spark_conf_len(vc); i++) {
        const char *k = spark_conf_key_at(vc, i);
        const char *d1 = strchr(k, '.');
        if (!d1 || d1 == k)
            continue;
        const char *d2 = strchr(d1 + 1, '.');
        size_t tl = (size_t)(d1 - k);
        size_t nl = d2 ? (size_t)(d2 - d1 - 1) : strlen(d1 + 1);
        bool seen = false;
        for (size_t j = 0; j < out->len && !seen; j++) {
            struct sb_volume *o = out->items[j];
            seen = strlen(o->type) == tl && strncmp(o->type, k, tl) == 0 && strlen(o->name) == nl &&
                   strncmp(o->name, d1 + 1, nl) == 0;
        }
        if (seen)
            continue;
        struct sb_volume *v = slu_calloc(1, sizeof(*v));
        v->type = slu_strndup(k, tl);
        v->name = slu_strndup(d1 + 1, nl);
        slu_vec_push(out, v);
        rc = parse_one(vc, prefix, ver, v, err);
        if (rc)
            goto out;
    }
    for (size_t i = 0; i < out->len; i++) {
        struct sb_volume *a = out->items[i];
        for (size_t j = i + 1; j < out->len; j++) {
            struct sb_volume *b = out->items[j];
            if (strcmp(a->mount_path, b->mount_path) == 0) {
                rc =
                    slu_err_set(err, SLU_EINVAL, "Found duplicated mountPath: '%s'", a->mount_path);
                goto out;
            }
        }
    }
out:
    spark_conf_free(vc);
    return rc;
}

void sb__volumes_apply(const struct slu_vec *vols, int ver, const char *claim_prefix,
                       const char *exec_id, const char *app_id, json_t *pod_volumes, json_t *mounts,
                       json_t *pvcs)
{
    for (size_t i = 0; i < vols->len; i++) {
        const struct sb_volume *v = vols->items[i];
        json_t *m = json_object();
        sb__set_str(m, "mountPath", v->mount_path);
        sb__set_str(m, "name", v->name);
        json_object_set_new(m, "readOnly", json_boolean(v->read_only));
        sb__set_str(m, "subPath", v->sub_path);
        if (ver >= 40)
            sb__set_str(m, "subPathExpr", v->sub_path_expr);
        json_array_append_new(mounts, m);

        json_t *vol = json_object();
        sb__set_str(vol, "name", v->name);
        json_t *src = json_object();
        if (strcmp(v->type, "hostPath") == 0) {
            sb__set_str(src, "path", v->path);
            sb__set_str(src, "type", v->host_type);
            json_object_set_new(vol, "hostPath", src);
        } else if (strcmp(v->type, "emptyDir") == 0) {
            sb__set_str(src, "medium", v->medium ? v->medium : "");
            if (v->size_limit)
                sb__set_str(src, "sizeLimit", v->size_limit);
            json_object_set_new(vol, "emptyDir", src);
        } else if (strcmp(v->type, "nfs") == 0) {
            sb__set_str(src, "path", v->path);
            sb__set_str(src, "server", v->server);
            json_object_set_new(vol, "nfs", src);
        } else {
            char idx[96];
            snprintf(idx, sizeof(idx), "%s-%zu", claim_prefix, i);
            char *claim = sb__replace_all(v->claim_name, "OnDemand", idx);
            if (exec_id) {
                char *c2 = sb__replace_all(claim, "SPARK_EXECUTOR_ID", exec_id);
                free(claim);
                claim = c2;
            }
            sb__set_str(src, "claimName", claim);
            json_object_set_new(src, "readOnly", json_boolean(v->read_only));
            json_object_set_new(vol, "persistentVolumeClaim", src);
            if (pvcs && v->storage_class && v->size_limit) {
                json_t *pvc = json_object();
                sb__set_str(pvc, "apiVersion", "v1");
                sb__set_str(pvc, "kind", "PersistentVolumeClaim");
                json_t *md = sb__obj(pvc, "metadata");
                sb__set_str(md, "name", claim);
                json_t *labels = sb__obj(md, "labels");
                for (size_t k = 0; v->labels && k < spark_conf_len(v->labels); k++)
                    sb__set_str(labels, spark_conf_key_at(v->labels, k),
                                spark_conf_value_at(v->labels, k));
                sb__set_str(labels, "spark-app-selector", app_id);
                if (v->annotations) {
                    json_t *an = sb__obj(md, "annotations");
                    for (size_t k = 0; k < spark_conf_len(v->annotations); k++)
                        sb__set_str(an, spark_conf_key_at(v->annotations, k),
                                    spark_conf_value_at(v->annotations, k));
                }
                json_t *spec = sb__obj(pvc, "spec");
                sb__set_str(spec, "storageClassName", v->storage_class);
                json_t *modes = json_array();
                json_array_append_new(modes,
                                      sb__str(ver >= 40 ? "ReadWriteOncePod" : "ReadWriteOnce"));
                json_object_set_new(spec, "accessModes", modes);
                json_t *req = sb__obj(sb__obj(spec, "resources"), "requests");
                sb__set_str(req, "storage", v->size_limit);
                json_array_append_new(pvcs, pvc);
            }
            free(claim);
        }
        json_array_append_new(pod_volumes, vol);
    }
}

/* ---------------------------------------------------------------- secrets, selectors */

void sb__secrets_apply(const struct spark_conf *c, const char *role, json_t *pod_volumes,
                       json_t *mounts)
{
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "spark.kubernetes.%s.secrets.", role);
    struct spark_conf *s = spark_conf_with_prefix(c, prefix);
    for (size_t i = 0; i < spark_conf_len(s); i++) {
        const char *name = spark_conf_key_at(s, i);
        char *vname = slu_asprintf("%s-volume", name);
        json_t *vol = json_object();
        sb__set_str(vol, "name", vname);
        json_t *sec = sb__obj(vol, "secret");
        sb__set_str(sec, "secretName", name);
        json_array_append_new(pod_volumes, vol);
        json_t *m = json_object();
        sb__set_str(m, "mountPath", spark_conf_value_at(s, i));
        sb__set_str(m, "name", vname);
        json_array_append_new(mounts, m);
        free(vname);
    }
    spark_conf_free(s);
}

int sb__secret_env_apply(const struct spark_conf *c, const char *role, json_t *env,
                         struct slu_err *err)
{
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "spark.kubernetes.%s.secretKeyRef.", role);
    struct spark_conf *s = spark_conf_with_prefix(c, prefix);
    int rc = 0;
    for (size_t i = 0; i < spark_conf_len(s); i++) {
        size_t n = 0;
        char **parts = sb__java_split(spark_conf_value_at(s, i), ':', &n);
        if (n != 2) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "%s%s: SecretKeyRef must be in the form name:key, but was '%s'",
                             prefix, spark_conf_key_at(s, i), spark_conf_value_at(s, i));
            slu_strv_free(parts);
            break;
        }
        json_t *e = json_object();
        sb__set_str(e, "name", spark_conf_key_at(s, i));
        json_t *ref = json_object();
        sb__set_str(ref, "key", parts[1]);
        sb__set_str(ref, "name", parts[0]);
        json_object_set_new(sb__obj(e, "valueFrom"), "secretKeyRef", ref);
        json_array_append_new(env, e);
        slu_strv_free(parts);
    }
    spark_conf_free(s);
    return rc;
}

static void put_prefixed(const struct spark_conf *c, const char *prefix, json_t *obj)
{
    struct spark_conf *s = spark_conf_with_prefix(c, prefix);
    for (size_t i = 0; i < spark_conf_len(s); i++)
        sb__set_str(obj, spark_conf_key_at(s, i), spark_conf_value_at(s, i));
    spark_conf_free(s);
}

void sb__node_selector_apply(const struct spark_conf *c, const char *role, json_t *spec)
{
    json_t *ns = sb__obj(spec, "nodeSelector");
    put_prefixed(c, "spark.kubernetes.node.selector.", ns);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "spark.kubernetes.%s.node.selector.", role);
    put_prefixed(c, prefix, ns);
    if (json_object_size(ns) == 0)
        json_object_del(spec, "nodeSelector");
}

void sb__scheduler_name_apply(const struct spark_conf *c, const char *role, json_t *spec)
{
    char key[96];
    snprintf(key, sizeof(key), "spark.kubernetes.%s.scheduler.name", role);
    const char *sched = spark_conf_get(c, key);
    if (!sched)
        sched = spark_conf_get(c, "spark.kubernetes.scheduler.name");
    if (sched)
        sb__set_str(spec, "schedulerName", sched);
}

void sb__pull_secrets_apply(const struct spark_conf *c, json_t *spec)
{
    const char *v = spark_conf_get(c, "spark.kubernetes.container.image.pullSecrets");
    if (!v)
        return;
    size_t n = 0;
    char **parts = slu_str_split(v, ',', true, &n);
    for (size_t i = 0; i < n; i++) {
        if (!parts[i][0])
            continue;
        json_t *s = json_object();
        sb__set_str(s, "name", parts[i]);
        json_array_append_new(sb__arr(spec, "imagePullSecrets"), s);
    }
    slu_strv_free(parts);
}

int sb__custom_resources(const struct spark_conf *c, const char *role, json_t *limits,
                         struct slu_err *err)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "spark.%s.resource.", role);
    struct spark_conf *s = spark_conf_with_prefix(c, prefix);
    int rc = 0;
    for (size_t i = 0; i < spark_conf_len(s); i++) {
        const char *k = spark_conf_key_at(s, i);
        const char *dot = strrchr(k, '.');
        if (!dot || strcmp(dot, ".amount") != 0)
            continue;
        char *name = slu_strndup(k, (size_t)(dot - k));
        char *vkey = slu_asprintf("%s.vendor", name);
        const char *vendor = spark_conf_get(s, vkey);
        if (!vendor || !*vendor) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "Resource: %s was requested, but vendor was not specified (set "
                             "%s%s.vendor)",
                             name, prefix, name);
        } else {
            char *rk = slu_asprintf("%s/%s", vendor, name);
            sb__set_str(limits, rk, spark_conf_value_at(s, i));
            free(rk);
        }
        free(vkey);
        free(name);
        if (rc)
            break;
    }
    spark_conf_free(s);
    return rc;
}

/* ---------------------------------------------------------------- templates, local dirs */

void sb__template_split(const json_t *tmpl, const char *container_name, json_t **pod_out,
                        json_t **container_out)
{
    json_t *pod = json_is_object(tmpl) ? json_deep_copy(tmpl) : json_object();
    if (!pod)
        pod = json_object();
    sb__set_str(pod, "apiVersion", "v1");
    sb__set_str(pod, "kind", "Pod");
    sb__obj(pod, "metadata");
    json_t *spec = sb__obj(pod, "spec");
    json_t *containers = json_object_get(spec, "containers");
    json_t *container = NULL;
    if (json_is_array(containers) && json_array_size(containers) > 0) {
        size_t pick = 0;
        if (container_name) {
            for (size_t i = 0; i < json_array_size(containers); i++) {
                const char *n =
                    json_string_value(json_object_get(json_array_get(containers, i), "name"));
                if (n && strcmp(n, container_name) == 0) {
                    pick = i;
                    break;
                }
            }
        }
        container = json_array_get(containers, pick);
        json_incref(container);
        json_array_remove(containers, pick);
        if (!json_is_object(container)) {
            json_decref(container);
            container = NULL;
        }
    }
    *pod_out = pod;
    *container_out = container ? container : json_object();
}

void sb__local_dirs_apply(const struct spark_conf *c, const char *env_dirs, const char *uuid,
                          json_t *pod_volumes, json_t *mounts, json_t *env)
{
    struct slu_buf joined = {0};
    slu_buf_puts(&joined, "");
    size_t found = 0;
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *n = json_string_value(json_object_get(m, "name"));
        const char *p = json_string_value(json_object_get(m, "mountPath"));
        if (n && p && slu_str_has_prefix(n, "spark-local-dir-")) {
            if (found++)
                slu_buf_putc(&joined, ',');
            slu_buf_puts(&joined, p);
        }
    }
    if (!found) {
        const char *dirs = env_dirs ? env_dirs : spark_conf_get(c, "spark.local.dir");
        char *dflt = NULL;
        if (!dirs)
            dirs = dflt = slu_asprintf("/var/data/spark-%s", uuid ? uuid : "");
        bool tmpfs = false;
        const char *t = spark_conf_get(c, "spark.kubernetes.local.dirs.tmpfs");
        if (t)
            (void)sb__to_bool("spark.kubernetes.local.dirs.tmpfs", t, &tmpfs, NULL);
        size_t n = 0;
        char **parts = sb__java_split(dirs, ',', &n);
        for (size_t k = 0; k < n; k++) {
            char *vname = slu_asprintf("spark-local-dir-%zu", k + 1);
            json_t *vol = json_object();
            sb__set_str(vol, "name", vname);
            json_t *ed = sb__obj(vol, "emptyDir");
            if (tmpfs)
                sb__set_str(ed, "medium", "Memory");
            json_array_append_new(pod_volumes, vol);
            json_t *mm = json_object();
            sb__set_str(mm, "mountPath", parts[k]);
            sb__set_str(mm, "name", vname);
            json_array_append_new(mounts, mm);
            if (k)
                slu_buf_putc(&joined, ',');
            slu_buf_puts(&joined, parts[k]);
            free(vname);
        }
        slu_strv_free(parts);
        free(dflt);
    }
    json_array_append_new(env, sb__env("SPARK_LOCAL_DIRS", joined.data));
    slu_buf_release(&joined);
}

static void prune_empty(json_t *obj, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(obj, *k);
        if ((json_is_array(v) && json_array_size(v) == 0) ||
            (json_is_object(v) && json_object_size(v) == 0))
            json_object_del(obj, *k);
    }
}

void sb__prune_pod(json_t *pod)
{
    static const char *const spec_keys[] = {"volumes",    "imagePullSecrets", "nodeSelector",
                                            "containers", "initContainers",   NULL};
    static const char *const c_keys[] = {"env", "ports", "volumeMounts", "args", NULL};
    static const char *const md_keys[] = {"labels", "annotations", NULL};
    json_t *spec = json_object_get(pod, "spec");
    json_t *cs = json_object_get(spec, "containers");
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) prune_empty(c, c_keys);
    prune_empty(spec, spec_keys);
    prune_empty(json_object_get(pod, "metadata"), md_keys);
}
