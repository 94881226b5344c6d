/* test_kube_client.c - the kube client against a real `sluice sim` over HTTP on 127.0.0.1.
 *
 * Each group starts `$SLUICE sim --listen 127.0.0.1:0 --kubeconfig-out FILE [--faults ...]` as a
 * child process, waits for the kubeconfig to appear, loads it as any client would, runs its tests
 * and kills the sim. Groups: plain (verbs, errors, paging, watches, bookmarks, GC, finalizers,
 * leader election), a small event window with cut watches (410 and the informer relisting by
 * itself), cut watches alone (resume without losing or repeating events), injected 429/500s (the
 * client rides through). */
#include <signal.h>

#include "test.h"

#include "kube/kube.h"
#include "sim_harness.h"

static struct sim_harness SIM;

static int sim_up(const char *faults, bool tls)
{
    const char *extra[4] = {NULL};
    int n = 0;
    if (faults) {
        extra[n++] = "--faults";
        extra[n++] = faults;
    }
    if (tls)
        extra[n++] = "--tls";
    if (sim_harness_start(&SIM, "itkc", extra) < 0)
        return -1;
    return sim_harness_connect(&SIM, 500, 1000);
}

static int sim_down(void **state)
{
    (void)state;
    sim_harness_stop(&SIM);
    return 0;
}

static int up_plain(void **state)
{
    (void)state;
    return sim_up(NULL, false);
}
static int up_tls(void **state)
{
    (void)state;
    return sim_up(NULL, true);
}
static int up_window(void **state)
{
    (void)state;
    return sim_up("event-window=50;watch-cut=1s", false);
}
static int up_cut(void **state)
{
    (void)state;
    return sim_up("watch-cut=1s", false);
}
static int up_errors(void **state)
{
    (void)state;
    return sim_up("error=0.2:500,429", false);
}

/* ---------------------------------------------------------------- helpers */

static json_t *cm(const char *ns, const char *name, const char *label_k, const char *label_v)
{
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
                          "ConfigMap", "metadata", "name", name, "namespace", ns, "data", "k", "v");
    if (label_k) {
        json_t *labels = json_object();
        json_object_set_new(labels, label_k, json_string(label_v));
        json_object_set_new(json_object_get(o, "metadata"), "labels", labels);
    }
    return o;
}

static void ensure_ns(const char *ns)
{
    json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                          "metadata", "name", ns);
    struct slu_err err = {0};
    int rc = kube_create(SIM.c, &KUBE_RES_NAMESPACES, NULL, o, NULL, &err);
    if (rc < 0 && rc != SLU_EEXIST)
        fail_msg("create namespace %s: %s", ns, err.msg);
    slu_err_release(&err);
    json_decref(o);
}

static void must(int rc, struct slu_err *err, const char *what)
{
    if (rc < 0)
        fail_msg("%s: %s (%d)", what, err->msg, rc);
    slu_err_release(err);
}

#define WAIT_FOR(pred, what)                                                                       \
    do {                                                                                           \
        int _i = 0;                                                                                \
        while (!(pred) && _i++ < 2000)                                                             \
            slu_sleep_ms(10);                                                                      \
        if (!(pred))                                                                               \
            fail_msg("timed out waiting for %s", what);                                            \
    } while (0)

static bool exists(const struct kube_resource *r, const char *ns, const char *name)
{
    json_t *o = NULL;
    int rc = kube_get(SIM.c, r, ns, name, &o, NULL);
    json_decref(o);
    return rc == 0;
}

/* ---------------------------------------------------------------- plain */

