/*
 * handlers.c - the verbs of the simulated API server on one resource type: get, list (paged,
 * selectors, server-side Table printing), watch (chunked stream with initial ADDED events,
 * bookmarks, selector transitions, timeouts, 410 as an ERROR event), create, update, patch
 * (merge, JSON, strategic, server-side apply), delete and deletecollection, and the pod
 * subresources log (followed logs stream), binding and eviction.
 *
 * How it works: each request maps its query parameters and body onto a store call and turns
 * the result (or the slu_err) into JSON or a Status. Streams are libmicrohttpd callback
 * responses; the callback blocks in sim_watcher_next (or polls the log) with a short timeout
 * so it can send bookmarks, notice the deadline, a cancel on shutdown, or a client that left.
 */
#include <poll.h>
#include <string.h>

#include "sim/sim_int.h"

/* ---------------------------------------------------------------- helpers */

static bool want_table(const struct sim_req *r)
{
    return r->accept && strstr(r->accept, "as=Table") != NULL;
}

static const char *include_object(const struct sim_req *r)
{
    const char *s = sim_req_query(r, "includeObject");
    if (s && (!strcmp(s, "Object") || !strcmp(s, "Metadata") || !strcmp(s, "None")))
        return s;
    return "Metadata";
}

static void reply_obj(struct sim_req *r, const struct sim_rtype *rt, int status, json_t *obj,
                      struct sim_resp *resp)
{
    if (want_table(r) && status < 300) {
        json_t *t = sim_table(rt, obj, include_object(r));
        json_decref(obj);
        sim_resp_json(resp, status, t);
        return;
    }
    sim_resp_json(resp, status, obj);
}

static void reply_err(struct sim_resp *resp, struct slu_err *e)
{
    sim_resp_error(resp, e);
    slu_err_release(e);
}

static int bad_request(struct slu_err *e, const char *fmt, ...) SLU_PRINTF(2, 3);
static int bad_request(struct slu_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slu_err_vset(e, SLU_EBADREQUEST, fmt, ap);
    va_end(ap);
    e->http_status = 400;
    slu_err_set_reason(e, "BadRequest");
    return SLU_EBADREQUEST;
}

static bool is_true(const char *s)
{
    return s && (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "True"));
}

/* Common write options from the query: fieldValidation, dryRun, fieldManager. */
static int write_opts(struct sim_req *r, struct sim_write_opts *wo, struct sim_resp *resp,
                      struct slu_err *e)
{
    memset(wo, 0, sizeof *wo);
    const char *fv = sim_req_query(r, "fieldValidation");
    if (fv && *fv && strcmp(fv, "Strict") && strcmp(fv, "Warn") && strcmp(fv, "Ignore"))
        return bad_request(e,
                           "fieldValidation must be one of \"Ignore\", \"Warn\", or "
                           "\"Strict\", got \"%s\"",
                           fv);
    wo->field_validation = fv && *fv ? fv : "Warn";
    const char *dr = sim_req_query(r, "dryRun");
    if (dr && *dr) {
        if (strcmp(dr, "All"))
            return bad_request(e, "Invalid dry run value: %s (only \"All\" is supported)", dr);
        wo->dry_run = true;
    }
    wo->field_manager = sim_req_query(r, "fieldManager");
    wo->warnings = &resp->warnings;
    wo->user_request = true;
    return 0;
}

/* Deepest nesting of objects and arrays a request body may have. jansson stops at 2048 and
 * the YAML loader at 256, but the recursive walks that follow (strategic merge, schema
 * pruning, comparisons) run on a connection thread's 1 MiB stack: 2048 levels of strategic
 * merge patch overflowed it. Real objects, CRD schemas included, stay far below. */
#define SIM_MAX_BODY_DEPTH 256

/* True when v nests deeper than left levels (stops looking below that, so the recursion is
 * bounded by the cap). */
static bool nested_deeper(const json_t *v, int left)
{
    if (!json_is_object(v) && !json_is_array(v))
        return false;
    if (left <= 0)
        return true;
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (nested_deeper(x, left - 1))
                return true;
        }
    } else {
        json_object_foreach((json_t *)v, k, x)
        {
            if (nested_deeper(x, left - 1))
                return true;
        }
    }
    return false;
}

/* Rejects (400, v freed) a decoded body nested deeper than SIM_MAX_BODY_DEPTH. */
static int check_depth(json_t **v, const char *what, struct slu_err *e)
{
    if (!nested_deeper(*v, SIM_MAX_BODY_DEPTH))
        return 0;
    json_decref(*v);
    *v = NULL;
    return bad_request(e, "error decoding %s: objects and arrays nested deeper than %d levels",
                       what, SIM_MAX_BODY_DEPTH);
}

