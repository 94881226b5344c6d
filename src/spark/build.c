/*
 * build.c - spark_build: the objects `spark-submit --deploy-mode cluster` creates for one
 * submission (spec spark-objects.md 1-7): the driver Pod, the credentials Secret (OAuth token
 * only), the headless driver Service, driver PVCs, the executor pod template ConfigMap and the
 * spark conf ConfigMap holding spark.properties.
 *
 * How it works: the effective conf is copied and given the cluster-mode effects of SparkSubmit
 * (submitTime, pyFiles, deployMode, app name, the primary jar in spark.jars, no driver host);
 * then the driver feature steps run in Spark's fixed order (Basic, Credentials, Service,
 * MountSecrets, EnvSecrets, MountVolumes, Command, HadoopConf, Kerberos, PodTemplateConfigMap,
 * LocalDirs), each appending to the pod under construction and to the "system properties" (a copy
 * of the conf that becomes spark.properties); Client.run's part (conf ConfigMap, SPARK_CONF_DIR,
 * the conf volume, the Spark container appended last) comes next, and finally the SparkApplication
 * pod extras are applied as the Kubeflow webhook would. No I/O, no clock when now_ms is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

struct ctx {
    const struct spark_build_input *in;
    int ver;
    enum spark_app_type type;
    struct spark_conf *conf;  /* effective conf after submit-side effects and policy */
    struct spark_conf *props; /* system properties (spark.properties) */
    char *ns;
    char *app_id;
    char *uid;
    char *prefix;
    char *pod_name;
    char *app_name;
    char *version_label;
    int64_t now_ms;
    json_t *pod;       /* under construction */
    json_t *container; /* the Spark container, appended last */
    json_t *labels;    /* driver labels as Spark computes them (Service selector) */
    json_t *pre;       /* resources created after the pod, in Spark's order */
    json_t *pvcs;
    char *svc_name;
};

static int port_of(const struct spark_conf *c, const char *key, const char *fallback_key,
                   int64_t dflt, int64_t *out, struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    const char *k = key;
    if (!v && fallback_key) {
        v = spark_conf_get(c, fallback_key);
        k = fallback_key;
    }
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (slu_parse_i64(v, out) != 0 || *out < 0 || *out > 65535)
        return slu_err_set(err, SLU_EINVAL, "%s should be int, but was %s", k, v);
    return 0;
}

static json_t *port_json(const char *name, int64_t port, bool tcp)
{
    json_t *p = json_object();
    json_object_set_new(p, "containerPort", json_integer(port));
    sb__set_str(p, "name", name);
    if (tcp)
        sb__set_str(p, "protocol", "TCP");
    return p;
}

static bool is_local_uri(const char *u)
{
    const char *colon = strchr(u, ':');
    const char *slash = strchr(u, '/');
    if (!colon || (slash && slash < colon))
        return true; /* no scheme */
    return slu_str_has_prefix(u, "file:");
}

/* ---------------------------------------------------------------- submit-side conf effects */

static int submit_effects(struct ctx *x, struct slu_err *err)
{
    const struct spark_build_input *in = x->in;
    struct spark_conf *c = x->conf;
    spark_conf_unset(c, "spark.driver.host");
    if (!spark_conf_get(c, "spark.app.submitTime")) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long)x->now_ms);
        spark_conf_set(c, "spark.app.submitTime", v);
    }
    if (!spark_conf_get(c, "spark.submit.pyFiles"))
        spark_conf_set(c, "spark.submit.pyFiles", "");
    spark_conf_set(c, "spark.submit.deployMode", "cluster");
    const char *res = in->primary_resource;
    bool has_res = res && *res && strcmp(res, "spark-internal") != 0;
    if (!spark_conf_get(c, "spark.app.name")) {
        const char *name = NULL;
        if (x->type == SPARK_APP_JAVA && in->main_class)
            name = in->main_class;
        char *base = NULL;
        if (!name && has_res) {
            const char *s = strrchr(res, '/');
            base = slu_strdup(s ? s + 1 : res);
            name = base;
        }
        if (name)
            spark_conf_set(c, "spark.app.name", name);
        free(base);
    }
    if (x->type == SPARK_APP_JAVA && has_res) {
        const char *jars = spark_conf_get(c, "spark.jars");
        size_t n = 0;
        char **parts = sb__java_split(jars ? jars : "", ',', &n);
        bool present = false;
        for (size_t i = 0; i < n; i++)
            present |= strcmp(parts[i], res) == 0;
        slu_strv_free(parts);
        if (!present) {
            char *v = jars && *jars ? slu_asprintf("%s,%s", jars, res) : slu_strdup(res);
            spark_conf_set(c, "spark.jars", v);
            free(v);
        }
    }
    /* Local dependencies would be uploaded to spark.kubernetes.file.upload.path by Spark. */
    static const char *const dep_keys[] = {"spark.jars", "spark.files", "spark.archives",
                                           "spark.submit.pyFiles", NULL};
    for (const char *const *k = dep_keys; *k; k++) {
        const char *v = spark_conf_get(c, *k);
        size_t n = 0;
        char **parts = sb__java_split(v ? v : "", ',', &n);
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            char *t = slu_str_trim(parts[i]);
            if (*t && strcmp(t, "spark-internal") != 0 && is_local_uri(t))
                rc = slu_err_set(err, SLU_EUNSUPPORTED,
                                 "%s: '%s' is a local file that Spark would upload to "
                                 "spark.kubernetes.file.upload.path; sluice does not upload "
                                 "files: use local:// (a path in the image) or a remote URI",
                                 *k, t);
        }
        slu_strv_free(parts);
        if (rc)
            return rc;
    }
    if (x->type == SPARK_APP_PYTHON && has_res && is_local_uri(res))
        return slu_err_set(err, SLU_EUNSUPPORTED,
                           "primary resource '%s' is a local file that Spark would upload; "
                           "sluice does not upload files: use local:// or a remote URI",
                           res);
    return 0;
}

