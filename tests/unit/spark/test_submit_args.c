/* test_submit_args.c - tests for src/spark/submit_args.c: the spark-submit command line, the
 * effective conf of a submission, k8s master URLs, submission ids. */
#include "test.h"

#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spark/spark.h"

#define ARGC(a) ((int)SLU_ARRAY_LEN(a))

/* Every option taking a value: the field it fills and the property it resolves to. */
struct value_case {
    const char *opt;
    const char *value;
    size_t field;     /* offsetof(struct spark_submit, x) */
    const char *conf; /* property after spark_submit_resolve, or NULL when none */
};

#define F(x) offsetof(struct spark_submit, x)

static const struct value_case value_cases[] = {
    {"--master", "k8s://https://h:6443", F(master), "spark.master"},
    {"--deploy-mode", "cluster", F(deploy_mode), "spark.submit.deployMode"},
    {"--class", "org.example.Main", F(main_class), NULL},
    {"--name", "my app", F(name), "spark.app.name"},
    {"--jars", "local:///a.jar,b.jar", F(jars), "spark.jars"},
    {"--packages", "g:a:1", F(packages), "spark.jars.packages"},
    {"--exclude-packages", "g:x", F(exclude_packages), "spark.jars.excludes"},
    {"--repositories", "https://repo", F(repositories), "spark.jars.repositories"},
    {"--py-files", "a.py,b.zip", F(py_files), "spark.submit.pyFiles"},
    {"--files", "f.txt", F(files), "spark.files"},
    {"--archives", "a.tgz#dir", F(archives), "spark.archives"},
    {"--driver-memory", "2g", F(driver_memory), "spark.driver.memory"},
    {"--driver-java-options", "-Dx=1 -Dy=2", F(driver_java_options),
     "spark.driver.extraJavaOptions"},
    {"--driver-library-path", "/lib", F(driver_library_path), "spark.driver.extraLibraryPath"},
    {"--driver-class-path", "/cp/*", F(driver_class_path), "spark.driver.extraClassPath"},
    {"--driver-default-class-path", "/dcp", F(driver_default_class_path),
     "spark.driver.defaultExtraClassPath"},
    {"--driver-cores", "2", F(driver_cores), "spark.driver.cores"},
    {"--executor-memory", "4g", F(executor_memory), "spark.executor.memory"},
    {"--executor-cores", "3", F(executor_cores), "spark.executor.cores"},
    {"--num-executors", "5", F(num_executors), "spark.executor.instances"},
    {"--total-executor-cores", "10", F(total_executor_cores), NULL},
    {"--queue", "q", F(queue), NULL},
    {"--principal", "me@REALM", F(principal), "spark.kerberos.principal"},
    {"--keytab", "/k.keytab", F(keytab), "spark.kerberos.keytab"},
    {"--proxy-user", "bob", F(proxy_user), NULL},
    {"--output", "yaml", F(output), NULL},
    {"-o", "json", F(output), NULL},
    {"--unique-id", "1a2b3c941f297c00", F(unique_id), NULL},
    {"--app-id", "spark-0123456789abcdef0123456789abcdef", F(app_id), NULL},
    {"--spark-version", "4.0", F(spark_version), NULL},
    {"--kubeconfig", "/kc", F(kubeconfig), NULL},
    {"--context", "ctx", F(context), NULL},
    {"--namespace", "ns1", F(namespace_), "spark.kubernetes.namespace"},
    {"-n", "ns2", F(namespace_), "spark.kubernetes.namespace"},
};

static const char *field(const struct spark_submit *s, size_t off)
{
    return *(char *const *)((const char *)s + off);
}

