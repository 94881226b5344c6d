/*
 * bench_operator.c - throughput and cost of `sluice operator` against `sluice sim` (never part of
 * the tests). For each N given (default 1000 and 10000):
 *   1. starts a sim (time scale 50, nodes big enough for every driver and executor at once) and
 *      applies the SparkApplication CRD;
 *   2. measures the sim's own ceiling: ConfigMaps created per second by the bench's client
 *      threads alone (the same client, connections and thread count used for the apps);
 *   3. starts the operator as a child process, creates N small SparkApplications from 8 threads,
 *      and times, from the first create, when every app has a driver pod (informer on pods
 *      spark-role=driver) and when every app is COMPLETED (informer on the apps);
 *   4. stops the operator with SIGTERM and reads its CPU time and peak RSS with wait4().
 * Prints one Markdown table row per N (for docs/benchmarks.md).
 *
 * The operator runs with --workers 2 (SLU_BENCH_WORKERS=N to change it): on 2 cores shared with
 * the sim, fewer workers batch more events per reconcile and cost less CPU per application
 * (docs/benchmarks.md, "Operator": 4 workers cost ~25% more per app at 10,000 apps).
 * Usage: SLUICE=build/sluice build/bench_operator [N...]   (run from the source tree root, or set
 * SLU_SOURCE_DIR / SLU_SHARED_DIR for the CRD)
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kube/kube.h"
#include "operator/operator.h"
#include "spark/spark.h"

#define THREADS 8

static const char *BIN;
static char DIR_[64], KCFG[128];
static struct kube_client *C;
static atomic_long DRIVERS, COMPLETED;
static atomic_llong T_DRIVERS_NS, T_COMPLETED_NS;
static long NAPPS;

static pid_t spawn(const char *const *argv, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(126);
        execv(BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static const char *source_dir(void)
{
    const char *s = getenv("SLU_SOURCE_DIR");
    return s ? s : ".";
}

static int apply_crd(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml",
             source_dir());
    json_t *docs = NULL;
    struct slu_err err = {0};
    if (slu_yaml_load_file(path, NULL, &docs, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    int rc = kube_create(C, &KUBE_RES_CRDS, NULL, json_array_get(docs, 0), NULL, &err);
    json_decref(docs);
    if (rc < 0) {
        fprintf(stderr, "CRD: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < 500; i++) {
        json_t *l = NULL;
        if (kube_list(C, &OP_RES_SPARKAPPS, "default", NULL, &l, NULL) == 0) {
            json_decref(l);
            return 0;
        }
        slu_sleep_ms(20);
    }
    return -1;
}

struct job {
    int tid;
    long n;
    bool configmaps;
    char prefix[16];
};

static void *creator(void *arg)
{
    struct job *j = arg;
    for (long i = j->tid; i < j->n; i += THREADS) {
        char name[64];
        snprintf(name, sizeof name, "%s-%ld", j->prefix, i);
        json_t *o;
        const struct kube_resource *r;
        if (j->configmaps) {
            o = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                          "metadata", "name", name, "data", "k", "v");
            r = &KUBE_RES_CONFIGMAPS;
        } else {
            o = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:i, s:s, "
                          "s:s, s:{s:s}}, s:{s:i, s:i, s:s, s:s}}}",
                          "apiVersion", "sparkoperator.k8s.io/v1beta2", "kind", "SparkApplication",
                          "metadata", "name", name, "spec", "type", "Scala", "mode", "cluster",
                          "image", "spark:3.5.1", "sparkVersion", "3.5.1", "mainClass",
                          "org.apache.spark.examples.SparkPi", "mainApplicationFile",
                          "local:///opt/spark/examples/jars/spark-examples.jar", "driver", "cores",
                          1, "coreRequest", "1m", "memory", "512m", "annotations",
                          "sim.sluice.dev/work-core-seconds", "2", "executor", "cores", 1,
                          "instances", 1, "coreRequest", "1m", "memory", "512m");
            r = &OP_RES_SPARKAPPS;
        }
        struct slu_err err = {0};
        if (kube_create(C, r, "default", o, NULL, &err) < 0)
            fprintf(stderr, "create %s: %s\n", name, err.msg);
        slu_err_release(&err);
        json_decref(o);
    }
    return NULL;
}

static double run_creators(long n, bool configmaps, const char *prefix)
{
    pthread_t th[THREADS];
    struct job jobs[THREADS];
    int64_t t0 = slu_now_mono_ns();
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct job){.tid = i, .n = n, .configmaps = configmaps};
        snprintf(jobs[i].prefix, sizeof jobs[i].prefix, "%s", prefix);
        pthread_create(&th[i], NULL, creator, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    return (double)(slu_now_mono_ns() - t0) / 1e9;
}

static void on_pod(void *ud, const json_t *o)
{
    (void)ud;
    (void)o;
    if (atomic_fetch_add(&DRIVERS, 1) + 1 == NAPPS)
        atomic_store(&T_DRIVERS_NS, slu_now_mono_ns());
}

static void on_app_update(void *ud, const json_t *o, const json_t *n)
{
    (void)ud;
    bool was = slu_streq(slu_json_str(o, "status.applicationState.state"), "COMPLETED");
    bool is = slu_streq(slu_json_str(n, "status.applicationState.state"), "COMPLETED");
    if (is && !was && atomic_fetch_add(&COMPLETED, 1) + 1 == NAPPS)
        atomic_store(&T_COMPLETED_NS, slu_now_mono_ns());
}

static json_t *project_min(const json_t *o)
{
    return json_pack("{s:{s:s?, s:s?, s:s?, s:s?}, s:{s:{s:s?}}}", "metadata", "name",
                     kube_object_name(o), "namespace", kube_object_namespace(o), "uid",
                     kube_object_uid(o), "resourceVersion", kube_object_rv(o), "status",
                     "applicationState", "state", slu_json_str(o, "status.applicationState.state"));
}

/* CPU seconds (user + system) of a running child, from /proc. */
static double proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    struct slu_buf b = {0};
    double v = -1;
    if (slu_read_file(path, 1 << 16, &b, NULL) == 0 && b.data) {
        const char *p = strrchr(b.data, ')'); /* the command may hold spaces */
        unsigned long long ut = 0, st = 0;
        if (p &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            v = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    }
    slu_buf_release(&b);
    return v;
}

