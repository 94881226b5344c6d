/*
 * store.c - the object store behind `sluice sim`: served types, objects, resourceVersions, the
 * watch event window, paged-list snapshots, finalizers, garbage collection and the namespace
 * lifecycle.
 *
 * How it works. One mutex guards everything. Objects of one storage (a group + plural, shared
 * by every served version of a CRD) live in a hash map per namespace (ns "" for cluster-scoped
 * kinds), so a write is O(1) and a namespaced list is O(objects in the namespace). Stored
 * objects are immutable json_t shared by reference; a write builds a new object and swaps it
 * in. Every write bumps the one global resourceVersion counter and appends exactly one event to
 * a ring buffer (the watch window); watchers keep a sequence cursor into the ring and sleep on
 * one condition variable. Validation and defaulting run before the lock is taken where they
 * can (create), under it where they need the stored object (update, mutate).
 *
 * Garbage collection is synchronous with the delete that causes it: an index maps each owner
 * uid to the uids of its dependents, so removing an object visits just its dependents
 * (background cascade), a foreground owner waits with the `foregroundDeletion` finalizer until
 * its last dependent is removed, and orphaning strips the owner reference. A background thread
 * removes terminating namespaces once they are empty, collects objects created with owners
 * that do not exist, and expires continue snapshots.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

/* The watch window: as many events as the API server's watch cache keeps at most for one
 * resource type (k8s.io/apiserver storage/cacher: defaultUpperBoundCapacity = 100 * 1024, the
 * cache sized to hold 75 s of history), here for all types together. With 10,000 a watcher that
 * fell one second behind a 10,000-application burst got 410 Gone, which the real API server
 * does not do. */
#define DEFAULT_EVENT_WINDOW (100 * 1024)
#define DEFAULT_CONTINUE_TTL_MS (5 * 60 * 1000)
#define MAX_SNAPSHOTS 512
#define MAX_GC_DEPTH 64

struct nsbucket {
    struct slu_map objs; /* name -> json_t* (one reference owned) */
};

struct tstore {
    char *key;                  /* "group/plural" */
    const struct sim_rtype *rt; /* the type most recently registered for this storage */
    struct slu_map by_ns;       /* ns ("" when cluster-scoped) -> struct nsbucket* */
    size_t count;
    /* label index: "ns\x1fkey\x1fvalue" -> struct slu_map* (name -> non-NULL), for the
     * labels in INDEXED_LABELS only */
    struct slu_map lidx;
};

/* Labels whose key=value pairs are indexed: the ones that name one application and that lists
 * select by (Spark's cleanup, and the Spark driver model's, by spark-app-selector; the
 * operator's scheduled runs by scheduled-app-name). A list whose selector requires one of them
 * by equality visits just that index entry instead of the namespace. */
static const char *const INDEXED_LABELS[] = {
    "spark-app-selector",
    "sparkoperator.k8s.io/app-name",
    "sparkoperator.k8s.io/scheduled-app-name",
};

struct uidloc {
    struct tstore *ts;
    char *ns; /* "" for cluster-scoped */
    char *name;
};

struct snap {
    struct slu_vec items; /* json_t* references */
    uint64_t rv;
    int64_t expires_ns;
};

#define WATCH_MAX_TYPES 4

struct sim_watcher {
    struct sim_store *st;
    struct tstore *ts[WATCH_MAX_TYPES]; /* the storages watched; nts 0: every type */
    size_t nts;
    const struct sim_rtype *rt; /* one type watched (events converted to its version), or NULL */
    char *ns;                   /* NULL: all */
    uint64_t next_seq;
    uint64_t pos_rv; /* rv of the last event examined (or the start) */
    bool canceled;
    bool waiting;        /* blocked in next(): a matching event signals cond */
    pthread_cond_t cond; /* signalled for this watcher only */
};

struct sim_store {
    pthread_mutex_t mu;
    pthread_cond_t gc_cond; /* stop (the background thread) */
    uint64_t rv;

    struct slu_map types;       /* "g/v/plural" -> const sim_rtype* */
    struct slu_map kinds;       /* "apiVersion/kind" -> const sim_rtype* */
    struct slu_vec type_list;   /* served types in registration order */
    struct slu_vec builtin_rts; /* owned, sim_builtin_type_free */
    struct slu_vec crd_rts;     /* owned, sim_rtype_free (never freed while the store lives) */
    struct slu_map storages;    /* "g/plural" -> struct tstore* */
    struct slu_map uids;        /* uid -> struct uidloc* */
    struct slu_map deps;        /* owner uid -> struct slu_map* (dependent uid -> non-NULL) */
    struct slu_map ns_count;    /* namespace -> size_t* (namespaced objects in it) */

    struct sim_store_stats stats;

    /* interned string values: content -> json string (one reference held here); swept of
     * strings no stored object uses any more, a slice per background pass */
    struct slu_map strs;
    size_t strs_cursor;

    struct sim_event *ring;
    size_t ring_cap;
    size_t ring_len;
    uint64_t seq_next;   /* sequence number of the next event */
    uint64_t evicted_rv; /* rv of the newest event dropped from the window (0: none) */
    struct slu_vec watchers;

    struct slu_map snaps; /* id -> struct snap* */
    uint64_t snap_id;
    int64_t continue_ttl_ms;

    struct slu_vec pending_gc; /* char* uids created with absent owners */

    const struct sim_rtype *rt_pods, *rt_ns, *rt_sa, *rt_crd, *rt_pdb;

    pthread_t thread;
    bool thread_started;
    bool stopping;
};

/* ---------------------------------------------------------------- small helpers */

static void decref_value(void *v)
{
    json_decref(v);
}

static void free_bucket(void *v)
{
    struct nsbucket *b = v;
    slu_map_release(&b->objs);
    free(b);
}

static void free_uidloc(void *v)
{
    struct uidloc *l = v;
    free(l->ns);
    free(l->name);
    free(l);
}

static void free_depset(void *v)
{
    struct slu_map *m = v;
    slu_map_release(m);
    free(m);
}

static void free_snap(void *v)
{
    struct snap *s = v;
    for (size_t i = 0; i < s->items.len; i++)
        json_decref(s->items.items[i]);
    slu_vec_release(&s->items, NULL);
    free(s);
}

static void free_nameset(void *v)
{
    struct slu_map *m = v;
    slu_map_release(m);
    free(m);
}

static void free_tstore(void *v)
{
    struct tstore *t = v;
    slu_map_release(&t->by_ns);
    slu_map_release(&t->lidx);
    free(t->key);
    free(t);
}

static json_t *meta_of(json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(obj, "metadata", m);
    }
    return m;
}

enum { CP_META_DEEP = 1, CP_STATUS_DEEP = 2, CP_SPEC_TOP = 4 };

/* A new version of a stored object to change, sharing what the change leaves alone (stored
 * objects are immutable, so sharing is safe; it saves a deep copy per write and the memory of
 * the versions the event window keeps). The top level and metadata's top level are always
 * private; CP_META_DEEP: all of metadata (for in-place changes to finalizers, ownerReferences);
 * CP_STATUS_DEEP: all of status; CP_SPEC_TOP: spec's top level. Everything else is shared and
 * must not be changed in place. */
static json_t *copy_for_write(const json_t *obj, int flags)
{
    json_t *c = json_copy((json_t *)obj);
    if (!c)
        abort(); /* only on out-of-memory */
    json_t *m = json_object_get(c, "metadata");
    if (m)
        json_object_set_new(c, "metadata",
                            (flags & CP_META_DEEP) ? slu_json_copy(m) : json_copy(m));
    json_t *st = json_object_get(c, "status");
    if (st && (flags & CP_STATUS_DEEP))
        json_object_set_new(c, "status", slu_json_copy(st));
    json_t *sp = json_object_get(c, "spec");
    if (sp && (flags & CP_SPEC_TOP))
        json_object_set_new(c, "spec", json_copy(sp));
    return c;
}

/* Points the members of nobj (a new version about to be stored, still private) that equal the
 * old version's at the old version's own (immutable) values: top-level members but metadata,
 * and metadata's labels, annotations, ownerReferences, finalizers and managedFields. A body
 * parsed from a PUT, or a private deep copy, then costs the memory of what changed only. */
static void reshare(json_t *nobj, const json_t *old)
{
    const char *k;
    json_t *v;
    json_object_foreach(nobj, k, v)
    {
        json_t *ov = json_object_get(old, k);
        if (!ov || ov == v)
            continue;
        if (strcmp(k, "metadata") == 0) {
            static const char *const shared[] = {"labels", "annotations", "ownerReferences",
                                                 "finalizers", "managedFields"};
            for (size_t i = 0; i < SLU_ARRAY_LEN(shared); i++) {
                json_t *a = json_object_get(v, shared[i]), *b = json_object_get(ov, shared[i]);
                if (a && b && a != b && slu_json_equal(a, b))
                    json_object_set(v, shared[i], b);
            }
        } else if (slu_json_equal(v, ov)) {
            json_object_set(nobj, k, ov); /* replaces the value in place: iteration goes on */
        }
    }
}

static const char *mstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

static void now_rfc3339(char *buf, size_t n)
{
    slu_time_format_rfc3339(slu_now_unix(), buf, n);
}

static char *storage_key(const struct sim_rtype *rt)
{
    return slu_asprintf("%s/%s", rt->group, rt->plural);
}

static void set_rv(json_t *obj, uint64_t rv)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)rv);
    json_object_set_new(meta_of(obj), "resourceVersion", json_string(b));
}

static bool has_finalizers(const json_t *obj)
{
    const json_t *f = json_object_get(json_object_get(obj, "metadata"), "finalizers");
    return json_is_array(f) && json_array_size(f) > 0;
}

static bool has_finalizer(const json_t *obj, const char *name)
{
    const json_t *f = json_object_get(json_object_get(obj, "metadata"), "finalizers");
    size_t i;
    const json_t *v;
    json_array_foreach(f, i, v)
    {
        if (slu_streq(json_string_value(v), name))
            return true;
    }
    return false;
}

static void remove_finalizer(json_t *obj, const char *name)
{
    json_t *f = json_object_get(meta_of(obj), "finalizers");
    if (!json_is_array(f))
        return;
    for (size_t i = json_array_size(f); i-- > 0;) {
        if (slu_streq(json_string_value(json_array_get(f, i)), name))
            json_array_remove(f, i);
    }
    if (json_array_size(f) == 0)
        json_object_del(meta_of(obj), "finalizers");
}

static bool is_deleting(const json_t *obj)
{
    return mstr(obj, "deletionTimestamp") != NULL;
}

/* apiVersion of rt into buf. */
void sim_rtype_api_version(const struct sim_rtype *rt, char *buf, size_t n)
{
    if (!rt->group || !*rt->group)
        snprintf(buf, n, "%s", rt->version);
    else
        snprintf(buf, n, "%s/%s", rt->group, rt->version);
}

void sim_rtype_resource(const struct sim_rtype *rt, char *buf, size_t n)
{
    if (!rt->group || !*rt->group)
        snprintf(buf, n, "%s", rt->plural);
    else
        snprintf(buf, n, "%s.%s", rt->plural, rt->group);
}

static int err_notfound(struct slu_err *err, const struct sim_rtype *rt, const char *name)
{
    char res[256];
    sim_rtype_resource(rt, res, sizeof res);
    slu_err_set(err, SLU_ENOTFOUND, "%s \"%s\" not found", res, name);
    if (err) {
        err->http_status = 404;
        slu_err_set_reason(err, "NotFound");
        slu_strlcpy(err->kind, rt->plural, sizeof err->kind);
        slu_strlcpy(err->name, name, sizeof err->name);
    }
    return SLU_ENOTFOUND;
}

static int err_ns_notfound(struct slu_err *err, const char *ns)
{
    slu_err_set(err, SLU_ENOTFOUND, "namespaces \"%s\" not found", ns);
    if (err) {
        err->http_status = 404;
        slu_err_set_reason(err, "NotFound");
        slu_strlcpy(err->kind, "namespaces", sizeof err->kind);
        slu_strlcpy(err->name, ns, sizeof err->name);
    }
    return SLU_ENOTFOUND;
}

static int err_conflict(struct slu_err *err, const struct sim_rtype *rt, const char *name,
                        const char *msg)
{
    char res[256];
    sim_rtype_resource(rt, res, sizeof res);
    slu_err_set(err, SLU_ECONFLICT, "Operation cannot be fulfilled on %s \"%s\": %s", res, name,
                msg);
    if (err) {
        err->http_status = 409;
        slu_err_set_reason(err, "Conflict");
        slu_strlcpy(err->kind, rt->plural, sizeof err->kind);
        slu_strlcpy(err->name, name, sizeof err->name);
    }
    return SLU_ECONFLICT;
}

