/*
 * kubelet.c - the kubelet model: runs the pods bound to the simulated nodes.
 *
 * One thread watches the store (pods and nodes only) and keeps, per pod bound
 * to a known node, a small state machine driven by a timer heap in model time:
 *
 *   STARTING --(start-up delay, uniform in [min,max])--> RUNNING
 *   RUNNING  --(run-seconds, or sim_cluster_pod_exit)--> DONE (Succeeded/Failed)
 *                                                    \-> BACKOFF (restartPolicy says restart)
 *   BACKOFF  --(10s doubling, max 300s)--> RUNNING (restartCount+1)
 *   any      --(deletionTimestamp)--> STOPPING --(min(grace, stop-seconds))--> removed
 *
 * Exit: annotation sim.sluice.dev/exit-code (default 0); sim.sluice.dev/oom=true makes the end
 * an OOMKill (reason OOMKilled, exit code 137 unless exit-code says otherwise); otherwise reason
 * Completed (0) or Error. All containers of a pod end together with the same code. restartPolicy
 * Never -> phase Succeeded (all 0) or Failed; OnFailure restarts on a non-zero code; Always
 * restarts every time. A pod being deleted gets SIGTERM (a log line), its containers stop after
 * min(grace period, sim.sluice.dev/stop-seconds, default 1s) and the pod is then removed with
 * sim_store_delete(grace 0). Pods that never started, finished pods and pods on unknown nodes go
 * at once.
 *
 * Pods labelled spark-role=<role> with a registered sim_pod_model hand their lifetime to the
 * model (on_running returns true); the model ends them with sim_cluster_pod_exit and schedules
 * its own work with sim_cluster_after, both handled on this thread.
 *
 * Status writes go through sim_store_mutate_status, one per transition.
 */
#include <stdatomic.h>
#include <string.h>

#include "sim/parts.h"

#define POLL_MS 50
#define BACKOFF_BASE_MS 10000
#define BACKOFF_MAX_MS 300000
#define DEFAULT_STOP_MS 1000

enum kstate { K_STARTING, K_RUNNING, K_BACKOFF, K_DONE, K_STOPPING };
enum { RP_ALWAYS, RP_ONFAILURE, RP_NEVER };
enum { T_START, T_END, T_RESTART, T_STOPPED, T_AFTER };

struct kpod {
    char *key, *ns, *name, *uid, *node;
    int state;
    uint64_t gen; /* timers carry the generation they were set for */
    int restarts;
    int64_t run_ms; /* -1: until deleted */
    int exit_code;
    bool oom;
    int policy;
    int64_t stop_ms;
    const struct sim_pod_model *model;
    bool model_owned;
    bool deleting;
    char *pod_ip, *host_ip;
    json_t *containers;      /* [{name, image}] */
    json_t *init_containers; /* [{name, image, sidecar}] */
    json_t *cids;            /* current containerIDs, per container */
    json_t *last_term;       /* per container: lastState.terminated or null */
    char started_at[40];     /* current instance */
};

struct ktimer {
    int64_t due;
    uint64_t seq;
    int kind;
    uint64_t gen;
    char *key;
    void (*fn)(struct sim_cluster *c, void *arg);
    void *arg;
};

struct kcmd {
    bool is_exit;
    bool oom; /* an exit as an OOM kill (reason OOMKilled) */
    char *ns, *name, *uid;
    int exit_code;
    int64_t delay_ms;
    void (*fn)(struct sim_cluster *c, void *arg);
    void *arg;
};

struct knode {
    char ip[48];
    char prefix[48]; /* "10.a.b." */
    unsigned next;
};

struct sim_kubelet {
    struct sim_cluster *c;
    struct sim_store *st;
    const struct sim_clock *clock;
    const struct sim_rtype *pods_rt, *nodes_rt;
    pthread_t th;
    bool started;
    atomic_bool stop;
    pthread_mutex_t mu; /* guards w (for cancel) and cmds */
    struct sim_watcher *w;
    struct slu_vec cmds;
    struct slu_map pods;  /* key -> kpod */
    struct slu_map nodes; /* name -> knode */
    struct ktimer *heap;
    size_t hn, hcap;
    uint64_t tseq;
    uint64_t pods_list_rv, nodes_list_rv;
    uint64_t rng;
};

/* ---------------------------------------------------------------- helpers */

static uint64_t k_rand(struct sim_kubelet *k)
{
    uint64_t x = k->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    k->rng = x;
    return x;
}

