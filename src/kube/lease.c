/*
 * lease.c - leader election on a coordination.k8s.io/v1 Lease, with client-go's LeaderElector
 * semantics.
 *
 * A candidate tries to acquire every retry period (with jitter): it reads the Lease and, when the
 * record (spec) differs from the one it saw last, notes the local monotonic time. It may take the
 * Lease when nobody holds it (holderIdentity empty), when it already holds it, or when the record
 * has not changed for leaseDurationSeconds of *local* time: remote timestamps are never compared
 * with the local clock, so clock skew between nodes cannot make two leaders. Writes are updates
 * carrying the read resourceVersion, so two candidates racing for the Lease cannot both win.
 *
 * A leader renews every retry period. Each renewal attempt gets an HTTP timeout that ends at the
 * renew deadline (last successful renewal + renew_deadline). When the deadline passes without a
 * renewal, or the Lease turns out to be held by someone else, the leader calls on_stopped and
 * stops leading. Since renew_deadline < lease_duration and other candidates count
 * lease_duration from when *they* saw the last renewal, the old leader has stopped before anyone
 * else can take over. On kube_leader_stop a leader releases the Lease (holderIdentity emptied,
 * leaseDurationSeconds 1) so that a successor takes it at once. After losing the lease the
 * elector campaigns again (on_started may be called again later).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client_priv.h"

struct kube_leader {
    struct kube_client *c;
    struct kube_leader_opts o;
    char *ns, *name, *id;

    atomic_bool stop;
    atomic_bool leader;
    pthread_t thread;
    bool started;

    /* elector thread only */
    json_t *observed; /* the Lease spec last seen */
    int64_t observed_mono;
    char *reported_leader;
    bool held_by_other; /* the last attempt saw a valid lease of someone else */
};

struct kube_leader *kube_leader_new(struct kube_client *c, const struct kube_leader_opts *o)
{
    if (!c || !o || !o->lease_name || !o->identity || !*o->identity)
        return NULL;
    struct kube_leader *l = slu_calloc(1, sizeof(*l));
    l->c = c;
    l->o = *o;
    l->ns = slu_strdup(o->lease_namespace && *o->lease_namespace ? o->lease_namespace
                                                                 : kube_client_namespace(c));
    l->name = slu_strdup(o->lease_name);
    l->id = slu_strdup(o->identity);
    if (l->o.lease_duration_ms <= 0)
        l->o.lease_duration_ms = 15000;
    if (l->o.renew_deadline_ms <= 0)
        l->o.renew_deadline_ms = 10000;
    if (l->o.retry_period_ms <= 0)
        l->o.retry_period_ms = 2000;
    /* client-go refuses renew_deadline >= lease_duration; keep the invariant by clamping */
    if (l->o.renew_deadline_ms >= l->o.lease_duration_ms)
        l->o.renew_deadline_ms = l->o.lease_duration_ms * 2 / 3;
    if (l->o.retry_period_ms >= l->o.renew_deadline_ms)
        l->o.retry_period_ms = SLU_MAX(1, l->o.renew_deadline_ms / 2);
    atomic_init(&l->stop, false);
    atomic_init(&l->leader, false);
    return l;
}

static int lease_call(struct kube_leader *l, const char *method, const json_t *body,
                      int64_t timeout_ms, json_t **out, struct slu_err *err)
{
    *out = NULL;
    bool coll = strcmp(method, "POST") == 0;
    char *path = kube_resource_path(&KUBE_RES_LEASES, l->ns, coll ? NULL : l->name, NULL);
    char *b = body ? slu_json_dumps(body) : NULL;
    struct slu_buf resp = {0};
    struct kube__req rq = {.method = method,
                           .path_query = path,
                           .content_type = b ? "application/json" : NULL,
                           .body = b,
                           .body_len = b ? strlen(b) : 0,
                           .retry = KUBE__RETRY_NONE,
                           .timeout_ms = SLU_MAX(timeout_ms, 50)};
    int rc = kube__do(l->c, &rq, NULL, &resp, NULL, err);
    if (rc == 0 && resp.len)
        rc = slu_json_parse(resp.data, resp.len, 0, out, err);
    slu_buf_release(&resp);
    free(b);
    free(path);
    return rc;
}