static int err_forbidden(struct slu_err *err, const struct sim_rtype *rt, const char *name,
                         const char *fmt, const char *a, const char *b)
{
    char res[256], msg[700];
    sim_rtype_resource(rt, res, sizeof res);
    snprintf(msg, sizeof msg, fmt, a, b);
    slu_err_set(err, SLU_EFORBIDDEN, "%s \"%s\" is forbidden: %s", res, name ? name : "", msg);
    if (err) {
        err->http_status = 403;
        slu_err_set_reason(err, "Forbidden");
        slu_strlcpy(err->kind, rt->plural, sizeof err->kind);
        slu_strlcpy(err->name, name ? name : "", sizeof err->name);
    }
    return SLU_EFORBIDDEN;
}

static int err_badrequest(struct slu_err *err, const char *msg)
{
    slu_err_set(err, SLU_EBADREQUEST, "%s", msg);
    if (err) {
        err->http_status = 400;
        slu_err_set_reason(err, "BadRequest");
    }
    return SLU_EBADREQUEST;
}

/* ---------------------------------------------------------------- storage maps */

static struct tstore *storage_get(struct sim_store *st, const struct sim_rtype *rt)
{
    char *k = storage_key(rt);
    struct tstore *t = slu_map_get(&st->storages, k);
    if (!t) {
        t = slu_calloc(1, sizeof *t);
        t->key = k;
        k = NULL;
        t->rt = rt;
        slu_map_init(&t->by_ns, free_bucket);
        slu_map_init(&t->lidx, free_nameset);
        slu_map_put(&st->storages, t->key, t);
    }
    free(k);
    return t;
}

static json_t *tget(struct tstore *t, const char *ns, const char *name)
{
    struct nsbucket *b = slu_map_get(&t->by_ns, ns ? ns : "");
    return b ? slu_map_get(&b->objs, name) : NULL;
}

static const json_t *labels_of(const json_t *obj)
{
    return json_object_get(json_object_get(obj, "metadata"), "labels");
}

static char *lidx_key(const char *ns, const char *key, const char *value)
{
    return slu_asprintf("%s\x1f%s\x1f%s", ns, key, value);
}

/* Adds (add) or removes name under every indexed label of labels. */
static void lidx_apply(struct tstore *t, const char *ns, const char *name, const json_t *labels,
                       const json_t *other, bool add)
{
    for (size_t i = 0; i < SLU_ARRAY_LEN(INDEXED_LABELS); i++) {
        const char *v = json_string_value(json_object_get(labels, INDEXED_LABELS[i]));
        if (!v)
            continue;
        /* unchanged between the two versions: nothing to do */
        if (slu_streq(v, json_string_value(json_object_get(other, INDEXED_LABELS[i]))))
            continue;
        char *k = lidx_key(ns, INDEXED_LABELS[i], v);
        struct slu_map *set = slu_map_get(&t->lidx, k);
        if (add) {
            if (!set) {
                set = slu_calloc(1, sizeof *set);
                slu_map_init(set, NULL);
                slu_map_put(&t->lidx, k, set);
            }
            slu_map_put(set, name, (void *)1);
        } else if (set) {
            slu_map_del(set, name);
            if (set->len == 0)
                slu_map_del(&t->lidx, k);
        }
        free(k);
    }
}

/* Keeps the label index right when name goes from old to nobj (either may be NULL). */
static void lidx_update(struct tstore *t, const char *ns, const char *name, const json_t *old,
                        const json_t *nobj)
{
    const json_t *ol = labels_of(old), *nl = labels_of(nobj);
    if (ol == nl)
        return;
    if (ol)
        lidx_apply(t, ns, name, ol, nl, false);
    if (nl)
        lidx_apply(t, ns, name, nl, ol, true);
}

/* Stores obj (taken), replacing (and releasing) any previous one. */
static void tput(struct sim_store *st, struct tstore *t, const char *ns, const char *name,
                 json_t *obj)
{
    const char *k = ns ? ns : "";
    struct nsbucket *b = slu_map_get(&t->by_ns, k);
    if (!b) {
        b = slu_calloc(1, sizeof *b);
        slu_map_init(&b->objs, decref_value);
        slu_map_put(&t->by_ns, k, b);
    }
    if (!slu_map_has(&b->objs, name)) {
        t->count++;
        if (*k) {
            size_t *c = slu_map_get(&st->ns_count, k);
            if (!c) {
                c = slu_calloc(1, sizeof *c);
                slu_map_put(&st->ns_count, k, c);
            }
            (*c)++;
        }
    }
    lidx_update(t, k, name, slu_map_get(&b->objs, name), obj);
    slu_map_put(&b->objs, name, obj);
}

/* Removes and returns (reference passed to the caller) the object, or NULL. */
static json_t *ttake(struct sim_store *st, struct tstore *t, const char *ns, const char *name)
{
    const char *k = ns ? ns : "";
    struct nsbucket *b = slu_map_get(&t->by_ns, k);
    if (!b)
        return NULL;
    json_t *o = slu_map_take(&b->objs, name);
    if (o) {
        lidx_update(t, k, name, o, NULL);
        t->count--;
        if (*k) {
            size_t *c = slu_map_get(&st->ns_count, k);
            if (c && *c > 0)
                (*c)--;
        }
        if (b->objs.len == 0)
            slu_map_del(&t->by_ns, k);
    }
    return o;
}

static size_t ns_objects(struct sim_store *st, const char *ns)
{
    size_t *c = slu_map_get(&st->ns_count, ns);
    return c ? *c : 0;
}

/* ---------------------------------------------------------------- types */

static void type_register(struct sim_store *st, const struct sim_rtype *rt)
{
    char key[512], kk[512], av[256];
    snprintf(key, sizeof key, "%s/%s/%s", rt->group, rt->version, rt->plural);
    const struct sim_rtype *prev = slu_map_get(&st->types, key);
    slu_map_put(&st->types, key, (void *)rt);
    sim_rtype_api_version(rt, av, sizeof av);
    snprintf(kk, sizeof kk, "%s/%s", av, rt->kind);
    slu_map_put(&st->kinds, kk, (void *)rt);
    bool replaced = false;
    for (size_t i = 0; prev && i < st->type_list.len; i++) {
        if (st->type_list.items[i] == prev) {
            st->type_list.items[i] = (void *)rt;
            replaced = true;
        }
    }
    if (!replaced)
        slu_vec_push(&st->type_list, (void *)rt);
    struct tstore *t = storage_get(st, rt);
    t->rt = rt;
}

static void type_unregister(struct sim_store *st, const struct sim_rtype *rt)
{
    char key[512], kk[512], av[256];
    snprintf(key, sizeof key, "%s/%s/%s", rt->group, rt->version, rt->plural);
    if (slu_map_get(&st->types, key) == rt)
        slu_map_del(&st->types, key);
    sim_rtype_api_version(rt, av, sizeof av);
    snprintf(kk, sizeof kk, "%s/%s", av, rt->kind);
    if (slu_map_get(&st->kinds, kk) == rt)
        slu_map_del(&st->kinds, kk);
    for (size_t i = 0; i < st->type_list.len; i++) {
        if (st->type_list.items[i] == rt) {
            slu_vec_remove_at(&st->type_list, i);
            break;
        }
    }
}

/* The served types of the CRD storage group/plural. */
static void crd_types_of(struct sim_store *st, const char *group, const char *plural,
                         struct slu_vec *out)
{
    for (size_t i = 0; i < st->type_list.len; i++) {
        const struct sim_rtype *rt = st->type_list.items[i];
        if (rt->is_crd && slu_streq(rt->group, group) && slu_streq(rt->plural, plural))
            slu_vec_push(out, (void *)rt);
    }
}

/* Registers the types of a CRD (vec of owned sim_rtype*, taken), replacing the previous
 * versions of the same group/plural. */
static void crd_register(struct sim_store *st, struct slu_vec *rts)
{
    if (rts->len == 0)
        return;
    const struct sim_rtype *first = rts->items[0];
    struct slu_vec old = {0};
    crd_types_of(st, first->group, first->plural, &old);
    for (size_t i = 0; i < old.len; i++) {
        const struct sim_rtype *o = old.items[i];
        bool kept = false;
        for (size_t j = 0; j < rts->len; j++) {
            const struct sim_rtype *n = rts->items[j];
            if (slu_streq(n->version, o->version))
                kept = true;
        }
        if (!kept)
            type_unregister(st, o);
    }
    slu_vec_release(&old, NULL);
    for (size_t j = 0; j < rts->len; j++) {
        slu_vec_push(&st->crd_rts, rts->items[j]);
        type_register(st, rts->items[j]);
    }
    rts->len = 0;
}

const struct sim_rtype *sim_store_type(struct sim_store *st, const char *group, const char *version,
                                       const char *plural)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s/%s", group ? group : "", version, plural);
    pthread_mutex_lock(&st->mu);
    const struct sim_rtype *rt = slu_map_get(&st->types, key);
    pthread_mutex_unlock(&st->mu);
    return rt;
}

const struct sim_rtype *sim_store_type_by_kind(struct sim_store *st, const char *api_version,
                                               const char *kind)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", api_version, kind);
    pthread_mutex_lock(&st->mu);
    const struct sim_rtype *rt = slu_map_get(&st->kinds, key);
    pthread_mutex_unlock(&st->mu);
    return rt;
}

void sim_store_types(struct sim_store *st, struct slu_vec *out)
{
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->type_list.len; i++)
        slu_vec_push(out, st->type_list.items[i]);
    pthread_mutex_unlock(&st->mu);
}

const struct sim_rtype *sim_store_pods(struct sim_store *st)
{
    return st->rt_pods;
}

/* ---------------------------------------------------------------- events */

void sim_event_release(struct sim_event *ev)
{
    if (!ev)
        return;
    json_decref(ev->obj);
    json_decref(ev->old);
    memset(ev, 0, sizeof *ev);
}

static bool watcher_wants(struct sim_watcher *w, const struct sim_event *e);

static void ring_push(struct sim_store *st, uint64_t rv, const char *type,
                      const struct sim_rtype *rt, json_t *obj, json_t *old)
{
    if (st->ring_len == st->ring_cap) {
        uint64_t oldest = st->seq_next - st->ring_len;
        struct sim_event *e = &st->ring[oldest % st->ring_cap];
        /* a watcher about to lose an event it does not want just moves past it (it is not
         * woken for such events, so it may well be idle, not behind) */
        for (size_t i = 0; i < st->watchers.len; i++) {
            struct sim_watcher *w = st->watchers.items[i];
            if (w->next_seq == oldest && !watcher_wants(w, e)) {
                w->next_seq++;
                w->pos_rv = e->rv;
            }
        }
        st->evicted_rv = e->rv;
        sim_event_release(e);
        st->ring_len--;
    }
    struct sim_event *e = &st->ring[st->seq_next % st->ring_cap];
    e->rv = rv;
    e->type = type;
    e->rt = rt;
    e->obj = json_incref(obj);
    e->old = old ? json_incref(old) : NULL;
    st->seq_next++;
    st->ring_len++;
    st->stats.events++;
    /* wake only the blocked watchers that want this event */
    for (size_t i = 0; i < st->watchers.len; i++) {
        struct sim_watcher *w = st->watchers.items[i];
        if (w->waiting && watcher_wants(w, e)) {
            w->waiting = false;
            st->stats.watcher_wakeups++;
            pthread_cond_signal(&w->cond);
        }
    }
}

static void ring_resize(struct sim_store *st, size_t n)
{
    if (n < 1)
        n = 1;
    struct sim_event *nr = slu_calloc(n, sizeof *nr);
    uint64_t first = st->seq_next - st->ring_len;
    /* drop the oldest that do not fit */
    while (st->ring_len > n) {
        struct sim_event *e = &st->ring[first % st->ring_cap];
        st->evicted_rv = e->rv;
        sim_event_release(e);
        first++;
        st->ring_len--;
    }
    for (uint64_t s = first; s < st->seq_next; s++)
        nr[s % n] = st->ring[s % st->ring_cap];
    free(st->ring);
    st->ring = nr;
    st->ring_cap = n;
}

void sim_store_set_event_window(struct sim_store *st, size_t n)
{
    pthread_mutex_lock(&st->mu);
    ring_resize(st, n);
    pthread_mutex_unlock(&st->mu);
}

/* ---------------------------------------------------------------- indexes */

