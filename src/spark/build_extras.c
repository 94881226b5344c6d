/*
 * build_extras.c - SparkApplication pod-level fields applied to a pod (what the Kubeflow
 * operator's mutating pod webhook, internal/webhook/sparkpod_defaulter.go, patches into Spark's
 * pods), and loading pod template files.
 *
 * The webhook's mutators are reproduced in its order, on a json_t Pod: env and envFrom are
 * appended to the Spark container, configMaps become "<name>-vol" volumes (cut to 63 chars),
 * volumeMounts pull their volume from the app's spec.volumes (spark-local-dir-* mounts are left
 * to Spark's conf), ports are appended, sidecars and initContainers are added unless a container
 * with the same name and image exists, nodeSelector is merged, affinity replaced, tolerations
 * appended, and so on. Fields that Kubeflow turns into Spark conf (cores, memory, coreLimit,
 * coreRequest, memoryOverhead, instances, javaOptions, envVars, envSecretKeyRefs, secrets, image,
 * serviceAnnotations, serviceLabels, ...) are NOT read here: the conf translation owns them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

static json_t *find_container(json_t *spec, const char *name)
{
    json_t *cs = json_object_get(spec, "containers");
    if (!json_is_array(cs) || json_array_size(cs) == 0)
        return NULL;
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (name && n && strcmp(n, name) == 0)
            return c;
    }
    return json_array_get(cs, 0);
}

static void append_all(json_t *dst_obj, const char *key, const json_t *src)
{
    if (!json_is_array(src) || json_array_size(src) == 0)
        return;
    json_t *dst = sb__arr(dst_obj, key);
    size_t i;
    json_t *v;
    json_array_foreach(src, i, v) json_array_append_new(dst, json_deep_copy(v));
}

static void set_copy(json_t *obj, const char *key, const json_t *v)
{
    if (v && !json_is_null(v))
        json_object_set_new(obj, key, json_deep_copy(v));
}

static bool has_container(const json_t *list, const json_t *c)
{
    const char *n = json_string_value(json_object_get(c, "name"));
    const char *img = json_string_value(json_object_get(c, "image"));
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        if (slu_streq(n, json_string_value(json_object_get(x, "name"))) &&
            slu_streq(img, json_string_value(json_object_get(x, "image"))))
            return true;
    }
    return false;
}

static void add_cm_volume(json_t *spec, json_t *container, const char *cm, const char *vname,
                          const char *path)
{
    json_t *vol = json_object();
    sb__set_str(vol, "name", vname);
    sb__set_str(sb__obj(vol, "configMap"), "name", cm);
    json_array_append_new(sb__arr(spec, "volumes"), vol);
    json_t *m = json_object();
    sb__set_str(m, "mountPath", path);
    sb__set_str(m, "name", vname);
    json_object_set_new(m, "readOnly", json_true());
    json_array_append_new(sb__arr(container, "volumeMounts"), m);
}

static const char *const preset_labels[] = {"spark-version",
                                            "spark-app-selector",
                                            "spark-app-name",
                                            "spark-role",
                                            "spark-exec-id",
                                            "spark-exec-resourceprofile-id",
                                            NULL};

static bool is_preset_label(const char *k)
{
    for (const char *const *p = preset_labels; *p; p++)
        if (strcmp(*p, k) == 0)
            return true;
    return false;
}

int spark_pod_apply_extras(json_t *pod, const json_t *x, const json_t *app_volumes,
                           const char *container_name, struct slu_err *err)
{
    if (!x || json_is_null(x))
        return 0;
    if (!json_is_object(x))
        return slu_err_set(err, SLU_EINVAL, "pod extras: expected an object (SparkPodSpec)");
    json_t *md = sb__obj(pod, "metadata");
    json_t *spec = sb__obj(pod, "spec");
    json_t *c = find_container(spec, container_name);
    if (!c) {
        c = json_object();
        sb__set_str(c, "name", container_name ? container_name : SB_DRIVER_CONTAINER);
        json_array_append_new(sb__arr(spec, "containers"), c);
    }

    /* labels and annotations (Kubeflow passes them through spark.kubernetes.*.label.*; applying
     * them again is idempotent). Spark's own labels are never replaced. */
    const char *k;
    json_t *v;
    json_t *lab = json_object_get(x, "labels");
    if (json_is_object(lab)) {
        json_object_foreach(lab, k, v)
        {
            if (json_is_string(v) && !is_preset_label(k))
                set_copy(sb__obj(md, "labels"), k, v);
        }
    }
    json_t *ann = json_object_get(x, "annotations");
    if (json_is_object(ann)) {
        json_object_foreach(ann, k, v)
        {
            if (json_is_string(v))
                set_copy(sb__obj(md, "annotations"), k, v);
        }
    }
    /* serviceAccount: only when Spark set none (spark.kubernetes.authenticate.*). */
    const char *sa = json_string_value(json_object_get(x, "serviceAccount"));
    if (sa && *sa && !json_object_get(spec, "serviceAccountName")) {
        sb__set_str(spec, "serviceAccount", sa);
        sb__set_str(spec, "serviceAccountName", sa);
    }

    append_all(c, "env", json_object_get(x, "env"));
    append_all(c, "envFrom", json_object_get(x, "envFrom"));

    json_t *cms = json_object_get(x, "configMaps");
    size_t i;
    json_t *e;
    json_array_foreach(cms, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *path = json_string_value(json_object_get(e, "path"));
        if (!name || !path)
            return slu_err_set(err, SLU_EINVAL, "configMaps[%zu]: name and path are required", i);
        char *vname = slu_asprintf("%s-vol", name);
        if (strlen(vname) > 63)
            vname[63] = '\0';
        add_cm_volume(spec, c, name, vname, path);
        free(vname);
    }

    json_t *mounts = json_object_get(x, "volumeMounts");
    json_array_foreach(mounts, i, e)
    {
        const char *mname = json_string_value(json_object_get(e, "name"));
        if (!mname)
            return slu_err_set(err, SLU_EINVAL, "volumeMounts[%zu]: name is required", i);
        if (slu_str_has_prefix(mname, "spark-local-dir-"))
            continue;
        const json_t *vol = NULL;
        size_t j;
        json_t *av;
        json_array_foreach(app_volumes, j, av)
        {
            if (slu_streq(json_string_value(json_object_get(av, "name")), mname)) {
                vol = av;
                break;
            }
        }
        if (!vol)
            continue; /* as the webhook: a mount without a volume is skipped */
        bool added = false;
        json_t *pv = json_object_get(spec, "volumes");
        json_array_foreach(pv, j, av)
        {
            if (slu_streq(json_string_value(json_object_get(av, "name")), mname))
                added = true;
        }
        if (!added)
            json_array_append_new(sb__arr(spec, "volumes"), json_deep_copy(vol));
        json_array_append_new(sb__arr(c, "volumeMounts"), json_deep_copy(e));
    }

    json_t *ports = json_object_get(x, "ports");
    json_array_foreach(ports, i, e)
    {
        json_t *p = json_object();
        set_copy(p, "name", json_object_get(e, "name"));
        set_copy(p, "containerPort", json_object_get(e, "containerPort"));
        set_copy(p, "protocol", json_object_get(e, "protocol"));
        json_array_append_new(sb__arr(c, "ports"), p);
    }

    if (json_is_true(json_object_get(x, "hostNetwork"))) {
        json_object_set_new(spec, "hostNetwork", json_true());
        sb__set_str(spec, "dnsPolicy", "ClusterFirstWithHostNet");
    }
    append_all(spec, "hostAliases", json_object_get(x, "hostAliases"));

    json_t *inits = json_object_get(x, "initContainers");
    json_array_foreach(inits, i, e)
    {
        json_t *list = sb__arr(spec, "initContainers");
        if (!has_container(list, e))
            json_array_append_new(list, json_deep_copy(e));
    }
    json_t *sidecars = json_object_get(x, "sidecars");
    json_array_foreach(sidecars, i, e)
    {
        json_t *list = sb__arr(spec, "containers");
        if (!has_container(list, e))
            json_array_append_new(list, json_deep_copy(e));
    }
    /* the container pointer stays valid: appends do not move jansson array members */

    set_copy(spec, "dnsConfig", json_object_get(x, "dnsConfig"));
    const char *pc = json_string_value(json_object_get(x, "priorityClassName"));
    if (pc && *pc) {
        sb__set_str(spec, "priorityClassName", pc);
        json_object_del(spec, "priority");
        json_object_del(spec, "preemptionPolicy");
    }
    const char *sched = json_string_value(json_object_get(x, "schedulerName"));
    if (sched && *sched)
        sb__set_str(spec, "schedulerName", sched);
    json_t *ns = json_object_get(x, "nodeSelector");
    if (json_is_object(ns)) {
        json_object_foreach(ns, k, v)
        {
            if (json_is_string(v))
                set_copy(sb__obj(spec, "nodeSelector"), k, v);
        }
    }
    set_copy(spec, "affinity", json_object_get(x, "affinity"));
    append_all(spec, "tolerations", json_object_get(x, "tolerations"));

    json_t *gpu = json_object_get(x, "gpu");
    const char *gname = json_string_value(json_object_get(gpu, "name"));
    json_int_t gq = json_integer_value(json_object_get(gpu, "quantity"));
    if (gname && *gname && gq > 0) {
        char q[32];
        snprintf(q, sizeof(q), "%lld", (long long)gq);
        sb__set_str(sb__obj(sb__obj(c, "resources"), "limits"), gname, q);
    }
    const char *ml = json_string_value(json_object_get(x, "memoryLimit"));
    if (ml) {
        int64_t mib = 0;
        int rc = spark_memory_mib(ml, &mib, err);
        if (rc) {
            slu_err_prefix(err, "memoryLimit");
            return rc;
        }
        char q[32];
        snprintf(q, sizeof(q), "%lldMi", (long long)mib);
        sb__set_str(sb__obj(sb__obj(c, "resources"), "limits"), "memory", q);
    }
    set_copy(c, "securityContext", json_object_get(x, "securityContext"));
    set_copy(spec, "securityContext", json_object_get(x, "podSecurityContext"));
    set_copy(spec, "terminationGracePeriodSeconds",
             json_object_get(x, "terminationGracePeriodSeconds"));
    set_copy(c, "lifecycle", json_object_get(x, "lifecycle"));
    if (json_is_true(json_object_get(x, "shareProcessNamespace")))
        json_object_set_new(spec, "shareProcessNamespace", json_true());
    set_copy(spec, "runtimeClassName", json_object_get(x, "runtimeClassName"));
    return 0;
}
