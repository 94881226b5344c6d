/*
 * reconcile.c - the SparkApplication state machine (spec/sparkapplication.md §2): one handler per
 * state, the crash-safe submission protocol, status writes with conflict handling.
 *
 * A reconcile reads the application from the informer cache (or from this process's last write
 * of it when the cache has not caught up yet: see memo_*), applies the pre-switch rules (deletion,
 * suspend, spec change -> INVALIDATING), then runs the handler of the current state. A handler
 * that moved the application on is followed at once by the handler of the new state (up to a few
 * steps), so RUNNING -> SUCCEEDING -> COMPLETED costs one reconcile. Every status write is an
 * update of the status subresource carrying the resourceVersion that was read: a conflict means
 * someone else moved the object, so the object is read again from the API and the reconcile
 * starts over from what it says.
 *
 * Submission protocol (docs/internals/operator.md): the attempt is first recorded in the status
 * (submissionAttempts+1, a submissionID derived from uid+attempt+spec hash, lastSubmissionAttempt
 * time), and only then is the driver pod created, with names derived from that submissionID. The
 * recording write is a compare-and-swap on the resourceVersion, so no two reconciles (even of two
 * operator processes, or one acting on a stale cache) can create the driver of the same attempt.
 * A reconcile that finds an attempt recorded but not confirmed (state "", PENDING_RERUN or
 * RESUMING with a submissionID) never POSTs that attempt again: it reads the pod from the API and
 * adopts it when its submission-id label matches, deletes it when it is a leftover of an older
 * attempt, and otherwise records a new attempt. So each submission id is POSTed at most once.
 */
#include <stdlib.h>
#include <string.h>

#include "operator/op_int.h"

struct rctx {
    struct op_controller *ctl;
    char *key;
    const char *ns, *name;
    json_t *app; /* owned; replaced by each successful status write */
    int64_t requeue_ms;
    int64_t now_ms;
    bool gone;
    /* A status staged in app but not written yet (transition to SUCCEEDING or FAILING, whose
     * handler acts at once): saved_status is the stored one (a reference, may be NULL). */
    bool staged;
    json_t *saved_status;
    /* the spec's hash, computed once: a reconcile writes only the status, so the spec it works
     * on does not change (a conflict starts a new rctx) */
    bool have_hash;
    uint64_t spec_hash;
    struct slu_err *err;
};

/* ---------------------------------------------------------------- memo of our own writes */

static bool rv_num(const json_t *o, int64_t *v)
{
    const char *rv = kube_object_rv(o);
    return rv && slu_parse_i64(rv, v) == 0;
}

/* The object to reconcile: the cached one, or our newer write of it. Returned owned. */
static json_t *memo_pick(struct op_controller *ctl, const char *key, json_t *cached)
{
    pthread_mutex_lock(&ctl->memo_mu);
    json_t *m = slu_map_get(&ctl->memo, key);
    json_t *out = cached;
    if (m) {
        int64_t a, b;
        if (cached && rv_num(cached, &a) && rv_num(m, &b) && b > a) {
            out = json_incref(m);
            json_decref(cached);
        } else {
            slu_map_del(&ctl->memo, key); /* the cache caught up (or the app is gone) */
        }
    }
    pthread_mutex_unlock(&ctl->memo_mu);
    return out;
}

/* ---------------------------------------------------------------- status helpers */

/* A private copy of the app's status to change: the status and each object or array in it are
 * copied (two levels: the handlers change the status's fields and the fields of driverInfo and
 * applicationState, or replace executorState and executorCounts whole, never deeper); scalars
 * are shared, as jansson values are never changed in place here. */
static json_t *status_copy(const struct rctx *r)
{
    json_t *cur = json_object_get(r->app, "status");
    json_t *st = json_object();
    const char *k;
    json_t *v;
    if (json_is_object(cur))
        json_object_foreach(cur, k, v) json_object_set_new(
            st, k, json_is_object(v) || json_is_array(v) ? json_copy(v) : json_incref(v));
    if (!json_is_object(json_object_get(st, "driverInfo")))
        json_object_set_new(st, "driverInfo", json_object());
    if (!json_is_object(json_object_get(st, "applicationState")))
        json_object_set_new(st, "applicationState", json_pack("{s:s}", "state", ""));
    return st;
}

static void set_state(json_t *st, enum op_state s, const char *msg)
{
    json_t *as = json_object();
    json_object_set_new(as, "state", json_string(op_state_name(s)));
    if (msg && *msg)
        json_object_set_new(as, "errorMessage", json_string(msg));
    json_object_set_new(st, "applicationState", as);
}

static void set_time(json_t *st, const char *field, int64_t unix_ms)
{
    char ts[40];
    slu_time_format_rfc3339(unix_ms / 1000, ts, sizeof ts);
    json_object_set_new(st, field, json_string(ts));
}

static const char *cur_sid(const struct rctx *r)
{
    const char *s = slu_json_str(r->app, "status.submissionID");
    return s && *s ? s : NULL;
}

/* resetSparkApplicationStatus: full (INVALIDATING) also zeroes the counters. */
static void reset_status(json_t *st, bool full)
{
    static const char *const keys[] = {"sparkApplicationId", "terminationTime", "executorState",
                                       "executorCounts", "submissionID"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys); i++)
        json_object_del(st, keys[i]);
    json_object_set_new(st, "driverInfo", json_object());
    if (full) {
        json_object_set_new(st, "submissionAttempts", json_integer(0));
        json_object_set_new(st, "executionAttempts", json_integer(0));
        json_object_del(st, "lastSubmissionAttemptTime");
    }
}

static void defer_del(struct op_controller *ctl, const char *key);

struct op_spec_hash {
    int64_t generation;
    uint64_t hash;
    char uid[64];
};

/* op_spec_hash of the app, computed once per reconcile, and once per (uid, generation) of an
 * app as long as the process keeps it (ctl->spec_hashes); an app without a generation is
 * hashed every time. */
static uint64_t spec_hash(struct rctx *r)
{
    if (r->have_hash)
        return r->spec_hash;
    int64_t gen = slu_json_int(r->app, "metadata.generation", 0);
    const char *uid = kube_object_uid(r->app);
    bool cacheable = gen > 0 && uid && strlen(uid) < sizeof(((struct op_spec_hash *)0)->uid);
    if (cacheable) {
        pthread_mutex_lock(&r->ctl->memo_mu);
        const struct op_spec_hash *c = slu_map_get(&r->ctl->spec_hashes, r->key);
        bool hit = c && c->generation == gen && strcmp(c->uid, uid) == 0;
        if (hit)
            r->spec_hash = c->hash;
        pthread_mutex_unlock(&r->ctl->memo_mu);
        if (hit) {
            r->have_hash = true;
            return r->spec_hash;
        }
    }
    r->spec_hash = op_spec_hash(r->app);
    r->have_hash = true;
    if (cacheable) {
        struct op_spec_hash *c = slu_malloc(sizeof *c);
        c->generation = gen;
        c->hash = r->spec_hash;
        slu_strlcpy(c->uid, uid, sizeof c->uid);
        pthread_mutex_lock(&r->ctl->memo_mu);
        slu_map_put(&r->ctl->spec_hashes, r->key, c);
        pthread_mutex_unlock(&r->ctl->memo_mu);
    }
    return r->spec_hash;
}

