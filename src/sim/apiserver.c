/*
 * apiserver.c - the HTTP side of `sluice sim`: starting and stopping the whole simulator
 * (store, cluster model, libmicrohttpd server, optional TLS), the kubeconfig it writes, request
 * plumbing (body accumulation with the 3 MiB cap, faults, Status errors), discovery
 * (/version, /api, /apis, APIResourceLists), OpenAPI, health endpoints, and the routing of
 * resource paths to handlers.c.
 *
 * How it works: libmicrohttpd runs one thread per connection (plus its polling thread), so a
 * handler may block: watches and followed logs are callback responses whose callback waits on
 * the store's watch window (handlers.c). The server binds 127.0.0.1 only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "sim/sim_int.h"

/* ---------------------------------------------------------------- responses */

const char *sim_req_query(const struct sim_req *r, const char *name)
{
    if (!r->conn) {
        for (size_t i = 0; r->args && r->args[i]; i += 2)
            if (!strcmp(r->args[i], name))
                return r->args[i + 1];
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void sim_resp_json(struct sim_resp *resp, int status, json_t *v)
{
    resp->status = status;
    free(resp->body);
    if (!v) {
        /* a json_pack/json_string that failed (it cannot here once strings are clean, but a
         * client must still get a Status rather than an empty 200) */
        status = resp->status = 500;
        v = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                      "metadata", "status", "Failure", "message",
                      "the response could not be encoded as JSON", "reason", "InternalError",
                      "code", 500);
    }
    resp->body = json_dumps(v, JSON_COMPACT);
    resp->len = resp->body ? strlen(resp->body) : 0;
    resp->content_type = "application/json";
    json_decref(v);
}

/* Length of the valid UTF-8 sequence at p (NUL-terminated), or 0 when it is not one: no
 * overlong forms, no surrogates, nothing above U+10FFFF (what jansson accepts). */
static size_t utf8_seq_len(const unsigned char *p)
{
    unsigned c = p[0];
#define CONT(x) ((x) >= 0x80 && (x) <= 0xBF)
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return CONT(p[1]) ? 2 : 0;
    if (c == 0xE0)
        return p[1] >= 0xA0 && p[1] <= 0xBF && CONT(p[2]) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        return CONT(p[1]) && CONT(p[2]) ? 3 : 0;
    if (c == 0xED)
        return p[1] >= 0x80 && p[1] <= 0x9F && CONT(p[2]) ? 3 : 0;
    if (c == 0xF0)
        return p[1] >= 0x90 && p[1] <= 0xBF && CONT(p[2]) && CONT(p[3]) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3)
        return CONT(p[1]) && CONT(p[2]) && CONT(p[3]) ? 4 : 0;
    if (c == 0xF4)
        return p[1] >= 0x80 && p[1] <= 0x8F && CONT(p[2]) && CONT(p[3]) ? 4 : 0;
#undef CONT
    return 0;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

/* A JSON string of s with every byte that is not valid UTF-8 replaced by U+FFFD, as Go's
 * encoding/json does: messages and names echo the request path and query, which may hold any
 * bytes, and json_string() would return NULL on them (and the Status would be lost). */
static json_t *json_string_lossy(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct slu_buf b = {0};
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            slu_buf_puts(&b, "\xEF\xBF\xBD");
            p++;
        } else {
            slu_buf_append(&b, p, n);
            p += n;
        }
    }
    json_t *v = json_stringn(b.data ? b.data : "", b.len);
    slu_buf_release(&b);
    return v;
}

static json_t *status_json(int code, const char *reason, const char *msg, const struct slu_err *e)
{
    json_t *s =
        json_pack("{s:s,s:s,s:{},s:s,s:o,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                  "metadata", "status", code < 400 ? "Success" : "Failure", "message",
                  json_string_lossy(msg ? msg : ""), "reason", reason ? reason : "", "code", code);
    if (e && (e->name[0] || e->kind[0] || e->ncauses || e->retry_after)) {
        json_t *d = json_object();
        if (e->name[0])
            json_object_set_new(d, "name", json_string_lossy(e->name));
        if (e->kind[0]) {
            /* "widgets.example.com" -> kind widgets, group example.com */
            const char *dot = strchr(e->kind, '.');
            if (dot && e->kind[0] >= 'a' && e->kind[0] <= 'z') {
                json_object_set_new(d, "group", json_string(dot + 1));
                json_object_set_new(d, "kind", json_stringn(e->kind, (size_t)(dot - e->kind)));
            } else {
                json_object_set_new(d, "kind", json_string_lossy(e->kind));
            }
        }
        if (e->ncauses) {
            json_t *cs = json_array();
            for (size_t i = 0; i < e->ncauses; i++) {
                json_t *c = json_object();
                if (e->causes[i].reason)
                    json_object_set_new(c, "reason", json_string(e->causes[i].reason));
                json_object_set_new(c, "message", json_string_lossy(e->causes[i].message));
                if (e->causes[i].field)
                    json_object_set_new(c, "field", json_string_lossy(e->causes[i].field));
                json_array_append_new(cs, c);
            }
            json_object_set_new(d, "causes", cs);
        }
        if (e->retry_after)
            json_object_set_new(d, "retryAfterSeconds", json_integer(e->retry_after));
        json_object_set_new(s, "details", d);
    }
    return s;
}

