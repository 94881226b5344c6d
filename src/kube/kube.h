/*
 * kube.h - the whole public contract of src/kube: the Kubernetes API client and the pieces a
 * controller is built from. One generic resource client over JSON (no generated model per kind).
 *
 *   quantity   Kubernetes resource quantities, parsed/compared/added/printed as Kubernetes does
 *   selector   label and field selectors (parse, match; shared with the sim)
 *   ratelimit  token bucket
 *   workqueue  rate-limited, de-duplicating work queue (client-go semantics)
 *   config     kubeconfig / in-cluster configuration
 *   client     transport (libcurl), verbs, typed Status errors, retries, client-side QPS
 *   watch      streaming watch
 *   informer   list+watch cache with indexers and projections
 *   lease      leader election on coordination.k8s.io/v1 Lease
 *   object     helpers over object JSON (keys, owner references, conditions)
 */
#ifndef SLU_KUBE_H
#define SLU_KUBE_H

#include <jansson.h>
#include <stdatomic.h>

#include "base/base.h"
#include "json/json.h"

/* ================================================================ quantity (quantity.c) */

enum kube_qformat {
    KUBE_QF_DECIMAL_SI,  /* "1k", "500m", "1" */
    KUBE_QF_BINARY_SI,   /* "1Ki", "2Gi" */
    KUBE_QF_DECIMAL_EXP, /* "1e3" */
};

/* Value in nano-units (10^-9), which is Kubernetes' finest precision; values finer than 1n are
 * rounded up as Kubernetes rounds them. Range ±1.7e29 units; larger is a parse error. */
struct kube_quantity {
    __int128 nanos;
    enum kube_qformat format;
};

/* Parses "1200m", "2Gi", "1e3", "0.5", "+1", "-2k"... exactly the grammar of
 * k8s.io/apimachinery/pkg/api/resource. */
int kube_quantity_parse(const char *s, struct kube_quantity *q, struct slu_err *err);
/* Accepts a JSON string or number (YAML "cpu: 1" gives a number). */
int kube_quantity_from_json(const json_t *v, struct kube_quantity *q, struct slu_err *err);
/* Canonical form into buf (>= 64 bytes), exactly as Quantity.String() prints it. */
void kube_quantity_format(const struct kube_quantity *q, char *buf, size_t n);
int kube_quantity_cmp(const struct kube_quantity *a, const struct kube_quantity *b);
/* a += b / a -= b; a keeps its format (as Quantity.Add). */
void kube_quantity_add(struct kube_quantity *a, const struct kube_quantity *b);
void kube_quantity_sub(struct kube_quantity *a, const struct kube_quantity *b);
/* Value() and MilliValue(): rounded up to the unit. */
int64_t kube_quantity_value(const struct kube_quantity *q);
int64_t kube_quantity_milli(const struct kube_quantity *q);
struct kube_quantity kube_quantity_from_int(int64_t v, enum kube_qformat f);
struct kube_quantity kube_quantity_from_milli(int64_t m, enum kube_qformat f);
bool kube_quantity_is_zero(const struct kube_quantity *q);

/* ================================================================ selectors (selector.c) */

struct kube_label_selector; /* opaque, immutable after parse; safe to share between threads */

/* Parses the label selector grammar: "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k",
 * "!k", comma = AND; "" selects everything. Errors name the position. *out returned owned. */
int kube_label_selector_parse(const char *s, struct kube_label_selector **out, struct slu_err *err);
/* From a metav1.LabelSelector JSON ({matchLabels, matchExpressions}); NULL json selects all. */
int kube_label_selector_from_json(const json_t *sel, struct kube_label_selector **out,
                                  struct slu_err *err);
/* labels: the object's metadata.labels (may be NULL). */
bool kube_label_selector_matches(const struct kube_label_selector *sel, const json_t *labels);
bool kube_label_selector_is_empty(const struct kube_label_selector *sel);
char *kube_label_selector_string(const struct kube_label_selector *sel); /* returned owned */
void kube_label_selector_free(struct kube_label_selector *sel);

