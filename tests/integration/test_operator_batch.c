/* test_operator_batch.c - `sluice operator` batch schedulers (src/operator/batch.c) and
 * driverIngressOptions (src/operator/ingress.c) end to end against `sluice sim`:
 * - an unknown spec.batchScheduler fails the submission naming the field and the values;
 * - volcano before the PodGroup CRD exists fails the submission naming the CRD;
 * - volcano with a minimal PodGroup CRD: the PodGroup (minMember, minResources, queue,
 *   priorityClassName, owner) exists before the driver, the driver and the executors carry
 *   scheduling.k8s.io/group-name and schedulerName volcano; the sim's scheduler leaves such pods
 *   Pending, so the test binds them itself (POST pods/NAME/binding, as Volcano would); the app
 *   reaches COMPLETED and the PodGroup is deleted;
 * - yunikorn: queue label, task-group-name and task-groups annotations on driver and executors;
 * - driverIngressOptions: the Services and Ingresses with the expected fields, deleted on
 *   suspension and created again on resume.
 * The tests run in this order (the PodGroup CRD is applied by the third). */
#include "test_operator_harness.h"

static const struct kube_resource RES_PODGROUPS = {"scheduling.volcano.sh", "v1beta1", "podgroups",
                                                   "PodGroup", true};

static int group_up(void **state)
{
    (void)state;
    if (h_sim_start(NULL, "20", NULL) || h_apply_crd())
        return -1;
    const char *extra[] = {"--ingress-class-name", "nginx", NULL};
    return h_op_start(0, extra);
}

static int group_down(void **state)
{
    (void)state;
    h_down(false);
    return 0;
}

static json_t *get_obj(const struct kube_resource *r, const char *name)
{
    json_t *o = NULL;
    if (kube_get(H.c, r, "default", name, &o, NULL) < 0)
        return NULL;
    return o;
}

static bool absent(const struct kube_resource *r, const char *name)
{
    json_t *o = NULL;
    int rc = kube_get(H.c, r, "default", name, &o, NULL);
    json_decref(o);
    return rc == SLU_ENOTFOUND;
}

static const char *ann(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(slu_json_path(o, "metadata.annotations"), key));
}

static const char *label(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(slu_json_path(o, "metadata.labels"), key));
}

/* The error message once the submission failed (owned), or NULL. With restartPolicy Never the
 * app passes SUBMISSION_FAILED and settles in FAILED with the same message and no execution. */
static char *submission_error(const char *name)
{
    for (int i = 0; i < 300; i++) {
        json_t *o = h_get(name);
        const char *st = slu_json_str(o, "status.applicationState.state");
        const char *m = slu_json_str(o, "status.applicationState.errorMessage");
        if ((slu_streq(st, "SUBMISSION_FAILED") || slu_streq(st, "FAILED")) && m && *m) {
            assert_int_equal(slu_json_int(o, "status.executionAttempts", 0), 0);
            assert_int_equal(slu_json_int(o, "status.submissionAttempts", 0), 1);
            char *r = slu_strdup(m);
            json_decref(o);
            return r;
        }
        json_decref(o);
        slu_sleep_ms(50);
    }
    fprintf(stderr, "%s: the submission did not fail\n", name);
    return NULL;
}

static char *first_node(void)
{
    json_t *l = NULL;
    char *n = NULL;
    if (kube_list(H.c, &KUBE_RES_NODES, NULL, NULL, &l, NULL) == 0)
        n = slu_strdup(
            slu_json_str(json_array_get(json_object_get(l, "items"), 0), "metadata.name"));
    json_decref(l);
    return n;
}

static int bind_pod(const char *pod, const char *node)
{
    char *path = slu_asprintf("/api/v1/namespaces/default/pods/%s/binding", pod);
    char *body = slu_asprintf("{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":"
                              "\"%s\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\","
                              "\"name\":\"%s\"}}",
                              pod, node);
    struct slu_err err = {0};
    int st = 0;
    int rc =
        kube_request(H.c, "POST", path, "application/json", body, strlen(body), &st, NULL, &err);
    if (rc)
        fprintf(stderr, "bind %s: %s\n", pod, err.msg);
    slu_err_release(&err);
    free(body);
    free(path);
    return rc;
}

