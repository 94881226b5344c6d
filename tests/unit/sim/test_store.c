/* test_store.c - the sim's object store: create/get/update conflicts, generateName, defaults
 * and validation, delete with finalizers and grace periods, garbage collection (background,
 * foreground, orphan), namespace lifecycle, watch window and resume, paged lists. */
#include "test.h"

#include "sim/sim_int.h"

static struct sim_store *st;

static int setup(void **state)
{
    st = sim_store_new(64);
    return 0;
}

static int teardown(void **state)
{
    sim_store_free(st);
    st = NULL;
    return 0;
}

static const struct sim_rtype *T(const char *group, const char *plural)
{
    const struct sim_rtype *rt = sim_store_type(st, group, "v1", plural);
    assert_non_null(rt);
    return rt;
}

static json_t *cm(const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", "name", name, "data", "k", "v");
}

static json_t *create_ok(const struct sim_rtype *rt, const char *ns, json_t *obj)
{
    struct slu_err e = {0};
    json_t *out = NULL;
    int rc = sim_store_create(st, rt, ns, obj, NULL, &out, &e);
    if (rc)
        fail_msg("create failed: %s", e.msg);
    slu_err_release(&e);
    return out;
}

static void test_create_get(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *o = create_ok(cms, "default", cm("a"));
    assert_non_null(slu_json_str(o, "metadata.uid"));
    assert_non_null(slu_json_str(o, "metadata.creationTimestamp"));
    assert_string_equal(slu_json_str(o, "metadata.namespace"), "default");
    uint64_t rv;
    assert_int_equal(slu_parse_u64(slu_json_str(o, "metadata.resourceVersion"), &rv), 0);
    assert_int_equal(rv, sim_store_rv(st));
    json_t *g = sim_store_get(st, cms, "default", "a");
    assert_true(slu_json_equal(g, o));
    json_decref(g);
    json_decref(o);

    struct slu_err e = {0};
    assert_int_equal(sim_store_create(st, cms, "default", cm("a"), NULL, NULL, &e), SLU_EEXIST);
    assert_string_equal(e.reason, "AlreadyExists");
    assert_int_equal(e.http_status, 409);
    slu_err_release(&e);
    assert_int_equal(sim_store_create(st, cms, "nope", cm("a"), NULL, NULL, &e), SLU_ENOTFOUND);
    assert_string_equal(e.msg, "namespaces \"nope\" not found");
    slu_err_release(&e);
    assert_int_equal(sim_store_create(st, cms, "default", cm("Bad_Name"), NULL, NULL, &e),
                     SLU_EINVAL);
    assert_int_equal(e.http_status, 422);
    assert_int_equal(e.ncauses, 1);
    assert_string_equal(e.causes[0].field, "metadata.name");
    assert_non_null(strstr(e.msg, "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid"));
    slu_err_release(&e);
}

static void test_generate_name_and_defaults(void **state)
{
    const struct sim_rtype *pods = T("", "pods");
    json_t *p = json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}", "metadata", "generateName", "job-", "spec",
                          "containers", "name", "c", "image", "busybox");
    json_t *o = create_ok(pods, "default", p);
    const char *name = slu_json_str(o, "metadata.name");
    assert_true(slu_str_has_prefix(name, "job-"));
    assert_int_equal(strlen(name), 9);
    assert_string_equal(slu_json_str(o, "status.phase"), "Pending");
    assert_string_equal(slu_json_str(o, "spec.restartPolicy"), "Always");
    assert_string_equal(slu_json_str(o, "spec.schedulerName"), "default-scheduler");
    assert_string_equal(slu_json_str(o, "spec.containers[0].imagePullPolicy"), "Always");
    assert_string_equal(slu_json_str(o, "kind"), "Pod");
    json_decref(o);

    /* missing container image; missing service account */
    struct slu_err e = {0};
    p = json_pack("{s:{s:s},s:{s:[{s:s}]}}", "metadata", "name", "x", "spec", "containers", "name",
                  "c");
    assert_int_equal(sim_store_create(st, pods, "default", p, NULL, NULL, &e), SLU_EINVAL);
    assert_string_equal(e.causes[0].field, "spec.containers[0].image");
    slu_err_release(&e);
    p = json_pack("{s:{s:s},s:{s:s,s:[{s:s,s:s}]}}", "metadata", "name", "x", "spec",
                  "serviceAccountName", "ghost", "containers", "name", "c", "image", "i");
    assert_int_equal(sim_store_create(st, pods, "default", p, NULL, NULL, &e), SLU_EFORBIDDEN);
    assert_non_null(strstr(e.msg, "error looking up service account default/ghost: "
                                  "serviceaccount \"ghost\" not found"));
    slu_err_release(&e);
}

