/*
 * builtin.c - the built-in kinds `sluice sim` serves, with the defaults and validation the real
 * API server applies to them (the parts a client can see), metadata validation shared by every
 * kind, the list of fields each kind declares (for fieldValidation), and the 422 message format.
 *
 * How it works: a static table describes each type; sim_builtin_types turns it into heap
 * sim_rtype structs. Defaulting and validation are one function per kind working on the
 * json_t in place and adding causes to a slu_err; the store turns the causes into a 422.
 */
#include <stdatomic.h>
#include <string.h>

#include "sim/sim_int.h"

/* ---------------------------------------------------------------- type table */

static const char *const pod_fields[] = {"spec.nodeName",
                                         "spec.restartPolicy",
                                         "spec.schedulerName",
                                         "spec.serviceAccountName",
                                         "spec.hostNetwork",
                                         "status.phase",
                                         "status.podIP",
                                         "status.podIPs",
                                         "status.nominatedNodeName",
                                         NULL};
static const char *const event_fields[] = {"involvedObject.kind",
                                           "involvedObject.namespace",
                                           "involvedObject.name",
                                           "involvedObject.uid",
                                           "involvedObject.apiVersion",
                                           "involvedObject.resourceVersion",
                                           "involvedObject.fieldPath",
                                           "reason",
                                           "reportingComponent",
                                           "source",
                                           "type",
                                           NULL};
static const char *const events2_fields[] = {
    "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
    "reason",         "reportingController", "type",           NULL};
static const char *const node_fields[] = {"spec.unschedulable", NULL};
static const char *const secret_fields[] = {"type", NULL};
static const char *const ns_fields[] = {"status.phase", NULL};

struct btype {
    const char *group, *version, *plural, *singular, *kind;
    bool namespaced, has_status;
    const char *short_names; /* comma separated or NULL */
    const char *categories;
    const char *const *fields;
    const char *subresources;
    const char *verbs; /* NULL: the full set */
};

static const struct btype btypes[] = {
    {"", "v1", "namespaces", "namespace", "Namespace", false, true, "ns", NULL, ns_fields, "status",
     "create,delete,get,list,patch,update,watch"},
    {"", "v1", "pods", "pod", "Pod", true, true, "po", "all", pod_fields,
     "status,log,binding,eviction", NULL},
    {"", "v1", "configmaps", "configmap", "ConfigMap", true, false, "cm", NULL, NULL, NULL, NULL},
    {"", "v1", "secrets", "secret", "Secret", true, false, NULL, NULL, secret_fields, NULL, NULL},
    {"", "v1", "services", "service", "Service", true, true, "svc", "all", NULL, "status",
     "create,delete,get,list,patch,update,watch"},
    {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, false, "sa", NULL, NULL,
     NULL, NULL},
    {"", "v1", "events", "event", "Event", true, false, "ev", NULL, event_fields, NULL, NULL},
    {"", "v1", "nodes", "node", "Node", false, true, "no", NULL, node_fields, "status", NULL},
    {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true,
     true, "pvc", NULL, NULL, "status", NULL},
    {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, false, NULL, NULL, NULL, NULL,
     NULL},
    {"events.k8s.io", "v1", "events", "event", "Event", true, false, "ev", NULL, events2_fields,
     NULL, NULL},
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
     "CustomResourceDefinition", false, true, "crd,crds", "api-extensions", NULL, "status", NULL},
    {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, true, "ing", NULL, NULL,
     "status", NULL},
    {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true,
     true, "pdb", NULL, NULL, "status", NULL},
    {"scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, false,
     "pc", NULL, NULL, NULL, NULL},
    /* Served so that deployment manifests (deploy/) apply; no controller acts on them. */
    {"apps", "v1", "deployments", "deployment", "Deployment", true, true, "deploy", "all", NULL,
     "status", NULL},
    {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, false,
     NULL, NULL, NULL, NULL, NULL},
    {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
     "ClusterRoleBinding", false, false, NULL, NULL, NULL, NULL, NULL},
    {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, false, NULL, NULL, NULL,
     NULL, NULL},
    {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, false,
     NULL, NULL, NULL, NULL, NULL},
};

static char **strv_from(const char *csv)
{
    if (!csv || !*csv)
        return NULL;
    return slu_str_split(csv, ',', true, NULL);
}

