/* Tests for src/sim/kubelet.c and the logs of src/sim/cluster.c, against a real store with the
 * whole cluster model running at time scale 100 (waits are bounded loops, never timing
 * assertions). */
#include "test.h"

#include <stdatomic.h>

#include "sim/parts.h"

#define SCALE 100

struct env {
    struct sim_store *st;
    struct sim_cluster *c;
    const struct sim_rtype *pods;
    struct sim_watcher *w; /* every pod change since the start, so no state is missed */
};

static void env_start(struct env *e, const char *nodes)
{
    e->st = sim_store_new(100000);
    e->pods = sim_store_type(e->st, "", "v1", "pods");
    assert_non_null(e->pods);
    struct sim_cluster_opts o = {.nodes_spec = nodes, .time_scale = SCALE};
    struct slu_err err = {0};
    if (sim_cluster_start(e->st, &o, &e->c, &err) != 0)
        fail_msg("cluster: %s", err.msg);
    slu_err_release(&err);
    assert_int_equal(sim_store_watch(e->st, e->pods, NULL, sim_store_rv(e->st), &e->w, NULL), 0);
}

static void env_stop(struct env *e)
{
    sim_watcher_free(e->w);
    sim_cluster_stop(e->c);
    sim_store_free(e->st);
}

/* Creates a pod: annotations and extra spec are JSON fragments (may be ""). */
static void create_pod(struct env *e, const char *name, const char *annotations,
                       const char *extra_spec)
{
    char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
             "\"annotations\":{%s}},\"spec\":{%s%s\"containers\":[{\"name\":\"main\","
             "\"image\":\"busybox:1.36\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]}}",
             name, annotations, extra_spec, *extra_spec ? "," : "");
    json_error_t je;
    json_t *p = json_loads(buf, 0, &je);
    if (!p)
        fail_msg("bad JSON %s: %s", je.text, buf);
    struct slu_err err = {0};
    if (sim_store_create(e->st, e->pods, "default", p, NULL, NULL, &err) != 0)
        fail_msg("create %s: %s", name, err.msg);
    slu_err_release(&err);
}

typedef bool (*pod_pred)(const json_t *pod, const void *arg);

/* Reads pod events until one for name satisfies pred (a DELETED event passes NULL). Returns
 * that object (new reference; NULL for DELETED). Bounded: about 10 s. */
static json_t *wait_pod(struct env *e, const char *name, pod_pred pred, const void *arg)
{
    int64_t deadline = slu_now_mono_ns() + 10LL * 1000000000LL;
    while (slu_now_mono_ns() < deadline) {
        /* level-triggered: the state may have been reached while events of other pods were
         * being consumed, so look at the stored object first */
        json_t *cur = sim_store_get(e->st, e->pods, "default", name);
        if (pred(cur, arg))
            return cur;
        json_decref(cur);
        struct sim_event ev;
        int rc = sim_watcher_next(e->w, &ev, 100);
        if (rc == SLU_ETIMEDOUT)
            continue;
        if (rc != 0)
            fail_msg("watch: %s", slu_strerror(rc));
        bool mine = slu_streq(kube_object_name(ev.obj), name);
        bool deleted = strcmp(ev.type, "DELETED") == 0;
        json_t *obj = deleted ? NULL : ev.obj;
        if (mine && pred(obj, arg)) {
            json_incref(obj);
            sim_event_release(&ev);
            return obj;
        }
        sim_event_release(&ev);
    }
    json_t *p = sim_store_get(e->st, e->pods, "default", name);
    char *s = p ? slu_json_dumps(p) : NULL;
    fail_msg("pod %s never reached the expected state: %s", name, s ? s : "(absent)");
    return NULL;
}

static bool phase_is(const json_t *p, const void *arg)
{
    return p && slu_streq(slu_json_str(p, "status.phase"), arg);
}

static bool is_absent(const json_t *p, const void *arg)
{
    (void)arg;
    return p == NULL;
}

static bool restarted(const json_t *p, const void *arg)
{
    (void)arg;
    return p && slu_json_int(p, "status.containerStatuses[0].restartCount", 0) >= 1 &&
           slu_json_path(p, "status.containerStatuses[0].state.running");
}

static bool in_backoff(const json_t *p, const void *arg)
{
    (void)arg;
    return p && slu_streq(slu_json_str(p, "status.containerStatuses[0].state.waiting.reason"),
                          "CrashLoopBackOff");
}

static bool being_deleted(const json_t *p, const void *arg)
{
    (void)arg;
    return p && slu_json_path(p, "metadata.deletionTimestamp");
}