struct kube_field_selector; /* opaque, immutable */

/* Parses "a.b=v,c!=w" (also "=="), with Kubernetes' escapes (\, \= \\). "" selects all. */
int kube_field_selector_parse(const char *s, struct kube_field_selector **out, struct slu_err *err);
/* Checks that every field is in allowed (NULL-terminated); SLU_EBADREQUEST with
 * `field label not supported: X` otherwise. */
int kube_field_selector_check(const struct kube_field_selector *sel, const char *const *allowed,
                              struct slu_err *err);
/* Matches against the object (dotted paths resolved in obj; absent fields compare as ""). */
bool kube_field_selector_matches(const struct kube_field_selector *sel, const json_t *obj);
bool kube_field_selector_is_empty(const struct kube_field_selector *sel);
void kube_field_selector_free(struct kube_field_selector *sel);

/* ================================================================ ratelimit (ratelimit.c) */

struct kube_token_bucket {
    pthread_mutex_t mu;
    double rate; /* tokens per second; <= 0 means unlimited */
    double burst;
    double tokens;
    int64_t last_ns;
};
void kube_token_bucket_init(struct kube_token_bucket *b, double qps, double burst);
void kube_token_bucket_release(struct kube_token_bucket *b);
/* Takes one token; returns how many ns the caller must wait before using it (0: now). */
int64_t kube_token_bucket_reserve(struct kube_token_bucket *b);
/* reserve + sleep */
void kube_token_bucket_wait(struct kube_token_bucket *b);

/* ================================================================ workqueue (workqueue.c) */

struct kube_workqueue_opts {
    int64_t base_delay_ms; /* per-item exponential backoff base, default 5 ms */
    int64_t max_delay_ms;  /* cap, default 1000 s */
    double qps;            /* overall token bucket, default 50/s */
    double burst;          /* default 500 */
};

struct kube_workqueue;

/* opts may be NULL for the defaults. */
struct kube_workqueue *kube_workqueue_new(const struct kube_workqueue_opts *opts);
/* Frees; call after shutdown and after every worker returned. */
void kube_workqueue_free(struct kube_workqueue *q);
/* Adds key (copied) unless already queued; a key being processed is re-queued when done. */
void kube_workqueue_add(struct kube_workqueue *q, const char *key);
void kube_workqueue_add_after(struct kube_workqueue *q, const char *key, int64_t delay_ms);
/* add_after(max(per-item backoff, token bucket delay)). */
void kube_workqueue_add_rate_limited(struct kube_workqueue *q, const char *key);
/* Resets the per-item backoff. */
void kube_workqueue_forget(struct kube_workqueue *q, const char *key);
int kube_workqueue_num_requeues(struct kube_workqueue *q, const char *key);
/* Blocks for the next key (returned owned in *key) up to timeout_ms (<0 forever). Returns 0,
 * SLU_ETIMEDOUT, or SLU_ECANCELED once shut down (and drained, when draining). Every key
 * obtained must be passed to kube_workqueue_done. */
int kube_workqueue_get(struct kube_workqueue *q, char **key, int64_t timeout_ms);
void kube_workqueue_done(struct kube_workqueue *q, const char *key);
/* Stops accepting work; drain=true lets workers finish queued keys and waits for keys in
 * processing to be done; drain=false drops the queue. Wakes all waiting getters. */
void kube_workqueue_shutdown(struct kube_workqueue *q, bool drain);
size_t kube_workqueue_len(struct kube_workqueue *q);

/* ================================================================ config (config.c) */

