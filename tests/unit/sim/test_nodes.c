/* Tests for src/sim/nodes.c: the --nodes grammar, the Node objects, and pod/node resources. */
#include "test.h"

#include "sim/parts.h"

static json_t *parse_ok(const char *spec)
{
    json_t *nodes = NULL;
    struct slu_err err = {0};
    int rc = sim_nodes_parse(spec, &nodes, &err);
    if (rc != 0)
        fail_msg("spec \"%s\": %s", spec ? spec : "(null)", err.msg);
    slu_err_release(&err);
    return nodes;
}

static const json_t *condition(const json_t *node, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(slu_json_path(node, "status.conditions"), i, c)
    {
        if (slu_streq(json_string_value(json_object_get(c, "type")), type))
            return c;
    }
    return NULL;
}

static void test_default_spec(void **state)
{
    (void)state;
    json_t *nodes = parse_ok(NULL);
    assert_int_equal(json_array_size(nodes), 3);
    for (size_t i = 0; i < 3; i++) {
        const json_t *n = json_array_get(nodes, i);
        char want[64];
        snprintf(want, sizeof(want), "sim-node-0-%zu", i);
        assert_string_equal(slu_json_str(n, "metadata.name"), want);
        assert_string_equal(slu_json_str(n, "kind"), "Node");
        assert_string_equal(slu_json_str(n, "status.capacity.cpu"), "8");
        assert_string_equal(slu_json_str(n, "status.capacity.memory"), "32Gi");
        assert_string_equal(slu_json_str(n, "status.capacity.pods"), "110");
        assert_non_null(slu_json_str(n, "status.capacity.ephemeral-storage"));
        assert_string_equal(slu_json_str(n, "status.allocatable.cpu"), "8");
        const json_t *labels = slu_json_path(n, "metadata.labels");
        assert_string_equal(json_string_value(json_object_get(labels, "kubernetes.io/hostname")),
                            want);
        assert_string_equal(json_string_value(json_object_get(labels, "kubernetes.io/os")),
                            "linux");
        assert_string_equal(
            json_string_value(json_object_get(labels, "node.kubernetes.io/instance-type")),
            "sim-8c32Gi");
        const json_t *ready = condition(n, "Ready");
        assert_non_null(ready);
        assert_string_equal(json_string_value(json_object_get(ready, "status")), "True");
        assert_string_equal(json_string_value(json_object_get(ready, "reason")), "KubeletReady");
        assert_string_equal(slu_json_str(n, "status.addresses[0].type"), "InternalIP");
        assert_true(slu_str_has_prefix(slu_json_str(n, "status.addresses[0].address"), "10.0."));
        assert_non_null(slu_json_str(n, "status.nodeInfo.kubeletVersion"));
        assert_null(slu_json_path(n, "spec.taints"));
    }
    /* addresses differ between nodes */
    assert_string_not_equal(slu_json_str(json_array_get(nodes, 0), "status.addresses[0].address"),
                            slu_json_str(json_array_get(nodes, 1), "status.addresses[0].address"));
    json_decref(nodes);
    /* "" means the default too */
    nodes = parse_ok("");
    assert_int_equal(json_array_size(nodes), 3);
    json_decref(nodes);
}

