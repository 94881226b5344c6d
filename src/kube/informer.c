/*
 * informer.c - a list+watch cache of one resource kind (client-go's reflector + indexer, in C).
 *
 * One thread per informer: it lists (paged, limit = page_size), replaces the cache with what the
 * list returned, then watches from the list's resourceVersion with bookmarks on. Every event moves
 * the "last seen" resourceVersion (bookmarks too); a watch that ends (server timeout, cut stream,
 * transport error) is resumed from it, so no event is lost or repeated; a 410 (the version fell
 * out of the server's window) makes it list again. A relist diffs the new list with the cache
 * and delivers on_add / on_update (resourceVersion changed) / on_delete, so handlers see the same
 * picture as if they had seen every event. Errors back off exponentially (with jitter, up to 30 s).
 *
 * The store maps "ns/name" (or "name") to an immutable, reference-counted json_t (the projection
 * when a project hook is given, which is what keeps 100k pods small). Readers take a read lock and
 * get a new reference; only the informer thread writes. Indexes map index value -> set of keys and
 * are kept in step with the store under the same lock. Handlers run on the informer thread with
 * no lock held (they may read the informer), after the store already reflects the event.
 * With opts.compact the store keeps each object serialized (compact JSON) instead of as a shared
 * json_t; jansson spends ~3 KB on a small projected pod (hash tables, pairs, strings) against
 * ~0.4 KB of text, so this is what fits 100k pods in well under 150 MB; get/list/handlers then
 * parse a private copy on each call. Each stored text carries the values it is filed under in the
 * indexes, so an event refiles an object without parsing its old text; the old text is parsed
 * only for a handler that takes the old object (on_update without no_old_on_update, on_delete).
 * The informer thread is the only writer, so it reads the store without the lock and takes the
 * write lock only to change the store and the indexes.
 * Periodic resync (on_update(obj, obj) for every object) runs on the same thread: the watch is
 * given a server-side timeout that ends it when a resync is due.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client_priv.h"

#define INF_BACKOFF_BASE_MS 200
#define INF_BACKOFF_CAP_MS 30000
#define INF_WATCH_MIN_S 300 /* watch timeouts are spread over [5, 10) min like client-go's */

struct index {
    char *name;
    kube_index_fn fn;
    struct slu_map values; /* value -> struct slu_map * (set of keys) */
};

struct kube_informer {
    struct kube_client *c;
    struct kube_resource res;
    char *res_group, *res_version, *res_plural, *res_kind;
    char *ns, *lsel, *fsel;
    int64_t page_size;
    int64_t resync_ms;
    kube_project_fn project;
    bool compact; /* values are struct blob (serialized JSON), not json_t */
    const char *const *select;
    size_t nselect;
    bool no_old_on_update;
    struct kube_informer_handlers h;

    pthread_rwlock_t mu;    /* store and indexes */
    struct slu_map store;   /* key -> json_t * (one reference held) */
    struct slu_vec indexes; /* struct index * */

    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cond;
    bool synced;

    atomic_bool stop;
    pthread_t thread;
    bool started;
    atomic_uint_fast64_t relists;
    uint64_t lists;
    /* informer thread only: */
    char *last_rv; /* the last resourceVersion seen (last_rv_cap bytes, reused) */
    size_t last_rv_cap;
    uint64_t events_this_watch;
    struct slu_buf dump;           /* compact mode: the text of the object being stored (reused) */
    struct slu_buf ix_new, ix_old; /* serialized index values (see ix_values) */
};

static void decref_value(void *v)
{
    json_decref(v);
}

/* A serialized object (compact mode): its text, a NUL, then the values it is filed under in the
 * indexes (ixlen bytes, as ix_values writes them), so that moving it in the indexes needs no
 * parse of the old text. */
struct blob {
    size_t len;
    size_t ixlen;
    char data[];
};

static struct blob *blob_new(const char *text, size_t n, const struct slu_buf *ix)
{
    size_t ixlen = ix ? ix->len : 0;
    struct blob *b = slu_malloc(sizeof(*b) + n + 1 + ixlen);
    b->len = n;
    b->ixlen = ixlen;
    memcpy(b->data, text, n);
    b->data[n] = '\0';
    if (ixlen)
        memcpy(b->data + n + 1, ix->data, ixlen);
    return b;
}

/* ---------------------------------------------------------------- compact text */

#define SCRATCH_KEEP ((size_t)256 << 10) /* a reused buffer grown past this is given back */

