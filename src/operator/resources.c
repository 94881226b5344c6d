/*
 * resources.c - the objects the controller manages around a driver: the UI Service
 * `<app>-ui-svc` (and the UI Ingress when --ingress-url-format is set), the driver
 * PodDisruptionBudget, and the deletion of an application's resources before a rerun, on
 * suspension or on invalidation (spec §2 "Delete resources", §3.4). Every create is idempotent
 * (AlreadyExists reads the existing object back), every delete tolerates NotFound, and the driver
 * pod is only deleted when its labels say it belongs to this application (uid precondition).
 */
#include <string.h>

#include "operator/op_int.h"

static const struct kube_resource RES_INGRESS_V1 = {"networking.k8s.io", "v1", "ingresses",
                                                    "Ingress", true};

bool op__transient(int rc)
{
    return rc == SLU_ESERVER || rc == SLU_ETOOMANY || rc == SLU_ETIMEDOUT || rc == SLU_EIO ||
           rc == SLU_ECONFLICT;
}

json_t *op__app_owner_refs(const json_t *app)
{
    json_t *ref = kube_owner_ref(app, true, true);
    /* list items may lack apiVersion/kind: set them */
    json_object_set_new(ref, "apiVersion", json_string(OP_GROUP "/" OP_VERSION));
    json_object_set_new(ref, "kind", json_string("SparkApplication"));
    json_t *a = json_array();
    json_array_append_new(a, ref);
    return a;
}

static int64_t ui_target_port(const json_t *app)
{
    const char *p =
        json_string_value(json_object_get(slu_json_path(app, "spec.sparkConf"), "spark.ui.port"));
    int64_t v;
    if (p && slu_parse_i64(p, &v) == 0 && v > 0 && v < 65536)
        return v;
    return 4040;
}

static int64_t ui_port(const json_t *app)
{
    int64_t p = slu_json_int(app, "spec.sparkUIOptions.servicePort", 0);
    return p > 0 && p < 65536 ? p : ui_target_port(app);
}

static json_t *our_labels(const json_t *app)
{
    return json_pack("{s:s, s:s}", SPARK_LABEL_APP_NAME, kube_object_name(app), OP_LABEL_CREATED_BY,
                     "true");
}

static int create_or_get(struct op_controller *ctl, const struct kube_resource *r, const char *ns,
                         json_t *obj, json_t **out, struct slu_err *err)
{
    int rc = op__create(ctl, r, ns, obj, out, err);
    if (rc == SLU_EEXIST) {
        slu_err_release(err);
        rc = op__get(ctl, r, ns, slu_json_str(obj, "metadata.name"), out, err);
    }
    return rc;
}

/* status.driverInfo, made an object when it is not one. */
static json_t *driver_info(json_t *status)
{
    json_t *di = json_object_get(status, "driverInfo");
    if (!json_is_object(di)) {
        di = json_object();
        json_object_set_new(status, "driverInfo", di);
    }
    return di;
}

json_t *op__ui_service_build(struct op_controller *ctl, const json_t *app, json_t *status)
{
    if (ctl->o.disable_ui_service)
        return NULL;
    json_t *di = driver_info(status);
    if (slu_json_str(di, "webUIServiceName") && slu_json_str(di, "webUIAddress"))
        return NULL;
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    char *svc = op_ui_service_name(name);
    const json_t *uo = slu_json_path(app, "spec.sparkUIOptions");
    json_t *labels = our_labels(app);
    json_object_update(labels, json_object_get(uo, "serviceLabels"));
    const char *pname = slu_json_str(uo, "servicePortName");
    const char *stype = slu_json_str(uo, "serviceType");
    json_t *obj = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:{s:s, s:{s:s, s:s}, s:[{s:s, s:I, s:I, s:s}]}}",
        "apiVersion", "v1", "kind", "Service", "metadata", "name", svc, "namespace", ns, "labels",
        labels, "ownerReferences", op__app_owner_refs(app), "spec", "type",
        stype ? stype : "ClusterIP", "selector", SPARK_LABEL_APP_NAME, name, OP_LABEL_SPARK_ROLE,
        "driver", "ports", "name", pname ? pname : "spark-driver-ui-port", "port",
        (json_int_t)ui_port(app), "targetPort", (json_int_t)ui_target_port(app), "protocol", "TCP");
    free(svc);
    json_t *ann = json_object_get(uo, "serviceAnnotations");
    if (json_is_object(ann))
        json_object_set(json_object_get(obj, "metadata"), "annotations", ann);
    return obj;
}

