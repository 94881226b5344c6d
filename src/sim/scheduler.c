/*
 * scheduler.c - the simulated cluster's default-scheduler.
 *
 * Two layers:
 *  - sim_sched_pick(): a pure decision. Given the nodes (with their allocatable and the summed
 *    requests of the pods bound to them) and a pod, it runs the real scheduler's filters in its
 *    order (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit), scores the
 *    feasible nodes by least-allocated (cpu and memory, non-zero requests, equal weights) and
 *    returns the best (ties to the lowest index), or writes the real message:
 *      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2
 *       Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
 *       scheduling, 2 No preemption victims found for incoming pod.."
 *    (reasons counted per node, "N reason" strings sorted bytewise; the trailing ".." is what
 *    kube-scheduler 1.27-1.31 writes). Preemption itself is not modelled.
 *  - a thread that watches the store (pods and nodes only), keeps per-node
 *    usage sums incrementally (a pod is counted once bound and non-terminal, uncounted when it
 *    finishes or goes), queues pending pods (schedulerName default-scheduler, no nodeName, no
 *    deletionTimestamp) in priority order, binds them (spec.nodeName + PodScheduled=True), and
 *    marks the others PodScheduled=False Unschedulable (or SchedulingGated). Unschedulable pods
 *    are retried when resources are freed or nodes change; a pod's own status writes never
 *    re-trigger it (only a spec change does).
 */
#include <stdatomic.h>
#include <string.h>

#include "sim/parts.h"

/* ---------------------------------------------------------------- pure decision */

static bool taint_tolerated(const json_t *taint, const json_t *tolerations)
{
    const char *tk = json_string_value(json_object_get(taint, "key"));
    const char *tv = json_string_value(json_object_get(taint, "value"));
    const char *te = json_string_value(json_object_get(taint, "effect"));
    size_t i;
    const json_t *t;
    json_array_foreach(tolerations, i, t)
    {
        const char *k = json_string_value(json_object_get(t, "key"));
        const char *op = json_string_value(json_object_get(t, "operator"));
        const char *v = json_string_value(json_object_get(t, "value"));
        const char *e = json_string_value(json_object_get(t, "effect"));
        if (e && *e && !slu_streq(e, te))
            continue;
        if (k && *k && !slu_streq(k, tk ? tk : ""))
            continue;
        if (!op || !*op || strcmp(op, "Equal") == 0) {
            if (strcmp(v ? v : "", tv ? tv : "") == 0)
                return true;
        } else if (strcmp(op, "Exists") == 0) {
            return true;
        }
    }
    return false;
}

const json_t *sim_sched_untolerated_taint(const json_t *pod, const json_t *node)
{
    const json_t *tols = json_object_get(json_object_get(pod, "spec"), "tolerations");
    size_t i;
    const json_t *taint;
    json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, taint)
    {
        const char *e = json_string_value(json_object_get(taint, "effect"));
        if (!e || (strcmp(e, "NoSchedule") != 0 && strcmp(e, "NoExecute") != 0))
            continue;
        if (!taint_tolerated(taint, tols))
            return taint;
    }
    return NULL;
}

static bool value_in(const char *v, const json_t *values)
{
    size_t i;
    const json_t *x;
    json_array_foreach(values, i, x)
    {
        if (slu_streq(json_string_value(x), v))
            return true;
    }
    return false;
}

/* One requirement (key, operator, values) against a string value (NULL = absent). */
static bool requirement_matches(const json_t *req, const char *val)
{
    const char *op = json_string_value(json_object_get(req, "operator"));
    const json_t *values = json_object_get(req, "values");
    if (!op)
        return false;
    if (strcmp(op, "In") == 0)
        return val && value_in(val, values);
    if (strcmp(op, "NotIn") == 0)
        return !val || !value_in(val, values);
    if (strcmp(op, "Exists") == 0)
        return val != NULL;
    if (strcmp(op, "DoesNotExist") == 0)
        return val == NULL;
    if (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) {
        int64_t have, want;
        if (!val || json_array_size(values) != 1 || slu_parse_i64(val, &have) != 0 ||
            slu_parse_i64(json_string_value(json_array_get(values, 0)), &want) != 0)
            return false;
        return op[0] == 'G' ? have > want : have < want;
    }
    return false;
}

