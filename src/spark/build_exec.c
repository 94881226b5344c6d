/*
 * build_exec.c - what the driver JVM builds (spec spark-objects.md 6.3, 11): executor pods
 * (KubernetesExecutorBuilder: Basic, Credentials, MountSecrets, EnvSecrets, MountVolumes,
 * HadoopConf, LocalDirs), the PVCs Spark creates for them, the executor conf ConfigMap, and the
 * conf changes the driver makes when it starts (entrypoint.sh, KubernetesClusterManager).
 *
 * The input conf is the driver's view: spark.properties as written by spark_build plus
 * spark_driver_runtime_init. Values that a real driver takes from its own process (SPARK_USER,
 * SPARK_LOCAL_DIRS) are read from the driver Pod's Spark container env, which is where the real
 * driver gets them from; the executor conf ConfigMap name reuses the id of the driver's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

int spark_driver_runtime_init(struct spark_conf *conf, const char *pod_ip,
                              const char *exec_unique_id, int64_t now_ms, struct slu_err *err)
{
    if (!conf)
        return slu_err_set(err, SLU_EINVAL, "spark_driver_runtime_init: no conf");
    if (pod_ip) {
        spark_conf_set(conf, "spark.driver.bindAddress", pod_ip);
        spark_conf_set(conf, "spark.executorEnv.SPARK_DRIVER_POD_IP", pod_ip);
    }
    if (!spark_conf_get(conf, "spark.kubernetes.executor.podNamePrefix")) {
        char id[32];
        if (!exec_unique_id) {
            spark_unique_id(NULL, now_ms ? now_ms : slu_now_real_ns() / 1000000, id, sizeof(id));
            exec_unique_id = id;
        }
        const char *an = spark_conf_get(conf, "spark.app.name");
        char *p = spark_resource_name_prefix(an ? an : "spark", exec_unique_id);
        spark_conf_set(conf, "spark.kubernetes.executor.podNamePrefix", p);
        free(p);
    }
    const char *auth = spark_conf_get(conf, "spark.authenticate");
    if (auth && strcasecmp(auth, "true") == 0 &&
        !spark_conf_get(conf, "spark.authenticate.secret") &&
        !spark_conf_get(conf, "spark.authenticate.secret.file") &&
        !spark_conf_get(conf, "spark.authenticate.secret.executor.file")) {
        /* SecurityManager.initializeAuth generates a secret on Kubernetes. */
        unsigned char r[32];
        slu_random_bytes(r, sizeof(r));
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", r[i]);
        spark_conf_set(conf, "spark.authenticate.secret", hex);
    }
    return 0;
}

static json_t *spark_container_of(const json_t *pod)
{
    json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c)
    {
        if (slu_streq(json_string_value(json_object_get(c, "name")), SB_DRIVER_CONTAINER))
            return c;
    }
    /* a template may rename the Spark container: it is the one with SPARK_APPLICATION_ID */
    json_array_foreach(cs, i, c)
    {
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(c, "env"), j, e)
        {
            if (slu_streq(json_string_value(json_object_get(e, "name")), "SPARK_APPLICATION_ID"))
                return c;
        }
    }
    return NULL;
}

static const char *driver_env(const json_t *driver_pod, const char *name)
{
    json_t *c = spark_container_of(driver_pod);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c, "env"), i, e)
    {
        if (slu_streq(json_string_value(json_object_get(e, "name")), name))
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}

static const json_t *driver_conf_volume(const json_t *driver_pod)
{
    json_t *vols = json_object_get(json_object_get(driver_pod, "spec"), "volumes");
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        if (slu_streq(json_string_value(json_object_get(v, "name")), "spark-conf-volume-driver"))
            return v;
    }
    return NULL;
}

