/*
 * operator.h - the public contract of src/operator: the SparkApplication controller of
 * `sluice operator` (state machine of spec/sparkapplication.md §2, in-process submission,
 * executor tracking, UI Service/Ingress, PDB, TTL, Kubernetes Events, metrics), the small HTTP
 * server for /metrics, /healthz and /readyz, and (section "scheduled", another engineer) the
 * ScheduledSparkApplication controller.
 *
 * Threading (DESIGN.md): one informer per watched kind and namespace (SparkApplications, and pods
 * labelled sparkoperator.k8s.io/launched-by-spark-operator=true), whose handlers only enqueue
 * "ns/name" of the application; N worker threads reconcile keys from a rate-limited,
 * de-duplicating work queue; an event-recorder thread posts core/v1 Events. See
 * docs/internals/operator.md for the state machine, the crash-safe submission protocol and the
 * status fields.
 */
#ifndef SLU_OPERATOR_H
#define SLU_OPERATOR_H

#include <jansson.h>

#include "base/base.h"
#include "kube/kube.h"

/* ================================================================ API */

#define OP_GROUP "sparkoperator.k8s.io"
#define OP_VERSION "v1beta2"
extern const struct kube_resource OP_RES_SPARKAPPS;
extern const struct kube_resource OP_RES_SCHEDULEDSPARKAPPS;

/* Annotation/label keys the operator reads or writes (besides spark.h's SPARK_LABEL_*). */
#define OP_LABEL_SPARK_ROLE "spark-role"
#define OP_LABEL_SPARK_APP_SELECTOR "spark-app-selector"
#define OP_LABEL_SPARK_EXEC_ID "spark-exec-id"
#define OP_LABEL_CREATED_BY "sparkoperator.k8s.io/created-by-spark-operator"
#define OP_DRIVER_CONTAINER "spark-kubernetes-driver"
#define OP_EVENT_SOURCE "sluice-operator"

/* ================================================================ states (logic.c) */

enum op_state {
    OP_ST_NEW = 0, /* "" */
    OP_ST_SUBMITTED,
    OP_ST_RUNNING,
    OP_ST_COMPLETED,
    OP_ST_FAILED,
    OP_ST_SUBMISSION_FAILED,
    OP_ST_PENDING_RERUN,
    OP_ST_INVALIDATING,
    OP_ST_SUCCEEDING,
    OP_ST_FAILING,
    OP_ST_SUSPENDING,
    OP_ST_SUSPENDED,
    OP_ST_RESUMING,
    OP_ST_UNKNOWN,
    OP_ST_COUNT
};
/* "SUBMITTED", ... ("" for OP_ST_NEW). Static. */
const char *op_state_name(enum op_state s);
/* NULL or "" -> OP_ST_NEW; an unrecognised state -> OP_ST_UNKNOWN (and *known=false). */
enum op_state op_state_parse(const char *s, bool *known);
/* The state of an app object (status.applicationState.state). */
enum op_state op_app_state(const json_t *app);

enum op_driver_state {
    OP_DRV_PENDING,
    OP_DRV_RUNNING,
    OP_DRV_COMPLETED,
    OP_DRV_FAILED,
    OP_DRV_UNKNOWN,
};
const char *op_driver_state_name(enum op_driver_state s);
/* GetDriverState (spec §2 table) from a driver pod (whole or projected). When the driver
 * container terminated, *exit_code and *reason get its exit code and reason (reason may be NULL;
 * borrowed from pod), else *exit_code = -1. */
enum op_driver_state op_driver_state_of(const json_t *pod, int *exit_code, const char **reason);
/* DriverStateToApplicationState. */
enum op_state op_app_state_of_driver(enum op_driver_state d);
/* Executor pod -> PENDING|RUNNING|COMPLETED|FAILED|UNKNOWN (by phase). */
const char *op_executor_state_of(const json_t *pod);

/* ================================================================ retries (logic.c) */

/* ShouldRetry of spec §2 for state (FAILING, SUCCEEDING or SUBMISSION_FAILED), reading
 * spec.restartPolicy of app (defaults applied by the caller or not: unset intervals are 5 s) and
 * the status counters. */
