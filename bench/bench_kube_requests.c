/*
 * bench_kube_requests.c - what one Kubernetes API request costs the client: the lean HTTP/1.1
 * transport (src/kube/http1.c) against libcurl, in the same run, over plain HTTP and over TLS.
 *
 * Usage: bench_kube_requests [SLUICE_BINARY] [N]   (binary default $SLUICE or build/sluice; N
 * default 2000 requests per phase)
 *
 * For each scheme (http, then https with `sluice sim --tls`), each thread count (1 and 8) and
 * each transport (lean, curl): N ConfigMap creates (kube_create), then N GETs of them (kube_get),
 * against a `sluice sim` child on 127.0.0.1. Reported per phase: requests per second, and the
 * client's CPU microseconds per request (getrusage(RUSAGE_SELF) user + system delta / N: this
 * process only, the sim is a child and not counted), then the curl/lean ratio.
 *
 * BENCH_KUBECONFIG=path uses an already running sim instead of starting one (so that `strace -c
 * -f` counts the client's system calls only); BENCH_ONLY=lean|curl, BENCH_SCHEMES=http|https and
 * BENCH_THREADS=1|8 narrow the run.
 */
#include <sys/resource.h>

#include "bench_util.h"
#include "kube/client_priv.h"

struct worker {
    struct kube_client *c;
    const char *prefix;
    bool get;
    long first, count, errors;
    char first_error[256];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char name[128];
    for (long i = w->first; i < w->first + w->count; i++) {
        snprintf(name, sizeof name, "%s-%06ld", w->prefix, i);
        struct slu_err err = {0};
        int rc;
        if (w->get) {
            json_t *o = NULL;
            rc = kube_get(w->c, &KUBE_RES_CONFIGMAPS, "bench", name, &o, &err);
            json_decref(o);
        } else {
            json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind",
                                   "ConfigMap", "metadata", "name", name, "labels", "app", "bench",
                                   "data", "key", "some value of a config map");
            rc = kube_create(w->c, &KUBE_RES_CONFIGMAPS, "bench", cm, NULL, &err);
            json_decref(cm);
        }
        if (rc != 0 && w->errors++ == 0)
            slu_strlcpy(w->first_error, err.msg, sizeof w->first_error);
        slu_err_release(&err);
    }
    return NULL;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct figure {
    double rate;   /* requests per second */
    double cpu_us; /* client CPU per request */
};

static int run_phase(struct kube_client *c, const char *prefix, bool get, long n, int threads,
                     struct figure *f)
{
    struct worker w[8];
    pthread_t th[8];
    long per = n / threads, rest = n % threads, next = 0;
    double t0 = bench_now(), c0 = cpu_now();
    for (int t = 0; t < threads; t++) {
        w[t] = (struct worker){.c = c, .prefix = prefix, .get = get, .first = next};
        w[t].count = per + (t < rest ? 1 : 0);
        next += w[t].count;
        pthread_create(&th[t], NULL, worker_main, &w[t]);
    }
    long errors = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        if (w[t].errors && !errors)
            fprintf(stderr, "bench: %s failed: %s\n", get ? "get" : "create", w[t].first_error);
        errors += w[t].errors;
    }
    double t1 = bench_now(), c1 = cpu_now();
    f->rate = (double)n / (t1 - t0);
    f->cpu_us = (c1 - c0) * 1e6 / (double)n;
    return errors ? -1 : 0;
}