static void test_update_conflict_status(void **state)
{
    const struct sim_rtype *pods = T("", "pods");
    json_t *o = create_ok(pods, "default",
                          json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}", "metadata", "name", "p", "spec",
                                    "containers", "name", "c", "image", "i:1"));
    json_t *stale = slu_json_copy(o);
    /* update with the current rv succeeds and bumps it */
    json_t *u = slu_json_copy(o);
    slu_json_set_str(u, "metadata.labels.a", "b");
    slu_json_set_str(u, "status.phase", "Running"); /* ignored: status subresource */
    json_t *out = NULL;
    struct slu_err e = {0};
    assert_int_equal(sim_store_update(st, pods, "default", "p", u, NULL, NULL, &out, &e), 0);
    assert_string_equal(slu_json_str(out, "metadata.labels.a"), "b");
    assert_string_equal(slu_json_str(out, "status.phase"), "Pending");
    assert_string_not_equal(slu_json_str(out, "metadata.resourceVersion"),
                            slu_json_str(o, "metadata.resourceVersion"));
    json_decref(out);
    /* stale rv: 409 */
    assert_int_equal(sim_store_update(st, pods, "default", "p", stale, NULL, NULL, NULL, &e),
                     SLU_ECONFLICT);
    assert_non_null(strstr(e.msg, "the object has been modified"));
    slu_err_release(&e);
    /* status subresource changes only status */
    json_t *s = sim_store_get(st, pods, "default", "p");
    json_t *sc = slu_json_copy(s);
    json_decref(s);
    slu_json_set_str(sc, "status.phase", "Running");
    slu_json_set_str(sc, "metadata.labels.a", "changed");
    assert_int_equal(sim_store_update(st, pods, "default", "p", sc, "status", NULL, &out, &e), 0);
    assert_string_equal(slu_json_str(out, "status.phase"), "Running");
    assert_string_equal(slu_json_str(out, "metadata.labels.a"), "b");
    json_decref(out);
    /* no-op update keeps the resourceVersion */
    uint64_t rv = sim_store_rv(st);
    json_t *cur = sim_store_get(st, pods, "default", "p");
    assert_int_equal(
        sim_store_update(st, pods, "default", "p", slu_json_copy(cur), NULL, NULL, NULL, &e), 0);
    assert_int_equal(sim_store_rv(st), rv);
    /* user updates may not change the pod spec except images */
    json_t *bad = slu_json_copy(cur);
    slu_json_set_str(bad, "spec.containers[0].name", "other");
    struct sim_write_opts wo = {.user_request = true};
    assert_int_equal(sim_store_update(st, pods, "default", "p", bad, NULL, &wo, NULL, &e),
                     SLU_EINVAL);
    slu_err_release(&e);
    json_t *img = slu_json_copy(cur);
    slu_json_set_str(img, "spec.containers[0].image", "i:2");
    assert_int_equal(sim_store_update(st, pods, "default", "p", img, NULL, &wo, NULL, &e), 0);
    json_decref(cur);
    json_decref(o);
}

static int add_label(void *ud, json_t *obj, struct slu_err *err)
{
    return slu_json_set_str(obj, "metadata.labels.m", ud);
}

static void test_mutate(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_decref(create_ok(cms, "default", cm("m")));
    json_t *out = NULL;
    assert_int_equal(sim_store_mutate(st, cms, "default", "m", NULL, add_label, "x", &out, NULL),
                     0);
    assert_string_equal(slu_json_str(out, "metadata.labels.m"), "x");
    json_decref(out);
    assert_int_equal(sim_store_mutate(st, cms, "default", "zz", NULL, add_label, "x", NULL, NULL),
                     SLU_ENOTFOUND);
}