/* op_spec_changed with the hash computed once per reconcile */
static bool spec_changed(struct rctx *r)
{
    uint64_t h;
    if (!op_submission_spec_hash(slu_json_str(r->app, "status.submissionID"), &h))
        return false;
    return h != (spec_hash(r) & 0xffffffffffffULL);
}

static void unstage(struct rctx *r)
{
    r->staged = false;
    json_decref(r->saved_status);
    r->saved_status = NULL;
}

/* The body of a status write of st (borrowed): the status subresource reads only the status
 * (and the resourceVersion precondition) of what it is sent, so only that is sent. Returned
 * owned, or NULL (no memory). */
static json_t *status_slim(const struct rctx *r, json_t *st)
{
    const json_t *md = json_object_get(r->app, "metadata");
    return json_pack("{s:O?, s:O?, s:{s:O?, s:O?, s:O?}, s:O}", "apiVersion",
                     json_object_get(r->app, "apiVersion"), "kind", json_object_get(r->app, "kind"),
                     "metadata", "name", json_object_get(md, "name"), "namespace",
                     json_object_get(md, "namespace"), "resourceVersion",
                     json_object_get(md, "resourceVersion"), "status", st);
}

/* After the status write of st (taken) answered rc with the new resourceVersion rv: on success
 * the app is the one read, with this status, at that version (only the version is read of the
 * answer). */
static int status_written(struct rctx *r, json_t *st, int rc, const char *rv)
{
    json_t *out = NULL;
    if (rc == 0 && !*rv) {
        /* written, but the answer named no version (not seen from an API server): go on from
         * the object as it is now */
        rc = op__get(r->ctl, &OP_RES_SPARKAPPS, r->ns, r->name, &out, r->err);
    } else if (rc == 0) {
        out = json_copy(r->app); /* shallow: the children are immutable and shared */
        json_t *nmd = json_copy(json_object_get(r->app, "metadata"));
        json_object_set_new(nmd, "resourceVersion", json_string(rv));
        json_object_set_new(out, "metadata", nmd);
        json_object_set(out, "status", st);
    }
    json_decref(st);
    if (rc == SLU_ECONFLICT)
        return rc;
    if (rc == SLU_ENOTFOUND) {
        r->gone = true;
        return rc;
    }
    if (rc)
        return rc;
    json_decref(r->app);
    r->app = out;
    unstage(r);
    op__own_write(r->ctl, r->key, out); /* and the memo */
    defer_del(r->ctl, r->key);          /* whatever was held back is written or reset now */
    return 0;
}

#define CONFLICT_RETRIES 3 /* status writes again over a version that changed only its metadata */

/* One status write of st (borrowed) over r->app's version; *km: the answer's identity. */
static void count_conflict(struct rctx *r)
{
    pthread_mutex_lock(&r->ctl->m.mu);
    r->ctl->m.status_conflicts++;
    pthread_mutex_unlock(&r->ctl->m.mu);
}

static int put_status(struct rctx *r, json_t *st, struct kube_meta *km)
{
    json_t *slim = status_slim(r, st);
    int rc = slim ? op__update_status_meta(r->ctl, &OP_RES_SPARKAPPS, r->ns, slim, km, r->err)
                  : slu_err_set(r->err, SLU_ENOMEM, "status of %s", r->key);
    json_decref(slim);
    if (rc == SLU_ECONFLICT)
        count_conflict(r);
    return rc;
}

/* After a status write met a conflict: reads the app as it is now. When only its metadata
 * changed since r->app (same uid, spec, stored status and deletion: a label or an annotation
 * written by someone else), r->app becomes that version (with the staged status, if one is
 * staged) and true is returned: the same status may be written over it, as nothing this
 * reconcile decided on has changed. */
static bool refresh_after_conflict(struct rctx *r)
{
    json_t *now = NULL;
    struct slu_err gerr = {0};
    int rc = op__get(r->ctl, &OP_RES_SPARKAPPS, r->ns, r->name, &now, &gerr);
    slu_err_release(&gerr);
    if (rc)
        return false;
    const json_t *stored = r->staged ? r->saved_status : json_object_get(r->app, "status");
    bool same = slu_streq(kube_object_uid(now), kube_object_uid(r->app)) &&
                slu_json_equal(json_object_get(now, "spec"), json_object_get(r->app, "spec")) &&
                slu_json_equal(json_object_get(now, "status"), stored) &&
                !slu_json_str(now, "metadata.deletionTimestamp") &&
                !slu_json_str(r->app, "metadata.deletionTimestamp");
    if (!same) {
        json_decref(now);
        return false;
    }
    if (r->staged) {
        json_t *app = json_copy(now); /* shallow */
        json_object_set(app, "status", json_object_get(r->app, "status"));
        json_decref(now);
        now = app;
    }
    json_decref(r->app);
    r->app = now;
    return true;
}

/* Writes st (taken) when it differs from the stored status. */
static int write_status(struct rctx *r, json_t *st)
{
    const json_t *stored = r->staged ? r->saved_status : json_object_get(r->app, "status");
    if (slu_json_equal(stored, st)) {
        json_decref(st);
        if (r->staged) { /* back to what is stored */
            json_t *app = json_copy(r->app);
            if (r->saved_status)
                json_object_set(app, "status", r->saved_status);
            else
                json_object_del(app, "status");
            json_decref(r->app);
            r->app = app;
            unstage(r);
        }
        return 0;
    }
    struct kube_meta km = {0};
    int rc = put_status(r, st, &km);
    for (int tries = 0; rc == SLU_ECONFLICT && tries < CONFLICT_RETRIES; tries++) {
        if (!refresh_after_conflict(r))
            break;
        slu_err_release(r->err);
        rc = put_status(r, st, &km);
    }
    return status_written(r, st, rc, km.resource_version);
}

/* SUCCEEDING and FAILING are passing states: their handler decides at once (COMPLETED/FAILED,
 * a rerun, or a wait for the retry interval). The status is staged in r->app and written with
 * the next transition, or by run() when the reconcile stops there: one write instead of two for
 * every finished application, and the same Events. */
static void stage(struct rctx *r, json_t *st)
{
    if (!r->staged) {
        json_t *cur = json_object_get(r->app, "status");
        r->saved_status = cur ? json_incref(cur) : NULL;
        r->staged = true;
    }
    json_t *app = json_copy(r->app); /* shallow */
    json_object_set_new(app, "status", st);
    json_decref(r->app);
    r->app = app;
}

static int transition(struct rctx *r, json_t *st, enum op_state s, const char *msg)
{
    set_state(st, s, msg);
    if (s == OP_ST_SUCCEEDING || s == OP_ST_FAILING) {
        stage(r, st);
        return 0;
    }
    return write_status(r, st);
}

static char *driver_pod_name(const struct rctx *r)
{
    const char *pn = slu_json_str(r->app, "status.driverInfo.podName");
    return pn && *pn ? slu_strdup(pn) : spark_app_driver_pod_name(r->app);
}