static bool term_matches(const json_t *term, const json_t *node)
{
    const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    const json_t *exprs = json_object_get(term, "matchExpressions");
    const json_t *fields = json_object_get(term, "matchFields");
    if (json_array_size(exprs) == 0 && json_array_size(fields) == 0)
        return false; /* an empty term matches nothing */
    size_t i;
    const json_t *r;
    json_array_foreach(exprs, i, r)
    {
        const char *key = json_string_value(json_object_get(r, "key"));
        const char *val = key ? json_string_value(json_object_get(labels, key)) : NULL;
        if (!key || !requirement_matches(r, val))
            return false;
    }
    json_array_foreach(fields, i, r)
    {
        const char *key = json_string_value(json_object_get(r, "key"));
        if (!slu_streq(key, "metadata.name"))
            return false;
        if (!requirement_matches(r, kube_object_name(node)))
            return false;
    }
    return true;
}

bool sim_sched_affinity_matches(const json_t *pod, const json_t *node)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    const char *k;
    const json_t *v;
    const json_t *sel = json_object_get(spec, "nodeSelector");
    if (json_is_object(sel)) {
        json_object_foreach((json_t *)sel, k, v)
        {
            const char *have = json_string_value(json_object_get(labels, k));
            if (!have || !slu_streq(have, json_string_value(v)))
                return false;
        }
    }
    const json_t *req =
        json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                        "requiredDuringSchedulingIgnoredDuringExecution");
    if (!req || json_is_null(req))
        return true;
    const json_t *terms = json_object_get(req, "nodeSelectorTerms");
    size_t i;
    const json_t *t;
    json_array_foreach(terms, i, t)
    {
        if (term_matches(t, node))
            return true;
    }
    return false;
}

static bool pod_tolerates_unschedulable(const json_t *pod)
{
    json_t *taint =
        json_pack("{s:s, s:s}", "key", "node.kubernetes.io/unschedulable", "effect", "NoSchedule");
    bool ok = taint_tolerated(taint, json_object_get(json_object_get(pod, "spec"), "tolerations"));
    json_decref(taint);
    return ok;
}

/* A histogram of reasons: reason string -> count, kept in a small vector. */
struct reason_count {
    char *reason;
    size_t n;
};
struct histo {
    struct reason_count *v;
    size_t len;
};

