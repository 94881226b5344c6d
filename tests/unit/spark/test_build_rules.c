/*
 * test_build_rules.c - one test per rule of spec spark-objects.md 2-11 that the golden files
 * (test_build.c) do not pin down: naming and sanitising, memory and CPU arithmetic for 3.5 and
 * 4.0, ports, errors Spark raises, Python/R specifics, local dirs, credentials, Hadoop/Kerberos
 * volumes, conf dir files, policy, executor env details, executor ConfigMap and PVCs. Expected
 * values come from the spec's text, not from running the code.
 */
#include "build_golden.h"

#define APP "spark-0123456789abcdef0123456789abcdef"

struct tb {
    struct spark_conf *conf;
    struct spark_build_input in;
    json_t *objects;
    struct spark_conf *props;
    struct slu_err err;
    struct spark_policy policy;
};

static void tb_init(struct tb *t, const char *app_name)
{
    memset(t, 0, sizeof(*t));
    t->conf = spark_conf_new();
    if (app_name)
        spark_conf_set(t->conf, "spark.app.name", app_name);
    spark_conf_set(t->conf, "spark.kubernetes.container.image", "img:1");
    t->in.conf = t->conf;
    t->in.spark_version = "4.0.0";
    t->in.main_class = "com.example.Main";
    t->in.primary_resource = "local:///opt/app.jar";
    t->in.unique_id = "1a2b3c941f297c00";
    t->in.conf_map_id = "5e6f7a941f297c00";
    t->in.app_id = APP;
    t->in.spark_user = "alice";
    t->in.local_dir_uuid = "uuid-1";
    t->in.now_ms = 1735689600000;
}

static void set(struct tb *t, const char *k, const char *v)
{
    spark_conf_set(t->conf, k, v);
}

/* Builds; returns the rc. On success the properties are parsed into t->props. */
static int tb_build(struct tb *t)
{
    json_decref(t->objects);
    t->objects = NULL;
    spark_conf_free(t->props);
    t->props = NULL;
    slu_err_release(&t->err);
    int rc = spark_build(&t->in, &t->objects, NULL, &t->err);
    if (rc == 0) {
        json_t *expect = json_object();
        t->props = bg_check_properties(t->objects, expect);
        json_decref(expect);
    }
    return rc;
}

static void tb_ok(struct tb *t)
{
    int rc = tb_build(t);
    if (rc)
        print_error("spark_build: %s\n", t->err.msg);
    assert_int_equal(rc, 0);
}

static void tb_fails(struct tb *t, int code, const char *needle)
{
    int rc = tb_build(t);
    assert_int_equal(rc, code);
    if (!strstr(t->err.msg, needle)) {
        print_error("error [%s] lacks [%s]\n", t->err.msg, needle);
        fail();
    }
}

static void tb_release(struct tb *t)
{
    json_decref(t->objects);
    spark_conf_free(t->props);
    spark_conf_free(t->conf);
    slu_err_release(&t->err);
}

static json_t *pod(struct tb *t)
{
    return json_array_get(t->objects, 0);
}

static json_t *spark_ct(struct tb *t)
{
    json_t *cs = slu_json_path(pod(t), "spec.containers");
    return json_array_get(cs, json_array_size(cs) - 1);
}

static const char *str(const json_t *root, const char *path)
{
    const char *s = slu_json_str(root, path);
    if (!s) {
        print_error("no string at %s\n", path);
        fail();
    }
    return s;
}

static const char *env_of(const json_t *ct, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ct, "env"), i, e)
    {
        if (!strcmp(bg_s(e, "name"), name))
            return bg_s(e, "value") ? bg_s(e, "value") : "<valueFrom>";
    }
    return NULL;
}

static const json_t *named(const json_t *arr, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (bg_s(e, "name") && !strcmp(bg_s(e, "name"), name))
            return e;
    }
    return NULL;
}

static const char *prop(struct tb *t, const char *k)
{
    return spark_conf_get(t->props, k);
}

/* Builds executor 1 from the driver's view of the conf. */
static json_t *exec_pod(struct tb *t, const char *version)
{
    struct spark_conf *rt = spark_conf_copy(t->props);
    struct slu_err err = {0};
    assert_int_equal(spark_driver_runtime_init(rt, "10.1.2.3", "7a8b9c941f297c00", 1, &err), 0);
    json_t *driver = json_deep_copy(pod(t));
    json_object_set_new(json_object_get(driver, "metadata"), "uid", json_string("u1"));
    json_t *p = NULL;
    int rc = spark_build_executor_pod(rt, version, driver, 1, NULL, &p, &err);
    if (rc)
        print_error("executor: %s\n", err.msg);
    assert_int_equal(rc, 0);
    json_decref(driver);
    spark_conf_free(rt);
    return p;
}

/* ---------------------------------------------------------------- names */

static void unique_id_format(void **s)
{
    (void)s;
    char buf[32];
    const unsigned char b[3] = {0x1a, 0x2b, 0x3c};
    spark_unique_id(b, 1735689600000, buf, sizeof(buf));
    assert_string_equal(buf, "1a2b3c941f297c00");
    spark_unique_id(b, 5, buf, sizeof(buf)); /* not zero-padded */
    assert_string_equal(buf, "1a2b3c5");
    spark_unique_id(b, 0x123456789ABCDEFLL, buf, sizeof(buf)); /* & 0xFFFFFFFFFF */
    assert_string_equal(buf, "1a2b3c6789abcdef");
    spark_unique_id(NULL, 1735689600000, buf, sizeof(buf));
    assert_int_equal(strlen(buf), 16);
}

