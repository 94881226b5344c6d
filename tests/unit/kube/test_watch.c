/* test_watch.c - watch line splitting and event parsing, and kube_watch against a scripted local
 * server: events in order, ERROR 410 -> SLU_EGONE, a callback that stops, the stop flag. */
#include <signal.h>
#include <stdlib.h>

#include "test.h"

#include "fakeapi.h"
#include "kube/client_priv.h"

struct lines_seen {
    char lines[16][64];
    int n;
    int stop_after; /* 0: never */
};

static bool on_line(void *ud, const char *line, size_t len)
{
    struct lines_seen *s = ud;
    if (s->n < 16)
        snprintf(s->lines[s->n], 64, "%.*s", (int)len, line);
    s->n++;
    return !(s->stop_after && s->n >= s->stop_after);
}

static void test_lines(void **state)
{
    (void)state;
    struct kube__lines l = {.max_line = 32};
    struct lines_seen s = {0};
    const char *chunks[] = {"ab", "c\nde", "f\r\n\n   \n", "g", "hi\n", "tail-without-newline"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(chunks); i++)
        assert_int_equal(kube__lines_feed(&l, chunks[i], strlen(chunks[i]), on_line, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.lines[0], "abc");
    assert_string_equal(s.lines[1], "def");
    assert_string_equal(s.lines[2], "ghi");
    /* the unterminated tail is not delivered; a line over the cap is refused */
    char big[40];
    memset(big, 'x', sizeof(big));
    assert_int_equal(kube__lines_feed(&l, big, sizeof(big), on_line, &s), SLU_ETOOBIG);
    kube__lines_release(&l);

    struct kube__lines l2 = {.max_line = 32};
    struct lines_seen s2 = {.stop_after = 2};
    assert_int_equal(kube__lines_feed(&l2, "1\n2\n3\n", 6, on_line, &s2), SLU_ECANCELED);
    assert_int_equal(s2.n, 2);
    kube__lines_release(&l2);
}

static void test_parse_event(void **state)
{
    (void)state;
    char type[16];
    json_t *obj = NULL;
    struct slu_err err = {0};
    const char *ok = "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}";
    assert_int_equal(kube__watch_parse_event(ok, strlen(ok), type, &obj, &err), 0);
    assert_string_equal(type, "MODIFIED");
    assert_string_equal(slu_json_str(obj, "metadata.name"), "a");
    json_decref(obj);
    const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"{\"type\":\"ADDED\",", "not JSON"},
        {"{\"object\":{}}", "no type"},
        {"{\"type\":\"EXPLODED\",\"object\":{}}", "unknown type"},
        {"{\"type\":\"ADDED\"}", "no object"},
        {"{\"type\":\"ADDED\",\"object\":[1]}", "no object"},
        {"[1,2]", "no type"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        assert_true(kube__watch_parse_event(bad[i].line, strlen(bad[i].line), type, &obj, &err) <
                    0);
        assert_null(obj);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, bad[i].msg);
        slu_err_release(&err);
    }
}

/* ---------------------------------------------------------------- kube_watch */

struct stream {
    const char *lines[8]; /* sent as chunks, one a line */
    int hold_ms;
};

static void streamer(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    (void)rq;
    struct stream *s = ud;
    slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 8 && s->lines[i]; i++)
        slu_buf_printf(&a->raw, "%zx\r\n%s\n\r\n", strlen(s->lines[i]) + 1, s->lines[i]);
    if (!s->hold_ms)
        slu_buf_puts(&a->raw, "0\r\n\r\n");
    a->hold_ms = s->hold_ms;
}

struct seen {
    char types[16][16];
    char names[16][32];
    int n;
    int stop_at; /* return false at this event (1-based); 0: never */
    atomic_bool *set_stop;
};

static bool on_event(void *ud, const char *type, json_t *obj)
{
    struct seen *s = ud;
    if (s->n < 16) {
        slu_strlcpy(s->types[s->n], type, 16);
        const char *nm = slu_json_str(obj, "metadata.name");
        slu_strlcpy(s->names[s->n], nm ? nm : "", 32);
    }
    s->n++;
    if (s->set_stop)
        atomic_store(s->set_stop, true);
    return !(s->stop_at && s->n >= s->stop_at);
}

static struct kube_client *client_for(struct fakeapi *f)
{
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f->port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    assert_non_null(c);
    return c;
}

