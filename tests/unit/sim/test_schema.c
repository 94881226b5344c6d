/* test_schema.c - structural schema enforcement (src/sim/schema.c): each keyword, pruning with
 * Strict/Warn/Ignore, defaults, messages worded as the real API server, and the upstream Kubeflow
 * CRDs with their example SparkApplications. */
#include "test.h"
#include "json_test.h"

#include <stdbool.h>

#include "sim/parts.h"

/* Applies schema to obj (both JSON text); returns the rc, *out the (changed) object. */
static int apply(const char *schema, const char *obj, bool defaults, const char *fv, json_t **out,
                 struct slu_err *err, struct slu_buf *warn)
{
    json_t *s = J(schema);
    json_t *o = J(obj);
    int rc = sim_schema_apply(s, o, defaults, fv, warn, err);
    json_decref(s);
    if (out)
        *out = o;
    else
        json_decref(o);
    return rc;
}

static bool has_cause(const struct slu_err *e, const char *field, const char *message)
{
    for (size_t i = 0; i < e->ncauses; i++) {
        if (slu_streq(e->causes[i].field, field) && slu_streq(e->causes[i].message, message))
            return true;
    }
    return false;
}

static void dump_causes(const struct slu_err *e)
{
    for (size_t i = 0; i < e->ncauses; i++)
        print_message("cause[%zu] field=%s reason=%s message=%s\n", i,
                      e->causes[i].field ? e->causes[i].field : "(null)",
                      e->causes[i].reason ? e->causes[i].reason : "(null)", e->causes[i].message);
}

/* One violation expected: field, body (the cause message) and err.msg "field: body". */
static void expect_one(const char *schema, const char *obj, const char *field, const char *body)
{
    struct slu_err err = {0};
    int rc = apply(schema, obj, true, "Strict", NULL, &err, NULL);
    if (rc != SLU_EINVAL || err.ncauses != 1 || !has_cause(&err, field, body)) {
        dump_causes(&err);
        fail_msg("expected one cause %s: %s (rc=%d, msg=%s)", field, body, rc, err.msg);
    }
    char full[1024];
    snprintf(full, sizeof(full), "%s: %s", field ? field : "<nil>", body);
    assert_string_equal(err.msg, full);
    assert_string_equal(err.reason, "Invalid");
    slu_err_release(&err);
}

static void expect_ok(const char *schema, const char *obj)
{
    struct slu_err err = {0};
    int rc = apply(schema, obj, true, "Strict", NULL, &err, NULL);
    if (rc != 0) {
        dump_causes(&err);
        fail_msg("expected valid: %s (%s)", obj, err.msg);
    }
    slu_err_release(&err);
}

#define SPEC(props)                                                                                \
    "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":" props "}" \
    "}"                                                                                            \
    "}"

static void test_types(void **state)
{
    (void)state;
    const char *s = SPEC("{\"replicas\":{\"type\":\"integer\"},\"ratio\":{\"type\":\"number\"},"
                         "\"on\":{\"type\":\"boolean\"},\"name\":{\"type\":\"string\"},"
                         "\"list\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                         "\"obj\":{\"type\":\"object\"}}");
    expect_ok(s, "{\"spec\":{\"replicas\":3,\"ratio\":0.5,\"on\":true,\"name\":\"x\","
                 "\"list\":[\"a\"],\"obj\":{}}}");
    expect_ok(s, "{\"spec\":{\"ratio\":2}}");      /* integers are numbers */
    expect_ok(s, "{\"spec\":{\"replicas\":2.0}}"); /* integral reals are integers */
    expect_one(s, "{\"spec\":{\"replicas\":\"three\"}}", "spec.replicas",
               "Invalid value: \"string\": spec.replicas in body must be of type integer: "
               "\"string\"");
    expect_one(s, "{\"spec\":{\"replicas\":1.5}}", "spec.replicas",
               "Invalid value: \"number\": spec.replicas in body must be of type integer: "
               "\"number\"");
    expect_one(s, "{\"spec\":{\"on\":\"yes\"}}", "spec.on",
               "Invalid value: \"string\": spec.on in body must be of type boolean: \"string\"");
    expect_one(s, "{\"spec\":{\"name\":7}}", "spec.name",
               "Invalid value: \"integer\": spec.name in body must be of type string: "
               "\"integer\"");
    expect_one(s, "{\"spec\":{\"list\":{}}}", "spec.list",
               "Invalid value: \"object\": spec.list in body must be of type array: \"object\"");
    expect_one(s, "{\"spec\":{\"obj\":[]}}", "spec.obj",
               "Invalid value: \"array\": spec.obj in body must be of type object: \"array\"");
    expect_one(s, "{\"spec\":{\"list\":[\"a\",3]}}", "spec.list[1]",
               "Invalid value: \"integer\": spec.list[1] in body must be of type string: "
               "\"integer\"");
}

