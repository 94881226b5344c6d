/* test_scheduled.c - the decisions of src/operator/scheduled.c (op__sched_plan): suspend,
 * validation, New -> Scheduled, due runs under Allow/Forbid/Replace, deterministic child names
 * and idempotence, history limits, which children count. The API side is tested end to end in
 * tests/integration/test_scheduled.c. */
#include "test.h"

#include "operator/operator.h"
#include "operator/sched_int.h"
#include "spark/spark.h"

#define NOW 1800000000LL /* 2027-01-15T08:00:00Z */

static const char *fmt_time(int64_t t, char *buf)
{
    slu_time_format_rfc3339(t, buf, 40);
    return buf;
}

/* A ScheduledSparkApplication "nightly" in "ns1". */
static json_t *parent(const char *schedule, const char *policy)
{
    json_t *p =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:{s:s, s:s}}}",
                  "apiVersion", "sparkoperator.k8s.io/v1beta2", "kind", "ScheduledSparkApplication",
                  "metadata", "name", "nightly", "namespace", "ns1", "uid", "uid-parent", "labels",
                  "team", "data", "tier", "gold", "spec", "schedule", schedule, "template", "type",
                  "Scala", "mainApplicationFile", "local:///x.jar");
    if (policy)
        slu_json_set_str(p, "spec.concurrencyPolicy", policy);
    return p;
}

static void set_status(json_t *p, const char *state, int64_t next_run)
{
    char b[40];
    json_t *st = json_object();
    json_object_set_new(st, "scheduleState", json_string(state));
    if (next_run)
        json_object_set_new(st, "nextRun", json_string(fmt_time(next_run, b)));
    json_object_set_new(st, "pastSuccessfulRunNames", json_array());
    json_object_set_new(st, "pastFailedRunNames", json_array());
    json_object_set_new(st, "reason", json_string(""));
    json_object_set_new(p, "status", st);
}

static json_t *child(const char *name, const char *state, const char *owner_uid)
{
    json_t *c = json_pack("{s:{s:s, s:s, s:{s:s}}}", "metadata", "name", name, "namespace", "ns1",
                          "labels", SPARK_LABEL_SCHEDULED_APP, "nightly");
    if (owner_uid) {
        json_t *ref = json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "apiVersion",
                                "sparkoperator.k8s.io/v1beta2", "kind", "ScheduledSparkApplication",
                                "name", "nightly", "uid", owner_uid, "controller", 1);
        json_object_set_new(json_object_get(c, "metadata"), "ownerReferences", ref);
    }
    if (state)
        slu_json_set_str(c, "status.applicationState.state", state);
    return c;
}

static bool vec_has(const struct slu_vec *v, const char *s)
{
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i], s) == 0)
            return true;
    return false;
}

static void test_suspend(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", NULL);
    slu_json_set(p, "spec.suspend", json_true());
    set_status(p, "Scheduled", NOW - 10); /* overdue, yet nothing happens */
    struct op__sched_plan pl;
    op__sched_plan(p, NULL, NOW, &pl);
    assert_null(pl.status);
    assert_null(pl.child);
    assert_int_equal(pl.wake, 0);
    assert_false(pl.due);
    op__sched_plan_release(&pl);
    json_decref(p);
}

static void test_new(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", NULL);
    struct op__sched_plan pl;
    op__sched_plan(p, NULL, NOW, &pl);
    assert_non_null(pl.status);
    assert_null(pl.child);
    assert_false(pl.due);
    assert_string_equal(slu_json_str(pl.status, "scheduleState"), "Scheduled");
    char b[40];
    assert_string_equal(slu_json_str(pl.status, "nextRun"), fmt_time(NOW + 2, b));
    assert_int_equal(pl.wake, NOW + 2);
    assert_null(slu_json_str(pl.status, "lastRunName"));
    op__sched_plan_release(&pl);
    json_decref(p);

    /* a cron schedule in a zone: next 09:00 Berlin after 08:00Z (09:00 CET) is tomorrow */
    p = parent("0 9 * * *", NULL);
    slu_json_set_str(p, "spec.timeZone", "UTC");
    op__sched_plan(p, NULL, NOW, &pl);
    assert_int_equal(pl.wake, NOW + 3600);
    op__sched_plan_release(&pl);
    slu_json_set_str(p, "spec.schedule", "CRON_TZ=Etc/GMT-1 0 9 * * *");
    op__sched_plan(p, NULL, NOW, &pl);
    if (pl.wake) /* only where the tz database exists */
        assert_int_equal(pl.wake, NOW + 86400);
    op__sched_plan_release(&pl);
    json_decref(p);
}

