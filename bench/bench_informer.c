/*
 * bench_informer.c - an informer over 100,000 pods: time to sync and resident memory.
 *
 * Usage: bench_informer [SLUICE_BINARY] [N]   (binary default $SLUICE or build/sluice; N default
 * 100000 pods)
 *
 * A `sluice sim` child is started and N pods are created in namespace "bench" with 4 threads
 * (pods that name a scheduler which does not exist, so they stay Pending and the sim's models
 * leave them alone). Then each configuration runs in its own forked process, so that its memory
 * figures are its own (VmRSS before the informer starts, VmRSS and VmHWM from /proc/self/status
 * once it has synced):
 *   list      baseline: kube_list_all of the pods (pages of 500) and nothing kept;
 *   compact   what a production controller runs: the projection hook keeps name, namespace, uid,
 *             resourceVersion, labels, spec.nodeName and status.phase, and opts.compact stores
 *             each object serialized (aim: <= 150 MB RSS);
 *   projected the same projection with shared json_t values (compact off);
 *   full      whole objects, compact off (what an informer costs without either).
 * Each also times kube_informer_get of every key (compact mode parses on each get).
 * The forks happen while this process has a single thread (the sim is a spawned process and the
 * clients live only in the children).
 */
#include <malloc.h>

#include "bench_util.h"

#define NS "bench"

static json_t *project_pod(const json_t *obj)
{
    const json_t *md = json_object_get(obj, "metadata");
    json_t *m = json_object();
    static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion", "labels"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keep); i++) {
        json_t *v = json_object_get(md, keep[i]);
        if (v)
            json_object_set(m, keep[i], v);
    }
    json_t *p = json_object();
    json_object_set_new(p, "metadata", m);
    const char *node = slu_json_str(obj, "spec.nodeName");
    if (node)
        json_object_set_new(p, "spec", json_pack("{s:s}", "nodeName", node));
    const char *phase = slu_json_str(obj, "status.phase");
    if (phase)
        json_object_set_new(p, "status", json_pack("{s:s}", "phase", phase));
    return p;
}

/* A controller's handler only enqueues; counting stands in for that. */
static void on_add(void *ud, const json_t *obj)
{
    (void)obj;
    (*(long *)ud)++;
}

static int run_create(const struct bench_sim *sim, long n)
{
    struct kube_client *c = bench_client(sim);
    if (!c || bench_ensure_ns(c, NS) != 0)
        return 1;
    double t0 = bench_now();
    long errors = bench_create_pods(c, NS, "pod", n, 4);
    double dt = bench_now() - t0;
    printf("  created %ld pods in %.1f s (%.0f /s, 4 threads)%s\n", n, dt, (double)n / dt,
           errors ? "  ERRORS" : "");
    printf("RESULT bench=informer phase=create n=%ld seconds=%.3f per_second=%.0f errors=%ld\n", n,
           dt, (double)n / dt, errors);
    kube_client_free(c);
    return errors ? 1 : 0;
}

static int run_list(const struct bench_sim *sim, long n)
{
    struct kube_client *c = bench_client(sim);
    if (!c)
        return 1;
    long rss0 = bench_proc_kb(0, "VmRSS");
    double c0 = bench_proc_cpu(0), s0 = bench_proc_cpu(sim->pid);
    double t0 = bench_now();
    json_t *list = NULL;
    struct slu_err err = {0};
    struct kube_list_opts lo = {.limit = 500};
    int rc = kube_list_all(c, &KUBE_RES_PODS, NS, &lo, &list, &err);
    double dt = bench_now() - t0;
    double ccpu = bench_proc_cpu(0) - c0, scpu = bench_proc_cpu(sim->pid) - s0;
    size_t got = json_array_size(json_object_get(list, "items"));
    json_decref(list);
    long hwm = bench_proc_kb(0, "VmHWM");
    if (rc != 0)
        fprintf(stderr, "bench: list: %s\n", err.msg);
    printf("  %-9s %6zu pods in %5.2f s  (RSS before %4.0f MB, peak holding the list %5.0f MB)  "
           "CPU: client %.2f s, sim %.2f s\n",
           "list", got, dt, rss0 / 1024.0, hwm / 1024.0, ccpu, scpu);
    printf("RESULT bench=informer phase=list n=%zu seconds=%.3f rss_before_mb=%.1f hwm_mb=%.1f "
           "client_cpu_s=%.2f sim_cpu_s=%.2f\n",
           got, dt, rss0 / 1024.0, hwm / 1024.0, ccpu, scpu);
    slu_err_release(&err);
    kube_client_free(c);
    return rc == 0 && (long)got == n ? 0 : 1;
}