static struct kube_client *client_from(const char *kubeconfig, enum kube__transport tr)
{
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    if (kube_config_load(kubeconfig, NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench: kubeconfig: %s\n", err.msg);
        slu_err_release(&err);
        return NULL;
    }
    cfg->qps = -1;
    struct kube_client *c = kube_client_new(cfg, &err);
    if (!c)
        fprintf(stderr, "bench: client: %s\n", err.msg);
    else
        kube__client_set_transport(c, tr);
    kube_config_free(cfg);
    slu_err_release(&err);
    return c;
}

static bool wanted(const char *env, const char *value)
{
    const char *e = getenv(env);
    return !e || !*e || strcmp(e, value) == 0;
}

static int run_scheme(const char *bin, bool tls, long n)
{
    struct bench_sim sim = {0};
    const char *kubeconfig = getenv("BENCH_KUBECONFIG");
    if (!kubeconfig || !*kubeconfig) {
        const char *extra[] = {tls ? "--tls" : NULL, NULL};
        if (bench_sim_start(&sim, bin, extra) != 0)
            return 1;
        kubeconfig = sim.kubeconfig;
    }
    const char *scheme = tls ? "https" : "http";
    int rc = 0;
    struct kube_client *setup = client_from(kubeconfig, KUBE__TRANSPORT_AUTO);
    if (!setup || bench_ensure_ns(setup, "bench") != 0)
        rc = 1;
    kube_client_free(setup);
    static const int tcounts[] = {1, 8};
    static const char *const trname[] = {"lean", "curl"};
    for (size_t ti = 0; rc == 0 && ti < SLU_ARRAY_LEN(tcounts); ti++) {
        char tn[8];
        snprintf(tn, sizeof tn, "%d", tcounts[ti]);
        if (!wanted("BENCH_THREADS", tn))
            continue;
        struct figure fig[2][2] = {{{0}}}; /* [transport][create, get] */
        bool ran[2] = {false, false};
        for (int tr = 0; rc == 0 && tr < 2; tr++) {
            if (!wanted("BENCH_ONLY", trname[tr]))
                continue;
            struct kube_client *c =
                client_from(kubeconfig, tr == 0 ? KUBE__TRANSPORT_AUTO : KUBE__TRANSPORT_CURL);
            if (!c) {
                rc = 1;
                break;
            }
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s-%s-t%d-%d", scheme, trname[tr], tcounts[ti],
                     (int)getpid());
            if (run_phase(c, prefix, false, n, tcounts[ti], &fig[tr][0]) != 0 ||
                run_phase(c, prefix, true, n, tcounts[ti], &fig[tr][1]) != 0)
                rc = 1;
            uint64_t lean = 0, curl = 0;
            kube__client_transport_counts(c, &lean, &curl);
            if (tr == 0 && lean < (uint64_t)n) {
                fprintf(stderr, "bench: the lean transport carried only %llu requests\n",
                        (unsigned long long)lean);
                rc = 1;
            }
            kube_client_free(c);
            ran[tr] = true;
            static const char *const what[] = {"create", "get"};
            for (int k = 0; k < 2; k++) {
                printf("%-5s %-4s threads=%d %-6s %8.0f req/s %7.1f us CPU/req\n", scheme,
                       trname[tr], tcounts[ti], what[k], fig[tr][k].rate, fig[tr][k].cpu_us);
                printf("RESULT bench=kube_requests scheme=%s transport=%s threads=%d op=%s "
                       "rate=%.0f cpu_us=%.1f\n",
                       scheme, trname[tr], tcounts[ti], what[k], fig[tr][k].rate,
                       fig[tr][k].cpu_us);
            }
        }
        if (ran[0] && ran[1])
            printf("%-5s threads=%d curl/lean CPU per request: create %.2fx, get %.2fx\n", scheme,
                   tcounts[ti], fig[1][0].cpu_us / fig[0][0].cpu_us,
                   fig[1][1].cpu_us / fig[0][1].cpu_us);
        fflush(stdout);
    }
    if (sim.pid)
        bench_sim_stop(&sim);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    long n = 2000;
    if (bench_count_arg(argc, argv, "bench_kube_requests", 10, 1000000, &n) != 0)
        return 2;
    const char *bin = bench_sluice_path(argc, argv);
    printf("bench_kube_requests: N=%ld per phase, load %.2f\n", n, bench_loadavg());
    int rc = 0;
    if (wanted("BENCH_SCHEMES", "http"))
        rc |= run_scheme(bin, false, n);
    if (rc == 0 && wanted("BENCH_SCHEMES", "https"))
        rc |= run_scheme(bin, true, n);
    return rc;
}