char *spark_executor_configmap_name(const json_t *driver_pod)
{
    const char *cm = json_string_value(
        json_object_get(json_object_get(driver_conf_volume(driver_pod), "configMap"), "name"));
    if (cm && slu_str_has_prefix(cm, "spark-drv-") && slu_str_has_suffix(cm, "-conf-map") &&
        strlen(cm) > strlen("spark-drv--conf-map")) {
        size_t n = strlen(cm) - strlen("spark-drv-") - strlen("-conf-map");
        return slu_asprintf("spark-exec-%.*s-conf-map", (int)n, cm + strlen("spark-drv-"));
    }
    const char *name =
        json_string_value(json_object_get(json_object_get(driver_pod, "metadata"), "name"));
    return slu_asprintf("spark-exec-%s-conf-map", name ? name : "unknown");
}

/* Utils.splitCommandString. */
static void split_command(const char *s, json_t *out)
{
    struct slu_buf w = {0};
    slu_buf_puts(&w, "");
    bool in_word = false, sq = false, dq = false;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        if (dq) {
            if (ch == '"')
                dq = false;
            else if (ch == '\\') {
                if (s[i + 1]) {
                    slu_buf_putc(&w, s[i + 1]);
                    i++;
                }
            } else
                slu_buf_putc(&w, ch);
        } else if (sq) {
            if (ch == '\'')
                sq = false;
            else
                slu_buf_putc(&w, ch);
        } else if (ch == '"') {
            in_word = dq = true;
        } else if (ch == '\'') {
            in_word = sq = true;
        } else if (!(ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
                     ch == '\v')) {
            slu_buf_putc(&w, ch);
            in_word = true;
        } else if (in_word) {
            json_array_append_new(out, sb__str(w.data));
            slu_buf_reset(&w);
            slu_buf_puts(&w, "");
            in_word = false;
        }
    }
    if (in_word || dq || sq)
        json_array_append_new(out, sb__str(w.data));
    slu_buf_release(&w);
}

static bool is_startup_conf(const char *k)
{
    if (slu_str_has_prefix(k, "spark.auth") && strcmp(k, "spark.authenticate.secret") != 0)
        return true;
    if (slu_str_has_prefix(k, "spark.rpc") || slu_str_has_prefix(k, "spark.network"))
        return true;
    if (slu_str_has_prefix(k, "spark.ssl") && !strstr(k, "Password"))
        return true;
    return (slu_str_has_prefix(k, "spark.") && slu_str_has_suffix(k, ".port")) ||
           slu_str_has_prefix(k, "spark.port.");
}

