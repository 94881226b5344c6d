/* test_logic.c - src/operator/logic.c: state names, the driver-pod mapping of spec §2,
 * ShouldRetry and the per-kind back-off, spec hash and submission ids, the bounded executor
 * status, object names and the ingress URL format. */
#include "test.h"

#include "operator/operator.h"

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, 0, &e);
    if (!v)
        fail_msg("bad JSON in test: %s", e.text);
    return v;
}

static void test_state_names(void **state)
{
    (void)state;
    bool known;
    assert_int_equal(op_state_parse(NULL, &known), OP_ST_NEW);
    assert_true(known);
    assert_int_equal(op_state_parse("", &known), OP_ST_NEW);
    for (int s = 0; s < OP_ST_COUNT; s++)
        assert_int_equal(op_state_parse(op_state_name((enum op_state)s), NULL), s);
    assert_int_equal(op_state_parse("WEIRD", &known), OP_ST_UNKNOWN);
    assert_false(known);
    assert_string_equal(op_state_name(OP_ST_SUBMISSION_FAILED), "SUBMISSION_FAILED");
}

static void test_driver_mapping(void **state)
{
    (void)state;
    struct {
        const char *pod;
        enum op_driver_state d;
        enum op_state app;
        int code;
    } cases[] = {
        {"{\"status\":{\"phase\":\"Pending\"}}", OP_DRV_PENDING, OP_ST_SUBMITTED, -1},
        {"{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"spark-kubernetes-"
         "driver\",\"state\":{\"running\":{}}}]}}",
         OP_DRV_RUNNING, OP_ST_RUNNING, -1},
        {"{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"sidecar\"},{"
         "\"name\":\"spark-kubernetes-driver\",\"state\":{\"terminated\":{\"exitCode\":0}}}]}}",
         OP_DRV_COMPLETED, OP_ST_SUCCEEDING, 0},
        {"{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"spark-kubernetes-"
         "driver\",\"state\":{\"terminated\":{\"exitCode\":3,\"reason\":\"Error\"}}}]}}",
         OP_DRV_FAILED, OP_ST_FAILING, 3},
        {"{\"status\":{\"phase\":\"Succeeded\"}}", OP_DRV_COMPLETED, OP_ST_SUCCEEDING, -1},
        {"{\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"spark-kubernetes-"
         "driver\",\"state\":{\"terminated\":{\"exitCode\":0}}}]}}",
         OP_DRV_COMPLETED, OP_ST_SUCCEEDING, 0},
        {"{\"status\":{\"phase\":\"Failed\"}}", OP_DRV_FAILED, OP_ST_FAILING, -1},
        {"{\"status\":{\"phase\":\"Unknown\"}}", OP_DRV_UNKNOWN, OP_ST_UNKNOWN, -1},
        {"{}", OP_DRV_UNKNOWN, OP_ST_UNKNOWN, -1},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        json_t *p = J(cases[i].pod);
        int code;
        const char *reason;
        enum op_driver_state d = op_driver_state_of(p, &code, &reason);
        assert_int_equal(d, cases[i].d);
        assert_int_equal(op_app_state_of_driver(d), cases[i].app);
        assert_int_equal(code, cases[i].code);
        json_decref(p);
    }
    json_t *p = J("{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"spark-"
                  "kubernetes-driver\",\"state\":{\"terminated\":{\"exitCode\":137,\"reason\":"
                  "\"OOMKilled\"}}}]}}");
    int code;
    const char *reason;
    op_driver_state_of(p, &code, &reason);
    assert_string_equal(reason, "OOMKilled");
    json_decref(p);
}

