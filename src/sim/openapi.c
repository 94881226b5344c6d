/*
 * openapi.c - the /openapi/v3 and /openapi/v2 documents that kubectl downloads before `apply`,
 * `create -f`, `explain` and field validation.
 *
 * How it works: everything is generated from the list of served types (sim_store_types), by
 * functions that take a plain array of sim_rtype so tests need no store. Per kind we emit
 *  - paths: collection (get=list, post), item (get, put, patch, delete), /status for types with a
 *    status subresource; every write carries query parameters dryRun, fieldManager and
 *    fieldValidation inline (kubectl's QueryParamVerifierV3 looks for exactly "fieldValidation"
 *    on the PATCH operation whose x-kubernetes-group-version-kind matches), and the operation's
 *    x-kubernetes-group-version-kind is a single {group, kind, version} object;
 *  - components.schemas (v2: definitions): the kind's schema with x-kubernetes-group-version-kind
 *    as an array (how kubectl explain and apply find it), a List schema, and the meta/v1 schemas
 *    they reference (ObjectMeta, ListMeta, Status, Patch, DeleteOptions). CRDs carry their
 *    openAPIV3Schema with apiVersion/kind/metadata filled in; built-in kinds carry small permissive
 *    schemas with the strategic-merge metadata (x-kubernetes-patch-merge-key/-strategy) of the
 *    lists kubectl merges by key (containers, env, ports, volumeMounts, volumes, ...).
 * Patch operations advertise JSON patch, merge patch and apply patch but not strategic merge
 * patch: with the small built-in schemas kubectl would otherwise compute strategic patches from an
 * incomplete schema ("unable to find api field"); without it, kubectl apply falls back to its own
 * compiled-in types for built-in kinds, which is exact (the sim still accepts strategic merge
 * patches). The v3 root's ?hash= is an FNV-1a digest over each group-version's kinds and
 * (canonically dumped) schemas, so it changes whenever a CRD changes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/parts.h"

/* Exposed for tests only (tests/unit/sim/test_openapi.c). types: borrowed array of n types. */
json_t *sim__openapi_v3_root_from(const struct sim_rtype *const *types, size_t n);
json_t *sim__openapi_v3_gv_from(const struct sim_rtype *const *types, size_t n, const char *group,
                                const char *version);
json_t *sim__openapi_v2_from(const struct sim_rtype *const *types, size_t n);

#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

/* ---------------------------------------------------------------- names */

static char *gv_key(const char *group, const char *version)
{
    return group && *group ? slu_asprintf("apis/%s/%s", group, version)
                           : slu_asprintf("api/%s", version);
}

/* Definition name: io.k8s.api.core.v1.Pod, reversed group for CRDs
 * (sparkoperator.k8s.io -> io.k8s.sparkoperator.v1beta2.SparkApplication). */
static char *def_name(const struct sim_rtype *rt, const char *kind)
{
    const char *g = rt->group ? rt->group : "";
    if (!*g)
        return slu_asprintf("io.k8s.api.core.%s.%s", rt->version, kind);
    if (!rt->is_crd) {
        if (strcmp(g, "apiextensions.k8s.io") == 0)
            return slu_asprintf("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.%s.%s",
                                rt->version, kind);
        char *short_g = slu_strdup(g);
        if (slu_str_has_suffix(short_g, ".k8s.io"))
            short_g[strlen(short_g) - strlen(".k8s.io")] = '\0';
        char *out = slu_asprintf("io.k8s.api.%s.%s.%s", short_g, rt->version, kind);
        free(short_g);
        return out;
    }
    size_t n = 0;
    char **parts = slu_str_split(g, '.', false, &n);
    struct slu_buf b = {0};
    for (size_t i = n; i-- > 0;) {
        slu_buf_puts(&b, parts[i]);
        slu_buf_putc(&b, '.');
    }
    slu_strv_free(parts);
    slu_buf_printf(&b, "%s.%s", rt->version, kind);
    return slu_buf_steal(&b);
}

/* "CoreV1", "SparkoperatorK8sIoV1beta2" style operation-id prefix. */
static char *op_prefix(const struct sim_rtype *rt)
{
    struct slu_buf b = {0};
    const char *g = rt->group && *rt->group ? rt->group : "core";
    bool up = true;
    for (const char *p = g; *p; p++) {
        if (*p == '.' || *p == '-') {
            up = true;
            continue;
        }
        slu_buf_putc(&b, up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p);
        up = false;
    }
    const char *v = rt->version;
    slu_buf_putc(&b, v[0] >= 'a' && v[0] <= 'z' ? (char)(v[0] - 32) : v[0]);
    slu_buf_puts(&b, v + 1);
    return slu_buf_steal(&b);
}