void sim_resp_error(struct sim_resp *resp, const struct slu_err *err)
{
    int code = err->http_status ? err->http_status : slu_err_http_from_code(err->code);
    if (code < 400)
        code = 500;
    const char *reason = err->reason[0] ? err->reason : slu_err_reason_from_code(err->code);
    sim_resp_json(resp, code, status_json(code, reason, err->msg, err));
    if (err->retry_after)
        resp->retry_after = err->retry_after;
}

void sim_resp_status(struct sim_resp *resp, int code, const char *reason, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sim_resp_json(resp, code, status_json(code, reason, msg, NULL));
}

static void resp_text(struct sim_resp *resp, int status, const char *text)
{
    resp->status = status;
    free(resp->body);
    resp->body = slu_strdup(text);
    resp->len = strlen(text);
    resp->content_type = "text/plain; charset=utf-8";
}

/* ---------------------------------------------------------------- discovery */

/* Kubernetes version ordering: GA > beta > alpha, then by number (higher first). Returns
 * < 0 when a has the higher priority. */
static int version_priority_cmp(const char *a, const char *b)
{
    int ma = 0, mb = 0, la = 2, lb = 2, na = 0, nb = 0;
    char ra[32] = "", rb[32] = "";
    if (sscanf(a, "v%d%31s", &ma, ra) < 1)
        return strcmp(a, b);
    if (sscanf(b, "v%d%31s", &mb, rb) < 1)
        return -1;
    if (ra[0]) {
        la = strncmp(ra, "beta", 4) == 0 ? 1 : strncmp(ra, "alpha", 5) == 0 ? 0 : -1;
        sscanf(ra + (la == 1 ? 4 : 5), "%d", &na);
    }
    if (rb[0]) {
        lb = strncmp(rb, "beta", 4) == 0 ? 1 : strncmp(rb, "alpha", 5) == 0 ? 0 : -1;
        sscanf(rb + (lb == 1 ? 4 : 5), "%d", &nb);
    }
    if (la != lb)
        return lb - la;
    if (ma != mb)
        return mb - ma;
    return nb - na;
}

struct group_info {
    const char *name;
    struct slu_vec versions; /* const char* */
};

static void collect_groups(struct sim_store *st, struct slu_vec *groups)
{
    struct slu_vec types = {0};
    sim_store_types(st, &types);
    for (size_t i = 0; i < types.len; i++) {
        const struct sim_rtype *rt = types.items[i];
        if (!*rt->group)
            continue;
        struct group_info *g = NULL;
        for (size_t j = 0; j < groups->len; j++) {
            struct group_info *x = groups->items[j];
            if (strcmp(x->name, rt->group) == 0)
                g = x;
        }
        if (!g) {
            g = slu_calloc(1, sizeof *g);
            g->name = rt->group;
            slu_vec_push(groups, g);
        }
        bool have = false;
        for (size_t j = 0; j < g->versions.len; j++)
            if (strcmp(g->versions.items[j], rt->version) == 0)
                have = true;
        if (!have)
            slu_vec_push(&g->versions, rt->version);
    }
    for (size_t j = 0; j < groups->len; j++) {
        struct group_info *g = groups->items[j];
        /* insertion sort by priority */
        for (size_t a = 1; a < g->versions.len; a++) {
            for (size_t b = a;
                 b > 0 && version_priority_cmp(g->versions.items[b - 1], g->versions.items[b]) > 0;
                 b--) {
                void *t = g->versions.items[b];
                g->versions.items[b] = g->versions.items[b - 1];
                g->versions.items[b - 1] = t;
            }
        }
    }
    slu_vec_release(&types, NULL);
}

static void free_group(void *p)
{
    struct group_info *g = p;
    slu_vec_release(&g->versions, NULL);
    free(g);
}