static const char *cond_status(const json_t *p, const char *type)
{
    return json_string_value(json_object_get(kube_condition_find(p, type), "status"));
}

static char *read_log(struct env *e, const char *pod, bool previous, bool *ended)
{
    struct slu_buf b = {0};
    struct slu_err err = {0};
    int rc = sim_cluster_read_log(e->c, "default", pod, NULL, previous, 0, &b, ended, &err);
    if (rc != 0)
        fail_msg("log of %s: %s", pod, err.msg);
    slu_err_release(&err);
    char *s = slu_buf_steal(&b);
    return s;
}

static void test_runs_and_succeeds(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "2x4c16Gi");
    create_pod(&e, "ok", "\"sim.sluice.dev/run-seconds\":\"60\"", "\"restartPolicy\":\"Never\"");
    json_t *p = wait_pod(&e, "ok", phase_is, "Running");
    assert_non_null(slu_json_str(p, "status.podIP"));
    assert_true(slu_str_has_prefix(slu_json_str(p, "status.podIP"), "10."));
    assert_true(slu_str_has_prefix(slu_json_str(p, "status.hostIP"), "10.0."));
    assert_non_null(slu_json_str(p, "status.startTime"));
    assert_string_equal(cond_status(p, "Ready"), "True");
    assert_string_equal(cond_status(p, "ContainersReady"), "True");
    assert_string_equal(cond_status(p, "Initialized"), "True");
    assert_string_equal(cond_status(p, "PodScheduled"), "True");
    assert_string_equal(slu_json_str(p, "status.containerStatuses[0].name"), "main");
    assert_string_equal(slu_json_str(p, "status.containerStatuses[0].image"), "busybox:1.36");
    assert_true(slu_str_has_prefix(slu_json_str(p, "status.containerStatuses[0].imageID"),
                                   "docker.io/library/busybox@sha256:"));
    assert_true(slu_str_has_prefix(slu_json_str(p, "status.containerStatuses[0].containerID"),
                                   "containerd://"));
    assert_true(slu_json_bool(p, "status.containerStatuses[0].ready", false));
    assert_true(slu_json_bool(p, "status.containerStatuses[0].started", false));
    assert_int_equal(slu_json_int(p, "status.containerStatuses[0].restartCount", -1), 0);
    assert_non_null(slu_json_str(p, "status.containerStatuses[0].state.running.startedAt"));
    /* the log has its first lines while running */
    bool ended = true;
    char *log = read_log(&e, "ok", false, &ended);
    assert_false(ended);
    assert_non_null(strstr(log, "main: starting (image busybox:1.36)"));
    free(log);
    json_decref(p);

    p = wait_pod(&e, "ok", phase_is, "Succeeded");
    assert_int_equal(slu_json_int(p, "status.containerStatuses[0].state.terminated.exitCode", -1),
                     0);
    assert_string_equal(slu_json_str(p, "status.containerStatuses[0].state.terminated.reason"),
                        "Completed");
    assert_non_null(slu_json_str(p, "status.containerStatuses[0].state.terminated.finishedAt"));
    assert_string_equal(cond_status(p, "Ready"), "False");
    assert_string_equal(
        json_string_value(json_object_get(kube_condition_find(p, "Ready"), "reason")),
        "PodCompleted");
    json_decref(p);
    log = read_log(&e, "ok", false, &ended);
    assert_true(ended);
    assert_non_null(strstr(log, "heartbeat 1")); /* 60 model seconds: a few heartbeats */
    assert_non_null(strstr(log, "main: finished (exit code 0)"));
    free(log);
    env_stop(&e);
}

static void test_exit_codes(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x4c16Gi");
    create_pod(&e, "err", "\"sim.sluice.dev/run-seconds\":\"1\",\"sim.sluice.dev/exit-code\":\"3\"",
               "\"restartPolicy\":\"Never\"");
    create_pod(&e, "oom", "\"sim.sluice.dev/run-seconds\":\"1\",\"sim.sluice.dev/oom\":\"true\"",
               "\"restartPolicy\":\"Never\"");
    json_t *p = wait_pod(&e, "err", phase_is, "Failed");
    assert_int_equal(slu_json_int(p, "status.containerStatuses[0].state.terminated.exitCode", -1),
                     3);
    assert_string_equal(slu_json_str(p, "status.containerStatuses[0].state.terminated.reason"),
                        "Error");
    json_decref(p);
    p = wait_pod(&e, "oom", phase_is, "Failed");
    assert_int_equal(slu_json_int(p, "status.containerStatuses[0].state.terminated.exitCode", -1),
                     137);
    assert_string_equal(slu_json_str(p, "status.containerStatuses[0].state.terminated.reason"),
                        "OOMKilled");
    json_decref(p);
    bool ended = false;
    char *log = read_log(&e, "oom", false, &ended);
    assert_non_null(strstr(log, "out of memory"));
    free(log);
    env_stop(&e);
}

