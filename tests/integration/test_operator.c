/* test_operator.c - `sluice operator` (src/cli/cmd_operator.c + src/operator) end to end against
 * `sluice sim` (time scale 20, the sim's Spark driver model): every state transition of spec §2
 * with one application each — success, failure, OnFailure retries, submission failure (invalid
 * spec) and the fix-the-spec rerun, suspend/resume, a spec change during a run (INVALIDATING ->
 * rerun), the driver pod deleted by someone else, TTL deletion, the driver PDB, the UI Service,
 * Events, and /metrics, /healthz, /readyz. One sim and one operator serve the whole group. */
#include "test_operator_harness.h"

static int group_up(void **state)
{
    (void)state;
    if (h_sim_start(NULL, "20", NULL) || h_apply_crd())
        return -1;
    const char *extra[] = {"--driver-pod-grace-period", "5", NULL};
    return h_op_start(0, extra);
}

static int group_down(void **state)
{
    (void)state;
    h_down(false);
    return 0;
}

static json_t *driver_pod(const char *name)
{
    char pn[256];
    snprintf(pn, sizeof pn, "%s-driver", name);
    json_t *p = NULL;
    if (kube_get(H.c, &KUBE_RES_PODS, "default", pn, &p, NULL) < 0)
        return NULL;
    return p;
}

/* Reasons of the Events about app `name`, joined by ','. Returned owned. */
static char *event_reasons(const char *name)
{
    json_t *l = NULL;
    struct slu_buf b = {0};
    slu_buf_puts(&b, ",");
    if (kube_list_all(H.c, &KUBE_RES_EVENTS, "default", NULL, &l, NULL) == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(l, "items"), i, e)
        {
            if (slu_streq(slu_json_str(e, "involvedObject.name"), name)) {
                slu_buf_puts(&b, slu_json_str(e, "reason"));
                slu_buf_putc(&b, ',');
            }
        }
    }
    json_decref(l);
    return slu_buf_steal(&b);
}

static bool wait_events(const char *name, const char *reason, int64_t timeout_ms)
{
    char needle[128];
    snprintf(needle, sizeof needle, ",%s,", reason);
    for (int64_t t = 0; t < timeout_ms; t += 50) {
        char *r = event_reasons(name);
        bool ok = strstr(r, needle) != NULL;
        free(r);
        if (ok)
            return true;
        slu_sleep_ms(50);
    }
    return false;
}

static void test_complete(void **state)
{
    (void)state;
    json_t *app = h_app("ok1", 2, NULL);
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("ok1", "COMPLETED", 30000));
    json_t *o = h_get("ok1");
    assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 1);
    assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 1);
    assert_string_equal(slu_json_str(o, "status.driverInfo.podName"), "ok1-driver");
    assert_string_equal(slu_json_str(o, "status.driverInfo.webUIServiceName"), "ok1-ui-svc");
    assert_non_null(slu_json_str(o, "status.driverInfo.webUIAddress"));
    assert_int_equal(slu_json_int(o, "status.driverInfo.webUIPort", 0), 4040);
    assert_true(slu_str_has_prefix(slu_json_str(o, "status.sparkApplicationId"), "spark-"));
    assert_non_null(slu_json_str(o, "status.terminationTime"));
    assert_non_null(slu_json_str(o, "status.lastSubmissionAttemptTime"));
    const char *sid = slu_json_str(o, "status.submissionID");
    assert_non_null(sid);
    /* executorCounts is declared in deploy/crds (not pruned) and counts every executor seen */
    json_t *counts = slu_json_path(o, "status.executorCounts");
    assert_true(json_is_object(counts));
    int64_t total = 0;
    const char *ck;
    json_t *cv;
    json_object_foreach(counts, ck, cv)
    {
        assert_true(json_is_integer(cv));
        total += json_integer_value(cv);
    }
    assert_int_equal(total, (int64_t)json_object_size(slu_json_path(o, "status.executorState")));
    assert_true(total >= 1);
    /* the driver pod: our labels, owned by the app */
    json_t *p = driver_pod("ok1");
    assert_non_null(p);
    json_t *labels = slu_json_path(p, "metadata.labels");
    assert_string_equal(json_string_value(json_object_get(labels, SPARK_LABEL_SUBMISSION_ID)), sid);
    assert_string_equal(json_string_value(json_object_get(labels, SPARK_LABEL_APP_NAME)), "ok1");
    assert_string_equal(json_string_value(json_object_get(labels, SPARK_LABEL_LAUNCHED_BY)),
                        "true");
    const json_t *ref = kube_object_controller_ref(p);
    assert_non_null(ref);
    assert_string_equal(slu_json_str(ref, "kind"), "SparkApplication");
    assert_string_equal(slu_json_str(ref, "uid"), kube_object_uid(o));
    json_decref(p);
    /* the UI service */
    json_t *svc = NULL;
    assert_int_equal(kube_get(H.c, &KUBE_RES_SERVICES, "default", "ok1-ui-svc", &svc, NULL), 0);
    assert_string_equal(slu_json_str(svc, "spec.selector.spark-role"), "driver");
    json_decref(svc);
    json_decref(o);
    assert_true(wait_events("ok1", "SparkApplicationCompleted", 10000));
    char *r = event_reasons("ok1");
    assert_non_null(strstr(r, ",SparkApplicationSubmitted,"));
    assert_non_null(strstr(r, ",SparkDriverRunning,"));
    free(r);
}