static bool in_flight(const struct rctx *r)
{
    enum op_state s = op_app_state(r->app);
    return (s == OP_ST_NEW || s == OP_ST_PENDING_RERUN || s == OP_ST_RESUMING) && cur_sid(r);
}

static bool pod_is_ours(const struct rctx *r, const json_t *pod)
{
    return slu_streq(op__label(pod, SPARK_LABEL_APP_NAME), r->name) &&
           slu_streq(op__label(pod, SPARK_LABEL_LAUNCHED_BY), "true");
}

/* ---------------------------------------------------------------- building */

static void hex_of(uint64_t h, char *buf, size_t n)
{
    snprintf(buf, n, "%016llx", (unsigned long long)h);
}

int op_build_objects(const json_t *app, const char *sid, int64_t now_ms,
                     const char *ui_ingress_url_format, json_t **objects, struct slu_err *err)
{
    struct spark_submission *s = NULL;
    int rc = spark_app_to_submission(app, sid, &s, err);
    if (rc)
        return rc;
    uint64_t h1 = slu_hash(sid, strlen(sid));
    char *salted = slu_asprintf("%s#2", sid);
    uint64_t h2 = slu_hash(salted, strlen(salted));
    free(salted);
    char a[20], b[20], uniq[16], app_id[48], uuid[40];
    hex_of(h1, a, sizeof a);
    hex_of(h2, b, sizeof b);
    snprintf(uniq, sizeof uniq, "%.13s", a);
    snprintf(app_id, sizeof app_id, "spark-%s%s", a, b);
    snprintf(uuid, sizeof uuid, "%.8s-%.4s-4%.3s-a%.3s-%.12s", a, a + 8, a + 12, b, b + 3);
    if (ui_ingress_url_format && *ui_ingress_url_format) {
        char *url = op_ingress_url(ui_ingress_url_format, kube_object_name(app),
                                   kube_object_namespace(app), app_id);
        const char *u = strstr(url, "://") ? strstr(url, "://") + 3 : url;
        const char *slash = strchr(u, '/');
        if (slash && slash[1]) {
            spark_conf_set(s->conf, "spark.ui.proxyBase", slash);
            spark_conf_set(s->conf, "spark.ui.proxyRedirectUri", "/");
        }
        free(url);
    }
    enum spark_app_type type = SPARK_APP_JAVA;
    if (slu_streq(s->app_type, "Python"))
        type = SPARK_APP_PYTHON;
    else if (slu_streq(s->app_type, "R"))
        type = SPARK_APP_R;
    struct spark_build_input in = {
        .conf = s->conf,
        .spark_version = s->spark_version,
        .app_type = type,
        .main_class = s->main_class,
        .primary_resource = s->primary_resource,
        .app_args = (const char *const *)s->args,
        .nargs = s->nargs,
        .proxy_user = s->proxy_user,
        .namespace = s->namespace,
        .app_id = app_id,
        .unique_id = uniq,
        .conf_map_id = uniq,
        .service_id = uniq,
        .local_dir_uuid = uuid,
        .now_ms = now_ms,
        .driver_template = s->driver_template,
        .executor_template = s->executor_template,
        .driver_extras = s->driver_extras,
        .executor_extras = s->executor_extras,
        .app_volumes =
            s->app_volumes, /* spec.volumes + sparkConfigMap/hadoopConfigMap/Prometheus */
    };
    rc = spark_build(&in, objects, NULL, err);
    spark_submission_free(s);
    if (rc == 0) {
        json_t *pod = json_array_get(*objects, 0);
        json_object_set_new(json_object_get(pod, "metadata"), "ownerReferences",
                            op__app_owner_refs(app));
    }
    return rc;
}

/* op_build_objects with this controller's UI ingress setting. */
static int build_objects(struct rctx *r, const char *sid, int64_t now_ms, json_t **objects,
                         struct slu_err *err)
{
    const char *fmt = r->ctl->o.disable_ui_service ? NULL : r->ctl->o.ingress_url_format;
    return op_build_objects(r->app, sid, now_ms, fmt, objects, err);
}

static const struct kube_resource *resource_of(const json_t *obj)
{
    const char *kind = slu_json_str(obj, "kind");
    if (slu_streq(kind, "Service"))
        return &KUBE_RES_SERVICES;
    if (slu_streq(kind, "ConfigMap"))
        return &KUBE_RES_CONFIGMAPS;
    if (slu_streq(kind, "Secret"))
        return &KUBE_RES_SECRETS;
    if (slu_streq(kind, "PersistentVolumeClaim"))
        return &KUBE_RES_PVCS;
    if (slu_streq(kind, "Pod"))
        return &KUBE_RES_PODS;
    return NULL;
}

/* ---------------------------------------------------------------- submission */

static int submission_failed(struct rctx *r, const char *msg)
{
    json_t *st = status_copy(r);
    int rc = transition(r, st, OP_ST_SUBMISSION_FAILED, msg);
    if (rc == 0)
        op__event(r->ctl, r->app, "Warning", "SparkApplicationSubmissionFailed",
                  "failed to submit SparkApplication %s: %s", r->name, msg);
    return rc;
}

/* The driver pod of the current attempt exists (created: pod as returned): create the other
 * objects (idempotently) and record SUBMITTED. */
static int finish_submission(struct rctx *r, json_t *objects, const json_t *pod)
{
    spark_build_set_owner(objects, pod);
    json_t *st = status_copy(r);
    /* the objects the driver needs and the UI Service (so that SUBMITTED carries
     * driverInfo.webUI*: one status write less), independent of each other: one pipelined
     * batch (kube_create_batch), one round trip */
    size_t nobj = json_array_size(objects);
    struct kube_create_req *q = slu_calloc(nobj + 1, sizeof(*q));
    size_t n = 0;
    for (size_t i = 1; i < nobj; i++) {
        json_t *o = json_array_get(objects, i);
        const struct kube_resource *res = resource_of(o);
        if (res)
            q[n++] = (struct kube_create_req){.res = res, .ns = r->ns, .obj = o};
    }
    json_t *ui = op__ui_service_build(r->ctl, r->app, st);
    json_t *ui_got = NULL;
    static const char *const ui_sel[] = {"metadata.name", "spec.clusterIP"}; /* what is read */
    if (ui)
        q[n++] = (struct kube_create_req){.res = &KUBE_RES_SERVICES,
                                          .ns = r->ns,
                                          .obj = ui,
                                          .out = &ui_got,
                                          .select = ui_sel,
                                          .nselect = SLU_ARRAY_LEN(ui_sel)};
    atomic_fetch_add(&r->ctl->api_calls, n);
    kube_create_batch(r->ctl->c, q, n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (q[i].obj == ui)
            continue;
        if (q[i].rc == 0 || q[i].rc == SLU_EEXIST)
            continue;
        if (op__transient(q[i].rc)) {
            slu_err_move(r->err, &q[i].err);
            rc = q[i].rc;
            break;
        }
        char msg[1100];
        snprintf(msg, sizeof msg, "creating %s %s: %s", slu_json_str(q[i].obj, "kind"),
                 slu_json_str(q[i].obj, "metadata.name"), q[i].err.msg);
        rc = submission_failed(r, msg);
        if (rc == 0)
            rc = 1;
    }
    if (ui && rc == 0 && q[n - 1].rc == 0)
        op__ui_service_record(r->app, st, ui_got);
    for (size_t i = 0; i < n; i++)
        slu_err_release(&q[i].err);
    free(q);
    json_decref(ui);
    json_decref(ui_got);
    if (rc) {
        json_decref(st);
        return rc > 0 ? 0 : rc;
    }
    json_object_set_new(st, "executionAttempts",
                        json_integer(slu_json_int(st, "executionAttempts", 0) + 1));
    json_object_set_new(json_object_get(st, "driverInfo"), "podName",
                        json_string(kube_object_name(pod)));
    const char *appid = op__label(pod, OP_LABEL_SPARK_APP_SELECTOR);
    if (appid)
        json_object_set_new(st, "sparkApplicationId", json_string(appid));
    /* the rest of the UI (a Service that was there already, the Ingress, driverIngressOptions);
     * on failure the SUBMITTED/RUNNING refresh tries again */
    struct slu_err uerr = {0};
    if (op__ensure_ui(r->ctl, r->app, st, &uerr))
        slu_debug("operator: %s: UI service: %s", r->key, uerr.msg);
    slu_err_release(&uerr);
    rc = transition(r, st, OP_ST_SUBMITTED, NULL);
    if (rc == 0)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationSubmitted",
                  "SparkApplication %s was submitted successfully", r->name);
    return rc;
}