static int check_input(struct ctx *x, struct slu_err *err)
{
    const struct spark_conf *c = x->conf;
    for (size_t i = 0; i < spark_conf_len(c); i++) {
        if (!sb__utf8_ok(spark_conf_key_at(c, i)) || !sb__utf8_ok(spark_conf_value_at(c, i)))
            return slu_err_set(err, SLU_EINVAL, "spark conf entry %zu (%s) is not valid UTF-8", i,
                               sb__utf8_ok(spark_conf_key_at(c, i)) ? spark_conf_key_at(c, i)
                                                                    : "?");
    }
    const struct spark_build_input *in = x->in;
    const char *strs[] = {in->main_class, in->primary_resource, in->proxy_user, in->namespace,
                          in->app_id,     in->unique_id,        in->spark_user};
    for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++)
        if (!sb__utf8_ok(strs[i]))
            return slu_err_set(err, SLU_EINVAL, "build input string %zu is not valid UTF-8", i);
    for (size_t i = 0; i < in->nargs; i++)
        if (!in->app_args[i] || !sb__utf8_ok(in->app_args[i]))
            return slu_err_set(err, SLU_EINVAL, "application argument %zu is NULL or not UTF-8", i);
    if (spark_conf_get(c, "spark.driver.bindAddress"))
        return slu_err_set(err, SLU_EINVAL,
                           "The driver bind address is managed and set to the driver pod's IP "
                           "address (spark.driver.bindAddress must not be set)");
    if (spark_conf_get(c, "spark.kubernetes.driver.podTemplateFile") && !in->driver_template)
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.driver.podTemplateFile is set but no driver template "
                           "was loaded (see spark_pod_template_load)");
    if (spark_conf_get(c, "spark.kubernetes.executor.podTemplateFile") && !in->executor_template)
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.executor.podTemplateFile is set but no executor "
                           "template was loaded (see spark_pod_template_load)");
    static const char *const unsupported[] = {"spark.kubernetes.authenticate.driver.caCertFile",
                                              "spark.kubernetes.authenticate.driver.clientKeyFile",
                                              "spark.kubernetes.authenticate.driver.clientCertFile",
                                              "spark.kubernetes.kerberos.krb5.path",
                                              "spark.kubernetes.driver.pod.featureSteps",
                                              NULL};
    for (const char *const *k = unsupported; *k; k++)
        if (spark_conf_get(c, *k))
            return slu_err_set(err, SLU_EUNSUPPORTED,
                               "%s is not supported by sluice's builder (it needs files or code "
                               "of the submitting machine)",
                               *k);
    const char *kt = spark_conf_get(c, "spark.kerberos.keytab");
    if (kt && !slu_str_has_prefix(kt, "local:"))
        return slu_err_set(err, SLU_EUNSUPPORTED,
                           "spark.kerberos.keytab: uploading a keytab is not supported; use a "
                           "local: URI (a file in the image)");
    if (spark_conf_get(c, "spark.kubernetes.kerberos.krb5.configMapName") &&
        spark_conf_get(c, "spark.kubernetes.kerberos.krb5.path"))
        return slu_err_set(err, SLU_EINVAL,
                           "Do not specify both a Krb5 local file and the "
                           "ConfigMap as the creation of an additional ConfigMap, "
                           "when one is already specified, is extraneous");
    bool tn = spark_conf_get(c, "spark.kubernetes.kerberos.tokenSecret.name") != NULL;
    bool tk = spark_conf_get(c, "spark.kubernetes.kerberos.tokenSecret.itemKey") != NULL;
    if (tn != tk)
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.kerberos.tokenSecret.name and .itemKey must both be "
                           "set or both be unset");
    return 0;
}

/* ---------------------------------------------------------------- steps */

static int put_labels(struct ctx *x, const char *prefix, json_t *dst, bool subst,
                      struct slu_err *err)
{
    struct spark_conf *s = spark_conf_with_prefix(x->conf, prefix);
    int rc = 0;
    for (size_t i = 0; i < spark_conf_len(s) && !rc; i++) {
        const char *k = spark_conf_key_at(s, i);
        if (!strcmp(k, "spark-version") || !strcmp(k, "spark-app-selector") ||
            !strcmp(k, "spark-app-name") || !strcmp(k, "spark-role")) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "Label with key %s is not allowed as it is reserved for Spark "
                             "bookkeeping operations (%s%s)",
                             k, prefix, k);
            break;
        }
        char *v = subst ? sb__subst_ids(spark_conf_value_at(s, i), x->app_id, NULL)
                        : slu_strdup(spark_conf_value_at(s, i));
        sb__set_str(dst, k, v);
        free(v);
    }
    spark_conf_free(s);
    return rc;
}