void sim_builtin_types(struct slu_vec *out)
{
    for (size_t i = 0; i < SLU_ARRAY_LEN(btypes); i++) {
        const struct btype *b = &btypes[i];
        struct sim_rtype *rt = slu_calloc(1, sizeof *rt);
        rt->group = slu_strdup(b->group);
        rt->version = slu_strdup(b->version);
        rt->plural = slu_strdup(b->plural);
        rt->singular = slu_strdup(b->singular);
        rt->kind = slu_strdup(b->kind);
        rt->list_kind = slu_asprintf("%sList", b->kind);
        rt->short_names = strv_from(b->short_names);
        rt->categories = strv_from(b->categories);
        rt->namespaced = b->namespaced;
        rt->has_status = b->has_status;
        rt->field_labels = b->fields;
        rt->verbs = strv_from(b->verbs ? b->verbs
                                       : "create,delete,deletecollection,get,list,patch,update,"
                                         "watch");
        rt->subresources = strv_from(b->subresources);
        slu_vec_push(out, rt);
    }
}

void sim_builtin_type_free(struct sim_rtype *rt)
{
    sim_rtype_free(rt); /* a built-in type is a served type without schema or columns */
}

/* ---------------------------------------------------------------- errors */

int sim_err_invalid(struct slu_err *err, const char *kind, const char *name)
{
    if (!err)
        return SLU_EINVAL;
    struct slu_buf b = {0};
    slu_buf_printf(&b, "%s \"%s\" is invalid: ", kind, name ? name : "");
    if (err->ncauses > 1)
        slu_buf_putc(&b, '[');
    for (size_t i = 0; i < err->ncauses; i++) {
        if (i)
            slu_buf_puts(&b, ", ");
        if (err->causes[i].field && *err->causes[i].field)
            slu_buf_printf(&b, "%s: ", err->causes[i].field);
        slu_buf_puts(&b, err->causes[i].message);
    }
    if (err->ncauses > 1)
        slu_buf_putc(&b, ']');
    slu_err_set(err, SLU_EINVAL, "%s", b.data ? b.data : "invalid");
    slu_buf_release(&b);
    err->http_status = 422;
    slu_err_set_reason(err, "Invalid");
    slu_strlcpy(err->kind, kind, sizeof err->kind);
    slu_strlcpy(err->name, name ? name : "", sizeof err->name);
    return SLU_EINVAL;
}

static void cause(struct slu_err *e, const char *reason, const char *field, const char *fmt, ...)
    SLU_PRINTF(4, 5);
static void cause(struct slu_err *e, const char *reason, const char *field, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    slu_err_add_cause(e, reason, field, msg);
}

static void required(struct slu_err *e, const char *field)
{
    slu_err_add_cause(e, "FieldValueRequired", field, "Required value");
}

/* ---------------------------------------------------------------- metadata */

static const char *const subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char *const label_msg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char *const dns1035_msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

static bool is_dns1035(const char *s)
{
    if (!kube_is_dns1123_label(s))
        return false;
    return s[0] >= 'a' && s[0] <= 'z';
}