static void test_should_retry(void **state)
{
    (void)state;
    json_t *a = J("{\"spec\":{\"restartPolicy\":{\"type\":\"OnFailure\",\"onFailureRetries\":2}},"
                  "\"status\":{\"executionAttempts\":2,\"submissionAttempts\":5}}");
    assert_true(op_should_retry(a, OP_ST_FAILING)); /* 2 <= 2 */
    assert_false(op_should_retry(a, OP_ST_SUCCEEDING));
    assert_false(op_should_retry(a, OP_ST_SUBMISSION_FAILED)); /* unset -> no retry */
    json_object_set_new(json_object_get(a, "status"), "executionAttempts", json_integer(3));
    assert_false(op_should_retry(a, OP_ST_FAILING));
    json_decref(a);
    a = J("{\"spec\":{\"restartPolicy\":{\"type\":\"Always\"}},\"status\":{}}");
    assert_true(op_should_retry(a, OP_ST_FAILING));
    assert_true(op_should_retry(a, OP_ST_SUCCEEDING));
    assert_true(op_should_retry(a, OP_ST_SUBMISSION_FAILED));
    json_decref(a);
    a = J("{\"spec\":{},\"status\":{}}");
    assert_false(op_should_retry(a, OP_ST_FAILING));
    json_decref(a);
    a = J("{\"spec\":{\"restartPolicy\":{\"type\":\"OnFailure\",\"onSubmissionFailureRetries\":1}"
          "},\"status\":{\"submissionAttempts\":1}}");
    assert_true(op_should_retry(a, OP_ST_SUBMISSION_FAILED));
    json_decref(a);
}

static void test_retry_wait_uses_counter_of_kind(void **state)
{
    (void)state;
    /* 4 submissions (e.g. 3 submission failures and a run) but 1 run: a run failure waits
     * interval x executionAttempts from terminationTime, not x submissionAttempts. */
    json_t *a = J("{\"spec\":{\"restartPolicy\":{\"type\":\"OnFailure\",\"onFailureRetryInterval\":"
                  "10,\"onSubmissionFailureRetryInterval\":3}},\"status\":{\"executionAttempts\":1,"
                  "\"submissionAttempts\":4,\"lastSubmissionAttemptTime\":\"2026-01-01T00:00:00Z\","
                  "\"terminationTime\":\"2026-01-01T00:01:00Z\"}}");
    int64_t t0 = 1767225600000LL; /* 2026-01-01T00:00:00Z */
    assert_int_equal(op_retry_wait_ms(a, OP_ST_FAILING, t0 + 60000), 10000);
    assert_int_equal(op_retry_wait_ms(a, OP_ST_FAILING, t0 + 75000), -5000);
    assert_int_equal(op_retry_wait_ms(a, OP_ST_SUBMISSION_FAILED, t0), 12000);
    json_object_set_new(json_object_get(a, "status"), "executionAttempts", json_integer(3));
    assert_int_equal(op_retry_wait_ms(a, OP_ST_FAILING, t0 + 60000), 30000);
    /* unset interval: 5 s (the default the webhook would have set) */
    json_object_del(slu_json_path(a, "spec.restartPolicy"), "onFailureRetryInterval");
    assert_int_equal(op_retry_wait_ms(a, OP_ST_FAILING, t0 + 60000), 15000);
    json_decref(a);
}

static void test_spec_hash_and_ids(void **state)
{
    (void)state;
    json_t *a = J("{\"metadata\":{\"uid\":\"u1\"},\"spec\":{\"image\":\"x\",\"arguments\":[\"1\"]}"
                  "}");
    uint64_t h = op_spec_hash(a);
    json_t *b = J("{\"spec\":{\"arguments\":[\"1\"],\"image\":\"x\",\"suspend\":true,"
                  "\"timeToLiveSeconds\":5}}");
    assert_true(op_spec_hash(b) == h); /* key order, suspend and TTL do not count */
    json_object_set_new(json_object_get(b, "spec"), "image", json_string("y"));
    assert_true(op_spec_hash(b) != h);
    char s1[48], s2[48], s3[48], s4[48];
    op_submission_id("u1", 1, "100", h, s1, sizeof s1);
    op_submission_id("u1", 1, "100", h, s2, sizeof s2);
    op_submission_id("u1", 2, "100", h, s3, sizeof s3);
    op_submission_id("u1", 1, "101", h, s4, sizeof s4); /* another version: another id */
    assert_string_equal(s1, s2);
    assert_string_not_equal(s1, s3);
    assert_string_not_equal(s1, s4);
    assert_string_equal(s1 + 16, s4 + 16); /* the same spec hash part */
    assert_int_equal(strlen(s1), 29);
    assert_null(kube_label_value_invalid(s1));
    uint64_t h12;
    assert_true(op_submission_spec_hash(s1, &h12));
    assert_true(h12 == (h & 0xffffffffffffULL));
    assert_false(op_submission_spec_hash("0b9cfa1e-5f0a-4e57-b1bc-5e3f5d1c4f6a", &h12));
    /* spec changed? */
    json_object_set_new(a, "status", json_pack("{s:s}", "submissionID", s1));
    assert_false(op_spec_changed(a));
    json_object_set_new(json_object_get(a, "spec"), "suspend", json_true());
    assert_false(op_spec_changed(a));
    json_object_set_new(json_object_get(a, "spec"), "image", json_string("z"));
    assert_true(op_spec_changed(a));
    json_decref(a);
    json_decref(b);
}