static json_t *gvk_obj(const struct sim_rtype *rt, const char *kind)
{
    json_t *o = json_object();
    json_object_set_new(o, "group", json_string(rt->group ? rt->group : ""));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "version", json_string(rt->version));
    return o;
}

static json_t *gvk_arr(const struct sim_rtype *rt, const char *kind)
{
    json_t *a = json_array();
    json_array_append_new(a, gvk_obj(rt, kind));
    return a;
}

/* ---------------------------------------------------------------- schema builders */

static json_t *s_type(const char *t)
{
    return json_pack("{s:s}", "type", t);
}

static json_t *s_ref(const char *prefix, const char *name)
{
    char *r = slu_asprintf("%s%s", prefix, name);
    json_t *o = json_pack("{s:s}", "$ref", r);
    free(r);
    return o;
}

static json_t *s_strmap(void)
{
    return json_pack("{s:s, s:{s:s}}", "type", "object", "additionalProperties", "type", "string");
}

static json_t *s_open(void)
{
    return json_pack("{s:s, s:b}", "type", "object", "x-kubernetes-preserve-unknown-fields", 1);
}

static json_t *s_strarr(void)
{
    return json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
}

/* A list merged by key (strategic merge) and typed as a list-map. items taken. */
static json_t *s_keyed(json_t *items, const char *key, const char *key2)
{
    json_t *keys = json_array();
    json_array_append_new(keys, json_string(key));
    if (key2)
        json_array_append_new(keys, json_string(key2));
    return json_pack("{s:s, s:o, s:s, s:s, s:s, s:o}", "type", "array", "items", items,
                     "x-kubernetes-patch-merge-key", key, "x-kubernetes-patch-strategy", "merge",
                     "x-kubernetes-list-type", "map", "x-kubernetes-list-map-keys", keys);
}

/* An object schema with properties (taken) that also keeps unknown fields. */
static json_t *s_obj(json_t *props)
{
    return json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
                     "x-kubernetes-preserve-unknown-fields", 1);
}

static json_t *object_meta(const char *prefix)
{
    json_t *owner = json_pack(
        "{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
        "s:{s:s}}}",
        "type", "object", "required", "apiVersion", "kind", "name", "uid", "properties",
        "apiVersion", "type", "string", "kind", "type", "string", "name", "type", "string", "uid",
        "type", "string", "controller", "type", "boolean", "blockOwnerDeletion", "type", "boolean");
    json_t *props = json_object();
    static const char *const strs[] = {"name", "generateName",    "namespace",
                                       "uid",  "resourceVersion", "selfLink"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++)
        json_object_set_new(props, strs[i], s_type("string"));
    json_object_set_new(props, "generation",
                        json_pack("{s:s, s:s}", "type", "integer", "format", "int64"));
    json_object_set_new(props, "deletionGracePeriodSeconds",
                        json_pack("{s:s, s:s}", "type", "integer", "format", "int64"));
    json_object_set_new(props, "creationTimestamp",
                        json_pack("{s:s, s:s}", "type", "string", "format", "date-time"));
    json_object_set_new(props, "deletionTimestamp",
                        json_pack("{s:s, s:s}", "type", "string", "format", "date-time"));
    json_object_set_new(props, "labels", s_strmap());
    json_object_set_new(props, "annotations", s_strmap());
    json_object_set_new(props, "ownerReferences", s_keyed(owner, "uid", NULL));
    json_object_set_new(props, "finalizers",
                        json_pack("{s:s, s:{s:s}, s:s, s:s}", "type", "array", "items", "type",
                                  "string", "x-kubernetes-patch-strategy", "merge",
                                  "x-kubernetes-list-type", "set"));
    json_object_set_new(props, "managedFields",
                        json_pack("{s:s, s:o, s:s}", "type", "array", "items", s_open(),
                                  "x-kubernetes-list-type", "atomic"));
    (void)prefix;
    return json_pack("{s:s, s:s, s:o}", "description",
                     "ObjectMeta is metadata that all persisted resources must have, which "
                     "includes all objects users must create.",
                     "type", "object", "properties", props);
}

