/*
 * bench_sim_writes.c - how many writes per second `sluice sim` sustains from the client.
 *
 * Usage: bench_sim_writes [SLUICE_BINARY] [N]   (binary default $SLUICE or build/sluice; N
 * default 20000 requests per phase)
 *
 * Phases, all with 4 threads and N requests each:
 *   1. store      sim_store_create called directly in this process (no HTTP): the ceiling the
 *                 store itself allows (validation, defaults, the store lock, the event window);
 *   2. create     kube_create of pods over HTTP against a `sluice sim` child on 127.0.0.1 (the
 *                 figure of issue 2, aim >= 5,000/s on the 2-core machine);
 *   3. raw POST   the same pod creates sent with bare libcurl (one easy handle per thread,
 *                 keep-alive, pre-built bodies, response discarded unparsed): server + HTTP cost
 *                 without the client library, so create/raw is the client's overhead;
 *   4. get        kube_get of the created pods: the round-trip floor of a request that writes
 *                 nothing.
 * For each HTTP phase the CPU seconds of this process and of the sim child are read from /proc,
 * so the cost of one request splits into client and server microseconds (both share 2 cores).
 * Pods name a scheduler that does not exist, so the sim's scheduler and kubelet leave them alone
 * and only the API server and the store are measured.
 */
#include <curl/curl.h>

#include "bench_util.h"
#include "sim/store.h"

#define THREADS 4

/* ---------------------------------------------------------------- phase 1: the store */

struct store_worker {
    struct sim_store *st;
    long first, count, errors;
};

static void *store_main(void *arg)
{
    struct store_worker *w = arg;
    const struct sim_rtype *rt = sim_store_pods(w->st);
    char name[64];
    for (long i = w->first; i < w->first + w->count; i++) {
        snprintf(name, sizeof name, "store-%06ld", i);
        if (sim_store_create(w->st, rt, "default", bench_pod("default", name), NULL, NULL, NULL) !=
            0)
            w->errors++;
    }
    return NULL;
}

static double phase_store(long n, long *errors)
{
    struct sim_store *st = sim_store_new(0);
    struct store_worker w[THREADS];
    pthread_t th[THREADS];
    double t0 = bench_now();
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct store_worker){.st = st, .first = t * (n / THREADS), .count = n / THREADS};
        pthread_create(&th[t], NULL, store_main, &w[t]);
    }
    *errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        *errors += w[t].errors;
    }
    double dt = bench_now() - t0;
    sim_store_free(st);
    return dt;
}

/* ---------------------------------------------------------------- phase 3: raw libcurl */

struct raw_worker {
    const char *url;
    long first, count, errors;
};

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static void *raw_main(void *arg)
{
    struct raw_worker *w = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, w->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    char body[512];
    for (long i = w->first; i < w->first + w->count; i++) {
        int len =
            snprintf(body, sizeof body,
                     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"raw-%06ld\","
                     "\"namespace\":\"default\",\"labels\":{\"app\":\"bench\",\"tier\":\"batch\"}},"
                     "\"spec\":{\"schedulerName\":\"bench-none\",\"containers\":[{\"name\":"
                     "\"main\",\"image\":\"busybox:1.36\"}]}}",
                     i);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
        long code = 0;
        if (curl_easy_perform(h) != CURLE_OK ||
            (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), code != 201))
            w->errors++;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return NULL;
}

static double phase_raw(const char *base, long n, long *errors)
{
    char *url = slu_asprintf("%s/api/v1/namespaces/default/pods", base);
    struct raw_worker w[THREADS];
    pthread_t th[THREADS];
    double t0 = bench_now();
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct raw_worker){.url = url, .first = t * (n / THREADS), .count = n / THREADS};
        pthread_create(&th[t], NULL, raw_main, &w[t]);
    }
    *errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        *errors += w[t].errors;
    }
    double dt = bench_now() - t0;
    free(url);
    return dt;
}

/* ---------------------------------------------------------------- phase 4: gets */

struct get_worker {
    struct kube_client *c;
    long first, count, errors;
};

static void *get_main(void *arg)
{
    struct get_worker *w = arg;
    char name[64];
    for (long i = w->first; i < w->first + w->count; i++) {
        snprintf(name, sizeof name, "http-%06ld", i);
        json_t *o = NULL;
        if (kube_get(w->c, &KUBE_RES_PODS, "default", name, &o, NULL) != 0)
            w->errors++;
        json_decref(o);
    }
    return NULL;
}

static double phase_get(struct kube_client *c, long n, long *errors)
{
    struct get_worker w[THREADS];
    pthread_t th[THREADS];
    double t0 = bench_now();
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct get_worker){.c = c, .first = t * (n / THREADS), .count = n / THREADS};
        pthread_create(&th[t], NULL, get_main, &w[t]);
    }
    *errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        *errors += w[t].errors;
    }
    return bench_now() - t0;
}

/* ---------------------------------------------------------------- main */

struct cpu_mark {
    double wall, self, sim;
};

