/* Tests for src/kube/selector.c: label selector grammar, validation, canonical strings and
 * matching, metav1.LabelSelector JSON, field selectors with escapes. Cases come from
 * Kubernetes' labels/selector_test.go and fields/selector_test.go where they exist. */
#include "test.h"

#include "kube/kube.h"

static json_t *labels(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test json %s: %s", json, e.text);
    return v;
}

static char *canon(const char *s)
{
    struct kube_label_selector *sel = NULL;
    struct slu_err err = {0};
    if (kube_label_selector_parse(s, &sel, &err) != 0)
        fail_msg("parse '%s': %s", s, err.msg);
    char *out = kube_label_selector_string(sel);
    kube_label_selector_free(sel);
    return out;
}

static void test_label_parse_good(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } good[] = {
        {"", ""},
        {"x=a,y=b,z=c", "x=a,y=b,z=c"},
        {"z=c,x=a,y=b", "x=a,y=b,z=c"},
        {"x!=a,y=b", "x!=a,y=b"},
        {"x=", "x="},
        {"x= ", "x="},
        {"x=,z= ", "x=,z="},
        {"x= ,z= ", "x=,z="},
        {"!x", "!x"},
        {"x>1", "x>1"},
        {"x>1,z<5", "x>1,z<5"},
        {"x==a", "x==a"},
        {"\rx", "x"},
        {"this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"},
        {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
         "this-is-another-dns.domain.com/key-with-dash in (so,what)"},
        {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
         "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"},
        {"foo  in\t (abc)", "foo in (abc)"},
        {"x notin\n (abc)", "x notin (abc)"},
        {"x  notin\t\t\t(abc,def)", "x notin (abc,def)"},
        {"x in (def,abc,abc)", "x in (abc,def)"},
        {"x in (abc,)", "x in (,abc)"},
        {"x in ()", "x in ()"},
        {"x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"},
        {"x,y in (a)", "x,y in (a)"},
        {"x notin ( )", "x notin ()"},
        {"x notin (, )", "x notin ()"},
        {"a ", "a"},
        {"a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"},
        {"notin=in", "notin=in"},
        {"in in (in)", "in in (in)"},
        {"x in(a)", "x in (a)"},
        {"x=a,x!=b", "x=a,x!=b"},
        {"x in (b,a,a), !y", "x in (a,b),!y"},
        {"x!=b,x=a", "x!=b,x=a"},
        {"app.kubernetes.io/name=spark, !spark-role", "app.kubernetes.io/name=spark,!spark-role"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(good); i++) {
        char *s = canon(good[i].in);
        if (strcmp(s, good[i].out) != 0)
            fail_msg("'%s': expected '%s', got '%s'", good[i].in, good[i].out, s);
        /* canonical strings parse to themselves */
        char *again = canon(s);
        assert_string_equal(again, s);
        free(again);
        free(s);
    }
}

static void test_label_parse_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "x=a||y=b",
        "x==a==b",
        "!x=a",
        "x<a",
        "x,,y",
        ",x,y",
        "x nott in (y)",
        "a in (xyz),",
        "a in (xyz)b notin ()",
        "a in (xyz abc)",
        "a notin(",
        "a (",
        "(",
        "x=a b",
        "x in a",
        "x in (a",
        "=a",
        "x y",
        "x>",
        "x>1.5",
        "!",
        "x,",
        "a/b/c",
        "/a",
        "a/",
        "Bad_Prefix.com/x",
        "-x",
        "x=-a",
        "x=" /* fine */ "a b c",
        "x>-1",
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        struct kube_label_selector *sel = (void *)1;
        struct slu_err err = {0};
        if (kube_label_selector_parse(bad[i], &sel, &err) == 0)
            fail_msg("'%s' parsed unexpectedly", bad[i]);
        assert_null(sel);
        assert_int_equal(err.code, SLU_EPARSE);
        assert_non_null(strstr(err.msg, "(at character "));
    }
    /* A 64-character value is too long; 63 is fine. */
    char v[100];
    memset(v, 'a', sizeof(v));
    snprintf(v, sizeof(v), "k=%.*s", 64,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    struct kube_label_selector *sel = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_label_selector_parse(v, &sel, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "must be no more than 63 characters"));
    v[strlen(v) - 1] = '\0';
    assert_int_equal(kube_label_selector_parse(v, &sel, &err), 0);
    kube_label_selector_free(sel);
}