static int step_basic(struct ctx *x, struct slu_err *err)
{
    struct spark_conf *c = x->conf;
    const struct spark_build_input *in = x->in;
    int rc;
    json_t *md = sb__obj(x->pod, "metadata");
    json_t *spec = sb__obj(x->pod, "spec");
    json_t *ct = x->container;

    sb__set_str(md, "name", x->pod_name);
    x->labels = json_object();
    rc = put_labels(x, "spark.kubernetes.driver.label.", x->labels, x->ver >= 40, err);
    if (rc)
        return rc;
    sb__set_str(x->labels, "spark-version", x->version_label);
    sb__set_str(x->labels, "spark-app-selector", x->app_id);
    char *lab = spark_app_name_label(x->app_name);
    sb__set_str(x->labels, "spark-app-name", lab);
    free(lab);
    sb__set_str(x->labels, "spark-role", "driver");
    json_object_update(sb__obj(md, "labels"), x->labels);
    struct spark_conf *an = spark_conf_with_prefix(c, "spark.kubernetes.driver.annotation.");
    for (size_t i = 0; i < spark_conf_len(an); i++) {
        char *v = sb__subst_ids(spark_conf_value_at(an, i), x->app_id, NULL);
        sb__set_str(sb__obj(md, "annotations"), spark_conf_key_at(an, i), v);
        free(v);
    }
    spark_conf_free(an);

    sb__set_str(spec, "restartPolicy", "Never");
    sb__node_selector_apply(c, "driver", spec);
    sb__pull_secrets_apply(c, spec);
    sb__scheduler_name_apply(c, "driver", spec);

    if (!json_string_value(json_object_get(ct, "name")))
        sb__set_str(ct, "name", SB_DRIVER_CONTAINER);
    const char *image = sb__image(c, "driver");
    if (!image)
        return slu_err_set(err, SLU_EINVAL,
                           "Must specify the driver container image (spark.kubernetes.container."
                           "image or spark.kubernetes.driver.container.image)");
    sb__set_str(ct, "image", image);
    const char *pp;
    rc = sb__pull_policy(c, &pp, err);
    if (rc)
        return rc;
    sb__set_str(ct, "imagePullPolicy", pp);

    int64_t rpc, bm, ui;
    if ((rc = port_of(c, "spark.driver.port", NULL, 7078, &rpc, err)) ||
        (rc = port_of(c, "spark.driver.blockManager.port", "spark.blockManager.port", 7079, &bm,
                      err)) ||
        (rc = port_of(c, "spark.ui.port", NULL, 4040, &ui, err)))
        return rc;
    json_t *ports = sb__arr(ct, "ports");
    json_array_append_new(ports, port_json("driver-rpc-port", rpc, true));
    json_array_append_new(ports, port_json("blockmanager", bm, true));
    json_array_append_new(ports, port_json("spark-ui", ui, true));

    json_t *env = sb__arr(ct, "env");
    json_array_append_new(env, sb__env("SPARK_USER", in->spark_user ? in->spark_user : "root"));
    json_array_append_new(env, sb__env("SPARK_APPLICATION_ID", x->app_id));
    struct spark_conf *de = spark_conf_with_prefix(c, "spark.kubernetes.driverEnv.");
    for (size_t i = 0; i < spark_conf_len(de); i++)
        json_array_append_new(env, sb__env(spark_conf_key_at(de, i), spark_conf_value_at(de, i)));
    spark_conf_free(de);
    json_array_append_new(env, sb__env_field("SPARK_DRIVER_BIND_ADDRESS", "status.podIP"));

    /* resources */
    const char *cores = spark_conf_get(c, "spark.driver.cores");
    int64_t ncores = 1;
    if (cores && (slu_parse_i64(cores, &ncores) != 0 || ncores <= 0 || ncores > INT32_MAX))
        return slu_err_set(err, SLU_EINVAL, "spark.driver.cores should be int, but was %s", cores);
    char cbuf[32];
    snprintf(cbuf, sizeof(cbuf), "%lld", (long long)ncores);
    const char *req_cores = spark_conf_get(c, "spark.kubernetes.driver.request.cores");
    struct spark_memory mem;
    rc = spark_driver_memory(c, in->spark_version, x->type, &mem, err);
    if (rc)
        return rc;
    char mbuf[32];
    snprintf(mbuf, sizeof(mbuf), "%lldMi", (long long)mem.total);
    json_t *res = sb__obj(ct, "resources");
    json_t *req = sb__obj(res, "requests");
    json_t *lim = sb__obj(res, "limits");
    sb__set_str(req, "cpu", req_cores ? req_cores : cbuf);
    sb__set_str(req, "memory", mbuf);
    const char *lim_cores = spark_conf_get(c, "spark.kubernetes.driver.limit.cores");
    if (lim_cores)
        sb__set_str(lim, "cpu", lim_cores);
    sb__set_str(lim, "memory", mbuf);
    rc = sb__custom_resources(c, "driver", lim, err);
    if (rc)
        return rc;

    spark_conf_set(x->props, "spark.kubernetes.driver.pod.name", x->pod_name);
    spark_conf_set(x->props, "spark.app.id", x->app_id);
    spark_conf_set(x->props, "spark.kubernetes.submitInDriver", "true");
    char fbuf[32];
    sb__double_str(mem.default_factor, fbuf, sizeof(fbuf));
    spark_conf_set(x->props, "spark.kubernetes.memoryOverheadFactor", fbuf);
    return 0;
}

static void step_credentials(struct ctx *x)
{
    struct spark_conf *c = x->conf;
    json_t *spec = sb__obj(x->pod, "spec");
    const char *token = spark_conf_get(c, "spark.kubernetes.authenticate.driver.oauthToken");
    for (size_t i = 0; i < spark_conf_len(c); i++)
        if (slu_str_has_suffix(spark_conf_key_at(c, i), "oauthToken"))
            spark_conf_set(x->props, spark_conf_key_at(c, i), "<present_but_redacted>");
    if (!token) {
        const char *sa =
            spark_conf_get(c, "spark.kubernetes.authenticate.driver.serviceAccountName");
        if (sa) {
            sb__set_str(spec, "serviceAccount", sa);
            sb__set_str(spec, "serviceAccountName", sa);
        }
        return;
    }
    const char *mkey = "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile";
    const char *mounted = spark_conf_get(c, mkey);
    spark_conf_set(x->props, mkey, mounted ? mounted : SB_K8S_CREDS_DIR "/oauth-token");
    char *sname = slu_asprintf("%s-kubernetes-credentials", x->prefix);
    json_t *sec = json_object();
    sb__set_str(sec, "apiVersion", "v1");
    sb__set_str(sec, "kind", "Secret");
    sb__set_str(sb__obj(sec, "metadata"), "name", sname);
    json_object_set_new(sec, "immutable", json_true());
    char *b64 = slu_base64_encode(token, strlen(token));
    sb__set_str(sb__obj(sec, "data"), "oauth-token", b64);
    free(b64);
    json_array_append_new(x->pre, sec);
    json_t *vol = json_object();
    sb__set_str(vol, "name", "kubernetes-credentials");
    sb__set_str(sb__obj(vol, "secret"), "secretName", sname);
    json_array_append_new(sb__arr(spec, "volumes"), vol);
    json_t *m = json_object();
    sb__set_str(m, "mountPath", SB_K8S_CREDS_DIR);
    sb__set_str(m, "name", "kubernetes-credentials");
    json_array_append_new(sb__arr(x->container, "volumeMounts"), m);
    free(sname);
}