void op__ui_service_record(const json_t *app, json_t *status, const json_t *svc)
{
    json_t *di = driver_info(status);
    int64_t port = ui_port(app);
    const char *ip = slu_json_str(svc, "spec.clusterIP");
    json_object_set_new(di, "webUIServiceName", json_string(kube_object_name(svc)));
    json_object_set_new(di, "webUIPort", json_integer(port));
    if (ip && *ip && strcmp(ip, "None") != 0) {
        char *addr = slu_asprintf("%s:%lld", ip, (long long)port);
        json_object_set_new(di, "webUIAddress", json_string(addr));
        free(addr);
    }
}

static int ensure_ui_service(struct op_controller *ctl, const json_t *app, json_t *status,
                             struct slu_err *err)
{
    if (ctl->o.disable_ui_service)
        return 0;
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    json_t *di = driver_info(status);
    int rc = 0;
    char *svc = op_ui_service_name(name);
    int64_t port = ui_port(app);
    json_t *sobj = op__ui_service_build(ctl, app, status);
    if (sobj) {
        json_t *got = NULL;
        rc = create_or_get(ctl, &KUBE_RES_SERVICES, ns, sobj, &got, err);
        json_decref(sobj);
        if (rc == 0)
            op__ui_service_record(app, status, got);
        json_decref(got);
    }
    if (rc == 0 && ctl->o.ingress_url_format && *ctl->o.ingress_url_format &&
        !slu_json_str(di, "webUIIngressName")) {
        char *ing = op_ui_ingress_name(name);
        char *url = op_ingress_url(ctl->o.ingress_url_format, name, ns,
                                   slu_json_str(status, "sparkApplicationId"));
        const char *u = url;
        if (slu_str_has_prefix(u, "http://"))
            u += 7;
        else if (slu_str_has_prefix(u, "https://"))
            u += 8;
        const char *slash = strchr(u, '/');
        char *host = slash ? slu_strndup(u, (size_t)(slash - u)) : slu_strdup(u);
        const char *path = slash && slash[1] ? slash : NULL;
        const json_t *uo = slu_json_path(app, "spec.sparkUIOptions");
        json_t *ann = json_is_object(json_object_get(uo, "ingressAnnotations"))
                          ? json_copy(json_object_get(uo, "ingressAnnotations"))
                          : json_object();
        char *p = NULL;
        if (path) {
            size_t pl = strlen(path);
            while (pl > 1 && path[pl - 1] == '/')
                pl--;
            p = slu_asprintf("%.*s(/|$)(.*)", (int)pl, path);
            json_object_set_new(ann, "nginx.ingress.kubernetes.io/rewrite-target",
                                json_string("/$2"));
        }
        json_t *obj = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:o, s:o, s:o}, s:{s:[{s:s, s:{s:[{s:s, s:s, s:{s:{s:s, "
            "s:{s:I}}}}]}}]}}",
            "apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "metadata", "name", ing,
            "namespace", ns, "labels", our_labels(app), "annotations", ann, "ownerReferences",
            op__app_owner_refs(app), "spec", "rules", "host", host, "http", "paths", "path",
            p ? p : "/", "pathType", "ImplementationSpecific", "backend", "service", "name", svc,
            "port", "number", (json_int_t)port);
        if (ctl->o.ingress_class_name)
            json_object_set_new(json_object_get(obj, "spec"), "ingressClassName",
                                json_string(ctl->o.ingress_class_name));
        json_t *tls = json_object_get(uo, "ingressTLS");
        if (json_is_array(tls))
            json_object_set(json_object_get(obj, "spec"), "tls", tls);
        if (!*host)
            json_object_del(json_array_get(slu_json_path(obj, "spec.rules"), 0), "host");
        json_t *got = NULL;
        rc = create_or_get(ctl, &RES_INGRESS_V1, ns, obj, &got, err);
        if (rc == 0) {
            json_object_set_new(di, "webUIIngressName", json_string(ing));
            json_object_set_new(di, "webUIIngressAddress", json_string(url));
        }
        json_decref(got);
        json_decref(obj);
        free(p);
        free(host);
        free(url);
        free(ing);
    }
    free(svc);
    return rc;
}

/* The UI Service and Ingress, then the driverIngressOptions objects (ingress.c). */
int op__ensure_ui(struct op_controller *ctl, const json_t *app, json_t *status, struct slu_err *err)
{
    int rc = ensure_ui_service(ctl, app, status, err);
    if (rc == 0)
        rc = op__ensure_driver_ingresses(ctl, app, status, err);
    return rc;
}

int op__ensure_pdb(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    if (!slu_json_bool(app, "spec.driverPodDisruptionBudget", false))
        return 0;
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    char *pn = op_pdb_name(name);
    json_t *obj = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:{s:i, s:{s:{s:s, s:s}}}}", "apiVersion", "policy/v1",
        "kind", "PodDisruptionBudget", "metadata", "name", pn, "namespace", ns, "labels",
        our_labels(app), "ownerReferences", op__app_owner_refs(app), "spec", "minAvailable", 1,
        "selector", "matchLabels", SPARK_LABEL_APP_NAME, name, OP_LABEL_SPARK_ROLE, "driver");
    int rc = op__create(ctl, &KUBE_RES_PDBS, ns, obj, NULL, err);
    if (rc == SLU_EEXIST) {
        slu_err_release(err);
        rc = 0;
    }
    json_decref(obj);
    free(pn);
    return rc;
}

static int delete_named(struct op_controller *ctl, const struct kube_resource *r, const char *ns,
                        const char *name, int64_t grace, struct slu_err *err)
{
    struct kube_delete_opts d = {.grace_period_seconds = grace};
    int rc = op__delete(ctl, r, ns, name, &d, NULL, err);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(err);
        rc = 0;
    }
    return rc;
}

int op__delete_pdb(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    if (!slu_json_bool(app, "spec.driverPodDisruptionBudget", false))
        return 0;
    char *pn = op_pdb_name(kube_object_name(app));
    int rc = delete_named(ctl, &KUBE_RES_PDBS, kube_object_namespace(app), pn, -1, err);
    free(pn);
    return rc;
}

json_t *op__cached_driver(struct op_controller *ctl, const json_t *app, const char *pod_name)
{
    const char *ns = kube_object_namespace(app);
    struct op_nsw *w = op__nsw_for(ctl, ns);
    if (!w || !pod_name)
        return NULL;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns, pod_name);
    json_t *pod = kube_informer_get(w->pods, key);
    if (pod && !slu_streq(op__label(pod, SPARK_LABEL_APP_NAME), kube_object_name(app))) {
        json_decref(pod);
        pod = NULL;
    }
    return pod;
}

int op__delete_resources(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    int rc = op__delete_pdb(ctl, app, err);
    if (rc)
        return rc;
    const char *pn = slu_json_str(app, "status.driverInfo.podName");
    char *derived = NULL;
    if (!pn || !*pn)
        pn = derived = spark_app_driver_pod_name(app);
    json_t *pod = NULL;
    rc = op__get(ctl, &KUBE_RES_PODS, ns, pn, &pod, err);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(err);
        rc = 0;
    } else if (rc == 0 && slu_streq(op__label(pod, SPARK_LABEL_APP_NAME), name) &&
               slu_streq(op__label(pod, SPARK_LABEL_LAUNCHED_BY), "true") &&
               !slu_json_str(pod, "metadata.deletionTimestamp")) {
        struct kube_delete_opts d = {.grace_period_seconds = -1,
                                     .precondition_uid = kube_object_uid(pod)};
        rc = op__delete(ctl, &KUBE_RES_PODS, ns, pn, &d, NULL, err);
        if (rc == SLU_ENOTFOUND || rc == SLU_ECONFLICT) {
            slu_err_release(err);
            rc = 0;
        }
    }
    json_decref(pod);
    free(derived);
    if (rc)
        return rc;
    char *svc = op_ui_service_name(name);
    rc = delete_named(ctl, &KUBE_RES_SERVICES, ns, svc, 0, err);
    free(svc);
    if (rc == 0 && ctl->o.ingress_url_format && *ctl->o.ingress_url_format) {
        char *ing = op_ui_ingress_name(name);
        rc = delete_named(ctl, &RES_INGRESS_V1, ns, ing, -1, err);
        free(ing);
    }
    if (rc == 0)
        rc = op__delete_driver_ingresses(ctl, app, err); /* ingress.c */
    if (rc == 0)
        rc = op__batch_cleanup(ctl, app, err); /* batch.c: the Volcano PodGroup */
    return rc;
}