/* Parses the request body (JSON, or YAML when the content type says so). */
static int parse_body(struct sim_req *r, bool strict, json_t **out, struct slu_err *e)
{
    *out = NULL;
    const char *ct = r->content_type ? r->content_type : "application/json";
    if (r->body_len == 0)
        return bad_request(e, "the request body is empty");
    if (strstr(ct, "yaml")) {
        json_t *doc = NULL;
        struct slu_err ye = {0};
        if (slu_yaml_load_one(r->body, r->body_len, NULL, &doc, &ye) != 0) {
            bad_request(e, "error decoding YAML: %s", ye.msg);
            slu_err_release(&ye);
            return SLU_EBADREQUEST;
        }
        if (check_depth(&doc, "YAML", e))
            return SLU_EBADREQUEST;
        *out = doc;
        return 0;
    }
    if (slu_str_has_prefix(ct, "application/vnd.kubernetes.protobuf")) {
        int rc = sim_proto_decode(r->body, r->body_len, out, e);
        if (rc == SLU_EUNSUPPORTED) {
            e->http_status = 415;
            slu_err_set_reason(e, "UnsupportedMediaType");
        } else if (rc) {
            e->http_status = 400;
            slu_err_set_reason(e, "BadRequest");
        }
        return rc;
    }
    if (!strstr(ct, "json")) {
        slu_err_set(e, SLU_EUNSUPPORTED,
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json, application/yaml");
        e->http_status = 415;
        slu_err_set_reason(e, "UnsupportedMediaType");
        return SLU_EUNSUPPORTED;
    }
    json_error_t je;
    json_t *v = json_loadb(r->body, r->body_len, strict ? JSON_REJECT_DUPLICATES : 0, &je);
    if (!v && strict && strstr(je.text, "duplicate")) {
        /* jansson: "duplicate object key near '\"x\"'" */
        const char *near = strstr(je.text, "near '");
        return bad_request(e, "strict decoding error: duplicate field %s",
                           near ? near + 6 : je.text);
    }
    if (!v)
        return bad_request(e, "error decoding JSON: %s (line %d, column %d)", je.text, je.line,
                           je.column);
    if (check_depth(&v, "JSON", e))
        return SLU_EBADREQUEST;
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- selectors */

struct sels {
    struct kube_label_selector *ls;
    struct kube_field_selector *fs;
};

static void sels_release(struct sels *s)
{
    kube_label_selector_free(s->ls);
    kube_field_selector_free(s->fs);
    memset(s, 0, sizeof *s);
}

static int parse_sels(struct sim_req *r, const struct sim_rtype *rt, struct sels *s,
                      struct slu_err *e)
{
    memset(s, 0, sizeof *s);
    const char *l = sim_req_query(r, "labelSelector");
    const char *f = sim_req_query(r, "fieldSelector");
    struct slu_err pe = {0};
    if (l && *l && kube_label_selector_parse(l, &s->ls, &pe) != 0) {
        /* the selector parser already words most of its errors this way */
        static const char pfx[] = "unable to parse requirement: ";
        bad_request(e, "%s%s", slu_str_has_prefix(pe.msg, pfx) ? "" : pfx, pe.msg);
        slu_err_release(&pe);
        return SLU_EBADREQUEST;
    }
    if (f && *f) {
        if (kube_field_selector_parse(f, &s->fs, &pe) != 0) {
            bad_request(e, "invalid field selector: %s", pe.msg);
            slu_err_release(&pe);
            sels_release(s);
            return SLU_EBADREQUEST;
        }
        const char *allowed[32];
        size_t n = 0;
        allowed[n++] = "metadata.name";
        allowed[n++] = "metadata.namespace";
        for (size_t i = 0; rt->field_labels && rt->field_labels[i] && n < 31; i++)
            allowed[n++] = rt->field_labels[i];
        allowed[n] = NULL;
        if (kube_field_selector_check(s->fs, allowed, &pe) != 0) {
            bad_request(e, "%s", pe.msg);
            slu_err_release(&pe);
            sels_release(s);
            return SLU_EBADREQUEST;
        }
    }
    return 0;
}

static bool sels_match(const struct sels *s, const json_t *obj)
{
    if (s->ls && !kube_label_selector_matches(
                     s->ls, json_object_get(json_object_get(obj, "metadata"), "labels")))
        return false;
    if (s->fs && !kube_field_selector_matches(s->fs, obj))
        return false;
    return true;
}

/* ---------------------------------------------------------------- streams registry */

static void stream_register(struct sim *sim, struct sim_stream *s)
{
    pthread_mutex_lock(&sim->streams_mu);
    slu_vec_push(&sim->streams, s);
    pthread_mutex_unlock(&sim->streams_mu);
}

static void stream_unregister(struct sim *sim, struct sim_stream *s)
{
    pthread_mutex_lock(&sim->streams_mu);
    for (size_t i = 0; i < sim->streams.len; i++) {
        if (sim->streams.items[i] == s) {
            slu_vec_remove_at(&sim->streams, i);
            break;
        }
    }
    pthread_mutex_unlock(&sim->streams_mu);
}

void sim_streams_cancel(struct sim *s)
{
    pthread_mutex_lock(&s->streams_mu);
    for (size_t i = 0; i < s->streams.len; i++) {
        struct sim_stream *x = s->streams.items[i];
        atomic_store(&x->canceled, true);
        if (x->w)
            sim_watcher_cancel(x->w);
    }
    pthread_mutex_unlock(&s->streams_mu);
}

static bool client_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
        return true;
    return false;
}

static int conn_fd(struct MHD_Connection *c)
{
    if (!c)
        return -1; /* sim__handle_request: no socket */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* ---------------------------------------------------------------- watch */

struct wstream {
    struct sim_stream base;
    struct sim *sim;
    const struct sim_rtype *rt;
    struct sels sels;
    json_t *initial; /* items to send as ADDED first, or NULL */
    size_t init_idx;
    bool table;
    char include[16];
    bool bookmarks;
    int64_t deadline_ns, next_bm_ns, cut_ns;
    struct slu_buf out;
    size_t off;
    bool done, abort;
    int fd;
    char av[256];
};

static void ws_emit(struct wstream *ws, const char *type, json_t *obj /* borrowed */)
{
    json_t *o = obj;
    json_t *tbl = NULL;
    if (ws->table && strcmp(type, "BOOKMARK") && strcmp(type, "ERROR")) {
        tbl = sim_table(ws->rt, obj, ws->include);
        o = tbl;
    }
    json_t *ev = json_pack("{s:s,s:O}", "type", type, "object", o);
    char *s = json_dumps(ev, JSON_COMPACT);
    if (s) {
        slu_buf_puts(&ws->out, s);
        slu_buf_putc(&ws->out, '\n');
        free(s);
    }
    json_decref(ev);
    json_decref(tbl);
}

static void ws_bookmark(struct wstream *ws, uint64_t rv)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)rv);
    json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "kind", ws->rt->kind, "apiVersion", ws->av,
                          "metadata", "resourceVersion", b);
    ws_emit(ws, "BOOKMARK", o);
    json_decref(o);
}

static void ws_error_gone(struct wstream *ws, const char *msg)
{
    json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                           "metadata", "status", "Failure", "message", msg, "reason", "Expired",
                           "code", 410);
    ws_emit(ws, "ERROR", st);
    json_decref(st);
}

static void ws_event(struct wstream *ws, struct sim_event *ev)
{
    bool now_m = sels_match(&ws->sels, ev->obj);
    if (!strcmp(ev->type, "ADDED")) {
        if (now_m)
            ws_emit(ws, "ADDED", ev->obj);
    } else if (!strcmp(ev->type, "DELETED")) {
        if (now_m)
            ws_emit(ws, "DELETED", ev->obj);
    } else {
        bool was_m = ev->old ? sels_match(&ws->sels, ev->old) : now_m;
        if (now_m && was_m) {
            ws_emit(ws, "MODIFIED", ev->obj);
        } else if (now_m) {
            ws_emit(ws, "ADDED", ev->obj);
        } else if (was_m) {
            json_t *c = json_copy(ev->old);
            json_t *m = json_copy(json_object_get(c, "metadata"));
            char b[32];
            snprintf(b, sizeof b, "%llu", (unsigned long long)ev->rv);
            json_object_set_new(m, "resourceVersion", json_string(b));
            json_object_set_new(c, "metadata", m);
            ws_emit(ws, "DELETED", c);
            json_decref(c);
        }
    }
}

