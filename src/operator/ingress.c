/*
 * ingress.c - spec.driverIngressOptions (op_int.h): for each entry a Service
 * `<app>-driver-<servicePort>` selecting the driver pod, and when the entry has an
 * ingressURLFormat an Ingress `<app>-ing-<servicePort>` routing to it (spec §2 SUBMITTED row, §3.4;
 * the reference's driveringress.go). Both are owned by the SparkApplication, created
 * idempotently (AlreadyExists is success) from op__ensure_ui, and deleted by op__delete_resources
 * (rerun, suspension, invalidation) through op__delete_driver_ingresses.
 *
 * Objects, as the reference builds them:
 * - Service: labels app-name + created-by (plus the entry's serviceLabels: merged, where the
 *   reference replaces), the entry's serviceAnnotations, type serviceType (default ClusterIP),
 *   selector {app-name: <app>, spark-role: driver}, one TCP port named servicePortName (default
 *   `driver-ing-<port>`) with port = targetPort = servicePort.
 * - Ingress (networking.k8s.io/v1): host and path from ingressURLFormat ({{$appName}},
 *   {{$appNamespace}}, {{$appId}}); a non-root path becomes `<path>(/|$)(.*)` with the annotation
 *   nginx.ingress.kubernetes.io/rewrite-target: /$2; pathType ImplementationSpecific; backend the
 *   entry's Service and port; ingressClassName from --ingress-class-name. Annotations and TLS are
 *   the entry's ingressAnnotations / ingressTLS; when the entry has none, sparkUIOptions'
 *   (which is all the reference reads).
 *
 * Cost: an app without driverIngressOptions costs two json_object_get per call and nothing else.
 * With entries, the objects are created once per submission attempt: a process-wide memo maps
 * the app's uid to the submissionID whose objects exist (bounded; dropping it only means one
 * more round of AlreadyExists), so SUBMITTED/RUNNING refreshes do no API call after the first
 * success. The memo entry is removed when the objects are deleted.
 */
#include <pthread.h>
#include <string.h>

#include "operator/op_int.h"

#define MEMO_MAX 8192

static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slu_map memo; /* uid -> submissionID (owned strings) */
static bool memo_ready;

static bool memo_done(const char *uid, const char *sid)
{
    pthread_mutex_lock(&memo_mu);
    bool done = memo_ready && slu_streq(slu_map_get(&memo, uid), sid);
    pthread_mutex_unlock(&memo_mu);
    return done;
}

static void memo_set(const char *uid, const char *sid)
{
    pthread_mutex_lock(&memo_mu);
    if (memo_ready && memo.len >= MEMO_MAX) {
        slu_map_release(&memo);
        memo_ready = false;
    }
    if (!memo_ready) {
        slu_map_init(&memo, free);
        memo_ready = true;
    }
    slu_map_put(&memo, uid, slu_strdup(sid));
    pthread_mutex_unlock(&memo_mu);
}

static void memo_forget(const char *uid)
{
    pthread_mutex_lock(&memo_mu);
    if (memo_ready)
        slu_map_del(&memo, uid);
    pthread_mutex_unlock(&memo_mu);
}

/* The entries, or NULL when there are none (the common case: no allocation). */
static const json_t *entries(const json_t *app)
{
    const json_t *a = json_object_get(json_object_get(app, "spec"), "driverIngressOptions");
    return json_is_array(a) && json_array_size(a) > 0 ? a : NULL;
}

static int64_t entry_port(const json_t *e)
{
    const json_t *p = json_object_get(e, "servicePort");
    int64_t v = json_is_integer(p) ? (int64_t)json_integer_value(p) : 0;
    return v > 0 && v < 65536 ? v : 0;
}

char *op__driver_ingress_service_name(const char *app, int64_t port)
{
    return slu_asprintf("%s-driver-%lld", app, (long long)port);
}

char *op__driver_ingress_name(const char *app, int64_t port)
{
    return slu_asprintf("%s-ing-%lld", app, (long long)port);
}