/* Gives back a reused buffer that one large object grew, so that it does not stay for good. */
static void trim_scratch(struct slu_buf *b)
{
    if (b->cap > SCRATCH_KEEP)
        slu_buf_release(b);
}

#define DUMP_MAX_DEPTH 1000 /* deeper (or a cycle) is a failed dump, as jansson's own */

/* Appends n bytes to b (b's NUL is written once, at the end of dump_text). */
static inline void put(struct slu_buf *b, const char *s, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        slu_buf_append(b, s, n);
    }
}

static inline void putc_(struct slu_buf *b, char c)
{
    put(b, &c, 1);
}

/* A JSON string: '"', '\\' and control characters escaped, everything else (UTF-8) as it is, which
 * is what json_dumps writes without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH. */
static void put_string(struct slu_buf *b, const char *s, size_t n)
{
    putc_(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        char e[8];
        switch (c) {
        case '"':
            put(b, "\\\"", 2);
            break;
        case '\\':
            put(b, "\\\\", 2);
            break;
        case '\n':
            put(b, "\\n", 2);
            break;
        case '\r':
            put(b, "\\r", 2);
            break;
        case '\t':
            put(b, "\\t", 2);
            break;
        case '\b':
            put(b, "\\b", 2);
            break;
        case '\f':
            put(b, "\\f", 2);
            break;
        default:
            snprintf(e, sizeof e, "\\u%04x", c);
            put(b, e, 6);
        }
    }
    put(b, s + run, n - run);
    putc_(b, '"');
}

static int put_value(struct slu_buf *b, const json_t *v, int depth)
{
    char num[40];
    int n;
    if (depth > DUMP_MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        putc_(b, '{');
        json_t *o = (json_t *)v; /* jansson's iterators take a non-const object; nothing changes */
        bool first = true;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
            if (!first)
                putc_(b, ',');
            first = false;
            put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            putc_(b, ':');
            if (put_value(b, json_object_iter_value(it), depth + 1) != 0)
                return -1;
        }
        putc_(b, '}');
        return 0;
    }
    case JSON_ARRAY: {
        putc_(b, '[');
        for (size_t i = 0, len = json_array_size(v); i < len; i++) {
            if (i)
                putc_(b, ',');
            if (put_value(b, json_array_get(v, i), depth + 1) != 0)
                return -1;
        }
        putc_(b, ']');
        return 0;
    }
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(b, num, (size_t)n);
        return 0;
    case JSON_REAL:
        /* 17 significant digits read back as the same double; a real keeps a '.' or an
         * exponent so that it reads back as a real */
        n = snprintf(num, sizeof num, "%.17g", json_real_value(v));
        if (n <= 0 || (size_t)n >= sizeof num)
            return -1;
        put(b, num, (size_t)n);
        if (!strpbrk(num, ".e"))
            put(b, ".0", 2);
        return 0;
    case JSON_TRUE:
        put(b, "true", 4);
        return 0;
    case JSON_FALSE:
        put(b, "false", 5);
        return 0;
    case JSON_NULL:
        put(b, "null", 4);
        return 0;
    }
    return -1;
}

/* The compact JSON text of v into b (reset first, NUL-terminated). A hand-written printer: the
 * informer prints every object it stores, and json_dumpb spends most of its time on its cycle
 * check (a "%p" key printed and hashed per container) and one callback per token. The text
 * reads back (decode) as a value equal to v. Returns 0, or -1 (b empty) when v nests deeper than
 * DUMP_MAX_DEPTH. */
static int dump_text(struct slu_buf *b, const json_t *v)
{
    slu_buf_reset(b);
    slu_buf_reserve(b, 512);
    b->data[0] = '\0';
    int rc = put_value(b, v, 0);
    if (rc != 0)
        b->len = 0;
    b->data[b->len] = '\0';
    return rc;
}

/* The store value for p (reference taken); ix: p's serialized index values (compact mode keeps
 * them in the blob). The text is printed into a buffer the informer reuses, then copied into the
 * blob: one allocation. */
static void *encode(struct kube_informer *inf, json_t *p, const struct slu_buf *ix)
{
    if (!inf->compact)
        return p;
    dump_text(&inf->dump, p); /* a failed dump is stored as "" (read back as {}) */
    json_decref(p);
    struct blob *b = blob_new(inf->dump.data, inf->dump.len, ix);
    trim_scratch(&inf->dump);
    return b;
}