/* Fills ws->out with the next piece of the stream, or sets done/abort. */
static void ws_produce(struct wstream *ws)
{
    if (ws->initial) {
        size_t n = json_array_size(ws->initial);
        for (int k = 0; k < 64 && ws->init_idx < n; k++, ws->init_idx++)
            ws_emit(ws, "ADDED", json_array_get(ws->initial, ws->init_idx));
        if (ws->init_idx >= n) {
            json_decref(ws->initial);
            ws->initial = NULL;
        }
        if (ws->out.len)
            return;
    }
    for (;;) {
        if (atomic_load(&ws->base.canceled)) {
            ws->abort = true;
            return;
        }
        int64_t now = slu_now_mono_ns();
        if (now >= ws->deadline_ns) {
            ws->done = true;
            return;
        }
        if (ws->cut_ns && now >= ws->cut_ns) {
            ws->abort = true;
            return;
        }
        if (client_gone(ws->fd)) {
            ws->abort = true;
            return;
        }
        int64_t until = ws->deadline_ns;
        if (ws->bookmarks && ws->next_bm_ns < until)
            until = ws->next_bm_ns;
        if (ws->cut_ns && ws->cut_ns < until)
            until = ws->cut_ns;
        int64_t wait_ms = (until - now) / 1000000 + 1;
        if (wait_ms > 1000)
            wait_ms = 1000;
        struct sim_event ev;
        int rc = sim_watcher_next(ws->base.w, &ev, wait_ms);
        if (rc == 0) {
            ws_event(ws, &ev);
            sim_event_release(&ev);
            if (ws->out.len)
                return;
            continue;
        }
        if (rc == SLU_EGONE) {
            ws_error_gone(ws, "The resourceVersion for the provided watch is too old.");
            ws->done = true;
            return;
        }
        if (rc == SLU_ECANCELED) {
            ws->abort = true;
            return;
        }
        now = slu_now_mono_ns();
        if (ws->bookmarks && now >= ws->next_bm_ns) {
            ws->next_bm_ns = now + ws->sim->bookmark_ms * 1000000LL;
            ws_bookmark(ws, sim_watcher_position(ws->base.w));
            return;
        }
    }
}

