/* test_informer.c - the informer against a scripted local server: paged list, watch from the
 * list's resourceVersion, resume after a closed stream from the last seen version (a bookmark's),
 * relist on 410 with the diff delivered to the handlers, projection, indexes, wait_synced.
 * Indexes as each event moves an object between values (seen from inside the handlers), through
 * deletes and a relist that drops objects; the compact store giving back exactly what the
 * projection made (escapes, numbers, nesting); old objects on update, and none with
 * no_old_on_update. Each in both store modes (shared json_t and compact). */
#include <signal.h>
#include <stdlib.h>

#include "test.h"

#include "fakeapi.h"
#include "kube/client_priv.h"

static char *pod(const char *name, const char *rv, const char *app)
{
    return slu_asprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\",\"resourceVersion\":"
                        "\"%s\",\"labels\":{\"app\":\"%s\"}},\"spec\":{\"big\":\"xxxxxxxx\"}}",
                        name, rv, app);
}

struct script {
    int lists, watches;
    char paths[16][256];
    int npaths;
};

static void add_event(struct slu_buf *b, const char *type, const char *obj)
{
    char *line = slu_asprintf("{\"type\":\"%s\",\"object\":%s}\n", type, obj);
    slu_buf_printf(b, "%zx\r\n%s\r\n", strlen(line), line);
    free(line);
}

static void server(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    struct script *s = ud;
    if (s->npaths < 16)
        slu_strlcpy(s->paths[s->npaths++], rq->path, 256);
    char *pa = pod("a", "1", "x"), *pb = pod("b", "2", "y"), *pc = pod("c", "11", "y");
    char *pa2 = pod("a", "12", "x"), *pc2 = pod("c", "30", "z"), *pd = pod("d", "31", "x");
    if (!strstr(rq->path, "watch=1")) {
        int l = s->lists++;
        char *body;
        if (l == 0)
            body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"k\"},"
                                "\"items\":[%s]}",
                                pa);
        else if (l == 1)
            body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[%s]}", pb);
        else
            body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"40\"},\"items\":[%s,%s]}",
                                pc2, pd);
        fake_reply(a, 200, NULL, body);
        free(body);
    } else {
        int w = s->watches++;
        slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        if (w == 0) {
            add_event(&a->raw, "ADDED", pc);
            add_event(&a->raw, "MODIFIED", pa2);
            add_event(&a->raw, "BOOKMARK",
                      "{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":"
                      "\"20\"}}");
            slu_buf_puts(&a->raw, "0\r\n\r\n");
        } else if (w == 1) {
            add_event(&a->raw, "DELETED", pb);
            add_event(&a->raw, "ERROR",
                      "{\"kind\":\"Status\",\"code\":410,\"reason\":"
                      "\"Expired\",\"message\":\"too old\"}");
            slu_buf_puts(&a->raw, "0\r\n\r\n");
        } else {
            a->hold_ms = 30000; /* idle */
        }
    }
    free(pa);
    free(pb);
    free(pc);
    free(pa2);
    free(pc2);
    free(pd);
}

struct log {
    pthread_mutex_t mu;
    char entries[32][64];
    int n;
};

static void logf_(struct log *l, const char *s)
{
    pthread_mutex_lock(&l->mu);
    if (l->n < 32)
        slu_strlcpy(l->entries[l->n], s, 64);
    l->n++;
    pthread_mutex_unlock(&l->mu);
}

static void h_add(void *ud, const json_t *o)
{
    char b[64];
    snprintf(b, sizeof(b), "add %s %s", slu_json_str(o, "metadata.name"),
             slu_json_str(o, "metadata.resourceVersion"));
    logf_(ud, b);
}

static void h_update(void *ud, const json_t *o, const json_t *n)
{
    char b[64];
    snprintf(b, sizeof(b), "update %s %s->%s", slu_json_str(n, "metadata.name"),
             slu_json_str(o, "metadata.resourceVersion"),
             slu_json_str(n, "metadata.resourceVersion"));
    logf_(ud, b);
}

static void h_delete(void *ud, const json_t *o)
{
    char b[64];
    snprintf(b, sizeof(b), "delete %s", slu_json_str(o, "metadata.name"));
    logf_(ud, b);
}

static json_t *project(const json_t *obj)
{
    return json_pack("{s:O}", "metadata", json_object_get(obj, "metadata"));
}

