/*
 * test_build.c - golden tests of src/spark/build*.c (build.c, build_pod.c, build_extras.c,
 * build_mem.c, build_names.c, build_template.c, build_exec.c): every case file in tests/data/spark/
 * (the worked examples of spec spark-objects.md 13 and more, written by hand from the spec) is
 * built with spark_build, the driver objects compared semantically, spark.properties parsed back
 * and compared key by key, and then each listed executor is built from the driver's view of the
 * conf (spark.properties + spark_driver_runtime_init), as the simulated Spark driver does.
 */
#include "build_golden.h"

static void run_executors(const json_t *cs, json_t *objects, struct spark_conf *props,
                          const char *version)
{
    size_t i;
    json_t *ex;
    json_array_foreach(json_object_get(cs, "executors"), i, ex)
    {
        struct spark_conf *rt = spark_conf_copy(props);
        struct slu_err err = {0};
        int rc = spark_driver_runtime_init(rt, bg_s(ex, "pod_ip"), bg_s(ex, "exec_unique_id"),
                                           1735689600000, &err);
        assert_int_equal(rc, 0);
        json_t *driver = json_deep_copy(json_array_get(objects, 0));
        if (bg_s(ex, "driver_uid"))
            json_object_set_new(json_object_get(driver, "metadata"), "uid",
                                json_string(bg_s(ex, "driver_uid")));
        json_t *pod = NULL;
        rc = spark_build_executor_pod(rt, version, driver,
                                      (int)json_integer_value(json_object_get(ex, "id")),
                                      json_object_get(ex, "template"), &pod, &err);
        if (rc)
            print_error("executor: %s\n", err.msg);
        assert_int_equal(rc, 0);
        bg_assert_equal(json_object_get(ex, "expect"), pod, "executor pod");
        json_t *want_pvcs = json_object_get(ex, "expect_pvcs");
        if (want_pvcs) {
            json_t *pvcs = NULL;
            rc = spark_build_executor_pvcs(rt, version, driver,
                                           (int)json_integer_value(json_object_get(ex, "id")),
                                           &pvcs, &err);
            assert_int_equal(rc, 0);
            bg_assert_equal(want_pvcs, pvcs, "executor PVCs");
            json_decref(pvcs);
        }
        json_decref(pod);
        json_decref(driver);
        spark_conf_free(rt);
    }
}

static void run_case(const char *file)
{
    json_t *cs = bg_load(file);
    struct bg_input b;
    bg_input_from_json(&b, json_object_get(cs, "input"));
    json_t *objects = NULL;
    char *ns = NULL;
    struct slu_err err = {0};
    int rc = spark_build(&b.in, &objects, &ns, &err);
    json_t *xe = json_object_get(cs, "expect_error");
    if (xe) {
        assert_int_equal(rc, (int)json_integer_value(json_object_get(xe, "code")));
        const char *want = bg_s(xe, "contains");
        if (want && !strstr(err.msg, want)) {
            print_error("error [%s] lacks [%s]\n", err.msg, want);
            fail();
        }
        assert_null(objects);
    } else {
        if (rc)
            print_error("%s: spark_build: %s\n", file, err.msg);
        assert_int_equal(rc, 0);
        const json_t *expect = json_object_get(cs, "expect");
        if (bg_s(expect, "namespace"))
            assert_string_equal(ns, bg_s(expect, "namespace"));
        struct spark_conf *props = bg_check_properties(objects, expect);
        bg_normalise_podspec(objects, json_object_get(expect, "objects"));
        bg_assert_equal(json_object_get(expect, "objects"), objects, file);
        run_executors(cs, objects, props, b.in.spark_version);
        spark_conf_free(props);
    }
    json_decref(objects);
    free(ns);
    slu_err_release(&err);
    bg_input_release(&b);
    json_decref(cs);
}

#define GOLDEN(fn, file)                                                                           \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        run_case(file);                                                                            \
    }

GOLDEN(ex_a, "ex_a_sparkpi.json")
GOLDEN(ex_b, "ex_b_pyspark.json")
GOLDEN(ex_c, "ex_c_sanitise_secrets_pvc.json")
GOLDEN(v35_volumes, "v35_volumes.json")
GOLDEN(pod_templates, "pod_templates.json")
GOLDEN(pod_extras, "pod_extras.json")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ex_a),          cmocka_unit_test(ex_b),
        cmocka_unit_test(ex_c),          cmocka_unit_test(v35_volumes),
        cmocka_unit_test(pod_templates), cmocka_unit_test(pod_extras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