static ssize_t ws_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct wstream *ws = cls;
    while (ws->off >= ws->out.len) {
        slu_buf_reset(&ws->out);
        ws->off = 0;
        if (ws->abort)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (ws->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        ws_produce(ws);
        if (ws->out.len == 0 && ws->abort)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (ws->out.len == 0 && ws->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = SLU_MIN(max, ws->out.len - ws->off);
    memcpy(buf, ws->out.data + ws->off, n);
    ws->off += n;
    return (ssize_t)n;
}

static void ws_free(void *cls)
{
    struct wstream *ws = cls;
    stream_unregister(ws->sim, &ws->base);
    sim_watcher_free(ws->base.w);
    sels_release(&ws->sels);
    json_decref(ws->initial);
    slu_buf_release(&ws->out);
    free(ws);
}

static void do_watch(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                     const char *name, struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sels sels;
    if (parse_sels(r, rt, &sels, &e)) {
        reply_err(resp, &e);
        return;
    }
    if (name) {
        /* .../watch/.../name (legacy): a metadata.name selector */
        char fsel[300];
        snprintf(fsel, sizeof fsel, "metadata.name=%s", name);
        kube_field_selector_free(sels.fs);
        sels.fs = NULL;
        kube_field_selector_parse(fsel, &sels.fs, NULL);
    }
    const char *rvs = sim_req_query(r, "resourceVersion");
    uint64_t from = 0;
    if (rvs && *rvs && strcmp(rvs, "0") && slu_parse_u64(rvs, &from) != 0) {
        sels_release(&sels);
        bad_request(&e, "resourceVersion: Invalid value: \"%s\": must be a number", rvs);
        reply_err(resp, &e);
        return;
    }
    int64_t timeout_s = 1800;
    const char *ts = sim_req_query(r, "timeoutSeconds");
    if (ts && *ts) {
        int64_t v;
        if (slu_parse_i64(ts, &v) != 0 || v < 0) {
            sels_release(&sels);
            bad_request(&e, "timeoutSeconds: Invalid value: \"%s\"", ts);
            reply_err(resp, &e);
            return;
        }
        if (v > 0)
            timeout_s = v;
    }
    struct wstream *ws = slu_calloc(1, sizeof *ws);
    ws->sim = r->sim;
    ws->rt = rt;
    ws->sels = sels;
    ws->table = want_table(r);
    snprintf(ws->include, sizeof ws->include, "%s", include_object(r));
    ws->bookmarks = is_true(sim_req_query(r, "allowWatchBookmarks"));
    int64_t now = slu_now_mono_ns();
    ws->deadline_ns = now + timeout_s * 1000000000LL;
    ws->next_bm_ns = now + r->sim->bookmark_ms * 1000000LL;
    int64_t cut = r->sim->faults ? sim_faults_watch_cut_ms(r->sim->faults) : 0;
    ws->cut_ns = cut > 0 ? now + cut * 1000000LL : 0;
    ws->fd = conn_fd(r->conn);
    sim_rtype_api_version(rt, ws->av, sizeof ws->av);
    atomic_init(&ws->base.canceled, false);

    struct sim_store *st = r->sim->st;
    if (from == 0) {
        struct sim_list_opts lo = {.labels = sels.ls, .fields = sels.fs};
        json_t *list = NULL;
        if (sim_store_list(st, rt, ns, &lo, &list, &e) != 0) {
            ws_free(ws);
            reply_err(resp, &e);
            return;
        }
        from = 0;
        slu_parse_u64(slu_json_str(list, "metadata.resourceVersion"), &from);
        ws->initial = json_incref(json_object_get(list, "items"));
        json_decref(list);
    }
    int rc = sim_store_watch(st, rt, ns, from, &ws->base.w, &e);
    if (rc == SLU_EGONE) {
        ws_error_gone(ws, e.msg);
        ws->done = true;
        slu_err_release(&e);
    } else if (rc) {
        ws_free(ws);
        reply_err(resp, &e);
        return;
    }
    stream_register(r->sim, &ws->base);
    resp->stream =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, ws_read, ws, ws_free);
    if (!resp->stream) {
        ws_free(ws);
        sim_resp_status(resp, 500, "InternalError", "cannot create a stream");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}

/* ---------------------------------------------------------------- get / list */

/* resourceVersion on a get or list is served as "the current state" whatever it says, but it
 * must still be a resourceVersion: one that is not a number is a 400 naming it (a silent
 * 200 would hide a client bug). */
static int check_rv_param(struct sim_req *r, struct slu_err *e)
{
    const char *rvs = sim_req_query(r, "resourceVersion");
    uint64_t v;
    if (rvs && *rvs && slu_parse_u64(rvs, &v) != 0)
        return bad_request(e, "resourceVersion: Invalid value: \"%s\": must be a number", rvs);
    return 0;
}

static void do_get(struct sim_req *r, const struct sim_rtype *rt, const char *ns, const char *name,
                   struct sim_resp *resp)
{
    struct slu_err pe = {0};
    if (check_rv_param(r, &pe)) {
        reply_err(resp, &pe);
        return;
    }
    json_t *o = sim_store_get(r->sim->st, rt, ns, name);
    if (!o) {
        char res[256];
        sim_rtype_resource(rt, res, sizeof res);
        struct slu_err e = {0};
        slu_err_set(&e, SLU_ENOTFOUND, "%s \"%s\" not found", res, name);
        e.http_status = 404;
        slu_err_set_reason(&e, "NotFound");
        slu_strlcpy(e.kind, res, sizeof e.kind);
        slu_strlcpy(e.name, name, sizeof e.name);
        reply_err(resp, &e);
        return;
    }
    reply_obj(r, rt, 200, o, resp);
}

static void do_list(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                    struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sels sels;
    if (parse_sels(r, rt, &sels, &e)) {
        reply_err(resp, &e);
        return;
    }
    struct sim_list_opts lo = {.labels = sels.ls, .fields = sels.fs};
    const char *lim = sim_req_query(r, "limit");
    if (lim && *lim && (slu_parse_i64(lim, &lo.limit) != 0 || lo.limit < 0)) {
        sels_release(&sels);
        bad_request(&e, "limit: Invalid value: \"%s\"", lim);
        reply_err(resp, &e);
        return;
    }
    lo.continue_token = sim_req_query(r, "continue");
    if (check_rv_param(r, &e)) {
        sels_release(&sels);
        reply_err(resp, &e);
        return;
    }
    json_t *list = NULL;
    int rc = sim_store_list(r->sim->st, rt, ns, &lo, &list, &e);
    sels_release(&sels);
    if (rc) {
        reply_err(resp, &e);
        return;
    }
    reply_obj(r, rt, 200, list, resp);
}

/* ---------------------------------------------------------------- create / update */

static void do_create(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                      struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sim_write_opts wo;
    json_t *obj = NULL;
    if (write_opts(r, &wo, resp, &e) ||
        parse_body(r, slu_streq(wo.field_validation, "Strict"), &obj, &e)) {
        reply_err(resp, &e);
        return;
    }
    json_t *out = NULL;
    if (sim_store_create(r->sim->st, rt, ns, obj, &wo, &out, &e) != 0) {
        reply_err(resp, &e);
        return;
    }
    reply_obj(r, rt, 201, out, resp);
}

static void do_update(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                      const char *name, const char *sub, struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sim_write_opts wo;
    json_t *obj = NULL;
    if (write_opts(r, &wo, resp, &e) ||
        parse_body(r, slu_streq(wo.field_validation, "Strict"), &obj, &e)) {
        reply_err(resp, &e);
        return;
    }
    json_t *out = NULL;
    if (sim_store_update(r->sim->st, rt, ns, name, obj, sub, &wo, &out, &e) != 0) {
        reply_err(resp, &e);
        return;
    }
    reply_obj(r, rt, 200, out, resp);
}

/* ---------------------------------------------------------------- patch */

enum patch_kind { PATCH_MERGE, PATCH_JSON, PATCH_SMP, PATCH_APPLY };

struct patch_ctx {
    enum patch_kind kind;
    const json_t *patch;
};

static int patch_fn(void *ud, json_t *obj, struct slu_err *err)
{
    struct patch_ctx *p = ud;
    json_t *t = json_incref(obj);
    int rc = 0;
    struct slu_err pe = {0};
    switch (p->kind) {
    case PATCH_MERGE:
        slu_json_merge_patch(&t, p->patch);
        break;
    case PATCH_JSON:
        rc = slu_json_patch(&t, p->patch, &pe);
        break;
    case PATCH_SMP:
    case PATCH_APPLY:
        rc = sim_smp_apply(&t, p->patch, &pe);
        break;
    }
    if (rc) {
        slu_err_set(err, SLU_EINVAL, "%s", pe.msg);
        slu_err_release(&pe);
        if (err) {
            err->http_status = 422;
            slu_err_set_reason(err, "Invalid");
        }
        json_decref(t);
        return SLU_EINVAL;
    }
    if (t != obj) {
        if (!json_is_object(t)) {
            json_decref(t);
            slu_err_set(err, SLU_EINVAL, "the patch does not produce an object");
            if (err) {
                err->http_status = 422;
                slu_err_set_reason(err, "Invalid");
            }
            return SLU_EINVAL;
        }
        json_object_clear(obj);
        json_object_update(obj, t);
    }
    json_decref(t);
    return 0;
}

static void do_patch(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                     const char *name, const char *sub, struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sim_write_opts wo;
    if (write_opts(r, &wo, resp, &e)) {
        reply_err(resp, &e);
        return;
    }
    const char *ct = r->content_type ? r->content_type : "";
    struct patch_ctx pc = {0};
    if (slu_str_has_prefix(ct, "application/merge-patch+json"))
        pc.kind = PATCH_MERGE;
    else if (slu_str_has_prefix(ct, "application/json-patch+json"))
        pc.kind = PATCH_JSON;
    else if (slu_str_has_prefix(ct, "application/strategic-merge-patch+json") && !rt->is_crd)
        pc.kind = PATCH_SMP;
    else if (slu_str_has_prefix(ct, "application/apply-patch+yaml") ||
             slu_str_has_prefix(ct, "application/apply-patch+json"))
        pc.kind = PATCH_APPLY;
    else {
        slu_err_set(&e, SLU_EUNSUPPORTED,
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml%s",
                    rt->is_crd ? "" : ", application/strategic-merge-patch+json");
        e.http_status = 415;
        slu_err_set_reason(&e, "UnsupportedMediaType");
        reply_err(resp, &e);
        return;
    }
    json_t *patch = NULL;
    if (pc.kind == PATCH_APPLY) {
        struct slu_err ye = {0};
        if (r->body_len == 0 || slu_yaml_load_one(r->body, r->body_len, NULL, &patch, &ye)) {
            bad_request(&e, "error decoding YAML: %s", r->body_len ? ye.msg : "empty body");
            slu_err_release(&ye);
            reply_err(resp, &e);
            return;
        }
        if (!json_is_object(patch)) {
            json_decref(patch);
            bad_request(&e, "the apply configuration must be an object");
            reply_err(resp, &e);
            return;
        }
        if (rt->is_crd)
            pc.kind = PATCH_MERGE;
        const char *pn = slu_json_str(patch, "metadata.name");
        if (pn && strcmp(pn, name)) {
            bad_request(&e, "the name of the object (%s) does not match the name on the URL (%s)",
                        pn, name);
            json_decref(patch); /* after the message: it owns pn */
            reply_err(resp, &e);
            return;
        }
        /* create when absent */
        json_t *cur = sub ? NULL : sim_store_get(r->sim->st, rt, ns, name);
        if (!cur && !sub) {
            json_t *obj = slu_json_copy(patch);
            slu_json_set_str(obj, "metadata.name", name);
            json_t *out = NULL;
            int rc = sim_store_create(r->sim->st, rt, ns, obj, &wo, &out, &e);
            if (rc != SLU_EEXIST) {
                json_decref(patch);
                if (rc) {
                    reply_err(resp, &e);
                    return;
                }
                reply_obj(r, rt, 201, out, resp);
                return;
            }
            slu_err_release(&e);
        }
        json_decref(cur);
        /* apply configurations carry apiVersion/kind; keep them out of the merge */
    } else {
        if (r->body_len == 0) {
            bad_request(&e, "the request body is empty");
            reply_err(resp, &e);
            return;
        }
        json_error_t je;
        patch = json_loadb(r->body, r->body_len, 0, &je);
        if (!patch) {
            bad_request(&e, "error decoding patch: %s (line %d, column %d)", je.text, je.line,
                        je.column);
            reply_err(resp, &e);
            return;
        }
        if (check_depth(&patch, "patch", &e)) {
            reply_err(resp, &e);
            return;
        }
        if (pc.kind == PATCH_JSON && !json_is_array(patch)) {
            json_decref(patch);
            bad_request(&e, "json patch must be an array of operations");
            reply_err(resp, &e);
            return;
        }
        if (pc.kind == PATCH_SMP && !json_is_object(patch)) {
            json_decref(patch);
            bad_request(&e, "strategic merge patch must be a JSON object");
            reply_err(resp, &e);
            return;
        }
    }
    pc.patch = patch;
    json_t *out = NULL;
    int rc = sim_store_mutate_opts(r->sim->st, rt, ns, name, sub, &wo, patch_fn, &pc, &out, &e);
    json_decref(patch);
    if (rc) {
        reply_err(resp, &e);
        return;
    }
    reply_obj(r, rt, 200, out, resp);
}

/* ---------------------------------------------------------------- delete */

static int delete_opts_parse(struct sim_req *r, struct sim_delete_opts *o, json_t **body,
                             struct slu_err *e);

/* DeleteOptions from the body and the query. *body (returned owned, NULL on error) holds the
 * strings o borrows. */
static int delete_opts(struct sim_req *r, struct sim_delete_opts *o, json_t **body,
                       struct slu_err *e)
{
    int rc = delete_opts_parse(r, o, body, e);
    if (rc) {
        json_decref(*body); /* a bad query parameter after a good body */
        *body = NULL;
    }
    return rc;
}

static int delete_opts_parse(struct sim_req *r, struct sim_delete_opts *o, json_t **body,
                             struct slu_err *e)
{
    memset(o, 0, sizeof *o);
    o->grace_period_seconds = -1;
    *body = NULL;
    if (r->body_len > 0) {
        json_error_t je;
        json_t *b = json_loadb(r->body, r->body_len, 0, &je);
        if (!b || !json_is_object(b)) {
            json_decref(b);
            if (b)
                return bad_request(e, "error decoding DeleteOptions: not an object");
            return bad_request(e, "error decoding DeleteOptions: %s (line %d, column %d)", je.text,
                               je.line, je.column);
        }
        *body = b;
        o->propagation_policy = json_string_value(json_object_get(b, "propagationPolicy"));
        json_t *g = json_object_get(b, "gracePeriodSeconds");
        if (json_is_integer(g))
            o->grace_period_seconds = json_integer_value(g);
        o->precondition_uid = slu_json_str(b, "preconditions.uid");
        o->precondition_rv = slu_json_str(b, "preconditions.resourceVersion");
        json_t *orphan = json_object_get(b, "orphanDependents");
        if (json_is_true(orphan) && !o->propagation_policy)
            o->propagation_policy = "Orphan";
        json_t *dr = json_object_get(b, "dryRun");
        size_t i;
        json_t *v;
        json_array_foreach(dr, i, v)
        {
            if (slu_streq(json_string_value(v), "All"))
                o->dry_run = true;
        }
    }
    const char *pp = sim_req_query(r, "propagationPolicy");
    if (pp && *pp)
        o->propagation_policy = pp;
    const char *gp = sim_req_query(r, "gracePeriodSeconds");
    if (gp && *gp) {
        int64_t v;
        if (slu_parse_i64(gp, &v) != 0)
            return bad_request(e, "gracePeriodSeconds: Invalid value: \"%s\"", gp);
        o->grace_period_seconds = v;
    }
    const char *op = sim_req_query(r, "orphanDependents");
    if (is_true(op) && !o->propagation_policy)
        o->propagation_policy = "Orphan";
    const char *dr = sim_req_query(r, "dryRun");
    if (dr && *dr) {
        if (strcmp(dr, "All"))
            return bad_request(e, "Invalid dry run value: %s (only \"All\" is supported)", dr);
        o->dry_run = true;
    }
    return 0;
}

static void do_delete(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                      const char *name, struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sim_delete_opts o;
    json_t *body = NULL;
    if (delete_opts(r, &o, &body, &e)) {
        reply_err(resp, &e);
        return;
    }
    json_t *out = NULL;
    int rc = sim_store_delete(r->sim->st, rt, ns, name, &o, &out, &e);
    json_decref(body);
    if (rc) {
        reply_err(resp, &e);
        return;
    }
    int status = 200;
    if (out && !o.dry_run) {
        json_t *still = sim_store_get(r->sim->st, rt, ns, name);
        if (still &&
            slu_streq(slu_json_str(still, "metadata.uid"), slu_json_str(out, "metadata.uid")))
            status = 202;
        json_decref(still);
    }
    if (!out) {
        sim_resp_json(resp, 200,
                      json_pack("{s:s,s:s,s:{},s:s}", "kind", "Status", "apiVersion", "v1",
                                "metadata", "status", "Success"));
        return;
    }
    sim_resp_json(resp, status, out);
}

static void do_deletecollection(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                                struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sels sels;
    if (parse_sels(r, rt, &sels, &e)) {
        reply_err(resp, &e);
        return;
    }
    struct sim_delete_opts o;
    json_t *body = NULL;
    if (delete_opts(r, &o, &body, &e)) {
        sels_release(&sels);
        reply_err(resp, &e);
        return;
    }
    struct sim_list_opts lo = {.labels = sels.ls, .fields = sels.fs};
    json_t *list = NULL;
    if (sim_store_list(r->sim->st, rt, ns, &lo, &list, &e) != 0) {
        sels_release(&sels);
        json_decref(body);
        reply_err(resp, &e);
        return;
    }
    json_t *deleted = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it)
    {
        json_t *out = NULL;
        struct slu_err de = {0};
        const char *ons = slu_json_str(it, "metadata.namespace");
        if (sim_store_delete(r->sim->st, rt, ons, slu_json_str(it, "metadata.name"), &o, &out,
                             &de) == 0 &&
            out)
            json_array_append_new(deleted, out);
        slu_err_release(&de);
    }
    json_object_set_new(list, "items", deleted);
    sels_release(&sels);
    json_decref(body);
    sim_resp_json(resp, 200, list);
}

/* ---------------------------------------------------------------- pod subresources */

static void do_binding(struct sim_req *r, const char *ns, const char *name, struct sim_resp *resp)
{
    struct slu_err e = {0};
    json_t *b = NULL;
    if (parse_body(r, false, &b, &e)) {
        reply_err(resp, &e);
        return;
    }
    const char *node = slu_json_str(b, "target.name");
    int rc = sim_store_bind(r->sim->st, ns, name, node, &e);
    json_decref(b);
    if (rc) {
        reply_err(resp, &e);
        return;
    }
    sim_resp_json(resp, 201,
                  json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                            "metadata", "status", "Success", "code", 201));
}

