/* Tests for src/spark/app.c: SparkApplication defaults, validation, and both conversions. */
#include "test.h"

#include <unistd.h>

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
    spark_conf_set(c, "spark.jars", "a.jar,b.jar");
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

static bool conf_equal(const struct spark_conf *a, const struct spark_conf *b)
{
    if (spark_conf_len(a) != spark_conf_len(b))
        return false;
    for (size_t i = 0; i < spark_conf_len(a); i++)
        if (!slu_streq(spark_conf_get(b, spark_conf_key_at(a, i)), spark_conf_value_at(a, i)))
            return false;
    return true;
}

/* app -> conf -> app -> conf gives the same conf (templates travel as JSON). */
static void assert_round_trip(const struct spark_submission *s, const char *what)
{
    struct spark_conf *c1 = spark_conf_copy(s->conf);
    spark_conf_unset(c1, "spark.kubernetes.driver.podTemplateFile");
    spark_conf_unset(c1, "spark.kubernetes.executor.podTemplateFile");
    json_t *back = NULL;
    struct slu_err err = {0};
    if (spark_app_from_conf(c1, s->main_class, s->primary_resource, s->args, s->nargs, NULL, NULL,
                            s->spark_version, &back, &err) != 0)
        fail_msg("%s: from_conf: %s", what, err.msg);
    if (s->driver_template)
        slu_json_set(back, "spec.driver.template", slu_json_copy(s->driver_template));
    if (s->executor_template)
        slu_json_set(back, "spec.executor.template", slu_json_copy(s->executor_template));
    if (s->proxy_user)
        slu_json_set_str(back, "spec.proxyUser", s->proxy_user);
    struct spark_submission *s2 = NULL;
    if (spark_app_to_submission(back, "id", &s2, &err) != 0)
        fail_msg("%s: back to a submission: %s", what, err.msg);
    if (!conf_equal(s->conf, s2->conf)) {
        for (size_t i = 0; i < spark_conf_len(s2->conf); i++)
            print_message("  %s=%s\n", spark_conf_key_at(s2->conf, i),
                          spark_conf_value_at(s2->conf, i));
        fail_msg("%s: the round trip changed the conf", what);
    }
    spark_submission_free(s2);
    json_decref(back);
    spark_conf_free(c1);
}

/* What the operator passes for examples/spark-pi.yaml (spec §3.1: --deploy-mode, --name and
 * every --conf, as conf entries; --master is the operator's own API server and not part of it). */
static const char *const spark_pi_conf[] = {
    "spark.submit.deployMode=cluster",
    "spark.app.name=spark-pi",
    "spark.kubernetes.namespace=default",
    "spark.kubernetes.container.image=docker.io/apache/spark:4.0.4",
    "spark.kubernetes.container.image.pullPolicy=IfNotPresent",
    "spark.kubernetes.submission.waitAppCompletion=false",
    "spark.kubernetes.driver.pod.name=spark-pi-driver",
    "spark.kubernetes.driver.label.sparkoperator.k8s.io/app-name=spark-pi",
    "spark.kubernetes.driver.label.sparkoperator.k8s.io/launched-by-spark-operator=true",
    "spark.kubernetes.driver.label.sparkoperator.k8s.io/mutated-by-spark-operator=true",
    "spark.kubernetes.driver.label.sparkoperator.k8s.io/submission-id=sub-1",
    "spark.kubernetes.driver.container.image=docker.io/apache/spark:4.0.4",
    "spark.driver.cores=1",
    "spark.driver.memory=512m",
    "spark.kubernetes.authenticate.driver.serviceAccountName=spark-operator-spark",
    "spark.kubernetes.driver.label.version=4.0.0",
    "spark.kubernetes.executor.label.sparkoperator.k8s.io/app-name=spark-pi",
    "spark.kubernetes.executor.label.sparkoperator.k8s.io/launched-by-spark-operator=true",
    "spark.kubernetes.executor.label.sparkoperator.k8s.io/mutated-by-spark-operator=true",
    "spark.kubernetes.executor.label.sparkoperator.k8s.io/submission-id=sub-1",
    "spark.executor.instances=1",
    "spark.kubernetes.executor.container.image=docker.io/apache/spark:4.0.4",
    "spark.executor.cores=1",
    "spark.executor.memory=512m",
    "spark.kubernetes.executor.label.version=4.0.0",
};

