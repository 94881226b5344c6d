/*
 * watch.c - one watch stream: GET ...?watch=1 answered with a chunked body holding one JSON event
 * a line ({"type":..., "object":...}). The body is fed through a line splitter (16 MiB cap per
 * line: one object, however large, fits; a runaway line is an error, not a crash), each line is
 * parsed and handed to the caller's callback. An ERROR event is passed to the callback, then ends
 * the watch with the Status mapped to an error (410 Expired/Gone -> SLU_EGONE, which tells an
 * informer to relist). The stop flag is checked by curl's progress callback (about once a second
 * when the stream is idle) and between events, so a stop ends the stream promptly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client_priv.h"

#define WATCH_MAX_LINE ((size_t)16 << 20)

int kube__lines_feed(struct kube__lines *l, const char *data, size_t n,
                     bool (*fn)(void *ud, const char *line, size_t len), void *ud)
{
    size_t max = l->max_line ? l->max_line : WATCH_MAX_LINE;
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (l->buf.len + take > max)
            return SLU_ETOOBIG;
        if (!nl) {
            slu_buf_append(&l->buf, data, take);
            return 0;
        }
        const char *line;
        size_t len;
        if (l->buf.len == 0) { /* the whole line is in this chunk: no copy */
            line = data;
            len = take;
        } else {
            slu_buf_append(&l->buf, data, take);
            line = l->buf.data;
            len = l->buf.len;
        }
        if (len > 0 && line[len - 1] == '\r')
            len--;
        bool go = true;
        if (len > 0) {
            size_t i = 0; /* skip lines of blanks */
            while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
            if (i < len)
                go = fn(ud, line, len);
        }
        slu_buf_reset(&l->buf);
        data += take + 1;
        n -= take + 1;
        if (!go)
            return SLU_ECANCELED;
    }
    return 0;
}

void kube__lines_release(struct kube__lines *l)
{
    slu_buf_release(&l->buf);
}

int kube__watch_parse_event(const char *line, size_t len, char type[16], json_t **obj,
                            struct slu_err *err)
{
    return kube__watch_parse_event_sel(line, len, NULL, 0, type, obj, err);
}

int kube__watch_parse_event_sel(const char *line, size_t len, const char *const *sel, size_t nsel,
                                char type[16], json_t **obj, struct slu_err *err)
{
    *obj = NULL;
    type[0] = '\0';
    json_t *ev = NULL;
    int rc;
    if (sel && len <= WATCH_MAX_LINE) {
        rc = slu_json_parse_select(line, len, sel, nsel, &ev, err);
        if (rc == 0 && slu_streq(slu_json_str(ev, "type"), "ERROR")) {
            json_decref(ev); /* a Status: wanted whole */
            ev = NULL;
            rc = slu_json_parse(line, len, WATCH_MAX_LINE, &ev, err);
        }
    } else if (len <= WATCH_MAX_LINE) {
        /* the whole event, built by the scanner: same values as json_loadb, about 3x faster */
        static const char *const whole[] = {""};
        rc = slu_json_parse_select(line, len, whole, 1, &ev, err);
    } else {
        rc = slu_err_set(err, SLU_ETOOBIG, "watch event of %zu bytes exceeds the limit of %zu", len,
                         WATCH_MAX_LINE);
    }
    if (rc == SLU_EINVAL) { /* the scanner's "malformed": a parse error, as slu_json_parse */
        rc = SLU_EPARSE;
        if (err)
            err->code = SLU_EPARSE;
    }
    if (rc < 0) {
        slu_err_prefix(err, "watch event is not JSON");
        return rc;
    }
    const char *t = slu_json_str(ev, "type");
    json_t *o = json_object_get(ev, "object");
    if (!t || !*t) {
        json_decref(ev);
        return slu_err_set(err, SLU_EPARSE, "watch event has no type");
    }
    if (strcmp(t, "ADDED") != 0 && strcmp(t, "MODIFIED") != 0 && strcmp(t, "DELETED") != 0 &&
        strcmp(t, "BOOKMARK") != 0 && strcmp(t, "ERROR") != 0) {
        rc = slu_err_set(err, SLU_EPARSE, "watch event has an unknown type \"%.32s\"", t);
        json_decref(ev);
        return rc;
    }
    if (!json_is_object(o)) {
        rc = slu_err_set(err, SLU_EPARSE, "watch event %s has no object", t);
        json_decref(ev);
        return rc;
    }
    slu_strlcpy(type, t, 16);
    *obj = json_incref(o);
    json_decref(ev);
    return 0;
}

