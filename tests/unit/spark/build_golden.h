/*
 * build_golden.h - shared helpers of the builder tests (tests/unit/spark/test_build_*.c and
 * test_build.c): turn a golden case file (tests/data/spark/NAME.json, written by hand from spec
 * spark-objects.md) into a struct spark_build_input, run the builder, and compare objects
 * semantically (object keys in any order, arrays in order), with a readable diff on failure.
 *
 * Case file: {"input": {...}, "expect": {"objects": [...], "properties": {k: v},
 * "properties_lines": [...]}, "expect_error": {"code": -1, "contains": "..."}, "executors": [...]}
 * The spark.properties value of the conf ConfigMap is checked through "properties" (parsed back
 * with spark_properties_parse, every key and value) and "properties_lines" (lines that must be
 * present verbatim), then replaced by "<properties>" before the objects are compared. A podspec
 * ConfigMap value given as an object in the expectation is compared after parsing the actual text.
 */
#ifndef SLU_TEST_BUILD_GOLDEN_H
#define SLU_TEST_BUILD_GOLDEN_H

#include "test.h"

#include "spark/spark.h"

SLU_UNUSED static json_t *bg_load(const char *name)
{
    char *path = slu_asprintf("%s/tests/data/spark/%s", slu_test_source_dir(), name);
    struct slu_buf b = {0};
    struct slu_err err = {0};
    int rc = slu_read_file(path, 4 << 20, &b, &err);
    if (rc)
        print_error("cannot read %s: %s\n", path, err.msg);
    assert_int_equal(rc, 0);
    json_t *j = NULL;
    rc = slu_json_parse(b.data, b.len, 0, &j, &err);
    if (rc)
        print_error("%s: %s\n", path, err.msg);
    assert_int_equal(rc, 0);
    slu_buf_release(&b);
    free(path);
    return j;
}

SLU_UNUSED static const char *bg_s(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Input holder: owns the conf and the args vector. */
struct bg_input {
    struct spark_build_input in;
    struct spark_conf *conf;
    const char **args;
    struct spark_policy policy;
};

SLU_UNUSED static void bg_input_from_json(struct bg_input *b, const json_t *j)
{
    memset(b, 0, sizeof(*b));
    b->conf = spark_conf_new();
    size_t i;
    json_t *kv;
    json_array_foreach(json_object_get(j, "conf"), i, kv)
    {
        spark_conf_set(b->conf, json_string_value(json_array_get(kv, 0)),
                       json_string_value(json_array_get(kv, 1)));
    }
    struct spark_build_input *in = &b->in;
    in->conf = b->conf;
    in->spark_version = bg_s(j, "spark_version");
    in->main_class = bg_s(j, "main_class");
    in->primary_resource = bg_s(j, "primary_resource");
    in->proxy_user = bg_s(j, "proxy_user");
    in->namespace = bg_s(j, "namespace");
    in->app_id = bg_s(j, "app_id");
    in->unique_id = bg_s(j, "unique_id");
    in->conf_map_id = bg_s(j, "conf_map_id");
    in->service_id = bg_s(j, "service_id");
    in->local_dir_uuid = bg_s(j, "local_dir_uuid");
    in->now_ms = json_integer_value(json_object_get(j, "now_ms"));
    in->spark_user = bg_s(j, "spark_user");
    in->env_local_dirs = bg_s(j, "env_local_dirs");
    in->env_pyspark_python = bg_s(j, "env_pyspark_python");
    in->env_pyspark_driver_python = bg_s(j, "env_pyspark_driver_python");
    in->conf_files = json_object_get(j, "conf_files");
    in->driver_template = json_object_get(j, "driver_template");
    in->executor_template = json_object_get(j, "executor_template");
    in->executor_template_text = bg_s(j, "executor_template_text");
    in->driver_extras = json_object_get(j, "driver_extras");
    in->executor_extras = json_object_get(j, "executor_extras");
    in->app_volumes = json_object_get(j, "app_volumes");
    json_t *args = json_object_get(j, "args");
    in->nargs = json_array_size(args);
    b->args = calloc(in->nargs + 1, sizeof(char *));
    json_t *a;
    json_array_foreach(args, i, a) b->args[i] = json_string_value(a);
    in->app_args = b->args;
    json_t *pol = json_object_get(j, "policy");
    if (json_is_object(pol)) {
        spark_policy_init_default(&b->policy);
        b->policy.memory_padding = json_is_true(json_object_get(pol, "memory_padding"));
        b->policy.cpu_ratio = json_number_value(json_object_get(pol, "cpu_ratio"));
        in->policy = &b->policy;
    }
    const char *t = bg_s(j, "app_type");
    if (t)
        in->app_type = !strcmp(t, "python") ? SPARK_APP_PYTHON
                       : !strcmp(t, "r")    ? SPARK_APP_R
                                            : SPARK_APP_JAVA;
}

SLU_UNUSED static void bg_input_release(struct bg_input *b)
{
    spark_conf_free(b->conf);
    free(b->args);
}

/* Prints the first differing paths of e and a (both may be NULL). */
SLU_UNUSED static void bg_diff(const json_t *e, const json_t *a, const char *path)
{
    if (e && a && slu_json_equal(e, a))
        return;
    if (json_is_object(e) && json_is_object(a)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)e, k, v)
        {
            char *p = slu_asprintf("%s.%s", path, k);
            bg_diff(v, json_object_get(a, k), p);
            free(p);
        }
        json_object_foreach((json_t *)a, k, v)
        {
            if (!json_object_get(e, k)) {
                char *d = slu_json_dumps_canonical(v);
                print_error("  %s.%s: unexpected %.300s\n", path, k, d);
                free(d);
            }
        }
        return;
    }
    if (json_is_array(e) && json_is_array(a) && json_array_size(e) == json_array_size(a)) {
        for (size_t i = 0; i < json_array_size(e); i++) {
            char *p = slu_asprintf("%s[%zu]", path, i);
            bg_diff(json_array_get(e, i), json_array_get(a, i), p);
            free(p);
        }
        return;
    }
    char *de = e ? slu_json_dumps_canonical(e) : slu_strdup("(absent)");
    char *da = a ? slu_json_dumps_canonical(a) : slu_strdup("(absent)");
    print_error("  %s:\n    expected %.600s\n    actual   %.600s\n", path, de, da);
    free(de);
    free(da);
}

