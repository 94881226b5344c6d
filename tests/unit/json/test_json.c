/* test_json.c - tests for src/json/json.c: path access, set/delete, parse, dumps, equal, copy. */
#include "test.h"
#include "json_test.h"

#include "json/json.h"

static void assert_json(const json_t *v, const char *expected)
{
    json_t *e = J(expected);
    if (!slu_json_equal(v, e)) {
        char *got = slu_json_dumps_canonical(v);
        print_error("got %s, expected %s\n", got, expected);
        free(got);
        fail();
    }
    json_decref(e);
}

static void test_path_get(void **state)
{
    (void)state;
    json_t *v = J("{\"metadata\":{\"name\":\"pi\",\"labels\":{\"app.kubernetes.io/name\":\"spark\","
                  "\"a[0]\":\"br\"}},\"spec\":{\"containers\":[{\"image\":\"x:1\"},{\"image\":"
                  "\"y\",\"ports\":[[1,2],[3]]}],\"n\":3,\"r\":2.0,\"f\":2.5,\"b\":true}}");
    assert_string_equal(slu_json_str(v, "metadata.name"), "pi");
    assert_string_equal(slu_json_str(v, "spec.containers[0].image"), "x:1");
    assert_string_equal(slu_json_str(v, "spec.containers[1].image"), "y");
    assert_string_equal(slu_json_str(v, "metadata.labels.app\\.kubernetes\\.io/name"), "spark");
    assert_string_equal(slu_json_str(v, "metadata.labels.a\\[0]"), "br");
    assert_int_equal(json_integer_value(slu_json_path(v, "spec.containers[1].ports[0][1]")), 2);
    assert_int_equal(json_integer_value(slu_json_path(v, "spec.containers[1].ports[1][0]")), 3);
    assert_ptr_equal(slu_json_path(v, ""), v);
    /* absent and wrong-typed steps */
    assert_null(slu_json_path(v, "spec.containers[2]"));
    assert_null(slu_json_path(v, "spec.containers.image"));
    assert_null(slu_json_path(v, "metadata[0]"));
    assert_null(slu_json_path(v, "metadata.name.x"));
    assert_null(slu_json_str(v, "spec.n"));
    assert_null(slu_json_path(NULL, "a"));
    /* syntax errors give NULL */
    assert_null(slu_json_path(v, "metadata..name"));
    assert_null(slu_json_path(v, ".metadata"));
    assert_null(slu_json_path(v, "metadata."));
    assert_null(slu_json_path(v, "spec.containers[x]"));
    assert_null(slu_json_path(v, "spec.containers[0"));
    assert_null(slu_json_path(v, "spec.containers[]"));
    assert_null(slu_json_path(v, "spec.containers[0]image"));
    assert_null(slu_json_path(v, "metadata\\"));
    assert_null(slu_json_path(v, "spec.containers[99999999999999999999999]"));
    /* typed getters */
    assert_int_equal(slu_json_int(v, "spec.n", -1), 3);
    assert_int_equal(slu_json_int(v, "spec.r", -1), 2);
    assert_int_equal(slu_json_int(v, "spec.f", -1), -1);
    assert_int_equal(slu_json_int(v, "spec.b", -1), -1);
    assert_int_equal(slu_json_int(v, "spec.none", 7), 7);
    assert_true(slu_json_num(v, "spec.f", 0) == 2.5);
    assert_true(slu_json_num(v, "spec.n", 0) == 3.0);
    assert_true(slu_json_num(v, "metadata.name", -1.5) == -1.5);
    assert_true(slu_json_bool(v, "spec.b", false));
    assert_false(slu_json_bool(v, "spec.n", false));
    assert_true(slu_json_bool(v, "spec.none", true));
    json_decref(v);
}

static void test_path_long_key(void **state)
{
    (void)state;
    /* keys longer than the getter's stack buffer */
    char key[700];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    json_t *v = json_object();
    assert_int_equal(slu_json_set_str(v, key, "long"), 0);
    assert_string_equal(slu_json_str(v, key), "long");
    json_decref(v);
}