static void owner_uids(const json_t *obj, struct slu_vec *out)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *u = json_string_value(json_object_get(r, "uid"));
        if (u && *u)
            slu_vec_push(out, (void *)u);
    }
}

static void deps_add(struct sim_store *st, const char *owner, const char *dep)
{
    struct slu_map *m = slu_map_get(&st->deps, owner);
    if (!m) {
        m = slu_calloc(1, sizeof *m);
        slu_map_init(m, NULL);
        slu_map_put(&st->deps, owner, m);
    }
    slu_map_put(m, dep, (void *)1);
}

static void deps_del(struct sim_store *st, const char *owner, const char *dep)
{
    struct slu_map *m = slu_map_get(&st->deps, owner);
    if (!m)
        return;
    slu_map_del(m, dep);
    if (m->len == 0)
        slu_map_del(&st->deps, owner);
}

static bool vec_has_str(const struct slu_vec *v, const char *s)
{
    for (size_t i = 0; i < v->len; i++)
        if (slu_streq(v->items[i], s))
            return true;
    return false;
}

/* Updates the dependents index for a write of obj (old may be NULL: created; nobj NULL:
 * removed). */
static void deps_update(struct sim_store *st, const json_t *old, const json_t *nobj)
{
    const char *uid = mstr(nobj ? nobj : old, "uid");
    if (!uid)
        return;
    struct slu_vec a = {0}, b = {0};
    if (old)
        owner_uids(old, &a);
    if (nobj)
        owner_uids(nobj, &b);
    for (size_t i = 0; i < a.len; i++)
        if (!vec_has_str(&b, a.items[i]))
            deps_del(st, a.items[i], uid);
    for (size_t i = 0; i < b.len; i++)
        if (!vec_has_str(&a, b.items[i]))
            deps_add(st, b.items[i], uid);
    slu_vec_release(&a, NULL);
    slu_vec_release(&b, NULL);
}

static json_t *by_uid(struct sim_store *st, const char *uid, struct uidloc **locp)
{
    struct uidloc *l = slu_map_get(&st->uids, uid);
    if (locp)
        *locp = l;
    if (!l)
        return NULL;
    return tget(l->ts, l->ns, l->name);
}

/* ---------------------------------------------------------------- commit */

/* Stores nobj (taken) as a new version (old: the stored one, borrowed, or NULL on create),
 * with a new resourceVersion, and emits the event. Returns the stored object (borrowed). */
/* ---------------------------------------------------------------- interned strings */

#define INTERN_MAX_LEN 96
#define INTERN_SWEEP_SLICE 20000

/* String values that are (nearly) always unique: not worth a table entry. */
static bool intern_skip(const char *key, bool in_meta)
{
    if (in_meta && (strcmp(key, "name") == 0 || strcmp(key, "uid") == 0 ||
                    strcmp(key, "resourceVersion") == 0))
        return true;
    size_t n = strlen(key);
    return slu_str_has_suffix(key, "Time") || slu_str_has_suffix(key, "Timestamp") ||
           (n > 2 && strcmp(key + n - 2, "At") == 0) || strcmp(key, "containerID") == 0 ||
           strcmp(key, "podIP") == 0 || strcmp(key, "ip") == 0 || strcmp(key, "message") == 0;
}

/* The table's string equal to s (borrowed), after adding s when it is new. */
static json_t *intern_str(struct sim_store *st, json_t *s)
{
    const char *v = json_string_value(s);
    if (json_string_length(s) > INTERN_MAX_LEN || strlen(v) != json_string_length(s))
        return s; /* long, or with a NUL inside (the table's keys are C strings) */
    json_t *have = slu_map_get(&st->strs, v);
    if (have)
        return have;
    slu_map_put(&st->strs, v, json_incref(s));
    st->stats.strings_interned++;
    return s;
}

/* An object or array that only its (private) parent holds: it may be changed in place. A
 * container held more than once may be part of a stored version, an event or a model's state
 * that other threads read: it is left alone (a subtree shared with the old version was interned
 * when that was stored). */
static bool private_container(const json_t *c)
{
    return (json_is_object(c) || json_is_array(c)) && c->refcount == 1;
}

/* Replaces the string values of v (private: see private_container) by the table's equal
 * strings, so that the many objects repeating a value (images, env values, label values,
 * condition types and reasons, defaults) hold it once. Under the store lock. */
static void intern_tree(struct sim_store *st, json_t *v, const json_t *old, bool in_meta)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            const json_t *oc = json_is_object(old) ? json_object_get(old, k) : NULL;
            if (oc == c)
                continue;
            if (json_is_string(c)) {
                if (intern_skip(k, in_meta))
                    continue;
                json_t *i = intern_str(st, c);
                if (i != c)
                    json_object_set(v, k, i); /* replaces in place: iteration goes on */
            } else if (private_container(c)) {
                intern_tree(st, c, oc, false);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *c = json_array_get(v, i);
            if (json_is_string(c)) {
                json_t *in = intern_str(st, c);
                if (in != c)
                    json_array_set(v, i, in);
            } else if (private_container(c)) {
                intern_tree(st, c, NULL, false);
            }
        }
    }
}

/* Interns a new version (metadata's own keys are told apart from the rest's). */
static void intern_obj(struct sim_store *st, json_t *nobj, const json_t *old)
{
    const char *k;
    json_t *c;
    json_object_foreach(nobj, k, c)
    {
        const json_t *oc = old ? json_object_get(old, k) : NULL;
        if (oc == c)
            continue;
        if (json_is_string(c)) {
            json_t *i = intern_str(st, c);
            if (i != c)
                json_object_set(nobj, k, i);
        } else if (strcmp(k, "metadata") == 0 && private_container(c)) {
            const char *mk;
            json_t *mc;
            json_object_foreach(c, mk, mc)
            {
                const json_t *omc = json_is_object(oc) ? json_object_get(oc, mk) : NULL;
                if (omc == mc)
                    continue;
                if (json_is_string(mc)) {
                    if (intern_skip(mk, true))
                        continue;
                    json_t *i = intern_str(st, mc);
                    if (i != mc)
                        json_object_set(c, mk, i);
                } else if (private_container(mc)) {
                    intern_tree(st, mc, omc, false);
                }
            }
        } else if (private_container(c)) {
            intern_tree(st, c, oc, false);
        }
    }
}

/* Drops, from a slice of the table, the strings only the table still holds. Under the lock:
 * a string whose count is 1 is in no stored object, event or reader's object (those hold
 * references), so nobody can take a new one but through the table. */
static void intern_sweep(struct sim_store *st)
{
    struct slu_vec dead = {0};
    size_t it = st->strs_cursor, seen = 0;
    const char *k;
    void *v;
    while (seen++ < INTERN_SWEEP_SLICE && slu_map_next(&st->strs, &it, &k, &v)) {
        if (((json_t *)v)->refcount == 1)
            slu_vec_push(&dead, slu_strdup(k));
    }
    st->strs_cursor = seen > INTERN_SWEEP_SLICE ? it : 0; /* wrapped: start again */
    for (size_t i = 0; i < dead.len; i++)
        slu_map_del(&st->strs, dead.items[i]);
    slu_vec_release(&dead, free);
}

static json_t *commit_put(struct sim_store *st, struct tstore *t, const struct sim_rtype *rt,
                          json_t *nobj, json_t *old)
{
    intern_obj(st, nobj, old);
    const char *ns = mstr(nobj, "namespace");
    const char *name = mstr(nobj, "name");
    uint64_t rv = ++st->rv;
    set_rv(nobj, rv);
    if (old)
        json_incref(old);
    char *nsd = slu_strdup(ns ? ns : ""), *named = slu_strdup(name);
    tput(st, t, nsd, named, nobj);
    if (!old) {
        struct uidloc *l = slu_calloc(1, sizeof *l);
        l->ts = t;
        l->ns = slu_strdup(nsd);
        l->name = slu_strdup(named);
        slu_map_put(&st->uids, mstr(nobj, "uid"), l);
    }
    deps_update(st, old, nobj);
    ring_push(st, rv, old ? "MODIFIED" : "ADDED", rt, nobj, old);
    json_decref(old);
    free(nsd);
    free(named);
    return nobj;
}

static void remove_obj(struct sim_store *st, struct tstore *t, const char *ns, const char *name,
                       int depth, json_t **last);
static int delete_locked(struct sim_store *st, struct tstore *t, const struct sim_rtype *rt,
                         const char *ns, const char *name, const struct sim_delete_opts *o,
                         int depth, json_t **out, struct slu_err *err);

/* Copies the keys of m (the dependents' uids of one owner) into out (owned strings), so that
 * the caller may delete while walking them. */
static void map_keys(const struct slu_map *m, struct slu_vec *out)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(m, &it, &k, &v))
        slu_vec_push(out, slu_strdup(k));
}

/* Whether one of obj's owners still exists; `none` when it has no owner references. */
static bool owner_alive(struct sim_store *st, const json_t *obj, bool none)
{
    struct slu_vec ou = {0};
    owner_uids(obj, &ou);
    bool alive = ou.len == 0 ? none : false;
    for (size_t j = 0; j < ou.len; j++)
        if (slu_map_has(&st->uids, ou.items[j]))
            alive = true;
    slu_vec_release(&ou, NULL);
    return alive;
}

/* Deletes the object at l (found by uid) as the garbage collector does, with the options o at
 * the given cascade depth. l's namespace and name are copied first: the delete frees l. */
static void delete_at(struct sim_store *st, const struct uidloc *l, const struct sim_delete_opts *o,
                      int depth)
{
    char *dns = slu_strdup(l->ns), *dname = slu_strdup(l->name);
    struct tstore *dt = l->ts;
    delete_locked(st, dt, dt->rt, *dns ? dns : NULL, dname, o, depth, NULL, NULL);
    free(dns);
    free(dname);
}

/* After a dependent went away: an owner waiting in foreground deletion with no dependents left
 * drops its foregroundDeletion finalizer (and goes when it has no other). */
static void foreground_check(struct sim_store *st, const char *owner_uid, int depth)
{
    struct uidloc *l;
    json_t *owner = by_uid(st, owner_uid, &l);
    if (!owner || !is_deleting(owner) || !has_finalizer(owner, "foregroundDeletion"))
        return;
    if (slu_map_get(&st->deps, owner_uid))
        return;
    json_t *n = copy_for_write(owner, CP_META_DEEP);
    remove_finalizer(n, "foregroundDeletion");
    char *ns = slu_strdup(l->ns), *name = slu_strdup(l->name);
    struct tstore *t = l->ts;
    if (!has_finalizers(n) && slu_json_int(n, "metadata.deletionGracePeriodSeconds", 0) == 0) {
        json_decref(n);
        remove_obj(st, t, ns, name, depth + 1, NULL);
    } else {
        commit_put(st, t, t->rt, n, owner);
    }
    free(ns);
    free(name);
}

static void purge_storage(struct sim_store *st, struct tstore *t, int depth)
{
    struct slu_vec keys = {0};
    size_t it = 0;
    const char *nsk;
    void *bv;
    while (slu_map_next(&t->by_ns, &it, &nsk, &bv)) {
        struct nsbucket *b = bv;
        size_t j = 0;
        const char *nm;
        void *ov;
        while (slu_map_next(&b->objs, &j, &nm, &ov)) {
            slu_vec_push(&keys, slu_strdup(nsk));
            slu_vec_push(&keys, slu_strdup(nm));
        }
    }
    for (size_t i = 0; i + 1 < keys.len; i += 2)
        remove_obj(st, t, keys.items[i], keys.items[i + 1], depth + 1, NULL);
    slu_vec_release(&keys, free);
}

/* Removes the object for good: DELETED event (with a new resourceVersion), indexes, then the
 * cascade (dependents whose owners are all gone, waiting foreground owners, a CRD's objects).
 * *last (may be NULL) gets the object as deleted (new reference). */
