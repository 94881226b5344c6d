/* test_sim_api.c - starts the real `sluice sim` ($SLUICE) on 127.0.0.1:0 and speaks HTTP to it
 * with libcurl (src/sim/apiserver.c routing and handlers.c verbs): discovery, CRUD with Status
 * errors, conflicts, patches, watch streams, paging, body limits, namespace lifecycle, CRDs,
 * Tables, and TLS. */
#include "test.h"

#include <curl/curl.h>

#include "base/base.h"
#include "json/json.h"
#include "sim_harness.h"

struct server {
    struct sim_harness sim;
    char url[128];
    char *ca_pem;
};

static struct server plain;

/* Starts a sim (TLS or not) and reads its URL and CA from the kubeconfig it wrote. */
static int start_server(struct server *s, bool tls)
{
    const char *extra[] = {"--time-scale", "20", tls ? "--tls" : NULL, NULL};
    if (sim_harness_start(&s->sim, "simapi", extra) < 0)
        return -1;
    json_t *docs = NULL;
    if (slu_yaml_load_file(s->sim.kcfg, NULL, &docs, NULL) < 0)
        return -1;
    json_t *cfg = json_array_get(docs, 0);
    const char *server = slu_json_str(cfg, "clusters[0].cluster.server");
    const char *ca = slu_json_str(cfg, "clusters[0].cluster.certificate-authority-data");
    if (server) {
        slu_strlcpy(s->url, server, sizeof s->url);
        if (ca) {
            size_t n = 0;
            unsigned char *pem = slu_base64_decode(ca, &n);
            s->ca_pem = slu_strndup((const char *)pem, n);
            free(pem);
        }
    }
    json_decref(docs);
    return server ? 0 : -1;
}

static void stop_server(struct server *s)
{
    sim_harness_stop(&s->sim);
    free(s->ca_pem);
    s->ca_pem = NULL;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    slu_buf_append(ud, p, sz * n);
    return sz * n;
}

struct hresp {
    long code;
    struct slu_buf body;
    struct slu_buf headers;
    json_t *json;
};