/* The store value of an unprojected object given as its JSON text (compact mode). */
static void *encode_raw(const char *raw, size_t n, const struct slu_buf *ix)
{
    return blob_new(raw, n, ix);
}

/* A new reference to the object held by store value v. */
static json_t *decode(struct kube_informer *inf, void *v)
{
    if (!v)
        return NULL;
    if (!inf->compact)
        return json_incref(v);
    struct blob *b = v;
    /* text this informer stored (or the server sent): slu_json_parse_select builds the whole
     * value about 3x faster than json_loadb (docs/benchmarks.md, "JSON scanning") */
    static const char *const whole[] = {""};
    json_t *o = NULL;
    if (slu_json_parse_select(b->data, b->len, whole, 1, &o, NULL) != 0)
        o = NULL;
    return o ? o : json_object();
}

static void free_keyset(void *v)
{
    struct slu_map *m = v;
    slu_map_release(m);
    free(m);
}

/* The store key of obj, "ns/name" or "name": in buf when it fits (cap bytes; names are at most
 * 253 bytes and namespaces 63), else returned owned in *heap. NULL when obj has no name. */
static const char *obj_key_in(const json_t *obj, char *buf, size_t cap, char **heap)
{
    *heap = NULL;
    const json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    if (!name)
        return NULL;
    size_t nl = strlen(name), sl = ns ? strlen(ns) : 0;
    if (sl + 1 + nl + 1 > cap) {
        *heap = sl ? slu_asprintf("%s/%s", ns, name) : slu_strdup(name);
        return *heap;
    }
    char *o = buf;
    if (sl) {
        memcpy(o, ns, sl);
        o[sl] = '/';
        o += sl + 1;
    }
    memcpy(o, name, nl + 1);
    return buf;
}

struct kube_informer *kube_informer_new(struct kube_client *c, const struct kube_informer_opts *o,
                                        const struct kube_informer_handlers *h)
{
    if (!c || !o || !o->resource)
        return NULL;
    struct kube_informer *inf = slu_calloc(1, sizeof(*inf));
    inf->c = c;
    inf->res_group = slu_strdup(o->resource->group ? o->resource->group : "");
    inf->res_version = slu_strdup(o->resource->version);
    inf->res_plural = slu_strdup(o->resource->plural);
    inf->res_kind = slu_strdup(o->resource->kind);
    inf->res = (struct kube_resource){inf->res_group, inf->res_version, inf->res_plural,
                                      inf->res_kind, o->resource->namespaced};
    inf->ns = o->namespace && *o->namespace ? slu_strdup(o->namespace) : NULL;
    inf->lsel = slu_strdup(o->label_selector);
    inf->fsel = slu_strdup(o->field_selector);
    inf->page_size = o->page_size > 0 ? o->page_size : 500;
    inf->resync_ms = o->resync_ms > 0 ? o->resync_ms : 0;
    inf->project = o->project;
    inf->compact = o->compact;
    inf->select = o->select;
    inf->nselect = o->nselect;
    inf->no_old_on_update = o->no_old_on_update;
    if (h)
        inf->h = *h;
    pthread_rwlock_init(&inf->mu, NULL);
    slu_map_init(&inf->store, inf->compact ? free : decref_value);
    pthread_mutex_init(&inf->sync_mu, NULL);
    slu_cond_init_mono(&inf->sync_cond);
    atomic_init(&inf->stop, false);
    atomic_init(&inf->relists, 0);
    return inf;
}

void kube_informer_add_index(struct kube_informer *inf, const char *name, kube_index_fn fn)
{
    struct index *ix = slu_calloc(1, sizeof(*ix));
    ix->name = slu_strdup(name);
    ix->fn = fn;
    slu_map_init(&ix->values, free_keyset);
    pthread_rwlock_wrlock(&inf->mu);
    slu_vec_push(&inf->indexes, ix);
    pthread_rwlock_unlock(&inf->mu);
}

/* ---------------------------------------------------------------- store + indexes (locked) */

/* The index values of obj, serialized into out (reset first): for each index in order, a
 * uint32_t count (native byte order) then that many NUL-terminated values. Nothing without
 * indexes. */