static void test_pools_labels_taints(void **state)
{
    (void)state;
    json_t *nodes = parse_ok("20x32c128Gi:pool=big:taint=dedicated=spark:NoSchedule:"
                             "taint=gpu:NoExecute;2x4c16Gi:disk=50Gi:pods=30:gpu=2");
    assert_int_equal(json_array_size(nodes), 22);
    const json_t *b = json_array_get(nodes, 0);
    assert_string_equal(slu_json_str(b, "metadata.name"), "sim-node-big-0");
    assert_string_equal(slu_json_str(json_array_get(nodes, 19), "metadata.name"),
                        "sim-node-big-19");
    assert_string_equal(
        json_string_value(json_object_get(slu_json_path(b, "metadata.labels"), "pool")), "big");
    assert_string_equal(slu_json_str(b, "status.capacity.cpu"), "32");
    const json_t *taints = slu_json_path(b, "spec.taints");
    assert_int_equal(json_array_size(taints), 2);
    assert_string_equal(slu_json_str(b, "spec.taints[0].key"), "dedicated");
    assert_string_equal(slu_json_str(b, "spec.taints[0].value"), "spark");
    assert_string_equal(slu_json_str(b, "spec.taints[0].effect"), "NoSchedule");
    assert_string_equal(slu_json_str(b, "spec.taints[1].key"), "gpu");
    assert_null(slu_json_path(b, "spec.taints[1].value"));
    assert_string_equal(slu_json_str(b, "spec.taints[1].effect"), "NoExecute");
    const json_t *s = json_array_get(nodes, 20);
    assert_string_equal(slu_json_str(s, "metadata.name"), "sim-node-1-0");
    assert_string_equal(slu_json_str(s, "status.capacity.pods"), "30");
    assert_string_equal(slu_json_str(s, "status.capacity.ephemeral-storage"), "50Gi");
    assert_string_equal(slu_json_str(s, "status.capacity.nvidia\\.com/gpu"), "2");
    assert_null(slu_json_path(s, "spec.taints"));
    json_decref(nodes);

    /* ',' separates pools too; name= and type= */
    nodes = parse_ok("1x2c4Gi:name=small:type=m5.large,3x500mc1Gi");
    assert_int_equal(json_array_size(nodes), 4);
    assert_string_equal(slu_json_str(json_array_get(nodes, 0), "metadata.name"),
                        "sim-node-small-0");
    assert_string_equal(json_string_value(json_object_get(
                            slu_json_path(json_array_get(nodes, 0), "metadata.labels"),
                            "node.kubernetes.io/instance-type")),
                        "m5.large");
    assert_string_equal(slu_json_str(json_array_get(nodes, 3), "status.capacity.cpu"), "500m");
    json_decref(nodes);

    /* count defaults to 1 */
    nodes = parse_ok("16c64Gi");
    assert_int_equal(json_array_size(nodes), 1);
    json_decref(nodes);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *must;
    } cases[] = {
        {"3x", "pool 0 \"3x\""},
        {"x8c32Gi", "bad node count"},
        {"0x8c32Gi", "node count"},
        {"3x8c", "expected COUNTxCPUcMEMORY"},
        {"3xfooc32Gi", "bad CPU \"foo\""},
        {"3x8cbar", "bad memory \"bar\""},
        {"3x8c32Gi:taint=a=b", "needs an effect"},
        {"3x8c32Gi:NoSchedule", "without a taint"},
        {"3x8c32Gi:taint=a:Sometimes", "needs an effect"},
        {"3x8c32Gi:bad key=v", "label \"bad key=v\""},
        {"3x8c32Gi:k=bad value!", "label \"k=bad value!\""},
        {"3x8c32Gi:justtext", "bad field \"justtext\""},
        {"1x1c1Gi:name=a;1x1c1Gi:name=a", "used twice"},
        {"1x1c1Gi:name=Not_Valid", "DNS-1123"},
        {"1x1c1Gi:pods=-1", "bad number"},
        {"1x1c1Gi;10000x1c1Gi", "more than 10000"},
        {"1x1c1Gi;;1x1c1Gi", "pool 1 is empty"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        json_t *nodes = (json_t *)1;
        struct slu_err err = {0};
        int rc = sim_nodes_parse(cases[i].spec, &nodes, &err);
        if (rc == 0 || !strstr(err.msg, cases[i].must))
            fail_msg("spec \"%s\": rc %d, message \"%s\" lacks \"%s\"", cases[i].spec, rc, err.msg,
                     cases[i].must);
        assert_null(nodes);
        slu_err_release(&err);
    }
}

static json_t *pod_json(const char *text)
{
    json_error_t je;
    json_t *p = json_loads(text, 0, &je);
    if (!p)
        fail_msg("bad test JSON: %s", je.text);
    return p;
}

