/*
 * test_scan.c - tests for src/json/scan.c: slu_json_span / scan_str / scan_i64 (paths, skipping
 * of every kind of value, escapes and surrogates, malformed input, every truncation of a real Pod,
 * depth bombs) and slu_json_parse_select (against a jansson-based reference extraction over
 * realistic and generated documents, deterministic seed).
 */
#include "test.h"
#include "json_test.h"

#include "json/json.h"

#include "pod_fixture.h"

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

/* ---------------------------------------------------------------- parse_select */

#include "json_select_ref.h"

/* parse_select of text must equal the reference (and jansson must accept text). */
static void check_select(const char *text, size_t len, const char *const *paths, size_t npaths)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!doc)
        fail_msg("jansson rejects the test document: %s at %d", je.text, je.position);
    json_t *want = ref_select(doc, paths, npaths);
    json_t *got = NULL;
    struct slu_err err = {0};
    int rc = slu_json_parse_select(text, len, paths, npaths, &got, &err);
    if (rc != 0)
        fail_msg("parse_select: %d %s on %.*s", rc, err.msg, (int)SLU_MIN(len, 2000), text);
    if (!json_equal(got, want)) {
        char *g = slu_json_dumps_canonical(got), *w = slu_json_dumps_canonical(want);
        print_error("paths:");
        for (size_t i = 0; i < npaths; i++)
            print_error(" '%s'", paths[i]);
        print_error("\ndoc %.*s\ngot  %s\nwant %s\n", (int)SLU_MIN(len, 3000), text, g, w);
        free(g);
        free(w);
        fail();
    }
    json_decref(got);
    json_decref(want);
    json_decref(doc);
    slu_err_release(&err);
}

static void test_select_pod(void **state)
{
    (void)state;
    const char *paths[] = {"metadata.name", "metadata.labels", "status.phase",
                           "status.containerStatuses.*.state"};
    json_t *got = NULL;
    struct slu_err err = {0};
    assert_int_equal(slu_json_parse_select(POD_JSON, strlen(POD_JSON), paths, 4, &got, &err), 0);
    check_eq(got,
             "{\"metadata\":{\"name\":\"spark-pi-1a2b3c941f297c00-driver\",\"labels\":{"
             "\"spark-app-selector\":\"spark-0123456789abcdef0123456789abcdef\","
             "\"spark-role\":\"driver\",\"spark-version\":\"4.0.0\","
             "\"sparkoperator.k8s.io/app-name\":\"spark-pi\","
             "\"sparkoperator.k8s.io/launched-by-spark-operator\":\"true\","
             "\"sparkoperator.k8s.io/submission-id\":\"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\","
             "\"team\":\"data\"}},\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
             "{\"state\":{\"running\":{\"startedAt\":\"2025-01-01T00:00:02Z\"}}},"
             "{\"state\":{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\","
             "\"startedAt\":\"2025-01-01T00:00:02Z\",\"finishedAt\":\"2025-01-01T00:01:02Z\"}}}]}}",
             "pod projection");
    json_decref(got);
    check_select(POD_JSON, strlen(POD_JSON), paths, 4);

    /* a watch event: the type and the projected object in one call */
    char *ev = slu_asprintf("{\"type\":\"MODIFIED\",\"object\":%s}\n", POD_JSON);
    const char *ep[] = {"type", "object.metadata.resourceVersion", "object.status.phase",
                        "object.metadata.annotations.unicode"};
    assert_int_equal(slu_json_parse_select(ev, strlen(ev), ep, 4, &got, &err), 0);
    check_eq(got,
             "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"184467\","
             "\"annotations\":{\"unicode\":\"caf\\u00e9 \\ud83d\\ude00\"}},"
             "\"status\":{\"phase\":\"Running\"}}}",
             "watch event");
    json_decref(got);
    check_select(ev, strlen(ev), ep, 4);
    free(ev);

    /* many shapes of selectors over the pod */
    static const char *const sets[][5] = {
        {"", NULL},
        {"metadata", "metadata.name", NULL},
        {"*", NULL},
        {"*.*", NULL},
        {"*.*.*.*", NULL},
        {"spec.containers.*.name", "spec.containers.*.resources.limits", NULL},
        {"spec.containers.*.ports.*.containerPort", "spec.volumes.*.configMap.items", NULL},
        {"status.conditions.*.type", "status.conditions.*.lastProbeTime", NULL},
        {"status.containerStatuses.*.cpu", NULL},
        {"nope", "metadata.nope", "spec.containers.nope", "status.phase.x", NULL},
        {"metadata.managedFields.*.fieldsV1.f:metadata.f:labels.", NULL},
        {"metadata.managedFields.*.fieldsV1.*.*", "metadata.ownerReferences.*.controller", NULL},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        size_t n = 0;
        while (n < 5 && sets[i][n])
            n++;
        check_select(POD_JSON, strlen(POD_JSON), sets[i], n);
    }
    /* nothing selected: the root stays an object; "" alone is the whole document */
    assert_int_equal(slu_json_parse_select(POD_JSON, strlen(POD_JSON), NULL, 0, &got, &err), 0);
    check_eq(got, "{}", "no paths");
    json_decref(got);
    const char *all[] = {""};
    assert_int_equal(slu_json_parse_select(POD_JSON, strlen(POD_JSON), all, 1, &got, &err), 0);
    json_t *full = J(POD_JSON);
    assert_true(json_equal(got, full));
    json_decref(full);
    json_decref(got);
    slu_err_release(&err);
}