static void assert_spark_pi(const json_t *app)
{
    struct spark_submission *s = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_app_to_submission(app, "sub-1", &s, &err), 0);
    for (size_t i = 0; i < SLU_ARRAY_LEN(spark_pi_conf); i++) {
        const char *eq = strchr(spark_pi_conf[i], '=');
        char *k = slu_strndup(spark_pi_conf[i], (size_t)(eq - spark_pi_conf[i]));
        if (!slu_streq(spark_conf_get(s->conf, k), eq + 1))
            fail_msg("spark-pi: %s = %s, want %s", k,
                     spark_conf_get(s->conf, k) ? spark_conf_get(s->conf, k) : "<absent>", eq + 1);
        free(k);
    }
    if (spark_conf_len(s->conf) != SLU_ARRAY_LEN(spark_pi_conf)) {
        for (size_t i = 0; i < spark_conf_len(s->conf); i++)
            print_message("  %s=%s\n", spark_conf_key_at(s->conf, i),
                          spark_conf_value_at(s->conf, i));
        fail_msg("spark-pi: %zu conf entries, want %zu", spark_conf_len(s->conf),
                 SLU_ARRAY_LEN(spark_pi_conf));
    }
    /* the operator's order: deploy mode and name first, executor confs after the driver's */
    assert_string_equal(spark_conf_key_at(s->conf, 0), "spark.submit.deployMode");
    assert_string_equal(spark_conf_key_at(s->conf, 1), "spark.app.name");
    assert_string_equal(s->main_class, "org.apache.spark.examples.SparkPi");
    assert_string_equal(s->primary_resource, "local:///opt/spark/examples/jars/spark-examples.jar");
    assert_int_equal(s->nargs, 1);
    assert_string_equal(s->args[0], "5000");
    assert_null(s->proxy_user);
    assert_string_equal(s->app_type, "Scala");
    assert_string_equal(spark_app_rules_version(s->spark_version), "4.0");
    /* the webhook fields: securityContext travels in the extras */
    assert_int_equal(slu_json_int(s->driver_extras, "securityContext.runAsUser", 0), 185);
    assert_int_equal(slu_json_int(s->executor_extras, "securityContext.runAsGroup", 0), 185);
    spark_submission_free(s);
}

/* Every example SparkApplication of the Kubeflow operator converts (read in place). */
static void test_reference_examples(void **state)
{
    (void)state;
    char *dir =
        slu_asprintf("%s/reference/kubeflow-spark-operator/examples", slu_test_shared_dir());
    const char *names[] = {
        "spark-pi.yaml",
        "spark-pi-configmap.yaml",
        "spark-pi-custom-resource.yaml",
        "spark-pi-dynamic-allocation.yaml",
        "spark-pi-emptydir.yaml",
        "spark-pi-kube-scheduler.yaml",
        "spark-pi-pod-template.yaml",
        "spark-pi-prometheus-servlet.yaml",
        "spark-pi-prometheus.yaml",
        "spark-pi-python.yaml",
        "spark-pi-scheduled.yaml",
        "spark-pi-ttl.yaml",
        "spark-pi-volcano.yaml",
        "spark-pi-yunikorn.yaml",
    };
    size_t converted = 0;
    for (size_t i = 0; i < SLU_ARRAY_LEN(names); i++) {
        char *path = slu_asprintf("%s/%s", dir, names[i]);
        json_t *docs = NULL;
        struct slu_err err = {0};
        if (slu_yaml_load_file(path, NULL, &docs, &err) != 0) {
            /* absent shared dir, or spark-pi-prometheus.yaml ("image: {IMAGE_REGISTRY}/..." is
             * not valid YAML upstream) */
            print_message("SKIP %s: %s\n", names[i], err.msg);
            if (strcmp(names[i], "spark-pi-prometheus.yaml") != 0 && access(dir, F_OK) == 0)
                fail_msg("%s does not load: %s", names[i], err.msg);
            slu_err_release(&err);
            free(path);
            continue;
        }
        json_t *app = NULL;
        for (size_t d = 0; d < json_array_size(docs); d++) {
            json_t *doc = json_array_get(docs, d);
            const char *kind = slu_json_str(doc, "kind");
            if (slu_streq(kind, "SparkApplication"))
                app = json_incref(doc);
            else if (slu_streq(kind, "ScheduledSparkApplication")) {
                /* a run is a SparkApplication with the template as its spec */
                app = json_pack("{s:s,s:s,s:O,s:O}", "apiVersion", "sparkoperator.k8s.io/v1beta2",
                                "kind", "SparkApplication", "metadata",
                                json_object_get(doc, "metadata"), "spec",
                                slu_json_path(doc, "spec.template"));
            }
        }
        assert_non_null(app);
        struct spark_submission *s = NULL;
        if (spark_app_to_submission(app, "id", &s, &err) != 0)
            fail_msg("%s: %s", names[i], err.msg);
        assert_non_null(spark_conf_get(s->conf, "spark.kubernetes.container.image"));
        assert_string_equal(s->app_name, slu_json_str(app, "metadata.name"));
        assert_round_trip(s, names[i]);
        if (strcmp(names[i], "spark-pi.yaml") == 0)
            assert_spark_pi(app);
        if (strcmp(names[i], "spark-pi-pod-template.yaml") == 0) {
            assert_non_null(s->driver_template);
            assert_non_null(spark_conf_get(s->conf, "spark.kubernetes.driver.podTemplateFile"));
        }
        if (strcmp(names[i], "spark-pi-dynamic-allocation.yaml") == 0)
            assert_string_equal(spark_conf_get(s->conf, "spark.dynamicAllocation.enabled"), "true");
        if (strcmp(names[i], "spark-pi-volcano.yaml") == 0)
            assert_string_equal(slu_json_str(s->driver_extras, "schedulerName"), "volcano");
        converted++;
        spark_submission_free(s);
        json_decref(app);
        json_decref(docs);
        free(path);
    }
    print_message("%zu reference examples converted\n", converted);
    free(dir);
}

