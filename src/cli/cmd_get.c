/*
 * cmd_get.c - `sluice get apps|scheduledapps [NAME] [-n NS|-A] [-o wide|json|yaml|name] [-w]`:
 * lists SparkApplications (NAME STATUS ATTEMPTS START FINISH AGE; wide adds DRIVER, EXECUTORS
 * running/total, APP-ID) or ScheduledSparkApplications (NAME SCHEDULE SUSPEND LAST-RUN AGE;
 * wide adds STATE, LAST-RUN-NAME, NEXT-RUN), as kubectl prints tables.
 *
 * -w prints the current table, then watches from the list's resourceVersion and prints one row
 * per change (ADDED, MODIFIED, DELETED), aligned on the first table's columns; a watch that ends
 * is resumed from the last resourceVersion seen, and a 410 Gone restarts from a fresh list
 * (printing only rows that differ from what was last printed for that object).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"

#define MAXCOLS 12

struct kind_desc {
    const char *const *names; /* accepted spellings, NULL-terminated; [0] is the display */
    const struct kube_resource *res;
    const char *type_name; /* for -o name and messages */
    size_t ncols, nwide;
    const char *headers[MAXCOLS];
    /* fills ncols (+ nwide when wide) cells into cells (owned strings) */
    void (*row)(const json_t *obj, bool wide, int64_t now, char **cells);
};

static char *dup_or_null(const char *s)
{
    return s && *s ? slu_strdup(s) : NULL;
}

static char *int_at(const json_t *o, const char *path)
{
    json_t *v = slu_json_path(o, path);
    return json_is_integer(v) ? slu_asprintf("%lld", (long long)json_integer_value(v)) : NULL;
}

static char *age_of(const json_t *o, int64_t now)
{
    char buf[32];
    cli_age(slu_json_str(o, "metadata.creationTimestamp"), now, buf, sizeof buf);
    return slu_strdup(buf);
}

static void app_row(const json_t *app, bool wide, int64_t now, char **c)
{
    c[0] = slu_strdup(kube_object_name(app));
    c[1] = dup_or_null(slu_json_str(app, "status.applicationState.state"));
    c[2] = int_at(app, "status.executionAttempts");
    c[3] = dup_or_null(slu_json_str(app, "status.lastSubmissionAttemptTime"));
    c[4] = dup_or_null(slu_json_str(app, "status.terminationTime"));
    c[5] = age_of(app, now);
    if (!wide)
        return;
    c[6] = dup_or_null(slu_json_str(app, "status.driverInfo.podName"));
    int running, total;
    cli_app_executors(app, &running, &total);
    c[7] = slu_asprintf("%d/%d", running, total);
    c[8] = dup_or_null(slu_json_str(app, "status.sparkApplicationId"));
}

static void sched_row(const json_t *o, bool wide, int64_t now, char **c)
{
    c[0] = slu_strdup(kube_object_name(o));
    c[1] = dup_or_null(slu_json_str(o, "spec.schedule"));
    c[2] = slu_strdup(slu_json_bool(o, "spec.suspend", false) ? "true" : "false");
    const char *last = slu_json_str(o, "status.lastRun");
    if (last) {
        char buf[32];
        cli_age(last, now, buf, sizeof buf);
        c[3] = slu_asprintf("%s ago", buf);
    } else {
        c[3] = NULL;
    }
    c[4] = age_of(o, now);
    if (!wide)
        return;
    c[5] = dup_or_null(slu_json_str(o, "status.scheduleState"));
    c[6] = dup_or_null(slu_json_str(o, "status.lastRunName"));
    c[7] = dup_or_null(slu_json_str(o, "status.nextRun"));
}

static const char *const app_names[] = {"apps",
                                        "app",
                                        "sparkapplications",
                                        "sparkapplication",
                                        "sparkapp",
                                        "sparkapps",
                                        "sparkapplications.sparkoperator.k8s.io",
                                        NULL};
static const char *const sched_names[] = {"scheduledapps",
                                          "scheduledapp",
                                          "scheduledsparkapplications",
                                          "scheduledsparkapplication",
                                          "scheduledsparkapp",
                                          "scheduledsparkapplications.sparkoperator.k8s.io",
                                          NULL};