static int step_service(struct ctx *x, struct slu_err *err)
{
    struct spark_conf *c = x->conf;
    int64_t rpc, bm, ui;
    int rc;
    if ((rc = port_of(c, "spark.driver.port", NULL, 7078, &rpc, err)) ||
        (rc = port_of(c, "spark.driver.blockManager.port", NULL, 7079, &bm, err)) ||
        (rc = port_of(c, "spark.ui.port", NULL, 4040, &ui, err)))
        return rc;
    char *pref = slu_asprintf("%s-driver-svc", x->prefix);
    if (strlen(pref) <= 63) {
        x->svc_name = pref;
    } else {
        free(pref);
        const char *sid = x->in->service_id ? x->in->service_id : x->uid;
        x->svc_name = slu_asprintf("spark-%s-driver-svc", sid);
    }
    char *host = slu_asprintf("%s.%s.svc", x->svc_name, x->ns);
    spark_conf_set(x->props, "spark.driver.host", host);
    free(host);
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)rpc);
    spark_conf_set(x->props, "spark.driver.port", v);
    snprintf(v, sizeof(v), "%lld", (long long)bm);
    spark_conf_set(x->props, "spark.driver.blockManager.port", v);

    const char *policy = spark_conf_get(c, "spark.kubernetes.driver.service.ipFamilyPolicy");
    if (!policy)
        policy = "SingleStack";
    if (strcmp(policy, "SingleStack") && strcmp(policy, "PreferDualStack") &&
        strcmp(policy, "RequireDualStack"))
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.driver.service.ipFamilyPolicy must be SingleStack, "
                           "PreferDualStack or RequireDualStack, but was %s",
                           policy);
    const char *fam = spark_conf_get(c, "spark.kubernetes.driver.service.ipFamilies");
    if (!fam)
        fam = "IPv4";
    if (strcmp(fam, "IPv4") && strcmp(fam, "IPv6") && strcmp(fam, "IPv4,IPv6") &&
        strcmp(fam, "IPv6,IPv4"))
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.driver.service.ipFamilies must be IPv4, IPv6, "
                           "IPv4,IPv6 or IPv6,IPv4, but was %s",
                           fam);

    json_t *svc = json_object();
    sb__set_str(svc, "apiVersion", "v1");
    sb__set_str(svc, "kind", "Service");
    json_t *md = sb__obj(svc, "metadata");
    sb__set_str(md, "name", x->svc_name);
    struct spark_conf *an =
        spark_conf_with_prefix(c, "spark.kubernetes.driver.service.annotation.");
    for (size_t i = 0; i < spark_conf_len(an); i++)
        sb__set_str(sb__obj(md, "annotations"), spark_conf_key_at(an, i),
                    spark_conf_value_at(an, i));
    spark_conf_free(an);
    json_t *labels = sb__obj(md, "labels");
    sb__set_str(labels, "spark-app-selector", x->app_id);
    struct spark_conf *sl = spark_conf_with_prefix(c, "spark.kubernetes.driver.service.label.");
    for (size_t i = 0; i < spark_conf_len(sl); i++)
        sb__set_str(labels, spark_conf_key_at(sl, i), spark_conf_value_at(sl, i));
    spark_conf_free(sl);
    json_t *spec = sb__obj(svc, "spec");
    sb__set_str(spec, "clusterIP", "None");
    sb__set_str(spec, "ipFamilyPolicy", policy);
    size_t nf = 0;
    char **fams = sb__java_split(fam, ',', &nf);
    json_t *fa = sb__arr(spec, "ipFamilies");
    for (size_t i = 0; i < nf; i++)
        json_array_append_new(fa, sb__str(fams[i]));
    slu_strv_free(fams);
    json_object_set(spec, "selector", x->labels);
    json_t *ports = sb__arr(spec, "ports");
    const char *names[] = {"driver-rpc-port", "blockmanager", "spark-ui"};
    int64_t nums[] = {rpc, bm, ui};
    for (int i = 0; i < 3; i++) {
        json_t *p = json_object();
        sb__set_str(p, "name", names[i]);
        json_object_set_new(p, "port", json_integer(nums[i]));
        json_object_set_new(p, "targetPort", json_integer(nums[i]));
        json_array_append_new(ports, p);
    }
    json_array_append_new(x->pre, svc);
    return 0;
}

