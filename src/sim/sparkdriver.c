/*
 * sparkdriver.c - the Spark driver model of `sluice sim`: a pod labelled spark-role=driver, once
 * Running, behaves like Spark's driver JVM in cluster mode, and the executor pods it creates
 * behave like Spark executors.
 *
 * How it works. The model registers two pod models with the cluster (roles "driver" and
 * "executor"); every callback runs on the kubelet thread, so the model's state needs no lock.
 * Work is driven by one timer heap in model time (entries name a driver by uid, so a timer for a
 * driver that went is simply dropped); each entry asks the kubelet for a wake-up with
 * sim_cluster_after(arg = the model), so there is no thread and no per-timer allocation the
 * kubelet would have to free. A driver goes through:
 *
 *   on_running  read spark.properties through the Spark container's mounts (the conf ConfigMap,
 *               and the executor pod template ConfigMap when podTemplateFile is set); while a
 *               ConfigMap is not in the store yet the driver waits (as a kubelet would hold the
 *               container); spark_driver_runtime_init; startup log.
 *   INIT        (2 model s later: SparkContext up) executor ConfigMap, then the allocator.
 *   ALLOC       every batch.delay while executors are missing: creates
 *               min(target - known, batch.size, maxPendingPods - pending) executor pods
 *               (spark_build_executor_pod, + PVCs), as ExecutorPodsAllocator does.
 *   job         starts when 80% of the target registered (minRegisteredResourcesRatio) or 30 s
 *               after INIT; work (core-seconds, annotation sim.sluice.dev/work-core-seconds,
 *               default 60) progresses at the summed spark.executor.cores of running executors;
 *               the finish time is recomputed on every change. Unschedulable executors stay
 *               Pending and the driver waits, without a timeout, as Spark does.
 *   stop        SparkPi's end of log, executors told to exit 0, then (§8 of the spec) Services,
 *               PVCs, executor pods and ConfigMaps deleted by label as configured, shutdown
 *               hook lines, and the driver container exits (0, 1, or 11 for too many executor
 *               failures).
 *
 * Failures on request (annotation sim.sluice.dev/fail on the driver): "submit" (exit 1 before
 * any executor), "driver" (the job throws half way: exit 1, executors cleaned up),
 * "executor-oom" (each executor is OOMKilled 3 model s after it starts; the driver replaces them
 * until spark.executor.maxNumFailures is exceeded, then exits 11 as Spark does).
 *
 * Logs: the model writes the containers' whole logs (sim_cluster_log_own), in Spark's log4j2
 * layout `yy/MM/dd HH:mm:ss LEVEL Class: message` with wall-clock times; durations in messages
 * are model time.
 */
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "sim/parts.h"
#include "spark/spark.h"

#define INIT_MS 2000          /* JVM + SparkContext start-up */
#define SUBMIT_FAIL_MS 1500   /* a failing submit dies this long after start */
#define READY_WAIT_MS 30000   /* spark.scheduler.maxRegisteredResourcesWaitingTime */
#define STARVE_EVERY_MS 15000 /* "Initial job has not accepted any resources" */
#define OOM_AFTER_MS 3000     /* executor-oom: time from start to the kill */
#define CLEANUP_MS 300        /* stop: executors told to exit -> objects deleted */
#define EXIT_MS 300           /* cleanup -> container exit */
#define CONF_RETRY_MS 500     /* waiting for a ConfigMap */
#define CONF_RETRY_MAX_MS 10000
#define MAX_EXECUTORS 100000 /* a hard cap on executors per driver */

enum fail_mode { FAIL_NONE, FAIL_SUBMIT, FAIL_DRIVER, FAIL_OOM };
enum dphase { D_WAITCONF, D_STARTING, D_RUNNING, D_STOPPING, D_DONE };
enum xstate { X_PENDING, X_RUNNING, X_FAILED, X_GONE, X_EXITED };
enum tkind {
    T_CONF,
    T_SUBMITFAIL,
    T_INIT,
    T_ALLOC,
    T_READY,
    T_JOBDONE,
    T_STARVE,
    T_OOM,
    T_LOST,
    T_CLEANUP,
    T_EXIT
};

struct sdexec {
    int id;
    char *name, *uid;
    enum xstate state;
    char ip[48];
    char *container; /* the executor's Spark container */
    int64_t started_ms;
};

struct sddrv {
    char *uid, *ns, *name, *container;
    char ip[48];
    json_t *pod;  /* the driver pod as stored at start */
    json_t *tmpl; /* executor pod template or NULL */
    json_t *conf_cm;
    struct spark_conf *conf;
    char *version;
    const char *app_id, *app_name, *driver_host; /* borrowed from conf */
    enum fail_mode fail;
    enum dphase phase;
    int64_t conf_wait_ms;
    int target, batch, max_pending, cores, max_failures, failures;
    int64_t batch_delay_ms;
    bool dyn, delete_execs, exec_cm_disabled, delete_svc, own_pvc;
    bool alloc_scheduled;
    int next_id;
    struct slu_vec execs;               /* struct sdexec* */
    double work_total_ms, work_done_ms; /* core-milliseconds */
    int64_t work_last_ms;
    bool job_started;
    int64_t job_start_ms, init_ms;
    uint64_t job_gen;
    int exit_code;
    int tasks_started;
};

struct sdtimer {
    int64_t due;
    uint64_t seq;
    enum tkind kind;
    char *uid;
    int arg;
    uint64_t gen;
};

struct sim_sparkdriver {
    struct sim_cluster *c;
    struct sim_store *st;
    const struct sim_rtype *pods_rt, *cm_rt, *pvc_rt, *svc_rt;
    struct slu_map drivers; /* driver pod uid -> sddrv */
    struct slu_map execs;   /* executor pod uid -> driver uid (owned string) */
    struct sdtimer *heap;
    size_t hn, hcap;
    uint64_t tseq;
    atomic_uint_fast64_t n_started, n_succeeded, n_failed, n_exec_created, n_exec_running, n_active;
};

/* ---------------------------------------------------------------- small helpers */

static int64_t now_ms(struct sim_sparkdriver *m)
{
    return sim_clock_now_ms(sim_cluster_clock(m->c));
}

static const char *annotation(const json_t *pod, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"), key));
}

static const char *label(const json_t *pod, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(pod, "metadata"), "labels"), key));
}

static void sdexec_free(void *p)
{
    struct sdexec *x = p;
    if (!x)
        return;
    free(x->name);
    free(x->uid);
    free(x->container);
    free(x);
}

static void sddrv_free(void *p)
{
    struct sddrv *d = p;
    if (!d)
        return;
    free(d->uid);
    free(d->ns);
    free(d->name);
    free(d->container);
    json_decref(d->pod);
    json_decref(d->tmpl);
    json_decref(d->conf_cm);
    spark_conf_free(d->conf);
    free(d->version);
    slu_vec_release(&d->execs, sdexec_free);
    free(d);
}

/* The Spark container of a pod: the builder's name, else the one with SPARK_CONF_DIR or
 * SPARK_APPLICATION_ID in its env (a template may rename it), else the first. Borrowed. */
static const json_t *spark_container(const json_t *pod, const char *builtin_name)
{
    const json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
    size_t i;
    const json_t *c;
    json_array_foreach(cs, i, c)
    {
        if (slu_streq(json_string_value(json_object_get(c, "name")), builtin_name))
            return c;
    }
    json_array_foreach(cs, i, c)
    {
        size_t j;
        const json_t *e;
        json_array_foreach(json_object_get(c, "env"), j, e)
        {
            const char *n = json_string_value(json_object_get(e, "name"));
            if (slu_streq(n, "SPARK_CONF_DIR") || slu_streq(n, "SPARK_APPLICATION_ID"))
                return c;
        }
    }
    return json_array_get(cs, 0);
}

static const char *env_of(const json_t *container, const char *name)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(container, "env"), i, e)
    {
        if (slu_streq(json_string_value(json_object_get(e, "name")), name))
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}

/* Appends one log4j2-style line ("yy/MM/dd HH:mm:ss LEVEL cls: text") to a container log; cls
 * NULL writes text as it is (stack traces, "Pi is roughly"). */