static void test_crud(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *o = cm("default", "crud", "app", "x"), *out = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, &out, &err), &err, "create");
    assert_non_null(slu_json_str(out, "metadata.uid"));
    assert_non_null(slu_json_str(out, "metadata.resourceVersion"));
    json_decref(out);
    must(kube_get(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", &out, &err), &err, "get");
    assert_string_equal(slu_json_str(out, "data.k"), "v");
    /* update */
    slu_json_set_str(out, "data.k", "v2");
    json_t *upd = NULL;
    must(kube_update(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, out, &upd, &err), &err, "update");
    assert_string_equal(slu_json_str(upd, "data.k"), "v2");
    assert_string_not_equal(slu_json_str(upd, "metadata.resourceVersion"),
                            slu_json_str(out, "metadata.resourceVersion"));
    json_decref(upd);
    json_decref(out);
    /* list with a selector */
    struct kube_list_opts lo = {.label_selector = "app=x"};
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "default", &lo, &out, &err), &err, "list");
    assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
    json_decref(out);
    /* merge patch */
    json_t *mp = json_pack("{s:{s:s, s:n}}", "data", "m", "1", "k");
    must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", NULL, KUBE_PATCH_MERGE, mp,
                    NULL, &out, &err),
         &err, "merge patch");
    assert_string_equal(slu_json_str(out, "data.m"), "1");
    assert_null(slu_json_str(out, "data.k"));
    json_decref(out);
    json_decref(mp);
    /* json patch, with a failing test op */
    json_t *jp = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "op", "test", "path", "/data/m",
                           "value", "1", "op", "add", "path", "/data/j", "value", "2");
    must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", NULL, KUBE_PATCH_JSON, jp, NULL,
                    &out, &err),
         &err, "json patch");
    assert_string_equal(slu_json_str(out, "data.j"), "2");
    json_decref(out);
    json_decref(jp);
    jp = json_pack("[{s:s, s:s, s:s}]", "op", "test", "path", "/data/m", "value", "nope");
    assert_true(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", NULL, KUBE_PATCH_JSON,
                           jp, NULL, &out, &err) < 0);
    assert_null(out);
    slu_err_release(&err);
    json_decref(jp);
    /* delete */
    must(kube_delete(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", NULL, NULL, &err), &err,
         "delete");
    assert_int_equal(kube_get(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "crud", &out, &err),
                     SLU_ENOTFOUND);
    assert_string_equal(err.reason, "NotFound");
    assert_int_equal(err.http_status, 404);
    slu_err_release(&err);
    json_decref(o);
}

static void test_strategic_patch(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *pod = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                             "\"smp\"},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":"
                             "\"busybox:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},"
                             "{\"name\":\"side\",\"image\":\"busybox:1\"}]}}",
                             0, NULL),
           *out = NULL;
    must(kube_create(SIM.c, &KUBE_RES_PODS, "default", pod, NULL, &err), &err, "create pod");
    json_t *p = json_loads("{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":"
                           "\"busybox:2\"}]}}",
                           0, NULL);
    must(kube_patch(SIM.c, &KUBE_RES_PODS, "default", "smp", NULL, KUBE_PATCH_STRATEGIC, p, NULL,
                    &out, &err),
         &err, "strategic patch");
    /* merged by name: both containers kept, main's env kept, image changed */
    assert_int_equal(json_array_size(slu_json_path(out, "spec.containers")), 2);
    json_t *cs = slu_json_path(out, "spec.containers");
    size_t i;
    json_t *c;
    bool seen = false;
    json_array_foreach(cs, i, c)
    {
        if (slu_streq(slu_json_str(c, "name"), "main")) {
            seen = true;
            assert_string_equal(slu_json_str(c, "image"), "busybox:2");
            assert_string_equal(slu_json_str(c, "env[0].name"), "A");
        }
    }
    assert_true(seen);
    json_decref(out);
    json_decref(p);
    json_decref(pod);
    struct kube_delete_opts d = {.grace_period_seconds = 0};
    must(kube_delete(SIM.c, &KUBE_RES_PODS, "default", "smp", &d, NULL, &err), &err, "delete");
}