static bool env_name_ok(const char *k)
{
    if (!*k)
        return false;
    for (const char *p = k; *p; p++) {
        char c = *p;
        bool ok = c == '-' || c == '.' || c == '_' || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z') || (p != k && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static int exec_labels(const struct spark_conf *c, int ver, const char *app_id, const char *eid,
                       json_t *labels, struct slu_err *err)
{
    static const char *const reserved[] = {"spark-version",
                                           "spark-exec-id",
                                           "spark-app-selector",
                                           "spark-app-name",
                                           "spark-role",
                                           "spark-exec-resourceprofile-id",
                                           NULL};
    struct spark_conf *s = spark_conf_with_prefix(c, "spark.kubernetes.executor.label.");
    int rc = 0;
    for (size_t i = 0; i < spark_conf_len(s) && !rc; i++) {
        const char *k = spark_conf_key_at(s, i);
        for (const char *const *r = reserved; *r; r++)
            if (strcmp(*r, k) == 0)
                rc = slu_err_set(err, SLU_EINVAL,
                                 "Custom executor labels cannot contain %s as it is reserved for "
                                 "Spark (spark.kubernetes.executor.label.%s)",
                                 k, k);
        if (rc)
            break;
        char *v = ver >= 40 ? sb__subst_ids(spark_conf_value_at(s, i), app_id, eid)
                            : slu_strdup(spark_conf_value_at(s, i));
        sb__set_str(labels, k, v);
        free(v);
    }
    spark_conf_free(s);
    return rc;
}

static int build_exec(const struct spark_conf *c, const char *spark_version,
                      const json_t *driver_pod, int executor_id, const json_t *tmpl, json_t *pod,
                      json_t *ct, struct slu_err *err)
{
    int ver = sb__version(spark_version);
    int rc;
    const char *app_id = spark_conf_get(c, "spark.app.id");
    const char *prefix = spark_conf_get(c, "spark.kubernetes.executor.podNamePrefix");
    const char *host = spark_conf_get(c, "spark.driver.host");
    if (!app_id || !prefix || !host)
        return slu_err_set(err, SLU_EINVAL,
                           "executor pod: the driver conf lacks %s (run spark_build and "
                           "spark_driver_runtime_init first)",
                           !app_id   ? "spark.app.id"
                           : !prefix ? "spark.kubernetes.executor.podNamePrefix"
                                     : "spark.driver.host");
    char eid[16];
    snprintf(eid, sizeof(eid), "%d", executor_id);
    char *name = slu_asprintf("%s-exec-%s", prefix, eid);
    json_t *md = sb__obj(pod, "metadata");
    json_t *spec = sb__obj(pod, "spec");
    sb__set_str(md, "name", name);

    json_t *labels = sb__obj(md, "labels");
    rc = exec_labels(c, ver, app_id, eid, labels, err);
    if (rc)
        goto out;
    const char *sv = spark_version ? spark_version : "4.0.0";
    int dots = 0;
    for (const char *p = sv; *p; p++)
        dots += *p == '.';
    char *vl = dots >= 2 ? slu_strdup(sv) : slu_asprintf("%s.0", sv);
    sb__set_str(labels, "spark-version", vl);
    free(vl);
    sb__set_str(labels, "spark-exec-id", eid);
    sb__set_str(labels, "spark-app-selector", app_id);
    const char *an = spark_conf_get(c, "spark.app.name");
    char *al = spark_app_name_label(an ? an : "spark");
    sb__set_str(labels, "spark-app-name", al);
    free(al);
    sb__set_str(labels, "spark-role", "executor");
    sb__set_str(labels, "spark-exec-resourceprofile-id", "0");
    struct spark_conf *ann = spark_conf_with_prefix(c, "spark.kubernetes.executor.annotation.");
    for (size_t i = 0; i < spark_conf_len(ann); i++) {
        char *v = sb__subst_ids(spark_conf_value_at(ann, i), app_id, eid);
        sb__set_str(sb__obj(md, "annotations"), spark_conf_key_at(ann, i), v);
        free(v);
    }
    spark_conf_free(ann);
    const char *dname =
        json_string_value(json_object_get(json_object_get(driver_pod, "metadata"), "name"));
    if (dname) {
        json_t *ref = json_object();
        const char *av = json_string_value(json_object_get(driver_pod, "apiVersion"));
        sb__set_str(ref, "apiVersion", av ? av : "v1");
        sb__set_str(ref, "kind", "Pod");
        sb__set_str(ref, "name", dname);
        const char *uid =
            json_string_value(json_object_get(json_object_get(driver_pod, "metadata"), "uid"));
        if (uid)
            sb__set_str(ref, "uid", uid);
        json_object_set_new(ref, "controller", json_true());
        json_t *list = json_array();
        json_array_append_new(list, ref);
        json_object_set_new(md, "ownerReferences", list);
    }

    char *hn = spark_executor_hostname(name);
    sb__set_str(spec, "hostname", hn);
    free(hn);
    const char *alloc = spark_conf_get(c, "spark.kubernetes.allocation.pods.allocator");
    sb__set_str(spec, "restartPolicy", alloc && !strcmp(alloc, "statefulset") ? "Always" : "Never");
    sb__node_selector_apply(c, "executor", spec);
    sb__pull_secrets_apply(c, spec);
    sb__scheduler_name_apply(c, "executor", spec);

    bool disable_cm = false;
    const char *dcm = spark_conf_get(c, "spark.kubernetes.executor.disableConfigMap");
    if (dcm &&
        (rc = sb__to_bool("spark.kubernetes.executor.disableConfigMap", dcm, &disable_cm, err)))
        goto out;

    /* container */
    if (!json_string_value(json_object_get(ct, "name")))
        sb__set_str(ct, "name", SB_EXECUTOR_CONTAINER);
    const char *image = sb__image(c, "executor");
    if (!image) {
        rc = slu_err_set(err, SLU_EINVAL, "Must specify the executor container image");
        goto out;
    }
    sb__set_str(ct, "image", image);
    const char *pp;
    if ((rc = sb__pull_policy(c, &pp, err)))
        goto out;
    sb__set_str(ct, "imagePullPolicy", pp);
    json_array_append_new(sb__arr(ct, "args"), sb__str("executor"));
    int64_t bm = 7079;
    const char *bmv = spark_conf_get(c, "spark.blockManager.port");
    if (bmv && (slu_parse_i64(bmv, &bm) != 0 || (bm != 0 && (bm < 1024 || bm > 65535)))) {
        rc =
            slu_err_set(err, SLU_EINVAL,
                        "spark.blockManager.port should be 0 or in [1024, 65535], but was %s", bmv);
        goto out;
    }
    if (bm != 0) {
        json_t *p = json_object();
        json_object_set_new(p, "containerPort", json_integer(bm));
        sb__set_str(p, "name", "blockmanager");
        json_array_append_new(sb__arr(ct, "ports"), p);
    }

    struct spark_memory mem;
    if ((rc = spark_executor_memory(c, spark_version, &mem, err)))
        goto out;
    const char *cores = spark_conf_get(c, "spark.executor.cores");
    int64_t ncores = 1;
    if (cores && (slu_parse_i64(cores, &ncores) != 0 || ncores <= 0 || ncores > INT32_MAX)) {
        rc = slu_err_set(err, SLU_EINVAL, "spark.executor.cores should be int, but was %s", cores);
        goto out;
    }
    char cbuf[32], mbuf[32], hbuf[32];
    snprintf(cbuf, sizeof(cbuf), "%lld", (long long)ncores);
    snprintf(mbuf, sizeof(mbuf), "%lldMi", (long long)mem.total);
    snprintf(hbuf, sizeof(hbuf), "%lldm", (long long)mem.heap);
    json_t *res = sb__obj(ct, "resources");
    json_t *req = sb__obj(res, "requests");
    json_t *lim = sb__obj(res, "limits");
    sb__set_str(req, "memory", mbuf);
    const char *rq = spark_conf_get(c, "spark.kubernetes.executor.request.cores");
    sb__set_str(req, "cpu", rq ? rq : cbuf);
    sb__set_str(lim, "memory", mbuf);
    if ((rc = sb__custom_resources(c, "executor", lim, err)))
        goto out;
    const char *lc = spark_conf_get(c, "spark.kubernetes.executor.limit.cores");
    if (lc)
        sb__set_str(lim, "cpu", lc);

    json_t *env = sb__arr(ct, "env");
    const char *user = driver_env(driver_pod, "SPARK_USER");
    json_array_append_new(env, sb__env("SPARK_USER", user ? user : "root"));
    const char *dport = spark_conf_get(c, "spark.driver.port");
    char *url = slu_asprintf("spark://CoarseGrainedScheduler@%s:%s", host, dport ? dport : "7078");
    json_array_append_new(env, sb__env("SPARK_DRIVER_URL", url));
    free(url);
    json_array_append_new(env, sb__env("SPARK_EXECUTOR_CORES", cbuf));
    json_array_append_new(env, sb__env("SPARK_EXECUTOR_MEMORY", hbuf));
    json_array_append_new(env, sb__env("SPARK_APPLICATION_ID", app_id));
    json_array_append_new(env, sb__env("SPARK_CONF_DIR", SB_CONF_DIR));
    json_array_append_new(env, sb__env("SPARK_EXECUTOR_ID", eid));
    json_array_append_new(env, sb__env("SPARK_RESOURCE_PROFILE_ID", "0"));
    if (ver >= 40 && spark_conf_get(c, "spark.ui.custom.executor.log.url")) {
        json_array_append_new(env, sb__env("SPARK_EXECUTOR_ATTRIBUTE_APP_ID", app_id));
        json_array_append_new(env, sb__env("SPARK_EXECUTOR_ATTRIBUTE_EXECUTOR_ID", eid));
    }
    struct spark_conf *xe = spark_conf_with_prefix(c, "spark.executorEnv.");
    for (size_t i = 0; i < spark_conf_len(xe); i++) {
        const char *k = spark_conf_key_at(xe, i);
        if (!env_name_ok(k))
            continue;
        const char *v = spark_conf_value_at(xe, i);
        if (strcmp(k, "SPARK_EXECUTOR_DIRS") == 0) {
            char *a = sb__replace_all(v, "SPARK_APPLICATION_ID", app_id);
            char *b = sb__replace_all(a, "SPARK_EXECUTOR_ID", eid);
            json_array_append_new(env, sb__env(k, b));
            free(a);
            free(b);
        } else {
            json_array_append_new(env, sb__env(k, v));
        }
    }
    spark_conf_free(xe);
    const char *auth = spark_conf_get(c, "spark.authenticate");
    if (auth && strcasecmp(auth, "true") == 0 &&
        !spark_conf_get(c, "spark.authenticate.secret.file") &&
        !spark_conf_get(c, "spark.authenticate.secret.executor.file")) {
        const char *sec = spark_conf_get(c, "spark.authenticate.secret");
        if (!sec) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "spark.authenticate is on but the driver has no secret (see "
                             "spark_driver_runtime_init)");
            goto out;
        }
        json_array_append_new(env, sb__env("_SPARK_AUTH_SECRET", sec));
    }
    const char *cp = spark_conf_get(c, "spark.executor.extraClassPath");
    if (cp)
        json_array_append_new(env, sb__env("SPARK_CLASSPATH", cp));
    json_t *opts = json_array();
    const char *jo = spark_conf_get(c, "spark.executor.extraJavaOptions");
    if (jo) {
        char *s = sb__subst_ids(jo, app_id, eid);
        split_command(s, opts);
        free(s);
    }
    for (size_t i = 0; i < spark_conf_len(c); i++) {
        const char *k = spark_conf_key_at(c, i);
        if (is_startup_conf(k)) {
            char *o = slu_asprintf("-D%s=%s", k, spark_conf_value_at(c, i));
            json_array_append_new(opts, sb__str(o));
            free(o);
        }
    }
    size_t i;
    json_t *o;
    json_array_foreach(opts, i, o)
    {
        char n[48];
        snprintf(n, sizeof(n), "SPARK_JAVA_OPT_%zu", i);
        json_array_append_new(env, sb__env(n, json_string_value(o)));
    }
    json_decref(opts);
    json_array_append_new(env, sb__env_field("SPARK_EXECUTOR_POD_IP", "status.podIP"));
    json_array_append_new(env, sb__env_field("SPARK_EXECUTOR_POD_NAME", "metadata.name"));

    if (!disable_cm) {
        char *cmn = spark_executor_configmap_name(driver_pod);
        json_t *vol = json_object();
        sb__set_str(vol, "name", "spark-conf-volume-exec");
        json_t *src = sb__obj(vol, "configMap");
        sb__set_str(src, "name", cmn);
        const json_t *dv = driver_conf_volume(driver_pod);
        json_t *items = json_array();
        json_t *it;
        json_array_foreach(json_object_get(json_object_get(dv, "configMap"), "items"), i, it)
        {
            if (!slu_streq(json_string_value(json_object_get(it, "key")), SB_PROPERTIES_FILE))
                json_array_append_new(items, json_deep_copy(it));
        }
        if (json_array_size(items))
            json_object_set_new(src, "items", items);
        else
            json_decref(items);
        json_array_append_new(sb__arr(spec, "volumes"), vol);
        json_t *m = json_object();
        sb__set_str(m, "mountPath", SB_CONF_DIR);
        sb__set_str(m, "name", "spark-conf-volume-exec");
        json_array_append_new(sb__arr(ct, "volumeMounts"), m);
        free(cmn);
    }
    const char *decom = spark_conf_get(c, "spark.decommission.enabled");
    if (decom && strcasecmp(decom, "true") == 0) {
        const char *script = spark_conf_get(c, "spark.kubernetes.decommission.script");
        json_t *cmd = json_array();
        json_array_append_new(cmd, sb__str(script ? script : "/opt/decom.sh"));
        json_t *lc2 = sb__obj(ct, "lifecycle");
        json_object_set_new(sb__obj(sb__obj(lc2, "preStop"), "exec"), "command", cmd);
    }

    /* Credentials: executor SA, else the driver's, unless the template set one. */
    if (!json_object_get(spec, "serviceAccount") && !json_object_get(spec, "serviceAccountName")) {
        const char *sa =
            spark_conf_get(c, "spark.kubernetes.authenticate.executor.serviceAccountName");
        if (!sa)
            sa = spark_conf_get(c, "spark.kubernetes.authenticate.driver.serviceAccountName");
        if (sa) {
            sb__set_str(spec, "serviceAccount", sa);
            sb__set_str(spec, "serviceAccountName", sa);
        }
    }
    sb__secrets_apply(c, "executor", sb__arr(spec, "volumes"), sb__arr(ct, "volumeMounts"));
    if ((rc = sb__secret_env_apply(c, "executor", env, err)))
        goto out;
    struct slu_vec vols = {0};
    if ((rc = sb__volumes_parse(c, "executor", ver, &vols, err))) {
        slu_vec_release(&vols, sb__volume_free);
        goto out;
    }
    char *claim_prefix = slu_asprintf("%s-pvc", name);
    sb__volumes_apply(&vols, ver, claim_prefix, eid, app_id, sb__arr(spec, "volumes"),
                      sb__arr(ct, "volumeMounts"), NULL);
    free(claim_prefix);
    slu_vec_release(&vols, sb__volume_free);
    const char *hcm = spark_conf_get(c, "spark.kubernetes.executor.hadoopConfigMapName");
    if (hcm) {
        json_t *vol = json_object();
        sb__set_str(vol, "name", "hadoop-properties");
        sb__set_str(sb__obj(vol, "configMap"), "name", hcm);
        json_array_append_new(sb__arr(spec, "volumes"), vol);
        json_t *m = json_object();
        sb__set_str(m, "mountPath", SB_HADOOP_CONF_DIR);
        sb__set_str(m, "name", "hadoop-properties");
        json_array_append_new(sb__arr(ct, "volumeMounts"), m);
        json_array_append_new(env, sb__env("HADOOP_CONF_DIR", SB_HADOOP_CONF_DIR));
    }
    char uuid[40];
    slu_uuid4(uuid);
    sb__local_dirs_apply(c, driver_env(driver_pod, "SPARK_LOCAL_DIRS"), uuid,
                         sb__arr(spec, "volumes"), sb__arr(ct, "volumeMounts"), env);
    (void)tmpl;