/* spec.monitoring.prometheus: the <app>-prom-conf ConfigMap exists (owned by the app) before the
 * driver, and the driver mounts it; spec.sparkConfigMap is mounted too (the webhook's volumes). */
static void test_prometheus_and_configmaps(void **state)
{
    (void)state;
    json_t *conf = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
                             "ConfigMap", "metadata", "name", "prom1-conf", "namespace", "default",
                             "data", "spark-defaults.conf", "spark.foo bar\n");
    assert_int_equal(kube_create(H.c, &KUBE_RES_CONFIGMAPS, "default", conf, NULL, NULL), 0);
    json_decref(conf);
    json_t *app = h_app("prom1", 1, NULL);
    json_t *spec = json_object_get(app, "spec");
    json_object_set_new(spec, "monitoring",
                        json_pack("{s:b, s:b, s:{s:s}}", "exposeDriverMetrics", 1,
                                  "exposeExecutorMetrics", 1, "prometheus", "jmxExporterJar",
                                  "/prometheus/jmx_prometheus_javaagent.jar"));
    json_object_set_new(spec, "sparkConfigMap", json_string("prom1-conf"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("prom1", "COMPLETED", 30000));
    json_t *o = h_get("prom1");
    json_t *cm = NULL;
    assert_int_equal(kube_get(H.c, &KUBE_RES_CONFIGMAPS, "default", "prom1-prom-conf", &cm, NULL),
                     0);
    const json_t *ref = kube_object_controller_ref(cm);
    assert_non_null(ref);
    assert_string_equal(slu_json_str(ref, "uid"), kube_object_uid(o));
    assert_non_null(json_object_get(json_object_get(cm, "data"), "prometheus.yaml"));
    json_decref(cm);
    json_decref(o);
    json_t *p = driver_pod("prom1");
    assert_non_null(p);
    bool prom_vol = false, conf_vol = false;
    size_t i;
    json_t *v;
    json_array_foreach(slu_json_path(p, "spec.volumes"), i, v)
    {
        const char *cmn = slu_json_str(v, "configMap.name");
        prom_vol |= slu_streq(cmn, "prom1-prom-conf");
        conf_vol |= slu_streq(cmn, "prom1-conf");
    }
    assert_true(prom_vol);
    assert_true(conf_vol);
    json_decref(p);
}

/* A big application's executor churn is coalesced: at most one executor-only status write per
 * second, while executorCounts still counts every executor (those seen only while a write was
 * held back included). */
static void test_many_executors(void **state)
{
    (void)state;
    double w0 = h_metric(0, "sluice_operator_status_writes_total");
    json_t *app = h_app("wide1", 40, NULL);
    json_object_set_new(slu_json_path(app, "spec.executor"), "instances", json_integer(30));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("wide1", "COMPLETED", 60000));
    double w1 = h_metric(0, "sluice_operator_status_writes_total");
    json_t *o = h_get("wide1");
    int64_t total = 0;
    const char *ck;
    json_t *cv;
    json_object_foreach(slu_json_path(o, "status.executorCounts"), ck, cv) total +=
        json_integer_value(cv);
    assert_int_equal(total, 30);
    assert_int_equal(json_object_size(slu_json_path(o, "status.executorState")), 30);
    json_decref(o);
    /* attempt, SUBMITTED, RUNNING, SUCCEEDING, COMPLETED and the executor updates: 30 executors
     * going through 3 phases would be up to 90 writes without coalescing */
    assert_true(w0 >= 0 && w1 - w0 <= 25);
}

static void test_fail_never(void **state)
{
    (void)state;
    json_t *app = h_app("bad1", 4, "driver");
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("bad1", "FAILED", 30000));
    json_t *o = h_get("bad1");
    assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 1);
    const char *msg = slu_json_str(o, "status.applicationState.errorMessage");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "ExitCode: 1"));
    json_decref(o);
    assert_true(wait_events("bad1", "SparkApplicationFailed", 10000));
}

