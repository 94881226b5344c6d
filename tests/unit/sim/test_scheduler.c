/* Tests for src/sim/scheduler.c: the pure decision (filters, scoring, the real scheduler's
 * messages) and, against a real store, the scheduler thread (binding, Unschedulable, retry,
 * scheduling gates). */
#include "test.h"
#include "json_test.h"

#include "sim/parts.h"

/* ---------------------------------------------------------------- fixtures */

struct fx {
    json_t *nodes;
    struct sim_sched_node *sn;
    size_t n;
};

static void fx_init(struct fx *f, const char *spec)
{
    struct slu_err err = {0};
    if (sim_nodes_parse(spec, &f->nodes, &err) != 0)
        fail_msg("nodes \"%s\": %s", spec, err.msg);
    f->n = json_array_size(f->nodes);
    f->sn = calloc(f->n, sizeof(*f->sn));
    for (size_t i = 0; i < f->n; i++) {
        f->sn[i].node = json_array_get(f->nodes, i);
        sim_node_allocatable(f->sn[i].node, &f->sn[i].alloc);
    }
}

static void fx_release(struct fx *f)
{
    for (size_t i = 0; i < f->n; i++) {
        sim_resources_release(&f->sn[i].alloc);
        sim_resources_release(&f->sn[i].used);
    }
    free(f->sn);
    json_decref(f->nodes);
}

/* Accounts pod on node i as the scheduler thread does. */
static void fx_place(struct fx *f, size_t i, const json_t *pod)
{
    struct sim_resources r;
    sim_pod_requests(pod, &r);
    sim_resources_add(&f->sn[i].used, &r);
    sim_resources_release(&r);
}

/* A pod with one container requesting cpu/memory, plus extra spec JSON (may be ""). */
static json_t *pod(const char *cpu, const char *mem, const char *extra_spec)
{
    char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
             "\"default\"},\"spec\":{%s%s"
             "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":"
             "{\"cpu\":\"%s\",\"memory\":\"%s\"}}}]}}",
             extra_spec, *extra_spec ? "," : "", cpu, mem);
    return J(buf);
}

/* Runs the decision; returns the node name or NULL with *msg (owned) set. */
static const char *pick(struct fx *f, const json_t *p, char **msg)
{
    struct sim_resources r;
    sim_pod_requests(p, &r);
    struct slu_buf why = {0};
    int i = sim_sched_pick(p, &r, f->sn, f->n, &why);
    sim_resources_release(&r);
    if (msg)
        *msg = i < 0 ? slu_buf_steal(&why) : NULL;
    slu_buf_release(&why);
    return i < 0 ? NULL : kube_object_name(f->sn[i].node);
}

/* ---------------------------------------------------------------- pure decision */

static void test_least_allocated(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "3x8c32Gi");
    json_t *p = pod("2", "4Gi", "");
    /* empty nodes tie: lowest index */
    assert_string_equal(pick(&f, p, NULL), "sim-node-0-0");
    fx_place(&f, 0, p);
    /* node 0 is now more allocated: node 1 wins */
    assert_string_equal(pick(&f, p, NULL), "sim-node-0-1");
    fx_place(&f, 1, p);
    fx_place(&f, 2, p);
    fx_place(&f, 2, p);
    assert_string_equal(pick(&f, p, NULL), "sim-node-0-0");
    json_decref(p);
    fx_release(&f);
}

static void test_insufficient_message(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "3x8c32Gi");
    json_t *p = pod("10", "1Gi", "");
    char *msg = NULL;
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes "
                             "are available: 3 No preemption victims found for incoming pod..");
    free(msg);
    json_decref(p);

    p = pod("10", "64Gi", "");
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient "
                             "memory. preemption: 0/3 nodes are available: 3 No preemption "
                             "victims found for incoming pod..");
    free(msg);
    json_decref(p);
    fx_release(&f);
}

static void test_mixed_reasons_sorted(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "1x8c32Gi:media=ssd;2x2c32Gi:media=hdd");
    json_t *p = pod("4", "1Gi", "\"nodeSelector\":{\"media\":\"hdd\"}");
    char *msg = NULL;
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/3 nodes are available: 1 node(s) didn't match Pod's node "
                             "affinity/selector, 2 Insufficient cpu. preemption: 0/3 nodes are "
                             "available: 1 Preemption is not helpful for scheduling, 2 No "
                             "preemption victims found for incoming pod..");
    free(msg);
    json_decref(p);
    p = pod("1", "1Gi", "\"nodeSelector\":{\"media\":\"hdd\"}");
    assert_string_equal(pick(&f, p, NULL), "sim-node-1-0");
    json_decref(p);
    fx_release(&f);
}