static void test_set(void **state)
{
    (void)state;
    json_t *v = json_object();
    assert_int_equal(slu_json_set_str(v, "metadata.name", "pi"), 0);
    assert_int_equal(slu_json_set_int(v, "spec.driver.cores", 2), 0);
    assert_int_equal(slu_json_set_str(v, "metadata.labels.app\\.kubernetes\\.io/name", "x"), 0);
    /* arrays: created when absent and the index is 0, appended at == size */
    assert_int_equal(slu_json_set_str(v, "spec.args[0]", "a"), 0);
    assert_int_equal(slu_json_set_str(v, "spec.args[1]", "b"), 0);
    assert_int_equal(slu_json_set_str(v, "spec.args[0]", "A"), 0);
    assert_int_equal(slu_json_set_str(v, "spec.env[0].name", "E"), 0);
    assert_int_equal(slu_json_set(v, "spec.m[0][0]", json_integer(5)), 0);
    assert_json(v, "{\"metadata\":{\"name\":\"pi\",\"labels\":{\"app.kubernetes.io/name\":\"x\"}},"
                   "\"spec\":{\"driver\":{\"cores\":2},\"args\":[\"A\",\"b\"],"
                   "\"env\":[{\"name\":\"E\"}],\"m\":[[5]]}}");
    /* failures: value is freed (ASan would report a leak), tree unchanged */
    assert_int_equal(slu_json_set_str(v, "spec.args[5]", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "metadata.name.x", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "metadata[0]", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "spec.args.x", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "spec.args[2].x", "z"), 0); /* append creates an object */
    assert_int_equal(slu_json_set_str(v, "a..b", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "", "z"), SLU_EINVAL);
    assert_int_equal(slu_json_set(v, "x", NULL), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "x", NULL), SLU_EINVAL);
    assert_int_equal(slu_json_set_str(v, "spec.new[3].x", "z"), SLU_EINVAL);
    assert_null(slu_json_path(v, "spec.new"));
    assert_string_equal(slu_json_str(v, "spec.args[2].x"), "z");
    /* root array */
    json_t *a = json_array();
    assert_int_equal(slu_json_set_int(a, "[0]", 1), 0);
    assert_int_equal(slu_json_set_int(a, "[1].k", 2), 0);
    assert_json(a, "[1,{\"k\":2}]");
    json_decref(a);
    json_decref(v);
}

static void test_del(void **state)
{
    (void)state;
    json_t *v = J("{\"a\":{\"b\":1,\"c.d\":2},\"l\":[1,2,3]}");
    assert_int_equal(slu_json_del(v, "a.b"), 0);
    assert_int_equal(slu_json_del(v, "a.b"), SLU_ENOTFOUND);
    assert_int_equal(slu_json_del(v, "a.c\\.d"), 0);
    assert_int_equal(slu_json_del(v, "l[1]"), 0);
    assert_int_equal(slu_json_del(v, "l[2]"), SLU_ENOTFOUND);
    assert_int_equal(slu_json_del(v, "x.y"), SLU_ENOTFOUND);
    assert_int_equal(slu_json_del(v, "a[0]"), SLU_ENOTFOUND);
    assert_int_equal(slu_json_del(v, "a..b"), SLU_EINVAL);
    assert_int_equal(slu_json_del(v, ""), SLU_EINVAL);
    assert_json(v, "{\"a\":{},\"l\":[1,3]}");
    json_decref(v);
}