static void plog(struct sim_sparkdriver *m, const char *ns, const char *pod, const char *container,
                 const char *level, const char *cls, const char *fmt, ...) SLU_PRINTF(7, 8);
static void plog(struct sim_sparkdriver *m, const char *ns, const char *pod, const char *container,
                 const char *level, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = slu_vasprintf(fmt, ap);
    va_end(ap);
    if (!cls) {
        sim_cluster_log(m->c, ns, pod, container, "%s", text);
        free(text);
        return;
    }
    time_t t = (time_t)(slu_now_real_ns() / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%y/%m/%d %H:%M:%S", &tm);
    sim_cluster_log(m->c, ns, pod, container, "%s %s %s: %s", ts, level, cls, text);
    free(text);
}

#define DLOG(m, d, level, cls, ...)                                                                \
    plog(m, (d)->ns, (d)->name, (d)->container, level, cls, __VA_ARGS__)
#define XLOG(m, d, x, level, cls, ...)                                                             \
    plog(m, (d)->ns, (x)->name, (x)->container, level, cls, __VA_ARGS__)

/* ---------------------------------------------------------------- timers */

static bool t_less(const struct sdtimer *a, const struct sdtimer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void wake(struct sim_cluster *c, void *arg);

static void timer_add(struct sim_sparkdriver *m, const struct sddrv *d, enum tkind kind,
                      int64_t in_ms, int arg, uint64_t gen)
{
    if (in_ms < 0)
        in_ms = 0;
    if (m->hn == m->hcap) {
        m->hcap = m->hcap ? m->hcap * 2 : 64;
        m->heap = slu_realloc(m->heap, m->hcap * sizeof(*m->heap));
    }
    struct sdtimer t = {.due = now_ms(m) + in_ms,
                        .seq = ++m->tseq,
                        .kind = kind,
                        .uid = slu_strdup(d->uid),
                        .arg = arg,
                        .gen = gen};
    size_t i = m->hn++;
    m->heap[i] = t;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!t_less(&m->heap[i], &m->heap[p]))
            break;
        struct sdtimer tmp = m->heap[p];
        m->heap[p] = m->heap[i];
        m->heap[i] = tmp;
        i = p;
    }
    sim_cluster_after(m->c, in_ms, wake, m);
}

static struct sdtimer timer_pop(struct sim_sparkdriver *m)
{
    struct sdtimer top = m->heap[0];
    m->heap[0] = m->heap[--m->hn];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < m->hn && t_less(&m->heap[l], &m->heap[s]))
            s = l;
        if (r < m->hn && t_less(&m->heap[r], &m->heap[s]))
            s = r;
        if (s == i)
            break;
        struct sdtimer tmp = m->heap[s];
        m->heap[s] = m->heap[i];
        m->heap[i] = tmp;
        i = s;
    }
    return top;
}

/* ---------------------------------------------------------------- reading mounted files */

/* The text of the file at path inside container, when it comes from a configMap volume of pod:
 * 0 and *text (borrowed from *cm_out, a new reference the caller drops) when found;
 * SLU_ENOTFOUND when the ConfigMap is not in the store (yet); SLU_EINVAL when no configMap
 * volume provides the path (or the key is absent). */
static int mounted_file(struct sim_sparkdriver *m, const json_t *pod, const json_t *container,
                        const char *path, const char **text, json_t **cm_out, struct slu_err *err)
{
    *text = NULL;
    *cm_out = NULL;
    size_t i;
    const json_t *vm;
    json_array_foreach(json_object_get(container, "volumeMounts"), i, vm)
    {
        const char *mp = json_string_value(json_object_get(vm, "mountPath"));
        const char *vname = json_string_value(json_object_get(vm, "name"));
        if (!mp || !vname)
            continue;
        size_t n = strlen(mp);
        while (n > 1 && mp[n - 1] == '/')
            n--;
        const char *sub = json_string_value(json_object_get(vm, "subPath"));
        char rel[512];
        if (strncmp(path, mp, n) == 0 && path[n] == '/' && path[n + 1]) {
            if (sub && *sub)
                snprintf(rel, sizeof(rel), "%s/%s", sub, path + n + 1);
            else
                slu_strlcpy(rel, path + n + 1, sizeof(rel));
        } else if (strncmp(path, mp, n) == 0 && !path[n] && sub && *sub) {
            slu_strlcpy(rel, sub, sizeof(rel));
        } else {
            continue;
        }
        const json_t *vol = NULL, *v;
        size_t j;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), j, v)
        {
            if (slu_streq(json_string_value(json_object_get(v, "name")), vname))
                vol = v;
        }
        const json_t *src = json_object_get(vol, "configMap");
        const char *cm_name = json_string_value(json_object_get(src, "name"));
        if (!cm_name)
            continue;
        const char *key = NULL;
        const json_t *items = json_object_get(src, "items");
        if (json_array_size(items)) {
            const json_t *it;
            json_array_foreach(items, j, it)
            {
                if (slu_streq(json_string_value(json_object_get(it, "path")), rel))
                    key = json_string_value(json_object_get(it, "key"));
            }
        } else if (!strchr(rel, '/')) {
            key = rel;
        }
        if (!key)
            continue;
        json_t *cm = sim_store_get(m->st, m->cm_rt, kube_object_namespace(pod), cm_name);
        if (!cm)
            return slu_err_set(err, SLU_ENOTFOUND, "configmap \"%s\" not found", cm_name);
        const char *t = json_string_value(json_object_get(json_object_get(cm, "data"), key));
        if (!t) {
            json_decref(cm);
            return slu_err_set(err, SLU_EINVAL, "configmap \"%s\" has no key \"%s\"", cm_name, key);
        }
        *text = t;
        *cm_out = cm;
        return 0;
    }
    return slu_err_set(err, SLU_EINVAL, "%s: no configMap volume provides this file", path);
}

/* ---------------------------------------------------------------- conf */

static int conf_int(struct sddrv *d, const char *key, int32_t def, int32_t *out,
                    struct slu_err *err)
{
    return spark_conf_get_int(d->conf, key, def, out, err);
}