static void test_conflict_exists_invalid(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *o = cm("default", "cx", NULL, NULL), *a = NULL, *tmp = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, &a, &err), &err, "create");
    /* AlreadyExists */
    assert_int_equal(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, &tmp, &err), SLU_EEXIST);
    assert_string_equal(err.reason, "AlreadyExists");
    assert_int_equal(err.http_status, 409);
    slu_err_release(&err);
    /* Conflict on a stale update */
    json_t *b = slu_json_copy(a);
    slu_json_set_str(a, "data.k", "first");
    must(kube_update(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, a, &tmp, &err), &err, "update");
    json_decref(tmp);
    slu_json_set_str(b, "data.k", "stale");
    assert_int_equal(kube_update(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, b, &tmp, &err), SLU_ECONFLICT);
    assert_string_equal(err.reason, "Conflict");
    assert_non_null(strstr(err.msg, "has been modified"));
    slu_err_release(&err);
    /* Invalid with causes */
    json_t *bad = cm("default", "Bad_Name!", NULL, NULL);
    assert_int_equal(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, bad, &tmp, &err), SLU_EINVAL);
    assert_string_equal(err.reason, "Invalid");
    assert_int_equal(err.http_status, 422);
    assert_true(err.ncauses >= 1);
    assert_string_equal(err.causes[0].field, "metadata.name");
    slu_err_release(&err);
    json_decref(bad);
    json_decref(a);
    json_decref(b);
    json_decref(o);
}

static void test_paging(void **state)
{
    (void)state;
    struct slu_err err = {0};
    ensure_ns("paging");
    for (int i = 0; i < 7; i++) {
        char n[16];
        snprintf(n, sizeof(n), "p%d", i);
        json_t *o = cm("paging", n, "batch", "p");
        must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, NULL, &err), &err, "create");
        json_decref(o);
    }
    json_t *page = NULL;
    struct kube_list_opts lo = {.label_selector = "batch=p", .limit = 3};
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "paging", &lo, &page, &err), &err, "list");
    assert_int_equal(json_array_size(json_object_get(page, "items")), 3);
    const char *cont = slu_json_str(page, "metadata.continue");
    assert_non_null(cont);
    assert_true(*cont);
    json_decref(page);
    json_t *all = NULL;
    must(kube_list_all(SIM.c, &KUBE_RES_CONFIGMAPS, "paging", &lo, &all, &err), &err, "list all");
    assert_int_equal(json_array_size(json_object_get(all, "items")), 7);
    json_decref(all);
    /* deletecollection with a selector */
    must(kube_delete_collection(SIM.c, &KUBE_RES_CONFIGMAPS, "paging", &lo, NULL, &err), &err,
         "deletecollection");
    lo.limit = 0;
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "paging", &lo, &page, &err), &err, "list");
    assert_int_equal(json_array_size(json_object_get(page, "items")), 0);
    json_decref(page);
}

struct wseen {
    char ev[16][48];
    int n;
    int want;
    int bookmarks;
    bool bookmark_ok;
};

static bool wcb(void *ud, const char *type, json_t *obj)
{
    struct wseen *s = ud;
    if (strcmp(type, "BOOKMARK") == 0) {
        s->bookmarks++;
        /* only kind, apiVersion and metadata.resourceVersion */
        s->bookmark_ok = slu_json_str(obj, "metadata.resourceVersion") != NULL &&
                         slu_json_str(obj, "metadata.name") == NULL;
        return s->want > 0;
    }
    if (s->n < 16)
        snprintf(s->ev[s->n], 48, "%s %s", type, slu_json_str(obj, "metadata.name"));
    s->n++;
    return !(s->want && s->n >= s->want);
}

struct wthread {
    struct kube_watch_opts o;
    struct wseen s;
    int rc;
    const char *ns;
};

static void *watch_main(void *arg)
{
    struct wthread *w = arg;
    struct slu_err err = {0};
    w->rc = kube_watch(SIM.c, &KUBE_RES_CONFIGMAPS, w->ns, &w->o, wcb, &w->s, NULL, &err);
    slu_err_release(&err);
    return NULL;
}

static void test_watch_selector_changes(void **state)
{
    (void)state;
    struct slu_err err = {0};
    ensure_ns("wsel");
    json_t *list = NULL;
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "wsel", NULL, &list, &err), &err, "list");
    struct wthread w = {.o = {.label_selector = "sel=yes",
                              .resource_version = slu_json_str(list, "metadata.resourceVersion"),
                              .timeout_seconds = 20},
                        .s = {.want = 3},
                        .ns = "wsel"};
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &w);
    json_t *o = cm("wsel", "s1", "sel", "yes"), *p = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, NULL, &err), &err, "create");
    p = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "sel", "no");
    must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "wsel", "s1", NULL, KUBE_PATCH_MERGE, p, NULL,
                    NULL, &err),
         &err, "patch");
    json_decref(p);
    p = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "sel", "yes");
    must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "wsel", "s1", NULL, KUBE_PATCH_MERGE, p, NULL,
                    NULL, &err),
         &err, "patch");
    json_decref(p);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.s.n, 3);
    assert_string_equal(w.s.ev[0], "ADDED s1");
    assert_string_equal(w.s.ev[1], "DELETED s1");
    assert_string_equal(w.s.ev[2], "ADDED s1");
    json_decref(o);
    json_decref(list);
}