/* Every document under tests/data/spark, whole and with selectors derived from its own paths. */
static void collect_paths(json_t *v, const char *prefix, int depth, char ***out, size_t *n)
{
    if (depth > 6 || *n > 400)
        return;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (strchr(k, '.'))
                continue;
            char *p = prefix[0] ? slu_asprintf("%s.%s", prefix, k) : slu_strdup(k);
            *out = realloc(*out, (*n + 1) * sizeof **out);
            (*out)[(*n)++] = p;
            collect_paths(c, p, depth + 1, out, n);
        }
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        char *p = prefix[0] ? slu_asprintf("%s.*", prefix) : slu_strdup("*");
        *out = realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = p;
        collect_paths(json_array_get(v, 0), p, depth + 1, out, n);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t rndn(size_t n)
{
    return (size_t)(rnd() % n);
}

static void select_random_paths(const char *text, size_t len, int rounds)
{
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    assert_non_null(doc);
    char **all = NULL;
    size_t n = 0;
    collect_paths(doc, "", 0, &all, &n);
    for (int r = 0; r < rounds && n > 0; r++) {
        const char *sel[6];
        char *owned[6];
        size_t k = 1 + rndn(5);
        for (size_t i = 0; i < k; i++) {
            char *p = slu_strdup(all[rndn(n)]);
            /* sometimes turn a component into "*" or cut the path short */
            for (char *q = p; *q; q++)
                if (*q == '.' && rndn(6) == 0 && q[1] && q[1] != '.') {
                    char *e = strchr(q + 1, '.');
                    size_t tail = e ? strlen(e) : 0;
                    q[1] = '*';
                    memmove(q + 2, e ? e : q + strlen(q), tail + 1);
                }
            owned[i] = p;
            sel[i] = p;
        }
        check_select(text, len, sel, k);
        for (size_t i = 0; i < k; i++)
            free(owned[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(all[i]);
    free(all);
    json_decref(doc);
}

static void test_select_data_files(void **state)
{
    (void)state;
    static const char *const files[] = {
        "ex_a_sparkpi.json", "ex_b_pyspark.json",  "ex_c_sanitise_secrets_pvc.json",
        "pod_extras.json",   "pod_templates.json", "v35_volumes.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = slu_asprintf("%s/tests/data/spark/%s", slu_test_source_dir(), files[i]);
        struct slu_buf b;
        slu_buf_init(&b);
        struct slu_err err = {0};
        if (slu_read_file(path, 1 << 22, &b, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        /* a SparkApplication-shaped selection and objects of the expected output */
        const char *sp[] = {"expect.objects.*.metadata.name", "expect.objects.*.kind",
                            "expect.objects.*.spec.containers.*.env", "input.conf.*", "doc"};
        check_select(b.data, b.len, sp, 5);
        select_random_paths(b.data, b.len, 60);
        slu_buf_release(&b);
        free(path);
    }
    select_random_paths(POD_JSON, strlen(POD_JSON), 300);
}

/* A random JSON text: keys from a small pool (duplicates included on purpose), strings with
 * every kind of escape, numbers of every shape, random whitespace. */
static void gen_ws(struct slu_buf *b)
{
    static const char *const ws[] = {"", "", "", " ", "\n  ", "\t", "\r\n"};
    slu_buf_puts(b, ws[rndn(7)]);
}

static const char *const gen_keys[] = {"a", "b", "c",          "metadata", "name",
                                       "*", "",  "caf\\u00e9", "x\\\"y",   "\\u0061"};

static void gen_value(struct slu_buf *b, int depth)
{
    static const char *const strs[] = {"\"\"",
                                       "\"plain\"",
                                       "\"q\\\"uo\\\\te\"",
                                       "\"\\/\\b\\f\\n\\r\\t\"",
                                       "\"\\u00e9\\u20AC\"",
                                       "\"\\ud83d\\ude00\"",
                                       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
                                       "\"} ] { [ , :\"",
                                       "\"\\u0041\""};
    static const char *const nums[] = {"0",
                                       "-0",
                                       "1",
                                       "-17",
                                       "123456789012",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "0.5",
                                       "-1.25e3",
                                       "1E-7",
                                       "2e+2",
                                       "1.0",
                                       "-0.0",
                                       "3.141592653589793"};
    size_t kind = depth >= 6 ? rndn(4) : rndn(7);
    gen_ws(b);
    switch (kind) {
    case 0:
        slu_buf_puts(b, strs[rndn(sizeof strs / sizeof strs[0])]);
        break;
    case 1:
        slu_buf_puts(b, nums[rndn(sizeof nums / sizeof nums[0])]);
        break;
    case 2:
        slu_buf_puts(b, rndn(3) == 0 ? "null" : rndn(2) ? "true" : "false");
        break;
    case 3:
        slu_buf_puts(b, "{}");
        break;
    case 4:
    case 5: {
        size_t n = rndn(6);
        slu_buf_putc(b, '{');
        for (size_t i = 0; i < n; i++) {
            if (i)
                slu_buf_putc(b, ',');
            gen_ws(b);
            slu_buf_printf(b, "\"%s\"", gen_keys[rndn(sizeof gen_keys / sizeof gen_keys[0])]);
            gen_ws(b);
            slu_buf_putc(b, ':');
            gen_value(b, depth + 1);
        }
        gen_ws(b);
        slu_buf_putc(b, '}');
        break;
    }
    default: {
        size_t n = rndn(5);
        slu_buf_putc(b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                slu_buf_putc(b, ',');
            gen_value(b, depth + 1);
        }
        gen_ws(b);
        slu_buf_putc(b, ']');
    }
    }
    gen_ws(b);
}

static void test_select_generated(void **state)
{
    (void)state;
    static const char *const comps[] = {"a", "b", "c",           "metadata", "name",
                                        "*", "",  "caf\xc3\xa9", "x\"y"};
    for (int iter = 0; iter < 3000; iter++) {
        struct slu_buf b;
        slu_buf_init(&b);
        if (iter % 3)
            gen_value(&b, 0);
        else { /* mostly objects at the top, like Kubernetes documents */
            slu_buf_puts(&b, "{\"a\":");
            gen_value(&b, 1);
            slu_buf_puts(&b, ",\"b\":");
            gen_value(&b, 1);
            slu_buf_puts(&b, ",\"a\":");
            gen_value(&b, 1);
            slu_buf_putc(&b, '}');
        }
        const char *sel[5];
        char owned[5][64];
        size_t k = rndn(6);
        for (size_t i = 0; i < k; i++) {
            size_t depth = rndn(4);
            owned[i][0] = '\0';
            for (size_t d = 0; d < depth; d++) {
                size_t l = strlen(owned[i]);
                snprintf(owned[i] + l, sizeof owned[i] - l, "%s%s", d ? "." : "",
                         comps[rndn(sizeof comps / sizeof comps[0])]);
            }
            sel[i] = owned[i];
        }
        check_select(b.data, b.len, sel, k);
        /* span on the first selector when it has no "*" */
        if (k > 0 && !strchr(sel[0], '*') && sel[0][0]) {
            json_t *doc = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
            const char *v;
            size_t n;
            int rc = slu_json_span(b.data, b.len, sel[0], &v, &n);
            /* the document is valid: found (and the text is one JSON value) or not found */
            if (rc == 0) {
                json_t *sv = json_loadb(v, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                assert_non_null(sv);
                json_decref(sv);
            } else {
                assert_int_equal(rc, SLU_ENOTFOUND);
            }
            json_decref(doc);
        }
        slu_buf_release(&b);
    }
}

static void expect_select_err(const char *text, int code, const char *msg)
{
    const char *paths[] = {"a", "b.*"};
    json_t *got = (json_t *)1;
    struct slu_err err = {0};
    int rc = slu_json_parse_select(text, strlen(text), paths, 2, &got, &err);
    if (rc != code || got != NULL || strcmp(err.msg, msg) != 0)
        fail_msg("%s: rc %d '%s', want %d '%s'", text, rc, err.msg, code, msg);
    assert_null(json_loadb(text, strlen(text), JSON_DECODE_ANY, NULL)); /* jansson agrees */
    slu_err_release(&err);
}

static void test_select_errors(void **state)
{
    (void)state;
    expect_select_err("{\"a\":\"abc", SLU_EINVAL, "at byte 5: unterminated string");
    expect_select_err("{\"z\":\"abc", SLU_EINVAL, "at byte 5: unterminated string");
    expect_select_err("{\"a\":1} x", SLU_EINVAL, "at byte 8: end of input expected");
    expect_select_err("{\"a\":[1,2}", SLU_EINVAL, "at byte 9: expected ',' or ']'");
    expect_select_err("{\"b\":[1,{]}", SLU_EINVAL, "at byte 9: expected an object key");
    expect_select_err("{\"a\":tru}", SLU_EINVAL, "at byte 5: invalid literal");
    expect_select_err("{\"a\":\"\\u0000\"}", SLU_EINVAL,
                      "at byte 6: \\u0000 is not allowed in a string");
    expect_select_err("{\"q\":\"\\u0000\"}", SLU_EINVAL,
                      "at byte 6: \\u0000 is not allowed in a string");
    expect_select_err("{\"a\":\"\\udd00\"}", SLU_EINVAL,
                      "at byte 6: lone surrogate \\u escape in string");
    expect_select_err("{\"a\":\"\xe2\x82\"}", SLU_EINVAL, "at byte 6: invalid UTF-8 in string");
    expect_select_err("{\"\xff\":1}", SLU_EINVAL, "at byte 2: invalid UTF-8 in string");
    expect_select_err("{\"a\":9223372036854775808}", SLU_ERANGE, "at byte 5: integer too big");
    expect_select_err("{\"q\":-9223372036854775809}", SLU_ERANGE, "at byte 5: integer too big");
    expect_select_err("{\"q\":[1e999]}", SLU_ERANGE, "at byte 6: real number overflow");
    expect_select_err("{\"a\":-1e400}", SLU_ERANGE, "at byte 5: real number overflow");
    expect_select_err("", SLU_EINVAL, "at byte 0: unexpected end of input");
    expect_select_err("  {\"a\":01}", SLU_EINVAL, "at byte 8: expected ',' or '}'");

    /* depth: 512 nested arrays are fine, 513 are not (selected or skipped) */
    const char *star[] = {"*"};
    json_t *got = NULL;
    struct slu_err err = {0};
    char *ok = nest(512, false), *deep = nest(513, false);
    assert_int_equal(slu_json_parse_select(ok, strlen(ok), star, 1, &got, &err), 0);
    json_decref(got);
    assert_int_equal(slu_json_parse_select(deep, strlen(deep), star, 1, &got, &err), SLU_EINVAL);
    assert_null(got);
    assert_string_equal(err.msg, "at byte 512: nesting too deep");
    assert_int_equal(slu_json_parse_select(deep, strlen(deep), NULL, 0, &got, &err), SLU_EINVAL);
    char *bomb = nest(200000, true);
    assert_int_equal(slu_json_parse_select(bomb, strlen(bomb), star, 1, &got, &err), SLU_EINVAL);
    const char *aa[] = {"a.a.a"};
    assert_int_equal(slu_json_parse_select(bomb, strlen(bomb), aa, 1, &got, &err), SLU_EINVAL);
    free(bomb);
    free(ok);
    free(deep);
    slu_err_release(&err);
}

/* Every prefix of the pod, and one- and two-byte mutations of the pod: an error
 * exactly when jansson fails, the reference result otherwise; never a crash. */
static void test_select_truncation_and_mutation(void **state)
{
    (void)state;
    const char *paths[] = {"metadata.name", "metadata.labels", "status.phase",
                           "status.containerStatuses.*.state", "spec.containers.*.env.*.name"};
    size_t len = strlen(POD_JSON);
    for (size_t cut = 0; cut < len; cut++) {
        char *pre = slu_malloc(cut ? cut : 1);
        memcpy(pre, POD_JSON, cut);
        json_t *got = (json_t *)1;
        struct slu_err err = {0};
        int rc = slu_json_parse_select(pre, cut, paths, 5, &got, &err);
        assert_true(rc == SLU_EINVAL);
        assert_null(got);
        assert_true(strncmp(err.msg, "at byte ", 8) == 0);
        slu_err_release(&err);
        free(pre);
    }
    static const char bytes[] = "\"\\{}[],:0-.eEtu \x01\x80\xc3\xff";
    char *m = slu_malloc(len);
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(m, POD_JSON, len);
        size_t at = rndn(len);
        m[at] = bytes[rndn(sizeof bytes - 1)];
        if (rndn(4) == 0)
            m[rndn(len)] = bytes[rndn(sizeof bytes - 1)];
        json_t *jd = json_loadb(m, len, JSON_DECODE_ANY, NULL);
        json_t *got = NULL;
        struct slu_err err = {0};
        int rc = slu_json_parse_select(m, len, paths, 5, &got, &err);
        if ((jd != NULL) != (rc == 0))
            fail_msg("mutation at %zu: jansson %s, parse_select %d %s", at, jd ? "ok" : "fails", rc,
                     err.msg);
        if (jd) {
            json_t *want = ref_select(jd, paths, 5);
            assert_true(json_equal(got, want));
            json_decref(want);
        }
        json_decref(jd);
        json_decref(got);
        slu_err_release(&err);
    }
    free(m);
}

/* ---------------------------------------------------------------- the string fast path */

/* Plain string bytes are skipped 16 (SSE2) or 8 (SWAR) at a time, then one by one near the end of
 * the buffer; whatever stops the run is then handled byte by byte. These tests put each kind of
 * special byte at every offset of a plain run, with the document ending 0-17 bytes after the
 * string (so the run ends in the 16-byte loop, the 8-byte loop and the byte loop), and check the
 * result or the exact error in the three modes of parse_select (value built, value skipped, whole
 * document) and in span. Every buffer has the exact size of the text, so ASan sees any read past
 * the end. Build with -DSLU_SCAN_PORTABLE to run the same tests on the SWAR path alone. */

/* parse_select of text (exact-size copy) with one path: rc and message, result in *got. */
static int select1(const char *text, size_t len, const char *path, json_t **got, char *msg,
                   size_t cap)
{
    char *b = slu_malloc(len ? len : 1);
    memcpy(b, text, len);
    struct slu_err err = {0};
    const char *paths[] = {path};
    int rc = slu_json_parse_select(b, len, paths, 1, got, &err);
    slu_strlcpy(msg, err.msg, cap);
    slu_err_release(&err);
    free(b);
    return rc;
}

/* span of path in text (exact-size copy): rc. */
static int span1(const char *text, size_t len, const char *path)
{
    char *b = slu_malloc(len ? len : 1);
    memcpy(b, text, len);
    const char *v;
    size_t n;
    int rc = slu_json_span(b, len, path, &v, &n);
    free(b);
    return rc;
}

/* One special sequence put into a plain run, and what it must give. */
struct fp_case {
    const char *seq;
    size_t n;
    const char *err; /* NULL: valid */
    int err_shift;   /* the error is at the sequence's offset + this */
};

static const struct fp_case fp_cases[] = {
    {"\\n", 2, NULL, 0},
    {"\\\"", 2, NULL, 0},
    {"\\\\", 2, NULL, 0},
    {"\\u00e9", 6, NULL, 0},
    {"\\ud83d\\ude00", 12, NULL, 0},
    {"\x7f", 1, NULL, 0},
    {"\xc3\xa9", 2, NULL, 0},
    {"\xe2\x82\xac", 3, NULL, 0},
    {"\xf0\x9f\x98\x80", 4, NULL, 0},
    {"\"", 1, "expected ',' or '}'", 1},
    {"\\x", 2, "invalid escape in string", 0},
    {"\\u12g4", 6, "invalid \\u escape in string", 0},
    {"\\udc00", 6, "lone surrogate \\u escape in string", 0},
    {"\\u0000", 6, "\\u0000 is not allowed in a string", 0},
    {"\x01", 1, "control character in string", 0},
    {"\x1f", 1, "control character in string", 0},
    {"\n", 1, "control character in string", 0},
    {"\x80", 1, "invalid UTF-8 in string", 0},
    {"\xff", 1, "invalid UTF-8 in string", 0},
    {"\xc3", 1, "invalid UTF-8 in string", 0},
    {"\xe0\x80\x80", 3, "invalid UTF-8 in string", 0},
    {"\xed\xa0\x80", 3, "invalid UTF-8 in string", 0},
    {"\xf4\x90\x80\x80", 4, "invalid UTF-8 in string", 0},
};

static void test_string_fast_path(void **state)
{
    (void)state;
    char doc[256], msg[256];
    for (size_t ci = 0; ci < SLU_ARRAY_LEN(fp_cases); ci++) {
        const struct fp_case *fc = &fp_cases[ci];
        for (size_t len = 0; len <= 34; len++) {
            for (size_t at = 0; at <= len; at++) {
                /* {"k":"<at plain bytes><seq><len - at plain bytes>"} and 0-17 spaces */
                size_t n = 0;
                memcpy(doc, "{\"k\":\"", 6);
                n = 6;
                for (size_t i = 0; i < at; i++)
                    doc[n++] = (char)('a' + i % 26);
                size_t seq_at = n;
                memcpy(doc + n, fc->seq, fc->n);
                n += fc->n;
                for (size_t i = at; i < len; i++)
                    doc[n++] = (char)('A' + i % 26);
                doc[n++] = '"';
                doc[n++] = '}';
                for (size_t trail = 0; trail <= 17; trail++) {
                    size_t dl = n + trail;
                    memset(doc + n, ' ', trail);
                    if (!fc->err) {
                        static const char *const one[] = {"k"}, *const none[] = {"z"},
                                                 *const all[] = {""};
                        check_select(doc, dl, one, 1);
                        check_select(doc, dl, none, 1);
                        check_select(doc, dl, all, 1);
                        assert_int_equal(span1(doc, dl, "k"), 0);
                        assert_int_equal(span1(doc, dl, "z"), SLU_ENOTFOUND);
                        continue;
                    }
                    char want[128];
                    snprintf(want, sizeof want, "at byte %zu: %s", seq_at + (size_t)fc->err_shift,
                             fc->err);
                    static const char *const modes[] = {"k", "z", ""};
                    for (size_t m = 0; m < 3; m++) {
                        json_t *got = (json_t *)1;
                        int rc = select1(doc, dl, modes[m], &got, msg, sizeof msg);
                        if (rc != SLU_EINVAL || got != NULL || strcmp(msg, want) != 0)
                            fail_msg("case %zu len %zu at %zu trail %zu path '%s': %d '%s', want "
                                     "'%s'",
                                     ci, len, at, trail, modes[m], rc, msg, want);
                    }
                    /* \u0000 is refused by parse_select only; span reads it as text */
                    int want_span =
                        strcmp(fc->err, "\\u0000 is not allowed in a string") == 0 ? 0 : SLU_EINVAL;
                    assert_int_equal(span1(doc, dl, "k"), want_span);
                    assert_int_equal(span1(doc, dl, "z"),
                                     want_span == 0 ? SLU_ENOTFOUND : SLU_EINVAL);
                }
            }
        }
    }
}

/* A document that is one string ending exactly at the buffer's end, and the same cut short
 * anywhere inside the string (or right after an escape's backslash, or inside a UTF-8 sequence or
 * a \u escape): the string, or "unterminated string" at byte 0 (or the bad byte). */
static void test_string_at_buffer_end(void **state)
{
    (void)state;
    char doc[1100], msg[256];
    for (size_t len = 0; len <= 1050; len += len < 70 ? 1 : 97) {
        doc[0] = '"';
        for (size_t i = 0; i < len; i++)
            doc[1 + i] = (char)('a' + i % 23);
        doc[1 + len] = '"';
        static const char *const all[] = {""};
        check_select(doc, len + 2, all, 1);
        assert_int_equal(span1(doc, len + 2, ""), 0);
        for (size_t cut = 1; cut < len + 2; cut++) {
            json_t *got = (json_t *)1;
            assert_int_equal(select1(doc, cut, "", &got, msg, sizeof msg), SLU_EINVAL);
            assert_null(got);
            assert_string_equal(msg, "at byte 0: unterminated string");
            assert_int_equal(span1(doc, cut, ""), SLU_EINVAL);
            if (len > 80 && cut > 20 && cut < len - 20)
                cut += 13; /* long strings: a sample of the cuts */
        }
        /* the last byte of the buffer starts something longer than what is left */
        static const struct {
            const char *tail;
            const char *msg; /* NULL: "unterminated string" at byte 0; else the error at the tail */
        } ends[] = {
            {"\\", NULL},
            {"\\u00", NULL},
            {"\\ud83d", "lone"},
            {"\\ud83d\\ude0", "lone"},
            {"\xc3", "invalid"},
            {"\xe2\x82", "invalid"},
            {"\xf0\x9f\x98", "invalid"},
            {"\x01", "control"},
        };
        if (len > 300)
            continue;
        for (size_t e = 0; e < SLU_ARRAY_LEN(ends); e++) {
            size_t tl = strlen(ends[e].tail);
            memcpy(doc + 1 + len, ends[e].tail, tl);
            json_t *got = (json_t *)1;
            assert_int_equal(select1(doc, 1 + len + tl, "", &got, msg, sizeof msg), SLU_EINVAL);
            char want[128];
            if (!ends[e].msg)
                snprintf(want, sizeof want, "at byte 0: unterminated string");
            else if (ends[e].msg[0] == 'l')
                snprintf(want, sizeof want, "at byte %zu: lone surrogate \\u escape in string",
                         1 + len);
            else if (ends[e].msg[0] == 'i')
                snprintf(want, sizeof want, "at byte %zu: invalid UTF-8 in string", 1 + len);
            else
                snprintf(want, sizeof want, "at byte %zu: control character in string", 1 + len);
            if (strcmp(msg, want) != 0)
                fail_msg("len %zu tail %zu: '%s', want '%s'", len, e, msg, want);
            assert_int_equal(span1(doc, 1 + len + tl, ""), SLU_EINVAL);
        }
    }
}

/* Invalid UTF-8 and control bytes deep inside long plain runs, and a document truncated inside a
 * long string, selected or skipped. */
static void test_long_strings(void **state)
{
    (void)state;
    size_t body = 3000;
    char *doc = slu_malloc(body + 32), msg[256];
    memcpy(doc, "{\"a\":\"", 6);
    for (size_t i = 0; i < body; i++)
        doc[6 + i] = (char)('a' + i % 26);
    memcpy(doc + 6 + body, "\",\"b\":1}", 8);
    size_t dl = 6 + body + 8;
    static const char *const a[] = {"a"}, *const b[] = {"b"};
    check_select(doc, dl, a, 1);
    check_select(doc, dl, b, 1);
    static const struct {
        char byte;
        const char *msg;
    } bad[] = {{'\x00', "control character in string"},
               {'\x1f', "control character in string"},
               {'\x80', "invalid UTF-8 in string"},
               {'\xc0', "invalid UTF-8 in string"},
               {'\xf5', "invalid UTF-8 in string"}};
    for (size_t k = 0; k < SLU_ARRAY_LEN(bad); k++) {
        for (size_t at = 0; at < body; at += at < 40 ? 1 : 61) {
            char keep = doc[6 + at];
            doc[6 + at] = bad[k].byte;
            char want[128];
            snprintf(want, sizeof want, "at byte %zu: %s", 6 + at, bad[k].msg);
            for (int m = 0; m < 2; m++) {
                json_t *got = (json_t *)1;
                int rc = select1(doc, dl, m ? "b" : "a", &got, msg, sizeof msg);
                if (rc != SLU_EINVAL || got || strcmp(msg, want) != 0)
                    fail_msg("byte %zu at %zu: %d '%s', want '%s'", k, at, rc, msg, want);
            }
            assert_int_equal(span1(doc, dl, "b"), SLU_EINVAL);
            doc[6 + at] = keep;
        }
    }
    for (size_t cut = 6; cut < 6 + body + 1; cut += cut < 80 ? 1 : 37) {
        for (int m = 0; m < 2; m++) {
            json_t *got = (json_t *)1;
            assert_int_equal(select1(doc, cut, m ? "b" : "a", &got, msg, sizeof msg), SLU_EINVAL);
            assert_null(got);
            assert_string_equal(msg, "at byte 5: unterminated string");
        }
        assert_int_equal(span1(doc, cut, "a"), SLU_EINVAL);
        assert_int_equal(span1(doc, cut, "b"), SLU_EINVAL);
    }
    free(doc);
}

/* Errors inside a subtree that no selector reaches (checked by the skipper, without building
 * anything) carry the same message and offset as anywhere else; reals are checked for overflow
 * only when they could overflow. */
static void test_skip_errors(void **state)
{
    (void)state;
    expect_select_err("{\"z\":{\"x\":[{\"y\":[]}]]}", SLU_EINVAL,
                      "at byte 20: expected ',' or '}'");
    expect_select_err("{\"z\":[{\"a\":1,}]}", SLU_EINVAL, "at byte 13: expected an object key");
    expect_select_err("{\"z\":[1,]}", SLU_EINVAL, "at byte 8: unexpected character");
    expect_select_err("{\"z\":{\"a\" 1}}", SLU_EINVAL, "at byte 10: expected ':'");
    expect_select_err("{\"z\":[[[", SLU_EINVAL, "at byte 8: unexpected end of input");
    expect_select_err("{\"z\":[1", SLU_EINVAL, "at byte 7: unexpected end of input");
    expect_select_err("{\"z\":{\"a\":", SLU_EINVAL, "at byte 10: unexpected end of input");
    expect_select_err("{\"z\":{\"a\"", SLU_EINVAL, "at byte 9: expected ':'");
    expect_select_err("{\"z\":{", SLU_EINVAL, "at byte 6: expected an object key");
    expect_select_err("{\"z\":[nul]}", SLU_EINVAL, "at byte 6: invalid literal");
    expect_select_err("{\"z\":[-]}", SLU_EINVAL, "at byte 6: invalid number");
    expect_select_err("{\"z\":[x]}", SLU_EINVAL, "at byte 6: unexpected character");
    expect_select_err("{\"z\":[1.5e-3, 1e999]}", SLU_ERANGE, "at byte 14: real number overflow");
    expect_select_err("{\"z\":1.7976931348623159e308}", SLU_ERANGE,
                      "at byte 5: real number overflow");
    expect_select_err("{\"z\":1e0000000000000000000000309}", SLU_ERANGE,
                      "at byte 5: real number overflow");
    expect_select_err("{\"a\":-1e309}", SLU_ERANGE, "at byte 5: real number overflow");
    expect_select_err("{\"z\":[{\"k\":0.0001e313}]}", SLU_ERANGE,
                      "at byte 11: real number overflow");
    static const char *const paths[] = {"a", "z.*.k"};
    static const char *const ok[] = {
        "{\"z\":[{}, [], {\"a\":[]}, \"s\", true, null, -0.5], \"a\":2}",
        "{\"a\":[1e308, 1.7976931348623157e308, 0.0001e312, 123e306, -99.9e306, 1E-99999]}",
        "{\"a\":[1e0000000000000000000000308, 0e99999999999999, 17976931348623157e292]}",
        "{\"z\":[{\"k\":1e308}, {\"k\":2.5E+10}, {\"k\":-1e-400}], \"q\":1e308}",
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(ok); i++)
        check_select(ok[i], strlen(ok[i]), paths, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span_pod),
        cmocka_unit_test(test_span_skipping),
        cmocka_unit_test(test_span_malformed),
        cmocka_unit_test(test_span_depth),
        cmocka_unit_test(test_span_truncation),
        cmocka_unit_test(test_scan_str),
        cmocka_unit_test(test_scan_i64),
        cmocka_unit_test(test_select_pod),
        cmocka_unit_test(test_select_data_files),
        cmocka_unit_test(test_select_generated),
        cmocka_unit_test(test_select_errors),
        cmocka_unit_test(test_select_truncation_and_mutation),
        cmocka_unit_test(test_string_fast_path),
        cmocka_unit_test(test_string_at_buffer_end),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_skip_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
