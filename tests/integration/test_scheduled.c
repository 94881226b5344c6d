/* test_scheduled.c - the ScheduledSparkApplication controller end to end against `sluice sim`.
 *
 * Starts `$SLUICE sim --listen 127.0.0.1:0 --kubeconfig-out F` as a child process, applies the
 * SparkApplication and ScheduledSparkApplication CRDs (deploy/crds/, else the Kubeflow reference
 * CRDs read in place), runs the controller in-process (op_scheduled_*), and creates one
 * `@every 2s` schedule per case at once, so their ticks overlap and the whole run stays short.
 * No SparkApplication controller runs: the test itself moves children to COMPLETED / FAILED by
 * patching their status subresource. Every wait is a bounded poll; nothing asserts on timing.
 *
 * Cases: Allow (children pile up; history limits prune the older finished ones and the status
 * lists the kept ones), Forbid (a run is skipped while the newest child runs, the next starts
 * once it finished), Replace (the unfinished child is deleted when the next run starts, a
 * finished one is kept), suspend (nothing happens while other schedules tick), FailedValidation
 * (reason names the field; fixing the spec schedules it), and a restart after a crash between
 * creating a run's child and writing status (no second child for that run). */
#include <sys/stat.h>

#include "test.h"

#include "kube/kube.h"
#include "operator/operator.h"
#include "spark/spark.h"
#include "sim_harness.h"

#define NS "default"
#define WAIT_MS 20000

static struct {
    struct sim_harness sim;
    struct op_scheduled *ctl;
} S;

/* ---------------------------------------------------------------- sim */

static int sim_start(void)
{
    if (sim_harness_start(&S.sim, "itsched", NULL) < 0 ||
        sim_harness_connect(&S.sim, 1000, 2000) < 0)
        return -1;
    return 0;
}

static int apply_crd(const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/deploy/crds/%s", slu_test_source_dir(), file);
    struct stat st;
    if (stat(path, &st) != 0)
        snprintf(path, sizeof(path), "%s/reference/kubeflow-spark-operator/crds/%s",
                 slu_test_shared_dir(), file);
    json_t *docs = NULL;
    struct slu_err err = {0};
    int rc = slu_yaml_load_file(path, NULL, &docs, &err);
    if (rc == 0)
        rc = kube_create(S.sim.c, &KUBE_RES_CRDS, NULL, json_array_get(docs, 0), NULL, &err);
    if (rc < 0 && rc != SLU_EEXIST)
        fprintf(stderr, "CRD %s: %s\n", path, err.msg);
    json_decref(docs);
    slu_err_release(&err);
    return rc == SLU_EEXIST ? 0 : rc;
}

static bool served(const struct kube_resource *r)
{
    json_t *out = NULL;
    int rc = kube_list(S.sim.c, r, NS, NULL, &out, NULL);
    json_decref(out);
    return rc == 0;
}

static int setup(void **state)
{
    (void)state;
    slu_log_set_level(SLU_LOG_WARN);
    if (sim_start() < 0)
        return -1;
    if (apply_crd("sparkoperator.k8s.io_sparkapplications.yaml") < 0 ||
        apply_crd("sparkoperator.k8s.io_scheduledsparkapplications.yaml") < 0)
        return -1;
    for (int i = 0; i < 500 && !(served(&OP_RES_SPARKAPPS) && served(&OP_RES_SCHEDULEDSPARKAPPS));
         i++)
        slu_sleep_ms(10);
    struct op_scheduled_opts o = {.workers = 2};
    S.ctl = op_scheduled_new(S.sim.c, &o);
    if (op_scheduled_start(S.ctl) < 0)
        return -1;
    for (int i = 0; i < 1000 && !op_scheduled_synced(S.ctl); i++)
        slu_sleep_ms(10);
    return op_scheduled_synced(S.ctl) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    op_scheduled_free(S.ctl);
    sim_harness_stop(&S.sim);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

#define WAIT_FOR(pred, ...)                                                                        \
    do {                                                                                           \
        int64_t _end = slu_now_mono_ns() / 1000000 + WAIT_MS;                                      \
        while (!(pred) && slu_now_mono_ns() / 1000000 < _end)                                      \
            slu_sleep_ms(50);                                                                      \
        if (!(pred))                                                                               \
            fail_msg("timed out waiting: " __VA_ARGS__);                                           \
    } while (0)

static json_t *sched_app(const char *name, const char *policy, int ok_limit, int fail_limit)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:{s:i, s:s}, "
        "s:{s:i, s:i, s:s}}}}",
        "apiVersion", "sparkoperator.k8s.io/v1beta2", "kind", "ScheduledSparkApplication",
        "metadata", "name", name, "namespace", NS, "labels", "suite", "scheduled", "spec",
        "schedule", "@every 2s", "template", "type", "Scala", "mode", "cluster", "sparkVersion",
        "4.0.4", "mainClass", "org.apache.spark.examples.SparkPi", "mainApplicationFile",
        "local:///opt/spark/examples/jars/spark-examples.jar", "driver", "cores", 1, "memory",
        "512m", "executor", "instances", 1, "cores", 1, "memory", "512m");
    if (policy)
        slu_json_set_str(o, "spec.concurrencyPolicy", policy);
    if (ok_limit >= 0)
        slu_json_set_int(o, "spec.successfulRunHistoryLimit", ok_limit);
    if (fail_limit >= 0)
        slu_json_set_int(o, "spec.failedRunHistoryLimit", fail_limit);
    return o;
}