static void test_required_enum(void **state)
{
    (void)state;
    const char *s =
        "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"required\":[\"mode\"]"
        ","
        "\"properties\":{\"mode\":{\"type\":\"string\"},\"type\":{\"type\":\"string\","
        "\"enum\":[\"Java\",\"Python\"]},\"n\":{\"type\":\"integer\",\"enum\":[1,2]}}}}}";
    expect_ok(s, "{\"spec\":{\"mode\":\"cluster\",\"type\":\"Java\",\"n\":2}}");
    expect_one(s, "{\"spec\":{}}", "spec.mode", "Required value");
    expect_one(s, "{\"spec\":{\"mode\":\"c\",\"type\":\"X\"}}", "spec.type",
               "Unsupported value: \"X\": supported values: \"Java\", \"Python\"");
    expect_one(s, "{\"spec\":{\"mode\":\"c\",\"n\":3}}", "spec.n",
               "Unsupported value: 3: supported values: \"1\", \"2\"");
    /* a missing spec is not an error (not required at the root) */
    expect_ok(s, "{}");
    /* type and enum both reported, as the real server does */
    struct slu_err err = {0};
    assert_int_equal(
        apply(s, "{\"spec\":{\"mode\":\"c\",\"type\":true}}", true, NULL, NULL, &err, NULL),
        SLU_EINVAL);
    assert_int_equal(err.ncauses, 2);
    assert_true(has_cause(&err, "spec.type",
                          "Invalid value: \"boolean\": spec.type in body must be of type string: "
                          "\"boolean\""));
    assert_true(has_cause(&err, "spec.type",
                          "Unsupported value: true: supported values: \"Java\", \"Python\""));
    assert_true(err.msg[0] == '[');
    assert_string_equal(err.causes[0].reason, "FieldValueTypeInvalid");
    assert_string_equal(err.causes[1].reason, "FieldValueNotSupported");
    slu_err_release(&err);
}

static void test_numbers(void **state)
{
    (void)state;
    const char *s = SPEC("{\"cores\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":64},"
                         "\"x\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true,"
                         "\"maximum\":1,\"exclusiveMaximum\":true},"
                         "\"m\":{\"type\":\"integer\",\"multipleOf\":5},"
                         "\"big\":{\"type\":\"integer\",\"maximum\":1000000}}");
    expect_ok(s, "{\"spec\":{\"cores\":1,\"x\":0.5,\"m\":10}}");
    expect_ok(s, "{\"spec\":{\"cores\":64}}");
    expect_one(s, "{\"spec\":{\"cores\":0}}", "spec.cores",
               "Invalid value: 0: spec.cores in body should be greater than or equal to 1");
    expect_one(s, "{\"spec\":{\"cores\":65}}", "spec.cores",
               "Invalid value: 65: spec.cores in body should be less than or equal to 64");
    expect_one(s, "{\"spec\":{\"x\":0}}", "spec.x",
               "Invalid value: 0: spec.x in body should be greater than 0");
    expect_one(s, "{\"spec\":{\"x\":1.0}}", "spec.x",
               "Invalid value: 1: spec.x in body should be less than 1");
    expect_one(s, "{\"spec\":{\"x\":1.5}}", "spec.x",
               "Invalid value: 1.5: spec.x in body should be less than 1");
    expect_one(s, "{\"spec\":{\"m\":7}}", "spec.m",
               "Invalid value: 7: spec.m in body should be a multiple of 5");
    /* Go prints float64 1000000 as 1e+06 */
    expect_one(s, "{\"spec\":{\"big\":2000000}}", "spec.big",
               "Invalid value: 2000000: spec.big in body should be less than or equal to 1e+06");
}

