/*
 * table.c - server-side printing: meta.k8s.io/v1 Table answers for kubectl, and the small
 * JSONPath subset that CRD additionalPrinterColumns use.
 *
 * How it works: a printer is chosen by (group, kind). Custom resources get the real CRD table
 * convertor's columns: "Name" then the CRD's additionalPrinterColumns (or a single "Age" date
 * column when it declares none), cells typed as the real convertor types them (date columns are
 * turned into ages like "5m", string columns print any value as text). Built-in kinds get the
 * columns of the real printers (k8s.io/kubernetes/pkg/printers/internalversion): pods NAME READY
 * STATUS RESTARTS AGE + IP NODE NOMINATED NODE READINESS GATES (priority 1), nodes, namespaces,
 * config maps, secrets, services, events, leases, ...; any other kind gets the default convertor's
 * Name + "Created At". Like the real server, every column is always sent (kubectl drops priority >
 * 0 ones unless -o wide). Ages are computed against one "now" per table (HumanDuration rules).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/parts.h"

/* Exposed for tests only (see tests/unit/sim/test_table.c). */
json_t *sim__table_at(const struct sim_rtype *rt, const json_t *obj_or_list,
                      const char *include_object, int64_t now_unix);
void sim__human_duration(int64_t seconds, char *buf, size_t n);

#define JSONPATH_MAX 512

static const char desc_name[] =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/"
    "names#names";
static const char desc_created[] =
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the "
    "system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#metadata";

/* ---------------------------------------------------------------- JSONPath */

/* Parses a literal in a filter: 'x', "x", number, true/false. Returns owned json or NULL. */
static json_t *parse_literal(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0])
        return json_stringn(s + 1, n - 2);
    char *tmp = slu_strndup(s, n);
    json_t *out = NULL;
    int64_t i;
    double d;
    if (strcmp(tmp, "true") == 0)
        out = json_true();
    else if (strcmp(tmp, "false") == 0)
        out = json_false();
    else if (strcmp(tmp, "null") == 0)
        out = json_null();
    else if (slu_parse_i64(tmp, &i) == 0)
        out = json_integer(i);
    else if (slu_parse_double(tmp, &d) == 0)
        out = json_real(d);
    free(tmp);
    return out;
}

static bool literal_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return false;
    return slu_json_equal(a, b);
}

/* Evaluates a filter body "@.a.b == 'x'" (or "@.a" for existence) on el. */
static bool filter_matches(const json_t *el, const char *expr, size_t n)
{
    const char *op = NULL;
    size_t oplen = 0;
    bool neg = false;
    for (size_t i = 0; i + 1 < n; i++) {
        if ((expr[i] == '=' || expr[i] == '!') && expr[i + 1] == '=') {
            op = expr + i;
            oplen = 2;
            neg = expr[i] == '!';
            break;
        }
    }
    size_t lhs_len = op ? (size_t)(op - expr) : n;
    while (lhs_len > 0 && isspace((unsigned char)expr[lhs_len - 1]))
        lhs_len--;
    const char *lhs = expr;
    while (lhs_len > 0 && isspace((unsigned char)*lhs)) {
        lhs++;
        lhs_len--;
    }
    if (lhs_len == 0 || lhs[0] != '@')
        return false;
    char *sub = slu_strndup(lhs + 1, lhs_len - 1);
    const json_t *v = *sub ? sim_jsonpath(el, sub) : el;
    free(sub);
    if (!op)
        return v != NULL;
    json_t *lit = parse_literal(op + oplen, n - (size_t)(op + oplen - expr));
    bool eq = literal_equal(v, lit);
    json_decref(lit);
    return neg ? !eq : eq;
}

const json_t *sim_jsonpath(const json_t *obj, const char *path)
{
    if (!obj || !path)
        return NULL;
    size_t n = strlen(path);
    if (n > JSONPATH_MAX)
        return NULL;
    const char *p = path;
    const char *end = path + n;
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (p < end && *p == '{' && end[-1] == '}') {
        p++;
        end--;
    }
    if (p < end && *p == '$')
        p++;
    const json_t *cur = obj;
    while (p < end && cur) {
        if (*p == '.') {
            p++;
            if (p < end && *p == '.')
                return NULL; /* recursive descent: not supported */
            const char *s = p;
            while (p < end && *p != '.' && *p != '[')
                p++;
            if (p == s)
                continue; /* "." alone: the current node */
            if (!json_is_object(cur))
                return NULL;
            char *key = slu_strndup(s, (size_t)(p - s));
            cur = json_object_get(cur, key);
            free(key);
        } else if (*p == '[') {
            p++;
            if (p < end && (*p == '\'' || *p == '"')) {
                char q = *p++;
                struct slu_buf key = {0};
                while (p < end && *p != q) {
                    if (*p == '\\' && p + 1 < end)
                        p++;
                    slu_buf_putc(&key, *p);
                    p++;
                }
                if (p >= end || p + 1 >= end || p[1] != ']') {
                    slu_buf_release(&key);
                    return NULL;
                }
                p += 2;
                cur = json_is_object(cur) ? json_object_get(cur, key.data ? key.data : "") : NULL;
                slu_buf_release(&key);
            } else if (p < end && *p == '?') {
                /* [?(@.k == 'v')]: the first matching element */
                const char *close = NULL;
                int depth = 0;
                for (const char *q = p; q < end; q++) {
                    if (*q == '(')
                        depth++;
                    else if (*q == ')' && --depth == 0) {
                        close = q;
                        break;
                    }
                }
                if (!close || close + 1 >= end || close[1] != ']' || p + 1 >= end || p[1] != '(')
                    return NULL;
                const char *expr = p + 2;
                size_t elen = (size_t)(close - expr);
                const json_t *found = NULL;
                if (json_is_array(cur)) {
                    size_t i;
                    const json_t *el;
                    json_array_foreach(cur, i, el)
                    {
                        if (filter_matches(el, expr, elen)) {
                            found = el;
                            break;
                        }
                    }
                }
                cur = found;
                p = close + 2;
            } else {
                const char *s = p;
                while (p < end && *p != ']')
                    p++;
                if (p >= end)
                    return NULL;
                char *idx = slu_strndup(s, (size_t)(p - s));
                p++;
                int64_t i;
                if (strcmp(idx, "*") == 0) {
                    /* the first result, as printer columns show results[0][0] */
                    if (json_is_array(cur))
                        cur = json_array_get(cur, 0);
                    else if (json_is_object(cur)) {
                        void *it = json_object_iter((json_t *)cur);
                        cur = it ? json_object_iter_value(it) : NULL;
                    } else
                        cur = NULL;
                } else if (slu_parse_i64(idx, &i) == 0 && json_is_array(cur)) {
                    int64_t len = (int64_t)json_array_size(cur);
                    if (i < 0)
                        i += len;
                    cur = (i >= 0 && i < len) ? json_array_get(cur, (size_t)i) : NULL;
                } else {
                    cur = NULL; /* slices and the like: not supported */
                }
                free(idx);
            }
        } else {
            /* a bare first name ("status.x") */
            const char *s = p;
            while (p < end && *p != '.' && *p != '[')
                p++;
            if (!json_is_object(cur))
                return NULL;
            char *key = slu_strndup(s, (size_t)(p - s));
            cur = json_object_get(cur, key);
            free(key);
        }
    }
    return cur;
}