static void create_sched(json_t *o)
{
    struct slu_err err = {0};
    int rc = kube_create(S.sim.c, &OP_RES_SCHEDULEDSPARKAPPS, NS, o, NULL, &err);
    if (rc < 0)
        fail_msg("create %s: %s", slu_json_str(o, "metadata.name"), err.msg);
    json_decref(o);
}

static json_t *get_sched(const char *name)
{
    json_t *o = NULL;
    if (kube_get(S.sim.c, &OP_RES_SCHEDULEDSPARKAPPS, NS, name, &o, NULL) < 0)
        return NULL;
    return o;
}

static const char *status_str(json_t **holder, const char *name, const char *path)
{
    json_decref(*holder);
    *holder = get_sched(name);
    return *holder ? slu_json_str(*holder, path) : NULL;
}

static int by_name(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    return strcmp(slu_json_str(x, "metadata.name"), slu_json_str(y, "metadata.name"));
}

/* The children of a schedule (live list), sorted by name (= by scheduled time), owned. */
static struct slu_vec children(const char *parent)
{
    char sel[256];
    snprintf(sel, sizeof(sel), "%s=%s", SPARK_LABEL_SCHEDULED_APP, parent);
    struct kube_list_opts lo = {.label_selector = sel};
    json_t *list = NULL;
    struct slu_vec v = {0};
    if (kube_list(S.sim.c, &OP_RES_SPARKAPPS, NS, &lo, &list, NULL) < 0)
        return v;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it)
    {
        if (!slu_json_str(it, "metadata.deletionTimestamp"))
            slu_vec_push(&v, json_incref(it));
    }
    json_decref(list);
    slu_vec_sort(&v, by_name);
    return v;
}

static void free_json(void *p)
{
    json_decref(p);
}

static size_t count_children(const char *parent)
{
    struct slu_vec v = children(parent);
    size_t n = v.len;
    slu_vec_release(&v, free_json);
    return n;
}

static size_t count_in_state(const char *parent, const char *state)
{
    struct slu_vec v = children(parent);
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        const char *s = slu_json_str(v.items[i], "status.applicationState.state");
        if (slu_streq(s ? s : "", state))
            n++;
    }
    slu_vec_release(&v, free_json);
    return n;
}

static bool exists(const char *name)
{
    json_t *o = NULL;
    int rc = kube_get(S.sim.c, &OP_RES_SPARKAPPS, NS, name, &o, NULL);
    bool gone = rc == SLU_ENOTFOUND || (o && slu_json_str(o, "metadata.deletionTimestamp"));
    json_decref(o);
    return !gone;
}

/* The i-th child's name (copied into buf); "" when there are not that many. */
static const char *child_name(const char *parent, size_t i, char *buf, size_t n)
{
    struct slu_vec v = children(parent);
    slu_strlcpy(buf, i < v.len ? slu_json_str(v.items[i], "metadata.name") : "", n);
    slu_vec_release(&v, free_json);
    return buf;
}