/* "50%" of n (rounded up) or an integer. */
static int64_t int_or_percent(const json_t *v, int64_t n, bool round_up)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    const char *s = json_string_value(v);
    int64_t p = 0;
    if (s && slu_str_has_suffix(s, "%")) {
        char b[16];
        slu_strlcpy(b, s, sizeof b);
        b[strlen(b) - 1] = 0;
        if (slu_parse_i64(b, &p) == 0)
            return round_up ? (n * p + 99) / 100 : (n * p) / 100;
    }
    if (s && slu_parse_i64(s, &p) == 0)
        return p;
    return 0;
}

static bool pod_healthy(const json_t *pod)
{
    if (!slu_streq(slu_json_str(pod, "status.phase"), "Running"))
        return false;
    const json_t *c = kube_condition_find(pod, "Ready");
    return !c || slu_streq(json_string_value(json_object_get(c, "status")), "True");
}

static void do_eviction(struct sim_req *r, const char *ns, const char *name, struct sim_resp *resp)
{
    struct slu_err e = {0};
    json_t *b = NULL;
    if (r->body_len && parse_body(r, false, &b, &e)) {
        reply_err(resp, &e);
        return;
    }
    struct sim_store *st = r->sim->st;
    const struct sim_rtype *pods = sim_store_pods(st);
    json_t *pod = sim_store_get(st, pods, ns, name);
    if (!pod) {
        json_decref(b);
        slu_err_set(&e, SLU_ENOTFOUND, "pods \"%s\" not found", name);
        e.http_status = 404;
        slu_err_set_reason(&e, "NotFound");
        slu_strlcpy(e.kind, "pods", sizeof e.kind);
        slu_strlcpy(e.name, name, sizeof e.name);
        reply_err(resp, &e);
        return;
    }
    /* PodDisruptionBudgets that select the pod (only a healthy pod counts against them) */
    const struct sim_rtype *pdbt = sim_store_type(st, "policy", "v1", "poddisruptionbudgets");
    json_t *pdbs = NULL;
    if (pdbt && pod_healthy(pod) && sim_store_list(st, pdbt, ns, NULL, &pdbs, NULL) == 0) {
        size_t i;
        json_t *pdb;
        json_array_foreach(json_object_get(pdbs, "items"), i, pdb)
        {
            struct kube_label_selector *sel = NULL;
            if (kube_label_selector_from_json(slu_json_path(pdb, "spec.selector"), &sel, NULL))
                continue;
            bool sel_pod = !kube_label_selector_is_empty(sel) &&
                           kube_label_selector_matches(sel, slu_json_path(pod, "metadata.labels"));
            if (!sel_pod) {
                kube_label_selector_free(sel);
                continue;
            }
            struct sim_list_opts lo = {.labels = sel};
            json_t *pl = NULL;
            int64_t expected = 0, healthy = 0;
            if (sim_store_list(st, pods, ns, &lo, &pl, NULL) == 0) {
                size_t j;
                json_t *p;
                json_array_foreach(json_object_get(pl, "items"), j, p)
                {
                    const char *ph = slu_json_str(p, "status.phase");
                    if (slu_streq(ph, "Succeeded") || slu_streq(ph, "Failed"))
                        continue;
                    expected++;
                    if (pod_healthy(p))
                        healthy++;
                }
            }
            json_decref(pl);
            kube_label_selector_free(sel);
            int64_t desired;
            const json_t *minav = slu_json_path(pdb, "spec.minAvailable");
            const json_t *maxun = slu_json_path(pdb, "spec.maxUnavailable");
            if (maxun)
                desired = expected - int_or_percent(maxun, expected, true);
            else
                desired = minav ? int_or_percent(minav, expected, true) : 0;
            if (healthy - 1 < desired) {
                struct slu_err te = {0};
                slu_err_set(&te, SLU_ETOOMANY,
                            "Cannot evict pod as it would violate the pod's disruption budget.");
                te.http_status = 429;
                slu_err_set_reason(&te, "TooManyRequests");
                char msg[400];
                snprintf(msg, sizeof msg,
                         "The disruption budget %s needs %lld healthy pods and has %lld "
                         "currently",
                         slu_json_str(pdb, "metadata.name"), (long long)desired,
                         (long long)healthy);
                slu_err_add_cause(&te, "DisruptionBudget", NULL, msg);
                json_decref(pdbs);
                json_decref(pod);
                json_decref(b);
                reply_err(resp, &te);
                return;
            }
        }
    }
    json_decref(pdbs);
    json_decref(pod);
    struct sim_delete_opts o = {.grace_period_seconds = -1};
    const json_t *g = slu_json_path(b, "deleteOptions.gracePeriodSeconds");
    if (json_is_integer(g))
        o.grace_period_seconds = json_integer_value(g);
    o.precondition_uid = slu_json_str(b, "deleteOptions.preconditions.uid");
    o.precondition_rv = slu_json_str(b, "deleteOptions.preconditions.resourceVersion");
    int rc = sim_store_delete(st, pods, ns, name, &o, NULL, &e);
    json_decref(b);
    if (rc) {
        reply_err(resp, &e);
        return;
    }
    sim_resp_json(resp, 201,
                  json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                            "metadata", "status", "Success", "code", 201));
}