static const struct kind_desc kinds[] = {
    {app_names,
     &CLI_RES_SPARKAPPS,
     "sparkapplication.sparkoperator.k8s.io",
     6,
     3,
     {"NAME", "STATUS", "ATTEMPTS", "START", "FINISH", "AGE", "DRIVER", "EXECUTORS", "APP-ID"},
     app_row},
    {sched_names,
     &CLI_RES_SCHEDULEDAPPS,
     "scheduledsparkapplication.sparkoperator.k8s.io",
     5,
     3,
     {"NAME", "SCHEDULE", "SUSPEND", "LAST-RUN", "AGE", "STATE", "LAST-RUN-NAME", "NEXT-RUN"},
     sched_row},
};

static const struct kind_desc *find_kind_desc(const char *word)
{
    for (size_t k = 0; k < SLU_ARRAY_LEN(kinds); k++)
        for (const char *const *n = kinds[k].names; *n; n++)
            if (strcmp(*n, word) == 0)
                return &kinds[k];
    return NULL;
}

static void get_usage(FILE *f)
{
    fprintf(f, "Usage: sluice get apps|scheduledapps [NAME] [options]\n\n"
               "Lists SparkApplications (apps) or ScheduledSparkApplications (scheduledapps).\n\n"
               "Options:\n"
               "  -n, --namespace NS      namespace (default: the kubeconfig context's)\n"
               "  -A, --all-namespaces    list across all namespaces\n"
               "  -o, --output FORMAT     wide, json, yaml or name\n"
               "  -w, --watch             after listing, print a line for each change\n"
               "  --kubeconfig PATH       kubeconfig file\n"
               "  --context NAME          kubeconfig context\n\n"
               "Columns: NAME STATUS ATTEMPTS START FINISH AGE; -o wide adds DRIVER,\n"
               "EXECUTORS (running/total) and APP-ID. Scheduled apps: NAME SCHEDULE SUSPEND\n"
               "LAST-RUN AGE; wide adds STATE, LAST-RUN-NAME, NEXT-RUN.\n\n"
               "Examples:\n"
               "  sluice get apps\n"
               "  sluice get apps -A -o wide\n"
               "  sluice get app spark-pi -o yaml\n"
               "  sluice get apps -w\n");
}

/* ---------------------------------------------------------------- printing rows */

struct printer {
    const struct kind_desc *kd;
    bool wide, all_ns, name_only;
    size_t ncols;
    size_t width[MAXCOLS + 1];
    struct slu_map last; /* ns/name -> last printed line (owned) */
};

static size_t row_cells(const struct printer *p, const json_t *obj, const char **cells,
                        char **owned)
{
    size_t n = 0;
    int64_t now = slu_now_unix();
    memset(owned, 0, sizeof(char *) * MAXCOLS);
    p->kd->row(obj, p->wide, now, owned);
    if (p->all_ns)
        cells[n++] = kube_object_namespace(obj);
    for (size_t i = 0; i < p->kd->ncols + (p->wide ? p->kd->nwide : 0); i++)
        cells[n++] = owned[i];
    return n;
}

static void free_cells(char **owned)
{
    for (size_t i = 0; i < MAXCOLS; i++)
        free(owned[i]);
}

static void header_cells(const struct printer *p, const char **cells)
{
    size_t n = 0;
    if (p->all_ns)
        cells[n++] = "NAMESPACE";
    for (size_t i = 0; i < p->kd->ncols + (p->wide ? p->kd->nwide : 0); i++)
        cells[n++] = p->kd->headers[i];
}

/* One row as a line aligned on p->width (returned owned). */
static char *format_row(const struct printer *p, const json_t *obj)
{
    struct slu_buf line = {0};
    if (p->name_only) {
        slu_buf_printf(&line, "%s/%s", p->kd->type_name, kube_object_name(obj));
        return slu_buf_steal(&line);
    }
    const char *cells[MAXCOLS + 1];
    char *owned[MAXCOLS];
    size_t n = row_cells(p, obj, cells, owned);
    for (size_t i = 0; i < n; i++) {
        const char *s = cells[i] && *cells[i] ? cells[i] : "<none>";
        if (i + 1 == n)
            slu_buf_puts(&line, s);
        else
            slu_buf_printf(&line, "%-*s   ", (int)p->width[i], s);
    }
    free_cells(owned);
    return slu_buf_steal(&line);
}