/* A pod with the driver's name exists: adopt it (our attempt), remove it (a leftover of an
 * older attempt of this app), or fail (someone else's). pod borrowed. */
static int existing_driver(struct rctx *r, json_t *objects, const json_t *pod)
{
    const char *sid = cur_sid(r);
    if (sid && slu_streq(op__label(pod, SPARK_LABEL_SUBMISSION_ID), sid))
        return finish_submission(r, objects, pod);
    if (pod_is_ours(r, pod)) {
        if (!slu_json_str(pod, "metadata.deletionTimestamp")) {
            struct kube_delete_opts d = {.grace_period_seconds = -1,
                                         .precondition_uid = kube_object_uid(pod)};
            int rc =
                op__delete(r->ctl, &KUBE_RES_PODS, r->ns, kube_object_name(pod), &d, NULL, r->err);
            if (rc && rc != SLU_ENOTFOUND && rc != SLU_ECONFLICT)
                return rc;
            slu_err_release(r->err);
        }
        r->requeue_ms = 250;
        return 0;
    }
    char msg[600];
    snprintf(msg, sizeof msg,
             "driver pod %s already exists and was not created for SparkApplication %s",
             kube_object_name(pod), r->name);
    return submission_failed(r, msg);
}

/* Creates <app>-prom-conf (spark_app_prometheus_configmap) when spec.monitoring needs one;
 * AlreadyExists is fine (a retry, a rerun, a restarted operator). Returns 0 (go on), 1 (the
 * submission was failed here: another refusal than a transient error, with the API's message)
 * or a negative error (transient: requeue; the re-entry records a new attempt, as for any
 * failure before the driver POST). */
static int ensure_prometheus_configmap(struct rctx *r)
{
    json_t *cm = NULL;
    struct slu_err cerr = {0};
    int rc = spark_app_prometheus_configmap(r->app, &cm, &cerr);
    if (rc || !cm) {
        if (rc) {
            char msg[1100];
            snprintf(msg, sizeof msg, "Prometheus ConfigMap: %s", cerr.msg);
            slu_err_release(&cerr);
            rc = submission_failed(r, msg);
            return rc ? rc : 1;
        }
        return 0;
    }
    rc = op__create(r->ctl, &KUBE_RES_CONFIGMAPS, r->ns, cm, NULL, r->err);
    if (rc == SLU_EEXIST) {
        slu_err_release(r->err);
        rc = 0;
    } else if (rc && !op__transient(rc)) {
        char msg[1100];
        snprintf(msg, sizeof msg, "creating ConfigMap %s: %s", slu_json_str(cm, "metadata.name"),
                 r->err->msg);
        slu_err_release(r->err);
        rc = submission_failed(r, msg);
        if (rc == 0)
            rc = 1;
    }
    json_decref(cm);
    return rc;
}

/* The driver POST answered rc (meta: its identity on success; err: why not): go on from there.
 * objects borrowed. */
static int after_driver_post(struct rctx *r, json_t *objects, int rc, const struct kube_meta *km)
{
    struct op_controller *ctl = r->ctl;
    json_t *pod = json_array_get(objects, 0);
    if (rc == 0) {
        pthread_mutex_lock(&ctl->m.mu);
        ctl->m.submissions_created++;
        pthread_mutex_unlock(&ctl->m.mu);
        /* the pod as created: what was sent, with the uid the owner references need */
        json_object_set_new(json_object_get(pod, "metadata"), "uid", json_string(km->uid));
        return finish_submission(r, objects, pod);
    }
    if (rc == SLU_EEXIST) {
        slu_err_release(r->err);
        json_t *existing = NULL;
        rc = op__get(ctl, &KUBE_RES_PODS, r->ns, slu_json_str(pod, "metadata.name"), &existing,
                     r->err);
        if (rc == SLU_ENOTFOUND) { /* gone meanwhile: the next reconcile records a new attempt */
            slu_err_release(r->err);
            r->requeue_ms = 100;
            rc = 0;
        } else if (rc == 0) {
            rc = existing_driver(r, objects, existing);
        }
        json_decref(existing);
        return rc;
    }
    if (!op__transient(rc)) {
        char msg[1100];
        snprintf(msg, sizeof msg, "creating driver pod: %s", r->err->msg);
        slu_err_release(r->err);
        return submission_failed(r, msg);
    }
    return rc; /* transient: unknown outcome, the re-entry reads the pod back */
}

/* Records the attempt (st, taken) and creates its driver pod in one pipelined batch: the server
 * applies the record first, so a pod never exists for an attempt that was not recorded unless
 * the record failed (a conflict, the app deleted) after being sent; then the re-entry computes
 * the same submission id, finds the pod (AlreadyExists) and adopts it, as after a crash. One
 * round trip instead of two. */