static void finish(const char *name, const char *state)
{
    json_t *patch = json_pack("{s:{s:{s:s}, s:{}}}", "status", "applicationState", "state", state,
                              "driverInfo");
    struct slu_err err = {0};
    int rc = kube_patch(S.sim.c, &OP_RES_SPARKAPPS, NS, name, "status", KUBE_PATCH_MERGE, patch,
                        NULL, NULL, &err);
    json_decref(patch);
    if (rc < 0)
        fail_msg("patch status of %s: %s", name, err.msg);
}

static bool names_equal(json_t *arr, const char *only)
{
    return json_array_size(arr) == 1 && slu_streq(json_string_value(json_array_get(arr, 0)), only);
}

/* Every child: label, owner reference (controller) to the parent, spec = template, name
 * "<parent>-<digits>". */
static void check_children(const char *parent)
{
    json_t *p = get_sched(parent);
    assert_non_null(p);
    struct slu_vec v = children(parent);
    assert_true(v.len > 0);
    for (size_t i = 0; i < v.len; i++) {
        json_t *c = v.items[i];
        const char *name = slu_json_str(c, "metadata.name");
        size_t pl = strlen(parent);
        assert_int_equal(strncmp(name, parent, pl), 0);
        assert_int_equal(name[pl], '-');
        int64_t t;
        assert_int_equal(slu_parse_i64(name + pl + 1, &t), 0);
        assert_true(t > 1700000000);
        const json_t *ref = kube_object_controller_ref(c);
        assert_non_null(ref);
        assert_string_equal(json_string_value(json_object_get(ref, "uid")), kube_object_uid(p));
        assert_string_equal(json_string_value(json_object_get(ref, "kind")),
                            "ScheduledSparkApplication");
        assert_string_equal(slu_json_str(c, "metadata.labels.suite"), "scheduled");
        assert_true(slu_json_equal(json_object_get(c, "spec"), slu_json_path(p, "spec.template")));
    }
    slu_vec_release(&v, free_json);
    json_decref(p);
}

/* ---------------------------------------------------------------- cases */

