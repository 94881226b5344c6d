/*
 * parts.h - private to src/sim: the seams between the sim's parts, so that each can be written
 * and tested alone.
 *
 *   schema.c   structural-schema validation, pruning and defaulting (CRDs)
 *   crd.c      CRD objects -> served types; CRD status (NamesAccepted, Established)
 *   openapi.c  /openapi/v2 and /openapi/v3 documents
 *   table.c    server-side printing (meta.k8s.io/v1 Table), JSONPath for printer columns
 *   nodes.c, scheduler.c, kubelet.c   the cluster model behind the API
 *   faults.c   fault injection
 */
#ifndef SLU_SIM_PARTS_H
#define SLU_SIM_PARTS_H

#include "sim/store.h"

/* ---------------------------------------------------------------- schema.c */

/* Applies a structural openAPIV3Schema to obj in place, as the real API server does for custom
 * resources: drops undeclared fields (unless x-kubernetes-preserve-unknown-fields), applies
 * `default`s (when apply_defaults), and validates types, required, enum, minimum/maximum,
 * pattern, maxLength, nullable, x-kubernetes-int-or-string. metadata/apiVersion/kind are left to
 * the caller. field_validation: "Strict" -> an undeclared field is SLU_EBADREQUEST
 * (`strict decoding error: unknown field "spec.x"`); "Warn" -> pruned and a warning appended to
 * warnings (may be NULL); "Ignore" (or NULL) -> pruned silently. Violations: SLU_EINVAL with one
 * cause per violation (field path "spec.driver.cores", message as the real server words it). */
int sim_schema_apply(const json_t *schema, json_t *obj, bool apply_defaults,
                     const char *field_validation, struct slu_buf *warnings, struct slu_err *err);
/* Checks that a CRD schema is structural enough to serve; SLU_EINVAL with causes if not. */
int sim_schema_check(const json_t *schema, struct slu_err *err);

/* ---------------------------------------------------------------- crd.c */

/* Validates a CRD object (apiextensions.k8s.io/v1) and returns one sim_rtype per served version
 * (heap-allocated, pushed onto out; owned by the caller, free with sim_rtype_free). */
int sim_crd_types(const json_t *crd, struct slu_vec *out, struct slu_err *err);
void sim_rtype_free(struct sim_rtype *rt);
/* Sets status.acceptedNames and conditions NamesAccepted/Established=True on crd (a private
 * copy being written). */
void sim_crd_set_established(json_t *crd);

/* ---------------------------------------------------------------- openapi.c */

/* GET /openapi/v3 (returned owned). */
json_t *sim_openapi_v3_root(struct sim_store *st);
/* GET /openapi/v3/{api/v1 | apis/G/V}; NULL when the group-version is unknown. */
json_t *sim_openapi_v3_gv(struct sim_store *st, const char *group, const char *version);
/* GET /openapi/v2 (swagger 2.0, with x-kubernetes-group-version-kind). */
json_t *sim_openapi_v2(struct sim_store *st);

/* ---------------------------------------------------------------- table.c */

/* A meta.k8s.io/v1 Table for one object or a List (returned owned). Columns: CRD
 * additionalPrinterColumns (priority > 0 only when wide... all columns are sent; kubectl filters
 * by priority), pods NAME READY STATUS RESTARTS AGE (+IP NODE ... priority 1), nodes NAME STATUS
 * ROLES AGE VERSION, otherwise NAME AGE. include_object: "Object" (full), "Metadata", "None". */
json_t *sim_table(const struct sim_rtype *rt, const json_t *obj_or_list,
                  const char *include_object);
/* Evaluates a kubectl-style JSONPath (".status.applicationState.state", ".spec.x[0].y",
 * ".metadata.labels['a.b/c']") against obj: a borrowed value or NULL. */
const json_t *sim_jsonpath(const json_t *obj, const char *path);

/* ---------------------------------------------------------------- nodes.c, scheduler.c, kubelet.c
 */

struct sim_cluster_opts {
    const char
        *nodes_spec;   /* e.g. "3x8c32Gi" or "20x32c128Gi:pool=a:taint=k=v:NoSchedule;2x4c16Gi" */
    double time_scale; /* > 0; 1 = real time */
    int64_t start_delay_ms_min; /* kubelet start-up delay (model time), default 500..1500 */
    int64_t start_delay_ms_max;
};
struct sim_cluster;
/* Creates the nodes and starts the scheduler and kubelet threads. */
int sim_cluster_start(struct sim_store *st, const struct sim_cluster_opts *o,
                      struct sim_cluster **out, struct slu_err *err);