/* Reads the conf-derived settings of the allocator and the job. */
static int driver_settings(struct sddrv *d, struct slu_err *err)
{
    int rc;
    bool dyn = false;
    if ((rc = spark_conf_get_bool(d->conf, "spark.dynamicAllocation.enabled", false, &dyn, err)))
        return rc;
    d->dyn = dyn;
    int32_t instances = 0, min_e = 0, init_e = 0, max_e = INT32_MAX, v = 0;
    bool has_instances = spark_conf_get(d->conf, "spark.executor.instances") != NULL;
    if ((rc = conf_int(d, "spark.executor.instances", 2, &instances, err)))
        return rc;
    if (dyn) {
        if ((rc = conf_int(d, "spark.dynamicAllocation.minExecutors", 0, &min_e, err)) ||
            (rc = conf_int(d, "spark.dynamicAllocation.initialExecutors", min_e, &init_e, err)) ||
            (rc = conf_int(d, "spark.dynamicAllocation.maxExecutors", INT32_MAX, &max_e, err)))
            return rc;
        /* Utils.getDynamicAllocationInitialExecutors */
        int32_t t = min_e > init_e ? min_e : init_e;
        if (has_instances && instances > t)
            t = instances;
        d->target = t;
    } else {
        d->target = instances;
    }
    if (d->target < 0)
        d->target = 0;
    if (d->target > MAX_EXECUTORS)
        d->target = MAX_EXECUTORS;
    /* ExecutorFailureTracker.maxNumExecutorFailures */
    int64_t eff = dyn ? max_e : (has_instances ? instances : 0);
    int64_t dflt = eff > INT32_MAX / 2 ? INT32_MAX : 2 * eff;
    if (dflt < 3)
        dflt = 3;
    if ((rc = conf_int(d, "spark.executor.maxNumFailures", (int32_t)dflt, &v, err)))
        return rc;
    d->max_failures = v;
    /* 4.0.0 raised the default batch size from 5 to 10 (SPARK-50996) */
    int32_t def_batch = slu_str_has_prefix(d->version, "3.") ? 5 : 10;
    if ((rc = conf_int(d, "spark.kubernetes.allocation.batch.size", def_batch, &v, err)))
        return rc;
    d->batch = v > 0 ? v : 1;
    if ((rc = conf_int(d, "spark.kubernetes.allocation.maxPendingPods", INT32_MAX, &v, err)))
        return rc;
    d->max_pending = v > 0 ? v : 1;
    int64_t ms = 1000;
    if ((rc = spark_conf_get_time(d->conf, "spark.kubernetes.allocation.batch.delay", "1s", "ms",
                                  &ms, err)))
        return rc;
    d->batch_delay_ms = ms > 0 ? ms : 1000;
    if ((rc = conf_int(d, "spark.executor.cores", 1, &v, err)))
        return rc;
    d->cores = v > 0 ? v : 1;
    bool b;
    if ((rc = spark_conf_get_bool(d->conf, "spark.kubernetes.executor.deleteOnTermination", true,
                                  &b, err)))
        return rc;
    d->delete_execs = b;
    if ((rc = spark_conf_get_bool(d->conf, "spark.kubernetes.executor.disableConfigMap", false, &b,
                                  err)))
        return rc;
    d->exec_cm_disabled = b;
    if ((rc = spark_conf_get_bool(d->conf, "spark.kubernetes.driver.service.deleteOnTermination",
                                  true, &b, err)))
        return rc;
    d->delete_svc = b;
    if ((rc = spark_conf_get_bool(d->conf, "spark.kubernetes.driver.ownPersistentVolumeClaim", true,
                                  &b, err)))
        return rc;
    d->own_pvc = b;
    d->app_id = spark_conf_get(d->conf, "spark.app.id");
    d->app_name = spark_conf_get(d->conf, "spark.app.name");
    d->driver_host = spark_conf_get(d->conf, "spark.driver.host");
    if (!d->app_id)
        return slu_err_set(err, SLU_EINVAL, "spark.app.id is not set in spark.properties");
    if (!d->app_name)
        d->app_name = "spark";
    if (!d->driver_host)
        d->driver_host = d->ip;
    return 0;
}

/* ---------------------------------------------------------------- lookups */

static struct sddrv *drv_of(struct sim_sparkdriver *m, const char *uid)
{
    return uid ? slu_map_get(&m->drivers, uid) : NULL;
}

static struct sdexec *exec_by_id(struct sddrv *d, int id)
{
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (x->id == id)
            return x;
    }
    return NULL;
}

static struct sdexec *exec_by_uid(struct sddrv *d, const char *uid)
{
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (slu_streq(x->uid, uid))
            return x;
    }
    return NULL;
}

static void count_execs(struct sddrv *d, int *running, int *pending)
{
    *running = *pending = 0;
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (x->state == X_RUNNING)
            (*running)++;
        else if (x->state == X_PENDING)
            (*pending)++;
    }
}

/* ---------------------------------------------------------------- the job */

static void progress(struct sim_sparkdriver *m, struct sddrv *d)
{
    int64_t now = now_ms(m);
    if (d->job_started) {
        int running, pending;
        count_execs(d, &running, &pending);
        d->work_done_ms += (double)running * d->cores * (double)(now - d->work_last_ms);
    }
    d->work_last_ms = now;
}

/* Recomputes when the job ends (after progress()). */
static void reschedule_job(struct sim_sparkdriver *m, struct sddrv *d)
{
    if (!d->job_started || d->phase != D_RUNNING)
        return;
    d->job_gen++;
    int running, pending;
    count_execs(d, &running, &pending);
    if (running == 0)
        return;
    double rate = (double)running * d->cores;
    double left = d->work_total_ms - d->work_done_ms;
    int64_t in = left > 0 ? (int64_t)ceil(left / rate) : 0;
    timer_add(m, d, T_JOBDONE, in, 0, d->job_gen);
}

static void start_job(struct sim_sparkdriver *m, struct sddrv *d)
{
    if (d->job_started || d->phase != D_RUNNING)
        return;
    d->job_started = true;
    d->job_start_ms = now_ms(m);
    d->work_last_ms = d->job_start_ms;
    int running, pending;
    count_execs(d, &running, &pending);
    int parts = d->target * d->cores;
    if (parts < 2)
        parts = 2;
    DLOG(m, d, "INFO", "KubernetesClusterSchedulerBackend",
         "SchedulerBackend is ready for scheduling beginning after reached "
         "minRegisteredResourcesRatio: 0.8");
    DLOG(m, d, "INFO", "SparkContext", "Starting job: reduce at SparkPi.scala:38");
    DLOG(m, d, "INFO", "DAGScheduler",
         "Got job 0 (reduce at SparkPi.scala:38) with %d output partitions", parts);
    DLOG(m, d, "INFO", "DAGScheduler", "Final stage: ResultStage 0 (reduce at SparkPi.scala:38)");
    DLOG(m, d, "INFO", "DAGScheduler", "Parents of final stage: List()");
    DLOG(m, d, "INFO", "DAGScheduler",
         "Submitting ResultStage 0 (MapPartitionsRDD[1] at map at SparkPi.scala:34), which has "
         "no missing parents");
    DLOG(m, d, "INFO", "TaskSchedulerImpl", "Adding task set 0.0 with %d tasks resource profile 0",
         parts);
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (x->state != X_RUNNING)
            continue;
        DLOG(m, d, "INFO", "TaskSetManager",
             "Starting task %d.0 in stage 0.0 (TID %d) (%s, executor %d, partition %d, "
             "PROCESS_LOCAL, 7959 bytes)",
             d->tasks_started, d->tasks_started, x->ip, x->id, d->tasks_started);
        d->tasks_started++;
    }
    if (running == 0)
        timer_add(m, d, T_STARVE, STARVE_EVERY_MS, 0, d->job_gen);
    reschedule_job(m, d);
}

/* ---------------------------------------------------------------- allocation */

static void ensure_alloc(struct sim_sparkdriver *m, struct sddrv *d, int64_t in_ms)
{
    if (d->alloc_scheduled || d->phase != D_RUNNING)
        return;
    d->alloc_scheduled = true;
    timer_add(m, d, T_ALLOC, in_ms, 0, 0);
}

static void stop_driver(struct sim_sparkdriver *m, struct sddrv *d, int code);

static int create_in_store(struct sim_sparkdriver *m, const struct sim_rtype *rt, const char *ns,
                           json_t *obj, json_t **out, struct slu_err *err)
{
    json_t *md = json_object_get(obj, "metadata");
    if (json_is_object(md))
        json_object_del(md, "namespace");
    int rc = sim_store_create(m->st, rt, ns, obj, NULL, out, err);
    return rc;
}

/* Creates executor pod id (+ its PVCs). 0, or an error that stops the driver. */
static int create_executor(struct sim_sparkdriver *m, struct sddrv *d, struct slu_err *err)
{
    int id = ++d->next_id;
    json_t *pod = NULL, *pvcs = NULL;
    int rc = spark_build_executor_pod(d->conf, d->version, d->pod, id, d->tmpl, &pod, err);
    if (rc)
        return rc;
    rc = spark_build_executor_pvcs(d->conf, d->version, d->pod, id, &pvcs, err);
    if (rc) {
        json_decref(pod);
        return rc;
    }
    size_t i;
    json_t *pvc;
    json_array_foreach(pvcs, i, pvc)
    {
        struct slu_err e = {0};
        int r = create_in_store(m, m->pvc_rt, d->ns, json_incref(pvc), NULL, &e);
        if (r && r != SLU_EEXIST)
            DLOG(m, d, "WARN", "ExecutorPodsAllocator", "Failed to create PVC %s: %s",
                 kube_object_name(pvc), e.msg);
        slu_err_release(&e);
    }
    json_decref(pvcs);
    const char *name = kube_object_name(pod);
    char *pname = slu_strdup(name);
    json_t *out = NULL;
    struct slu_err e = {0};
    rc = create_in_store(m, m->pods_rt, d->ns, pod, &out, &e);
    if (rc) {
        /* Spark logs the failure and tries again on a later snapshot */
        DLOG(m, d, "WARN", "ExecutorPodsAllocator", "Failed to request executor pod %s: %s", pname,
             e.msg);
        slu_err_release(&e);
        free(pname);
        return 0;
    }
    struct sdexec *x = slu_calloc(1, sizeof(*x));
    x->id = id;
    x->name = pname;
    x->uid = slu_strdup(kube_object_uid(out));
    x->state = X_PENDING;
    x->container = slu_strdup(json_string_value(
        json_object_get(spark_container(out, "spark-kubernetes-executor"), "name")));
    slu_vec_push(&d->execs, x);
    slu_map_put(&m->execs, x->uid, slu_strdup(d->uid));
    atomic_fetch_add(&m->n_exec_created, 1);
    json_decref(out);
    return 0;
}