static void test_parse(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *v = NULL;
    const char *ok = "{\"a\": [1, 2.5, \"x\", null, true]}";
    assert_int_equal(slu_json_parse(ok, strlen(ok), 0, &v, &err), 0);
    assert_json(v, "{\"a\":[1,2.5,\"x\",null,true]}");
    json_decref(v);
    /* any type at top level */
    assert_int_equal(slu_json_parse("42", 2, 0, &v, &err), 0);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);
    /* error names line and column */
    const char *bad = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    assert_int_equal(slu_json_parse(bad, strlen(bad), 0, &v, &err), SLU_EPARSE);
    assert_null(v);
    assert_non_null(strstr(err.msg, "line 3, column"));
    slu_err_release(&err);
    /* duplicate keys rejected */
    const char *dup = "{\"a\":1,\"a\":2}";
    assert_int_equal(slu_json_parse(dup, strlen(dup), 0, &v, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "duplicate"));
    slu_err_release(&err);
    /* trailing garbage */
    assert_int_equal(slu_json_parse("{} x", 4, 0, &v, &err), SLU_EPARSE);
    slu_err_release(&err);
    /* empty input */
    assert_int_equal(slu_json_parse("", 0, 0, &v, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "line 1"));
    slu_err_release(&err);
    /* bounded: len is respected (no NUL needed) and the size cap applies */
    assert_int_equal(slu_json_parse("[1]]]]", 3, 0, &v, &err), 0);
    json_decref(v);
    assert_int_equal(slu_json_parse(ok, strlen(ok), 10, &v, &err), SLU_ETOOBIG);
    assert_null(v);
    assert_int_equal(err.code, SLU_ETOOBIG);
    slu_err_release(&err);
    assert_int_equal(slu_json_parse(ok, strlen(ok), 0, &v, NULL), 0); /* err may be NULL */
    json_decref(v);
}

static void test_dumps_equal_copy(void **state)
{
    (void)state;
    json_t *a = J("{\"b\":1,\"a\":[true,null,\"s\"],\"c\":{\"z\":1,\"y\":2}}");
    char *s = slu_json_dumps(a);
    assert_string_equal(s, "{\"b\":1,\"a\":[true,null,\"s\"],\"c\":{\"z\":1,\"y\":2}}");
    free(s);
    s = slu_json_dumps_canonical(a);
    assert_string_equal(s, "{\"a\":[true,null,\"s\"],\"b\":1,\"c\":{\"y\":2,\"z\":1}}");
    free(s);
    json_t *str = json_string("q\"");
    s = slu_json_dumps(str);
    assert_string_equal(s, "\"q\\\"\"");
    free(s);
    json_decref(str);
    /* reals in their shortest exact form; escapes; keys sorted bytewise */
    json_t *r = J("[0.1,1.0,2.5,1e20,-0.0,1.7976931348623157e308,5e-324,0.30000000000000004,-3]");
    s = slu_json_dumps(r);
    assert_string_equal(s, "[0.1,1.0,2.5,1e+20,-0.0,1.7976931348623157e+308,4.94065645841247e-324,"
                           "0.30000000000000004,-3]");
    json_t *back = NULL;
    assert_int_equal(slu_json_parse(s, strlen(s), 0, &back, NULL), 0);
    assert_true(slu_json_equal(r, back));
    for (size_t i = 0; i < json_array_size(r); i++) /* exactly, not just semantically */
        assert_true(json_typeof(json_array_get(r, i)) == json_typeof(json_array_get(back, i)) &&
                    json_number_value(json_array_get(r, i)) ==
                        json_number_value(json_array_get(back, i)));
    free(s);
    json_decref(back);
    json_decref(r);
    json_t *o = json_object();
    json_object_set_new(o, "b", json_string("tab\tnl\ncr\rq\"bs\\\x01\x1f\b\f/\xc3\xa9\x7f"));
    json_object_set_new(o, "ab", json_integer(1));
    json_object_set_new(o, "a", json_true());
    json_object_set_new(o, "", json_null());
    s = slu_json_dumps_canonical(o);
    assert_string_equal(s, "{\"\":null,\"a\":true,\"ab\":1,\"b\":\"tab\\tnl\\ncr\\rq\\\"bs\\\\"
                           "\\u0001\\u001f\\b\\f/\xc3\xa9\x7f\"}");
    assert_int_equal(slu_json_parse(s, strlen(s), 0, &back, NULL), 0);
    assert_true(slu_json_equal(o, back));
    free(s);
    s = slu_json_dumps(o);
    assert_non_null(strstr(s, "{\"b\":"));
    free(s);
    json_decref(back);
    json_decref(o);
    s = slu_json_dumps(NULL);
    assert_string_equal(s, "null");
    free(s);
    json_t *b = J("{\"c\":{\"y\":2.0,\"z\":1},\"a\":[true,null,\"s\"],\"b\":1.0}");
    assert_true(slu_json_equal(a, b));
    json_t *c = slu_json_copy(a);
    assert_ptr_not_equal(c, a);
    assert_true(slu_json_equal(a, c));
    json_object_set_new(json_object_get(c, "c"), "y", json_integer(3));
    assert_false(slu_json_equal(a, c));
    assert_int_equal(json_integer_value(slu_json_path(a, "c.y")), 2);
    assert_null(slu_json_copy(NULL));
    /* numbers */
    json_t *i1 = json_integer(1), *r1 = json_real(1.0), *r15 = json_real(1.5);
    json_t *big = json_integer(9007199254740993LL), *bigr = json_real(9007199254740992.0);
    assert_true(slu_json_equal(i1, r1));
    assert_true(slu_json_equal(r1, i1));
    assert_false(slu_json_equal(i1, r15));
    assert_false(slu_json_equal(big, bigr)); /* no rounding through double */
    /* types, arrays, strings */
    json_t *s1 = json_stringn("a\0b", 3), *s2 = json_stringn("a\0c", 3), *s3 = json_string("a");
    assert_false(slu_json_equal(s1, s2));
    assert_false(slu_json_equal(s1, s3));
    assert_true(slu_json_equal(s1, s1));
    assert_false(slu_json_equal(json_true(), json_false()));
    assert_true(slu_json_equal(json_null(), json_null()));
    assert_false(slu_json_equal(json_null(), NULL));
    assert_true(slu_json_equal(NULL, NULL));
    json_t *l1 = J("[1,2]"), *l2 = J("[2,1]"), *l3 = J("[1,2,3]"), *o1 = J("{\"a\":1}"),
           *o2 = J("{\"b\":1}"), *o3 = J("{\"a\":1,\"b\":1}");
    assert_false(slu_json_equal(l1, l2));
    assert_false(slu_json_equal(l1, l3));
    assert_false(slu_json_equal(o1, o2));
    assert_false(slu_json_equal(o1, o3));
    assert_false(slu_json_equal(o1, l1));
    assert_false(slu_json_equal(s3, i1));
    json_t *all[] = {a, b, c, i1, r1, r15, big, bigr, s1, s2, s3, l1, l2, l3, o1, o2, o3};
    for (size_t i = 0; i < SLU_ARRAY_LEN(all); i++)
        json_decref(all[i]);
}