static int step_command(struct ctx *x, struct slu_err *err)
{
    const struct spark_build_input *in = x->in;
    struct spark_conf *c = x->conf;
    json_t *args = sb__arr(x->container, "args");
    json_array_append_new(args, sb__str("driver"));
    if (in->proxy_user) {
        json_array_append_new(args, sb__str("--proxy-user"));
        json_array_append_new(args, sb__str(in->proxy_user));
    }
    json_array_append_new(args, sb__str("--properties-file"));
    json_array_append_new(args, sb__str(SB_CONF_DIR "/" SB_PROPERTIES_FILE));
    json_array_append_new(args, sb__str("--class"));
    const char *res = in->primary_resource;
    bool has_res = res && *res && strcmp(res, "spark-internal") != 0;
    const char *rtype;
    switch (x->type) {
    case SPARK_APP_PYTHON:
        json_array_append_new(args, sb__str("org.apache.spark.deploy.PythonRunner"));
        json_array_append_new(args, sb__str(res));
        rtype = "python";
        break;
    case SPARK_APP_R:
        json_array_append_new(args, sb__str("org.apache.spark.deploy.RRunner"));
        json_array_append_new(args, sb__str(res));
        rtype = "r";
        break;
    default:
        if (!in->main_class || !*in->main_class)
            return slu_err_set(err, SLU_EINVAL, "Main class must be specified (--class)");
        json_array_append_new(args, sb__str(in->main_class));
        json_array_append_new(args,
                              sb__str(has_res && !is_local_uri(res) ? res : "spark-internal"));
        rtype = "java";
        break;
    }
    for (size_t i = 0; i < in->nargs; i++)
        json_array_append_new(args, sb__str(in->app_args[i]));
    spark_conf_set(x->props, "spark.kubernetes.resource.type", rtype);
    if (x->type == SPARK_APP_PYTHON) {
        json_t *env = sb__arr(x->container, "env");
        const char *py = spark_conf_get(c, "spark.pyspark.python");
        const char *dpy = spark_conf_get(c, "spark.pyspark.driver.python");
        const char *v1 = py ? py : in->env_pyspark_python;
        const char *v2 = dpy                             ? dpy
                         : py                            ? py
                         : in->env_pyspark_driver_python ? in->env_pyspark_driver_python
                                                         : in->env_pyspark_python;
        if (v1)
            json_array_append_new(env, sb__env("PYSPARK_PYTHON", v1));
        if (v2)
            json_array_append_new(env, sb__env("PYSPARK_DRIVER_PYTHON", v2));
    }
    return 0;
}

static void add_mount(json_t *container, const char *name, const char *path, const char *sub)
{
    json_t *m = json_object();
    sb__set_str(m, "mountPath", path);
    sb__set_str(m, "name", name);
    if (sub)
        sb__set_str(m, "subPath", sub);
    json_array_append_new(sb__arr(container, "volumeMounts"), m);
}

static void step_hadoop_kerberos(struct ctx *x)
{
    struct spark_conf *c = x->conf;
    json_t *spec = sb__obj(x->pod, "spec");
    json_t *env = sb__arr(x->container, "env");
    const char *hcm = spark_conf_get(c, "spark.kubernetes.hadoop.configMapName");
    if (hcm) {
        json_t *vol = json_object();
        sb__set_str(vol, "name", "hadoop-properties");
        sb__set_str(sb__obj(vol, "configMap"), "name", hcm);
        json_array_append_new(sb__arr(spec, "volumes"), vol);
        add_mount(x->container, "hadoop-properties", SB_HADOOP_CONF_DIR, NULL);
        json_array_append_new(env, sb__env("HADOOP_CONF_DIR", SB_HADOOP_CONF_DIR));
        spark_conf_set(x->props, "spark.kubernetes.executor.hadoopConfigMapName", hcm);
    }
    const char *krb = spark_conf_get(c, "spark.kubernetes.kerberos.krb5.configMapName");
    if (krb) {
        json_t *vol = json_object();
        sb__set_str(vol, "name", "krb5-file");
        sb__set_str(sb__obj(vol, "configMap"), "name", krb);
        json_array_append_new(sb__arr(spec, "volumes"), vol);
        add_mount(x->container, "krb5-file", "/etc/krb5.conf", "krb5.conf");
    }
    const char *tsn = spark_conf_get(c, "spark.kubernetes.kerberos.tokenSecret.name");
    const char *tsk = spark_conf_get(c, "spark.kubernetes.kerberos.tokenSecret.itemKey");
    if (tsn && tsk) {
        json_t *vol = json_object();
        sb__set_str(vol, "name", "hadoop-secret");
        sb__set_str(sb__obj(vol, "secret"), "secretName", tsn);
        json_array_append_new(sb__arr(spec, "volumes"), vol);
        add_mount(x->container, "hadoop-secret", SB_HADOOP_CREDS_DIR, NULL);
        char *loc = slu_asprintf("%s/%s", SB_HADOOP_CREDS_DIR, tsk);
        json_array_append_new(env, sb__env("HADOOP_TOKEN_FILE_LOCATION", loc));
        free(loc);
    }
}

/* The executor pod template (user template + executor extras) as text, or NULL when there is
 * none. */