static void allocate(struct sim_sparkdriver *m, struct sddrv *d)
{
    d->alloc_scheduled = false;
    if (d->phase != D_RUNNING)
        return;
    int running, pending;
    count_execs(d, &running, &pending);
    int known = running + pending;
    if (known >= d->target)
        return;
    int64_t slots = (int64_t)d->max_pending - pending;
    if (slots <= 0)
        return; /* maxPendingPods reached: a pending executor starting or going asks again */
    {
        int64_t n = d->target - known;
        if (n > d->batch)
            n = d->batch;
        if (n > slots)
            n = slots;
        DLOG(m, d, "INFO", "ExecutorPodsAllocator",
             "Going to request %lld executors from Kubernetes for ResourceProfile Id: 0, target: "
             "%d, known: %d, sharedSlotFromPendingPods: %lld.",
             (long long)n, d->target, known, (long long)slots);
        for (int64_t i = 0; i < n; i++) {
            struct slu_err err = {0};
            if (create_executor(m, d, &err) != 0) {
                DLOG(m, d, "ERROR", "SparkContext", "Error initializing SparkContext.");
                plog(m, d->ns, d->name, d->container, NULL, NULL,
                     "org.apache.spark.SparkException: %s", err.msg);
                slu_err_release(&err);
                stop_driver(m, d, 1);
                return;
            }
            slu_err_release(&err);
        }
        count_execs(d, &running, &pending);
        if (running + pending >= d->target)
            return;
    }
    ensure_alloc(m, d, d->batch_delay_ms);
}

/* ---------------------------------------------------------------- cleanup */

static void delete_by_labels(struct sim_sparkdriver *m, struct sddrv *d, const struct sim_rtype *rt,
                             const char *selector)
{
    struct kube_label_selector *sel = NULL;
    if (!rt || kube_label_selector_parse(selector, &sel, NULL) != 0)
        return;
    struct sim_list_opts lo = {.labels = sel};
    json_t *list = NULL;
    if (sim_store_list(m->st, rt, d->ns, &lo, &list, NULL) == 0) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(list, "items"), i, o)
        {
            struct sim_delete_opts dopt = {.grace_period_seconds = -1,
                                           .precondition_uid = kube_object_uid(o)};
            sim_store_delete(m->st, rt, d->ns, kube_object_name(o), &dopt, NULL, NULL);
        }
    }
    json_decref(list);
    kube_label_selector_free(sel);
}

/* KubernetesClusterSchedulerBackend.stop (spec 8). */
static void cleanup(struct sim_sparkdriver *m, struct sddrv *d)
{
    if (!d->app_id)
        return;
    char sel[512];
    if (d->delete_svc) {
        snprintf(sel, sizeof(sel), "spark-app-selector=%s", d->app_id);
        delete_by_labels(m, d, m->svc_rt, sel);
    }
    if (d->own_pvc) {
        snprintf(sel, sizeof(sel), "spark-app-selector=%s", d->app_id);
        delete_by_labels(m, d, m->pvc_rt, sel);
    }
    if (d->delete_execs) {
        snprintf(sel, sizeof(sel), "spark-app-selector=%s,spark-role=executor", d->app_id);
        delete_by_labels(m, d, m->pods_rt, sel);
        if (!d->exec_cm_disabled)
            delete_by_labels(m, d, m->cm_rt, sel);
    }
}

/* Tells running executors to exit 0 (their pods end Succeeded). */
static void shutdown_executors(struct sim_sparkdriver *m, struct sddrv *d)
{
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (x->state != X_RUNNING)
            continue;
        XLOG(m, d, x, "INFO", "CoarseGrainedExecutorBackend", "Driver commanded a shutdown");
        XLOG(m, d, x, "INFO", "MemoryStore", "MemoryStore cleared");
        XLOG(m, d, x, "INFO", "BlockManager", "BlockManager stopped");
        XLOG(m, d, x, "INFO", "ShutdownHookManager", "Shutdown hook called");
        x->state = X_EXITED;
        atomic_fetch_sub(&m->n_exec_running, 1);
        sim_cluster_pod_exit(m->c, d->ns, x->name, x->uid, 0);
    }
}

static void stop_driver(struct sim_sparkdriver *m, struct sddrv *d, int code)
{
    if (d->phase >= D_STOPPING)
        return;
    progress(m, d);
    d->phase = D_STOPPING;
    d->exit_code = code;
    d->job_gen++;
    DLOG(m, d, "INFO", "SparkContext", "SparkContext is stopping with exitCode %d.", code);
    DLOG(m, d, "INFO", "SparkUI", "Stopped Spark web UI at http://%s:4040", d->driver_host);
    DLOG(m, d, "INFO", "KubernetesClusterSchedulerBackend", "Shutting down all executors");
    DLOG(m, d, "INFO", "KubernetesClusterSchedulerBackend$KubernetesDriverEndpoint",
         "Asking each executor to shut down");
    shutdown_executors(m, d);
    timer_add(m, d, T_CLEANUP, CLEANUP_MS, 0, 0);
}

/* ---------------------------------------------------------------- driver lifecycle */

static void log_startup(struct sim_sparkdriver *m, struct sddrv *d)
{
    const char *ver = d->version;
    DLOG(m, d, "WARN", "NativeCodeLoader",
         "Unable to load native-hadoop library for your platform... using builtin-java classes "
         "where applicable");
    DLOG(m, d, "INFO", "SparkContext", "Running Spark version %s", ver);
    DLOG(m, d, "INFO", "SparkContext", "OS info Linux, 6.1.0, amd64");
    DLOG(m, d, "INFO", "SparkContext", "Java version 17.0.13");
    DLOG(m, d, "INFO", "ResourceUtils",
         "==============================================================");
    DLOG(m, d, "INFO", "ResourceUtils", "No custom resources configured for spark.driver.");
    DLOG(m, d, "INFO", "ResourceUtils",
         "==============================================================");
    DLOG(m, d, "INFO", "SparkContext", "Submitted application: %s", d->app_name);
    const char *em = spark_conf_get(d->conf, "spark.executor.memory");
    int64_t mib = 1024;
    if (em)
        spark_memory_mib(em, &mib, NULL);
    DLOG(m, d, "INFO", "ResourceProfile",
         "Default ResourceProfile created, executor resources: Map(cores -> name: cores, "
         "amount: %d, script: , vendor: , memory -> name: memory, amount: %lld, script: , "
         "vendor: , offHeap -> name: offHeap, amount: 0, script: , vendor: ), task resources: "
         "Map(cpus -> name: cpus, amount: 1.0)",
         d->cores, (long long)mib);
    DLOG(m, d, "INFO", "ResourceProfileManager", "Added ResourceProfile id: 0");
    DLOG(m, d, "INFO", "Utils", "Successfully started service 'sparkDriver' on port %s.",
         spark_conf_get(d->conf, "spark.driver.port") ? spark_conf_get(d->conf, "spark.driver.port")
                                                      : "7078");
    DLOG(m, d, "INFO", "SparkEnv", "Registering MapOutputTracker");
    DLOG(m, d, "INFO", "SparkEnv", "Registering BlockManagerMaster");
    DLOG(m, d, "INFO", "Utils", "Successfully started service 'SparkUI' on port 4040.");
    const char *jars = spark_conf_get(d->conf, "spark.jars");
    if (jars && *jars)
        DLOG(m, d, "INFO", "SparkContext", "Added JAR %s at %s with timestamp %lld", jars, jars,
             (long long)(slu_now_real_ns() / 1000000));
    DLOG(m, d, "INFO", "SparkKubernetesClientFactory",
         "Auto-configuring K8S client using current context from users K8S config file");
}