static void histo_add(struct histo *h, const char *reason)
{
    for (size_t i = 0; i < h->len; i++)
        if (strcmp(h->v[i].reason, reason) == 0) {
            h->v[i].n++;
            return;
        }
    h->v = slu_realloc(h->v, (h->len + 1) * sizeof(*h->v));
    h->v[h->len].reason = slu_strdup(reason);
    h->v[h->len].n = 1;
    h->len++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends "a, b, c" (the sorted "N reason" strings) and releases h. */
static void histo_finish(struct histo *h, struct slu_buf *out)
{
    char **s = slu_calloc(h->len ? h->len : 1, sizeof(char *));
    for (size_t i = 0; i < h->len; i++)
        s[i] = slu_asprintf("%zu %s", h->v[i].n, h->v[i].reason);
    qsort(s, h->len, sizeof(char *), cmp_str);
    for (size_t i = 0; i < h->len; i++) {
        if (out)
            slu_buf_printf(out, "%s%s", i ? ", " : "", s[i]);
        free(s[i]);
        free(h->v[i].reason);
    }
    free(s);
    free(h->v);
    h->v = NULL;
    h->len = 0;
}

/* Resource fit: adds the node's failure reasons to h; returns true when it fits. */
static bool resources_fit(const struct sim_resources *req, const struct sim_sched_node *n,
                          struct histo *h)
{
    bool ok = true;
    if (n->used.pods + 1 > n->alloc.pods) {
        histo_add(h, "Too many pods");
        ok = false;
    }
    if (req->cpu_m == 0 && req->mem == 0 && req->eph == 0 && req->nscalar == 0)
        return ok;
    if (req->cpu_m > 0 && req->cpu_m > n->alloc.cpu_m - n->used.cpu_m) {
        histo_add(h, "Insufficient cpu");
        ok = false;
    }
    if (req->mem > 0 && req->mem > n->alloc.mem - n->used.mem) {
        histo_add(h, "Insufficient memory");
        ok = false;
    }
    if (req->eph > 0 && req->eph > n->alloc.eph - n->used.eph) {
        histo_add(h, "Insufficient ephemeral-storage");
        ok = false;
    }
    for (size_t i = 0; i < req->nscalar; i++) {
        const struct sim_scalar *s = &req->scalar[i];
        if (s->value <= 0)
            continue;
        int64_t free_units =
            sim_resources_scalar(&n->alloc, s->name) - sim_resources_scalar(&n->used, s->name);
        if (s->value > free_units) {
            char r[320];
            snprintf(r, sizeof(r), "Insufficient %s", s->name);
            histo_add(h, r);
            ok = false;
        }
    }
    return ok;
}

/* LeastAllocated score (0..100) for cpu and memory with the pod added. */
static int64_t least_allocated(const struct sim_resources *req, const struct sim_sched_node *n)
{
    int64_t score = 0;
    int64_t cap[2] = {n->alloc.cpu_m, n->alloc.mem};
    int64_t used[2] = {n->used.nz_cpu_m + req->nz_cpu_m, n->used.nz_mem + req->nz_mem};
    for (int i = 0; i < 2; i++) {
        if (cap[i] <= 0 || used[i] > cap[i])
            continue;
        score += (int64_t)(((__int128)(cap[i] - used[i]) * 100) / cap[i]);
    }
    return score / 2;
}

int sim_sched_pick(const json_t *pod, const struct sim_resources *req,
                   const struct sim_sched_node *nodes, size_t n, struct slu_buf *why)
{
    struct histo h = {0};
    struct histo pre = {0};
    int best = -1;
    int64_t best_score = -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *node = nodes[i].node;
        const json_t *nspec = json_object_get(node, "spec");
        /* NodeUnschedulable, TaintToleration and NodeAffinity are unresolvable by preemption. */
        if (json_is_true(json_object_get(nspec, "unschedulable")) &&
            !pod_tolerates_unschedulable(pod)) {
            histo_add(&h, "node(s) were unschedulable");
            histo_add(&pre, "Preemption is not helpful for scheduling");
            continue;
        }
        const json_t *taint = sim_sched_untolerated_taint(pod, node);
        if (taint) {
            char r[700];
            const char *tk = json_string_value(json_object_get(taint, "key"));
            const char *tv = json_string_value(json_object_get(taint, "value"));
            snprintf(r, sizeof(r), "node(s) had untolerated taint {%s: %s}", tk ? tk : "",
                     tv ? tv : "");
            histo_add(&h, r);
            histo_add(&pre, "Preemption is not helpful for scheduling");
            continue;
        }
        if (!sim_sched_affinity_matches(pod, node)) {
            histo_add(&h, "node(s) didn't match Pod's node affinity/selector");
            histo_add(&pre, "Preemption is not helpful for scheduling");
            continue;
        }
        if (!resources_fit(req, &nodes[i], &h)) {
            histo_add(&pre, "No preemption victims found for incoming pod");
            continue;
        }
        int64_t score = least_allocated(req, &nodes[i]);
        if (score > best_score) {
            best_score = score;
            best = (int)i;
        }
    }
    if (best >= 0) {
        histo_finish(&h, NULL);
        histo_finish(&pre, NULL);
        return best;
    }
    if (why && n == 0) {
        slu_buf_reset(why);
        slu_buf_puts(why, "no nodes available to schedule pods");
    } else if (why) {
        slu_buf_reset(why);
        slu_buf_printf(why, "0/%zu nodes are available", n);
        if (h.len) {
            slu_buf_puts(why, ": ");
            histo_finish(&h, why);
        }
        slu_buf_puts(why, ".");
        const char *pp =
            json_string_value(json_object_get(json_object_get(pod, "spec"), "preemptionPolicy"));
        if (pp && strcmp(pp, "Never") == 0) {
            slu_buf_puts(why, " preemption: not eligible due to preemptionPolicy=Never..");
        } else if (pre.len) {
            slu_buf_printf(why, " preemption: 0/%zu nodes are available: ", n);
            histo_finish(&pre, why);
            slu_buf_puts(why, "..");
        }
    }
    histo_finish(&h, NULL);
    histo_finish(&pre, NULL);
    return -1;
}

/* ---------------------------------------------------------------- the scheduler thread */

enum { SP_NONE, SP_ACTIVE, SP_UNSCHED, SP_GATED };

struct spod {
    char *key;
    char *uid;
    char *node; /* spec.nodeName once bound (owned) */
    bool counted;
    bool req_ok;
    struct sim_resources req;
    char *klass; /* equivalence class: what the decision depends on (with req) */
    int state;
    json_t *obj; /* latest object while pending (reference) */
    char *last_msg;
    int64_t prio;
    uint64_t seq;
};