/* ---------------------------------------------------------------- pod log */

struct lstream {
    struct sim_stream base;
    struct sim *sim;
    char *ns, *pod, *container;
    bool previous, timestamps;
    size_t offset;
    struct slu_buf out;
    size_t off;
    struct slu_buf partial; /* an incomplete last line (timestamps mode) */
    bool done, abort;
    int fd;
};

/* Appends data to out, with an RFC 3339 timestamp before each line when ts. */
static void log_append(struct slu_buf *out, struct slu_buf *partial, const char *data, size_t n,
                       bool ts)
{
    if (!ts) {
        slu_buf_append(out, data, n);
        return;
    }
    slu_buf_append(partial, data, n);
    char stamp[48];
    slu_time_format_rfc3339_micro(slu_now_real_ns(), stamp, sizeof stamp);
    size_t start = 0;
    for (size_t i = 0; i < partial->len; i++) {
        if (partial->data[i] == '\n') {
            slu_buf_printf(out, "%s ", stamp);
            slu_buf_append(out, partial->data + start, i + 1 - start);
            start = i + 1;
        }
    }
    if (start > 0) {
        size_t rest = partial->len - start;
        memmove(partial->data, partial->data + start, rest);
        partial->len = rest;
        partial->data[rest] = 0;
    }
}