static void prefix_sanitising(void **s)
{
    (void)s;
    struct {
        const char *in, *want;
    } cases[] = {
        {"123 My_App.v2", "x23-my-app-v2-id"},
        {"  Hello  World!! ", "hello-world-id"},
        {"-lead", "lead-id"},
        {"--x", "x-id"},
        {"\xc3\x84"
         "B",
         "b-id"}, /* non-ASCII is an offending char */
        {"9", "x-id"},
        {"Spark", "spark-id"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        char *p = spark_resource_name_prefix(cases[i].in, "id");
        assert_string_equal(p, cases[i].want);
        free(p);
    }
    /* not truncated */
    char longname[121];
    memset(longname, 'a', 120);
    longname[120] = '\0';
    char *p = spark_resource_name_prefix(longname, "id");
    assert_int_equal(strlen(p), 123);
    free(p);
}

static void app_name_label(void **s)
{
    (void)s;
    char *l = spark_app_name_label("123 My_App.v2");
    assert_string_equal(l, "123-my-app-v2"); /* leading digit kept */
    free(l);
    l = spark_app_name_label("-abc-");
    assert_string_equal(l, "abc");
    free(l);
    char n[80];
    memset(n, 'a', 70);
    n[70] = '\0';
    l = spark_app_name_label(n);
    assert_int_equal(strlen(l), 63);
    free(l);
    memset(n, 'a', 62);
    memcpy(n + 62, "-bc", 4); /* cut at 63 leaves a trailing '-' that is stripped */
    l = spark_app_name_label(n);
    assert_int_equal(strlen(l), 62);
    assert_int_equal(l[61], 'a');
    free(l);
}

static void executor_hostname(void **s)
{
    (void)s;
    char *h = spark_executor_hostname("app-exec-1");
    assert_string_equal(h, "app-exec-1");
    free(h);
    char n[100];
    memset(n, 'a', 70);
    strcpy(n + 70, "-exec-12");
    h = spark_executor_hostname(n);
    assert_int_equal(strlen(h), 63);
    assert_true(slu_str_has_suffix(h, "-exec-12"));
    free(h);
    h = spark_executor_hostname("--a.b..c");
    assert_string_equal(h, "a_b_c");
    free(h);
}

static void long_name_service_fallback(void **s)
{
    (void)s;
    struct tb t;
    char name[61];
    memset(name, 'a', 60);
    name[60] = '\0';
    tb_init(&t, name);
    t.in.service_id = "0f0e0d941f297c00";
    tb_ok(&t);
    const char *pn = str(pod(&t), "metadata.name");
    assert_int_equal(strlen(pn), 84);
    json_t *svc = bg_find(t.objects, "Service", NULL);
    assert_string_equal(str(svc, "metadata.name"), "spark-0f0e0d941f297c00-driver-svc");
    assert_string_equal(prop(&t, "spark.driver.host"),
                        "spark-0f0e0d941f297c00-driver-svc.default.svc");
    char lab[61];
    memcpy(lab, name, 61);
    assert_string_equal(str(pod(&t), "metadata.labels.spark-app-name"), lab);
    tb_release(&t);
}

static void service_name_63_boundary(void **s)
{
    (void)s;
    /* prefix = name + "-" + 16 chars; "<prefix>-driver-svc" is 63 when name is 35 chars */
    for (int len = 35; len <= 36; len++) {
        struct tb t;
        char name[40];
        memset(name, 'b', (size_t)len);
        name[len] = '\0';
        tb_init(&t, name);
        tb_ok(&t);
        const char *sn = str(bg_find(t.objects, "Service", NULL), "metadata.name");
        if (len == 35) {
            assert_int_equal(strlen(sn), 63);
            assert_true(slu_str_has_prefix(sn, "bbb"));
        } else {
            assert_string_equal(sn, "spark-1a2b3c941f297c00-driver-svc");
        }
        tb_release(&t);
    }
}

static void pod_name_override_and_default_app_name(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, NULL);
    t.in.main_class = "org.apache.spark.examples.SparkPi";
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "metadata.name"),
                        "org-apache-spark-examples-sparkpi-1a2b3c941f297c00-driver");
    assert_string_equal(prop(&t, "spark.app.name"), "org.apache.spark.examples.SparkPi");
    set(&t, "spark.kubernetes.driver.pod.name", "my-driver");
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "metadata.name"), "my-driver");
    assert_string_equal(prop(&t, "spark.kubernetes.driver.pod.name"), "my-driver");
    tb_release(&t);

    tb_init(&t, NULL); /* Python without --name: the file name */
    t.in.main_class = NULL;
    t.in.primary_resource = "local:///opt/pi.py";
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.app.name"), "pi.py");
    assert_string_equal(str(pod(&t), "metadata.name"), "pi-py-1a2b3c941f297c00-driver");
    tb_release(&t);
}

/* ---------------------------------------------------------------- memory and CPU */

static void mem_total(struct tb *t, const char *want_req)
{
    tb_ok(t);
    assert_string_equal(str(spark_ct(t), "resources.requests.memory"), want_req);
    assert_string_equal(str(spark_ct(t), "resources.limits.memory"), want_req);
}

static void driver_memory_variants(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "py");
    t.in.primary_resource = "local:///opt/pi.py";
    set(&t, "spark.driver.memory", "4g");
    mem_total(&t, "5734Mi"); /* 4096 + (int)(0.4 * 4096) */
    set(&t, "spark.driver.memoryOverheadFactor", "0.25");
    mem_total(&t, "5120Mi");
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "0.4");
    spark_conf_unset(t.conf, "spark.driver.memoryOverheadFactor");
    set(&t, "spark.driver.memoryOverhead", "1g");
    mem_total(&t, "5120Mi");
    spark_conf_unset(t.conf, "spark.driver.memoryOverhead");
    set(&t, "spark.kubernetes.memoryOverheadFactor", "0.2"); /* explicit factor for non-JVM */
    mem_total(&t, "4915Mi");
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "0.2");
    set(&t, "spark.driver.memory", "1500m");
    mem_total(&t, "1884Mi"); /* max(300, 384) */
    set(&t, "spark.driver.memory", "1.5g");
    tb_fails(&t, SLU_EINVAL, "spark.driver.memory");
    tb_release(&t);
}

static void min_overhead_35_vs_40(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "m");
    set(&t, "spark.driver.minMemoryOverhead", "500m");
    mem_total(&t, "1524Mi");
    t.in.spark_version = "3.5.1";
    mem_total(&t, "1408Mi");
    tb_release(&t);
}

static void executor_memory_parts(void **s)
{
    (void)s;
    struct spark_conf *c = spark_conf_new();
    struct spark_memory m;
    struct slu_err err = {0};
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), 0);
    assert_int_equal(m.total, 1408);
    spark_conf_set(c, "spark.executor.memory", "8g");
    spark_conf_set(c, "spark.kubernetes.memoryOverheadFactor", "0.4");
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), 0);
    assert_int_equal(m.overhead, 3276);
    spark_conf_set(c, "spark.executor.memoryOverheadFactor", "0.1");
    spark_conf_set(c, "spark.memory.offHeap.enabled", "true");
    spark_conf_set(c, "spark.memory.offHeap.size", "1g");
    spark_conf_set(c, "spark.executor.pyspark.memory", "512m");
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), 0);
    assert_int_equal(m.total, 8192 + 819 + 1024); /* pyspark only for python apps */
    spark_conf_set(c, "spark.kubernetes.resource.type", "python");
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), 0);
    assert_int_equal(m.total, 8192 + 819 + 1024 + 512);
    spark_conf_set(c, "spark.executor.minMemoryOverhead", "2g");
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), 0);
    assert_int_equal(m.overhead, 2048);
    assert_int_equal(spark_executor_memory(c, "3.5", &m, &err), 0);
    assert_int_equal(m.overhead, 819);
    spark_conf_set(c, "spark.executor.memoryOverheadFactor", "0");
    assert_int_equal(spark_executor_memory(c, "4.0", &m, &err), SLU_EINVAL);
    slu_err_release(&err);
    spark_conf_free(c);
}

static void driver_cpu(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "c");
    set(&t, "spark.driver.cores", "2");
    tb_ok(&t);
    assert_string_equal(str(spark_ct(&t), "resources.requests.cpu"), "2");
    assert_null(slu_json_path(spark_ct(&t), "resources.limits.cpu"));
    set(&t, "spark.kubernetes.driver.request.cores", "0.1");
    set(&t, "spark.kubernetes.driver.limit.cores", "2");
    tb_ok(&t);
    assert_string_equal(str(spark_ct(&t), "resources.requests.cpu"), "0.1");
    assert_string_equal(str(spark_ct(&t), "resources.limits.cpu"), "2");
    set(&t, "spark.driver.cores", "0.5");
    tb_fails(&t, SLU_EINVAL, "spark.driver.cores");
    tb_release(&t);
}