static json_t *container_schema(void)
{
    json_t *env = json_pack("{s:s, s:[s], s:{s:{s:s}, s:{s:s}, s:o}}", "type", "object", "required",
                            "name", "properties", "name", "type", "string", "value", "type",
                            "string", "valueFrom", s_open());
    json_t *port =
        json_pack("{s:s, s:[s], s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}}}", "type", "object", "required",
                  "containerPort", "properties", "containerPort", "type", "integer", "format",
                  "int32", "name", "type", "string", "protocol", "type", "string");
    json_t *mount = json_pack("{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "type",
                              "object", "required", "name", "mountPath", "properties", "name",
                              "type", "string", "mountPath", "type", "string", "subPath", "type",
                              "string", "readOnly", "type", "boolean");
    json_t *props = json_object();
    json_object_set_new(props, "name", s_type("string"));
    json_object_set_new(props, "image", s_type("string"));
    json_object_set_new(props, "imagePullPolicy", s_type("string"));
    json_object_set_new(props, "command", s_strarr());
    json_object_set_new(props, "args", s_strarr());
    json_object_set_new(props, "workingDir", s_type("string"));
    json_object_set_new(props, "env", s_keyed(env, "name", NULL));
    json_object_set_new(props, "envFrom",
                        json_pack("{s:s, s:o}", "type", "array", "items", s_open()));
    json_object_set_new(props, "ports", s_keyed(port, "containerPort", "protocol"));
    json_object_set_new(props, "volumeMounts", s_keyed(mount, "mountPath", NULL));
    json_object_set_new(props, "resources", s_open());
    json_object_set_new(props, "securityContext", s_open());
    json_object_set_new(props, "livenessProbe", s_open());
    json_object_set_new(props, "readinessProbe", s_open());
    json_t *c = s_obj(props);
    json_object_set_new(c, "required", json_pack("[s]", "name"));
    return c;
}

static json_t *pod_spec_schema(void)
{
    json_t *vol = json_pack("{s:s, s:[s], s:{s:{s:s}}, s:b}", "type", "object", "required", "name",
                            "properties", "name", "type", "string",
                            "x-kubernetes-preserve-unknown-fields", 1);
    json_t *props = json_object();
    json_object_set_new(props, "containers", s_keyed(container_schema(), "name", NULL));
    json_object_set_new(props, "initContainers", s_keyed(container_schema(), "name", NULL));
    json_object_set_new(props, "volumes", s_keyed(vol, "name", NULL));
    json_object_set_new(props, "imagePullSecrets",
                        s_keyed(json_pack("{s:s, s:{s:{s:s}}}", "type", "object", "properties",
                                          "name", "type", "string"),
                                "name", NULL));
    json_object_set_new(props, "nodeSelector", s_strmap());
    json_object_set_new(props, "tolerations",
                        json_pack("{s:s, s:o, s:s}", "type", "array", "items", s_open(),
                                  "x-kubernetes-list-type", "atomic"));
    json_object_set_new(props, "affinity", s_open());
    static const char *const strs[] = {"restartPolicy",   "serviceAccountName", "serviceAccount",
                                       "schedulerName",   "nodeName",           "priorityClassName",
                                       "hostname",        "subdomain",          "dnsPolicy",
                                       "preemptionPolicy"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++)
        json_object_set_new(props, strs[i], s_type("string"));
    json_object_set_new(props, "terminationGracePeriodSeconds",
                        json_pack("{s:s, s:s}", "type", "integer", "format", "int64"));
    json_object_set_new(props, "priority",
                        json_pack("{s:s, s:s}", "type", "integer", "format", "int32"));
    json_object_set_new(props, "schedulingGates",
                        s_keyed(json_pack("{s:s, s:[s], s:{s:{s:s}}}", "type", "object", "required",
                                          "name", "properties", "name", "type", "string"),
                                "name", NULL));
    json_object_set_new(props, "securityContext", s_open());
    return s_obj(props);
}

