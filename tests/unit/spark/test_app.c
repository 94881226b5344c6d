/* Tests for src/spark/app.c: SparkApplication defaults, validation, and both conversions. */
#include "test.h"

#include "spark/spark.h"

static json_t *load_yaml(const char *text)
{
    json_t *doc = NULL;
    struct slu_err err = {0};
    assert_int_equal(slu_yaml_load_one(text, strlen(text), NULL, &doc, &err), 0);
    slu_err_release(&err);
    return doc;
}

static const char *minimal = "apiVersion: sparkoperator.k8s.io/v1beta2\n"
                             "kind: SparkApplication\n"
                             "metadata: {name: pi, namespace: team-a, labels: {team: a, "
                             "kueue.x-k8s.io/queue-name: q}}\n"
                             "spec:\n"
                             "  type: Scala\n"
                             "  sparkVersion: 4.0.4\n"
                             "  image: apache/spark:4.0.4\n"
                             "  mainClass: org.apache.spark.examples.SparkPi\n"
                             "  mainApplicationFile: local:///opt/spark/examples/jars/x.jar\n"
                             "  arguments: ['1000', --flag]\n"
                             "  driver: {}\n"
                             "  executor: {}\n";

static void test_defaults(void **state)
{
    (void)state;
    json_t *app = load_yaml(minimal);
    spark_app_apply_defaults(app);
    assert_string_equal(slu_json_str(app, "spec.mode"), "cluster");
    assert_string_equal(slu_json_str(app, "spec.restartPolicy.type"), "Never");
    assert_int_equal(slu_json_int(app, "spec.driver.cores", 0), 1);
    assert_string_equal(slu_json_str(app, "spec.driver.memory"), "1g");
    assert_int_equal(slu_json_int(app, "spec.executor.instances", 0), 1);
    assert_null(slu_json_path(app, "spec.restartPolicy.onFailureRetryInterval"));
    json_decref(app);

    /* sparkConf keys suppress the matching defaults; OnFailure gets 5 s intervals */
    app =
        load_yaml("metadata: {name: x}\nspec:\n  type: Python\n  restartPolicy: {type: OnFailure}\n"
                  "  sparkConf: {spark.executor.instances: '4', spark.driver.memory: 2g}\n"
                  "  dynamicAllocation: {enabled: true}\n");
    spark_app_apply_defaults(app);
    assert_string_equal(slu_json_str(app, "spec.type"), "Python");
    assert_int_equal(slu_json_int(app, "spec.restartPolicy.onFailureRetryInterval", 0), 5);
    assert_int_equal(slu_json_int(app, "spec.restartPolicy.onSubmissionFailureRetryInterval", 0),
                     5);
    assert_null(slu_json_path(app, "spec.executor.instances"));
    assert_null(slu_json_path(app, "spec.driver.memory"));
    assert_true(json_is_true(slu_json_path(app, "spec.dynamicAllocation.shuffleTrackingEnabled")));
    json_decref(app);
}

static void assert_invalid(const char *yaml, const char *field, const char *needle)
{
    json_t *app = load_yaml(yaml);
    spark_app_apply_defaults(app);
    struct slu_err err = {0};
    assert_int_equal(spark_app_validate(app, &err), SLU_EINVAL);
    bool found = false;
    for (size_t i = 0; i < err.ncauses; i++)
        if (slu_streq(err.causes[i].field, field))
            found = true;
    if (!found)
        fail_msg("no cause for %s in: %s", field, err.msg);
    if (!strstr(err.msg, needle))
        fail_msg("message lacks \"%s\": %s", needle, err.msg);
    slu_err_release(&err);
    json_decref(app);
}