static void test_strings(void **state)
{
    (void)state;
    const char *s = SPEC(
        "{\"s\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4},"
        "\"p\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"},"
        "\"d\":{\"type\":\"string\",\"pattern\":\"^\\\\d+(\\\\.\\\\d+)?$\"},"
        "\"q\":{\"type\":\"string\",\"pattern\":\"^(\\\\+|-)?(([0-9]+(\\\\.[0-9]*)?)|(\\\\.[0-9]+))"
        "(([KMGTPE]i)|[numkMGTPE]|([eE](\\\\+|-)?(([0-9]+(\\\\.[0-9]*)?)|(\\\\.[0-9]+))))?$\"},"
        "\"br\":{\"type\":\"string\",\"pattern\":\"^[\\\\w\\\\-.]+$\"},"
        "\"bad\":{\"type\":\"string\",\"pattern\":\"+\"},"
        "\"t\":{\"type\":\"string\",\"format\":\"date-time\"},"
        "\"u\":{\"type\":\"string\",\"format\":\"uuid\"}}");
    expect_ok(s, "{\"spec\":{\"s\":\"ab\",\"p\":\"abc\",\"d\":\"12.5\",\"q\":\"512m\","
                 "\"br\":\"a-b.c_d\",\"t\":\"2024-05-01T10:00:00Z\","
                 "\"u\":\"123e4567-e89b-12d3-a456-426614174000\"}}");
    expect_ok(s, "{\"spec\":{\"q\":\"1Gi\",\"t\":\"2024-05-01T10:00:00.123+02:00\"}}");
    expect_ok(s, "{\"spec\":{\"s\":\"\xc3\xa9t\xc3\xa9\"}}"); /* 3 characters, 5 bytes */
    expect_one(s, "{\"spec\":{\"s\":\"abcde\"}}", "spec.s",
               "Too long: may not be more than 4 bytes");
    expect_one(s, "{\"spec\":{\"s\":\"a\"}}", "spec.s",
               "Invalid value: \"a\": spec.s in body should be at least 2 chars long");
    expect_one(s, "{\"spec\":{\"p\":\"Abc\"}}", "spec.p",
               "Invalid value: \"Abc\": spec.p in body should match '^[a-z]+$'");
    expect_one(s, "{\"spec\":{\"d\":\"12a\"}}", "spec.d",
               "Invalid value: \"12a\": spec.d in body should match '^\\d+(\\.\\d+)?$'");
    expect_one(
        s, "{\"spec\":{\"q\":\"lots\"}}", "spec.q",
        "Invalid value: \"lots\": spec.q in body should match "
        "'^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(("
        "[0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'");
    expect_one(s, "{\"spec\":{\"br\":\"a b\"}}", "spec.br",
               "Invalid value: \"a b\": spec.br in body should match '^[\\w\\-.]+$'");
    expect_one(s, "{\"spec\":{\"t\":\"yesterday\"}}", "spec.t",
               "Invalid value: \"yesterday\": spec.t in body must be of type date-time: "
               "\"yesterday\"");
    expect_one(s, "{\"spec\":{\"u\":\"nope\"}}", "spec.u",
               "Invalid value: \"nope\": spec.u in body must be of type uuid: \"nope\"");
    struct slu_err err = {0};
    assert_int_equal(apply(s, "{\"spec\":{\"bad\":\"x\"}}", true, NULL, NULL, &err, NULL),
                     SLU_EINVAL);
    assert_int_equal(err.ncauses, 1);
    assert_non_null(strstr(err.causes[0].message, "should match '+, but pattern is invalid: "));
    slu_err_release(&err);
}

static void test_arrays(void **state)
{
    (void)state;
    const char *s = SPEC(
        "{\"a\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
        "\"set\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\",\"items\":{\"type\":"
        "\"string\"}},"
        "\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
        "\"x-kubernetes-list-map-keys\":[\"port\"],\"items\":{\"type\":\"object\","
        "\"required\":[\"port\"],\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1},"
        "\"name\":{\"type\":\"string\"}}}}}");
    expect_ok(s,
              "{\"spec\":{\"a\":[\"x\"],\"set\":[\"a\",\"b\"],\"ports\":[{\"port\":80},{\"port\":"
              "443}]}}");
    expect_one(s, "{\"spec\":{\"a\":[]}}", "spec.a",
               "Invalid value: 0: spec.a in body should have at least 1 items");
    expect_one(s, "{\"spec\":{\"a\":[\"x\",\"y\",\"z\"]}}", "spec.a",
               "Too many: 3: must have at most 2 items");
    expect_one(s, "{\"spec\":{\"set\":[\"a\",\"a\"]}}", "spec.set[1]", "Duplicate value: \"a\"");
    expect_one(s, "{\"spec\":{\"ports\":[{\"port\":80},{\"port\":80,\"name\":\"x\"}]}}",
               "spec.ports[1]", "Duplicate value: {\"port\":80}");
    expect_one(s, "{\"spec\":{\"ports\":[{\"port\":80},{\"name\":\"x\"}]}}", "spec.ports[1].port",
               "Required value");
    expect_one(s, "{\"spec\":{\"ports\":[{\"port\":0}]}}", "spec.ports[0].port",
               "Invalid value: 0: spec.ports[0].port in body should be greater than or equal to 1");
}