/* Resident set of a running child in MB, from /proc, or -1. */
static long proc_rss_mb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    struct slu_buf b = {0};
    long v = -1;
    if (slu_read_file(path, 1 << 16, &b, NULL) == 0 && b.data) {
        const char *p = strstr(b.data, "VmRSS:");
        long kb;
        if (p && sscanf(p + 6, "%ld", &kb) == 1)
            v = kb / 1024;
    }
    slu_buf_release(&b);
    return v;
}

/* The operator's metrics port, from the line it prints at start ("metrics on http://H:P/"). */
static int op_metrics_port(const char *log)
{
    struct slu_buf text = {0};
    int port = 0;
    if (slu_read_file(log, 1 << 24, &text, NULL) == 0 && text.data) {
        const char *m = strstr(text.data, "metrics on http://");
        const char *colon = m ? strchr(m + 18, ':') : NULL;
        int64_t v;
        char num[8] = "";
        if (colon) {
            size_t k = 0;
            while (k < sizeof num - 1 && colon[1 + k] >= '0' && colon[1 + k] <= '9') {
                num[k] = colon[1 + k];
                k++;
            }
            num[k] = 0;
        }
        if (slu_parse_i64(num, &v) == 0)
            port = (int)v;
    }
    slu_buf_release(&text);
    return port;
}

/* Value of the unlabelled series `name` on 127.0.0.1:port/metrics, or -1. */
static double scrape(int port, const char *name)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    double v = -1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return v;
    }
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return v;
    }
    struct slu_buf b = {0};
    char chunk[8192];
    ssize_t k;
    while ((k = read(fd, chunk, sizeof chunk)) > 0 && b.len < (1u << 22))
        slu_buf_append(&b, chunk, (size_t)k);
    close(fd);
    slu_buf_puts(&b, "");
    size_t nl = strlen(name);
    for (const char *p = b.data; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
            char num[64];
            size_t len = eol ? (size_t)(eol - p - (ptrdiff_t)nl - 1) : strlen(p + nl + 1);
            snprintf(num, sizeof num, "%.*s", (int)SLU_MIN(len, sizeof num - 1), p + nl + 1);
            slu_parse_double(num, &v);
            break;
        }
        p = eol ? eol + 1 : NULL;
    }
    slu_buf_release(&b);
    return v;
}