static void log_oom_executor(struct sim_sparkdriver *m, struct sddrv *d, struct sdexec *x)
{
    XLOG(m, d, x, "ERROR", "Executor", "Exception in task %d.0 in stage 0.0 (TID %d)", x->id - 1,
         x->id - 1);
    plog(m, d->ns, x->name, x->container, NULL, NULL,
         "java.lang.OutOfMemoryError: Java heap space");
    plog(m, d->ns, x->name, x->container, NULL, NULL,
         "\tat org.apache.spark.examples.SparkPi$.$anonfun$main$1(SparkPi.scala:34)");
    plog(m, d->ns, x->name, x->container, NULL, NULL,
         "\tat scala.runtime.java8.JFunction1$mcII$sp.apply(JFunction1$mcII$sp.scala:17)");
}

static void conf_step(struct sim_sparkdriver *m, struct sddrv *d);

static void fail_start(struct sim_sparkdriver *m, struct sddrv *d, const char *what)
{
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "Exception in thread \"main\" org.apache.spark.SparkException: %s", what);
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "\tat org.apache.spark.deploy.SparkSubmit.org$apache$spark$deploy$SparkSubmit$$runMain("
         "SparkSubmit.scala:1029)");
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "\tat org.apache.spark.deploy.SparkSubmit.doSubmit(SparkSubmit.scala:85)");
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "\tat org.apache.spark.deploy.SparkSubmit$$anon$2.doSubmit(SparkSubmit.scala:1120)");
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "\tat org.apache.spark.deploy.SparkSubmit$.main(SparkSubmit.scala:1129)");
    plog(m, d->ns, d->name, d->container, NULL, NULL,
         "\tat org.apache.spark.deploy.SparkSubmit.main(SparkSubmit.scala)");
    DLOG(m, d, "INFO", "ShutdownHookManager", "Shutdown hook called");
    char uuid[40];
    slu_uuid4(uuid);
    DLOG(m, d, "INFO", "ShutdownHookManager", "Deleting directory /tmp/spark-%s", uuid);
    d->phase = D_STOPPING;
    d->exit_code = 1;
    timer_add(m, d, T_EXIT, 0, 0, 0);
}

/* Reads spark.properties (and the executor template) from the mounted ConfigMaps. */
static void conf_step(struct sim_sparkdriver *m, struct sddrv *d)
{
    const json_t *ct = NULL;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(d->pod, "spec"), "containers"), i, c)
    {
        if (slu_streq(json_string_value(json_object_get(c, "name")), d->container))
            ct = c;
    }
    const char *conf_dir = env_of(ct, "SPARK_CONF_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/spark.properties", conf_dir ? conf_dir : "/opt/spark/conf");
    const char *text = NULL;
    json_t *cm = NULL;
    struct slu_err err = {0};
    int rc = mounted_file(m, d->pod, ct, path, &text, &cm, &err);
    if (rc == SLU_ENOTFOUND) {
        /* the submitter creates the ConfigMap after the pod: wait as the kubelet would */
        int64_t wait = d->conf_wait_ms ? d->conf_wait_ms * 2 : CONF_RETRY_MS;
        d->conf_wait_ms = wait > CONF_RETRY_MAX_MS ? CONF_RETRY_MAX_MS : wait;
        timer_add(m, d, T_CONF, d->conf_wait_ms, 0, 0);
        slu_err_release(&err);
        return;
    }
    if (rc) {
        char *why = slu_asprintf("cannot read %s: %s", path, err.msg);
        slu_err_release(&err);
        fail_start(m, d, why);
        free(why);
        return;
    }
    d->conf = spark_conf_new();
    rc = spark_properties_parse(text, strlen(text), path, d->conf, &err);
    json_decref(d->conf_cm);
    d->conf_cm = cm;
    if (rc) {
        char *why = slu_asprintf("cannot parse %s: %s", path, err.msg);
        slu_err_release(&err);
        fail_start(m, d, why);
        free(why);
        return;
    }
    /* the executor pod template, when the driver was given one */
    const char *tf = spark_conf_get(d->conf, "spark.kubernetes.executor.podTemplateFile");
    if (tf) {
        json_t *tcm = NULL;
        const char *ttext = NULL;
        rc = mounted_file(m, d->pod, ct, tf, &ttext, &tcm, &err);
        if (rc == SLU_ENOTFOUND) {
            spark_conf_free(d->conf);
            d->conf = NULL;
            d->conf_wait_ms =
                d->conf_wait_ms ? SLU_MIN(d->conf_wait_ms * 2, CONF_RETRY_MAX_MS) : CONF_RETRY_MS;
            timer_add(m, d, T_CONF, d->conf_wait_ms, 0, 0);
            slu_err_release(&err);
            return;
        }
        if (rc == 0) {
            rc = slu_yaml_load_one(ttext, strlen(ttext), NULL, &d->tmpl, &err);
            json_decref(tcm);
        }
        if (rc) {
            char *why = slu_asprintf("cannot read the executor pod template %s: %s", tf, err.msg);
            slu_err_release(&err);
            fail_start(m, d, why);
            free(why);
            return;
        }
    }
    if ((rc = spark_driver_runtime_init(d->conf, d->ip[0] ? d->ip : NULL, NULL,
                                        slu_now_real_ns() / 1000000, &err)) ||
        (rc = driver_settings(d, &err))) {
        char *why = slu_asprintf("bad configuration: %s", err.msg);
        slu_err_release(&err);
        fail_start(m, d, why);
        free(why);
        return;
    }
    slu_err_release(&err);
    if (d->fail == FAIL_SUBMIT) {
        d->phase = D_STARTING;
        timer_add(m, d, T_SUBMITFAIL, SUBMIT_FAIL_MS, 0, 0);
        return;
    }
    d->phase = D_STARTING;
    log_startup(m, d);
    timer_add(m, d, T_INIT, INIT_MS, 0, 0);
}

static void init_step(struct sim_sparkdriver *m, struct sddrv *d)
{
    d->phase = D_RUNNING;
    d->init_ms = now_ms(m);
    json_t *cm = NULL;
    struct slu_err err = {0};
    if (spark_build_executor_configmap(d->conf, d->pod, d->conf_cm, slu_now_real_ns() / 1000000,
                                       &cm, &err) == 0 &&
        cm) {
        int rc = create_in_store(m, m->cm_rt, d->ns, cm, NULL, &err);
        if (rc && rc != SLU_EEXIST)
            DLOG(m, d, "WARN", "KubernetesClusterSchedulerBackend",
                 "Failed to create the executor ConfigMap: %s", err.msg);
    }
    slu_err_release(&err);
    DLOG(m, d, "INFO", "Utils",
         "Successfully started service "
         "'org.apache.spark.network.netty.NettyBlockTransferService' on port 7079.");
    DLOG(m, d, "INFO", "NettyBlockTransferService", "Server created on %s %s:7079", d->driver_host,
         d->ip);
    DLOG(m, d, "INFO", "BlockManagerMaster",
         "Registering BlockManager BlockManagerId(driver, %s, 7079, None)", d->driver_host);
    if (d->target == 0 && d->dyn)
        d->target = 1; /* a pending task makes dynamic allocation ask for one executor */
    allocate(m, d);
    timer_add(m, d, T_READY, READY_WAIT_MS, 0, 0);
    int running, pending;
    count_execs(d, &running, &pending);
    if (d->target == 0)
        start_job(m, d);
}

static void maybe_start_job(struct sim_sparkdriver *m, struct sddrv *d)
{
    int running, pending;
    count_execs(d, &running, &pending);
    if (!d->job_started && (double)running >= 0.8 * d->target)
        start_job(m, d);
}

static double pi_estimate(const char *uid)
{
    uint64_t h = slu_hash(uid, strlen(uid));
    return 3.141592653589793 + ((double)(h % 20001) - 10000.0) * 1e-7;
}