static void test_finalizers(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *c = cm("f");
    slu_json_set(c, "metadata.finalizers", json_pack("[s]", "example.com/hold"));
    json_decref(create_ok(cms, "default", c));
    json_t *out = NULL;
    assert_int_equal(sim_store_delete(st, cms, "default", "f", NULL, &out, NULL), 0);
    assert_non_null(slu_json_str(out, "metadata.deletionTimestamp"));
    json_decref(out);
    json_t *g = sim_store_get(st, cms, "default", "f");
    assert_non_null(g);
    /* adding a finalizer while deleting is refused; removing the last one deletes */
    json_t *add = slu_json_copy(g);
    json_array_append_new(slu_json_path(add, "metadata.finalizers"), json_string("x.io/y"));
    struct slu_err e = {0};
    assert_int_equal(sim_store_update(st, cms, "default", "f", add, NULL, NULL, NULL, &e),
                     SLU_EINVAL);
    slu_err_release(&e);
    json_t *rm = slu_json_copy(g);
    json_decref(g);
    slu_json_del(rm, "metadata.finalizers");
    assert_int_equal(sim_store_update(st, cms, "default", "f", rm, NULL, NULL, NULL, &e), 0);
    assert_null(sim_store_get(st, cms, "default", "f"));
}

static void test_pod_grace(void **state)
{
    const struct sim_rtype *pods = T("", "pods");
    json_decref(create_ok(pods, "default",
                          json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}", "metadata", "name", "u", "spec",
                                    "containers", "name", "c", "image", "i")));
    json_decref(create_ok(pods, "default",
                          json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}", "metadata", "name", "b", "spec",
                                    "containers", "name", "c", "image", "i")));
    assert_int_equal(sim_store_bind(st, "default", "b", "node-1", NULL), 0);
    struct slu_err e = {0};
    assert_int_equal(sim_store_bind(st, "default", "b", "node-2", &e), SLU_ECONFLICT);
    slu_err_release(&e);
    /* unbound: goes at once */
    assert_int_equal(sim_store_delete(st, pods, "default", "u", NULL, NULL, NULL), 0);
    assert_null(sim_store_get(st, pods, "default", "u"));
    /* bound: marked with the grace period, then finished with grace 0 */
    json_t *out = NULL;
    assert_int_equal(sim_store_delete(st, pods, "default", "b", NULL, &out, NULL), 0);
    assert_int_equal(slu_json_int(out, "metadata.deletionGracePeriodSeconds", -1), 30);
    json_decref(out);
    json_t *g = sim_store_get(st, pods, "default", "b");
    assert_non_null(g);
    json_decref(g);
    struct sim_delete_opts now = {.grace_period_seconds = 0};
    assert_int_equal(sim_store_delete(st, pods, "default", "b", &now, NULL, NULL), 0);
    assert_null(sim_store_get(st, pods, "default", "b"));
}

static json_t *owned_cm(const char *name, const json_t *owner)
{
    json_t *c = cm(name);
    json_t *ref =
        json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "ConfigMap", "name",
                  slu_json_str(owner, "metadata.name"), "uid", slu_json_str(owner, "metadata.uid"));
    slu_json_set(c, "metadata.ownerReferences", json_pack("[o]", ref));
    return c;
}

