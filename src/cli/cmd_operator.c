/*
 * cmd_operator.c - `sluice operator`: runs the SparkApplication controller (and, when built in,
 * the ScheduledSparkApplication controller) against a cluster until SIGINT/SIGTERM.
 *
 * Order of things: parse flags (getopt_long), block SIGINT/SIGTERM before any thread starts (the
 * main thread waits for them with sigtimedwait), load the config (kubeconfig or in-cluster), start
 * the informers and the /metrics, /healthz, /readyz endpoint, wait for the caches, then run the
 * workers: at once, or with --leader-elect only while holding the Lease sluice-operator-lock.
 * Losing the lease stops the process (exit 1) so that the Deployment restarts it as a fresh
 * candidate: nothing of a former leader's in-memory state survives into a new term.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli.h"
#include "operator/operator.h"

static void op_usage(FILE *f)
{
    fprintf(f, "Usage: sluice operator [options]\n\n"
               "Runs the SparkApplication controller (sparkoperator.k8s.io/v1beta2).\n\n"
               "Options:\n"
               "  --kubeconfig FILE            kubeconfig (default: $KUBECONFIG, in-cluster, "
               "~/.kube/config)\n"
               "  --context NAME               kubeconfig context\n"
               "  --namespaces a,b | all       namespaces to watch (default: all)\n"
               "  --workers N                  reconcile threads (default 10)\n"
               "  --metrics-listen HOST:PORT   /metrics, /healthz, /readyz (default "
               "127.0.0.1:8080; PORT 0: any)\n"
               "  --leader-elect               work only while holding the Lease "
               "sluice-operator-lock\n"
               "  --lease-namespace NS         namespace of the Lease (default: the config's)\n"
               "  --driver-pod-grace-period S  seconds to wait for a submitted driver pod (default "
               "10)\n"
               "  --ingress-url-format F       create a UI Ingress, e.g. "
               "'{{$appName}}.example.com/{{$appNamespace}}'\n"
               "  --ingress-class-name NAME    ingressClassName of UI Ingresses\n"
               "  --disable-ui-service         do not create <app>-ui-svc\n"
               "  --resync S                   re-check every app every S seconds (default 300)\n"
               "  --max-tracked-executors N    executorState entries kept per app (default 100)\n"
               "  --qps Q --burst B            client-side API rate limit (default 100 / 200)\n"
               "  --log-level LEVEL            debug|info|warn|error|off (default info)\n"
               "  -h, --help                   show this help\n"
               "\n"
               "Environment:\n"
               "  SLU_KUBE_TRANSPORT=curl      send every API request through libcurl (default: "
               "the\n"
               "                               built-in HTTP/1.1 client, libcurl only for "
               "proxies)\n"
               "  SLU_KUBE_TRANSPORT=curl-streams\n"
               "                               watches and log streams through libcurl, the "
               "rest\n"
               "                               through the built-in client\n"
               "\n"
               "See docs/operator.md (flags, sizing, metrics) and docs/deploy.md.\n");
}

struct leader_state {
    struct op_controller *ctl;
    atomic_bool lost;
    atomic_bool leading;
#ifdef OP_HAVE_SCHEDULED
    struct op_scheduled *sched;
#endif
};

static void start_work(struct leader_state *ls)
{
    op_controller_run_workers(ls->ctl);
#ifdef OP_HAVE_SCHEDULED
    if (ls->sched)
        op_scheduled_start(ls->sched);
#endif
    atomic_store(&ls->leading, true);
}

static void on_started(void *ud)
{
    struct leader_state *ls = ud;
    slu_info("operator: became the leader, starting workers");
    start_work(ls);
}

static void on_stopped(void *ud)
{
    struct leader_state *ls = ud;
    if (atomic_load(&ls->leading)) {
        slu_warn("operator: lost the leadership, stopping");
        atomic_store(&ls->lost, true);
    }
}

static void on_new_leader(void *ud, const char *identity)
{
    (void)ud;
    slu_info("operator: the leader is %s", identity ? identity : "(none)");
}

/* /metrics: the SparkApplication controller's, then the scheduled controller's counters. */
static void metrics_fn(void *ud, struct slu_buf *out)
{
    struct leader_state *ls = ud;
    op_controller_metrics(ls->ctl, out);
#ifdef OP_HAVE_SCHEDULED
    if (ls->sched)
        op_scheduled_metrics(ls->sched, out);
#endif
}

static bool ready_fn(void *ud)
{
    struct leader_state *ls = ud;
    return op_controller_synced(ls->ctl);
}

/* The scheduled controller's share of --workers: a fifth (its reconciles are rare), at least 1;
 * the default 10 gives its own default of 2. */