static void test_nullable_int_or_string(void **state)
{
    (void)state;
    const char *s =
        "{\"type\":\"object\",\"required\":[\"r\"],\"properties\":{"
        "\"n\":{\"type\":\"string\",\"nullable\":true},"
        "\"nn\":{\"type\":\"string\"},"
        "\"r\":{\"type\":\"string\"},"
        "\"ios\":{\"x-kubernetes-int-or-string\":true,\"anyOf\":[{\"type\":\"integer\"},"
        "{\"type\":\"string\"}],\"pattern\":\"^[0-9]+%?$\"},"
        "\"arr\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}";
    json_t *out = NULL;
    struct slu_err err = {0};
    /* nullable null kept; non-nullable null without default pruned */
    assert_int_equal(
        apply(s, "{\"r\":\"x\",\"n\":null,\"nn\":null}", true, "Strict", &out, &err, NULL), 0);
    assert_true(json_is_null(json_object_get(out, "n")));
    assert_null(json_object_get(out, "nn"));
    json_decref(out);
    /* a required field given as null is pruned, then missing */
    expect_one(s, "{\"r\":null}", "r", "Required value");
    expect_ok(s, "{\"r\":\"x\",\"ios\":5}");
    expect_ok(s, "{\"r\":\"x\",\"ios\":\"50%\"}");
    expect_one(s, "{\"r\":\"x\",\"ios\":\"5x\"}", "ios",
               "Invalid value: \"5x\": ios in body should match '^[0-9]+%?$'");
    /* a bool: the type error, the anyOf error and its first branch's error */
    assert_int_equal(apply(s, "{\"r\":\"x\",\"ios\":true}", true, NULL, NULL, &err, NULL),
                     SLU_EINVAL);
    assert_true(has_cause(&err, "ios",
                          "Invalid value: \"boolean\": ios in body must be of type "
                          "integer,string: \"boolean\""));
    assert_true(has_cause(
        &err, NULL, "Invalid value: \"\": \"ios\" must validate at least one schema (anyOf)"));
    assert_true(has_cause(&err, "ios",
                          "Invalid value: \"boolean\": ios in body must be of type integer: "
                          "\"boolean\""));
    assert_int_equal(err.ncauses, 3);
    slu_err_release(&err);
    /* null array items are not pruned: a type error */
    expect_one(s, "{\"r\":\"x\",\"arr\":[null]}", "arr[0]",
               "Invalid value: \"null\": arr[0] in body must be of type string: \"null\"");
}

static void test_additional_properties(void **state)
{
    (void)state;
    const char *s =
        SPEC("{\"limits\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
             "\"integer\",\"minimum\":0}},"
             "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
             "\"string\"}},\"free\":{\"type\":\"object\",\"additionalProperties\":true}}");
    json_t *out = NULL;
    struct slu_err err = {0};
    assert_int_equal(apply(s,
                           "{\"spec\":{\"limits\":{\"cpu\":2},\"labels\":{\"a.b/c\":\"d\"},"
                           "\"free\":{\"x\":{\"y\":1}}}}",
                           true, "Strict", &out, &err, NULL),
                     0);
    assert_int_equal(json_integer_value(slu_json_path(out, "spec.free.x.y")), 1);
    json_decref(out);
    expect_one(s, "{\"spec\":{\"limits\":{\"cpu\":-1}}}", "spec.limits.cpu",
               "Invalid value: -1: spec.limits.cpu in body should be greater than or equal to 0");
    expect_one(s, "{\"spec\":{\"labels\":{\"k\":1}}}", "spec.labels.k",
               "Invalid value: \"integer\": spec.labels.k in body must be of type string: "
               "\"integer\"");
}