static json_t *group_json(const struct group_info *g)
{
    json_t *vs = json_array();
    for (size_t i = 0; i < g->versions.len; i++) {
        char gv[300];
        snprintf(gv, sizeof gv, "%s/%s", g->name, (const char *)g->versions.items[i]);
        json_array_append_new(vs, json_pack("{s:s,s:s}", "groupVersion", gv, "version",
                                            (const char *)g->versions.items[i]));
    }
    json_t *pref = json_incref(json_array_get(vs, 0));
    return json_pack("{s:s,s:o,s:o}", "name", g->name, "versions", vs, "preferredVersion", pref);
}

static json_t *strv_json(char **v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *resource_list(struct sim_store *st, const char *group, const char *version)
{
    struct slu_vec types = {0};
    sim_store_types(st, &types);
    json_t *res = json_array();
    bool any = false;
    for (size_t i = 0; i < types.len; i++) {
        const struct sim_rtype *rt = types.items[i];
        if (strcmp(rt->group, group) || strcmp(rt->version, version))
            continue;
        any = true;
        json_t *r = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", rt->plural, "singularName",
                              rt->singular ? rt->singular : "", "namespaced", rt->namespaced,
                              "kind", rt->kind, "verbs", strv_json(rt->verbs));
        if (rt->short_names && rt->short_names[0])
            json_object_set_new(r, "shortNames", strv_json(rt->short_names));
        if (rt->categories && rt->categories[0])
            json_object_set_new(r, "categories", strv_json(rt->categories));
        json_array_append_new(res, r);
        bool has_status = rt->has_status;
        for (size_t s = 0; rt->subresources && rt->subresources[s]; s++)
            if (!strcmp(rt->subresources[s], "status"))
                has_status = true;
        char nm[300];
        if (has_status) {
            snprintf(nm, sizeof nm, "%s/status", rt->plural);
            json_array_append_new(res,
                                  json_pack("{s:s,s:s,s:b,s:s,s:[sss]}", "name", nm, "singularName",
                                            "", "namespaced", rt->namespaced, "kind", rt->kind,
                                            "verbs", "get", "patch", "update"));
        }
        if (rt->has_scale) {
            snprintf(nm, sizeof nm, "%s/scale", rt->plural);
            json_array_append_new(res, json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:[sss]}", "name", nm,
                                                 "singularName", "", "namespaced", rt->namespaced,
                                                 "group", "autoscaling", "version", "v1", "kind",
                                                 "Scale", "verbs", "get", "patch", "update"));
        }
        for (size_t s = 0; rt->subresources && rt->subresources[s]; s++) {
            const char *sub = rt->subresources[s];
            snprintf(nm, sizeof nm, "%s/%s", rt->plural, sub);
            if (!strcmp(sub, "log"))
                json_array_append_new(res, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name", nm,
                                                     "singularName", "", "namespaced", true, "kind",
                                                     "Pod", "verbs", "get"));
            else if (!strcmp(sub, "binding"))
                json_array_append_new(res, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name", nm,
                                                     "singularName", "", "namespaced", true, "kind",
                                                     "Binding", "verbs", "create"));
            else if (!strcmp(sub, "eviction"))
                json_array_append_new(res, json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:[s]}", "name", nm,
                                                     "singularName", "", "namespaced", true,
                                                     "group", "policy", "version", "v1", "kind",
                                                     "Eviction", "verbs", "create"));
        }
    }
    slu_vec_release(&types, NULL);
    if (!any) {
        json_decref(res);
        return NULL;
    }
    char gv[300];
    if (*group)
        snprintf(gv, sizeof gv, "%s/%s", group, version);
    else
        snprintf(gv, sizeof gv, "%s", version);
    return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", gv, "resources", res);
}

static void not_found(struct sim_resp *resp)
{
    sim_resp_status(resp, 404, "NotFound", "the server could not find the requested resource");
}

/* ---------------------------------------------------------------- routing */

#define MAX_SEGS 12

static size_t split_path(char *p, char **segs)
{
    size_t n = 0;
    char *s = p;
    while (*s == '/')
        s++;
    while (*s && n < MAX_SEGS) {
        segs[n++] = s;
        char *e = strchr(s, '/');
        if (!e)
            break;
        *e = 0;
        s = e + 1;
        while (*s == '/')
            s++;
    }
    if (*s && n == MAX_SEGS)
        return MAX_SEGS + 1;
    return n;
}