struct kube_config {
    char *server;          /* "https://127.0.0.1:6443" */
    char *ca_pem;          /* CA bundle (PEM, in memory) or NULL for the system store */
    char *client_cert_pem; /* client certificate (PEM, in memory) */
    char *client_key_pem;
    char *token;      /* bearer token */
    char *token_file; /* re-read when it changes (in-cluster rotation) */
    char *username;   /* basic auth */
    char *password;
    bool insecure_skip_tls_verify;
    char *tls_server_name;
    char *namespace; /* context namespace, or "default" */
    char *context_name;
    /* exec credential plugin (client.authentication.k8s.io) */
    char *exec_command;
    char **exec_args; /* NULL-terminated */
    char **exec_env;  /* NULL-terminated "NAME=value" */
    char *exec_api_version;
    double qps;         /* client-side rate limit, default 50 */
    double burst;       /* default 100 */
    int64_t timeout_ms; /* per request (not watches), default 30,000 */
};

/* Loads a kubeconfig: path if given, else every file of $KUBECONFIG (merged, first wins), else
 * ~/.kube/config. context NULL: current-context. *out returned owned. */
int kube_config_load(const char *path, const char *context, struct kube_config **out,
                     struct slu_err *err);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT, /var/run/secrets/kubernetes.io/serviceaccount/. */
int kube_config_in_cluster(struct kube_config **out, struct slu_err *err);
/* What clients do by default: explicit path, else $KUBECONFIG, else in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. */
int kube_config_auto(const char *path, const char *context, struct kube_config **out,
                     struct slu_err *err);
void kube_config_free(struct kube_config *cfg);

/* ================================================================ client (client.c, rest.c) */

/* A resource type. Core group is "". */
struct kube_resource {
    const char *group;
    const char *version;
    const char *plural;
    const char *kind;
    bool namespaced;
};

extern const struct kube_resource KUBE_RES_NAMESPACES, KUBE_RES_PODS, KUBE_RES_CONFIGMAPS,
    KUBE_RES_SECRETS, KUBE_RES_SERVICES, KUBE_RES_SERVICEACCOUNTS, KUBE_RES_EVENTS, KUBE_RES_NODES,
    KUBE_RES_PVCS, KUBE_RES_LEASES, KUBE_RES_CRDS, KUBE_RES_INGRESSES, KUBE_RES_PDBS,
    KUBE_RES_PRIORITYCLASSES;

struct kube_client;

/* Creates a client (copies what it needs from cfg). Thread-safe: one client serves all threads,
 * reusing connections. */
struct kube_client *kube_client_new(const struct kube_config *cfg, struct slu_err *err);
void kube_client_free(struct kube_client *c);
/* The context namespace of the config ("default" when unset). Borrowed. */
const char *kube_client_namespace(const struct kube_client *c);

/* Every verb returns 0 or a negative code; on an API error err carries the Status (code,
 * http_status, reason, message, causes). *out (when non-NULL) is returned owned. ns is ignored for
 * cluster-scoped resources; NULL ns on list/watch means all namespaces. */
int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
             json_t **out, struct slu_err *err);

struct kube_list_opts {
    const char *label_selector;
    const char *field_selector;
    int64_t limit; /* 0: no limit */
    const char *continue_token;
    const char *resource_version;
    const char *resource_version_match;
};
/* One page. */
int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const struct kube_list_opts *opts, json_t **out, struct slu_err *err);
/* Every page (limit used as page size, default 500); *out is a List whose items hold all items
 * and whose metadata.resourceVersion is the first page's. */
int kube_list_all(struct kube_client *c, const struct kube_resource *r, const char *ns,
                  const struct kube_list_opts *opts, json_t **out, struct slu_err *err);
int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct slu_err *err);
int kube_update(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct slu_err *err);
int kube_update_status(struct kube_client *c, const struct kube_resource *r, const char *ns,
                       const json_t *obj, json_t **out, struct slu_err *err);

/* What a write answered, read straight from the answer's text (slu_json_scan_str) instead of
 * parsing the whole object: for callers that only need the new identity and version. A field the
 * answer lacks is left "". */
