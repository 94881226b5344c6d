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
 *
 * bench_informer events [APPS]   (APPS default 1000; no sim)
 *
 * CPU per watch event on the thread that consumes the stream, for a stream that mirrors what the
 * operator's pod informer sees: per app a driver and an executor pod (the 4.4 KB pod of
 * tests/pod_fixture.h with names, labels, resourceVersion, phase and container state changed),
 * each ADDED (Pending), MODIFIED four times (scheduled, Running, Succeeded with the container
 * terminated, deletionTimestamp set) and DELETED: 12 events an app, from a scripted local server
 * (tests/unit/kube/fakeapi.h) in one chunked response. Four consumers, alternated five times in
 * this process (the best of each kept):
 *   watch      kube_watch with the pod informer's select paths and a callback that only counts:
 *              the transport, line splitting and parsing (the floor under the pod informer);
 *   pods       an informer configured as the operator's pod informer (compact, a projection of
 *              the same fields, select, label index "app" of "ns/app-name", on_update comparing
 *              old and new as the operator does);
 *   watch-all  kube_watch parsing whole objects (the floor under the next one);
 *   raw        an informer configured as the operator's app informer (compact, no projection, no
 *              select, no_old_on_update: the object's text is stored as it came).
 * The CPU is the consuming thread's (CLOCK_THREAD_CPUTIME_ID, read in the callback at the first
 * and the last event), so the server thread and the main thread do not count; "pods - watch" and
 * "raw - watch-all" are what the informer itself adds to an event.
 */
#include <malloc.h>
#include <time.h>

#include "bench_util.h"
#include "operator/operator.h"
#include "pod_fixture.h"
#include "unit/kube/fakeapi.h"

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

/* ---------------------------------------------------------------- per-event CPU (no sim) */

#define EV_STEPS 6  /* events per pod */
#define EV_WAVE 50  /* apps whose pods move through their life cycle together */
#define EV_ROUNDS 5 /* alternations of the consumers; the best of each is kept */

/* s with the first occurrence of from replaced by to (returned owned); from must occur. */
static char *ev_replace(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    if (!at) {
        fprintf(stderr, "bench: the pod fixture has no %s\n", from);
        abort();
    }
    char *r = slu_asprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return r;
}

/* The text of one pod at a step of its life cycle. */
static char *ev_pod(long app, bool driver, int step, long rv)
{
    char *s = slu_strdup(POD_JSON), v[160];
    snprintf(v, sizeof v, "\"app-%05ld-%s\"", app, driver ? "driver" : "exec-1");
    s = ev_replace(s, "\"spark-pi-1a2b3c941f297c00-driver\"", v);
    snprintf(v, sizeof v, "\"sparkoperator.k8s.io/app-name\":\"app-%05ld\"", app);
    s = ev_replace(s, "\"sparkoperator.k8s.io/app-name\":\"spark-pi\"", v);
    snprintf(v, sizeof v, "\"resourceVersion\":\"%ld\"", rv);
    s = ev_replace(s, "\"resourceVersion\":\"184467\"", v);
    if (!driver)
        s = ev_replace(s, "\"spark-role\":\"driver\"", "\"spark-role\":\"executor\"");
    const char *phase = step <= 1 ? "Pending" : step == 2 ? "Running" : "Succeeded";
    snprintf(v, sizeof v, "\"phase\":\"%s\"", phase);
    s = ev_replace(s, "\"phase\":\"Running\"", v);
    const char *running = "{\"running\":{\"startedAt\":\"2025-01-01T00:00:02Z\"}}";
    if (step <= 1)
        s = ev_replace(s, running, "{\"waiting\":{\"reason\":\"ContainerCreating\"}}");
    else if (step >= 3)
        s = ev_replace(s, running,
                       "{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\",\"startedAt\":"
                       "\"2025-01-01T00:00:02Z\",\"finishedAt\":\"2025-01-01T00:01:02Z\"}}");
    if (step >= 4)
        s = ev_replace(s, "\"creationTimestamp\":\"2025-01-01T00:00:00Z\",",
                       "\"creationTimestamp\":\"2025-01-01T00:00:00Z\",\"deletionTimestamp\":"
                       "\"2025-01-01T00:02:00Z\",");
    return s;
}

