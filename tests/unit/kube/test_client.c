/* test_client.c - URL building, Status -> error mapping, and the transport's behaviour against a
 * scripted local HTTP server: auth headers, retries (5xx, 429 + Retry-After), no blind retry of
 * creates, paging, token file rotation, exec credential caching, streaming. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test.h"

#include "fakeapi.h"
#include "kube/client_priv.h"

/* ---------------------------------------------------------------- pure helpers */

static void test_resource_path(void **state)
{
    (void)state;
    char *p = kube_resource_path(&KUBE_RES_PODS, "ns1", "p1", "status");
    assert_string_equal(p, "/api/v1/namespaces/ns1/pods/p1/status");
    free(p);
    p = kube_resource_path(&KUBE_RES_PODS, NULL, NULL, NULL);
    assert_string_equal(p, "/api/v1/pods");
    free(p);
    p = kube_resource_path(&KUBE_RES_NODES, "ignored", "n1", NULL);
    assert_string_equal(p, "/api/v1/nodes/n1");
    free(p);
    p = kube_resource_path(&KUBE_RES_LEASES, "kube-system", "lead", NULL);
    assert_string_equal(p, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lead");
    free(p);
    struct kube_resource sa = {"sparkoperator.k8s.io", "v1beta2", "sparkapplications",
                               "SparkApplication", true};
    p = kube_resource_path(&sa, "a b", "x/y", NULL);
    assert_string_equal(p, "/apis/sparkoperator.k8s.io/v1beta2/namespaces/a%20b/"
                           "sparkapplications/x%2Fy");
    free(p);
}

static void test_query(void **state)
{
    (void)state;
    struct slu_buf b = {0};
    slu_buf_puts(&b, "/api/v1/pods");
    struct kube_list_opts o = {.label_selector = "app in (a,b),!x",
                               .field_selector = "status.phase=Running",
                               .limit = 50,
                               .continue_token = "tok+/=",
                               .resource_version = "12"};
    kube__list_query(&b, &o);
    assert_string_equal(b.data, "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2C%21x"
                                "&fieldSelector=status.phase%3DRunning&limit=50"
                                "&continue=tok%2B%2F%3D&resourceVersion=12");
    slu_buf_release(&b);
    struct kube_watch_opts w = {.resource_version = "7",
                                .allow_bookmarks = true,
                                .timeout_seconds = 30,
                                .label_selector = "a=b"};
    char *wp = kube__watch_path(&KUBE_RES_PODS, "default", &w);
    assert_string_equal(wp, "/api/v1/namespaces/default/pods?watch=1&labelSelector=a%3Db"
                            "&resourceVersion=7&allowWatchBookmarks=true&timeoutSeconds=30");
    free(wp);
}

static void test_status_to_err(void **state)
{
    (void)state;
    struct slu_err err = {0};
    const char *nf = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                     "\"Failure\",\"message\":\"pods \\\"x\\\" not found\",\"reason\":\"NotFound\","
                     "\"details\":{\"name\":\"x\",\"kind\":\"pods\"},\"code\":404}";
    assert_int_equal(kube__status_to_err(404, nf, strlen(nf), NULL, &err), SLU_ENOTFOUND);
    assert_int_equal(err.code, SLU_ENOTFOUND);
    assert_int_equal(err.http_status, 404);
    assert_string_equal(err.reason, "NotFound");
    assert_string_equal(err.msg, "pods \"x\" not found");
    assert_string_equal(err.kind, "pods");
    assert_string_equal(err.name, "x");
    slu_err_release(&err);

    const char *inv = "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"bad\","
                      "\"reason\":\"Invalid\",\"details\":{\"causes\":[{\"reason\":"
                      "\"FieldValueRequired\",\"field\":\"spec.x\",\"message\":\"Required "
                      "value\"},{\"field\":\"metadata.name\",\"message\":\"too long\"}]},"
                      "\"code\":422}";
    assert_int_equal(kube__status_to_err(422, inv, strlen(inv), NULL, &err), SLU_EINVAL);
    assert_int_equal(err.ncauses, 2);
    assert_string_equal(err.causes[0].reason, "FieldValueRequired");
    assert_string_equal(err.causes[0].field, "spec.x");
    assert_string_equal(err.causes[0].message, "Required value");
    assert_null(err.causes[1].reason);
    assert_string_equal(err.causes[1].field, "metadata.name");
    slu_err_release(&err);

    const char *tm = "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"slow "
                     "down\",\"details\":{\"retryAfterSeconds\":3},\"code\":429}";
    assert_int_equal(kube__status_to_err(429, tm, strlen(tm), "1", &err), SLU_ETOOMANY);
    assert_int_equal(err.retry_after, 3);
    slu_err_release(&err);
    assert_int_equal(kube__status_to_err(429, "", 0, " 7\r\n", &err), SLU_ETOOMANY);
    assert_int_equal(err.retry_after, 7);
    slu_err_release(&err);

    const char *conflict = "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409,"
                           "\"message\":\"the object has been modified\"}";
    assert_int_equal(kube__status_to_err(409, conflict, strlen(conflict), NULL, &err),
                     SLU_ECONFLICT);
    slu_err_release(&err);
    const char *exists = "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}";
    assert_int_equal(kube__status_to_err(409, exists, strlen(exists), NULL, &err), SLU_EEXIST);
    assert_true(err.msg[0] != '\0');
    slu_err_release(&err);
    const char *gone = "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}";
    assert_int_equal(kube__status_to_err(410, gone, strlen(gone), NULL, &err), SLU_EGONE);
    slu_err_release(&err);

    /* not a Status: still a clear error with the code */
    const char *html = "<html><body>Bad Gateway</body></html>\nmore";
    assert_int_equal(kube__status_to_err(502, html, strlen(html), NULL, &err), SLU_ESERVER);
    assert_int_equal(err.http_status, 502);
    assert_non_null(strstr(err.msg, "HTTP 502"));
    assert_non_null(strstr(err.msg, "Bad Gateway"));
    assert_null(strstr(err.msg, "more"));
    slu_err_release(&err);
    assert_int_equal(kube__status_to_err(503, NULL, 0, NULL, &err), SLU_ESERVER);
    assert_non_null(strstr(err.msg, "HTTP 503"));
    slu_err_release(&err);
    assert_int_equal(kube__status_to_err(403, "{\"kind\":\"Pod\"}", 14, NULL, &err),
                     SLU_EFORBIDDEN);
    slu_err_release(&err);
}

static void test_backoff(void **state)
{
    (void)state;
    for (int a = 0; a < 20; a++) {
        int64_t d = kube__backoff_ms(a, 100, 10000);
        int64_t full = 100;
        for (int i = 0; i < a && full < 10000; i++)
            full *= 2;
        if (full > 10000)
            full = 10000;
        assert_true(d >= full / 2 && d <= full);
    }
}

/* ---------------------------------------------------------------- against the fake server */

static struct kube_client *client_for(struct fakeapi *f, const char *token)
{
    struct kube_config cfg = {0};
    char *server = slu_asprintf("http://127.0.0.1:%d", f->port);
    cfg.server = server;
    cfg.token = (char *)token;
    cfg.namespace = "ns1";
    cfg.qps = -1; /* unlimited */
    struct slu_err err = {0};
    struct kube_client *c = kube_client_new(&cfg, &err);
    assert_non_null(c);
    free(server);
    return c;
}

static const char *POD = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\","
                         "\"namespace\":\"ns1\",\"labels\":{\"app\":\"x\"},\"resourceVersion\":"
                         "\"5\"}}";

/* script: a list of status codes (0 = drop the connection) answered in order, then 200 POD */
struct script {
    int codes[16];
    int n;
    const char *body_after; /* answer for requests past the script */
    int after_code;
};

static void scripted(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)rq;
    struct script *s = ud;
    if (n < s->n) {
        int code = s->codes[n];
        if (code == 0)
            return; /* drop */
        if (code == 429) {
            fake_reply(a, 429, "Retry-After: 1\r\n",
                       "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429}");
            return;
        }
        char *b = slu_asprintf("{\"kind\":\"Status\",\"reason\":\"%s\",\"message\":\"m%d\","
                               "\"code\":%d}",
                               code == 409   ? "Conflict"
                               : code == 404 ? "NotFound"
                                             : "InternalError",
                               n, code);
        fake_reply(a, code, NULL, b);
        free(b);
        return;
    }
    fake_reply(a, s->after_code ? s->after_code : 200, NULL, s->body_after ? s->body_after : POD);
}

