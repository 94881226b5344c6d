/*
 * common.c - what the user commands (submit, apply, get, describe, logs, delete, events) share:
 * kubectl-style flag parsing (flags anywhere, --name=value, short clusters, "--"), the common
 * flags (--kubeconfig, --context, -n, -A, -o), client construction through kube_config_auto,
 * error printing in kubectl's words, YAML/JSON output, aligned tables, kubectl's human
 * durations, and small SparkApplication helpers (driver pod, executor counts, log paths);
 * also --log-level and the stop signals of the long-running commands (sim, operator).
 *
 * These functions print (this is the CLI); they never exit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"
#include "spark/spark.h"

const struct kube_resource CLI_RES_SPARKAPPS = {"sparkoperator.k8s.io", "v1beta2",
                                                "sparkapplications", "SparkApplication", true};
const struct kube_resource CLI_RES_SCHEDULEDAPPS = {"sparkoperator.k8s.io", "v1beta2",
                                                    "scheduledsparkapplications",
                                                    "ScheduledSparkApplication", true};

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("Error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_api_error(const struct slu_err *err, const char *what)
{
    const char *msg = err && err->msg[0] ? err->msg : "unknown error";
    if (err && err->reason[0] && err->http_status)
        fprintf(stderr, "Error from server (%s): %s%s%s\n", err->reason, what ? what : "",
                what ? ": " : "", msg);
    else
        fprintf(stderr, "Error: %s%s%s\n", what ? what : "", what ? ": " : "", msg);
    for (size_t i = 0; err && i < err->ncauses; i++)
        if (err->causes[i].field && !strstr(msg, err->causes[i].message))
            fprintf(stderr, "  %s: %s\n", err->causes[i].field, err->causes[i].message);
    /* A 404 without details is a resource type the server does not serve: for sluice's
     * commands, the SparkApplication CRDs are not installed. (A missing object or namespace
     * carries details.kind.) */
    if (err && err->code == SLU_ENOTFOUND && err->http_status == 404 && !err->kind[0])
        fprintf(stderr, "Are the SparkApplication CRDs installed? (sluice apply -f "
                        "deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml, and the same "
                        "for scheduledsparkapplications)\n");
    return 1;
}

void cli_not_found_hint(const struct slu_err *err, const struct kube_resource *res, const char *ns)
{
    if (!err || err->code != SLU_ENOTFOUND || !err->name[0] || !ns)
        return;
    const char *type = res == &CLI_RES_SCHEDULEDAPPS ? "scheduledapps" : "apps";
    fprintf(stderr, "(looked in namespace \"%s\"; 'sluice get %s -A' lists every namespace)\n", ns,
            type);
}

/* ---------------------------------------------------------------- flags */

static int flag_error(const char *cmd, const char *fmt, const char *arg)
{
    fputs("Error: ", stderr);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nSee 'sluice %s --help' for usage.\n", cmd);
    return 1;
}

/* Finds a flag by long name (len chars of name) or short letter; common flags are matched
 * through a synthetic table built by the caller. */
struct any_flag {
    const char *name;
    char short_name;
    const char **value;
    bool *set;
};

static const struct any_flag *find_long(const struct any_flag *t, size_t n, const char *name,
                                        size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(t[i].name) == len && strncmp(t[i].name, name, len) == 0)
            return &t[i];
    return NULL;
}

static const struct any_flag *find_short(const struct any_flag *t, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].short_name && t[i].short_name == c)
            return &t[i];
    return NULL;
}

