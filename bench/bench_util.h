/*
 * bench_util.h - helpers shared by the benchmark programs in bench/ (header only, every function
 * static): starting a `sluice sim` child process on 127.0.0.1 and stopping it, a client on its
 * kubeconfig with the client-side rate limit off, reading VmRSS/VmHWM from /proc, a clock, and
 * creating many small pods from several threads.
 *
 * The sim binary is argv[1] when given, else $SLUICE, else build/sluice. Benchmarks print
 * human-readable lines and one machine-readable "RESULT name=value ..." line per figure, which
 * scripts/bench.sh collects into its summary.
 */
#ifndef SLU_BENCH_UTIL_H
#define SLU_BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "kube/kube.h"

struct bench_sim {
    pid_t pid;
    char dir[64];         /* a private temporary directory */
    char kubeconfig[128]; /* dir/kubeconfig */
};

static inline double bench_now(void)
{
    return (double)slu_now_mono_ns() / 1e9;
}

static inline const char *bench_sluice_path(int argc, char **argv)
{
    if (argc > 1 && argv[1][0])
        return argv[1];
    const char *e = getenv("SLUICE");
    return e && *e ? e : "build/sluice";
}

/* The optional count argument argv[2] of a bench (*n keeps its default when absent). Returns 0,
 * or 2 (the exit code) after printing the usage of bench `name` when it is not a whole number
 * in [lo, hi]. */
static inline int bench_count_arg(int argc, char **argv, const char *name, long lo, long hi,
                                  long *n)
{
    if (argc <= 2)
        return 0;
    int64_t v;
    if (slu_parse_i64(argv[2], &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "usage: %s [SLUICE] [N (%ld..%ld)]\n", name, lo, hi);
        return 2;
    }
    *n = (long)v;
    return 0;
}

/* Reads "Key:   123 kB" from /proc/<pid>/status (pid 0: self); returns kB or -1. */
static inline long bench_proc_kb(pid_t pid, const char *key)
{
    char path[64];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    size_t kl = strlen(key);
    long v = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            int64_t x;
            char *p = line + kl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            char *end = p;
            while (*end >= '0' && *end <= '9')
                end++;
            *end = '\0';
            if (slu_parse_i64(p, &x) == 0)
                v = (long)x;
            break;
        }
    }
    fclose(f);
    return v;
}

/* The 1-minute load average (the machine is shared: wall-clock rates depend on it). */
static inline double bench_loadavg(void)
{
    double v = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        char b[64] = "";
        if (fgets(b, sizeof b, f)) {
            char *sp = strchr(b, ' ');
            if (sp)
                *sp = '\0';
            if (slu_parse_double(b, &v) != 0)
                v = -1;
        }
        fclose(f);
    }
    return v;
}

/* CPU seconds (user + system) used so far by process pid (0: self), from /proc/PID/stat. */
static inline double bench_proc_cpu(pid_t pid)
{
    char path[64];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    double v = -1;
    if (fgets(line, sizeof line, f)) {
        char *p = strrchr(line, ')'); /* the command name may contain spaces */
        char **fields = p ? slu_str_split(p + 2, ' ', false, NULL) : NULL;
        /* after ')': field 3 (state) is index 0, utime (14) is index 11, stime (15) index 12 */
        size_t nf = 0;
        while (fields && fields[nf])
            nf++;
        uint64_t ut, st;
        if (nf > 12 && slu_parse_u64(fields[11], &ut) == 0 && slu_parse_u64(fields[12], &st) == 0)
            v = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        slu_strv_free(fields);
    }
    fclose(f);
    return v;
}

/* Starts `sluice sim --listen 127.0.0.1:0 --kubeconfig-out DIR/kubeconfig` plus extra (a
 * NULL-terminated list, may be NULL) and waits until the kubeconfig exists (it is written once
 * the server answers). The sim's stderr goes to DIR/sim.log. Returns 0 or -1 (message printed). */
static inline int bench_sim_start(struct bench_sim *s, const char *bin, const char *const *extra)
{
    memset(s, 0, sizeof *s);
    slu_strlcpy(s->dir, "/tmp/sluice-bench-XXXXXX", sizeof s->dir);
    if (!mkdtemp(s->dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(s->kubeconfig, sizeof s->kubeconfig, "%s/kubeconfig", s->dir);
    char logp[128];
    snprintf(logp, sizeof logp, "%s/sim.log", s->dir);
    const char *args[32] = {bin,          "sim", "--listen", "127.0.0.1:0", "--kubeconfig-out",
                            s->kubeconfig};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < SLU_ARRAY_LEN(args) - 1; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid < 0) {
        perror("fork");
        return -1;
    }
    if (s->pid == 0) {
        /* the sim goes with us, even when a timeout kills the benchmark */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)args);
        fprintf(stderr, "bench: cannot start %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 300; i++) { /* up to 30 s */
        struct stat sb;
        if (stat(s->kubeconfig, &sb) == 0 && sb.st_size > 0)
            return 0;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "bench: %s sim exited early (see %s)\n", bin, logp);
            s->pid = 0;
            return -1;
        }
        slu_sleep_ms(100);
    }
    fprintf(stderr, "bench: the sim did not write its kubeconfig within 30 s\n");
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}