static void test_executor_status_bounded(void **state)
{
    (void)state;
    json_t *pods = json_array();
    for (int i = 1; i <= 250; i++) {
        char name[32], id[16];
        snprintf(name, sizeof name, "app-exec-%d", i);
        snprintf(id, sizeof id, "%d", i);
        const char *phase = i % 5 == 0 ? "Failed" : i % 2 ? "Running" : "Pending";
        json_array_append_new(pods,
                              json_pack("{s:{s:s, s:{s:s}}, s:{s:s}}", "metadata", "name", name,
                                        "labels", "spark-exec-id", id, "status", "phase", phase));
    }
    json_t *counts = NULL;
    json_t *old = J("{\"executorState\":{\"gone-exec-1\":\"RUNNING\",\"gone-exec-2\":\"FAILED\"}}");
    json_t *m = op_executor_status(old, pods, true, false, 100, &counts);
    assert_int_equal(json_object_size(m), 100);
    /* the lowest ids are kept */
    assert_string_equal(json_string_value(json_object_get(m, "app-exec-1")), "RUNNING");
    assert_string_equal(json_string_value(json_object_get(m, "app-exec-5")), "FAILED");
    assert_null(json_object_get(m, "app-exec-101"));
    assert_int_equal(slu_json_int(counts, "failed", -1), 50);
    assert_int_equal(slu_json_int(counts, "running", -1), 100);
    assert_int_equal(slu_json_int(counts, "pending", -1), 100);
    json_decref(m);
    json_decref(counts);
    /* with room, vanished executors keep a final state */
    json_t *few = json_array();
    json_array_append(few, json_array_get(pods, 0));
    m = op_executor_status(old, few, false, false, 100, &counts);
    assert_string_equal(json_string_value(json_object_get(m, "gone-exec-1")), "FAILED");
    assert_string_equal(json_string_value(json_object_get(m, "gone-exec-2")), "FAILED");
    json_decref(m);
    json_decref(counts);
    m = op_executor_status(old, few, true, false, 100, &counts);
    assert_string_equal(json_string_value(json_object_get(m, "gone-exec-1")), "UNKNOWN");
    json_decref(m);
    json_decref(counts);
    m = op_executor_status(old, few, false, true, 100, &counts);
    assert_string_equal(json_string_value(json_object_get(m, "gone-exec-1")), "COMPLETED");
    json_decref(m);
    json_decref(counts);
    json_decref(few);
    json_decref(old);
    json_decref(pods);
}

static void test_names(void **state)
{
    (void)state;
    char *s = op_ui_service_name("pi");
    assert_string_equal(s, "pi-ui-svc");
    free(s);
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = 0;
    s = op_ui_service_name(longname);
    assert_true(strlen(s) <= 63);
    assert_true(slu_str_has_suffix(s, "-ui-svc"));
    assert_true(kube_is_dns1123_label(s));
    free(s);
    s = op_pdb_name("pi");
    assert_string_equal(s, "pi-driver-pdb");
    free(s);
    s = op_ingress_url("{{$appName}}.{{$appNamespace}}.example.com/x/{{$appId}}", "pi", "ns",
                       "spark-1");
    assert_string_equal(s, "pi.ns.example.com/x/spark-1");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_driver_mapping),
        cmocka_unit_test(test_should_retry),
        cmocka_unit_test(test_retry_wait_uses_counter_of_kind),
        cmocka_unit_test(test_spec_hash_and_ids),
        cmocka_unit_test(test_executor_status_bounded),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
