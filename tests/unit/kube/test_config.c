/* test_config.c - kubeconfig loading (contexts, merging, data fields, files, token files, exec
 * plugins), in-cluster config, and clear errors for malformed kubeconfigs. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "kube/client_priv.h"

static char tmpdir[256];

static const char CA_PEM[] = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
static const char KEY_PEM[] = "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n";

static char *path_in(const char *name)
{
    return slu_asprintf("%s/%s", tmpdir, name);
}

static char *write_tmp(const char *name, const char *content, int mode)
{
    char *p = path_in(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    chmod(p, (mode_t)mode);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/slu-kcfg-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = slu_asprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
    return 0;
}

static void test_basic_context(void **state)
{
    (void)state;
    char *ca64 = slu_base64_encode(CA_PEM, strlen(CA_PEM));
    char *y = slu_asprintf("apiVersion: v1\n"
                           "kind: Config\n"
                           "current-context: dev\n"
                           "clusters:\n"
                           "- name: c1\n"
                           "  cluster:\n"
                           "    server: https://10.0.0.1:6443/\n"
                           "    certificate-authority-data: %s\n"
                           "    tls-server-name: api.internal\n"
                           "- name: c2\n"
                           "  cluster:\n"
                           "    server: http://127.0.0.1:8080\n"
                           "    insecure-skip-tls-verify: true\n"
                           "contexts:\n"
                           "- name: dev\n"
                           "  context: {cluster: c1, user: alice, namespace: team-a}\n"
                           "- name: other\n"
                           "  context: {cluster: c2, user: bob}\n"
                           "users:\n"
                           "- name: alice\n"
                           "  user: {token: s3cret}\n"
                           "- name: bob\n"
                           "  user: {username: bob, password: pw}\n",
                           ca64);
    char *p = write_tmp("basic.yaml", y, 0600);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_config_load(p, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://10.0.0.1:6443");
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_string_equal(cfg->token, "s3cret");
    assert_string_equal(cfg->namespace, "team-a");
    assert_string_equal(cfg->context_name, "dev");
    assert_string_equal(cfg->tls_server_name, "api.internal");
    assert_false(cfg->insecure_skip_tls_verify);
    assert_true(cfg->qps == 50 && cfg->burst == 100 && cfg->timeout_ms == 30000);
    kube_config_free(cfg);

    assert_int_equal(kube_config_load(p, "other", &cfg, &err), 0);
    assert_string_equal(cfg->server, "http://127.0.0.1:8080");
    assert_true(cfg->insecure_skip_tls_verify);
    assert_null(cfg->token);
    assert_string_equal(cfg->username, "bob");
    assert_string_equal(cfg->password, "pw");
    assert_string_equal(cfg->namespace, "default");
    kube_config_free(cfg);

    assert_int_equal(kube_config_load(p, "nope", &cfg, &err), SLU_EINVAL);
    assert_null(cfg);
    assert_non_null(strstr(err.msg, "context \"nope\" not found"));
    slu_err_release(&err);
    free(p);
    free(y);
    free(ca64);
}

static void test_merge_kubeconfig_env(void **state)
{
    (void)state;
    char *a = write_tmp("a.yaml",
                        "clusters:\n"
                        "- name: shared\n"
                        "  cluster: {server: 'https://first:1'}\n"
                        "contexts:\n"
                        "- name: ctx\n"
                        "  context: {cluster: shared, user: u}\n",
                        0600);
    char *b = write_tmp("b.yaml",
                        "current-context: ctx\n"
                        "clusters:\n"
                        "- name: shared\n"
                        "  cluster: {server: 'https://second:2'}\n"
                        "- name: only-b\n"
                        "  cluster: {server: 'https://b:3'}\n"
                        "contexts:\n"
                        "- name: ctx\n"
                        "  context: {cluster: only-b}\n"
                        "- name: ctx-b\n"
                        "  context: {cluster: only-b, user: u}\n"
                        "users:\n"
                        "- name: u\n"
                        "  user: {token: from-b}\n",
                        0600);
    char *missing = path_in("missing.yaml");
    char *env = slu_asprintf("%s:%s:%s", missing, a, b);
    setenv("KUBECONFIG", env, 1);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    /* current-context from b (a does not set it); ctx and cluster "shared" from a (first wins) */
    assert_int_equal(kube_config_load(NULL, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->context_name, "ctx");
    assert_string_equal(cfg->server, "https://first:1");
    assert_string_equal(cfg->token, "from-b");
    kube_config_free(cfg);
    assert_int_equal(kube_config_load(NULL, "ctx-b", &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://b:3");
    kube_config_free(cfg);
    /* kube_config_auto prefers $KUBECONFIG over in-cluster */
    setenv("KUBERNETES_SERVICE_HOST", "10.1.1.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube_config_auto(NULL, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://first:1");
    kube_config_free(cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    /* nothing in $KUBECONFIG exists */
    setenv("KUBECONFIG", missing, 1);
    assert_int_equal(kube_config_load(NULL, NULL, &cfg, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "none of the files"));
    slu_err_release(&err);
    unsetenv("KUBECONFIG");
    free(env);
    free(missing);
    free(a);
    free(b);
}

static void test_files_relative_and_token_file(void **state)
{
    (void)state;
    char *sub = path_in("sub");
    mkdir(sub, 0700);
    char *ca = write_tmp("sub/ca.crt", CA_PEM, 0600);
    char *crt = write_tmp("sub/client.crt", CA_PEM, 0600);
    char *key = write_tmp("sub/client.key", KEY_PEM, 0600);
    char *tok = write_tmp("sub/token", "  tok-from-file\n", 0600);
    char *p = write_tmp("sub/config",
                        "current-context: x\n"
                        "clusters:\n"
                        "- name: c\n"
                        "  cluster:\n"
                        "    server: https://h:6443\n"
                        "    certificate-authority: ca.crt\n"
                        "contexts:\n"
                        "- name: x\n"
                        "  context: {cluster: c, user: u}\n"
                        "users:\n"
                        "- name: u\n"
                        "  user:\n"
                        "    client-certificate: client.crt\n"
                        "    client-key: client.key\n"
                        "    tokenFile: token\n",
                        0600);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_config_load(p, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_string_equal(cfg->client_cert_pem, CA_PEM);
    assert_string_equal(cfg->client_key_pem, KEY_PEM);
    assert_string_equal(cfg->token, "tok-from-file");
    assert_string_equal(cfg->token_file, tok);
    kube_config_free(cfg);
    free(p);
    free(ca);
    free(crt);
    free(key);
    free(tok);
    free(sub);
}

static void test_data_fields(void **state)
{
    (void)state;
    char *c64 = slu_base64_encode(CA_PEM, strlen(CA_PEM));
    char *k64 = slu_base64_encode(KEY_PEM, strlen(KEY_PEM));
    char *y = slu_asprintf("current-context: x\n"
                           "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                           "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                           "users:\n"
                           "- name: u\n"
                           "  user:\n"
                           "    client-certificate-data: %s\n"
                           "    client-key-data: %s\n",
                           c64, k64);
    char *p = write_tmp("data.yaml", y, 0600);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_config_load(p, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->client_cert_pem, CA_PEM);
    assert_string_equal(cfg->client_key_pem, KEY_PEM);
    assert_string_equal(cfg->server, "https://h");
    kube_config_free(cfg);
    free(p);
    free(y);
    free(c64);
    free(k64);
}

static const char *EXEC_SCRIPT =
    "#!/bin/sh\n"
    "# prints an ExecCredential; counts its runs in $COUNT_FILE\n"
    "echo run >> \"$COUNT_FILE\"\n"
    "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) echo bad info >&2; exit "
    "3;; "
    "esac\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-%s\",\"expirationTimestamp\":\"2200-01-01T00:00:00Z\"}}' "
    "\"$1\"\n";

static void test_exec_plugin(void **state)
{
    (void)state;
    char *script = write_tmp("plugin.sh", EXEC_SCRIPT, 0700);
    char *count = path_in("count");
    char *y = slu_asprintf("current-context: x\n"
                           "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                           "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                           "users:\n"
                           "- name: u\n"
                           "  user:\n"
                           "    exec:\n"
                           "      apiVersion: client.authentication.k8s.io/v1\n"
                           "      command: ./plugin.sh\n"
                           "      args: [abc]\n"
                           "      env: [{name: COUNT_FILE, value: '%s'}]\n",
                           count);
    char *p = write_tmp("exec.yaml", y, 0600);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_config_load(p, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->exec_command, script); /* relative to the kubeconfig's dir */
    assert_string_equal(cfg->exec_args[0], "abc");
    assert_null(cfg->exec_args[1]);
    struct kube__exec_cred cred = {0};
    assert_int_equal(kube__exec_run(cfg, &cred, &err), 0);
    assert_string_equal(cred.token, "tok-abc");
    assert_true(cred.expiry_ns > (int64_t)7e18);
    kube__exec_cred_release(&cred);
    struct slu_buf b = {0};
    assert_int_equal(slu_read_file(count, 1000, &b, NULL), 0);
    assert_string_equal(b.data, "run\n");
    slu_buf_release(&b);

    /* a failing plugin: exit status and stderr in the message */
    free(cfg->exec_command);
    cfg->exec_command =
        write_tmp("fail.sh", "#!/bin/sh\necho 'login required' >&2\nexit 4\n", 0700);
    assert_int_equal(kube__exec_run(cfg, &cred, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "exit status 4"));
    assert_non_null(strstr(err.msg, "login required"));
    slu_err_release(&err);
    /* a plugin that does not exist */
    free(cfg->exec_command);
    cfg->exec_command = path_in("no-such-plugin");
    assert_true(kube__exec_run(cfg, &cred, &err) < 0);
    assert_non_null(strstr(err.msg, "no-such-plugin"));
    slu_err_release(&err);
    kube_config_free(cfg);
    free(p);
    free(y);
    free(count);
    free(script);
}

static void test_exec_parse(void **state)
{
    (void)state;
    struct kube__exec_cred c = {0};
    struct slu_err err = {0};
    const char *v1 = "client.authentication.k8s.io/v1";
    const char *ok = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                     "\"ExecCredential\",\"status\":{\"clientCertificateData\":\"C\","
                     "\"clientKeyData\":\"K\"}}";
    assert_int_equal(kube__exec_parse(v1, ok, strlen(ok), &c, &err), 0);
    assert_string_equal(c.cert_pem, "C");
    assert_string_equal(c.key_pem, "K");
    assert_null(c.token);
    assert_int_equal(c.expiry_ns, 0);
    kube__exec_cred_release(&c);
    const struct {
        const char *json;
        const char *msg;
    } bad[] = {
        {"not json", "not JSON"},
        {"{\"kind\":\"Other\"}", "not ExecCredential"},
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
         "\"status\":{\"token\":\"t\"}}",
         "does not match"},
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\"}",
         "no status"},
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
         "\"status\":{}}",
         "neither a token"},
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
         "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}}",
         "not RFC 3339"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        int rc = kube__exec_parse(v1, bad[i].json, strlen(bad[i].json), &c, &err);
        assert_true(rc < 0);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg, bad[i].msg);
        slu_err_release(&err);
        kube__exec_cred_release(&c);
    }
}