static const char *str_or(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static int64_t now_ms(struct sim_kubelet *k)
{
    return sim_clock_now_ms(k->clock);
}

static void now_str(char *buf, size_t n)
{
    slu_time_format_rfc3339(slu_now_unix(), buf, n);
}

static void kpod_free(void *p)
{
    struct kpod *kp = p;
    if (!kp)
        return;
    free(kp->key);
    free(kp->ns);
    free(kp->name);
    free(kp->uid);
    free(kp->node);
    free(kp->pod_ip);
    free(kp->host_ip);
    json_decref(kp->containers);
    json_decref(kp->init_containers);
    json_decref(kp->cids);
    json_decref(kp->last_term);
    free(kp);
}

static bool is_pods(const struct sim_rtype *rt)
{
    return rt && rt->group && !rt->group[0] && slu_streq(rt->plural, "pods");
}
static bool is_nodes(const struct sim_rtype *rt)
{
    return rt && rt->group && !rt->group[0] && slu_streq(rt->plural, "nodes");
}

static const char *annotation(const json_t *pod, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"), key));
}

/* ---- timer heap (min by due, then seq) */

static bool t_less(const struct ktimer *a, const struct ktimer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct sim_kubelet *k, struct ktimer t)
{
    if (k->hn == k->hcap) {
        k->hcap = k->hcap ? k->hcap * 2 : 64;
        k->heap = slu_realloc(k->heap, k->hcap * sizeof(*k->heap));
    }
    t.seq = ++k->tseq;
    size_t i = k->hn++;
    k->heap[i] = t;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!t_less(&k->heap[i], &k->heap[p]))
            break;
        struct ktimer tmp = k->heap[p];
        k->heap[p] = k->heap[i];
        k->heap[i] = tmp;
        i = p;
    }
}

static struct ktimer heap_pop(struct sim_kubelet *k)
{
    struct ktimer top = k->heap[0];
    k->heap[0] = k->heap[--k->hn];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < k->hn && t_less(&k->heap[l], &k->heap[m]))
            m = l;
        if (r < k->hn && t_less(&k->heap[r], &k->heap[m]))
            m = r;
        if (m == i)
            break;
        struct ktimer tmp = k->heap[m];
        k->heap[m] = k->heap[i];
        k->heap[i] = tmp;
        i = m;
    }
    return top;
}

static void set_timer(struct sim_kubelet *k, struct kpod *kp, int kind, int64_t in_ms)
{
    kp->gen++;
    struct ktimer t = {0};
    t.due = now_ms(k) + (in_ms > 0 ? in_ms : 0);
    t.kind = kind;
    t.gen = kp->gen;
    t.key = slu_strdup(kp->key);
    heap_push(k, t);
}

/* ---------------------------------------------------------------- status building */

static void hex_of(const char *seed, uint64_t salt, char *out /* 65 */)
{
    for (int i = 0; i < 4; i++) {
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s#%llu#%d", seed, (unsigned long long)salt, i);
        snprintf(out + i * 16, 17, "%016llx", (unsigned long long)slu_hash(tmp, strlen(tmp)));
    }
    out[64] = '\0';
}

static char *image_id(const char *image)
{
    char hex[65];
    hex_of(image ? image : "", 0, hex);
    char repo[512];
    slu_strlcpy(repo, image ? image : "", sizeof(repo));
    char *at = strchr(repo, '@');
    if (at)
        *at = '\0';
    char *slash = strrchr(repo, '/');
    char *colon = strrchr(repo, ':');
    if (colon && (!slash || colon > slash))
        *colon = '\0';
    const char *prefix = "";
    if (!strchr(repo, '/'))
        prefix = "docker.io/library/";
    else if (!strchr(repo, '.') || strchr(repo, '.') > strchr(repo, '/'))
        prefix = "docker.io/";
    return slu_asprintf("%s%s@sha256:%s", prefix, repo, hex);
}

static void new_cids(struct sim_kubelet *k, struct kpod *kp)
{
    json_decref(kp->cids);
    kp->cids = json_array();
    for (size_t i = 0; i < json_array_size(kp->containers); i++) {
        char hex[65];
        hex_of(kp->uid, k_rand(k), hex);
        char id[80];
        snprintf(id, sizeof(id), "containerd://%s", hex);
        json_array_append_new(kp->cids, json_string(id));
    }
}

static char *unready_message(const struct kpod *kp)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "containers with unready status: [");
    for (size_t i = 0; i < json_array_size(kp->containers); i++)
        slu_buf_printf(
            &b, "%s%s", i ? " " : "",
            json_string_value(json_object_get(json_array_get(kp->containers, i), "name")));
    slu_buf_puts(&b, "]");
    return slu_buf_steal(&b);
}

static const char *qos_class(const json_t *pod)
{
    bool any = false, guaranteed = true;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
    {
        const json_t *res = json_object_get(c, "resources");
        const json_t *req = json_object_get(res, "requests");
        const json_t *lim = json_object_get(res, "limits");
        if (json_object_size(req) || json_object_size(lim))
            any = true;
        const char *names[2] = {"cpu", "memory"};
        for (int j = 0; j < 2; j++) {
            const json_t *l = json_object_get(lim, names[j]);
            const json_t *r = json_object_get(req, names[j]);
            if (!l) {
                guaranteed = false;
                continue;
            }
            if (r) {
                struct kube_quantity ql, qr;
                if (kube_quantity_from_json(l, &ql, NULL) != 0 ||
                    kube_quantity_from_json(r, &qr, NULL) != 0 || kube_quantity_cmp(&ql, &qr))
                    guaranteed = false;
            }
        }
    }
    if (!any)
        return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
}