/* Fails with the differing paths when expect and actual differ. */
SLU_UNUSED static void bg_assert_equal(const json_t *expect, const json_t *actual, const char *what)
{
    if (slu_json_equal(expect, actual))
        return;
    print_error("%s differs:\n", what);
    bg_diff(expect, actual, "$");
    fail();
}

SLU_UNUSED static json_t *bg_find(json_t *objects, const char *kind, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        if (!strcmp(bg_s(o, "kind"), kind) &&
            (!name || !strcmp(bg_s(json_object_get(o, "metadata"), "name"), name)))
            return o;
    }
    return NULL;
}

/* Checks spark.properties of the conf ConfigMap against expect, returns the parsed properties
 * (owned) and replaces the text by "<properties>". */
SLU_UNUSED static struct spark_conf *bg_check_properties(json_t *objects, const json_t *expect)
{
    json_t *cm = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        const char *n = bg_s(json_object_get(o, "metadata"), "name");
        if (!strcmp(bg_s(o, "kind"), "ConfigMap") && n && !strncmp(n, "spark-drv-", 10))
            cm = o;
    }
    assert_non_null(cm);
    json_t *data = json_object_get(cm, "data");
    const char *text = bg_s(data, "spark.properties");
    assert_non_null(text);
    struct spark_conf *p = spark_conf_new();
    struct slu_err err = {0};
    assert_int_equal(spark_properties_parse(text, strlen(text), "spark.properties", p, &err), 0);
    const json_t *want = json_object_get(expect, "properties");
    if (want) {
        json_t *got = json_object();
        for (size_t k = 0; k < spark_conf_len(p); k++)
            json_object_set_new(got, spark_conf_key_at(p, k),
                                json_string(spark_conf_value_at(p, k)));
        bg_assert_equal(want, got, "spark.properties");
        json_decref(got);
    }
    json_t *line;
    json_array_foreach(json_object_get(expect, "properties_lines"), i, line)
    {
        const char *l = json_string_value(line);
        char *needle = slu_asprintf("%s\n", l);
        bool at_start = strncmp(text, needle, strlen(needle)) == 0;
        char *nl = slu_asprintf("\n%s\n", l);
        if (!at_start && !strstr(text, nl)) {
            print_error("spark.properties lacks the line [%s]:\n%s\n", l, text);
            fail();
        }
        free(needle);
        free(nl);
    }
    json_object_set_new(data, "spark.properties", json_string("<properties>"));
    return p;
}

/* Podspec ConfigMaps: an object expectation is compared with the parsed text. */
SLU_UNUSED static void bg_normalise_podspec(json_t *objects, const json_t *expect_objects)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        json_t *data = json_object_get(o, "data");
        const char *text = bg_s(data, "podspec-configmap-key");
        json_t *e = json_array_get(expect_objects, i);
        json_t *ev = json_object_get(json_object_get(e, "data"), "podspec-configmap-key");
        if (!text || !json_is_object(ev))
            continue;
        json_t *parsed = NULL;
        struct slu_err err = {0};
        assert_int_equal(slu_json_parse(text, strlen(text), 0, &parsed, &err), 0);
        json_object_set_new(data, "podspec-configmap-key", parsed);
    }
}

#endif