static void test_get_and_auth(void **state)
{
    (void)state;
    struct script s = {.n = 0};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, "tok123");
    assert_string_equal(kube_client_namespace(c), "ns1");
    json_t *obj = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_get(c, &KUBE_RES_PODS, NULL, "p1", &obj, &err), 0);
    assert_string_equal(slu_json_str(obj, "metadata.name"), "p1");
    json_decref(obj);
    assert_int_equal(fake_nreq(&f), 1);
    assert_string_equal(f.last[0].method, "GET");
    assert_string_equal(f.last[0].path, "/api/v1/namespaces/ns1/pods/p1");
    assert_non_null(strcasestr(f.last[0].headers, "Authorization: Bearer tok123"));
    assert_non_null(strcasestr(f.last[0].headers, "Accept: application/json"));
    kube_client_free(c);
    fake_stop(&f);
}

static void test_retries_on_5xx(void **state)
{
    (void)state;
    struct script s = {.codes = {500, 0, 503}, .n = 3};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *obj = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_get(c, &KUBE_RES_PODS, "ns1", "p1", &obj, &err), 0);
    assert_non_null(obj);
    json_decref(obj);
    assert_int_equal(fake_nreq(&f), 4);
    assert_null(strcasestr(f.last[0].headers, "Authorization"));
    kube_client_free(c);
    fake_stop(&f);
}