static void test_onfailure_retries(void **state)
{
    (void)state;
    json_t *app = h_app("retry1", 4, "driver");
    json_object_set_new(json_object_get(app, "spec"), "restartPolicy",
                        json_pack("{s:s, s:i, s:i}", "type", "OnFailure", "onFailureRetries", 2,
                                  "onFailureRetryInterval", 1));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("retry1", "FAILED", 60000));
    json_t *o = h_get("retry1");
    /* onFailureRetries=2: three runs */
    assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 3);
    assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 3);
    json_decref(o);
    assert_true(wait_events("retry1", "SparkApplicationPendingRerun", 5000));
}

static void test_always_restarts_success(void **state)
{
    (void)state;
    json_t *app = h_app("always1", 2, NULL);
    json_object_set_new(json_object_get(app, "spec"), "restartPolicy",
                        json_pack("{s:s}", "type", "Always"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    /* Always reruns a successful app: the attempts keep growing */
    bool rerun = false;
    for (int i = 0; i < 600 && !rerun; i++) {
        json_t *o = h_get("always1");
        rerun = slu_json_int(o, "status.executionAttempts", 0) >= 2;
        json_decref(o);
        if (!rerun)
            slu_sleep_ms(50);
    }
    assert_true(rerun);
    assert_int_equal(h_patch("always1", "{\"spec\":{\"suspend\":true}}"), 0);
    assert_true(h_wait_state("always1", "SUSPENDED", 20000));
}

static void test_submission_failed_then_fixed(void **state)
{
    (void)state;
    json_t *app = h_app("subfail1", 2, NULL);
    json_object_set_new(json_object_get(app, "spec"), "sparkConf",
                        json_pack("{s:s}", "spark.kubernetes.namespace", "elsewhere"));
    json_object_set_new(json_object_get(app, "spec"), "restartPolicy",
                        json_pack("{s:s, s:i, s:i}", "type", "OnFailure",
                                  "onSubmissionFailureRetries", 1,
                                  "onSubmissionFailureRetryInterval", 1));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("subfail1", "FAILED", 30000));
    json_t *o = h_get("subfail1");
    const char *msg = slu_json_str(o, "status.applicationState.errorMessage");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "spark.kubernetes.namespace")); /* names the field */
    /* one retry: two submission attempts, no run */
    assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 2);
    assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 0);
    json_decref(o);
    json_t *p = driver_pod("subfail1");
    assert_null(p);
    assert_true(wait_events("subfail1", "SparkApplicationSubmissionFailed", 5000));
    /* fixing the spec re-runs it */
    assert_int_equal(h_patch("subfail1", "{\"spec\":{\"sparkConf\":null}}"), 0);
    assert_true(h_wait_state("subfail1", "COMPLETED", 30000));
    o = h_get("subfail1");
    assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 1); /* reset */
    json_decref(o);
}

static void test_suspend_resume(void **state)
{
    (void)state;
    json_t *app = h_app("susp1", 1e6, NULL);
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("susp1", "RUNNING", 30000));
    assert_int_equal(h_patch("susp1", "{\"spec\":{\"suspend\":true}}"), 0);
    assert_true(h_wait_state("susp1", "SUSPENDED", 20000));
    /* the driver goes */
    json_t *p = NULL;
    for (int i = 0; i < 400; i++) {
        p = driver_pod("susp1");
        if (!p)
            break;
        json_decref(p);
        p = NULL;
        slu_sleep_ms(50);
    }
    assert_null(p);
    assert_true(wait_events("susp1", "SparkApplicationSuspended", 5000));
    /* resume with a short job */
    assert_int_equal(
        h_patch("susp1", "{\"spec\":{\"suspend\":false,\"driver\":{\"annotations\":{\"sim.sluice."
                         "dev/work-core-seconds\":\"2\"}}}}"),
        0);
    assert_true(h_wait_state("susp1", "COMPLETED", 30000));
    assert_true(wait_events("susp1", "SparkApplicationResuming", 5000));
}