static void by_app(const json_t *obj, struct slu_vec *out)
{
    const char *app = slu_json_str(obj, "metadata.labels.app");
    if (app)
        slu_vec_push(out, slu_strdup(app));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int cmp_str_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void wait_log(struct log *l, int n)
{
    for (int i = 0; i < 1000; i++) { /* up to 10 s: a cap for a hung test, not a timing check */
        pthread_mutex_lock(&l->mu);
        int have = l->n;
        pthread_mutex_unlock(&l->mu);
        if (have >= n)
            return;
        slu_sleep_ms(10);
    }
    fail_msg("only %d of %d handler calls arrived", l->n, n);
}

static void test_informer_flow(void **state)
{
    bool compact = *state != NULL;
    struct script s = {0};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, server, &s), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    struct log lg = {.n = 0};
    pthread_mutex_init(&lg.mu, NULL);
    struct kube_informer_handlers h = {h_add, h_update, h_delete, &lg};
    struct kube_informer_opts o = {.resource = &KUBE_RES_PODS,
                                   .namespace = "ns",
                                   .page_size = 1,
                                   .project = project,
                                   .compact = compact};
    struct kube_informer *inf = kube_informer_new(c, &o, &h);
    kube_informer_add_index(inf, "app", by_app);
    assert_false(kube_informer_has_synced(inf));
    assert_int_equal(kube_informer_start(inf), 0);
    assert_true(kube_informer_wait_synced(inf, 10000));
    wait_log(&lg, 8);
    /* the first list (two pages), in either order */
    qsort(lg.entries, 2, sizeof(lg.entries[0]), cmp_str);
    assert_string_equal(lg.entries[0], "add a 1");
    assert_string_equal(lg.entries[1], "add b 2");
    /* the first watch */
    assert_string_equal(lg.entries[2], "add c 11");
    assert_string_equal(lg.entries[3], "update a 1->12");
    /* the second watch, resumed from the bookmark */
    assert_string_equal(lg.entries[4], "delete b");
    /* the relist after 410: a gone, c changed, d new */
    qsort(lg.entries[5], 3, sizeof(lg.entries[0]), cmp_str);
    assert_string_equal(lg.entries[5], "add d 31");
    assert_string_equal(lg.entries[6], "delete a");
    assert_string_equal(lg.entries[7], "update c 11->30");
    /* wait for the third watch to be sent before reading the paths */
    for (int i = 0; i < 1000 && s.watches < 3; i++)
        slu_sleep_ms(10);
    assert_int_equal(s.watches, 3);
    assert_string_equal(s.paths[0], "/api/v1/namespaces/ns/pods?limit=1");
    assert_string_equal(s.paths[1], "/api/v1/namespaces/ns/pods?limit=1&continue=k");
    assert_non_null(strstr(s.paths[2], "watch=1&resourceVersion=10&allowWatchBookmarks=true"));
    assert_non_null(strstr(s.paths[3], "resourceVersion=20&"));
    assert_string_equal(s.paths[4], "/api/v1/namespaces/ns/pods?limit=1");
    assert_non_null(strstr(s.paths[5], "resourceVersion=40&"));
    assert_int_equal(kube_informer_relists(inf), 1);
    assert_int_equal(kube_informer_len(inf), 2);
    json_t *d = kube_informer_get(inf, "ns/d");
    assert_non_null(d);
    assert_null(json_object_get(d, "spec")); /* projected */
    json_decref(d);
    assert_null(kube_informer_get(inf, "ns/a"));
    json_t *xs = kube_informer_by_index(inf, "app", "x");
    assert_int_equal(json_array_size(xs), 1);
    assert_string_equal(slu_json_str(json_array_get(xs, 0), "metadata.name"), "d");
    json_decref(xs);
    xs = kube_informer_by_index(inf, "app", "y");
    assert_int_equal(json_array_size(xs), 0);
    json_decref(xs);
    json_t *all = kube_informer_list(inf);
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    kube_informer_stop(inf);
    kube_informer_free(inf);
    kube_client_free(c);
    fake_stop(&f);
    pthread_mutex_destroy(&lg.mu);
}

/* ---------------------------------------------------------------- indexes as objects move */

/* A pod with label app (omitted when NULL). */
static char *pod2(const char *name, const char *rv, const char *app)
{
    if (!app)
        return slu_asprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
                            "\"resourceVersion\":\"%s\"}}",
                            name, rv);
    return pod(name, rv, app);
}