static void test_no_retry_on_conflict_and_404(void **state)
{
    (void)state;
    struct script s = {.codes = {409, 404}, .n = 2};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *pod = json_loads(POD, 0, NULL), *out = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_update(c, &KUBE_RES_PODS, NULL, pod, &out, &err), SLU_ECONFLICT);
    assert_null(out);
    assert_string_equal(err.reason, "Conflict");
    assert_int_equal(err.http_status, 409);
    assert_int_equal(fake_nreq(&f), 1);
    assert_string_equal(f.last[0].method, "PUT");
    assert_non_null(strstr(f.last[0].body.data, "\"resourceVersion\":\"5\""));
    assert_int_equal(kube_get(c, &KUBE_RES_PODS, NULL, "p1", &out, &err), SLU_ENOTFOUND);
    assert_int_equal(fake_nreq(&f), 2);
    slu_err_release(&err);
    json_decref(pod);
    kube_client_free(c);
    fake_stop(&f);
}

static void test_429_retry_after(void **state)
{
    (void)state;
    struct script s = {.codes = {429}, .n = 1};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *pod = json_loads(POD, 0, NULL), *out = NULL;
    struct slu_err err = {0};
    int64_t t0 = slu_now_mono_ns();
    /* 429 on create is safe to retry: the server did nothing */
    assert_int_equal(kube_create(c, &KUBE_RES_PODS, NULL, pod, &out, &err), 0);
    int64_t waited_ms = (slu_now_mono_ns() - t0) / 1000000;
    assert_int_equal(fake_nreq(&f), 2);
    assert_string_equal(f.last[0].method, "POST");
    assert_string_equal(f.last[1].method, "POST");
    assert_string_equal(f.last[1].path, "/api/v1/namespaces/ns1/pods");
    /* Retry-After: 1 was honoured (a lower bound, not a timing assertion on speed) */
    assert_true(waited_ms >= 1000);
    json_decref(out);
    json_decref(pod);
    kube_client_free(c);
    fake_stop(&f);
}

/* create: the POST's answer is lost; the object exists with our labels -> success, one POST */
static void test_create_unknown_outcome_ours(void **state)
{
    (void)state;
    struct script s = {.codes = {0}, .n = 1};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *pod = json_loads(POD, 0, NULL), *out = NULL;
    json_object_del(json_object_get(pod, "metadata"), "resourceVersion");
    struct slu_err err = {0};
    assert_int_equal(kube_create(c, &KUBE_RES_PODS, NULL, pod, &out, &err), 0);
    assert_non_null(out);
    assert_int_equal(fake_nreq(&f), 2);
    assert_string_equal(f.last[0].method, "POST");
    assert_string_equal(f.last[1].method, "GET");
    assert_string_equal(f.last[1].path, "/api/v1/namespaces/ns1/pods/p1");
    json_decref(out);
    json_decref(pod);
    kube_client_free(c);
    fake_stop(&f);
}

/* create: 500, and the object that exists has other labels -> AlreadyExists */
static void test_create_unknown_outcome_theirs(void **state)
{
    (void)state;
    struct script s = {.codes = {500}, .n = 1};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *pod = json_loads(POD, 0, NULL), *out = NULL;
    json_object_set_new(slu_json_path(pod, "metadata.labels"), "app", json_string("mine"));
    struct slu_err err = {0};
    assert_int_equal(kube_create(c, &KUBE_RES_PODS, NULL, pod, &out, &err), SLU_EEXIST);
    assert_null(out);
    assert_string_equal(err.reason, "AlreadyExists");
    assert_int_equal(fake_nreq(&f), 2);
    slu_err_release(&err);
    json_decref(pod);
    kube_client_free(c);
    fake_stop(&f);
}