static int run_informer(const struct bench_sim *sim, long n, const char *mode)
{
    bool compact = strcmp(mode, "compact") == 0;
    bool project = compact || strcmp(mode, "projected") == 0;
    struct kube_client *c = bench_client(sim);
    if (!c)
        return 1;
    long rss0 = bench_proc_kb(0, "VmRSS");
    struct kube_informer_opts o = {.resource = &KUBE_RES_PODS,
                                   .namespace = NS,
                                   .project = project ? project_pod : NULL,
                                   .compact = compact};
    long adds = 0;
    struct kube_informer_handlers h = {.on_add = on_add, .ud = &adds};
    struct kube_informer *inf = kube_informer_new(c, &o, &h);
    double c0 = bench_proc_cpu(0), s0 = bench_proc_cpu(sim->pid);
    double t0 = bench_now();
    kube_informer_start(inf);
    bool ok = kube_informer_wait_synced(inf, 110000);
    double dt = bench_now() - t0;
    double ccpu = bench_proc_cpu(0) - c0, scpu = bench_proc_cpu(sim->pid) - s0;
    size_t len = kube_informer_len(inf);
    if (adds != n)
        fprintf(stderr, "bench: %ld on_add calls for %ld pods\n", adds, n);
    long rss = bench_proc_kb(0, "VmRSS"), hwm = bench_proc_kb(0, "VmHWM");
    /* every cached object once, by key */
    char key[128];
    double g0 = bench_now();
    long missing = 0;
    for (long i = 0; i < n; i++) {
        snprintf(key, sizeof key, NS "/pod-%06ld", i);
        json_t *p = kube_informer_get(inf, key);
        if (!p || !slu_json_str(p, "metadata.uid"))
            missing++;
        json_decref(p);
    }
    double gdt = bench_now() - g0;
    malloc_trim(0);
    long rss_trim = bench_proc_kb(0, "VmRSS");
    printf("  %-9s %6zu pods in %5.2f s  RSS %4.0f -> %5.0f MB (peak %5.0f MB, %4.0f MB after "
           "malloc_trim)  CPU: client %.2f s, sim %.2f s  get: %.2f us%s\n",
           mode, len, dt, rss0 / 1024.0, rss / 1024.0, hwm / 1024.0, rss_trim / 1024.0, ccpu, scpu,
           gdt / (double)n * 1e6, ok && (long)len == n && !missing ? "" : "  INCOMPLETE");
    printf("RESULT bench=informer phase=%s n=%zu sync_seconds=%.3f rss_before_mb=%.1f "
           "rss_mb=%.1f hwm_mb=%.1f rss_trimmed_mb=%.1f client_cpu_s=%.2f sim_cpu_s=%.2f "
           "get_us=%.2f synced=%s\n",
           mode, len, dt, rss0 / 1024.0, rss / 1024.0, hwm / 1024.0, rss_trim / 1024.0, ccpu, scpu,
           gdt / (double)n * 1e6, ok ? "yes" : "no");
    kube_informer_stop(inf);
    kube_informer_free(inf);
    kube_client_free(c);
    return ok && (long)len == n && !missing ? 0 : 1;
}

/* Runs fn in a forked child and returns its exit status (0 good). */
static int in_child(const struct bench_sim *sim, long n, const char *mode)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int rc;
        if (strcmp(mode, "create") == 0)
            rc = run_create(sim, n);
        else if (strcmp(mode, "list") == 0)
            rc = run_list(sim, n);
        else
            rc = run_informer(sim, n, mode);
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    const char *bin = bench_sluice_path(argc, argv);
    long n = 100000;
    if (bench_count_arg(argc, argv, "bench_informer", 1, 999999, &n) != 0)
        return 2;
    slu_log_set_level(SLU_LOG_ERROR);
    printf("bench_informer: %ld pods, sim %s (load average %.1f)\n", n, bin, bench_loadavg());
    struct bench_sim sim;
    static const char *const extra[] = {"--nodes", "1x1c1Gi", NULL};
    if (bench_sim_start(&sim, bin, extra) != 0)
        return 1;
    int bad = in_child(&sim, n, "create");
    long sim_rss = bench_proc_kb(sim.pid, "VmRSS");
    printf("  sim RSS holding %ld pods: %.0f MB\n", n, sim_rss / 1024.0);
    static const char *const modes[] = {"list", "compact", "projected", "full"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(modes) && !bad; i++)
        bad |= in_child(&sim, n, modes[i]);
    bench_sim_stop(&sim);
    return bad ? 1 : 0;
}