enum what { W_RUNNING, W_BACKOFF, W_TERMINATED };

struct status_ud {
    struct sim_kubelet *k;
    struct kpod *kp;
    enum what what;
    int exit_code;
    const char *reason;
    int64_t backoff_ms;
    const char *finished_at;
};

static json_t *terminated_state(struct kpod *kp, size_t i, int code, const char *reason,
                                const char *finished)
{
    json_t *t = json_object();
    json_object_set_new(t, "exitCode", json_integer(code));
    json_object_set_new(t, "reason", json_string(reason));
    json_object_set_new(t, "startedAt", json_string(kp->started_at));
    json_object_set_new(t, "finishedAt", json_string(finished));
    json_t *cid = json_array_get(kp->cids, i);
    if (cid)
        json_object_set(t, "containerID", cid);
    return t;
}

static int status_fn(void *ud, json_t *obj, struct slu_err *err)
{
    struct status_ud *u = ud;
    struct kpod *kp = u->kp;
    if (!slu_streq(kube_object_uid(obj), kp->uid))
        return slu_err_set(err, SLU_ECONFLICT, "pod was replaced");
    char now[40];
    now_str(now, sizeof(now));
    json_t *st = json_object_get(obj, "status");
    if (!json_is_object(st)) {
        st = json_object();
        json_object_set_new(obj, "status", st);
    }
    if (kp->host_ip) {
        json_object_set_new(st, "hostIP", json_string(kp->host_ip));
        json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", kp->host_ip));
    }
    if (kp->pod_ip) {
        json_object_set_new(st, "podIP", json_string(kp->pod_ip));
        json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", kp->pod_ip));
    }
    if (!json_string_value(json_object_get(st, "startTime")))
        json_object_set_new(st, "startTime", json_string(now));
    if (!json_string_value(json_object_get(st, "qosClass")))
        json_object_set_new(st, "qosClass", json_string(qos_class(obj)));

    /* init containers: completed (sidecars running) */
    if (json_array_size(kp->init_containers)) {
        json_t *ics = json_array();
        size_t i;
        json_t *ic;
        json_array_foreach(kp->init_containers, i, ic)
        {
            const char *img = json_string_value(json_object_get(ic, "image"));
            char *iid = image_id(img);
            bool sidecar = json_is_true(json_object_get(ic, "sidecar"));
            json_t *state;
            if (sidecar && u->what != W_TERMINATED)
                state = json_pack("{s:{s:s}}", "running", "startedAt", kp->started_at);
            else
                state = json_pack("{s:{s:i, s:s, s:s, s:s}}", "terminated", "exitCode", 0, "reason",
                                  "Completed", "startedAt", kp->started_at, "finishedAt",
                                  sidecar ? now : kp->started_at);
            json_array_append_new(ics, json_pack("{s:O, s:s, s:s, s:b, s:b, s:i, s:o, s:{}}",
                                                 "name", json_object_get(ic, "name"), "image",
                                                 img ? img : "", "imageID", iid, "ready",
                                                 sidecar ? u->what == W_RUNNING : true, "started",
                                                 sidecar && u->what == W_RUNNING, "restartCount", 0,
                                                 "state", state, "lastState"));
            free(iid);
        }
        json_object_set_new(st, "initContainerStatuses", ics);
    }

    json_t *cs = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(kp->containers, i, c)
    {
        const char *img = json_string_value(json_object_get(c, "image"));
        char *iid = image_id(img);
        json_t *state, *last = json_object();
        json_t *lt = json_array_get(kp->last_term, i);
        bool ready = false, started = false;
        if (u->what == W_RUNNING) {
            state = json_pack("{s:{s:s}}", "running", "startedAt", kp->started_at);
            ready = started = true;
            if (lt && !json_is_null(lt))
                json_object_set(last, "terminated", lt);
        } else if (u->what == W_BACKOFF) {
            char msg[600];
            snprintf(msg, sizeof(msg),
                     "back-off %llds restarting failed container=%s pod=%s_%s(%s)",
                     (long long)(u->backoff_ms / 1000),
                     json_string_value(json_object_get(c, "name")), kp->name, kp->ns, kp->uid);
            state = json_pack("{s:{s:s, s:s}}", "waiting", "reason", "CrashLoopBackOff", "message",
                              msg);
            if (lt && !json_is_null(lt))
                json_object_set(last, "terminated", lt);
        } else {
            state = json_pack("{s:o}", "terminated",
                              terminated_state(kp, i, u->exit_code, u->reason, u->finished_at));
            if (lt && !json_is_null(lt))
                json_object_set(last, "terminated", lt);
        }
        json_t *one = json_pack("{s:O, s:s, s:s, s:b, s:b, s:i, s:o, s:o}", "name",
                                json_object_get(c, "name"), "image", img ? img : "", "imageID", iid,
                                "ready", ready, "started", started, "restartCount", kp->restarts,
                                "state", state, "lastState", last);
        json_t *cid = json_array_get(kp->cids, i);
        if (cid && u->what != W_BACKOFF)
            json_object_set(one, "containerID", cid);
        json_array_append_new(cs, one);
        free(iid);
    }
    json_object_set_new(st, "containerStatuses", cs);

    sim_condition_put(st, "PodReadyToStartContainers", "True", NULL, NULL, now);
    sim_condition_put(st, "Initialized", "True", NULL, NULL, now);
    if (u->what == W_RUNNING) {
        json_object_set_new(st, "phase", json_string("Running"));
        sim_condition_put(st, "Ready", "True", NULL, NULL, now);
        sim_condition_put(st, "ContainersReady", "True", NULL, NULL, now);
    } else {
        bool ok = u->what == W_TERMINATED && u->exit_code == 0;
        char *msg = ok ? NULL : unready_message(kp);
        const char *why = ok ? "PodCompleted" : "ContainersNotReady";
        sim_condition_put(st, "Ready", "False", why, msg, now);
        sim_condition_put(st, "ContainersReady", "False", why, msg, now);
        free(msg);
        if (u->what == W_TERMINATED)
            json_object_set_new(st, "phase", json_string(ok ? "Succeeded" : "Failed"));
        else
            json_object_set_new(st, "phase", json_string("Running"));
    }
    sim_condition_put(st, "PodScheduled", "True", NULL, NULL, now);
    return 0;
}