static void custom_resources(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "gpu");
    set(&t, "spark.driver.resource.gpu.amount", "1");
    set(&t, "spark.driver.resource.gpu.vendor", "nvidia.com");
    tb_ok(&t);
    assert_string_equal(str(spark_ct(&t), "resources.limits.nvidia\\.com/gpu"), "1");
    spark_conf_unset(t.conf, "spark.driver.resource.gpu.vendor");
    tb_fails(&t, SLU_EINVAL, "vendor was not specified");
    tb_release(&t);
}

static void double_to_string(void **s)
{
    (void)s;
    struct spark_conf *c = spark_conf_new();
    struct spark_memory m;
    struct slu_err err = {0};
    spark_conf_set(c, "spark.kubernetes.memoryOverheadFactor", "1");
    assert_int_equal(spark_driver_memory(c, NULL, SPARK_APP_JAVA, &m, &err), 0);
    assert_true(m.default_factor == 1.0);
    spark_conf_free(c);
    struct tb t;
    tb_init(&t, "d");
    set(&t, "spark.kubernetes.memoryOverheadFactor", "1");
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "1.0");
    set(&t, "spark.kubernetes.memoryOverheadFactor", "0.25");
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "0.25");
    set(&t, "spark.kubernetes.memoryOverheadFactor", "0.10");
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "0.1");
    tb_release(&t);
}

/* ---------------------------------------------------------------- ports, errors */

static void ports_and_blockmanager_quirk(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "p");
    set(&t, "spark.driver.port", "7000");
    set(&t, "spark.blockManager.port", "7100");
    set(&t, "spark.ui.port", "4041");
    tb_ok(&t);
    json_t *ports = json_object_get(spark_ct(&t), "ports");
    assert_int_equal(
        json_integer_value(json_object_get(named(ports, "driver-rpc-port"), "containerPort")),
        7000);
    assert_int_equal(
        json_integer_value(json_object_get(named(ports, "blockmanager"), "containerPort")), 7100);
    assert_int_equal(json_integer_value(json_object_get(named(ports, "spark-ui"), "containerPort")),
                     4041);
    json_t *svc = bg_find(t.objects, "Service", NULL);
    json_t *sp = slu_json_path(svc, "spec.ports");
    assert_int_equal(json_integer_value(json_object_get(named(sp, "blockmanager"), "port")), 7079);
    assert_int_equal(json_integer_value(json_object_get(named(sp, "driver-rpc-port"), "port")),
                     7000);
    assert_string_equal(prop(&t, "spark.driver.blockManager.port"), "7079");
    assert_string_equal(prop(&t, "spark.driver.port"), "7000");
    set(&t, "spark.driver.blockManager.port", "7200");
    tb_ok(&t);
    ports = json_object_get(spark_ct(&t), "ports");
    assert_int_equal(
        json_integer_value(json_object_get(named(ports, "blockmanager"), "containerPort")), 7200);
    set(&t, "spark.driver.port", "x");
    tb_fails(&t, SLU_EINVAL, "spark.driver.port");
    tb_release(&t);
}

static void image_and_pull_policy(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "i");
    set(&t, "spark.kubernetes.driver.container.image", "drv:2");
    set(&t, "spark.kubernetes.container.image.pullPolicy", "Always");
    tb_ok(&t);
    assert_string_equal(str(spark_ct(&t), "image"), "drv:2");
    assert_string_equal(str(spark_ct(&t), "imagePullPolicy"), "Always");
    set(&t, "spark.kubernetes.container.image.pullPolicy", "always");
    tb_fails(&t, SLU_EINVAL, "pullPolicy");
    spark_conf_unset(t.conf, "spark.kubernetes.container.image.pullPolicy");
    spark_conf_unset(t.conf, "spark.kubernetes.driver.container.image");
    spark_conf_unset(t.conf, "spark.kubernetes.container.image");
    tb_fails(&t, SLU_EINVAL, "Must specify the driver container image");
    tb_release(&t);
}

static void labels_reserved_and_substituted(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "l");
    set(&t, "spark.kubernetes.driver.label.app", "x-{{APP_ID}}");
    set(&t, "spark.kubernetes.driver.annotation.a", "{{APP_ID}}");
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "metadata.labels.app"), "x-" APP);
    assert_string_equal(str(pod(&t), "metadata.annotations.a"), APP);
    t.in.spark_version = "3.5.0";
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "metadata.labels.app"), "x-{{APP_ID}}");
    assert_string_equal(str(pod(&t), "metadata.labels.spark-version"), "3.5.0");
    t.in.spark_version = "3.5"; /* "X.Y" is completed */
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "metadata.labels.spark-version"), "3.5.0");
    set(&t, "spark.kubernetes.driver.label.spark-role", "x");
    tb_fails(&t, SLU_EINVAL, "reserved");
    tb_release(&t);
}

static void submit_side_effects(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "e");
    set(&t, "spark.driver.host", "1.2.3.4");
    set(&t, "spark.app.submitTime", "42");
    set(&t, "spark.jars", "local:///a.jar");
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.driver.host"), "e-1a2b3c941f297c00-driver-svc.default.svc");
    assert_string_equal(prop(&t, "spark.app.submitTime"), "42");
    assert_string_equal(prop(&t, "spark.jars"), "local:///a.jar,local:///opt/app.jar");
    assert_string_equal(prop(&t, "spark.submit.deployMode"), "cluster");
    assert_string_equal(prop(&t, "spark.submit.pyFiles"), "");
    /* the primary jar is not appended twice */
    set(&t, "spark.jars", "local:///opt/app.jar");
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.jars"), "local:///opt/app.jar");
    set(&t, "spark.driver.bindAddress", "0.0.0.0");
    tb_fails(&t, SLU_EINVAL, "bind address");
    tb_release(&t);
}

static void local_files_need_upload(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "u");
    t.in.primary_resource = "/home/alice/app.jar";
    tb_fails(&t, SLU_EUNSUPPORTED, "spark.jars");
    t.in.primary_resource = "local:///opt/app.jar";
    set(&t, "spark.files", "s3a://b/x.txt,file:/tmp/y.txt");
    tb_fails(&t, SLU_EUNSUPPORTED, "file:/tmp/y.txt");
    spark_conf_unset(t.conf, "spark.files");
    t.in.primary_resource = "https://host/app.jar"; /* remote: kept in args */
    tb_ok(&t);
    json_t *args = json_object_get(spark_ct(&t), "args");
    assert_string_equal(json_string_value(json_array_get(args, 5)), "https://host/app.jar");
    tb_release(&t);
}

/* ---------------------------------------------------------------- Python, R, args */