static void job_done(struct sim_sparkdriver *m, struct sddrv *d)
{
    progress(m, d);
    double secs = (double)(now_ms(m) - d->job_start_ms) / 1000.0;
    int done_tasks = d->tasks_started;
    if (d->fail == FAIL_DRIVER) {
        struct sdexec *x = NULL;
        for (size_t i = 0; i < d->execs.len && !x; i++)
            if (((struct sdexec *)d->execs.items[i])->state == X_RUNNING)
                x = d->execs.items[i];
        const char *ip = x ? x->ip : "unknown";
        int eid = x ? x->id : 1;
        char reason[512];
        snprintf(reason, sizeof(reason),
                 "Job aborted due to stage failure: Task 0 in stage 0.0 failed 4 times, most "
                 "recent failure: Lost task 0.3 in stage 0.0 (TID 3) (%s executor %d): "
                 "java.lang.RuntimeException: simulated failure (sim.sluice.dev/fail=driver)",
                 ip, eid);
        DLOG(m, d, "ERROR", "TaskSetManager", "Task 0 in stage 0.0 failed 4 times; aborting job");
        DLOG(m, d, "INFO", "TaskSchedulerImpl", "Cancelling stage 0");
        DLOG(m, d, "INFO", "DAGScheduler",
             "ResultStage 0 (reduce at SparkPi.scala:38) failed in %.3f s due to %s", secs, reason);
        DLOG(m, d, "INFO", "DAGScheduler", "Job 0 failed: reduce at SparkPi.scala:38, took %.6f s",
             secs);
        static const char *const trace[] = {
            "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages("
            "DAGScheduler.scala:2898)",
            "\tat org.apache.spark.scheduler.DAGScheduler.$anonfun$abortStage$2("
            "DAGScheduler.scala:2834)",
            "\tat org.apache.spark.scheduler.DAGScheduler.abortStage(DAGScheduler.scala:2833)",
            "\tat org.apache.spark.SparkContext.runJob(SparkContext.scala:2488)",
            "\tat org.apache.spark.rdd.RDD.reduce(RDD.scala:1139)",
            "\tat org.apache.spark.examples.SparkPi$.main(SparkPi.scala:38)",
            "\tat org.apache.spark.examples.SparkPi.main(SparkPi.scala)",
            "\tat org.apache.spark.deploy.SparkSubmit.org$apache$spark$deploy$SparkSubmit$$runMain("
            "SparkSubmit.scala:1029)",
            "\tat org.apache.spark.deploy.SparkSubmit.main(SparkSubmit.scala)",
            "Caused by: java.lang.RuntimeException: simulated failure (sim.sluice.dev/fail=driver)",
            "\tat org.apache.spark.examples.SparkPi$.$anonfun$main$1(SparkPi.scala:35)",
            NULL};
        plog(m, d->ns, d->name, d->container, NULL, NULL,
             "Exception in thread \"main\" org.apache.spark.SparkException: %s", reason);
        for (const char *const *t = trace; *t; t++)
            plog(m, d->ns, d->name, d->container, NULL, NULL, "%s", *t);
        DLOG(m, d, "INFO", "SparkContext", "Invoking stop() from shutdown hook");
        stop_driver(m, d, 1);
        return;
    }
    for (int i = 0; i < done_tasks && i < 64; i++)
        DLOG(m, d, "INFO", "TaskSetManager",
             "Finished task %d.0 in stage 0.0 (TID %d) in %lld ms (%d/%d)", i, i,
             (long long)(secs * 1000), i + 1, done_tasks);
    DLOG(m, d, "INFO", "TaskSchedulerImpl",
         "Removed TaskSet 0.0, whose tasks have all completed, from pool ");
    DLOG(m, d, "INFO", "DAGScheduler",
         "ResultStage 0 (reduce at SparkPi.scala:38) finished in %.3f s", secs);
    DLOG(m, d, "INFO", "DAGScheduler",
         "Job 0 is finished. Cancelling potential speculative or zombie tasks for this job");
    DLOG(m, d, "INFO", "TaskSchedulerImpl", "Killing all running tasks in stage 0: Stage finished");
    DLOG(m, d, "INFO", "DAGScheduler", "Job 0 finished: reduce at SparkPi.scala:38, took %.6f s",
         secs);
    plog(m, d->ns, d->name, d->container, NULL, NULL, "Pi is roughly %.16g", pi_estimate(d->uid));
    stop_driver(m, d, 0);
}

static int mark_inactive(void *ud, json_t *obj, struct slu_err *err)
{
    if (!slu_streq(kube_object_uid(obj), ud))
        return slu_err_set(err, SLU_ECONFLICT, "pod was replaced");
    return slu_json_set_str(obj, "metadata.labels.spark-exec-inactive", "true");
}

static void exec_lost(struct sim_sparkdriver *m, struct sddrv *d, struct sdexec *x, bool failed)
{
    progress(m, d);
    if (x->state == X_RUNNING)
        atomic_fetch_sub(&m->n_exec_running, 1);
    bool was_running = x->state == X_RUNNING || x->state == X_FAILED;
    x->state = X_GONE;
    if (d->phase != D_RUNNING)
        return;
    if (failed) {
        DLOG(m, d, "ERROR", "TaskSchedulerImpl",
             "Lost executor %d on %s: The executor with id %d exited with exit code "
             "137(SIGKILL, possible container OOM).",
             x->id, x->ip, x->id);
        plog(m, d->ns, d->name, d->container, NULL, NULL,
             "The API gave the following container statuses:\n\n"
             "\t container name: %s\n"
             "\t container state: terminated\n"
             "\t exit code: 137\n"
             "\t termination reason: OOMKilled",
             x->container ? x->container : "spark-kubernetes-executor");
        if (d->job_started)
            DLOG(m, d, "WARN", "TaskSetManager",
                 "Lost task %d.0 in stage 0.0 (TID %d) (%s executor %d): ExecutorLostFailure "
                 "(executor %d exited caused by one of the running tasks) Reason: The executor "
                 "with id %d exited with exit code 137(SIGKILL, possible container OOM).",
                 x->id - 1, x->id - 1, x->ip, x->id, x->id, x->id);
        d->failures++;
        if (d->delete_execs) {
            struct sim_delete_opts o = {.grace_period_seconds = -1, .precondition_uid = x->uid};
            sim_store_delete(m->st, m->pods_rt, d->ns, x->name, &o, NULL, NULL);
        } else {
            /* kept: marked so that Spark's polling ignores it from then on */
            sim_store_mutate(m->st, m->pods_rt, d->ns, x->name, NULL, mark_inactive, x->uid, NULL,
                             NULL);
        }
        if (d->failures > d->max_failures) {
            DLOG(m, d, "ERROR",
                 slu_str_has_prefix(d->version, "3.") ? "ExecutorPodsAllocator"
                                                      : "ExecutorPodsLifecycleManager",
                 "Max number of executor failures (%d) reached", d->max_failures);
            stop_driver(m, d, 11);
            return;
        }
    } else if (was_running) {
        DLOG(m, d, "ERROR", "TaskSchedulerImpl",
             "Lost executor %d on %s: The executor with id %d was deleted by a user or the "
             "framework.",
             x->id, x->ip, x->id);
    } else {
        DLOG(m, d, "INFO", "ExecutorPodsLifecycleManager",
             "The executor with ID %d (pod %s) was deleted before it started.", x->id, x->name);
    }
    reschedule_job(m, d);
    ensure_alloc(m, d, d->batch_delay_ms);
}

/* ---------------------------------------------------------------- timers firing */

/* The driver has ended: what only a running driver needs (the pod as started, the parsed
 * conf, the template, the conf ConfigMap) goes, so that the finished drivers of a big run (kept
 * until their pods go) cost a few hundred bytes each. */
static void drv_done(struct sddrv *d)
{
    d->phase = D_DONE;
    d->app_id = d->app_name = d->driver_host = NULL; /* borrowed from conf */
    spark_conf_free(d->conf);
    d->conf = NULL;
    json_decref(d->pod);
    d->pod = NULL;
    json_decref(d->tmpl);
    d->tmpl = NULL;
    json_decref(d->conf_cm);
    d->conf_cm = NULL;
}

