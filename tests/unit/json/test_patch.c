/* test_patch.c - tests for src/json/patch.c: RFC 7386 merge patch (the RFC's appendix cases),
 * merge diff, and RFC 6902 JSON patch (the RFC's appendix examples, pointer escapes, atomicity). */
#include "test.h"
#include "json_test.h"

#include "json/json.h"

static void test_merge_patch_rfc7386(void **state)
{
    (void)state;
    /* RFC 7386 Appendix A */
    static const char *const cases[][3] = {
        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
        {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
        {"{\"a\":\"foo\"}", "null", "null"},
        {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        json_t *target = J(cases[i][0]);
        json_t *patch = J(cases[i][1]);
        slu_json_merge_patch(&target, patch);
        check_eq(target, cases[i][2], cases[i][1]);
        /* the patch is never shared with the result */
        if (json_is_object(patch) && json_is_object(target)) {
            json_t *a = json_object_get(target, "a");
            if (a != NULL)
                assert_ptr_not_equal(a, json_object_get(patch, "a"));
        }
        json_decref(target);
        json_decref(patch);
    }
    /* a NULL target works too */
    json_t *t = NULL;
    json_t *p = J("{\"x\":{\"y\":1,\"z\":null}}");
    slu_json_merge_patch(&t, p);
    check_eq(t, "{\"x\":{\"y\":1}}", "null target");
    json_decref(t);
    json_decref(p);
}

static void test_merge_diff(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"{\"a\":1,\"b\":{\"c\":1,\"d\":2},\"e\":[1]}", "{\"a\":1,\"b\":{\"c\":2,\"d\":2},\"f\":3}",
         "{\"b\":{\"c\":2},\"e\":null,\"f\":3}"},
        {"{\"a\":1}", "{\"a\":1}", "{}"},
        {"{\"a\":1}", "{\"a\":1.0}", "{}"}, /* semantic equality */
        {"{\"a\":[1,2]}", "{\"a\":[1,3]}", "{\"a\":[1,3]}"},
        {"{\"a\":{\"x\":1}}", "{\"a\":\"s\"}", "{\"a\":\"s\"}"},
        {"{\"a\":\"s\"}", "{\"a\":{\"x\":1}}", "{\"a\":{\"x\":1}}"},
        {"{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":{}}}", "{\"a\":{\"b\":{\"c\":null}}}"},
        {"[1]", "{\"a\":1}", "{\"a\":1}"},
        {"{\"a\":1}", "[1]", "[1]"},
        {"{\"a\":1}", "null", "null"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        json_t *from = J(cases[i][0]);
        json_t *to = J(cases[i][1]);
        json_t *d = slu_json_merge_diff(from, to);
        check_eq(d, cases[i][2], cases[i][0]);
        /* applying the diff to from gives to */
        slu_json_merge_patch(&from, d);
        check_eq(from, cases[i][1], "diff applied");
        json_decref(from);
        json_decref(to);
        json_decref(d);
    }
}

/* Applies ops to doc text; expects success and the result, or failure with code and the doc
 * unchanged. */
static void patch_case(const char *doc_text, const char *ops_text, int code, const char *expected,
                       const char *frag)
{
    json_t *doc = J(doc_text);
    json_t *orig = doc;
    json_t *ops = J(ops_text);
    struct slu_err err = {0};
    int rc = slu_json_patch(&doc, ops, &err);
    if (rc != code)
        fail_msg("%s on %s: rc %d (want %d): %s", ops_text, doc_text, rc, code, err.msg);
    if (code == 0) {
        check_eq(doc, expected, ops_text);
    } else {
        assert_ptr_equal(doc, orig);
        check_eq(doc, doc_text, "unchanged after failure");
        if (frag && strstr(err.msg, frag) == NULL)
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, frag);
    }
    slu_err_release(&err);
    json_decref(doc);
    json_decref(ops);
}