void sim_cluster_stop(struct sim_cluster *c);
/* Reads a container's log from byte offset: appends to out, sets *ended when the container has
 * terminated and everything was read. SLU_ENOTFOUND for an unknown pod/container.
 * container NULL: the pod's only/first container. previous: the previous instance. */
int sim_cluster_read_log(struct sim_cluster *c, const char *ns, const char *pod,
                         const char *container, bool previous, size_t offset, struct slu_buf *out,
                         bool *ended, struct slu_err *err);
/* Appends a line to a container log (used by the models, e.g. the Spark driver). */
void sim_cluster_log(struct sim_cluster *c, const char *ns, const char *pod, const char *container,
                     const char *fmt, ...) SLU_PRINTF(5, 6);
/* Parses a nodes spec into node objects (returned owned array), for tests. */
int sim_nodes_parse(const char *spec, json_t **nodes, struct slu_err *err);

/* ---------------------------------------------------------------- cluster model internals
 * (nodes.c, scheduler.c, kubelet.c, cluster.c): the pure pieces are exposed for unit tests; the
 * threads are seams between cluster.c and the two controllers. Additive to the contract above. */

/* Annotations read by the kubelet model. */
#define SIM_ANN_RUN_SECONDS "sim.sluice.dev/run-seconds"
#define SIM_ANN_EXIT_CODE "sim.sluice.dev/exit-code"
#define SIM_ANN_OOM "sim.sluice.dev/oom"
#define SIM_ANN_STOP_SECONDS "sim.sluice.dev/stop-seconds"
/* Per-container log cap (the tail is kept). */
#define SIM_LOG_CAP ((size_t)1 << 20)

/* The model clock: real monotonic time since start x scale. */
struct sim_clock {
    double scale;
    int64_t t0_mono_ns;
    int64_t t0_real_ns;
};
void sim_clock_init(struct sim_clock *k, double scale);
int64_t sim_clock_now_ms(const struct sim_clock *k); /* model ms since start */
/* Real milliseconds (rounded up, >= 0) that a model duration takes. */
int64_t sim_clock_real_ms(const struct sim_clock *k, int64_t model_ms);

/* Object helpers shared by the scheduler and the kubelet (nodes.c). */
/* The condition of `type` in the array conds (borrowed, NULL when absent); *idx gets its
 * index. */
json_t *sim_condition_find(const json_t *conds, const char *type, size_t *idx);
/* Sets the condition `type` in st.conditions (the array is created when absent) to a fresh
 * {type, status, lastProbeTime: null, lastTransitionTime, reason, message} (reason, message:
 * NULL leaves them out), replacing the old one in place or appending. lastTransitionTime is
 * kept from the old condition when its status is the same, else it is `now`. */
void sim_condition_put(json_t *st, const char *type, const char *status, const char *reason,
                       const char *message, const char *now);
/* metadata.resourceVersion of a list as a number (0 when absent or bad). */
uint64_t sim_list_rv(const json_t *list);

/* Resource amounts as the scheduler counts them: cpu in millicores, memory and ephemeral storage
 * in bytes, pods as a count, extended resources (nvidia.com/gpu, hugepages-2Mi...) in units.
 * nz_cpu_m/nz_mem are the same requests with the scheduler's non-zero defaults (100m, 200Mi per
 * container without a request), used only for scoring. */
struct sim_scalar {
    char *name; /* owned */
    int64_t value;
};
struct sim_resources {
    int64_t cpu_m, mem, eph, pods;
    int64_t nz_cpu_m, nz_mem;
    size_t nscalar;
    struct sim_scalar *scalar; /* owned */
};
void sim_resources_release(struct sim_resources *r);
void sim_resources_add(struct sim_resources *acc, const struct sim_resources *r);
void sim_resources_sub(struct sim_resources *acc, const struct sim_resources *r);
int64_t sim_resources_scalar(const struct sim_resources *r, const char *name);
/* A pod's effective requests (pods = 1): per resource max(sum over containers + sidecars,
 * max over init containers incl. earlier sidecars) + spec.overhead; a container's limit stands
 * for its missing request. Bad quantities count as 0. out is overwritten (release it first). */