static void ix_values(struct kube_informer *inf, const json_t *obj, struct slu_buf *out)
{
    slu_buf_reset(out);
    struct slu_vec vals = {0};
    for (size_t i = 0; i < inf->indexes.len; i++) {
        struct index *ix = inf->indexes.items[i];
        ix->fn(obj, &vals);
        uint32_t n = (uint32_t)vals.len;
        slu_buf_append(out, &n, sizeof(n));
        for (size_t j = 0; j < vals.len; j++) {
            slu_buf_append(out, vals.items[j], strlen(vals.items[j]) + 1);
            free(vals.items[j]);
        }
        vals.len = 0;
    }
    slu_vec_release(&vals, NULL);
}

/* The serialized index values the store value v was filed under (into scratch when they must be
 * computed, i.e. v is a json_t). */
static void ix_values_of(struct kube_informer *inf, void *v, struct slu_buf *scratch,
                         const char **ser, size_t *len)
{
    *ser = NULL;
    *len = 0;
    if (!v || inf->indexes.len == 0)
        return;
    if (inf->compact) {
        struct blob *b = v;
        *ser = b->data + b->len + 1;
        *len = b->ixlen;
        return;
    }
    ix_values(inf, v, scratch);
    *ser = scratch->data;
    *len = scratch->len;
}

/* Files key under (add) or out of (!add) the values in ser[0..len) (from ix_values). */
static void index_file(struct kube_informer *inf, const char *key, const char *ser, size_t len,
                       bool add)
{
    const char *p = ser, *end = ser + len;
    for (size_t i = 0; i < inf->indexes.len && p + sizeof(uint32_t) <= end; i++) {
        struct index *ix = inf->indexes.items[i];
        uint32_t n;
        memcpy(&n, p, sizeof(n));
        p += sizeof(n);
        for (uint32_t j = 0; j < n && p < end; j++) {
            const char *val = p;
            p += strlen(p) + 1;
            struct slu_map *set = slu_map_get(&ix->values, val);
            if (add) {
                if (!set) {
                    set = slu_malloc(sizeof(*set));
                    slu_map_init(set, NULL);
                    slu_map_put(&ix->values, val, set);
                }
                slu_map_put(set, key, (void *)1);
            } else if (set) {
                slu_map_del(set, key);
                if (set->len == 0)
                    slu_map_del(&ix->values, val);
            }
        }
    }
}

/* Moves key from the old index values to the new ones (either may be empty: add / delete). An
 * object still filed under the same values (the usual update) costs a compare. */
static void index_update(struct kube_informer *inf, const char *key, const char *old_ser,
                         size_t old_len, const char *new_ser, size_t new_len)
{
    if (inf->indexes.len == 0 ||
        (old_ser && new_ser && old_len == new_len && memcmp(old_ser, new_ser, old_len) == 0))
        return;
    if (old_ser)
        index_file(inf, key, old_ser, old_len, false);
    if (new_ser)
        index_file(inf, key, new_ser, new_len, true);
}

static json_t *project(struct kube_informer *inf, json_t *obj)
{
    if (inf->project) {
        json_t *p = inf->project(obj);
        if (p)
            return p;
    }
    return json_incref(obj);
}

/* ---------------------------------------------------------------- listing */

/* A relist's change, kept small until delivered: in compact mode, decoding every object up
 * front would hold the whole list as json_t at once (~2 KB a small pod: 100k pods ~ 200 MB of
 * peak, and heap that glibc keeps afterwards). */
struct change {
    void *old_val; /* the old store value (owned), or NULL */
    char *key;     /* owned; set when the key is in the new store (decoded at delivery) */
};

static void set_last_rv(struct kube_informer *inf, const char *rv)
{
    if (!rv || !*rv)
        return;
    size_t n = strlen(rv) + 1;
    if (n > inf->last_rv_cap) {
        free(inf->last_rv);
        inf->last_rv_cap = SLU_MAX(n, (size_t)32);
        inf->last_rv = slu_malloc(inf->last_rv_cap);
    }
    memcpy(inf->last_rv, rv, n);
}

/* Whether store values a and b hold the same metadata.resourceVersion. Compact mode reads it
 * from the text without building the objects (falling back to decoding when it cannot). */
static bool same_rv(struct kube_informer *inf, void *a, void *b)
{
    if (inf->compact) {
        struct blob *x = a, *y = b;
        char rx[128], ry[128];
        if (slu_json_scan_str(x->data, x->len, "metadata.resourceVersion", rx, sizeof rx) == 0 &&
            slu_json_scan_str(y->data, y->len, "metadata.resourceVersion", ry, sizeof ry) == 0)
            return strcmp(rx, ry) == 0;
    }
    json_t *old = decode(inf, a);
    json_t *nw = decode(inf, b);
    bool same = slu_streq(slu_json_str(old, "metadata.resourceVersion"),
                          slu_json_str(nw, "metadata.resourceVersion"));
    json_decref(old);
    json_decref(nw);
    return same;
}

