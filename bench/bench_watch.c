/*
 * bench_watch.c - one watch delivering 100,000 events: events per second through the client.
 *
 * Usage: bench_watch [SLUICE_BINARY] [N]   (binary default $SLUICE or build/sluice; N default
 * 100000 events)
 *
 * A `sluice sim` child is started and N pods are created in namespace "bench" (4 threads). A
 * watch with resourceVersion=0 then streams one ADDED event per pod, N events in one response.
 * Two readers of the same stream, alternated three times in this process (the best of each kept):
 *   raw     libcurl reading the body and counting newlines, nothing parsed (bytes/s baseline:
 *           the server and the transport);
 *   client  kube_watch: line splitting, JSON parsing of every event, the callback.
 * client/raw is the share of the transport rate the client keeps. Time to the first event is
 * reported apart (the server lists the N pods before the first event is sent), and the rate is
 * also given from the first event on. CPU seconds of this process and of the sim (from /proc)
 * split the cost of an event between them (they share the 2 cores).
 */
#include <curl/curl.h>

#include "bench_util.h"

#define NS "bench"
#define RUNS 3 /* alternations of raw and client; the best of each is kept */

struct run {
    long events;
    size_t bytes;
    double t0, first, end;
    double cpu_self, cpu_sim;
};

struct raw_ctx {
    struct run *r;
    long want;
};

static size_t raw_write(char *p, size_t s, size_t n, void *ud)
{
    struct raw_ctx *x = ud;
    size_t len = s * n;
    if (x->r->bytes == 0)
        x->r->first = bench_now();
    x->r->bytes += len;
    for (const char *q = p, *end = p + len; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        if (++x->r->events >= x->want)
            return 0; /* enough: abort the transfer */
    return len;
}

static int run_raw(const char *server, long want, pid_t sim, struct run *r)
{
    memset(r, 0, sizeof *r);
    char *url = slu_asprintf("%s/api/v1/namespaces/" NS "/pods?watch=1&resourceVersion=0", server);
    struct raw_ctx x = {r, want};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, raw_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    double c0 = bench_proc_cpu(0), s0 = bench_proc_cpu(sim);
    r->t0 = bench_now();
    CURLcode cc = curl_easy_perform(h);
    r->end = bench_now();
    r->cpu_self = bench_proc_cpu(0) - c0;
    r->cpu_sim = bench_proc_cpu(sim) - s0;
    curl_easy_cleanup(h);
    free(url);
    if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR) {
        fprintf(stderr, "bench: raw watch: %s\n", curl_easy_strerror(cc));
        return 1;
    }
    return r->events == want ? 0 : 1;
}

struct client_ctx {
    struct run *r;
    long want;
    long bad;
};

static bool on_event(void *ud, const char *type, json_t *obj)
{
    struct client_ctx *x = ud;
    if (x->r->events == 0)
        x->r->first = bench_now();
    if (strcmp(type, "ADDED") != 0 || !slu_json_str(obj, "metadata.name"))
        x->bad++;
    return ++x->r->events < x->want;
}

static int run_client(struct kube_client *c, long want, pid_t sim, struct run *r)
{
    memset(r, 0, sizeof *r);
    struct client_ctx x = {r, want, 0};
    struct kube_watch_opts o = {.resource_version = "0"};
    struct slu_err err = {0};
    double c0 = bench_proc_cpu(0), s0 = bench_proc_cpu(sim);
    r->t0 = bench_now();
    int rc = kube_watch(c, &KUBE_RES_PODS, NS, &o, on_event, &x, NULL, &err);
    r->end = bench_now();
    r->cpu_self = bench_proc_cpu(0) - c0;
    r->cpu_sim = bench_proc_cpu(sim) - s0;
    if (rc != 0)
        fprintf(stderr, "bench: kube_watch: %s\n", err.msg);
    slu_err_release(&err);
    if (x.bad)
        fprintf(stderr, "bench: %ld unexpected events\n", x.bad);
    return rc == 0 && r->events == want && !x.bad ? 0 : 1;
}

