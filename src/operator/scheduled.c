/*
 * scheduled.c - the ScheduledSparkApplication controller (spec/sparkapplication.md §1.6).
 *
 * How it works: per watched namespace (or one for all), an informer on ScheduledSparkApplications
 * (whole objects: the template is needed) and one on SparkApplications labelled
 * sparkoperator.k8s.io/scheduled-app-name (projected to metadata + applicationState, indexed by
 * "ns/<label value>"). Handlers only enqueue the parent's "ns/name" on a de-duplicating work
 * queue; worker threads reconcile.
 *
 * A reconcile is split in two: op__sched_plan() decides, from the parent, its children and the
 * time, without I/O (unit-tested); reconcile() executes the plan (delete the children Replace
 * kills, create the run's child, delete children beyond the history limits, write status with
 * update-status) and re-queues the key for the next run time with add_after. Decisions:
 *   suspend              nothing at all;
 *   invalid spec         scheduleState FailedValidation, reason says what and where;
 *   not yet Scheduled    Scheduled, nextRun = next fire time after now (no run now);
 *   nextRun in future    nothing but history (nextRun lowered if the schedule now fires sooner);
 *   nextRun reached      the run of scheduled time T = nextRun is due: its child is named
 *                        "<name>-<T in unix seconds>". If that child already exists (a repeated
 *                        reconcile after a crash or a conflict) the run counts as started;
 *                        else Allow starts it, Forbid starts it only when the newest child is
 *                        COMPLETED or FAILED (else the run is skipped, reason says why), Replace
 *                        deletes the unfinished children (grace 0) and starts it. Then
 *                        lastRun = now, lastRunName, nextRun = next fire time after now: missed
 *                        runs are never caught up (after downtime, at most one late run).
 * When a run is due the children are listed live from the API server (not from the cache), so a
 * stale cache cannot make Forbid skip or Replace spare a run. Status writes carry the
 * resourceVersion; on Conflict the parent is read again and the plan recomputed (the child name
 * is deterministic, so recomputing never makes a second child).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "operator/operator.h"
#include "operator/sched_int.h"
#include "spark/spark.h"

#define IDX_PARENT "parent"
#define MAX_ATTEMPTS 5
#define NAME_MAX_LEN 63 /* the name is a label value on every child */

/* ================================================================ plan (pure) */

static const char *label_of(const json_t *obj, const char *key)
{
    json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    return json_string_value(json_object_get(labels, key));
}

static const char *app_state(const json_t *app)
{
    const char *s = slu_json_str(app, "status.applicationState.state");
    return s ? s : "";
}

static bool app_finished(const json_t *app)
{
    const char *s = app_state(app);
    return strcmp(s, "COMPLETED") == 0 || strcmp(s, "FAILED") == 0;
}

static int64_t time_field(const json_t *obj, const char *path)
{
    const char *s = slu_json_str(obj, path);
    int64_t ns;
    if (!s || slu_time_parse_rfc3339(s, &ns) < 0)
        return 0;
    return ns / 1000000000LL;
}

static void set_time(json_t *status, const char *key, int64_t t)
{
    char buf[40];
    slu_time_format_rfc3339(t, buf, sizeof(buf));
    json_object_set_new(status, key, json_string(buf));
}

/* The scheduled time of a child: the "<unix seconds>" suffix of its name after "<parent>-",
 * else its creationTimestamp. */
static int64_t child_time(const json_t *app, const char *parent)
{
    const char *name = slu_json_str(app, "metadata.name");
    size_t pl = strlen(parent);
    if (name && strncmp(name, parent, pl) == 0 && name[pl] == '-') {
        int64_t v;
        if (slu_parse_i64(name + pl + 1, &v) == 0 && v > 0)
            return v;
    }
    return time_field(app, "metadata.creationTimestamp");
}

struct kid {
    const json_t *app;
    const char *name;
    int64_t t;
};

static int kid_newest_first(const void *a, const void *b)
{
    const struct kid *x = *(const struct kid *const *)a, *y = *(const struct kid *const *)b;
    if (x->t != y->t)
        return x->t > y->t ? -1 : 1;
    return -strcmp(x->name, y->name);
}