static int write_status(struct sim_kubelet *k, struct kpod *kp, struct status_ud *u, json_t **out)
{
    u->k = k;
    u->kp = kp;
    return sim_store_mutate_status(k->st, k->pods_rt, kp->ns, kp->name, status_fn, u, out, NULL);
}

static void remove_now(struct sim_kubelet *k, const char *ns, const char *name, const char *uid)
{
    struct sim_delete_opts o = {0};
    o.grace_period_seconds = 0;
    o.precondition_uid = uid;
    sim_store_delete(k->st, k->pods_rt, ns, name, &o, NULL, NULL);
}

/* ---------------------------------------------------------------- transitions */

static void containers_log_start(struct sim_kubelet *k, struct kpod *kp)
{
    size_t i;
    json_t *c;
    json_array_foreach(kp->containers, i, c)
    {
        sim_cluster__log_start(k->c, kp->ns, kp->name,
                               json_string_value(json_object_get(c, "name")),
                               json_string_value(json_object_get(c, "image")));
    }
}

static void containers_log_end(struct sim_kubelet *k, struct kpod *kp, int code, const char *reason)
{
    size_t i;
    json_t *c;
    json_array_foreach(kp->containers, i, c)
    {
        sim_cluster__log_end(k->c, kp->ns, kp->name, json_string_value(json_object_get(c, "name")),
                             code, reason);
    }
}

static void go_running(struct sim_kubelet *k, struct kpod *kp)
{
    now_str(kp->started_at, sizeof(kp->started_at));
    new_cids(k, kp);
    /* logs first: a client that sees Running can read them at once */
    containers_log_start(k, kp);
    struct status_ud u = {0};
    u.what = W_RUNNING;
    json_t *out = NULL;
    if (write_status(k, kp, &u, &out) != 0) {
        json_decref(out);
        return; /* gone or replaced: its events will tell */
    }
    kp->state = K_RUNNING;
    kp->model_owned = false;
    if (kp->model && out)
        kp->model_owned = kp->model->on_running(k->c, out, kp->model->arg);
    json_decref(out);
    if (!kp->model_owned && kp->run_ms >= 0)
        set_timer(k, kp, T_END, kp->run_ms);
}

static void go_end(struct sim_kubelet *k, struct kpod *kp, int code, bool oom)
{
    const char *reason = oom ? "OOMKilled" : code == 0 ? "Completed" : "Error";
    char finished[40];
    now_str(finished, sizeof(finished));
    containers_log_end(k, kp, code, reason);
    bool restart = kp->policy == RP_ALWAYS || (kp->policy == RP_ONFAILURE && code != 0);
    if (restart) {
        /* remember how each container ended, for lastState */
        json_decref(kp->last_term);
        kp->last_term = json_array();
        for (size_t i = 0; i < json_array_size(kp->containers); i++)
            json_array_append_new(kp->last_term, terminated_state(kp, i, code, reason, finished));
        int shift = kp->restarts < 5 ? kp->restarts : 5;
        int64_t backoff = SLU_MIN((int64_t)BACKOFF_BASE_MS << shift, BACKOFF_MAX_MS);
        struct status_ud u = {0};
        u.what = W_BACKOFF;
        u.backoff_ms = backoff;
        if (write_status(k, kp, &u, NULL) != 0)
            return;
        kp->state = K_BACKOFF;
        set_timer(k, kp, T_RESTART, backoff);
        return;
    }
    struct status_ud u = {0};
    u.what = W_TERMINATED;
    u.exit_code = code;
    u.reason = reason;
    u.finished_at = finished;
    if (write_status(k, kp, &u, NULL) != 0)
        return;
    kp->state = K_DONE;
    kp->gen++; /* cancel pending timers */
}