static void test_spec_change_reruns(void **state)
{
    (void)state;
    json_t *app = h_app("chg1", 1e6, NULL);
    json_object_set_new(json_object_get(app, "spec"), "driverPodDisruptionBudget", json_true());
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("chg1", "RUNNING", 30000));
    json_t *pdb = NULL;
    for (int i = 0; i < 100 && !pdb; i++) {
        if (kube_get(H.c, &KUBE_RES_PDBS, "default", "chg1-driver-pdb", &pdb, NULL) < 0)
            slu_sleep_ms(50);
    }
    assert_non_null(pdb);
    assert_int_equal(slu_json_int(pdb, "spec.minAvailable", 0), 1);
    json_decref(pdb);
    json_t *o = h_get("chg1");
    char *sid1 = slu_strdup(slu_json_str(o, "status.submissionID"));
    json_decref(o);
    /* a change of suspend-neutral fields only (TTL) does not re-run */
    assert_int_equal(h_patch("chg1", "{\"spec\":{\"timeToLiveSeconds\":3600}}"), 0);
    slu_sleep_ms(300);
    o = h_get("chg1");
    assert_string_equal(slu_json_str(o, "status.submissionID"), sid1);
    assert_string_equal(slu_json_str(o, "status.applicationState.state"), "RUNNING");
    json_decref(o);
    /* a real change does */
    assert_int_equal(h_patch("chg1",
                             "{\"spec\":{\"arguments\":[\"10\"],\"driver\":{"
                             "\"annotations\":{\"sim.sluice.dev/work-core-seconds\":\"2\"}}}}"),
                     0);
    assert_true(h_wait_state("chg1", "COMPLETED", 30000));
    o = h_get("chg1");
    assert_string_not_equal(slu_json_str(o, "status.submissionID"), sid1);
    assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 1);
    json_decref(o);
    json_t *p = driver_pod("chg1");
    assert_non_null(p);
    assert_string_not_equal(json_string_value(json_object_get(slu_json_path(p, "metadata.labels"),
                                                              SPARK_LABEL_SUBMISSION_ID)),
                            sid1);
    json_decref(p);
    free(sid1);
}

static void test_driver_deleted(void **state)
{
    (void)state;
    json_t *app = h_app("del1", 1e6, NULL);
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("del1", "RUNNING", 30000));
    struct kube_delete_opts d = {.grace_period_seconds = 0};
    assert_int_equal(kube_delete(H.c, &KUBE_RES_PODS, "default", "del1-driver", &d, NULL, NULL), 0);
    assert_true(h_wait_state("del1", "FAILED", 30000));
    json_t *o = h_get("del1");
    assert_non_null(slu_json_str(o, "status.applicationState.errorMessage"));
    assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 1);
    json_decref(o);
}

static void test_ttl(void **state)
{
    (void)state;
    json_t *app = h_app("ttl1", 2, NULL);
    json_object_set_new(json_object_get(app, "spec"), "timeToLiveSeconds", json_integer(1));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    bool gone = false;
    for (int i = 0; i < 600 && !gone; i++) {
        json_t *o = h_get("ttl1");
        gone = o == NULL;
        json_decref(o);
        if (!gone)
            slu_sleep_ms(50);
    }
    assert_true(gone);
}

static void test_endpoints(void **state)
{
    (void)state;
    char *body = NULL;
    assert_int_equal(h_http_get(H.op_port[0], "/healthz", &body), 200);
    free(body);
    assert_int_equal(h_http_get(H.op_port[0], "/readyz", &body), 200);
    free(body);
    assert_int_equal(h_http_get(H.op_port[0], "/nope", &body), 404);
    free(body);
    assert_true(h_metric(0, "spark_application_success_count") >= 1);
    assert_true(h_metric(0, "spark_application_submit_count") >= 1);
    assert_true(h_metric(0, "spark_application_failure_count") >= 1);
    assert_true(h_metric(0, "sluice_operator_reconcile_total") >= 1);
    assert_true(h_metric(0, "workqueue_depth") >= 0);
    assert_true(h_metric(0, "sluice_operator_informer_relists_total") >= 0); /* exported */
    assert_true(h_metric(0, "sluice_operator_own_writes_skipped_total") >= 1);
    /* the scheduled controller's counters are part of the same /metrics */
    assert_true(h_metric(0, "sluice_scheduled_workqueue_depth") >= 0);
    assert_true(h_metric(0, "spark_application_submit_latency_seconds_histogram_count") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_prometheus_and_configmaps),
        cmocka_unit_test(test_many_executors),
        cmocka_unit_test(test_fail_never),
        cmocka_unit_test(test_onfailure_retries),
        cmocka_unit_test(test_always_restarts_success),
        cmocka_unit_test(test_submission_failed_then_fixed),
        cmocka_unit_test(test_suspend_resume),
        cmocka_unit_test(test_spec_change_reruns),
        cmocka_unit_test(test_driver_deleted),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests(tests, group_up, group_down);
}