static void python_env_resolution(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "py");
    t.in.primary_resource = "gs://b/job.py";
    tb_ok(&t);
    assert_null(env_of(spark_ct(&t), "PYSPARK_PYTHON"));
    t.in.env_pyspark_python = "/usr/bin/python3";
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_PYTHON"), "/usr/bin/python3");
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_DRIVER_PYTHON"), "/usr/bin/python3");
    t.in.env_pyspark_driver_python = "ipython";
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_DRIVER_PYTHON"), "ipython");
    set(&t, "spark.pyspark.python", "python3.11");
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_PYTHON"), "python3.11");
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_DRIVER_PYTHON"), "python3.11");
    set(&t, "spark.pyspark.driver.python", "py-drv");
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "PYSPARK_DRIVER_PYTHON"), "py-drv");
    /* env order: ... BIND_ADDRESS, PYSPARK_PYTHON, PYSPARK_DRIVER_PYTHON, SPARK_LOCAL_DIRS */
    json_t *env = json_object_get(spark_ct(&t), "env");
    assert_string_equal(bg_s(json_array_get(env, 3), "name"), "PYSPARK_PYTHON");
    assert_string_equal(bg_s(json_array_get(env, 4), "name"), "PYSPARK_DRIVER_PYTHON");
    assert_null(prop(&t, "spark.jars"));
    assert_string_equal(prop(&t, "spark.kubernetes.resource.type"), "python");
    t.in.primary_resource = "/home/alice/job.py";
    tb_fails(&t, SLU_EUNSUPPORTED, "job.py");
    tb_release(&t);
}

static void r_app_and_proxy_user(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "r");
    t.in.primary_resource = "local:///opt/job.R";
    t.in.proxy_user = "bob";
    const char *a[] = {"x", "y z"};
    t.in.app_args = a;
    t.in.nargs = 2;
    tb_ok(&t);
    json_t *want = json_pack("[ssssssssss]", "driver", "--proxy-user", "bob", "--properties-file",
                             "/opt/spark/conf/spark.properties", "--class",
                             "org.apache.spark.deploy.RRunner", "local:///opt/job.R", "x", "y z");
    bg_assert_equal(want, json_object_get(spark_ct(&t), "args"), "R args");
    json_decref(want);
    assert_string_equal(prop(&t, "spark.kubernetes.resource.type"), "r");
    assert_string_equal(prop(&t, "spark.kubernetes.memoryOverheadFactor"), "0.4");
    t.in.primary_resource = NULL; /* spark-internal */
    t.in.proxy_user = NULL;
    t.in.nargs = 0;
    tb_ok(&t);
    json_t *args = json_object_get(spark_ct(&t), "args");
    assert_int_equal(json_array_size(args), 6);
    assert_string_equal(json_string_value(json_array_get(args, 5)), "spark-internal");
    t.in.main_class = NULL;
    tb_fails(&t, SLU_EINVAL, "Main class");
    tb_release(&t);
}

/* ---------------------------------------------------------------- env, secrets, volumes */

static void driver_env_order(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "env");
    set(&t, "spark.kubernetes.driverEnv.B", "2");
    set(&t, "spark.kubernetes.driverEnv.A", "1");
    set(&t, "spark.kubernetes.driver.secretKeyRef.PW", "s:k");
    set(&t, "spark.kubernetes.hadoop.configMapName", "hconf");
    set(&t, "spark.kubernetes.kerberos.tokenSecret.name", "tok");
    set(&t, "spark.kubernetes.kerberos.tokenSecret.itemKey", "tk");
    tb_ok(&t);
    const char *want[] = {"SPARK_USER",
                          "SPARK_APPLICATION_ID",
                          "B",
                          "A",
                          "SPARK_DRIVER_BIND_ADDRESS",
                          "PW",
                          "HADOOP_CONF_DIR",
                          "HADOOP_TOKEN_FILE_LOCATION",
                          "SPARK_LOCAL_DIRS",
                          "SPARK_CONF_DIR"};
    json_t *env = json_object_get(spark_ct(&t), "env");
    assert_int_equal(json_array_size(env), SLU_ARRAY_LEN(want));
    for (size_t i = 0; i < SLU_ARRAY_LEN(want); i++)
        assert_string_equal(bg_s(json_array_get(env, i), "name"), want[i]);
    assert_string_equal(env_of(spark_ct(&t), "HADOOP_TOKEN_FILE_LOCATION"),
                        "/mnt/secrets/hadoop-credentials/tk");
    assert_string_equal(prop(&t, "spark.kubernetes.executor.hadoopConfigMapName"), "hconf");
    json_t *vols = slu_json_path(pod(&t), "spec.volumes");
    assert_string_equal(str(named(vols, "hadoop-properties"), "configMap.name"), "hconf");
    assert_string_equal(str(named(vols, "hadoop-secret"), "secret.secretName"), "tok");
    spark_conf_unset(t.conf, "spark.kubernetes.kerberos.tokenSecret.itemKey");
    tb_fails(&t, SLU_EINVAL, "itemKey");
    tb_release(&t);
}

static void krb5_configmap(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "k");
    set(&t, "spark.kubernetes.kerberos.krb5.configMapName", "krb");
    tb_ok(&t);
    json_t *vols = slu_json_path(pod(&t), "spec.volumes");
    assert_string_equal(str(named(vols, "krb5-file"), "configMap.name"), "krb");
    const json_t *m = named(json_object_get(spark_ct(&t), "volumeMounts"), "krb5-file");
    assert_string_equal(bg_s(m, "mountPath"), "/etc/krb5.conf");
    assert_string_equal(bg_s(m, "subPath"), "krb5.conf");
    set(&t, "spark.kubernetes.kerberos.krb5.path", "/etc/krb5.conf");
    tb_fails(&t, SLU_EUNSUPPORTED, "krb5.path");
    tb_release(&t);
}

static void secret_key_ref_format(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "s");
    set(&t, "spark.kubernetes.driver.secretKeyRef.X", "name:key:"); /* trailing empty dropped */
    tb_ok(&t);
    set(&t, "spark.kubernetes.driver.secretKeyRef.X", "name");
    tb_fails(&t, SLU_EINVAL, "name:key");
    set(&t, "spark.kubernetes.driver.secretKeyRef.X", "a:b:c");
    tb_fails(&t, SLU_EINVAL, "name:key");
    tb_release(&t);
}