/* Keeps the `limit` newest of v (sorted newest first) in names, the rest go to prune. */
static json_t *bookkeep(struct slu_vec *v, int64_t limit, struct slu_vec *prune)
{
    slu_vec_sort(v, kid_newest_first);
    json_t *names = json_array();
    for (size_t i = 0; i < v->len; i++) {
        struct kid *k = v->items[i];
        if ((int64_t)i < limit)
            json_array_append_new(names, json_string(k->name));
        else
            slu_vec_push(prune, slu_strdup(k->name));
    }
    return names;
}

/* Validates the spec; on failure returns the reason (owned). *cron is returned owned. */
static char *validate(const json_t *parent, int64_t now, struct op_cron **cron)
{
    struct slu_err err = {0};
    *cron = NULL;
    const char *name = slu_json_str(parent, "metadata.name");
    const json_t *spec = json_object_get(parent, "spec");
    if (!name)
        return slu_strdup("metadata.name is missing");
    if (strlen(name) > NAME_MAX_LEN)
        return slu_asprintf("metadata.name: must be no more than %d characters (it becomes the "
                            "value of the label " SPARK_LABEL_SCHEDULED_APP " on every run)",
                            NAME_MAX_LEN);
    if (!json_is_object(json_object_get(spec, "template")))
        return slu_strdup("spec.template: Required value");
    json_t *sched = json_object_get(spec, "schedule");
    if (!json_is_string(sched) || !*json_string_value(sched))
        return slu_strdup("spec.schedule: Required value");
    const char *tz = json_string_value(json_object_get(spec, "timeZone"));
    if (tz && *tz) {
        const struct op_tz *z;
        if (op_tz_load(tz, &z, &err) < 0) {
            char *r = slu_asprintf("spec.timeZone: %s", err.msg);
            slu_err_release(&err);
            return r;
        }
    }
    const char *pol = json_string_value(json_object_get(spec, "concurrencyPolicy"));
    if (json_object_get(spec, "concurrencyPolicy") &&
        !json_is_null(json_object_get(spec, "concurrencyPolicy")) &&
        (!pol || (*pol && strcmp(pol, "Allow") != 0 && strcmp(pol, "Forbid") != 0 &&
                  strcmp(pol, "Replace") != 0)))
        return slu_asprintf("spec.concurrencyPolicy: Unsupported value \"%.64s\": supported "
                            "values: \"Allow\", \"Forbid\", \"Replace\"",
                            pol ? pol : "");
    static const char *const limits[] = {"successfulRunHistoryLimit", "failedRunHistoryLimit"};
    for (size_t i = 0; i < 2; i++) {
        json_t *l = json_object_get(spec, limits[i]);
        if (l && !json_is_null(l) && (!json_is_integer(l) || json_integer_value(l) < 0))
            return slu_asprintf("spec.%s: must be an integer >= 0", limits[i]);
    }
    if (op_cron_parse(json_string_value(sched), tz, cron, &err) < 0) {
        char *r = slu_strdup(err.msg);
        slu_err_release(&err);
        return r;
    }
    if (op_cron_next(*cron, now) == 0) {
        op_cron_free(*cron);
        *cron = NULL;
        return slu_asprintf("schedule \"%.200s\": never fires (no time in the next five years)",
                            json_string_value(sched));
    }
    return NULL;
}

static json_t *make_child(const json_t *parent, const char *run_name)
{
    const char *name = slu_json_str(parent, "metadata.name");
    json_t *labels = json_object();
    json_t *plabels = json_object_get(json_object_get(parent, "metadata"), "labels");
    const char *k;
    json_t *v;
    json_object_foreach(plabels, k, v)
    {
        if (json_is_string(v))
            json_object_set_new(labels, k, json_string(json_string_value(v)));
    }
    json_object_set_new(labels, SPARK_LABEL_SCHEDULED_APP, json_string(name));
    json_t *owner = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion",
                              OP_GROUP "/" OP_VERSION, "kind", "ScheduledSparkApplication", "name",
                              name, "uid", kube_object_uid(parent) ? kube_object_uid(parent) : "",
                              "controller", 1, "blockOwnerDeletion", 1);
    json_t *meta =
        json_pack("{s:s, s:s, s:o, s:[o]}", "name", run_name, "namespace",
                  kube_object_namespace(parent) ? kube_object_namespace(parent) : "default",
                  "labels", labels, "ownerReferences", owner);
    json_t *spec = slu_json_copy(json_object_get(json_object_get(parent, "spec"), "template"));
    return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", OP_GROUP "/" OP_VERSION, "kind",
                     "SparkApplication", "metadata", meta, "spec", spec);
}