static void test_json_patch_rfc6902(void **state)
{
    (void)state;
    /* RFC 6902 Appendix A */
    patch_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", 0,
               "{\"baz\":\"qux\",\"foo\":\"bar\"}", NULL); /* A.1 */
    patch_case("{\"foo\":[\"bar\",\"baz\"]}",
               "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", 0,
               "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL); /* A.2 */
    patch_case("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", 0,
               "{\"foo\":\"bar\"}", NULL); /* A.3 */
    patch_case("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
               0, "{\"foo\":[\"bar\",\"baz\"]}", NULL); /* A.4 */
    patch_case("{\"baz\":\"qux\",\"foo\":\"bar\"}",
               "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", 0,
               "{\"baz\":\"boo\",\"foo\":\"bar\"}", NULL); /* A.5 */
    patch_case("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
               "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]", 0,
               "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}",
               NULL); /* A.6 */
    patch_case("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
               "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]", 0,
               "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL); /* A.7 */
    patch_case("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
               "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
               "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
               0, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL); /* A.8 */
    patch_case("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
               SLU_ECONFLICT, NULL, "operation 0 (test \"/baz\")"); /* A.9 */
    patch_case("{\"foo\":\"bar\"}",
               "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]", 0,
               "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL); /* A.10 */
    patch_case("{\"foo\":\"bar\"}",
               "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]", 0,
               "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL); /* A.11 */
    patch_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
               SLU_EINVAL, NULL, "parent not found"); /* A.12 */
    /* A.13: a patch with a duplicate "op" member is not valid JSON for our parser */
    const char *a13 = "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]";
    json_t *v = NULL;
    assert_int_equal(slu_json_parse(a13, strlen(a13), 0, &v, NULL), SLU_EPARSE);
    patch_case("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", 0,
               "{\"/\":9,\"~1\":10}", NULL); /* A.14 */
    patch_case("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
               SLU_ECONFLICT, NULL, "test failed"); /* A.15 */
    patch_case("{\"foo\":[\"bar\"]}",
               "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]", 0,
               "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", NULL); /* A.16 */
}

static void test_json_patch_more(void **state)
{
    (void)state;
    /* pointer escapes: ~1 is "/", ~0 is "~" */
    patch_case("{\"a/b\":1,\"m~n\":2}",
               "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":3},"
               "{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
               0, "{\"a/b\":3}", NULL);
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", SLU_EINVAL, NULL,
               "malformed JSON pointer");
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", SLU_EINVAL, NULL,
               "malformed");
    /* the empty key and the root */
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]", 0, "{\"\":1}", NULL);
    patch_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", 0, "[1]", NULL);
    patch_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"b\":2}}]", 0, "{\"b\":2}",
               NULL);
    patch_case("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", SLU_EINVAL, NULL,
               "whole document");
    /* array index rules */
    patch_case("[1,2]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3}]", 0, "[1,2,3]", NULL);
    patch_case("[1,2]", "[{\"op\":\"add\",\"path\":\"/3\",\"value\":3}]", SLU_EINVAL, NULL,
               "out of range");
    patch_case("[1,2]", "[{\"op\":\"add\",\"path\":\"/01\",\"value\":3}]", SLU_EINVAL, NULL,
               "invalid array index");
    patch_case("[1,2]", "[{\"op\":\"remove\",\"path\":\"/-\"}]", SLU_EINVAL, NULL,
               "path not found");
    patch_case("[1,2]", "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":5}]", 0, "[1,5]", NULL);
    patch_case("[1,2]", "[{\"op\":\"replace\",\"path\":\"/2\",\"value\":5}]", SLU_EINVAL, NULL,
               "path not found");
    patch_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":5}]", SLU_EINVAL, NULL,
               "path not found");
    /* copy, move edge cases */
    patch_case("{\"a\":{\"b\":[1]}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]", 0,
               "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1]}}", NULL);
    patch_case("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
               SLU_EINVAL, NULL, "its children");
    patch_case("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", 0, "{\"a\":1}",
               NULL);
    patch_case("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/x\",\"path\":\"/b\"}]", SLU_EINVAL, NULL,
               "\"from\" path not found");
    patch_case("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", SLU_EINVAL, NULL,
               "missing \"from\"");
    /* malformed operations */
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", SLU_EINVAL, NULL, "missing \"value\"");
    patch_case("{}", "[{\"path\":\"/a\"}]", SLU_EINVAL, NULL, "missing \"op\"");
    patch_case("{}", "[{\"op\":\"add\",\"value\":1}]", SLU_EINVAL, NULL, "missing \"path\"");
    patch_case("{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", SLU_EINVAL, NULL, "unknown operation");
    patch_case("{}", "[1]", SLU_EINVAL, NULL, "not an object");
    patch_case("{}", "{}", SLU_EINVAL, NULL, "array of operations");
    /* test: semantic number comparison, path not found */
    patch_case("{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]", 0, "{\"n\":1}",
               NULL);
    patch_case("{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/m\",\"value\":1}]", SLU_ECONFLICT, NULL,
               "path not found");
    /* atomic: the second operation fails, so the first is not applied either; the message names
     * the failing index and path */
    patch_case(
        "{\"a\":1,\"l\":[1]}",
        "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/l/0\"},"
        "{\"op\":\"remove\",\"path\":\"/zz\"}]",
        SLU_EINVAL, NULL, "operation 2 (remove \"/zz\")");
    /* the value is copied, not shared with the patch */
    json_t *doc = J("{}");
    json_t *ops = J("[{\"op\":\"add\",\"path\":\"/a\",\"value\":{\"x\":1}}]");
    assert_int_equal(slu_json_patch(&doc, ops, NULL), 0);
    assert_ptr_not_equal(json_object_get(doc, "a"),
                         json_object_get(json_array_get(ops, 0), "value"));
    json_decref(doc);
    json_decref(ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_patch_rfc7386),
        cmocka_unit_test(test_merge_diff),
        cmocka_unit_test(test_json_patch_rfc6902),
        cmocka_unit_test(test_json_patch_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
