/* test_openapi.c - /openapi/v3 and /openapi/v2 documents (src/sim/openapi.c), checked the way
 * kubectl reads them: the PATCH operation of a kind carries its GVK and a fieldValidation query
 * parameter, component schemas carry x-kubernetes-group-version-kind, and every $ref resolves. */
#include "test.h"

#include <stdbool.h>

#include "sim/parts.h"

json_t *sim__openapi_v3_root_from(const struct sim_rtype *const *types, size_t n);
json_t *sim__openapi_v3_gv_from(const struct sim_rtype *const *types, size_t n, const char *group,
                                const char *version);
json_t *sim__openapi_v2_from(const struct sim_rtype *const *types, size_t n);

static struct sim_rtype pod, node, lease;
static struct slu_vec crd_types;
static const struct sim_rtype *types[8];
static size_t ntypes;

static void free_rt(void *p)
{
    sim_rtype_free(p);
}

static void fill(struct sim_rtype *rt, const char *group, const char *kind, const char *plural,
                 bool namespaced, bool status)
{
    rt->group = (char *)group;
    rt->version = (char *)"v1";
    rt->kind = (char *)kind;
    rt->plural = (char *)plural;
    rt->list_kind = slu_asprintf("%sList", kind);
    rt->namespaced = namespaced;
    rt->has_status = status;
}

static int setup(void **state)
{
    (void)state;
    fill(&pod, "", "Pod", "pods", true, true);
    fill(&node, "", "Node", "nodes", false, true);
    fill(&lease, "coordination.k8s.io", "Lease", "leases", true, false);
    char path[1024];
    snprintf(
        path, sizeof(path),
        "%s/reference/kubeflow-spark-operator/crds/sparkoperator.k8s.io_sparkapplications.yaml",
        slu_test_shared_dir());
    json_t *docs = NULL;
    struct slu_err err = {0};
    if (slu_yaml_load_file(path, NULL, &docs, &err) != 0 ||
        sim_crd_types(json_array_get(docs, 0), &crd_types, &err) != 0)
        fail_msg("%s", err.msg);
    json_decref(docs);
    ntypes = 0;
    types[ntypes++] = &pod;
    types[ntypes++] = &node;
    types[ntypes++] = &lease;
    types[ntypes++] = crd_types.items[0];
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(pod.list_kind);
    free(node.list_kind);
    free(lease.list_kind);
    slu_vec_release(&crd_types, free_rt);
    return 0;
}

/* kubectl's supportsQueryParamV3: a PATCH whose single GVK matches, with the parameter. */
static bool supports_field_validation(const json_t *doc, const char *group, const char *kind,
                                      const char *version, bool v3)
{
    const char *p;
    const json_t *item;
    json_object_foreach((json_t *)json_object_get(doc, "paths"), p, item)
    {
        const json_t *op = json_object_get(item, "patch");
        if (!op)
            continue;
        const json_t *gvk = json_object_get(op, "x-kubernetes-group-version-kind");
        if (!json_is_object(gvk) || !slu_streq(slu_json_str(gvk, "group"), group) ||
            !slu_streq(slu_json_str(gvk, "kind"), kind) ||
            !slu_streq(slu_json_str(gvk, "version"), version))
            continue;
        size_t i;
        const json_t *prm;
        json_array_foreach(json_object_get(op, "parameters"), i, prm)
        {
            if (slu_streq(slu_json_str(prm, "name"), "fieldValidation") &&
                slu_streq(slu_json_str(prm, "in"), "query"))
                return true;
        }
        return false;
    }
    (void)v3;
    return false;
}

/* The component schema carrying that GVK in its x-kubernetes-group-version-kind array. */
static const json_t *schema_for(const json_t *schemas, const char *group, const char *kind,
                                const char *version)
{
    const char *name;
    const json_t *s;
    json_object_foreach((json_t *)schemas, name, s)
    {
        size_t i;
        const json_t *g;
        json_array_foreach(json_object_get(s, "x-kubernetes-group-version-kind"), i, g)
        {
            if (slu_streq(slu_json_str(g, "group"), group) &&
                slu_streq(slu_json_str(g, "kind"), kind) &&
                slu_streq(slu_json_str(g, "version"), version))
                return s;
        }
    }
    return NULL;
}