static void now_micro(char *buf, size_t n)
{
    slu_time_format_rfc3339_micro(slu_now_real_ns(), buf, n);
}

static int64_t duration_s(const struct kube_leader *l)
{
    return (l->o.lease_duration_ms + 999) / 1000;
}

static void observe(struct kube_leader *l, const json_t *spec)
{
    if (l->observed && slu_json_equal(l->observed, spec))
        return;
    json_decref(l->observed);
    l->observed = spec ? slu_json_copy(spec) : json_object();
    l->observed_mono = slu_now_mono_ns();
    const char *holder = slu_json_str(l->observed, "holderIdentity");
    if (holder && *holder && !slu_streq(holder, l->reported_leader)) {
        free(l->reported_leader);
        l->reported_leader = slu_strdup(holder);
        if (l->o.on_new_leader)
            l->o.on_new_leader(l->o.ud, holder);
    }
}

/* One attempt to acquire or renew within timeout_ms; true when we hold the lease afterwards. */
static bool try_acquire_or_renew(struct kube_leader *l, int64_t timeout_ms)
{
    int64_t t0 = slu_now_mono_ns();
    l->held_by_other = false;
    char now[48];
    now_micro(now, sizeof(now));
    struct slu_err err = {0};
    json_t *lease = NULL;
    int rc = lease_call(l, "GET", NULL, timeout_ms, &lease, &err);
    if (rc == SLU_ENOTFOUND) {
        json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:I, s:s, s:s, s:i}}",
                                "apiVersion", "coordination.k8s.io/v1", "kind", "Lease", "metadata",
                                "name", l->name, "namespace", l->ns, "spec", "holderIdentity",
                                l->id, "leaseDurationSeconds", (json_int_t)duration_s(l),
                                "acquireTime", now, "renewTime", now, "leaseTransitions", 0);
        json_t *created = NULL;
        slu_err_release(&err);
        rc = lease_call(l, "POST", obj, timeout_ms - (slu_now_mono_ns() - t0) / 1000000, &created,
                        &err);
        if (rc == 0)
            observe(l, json_object_get(obj, "spec"));
        else
            slu_debug("lease %s/%s: create failed: %s", l->ns, l->name, err.msg);
        json_decref(obj);
        json_decref(created);
        slu_err_release(&err);
        return rc == 0;
    }
    if (rc < 0) {
        slu_debug("lease %s/%s: get failed: %s", l->ns, l->name, err.msg);
        slu_err_release(&err);
        return false;
    }
    json_t *spec = json_object_get(lease, "spec");
    if (!json_is_object(spec))
        spec = NULL;
    observe(l, spec);
    const char *holder = slu_json_str(spec, "holderIdentity");
    bool mine = slu_streq(holder, l->id);
    int64_t dur = slu_json_int(spec, "leaseDurationSeconds", duration_s(l));
    if (holder && *holder && !mine &&
        l->observed_mono + dur * (int64_t)1000000000 > slu_now_mono_ns()) {
        l->held_by_other = true;
        json_decref(lease);
        return false;
    }
    json_t *upd = slu_json_copy(lease);
    json_t *ns = json_object();
    json_object_set_new(ns, "holderIdentity", json_string(l->id));
    json_object_set_new(ns, "leaseDurationSeconds", json_integer(duration_s(l)));
    json_object_set_new(ns, "renewTime", json_string(now));
    int64_t transitions = slu_json_int(spec, "leaseTransitions", 0);
    if (mine) {
        const char *at = slu_json_str(spec, "acquireTime");
        json_object_set_new(ns, "acquireTime", json_string(at ? at : now));
        json_object_set_new(ns, "leaseTransitions", json_integer(transitions));
    } else {
        json_object_set_new(ns, "acquireTime", json_string(now));
        json_object_set_new(ns, "leaseTransitions",
                            json_integer(holder && *holder ? transitions + 1 : transitions));
    }
    json_object_set_new(upd, "spec", ns);
    json_t *res = NULL;
    rc = lease_call(l, "PUT", upd, timeout_ms - (slu_now_mono_ns() - t0) / 1000000, &res, &err);
    if (rc == 0)
        observe(l, ns);
    else
        slu_debug("lease %s/%s: update failed: %s", l->ns, l->name, err.msg);
    slu_err_release(&err);
    json_decref(res);
    json_decref(upd);
    json_decref(lease);
    return rc == 0;
}