/* The schema of a built-in kind (small, permissive, with strategic-merge metadata). */
static json_t *builtin_schema(const struct sim_rtype *rt, const char *prefix)
{
    json_t *props = json_object();
    json_object_set_new(props, "apiVersion", s_type("string"));
    json_object_set_new(props, "kind", s_type("string"));
    json_object_set_new(props, "metadata", s_ref(prefix, META "ObjectMeta"));
    const char *g = rt->group ? rt->group : "";
    const char *k = rt->kind;
    if (!*g && strcmp(k, "Pod") == 0) {
        json_object_set_new(props, "spec", pod_spec_schema());
        json_object_set_new(props, "status", s_open());
    } else if (!*g && strcmp(k, "ConfigMap") == 0) {
        json_object_set_new(props, "data", s_strmap());
        json_object_set_new(props, "binaryData",
                            json_pack("{s:s, s:{s:s, s:s}}", "type", "object",
                                      "additionalProperties", "type", "string", "format", "byte"));
        json_object_set_new(props, "immutable", s_type("boolean"));
    } else if (!*g && strcmp(k, "Secret") == 0) {
        json_object_set_new(props, "data",
                            json_pack("{s:s, s:{s:s, s:s}}", "type", "object",
                                      "additionalProperties", "type", "string", "format", "byte"));
        json_object_set_new(props, "stringData", s_strmap());
        json_object_set_new(props, "type", s_type("string"));
        json_object_set_new(props, "immutable", s_type("boolean"));
    } else if (!*g && strcmp(k, "Service") == 0) {
        json_t *port = json_pack("{s:s, s:[s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:b}, "
                                 "s:{s:s, s:s}}}",
                                 "type", "object", "required", "port", "properties", "name", "type",
                                 "string", "protocol", "type", "string", "port", "type", "integer",
                                 "format", "int32", "targetPort", "x-kubernetes-int-or-string", 1,
                                 "nodePort", "type", "integer", "format", "int32");
        json_t *sp = json_object();
        json_object_set_new(sp, "ports", s_keyed(port, "port", "protocol"));
        json_object_set_new(sp, "selector", s_strmap());
        json_object_set_new(sp, "type", s_type("string"));
        json_object_set_new(sp, "clusterIP", s_type("string"));
        json_object_set_new(sp, "externalName", s_type("string"));
        json_object_set_new(props, "spec", s_obj(sp));
        json_object_set_new(props, "status", s_open());
    } else if (!*g && strcmp(k, "ServiceAccount") == 0) {
        json_object_set_new(
            props, "secrets",
            s_keyed(json_pack("{s:s, s:{s:{s:s}}, s:b}", "type", "object", "properties", "name",
                              "type", "string", "x-kubernetes-preserve-unknown-fields", 1),
                    "name", NULL));
        json_object_set_new(props, "imagePullSecrets",
                            json_pack("{s:s, s:o}", "type", "array", "items", s_open()));
        json_object_set_new(props, "automountServiceAccountToken", s_type("boolean"));
    } else if (!*g && strcmp(k, "Event") == 0) {
        static const char *const strs[] = {
            "reason",           "message",   "type",   "firstTimestamp",
            "lastTimestamp",    "eventTime", "action", "reportingComponent",
            "reportingInstance"};
        for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++)
            json_object_set_new(props, strs[i], s_type("string"));
        json_object_set_new(props, "count",
                            json_pack("{s:s, s:s}", "type", "integer", "format", "int32"));
        json_object_set_new(props, "involvedObject", s_open());
        json_object_set_new(props, "source", s_open());
        json_object_set_new(props, "related", s_open());
        json_object_set_new(props, "series", s_open());
    } else if (strcmp(g, "scheduling.k8s.io") == 0 && strcmp(k, "PriorityClass") == 0) {
        json_object_set_new(props, "value",
                            json_pack("{s:s, s:s}", "type", "integer", "format", "int32"));
        json_object_set_new(props, "globalDefault", s_type("boolean"));
        json_object_set_new(props, "description", s_type("string"));
        json_object_set_new(props, "preemptionPolicy", s_type("string"));
    } else if (strcmp(g, "apiextensions.k8s.io") == 0) {
        json_object_set_new(props, "spec", s_open());
        json_object_set_new(props, "status", s_open());
    } else if (strcmp(g, "events.k8s.io") == 0) {
        static const char *const strs[] = {"reason",           "note",   "type",
                                           "eventTime",        "action", "reportingController",
                                           "reportingInstance"};
        for (size_t i = 0; i < SLU_ARRAY_LEN(strs); i++)
            json_object_set_new(props, strs[i], s_type("string"));
        json_object_set_new(props, "regarding", s_open());
        json_object_set_new(props, "related", s_open());
        json_object_set_new(props, "series", s_open());
    } else {
        json_object_set_new(props, "spec", s_open());
        json_object_set_new(props, "status", s_open());
    }
    json_t *s = json_pack("{s:s, s:o}", "type", "object", "properties", props);
    json_object_set_new(s, "x-kubernetes-group-version-kind", gvk_arr(rt, rt->kind));
    return s;
}

/* The schema of a custom resource: its openAPIV3Schema plus apiVersion/kind/metadata. */
static json_t *crd_schema(const struct sim_rtype *rt, const char *prefix, bool v3)
{
    json_t *s = json_is_object(rt->schema) ? slu_json_copy(rt->schema)
                                           : json_pack("{s:s, s:b}", "type", "object",
                                                       "x-kubernetes-preserve-unknown-fields", 1);
    json_t *props = json_object_get(s, "properties");
    if (!json_is_object(props)) {
        props = json_object();
        json_object_set_new(s, "properties", props);
    }
    if (!json_object_get(props, "apiVersion"))
        json_object_set_new(props, "apiVersion", s_type("string"));
    if (!json_object_get(props, "kind"))
        json_object_set_new(props, "kind", s_type("string"));
    json_t *md;
    if (v3) {
        md = json_pack("{s:[o], s:{}}", "allOf", s_ref(prefix, META "ObjectMeta"), "default");
    } else {
        md = s_ref(prefix, META "ObjectMeta");
    }
    json_object_set_new(props, "metadata", md);
    json_object_set_new(s, "x-kubernetes-group-version-kind", gvk_arr(rt, rt->kind));
    return s;
}

