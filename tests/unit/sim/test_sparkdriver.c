/* Tests for src/sim/sparkdriver.c: driver objects built by spark_build are created in a real
 * store with the whole cluster model running at a high time scale, then the test follows every
 * event until the driver ends and checks what a Spark driver would have done (executor pods,
 * labels, owner references, env, resources, allocation batches, cleanup, logs, failures). Waits
 * are bounded loops over watch events, never timing assertions. */
#include "test.h"

#include "sim/parts.h"
#include "spark/spark.h"

#define SCALE 200
#define APP "spark-0123456789abcdef0123456789abcdef"

struct env {
    struct sim_store *st;
    struct sim_cluster *c;
    const struct sim_rtype *pods, *cms, *svcs, *pvcs;
    struct sim_watcher *w; /* every change since the start */
};

static void env_start(struct env *e, const char *nodes, double scale)
{
    memset(e, 0, sizeof(*e));
    e->st = sim_store_new(1000000);
    e->pods = sim_store_type(e->st, "", "v1", "pods");
    e->cms = sim_store_type(e->st, "", "v1", "configmaps");
    e->svcs = sim_store_type(e->st, "", "v1", "services");
    e->pvcs = sim_store_type(e->st, "", "v1", "persistentvolumeclaims");
    struct sim_cluster_opts o = {.nodes_spec = nodes, .time_scale = scale};
    struct slu_err err = {0};
    if (sim_cluster_start(e->st, &o, &e->c, &err) != 0)
        fail_msg("cluster: %s", err.msg);
    assert_int_equal(sim_store_watch(e->st, NULL, NULL, sim_store_rv(e->st), &e->w, NULL), 0);
}

static void env_stop(struct env *e)
{
    sim_watcher_free(e->w);
    sim_cluster_stop(e->c);
    sim_store_free(e->st);
}

/* ---------------------------------------------------------------- submission */

struct sub {
    struct spark_conf *conf;
    struct spark_build_input in;
    const char *annotations[8]; /* key, value pairs, NULL-terminated */
    bool conf_after_running;    /* create the ConfigMaps only once the driver runs */
    char *driver;               /* driver pod name (owned) */
    char *uid;
    json_t *objects;
    char app_id[48];
};

static void sub_init(struct sub *s, const char *app_name, const char *unique_id)
{
    memset(s, 0, sizeof(*s));
    s->conf = spark_conf_new();
    spark_conf_set(s->conf, "spark.app.name", app_name);
    spark_conf_set(s->conf, "spark.kubernetes.container.image", "apache/spark:4.0.0");
    spark_conf_set(s->conf, "spark.kubernetes.namespace", "default");
    s->in.conf = s->conf;
    s->in.spark_version = "4.0.0";
    s->in.main_class = "org.apache.spark.examples.SparkPi";
    s->in.primary_resource = "local:///opt/spark/examples/jars/spark-examples.jar";
    s->in.unique_id = unique_id;
    s->in.app_id = APP;
    s->in.spark_user = "alice";
    s->in.local_dir_uuid = "uuid-1";
}

static void sub_release(struct sub *s)
{
    spark_conf_free(s->conf);
    free(s->driver);
    free(s->uid);
    json_decref(s->objects);
}

static const struct sim_rtype *type_of(struct env *e, const json_t *obj)
{
    return sim_store_type_by_kind(e->st, json_string_value(json_object_get(obj, "apiVersion")),
                                  json_string_value(json_object_get(obj, "kind")));
}

static void wait_running(struct env *e, const char *name)
{
    for (int i = 0; i < 4000; i++) {
        json_t *p = sim_store_get(e->st, e->pods, "default", name);
        bool running = p && slu_streq(slu_json_str(p, "status.phase"), "Running");
        json_decref(p);
        if (running)
            return;
        slu_sleep_ms(2);
    }
    fail_msg("driver %s never ran", name);
}

/* Builds and creates the objects as spark-submit does: the driver pod, then the rest with the
 * pod as owner. */
