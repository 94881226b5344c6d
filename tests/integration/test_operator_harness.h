/* test_operator_harness.h - shared by tests/integration/test_operator*.c: starts `$SLUICE sim` and
 * `$SLUICE operator` as child processes (logs in a temp dir, kept when a test fails), applies the
 * SparkApplication CRD (deploy/crds/, else the Kubeflow reference CRD), builds small
 * SparkApplications for the sim's Spark driver model, and waits for states with bounded polls. */
#ifndef TEST_OPERATOR_HARNESS_H
#define TEST_OPERATOR_HARNESS_H

#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#include "kube/kube.h"
#include "operator/operator.h"
#include "spark/spark.h"

#define H_MAX_OPS 4

struct harness {
    pid_t sim_pid;
    pid_t op_pid[H_MAX_OPS];
    int op_port[H_MAX_OPS];
    char dir[64];
    char kcfg[128];
    struct kube_config *cfg;
    struct kube_client *c;
};

static struct harness H;

static inline int h_sim_start(const char *faults, const char *time_scale, const char *nodes)
{
    memset(&H, 0, sizeof H);
    const char *bin = getenv("SLUICE");
    if (!bin || !*bin) {
        fprintf(stderr, "SLUICE is not set\n");
        return -1;
    }
    snprintf(H.dir, sizeof H.dir, "/tmp/slu-itop-XXXXXX");
    if (!mkdtemp(H.dir))
        return -1;
    snprintf(H.kcfg, sizeof H.kcfg, "%s/kubeconfig", H.dir);
    char logp[128];
    snprintf(logp, sizeof logp, "%s/sim.log", H.dir);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
        if (!freopen(logp, "w", stderr))
            _exit(126);
        const char *argv[16] = {bin, "sim", "--listen", "127.0.0.1:0", "--kubeconfig-out", H.kcfg};
        int n = 6;
        if (faults) {
            argv[n++] = "--faults";
            argv[n++] = faults;
        }
        argv[n++] = "--time-scale";
        argv[n++] = time_scale ? time_scale : "20";
        argv[n++] = "--nodes";
        argv[n++] = nodes ? nodes : "4x1000c4000Gi:pods=3000";
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    H.sim_pid = pid;
    for (int i = 0; i < 3000; i++) {
        struct stat st;
        if (stat(H.kcfg, &st) == 0 && st.st_size > 0)
            break;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "sluice sim exited early; see %s\n", logp);
            H.sim_pid = 0;
            return -1;
        }
        slu_sleep_ms(10);
    }
    struct slu_err err = {0};
    if (kube_config_load(H.kcfg, NULL, &H.cfg, &err) < 0) {
        fprintf(stderr, "kubeconfig: %s\n", err.msg);
        slu_err_release(&err);
        return -1;
    }
    H.cfg->qps = 2000;
    H.cfg->burst = 4000;
    H.c = kube_client_new(H.cfg, &err);
    if (!H.c) {
        fprintf(stderr, "client: %s\n", err.msg);
        slu_err_release(&err);
        return -1;
    }
    return 0;
}

/* Applies the SparkApplication CRD and waits until the kind is served. */
static inline int h_apply_crd(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml",
             slu_test_source_dir());
    struct stat st;
    if (stat(path, &st) != 0)
        snprintf(path, sizeof path,
                 "%s/reference/kubeflow-spark-operator/crds/"
                 "sparkoperator.k8s.io_sparkapplications.yaml",
                 slu_test_shared_dir());
    json_t *docs = NULL;
    struct slu_err err = {0};
    if (slu_yaml_load_file(path, NULL, &docs, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    int rc = kube_create(H.c, &KUBE_RES_CRDS, NULL, json_array_get(docs, 0), NULL, &err);
    json_decref(docs);
    if (rc < 0 && rc != SLU_EEXIST) {
        fprintf(stderr, "CRD: %s\n", err.msg);
        slu_err_release(&err);
        return -1;
    }
    slu_err_release(&err);
    for (int i = 0; i < 500; i++) {
        json_t *l = NULL;
        if (kube_list(H.c, &OP_RES_SPARKAPPS, "default", NULL, &l, NULL) == 0) {
            json_decref(l);
            return 0;
        }
        slu_sleep_ms(20);
    }
    return -1;
}

static inline size_t h_curl_write(char *p, size_t sz, size_t n, void *ud)
{
    slu_buf_append(ud, p, sz * n);
    return sz * n;
}

/* GET http://127.0.0.1:port/path into out (string, owned); returns the HTTP status or -1. */
static inline int h_http_get(int port, const char *path, char **out)
{
    CURL *e = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct slu_buf b = {0};
    slu_buf_puts(&b, "");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
    long code = -1;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(e);
    *out = slu_buf_steal(&b);
    return (int)code;
}

/* A metric's value from the operator's /metrics, or -1. */
static inline double h_metric(int idx, const char *name)
{
    char *body = NULL;
    double v = -1;
    if (h_http_get(H.op_port[idx], "/metrics", &body) == 200) {
        size_t nl = strlen(name);
        for (char *p = body; p && *p;) {
            char *eol = strchr(p, '\n');
            if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
                char num[64];
                size_t len = eol ? (size_t)(eol - p - (ptrdiff_t)nl - 1) : strlen(p + nl + 1);
                snprintf(num, sizeof num, "%.*s", (int)SLU_MIN(len, sizeof num - 1), p + nl + 1);
                slu_parse_double(num, &v);
                break;
            }
            p = eol ? eol + 1 : NULL;
        }
    }
    free(body);
    return v;
}