/* Keeps the last n lines of b. */
static void tail_lines(struct slu_buf *b, int64_t n)
{
    if (n < 0 || !b->len)
        return;
    size_t end = b->len;
    if (b->data[end - 1] == '\n')
        end--;
    int64_t seen = 0;
    size_t i = end;
    while (i > 0) {
        if (b->data[i - 1] == '\n') {
            if (++seen == n)
                break;
        }
        i--;
    }
    if (n == 0)
        i = b->len;
    memmove(b->data, b->data + i, b->len - i);
    b->len -= i;
    b->data[b->len] = 0;
}

static ssize_t ls_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct lstream *ls = cls;
    while (ls->off >= ls->out.len) {
        slu_buf_reset(&ls->out);
        ls->off = 0;
        if (ls->abort)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (ls->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (atomic_load(&ls->base.canceled) || client_gone(ls->fd)) {
            ls->abort = true;
            continue;
        }
        struct slu_buf chunk = {0};
        bool ended = false;
        int rc = sim_cluster_read_log(ls->sim->cluster, ls->ns, ls->pod, ls->container,
                                      ls->previous, ls->offset, &chunk, &ended, NULL);
        if (rc) {
            ls->done = true;
        } else {
            ls->offset += chunk.len;
            log_append(&ls->out, &ls->partial, chunk.data ? chunk.data : "", chunk.len,
                       ls->timestamps);
            if (ended) {
                if (ls->partial.len)
                    log_append(&ls->out, &ls->partial, "\n", 1, ls->timestamps);
                ls->done = true;
            }
        }
        slu_buf_release(&chunk);
        if (!ls->out.len && !ls->done)
            slu_sleep_ms(100);
    }
    size_t n = SLU_MIN(max, ls->out.len - ls->off);
    memcpy(buf, ls->out.data + ls->off, n);
    ls->off += n;
    return (ssize_t)n;
}

static void ls_free(void *cls)
{
    struct lstream *ls = cls;
    stream_unregister(ls->sim, &ls->base);
    free(ls->ns);
    free(ls->pod);
    free(ls->container);
    slu_buf_release(&ls->out);
    slu_buf_release(&ls->partial);
    free(ls);
}

