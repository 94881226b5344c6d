/*
 * test_scan.c - tests for src/json/scan.c: slu_json_span / scan_str / scan_i64 (paths, skipping
 * of every kind of value, escapes and surrogates, malformed input, every truncation of a real Pod,
 * depth bombs) and slu_json_parse_select (against a jansson-based reference extraction over
 * realistic and generated documents, deterministic seed).
 */
#include "test.h"
#include "json_test.h"

#include "json/json.h"

/* A Pod as the API server returns it (managedFields, status with two containers): ~4 KB. */
static const char POD_JSON[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"spark-pi-1a2b3c941f297c00-"
    "driver\","
    "\"namespace\":\"spark-jobs\",\"uid\":\"5f0c6a52-2d4e-4b8a-9f3e-7c1d2e3f4a5b\","
    "\"resourceVersion\":\"184467\",\"creationTimestamp\":\"2025-01-01T00:00:00Z\","
    "\"labels\":{\"spark-app-selector\":\"spark-0123456789abcdef0123456789abcdef\","
    "\"spark-role\":\"driver\",\"spark-version\":\"4.0.0\",\"sparkoperator.k8s.io/"
    "app-name\":\"spark-pi\","
    "\"sparkoperator.k8s.io/launched-by-spark-operator\":\"true\",\"sparkoperator.k8s.io/"
    "submission-id\":"
    "\"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\",\"team\":\"data\"},"
    "\"annotations\":{\"note\":\"a \\\"quoted\\\" value with \\\\ and } ] { [ inside\","
    "\"unicode\":\"caf\\u00e9 \\ud83d\\ude00\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"sparkoperator.k8s.io/"
    "v1beta2\",\"kind\":\"SparkApplication\","
    "\"name\":\"spark-pi\",\"uid\":\"9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4\",\"controller\":true,"
    "\"blockOwnerDeletion\":true}],"
    "\"managedFields\":[{\"manager\":\"sluice\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
    "\"time\":\"2025-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":"
    "{\"f:labels\":{\".\":{},\"f:spark-app-selector\":{},\"f:spark-role\":{},\"f:team\":{}},"
    "\"f:ownerReferences\":{\".\":{},\"k:{\\\"uid\\\":\\\"9a8b7c6d\\\"}\":{}}},\"f:spec\":{\"f:"
    "containers\":"
    "{\"k:{\\\"name\\\":\\\"spark-kubernetes-driver\\\"}\":{\".\":{},\"f:args\":{},\"f:env\":{},"
    "\"f:image\":{},\"f:name\":{},\"f:ports\":{},\"f:resources\":{}}},\"f:restartPolicy\":{},"
    "\"f:volumes\":{}}}}]},"
    "\"spec\":{\"volumes\":[{\"name\":\"spark-local-dir-1\",\"emptyDir\":{}},{\"name\":\"spark-"
    "conf-volume-driver\","
    "\"configMap\":{\"name\":\"spark-drv-5e6f7a941f297c00-conf-map\",\"items\":[{\"key\":\"spark."
    "properties\","
    "\"path\":\"spark.properties\",\"mode\":420}],\"defaultMode\":420}}],"
    "\"containers\":[{\"name\":\"spark-kubernetes-driver\",\"image\":\"apache/spark:4.0.0\","
    "\"args\":[\"driver\",\"--properties-file\",\"/opt/spark/conf/spark.properties\",\"--class\","
    "\"org.apache.spark.examples.SparkPi\",\"local:///opt/spark/examples/jars/"
    "spark-examples_2.13-4.0.0.jar\","
    "\"100\"],\"ports\":[{\"name\":\"driver-rpc-port\",\"containerPort\":7078,\"protocol\":\"TCP\"}"
    ","
    "{\"name\":\"blockmanager\",\"containerPort\":7079,\"protocol\":\"TCP\"},{\"name\":\"spark-"
    "ui\","
    "\"containerPort\":4040,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"SPARK_USER\",\"value\":"
    "\"alice\"},"
    "{\"name\":\"SPARK_APPLICATION_ID\",\"value\":\"spark-0123456789abcdef0123456789abcdef\"},"
    "{\"name\":\"SPARK_DRIVER_BIND_ADDRESS\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"status.podIP\"}}},{\"name\":\"SPARK_LOCAL_DIRS\",\"value\":\"/var/data/"
    "spark-0b1c2d3e\"},"
    "{\"name\":\"SPARK_CONF_DIR\",\"value\":\"/opt/spark/"
    "conf\"}],\"resources\":{\"limits\":{\"cpu\":\"1200m\","
    "\"memory\":\"2432Mi\"},\"requests\":{\"cpu\":\"1\",\"memory\":\"2432Mi\"}},\"volumeMounts\":["
    "{\"name\":\"spark-local-dir-1\",\"mountPath\":\"/var/data/spark-0b1c2d3e\"},{\"name\":"
    "\"spark-conf-volume-driver\",\"mountPath\":\"/opt/spark/conf\"}],\"terminationMessagePath\":"
    "\"/dev/"
    "termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}]"
    ","
    "\"restartPolicy\":\"Never\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"
    "\"ClusterFirst\","
    "\"serviceAccountName\":\"spark\",\"serviceAccount\":\"spark\",\"nodeName\":\"sim-node-1\","
    "\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":"
    "\"node.kubernetes.io/"
    "not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
    "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":"
    "\"PreemptLowerPriority\"},"
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":"
    "\"True\","
    "\"lastProbeTime\":null,\"lastTransitionTime\":\"2025-01-01T00:00:01Z\"},{\"type\":\"Ready\","
    "\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2025-01-01T00:00:03Z\"},"
    "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":"
    "\"2025-01-01T00:00:00Z\"}],\"hostIP\":\"10.0.0.11\",\"podIP\":\"10.244.1.17\",\"podIPs\":[{"
    "\"ip\":"
    "\"10.244.1.17\"}],\"startTime\":\"2025-01-01T00:00:01Z\",\"containerStatuses\":[{\"name\":"
    "\"spark-kubernetes-driver\",\"state\":{\"running\":{\"startedAt\":\"2025-01-01T00:00:02Z\"}},"
    "\"lastState\":{},\"ready\":true,\"restartCount\":0,\"image\":\"apache/"
    "spark:4.0.0\",\"imageID\":"
    "\"docker-pullable://apache/"
    "spark@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
    "\"containerID\":\"containerd://"
    "4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e\","
    "\"started\":true},{\"name\":\"sidecar\",\"state\":{\"terminated\":{\"exitCode\":137,"
    "\"reason\":"
    "\"OOMKilled\",\"startedAt\":\"2025-01-01T00:00:02Z\",\"finishedAt\":\"2025-01-01T00:01:02Z\"}}"
    ","
    "\"ready\":false,\"restartCount\":2,\"image\":\"busybox:1.36\",\"started\":false,\"cpu\":1.5e-"
    "3}],"
    "\"qosClass\":\"Burstable\"}}";

/* ---------------------------------------------------------------- span */

/* span of path in the NUL-terminated text doc: rc, and the text in got (when rc == 0). */
static int span_s(const char *doc, const char *path, char *got, size_t cap)
{
    const char *v = NULL;
    size_t n = 99;
    size_t dl = strlen(doc);
    int rc = slu_json_span(doc, dl, path, &v, &n);
    got[0] = '\0';
    if (rc == 0) {
        assert_non_null(v);
        assert_true(v >= doc && v + n <= doc + dl);
        assert_true(n < cap);
        memcpy(got, v, n);
        got[n] = '\0';
    } else {
        assert_null(v);
        assert_int_equal(n, 0);
    }
    return rc;
}

static void expect_span(const char *doc, const char *path, const char *want)
{
    char got[8192];
    int rc = span_s(doc, path, got, sizeof got);
    if (rc != 0 || strcmp(got, want) != 0)
        fail_msg("span(%s) of %s: rc %d, got '%s', want '%s'", path, doc, rc, got, want);
}

static void expect_span_rc(const char *doc, const char *path, int want)
{
    char got[8192];
    int rc = span_s(doc, path, got, sizeof got);
    if (rc != want)
        fail_msg("span(%s) of %s: rc %d ('%s'), want %d", path, doc, rc, got, want);
}

static void test_span_pod(void **state)
{
    (void)state;
    expect_span(POD_JSON, "metadata.resourceVersion", "\"184467\"");
    expect_span(POD_JSON, "metadata.name", "\"spark-pi-1a2b3c941f297c00-driver\"");
    expect_span(POD_JSON, "kind", "\"Pod\"");
    expect_span(POD_JSON, "status.phase", "\"Running\"");
    expect_span(POD_JSON, "status.qosClass", "\"Burstable\"");
    expect_span(POD_JSON, "spec.terminationGracePeriodSeconds", "30");
    expect_span(POD_JSON, "spec.enableServiceLinks", "true");
    expect_span(POD_JSON, "spec.securityContext", "{}");
    expect_span(POD_JSON, "status.podIPs", "[{\"ip\":\"10.244.1.17\"}]");
    expect_span(POD_JSON, "metadata.annotations.note",
                "\"a \\\"quoted\\\" value with \\\\ and } ] { [ inside\"");
    expect_span(POD_JSON, "metadata.labels.team", "\"data\"");
    expect_span(POD_JSON, "", POD_JSON);
    /* a key holding '.' cannot be addressed */
    expect_span_rc(POD_JSON, "metadata.labels.sparkoperator.k8s.io/app-name", SLU_ENOTFOUND);
    expect_span_rc(POD_JSON, "metadata.nope", SLU_ENOTFOUND);
    expect_span_rc(POD_JSON, "nope", SLU_ENOTFOUND);
    /* a non-object on the path */
    expect_span_rc(POD_JSON, "metadata.name.x", SLU_ENOTFOUND);
    expect_span_rc(POD_JSON, "status.conditions.type", SLU_ENOTFOUND);
    expect_span_rc(POD_JSON, "spec.priority.x", SLU_ENOTFOUND);
    /* the whole metadata object parses back to what jansson sees */
    const char *v;
    size_t n;
    assert_int_equal(slu_json_span(POD_JSON, strlen(POD_JSON), "metadata", &v, &n), 0);
    json_t *m = json_loadb(v, n, 0, NULL);
    json_t *full = J(POD_JSON);
    assert_non_null(m);
    assert_true(slu_json_equal(m, json_object_get(full, "metadata")));
    json_decref(m);
    json_decref(full);
}

static void test_span_skipping(void **state)
{
    (void)state;
    /* every kind of value before the one wanted */
    const char *doc = " { \"s\" : \"x\\\"}\\\\\" , \"n\":-1.5e+3,\"z\":0,\"t\":true,\"f\":false,"
                      "\"u\":null,\"a\":[[],[1,[2,{\"k\":\"]\"}]],{}],\"o\":{\"x\":{\"y\":\"}\"}},"
                      "\"e\":\"\",\"want\" :\t[ 1 , \"2\" ] , \"after\": 1 } ";
    expect_span(doc, "want", "[ 1 , \"2\" ]");
    expect_span(doc, "s", "\"x\\\"}\\\\\"");
    expect_span(doc, "n", "-1.5e+3");
    expect_span(doc, "z", "0");
    expect_span(doc, "u", "null");
    expect_span(doc, "f", "false");
    expect_span(doc, "e", "\"\"");
    expect_span(doc, "o.x.y", "\"}\"");
    expect_span(doc, "o.x", "{\"y\":\"}\"}");
    expect_span_rc(doc, "a.k", SLU_ENOTFOUND);
    expect_span(doc, "",
                "{ \"s\" : \"x\\\"}\\\\\" , \"n\":-1.5e+3,\"z\":0,\"t\":true,\"f\":false,"
                "\"u\":null,\"a\":[[],[1,[2,{\"k\":\"]\"}]],{}],\"o\":{\"x\":{\"y\":\"}\"}},"
                "\"e\":\"\",\"want\" :\t[ 1 , \"2\" ] , \"after\": 1 }");
    /* keys compared after unescaping; first duplicate wins */
    expect_span("{\"\\u0061b\\/c\":1,\"ab/c\":2}", "ab/c", "1");
    expect_span("{\"k\":1,\"k\":2}", "k", "1");
    expect_span("{\"caf\\u00e9\":\"x\"}", "caf\xc3\xa9", "\"x\"");
    expect_span("{\"\\ud83d\\ude00\":7}", "\xf0\x9f\x98\x80", "7");
    expect_span("{\"a\":1,\"ab\":2}", "ab", "2");
    expect_span("{\"\":{\"\":3}}", ".", "3");
    expect_span_rc("{}", "a", SLU_ENOTFOUND);
    expect_span_rc("[1]", "a", SLU_ENOTFOUND);
    expect_span_rc("\"s\"", "a", SLU_ENOTFOUND);
    expect_span("7", "", "7");
    expect_span(" \"s\" ", "", "\"s\"");
    /* scanning stops at the value: what follows is not read */
    expect_span("{\"a\":1, garbage", "a", "1");
    expect_span_rc("{\"a\":1, garbage", "b", SLU_EINVAL);
}

static void test_span_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "{\"a\":\"x}",
        "{\"a\":\"x\\\"}",
        "{\"a\":[1,2}",
        "{\"a\":{\"b\":1]}",
        "{\"a\":tru}",
        "{\"a\":nul,\"b\":1}",
        "{\"a\":01,\"b\":1}",
        "{\"a\":1.,\"b\":1}",
        "{\"a\":.5,\"b\":1}",
        "{\"a\":1e,\"b\":1}",
        "{\"a\":-,\"b\":1}",
        "{\"a\":+1,\"b\":1}",
        "{\"a\":\"\\x\",\"b\":1}",
        "{\"a\":\"\\u12G4\",\"b\":1}",
        "{\"a\":\"\\ud800\",\"b\":1}",
        "{\"a\":\"\\udc00\",\"b\":1}",
        "{\"a\":\"\\ud800\\u0041\",\"b\":1}",
        "{\"a\":\"\x01\",\"b\":1}",
        "{\"a\":\"\xc3\",\"b\":1}",
        "{\"a\":\"\xc0\x80\",\"b\":1}",
        "{\"a\":\"\xed\xa0\x80\",\"b\":1}",
        "{\"a\":\"\xf4\x90\x80\x80\",\"b\":1}",
        "{\"a\":\"\xff\",\"b\":1}",
        "{\"a\" 1,\"b\":1}",
        "{\"a\":1 \"b\":1}",
        "{\"a\":1,,\"b\":1}",
        "{\"a\":1,}",
        "{a:1,\"b\":1}",
        "{\"a\":[1,],\"b\":1}",
        "{\"a\":[,1],\"b\":1}",
        "{\"a\":x,\"b\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_span_rc(bad[i], "b", SLU_EINVAL);
        expect_span_rc(bad[i], "", SLU_EINVAL);
    }
    /* trailing garbage counts only for the whole document */
    expect_span_rc("{} x", "", SLU_EINVAL);
    expect_span_rc("1 2", "", SLU_EINVAL);
    expect_span_rc("{\"a\":1} x", "a", 0);
    /* a found value must be followed by ',' or '}' */
    expect_span_rc("{\"a\":12", "a", SLU_EINVAL);
    expect_span_rc("{\"a\":\"x\"", "a", SLU_EINVAL);
    expect_span_rc("{\"a\":{\"b\":1}", "a", SLU_EINVAL);
    /* NULL buffer with len 0 */
    const char *v;
    size_t n;
    assert_int_equal(slu_json_span(NULL, 0, "a", &v, &n), SLU_EINVAL);
}

