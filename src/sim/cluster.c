/*
 * cluster.c - the simulated cluster behind `sluice sim`: creates the nodes, runs the scheduler
 * and kubelet threads, owns the model clock, the container logs and the pod-model registry.
 *
 * Model clock: model time = real monotonic time since start x time_scale; every modelled
 * duration (start-up delays, run-seconds, back-offs, grace periods, log ticks) is model time.
 * Timestamps written into objects are real wall-clock times, like the store's
 * creationTimestamp, so `kubectl get` ages stay consistent.
 *
 * Logs: one buffer per container instance ("ns/pod" -> containers), plus the previous
 * instance. Heartbeat lines ("every 5 model seconds") are generated lazily when a log is read or
 * appended to, so 100k idle pods cost nothing. Each buffer is capped at SIM_LOG_CAP: when it
 * grows past the cap its head is dropped (the tail is kept), and `base` counts the bytes
 * dropped, so offsets are positions in the whole stream (sim_cluster_read_log_at).
 */
#include <string.h>

#include "sim/parts.h"

#define LOG_TICK_MS 5000
#define LOG_MAX_TICK_BURST 20000
#define MODELS_MAX 8

/* ---------------------------------------------------------------- clock */

void sim_clock_init(struct sim_clock *k, double scale)
{
    k->scale = scale > 0 ? scale : 1;
    k->t0_mono_ns = slu_now_mono_ns();
    k->t0_real_ns = slu_now_real_ns();
}

int64_t sim_clock_now_ms(const struct sim_clock *k)
{
    double real_ms = (double)(slu_now_mono_ns() - k->t0_mono_ns) / 1e6;
    return (int64_t)(real_ms * k->scale);
}

int64_t sim_clock_real_ms(const struct sim_clock *k, int64_t model_ms)
{
    if (model_ms <= 0)
        return 0;
    double r = (double)model_ms / k->scale;
    int64_t ms = (int64_t)r;
    if ((double)ms < r)
        ms++;
    return ms;
}

/* Wall-clock unix seconds of a model instant. */
static int64_t clock_unix_of(const struct sim_clock *k, int64_t model_ms)
{
    int64_t real_ns = k->t0_real_ns + (int64_t)((double)model_ms * 1e6 / k->scale);
    return real_ns / 1000000000LL;
}

/* ---------------------------------------------------------------- cluster */

struct clog {
    char *container;
    struct slu_buf buf;
    size_t base;
    struct slu_buf prev;
    size_t prev_base;
    bool has_prev;
    bool running;
    bool ended;
    bool own; /* a pod model writes this log: no heartbeats, no final line */
    int64_t started_ms;
    int64_t next_tick_ms;
    uint64_t ticks;
};

struct plog {
    struct clog *c;
    size_t n;
};

struct sim_cluster {
    struct sim_store *st;
    struct sim_clock clock;
    int64_t delay_min_ms, delay_max_ms;
    struct sim_scheduler *sched;
    struct sim_kubelet *kubelet;
    pthread_mutex_t log_mu;
    struct slu_map logs; /* "ns/pod" -> struct plog */
    pthread_mutex_t model_mu;
    struct sim_pod_model models[MODELS_MAX];
    size_t nmodels;
    struct sim_sparkdriver *spark; /* the built-in Spark driver/executor models */
};

static void plog_free(void *p)
{
    struct plog *pl = p;
    if (!pl)
        return;
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->c[i].container);
        slu_buf_release(&pl->c[i].buf);
        slu_buf_release(&pl->c[i].prev);
    }
    free(pl->c);
    free(pl);
}

struct sim_store *sim_cluster_store(struct sim_cluster *c)
{
    return c->st;
}

const struct sim_clock *sim_cluster_clock(struct sim_cluster *c)
{
    return &c->clock;
}

void sim_cluster__start_delay(struct sim_cluster *c, int64_t *min_ms, int64_t *max_ms)
{
    *min_ms = c->delay_min_ms;
    *max_ms = c->delay_max_ms;
}

/* ---- logs (log_mu held) */

static void clog_trim(struct clog *l)
{
    if (l->buf.len <= SIM_LOG_CAP)
        return;
    size_t drop = l->buf.len - SIM_LOG_CAP * 3 / 4;
    const char *nl = memchr(l->buf.data + drop, '\n', l->buf.len - drop);
    if (nl)
        drop = (size_t)(nl - l->buf.data) + 1;
    memmove(l->buf.data, l->buf.data + drop, l->buf.len - drop);
    l->buf.len -= drop;
    l->buf.data[l->buf.len] = '\0';
    l->base += drop;
}