/* Prints the row of obj unless it is what was last printed for that object. */
static void print_row(struct printer *p, const json_t *obj, bool force)
{
    char *key = kube_object_key(obj);
    char *line = format_row(p, obj);
    const char *prev = slu_map_get(&p->last, key);
    if (force || !prev || strcmp(prev, line)) {
        printf("%s\n", line);
        fflush(stdout);
        slu_map_put(&p->last, key, line);
        line = NULL;
    }
    free(line);
    free(key);
}

/* Prints the initial table of items and records the column widths. */
static void print_table(struct printer *p, const json_t *items)
{
    size_t i;
    json_t *o;
    if (p->name_only) {
        json_array_foreach(items, i, o) print_row(p, o, false);
        return;
    }
    const char *cells[MAXCOLS + 1];
    header_cells(p, cells);
    struct cli_table t;
    cli_table_init(&t, p->ncols, cells);
    json_array_foreach(items, i, o)
    {
        char *owned[MAXCOLS];
        row_cells(p, o, cells, owned);
        cli_table_add(&t, cells);
        free_cells(owned);
    }
    for (size_t k = 0; k < t.cells.len; k++) {
        size_t l = strlen(t.cells.items[k]);
        if (l > p->width[k % p->ncols])
            p->width[k % p->ncols] = l;
    }
    cli_table_print(&t, stdout);
    fflush(stdout);
    cli_table_release(&t);
    json_array_foreach(items, i, o)
    {
        char *key = kube_object_key(o);
        slu_map_put(&p->last, key, format_row(p, o));
        free(key);
    }
}

/* ---------------------------------------------------------------- watch */

struct watch_ctx {
    struct printer *p;
    char *rv;
    const char *name; /* only this object, or NULL */
};

static bool on_event(void *ud, const char *type, json_t *obj)
{
    struct watch_ctx *w = ud;
    const char *rv = kube_object_rv(obj);
    if (rv) {
        free(w->rv);
        w->rv = slu_strdup(rv);
    }
    if (strcmp(type, "BOOKMARK") == 0 || strcmp(type, "ERROR") == 0)
        return true;
    if (w->name && !slu_streq(kube_object_name(obj), w->name))
        return true;
    print_row(w->p, obj, strcmp(type, "DELETED") == 0);
    return true;
}

static int watch_loop(struct kube_client *cl, const struct kind_desc *kd, const char *ns,
                      const char *name, struct printer *p, const char *rv)
{
    struct watch_ctx w = {.p = p, .rv = slu_strdup(rv), .name = name};
    char *fsel = name ? slu_asprintf("metadata.name=%s", name) : NULL;
    int failures = 0, code = 0;
    for (;;) {
        struct slu_err err = {0};
        struct kube_watch_opts wo = {.field_selector = fsel,
                                     .resource_version = w.rv,
                                     .allow_bookmarks = true,
                                     .timeout_seconds = 600};
        int rc = kube_watch(cl, kd->res, ns, &wo, on_event, &w, NULL, &err);
        if (rc == SLU_EGONE) {
            /* fell out of the window: relist, print what changed */
            json_t *list = NULL;
            struct kube_list_opts lo = {.field_selector = fsel};
            slu_err_release(&err);
            rc = kube_list_all(cl, kd->res, ns, &lo, &list, &err);
            if (rc == 0) {
                size_t i;
                json_t *o;
                json_array_foreach(json_object_get(list, "items"), i, o) print_row(p, o, false);
                free(w.rv);
                w.rv = slu_strdup(slu_json_str(list, "metadata.resourceVersion"));
                json_decref(list);
            }
        }
        if (rc == 0) {
            failures = 0;
        } else if (++failures >= 5) {
            code = cli_api_error(&err, "watch");
            slu_err_release(&err);
            break;
        } else {
            slu_sleep_ms(500 * failures);
        }
        slu_err_release(&err);
    }
    free(fsel);
    free(w.rv);
    return code;
}