static json_t *list_schema(const struct sim_rtype *rt, const char *prefix, const char *item_def)
{
    json_t *s = json_pack("{s:s, s:[s], s:{s:{s:s}, s:{s:s}, s:o, s:{s:s, s:o}}}", "type", "object",
                          "required", "items", "properties", "apiVersion", "type", "string", "kind",
                          "type", "string", "metadata", s_ref(prefix, META "ListMeta"), "items",
                          "type", "array", "items", s_ref(prefix, item_def));
    json_object_set_new(s, "x-kubernetes-group-version-kind", gvk_arr(rt, rt->list_kind));
    return s;
}

static void add_meta_schemas(json_t *schemas, const char *prefix)
{
    if (!json_object_get(schemas, META "ObjectMeta"))
        json_object_set_new(schemas, META "ObjectMeta", object_meta(prefix));
    if (!json_object_get(schemas, META "ListMeta"))
        json_object_set_new(schemas, META "ListMeta",
                            json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s, s:s}}}", "type", "object",
                                      "properties", "resourceVersion", "type", "string", "continue",
                                      "type", "string", "remainingItemCount", "type", "integer",
                                      "format", "int64"));
    if (!json_object_get(schemas, META "Status")) {
        json_t *st =
            json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:o, s:{s:s}, s:{s:s}, s:{s:s}, "
                      "s:{s:s, s:s}, s:o}}",
                      "type", "object", "properties", "apiVersion", "type", "string", "kind",
                      "type", "string", "metadata", s_ref(prefix, META "ListMeta"), "status",
                      "type", "string", "message", "type", "string", "reason", "type", "string",
                      "code", "type", "integer", "format", "int32", "details", s_open());
        json_object_set_new(
            st, "x-kubernetes-group-version-kind",
            json_pack("[{s:s, s:s, s:s}]", "group", "", "kind", "Status", "version", "v1"));
        json_object_set_new(schemas, META "Status", st);
    }
    if (!json_object_get(schemas, META "Patch"))
        json_object_set_new(schemas, META "Patch",
                            json_pack("{s:s, s:s}", "description",
                                      "Patch is provided to give a concrete name and type to the "
                                      "Kubernetes PATCH request body.",
                                      "type", "object"));
    if (!json_object_get(schemas, META "DeleteOptions"))
        json_object_set_new(schemas, META "DeleteOptions",
                            json_pack("{s:s, s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}, s:o}}", "type",
                                      "object", "properties", "gracePeriodSeconds", "type",
                                      "integer", "format", "int64", "propagationPolicy", "type",
                                      "string", "orphanDependents", "type", "boolean", "dryRun",
                                      s_strarr()));
}

/* ---------------------------------------------------------------- operations */

static json_t *q_param(const char *name, const char *desc, bool v3)
{
    if (v3)
        return json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", name, "in", "query",
                         "description", desc, "schema", "type", "string", "uniqueItems", 1);
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", name, "in", "query", "description", desc,
                     "type", "string", "uniqueItems", 1);
}

static const char fv_desc[] =
    "fieldValidation instructs the server on how to handle objects in the request "
    "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This "
    "will ignore any unknown fields that are silently dropped from the object, and will ignore all "
    "but the last duplicate field that the decoder encounters. - Warn: This will send a warning "
    "via the standard warning response header for each unknown field that is dropped from the "
    "object, and for each duplicate field that is encountered. - Strict: This will fail the "
    "request with a BadRequest error if any unknown fields would be dropped from the object, or "
    "if any duplicate fields are present. The error returned from the server will contain all "
    "unknown and duplicate fields encountered.";

static json_t *write_params(bool v3, bool with_force)
{
    json_t *a = json_array();
    json_array_append_new(
        a, q_param("dryRun",
                   "When present, indicates that modifications should not be persisted. Valid "
                   "values are: - All: all dry run stages will be processed",
                   v3));
    json_array_append_new(
        a, q_param("fieldManager",
                   "fieldManager is a name associated with the actor or entity that is making "
                   "these changes.",
                   v3));
    json_array_append_new(a, q_param("fieldValidation", fv_desc, v3));
    if (with_force) {
        json_t *f = v3 ? json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", "force", "in", "query",
                                   "description", "Force is going to \"force\" Apply requests.",
                                   "schema", "type", "boolean", "uniqueItems", 1)
                       : json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", "force", "in", "query",
                                   "description", "Force is going to \"force\" Apply requests.",
                                   "type", "boolean", "uniqueItems", 1);
        json_array_append_new(a, f);
    }
    return a;
}