struct sim_scheduler {
    struct sim_store *st;
    const struct sim_rtype *pods_rt, *nodes_rt;
    pthread_t th;
    bool started;
    atomic_bool stop;
    pthread_mutex_t mu; /* guards w (for cancel) and the idle fields */
    pthread_cond_t cv;
    struct sim_watcher *w;
    uint64_t seen_rv; /* scheduler thread only */
    uint64_t pub_rv;  /* seen_rv as published under mu */
    bool queue_empty;

    struct slu_map pods; /* key -> struct spod */
    struct sim_sched_node *nodes;
    char **node_names;
    size_t nn, ncap;
    struct slu_map node_idx; /* name -> (void *)(index + 1) */
    struct slu_vec active;   /* char * keys (owned) */
    struct slu_map unsched;  /* key -> NULL */
    uint64_t seq;
    bool changed;
    uint64_t pods_list_rv, nodes_list_rv;
};

static void spod_free(void *p)
{
    struct spod *sp = p;
    if (!sp)
        return;
    free(sp->key);
    free(sp->uid);
    free(sp->node);
    free(sp->klass);
    sim_resources_release(&sp->req);
    json_decref(sp->obj);
    free(sp->last_msg);
    free(sp);
}

static bool is_pods(const struct sim_rtype *rt)
{
    return rt && rt->group && !rt->group[0] && slu_streq(rt->plural, "pods");
}
static bool is_nodes(const struct sim_rtype *rt)
{
    return rt && rt->group && !rt->group[0] && slu_streq(rt->plural, "nodes");
}

static long node_find(struct sim_scheduler *s, const char *name)
{
    void *v = name ? slu_map_get(&s->node_idx, name) : NULL;
    return v ? (long)((uintptr_t)v - 1) : -1;
}

static void spod_count(struct sim_scheduler *s, struct spod *sp)
{
    if (sp->counted || !sp->node)
        return;
    long i = node_find(s, sp->node);
    if (i < 0)
        return;
    if (!sp->req_ok && sp->obj) {
        sim_pod_requests(sp->obj, &sp->req);
        sp->req_ok = true;
    }
    if (!sp->req_ok)
        return;
    sim_resources_add(&s->nodes[i].used, &sp->req);
    sp->counted = true;
}

static void spod_uncount(struct sim_scheduler *s, struct spod *sp)
{
    if (!sp->counted)
        return;
    long i = node_find(s, sp->node);
    if (i >= 0) {
        sim_resources_sub(&s->nodes[i].used, &sp->req);
        s->changed = true;
    }
    sp->counted = false;
}

static void spod_set_obj(struct spod *sp, json_t *obj)
{
    json_incref(obj);
    json_decref(sp->obj);
    sp->obj = obj;
}

static const char *spec_str(const json_t *obj, const char *k)
{
    return json_string_value(json_object_get(json_object_get(obj, "spec"), k));
}

/* ---- store writes */

struct cond_ud {
    const char *status, *reason, *message;
    const char *uid;
};

static void set_condition(json_t *obj, const char *type, const char *status, const char *reason,
                          const char *message)
{
    json_t *st = json_object_get(obj, "status");
    if (!json_is_object(st)) {
        st = json_object();
        json_object_set_new(obj, "status", st);
    }
    size_t i = 0;
    json_t *c = sim_condition_find(json_object_get(st, "conditions"), type, &i);
    if (c && slu_streq(json_string_value(json_object_get(c, "status")), status) &&
        slu_streq(json_string_value(json_object_get(c, "reason")), reason) &&
        slu_streq(json_string_value(json_object_get(c, "message")), message))
        return; /* unchanged: the store writes nothing */
    char now[40];
    slu_time_format_rfc3339(slu_now_unix(), now, sizeof(now));
    sim_condition_put(st, type, status, reason, message, now);
}

static int cond_fn(void *ud, json_t *obj, struct slu_err *err)
{
    struct cond_ud *u = ud;
    if (u->uid && !slu_streq(kube_object_uid(obj), u->uid))
        return slu_err_set(err, SLU_ECONFLICT, "pod was replaced");
    const char *nn = spec_str(obj, "nodeName");
    if (nn && *nn)
        return slu_err_set(err, SLU_ESTATE, "pod is already bound");
    set_condition(obj, "PodScheduled", u->status, u->reason, u->message);
    return 0;
}

static int write_condition(struct sim_scheduler *s, const json_t *pod, const char *status,
                           const char *reason, const char *message)
{
    struct cond_ud u = {status, reason, message, kube_object_uid(pod)};
    return sim_store_mutate_status(s->st, s->pods_rt, kube_object_namespace(pod),
                                   kube_object_name(pod), cond_fn, &u, NULL, NULL);
}