static void test_watch_events(void **state)
{
    (void)state;
    struct stream st = {.lines = {
                            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\","
                            "\"resourceVersion\":\"11\"}}}",
                            "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\","
                            "\"resourceVersion\":\"12\"}}}",
                            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{"
                            "\"resourceVersion\":\"15\"}}}",
                            "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\","
                            "\"resourceVersion\":\"16\"}}}",
                        }};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, streamer, &st), 0);
    struct kube_client *c = client_for(&f);
    struct seen s = {0};
    struct slu_err err = {0};
    struct kube_watch_opts o = {
        .resource_version = "10", .allow_bookmarks = true, .timeout_seconds = 5};
    assert_int_equal(kube_watch(c, &KUBE_RES_PODS, "ns1", &o, on_event, &s, NULL, &err), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.types[0], "ADDED");
    assert_string_equal(s.types[1], "MODIFIED");
    assert_string_equal(s.types[2], "BOOKMARK");
    assert_string_equal(s.types[3], "DELETED");
    assert_string_equal(s.names[3], "a");
    assert_string_equal(f.last[0].path, "/api/v1/namespaces/ns1/pods?watch=1&resourceVersion=10"
                                        "&allowWatchBookmarks=true&timeoutSeconds=5");
    /* a callback that returns false ends the watch with 0 */
    struct seen s2 = {.stop_at = 2};
    assert_int_equal(kube_watch(c, &KUBE_RES_PODS, "ns1", &o, on_event, &s2, NULL, &err), 0);
    assert_int_equal(s2.n, 2);
    kube_client_free(c);
    fake_stop(&f);
}

static void test_watch_gone(void **state)
{
    (void)state;
    struct stream st = {.lines = {
                            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
                            "\"v1\",\"status\":\"Failure\",\"message\":\"too old resource "
                            "version: 1 (50)\",\"reason\":\"Expired\",\"code\":410}}",
                            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"never\"}}}",
                        }};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, streamer, &st), 0);
    struct kube_client *c = client_for(&f);
    struct seen s = {0};
    struct slu_err err = {0};
    struct kube_watch_opts o = {.resource_version = "1"};
    assert_int_equal(kube_watch(c, &KUBE_RES_PODS, NULL, &o, on_event, &s, NULL, &err), SLU_EGONE);
    assert_int_equal(s.n, 1); /* the ERROR went to the callback; nothing after it */
    assert_string_equal(s.types[0], "ERROR");
    assert_string_equal(err.reason, "Expired");
    assert_int_equal(err.http_status, 410);
    assert_non_null(strstr(err.msg, "too old resource version"));
    slu_err_release(&err);
    kube_client_free(c);
    fake_stop(&f);
}

static void test_watch_bad_line(void **state)
{
    (void)state;
    struct stream st = {.lines = {"{\"type\":\"ADDED\",\"object\":{}}", "garbage{"}};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, streamer, &st), 0);
    struct kube_client *c = client_for(&f);
    struct seen s = {0};
    struct slu_err err = {0};
    assert_int_equal(kube_watch(c, &KUBE_RES_PODS, NULL, NULL, on_event, &s, NULL, &err),
                     SLU_EPARSE);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(err.msg, "watch event is not JSON"));
    slu_err_release(&err);
    kube_client_free(c);
    fake_stop(&f);
}

struct stopper {
    atomic_bool *stop;
};

static void *stop_later(void *arg)
{
    struct stopper *s = arg;
    slu_sleep_ms(200);
    atomic_store(s->stop, true);
    return NULL;
}

static void test_watch_stop_flag(void **state)
{
    (void)state;
    /* the server sends one event and then keeps the stream open for a long time */
    struct stream st = {
        .lines = {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}"},
        .hold_ms = 60000};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, streamer, &st), 0);
    struct kube_client *c = client_for(&f);
    atomic_bool stop;
    atomic_init(&stop, false);
    struct stopper sp = {&stop};
    pthread_t th;
    pthread_create(&th, NULL, stop_later, &sp);
    struct seen s = {0};
    struct slu_err err = {0};
    assert_int_equal(kube_watch(c, &KUBE_RES_PODS, NULL, NULL, on_event, &s, &stop, &err),
                     SLU_ECANCELED);
    assert_int_equal(s.n, 1);
    pthread_join(th, NULL);
    slu_err_release(&err);
    kube_client_free(c);
    fake_stop(&f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),          cmocka_unit_test(test_parse_event),
        cmocka_unit_test(test_watch_events),   cmocka_unit_test(test_watch_gone),
        cmocka_unit_test(test_watch_bad_line), cmocka_unit_test(test_watch_stop_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