static json_t *path_params(bool namespaced, bool named, bool v3)
{
    json_t *a = json_array();
    if (named)
        json_array_append_new(a, v3 ? json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}", "name",
                                                "name", "in", "path", "description",
                                                "name of the resource", "required", 1, "schema",
                                                "type", "string", "uniqueItems", 1)
                                    : json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "name", "name",
                                                "in", "path", "description", "name of the resource",
                                                "required", 1, "type", "string", "uniqueItems", 1));
    if (namespaced)
        json_array_append_new(
            a, v3 ? json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}", "name", "namespace", "in",
                              "path", "description",
                              "object name and auth scope, such as for teams and projects",
                              "required", 1, "schema", "type", "string", "uniqueItems", 1)
                  : json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "name", "namespace", "in", "path",
                              "description",
                              "object name and auth scope, such as for teams and projects",
                              "required", 1, "type", "string", "uniqueItems", 1));
    json_array_append_new(
        a, v3 ? json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", "pretty", "in", "query",
                          "description", "If 'true', then the output is pretty printed.", "schema",
                          "type", "string", "uniqueItems", 1)
              : json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", "pretty", "in", "query",
                          "description", "If 'true', then the output is pretty printed.", "type",
                          "string", "uniqueItems", 1));
    return a;
}

struct opctx {
    const struct sim_rtype *rt;
    const char *prefix; /* "#/components/schemas/" or "#/definitions/" */
    bool v3;
    char *def;      /* the kind's definition name */
    char *list_def; /* its List's */
    char *opp;      /* operation id prefix */
};

static json_t *ok_response(const struct opctx *o, const char *def, const char *code)
{
    json_t *r = json_object();
    if (o->v3) {
        json_t *content = json_object();
        static const char *const types[] = {"application/json", "application/yaml"};
        for (size_t i = 0; i < SLU_ARRAY_LEN(types); i++)
            json_object_set_new(content, types[i],
                                json_pack("{s:o}", "schema", s_ref(o->prefix, def)));
        json_object_set_new(r, code,
                            json_pack("{s:s, s:o}", "description", "OK", "content", content));
    } else {
        json_object_set_new(
            r, code, json_pack("{s:s, s:o}", "description", "OK", "schema", s_ref(o->prefix, def)));
    }
    json_object_set_new(r, "401", json_pack("{s:s}", "description", "Unauthorized"));
    return r;
}

static json_t *request_body(const struct opctx *o, const char *def, bool patch)
{
    static const char *const patch_types[] = {"application/apply-patch+yaml",
                                              "application/json-patch+json",
                                              "application/merge-patch+json"};
    if (o->v3) {
        json_t *content = json_object();
        if (patch) {
            for (size_t i = 0; i < SLU_ARRAY_LEN(patch_types); i++)
                json_object_set_new(content, patch_types[i],
                                    json_pack("{s:o}", "schema", s_ref(o->prefix, META "Patch")));
        } else {
            json_object_set_new(content, "*/*",
                                json_pack("{s:o}", "schema", s_ref(o->prefix, def)));
        }
        return json_pack("{s:o, s:b}", "content", content, "required", 1);
    }
    return json_pack("{s:s, s:s, s:b, s:o}", "name", "body", "in", "body", "required", 1, "schema",
                     s_ref(o->prefix, patch ? META "Patch" : def));
}

static json_t *operation(const struct opctx *o, const char *action, const char *verb_id,
                         const char *desc, const char *resp_def, json_t *params, int body)
{
    const struct sim_rtype *rt = o->rt;
    json_t *op = json_object();
    char *id = slu_asprintf("%s%s%s%s%s", verb_id, o->opp, rt->namespaced ? "Namespaced" : "",
                            rt->kind, "");
    json_object_set_new(op, "operationId", json_string(id));
    free(id);
    json_object_set_new(op, "description", json_string(desc));
    char *tag = slu_asprintf("%s_%s", rt->group && *rt->group ? rt->group : "core", rt->version);
    json_object_set_new(op, "tags", json_pack("[s]", tag));
    free(tag);
    if (!params)
        params = json_array();
    if (body && !o->v3)
        json_array_append_new(params, request_body(o, o->def, body == 2));
    json_object_set_new(op, "parameters", params);
    if (body && o->v3)
        json_object_set_new(op, "requestBody", request_body(o, o->def, body == 2));
    if (!o->v3) {
        if (body == 2)
            json_object_set_new(op, "consumes",
                                json_pack("[s,s,s]", "application/json-patch+json",
                                          "application/merge-patch+json",
                                          "application/apply-patch+yaml"));
        else
            json_object_set_new(op, "consumes", json_pack("[s]", "*/*"));
        json_object_set_new(op, "produces",
                            json_pack("[s,s]", "application/json", "application/yaml"));
        json_object_set_new(op, "schemes", json_pack("[s]", "https"));
    }
    json_object_set_new(op, "responses",
                        ok_response(o, resp_def, strcmp(action, "post") == 0 ? "201" : "200"));
    json_object_set_new(op, "x-kubernetes-action", json_string(action));
    json_object_set_new(op, "x-kubernetes-group-version-kind", gvk_obj(rt, rt->kind));
    return op;
}