/* spark-pi-prometheus.yaml with its image placeholder quoted: the conf side of monitoring and
 * the <app>-prom-conf ConfigMap. */
static void test_prometheus(void **state)
{
    (void)state;
    json_t *app =
        load_yaml("metadata: {name: spark-pi, namespace: default, uid: u1}\n"
                  "spec:\n  type: Scala\n  sparkVersion: 4.0.4\n"
                  "  image: 'reg/spark:4.0.4-gcs-prometheus'\n"
                  "  mainApplicationFile: local:///x.jar\n"
                  "  driver: {cores: 1, memory: 512m}\n"
                  "  executor: {cores: 1, instances: 1, memory: 512m}\n"
                  "  monitoring:\n    exposeDriverMetrics: true\n"
                  "    exposeExecutorMetrics: true\n    prometheus:\n"
                  "      jmxExporterJar: /prometheus/jmx_prometheus_javaagent-0.11.0.jar\n"
                  "      port: 8090\n");
    struct spark_submission *s = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_app_to_submission(app, "id", &s, &err), 0);
    const char *agent =
        "-javaagent:/prometheus/jmx_prometheus_javaagent-0.11.0.jar=8090:/etc/metrics/conf/"
        "prometheus.yaml";
    assert_string_equal(spark_conf_get(s->conf, "spark.driver.extraJavaOptions"), agent);
    assert_string_equal(spark_conf_get(s->conf, "spark.executor.extraJavaOptions"), agent);
    assert_string_equal(spark_conf_get(s->conf, "spark.metrics.namespace"), "default.spark-pi");
    assert_string_equal(spark_conf_get(s->conf, "spark.metrics.conf"),
                        "/etc/metrics/conf/metrics.properties");
    assert_string_equal(
        spark_conf_get(s->conf, "spark.kubernetes.executor.annotation.prometheus.io/scrape"),
        "true");
    /* the webhook part, made explicit: ConfigMap volume, mount and port on both pods */
    assert_string_equal(slu_json_str(s->app_volumes, "[0].configMap.name"), "spark-pi-prom-conf");
    assert_string_equal(slu_json_str(s->executor_extras, "volumeMounts[0].mountPath"),
                        "/etc/metrics/conf");
    assert_int_equal(slu_json_int(s->executor_extras, "ports[0].containerPort", 0), 8090);
    assert_round_trip(s, "prometheus");
    spark_submission_free(s);

    json_t *cm = NULL;
    assert_int_equal(spark_app_prometheus_configmap(app, &cm, &err), 0);
    assert_non_null(cm);
    assert_string_equal(slu_json_str(cm, "metadata.name"), "spark-pi-prom-conf");
    assert_string_equal(slu_json_str(cm, "metadata.ownerReferences[0].uid"), "u1");
    assert_non_null(strstr(slu_json_str(cm, "data.metrics\\.properties"), "JmxSink"));
    assert_non_null(strstr(slu_json_str(cm, "data.prometheus\\.yaml"), "rules:"));
    json_decref(cm);
    /* both files in the image: no ConfigMap, no mount */
    slu_json_set_str(app, "spec.monitoring.metricsPropertiesFile", "/m.properties");
    slu_json_set_str(app, "spec.monitoring.prometheus.configFile", "/p.yaml");
    slu_json_set_str(app, "spec.monitoring.prometheus.configuration", "ignored");
    assert_int_equal(spark_app_prometheus_configmap(app, &cm, &err), 0);
    assert_null(cm);
    /* only the config file: the ConfigMap has metrics.properties only... */
    slu_json_del(app, "spec.monitoring.metricsPropertiesFile");
    slu_json_set_str(app, "spec.monitoring.metricsProperties", "*.sink.x=y");
    assert_int_equal(spark_app_prometheus_configmap(app, &cm, &err), 0);
    assert_string_equal(slu_json_str(cm, "data.metrics\\.properties"), "*.sink.x=y");
    assert_null(slu_json_path(cm, "data.prometheus\\.yaml"));
    json_decref(cm);
    /* ...and no monitoring at all: none */
    slu_json_del(app, "spec.monitoring");
    assert_int_equal(spark_app_prometheus_configmap(app, &cm, &err), 0);
    assert_null(cm);
    json_decref(app);
}