/* Every "$ref" under v names an existing schema. Returns the number of refs seen. */
static size_t check_refs(const json_t *v, const json_t *schemas, const char *prefix)
{
    size_t n = 0;
    if (json_is_object(v)) {
        const char *k;
        const json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            if (strcmp(k, "$ref") == 0 && json_is_string(c)) {
                const char *r = json_string_value(c);
                if (!slu_str_has_prefix(r, prefix) || !json_object_get(schemas, r + strlen(prefix)))
                    fail_msg("dangling $ref %s", r);
                n++;
            } else {
                n += check_refs(c, schemas, prefix);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *c;
        json_array_foreach(v, i, c) n += check_refs(c, schemas, prefix);
    }
    return n;
}

/* kubectl unmarshals "type" as a string or an array of strings: anything else makes it drop the
 * whole document. Returns the number of schema types seen. */
static size_t check_types(const json_t *v, const char *parent_key)
{
    size_t n = 0;
    if (json_is_object(v)) {
        const char *k;
        const json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            bool is_props =
                parent_key &&
                (strcmp(parent_key, "properties") == 0 || strcmp(parent_key, "schemas") == 0 ||
                 strcmp(parent_key, "definitions") == 0 || strcmp(parent_key, "paths") == 0);
            if (strcmp(k, "type") == 0 && !is_props) {
                if (!json_is_string(c))
                    fail_msg("a \"type\" that is not a string under \"%s\"",
                             parent_key ? parent_key : "");
                n++;
            } else {
                n += check_types(c, k);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *c;
        json_array_foreach(v, i, c) n += check_types(c, parent_key);
    }
    return n;
}

static void test_v3_root(void **state)
{
    (void)state;
    json_t *root = sim__openapi_v3_root_from(types, ntypes);
    assert_non_null(root);
    const json_t *paths = json_object_get(root, "paths");
    assert_int_equal(json_object_size(paths), 3);
    const char *core = slu_json_str(json_object_get(paths, "api/v1"), "serverRelativeURL");
    assert_non_null(core);
    assert_true(slu_str_has_prefix(core, "/openapi/v3/api/v1?hash="));
    assert_int_equal(strlen(core), strlen("/openapi/v3/api/v1?hash=") + 16);
    assert_non_null(json_object_get(paths, "apis/coordination.k8s.io/v1"));
    const char *spark = slu_json_str(json_object_get(paths, "apis/sparkoperator.k8s.io/v1beta2"),
                                     "serverRelativeURL");
    assert_true(slu_str_has_prefix(spark, "/openapi/v3/apis/sparkoperator.k8s.io/v1beta2?hash="));
    char *spark_before = slu_strdup(spark);
    char *core_before = slu_strdup(core);

    /* same input, same hash */
    json_t *again = sim__openapi_v3_root_from(types, ntypes);
    assert_true(slu_json_equal(root, again));
    json_decref(again);

    /* a changed CRD schema changes that group-version's hash only */
    struct sim_rtype *crt = crd_types.items[0];
    json_t *saved = crt->schema;
    crt->schema = slu_json_copy(saved);
    slu_json_set_str(crt->schema, "properties.spec.description", "changed");
    json_t *changed = sim__openapi_v3_root_from(types, ntypes);
    json_decref(crt->schema);
    crt->schema = saved;
    const json_t *cp = json_object_get(changed, "paths");
    assert_string_not_equal(
        slu_json_str(json_object_get(cp, "apis/sparkoperator.k8s.io/v1beta2"), "serverRelativeURL"),
        spark_before);
    assert_string_equal(slu_json_str(json_object_get(cp, "api/v1"), "serverRelativeURL"),
                        core_before);
    json_decref(changed);
    free(spark_before);
    free(core_before);
    json_decref(root);
}

static void test_v3_core(void **state)
{
    (void)state;
    json_t *doc = sim__openapi_v3_gv_from(types, ntypes, "", "v1");
    assert_non_null(doc);
    assert_string_equal(slu_json_str(doc, "openapi"), "3.0.0");
    assert_true(supports_field_validation(doc, "", "Pod", "v1", true));
    assert_true(supports_field_validation(doc, "", "Node", "v1", true));
    assert_false(supports_field_validation(doc, "coordination.k8s.io", "Lease", "v1", true));
    const json_t *paths = json_object_get(doc, "paths");
    const json_t *item = json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}");
    assert_non_null(item);
    assert_non_null(json_object_get(item, "get"));
    assert_non_null(json_object_get(item, "put"));
    assert_non_null(json_object_get(item, "delete"));
    const json_t *content = slu_json_path(json_object_get(item, "patch"), "requestBody.content");
    assert_non_null(json_object_get(content, "application/merge-patch+json"));
    assert_non_null(json_object_get(content, "application/json-patch+json"));
    assert_non_null(json_object_get(content, "application/apply-patch+yaml"));
    assert_null(json_object_get(content, "application/strategic-merge-patch+json"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}/status"));
    assert_non_null(json_object_get(paths, "/api/v1/pods"));
    assert_non_null(json_object_get(paths, "/api/v1/nodes/{name}"));
    assert_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/nodes"));
    const json_t *post =
        slu_json_path(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods"), "post");
    assert_string_equal(slu_json_str(post, "x-kubernetes-action"), "post");
    assert_string_equal(slu_json_str(post, "operationId"), "createCoreV1NamespacedPod");

    const json_t *schemas = slu_json_path(doc, "components.schemas");
    const json_t *ps = schema_for(schemas, "", "Pod", "v1");
    assert_non_null(ps);
    assert_ptr_equal(ps, json_object_get(schemas, "io.k8s.api.core.v1.Pod"));
    const json_t *containers = slu_json_path(ps, "properties.spec.properties.containers");
    assert_string_equal(slu_json_str(containers, "x-kubernetes-patch-merge-key"), "name");
    assert_string_equal(slu_json_str(containers, "x-kubernetes-patch-strategy"), "merge");
    assert_string_equal(
        slu_json_str(containers, "items.properties.env.x-kubernetes-patch-merge-key"), "name");
    assert_string_equal(slu_json_str(slu_json_path(ps, "properties.spec.properties.volumes"),
                                     "x-kubernetes-patch-merge-key"),
                        "name");
    assert_non_null(schema_for(schemas, "", "PodList", "v1"));
    assert_non_null(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    assert_true(check_refs(doc, schemas, "#/components/schemas/") > 10);
    assert_true(check_types(doc, NULL) > 50);
    json_decref(doc);

    assert_null(sim__openapi_v3_gv_from(types, ntypes, "apps", "v1"));
    assert_null(sim__openapi_v3_gv_from(types, ntypes, "", "v2"));
}

static void test_v3_crd(void **state)
{
    (void)state;
    json_t *doc = sim__openapi_v3_gv_from(types, ntypes, "sparkoperator.k8s.io", "v1beta2");
    assert_non_null(doc);
    assert_true(supports_field_validation(doc, "sparkoperator.k8s.io", "SparkApplication",
                                          "v1beta2", true));
    const json_t *paths = json_object_get(doc, "paths");
    assert_non_null(json_object_get(
        paths,
        "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{namespace}/sparkapplications/{name}"));
    assert_non_null(json_object_get(paths, "/apis/sparkoperator.k8s.io/v1beta2/namespaces/"
                                           "{namespace}/sparkapplications/{name}/status"));
    const json_t *schemas = slu_json_path(doc, "components.schemas");
    const json_t *s = schema_for(schemas, "sparkoperator.k8s.io", "SparkApplication", "v1beta2");
    assert_non_null(s);
    assert_ptr_equal(s, json_object_get(schemas, "io.k8s.sparkoperator.v1beta2.SparkApplication"));
    /* the CRD's own schema, for kubectl explain */
    assert_string_equal(slu_json_str(s, "properties.spec.properties.mode.enum[0]"), "cluster");
    assert_string_equal(slu_json_str(s, "properties.apiVersion.type"), "string");
    assert_string_equal(slu_json_str(s, "properties.metadata.allOf[0].$ref"),
                        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert_non_null(schema_for(schemas, "sparkoperator.k8s.io", "SparkApplicationList", "v1beta2"));
    check_refs(doc, schemas, "#/components/schemas/");
    json_decref(doc);
}

static void test_v2(void **state)
{
    (void)state;
    json_t *doc = sim__openapi_v2_from(types, ntypes);
    assert_non_null(doc);
    assert_string_equal(slu_json_str(doc, "swagger"), "2.0");
    const json_t *defs = json_object_get(doc, "definitions");
    assert_non_null(schema_for(defs, "", "Pod", "v1"));
    assert_non_null(schema_for(defs, "coordination.k8s.io", "Lease", "v1"));
    assert_non_null(schema_for(defs, "sparkoperator.k8s.io", "SparkApplication", "v1beta2"));
    assert_true(supports_field_validation(doc, "", "Pod", "v1", false));
    assert_true(supports_field_validation(doc, "sparkoperator.k8s.io", "SparkApplication",
                                          "v1beta2", false));
    const json_t *patch = slu_json_path(
        json_object_get(json_object_get(doc, "paths"),
                        "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"),
        "patch");
    assert_non_null(patch);
    assert_string_equal(slu_json_str(patch, "consumes[1]"), "application/merge-patch+json");
    assert_true(check_refs(doc, defs, "#/definitions/") > 10);
    assert_true(check_types(doc, NULL) > 100);
    json_decref(doc);
}

static void test_store_backed(void **state)
{
    (void)state;
    struct sim_store *st = sim_store_new(100);
    assert_non_null(st);
    json_t *root = sim_openapi_v3_root(st);
    assert_non_null(json_object_get(json_object_get(root, "paths"), "api/v1"));
    json_decref(root);
    json_t *core = sim_openapi_v3_gv(st, "", "v1");
    assert_non_null(core);
    assert_true(supports_field_validation(core, "", "Pod", "v1", true));
    assert_true(supports_field_validation(core, "", "ConfigMap", "v1", true));
    check_refs(core, slu_json_path(core, "components.schemas"), "#/components/schemas/");
    assert_true(check_types(core, NULL) > 100);
    json_decref(core);
    assert_null(sim_openapi_v3_gv(st, "nope.example.com", "v1"));
    json_t *v2 = sim_openapi_v2(st);
    assert_non_null(schema_for(json_object_get(v2, "definitions"), "", "Namespace", "v1"));
    json_decref(v2);
    sim_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_root),      cmocka_unit_test(test_v3_core),
        cmocka_unit_test(test_v3_crd),       cmocka_unit_test(test_v2),
        cmocka_unit_test(test_store_backed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