static void go_stopping(struct sim_kubelet *k, struct kpod *kp, const json_t *pod)
{
    kp->deleting = true;
    if (kp->model && kp->model->on_deleting)
        kp->model->on_deleting(k->c, pod, kp->model->arg);
    if (kp->state == K_DONE || kp->state == K_STARTING) {
        kp->gen++;
        remove_now(k, kp->ns, kp->name, kp->uid);
        return;
    }
    int64_t grace = json_integer_value(
        json_object_get(json_object_get(pod, "metadata"), "deletionGracePeriodSeconds"));
    if (!json_object_get(json_object_get(pod, "metadata"), "deletionGracePeriodSeconds"))
        grace = json_integer_value(
            json_object_get(json_object_get(pod, "spec"), "terminationGracePeriodSeconds"));
    if (grace < 0)
        grace = 0;
    int64_t stop = SLU_MIN(grace * 1000, kp->stop_ms);
    size_t i;
    json_t *c;
    json_array_foreach(kp->containers, i, c)
    {
        sim_cluster_log(k->c, kp->ns, kp->name, json_string_value(json_object_get(c, "name")),
                        "INFO %s: received SIGTERM, shutting down",
                        json_string_value(json_object_get(c, "name")));
    }
    kp->state = K_STOPPING;
    set_timer(k, kp, T_STOPPED, stop);
}

/* ---------------------------------------------------------------- events */

static struct knode *knode_of(struct sim_kubelet *k, const char *name)
{
    return name ? slu_map_get(&k->nodes, name) : NULL;
}

static void node_event(struct sim_kubelet *k, const char *type, const json_t *node)
{
    const char *name = kube_object_name(node);
    if (!name)
        return;
    if (strcmp(type, "DELETED") == 0) {
        slu_map_del(&k->nodes, name);
        return;
    }
    struct knode *kn = slu_map_get(&k->nodes, name);
    if (!kn) {
        kn = slu_calloc(1, sizeof(*kn));
        slu_map_put(&k->nodes, name, kn);
    }
    size_t i;
    const json_t *a;
    kn->ip[0] = '\0';
    json_array_foreach(json_object_get(json_object_get(node, "status"), "addresses"), i, a)
    {
        if (slu_streq(json_string_value(json_object_get(a, "type")), "InternalIP"))
            slu_strlcpy(kn->ip, str_or(json_string_value(json_object_get(a, "address")), ""),
                        sizeof(kn->ip));
    }
    const char *cidr = json_string_value(json_object_get(json_object_get(node, "spec"), "podCIDR"));
    unsigned a1, a2, a3, a4, bits;
    if (cidr && sscanf(cidr, "%u.%u.%u.%u/%u", &a1, &a2, &a3, &a4, &bits) == 5 && bits <= 24 &&
        a1 < 256 && a2 < 256 && a3 < 256)
        snprintf(kn->prefix, sizeof(kn->prefix), "%u.%u.%u.", a1, a2, a3);
    else
        snprintf(kn->prefix, sizeof(kn->prefix), "10.250.%u.",
                 (unsigned)(slu_hash(name, strlen(name)) % 256));
}

static int parse_restart_policy(const json_t *pod)
{
    const char *rp =
        json_string_value(json_object_get(json_object_get(pod, "spec"), "restartPolicy"));
    if (slu_streq(rp, "Never"))
        return RP_NEVER;
    if (slu_streq(rp, "OnFailure"))
        return RP_ONFAILURE;
    return RP_ALWAYS;
}