static void test_gc(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    /* background: dependents go with the owner, transitively */
    json_t *owner = create_ok(cms, "default", cm("owner"));
    json_t *d1 = create_ok(cms, "default", owned_cm("d1", owner));
    json_decref(create_ok(cms, "default", owned_cm("d2", d1)));
    assert_int_equal(sim_store_delete(st, cms, "default", "owner", NULL, NULL, NULL), 0);
    assert_null(sim_store_get(st, cms, "default", "d1"));
    assert_null(sim_store_get(st, cms, "default", "d2"));
    json_decref(owner);
    json_decref(d1);

    /* orphan: the dependent stays without the reference */
    owner = create_ok(cms, "default", cm("o2"));
    json_decref(create_ok(cms, "default", owned_cm("d3", owner)));
    struct sim_delete_opts orphan = {.propagation_policy = "Orphan", .grace_period_seconds = -1};
    assert_int_equal(sim_store_delete(st, cms, "default", "o2", &orphan, NULL, NULL), 0);
    json_t *d3 = sim_store_get(st, cms, "default", "d3");
    assert_non_null(d3);
    assert_null(slu_json_path(d3, "metadata.ownerReferences"));
    json_decref(d3);
    json_decref(owner);

    /* foreground: the owner waits (foregroundDeletion) for a dependent held by a finalizer */
    owner = create_ok(cms, "default", cm("o3"));
    json_t *held = owned_cm("d4", owner);
    slu_json_set(held, "metadata.finalizers", json_pack("[s]", "x.io/hold"));
    json_decref(create_ok(cms, "default", held));
    struct sim_delete_opts fg = {.propagation_policy = "Foreground", .grace_period_seconds = -1};
    json_t *out = NULL;
    assert_int_equal(sim_store_delete(st, cms, "default", "o3", &fg, &out, NULL), 0);
    assert_non_null(slu_json_str(out, "metadata.deletionTimestamp"));
    assert_string_equal(slu_json_str(out, "metadata.finalizers[0]"), "foregroundDeletion");
    json_decref(out);
    json_t *o3 = sim_store_get(st, cms, "default", "o3");
    assert_non_null(o3);
    json_decref(o3);
    json_t *d4 = sim_store_get(st, cms, "default", "d4");
    json_t *d4c = slu_json_copy(d4);
    json_decref(d4);
    slu_json_del(d4c, "metadata.finalizers");
    assert_int_equal(sim_store_update(st, cms, "default", "d4", d4c, NULL, NULL, NULL, NULL), 0);
    assert_null(sim_store_get(st, cms, "default", "d4"));
    assert_null(sim_store_get(st, cms, "default", "o3"));
    json_decref(owner);

    /* an object created with an owner that never existed is collected */
    json_t *ghost = json_pack("{s:{s:s,s:s}}", "metadata", "name", "ghost", "uid",
                              "00000000-0000-0000-0000-000000000000");
    json_decref(create_ok(cms, "default", owned_cm("orphaned", ghost)));
    json_decref(ghost);
    sim_store_gc_run(st);
    assert_null(sim_store_get(st, cms, "default", "orphaned"));
}

static void test_namespace_lifecycle(void **state)
{
    const struct sim_rtype *nss = T("", "namespaces");
    const struct sim_rtype *cms = T("", "configmaps");
    const struct sim_rtype *sas = T("", "serviceaccounts");
    json_decref(create_ok(nss, NULL, json_pack("{s:{s:s}}", "metadata", "name", "team")));
    json_t *sa = sim_store_get(st, sas, "team", "default");
    assert_non_null(sa);
    json_decref(sa);
    json_t *c = cm("keep");
    slu_json_set(c, "metadata.finalizers", json_pack("[s]", "x.io/hold"));
    json_decref(create_ok(cms, "team", c));
    json_t *out = NULL;
    assert_int_equal(sim_store_delete(st, nss, NULL, "team", NULL, &out, NULL), 0);
    assert_string_equal(slu_json_str(out, "status.phase"), "Terminating");
    json_decref(out);
    struct slu_err e = {0};
    assert_int_equal(sim_store_create(st, cms, "team", cm("new"), NULL, NULL, &e), SLU_EFORBIDDEN);
    assert_non_null(strstr(e.msg, "because it is being terminated"));
    slu_err_release(&e);
    sim_store_gc_run(st);
    json_t *ns = sim_store_get(st, nss, NULL, "team");
    assert_non_null(ns); /* held by the configmap's finalizer */
    json_decref(ns);
    json_t *k = sim_store_get(st, cms, "team", "keep");
    json_t *kc = slu_json_copy(k);
    json_decref(k);
    slu_json_del(kc, "metadata.finalizers");
    assert_int_equal(sim_store_update(st, cms, "team", "keep", kc, NULL, NULL, NULL, NULL), 0);
    sim_store_gc_run(st);
    assert_null(sim_store_get(st, nss, NULL, "team"));
}