static int scheduled_workers(int workers)
{
    int w = workers > 0 ? workers : 10;
    return (w + 4) / 5;
}

static int parse_range(const char *flag, const char *v, int64_t min, int64_t max, int64_t *out)
{
    if (slu_parse_i64(v, out) != 0 || *out < min || *out > max) {
        fprintf(stderr, "sluice operator: %s: expected a number from %lld to %lld, got \"%s\"\n",
                flag, (long long)min, (long long)max, v);
        return -1;
    }
    return 0;
}

int cmd_operator(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},
        {"namespaces", required_argument, NULL, 'n'},
        {"workers", required_argument, NULL, 'w'},
        {"metrics-listen", required_argument, NULL, 'm'},
        {"leader-elect", no_argument, NULL, 'L'},
        {"lease-namespace", required_argument, NULL, 'N'},
        {"driver-pod-grace-period", required_argument, NULL, 'g'},
        {"ingress-url-format", required_argument, NULL, 'i'},
        {"ingress-class-name", required_argument, NULL, 'I'},
        {"disable-ui-service", no_argument, NULL, 'U'},
        {"resync", required_argument, NULL, 'r'},
        {"max-tracked-executors", required_argument, NULL, 'x'},
        {"qps", required_argument, NULL, 'q'},
        {"burst", required_argument, NULL, 'b'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kubeconfig = NULL, *context = NULL, *namespaces = NULL;
    const char *listen = "127.0.0.1:8080", *lease_ns = NULL;
    bool leader_elect = false;
    double qps = 100, burst = 200;
    struct op_controller_opts co = {0};
    int64_t v;
    slu_log_set_level(SLU_LOG_INFO);
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            kubeconfig = optarg;
            break;
        case 'c':
            context = optarg;
            break;
        case 'n':
            namespaces = optarg;
            break;
        case 'w':
            if (parse_range("--workers", optarg, 1, 256, &v))
                return 2;
            co.workers = (int)v;
            break;
        case 'm':
            listen = optarg;
            break;
        case 'L':
            leader_elect = true;
            break;
        case 'N':
            lease_ns = optarg;
            break;
        case 'g':
            if (parse_range("--driver-pod-grace-period", optarg, 0, 86400, &v))
                return 2;
            co.driver_pod_grace_ms = v * 1000;
            break;
        case 'i':
            co.ingress_url_format = optarg;
            break;
        case 'I':
            co.ingress_class_name = optarg;
            break;
        case 'U':
            co.disable_ui_service = true;
            break;
        case 'r':
            if (parse_range("--resync", optarg, 0, 86400, &v))
                return 2;
            co.resync_ms = v * 1000;
            break;
        case 'x':
            if (parse_range("--max-tracked-executors", optarg, 0, 100000, &v))
                return 2;
            co.max_tracked_executors = (size_t)v;
            break;
        case 'q':
        case 'b': {
            double d;
            if (slu_parse_double(optarg, &d) != 0 || d <= 0 || d > 1e6) {
                fprintf(stderr, "sluice operator: --%s: expected a positive number, got \"%s\"\n",
                        ch == 'q' ? "qps" : "burst", optarg);
                return 2;
            }
            if (ch == 'q')
                qps = d;
            else
                burst = d;
            break;
        }
        case 'l':
            if (cli_set_log_level("operator", optarg) != 0)
                return 2;
            break;
        case 'h':
            op_usage(stdout);
            return 0;
        default:
            op_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice operator: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    char **nsv = NULL;
    if (namespaces && strcmp(namespaces, "all") != 0) {
        size_t n = 0;
        nsv = slu_str_split(namespaces, ',', true, &n);
        for (size_t i = 0; i < n; i++)
            if (!kube_is_dns1123_label(nsv[i])) {
                fprintf(stderr, "sluice operator: --namespaces: \"%s\" is not a namespace name\n",
                        nsv[i]);
                slu_strv_free(nsv);
                return 2;
            }
        co.namespaces = (const char *const *)nsv;
    }

    /* glibc gives each busy thread its own arena (up to 8 per core); with ~25 threads of small
     * JSON allocations that multiplies the heap kept after peaks. Four arenas are plenty on the
     * machines this runs on and keep the peak RSS close to the live data. Before any thread. */
#ifndef SLU_HAVE_JEMALLOC
    mallopt(M_ARENA_MAX, 4);
#endif
    sigset_t set;
    cli_block_stop_signals(&set);

    int ret = 1;
    struct slu_err err = {0};
    struct kube_config *cfg = NULL;
    struct kube_client *c = NULL;
    struct op_controller *ctl = NULL;
    struct op_http *http = NULL;
    struct kube_leader *leader = NULL;
    struct leader_state ls = {0};
    if (kube_config_auto(kubeconfig, context, &cfg, &err) < 0) {
        fprintf(stderr, "sluice operator: %s\n", err.msg);
        goto out;
    }
    cfg->qps = qps;
    cfg->burst = burst;
    c = kube_client_new(cfg, &err);
    if (!c) {
        fprintf(stderr, "sluice operator: %s\n", err.msg);
        goto out;
    }
    ctl = op_controller_new(c, &co, &err);
    if (!ctl) {
        fprintf(stderr, "sluice operator: %s\n", err.msg);
        goto out;
    }
    ls.ctl = ctl;
#ifdef OP_HAVE_SCHEDULED
    {
        struct op_scheduled_opts so = {.namespaces = co.namespaces,
                                       .workers = scheduled_workers(co.workers)};
        ls.sched = op_scheduled_new(c, &so);
    }
#endif
    http = op_http_start(listen, metrics_fn, ready_fn, &ls, &err);
    if (!http) {
        fprintf(stderr, "sluice operator: %s\n", err.msg);
        goto out;
    }
    fprintf(stderr, "sluice operator: metrics on http://%.*s:%d/metrics\n",
            (int)(strrchr(listen, ':') - listen), listen, op_http_port(http));
    if (op_controller_start(ctl, &err) < 0) {
        fprintf(stderr, "sluice operator: %s\n", err.msg);
        goto out;
    }
    while (!op_controller_wait_synced(ctl, 1000)) {
        struct timespec ts = {0, 0};
        if (sigtimedwait(&set, NULL, &ts) > 0) {
            ret = 0;
            goto out;
        }
    }
    slu_info("operator: caches synced");
    if (leader_elect) {
        char id[256], suffix[12];
        char host[128] = "sluice";
        if (gethostname(host, sizeof host) != 0)
            slu_strlcpy(host, "sluice", sizeof host);
        host[sizeof host - 1] = 0;
        slu_random_name_suffix(suffix, 8);
        snprintf(id, sizeof id, "%s_%s", host, suffix);
        struct kube_leader_opts lo = {
            .lease_namespace = lease_ns ? lease_ns : kube_client_namespace(c),
            .lease_name = "sluice-operator-lock",
            .identity = id,
            .lease_duration_ms = 15000,
            .renew_deadline_ms = 10000,
            .retry_period_ms = 2000,
            .on_started = on_started,
            .on_stopped = on_stopped,
            .on_new_leader = on_new_leader,
            .ud = &ls,
        };
        const char *ld = getenv("SLUICE_LEASE_DURATION_MS"); /* tests: faster hand-over */
        if (ld && slu_parse_i64(ld, &v) == 0 && v >= 300) {
            lo.lease_duration_ms = v;
            lo.renew_deadline_ms = v * 2 / 3;
            lo.retry_period_ms = v / 5;
        }
        slu_info("operator: leader election as %s on %s/%s", id, lo.lease_namespace, lo.lease_name);
        leader = kube_leader_new(c, &lo);
        if (!leader || kube_leader_start(leader) < 0) {
            fprintf(stderr, "sluice operator: cannot start leader election\n");
            goto out;
        }
    } else {
        start_work(&ls);
    }
    int64_t next_trim = slu_now_mono_ns() + (int64_t)10 * 1000000000;
    for (;;) {
        struct timespec ts = {0, 200 * 1000000};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (slu_now_mono_ns() >= next_trim) {
            /* the caches' values are replaced on every update (a few KB each, of varying
             * sizes): glibc keeps the freed pages inside its arenas. Giving them back every 10 s
             * costs a few ms and keeps RSS near the live data (docs/benchmarks.md, "Operator"). */
#ifndef SLU_HAVE_JEMALLOC
            malloc_trim(0); /* (jemalloc returns pages by itself: dirty pages decay in 10 s) */
#endif
            next_trim = slu_now_mono_ns() + (int64_t)10 * 1000000000;
        }
        if (sig == SIGINT || sig == SIGTERM) {
            ret = 0;
            break;
        }
        if (atomic_load(&ls.lost)) {
            ret = 1;
            break;
        }
    }
out:
    op_http_stop(http); /* first: its thread reads the controllers */
    if (leader) {
        kube_leader_stop(leader);
        kube_leader_free(leader);
    }
#ifdef OP_HAVE_SCHEDULED
    if (ls.sched) {
        op_scheduled_stop(ls.sched);
        op_scheduled_free(ls.sched);
    }
#endif
    op_controller_free(ctl);
    kube_client_free(c);
    kube_config_free(cfg);
    slu_strv_free(nsv);
    slu_err_release(&err);
    return ret;
}