/* Binds pod to node (spec.nodeName and PodScheduled=True in one write, as pods/binding). */
static int bind_pod(struct sim_scheduler *s, const json_t *pod, const char *node)
{
    return sim_store_bind(s->st, kube_object_namespace(pod), kube_object_name(pod), node, NULL);
}

/* ---- state */

static void unsched_del(struct sim_scheduler *s, const char *key)
{
    slu_map_del(&s->unsched, key);
}

static void make_active(struct sim_scheduler *s, struct spod *sp)
{
    if (sp->state == SP_UNSCHED)
        unsched_del(s, sp->key);
    if (sp->state != SP_ACTIVE)
        slu_vec_push(&s->active, slu_strdup(sp->key));
    sp->state = SP_ACTIVE;
}

static void make_idle(struct sim_scheduler *s, struct spod *sp)
{
    if (sp->state == SP_UNSCHED)
        unsched_del(s, sp->key);
    sp->state = SP_NONE;
    json_decref(sp->obj);
    sp->obj = NULL;
}

static void node_add_or_update(struct sim_scheduler *s, json_t *obj)
{
    const char *name = kube_object_name(obj);
    if (!name)
        return;
    long i = node_find(s, name);
    if (i >= 0) {
        struct sim_sched_node *n = &s->nodes[i];
        json_t *old = (json_t *)n->node;
        bool same = slu_json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
                    slu_json_equal(json_object_get(json_object_get(old, "metadata"), "labels"),
                                   json_object_get(json_object_get(obj, "metadata"), "labels")) &&
                    slu_json_equal(json_object_get(json_object_get(old, "status"), "allocatable"),
                                   json_object_get(json_object_get(obj, "status"), "allocatable"));
        json_incref(obj);
        n->node = obj;
        json_decref(old);
        sim_resources_release(&n->alloc);
        sim_node_allocatable(obj, &n->alloc);
        if (!same)
            s->changed = true;
        return;
    }
    if (s->nn == s->ncap) {
        s->ncap = s->ncap ? s->ncap * 2 : 16;
        s->nodes = slu_realloc(s->nodes, s->ncap * sizeof(*s->nodes));
        s->node_names = slu_realloc(s->node_names, s->ncap * sizeof(char *));
    }
    struct sim_sched_node *n = &s->nodes[s->nn];
    memset(n, 0, sizeof(*n));
    json_incref(obj);
    n->node = obj;
    sim_node_allocatable(obj, &n->alloc);
    s->node_names[s->nn] = slu_strdup(name);
    slu_map_put(&s->node_idx, name, (void *)(uintptr_t)(s->nn + 1));
    s->nn++;
    /* pods already bound to this node name count now */
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&s->pods, &it, &k, &v)) {
        struct spod *sp = v;
        if (sp->node && !sp->counted && strcmp(sp->node, name) == 0)
            spod_count(s, sp);
    }
    s->changed = true;
}

static void node_remove(struct sim_scheduler *s, const char *name)
{
    long i = node_find(s, name);
    if (i < 0)
        return;
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&s->pods, &it, &k, &v)) {
        struct spod *sp = v;
        if (sp->counted && sp->node && strcmp(sp->node, name) == 0)
            sp->counted = false;
    }
    slu_map_del(&s->node_idx, name);
    json_decref((json_t *)s->nodes[i].node);
    sim_resources_release(&s->nodes[i].alloc);
    sim_resources_release(&s->nodes[i].used);
    free(s->node_names[i]);
    size_t last = s->nn - 1;
    if ((size_t)i != last) {
        s->nodes[i] = s->nodes[last];
        s->node_names[i] = s->node_names[last];
        slu_map_put(&s->node_idx, s->node_names[i], (void *)(uintptr_t)(i + 1));
    }
    s->nn--;
}