static void volume_errors(void **s)
{
    (void)s;
    const char *V = "spark.kubernetes.driver.volumes.";
    struct {
        const char *k1, *v1, *k2, *v2, *ver, *needle;
    } cases[] = {
        {"hostPath.a.options.path", "/x", NULL, NULL, "4.0.0", "mount.path"},
        {"gcs.a.mount.path", "/x", NULL, NULL, "4.0.0", "not supported"},
        {"hostPath.a.mount.path", "/x", NULL, NULL, "4.0.0", "options.path"},
        {"emptyDir.a.mount.path", "/x", "emptyDir.a.options.sizeLimit", "500", "4.0.0",
         "smaller than 1KiB"},
        {"emptyDir.a.mount.path", "/x", "emptyDir.a.mount.readOnly", "yes", "4.0.0", "readOnly"},
        {"emptyDir.a.mount.path", "/x", "emptyDir.b.mount.path", "/x", "4.0.0",
         "duplicated mountPath"},
        {"nfs.a.mount.path", "/x", "nfs.a.options.path", "/e", "4.0.0", "options.server"},
        {"persistentVolumeClaim.a.mount.path", "/x", NULL, NULL, "4.0.0", "claimName"},
        {"emptyDir.a.mount.subPath", "s", "emptyDir.a.mount.subPathExpr", "e", "4.0.0",
         "mutually exclusive"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct tb t;
        tb_init(&t, "v");
        t.in.spark_version = cases[i].ver;
        char *k = slu_asprintf("%s%s", V, cases[i].k1);
        set(&t, k, cases[i].v1);
        free(k);
        if (cases[i].k2) {
            k = slu_asprintf("%s%s", V, cases[i].k2);
            set(&t, k, cases[i].v2);
            free(k);
        }
        if (strstr(cases[i].needle, "mutually"))
            set(&t, "spark.kubernetes.driver.volumes.emptyDir.a.mount.path", "/m");
        tb_fails(&t, SLU_EINVAL, cases[i].needle);
        tb_release(&t);
    }
    /* 3.5 has no sizeLimit check; executor volumes are checked at submission too */
    struct tb t;
    tb_init(&t, "v");
    t.in.spark_version = "3.5.0";
    set(&t, "spark.kubernetes.driver.volumes.emptyDir.a.mount.path", "/x");
    set(&t, "spark.kubernetes.driver.volumes.emptyDir.a.options.sizeLimit", "500");
    tb_ok(&t);
    set(&t, "spark.kubernetes.executor.volumes.bogus.a.mount.path", "/x");
    tb_fails(&t, SLU_EINVAL, "not supported");
    tb_release(&t);
}

static void on_demand_claims(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "od");
    const char *V = "spark.kubernetes.driver.volumes.persistentVolumeClaim.";
    char k[160];
    snprintf(k, sizeof(k), "%sfirst.mount.path", V);
    set(&t, k, "/a");
    snprintf(k, sizeof(k), "%sfirst.options.claimName", V);
    set(&t, k, "pvc-SPARK_EXECUTOR_ID");
    snprintf(k, sizeof(k), "%ssecond.mount.path", V);
    set(&t, k, "/b");
    snprintf(k, sizeof(k), "%ssecond.options.claimName", V);
    set(&t, k, "OnDemand");
    snprintf(k, sizeof(k), "%ssecond.label.tier", V);
    set(&t, k, "gold");
    snprintf(k, sizeof(k), "%ssecond.options.storageClass", V);
    set(&t, k, "fast");
    snprintf(k, sizeof(k), "%ssecond.options.sizeLimit", V);
    set(&t, k, "5Gi");
    tb_ok(&t);
    json_t *vols = slu_json_path(pod(&t), "spec.volumes");
    /* on the driver SPARK_EXECUTOR_ID stays literal; the index is the conf order */
    assert_string_equal(str(named(vols, "first"), "persistentVolumeClaim.claimName"),
                        "pvc-SPARK_EXECUTOR_ID");
    assert_string_equal(str(named(vols, "second"), "persistentVolumeClaim.claimName"),
                        "od-1a2b3c941f297c00-driver-pvc-1");
    json_t *pvc = bg_find(t.objects, "PersistentVolumeClaim", NULL);
    assert_non_null(pvc);
    assert_string_equal(str(pvc, "metadata.labels.tier"), "gold");
    assert_string_equal(str(pvc, "metadata.labels.spark-app-selector"), APP);
    assert_string_equal(str(pvc, "spec.accessModes[0]"), "ReadWriteOncePod");
    /* objects: Pod, Service, PVC, ConfigMap */
    assert_int_equal(json_array_size(t.objects), 4);
    assert_string_equal(str(json_array_get(t.objects, 2), "kind"), "PersistentVolumeClaim");

    /* executors: SPARK_EXECUTOR_ID and OnDemand are replaced */
    set(&t, "spark.kubernetes.executor.volumes.persistentVolumeClaim.d.mount.path", "/d");
    set(&t, "spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName",
        "pvc-spark-SPARK_EXECUTOR_ID");
    tb_ok(&t);
    json_t *ep = exec_pod(&t, "4.0.0");
    assert_string_equal(
        str(named(slu_json_path(ep, "spec.volumes"), "d"), "persistentVolumeClaim.claimName"),
        "pvc-spark-1");
    json_decref(ep);
    tb_release(&t);
}

static void local_dirs_sources(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "ld");
    set(&t, "spark.local.dir", "/conf/dir");
    t.in.env_local_dirs = "/env/a,/env/b"; /* the submitter's env wins */
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "SPARK_LOCAL_DIRS"), "/env/a,/env/b");
    json_t *vols = slu_json_path(pod(&t), "spec.volumes");
    assert_non_null(named(vols, "spark-local-dir-2"));
    t.in.env_local_dirs = NULL;
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "SPARK_LOCAL_DIRS"), "/conf/dir");
    /* a user volume named spark-local-dir-* provides the dirs; no emptyDir is added */
    set(&t, "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.mount.path", "/ssd");
    set(&t, "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.options.path", "/mnt/ssd");
    tb_ok(&t);
    assert_string_equal(env_of(spark_ct(&t), "SPARK_LOCAL_DIRS"), "/ssd");
    vols = slu_json_path(pod(&t), "spec.volumes");
    assert_non_null(slu_json_path(named(vols, "spark-local-dir-1"), "hostPath"));
    assert_null(named(vols, "spark-local-dir-2"));
    tb_release(&t);
}

/* ---------------------------------------------------------------- Service, credentials, files */

static void service_labels_families(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "svc");
    set(&t, "spark.kubernetes.driver.service.label.tier", "web");
    set(&t, "spark.kubernetes.driver.service.label.spark-app-selector", "override");
    set(&t, "spark.kubernetes.driver.service.annotation.lb", "internal");
    set(&t, "spark.kubernetes.driver.service.ipFamilyPolicy", "PreferDualStack");
    set(&t, "spark.kubernetes.driver.service.ipFamilies", "IPv6,IPv4");
    tb_ok(&t);
    json_t *svc = bg_find(t.objects, "Service", NULL);
    assert_string_equal(str(svc, "metadata.labels.tier"), "web");
    assert_string_equal(str(svc, "metadata.labels.spark-app-selector"), "override");
    assert_string_equal(str(svc, "metadata.annotations.lb"), "internal");
    assert_string_equal(str(svc, "spec.ipFamilyPolicy"), "PreferDualStack");
    assert_string_equal(str(svc, "spec.ipFamilies[0]"), "IPv6");
    assert_string_equal(str(svc, "spec.ipFamilies[1]"), "IPv4");
    assert_null(slu_json_path(svc, "metadata.namespace"));
    set(&t, "spark.kubernetes.driver.service.ipFamilies", "IPv5");
    tb_fails(&t, SLU_EINVAL, "ipFamilies");
    tb_release(&t);
}