static void test_taints_and_tolerations(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "2x8c32Gi:name=spark:taint=dedicated=spark:NoSchedule;"
                "1x8c32Gi:name=soft:taint=x:PreferNoSchedule");
    /* no toleration: only the PreferNoSchedule node */
    json_t *p = pod("1", "1Gi", "");
    assert_string_equal(pick(&f, p, NULL), "sim-node-soft-0");
    fx_place(&f, 2, p);
    fx_place(&f, 2, p);
    json_decref(p);
    /* Equal toleration (effect empty matches all effects) */
    p = pod("1", "1Gi",
            "\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":"
            "\"spark\"}]");
    assert_string_equal(pick(&f, p, NULL), "sim-node-spark-0");
    json_decref(p);
    /* wrong value / wrong effect do not tolerate */
    p = pod("9", "1Gi",
            "\"tolerations\":[{\"key\":\"dedicated\",\"value\":\"other\"},{\"key\":"
            "\"dedicated\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]");
    char *msg = NULL;
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had "
                             "untolerated taint {dedicated: spark}. preemption: 0/3 nodes are "
                             "available: 1 No preemption victims found for incoming pod, 2 "
                             "Preemption is not helpful for scheduling..");
    free(msg);
    json_decref(p);
    /* Exists without a key tolerates everything */
    p = pod("9", "1Gi", "\"tolerations\":[{\"operator\":\"Exists\"}]");
    assert_null(pick(&f, p, &msg)); /* still 9 cpu > 8 */
    free(msg);
    json_decref(p);
    p = pod("3", "1Gi", "\"tolerations\":[{\"operator\":\"Exists\"}]");
    assert_string_equal(pick(&f, p, NULL), "sim-node-spark-0");
    json_decref(p);
    /* the taint without a value prints as {key: } */
    fx_release(&f);
    fx_init(&f, "1x8c32Gi:taint=node-role.kubernetes.io/control-plane:NoSchedule");
    p = pod("1", "1Gi", "");
    assert_null(pick(&f, p, &msg));
    assert_true(strstr(msg, "1 node(s) had untolerated taint {node-role.kubernetes.io/"
                            "control-plane: }. ") != NULL);
    free(msg);
    json_decref(p);
    fx_release(&f);
}

static void test_node_affinity(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "1x8c32Gi:name=a:zone=z1:gen=3;1x8c32Gi:name=b:zone=z2:gen=5;"
                "1x8c32Gi:name=c");
    static const struct {
        const char *affinity;
        const char *want; /* NULL: unschedulable */
    } cases[] = {
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"z2\"]}]}",
         "sim-node-b-0"},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"z1\","
         "\"z2\"]}]}",
         "sim-node-c-0"},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\"}]}", "sim-node-a-0"},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"DoesNotExist\"}]}",
         "sim-node-c-0"},
        {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}",
         "sim-node-b-0"},
        {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Lt\",\"values\":[\"4\"]}]}",
         "sim-node-a-0"},
        {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Gt\",\"values\":[\"x\"]}]}", NULL},
        {"{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":["
         "\"sim-node-c-0\"]}]}",
         "sim-node-c-0"},
        {"{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"NotIn\",\"values\":["
         "\"sim-node-a-0\"]}]}",
         "sim-node-b-0"},
        {"{}", NULL}, /* an empty term matches nothing */
        /* AND within a term */
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\"},{\"key\":\"gen\","
         "\"operator\":\"Gt\",\"values\":[\"3\"]}]}",
         "sim-node-b-0"},
        /* OR across terms */
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"nope\"]}]},"
         "{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"In\",\"values\":[\"5\"]}]}",
         "sim-node-b-0"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        char extra[2048];
        snprintf(extra, sizeof(extra),
                 "\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuring"
                 "Execution\":{\"nodeSelectorTerms\":[%s]}}}",
                 cases[i].affinity);
        json_t *p = pod("1", "1Gi", extra);
        char *msg = NULL;
        const char *got = pick(&f, p, &msg);
        if (cases[i].want ? !slu_streq(got, cases[i].want) : got != NULL)
            fail_msg("case %zu: got %s, want %s", i, got ? got : "none",
                     cases[i].want ? cases[i].want : "none");
        if (!got)
            assert_string_equal(msg, "0/3 nodes are available: 3 node(s) didn't match Pod's "
                                     "node affinity/selector. preemption: 0/3 nodes are "
                                     "available: 3 Preemption is not helpful for scheduling..");
        free(msg);
        json_decref(p);
    }
    fx_release(&f);
}