void op__sched_plan(const json_t *parent, const json_t *children, int64_t now,
                    struct op__sched_plan *p)
{
    memset(p, 0, sizeof(*p));
    const json_t *spec = json_object_get(parent, "spec");
    if (slu_json_bool(spec, "suspend", false))
        return;
    const char *name = slu_json_str(parent, "metadata.name");
    const char *uid = kube_object_uid(parent);
    json_t *old = json_object_get(parent, "status");
    json_t *st = json_is_object(old) ? slu_json_copy(old) : json_object();
    struct op_cron *cron = NULL;
    struct slu_vec kids = {0}, ok = {0}, bad = {0}, running = {0};

    char *reason = validate(parent, now, &cron);
    if (reason) {
        p->invalid = true;
        json_object_set_new(st, "scheduleState", json_string("FailedValidation"));
        json_object_set_new(st, "reason", json_string(reason));
        json_object_del(st, "nextRun");
        free(reason);
        goto out;
    }

    /* the children that count */
    size_t i;
    json_t *app;
    json_array_foreach(children, i, app)
    {
        if (!slu_streq(label_of(app, SPARK_LABEL_SCHEDULED_APP), name))
            continue;
        if (slu_json_str(app, "metadata.deletionTimestamp"))
            continue;
        const json_t *ref = kube_object_controller_ref(app);
        if (ref && uid && !slu_streq(json_string_value(json_object_get(ref, "uid")), uid))
            continue;
        struct kid *k = slu_malloc(sizeof(*k));
        k->app = app;
        k->name = slu_json_str(app, "metadata.name");
        k->t = child_time(app, name);
        if (!k->name) {
            free(k);
            continue;
        }
        slu_vec_push(&kids, k);
        const char *s = app_state(app);
        if (strcmp(s, "COMPLETED") == 0)
            slu_vec_push(&ok, k);
        else if (strcmp(s, "FAILED") == 0)
            slu_vec_push(&bad, k);
        else
            slu_vec_push(&running, k);
    }
    json_object_set_new(
        st, "pastSuccessfulRunNames",
        bookkeep(&ok, slu_json_int(spec, "successfulRunHistoryLimit", 1), &p->prune));
    json_object_set_new(st, "pastFailedRunNames",
                        bookkeep(&bad, slu_json_int(spec, "failedRunHistoryLimit", 1), &p->prune));

    const char *state = slu_json_str(old, "scheduleState");
    int64_t next_run = time_field(old, "nextRun");
    if (!slu_streq(state, "Scheduled") || next_run <= 0) {
        /* new (or back from FailedValidation): the first run is the next fire time */
        json_object_set_new(st, "scheduleState", json_string("Scheduled"));
        json_object_set_new(st, "reason", json_string(""));
        p->wake = op_cron_next(cron, now);
        set_time(st, "nextRun", p->wake);
        goto out;
    }
    if (next_run > now) {
        int64_t sooner = op_cron_next(cron, now);
        if (sooner < next_run) /* the schedule or time zone changed */
            next_run = sooner;
        set_time(st, "nextRun", next_run);
        p->wake = next_run;
        goto out;
    }

    /* the run of scheduled time next_run is due */
    p->due = true;
    p->run_name = slu_asprintf("%s-%lld", name, (long long)next_run);
    bool exists = false;
    json_array_foreach(children, i, app)
    {
        if (slu_streq(slu_json_str(app, "metadata.name"), p->run_name))
            exists = true;
    }
    const char *pol = slu_json_str(spec, "concurrencyPolicy");
    bool start = true;
    if (!exists && slu_streq(pol, "Forbid") && kids.len > 0) {
        slu_vec_sort(&kids, kid_newest_first);
        struct kid *newest = kids.items[0];
        if (!app_finished(newest->app)) {
            start = false;
            p->skipped = true;
            char when[40];
            slu_time_format_rfc3339(next_run, when, sizeof(when));
            char *r = slu_asprintf("run of %s skipped: %s has not finished (concurrencyPolicy "
                                   "Forbid)",
                                   when, newest->name);
            json_object_set_new(st, "reason", json_string(r));
            free(r);
        }
    } else if (!exists && slu_streq(pol, "Replace")) {
        for (i = 0; i < running.len; i++)
            slu_vec_push(&p->kill, slu_strdup(((struct kid *)running.items[i])->name));
    }
    if (start) {
        if (!exists)
            p->child = make_child(parent, p->run_name);
        if (!(exists && slu_streq(slu_json_str(old, "lastRunName"), p->run_name)))
            set_time(st, "lastRun", now);
        json_object_set_new(st, "lastRunName", json_string(p->run_name));
        json_object_set_new(st, "reason", json_string(""));
    }
    json_object_set_new(st, "scheduleState", json_string("Scheduled"));
    p->wake = op_cron_next(cron, now);
    set_time(st, "nextRun", p->wake);

out:
    if (json_is_object(old) && slu_json_equal(st, old))
        json_decref(st);
    else
        p->status = st;
    op_cron_free(cron);
    slu_vec_release(&ok, NULL);
    slu_vec_release(&bad, NULL);
    slu_vec_release(&running, NULL);
    slu_vec_release(&kids, free);
}