bool op_should_retry(const json_t *app, enum op_state state);
/* Milliseconds until the retry is due (<= 0: due now). Fixes the reference's defect: the
 * multiplier is the counter of the failure kind: executionAttempts for run failures (counted from
 * terminationTime, else lastSubmissionAttemptTime), submissionAttempts for submission failures
 * (counted from lastSubmissionAttemptTime). now_ms: unix ms. */
int64_t op_retry_wait_ms(const json_t *app, enum op_state state, int64_t now_ms);

/* ================================================================ identity (logic.c) */

/* Hash of the spec that decides a run: canonical JSON of spec without suspend and
 * timeToLiveSeconds (changing those never re-runs an app). */
uint64_t op_spec_hash(const json_t *app);
/* The objects of submission sid of app (borrowed), as the operator creates them
 * (reconcile.c): spark_app_to_submission, then spark_build with every id derived from sid
 * (deterministic) and the creation time now_ms; with ui_ingress_url_format (NULL: none) the
 * Spark UI's proxy base as for that ingress; the driver pod owned by the app. *objects returned
 * owned: [driver pod, the other objects]. 0 or an error naming what is wrong. */
int op_build_objects(const json_t *app, const char *sid, int64_t now_ms,
                     const char *ui_ingress_url_format, json_t **objects, struct slu_err *err);

/* The operator's pod informer (controller.c), public so that bench/bench_informer.c measures
 * the very same: the projection kept per pod (identity, our labels, deletionTimestamp, phase,
 * the driver container's terminated state; returned owned), the paths its watch parses
 * (op_pod_select[0..op_pod_nselect)), and the index of each app's executors ("ns/app"). */
json_t *op_pod_project(const json_t *pod);
extern const char *const op_pod_select[];
extern const size_t op_pod_nselect;
void op_pod_index_executors(const json_t *pod, struct slu_vec *out);

/* The submission id of attempt `attempt` of the app with this uid, recorded over the app's
 * resourceVersion rv (the version the attempt's record is a compare-and-swap on; NULL: none),
 * and spec hash: "<16 hex of hash(uid, attempt, rv)>-<12 hex of spec hash>" into buf (>= 40
 * bytes). Deterministic; two reconciles that both believe they start attempt N from different
 * versions of the app get different ids, so at most one of them can be the recorded one. A
 * valid label value. */
void op_submission_id(const char *uid, int64_t attempt, const char *rv, uint64_t spec_hash,
                      char *buf, size_t n);
/* The spec-hash part of a submission id (12 hex) parsed, or false when sid has another form
 * (e.g. a UUID from the Kubeflow operator). */
bool op_submission_spec_hash(const char *sid, uint64_t *hash12);
/* True when the app's current spec differs from the one its status.submissionID was made for. */
bool op_spec_changed(const json_t *app);

/* ================================================================ executor tracking (logic.c) */

/* Rebuilds the executor part of status from the executor pods of the current submission:
 * status.executorState (map pod -> state) keeps at most max_tracked entries (lowest
 * spark-exec-id first; executors that vanished keep their last state, turned COMPLETED when the
 * app completed, FAILED when the driver is not running, else UNKNOWN), and
 * status.executorCounts {pending, running, completed, failed, unknown} counts all executors.
 * old_status: the current status (borrowed, may be NULL). pods: array of executor pods (borrowed).
 * Returns the new executorState object and sets *counts (both returned owned). */
json_t *op_executor_status(const json_t *old_status, const json_t *pods, bool driver_running,
                           bool app_completed, size_t max_tracked, json_t **counts);

/* ================================================================ UI (logic.c) */

/* `<app>-ui-svc`, shortened as the reference does (md5-free here: a stable 8-hex suffix) to at
 * most 63 chars. Returned owned. */
char *op_ui_service_name(const char *app);
char *op_ui_ingress_name(const char *app);
char *op_pdb_name(const char *app);
/* Expands {{$appName}}, {{$appNamespace}}, {{$appId}} in fmt. Returned owned. */
char *op_ingress_url(const char *fmt, const char *app, const char *ns, const char *app_id);