out:
    free(name);
    return rc;
}

int spark_build_executor_pod(const struct spark_conf *conf, const char *spark_version,
                             const json_t *driver_pod, int executor_id,
                             const json_t *executor_template, json_t **pod_out, struct slu_err *err)
{
    *pod_out = NULL;
    if (!conf || executor_id < 1)
        return slu_err_set(err, SLU_EINVAL, "executor pod: no conf or executor id < 1");
    for (size_t i = 0; i < spark_conf_len(conf); i++)
        if (!sb__utf8_ok(spark_conf_key_at(conf, i)) || !sb__utf8_ok(spark_conf_value_at(conf, i)))
            return slu_err_set(err, SLU_EINVAL, "spark conf entry %zu is not valid UTF-8", i);
    json_t *pod, *ct;
    sb__template_split(executor_template,
                       spark_conf_get(conf, "spark.kubernetes.executor.podTemplateContainerName"),
                       &pod, &ct);
    int rc =
        build_exec(conf, spark_version, driver_pod, executor_id, executor_template, pod, ct, err);
    json_array_append_new(sb__arr(sb__obj(pod, "spec"), "containers"), ct);
    if (rc) {
        json_decref(pod);
        return rc;
    }
    sb__prune_pod(pod);
    *pod_out = pod;
    return 0;
}