/* Starts operator number idx with extra args (NULL-terminated, may be NULL). */
static inline int h_op_start(int idx, const char *const *extra)
{
    const char *bin = getenv("SLUICE");
    char logp[128];
    snprintf(logp, sizeof logp, "%s/operator-%d.log", H.dir, idx);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen(logp, "a", stderr))
            _exit(126);
        const char *argv[32] = {bin,
                                "operator",
                                "--kubeconfig",
                                H.kcfg,
                                "--metrics-listen",
                                "127.0.0.1:0",
                                "--qps",
                                "2000",
                                "--burst",
                                "4000",
                                "--log-level",
                                getenv("SLU_OP_LOG_LEVEL") ? getenv("SLU_OP_LOG_LEVEL") : "info"};
        int n = 12;
        for (int i = 0; extra && extra[i] && n < 30; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    H.op_pid[idx] = pid;
    H.op_port[idx] = 0;
    /* the port is announced on stderr; read it from the end of the log */
    for (int i = 0; i < 1000 && !H.op_port[idx]; i++) {
        struct slu_buf b = {0};
        if (slu_read_file(logp, 16 << 20, &b, NULL) == 0 && b.data) {
            slu_buf_putc(&b, 0); /* terminate explicitly: search with the length */
            const char *last = NULL, *p = b.data, *end = b.data + b.len;
            const char *pat = "metrics on http://127.0.0.1:";
            while (p < end && (p = memmem(p, (size_t)(end - p), pat, strlen(pat))) != NULL)
                last = p++;
            int64_t port;
            if (last) {
                char num[8] = {0};
                const char *q = last + strlen("metrics on http://127.0.0.1:");
                for (int k = 0; k < 7 && q[k] >= '0' && q[k] <= '9'; k++)
                    num[k] = q[k];
                if (slu_parse_i64(num, &port) == 0)
                    H.op_port[idx] = (int)port;
            }
        }
        slu_buf_release(&b);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "sluice operator exited early; see %s\n", logp);
            H.op_pid[idx] = 0;
            return -1;
        }
        if (!H.op_port[idx])
            slu_sleep_ms(10);
    }
    return H.op_port[idx] ? 0 : -1;
}

static inline void h_op_kill(int idx, int sig)
{
    if (H.op_pid[idx] <= 0)
        return;
    kill(H.op_pid[idx], sig);
    int status;
    for (int i = 0; i < 1000; i++) {
        if (waitpid(H.op_pid[idx], &status, WNOHANG) == H.op_pid[idx]) {
            H.op_pid[idx] = 0;
            return;
        }
        slu_sleep_ms(10);
    }
    kill(H.op_pid[idx], SIGKILL);
    waitpid(H.op_pid[idx], &status, 0);
    H.op_pid[idx] = 0;
}

static inline bool h_log_contains(int idx, const char *needle)
{
    char logp[128];
    snprintf(logp, sizeof logp, "%s/operator-%d.log", H.dir, idx);
    struct slu_buf b = {0};
    bool found = slu_read_file(logp, 64 << 20, &b, NULL) == 0 && b.data &&
                 memmem(b.data, b.len, needle, strlen(needle)) != NULL;
    slu_buf_release(&b);
    return found;
}

static inline void h_down(bool keep_logs)
{
    for (int i = 0; i < H_MAX_OPS; i++)
        h_op_kill(i, SIGTERM);
    kube_client_free(H.c);
    kube_config_free(H.cfg);
    if (H.sim_pid > 0) {
        kill(H.sim_pid, SIGTERM);
        int status;
        for (int i = 0; i < 500 && H.sim_pid; i++) {
            if (waitpid(H.sim_pid, &status, WNOHANG) == H.sim_pid)
                H.sim_pid = 0;
            else
                slu_sleep_ms(10);
        }
        if (H.sim_pid > 0) {
            kill(H.sim_pid, SIGKILL);
            waitpid(H.sim_pid, &status, 0);
        }
    }
    if (keep_logs || getenv("SLU_KEEP_LOGS")) {
        fprintf(stderr, "logs kept in %s\n", H.dir);
    } else {
        char *cmd = slu_asprintf("rm -rf '%s'", H.dir);
        int rc = system(cmd);
        (void)rc;
        free(cmd);
    }
    memset(&H, 0, sizeof H);
}