void op__sched_plan_release(struct op__sched_plan *p)
{
    json_decref(p->status);
    json_decref(p->child);
    free(p->run_name);
    slu_vec_release(&p->kill, free);
    slu_vec_release(&p->prune, free);
    memset(p, 0, sizeof(*p));
}

/* ================================================================ controller */

struct nsw {
    char *ns; /* NULL: all namespaces */
    struct kube_informer *sched;
    struct kube_informer *apps;
};

struct op_scheduled {
    struct kube_client *c; /* borrowed */
    struct nsw *w;
    size_t nw;
    struct kube_workqueue *q;
    pthread_t *threads;
    int nworkers, nthreads;
    int64_t resync_ms;
    atomic_bool started, stopping, stopped;
    _Atomic uint64_t reconciles, runs_started, runs_skipped, children_replaced, children_pruned,
        status_updates, status_conflicts, errors;
};

static json_t *project_app(const json_t *obj)
{
    const json_t *m = json_object_get(obj, "metadata");
    json_t *meta = json_object();
    static const char *const keep[] = {"name",
                                       "namespace",
                                       "uid",
                                       "resourceVersion",
                                       "labels",
                                       "ownerReferences",
                                       "creationTimestamp",
                                       "deletionTimestamp"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keep); i++) {
        json_t *v = json_object_get(m, keep[i]);
        if (v)
            json_object_set(meta, keep[i], v);
    }
    json_t *out = json_pack("{s:o}", "metadata", meta);
    const char *st = slu_json_str(obj, "status.applicationState.state");
    if (st)
        slu_json_set_str(out, "status.applicationState.state", st);
    return out;
}

static void index_parent(const json_t *obj, struct slu_vec *out)
{
    const char *p = label_of(obj, SPARK_LABEL_SCHEDULED_APP);
    const char *ns = kube_object_namespace(obj);
    if (p)
        slu_vec_push(out, slu_asprintf("%s/%s", ns ? ns : "", p));
}

static void enqueue_obj(struct op_scheduled *s, const json_t *obj)
{
    char *key = kube_object_key(obj);
    if (key)
        kube_workqueue_add(s->q, key);
    free(key);
}

static void on_sched_add(void *ud, const json_t *obj)
{
    enqueue_obj(ud, obj);
}
static void on_sched_update(void *ud, const json_t *o, const json_t *n)
{
    (void)o;
    enqueue_obj(ud, n);
}

static void enqueue_parent(struct op_scheduled *s, const json_t *app)
{
    struct slu_vec v = {0};
    index_parent(app, &v);
    for (size_t i = 0; i < v.len; i++)
        kube_workqueue_add(s->q, v.items[i]);
    slu_vec_release(&v, free);
}
static void on_app_add(void *ud, const json_t *obj)
{
    enqueue_parent(ud, obj);
}
static void on_app_update(void *ud, const json_t *o, const json_t *n)
{
    if (!slu_streq(label_of(o, SPARK_LABEL_SCHEDULED_APP), label_of(n, SPARK_LABEL_SCHEDULED_APP)))
        enqueue_parent(ud, o);
    enqueue_parent(ud, n);
}