static void fire(struct sim_sparkdriver *m, struct sdtimer *t)
{
    struct sddrv *d = drv_of(m, t->uid);
    if (!d || d->phase == D_DONE)
        return;
    switch (t->kind) {
    case T_CONF:
        if (d->phase == D_WAITCONF)
            conf_step(m, d);
        break;
    case T_SUBMITFAIL:
        log_startup(m, d);
        fail_start(m, d, "Failed to run the application's main class (sim.sluice.dev/fail=submit)");
        break;
    case T_INIT:
        if (d->phase == D_STARTING)
            init_step(m, d);
        break;
    case T_ALLOC:
        allocate(m, d);
        break;
    case T_READY:
        if (d->phase == D_RUNNING && !d->job_started)
            start_job(m, d);
        break;
    case T_JOBDONE:
        if (d->phase == D_RUNNING && t->gen == d->job_gen)
            job_done(m, d);
        break;
    case T_STARVE: {
        int running, pending;
        count_execs(d, &running, &pending);
        if (d->phase == D_RUNNING && running == 0) {
            DLOG(m, d, "WARN", "TaskSchedulerImpl",
                 "Initial job has not accepted any resources; check your cluster UI to ensure "
                 "that workers are registered and have sufficient resources");
            timer_add(m, d, T_STARVE, STARVE_EVERY_MS, 0, 0);
        }
        break;
    }
    case T_OOM: {
        struct sdexec *x = exec_by_id(d, t->arg);
        if (x && x->state == X_RUNNING && d->phase == D_RUNNING) {
            progress(m, d);
            log_oom_executor(m, d, x);
            x->state = X_FAILED;
            atomic_fetch_sub(&m->n_exec_running, 1);
            sim_cluster_pod_oom(m->c, d->ns, x->name, x->uid);
            reschedule_job(m, d);
            /* the driver sees it in its next snapshot */
            timer_add(m, d, T_LOST, d->batch_delay_ms, x->id, 0);
        }
        break;
    }
    case T_LOST: {
        struct sdexec *x = exec_by_id(d, t->arg);
        if (x && x->state == X_FAILED)
            exec_lost(m, d, x, true);
        break;
    }
    case T_CLEANUP:
        cleanup(m, d);
        DLOG(m, d, "INFO", "MapOutputTrackerMasterEndpoint",
             "MapOutputTrackerMasterEndpoint stopped!");
        DLOG(m, d, "INFO", "MemoryStore", "MemoryStore cleared");
        DLOG(m, d, "INFO", "BlockManager", "BlockManager stopped");
        DLOG(m, d, "INFO", "BlockManagerMaster", "BlockManagerMaster stopped");
        DLOG(m, d, "INFO", "OutputCommitCoordinator$OutputCommitCoordinatorEndpoint",
             "OutputCommitCoordinator stopped!");
        DLOG(m, d, "INFO", "SparkContext", "Successfully stopped SparkContext");
        if (d->exit_code == 11)
            plog(m, d->ns, d->name, d->container, NULL, NULL,
                 "Exception in thread \"main\" org.apache.spark.SparkException: Job 0 cancelled "
                 "because SparkContext was shut down");
        DLOG(m, d, "INFO", "ShutdownHookManager", "Shutdown hook called");
        {
            char u1[40], u2[40], u3[40];
            slu_uuid4(u1);
            slu_uuid4(u2);
            slu_uuid4(u3);
            DLOG(m, d, "INFO", "ShutdownHookManager",
                 "Deleting directory /var/data/spark-%s/spark-%s", u1, u2);
            DLOG(m, d, "INFO", "ShutdownHookManager", "Deleting directory /tmp/spark-%s", u3);
        }
        timer_add(m, d, T_EXIT, EXIT_MS, 0, 0);
        break;
    case T_EXIT:
        drv_done(d);
        atomic_fetch_sub(&m->n_active, 1);
        atomic_fetch_add(d->exit_code == 0 ? &m->n_succeeded : &m->n_failed, 1);
        sim_cluster_pod_exit(m->c, d->ns, d->name, d->uid, d->exit_code);
        break;
    }
}

static void wake(struct sim_cluster *c, void *arg)
{
    (void)c;
    struct sim_sparkdriver *m = arg;
    int64_t now = now_ms(m);
    size_t budget = 100000;
    while (m->hn && m->heap[0].due <= now && budget--) {
        struct sdtimer t = timer_pop(m);
        fire(m, &t);
        free(t.uid);
    }
    if (m->hn && m->heap[0].due <= now)
        sim_cluster_after(m->c, 0, wake, m); /* the rest on the next turn */
}

/* ---------------------------------------------------------------- pod model callbacks */

static void driver_gone(struct sim_cluster *c, const char *ns, const char *name, const char *uid,
                        void *arg);

static bool driver_running(struct sim_cluster *c, const json_t *pod, void *arg)
{
    (void)c;
    struct sim_sparkdriver *m = arg;
    const char *uid = kube_object_uid(pod);
    if (!uid)
        return false;
    struct sddrv *old = drv_of(m, uid);
    if (old && old->phase != D_DONE)
        return true; /* already being modelled */
    if (old)         /* the container restarted (restartPolicy): a new driver run */
        driver_gone(c, old->ns, old->name, uid, m);
    struct sddrv *d = slu_calloc(1, sizeof(*d));
    d->uid = slu_strdup(uid);
    d->ns = slu_strdup(kube_object_namespace(pod) ? kube_object_namespace(pod) : "default");
    d->name = slu_strdup(kube_object_name(pod));
    d->container = slu_strdup(json_string_value(
        json_object_get(spark_container(pod, "spark-kubernetes-driver"), "name")));
    slu_strlcpy(d->ip, slu_json_str(pod, "status.podIP") ? slu_json_str(pod, "status.podIP") : "",
                sizeof(d->ip));
    d->pod = json_incref((json_t *)pod);
    const char *ver = label(pod, "spark-version");
    d->version = slu_strdup(ver && *ver ? ver : "4.0.0");
    const char *f = annotation(pod, SIM_ANN_FAIL);
    d->fail = slu_streq(f, "submit")         ? FAIL_SUBMIT
              : slu_streq(f, "driver")       ? FAIL_DRIVER
              : slu_streq(f, "executor-oom") ? FAIL_OOM
                                             : FAIL_NONE;
    double work = 60;
    const char *w = annotation(pod, SIM_ANN_WORK);
    if (w && (slu_parse_double(w, &work) != 0 || !(work >= 0 && work < 1e9)))
        work = 60;
    d->work_total_ms = work * 1000.0;
    if (d->fail == FAIL_DRIVER)
        d->work_total_ms /= 2; /* it throws half way through */
    d->phase = D_WAITCONF;
    slu_map_put(&m->drivers, d->uid, d);
    sim_cluster_log_own(m->c, d->ns, d->name, NULL);
    atomic_fetch_add(&m->n_started, 1);
    atomic_fetch_add(&m->n_active, 1);
    conf_step(m, d);
    return true;
}

static void driver_deleting(struct sim_cluster *c, const json_t *pod, void *arg)
{
    (void)c;
    struct sim_sparkdriver *m = arg;
    struct sddrv *d = drv_of(m, kube_object_uid(pod));
    if (!d || d->phase >= D_STOPPING)
        return;
    /* SIGTERM: the shutdown hook stops the SparkContext, which cleans up as on a normal stop */
    if (d->phase == D_RUNNING) {
        DLOG(m, d, "INFO", "SparkContext", "Invoking stop() from shutdown hook");
        stop_driver(m, d, 143);
        cleanup(m, d);
    }
    drv_done(d);
    atomic_fetch_sub(&m->n_active, 1);
    atomic_fetch_add(&m->n_failed, 1);
}

