/* test_sim_spark.c - SparkPi against a real `sluice sim` child process, over HTTP, the way
 * `spark-submit --deploy-mode cluster` talks to Kubernetes: the driver objects come from
 * spark_build and are created with the kube client (driver pod first, then the other objects
 * owned by it); the sim's Spark driver model then creates executors, runs the job, cleans up and
 * ends the driver pod; the driver log is read through GET .../pods/NAME/log.
 *
 * Groups: a plain sim at --time-scale 100 (SparkPi succeeds; executor-oom fails with exit 11),
 * and a sim whose API server restarts every 100 ms (the "restart" fault keeps the store and the
 * cluster model, so the driver still runs to completion while clients reconnect). */

#include "test.h"

#include "kube/kube.h"
#include "spark/spark.h"
#include "sim_harness.h"

static struct sim_harness SIM;

static int sim_up(const char *faults)
{
    const char *extra[] = {
        "--time-scale", "100", "--nodes", "3x16c64Gi", faults ? "--faults" : NULL, faults, NULL};
    if (sim_harness_start(&SIM, "itsp", extra) < 0)
        return -1;
    return sim_harness_connect(&SIM, 500, 1000);
}

static int sim_down(void **state)
{
    (void)state;
    sim_harness_stop(&SIM);
    return 0;
}

static int up_plain(void **state)
{
    (void)state;
    return sim_up(NULL);
}

static int up_restart(void **state)
{
    (void)state;
    return sim_up("restart=100ms");
}

/* ---------------------------------------------------------------- helpers */

static const struct kube_resource *res_of(const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (slu_streq(kind, "Pod"))
        return &KUBE_RES_PODS;
    if (slu_streq(kind, "ConfigMap"))
        return &KUBE_RES_CONFIGMAPS;
    if (slu_streq(kind, "Service"))
        return &KUBE_RES_SERVICES;
    if (slu_streq(kind, "Secret"))
        return &KUBE_RES_SECRETS;
    if (slu_streq(kind, "PersistentVolumeClaim"))
        return &KUBE_RES_PVCS;
    return NULL;
}

/* Calls that ride through the API server's restarts: retried on transport errors. A create whose
 * answer was lost comes back as AlreadyExists, then the object is read. */
static int create_retry(const struct kube_resource *r, const json_t *obj, json_t **out)
{
    struct slu_err err = {0};
    int rc = SLU_EIO;
    for (int i = 0; i < 200; i++) {
        slu_err_release(&err);
        rc = kube_create(SIM.c, r, "default", obj, out, &err);
        if (rc == SLU_EEXIST && i > 0)
            rc = kube_get(SIM.c, r, "default", kube_object_name(obj), out, &err);
        if (rc != SLU_EIO && rc != SLU_ESERVER && rc != SLU_ETIMEDOUT)
            break;
        slu_sleep_ms(20);
    }
    if (rc)
        fprintf(stderr, "create %s: %s\n", kube_object_name(obj), err.msg);
    slu_err_release(&err);
    return rc;
}

static json_t *get_retry(const char *name)
{
    for (int i = 0; i < 200; i++) {
        json_t *o = NULL;
        int rc = kube_get(SIM.c, &KUBE_RES_PODS, "default", name, &o, NULL);
        if (rc == 0)
            return o;
        if (rc == SLU_ENOTFOUND)
            return NULL;
        slu_sleep_ms(20);
    }
    return NULL;
}

static json_t *list_retry(const struct kube_resource *r, const char *selector)
{
    struct kube_list_opts lo = {.label_selector = selector};
    for (int i = 0; i < 200; i++) {
        json_t *o = NULL;
        if (kube_list(SIM.c, r, "default", &lo, &o, NULL) == 0)
            return o;
        slu_sleep_ms(20);
    }
    fail_msg("list %s never answered", r->plural);
    return NULL;
}

static char *pod_log(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods/%s/log", name);
    for (int i = 0; i < 200; i++) {
        struct slu_buf b = {0};
        int status = 0;
        struct slu_err err = {0};
        int rc = kube_request(SIM.c, "GET", path, NULL, NULL, 0, &status, &b, &err);
        slu_err_release(&err);
        if (rc == 0)
            return b.data ? slu_buf_steal(&b) : slu_strdup("");
        slu_buf_release(&b);
        slu_sleep_ms(20);
    }
    fail_msg("log of %s never answered", name);
    return NULL;
}

/* Builds SparkPi as spark-submit would and creates it: the driver pod, then every other object
 * with the created pod as owner. Returns the driver pod name (owned). */