static void clog_line(struct sim_cluster *c, struct clog *l, int64_t model_ms, const char *text)
{
    char ts[40];
    slu_time_format_rfc3339(clock_unix_of(&c->clock, model_ms), ts, sizeof(ts));
    slu_buf_printf(&l->buf, "%s %s\n", ts, text);
    clog_trim(l);
}

/* Appends the heartbeat lines due up to now. */
static void clog_materialize(struct sim_cluster *c, struct clog *l, int64_t now_ms)
{
    if (!l->running || l->own || l->next_tick_ms > now_ms)
        return;
    uint64_t due = (uint64_t)((now_ms - l->next_tick_ms) / LOG_TICK_MS) + 1;
    if (due > LOG_MAX_TICK_BURST) {
        uint64_t skip = due - LOG_MAX_TICK_BURST;
        l->ticks += skip;
        l->next_tick_ms += (int64_t)skip * LOG_TICK_MS;
        l->base += skip * 64; /* those lines fell out of the capped buffer long ago */
    }
    char line[256];
    while (l->next_tick_ms <= now_ms) {
        l->ticks++;
        snprintf(line, sizeof(line), "INFO %s: working (heartbeat %llu, up %llds)", l->container,
                 (unsigned long long)l->ticks,
                 (long long)((l->next_tick_ms - l->started_ms) / 1000));
        clog_line(c, l, l->next_tick_ms, line);
        l->next_tick_ms += LOG_TICK_MS;
    }
}

static struct clog *clog_find(struct sim_cluster *c, const char *ns, const char *pod,
                              const char *container, bool create)
{
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", pod);
    struct plog *pl = slu_map_get(&c->logs, key);
    if (!pl) {
        if (!create)
            return NULL;
        pl = slu_calloc(1, sizeof(*pl));
        slu_map_put(&c->logs, key, pl);
    }
    if (!container)
        return pl->n ? &pl->c[0] : NULL;
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->c[i].container, container) == 0)
            return &pl->c[i];
    if (!create)
        return NULL;
    pl->c = slu_realloc(pl->c, (pl->n + 1) * sizeof(*pl->c));
    struct clog *l = &pl->c[pl->n++];
    memset(l, 0, sizeof(*l));
    l->container = slu_strdup(container);
    return l;
}

void sim_cluster__log_start(struct sim_cluster *c, const char *ns, const char *pod,
                            const char *container, const char *image)
{
    int64_t now = sim_clock_now_ms(&c->clock);
    pthread_mutex_lock(&c->log_mu);
    struct clog *l = clog_find(c, ns, pod, container, true);
    if (l->started_ms || l->buf.len || l->ended) {
        /* a restart: the current instance becomes the previous one */
        slu_buf_release(&l->prev);
        l->prev = l->buf;
        l->prev_base = l->base;
        l->has_prev = true;
        memset(&l->buf, 0, sizeof(l->buf));
        l->base = 0;
    }
    l->running = true;
    l->ended = false;
    l->own = false;
    l->started_ms = now ? now : 1;
    l->next_tick_ms = now + LOG_TICK_MS;
    l->ticks = 0;
    char line[600];
    snprintf(line, sizeof(line), "INFO %s: starting (image %s)", container, image ? image : "");
    clog_line(c, l, now, line);
    snprintf(line, sizeof(line), "INFO %s: pod %s/%s started", container, ns ? ns : "", pod);
    clog_line(c, l, now, line);
    pthread_mutex_unlock(&c->log_mu);
}

void sim_cluster__log_end(struct sim_cluster *c, const char *ns, const char *pod,
                          const char *container, int exit_code, const char *reason)
{
    int64_t now = sim_clock_now_ms(&c->clock);
    pthread_mutex_lock(&c->log_mu);
    struct clog *l = clog_find(c, ns, pod, container, false);
    if (l && l->running && l->own) {
        l->running = false;
        l->ended = true;
    } else if (l && l->running) {
        clog_materialize(c, l, now);
        char line[400];
        if (slu_streq(reason, "OOMKilled"))
            snprintf(line, sizeof(line), "ERROR %s: killed: out of memory (exit code %d)",
                     container, exit_code);
        else if (exit_code == 0)
            snprintf(line, sizeof(line), "INFO %s: finished (exit code 0)", container);
        else
            snprintf(line, sizeof(line), "ERROR %s: failed (exit code %d, %s)", container,
                     exit_code, reason ? reason : "Error");
        clog_line(c, l, now, line);
        l->running = false;
        l->ended = true;
    }
    pthread_mutex_unlock(&c->log_mu);
}