static void pod_event(struct sim_scheduler *s, const char *type, json_t *obj, const json_t *old)
{
    const char *ns = kube_object_namespace(obj);
    const char *name = kube_object_name(obj);
    if (!name)
        return;
    char *key = slu_asprintf("%s/%s", ns ? ns : "", name);
    struct spod *sp = slu_map_get(&s->pods, key);
    if (strcmp(type, "DELETED") == 0) {
        if (sp) {
            spod_uncount(s, sp);
            make_idle(s, sp);
            slu_map_del(&s->pods, key);
        }
        free(key);
        return;
    }
    if (sp && sp->uid && !slu_streq(sp->uid, kube_object_uid(obj))) {
        /* replaced under the same name without us seeing the delete */
        spod_uncount(s, sp);
        make_idle(s, sp);
        slu_map_del(&s->pods, key);
        sp = NULL;
    }
    if (!sp) {
        sp = slu_calloc(1, sizeof(*sp));
        sp->key = key;
        key = NULL;
        sp->seq = ++s->seq;
        sp->uid = slu_strdup(kube_object_uid(obj));
        slu_map_put(&s->pods, sp->key, sp);
    }
    free(key);
    const char *phase = json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
    bool terminal = slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed");
    const char *nn = spec_str(obj, "nodeName");
    if (nn && *nn) {
        if (sp->state != SP_NONE)
            make_idle(s, sp);
        if (sp->node && strcmp(sp->node, nn) != 0) {
            spod_uncount(s, sp);
            free(sp->node);
            sp->node = NULL;
        }
        if (!sp->node)
            sp->node = slu_strdup(nn);
        if (terminal) {
            spod_uncount(s, sp);
        } else if (!sp->counted) {
            if (!sp->req_ok) {
                sim_pod_requests(obj, &sp->req);
                sp->req_ok = true;
            }
            spod_count(s, sp);
        }
        return;
    }
    if (terminal || json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp")) {
        make_idle(s, sp);
        return;
    }
    const char *sn = spec_str(obj, "schedulerName");
    if (sn && *sn && strcmp(sn, "default-scheduler") != 0) {
        make_idle(s, sp);
        return;
    }
    bool spec_changed =
        !old || !slu_json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec"));
    spod_set_obj(sp, obj);
    if (spec_changed) {
        sim_resources_release(&sp->req);
        sp->req_ok = false;
        free(sp->klass);
        sp->klass = NULL;
    }
    sp->prio = json_integer_value(json_object_get(json_object_get(obj, "spec"), "priority"));
    if (json_array_size(json_object_get(json_object_get(obj, "spec"), "schedulingGates")) > 0) {
        if (sp->state == SP_UNSCHED)
            unsched_del(s, sp->key);
        if (sp->state != SP_GATED) {
            sp->state = SP_GATED;
            write_condition(s, obj, "False", "SchedulingGated",
                            "Scheduling is blocked due to non-empty scheduling gates");
        }
        return;
    }
    if (sp->state == SP_ACTIVE)
        return;
    if (sp->state == SP_UNSCHED && !spec_changed)
        return; /* our own status write, or a change that does not matter */
    make_active(s, sp);
}

static void handle_event(struct sim_scheduler *s, struct sim_event *ev)
{
    if (ev->rv > s->seen_rv)
        s->seen_rv = ev->rv;
    if (is_pods(ev->rt)) {
        if (ev->rv <= s->pods_list_rv)
            return;
        pod_event(s, ev->type, ev->obj, ev->old);
    } else if (is_nodes(ev->rt)) {
        if (ev->rv <= s->nodes_list_rv)
            return;
        if (strcmp(ev->type, "DELETED") == 0)
            node_remove(s, kube_object_name(ev->obj));
        else
            node_add_or_update(s, ev->obj);
    }
}

/* ---- scheduling */

/* The parts of a pod the decision reads (returned owned): two pods with the same class get the
 * same answer from the same cluster state. */
static char *pod_class(const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    json_t *k = json_object();
    static const char *const keys[] = {"nodeSelector", "tolerations",    "preemptionPolicy",
                                       "containers",   "initContainers", "overhead"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(spec, keys[i]);
        if (v && i >= 3) {
            /* only the resources of containers matter */
            if (json_is_array(v)) {
                json_t *rs = json_array();
                size_t j;
                json_t *c;
                json_array_foreach(v, j, c)
                {
                    json_t *r = json_object_get(c, "resources");
                    json_array_append(rs, r ? r : json_null());
                    json_array_append(rs, json_object_get(c, "restartPolicy")
                                              ? json_object_get(c, "restartPolicy")
                                              : json_null());
                }
                json_object_set_new(k, keys[i], rs);
            } else {
                json_object_set(k, keys[i], v);
            }
        } else if (v) {
            json_object_set(k, keys[i], v);
        }
    }
    json_t *na = json_object_get(json_object_get(spec, "affinity"), "nodeAffinity");
    if (na)
        json_object_set(k, "nodeAffinity", na);
    char *out = slu_json_dumps_canonical(k);
    json_decref(k);
    return out;
}