struct op_scheduled *op_scheduled_new(struct kube_client *c, const struct op_scheduled_opts *o)
{
    struct op_scheduled *s = slu_calloc(1, sizeof(*s));
    s->c = c;
    s->nworkers = o && o->workers > 0 ? o->workers : 2;
    s->resync_ms = o && o->resync_ms > 0 ? o->resync_ms : 300000;
    size_t n = 0;
    if (o && o->namespaces)
        while (o->namespaces[n])
            n++;
    s->nw = n ? n : 1;
    s->w = slu_calloc(s->nw, sizeof(*s->w));
    for (size_t i = 0; i < n; i++)
        s->w[i].ns = slu_strdup(o->namespaces[i]);
    struct kube_workqueue_opts qo = {
        .base_delay_ms = 100, .max_delay_ms = 60000, .qps = 100, .burst = 500};
    s->q = kube_workqueue_new(&qo);
    struct kube_informer_handlers hs = {on_sched_add, on_sched_update, on_sched_add, s};
    struct kube_informer_handlers ha = {on_app_add, on_app_update, on_app_add, s};
    for (size_t i = 0; i < s->nw; i++) {
        struct kube_informer_opts so = {.resource = &OP_RES_SCHEDULEDSPARKAPPS,
                                        .namespace = s->w[i].ns,
                                        .resync_ms = s->resync_ms};
        s->w[i].sched = kube_informer_new(c, &so, &hs);
        struct kube_informer_opts ao = {.resource = &OP_RES_SPARKAPPS,
                                        .namespace = s->w[i].ns,
                                        .label_selector = SPARK_LABEL_SCHEDULED_APP,
                                        .project = project_app};
        s->w[i].apps = kube_informer_new(c, &ao, &ha);
        kube_informer_add_index(s->w[i].apps, IDX_PARENT, index_parent);
    }
    return s;
}

bool op_scheduled_synced(struct op_scheduled *s)
{
    for (size_t i = 0; i < s->nw; i++)
        if (!kube_informer_has_synced(s->w[i].sched) || !kube_informer_has_synced(s->w[i].apps))
            return false;
    return true;
}

static struct nsw *find_nsw(struct op_scheduled *s, const char *ns)
{
    for (size_t i = 0; i < s->nw; i++)
        if (!s->w[i].ns || strcmp(s->w[i].ns, ns) == 0)
            return &s->w[i];
    return NULL;
}

static bool permanent(int rc)
{
    return rc == SLU_EINVAL || rc == SLU_EBADREQUEST || rc == SLU_EFORBIDDEN || rc == SLU_ETOOBIG ||
           rc == SLU_EUNSUPPORTED;
}

static int delete_child(struct op_scheduled *s, const char *ns, const char *name)
{
    struct kube_delete_opts d = {.grace_period_seconds = 0, .propagation_policy = "Background"};
    struct slu_err err = {0};
    int rc = kube_delete(s->c, &OP_RES_SPARKAPPS, ns, name, &d, NULL, &err);
    if (rc == SLU_ENOTFOUND)
        rc = 0;
    if (rc < 0)
        slu_warn("scheduled: delete SparkApplication %s/%s: %s", ns, name, err.msg);
    slu_err_release(&err);
    return rc;
}