static void hresp_release(struct hresp *r)
{
    slu_buf_release(&r->body);
    slu_buf_release(&r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static void req_on(const struct server *s, const char *method, const char *path, const char *ctype,
                   const char *accept, const char *body, size_t body_len, struct hresp *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    char url[2048];
    snprintf(url, sizeof url, "%s%s", s->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (s->ca_pem) {
        struct curl_blob blob = {
            .data = s->ca_pem, .len = strlen(s->ca_pem), .flags = CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    struct curl_slist *h = NULL;
    char hb[256];
    if (ctype) {
        snprintf(hb, sizeof hb, "Content-Type: %s", ctype);
        h = curl_slist_append(h, hb);
    }
    if (accept) {
        snprintf(hb, sizeof hb, "Accept: %s", accept);
        h = curl_slist_append(h, hb);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    if (r->body.len)
        r->json = json_loadb(r->body.data, r->body.len, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void req(const char *method, const char *path, const char *ctype, const char *body,
                struct hresp *r)
{
    req_on(&plain, method, path, ctype, NULL, body, body ? strlen(body) : 0, r);
}

static void expect_status(struct hresp *r, long code, const char *reason)
{
    if (r->code != code)
        fail_msg("want %ld, got %ld: %s", code, r->code, r->body.data ? r->body.data : "");
    if (reason) {
        assert_non_null(r->json);
        assert_string_equal(slu_json_str(r->json, "kind"), "Status");
        assert_string_equal(slu_json_str(r->json, "apiVersion"), "v1");
        assert_string_equal(slu_json_str(r->json, "status"), "Failure");
        assert_string_equal(slu_json_str(r->json, "reason"), reason);
        assert_int_equal(slu_json_int(r->json, "code", 0), code);
    }
}

static int group_setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    return start_server(&plain, false);
}

static int group_teardown(void **state)
{
    stop_server(&plain);
    curl_global_cleanup();
    return 0;
}

static void test_discovery(void **state)
{
    struct hresp r;
    req("GET", "/healthz", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.data, "ok");
    hresp_release(&r);
    req("GET", "/version", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "major"), "1");
    hresp_release(&r);
    req("GET", "/api", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "versions[0]"), "v1");
    hresp_release(&r);
    req("GET", "/api/v1", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "kind"), "APIResourceList");
    bool pods = false, status = false, log = false;
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(r.json, "resources"), i, res)
    {
        const char *n = slu_json_str(res, "name");
        if (!strcmp(n, "pods")) {
            pods = true;
            assert_string_equal(slu_json_str(res, "shortNames[0]"), "po");
            assert_true(slu_json_bool(res, "namespaced", false));
        }
        status |= !strcmp(n, "pods/status");
        log |= !strcmp(n, "pods/log");
    }
    assert_true(pods && status && log);
    hresp_release(&r);
    req("GET", "/apis", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "kind"), "APIGroupList");
    assert_true(strstr(r.body.data, "coordination.k8s.io") != NULL);
    hresp_release(&r);
    req("GET", "/apis/policy/v1", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "resources[0].name"), "poddisruptionbudgets");
    hresp_release(&r);
    req("GET", "/api/v1/nonsense", NULL, NULL, &r);
    expect_status(&r, 404, "NotFound");
    hresp_release(&r);
}

static void test_crud_and_errors(void **state)
{
    struct hresp r;
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c1\","
                     "\"labels\":{\"app\":\"x\"}},\"data\":{\"a\":\"1\"}}";
    req("POST", "/api/v1/namespaces/default/configmaps", "application/json", cm, &r);
    expect_status(&r, 201, NULL);
    char *rv = slu_strdup(slu_json_str(r.json, "metadata.resourceVersion"));
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/default/configmaps", "application/json", cm, &r);
    expect_status(&r, 409, "AlreadyExists");
    assert_string_equal(slu_json_str(r.json, "details.name"), "c1");
    assert_string_equal(slu_json_str(r.json, "details.kind"), "configmaps");
    hresp_release(&r);
    req("GET", "/api/v1/namespaces/default/configmaps/c1", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "data.a"), "1");
    hresp_release(&r);
    req("GET", "/api/v1/namespaces/default/configmaps/nope", NULL, NULL, &r);
    expect_status(&r, 404, "NotFound");
    assert_string_equal(slu_json_str(r.json, "message"), "configmaps \"nope\" not found");
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/ghost/configmaps", "application/json", cm, &r);
    expect_status(&r, 404, "NotFound");
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/default/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"UPPER\"}}", &r);
    expect_status(&r, 422, "Invalid");
    assert_string_equal(slu_json_str(r.json, "details.causes[0].field"), "metadata.name");
    hresp_release(&r);
    /* unknown field, Strict */
    req("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "application/json",
        "{\"metadata\":{\"name\":\"c2\"},\"spec\":{\"x\":1}}", &r);
    expect_status(&r, 400, "BadRequest");
    assert_string_equal(slu_json_str(r.json, "message"),
                        "strict decoding error: unknown field \"spec\"");
    hresp_release(&r);
    /* Warn (the default): accepted with a Warning header */
    req("POST", "/api/v1/namespaces/default/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"c2\"},\"spec\":{\"x\":1}}", &r);
    assert_int_equal(r.code, 201);
    assert_non_null(strstr(r.headers.data, "Warning: 299 - \"unknown field \\\"spec\\\"\""));
    hresp_release(&r);
    /* update with a stale resourceVersion */
    char body[512];
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"c1\",\"resourceVersion\":\"%s\"},\"data\":{\"a\":\"2\"}}",
             rv);
    req("PUT", "/api/v1/namespaces/default/configmaps/c1", "application/json", body, &r);
    assert_int_equal(r.code, 200);
    hresp_release(&r);
    req("PUT", "/api/v1/namespaces/default/configmaps/c1", "application/json", body, &r);
    expect_status(&r, 409, "Conflict");
    assert_non_null(strstr(slu_json_str(r.json, "message"), "the object has been modified"));
    hresp_release(&r);
    free(rv);
    /* list with a field selector; an unsupported field label */
    req("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc1", NULL, NULL,
        &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    hresp_release(&r);
    req("GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx", NULL, NULL, &r);
    expect_status(&r, 400, "BadRequest");
    assert_non_null(strstr(slu_json_str(r.json, "message"), "field label not supported"));
    hresp_release(&r);
    /* Table */
    req_on(&plain, "GET", "/api/v1/namespaces/default/configmaps", NULL,
           "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", NULL, 0, &r);
    assert_string_equal(slu_json_str(r.json, "kind"), "Table");
    assert_non_null(slu_json_path(r.json, "columnDefinitions"));
    hresp_release(&r);
    /* delete */
    req("DELETE", "/api/v1/namespaces/default/configmaps/c2", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    hresp_release(&r);
    req("GET", "/api/v1/namespaces/default/configmaps/c2", NULL, NULL, &r);
    expect_status(&r, 404, "NotFound");
    hresp_release(&r);
}

static void test_patches(void **state)
{
    struct hresp r;
    req("POST", "/api/v1/namespaces/default/pods", "application/json",
        "{\"metadata\":{\"name\":\"pp\"},\"spec\":{\"schedulingGates\":[{\"name\":\"hold\"}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"i:1\",\"env\":[{\"name\":\"X\",\"value\":"
        "\"1\"}]}]}}",
        &r);
    expect_status(&r, 201, NULL);
    assert_string_equal(slu_json_str(r.json, "status.phase"), "Pending");
    hresp_release(&r);
    const char *p = "/api/v1/namespaces/default/pods/pp";
    req("PATCH", p, "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"m\":\"1\"}}}",
        &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "metadata.labels.m"), "1");
    hresp_release(&r);
    req("PATCH", p, "application/strategic-merge-patch+json",
        "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i:2\"}]}}", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "spec.containers[0].image"), "i:2");
    assert_string_equal(slu_json_str(r.json, "spec.containers[0].env[0].name"), "X");
    hresp_release(&r);
    req("PATCH", p, "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/metadata/labels/m\",\"value\":\"1\"},"
        "{\"op\":\"add\",\"path\":\"/metadata/labels/j\",\"value\":\"2\"}]",
        &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "metadata.labels.j"), "2");
    hresp_release(&r);
    req("PATCH", p, "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/metadata/labels/m\",\"value\":\"nope\"}]", &r);
    expect_status(&r, 422, "Invalid");
    hresp_release(&r);
    req("PATCH", p, "text/plain", "x", &r);
    expect_status(&r, 415, "UnsupportedMediaType");
    hresp_release(&r);
    /* scheduling gates may be removed, not added */
    req("PATCH", p, "application/merge-patch+json",
        "{\"spec\":{\"schedulingGates\":[{\"name\":\"hold\"},{\"name\":\"more\"}]}}", &r);
    expect_status(&r, 422, "Invalid");
    hresp_release(&r);
    req("PATCH", p, "application/merge-patch+json", "{\"spec\":{\"schedulingGates\":null}}", &r);
    assert_int_equal(r.code, 200);
    hresp_release(&r);
    /* server-side apply creates, then merges */
    const char *ap = "/api/v1/namespaces/default/configmaps/applied?fieldManager=t";
    req("PATCH", ap, "application/apply-patch+yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n", &r);
    assert_int_equal(r.code, 201);
    hresp_release(&r);
    req("PATCH", ap, "application/apply-patch+yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  b: '2'\n", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "data.b"), "2");
    hresp_release(&r);
    /* status subresource */
    req("PATCH", "/api/v1/namespaces/default/pods/pp/status", "application/merge-patch+json",
        "{\"status\":{\"phase\":\"Running\"},\"spec\":{\"nodeName\":\"ignored\"}}", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "status.phase"), "Running");
    assert_false(slu_streq(slu_json_str(r.json, "spec.nodeName"), "ignored"));
    hresp_release(&r);
}