static void test_validate(void **state)
{
    (void)state;
    json_t *app = load_yaml(minimal);
    spark_app_apply_defaults(app);
    struct slu_err err = {0};
    assert_int_equal(spark_app_validate(app, &err), 0);
    json_decref(app);

    const char *base = "metadata: {name: ok}\nspec: {type: Scala, sparkVersion: '3.5.1', "
                       "mainApplicationFile: a.jar";
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s, driver: {cores: 0}, executor: {}}\n", base);
    assert_invalid(buf, "spec.driver.cores", "spec.driver.cores: must be greater than 0");
    snprintf(buf, sizeof(buf), "metadata: {name: ok}\nspec: {type: Go}\n");
    assert_invalid(buf, "spec.type", "Unsupported value: \"Go\"");
    snprintf(buf, sizeof(buf), "%s, executor: {memory: lots}}\n", base);
    assert_invalid(buf, "spec.executor.memory", "invalid memory \"lots\"");
    snprintf(buf, sizeof(buf), "%s, sparkConf: {spark.master: 'local'}}\n", base);
    assert_invalid(buf, "spec.sparkConf[spark.master]", "not allowed");
    snprintf(buf, sizeof(buf), "%s, restartPolicy: {type: OnFailure, onFailureRetries: -1}}\n",
             base);
    assert_invalid(buf, "spec.restartPolicy.onFailureRetries", "greater than or equal to 0");
    snprintf(buf, sizeof(buf), "%s, nodeSelector: {a: b}, driver: {nodeSelector: {c: d}}}\n", base);
    assert_invalid(buf, "spec.nodeSelector", "both");
    assert_invalid("metadata: {name: Bad_Name}\nspec: {type: Scala, sparkVersion: '4.0.0', "
                   "mainApplicationFile: a.jar, driver: {}, executor: {}}\n",
                   "metadata.name", "DNS-1035");
    assert_invalid("metadata: {name: ok}\nspec: {type: Scala, driver: {}, executor: {}}\n",
                   "spec.mainApplicationFile", "Required value");
    assert_invalid("metadata: {name: ok}\nspec: {type: Scala, mainApplicationFile: a.jar}\n",
                   "spec.sparkVersion", "Required value");
}

static void test_to_submission(void **state)
{
    (void)state;
    json_t *app = load_yaml(minimal);
    json_t *drv = slu_json_path(app, "spec.driver");
    json_object_set_new(drv, "serviceAccount", json_string("spark"));
    json_object_set_new(drv, "labels", json_pack("{s:s}", "version", "4"));
    json_object_set_new(drv, "env", json_pack("[{s:s,s:s}]", "name", "A", "value", "1"));
    slu_json_set(app, "spec.executor.instances", json_integer(3));
    slu_json_set(app, "spec.hadoopConf", json_pack("{s:s}", "fs.s3a.impl", "x"));
    slu_json_set(app, "spec.deps", json_pack("{s:[s,s]}", "jars", "a.jar", "b.jar"));
    struct spark_submission *s = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_app_to_submission(app, "sub-1", &s, &err), 0);
    const struct spark_conf *c = s->conf;
    assert_string_equal(s->primary_resource, "local:///opt/spark/examples/jars/x.jar");
    assert_string_equal(s->main_class, "org.apache.spark.examples.SparkPi");
    assert_int_equal(s->nargs, 2);
    assert_string_equal(s->args[1], "--flag");
    assert_string_equal(s->driver_pod_name, "pi-driver");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.namespace"), "team-a");
    assert_string_equal(spark_conf_get(c, "spark.app.name"), "pi");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.container.image"),
                        "apache/spark:4.0.4");
    assert_string_equal(spark_conf_get(c, "spark.executor.instances"), "3");
    assert_string_equal(spark_conf_get(c, "spark.driver.cores"), "1");
    assert_string_equal(spark_conf_get(c, "spark.driver.memory"), "1g");
    assert_string_equal(spark_conf_get(c, "spark.jars"), "a.jar,b.jar");
    assert_string_equal(spark_conf_get(c, "spark.hadoop.fs.s3a.impl"), "x");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.submission.waitAppCompletion"),
                        "false");
    assert_string_equal(
        spark_conf_get(c, "spark.kubernetes.authenticate.driver.serviceAccountName"), "spark");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.label.version"), "4");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.label.team"), "a");
    assert_null(spark_conf_get(c, "spark.kubernetes.driver.label.kueue.x-k8s.io/queue-name"));
    assert_string_equal(
        spark_conf_get(c, "spark.kubernetes.executor.label." SPARK_LABEL_SUBMISSION_ID), "sub-1");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.label." SPARK_LABEL_APP_NAME),
                        "pi");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.label." SPARK_LABEL_LAUNCHED_BY),
                        "true");
    /* the webhook fields travel as extras */
    assert_string_equal(slu_json_str(s->driver_extras, "env[0].name"), "A");
    assert_string_equal(s->app_type, "Scala");
    assert_string_equal(spark_app_rules_version(s->spark_version), "4.0");
    spark_submission_free(s);

    /* invalid apps do not convert */
    slu_json_set(app, "spec.driver.cores", json_integer(0));
    assert_int_equal(spark_app_to_submission(app, NULL, &s, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "spec.driver.cores"));
    slu_err_release(&err);
    json_decref(app);
}