/* mode: client is valid in the CRD but sluice runs drivers in pods only. */
static void test_client_mode(void **state)
{
    (void)state;
    json_t *app = load_yaml(minimal);
    slu_json_set_str(app, "spec.mode", "client");
    struct slu_err err = {0};
    assert_int_equal(spark_app_validate(app, &err), 0);
    struct spark_submission *s = NULL;
    assert_int_equal(spark_app_to_submission(app, NULL, &s, &err), SLU_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.msg, "spec.mode"));
    slu_err_release(&err);
    json_decref(app);
}

/* from_conf: a local pod template file is read into the spec; operator-set keys are dropped;
 * secrets and secretKeyRefs come back as fields. */
static void test_from_conf_fields(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/sluice-test-tmpl-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    const char *text = "apiVersion: v1\nkind: Pod\nmetadata: {labels: {t: x}}\nspec:\n"
                       "  containers: [{name: c0}]\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.app.name", "x");
    spark_conf_set(c, "spark.master", "k8s://https://k:6443");
    spark_conf_set(c, "spark.kubernetes.driver.podTemplateFile", tmpl);
    spark_conf_set(c, "spark.kubernetes.driver.podTemplateContainerName", "c0");
    spark_conf_set(c, "spark.kubernetes.driver.secretKeyRef.PW", "db:pass");
    spark_conf_set(c, "spark.kubernetes.executor.secrets.s1", "/mnt/s1");
    spark_conf_set(c, "spark.kubernetes.driver.label." SPARK_LABEL_SUBMISSION_ID, "old");
    spark_conf_set(c, "spark.kubernetes.submission.waitAppCompletion", "true");
    spark_conf_set(c, "spark.executor.cores", "1.5"); /* not an int32: stays in sparkConf */
    spark_conf_set(c, "spark.kubernetes.driver.master", "https://k:6443");
    spark_conf_set(c, "spark.dynamicAllocation.minExecutors", "2"); /* DA off: sparkConf */
    spark_conf_set(c, "spark.kubernetes.pyspark.pythonVersion", "3");
    json_t *app = NULL;
    struct slu_err err = {0};
    assert_int_equal(
        spark_app_from_conf(c, NULL, "local:///a.py", NULL, 0, NULL, NULL, NULL, &app, &err), 0);
    unlink(tmpl);
    assert_string_equal(slu_json_str(app, "spec.type"), "Python");
    assert_string_equal(slu_json_str(app, "spec.pythonVersion"), "3");
    assert_string_equal(slu_json_str(app, "spec.driver.template.metadata.labels.t"), "x");
    json_t *sc = slu_json_path(app, "spec.sparkConf");
    assert_string_equal(
        json_string_value(json_object_get(sc, "spark.kubernetes.driver.podTemplateContainerName")),
        "c0");
    assert_null(json_object_get(sc, "spark.kubernetes.driver.podTemplateFile"));
    assert_null(json_object_get(sc, "spark.master"));
    /* kept: it is not the operator's "false" */
    assert_string_equal(
        json_string_value(json_object_get(sc, "spark.kubernetes.submission.waitAppCompletion")),
        "true");
    assert_string_equal(json_string_value(json_object_get(sc, "spark.executor.cores")), "1.5");
    assert_string_equal(
        json_string_value(json_object_get(sc, "spark.dynamicAllocation.minExecutors")), "2");
    assert_null(slu_json_path(app, "spec.dynamicAllocation"));
    assert_string_equal(slu_json_str(app, "spec.driver.envSecretKeyRefs.PW.key"), "pass");
    assert_string_equal(slu_json_str(app, "spec.executor.secrets[0].path"), "/mnt/s1");
    assert_string_equal(slu_json_str(app, "spec.driver.kubernetesMaster"), "https://k:6443");
    assert_null(slu_json_path(app, "spec.driver.labels"));
    assert_string_equal(slu_json_str(app, "spec.restartPolicy.type"), "Never");
    json_decref(app);
    /* a template that cannot be read is an error naming the key */
    spark_conf_set(c, "spark.kubernetes.driver.podTemplateFile", "/nonexistent/t.yaml");
    assert_int_equal(spark_app_from_conf(c, NULL, "a.jar", NULL, 0, NULL, NULL, NULL, &app, &err),
                     SLU_ENOTFOUND);
    assert_non_null(strstr(err.msg, "spark.kubernetes.driver.podTemplateFile"));
    slu_err_release(&err);
    spark_conf_free(c);
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
        cmocka_unit_test(test_prometheus),
        cmocka_unit_test(test_client_mode),
        cmocka_unit_test(test_from_conf_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