struct kube_meta {
    char uid[64];
    char resource_version[64];
};
/* kube_create, same retries and read-back, answering only the metadata. */
int kube_create_meta(struct kube_client *c, const struct kube_resource *r, const char *ns,
                     const json_t *obj, struct kube_meta *meta, struct slu_err *err);
/* kube_update_status answering only the metadata. obj may be slim: apiVersion, kind,
 * metadata.name/namespace/resourceVersion and status are all the status subresource reads. */
int kube_update_status_meta(struct kube_client *c, const struct kube_resource *r, const char *ns,
                            const json_t *obj, struct kube_meta *meta, struct slu_err *err);

enum kube_patch_type {
    KUBE_PATCH_MERGE,     /* application/merge-patch+json */
    KUBE_PATCH_JSON,      /* application/json-patch+json */
    KUBE_PATCH_STRATEGIC, /* application/strategic-merge-patch+json */
    KUBE_PATCH_APPLY, /* application/apply-patch+yaml (server-side apply; needs field_manager) */
};
/* subresource may be NULL or "status". field_manager may be NULL (required for APPLY). */
int kube_patch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const char *name, const char *subresource, enum kube_patch_type type,
               const json_t *patch, const char *field_manager, json_t **out, struct slu_err *err);

struct kube_delete_opts {
    const char *propagation_policy; /* NULL, "Background", "Foreground", "Orphan" */
    int64_t grace_period_seconds;   /* < 0: unset */
    const char *precondition_uid;
    const char *precondition_resource_version;
};
/* *out gets the returned object or Status (may be NULL). */
int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const struct kube_delete_opts *opts, json_t **out,
                struct slu_err *err);
int kube_delete_collection(struct kube_client *c, const struct kube_resource *r, const char *ns,
                           const struct kube_list_opts *sel, const struct kube_delete_opts *opts,
                           struct slu_err *err);

/* Builds ".../namespaces/ns/plural[/name[/sub]]" for r (returned owned). */
char *kube_resource_path(const struct kube_resource *r, const char *ns, const char *name,
                         const char *subresource);

/* A raw request (discovery, pod logs, bindings): path_query is "/api/v1/..?..". body may be NULL.
 * Non-2xx answers become errors (Status parsed when the body is one). resp may be NULL. */
int kube_request(struct kube_client *c, const char *method, const char *path_query,
                 const char *content_type, const char *body, size_t body_len, int *http_status,
                 struct slu_buf *resp, struct slu_err *err);

/* Batches: several independent requests pipelined on one connection (HTTP/1.1: all written at
 * once, the answers read in order), which costs one round trip and about two system calls for
 * all of them instead of per request. Each request ends as it would alone, with its own result:
 * one the batch could not settle (no answer, 429, 5xx, 401) is sent again alone with the usual
 * retries. The server processes them in order, but each one's success does not depend on the
 * others': batch only requests that are independent. */
struct kube_batch_req {
    const char *method;       /* "POST", "PUT", ... (NULL: GET); never a watch */
    const char *path_query;   /* "/api/v1/..." */
    const char *content_type; /* NULL: none */
    const char *body;         /* may be NULL */
    size_t body_len;
    struct slu_buf *resp; /* may be NULL: the 2xx body is dropped */
    /* Nobody waits for the answer (Events): when every request of a batch says so, the answers
     * are read in few wake-ups, up to 5 ms after they arrive, instead of one per answer. */
    bool unhurried;
    /* results, as kube_request's */
    int rc;
    int http_status;
    struct slu_err err; /* set when rc != 0; the caller releases it */
};
/* kube_request for each of n requests, batched. Returns how many failed. */
size_t kube_request_batch(struct kube_client *c, struct kube_batch_req *reqs, size_t n);