static void server2(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    struct script *s = ud;
    if (!strstr(rq->path, "watch=1")) {
        int l = s->lists++;
        char *x = pod2("a", "1", "x"), *b = pod2("b", "2", "x"), *c = pod2("c", "3", "y");
        char *a11 = pod2("a", "11", "y"), *e = pod2("e", "31", NULL);
        char *body;
        if (l == 0)
            body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[%s,%s,%s]}",
                                x, b, c);
        else /* b is gone, a unchanged since the watch, e new */
            body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"40\"},\"items\":[%s,%s]}",
                                a11, e);
        fake_reply(a, 200, NULL, body);
        free(body);
        free(x);
        free(b);
        free(c);
        free(a11);
        free(e);
        return;
    }
    int w = s->watches++;
    slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    if (w == 0) {
        char *a11 = pod2("a", "11", "y"), *b12 = pod2("b", "12", "x"), *d = pod2("d", "13", "x");
        char *c14 = pod2("c", "14", NULL), *d15 = pod2("d", "15", "z"), *c16 = pod2("c", "16", "y");
        char *d17 = pod2("d", "17", "z");
        add_event(&a->raw, "MODIFIED", a11); /* x -> y */
        add_event(&a->raw, "MODIFIED", b12); /* stays in x */
        add_event(&a->raw, "ADDED", d);
        add_event(&a->raw, "MODIFIED", c14); /* out of every app value */
        add_event(&a->raw, "MODIFIED", d15); /* x -> z */
        add_event(&a->raw, "MODIFIED", c16); /* back into y */
        add_event(&a->raw, "DELETED", d17);
        add_event(&a->raw, "ERROR",
                  "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"old\"}");
        slu_buf_puts(&a->raw, "0\r\n\r\n");
        free(a11);
        free(b12);
        free(d);
        free(c14);
        free(d15);
        free(c16);
        free(d17);
    } else {
        a->hold_ms = 30000;
    }
}

/* Two indexes: "app" (the label, or none) and "all" (every object under "*", and its app again,
 * so that an object is filed under several values of one index). */
static void by_all(const json_t *obj, struct slu_vec *out)
{
    slu_vec_push(out, slu_strdup("*"));
    by_app(obj, out);
}

struct ix_ctx {
    struct kube_informer *inf;
    struct log lg;
    bool want_old; /* on_update must get an old object (else NULL) */
    int old_wrong;
};

/* The names filed under index name = value, sorted and joined ("a,c"). */
static void names_of(struct kube_informer *inf, const char *name, const char *value, char *out,
                     size_t cap)
{
    json_t *arr = kube_informer_by_index(inf, name, value);
    const char *names[16];
    size_t n = 0, i;
    json_t *o;
    json_array_foreach(arr, i, o) if (n < 16) names[n++] =
        slu_json_str(o, "metadata.name") ? slu_json_str(o, "metadata.name") : "?";
    qsort(names, n, sizeof(names[0]), cmp_str_p);
    out[0] = '\0';
    for (i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "", names[i]);
    json_decref(arr);
}

/* "op name rv | x:.. y:.. z:.. *:.." as seen from inside the handler. */
static void ix_log(struct ix_ctx *x, const char *op, const json_t *o)
{
    char b[160], v[4][24];
    names_of(x->inf, "app", "x", v[0], sizeof v[0]);
    names_of(x->inf, "app", "y", v[1], sizeof v[1]);
    names_of(x->inf, "app", "z", v[2], sizeof v[2]);
    names_of(x->inf, "all", "*", v[3], sizeof v[3]);
    const char *name = slu_json_str(o, "metadata.name");
    const char *rv = slu_json_str(o, "metadata.resourceVersion");
    snprintf(b, sizeof b, "%s %s %s|%s|%s|%s|%s", op, name ? name : "?", rv ? rv : "?", v[0], v[1],
             v[2], v[3]);
    logf_(&x->lg, b);
}

static void ix_add(void *ud, const json_t *o)
{
    ix_log(ud, "add", o);
}

static void ix_update(void *ud, const json_t *old, const json_t *nw)
{
    struct ix_ctx *x = ud;
    if (x->want_old ? !old || slu_streq(slu_json_str(old, "metadata.resourceVersion"),
                                        slu_json_str(nw, "metadata.resourceVersion"))
                    : old != NULL)
        x->old_wrong++;
    ix_log(ud, "update", nw);
}

static void ix_delete(void *ud, const json_t *o)
{
    ix_log(ud, "delete", o);
}

/* What the projection adds to every object: every kind of value, escapes, UTF-8 and nesting, to
 * check that the compact store gives back exactly what was projected. */
static const char ODD[] =
    "{\"s\":\"q\\\"uote \\\\ \\/ \\n\\t\\r\\b\\f \\u0001\\u001f caf\\u00e9 \\ud83d\\ude00\","
    "\"i\":-9223372036854775807,\"j\":0,\"r\":1.5e-300,\"r2\":3.0,\"r3\":-0.1,\"r4\":1e300,"
    "\"t\":true,\"f\":false,\"n\":null,\"a\":[[],{},[1,[2,{\"k\":\"v\"}]]],\"\":\"empty key\","
    "\"k\\\"e\\u00e9y\\n\":1}";