/* ================================================================ controller (controller.c) */

/* Admission seam: called before every submission. Return true to admit; false to hold the app
 * (it is retried after *retry_ms, default 1 s). Called on worker threads. */
typedef bool (*op_admit_fn)(void *ud, const json_t *app, int64_t *retry_ms);

struct op_controller_opts {
    const char *const *namespaces;  /* NULL-terminated; NULL or empty: all namespaces */
    int workers;                    /* default 10 */
    int64_t driver_pod_grace_ms;    /* --driver-pod-creation-grace-period, default 10,000 */
    const char *ingress_url_format; /* NULL: no UI Ingress */
    const char *ingress_class_name; /* NULL: none */
    bool disable_ui_service;        /* default: the UI Service is created */
    int64_t resync_ms;              /* periodic re-reconcile of every app, default 300,000 */
    size_t max_tracked_executors;   /* executorState entries kept, default 100 */
    double queue_qps, queue_burst;  /* error-requeue token bucket, defaults 200 / 1000 */
    op_admit_fn admit;              /* NULL: always admit */
    void *admit_ud;
};

struct op_controller;

/* Creates the controller (informers not started). c is borrowed and must outlive it. */
struct op_controller *op_controller_new(struct kube_client *c, const struct op_controller_opts *o,
                                        struct slu_err *err);
/* Starts the informers and the event recorder (handlers enqueue from then on). */
int op_controller_start(struct op_controller *ctl, struct slu_err *err);
bool op_controller_wait_synced(struct op_controller *ctl, int64_t timeout_ms);
bool op_controller_synced(struct op_controller *ctl);
/* Starts the worker threads (only the leader calls this). Idempotent. */
int op_controller_run_workers(struct op_controller *ctl);
/* Stops workers, informers and the recorder, and waits for them. Idempotent. */
void op_controller_stop(struct op_controller *ctl);
void op_controller_free(struct op_controller *ctl);
/* Reconciles one key synchronously (tests). */
int op_controller_reconcile(struct op_controller *ctl, const char *key, struct slu_err *err);
/* Appends the Prometheus text exposition of the controller's metrics to out. */
void op_controller_metrics(struct op_controller *ctl, struct slu_buf *out);

/* ================================================================ http (http.c) */

struct op_http;
/* Serves GET /metrics (metrics_fn), /healthz (always ok) and /readyz (ready_fn) on
 * "HOST:PORT" (PORT 0: a free port). Callbacks run on the server's thread. */
struct op_http *op_http_start(const char *listen, void (*metrics_fn)(void *ud, struct slu_buf *out),
                              bool (*ready_fn)(void *ud), void *ud, struct slu_err *err);
int op_http_port(struct op_http *h);
void op_http_stop(struct op_http *h);

/* ================================================================ scheduled
 * ScheduledSparkApplication controller (scheduled.c) and cron schedules (cron.c).
 * Owner: engineer "scheduled". See docs/internals/operator.md, "Scheduled applications". */

#define OP_HAVE_SCHEDULED 1

/* --- time zones (cron.c). Zones are immutable and live for the whole process (cached on first
 * load), so a returned pointer may be kept and shared between threads. */
struct op_tz;
/* "UTC" or "" -> UTC; "Local" -> the process's zone ($TZ, else /etc/localtime, else UTC);
 * otherwise an IANA name read from $TZDIR or /usr/share/zoneinfo. *out is borrowed (never
 * freed). SLU_EINVAL for a malformed name, SLU_ENOTFOUND "unknown time zone \"X\"",
 * SLU_EPARSE for a broken file. Thread-safe; never touches the TZ environment variable. */
int op_tz_load(const char *name, const struct op_tz **out, struct slu_err *err);
const char *op_tz_name(const struct op_tz *z);
/* Seconds east of UTC in force at unix time t. */
int op_tz_offset(const struct op_tz *z, int64_t t);

