/* Tests for src/kube/object.c: keys, metadata accessors, owner references, conditions, and the
 * DNS-1123 / label syntax checks with Kubernetes' messages. */
#include "test.h"
#include "json_test.h"

#include "kube/kube.h"
#include "kube/pure_priv.h"

static void test_accessors(void **state)
{
    (void)state;
    json_t *o = J("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                  "\"namespace\":\"ns\",\"uid\":\"u-1\",\"resourceVersion\":\"42\","
                  "\"ownerReferences\":[{\"kind\":\"A\",\"name\":\"a\",\"uid\":\"x\"},"
                  "{\"kind\":\"B\",\"name\":\"b\",\"uid\":\"y\",\"controller\":true}]},"
                  "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
                  "{\"type\":\"PodScheduled\",\"status\":\"False\"}]}}");
    char *k = kube_object_key(o);
    assert_string_equal(k, "ns/p");
    free(k);
    assert_string_equal(kube_object_name(o), "p");
    assert_string_equal(kube_object_namespace(o), "ns");
    assert_string_equal(kube_object_uid(o), "u-1");
    assert_string_equal(kube_object_rv(o), "42");
    const json_t *ref = kube_object_controller_ref(o);
    assert_non_null(ref);
    assert_string_equal(json_string_value(json_object_get(ref, "name")), "b");
    const json_t *c = kube_condition_find(o, "PodScheduled");
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "False");
    assert_null(kube_condition_find(o, "Initialized"));

    json_t *owner_ref = kube_owner_ref(o, true, true);
    json_t *want = J("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\",\"uid\":\"u-1\","
                     "\"controller\":true,\"blockOwnerDeletion\":true}");
    assert_true(json_equal(owner_ref, want));
    json_decref(owner_ref);
    json_decref(want);
    owner_ref = kube_owner_ref(o, false, false);
    assert_null(json_object_get(owner_ref, "controller"));
    assert_null(json_object_get(owner_ref, "blockOwnerDeletion"));
    json_decref(owner_ref);
    json_decref(o);

    o = J("{\"metadata\":{\"name\":\"node-1\"}}");
    k = kube_object_key(o);
    assert_string_equal(k, "node-1");
    free(k);
    assert_null(kube_object_namespace(o));
    assert_null(kube_object_controller_ref(o));
    assert_null(kube_condition_find(o, "Ready"));
    json_decref(o);

    o = J("{\"metadata\":{\"name\":\"x\",\"namespace\":\"\"}}");
    k = kube_object_key(o);
    assert_string_equal(k, "x");
    free(k);
    json_decref(o);
    o = J("[1]");
    assert_null(kube_object_name(o));
    k = kube_object_key(o);
    assert_string_equal(k, "");
    free(k);
    json_decref(o);
}

static void test_dns(void **state)
{
    (void)state;
    static const char *labels_ok[] = {"a", "ab", "a-b", "0", "abc-123", "a1"};
    static const char *labels_bad[] = {"", "A", "-a", "a-", "a.b", "a_b", "a b", "ä"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(labels_ok); i++)
        assert_true(kube_is_dns1123_label(labels_ok[i]));
    for (size_t i = 0; i < SLU_ARRAY_LEN(labels_bad); i++)
        assert_false(kube_is_dns1123_label(labels_bad[i]));
    static const char *sub_ok[] = {"a", "a.b", "example.com", "a-1.b-2.c", "spark-pi-driver"};
    static const char *sub_bad[] = {"", ".a", "a.", "a..b", "A.b", "a_b.c", "-a.b", "a.-b"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(sub_ok); i++)
        assert_true(kube_is_dns1123_subdomain(sub_ok[i]));
    for (size_t i = 0; i < SLU_ARRAY_LEN(sub_bad); i++)
        assert_false(kube_is_dns1123_subdomain(sub_bad[i]));
    char s[300];
    memset(s, 'a', sizeof(s));
    s[63] = '\0';
    assert_true(kube_is_dns1123_label(s));
    s[63] = 'a';
    s[64] = '\0';
    assert_false(kube_is_dns1123_label(s));
    assert_true(kube_is_dns1123_subdomain(s));
    s[64] = 'a';
    s[253] = '\0';
    assert_true(kube_is_dns1123_subdomain(s));
    s[253] = 'a';
    s[254] = '\0';
    assert_false(kube_is_dns1123_subdomain(s));
    assert_false(kube_is_dns1123_label(NULL));
}

static void test_label_syntax(void **state)
{
    (void)state;
    static const char *keys_ok[] = {"a",         "A",         "a.b",    "a_b",
                                    "my.name",   "123-abc",   "MyName", "example.com/MyName",
                                    "a.b/c-d.e", "spark-role"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys_ok); i++)
        assert_null(kube_label_key_invalid(keys_ok[i]));
    assert_string_equal(kube_label_key_invalid(""), "name part must be non-empty");
    assert_string_equal(kube_label_key_invalid("/a"), "prefix part must be non-empty");
    assert_string_equal(kube_label_key_invalid("a/"), "name part must be non-empty");
    assert_string_equal(
        kube_label_key_invalid("-a"),
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    assert_string_equal(
        kube_label_key_invalid("Example.com/a"),
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    assert_non_null(strstr(kube_label_key_invalid("a/b/c"), "a qualified name must consist of"));
    char k[80];
    memset(k, 'a', sizeof(k));
    k[64] = '\0';
    assert_string_equal(kube_label_key_invalid(k), "name part must be no more than 63 characters");
    k[63] = '\0';
    assert_null(kube_label_key_invalid(k));

    /* several errors at once, joined as Kubernetes joins them */
    struct slu_buf b = {0};
    assert_int_equal(kube__label_key_errors("/", &b), 3);
    assert_non_null(strstr(b.data, "prefix part must be non-empty; name part must be non-empty; "
                                   "name part must consist of"));
    slu_buf_release(&b);

    static const char *vals_ok[] = {"", "a", "MyValue", "my_value", "12345", "a.b-c_d"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(vals_ok); i++)
        assert_null(kube_label_value_invalid(vals_ok[i]));
    assert_string_equal(
        kube_label_value_invalid("a b"),
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    assert_non_null(kube_label_value_invalid("-a"));
    assert_non_null(kube_label_value_invalid("a/b"));
    assert_null(kube_label_value_invalid(k)); /* 63 characters */
    k[63] = 'a';
    assert_string_equal(kube_label_value_invalid(k), "must be no more than 63 characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_label_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