int cli_parse(int argc, char **argv, const char *cmd, unsigned common_mask,
              const struct cli_flag *flags, struct cli_common *c, struct slu_vec *pos)
{
    struct any_flag t[64];
    size_t n = 0;
    t[n++] = (struct any_flag){"kubeconfig", 0, &c->kubeconfig, NULL};
    t[n++] = (struct any_flag){"context", 0, &c->context, NULL};
    t[n++] = (struct any_flag){"help", 'h', NULL, &c->help};
    if (common_mask & CLI_F_NAMESPACE)
        t[n++] = (struct any_flag){"namespace", 'n', &c->namespace_, NULL};
    if (common_mask & CLI_F_ALL_NAMESPACES)
        t[n++] = (struct any_flag){"all-namespaces", 'A', NULL, &c->all_namespaces};
    if (common_mask & CLI_F_OUTPUT)
        t[n++] = (struct any_flag){"output", 'o', &c->output, NULL};
    for (size_t i = 0; flags && flags[i].name && n < SLU_ARRAY_LEN(t); i++)
        t[n++] =
            (struct any_flag){flags[i].name, flags[i].short_name, flags[i].value, flags[i].set};

    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0) {
            slu_vec_push(pos, argv[i]);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct any_flag *f = find_long(t, n, name, len);
            if (!f)
                return flag_error(cmd, "unknown flag: %s", a);
            if (f->set) {
                if (eq) {
                    if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
                        return flag_error(cmd, "invalid boolean value in %s", a);
                    *f->set = strcmp(eq + 1, "true") == 0;
                } else {
                    *f->set = true;
                }
            } else if (eq) {
                *f->value = eq + 1;
            } else if (i + 1 < argc) {
                *f->value = argv[++i];
            } else {
                return flag_error(cmd, "flag needs an argument: %s", a);
            }
            continue;
        }
        /* a cluster of short flags: -fA, or -nNS / -n NS */
        for (const char *p = a + 1; *p; p++) {
            const struct any_flag *f = find_short(t, n, *p);
            if (!f) {
                char buf[8] = {'-', *p, 0};
                return flag_error(cmd, "unknown shorthand flag: '%s'", buf + 1);
            }
            if (f->set) {
                *f->set = true;
                continue;
            }
            if (p[1]) {
                *f->value = p[1] == '=' ? p + 2 : p + 1;
            } else if (i + 1 < argc) {
                *f->value = argv[++i];
            } else {
                return flag_error(cmd, "flag needs an argument: %s", a);
            }
            break;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- client */

int cli_connect(const struct cli_common *c, const char *server_override, struct kube_client **cl,
                const char **ns)
{
    struct kube_config *cfg = NULL;
    struct slu_err err = {0};
    *cl = NULL;
    if (kube_config_auto(c->kubeconfig, c->context, &cfg, &err) != 0) {
        cli_error("%s", err.msg);
        slu_err_release(&err);
        return 1;
    }
    if (server_override) {
        free(cfg->server);
        cfg->server = slu_strdup(server_override);
    }
    *cl = kube_client_new(cfg, &err);
    kube_config_free(cfg);
    if (!*cl) {
        cli_error("%s", err.msg);
        slu_err_release(&err);
        return 1;
    }
    if (ns)
        *ns = c->namespace_ && *c->namespace_ ? c->namespace_ : kube_client_namespace(*cl);
    return 0;
}

/* ---------------------------------------------------------------- output */

int cli_print_object(FILE *f, const json_t *obj, const char *format)
{
    if (format && strcmp(format, "yaml") == 0) {
        struct slu_buf b = {0};
        slu_yaml_dump(obj, &b);
        if (b.data)
            fputs(b.data, f);
        slu_buf_release(&b);
        return 0;
    }
    if (format && strcmp(format, "json") == 0) {
        char *s = json_dumps(obj, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        if (s) {
            fputs(s, f);
            fputc('\n', f);
        }
        free(s);
        return 0;
    }
    return cli_error("unable to match a printer suitable for the output format \"%s\", allowed "
                     "formats are: json, name, yaml",
                     format ? format : "");
}

json_t *cli_list_of(const json_t *items)
{
    json_t *l = json_object();
    json_object_set_new(l, "apiVersion", json_string("v1"));
    json_object_set_new(l, "kind", json_string("List"));
    json_object_set_new(l, "metadata", json_object());
    json_t *arr = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) json_array_append(arr, v);
    json_object_set_new(l, "items", arr);
    return l;
}

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    cli_table_add(t, headers);
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
    for (size_t i = 0; i < t->ncols; i++)
        slu_vec_push(&t->cells, slu_strdup(row[i] && *row[i] ? row[i] : "<none>"));
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
    cli_table_print_indent(t, f, 0);
}

void cli_table_print_indent(const struct cli_table *t, FILE *f, int indent)
{
    size_t w[32] = {0};
    size_t nc = SLU_MIN(t->ncols, SLU_ARRAY_LEN(w));
    for (size_t i = 0; i < t->cells.len; i++) {
        size_t l = strlen(t->cells.items[i]);
        if (i % t->ncols < nc && l > w[i % t->ncols])
            w[i % t->ncols] = l;
    }
    for (size_t i = 0; i < t->cells.len; i++) {
        size_t col = i % t->ncols;
        const char *s = t->cells.items[i];
        if (col == 0 && indent > 0)
            fprintf(f, "%*s", indent, "");
        if (col + 1 == t->ncols || col >= nc)
            fprintf(f, "%s\n", s);
        else
            fprintf(f, "%-*s   ", (int)w[col], s);
    }
}