/* Reads a watch until the server ends it (timeoutSeconds); returns the event lines. */
static char **watch_lines(const char *path, size_t *n)
{
    struct hresp r;
    req("GET", path, NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    char **lines = slu_str_split(r.body.data ? r.body.data : "", '\n', false, n);
    hresp_release(&r);
    return lines;
}

static void test_watch(void **state)
{
    struct hresp r;
    req("GET", "/api/v1/namespaces/default/configmaps", NULL, NULL, &r);
    char *rv = slu_strdup(slu_json_str(r.json, "metadata.resourceVersion"));
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/default/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"w1\",\"labels\":{\"sel\":\"yes\"}}}", &r);
    hresp_release(&r);
    req("PATCH", "/api/v1/namespaces/default/configmaps/w1", "application/merge-patch+json",
        "{\"metadata\":{\"labels\":{\"sel\":\"no\"}}}", &r);
    hresp_release(&r);
    char path[512];
    /* from rv: ADDED then (selector transition) DELETED */
    snprintf(path, sizeof path,
             "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=%s&"
             "labelSelector=sel%%3Dyes&timeoutSeconds=1",
             rv);
    size_t n = 0;
    char **lines = watch_lines(path, &n);
    json_t *e0 = json_loads(lines[0], 0, NULL), *e1 = json_loads(lines[1], 0, NULL);
    assert_string_equal(slu_json_str(e0, "type"), "ADDED");
    assert_string_equal(slu_json_str(e1, "type"), "DELETED");
    assert_string_equal(slu_json_str(e1, "object.metadata.name"), "w1");
    json_decref(e0);
    json_decref(e1);
    slu_strv_free(lines);
    /* rv unset: ADDED for current objects; bookmarks when asked */
    lines = watch_lines("/api/v1/namespaces/default/configmaps?watch=1&fieldSelector="
                        "metadata.name%3Dw1&allowWatchBookmarks=true&timeoutSeconds=2",
                        &n);
    bool added = false, bookmark = false;
    for (size_t i = 0; lines[i]; i++) {
        json_t *ev = json_loads(lines[i], 0, NULL);
        if (!ev)
            continue;
        if (slu_streq(slu_json_str(ev, "type"), "ADDED"))
            added = true;
        if (slu_streq(slu_json_str(ev, "type"), "BOOKMARK")) {
            bookmark = true;
            assert_string_equal(slu_json_str(ev, "object.kind"), "ConfigMap");
            assert_non_null(slu_json_str(ev, "object.metadata.resourceVersion"));
        }
        json_decref(ev);
    }
    assert_true(added);
    assert_true(bookmark);
    slu_strv_free(lines);
    free(rv);
}