static void test_pruning(void **state)
{
    (void)state;
    const char *s = SPEC("{\"a\":{\"type\":\"string\"},\"items\":{\"type\":\"array\",\"items\":{"
                         "\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\"}}}},"
                         "\"open\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":"
                         "true,\"properties\":{\"k\":{\"type\":\"integer\"}}},"
                         "\"emb\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,"
                         "\"properties\":{\"spec\":{\"type\":\"object\"}}}}");
    const char *obj = "{\"apiVersion\":\"x/v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\","
                      "\"whatever\":1},\"spec\":{\"a\":\"x\",\"bogus\":1,\"items\":[{\"n\":\"1\"},"
                      "{\"n\":\"2\",\"extra\":true}],\"open\":{\"anything\":[1],\"k\":3},"
                      "\"emb\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                      "\"p\"},\"spec\":{},\"junk\":1}},\"top\":1}";
    /* Strict: refused, all unknown fields named */
    struct slu_err err = {0};
    assert_int_equal(apply(s, obj, true, "Strict", NULL, &err, NULL), SLU_EBADREQUEST);
    assert_string_equal(err.msg, "strict decoding error: unknown field \"spec.bogus\", unknown "
                                 "field \"spec.items[1].extra\", unknown field \"spec.emb.junk\", "
                                 "unknown field \"top\"");
    assert_string_equal(err.reason, "BadRequest");
    slu_err_release(&err);
    /* Warn: pruned, one warning each */
    struct slu_buf warn = {0};
    json_t *out = NULL;
    assert_int_equal(apply(s, obj, true, "Warn", &out, &err, &warn), 0);
    assert_string_equal(warn.data, "unknown field \"spec.bogus\"\nunknown field "
                                   "\"spec.items[1].extra\"\nunknown field \"spec.emb.junk\"\n"
                                   "unknown field \"top\"");
    assert_null(slu_json_path(out, "spec.bogus"));
    assert_null(json_object_get(out, "top"));
    assert_null(slu_json_path(out, "spec.items[1].extra"));
    assert_string_equal(slu_json_str(out, "spec.items[1].n"), "2");
    /* preserved and root/embedded meta fields kept */
    assert_non_null(slu_json_path(out, "spec.open.anything"));
    assert_int_equal(json_integer_value(slu_json_path(out, "metadata.whatever")), 1);
    assert_string_equal(slu_json_str(out, "spec.emb.kind"), "Pod");
    assert_string_equal(slu_json_str(out, "spec.emb.metadata.name"), "p");
    json_decref(out);
    slu_buf_release(&warn);
    /* Ignore (and NULL): pruned silently */
    assert_int_equal(apply(s, obj, true, "Ignore", &out, &err, NULL), 0);
    assert_null(slu_json_path(out, "spec.bogus"));
    json_decref(out);
    assert_int_equal(apply(s, obj, true, NULL, &out, &err, NULL), 0);
    assert_null(slu_json_path(out, "spec.bogus"));
    json_decref(out);
    /* declared fields inside a preserve-unknown object are still validated */
    expect_one(s, "{\"spec\":{\"open\":{\"k\":\"x\"}}}", "spec.open.k",
               "Invalid value: \"string\": spec.open.k in body must be of type integer: "
               "\"string\"");
}

static void test_defaults(void **state)
{
    (void)state;
    const char *s =
        "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
        "\"mode\":{\"type\":\"string\",\"default\":\"cluster\"},"
        "\"retries\":{\"type\":\"integer\",\"default\":3},"
        "\"n\":{\"type\":\"string\",\"default\":\"dflt\"},"
        "\"policy\":{\"type\":\"object\",\"default\":{},\"properties\":{\"kind\":{\"type\":"
        "\"string\",\"default\":\"Never\"}}},"
        "\"driver\":{\"type\":\"object\",\"properties\":{\"cores\":{\"type\":\"integer\","
        "\"default\":1}}},"
        "\"ports\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"port\":{\"type\":\"integer\"},\"protocol\":{\"type\":\"string\",\"default\":\"TCP\"}}}}"
        "}}}}";
    json_t *out = NULL;
    struct slu_err err = {0};
    assert_int_equal(apply(s,
                           "{\"spec\":{\"retries\":5,\"n\":null,\"ports\":[{\"port\":80},"
                           "{\"port\":53,\"protocol\":\"UDP\"}]}}",
                           true, "Strict", &out, &err, NULL),
                     0);
    assert_string_equal(slu_json_str(out, "spec.mode"), "cluster");
    assert_int_equal(json_integer_value(slu_json_path(out, "spec.retries")), 5); /* kept */
    assert_string_equal(slu_json_str(out, "spec.n"), "dflt");            /* null -> default */
    assert_string_equal(slu_json_str(out, "spec.policy.kind"), "Never"); /* nested in default */
    assert_null(slu_json_path(out, "spec.driver")); /* parent absent: not applied */
    assert_string_equal(slu_json_str(out, "spec.ports[0].protocol"), "TCP");
    assert_string_equal(slu_json_str(out, "spec.ports[1].protocol"), "UDP");
    json_decref(out);
    /* parent present: applied */
    assert_int_equal(apply(s, "{\"spec\":{\"driver\":{}}}", true, NULL, &out, &err, NULL), 0);
    assert_int_equal(json_integer_value(slu_json_path(out, "spec.driver.cores")), 1);
    json_decref(out);
    /* no spec at all: nothing */
    assert_int_equal(apply(s, "{}", true, NULL, &out, &err, NULL), 0);
    assert_null(json_object_get(out, "spec"));
    json_decref(out);
    /* apply_defaults false */
    assert_int_equal(apply(s, "{\"spec\":{}}", false, NULL, &out, &err, NULL), 0);
    assert_int_equal(json_object_size(json_object_get(out, "spec")), 0);
    json_decref(out);
}