static void test_bookmarks(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *list = NULL;
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "default", NULL, &list, &err), &err, "list");
    struct kube_watch_opts o = {.resource_version = slu_json_str(list, "metadata.resourceVersion"),
                                .allow_bookmarks = true,
                                .timeout_seconds = 3};
    struct wseen s = {0};
    /* the stream ends cleanly after timeoutSeconds */
    assert_int_equal(kube_watch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", &o, wcb, &s, NULL, &err),
                     0);
    assert_true(s.bookmarks >= 1);
    assert_true(s.bookmark_ok);
    json_decref(list);
}

static void test_owner_cascade_and_finalizers(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *owner = cm("default", "owner", NULL, NULL), *own = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, owner, &own, &err), &err, "owner");
    json_t *dep = cm("default", "dependent", NULL, NULL);
    json_t *ref = json_pack("{s:s, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "ConfigMap", "name",
                            "owner", "uid", slu_json_str(own, "metadata.uid"));
    json_object_set_new(json_object_get(dep, "metadata"), "ownerReferences", json_pack("[o]", ref));
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, dep, NULL, &err), &err, "dependent");
    must(kube_delete(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "owner", NULL, NULL, &err), &err,
         "delete owner");
    WAIT_FOR(!exists(&KUBE_RES_CONFIGMAPS, "default", "dependent"), "the dependent to go");
    json_decref(own);
    json_decref(owner);
    json_decref(dep);

    /* finalizers hold the object (deletionTimestamp set) until removed */
    json_t *f = cm("default", "fin", NULL, NULL), *got = NULL;
    json_object_set_new(json_object_get(f, "metadata"), "finalizers",
                        json_pack("[s]", "example.com/hold"));
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, f, NULL, &err), &err, "create fin");
    must(kube_delete(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "fin", NULL, NULL, &err), &err,
         "delete fin");
    must(kube_get(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "fin", &got, &err), &err, "get fin");
    assert_non_null(slu_json_str(got, "metadata.deletionTimestamp"));
    json_decref(got);
    json_t *p = json_pack("{s:{s:n}}", "metadata", "finalizers");
    must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "fin", NULL, KUBE_PATCH_MERGE, p, NULL,
                    NULL, &err),
         &err, "remove finalizers");
    WAIT_FOR(!exists(&KUBE_RES_CONFIGMAPS, "default", "fin"), "the finalized object to go");
    json_decref(p);
    json_decref(f);
}

struct lstate {
    pthread_mutex_t mu;
    int started, stopped;
    char leaders[8][32];
    int nleaders;
};

static void l_started(void *ud)
{
    struct lstate *s = ud;
    pthread_mutex_lock(&s->mu);
    s->started++;
    pthread_mutex_unlock(&s->mu);
}
static void l_stopped(void *ud)
{
    struct lstate *s = ud;
    pthread_mutex_lock(&s->mu);
    s->stopped++;
    pthread_mutex_unlock(&s->mu);
}
static void l_new(void *ud, const char *id)
{
    struct lstate *s = ud;
    pthread_mutex_lock(&s->mu);
    if (s->nleaders < 8)
        slu_strlcpy(s->leaders[s->nleaders], id, 32);
    s->nleaders++;
    pthread_mutex_unlock(&s->mu);
}

static int lget(struct lstate *s, int which)
{
    pthread_mutex_lock(&s->mu);
    int v = which == 0 ? s->started : s->stopped;
    pthread_mutex_unlock(&s->mu);
    return v;
}