/* ---------------------------------------------------------------- helpers */

void sim__human_duration(int64_t seconds, char *buf, size_t n)
{
    if (seconds < -1) {
        snprintf(buf, n, "<invalid>");
        return;
    }
    if (seconds < 0) {
        snprintf(buf, n, "0s");
        return;
    }
    if (seconds < 60 * 2) {
        snprintf(buf, n, "%" PRId64 "s", seconds);
        return;
    }
    int64_t minutes = seconds / 60;
    if (minutes < 10) {
        int64_t s = seconds % 60;
        if (s == 0)
            snprintf(buf, n, "%" PRId64 "m", minutes);
        else
            snprintf(buf, n, "%" PRId64 "m%" PRId64 "s", minutes, s);
        return;
    }
    if (minutes < 60 * 3) {
        snprintf(buf, n, "%" PRId64 "m", minutes);
        return;
    }
    int64_t hours = seconds / 3600;
    if (hours < 8) {
        int64_t m = minutes % 60;
        if (m == 0)
            snprintf(buf, n, "%" PRId64 "h", hours);
        else
            snprintf(buf, n, "%" PRId64 "h%" PRId64 "m", hours, m);
        return;
    }
    if (hours < 48) {
        snprintf(buf, n, "%" PRId64 "h", hours);
        return;
    }
    if (hours < 24 * 8) {
        int64_t h = hours % 24;
        if (h == 0)
            snprintf(buf, n, "%" PRId64 "d", hours / 24);
        else
            snprintf(buf, n, "%" PRId64 "d%" PRId64 "h", hours / 24, h);
        return;
    }
    if (hours < 24 * 365 * 2) {
        snprintf(buf, n, "%" PRId64 "d", hours / 24);
        return;
    }
    if (hours < 24 * 365 * 8) {
        int64_t dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(buf, n, "%" PRId64 "y", hours / 24 / 365);
        else
            snprintf(buf, n, "%" PRId64 "y%" PRId64 "d", hours / 24 / 365, dy);
        return;
    }
    snprintf(buf, n, "%" PRId64 "y", hours / 24 / 365);
}

/* translateTimestampSince: "<unknown>" for a missing or unparsable timestamp. */
static json_t *age_cell(const char *ts, int64_t now)
{
    int64_t ns;
    if (!ts || !*ts || slu_time_parse_rfc3339(ts, &ns) != 0)
        return json_string("<unknown>");
    char buf[32];
    int64_t secs = now - ns / 1000000000;
    if (ns < 0 && ns % 1000000000 != 0)
        secs += 1;
    sim__human_duration(secs, buf, sizeof(buf));
    return json_string(buf);
}

static const char *str_or(const json_t *obj, const char *path, const char *dflt)
{
    const char *s = slu_json_str(obj, path);
    return s && *s ? s : dflt;
}

static json_t *coldef(const char *name, const char *type, const char *format, const char *desc,
                      int priority)
{
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(name));
    json_object_set_new(c, "type", json_string(type));
    json_object_set_new(c, "format", json_string(format ? format : ""));
    json_object_set_new(c, "description", json_string(desc ? desc : ""));
    json_object_set_new(c, "priority", json_integer(priority));
    return c;
}

static void join_strings(struct slu_buf *b, const json_t *arr, const char *sep)
{
    size_t i;
    const json_t *el;
    bool first = true;
    json_array_foreach(arr, i, el)
    {
        if (!json_is_string(el))
            continue;
        if (!first)
            slu_buf_puts(b, sep);
        slu_buf_puts(b, json_string_value(el));
        first = false;
    }
}

static json_t *steal_cell(struct slu_buf *b, const char *dflt)
{
    json_t *s = json_string(b->len > 0 ? b->data : dflt);
    slu_buf_release(b);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* labels.FormatLabels / selector: "k=v,k2=v2" sorted, "<none>" when empty. */
static json_t *labels_cell(const json_t *map)
{
    struct slu_vec keys = {0};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)map, k, v) slu_vec_push(&keys, (void *)k);
    slu_vec_sort(&keys, cmp_str);
    struct slu_buf b = {0};
    for (size_t i = 0; i < keys.len; i++) {
        const char *key = keys.items[i];
        if (i > 0)
            slu_buf_putc(&b, ',');
        slu_buf_printf(&b, "%s=%s", key, str_or(map, key, ""));
    }
    slu_vec_release(&keys, NULL);
    return steal_cell(&b, "<none>");
}

