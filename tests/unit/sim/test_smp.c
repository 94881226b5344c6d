/* test_smp.c - strategic merge patch: lists merged by key, directives, replaced lists. */
#include "test.h"
#include "json_test.h"

#include "sim/sim_int.h"

static void expect(const char *target, const char *patch, const char *want)
{
    json_t *t = J(target), *p = J(patch), *w = J(want);
    struct slu_err e = {0};
    assert_int_equal(sim_smp_apply(&t, p, &e), 0);
    if (!slu_json_equal(t, w)) {
        char *got = json_dumps(t, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("got %s", got);
    }
    json_decref(t);
    json_decref(p);
    json_decref(w);
}

static void test_maps(void **state)
{
    expect("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}", "{\"b\":{\"c\":null,\"e\":4},\"f\":5}",
           "{\"a\":1,\"b\":{\"d\":3,\"e\":4},\"f\":5}");
}

static void test_containers_by_name(void **state)
{
    expect("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\","
           "\"image\":\"y\"}]}}",
           "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"z\"},{\"name\":\"c\","
           "\"image\":\"w\"}]}}",
           "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\","
           "\"image\":\"z\"},{\"name\":\"c\",\"image\":\"w\"}]}}");
    /* env inside a container, by name; ports by containerPort */
    expect("{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"}],"
           "\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]}",
           "{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\",\"value\":\"2\"}],"
           "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}]}",
           "{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":"
           "\"Y\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"name\":\"http\","
           "\"protocol\":\"TCP\"}]}]}");
}

static void test_directives(void **state)
{
    /* delete an element by key */
    expect("{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
           "{\"volumes\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}",
           "{\"volumes\":[{\"name\":\"b\"}]}");
    /* replace a list */
    expect("{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
           "{\"volumes\":[{\"name\":\"c\"},{\"$patch\":\"replace\"}]}",
           "{\"volumes\":[{\"name\":\"c\"}]}");
    /* replace a map */
    expect("{\"m\":{\"a\":1,\"b\":2}}", "{\"m\":{\"$patch\":\"replace\",\"c\":3}}",
           "{\"m\":{\"c\":3}}");
    /* finalizers merge as a set; $deleteFromPrimitiveList removes */
    expect("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
           "{\"metadata\":{\"finalizers\":[\"c\",\"a\"],\"$deleteFromPrimitiveList/finalizers\":"
           "[\"b\"]}}",
           "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}");
    /* $setElementOrder is accepted; lists without a key are replaced */
    expect("{\"containers\":[{\"name\":\"a\"}],\"args\":[\"1\",\"2\"]}",
           "{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"args\":[\"3\"]}",
           "{\"containers\":[{\"name\":\"a\"}],\"args\":[\"3\"]}");
    /* $retainKeys */
    expect("{\"s\":{\"type\":\"A\",\"a\":1,\"b\":2}}",
           "{\"s\":{\"$retainKeys\":[\"type\",\"b\"],\"type\":\"B\"}}",
           "{\"s\":{\"type\":\"B\",\"b\":2}}");
}

static void test_errors(void **state)
{
    json_t *t = J("{}");
    json_t *p = J("{\"m\":{\"$patch\":\"explode\"}}");
    struct slu_err e = {0};
    assert_int_equal(sim_smp_apply(&t, p, &e), SLU_EINVAL);
    assert_non_null(strstr(e.msg, "m"));
    slu_err_release(&e);
    json_decref(p);
    p = J("[1]");
    assert_int_equal(sim_smp_apply(&t, p, &e), SLU_EINVAL);
    slu_err_release(&e);
    json_decref(p);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_containers_by_name),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