static json_t *labels_of(const json_t *app)
{
    return json_pack("{s:s, s:s}", SPARK_LABEL_APP_NAME, kube_object_name(app), OP_LABEL_CREATED_BY,
                     "true");
}

static int create_ok_if_exists(struct op_controller *ctl, const struct kube_resource *r,
                               const char *ns, const json_t *obj, struct slu_err *err)
{
    int rc = op__create(ctl, r, ns, obj, NULL, err);
    if (rc == SLU_EEXIST) {
        slu_err_release(err);
        rc = 0;
    } else if (rc) {
        slu_err_prefix(err, "creating %s %s", slu_json_str(obj, "kind"),
                       slu_json_str(obj, "metadata.name"));
    }
    return rc;
}

static int ensure_service(struct op_controller *ctl, const json_t *app, const json_t *e,
                          int64_t port, const char *svc, struct slu_err *err)
{
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    const char *pname = slu_json_str(e, "servicePortName");
    const char *stype = slu_json_str(e, "serviceType");
    char defname[32];
    snprintf(defname, sizeof defname, "driver-ing-%lld", (long long)port);
    json_t *labels = labels_of(app);
    if (json_is_object(json_object_get(e, "serviceLabels")))
        json_object_update(labels, json_object_get(e, "serviceLabels"));
    json_t *obj = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:{s:s, s:{s:s, s:s}, s:[{s:s, s:I, s:I, s:s}]}}",
        "apiVersion", "v1", "kind", "Service", "metadata", "name", svc, "namespace", ns, "labels",
        labels, "ownerReferences", op__app_owner_refs(app), "spec", "type",
        stype && *stype ? stype : "ClusterIP", "selector", SPARK_LABEL_APP_NAME, name,
        OP_LABEL_SPARK_ROLE, "driver", "ports", "name", pname && *pname ? pname : defname, "port",
        (json_int_t)port, "targetPort", (json_int_t)port, "protocol", "TCP");
    const json_t *ann = json_object_get(e, "serviceAnnotations");
    if (json_is_object(ann) && json_object_size(ann) > 0)
        json_object_set_new(json_object_get(obj, "metadata"), "annotations", slu_json_copy(ann));
    int rc = create_ok_if_exists(ctl, &KUBE_RES_SERVICES, ns, obj, err);
    json_decref(obj);
    return rc;
}

/* The entry's field when set (non-empty), else sparkUIOptions' (borrowed or NULL). */
static const json_t *own_or_ui(const json_t *app, const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);
    if ((json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v)))
        return v;
    v = json_object_get(slu_json_path(app, "spec.sparkUIOptions"), key);
    if ((json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v)))
        return v;
    return NULL;
}

