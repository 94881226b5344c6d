/* test_table.c - server-side printing (src/sim/table.c): JSONPath, ages, pod/node/service/CRD
 * tables as the real printers build them. */
#include "test.h"
#include "json_test.h"

#include <stdbool.h>

#include "sim/parts.h"

json_t *sim__table_at(const struct sim_rtype *rt, const json_t *obj_or_list,
                      const char *include_object, int64_t now_unix);
void sim__human_duration(int64_t seconds, char *buf, size_t n);

/* 2024-01-01T00:00:00Z */
#define T0 1704067200
#define NOW (T0 + 3600)

static struct sim_rtype builtin(const char *group, const char *kind)
{
    struct sim_rtype rt = {0};
    rt.group = (char *)group;
    rt.version = (char *)"v1";
    rt.kind = (char *)kind;
    return rt;
}

static const char *cell_str(const json_t *t, size_t row, size_t col)
{
    const json_t *c = json_array_get(
        json_object_get(json_array_get(json_object_get(t, "rows"), row), "cells"), col);
    if (!json_is_string(c))
        fail_msg("row %zu cell %zu is not a string", row, col);
    return json_string_value(c);
}

static const json_t *cell(const json_t *t, size_t row, size_t col)
{
    return json_array_get(json_object_get(json_array_get(json_object_get(t, "rows"), row), "cells"),
                          col);
}

static const char *col_name(const json_t *t, size_t i)
{
    return slu_json_str(json_array_get(json_object_get(t, "columnDefinitions"), i), "name");
}

static void test_jsonpath(void **state)
{
    (void)state;
    json_t *o = J("{\"spec\":{\"x\":[{\"y\":1},{\"y\":2}],\"s\":\"v\"},\"metadata\":{\"labels\":"
                  "{\"a.b/c\":\"d\"}},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
                  "\"False\"},{\"type\":\"Done\",\"status\":\"True\"}],\"n\":3}}");
    assert_string_equal(json_string_value(sim_jsonpath(o, ".spec.s")), "v");
    assert_string_equal(json_string_value(sim_jsonpath(o, "{.spec.s}")), "v");
    assert_string_equal(json_string_value(sim_jsonpath(o, "$.spec.s")), "v");
    assert_int_equal(json_integer_value(sim_jsonpath(o, ".spec.x[1].y")), 2);
    assert_int_equal(json_integer_value(sim_jsonpath(o, ".spec.x[-1].y")), 2);
    assert_int_equal(json_integer_value(sim_jsonpath(o, ".spec.x[*].y")), 1);
    assert_null(sim_jsonpath(o, ".spec.x[2].y"));
    assert_string_equal(json_string_value(sim_jsonpath(o, ".metadata.labels['a.b/c']")), "d");
    assert_string_equal(json_string_value(sim_jsonpath(o, ".metadata.labels[\"a.b/c\"]")), "d");
    assert_string_equal(
        json_string_value(sim_jsonpath(o, ".status.conditions[?(@.type==\"Done\")].status")),
        "True");
    assert_string_equal(
        json_string_value(sim_jsonpath(o, ".status.conditions[?(@.type == 'Ready')].status")),
        "False");
    assert_null(sim_jsonpath(o, ".status.conditions[?(@.type=='Nope')].status"));
    assert_null(sim_jsonpath(o, ".status.missing.deeper"));
    assert_null(sim_jsonpath(o, ".spec.s.t"));
    assert_null(sim_jsonpath(o, "..s"));
    assert_null(sim_jsonpath(o, ".spec.x[0:1]"));
    assert_true(sim_jsonpath(o, ".") == o);
    json_decref(o);
}