/* ---------------------------------------------------------------- command */

int cmd_get(int argc, char **argv)
{
    struct cli_common com = {0};
    bool watch = false;
    struct cli_flag flags[] = {{"watch", 'w', NULL, &watch}, {NULL, 0, NULL, NULL}};
    struct slu_vec pos = {0};
    struct kube_client *cl = NULL;
    json_t *result = NULL;
    struct slu_err err = {0};
    struct printer p = {0};
    slu_map_init(&p.last, free);
    int code = cli_parse(argc, argv, "get", CLI_F_NAMESPACE | CLI_F_ALL_NAMESPACES | CLI_F_OUTPUT,
                         flags, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        get_usage(stdout);
        goto out;
    }
    if (pos.len == 0) {
        code = cli_error("you must specify the type of resource to get: apps or scheduledapps\n"
                         "See 'sluice get --help' for usage.");
        goto out;
    }
    const struct kind_desc *kd = find_kind_desc(pos.items[0]);
    if (!kd) {
        code = cli_error("the server doesn't have a resource type \"%s\" (sluice get knows: "
                         "apps, scheduledapps)",
                         (const char *)pos.items[0]);
        goto out;
    }
    if (pos.len > 2) {
        code = cli_error("only one NAME may be given (got \"%s\")", (const char *)pos.items[2]);
        goto out;
    }
    const char *name = pos.len == 2 ? pos.items[1] : NULL;
    const char *out = com.output;
    if (out && strcmp(out, "wide") && strcmp(out, "json") && strcmp(out, "yaml") &&
        strcmp(out, "name")) {
        code = cli_error("unable to match a printer suitable for the output format \"%s\", "
                         "allowed formats are: json, name, wide, yaml",
                         out);
        goto out;
    }
    if (name && com.all_namespaces) {
        code = cli_error("a resource cannot be retrieved by name across all namespaces");
        goto out;
    }
    const char *ns = NULL;
    if (cli_connect(&com, NULL, &cl, &ns)) {
        code = 1;
        goto out;
    }
    const char *lns = com.all_namespaces ? NULL : ns;
    int rc;
    if (name)
        rc = kube_get(cl, kd->res, lns, name, &result, &err);
    else
        rc = kube_list_all(cl, kd->res, lns, NULL, &result, &err);
    if (rc != 0) {
        code = cli_api_error(&err, NULL);
        if (name)
            cli_not_found_hint(&err, kd->res, lns);
        goto out;
    }
    json_t *items;
    if (name) {
        items = json_array();
        json_array_append(items, result);
    } else {
        items = json_incref(json_object_get(result, "items"));
    }
    if (out && (strcmp(out, "json") == 0 || strcmp(out, "yaml") == 0)) {
        if (name) {
            code = cli_print_object(stdout, result, out);
        } else {
            json_t *l = cli_list_of(items);
            code = cli_print_object(stdout, l, out);
            json_decref(l);
        }
        json_decref(items);
        goto out;
    }
    p.kd = kd;
    p.wide = out && strcmp(out, "wide") == 0;
    p.name_only = out && strcmp(out, "name") == 0;
    p.all_ns = com.all_namespaces;
    p.ncols = kd->ncols + (p.wide ? kd->nwide : 0) + (p.all_ns ? 1 : 0);
    if (json_array_size(items) == 0 && !watch) {
        if (lns)
            fprintf(stderr, "No resources found in %s namespace.\n", lns);
        else
            fprintf(stderr, "No resources found\n");
    } else {
        print_table(&p, items);
    }
    json_decref(items);
    if (watch) {
        const char *rv =
            name ? kube_object_rv(result) : slu_json_str(result, "metadata.resourceVersion");
        code = watch_loop(cl, kd, lns, name, &p, rv);
    }
out:
    slu_map_release(&p.last);
    slu_err_release(&err);
    json_decref(result);
    kube_client_free(cl);
    slu_vec_release(&pos, NULL);
    return code;
}