int spark_build_executor_pvcs(const struct spark_conf *c, const char *spark_version,
                              const json_t *driver_pod, int executor_id, json_t **pvcs,
                              struct slu_err *err)
{
    *pvcs = NULL;
    int ver = sb__version(spark_version);
    const char *app_id = spark_conf_get(c, "spark.app.id");
    const char *prefix = spark_conf_get(c, "spark.kubernetes.executor.podNamePrefix");
    if (!app_id || !prefix || executor_id < 1)
        return slu_err_set(err, SLU_EINVAL,
                           "executor PVCs: spark.app.id and spark.kubernetes.executor."
                           "podNamePrefix are required, and executor id >= 1");
    struct slu_vec vols = {0};
    int rc = sb__volumes_parse(c, "executor", ver, &vols, err);
    if (rc) {
        slu_vec_release(&vols, sb__volume_free);
        return rc;
    }
    char eid[16];
    snprintf(eid, sizeof(eid), "%d", executor_id);
    char *claim_prefix = slu_asprintf("%s-exec-%s-pvc", prefix, eid);
    json_t *tv = json_array(), *tm = json_array(), *out = json_array();
    sb__volumes_apply(&vols, ver, claim_prefix, eid, app_id, tv, tm, out);
    json_decref(tv);
    json_decref(tm);
    free(claim_prefix);
    slu_vec_release(&vols, sb__volume_free);
    bool own = true;
    const char *ov = spark_conf_get(c, "spark.kubernetes.driver.ownPersistentVolumeClaim");
    if (ov &&
        (rc = sb__to_bool("spark.kubernetes.driver.ownPersistentVolumeClaim", ov, &own, err))) {
        json_decref(out);
        return rc;
    }
    if (own && driver_pod)
        spark_build_set_owner(out, driver_pod);
    *pvcs = out;
    return 0;
}