/* Lists every page into a fresh map, swaps it in, rebuilds the indexes, and delivers the diff. */
static int relist(struct kube_informer *inf, struct slu_err *err)
{
    struct slu_map fresh;
    slu_map_init(&fresh, inf->compact ? free : decref_value);
    struct kube_list_opts o = {
        .label_selector = inf->lsel, .field_selector = inf->fsel, .limit = inf->page_size};
    char *cont = NULL, *list_rv = NULL;
    int rc = 0;
    for (;;) {
        json_t *page = NULL;
        o.continue_token = cont;
        rc = kube_list(inf->c, &inf->res, inf->ns, &o, &page, err);
        if (rc < 0)
            break;
        if (!list_rv)
            list_rv = slu_strdup(slu_json_str(page, "metadata.resourceVersion"));
        size_t i;
        json_t *item;
        json_t *items = json_object_get(page, "items");
        json_array_foreach(items, i, item)
        {
            char kb[320], *heap;
            const char *key = obj_key_in(item, kb, sizeof kb, &heap);
            if (!key)
                continue;
            json_t *p = project(inf, item);
            if (inf->compact)
                ix_values(inf, p, &inf->ix_new);
            slu_map_put(&fresh, key, encode(inf, p, &inf->ix_new));
            free(heap);
        }
        const char *next = slu_json_str(page, "metadata.continue");
        free(cont);
        cont = next && *next ? slu_strdup(next) : NULL;
        json_decref(page); /* the full objects go now; only projections stay */
        if (!cont)
            break;
        if (atomic_load(&inf->stop)) {
            rc = slu_err_set(err, SLU_ECANCELED, "informer stopped");
            break;
        }
    }
    free(cont);
    if (rc < 0) {
        slu_map_release(&fresh);
        free(list_rv);
        return rc;
    }
    /* diff and swap */
    struct slu_vec changes = {0};
    struct slu_vec gone = {0}; /* keys only in the old store (owned copies) */
    pthread_rwlock_wrlock(&inf->mu);
    const char *k;
    void *v;
    for (size_t it = 0; slu_map_next(&inf->store, &it, &k, &v);)
        if (!slu_map_has(&fresh, k))
            slu_vec_push(&gone, slu_strdup(k));
    for (size_t it = 0; slu_map_next(&fresh, &it, &k, &v);) {
        void *ov = slu_map_get(&inf->store, k);
        if (ov) {
            if (same_rv(inf, ov, v))
                continue;
            ov = slu_map_take(&inf->store, k);
        }
        struct change *ch = slu_malloc(sizeof(*ch));
        ch->old_val = ov;
        ch->key = slu_strdup(k);
        slu_vec_push(&changes, ch);
    }
    for (size_t i = 0; i < gone.len; i++) {
        struct change *ch = slu_malloc(sizeof(*ch));
        ch->old_val = slu_map_take(&inf->store, gone.items[i]);
        ch->key = NULL;
        slu_vec_push(&changes, ch);
    }
    slu_vec_release(&gone, free);
    slu_map_release(&inf->store);
    inf->store = fresh; /* the map struct moves; its slots are owned by inf->store now */
    for (size_t i = 0; i < inf->indexes.len; i++) {
        struct index *ix = inf->indexes.items[i];
        slu_map_release(&ix->values);
        slu_map_init(&ix->values, free_keyset);
    }
    if (inf->indexes.len > 0)
        for (size_t it = 0; slu_map_next(&inf->store, &it, &k, &v);) {
            const char *ser;
            size_t len;
            ix_values_of(inf, v, &inf->ix_new, &ser, &len);
            index_update(inf, k, NULL, 0, ser, len);
        }
    pthread_rwlock_unlock(&inf->mu);

    set_last_rv(inf, list_rv);
    free(list_rv);
    if (inf->lists++ > 0)
        atomic_fetch_add(&inf->relists, 1);
    for (size_t i = 0; i < changes.len; i++) {
        struct change *ch = changes.items[i];
        /* only this thread writes the store, so the key still maps to the listed object */
        json_t *nw = NULL;
        if (ch->key) {
            pthread_rwlock_rdlock(&inf->mu);
            nw = decode(inf, slu_map_get(&inf->store, ch->key));
            pthread_rwlock_unlock(&inf->mu);
        }
        json_t *old = decode(inf, ch->old_val);
        if (old && nw) {
            if (inf->h.on_update)
                inf->h.on_update(inf->h.ud, old, nw);
        } else if (nw) {
            if (inf->h.on_add)
                inf->h.on_add(inf->h.ud, nw);
        } else if (old && inf->h.on_delete) {
            inf->h.on_delete(inf->h.ud, old);
        }
        json_decref(old);
        json_decref(nw);
        if (ch->old_val)
            inf->store.free_value(ch->old_val);
        free(ch->key);
        free(ch);
    }
    slu_vec_release(&changes, NULL);
    pthread_mutex_lock(&inf->sync_mu);
    if (!inf->synced) {
        inf->synced = true;
        pthread_cond_broadcast(&inf->sync_cond);
    }
    pthread_mutex_unlock(&inf->sync_mu);
    return 0;
}