static void test_pods_and_extended(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "1x8c32Gi:pods=2:gpu=1");
    json_t *p = pod("0", "0", "");
    fx_place(&f, 0, p);
    fx_place(&f, 0, p);
    char *msg = NULL;
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes "
                             "are available: 1 No preemption victims found for incoming pod..");
    free(msg);
    json_decref(p);
    fx_release(&f);

    fx_init(&f, "1x8c32Gi:gpu=1");
    p = J("{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{"
          "\"nvidia.com/gpu\":\"2\"}}}]}}");
    assert_null(pick(&f, p, &msg));
    assert_true(strstr(msg, ": 1 Insufficient nvidia.com/gpu.") != NULL);
    free(msg);
    json_decref(p);
    fx_release(&f);
}

static void test_unschedulable_node_and_policy(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "2x8c32Gi");
    json_object_set_new(json_object_get((json_t *)f.sn[0].node, "spec"), "unschedulable",
                        json_true());
    json_t *p = pod("1", "1Gi", "");
    assert_string_equal(pick(&f, p, NULL), "sim-node-0-1");
    json_decref(p);
    p = pod("9", "1Gi", "\"preemptionPolicy\":\"Never\"");
    char *msg = NULL;
    assert_null(pick(&f, p, &msg));
    assert_string_equal(msg, "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were "
                             "unschedulable. preemption: not eligible due to "
                             "preemptionPolicy=Never..");
    free(msg);
    json_decref(p);
    fx_release(&f);
    /* no nodes at all */
    struct sim_resources r = {0};
    struct slu_buf why = {0};
    p = pod("1", "1Gi", "");
    assert_int_equal(sim_sched_pick(p, &r, NULL, 0, &why), -1);
    assert_string_equal(why.data, "no nodes available to schedule pods");
    slu_buf_release(&why);
    json_decref(p);
}

/* ---------------------------------------------------------------- the thread, on a store */

static json_t *wait_pod(struct sim_store *st, const char *name,
                        bool (*pred)(const json_t *pod, const void *arg), const void *arg)
{
    const struct sim_rtype *rt = sim_store_type(st, "", "v1", "pods");
    for (int i = 0; i < 2000; i++) { /* bounded: 10 s */
        json_t *p = sim_store_get(st, rt, "default", name);
        if (p && pred(p, arg))
            return p;
        json_decref(p);
        slu_sleep_ms(5);
    }
    json_t *p = sim_store_get(st, rt, "default", name);
    char *s = p ? slu_json_dumps(p) : NULL;
    fail_msg("pod %s never reached the expected state: %s", name, s ? s : "(absent)");
    return NULL;
}

static bool has_cond(const json_t *p, const void *arg)
{
    const char *const *want = arg; /* status, reason (may be NULL) */
    const json_t *c = kube_condition_find(p, "PodScheduled");
    return c && slu_streq(json_string_value(json_object_get(c, "status")), want[0]) &&
           (!want[1] || slu_streq(json_string_value(json_object_get(c, "reason")), want[1]));
}

static bool is_bound(const json_t *p, const void *arg)
{
    (void)arg;
    const char *n = slu_json_str(p, "spec.nodeName");
    return n && *n;
}

static void create_pod(struct sim_store *st, const char *name, const char *cpu,
                       const char *extra_spec)
{
    json_t *p = pod(cpu, "1Gi", extra_spec);
    json_object_set_new(json_object_get(p, "metadata"), "name", json_string(name));
    struct slu_err err = {0};
    int rc =
        sim_store_create(st, sim_store_type(st, "", "v1", "pods"), "default", p, NULL, NULL, &err);
    if (rc != 0)
        fail_msg("create %s: %s", name, err.msg);
    slu_err_release(&err);
}