static void test_paging(void **state)
{
    struct hresp r;
    req("POST", "/api/v1/namespaces", "application/json", "{\"metadata\":{\"name\":\"paging\"}}",
        &r);
    assert_int_equal(r.code, 201);
    hresp_release(&r);
    for (int i = 0; i < 5; i++) {
        char b[128];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"p%d\",\"labels\":{\"g\":\"1\"}}}", i);
        req("POST", "/api/v1/namespaces/paging/configmaps", "application/json", b, &r);
        hresp_release(&r);
    }
    req("GET", "/api/v1/namespaces/paging/configmaps?limit=2", NULL, NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    char *tok = slu_strdup(slu_json_str(r.json, "metadata.continue"));
    hresp_release(&r);
    char path[512];
    snprintf(path, sizeof path, "/api/v1/namespaces/paging/configmaps?limit=2&continue=%s", tok);
    req("GET", path, NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "items[0].metadata.name"), "p2");
    hresp_release(&r);
    free(tok);
    req("GET", "/api/v1/namespaces/paging/configmaps?continue=sim1.99999.1", NULL, NULL, &r);
    expect_status(&r, 410, "Expired");
    hresp_release(&r);
    /* deletecollection by label */
    req("DELETE", "/api/v1/namespaces/paging/configmaps?labelSelector=g%3D1", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 5);
    hresp_release(&r);
}