static void oauth_credentials(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "cred");
    set(&t, "spark.kubernetes.authenticate.driver.oauthToken", "tok");
    set(&t, "spark.kubernetes.authenticate.submission.oauthToken", "sub");
    set(&t, "spark.kubernetes.authenticate.driver.serviceAccountName", "sa");
    tb_ok(&t);
    /* objects: Pod, Secret, Service, ConfigMap */
    json_t *sec = json_array_get(t.objects, 1);
    assert_string_equal(str(sec, "kind"), "Secret");
    assert_string_equal(str(sec, "metadata.name"), "cred-1a2b3c941f297c00-kubernetes-credentials");
    assert_string_equal(str(sec, "data.oauth-token"), "dG9r");
    assert_true(json_is_true(json_object_get(sec, "immutable")));
    assert_string_equal(prop(&t, "spark.kubernetes.authenticate.driver.oauthToken"),
                        "<present_but_redacted>");
    assert_string_equal(prop(&t, "spark.kubernetes.authenticate.submission.oauthToken"),
                        "<present_but_redacted>");
    assert_string_equal(prop(&t, "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile"),
                        "/mnt/secrets/spark-kubernetes-credentials/oauth-token");
    json_t *vols = slu_json_path(pod(&t), "spec.volumes");
    assert_string_equal(bg_s(json_array_get(vols, 0), "name"), "kubernetes-credentials");
    /* with a credentials secret Spark does not set the service account */
    assert_null(slu_json_path(pod(&t), "spec.serviceAccountName"));
    spark_conf_unset(t.conf, "spark.kubernetes.authenticate.driver.oauthToken");
    tb_ok(&t);
    assert_string_equal(str(pod(&t), "spec.serviceAccountName"), "sa");
    assert_string_equal(str(pod(&t), "spec.serviceAccount"), "sa");
    set(&t, "spark.kubernetes.authenticate.driver.caCertFile", "/ca.pem");
    tb_fails(&t, SLU_EUNSUPPORTED, "caCertFile");
    tb_release(&t);
}

static void conf_dir_files(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "files");
    json_t *files =
        json_pack("{ssssssssssss}", "log4j2.properties", "rootLogger.level=info",
                  "spark-defaults.conf", "spark.x=1", "spark-env.sh", "export A=1",
                  "metrics.properties", "*.sink=x", "a.template", "t", "big.txt", "0123456789");
    t.in.conf_files = files;
    set(&t, "spark.kubernetes.configMap.maxSize", "70");
    tb_ok(&t);
    json_t *cm = json_array_get(t.objects, json_array_size(t.objects) - 1);
    json_t *data = json_object_get(cm, "data");
    /* weights: spark-env.sh 22, big.txt 17, metrics 26, log4j2 38: 17+22+26 = 65 < 70, log4j2
     * skipped; spark-defaults.conf and *.template are never shipped */
    assert_non_null(json_object_get(data, "big.txt"));
    assert_non_null(json_object_get(data, "spark-env.sh"));
    assert_non_null(json_object_get(data, "metrics.properties"));
    assert_null(json_object_get(data, "log4j2.properties"));
    assert_null(json_object_get(data, "spark-defaults.conf"));
    assert_null(json_object_get(data, "a.template"));
    json_t *items =
        slu_json_path(named(slu_json_path(pod(&t), "spec.volumes"), "spark-conf-volume-driver"),
                      "configMap.items");
    const char *want[] = {"big.txt", "metrics.properties", "spark-env.sh", "spark.properties"};
    assert_int_equal(json_array_size(items), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(bg_s(json_array_get(items, i), "key"), want[i]);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(items, i), "mode")),
                         420);
    }
    /* executors get the files (not spark.properties) as items */
    json_t *ep = exec_pod(&t, "4.0.0");
    json_t *eitems = slu_json_path(
        named(slu_json_path(ep, "spec.volumes"), "spark-conf-volume-exec"), "configMap.items");
    assert_int_equal(json_array_size(eitems), 3);
    json_decref(ep);
    json_decref(files);
    tb_release(&t);
}

static void namespace_handling(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "ns");
    t.in.namespace = "team-a";
    char *ns = NULL;
    assert_int_equal(spark_build(&t.in, &t.objects, &ns, &t.err), 0);
    assert_string_equal(ns, "team-a");
    free(ns);
    tb_ok(&t);
    assert_string_equal(prop(&t, "spark.kubernetes.namespace"), "team-a");
    assert_string_equal(prop(&t, "spark.driver.host"), "ns-1a2b3c941f297c00-driver-svc.team-a.svc");
    json_t *cm = json_array_get(t.objects, json_array_size(t.objects) - 1);
    assert_string_equal(str(cm, "metadata.namespace"), "team-a");
    assert_string_equal(str(cm, "data.spark\\.kubernetes\\.namespace"), "team-a");
    assert_null(slu_json_path(pod(&t), "metadata.namespace"));
    set(&t, "spark.kubernetes.namespace", "team-b");
    tb_fails(&t, SLU_EINVAL, "team-b");
    tb_release(&t);
}

static void template_file_requires_template(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "tf");
    set(&t, "spark.kubernetes.driver.podTemplateFile", "/tmp/d.yaml");
    tb_fails(&t, SLU_EINVAL, "driver template");
    spark_conf_unset(t.conf, "spark.kubernetes.driver.podTemplateFile");
    set(&t, "spark.kubernetes.executor.podTemplateFile", "/tmp/e.yaml");
    tb_fails(&t, SLU_EINVAL, "executor");
    tb_release(&t);
}

static void properties_text(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "pt");
    set(&t, "spark.master", "k8s://https://10.0.0.1:6443");
    set(&t, "spark.x", " lead#!=:\\tail");
    assert_int_equal(spark_build(&t.in, &t.objects, NULL, &t.err), 0);
    json_t *cm = json_array_get(t.objects, json_array_size(t.objects) - 1);
    const char *text = str(cm, "data.spark\\.properties");
    assert_true(slu_str_has_prefix(text, "#Java properties built from Kubernetes config map with "
                                         "name: spark-drv-5e6f7a941f297c00-conf-map\n#Wed Jan 01 "
                                         "00:00:00 UTC 2025\n"));
    assert_non_null(strstr(text, "\nspark.master=k8s\\://https\\://10.0.0.1\\:6443\n"));
    assert_non_null(strstr(text, "\nspark.x=\\ lead\\#\\!\\=\\:\\\\tail\n"));
    /* sorted by key */
    assert_true(strstr(text, "spark.app.id=") < strstr(text, "spark.master="));
    tb_release(&t);
}

/* ---------------------------------------------------------------- policy */

static void policy_padding_and_overcommit(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "pol");
    set(&t, "spark.driver.memory", "4g");
    set(&t, "spark.executor.memory", "2g");
    set(&t, "spark.executor.cores", "2");
    spark_policy_init_default(&t.policy);
    t.in.policy = &t.policy;
    tb_ok(&t);
    /* driver: max(409, 384) -> 512, + 100 = 612 */
    assert_string_equal(str(spark_ct(&t), "resources.requests.memory"), "4708Mi");
    assert_string_equal(str(spark_ct(&t), "resources.requests.cpu"), "800m");
    assert_null(prop(&t, "spark.driver.cores")); /* Spark is still told 1 core */
    assert_string_equal(prop(&t, "spark.driver.memoryOverhead"), "612m");
    assert_string_equal(prop(&t, "spark.kubernetes.executor.request.cores"), "1600m");
    json_t *ep = exec_pod(&t, "4.0.0");
    json_t *ct = json_array_get(slu_json_path(ep, "spec.containers"), 0);
    assert_string_equal(str(ct, "resources.requests.memory"), "2660Mi"); /* 2048 + 512 + 100 */
    assert_string_equal(str(ct, "resources.requests.cpu"), "1600m");
    assert_string_equal(env_of(ct, "SPARK_EXECUTOR_CORES"), "2"); /* Spark still told 2 */
    json_decref(ep);
    /* configured overhead: + 100 only; explicit request cores win */
    set(&t, "spark.driver.memoryOverhead", "700m");
    set(&t, "spark.kubernetes.driver.request.cores", "3");
    tb_ok(&t);
    assert_string_equal(str(spark_ct(&t), "resources.requests.memory"), "4896Mi");
    assert_string_equal(str(spark_ct(&t), "resources.requests.cpu"), "3");
    /* Python: factor 0.4 -> 1638 -> 2048 + 100 */
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.driver.memory", "4g");
    struct slu_err err = {0};
    assert_int_equal(spark_policy_apply(&t.policy, c, "4.0", SPARK_APP_PYTHON, &err), 0);
    assert_string_equal(spark_conf_get(c, "spark.driver.memoryOverhead"), "2148m");
    assert_string_equal(spark_conf_get(c, "spark.executor.memoryOverhead"), "612m");
    spark_conf_free(c);
    tb_release(&t);
}