static struct kube_leader *elector(const char *id, const char *lease, struct lstate *s)
{
    struct kube_leader_opts o = {.lease_namespace = "default",
                                 .lease_name = lease,
                                 .identity = id,
                                 .lease_duration_ms = 2000,
                                 .renew_deadline_ms = 1500,
                                 .retry_period_ms = 200,
                                 .on_started = l_started,
                                 .on_stopped = l_stopped,
                                 .on_new_leader = l_new,
                                 .ud = s};
    return kube_leader_new(SIM.c, &o);
}

static void test_leader_handover(void **state)
{
    (void)state;
    struct lstate a = {.nleaders = 0}, b = {.nleaders = 0};
    pthread_mutex_init(&a.mu, NULL);
    pthread_mutex_init(&b.mu, NULL);
    struct kube_leader *la = elector("A", "handover", &a);
    struct kube_leader *lb = elector("B", "handover", &b);
    assert_int_equal(kube_leader_start(la), 0);
    WAIT_FOR(lget(&a, 0) == 1, "A to lead");
    assert_int_equal(kube_leader_start(lb), 0);
    WAIT_FOR(b.nleaders >= 1, "B to see the leader");
    assert_string_equal(b.leaders[0], "A");
    assert_false(kube_leader_is_leader(lb));
    /* A stops (releases): B takes over */
    kube_leader_stop(la);
    assert_int_equal(lget(&a, 1), 1);
    WAIT_FOR(lget(&b, 0) == 1, "B to lead");
    assert_true(kube_leader_is_leader(lb));
    kube_leader_free(la);

    /* a leader that stops renewing without releasing (a crash): write the lease as a dead
     * holder would have left it; a candidate takes over after the lease duration */
    struct slu_err err = {0};
    char now[48];
    slu_time_format_rfc3339_micro(slu_now_real_ns(), now, sizeof(now));
    json_t *l = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:i, s:s, s:s, s:i}}", "apiVersion",
                          "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", "crash",
                          "spec", "holderIdentity", "dead", "leaseDurationSeconds", 1,
                          "acquireTime", now, "renewTime", now, "leaseTransitions", 0);
    must(kube_create(SIM.c, &KUBE_RES_LEASES, "default", l, NULL, &err), &err, "lease");
    json_decref(l);
    struct lstate c = {.nleaders = 0};
    pthread_mutex_init(&c.mu, NULL);
    struct kube_leader *lc = elector("C", "crash", &c);
    assert_int_equal(kube_leader_start(lc), 0);
    WAIT_FOR(lget(&c, 0) == 1, "C to take over the crashed leader's lease");
    assert_string_equal(c.leaders[0], "dead");
    json_t *got = NULL;
    must(kube_get(SIM.c, &KUBE_RES_LEASES, "default", "crash", &got, &err), &err, "get");
    assert_string_equal(slu_json_str(got, "spec.holderIdentity"), "C");
    assert_int_equal(slu_json_int(got, "spec.leaseTransitions", 0), 1);
    json_decref(got);
    kube_leader_free(lc);
    kube_leader_free(lb);
}

/* ---------------------------------------------------------------- small event window */

struct counts {
    pthread_mutex_t mu;
    struct slu_map adds, updates, deletes; /* key -> (void*)count */
};

static void bump(struct counts *c, struct slu_map *m, const json_t *o)
{
    char *k = slu_asprintf("%s", slu_json_str(o, "metadata.name"));
    pthread_mutex_lock(&c->mu);
    uintptr_t v = (uintptr_t)slu_map_get(m, k);
    slu_map_put(m, k, (void *)(v + 1));
    pthread_mutex_unlock(&c->mu);
    free(k);
}
static void c_add(void *ud, const json_t *o)
{
    struct counts *c = ud;
    bump(c, &c->adds, o);
}
static void c_upd(void *ud, const json_t *o, const json_t *n)
{
    (void)o;
    struct counts *c = ud;
    bump(c, &c->updates, n);
}
static void c_del(void *ud, const json_t *o)
{
    struct counts *c = ud;
    bump(c, &c->deletes, o);
}
static int count_of(struct counts *c, struct slu_map *m, const char *k)
{
    pthread_mutex_lock(&c->mu);
    int v = (int)(uintptr_t)slu_map_get(m, k);
    pthread_mutex_unlock(&c->mu);
    return v;
}

