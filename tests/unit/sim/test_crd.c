/* test_crd.c - CRD validation, served types and Established status (src/sim/crd.c). */
#include "test.h"
#include "json_test.h"

#include <stdbool.h>

#include "sim/parts.h"

static const char good[] =
    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
    "\"metadata\":{\"name\":\"queues.sluice.dev\"},\"spec\":{\"group\":\"sluice.dev\","
    "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"queues\",\"kind\":\"Queue\","
    "\"shortNames\":[\"q\"],\"categories\":[\"all\"]},"
    "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
    "\"subresources\":{\"status\":{},\"scale\":{\"specReplicasPath\":\".spec.replicas\","
    "\"statusReplicasPath\":\".status.replicas\"}},"
    "\"additionalPrinterColumns\":[{\"name\":\"Weight\",\"type\":\"integer\",\"jsonPath\":"
    "\".spec.weight\"}],"
    "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":"
    "\"object\",\"properties\":{\"weight\":{\"type\":\"integer\"}}}}}}},"
    "{\"name\":\"v1alpha1\",\"served\":false,\"storage\":false,\"schema\":{\"openAPIV3Schema\":"
    "{\"type\":\"object\"}}},"
    "{\"name\":\"v2\",\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":"
    "{\"type\":\"object\"}}}]}}";

static void free_rt(void *p)
{
    sim_rtype_free(p);
}

static void test_types(void **state)
{
    (void)state;
    json_t *crd = J(good);
    struct slu_vec out = {0};
    struct slu_err err = {0};
    assert_int_equal(sim_crd_types(crd, &out, &err), 0);
    assert_int_equal(out.len, 2); /* v1alpha1 is not served */
    struct sim_rtype *rt = out.items[0];
    assert_string_equal(rt->group, "sluice.dev");
    assert_string_equal(rt->version, "v1");
    assert_string_equal(rt->plural, "queues");
    assert_string_equal(rt->singular, "queue");
    assert_string_equal(rt->kind, "Queue");
    assert_string_equal(rt->list_kind, "QueueList");
    assert_string_equal(rt->short_names[0], "q");
    assert_null(rt->short_names[1]);
    assert_string_equal(rt->categories[0], "all");
    assert_true(rt->namespaced);
    assert_true(rt->has_status);
    assert_true(rt->has_scale);
    assert_true(rt->is_crd);
    assert_string_equal(rt->subresources[0], "status");
    assert_string_equal(rt->subresources[1], "scale");
    assert_null(rt->subresources[2]);
    assert_string_equal(rt->verbs[0], "delete");
    assert_string_equal(rt->verbs[7], "watch");
    assert_null(rt->verbs[8]);
    assert_string_equal(slu_json_str(rt->schema, "properties.spec.properties.weight.type"),
                        "integer");
    assert_string_equal(slu_json_str(json_array_get(rt->printer_columns, 0), "name"), "Weight");
    /* the schema is a copy: changing the CRD leaves the type alone */
    json_object_set_new(json_object_get(crd, "spec"), "versions", json_array());
    assert_non_null(slu_json_path(rt->schema, "properties.spec"));
    struct sim_rtype *v2 = out.items[1];
    assert_string_equal(v2->version, "v2");
    assert_false(v2->has_status);
    assert_null(v2->printer_columns);
    assert_null(v2->subresources[0]);
    slu_vec_release(&out, free_rt);
    json_decref(crd);
}