/* ---------------------------------------------------------------- printers */

struct colspec {
    const char *name, *type, *format;
    int priority;
    const char *desc;
};

typedef void (*row_fn)(const json_t *obj, json_t *cells, json_t *row, int64_t now);

/* Pods (printPod). */
static const struct colspec pod_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Ready", "string", "", 0, "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", "string", "", 0, "The aggregate status of the containers in this pod."},
    {"Restarts", "string", "", 0,
     "The number of times the containers in this pod have been restarted and when the last "
     "container in this pod has restarted."},
    {"Age", "string", "", 0, desc_created},
    {"IP", "string", "", 1,
     "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
     "allocated."},
    {"Node", "string", "", 1,
     "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate "
     "for scheduling by the scheduler defined in schedulerName."},
    {"Nominated Node", "string", "", 1,
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot "
     "be scheduled right away as preemption victims receive their graceful termination periods."},
    {"Readiness Gates", "string", "", 1,
     "If specified, all readiness gates will be evaluated for pod readiness."},
    {NULL, NULL, NULL, 0, NULL}};

static void track_last(const json_t *cs, int64_t *last_ns)
{
    const char *fin = slu_json_str(cs, "lastState.terminated.finishedAt");
    int64_t ns;
    if (fin && slu_time_parse_rfc3339(fin, &ns) == 0 && ns > *last_ns)
        *last_ns = ns;
}

static bool cond_true(const json_t *conds, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c)
    {
        if (slu_streq(slu_json_str(c, "type"), type))
            return slu_streq(slu_json_str(c, "status"), "True");
    }
    return false;
}

static void row_pod(const json_t *pod, json_t *cells, json_t *row, int64_t now)
{
    const json_t *status = json_object_get(pod, "status");
    const json_t *conds = json_object_get(status, "conditions");
    const json_t *init_specs = slu_json_path(pod, "spec.initContainers");
    size_t total = json_array_size(slu_json_path(pod, "spec.containers"));
    size_t ready = 0;
    int64_t restarts = 0, last_ns = INT64_MIN;
    const char *phase = slu_json_str(status, "phase");
    char reason[160];
    snprintf(reason, sizeof(reason), "%s", phase ? phase : "");
    const char *sreason = slu_json_str(status, "reason");
    if (sreason && *sreason)
        snprintf(reason, sizeof(reason), "%s", sreason);
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c)
    {
        if (slu_streq(slu_json_str(c, "type"), "PodScheduled") &&
            slu_streq(slu_json_str(c, "reason"), "SchedulingGated"))
            snprintf(reason, sizeof(reason), "SchedulingGated");
    }
    bool initializing = false;
    const json_t *ics = json_object_get(status, "initContainerStatuses");
    json_array_foreach(ics, i, c)
    {
        restarts += slu_json_int(c, "restartCount", 0);
        track_last(c, &last_ns);
        const json_t *term = slu_json_path(c, "state.terminated");
        const char *wreason = slu_json_str(c, "state.waiting.reason");
        if (term && slu_json_int(term, "exitCode", 0) == 0)
            continue;
        if (term) {
            const char *tr = slu_json_str(term, "reason");
            if (tr && *tr)
                snprintf(reason, sizeof(reason), "Init:%s", tr);
            else if (slu_json_int(term, "signal", 0) != 0)
                snprintf(reason, sizeof(reason), "Init:Signal:%" PRId64,
                         slu_json_int(term, "signal", 0));
            else
                snprintf(reason, sizeof(reason), "Init:ExitCode:%" PRId64,
                         slu_json_int(term, "exitCode", 0));
        } else if (wreason && *wreason && strcmp(wreason, "PodInitializing") != 0) {
            snprintf(reason, sizeof(reason), "Init:%s", wreason);
        } else {
            snprintf(reason, sizeof(reason), "Init:%zu/%zu", i, json_array_size(init_specs));
        }
        initializing = true;
        break;
    }
    if (!initializing || cond_true(conds, "Initialized")) {
        restarts = 0;
        last_ns = INT64_MIN;
        bool has_running = false;
        const json_t *css = json_object_get(status, "containerStatuses");
        for (size_t k = json_array_size(css); k-- > 0;) {
            const json_t *cs = json_array_get(css, k);
            restarts += slu_json_int(cs, "restartCount", 0);
            track_last(cs, &last_ns);
            const char *wr = slu_json_str(cs, "state.waiting.reason");
            const json_t *term = slu_json_path(cs, "state.terminated");
            const char *tr = slu_json_str(term, "reason");
            if (wr && *wr) {
                snprintf(reason, sizeof(reason), "%s", wr);
            } else if (term && tr && *tr) {
                snprintf(reason, sizeof(reason), "%s", tr);
            } else if (term) {
                if (slu_json_int(term, "signal", 0) != 0)
                    snprintf(reason, sizeof(reason), "Signal:%" PRId64,
                             slu_json_int(term, "signal", 0));
                else
                    snprintf(reason, sizeof(reason), "ExitCode:%" PRId64,
                             slu_json_int(term, "exitCode", 0));
            } else if (slu_json_bool(cs, "ready", false) && slu_json_path(cs, "state.running")) {
                has_running = true;
                ready++;
            }
        }
        if (strcmp(reason, "Completed") == 0 && has_running)
            snprintf(reason, sizeof(reason), "%s",
                     cond_true(conds, "Ready") ? "Running" : "NotReady");
    }
    bool terminal = slu_streq(phase, "Succeeded") || slu_streq(phase, "Failed");
    if (slu_json_str(pod, "metadata.deletionTimestamp")) {
        if (slu_streq(sreason, "NodeLost"))
            snprintf(reason, sizeof(reason), "Unknown");
        else if (!terminal)
            snprintf(reason, sizeof(reason), "Terminating");
    }
    char buf[64];
    json_array_append_new(cells, json_string(str_or(pod, "metadata.name", "")));
    snprintf(buf, sizeof(buf), "%zu/%zu", ready, total);
    json_array_append_new(cells, json_string(buf));
    json_array_append_new(cells, json_string(reason));
    if (restarts != 0 && last_ns != INT64_MIN) {
        char age[32];
        sim__human_duration(now - last_ns / 1000000000, age, sizeof(age));
        snprintf(buf, sizeof(buf), "%" PRId64 " (%s ago)", restarts, age);
    } else {
        snprintf(buf, sizeof(buf), "%" PRId64, restarts);
    }
    json_array_append_new(cells, json_string(buf));
    json_array_append_new(cells, age_cell(slu_json_str(pod, "metadata.creationTimestamp"), now));
    const char *ip = slu_json_str(status, "podIPs[0].ip");
    if (!ip || !*ip)
        ip = slu_json_str(status, "podIP");
    json_array_append_new(cells, json_string(ip && *ip ? ip : "<none>"));
    json_array_append_new(cells, json_string(str_or(pod, "spec.nodeName", "<none>")));
    json_array_append_new(cells, json_string(str_or(status, "nominatedNodeName", "<none>")));
    const json_t *gates = slu_json_path(pod, "spec.readinessGates");
    if (json_array_size(gates) > 0) {
        size_t t = 0, g;
        const json_t *gate;
        json_array_foreach(gates, g, gate)
        {
            const char *ct = slu_json_str(gate, "conditionType");
            json_array_foreach(conds, i, c)
            {
                if (slu_streq(slu_json_str(c, "type"), ct)) {
                    if (slu_streq(slu_json_str(c, "status"), "True"))
                        t++;
                    break;
                }
            }
        }
        snprintf(buf, sizeof(buf), "%zu/%zu", t, json_array_size(gates));
        json_array_append_new(cells, json_string(buf));
    } else {
        json_array_append_new(cells, json_string("<none>"));
    }
    if (terminal) {
        json_t *rc = json_object();
        json_object_set_new(rc, "type", json_string("Completed"));
        json_object_set_new(rc, "status", json_string("True"));
        json_object_set_new(rc, "reason", json_string(phase));
        json_object_set_new(rc, "message",
                            json_string(slu_streq(phase, "Succeeded")
                                            ? "The pod has completed successfully."
                                            : "The pod failed."));
        json_t *arr = json_array();
        json_array_append_new(arr, rc);
        json_object_set_new(row, "conditions", arr);
    }
}