static void expect_invalid(json_t *p, const char *want)
{
    struct op__sched_plan pl;
    op__sched_plan(p, NULL, NOW, &pl);
    assert_true(pl.invalid);
    assert_non_null(pl.status);
    assert_null(pl.child);
    assert_int_equal(pl.wake, 0);
    assert_string_equal(slu_json_str(pl.status, "scheduleState"), "FailedValidation");
    assert_null(slu_json_str(pl.status, "nextRun"));
    const char *r = slu_json_str(pl.status, "reason");
    if (!r || !strstr(r, want))
        fail_msg("reason \"%s\" lacks \"%s\"", r ? r : "(none)", want);
    op__sched_plan_release(&pl);
    json_decref(p);
}

static void test_validation(void **state)
{
    (void)state;
    expect_invalid(parent("61 * * * *", NULL),
                   "schedule \"61 * * * *\": minute field: value 61 out of range 0-59");
    expect_invalid(parent("@every soon", NULL), "@every: bad duration");
    expect_invalid(parent("0 0 30 2 *", NULL), "never fires");
    expect_invalid(parent("", NULL), "spec.schedule: Required value");
    expect_invalid(parent("@daily", "Sometimes"),
                   "spec.concurrencyPolicy: Unsupported value \"Sometimes\"");
    json_t *p = parent("@daily", NULL);
    slu_json_set_str(p, "spec.timeZone", "Mars/Olympus_Mons");
    expect_invalid(p, "spec.timeZone: unknown time zone \"Mars/Olympus_Mons\"");
    p = parent("@daily", NULL);
    slu_json_set_int(p, "spec.successfulRunHistoryLimit", -1);
    expect_invalid(p, "spec.successfulRunHistoryLimit: must be an integer >= 0");
    p = parent("@daily", NULL);
    slu_json_set_str(p, "spec.failedRunHistoryLimit", "3");
    expect_invalid(p, "spec.failedRunHistoryLimit");
    p = parent("@daily", NULL);
    json_object_del(json_object_get(p, "spec"), "template");
    expect_invalid(p, "spec.template: Required value");
    p = parent("@daily", NULL);
    slu_json_set_str(p, "metadata.name",
                     "a-name-that-is-far-too-long-to-be-a-label-value-on-"
                     "every-child-application");
    expect_invalid(p, "metadata.name: must be no more than 63 characters");

    /* overdue when it failed validation: fixing the spec schedules from now, no run at once */
    p = parent("@every 2s", NULL);
    set_status(p, "FailedValidation", NOW - 100);
    struct op__sched_plan pl;
    op__sched_plan(p, NULL, NOW, &pl);
    assert_false(pl.due);
    assert_null(pl.child);
    assert_string_equal(slu_json_str(pl.status, "scheduleState"), "Scheduled");
    assert_int_equal(pl.wake, NOW + 2);
    op__sched_plan_release(&pl);
    json_decref(p);
}

static void test_waiting(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", NULL);
    set_status(p, "Scheduled", NOW + 1);
    struct op__sched_plan pl;
    op__sched_plan(p, NULL, NOW, &pl);
    assert_null(pl.status); /* nothing changes */
    assert_null(pl.child);
    assert_false(pl.due);
    assert_int_equal(pl.wake, NOW + 1);
    op__sched_plan_release(&pl);

    /* the schedule became more frequent: nextRun comes closer */
    set_status(p, "Scheduled", NOW + 86400);
    op__sched_plan(p, NULL, NOW, &pl);
    assert_non_null(pl.status);
    assert_int_equal(pl.wake, NOW + 2);
    char b[40];
    assert_string_equal(slu_json_str(pl.status, "nextRun"), fmt_time(NOW + 2, b));
    op__sched_plan_release(&pl);
    json_decref(p);
}