static void remove_obj(struct sim_store *st, struct tstore *t, const char *ns, const char *name,
                       int depth, json_t **last)
{
    json_t *cur = ttake(st, t, ns, name);
    if (!cur)
        return;
    json_t *del = copy_for_write(cur, 0);
    json_decref(cur);
    uint64_t rv = ++st->rv;
    set_rv(del, rv);
    const struct sim_rtype *rt = t->rt;
    ring_push(st, rv, "DELETED", rt, del, NULL);
    const char *uid = mstr(del, "uid");
    if (uid)
        slu_map_del(&st->uids, uid);
    deps_update(st, del, NULL);

    if (depth < MAX_GC_DEPTH) {
        /* owners waiting for this dependent */
        struct slu_vec owners = {0};
        owner_uids(del, &owners);
        for (size_t i = 0; i < owners.len; i++)
            foreground_check(st, owners.items[i], depth);
        slu_vec_release(&owners, NULL);

        /* dependents of this object */
        struct slu_map *dm = uid ? slu_map_get(&st->deps, uid) : NULL;
        if (dm) {
            struct slu_vec du = {0};
            map_keys(dm, &du);
            for (size_t i = 0; i < du.len; i++) {
                struct uidloc *l;
                json_t *dep = by_uid(st, du.items[i], &l);
                if (!dep || owner_alive(st, dep, false))
                    continue;
                struct sim_delete_opts bo = {.grace_period_seconds = -1};
                delete_at(st, l, &bo, depth + 1);
            }
            slu_vec_release(&du, free);
        }

        /* a CRD takes its objects and types with it */
        if (t->rt == st->rt_crd) {
            const char *group = slu_json_str(del, "spec.group");
            const char *plural = slu_json_str(del, "spec.names.plural");
            if (group && plural) {
                char key[512];
                snprintf(key, sizeof key, "%s/%s", group, plural);
                struct tstore *ct = slu_map_get(&st->storages, key);
                if (ct)
                    purge_storage(st, ct, depth);
                struct slu_vec old = {0};
                crd_types_of(st, group, plural, &old);
                for (size_t i = 0; i < old.len; i++)
                    type_unregister(st, old.items[i]);
                slu_vec_release(&old, NULL);
            }
        }
    }
    if (last)
        *last = del;
    else
        json_decref(del);
}

/* ---------------------------------------------------------------- lifecycle */

static void *gc_thread_main(void *arg);

struct sim_store *sim_store_new(size_t event_window)
{
    struct sim_store *st = slu_calloc(1, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    slu_cond_init_mono(&st->gc_cond);
    slu_map_init(&st->types, NULL);
    slu_map_init(&st->kinds, NULL);
    slu_map_init(&st->storages, free_tstore);
    slu_map_init(&st->uids, free_uidloc);
    slu_map_init(&st->deps, free_depset);
    slu_map_init(&st->ns_count, free);
    slu_map_init(&st->snaps, free_snap);
    slu_map_init(&st->strs, decref_value);
    st->ring_cap = event_window ? event_window : DEFAULT_EVENT_WINDOW;
    st->ring = slu_calloc(st->ring_cap, sizeof *st->ring);
    st->continue_ttl_ms = DEFAULT_CONTINUE_TTL_MS;

    sim_builtin_types(&st->builtin_rts);
    for (size_t i = 0; i < st->builtin_rts.len; i++) {
        const struct sim_rtype *rt = st->builtin_rts.items[i];
        type_register(st, rt);
        if (!*rt->group && slu_streq(rt->plural, "pods"))
            st->rt_pods = rt;
        else if (!*rt->group && slu_streq(rt->plural, "namespaces"))
            st->rt_ns = rt;
        else if (!*rt->group && slu_streq(rt->plural, "serviceaccounts"))
            st->rt_sa = rt;
        else if (slu_streq(rt->group, "apiextensions.k8s.io"))
            st->rt_crd = rt;
        else if (slu_streq(rt->group, "policy") && slu_streq(rt->plural, "poddisruptionbudgets"))
            st->rt_pdb = rt;
    }
    static const char *const initial_ns[] = {"default", "kube-system", "kube-public",
                                             "kube-node-lease"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(initial_ns); i++) {
        json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                               "metadata", "name", initial_ns[i]);
        sim_store_create(st, st->rt_ns, NULL, ns, NULL, NULL, NULL);
    }
    if (pthread_create(&st->thread, NULL, gc_thread_main, st) == 0)
        st->thread_started = true;
    return st;
}

void sim_store_free(struct sim_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = true;
    for (size_t i = 0; i < st->watchers.len; i++) {
        struct sim_watcher *w = st->watchers.items[i];
        w->canceled = true;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_cond_broadcast(&st->gc_cond);
    pthread_mutex_unlock(&st->mu);
    if (st->thread_started)
        pthread_join(st->thread, NULL);
    /* watchers still alive are detached: they must be freed by their owners before; we
     * detach them so a late free does not touch freed memory */
    for (size_t i = 0; i < st->watchers.len; i++)
        ((struct sim_watcher *)st->watchers.items[i])->st = NULL;
    slu_vec_release(&st->watchers, NULL);
    for (uint64_t s = st->seq_next - st->ring_len; s < st->seq_next; s++)
        sim_event_release(&st->ring[s % st->ring_cap]);
    free(st->ring);
    slu_map_release(&st->snaps);
    slu_map_release(&st->strs);
    slu_map_release(&st->storages);
    slu_map_release(&st->uids);
    slu_map_release(&st->deps);
    slu_map_release(&st->ns_count);
    slu_map_release(&st->types);
    slu_map_release(&st->kinds);
    slu_vec_release(&st->type_list, NULL);
    for (size_t i = 0; i < st->builtin_rts.len; i++)
        sim_builtin_type_free(st->builtin_rts.items[i]);
    slu_vec_release(&st->builtin_rts, NULL);
    for (size_t i = 0; i < st->crd_rts.len; i++)
        sim_rtype_free(st->crd_rts.items[i]);
    slu_vec_release(&st->crd_rts, NULL);
    slu_vec_release(&st->pending_gc, free);
    pthread_cond_destroy(&st->gc_cond);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

void sim_store_stats(struct sim_store *st, struct sim_store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    out->objects = st->uids.len;
    out->strings = st->strs.len;
    out->watchers = st->watchers.len;
    out->rv = st->rv;
    pthread_mutex_unlock(&st->mu);
}

uint64_t sim_store_rv(struct sim_store *st)
{
    pthread_mutex_lock(&st->mu);
    uint64_t rv = st->rv;
    pthread_mutex_unlock(&st->mu);
    return rv;
}

void sim_store_set_continue_ttl(struct sim_store *st, int64_t ms)
{
    pthread_mutex_lock(&st->mu);
    st->continue_ttl_ms = ms;
    pthread_mutex_unlock(&st->mu);
}

size_t sim_store_count(struct sim_store *st, const struct sim_rtype *rt, const char *ns)
{
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, rt);
    size_t n = 0;
    if (!ns) {
        n = t->count;
    } else {
        struct nsbucket *b = slu_map_get(&t->by_ns, ns);
        n = b ? b->objs.len : 0;
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

/* ---------------------------------------------------------------- validation glue */

static const char *fv_mode(const struct sim_write_opts *wo)
{
    const char *f = wo ? wo->field_validation : NULL;
    if (!f || !*f)
        return "Ignore";
    return f;
}

static void add_warning(const struct sim_write_opts *wo, const char *text)
{
    if (!wo || !wo->warnings)
        return;
    if (wo->warnings->len)
        slu_buf_putc(wo->warnings, '\n');
    slu_buf_puts(wo->warnings, text);
}

/* Unknown-field handling for the metadata and (built-in kinds) the whole object. */
static int check_unknown(const struct sim_rtype *rt, json_t *obj, const struct sim_write_opts *wo,
                         struct slu_err *err)
{
    const char *mode = fv_mode(wo);
    struct slu_buf b = {0};
    bool strict = slu_streq(mode, "Strict");
    size_t n = rt->is_crd ? sim_meta_unknown_fields(obj, !strict, &b)
                          : sim_builtin_unknown_fields(rt, obj, !strict, &b);
    int rc = 0;
    if (n > 0) {
        if (strict) {
            struct slu_buf m = {0};
            for (const char *p = b.data; *p; p++) {
                if (*p == '\n')
                    slu_buf_puts(&m, ", ");
                else
                    slu_buf_putc(&m, *p);
            }
            slu_err_set(err, SLU_EBADREQUEST, "strict decoding error: %s", m.data);
            slu_buf_release(&m);
            if (err) {
                err->http_status = 400;
                slu_err_set_reason(err, "BadRequest");
            }
            rc = SLU_EBADREQUEST;
        } else if (slu_streq(mode, "Warn")) {
            char **parts = slu_str_split(b.data, '\n', false, NULL);
            for (size_t i = 0; parts && parts[i]; i++)
                if (*parts[i])
                    add_warning(wo, parts[i]);
            slu_strv_free(parts);
        }
    }
    slu_buf_release(&b);
    return rc;
}

/* Defaults and validation for obj of type rt (old: stored object on update, else NULL).
 * For CRD objects *crd_types gets the types to register (owned vec items). */
static int prepare(struct sim_store *st, const struct sim_rtype *rt, json_t *obj, const json_t *old,
                   const struct sim_write_opts *wo, struct slu_vec *crd_types, struct slu_err *err)
{
    int rc = check_unknown(rt, obj, wo, err);
    if (rc)
        return rc;
    struct slu_err e = {0};
    bool creating = old == NULL;
    sim_validate_meta(rt, obj, creating, &e);
    if (rt->is_crd) {
        json_t *meta = json_incref(json_object_get(obj, "metadata"));
        json_t *api = json_incref(json_object_get(obj, "apiVersion"));
        json_t *kind = json_incref(json_object_get(obj, "kind"));
        json_object_del(obj, "metadata");
        json_object_del(obj, "apiVersion");
        json_object_del(obj, "kind");
        const char *mode = fv_mode(wo);
        struct slu_buf *warn = wo ? wo->warnings : NULL;
        struct slu_buf wb = {0};
        struct slu_err se = {0};
        int src = 0;
        if (rt->schema)
            src = sim_schema_apply(rt->schema, obj, true, mode, warn ? &wb : NULL, &se);
        if (wb.len) {
            char **parts = slu_str_split(wb.data, '\n', false, NULL);
            for (size_t i = 0; parts && parts[i]; i++)
                if (*parts[i])
                    add_warning(wo, parts[i]);
            slu_strv_free(parts);
        }
        slu_buf_release(&wb);
        json_object_set_new(obj, "apiVersion", api);
        json_object_set_new(obj, "kind", kind);
        json_object_set_new(obj, "metadata", meta);
        if (src == SLU_EBADREQUEST || (src && se.ncauses == 0)) {
            slu_err_release(&e);
            slu_err_move(err, &se);
            if (err && !err->http_status) {
                err->http_status = src == SLU_EBADREQUEST ? 400 : 422;
                slu_err_set_reason(err, src == SLU_EBADREQUEST ? "BadRequest" : "Invalid");
            }
            return src;
        }
        for (size_t i = 0; i < se.ncauses; i++)
            slu_err_add_cause(&e, se.causes[i].reason, se.causes[i].field, se.causes[i].message);
        slu_err_release(&se);
    } else {
        sim_builtin_prepare(rt, obj, old, &e);
        if (wo && wo->user_request && old)
            sim_builtin_check_update(rt, obj, old, &e);
        if (rt == st->rt_crd && e.ncauses == 0 && crd_types) {
            struct slu_err ce = {0};
            if (sim_crd_types(obj, crd_types, &ce) != 0) {
                if (ce.ncauses == 0)
                    slu_err_add_cause(&e, "FieldValueInvalid", "spec", ce.msg);
                for (size_t i = 0; i < ce.ncauses; i++)
                    slu_err_add_cause(&e, ce.causes[i].reason, ce.causes[i].field,
                                      ce.causes[i].message);
            }
            slu_err_release(&ce);
        }
    }
    if (e.ncauses > 0) {
        const char *name = mstr(obj, "name");
        slu_err_move(err, &e);
        return sim_err_invalid(err, rt->kind, name ? name : "");
    }
    slu_err_release(&e);
    return 0;
}

static void free_rt_vec(struct slu_vec *v)
{
    for (size_t i = 0; i < v->len; i++)
        sim_rtype_free(v->items[i]);
    slu_vec_release(v, NULL);
}

static const char *json_kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "number";
    }
}

/* The metadata fields whose JSON type the real server's decoder enforces before anything else:
 * a wrong one is a 400 worded as Go's encoding/json words it (null is allowed: it decodes to
 * the zero value). Without this, `"annotations": "x"` would be stored as it is and break every
 * client that reads it back. */
static int check_meta_types(const json_t *m, struct slu_err *err)
{
    static const struct {
        const char *field;
        json_type type;
        const char *go_type;
    } fields[] = {
        {"name", JSON_STRING, "string"},
        {"generateName", JSON_STRING, "string"},
        {"namespace", JSON_STRING, "string"},
        {"uid", JSON_STRING, "types.UID"},
        {"resourceVersion", JSON_STRING, "string"},
        {"creationTimestamp", JSON_STRING, "v1.Time"},
        {"deletionTimestamp", JSON_STRING, "v1.Time"},
        {"generation", JSON_INTEGER, "int64"},
        {"deletionGracePeriodSeconds", JSON_INTEGER, "int64"},
        {"labels", JSON_OBJECT, "map[string]string"},
        {"annotations", JSON_OBJECT, "map[string]string"},
        {"finalizers", JSON_ARRAY, "[]string"},
        {"ownerReferences", JSON_ARRAY, "[]v1.OwnerReference"},
        {"managedFields", JSON_ARRAY, "[]v1.ManagedFieldsEntry"},
    };
    for (size_t i = 0; m && i < SLU_ARRAY_LEN(fields); i++) {
        const json_t *v = json_object_get(m, fields[i].field);
        if (!v || json_is_null(v) || json_typeof(v) == fields[i].type)
            continue;
        char msg[300];
        snprintf(msg, sizeof msg,
                 "json: cannot unmarshal %s into Go struct field ObjectMeta.metadata.%s of type "
                 "%s",
                 json_kind_name(v), fields[i].field, fields[i].go_type);
        return err_badrequest(err, msg);
    }
    return 0;
}

/* Checks kind/apiVersion of a body against rt (filling them when absent) and the namespace. */
static int check_body(const struct sim_rtype *rt, json_t *obj, const char *ns, struct slu_err *err)
{
    if (!json_is_object(obj))
        return err_badrequest(err, "the body of the request must be a JSON object");
    char av[256];
    sim_rtype_api_version(rt, av, sizeof av);
    const char *bav = json_string_value(json_object_get(obj, "apiVersion"));
    const char *bkind = json_string_value(json_object_get(obj, "kind"));
    if (bkind && *bkind && strcmp(bkind, rt->kind) != 0) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "%s in version \"%s\" cannot be handled as a %s: no kind \"%s\" "
                 "is registered for version \"%s\"",
                 bkind, rt->version, rt->kind, bkind, av);
        return err_badrequest(err, msg);
    }
    if (bav && *bav && strcmp(bav, av) != 0) {
        /* other served versions of the same storage are accepted (no conversion needed) */
        const char *slash = strrchr(bav, '/');
        bool same_group = slash ? (strlen(rt->group) == (size_t)(slash - bav) &&
                                   strncmp(bav, rt->group, (size_t)(slash - bav)) == 0)
                                : !*rt->group;
        if (!same_group) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "the API version in the data (%s) does not match the expected API "
                     "version (%s)",
                     bav, av);
            return err_badrequest(err, msg);
        }
    }
    json_object_set_new(obj, "apiVersion", json_string(av));
    json_object_set_new(obj, "kind", json_string(rt->kind));
    json_t *m = json_object_get(obj, "metadata");
    if (m && !json_is_object(m))
        return err_badrequest(err, "metadata must be an object");
    if (check_meta_types(m, err))
        return SLU_EBADREQUEST;
    m = meta_of(obj);
    if (rt->namespaced) {
        const char *bns = json_string_value(json_object_get(m, "namespace"));
        if (bns && *bns && ns && strcmp(bns, ns) != 0)
            return err_badrequest(err, "the namespace of the provided object does not match "
                                       "the namespace sent on the request");
        if (ns)
            json_object_set_new(m, "namespace", json_string(ns));
        else if (!bns || !*bns)
            json_object_set_new(m, "namespace", json_string("default"));
    } else {
        json_object_del(m, "namespace");
    }
    return 0;
}