/* ---------------------------------------------------------------- executors */

static void executor_env_details(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "ex");
    set(&t, "spark.executor.extraJavaOptions",
        "-Dx=1 '-Dy=a b' \"-Dz=\\\"q\\\"\" -Did={{EXECUTOR_ID}}-{{APP_ID}}");
    set(&t, "spark.executorEnv.GOOD_1", "g");
    set(&t, "spark.executorEnv.1BAD", "b");
    set(&t, "spark.executorEnv.SPARK_EXECUTOR_DIRS", "/d/SPARK_APPLICATION_ID/SPARK_EXECUTOR_ID");
    set(&t, "spark.executor.extraClassPath", "/extra/*");
    set(&t, "spark.authenticate", "true");
    set(&t, "spark.authenticate.secret", "sekrit");
    set(&t, "spark.ssl.keyPassword", "pw");
    set(&t, "spark.ssl.enabled", "true");
    set(&t, "spark.rpc.askTimeout", "10s");
    set(&t, "spark.decommission.enabled", "true");
    set(&t, "spark.kubernetes.executor.limit.cores", "3");
    set(&t, "spark.kubernetes.executor.label.who", "{{EXECUTOR_ID}}");
    set(&t, "spark.kubernetes.authenticate.driver.serviceAccountName", "dsa");
    set(&t, "spark.kubernetes.node.selector.a", "1");
    set(&t, "spark.kubernetes.executor.node.selector.b", "2");
    set(&t, "spark.kubernetes.executor.scheduler.name", "yunikorn");
    tb_ok(&t);
    json_t *ep = exec_pod(&t, "4.0.0");
    json_t *ct = json_array_get(slu_json_path(ep, "spec.containers"), 0);
    assert_string_equal(env_of(ct, "GOOD_1"), "g");
    assert_null(env_of(ct, "1BAD"));
    assert_string_equal(env_of(ct, "SPARK_EXECUTOR_DIRS"), "/d/" APP "/1");
    assert_string_equal(env_of(ct, "SPARK_CLASSPATH"), "/extra/*");
    assert_string_equal(env_of(ct, "_SPARK_AUTH_SECRET"), "sekrit");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_0"), "-Dx=1");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_1"), "-Dy=a b");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_2"), "-Dz=\"q\"");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_3"), "-Did=1-" APP);
    /* then -D for startup confs in the driver's conf order (spark.properties is sorted) */
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_4"), "-Dspark.authenticate=true");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_5"), "-Dspark.driver.blockManager.port=7079");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_6"), "-Dspark.driver.port=7078");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_7"), "-Dspark.rpc.askTimeout=10s");
    assert_string_equal(env_of(ct, "SPARK_JAVA_OPT_8"), "-Dspark.ssl.enabled=true");
    assert_null(env_of(ct, "SPARK_JAVA_OPT_9")); /* no secret, no password */
    assert_string_equal(str(ct, "lifecycle.preStop.exec.command[0]"), "/opt/decom.sh");
    assert_string_equal(str(ct, "resources.limits.cpu"), "3");
    assert_string_equal(str(ep, "metadata.labels.who"), "1");
    assert_string_equal(str(ep, "spec.serviceAccountName"), "dsa");
    assert_string_equal(str(ep, "spec.nodeSelector.a"), "1");
    assert_string_equal(str(ep, "spec.nodeSelector.b"), "2");
    assert_string_equal(str(ep, "spec.schedulerName"), "yunikorn");
    assert_string_equal(str(ep, "metadata.ownerReferences[0].uid"), "u1");
    json_decref(ep);
    tb_release(&t);
}

static void executor_misc(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "em");
    set(&t, "spark.blockManager.port", "0");
    set(&t, "spark.kubernetes.allocation.pods.allocator", "statefulset");
    set(&t, "spark.kubernetes.executor.disableConfigMap", "true");
    set(&t, "spark.kubernetes.authenticate.executor.serviceAccountName", "esa");
    set(&t, "spark.kubernetes.executor.secrets.s1", "/s1");
    set(&t, "spark.kubernetes.executor.secretKeyRef.K", "sec:key");
    tb_ok(&t);
    json_t *ep = exec_pod(&t, "3.5.0");
    json_t *ct = json_array_get(slu_json_path(ep, "spec.containers"), 0);
    assert_null(json_object_get(ct, "ports"));
    assert_string_equal(str(ep, "spec.restartPolicy"), "Always");
    assert_null(named(slu_json_path(ep, "spec.volumes"), "spark-conf-volume-exec"));
    assert_non_null(named(slu_json_path(ep, "spec.volumes"), "s1-volume"));
    assert_string_equal(env_of(ct, "K"), "<valueFrom>");
    assert_string_equal(str(ep, "spec.serviceAccountName"), "esa");
    assert_string_equal(str(ep, "metadata.labels.spark-version"), "3.5.0");
    json_decref(ep);
    /* the conf must come from the driver: no prefix -> error */
    json_t *p = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_build_executor_pod(t.props, "4.0", pod(&t), 1, NULL, &p, &err),
                     SLU_EINVAL);
    assert_non_null(strstr(err.msg, "podNamePrefix"));
    assert_null(p);
    slu_err_release(&err);
    tb_release(&t);
}

static void executor_configmap_and_owner(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "cm");
    tb_ok(&t);
    json_t *driver = json_deep_copy(pod(&t));
    json_object_set_new(json_object_get(driver, "metadata"), "uid", json_string("u9"));
    char *name = spark_executor_configmap_name(driver);
    assert_string_equal(name, "spark-exec-5e6f7a941f297c00-conf-map");
    free(name);
    json_t *cm = NULL;
    struct slu_err err = {0};
    json_t *dcm = json_array_get(t.objects, json_array_size(t.objects) - 1);
    assert_int_equal(spark_build_executor_configmap(t.props, driver, dcm, 1735689600000, &cm, &err),
                     0);
    assert_string_equal(str(cm, "metadata.labels.spark-role"), "executor");
    assert_string_equal(str(cm, "metadata.labels.spark-app-selector"), APP);
    assert_string_equal(str(cm, "metadata.ownerReferences[0].uid"), "u9");
    assert_true(json_is_true(json_object_get(cm, "immutable")));
    const char *text = str(cm, "data.spark\\.properties");
    assert_non_null(strstr(text, "\nspark.kubernetes.namespace=default\n"));
    assert_null(strstr(text, "spark.app.id"));
    json_decref(cm);
    /* owner references on everything but the pod */
    spark_build_set_owner(t.objects, driver);
    assert_null(slu_json_path(pod(&t), "metadata.ownerReferences"));
    json_t *svc = bg_find(t.objects, "Service", NULL);
    assert_string_equal(str(svc, "metadata.ownerReferences[0].name"), "cm-1a2b3c941f297c00-driver");
    assert_true(json_is_true(slu_json_path(svc, "metadata.ownerReferences[0].controller")));
    assert_int_equal(json_array_size(slu_json_path(svc, "metadata.ownerReferences")), 1);
    json_decref(driver);
    tb_release(&t);
}

