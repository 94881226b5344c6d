/* test_informer.c - the informer against a scripted local server: paged list, watch from the
 * list's resourceVersion, resume after a closed stream from the last seen version (a bookmark's),
 * relist on 410 with the diff delivered to the handlers, projection, indexes, wait_synced. */
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

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_informer_flow, NULL),
        cmocka_unit_test_prestate(test_informer_flow, (void *)1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