void sim_pod_requests(const json_t *pod, struct sim_resources *out);
/* status.allocatable of a node (falls back to capacity). */
void sim_node_allocatable(const json_t *node, struct sim_resources *out);

/* Scheduler decision (pure). One candidate node: the Node object (borrowed), its allocatable
 * and the summed requests of the non-terminal pods bound to it (used.pods = their count). */
struct sim_sched_node {
    const json_t *node;
    struct sim_resources alloc;
    struct sim_resources used;
};
/* Picks the node for pod (req = sim_pod_requests(pod)): filters (unschedulable, taints,
 * nodeSelector/required node affinity, resources) then least-allocated scoring, ties to the
 * lowest index. Returns the index, or -1 with why set to the real scheduler's message
 * ("0/3 nodes are available: ... preemption: ..."). why may be NULL. */
int sim_sched_pick(const json_t *pod, const struct sim_resources *req,
                   const struct sim_sched_node *nodes, size_t n, struct slu_buf *why);
/* nodeSelector and requiredDuringScheduling node affinity. */
bool sim_sched_affinity_matches(const json_t *pod, const json_t *node);
/* The first NoSchedule/NoExecute taint of node that pod does not tolerate (borrowed), or NULL. */
const json_t *sim_sched_untolerated_taint(const json_t *pod, const json_t *node);

/* The scheduler and kubelet threads (started by sim_cluster_start). */
struct sim_scheduler;
int sim_scheduler_start(struct sim_store *st, struct sim_scheduler **out, struct slu_err *err);
void sim_scheduler_stop(struct sim_scheduler *s);
/* Binds/decides everything pending so far and returns (for tests; bounded by timeout_ms):
 * true when the scheduler had caught up with the store's resourceVersion at call time. */
bool sim_scheduler_wait_idle(struct sim_scheduler *s, int64_t timeout_ms);

/* Pod models: behaviour for pods with label spark-role=<role> (e.g. the Spark driver model).
 * Callbacks run on the kubelet thread and must not block; they may use the store, the logs,
 * sim_cluster_after and sim_cluster_pod_exit. */
struct sim_pod_model {
    const char *role; /* value of label spark-role, e.g. "driver" (static) */
    /* The pod's containers have just started (pod is the stored Running pod). Return true to own
     * the pod's lifetime: run-seconds is then ignored and the model ends the pod with
     * sim_cluster_pod_exit. */
    bool (*on_running)(struct sim_cluster *c, const json_t *pod, void *arg);
    /* The pod got a deletionTimestamp (optional). */
    void (*on_deleting)(struct sim_cluster *c, const json_t *pod, void *arg);
    /* The pod is gone from the store (optional). */
    void (*on_gone)(struct sim_cluster *c, const char *ns, const char *name, const char *uid,
                    void *arg);
    void *arg;
};
/* Registers a model (copied; role borrowed and must be static). At most 8. */
int sim_cluster_add_model(struct sim_cluster *c, const struct sim_pod_model *m,
                          struct slu_err *err);
/* Ends every container of the pod with exit_code (from any thread): phase as the restart
 * policy says. uid may be NULL (any). */
void sim_cluster_pod_exit(struct sim_cluster *c, const char *ns, const char *pod, const char *uid,
                          int exit_code);
/* Ends every container of the pod as an OOM kill (exit code 137, reason OOMKilled), from any
 * thread; as sim_cluster_pod_exit otherwise. */
void sim_cluster_pod_oom(struct sim_cluster *c, const char *ns, const char *pod, const char *uid);
/* The calling model writes this container's log itself (container NULL: every container of the
 * pod): no heartbeat lines, and no final line when it ends. Until the container restarts. */
void sim_cluster_log_own(struct sim_cluster *c, const char *ns, const char *pod,
                         const char *container);
/* Runs fn(c, arg) on the kubelet thread after model_ms of model time (from any thread). */
void sim_cluster_after(struct sim_cluster *c, int64_t model_ms,
                       void (*fn)(struct sim_cluster *c, void *arg), void *arg);
struct sim_store *sim_cluster_store(struct sim_cluster *c);
const struct sim_clock *sim_cluster_clock(struct sim_cluster *c);
/* Like sim_cluster_read_log, with offsets that stay right when the log's head was dropped at the
 * cap: *next_offset is where the next read should start. */