/* ---------------------------------------------------------------- create */

static json_t *default_sa(const char *ns)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                     "metadata", "name", "default", "namespace", ns);
}

static void stamp_new(json_t *obj)
{
    json_t *m = meta_of(obj);
    char uid[40], ts[40];
    slu_uuid4(uid);
    now_rfc3339(ts, sizeof ts);
    json_object_set_new(m, "uid", json_string(uid));
    json_object_set_new(m, "creationTimestamp", json_string(ts));
    json_object_set_new(m, "generation", json_integer(1));
}

static int create_locked(struct sim_store *st, const struct sim_rtype *rt, json_t *obj,
                         const struct sim_write_opts *wo, struct slu_vec *crd_types, json_t **out,
                         struct slu_err *err)
{
    struct tstore *t = storage_get(st, rt);
    json_t *m = meta_of(obj);
    const char *ns = rt->namespaced ? json_string_value(json_object_get(m, "namespace")) : NULL;
    const char *gen = json_string_value(json_object_get(m, "generateName"));
    const char *name = json_string_value(json_object_get(m, "name"));
    if (rt->namespaced) {
        if (!ns) /* check_body sets it; json_string() refuses a namespace that is not UTF-8 */
            return err_badrequest(err, "the namespace is not a valid UTF-8 string");
        json_t *nso = tget(storage_get(st, st->rt_ns), "", ns);
        if (!nso)
            return err_ns_notfound(err, ns);
        if (is_deleting(nso))
            return err_forbidden(err, rt, name,
                                 "unable to create new content in namespace %s "
                                 "because it is being terminated%s",
                                 ns, "");
    }
    if ((!name || !*name) && gen && *gen) {
        char prefix[64];
        slu_strlcpy(prefix, gen, sizeof prefix < 59 ? sizeof prefix : 59);
        for (int i = 0; i < 16; i++) {
            char sfx[8], full[80];
            slu_random_name_suffix(sfx, 5);
            snprintf(full, sizeof full, "%s%s", prefix, sfx);
            if (!tget(t, ns, full)) {
                json_object_set_new(m, "name", json_string(full));
                break;
            }
        }
        name = json_string_value(json_object_get(m, "name"));
        if (!name || !*name) {
            slu_err_set(err, SLU_ETIMEDOUT, "could not generate a unique name from %s", gen);
            return SLU_ETIMEDOUT;
        }
    }
    if (tget(t, ns, name)) {
        char res[256];
        sim_rtype_resource(rt, res, sizeof res);
        slu_err_set(err, SLU_EEXIST, "%s \"%s\" already exists", res, name);
        if (err) {
            err->http_status = 409;
            slu_err_set_reason(err, "AlreadyExists");
            slu_strlcpy(err->kind, rt->plural, sizeof err->kind);
            slu_strlcpy(err->name, name, sizeof err->name);
        }
        return SLU_EEXIST;
    }
    if (rt == st->rt_pods) {
        const char *sa = slu_json_str(obj, "spec.serviceAccountName");
        if (sa && *sa && !tget(storage_get(st, st->rt_sa), ns, sa)) {
            char msg[600];
            snprintf(msg, sizeof msg, "serviceaccount \"%s\" not found", sa);
            char what[600];
            snprintf(what, sizeof what, "%s/%s", ns, sa);
            return err_forbidden(err, rt, name, "error looking up service account %s: %s", what,
                                 msg);
        }
    }
    if (rt == st->rt_crd)
        sim_crd_set_established(obj);
    if (wo && wo->dry_run) {
        if (out)
            *out = json_incref(obj);
        json_decref(obj);
        return 0;
    }
    /* owners that do not exist: the collector will look at this object */
    struct slu_vec ou = {0};
    owner_uids(obj, &ou);
    bool any_alive = false;
    for (size_t i = 0; i < ou.len; i++)
        if (slu_map_has(&st->uids, ou.items[i]))
            any_alive = true;
    if (ou.len > 0 && !any_alive)
        slu_vec_push(&st->pending_gc, slu_strdup(mstr(obj, "uid")));
    slu_vec_release(&ou, NULL);

    json_t *stored = commit_put(st, t, rt, obj, NULL);
    if (out)
        *out = json_incref(stored);
    if (rt == st->rt_ns) {
        json_t *sa = default_sa(mstr(stored, "name"));
        stamp_new(sa);
        commit_put(st, storage_get(st, st->rt_sa), st->rt_sa, sa, NULL);
    }
    if (rt == st->rt_crd && crd_types)
        crd_register(st, crd_types);
    return 0;
}

static void strip_server_fields(json_t *obj)
{
    json_t *m = meta_of(obj);
    static const char *const keys[] = {"uid",
                                       "resourceVersion",
                                       "creationTimestamp",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       "generation",
                                       "selfLink",
                                       "managedFields"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys); i++)
        json_object_del(m, keys[i]);
}

int sim_store_create(struct sim_store *st, const struct sim_rtype *rt, const char *ns, json_t *obj,
                     const struct sim_write_opts *wo, json_t **out, struct slu_err *err)
{
    if (out)
        *out = NULL;
    int rc = check_body(rt, obj, ns, err);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    strip_server_fields(obj);
    json_t *m = meta_of(obj);
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *gen = json_string_value(json_object_get(m, "generateName"));
    bool placeholder = false;
    if ((!name || !*name) && gen && *gen) {
        /* validate with a stand-in suffix; the real one is chosen under the lock */
        char full[300];
        snprintf(full, sizeof full, "%.58sabcde", gen);
        json_object_set_new(m, "name", json_string(full));
        placeholder = true;
    }
    struct slu_vec crd_types = {0};
    rc = prepare(st, rt, obj, NULL, wo, &crd_types, err);
    if (placeholder)
        json_object_del(m, "name");
    if (rc) {
        json_decref(obj);
        free_rt_vec(&crd_types);
        return rc;
    }
    stamp_new(obj);
    pthread_mutex_lock(&st->mu);
    rc = create_locked(st, rt, obj, wo, &crd_types, out, err);
    pthread_mutex_unlock(&st->mu);
    if (rc)
        json_decref(obj);
    free_rt_vec(&crd_types);
    return rc;
}

/* ---------------------------------------------------------------- get */

/* Returns obj (new reference) with apiVersion set to rt's when it differs (another served
 * version of the same storage). */
static json_t *as_version(const struct sim_rtype *rt, json_t *obj)
{
    if (!rt->is_crd)
        return json_incref(obj);
    char av[256];
    sim_rtype_api_version(rt, av, sizeof av);
    if (slu_streq(json_string_value(json_object_get(obj, "apiVersion")), av))
        return json_incref(obj);
    json_t *c = json_copy(obj); /* shallow: only the top level changes */
    json_object_set_new(c, "apiVersion", json_string(av));
    return c;
}

json_t *sim_store_get(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                      const char *name)
{
    if (!name)
        return NULL;
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, rt);
    json_t *o = tget(t, rt->namespaced ? ns : NULL, name);
    json_t *r = o ? as_version(rt, o) : NULL;
    pthread_mutex_unlock(&st->mu);
    return r;
}

/* ---------------------------------------------------------------- update */