static json_t *project_odd(const json_t *obj)
{
    json_t *p = json_pack("{s:O}", "metadata", json_object_get(obj, "metadata"));
    json_object_set_new(p, "odd", json_loads(ODD, 0, NULL));
    return p;
}

static void test_informer_index_moves(void **state)
{
    bool compact = *state != NULL;
    struct script s = {0};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, server2, &s), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    struct ix_ctx x = {.want_old = true};
    pthread_mutex_init(&x.lg.mu, NULL);
    struct kube_informer_handlers h = {ix_add, ix_update, ix_delete, &x};
    struct kube_informer_opts o = {
        .resource = &KUBE_RES_PODS, .namespace = "ns", .project = project_odd, .compact = compact};
    x.inf = kube_informer_new(c, &o, &h);
    kube_informer_add_index(x.inf, "app", by_app);
    kube_informer_add_index(x.inf, "all", by_all);
    assert_int_equal(kube_informer_start(x.inf), 0);
    wait_log(&x.lg, 12);
    /* the first list, in the store's order: every add sees the whole list filed */
    qsort(x.lg.entries, 3, sizeof(x.lg.entries[0]), cmp_str);
    assert_string_equal(x.lg.entries[0], "add a 1|a,b|c||a,b,c");
    assert_string_equal(x.lg.entries[1], "add b 2|a,b|c||a,b,c");
    assert_string_equal(x.lg.entries[2], "add c 3|a,b|c||a,b,c");
    /* the watch */
    assert_string_equal(x.lg.entries[3], "update a 11|b|a,c||a,b,c");
    assert_string_equal(x.lg.entries[4], "update b 12|b|a,c||a,b,c");
    assert_string_equal(x.lg.entries[5], "add d 13|b,d|a,c||a,b,c,d");
    assert_string_equal(x.lg.entries[6], "update c 14|b,d|a||a,b,c,d");
    assert_string_equal(x.lg.entries[7], "update d 15|b|a|d|a,b,c,d");
    assert_string_equal(x.lg.entries[8], "update c 16|b|a,c|d|a,b,c,d");
    /* the handler gets the stored object (rv 15), filed out already */
    assert_string_equal(x.lg.entries[9], "delete d 15|b|a,c||a,b,c");
    /* the relist after 410: b dropped, e added (no app), a unchanged (no call) */
    qsort(x.lg.entries[10], 2, sizeof(x.lg.entries[0]), cmp_str);
    assert_string_equal(x.lg.entries[10], "add e 31||a||a,e");
    assert_string_equal(x.lg.entries[11], "delete b 12||a||a,e");
    assert_int_equal(x.old_wrong, 0);
    /* by the app index, a value is there again under its own name in "all" */
    char v[64];
    names_of(x.inf, "all", "y", v, sizeof v);
    assert_string_equal(v, "a");
    names_of(x.inf, "all", "x", v, sizeof v);
    assert_string_equal(v, "");
    names_of(x.inf, "nope", "x", v, sizeof v);
    assert_string_equal(v, "");
    /* what the store gives back is what the projection made */
    json_t *want = json_loads(ODD, 0, NULL);
    assert_non_null(want);
    json_t *got = kube_informer_get(x.inf, "ns/a");
    assert_non_null(got);
    assert_true(slu_json_equal(json_object_get(got, "odd"), want));
    assert_string_equal(slu_json_str(got, "metadata.resourceVersion"), "11");
    assert_true(json_real_value(slu_json_path(got, "odd.r")) == 1.5e-300);
    assert_true(json_is_real(slu_json_path(got, "odd.r2")));
    json_decref(got);
    json_decref(want);
    kube_informer_stop(x.inf);
    assert_int_equal(kube_informer_relists(x.inf), 1);
    assert_int_equal(kube_informer_len(x.inf), 2);
    kube_informer_free(x.inf);
    kube_client_free(c);
    fake_stop(&f);
    pthread_mutex_destroy(&x.lg.mu);
}