static int record_and_create(struct rctx *r, json_t *st, json_t *objects, int64_t attempt)
{
    struct op_controller *ctl = r->ctl;
    enum op_state cur = op_app_state(r->app);
    set_state(st, cur == OP_ST_SUBMISSION_FAILED ? OP_ST_PENDING_RERUN : cur, NULL);
    json_t *pod = json_array_get(objects, 0);
    json_t *slim = status_slim(r, st);
    char *sbody = slim ? slu_json_dumps(slim) : NULL;
    json_decref(slim);
    char *pbody = slu_json_dumps(pod);
    if (!sbody || !pbody) {
        free(sbody);
        free(pbody);
        json_decref(st);
        json_decref(objects);
        return slu_err_set(r->err, SLU_ENOMEM, "status of %s", r->key);
    }
    char *spath = kube_resource_path(&OP_RES_SPARKAPPS, r->ns, r->name, "status");
    char *ppath = kube_resource_path(&KUBE_RES_PODS, r->ns, NULL, NULL);
    struct slu_buf sresp = {0}, presp = {0};
    struct kube_batch_req b[2] = {{.method = "PUT",
                                   .path_query = spath,
                                   .content_type = "application/json",
                                   .body = sbody,
                                   .body_len = strlen(sbody),
                                   .resp = &sresp},
                                  {.method = "POST",
                                   .path_query = ppath,
                                   .content_type = "application/json",
                                   .body = pbody,
                                   .body_len = strlen(pbody),
                                   .resp = &presp}};
    atomic_fetch_add(&ctl->api_calls, 2);
    atomic_fetch_add(&ctl->status_writes, 1);
    kube_request_batch(ctl->c, b, 2);
    free(sbody);
    free(pbody);
    free(spath);
    free(ppath);
    char rv[64] = "";
    if (b[0].rc == 0 &&
        slu_json_scan_str(sresp.data, sresp.len, "metadata.resourceVersion", rv, sizeof rv) != 0)
        rv[0] = '\0';
    int wrc = b[0].rc;
    if (wrc)
        slu_err_move(r->err, &b[0].err);
    if (wrc == SLU_ECONFLICT)
        count_conflict(r);
    /* a record that met a conflict over a version that changed only its metadata is written
     * again with the same submission id (the version in it is only what makes it unique): then
     * the pod the batch may have created is this attempt's */
    for (int tries = 0; wrc == SLU_ECONFLICT && tries < CONFLICT_RETRIES; tries++) {
        if (!refresh_after_conflict(r))
            break;
        slu_err_release(r->err);
        struct kube_meta skm = {0};
        wrc = put_status(r, st, &skm);
        memcpy(rv, skm.resource_version, sizeof rv);
    }
    int rc = status_written(r, st, wrc, rv);
    struct kube_meta km = {0};
    int prc = b[1].rc;
    if (prc == 0 &&
        slu_json_scan_str(presp.data, presp.len, "metadata.uid", km.uid, sizeof km.uid) != 0)
        prc = slu_err_set(&b[1].err, SLU_EIO, "creating driver pod: the answer has no uid");
    slu_buf_release(&sresp);
    slu_buf_release(&presp);
    if (rc) { /* not recorded: whatever the POST did, the re-entry sorts it out */
        slu_err_release(&b[1].err);
        json_decref(objects);
        return rc;
    }
    if (op_app_state(r->app) == OP_ST_NEW && attempt == 1)
        op__event(ctl, r->app, "Normal", "SparkApplicationAdded",
                  "SparkApplication %s was added, enqueuing it for submission", r->name);
    if (prc && op__transient(prc)) {
        /* no answer, 5xx: the pod may exist. Once more, alone (with the client's read-back) */
        slu_err_release(&b[1].err);
        prc = op__create_meta(ctl, &KUBE_RES_PODS, r->ns, pod, &km, r->err);
    } else if (prc) {
        slu_err_move(r->err, &b[1].err);
    }
    slu_err_release(&b[1].err);
    rc = after_driver_post(r, objects, prc, &km);
    json_decref(objects);
    return rc;
}

static int submit(struct rctx *r)
{
    struct op_controller *ctl = r->ctl;
    if (ctl->o.admit) {
        int64_t retry_ms = 1000;
        if (!ctl->o.admit(ctl->o.admit_ud, r->app, &retry_ms)) {
            r->requeue_ms = retry_ms > 0 ? retry_ms : 1000;
            return 0;
        }
    }
    enum op_state cur = op_app_state(r->app);
    int64_t attempt = slu_json_int(r->app, "status.submissionAttempts", 0) + 1;
    char sid[48];
    op_submission_id(kube_object_uid(r->app), attempt, kube_object_rv(r->app), spec_hash(r), sid,
                     sizeof sid);
    json_t *objects = NULL;
    struct slu_err berr = {0};
    int brc = build_objects(r, sid, r->now_ms, &objects, &berr);
    char *pn = driver_pod_name(r);
    json_t *st = status_copy(r);
    json_object_set_new(st, "submissionAttempts", json_integer(attempt));
    json_object_set_new(st, "submissionID", json_string(sid));
    set_time(st, "lastSubmissionAttemptTime", r->now_ms);
    json_object_del(st, "terminationTime");
    json_object_del(st, "sparkApplicationId");
    json_object_del(st, "executorState");
    json_object_del(st, "executorCounts");
    json_object_set_new(st, "driverInfo", json_pack("{s:s}", "podName", pn));
    free(pn);
    int rc;
    if (brc) {
        /* invalid spec or unbuildable: nothing is created, one write */
        rc = transition(r, st, OP_ST_SUBMISSION_FAILED, berr.msg);
        if (rc == 0)
            op__event(ctl, r->app, "Warning", "SparkApplicationSubmissionFailed",
                      "failed to submit SparkApplication %s: %s", r->name, berr.msg);
        slu_err_release(&berr);
        return rc;
    }
    if (!json_object_get(json_object_get(r->app, "spec"), "monitoring") &&
        !op__batch_needed(r->app))
        return record_and_create(r, st, objects, attempt);
    /* 1. record the attempt */
    rc = transition(r, st, cur == OP_ST_SUBMISSION_FAILED ? OP_ST_PENDING_RERUN : cur, NULL);
    if (rc) {
        json_decref(objects);
        return rc;
    }
    if (cur == OP_ST_NEW && attempt == 1)
        op__event(ctl, r->app, "Normal", "SparkApplicationAdded",
                  "SparkApplication %s was added, enqueuing it for submission", r->name);
    /* 2. the Prometheus ConfigMap the driver mounts (owned by the app), when monitoring asks */
    rc = ensure_prometheus_configmap(r);
    if (rc) {
        json_decref(objects);
        return rc > 0 ? 0 : rc;
    }
    /* 2b. the batch scheduler's objects and pod settings (spec.batchScheduler) */
    rc = op__batch_prepare(ctl, r->app, objects, r->err);
    if (rc) {
        json_decref(objects);
        if (op__transient(rc))
            return rc;
        char msg[1100];
        snprintf(msg, sizeof msg, "batch scheduler: %s", r->err->msg);
        slu_err_release(r->err);
        return submission_failed(r, msg);
    }
    /* 3. create the driver pod of that attempt */
    json_t *pod = json_array_get(objects, 0);
    struct kube_meta km;
    rc = op__create_meta(ctl, &KUBE_RES_PODS, r->ns, pod, &km, r->err);
    rc = after_driver_post(r, objects, rc, &km);
    json_decref(objects);
    return rc;
}

/* Re-entry with an attempt recorded but not confirmed. */
static int resume(struct rctx *r)
{
    char *pn = driver_pod_name(r);
    json_t *pod = NULL;
    int rc = op__get(r->ctl, &KUBE_RES_PODS, r->ns, pn, &pod, r->err);
    free(pn);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(r->err);
        return submit(r); /* never re-POST a recorded attempt: record a new one */
    }
    if (rc)
        return rc;
    json_t *objects = NULL;
    if (slu_streq(op__label(pod, SPARK_LABEL_SUBMISSION_ID), cur_sid(r))) {
        int64_t t = op__time_ms(r->app, "status.lastSubmissionAttemptTime");
        struct slu_err berr = {0};
        rc = build_objects(r, cur_sid(r), t ? t : r->now_ms, &objects, &berr);
        if (rc) {
            rc = submission_failed(r, berr.msg);
            slu_err_release(&berr);
            json_decref(pod);
            return rc;
        }
    }
    rc = existing_driver(r, objects, pod);
    json_decref(objects);
    json_decref(pod);
    return rc;
}