static bool equal_except(const json_t *a, const json_t *b, const char *k1, const char *k2)
{
    json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
    if (k1) {
        json_object_del(ca, k1);
        json_object_del(cb, k1);
    }
    if (k2) {
        json_object_del(ca, k2);
        json_object_del(cb, k2);
    }
    bool eq = slu_json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

static bool same_ignoring_rv(const json_t *a, const json_t *b)
{
    json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
    json_t *ma = json_copy(json_object_get(ca, "metadata"));
    json_t *mb = json_copy(json_object_get(cb, "metadata"));
    if (ma) {
        json_object_del(ma, "resourceVersion");
        json_object_del(ma, "managedFields");
        json_object_set_new(ca, "metadata", ma);
    }
    if (mb) {
        json_object_del(mb, "resourceVersion");
        json_object_del(mb, "managedFields");
        json_object_set_new(cb, "metadata", mb);
    }
    bool eq = slu_json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

static bool finalizers_subset(const json_t *nobj, const json_t *old)
{
    const json_t *f = json_object_get(json_object_get(nobj, "metadata"), "finalizers");
    size_t i;
    const json_t *v;
    json_array_foreach(f, i, v)
    {
        if (!has_finalizer(old, json_string_value(v)))
            return false;
    }
    return true;
}

/* The common tail of update and mutate, under the lock: nobj (taken) is the candidate new
 * version of old (borrowed, stored). */
static int finish_update(struct sim_store *st, struct tstore *t, const struct sim_rtype *rt,
                         json_t *nobj, json_t *old, const char *sub,
                         const struct sim_write_opts *wo, bool check_rv, json_t **out,
                         struct slu_err *err)
{
    const char *name = mstr(old, "name");
    int rc = 0;
    struct slu_vec crd_types = {0};
    if (!json_is_object(nobj)) {
        json_decref(nobj);
        return err_badrequest(err, "the object must be a JSON object");
    }
    /* resourceVersion precondition */
    const char *brv = mstr(nobj, "resourceVersion");
    if (check_rv && brv && *brv && !slu_streq(brv, mstr(old, "resourceVersion"))) {
        json_decref(nobj);
        return err_conflict(err, rt, name,
                            "the object has been modified; please apply your changes to the "
                            "latest version and try again");
    }
    if (sub && slu_streq(sub, "status")) {
        /* the new version shares everything but status and metadata with the stored one
         * (immutable), unless a schema may rewrite the whole object below */
        json_t *res;
        if (rt->is_crd && rt->schema) {
            res = slu_json_copy(old);
        } else {
            res = copy_for_write(old, 0);
        }
        json_t *s = json_object_get(nobj, "status");
        if (s)
            json_object_set(res, "status", s);
        else
            json_object_del(res, "status");
        json_decref(nobj);
        nobj = res;
    } else if (rt->has_status) {
        json_t *s = json_object_get(old, "status");
        if (s)
            json_object_set(nobj, "status", s);
        else
            json_object_del(nobj, "status");
    }
    /* server-owned metadata comes from the stored object */
    json_t *m = meta_of(nobj);
    const json_t *om = json_object_get(old, "metadata");
    static const char *const keep[] = {"name",
                                       "namespace",
                                       "uid",
                                       "creationTimestamp",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       "generation"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keep); i++) {
        json_t *v = json_object_get(om, keep[i]);
        if (v)
            json_object_set(m, keep[i], v);
        else
            json_object_del(m, keep[i]);
    }
    json_object_del(m, "selfLink");
    json_object_set(nobj, "apiVersion", json_object_get(old, "apiVersion"));
    json_object_set(nobj, "kind", json_object_get(old, "kind"));
    if (is_deleting(old) && !finalizers_subset(nobj, old)) {
        slu_err_add_cause(err, "FieldValueForbidden", "metadata.finalizers",
                          "Forbidden: no new finalizers can be added if the object is being "
                          "deleted");
        json_decref(nobj);
        return sim_err_invalid(err, rt->kind, name);
    }
    if (!sub || !slu_streq(sub, "status")) {
        rc = prepare(st, rt, nobj, old, wo, rt == st->rt_crd ? &crd_types : NULL, err);
        if (rc) {
            json_decref(nobj);
            free_rt_vec(&crd_types);
            return rc;
        }
    } else if (rt->is_crd && rt->schema) {
        /* status goes through the schema too */
        rc = prepare(st, rt, nobj, old, wo, NULL, err);
        if (rc) {
            json_decref(nobj);
            return rc;
        }
    }
    /* generation */
    bool spec_changed = rt->has_status ? !equal_except(nobj, old, "metadata", "status")
                                       : !equal_except(nobj, old, "metadata", NULL);
    if (spec_changed) {
        int64_t g = slu_json_int(old, "metadata.generation", 1);
        json_object_set_new(m, "generation", json_integer(g + 1));
    }
    if (rt == st->rt_crd)
        sim_crd_set_established(nobj);
    json_object_set(m, "resourceVersion", json_object_get(om, "resourceVersion"));
    if (same_ignoring_rv(nobj, old)) {
        json_decref(nobj);
        free_rt_vec(&crd_types);
        if (out)
            *out = as_version(rt, old);
        return 0;
    }
    if (wo && wo->dry_run) {
        if (out)
            *out = nobj;
        else
            json_decref(nobj);
        free_rt_vec(&crd_types);
        return 0;
    }
    if (is_deleting(nobj) && !has_finalizers(nobj) &&
        slu_json_int(nobj, "metadata.deletionGracePeriodSeconds", 0) == 0) {
        /* the last finalizer went: the object goes */
        char *ns = slu_strdup(mstr(old, "namespace")), *nm = slu_strdup(name);
        /* swap in the final state without an event of its own: watchers see DELETED */
        json_incref(old);
        tput(st, t, ns ? ns : "", nm, nobj);
        deps_update(st, old, nobj);
        json_decref(old);
        json_t *last = NULL;
        remove_obj(st, t, ns, nm, 0, &last);
        if (out)
            *out = last;
        else
            json_decref(last);
        free(ns);
        free(nm);
        free_rt_vec(&crd_types);
        return 0;
    }
    reshare(nobj, old);
    json_t *stored = commit_put(st, t, rt, nobj, old);
    if (out)
        *out = as_version(rt, stored);
    if (rt == st->rt_crd)
        crd_register(st, &crd_types);
    free_rt_vec(&crd_types);
    return 0;
}

int sim_store_update(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, json_t *obj, const char *subresource,
                     const struct sim_write_opts *wo, json_t **out, struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (!rt->namespaced)
        ns = NULL;
    int rc = check_body(rt, obj, ns, err);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    if (subresource && (!slu_streq(subresource, "status") || !rt->has_status)) {
        json_decref(obj);
        return err_notfound(err, rt, name);
    }
    const char *bname = mstr(obj, "name");
    if (bname && *bname && !slu_streq(bname, name)) {
        char msg[700];
        snprintf(msg, sizeof msg,
                 "the name of the object (%s) does not match the name on the URL (%s)", bname,
                 name);
        json_decref(obj);
        return err_badrequest(err, msg);
    }
    json_object_set_new(meta_of(obj), "name", json_string(name));
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, rt);
    json_t *old = tget(t, ns, name);
    if (!old) {
        pthread_mutex_unlock(&st->mu);
        json_decref(obj);
        return err_notfound(err, rt, name);
    }
    rc = finish_update(st, t, rt, obj, old, subresource, wo, true, out, err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static int mutate_impl(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                       const char *name, const char *subresource, const struct sim_write_opts *wo,
                       bool status_only, sim_mutate_fn fn, void *ud, json_t **out,
                       struct slu_err *err);

int sim_store_mutate_opts(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                          const char *name, const char *subresource,
                          const struct sim_write_opts *wo, sim_mutate_fn fn, void *ud, json_t **out,
                          struct slu_err *err)
{
    return mutate_impl(st, rt, ns, name, subresource, wo, false, fn, ud, out, err);
}

int sim_store_mutate_status(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                            const char *name, sim_mutate_fn fn, void *ud, json_t **out,
                            struct slu_err *err)
{
    return mutate_impl(st, rt, ns, name, "status", NULL, true, fn, ud, out, err);
}

/* status_only: fn gets private copies of status and metadata only; the other members are the
 * stored object's own (shared, read-only), which saves a deep copy of the spec per write. */
static int mutate_impl(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                       const char *name, const char *subresource, const struct sim_write_opts *wo,
                       bool status_only, sim_mutate_fn fn, void *ud, json_t **out,
                       struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (!rt->namespaced)
        ns = NULL;
    if (subresource && (!slu_streq(subresource, "status") || !rt->has_status))
        return err_notfound(err, rt, name);
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, rt);
    json_t *old = tget(t, ns, name);
    if (!old) {
        pthread_mutex_unlock(&st->mu);
        return err_notfound(err, rt, name);
    }
    json_t *copy;
    if (status_only) {
        copy = copy_for_write(old, CP_STATUS_DEEP);
    } else {
        copy = slu_json_copy(old);
    }
    int rc = fn(ud, copy, err);
    if (rc) {
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return rc;
    }
    if (slu_json_equal(copy, old)) {
        if (out)
            *out = as_version(rt, old);
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return 0;
    }
    if (!json_is_object(copy)) {
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return err_badrequest(err, "the patched object is not a JSON object");
    }
    json_t *pm = json_object_get(copy, "metadata");
    rc = json_is_object(pm) ? check_meta_types(pm, err)
                            : err_badrequest(err, "metadata must be an object");
    if (rc) {
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return rc;
    }
    /* a changed name/kind in the body is an error as for updates */
    const char *bname = mstr(copy, "name");
    if (bname && !slu_streq(bname, name)) {
        char msg[700]; /* formatted before copy (which owns bname) goes */
        snprintf(msg, sizeof msg,
                 "the name of the object (%s) does not match the name on the URL (%s)", bname,
                 name);
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return err_badrequest(err, msg);
    }
    rc = finish_update(st, t, rt, copy, old, subresource, wo, true, out, err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sim_store_mutate(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, const char *subresource, sim_mutate_fn fn, void *ud,
                     json_t **out, struct slu_err *err)
{
    return sim_store_mutate_opts(st, rt, ns, name, subresource, NULL, fn, ud, out, err);
}

/* ---------------------------------------------------------------- bind */

struct bind_ctx {
    const char *node;
};

static int bind_fn(void *ud, json_t *pod, struct slu_err *err)
{
    struct bind_ctx *b = ud;
    const char *cur = slu_json_str(pod, "spec.nodeName");
    if (cur && *cur) {
        slu_err_set(err, SLU_ECONFLICT,
                    "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is already "
                    "assigned to node \"%s\"",
                    mstr(pod, "name"), mstr(pod, "name"), cur);
        if (err) {
            err->http_status = 409;
            slu_err_set_reason(err, "Conflict");
            slu_strlcpy(err->kind, "pods/binding", sizeof err->kind);
            slu_strlcpy(err->name, mstr(pod, "name"), sizeof err->name);
        }
        return SLU_ECONFLICT;
    }
    if (is_deleting(pod)) {
        slu_err_set(err, SLU_ECONFLICT, "pod %s is being deleted, cannot be assigned to a host",
                    mstr(pod, "name"));
        if (err) {
            err->http_status = 409;
            slu_err_set_reason(err, "Conflict");
        }
        return SLU_ECONFLICT;
    }
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(pod, "spec", spec);
    }
    json_object_set_new(spec, "nodeName", json_string(b->node));
    json_t *status = json_object_get(pod, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(pod, "status", status);
    }
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    char ts[40];
    now_rfc3339(ts, sizeof ts);
    json_t *c = json_pack("{s:s,s:s,s:n,s:s}", "type", "PodScheduled", "status", "True",
                          "lastProbeTime", "lastTransitionTime", ts);
    for (size_t i = json_array_size(conds); i-- > 0;) {
        if (slu_streq(json_string_value(json_object_get(json_array_get(conds, i), "type")),
                      "PodScheduled"))
            json_array_remove(conds, i);
    }
    json_array_append_new(conds, c);
    return 0;
}

int sim_store_bind(struct sim_store *st, const char *ns, const char *name, const char *node,
                   struct slu_err *err)
{
    struct bind_ctx b = {.node = node};
    if (!node || !*node) {
        slu_err_add_cause(err, "FieldValueRequired", "target.name", "Required value");
        return sim_err_invalid(err, "Binding", name);
    }
    /* nodeName lives in spec and the condition in status: write both at once */
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, st->rt_pods);
    json_t *old = tget(t, ns, name);
    if (!old) {
        pthread_mutex_unlock(&st->mu);
        return err_notfound(err, st->rt_pods, name);
    }
    json_t *copy = copy_for_write(old, CP_STATUS_DEEP | CP_SPEC_TOP);
    int rc = bind_fn(&b, copy, err);
    if (rc) {
        pthread_mutex_unlock(&st->mu);
        json_decref(copy);
        return rc;
    }
    commit_put(st, t, st->rt_pods, copy, old);
    pthread_mutex_unlock(&st->mu);
    return 0;
}

/* ---------------------------------------------------------------- delete */

static int check_preconditions(const struct sim_rtype *rt, const json_t *cur,
                               const struct sim_delete_opts *o, struct slu_err *err)
{
    const char *name = mstr(cur, "name");
    if (o->precondition_uid && *o->precondition_uid &&
        !slu_streq(o->precondition_uid, mstr(cur, "uid"))) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "Precondition failed: UID in precondition: %s, UID in object meta: %s",
                 o->precondition_uid, mstr(cur, "uid"));
        return err_conflict(err, rt, name, msg);
    }
    if (o->precondition_rv && *o->precondition_rv &&
        !slu_streq(o->precondition_rv, mstr(cur, "resourceVersion"))) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in "
                 "object meta: %s",
                 o->precondition_rv, mstr(cur, "resourceVersion"));
        return err_conflict(err, rt, name, msg);
    }
    return 0;
}

static void mark_deleting(json_t *obj, int64_t grace)
{
    char ts[40];
    slu_time_format_rfc3339(slu_now_unix() + grace, ts, sizeof ts);
    json_t *m = meta_of(obj);
    json_object_set_new(m, "deletionTimestamp", json_string(ts));
    json_object_set_new(m, "deletionGracePeriodSeconds", json_integer(grace));
}