static void test_gone_on_old_rv(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *o = cm("default", "churn", NULL, NULL), *cur = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, &cur, &err), &err, "create");
    char *old_rv = slu_strdup(slu_json_str(cur, "metadata.resourceVersion"));
    json_decref(cur);
    for (int i = 0; i < 60; i++) {
        json_t *p = json_pack("{s:{s:i}}", "data", "i", i);
        char *s = slu_json_dumps(p);
        json_decref(p);
        p = json_pack("{s:{s:s}}", "data", "i", s);
        must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "churn", NULL, KUBE_PATCH_MERGE, p,
                        NULL, NULL, &err),
             &err, "patch");
        json_decref(p);
        free(s);
    }
    struct kube_watch_opts wo = {.resource_version = old_rv};
    struct wseen s = {0};
    assert_int_equal(kube_watch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", &wo, wcb, &s, NULL, &err),
                     SLU_EGONE);
    assert_int_equal(err.http_status, 410);
    slu_err_release(&err);
    free(old_rv);
    json_decref(o);
}

static void test_informer_relists_itself(void **state)
{
    (void)state;
    struct slu_err err = {0};
    ensure_ns("inf");
    ensure_ns("noise");
    struct counts cnt;
    pthread_mutex_init(&cnt.mu, NULL);
    slu_map_init(&cnt.adds, NULL);
    slu_map_init(&cnt.updates, NULL);
    slu_map_init(&cnt.deletes, NULL);
    json_t *keep = cm("inf", "keep", NULL, NULL), *gone = cm("inf", "gone", NULL, NULL);
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, keep, NULL, &err), &err, "keep");
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, gone, NULL, &err), &err, "gone");
    struct kube_informer_handlers h = {c_add, c_upd, c_del, &cnt};
    struct kube_informer_opts io = {
        .resource = &KUBE_RES_CONFIGMAPS, .namespace = "inf", .page_size = 1};
    struct kube_informer *inf = kube_informer_new(SIM.c, &io, &h);
    assert_int_equal(kube_informer_start(inf), 0);
    assert_true(kube_informer_wait_synced(inf, 20000));
    assert_int_equal(kube_informer_len(inf), 2);
    /* churn elsewhere so that the informer's last resourceVersion falls out of the window of
     * 50 events before its cut watch reconnects; meanwhile change its own objects */
    json_t *noise = cm("noise", "n", NULL, NULL);
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, noise, NULL, &err), &err, "noise");
    bool changed = false;
    for (int i = 0; i < 3000 && kube_informer_relists(inf) == 0; i++) {
        json_t *p = json_pack("{s:{s:s}}", "data", "i", i % 2 ? "a" : "b");
        must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "noise", "n", NULL, KUBE_PATCH_MERGE, p, NULL,
                        NULL, &err),
             &err, "noise patch");
        json_decref(p);
        if (i == 20 && !changed) {
            changed = true;
            must(kube_delete(SIM.c, &KUBE_RES_CONFIGMAPS, "inf", "gone", NULL, NULL, &err), &err,
                 "delete");
            json_t *fresh = cm("inf", "new", NULL, NULL);
            must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, fresh, NULL, &err), &err, "new");
            json_decref(fresh);
        }
    }
    assert_true(kube_informer_relists(inf) >= 1);
    /* whatever mix of watch events and relist diffs, the handlers saw a consistent picture */
    WAIT_FOR(count_of(&cnt, &cnt.deletes, "gone") == 1 && count_of(&cnt, &cnt.adds, "new") == 1,
             "the informer to catch up");
    assert_int_equal(count_of(&cnt, &cnt.adds, "keep"), 1);
    assert_int_equal(count_of(&cnt, &cnt.deletes, "keep"), 0);
    json_t *k = kube_informer_get(inf, "inf/keep");
    assert_non_null(k);
    json_decref(k);
    assert_null(kube_informer_get(inf, "inf/gone"));
    assert_int_equal(kube_informer_len(inf), 2);
    kube_informer_stop(inf);
    kube_informer_free(inf);
    slu_map_release(&cnt.adds);
    slu_map_release(&cnt.updates);
    slu_map_release(&cnt.deletes);
    json_decref(keep);
    json_decref(gone);
    json_decref(noise);
}