/* slu_json_put_string: every byte below 0x20, quote, backslash, UTF-8 and an embedded NUL-free
 * string come back exactly through jansson; the literal is plain ASCII for ASCII input. */
static void test_put_string(void **state)
{
    (void)state;
    char all[0x21 + 8];
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        all[n++] = (char)c;
    memcpy(all + n, "\"\\/\xc3\xa9\xe2\x82\xac", 8); /* " \ / é € */
    n += 8;
    const char *cases[] = {"",
                           "plain",
                           "a \"quoted\" word",
                           "back\\slash",
                           "line\nbreak\ttab",
                           "Driver x failed: \"ExitCode\": 1\r\n"};
    for (size_t i = 0; i <= SLU_ARRAY_LEN(cases); i++) {
        const char *in = i < SLU_ARRAY_LEN(cases) ? cases[i] : all;
        size_t len = i < SLU_ARRAY_LEN(cases) ? strlen(in) : n;
        struct slu_buf b = {0};
        slu_json_put_string(&b, in, len);
        slu_buf_putc(&b, 0);
        json_error_t e;
        json_t *v = json_loads(b.data, JSON_DECODE_ANY, &e);
        if (!v)
            print_error("%s: %s\n", b.data, e.text);
        assert_non_null(v);
        assert_true(json_is_string(v));
        assert_int_equal(json_string_length(v), len);
        assert_memory_equal(json_string_value(v), in, len);
        for (const char *p = b.data; *p; p++) /* no raw control character left */
            assert_true((unsigned char)*p >= 0x20);
        json_decref(v);
        slu_buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_get),   cmocka_unit_test(test_path_long_key),
        cmocka_unit_test(test_set),        cmocka_unit_test(test_del),
        cmocka_unit_test(test_parse),      cmocka_unit_test(test_dumps_equal_copy),
        cmocka_unit_test(test_put_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