static void test_pod_requests(void **state)
{
    (void)state;
    struct sim_resources r;
    /* sum over containers; limits stand in for missing requests */
    json_t *p = pod_json("{\"spec\":{\"containers\":["
                         "{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"500m\","
                         "\"memory\":\"1Gi\"}}},"
                         "{\"name\":\"b\",\"resources\":{\"limits\":{\"cpu\":1,\"memory\":"
                         "\"512Mi\",\"nvidia.com/gpu\":\"2\"}}}]}}");
    sim_pod_requests(p, &r);
    assert_int_equal(r.cpu_m, 1500);
    assert_int_equal(r.mem, 1536LL * 1024 * 1024);
    assert_int_equal(r.pods, 1);
    assert_int_equal(sim_resources_scalar(&r, "nvidia.com/gpu"), 2);
    sim_resources_release(&r);
    json_decref(p);

    /* init containers: max(sum of containers, largest init container) */
    p = pod_json("{\"spec\":{\"initContainers\":["
                 "{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"3\",\"memory\":"
                 "\"100Mi\"}}}],"
                 "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"1\","
                 "\"memory\":\"1Gi\"}}}]}}");
    sim_pod_requests(p, &r);
    assert_int_equal(r.cpu_m, 3000);
    assert_int_equal(r.mem, 1024LL * 1024 * 1024);
    sim_resources_release(&r);
    json_decref(p);

    /* sidecars (restartPolicy Always) add to the containers and to later init containers */
    p = pod_json("{\"spec\":{\"initContainers\":["
                 "{\"name\":\"s\",\"restartPolicy\":\"Always\",\"resources\":{\"requests\":"
                 "{\"cpu\":\"1\"}}},"
                 "{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"2500m\"}}}],"
                 "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}],"
                 "\"overhead\":{\"cpu\":\"100m\"}}}");
    sim_pod_requests(p, &r);
    /* containers+sidecar = 2000m; init i with sidecar = 3500m; + overhead 100m */
    assert_int_equal(r.cpu_m, 3600);
    sim_resources_release(&r);
    json_decref(p);

    /* no requests at all: zero, but non-zero defaults for scoring */
    p = pod_json("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    sim_pod_requests(p, &r);
    assert_int_equal(r.cpu_m, 0);
    assert_int_equal(r.mem, 0);
    assert_int_equal(r.nz_cpu_m, 100);
    assert_int_equal(r.nz_mem, 200LL * 1024 * 1024);
    sim_resources_release(&r);
    json_decref(p);
}

static void test_allocatable_and_arith(void **state)
{
    (void)state;
    json_t *nodes = parse_ok("1x8c32Gi:gpu=4");
    struct sim_resources a, u = {0};
    sim_node_allocatable(json_array_get(nodes, 0), &a);
    assert_int_equal(a.cpu_m, 8000);
    assert_int_equal(a.mem, 32LL << 30);
    assert_int_equal(a.pods, 110);
    assert_int_equal(sim_resources_scalar(&a, "nvidia.com/gpu"), 4);
    sim_resources_add(&u, &a);
    sim_resources_add(&u, &a);
    assert_int_equal(u.cpu_m, 16000);
    assert_int_equal(sim_resources_scalar(&u, "nvidia.com/gpu"), 8);
    sim_resources_sub(&u, &a);
    assert_int_equal(u.cpu_m, 8000);
    assert_int_equal(sim_resources_scalar(&u, "nvidia.com/gpu"), 4);
    sim_resources_release(&u);
    sim_resources_release(&a);
    json_decref(nodes);
}

static void test_clock(void **state)
{
    (void)state;
    struct sim_clock k;
    sim_clock_init(&k, 100);
    assert_int_equal(sim_clock_real_ms(&k, 1000), 10);
    assert_int_equal(sim_clock_real_ms(&k, 1), 1); /* rounded up */
    assert_int_equal(sim_clock_real_ms(&k, 0), 0);
    int64_t a = sim_clock_now_ms(&k);
    slu_sleep_ms(5);
    int64_t b = sim_clock_now_ms(&k);
    assert_true(b >= a + 400); /* 5 real ms are at least 500 model ms, minus rounding */
    sim_clock_init(&k, 0);     /* not valid: 1 */
    assert_true(k.scale == 1);
}

static void test_conditions_and_list_rv(void **state)
{
    (void)state;
    json_t *st = json_object();
    sim_condition_put(st, "Ready", "False", "ContainersNotReady", "m", "T1");
    sim_condition_put(st, "PodScheduled", "True", NULL, NULL, "T1");
    json_t *conds = json_object_get(st, "conditions");
    assert_int_equal(json_array_size(conds), 2);
    /* same status: lastTransitionTime kept, reason and message replaced */
    sim_condition_put(st, "Ready", "False", "PodCompleted", NULL, "T2");
    size_t i = 9;
    json_t *c = sim_condition_find(conds, "Ready", &i);
    assert_non_null(c);
    assert_int_equal(i, 0);
    assert_string_equal(slu_json_str(c, "lastTransitionTime"), "T1");
    assert_string_equal(slu_json_str(c, "reason"), "PodCompleted");
    assert_null(json_object_get(c, "message"));
    assert_true(json_is_null(json_object_get(c, "lastProbeTime")));
    /* status changes: lastTransitionTime is now */
    sim_condition_put(st, "Ready", "True", NULL, NULL, "T3");
    c = sim_condition_find(conds, "Ready", &i);
    assert_string_equal(slu_json_str(c, "lastTransitionTime"), "T3");
    assert_null(json_object_get(c, "reason"));
    assert_int_equal(json_array_size(conds), 2);
    assert_null(sim_condition_find(conds, "Initialized", &i));
    json_decref(st);

    json_t *list = json_pack("{s:{s:s}}", "metadata", "resourceVersion", "42");
    assert_int_equal(sim_list_rv(list), 42);
    json_object_set_new(json_object_get(list, "metadata"), "resourceVersion", json_string("x"));
    assert_int_equal(sim_list_rv(list), 0);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_spec),
        cmocka_unit_test(test_pools_labels_taints),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pod_requests),
        cmocka_unit_test(test_allocatable_and_arith),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_conditions_and_list_rv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