/* Deletes the namespace's contents (every storage). */
static void namespace_empty(struct sim_store *st, const char *ns, int depth)
{
    struct slu_vec ts = {0};
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&st->storages, &it, &k, &v))
        slu_vec_push(&ts, v);
    for (size_t i = 0; i < ts.len; i++) {
        struct tstore *t = ts.items[i];
        if (!t->rt->namespaced)
            continue;
        struct nsbucket *b = slu_map_get(&t->by_ns, ns);
        if (!b)
            continue;
        struct slu_vec names = {0};
        size_t j = 0;
        const char *nm;
        void *ov;
        while (slu_map_next(&b->objs, &j, &nm, &ov))
            slu_vec_push(&names, slu_strdup(nm));
        for (size_t n = 0; n < names.len; n++) {
            struct sim_delete_opts bo = {.grace_period_seconds = -1};
            delete_locked(st, t, t->rt, ns, names.items[n], &bo, depth + 1, NULL, NULL);
        }
        slu_vec_release(&names, free);
    }
    slu_vec_release(&ts, NULL);
}

static int delete_locked(struct sim_store *st, struct tstore *t, const struct sim_rtype *rt,
                         const char *ns, const char *name, const struct sim_delete_opts *o,
                         int depth, json_t **out, struct slu_err *err)
{
    json_t *cur = tget(t, ns, name);
    if (!cur)
        return err_notfound(err, rt, name);
    int rc = check_preconditions(rt, cur, o, err);
    if (rc)
        return rc;
    const char *policy = o->propagation_policy && *o->propagation_policy
                             ? o->propagation_policy
                             : (rt == st->rt_crd ? "Background" : "Background");
    if (!slu_streq(policy, "Background") && !slu_streq(policy, "Foreground") &&
        !slu_streq(policy, "Orphan")) {
        slu_err_add_cause(err, "FieldValueNotSupported", "propagationPolicy",
                          "Unsupported value: \"x\": supported values: \"Foreground\", "
                          "\"Background\", \"Orphan\"");
        return sim_err_invalid(err, "DeleteOptions", "");
    }
    const char *uid = mstr(cur, "uid");
    bool is_pod = rt == st->rt_pods;

    /* grace period (pods on a node that are not finished) */
    int64_t grace = 0;
    if (is_pod) {
        const char *node = slu_json_str(cur, "spec.nodeName");
        const char *phase = slu_json_str(cur, "status.phase");
        grace = o->grace_period_seconds >= 0
                    ? o->grace_period_seconds
                    : slu_json_int(cur, "spec.terminationGracePeriodSeconds", 30);
        if (!node || !*node || slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed"))
            grace = 0;
        if (grace < 0)
            grace = 0;
    }

    if (o->dry_run) {
        json_t *c = copy_for_write(cur, 0);
        if (grace > 0 || has_finalizers(cur))
            mark_deleting(c, grace);
        if (out)
            *out = c;
        else
            json_decref(c);
        return 0;
    }

    if (is_deleting(cur)) {
        /* already being deleted: a shorter grace period may finish it */
        int64_t cur_grace = slu_json_int(cur, "metadata.deletionGracePeriodSeconds", 0);
        if (is_pod && grace < cur_grace) {
            json_t *c = copy_for_write(cur, 0);
            if (grace > 0) {
                mark_deleting(c, grace);
                json_t *s = commit_put(st, t, rt, c, cur);
                if (out)
                    *out = json_incref(s);
                return 0;
            }
            json_object_set_new(meta_of(c), "deletionGracePeriodSeconds", json_integer(0));
            if (has_finalizers(c)) {
                json_t *s = commit_put(st, t, rt, c, cur);
                if (out)
                    *out = json_incref(s);
                return 0;
            }
            json_decref(c);
            remove_obj(st, t, ns, name, depth, out);
            return 0;
        }
        if (out)
            *out = json_incref(cur);
        return 0;
    }

    if (rt == st->rt_ns) {
        json_t *c = copy_for_write(cur, CP_STATUS_DEEP);
        mark_deleting(c, 0);
        json_t *status = json_object_get(c, "status");
        if (!json_is_object(status)) {
            status = json_object();
            json_object_set_new(c, "status", status);
        }
        json_object_set_new(status, "phase", json_string("Terminating"));
        json_t *s = commit_put(st, t, rt, c, cur);
        json_t *keep = json_incref(s);
        namespace_empty(st, name, depth);
        if (out)
            *out = keep;
        else
            json_decref(keep);
        return 0;
    }

    struct slu_map *dm = uid ? slu_map_get(&st->deps, uid) : NULL;
    if (slu_streq(policy, "Orphan") && dm) {
        struct slu_vec du = {0};
        map_keys(dm, &du);
        char *ouid = slu_strdup(uid);
        for (size_t i = 0; i < du.len; i++) {
            struct uidloc *l;
            json_t *dep = by_uid(st, du.items[i], &l);
            if (!dep)
                continue;
            json_t *c = copy_for_write(dep, CP_META_DEEP);
            json_t *refs = json_object_get(meta_of(c), "ownerReferences");
            for (size_t j = json_array_size(refs); j-- > 0;) {
                if (slu_streq(json_string_value(json_object_get(json_array_get(refs, j), "uid")),
                              ouid))
                    json_array_remove(refs, j);
            }
            if (json_array_size(refs) == 0)
                json_object_del(meta_of(c), "ownerReferences");
            commit_put(st, l->ts, l->ts->rt, c, dep);
        }
        free(ouid);
        slu_vec_release(&du, free);
        cur = tget(t, ns, name);
        if (!cur)
            return err_notfound(err, rt, name);
    } else if (slu_streq(policy, "Foreground") && dm && dm->len > 0) {
        json_t *c = copy_for_write(cur, CP_META_DEEP);
        mark_deleting(c, 0);
        json_t *fin = json_object_get(meta_of(c), "finalizers");
        if (!json_is_array(fin)) {
            fin = json_array();
            json_object_set_new(meta_of(c), "finalizers", fin);
        }
        json_array_append_new(fin, json_string("foregroundDeletion"));
        commit_put(st, t, rt, c, cur);
        char *ouid = slu_strdup(uid);
        json_t *snapshot = json_incref(tget(t, ns, name));
        struct slu_vec du = {0};
        map_keys(dm, &du);
        for (size_t i = 0; i < du.len; i++) {
            struct uidloc *l;
            if (!by_uid(st, du.items[i], &l))
                continue;
            struct sim_delete_opts fo = {.propagation_policy = "Foreground",
                                         .grace_period_seconds = -1};
            delete_at(st, l, &fo, depth + 1);
        }
        slu_vec_release(&du, free);
        free(ouid);
        json_t *now = tget(t, ns, name);
        if (out)
            *out = json_incref(now ? now : snapshot);
        json_decref(snapshot);
        return 0;
    }

    if (grace > 0 || has_finalizers(cur)) {
        json_t *c = copy_for_write(cur, 0);
        mark_deleting(c, grace);
        json_t *s = commit_put(st, t, rt, c, cur);
        if (out)
            *out = json_incref(s);
        return 0;
    }
    remove_obj(st, t, ns, name, depth, out);
    return 0;
}

int sim_store_delete(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                     const char *name, const struct sim_delete_opts *o, json_t **out,
                     struct slu_err *err)
{
    struct sim_delete_opts dflt = {.grace_period_seconds = -1};
    if (out)
        *out = NULL;
    if (!o)
        o = &dflt;
    if (!rt->namespaced)
        ns = NULL;
    pthread_mutex_lock(&st->mu);
    struct tstore *t = storage_get(st, rt);
    int rc = delete_locked(st, t, rt, ns, name, o, 0, out, err);
    pthread_mutex_unlock(&st->mu);
    if (rc == 0 && out && *out && rt->is_crd) {
        json_t *v = as_version(rt, *out);
        json_decref(*out);
        *out = v;
    }
    return rc;
}

/* ---------------------------------------------------------------- list */

static bool matches(const json_t *obj, const struct sim_list_opts *o)
{
    if (!o)
        return true;
    if (o->labels && !kube_label_selector_matches(
                         o->labels, json_object_get(json_object_get(obj, "metadata"), "labels")))
        return false;
    if (o->fields && !kube_field_selector_matches(o->fields, obj))
        return false;
    return true;
}

static int cmp_objs(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *nx = mstr(x, "namespace"), *ny = mstr(y, "namespace");
    int c = strcmp(nx ? nx : "", ny ? ny : "");
    if (c)
        return c;
    return strcmp(mstr(x, "name"), mstr(y, "name"));
}

static int err_expired_continue(struct slu_err *err)
{
    slu_err_set(err, SLU_EGONE,
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter, or use the "
                "continue token in this response to retrieve the remainder of the results. "
                "Continuing with the provided token results in an inconsistent list - objects "
                "that were created, modified, or deleted between the time the first chunk was "
                "returned and now may show up in the list.");
    if (err) {
        err->http_status = 410;
        slu_err_set_reason(err, "Expired");
    }
    return SLU_EGONE;
}

static void expire_snaps(struct sim_store *st)
{
    int64_t now = slu_now_mono_ns();
    struct slu_vec dead = {0};
    size_t it = 0;
    const char *k;
    void *v;
    while (slu_map_next(&st->snaps, &it, &k, &v)) {
        struct snap *s = v;
        if (s->expires_ns <= now)
            slu_vec_push(&dead, slu_strdup(k));
    }
    for (size_t i = 0; i < dead.len; i++)
        slu_map_del(&st->snaps, dead.items[i]);
    slu_vec_release(&dead, free);
}

/* The first requirement of sel that is an equality (k=v, k==v, k in (v)) on an indexed label:
 * its key and value are copied out (both "" when none). Reads the selector's canonical string
 * form (requirements separated by commas outside parentheses). */
static void indexed_term(const struct kube_label_selector *sel, char *key, size_t kn, char *val,
                         size_t vn)
{
    *key = *val = '\0';
    char *s = kube_label_selector_string(sel);
    char *p = s;
    while (p && *p) {
        /* one requirement: up to a comma outside parentheses */
        char *e = p;
        int depth = 0;
        while (*e && (depth > 0 || *e != ',')) {
            if (*e == '(')
                depth++;
            else if (*e == ')')
                depth--;
            e++;
        }
        char save = *e;
        *e = '\0';
        char *v = NULL;
        size_t klen = 0;
        char *in = strstr(p, " in (");
        char *eq = strchr(p, '=');
        if (in && !strstr(p, " notin (") && !strchr(in + 5, ',') && *p != '!') {
            klen = (size_t)(in - p);
            v = in + 5;
            char *close = strchr(v, ')');
            if (close)
                *close = '\0';
        } else if (eq && eq > p && eq[-1] != '!' && *p != '!') {
            klen = (size_t)(eq - p);
            v = eq[1] == '=' ? eq + 2 : eq + 1;
        }
        if (v && klen < kn && strlen(v) < vn) {
            for (size_t i = 0; i < SLU_ARRAY_LEN(INDEXED_LABELS); i++) {
                if (strlen(INDEXED_LABELS[i]) == klen && strncmp(p, INDEXED_LABELS[i], klen) == 0) {
                    memcpy(key, p, klen);
                    key[klen] = '\0';
                    slu_strlcpy(val, v, vn);
                    free(s);
                    return;
                }
            }
        }
        if (!save)
            break;
        p = e + 1;
    }
    free(s);
}

int sim_store_list(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                   const struct sim_list_opts *o, json_t **out, struct slu_err *err)
{
    *out = NULL;
    if (!rt->namespaced)
        ns = NULL;
    struct slu_vec items = {0};
    uint64_t rv = 0;
    size_t start = 0;
    char snap_key[32] = "";
    int64_t limit = o ? o->limit : 0;
    if (o && o->continue_token && *o->continue_token) {
        uint64_t id = 0, off = 0;
        const char *tok = o->continue_token;
        const char *dot = strchr(tok, '.');
        char idb[32];
        if (!slu_str_has_prefix(tok, "sim1.") || !(dot = strchr(tok + 5, '.')) ||
            (size_t)(dot - (tok + 5)) >= sizeof idb)
            return err_badrequest(err, "continue key is not valid: malformed token");
        memcpy(idb, tok + 5, (size_t)(dot - (tok + 5)));
        idb[dot - (tok + 5)] = 0;
        if (slu_parse_u64(idb, &id) || slu_parse_u64(dot + 1, &off))
            return err_badrequest(err, "continue key is not valid: malformed token");
        snprintf(snap_key, sizeof snap_key, "%llu", (unsigned long long)id);
        pthread_mutex_lock(&st->mu);
        expire_snaps(st);
        struct snap *s = slu_map_get(&st->snaps, snap_key);
        if (!s || off > s->items.len) {
            pthread_mutex_unlock(&st->mu);
            return err_expired_continue(err);
        }
        for (size_t i = 0; i < s->items.len; i++)
            slu_vec_push(&items, json_incref(s->items.items[i]));
        rv = s->rv;
        start = (size_t)off;
        pthread_mutex_unlock(&st->mu);
    } else {
        char ikey[128] = "", ival[128] = "";
        if (o && o->labels)
            indexed_term(o->labels, ikey, sizeof ikey, ival, sizeof ival);
        pthread_mutex_lock(&st->mu);
        struct tstore *t = storage_get(st, rt);
        rv = st->rv;
        size_t it = 0;
        const char *k;
        void *bv;
        while (slu_map_next(&t->by_ns, &it, &k, &bv)) {
            if (ns && strcmp(k, ns) != 0)
                continue;
            struct nsbucket *b = bv;
            size_t j = 0;
            const char *nm;
            void *ov;
            if (*ikey) {
                /* only the objects the index names can match */
                char *lk = lidx_key(k, ikey, ival);
                const struct slu_map *set = slu_map_get(&t->lidx, lk);
                free(lk);
                while (set && slu_map_next(set, &j, &nm, &ov)) {
                    json_t *obj = slu_map_get(&b->objs, nm);
                    st->stats.list_examined++;
                    if (obj && matches(obj, o))
                        slu_vec_push(&items, json_incref(obj));
                }
                continue;
            }
            while (slu_map_next(&b->objs, &j, &nm, &ov)) {
                st->stats.list_examined++;
                if (matches(ov, o))
                    slu_vec_push(&items, json_incref(ov));
            }
        }
        pthread_mutex_unlock(&st->mu);
        slu_vec_sort(&items, cmp_objs);
    }

    size_t end = items.len;
    bool more = false;
    if (limit > 0 && start + (size_t)limit < items.len) {
        end = start + (size_t)limit;
        more = true;
    }
    json_t *arr = json_array();
    for (size_t i = start; i < end; i++)
        json_array_append_new(arr, as_version(rt, items.items[i]));
    char av[256], rvs[32];
    sim_rtype_api_version(rt, av, sizeof av);
    snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)rv);
    json_t *md = json_pack("{s:s}", "resourceVersion", rvs);
    if (more) {
        pthread_mutex_lock(&st->mu);
        if (!*snap_key) {
            struct snap *s = slu_calloc(1, sizeof *s);
            s->items = items;
            memset(&items, 0, sizeof items);
            s->rv = rv;
            snprintf(snap_key, sizeof snap_key, "%llu", (unsigned long long)++st->snap_id);
            if (st->snaps.len >= MAX_SNAPSHOTS)
                expire_snaps(st);
            slu_map_put(&st->snaps, snap_key, s);
        }
        struct snap *s = slu_map_get(&st->snaps, snap_key);
        if (s)
            s->expires_ns = slu_now_mono_ns() + st->continue_ttl_ms * 1000000LL;
        size_t total = s ? s->items.len : items.len;
        pthread_mutex_unlock(&st->mu);
        char tok[80];
        snprintf(tok, sizeof tok, "sim1.%s.%zu", snap_key, end);
        json_object_set_new(md, "continue", json_string(tok));
        json_object_set_new(md, "remainingItemCount", json_integer((json_int_t)(total - end)));
    } else if (*snap_key) {
        pthread_mutex_lock(&st->mu);
        slu_map_del(&st->snaps, snap_key);
        pthread_mutex_unlock(&st->mu);
    }
    for (size_t i = 0; i < items.len; i++)
        json_decref(items.items[i]);
    slu_vec_release(&items, NULL);
    *out = json_pack("{s:s,s:s,s:o,s:o}", "kind", rt->list_kind, "apiVersion", av, "metadata", md,
                     "items", arr);
    return 0;
}