/* create: answer lost, GET says 404 -> the create is sent again */
static void test_create_unknown_outcome_absent(void **state)
{
    (void)state;
    struct script s = {.codes = {0, 404}, .n = 2, .after_code = 201};
    struct fakeapi f;
    assert_int_equal(fake_start(&f, scripted, &s), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *pod = json_loads(POD, 0, NULL), *out = NULL;
    struct slu_err err = {0};
    assert_int_equal(kube_create(c, &KUBE_RES_PODS, NULL, pod, &out, &err), 0);
    assert_int_equal(fake_nreq(&f), 3);
    assert_string_equal(f.last[2].method, "POST");
    json_decref(out);
    json_decref(pod);
    kube_client_free(c);
    fake_stop(&f);
}

static void paged(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)ud;
    (void)rq;
    if (n == 0)
        fake_reply(a, 200, NULL,
                   "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"100\",\"continue\":"
                   "\"c/1\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":"
                   "\"b\"}}]}");
    else
        fake_reply(a, 200, NULL,
                   "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"101\"},\"items\":"
                   "[{\"metadata\":{\"name\":\"c\"}}]}");
}

static void test_list_all_paging(void **state)
{
    (void)state;
    struct fakeapi f;
    assert_int_equal(fake_start(&f, paged, NULL), 0);
    struct kube_client *c = client_for(&f, NULL);
    json_t *out = NULL;
    struct slu_err err = {0};
    struct kube_list_opts o = {.limit = 2, .label_selector = "app=x"};
    assert_int_equal(kube_list_all(c, &KUBE_RES_PODS, NULL, &o, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 3);
    assert_string_equal(slu_json_str(out, "metadata.resourceVersion"), "100");
    assert_null(slu_json_str(out, "metadata.continue"));
    assert_string_equal(slu_json_str(out, "items[2].metadata.name"), "c");
    assert_int_equal(fake_nreq(&f), 2);
    assert_string_equal(f.last[0].path, "/api/v1/pods?labelSelector=app%3Dx&limit=2");
    assert_string_equal(f.last[1].path,
                        "/api/v1/pods?labelSelector=app%3Dx&limit=2&continue=c%2F1");
    json_decref(out);
    kube_client_free(c);
    fake_stop(&f);
}

static void echo_auth(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)ud;
    (void)n;
    const char *h = strcasestr(rq->headers, "Authorization: ");
    char tok[128] = "";
    if (h) {
        size_t l = strcspn(h + 15, "\r\n");
        snprintf(tok, sizeof(tok), "%.*s", (int)SLU_MIN(l, 100), h + 15);
    }
    char *b = slu_asprintf("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"}}", tok);
    fake_reply(a, 200, NULL, b);
    free(b);
}

static char *got_auth(struct kube_client *c)
{
    json_t *o = NULL;
    assert_int_equal(kube_get(c, &KUBE_RES_PODS, NULL, "x", &o, NULL), 0);
    char *s = slu_strdup(slu_json_str(o, "metadata.name"));
    json_decref(o);
    return s;
}

static void test_token_file_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/slu-tokXXXXXX";
    assert_non_null(mkdtemp(dir));
    char *tf = slu_asprintf("%s/token", dir);
    assert_int_equal(slu_write_file(tf, "first\n", 6, 0600, NULL), 0);
    struct fakeapi f;
    assert_int_equal(fake_start(&f, echo_auth, NULL), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.token = "stale";
    cfg.token_file = tf;
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    char *a = got_auth(c);
    assert_string_equal(a, "Bearer first");
    free(a);
    assert_int_equal(slu_write_file(tf, "second-token\n", 13, 0600, NULL), 0); /* rename */
    a = got_auth(c);
    assert_string_equal(a, "Bearer second-token");
    free(a);
    kube_client_free(c);

    /* basic auth */
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.token = NULL;
    cfg.token_file = NULL;
    cfg.username = "bob";
    cfg.password = "pw";
    c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    a = got_auth(c);
    assert_string_equal(a, "Basic Ym9iOnB3");
    free(a);
    kube_client_free(c);
    fake_stop(&f);
    unlink(tf);
    rmdir(dir);
    free(tf);
}