static void add_paths(json_t *paths, const struct opctx *o)
{
    const struct sim_rtype *rt = o->rt;
    char *base = rt->group && *rt->group ? slu_asprintf("/apis/%s/%s", rt->group, rt->version)
                                         : slu_asprintf("/api/%s", rt->version);
    char *coll = rt->namespaced ? slu_asprintf("%s/namespaces/{namespace}/%s", base, rt->plural)
                                : slu_asprintf("%s/%s", base, rt->plural);
    char *item = slu_asprintf("%s/{name}", coll);
    char *desc;

    json_t *pc = json_object();
    json_object_set_new(pc, "parameters", path_params(rt->namespaced, false, o->v3));
    desc = slu_asprintf("list or watch objects of kind %s", rt->kind);
    json_object_set_new(pc, "get", operation(o, "list", "list", desc, o->list_def, NULL, 0));
    free(desc);
    desc = slu_asprintf("create a %s", rt->kind);
    json_object_set_new(
        pc, "post", operation(o, "post", "create", desc, o->def, write_params(o->v3, false), 1));
    free(desc);
    json_object_set_new(paths, coll, pc);

    json_t *pi = json_object();
    json_object_set_new(pi, "parameters", path_params(rt->namespaced, true, o->v3));
    desc = slu_asprintf("read the specified %s", rt->kind);
    json_object_set_new(pi, "get", operation(o, "get", "read", desc, o->def, NULL, 0));
    free(desc);
    desc = slu_asprintf("replace the specified %s", rt->kind);
    json_object_set_new(
        pi, "put", operation(o, "put", "replace", desc, o->def, write_params(o->v3, false), 1));
    free(desc);
    desc = slu_asprintf("partially update the specified %s", rt->kind);
    json_object_set_new(pi, "patch",
                        operation(o, "patch", "patch", desc, o->def, write_params(o->v3, true), 2));
    free(desc);
    desc = slu_asprintf("delete a %s", rt->kind);
    json_object_set_new(pi, "delete",
                        operation(o, "delete", "delete", desc, META "Status", NULL, 0));
    free(desc);
    json_object_set_new(paths, item, pi);

    if (rt->has_status) {
        char *st = slu_asprintf("%s/status", item);
        json_t *ps = json_object();
        json_object_set_new(ps, "parameters", path_params(rt->namespaced, true, o->v3));
        desc = slu_asprintf("read status of the specified %s", rt->kind);
        json_object_set_new(ps, "get", operation(o, "get", "read", desc, o->def, NULL, 0));
        free(desc);
        desc = slu_asprintf("replace status of the specified %s", rt->kind);
        json_object_set_new(
            ps, "put", operation(o, "put", "replace", desc, o->def, write_params(o->v3, false), 1));
        free(desc);
        desc = slu_asprintf("partially update status of the specified %s", rt->kind);
        json_object_set_new(
            ps, "patch",
            operation(o, "patch", "patch", desc, o->def, write_params(o->v3, true), 2));
        free(desc);
        json_object_set_new(paths, st, ps);
        free(st);
    }
    if (rt->namespaced) {
        char *all = slu_asprintf("%s/%s", base, rt->plural);
        json_t *pa = json_object();
        json_object_set_new(pa, "parameters", path_params(false, false, o->v3));
        desc = slu_asprintf("list or watch objects of kind %s", rt->kind);
        json_object_set_new(pa, "get", operation(o, "list", "list", desc, o->list_def, NULL, 0));
        free(desc);
        json_object_set_new(paths, all, pa);
        free(all);
    }
    free(base);
    free(coll);
    free(item);
}

/* Adds one type's paths and schemas. */
static void add_type(json_t *paths, json_t *schemas, const struct sim_rtype *rt, bool v3)
{
    const char *prefix = v3 ? "#/components/schemas/" : "#/definitions/";
    struct opctx o = {.rt = rt, .prefix = prefix, .v3 = v3};
    o.def = def_name(rt, rt->kind);
    o.list_def = def_name(rt, rt->list_kind ? rt->list_kind : "List");
    o.opp = op_prefix(rt);
    add_paths(paths, &o);
    json_object_set_new(schemas, o.def,
                        rt->is_crd ? crd_schema(rt, prefix, v3) : builtin_schema(rt, prefix));
    json_object_set_new(schemas, o.list_def, list_schema(rt, prefix, o.def));
    add_meta_schemas(schemas, prefix);
    free(o.def);
    free(o.list_def);
    free(o.opp);
}