static int cmp_active(const void *a, const void *b)
{
    const struct spod *x = *(struct spod *const *)a;
    const struct spod *y = *(struct spod *const *)b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void schedule_active(struct sim_scheduler *s)
{
    if (s->active.len == 0)
        return;
    struct slu_vec todo = {0};
    for (size_t i = 0; i < s->active.len; i++) {
        struct spod *sp = slu_map_get(&s->pods, s->active.items[i]);
        if (sp && sp->state == SP_ACTIVE && sp->obj)
            slu_vec_push(&todo, sp);
        free(s->active.items[i]);
    }
    s->active.len = 0;
    qsort(todo.items, todo.len, sizeof(void *), cmp_active);
    struct slu_buf why = {0};
    struct slu_map failed; /* class -> message, valid until the next bind */
    slu_map_init(&failed, free);
    for (size_t i = 0; i < todo.len && !atomic_load(&s->stop); i++) {
        struct spod *sp = todo.items[i];
        if (!sp->req_ok) {
            sim_pod_requests(sp->obj, &sp->req);
            sp->req_ok = true;
        }
        if (!sp->klass)
            sp->klass = pod_class(sp->obj);
        /* a pod like one that just failed fails the same way until something is bound */
        const char *cached = slu_map_get(&failed, sp->klass);
        int idx;
        if (cached) {
            idx = -1;
            slu_buf_reset(&why);
            slu_buf_puts(&why, cached);
        } else {
            idx = sim_sched_pick(sp->obj, &sp->req, s->nodes, s->nn, &why);
        }
        if (idx >= 0) {
            const char *node = s->node_names[idx];
            int rc = bind_pod(s, sp->obj, node);
            if (rc == 0) {
                free(sp->node);
                sp->node = slu_strdup(node);
                spod_count(s, sp);
                make_idle(s, sp);
                if (failed.len) {
                    slu_map_release(&failed);
                    slu_map_init(&failed, free);
                }
            } else {
                /* gone, replaced, bound elsewhere or being deleted: its events will tell */
                make_idle(s, sp);
            }
            continue;
        }
        if (!cached)
            slu_map_put(&failed, sp->klass, slu_strdup(why.data));
        sp->state = SP_UNSCHED;
        slu_map_put(&s->unsched, sp->key, NULL);
        if (!slu_streq(sp->last_msg, why.data)) {
            if (write_condition(s, sp->obj, "False", "Unschedulable", why.data) == 0) {
                free(sp->last_msg);
                sp->last_msg = slu_strdup(why.data);
            }
        }
    }
    slu_buf_release(&why);
    slu_map_release(&failed);
    slu_vec_release(&todo, NULL);
}

static void flush_unsched(struct sim_scheduler *s)
{
    if (!s->changed)
        return;
    s->changed = false;
    if (s->unsched.len == 0)
        return;
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&s->unsched, &it, &k, &v)) {
        struct spod *sp = slu_map_get(&s->pods, k);
        if (sp && sp->state == SP_UNSCHED) {
            sp->state = SP_ACTIVE;
            slu_vec_push(&s->active, slu_strdup(sp->key));
        }
    }
    slu_map_release(&s->unsched);
    slu_map_init(&s->unsched, NULL);
}

static void state_clear(struct sim_scheduler *s)
{
    slu_map_release(&s->pods);
    slu_map_init(&s->pods, spod_free);
    slu_map_release(&s->unsched);
    slu_map_init(&s->unsched, NULL);
    slu_map_release(&s->node_idx);
    slu_map_init(&s->node_idx, NULL);
    for (size_t i = 0; i < s->nn; i++) {
        json_decref((json_t *)s->nodes[i].node);
        sim_resources_release(&s->nodes[i].alloc);
        sim_resources_release(&s->nodes[i].used);
        free(s->node_names[i]);
    }
    s->nn = 0;
    for (size_t i = 0; i < s->active.len; i++)
        free(s->active.items[i]);
    s->active.len = 0;
}