char *kube__watch_path(const struct kube_resource *r, const char *ns,
                       const struct kube_watch_opts *o)
{
    struct slu_buf b = {0};
    char *base = kube_resource_path(r, r->namespaced ? ns : NULL, NULL, NULL);
    slu_buf_puts(&b, base);
    free(base);
    kube__query_add(&b, "watch", "1");
    if (o) {
        kube__query_add(&b, "labelSelector", o->label_selector);
        kube__query_add(&b, "fieldSelector", o->field_selector);
        kube__query_add(&b, "resourceVersion", o->resource_version);
        if (o->allow_bookmarks)
            kube__query_add(&b, "allowWatchBookmarks", "true");
        if (o->timeout_seconds > 0) {
            char n[24];
            snprintf(n, sizeof(n), "%d", o->timeout_seconds);
            kube__query_add(&b, "timeoutSeconds", n);
        }
    }
    return slu_buf_steal(&b);
}

struct watch_ctx {
    struct kube__lines lines;
    kube_watch_fn cb;
    bool (*raw_cb)(void *ud, const char *type, json_t *object, const char *raw, size_t raw_len);
    const char *const *sel; /* event paths ("type", "object.…"), or NULL */
    size_t nsel;
    void *ud;
    const atomic_bool *stop;
    int result;      /* set when an event ends the watch */
    bool cb_stopped; /* the callback returned false */
    struct slu_err *err;
};

static bool on_line(void *ud, const char *line, size_t len)
{
    struct watch_ctx *w = ud;
    char type[16];
    json_t *obj = NULL;
    int rc = kube__watch_parse_event_sel(line, len, w->sel, w->nsel, type, &obj, w->err);
    if (rc < 0) {
        w->result = rc;
        return false;
    }
    bool go;
    if (w->raw_cb) {
        const char *raw = NULL;
        size_t raw_len = 0;
        if (slu_json_span(line, len, "object", &raw, &raw_len) != 0)
            raw = NULL, raw_len = 0;
        go = w->raw_cb(w->ud, type, obj, raw, raw_len);
    } else {
        go = w->cb(w->ud, type, obj);
    }
    if (strcmp(type, "ERROR") == 0) {
        /* the object is a Status */
        char *s = slu_json_dumps(obj);
        int code = (int)slu_json_int(obj, "code", 500);
        w->result = kube__status_to_err(code, s, strlen(s), NULL, w->err);
        free(s);
        if (w->result == 0)
            w->result = SLU_ESERVER;
        json_decref(obj);
        return false;
    }
    json_decref(obj);
    if (!go) {
        w->cb_stopped = true;
        return false;
    }
    if (w->stop && atomic_load(w->stop)) {
        w->result = SLU_ECANCELED;
        return false;
    }
    return true;
}

static bool on_data(void *ud, const char *data, size_t n)
{
    struct watch_ctx *w = ud;
    int rc = kube__lines_feed(&w->lines, data, n, on_line, w);
    if (rc == SLU_ETOOBIG) {
        w->result = slu_err_set(w->err, SLU_ETOOBIG, "watch event larger than %zu bytes",
                                w->lines.max_line);
        return false;
    }
    return rc == 0;
}

int kube_watch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const struct kube_watch_opts *opts, kube_watch_fn cb, void *ud,
               const atomic_bool *stop, struct slu_err *err)
{
    struct slu_err local = {0};
    struct slu_err *e = err ? err : &local;
    char *path = kube__watch_path(r, ns, opts);
    struct watch_ctx w = {
        .lines = {.max_line = WATCH_MAX_LINE}, .cb = cb, .ud = ud, .stop = stop, .err = e};
    struct slu_vec sel = {0};
    if (opts && opts->raw_cb)
        w.raw_cb = opts->raw_cb;
    if (opts && opts->select) {
        static const char *const always[] = {"type",
                                             "object.apiVersion",
                                             "object.kind",
                                             "object.metadata.name",
                                             "object.metadata.namespace",
                                             "object.metadata.uid",
                                             "object.metadata.resourceVersion",
                                             "object.metadata.deletionTimestamp"};
        for (size_t i = 0; i < SLU_ARRAY_LEN(always); i++)
            slu_vec_push(&sel, slu_strdup(always[i]));
        for (size_t i = 0; i < opts->nselect; i++)
            slu_vec_push(&sel, slu_asprintf("object.%s", opts->select[i]));
        w.sel = (const char *const *)sel.items;
        w.nsel = sel.len;
    }
    struct kube__req rq = {.method = "GET",
                           .path_query = path,
                           .retry = KUBE__RETRY_NONE,
                           .timeout_ms = -1,
                           .on_data = on_data,
                           .ud = &w,
                           .stop = stop};
    int rc = kube__do(c, &rq, NULL, NULL, NULL, e);
    if (rc == SLU_ECANCELED || rc == 0) {
        if (w.result < 0)
            rc = w.result; /* message already in e */
        else if (w.cb_stopped)
            rc = 0;
        else if (stop && atomic_load(stop))
            rc = slu_err_set(e, SLU_ECANCELED, "watch stopped");
    }
    if (rc == 0)
        slu_err_release(e);
    kube__lines_release(&w.lines);
    slu_vec_release(&sel, free);
    free(path);
    slu_err_release(&local);
    return rc;
}