static void test_local_dirs_secrets(void **state)
{
    (void)state;
    json_t *app = load_yaml("metadata: {name: ld}\n"
                            "spec:\n"
                            "  type: Java\n  sparkVersion: 3.5.1\n  mainApplicationFile: a.jar\n"
                            "  volumes:\n"
                            "  - name: spark-local-dir-1\n    hostPath: {path: /mnt/disk1}\n"
                            "  - name: data\n    persistentVolumeClaim: {claimName: c1}\n"
                            "  driver:\n"
                            "    volumeMounts:\n"
                            "    - {name: spark-local-dir-1, mountPath: /tmp/spark-local}\n"
                            "    - {name: data, mountPath: /data}\n"
                            "    secrets:\n"
                            "    - {name: gcp, path: /mnt/gcp, secretType: GCPServiceAccount}\n"
                            "    envSecretKeyRefs: {PASS: {name: db, key: password}}\n"
                            "  executor: {instances: 2}\n");
    struct spark_submission *s = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_app_to_submission(app, NULL, &s, &err), 0);
    const struct spark_conf *c = s->conf;
    assert_string_equal(
        spark_conf_get(c, "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.mount.path"),
        "/tmp/spark-local");
    assert_string_equal(
        spark_conf_get(c,
                       "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.options.path"),
        "/mnt/disk1");
    /* a non-local-dir volume is left to the extras (webhook path) */
    assert_null(spark_conf_get(c, "spark.kubernetes.driver.volumes.persistentVolumeClaim.data."
                                  "mount.path"));
    assert_string_equal(slu_json_str(s->driver_extras, "volumes[1].name"), "data");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.secrets.gcp"), "/mnt/gcp");
    assert_string_equal(
        spark_conf_get(c, "spark.kubernetes.driverEnv.GOOGLE_APPLICATION_CREDENTIALS"),
        "/mnt/gcp/key.json");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.driver.secretKeyRef.PASS"),
                        "db:password");
    assert_string_equal(spark_app_rules_version(s->spark_version), "3.5");
    spark_submission_free(s);
    json_decref(app);
}