static void test_in_cluster(void **state)
{
    (void)state;
    char *sa = path_in("sa");
    mkdir(sa, 0700);
    char *t = write_tmp("sa/token", "sa-token\n", 0600);
    char *ca = write_tmp("sa/ca.crt", CA_PEM, 0600);
    char *ns = write_tmp("sa/namespace", "spark-jobs", 0600);
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube__config_in_cluster_dir(sa, &cfg, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "KUBERNETES_SERVICE_HOST"));
    slu_err_release(&err);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube__config_in_cluster_dir(sa, &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://[fd00::1]:443");
    assert_string_equal(cfg->token, "sa-token");
    assert_string_equal(cfg->token_file, t);
    assert_string_equal(cfg->ca_pem, CA_PEM);
    assert_string_equal(cfg->namespace, "spark-jobs");
    kube_config_free(cfg);
    setenv("KUBERNETES_SERVICE_PORT", "http", 1);
    assert_int_equal(kube__config_in_cluster_dir(sa, &cfg, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "not a port"));
    slu_err_release(&err);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    free(sa);
    free(t);
    free(ca);
    free(ns);
}

/* Malformed kubeconfigs: each must fail with a message naming the problem, never crash. */
static void test_malformed(void **state)
{
    (void)state;
    const struct {
        const char *yaml;
        const char *msg;
    } cases[] = {
        {"clusters: [\n", "line"},
        {"- a\n- b\n", "expected a mapping"},
        {"kind: Pod\n", "expected Config"},
        {"clusters: {a: b}\n", "clusters: expected a list"},
        {"clusters: [42]\n", "clusters[0]: expected a mapping"},
        {"clusters: [{cluster: {server: 'https://x'}}]\n", "clusters[0]: missing \"name\""},
        {"clusters: [{name: c, cluster: [1]}]\n", "expected a mapping"},
        {"contexts: [{name: x, context: {cluster: c}}]\n", "no current-context"},
        {"current-context: [x]\n", "current-context: expected a string"},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
         "cluster \"c\" not found"},
        {"current-context: x\ncontexts: [{name: x, context: {user: u}}]\n", "no cluster"},
        {"current-context: x\nclusters: [{name: c, cluster: {}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "clusters[\"c\"]: no server"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'ftp://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "not an http(s) URL"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 42}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "server: expected a string"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x', "
         "certificate-authority-data: '!!!'}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "certificate-authority-data: not valid base64"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x', "
         "certificate-authority-data: aGVsbG8=}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "decoded data is not PEM"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x', "
         "certificate-authority: /nonexistent/ca.crt}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "certificate-authority"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x', "
         "insecure-skip-tls-verify: maybe}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\n",
         "expected true or false"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
         "user \"u\" not found"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {token: t, username: a, password: b}}]\n",
         "more than one authentication method"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {tokenFile: /nonexistent/token}}]\n",
         "tokenFile"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {exec: {command: x}}}]\n",
         "exec: no apiVersion"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {exec: {command: x, apiVersion: "
         "client.authentication.k8s.io/v1alpha1}}}]\n",
         "is not supported"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {exec: {command: x, apiVersion: "
         "client.authentication.k8s.io/v1, env: [{name: A}]}}}]\n",
         "env[0]"},
        {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://x'}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
         "auth-provider"},
        {"a: &a [1]\nb: *a\nc: *a\nd: *a\nkind: Config\n---\nkind: Config\n", "more than one"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        char name[32];
        snprintf(name, sizeof(name), "bad%zu.yaml", i);
        char *p = write_tmp(name, cases[i].yaml, 0600);
        struct kube_config *cfg = NULL;
        struct slu_err err = {0};
        int rc = kube_config_load(p, NULL, &cfg, &err);
        if (rc >= 0)
            fail_msg("case %zu loaded although malformed", i);
        assert_null(cfg);
        assert_int_equal(err.code, rc);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
        slu_err_release(&err);
        free(p);
    }
    /* an explicit path that does not exist, and a directory */
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_config_load("/nonexistent/kubeconfig", NULL, &cfg, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/kubeconfig"));
    slu_err_release(&err);
    assert_int_equal(kube_config_load(tmpdir, NULL, &cfg, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "directory"));
    slu_err_release(&err);
}

/* Random mutations of a valid kubeconfig must never crash (errors or success, both fine). */
static void test_mutations_do_not_crash(void **state)
{
    (void)state;
    const char *base = "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: 'https://x:1', "
                       "certificate-authority-data: LS0tLS1CRUdJTiBY}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u, namespace: n}}]\n"
                       "users: [{name: u, user: {token: t}}]\n";
    size_t n = strlen(base);
    char *buf = slu_malloc(n + 1);
    uint64_t seed = 12345;
    for (int iter = 0; iter < 300; iter++) {
        memcpy(buf, base, n + 1);
        for (int k = 0; k < 3; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t pos = (size_t)(seed >> 33) % n;
            static const char junk[] = "{}[]:,'\"-&*!# \n\tx0";
            buf[pos] = junk[(seed >> 20) % (sizeof(junk) - 1)];
        }
        char *p = write_tmp("mut.yaml", buf, 0600);
        struct kube_config *cfg = NULL;
        struct slu_err err = {0};
        int rc = kube_config_load(p, NULL, &cfg, &err);
        if (rc < 0) {
            assert_null(cfg);
            assert_true(err.msg[0] != '\0');
        } else {
            assert_non_null(cfg->server);
        }
        kube_config_free(cfg);
        slu_err_release(&err);
        free(p);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_context),
        cmocka_unit_test(test_merge_kubeconfig_env),
        cmocka_unit_test(test_files_relative_and_token_file),
        cmocka_unit_test(test_data_fields),
        cmocka_unit_test(test_exec_plugin),
        cmocka_unit_test(test_exec_parse),
        cmocka_unit_test(test_in_cluster),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mutations_do_not_crash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