/* ---------------------------------------------------------------- watch */

static int err_too_old(struct slu_err *err, uint64_t rv, uint64_t oldest)
{
    slu_err_set(err, SLU_EGONE, "too old resource version: %llu (%llu)", (unsigned long long)rv,
                (unsigned long long)oldest);
    if (err) {
        err->http_status = 410;
        slu_err_set_reason(err, "Expired");
    }
    return SLU_EGONE;
}

/* A watcher from from_rv over the storages of rts (n of them; 0: every type). rt: the one type
 * whose version events are converted to, or NULL. */
static int watch_new(struct sim_store *st, const struct sim_rtype *const *rts, size_t n,
                     const struct sim_rtype *rt, const char *ns, uint64_t from_rv,
                     struct sim_watcher **out, struct slu_err *err)
{
    *out = NULL;
    if (n > WATCH_MAX_TYPES)
        return slu_err_set(err, SLU_EINVAL, "a watcher takes at most %d types", WATCH_MAX_TYPES);
    pthread_mutex_lock(&st->mu);
    uint64_t first = st->seq_next - st->ring_len;
    uint64_t seq = st->seq_next;
    if (from_rv > 0) {
        if (from_rv < st->evicted_rv) {
            uint64_t oldest = st->ring_len ? st->ring[first % st->ring_cap].rv : st->rv;
            pthread_mutex_unlock(&st->mu);
            return err_too_old(err, from_rv, oldest ? oldest - 1 : 0);
        }
        /* first event with rv > from_rv (binary search; rvs grow with seq) */
        uint64_t lo = first, hi = st->seq_next;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (st->ring[mid % st->ring_cap].rv <= from_rv)
                lo = mid + 1;
            else
                hi = mid;
        }
        seq = lo;
    }
    struct sim_watcher *w = slu_calloc(1, sizeof *w);
    w->st = st;
    w->rt = rt;
    for (size_t i = 0; i < n; i++)
        w->ts[i] = storage_get(st, rts[i]);
    w->nts = n;
    w->ns = rt && !rt->namespaced ? NULL : slu_strdup(ns);
    w->next_seq = seq;
    w->pos_rv = from_rv > 0 ? from_rv : st->rv;
    slu_cond_init_mono(&w->cond);
    slu_vec_push(&st->watchers, w);
    pthread_mutex_unlock(&st->mu);
    *out = w;
    return 0;
}

int sim_store_watch(struct sim_store *st, const struct sim_rtype *rt, const char *ns,
                    uint64_t from_rv, struct sim_watcher **out, struct slu_err *err)
{
    return watch_new(st, rt ? &rt : NULL, rt ? 1 : 0, rt, ns, from_rv, out, err);
}

int sim_store_watch_types(struct sim_store *st, const struct sim_rtype *const *rts, size_t n,
                          uint64_t from_rv, struct sim_watcher **out, struct slu_err *err)
{
    return watch_new(st, rts, n, NULL, NULL, from_rv, out, err);
}

static bool watcher_wants(struct sim_watcher *w, const struct sim_event *e)
{
    if (w->nts) {
        bool any = false;
        for (size_t i = 0; i < w->nts && !any; i++) {
            const struct sim_rtype *t = w->ts[i]->rt;
            any = e->rt == t ||
                  (slu_streq(e->rt->group, t->group) && slu_streq(e->rt->plural, t->plural));
        }
        if (!any)
            return false;
    }
    if (w->ns && !slu_streq(mstr(e->obj, "namespace"), w->ns))
        return false;
    return true;
}

int sim_watcher_next(struct sim_watcher *w, struct sim_event *ev, int64_t timeout_ms)
{
    memset(ev, 0, sizeof *ev);
    struct sim_store *st = w->st;
    if (!st)
        return SLU_ECANCELED;
    struct timespec dl;
    if (timeout_ms >= 0)
        slu_deadline_from_now(&dl, timeout_ms);
    bool timed_out = false;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        if (w->canceled || st->stopping) {
            pthread_mutex_unlock(&st->mu);
            return SLU_ECANCELED;
        }
        uint64_t first = st->seq_next - st->ring_len;
        if (w->next_seq < first) {
            pthread_mutex_unlock(&st->mu);
            return SLU_EGONE;
        }
        while (w->next_seq < st->seq_next) {
            const struct sim_event *e = &st->ring[w->next_seq % st->ring_cap];
            w->next_seq++;
            w->pos_rv = e->rv;
            if (!watcher_wants(w, e))
                continue;
            ev->rv = e->rv;
            ev->type = e->type;
            ev->rt = w->rt ? w->rt : e->rt;
            ev->obj = w->rt ? as_version(w->rt, e->obj) : json_incref(e->obj);
            ev->old = e->old ? (w->rt ? as_version(w->rt, e->old) : json_incref(e->old)) : NULL;
            pthread_mutex_unlock(&st->mu);
            return 0;
        }
        if (w->next_seq >= st->seq_next && st->rv > w->pos_rv)
            w->pos_rv = st->rv; /* nothing pending: caught up with the store */
        if (timeout_ms == 0 || timed_out) {
            pthread_mutex_unlock(&st->mu);
            return SLU_ETIMEDOUT;
        }
        /* events this watcher does not want do not wake it: after a wake-up or the timeout,
         * the loop above skips them (and moves the position past them) */
        w->waiting = true;
        int rc = timeout_ms < 0 ? pthread_cond_wait(&w->cond, &st->mu)
                                : pthread_cond_timedwait(&w->cond, &st->mu, &dl);
        w->waiting = false;
        if (rc != 0)
            timed_out = true;
    }
}

uint64_t sim_watcher_position(struct sim_watcher *w)
{
    struct sim_store *st = w->st;
    if (!st)
        return w->pos_rv;
    pthread_mutex_lock(&st->mu);
    uint64_t rv = w->pos_rv;
    pthread_mutex_unlock(&st->mu);
    return rv;
}

void sim_watcher_cancel(struct sim_watcher *w)
{
    if (!w)
        return;
    struct sim_store *st = w->st;
    if (!st) {
        w->canceled = true;
        return;
    }
    pthread_mutex_lock(&st->mu);
    w->canceled = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&st->mu);
}

void sim_watcher_free(struct sim_watcher *w)
{
    if (!w)
        return;
    struct sim_store *st = w->st;
    if (st) {
        pthread_mutex_lock(&st->mu);
        for (size_t i = 0; i < st->watchers.len; i++) {
            if (st->watchers.items[i] == w) {
                slu_vec_remove_at(&st->watchers, i);
                break;
            }
        }
        pthread_mutex_unlock(&st->mu);
    }
    pthread_cond_destroy(&w->cond);
    free(w->ns);
    free(w);
}

void sim_store_cancel_watchers(struct sim_store *st)
{
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->watchers.len; i++) {
        struct sim_watcher *w = st->watchers.items[i];
        w->canceled = true;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&st->mu);
}

/* ---------------------------------------------------------------- background work */

void sim_store_gc_run(struct sim_store *st)
{
    pthread_mutex_lock(&st->mu);
    /* terminating namespaces that are empty */
    struct tstore *nst = storage_get(st, st->rt_ns);
    struct nsbucket *b = slu_map_get(&nst->by_ns, "");
    struct slu_vec gone = {0};
    size_t it = 0;
    const char *k;
    void *v;
    while (b && slu_map_next(&b->objs, &it, &k, &v)) {
        if (is_deleting(v) && ns_objects(st, k) == 0 && !has_finalizers(v))
            slu_vec_push(&gone, slu_strdup(k));
    }
    for (size_t i = 0; i < gone.len; i++) {
        remove_obj(st, nst, NULL, gone.items[i], 0, NULL);
        slu_map_del(&st->ns_count, gone.items[i]);
    }
    slu_vec_release(&gone, free);
    /* terminating namespaces whose contents are held only by objects that could now go: make
     * sure nothing new appeared (created before the mark) */
    /* objects created with owners that do not exist */
    struct slu_vec pend = st->pending_gc;
    memset(&st->pending_gc, 0, sizeof st->pending_gc);
    for (size_t i = 0; i < pend.len; i++) {
        struct uidloc *l;
        json_t *o = by_uid(st, pend.items[i], &l);
        if (!o || owner_alive(st, o, true))
            continue;
        struct sim_delete_opts bo = {.grace_period_seconds = -1};
        delete_at(st, l, &bo, 0);
    }
    slu_vec_release(&pend, free);
    expire_snaps(st);
    intern_sweep(st);
    pthread_mutex_unlock(&st->mu);
}

static void *gc_thread_main(void *arg)
{
    struct sim_store *st = arg;
    pthread_mutex_lock(&st->mu);
    while (!st->stopping) {
        struct timespec dl;
        slu_deadline_from_now(&dl, 100);
        pthread_cond_timedwait(&st->gc_cond, &st->mu, &dl);
        if (st->stopping)
            break;
        pthread_mutex_unlock(&st->mu);
        sim_store_gc_run(st);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}
