/*
 * cmd_sim.c - `sluice sim`: serves a simulated Kubernetes cluster on 127.0.0.1 until SIGINT or
 * SIGTERM. Parses the options with getopt_long, blocks the two signals before any thread
 * starts (so sigwait receives them), starts the sim, writes the kubeconfig once it serves, and
 * announces the URL on stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "cli/cli.h"
#include "sim/sim.h"

static void sim_usage(FILE *f)
{
    fprintf(f,
            "Usage: sluice sim [options]\n\n"
            "Serves a simulated Kubernetes cluster (API server, nodes, scheduler, kubelet, Spark\n"
            "driver model) on the loopback interface until interrupted.\n\n"
            "Options:\n"
            "  --listen 127.0.0.1:PORT   address to serve on (PORT 0: a free port; default 0)\n"
            "  --kubeconfig-out FILE     write a kubeconfig for the sim to FILE once it serves\n"
            "  --nodes SPEC              node pools, e.g. 20x32c128Gi;2x4c16Gi:pool=small\n"
            "                            (default 3x8c32Gi)\n"
            "  --faults SPEC             fault injection, e.g. error=0.05:500,429;latency=5ms;\n"
            "                            watch-cut=10s;event-window=100;restart=30s\n"
            "  --time-scale X            run modelled durations X times faster (default 1)\n"
            "  --tls                     serve HTTPS with a generated CA (in the kubeconfig)\n"
            "  --log-level LEVEL         debug|info|warn|error|off (default warn)\n"
            "  -h, --help                show this help\n");
}

static int parse_listen(const char *s, char *host, size_t hn, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon) {
        slu_strlcpy(host, s, hn);
        *port = 0;
        return 0;
    }
    size_t n = (size_t)(colon - s);
    if (n >= hn)
        return -1;
    memcpy(host, s, n);
    host[n] = 0;
    if (!*host)
        slu_strlcpy(host, "127.0.0.1", hn);
    int64_t p;
    if (slu_parse_i64(colon + 1, &p) != 0 || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"kubeconfig-out", required_argument, NULL, 'k'},
        {"nodes", required_argument, NULL, 'n'},
        {"faults", required_argument, NULL, 'f'},
        {"time-scale", required_argument, NULL, 't'},
        {"tls", no_argument, NULL, 'T'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[128] = "127.0.0.1";
    struct sim_options o = {.listen_host = host, .port = 0, .time_scale = 1};
    slu_log_set_level(SLU_LOG_WARN);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, host, sizeof host, &o.port) != 0) {
                fprintf(stderr, "sluice sim: --listen: expected 127.0.0.1:PORT, got \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'k':
            o.kubeconfig_out = optarg;
            break;
        case 'n':
            o.nodes_spec = optarg;
            break;
        case 'f':
            o.faults_spec = optarg;
            break;
        case 't':
            if (slu_parse_double(optarg, &o.time_scale) != 0 || !(o.time_scale > 0)) {
                fprintf(stderr,
                        "sluice sim: --time-scale: expected a positive number, got "
                        "\"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'T':
            o.tls = true;
            break;
        case 'L':
            if (cli_set_log_level("sim", optarg) != 0)
                return 2;
            break;
        case 'h':
            sim_usage(stdout);
            return 0;
        default:
            sim_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice sim: unexpected argument \"%s\"\n", argv[optind]);
        sim_usage(stderr);
        return 2;
    }

    sigset_t set;
    cli_block_stop_signals(&set);

    struct sim *s = NULL;
    struct slu_err err = {0};
    if (sim_start(&o, &s, &err) != 0) {
        fprintf(stderr, "sluice sim: %s\n", err.msg);
        slu_err_release(&err);
        return 1;
    }
    fprintf(stderr, "sluice sim: serving on %s\n", sim_url(s));
    if (o.kubeconfig_out)
        fprintf(stderr, "sluice sim: kubeconfig written to %s\n", o.kubeconfig_out);
    fflush(stderr);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "sluice sim: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sim_stop(s);
    return 0;
}
