/*
 * controller.c - the SparkApplication controller's machinery: informers, handlers, the work queue,
 * worker threads and the event recorder.
 *
 * One informer pair per watched namespace (or one for all): SparkApplications (whole objects,
 * stored compact) and pods labelled launched-by-spark-operator=true (projected to the fields the
 * reconciler reads, indexed by "ns/app-name"). Handlers run on the informer threads and only
 * (1) enqueue the application's key and (2) note state transitions for the metrics, exactly as the
 * reference updates its metrics in watch handlers. Workers pop keys (a key is never processed by
 * two workers at once), reconcile, and requeue: rate-limited on error, after the asked delay for
 * timed re-checks (retry intervals, grace periods, TTL). Events go through a bounded queue to one
 * recorder thread, so a reconcile never waits on an Event POST; when the queue is full events are
 * dropped (counted), as client-go's broadcaster does.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "operator/op_int.h"

/* As client-go's broadcaster (maxQueuedEvents 1000, here 2000): a queued Event is a json_t of a
 * few KB, and 20,000 of them held tens of MB when the API server fell behind (10,000 apps). */
#define EVENT_QUEUE_CAP 2000

/* ---------------------------------------------------------------- projections */

static const char *const pod_labels_kept[] = {
    SPARK_LABEL_APP_NAME, SPARK_LABEL_SUBMISSION_ID,   SPARK_LABEL_LAUNCHED_BY,
    OP_LABEL_SPARK_ROLE,  OP_LABEL_SPARK_APP_SELECTOR, OP_LABEL_SPARK_EXEC_ID,
};

/* Keeps what the reconciler reads of a pod: identity, our labels, deletionTimestamp, phase, and
 * the driver container's state. */
json_t *op_pod_project(const json_t *pod)
{
    json_t *out = json_object();
    json_t *md = json_object();
    static const char *const mkeys[] = {"name", "namespace", "uid", "resourceVersion",
                                        "deletionTimestamp"};
    const json_t *smd = json_object_get(pod, "metadata");
    for (size_t i = 0; i < SLU_ARRAY_LEN(mkeys); i++) {
        json_t *v = json_object_get(smd, mkeys[i]);
        if (v)
            json_object_set(md, mkeys[i], v);
    }
    json_t *labels = json_object();
    const json_t *sl = json_object_get(smd, "labels");
    for (size_t i = 0; i < SLU_ARRAY_LEN(pod_labels_kept); i++) {
        json_t *v = json_object_get(sl, pod_labels_kept[i]);
        if (v)
            json_object_set(labels, pod_labels_kept[i], v);
    }
    json_object_set_new(md, "labels", labels);
    json_object_set_new(out, "metadata", md);
    json_t *st = json_object();
    json_t *phase = slu_json_path(pod, "status.phase");
    if (phase)
        json_object_set(st, "phase", phase);
    if (slu_streq(json_string_value(json_object_get(sl, OP_LABEL_SPARK_ROLE)), "driver")) {
        json_t *cs = json_array();
        size_t i;
        const json_t *c;
        json_array_foreach(slu_json_path(pod, "status.containerStatuses"), i, c)
        {
            if (!slu_streq(slu_json_str(c, "name"), OP_DRIVER_CONTAINER) &&
                json_array_size(slu_json_path(pod, "status.containerStatuses")) != 1)
                continue;
            json_t *o = json_object();
            json_object_set(o, "name", json_object_get(c, "name"));
            json_t *term = slu_json_path(c, "state.terminated");
            if (json_is_object(term)) {
                json_t *t = json_object();
                static const char *const tk[] = {"exitCode", "reason", "message"};
                for (size_t k = 0; k < SLU_ARRAY_LEN(tk); k++) {
                    json_t *v = json_object_get(term, tk[k]);
                    if (v)
                        json_object_set(t, tk[k], v);
                }
                json_object_set_new(o, "state", json_pack("{s:o}", "terminated", t));
            }
            json_array_append_new(cs, o);
        }
        json_object_set_new(st, "containerStatuses", cs);
    }
    json_object_set_new(out, "status", st);
    return out;
}

/* What op_pod_project (and op_executor_state_of / op_driver_state_of) read: the rest of each pod
 * watch event is skipped unparsed (metadata identity is always kept by the watch). */
const char *const op_pod_select[] = {"metadata.labels", "status.phase",
                                     "status.containerStatuses.*.name",
                                     "status.containerStatuses.*.state.terminated"};
const size_t op_pod_nselect = SLU_ARRAY_LEN(op_pod_select);

/* The executors of each app ("ns/app"): what executor_pods reads (the driver is read by name,
 * so it is not filed: a lookup decodes only executors). */