static void test_restart_on_failure(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x4c16Gi");
    create_pod(&e, "crash",
               "\"sim.sluice.dev/run-seconds\":\"2\",\"sim.sluice.dev/exit-code\":\"1\"",
               "\"restartPolicy\":\"OnFailure\"");
    json_t *p = wait_pod(&e, "crash", in_backoff, NULL);
    assert_string_equal(slu_json_str(p, "status.phase"), "Running");
    assert_string_equal(cond_status(p, "Ready"), "False");
    assert_int_equal(
        slu_json_int(p, "status.containerStatuses[0].lastState.terminated.exitCode", -1), 1);
    assert_true(strstr(slu_json_str(p, "status.containerStatuses[0].state.waiting.message"),
                       "back-off 10s restarting failed container=main pod=crash_default") != NULL);
    json_decref(p);
    p = wait_pod(&e, "crash", restarted, NULL);
    assert_int_equal(
        slu_json_int(p, "status.containerStatuses[0].lastState.terminated.exitCode", -1), 1);
    assert_string_equal(cond_status(p, "Ready"), "True");
    json_decref(p);
    /* the previous instance's log is kept */
    bool ended = false;
    char *log = read_log(&e, "crash", true, &ended);
    assert_true(ended);
    assert_non_null(strstr(log, "failed (exit code 1"));
    free(log);
    env_stop(&e);
}

static void test_delete_honours_grace(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x4c16Gi");
    /* runs until deleted; takes 5 model seconds to stop after SIGTERM */
    create_pod(&e, "svc", "\"sim.sluice.dev/stop-seconds\":\"5\"", "");
    json_t *p = wait_pod(&e, "svc", phase_is, "Running");
    json_decref(p);
    struct sim_delete_opts d = {.grace_period_seconds = 30};
    struct slu_err err = {0};
    json_t *out = NULL;
    if (sim_store_delete(e.st, e.pods, "default", "svc", &d, &out, &err) != 0)
        fail_msg("delete: %s", err.msg);
    json_decref(out);
    /* marked, then removed once its containers stopped */
    p = wait_pod(&e, "svc", being_deleted, NULL);
    assert_int_equal(slu_json_int(p, "metadata.deletionGracePeriodSeconds", -1), 30);
    json_decref(p);
    p = wait_pod(&e, "svc", is_absent, NULL);
    assert_null(p);
    /* its logs go with it (once the kubelet has seen the deletion) */
    struct slu_buf b = {0};
    int rc = 0;
    for (int i = 0; i < 2000; i++) {
        rc = sim_cluster_read_log(e.c, "default", "svc", NULL, false, 0, &b, NULL, NULL);
        if (rc != 0)
            break;
        slu_sleep_ms(5);
    }
    assert_int_equal(rc, SLU_ENOTFOUND);
    slu_buf_release(&b);
    slu_err_release(&err);
    env_stop(&e);
}

static void test_log_cap_and_offsets(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x4c16Gi");
    create_pod(&e, "chatty", "", "");
    json_t *p = wait_pod(&e, "chatty", phase_is, "Running");
    json_decref(p);
    char line[200];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    for (int i = 0; i < 8000; i++) /* ~1.6 MB */
        sim_cluster_log(e.c, "default", "chatty", "main", "%06d %s", i, line);
    struct slu_buf b = {0};
    size_t next = 0;
    bool ended = true;
    assert_int_equal(sim_cluster_read_log_at(e.c, "default", "chatty", "main", false, 0, &b, &next,
                                             &ended, NULL),
                     0);
    assert_false(ended);
    assert_true(b.len <= SIM_LOG_CAP);
    assert_true(next > SIM_LOG_CAP);               /* positions count the dropped head */
    assert_non_null(strstr(b.data, "007999 xxx")); /* the tail is kept */
    assert_null(strstr(b.data, "000000 xxx"));     /* the head went */
    assert_int_equal(b.data[b.len - 1], '\n');
    /* reading on from next gives only what came after */
    sim_cluster_log(e.c, "default", "chatty", "main", "after");
    slu_buf_reset(&b);
    size_t next2 = 0;
    assert_int_equal(sim_cluster_read_log_at(e.c, "default", "chatty", NULL, false, next, &b,
                                             &next2, NULL, NULL),
                     0);
    assert_true(strstr(b.data, "after\n") != NULL);
    assert_true(b.len < 1000);
    assert_true(next2 >= next + 6);
    /* unknown container / no previous instance */
    struct slu_err err = {0};
    assert_int_equal(
        sim_cluster_read_log(e.c, "default", "chatty", "nope", false, 0, &b, NULL, &err),
        SLU_ENOTFOUND);
    slu_err_release(&err);
    assert_int_equal(sim_cluster_read_log(e.c, "default", "chatty", NULL, true, 0, &b, NULL, &err),
                     SLU_EBADREQUEST);
    assert_non_null(strstr(err.msg, "previous terminated container \"main\""));
    slu_err_release(&err);
    slu_buf_release(&b);
    env_stop(&e);
}