static void test_human_duration(void **state)
{
    (void)state;
    struct {
        int64_t s;
        const char *want;
    } cases[] = {{-5, "<invalid>"}, {-1, "0s"},       {0, "0s"},           {5, "5s"},
                 {119, "119s"},     {120, "2m"},      {182, "3m2s"},       {600, "10m"},
                 {3599, "59m"},     {10799, "179m"},  {10800, "3h"},       {12600, "3h30m"},
                 {28800, "8h"},     {172799, "47h"},  {172800, "2d"},      {180000, "2d2h"},
                 {691200, "8d"},    {63072000, "2y"}, {64000000, "2y10d"}, {300000000, "9y"}};
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        char buf[32];
        sim__human_duration(cases[i].s, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%lld s: got %s, want %s", (long long)cases[i].s, buf, cases[i].want);
    }
}

static const char pods[] =
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\","
    "\"continue\":\"tok\"},\"items\":["
    /* 0: running, ready */
    "{\"metadata\":{\"name\":\"run\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},"
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\"}]},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\",\"conditions\":[{\"type\":"
    "\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,"
    "\"restartCount\":0,\"state\":{\"running\":{}}}]}},"
    /* 1: completed */
    "{\"metadata\":{\"name\":\"done\",\"creationTimestamp\":\"2024-01-01T00:57:58Z\"},"
    "\"spec\":{\"containers\":[{\"name\":\"c\"}]},\"status\":{\"phase\":\"Succeeded\","
    "\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,\"state\":{\"terminated\":"
    "{\"exitCode\":0,\"reason\":\"Completed\"}}}]}},"
    /* 2: failed without reason */
    "{\"metadata\":{\"name\":\"err\",\"creationTimestamp\":\"2024-01-01T00:59:55Z\"},"
    "\"spec\":{\"containers\":[{\"name\":\"c\"}]},\"status\":{\"phase\":\"Failed\","
    "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"terminated\":{\"exitCode\":3}}}]}},"
    /* 3: creating, 2 containers, one ready; restarts with a last termination */
    "{\"metadata\":{\"name\":\"creating\",\"creationTimestamp\":\"2023-12-30T00:00:00Z\"},"
    "\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"readinessGates\":"
    "[{\"conditionType\":\"x/ok\"}]},\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":"
    "\"x/ok\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,"
    "\"restartCount\":2,\"lastState\":{\"terminated\":{\"finishedAt\":\"2024-01-01T00:55:00Z\"}},"
    "\"state\":{\"running\":{}}},{\"name\":\"b\",\"ready\":false,\"restartCount\":1,\"state\":"
    "{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}},"
    /* 4: terminating */
    "{\"metadata\":{\"name\":\"term\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
    "\"deletionTimestamp\":\"2024-01-01T01:00:00Z\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
    "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,"
    "\"state\":{\"running\":{}}}]}},"
    /* 5: pending, nothing yet; scheduling gated */
    "{\"metadata\":{\"name\":\"pend\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},\"status\":"
    "{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
    "\"reason\":\"SchedulingGated\"}]}},"
    /* 6: init container running */
    "{\"metadata\":{\"name\":\"init\",\"creationTimestamp\":\"2024-01-01T00:59:00Z\"},\"spec\":"
    "{\"initContainers\":[{\"name\":\"i\"}],\"containers\":[{\"name\":\"c\"}]},\"status\":"
    "{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{\"running\":{}}}]"
    ","
    "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":"
    "\"PodInitializing\"}}}]}}"
    "]}";