static int exec_template_text(struct ctx *x, char **text, struct slu_err *err)
{
    const struct spark_build_input *in = x->in;
    *text = NULL;
    bool extras = json_is_object(in->executor_extras) && json_object_size(in->executor_extras);
    if (!in->executor_template && !extras)
        return 0;
    if (!extras) {
        if (in->executor_template_text) {
            *text = slu_strdup(in->executor_template_text);
            return 0;
        }
        *text = json_dumps(in->executor_template, JSON_INDENT(2));
        if (!*text)
            return slu_err_set(err, SLU_EINVAL, "executor template cannot be serialised");
        return 0;
    }
    const char *cname =
        spark_conf_get(x->conf, "spark.kubernetes.executor.podTemplateContainerName");
    json_t *t;
    if (in->executor_template) {
        t = json_deep_copy(in->executor_template);
        if (!json_is_object(t)) {
            json_decref(t);
            return slu_err_set(err, SLU_EINVAL, "executor template: not a Pod object");
        }
    } else {
        t = json_object();
        sb__set_str(t, "apiVersion", "v1");
        sb__set_str(t, "kind", "Pod");
    }
    json_t *spec = sb__obj(t, "spec");
    json_t *cs = sb__arr(spec, "containers");
    if (json_array_size(cs) == 0) {
        json_t *c0 = json_object();
        sb__set_str(c0, "name", cname ? cname : SB_EXECUTOR_CONTAINER);
        json_array_append_new(cs, c0);
    }
    /* the skeleton as the extras code shapes it with nothing to add (empty metadata and so on) */
    json_t *bare = NULL;
    if (!in->executor_template) {
        bare = json_deep_copy(t);
        json_t *none = json_object();
        if (spark_pod_apply_extras(bare, none, in->app_volumes,
                                   cname ? cname : SB_EXECUTOR_CONTAINER, NULL) != 0) {
            json_decref(bare);
            bare = NULL;
        }
        json_decref(none);
    }
    int rc = spark_pod_apply_extras(t, in->executor_extras, in->app_volumes,
                                    cname ? cname : SB_EXECUTOR_CONTAINER, err);
    if (rc) {
        slu_err_prefix(err, "executor extras");
        json_decref(t);
        json_decref(bare);
        return rc;
    }
    if (bare && json_equal(bare, t)) {
        /* the extras change nothing in the executor pod (what they hold, cores or memory, is in
         * the conf already): no template, so no ConfigMap, as spark-submit without one */
        json_decref(bare);
        json_decref(t);
        return 0;
    }
    json_decref(bare);
    if (!cname) {
        /* Spark takes the first container unless told: name it, as the Kubeflow operator does. */
        const char *n0 = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
        if (n0)
            spark_conf_set(x->props, "spark.kubernetes.executor.podTemplateContainerName", n0);
    }
    *text = json_dumps(t, JSON_INDENT(2));
    json_decref(t);
    return 0;
}

static int step_pod_template(struct ctx *x, struct slu_err *err)
{
    char *text = NULL;
    int rc = exec_template_text(x, &text, err);
    if (rc || !text)
        return rc;
    char *cm_name = slu_asprintf("%s-driver-podspec-conf-map", x->prefix);
    json_t *cm = json_object();
    sb__set_str(cm, "apiVersion", "v1");
    sb__set_str(cm, "kind", "ConfigMap");
    sb__set_str(sb__obj(cm, "metadata"), "name", cm_name);
    json_object_set_new(cm, "immutable", json_true());
    sb__set_str(sb__obj(cm, "data"), SB_TEMPLATE_KEY, text);
    free(text);
    json_array_append_new(x->pre, cm);
    json_t *vol = json_object();
    sb__set_str(vol, "name", "pod-template-volume");
    json_t *src = sb__obj(vol, "configMap");
    sb__set_str(src, "name", cm_name);
    json_t *item = json_object();
    sb__set_str(item, "key", SB_TEMPLATE_KEY);
    sb__set_str(item, "path", SB_TEMPLATE_FILE);
    json_array_append_new(sb__arr(src, "items"), item);
    json_array_append_new(sb__arr(sb__obj(x->pod, "spec"), "volumes"), vol);
    add_mount(x->container, "pod-template-volume", SB_TEMPLATE_DIR, NULL);
    spark_conf_set(x->props, "spark.kubernetes.executor.podTemplateFile",
                   SB_TEMPLATE_DIR "/" SB_TEMPLATE_FILE);
    free(cm_name);
    return 0;
}

/* ---------------------------------------------------------------- conf ConfigMap */

static bool conf_file_excluded(const char *name)
{
    static const char *const bad[] = {".gz", ".zip", ".jar", ".tar", ".template", NULL};
    for (const char *const *s = bad; *s; s++)
        if (slu_str_has_suffix(name, *s))
            return true;
    return slu_str_has_prefix(name, "spark") &&
           (slu_str_has_suffix(name, "conf") || slu_str_has_suffix(name, "properties")) &&
           strlen(name) >= strlen("sparkconf");
}

struct conf_file {
    const char *name;
    const char *text;
    size_t weight; /* name length + text length */
};