void op_pod_index_executors(const json_t *pod, struct slu_vec *out)
{
    if (!slu_streq(op__label(pod, OP_LABEL_SPARK_ROLE), "executor"))
        return;
    const char *app = op__label(pod, SPARK_LABEL_APP_NAME);
    const char *ns = kube_object_namespace(pod);
    if (app && ns)
        slu_vec_push(out, slu_asprintf("%s/%s", ns, app));
}

/* ---------------------------------------------------------------- handlers */

static void enqueue_app_of_pod(struct op_controller *ctl, const json_t *pod)
{
    const char *app = op__label(pod, SPARK_LABEL_APP_NAME);
    const char *ns = kube_object_namespace(pod);
    if (!app || !ns)
        return;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns, app);
    /* an app the app informer last saw COMPLETED or FAILED has nothing to do with its pods
     * (h_terminal reads only the TTL; a spec change comes with the app's own event): the
     * executors' and driver's last events after the end cost no reconcile */
    pthread_mutex_lock(&ctl->obs_mu);
    intptr_t code = (intptr_t)slu_map_get(&ctl->obs, key);
    pthread_mutex_unlock(&ctl->obs_mu);
    if (code == (intptr_t)OP_ST_COMPLETED + 1 || code == (intptr_t)OP_ST_FAILED + 1)
        return;
    kube_workqueue_add(ctl->q, key);
}

/* Executor phase accounting for spark_executor_* metrics. Returns true when pod is an executor
 * whose state (op_executor_state_of: all the reconciler reads of an executor) changed or which
 * is gone. A finished executor stays known until its pod is deleted, so a later update of it
 * (a deletionTimestamp) is neither counted again nor a change. */
static bool observe_executor(struct op_controller *ctl, const json_t *pod, bool gone)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", kube_object_namespace(pod), kube_object_name(pod));
    const char *st = op_executor_state_of(pod);
    intptr_t code = gone ? 0 : (intptr_t)st[0]; /* P R C F U */
    pthread_mutex_lock(&ctl->obs_mu);
    intptr_t old = (intptr_t)slu_map_get(&ctl->obs_exec, key);
    bool changed = old != code || gone;
    if (old != code) {
        pthread_mutex_lock(&ctl->m.mu);
        if (old == 'R')
            ctl->m.running_executors--;
        if (code == 'R')
            ctl->m.running_executors++;
        if (code == 'C')
            ctl->m.executor_success++;
        if (code == 'F')
            ctl->m.executor_failure++;
        pthread_mutex_unlock(&ctl->m.mu);
        if (code == 0)
            slu_map_del(&ctl->obs_exec, key);
        else
            slu_map_put(&ctl->obs_exec, key, (void *)code);
    }
    pthread_mutex_unlock(&ctl->obs_mu);
    return changed;
}

static bool is_executor(const json_t *pod)
{
    return slu_streq(op__label(pod, OP_LABEL_SPARK_ROLE), "executor");
}

/* A driver pod's signature: a hash of what the reconciler reads of it (phase, deletion, the
 * projected container states, our labels), never 0. */
static uintptr_t driver_signature(const json_t *pod)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, slu_json_str(pod, "status.phase") ? slu_json_str(pod, "status.phase") : "");
    slu_buf_putc(&b, '|');
    const char *del = slu_json_str(pod, "metadata.deletionTimestamp");
    slu_buf_puts(&b, del ? del : "");
    slu_buf_putc(&b, '|');
    char *cs = slu_json_dumps_canonical(slu_json_path(pod, "status.containerStatuses"));
    slu_buf_puts(&b, cs);
    free(cs);
    slu_buf_putc(&b, '|');
    char *lb = slu_json_dumps_canonical(slu_json_path(pod, "metadata.labels"));
    slu_buf_puts(&b, lb);
    free(lb);
    uintptr_t h = (uintptr_t)slu_hash(b.data, b.len);
    slu_buf_release(&b);
    return h ? h : 1;
}

/* Records a driver's signature; true when it differs from the last one seen (or none was). */
static bool observe_driver(struct op_controller *ctl, const json_t *pod, bool gone)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", kube_object_namespace(pod), kube_object_name(pod));
    uintptr_t sig = gone ? 0 : driver_signature(pod);
    pthread_mutex_lock(&ctl->obs_mu);
    uintptr_t old = (uintptr_t)slu_map_get(&ctl->obs_drv, key);
    if (gone)
        slu_map_del(&ctl->obs_drv, key);
    else if (old != sig)
        slu_map_put(&ctl->obs_drv, key, (void *)sig);
    pthread_mutex_unlock(&ctl->obs_mu);
    return gone || old != sig;
}