static struct kpod *kpod_new(struct sim_kubelet *k, const char *key, const json_t *pod,
                             struct knode *kn)
{
    struct kpod *kp = slu_calloc(1, sizeof(*kp));
    kp->key = slu_strdup(key);
    kp->ns = slu_strdup(kube_object_namespace(pod) ? kube_object_namespace(pod) : "");
    kp->name = slu_strdup(kube_object_name(pod));
    kp->uid = slu_strdup(kube_object_uid(pod) ? kube_object_uid(pod) : "");
    const json_t *spec = json_object_get(pod, "spec");
    kp->node = slu_strdup(json_string_value(json_object_get(spec, "nodeName")));
    kp->policy = parse_restart_policy(pod);
    kp->run_ms = -1;
    const char *rs = annotation(pod, SIM_ANN_RUN_SECONDS);
    double d;
    if (rs && slu_parse_double(rs, &d) == 0 && d >= 0 && d < 1e9)
        kp->run_ms = (int64_t)(d * 1000);
    const char *oom = annotation(pod, SIM_ANN_OOM);
    kp->oom = oom && strcmp(oom, "true") == 0;
    int64_t code;
    const char *ec = annotation(pod, SIM_ANN_EXIT_CODE);
    if (ec && slu_parse_i64(ec, &code) == 0 && code >= 0 && code <= 255)
        kp->exit_code = (int)code;
    else
        kp->exit_code = kp->oom ? 137 : 0;
    kp->stop_ms = DEFAULT_STOP_MS;
    const char *ss = annotation(pod, SIM_ANN_STOP_SECONDS);
    if (ss && slu_parse_double(ss, &d) == 0 && d >= 0 && d < 1e9)
        kp->stop_ms = (int64_t)(d * 1000);
    kp->containers = json_array();
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c)
    {
        const char *img = json_string_value(json_object_get(c, "image"));
        json_array_append_new(kp->containers,
                              json_pack("{s:s, s:s}", "name",
                                        str_or(json_string_value(json_object_get(c, "name")), ""),
                                        "image", img ? img : ""));
    }
    kp->init_containers = json_array();
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        const char *img = json_string_value(json_object_get(c, "image"));
        json_array_append_new(
            kp->init_containers,
            json_pack("{s:s, s:s, s:b}", "name",
                      str_or(json_string_value(json_object_get(c, "name")), ""), "image",
                      img ? img : "", "sidecar",
                      slu_streq(json_string_value(json_object_get(c, "restartPolicy")), "Always")));
    }
    kp->last_term = json_array();
    kp->model = sim_cluster__model_for(k->c, pod);
    const char *pip = json_string_value(json_object_get(json_object_get(pod, "status"), "podIP"));
    if (pip) {
        kp->pod_ip = slu_strdup(pip);
    } else {
        unsigned n = kn->next++ % 252 + 2;
        kp->pod_ip = slu_asprintf("%s%u", kn->prefix, n);
    }
    kp->host_ip = slu_strdup(kn->ip[0] ? kn->ip : NULL);
    return kp;
}

static void kpod_gone(struct sim_kubelet *k, struct kpod *kp)
{
    if (kp->model && kp->model->on_gone)
        kp->model->on_gone(k->c, kp->ns, kp->name, kp->uid, kp->model->arg);
    sim_cluster__log_drop_pod(k->c, kp->ns, kp->name);
    slu_map_del(&k->pods, kp->key);
}

static void pod_event(struct sim_kubelet *k, const char *type, const json_t *pod)
{
    const char *ns = kube_object_namespace(pod);
    const char *name = kube_object_name(pod);
    if (!name)
        return;
    char *key = slu_asprintf("%s/%s", ns ? ns : "", name);
    struct kpod *kp = slu_map_get(&k->pods, key);
    if (kp && !slu_streq(kp->uid, kube_object_uid(pod))) {
        kpod_gone(k, kp);
        kp = NULL;
    }
    if (strcmp(type, "DELETED") == 0) {
        if (kp)
            kpod_gone(k, kp);
        free(key);
        return;
    }
    const json_t *meta = json_object_get(pod, "metadata");
    bool deleting = json_object_get(meta, "deletionTimestamp") != NULL;
    const char *nn = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (!nn || !*nn) {
        free(key);
        return;
    }
    struct knode *kn = knode_of(k, nn);
    if (!kn) {
        /* bound to a node nobody runs: deletion completes at once (as the pod GC does) */
        if (deleting)
            remove_now(k, ns, name, kube_object_uid(pod));
        free(key);
        return;
    }
    if (!kp) {
        kp = kpod_new(k, key, pod, kn);
        slu_map_put(&k->pods, key, kp);
        const char *phase =
            json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
        if (slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed")) {
            kp->state = K_DONE;
        } else if (slu_streq(phase, "Running")) {
            /* adopted (after a resync): keep it running from now */
            kp->state = K_RUNNING;
            now_str(kp->started_at, sizeof(kp->started_at));
            new_cids(k, kp);
            if (kp->run_ms >= 0)
                set_timer(k, kp, T_END, kp->run_ms);
        } else {
            kp->state = K_STARTING;
            int64_t lo, hi;
            sim_cluster__start_delay(k->c, &lo, &hi);
            int64_t delay = lo + (hi > lo ? (int64_t)(k_rand(k) % (uint64_t)(hi - lo + 1)) : 0);
            set_timer(k, kp, T_START, delay);
        }
    }
    free(key);
    if (deleting && !kp->deleting)
        go_stopping(k, kp, pod);
}

static void handle_event(struct sim_kubelet *k, struct sim_event *ev)
{
    if (is_pods(ev->rt)) {
        if (ev->rv > k->pods_list_rv)
            pod_event(k, ev->type, ev->obj);
    } else if (is_nodes(ev->rt)) {
        if (ev->rv > k->nodes_list_rv)
            node_event(k, ev->type, ev->obj);
    }
}