/* Nodes (printNode). */
static const struct colspec node_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Status", "string", "", 0, "The status of the node"},
    {"Roles", "string", "", 0, "The roles of the node"},
    {"Age", "string", "", 0, desc_created},
    {"Version", "string", "", 0, "Kubelet Version reported by the node."},
    {"Internal-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"External-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"OS-Image", "string", "", 1,
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."},
    {"Kernel-Version", "string", "", 1,
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."},
    {"Container-Runtime", "string", "", 1,
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2)."},
    {NULL, NULL, NULL, 0, NULL}};

static const char *node_address(const json_t *node, const char *type)
{
    size_t i;
    const json_t *a;
    json_array_foreach(slu_json_path(node, "status.addresses"), i, a)
    {
        if (slu_streq(slu_json_str(a, "type"), type))
            return str_or(a, "address", "<none>");
    }
    return "<none>";
}

static void row_node(const json_t *node, json_t *cells, json_t *row, int64_t now)
{
    struct slu_buf st = {0};
    size_t i;
    const json_t *c;
    json_array_foreach(slu_json_path(node, "status.conditions"), i, c)
    {
        if (slu_streq(slu_json_str(c, "type"), "Ready")) {
            slu_buf_puts(&st, slu_streq(slu_json_str(c, "status"), "True") ? "Ready" : "NotReady");
            break;
        }
    }
    if (st.len == 0)
        slu_buf_puts(&st, "Unknown");
    if (slu_json_bool(node, "spec.unschedulable", false))
        slu_buf_puts(&st, ",SchedulingDisabled");
    /* roles: node-role.kubernetes.io/<role> labels and kubernetes.io/role, sorted, unique */
    struct slu_vec roles = {0};
    const char *k;
    const json_t *v;
    json_object_foreach(slu_json_path(node, "metadata.labels"), k, v)
    {
        const char *role = NULL;
        if (slu_str_has_prefix(k, "node-role.kubernetes.io/"))
            role = k + strlen("node-role.kubernetes.io/");
        else if (strcmp(k, "kubernetes.io/role") == 0)
            role = json_string_value(v);
        if (!role || !*role)
            continue;
        bool dup = false;
        for (size_t j = 0; j < roles.len; j++)
            dup = dup || strcmp(roles.items[j], role) == 0;
        if (!dup)
            slu_vec_push(&roles, (void *)role);
    }
    slu_vec_sort(&roles, cmp_str);
    struct slu_buf rb = {0};
    for (size_t j = 0; j < roles.len; j++) {
        if (j > 0)
            slu_buf_putc(&rb, ',');
        slu_buf_puts(&rb, roles.items[j]);
    }
    slu_vec_release(&roles, NULL);
    json_array_append_new(cells, json_string(str_or(node, "metadata.name", "")));
    json_array_append_new(cells, steal_cell(&st, "Unknown"));
    json_array_append_new(cells, steal_cell(&rb, "<none>"));
    json_array_append_new(cells, age_cell(slu_json_str(node, "metadata.creationTimestamp"), now));
    json_array_append_new(cells, json_string(str_or(node, "status.nodeInfo.kubeletVersion", "")));
    json_array_append_new(cells, json_string(node_address(node, "InternalIP")));
    json_array_append_new(cells, json_string(node_address(node, "ExternalIP")));
    json_array_append_new(cells, json_string(str_or(node, "status.nodeInfo.osImage", "<unknown>")));
    json_array_append_new(cells,
                          json_string(str_or(node, "status.nodeInfo.kernelVersion", "<unknown>")));
    json_array_append_new(
        cells, json_string(str_or(node, "status.nodeInfo.containerRuntimeVersion", "<unknown>")));
}

static const struct colspec ns_cols[] = {{"Name", "string", "name", 0, desc_name},
                                         {"Status", "string", "", 0, "The status of the namespace"},
                                         {"Age", "string", "", 0, desc_created},
                                         {NULL, NULL, NULL, 0, NULL}};

static void row_ns(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(str_or(o, "status.phase", "")));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec cm_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Data", "string", "", 0,
     "Data contains the configuration data. Each key must consist of alphanumeric characters, "
     "'-', '_' or '.'."},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static void row_cm(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(
        cells, json_integer((json_int_t)(json_object_size(json_object_get(o, "data")) +
                                         json_object_size(json_object_get(o, "binaryData")))));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec secret_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Type", "string", "", 0, "Used to facilitate programmatic handling of secret data."},
    {"Data", "string", "", 0, "Data contains the secret data."},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static void row_secret(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(str_or(o, "type", "Opaque")));
    json_array_append_new(cells,
                          json_integer((json_int_t)json_object_size(json_object_get(o, "data"))));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec sa_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Secrets", "string", "", 0, "Secrets is a list of the secrets in the same namespace."},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static void row_sa(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells,
                          json_integer((json_int_t)json_array_size(json_object_get(o, "secrets"))));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec svc_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Type", "string", "", 0, "type determines how the Service is exposed."},
    {"Cluster-IP", "string", "", 0, "clusterIP is the IP address of the service."},
    {"External-IP", "string", "", 0,
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service."},
    {"Port(s)", "string", "", 0, "The list of ports that are exposed by this service."},
    {"Age", "string", "", 0, desc_created},
    {"Selector", "string", "", 1,
     "Route service traffic to pods with label keys and values matching this selector."},
    {NULL, NULL, NULL, 0, NULL}};