/* Rebuilds everything from lists, with a fresh watcher from before the lists. */
static int resync(struct sim_scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    struct sim_watcher *old = s->w;
    s->w = NULL;
    pthread_mutex_unlock(&s->mu);
    if (old)
        sim_watcher_free(old);
    state_clear(s);
    struct sim_watcher *w = NULL;
    uint64_t rv0 = sim_store_rv(s->st);
    const struct sim_rtype *rts[2] = {s->pods_rt, s->nodes_rt};
    int rc = sim_store_watch_types(s->st, rts, 2, rv0, &w, NULL);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    s->w = w;
    pthread_mutex_unlock(&s->mu);
    if (atomic_load(&s->stop))
        return SLU_ECANCELED;
    json_t *nodes = NULL, *pods = NULL;
    if ((rc = sim_store_list(s->st, s->nodes_rt, NULL, NULL, &nodes, NULL)) != 0)
        return rc;
    if ((rc = sim_store_list(s->st, s->pods_rt, NULL, NULL, &pods, NULL)) != 0) {
        json_decref(nodes);
        return rc;
    }
    s->nodes_list_rv = sim_list_rv(nodes);
    s->pods_list_rv = sim_list_rv(pods);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(nodes, "items"), i, o) node_add_or_update(s, o);
    json_array_foreach(json_object_get(pods, "items"), i, o) pod_event(s, "ADDED", o, NULL);
    uint64_t seen = SLU_MAX(s->nodes_list_rv, s->pods_list_rv);
    if (seen > s->seen_rv)
        s->seen_rv = seen;
    json_decref(nodes);
    json_decref(pods);
    s->changed = false;
    return 0;
}

static void publish_idle(struct sim_scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    s->queue_empty = s->active.len == 0;
    s->pub_rv = s->seen_rv;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void *sched_main(void *arg)
{
    struct sim_scheduler *s = arg;
    bool need_resync = true;
    while (!atomic_load(&s->stop)) {
        if (need_resync) {
            if (resync(s) != 0) {
                if (atomic_load(&s->stop))
                    break;
                slu_sleep_ms(50);
                continue;
            }
            need_resync = false;
            schedule_active(s);
            publish_idle(s);
        }
        struct sim_event ev;
        int rc = sim_watcher_next(s->w, &ev, 200);
        size_t batch = 0;
        while (rc == 0) {
            handle_event(s, &ev);
            sim_event_release(&ev);
            if (++batch >= 4096)
                break;
            rc = sim_watcher_next(s->w, &ev, 0);
        }
        if (rc != 0 && rc != SLU_ETIMEDOUT) {
            if (atomic_load(&s->stop))
                break;
            need_resync = true; /* canceled under us, or fell out of the window */
            continue;
        }
        /* writes of other types are not delivered: the watcher's position covers them */
        uint64_t pos = sim_watcher_position(s->w);
        if (pos > s->seen_rv)
            s->seen_rv = pos;
        flush_unsched(s);
        schedule_active(s);
        publish_idle(s);
    }
    return NULL;
}

int sim_scheduler_start(struct sim_store *st, struct sim_scheduler **out, struct slu_err *err)
{
    *out = NULL;
    struct sim_scheduler *s = slu_calloc(1, sizeof(*s));
    s->st = st;
    s->pods_rt = sim_store_type(st, "", "v1", "pods");
    s->nodes_rt = sim_store_type(st, "", "v1", "nodes");
    if (!s->pods_rt || !s->nodes_rt) {
        free(s);
        return slu_err_set(err, SLU_ESTATE, "scheduler: the store serves no pods or nodes");
    }
    pthread_mutex_init(&s->mu, NULL);
    slu_cond_init_mono(&s->cv);
    slu_map_init(&s->pods, spod_free);
    slu_map_init(&s->unsched, NULL);
    slu_map_init(&s->node_idx, NULL);
    atomic_init(&s->stop, false);
    if (pthread_create(&s->th, NULL, sched_main, s) != 0) {
        sim_scheduler_stop(s);
        return slu_err_set(err, SLU_ESTATE, "scheduler: cannot start a thread");
    }
    s->started = true;
    *out = s;
    return 0;
}

void sim_scheduler_stop(struct sim_scheduler *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_mutex_lock(&s->mu);
    if (s->w)
        sim_watcher_cancel(s->w);
    pthread_mutex_unlock(&s->mu);
    if (s->started)
        pthread_join(s->th, NULL);
    if (s->w)
        sim_watcher_free(s->w);
    state_clear(s);
    slu_map_release(&s->pods);
    slu_map_release(&s->unsched);
    slu_map_release(&s->node_idx);
    slu_vec_release(&s->active, free);
    free(s->nodes);
    free(s->node_names);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

bool sim_scheduler_wait_idle(struct sim_scheduler *s, int64_t timeout_ms)
{
    uint64_t target = sim_store_rv(s->st);
    struct timespec dl;
    slu_deadline_from_now(&dl, timeout_ms);
    pthread_mutex_lock(&s->mu);
    bool ok;
    for (;;) {
        ok = s->pub_rv >= target && s->queue_empty;
        if (ok)
            break;
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0) {
            ok = s->pub_rv >= target && s->queue_empty;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}