/* nested n deep: {"a":{"a":...1...}} or [[[...]]] */
static char *nest(int n, bool obj)
{
    struct slu_buf b;
    slu_buf_init(&b);
    for (int i = 0; i < n; i++)
        slu_buf_puts(&b, obj ? "{\"a\":" : "[");
    slu_buf_putc(&b, '1');
    for (int i = 0; i < n; i++)
        slu_buf_putc(&b, obj ? '}' : ']');
    return slu_buf_steal(&b);
}

static void test_span_depth(void **state)
{
    (void)state;
    const char *v;
    size_t n;
    char *ok = nest(512, false), *deep = nest(513, false), *bomb = nest(100000, false);
    assert_int_equal(slu_json_span(ok, strlen(ok), "", &v, &n), 0);
    assert_int_equal(slu_json_span(deep, strlen(deep), "", &v, &n), SLU_EINVAL);
    assert_int_equal(slu_json_span(bomb, strlen(bomb), "", &v, &n), SLU_EINVAL);
    char *wrapped = slu_asprintf("{\"x\":%s,\"y\":2}", bomb);
    assert_int_equal(slu_json_span(wrapped, strlen(wrapped), "y", &v, &n), SLU_EINVAL);
    free(wrapped);
    free(ok);
    free(deep);
    free(bomb);
    /* a long path of objects: the 512th object is found (scanning stops there, the text is
     * deeper), the 513th is one too many */
    char *o = nest(600, true);
    struct slu_buf p;
    slu_buf_init(&p);
    for (int i = 0; i < 511; i++)
        slu_buf_puts(&p, i ? ".a" : "a");
    assert_int_equal(slu_json_span(o, strlen(o), p.data, &v, &n), SLU_EINVAL); /* 601 deep */
    char *o512 = nest(512, true);
    assert_int_equal(slu_json_span(o512, strlen(o512), p.data, &v, &n), 0);
    assert_int_equal(n, 7);
    assert_memory_equal(v, "{\"a\":1}", 7);
    slu_buf_puts(&p, ".a");
    assert_int_equal(slu_json_span(o512, strlen(o512), p.data, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(slu_json_span(o, strlen(o), p.data, &v, &n), SLU_EINVAL);
    slu_buf_puts(&p, ".a");
    assert_int_equal(slu_json_span(o, strlen(o), p.data, &v, &n), SLU_EINVAL);
    slu_buf_release(&p);
    free(o);
    free(o512);
}

/* Every prefix of the Pod: an error, or exactly the value found in the whole document. */
static void test_span_truncation(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "",
        "metadata.resourceVersion",
        "metadata.name",
        "metadata.labels",
        "status.phase",
        "status.containerStatuses",
        "spec.terminationGracePeriodSeconds",
        "spec.priority",
        "status.qosClass",
        "metadata.annotations.unicode",
        "nope",
    };
    size_t len = strlen(POD_JSON);
    for (size_t pi = 0; pi < sizeof paths / sizeof paths[0]; pi++) {
        const char *fv;
        size_t fn;
        int frc = slu_json_span(POD_JSON, len, paths[pi], &fv, &fn);
        char full_s[256], part_s[256];
        int frc_s = slu_json_scan_str(POD_JSON, len, paths[pi], full_s, sizeof full_s);
        for (size_t cut = 0; cut < len; cut++) {
            char *pre = slu_malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
            memcpy(pre, POD_JSON, cut);
            const char *v;
            size_t n;
            int rc = slu_json_span(pre, cut, paths[pi], &v, &n);
            if (rc == 0) {
                assert_int_equal(frc, 0);
                assert_int_equal(n, fn);
                assert_int_equal(v - pre, fv - POD_JSON);
            } else {
                assert_true(rc == SLU_EINVAL || (rc == frc && rc == SLU_ENOTFOUND));
            }
            int rs = slu_json_scan_str(pre, cut, paths[pi], part_s, sizeof part_s);
            if (rs == 0) {
                assert_int_equal(frc_s, 0);
                assert_string_equal(part_s, full_s);
            }
            int64_t x;
            (void)slu_json_scan_i64(pre, cut, paths[pi], &x);
            free(pre);
        }
    }
}

/* ---------------------------------------------------------------- scan_str, scan_i64 */

static void test_scan_str(void **state)
{
    (void)state;
    char out[256];
    size_t len = strlen(POD_JSON);
    assert_int_equal(slu_json_scan_str(POD_JSON, len, "metadata.resourceVersion", out, sizeof out),
                     0);
    assert_string_equal(out, "184467");
    assert_int_equal(slu_json_scan_str(POD_JSON, len, "metadata.annotations.note", out, sizeof out),
                     0);
    assert_string_equal(out, "a \"quoted\" value with \\ and } ] { [ inside");
    assert_int_equal(
        slu_json_scan_str(POD_JSON, len, "metadata.annotations.unicode", out, sizeof out), 0);
    assert_string_equal(out, "caf\xc3\xa9 \xf0\x9f\x98\x80");
    const char *doc = "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00DF\\u20ac\\uD834\\uDD1E"
                      "\xe2\x82\xac\",\"empty\":\"\",\"n\":5,\"o\":{},\"nul\":\"a\\u0000b\"}";
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "e", out, sizeof out), 0);
    assert_string_equal(out, "\"\\/\b\f\n\r\tA\xc3\x9f\xe2\x82\xac\xf0\x9d\x84\x9e\xe2\x82\xac");
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "empty", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "n", out, sizeof out), SLU_EINVAL);
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "o", out, sizeof out), SLU_EINVAL);
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "nul", out, sizeof out), SLU_EINVAL);
    assert_int_equal(slu_json_scan_str(doc, strlen(doc), "x", out, sizeof out), SLU_ENOTFOUND);
    /* capacity: the NUL counts */
    const char *d2 = "{\"s\":\"abc\",\"u\":\"\\u00e9\"}";
    assert_int_equal(slu_json_scan_str(d2, strlen(d2), "s", out, 4), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(slu_json_scan_str(d2, strlen(d2), "s", out, 3), SLU_ERANGE);
    assert_string_equal(out, "");
    assert_int_equal(slu_json_scan_str(d2, strlen(d2), "s", out, 0), SLU_ERANGE);
    assert_int_equal(slu_json_scan_str(d2, strlen(d2), "u", out, 3), 0);
    assert_string_equal(out, "\xc3\xa9");
    assert_int_equal(slu_json_scan_str(d2, strlen(d2), "u", out, 2), SLU_ERANGE);
    assert_int_equal(slu_json_scan_str("{\"s\":\"\\ud800x\"}", 15, "s", out, sizeof out),
                     SLU_EINVAL);
}