static void test_limits_and_forbidden(void **state)
{
    struct hresp r;
    size_t big = 3u * 1024 * 1024 + 10;
    char *body = slu_malloc(big + 1);
    memset(body, ' ', big);
    body[big] = 0;
    req_on(&plain, "POST", "/api/v1/namespaces/default/configmaps", "application/json", NULL, body,
           big, &r);
    expect_status(&r, 413, NULL);
    hresp_release(&r);
    free(body);
    req("POST", "/api/v1/namespaces/default/pods", "application/json",
        "{\"metadata\":{\"name\":\"nosa\"},\"spec\":{\"serviceAccountName\":\"ghost\","
        "\"containers\":[{\"name\":\"a\",\"image\":\"i\"}]}}",
        &r);
    expect_status(&r, 403, "Forbidden");
    assert_non_null(
        strstr(slu_json_str(r.json, "message"), "error looking up service account default/ghost"));
    hresp_release(&r);
    /* a namespace held by a finalizer stays Terminating and refuses new content */
    req("POST", "/api/v1/namespaces", "application/json", "{\"metadata\":{\"name\":\"gone\"}}", &r);
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/gone/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"h\",\"finalizers\":[\"x.io/hold\"]}}", &r);
    assert_int_equal(r.code, 201);
    hresp_release(&r);
    req("DELETE", "/api/v1/namespaces/gone", NULL, NULL, &r);
    assert_string_equal(slu_json_str(r.json, "status.phase"), "Terminating");
    hresp_release(&r);
    req("POST", "/api/v1/namespaces/gone/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"late\"}}", &r);
    expect_status(&r, 403, "Forbidden");
    hresp_release(&r);
    req("PATCH", "/api/v1/namespaces/gone/configmaps/h", "application/merge-patch+json",
        "{\"metadata\":{\"finalizers\":null}}", &r);
    hresp_release(&r);
    bool removed = false;
    for (int i = 0; i < 100 && !removed; i++) {
        req("GET", "/api/v1/namespaces/gone", NULL, NULL, &r);
        removed = r.code == 404;
        hresp_release(&r);
        if (!removed)
            slu_sleep_ms(20);
    }
    assert_true(removed);
}

static void test_crd(void **state)
{
    struct hresp r;
    const char *crd =
        "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        "\"metadata\":{\"name\":\"gadgets.t.sluice.dev\"},\"spec\":{\"group\":\"t.sluice.dev\","
        "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"gadgets\",\"singular\":\"gadget\","
        "\"kind\":\"Gadget\"},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"
        "\"subresources\":{\"status\":{}},\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
        "\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
        "\"integer\",\"minimum\":1}}},\"status\":{\"type\":\"object\",\"x-kubernetes-preserve-"
        "unknown-fields\":true}}}}}]}}";
    req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", crd,
        &r);
    expect_status(&r, 201, NULL);
    hresp_release(&r);
    req("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.t.sluice.dev", NULL,
        NULL, &r);
    assert_string_equal(slu_json_str(r.json, "status.acceptedNames.kind"), "Gadget");
    hresp_release(&r);
    req("GET", "/apis/t.sluice.dev/v1", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "resources[0].name"), "gadgets");
    hresp_release(&r);
    const char *gp = "/apis/t.sluice.dev/v1/namespaces/default/gadgets";
    req("POST", gp, "application/json",
        "{\"apiVersion\":\"t.sluice.dev/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},"
        "\"spec\":{\"n\":2,\"extra\":1}}",
        &r);
    expect_status(&r, 201, NULL);
    assert_null(slu_json_path(r.json, "spec.extra")); /* pruned */
    hresp_release(&r);
    req("POST", gp, "application/json",
        "{\"apiVersion\":\"t.sluice.dev/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g2\"},"
        "\"spec\":{\"n\":0}}",
        &r);
    expect_status(&r, 422, "Invalid");
    hresp_release(&r);
    req("PATCH", "/apis/t.sluice.dev/v1/namespaces/default/gadgets/g1",
        "application/strategic-merge-patch+json", "{}", &r);
    expect_status(&r, 415, "UnsupportedMediaType");
    hresp_release(&r);
    req("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.t.sluice.dev",
        NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    hresp_release(&r);
    req("GET", "/apis/t.sluice.dev/v1/namespaces/default/gadgets/g1", NULL, NULL, &r);
    assert_int_equal(r.code, 404);
    hresp_release(&r);
}

static void test_tls(void **state)
{
    struct server s = {0};
    assert_int_equal(start_server(&s, true), 0);
    assert_true(slu_str_has_prefix(s.url, "https://127.0.0.1:"));
    assert_non_null(s.ca_pem);
    struct hresp r;
    req_on(&s, "GET", "/api/v1/namespaces/default", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(slu_json_str(r.json, "status.phase"), "Active");
    hresp_release(&r);
    stop_server(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery), cmocka_unit_test(test_crud_and_errors),
        cmocka_unit_test(test_patches),   cmocka_unit_test(test_watch),
        cmocka_unit_test(test_paging),    cmocka_unit_test(test_limits_and_forbidden),
        cmocka_unit_test(test_crd),       cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