static void test_pods(void **state)
{
    (void)state;
    struct sim_rtype rt = builtin("", "Pod");
    json_t *list = J(pods);
    json_t *t = sim__table_at(&rt, list, NULL, NOW);
    assert_string_equal(slu_json_str(t, "kind"), "Table");
    assert_string_equal(slu_json_str(t, "apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(slu_json_str(t, "metadata.resourceVersion"), "42");
    assert_string_equal(slu_json_str(t, "metadata.continue"), "tok");
    const char *names[] = {"Name", "Ready", "Status",         "Restarts",       "Age",
                           "IP",   "Node",  "Nominated Node", "Readiness Gates"};
    const json_t *defs = json_object_get(t, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 9);
    for (size_t i = 0; i < 9; i++) {
        assert_string_equal(col_name(t, i), names[i]);
        assert_int_equal(slu_json_int(json_array_get(defs, i), "priority", -1), i >= 5 ? 1 : 0);
    }
    assert_string_equal(slu_json_str(json_array_get(defs, 0), "format"), "name");
    assert_int_equal(json_array_size(json_object_get(t, "rows")), 7);

    /* running */
    assert_string_equal(cell_str(t, 0, 0), "run");
    assert_string_equal(cell_str(t, 0, 1), "1/1");
    assert_string_equal(cell_str(t, 0, 2), "Running");
    assert_string_equal(cell_str(t, 0, 3), "0");
    assert_string_equal(cell_str(t, 0, 4), "60m");
    assert_string_equal(cell_str(t, 0, 5), "10.0.0.5");
    assert_string_equal(cell_str(t, 0, 6), "n1");
    assert_string_equal(cell_str(t, 0, 7), "<none>");
    assert_string_equal(cell_str(t, 0, 8), "<none>");
    /* completed */
    assert_string_equal(cell_str(t, 1, 1), "0/1");
    assert_string_equal(cell_str(t, 1, 2), "Completed");
    assert_string_equal(cell_str(t, 1, 4), "2m2s");
    assert_string_equal(cell_str(t, 1, 5), "<none>");
    const json_t *row1 = json_array_get(json_object_get(t, "rows"), 1);
    assert_string_equal(
        slu_json_str(json_array_get(json_object_get(row1, "conditions"), 0), "type"), "Completed");
    /* error without a reason */
    assert_string_equal(cell_str(t, 2, 2), "ExitCode:3");
    assert_string_equal(cell_str(t, 2, 4), "5s");
    /* creating: the waiting reason wins; restarts with the last restart's age */
    assert_string_equal(cell_str(t, 3, 1), "1/2");
    assert_string_equal(cell_str(t, 3, 2), "ContainerCreating");
    assert_string_equal(cell_str(t, 3, 3), "3 (5m ago)");
    assert_string_equal(cell_str(t, 3, 4), "2d1h");
    assert_string_equal(cell_str(t, 3, 8), "1/1");
    /* terminating */
    assert_string_equal(cell_str(t, 4, 2), "Terminating");
    /* pending, gated, no creation time */
    assert_string_equal(cell_str(t, 5, 2), "SchedulingGated");
    assert_string_equal(cell_str(t, 5, 1), "0/1");
    assert_string_equal(cell_str(t, 5, 4), "<unknown>");
    /* init */
    assert_string_equal(cell_str(t, 6, 2), "Init:0/1");

    /* default object: PartialObjectMetadata */
    const json_t *obj = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object");
    assert_string_equal(slu_json_str(obj, "kind"), "PartialObjectMetadata");
    assert_string_equal(slu_json_str(obj, "apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(slu_json_str(obj, "metadata.name"), "run");
    assert_null(json_object_get(obj, "spec"));
    json_decref(t);

    t = sim__table_at(&rt, list, "Object", NOW);
    obj = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object");
    assert_string_equal(slu_json_str(obj, "spec.nodeName"), "n1");
    json_decref(t);
    t = sim__table_at(&rt, list, "None", NOW);
    assert_null(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object"));
    json_decref(t);

    /* a single object */
    t = sim__table_at(&rt, json_array_get(json_object_get(list, "items"), 0), "Metadata", NOW);
    assert_int_equal(json_array_size(json_object_get(t, "rows")), 1);
    assert_string_equal(cell_str(t, 0, 2), "Running");
    json_decref(t);
    json_decref(list);
}

static void test_nodes_and_services(void **state)
{
    (void)state;
    struct sim_rtype rt = builtin("", "Node");
    json_t *node =
        J("{\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
          "\"labels\":{\"node-role.kubernetes.io/worker\":\"\",\"node-role.kubernetes.io/"
          "control-plane\":\"\"}},\"spec\":{\"unschedulable\":true},\"status\":"
          "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"addresses\":"
          "[{\"type\":\"InternalIP\",\"address\":\"10.1.0.1\"}],\"nodeInfo\":"
          "{\"kubeletVersion\":\"v1.32.0\"}}}");
    json_t *t = sim__table_at(&rt, node, NULL, NOW);
    assert_string_equal(col_name(t, 1), "Status");
    assert_string_equal(col_name(t, 2), "Roles");
    assert_string_equal(col_name(t, 4), "Version");
    assert_string_equal(col_name(t, 5), "Internal-IP");
    assert_string_equal(cell_str(t, 0, 1), "Ready,SchedulingDisabled");
    assert_string_equal(cell_str(t, 0, 2), "control-plane,worker");
    assert_string_equal(cell_str(t, 0, 3), "60m");
    assert_string_equal(cell_str(t, 0, 4), "v1.32.0");
    assert_string_equal(cell_str(t, 0, 5), "10.1.0.1");
    assert_string_equal(cell_str(t, 0, 6), "<none>");
    assert_string_equal(cell_str(t, 0, 7), "<unknown>");
    json_decref(t);
    json_decref(node);

    rt = builtin("", "Service");
    json_t *svc =
        J("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":\"NodePort\",\"clusterIP\":"
          "\"10.96.0.10\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"nodePort\":30080},"
          "{\"port\":53,\"protocol\":\"UDP\"}],\"selector\":{\"b\":\"2\",\"a\":\"1\"}}}");
    t = sim__table_at(&rt, svc, NULL, NOW);
    assert_string_equal(col_name(t, 2), "Cluster-IP");
    assert_string_equal(col_name(t, 4), "Port(s)");
    assert_string_equal(cell_str(t, 0, 1), "NodePort");
    assert_string_equal(cell_str(t, 0, 2), "10.96.0.10");
    assert_string_equal(cell_str(t, 0, 3), "<none>");
    assert_string_equal(cell_str(t, 0, 4), "80:30080/TCP,53/UDP");
    assert_string_equal(cell_str(t, 0, 6), "a=1,b=2");
    json_decref(t);
    json_decref(svc);

    rt = builtin("", "ConfigMap");
    json_t *cm = J("{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    t = sim__table_at(&rt, cm, NULL, NOW);
    assert_string_equal(col_name(t, 1), "Data");
    assert_int_equal(json_integer_value(cell(t, 0, 1)), 2);
    json_decref(t);
    json_decref(cm);

    rt = builtin("", "Namespace");
    json_t *ns = J("{\"metadata\":{\"name\":\"default\"},\"status\":{\"phase\":\"Active\"}}");
    t = sim__table_at(&rt, ns, NULL, NOW);
    assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 3);
    assert_string_equal(cell_str(t, 0, 1), "Active");
    json_decref(t);
    json_decref(ns);

    rt = builtin("", "Event");
    json_t *ev = J("{\"metadata\":{\"name\":\"e1\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":"
                   "\"p\"},\"reason\":\"Scheduled\",\"type\":\"Normal\",\"message\":\" bound \","
                   "\"firstTimestamp\":\"2024-01-01T00:59:50Z\",\"source\":{\"component\":"
                   "\"default-scheduler\"}}");
    t = sim__table_at(&rt, ev, NULL, NOW);
    assert_string_equal(col_name(t, 0), "Last Seen");
    assert_string_equal(cell_str(t, 0, 0), "10s");
    assert_string_equal(cell_str(t, 0, 3), "pod/p");
    assert_string_equal(cell_str(t, 0, 5), "default-scheduler");
    assert_string_equal(cell_str(t, 0, 6), "bound");
    assert_int_equal(json_integer_value(cell(t, 0, 8)), 1);
    json_decref(t);
    json_decref(ev);

    /* any other kind: the default convertor */
    rt = builtin("apiextensions.k8s.io", "CustomResourceDefinition");
    json_t *crd =
        J("{\"metadata\":{\"name\":\"a.b.c\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"}}");
    t = sim__table_at(&rt, crd, NULL, NOW);
    assert_string_equal(col_name(t, 1), "Created At");
    assert_string_equal(cell_str(t, 0, 1), "2024-01-01T00:00:00Z");
    json_decref(t);
    json_decref(crd);
}

static void test_crd_columns(void **state)
{
    (void)state;
    struct sim_rtype rt = {0};
    rt.group = (char *)"sparkoperator.k8s.io";
    rt.version = (char *)"v1beta2";
    rt.kind = (char *)"SparkApplication";
    rt.is_crd = true;
    rt.printer_columns = J(
        "[{\"jsonPath\":\".spec.suspend\",\"name\":\"Suspend\",\"type\":\"boolean\"},"
        "{\"jsonPath\":\".status.applicationState.state\",\"name\":\"Status\",\"type\":\"string\"},"
        "{\"jsonPath\":\".status.executionAttempts\",\"name\":\"Attempts\",\"type\":\"string\"},"
        "{\"jsonPath\":\".status.lastSubmissionAttemptTime\",\"name\":\"Start\",\"type\":"
        "\"string\"},"
        "{\"jsonPath\":\".spec.n\",\"name\":\"N\",\"type\":\"integer\",\"priority\":1,"
        "\"description\":\"the n\"},"
        "{\"jsonPath\":\".metadata.creationTimestamp\",\"name\":\"Age\",\"type\":\"date\"}]");
    json_t *app =
        J("{\"metadata\":{\"name\":\"pi\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
          "\"resourceVersion\":\"7\"},\"spec\":{\"n\":2.0},\"status\":{\"applicationState\":"
          "{\"state\":\"RUNNING\"},\"executionAttempts\":1,\"lastSubmissionAttemptTime\":"
          "\"2024-01-01T00:00:05Z\"}}");
    json_t *t = sim__table_at(&rt, app, NULL, NOW);
    const json_t *defs = json_object_get(t, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 7);
    assert_string_equal(col_name(t, 0), "Name");
    assert_string_equal(col_name(t, 2), "Status");
    assert_string_equal(slu_json_str(json_array_get(defs, 1), "type"), "boolean");
    assert_string_equal(slu_json_str(json_array_get(defs, 2), "description"),
                        "Custom resource definition column (in JSONPath format): "
                        ".status.applicationState.state");
    assert_string_equal(slu_json_str(json_array_get(defs, 5), "description"), "the n");
    assert_int_equal(slu_json_int(json_array_get(defs, 5), "priority", 0), 1);
    assert_string_equal(slu_json_str(t, "metadata.resourceVersion"), "7");
    assert_string_equal(cell_str(t, 0, 0), "pi");
    assert_true(json_is_null(cell(t, 0, 1))); /* suspend absent */
    assert_string_equal(cell_str(t, 0, 2), "RUNNING");
    assert_string_equal(cell_str(t, 0, 3), "1"); /* integer printed as text */
    assert_string_equal(cell_str(t, 0, 4), "2024-01-01T00:00:05Z");
    assert_true(json_is_integer(cell(t, 0, 5)));
    assert_int_equal(json_integer_value(cell(t, 0, 5)), 2);
    assert_string_equal(cell_str(t, 0, 6), "60m"); /* date: an age */
    json_decref(t);
    json_decref(rt.printer_columns);

    /* no printer columns: Name + Age */
    rt.printer_columns = NULL;
    t = sim__table_at(&rt, app, NULL, NOW);
    assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 2);
    assert_string_equal(col_name(t, 1), "Age");
    assert_string_equal(
        slu_json_str(json_array_get(json_object_get(t, "columnDefinitions"), 1), "type"), "date");
    assert_string_equal(cell_str(t, 0, 1), "60m");
    json_decref(t);
    json_decref(app);

    /* the public entry point works with the real clock */
    json_t *lst = J("{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[]}");
    t = sim_table(&rt, lst, NULL);
    assert_int_equal(json_array_size(json_object_get(t, "rows")), 0);
    assert_string_equal(slu_json_str(t, "metadata.resourceVersion"), "9");
    json_decref(t);
    json_decref(lst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonpath),    cmocka_unit_test(test_human_duration),
        cmocka_unit_test(test_pods),        cmocka_unit_test(test_nodes_and_services),
        cmocka_unit_test(test_crd_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