static void test_watch(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    uint64_t start = sim_store_rv(st);
    struct sim_watcher *w = NULL;
    assert_int_equal(sim_store_watch(st, cms, "default", start, &w, NULL), 0);
    json_decref(create_ok(cms, "default", cm("w1")));
    json_decref(create_ok(cms, "kube-system", cm("other-ns")));
    assert_int_equal(sim_store_delete(st, cms, "default", "w1", NULL, NULL, NULL), 0);
    struct sim_event ev;
    assert_int_equal(sim_watcher_next(w, &ev, 1000), 0);
    assert_string_equal(ev.type, "ADDED");
    assert_string_equal(slu_json_str(ev.obj, "metadata.name"), "w1");
    sim_event_release(&ev);
    assert_int_equal(sim_watcher_next(w, &ev, 1000), 0);
    assert_string_equal(ev.type, "DELETED");
    sim_event_release(&ev);
    assert_int_equal(sim_watcher_next(w, &ev, 10), SLU_ETIMEDOUT);
    assert_int_equal(sim_watcher_position(w), sim_store_rv(st));
    sim_watcher_cancel(w);
    assert_int_equal(sim_watcher_next(w, &ev, 1000), SLU_ECANCELED);
    sim_watcher_free(w);

    /* resume from an rv inside the window; too old an rv gives 410 */
    uint64_t mid = sim_store_rv(st);
    json_decref(create_ok(cms, "default", cm("w2")));
    assert_int_equal(sim_store_watch(st, cms, NULL, mid, &w, NULL), 0);
    assert_int_equal(sim_watcher_next(w, &ev, 1000), 0);
    assert_string_equal(slu_json_str(ev.obj, "metadata.name"), "w2");
    sim_event_release(&ev);
    sim_watcher_free(w);
    sim_store_set_event_window(st, 2);
    for (int i = 0; i < 4; i++) {
        char n[16];
        snprintf(n, sizeof n, "x%d", i);
        json_decref(create_ok(cms, "default", cm(n)));
    }
    struct slu_err e = {0};
    assert_int_equal(sim_store_watch(st, cms, NULL, mid, &w, &e), SLU_EGONE);
    assert_int_equal(e.http_status, 410);
    slu_err_release(&e);
}

/* Lists selecting by an indexed label (spark-app-selector) visit that label's objects only and
 * stay right as labels change and objects go. */
static json_t *app_cm(const char *name, const char *app, const char *role)
{
    json_t *o = cm(name);
    slu_json_set_str(o, "metadata.labels.spark-app-selector", app);
    slu_json_set_str(o, "metadata.labels.spark-role", role);
    return o;
}

static size_t list_count(const struct sim_rtype *rt, const char *ns, const char *selector,
                         uint64_t *examined)
{
    struct kube_label_selector *sel = NULL;
    assert_int_equal(kube_label_selector_parse(selector, &sel, NULL), 0);
    struct sim_list_opts o = {.labels = sel};
    struct sim_store_stats a, b;
    sim_store_stats(st, &a);
    json_t *l = NULL;
    assert_int_equal(sim_store_list(st, rt, ns, &o, &l, NULL), 0);
    sim_store_stats(st, &b);
    if (examined)
        *examined = b.list_examined - a.list_examined;
    size_t n = json_array_size(json_object_get(l, "items"));
    json_decref(l);
    kube_label_selector_free(sel);
    return n;
}

static int relabel(void *ud, json_t *obj, struct slu_err *err)
{
    (void)err;
    return slu_json_set_str(obj, "metadata.labels.spark-app-selector", ud);
}