static int bench(long n)
{
    NAPPS = n;
    atomic_store(&DRIVERS, 0);
    atomic_store(&COMPLETED, 0);
    atomic_store(&T_DRIVERS_NS, 0);
    atomic_store(&T_COMPLETED_NS, 0);
    snprintf(DIR_, sizeof DIR_, "/tmp/slu-bench-op-XXXXXX");
    if (!mkdtemp(DIR_))
        return -1;
    snprintf(KCFG, sizeof KCFG, "%s/kubeconfig", DIR_);
    char log[128];
    snprintf(log, sizeof log, "%s/sim.log", DIR_);
    const char *sargv[] = {BIN,
                           "sim",
                           "--listen",
                           "127.0.0.1:0",
                           "--kubeconfig-out",
                           KCFG,
                           "--nodes",
                           "8x100000c400000Gi:pods=100000",
                           "--time-scale",
                           "50",
                           NULL};
    pid_t sim = spawn(sargv, log);
    for (int i = 0; i < 3000; i++) {
        struct stat st;
        if (stat(KCFG, &st) == 0 && st.st_size > 0)
            break;
        slu_sleep_ms(10);
    }
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    if (kube_config_load(KCFG, NULL, &cfg, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    cfg->qps = 1e6;
    cfg->burst = 1e6;
    C = kube_client_new(cfg, &err);
    if (!C || apply_crd() < 0)
        return -1;
    /* the sim's ceiling: plain creates from the same client threads */
    long ncm = n < 5000 ? n : 5000;
    double cm_s = run_creators(ncm, true, "cm");
    double ceiling = (double)ncm / cm_s;

    /* watch drivers and apps */
    struct kube_informer_opts po = {.resource = &KUBE_RES_PODS,
                                    .namespace = "default",
                                    .label_selector = "spark-role=driver",
                                    .project = project_min,
                                    .compact = true};
    struct kube_informer_handlers ph = {on_pod, NULL, NULL, NULL};
    struct kube_informer *pinf = kube_informer_new(C, &po, &ph);
    struct kube_informer_opts ao = {.resource = &OP_RES_SPARKAPPS,
                                    .namespace = "default",
                                    .project = project_min,
                                    .compact = true};
    struct kube_informer_handlers ah = {NULL, on_app_update, NULL, NULL};
    struct kube_informer *ainf = kube_informer_new(C, &ao, &ah);
    kube_informer_start(pinf);
    kube_informer_start(ainf);
    kube_informer_wait_synced(pinf, 10000);
    kube_informer_wait_synced(ainf, 10000);

    snprintf(log, sizeof log, "%s/operator.log", DIR_);
    const char *workers = getenv("SLU_BENCH_WORKERS") ? getenv("SLU_BENCH_WORKERS") : "2";
    const char *level = getenv("SLU_BENCH_LOG_LEVEL") ? getenv("SLU_BENCH_LOG_LEVEL") : "warn";
    const char *oargv[] = {BIN,           "operator", "--kubeconfig", KCFG,      "--metrics-listen",
                           "127.0.0.1:0", "--qps",    "100000",       "--burst", "100000",
                           "--workers",   workers,    "--log-level",  level,     NULL};
    pid_t op = spawn(oargv, log);
    slu_sleep_ms(300); /* caches synced on an empty cluster */
    int64_t t0 = slu_now_mono_ns();
    double create_s = run_creators(n, false, "app");
    int64_t deadline = slu_now_mono_ns() + (int64_t)3600 * 1000000000LL;
    struct rusage ru;
    int status;
    bool op_died = false, drivers_told = false;
    int64_t next_report = slu_now_mono_ns() + 60 * 1000000000LL;
    while (atomic_load(&T_COMPLETED_NS) == 0 && slu_now_mono_ns() < deadline) {
        if (wait4(op, &status, WNOHANG, &ru) == op) {
            op_died = true;
            break;
        }
        /* progress on stderr, so that a run the sim cannot finish still tells something */
        if (!drivers_told && atomic_load(&T_DRIVERS_NS)) {
            drivers_told = true;
            double s_ = (double)(atomic_load(&T_DRIVERS_NS) - t0) / 1e9;
            fprintf(stderr, "all %ld driver pods after %.1f s (%.0f/min); operator CPU %.1f s\n", n,
                    s_, (double)n / s_ * 60, proc_cpu_s(op));
        }
        if (slu_now_mono_ns() >= next_report) {
            next_report += 60 * 1000000000LL;
            fprintf(stderr, "%.0f s: %ld/%ld COMPLETED; operator CPU %.1f s, RSS %ld MB\n",
                    (double)(slu_now_mono_ns() - t0) / 1e9, atomic_load(&COMPLETED), n,
                    proc_cpu_s(op), proc_rss_mb(op));
        }
        slu_sleep_ms(100);
    }
    if (op_died) {
        fprintf(stderr, "the operator ended early (status 0x%x): see %s/operator.log\n", status,
                DIR_);
        kill(sim, SIGTERM);
        waitpid(sim, &status, 0);
        return -1;
    }
    int port = op_metrics_port(log);
    double reconciles = scrape(port, "sluice_operator_reconcile_total");
    double api = scrape(port, "sluice_operator_api_requests_total");
    double writes = scrape(port, "sluice_operator_status_writes_total");
    if (getenv("SLU_BENCH_VERBOSE"))
        fprintf(stderr, "conflicts %.0f errors %.0f own-write echoes skipped %.0f relists %.0f\n",
                scrape(port, "sluice_operator_status_conflicts_total"),
                scrape(port, "sluice_operator_reconcile_errors_total"),
                scrape(port, "sluice_operator_own_writes_skipped_total"),
                scrape(port, "sluice_operator_informer_relists_total"));
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 1)
        load[0] = -1;
    kill(op, SIGTERM);
    wait4(op, &status, 0, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    double td = (double)(atomic_load(&T_DRIVERS_NS) - t0) / 1e9;
    double tc = (double)(atomic_load(&T_COMPLETED_NS) - t0) / 1e9;
    printf("| %ld | %.0f | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f "
           "|\n",
           n, (double)n / create_s * 60, (double)n / td * 60, (double)n / tc * 60, ceiling * 60,
           cpu / (double)n * 1000, (double)ru.ru_maxrss / 1024.0, cpu, reconciles / (double)n,
           api / (double)n, writes / (double)n, load[0]);
    fflush(stdout);
    kube_informer_stop(pinf);
    kube_informer_stop(ainf);
    kube_informer_free(pinf);
    kube_informer_free(ainf);
    kube_client_free(C);
    kube_config_free(cfg);
    kill(sim, SIGTERM);
    waitpid(sim, &status, 0);
    if (getenv("SLU_KEEP_LOGS")) {
        fprintf(stderr, "logs kept in %s\n", DIR_);
    } else {
        char *cmd = slu_asprintf("rm -rf '%s'", DIR_);
        int rc = system(cmd);
        (void)rc;
        free(cmd);
    }
    return 0;
}

int main(int argc, char **argv)
{
    BIN = getenv("SLUICE");
    if (!BIN) {
        fprintf(stderr, "set SLUICE to the sluice binary\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    slu_log_set_level(SLU_LOG_ERROR);
    printf("| apps | created/min (client) | driver pod created/min | COMPLETED/min | sim "
           "ceiling (creates/min) | operator CPU ms/app | operator peak RSS MB | operator CPU "
           "s | reconciles/app | API calls/app | status writes/app | load avg (1 min, at end) "
           "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    if (argc < 2) {
        bench(1000);
        bench(10000);
    }
    for (int i = 1; i < argc; i++) {
        int64_t n;
        if (slu_parse_i64(argv[i], &n) != 0 || n < 1 || n > 1000000) {
            fprintf(stderr, "bad N \"%s\"\n", argv[i]);
            return 2;
        }
        bench((long)n);
    }
    return 0;
}