struct kube_create_req {
    const struct kube_resource *res;
    const char *ns; /* as kube_create's */
    const json_t *obj;
    json_t **out; /* may be NULL: the created object, owned by the caller */
    /* With out: only these paths of the answer are parsed into *out (slu_json_parse_select),
     * the rest skipped; NULL: all of it. */
    const char *const *select;
    size_t nselect;
    /* results, as kube_create's (SLU_EEXIST: it exists already) */
    int rc;
    struct slu_err err; /* set when rc != 0; the caller releases it */
};
/* kube_create for each of n objects, batched. Returns how many failed. */
size_t kube_create_batch(struct kube_client *c, struct kube_create_req *reqs, size_t n);
/* Streams a response body to a callback (pod logs with follow=true). cb returns false to stop. */
int kube_request_stream(struct kube_client *c, const char *path_query,
                        bool (*cb)(void *ud, const char *data, size_t n), void *ud,
                        const atomic_bool *stop, struct slu_err *err);

/* ================================================================ watch (watch.c) */

struct kube_watch_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version; /* NULL or "0": start with ADDED for every current object */
    bool allow_bookmarks;
    int timeout_seconds; /* 0: server default */
    /* Optional, to parse less: only these paths of each event's object are built
     * (slu_json_parse_select paths relative to the object, e.g. "metadata.labels",
     * "status.containerStatuses.*.state"); metadata.name, namespace, uid, resourceVersion and
     * deletionTimestamp are always kept, and ERROR events are parsed whole. NULL: whole objects. */
    const char *const *select;
    size_t nselect;
    /* Optional: called instead of cb with, in addition, the raw JSON text of the event's object
     * (valid during the call only), for a caller that keeps the text without printing it again. */
    bool (*raw_cb)(void *ud, const char *type, json_t *object, const char *raw, size_t raw_len);
};

/* Called for every event: type "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", object borrowed. Return
 * false to stop the watch. */
typedef bool (*kube_watch_fn)(void *ud, const char *type, json_t *object);

/* Runs one watch stream until it ends (timeout, server close: 0), cb returns false (0), *stop
 * becomes true (SLU_ECANCELED), or an error. An ERROR event carrying a 410 Status is returned as
 * SLU_EGONE after being passed to cb. */
int kube_watch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const struct kube_watch_opts *opts, kube_watch_fn cb, void *ud,
               const atomic_bool *stop, struct slu_err *err);

/* ================================================================ informer (informer.c) */

struct kube_informer_handlers {
    /* Called on the informer's thread; they must only enqueue (objects borrowed). */
    void (*on_add)(void *ud, const json_t *obj);
    void (*on_update)(void *ud, const json_t *old_obj, const json_t *new_obj);
    void (*on_delete)(void *ud, const json_t *obj);
    void *ud;
};

/* Returns a new reference to a compact projection of obj (the fields the controller reads), or
 * NULL to keep the whole object. Must keep metadata.name/namespace/resourceVersion/uid. */
typedef json_t *(*kube_project_fn)(const json_t *obj);
/* Appends the index values of obj to out (owned strings). */
typedef void (*kube_index_fn)(const json_t *obj, struct slu_vec *out);

struct kube_informer_opts {
    const struct kube_resource *resource;
    const char *namespace; /* NULL: all */
    const char *label_selector;
    const char *field_selector;
    int64_t page_size;       /* list paging, default 500 */
    int64_t resync_ms;       /* 0: no periodic resync (on_update(obj, obj) for all) */
    kube_project_fn project; /* NULL: keep whole objects */
    /* Store each object serialized instead of as a shared json_t: ~5x less memory (100k
     * projected pods in ~60 MB instead of ~300 MB) for a parse on every get/list/handler call,
     * which then return private (still immutable-by-contract) objects instead of shared ones. */
    bool compact;
    /* Optional: the paths of each watched object the handlers and project read (see
     * kube_watch_opts.select); the rest of each watch event is skipped unparsed. The list's
     * objects are still parsed whole. The array must outlive the informer. */
    const char *const *select;
    size_t nselect;
    /* on_update gets old_obj NULL (saves decoding the stored copy in compact mode), for handlers
     * that do not compare. */
    bool no_old_on_update;
};