static void test_junctors(void **state)
{
    (void)state;
    const char *s =
        SPEC("{\"x\":{\"type\":\"integer\",\"allOf\":[{\"minimum\":1},{\"maximum\":"
             "10}]},\"y\":{\"type\":\"string\",\"not\":{\"enum\":[\"bad\"]}},"
             "\"z\":{\"type\":\"integer\",\"oneOf\":[{\"minimum\":5},{\"maximum\":0}]}}");
    expect_ok(s, "{\"spec\":{\"x\":5,\"y\":\"good\",\"z\":7}}");
    struct slu_err err = {0};
    assert_int_equal(apply(s, "{\"spec\":{\"x\":11}}", true, NULL, NULL, &err, NULL), SLU_EINVAL);
    assert_true(has_cause(&err, NULL,
                          "Invalid value: \"\": \"spec.x\" must validate all the schemas (allOf)"));
    assert_true(has_cause(&err, "spec.x",
                          "Invalid value: 11: spec.x in body should be less than or equal to 10"));
    slu_err_release(&err);
    expect_one(s, "{\"spec\":{\"y\":\"bad\"}}", NULL,
               "Invalid value: \"\": \"spec.y\" must not validate the schema (not)");
    expect_one(s, "{\"spec\":{\"z\":3}}", NULL,
               "Invalid value: \"\": \"spec.z\" must validate one and only one schema (oneOf)");
}

static void test_check(void **state)
{
    (void)state;
    struct {
        const char *schema;
        const char *field;
        const char *message; /* NULL: valid */
    } cases[] = {
        {"{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
         "\"a\":{\"type\":\"string\"}}}}}",
         NULL, NULL},
        {"{\"type\":\"object\",\"properties\":{\"spec\":{\"properties\":{}}}}",
         "openAPIV3Schema.properties[spec].type",
         "Required value: must not be empty for specified object fields"},
        {"{\"properties\":{}}", "openAPIV3Schema.type",
         "Required value: must not be empty at the root"},
        {"{\"type\":\"string\"}", "openAPIV3Schema.type",
         "Invalid value: \"string\": must be object at the root"},
        {"{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\"}}}",
         "openAPIV3Schema.properties[l].items", "Required value: must be specified"},
        {"{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"items\":{}}}}",
         "openAPIV3Schema.properties[l].items.type",
         "Required value: must not be empty for specified array items"},
        {"{\"type\":\"object\",\"properties\":{\"m\":{\"type\":\"object\",\"properties\":{},"
         "\"additionalProperties\":{\"type\":\"string\"}}}}",
         "openAPIV3Schema.properties[m].additionalProperties",
         "Forbidden: additionalProperties and properties are mutual exclusive"},
        {"{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"thing\"}}}",
         "openAPIV3Schema.properties[t].type",
         "Unsupported value: \"thing\": supported values: \"array\", \"boolean\", \"integer\", "
         "\"number\", \"object\", \"string\""},
        {"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"(\"}}}",
         "openAPIV3Schema.properties[p].pattern", NULL /* checked by prefix below */},
        {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"integer\",\"default\":\"x\"}}}",
         "openAPIV3Schema.properties[d].default",
         "Invalid value: \"x\": : Invalid value: \"string\":  in body must be of type integer: "
         "\"string\""},
        {"{\"type\":\"object\",\"properties\":{\"r\":{\"$ref\":\"#/x\",\"type\":\"object\"}}}",
         "openAPIV3Schema.properties[r].$ref", "Forbidden: $ref is not supported"},
        {"{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"anyOf\":[{\"type\":"
         "\"string\"}]}}}",
         "openAPIV3Schema.properties[x].anyOf[0].type",
         "Forbidden: must be empty to be structural"},
        {"{\"type\":\"object\",\"properties\":{\"x\":{\"x-kubernetes-int-or-string\":true,"
         "\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]},"
         "\"y\":{\"x-kubernetes-preserve-unknown-fields\":true}}}",
         NULL, NULL},
        {"{\"type\":\"object\",\"properties\":{\"x\":{\"x-kubernetes-int-or-string\":true},"
         "\"y\":{\"x-kubernetes-preserve-unknown-fields\":true}}}",
         NULL, NULL},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        json_t *s = J(cases[i].schema);
        struct slu_err err = {0};
        int rc = sim_schema_check(s, &err);
        if (!cases[i].field) {
            if (rc != 0) {
                dump_causes(&err);
                fail_msg("case %zu: expected a valid schema: %s", i, err.msg);
            }
        } else {
            assert_int_equal(rc, SLU_EINVAL);
            bool found = false;
            for (size_t k = 0; k < err.ncauses; k++) {
                if (!slu_streq(err.causes[k].field, cases[i].field))
                    continue;
                if (!cases[i].message)
                    found = strstr(err.causes[k].message,
                                   "must be a valid regular expression, but isn't") != NULL;
                else
                    found = slu_streq(err.causes[k].message, cases[i].message);
                if (found)
                    break;
            }
            if (!found) {
                dump_causes(&err);
                fail_msg("case %zu: missing %s: %s", i, cases[i].field,
                         cases[i].message ? cases[i].message : "(pattern)");
            }
        }
        slu_err_release(&err);
        json_decref(s);
    }
}

/* ---------------------------------------------------------------- the Kubeflow CRDs */

static json_t *load_yaml(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", slu_test_shared_dir(), rel);
    return load_yaml_docs(path);
}

static json_t *crd_schema(const char *file)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "reference/kubeflow-spark-operator/crds/%s", file);
    json_t *docs = load_yaml(rel);
    json_t *s = slu_json_path(json_array_get(docs, 0), "spec.versions[0].schema.openAPIV3Schema");
    assert_non_null(s);
    json_incref(s);
    json_decref(docs);
    return s;
}