/* ---------------------------------------------------------------- handlers */

static int h_new(struct rctx *r)
{
    return in_flight(r) ? resume(r) : submit(r);
}

static json_t *executor_pods(struct rctx *r, const char *sid)
{
    json_t *out = json_array();
    struct op_nsw *w = op__nsw_for(r->ctl, r->ns);
    if (!w)
        return out;
    json_t *all = kube_informer_by_index(w->pods, OP_IDX_APP_EXECUTORS, r->key);
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        if (slu_streq(op__label(p, OP_LABEL_SPARK_ROLE), "executor") &&
            (!sid || slu_streq(op__label(p, SPARK_LABEL_SUBMISSION_ID), sid)))
            json_array_append(out, p);
    }
    json_decref(all);
    return out;
}

/* Executor churn coalescing: a status that differs from the current one only in executorState /
 * executorCounts (same application state, same driver info) is written at most once per
 * OP_EXEC_COALESCE_MS per application. The first such change is held back and the key re-checked
 * when the window ends; changes meanwhile (a big application's executors starting one by one)
 * land in that one write, and any other change (a new state, UI info, the driver's end) is written
 * at once and carries the executor states with it. What is held back is kept in ctl->defer
 * ({"since": monotonic ms, "sid": submission, "executorState": {...}}) and is the base of the
 * next computation, so an executor seen only while held back still gets its final state. */
static bool executor_only_change(const json_t *cur, const json_t *st)
{
    if (!json_is_object(cur))
        return false;
    json_t *a = json_copy((json_t *)cur), *b = json_copy((json_t *)st);
    static const char *const keys[] = {"executorState", "executorCounts"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys); i++) {
        json_object_del(a, keys[i]);
        json_object_del(b, keys[i]);
    }
    bool same = slu_json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same && !slu_json_equal(cur, st);
}

static void defer_del(struct op_controller *ctl, const char *key)
{
    pthread_mutex_lock(&ctl->memo_mu);
    slu_map_del(&ctl->defer, key);
    pthread_mutex_unlock(&ctl->memo_mu);
}

/* The executor states held back for key and submission sid (new reference), or NULL. */
static json_t *defer_exec_state(struct op_controller *ctl, const char *key, const char *sid)
{
    json_t *out = NULL;
    pthread_mutex_lock(&ctl->memo_mu);
    json_t *h = slu_map_get(&ctl->defer, key);
    if (h && sid && slu_streq(slu_json_str(h, "sid"), sid))
        out = json_deep_copy(json_object_get(h, "executorState"));
    pthread_mutex_unlock(&ctl->memo_mu);
    return out;
}

/* True when the write of st is held back (the key comes back when the window ends). */
static bool coalesce_executor_update(struct rctx *r, const json_t *st, const char *sid)
{
    if (!sid || !executor_only_change(json_object_get(r->app, "status"), st))
        return false;
    int64_t now = slu_now_mono_ns() / 1000000;
    json_t *es = json_object_get(st, "executorState");
    pthread_mutex_lock(&r->ctl->memo_mu);
    json_t *h = slu_map_get(&r->ctl->defer, r->key);
    int64_t since = now;
    if (h && slu_streq(slu_json_str(h, "sid"), sid))
        since = slu_json_int(h, "since", now);
    slu_map_put(&r->ctl->defer, r->key,
                json_pack("{s:I, s:s, s:o}", "since", (json_int_t)since, "sid", sid,
                          "executorState", es ? json_deep_copy(es) : json_object()));
    pthread_mutex_unlock(&r->ctl->memo_mu);
    int64_t left = since + OP_EXEC_COALESCE_MS - now;
    if (left <= 0)
        return false;
    /* the window's end comes as its own key (controller.c worker_main): when a write has taken
     * the held-back change with it by then, it costs no reconcile */
    char tkey[600];
    snprintf(tkey, sizeof tkey, "%s" OP_DEFER_SUFFIX, r->key);
    kube_workqueue_add_after(r->ctl->q, tkey, left + 5);
    return true;
}