static void route_gv(struct sim_req *r, const char *group, const char *version, char **segs,
                     size_t n, struct sim_resp *resp)
{
    struct sim_store *st = r->sim->st;
    if (n == 0) {
        if (strcmp(r->method, "GET")) {
            sim_resp_status(resp, 405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource");
            return;
        }
        json_t *l = resource_list(st, group, version);
        if (!l)
            not_found(resp);
        else
            sim_resp_json(resp, 200, l);
        return;
    }
    bool legacy_watch = false;
    if (!strcmp(segs[0], "watch")) {
        legacy_watch = true;
        segs++;
        n--;
        if (n == 0) {
            not_found(resp);
            return;
        }
    }
    const char *ns = NULL, *plural, *name = NULL, *sub = NULL;
    if (!strcmp(segs[0], "namespaces") && n >= 3 && strcmp(segs[2], "status") &&
        strcmp(segs[2], "finalize")) {
        ns = segs[1];
        plural = segs[2];
        name = n > 3 ? segs[3] : NULL;
        sub = n > 4 ? segs[4] : NULL;
        if (n > 5) {
            not_found(resp);
            return;
        }
    } else {
        plural = segs[0];
        name = n > 1 ? segs[1] : NULL;
        sub = n > 2 ? segs[2] : NULL;
        if (n > 3) {
            not_found(resp);
            return;
        }
    }
    const struct sim_rtype *rt = sim_store_type(st, group, version, plural);
    if (!rt || (ns && !rt->namespaced)) {
        not_found(resp);
        return;
    }
    if (sub) {
        bool ok = (!strcmp(sub, "status") && rt->has_status);
        for (size_t i = 0; rt->subresources && rt->subresources[i]; i++)
            if (!strcmp(rt->subresources[i], sub))
                ok = true;
        if (!ok) {
            not_found(resp);
            return;
        }
    }
    if (name && !*name)
        name = NULL;
    /* no object or namespace can have a name that is not UTF-8 (it could not even be stored:
     * json_string refuses it, which left a created object without its namespace) */
    if ((ns && !utf8_valid(ns)) || (name && !utf8_valid(name))) {
        bool bad_ns = ns && !utf8_valid(ns);
        struct slu_err e = {0};
        char res[256];
        if (bad_ns)
            slu_strlcpy(res, "namespaces", sizeof res);
        else
            sim_rtype_resource(rt, res, sizeof res);
        const char *what = bad_ns ? ns : name;
        slu_err_set(&e, SLU_ENOTFOUND, "%s \"%s\" not found", res, what);
        e.http_status = 404;
        slu_err_set_reason(&e, "NotFound");
        slu_strlcpy(e.kind, res, sizeof e.kind);
        slu_strlcpy(e.name, what, sizeof e.name);
        sim_resp_error(resp, &e);
        slu_err_release(&e);
        return;
    }
    sim_handle_resource(r, rt, ns, name, sub, legacy_watch, resp);
}

static const char *verb_of(const struct sim_req *r, bool has_name)
{
    const char *m = r->method;
    if (!strcmp(m, "GET")) {
        if (has_name)
            return "get";
        const char *w = sim_req_query(r, "watch");
        return w && (!strcmp(w, "true") || !strcmp(w, "1")) ? "watch" : "list";
    }
    if (!strcmp(m, "POST"))
        return "create";
    if (!strcmp(m, "PUT"))
        return "update";
    if (!strcmp(m, "PATCH"))
        return "patch";
    if (!strcmp(m, "DELETE"))
        return has_name ? "delete" : "deletecollection";
    return "other";
}

static bool path_has_name(const char *path)
{
    /* a rough count: .../namespaces/ns/plural/name or .../plural/name */
    size_t n = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            n++;
    bool core = slu_str_has_prefix(path, "/api/");
    size_t base = core ? 3 : 4; /* /api/v1/plural, /apis/g/v/plural */
    if (strstr(path, "/namespaces/") && n >= base + 2)
        return n > base + 2;
    return n > base;
}

static void dispatch(struct sim_req *r, struct sim_resp *resp)
{
    struct sim *sim = r->sim;
    const char *path = r->path;
    if (!strcmp(path, "/healthz") || !strcmp(path, "/livez") || !strcmp(path, "/readyz") ||
        slu_str_has_prefix(path, "/healthz/") || slu_str_has_prefix(path, "/livez/") ||
        slu_str_has_prefix(path, "/readyz/")) {
        resp_text(resp, 200, "ok");
        return;
    }
    if (!strcmp(path, "/version") || !strcmp(path, "/version/")) {
        sim_resp_json(resp, 200,
                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1", "minor",
                                "32", "gitVersion", "v1.32.0-sluice-sim", "gitCommit",
                                "0000000000000000000000000000000000000000", "gitTreeState", "clean",
                                "buildDate", "2025-01-01T00:00:00Z", "goVersion", "go1.23.0",
                                "compiler", "gc", "platform", "linux/amd64"));
        return;
    }
    /* faults apply to the API proper */
    bool api = slu_str_has_prefix(path, "/api/") || slu_str_has_prefix(path, "/apis/");
    if (api && sim->faults) {
        int64_t lat = sim_faults_latency_ms(sim->faults);
        if (lat > 0)
            slu_sleep_ms(lat);
        int code = 0, retry = 0;
        if (sim_faults_pick_error(sim->faults, verb_of(r, path_has_name(path)), &code, &retry)) {
            const char *reason = code == 429   ? "TooManyRequests"
                                 : code == 503 ? "ServiceUnavailable"
                                 : code == 504 ? "Timeout"
                                               : "InternalError";
            struct slu_err e = {0};
            slu_err_set(&e, SLU_ESERVER, "%s",
                        code == 429 ? "the server has received too many requests and has asked "
                                      "us to try again later"
                                    : "an error on the server (\"injected fault\") has prevented "
                                      "the request from succeeding");
            e.http_status = code;
            slu_err_set_reason(&e, reason);
            e.retry_after = code == 429 ? (retry > 0 ? retry : 1) : 0;
            sim_resp_error(resp, &e);
            slu_err_release(&e);
            return;
        }
    }
    if (!strcmp(path, "/api") || !strcmp(path, "/api/")) {
        char addr[64];
        snprintf(addr, sizeof addr, "127.0.0.1:%d", sim->port);
        sim_resp_json(resp, 200,
                      json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions",
                                "v1", "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
                                "serverAddress", addr));
        return;
    }
    if (!strcmp(path, "/apis") || !strcmp(path, "/apis/")) {
        struct slu_vec groups = {0};
        collect_groups(sim->st, &groups);
        json_t *gl = json_array();
        for (size_t i = 0; i < groups.len; i++)
            json_array_append_new(gl, group_json(groups.items[i]));
        slu_vec_release(&groups, free_group);
        sim_resp_json(
            resp, 200,
            json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", gl));
        return;
    }
    if (!strcmp(path, "/openapi/v2")) {
        /* kubectl asks for protobuf only; we speak JSON: say so instead of sending JSON */
        if (r->accept && !strstr(r->accept, "json") && !strstr(r->accept, "*/*")) {
            sim_resp_status(resp, 406, "NotAcceptable",
                            "only application/json is served for /openapi/v2");
            return;
        }
        json_t *doc = sim_openapi_v2(sim->st);
        if (!doc)
            not_found(resp);
        else
            sim_resp_json(resp, 200, doc);
        return;
    }
    if (!strcmp(path, "/openapi/v3") || !strcmp(path, "/openapi/v3/")) {
        sim_resp_json(resp, 200, sim_openapi_v3_root(sim->st));
        return;
    }
    if (slu_str_has_prefix(path, "/openapi/v3/")) {
        const char *rest = path + strlen("/openapi/v3/");
        json_t *doc = NULL;
        if (!strcmp(rest, "api/v1")) {
            doc = sim_openapi_v3_gv(sim->st, "", "v1");
        } else if (slu_str_has_prefix(rest, "apis/")) {
            char g[256];
            const char *gs = rest + 5;
            const char *slash = strchr(gs, '/');
            if (slash && (size_t)(slash - gs) < sizeof g) {
                memcpy(g, gs, (size_t)(slash - gs));
                g[slash - gs] = 0;
                doc = sim_openapi_v3_gv(sim->st, g, slash + 1);
            }
        }
        if (!doc)
            not_found(resp);
        else
            sim_resp_json(resp, 200, doc);
        return;
    }

    size_t plen = strlen(path);
    if (plen > 4096) {
        not_found(resp);
        return;
    }
    char *copy = slu_strdup(path);
    char *segs[MAX_SEGS];
    size_t n = split_path(copy, segs);
    if (n > MAX_SEGS || n < 2 || (n == 2 && strcmp(segs[0], "api"))) {
        if (n == 2 && !strcmp(segs[0], "apis")) {
            /* /apis/{group} */
            struct slu_vec groups = {0};
            collect_groups(sim->st, &groups);
            json_t *g = NULL;
            for (size_t i = 0; i < groups.len; i++) {
                struct group_info *gi = groups.items[i];
                if (!strcmp(gi->name, segs[1]))
                    g = group_json(gi);
            }
            slu_vec_release(&groups, free_group);
            if (g) {
                json_object_set_new(g, "kind", json_string("APIGroup"));
                json_object_set_new(g, "apiVersion", json_string("v1"));
                sim_resp_json(resp, 200, g);
            } else {
                not_found(resp);
            }
        } else {
            not_found(resp);
        }
        free(copy);
        return;
    }
    if (!strcmp(segs[0], "api")) {
        route_gv(r, "", segs[1], segs + 2, n - 2, resp);
    } else if (!strcmp(segs[0], "apis")) {
        route_gv(r, segs[1], segs[2], segs + 3, n - 3, resp);
    } else {
        not_found(resp);
    }
    free(copy);
}