static char *submit_sparkpi(const char *app_name, const char *unique_id, const char *app_id,
                            const char *fail, int instances)
{
    struct spark_conf *conf = spark_conf_new();
    spark_conf_set(conf, "spark.app.name", app_name);
    spark_conf_set(conf, "spark.kubernetes.container.image", "apache/spark:4.0.0");
    char n[16];
    snprintf(n, sizeof(n), "%d", instances);
    spark_conf_set(conf, "spark.executor.instances", n);
    spark_conf_set(conf, "spark.executor.maxNumFailures", "2");
    struct spark_build_input in = {0};
    in.conf = conf;
    in.spark_version = "4.0.0";
    in.main_class = "org.apache.spark.examples.SparkPi";
    in.primary_resource = "local:///opt/spark/examples/jars/spark-examples.jar";
    in.unique_id = unique_id;
    in.app_id = app_id;
    in.spark_user = "alice";
    json_t *objs = NULL;
    char *ns = NULL;
    struct slu_err err = {0};
    if (spark_build(&in, &objs, &ns, &err) != 0)
        fail_msg("spark_build: %s", err.msg);
    free(ns);
    json_t *pod = json_deep_copy(json_array_get(objs, 0));
    json_t *ann = json_pack("{s:s}", "sim.sluice.dev/work-core-seconds", "30");
    if (fail)
        json_object_set_new(ann, "sim.sluice.dev/fail", json_string(fail));
    json_object_set_new(json_object_get(pod, "metadata"), "annotations", ann);
    json_t *created = NULL;
    assert_int_equal(create_retry(&KUBE_RES_PODS, pod, &created), 0);
    json_decref(pod);
    spark_build_set_owner(objs, created);
    for (size_t i = 1; i < json_array_size(objs); i++) {
        const json_t *o = json_array_get(objs, i);
        const struct kube_resource *r = res_of(o);
        assert_non_null(r);
        assert_int_equal(create_retry(r, o, NULL), 0);
    }
    char *name = slu_strdup(kube_object_name(created));
    json_decref(created);
    json_decref(objs);
    spark_conf_free(conf);
    return name;
}

struct seen {
    json_t *execs;   /* name -> true */
    json_t *running; /* name -> true */
};

/* Polls until the driver ends; records the executors seen. Returns the final driver pod. */
static json_t *wait_driver(const char *driver, const char *app_id, struct seen *s)
{
    s->execs = json_object();
    s->running = json_object();
    char sel[256];
    snprintf(sel, sizeof(sel), "spark-app-selector=%s,spark-role=executor", app_id);
    for (int i = 0; i < 3000; i++) { /* about 60 s at most */
        json_t *list = list_retry(&KUBE_RES_PODS, sel);
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(list, "items"), j, x)
        {
            json_object_set_new(s->execs, kube_object_name(x), json_true());
            if (slu_streq(slu_json_str(x, "status.phase"), "Running"))
                json_object_set_new(s->running, kube_object_name(x), json_true());
        }
        json_decref(list);
        json_t *d = get_retry(driver);
        const char *phase = slu_json_str(d, "status.phase");
        if (slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed"))
            return d;
        json_decref(d);
        slu_sleep_ms(20);
    }
    fail_msg("driver %s did not end", driver);
    return NULL;
}

static void seen_release(struct seen *s)
{
    json_decref(s->execs);
    json_decref(s->running);
}

static void check_sparkpi_success(const char *app, const char *uid, const char *app_id)
{
    char *driver = submit_sparkpi(app, uid, app_id, NULL, 2);
    struct seen s;
    json_t *d = wait_driver(driver, app_id, &s);
    assert_string_equal(slu_json_str(d, "status.phase"), "Succeeded");
    assert_int_equal(slu_json_int(d, "status.containerStatuses[0].state.terminated.exitCode", -1),
                     0);
    json_decref(d);
    /* executors appeared, ran, and are gone */
    assert_true(json_object_size(s.execs) >= 1);
    assert_true(json_object_size(s.running) >= 1);
    char sel[256];
    snprintf(sel, sizeof(sel), "spark-app-selector=%s,spark-role=executor", app_id);
    json_t *left = list_retry(&KUBE_RES_PODS, sel);
    assert_int_equal(json_array_size(json_object_get(left, "items")), 0);
    json_decref(left);
    /* the driver log, through the API */
    char *log = pod_log(driver);
    const char *pi = strstr(log, "\nPi is roughly 3.14");
    assert_non_null(pi);
    const char *stopped = strstr(log, "INFO SparkContext: Successfully stopped SparkContext");
    assert_non_null(stopped);
    assert_true(stopped > pi);
    assert_non_null(strstr(log, "Registered executor NettyRpcEndpointRef"));
    assert_non_null(strstr(stopped, "INFO ShutdownHookManager: Shutdown hook called"));
    free(log);
    seen_release(&s);
    free(driver);
}

/* ---------------------------------------------------------------- tests */

static void test_sparkpi_completes(void **state)
{
    (void)state;
    check_sparkpi_success("spark-pi", "1a2b3c941f297c00", "spark-00000000000000000000000000000001");
}

static void test_executor_oom_fails_the_driver(void **state)
{
    (void)state;
    const char *app_id = "spark-00000000000000000000000000000002";
    char *driver = submit_sparkpi("spark-oom", "2b2b3c941f297c00", app_id, "executor-oom", 1);
    struct seen s;
    json_t *d = wait_driver(driver, app_id, &s);
    assert_string_equal(slu_json_str(d, "status.phase"), "Failed");
    assert_int_equal(slu_json_int(d, "status.containerStatuses[0].state.terminated.exitCode", -1),
                     11);
    json_decref(d);
    char *log = pod_log(driver);
    assert_non_null(strstr(log, "Max number of executor failures (2) reached"));
    free(log);
    seen_release(&s);
    free(driver);
}

static void test_sparkpi_through_api_restarts(void **state)
{
    (void)state;
    check_sparkpi_success("spark-pi-restarts", "3c2b3c941f297c00",
                          "spark-00000000000000000000000000000003");
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_sparkpi_completes),
        cmocka_unit_test(test_executor_oom_fails_the_driver),
    };
    const struct CMUnitTest restarts[] = {
        cmocka_unit_test(test_sparkpi_through_api_restarts),
    };
    int fails = cmocka_run_group_tests_name("plain", plain, up_plain, sim_down);
    fails += cmocka_run_group_tests_name("restart", restarts, up_restart, sim_down);
    return fails;
}