static bool type_ok(const struct sim_rtype *rt)
{
    return rt && rt->kind && rt->version && rt->plural;
}

/* ---------------------------------------------------------------- documents */

json_t *sim__openapi_v3_gv_from(const struct sim_rtype *const *types, size_t n, const char *group,
                                const char *version)
{
    json_t *paths = json_object();
    json_t *schemas = json_object();
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sim_rtype *rt = types[i];
        if (!type_ok(rt) || !slu_streq(rt->group ? rt->group : "", group ? group : "") ||
            !slu_streq(rt->version, version))
            continue;
        add_type(paths, schemas, rt, true);
        found++;
    }
    if (found == 0) {
        json_decref(paths);
        json_decref(schemas);
        return NULL;
    }
    return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o, s:{s:{s:s, s:s, s:s}}}}", "openapi", "3.0.0",
                     "info", "title", "Kubernetes", "version", "unversioned", "paths", paths,
                     "components", "schemas", schemas, "securitySchemes", "BearerToken", "type",
                     "apiKey", "name", "authorization", "in", "header");
}

/* FNV-1a over the gv's kinds and schemas. */
static uint64_t gv_hash(const struct sim_rtype *const *types, size_t n, const char *group,
                        const char *version)
{
    struct slu_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        const struct sim_rtype *rt = types[i];
        if (!type_ok(rt) || !slu_streq(rt->group ? rt->group : "", group) ||
            !slu_streq(rt->version, version))
            continue;
        slu_buf_printf(&b, "%s|%s|%s|%d|%d|%d;", rt->kind, rt->plural,
                       rt->list_kind ? rt->list_kind : "", rt->namespaced, rt->has_status,
                       rt->is_crd);
        if (rt->schema) {
            char *d = slu_json_dumps_canonical(rt->schema);
            slu_buf_puts(&b, d);
            free(d);
        }
        slu_buf_putc(&b, '\n');
    }
    uint64_t h = slu_hash(b.data ? b.data : "", b.len);
    slu_buf_release(&b);
    return h;
}

json_t *sim__openapi_v3_root_from(const struct sim_rtype *const *types, size_t n)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct sim_rtype *rt = types[i];
        if (!type_ok(rt))
            continue;
        const char *g = rt->group ? rt->group : "";
        char *key = gv_key(g, rt->version);
        if (!json_object_get(paths, key)) {
            uint64_t h = gv_hash(types, n, g, rt->version);
            char *url = slu_asprintf("/openapi/v3/%s?hash=%016" PRIX64, key, h);
            json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
            free(url);
        }
        free(key);
    }
    return json_pack("{s:o}", "paths", paths);
}

json_t *sim__openapi_v2_from(const struct sim_rtype *const *types, size_t n)
{
    json_t *paths = json_object();
    json_t *defs = json_object();
    for (size_t i = 0; i < n; i++) {
        if (type_ok(types[i]))
            add_type(paths, defs, types[i], false);
    }
    add_meta_schemas(defs, "#/definitions/");
    return json_pack("{s:s, s:{s:s, s:s}, s:o, s:o, s:{s:{s:s, s:s, s:s}}, s:[{s:[]}]}", "swagger",
                     "2.0", "info", "title", "Kubernetes", "version", "v1.32.0", "paths", paths,
                     "definitions", defs, "securityDefinitions", "BearerToken", "type", "apiKey",
                     "name", "authorization", "in", "header", "security", "BearerToken");
}

/* ---------------------------------------------------------------- store-backed entry points */

json_t *sim_openapi_v3_root(struct sim_store *st)
{
    struct slu_vec v = {0};
    sim_store_types(st, &v);
    json_t *out = sim__openapi_v3_root_from((const struct sim_rtype *const *)v.items, v.len);
    slu_vec_release(&v, NULL);
    return out;
}

json_t *sim_openapi_v3_gv(struct sim_store *st, const char *group, const char *version)
{
    struct slu_vec v = {0};
    sim_store_types(st, &v);
    json_t *out =
        sim__openapi_v3_gv_from((const struct sim_rtype *const *)v.items, v.len, group, version);
    slu_vec_release(&v, NULL);
    return out;
}

json_t *sim_openapi_v2(struct sim_store *st)
{
    struct slu_vec v = {0};
    sim_store_types(st, &v);
    json_t *out = sim__openapi_v2_from((const struct sim_rtype *const *)v.items, v.len);
    slu_vec_release(&v, NULL);
    return out;
}