static void test_every_value_option(void **state)
{
    (void)state;
    for (size_t i = 0; i < SLU_ARRAY_LEN(value_cases); i++) {
        const struct value_case *vc = &value_cases[i];
        for (int form = 0; form < 2; form++) {
            /* form 0: "--opt value"; form 1: "--opt=value" (long options only) */
            if (form == 1 && vc->opt[1] != '-')
                continue;
            char *joined = slu_asprintf("%s=%s", vc->opt, vc->value);
            const char *argv2[] = {vc->opt, vc->value, "app.jar"};
            const char *argv1[] = {joined, "app.jar"};
            struct spark_submit s;
            struct slu_err err = {0};
            int rc = form == 0 ? spark_submit_parse(&s, 3, argv2, &err)
                               : spark_submit_parse(&s, 2, argv1, &err);
            if (rc != 0)
                fail_msg("%s (form %d): %s", vc->opt, form, err.msg);
            const char *got = field(&s, vc->field);
            if (!got || strcmp(got, vc->value) != 0)
                fail_msg("%s (form %d): field is \"%s\"", vc->opt, form, got ? got : "(null)");
            assert_string_equal(s.primary_resource, "app.jar");
            assert_int_equal(s.napp_args, 0);
            struct spark_conf *c = NULL;
            if (spark_submit_resolve(&s, NULL, &c, &err) != 0)
                fail_msg("%s: resolve: %s", vc->opt, err.msg);
            if (vc->conf) {
                const char *v = spark_conf_get(c, vc->conf);
                if (!v || strcmp(v, vc->value) != 0)
                    fail_msg("%s: %s is \"%s\"", vc->opt, vc->conf, v ? v : "(null)");
            }
            spark_conf_free(c);
            spark_submit_release(&s);
            free(joined);
        }
    }
}

static void test_every_switch(void **state)
{
    (void)state;
    struct {
        const char *opt;
        size_t field;
    } sw[] = {
        {"--supervise", F(supervise)},
        {"--verbose", F(verbose)},
        {"-v", F(verbose)},
        {"--load-spark-defaults", F(load_spark_defaults)},
        {"--native", F(native)},
        {"--dry-run", F(dry_run)},
        {"--wait", F(wait)},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(sw); i++) {
        const char *argv[] = {sw[i].opt, "app.jar", "x"};
        struct spark_submit s;
        struct slu_err err = {0};
        if (spark_submit_parse(&s, ARGC(argv), argv, &err) != 0)
            fail_msg("%s: %s", sw[i].opt, err.msg);
        assert_true(*(const bool *)((const char *)&s + sw[i].field));
        assert_string_equal(s.primary_resource, "app.jar");
        assert_int_equal(s.napp_args, 1);
        spark_submit_release(&s);
    }
    /* a switch given "=value": Spark drops the value; --dry-run keeps it as its mode */
    const char *argv[] = {"--verbose=yes", "--dry-run=server", "app.jar"};
    struct spark_submit s;
    assert_int_equal(spark_submit_parse(&s, ARGC(argv), argv, NULL), 0);
    assert_true(s.verbose);
    assert_true(s.dry_run);
    assert_string_equal(s.dry_run_mode, "server");
    spark_submit_release(&s);
}