int spark_build_executor_configmap(const struct spark_conf *conf, const json_t *driver_pod,
                                   const json_t *driver_conf_cm, int64_t now_ms, json_t **cm_out,
                                   struct slu_err *err)
{
    *cm_out = NULL;
    bool disable = false;
    const char *dcm = spark_conf_get(conf, "spark.kubernetes.executor.disableConfigMap");
    if (dcm) {
        int rc = sb__to_bool("spark.kubernetes.executor.disableConfigMap", dcm, &disable, err);
        if (rc)
            return rc;
    }
    if (disable)
        return 0;
    const char *app_id = spark_conf_get(conf, "spark.app.id");
    if (!app_id)
        return slu_err_set(err, SLU_EINVAL, "executor ConfigMap: spark.app.id is not set");
    const char *ns = spark_conf_get(conf, "spark.kubernetes.namespace");
    if (!ns)
        ns = "default";
    char *name = spark_executor_configmap_name(driver_pod);
    json_t *cm = json_object();
    sb__set_str(cm, "apiVersion", "v1");
    sb__set_str(cm, "kind", "ConfigMap");
    json_t *md = sb__obj(cm, "metadata");
    sb__set_str(md, "name", name);
    sb__set_str(md, "namespace", ns);
    json_t *labels = sb__obj(md, "labels");
    sb__set_str(labels, "spark-app-selector", app_id);
    sb__set_str(labels, "spark-role", "executor");
    json_object_set_new(cm, "immutable", json_true());
    json_t *data = sb__obj(cm, "data");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(driver_conf_cm, "data"), k, v)
    {
        if (strcmp(k, SB_PROPERTIES_FILE) != 0 && strcmp(k, "spark.kubernetes.namespace") != 0 &&
            json_is_string(v))
            json_object_set(data, k, v);
    }
    struct spark_conf *p = spark_conf_new();
    spark_conf_set(p, "spark.kubernetes.namespace", ns);
    char *comment =
        slu_asprintf("Java properties built from Kubernetes config map with name: %s", name);
    char date[64];
    spark_properties_date((now_ms ? now_ms : slu_now_real_ns() / 1000000) / 1000, date,
                          sizeof(date));
    char *text = spark_properties_store(p, comment, date, true);
    sb__set_str(data, SB_PROPERTIES_FILE, text);
    sb__set_str(data, "spark.kubernetes.namespace", ns);
    free(text);
    free(comment);
    spark_conf_free(p);
    free(name);
    json_t *arr = json_array();
    json_array_append_new(arr, cm);
    if (driver_pod)
        spark_build_set_owner(arr, driver_pod);
    *cm_out = json_incref(cm);
    json_decref(arr);
    return 0;
}