static void row_svc(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    const char *type = str_or(o, "spec.type", "ClusterIP");
    const char *cip = slu_json_str(o, "spec.clusterIPs[0]");
    if (!cip || !*cip)
        cip = str_or(o, "spec.clusterIP", "<none>");
    struct slu_buf ext = {0};
    const json_t *eips = slu_json_path(o, "spec.externalIPs");
    if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
        join_strings(&ext, eips, ",");
    } else if (strcmp(type, "LoadBalancer") == 0) {
        size_t i;
        const json_t *ing;
        json_array_foreach(slu_json_path(o, "status.loadBalancer.ingress"), i, ing)
        {
            const char *a = slu_json_str(ing, "ip");
            if (!a || !*a)
                a = slu_json_str(ing, "hostname");
            if (!a || !*a)
                continue;
            if (ext.len > 0)
                slu_buf_putc(&ext, ',');
            slu_buf_puts(&ext, a);
        }
        if (json_array_size(eips) > 0) {
            if (ext.len > 0)
                slu_buf_putc(&ext, ',');
            join_strings(&ext, eips, ",");
        }
        if (ext.len == 0)
            slu_buf_puts(&ext, "<pending>");
    } else if (strcmp(type, "ExternalName") == 0) {
        slu_buf_puts(&ext, str_or(o, "spec.externalName", ""));
    } else {
        slu_buf_puts(&ext, "<unknown>");
    }
    struct slu_buf ports = {0};
    size_t i;
    const json_t *pt;
    json_array_foreach(slu_json_path(o, "spec.ports"), i, pt)
    {
        if (i > 0)
            slu_buf_putc(&ports, ',');
        int64_t np = slu_json_int(pt, "nodePort", 0);
        if (np > 0)
            slu_buf_printf(&ports, "%" PRId64 ":%" PRId64 "/%s", slu_json_int(pt, "port", 0), np,
                           str_or(pt, "protocol", "TCP"));
        else
            slu_buf_printf(&ports, "%" PRId64 "/%s", slu_json_int(pt, "port", 0),
                           str_or(pt, "protocol", "TCP"));
    }
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(type));
    json_array_append_new(cells, json_string(cip));
    json_array_append_new(cells, steal_cell(&ext, "<none>"));
    json_array_append_new(cells, steal_cell(&ports, "<none>"));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
    json_array_append_new(cells, labels_cell(slu_json_path(o, "spec.selector")));
}