static void test_actions(void **state)
{
    (void)state;
    struct spark_submit s;
    const char *help[] = {"--help"};
    assert_int_equal(spark_submit_parse(&s, 1, help, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_HELP);
    spark_submit_release(&s);
    const char *h[] = {"-h", "--version"};
    assert_int_equal(spark_submit_parse(&s, 2, h, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_HELP);
    spark_submit_release(&s);
    const char *ver[] = {"--version"};
    assert_int_equal(spark_submit_parse(&s, 1, ver, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_VERSION);
    spark_submit_release(&s);
    const char *ue[] = {"--usage-error"};
    assert_int_equal(spark_submit_parse(&s, 1, ue, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_USAGE_ERROR);
    spark_submit_release(&s);
    const char *kill[] = {"--master", "k8s://h:443", "--kill", "spark:spark-pi-*"};
    assert_int_equal(spark_submit_parse(&s, ARGC(kill), kill, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_KILL);
    assert_string_equal(s.submission_id, "spark:spark-pi-*");
    assert_null(s.primary_resource);
    spark_submit_release(&s);
    const char *status[] = {"--status=ns:driver-1"};
    assert_int_equal(spark_submit_parse(&s, 1, status, NULL), 0);
    assert_int_equal(s.action, SPARK_SUBMIT_STATUS);
    assert_string_equal(s.submission_id, "ns:driver-1");
    spark_submit_release(&s);
    struct slu_err err = {0};
    const char *both[] = {"--kill", "a", "--status", "b"};
    assert_int_equal(spark_submit_parse(&s, 4, both, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "Action cannot be both KILL and REQUEST_STATUS.");
    spark_submit_release(&s);
    slu_err_release(&err);
}

static void test_conf_pairs(void **state)
{
    (void)state;
    const char *argv[] = {"--conf",          "spark.a=1", "-c",         "spark.b=x=y",
                          "--conf=spark.c=", "--conf",    "spark.a=2",  "-c",
                          "spark.empty=",    "--conf",    "hadoop.k=v", "app.jar"};
    struct spark_submit s;
    struct slu_err err = {0};
    assert_int_equal(spark_submit_parse(&s, ARGC(argv), argv, &err), 0);
    assert_string_equal(spark_conf_get(s.conf, "spark.a"), "2");
    assert_string_equal(spark_conf_key_at(s.conf, 0), "spark.a");
    assert_string_equal(spark_conf_get(s.conf, "spark.b"), "x=y");
    assert_string_equal(spark_conf_get(s.conf, "spark.c"), "");
    assert_string_equal(spark_conf_get(s.conf, "spark.empty"), "");
    assert_string_equal(spark_conf_get(s.conf, "hadoop.k"), "v");
    struct spark_conf *c = NULL;
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, &err), 0);
    assert_null(spark_conf_get(c, "hadoop.k")); /* non-spark keys dropped */
    assert_string_equal(spark_conf_get(c, "spark.a"), "2");
    assert_string_equal(spark_conf_get(c, "spark.app.name"), "app.jar");
    spark_conf_free(c);
    spark_submit_release(&s);
}

struct err_case {
    const char *argv[6];
    int argc;
    const char *msg;
};

static void test_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {{"--foo", "app.jar"}, 2, "Unrecognized option: --foo"},
        {{"-x"}, 1, "Unrecognized option: -x"},
        {{"-"}, 1, "Unrecognized option: -"},
        {{"--conf"}, 1, "Missing argument for option '--conf'."},
        {{"-c"}, 1, "Missing argument for option '-c'."},
        {{"--master", "k8s://h", "--name"}, 3, "Missing argument for option '--name'."},
        {{"--conf", "spark.x", "app.jar"}, 3, "Invalid argument to --conf: spark.x"},
        {{"-c", "novalue", "app.jar"}, 3, "Invalid argument to --conf: novalue"},
        {{"--master", "k8s://h:443"}, 2, "Missing application resource."},
        {{0}, 0, "Missing application resource."},
        {{"--deploy-mode", "local", "app.jar"},
         3,
         "--deploy-mode must be either \"client\" or \"cluster\""},
        {{"--conf=", "app.jar"}, 2, "Unrecognized option: --conf="},
        {{"--=x", "app.jar"}, 2, "Unrecognized option: --=x"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct spark_submit s;
        struct slu_err err = {0};
        int rc = spark_submit_parse(&s, cases[i].argc, cases[i].argv, &err);
        if (rc != SLU_EINVAL)
            fail_msg("case %zu: rc %d", i, rc);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].msg);
        spark_submit_release(&s);
        slu_err_release(&err);
    }
}

static void test_resource_and_app_args(void **state)
{
    (void)state;
    const char *argv[] = {"--class", "Main", "local:///opt/app.jar", "--conf", "x",
                          "--help",  "-v",   "--master=y",           ""};
    struct spark_submit s;
    assert_int_equal(spark_submit_parse(&s, ARGC(argv), argv, NULL), 0);
    assert_string_equal(s.primary_resource, "local:///opt/app.jar");
    assert_int_equal(s.app_type, SPARK_APP_JAVA);
    assert_int_equal(s.action, SPARK_SUBMIT_SUBMIT);
    assert_false(s.verbose);
    assert_null(s.master);
    assert_int_equal(s.napp_args, 6);
    assert_string_equal(s.app_args[0], "--conf");
    assert_string_equal(s.app_args[1], "x");
    assert_string_equal(s.app_args[2], "--help");
    assert_string_equal(s.app_args[4], "--master=y");
    assert_string_equal(s.app_args[5], "");
    assert_null(s.app_args[6]);
    assert_int_equal(spark_conf_len(s.conf), 0);
    spark_submit_release(&s);

    struct {
        const char *res;
        enum spark_app_type type;
        bool internal;
    } types[] = {
        {"pi.py", SPARK_APP_PYTHON, false},
        {"s3a://b/job.py", SPARK_APP_PYTHON, false},
        {"x.R", SPARK_APP_R, false},
        {"x.r", SPARK_APP_R, false},
        {"x.jar", SPARK_APP_JAVA, false},
        {"x.PY", SPARK_APP_JAVA, false},
        {"spark-internal", SPARK_APP_JAVA, true},
        {"pyspark-shell", SPARK_APP_PYTHON, false},
        {"sparkr-shell", SPARK_APP_R, false},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(types); i++) {
        const char *a[] = {types[i].res};
        assert_int_equal(spark_submit_parse(&s, 1, a, NULL), 0);
        if (s.app_type != types[i].type || s.internal != types[i].internal)
            fail_msg("%s: type %d internal %d", types[i].res, s.app_type, s.internal);
        spark_submit_release(&s);
    }
}

static void test_option_table(void **state)
{
    (void)state;
    const struct spark_submit_option *o = spark_submit_options();
    size_t n = 0, sluice = 0;
    bool seen_conf = false;
    for (; o[n].name; n++) {
        assert_true(slu_str_has_prefix(o[n].name, "--"));
        assert_non_null(o[n].help);
        if (o[n].sluice)
            sluice++;
        if (strcmp(o[n].name, "--conf") == 0) {
            seen_conf = true;
            assert_string_equal(o[n].alias, "-c");
            assert_true(o[n].takes_value);
        }
        for (size_t j = 0; j < n; j++)
            assert_string_not_equal(o[j].name, o[n].name);
    }
    assert_true(seen_conf);
    assert_int_equal(sluice, 10);
    assert_true(n >= 46);
}

/* ---- effective conf */

static void test_resolve_flags_win(void **state)
{
    (void)state;
    const char *argv[] = {"--conf",
                          "spark.driver.memory=1g",
                          "--driver-memory",
                          "3g",
                          "--conf",
                          "spark.executor.instances=9",
                          "--conf",
                          "spark.app.name=fromconf",
                          "--master",
                          "k8s://10.0.0.1:6443",
                          "--deploy-mode",
                          "cluster",
                          "--class",
                          "org.apache.spark.examples.SparkPi",
                          "-n",
                          "team",
                          "--conf",
                          "spark.kubernetes.namespace=other",
                          "local:///opt/spark/examples/jars/spark-examples.jar",
                          "100"};
    struct spark_submit s;
    struct slu_err err = {0};
    assert_int_equal(spark_submit_parse(&s, ARGC(argv), argv, &err), 0);
    struct spark_conf *c = NULL;
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, &err), 0);
    assert_string_equal(spark_conf_get(c, "spark.driver.memory"), "3g");
    assert_string_equal(spark_conf_get(c, "spark.executor.instances"), "9");
    assert_string_equal(spark_conf_get(c, "spark.app.name"), "fromconf");
    assert_string_equal(spark_conf_get(c, "spark.master"), "k8s://https://10.0.0.1:6443");
    assert_string_equal(spark_conf_get(c, "spark.submit.deployMode"), "cluster");
    assert_string_equal(spark_conf_get(c, "spark.kubernetes.namespace"), "team");
    assert_null(spark_conf_get(c, "spark.cores.max"));
    assert_int_equal(s.napp_args, 1);
    spark_conf_free(c);
    spark_submit_release(&s);

    /* name defaults: main class, then the resource's file name */
    const char *a2[] = {"--class", "org.apache.spark.examples.SparkPi", "x.jar"};
    assert_int_equal(spark_submit_parse(&s, 3, a2, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, NULL), 0);
    assert_string_equal(spark_conf_get(c, "spark.app.name"), "org.apache.spark.examples.SparkPi");
    assert_null(spark_conf_get(c, "spark.master")); /* none given anywhere */
    spark_conf_free(c);
    spark_submit_release(&s);
    const char *a3[] = {"local:///opt/jobs/etl.py"};
    assert_int_equal(spark_submit_parse(&s, 1, a3, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, NULL), 0);
    assert_string_equal(spark_conf_get(c, "spark.app.name"), "etl.py");
    spark_conf_free(c);
    spark_submit_release(&s);
}