/* ---------------------------------------------------------------- timers and commands */

static void fire(struct sim_kubelet *k, struct ktimer *t)
{
    if (t->kind == T_AFTER) {
        t->fn(k->c, t->arg);
        return;
    }
    struct kpod *kp = slu_map_get(&k->pods, t->key);
    if (!kp || kp->gen != t->gen)
        return;
    switch (t->kind) {
    case T_START:
        if (kp->state == K_STARTING)
            go_running(k, kp);
        break;
    case T_END:
        if (kp->state == K_RUNNING)
            go_end(k, kp, kp->exit_code, kp->oom);
        break;
    case T_RESTART:
        if (kp->state == K_BACKOFF) {
            kp->restarts++;
            go_running(k, kp);
        }
        break;
    case T_STOPPED:
        if (kp->state == K_STOPPING) {
            containers_log_end(k, kp, 0, "Completed");
            remove_now(k, kp->ns, kp->name, kp->uid);
        }
        break;
    default:
        break;
    }
}

static void run_timers(struct sim_kubelet *k)
{
    int64_t now = now_ms(k);
    size_t budget = 10000;
    while (k->hn && k->heap[0].due <= now && budget-- && !atomic_load(&k->stop)) {
        struct ktimer t = heap_pop(k);
        fire(k, &t);
        free(t.key);
    }
}

static void run_cmds(struct sim_kubelet *k)
{
    pthread_mutex_lock(&k->mu);
    struct slu_vec cmds = k->cmds;
    memset(&k->cmds, 0, sizeof(k->cmds));
    pthread_mutex_unlock(&k->mu);
    for (size_t i = 0; i < cmds.len; i++) {
        struct kcmd *cmd = cmds.items[i];
        if (cmd->is_exit) {
            char *key = slu_asprintf("%s/%s", cmd->ns ? cmd->ns : "", cmd->name);
            struct kpod *kp = slu_map_get(&k->pods, key);
            free(key);
            if (kp && (!cmd->uid || slu_streq(cmd->uid, kp->uid)) && kp->state == K_RUNNING)
                go_end(k, kp, cmd->exit_code, cmd->oom);
        } else {
            struct ktimer t = {0};
            t.due = now_ms(k) + (cmd->delay_ms > 0 ? cmd->delay_ms : 0);
            t.kind = T_AFTER;
            t.fn = cmd->fn;
            t.arg = cmd->arg;
            heap_push(k, t);
        }
        free(cmd->ns);
        free(cmd->name);
        free(cmd->uid);
        free(cmd);
    }
    slu_vec_release(&cmds, NULL);
}

void sim_kubelet__post_exit(struct sim_kubelet *k, const char *ns, const char *pod, const char *uid,
                            int exit_code)
{
    struct kcmd *cmd = slu_calloc(1, sizeof(*cmd));
    cmd->is_exit = true;
    cmd->ns = slu_strdup(ns);
    cmd->name = slu_strdup(pod);
    cmd->uid = slu_strdup(uid);
    cmd->exit_code = exit_code;
    pthread_mutex_lock(&k->mu);
    slu_vec_push(&k->cmds, cmd);
    pthread_mutex_unlock(&k->mu);
}

void sim_kubelet__post_oom(struct sim_kubelet *k, const char *ns, const char *pod, const char *uid)
{
    struct kcmd *cmd = slu_calloc(1, sizeof(*cmd));
    cmd->is_exit = true;
    cmd->oom = true;
    cmd->ns = slu_strdup(ns);
    cmd->name = slu_strdup(pod);
    cmd->uid = slu_strdup(uid);
    cmd->exit_code = 137;
    pthread_mutex_lock(&k->mu);
    slu_vec_push(&k->cmds, cmd);
    pthread_mutex_unlock(&k->mu);
}

void sim_kubelet__post_after(struct sim_kubelet *k, int64_t model_ms,
                             void (*fn)(struct sim_cluster *c, void *arg), void *arg)
{
    struct kcmd *cmd = slu_calloc(1, sizeof(*cmd));
    cmd->delay_ms = model_ms;
    cmd->fn = fn;
    cmd->arg = arg;
    pthread_mutex_lock(&k->mu);
    slu_vec_push(&k->cmds, cmd);
    pthread_mutex_unlock(&k->mu);
}

/* ---------------------------------------------------------------- thread */