/* no_old_on_update: on_update gets NULL for old, with an index too (which used to decode it). */
static void test_informer_no_old(void **state)
{
    bool compact = *state != NULL;
    struct script s = {0};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, server2, &s), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    struct ix_ctx x = {.want_old = false};
    pthread_mutex_init(&x.lg.mu, NULL);
    struct kube_informer_handlers h = {ix_add, ix_update, ix_delete, &x};
    struct kube_informer_opts o = {.resource = &KUBE_RES_PODS,
                                   .namespace = "ns",
                                   .compact = compact,
                                   .no_old_on_update = true};
    x.inf = kube_informer_new(c, &o, &h);
    kube_informer_add_index(x.inf, "app", by_app);
    kube_informer_add_index(x.inf, "all", by_all);
    assert_int_equal(kube_informer_start(x.inf), 0);
    wait_log(&x.lg, 12);
    assert_int_equal(x.old_wrong, 0);
    /* unprojected: the store keeps the server's text in compact mode */
    assert_string_equal(x.lg.entries[3], "update a 11|b|a,c||a,b,c");
    assert_string_equal(x.lg.entries[9], "delete d 15|b|a,c||a,b,c");
    json_t *got = kube_informer_get(x.inf, "ns/a");
    assert_string_equal(slu_json_str(got, "metadata.labels.app"), "y");
    json_decref(got);
    kube_informer_stop(x.inf);
    kube_informer_free(x.inf);
    kube_client_free(c);
    fake_stop(&f);
    pthread_mutex_destroy(&x.lg.mu);
}

/* ---------------------------------------------------------------- large objects */

/* A pod whose label "big" holds n bytes with a quote and a backslash every 1000 (JSON text). */
static char *big_pod(const char *rv, size_t n)
{
    char *v = slu_malloc(n + n / 500 + 1), *o = v;
    for (size_t i = 0; i < n; i++) {
        if (i % 1000 == 0) {
            *o++ = '\\';
            *o++ = i % 2000 ? '"' : '\\';
        } else {
            *o++ = (char)('a' + i % 26);
        }
    }
    *o = '\0';
    char *p = slu_asprintf("{\"metadata\":{\"name\":\"big\",\"namespace\":\"ns\","
                           "\"resourceVersion\":\"%s\",\"labels\":{\"big\":\"%s\"}}}",
                           rv, v);
    free(v);
    return p;
}

static void server3(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    struct script *s = ud;
    if (!strstr(rq->path, "watch=1")) {
        s->lists++;
        char *b = big_pod("1", 100000);
        char *body = slu_asprintf("{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[%s]}", b);
        fake_reply(a, 200, NULL, body);
        free(body);
        free(b);
        return;
    }
    if (s->watches++ == 0) {
        slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        char *b2 = big_pod("2", 600000), *b3 = big_pod("3", 2000);
        add_event(&a->raw, "MODIFIED", b2); /* past what the informer keeps of its buffers */
        add_event(&a->raw, "MODIFIED", b3);
        slu_buf_puts(&a->raw, "0\r\n\r\n");
        free(b2);
        free(b3);
    } else {
        a->hold_ms = 30000;
    }
}

static json_t *project_labels(const json_t *obj)
{
    return json_pack("{s:O}", "metadata", json_object_get(obj, "metadata"));
}

/* Objects larger than the reused print buffer, in the store as they were projected. */
static void test_informer_large(void **state)
{
    (void)state;
    struct script s = {0};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, server3, &s), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    struct log lg = {.n = 0};
    pthread_mutex_init(&lg.mu, NULL);
    struct kube_informer_handlers h = {h_add, h_update, h_delete, &lg};
    struct kube_informer_opts o = {
        .resource = &KUBE_RES_PODS, .namespace = "ns", .project = project_labels, .compact = true};
    struct kube_informer *inf = kube_informer_new(c, &o, &h);
    kube_informer_add_index(inf, "app", by_app);
    assert_int_equal(kube_informer_start(inf), 0);
    wait_log(&lg, 3);
    assert_string_equal(lg.entries[0], "add big 1");
    assert_string_equal(lg.entries[1], "update big 1->2");
    assert_string_equal(lg.entries[2], "update big 2->3");
    json_t *got = kube_informer_get(inf, "ns/big");
    char *b3 = big_pod("3", 2000);
    json_t *want = json_loads(b3, 0, NULL);
    assert_non_null(want);
    assert_true(slu_json_equal(got, want));
    json_decref(want);
    json_decref(got);
    free(b3);
    kube_informer_stop(inf);
    kube_informer_free(inf);
    kube_client_free(c);
    fake_stop(&f);
    pthread_mutex_destroy(&lg.mu);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_informer_flow, NULL),
        cmocka_unit_test_prestate(test_informer_flow, (void *)1),
        cmocka_unit_test_prestate(test_informer_index_moves, NULL),
        cmocka_unit_test_prestate(test_informer_index_moves, (void *)1),
        cmocka_unit_test_prestate(test_informer_no_old, NULL),
        cmocka_unit_test_prestate(test_informer_no_old, (void *)1),
        cmocka_unit_test(test_informer_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