/* One reconcile of "ns/name". Returns 0, or a negative code for a retry with backoff. */
static int reconcile(struct op_scheduled *s, const char *key)
{
    atomic_fetch_add(&s->reconciles, 1);
    const char *slash = strchr(key, '/');
    if (!slash)
        return 0;
    char *ns = slu_strndup(key, (size_t)(slash - key));
    const char *name = slash + 1;
    struct nsw *w = find_nsw(s, ns);
    json_t *parent = w ? kube_informer_get(w->sched, key) : NULL;
    int rc = 0;
    struct slu_err err = {0};
    for (int attempt = 0; parent && attempt < MAX_ATTEMPTS; attempt++) {
        if (attempt > 0) {
            json_decref(parent);
            parent = NULL;
            rc = kube_get(s->c, &OP_RES_SCHEDULEDSPARKAPPS, ns, name, &parent, &err);
            if (rc == SLU_ENOTFOUND) {
                rc = 0;
                break;
            }
            if (rc < 0)
                break;
        }
        int64_t now_ms = slu_now_real_ns() / 1000000;
        int64_t now = now_ms / 1000;
        json_t *kids = kube_informer_by_index(w->apps, IDX_PARENT, key);
        struct op__sched_plan p;
        op__sched_plan(parent, kids, now, &p);
        if (p.due) { /* decide on live children, never on a possibly stale cache */
            json_decref(kids);
            kids = NULL;
            char *sel = slu_asprintf("%s=%s", SPARK_LABEL_SCHEDULED_APP, name);
            struct kube_list_opts lo = {.label_selector = sel};
            json_t *list = NULL;
            rc = kube_list_all(s->c, &OP_RES_SPARKAPPS, ns, &lo, &list, &err);
            free(sel);
            op__sched_plan_release(&p);
            if (rc < 0) {
                json_decref(list);
                break;
            }
            kids = json_incref(json_object_get(list, "items"));
            json_decref(list);
            if (!kids)
                kids = json_array();
            op__sched_plan(parent, kids, now, &p);
        }
        json_decref(kids);
        /* Replace: the unfinished runs go first */
        for (size_t i = 0; i < p.kill.len && rc == 0; i++) {
            rc = delete_child(s, ns, p.kill.items[i]);
            if (rc == 0) {
                atomic_fetch_add(&s->children_replaced, 1);
                slu_info("scheduled: %s: replaced unfinished run %s", key, (char *)p.kill.items[i]);
            }
        }
        if (rc < 0) {
            op__sched_plan_release(&p);
            break;
        }
        if (p.child) {
            rc = kube_create(s->c, &OP_RES_SPARKAPPS, ns, p.child, NULL, &err);
            if (rc == 0) {
                atomic_fetch_add(&s->runs_started, 1);
                slu_info("scheduled: %s: started run %s", key, p.run_name);
            } else if (rc == SLU_EEXIST) {
                rc = 0; /* this run was started by an earlier reconcile */
                slu_err_release(&err);
            } else if (permanent(rc) && p.status) {
                /* the run cannot start as the template stands: skip it and say why */
                json_t *old = json_object_get(parent, "status");
                static const char *const keep[] = {"lastRun", "lastRunName"};
                for (size_t i = 0; i < 2; i++) {
                    json_t *v = json_object_get(old, keep[i]);
                    if (v)
                        json_object_set_new(p.status, keep[i], slu_json_copy(v));
                    else
                        json_object_del(p.status, keep[i]);
                }
                char *r = slu_asprintf("run %s could not be created: %s", p.run_name, err.msg);
                json_object_set_new(p.status, "reason", json_string(r));
                free(r);
                slu_warn("scheduled: %s: run %s could not be created: %s", key, p.run_name,
                         err.msg);
                slu_err_release(&err);
                rc = 0;
            } else {
                op__sched_plan_release(&p);
                break;
            }
        }
        if (p.skipped) {
            atomic_fetch_add(&s->runs_skipped, 1);
            slu_info("scheduled: %s: run skipped, the newest child has not finished", key);
        }
        int prc = 0;
        for (size_t i = 0; i < p.prune.len; i++) {
            int r = delete_child(s, ns, p.prune.items[i]);
            if (r == 0)
                atomic_fetch_add(&s->children_pruned, 1);
            else
                prc = r;
        }
        bool conflict = false;
        if (p.status) {
            json_t *obj = slu_json_copy(parent);
            json_object_set(obj, "status", p.status);
            rc = kube_update_status(s->c, &OP_RES_SCHEDULEDSPARKAPPS, ns, obj, NULL, &err);
            json_decref(obj);
            if (rc == SLU_ECONFLICT) {
                atomic_fetch_add(&s->status_conflicts, 1);
                conflict = true;
                slu_err_release(&err);
                rc = 0;
            } else if (rc == SLU_ENOTFOUND) {
                rc = 0;
            } else if (rc == 0) {
                atomic_fetch_add(&s->status_updates, 1);
            }
        }
        if (rc == 0 && !conflict && p.wake > 0) {
            int64_t delay = p.wake * 1000 - slu_now_real_ns() / 1000000;
            kube_workqueue_add_after(s->q, key, delay > 0 ? delay + 1 : 0);
        }
        op__sched_plan_release(&p);
        if (rc == 0 && prc < 0)
            rc = prc;
        if (!conflict)
            break;
        if (attempt + 1 == MAX_ATTEMPTS)
            rc = SLU_ECONFLICT;
    }
    if (rc < 0) {
        atomic_fetch_add(&s->errors, 1);
        slu_warn("scheduled: %s: %s", key, err.msg[0] ? err.msg : slu_strerror(rc));
    }
    slu_err_release(&err);
    json_decref(parent);
    free(ns);
    return rc;
}