/* A small SparkApplication for the sim's driver model: work_cs core-seconds of model work (1
 * executor, 1 core), fail: NULL or a sim.sluice.dev/fail mode. Returned owned. */
static inline json_t *h_app(const char *name, double work_cs, const char *fail)
{
    char work[32];
    snprintf(work, sizeof work, "%g", work_cs);
    json_t *app = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:i, s:s, s:s, s:{s:s}}, "
        "s:{s:i, s:i, s:s, s:s}}}",
        "apiVersion", "sparkoperator.k8s.io/v1beta2", "kind", "SparkApplication", "metadata",
        "name", name, "namespace", "default", "spec", "type", "Scala", "mode", "cluster", "image",
        "spark:3.5.1", "sparkVersion", "3.5.1", "mainClass", "org.apache.spark.examples.SparkPi",
        "mainApplicationFile", "local:///opt/spark/examples/jars/spark-examples.jar", "driver",
        "cores", 1, "coreRequest", "10m", "memory", "512m", "annotations",
        "sim.sluice.dev/work-core-seconds", work, "executor", "cores", 1, "instances", 1,
        "coreRequest", "10m", "memory", "512m");
    if (fail)
        json_object_set_new(slu_json_path(app, "spec.driver.annotations"), "sim.sluice.dev/fail",
                            json_string(fail));
    return app;
}

static inline int h_create(json_t *app)
{
    struct slu_err err = {0};
    int rc = kube_create(H.c, &OP_RES_SPARKAPPS, "default", app, NULL, &err);
    if (rc)
        fprintf(stderr, "create %s: %s\n", slu_json_str(app, "metadata.name"), err.msg);
    slu_err_release(&err);
    return rc;
}

static inline json_t *h_get(const char *name)
{
    json_t *o = NULL;
    if (kube_get(H.c, &OP_RES_SPARKAPPS, "default", name, &o, NULL) < 0)
        return NULL;
    return o;
}

/* Merge-patches the app's spec/metadata. */
static inline int h_patch(const char *name, const char *json)
{
    json_t *p = json_loads(json, 0, NULL);
    struct slu_err err = {0};
    int rc = kube_patch(H.c, &OP_RES_SPARKAPPS, "default", name, NULL, KUBE_PATCH_MERGE, p, NULL,
                        NULL, &err);
    if (rc)
        fprintf(stderr, "patch %s: %s\n", name, err.msg);
    slu_err_release(&err);
    json_decref(p);
    return rc;
}

/* Polls until the app's state is `state` (or, with any_terminal, COMPLETED/FAILED) or timeout. */
static inline bool h_wait_state(const char *name, const char *state, int64_t timeout_ms)
{
    int64_t end = slu_now_mono_ns() + timeout_ms * 1000000;
    const char *last = NULL;
    char lastbuf[64] = "";
    while (slu_now_mono_ns() < end) {
        json_t *o = h_get(name);
        last = slu_json_str(o, "status.applicationState.state");
        slu_strlcpy(lastbuf, last ? last : "(none)", sizeof lastbuf);
        bool ok = last && strcmp(last, state) == 0;
        json_decref(o);
        if (ok)
            return true;
        slu_sleep_ms(50);
    }
    fprintf(stderr, "%s: waited for %s, last state %s\n", name, state, lastbuf);
    return false;
}

/* Counts apps by state into a JSON object state -> n (owned). */
static inline json_t *h_count_states(void)
{
    json_t *l = NULL;
    json_t *counts = json_object();
    if (kube_list_all(H.c, &OP_RES_SPARKAPPS, "default", NULL, &l, NULL) == 0) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(l, "items"), i, a)
        {
            const char *s = slu_json_str(a, "status.applicationState.state");
            if (!s || !*s)
                s = "NEW";
            json_object_set_new(counts, s, json_integer(slu_json_int(counts, s, 0) + 1));
        }
    }
    json_decref(l);
    return counts;
}

/* Waits until n apps are COMPLETED; prints the histogram on timeout. */
static inline bool h_wait_completed(int64_t n, int64_t timeout_ms)
{
    int64_t end = slu_now_mono_ns() + timeout_ms * 1000000;
    json_t *c = NULL;
    while (slu_now_mono_ns() < end) {
        json_decref(c);
        c = h_count_states();
        if (slu_json_int(c, "COMPLETED", 0) >= n) {
            json_decref(c);
            return true;
        }
        slu_sleep_ms(250);
    }
    char *s = json_dumps(c, JSON_COMPACT);
    fprintf(stderr, "apps by state after the wait: %s\n", s);
    free(s);
    json_decref(c);
    return false;
}

#endif