static int cmp_conf_file(const void *a, const void *b)
{
    const struct conf_file *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight < y->weight ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* loadSparkConfDirFiles: eligible files of the submitter's conf dir into data (name -> text). */
static int conf_files_add(struct ctx *x, json_t *data, struct slu_err *err)
{
    const json_t *files = x->in->conf_files;
    if (!json_is_object(files))
        return 0;
    int64_t max = 1048576;
    const char *mv = spark_conf_get(x->conf, "spark.kubernetes.configMap.maxSize");
    if (mv) {
        int rc = spark_size_parse(mv, "b", &max, err);
        if (rc) {
            slu_err_prefix(err, "spark.kubernetes.configMap.maxSize");
            return rc;
        }
        if (max > 1048576)
            return slu_err_set(err, SLU_EINVAL,
                               "spark.kubernetes.configMap.maxSize must be <= 1048576, but was %s",
                               mv);
    }
    size_t n = json_object_size(files);
    struct conf_file *v = slu_calloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    const char *name;
    json_t *t;
    json_object_foreach((json_t *)files, name, t)
    {
        const char *text = json_string_value(t);
        if (!text || conf_file_excluded(name) || strchr(name, '/'))
            continue;
        size_t w = strlen(name) + strlen(text);
        if ((int64_t)w > max)
            continue;
        v[k].name = name;
        v[k].text = text;
        v[k].weight = w;
        k++;
    }
    /* sorted by path, then stably by weight: the same as (weight, name) */
    qsort(v, k, sizeof(*v), cmp_conf_file);
    int64_t total = 0;
    for (size_t i = 0; i < k; i++) {
        if (total + (int64_t)v[i].weight < max) {
            total += (int64_t)v[i].weight;
            sb__set_str(data, v[i].name, v[i].text);
        }
    }
    free(v);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conf_configmap(struct ctx *x, json_t **out, char **cm_name_out, struct slu_err *err)
{
    const char *cid = x->in->conf_map_id ? x->in->conf_map_id : x->uid;
    char *cm_name = slu_asprintf("spark-drv-%s-conf-map", cid);
    json_t *cm = json_object();
    sb__set_str(cm, "apiVersion", "v1");
    sb__set_str(cm, "kind", "ConfigMap");
    json_t *md = sb__obj(cm, "metadata");
    sb__set_str(md, "name", cm_name);
    sb__set_str(md, "namespace", x->ns);
    json_object_set_new(cm, "immutable", json_true());
    json_t *data = sb__obj(cm, "data");
    int rc = conf_files_add(x, data, err);
    if (rc) {
        json_decref(cm);
        free(cm_name);
        return rc;
    }
    char *comment =
        slu_asprintf("Java properties built from Kubernetes config map with name: %s", cm_name);
    char date[64];
    spark_properties_date(x->now_ms / 1000, date, sizeof(date));
    char *text = spark_properties_store(x->props, comment, date, true);
    sb__set_str(data, SB_PROPERTIES_FILE, text);
    free(text);
    free(comment);
    sb__set_str(data, "spark.kubernetes.namespace", x->ns);
    *out = cm;
    *cm_name_out = cm_name;
    return 0;
}

/* Client.run: SPARK_CONF_DIR, the conf volume and mount (items sorted by key). */
static void conf_volume(struct ctx *x, const json_t *cm, const char *cm_name)
{
    json_array_append_new(sb__arr(x->container, "env"), sb__env("SPARK_CONF_DIR", SB_CONF_DIR));
    add_mount(x->container, "spark-conf-volume-driver", SB_CONF_DIR, NULL);
    json_t *data = json_object_get(cm, "data");
    size_t n = json_object_size(data), k = 0;
    char **keys = slu_calloc(n ? n : 1, sizeof(char *));
    const char *key;
    json_t *v;
    json_object_foreach(data, key, v)
    {
        if (strcmp(key, "spark.kubernetes.namespace") != 0)
            keys[k++] = (char *)key;
    }
    qsort(keys, k, sizeof(char *), cmp_str);
    json_t *vol = json_object();
    sb__set_str(vol, "name", "spark-conf-volume-driver");
    json_t *src = sb__obj(vol, "configMap");
    sb__set_str(src, "name", cm_name);
    json_t *items = sb__arr(src, "items");
    for (size_t i = 0; i < k; i++) {
        json_t *it = json_object();
        sb__set_str(it, "key", keys[i]);
        json_object_set_new(it, "mode", json_integer(420));
        sb__set_str(it, "path", keys[i]);
        json_array_append_new(items, it);
    }
    free(keys);
    json_array_append_new(sb__arr(sb__obj(x->pod, "spec"), "volumes"), vol);
}

/* ---------------------------------------------------------------- entry points */

static enum spark_app_type resolve_type(const struct spark_build_input *in)
{
    if (in->app_type != SPARK_APP_AUTO)
        return in->app_type;
    const char *r = in->primary_resource;
    if (r && slu_str_has_suffix(r, ".py"))
        return SPARK_APP_PYTHON;
    if (r && (slu_str_has_suffix(r, ".R") || slu_str_has_suffix(r, ".r")))
        return SPARK_APP_R;
    return SPARK_APP_JAVA;
}

static void ctx_release(struct ctx *x)
{
    spark_conf_free(x->conf);
    spark_conf_free(x->props);
    free(x->ns);
    free(x->app_id);
    free(x->uid);
    free(x->prefix);
    free(x->pod_name);
    free(x->app_name);
    free(x->version_label);
    free(x->svc_name);
    json_decref(x->pod);
    json_decref(x->container);
    json_decref(x->labels);
    json_decref(x->pre);
    json_decref(x->pvcs);
}

static int build(struct ctx *x, const struct spark_build_input *in, struct slu_err *err)
{
    int rc;
    x->in = in;
    x->ver = sb__version(in->spark_version);
    x->type = resolve_type(in);
    x->now_ms = in->now_ms ? in->now_ms : slu_now_real_ns() / 1000000;
    const char *sv = in->spark_version ? in->spark_version : "4.0.0";
    int dots = 0;
    for (const char *p = sv; *p; p++)
        dots += *p == '.';
    x->version_label = dots >= 2 ? slu_strdup(sv) : slu_asprintf("%s.0", sv);
    x->conf = spark_conf_copy(in->conf);
    if ((rc = check_input(x, err)))
        return rc;
    if ((rc = spark_policy_apply(in->policy, x->conf, in->spark_version, x->type, err)))
        return rc;
    if ((rc = submit_effects(x, err)))
        return rc;

    const char *cns = spark_conf_get(x->conf, "spark.kubernetes.namespace");
    if (in->namespace && cns && strcmp(in->namespace, cns) != 0)
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.namespace (%s) differs from the namespace %s", cns,
                           in->namespace);
    x->ns = slu_strdup(in->namespace ? in->namespace : cns ? cns : "default");
    /* spark-submit would have been given the namespace as --conf spark.kubernetes.namespace */
    if (!cns && in->namespace)
        spark_conf_set(x->conf, "spark.kubernetes.namespace", x->ns);

    if (in->app_id) {
        x->app_id = slu_strdup(in->app_id);
    } else {
        unsigned char r[16];
        slu_random_bytes(r, sizeof(r));
        char hex[33];
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", r[i]);
        x->app_id = slu_asprintf("spark-%s", hex);
    }
    char idbuf[32];
    if (!in->unique_id)
        spark_unique_id(NULL, x->now_ms, idbuf, sizeof(idbuf));
    x->uid = slu_strdup(in->unique_id ? in->unique_id : idbuf);
    const char *an = spark_conf_get(x->conf, "spark.app.name");
    x->app_name = slu_strdup(an ? an : "spark");
    x->prefix = spark_resource_name_prefix(x->app_name, x->uid);
    const char *pn = spark_conf_get(x->conf, "spark.kubernetes.driver.pod.name");
    x->pod_name = pn ? slu_strdup(pn) : slu_asprintf("%s-driver", x->prefix);

    x->props = spark_conf_copy(x->conf);
    x->pre = json_array();
    x->pvcs = json_array();
    sb__template_split(in->driver_template,
                       spark_conf_get(x->conf, "spark.kubernetes.driver.podTemplateContainerName"),
                       &x->pod, &x->container);
    json_t *spec = sb__obj(x->pod, "spec");

    if ((rc = step_basic(x, err)))
        return rc;
    step_credentials(x);
    if ((rc = step_service(x, err)))
        return rc;
    sb__secrets_apply(x->conf, "driver", sb__arr(spec, "volumes"),
                      sb__arr(x->container, "volumeMounts"));
    if ((rc = sb__secret_env_apply(x->conf, "driver", sb__arr(x->container, "env"), err)))
        return rc;
    struct slu_vec vols = {0};
    rc = sb__volumes_parse(x->conf, "driver", x->ver, &vols, err);
    if (!rc) {
        /* executor volume confs are parsed here too, only to fail early (as Spark does) */
        struct slu_vec ev = {0};
        rc = sb__volumes_parse(x->conf, "executor", x->ver, &ev, err);
        slu_vec_release(&ev, sb__volume_free);
    }
    if (rc) {
        slu_vec_release(&vols, sb__volume_free);
        return rc;
    }
    char *claim_prefix = slu_asprintf("%s-driver-pvc", x->prefix);
    sb__volumes_apply(&vols, x->ver, claim_prefix, NULL, x->app_id, sb__arr(spec, "volumes"),
                      sb__arr(x->container, "volumeMounts"), x->pvcs);
    free(claim_prefix);
    slu_vec_release(&vols, sb__volume_free);
    size_t i;
    json_t *v;
    json_array_foreach(x->pvcs, i, v) json_array_append(x->pre, v);
    if ((rc = step_command(x, err)))
        return rc;
    step_hadoop_kerberos(x);
    if ((rc = step_pod_template(x, err)))
        return rc;
    char uuid[40];
    if (!in->local_dir_uuid)
        slu_uuid4(uuid);
    sb__local_dirs_apply(x->conf, in->env_local_dirs,
                         in->local_dir_uuid ? in->local_dir_uuid : uuid, sb__arr(spec, "volumes"),
                         sb__arr(x->container, "volumeMounts"), sb__arr(x->container, "env"));

    json_t *cm = NULL;
    char *cm_name = NULL;
    if ((rc = conf_configmap(x, &cm, &cm_name, err)))
        return rc;
    conf_volume(x, cm, cm_name);
    free(cm_name);
    json_array_append_new(x->pre, cm);
    json_array_append_new(sb__arr(spec, "containers"), x->container);
    x->container = NULL;

    const char *dname = json_string_value(
        json_object_get(json_array_get(json_object_get(spec, "containers"),
                                       json_array_size(json_object_get(spec, "containers")) - 1),
                        "name"));
    char *dn = slu_strdup(dname);
    /* the webhook finds the driver container by its default name, else the first; we target the
     * Spark container itself */
    rc = spark_pod_apply_extras(x->pod, in->driver_extras, in->app_volumes, dn, err);
    free(dn);
    if (rc) {
        slu_err_prefix(err, "driver extras");
        return rc;
    }
    sb__prune_pod(x->pod);
    return 0;
}

int spark_build(const struct spark_build_input *in, json_t **objects, char **namespace_out,
                struct slu_err *err)
{
    *objects = NULL;
    if (namespace_out)
        *namespace_out = NULL;
    if (!in || !in->conf)
        return slu_err_set(err, SLU_EINVAL, "spark_build: no conf");
    struct ctx x;
    memset(&x, 0, sizeof(x));
    int rc = build(&x, in, err);
    if (rc == 0) {
        json_t *arr = json_array();
        json_array_append(arr, x.pod);
        json_array_extend(arr, x.pre);
        *objects = arr;
        if (namespace_out)
            *namespace_out = slu_strdup(x.ns);
    }
    ctx_release(&x);
    return rc;
}

void spark_build_set_owner(json_t *objects, const json_t *driver_pod)
{
    const char *name =
        json_string_value(json_object_get(json_object_get(driver_pod, "metadata"), "name"));
    const char *uid =
        json_string_value(json_object_get(json_object_get(driver_pod, "metadata"), "uid"));
    const char *av = json_string_value(json_object_get(driver_pod, "apiVersion"));
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        if (slu_streq(json_string_value(json_object_get(o, "kind")), "Pod"))
            continue;
        json_t *ref = json_object();
        sb__set_str(ref, "apiVersion", av ? av : "v1");
        sb__set_str(ref, "kind", "Pod");
        sb__set_str(ref, "name", name);
        if (uid)
            sb__set_str(ref, "uid", uid);
        json_object_set_new(ref, "controller", json_true());
        json_t *list = json_array();
        json_array_append_new(list, ref);
        json_object_set_new(sb__obj(o, "metadata"), "ownerReferences", list);
    }
}

void spark_build_input_from_env(struct spark_build_input *in)
{
    if (!in->spark_user) {
        const char *u = getenv("SPARK_USER");
        if (!u)
            u = getenv("HADOOP_USER_NAME");
        if (!u)
            u = getenv("USER");
        if (!u)
            u = getenv("LOGNAME");
        in->spark_user = u;
    }
    if (!in->env_local_dirs)
        in->env_local_dirs = getenv("SPARK_LOCAL_DIRS");
    if (!in->env_pyspark_python)
        in->env_pyspark_python = getenv("PYSPARK_PYTHON");
    if (!in->env_pyspark_driver_python)
        in->env_pyspark_driver_python = getenv("PYSPARK_DRIVER_PYTHON");
}