/* (Re)builds from lists, keeping the state of pods that still exist (timers survive). */
static int resync(struct sim_kubelet *k)
{
    pthread_mutex_lock(&k->mu);
    struct sim_watcher *old = k->w;
    k->w = NULL;
    pthread_mutex_unlock(&k->mu);
    if (old)
        sim_watcher_free(old);
    struct sim_watcher *w = NULL;
    const struct sim_rtype *rts[2] = {k->pods_rt, k->nodes_rt};
    int rc = sim_store_watch_types(k->st, rts, 2, sim_store_rv(k->st), &w, NULL);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&k->mu);
    k->w = w;
    pthread_mutex_unlock(&k->mu);
    json_t *nodes = NULL, *pods = NULL;
    if ((rc = sim_store_list(k->st, k->nodes_rt, NULL, NULL, &nodes, NULL)) != 0)
        return rc;
    if ((rc = sim_store_list(k->st, k->pods_rt, NULL, NULL, &pods, NULL)) != 0) {
        json_decref(nodes);
        return rc;
    }
    k->nodes_list_rv = sim_list_rv(nodes);
    k->pods_list_rv = sim_list_rv(pods);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(nodes, "items"), i, o) node_event(k, "ADDED", o);
    struct slu_map seen;
    slu_map_init(&seen, NULL);
    json_array_foreach(json_object_get(pods, "items"), i, o)
    {
        char *key =
            slu_asprintf("%s/%s", str_or(kube_object_namespace(o), ""), kube_object_name(o));
        slu_map_put(&seen, key, NULL);
        free(key);
        pod_event(k, "ADDED", o);
    }
    /* pods we track that are gone */
    struct slu_vec gone = {0};
    size_t it = 0;
    const char *key;
    void *v;
    while (slu_map_next(&k->pods, &it, &key, &v))
        if (!slu_map_has(&seen, key))
            slu_vec_push(&gone, v);
    for (i = 0; i < gone.len; i++)
        kpod_gone(k, gone.items[i]);
    slu_vec_release(&gone, NULL);
    slu_map_release(&seen);
    json_decref(nodes);
    json_decref(pods);
    return 0;
}

static void *kubelet_main(void *arg)
{
    struct sim_kubelet *k = arg;
    bool need_resync = true;
    while (!atomic_load(&k->stop)) {
        if (need_resync) {
            if (resync(k) != 0) {
                if (atomic_load(&k->stop))
                    break;
                slu_sleep_ms(POLL_MS);
                continue;
            }
            need_resync = false;
        }
        run_cmds(k);
        run_timers(k);
        int64_t wait = POLL_MS;
        if (k->hn) {
            int64_t until = k->heap[0].due - now_ms(k);
            int64_t real = sim_clock_real_ms(k->clock, until);
            if (real < wait)
                wait = real;
        }
        struct sim_event ev;
        int rc = sim_watcher_next(k->w, &ev, wait);
        size_t batch = 0;
        while (rc == 0) {
            handle_event(k, &ev);
            sim_event_release(&ev);
            if (++batch >= 4096)
                break;
            rc = sim_watcher_next(k->w, &ev, 0);
        }
        if (rc != 0 && rc != SLU_ETIMEDOUT) {
            if (atomic_load(&k->stop))
                break;
            need_resync = true;
        }
    }
    return NULL;
}

int sim_kubelet_start(struct sim_cluster *c, struct sim_kubelet **out, struct slu_err *err)
{
    *out = NULL;
    struct sim_kubelet *k = slu_calloc(1, sizeof(*k));
    k->c = c;
    k->st = sim_cluster_store(c);
    k->clock = sim_cluster_clock(c);
    k->pods_rt = sim_store_type(k->st, "", "v1", "pods");
    k->nodes_rt = sim_store_type(k->st, "", "v1", "nodes");
    if (!k->pods_rt || !k->nodes_rt) {
        free(k);
        return slu_err_set(err, SLU_ESTATE, "kubelet: the store serves no pods or nodes");
    }
    k->rng = slu_random_u64() | 1;
    pthread_mutex_init(&k->mu, NULL);
    slu_map_init(&k->pods, kpod_free);
    slu_map_init(&k->nodes, free);
    atomic_init(&k->stop, false);
    if (pthread_create(&k->th, NULL, kubelet_main, k) != 0) {
        sim_kubelet_stop(k);
        return slu_err_set(err, SLU_ESTATE, "kubelet: cannot start a thread");
    }
    k->started = true;
    *out = k;
    return 0;
}

void sim_kubelet_stop(struct sim_kubelet *k)
{
    if (!k)
        return;
    atomic_store(&k->stop, true);
    pthread_mutex_lock(&k->mu);
    if (k->w)
        sim_watcher_cancel(k->w);
    pthread_mutex_unlock(&k->mu);
    if (k->started)
        pthread_join(k->th, NULL);
    if (k->w)
        sim_watcher_free(k->w);
    for (size_t i = 0; i < k->hn; i++)
        free(k->heap[i].key);
    free(k->heap);
    for (size_t i = 0; i < k->cmds.len; i++) {
        struct kcmd *cmd = k->cmds.items[i];
        free(cmd->ns);
        free(cmd->name);
        free(cmd->uid);
        free(cmd);
    }
    slu_vec_release(&k->cmds, NULL);
    slu_map_release(&k->pods);
    slu_map_release(&k->nodes);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