static void submit(struct env *e, struct sub *s)
{
    struct slu_err err = {0};
    char *ns = NULL;
    if (spark_build(&s->in, &s->objects, &ns, &err) != 0)
        fail_msg("spark_build: %s", err.msg);
    assert_string_equal(ns, "default");
    free(ns);
    json_t *pod = json_deep_copy(json_array_get(s->objects, 0));
    json_t *ann = json_object();
    for (int i = 0; s->annotations[i]; i += 2)
        json_object_set_new(ann, s->annotations[i], json_string(s->annotations[i + 1]));
    json_object_set_new(json_object_get(pod, "metadata"), "annotations", ann);
    json_t *created = NULL;
    if (sim_store_create(e->st, e->pods, "default", pod, NULL, &created, &err) != 0)
        fail_msg("create driver: %s", err.msg);
    s->driver = slu_strdup(kube_object_name(created));
    s->uid = slu_strdup(kube_object_uid(created));
    if (s->conf_after_running)
        wait_running(e, s->driver);
    spark_build_set_owner(s->objects, created);
    json_decref(created);
    for (size_t i = 1; i < json_array_size(s->objects); i++) {
        json_t *o = json_deep_copy(json_array_get(s->objects, i));
        json_object_del(json_object_get(o, "metadata"), "namespace");
        const struct sim_rtype *rt = type_of(e, o);
        assert_non_null(rt);
        if (sim_store_create(e->st, rt, "default", o, NULL, NULL, &err) != 0)
            fail_msg("create %s: %s", kube_object_name(json_array_get(s->objects, i)), err.msg);
    }
    slu_err_release(&err);
}

/* ---------------------------------------------------------------- following events */

struct rec {
    json_t *exec_added;   /* executor pods as first created */
    json_t *exec_running; /* name -> true */
    json_t *deleted;      /* "plural/name" -> true */
    int oom;              /* executor pods seen OOMKilled */
    int max_pending;      /* most executor pods pending at once (created, not running) */
    json_t *driver;       /* the driver's final state */
    json_t *pending;      /* name -> true while pending */
};

static void rec_release(struct rec *r)
{
    json_decref(r->exec_added);
    json_decref(r->exec_running);
    json_decref(r->deleted);
    json_decref(r->driver);
    json_decref(r->pending);
}

static bool is_exec(const json_t *o)
{
    return slu_streq(slu_json_str(o, "metadata.labels.spark-role"), "executor");
}

static void rec_event(struct rec *r, struct sim_event *ev)
{
    const char *name = kube_object_name(ev->obj);
    bool pod = slu_streq(ev->rt->plural, "pods");
    if (strcmp(ev->type, "DELETED") == 0) {
        char key[512];
        snprintf(key, sizeof(key), "%s/%s", ev->rt->plural, name);
        json_object_set_new(r->deleted, key, json_true());
        json_object_del(r->pending, name);
        return;
    }
    if (!pod || !is_exec(ev->obj))
        return;
    if (strcmp(ev->type, "ADDED") == 0) {
        json_array_append(r->exec_added, ev->obj);
        json_object_set_new(r->pending, name, json_true());
        if ((int)json_object_size(r->pending) > r->max_pending)
            r->max_pending = (int)json_object_size(r->pending);
    }
    const char *phase = slu_json_str(ev->obj, "status.phase");
    if (slu_streq(phase, "Running") || slu_streq(phase, "Succeeded") ||
        slu_streq(phase, "Failed")) {
        json_object_del(r->pending, name);
        if (slu_streq(phase, "Running"))
            json_object_set_new(r->exec_running, name, json_true());
    }
    if (slu_streq(slu_json_str(ev->obj, "status.containerStatuses[0].state.terminated.reason"),
                  "OOMKilled") &&
        !slu_streq(slu_json_str(ev->old, "status.containerStatuses[0].state.terminated.reason"),
                   "OOMKilled"))
        r->oom++;
}