static void executor_template_merge(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "et");
    set(&t, "spark.kubernetes.executor.podTemplateContainerName", "work");
    tb_ok(&t);
    struct spark_conf *rt = spark_conf_copy(t.props);
    struct slu_err err = {0};
    assert_int_equal(spark_driver_runtime_init(rt, NULL, "7a8b9c941f297c00", 1, &err), 0);
    json_t *tmpl =
        json_pack("{s{s[{ss}{sss[{ssss}]}]s{ss}}}", "spec", "containers", "name", "side", "name",
                  "work", "env", "name", "T", "value", "1", "nodeSelector", "disk", "ssd");
    json_t *p = NULL;
    assert_int_equal(spark_build_executor_pod(rt, "4.0", pod(&t), 2, tmpl, &p, &err), 0);
    json_t *cs = slu_json_path(p, "spec.containers");
    assert_int_equal(json_array_size(cs), 2);
    assert_string_equal(bg_s(json_array_get(cs, 0), "name"), "side");
    json_t *ct = json_array_get(cs, 1);
    assert_string_equal(bg_s(ct, "name"), "work");
    assert_string_equal(bg_s(json_array_get(json_object_get(ct, "env"), 0), "name"), "T");
    assert_string_equal(str(p, "spec.nodeSelector.disk"), "ssd");
    assert_string_equal(str(p, "metadata.name"), "et-7a8b9c941f297c00-exec-2");
    assert_string_equal(env_of(ct, "SPARK_EXECUTOR_ID"), "2");
    json_decref(p);
    json_decref(tmpl);
    spark_conf_free(rt);
    tb_release(&t);
}

/* The executor template ConfigMap exists only when the executor pod is changed by it: extras
 * that hold only what the conf already says (cores, memory, instances) make none, as
 * spark-submit makes none without a template; a toleration makes one. */
static json_t *template_configmap(json_t *objects)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        if (slu_streq(bg_s(o, "kind"), "ConfigMap") &&
            json_object_get(json_object_get(o, "data"), "podspec-configmap-key"))
            return o;
    }
    return NULL;
}

static void executor_template_only_when_needed(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "tn");
    json_t *x = json_pack("{si si ss ss}", "cores", 1, "instances", 2, "memory", "512m",
                          "coreRequest", "1m");
    t.in.executor_extras = x;
    tb_ok(&t);
    assert_null(template_configmap(t.objects));
    assert_null(spark_conf_get(t.props, "spark.kubernetes.executor.podTemplateFile"));
    assert_null(spark_conf_get(t.props, "spark.kubernetes.executor.podTemplateContainerName"));
    json_object_set_new(x, "tolerations",
                        json_pack("[{ss ss ss}]", "key", "k", "operator", "Equal", "value", "v"));
    tb_ok(&t);
    json_t *cm = template_configmap(t.objects);
    assert_non_null(cm);
    assert_non_null(strstr(bg_s(json_object_get(cm, "data"), "podspec-configmap-key"), "\"k\""));
    assert_non_null(spark_conf_get(t.props, "spark.kubernetes.executor.podTemplateFile"));
    json_decref(x);
    t.in.executor_extras = NULL;
    tb_release(&t);
}

static void driver_extras_details(void **s)
{
    (void)s;
    struct tb t;
    tb_init(&t, "dx");
    set(&t, "spark.kubernetes.authenticate.driver.serviceAccountName", "conf-sa");
    json_t *x = json_pack("{ss s{ss si} ss s[{ss ss}] s[{ss ss}]}", "memoryLimit", "3g", "gpu",
                          "name", "nvidia.com/gpu", "quantity", 2, "serviceAccount", "extras-sa",
                          "configMaps", "name", "a.b", "path", "/etc/ab", "sidecars", "name",
                          "spark-kubernetes-driver", "image", "img:1");
    assert_non_null(x);
    t.in.driver_extras = x;
    tb_ok(&t);
    json_t *ct = spark_ct(&t);
    assert_string_equal(str(ct, "resources.limits.memory"), "3072Mi");
    assert_string_equal(str(ct, "resources.limits.nvidia\\.com/gpu"), "2");
    assert_string_equal(str(pod(&t), "spec.serviceAccountName"), "conf-sa"); /* conf wins */
    assert_non_null(named(slu_json_path(pod(&t), "spec.volumes"), "a.b-vol"));
    /* a sidecar with the same name and image as an existing container is not added */
    assert_int_equal(json_array_size(slu_json_path(pod(&t), "spec.containers")), 1);
    json_decref(x);
    x = json_pack("{ss}", "memoryLimit", "lots");
    t.in.driver_extras = x;
    tb_fails(&t, SLU_EINVAL, "memoryLimit");
    json_decref(x);
    tb_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unique_id_format),
        cmocka_unit_test(prefix_sanitising),
        cmocka_unit_test(app_name_label),
        cmocka_unit_test(executor_hostname),
        cmocka_unit_test(long_name_service_fallback),
        cmocka_unit_test(service_name_63_boundary),
        cmocka_unit_test(pod_name_override_and_default_app_name),
        cmocka_unit_test(driver_memory_variants),
        cmocka_unit_test(min_overhead_35_vs_40),
        cmocka_unit_test(executor_memory_parts),
        cmocka_unit_test(driver_cpu),
        cmocka_unit_test(custom_resources),
        cmocka_unit_test(double_to_string),
        cmocka_unit_test(ports_and_blockmanager_quirk),
        cmocka_unit_test(image_and_pull_policy),
        cmocka_unit_test(labels_reserved_and_substituted),
        cmocka_unit_test(submit_side_effects),
        cmocka_unit_test(local_files_need_upload),
        cmocka_unit_test(python_env_resolution),
        cmocka_unit_test(r_app_and_proxy_user),
        cmocka_unit_test(driver_env_order),
        cmocka_unit_test(krb5_configmap),
        cmocka_unit_test(secret_key_ref_format),
        cmocka_unit_test(volume_errors),
        cmocka_unit_test(on_demand_claims),
        cmocka_unit_test(local_dirs_sources),
        cmocka_unit_test(service_labels_families),
        cmocka_unit_test(oauth_credentials),
        cmocka_unit_test(conf_dir_files),
        cmocka_unit_test(namespace_handling),
        cmocka_unit_test(template_file_requires_template),
        cmocka_unit_test(properties_text),
        cmocka_unit_test(policy_padding_and_overcommit),
        cmocka_unit_test(executor_env_details),
        cmocka_unit_test(executor_misc),
        cmocka_unit_test(executor_configmap_and_owner),
        cmocka_unit_test(executor_template_merge),
        cmocka_unit_test(driver_extras_details),
        cmocka_unit_test(executor_template_only_when_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