static void test_from_conf_roundtrip(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.app.name", "spark-pi");
    spark_conf_set(c, "spark.kubernetes.container.image", "apache/spark:4.0.4");
    spark_conf_set(c, "spark.executor.instances", "5");
    spark_conf_set(c, "spark.driver.memory", "2g");
    spark_conf_set(c, "spark.jars", "a.jar, b.jar");
    spark_conf_set(c, "spark.kubernetes.driver.label.team", "x");
    spark_conf_set(c, "spark.sql.shuffle.partitions", "64");
    spark_conf_set(c, "spark.executorEnv.FOO", "bar");
    char *args[] = {"100"};
    json_t *app = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_app_from_conf(c, "org.apache.spark.examples.SparkPi", "local:///x.jar",
                                         args, 1, "ns1", NULL, "4.0.0", &app, &err),
                     0);
    assert_string_equal(slu_json_str(app, "metadata.name"), "spark-pi");
    assert_string_equal(slu_json_str(app, "metadata.namespace"), "ns1");
    assert_int_equal(slu_json_int(app, "spec.executor.instances", 0), 5);
    assert_string_equal(slu_json_str(app, "spec.driver.memory"), "2g");
    assert_string_equal(slu_json_str(app, "spec.deps.jars[1]"), "b.jar");
    assert_string_equal(json_string_value(json_object_get(slu_json_path(app, "spec.sparkConf"),
                                                          "spark.sql.shuffle.partitions")),
                        "64");
    assert_string_equal(slu_json_str(app, "spec.executor.envVars.FOO"), "bar");
    assert_string_equal(slu_json_str(app, "spec.type"), "Scala");

    /* and back: the conf comes out with the same values */
    struct spark_submission *s = NULL;
    assert_int_equal(spark_app_to_submission(app, NULL, &s, &err), 0);
    assert_string_equal(spark_conf_get(s->conf, "spark.executor.instances"), "5");
    assert_string_equal(spark_conf_get(s->conf, "spark.driver.memory"), "2g");
    assert_string_equal(spark_conf_get(s->conf, "spark.jars"), "a.jar,b.jar");
    assert_string_equal(spark_conf_get(s->conf, "spark.sql.shuffle.partitions"), "64");
    assert_string_equal(spark_conf_get(s->conf, "spark.executorEnv.FOO"), "bar");
    assert_string_equal(spark_conf_get(s->conf, "spark.kubernetes.driver.label.team"), "x");
    assert_string_equal(s->args[0], "100");
    spark_submission_free(s);
    json_decref(app);

    assert_int_equal(spark_app_from_conf(c, NULL, NULL, NULL, 0, NULL, NULL, NULL, &app, &err),
                     SLU_EINVAL);
    assert_non_null(strstr(err.msg, "Missing application resource"));
    slu_err_release(&err);
    spark_conf_free(c);
}

/* Every example SparkApplication of the Kubeflow operator converts. */
static void test_reference_examples(void **state)
{
    (void)state;
    const char *names[] = {
        "spark-pi.yaml",           "spark-pi-python.yaml", "spark-pi-dynamic-allocation.yaml",
        "spark-pi-configmap.yaml", "spark-pi-ttl.yaml",    "spark-pi-pod-template.yaml"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(names); i++) {
        char *path = slu_asprintf("%s/reference/kubeflow-spark-operator/examples/%s",
                                  slu_test_shared_dir(), names[i]);
        json_t *docs = NULL;
        struct slu_err err = {0};
        if (slu_yaml_load_file(path, NULL, &docs, &err) != 0) {
            print_message("SKIP %s: %s\n", path, err.msg);
            slu_err_release(&err);
            free(path);
            continue;
        }
        json_t *app = NULL;
        for (size_t d = 0; d < json_array_size(docs); d++)
            if (slu_streq(slu_json_str(json_array_get(docs, d), "kind"), "SparkApplication"))
                app = json_array_get(docs, d);
        assert_non_null(app);
        struct spark_submission *s = NULL;
        if (spark_app_to_submission(app, "id", &s, &err) != 0)
            fail_msg("%s: %s", names[i], err.msg);
        assert_non_null(spark_conf_get(s->conf, "spark.kubernetes.container.image"));
        assert_string_equal(s->app_name, slu_json_str(app, "metadata.name"));
        spark_submission_free(s);
        json_decref(docs);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_to_submission),
        cmocka_unit_test(test_local_dirs_secrets),
        cmocka_unit_test(test_from_conf_roundtrip),
        cmocka_unit_test(test_reference_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