static void test_all_policies(void **state)
{
    (void)state;
    /* All schedules start together so their ticks overlap. */
    create_sched(sched_app("allow", "Allow", 1, 1));
    create_sched(sched_app("forbid", "Forbid", -1, -1));
    create_sched(sched_app("replace", "Replace", 2, -1));
    json_t *sus = sched_app("sleepy", NULL, -1, -1);
    slu_json_set(sus, "spec.suspend", json_true());
    create_sched(sus);
    json_t *bad = sched_app("broken", NULL, -1, -1);
    slu_json_set_str(bad, "spec.schedule", "61 * * * *");
    create_sched(bad);

    json_t *h = NULL;
    char a[128], b[128], c[128];

    /* ---- FailedValidation, with the field named */
    WAIT_FOR(slu_streq(status_str(&h, "broken", "status.scheduleState"), "FailedValidation"),
             "broken: FailedValidation");
    assert_non_null(
        strstr(slu_json_str(h, "status.reason"), "minute field: value 61 out of range"));

    /* ---- Allow: a second run starts while the first still runs */
    WAIT_FOR(count_children("allow") >= 2, "allow: two children");
    check_children("allow");
    assert_int_equal(count_in_state("allow", ""), count_children("allow"));
    WAIT_FOR(slu_streq(status_str(&h, "allow", "status.scheduleState"), "Scheduled"),
             "allow: Scheduled");
    child_name("allow", 0, a, sizeof(a));
    child_name("allow", 1, b, sizeof(b));
    /* history: two COMPLETED -> only the newer is kept and listed */
    finish(a, "COMPLETED");
    finish(b, "COMPLETED");
    WAIT_FOR(!exists(a), "allow: %s pruned (successfulRunHistoryLimit 1)", a);
    assert_true(exists(b));
    WAIT_FOR(status_str(&h, "allow", "status.scheduleState") &&
                 names_equal(slu_json_path(h, "status.pastSuccessfulRunNames"), b),
             "allow: pastSuccessfulRunNames == [%s]", b);
    /* two FAILED -> only the newer is kept */
    WAIT_FOR(count_in_state("allow", "") >= 2, "allow: two more children");
    struct slu_vec v = children("allow");
    char f1[128] = "", f2[128] = "";
    for (size_t i = 0; i < v.len; i++) {
        const char *s = slu_json_str(v.items[i], "status.applicationState.state");
        if (s)
            continue;
        if (!*f1)
            slu_strlcpy(f1, slu_json_str(v.items[i], "metadata.name"), sizeof(f1));
        else if (!*f2)
            slu_strlcpy(f2, slu_json_str(v.items[i], "metadata.name"), sizeof(f2));
    }
    slu_vec_release(&v, free_json);
    finish(f1, "FAILED");
    finish(f2, "FAILED");
    WAIT_FOR(!exists(f1), "allow: %s pruned (failedRunHistoryLimit 1)", f1);
    assert_true(exists(f2));
    assert_true(exists(b)); /* the successful history is separate */
    WAIT_FOR(status_str(&h, "allow", "status.scheduleState") &&
                 names_equal(slu_json_path(h, "status.pastFailedRunNames"), f2),
             "allow: pastFailedRunNames == [%s]", f2);
    /* lastRunName is the newest child */
    WAIT_FOR(slu_streq(status_str(&h, "allow", "status.lastRunName"),
                       child_name("allow", count_children("allow") - 1, c, sizeof(c))),
             "allow: lastRunName is the newest child");
    assert_non_null(slu_json_str(h, "status.lastRun"));
    assert_non_null(slu_json_str(h, "status.nextRun"));

    /* ---- Forbid: while the only child runs, runs are skipped */
    WAIT_FOR(count_children("forbid") >= 1, "forbid: first child");
    check_children("forbid");
    child_name("forbid", 0, a, sizeof(a));
    WAIT_FOR(status_str(&h, "forbid", "status.reason") &&
                 strstr(slu_json_str(h, "status.reason"), "skipped"),
             "forbid: a run skipped");
    assert_non_null(strstr(slu_json_str(h, "status.reason"), a));
    assert_int_equal(count_children("forbid"), 1);
    assert_string_equal(slu_json_str(h, "status.lastRunName"), a);
    /* once it finished, the next run starts */
    finish(a, "COMPLETED");
    WAIT_FOR(count_children("forbid") >= 2, "forbid: second child after the first completed");
    child_name("forbid", 1, b, sizeof(b));
    assert_true(strcmp(b, a) > 0);
    assert_true(exists(a)); /* kept: successfulRunHistoryLimit defaults to 1 */
    WAIT_FOR(status_str(&h, "forbid", "status.scheduleState") &&
                 names_equal(slu_json_path(h, "status.pastSuccessfulRunNames"), a),
             "forbid: pastSuccessfulRunNames == [%s]", a);
    assert_string_equal(slu_json_str(h, "status.reason"), "");

    /* ---- Replace: the unfinished child is deleted when the next run starts */
    WAIT_FOR(count_children("replace") >= 1, "replace: first child");
    check_children("replace");
    child_name("replace", 0, a, sizeof(a));
    WAIT_FOR(!exists(a), "replace: %s replaced", a);
    WAIT_FOR(count_children("replace") >= 1, "replace: a new child");
    child_name("replace", 0, b, sizeof(b));
    assert_true(strcmp(b, a) > 0);
    /* at most one unfinished child at any time under Replace (old ones are deleted first) */
    assert_true(count_in_state("replace", "") <= 1);
    /* a finished child is not replaced; the next run starts beside it */
    finish(b, "COMPLETED");
    WAIT_FOR(count_children("replace") >= 2, "replace: next run beside the completed one");
    assert_true(exists(b));

    /* ---- suspend: other schedules ticked many times, this one did nothing */
    json_t *s = get_sched("sleepy");
    assert_non_null(s);
    assert_null(slu_json_path(s, "status.scheduleState"));
    assert_int_equal(count_children("sleepy"), 0);
    json_decref(s);

    /* ---- fixing the broken schedule schedules it and runs it */
    json_t *patch = json_pack("{s:{s:s}}", "spec", "schedule", "@every 2s");
    struct slu_err err = {0};
    assert_int_equal(kube_patch(S.sim.c, &OP_RES_SCHEDULEDSPARKAPPS, NS, "broken", NULL,
                                KUBE_PATCH_MERGE, patch, NULL, NULL, &err),
                     0);
    json_decref(patch);
    WAIT_FOR(slu_streq(status_str(&h, "broken", "status.scheduleState"), "Scheduled"),
             "broken: Scheduled once fixed");
    assert_string_equal(slu_json_str(h, "status.reason"), "");
    WAIT_FOR(count_children("broken") >= 1, "broken: runs once fixed");

    /* ---- resuming the suspended one */
    patch = json_pack("{s:{s:b}}", "spec", "suspend", 0);
    assert_int_equal(kube_patch(S.sim.c, &OP_RES_SCHEDULEDSPARKAPPS, NS, "sleepy", NULL,
                                KUBE_PATCH_MERGE, patch, NULL, NULL, &err),
                     0);
    json_decref(patch);
    WAIT_FOR(count_children("sleepy") >= 1, "sleepy: runs once resumed");
    json_decref(h);
}