void cli_table_release(struct cli_table *t)
{
    slu_vec_release(&t->cells, free);
}

void cli_human_duration(int64_t s, char *buf, size_t n)
{
    if (s < -1) {
        snprintf(buf, n, "<invalid>");
        return;
    }
    if (s < 0)
        s = 0;
    int64_t m = s / 60, h = s / 3600, d = h / 24, y = d / 365;
    if (s < 120)
        snprintf(buf, n, "%llds", (long long)s);
    else if (m < 10) {
        if (s % 60 == 0)
            snprintf(buf, n, "%lldm", (long long)m);
        else
            snprintf(buf, n, "%lldm%llds", (long long)m, (long long)(s % 60));
    } else if (m < 180)
        snprintf(buf, n, "%lldm", (long long)m);
    else if (h < 8) {
        if (m % 60 == 0)
            snprintf(buf, n, "%lldh", (long long)h);
        else
            snprintf(buf, n, "%lldh%lldm", (long long)h, (long long)(m % 60));
    } else if (h < 48)
        snprintf(buf, n, "%lldh", (long long)h);
    else if (h < 24 * 8) {
        if (h % 24 == 0)
            snprintf(buf, n, "%lldd", (long long)d);
        else
            snprintf(buf, n, "%lldd%lldh", (long long)d, (long long)(h % 24));
    } else if (h < 24 * 365 * 2)
        snprintf(buf, n, "%lldd", (long long)d);
    else if (h < 24 * 365 * 8) {
        if (d % 365 == 0)
            snprintf(buf, n, "%lldy", (long long)y);
        else
            snprintf(buf, n, "%lldy%lldd", (long long)y, (long long)(d % 365));
    } else
        snprintf(buf, n, "%lldy", (long long)y);
}

void cli_age(const char *ts, int64_t now_unix, char *buf, size_t n)
{
    int64_t ns;
    if (!ts || slu_time_parse_rfc3339(ts, &ns) != 0) {
        snprintf(buf, n, "<unknown>");
        return;
    }
    cli_human_duration(now_unix - ns / 1000000000, buf, n);
}

/* ---------------------------------------------------------------- SparkApplication helpers */

char *cli_app_driver_pod(const json_t *app)
{
    const char *p = slu_json_str(app, "status.driverInfo.podName");
    if (p && *p)
        return slu_strdup(p);
    return spark_app_driver_pod_name(app);
}

void cli_app_executors(const json_t *app, int *running, int *total)
{
    *running = *total = 0;
    json_t *st = slu_json_path(app, "status.executorState");
    const char *k;
    json_t *v;
    if (!json_is_object(st))
        return;
    json_object_foreach(st, k, v)
    {
        (*total)++;
        if (json_is_string(v) && strcmp(json_string_value(v), "RUNNING") == 0)
            (*running)++;
    }
}

/* Percent-encodes s into b (RFC 3986 unreserved kept). */
static void put_escaped(struct slu_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~')
            slu_buf_putc(b, (char)ch);
        else
            slu_buf_printf(b, "%%%02X", ch);
    }
}

char *cli_log_path(const char *ns, const char *pod, const char *container, int64_t tail,
                   bool follow)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "/api/v1/namespaces/");
    put_escaped(&b, ns);
    slu_buf_puts(&b, "/pods/");
    put_escaped(&b, pod);
    slu_buf_puts(&b, "/log");
    char sep = '?';
    if (container && *container) {
        slu_buf_printf(&b, "%ccontainer=", sep);
        put_escaped(&b, container);
        sep = '&';
    }
    if (tail >= 0) {
        slu_buf_printf(&b, "%ctailLines=%lld", sep, (long long)tail);
        sep = '&';
    }
    if (follow)
        slu_buf_printf(&b, "%cfollow=true", sep);
    return slu_buf_steal(&b);
}

/* ---------------------------------------------------------------- events */

static void push_unique(struct slu_vec *v, const char *s)
{
    if (!s || !*s)
        return;
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i], s) == 0)
            return;
    slu_vec_push(v, slu_strdup(s));
}

static void push_pods(struct kube_client *cl, const char *ns, const char *selector,
                      struct slu_vec *names)
{
    json_t *list = NULL;
    struct kube_list_opts lo = {.label_selector = selector};
    if (kube_list_all(cl, &KUBE_RES_PODS, ns, &lo, &list, NULL) != 0)
        return;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(list, "items"), i, p)
        push_unique(names, kube_object_name(p));
    json_decref(list);
}

