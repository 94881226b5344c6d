/*
 * store.h - private to src/sim: the object store behind the simulated API server, and the types
 * it serves. The HTTP layer (apiserver.c) and the in-process cluster model (scheduler, kubelet,
 * Spark driver, garbage collector) all read and write through this one API, so every write gets
 * a resourceVersion, an event in the watch window, and the same validation.
 *
 * Locking: one store mutex guards every table and the event ring; stored objects are immutable
 * json_t (shared with readers by reference: json_incref to keep, never modify); a write replaces
 * the stored object with a new one, which shares the subtrees the write left alone (spec on a
 * status write, status on a spec write) with the old one. resourceVersion is one global
 * counter.
 */
#ifndef SLU_SIM_STORE_H
#define SLU_SIM_STORE_H

#include <jansson.h>

#include "base/base.h"
#include "json/json.h"
#include "kube/kube.h"

/* A resource type the sim serves (built-in, or registered from a CRD). Immutable once
 * registered; CRD types are replaced (never freed while the store lives). */
struct sim_rtype {
    char *group; /* "" for core */
    char *version;
    char *plural;
    char *singular;
    char *kind;
    char *list_kind;
    char **short_names; /* NULL-terminated, may be NULL */
    char **categories;  /* NULL-terminated, may be NULL */
    bool namespaced;
    bool has_status; /* status subresource */
    bool has_scale;
    bool is_crd;
    json_t *schema;          /* CRD openAPIV3Schema for this version, or NULL */
    json_t *printer_columns; /* CRD additionalPrinterColumns, or NULL */
    const char *const
        *field_labels;   /* extra field-selector labels beyond metadata.name/namespace */
    char **verbs;        /* NULL-terminated */
    char **subresources; /* NULL-terminated, e.g. "status", "log", "binding", "eviction" */
};

struct sim_store;

struct sim_store *sim_store_new(size_t event_window /* events kept for watch resume */);
void sim_store_free(struct sim_store *st);

/* Types */
const struct sim_rtype *sim_store_type(struct sim_store *st, const char *group, const char *version,
                                       const char *plural);
const struct sim_rtype *sim_store_type_by_kind(struct sim_store *st, const char *api_version,
                                               const char *kind);
/* Snapshot of all served types (array of borrowed pointers, owned vec). */
void sim_store_types(struct sim_store *st, struct slu_vec *out);

/* Write options common to create/update/patch. */
struct sim_write_opts {
    bool dry_run;
    const char *field_manager;
    const char *field_validation; /* "Strict" (default), "Warn", "Ignore" */
    struct slu_buf *warnings;     /* when non-NULL, "Warning" header texts appended, \n separated */
    bool user_request;            /* an API client's write: the user-facing update rules apply
                                     (pod spec immutability, scheduling gates only removed);
                                     the in-process models leave it false */
};

/* Creates obj (taken). Sets uid, resourceVersion, creationTimestamp, generation, namespace;
 * resolves generateName; applies defaults and validation. *out (new reference) may be NULL. */
int sim_store_create(struct sim_store *st, const struct sim_rtype *rt, const char *ns, json_t *obj,
                     const struct sim_write_opts *wo, json_t **out, struct slu_err *err);
/* Stored object (new reference, immutable) or NULL. */
json_t *sim_store_get(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                      const char *name);
/* Replaces the object (obj taken); a set, stale metadata.resourceVersion gives SLU_ECONFLICT.
 * subresource NULL: status is kept from the stored object for has_status types; "status": only
 * status changes. */
int sim_store_update(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, json_t *obj, const char *subresource,
                     const struct sim_write_opts *wo, json_t **out, struct slu_err *err);
/* Atomic read-modify-write: fn gets a private deep copy to change; returning non-zero aborts
 * (that code is returned); returning 0 with no change writes nothing. */
typedef int (*sim_mutate_fn)(void *ud, json_t *obj, struct slu_err *err);
int sim_store_mutate(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, const char *subresource, sim_mutate_fn fn, void *ud,
                     json_t **out, struct slu_err *err);

struct sim_delete_opts {
    const char *propagation_policy; /* NULL = Background */
    int64_t grace_period_seconds;   /* < 0 unset */
    const char *precondition_uid;
    const char *precondition_rv;
    bool dry_run;
};
/* Deletes (or marks with deletionTimestamp while finalizers/grace hold it). *out gets the
 * object as returned to clients (may be NULL). */
int sim_store_delete(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, const struct sim_delete_opts *o, json_t **out,
                     struct slu_err *err);

struct sim_list_opts {
    const struct kube_label_selector *labels; /* NULL: all */
    const struct kube_field_selector *fields; /* NULL: all */
    int64_t limit;
    const char *continue_token;
};
/* A List object (returned owned) with items, metadata.resourceVersion, metadata.continue. ns NULL
 * lists all namespaces. */