static void test_list_label_index(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    char name[32], app[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "cm-%d", i);
        snprintf(app, sizeof app, "app-%d", i % 50);
        json_decref(create_ok(cms, "default", app_cm(name, app, i < 50 ? "driver" : "executor")));
    }
    json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                           "name", "other");
    json_decref(create_ok(T("", "namespaces"), NULL, ns));
    json_decref(create_ok(cms, "other", app_cm("x", "app-7", "executor")));
    uint64_t ex = 0;
    /* 4 objects carry app-7 in default: only they are looked at */
    assert_int_equal(list_count(cms, "default", "spark-app-selector=app-7", &ex), 4);
    assert_int_equal(ex, 4);
    assert_int_equal(
        list_count(cms, "default", "spark-app-selector=app-7,spark-role=executor", &ex), 3);
    assert_int_equal(ex, 4);
    assert_int_equal(
        list_count(cms, "default", "spark-role=executor,spark-app-selector==app-7", &ex), 3);
    assert_int_equal(list_count(cms, "default", "spark-app-selector in (app-7)", &ex), 4);
    assert_int_equal(ex, 4);
    /* all namespaces */
    assert_int_equal(list_count(cms, NULL, "spark-app-selector=app-7", &ex), 5);
    assert_int_equal(ex, 5);
    /* not an equality on an indexed label: a scan, with the same answers */
    assert_int_equal(list_count(cms, "default", "spark-app-selector in (app-7,app-8)", &ex), 8);
    assert_true(ex >= 200);
    assert_int_equal(list_count(cms, "default", "spark-app-selector!=app-7", &ex), 196);
    assert_int_equal(list_count(cms, "default", "!spark-app-selector", &ex), 0);
    assert_int_equal(list_count(cms, "default", "spark-app-selector=nope", &ex), 0);
    assert_int_equal(ex, 0);
    /* a label changed: the index follows */
    assert_int_equal(
        sim_store_mutate(st, cms, "default", "cm-7", NULL, relabel, "app-new", NULL, NULL), 0);
    assert_int_equal(list_count(cms, "default", "spark-app-selector=app-7", NULL), 3);
    assert_int_equal(list_count(cms, "default", "spark-app-selector=app-new", NULL), 1);
    /* an update that leaves the label alone keeps it indexed */
    assert_int_equal(
        sim_store_mutate(st, cms, "default", "cm-57", NULL, add_label, "y", NULL, NULL), 0);
    assert_int_equal(list_count(cms, "default", "spark-app-selector=app-7", NULL), 3);
    /* deleted: gone from the index */
    struct sim_delete_opts d = {.grace_period_seconds = -1};
    assert_int_equal(sim_store_delete(st, cms, "default", "cm-57", &d, NULL, NULL), 0);
    assert_int_equal(list_count(cms, "default", "spark-app-selector=app-7", &ex), 2);
    assert_int_equal(ex, 2);
}

/* A watcher over some types is not woken, and does not fall out of the window, for the others'
 * events. */
static void test_watch_types(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps"), *pods = T("", "pods");
    const struct sim_rtype *rts[2] = {pods, T("", "nodes")};
    struct sim_watcher *w = NULL;
    assert_int_equal(sim_store_watch_types(st, rts, 2, sim_store_rv(st), &w, NULL), 0);
    struct sim_store_stats a, b;
    sim_store_stats(st, &a);
    char name[32];
    for (int i = 0; i < 200; i++) { /* the window holds 64 */
        snprintf(name, sizeof name, "cm-%d", i);
        json_decref(create_ok(cms, "default", cm(name)));
    }
    sim_store_stats(st, &b);
    assert_int_equal(b.events - a.events, 200);
    assert_int_equal(b.watcher_wakeups, a.watcher_wakeups);
    struct sim_event ev;
    assert_int_equal(sim_watcher_next(w, &ev, 0), SLU_ETIMEDOUT);
    assert_int_equal(sim_watcher_position(w), sim_store_rv(st));
    json_t *pod =
        json_pack("{s:s,s:s,s:{s:s},s:{s:[{s:s,s:s}]}}", "apiVersion", "v1", "kind", "Pod",
                  "metadata", "name", "p", "spec", "containers", "name", "c", "image", "busybox");
    json_decref(create_ok(pods, "default", pod));
    assert_int_equal(sim_watcher_next(w, &ev, 1000), 0);
    assert_string_equal(ev.type, "ADDED");
    assert_ptr_equal(ev.rt, pods);
    sim_event_release(&ev);
    /* a watcher of pods that fell behind by more than the window on pod events is told so */
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "p-%d", i);
        json_t *p = json_deep_copy(pod);
        json_object_set_new(json_object_get(p, "metadata"), "name", json_string(name));
        json_decref(create_ok(pods, "default", p));
    }
    assert_int_equal(sim_watcher_next(w, &ev, 0), SLU_EGONE);
    sim_watcher_free(w);
}

/* sim_store_mutate_status: fn changes the status; the new version shares the spec with the old
 * one, which stays as it was. */
static int set_phase(void *ud, json_t *obj, struct slu_err *err)
{
    (void)err;
    return slu_json_set_str(obj, "status.phase", ud);
}

