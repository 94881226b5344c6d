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
                     const char *field_validation, struct slu_buf *warnings,
                     struct slu_err *err);
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

/* ---------------------------------------------------------------- nodes.c, scheduler.c, kubelet.c */

struct sim_cluster_opts {
    const char *nodes_spec;  /* e.g. "3x8c32Gi" or "20x32c128Gi:pool=a:taint=k=v:NoSchedule;2x4c16Gi" */
    double time_scale;       /* > 0; 1 = real time */
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
                         const char *container, bool previous, size_t offset,
                         struct slu_buf *out, bool *ended, struct slu_err *err);
/* Appends a line to a container log (used by the models, e.g. the Spark driver). */
void sim_cluster_log(struct sim_cluster *c, const char *ns, const char *pod,
                     const char *container, const char *fmt, ...) SLU_PRINTF(5, 6);
/* Parses a nodes spec into node objects (returned owned array), for tests. */
int sim_nodes_parse(const char *spec, json_t **nodes, struct slu_err *err);

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
int64_t sim_faults_watch_cut_ms(struct sim_faults *f);  /* 0: never */
size_t sim_faults_event_window(struct sim_faults *f);   /* 0: default */
int64_t sim_faults_restart_ms(struct sim_faults *f);    /* 0: never */

#endif