/* ---------------------------------------------------------------- cut watches */

static void test_cut_watch_resumes_exactly(void **state)
{
    (void)state;
    struct slu_err err = {0};
    ensure_ns("cut");
    struct counts cnt;
    pthread_mutex_init(&cnt.mu, NULL);
    slu_map_init(&cnt.adds, NULL);
    slu_map_init(&cnt.updates, NULL);
    slu_map_init(&cnt.deletes, NULL);
    struct kube_informer_handlers h = {c_add, c_upd, c_del, &cnt};
    struct kube_informer_opts io = {.resource = &KUBE_RES_CONFIGMAPS, .namespace = "cut"};
    struct kube_informer *inf = kube_informer_new(SIM.c, &io, &h);
    assert_int_equal(kube_informer_start(inf), 0);
    assert_true(kube_informer_wait_synced(inf, 20000));
    /* 10 objects, each updated 5 times, spread over several watch cuts (~3 s) */
    enum { N = 10, U = 5 };
    for (int i = 0; i < N; i++) {
        char n[16];
        snprintf(n, sizeof(n), "c%d", i);
        json_t *o = cm("cut", n, NULL, NULL);
        must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, NULL, &err), &err, "create");
        json_decref(o);
    }
    for (int u = 0; u < U; u++) {
        for (int i = 0; i < N; i++) {
            char n[16], v[16];
            snprintf(n, sizeof(n), "c%d", i);
            snprintf(v, sizeof(v), "%d", u);
            json_t *p = json_pack("{s:{s:s}}", "data", "u", v);
            must(kube_patch(SIM.c, &KUBE_RES_CONFIGMAPS, "cut", n, NULL, KUBE_PATCH_MERGE, p, NULL,
                            NULL, &err),
                 &err, "patch");
            json_decref(p);
        }
        slu_sleep_ms(600);
    }
    WAIT_FOR(count_of(&cnt, &cnt.updates, "c9") >= U, "the last updates");
    slu_sleep_ms(1500); /* at least one more cut + resume, which must not replay anything */
    for (int i = 0; i < N; i++) {
        char n[16];
        snprintf(n, sizeof(n), "c%d", i);
        assert_int_equal(count_of(&cnt, &cnt.adds, n), 1);
        assert_int_equal(count_of(&cnt, &cnt.updates, n), U);
        assert_int_equal(count_of(&cnt, &cnt.deletes, n), 0);
    }
    assert_int_equal(kube_informer_relists(inf), 0);
    kube_informer_stop(inf);
    kube_informer_free(inf);
    slu_map_release(&cnt.adds);
    slu_map_release(&cnt.updates);
    slu_map_release(&cnt.deletes);
}

/* ---------------------------------------------------------------- injected errors */

static void test_rides_through_errors(void **state)
{
    (void)state;
    struct slu_err err = {0};
    for (int i = 0; i < 10; i++) {
        char n[16];
        snprintf(n, sizeof(n), "e%d", i);
        json_t *o = cm("default", n, "ride", "yes"), *out = NULL;
        must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, &out, &err), &err, "create");
        assert_string_equal(slu_json_str(out, "metadata.name"), n);
        json_decref(out);
        must(kube_get(SIM.c, &KUBE_RES_CONFIGMAPS, "default", n, &out, &err), &err, "get");
        slu_json_set_str(out, "data.k", "changed");
        json_t *upd = NULL;
        int rc = kube_update(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, out, &upd, &err);
        /* a retried PUT whose first attempt was applied meets its own change as a conflict */
        if (rc == SLU_ECONFLICT)
            slu_err_release(&err);
        else
            must(rc, &err, "update");
        json_decref(upd);
        json_decref(out);
        json_decref(o);
    }
    json_t *all = NULL;
    struct kube_list_opts lo = {.label_selector = "ride=yes", .limit = 3};
    must(kube_list_all(SIM.c, &KUBE_RES_CONFIGMAPS, "default", &lo, &all, &err), &err, "list");
    assert_int_equal(json_array_size(json_object_get(all, "items")), 10);
    json_decref(all);
    for (int i = 0; i < 10; i++) {
        char n[16];
        snprintf(n, sizeof(n), "e%d", i);
        must(kube_delete(SIM.c, &KUBE_RES_CONFIGMAPS, "default", n, NULL, NULL, &err), &err,
             "delete");
    }
}