static void do_log(struct sim_req *r, const char *ns, const char *name, struct sim_resp *resp)
{
    struct slu_err e = {0};
    struct sim_store *st = r->sim->st;
    json_t *pod = sim_store_get(st, sim_store_pods(st), ns, name);
    if (!pod) {
        slu_err_set(&e, SLU_ENOTFOUND, "pods \"%s\" not found", name);
        e.http_status = 404;
        slu_err_set_reason(&e, "NotFound");
        slu_strlcpy(e.kind, "pods", sizeof e.kind);
        slu_strlcpy(e.name, name, sizeof e.name);
        reply_err(resp, &e);
        return;
    }
    const char *container = sim_req_query(r, "container");
    const json_t *cs = slu_json_path(pod, "spec.containers");
    if (!container || !*container) {
        if (json_array_size(cs) > 1) {
            struct slu_buf names = {0};
            size_t i;
            const json_t *c;
            json_array_foreach(cs, i, c)
            {
                if (i)
                    slu_buf_putc(&names, ' ');
                slu_buf_puts(&names, json_string_value(json_object_get(c, "name")));
            }
            bad_request(&e, "a container name must be specified for pod %s, choose one of: [%s]",
                        name, names.data ? names.data : "");
            slu_buf_release(&names);
            json_decref(pod);
            reply_err(resp, &e);
            return;
        }
        container = slu_json_str(json_array_get(cs, 0), "name");
    } else {
        bool found = false;
        static const char *const lists[] = {"spec.containers", "spec.initContainers"};
        for (size_t l = 0; l < 2; l++) {
            size_t i;
            const json_t *c;
            json_array_foreach(slu_json_path(pod, lists[l]), i, c)
            {
                if (slu_streq(json_string_value(json_object_get(c, "name")), container))
                    found = true;
            }
        }
        if (!found) {
            bad_request(&e, "container %s is not valid for pod %s", container, name);
            json_decref(pod);
            reply_err(resp, &e);
            return;
        }
    }
    bool follow = is_true(sim_req_query(r, "follow"));
    bool previous = is_true(sim_req_query(r, "previous"));
    bool timestamps = is_true(sim_req_query(r, "timestamps"));
    int64_t tail = -1;
    const char *tl = sim_req_query(r, "tailLines");
    if (tl && *tl && (slu_parse_i64(tl, &tail) != 0 || tail < 0)) {
        json_decref(pod);
        bad_request(&e, "tailLines: Invalid value: \"%s\": must be a number >= 0", tl);
        reply_err(resp, &e);
        return;
    }
    int64_t limit_bytes = -1;
    const char *lb = sim_req_query(r, "limitBytes");
    if (lb && *lb && (slu_parse_i64(lb, &limit_bytes) != 0 || limit_bytes < 1)) {
        json_decref(pod);
        bad_request(&e, "limitBytes: Invalid value: \"%s\": must be greater than 0", lb);
        reply_err(resp, &e);
        return;
    }
    struct slu_buf data = {0};
    bool ended = true;
    int rc = SLU_ENOTFOUND;
    if (r->sim->cluster)
        rc = sim_cluster_read_log(r->sim->cluster, ns, name, container, previous, 0, &data, &ended,
                                  &e);
    if (rc) {
        const char *phase = slu_json_str(pod, "status.phase");
        slu_err_release(&e);
        if (slu_streq(phase, "Pending") || !phase)
            bad_request(&e,
                        "container \"%s\" in pod \"%s\" is waiting to start: "
                        "ContainerCreating",
                        container ? container : "", name);
        else if (previous)
            bad_request(&e, "previous terminated container \"%s\" in pod \"%s\" not found",
                        container ? container : "", name);
        else
            bad_request(&e, "container \"%s\" in pod \"%s\" has no log", container ? container : "",
                        name);
        json_decref(pod);
        slu_buf_release(&data);
        reply_err(resp, &e);
        return;
    }
    json_decref(pod);
    size_t offset = data.len;
    tail_lines(&data, tail);
    struct slu_buf first = {0}, partial = {0};
    log_append(&first, &partial, data.data ? data.data : "", data.len, timestamps);
    slu_buf_release(&data);
    if (!follow || ended) {
        if (partial.len)
            log_append(&first, &partial, "\n", 1, timestamps);
        if (limit_bytes >= 0 && first.len > (size_t)limit_bytes) {
            first.len = (size_t)limit_bytes;
            if (first.data)
                first.data[first.len] = 0;
        }
        resp->status = 200;
        resp->len = first.len;
        resp->body = first.data ? slu_buf_steal(&first) : slu_strdup("");
        resp->content_type = "text/plain";
        slu_buf_release(&partial);
        return;
    }
    struct lstream *ls = slu_calloc(1, sizeof *ls);
    atomic_init(&ls->base.canceled, false);
    ls->sim = r->sim;
    ls->ns = slu_strdup(ns);
    ls->pod = slu_strdup(name);
    ls->container = slu_strdup(container);
    ls->previous = previous;
    ls->timestamps = timestamps;
    ls->offset = offset;
    ls->out = first;
    ls->partial = partial;
    ls->fd = conn_fd(r->conn);
    stream_register(r->sim, &ls->base);
    resp->stream =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, ls_read, ls, ls_free);
    if (!resp->stream) {
        ls_free(ls);
        sim_resp_status(resp, 500, "InternalError", "cannot create a stream");
        return;
    }
    resp->status = 200;
    resp->content_type = "text/plain";
}

/* ---------------------------------------------------------------- dispatch */

static void method_not_allowed(struct sim_resp *resp)
{
    sim_resp_status(resp, 405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource");
}

void sim_handle_resource(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                         const char *name, const char *sub, bool legacy_watch,
                         struct sim_resp *resp)
{
    const char *m = r->method;
    bool is_pods = !*rt->group && !strcmp(rt->plural, "pods");
    if (sub && is_pods && !strcmp(sub, "log")) {
        if (strcmp(m, "GET"))
            method_not_allowed(resp);
        else
            do_log(r, ns, name, resp);
        return;
    }
    if (sub && is_pods && !strcmp(sub, "binding")) {
        if (strcmp(m, "POST"))
            method_not_allowed(resp);
        else
            do_binding(r, ns, name, resp);
        return;
    }
    if (sub && is_pods && !strcmp(sub, "eviction")) {
        if (strcmp(m, "POST"))
            method_not_allowed(resp);
        else
            do_eviction(r, ns, name, resp);
        return;
    }
    if (sub && strcmp(sub, "status")) {
        sim_resp_status(resp, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    if (!strcmp(m, "GET")) {
        const char *w = sim_req_query(r, "watch");
        if (legacy_watch || is_true(w))
            do_watch(r, rt, ns, name, resp);
        else if (name)
            do_get(r, rt, ns, name, resp);
        else
            do_list(r, rt, ns, resp);
    } else if (!strcmp(m, "POST")) {
        if (name)
            method_not_allowed(resp);
        else
            do_create(r, rt, ns, resp);
    } else if (!strcmp(m, "PUT")) {
        if (!name)
            method_not_allowed(resp);
        else
            do_update(r, rt, ns, name, sub, resp);
    } else if (!strcmp(m, "PATCH")) {
        if (!name)
            method_not_allowed(resp);
        else
            do_patch(r, rt, ns, name, sub, resp);
    } else if (!strcmp(m, "DELETE")) {
        if (sub)
            method_not_allowed(resp);
        else if (name)
            do_delete(r, rt, ns, name, resp);
        else
            do_deletecollection(r, rt, ns, resp);
    } else {
        method_not_allowed(resp);
    }
}