/* Events: core/v1 and events.k8s.io/v1 share the printer (the latter's fields are mapped). */
static const struct colspec event_cols[] = {
    {"Last Seen", "string", "", 0,
     "The time at which the most recent occurrence of this event was recorded."},
    {"Type", "string", "", 0,
     "Type of this event (Normal, Warning), new types could be added in the future"},
    {"Reason", "string", "", 0,
     "This should be a short, machine understandable string that gives the reason for the "
     "transition into the object's current status."},
    {"Object", "string", "", 0, "The object that this event is about."},
    {"Subobject", "string", "", 1,
     "If referring to a piece of an object instead of an entire object, this string should "
     "contain a valid JSON/Go field access statement, such as "
     "desiredState.manifest.containers[2]."},
    {"Source", "string", "", 1,
     "The component reporting this event. Should be a short machine understandable string."},
    {"Message", "string", "", 0, "A human-readable description of the status of this operation."},
    {"First Seen", "string", "", 1,
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"},
    {"Count", "string", "", 1, "The number of times this event has occurred."},
    {"Name", "string", "name", 1, desc_name},
    {NULL, NULL, NULL, 0, NULL}};

static void row_event(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    bool v1events = json_object_get(o, "regarding") || json_object_get(o, "note") ||
                    json_object_get(o, "deprecatedFirstTimestamp");
    const json_t *inv = json_object_get(o, v1events ? "regarding" : "involvedObject");
    const char *first = slu_json_str(o, v1events ? "deprecatedFirstTimestamp" : "firstTimestamp");
    const char *last = slu_json_str(o, v1events ? "deprecatedLastTimestamp" : "lastTimestamp");
    json_t *first_cell = age_cell(first && *first ? first : slu_json_str(o, "eventTime"), now);
    json_t *last_cell = last && *last ? age_cell(last, now) : json_deep_copy(first_cell);
    int64_t count = slu_json_int(o, v1events ? "deprecatedCount" : "count", 0);
    const json_t *series = json_object_get(o, "series");
    if (json_is_object(series)) {
        json_decref(last_cell);
        last_cell = age_cell(slu_json_str(series, "lastObservedTime"), now);
        count = slu_json_int(series, "count", 0);
    } else if (count == 0) {
        count = 1;
    }
    struct slu_buf target = {0};
    char *kind = slu_strdup(str_or(inv, "kind", ""));
    slu_str_lower(kind);
    const char *iname = slu_json_str(inv, "name");
    if (iname && *iname)
        slu_buf_printf(&target, "%s/%s", kind, iname);
    else
        slu_buf_puts(&target, kind);
    free(kind);
    struct slu_buf src = {0};
    const char *comp =
        slu_json_str(o, v1events ? "deprecatedSource.component" : "source.component");
    const char *host = slu_json_str(o, v1events ? "deprecatedSource.host" : "source.host");
    if (comp && *comp) {
        slu_buf_puts(&src, comp);
        if (host && *host)
            slu_buf_printf(&src, ", %s", host);
    } else {
        const char *rc = slu_json_str(o, "reportingController");
        const char *ri = slu_json_str(o, "reportingInstance");
        if (rc && *rc)
            slu_buf_puts(&src, rc);
        if (ri && *ri)
            slu_buf_printf(&src, "%s%s", src.len ? ", " : "", ri);
    }
    const char *msg = slu_json_str(o, v1events ? "note" : "message");
    char *m = slu_strdup(msg ? msg : "");
    char *trimmed = slu_str_trim(m);
    json_array_append_new(cells, last_cell);
    json_array_append_new(cells, json_string(str_or(o, "type", "")));
    json_array_append_new(cells, json_string(str_or(o, "reason", "")));
    json_array_append_new(cells, steal_cell(&target, ""));
    json_array_append_new(cells, json_string(str_or(inv, "fieldPath", "")));
    json_array_append_new(cells, steal_cell(&src, ""));
    json_array_append_new(cells, json_string(trimmed));
    json_array_append_new(cells, first_cell);
    json_array_append_new(cells, json_integer(count));
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    free(m);
}

static const struct colspec lease_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Holder", "string", "", 0,
     "holderIdentity contains the identity of the holder of a current lease."},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static void row_lease(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(str_or(o, "spec.holderIdentity", "")));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec pc_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Value", "integer", "", 0,
     "value represents the integer value of this priority class. This is the actual priority that "
     "pods receive when they have the name of this class in their pod spec."},
    {"Global-Default", "boolean", "", 0,
     "globalDefault specifies whether this PriorityClass should be considered as the default "
     "priority for pods that do not have any priority class."},
    {"Age", "string", "", 0, desc_created},
    {"PreemptionPolicy", "string", "", 0,
     "preemptionPolicy is the Policy for preempting pods with lower priority."},
    {NULL, NULL, NULL, 0, NULL}};

static void row_pc(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_integer(slu_json_int(o, "value", 0)));
    json_array_append_new(cells, json_boolean(slu_json_bool(o, "globalDefault", false)));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
    json_array_append_new(cells,
                          json_string(str_or(o, "preemptionPolicy", "PreemptLowerPriority")));
}

static const struct colspec pdb_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Min Available", "string", "", 0,
     "The minimum number of pods that must be available simultaneously."},
    {"Max Unavailable", "string", "", 0,
     "The maximum number of pods that may be unavailable simultaneously."},
    {"Allowed Disruptions", "integer", "", 0,
     "Number of pod disruptions that are currently allowed."},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static json_t *int_or_string_cell(const json_t *v)
{
    if (json_is_string(v))
        return json_string(json_string_value(v));
    if (json_is_integer(v)) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    }
    return json_string("N/A");
}

static void row_pdb(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, int_or_string_cell(slu_json_path(o, "spec.minAvailable")));
    json_array_append_new(cells, int_or_string_cell(slu_json_path(o, "spec.maxUnavailable")));
    json_array_append_new(cells, json_integer(slu_json_int(o, "status.disruptionsAllowed", 0)));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

static const struct colspec pvc_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Status", "string", "", 0, "phase represents the current phase of PersistentVolumeClaim."},
    {"Volume", "string", "", 0,
     "volumeName is the binding reference to the PersistentVolume backing this claim."},
    {"Capacity", "string", "", 0,
     "capacity represents the actual resources of the underlying volume."},
    {"Access Modes", "string", "", 0,
     "accessModes contains the actual access modes the volume backing the PVC has."},
    {"StorageClass", "string", "", 0,
     "storageClassName is the name of the StorageClass required by the claim."},
    {"VolumeAttributesClass", "string", "", 0,
     "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."},
    {"Age", "string", "", 0, desc_created},
    {"VolumeMode", "string", "", 1,
     "volumeMode defines what type of volume is required by the claim."},
    {NULL, NULL, NULL, 0, NULL}};