static void test_kubeflow_crds_check(void **state)
{
    (void)state;
    const char *files[] = {"sparkoperator.k8s.io_sparkapplications.yaml",
                           "sparkoperator.k8s.io_scheduledsparkapplications.yaml"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = crd_schema(files[i]);
        struct slu_err err = {0};
        if (sim_schema_check(s, &err) != 0) {
            dump_causes(&err);
            fail_msg("%s: %s", files[i], err.msg);
        }
        json_decref(s);
    }
}

static void test_kubeflow_examples(void **state)
{
    (void)state;
    json_t *app = crd_schema("sparkoperator.k8s.io_sparkapplications.yaml");
    json_t *sched = crd_schema("sparkoperator.k8s.io_scheduledsparkapplications.yaml");
    static const char *const examples[] = {"spark-pi-configmap.yaml",
                                           "spark-pi-custom-resource.yaml",
                                           "spark-pi-dynamic-allocation.yaml",
                                           "spark-pi-emptydir.yaml",
                                           "spark-pi-kube-scheduler.yaml",
                                           "spark-pi-pod-template.yaml",
                                           "spark-pi-prometheus-servlet.yaml",
                                           "spark-pi-python.yaml",
                                           "spark-pi-scheduled.yaml",
                                           "spark-pi-ttl.yaml",
                                           "spark-pi-volcano.yaml",
                                           "spark-pi-yunikorn.yaml",
                                           "spark-pi.yaml"};
    /* spark-pi-prometheus.yaml is left out: upstream it is a template ("image:
     * {IMAGE_REGISTRY}/...") that is not valid YAML, so no client could send it. */
    size_t checked = 0;
    for (size_t i = 0; i < SLU_ARRAY_LEN(examples); i++) {
        char rel[512];
        snprintf(rel, sizeof(rel), "reference/kubeflow-spark-operator/examples/%s", examples[i]);
        json_t *docs = load_yaml(rel);
        size_t d;
        json_t *doc;
        json_array_foreach(docs, d, doc)
        {
            const char *kind = slu_json_str(doc, "kind");
            const json_t *s = slu_streq(kind, "SparkApplication")            ? app
                              : slu_streq(kind, "ScheduledSparkApplication") ? sched
                                                                             : NULL;
            if (!s)
                continue;
            /* without defaults: nothing may change */
            json_t *copy = slu_json_copy(doc);
            struct slu_err err = {0};
            struct slu_buf warn = {0};
            if (sim_schema_apply(s, copy, false, "Strict", &warn, &err) != 0) {
                dump_causes(&err);
                fail_msg("%s: %s", examples[i], err.msg);
            }
            if (!slu_json_equal(copy, doc))
                fail_msg("%s: changed by pruning", examples[i]);
            json_decref(copy);
            /* with defaults: every field kept */
            copy = slu_json_copy(doc);
            assert_int_equal(sim_schema_apply(s, copy, true, "Strict", &warn, &err), 0);
            assert_true(json_test_contains(copy, doc));
            assert_int_equal(warn.len, 0);
            json_decref(copy);
            slu_buf_release(&warn);
            checked++;
        }
        json_decref(docs);
    }
    assert_int_equal(checked, 13);
    json_decref(app);
    json_decref(sched);
}