/* Empties holderIdentity so that others may take over at once. */
static void release(struct kube_leader *l)
{
    struct slu_err err = {0};
    json_t *lease = NULL;
    int64_t tmo = l->o.renew_deadline_ms;
    if (lease_call(l, "GET", NULL, tmo, &lease, &err) == 0 &&
        slu_streq(slu_json_str(lease, "spec.holderIdentity"), l->id)) {
        char now[48];
        now_micro(now, sizeof(now));
        json_t *upd = slu_json_copy(lease);
        json_t *spec = json_object();
        json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
        json_object_set_new(spec, "acquireTime", json_string(now));
        json_object_set_new(spec, "renewTime", json_string(now));
        json_object_set_new(spec, "leaseTransitions",
                            json_integer(slu_json_int(lease, "spec.leaseTransitions", 0)));
        json_object_set_new(upd, "spec", spec);
        json_t *res = NULL;
        slu_err_release(&err);
        if (lease_call(l, "PUT", upd, tmo, &res, &err) < 0)
            slu_warn("lease %s/%s: release failed: %s", l->ns, l->name, err.msg);
        json_decref(res);
        json_decref(upd);
    }
    slu_err_release(&err);
    json_decref(lease);
}

static int64_t jittered(int64_t ms)
{
    /* client-go's JitterFactor 1.2: [ms, 2.2 ms) */
    return ms + (int64_t)(slu_random_u64() % (uint64_t)(ms * 12 / 10 + 1));
}

static void *leader_main(void *arg)
{
    struct kube_leader *l = arg;
    while (!atomic_load(&l->stop)) {
        /* campaign */
        if (!try_acquire_or_renew(l, l->o.renew_deadline_ms)) {
            kube__sleep(jittered(l->o.retry_period_ms), &l->stop);
            continue;
        }
        int64_t last_renew = slu_now_mono_ns();
        atomic_store(&l->leader, true);
        slu_info("lease %s/%s: %s became the leader", l->ns, l->name, l->id);
        if (l->o.on_started)
            l->o.on_started(l->o.ud);
        /* lead */
        bool lost = false;
        while (!atomic_load(&l->stop)) {
            if (!kube__sleep(l->o.retry_period_ms, &l->stop))
                break;
            for (;;) {
                int64_t start = slu_now_mono_ns();
                int64_t left = (last_renew + l->o.renew_deadline_ms * 1000000 - start) / 1000000;
                if (left <= 0) {
                    lost = true;
                    break;
                }
                if (try_acquire_or_renew(l, left)) {
                    last_renew = start;
                    break;
                }
                if (l->held_by_other) {
                    lost = true;
                    break;
                }
                /* retry quickly within the deadline */
                if (!kube__sleep(SLU_MIN(l->o.retry_period_ms / 4 + 1, left), &l->stop))
                    break;
            }
            if (lost || atomic_load(&l->stop))
                break;
        }
        if (lost) {
            atomic_store(&l->leader, false);
            slu_warn("lease %s/%s: %s lost the lease", l->ns, l->name, l->id);
            if (l->o.on_stopped)
                l->o.on_stopped(l->o.ud);
            continue;
        }
        /* stopping while leading */
        atomic_store(&l->leader, false);
        if (l->o.on_stopped)
            l->o.on_stopped(l->o.ud);
        release(l);
    }
    return NULL;
}

int kube_leader_start(struct kube_leader *l)
{
    if (!l || l->started)
        return SLU_ESTATE;
    atomic_store(&l->stop, false);
    if (pthread_create(&l->thread, NULL, leader_main, l) != 0)
        return SLU_EIO;
    l->started = true;
    return 0;
}

bool kube_leader_is_leader(struct kube_leader *l)
{
    return l && atomic_load(&l->leader);
}

void kube_leader_stop(struct kube_leader *l)
{
    if (!l || !l->started)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    l->started = false;
}

void kube_leader_free(struct kube_leader *l)
{
    if (!l)
        return;
    kube_leader_stop(l);
    json_decref(l->observed);
    free(l->reported_leader);
    free(l->ns);
    free(l->name);
    free(l->id);
    free(l);
}