int sim_cluster_read_log_at(struct sim_cluster *c, const char *ns, const char *pod,
                            const char *container, bool previous, size_t offset,
                            struct slu_buf *out, size_t *next_offset, bool *ended,
                            struct slu_err *err);

/* Log storage (cluster.c) used by the kubelet: a container instance starts (a new log; the old
 * one becomes "previous"), or ends (the final line; readers then see ended). */
void sim_cluster__log_start(struct sim_cluster *c, const char *ns, const char *pod,
                            const char *container, const char *image);
void sim_cluster__log_end(struct sim_cluster *c, const char *ns, const char *pod,
                          const char *container, int exit_code, const char *reason);
void sim_cluster__log_drop_pod(struct sim_cluster *c, const char *ns, const char *pod);

/* Kubelet (kubelet.c), run by the cluster. */
struct sim_kubelet;
int sim_kubelet_start(struct sim_cluster *c, struct sim_kubelet **out, struct slu_err *err);
void sim_kubelet_stop(struct sim_kubelet *k);
void sim_kubelet__post_exit(struct sim_kubelet *k, const char *ns, const char *pod, const char *uid,
                            int exit_code);
void sim_kubelet__post_oom(struct sim_kubelet *k, const char *ns, const char *pod, const char *uid);
void sim_kubelet__post_after(struct sim_kubelet *k, int64_t model_ms,
                             void (*fn)(struct sim_cluster *c, void *arg), void *arg);
/* Model lookup for a pod (cluster.c): NULL when none matches its spark-role label. */
const struct sim_pod_model *sim_cluster__model_for(struct sim_cluster *c, const json_t *pod);
/* For tests: waits (bounded) until the scheduler has handled everything written so far. */
bool sim_cluster__sched_idle(struct sim_cluster *c, int64_t timeout_ms);
/* Start-delay range (model ms) of the cluster. */
void sim_cluster__start_delay(struct sim_cluster *c, int64_t *min_ms, int64_t *max_ms);

/* ---------------------------------------------------------------- sparkdriver.c
 * The Spark driver model (and its executors): pods labelled spark-role=driver behave like
 * Spark's driver once Running (read spark.properties from the mounted conf ConfigMap, create
 * executor pods as spec spark-objects.md 11 says, run the job, clean up, exit). Started and
 * freed by the cluster (registered as the models for roles "driver" and "executor"). */

/* Annotations read by the driver model (on the driver pod). */
#define SIM_ANN_WORK "sim.sluice.dev/work-core-seconds"
#define SIM_ANN_FAIL "sim.sluice.dev/fail"

struct sim_sparkdriver;
int sim_sparkdriver_start(struct sim_cluster *c, struct sim_sparkdriver **out, struct slu_err *err);
/* After the kubelet has stopped (no callback may run any more). NULL is fine. */
void sim_sparkdriver_free(struct sim_sparkdriver *m);
/* Counters, for tests and scale checks (read without the kubelet thread's cooperation: they are
 * atomics). A driver counts as succeeded/failed when the model ends its container; the pod's
 * status is written by the kubelet right after. */
struct sim_sparkdriver_stats {
    uint64_t drivers_started, drivers_succeeded, drivers_failed;
    uint64_t executors_created, executors_running_now, drivers_active_now;
};
void sim_sparkdriver_stats(struct sim_cluster *c, struct sim_sparkdriver_stats *out);
/* The cluster's model (borrowed; NULL when none). */
struct sim_sparkdriver *sim_cluster__sparkdriver(struct sim_cluster *c);

/* ---------------------------------------------------------------- faults.c */

/* --faults spec, e.g. "error=0.05:500,429;latency=5ms;watch-cut=10s;event-window=100;
 * restart=30s;verbs=create,update". */
struct sim_faults;
int sim_faults_parse(const char *spec, struct sim_faults **out, struct slu_err *err);
void sim_faults_free(struct sim_faults *f);
/* For one request: true when it must fail, with the HTTP code and Retry-After seconds (429). */
bool sim_faults_pick_error(struct sim_faults *f, const char *verb, int *http_status,
                           int *retry_after);
int64_t sim_faults_latency_ms(struct sim_faults *f);
int64_t sim_faults_watch_cut_ms(struct sim_faults *f); /* 0: never */
size_t sim_faults_event_window(struct sim_faults *f);  /* 0: default */
int64_t sim_faults_restart_ms(struct sim_faults *f);   /* 0: never */

#endif