static void report(const char *name, const struct run *r, double bytes_per_event)
{
    double total = r->end - r->t0, stream = r->end - r->first;
    double mb = bytes_per_event * (double)r->events / 1e6;
    printf("  %-6s %6ld events in %5.2f s: %7.0f events/s, %5.1f MB/s  (first event after "
           "%.2f s; then %7.0f events/s)  CPU per event: client %4.1f us, sim %4.1f us\n",
           name, r->events, total, (double)r->events / total, mb / total, r->first - r->t0,
           (double)r->events / stream, r->cpu_self / (double)r->events * 1e6,
           r->cpu_sim / (double)r->events * 1e6);
    printf("RESULT bench=watch phase=%s events=%ld seconds=%.3f per_second=%.0f mb_per_second=%.1f "
           "first_event_s=%.3f stream_per_second=%.0f client_cpu_us=%.2f sim_cpu_us=%.2f\n",
           name, r->events, total, (double)r->events / total, mb / total, r->first - r->t0,
           (double)r->events / stream, r->cpu_self / (double)r->events * 1e6,
           r->cpu_sim / (double)r->events * 1e6);
}

int main(int argc, char **argv)
{
    const char *bin = bench_sluice_path(argc, argv);
    long n = 100000;
    if (bench_count_arg(argc, argv, "bench_watch", 1, 999999, &n) != 0)
        return 2;
    slu_log_set_level(SLU_LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("bench_watch: one watch of %ld events, sim %s (load average %.1f)\n", n, bin,
           bench_loadavg());
    fflush(stdout);
    struct bench_sim sim;
    static const char *const extra[] = {"--nodes", "1x1c1Gi", NULL};
    if (bench_sim_start(&sim, bin, extra) != 0)
        return 1;
    struct kube_client *c = bench_client(&sim);
    int bad = !c || bench_ensure_ns(c, NS) != 0;
    if (!bad) {
        double t0 = bench_now();
        bad = bench_create_pods(c, NS, "pod", n, 4) != 0;
        printf("  created %ld pods in %.1f s\n", n, bench_now() - t0);
    }
    char server[256] = "";
    if (!bad) {
        struct kube_config *cfg = NULL;
        bad = kube_config_load(sim.kubeconfig, NULL, &cfg, NULL) != 0;
        if (!bad)
            slu_strlcpy(server, cfg->server, sizeof server);
        kube_config_free(cfg);
    }
    struct run raw[RUNS], cl[RUNS];
    for (int i = 0; i < RUNS && !bad; i++) {
        bad |= run_raw(server, n, sim.pid, &raw[i]);
        double bpe = raw[i].events ? (double)raw[i].bytes / (double)raw[i].events : 0;
        report("raw", &raw[i], bpe);
        bad |= run_client(c, n, sim.pid, &cl[i]);
        report("client", &cl[i], bpe);
        fflush(stdout);
    }
    if (!bad) {
        int br = 0, bc = 0;
        for (int i = 1; i < RUNS; i++) {
            if (raw[i].end - raw[i].t0 < raw[br].end - raw[br].t0)
                br = i;
            if (cl[i].end - cl[i].t0 < cl[bc].end - cl[bc].t0)
                bc = i;
        }
        double rr = (double)n / (raw[br].end - raw[br].t0);
        double cr = (double)n / (cl[bc].end - cl[bc].t0);
        double rs = (double)n / (raw[br].end - raw[br].first);
        double cs = (double)n / (cl[bc].end - cl[bc].first);
        printf("  best: client %.0f events/s, raw %.0f events/s: client/raw %.2f (from the first "
               "event on: %.2f)\n",
               cr, rr, cr / rr, cs / rs);
        printf("RESULT bench=watch phase=summary client_per_second=%.0f raw_per_second=%.0f "
               "client_vs_raw=%.2f stream_client_vs_raw=%.2f bytes_per_event=%.0f "
               "client_cpu_us=%.2f sim_cpu_us=%.2f loadavg=%.1f\n",
               cr, rr, cr / rr, cs / rs, (double)raw[br].bytes / (double)raw[br].events,
               cl[bc].cpu_self / (double)n * 1e6, cl[bc].cpu_sim / (double)n * 1e6,
               bench_loadavg());
    }
    kube_client_free(c);
    bench_sim_stop(&sim);
    curl_global_cleanup();
    return bad ? 1 : 0;
}