static void check_name(const struct sim_rtype *rt, const char *name, const char *field,
                       struct slu_err *e)
{
    bool core = !*rt->group;
    if (core && slu_streq(rt->plural, "namespaces")) {
        if (!kube_is_dns1123_label(name))
            cause(e, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", name, label_msg);
    } else if (core && slu_streq(rt->plural, "services")) {
        if (!is_dns1035(name))
            cause(e, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", name, dns1035_msg);
    } else if (!kube_is_dns1123_subdomain(name)) {
        if (strlen(name) > 253)
            cause(e, "FieldValueInvalid", field,
                  "Invalid value: \"%.40s...\": must be no more than 253 characters", name);
        else
            cause(e, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", name, subdomain_msg);
    }
}

int sim_validate_meta(const struct sim_rtype *rt, const json_t *obj, bool creating,
                      struct slu_err *err)
{
    size_t before = err ? err->ncauses : 0;
    const json_t *m = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *gen = json_string_value(json_object_get(m, "generateName"));
    if (!name || !*name) {
        if (creating && (!gen || !*gen))
            cause(err, "FieldValueRequired", "metadata.name",
                  "Required value: name or generateName is required");
    } else {
        check_name(rt, name, "metadata.name", err);
    }
    const json_t *labels = json_object_get(m, "labels");
    if (labels && !json_is_object(labels) && !json_is_null(labels))
        cause(err, "FieldValueInvalid", "metadata.labels", "Invalid value: must be an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)labels, k, v)
    {
        const char *why = kube_label_key_invalid(k);
        if (why)
            cause(err, "FieldValueInvalid", "metadata.labels", "Invalid value: \"%s\": %s", k, why);
        if (!json_is_string(v)) {
            cause(err, "FieldValueInvalid", "metadata.labels", "Invalid value: label %s: %s", k,
                  "must be a string");
            continue;
        }
        why = kube_label_value_invalid(json_string_value(v));
        if (why)
            cause(err, "FieldValueInvalid", "metadata.labels", "Invalid value: \"%s\": %s",
                  json_string_value(v), why);
    }
    const json_t *ann = json_object_get(m, "annotations");
    size_t total = 0;
    json_object_foreach((json_t *)ann, k, v)
    {
        const char *why = kube_label_key_invalid(k);
        if (why)
            cause(err, "FieldValueInvalid", "metadata.annotations", "Invalid value: \"%s\": %s", k,
                  why);
        total += strlen(k);
        if (json_is_string(v))
            total += json_string_length(v);
        else if (!json_is_null(v))
            cause(err, "FieldValueInvalid", "metadata.annotations",
                  "Invalid value: annotation %s: must be a string", k);
    }
    if (total > 262144)
        cause(err, "FieldValueTooLong", "metadata.annotations",
              "Too long: must have at most 262144 bytes");
    const json_t *fin = json_object_get(m, "finalizers");
    size_t i;
    json_array_foreach(fin, i, v)
    {
        const char *f = json_string_value(v);
        char field[64];
        snprintf(field, sizeof field, "metadata.finalizers[%zu]", i);
        if (!f || kube_label_key_invalid(f))
            cause(err, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", f ? f : "",
                  f ? kube_label_key_invalid(f) : "must be a string");
    }
    const json_t *refs = json_object_get(m, "ownerReferences");
    int controllers = 0;
    json_array_foreach(refs, i, v)
    {
        static const char *const req[] = {"apiVersion", "kind", "name", "uid"};
        for (size_t j = 0; j < SLU_ARRAY_LEN(req); j++) {
            const char *s = json_string_value(json_object_get(v, req[j]));
            if (!s || !*s) {
                char field[96];
                snprintf(field, sizeof field, "metadata.ownerReferences[%zu].%s", i, req[j]);
                required(err, field);
            }
        }
        if (json_is_true(json_object_get(v, "controller")))
            controllers++;
    }
    if (controllers > 1)
        cause(err, "FieldValueInvalid", "metadata.ownerReferences",
              "Invalid value: only one reference can have Controller set to true");
    return (err ? err->ncauses : 0) > before ? SLU_EINVAL : 0;
}

/* ---------------------------------------------------------------- known fields */

static const char *const meta_keys[] = {"name",
                                        "generateName",
                                        "namespace",
                                        "selfLink",
                                        "uid",
                                        "resourceVersion",
                                        "generation",
                                        "creationTimestamp",
                                        "deletionTimestamp",
                                        "deletionGracePeriodSeconds",
                                        "labels",
                                        "annotations",
                                        "ownerReferences",
                                        "finalizers",
                                        "managedFields",
                                        NULL};
static const char *const top_common[] = {"apiVersion", "kind", "metadata", NULL};
static const char *const top_spec_status[] = {"spec", "status", NULL};
static const char *const top_role[] = {"rules", "aggregationRule", NULL};
static const char *const top_binding[] = {"roleRef", "subjects", NULL};
static const char *const top_cm[] = {"data", "binaryData", "immutable", NULL};
static const char *const top_secret[] = {"data", "stringData", "type", "immutable", NULL};
static const char *const top_sa[] = {"secrets", "imagePullSecrets", "automountServiceAccountToken",
                                     NULL};
static const char *const top_event[] = {"involvedObject",
                                        "reason",
                                        "message",
                                        "source",
                                        "firstTimestamp",
                                        "lastTimestamp",
                                        "count",
                                        "type",
                                        "eventTime",
                                        "series",
                                        "action",
                                        "related",
                                        "reportingComponent",
                                        "reportingInstance",
                                        NULL};
static const char *const top_event2[] = {"eventTime",
                                         "series",
                                         "reportingController",
                                         "reportingInstance",
                                         "action",
                                         "reason",
                                         "regarding",
                                         "related",
                                         "note",
                                         "type",
                                         "deprecatedSource",
                                         "deprecatedFirstTimestamp",
                                         "deprecatedLastTimestamp",
                                         "deprecatedCount",
                                         NULL};
static const char *const top_lease[] = {"spec", NULL};
static const char *const top_pc[] = {"value", "globalDefault", "description", "preemptionPolicy",
                                     NULL};
static const char *const pod_spec_keys[] = {"volumes",
                                            "initContainers",
                                            "containers",
                                            "ephemeralContainers",
                                            "restartPolicy",
                                            "terminationGracePeriodSeconds",
                                            "activeDeadlineSeconds",
                                            "dnsPolicy",
                                            "nodeSelector",
                                            "serviceAccountName",
                                            "serviceAccount",
                                            "automountServiceAccountToken",
                                            "nodeName",
                                            "hostNetwork",
                                            "hostPID",
                                            "hostIPC",
                                            "shareProcessNamespace",
                                            "securityContext",
                                            "imagePullSecrets",
                                            "hostname",
                                            "subdomain",
                                            "affinity",
                                            "schedulerName",
                                            "tolerations",
                                            "hostAliases",
                                            "priorityClassName",
                                            "priority",
                                            "dnsConfig",
                                            "readinessGates",
                                            "runtimeClassName",
                                            "enableServiceLinks",
                                            "preemptionPolicy",
                                            "overhead",
                                            "topologySpreadConstraints",
                                            "setHostnameAsFQDN",
                                            "os",
                                            "hostUsers",
                                            "schedulingGates",
                                            "resourceClaims",
                                            "resources",
                                            NULL};
static const char *const container_keys[] = {"name",
                                             "image",
                                             "command",
                                             "args",
                                             "workingDir",
                                             "ports",
                                             "envFrom",
                                             "env",
                                             "resources",
                                             "resizePolicy",
                                             "restartPolicy",
                                             "volumeMounts",
                                             "volumeDevices",
                                             "livenessProbe",
                                             "readinessProbe",
                                             "startupProbe",
                                             "lifecycle",
                                             "terminationMessagePath",
                                             "terminationMessagePolicy",
                                             "imagePullPolicy",
                                             "securityContext",
                                             "stdin",
                                             "stdinOnce",
                                             "tty",
                                             NULL};

static bool in_list(const char *const *l, const char *k)
{
    for (; l && *l; l++)
        if (strcmp(*l, k) == 0)
            return true;
    return false;
}

/* Checks the keys of obj against allowed lists (a and b); reports "prefix.key". */
static size_t unknown_keys(json_t *obj, const char *prefix, const char *const *a,
                           const char *const *b, bool prune, struct slu_buf *out)
{
    if (!json_is_object(obj))
        return 0;
    size_t n = 0;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        if (in_list(a, k) || in_list(b, k))
            continue;
        if (out->len)
            slu_buf_putc(out, '\n');
        slu_buf_printf(out, "unknown field \"%s%s%s\"", prefix ? prefix : "", prefix ? "." : "", k);
        n++;
        if (prune)
            json_object_del(obj, k);
    }
    return n;
}

size_t sim_meta_unknown_fields(json_t *obj, bool prune, struct slu_buf *out)
{
    return unknown_keys(json_object_get(obj, "metadata"), "metadata", meta_keys, NULL, prune, out);
}

static const char *const *top_keys(const struct sim_rtype *rt)
{
    const char *g = rt->group, *p = rt->plural;
    if (!*g) {
        if (!strcmp(p, "configmaps"))
            return top_cm;
        if (!strcmp(p, "secrets"))
            return top_secret;
        if (!strcmp(p, "serviceaccounts"))
            return top_sa;
        if (!strcmp(p, "events"))
            return top_event;
        return top_spec_status;
    }
    if (!strcmp(g, "events.k8s.io"))
        return top_event2;
    if (!strcmp(g, "coordination.k8s.io"))
        return top_lease;
    if (!strcmp(g, "scheduling.k8s.io"))
        return top_pc;
    if (!strcmp(g, "rbac.authorization.k8s.io"))
        return strstr(p, "bindings") ? top_binding : top_role;
    return top_spec_status;
}

size_t sim_builtin_unknown_fields(const struct sim_rtype *rt, json_t *obj, bool prune,
                                  struct slu_buf *out)
{
    size_t n = unknown_keys(obj, NULL, top_common, top_keys(rt), prune, out);
    n += sim_meta_unknown_fields(obj, prune, out);
    if (!*rt->group && !strcmp(rt->plural, "pods")) {
        json_t *spec = json_object_get(obj, "spec");
        n += unknown_keys(spec, "spec", pod_spec_keys, NULL, prune, out);
        static const char *const lists[] = {"containers", "initContainers"};
        for (size_t l = 0; l < 2; l++) {
            json_t *cs = json_object_get(spec, lists[l]);
            size_t i;
            json_t *c;
            json_array_foreach(cs, i, c)
            {
                char prefix[64];
                snprintf(prefix, sizeof prefix, "spec.%s[%zu]", lists[l], i);
                n += unknown_keys(c, prefix, container_keys, NULL, prune, out);
            }
        }
    }
    return n;
}

/* ---------------------------------------------------------------- per-kind defaults */

static json_t *obj_at(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

static void dflt_str(json_t *o, const char *key, const char *v)
{
    const char *cur = json_string_value(json_object_get(o, key));
    if (!cur || !*cur)
        json_object_set_new(o, key, json_string(v));
}

static void dflt_int(json_t *o, const char *key, int64_t v)
{
    if (!json_is_integer(json_object_get(o, key)))
        json_object_set_new(o, key, json_integer(v));
}

static void dflt_bool(json_t *o, const char *key, bool v)
{
    if (!json_is_boolean(json_object_get(o, key)))
        json_object_set_new(o, key, json_boolean(v));
}

static void check_quantities(const json_t *res, const char *field, struct slu_err *e)
{
    static const char *const kinds[] = {"requests", "limits"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *m = json_object_get(res, kinds[i]);
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)m, k, v)
        {
            struct kube_quantity q;
            struct slu_err qe = {0};
            if (kube_quantity_from_json(v, &q, &qe) != 0) {
                char f[256];
                snprintf(f, sizeof f, "%s.%s[%s]", field, kinds[i], k);
                cause(e, "FieldValueInvalid", f,
                      "Invalid value: %s: quantities must match the "
                      "regular expression "
                      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                      json_is_string(v) ? json_string_value(v) : "(non-string)");
            }
            slu_err_release(&qe);
        }
    }
}

static void container_defaults(json_t *c, const char *field, struct slu_err *e)
{
    char f[200];
    const char *name = json_string_value(json_object_get(c, "name"));
    if (!name || !*name) {
        snprintf(f, sizeof f, "%s.name", field);
        required(e, f);
    } else if (!kube_is_dns1123_label(name)) {
        snprintf(f, sizeof f, "%s.name", field);
        cause(e, "FieldValueInvalid", f, "Invalid value: \"%s\": %s", name, label_msg);
    }
    const char *image = json_string_value(json_object_get(c, "image"));
    if (!image || !*image) {
        snprintf(f, sizeof f, "%s.image", field);
        required(e, f);
    }
    dflt_str(c, "terminationMessagePath", "/dev/termination-log");
    dflt_str(c, "terminationMessagePolicy", "File");
    if (image && *image) {
        const char *slash = strrchr(image, '/');
        const char *tagpart = slash ? slash : image;
        const char *colon = strchr(tagpart, ':');
        bool latest = !strchr(image, '@') && (!colon || !strcmp(colon, ":latest"));
        dflt_str(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");
    }
    json_t *res = obj_at(c, "resources");
    snprintf(f, sizeof f, "%s.resources", field);
    check_quantities(res, f, e);
    /* requests default to limits */
    json_t *lim = json_object_get(res, "limits");
    if (json_is_object(lim) && json_object_size(lim) > 0) {
        json_t *req = obj_at(res, "requests");
        const char *k;
        json_t *v;
        json_object_foreach(lim, k, v)
        {
            if (!json_object_get(req, k))
                json_object_set(req, k, v);
        }
    }
    json_t *ports = json_object_get(c, "ports");
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        dflt_str(p, "protocol", "TCP");
        if (!json_is_integer(json_object_get(p, "containerPort"))) {
            snprintf(f, sizeof f, "%s.ports[%zu].containerPort", field, i);
            required(e, f);
        }
    }
}

static const char *qos_class(const json_t *spec)
{
    bool any = false, guaranteed = true;
    const json_t *cs = json_object_get(spec, "containers");
    size_t i;
    const json_t *c;
    json_array_foreach(cs, i, c)
    {
        const json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
        const json_t *lim = json_object_get(json_object_get(c, "resources"), "limits");
        if (json_object_size(req) || json_object_size(lim))
            any = true;
        static const char *const r[] = {"cpu", "memory"};
        for (size_t k = 0; k < 2; k++) {
            const json_t *l = json_object_get(lim, r[k]);
            const json_t *q = json_object_get(req, r[k]);
            if (!l || (q && !slu_json_equal(l, q)))
                guaranteed = false;
        }
    }
    if (!any)
        return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
}

static void pod_prepare(json_t *obj, const json_t *old, struct slu_err *e)
{
    json_t *spec = json_object_get(obj, "spec");
    if (!json_is_object(spec)) {
        required(e, "spec.containers");
        return;
    }
    json_t *cs = json_object_get(spec, "containers");
    if (!json_is_array(cs) || json_array_size(cs) == 0)
        required(e, "spec.containers");
    static const char *const lists[] = {"containers", "initContainers"};
    struct slu_map names;
    slu_map_init(&names, NULL);
    for (size_t l = 0; l < 2; l++) {
        json_t *arr = json_object_get(spec, lists[l]);
        size_t i;
        json_t *c;
        json_array_foreach(arr, i, c)
        {
            char f[96];
            snprintf(f, sizeof f, "spec.%s[%zu]", lists[l], i);
            if (!json_is_object(c)) {
                cause(e, "FieldValueInvalid", f, "Invalid value: must be an object");
                continue;
            }
            container_defaults(c, f, e);
            const char *n = json_string_value(json_object_get(c, "name"));
            if (n && *n) {
                if (slu_map_has(&names, n)) {
                    char nf[120];
                    snprintf(nf, sizeof nf, "%s.name", f);
                    cause(e, "FieldValueDuplicate", nf, "Duplicate value: \"%s\"", n);
                }
                slu_map_put(&names, n, (void *)1);
            }
        }
    }
    slu_map_release(&names);
    const char *rp = json_string_value(json_object_get(spec, "restartPolicy"));
    if (rp && *rp && strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never"))
        cause(e, "FieldValueNotSupported", "spec.restartPolicy",
              "Unsupported value: \"%s\": supported values: \"Always\", \"OnFailure\", \"Never\"",
              rp);
    dflt_str(spec, "restartPolicy", "Always");
    dflt_str(spec, "dnsPolicy", "ClusterFirst");
    dflt_str(spec, "schedulerName", "default-scheduler");
    dflt_int(spec, "terminationGracePeriodSeconds", 30);
    const char *sa = json_string_value(json_object_get(spec, "serviceAccountName"));
    const char *sa_old = json_string_value(json_object_get(spec, "serviceAccount"));
    if ((!sa || !*sa) && sa_old && *sa_old)
        json_object_set_new(spec, "serviceAccountName", json_string(sa_old));
    dflt_str(spec, "serviceAccountName", "default");
    json_object_set(spec, "serviceAccount", json_object_get(spec, "serviceAccountName"));
    obj_at(spec, "securityContext");
    dflt_bool(spec, "enableServiceLinks", true);
    dflt_int(spec, "priority", 0);
    dflt_str(spec, "preemptionPolicy", "PreemptLowerPriority");
    json_t *vols = json_object_get(spec, "volumes");
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        if (!json_string_value(json_object_get(v, "name"))) {
            char f[64];
            snprintf(f, sizeof f, "spec.volumes[%zu].name", i);
            required(e, f);
        }
    }
    if (!old) {
        json_t *status = obj_at(obj, "status");
        dflt_str(status, "phase", "Pending");
        json_object_set_new(status, "qosClass", json_string(qos_class(spec)));
    }
}

static atomic_uint next_ip = 1;

static void service_prepare(json_t *obj, const json_t *old, struct slu_err *e)
{
    json_t *spec = obj_at(obj, "spec");
    const char *type = json_string_value(json_object_get(spec, "type"));
    if (type && *type && strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
        strcmp(type, "LoadBalancer") && strcmp(type, "ExternalName"))
        cause(e, "FieldValueNotSupported", "spec.type",
              "Unsupported value: \"%s\": supported values: \"ClusterIP\", \"ExternalName\", "
              "\"LoadBalancer\", \"NodePort\"",
              type);
    dflt_str(spec, "type", "ClusterIP");
    type = json_string_value(json_object_get(spec, "type"));
    dflt_str(spec, "sessionAffinity", "None");
    json_t *ports = json_object_get(spec, "ports");
    if ((!json_is_array(ports) || json_array_size(ports) == 0) && strcmp(type, "ExternalName") &&
        !slu_streq(json_string_value(json_object_get(spec, "clusterIP")), "None"))
        required(e, "spec.ports");
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        dflt_str(p, "protocol", "TCP");
        json_t *port = json_object_get(p, "port");
        if (!json_is_integer(port) || json_integer_value(port) < 1 ||
            json_integer_value(port) > 65535) {
            char f[64];
            snprintf(f, sizeof f, "spec.ports[%zu].port", i);
            if (!port)
                required(e, f);
            else
                cause(e, "FieldValueInvalid", f,
                      "Invalid value: must be between 1 and 65535, inclusive");
        } else if (!json_object_get(p, "targetPort")) {
            json_object_set(p, "targetPort", port);
        }
    }
    const char *ip = json_string_value(json_object_get(spec, "clusterIP"));
    const char *oldip = old ? slu_json_str(old, "spec.clusterIP") : NULL;
    if ((!ip || !*ip) && oldip)
        json_object_set_new(spec, "clusterIP", json_string(oldip));
    else if (old && oldip && ip && strcmp(ip, oldip))
        cause(e, "FieldValueInvalid", "spec.clusterIP", "Invalid value: \"%s\": field is immutable",
              ip);
    ip = json_string_value(json_object_get(spec, "clusterIP"));
    if (strcmp(type, "ExternalName") && (!ip || !*ip)) {
        unsigned n = atomic_fetch_add(&next_ip, 1);
        char b[32];
        snprintf(b, sizeof b, "10.96.%u.%u", (n >> 8) & 0xff, n & 0xff);
        json_object_set_new(spec, "clusterIP", json_string(b));
        ip = json_string_value(json_object_get(spec, "clusterIP"));
    }
    if (ip && !json_object_get(spec, "clusterIPs"))
        json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
    if (strcmp(type, "ExternalName")) {
        if (!json_object_get(spec, "ipFamilies"))
            json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
        dflt_str(spec, "ipFamilyPolicy", "SingleStack");
        dflt_str(spec, "internalTrafficPolicy", "Cluster");
    }
    if (!old) {
        json_t *st = obj_at(obj, "status");
        obj_at(st, "loadBalancer");
    }
}

static void namespace_prepare(json_t *obj, const json_t *old)
{
    json_t *m = obj_at(obj, "metadata");
    const char *name = json_string_value(json_object_get(m, "name"));
    if (name && kube_is_dns1123_label(name)) {
        json_t *labels = obj_at(m, "labels");
        json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
    }
    json_t *spec = obj_at(obj, "spec");
    if (!json_object_get(spec, "finalizers"))
        json_object_set_new(spec, "finalizers", json_pack("[s]", "kubernetes"));
    if (!old) {
        json_t *status = obj_at(obj, "status");
        json_object_set_new(status, "phase", json_string("Active"));
    }
}

static const char *const cm_key_msg =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')";

static bool is_config_key(const char *k)
{
    if (!*k || strlen(k) > 253 || !strcmp(k, ".") || !strcmp(k, ".."))
        return false;
    for (const char *p = k; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void data_keys(const json_t *data, const char *field, struct slu_err *e)
{
    if (data && !json_is_null(data) && !json_is_object(data)) {
        cause(e, "FieldValueTypeInvalid", field, "Invalid value: must be a map of strings");
        return;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        if (!is_config_key(k))
            cause(e, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", k, cm_key_msg);
        else if (!json_is_string(v) && !json_is_null(v))
            cause(e, "FieldValueTypeInvalid", field, "Invalid value: \"%s\": must be a string", k);
    }
}

static void immutable_check(const json_t *obj, const json_t *old, struct slu_err *e)
{
    if (!old || !json_is_true(json_object_get(old, "immutable")))
        return;
    static const char *const keys[] = {"data", "binaryData", "immutable"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *a = json_object_get(obj, keys[i]), *b = json_object_get(old, keys[i]);
        if ((a || b) && !(a && b && slu_json_equal(a, b))) {
            cause(e, "FieldValueForbidden", keys[i],
                  "Forbidden: field is immutable when `immutable` is set");
            return;
        }
    }
}

static void secret_prepare(json_t *obj, const json_t *old, struct slu_err *e)
{
    dflt_str(obj, "type", "Opaque");
    json_t *sd = json_object_get(obj, "stringData");
    if (json_is_object(sd)) {
        json_t *data = obj_at(obj, "data");
        const char *k;
        json_t *v;
        json_object_foreach(sd, k, v)
        {
            const char *s = json_string_value(v);
            if (!s)
                continue;
            char *b64 = slu_base64_encode(s, strlen(s));
            json_object_set_new(data, k, json_string(b64));
            free(b64);
        }
        json_object_del(obj, "stringData");
    }
    const json_t *data = json_object_get(obj, "data");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        size_t n = 0;
        unsigned char *dec = json_is_string(v) ? slu_base64_decode(json_string_value(v), &n) : NULL;
        if (!dec && !(json_is_string(v) && json_string_length(v) == 0)) {
            char f[300];
            snprintf(f, sizeof f, "data[%s]", k);
            cause(e, "FieldValueInvalid", f, "Invalid value: illegal base64 data");
        }
        free(dec);
    }
    data_keys(data, "data", e);
    immutable_check(obj, old, e);
}

static void pvc_prepare(json_t *obj, const json_t *old, struct slu_err *e)
{
    json_t *spec = obj_at(obj, "spec");
    const json_t *am = json_object_get(spec, "accessModes");
    if (!json_is_array(am) || json_array_size(am) == 0)
        required(e, "spec.accessModes");
    if (!slu_json_path(spec, "resources.requests.storage"))
        required(e, "spec.resources[storage]");
    dflt_str(spec, "volumeMode", "Filesystem");
    if (!old)
        dflt_str(obj_at(obj, "status"), "phase", "Pending");
}

static void pc_prepare(json_t *obj, struct slu_err *e)
{
    if (!json_is_integer(json_object_get(obj, "value")))
        required(e, "value");
    dflt_str(obj, "preemptionPolicy", "PreemptLowerPriority");
}

static void pdb_prepare(json_t *obj, struct slu_err *e)
{
    json_t *spec = obj_at(obj, "spec");
    if (json_object_get(spec, "minAvailable") && json_object_get(spec, "maxUnavailable"))
        cause(e, "FieldValueInvalid", "spec",
              "Invalid value: minAvailable and maxUnavailable cannot be both set");
}

int sim_builtin_prepare(const struct sim_rtype *rt, json_t *obj, const json_t *old,
                        struct slu_err *err)
{
    size_t before = err ? err->ncauses : 0;
    const char *g = rt->group, *p = rt->plural;
    if (!*g) {
        if (!strcmp(p, "pods"))
            pod_prepare(obj, old, err);
        else if (!strcmp(p, "services"))
            service_prepare(obj, old, err);
        else if (!strcmp(p, "namespaces"))
            namespace_prepare(obj, old);
        else if (!strcmp(p, "secrets"))
            secret_prepare(obj, old, err);
        else if (!strcmp(p, "configmaps")) {
            data_keys(json_object_get(obj, "data"), "data", err);
            data_keys(json_object_get(obj, "binaryData"), "binaryData", err);
            immutable_check(obj, old, err);
        } else if (!strcmp(p, "persistentvolumeclaims"))
            pvc_prepare(obj, old, err);
    } else if (!strcmp(g, "scheduling.k8s.io")) {
        pc_prepare(obj, err);
    } else if (!strcmp(g, "policy")) {
        pdb_prepare(obj, err);
    } else if (!strcmp(g, "networking.k8s.io")) {
        if (!old)
            obj_at(obj_at(obj, "status"), "loadBalancer");
    }
    return (err ? err->ncauses : 0) > before ? SLU_EINVAL : 0;
}

static const char *const pod_update_msg =
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)";

int sim_builtin_check_update(const struct sim_rtype *rt, const json_t *obj, const json_t *old,
                             struct slu_err *err)
{
    if (*rt->group || strcmp(rt->plural, "pods"))
        return 0;
    size_t before = err ? err->ncauses : 0;
    json_t *a = slu_json_copy(json_object_get(obj, "spec"));
    json_t *b = slu_json_copy(json_object_get(old, "spec"));
    if (!a)
        a = json_object();
    if (!b)
        b = json_object();
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        json_t *ca = json_object_get(a, lists[l]), *cb = json_object_get(b, lists[l]);
        for (size_t i = 0; i < json_array_size(ca) && i < json_array_size(cb); i++) {
            json_t *img = json_object_get(json_array_get(cb, i), "image");
            if (img)
                json_object_set(json_array_get(ca, i), "image", img);
        }
    }
    static const char *const free_keys[] = {"activeDeadlineSeconds", "tolerations",
                                            "schedulingGates"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(free_keys); i++) {
        json_object_del(a, free_keys[i]);
        json_object_del(b, free_keys[i]);
    }
    if (!slu_json_equal(a, b))
        slu_err_add_cause(err, "FieldValueForbidden", "spec", pod_update_msg);
    json_decref(a);
    json_decref(b);
    /* scheduling gates may only be removed */
    const json_t *ng = slu_json_path(obj, "spec.schedulingGates");
    const json_t *og = slu_json_path(old, "spec.schedulingGates");
    size_t i;
    const json_t *gate;
    json_array_foreach(ng, i, gate)
    {
        const char *n = json_string_value(json_object_get(gate, "name"));
        bool found = false;
        size_t j;
        const json_t *o;
        json_array_foreach(og, j, o)
        {
            if (slu_streq(n, json_string_value(json_object_get(o, "name"))))
                found = true;
        }
        if (!found) {
            cause(err, "FieldValueForbidden", "spec.schedulingGates",
                  "Forbidden: only deletion is allowed, but found new scheduling gate '%s'",
                  n ? n : "");
        }
    }
    return (err ? err->ncauses : 0) > before ? SLU_EINVAL : 0;
}