void cli_app_related_names(struct kube_client *cl, const char *ns, const json_t *app,
                           const char *driver_pod, struct slu_vec *names)
{
    char *drv = driver_pod ? slu_strdup(driver_pod) : app ? cli_app_driver_pod(app) : NULL;
    if (app)
        push_unique(names, kube_object_name(app));
    push_unique(names, drv);
    const char *app_id = app ? slu_json_str(app, "status.sparkApplicationId") : NULL;
    char *owned_id = NULL;
    if ((!app_id || !*app_id) && drv) {
        json_t *pod = NULL;
        if (kube_get(cl, &KUBE_RES_PODS, ns, drv, &pod, NULL) == 0)
            app_id = owned_id = slu_strdup(slu_json_str(pod, "metadata.labels.spark-app-selector"));
        json_decref(pod);
    }
    if (app_id && *app_id && !kube_label_value_invalid(app_id)) {
        char *sel = slu_asprintf("spark-app-selector=%s", app_id);
        push_pods(cl, ns, sel, names);
        free(sel);
    }
    if (app && !kube_label_value_invalid(kube_object_name(app))) {
        char *sel = slu_asprintf("%s=%s", SPARK_LABEL_APP_NAME, kube_object_name(app));
        push_pods(cl, ns, sel, names);
        free(sel);
    }
    free(owned_id);
    free(drv);
}

int64_t cli_event_time(const json_t *ev)
{
    static const char *const paths[] = {"lastTimestamp", "eventTime", "series.lastObservedTime",
                                        "firstTimestamp", "metadata.creationTimestamp"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(paths); i++) {
        const char *s = slu_json_str(ev, paths[i]);
        int64_t ns;
        if (s && *s && slu_time_parse_rfc3339(s, &ns) == 0)
            return ns / 1000000000;
    }
    return 0;
}

void cli_event_age(const json_t *ev, int64_t now, char *buf, size_t n)
{
    int64_t ts = cli_event_time(ev);
    if (ts)
        cli_human_duration(now - ts, buf, n);
    else
        slu_strlcpy(buf, "<unknown>", n);
}

static int cmp_events(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int64_t tx = cli_event_time(x), ty = cli_event_time(y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    /* Event times have one-second resolution: within a second, keep the order the API server
     * wrote them in (resourceVersion, compared as a decimal number when both are one). */
    const char *rx = slu_json_str(x, "metadata.resourceVersion");
    const char *ry = slu_json_str(y, "metadata.resourceVersion");
    if (rx && ry && *rx && *ry && strspn(rx, "0123456789") == strlen(rx) &&
        strspn(ry, "0123456789") == strlen(ry)) {
        size_t lx = strlen(rx), ly = strlen(ry);
        if (lx != ly)
            return lx < ly ? -1 : 1;
        int c = strcmp(rx, ry);
        if (c != 0)
            return c;
    }
    const char *nx = kube_object_name(x), *ny = kube_object_name(y);
    return strcmp(nx ? nx : "", ny ? ny : "");
}

int cli_events_for(struct kube_client *cl, const char *ns, const struct slu_vec *names,
                   json_t **out, struct slu_err *err)
{
    *out = NULL;
    json_t *list = NULL;
    int rc = kube_list_all(cl, &KUBE_RES_EVENTS, ns, NULL, &list, err);
    if (rc != 0)
        return rc;
    struct slu_vec sel = {0};
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(list, "items"), i, ev)
    {
        const char *n = slu_json_str(ev, "involvedObject.name");
        for (size_t k = 0; n && k < names->len; k++)
            if (strcmp(names->items[k], n) == 0) {
                slu_vec_push(&sel, ev);
                break;
            }
    }
    slu_vec_sort(&sel, cmp_events);
    json_t *arr = json_array();
    for (size_t k = 0; k < sel.len; k++)
        json_array_append(arr, sel.items[k]);
    slu_vec_release(&sel, NULL);
    json_decref(list);
    *out = arr;
    return 0;
}

/* ---------------------------------------------------------------- long-running commands */

int cli_set_log_level(const char *cmd, const char *value)
{
    int lvl = slu_log_parse_level(value);
    if (lvl < 0) {
        fprintf(stderr, "sluice %s: --log-level: unknown level \"%s\"\n", cmd, value);
        return 2;
    }
    slu_log_set_level((enum slu_log_level)lvl);
    return 0;
}

void cli_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}