static void test_label_errors(void **state)
{
    (void)state;
    struct kube_label_selector *sel = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_label_selector_parse("x=a b", &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "found 'b', expected: ',' or 'end of string' (at character 5)");
    assert_int_equal(kube_label_selector_parse("x,,y", &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "found ',', expected: identifier after ',' (at character 3)");
    assert_int_equal(kube_label_selector_parse("a in (xyz abc)", &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "unable to parse requirement: found 'abc', expected: ',' or ')' "
                                 "(at character 11)");
    assert_int_equal(kube_label_selector_parse("x y", &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "unable to parse requirement: found 'y', expected: in, notin, =, "
                                 "==, !=, gt, lt (at character 3)");
    assert_int_equal(kube_label_selector_parse("a b=c", &sel, &err), SLU_EPARSE);
    assert_int_equal(kube_label_selector_parse("x=a,Foo Bar=1", &sel, &err), SLU_EPARSE);
    assert_int_equal(kube_label_selector_parse("ab_=1", &sel, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "Invalid value: \"ab_\": name part must consist of "
                                    "alphanumeric characters"));
    assert_int_equal(kube_label_selector_parse("k=a*b", &sel, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "values[0][k]: Invalid value: \"a*b\": a valid label must be "
                                    "an empty string"));
}

struct mcase {
    const char *sel;
    const char *labels;
    bool match;
};

static void test_label_matches(void **state)
{
    (void)state;
    static const struct mcase cases[] = {
        {"", "{\"x\":\"y\"}", true},
        {"x=y", "{\"x\":\"y\"}", true},
        {"x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}", true},
        {"x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}", true},
        {"notin=in", "{\"notin\":\"in\"}", true},
        {"x", "{\"x\":\"z\"}", true},
        {"!x", "{\"y\":\"z\"}", true},
        {"x>1", "{\"x\":\"2\"}", true},
        {"x<1", "{\"x\":\"0\"}", true},
        {"x=z", "{}", false},
        {"x=y", "{\"x\":\"z\"}", false},
        {"x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}", false},
        {"x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}", false},
        {"x", "{\"y\":\"z\"}", false},
        {"!x", "{\"x\":\"z\"}", false},
        {"x>1", "{\"x\":\"0\"}", false},
        {"x<1", "{\"x\":\"2\"}", false},
        {"x>1", "{\"x\":\"abc\"}", false},
        {"x>1", "{}", false},
        {"x in (a,b)", "{\"x\":\"b\"}", true},
        {"x in (a,b)", "{\"x\":\"c\"}", false},
        {"x in (a,b)", "{}", false},
        {"x notin (a,b)", "{}", true},
        {"x notin (a,b)", "{\"x\":\"a\"}", false},
        {"x notin (a,b)", "{\"x\":\"c\"}", true},
        {"x in ()", "{\"x\":\"\"}", true},
        {"x=", "{\"x\":\"\"}", true},
        {"x=", "{}", false},
        {"x!=a", "{}", true},
        {"x", "{\"x\":\"\"}", true},
        {"x=y", "null", false},
        {"!x", "null", true},
        {"x=1", "{\"x\":1}", false}, /* non-string label values count as absent */
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct kube_label_selector *sel = NULL;
        struct slu_err err = {0};
        assert_int_equal(kube_label_selector_parse(cases[i].sel, &sel, &err), 0);
        json_t *l = labels(cases[i].labels);
        if (kube_label_selector_matches(sel, l) != cases[i].match)
            fail_msg("'%s' on %s: expected %d", cases[i].sel, cases[i].labels, cases[i].match);
        json_decref(l);
        kube_label_selector_free(sel);
    }
    /* A NULL labels object is an empty set. */
    struct kube_label_selector *sel = NULL;
    assert_int_equal(kube_label_selector_parse("!a", &sel, NULL), 0);
    assert_true(kube_label_selector_matches(sel, NULL));
    assert_false(kube_label_selector_is_empty(sel));
    kube_label_selector_free(sel);
    assert_int_equal(kube_label_selector_parse(" ", &sel, NULL), 0);
    assert_true(kube_label_selector_is_empty(sel));
    assert_true(kube_label_selector_matches(sel, NULL));
    kube_label_selector_free(sel);
}

static void test_label_from_json(void **state)
{
    (void)state;
    struct kube_label_selector *sel = NULL;
    struct slu_err err = {0};
    json_t *j = labels("{\"matchLabels\":{\"b\":\"2\",\"a\":\"1\"},\"matchExpressions\":["
                       "{\"key\":\"c\",\"operator\":\"In\",\"values\":[\"y\",\"x\"]},"
                       "{\"key\":\"d\",\"operator\":\"NotIn\",\"values\":[\"z\"]},"
                       "{\"key\":\"e\",\"operator\":\"Exists\"},"
                       "{\"key\":\"f\",\"operator\":\"DoesNotExist\",\"values\":[]}]}");
    assert_int_equal(kube_label_selector_from_json(j, &sel, &err), 0);
    char *s = kube_label_selector_string(sel);
    assert_string_equal(s, "a=1,b=2,c in (x,y),d notin (z),e,!f");
    free(s);
    json_t *l = labels("{\"a\":\"1\",\"b\":\"2\",\"c\":\"x\",\"e\":\"\"}");
    assert_true(kube_label_selector_matches(sel, l));
    json_object_set_new(l, "f", json_string("v"));
    assert_false(kube_label_selector_matches(sel, l));
    json_decref(l);
    kube_label_selector_free(sel);
    json_decref(j);

    /* NULL and {} select everything */
    assert_int_equal(kube_label_selector_from_json(NULL, &sel, &err), 0);
    assert_true(kube_label_selector_is_empty(sel));
    kube_label_selector_free(sel);
    j = labels("{}");
    assert_int_equal(kube_label_selector_from_json(j, &sel, &err), 0);
    assert_true(kube_label_selector_is_empty(sel));
    kube_label_selector_free(sel);
    json_decref(j);

    static const char *bad[] = {
        "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
        "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
        "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
        "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}",
        "{\"matchExpressions\":[{\"key\":\"a b\",\"operator\":\"Exists\"}]}",
        "{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
        "{\"matchExpressions\":{}}",
        "{\"matchLabels\":{\"a\":1}}",
        "{\"matchLabels\":{\"a\":\"b c\"}}",
        "{\"matchLabels\":{\"a/b/c\":\"x\"}}",
        "[]",
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        j = labels(bad[i]);
        sel = (void *)1;
        if (kube_label_selector_from_json(j, &sel, &err) == 0)
            fail_msg("%s accepted", bad[i]);
        assert_null(sel);
        json_decref(j);
    }
    j = labels("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}");
    assert_int_equal(kube_label_selector_from_json(j, &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg,
                        "matchExpressions[0]: \"Foo\" is not a valid label selector operator");
    json_decref(j);
}

static void test_field_selectors(void **state)
{
    (void)state;
    static const char *good[] = {"x=a,y=b,z=c", "",     "x!=a,y=b", "x=",      "x= ",      "x=,z= ",
                                 "x= ,z= ",     "x==a", "x=a\\,b",  "x=a\\=b", "x=a\\\\b", ","};
    for (size_t i = 0; i < SLU_ARRAY_LEN(good); i++) {
        struct kube_field_selector *sel = NULL;
        struct slu_err err = {0};
        if (kube_field_selector_parse(good[i], &sel, &err) != 0)
            fail_msg("'%s': %s", good[i], err.msg);
        kube_field_selector_free(sel);
    }
    static const char *bad[] = {"x=a||y=b", "x==a==b", "x=a,b", "x in (a)",
                                "x",        "x=a\\b",  "x=a\\", "x=a=b"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        struct kube_field_selector *sel = (void *)1;
        struct slu_err err = {0};
        if (kube_field_selector_parse(bad[i], &sel, &err) == 0)
            fail_msg("'%s' parsed unexpectedly", bad[i]);
        assert_null(sel);
        assert_int_equal(err.code, SLU_EPARSE);
    }
    struct kube_field_selector *sel = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_field_selector_parse("x in (a)", &sel, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "invalid selector: 'x in (a)'; can't understand 'x in (a)'");

    json_t *pod = labels("{\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns\"},"
                         "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true,\"priority\":5},"
                         "\"status\":{\"phase\":\"Running\"}}");
    static const struct {
        const char *sel;
        bool match;
    } m[] = {
        {"", true},
        {"metadata.name=p1", true},
        {"metadata.name==p1", true},
        {"metadata.name!=p1", false},
        {"metadata.name=p2", false},
        {"status.phase=Running,spec.nodeName=n1", true},
        {"status.phase!=Succeeded,status.phase!=Failed", true},
        {"status.phase=Running,spec.nodeName=n2", false},
        {"spec.schedulerName=", true}, /* absent compares as "" */
        {"spec.schedulerName!=", false},
        {"spec.nodeName!=", true},
        {"spec.hostNetwork=true", true},
        {"spec.priority=5", true},
        {"metadata=", true},           /* an object is not a value */
        {"metadata.name.x=", true},    /* through a string */
        {"metadata.name\\=p1", false}, /* no escapes on the left */
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(m); i++) {
        if (kube_field_selector_parse(m[i].sel, &sel, &err) != 0)
            fail_msg("'%s': %s", m[i].sel, err.msg);
        if (kube_field_selector_matches(sel, pod) != m[i].match)
            fail_msg("'%s': expected %d", m[i].sel, m[i].match);
        kube_field_selector_free(sel);
    }
    /* escaped values */
    json_t *o = labels("{\"metadata\":{\"name\":\"a,b=c\\\\d\"}}");
    assert_int_equal(kube_field_selector_parse("metadata.name=a\\,b\\=c\\\\d", &sel, &err), 0);
    assert_true(kube_field_selector_matches(sel, o));
    kube_field_selector_free(sel);
    json_decref(o);

    /* allowed fields */
    static const char *const allowed[] = {"metadata.name", "metadata.namespace", "status.phase",
                                          NULL};
    assert_int_equal(kube_field_selector_parse("status.phase=Running,metadata.name=x", &sel, &err),
                     0);
    assert_false(kube_field_selector_is_empty(sel));
    assert_int_equal(kube_field_selector_check(sel, allowed, &err), 0);
    kube_field_selector_free(sel);
    assert_int_equal(kube_field_selector_parse("spec.foo=1", &sel, &err), 0);
    assert_int_equal(kube_field_selector_check(sel, allowed, &err), SLU_EBADREQUEST);
    assert_string_equal(err.msg, "field label not supported: spec.foo");
    kube_field_selector_free(sel);
    assert_int_equal(kube_field_selector_parse("", &sel, &err), 0);
    assert_true(kube_field_selector_is_empty(sel));
    assert_true(kube_field_selector_matches(sel, pod));
    kube_field_selector_free(sel);
    json_decref(pod);
}

static void test_caps(void **state)
{
    (void)state;
    size_t n = 300 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    struct kube_label_selector *ls = NULL;
    struct kube_field_selector *fs = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_label_selector_parse(big, &ls, &err), SLU_ETOOBIG);
    assert_int_equal(kube_field_selector_parse(big, &fs, &err), SLU_ETOOBIG);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_parse_good),
        cmocka_unit_test(test_label_parse_bad),
        cmocka_unit_test(test_label_errors),
        cmocka_unit_test(test_label_matches),
        cmocka_unit_test(test_label_from_json),
        cmocka_unit_test(test_field_selectors),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