/* ---------------------------------------------------------------- TLS */

static void test_tls_roundtrip(void **state)
{
    (void)state;
    /* the kubeconfig carries the sim's CA as certificate-authority-data: verified from memory */
    assert_true(slu_str_has_prefix(SIM.cfg->server, "https://"));
    assert_non_null(SIM.cfg->ca_pem);
    assert_false(SIM.cfg->insecure_skip_tls_verify);
    struct slu_err err = {0};
    json_t *o = cm("default", "tls", NULL, NULL), *out = NULL;
    must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, o, NULL, &err), &err, "create");
    must(kube_get(SIM.c, &KUBE_RES_CONFIGMAPS, "default", "tls", &out, &err), &err, "get");
    json_decref(out);
    struct wseen s = {0};
    struct kube_watch_opts wo = {.timeout_seconds = 1};
    must(kube_watch(SIM.c, &KUBE_RES_CONFIGMAPS, "default", &wo, wcb, &s, NULL, &err), &err,
         "watch");
    assert_true(s.n >= 1); /* ADDED for the current objects */
    /* live events over TLS, read in batches (SO_RCVLOWAT under the TLS layer) */
    json_t *list = NULL;
    must(kube_list(SIM.c, &KUBE_RES_CONFIGMAPS, "default", NULL, &list, &err), &err, "list");
    struct wthread w = {.o = {.resource_version = slu_json_str(list, "metadata.resourceVersion"),
                              .timeout_seconds = 20},
                        .s = {.want = 3},
                        .ns = "default"};
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &w);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "tls-live-%d", i);
        json_t *lo = cm("default", name, NULL, NULL);
        must(kube_create(SIM.c, &KUBE_RES_CONFIGMAPS, NULL, lo, NULL, &err), &err, "create");
        json_decref(lo);
        slu_sleep_ms(30); /* apart: each in its own read */
    }
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.s.n, 3);
    assert_string_equal(w.s.ev[0], "ADDED tls-live-0");
    assert_string_equal(w.s.ev[2], "ADDED tls-live-2");
    json_decref(list);
    /* a client that does not trust the sim's CA is refused */
    struct kube_config bad = *SIM.cfg;
    bad.ca_pem = NULL;
    struct kube_client *c = kube_client_new(&bad, &err);
    assert_int_equal(kube_get(c, &KUBE_RES_CONFIGMAPS, "default", "tls", &out, &err), SLU_EIO);
    slu_err_release(&err);
    kube_client_free(c);
    json_decref(o);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_strategic_patch),
        cmocka_unit_test(test_conflict_exists_invalid),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_watch_selector_changes),
        cmocka_unit_test(test_bookmarks),
        cmocka_unit_test(test_owner_cascade_and_finalizers),
        cmocka_unit_test(test_leader_handover),
    };
    const struct CMUnitTest window[] = {
        cmocka_unit_test(test_gone_on_old_rv),
        cmocka_unit_test(test_informer_relists_itself),
    };
    const struct CMUnitTest cut[] = {
        cmocka_unit_test(test_cut_watch_resumes_exactly),
    };
    const struct CMUnitTest errors[] = {
        cmocka_unit_test(test_rides_through_errors),
    };
    const struct CMUnitTest tls[] = {
        cmocka_unit_test(test_tls_roundtrip),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("tls", tls, up_tls, sim_down);
    failed += cmocka_run_group_tests_name("plain", plain, up_plain, sim_down);
    failed += cmocka_run_group_tests_name("event-window", window, up_window, sim_down);
    failed += cmocka_run_group_tests_name("watch-cut", cut, up_cut, sim_down);
    failed += cmocka_run_group_tests_name("errors", errors, up_errors, sim_down);
    return failed ? 1 : 0;
}