/* A pod's first sight. An executor always counts (a new executor state); a driver only when it
 * is past Pending or being deleted: a Pending driver is what SUBMITTED already says (it is the
 * pod this process just created, or one a restart or relist finds, whose app is reconciled from
 * its own list anyway), so its ADD is one reconcile less per application. */
static void on_pod_add(void *ud, const json_t *obj)
{
    struct op_controller *ctl = ud;
    if (is_executor(obj)) {
        observe_executor(ctl, obj, false);
        enqueue_app_of_pod(ctl, obj);
        return;
    }
    observe_driver(ctl, obj, false);
    const char *phase = slu_json_str(obj, "status.phase");
    if ((!phase || strcmp(phase, "Pending") == 0) &&
        !slu_json_str(obj, "metadata.deletionTimestamp"))
        return;
    enqueue_app_of_pod(ctl, obj);
}

/* An executor's update counts when its state changed (the reconciler reads nothing else of it);
 * a driver's when what op_pod_project keeps changed (observe_driver: the pod informer does not
 * decode the old object for this); a resync (old == new) always. */
static void on_pod_update(void *ud, const json_t *old_obj, const json_t *new_obj)
{
    struct op_controller *ctl = ud;
    bool changed = is_executor(new_obj) ? observe_executor(ctl, new_obj, false)
                                        : observe_driver(ctl, new_obj, false);
    if (old_obj == new_obj || changed)
        enqueue_app_of_pod(ctl, new_obj);
}

static void on_pod_delete(void *ud, const json_t *obj)
{
    struct op_controller *ctl = ud;
    if (is_executor(obj))
        observe_executor(ctl, obj, true);
    else
        observe_driver(ctl, obj, true);
    enqueue_app_of_pod(ctl, obj);
}