/* Stops the sim (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
static inline void bench_sim_stop(struct bench_sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status;
        int i;
        for (i = 0; i < 100; i++) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid)
                break;
            slu_sleep_ms(100);
        }
        if (i == 100) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
        s->pid = 0;
    }
    char p[160];
    snprintf(p, sizeof p, "%s/kubeconfig", s->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/sim.log", s->dir);
    unlink(p);
    rmdir(s->dir);
}

/* A client on the sim's kubeconfig with the client-side rate limit disabled (a benchmark
 * measures the server and the transport, not the token bucket). NULL on error (printed). */
static inline struct kube_client *bench_client(const struct bench_sim *s)
{
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    if (kube_config_load(s->kubeconfig, NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench: kubeconfig: %s\n", err.msg);
        slu_err_release(&err);
        return NULL;
    }
    cfg->qps = -1;
    struct kube_client *c = kube_client_new(cfg, &err);
    if (!c)
        fprintf(stderr, "bench: client: %s\n", err.msg);
    kube_config_free(cfg);
    slu_err_release(&err);
    return c;
}

/* The benchmark pod: one container, no resources; schedulerName points at a scheduler that does
 * not exist, so the sim's scheduler leaves it Pending and the kubelet never sees it (only the API
 * server and the store are measured, as with pods waiting for a busy scheduler). Returned owned. */
static inline json_t *bench_pod(const char *ns, const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:[{s:s,s:s}]}}", "apiVersion", "v1",
                     "kind", "Pod", "metadata", "name", name, "namespace", ns, "labels", "app",
                     "bench", "tier", "batch", "spec", "schedulerName", "bench-none", "containers",
                     "name", "main", "image", "busybox:1.36");
}

/* Creates a namespace (AlreadyExists is fine). */
static inline int bench_ensure_ns(struct kube_client *c, const char *ns)
{
    json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                          "name", ns);
    struct slu_err err = {0};
    int rc = kube_create(c, &KUBE_RES_NAMESPACES, NULL, o, NULL, &err);
    json_decref(o);
    if (rc == SLU_EEXIST)
        rc = 0;
    if (rc != 0)
        fprintf(stderr, "bench: namespace %s: %s\n", ns, err.msg);
    slu_err_release(&err);
    return rc;
}

struct bench_creator {
    struct kube_client *c;
    const char *ns;
    const char *prefix;
    long first, count; /* this thread's names: prefix-first .. prefix-(first+count-1) */
    long errors;
    char first_error[256];
};

static inline void *bench_creator_main(void *arg)
{
    struct bench_creator *b = arg;
    char name[128];
    for (long i = b->first; i < b->first + b->count; i++) {
        snprintf(name, sizeof name, "%s-%06ld", b->prefix, i);
        json_t *pod = bench_pod(b->ns, name);
        struct slu_err err = {0};
        if (kube_create(b->c, &KUBE_RES_PODS, b->ns, pod, NULL, &err) != 0) {
            if (b->errors++ == 0)
                slu_strlcpy(b->first_error, err.msg, sizeof b->first_error);
        }
        slu_err_release(&err);
        json_decref(pod);
    }
    return NULL;
}

/* Creates n pods named prefix-000000.. in ns with `threads` threads; returns the number of
 * failures (the first one printed). */
static inline long bench_create_pods(struct kube_client *c, const char *ns, const char *prefix,
                                     long n, int threads)
{
    struct bench_creator cr[16];
    pthread_t th[16];
    if (threads > 16)
        threads = 16;
    long per = n / threads, rest = n % threads, next = 0;
    for (int t = 0; t < threads; t++) {
        cr[t] = (struct bench_creator){.c = c, .ns = ns, .prefix = prefix, .first = next};
        cr[t].count = per + (t < rest ? 1 : 0);
        next += cr[t].count;
        pthread_create(&th[t], NULL, bench_creator_main, &cr[t]);
    }
    long errors = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        if (cr[t].errors && !errors)
            fprintf(stderr, "bench: create failed: %s\n", cr[t].first_error);
        errors += cr[t].errors;
    }
    return errors;
}

#endif