/* ---------------------------------------------------------------- watching */

static bool on_event_raw(void *ud, const char *type, json_t *obj, const char *raw, size_t raw_len);

static bool on_event(void *ud, const char *type, json_t *obj)
{
    return on_event_raw(ud, type, obj, NULL, 0);
}

/* raw: the object's text when the watch passed it (compact mode stores it as it is when the
 * object is neither projected nor selected; the watch is asked for it only then).
 * Only this thread writes the store, so it reads the store without the lock; it takes the write
 * lock just to change the store and the indexes, and decodes the old object (for a handler that
 * wants it) before, outside the lock. */
static bool on_event_raw(void *ud, const char *type, json_t *obj, const char *raw, size_t raw_len)
{
    struct kube_informer *inf = ud;
    if (strcmp(type, "ERROR") == 0)
        return false;
    inf->events_this_watch++;
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (strcmp(type, "BOOKMARK") == 0) {
        set_last_rv(inf, rv);
        return true;
    }
    char kb[320], *heap;
    const char *key = obj_key_in(obj, kb, sizeof kb, &heap);
    if (!key) {
        set_last_rv(inf, rv);
        return true;
    }
    const char *old_ix;
    size_t old_ixlen;
    if (strcmp(type, "DELETED") == 0) {
        void *ov = slu_map_get(&inf->store, key);
        json_t *old = ov && inf->h.on_delete ? decode(inf, ov) : NULL;
        if (ov) {
            ix_values_of(inf, ov, &inf->ix_old, &old_ix, &old_ixlen);
            pthread_rwlock_wrlock(&inf->mu);
            index_update(inf, key, old_ix, old_ixlen, NULL, 0);
            slu_map_del(&inf->store, key);
            pthread_rwlock_unlock(&inf->mu);
        }
        if (inf->h.on_delete) {
            if (old) {
                inf->h.on_delete(inf->h.ud, old);
            } else {
                json_t *p = project(inf, obj);
                inf->h.on_delete(inf->h.ud, p);
                json_decref(p);
            }
        }
        json_decref(old);
    } else { /* ADDED, MODIFIED */
        json_t *p = project(inf, obj);
        const char *new_ix = NULL;
        size_t new_ixlen = 0;
        if (inf->indexes.len > 0) {
            ix_values(inf, p, &inf->ix_new);
            new_ix = inf->ix_new.data;
            new_ixlen = inf->ix_new.len;
        }
        bool as_is = inf->compact && raw && !inf->project && !inf->select;
        void *nv = as_is ? encode_raw(raw, raw_len, &inf->ix_new)
                         : encode(inf, json_incref(p), &inf->ix_new);
        void *ov = slu_map_get(&inf->store, key);
        bool want_old = ov && inf->h.on_update && !inf->no_old_on_update;
        json_t *old = want_old ? decode(inf, ov) : NULL;
        ix_values_of(inf, ov, &inf->ix_old, &old_ix, &old_ixlen);
        pthread_rwlock_wrlock(&inf->mu);
        index_update(inf, key, old_ix, old_ixlen, new_ix, new_ixlen);
        slu_map_put(&inf->store, key, nv); /* frees ov */
        pthread_rwlock_unlock(&inf->mu);
        if (ov) {
            if (inf->h.on_update)
                inf->h.on_update(inf->h.ud, old, p);
        } else if (inf->h.on_add) {
            inf->h.on_add(inf->h.ud, p);
        }
        json_decref(old);
        json_decref(p);
    }
    free(heap);
    trim_scratch(&inf->ix_new);
    trim_scratch(&inf->ix_old);
    set_last_rv(inf, rv);
    return !atomic_load(&inf->stop);
}