static void test_mutate_status(void **state)
{
    const struct sim_rtype *pods = T("", "pods");
    json_t *pod =
        json_pack("{s:s,s:s,s:{s:s},s:{s:[{s:s,s:s}]}}", "apiVersion", "v1", "kind", "Pod",
                  "metadata", "name", "p", "spec", "containers", "name", "c", "image", "busybox");
    json_t *v1 = create_ok(pods, "default", pod);
    json_t *v2 = NULL;
    assert_int_equal(
        sim_store_mutate_status(st, pods, "default", "p", set_phase, "Running", &v2, NULL), 0);
    assert_string_equal(slu_json_str(v2, "status.phase"), "Running");
    assert_ptr_equal(json_object_get(v2, "spec"), json_object_get(v1, "spec"));
    assert_ptr_not_equal(json_object_get(v2, "metadata"), json_object_get(v1, "metadata"));
    assert_string_not_equal(slu_json_str(v2, "metadata.resourceVersion"),
                            slu_json_str(v1, "metadata.resourceVersion"));
    assert_string_equal(slu_json_str(v1, "status.phase"), "Pending");
    /* no change: nothing written */
    uint64_t rv = sim_store_rv(st);
    json_t *v3 = NULL;
    assert_int_equal(
        sim_store_mutate_status(st, pods, "default", "p", set_phase, "Running", &v3, NULL), 0);
    assert_int_equal(sim_store_rv(st), rv);
    assert_ptr_equal(v3, v2);
    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
}

/* An update whose body repeats parts of the stored object stores those parts shared with the
 * old version (same values, not copies); the changed parts are new. */
static void test_update_shares(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *o = cm("s");
    slu_json_set_str(o, "metadata.labels.a", "b");
    json_t *v1 = create_ok(cms, "default", o);
    json_t *body = json_deep_copy(v1);
    slu_json_set_str(body, "metadata.annotations.x", "y");
    json_t *v2 = NULL;
    assert_int_equal(sim_store_update(st, cms, "default", "s", body, NULL, NULL, &v2, NULL), 0);
    assert_ptr_equal(json_object_get(v2, "data"), json_object_get(v1, "data"));
    assert_ptr_equal(slu_json_path(v2, "metadata.labels"), slu_json_path(v1, "metadata.labels"));
    assert_string_equal(slu_json_str(v2, "metadata.annotations.x"), "y");
    assert_null(slu_json_path(v1, "metadata.annotations"));
    body = json_deep_copy(v2);
    slu_json_set_str(body, "data.k", "changed");
    json_t *v3 = NULL;
    assert_int_equal(sim_store_update(st, cms, "default", "s", body, NULL, NULL, &v3, NULL), 0);
    assert_ptr_not_equal(json_object_get(v3, "data"), json_object_get(v2, "data"));
    assert_string_equal(slu_json_str(v3, "data.k"), "changed");
    assert_string_equal(slu_json_str(v2, "data.k"), "v");
    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
}

/* Equal string values of different objects are held once; the table forgets values no stored
 * object uses any more. */
static void test_interned_strings(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *a = cm("ia"), *b = cm("ib");
    slu_json_set_str(a, "data.image", "registry.example/spark:4.0.0-interned");
    slu_json_set_str(b, "data.image", "registry.example/spark:4.0.0-interned");
    slu_json_set_str(a, "data.only", "a value only ia has");
    json_t *sa = create_ok(cms, "default", a);
    json_t *sb = create_ok(cms, "default", b);
    assert_ptr_equal(slu_json_path(sa, "data.image"), slu_json_path(sb, "data.image"));
    /* unique values (names, uids) are not kept in the table */
    assert_ptr_not_equal(slu_json_path(sa, "metadata.uid"), slu_json_path(sb, "metadata.uid"));
    struct sim_store_stats s1, s2;
    sim_store_stats(st, &s1);
    struct sim_delete_opts d = {.grace_period_seconds = -1};
    assert_int_equal(sim_store_delete(st, cms, "default", "ia", &d, NULL, NULL), 0);
    assert_int_equal(sim_store_delete(st, cms, "default", "ib", &d, NULL, NULL), 0);
    json_decref(sa);
    json_decref(sb);
    sim_store_set_event_window(st, 1); /* the events held the last versions too (ib's stays) */
    sim_store_gc_run(st);
    sim_store_gc_run(st);
    sim_store_stats(st, &s2);
    assert_true(s2.strings < s1.strings);
    /* a new object with the value gets it afresh */
    json_t *c = cm("ic");
    slu_json_set_str(c, "data.image", "registry.example/spark:4.0.0-interned");
    json_t *sc = create_ok(cms, "default", c);
    assert_string_equal(slu_json_str(sc, "data.image"), "registry.example/spark:4.0.0-interned");
    json_decref(sc);
}