int sim_store_list(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                   const struct sim_list_opts *o, json_t **out, struct slu_err *err);
uint64_t sim_store_rv(struct sim_store *st);

/* Watch events. */
struct sim_event {
    uint64_t rv;
    const char *type; /* "ADDED", "MODIFIED", "DELETED" (static) */
    const struct sim_rtype *rt;
    json_t *obj; /* new reference (the object after the change; for DELETED the last state) */
    json_t *old; /* new reference or NULL (the object before, for MODIFIED) */
};
void sim_event_release(struct sim_event *ev);

struct sim_watcher;
/* Watches rt (NULL: every type) in ns (NULL: all) from from_rv (0: from now; callers send the
 * initial ADDED themselves from a list). SLU_EGONE when from_rv is older than the window. */
int sim_store_watch(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                    uint64_t from_rv, struct sim_watcher **out, struct slu_err *err);
/* Next event (0), SLU_ETIMEDOUT after timeout_ms, SLU_ECANCELED once closed, SLU_EGONE when
 * the watcher fell so far behind that the window no longer holds its next event. */
int sim_watcher_next(struct sim_watcher *w, struct sim_event *ev, int64_t timeout_ms);
/* The resourceVersion up to which the watcher has seen every event (for bookmarks). */
uint64_t sim_watcher_position(struct sim_watcher *w);
/* Wakes a blocked next() with SLU_ECANCELED (thread-safe), then free with _free. */
void sim_watcher_cancel(struct sim_watcher *w);
void sim_watcher_free(struct sim_watcher *w);
/* Sets the event window (fault injection "small event window"). */
void sim_store_set_event_window(struct sim_store *st, size_t n);

/* ---- additions (beyond the first contract) ---- */

/* sim_store_mutate with write options (field validation, dry run, user rules). wo may be NULL.
 * fn runs under the store lock: it must not call back into the store. */
int sim_store_mutate_opts(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                          const char *name, const char *subresource,
                          const struct sim_write_opts *wo, sim_mutate_fn fn, void *ud, json_t **out,
                          struct slu_err *err);
/* sim_store_mutate(..., "status") for the in-process models: fn gets a private copy of status
 * and must change nothing else (spec and the rest are shared with the stored object, read-only;
 * a change of metadata's top level is dropped, as for any status write); saves a deep copy of
 * the object per write. The new version shares all but status with the old one. */
int sim_store_mutate_status(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                            const char *name, sim_mutate_fn fn, void *ud, json_t **out,
                            struct slu_err *err);
/* Binds a pending pod to a node (as POST pods/NAME/binding): sets spec.nodeName and the
 * PodScheduled=True condition. SLU_ECONFLICT when already bound, SLU_ENOTFOUND. */
int sim_store_bind(struct sim_store *st, const char *ns, const char *name, const char *node,
                   struct slu_err *err);
/* Runs one pass of the background work (remove emptied terminating namespaces, collect
 * objects whose owners never existed, expire continue snapshots). A store thread runs it
 * every 100 ms; tests call it to be deterministic. */
void sim_store_gc_run(struct sim_store *st);
/* How long (ms) a paged list's snapshot stays valid for its continue token (default 5 min). */
void sim_store_set_continue_ttl(struct sim_store *st, int64_t ms);
/* Number of stored objects of rt's storage (all namespaces when ns is NULL). */
size_t sim_store_count(struct sim_store *st, const struct sim_rtype *rt, const char *ns);
/* Watches the storages of n types (at most 4; all namespaces) from from_rv, as sim_store_watch
 * with rt NULL but only these types' events: the others neither wake next() nor count
 * against the watcher's place in the window. Events carry the stored version. */
int sim_store_watch_types(struct sim_store *st, const struct sim_rtype *const *rts, size_t n,
                          uint64_t from_rv, struct sim_watcher **out, struct slu_err *err);

/* Counters for scale checks and tests (a consistent snapshot). */
struct sim_store_stats {
    uint64_t rv;               /* the current resourceVersion */
    uint64_t objects;          /* stored objects, every type */
    uint64_t watchers;         /* open watchers */
    uint64_t events;           /* events appended to the window since start */
    uint64_t watcher_wakeups;  /* blocked watchers signalled for an event they want */
    uint64_t list_examined;    /* objects looked at by unpaged lists (selector checks) */
    uint64_t strings;          /* distinct string values held once for all stored objects */
    uint64_t strings_interned; /* strings added to that table since start */
};
void sim_store_stats(struct sim_store *st, struct sim_store_stats *out);

/* The built-in core/v1 pod type (borrowed), for the models. */
const struct sim_rtype *sim_store_pods(struct sim_store *st);

#endif