static struct cpu_mark mark(pid_t sim)
{
    return (struct cpu_mark){bench_now(), bench_proc_cpu(0), bench_proc_cpu(sim)};
}

static void report(const char *phase, long n, long errors, double dt, const struct cpu_mark *a,
                   const struct cpu_mark *b)
{
    double rate = (double)n / dt;
    if (a && b) {
        double cl = (b->self - a->self) / (double)n * 1e6;
        double sv = (b->sim - a->sim) / (double)n * 1e6;
        printf("  %-10s %7ld requests in %6.2f s: %8.0f /s  (CPU per request: client %5.1f us, "
               "sim %5.1f us)%s\n",
               phase, n, dt, rate, cl, sv, errors ? "  ERRORS" : "");
        printf("RESULT bench=sim_writes phase=%s n=%ld seconds=%.3f per_second=%.0f "
               "client_cpu_us=%.1f sim_cpu_us=%.1f errors=%ld\n",
               phase, n, dt, rate, cl, sv, errors);
    } else {
        printf("  %-10s %7ld requests in %6.2f s: %8.0f /s  (in process, no HTTP)%s\n", phase, n,
               dt, rate, errors ? "  ERRORS" : "");
        printf("RESULT bench=sim_writes phase=%s n=%ld seconds=%.3f per_second=%.0f errors=%ld\n",
               phase, n, dt, rate, errors);
    }
}

int main(int argc, char **argv)
{
    const char *bin = bench_sluice_path(argc, argv);
    long n = 20000;
    if (bench_count_arg(argc, argv, "bench_sim_writes", THREADS, 1000000, &n) != 0)
        return 2;
    n -= n % THREADS;
    slu_log_set_level(SLU_LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("bench_sim_writes: %ld requests per phase, %d threads, sim %s (load average %.1f)\n", n,
           THREADS, bin, bench_loadavg());
    fflush(stdout);

    long errors = 0;
    double c0 = bench_proc_cpu(0);
    double dt = phase_store(n, &errors);
    double store_cpu_us = (bench_proc_cpu(0) - c0) / (double)n * 1e6;
    report("store", n, errors, dt, NULL, NULL);
    printf("             CPU per create in the store: %.1f us (4 threads, one store mutex)\n",
           store_cpu_us);
    printf("RESULT bench=sim_writes phase=store_cpu cpu_us=%.1f\n", store_cpu_us);
    fflush(stdout);

    struct bench_sim sim;
    static const char *const extra[] = {"--nodes", "1x1c1Gi", NULL};
    if (bench_sim_start(&sim, bin, extra) != 0)
        return 1;
    struct kube_client *c = bench_client(&sim);
    if (!c) {
        bench_sim_stop(&sim);
        return 1;
    }
    /* warm-up: connections opened, first-time allocations done */
    if (bench_create_pods(c, "default", "warm", 400, THREADS) != 0) {
        kube_client_free(c);
        bench_sim_stop(&sim);
        return 1;
    }

    struct cpu_mark a = mark(sim.pid);
    errors = bench_create_pods(c, "default", "http", n, THREADS);
    struct cpu_mark b = mark(sim.pid);
    double create_rate = (double)n / (b.wall - a.wall);
    report("create", n, errors, b.wall - a.wall, &a, &b);
    fflush(stdout);

    char base[256];
    {
        /* the server URL, from the kubeconfig the client was made from */
        struct kube_config *cfg = NULL;
        if (kube_config_load(sim.kubeconfig, NULL, &cfg, NULL) != 0) {
            kube_client_free(c);
            bench_sim_stop(&sim);
            return 1;
        }
        slu_strlcpy(base, cfg->server, sizeof base);
        kube_config_free(cfg);
    }
    a = mark(sim.pid);
    dt = phase_raw(base, n, &errors);
    b = mark(sim.pid);
    double raw_rate = (double)n / dt;
    report("raw-post", n, errors, dt, &a, &b);
    fflush(stdout);

    a = mark(sim.pid);
    dt = phase_get(c, n, &errors);
    b = mark(sim.pid);
    double get_rate = (double)n / dt;
    report("get", n, errors, dt, &a, &b);

    long sim_rss = bench_proc_kb(sim.pid, "VmRSS");
    printf("  ratios: create/raw-post %.2f, create/get %.2f; sim RSS with %ld pods: %.0f MB\n",
           create_rate / raw_rate, create_rate / get_rate, 2 * n + 400, (double)sim_rss / 1024);
    printf("RESULT bench=sim_writes phase=summary create_per_second=%.0f aim=5000 met=%s "
           "create_vs_raw=%.2f create_vs_get=%.2f sim_rss_mb=%.0f loadavg=%.1f\n",
           create_rate, create_rate >= 5000 ? "yes" : "no", create_rate / raw_rate,
           create_rate / get_rate, (double)sim_rss / 1024, bench_loadavg());
    kube_client_free(c);
    bench_sim_stop(&sim);
    curl_global_cleanup();
    return 0;
}