/* The whole chunked watch response: every event of every pod. */
static void ev_stream(long apps, struct slu_buf *b, long *events)
{
    static const char *const types[EV_STEPS] = {"ADDED",    "MODIFIED", "MODIFIED",
                                                "MODIFIED", "MODIFIED", "DELETED"};
    slu_buf_puts(b, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    long rv = 100;
    *events = 0;
    for (long w0 = 0; w0 < apps; w0 += EV_WAVE)
        for (int step = 0; step < EV_STEPS; step++)
            for (long a = w0; a < SLU_MIN(apps, w0 + EV_WAVE); a++)
                for (int d = 0; d < 2; d++) {
                    /* a deleted pod is sent as it was last seen */
                    char *pod = ev_pod(a, d == 0, step == 5 ? 4 : step, rv++);
                    char *line =
                        slu_asprintf("{\"type\":\"%s\",\"object\":%s}\n", types[step], pod);
                    slu_buf_printf(b, "%zx\r\n%s\r\n", strlen(line), line);
                    free(line);
                    free(pod);
                    (*events)++;
                }
    slu_buf_puts(b, "0\r\n\r\n");
}

struct ev_server {
    struct slu_buf stream;
};

/* Lists are empty at resourceVersion 1; a watch from 1 gets the stream, any other watch (the
 * informer resuming after the stream ended) an idle stream until the client goes. */
static void ev_serve(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    struct ev_server *s = ud;
    if (!strstr(rq->path, "watch=1"))
        fake_reply(a, 200, NULL,
                   "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[]}");
    else if (strstr(rq->path, "resourceVersion=1&"))
        slu_buf_append(&a->raw, s->stream.data, s->stream.len);
    else {
        slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        a->hold_ms = 60000;
    }
}

/* The operator's pod projection, select paths and index: op_pod_project, op_pod_select,
 * op_pod_index_executors (src/operator/controller.c, declared in operator/operator.h). */

struct ev_count {
    atomic_long calls; /* handler calls (watch: events) */
    long want;
    long adds, updates, deletes, changed, no_old;
    double cpu0, cpu1; /* the consuming thread's CPU at the first and the last call (s) */
};

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ev_tick(struct ev_count *k)
{
    long n = atomic_fetch_add(&k->calls, 1) + 1;
    if (n == 1)
        k->cpu0 = thread_cpu();
    if (n == k->want)
        k->cpu1 = thread_cpu();
}

static bool ev_on_event(void *ud, const char *type, json_t *obj)
{
    (void)type;
    (void)obj;
    ev_tick(ud);
    return true;
}

static void ev_on_add(void *ud, const json_t *obj)
{
    struct ev_count *k = ud;
    (void)obj;
    k->adds++;
    ev_tick(k);
}

/* What the operator's on_pod_update compares. */
static bool ev_pod_changed(const json_t *a, const json_t *b)
{
    static const char *const paths[] = {"status.phase", "metadata.deletionTimestamp",
                                        "status.containerStatuses", "metadata.labels"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(paths); i++)
        if (!slu_json_equal(slu_json_path(a, paths[i]), slu_json_path(b, paths[i])))
            return true;
    return false;
}

static void ev_on_update(void *ud, const json_t *old_obj, const json_t *new_obj)
{
    struct ev_count *k = ud;
    k->updates++;
    if (!old_obj)
        k->no_old++;
    else if (ev_pod_changed(old_obj, new_obj))
        k->changed++;
    ev_tick(k);
}

static void ev_on_delete(void *ud, const json_t *obj)
{
    struct ev_count *k = ud;
    (void)obj;
    k->deletes++;
    ev_tick(k);
}

/* One consumer over the stream; returns the CPU per event (us), or -1 on a failure. */
static double ev_run(struct kube_client *c, const char *mode, long events, long apps)
{
    struct ev_count k = {.want = events};
    atomic_init(&k.calls, 0);
    bool ok;
    if (strncmp(mode, "watch", 5) == 0) {
        bool sel = strcmp(mode, "watch") == 0;
        struct kube_watch_opts wo = {.resource_version = "1",
                                     .allow_bookmarks = true,
                                     .select = sel ? op_pod_select : NULL,
                                     .nselect = sel ? op_pod_nselect : 0};
        struct slu_err err = {0};
        int rc = kube_watch(c, &KUBE_RES_PODS, "spark-jobs", &wo, ev_on_event, &k, NULL, &err);
        if (rc != 0)
            fprintf(stderr, "bench: watch: %s\n", err.msg);
        slu_err_release(&err);
        ok = rc == 0 && atomic_load(&k.calls) == events;
    } else {
        bool pods = strcmp(mode, "pods") == 0;
        struct kube_informer_opts o = {.resource = &KUBE_RES_PODS,
                                       .namespace = "spark-jobs",
                                       .label_selector =
                                           "sparkoperator.k8s.io/launched-by-spark-operator=true",
                                       .compact = true,
                                       .project = pods ? op_pod_project : NULL,
                                       .select = pods ? op_pod_select : NULL,
                                       .nselect = pods ? op_pod_nselect : 0,
                                       .no_old_on_update = !pods};
        struct kube_informer_handlers h = {ev_on_add, ev_on_update, ev_on_delete, &k};
        struct kube_informer *inf = kube_informer_new(c, &o, &h);
        if (pods)
            kube_informer_add_index(inf, "app", op_pod_index_executors);
        kube_informer_start(inf);
        for (int i = 0; i < 6000 && atomic_load(&k.calls) < events; i++)
            slu_sleep_ms(10); /* a cap for a hung run */
        ok = atomic_load(&k.calls) == events && kube_informer_len(inf) == 0;
        kube_informer_stop(inf);
        kube_informer_free(inf);
        long pods_n = 2 * apps;
        if (ok && (k.adds != pods_n || k.deletes != pods_n || k.updates != 4 * pods_n ||
                   (pods ? k.changed != 3 * pods_n : k.no_old != 4 * pods_n))) {
            fprintf(stderr,
                    "bench: %s: %ld adds, %ld updates (%ld changed, %ld without old), %ld "
                    "deletes for %ld pods\n",
                    mode, k.adds, k.updates, k.changed, k.no_old, k.deletes, pods_n);
            ok = false;
        }
    }
    if (!ok) {
        fprintf(stderr, "bench: %s: %ld of %ld events\n", mode, (long)atomic_load(&k.calls),
                events);
        return -1;
    }
    return (k.cpu1 - k.cpu0) / (double)(events - 1) * 1e6;
}

static int run_events(int argc, char **argv)
{
    long apps = 1000;
    if (bench_count_arg(argc, argv, "bench_informer events", 1, 20000, &apps) != 0)
        return 2;
    slu_log_set_level(SLU_LOG_ERROR);
    struct ev_server s = {0};
    long events = 0;
    ev_stream(apps, &s.stream, &events);
    printf("bench_informer events: %ld apps, %ld pod events of %.0f bytes on average (load "
           "average %.1f)\n",
           apps, events, (double)s.stream.len / (double)events, bench_loadavg());
    struct fakeapi f;
    if (fake_start(&f, ev_serve, &s) != 0)
        return 1;
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    static const char *const modes[] = {"watch", "pods", "watch-all", "raw"};
    double best[SLU_ARRAY_LEN(modes)];
    int bad = 0;
    for (size_t m = 0; m < SLU_ARRAY_LEN(modes); m++)
        best[m] = 1e9;
    for (int r = 0; r < EV_ROUNDS && !bad; r++)
        for (size_t m = 0; m < SLU_ARRAY_LEN(modes) && !bad; m++) {
            double us = ev_run(c, modes[m], events, apps);
            if (us < 0)
                bad = 1;
            else
                best[m] = SLU_MIN(best[m], us);
            printf("  round %d %-9s %6.2f us/event\n", r + 1, modes[m], us);
            fflush(stdout);
        }
    if (!bad) {
        printf("  best (us/event): watch %.2f, pods %.2f (informer share %.2f); watch-all %.2f, "
               "raw %.2f (informer share %.2f)\n",
               best[0], best[1], best[1] - best[0], best[2], best[3], best[3] - best[2]);
        printf("RESULT bench=informer phase=events events=%ld watch_us=%.2f pods_us=%.2f "
               "pods_share_us=%.2f watch_all_us=%.2f raw_us=%.2f raw_share_us=%.2f "
               "loadavg=%.1f\n",
               events, best[0], best[1], best[1] - best[0], best[2], best[3], best[3] - best[2],
               bench_loadavg());
    }
    kube_client_free(c);
    fake_stop(&f);
    slu_buf_release(&s.stream);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "events") == 0)
        return run_events(argc, argv);
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