static void test_list_continue(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    for (int i = 0; i < 5; i++) {
        char n[16];
        snprintf(n, sizeof n, "l%d", i);
        json_t *c = cm(n);
        slu_json_set_str(c, "metadata.labels.even", i % 2 ? "no" : "yes");
        json_decref(create_ok(cms, "default", c));
    }
    struct sim_list_opts o = {.limit = 2};
    json_t *l = NULL;
    assert_int_equal(sim_store_list(st, cms, "default", &o, &l, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    assert_string_equal(slu_json_str(l, "kind"), "ConfigMapList");
    char *tok = slu_strdup(slu_json_str(l, "metadata.continue"));
    assert_non_null(tok);
    json_decref(l);
    /* a change after the first page does not show in the snapshot */
    json_decref(create_ok(cms, "default", cm("l9")));
    o.continue_token = tok;
    o.limit = 10;
    assert_int_equal(sim_store_list(st, cms, "default", &o, &l, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
    assert_null(slu_json_str(l, "metadata.continue"));
    json_decref(l);
    /* the snapshot went with the last page */
    struct slu_err e = {0};
    assert_int_equal(sim_store_list(st, cms, "default", &o, &l, &e), SLU_EGONE);
    assert_string_equal(e.reason, "Expired");
    slu_err_release(&e);
    free(tok);
    /* label selector */
    struct kube_label_selector *sel = NULL;
    assert_int_equal(kube_label_selector_parse("even=yes", &sel, NULL), 0);
    struct sim_list_opts so = {.labels = sel};
    assert_int_equal(sim_store_list(st, cms, "default", &so, &l, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
    json_decref(l);
    kube_label_selector_free(sel);
}

static void test_annotations_limit(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *c = cm("big");
    char *v = slu_malloc(262200);
    memset(v, 'a', 262199);
    v[262199] = 0;
    slu_json_set_str(c, "metadata.annotations.big", v);
    free(v);
    struct slu_err e = {0};
    assert_int_equal(sim_store_create(st, cms, "default", c, NULL, NULL, &e), SLU_EINVAL);
    assert_string_equal(e.causes[0].field, "metadata.annotations");
    assert_non_null(strstr(e.causes[0].message, "Too long"));
    slu_err_release(&e);
}

static void test_field_validation(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    json_t *c = cm("fv");
    json_object_set_new(c, "bogus", json_true());
    struct sim_write_opts strict = {.field_validation = "Strict"};
    struct slu_err e = {0};
    assert_int_equal(sim_store_create(st, cms, "default", slu_json_copy(c), &strict, NULL, &e),
                     SLU_EBADREQUEST);
    assert_string_equal(e.msg, "strict decoding error: unknown field \"bogus\"");
    slu_err_release(&e);
    struct slu_buf warn = {0};
    struct sim_write_opts w = {.field_validation = "Warn", .warnings = &warn};
    json_t *out = NULL;
    assert_int_equal(sim_store_create(st, cms, "default", c, &w, &out, &e), 0);
    assert_null(json_object_get(out, "bogus"));
    assert_string_equal(warn.data, "unknown field \"bogus\"");
    json_decref(out);
    slu_buf_release(&warn);
}

static void test_dry_run(void **state)
{
    const struct sim_rtype *cms = T("", "configmaps");
    uint64_t rv = sim_store_rv(st);
    struct sim_write_opts dry = {.dry_run = true};
    json_t *out = NULL;
    assert_int_equal(sim_store_create(st, cms, "default", cm("dry"), &dry, &out, NULL), 0);
    assert_non_null(out);
    json_decref(out);
    assert_null(sim_store_get(st, cms, "default", "dry"));
    assert_int_equal(sim_store_rv(st), rv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_name_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_conflict_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_grace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_label_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interned_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotations_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