static void driver_gone(struct sim_cluster *c, const char *ns, const char *name, const char *uid,
                        void *arg)
{
    (void)c;
    (void)ns;
    (void)name;
    struct sim_sparkdriver *m = arg;
    struct sddrv *d = drv_of(m, uid);
    if (!d)
        return;
    if (d->phase < D_DONE) {
        atomic_fetch_sub(&m->n_active, 1);
        atomic_fetch_add(&m->n_failed, 1);
    }
    for (size_t i = 0; i < d->execs.len; i++) {
        struct sdexec *x = d->execs.items[i];
        if (x->state == X_RUNNING)
            atomic_fetch_sub(&m->n_exec_running, 1);
        if (x->uid)
            slu_map_del(&m->execs, x->uid);
    }
    slu_map_del(&m->drivers, uid); /* frees d; its timers find nothing */
}

static struct sddrv *drv_of_exec(struct sim_sparkdriver *m, const json_t *pod)
{
    const json_t *ref = kube_object_controller_ref(pod);
    const char *duid = ref ? json_string_value(json_object_get(ref, "uid")) : NULL;
    if (!duid)
        duid = slu_map_get(&m->execs, kube_object_uid(pod) ? kube_object_uid(pod) : "");
    return drv_of(m, duid);
}

static bool executor_running(struct sim_cluster *c, const json_t *pod, void *arg)
{
    (void)c;
    struct sim_sparkdriver *m = arg;
    struct sddrv *d = drv_of_exec(m, pod);
    struct sdexec *x = d ? exec_by_uid(d, kube_object_uid(pod)) : NULL;
    if (!d || !x || x->state != X_PENDING)
        return false; /* not ours: the kubelet runs it until it is deleted */
    if (d->phase != D_RUNNING) {
        /* started after the driver stopped: told to exit at once */
        x->state = X_EXITED;
        sim_cluster_pod_exit(m->c, d->ns, x->name, x->uid, 0);
        return true;
    }
    progress(m, d);
    x->state = X_RUNNING;
    x->started_ms = now_ms(m);
    atomic_fetch_add(&m->n_exec_running, 1);
    slu_strlcpy(x->ip, slu_json_str(pod, "status.podIP") ? slu_json_str(pod, "status.podIP") : "",
                sizeof(x->ip));
    sim_cluster_log_own(m->c, d->ns, x->name, NULL);
    const json_t *ct = spark_container(pod, "spark-kubernetes-executor");
    const char *url = env_of(ct, "SPARK_DRIVER_URL");
    XLOG(m, d, x, "INFO", "CoarseGrainedExecutorBackend", "Started daemon with process name: 15@%s",
         x->name);
    XLOG(m, d, x, "INFO", "SignalUtils", "Registering signal handler for TERM");
    XLOG(m, d, x, "INFO", "SignalUtils", "Registering signal handler for HUP");
    XLOG(m, d, x, "INFO", "SignalUtils", "Registering signal handler for INT");
    XLOG(m, d, x, "INFO", "TransportClientFactory",
         "Successfully created connection to %s/%s:7078 after 64 ms (0 ms spent in bootstraps)",
         d->driver_host, d->ip);
    XLOG(m, d, x, "INFO", "CoarseGrainedExecutorBackend", "Connecting to driver: %s",
         url ? url : "spark://CoarseGrainedScheduler@driver:7078");
    XLOG(m, d, x, "INFO", "CoarseGrainedExecutorBackend", "Successfully registered with driver");
    XLOG(m, d, x, "INFO", "Executor", "Starting executor ID %d on host %s", x->id, x->ip);
    DLOG(m, d, "INFO", "KubernetesClusterSchedulerBackend$KubernetesDriverEndpoint",
         "Registered executor NettyRpcEndpointRef(spark-client://Executor) (%s:40912) with ID %d,  "
         "ResourceProfileId 0",
         x->ip, x->id);
    DLOG(m, d, "INFO", "BlockManagerMasterEndpoint",
         "Registering block manager %s:33791 with 413.9 MiB RAM, BlockManagerId(%d, %s, 33791, "
         "None)",
         x->ip, x->id, x->ip);
    if (d->job_started) {
        DLOG(m, d, "INFO", "TaskSetManager",
             "Starting task %d.0 in stage 0.0 (TID %d) (%s, executor %d, partition %d, "
             "PROCESS_LOCAL, 7959 bytes)",
             d->tasks_started, d->tasks_started, x->ip, x->id, d->tasks_started);
        d->tasks_started++;
        reschedule_job(m, d);
    } else {
        maybe_start_job(m, d);
    }
    if (d->fail == FAIL_OOM)
        timer_add(m, d, T_OOM, OOM_AFTER_MS, x->id, 0);
    int running, pending;
    count_execs(d, &running, &pending);
    if (running + pending < d->target)
        ensure_alloc(m, d, d->batch_delay_ms);
    return true;
}

static void executor_deleting(struct sim_cluster *c, const json_t *pod, void *arg)
{
    (void)c;
    struct sim_sparkdriver *m = arg;
    struct sddrv *d = drv_of_exec(m, pod);
    struct sdexec *x = d ? exec_by_uid(d, kube_object_uid(pod)) : NULL;
    if (x && (x->state == X_RUNNING || x->state == X_PENDING))
        exec_lost(m, d, x, false);
}

static void executor_gone(struct sim_cluster *c, const char *ns, const char *name, const char *uid,
                          void *arg)
{
    (void)c;
    (void)ns;
    (void)name;
    struct sim_sparkdriver *m = arg;
    const char *duid = slu_map_get(&m->execs, uid);
    struct sddrv *d = drv_of(m, duid);
    struct sdexec *x = d ? exec_by_uid(d, uid) : NULL;
    if (x && (x->state == X_RUNNING || x->state == X_PENDING))
        exec_lost(m, d, x, false);
    slu_map_del(&m->execs, uid);
}

/* ---------------------------------------------------------------- public */

int sim_sparkdriver_start(struct sim_cluster *c, struct sim_sparkdriver **out, struct slu_err *err)
{
    *out = NULL;
    struct sim_store *st = sim_cluster_store(c);
    struct sim_sparkdriver *m = slu_calloc(1, sizeof(*m));
    m->c = c;
    m->st = st;
    m->pods_rt = sim_store_type(st, "", "v1", "pods");
    m->cm_rt = sim_store_type(st, "", "v1", "configmaps");
    m->pvc_rt = sim_store_type(st, "", "v1", "persistentvolumeclaims");
    m->svc_rt = sim_store_type(st, "", "v1", "services");
    if (!m->pods_rt || !m->cm_rt) {
        free(m);
        return slu_err_set(err, SLU_ESTATE,
                           "spark driver model: the store serves no pods or "
                           "configmaps");
    }
    slu_map_init(&m->drivers, sddrv_free);
    slu_map_init(&m->execs, free);
    struct sim_pod_model drv = {.role = "driver",
                                .on_running = driver_running,
                                .on_deleting = driver_deleting,
                                .on_gone = driver_gone,
                                .arg = m};
    struct sim_pod_model exe = {.role = "executor",
                                .on_running = executor_running,
                                .on_deleting = executor_deleting,
                                .on_gone = executor_gone,
                                .arg = m};
    /* handed out before registering: on a failure half way, the cluster still frees it (after
     * its kubelet, which never ran) and no registered model points at freed memory */
    *out = m;
    int rc = sim_cluster_add_model(c, &drv, err);
    if (rc == 0)
        rc = sim_cluster_add_model(c, &exe, err);
    return rc;
}

void sim_sparkdriver_free(struct sim_sparkdriver *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->hn; i++)
        free(m->heap[i].uid);
    free(m->heap);
    slu_map_release(&m->drivers);
    slu_map_release(&m->execs);
    free(m);
}

void sim_sparkdriver_stats(struct sim_cluster *c, struct sim_sparkdriver_stats *out)
{
    memset(out, 0, sizeof(*out));
    struct sim_sparkdriver *m = sim_cluster__sparkdriver(c);
    if (!m)
        return;
    out->drivers_started = atomic_load(&m->n_started);
    out->drivers_succeeded = atomic_load(&m->n_succeeded);
    out->drivers_failed = atomic_load(&m->n_failed);
    out->executors_created = atomic_load(&m->n_exec_created);
    out->executors_running_now = atomic_load(&m->n_exec_running);
    out->drivers_active_now = atomic_load(&m->n_active);
}