/* Follows events until the driver pod is Succeeded or Failed (bounded: about 20 s). */
static void follow(struct env *e, const char *driver, struct rec *r)
{
    memset(r, 0, sizeof(*r));
    r->exec_added = json_array();
    r->exec_running = json_object();
    r->deleted = json_object();
    r->pending = json_object();
    int64_t deadline = slu_now_mono_ns() + 20LL * 1000000000LL;
    while (slu_now_mono_ns() < deadline) {
        struct sim_event ev;
        int rc = sim_watcher_next(e->w, &ev, 100);
        if (rc == SLU_ETIMEDOUT)
            continue;
        if (rc != 0)
            fail_msg("watch: %s", slu_strerror(rc));
        rec_event(r, &ev);
        const char *phase = slu_json_str(ev.obj, "status.phase");
        if (slu_streq(ev.rt->plural, "pods") && slu_streq(kube_object_name(ev.obj), driver) &&
            (slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed"))) {
            r->driver = json_incref(ev.obj);
            sim_event_release(&ev);
            return;
        }
        sim_event_release(&ev);
    }
    fail_msg("driver %s did not end", driver);
}

static char *read_log(struct env *e, const char *pod, const char *container)
{
    struct slu_buf b = {0};
    struct slu_err err = {0};
    bool ended = false;
    if (sim_cluster_read_log(e->c, "default", pod, container, false, 0, &b, &ended, &err) != 0)
        fail_msg("log of %s: %s", pod, err.msg);
    return b.data ? slu_buf_steal(&b) : slu_strdup("");
}

/* As read_log, NULL while the container has not started. */
static char *try_read_log(struct env *e, const char *pod)
{
    struct slu_buf b = {0};
    bool ended = false;
    if (sim_cluster_read_log(e->c, "default", pod, NULL, false, 0, &b, &ended, NULL) != 0) {
        slu_buf_release(&b);
        return NULL;
    }
    return b.data ? slu_buf_steal(&b) : slu_strdup("");
}

/* needles appear in this order in hay */
static void assert_in_order(const char *hay, const char *const *needles)
{
    const char *at = hay;
    for (const char *const *n = needles; *n; n++) {
        const char *f = strstr(at, *n);
        if (!f)
            fail_msg("log lacks [%s] (in order) in:\n%s", *n, hay);
        at = f + strlen(*n);
    }
}

static const char *env_value(const json_t *pod, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(slu_json_path(pod, "spec.containers[0].env"), i, v)
    {
        if (slu_streq(json_string_value(json_object_get(v, "name")), name))
            return json_string_value(json_object_get(v, "value"));
    }
    return NULL;
}

static int count_lines(const char *log, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(log, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---------------------------------------------------------------- tests */

static void test_sparkpi_runs_to_completion(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x8c32Gi", SCALE);
    struct sub s;
    sub_init(&s, "spark-pi", "1a2b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "2");
    spark_conf_set(s.conf, "spark.executor.cores", "2");
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "40";
    s.conf_after_running = true; /* the driver must wait for its ConfigMap */
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);

    /* the driver succeeded */
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(
        slu_json_int(r.driver, "status.containerStatuses[0].state.terminated.exitCode", -1), 0);
    const char *dip = slu_json_str(r.driver, "status.podIP");
    assert_non_null(dip);

    /* two executors, as the driver builds them */
    assert_int_equal(json_array_size(r.exec_added), 2);
    const char *prefix = NULL;
    for (size_t i = 0; i < 2; i++) {
        json_t *x = json_array_get(r.exec_added, i);
        const char *name = kube_object_name(x);
        char want_suffix[32];
        snprintf(want_suffix, sizeof(want_suffix), "-exec-%zu", i + 1);
        assert_true(slu_str_has_suffix(name, want_suffix));
        assert_true(slu_str_has_prefix(name, "spark-pi-"));
        if (!prefix)
            prefix = slu_json_str(x, "metadata.labels.spark-app-selector");
        assert_string_equal(slu_json_str(x, "metadata.labels.spark-app-selector"), APP);
        assert_string_equal(slu_json_str(x, "metadata.labels.spark-role"), "executor");
        char id[8];
        snprintf(id, sizeof(id), "%zu", i + 1);
        assert_string_equal(slu_json_str(x, "metadata.labels.spark-exec-id"), id);
        assert_string_equal(slu_json_str(x, "metadata.labels.spark-exec-resourceprofile-id"), "0");
        assert_string_equal(slu_json_str(x, "metadata.ownerReferences[0].uid"), s.uid);
        assert_string_equal(slu_json_str(x, "metadata.ownerReferences[0].name"), s.driver);
        assert_string_equal(slu_json_str(x, "metadata.ownerReferences[0].kind"), "Pod");
        assert_true(slu_json_bool(x, "metadata.ownerReferences[0].controller", false));
        assert_string_equal(slu_json_str(x, "spec.restartPolicy"), "Never");
        assert_string_equal(env_value(x, "SPARK_EXECUTOR_ID"), id);
        assert_string_equal(env_value(x, "SPARK_APPLICATION_ID"), APP);
        assert_string_equal(env_value(x, "SPARK_EXECUTOR_CORES"), "2");
        assert_string_equal(env_value(x, "SPARK_DRIVER_POD_IP"), dip);
        assert_non_null(
            strstr(env_value(x, "SPARK_DRIVER_URL"), "spark://CoarseGrainedScheduler@"));
        /* 1g heap + max(384, 0.1*1024) MiB overhead */
        assert_string_equal(slu_json_str(x, "spec.containers[0].resources.requests.memory"),
                            "1408Mi");
        assert_string_equal(slu_json_str(x, "spec.containers[0].resources.limits.memory"),
                            "1408Mi");
        assert_string_equal(slu_json_str(x, "spec.containers[0].resources.requests.cpu"), "2");
        /* they ran and are gone */
        assert_true(json_is_true(json_object_get(r.exec_running, name)));
        char key[300];
        snprintf(key, sizeof(key), "pods/%s", name);
        assert_true(json_is_true(json_object_get(r.deleted, key)));
    }
    /* both executors share one new prefix, not the driver's */
    const char *n1 = kube_object_name(json_array_get(r.exec_added, 0));
    assert_null(strstr(n1, "1a2b3c941f297c00"));

    /* executor ConfigMap and the driver Service were deleted by the driver (spec 8) */
    size_t i;
    json_t *o;
    bool svc_deleted = false, cm_deleted = false;
    const char *k;
    json_object_foreach(r.deleted, k, o)
    {
        if (slu_str_has_prefix(k, "services/"))
            svc_deleted = true;
        if (slu_str_has_prefix(k, "configmaps/spark-exec-"))
            cm_deleted = true;
    }
    (void)i;
    assert_true(svc_deleted);
    assert_true(cm_deleted);
    /* the driver's own conf ConfigMap stays (it goes with the driver pod) */
    json_t *list = NULL;
    assert_int_equal(sim_store_list(e.st, e.cms, "default", NULL, &list, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
    assert_true(slu_str_has_prefix(slu_json_str(list, "items[0].metadata.name"), "spark-drv-"));
    json_decref(list);

    /* the log ends like SparkPi's */
    char *log = read_log(&e, s.driver, NULL);
    static const char *const order[] = {
        "INFO SparkContext: Running Spark version 4.0.0",
        "INFO SparkContext: Submitted application: spark-pi",
        "Going to request 2 executors from Kubernetes",
        "Registered executor NettyRpcEndpointRef",
        "INFO SparkContext: Starting job: reduce at SparkPi.scala:38",
        "Job 0 finished: reduce at SparkPi.scala:38",
        "\nPi is roughly 3.14",
        "SparkContext is stopping with exitCode 0.",
        "Shutting down all executors",
        "INFO SparkContext: Successfully stopped SparkContext",
        "INFO ShutdownHookManager: Shutdown hook called",
        "INFO ShutdownHookManager: Deleting directory /tmp/spark-",
        NULL};
    assert_in_order(log, order);
    assert_non_null(strstr(log, "with ID 1,"));
    assert_non_null(strstr(log, "with ID 2,"));
    assert_null(strstr(log, "heartbeat"));
    size_t n = strlen(log);
    assert_true(n > 0 && log[n - 1] == '\n');
    const char *last = log + n - 1;
    while (last > log && last[-1] != '\n')
        last--;
    assert_non_null(strstr(last, "ShutdownHookManager: Deleting directory /tmp/spark-"));
    free(log);

    struct sim_sparkdriver_stats st;
    sim_sparkdriver_stats(e.c, &st);
    assert_int_equal(st.drivers_succeeded, 1);
    assert_int_equal(st.executors_created, 2);
    assert_int_equal(st.executors_running_now, 0);
    assert_int_equal(st.drivers_active_now, 0);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_allocation_batches(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "3x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "batches", "2b2b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "7");
    spark_conf_set(s.conf, "spark.kubernetes.allocation.batch.size", "3");
    spark_conf_set(s.conf, "spark.executor.memory", "512m");
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "20";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(json_array_size(r.exec_added), 7);
    char *log = read_log(&e, s.driver, NULL);
    static const char *const order[] = {
        "Going to request 3 executors from Kubernetes for ResourceProfile Id: 0, target: 7, "
        "known: 0",
        "Going to request 3 executors from Kubernetes for ResourceProfile Id: 0, target: 7, "
        "known: 3",
        "Going to request 1 executors from Kubernetes for ResourceProfile Id: 0, target: 7, "
        "known: 6",
        NULL};
    assert_in_order(log, order);
    assert_int_equal(count_lines(log, "Going to request"), 3);
    free(log);
    /* executor memory: 512 + 384 */
    assert_string_equal(slu_json_str(json_array_get(r.exec_added, 6),
                                     "spec.containers[0].resources.requests.memory"),
                        "896Mi");
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

/* Default spark.kubernetes.allocation.batch.size: 5 in 3.5, 10 in 4.0.0 (SPARK-50996). */
static void test_default_batch_size_by_version(void **state)
{
    (void)state;
    const char *versions[2] = {"3.5.1", "4.0.0"};
    const char *want[2] = {"Going to request 5 executors", "Going to request 10 executors"};
    for (int v = 0; v < 2; v++) {
        struct env e;
        env_start(&e, "4x32c128Gi", SCALE);
        struct sub s;
        sub_init(&s, "defbatch", "b42b3c941f297c00");
        s.in.spark_version = versions[v];
        spark_conf_set(s.conf, "spark.executor.instances", "12");
        spark_conf_set(s.conf, "spark.executor.memory", "512m");
        s.annotations[0] = SIM_ANN_WORK;
        s.annotations[1] = "5";
        submit(&e, &s);
        struct rec r;
        follow(&e, s.driver, &r);
        assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
        assert_int_equal(json_array_size(r.exec_added), 12);
        char *log = read_log(&e, s.driver, NULL);
        assert_non_null(strstr(log, want[v]));
        assert_non_null(
            strstr(log, v == 0 ? "Running Spark version 3.5.1" : "Running Spark version 4.0.0"));
        free(log);
        rec_release(&r);
        sub_release(&s);
        env_stop(&e);
    }
}

static void test_max_pending_pods(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "pending", "3c2b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "4");
    spark_conf_set(s.conf, "spark.kubernetes.allocation.maxPendingPods", "1");
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "10";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(json_array_size(r.exec_added), 4);
    assert_int_equal(r.max_pending, 1);
    char *log = read_log(&e, s.driver, NULL);
    assert_int_equal(count_lines(log, "Going to request 1 executors"), 4);
    assert_int_equal(count_lines(log, "Going to request"), 4);
    free(log);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_dynamic_allocation_initial(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "dyn", "4d2b3c941f297c00");
    spark_conf_set(s.conf, "spark.dynamicAllocation.enabled", "true");
    spark_conf_set(s.conf, "spark.dynamicAllocation.minExecutors", "1");
    spark_conf_set(s.conf, "spark.dynamicAllocation.initialExecutors", "3");
    spark_conf_set(s.conf, "spark.dynamicAllocation.maxExecutors", "10");
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "10";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(json_array_size(r.exec_added), 3);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_keep_executors(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "keep", "5e2b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "1");
    spark_conf_set(s.conf, "spark.kubernetes.executor.deleteOnTermination", "false");
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "5";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(json_array_size(r.exec_added), 1);
    const char *xn = kube_object_name(json_array_get(r.exec_added, 0));
    json_t *x = sim_store_get(e.st, e.pods, "default", xn);
    assert_non_null(x);
    assert_string_equal(slu_json_str(x, "status.phase"), "Succeeded");
    char *xlog = read_log(&e, xn, NULL);
    static const char *const order[] = {"CoarseGrainedExecutorBackend: Successfully registered "
                                        "with driver",
                                        "Executor: Starting executor ID 1 on host",
                                        "CoarseGrainedExecutorBackend: Driver commanded a shutdown",
                                        NULL};
    assert_in_order(xlog, order);
    free(xlog);
    json_decref(x);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_executor_template(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "tmpl", "6f2b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "1");
    spark_conf_set(s.conf, "spark.kubernetes.executor.podTemplateFile", "/tmp/exec.yaml");
    json_t *tmpl =
        json_pack("{s:s, s:s, s:{s:{s:s}}, s:{s:[{s:s}]}}", "apiVersion", "v1", "kind", "Pod",
                  "metadata", "labels", "team", "blue", "spec", "containers", "name", "exec");
    s.in.executor_template = tmpl;
    s.annotations[0] = SIM_ANN_WORK;
    s.annotations[1] = "5";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Succeeded");
    assert_int_equal(json_array_size(r.exec_added), 1);
    json_t *x = json_array_get(r.exec_added, 0);
    assert_string_equal(slu_json_str(x, "metadata.labels.team"), "blue");
    assert_string_equal(slu_json_str(x, "spec.containers[0].name"), "exec");
    json_decref(tmpl);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_fail_submit(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "failsubmit", "702b3c941f297c00");
    s.annotations[0] = SIM_ANN_FAIL;
    s.annotations[1] = "submit";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Failed");
    assert_int_equal(
        slu_json_int(r.driver, "status.containerStatuses[0].state.terminated.exitCode", -1), 1);
    assert_int_equal(json_array_size(r.exec_added), 0);
    char *log = read_log(&e, s.driver, NULL);
    static const char *const order[] = {
        "Exception in thread \"main\" org.apache.spark.SparkException",
        "\tat org.apache.spark.deploy.SparkSubmit", "ShutdownHookManager: Shutdown hook called",
        NULL};
    assert_in_order(log, order);
    free(log);
    json_t *list = NULL;
    assert_int_equal(sim_store_list(e.st, e.cms, "default", NULL, &list, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1); /* no executor CM */
    json_decref(list);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_fail_driver(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "faildriver", "812b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "2");
    s.annotations[0] = SIM_ANN_FAIL;
    s.annotations[1] = "driver";
    s.annotations[2] = SIM_ANN_WORK;
    s.annotations[3] = "10";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Failed");
    assert_int_equal(
        slu_json_int(r.driver, "status.containerStatuses[0].state.terminated.exitCode", -1), 1);
    assert_string_equal(
        slu_json_str(r.driver, "status.containerStatuses[0].state.terminated.reason"), "Error");
    assert_int_equal(json_array_size(r.exec_added), 2);
    assert_int_equal(json_object_size(r.exec_running), 2);
    for (size_t i = 0; i < 2; i++) {
        char key[300];
        snprintf(key, sizeof(key), "pods/%s", kube_object_name(json_array_get(r.exec_added, i)));
        assert_true(json_is_true(json_object_get(r.deleted, key)));
    }
    char *log = read_log(&e, s.driver, NULL);
    static const char *const order[] = {
        "Registered executor",
        "Job 0 failed: reduce at SparkPi.scala:38",
        "Exception in thread \"main\" org.apache.spark.SparkException: Job aborted due to stage "
        "failure",
        "Caused by: java.lang.RuntimeException",
        "SparkContext is stopping with exitCode 1.",
        "Successfully stopped SparkContext",
        NULL};
    assert_in_order(log, order);
    assert_null(strstr(log, "Pi is roughly"));
    free(log);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

/* deleteOnTermination=false: failed executors stay, labelled spark-exec-inactive=true. */
static void test_failed_executor_kept_inactive(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "inactive", "c52b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "1");
    spark_conf_set(s.conf, "spark.executor.maxNumFailures", "0");
    spark_conf_set(s.conf, "spark.kubernetes.executor.deleteOnTermination", "false");
    s.annotations[0] = SIM_ANN_FAIL;
    s.annotations[1] = "executor-oom";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Failed");
    assert_int_equal(json_array_size(r.exec_added), 1);
    json_t *x =
        sim_store_get(e.st, e.pods, "default", kube_object_name(json_array_get(r.exec_added, 0)));
    assert_non_null(x);
    assert_string_equal(slu_json_str(x, "status.phase"), "Failed");
    assert_string_equal(slu_json_str(x, "status.containerStatuses[0].state.terminated.reason"),
                        "OOMKilled");
    assert_string_equal(slu_json_str(x, "metadata.labels.spark-exec-inactive"), "true");
    json_decref(x);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

static void test_fail_executor_oom(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x16c64Gi", SCALE);
    struct sub s;
    sub_init(&s, "oom", "922b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "1");
    spark_conf_set(s.conf, "spark.executor.maxNumFailures", "2");
    s.annotations[0] = SIM_ANN_FAIL;
    s.annotations[1] = "executor-oom";
    submit(&e, &s);
    struct rec r;
    follow(&e, s.driver, &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Failed");
    assert_int_equal(
        slu_json_int(r.driver, "status.containerStatuses[0].state.terminated.exitCode", -1), 11);
    /* failures 1 and 2 are replaced; the third exceeds the maximum (2) */
    char *log = read_log(&e, s.driver, NULL);
    if (getenv("SIM_DEBUG"))
        fprintf(stderr, "%s", log);
    assert_int_equal(json_array_size(r.exec_added), 3);
    assert_int_equal(r.oom, 3);
    assert_int_equal(count_lines(log, "ERROR TaskSchedulerImpl: Lost executor"), 3);
    static const char *const order[] = {
        "termination reason: OOMKilled",
        "ERROR ExecutorPodsLifecycleManager: Max number of executor "
        "failures (2) reached",
        "SparkContext is stopping with exitCode 11.", "Successfully stopped SparkContext", NULL};
    assert_in_order(log, order);
    free(log);
    rec_release(&r);
    sub_release(&s);
    env_stop(&e);
}

/* Executors that cannot be scheduled stay Pending; the driver waits without a timeout, and
 * deleting the driver takes its executors with it. */
static void test_unschedulable_waits_then_driver_deleted(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x8c32Gi", 1000);
    struct sub s;
    sub_init(&s, "starved", "a32b3c941f297c00");
    spark_conf_set(s.conf, "spark.executor.instances", "2");
    spark_conf_set(s.conf, "spark.executor.memory", "100g");
    submit(&e, &s);
    /* wait for the starvation warning (30 s ready wait + 15 s, model time) */
    char *log = NULL;
    for (int i = 0; i < 2000; i++) {
        free(log);
        log = try_read_log(&e, s.driver);
        if (log && strstr(log, "Initial job has not accepted any resources"))
            break;
        slu_sleep_ms(5);
    }
    assert_non_null(log);
    assert_non_null(strstr(log, "Initial job has not accepted any resources"));
    free(log);
    json_t *d = sim_store_get(e.st, e.pods, "default", s.driver);
    assert_string_equal(slu_json_str(d, "status.phase"), "Running");
    json_decref(d);
    struct kube_label_selector *sel = NULL;
    assert_int_equal(kube_label_selector_parse("spark-role=executor", &sel, NULL), 0);
    struct sim_list_opts lo = {.labels = sel};
    json_t *list = NULL;
    assert_int_equal(sim_store_list(e.st, e.pods, "default", &lo, &list, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    assert_string_equal(slu_json_str(list, "items[0].status.phase"), "Pending");
    json_decref(list);
    struct sim_delete_opts dopt = {.grace_period_seconds = -1};
    assert_int_equal(sim_store_delete(e.st, e.pods, "default", s.driver, &dopt, NULL, NULL), 0);
    size_t left = 1;
    for (int i = 0; i < 2000 && left; i++) {
        sim_store_gc_run(e.st);
        assert_int_equal(sim_store_list(e.st, e.pods, "default", NULL, &list, NULL), 0);
        left = json_array_size(json_object_get(list, "items"));
        json_decref(list);
        if (left)
            slu_sleep_ms(5);
    }
    assert_int_equal(left, 0);
    kube_label_selector_free(sel);
    sub_release(&s);
    env_stop(&e);
}

/* A pod labelled as a driver with no conf volume fails like a driver without spark.properties. */
static void test_driver_without_conf_fails(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x8c32Gi", SCALE);
    json_t *p = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s}]}}", "apiVersion",
                          "v1", "kind", "Pod", "metadata", "name", "bare", "labels", "spark-role",
                          "driver", "spec", "restartPolicy", "Never", "containers", "name",
                          "spark-kubernetes-driver", "image", "apache/spark:4.0.0");
    assert_int_equal(sim_store_create(e.st, e.pods, "default", p, NULL, NULL, NULL), 0);
    struct rec r;
    follow(&e, "bare", &r);
    assert_string_equal(slu_json_str(r.driver, "status.phase"), "Failed");
    char *log = read_log(&e, "bare", NULL);
    assert_non_null(strstr(log, "spark.properties"));
    free(log);
    rec_release(&r);
    env_stop(&e);
}

/* Many drivers at once, all driven by the one kubelet thread. */
static void test_many_drivers(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "10x64c256Gi", 500);
    enum { N = 150 };
    struct sub subs[N];
    for (int i = 0; i < N; i++) {
        char app[32], uid[32];
        snprintf(app, sizeof(app), "many-%d", i);
        snprintf(uid, sizeof(uid), "%06x941f297c00", i);
        sub_init(&subs[i], app, uid);
        snprintf(subs[i].app_id, sizeof(subs[i].app_id), "spark-%032x", i);
        subs[i].in.app_id = subs[i].app_id; /* cleanup selects by app id: keep them apart */
        spark_conf_set(subs[i].conf, "spark.executor.instances", "1");
        spark_conf_set(subs[i].conf, "spark.driver.memory", "512m");
        spark_conf_set(subs[i].conf, "spark.executor.memory", "512m");
        subs[i].annotations[0] = SIM_ANN_WORK;
        subs[i].annotations[1] = "5";
        submit(&e, &subs[i]);
    }
    struct sim_sparkdriver_stats st;
    for (int i = 0; i < 4000; i++) {
        sim_sparkdriver_stats(e.c, &st);
        if (st.drivers_succeeded + st.drivers_failed >= N)
            break;
        slu_sleep_ms(5);
    }
    sim_sparkdriver_stats(e.c, &st);
    if (getenv("SIM_DEBUG"))
        fprintf(stderr, "started %d ok %d failed %d active %d execs %d running %d\n",
                (int)st.drivers_started, (int)st.drivers_succeeded, (int)st.drivers_failed,
                (int)st.drivers_active_now, (int)st.executors_created,
                (int)st.executors_running_now);
    for (int i = 0; i < N && getenv("SIM_DEBUG"); i++) {
        char *l = read_log(&e, subs[i].driver, NULL);
        if (strstr(l, "with ID 2") || !strstr(l, "Shutdown hook called")) {
            fprintf(stderr, "%s", l);
            free(l);
            break;
        }
        free(l);
    }
    assert_int_equal(st.drivers_succeeded, N);
    assert_int_equal(st.executors_created, N);
    /* each driver's cleanup (services, PVCs, executor pods and ConfigMaps selected by
     * spark-app-selector) looks at that application's objects only, through the store's label
     * index: a scan of the namespace per cleanup (as before) made the kubelet thread, which
     * runs the model, O(apps) per ending application and starved the pods' phase progression
     * at 10,000 applications */
    struct sim_store_stats ss;
    sim_store_stats(e.st, &ss);
    if (getenv("SIM_DEBUG"))
        fprintf(stderr, "list_examined %llu\n", (unsigned long long)ss.list_examined);
    assert_true(ss.list_examined < (uint64_t)N * 10);
    for (int i = 0; i < N; i++) {
        /* the model counts an exit when it asks for it; the kubelet writes the status next */
        json_t *d = NULL;
        for (int j = 0; j < 2000; j++) {
            json_decref(d);
            d = sim_store_get(e.st, e.pods, "default", subs[i].driver);
            if (slu_streq(slu_json_str(d, "status.phase"), "Succeeded"))
                break;
            slu_sleep_ms(5);
        }
        assert_string_equal(slu_json_str(d, "status.phase"), "Succeeded");
        json_decref(d);
        sub_release(&subs[i]);
    }
    env_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparkpi_runs_to_completion),
        cmocka_unit_test(test_allocation_batches),
        cmocka_unit_test(test_default_batch_size_by_version),
        cmocka_unit_test(test_max_pending_pods),
        cmocka_unit_test(test_dynamic_allocation_initial),
        cmocka_unit_test(test_keep_executors),
        cmocka_unit_test(test_executor_template),
        cmocka_unit_test(test_fail_submit),
        cmocka_unit_test(test_fail_driver),
        cmocka_unit_test(test_fail_executor_oom),
        cmocka_unit_test(test_failed_executor_kept_inactive),
        cmocka_unit_test(test_unschedulable_waits_then_driver_deleted),
        cmocka_unit_test(test_driver_without_conf_fails),
        cmocka_unit_test(test_many_drivers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
