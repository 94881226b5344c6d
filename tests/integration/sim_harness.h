/* sim_harness.h - a real `sluice sim` child process for the C integration tests.
 *
 * sim_harness_start() makes a temporary directory /tmp/slu-<tag>-XXXXXX, forks and execs
 * `$SLUICE sim --listen 127.0.0.1:0 --kubeconfig-out DIR/kubeconfig [extra...]` with the child's
 * stderr in DIR/sim.log, and waits (up to 30 s) until the sim has written its kubeconfig (it
 * writes it atomically once it serves) or has exited. sim_harness_connect() then loads that
 * kubeconfig as any client would and builds a kube client with the given rate limits.
 * sim_harness_stop() frees the client, sends SIGTERM (SIGKILL after 5 s), and removes the
 * directory. CMake builds each tests/integration/test_*.c as its own program, so everything
 * here is static inline. The tests that start their own operator processes use
 * test_operator_harness.h instead. */
#ifndef SLU_SIM_HARNESS_H
#define SLU_SIM_HARNESS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "kube/kube.h"

#define SIM_HARNESS_MAX_EXTRA 16

struct sim_harness {
    pid_t pid;               /* the sim child; 0 once reaped */
    char dir[64];            /* the temporary directory, removed by sim_harness_stop */
    char kcfg[128];          /* DIR/kubeconfig */
    char log[128];           /* DIR/sim.log: the sim's stderr */
    struct kube_config *cfg; /* set by sim_harness_connect; owned */
    struct kube_client *c;   /* set by sim_harness_connect; owned */
};

/* Starts the sim: `tag` names the temporary directory, `extra` is a NULL-terminated list of
 * further arguments (may be NULL). Clears *h first. Returns 0 once the kubeconfig is there, -1
 * (with a message on stderr) when SLUICE is unset, the sim exited early or never served. On
 * failure call sim_harness_stop() all the same to reap the child and remove the directory. */
static inline int sim_harness_start(struct sim_harness *h, const char *tag,
                                    const char *const *extra)
{
    memset(h, 0, sizeof(*h));
    const char *bin = getenv("SLUICE");
    if (!bin || !*bin) {
        fprintf(stderr, "SLUICE is not set\n");
        return -1;
    }
    snprintf(h->dir, sizeof(h->dir), "/tmp/slu-%s-XXXXXX", tag);
    if (!mkdtemp(h->dir)) {
        h->dir[0] = '\0';
        return -1;
    }
    snprintf(h->kcfg, sizeof(h->kcfg), "%s/kubeconfig", h->dir);
    snprintf(h->log, sizeof(h->log), "%s/sim.log", h->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen(h->log, "w", stderr))
            _exit(126);
        const char *argv[6 + SIM_HARNESS_MAX_EXTRA + 1] = {
            bin, "sim", "--listen", "127.0.0.1:0", "--kubeconfig-out", h->kcfg};
        int n = 6;
        for (int i = 0; extra && extra[i] && i < SIM_HARNESS_MAX_EXTRA; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    h->pid = pid;
    for (int i = 0; i < 3000; i++) { /* up to 30 s for the sim to serve */
        struct stat st;
        if (stat(h->kcfg, &st) == 0 && st.st_size > 0)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "sluice sim exited early (status %d); see %s\n", status, h->log);
            h->pid = 0;
            return -1;
        }
        slu_sleep_ms(10);
    }
    fprintf(stderr, "sluice sim wrote no kubeconfig in 30 s; see %s\n", h->log);
    return -1;
}

/* Loads the sim's kubeconfig into h->cfg (with the given client-side rate limits) and builds
 * h->c. Returns 0, or -1 with a message on stderr. */
static inline int sim_harness_connect(struct sim_harness *h, double qps, double burst)
{
    struct slu_err err = {0};
    if (kube_config_load(h->kcfg, NULL, &h->cfg, &err) < 0) {
        fprintf(stderr, "kubeconfig from the sim: %s\n", err.msg);
        slu_err_release(&err);
        return -1;
    }
    h->cfg->qps = qps;
    h->cfg->burst = burst;
    h->c = kube_client_new(h->cfg, &err);
    if (!h->c) {
        fprintf(stderr, "client: %s\n", err.msg);
        slu_err_release(&err);
        return -1;
    }
    return 0;
}

/* Frees the client and config, stops the sim (SIGTERM, SIGKILL after 5 s), removes the
 * directory and clears *h. Safe on a harness that failed to start or was never started. */
static inline void sim_harness_stop(struct sim_harness *h)
{
    kube_client_free(h->c);
    kube_config_free(h->cfg);
    if (h->pid > 0) {
        kill(h->pid, SIGTERM);
        int status;
        for (int i = 0; i < 500; i++) {
            if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
                h->pid = 0;
                break;
            }
            slu_sleep_ms(10);
        }
        if (h->pid > 0) {
            kill(h->pid, SIGKILL);
            waitpid(h->pid, &status, 0);
        }
    }
    if (h->dir[0]) {
        char *cmd = slu_asprintf("rm -rf '%s'", h->dir);
        int rc = system(cmd);
        (void)rc;
        free(cmd);
    }
    memset(h, 0, sizeof(*h));
}

#endif