static int ensure_ingress(struct op_controller *ctl, const json_t *app, const json_t *status,
                          const json_t *e, int64_t port, const char *svc, struct slu_err *err)
{
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    const char *appid = slu_json_str(status, "sparkApplicationId");
    if (!appid)
        appid = slu_json_str(app, "status.sparkApplicationId");
    char *url = op_ingress_url(slu_json_str(e, "ingressURLFormat"), name, ns, appid);
    const char *u = url;
    if (slu_str_has_prefix(u, "http://"))
        u += 7;
    else if (slu_str_has_prefix(u, "https://"))
        u += 8;
    const char *slash = strchr(u, '/');
    char *host = slash ? slu_strndup(u, (size_t)(slash - u)) : slu_strdup(u);
    char *path = NULL;
    const json_t *a = own_or_ui(app, e, "ingressAnnotations");
    json_t *ann = a ? slu_json_copy(a) : json_object();
    if (slash && slash[1]) {
        size_t pl = strlen(slash);
        while (pl > 1 && slash[pl - 1] == '/')
            pl--;
        path = slu_asprintf("%.*s(/|$)(.*)", (int)pl, slash);
        json_object_set_new(ann, "nginx.ingress.kubernetes.io/rewrite-target", json_string("/$2"));
    }
    char *ing = op__driver_ingress_name(name, port);
    json_t *obj =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:{s:[{s:s, s:{s:[{s:s, s:s, s:{s:{s:s, "
                  "s:{s:I}}}}]}}]}}",
                  "apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "metadata", "name", ing,
                  "namespace", ns, "labels", labels_of(app), "ownerReferences",
                  op__app_owner_refs(app), "spec", "rules", "host", host, "http", "paths", "path",
                  path ? path : "/", "pathType", "ImplementationSpecific", "backend", "service",
                  "name", svc, "port", "number", (json_int_t)port);
    if (json_object_size(ann) > 0)
        json_object_set(json_object_get(obj, "metadata"), "annotations", ann);
    if (!*host)
        json_object_del(json_array_get(slu_json_path(obj, "spec.rules"), 0), "host");
    if (ctl->o.ingress_class_name && *ctl->o.ingress_class_name)
        json_object_set_new(json_object_get(obj, "spec"), "ingressClassName",
                            json_string(ctl->o.ingress_class_name));
    const json_t *tls = own_or_ui(app, e, "ingressTLS");
    if (json_is_array(tls))
        json_object_set_new(json_object_get(obj, "spec"), "tls", slu_json_copy(tls));
    int rc = create_ok_if_exists(ctl, &KUBE_RES_INGRESSES, ns, obj, err);
    json_decref(obj);
    json_decref(ann);
    free(ing);
    free(path);
    free(host);
    free(url);
    return rc;
}

int op__ensure_driver_ingresses(struct op_controller *ctl, const json_t *app, const json_t *status,
                                struct slu_err *err)
{
    const json_t *list = entries(app);
    if (!list)
        return 0;
    const char *uid = kube_object_uid(app);
    const char *sid = slu_json_str(status, "submissionID");
    if (!sid)
        sid = slu_json_str(app, "status.submissionID");
    if (!sid)
        sid = "";
    if (uid && memo_done(uid, sid))
        return 0;
    const char *name = kube_object_name(app);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        int64_t port = entry_port(e);
        if (!port)
            return slu_err_set(err, SLU_EINVAL,
                               "spec.driverIngressOptions[%zu].servicePort: required, 1 to 65535",
                               i);
        char *svc = op__driver_ingress_service_name(name, port);
        int rc = ensure_service(ctl, app, e, port, svc, err);
        const char *fmt = slu_json_str(e, "ingressURLFormat");
        if (rc == 0 && fmt && *fmt)
            rc = ensure_ingress(ctl, app, status, e, port, svc, err);
        free(svc);
        if (rc)
            return rc;
    }
    if (uid)
        memo_set(uid, sid);
    return 0;
}

static int delete_if_present(struct op_controller *ctl, const struct kube_resource *r,
                             const char *ns, const char *name, struct slu_err *err)
{
    struct kube_delete_opts d = {.grace_period_seconds = -1};
    int rc = op__delete(ctl, r, ns, name, &d, NULL, err);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(err);
        rc = 0;
    } else if (rc) {
        slu_err_prefix(err, "deleting %s %s", r->kind, name);
    }
    return rc;
}

int op__delete_driver_ingresses(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    const json_t *list = entries(app);
    if (!list)
        return 0;
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    if (kube_object_uid(app))
        memo_forget(kube_object_uid(app));
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        int64_t port = entry_port(e);
        if (!port)
            continue;
        char *svc = op__driver_ingress_service_name(name, port);
        int rc = delete_if_present(ctl, &KUBE_RES_SERVICES, ns, svc, err);
        free(svc);
        const char *fmt = slu_json_str(e, "ingressURLFormat");
        if (rc == 0 && fmt && *fmt) {
            char *ing = op__driver_ingress_name(name, port);
            rc = delete_if_present(ctl, &KUBE_RES_INGRESSES, ns, ing, err);
            free(ing);
        }
        if (rc)
            return rc;
    }
    return 0;
}