static void test_resolve_env_and_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/slu_test_submit_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = slu_asprintf("%s/spark-defaults.conf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("spark.master k8s://http://api:8080\nspark.executor.cores 2\n", f);
    fclose(f);

    struct spark_submit_env env = {.spark_conf_dir = dir,
                                   .executor_memory = "5g",
                                   .driver_memory = "7g",
                                   .master = "k8s://ignored:1"};
    const char *argv[] = {"--driver-memory", "1g", "app.jar"};
    struct spark_submit s;
    struct spark_conf *c = NULL;
    struct slu_err err = {0};
    assert_int_equal(spark_submit_parse(&s, ARGC(argv), argv, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, &env, &c, &err), 0);
    assert_string_equal(spark_conf_get(c, "spark.master"), "k8s://http://api:8080");
    assert_string_equal(spark_conf_get(c, "spark.executor.cores"), "2");
    assert_string_equal(spark_conf_get(c, "spark.executor.memory"), "5g"); /* env fallback */
    assert_string_equal(spark_conf_get(c, "spark.driver.memory"), "1g");   /* flag wins */
    spark_conf_free(c);
    spark_submit_release(&s);

    /* env MASTER is used when nothing else gives one */
    struct spark_submit_env env2 = {.master = "k8s://m:6443"};
    const char *a2[] = {"app.jar"};
    assert_int_equal(spark_submit_parse(&s, 1, a2, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, &env2, &c, &err), 0);
    assert_string_equal(spark_conf_get(c, "spark.master"), "k8s://https://m:6443");
    spark_conf_free(c);
    spark_submit_release(&s);

    /* a missing --properties-file is an error */
    const char *a3[] = {"--properties-file", "/nonexistent/x.conf", "app.jar"};
    assert_int_equal(spark_submit_parse(&s, 3, a3, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, &env, &c, &err), SLU_ENOTFOUND);
    slu_err_release(&err);
    spark_submit_release(&s);

    unlink(path);
    rmdir(dir);
    free(path);
}