struct kube_informer;

struct kube_informer *kube_informer_new(struct kube_client *c, const struct kube_informer_opts *o,
                                        const struct kube_informer_handlers *h);
/* Call before start. */
void kube_informer_add_index(struct kube_informer *inf, const char *name, kube_index_fn fn);
/* Starts the list+watch thread. */
int kube_informer_start(struct kube_informer *inf);
/* True once the first list has been delivered; waits up to timeout_ms (<0 forever). */
bool kube_informer_wait_synced(struct kube_informer *inf, int64_t timeout_ms);
bool kube_informer_has_synced(struct kube_informer *inf);
/* Cached object by key "ns/name" (or "name" for cluster-scoped): a new reference to an immutable
 * object (json_decref when done; never modify it), or NULL. */
json_t *kube_informer_get(struct kube_informer *inf, const char *key);
/* All cached objects / those whose index `name` has `value`: a new array (returned owned) of
 * shared immutable objects. */
json_t *kube_informer_list(struct kube_informer *inf);
json_t *kube_informer_by_index(struct kube_informer *inf, const char *name, const char *value);
size_t kube_informer_len(struct kube_informer *inf);
/* Counters for tests and metrics. */
uint64_t kube_informer_relists(struct kube_informer *inf);
/* Stops the thread and waits for it; then free. */
void kube_informer_stop(struct kube_informer *inf);
void kube_informer_free(struct kube_informer *inf);

/* ================================================================ lease (lease.c) */

struct kube_leader_opts {
    const char *lease_namespace;
    const char *lease_name;
    const char *identity;      /* unique per process */
    int64_t lease_duration_ms; /* 15,000 */
    int64_t renew_deadline_ms; /* 10,000 */
    int64_t retry_period_ms;   /* 2,000 */
    /* Called on the elector's thread. on_stopped is called when leadership is lost, before the
     * lease could expire for others: the caller must stop its work loops in it. */
    void (*on_started)(void *ud);
    void (*on_stopped)(void *ud);
    void (*on_new_leader)(void *ud, const char *identity);
    void *ud;
};

struct kube_leader;

struct kube_leader *kube_leader_new(struct kube_client *c, const struct kube_leader_opts *o);
int kube_leader_start(struct kube_leader *l);
bool kube_leader_is_leader(struct kube_leader *l);
/* Stops campaigning; a leader releases the lease (so another can take it at once). */
void kube_leader_stop(struct kube_leader *l);
void kube_leader_free(struct kube_leader *l);

/* ================================================================ object helpers (object.c) */

/* "ns/name" or "name" (returned owned). */
char *kube_object_key(const json_t *obj);
const char *kube_object_name(const json_t *obj);
const char *kube_object_namespace(const json_t *obj);
const char *kube_object_uid(const json_t *obj);
const char *kube_object_rv(const json_t *obj);
/* The ownerReference with controller=true, or NULL (borrowed). */
const json_t *kube_object_controller_ref(const json_t *obj);
/* Builds an ownerReference (returned owned) pointing at owner. */
json_t *kube_owner_ref(const json_t *owner, bool controller, bool block_owner_deletion);
/* Finds status.conditions[type] (borrowed) or NULL. */
const json_t *kube_condition_find(const json_t *obj, const char *type);
/* A DNS-1123 subdomain/label check (for names). */
bool kube_is_dns1123_subdomain(const char *s);
bool kube_is_dns1123_label(const char *s);
/* Label key/value syntax checks (qualified name with optional prefix; value <= 63). Return NULL
 * when valid or a static message. */
const char *kube_label_key_invalid(const char *key);
const char *kube_label_value_invalid(const char *value);

#endif