static void test_exec_credentials_cached(void **state)
{
    (void)state;
    char dir[] = "/tmp/slu-execXXXXXX";
    assert_non_null(mkdtemp(dir));
    char *script = slu_asprintf("%s/plugin.sh", dir);
    char *count = slu_asprintf("%s/count", dir);
    const char *body = "#!/bin/sh\necho run >> \"$COUNT\"\n"
                       "n=$(wc -l < \"$COUNT\")\n"
                       "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                       "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t%s\","
                       "\"expirationTimestamp\":\"%s\"}}' $n \"$EXP\"\n";
    assert_int_equal(slu_write_file(script, body, strlen(body), 0700, NULL), 0);
    struct fakeapi f;
    assert_int_equal(fake_start(&f, echo_auth, NULL), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", f.port);
    cfg.qps = -1;
    cfg.exec_command = script;
    cfg.exec_api_version = "client.authentication.k8s.io/v1beta1";
    char *env[] = {slu_asprintf("COUNT=%s", count), "EXP=2200-01-01T00:00:00Z", NULL};
    cfg.exec_env = env;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    char *a = got_auth(c);
    assert_string_equal(a, "Bearer t1");
    free(a);
    a = got_auth(c);
    assert_string_equal(a, "Bearer t1"); /* cached: not expired */
    free(a);
    kube_client_free(c);
    /* an expired credential is fetched again for each request */
    env[1] = "EXP=2000-01-01T00:00:00Z";
    c = kube_client_new(&cfg, NULL);
    a = got_auth(c);
    assert_string_equal(a, "Bearer t2");
    free(a);
    a = got_auth(c);
    assert_string_equal(a, "Bearer t3");
    free(a);
    kube_client_free(c);
    fake_stop(&f);
    free(cfg.server);
    free(env[0]);
    unlink(script);
    unlink(count);
    rmdir(dir);
    free(script);
    free(count);
}

static void chunked_logs(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)ud;
    (void)n;
    (void)rq;
    slu_buf_puts(&a->raw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: "
                          "chunked\r\nConnection: close\r\n\r\n"
                          "6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\n");
}

static bool collect(void *ud, const char *data, size_t n)
{
    slu_buf_append(ud, data, n);
    return true;
}

static void test_request_stream_and_raw(void **state)
{
    (void)state;
    struct fakeapi f;
    assert_int_equal(fake_start(&f, chunked_logs, NULL), 0);
    struct kube_client *c = client_for(&f, NULL);
    struct slu_buf b = {0};
    struct slu_err err = {0};
    assert_int_equal(kube_request_stream(c, "/api/v1/namespaces/ns1/pods/p/log?follow=true",
                                         collect, &b, NULL, &err),
                     0);
    assert_string_equal(b.data, "line1\nline2\n");
    slu_buf_reset(&b);
    int status = 0;
    assert_int_equal(kube_request(c, "GET", "/version", NULL, NULL, 0, &status, &b, &err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(b.data, "line1\nline2\n");
    assert_int_equal(kube_request(c, "GET", "no-slash", NULL, NULL, 0, NULL, NULL, &err),
                     SLU_EINVAL);
    slu_err_release(&err);
    slu_buf_release(&b);
    kube_client_free(c);
    fake_stop(&f);
}

static void test_transport_error_message(void **state)
{
    (void)state;
    /* a port nobody listens on: connection refused, retried, then SLU_EIO with curl's text */
    struct fakeapi f;
    assert_int_equal(fake_start(&f, chunked_logs, NULL), 0);
    int port = f.port;
    fake_stop(&f);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", port);
    cfg.qps = -1;
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    struct slu_err err = {0};
    json_t *o = NULL;
    /* a create is not retried blindly and has no name to check: one attempt, fast */
    json_t *obj = json_pack("{s:{s:s}}", "metadata", "generateName", "x-");
    assert_int_equal(kube_create(c, &KUBE_RES_CONFIGMAPS, "ns1", obj, &o, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "POST /api/v1/namespaces/ns1/configmaps"));
    json_decref(obj);
    slu_err_release(&err);
    kube_client_free(c);

    cfg.server = "not a url";
    assert_null(kube_client_new(&cfg, &err));
    assert_int_equal(err.code, SLU_EINVAL);
    slu_err_release(&err);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_path),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_status_to_err),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_get_and_auth),
        cmocka_unit_test(test_retries_on_5xx),
        cmocka_unit_test(test_no_retry_on_conflict_and_404),
        cmocka_unit_test(test_429_retry_after),
        cmocka_unit_test(test_create_unknown_outcome_ours),
        cmocka_unit_test(test_create_unknown_outcome_theirs),
        cmocka_unit_test(test_create_unknown_outcome_absent),
        cmocka_unit_test(test_list_all_paging),
        cmocka_unit_test(test_token_file_rotation),
        cmocka_unit_test(test_exec_credentials_cached),
        cmocka_unit_test(test_request_stream_and_raw),
        cmocka_unit_test(test_transport_error_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