static void test_resolve_validation(void **state)
{
    (void)state;
    struct {
        const char *argv[4];
        int argc;
        const char *msg;
    } cases[] = {
        {{"--driver-memory", "0", "a.jar"}, 3, "Driver memory must be a positive number"},
        {{"--driver-memory", "1.5g", "a.jar"}, 3, "Driver memory must be a positive number"},
        {{"--executor-memory", "x", "a.jar"}, 3, "Executor memory must be a positive number"},
        {{"--driver-cores", "0", "a.jar"}, 3, "Driver cores must be a positive number"},
        {{"--executor-cores", " 2", "a.jar"}, 3, "Executor cores must be a positive number"},
        {{"--total-executor-cores", "-1", "a.jar"},
         3,
         "Total executor cores must be a positive number"},
        {{"--num-executors", "0", "a.jar"}, 3, "Number of executors must be a positive number"},
        {{"--master", "spark://h:7077", "a.jar"},
         3,
         "Master must be a Kubernetes URL (k8s://https://host:port), got \"spark://h:7077\""},
        {{"--master", "k8s://ftp://h", "a.jar"},
         3,
         "Invalid Kubernetes master scheme: ftp found in URL: ftp://h"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct spark_submit s;
        struct spark_conf *c = NULL;
        struct slu_err err = {0};
        assert_int_equal(spark_submit_parse(&s, cases[i].argc, cases[i].argv, NULL), 0);
        int rc = spark_submit_resolve(&s, NULL, &c, &err);
        if (rc != SLU_EINVAL || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: rc %d \"%s\"", i, rc, err.msg);
        assert_null(c);
        slu_err_release(&err);
        spark_submit_release(&s);
    }
    /* dynamic allocation allows --num-executors 0 */
    const char *dyn[] = {"--num-executors", "0", "--conf", "spark.dynamicAllocation.enabled=TRUE",
                         "a.jar"};
    struct spark_submit s;
    struct spark_conf *c = NULL;
    assert_int_equal(spark_submit_parse(&s, ARGC(dyn), dyn, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, NULL), 0);
    spark_conf_free(c);
    spark_submit_release(&s);
    struct slu_err err = {0};
    const char *pp[] = {"--proxy-user", "u", "--principal", "p", "a.jar"};
    assert_int_equal(spark_submit_parse(&s, ARGC(pp), pp, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "Only one of --proxy-user or --principal can be provided.");
    slu_err_release(&err);
    spark_submit_release(&s);
    const char *rm[] = {"--remote", "sc://h", "--master", "k8s://h:1", "a.jar"};
    assert_int_equal(spark_submit_parse(&s, ARGC(rm), rm, NULL), 0);
    assert_int_equal(spark_submit_resolve(&s, NULL, &c, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "Remote cannot be specified with master and/or deploy mode.");
    slu_err_release(&err);
    spark_submit_release(&s);
}

/* ---- k8s master */

static void test_k8s_master(void **state)
{
    (void)state;
    struct {
        const char *in, *url, *api, *scheme, *host;
        int port;
        bool http;
    } ok[] = {
        {"k8s://https://10.0.0.1:6443", "k8s://https://10.0.0.1:6443", "https://10.0.0.1:6443",
         "https", "10.0.0.1", 6443, false},
        {"k8s://host:443", "k8s://https://host:443", "https://host:443", "https", "host", 443,
         false},
        {"k8s://http://localhost:8080", "k8s://http://localhost:8080", "http://localhost:8080",
         "http", "localhost", 8080, true},
        {"k8s://HTTPS://H:1", "k8s://HTTPS://H:1", "HTTPS://H:1", "https", "H", 1, false},
        {"k8s://https://kubernetes.default.svc", "k8s://https://kubernetes.default.svc",
         "https://kubernetes.default.svc", "https", "kubernetes.default.svc", 0, false},
        {"k8s://https://[::1]:6443/path", "k8s://https://[::1]:6443/path",
         "https://[::1]:6443/path", "https", "[::1]", 6443, false},
        {"k8s://https://user@h:5/", "k8s://https://user@h:5/", "https://user@h:5/", "https", "h", 5,
         false},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(ok); i++) {
        struct spark_k8s_master m;
        struct slu_err err = {0};
        if (spark_k8s_master_parse(ok[i].in, &m, &err) != 0)
            fail_msg("%s: %s", ok[i].in, err.msg);
        assert_string_equal(m.url, ok[i].url);
        assert_string_equal(m.api, ok[i].api);
        assert_string_equal(m.scheme, ok[i].scheme);
        assert_string_equal(m.host, ok[i].host);
        assert_int_equal(m.port, ok[i].port);
        assert_int_equal(m.http, ok[i].http);
        spark_k8s_master_release(&m);
    }
    struct {
        const char *in, *msg;
    } bad[] = {
        {"https://h:1", "Kubernetes master URL must start with k8s://."},
        {"K8S://h:1", "Kubernetes master URL must start with k8s://."},
        {"k8s://ftp://h:1", "Invalid Kubernetes master scheme: ftp found in URL: ftp://h:1"},
        {"k8s://1http://h", "Invalid Kubernetes master scheme: null found in URL: 1http://h"},
        {"k8s://h:99999", "Invalid port in Kubernetes master URL: k8s://h:99999"},
        {"k8s://", "Kubernetes master URL has no host: k8s://"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        struct spark_k8s_master m;
        struct slu_err err = {0};
        assert_int_equal(spark_k8s_master_parse(bad[i].in, &m, &err), SLU_EINVAL);
        if (strcmp(err.msg, bad[i].msg) != 0)
            fail_msg("%s: got \"%s\"", bad[i].in, err.msg);
        assert_null(m.url);
        slu_err_release(&err);
    }
}

static void test_submission_id(void **state)
{
    (void)state;
    struct spark_submission_id id;
    assert_int_equal(spark_submission_id_parse("spark:spark-pi-driver", &id, NULL), 0);
    assert_string_equal(id.namespace_, "spark");
    assert_string_equal(id.pod, "spark-pi-driver");
    assert_false(id.glob);
    assert_true(spark_submission_id_matches(&id, "spark-pi-driver"));
    assert_false(spark_submission_id_matches(&id, "spark-pi-driver-2"));
    spark_submission_id_release(&id);
    assert_int_equal(spark_submission_id_parse("spark-pi-*", &id, NULL), 0);
    assert_null(id.namespace_);
    assert_string_equal(id.pod, "spark-pi-");
    assert_true(id.glob);
    assert_true(spark_submission_id_matches(&id, "spark-pi-1a2b-driver"));
    assert_false(spark_submission_id_matches(&id, "other-driver"));
    spark_submission_id_release(&id);
    assert_int_equal(spark_submission_id_parse("ns:*", &id, NULL), 0);
    assert_true(id.glob);
    assert_true(spark_submission_id_matches(&id, "anything"));
    spark_submission_id_release(&id);
    assert_int_equal(spark_submission_id_parse("ns:a:b", &id, NULL), 0);
    assert_string_equal(id.namespace_, "ns");
    assert_string_equal(id.pod, "a:b");
    spark_submission_id_release(&id);
    assert_int_equal(spark_submission_id_parse("", &id, NULL), SLU_EINVAL);
    assert_int_equal(spark_submission_id_parse("ns:", &id, NULL), SLU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_value_option),
        cmocka_unit_test(test_every_switch),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_conf_pairs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_resource_and_app_args),
        cmocka_unit_test(test_option_table),
        cmocka_unit_test(test_resolve_flags_win),
        cmocka_unit_test(test_resolve_env_and_files),
        cmocka_unit_test(test_resolve_validation),
        cmocka_unit_test(test_k8s_master),
        cmocka_unit_test(test_submission_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