/* The executor pods of app (a list's items, owned). */
static json_t *executors(const char *app)
{
    char sel[256];
    snprintf(sel, sizeof sel, "%s=%s,spark-role=executor", SPARK_LABEL_APP_NAME, app);
    struct kube_list_opts o = {.label_selector = sel};
    json_t *l = NULL;
    if (kube_list(H.c, &KUBE_RES_PODS, "default", &o, &l, NULL) < 0)
        return json_array();
    json_t *items = json_incref(json_object_get(l, "items"));
    json_decref(l);
    return items;
}

/* The driver's spark.properties text (owned), found through its conf volume. */
static char *driver_properties(const json_t *pod)
{
    json_t *vols = slu_json_path(pod, "spec.volumes");
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        if (!slu_streq(slu_json_str(v, "name"), "spark-conf-volume-driver"))
            continue;
        json_t *cm = get_obj(&KUBE_RES_CONFIGMAPS, slu_json_str(v, "configMap.name"));
        const char *t =
            json_string_value(json_object_get(json_object_get(cm, "data"), "spark.properties"));
        char *r = t ? slu_strdup(t) : NULL;
        json_decref(cm);
        return r;
    }
    return NULL;
}

/* Binds the pending driver, then every executor that appears (checking each with check), until
 * the app is COMPLETED. Returns the number of executors seen, -1 on timeout. */
static int run_as_scheduler(const char *app, void (*check)(const json_t *exec))
{
    char *node = first_node();
    assert_non_null(node);
    char pn[128];
    snprintf(pn, sizeof pn, "%s-driver", app);
    assert_int_equal(bind_pod(pn, node), 0);
    json_t *seen = json_object();
    int n = -1;
    for (int i = 0; i < 600; i++) {
        json_t *ex = executors(app);
        size_t k;
        json_t *p;
        json_array_foreach(ex, k, p)
        {
            const char *nm = kube_object_name(p);
            if (json_object_get(seen, nm))
                continue;
            check(p);
            json_object_set_new(seen, nm, json_true());
            if (!slu_json_str(p, "spec.nodeName"))
                assert_int_equal(bind_pod(nm, node), 0);
        }
        json_decref(ex);
        json_t *o = h_get(app);
        bool done = slu_streq(slu_json_str(o, "status.applicationState.state"), "COMPLETED");
        json_decref(o);
        if (done) {
            n = (int)json_object_size(seen);
            break;
        }
        slu_sleep_ms(50);
    }
    json_decref(seen);
    free(node);
    return n;
}

