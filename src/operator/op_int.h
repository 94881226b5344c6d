/* op_int.h - private to src/operator: the controller's structures shared by controller.c,
 * reconcile.c, resources.c and metrics.c. */
#ifndef SLU_OP_INT_H
#define SLU_OP_INT_H

#include <stdatomic.h>

#include "operator/operator.h"
#include "spark/spark.h"

/* logic.c helpers */
const char *op__label(const json_t *obj, const char *key); /* metadata.labels[key], borrowed */
int64_t op__time_ms(const json_t *app, const char *path);  /* RFC 3339 -> unix ms, 0 if none */

/* ---------------------------------------------------------------- metrics (metrics.c) */

#define OP_HIST_MAX 12
struct op_hist {
    size_t nb;
    double bounds[OP_HIST_MAX];
    uint64_t counts[OP_HIST_MAX]; /* cumulative is computed on output */
    uint64_t count;
    double sum;
};

struct op_metrics {
    pthread_mutex_t mu;
    uint64_t app_count, submit_count, failed_submission_count, success_count, failure_count;
    uint64_t executor_success, executor_failure;
    double success_time_sum, failure_time_sum;
    uint64_t success_time_n, failure_time_n;
    struct op_hist submit_latency, start_latency, reconcile_seconds;
    double submit_latency_sum, start_latency_sum;
    uint64_t reconcile_total, reconcile_errors, status_conflicts, submissions_created,
        events_dropped, echoes_skipped;
    int64_t running_apps, running_executors;
};
void op__metrics_init(struct op_metrics *m);
void op__metrics_release(struct op_metrics *m);
void op__hist_observe(struct op_hist *h, double v); /* caller holds m->mu */

/* ---------------------------------------------------------------- controller */

struct op_nsw {
    char *ns; /* NULL: all */
    struct kube_informer *apps;
    struct kube_informer *pods;
};

#define OP_HANDOFF_MAX 256
#define OP_EXEC_COALESCE_MS 1000
/* The work queue key "<ns/app>" OP_DEFER_SUFFIX is the end of the app's executor coalescing
 * window: the worker enqueues the app itself if a held-back change is still there ('#' is in no
 * namespace or name). */
#define OP_DEFER_SUFFIX "#defer"
/* The pod informer's index of each app's executor pods, by "ns/app". */
#define OP_IDX_APP_EXECUTORS "app-executors"

struct op_controller {
    struct kube_client *c;
    struct op_controller_opts o; /* strings below are owned copies */
    char **namespaces;
    char *ingress_url_format, *ingress_class_name;
    struct op_nsw *nsw;
    size_t nnsw;
    struct kube_workqueue *q;
    pthread_t *workers;
    int nworkers_running;
    bool started;
    pthread_mutex_t mu;
    /* observed state per app key (metrics; informer threads) */
    pthread_mutex_t obs_mu;
    struct slu_map obs;      /* key -> (intptr_t)(state + 1) */
    struct slu_map obs_exec; /* "ns/pod" -> (intptr_t)(phase code + 1) for executors */
    struct slu_map obs_drv;  /* "ns/pod" -> (uintptr_t) signature of what is read of a driver */
    struct op_metrics m;
    /* the last status this process wrote per key, until the informer has caught up with it */
    pthread_mutex_t memo_mu;
    struct slu_map memo; /* key -> json_t * (owned) */
    /* the object the app informer last handed to a handler, per queued key (owned, immutable;
     * at most OP_HANDOFF_MAX): the next reconcile takes it instead of decoding the compact cache
     * again. Under memo_mu. */
    struct slu_map handoff;
    /* key -> struct op_own * (owned): resourceVersions of this process's status writes whose
     * watch echo has not been seen yet (controller.c own_echo). Under memo_mu. */
    struct slu_map own;
    /* key -> json_t * (owned): the executor-only status change held back (reconcile.c,
     * coalesce_executor_update). Under memo_mu. */
    struct slu_map defer;
    /* key -> struct op_spec_hash * (owned): the spec hash of the app's (uid, generation), so that
     * a reconcile does not print the spec canonically again while it has not changed (the API
     * server bumps metadata.generation on every spec change). Under memo_mu. */
    struct slu_map spec_hashes;
    /* event recorder */
    struct slu_bqueue events;
    pthread_t rec_thread;
    bool rec_running;
    char hostname[128];
    /* counters read by metrics.c without a lock */
    atomic_uint_fast64_t api_calls, status_writes;
};

/* API calls through these counters (sluice_operator_api_requests_total: the benchmark's "API
 * calls per application"). */