/* A crash between creating a run's child and writing status: with the controller stopped, the
 * child of the due run is created by hand (as the crashed reconcile would have); a new controller
 * instance must count it as the run, not start a second child for it. */
static void test_restart_idempotent(void **state)
{
    (void)state;
    op_scheduled_free(S.ctl);
    S.ctl = NULL;
    size_t before = count_children("forbid");
    char last[128], run[160];
    child_name("forbid", before - 1, last, sizeof(last));
    json_t *p = get_sched("forbid");
    assert_non_null(p);
    int64_t ns = 0;
    assert_int_equal(slu_time_parse_rfc3339(slu_json_str(p, "status.nextRun"), &ns), 0);
    int64_t t = ns / 1000000000LL;
    snprintf(run, sizeof(run), "forbid-%lld", (long long)t);
    finish(last, "COMPLETED"); /* so that Forbid lets the run start */
    json_t *kid =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:[o]}, s:O}", "apiVersion",
                  "sparkoperator.k8s.io/v1beta2", "kind", "SparkApplication", "metadata", "name",
                  run, "namespace", NS, "labels", SPARK_LABEL_SCHEDULED_APP, "forbid", "suite",
                  "scheduled", "ownerReferences", kube_owner_ref(p, true, true), "spec",
                  slu_json_path(p, "spec.template"));
    struct slu_err err = {0};
    if (kube_create(S.sim.c, &OP_RES_SPARKAPPS, NS, kid, NULL, &err) < 0)
        fail_msg("create %s: %s", run, err.msg);
    json_decref(kid);
    json_decref(p);
    WAIT_FOR(slu_now_unix() > t, "the run time %lld to pass", (long long)t);

    struct op_scheduled_opts o = {.workers = 3, .namespaces = (const char *const[]){NS, NULL}};
    S.ctl = op_scheduled_new(S.sim.c, &o);
    assert_int_equal(op_scheduled_start(S.ctl), 0);
    assert_int_equal(op_scheduled_start(S.ctl), SLU_ESTATE);
    json_t *h = NULL;
    WAIT_FOR(slu_streq(status_str(&h, "forbid", "status.lastRunName"), run),
             "forbid: lastRunName == %s", run);
    /* the next tick is skipped because that child runs: no second child for the run */
    WAIT_FOR(status_str(&h, "forbid", "status.reason") &&
                 strstr(slu_json_str(h, "status.reason"), run),
             "forbid: a run skipped behind %s", run);
    char newest[160];
    size_t n = count_children("forbid");
    assert_string_equal(child_name("forbid", n - 1, newest, sizeof(newest)), run);
    assert_int_equal(count_in_state("forbid", ""), 1);
    json_decref(h);
    struct op_scheduled_stats st;
    op_scheduled_stats(S.ctl, &st);
    assert_true(st.reconciles > 0);
    assert_true(st.runs_skipped > 0);
    struct slu_buf m = {0};
    op_scheduled_metrics(S.ctl, &m);
    assert_non_null(strstr(m.data, "# TYPE sluice_scheduled_runs_skipped_total counter\n"));
    assert_null(strstr(m.data, "sluice_scheduled_reconciles_total 0\n"));
    assert_non_null(strstr(m.data, "sluice_scheduled_workqueue_depth "));
    slu_buf_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_policies),
        cmocka_unit_test(test_restart_idempotent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