/* A whole request, once its body is read (too_big: it went over SIM_MAX_BODY). */
static void handle(struct sim_req *r, bool too_big, struct sim_resp *resp)
{
    if (too_big || r->body_len > SIM_MAX_BODY)
        sim_resp_status(resp, 413, "RequestEntityTooLarge", "Request entity too large: limit is %u",
                        SIM_MAX_BODY);
    else
        dispatch(r, resp);
}

/* ---------------------------------------------------------------- MHD plumbing */

struct conn_state {
    struct slu_buf body;
    bool too_big;
};

static enum MHD_Result send_resp(struct MHD_Connection *c, struct sim_resp *resp)
{
    struct MHD_Response *mr;
    if (resp->stream) {
        mr = resp->stream;
        resp->stream = NULL;
    } else {
        if (!resp->body) {
            sim_resp_status(resp, 500, "InternalError", "no response");
        }
        mr = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        resp->body = NULL;
    }
    if (!mr)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(mr, "Content-Type", resp->content_type);
    MHD_add_response_header(mr, "Cache-Control", "no-cache, private");
    if (resp->warnings.len) {
        char **parts = slu_str_split(resp->warnings.data, '\n', false, NULL);
        for (size_t i = 0; parts && parts[i]; i++) {
            if (!*parts[i])
                continue;
            struct slu_buf h = {0};
            slu_buf_puts(&h, "299 - \"");
            for (const char *p = parts[i]; *p; p++) {
                if (*p == '"' || *p == '\\')
                    slu_buf_putc(&h, '\\');
                slu_buf_putc(&h, *p);
            }
            slu_buf_putc(&h, '"');
            MHD_add_response_header(mr, "Warning", h.data);
            slu_buf_release(&h);
        }
        slu_strv_free(parts);
    }
    if (resp->retry_after > 0) {
        char b[16];
        snprintf(b, sizeof b, "%d", resp->retry_after);
        MHD_add_response_header(mr, "Retry-After", b);
    }
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)resp->status, mr);
    MHD_destroy_response(mr);
    return rc;
}