/* SUBMITTED, RUNNING, UNKNOWN: follow the driver pod. */
static int h_refresh(struct rctx *r)
{
    enum op_state cur = op_app_state(r->app);
    const char *sid = cur_sid(r);
    char *pn = driver_pod_name(r);
    json_t *pod = op__cached_driver(r->ctl, r->app, pn);
    if (pod && sid && !slu_streq(op__label(pod, SPARK_LABEL_SUBMISSION_ID), sid)) {
        json_decref(pod); /* a leftover of another attempt */
        pod = NULL;
    }
    int rc = 0;
    if (!pod) {
        int64_t since = r->now_ms - op__time_ms(r->app, "status.lastSubmissionAttemptTime");
        if (cur == OP_ST_SUBMITTED && since < r->ctl->o.driver_pod_grace_ms) {
            r->requeue_ms = r->ctl->o.driver_pod_grace_ms - since + 50;
            free(pn);
            return 0;
        }
        /* the cache may lag: ask the API before declaring the driver lost */
        rc = op__get(r->ctl, &KUBE_RES_PODS, r->ns, pn, &pod, r->err);
        if (rc == SLU_ENOTFOUND) {
            slu_err_release(r->err);
            rc = 0;
        } else if (rc) {
            free(pn);
            return rc;
        }
        if (pod && sid && !slu_streq(op__label(pod, SPARK_LABEL_SUBMISSION_ID), sid)) {
            json_decref(pod);
            pod = NULL;
        }
    }
    if (!pod) {
        json_t *st = status_copy(r);
        set_time(st, "terminationTime", r->now_ms);
        rc = transition(r, st, OP_ST_FAILING, "driver pod not found");
        if (rc == 0)
            op__event(r->ctl, r->app, "Warning", "SparkDriverNotFound", "Driver %s not found", pn);
        free(pn);
        return rc;
    }
    int code;
    const char *reason;
    enum op_driver_state d = op_driver_state_of(pod, &code, &reason);
    enum op_state next = op_app_state_of_driver(d);
    json_t *st = status_copy(r);
    json_t *held = defer_exec_state(r->ctl, r->key, sid);
    if (held)
        json_object_set_new(st, "executorState", held); /* newer than the written one */
    json_t *execs = executor_pods(r, sid);
    const char *appid = op__label(pod, OP_LABEL_SPARK_APP_SELECTOR);
    json_t *e0 = json_array_get(execs, 0);
    if (e0 && op__label(e0, OP_LABEL_SPARK_APP_SELECTOR))
        appid = op__label(e0, OP_LABEL_SPARK_APP_SELECTOR); /* SPARK-25922 */
    if (appid)
        json_object_set_new(st, "sparkApplicationId", json_string(appid));
    json_t *counts = NULL;
    json_t *emap = op_executor_status(st, execs, d == OP_DRV_RUNNING || d == OP_DRV_PENDING, false,
                                      r->ctl->o.max_tracked_executors, &counts);
    json_decref(execs);
    if (json_object_size(emap) > 0 || json_object_get(st, "executorState"))
        json_object_set_new(st, "executorState", emap);
    else
        json_decref(emap);
    if (slu_json_int(counts, "pending", 0) + slu_json_int(counts, "running", 0) +
            slu_json_int(counts, "completed", 0) + slu_json_int(counts, "failed", 0) +
            slu_json_int(counts, "unknown", 0) >
        0)
        json_object_set_new(st, "executorCounts", counts);
    else
        json_decref(counts);
    char msg[300] = "";
    if (d == OP_DRV_COMPLETED || d == OP_DRV_FAILED) {
        if (!slu_json_str(st, "terminationTime"))
            set_time(st, "terminationTime", r->now_ms);
        if (d == OP_DRV_FAILED) {
            if (code >= 0)
                snprintf(msg, sizeof msg, "driver container failed with ExitCode: %d, Reason: %s",
                         code, reason ? reason : "");
            else
                snprintf(msg, sizeof msg, "driver container status missing");
        }
    }
    if (next == OP_ST_SUBMITTED || next == OP_ST_RUNNING) {
        struct slu_err uerr = {0};
        if (op__ensure_ui(r->ctl, r->app, st, &uerr) || op__ensure_pdb(r->ctl, r->app, &uerr)) {
            slu_debug("operator: %s: UI/PDB: %s", r->key, uerr.msg);
            r->requeue_ms = 1000;
        }
        slu_err_release(&uerr);
    }
    json_object_set_new(json_object_get(st, "driverInfo"), "podName",
                        json_string(kube_object_name(pod)));
    set_state(st, next, msg);
    if (next == cur && coalesce_executor_update(r, st, sid)) {
        json_decref(st);
        json_decref(pod);
        free(pn);
        return 0;
    }
    rc = transition(r, st, next, msg);
    if (rc == 0 && next != cur) {
        switch (next) {
        case OP_ST_RUNNING:
            op__event(r->ctl, r->app, "Normal", "SparkDriverRunning", "Driver %s is running", pn);
            break;
        case OP_ST_SUCCEEDING:
            op__event(r->ctl, r->app, "Normal", "SparkDriverCompleted", "Driver %s completed", pn);
            break;
        case OP_ST_FAILING:
            op__event(r->ctl, r->app, "Warning", "SparkDriverFailed", "Driver %s failed: %s", pn,
                      msg);
            break;
        case OP_ST_SUBMITTED:
            op__event(r->ctl, r->app, "Normal", "SparkDriverPending", "Driver %s is pending", pn);
            break;
        default:
            op__event(r->ctl, r->app, "Warning", "SparkDriverUnknown",
                      "Driver %s is in an unknown state", pn);
            break;
        }
    }
    json_decref(pod);
    free(pn);
    return rc;
}

static int to_pending_rerun(struct rctx *r, bool full)
{
    int rc = op__delete_resources(r->ctl, r->app, r->err);
    if (rc)
        return rc;
    json_t *st = status_copy(r);
    reset_status(st, full);
    rc = transition(r, st, OP_ST_PENDING_RERUN, NULL);
    if (rc == 0 && !full)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationPendingRerun",
                  "SparkApplication %s is pending rerun", r->name);
    return rc;
}

static int h_succeeding(struct rctx *r)
{
    if (op_should_retry(r->app, OP_ST_SUCCEEDING))
        return to_pending_rerun(r, false);
    int rc = op__delete_pdb(r->ctl, r->app, r->err);
    if (rc == 0)
        rc = op__batch_cleanup(r->ctl, r->app, r->err);
    if (rc)
        return rc;
    rc = transition(r, status_copy(r), OP_ST_COMPLETED, NULL);
    if (rc == 0)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationCompleted",
                  "SparkApplication %s completed", r->name);
    return rc;
}

static int h_failing(struct rctx *r)
{
    if (op_should_retry(r->app, OP_ST_FAILING)) {
        int64_t wait = op_retry_wait_ms(r->app, OP_ST_FAILING, r->now_ms);
        if (wait > 0) {
            r->requeue_ms = wait;
            return 0;
        }
        return to_pending_rerun(r, false);
    }
    int rc = op__delete_pdb(r->ctl, r->app, r->err);
    if (rc == 0)
        rc = op__batch_cleanup(r->ctl, r->app, r->err);
    if (rc)
        return rc;
    json_t *st = status_copy(r);
    const char *msg = slu_json_str(st, "applicationState.errorMessage");
    char *m = slu_strdup(msg ? msg : "");
    rc = transition(r, st, OP_ST_FAILED, m);
    if (rc == 0)
        op__event(r->ctl, r->app, "Warning", "SparkApplicationFailed",
                  "SparkApplication %s failed: %s", r->name, m);
    free(m);
    return rc;
}

static bool driver_present(struct rctx *r)
{
    char *pn = driver_pod_name(r);
    json_t *pod = op__cached_driver(r->ctl, r->app, pn);
    free(pn);
    bool present = pod != NULL;
    json_decref(pod);
    return present;
}

static int h_submission_failed(struct rctx *r)
{
    if (op_should_retry(r->app, OP_ST_SUBMISSION_FAILED)) {
        int64_t wait = op_retry_wait_ms(r->app, OP_ST_SUBMISSION_FAILED, r->now_ms);
        if (wait > 0) {
            r->requeue_ms = wait;
            return 0;
        }
        if (driver_present(r)) {
            int rc = op__delete_resources(r->ctl, r->app, r->err);
            if (rc == 0)
                r->requeue_ms = 250;
            return rc;
        }
        return submit(r);
    }
    int rc = op__batch_cleanup(r->ctl, r->app, r->err); /* a PodGroup of a failed POST */
    if (rc)
        return rc;
    json_t *st = status_copy(r);
    set_time(st, "terminationTime", r->now_ms);
    const char *msg = slu_json_str(st, "applicationState.errorMessage");
    char *m = slu_strdup(msg ? msg : "");
    rc = transition(r, st, OP_ST_FAILED, m);
    if (rc == 0)
        op__event(r->ctl, r->app, "Warning", "SparkApplicationFailed",
                  "SparkApplication %s failed: %s", r->name, m);
    free(m);
    return rc;
}

static int h_pending_rerun(struct rctx *r)
{
    if (in_flight(r))
        return resume(r);
    if (driver_present(r)) {
        int rc = op__delete_resources(r->ctl, r->app, r->err);
        if (rc == 0)
            r->requeue_ms = 250;
        return rc;
    }
    return submit(r);
}

static int h_invalidating(struct rctx *r)
{
    return to_pending_rerun(r, true);
}

static int h_suspending(struct rctx *r)
{
    int rc = op__delete_resources(r->ctl, r->app, r->err);
    if (rc)
        return rc;
    json_t *st = status_copy(r);
    reset_status(st, false);
    rc = transition(r, st, OP_ST_SUSPENDED, NULL);
    if (rc == 0)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationSuspended",
                  "SparkApplication %s is suspended", r->name);
    return rc;
}