static void test_unknown_scheduler(void **state)
{
    (void)state;
    json_t *app = h_app("bs-unknown", 1, NULL);
    json_object_set_new(json_object_get(app, "spec"), "batchScheduler", json_string("kueue"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    char *m = submission_error("bs-unknown");
    assert_non_null(m);
    fprintf(stderr, "message: %s\n", m);
    assert_non_null(strstr(m, "spec.batchScheduler"));
    assert_non_null(strstr(m, "\"kueue\""));
    assert_non_null(strstr(m, "volcano"));
    assert_non_null(strstr(m, "yunikorn"));
    free(m);
    assert_true(absent(&KUBE_RES_PODS, "bs-unknown-driver"));
}

static void test_volcano_without_crd(void **state)
{
    (void)state;
    json_t *app = h_app("vc-nocrd", 1, NULL);
    json_object_set_new(json_object_get(app, "spec"), "batchScheduler", json_string("volcano"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    char *m = submission_error("vc-nocrd");
    assert_non_null(m);
    fprintf(stderr, "message: %s\n", m);
    assert_non_null(strstr(m, "podgroups.scheduling.volcano.sh"));
    assert_non_null(strstr(m, "not installed"));
    free(m);
    assert_true(absent(&KUBE_RES_PODS, "vc-nocrd-driver"));
}

static void apply_podgroup_crd(void)
{
    json_t *crd = json_loads(
        "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        "\"metadata\":{\"name\":\"podgroups.scheduling.volcano.sh\"},\"spec\":{\"group\":"
        "\"scheduling.volcano.sh\",\"scope\":\"Namespaced\",\"names\":{\"kind\":\"PodGroup\","
        "\"listKind\":\"PodGroupList\",\"plural\":\"podgroups\",\"singular\":\"podgroup\"},"
        "\"versions\":[{\"name\":\"v1beta1\",\"served\":true,\"storage\":true,\"subresources\":"
        "{\"status\":{}},\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
        "\"x-kubernetes-preserve-unknown-fields\":true}}}]}}",
        0, NULL);
    assert_non_null(crd);
    assert_int_equal(kube_create(H.c, &KUBE_RES_CRDS, NULL, crd, NULL, NULL), 0);
    json_decref(crd);
    bool served = false;
    for (int i = 0; i < 500 && !served; i++) {
        json_t *l = NULL;
        served = kube_list(H.c, &RES_PODGROUPS, "default", NULL, &l, NULL) == 0;
        json_decref(l);
        if (!served)
            slu_sleep_ms(20);
    }
    assert_true(served);
}

static void check_volcano_executor(const json_t *p)
{
    assert_string_equal(ann(p, "scheduling.k8s.io/group-name"), "spark-vc1-pg");
    assert_string_equal(slu_json_str(p, "spec.schedulerName"), "volcano");
}

static void test_volcano(void **state)
{
    (void)state;
    apply_podgroup_crd();
    json_t *app = h_app("vc1", 4, NULL);
    json_t *spec = json_object_get(app, "spec");
    json_object_set_new(spec, "batchScheduler", json_string("volcano"));
    json_object_set_new(spec, "batchSchedulerOptions",
                        json_pack("{s:s, s:s}", "queue", "q-batch", "priorityClassName", "high"));
    json_object_set_new(json_object_get(spec, "executor"), "instances", json_integer(2));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("vc1", "SUBMITTED", 15000));
    json_t *o = h_get("vc1");
    json_t *pg = get_obj(&RES_PODGROUPS, "spark-vc1-pg");
    assert_non_null(pg);
    assert_int_equal(slu_json_int(pg, "spec.minMember", 0), 1);
    assert_string_equal(slu_json_str(pg, "spec.queue"), "q-batch");
    assert_string_equal(slu_json_str(pg, "spec.priorityClassName"), "high");
    /* driver 10m + 512m heap + 384Mi overhead; 2 executors of the same size */
    assert_string_equal(slu_json_str(pg, "spec.minResources.cpu"), "30m");
    assert_string_equal(slu_json_str(pg, "spec.minResources.memory"), "2688Mi");
    const json_t *ref = kube_object_controller_ref(pg);
    assert_non_null(ref);
    assert_string_equal(slu_json_str(ref, "kind"), "SparkApplication");
    assert_string_equal(slu_json_str(ref, "uid"), kube_object_uid(o));
    json_decref(pg);
    json_decref(o);
    /* the driver: annotated, for Volcano, not scheduled by the default scheduler */
    json_t *d = get_obj(&KUBE_RES_PODS, "vc1-driver");
    assert_non_null(d);
    assert_string_equal(ann(d, "scheduling.k8s.io/group-name"), "spark-vc1-pg");
    assert_string_equal(slu_json_str(d, "spec.schedulerName"), "volcano");
    assert_null(slu_json_str(d, "spec.nodeName"));
    char *props = driver_properties(d);
    assert_non_null(props);
    assert_non_null(strstr(
        props,
        "\nspark.kubernetes.executor.annotation.scheduling.k8s.io/group-name=spark-vc1-pg\n"));
    assert_non_null(strstr(
        props, "\nspark.kubernetes.driver.annotation.scheduling.k8s.io/group-name=spark-vc1-pg\n"));
    free(props);
    json_decref(d);
    /* play Volcano: bind the driver and its executors; the run completes */
    assert_int_equal(run_as_scheduler("vc1", check_volcano_executor), 2);
    /* cleanup on COMPLETED */
    bool gone = false;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = absent(&RES_PODGROUPS, "spark-vc1-pg");
        if (!gone)
            slu_sleep_ms(50);
    }
    assert_true(gone);
}

/* batchSchedulerOptions.resources replaces the computed minResources; a rerun (suspend) deletes
 * the PodGroup with the other resources. */
static void test_volcano_given_resources_and_suspend(void **state)
{
    (void)state;
    json_t *app = h_app("vc2", 4, NULL);
    json_t *spec = json_object_get(app, "spec");
    json_object_set_new(spec, "batchScheduler", json_string("volcano"));
    json_object_set_new(spec, "batchSchedulerOptions",
                        json_pack("{s:{s:s, s:s}}", "resources", "cpu", "7", "memory", "9Gi"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("vc2", "SUBMITTED", 15000));
    json_t *pg = get_obj(&RES_PODGROUPS, "spark-vc2-pg");
    assert_non_null(pg);
    assert_string_equal(slu_json_str(pg, "spec.minResources.cpu"), "7");
    assert_string_equal(slu_json_str(pg, "spec.minResources.memory"), "9Gi");
    assert_null(slu_json_str(pg, "spec.queue"));
    json_decref(pg);
    assert_int_equal(h_patch("vc2", "{\"spec\":{\"suspend\":true}}"), 0);
    assert_true(h_wait_state("vc2", "SUSPENDED", 15000));
    assert_true(absent(&RES_PODGROUPS, "spark-vc2-pg"));
}

static void check_yunikorn_executor(const json_t *p)
{
    assert_string_equal(label(p, "queue"), "root.spark");
    assert_string_equal(ann(p, "yunikorn.apache.org/task-group-name"), "spark-executor");
    assert_null(ann(p, "yunikorn.apache.org/task-groups"));
    assert_string_equal(slu_json_str(p, "spec.schedulerName"), "yunikorn");
}

static void test_yunikorn(void **state)
{
    (void)state;
    json_t *app = h_app("yk1", 4, NULL);
    json_t *spec = json_object_get(app, "spec");
    json_object_set_new(spec, "batchScheduler", json_string("yunikorn"));
    json_object_set_new(spec, "batchSchedulerOptions", json_pack("{s:s}", "queue", "root.spark"));
    json_object_set_new(spec, "nodeSelector", json_pack("{s:s}", "disk", "ssd"));
    json_object_set_new(json_object_get(spec, "executor"), "instances", json_integer(3));
    json_object_set_new(json_object_get(spec, "driver"), "tolerations",
                        json_pack("[{s:s, s:s, s:s}]", "key", "batch", "operator", "Exists",
                                  "effect", "NoSchedule"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("yk1", "SUBMITTED", 15000));
    json_t *d = get_obj(&KUBE_RES_PODS, "yk1-driver");
    assert_non_null(d);
    assert_string_equal(slu_json_str(d, "spec.schedulerName"), "yunikorn");
    assert_string_equal(label(d, "queue"), "root.spark");
    assert_string_equal(ann(d, "yunikorn.apache.org/task-group-name"), "spark-driver");
    const char *tgs = ann(d, "yunikorn.apache.org/task-groups");
    assert_non_null(tgs);
    json_t *g = json_loads(tgs, 0, NULL);
    assert_true(json_is_array(g));
    assert_int_equal(json_array_size(g), 2);
    json_t *g0 = json_array_get(g, 0), *g1 = json_array_get(g, 1);
    assert_string_equal(slu_json_str(g0, "name"), "spark-driver");
    assert_int_equal(slu_json_int(g0, "minMember", 0), 1);
    assert_string_equal(slu_json_str(g0, "minResource.cpu"), "10m");
    assert_string_equal(slu_json_str(g0, "minResource.memory"), "896Mi");
    assert_string_equal(slu_json_str(g0, "nodeSelector.disk"), "ssd");
    assert_string_equal(slu_json_str(json_array_get(json_object_get(g0, "tolerations"), 0), "key"),
                        "batch");
    assert_string_equal(slu_json_str(g1, "name"), "spark-executor");
    assert_int_equal(slu_json_int(g1, "minMember", 0), 3);
    assert_string_equal(slu_json_str(g1, "minResource.cpu"), "10m");
    assert_string_equal(slu_json_str(g1, "minResource.memory"), "896Mi");
    assert_null(json_object_get(g1, "tolerations"));
    json_decref(g);
    /* no PodGroup for yunikorn */
    assert_true(absent(&RES_PODGROUPS, "spark-yk1-pg"));
    json_decref(d);
    /* the sim's nodes have no disk=ssd label, but a bind ignores nodeSelector: play YuniKorn */
    assert_int_equal(run_as_scheduler("yk1", check_yunikorn_executor), 3);
}

static void test_driver_ingresses(void **state)
{
    (void)state;
    json_t *app = h_app("ing1", 200, NULL);
    json_t *spec = json_object_get(app, "spec");
    json_object_set_new(spec, "sparkUIOptions",
                        json_pack("{s:{s:s}}", "ingressAnnotations", "ui-ann", "from-ui"));
    json_object_set_new(
        spec, "driverIngressOptions",
        json_pack("[{s:i, s:s, s:{s:s}, s:{s:s}, s:s, s:{s:s}, s:[{s:[s], s:s}]}, {s:i, s:s, "
                  "s:s}]",
                  "servicePort", 4041, "servicePortName", "ui2", "serviceLabels", "team", "a",
                  "serviceAnnotations", "svc-ann", "x", "ingressURLFormat",
                  "{{$appName}}.example.com/spark/{{$appNamespace}}", "ingressAnnotations",
                  "ing-ann", "y", "ingressTLS", "hosts", "ing1.example.com", "secretName",
                  "tls-secret", "servicePort", 4042, "servicePortName", "p2", "ingressURLFormat",
                  "ing.example.com"));
    assert_int_equal(h_create(app), 0);
    json_decref(app);
    assert_true(h_wait_state("ing1", "RUNNING", 20000));
    json_t *o = h_get("ing1");
    const char *uid = kube_object_uid(o);
    /* entry 1: Service */
    json_t *s1 = get_obj(&KUBE_RES_SERVICES, "ing1-driver-4041");
    assert_non_null(s1);
    assert_string_equal(label(s1, SPARK_LABEL_APP_NAME), "ing1");
    assert_string_equal(label(s1, OP_LABEL_CREATED_BY), "true");
    assert_string_equal(label(s1, "team"), "a");
    assert_string_equal(ann(s1, "svc-ann"), "x");
    assert_string_equal(slu_json_str(s1, "spec.type"), "ClusterIP");
    assert_string_equal(slu_json_str(s1, "spec.selector.spark-role"), "driver");
    assert_string_equal(json_string_value(json_object_get(slu_json_path(s1, "spec.selector"),
                                                          SPARK_LABEL_APP_NAME)),
                        "ing1");
    json_t *port = json_array_get(slu_json_path(s1, "spec.ports"), 0);
    assert_string_equal(slu_json_str(port, "name"), "ui2");
    assert_int_equal(slu_json_int(port, "port", 0), 4041);
    assert_int_equal(slu_json_int(port, "targetPort", 0), 4041);
    assert_string_equal(slu_json_str(kube_object_controller_ref(s1), "uid"), uid);
    char *s1_uid = slu_strdup(kube_object_uid(s1));
    json_decref(s1);
    /* entry 1: Ingress */
    json_t *i1 = get_obj(&KUBE_RES_INGRESSES, "ing1-ing-4041");
    assert_non_null(i1);
    json_t *rule = json_array_get(slu_json_path(i1, "spec.rules"), 0);
    assert_string_equal(slu_json_str(rule, "host"), "ing1.example.com");
    json_t *path = json_array_get(slu_json_path(rule, "http.paths"), 0);
    assert_string_equal(slu_json_str(path, "path"), "/spark/default(/|$)(.*)");
    assert_string_equal(slu_json_str(path, "pathType"), "ImplementationSpecific");
    assert_string_equal(slu_json_str(path, "backend.service.name"), "ing1-driver-4041");
    assert_int_equal(slu_json_int(path, "backend.service.port.number", 0), 4041);
    assert_string_equal(ann(i1, "ing-ann"), "y");
    assert_null(ann(i1, "ui-ann"));
    assert_string_equal(ann(i1, "nginx.ingress.kubernetes.io/rewrite-target"), "/$2");
    assert_string_equal(slu_json_str(i1, "spec.ingressClassName"), "nginx");
    json_t *tls = json_array_get(slu_json_path(i1, "spec.tls"), 0);
    assert_string_equal(slu_json_str(tls, "secretName"), "tls-secret");
    assert_string_equal(slu_json_str(kube_object_controller_ref(i1), "uid"), uid);
    json_decref(i1);
    /* entry 2: defaults, and sparkUIOptions' annotations (the reference's source) */
    json_t *s2 = get_obj(&KUBE_RES_SERVICES, "ing1-driver-4042");
    assert_non_null(s2);
    assert_string_equal(slu_json_str(json_array_get(slu_json_path(s2, "spec.ports"), 0), "name"),
                        "p2");
    json_decref(s2);
    json_t *i2 = get_obj(&KUBE_RES_INGRESSES, "ing1-ing-4042");
    assert_non_null(i2);
    rule = json_array_get(slu_json_path(i2, "spec.rules"), 0);
    assert_string_equal(slu_json_str(rule, "host"), "ing.example.com");
    assert_string_equal(slu_json_str(json_array_get(slu_json_path(rule, "http.paths"), 0), "path"),
                        "/");
    assert_string_equal(ann(i2, "ui-ann"), "from-ui");
    assert_null(ann(i2, "nginx.ingress.kubernetes.io/rewrite-target"));
    assert_null(slu_json_path(i2, "spec.tls"));
    json_decref(i2);
    json_decref(o);
    /* suspension deletes them with the other resources */
    assert_int_equal(h_patch("ing1", "{\"spec\":{\"suspend\":true}}"), 0);
    assert_true(h_wait_state("ing1", "SUSPENDED", 15000));
    assert_true(absent(&KUBE_RES_SERVICES, "ing1-driver-4041"));
    assert_true(absent(&KUBE_RES_SERVICES, "ing1-driver-4042"));
    assert_true(absent(&KUBE_RES_INGRESSES, "ing1-ing-4041"));
    assert_true(absent(&KUBE_RES_INGRESSES, "ing1-ing-4042"));
    /* the resumed run has them again (new objects) */
    assert_int_equal(h_patch("ing1", "{\"spec\":{\"suspend\":false}}"), 0);
    assert_true(h_wait_state("ing1", "RUNNING", 20000));
    s1 = get_obj(&KUBE_RES_SERVICES, "ing1-driver-4041");
    assert_non_null(s1);
    assert_string_not_equal(kube_object_uid(s1), s1_uid);
    json_decref(s1);
    i2 = get_obj(&KUBE_RES_INGRESSES, "ing1-ing-4042");
    assert_non_null(i2);
    json_decref(i2);
    free(s1_uid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_scheduler),
        cmocka_unit_test(test_volcano_without_crd),
        cmocka_unit_test(test_volcano),
        cmocka_unit_test(test_volcano_given_resources_and_suspend),
        cmocka_unit_test(test_yunikorn),
        cmocka_unit_test(test_driver_ingresses),
    };
    return cmocka_run_group_tests(tests, group_up, group_down);
}