/* A pod model: the driver says a line, waits 3 model seconds, then exits with 0. */
struct model_state {
    atomic_int started, gone;
    char ns[64], name[64], uid[64];
};

static void model_done(struct sim_cluster *c, void *arg)
{
    struct model_state *m = arg;
    sim_cluster_log(c, m->ns, m->name, NULL, "driver model: job done");
    sim_cluster_pod_exit(c, m->ns, m->name, m->uid, 0);
}

static bool model_running(struct sim_cluster *c, const json_t *pod, void *arg)
{
    struct model_state *m = arg;
    slu_strlcpy(m->ns, kube_object_namespace(pod), sizeof(m->ns));
    slu_strlcpy(m->name, kube_object_name(pod), sizeof(m->name));
    slu_strlcpy(m->uid, kube_object_uid(pod), sizeof(m->uid));
    atomic_fetch_add(&m->started, 1);
    sim_cluster_after(c, 3000, model_done, m);
    return true;
}

static void model_gone(struct sim_cluster *c, const char *ns, const char *name, const char *uid,
                       void *arg)
{
    (void)c;
    (void)ns;
    (void)name;
    (void)uid;
    struct model_state *m = arg;
    atomic_fetch_add(&m->gone, 1);
}

static void test_pod_model_hook(void **state)
{
    (void)state;
    struct env e;
    env_start(&e, "1x4c16Gi");
    struct model_state ms;
    memset(&ms, 0, sizeof(ms));
    struct sim_pod_model m = {
        .role = "driver", .on_running = model_running, .on_gone = model_gone, .arg = &ms};
    assert_int_equal(sim_cluster_add_model(e.c, &m, NULL), 0);
    /* an unlabelled pod keeps its own run-seconds; the labelled one is the model's */
    create_pod(&e, "drv", "\"sim.sluice.dev/run-seconds\":\"3600\"", "\"restartPolicy\":\"Never\"");
    json_error_t je;
    json_t *p = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                           "\"drv2\",\"labels\":{\"spark-role\":\"driver\"},\"annotations\":{"
                           "\"sim.sluice.dev/run-seconds\":\"3600\"}},\"spec\":{"
                           "\"restartPolicy\":\"Never\",\"containers\":[{\"name\":"
                           "\"spark-kubernetes-driver\",\"image\":\"spark:3.5.1\"}]}}",
                           0, &je);
    assert_non_null(p);
    assert_int_equal(sim_store_create(e.st, e.pods, "default", p, NULL, NULL, NULL), 0);
    json_t *done = wait_pod(&e, "drv2", phase_is, "Succeeded");
    assert_int_equal(atomic_load(&ms.started), 1);
    json_decref(done);
    bool ended = false;
    char *log = read_log(&e, "drv2", false, &ended);
    assert_non_null(strstr(log, "driver model: job done"));
    free(log);
    /* the unlabelled pod is still running on its own run-seconds */
    json_t *other = sim_store_get(e.st, e.pods, "default", "drv");
    assert_string_not_equal(slu_json_str(other, "status.phase"), "Succeeded");
    json_decref(other);
    struct sim_delete_opts d = {.grace_period_seconds = 0};
    assert_int_equal(sim_store_delete(e.st, e.pods, "default", "drv2", &d, NULL, NULL), 0);
    for (int i = 0; i < 2000 && atomic_load(&ms.gone) == 0; i++)
        slu_sleep_ms(5);
    assert_int_equal(atomic_load(&ms.gone), 1);
    env_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_and_succeeds),   cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_restart_on_failure),  cmocka_unit_test(test_delete_honours_grace),
        cmocka_unit_test(test_log_cap_and_offsets), cmocka_unit_test(test_pod_model_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