static void test_due_allow(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", "Allow");
    set_status(p, "Scheduled", NOW - 1);
    json_t *kids = json_pack("[o]", child("nightly-1799999990", "RUNNING", "uid-parent"));
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_true(pl.due);
    assert_false(pl.skipped);
    assert_int_equal(pl.kill.len, 0);
    assert_string_equal(pl.run_name, "nightly-1799999999");
    json_t *c = pl.child;
    assert_non_null(c);
    assert_string_equal(slu_json_str(c, "apiVersion"), "sparkoperator.k8s.io/v1beta2");
    assert_string_equal(slu_json_str(c, "kind"), "SparkApplication");
    assert_string_equal(slu_json_str(c, "metadata.name"), "nightly-1799999999");
    assert_string_equal(slu_json_str(c, "metadata.namespace"), "ns1");
    json_t *labels = slu_json_path(c, "metadata.labels");
    assert_string_equal(json_string_value(json_object_get(labels, SPARK_LABEL_SCHEDULED_APP)),
                        "nightly");
    assert_string_equal(json_string_value(json_object_get(labels, "team")), "data");
    const json_t *ref = kube_object_controller_ref(c);
    assert_non_null(ref);
    assert_string_equal(json_string_value(json_object_get(ref, "uid")), "uid-parent");
    assert_string_equal(json_string_value(json_object_get(ref, "kind")),
                        "ScheduledSparkApplication");
    assert_string_equal(json_string_value(json_object_get(ref, "name")), "nightly");
    assert_true(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
    assert_true(slu_json_equal(json_object_get(c, "spec"), slu_json_path(p, "spec.template")));
    char b[40];
    assert_string_equal(slu_json_str(pl.status, "lastRunName"), "nightly-1799999999");
    assert_string_equal(slu_json_str(pl.status, "lastRun"), fmt_time(NOW, b));
    assert_string_equal(slu_json_str(pl.status, "nextRun"), fmt_time(NOW + 2, b));
    assert_string_equal(slu_json_str(pl.status, "scheduleState"), "Scheduled");
    assert_int_equal(pl.wake, NOW + 2);
    op__sched_plan_release(&pl);

    /* missed runs are not caught up: an hour of downtime gives one run, then from now */
    set_status(p, "Scheduled", NOW - 3600);
    op__sched_plan(p, kids, NOW, &pl);
    assert_string_equal(pl.run_name, "nightly-1799996400");
    assert_non_null(pl.child);
    assert_int_equal(pl.wake, NOW + 2);
    op__sched_plan_release(&pl);
    json_decref(kids);
    json_decref(p);
}

static void test_due_idempotent(void **state)
{
    (void)state;
    /* the run's child exists (created by a reconcile that crashed before writing status):
     * no second child, even under Forbid (it is itself the newest, unfinished child) */
    json_t *p = parent("@every 2s", "Forbid");
    set_status(p, "Scheduled", NOW - 1);
    json_t *kids = json_pack("[o]", child("nightly-1799999999", NULL, "uid-parent"));
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_true(pl.due);
    assert_false(pl.skipped);
    assert_null(pl.child);
    assert_string_equal(slu_json_str(pl.status, "lastRunName"), "nightly-1799999999");
    assert_int_equal(pl.wake, NOW + 2);
    op__sched_plan_release(&pl);
    /* under Replace it is not killed either */
    slu_json_set_str(p, "spec.concurrencyPolicy", "Replace");
    op__sched_plan(p, kids, NOW, &pl);
    assert_null(pl.child);
    assert_int_equal(pl.kill.len, 0);
    op__sched_plan_release(&pl);
    json_decref(kids);
    json_decref(p);
}

static void test_due_forbid(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", "Forbid");
    set_status(p, "Scheduled", NOW - 1);
    slu_json_set_str(p, "status.lastRunName", "nightly-1799999997");
    json_t *kids = json_pack("[o, o]", child("nightly-1799999997", "RUNNING", "uid-parent"),
                             child("nightly-1799999990", "COMPLETED", "uid-parent"));
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_true(pl.due);
    assert_true(pl.skipped);
    assert_null(pl.child);
    assert_string_equal(slu_json_str(pl.status, "lastRunName"), "nightly-1799999997");
    const char *r = slu_json_str(pl.status, "reason");
    assert_non_null(r);
    assert_non_null(strstr(r, "nightly-1799999997 has not finished"));
    char b[40];
    assert_string_equal(slu_json_str(pl.status, "nextRun"), fmt_time(NOW + 2, b));
    assert_int_equal(pl.wake, NOW + 2);
    op__sched_plan_release(&pl);

    /* the newest finished (an older one still runs): start */
    json_t *k2 = json_pack("[o, o]", child("nightly-1799999997", "FAILED", "uid-parent"),
                           child("nightly-1799999990", "RUNNING", "uid-parent"));
    op__sched_plan(p, k2, NOW, &pl);
    assert_false(pl.skipped);
    assert_non_null(pl.child);
    assert_string_equal(slu_json_str(pl.status, "reason"), "");
    op__sched_plan_release(&pl);

    /* no children at all: start */
    op__sched_plan(p, NULL, NOW, &pl);
    assert_non_null(pl.child);
    op__sched_plan_release(&pl);
    json_decref(k2);
    json_decref(kids);
    json_decref(p);
}

static void test_due_replace(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", "Replace");
    set_status(p, "Scheduled", NOW - 1);
    json_t *kids = json_pack("[o, o, o]", child("nightly-1799999997", "RUNNING", "uid-parent"),
                             child("nightly-1799999995", "", "uid-parent"),
                             child("nightly-1799999990", "COMPLETED", "uid-parent"));
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_non_null(pl.child);
    assert_int_equal(pl.kill.len, 2);
    assert_true(vec_has(&pl.kill, "nightly-1799999997"));
    assert_true(vec_has(&pl.kill, "nightly-1799999995"));
    assert_int_equal(pl.prune.len, 0);
    op__sched_plan_release(&pl);
    json_decref(kids);
    json_decref(p);
}

static void test_history(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", NULL);
    set_status(p, "Scheduled", NOW + 2);
    slu_json_set_int(p, "spec.successfulRunHistoryLimit", 2);
    slu_json_set_int(p, "spec.failedRunHistoryLimit", 0);
    json_t *kids = json_pack(
        "[o,o,o,o,o,o,o]", child("nightly-100", "COMPLETED", "uid-parent"),
        child("nightly-300", "COMPLETED", "uid-parent"),
        child("nightly-200", "COMPLETED", "uid-parent"),
        child("nightly-150", "FAILED", "uid-parent"), child("nightly-250", "FAILED", "uid-parent"),
        child("nightly-400", "RUNNING", "uid-parent"), child("nightly-50", "SUBMITTED", NULL));
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_false(pl.due);
    assert_null(pl.child);
    json_t *ok = json_object_get(pl.status, "pastSuccessfulRunNames");
    assert_int_equal(json_array_size(ok), 2);
    assert_string_equal(json_string_value(json_array_get(ok, 0)), "nightly-300");
    assert_string_equal(json_string_value(json_array_get(ok, 1)), "nightly-200");
    assert_int_equal(json_array_size(json_object_get(pl.status, "pastFailedRunNames")), 0);
    assert_int_equal(pl.prune.len, 3);
    assert_true(vec_has(&pl.prune, "nightly-100"));
    assert_true(vec_has(&pl.prune, "nightly-150"));
    assert_true(vec_has(&pl.prune, "nightly-250"));
    op__sched_plan_release(&pl);

    /* default limits: 1 and 1 */
    json_object_del(json_object_get(p, "spec"), "successfulRunHistoryLimit");
    json_object_del(json_object_get(p, "spec"), "failedRunHistoryLimit");
    op__sched_plan(p, kids, NOW, &pl);
    ok = json_object_get(pl.status, "pastSuccessfulRunNames");
    assert_int_equal(json_array_size(ok), 1);
    assert_string_equal(json_string_value(json_array_get(ok, 0)), "nightly-300");
    json_t *bad = json_object_get(pl.status, "pastFailedRunNames");
    assert_int_equal(json_array_size(bad), 1);
    assert_string_equal(json_string_value(json_array_get(bad, 0)), "nightly-250");
    assert_int_equal(pl.prune.len, 3); /* 100, 200, 150 */
    assert_false(vec_has(&pl.prune, "nightly-300"));
    assert_false(vec_has(&pl.prune, "nightly-400"));
    op__sched_plan_release(&pl);
    json_decref(kids);
    json_decref(p);
}

static void test_which_children(void **state)
{
    (void)state;
    json_t *p = parent("@every 2s", "Forbid");
    set_status(p, "Scheduled", NOW - 1);
    json_t *other_label = child("nightly-1799999997", "RUNNING", "uid-parent");
    slu_json_set_str(other_label,
                     "metadata.labels."
                     "sparkoperator\\.k8s\\.io/scheduled-app-name",
                     "weekly");
    json_t *deleting = child("nightly-1799999996", "RUNNING", "uid-parent");
    slu_json_set_str(deleting, "metadata.deletionTimestamp", "2027-01-15T07:59:00Z");
    json_t *foreign = child("nightly-1799999995", "RUNNING", "uid-someone-else");
    json_t *kids = json_pack("[o, o, o]", other_label, deleting, foreign);
    struct op__sched_plan pl;
    op__sched_plan(p, kids, NOW, &pl);
    assert_false(pl.skipped); /* none of them counts as a running child */
    assert_non_null(pl.child);
    op__sched_plan_release(&pl);

    /* and none is pruned */
    slu_json_set_str(other_label, "status.applicationState.state", "COMPLETED");
    slu_json_set_str(foreign, "status.applicationState.state", "COMPLETED");
    slu_json_set_int(p, "spec.successfulRunHistoryLimit", 0);
    op__sched_plan(p, kids, NOW, &pl);
    assert_int_equal(pl.prune.len, 0);
    op__sched_plan_release(&pl);
    json_decref(kids);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspend),    cmocka_unit_test(test_new),
        cmocka_unit_test(test_validation), cmocka_unit_test(test_waiting),
        cmocka_unit_test(test_due_allow),  cmocka_unit_test(test_due_idempotent),
        cmocka_unit_test(test_due_forbid), cmocka_unit_test(test_due_replace),
        cmocka_unit_test(test_history),    cmocka_unit_test(test_which_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