static void resp_release(struct sim_resp *resp)
{
    free(resp->body);
    slu_buf_release(&resp->warnings);
    if (resp->stream)
        MHD_destroy_response(resp->stream);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct sim *sim = cls;
    struct conn_state *cs = *con_cls;
    if (!cs) {
        cs = slu_calloc(1, sizeof *cs);
        *con_cls = cs;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        uint64_t n = 0;
        if (cl && slu_parse_u64(cl, &n) == 0 && n > SIM_MAX_BODY) {
            struct sim_resp resp = {0};
            sim_resp_status(&resp, 413, "RequestEntityTooLarge",
                            "Request entity too large: limit is %u", SIM_MAX_BODY);
            enum MHD_Result rc = send_resp(c, &resp);
            resp_release(&resp);
            return rc;
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (cs->body.len + *upload_data_size > SIM_MAX_BODY)
            cs->too_big = true;
        else
            slu_buf_append(&cs->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct sim_resp resp = {0};
    struct sim_req r = {
        .sim = sim,
        .conn = c,
        .method = method,
        .path = url,
        .body = cs->body.data ? cs->body.data : "",
        .body_len = cs->body.len,
        .accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"),
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
    };
    handle(&r, cs->too_big, &resp);
    enum MHD_Result rc = send_resp(c, &resp);
    resp_release(&resp);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    if (cs) {
        slu_buf_release(&cs->body);
        free(cs);
        *con_cls = NULL;
    }
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes the request path and each query key and value in place, as libmicrohttpd's
 * own unescaper does, except that "%00" stays as it is: a decoded NUL would end the C string
 * early and silently turn ".../configmaps/%00x" into ".../configmaps/" (a DELETE of one
 * object into a deletecollection). Kept literally, it is an invalid name that gets a 404 or
 * 422 naming it. Returns the new length. */
static size_t unescape_keep_nul(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hex_val(p[1])) >= 0 && (lo = hex_val(p[2])) >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char b[512];
    vsnprintf(b, sizeof b, fmt, ap);
    slu_debug("sim http: %s", b);
}

static int start_daemon(struct sim *s, int port, struct slu_err *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (s->tls)
        flags |= MHD_USE_TLS;
    if (s->tls) {
        s->d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)300, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256, MHD_OPTION_THREAD_STACK_SIZE,
            (size_t)(1024 * 1024), MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape_keep_nul,
            s, MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem,
            MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)300, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256, MHD_OPTION_THREAD_STACK_SIZE,
            (size_t)(1024 * 1024), MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape_keep_nul,
            s, MHD_OPTION_END);
    }
    if (!s->d)
        return slu_err_set(err, SLU_EIO, "cannot listen on 127.0.0.1:%d", port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return 0;
}

/* The "restart" fault: every N ms the HTTP server is stopped (dropping every connection and
 * stream) and started again on the same port; the store keeps its state. */
static void *restart_main(void *arg)
{
    struct sim *s = arg;
    int64_t every = sim_faults_restart_ms(s->faults);
    pthread_mutex_lock(&s->restart_mu);
    while (!atomic_load(&s->stopping)) {
        struct timespec dl;
        slu_deadline_from_now(&dl, every);
        int rc = pthread_cond_timedwait(&s->restart_cond, &s->restart_mu, &dl);
        if (atomic_load(&s->stopping))
            break;
        if (rc == 0)
            continue;
        sim_streams_cancel(s);
        MHD_stop_daemon(s->d);
        s->d = NULL;
        slu_sleep_ms(50);
        struct slu_err e = {0};
        for (int i = 0; i < 50 && !s->d; i++) {
            if (start_daemon(s, s->port, &e) != 0)
                slu_sleep_ms(100);
        }
        slu_err_release(&e);
    }
    pthread_mutex_unlock(&s->restart_mu);
    return NULL;
}

/* ---------------------------------------------------------------- test seam */

#define SEAM_MAX_ARGS 64

void sim__handle_request(struct sim *s, const char *method, const char *target,
                         const char *content_type, const char *accept, const char *body,
                         size_t body_len, int *status, char **out, size_t *len)
{
    char *path = slu_strdup(target);
    const char *args[2 * SEAM_MAX_ARGS + 1];
    size_t na = 0;
    char *q = strchr(path, '?');
    if (q) {
        *q++ = '\0';
        /* as libmicrohttpd splits a query: '&' between pairs, the first '=' in each, '+' is a
         * space, then each part is percent-decoded */
        while (q && *q && na < 2 * SEAM_MAX_ARGS) {
            char *amp = strchr(q, '&');
            if (amp)
                *amp++ = '\0';
            char *eq = strchr(q, '=');
            if (eq)
                *eq++ = '\0';
            for (char *p = q; *p; p++)
                if (*p == '+')
                    *p = ' ';
            for (char *p = eq; p && *p; p++)
                if (*p == '+')
                    *p = ' ';
            unescape_keep_nul(NULL, NULL, q);
            if (eq)
                unescape_keep_nul(NULL, NULL, eq);
            args[na++] = q;
            args[na++] = eq ? eq : "";
            q = amp;
        }
    }
    args[na] = NULL;
    unescape_keep_nul(NULL, NULL, path);
    struct sim_req r = {
        .sim = s,
        .method = method,
        .path = path,
        .body = body ? body : "",
        .body_len = body ? body_len : 0,
        .accept = accept,
        .content_type = content_type,
        .args = args,
    };
    struct sim_resp resp = {0};
    handle(&r, false, &resp);
    if (resp.stream) {
        /* the stream's state is freed with the response, as when a client leaves at once */
        MHD_destroy_response(resp.stream);
        resp.stream = NULL;
        free(resp.body);
        resp.body = slu_strdup("");
        resp.len = 0;
    } else if (!resp.body) {
        sim_resp_status(&resp, 500, "InternalError", "no response");
    }
    *status = resp.status;
    *out = resp.body;
    *len = resp.len;
    resp.body = NULL;
    resp_release(&resp);
    free(path);
}

/* ---------------------------------------------------------------- public API */

int sim_write_kubeconfig(struct sim *s, const char *path, struct slu_err *err)
{
    struct slu_buf b = {0};
    slu_buf_printf(&b,
                   "apiVersion: v1\n"
                   "kind: Config\n"
                   "clusters:\n"
                   "- name: sluice-sim\n"
                   "  cluster:\n"
                   "    server: %s\n",
                   s->url);
    if (s->ca_pem) {
        char *b64 = slu_base64_encode(s->ca_pem, strlen(s->ca_pem));
        slu_buf_printf(&b, "    certificate-authority-data: %s\n", b64);
        free(b64);
    }
    slu_buf_puts(&b, "contexts:\n"
                     "- name: sluice-sim\n"
                     "  context:\n"
                     "    cluster: sluice-sim\n"
                     "    user: sluice-sim\n"
                     "    namespace: default\n"
                     "current-context: sluice-sim\n"
                     "preferences: {}\n"
                     "users:\n"
                     "- name: sluice-sim\n");
    /* Over HTTPS, kubectl prompts for a username when the user has no credentials at all; the
     * sim does no authentication, so any token does. */
    slu_buf_puts(&b, s->ca_pem ? "  user:\n    token: sluice-sim\n" : "  user: {}\n");
    int rc = slu_write_file(path, b.data, b.len, 0600, err);
    slu_buf_release(&b);
    return rc;
}

int sim_start(const struct sim_options *o, struct sim **out, struct slu_err *err)
{
    *out = NULL;
    const char *host = o->listen_host ? o->listen_host : "127.0.0.1";
    if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost"))
        return slu_err_set(err, SLU_EINVAL,
                           "--listen: the sim binds the loopback address only (127.0.0.1), not "
                           "%s",
                           host);
    if (o->port < 0 || o->port > 65535)
        return slu_err_set(err, SLU_EINVAL, "--listen: port %d out of range", o->port);
    struct sim *s = slu_calloc(1, sizeof *s);
    atomic_init(&s->stopping, false);
    pthread_mutex_init(&s->restart_mu, NULL);
    pthread_mutex_init(&s->streams_mu, NULL);
    slu_cond_init_mono(&s->restart_cond);
    s->time_scale = o->time_scale > 0 ? o->time_scale : 1;
    s->bookmark_ms = 1000;
    s->tls = o->tls;
    int rc = 0;
    if (o->faults_spec && *o->faults_spec) {
        rc = sim_faults_parse(o->faults_spec, &s->faults, err);
        if (rc)
            goto fail;
    }
    size_t window = s->faults ? sim_faults_event_window(s->faults) : 0;
    s->st = sim_store_new(window);
    if (s->tls) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            rc = slu_err_set(err, SLU_EUNSUPPORTED,
                             "--tls: this libmicrohttpd was built without TLS support");
            goto fail;
        }
        rc = sim_tls_generate(&s->ca_pem, &s->cert_pem, &s->key_pem, err);
        if (rc)
            goto fail;
    }
    if (!o->no_cluster) {
        struct sim_cluster_opts co = {
            .nodes_spec = o->nodes_spec && *o->nodes_spec ? o->nodes_spec : "3x8c32Gi",
            .time_scale = s->time_scale,
            .start_delay_ms_min = 500,
            .start_delay_ms_max = 1500,
        };
        rc = sim_cluster_start(s->st, &co, &s->cluster, err);
        if (rc)
            goto fail;
    }
    rc = start_daemon(s, o->port, err);
    if (rc)
        goto fail;
    snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", s->tls ? "https" : "http", s->port);
    if (s->faults && sim_faults_restart_ms(s->faults) > 0) {
        if (pthread_create(&s->restart_thread, NULL, restart_main, s) == 0)
            s->restart_started = true;
    }
    if (o->kubeconfig_out && *o->kubeconfig_out) {
        rc = sim_write_kubeconfig(s, o->kubeconfig_out, err);
        if (rc)
            goto fail;
    }
    *out = s;
    return 0;
fail:
    sim_stop(s);
    return rc;
}

int sim_port(struct sim *s)
{
    return s->port;
}

const char *sim_url(struct sim *s)
{
    return s->url;
}

const char *sim_ca_pem(struct sim *s)
{
    return s->ca_pem;
}

struct sim_store *sim_get_store(struct sim *s)
{
    return s->st;
}

void sim_stop(struct sim *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    if (s->restart_started) {
        pthread_mutex_lock(&s->restart_mu);
        pthread_cond_broadcast(&s->restart_cond);
        pthread_mutex_unlock(&s->restart_mu);
        pthread_join(s->restart_thread, NULL);
    }
    sim_streams_cancel(s);
    if (s->d)
        MHD_stop_daemon(s->d);
    if (s->cluster)
        sim_cluster_stop(s->cluster);
    sim_store_free(s->st);
    if (s->faults)
        sim_faults_free(s->faults);
    free(s->ca_pem);
    free(s->cert_pem);
    free(s->key_pem);
    pthread_cond_destroy(&s->restart_cond);
    pthread_mutex_destroy(&s->restart_mu);
    pthread_mutex_destroy(&s->streams_mu);
    slu_vec_release(&s->streams, NULL);
    free(s);
}