static void row_pvc(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    const char *phase = str_or(o, "status.phase", "");
    if (slu_json_str(o, "metadata.deletionTimestamp"))
        phase = "Terminating";
    bool bound = slu_streq(slu_json_str(o, "status.phase"), "Bound");
    struct slu_buf modes = {0};
    size_t i;
    const json_t *m;
    static const char *const abbrev[][2] = {{"ReadWriteOnce", "RWO"},
                                            {"ReadOnlyMany", "ROX"},
                                            {"ReadWriteMany", "RWX"},
                                            {"ReadWriteOncePod", "RWOP"}};
    for (size_t a = 0; a < SLU_ARRAY_LEN(abbrev); a++) {
        json_array_foreach(slu_json_path(o, "status.accessModes"), i, m)
        {
            if (slu_streq(json_string_value(m), abbrev[a][0])) {
                if (modes.len)
                    slu_buf_putc(&modes, ',');
                slu_buf_puts(&modes, abbrev[a][1]);
                break;
            }
        }
    }
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(phase));
    json_array_append_new(cells, json_string(str_or(o, "spec.volumeName", "")));
    json_array_append_new(cells,
                          json_string(bound ? str_or(o, "status.capacity.storage", "") : ""));
    json_array_append_new(cells, steal_cell(&modes, ""));
    json_array_append_new(cells, json_string(str_or(o, "spec.storageClassName", "<unset>")));
    json_array_append_new(cells,
                          json_string(str_or(o, "spec.volumeAttributesClassName", "<unset>")));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
    json_array_append_new(cells, json_string(str_or(o, "spec.volumeMode", "Filesystem")));
}

static const struct colspec ing_cols[] = {
    {"Name", "string", "name", 0, desc_name},
    {"Class", "string", "", 0, "The name of the IngressClass resource."},
    {"Hosts", "string", "", 0, "Hosts that incoming requests are matched against before the path."},
    {"Address", "string", "", 0,
     "Address is a list containing ingress points for the load-balancer"},
    {"Ports", "string", "", 0, "Ports of TLS configurations that open"},
    {"Age", "string", "", 0, desc_created},
    {NULL, NULL, NULL, 0, NULL}};

static void row_ing(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    struct slu_buf hosts = {0}, addr = {0};
    size_t i;
    const json_t *r;
    json_array_foreach(slu_json_path(o, "spec.rules"), i, r)
    {
        const char *h = slu_json_str(r, "host");
        if (!h || !*h)
            continue;
        if (hosts.len)
            slu_buf_putc(&hosts, ',');
        slu_buf_puts(&hosts, h);
    }
    json_array_foreach(slu_json_path(o, "status.loadBalancer.ingress"), i, r)
    {
        const char *a = slu_json_str(r, "ip");
        if (!a || !*a)
            a = slu_json_str(r, "hostname");
        if (!a || !*a)
            continue;
        if (addr.len)
            slu_buf_putc(&addr, ',');
        slu_buf_puts(&addr, a);
    }
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_array_append_new(cells, json_string(str_or(o, "spec.ingressClassName", "<none>")));
    json_array_append_new(cells, steal_cell(&hosts, "*"));
    json_array_append_new(cells, steal_cell(&addr, ""));
    json_array_append_new(
        cells, json_string(json_array_size(slu_json_path(o, "spec.tls")) > 0 ? "80, 443" : "80"));
    json_array_append_new(cells, age_cell(slu_json_str(o, "metadata.creationTimestamp"), now));
}

/* The default convertor (rest.NewDefaultTableConvertor): Name, Created At. */
static const struct colspec default_cols[] = {{"Name", "string", "name", 0, desc_name},
                                              {"Created At", "date", "", 0, desc_created},
                                              {NULL, NULL, NULL, 0, NULL}};

static void row_default(const json_t *o, json_t *cells, json_t *row, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    const char *ts = slu_json_str(o, "metadata.creationTimestamp");
    int64_t ns;
    if (ts && slu_time_parse_rfc3339(ts, &ns) == 0) {
        char buf[40];
        slu_time_format_rfc3339(ns / 1000000000, buf, sizeof(buf));
        json_array_append_new(cells, json_string(buf));
    } else {
        json_array_append_new(cells, json_null());
    }
}

struct printer {
    const char *group, *kind;
    const struct colspec *cols;
    row_fn row;
};

static const struct printer printers[] = {
    {"", "Pod", pod_cols, row_pod},
    {"", "Node", node_cols, row_node},
    {"", "Namespace", ns_cols, row_ns},
    {"", "ConfigMap", cm_cols, row_cm},
    {"", "Secret", secret_cols, row_secret},
    {"", "ServiceAccount", sa_cols, row_sa},
    {"", "Service", svc_cols, row_svc},
    {"", "Event", event_cols, row_event},
    {"events.k8s.io", "Event", event_cols, row_event},
    {"", "PersistentVolumeClaim", pvc_cols, row_pvc},
    {"coordination.k8s.io", "Lease", lease_cols, row_lease},
    {"scheduling.k8s.io", "PriorityClass", pc_cols, row_pc},
    {"policy", "PodDisruptionBudget", pdb_cols, row_pdb},
    {"networking.k8s.io", "Ingress", ing_cols, row_ing},
};

static const struct printer default_printer = {"", "", default_cols, row_default};

/* ---------------------------------------------------------------- CRD columns */

static json_t *crd_columns(const json_t *pcols)
{
    json_t *defs = json_array();
    json_array_append_new(defs, coldef("Name", "string", "name", desc_name, 0));
    if (json_array_size(pcols) == 0) {
        json_array_append_new(defs, coldef("Age", "date", "", desc_created, 0));
        return defs;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(pcols, i, c)
    {
        const char *jp = str_or(c, "jsonPath", "");
        const char *d = slu_json_str(c, "description");
        char *desc = d && *d ? slu_strdup(d)
                             : slu_asprintf("Custom resource definition column (in JSONPath "
                                            "format): %s",
                                            jp);
        json_array_append_new(defs, coldef(str_or(c, "name", ""), str_or(c, "type", "string"),
                                           str_or(c, "format", ""), desc,
                                           (int)slu_json_int(c, "priority", 0)));
        free(desc);
    }
    return defs;
}

/* Text of a value as the JSONPath printer writes it. */
static char *value_text(const json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return slu_strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return slu_strdup(buf);
    case JSON_REAL:
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        {
            double d = json_real_value(v);
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                    break;
            }
        }
        return slu_strdup(buf);
    case JSON_TRUE:
        return slu_strdup("true");
    case JSON_FALSE:
        return slu_strdup("false");
    case JSON_NULL:
        return slu_strdup("<nil>");
    default:
        return slu_json_dumps(v);
    }
}