void sim_cluster_log_own(struct sim_cluster *c, const char *ns, const char *pod,
                         const char *container)
{
    if (!c || !pod)
        return;
    pthread_mutex_lock(&c->log_mu);
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", pod);
    struct plog *pl = slu_map_get(&c->logs, key);
    for (size_t i = 0; pl && i < pl->n; i++)
        if (!container || strcmp(pl->c[i].container, container) == 0)
            pl->c[i].own = true;
    pthread_mutex_unlock(&c->log_mu);
}

void sim_cluster__log_drop_pod(struct sim_cluster *c, const char *ns, const char *pod)
{
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", pod);
    pthread_mutex_lock(&c->log_mu);
    slu_map_del(&c->logs, key);
    pthread_mutex_unlock(&c->log_mu);
}

void sim_cluster_log(struct sim_cluster *c, const char *ns, const char *pod, const char *container,
                     const char *fmt, ...)
{
    if (!c || !pod || !fmt)
        return;
    char *text;
    va_list ap;
    va_start(ap, fmt);
    text = slu_vasprintf(fmt, ap);
    va_end(ap);
    int64_t now = sim_clock_now_ms(&c->clock);
    pthread_mutex_lock(&c->log_mu);
    struct clog *l = clog_find(c, ns, pod, container, false);
    if (l) {
        clog_materialize(c, l, now);
        size_t n = strlen(text);
        slu_buf_append(&l->buf, text, n);
        if (n == 0 || text[n - 1] != '\n')
            slu_buf_putc(&l->buf, '\n');
        clog_trim(l);
    }
    pthread_mutex_unlock(&c->log_mu);
    free(text);
}

int sim_cluster_read_log_at(struct sim_cluster *c, const char *ns, const char *pod,
                            const char *container, bool previous, size_t offset,
                            struct slu_buf *out, size_t *next_offset, bool *ended,
                            struct slu_err *err)
{
    if (ended)
        *ended = false;
    if (!c || !pod)
        return slu_err_set(err, SLU_ENOTFOUND, "pods \"%s\" not found", pod ? pod : "");
    int64_t now = sim_clock_now_ms(&c->clock);
    int rc = 0;
    pthread_mutex_lock(&c->log_mu);
    struct clog *l = clog_find(c, ns, pod, container, false);
    if (!l) {
        if (container)
            rc = slu_err_set(err, SLU_ENOTFOUND, "container \"%s\" in pod \"%s\" has no log",
                             container, pod);
        else
            rc = slu_err_set(err, SLU_ENOTFOUND, "pod \"%s\" has no log", pod);
        goto out;
    }
    const struct slu_buf *b = &l->buf;
    size_t base = l->base;
    bool done = l->ended;
    if (previous) {
        if (!l->has_prev) {
            rc = slu_err_set(err, SLU_EBADREQUEST,
                             "previous terminated container \"%s\" in pod \"%s\" not found",
                             l->container, pod);
            goto out;
        }
        b = &l->prev;
        base = l->prev_base;
        done = true;
    } else {
        clog_materialize(c, l, now);
    }
    size_t start = offset > base ? offset - base : 0;
    if (start < b->len && out)
        slu_buf_append(out, b->data + start, b->len - start);
    if (next_offset)
        *next_offset = base + b->len;
    if (ended)
        *ended = done;
out:
    pthread_mutex_unlock(&c->log_mu);
    return rc;
}

int sim_cluster_read_log(struct sim_cluster *c, const char *ns, const char *pod,
                         const char *container, bool previous, size_t offset, struct slu_buf *out,
                         bool *ended, struct slu_err *err)
{
    return sim_cluster_read_log_at(c, ns, pod, container, previous, offset, out, NULL, ended, err);
}

/* ---- models */

int sim_cluster_add_model(struct sim_cluster *c, const struct sim_pod_model *m, struct slu_err *err)
{
    if (!m || !m->role || !m->on_running)
        return slu_err_set(err, SLU_EINVAL, "pod model needs a role and on_running");
    pthread_mutex_lock(&c->model_mu);
    int rc = 0;
    if (c->nmodels >= MODELS_MAX)
        rc = slu_err_set(err, SLU_ETOOBIG, "at most %d pod models", MODELS_MAX);
    else
        c->models[c->nmodels++] = *m;
    pthread_mutex_unlock(&c->model_mu);
    return rc;
}