static void resync(struct kube_informer *inf)
{
    json_t *all = kube_informer_list(inf);
    size_t i;
    json_t *o;
    if (inf->h.on_update)
        json_array_foreach(all, i, o) inf->h.on_update(inf->h.ud, o, o);
    json_decref(all);
}

static void *informer_main(void *arg)
{
    struct kube_informer *inf = arg;
    int attempt = 0;
    bool need_list = true;
    int last_list_err = 0; /* the code of the last failed list (logging) */
    int64_t next_resync = inf->resync_ms ? slu_now_mono_ns() + inf->resync_ms * 1000000 : 0;
    while (!atomic_load(&inf->stop)) {
        struct slu_err err = {0};
        if (need_list) {
            int rc = relist(inf, &err);
            if (rc == SLU_ECANCELED)
                break;
            if (rc < 0) {
                /* said once per kind of failure, then at debug level until a list succeeds:
                 * a missing CRD must not fill the log every 30 s */
                bool repeat = err.code == last_list_err;
                last_list_err = err.code;
                const char *grp = inf->res.group && *inf->res.group ? inf->res.group : "";
                if (rc == SLU_ENOTFOUND)
                    slu_log(repeat ? SLU_LOG_DEBUG : SLU_LOG_WARN,
                            "informer %s: the resource %s%s%s (%s) is not served by the API "
                            "server (is its CustomResourceDefinition installed?); retrying "
                            "every %d s, silently",
                            inf->res.plural, inf->res.plural, *grp ? "." : "", grp,
                            inf->res.version, INF_BACKOFF_CAP_MS / 1000);
                else
                    slu_log(repeat ? SLU_LOG_DEBUG : SLU_LOG_WARN, "informer %s: list failed: %s%s",
                            inf->res.plural, err.msg,
                            repeat ? "" : " (retrying; repeats are logged at debug level)");
                slu_err_release(&err);
                kube__sleep(kube__backoff_ms(attempt++, INF_BACKOFF_BASE_MS, INF_BACKOFF_CAP_MS),
                            &inf->stop);
                continue;
            }
            if (last_list_err)
                slu_info("informer %s: listed", inf->res.plural);
            last_list_err = 0;
            need_list = false;
            attempt = 0;
        }
        int timeout = INF_WATCH_MIN_S + (int)(slu_random_u64() % INF_WATCH_MIN_S);
        if (next_resync) {
            int64_t left_ms = (next_resync - slu_now_mono_ns()) / 1000000;
            int left_s = (int)SLU_MAX(1, (left_ms + 999) / 1000);
            timeout = SLU_MIN(timeout, left_s);
        }
        struct kube_watch_opts wo = {
            .label_selector = inf->lsel,
            .field_selector = inf->fsel,
            .resource_version = inf->last_rv,
            .allow_bookmarks = true,
            .timeout_seconds = timeout,
            .select = inf->select,
            .nselect = inf->nselect,
            /* the text only when it is stored as it is */
            .raw_cb = inf->compact && !inf->project && !inf->select ? on_event_raw : NULL};
        inf->events_this_watch = 0;
        int64_t t0 = slu_now_mono_ns();
        int rc = kube_watch(inf->c, &inf->res, inf->ns, &wo, on_event, inf, &inf->stop, &err);
        bool quick_empty =
            inf->events_this_watch == 0 && slu_now_mono_ns() - t0 < (int64_t)1000000000;
        if (rc == SLU_ECANCELED && atomic_load(&inf->stop)) {
            slu_err_release(&err);
            break;
        }
        if (rc == SLU_EGONE) {
            slu_info("informer %s: resourceVersion %s expired; relisting", inf->res.plural,
                     inf->last_rv ? inf->last_rv : "");
            need_list = true;
        } else if (rc < 0 || quick_empty) {
            if (rc < 0) /* resumed from the last resourceVersion; worth a line */
                slu_info("informer %s: watch ended: %s; resuming", inf->res.plural, err.msg);
            if (inf->events_this_watch > 0)
                attempt = 0;
            kube__sleep(kube__backoff_ms(attempt++, INF_BACKOFF_BASE_MS, INF_BACKOFF_CAP_MS),
                        &inf->stop);
        } else {
            attempt = 0;
        }
        slu_err_release(&err);
        if (next_resync && slu_now_mono_ns() >= next_resync && !atomic_load(&inf->stop)) {
            resync(inf);
            next_resync = slu_now_mono_ns() + inf->resync_ms * 1000000;
        }
    }
    return NULL;
}