static void test_thread_binds_and_retries(void **state)
{
    (void)state;
    struct sim_store *st = sim_store_new(10000);
    struct sim_cluster_opts o = {.nodes_spec = "2x4c16Gi", .time_scale = 100};
    struct sim_cluster *c = NULL;
    struct slu_err err = {0};
    if (sim_cluster_start(st, &o, &c, &err) != 0)
        fail_msg("cluster: %s", err.msg);

    create_pod(st, "a", "3", "");
    create_pod(st, "b", "3", "");
    json_t *a = wait_pod(st, "a", is_bound, NULL);
    json_t *b = wait_pod(st, "b", is_bound, NULL);
    /* least-allocated spreads them */
    assert_string_not_equal(slu_json_str(a, "spec.nodeName"), slu_json_str(b, "spec.nodeName"));
    const char *want_true[2] = {"True", NULL};
    assert_true(has_cond(a, want_true));
    json_decref(a);
    json_decref(b);

    /* no room for a third (nor for its twin) */
    create_pod(st, "c", "3", "");
    create_pod(st, "d", "3", "");
    const char *want_unsched[2] = {"False", "Unschedulable"};
    json_t *p = wait_pod(st, "c", has_cond, want_unsched);
    const json_t *cond = kube_condition_find(p, "PodScheduled");
    assert_string_equal(json_string_value(json_object_get(cond, "message")),
                        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                        "available: 2 No preemption victims found for incoming pod..");
    assert_null(slu_json_str(p, "spec.nodeName"));
    json_decref(p);

    p = wait_pod(st, "d", has_cond, want_unsched);
    json_decref(p);

    /* deleting a gives room for one of them: c (first in) is retried and bound, d stays */
    struct sim_delete_opts d = {.grace_period_seconds = 0};
    assert_int_equal(
        sim_store_delete(st, sim_store_type(st, "", "v1", "pods"), "default", "a", &d, NULL, NULL),
        0);
    p = wait_pod(st, "c", is_bound, NULL);
    json_decref(p);
    assert_true(sim_cluster__sched_idle(c, 10000));
    p = sim_store_get(st, sim_store_type(st, "", "v1", "pods"), "default", "d");
    assert_null(slu_json_str(p, "spec.nodeName"));
    assert_true(has_cond(p, want_unsched));
    json_decref(p);

    sim_cluster_stop(c);
    sim_store_free(st);
    slu_err_release(&err);
}

static void test_thread_gates(void **state)
{
    (void)state;
    struct sim_store *st = sim_store_new(10000);
    struct sim_cluster_opts o = {.nodes_spec = "1x4c16Gi", .time_scale = 100};
    struct sim_cluster *c = NULL;
    assert_int_equal(sim_cluster_start(st, &o, &c, NULL), 0);
    create_pod(st, "g", "1", "\"schedulingGates\":[{\"name\":\"example.com/wait\"}]");
    const char *want_gated[2] = {"False", "SchedulingGated"};
    json_t *p = wait_pod(st, "g", has_cond, want_gated);
    assert_string_equal(
        json_string_value(json_object_get(kube_condition_find(p, "PodScheduled"), "message")),
        "Scheduling is blocked due to non-empty scheduling gates");
    assert_null(slu_json_str(p, "spec.nodeName"));
    json_decref(p);
    /* the scheduler has handled everything: still not bound */
    assert_true(sim_cluster__sched_idle(c, 10000));
    p = sim_store_get(st, sim_store_type(st, "", "v1", "pods"), "default", "g");
    assert_null(slu_json_str(p, "spec.nodeName"));
    /* remove the gates: bound */
    json_t *upd = json_deep_copy(p);
    json_decref(p);
    json_object_del(json_object_get(upd, "spec"), "schedulingGates");
    struct slu_err err = {0};
    if (sim_store_update(st, sim_store_type(st, "", "v1", "pods"), "default", "g", upd, NULL, NULL,
                         NULL, &err) != 0)
        fail_msg("update: %s", err.msg);
    p = wait_pod(st, "g", is_bound, NULL);
    json_decref(p);
    /* a pod for another scheduler is left alone */
    create_pod(st, "other", "1", "\"schedulerName\":\"volcano\"");
    assert_true(sim_cluster__sched_idle(c, 10000));
    p = sim_store_get(st, sim_store_type(st, "", "v1", "pods"), "default", "other");
    assert_null(slu_json_str(p, "spec.nodeName"));
    assert_null(kube_condition_find(p, "PodScheduled"));
    json_decref(p);
    sim_cluster_stop(c);
    sim_store_free(st);
    slu_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_least_allocated),
        cmocka_unit_test(test_insufficient_message),
        cmocka_unit_test(test_mixed_reasons_sorted),
        cmocka_unit_test(test_taints_and_tolerations),
        cmocka_unit_test(test_node_affinity),
        cmocka_unit_test(test_pods_and_extended),
        cmocka_unit_test(test_unschedulable_node_and_policy),
        cmocka_unit_test(test_thread_binds_and_retries),
        cmocka_unit_test(test_thread_gates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