static void row_crd(const json_t *pcols, const json_t *o, json_t *cells, int64_t now)
{
    json_array_append_new(cells, json_string(str_or(o, "metadata.name", "")));
    json_t *defaults = NULL;
    if (json_array_size(pcols) == 0) {
        defaults = json_pack("[{s:s, s:s, s:s}]", "name", "Age", "type", "date", "jsonPath",
                             ".metadata.creationTimestamp");
        pcols = defaults;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(pcols, i, c)
    {
        const char *type = str_or(c, "type", "string");
        const json_t *v = sim_jsonpath(o, slu_json_str(c, "jsonPath"));
        json_t *cell = json_null();
        if (v && !json_is_null(v)) {
            if (strcmp(type, "string") == 0) {
                char *t = value_text(v);
                cell = json_string(t);
                free(t);
            } else if (strcmp(type, "integer") == 0) {
                if (json_is_integer(v))
                    cell = json_integer(json_integer_value(v));
                else if (json_is_real(v))
                    cell = json_integer((json_int_t)json_real_value(v));
            } else if (strcmp(type, "number") == 0) {
                if (json_is_number(v))
                    cell = json_real(json_number_value(v));
            } else if (strcmp(type, "boolean") == 0) {
                if (json_is_boolean(v))
                    cell = json_boolean(json_is_true(v));
            } else if (strcmp(type, "date") == 0) {
                if (json_is_string(v)) {
                    int64_t ns;
                    if (slu_time_parse_rfc3339(json_string_value(v), &ns) != 0) {
                        cell = json_string("<invalid>");
                    } else {
                        json_decref(cell);
                        cell = age_cell(json_string_value(v), now);
                    }
                }
            }
        }
        json_array_append_new(cells, cell);
    }
    json_decref(defaults);
}

/* ---------------------------------------------------------------- the table */

static json_t *row_object(const json_t *o, const char *include_object)
{
    if (include_object && strcmp(include_object, "None") == 0)
        return NULL;
    if (include_object && strcmp(include_object, "Object") == 0)
        return json_incref((json_t *)o);
    json_t *pom = json_object();
    json_object_set_new(pom, "kind", json_string("PartialObjectMetadata"));
    json_object_set_new(pom, "apiVersion", json_string("meta.k8s.io/v1"));
    const json_t *md = json_object_get(o, "metadata");
    json_object_set_new(pom, "metadata", md ? json_deep_copy(md) : json_object());
    return pom;
}

json_t *sim__table_at(const struct sim_rtype *rt, const json_t *obj_or_list,
                      const char *include_object, int64_t now_unix)
{
    const struct printer *pr = NULL;
    if (rt && !rt->is_crd) {
        for (size_t i = 0; i < SLU_ARRAY_LEN(printers); i++) {
            if (slu_streq(printers[i].group, rt->group ? rt->group : "") &&
                slu_streq(printers[i].kind, rt->kind)) {
                pr = &printers[i];
                break;
            }
        }
        if (!pr)
            pr = &default_printer;
    } else if (!rt) {
        pr = &default_printer;
    }
    json_t *t = json_object();
    json_object_set_new(t, "kind", json_string("Table"));
    json_object_set_new(t, "apiVersion", json_string("meta.k8s.io/v1"));
    json_t *md = json_object();
    json_object_set_new(t, "metadata", md);
    json_t *defs;
    if (pr) {
        defs = json_array();
        for (const struct colspec *c = pr->cols; c->name; c++)
            json_array_append_new(defs, coldef(c->name, c->type, c->format, c->desc, c->priority));
    } else {
        defs = crd_columns(rt->printer_columns);
    }
    json_object_set_new(t, "columnDefinitions", defs);
    json_t *rows = json_array();
    json_object_set_new(t, "rows", rows);

    const json_t *items = json_object_get(obj_or_list, "items");
    bool is_list = json_is_array(items);
    const char *rv = slu_json_str(obj_or_list, "metadata.resourceVersion");
    if (rv)
        json_object_set_new(md, "resourceVersion", json_string(rv));
    if (is_list) {
        const char *cont = slu_json_str(obj_or_list, "metadata.continue");
        if (cont && *cont)
            json_object_set_new(md, "continue", json_string(cont));
        const json_t *rem = slu_json_path(obj_or_list, "metadata.remainingItemCount");
        if (json_is_integer(rem))
            json_object_set(md, "remainingItemCount", (json_t *)rem);
    }
    size_t n = is_list ? json_array_size(items) : (obj_or_list ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = is_list ? json_array_get(items, i) : obj_or_list;
        json_t *row = json_object();
        json_t *cells = json_array();
        json_object_set_new(row, "cells", cells);
        if (pr)
            pr->row(o, cells, row, now_unix);
        else
            row_crd(rt->printer_columns, o, cells, now_unix);
        json_t *ro = row_object(o, include_object);
        if (ro)
            json_object_set_new(row, "object", ro);
        json_array_append_new(rows, row);
    }
    return t;
}

json_t *sim_table(const struct sim_rtype *rt, const json_t *obj_or_list, const char *include_object)
{
    return sim__table_at(rt, obj_or_list, include_object, slu_now_unix());
}