static inline int op__get(struct op_controller *ctl, const struct kube_resource *r, const char *ns,
                          const char *name, json_t **out, struct slu_err *err)
{
    atomic_fetch_add(&ctl->api_calls, 1);
    return kube_get(ctl->c, r, ns, name, out, err);
}
static inline int op__create(struct op_controller *ctl, const struct kube_resource *r,
                             const char *ns, const json_t *obj, json_t **out, struct slu_err *err)
{
    atomic_fetch_add(&ctl->api_calls, 1);
    return kube_create(ctl->c, r, ns, obj, out, err);
}
static inline int op__create_meta(struct op_controller *ctl, const struct kube_resource *r,
                                  const char *ns, const json_t *obj, struct kube_meta *meta,
                                  struct slu_err *err)
{
    atomic_fetch_add(&ctl->api_calls, 1);
    return kube_create_meta(ctl->c, r, ns, obj, meta, err);
}
static inline int op__update_status_meta(struct op_controller *ctl, const struct kube_resource *r,
                                         const char *ns, const json_t *obj, struct kube_meta *meta,
                                         struct slu_err *err)
{
    atomic_fetch_add(&ctl->api_calls, 1);
    atomic_fetch_add(&ctl->status_writes, 1);
    return kube_update_status_meta(ctl->c, r, ns, obj, meta, err);
}
static inline int op__delete(struct op_controller *ctl, const struct kube_resource *r,
                             const char *ns, const char *name, const struct kube_delete_opts *o,
                             json_t **out, struct slu_err *err)
{
    atomic_fetch_add(&ctl->api_calls, 1);
    return kube_delete(ctl->c, r, ns, name, o, out, err);
}

/* informer lookups (controller.c) */
/* The app of key to reconcile: the object handed over by the informer's handler, else the cached
 * one (a new reference), or NULL. */
json_t *op__app_take(struct op_controller *ctl, struct op_nsw *w, const char *key);
struct op_nsw *op__nsw_for(struct op_controller *ctl, const char *ns);
/* Records a core/v1 Event about app (borrowed) asynchronously. type "Normal"/"Warning". */
void op__event(struct op_controller *ctl, const json_t *app, const char *type, const char *reason,
               const char *fmt, ...) SLU_PRINTF(5, 6);

/* Records obj (borrowed), just written by this process as key's status, so that its watch echo
 * is not reconciled again and, until the cache has it, reconciles start from it (the memo); both
 * are skipped when the informer already delivered that version (controller.c). */
void op__own_write(struct op_controller *ctl, const char *key, json_t *obj);

/* reconcile.c: reconciles app (taken) of key; *requeue_ms set (> 0) for a timed re-check. */
int op__reconcile(struct op_controller *ctl, const char *key, int64_t *requeue_ms,
                  struct slu_err *err);

/* resources.c */
json_t *op__app_owner_refs(const json_t *app); /* [controller ref to app], returned owned */
bool op__transient(int rc); /* 5xx, 429, timeouts, transport: the outcome is unknown */
int op__ensure_ui(struct op_controller *ctl, const json_t *app, json_t *status,
                  struct slu_err *err);
/* The UI Service op__ensure_ui would create for app (returned owned), or NULL when none is due
 * (disabled, or status.driverInfo has it already); status: the status being built. */
json_t *op__ui_service_build(struct op_controller *ctl, const json_t *app, json_t *status);
/* Records the created (or found) UI Service svc in status.driverInfo (webUI*). */
void op__ui_service_record(const json_t *app, json_t *status, const json_t *svc);
int op__ensure_pdb(struct op_controller *ctl, const json_t *app, struct slu_err *err);
int op__delete_pdb(struct op_controller *ctl, const json_t *app, struct slu_err *err);
/* Deletes the driver pod (if it is this app's), PDB, UI Service and Ingress. */
int op__delete_resources(struct op_controller *ctl, const json_t *app, struct slu_err *err);
/* Cached driver pod of this app (any submission) by name, or NULL (new reference). */
json_t *op__cached_driver(struct op_controller *ctl, const json_t *app, const char *pod_name);

/* batch.c: spec.batchScheduler integration (Volcano, YuniKorn, kube-scheduler).
 * op__batch_prepare runs once per submission attempt, after the attempt is recorded and before
 * the driver pod is created: it adjusts the built objects (objects[0] is the driver pod; the
 * executor pod template is carried in the conf) and creates the scheduler's own objects (e.g. a
 * Volcano PodGroup, idempotently). 0, or a negative code: transient (op__transient) means retry,
 * anything else fails the submission with err's message.
 * op__batch_cleanup runs when the app reaches a terminal state or is reset for a rerun: deletes
 * what op__batch_prepare created (absent is fine). */
int op__batch_prepare(struct op_controller *ctl, const json_t *app, json_t *objects,
                      struct slu_err *err);
int op__batch_cleanup(struct op_controller *ctl, const json_t *app, struct slu_err *err);
/* Does app name a batch scheduler (op__batch_prepare has work)? */
bool op__batch_needed(const json_t *app);
/* `spark-<app>-pg`, the Volcano PodGroup of app. Returned owned. */
char *op__podgroup_name(const char *app);

/* ingress.c: spec.driverIngressOptions. op__ensure_driver_ingresses (called by op__ensure_ui)
 * creates each entry's Service `<app>-driver-<port>` and, with an ingressURLFormat, Ingress
 * `<app>-ing-<port>`, once per submission attempt (status: the status being built, for
 * submissionID and sparkApplicationId; borrowed). Without entries it costs two json_object_get.
 * op__delete_driver_ingresses (called by op__delete_resources) deletes them (absent is fine). */
int op__ensure_driver_ingresses(struct op_controller *ctl, const json_t *app, const json_t *status,
                                struct slu_err *err);
int op__delete_driver_ingresses(struct op_controller *ctl, const json_t *app, struct slu_err *err);
char *op__driver_ingress_service_name(const char *app, int64_t port); /* owned */
char *op__driver_ingress_name(const char *app, int64_t port);         /* owned */

#endif