static void test_scan_i64(void **state)
{
    (void)state;
    const char *doc = "{\"a\":0,\"b\":-0,\"c\":9223372036854775807,\"d\":-9223372036854775808,"
                      "\"e\":9223372036854775808,\"f\":-9223372036854775809,\"g\":1.0,\"h\":1e2,"
                      "\"i\":\"5\",\"j\":true,\"k\":123456789012345678901234567890,\"l\":-42}";
    size_t len = strlen(doc);
    int64_t v = 77;
    assert_int_equal(slu_json_scan_i64(doc, len, "a", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(slu_json_scan_i64(doc, len, "b", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(slu_json_scan_i64(doc, len, "c", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(slu_json_scan_i64(doc, len, "d", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(slu_json_scan_i64(doc, len, "l", &v), 0);
    assert_int_equal(v, -42);
    v = 5;
    assert_int_equal(slu_json_scan_i64(doc, len, "e", &v), SLU_ERANGE);
    assert_int_equal(slu_json_scan_i64(doc, len, "f", &v), SLU_ERANGE);
    assert_int_equal(slu_json_scan_i64(doc, len, "k", &v), SLU_ERANGE);
    assert_int_equal(slu_json_scan_i64(doc, len, "g", &v), SLU_EINVAL);
    assert_int_equal(slu_json_scan_i64(doc, len, "h", &v), SLU_EINVAL);
    assert_int_equal(slu_json_scan_i64(doc, len, "i", &v), SLU_EINVAL);
    assert_int_equal(slu_json_scan_i64(doc, len, "j", &v), SLU_EINVAL);
    assert_int_equal(slu_json_scan_i64(doc, len, "zz", &v), SLU_ENOTFOUND);
    assert_int_equal(v, 5);
    assert_int_equal(
        slu_json_scan_i64(POD_JSON, strlen(POD_JSON), "spec.terminationGracePeriodSeconds", &v), 0);
    assert_int_equal(v, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span_pod),        cmocka_unit_test(test_span_skipping),
        cmocka_unit_test(test_span_malformed),  cmocka_unit_test(test_span_depth),
        cmocka_unit_test(test_span_truncation), cmocka_unit_test(test_scan_str),
        cmocka_unit_test(test_scan_i64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