static void test_kubeflow_enforced(void **state)
{
    (void)state;
    json_t *s = crd_schema("sparkoperator.k8s.io_sparkapplications.yaml");
    json_t *docs = load_yaml("reference/kubeflow-spark-operator/examples/spark-pi.yaml");
    json_t *base = json_array_get(docs, 0);
    struct slu_err err = {0};

    json_t *o = slu_json_copy(base);
    slu_json_set_int(o, "spec.driver.cores", 0);
    slu_json_set_str(o, "spec.type", "Go");
    slu_json_del(o, "spec.sparkVersion");
    slu_json_set_str(o, "spec.mode", "local");
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), SLU_EINVAL);
    assert_true(has_cause(&err, "spec.driver.cores",
                          "Invalid value: 0: spec.driver.cores in body should be greater than or "
                          "equal to 1"));
    assert_true(has_cause(&err, "spec.type",
                          "Unsupported value: \"Go\": supported values: \"Java\", \"Python\", "
                          "\"Scala\", \"R\""));
    assert_true(has_cause(&err, "spec.sparkVersion", "Required value"));
    assert_true(has_cause(&err, "spec.mode",
                          "Unsupported value: \"local\": supported values: \"cluster\", "
                          "\"client\""));
    assert_int_equal(err.ncauses, 4);
    slu_err_release(&err);
    json_decref(o);

    /* the store sets apiVersion/kind/metadata aside before applying: the root's
     * required: [metadata, spec] must not count them */
    o = slu_json_copy(base);
    json_object_del(o, "metadata");
    json_object_del(o, "apiVersion");
    json_object_del(o, "kind");
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), 0);
    json_object_del(o, "spec");
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), SLU_EINVAL);
    assert_int_equal(err.ncauses, 1);
    assert_string_equal(err.msg, "spec: Required value");
    slu_err_release(&err);
    json_decref(o);

    /* an unknown field is refused under Strict with its path */
    o = slu_json_copy(base);
    slu_json_set_str(o, "spec.driver.coresPerTask", "2");
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), SLU_EBADREQUEST);
    assert_string_equal(err.msg,
                        "strict decoding error: unknown field \"spec.driver.coresPerTask\"");
    slu_err_release(&err);
    json_decref(o);

    /* quantities (int-or-string with a pattern) and defaults deep in lists */
    o = slu_json_copy(base);
    json_t *port = json_pack("{s:s, s:i}", "name", "http", "containerPort", 8080);
    json_t *sidecar =
        json_pack("{s:s, s:s, s:[o]}", "name", "side", "image", "busybox", "ports", port);
    json_object_set_new(json_object_get(o, "spec"), "driver",
                        json_deep_copy(slu_json_path(o, "spec.driver")));
    json_object_set_new(slu_json_path(o, "spec.driver"), "sidecars", json_pack("[o]", sidecar));
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), 0);
    assert_string_equal(slu_json_str(o, "spec.driver.sidecars[0].ports[0].protocol"), "TCP");
    json_decref(o);
    o = slu_json_copy(base);
    slu_json_set(
        o, "spec.driver.sidecars",
        json_pack("[{s:s, s:{s:{s:s}}}]", "name", "side", "resources", "limits", "cpu", "lots"));
    assert_int_equal(sim_schema_apply(s, o, true, "Strict", NULL, &err), SLU_EINVAL);
    assert_int_equal(err.ncauses, 1);
    assert_string_equal(err.causes[0].field, "spec.driver.sidecars[0].resources.limits.cpu");
    assert_non_null(strstr(err.causes[0].message, "Invalid value: \"lots\": "
                                                  "spec.driver.sidecars[0].resources.limits.cpu in "
                                                  "body should match '^(\\+|-)?"));
    slu_err_release(&err);
    json_decref(o);
    json_decref(docs);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_required_enum),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_nullable_int_or_string),
        cmocka_unit_test(test_additional_properties),
        cmocka_unit_test(test_pruning),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_junctors),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_kubeflow_crds_check),
        cmocka_unit_test(test_kubeflow_examples),
        cmocka_unit_test(test_kubeflow_enforced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