/* State-transition metrics (spec §4.1), from what the informer observes. */
static void observe_app(struct op_controller *ctl, const json_t *app, bool gone)
{
    char *key = kube_object_key(app);
    enum op_state st = op_app_state(app);
    intptr_t code = gone ? 0 : (intptr_t)st + 1;
    pthread_mutex_lock(&ctl->obs_mu);
    intptr_t old = (intptr_t)slu_map_get(&ctl->obs, key);
    bool known = slu_map_has(&ctl->obs, key);
    if (old != code) {
        if (gone)
            slu_map_del(&ctl->obs, key);
        else
            slu_map_put(&ctl->obs, key, (void *)code);
    }
    pthread_mutex_unlock(&ctl->obs_mu);
    if (old == code) {
        free(key);
        return;
    }
    enum op_state ost = old ? (enum op_state)(old - 1) : OP_ST_NEW;
    struct op_metrics *m = &ctl->m;
    pthread_mutex_lock(&m->mu);
    if (known && ost == OP_ST_RUNNING)
        m->running_apps--;
    if (!gone) {
        if (st == OP_ST_RUNNING)
            m->running_apps++;
        if (!known && st == OP_ST_NEW)
            m->app_count++;
        if (known) {
            double exec_s = 0;
            int64_t t0 = op__time_ms(app, "status.lastSubmissionAttemptTime");
            int64_t t1 = op__time_ms(app, "status.terminationTime");
            if (t0 && t1 >= t0)
                exec_s = (double)(t1 - t0) / 1000.0;
            switch (st) {
            case OP_ST_SUBMITTED:
                if (ost != OP_ST_SUBMITTED) {
                    m->submit_count++;
                    if (slu_json_int(app, "status.submissionAttempts", 0) == 1) {
                        int64_t c0 = op__time_ms(app, "metadata.creationTimestamp");
                        double lat = c0 ? (double)(slu_now_real_ns() / 1000000 - c0) / 1000.0 : 0;
                        op__hist_observe(&m->submit_latency, lat);
                    }
                }
                break;
            case OP_ST_RUNNING:
                if (slu_json_int(app, "status.executionAttempts", 0) == 1) {
                    int64_t c0 = op__time_ms(app, "metadata.creationTimestamp");
                    double lat = c0 ? (double)(slu_now_real_ns() / 1000000 - c0) / 1000.0 : 0;
                    op__hist_observe(&m->start_latency, lat);
                }
                break;
            case OP_ST_SUBMISSION_FAILED:
                m->failed_submission_count++;
                break;
            case OP_ST_COMPLETED:
                m->success_count++;
                m->success_time_sum += exec_s;
                m->success_time_n++;
                break;
            case OP_ST_FAILED:
                m->failure_count++;
                m->failure_time_sum += exec_s;
                m->failure_time_n++;
                break;
            default:
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
    free(key);
}

/* Keeps obj (the informer's private, immutable decode of the newest version, borrowed here) for
 * the next reconcile of key, so that it does not decode the compact cache again. The newest
 * version always wins: when the map is full an older entry of the key is dropped, never kept. */
static void handoff_put(struct op_controller *ctl, const char *key, const json_t *obj)
{
    pthread_mutex_lock(&ctl->memo_mu);
    if (slu_map_has(&ctl->handoff, key) || ctl->handoff.len < OP_HANDOFF_MAX)
        slu_map_put(&ctl->handoff, key, json_incref((json_t *)obj));
    pthread_mutex_unlock(&ctl->memo_mu);
}

static void handoff_del(struct op_controller *ctl, const char *key)
{
    pthread_mutex_lock(&ctl->memo_mu);
    slu_map_del(&ctl->handoff, key);
    slu_map_del(&ctl->defer, key);
    slu_map_del(&ctl->own, key);
    slu_map_del(&ctl->memo, key);
    slu_map_del(&ctl->spec_hashes, key);
    pthread_mutex_unlock(&ctl->memo_mu);
}

json_t *op__app_take(struct op_controller *ctl, struct op_nsw *w, const char *key)
{
    pthread_mutex_lock(&ctl->memo_mu);
    json_t *o = slu_map_take(&ctl->handoff, key);
    pthread_mutex_unlock(&ctl->memo_mu);
    return o ? o : kube_informer_get(w->apps, key);
}

static bool own_echo(struct op_controller *ctl, const char *key, const json_t *new_obj);

/* Both handlers: metrics, then either the echo of our own write (nothing to do) or a reconcile
 * of the app with this object handed over. */
static void on_app_add(void *ud, const json_t *obj)
{
    struct op_controller *ctl = ud;
    observe_app(ctl, obj, false);
    char *key = kube_object_key(obj);
    if (!key)
        return;
    if (own_echo(ctl, key, obj)) {
        pthread_mutex_lock(&ctl->m.mu);
        ctl->m.echoes_skipped++;
        pthread_mutex_unlock(&ctl->m.mu);
    } else {
        handoff_put(ctl, key, obj);
        kube_workqueue_add(ctl->q, key);
    }
    free(key);
}

/* Per app: the newest resourceVersion the app informer delivered, and the resourceVersions of
 * this process's status writes whose watch echo has not come yet (a write is echoed once; a few
 * can be in flight when one reconcile chains writes). Kept until the app is deleted. */
#define OWN_MAX 8
struct op_own {
    int64_t seen;
    int n;
    int64_t rv[OWN_MAX];
};

static struct op_own *own_of(struct op_controller *ctl, const char *key)
{
    struct op_own *o = slu_map_get(&ctl->own, key);
    if (!o) {
        o = slu_calloc(1, sizeof *o);
        slu_map_put(&ctl->own, key, o);
    }
    return o;
}

void op__own_write(struct op_controller *ctl, const char *key, json_t *obj)
{
    int64_t v;
    const char *rv = kube_object_rv(obj);
    if (!rv || slu_parse_i64(rv, &v) != 0)
        return;
    pthread_mutex_lock(&ctl->memo_mu);
    struct op_own *o = own_of(ctl, key);
    if (v > o->seen) {         /* the echo is still to come: remember the write and its object */
        if (o->n == OWN_MAX) { /* echoes lost (a relist): forget the oldest */
            memmove(o->rv, o->rv + 1, sizeof(o->rv[0]) * (OWN_MAX - 1));
            o->n--;
        }
        o->rv[o->n++] = v;
        slu_map_put(&ctl->memo, key, json_incref(obj));
    } /* else the informer already delivered it (and enqueued the key, not knowing it ours) */
    pthread_mutex_unlock(&ctl->memo_mu);
}

/* True when new_obj is the echo of one of this process's own status writes of key: the reconcile
 * that wrote it went on from that object, so there is nothing new to do. Its record (and any
 * older one, whose echo can no longer come) is dropped, the memo too once the cache holds its
 * version; the object is kept in the handoff for the next reconcile of key (a pod event) unless
 * the app is finished. */
static bool own_echo(struct op_controller *ctl, const char *key, const json_t *new_obj)
{
    int64_t v;
    const char *rv = kube_object_rv(new_obj);
    if (!rv || slu_parse_i64(rv, &v) != 0)
        return false;
    bool echo = false;
    pthread_mutex_lock(&ctl->memo_mu);
    struct op_own *o = own_of(ctl, key);
    if (v > o->seen)
        o->seen = v;
    int keep = 0;
    for (int i = 0; i < o->n; i++) {
        if (o->rv[i] == v)
            echo = true;
        if (o->rv[i] > v)
            o->rv[keep++] = o->rv[i];
    }
    o->n = keep;
    json_t *m = slu_map_get(&ctl->memo, key);
    int64_t mv;
    if (m && (!kube_object_rv(m) || slu_parse_i64(kube_object_rv(m), &mv) != 0 || mv <= v))
        slu_map_del(&ctl->memo, key);
    if (echo) {
        enum op_state st = op_app_state(new_obj);
        if (st != OP_ST_COMPLETED && st != OP_ST_FAILED &&
            (slu_map_has(&ctl->handoff, key) || ctl->handoff.len < OP_HANDOFF_MAX))
            slu_map_put(&ctl->handoff, key, json_incref((json_t *)new_obj));
    }
    pthread_mutex_unlock(&ctl->memo_mu);
    return echo;
}

static void on_app_update(void *ud, const json_t *old_obj, const json_t *new_obj)
{
    (void)old_obj;
    on_app_add(ud, new_obj);
}

static void on_app_delete(void *ud, const json_t *obj)
{
    struct op_controller *ctl = ud;
    observe_app(ctl, obj, true);
    char *key = kube_object_key(obj);
    handoff_del(ctl, key);
    kube_workqueue_forget(ctl->q, key);
    free(key);
}

/* ---------------------------------------------------------------- events */

/* A queued Event: its namespace and its JSON text (a few hundred bytes, not a json_t). */
struct queued_event {
    char *body;
    size_t len;
    char ns[];
};

static void free_event(void *p)
{
    struct queued_event *e = p;
    if (e)
        free(e->body);
    free(e);
}

static void put_field(struct slu_buf *b, const char *key, const char *val, bool comma)
{
    if (comma)
        slu_buf_putc(b, ',');
    slu_json_put_string(b, key, strlen(key));
    slu_buf_putc(b, ':');
    val = val ? val : "";
    slu_json_put_string(b, val, strlen(val));
}

void op__event(struct op_controller *ctl, const json_t *app, const char *type, const char *reason,
               const char *fmt, ...)
{
    if (slu_bqueue_len(&ctl->events) >= EVENT_QUEUE_CAP) {
        pthread_mutex_lock(&ctl->m.mu);
        ctl->m.events_dropped++;
        pthread_mutex_unlock(&ctl->m.mu);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = slu_vasprintf(fmt, ap);
    va_end(ap);
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    if (!name || !ns) {
        free(msg);
        return;
    }
    char ts[40];
    slu_time_format_rfc3339(slu_now_unix(), ts, sizeof ts);
    /* as client-go: <object>.<hex time>, here nanoseconds plus a process counter (unique) */
    static atomic_uint_fast64_t seq;
    char ename[300];
    snprintf(ename, sizeof ename, "%.240s.%llx%llx", name, (unsigned long long)slu_now_real_ns(),
             (unsigned long long)(atomic_fetch_add(&seq, 1) & 0xfff));
    struct slu_buf b = {0};
    slu_buf_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{");
    put_field(&b, "name", ename, false);
    put_field(&b, "namespace", ns, true);
    slu_buf_puts(&b, "},\"involvedObject\":{");
    put_field(&b, "apiVersion", OP_GROUP "/" OP_VERSION, false);
    put_field(&b, "kind", "SparkApplication", true);
    put_field(&b, "name", name, true);
    put_field(&b, "namespace", ns, true);
    if (kube_object_uid(app))
        put_field(&b, "uid", kube_object_uid(app), true);
    if (kube_object_rv(app))
        put_field(&b, "resourceVersion", kube_object_rv(app), true);
    slu_buf_putc(&b, '}');
    put_field(&b, "reason", reason, true);
    put_field(&b, "message", msg, true);
    put_field(&b, "type", type, true);
    slu_buf_puts(&b, ",\"source\":{");
    put_field(&b, "component", OP_EVENT_SOURCE, false);
    put_field(&b, "host", ctl->hostname, true);
    slu_buf_putc(&b, '}');
    put_field(&b, "firstTimestamp", ts, true);
    put_field(&b, "lastTimestamp", ts, true);
    slu_buf_puts(&b, ",\"count\":1");
    put_field(&b, "reportingComponent", OP_EVENT_SOURCE, true);
    put_field(&b, "reportingInstance", ctl->hostname, true);
    slu_buf_putc(&b, '}');
    free(msg);
    size_t nsl = strlen(ns);
    struct queued_event *e = slu_malloc(sizeof *e + nsl + 1);
    memcpy(e->ns, ns, nsl + 1);
    e->len = b.len;
    e->body = slu_buf_steal(&b);
    if (slu_bqueue_push(&ctl->events, e) != 0)
        free_event(e);
}

#define EVENT_BATCH 32     /* Events sent pipelined at once (kube_request_batch) */
#define EVENT_LINGER_MS 20 /* how long the first Event of a batch waits for company */

/* Sends the queued Events: the first one waits EVENT_LINGER_MS for others, then whatever has
 * queued up (up to EVENT_BATCH) goes as one pipelined batch, so that under load an Event costs
 * a fraction of a round trip and of a wake-up (one sleep per batch instead of one wake-up per
 * Event). An Event is at most that much later; shutdown closes the queue after the workers
 * stopped, and what is queued is still sent. */
static void *recorder_main(void *arg)
{
    struct op_controller *ctl = arg;
    struct queued_event *evs[EVENT_BATCH];
    struct kube_batch_req reqs[EVENT_BATCH];
    for (;;) {
        void *item;
        int rc = slu_bqueue_pop(&ctl->events, &item, -1);
        if (rc == SLU_ECANCELED)
            break;
        if (rc)
            continue;
        size_t n = 0;
        evs[n++] = item;
        if (slu_bqueue_len(&ctl->events) < EVENT_BATCH - 1)
            slu_sleep_ms(EVENT_LINGER_MS);
        while (n < EVENT_BATCH && slu_bqueue_len(&ctl->events) > 0 &&
               slu_bqueue_pop(&ctl->events, &item, 0) == 0)
            evs[n++] = item;
        for (size_t i = 0; i < n; i++)
            reqs[i] = (struct kube_batch_req){
                .method = "POST",
                .path_query = kube_resource_path(&KUBE_RES_EVENTS, evs[i]->ns, NULL, NULL),
                .content_type = "application/json",
                .body = evs[i]->body,
                .body_len = evs[i]->len,
                .unhurried = true};
        atomic_fetch_add(&ctl->api_calls, n);
        kube_request_batch(ctl->c, reqs, n);
        for (size_t i = 0; i < n; i++) {
            if (reqs[i].rc)
                slu_debug("operator: event in %s: %s", evs[i]->ns, reqs[i].err.msg);
            slu_err_release(&reqs[i].err);
            free((char *)reqs[i].path_query);
            free_event(evs[i]);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
    struct op_controller *ctl = arg;
    for (;;) {
        char *key = NULL;
        int rc = kube_workqueue_get(ctl->q, &key, -1);
        if (rc == SLU_ECANCELED)
            break;
        if (rc)
            continue;
        size_t kl = strlen(key), sl = strlen(OP_DEFER_SUFFIX);
        if (kl > sl && strcmp(key + kl - sl, OP_DEFER_SUFFIX) == 0) {
            /* the end of an executor coalescing window (reconcile.c): the app is reconciled
             * only if the held-back change was not written with something else meanwhile */
            key[kl - sl] = '\0';
            pthread_mutex_lock(&ctl->memo_mu);
            bool held = slu_map_has(&ctl->defer, key);
            pthread_mutex_unlock(&ctl->memo_mu);
            if (held)
                kube_workqueue_add(ctl->q, key);
            key[kl - sl] = OP_DEFER_SUFFIX[0];
            kube_workqueue_forget(ctl->q, key);
            kube_workqueue_done(ctl->q, key);
            free(key);
            continue;
        }
        int64_t t0 = slu_now_mono_ns();
        int64_t requeue_ms = 0;
        struct slu_err err = {0};
        rc = op__reconcile(ctl, key, &requeue_ms, &err);
        double dt = (double)(slu_now_mono_ns() - t0) / 1e9;
        pthread_mutex_lock(&ctl->m.mu);
        ctl->m.reconcile_total++;
        op__hist_observe(&ctl->m.reconcile_seconds, dt);
        if (rc < 0)
            ctl->m.reconcile_errors++;
        pthread_mutex_unlock(&ctl->m.mu);
        if (rc < 0) {
            slu_debug("operator: reconcile %s: %s", key, err.msg);
            kube_workqueue_add_rate_limited(ctl->q, key);
        } else {
            kube_workqueue_forget(ctl->q, key);
            if (requeue_ms > 0)
                kube_workqueue_add_after(ctl->q, key, requeue_ms);
        }
        slu_err_release(&err);
        kube_workqueue_done(ctl->q, key);
        free(key);
    }
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static void free_json(void *p)
{
    json_decref(p);
}

struct op_nsw *op__nsw_for(struct op_controller *ctl, const char *ns)
{
    for (size_t i = 0; i < ctl->nnsw; i++)
        if (!ctl->nsw[i].ns || slu_streq(ctl->nsw[i].ns, ns))
            return &ctl->nsw[i];
    return NULL;
}

struct op_controller *op_controller_new(struct kube_client *c, const struct op_controller_opts *o,
                                        struct slu_err *err)
{
    struct op_controller *ctl = slu_calloc(1, sizeof *ctl);
    ctl->c = c;
    if (o)
        ctl->o = *o;
    if (ctl->o.workers <= 0)
        ctl->o.workers = 10;
    if (ctl->o.workers > 256) {
        free(ctl);
        slu_err_set(err, SLU_EINVAL, "workers: %d is more than 256", o->workers);
        return NULL;
    }
    if (ctl->o.driver_pod_grace_ms <= 0)
        ctl->o.driver_pod_grace_ms = 10000;
    if (ctl->o.resync_ms <= 0)
        ctl->o.resync_ms = 300000;
    if (ctl->o.max_tracked_executors == 0)
        ctl->o.max_tracked_executors = 100;
    if (ctl->o.queue_qps <= 0)
        ctl->o.queue_qps = 200;
    if (ctl->o.queue_burst <= 0)
        ctl->o.queue_burst = 1000;
    ctl->ingress_url_format = slu_strdup(o ? o->ingress_url_format : NULL);
    ctl->ingress_class_name = slu_strdup(o ? o->ingress_class_name : NULL);
    ctl->o.ingress_url_format = ctl->ingress_url_format;
    ctl->o.ingress_class_name = ctl->ingress_class_name;
    size_t nns = 0;
    if (o && o->namespaces)
        while (o->namespaces[nns])
            nns++;
    bool all = nns == 0;
    for (size_t i = 0; i < nns; i++)
        if (!*o->namespaces[i] || strcmp(o->namespaces[i], "all") == 0)
            all = true;
    ctl->nnsw = all ? 1 : nns;
    ctl->nsw = slu_calloc(ctl->nnsw, sizeof *ctl->nsw);
    ctl->namespaces = slu_calloc(nns + 1, sizeof(char *));
    for (size_t i = 0; i < nns; i++)
        ctl->namespaces[i] = slu_strdup(o->namespaces[i]);
    ctl->o.namespaces = (const char *const *)ctl->namespaces;
    struct kube_workqueue_opts qo = {.base_delay_ms = 5,
                                     .max_delay_ms = 60000,
                                     .qps = ctl->o.queue_qps,
                                     .burst = ctl->o.queue_burst};
    ctl->q = kube_workqueue_new(&qo);
    pthread_mutex_init(&ctl->mu, NULL);
    pthread_mutex_init(&ctl->obs_mu, NULL);
    slu_map_init(&ctl->obs, NULL);
    slu_map_init(&ctl->obs_exec, NULL);
    slu_map_init(&ctl->obs_drv, NULL);
    pthread_mutex_init(&ctl->memo_mu, NULL);
    slu_map_init(&ctl->memo, free_json);
    slu_map_init(&ctl->handoff, free_json);
    slu_map_init(&ctl->defer, free_json);
    slu_map_init(&ctl->own, free);
    slu_map_init(&ctl->spec_hashes, free);
    op__metrics_init(&ctl->m);
    slu_bqueue_init(&ctl->events, 0);
    if (gethostname(ctl->hostname, sizeof ctl->hostname) != 0)
        slu_strlcpy(ctl->hostname, "sluice-operator", sizeof ctl->hostname);
    ctl->hostname[sizeof ctl->hostname - 1] = 0;

    struct kube_informer_handlers ah = {on_app_add, on_app_update, on_app_delete, ctl};
    struct kube_informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, ctl};
    for (size_t i = 0; i < ctl->nnsw; i++) {
        ctl->nsw[i].ns = all ? NULL : slu_strdup(o->namespaces[i]);
        struct kube_informer_opts ao = {.resource = &OP_RES_SPARKAPPS,
                                        .namespace = ctl->nsw[i].ns,
                                        .resync_ms = ctl->o.resync_ms,
                                        .compact = true,
                                        .no_old_on_update = true};
        ctl->nsw[i].apps = kube_informer_new(c, &ao, &ah);
        struct kube_informer_opts po = {.resource = &KUBE_RES_PODS,
                                        .namespace = ctl->nsw[i].ns,
                                        .label_selector = SPARK_LABEL_LAUNCHED_BY "=true",
                                        .project = op_pod_project,
                                        .compact = true,
                                        .select = op_pod_select,
                                        .nselect = op_pod_nselect,
                                        .no_old_on_update = true};
        ctl->nsw[i].pods = kube_informer_new(c, &po, &ph);
        kube_informer_add_index(ctl->nsw[i].pods, OP_IDX_APP_EXECUTORS, op_pod_index_executors);
    }
    return ctl;
}

int op_controller_start(struct op_controller *ctl, struct slu_err *err)
{
    pthread_mutex_lock(&ctl->mu);
    if (ctl->started) {
        pthread_mutex_unlock(&ctl->mu);
        return 0;
    }
    ctl->started = true;
    if (pthread_create(&ctl->rec_thread, NULL, recorder_main, ctl) == 0) {
        ctl->rec_running = true;
        pthread_setname_np(ctl->rec_thread, "slu-events"); /* for top -H, perf, /proc */
    }
    for (size_t i = 0; i < ctl->nnsw; i++) {
        int rc = kube_informer_start(ctl->nsw[i].pods);
        if (rc == 0)
            rc = kube_informer_start(ctl->nsw[i].apps);
        if (rc) {
            pthread_mutex_unlock(&ctl->mu);
            return slu_err_set(err, rc, "starting informers: %s", slu_strerror(rc));
        }
    }
    pthread_mutex_unlock(&ctl->mu);
    return 0;
}

bool op_controller_wait_synced(struct op_controller *ctl, int64_t timeout_ms)
{
    int64_t deadline = slu_now_mono_ns() + timeout_ms * 1000000;
    for (size_t i = 0; i < ctl->nnsw; i++) {
        int64_t left = timeout_ms < 0 ? -1 : (deadline - slu_now_mono_ns()) / 1000000;
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        if (!kube_informer_wait_synced(ctl->nsw[i].pods, left))
            return false;
        left = timeout_ms < 0 ? -1 : (deadline - slu_now_mono_ns()) / 1000000;
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        if (!kube_informer_wait_synced(ctl->nsw[i].apps, left))
            return false;
    }
    return true;
}

bool op_controller_synced(struct op_controller *ctl)
{
    for (size_t i = 0; i < ctl->nnsw; i++)
        if (!kube_informer_has_synced(ctl->nsw[i].pods) ||
            !kube_informer_has_synced(ctl->nsw[i].apps))
            return false;
    return true;
}

int op_controller_run_workers(struct op_controller *ctl)
{
    pthread_mutex_lock(&ctl->mu);
    if (ctl->workers) {
        pthread_mutex_unlock(&ctl->mu);
        return 0;
    }
    ctl->workers = slu_calloc((size_t)ctl->o.workers, sizeof(pthread_t));
    for (int i = 0; i < ctl->o.workers; i++) {
        if (pthread_create(&ctl->workers[i], NULL, worker_main, ctl) == 0)
            pthread_setname_np(ctl->workers[i], "slu-worker");
        else
            break;
        ctl->nworkers_running++;
    }
    pthread_mutex_unlock(&ctl->mu);
    return ctl->nworkers_running > 0 ? 0 : SLU_EIO;
}

void op_controller_stop(struct op_controller *ctl)
{
    if (!ctl)
        return;
    kube_workqueue_shutdown(ctl->q, false);
    pthread_mutex_lock(&ctl->mu);
    for (int i = 0; i < ctl->nworkers_running; i++)
        pthread_join(ctl->workers[i], NULL);
    ctl->nworkers_running = 0;
    pthread_mutex_unlock(&ctl->mu);
    for (size_t i = 0; i < ctl->nnsw; i++) {
        kube_informer_stop(ctl->nsw[i].apps);
        kube_informer_stop(ctl->nsw[i].pods);
    }
    slu_bqueue_close(&ctl->events);
    if (ctl->rec_running) {
        pthread_join(ctl->rec_thread, NULL);
        ctl->rec_running = false;
    }
}

void op_controller_free(struct op_controller *ctl)
{
    if (!ctl)
        return;
    op_controller_stop(ctl);
    for (size_t i = 0; i < ctl->nnsw; i++) {
        kube_informer_free(ctl->nsw[i].apps);
        kube_informer_free(ctl->nsw[i].pods);
        free(ctl->nsw[i].ns);
    }
    free(ctl->nsw);
    slu_strv_free(ctl->namespaces);
    free(ctl->ingress_url_format);
    free(ctl->ingress_class_name);
    kube_workqueue_free(ctl->q);
    free(ctl->workers);
    slu_map_release(&ctl->obs);
    slu_map_release(&ctl->obs_exec);
    slu_map_release(&ctl->obs_drv);
    slu_map_release(&ctl->memo);
    slu_map_release(&ctl->handoff);
    slu_map_release(&ctl->defer);
    slu_map_release(&ctl->spec_hashes);
    slu_map_release(&ctl->own);
    pthread_mutex_destroy(&ctl->memo_mu);
    slu_bqueue_release(&ctl->events, free_event);
    op__metrics_release(&ctl->m);
    pthread_mutex_destroy(&ctl->mu);
    pthread_mutex_destroy(&ctl->obs_mu);
    free(ctl);
}

int op_controller_reconcile(struct op_controller *ctl, const char *key, struct slu_err *err)
{
    int64_t rq = 0;
    return op__reconcile(ctl, key, &rq, err);
}

void op_controller_metrics(struct op_controller *ctl, struct slu_buf *out);