static void *worker(void *arg)
{
    struct op_scheduled *s = arg;
    while (!atomic_load(&s->stopping) && !op_scheduled_synced(s))
        slu_sleep_ms(50);
    for (;;) {
        char *key = NULL;
        int rc = kube_workqueue_get(s->q, &key, -1);
        if (rc == SLU_ECANCELED)
            break;
        if (rc < 0)
            continue;
        if (reconcile(s, key) < 0)
            kube_workqueue_add_rate_limited(s->q, key);
        else
            kube_workqueue_forget(s->q, key);
        kube_workqueue_done(s->q, key);
        free(key);
    }
    return NULL;
}

int op_scheduled_start(struct op_scheduled *s)
{
    if (atomic_exchange(&s->started, true))
        return SLU_ESTATE;
    for (size_t i = 0; i < s->nw; i++) {
        int rc = kube_informer_start(s->w[i].sched);
        if (rc == 0)
            rc = kube_informer_start(s->w[i].apps);
        if (rc < 0)
            return rc;
    }
    s->threads = slu_calloc((size_t)s->nworkers, sizeof(pthread_t));
    for (int i = 0; i < s->nworkers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker, s) != 0)
            break;
        s->nthreads++;
    }
    return s->nthreads > 0 ? 0 : SLU_EIO;
}

void op_scheduled_stop(struct op_scheduled *s)
{
    if (!s || atomic_exchange(&s->stopped, true))
        return;
    atomic_store(&s->stopping, true);
    kube_workqueue_shutdown(s->q, false);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
    if (atomic_load(&s->started))
        for (size_t i = 0; i < s->nw; i++) {
            kube_informer_stop(s->w[i].sched);
            kube_informer_stop(s->w[i].apps);
        }
}

void op_scheduled_free(struct op_scheduled *s)
{
    if (!s)
        return;
    op_scheduled_stop(s);
    for (size_t i = 0; i < s->nw; i++) {
        kube_informer_free(s->w[i].sched);
        kube_informer_free(s->w[i].apps);
        free(s->w[i].ns);
    }
    free(s->w);
    free(s->threads);
    kube_workqueue_free(s->q);
    free(s);
}

void op_scheduled_metrics(struct op_scheduled *s, struct slu_buf *out)
{
    struct op_scheduled_stats st;
    op_scheduled_stats(s, &st);
    static const char *const help[][2] = {
        {"reconciles", "ScheduledSparkApplication reconciles"},
        {"runs_started", "scheduled runs started (child SparkApplications created)"},
        {"runs_skipped", "scheduled runs skipped by concurrencyPolicy Forbid"},
        {"children_replaced", "unfinished runs deleted by concurrencyPolicy Replace"},
        {"children_pruned", "finished runs deleted beyond the history limits"},
        {"status_updates", "ScheduledSparkApplication status writes"},
        {"status_conflicts", "ScheduledSparkApplication status write conflicts"},
        {"errors", "ScheduledSparkApplication reconciles that failed and were retried"},
    };
    const uint64_t v[] = {st.reconciles,        st.runs_started,    st.runs_skipped,
                          st.children_replaced, st.children_pruned, st.status_updates,
                          st.status_conflicts,  st.errors};
    for (size_t i = 0; i < SLU_ARRAY_LEN(v); i++)
        slu_buf_printf(out,
                       "# HELP sluice_scheduled_%s_total %s\n# TYPE sluice_scheduled_%s_total "
                       "counter\nsluice_scheduled_%s_total %llu\n",
                       help[i][0], help[i][1], help[i][0], help[i][0], (unsigned long long)v[i]);
    slu_buf_printf(out,
                   "# HELP sluice_scheduled_workqueue_depth keys waiting in the scheduled-app "
                   "work queue\n# TYPE sluice_scheduled_workqueue_depth gauge\n"
                   "sluice_scheduled_workqueue_depth %zu\n",
                   kube_workqueue_len(s->q));
}

void op_scheduled_stats(struct op_scheduled *s, struct op_scheduled_stats *out)
{
    out->reconciles = atomic_load(&s->reconciles);
    out->runs_started = atomic_load(&s->runs_started);
    out->runs_skipped = atomic_load(&s->runs_skipped);
    out->children_replaced = atomic_load(&s->children_replaced);
    out->children_pruned = atomic_load(&s->children_pruned);
    out->status_updates = atomic_load(&s->status_updates);
    out->status_conflicts = atomic_load(&s->status_conflicts);
    out->errors = atomic_load(&s->errors);
}