static bool has_cause(const struct slu_err *e, const char *field, const char *prefix)
{
    for (size_t i = 0; i < e->ncauses; i++)
        if (slu_streq(e->causes[i].field, field) &&
            strncmp(e->causes[i].message, prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

/* Applies a JSON merge patch to the good CRD, expects SLU_EINVAL with that cause. */
static void expect_bad(const char *patch, const char *field, const char *msg_prefix)
{
    json_t *crd = J(good);
    json_t *p = J(patch);
    slu_json_merge_patch(&crd, p);
    struct slu_vec out = {0};
    struct slu_err err = {0};
    int rc = sim_crd_types(crd, &out, &err);
    if (rc != SLU_EINVAL || !has_cause(&err, field, msg_prefix)) {
        for (size_t i = 0; i < err.ncauses; i++)
            print_message("cause %s: %s\n", err.causes[i].field, err.causes[i].message);
        fail_msg("expected %s: %s... (rc %d)", field, msg_prefix, rc);
    }
    assert_int_equal(out.len, 0);
    assert_string_equal(err.reason, "Invalid");
    slu_err_release(&err);
    json_decref(p);
    json_decref(crd);
}

static void test_invalid(void **state)
{
    (void)state;
    expect_bad("{\"spec\":{\"group\":null}}", "spec.group", "Required value");
    expect_bad("{\"spec\":{\"group\":\"nodot\"},\"metadata\":{\"name\":\"queues.nodot\"}}",
               "spec.group", "Invalid value: \"nodot\": should be a domain with at least one dot");
    expect_bad("{\"spec\":{\"names\":{\"plural\":null}}}", "spec.names.plural", "Required value");
    expect_bad("{\"spec\":{\"names\":{\"kind\":null}}}", "spec.names.kind", "Required value");
    expect_bad("{\"spec\":{\"names\":{\"plural\":\"Queues\"}},\"metadata\":{\"name\":\"Queues."
               "sluice.dev\"}}",
               "spec.names.plural", "Invalid value: \"Queues\": a lowercase RFC 1123 label");
    expect_bad("{\"metadata\":{\"name\":\"other.sluice.dev\"}}", "metadata.name",
               "Invalid value: \"other.sluice.dev\": must be spec.names.plural+\".\"+spec.group");
    expect_bad("{\"spec\":{\"scope\":\"Global\"}}", "spec.scope",
               "Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"");
    expect_bad("{\"spec\":{\"versions\":[]}}", "spec.versions", "Required value");
    expect_bad("{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":false,"
               "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}}}]}}",
               "spec.versions",
               "Invalid value: \"\": must have exactly one version marked as storage version");
    expect_bad("{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true}]}}",
               "spec.versions[0].schema.openAPIV3Schema", "Required value: schemas are required");
    expect_bad("{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
               "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":"
               "{}}}}}]}}",
               "spec.versions[0].schema.openAPIV3Schema.properties[spec].type",
               "Required value: must not be empty for specified object fields");
    expect_bad("{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
               "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}},"
               "\"additionalPrinterColumns\":[{\"name\":\"X\",\"type\":\"map\",\"jsonPath\":"
               "\".x\"}]}]}}",
               "spec.versions[0].additionalPrinterColumns[0].type", "Unsupported value: \"map\"");
    expect_bad("{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
               "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}}},{\"name\":\"v1\","
               "\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":"
               "\"object\"}}}]}}",
               "spec.versions[1].name", "Duplicate value: \"v1\"");
}

static void test_kubeflow(void **state)
{
    (void)state;
    const char *files[] = {"sparkoperator.k8s.io_sparkapplications.yaml",
                           "sparkoperator.k8s.io_scheduledsparkapplications.yaml"};
    const char *kinds[] = {"SparkApplication", "ScheduledSparkApplication"};
    for (size_t i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/reference/kubeflow-spark-operator/crds/%s",
                 slu_test_shared_dir(), files[i]);
        json_t *docs = NULL;
        struct slu_err err = {0};
        assert_int_equal(slu_yaml_load_file(path, NULL, &docs, &err), 0);
        struct slu_vec out = {0};
        if (sim_crd_types(json_array_get(docs, 0), &out, &err) != 0)
            fail_msg("%s: %s", files[i], err.msg);
        assert_int_equal(out.len, 1);
        struct sim_rtype *rt = out.items[0];
        assert_string_equal(rt->kind, kinds[i]);
        assert_string_equal(rt->group, "sparkoperator.k8s.io");
        assert_string_equal(rt->version, "v1beta2");
        assert_true(rt->has_status);
        assert_true(rt->namespaced);
        if (i == 0) {
            assert_string_equal(rt->short_names[0], "sparkapp");
            assert_int_equal(json_array_size(rt->printer_columns), 6);
        }
        slu_vec_release(&out, free_rt);
        json_decref(docs);
    }
}

static void test_established(void **state)
{
    (void)state;
    json_t *crd = J(good);
    sim_crd_set_established(crd);
    const json_t *st = json_object_get(crd, "status");
    assert_string_equal(slu_json_str(st, "acceptedNames.plural"), "queues");
    assert_string_equal(slu_json_str(st, "acceptedNames.singular"), "queue");
    assert_string_equal(slu_json_str(st, "acceptedNames.kind"), "Queue");
    assert_string_equal(slu_json_str(st, "acceptedNames.listKind"), "QueueList");
    assert_string_equal(slu_json_str(st, "acceptedNames.shortNames[0]"), "q");
    assert_string_equal(slu_json_str(st, "storedVersions[0]"), "v1");
    assert_int_equal(json_array_size(json_object_get(st, "storedVersions")), 1);
    const json_t *conds = json_object_get(st, "conditions");
    assert_int_equal(json_array_size(conds), 2);
    assert_string_equal(slu_json_str(json_array_get(conds, 0), "type"), "NamesAccepted");
    assert_string_equal(slu_json_str(json_array_get(conds, 0), "status"), "True");
    assert_string_equal(slu_json_str(json_array_get(conds, 0), "reason"), "NoConflicts");
    assert_string_equal(slu_json_str(json_array_get(conds, 0), "message"), "no conflicts found");
    assert_string_equal(slu_json_str(json_array_get(conds, 1), "type"), "Established");
    assert_string_equal(slu_json_str(json_array_get(conds, 1), "status"), "True");
    assert_string_equal(slu_json_str(json_array_get(conds, 1), "reason"), "InitialNamesAccepted");
    assert_string_equal(slu_json_str(json_array_get(conds, 1), "message"),
                        "the initial names have been accepted");
    int64_t ns;
    assert_int_equal(
        slu_time_parse_rfc3339(slu_json_str(json_array_get(conds, 1), "lastTransitionTime"), &ns),
        0);
    /* again: no duplicate conditions, lastTransitionTime kept */
    json_object_set_new(json_array_get(conds, 1), "lastTransitionTime",
                        json_string("2020-01-01T00:00:00Z"));
    sim_crd_set_established(crd);
    conds = slu_json_path(crd, "status.conditions");
    assert_int_equal(json_array_size(conds), 2);
    assert_string_equal(slu_json_str(json_array_get(conds, 1), "lastTransitionTime"),
                        "2020-01-01T00:00:00Z");
    json_decref(crd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_kubeflow),
        cmocka_unit_test(test_established),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