static int h_suspended(struct rctx *r)
{
    if (slu_json_bool(r->app, "spec.suspend", false))
        return 0;
    if (driver_present(r)) {
        r->requeue_ms = 250;
        return 0;
    }
    int rc = transition(r, status_copy(r), OP_ST_RESUMING, NULL);
    if (rc == 0)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationResuming",
                  "SparkApplication %s is resuming", r->name);
    return rc;
}

static int h_resuming(struct rctx *r)
{
    return in_flight(r) ? resume(r) : submit(r);
}

static int h_terminal(struct rctx *r)
{
    const json_t *ttl = slu_json_path(r->app, "spec.timeToLiveSeconds");
    if (json_is_integer(ttl)) {
        int64_t t = op__time_ms(r->app, "status.terminationTime");
        if (!t)
            t = op__time_ms(r->app, "status.lastSubmissionAttemptTime");
        int64_t left = t + json_integer_value(ttl) * 1000 - r->now_ms;
        if (left <= 0) {
            struct kube_delete_opts d = {.grace_period_seconds = -1,
                                         .propagation_policy = "Background",
                                         .precondition_uid = kube_object_uid(r->app)};
            int rc = op__delete(r->ctl, &OP_RES_SPARKAPPS, r->ns, r->name, &d, NULL, r->err);
            if (rc == SLU_ENOTFOUND || rc == SLU_ECONFLICT) {
                slu_err_release(r->err);
                rc = 0;
            }
            return rc;
        }
        r->requeue_ms = left + 10;
    }
    return 0;
}

static int to_suspending(struct rctx *r)
{
    int rc = transition(r, status_copy(r), OP_ST_SUSPENDING, NULL);
    if (rc == 0)
        op__event(r->ctl, r->app, "Normal", "SparkApplicationSuspending",
                  "SparkApplication %s is suspending", r->name);
    return rc;
}

static bool has_submission_state(enum op_state s)
{
    switch (s) {
    case OP_ST_SUBMITTED:
    case OP_ST_RUNNING:
    case OP_ST_SUCCEEDING:
    case OP_ST_FAILING:
    case OP_ST_COMPLETED:
    case OP_ST_FAILED:
    case OP_ST_UNKNOWN:
    case OP_ST_SUBMISSION_FAILED:
        return true;
    default:
        return false;
    }
}

static int step(struct rctx *r)
{
    enum op_state s = op_app_state(r->app);
    bool suspend = slu_json_bool(r->app, "spec.suspend", false);
    if (suspend && s != OP_ST_COMPLETED && s != OP_ST_FAILED && s != OP_ST_SUSPENDED &&
        s != OP_ST_SUSPENDING)
        return to_suspending(r);
    if (has_submission_state(s) && spec_changed(r))
        return transition(r, status_copy(r), OP_ST_INVALIDATING, NULL);
    switch (s) {
    case OP_ST_NEW:
        return h_new(r);
    case OP_ST_SUBMITTED:
    case OP_ST_RUNNING:
    case OP_ST_UNKNOWN:
        return h_refresh(r);
    case OP_ST_SUCCEEDING:
        return h_succeeding(r);
    case OP_ST_FAILING:
        return h_failing(r);
    case OP_ST_SUBMISSION_FAILED:
        return h_submission_failed(r);
    case OP_ST_PENDING_RERUN:
        return h_pending_rerun(r);
    case OP_ST_INVALIDATING:
        return h_invalidating(r);
    case OP_ST_SUSPENDING:
        return h_suspending(r);
    case OP_ST_SUSPENDED:
        return h_suspended(r);
    case OP_ST_RESUMING:
        return h_resuming(r);
    case OP_ST_COMPLETED:
    case OP_ST_FAILED:
        return h_terminal(r);
    default:
        return 0;
    }
}

static int run_steps(struct rctx *r);

/* The state handlers from the app's state on, then the write of a staged status. */
static int run(struct rctx *r)
{
    int rc = run_steps(r);
    if (rc == 0 && r->staged && !r->gone) {
        json_t *st = json_object_get(r->app, "status");
        rc = write_status(r, st ? json_deep_copy(st) : json_object());
    }
    return rc;
}

static int run_steps(struct rctx *r)
{
    for (int i = 0; i < 8; i++) {
        if (slu_json_str(r->app, "metadata.deletionTimestamp"))
            return 0; /* children go with the owner references */
        enum op_state before = op_app_state(r->app);
        const char *rv_before = kube_object_rv(r->app);
        char rvb[64];
        slu_strlcpy(rvb, rv_before ? rv_before : "", sizeof rvb);
        r->now_ms = slu_now_real_ns() / 1000000;
        int rc = step(r);
        if (rc || r->requeue_ms > 0)
            return rc;
        if (op_app_state(r->app) == before && slu_streq(kube_object_rv(r->app), rvb))
            return 0; /* nothing changed: done */
        if (op_app_state(r->app) == before &&
            (before == OP_ST_SUBMITTED || before == OP_ST_RUNNING || before == OP_ST_UNKNOWN))
            return 0; /* same state, refreshed: the next pod event brings the next change */
        /* any other write (an attempt recorded, a new SUBMISSION_FAILED attempt) may leave work
         * for the handler of the state written: go on now, as the echo of our own write is not
         * reconciled (controller.c own_echo) */
    }
    return 0;
}

int op__reconcile(struct op_controller *ctl, const char *key, int64_t *requeue_ms,
                  struct slu_err *err)
{
    *requeue_ms = 0;
    const char *slash = strchr(key, '/');
    if (!slash)
        return 0;
    char ns[256], name[256];
    if ((size_t)(slash - key) >= sizeof ns || strlen(slash + 1) >= sizeof name)
        return 0;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = 0;
    slu_strlcpy(name, slash + 1, sizeof name);
    struct op_nsw *w = op__nsw_for(ctl, ns);
    if (!w)
        return 0;
    json_t *app = memo_pick(ctl, key, op__app_take(ctl, w, key));
    if (slu_log_get_level() <= SLU_LOG_DEBUG)
        slu_debug("operator: reconcile %s at %s (%s)", key, app ? kube_object_rv(app) : "-",
                  app ? op_state_name(op_app_state(app)) : "gone");
    int rc = 0;
    for (int round = 0; round < 5; round++) {
        if (!app)
            return 0;
        struct rctx r = {
            .ctl = ctl, .key = (char *)key, .ns = ns, .name = name, .app = app, .err = err};
        rc = run(&r);
        app = r.app;
        unstage(&r);
        if (r.gone) {
            slu_err_release(err);
            rc = 0;
            break;
        }
        if (rc != SLU_ECONFLICT) {
            *requeue_ms = r.requeue_ms;
            break;
        }
        /* someone else wrote it: start over from the API's copy */
        json_decref(app);
        app = NULL;
        slu_err_release(err);
        rc = op__get(ctl, &OP_RES_SPARKAPPS, ns, name, &app, err);
        if (rc == SLU_ENOTFOUND) {
            slu_err_release(err);
            return 0;
        }
        if (rc)
            return rc;
        rc = SLU_ECONFLICT;
    }
    json_decref(app);
    return rc;
}