/* Wall-clock fields of an instant in a zone. */
struct op_civil {
    int64_t year;
    int month, day; /* 1-12, 1-31 */
    int hour, minute, second;
    int weekday; /* 0 = Sunday */
};
void op_tz_civil(const struct op_tz *z, int64_t t, struct op_civil *c);
/* The instant of a wall-clock time (fields may overflow and are normalised, as Go's time.Date;
 * a time skipped or repeated by DST resolves as Go resolves it). */
int64_t op_tz_date(const struct op_tz *z, int64_t year, int64_t month, int64_t day, int64_t hour,
                   int64_t minute, int64_t second);

/* --- cron schedules (cron.c) */
struct op_cron; /* immutable once parsed; safe to share between threads */
/* Parses spec as robfig/cron ParseStandard: "[CRON_TZ=zone |TZ=zone ]" then 5 fields
 * (minute hour day-of-month month day-of-week; lists, ranges, steps, JAN-DEC, SUN-SAT, * and ?)
 * or @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly or "@every <Go duration>".
 * tz: the zone for a spec without prefix (NULL or "": "Local"). SLU_EINVAL with a message
 * naming the field: `schedule "x": minute field: value 61 out of range 0-59`. *out returned
 * owned. */
int op_cron_parse(const char *spec, const char *tz, struct op_cron **out, struct slu_err *err);
void op_cron_free(struct op_cron *c);
/* The first fire time strictly after unix time `after` (seconds), or 0 when there is none in the
 * next five years (e.g. "0 0 30 2 *"). @every d: after + d. */
int64_t op_cron_next(const struct op_cron *c, int64_t after);
/* The @every period in seconds, or 0 for a field schedule. */
int64_t op_cron_every(const struct op_cron *c);
const struct op_tz *op_cron_tz(const struct op_cron *c); /* borrowed */
/* Go's time.ParseDuration ("1h30m", "2.5s", "300ms") into nanoseconds; SLU_EINVAL if bad. */
int op_parse_go_duration(const char *s, int64_t *ns);

/* --- the controller (scheduled.c)
 * Watches ScheduledSparkApplications and their child SparkApplications (label
 * sparkoperator.k8s.io/scheduled-app-name) and starts children on schedule (spec §1.6). Child
 * names are "<name>-<unix seconds of the scheduled time>", so a repeated reconcile of one run gets
 * AlreadyExists and never makes a second child. */
struct op_scheduled_opts {
    const char *const *namespaces; /* NULL-terminated; NULL or empty: all namespaces */
    int workers;                   /* default 2 */
    int64_t resync_ms;             /* periodic re-reconcile of every schedule, default 300,000 */
};

struct op_scheduled;

/* Creates the controller (nothing runs yet). c is borrowed and must outlive it; o may be NULL
 * (defaults) and is copied. */
struct op_scheduled *op_scheduled_new(struct kube_client *c, const struct op_scheduled_opts *o);
/* Starts the informers and the worker threads (workers wait for the caches to sync). Returns 0,
 * or SLU_ESTATE when already started. Call once. */
int op_scheduled_start(struct op_scheduled *s);
/* Stops workers and informers and waits for them. Idempotent; the controller cannot be started
 * again (make a new one). */
void op_scheduled_stop(struct op_scheduled *s);
/* Stops (if needed) and frees. NULL is allowed. */
void op_scheduled_free(struct op_scheduled *s);
/* True once both caches hold their first list. */
bool op_scheduled_synced(struct op_scheduled *s);

/* Counters (for /metrics and tests). */
struct op_scheduled_stats {
    uint64_t reconciles, runs_started, runs_skipped, children_replaced, children_pruned,
        status_updates, status_conflicts, errors;
};
void op_scheduled_stats(struct op_scheduled *s, struct op_scheduled_stats *out);
/* Appends the counters above in Prometheus text format (sluice_scheduled_<name>_total) and the
 * work queue depth (sluice_scheduled_workqueue_depth). */
void op_scheduled_metrics(struct op_scheduled *s, struct slu_buf *out);

#endif