int kube_informer_start(struct kube_informer *inf)
{
    if (inf->started)
        return SLU_ESTATE;
    atomic_store(&inf->stop, false);
    if (pthread_create(&inf->thread, NULL, informer_main, inf) != 0)
        return SLU_EIO;
    inf->started = true;
    return 0;
}

bool kube_informer_has_synced(struct kube_informer *inf)
{
    pthread_mutex_lock(&inf->sync_mu);
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->sync_mu);
    return s;
}

bool kube_informer_wait_synced(struct kube_informer *inf, int64_t timeout_ms)
{
    struct timespec ts;
    if (timeout_ms >= 0)
        slu_deadline_from_now(&ts, timeout_ms);
    pthread_mutex_lock(&inf->sync_mu);
    while (!inf->synced) {
        int r = timeout_ms < 0 ? pthread_cond_wait(&inf->sync_cond, &inf->sync_mu)
                               : pthread_cond_timedwait(&inf->sync_cond, &inf->sync_mu, &ts);
        if (r != 0 && timeout_ms >= 0)
            break;
    }
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->sync_mu);
    return s;
}

json_t *kube_informer_get(struct kube_informer *inf, const char *key)
{
    pthread_rwlock_rdlock(&inf->mu);
    json_t *o = decode(inf, slu_map_get(&inf->store, key));
    pthread_rwlock_unlock(&inf->mu);
    return o;
}

json_t *kube_informer_list(struct kube_informer *inf)
{
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&inf->mu);
    const char *k;
    void *v;
    for (size_t it = 0; slu_map_next(&inf->store, &it, &k, &v);)
        json_array_append_new(arr, decode(inf, v));
    pthread_rwlock_unlock(&inf->mu);
    return arr;
}

json_t *kube_informer_by_index(struct kube_informer *inf, const char *name, const char *value)
{
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&inf->mu);
    for (size_t i = 0; i < inf->indexes.len; i++) {
        struct index *ix = inf->indexes.items[i];
        if (strcmp(ix->name, name) != 0)
            continue;
        struct slu_map *set = slu_map_get(&ix->values, value);
        const char *k;
        void *v;
        for (size_t it = 0; set && slu_map_next(set, &it, &k, &v);) {
            json_t *o = decode(inf, slu_map_get(&inf->store, k));
            if (o)
                json_array_append_new(arr, o);
        }
        break;
    }
    pthread_rwlock_unlock(&inf->mu);
    return arr;
}

size_t kube_informer_len(struct kube_informer *inf)
{
    pthread_rwlock_rdlock(&inf->mu);
    size_t n = inf->store.len;
    pthread_rwlock_unlock(&inf->mu);
    return n;
}

uint64_t kube_informer_relists(struct kube_informer *inf)
{
    return atomic_load(&inf->relists);
}

void kube_informer_stop(struct kube_informer *inf)
{
    if (!inf || !inf->started)
        return;
    atomic_store(&inf->stop, true);
    pthread_join(inf->thread, NULL);
    inf->started = false;
}

void kube_informer_free(struct kube_informer *inf)
{
    if (!inf)
        return;
    kube_informer_stop(inf);
    for (size_t i = 0; i < inf->indexes.len; i++) {
        struct index *ix = inf->indexes.items[i];
        slu_map_release(&ix->values);
        free(ix->name);
        free(ix);
    }
    slu_vec_release(&inf->indexes, NULL);
    slu_map_release(&inf->store);
    pthread_rwlock_destroy(&inf->mu);
    pthread_mutex_destroy(&inf->sync_mu);
    pthread_cond_destroy(&inf->sync_cond);
    free(inf->res_group);
    free(inf->res_version);
    free(inf->res_plural);
    free(inf->res_kind);
    free(inf->ns);
    free(inf->lsel);
    free(inf->fsel);
    free(inf->last_rv);
    slu_buf_release(&inf->dump);
    slu_buf_release(&inf->ix_new);
    slu_buf_release(&inf->ix_old);
    free(inf);
}