const struct sim_pod_model *sim_cluster__model_for(struct sim_cluster *c, const json_t *pod)
{
    const char *role = json_string_value(
        json_object_get(json_object_get(json_object_get(pod, "metadata"), "labels"), "spark-role"));
    if (!role)
        return NULL;
    const struct sim_pod_model *m = NULL;
    pthread_mutex_lock(&c->model_mu);
    /* the last registered wins: the built-in Spark models are registered at start, so a model
     * registered later (a test's) replaces them */
    for (size_t i = c->nmodels; i-- > 0;)
        if (strcmp(c->models[i].role, role) == 0) {
            m = &c->models[i]; /* stable: entries are never moved or removed */
            break;
        }
    pthread_mutex_unlock(&c->model_mu);
    return m;
}

void sim_cluster_pod_exit(struct sim_cluster *c, const char *ns, const char *pod, const char *uid,
                          int exit_code)
{
    if (c && c->kubelet)
        sim_kubelet__post_exit(c->kubelet, ns, pod, uid, exit_code);
}

void sim_cluster_pod_oom(struct sim_cluster *c, const char *ns, const char *pod, const char *uid)
{
    if (c && c->kubelet)
        sim_kubelet__post_oom(c->kubelet, ns, pod, uid);
}

void sim_cluster_after(struct sim_cluster *c, int64_t model_ms,
                       void (*fn)(struct sim_cluster *c, void *arg), void *arg)
{
    if (c && c->kubelet && fn)
        sim_kubelet__post_after(c->kubelet, model_ms, fn, arg);
}

/* ---- start/stop */

int sim_cluster_start(struct sim_store *st, const struct sim_cluster_opts *o,
                      struct sim_cluster **out, struct slu_err *err)
{
    *out = NULL;
    double scale = o && o->time_scale > 0 ? o->time_scale : 1;
    int64_t dmin = o ? o->start_delay_ms_min : 0, dmax = o ? o->start_delay_ms_max : 0;
    if (dmin == 0 && dmax == 0) {
        dmin = 500;
        dmax = 1500;
    }
    if (dmin < 0 || dmax < dmin)
        return slu_err_set(err, SLU_EINVAL,
                           "cluster: start-up delay range %lld..%lld ms is not valid",
                           (long long)dmin, (long long)dmax);
    if (o && o->time_scale < 0)
        return slu_err_set(err, SLU_EINVAL, "cluster: time scale must be > 0");
    json_t *nodes = NULL;
    int rc = sim_nodes_parse(o ? o->nodes_spec : NULL, &nodes, err);
    if (rc != 0)
        return rc;
    const struct sim_rtype *nodes_rt = sim_store_type(st, "", "v1", "nodes");
    if (!nodes_rt) {
        json_decref(nodes);
        return slu_err_set(err, SLU_ESTATE, "cluster: the store serves no nodes");
    }
    struct sim_cluster *c = slu_calloc(1, sizeof(*c));
    c->st = st;
    c->delay_min_ms = dmin;
    c->delay_max_ms = dmax;
    sim_clock_init(&c->clock, scale);
    pthread_mutex_init(&c->log_mu, NULL);
    pthread_mutex_init(&c->model_mu, NULL);
    slu_map_init(&c->logs, plog_free);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        struct slu_err e = {0};
        int r = sim_store_create(st, nodes_rt, NULL, json_incref(n), NULL, NULL, &e);
        if (r != 0 && r != SLU_EEXIST) {
            slu_err_move(err, &e);
            if (err)
                slu_err_prefix(err, "cluster: creating node %s", kube_object_name(n));
            json_decref(nodes);
            sim_cluster_stop(c);
            return r;
        }
        slu_err_release(&e);
    }
    json_decref(nodes);
    if ((rc = sim_sparkdriver_start(c, &c->spark, err)) != 0 ||
        (rc = sim_kubelet_start(c, &c->kubelet, err)) != 0 ||
        (rc = sim_scheduler_start(st, &c->sched, err)) != 0) {
        sim_cluster_stop(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sim_cluster_stop(struct sim_cluster *c)
{
    if (!c)
        return;
    sim_scheduler_stop(c->sched);
    c->sched = NULL;
    sim_kubelet_stop(c->kubelet);
    c->kubelet = NULL;
    sim_sparkdriver_free(c->spark); /* after the kubelet: its callbacks use the model */
    c->spark = NULL;
    slu_map_release(&c->logs);
    pthread_mutex_destroy(&c->log_mu);
    pthread_mutex_destroy(&c->model_mu);
    free(c);
}

struct sim_sparkdriver *sim_cluster__sparkdriver(struct sim_cluster *c)
{
    return c ? c->spark : NULL;
}

bool sim_cluster__sched_idle(struct sim_cluster *c, int64_t timeout_ms)
{
    return c && c->sched && sim_scheduler_wait_idle(c->sched, timeout_ms);
}
