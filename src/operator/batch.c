/*
 * batch.c - spec.batchScheduler integration (op_int.h): the objects and pod settings a batch
 * scheduler needs before the driver pod is created, and their cleanup (spec §4.5, the reference's
 * internal/scheduler/{volcano,yunikorn}).
 *
 * Without spec.batchScheduler (absent, "" or "default-scheduler") nothing is done. The pods'
 * schedulerName already comes from spark_app_to_submission (src/spark/app.c: batchScheduler is
 * the schedulerName of the driver and of the executors). Supported names:
 *
 * - "volcano": a scheduling.volcano.sh/v1beta1 PodGroup `spark-<app>-pg` owned by the app
 *   (minMember 1; minResources = batchSchedulerOptions.resources, else driver + initial executors
 *   in cluster mode, executors only in client mode; queue and priorityClassName from
 *   batchSchedulerOptions), created idempotently before the driver pod; the annotation
 *   `scheduling.k8s.io/group-name` on the driver and the executors. A user-set group-name
 *   annotation (driver in cluster mode, executor in client mode) means "my own PodGroup": nothing
 *   is created, as in the reference. The PodGroup is deleted by op__batch_cleanup.
 * - "yunikorn": no object. Label `queue=<batchSchedulerOptions.queue>` on driver and executors,
 *   `yunikorn.apache.org/task-group-name` (spark-driver / spark-executor) and, on the driver, the
 *   task-group definitions `yunikorn.apache.org/task-groups` (JSON: name, minMember,
 *   minResource, nodeSelector, tolerations, affinity, labels; no executor group when there are no
 *   initial executors).
 *
 * How the settings reach the pods: the driver pod is objects[0] and is edited directly; the
 * executors are built later by the driver from its spark.properties (the conf ConfigMap among
 * objects), so each executor label/annotation becomes `spark.kubernetes.executor.{label,
 * annotation}.<key>` there, exactly as spark-submit would have received it. The driver's keys are
 * also written as `spark.kubernetes.driver.{label,annotation}.<key>`, so the conf stays what a
 * spark-submit with those settings would have written. The file is parsed and stored again
 * (sorted, same comment and date lines) with src/spark's Properties reader/writer.
 *
 * Resources come from the built objects, not from a second estimate of Spark's arithmetic: the
 * driver's from its spark-kubernetes-driver container requests, an executor's from the conf
 * (spark.kubernetes.executor.request.cores or spark.executor.cores; spark_executor_memory, which
 * includes overhead, off-heap and PySpark memory), times the initial executor count
 * (spark.executor.instances, or with dynamic allocation max(minExecutors, initialExecutors,
 * instances); at most 10000 as in the reference).
 */
#include <string.h>

#include "operator/op_int.h"

#define BS_VOLCANO "volcano"
#define BS_YUNIKORN "yunikorn"
#define ANN_VOLCANO_GROUP "scheduling.k8s.io/group-name"
#define ANN_YK_TASK_GROUP_NAME "yunikorn.apache.org/task-group-name"
#define ANN_YK_TASK_GROUPS "yunikorn.apache.org/task-groups"
#define LABEL_YK_QUEUE "queue"
#define PROPS_KEY "spark.properties"
#define MAX_EXECUTORS 10000
#define PROPS_MAX (4 << 20)

static const struct kube_resource RES_PODGROUPS = {"scheduling.volcano.sh", "v1beta1", "podgroups",
                                                   "PodGroup", true};

/* The batch scheduler the app names, or NULL for none. */
static const char *scheduler_of(const json_t *app)
{
    const char *bs =
        json_string_value(json_object_get(json_object_get(app, "spec"), "batchScheduler"));
    if (!bs || !*bs || strcmp(bs, "default-scheduler") == 0)
        return NULL;
    return bs;
}

char *op__podgroup_name(const char *app)
{
    return slu_asprintf("spark-%s-pg", app);
}

/* ---------------------------------------------------------------- the built objects */

struct bctx {
    const json_t *app;
    json_t *pod;             /* objects[0] (borrowed) */
    json_t *cm;              /* the conf ConfigMap (borrowed) or NULL */
    struct spark_conf *conf; /* its spark.properties (owned) or NULL */
    char *comment, *date;    /* its header lines (owned) or NULL */
};

static void bctx_release(struct bctx *b)
{
    spark_conf_free(b->conf);
    free(b->comment);
    free(b->date);
}

static json_t *obj_map(json_t *obj, const char *key)
{
    json_t *md = json_object_get(obj, "metadata");
    json_t *m = json_object_get(md, key);
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(md, key, m);
    }
    return m;
}

/* The header comment lines ("#...") of a Properties text: the first two become comment and date
 * (without '#'). */
static void header_lines(const char *text, char **comment, char **date)
{
    const char *p = text;
    for (int i = 0; i < 2 && *p == '#'; i++) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = slu_strndup(p + 1, n - 1);
        if (i == 0)
            *comment = line;
        else
            *date = line;
        p = nl ? nl + 1 : p + n;
    }
    if (*comment && !*date) { /* a single header line is the date (no comment) */
        *date = *comment;
        *comment = NULL;
    }
}

/* Finds the driver pod and the conf ConfigMap in objects and parses its spark.properties. */
static int bctx_init(struct bctx *b, const json_t *app, json_t *objects, struct slu_err *err)
{
    memset(b, 0, sizeof *b);
    b->app = app;
    b->pod = json_array_get(objects, 0);
    if (!slu_streq(slu_json_str(b->pod, "kind"), "Pod"))
        return slu_err_set(err, SLU_EINVAL, "the built objects do not start with the driver pod");
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o)
    {
        const char *nm = slu_json_str(o, "metadata.name");
        if (i > 0 && slu_streq(slu_json_str(o, "kind"), "ConfigMap") && nm &&
            slu_str_has_prefix(nm, "spark-drv-") &&
            json_is_string(json_object_get(json_object_get(o, "data"), PROPS_KEY))) {
            b->cm = o;
            break;
        }
    }
    if (!b->cm)
        return 0;
    const json_t *t = json_object_get(json_object_get(b->cm, "data"), PROPS_KEY);
    size_t len = json_string_length(t);
    if (len > PROPS_MAX)
        return slu_err_set(err, SLU_ETOOBIG, "%s of ConfigMap %s: over %d bytes", PROPS_KEY,
                           slu_json_str(b->cm, "metadata.name"), PROPS_MAX);
    b->conf = spark_conf_new();
    int rc = spark_properties_parse(json_string_value(t), len, PROPS_KEY, b->conf, err);
    if (rc)
        return rc;
    header_lines(json_string_value(t), &b->comment, &b->date);
    return 0;
}

/* Writes the conf back into the ConfigMap. */
static void bctx_store(struct bctx *b)
{
    if (!b->cm || !b->conf)
        return;
    char *text = spark_properties_store(b->conf, b->comment, b->date, true);
    json_object_set_new(json_object_get(b->cm, "data"), PROPS_KEY, json_string(text));
    free(text);
}

/* role "driver" or "executor"; kind "label" or "annotation". The driver pod gets it directly;
 * both get the Spark conf key. */
static int set_meta(struct bctx *b, const char *role, const char *kind, const char *key,
                    const char *value, struct slu_err *err)
{
    bool driver = strcmp(role, "driver") == 0;
    if (driver)
        json_object_set_new(obj_map(b->pod, strcmp(kind, "label") == 0 ? "labels" : "annotations"),
                            key, json_string(value));
    if (!b->conf) {
        if (driver)
            return 0;
        return slu_err_set(err, SLU_EINVAL,
                           "the executors' %s %s cannot be set: no conf ConfigMap was built", kind,
                           key);
    }
    char *ck = slu_asprintf("spark.kubernetes.%s.%s.%s", role, kind, key);
    spark_conf_set(b->conf, ck, value);
    free(ck);
    return 0;
}

/* ---------------------------------------------------------------- resources */

struct podres {
    char cpu[64]; /* as requested ("1", "500m") */
    char mem[64]; /* as requested ("1408Mi") */
    struct kube_quantity qcpu, qmem;
};

static const json_t *driver_container(const json_t *pod)
{
    json_t *cs = slu_json_path(pod, "spec.containers");
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c)
    {
        if (slu_streq(slu_json_str(c, "name"), "spark-kubernetes-driver"))
            return c;
    }
    return json_array_get(cs, 0);
}

static int parse_q(const char *what, const char *s, char *buf, size_t n, struct kube_quantity *q,
                   struct slu_err *err)
{
    if (!s || !*s)
        return slu_err_set(err, SLU_EINVAL, "%s: no value", what);
    int rc = kube_quantity_parse(s, q, err);
    if (rc) {
        slu_err_prefix(err, "%s", what);
        return rc;
    }
    slu_strlcpy(buf, s, n);
    return 0;
}

static int driver_res(const struct bctx *b, struct podres *r, struct slu_err *err)
{
    const json_t *req = slu_json_path(driver_container(b->pod), "resources.requests");
    const json_t *cpu = json_object_get(req, "cpu"), *mem = json_object_get(req, "memory");
    char cbuf[64] = "", mbuf[64] = "";
    if (json_is_integer(cpu))
        snprintf(cbuf, sizeof cbuf, "%lld", (long long)json_integer_value(cpu));
    else if (json_is_string(cpu))
        slu_strlcpy(cbuf, json_string_value(cpu), sizeof cbuf);
    if (json_is_string(mem))
        slu_strlcpy(mbuf, json_string_value(mem), sizeof mbuf);
    int rc = parse_q("driver cpu request", cbuf, r->cpu, sizeof r->cpu, &r->qcpu, err);
    if (rc == 0)
        rc = parse_q("driver memory request", mbuf, r->mem, sizeof r->mem, &r->qmem, err);
    return rc;
}

static int executor_res(const struct bctx *b, struct podres *r, struct slu_err *err)
{
    if (!b->conf)
        return slu_err_set(err, SLU_EINVAL, "no conf ConfigMap was built");
    const char *cpu = spark_conf_get(b->conf, "spark.kubernetes.executor.request.cores");
    if (!cpu || !*cpu)
        cpu = spark_conf_get(b->conf, "spark.executor.cores");
    if (!cpu || !*cpu)
        cpu = "1";
    int rc = parse_q("executor cpu request", cpu, r->cpu, sizeof r->cpu, &r->qcpu, err);
    if (rc)
        return rc;
    struct spark_memory m;
    rc = spark_executor_memory(b->conf, slu_json_str(b->app, "spec.sparkVersion"), &m, err);
    if (rc)
        return rc;
    snprintf(r->mem, sizeof r->mem, "%lldMi", (long long)m.total);
    r->qmem = kube_quantity_from_int(m.total * 1024 * 1024, KUBE_QF_BINARY_SI);
    return 0;
}

/* The initial executor count (see the file comment). */
static int initial_executors(const struct bctx *b, int32_t *out, struct slu_err *err)
{
    *out = 0;
    if (!b->conf)
        return 0;
    bool da = false;
    int32_t inst = 0, mn = 0, init = 0;
    int rc = spark_conf_get_bool(b->conf, "spark.dynamicAllocation.enabled", false, &da, err);
    if (rc == 0)
        rc = spark_conf_get_int(b->conf, "spark.executor.instances", da ? 0 : 1, &inst, err);
    if (rc == 0 && da)
        rc = spark_conf_get_int(b->conf, "spark.dynamicAllocation.minExecutors", 0, &mn, err);
    if (rc == 0 && da)
        rc =
            spark_conf_get_int(b->conf, "spark.dynamicAllocation.initialExecutors", mn, &init, err);
    if (rc)
        return rc;
    int32_t n = inst;
    if (mn > n)
        n = mn;
    if (init > n)
        n = init;
    if (n < 0)
        n = 0;
    if (n > MAX_EXECUTORS)
        return slu_err_set(err, SLU_EINVAL,
                           "%d initial executors exceed the maximum supported value %d", n,
                           MAX_EXECUTORS);
    *out = n;
    return 0;
}

static void fmt_q(const struct kube_quantity *q, char *buf, size_t n)
{
    kube_quantity_format(q, buf, n);
}

/* minResources of the PodGroup: {cpu, memory} of the driver (unless client mode) plus n times
 * an executor's. Returned owned. */
static int volcano_min_resources(const struct bctx *b, bool client, json_t **out,
                                 struct slu_err *err)
{
    const json_t *given = slu_json_path(b->app, "spec.batchSchedulerOptions.resources");
    if (json_is_object(given) && json_object_size(given) > 0) {
        *out = slu_json_copy(given);
        return 0;
    }
    struct kube_quantity cpu = kube_quantity_from_int(0, KUBE_QF_DECIMAL_SI);
    struct kube_quantity mem = kube_quantity_from_int(0, KUBE_QF_BINARY_SI);
    int rc;
    if (!client) {
        struct podres d;
        rc = driver_res(b, &d, err);
        if (rc)
            return rc;
        cpu = kube_quantity_from_milli(kube_quantity_milli(&d.qcpu), KUBE_QF_DECIMAL_SI);
        mem = kube_quantity_from_int(kube_quantity_value(&d.qmem), KUBE_QF_BINARY_SI);
    }
    int32_t n;
    rc = initial_executors(b, &n, err);
    if (rc)
        return rc;
    if (n > 0) {
        struct podres e;
        rc = executor_res(b, &e, err);
        if (rc)
            return rc;
        /* n <= 10000 and requests fit int64 milli-units: no overflow below 9.2e11 cores */
        int64_t em = kube_quantity_milli(&e.qcpu), eb = kube_quantity_value(&e.qmem);
        if (em > INT64_MAX / MAX_EXECUTORS || eb > INT64_MAX / MAX_EXECUTORS)
            return slu_err_set(err, SLU_EINVAL, "executor requests too large (%s, %s)", e.cpu,
                               e.mem);
        struct kube_quantity ec = kube_quantity_from_milli(em * n, KUBE_QF_DECIMAL_SI);
        struct kube_quantity emem = kube_quantity_from_int(eb * n, KUBE_QF_BINARY_SI);
        kube_quantity_add(&cpu, &ec);
        kube_quantity_add(&mem, &emem);
    }
    char cb[64], mb[64];
    fmt_q(&cpu, cb, sizeof cb);
    fmt_q(&mem, mb, sizeof mb);
    *out = json_pack("{s:s, s:s}", "cpu", cb, "memory", mb);
    return 0;
}

/* ---------------------------------------------------------------- volcano */

static bool user_annotation(const json_t *app, const char *role, const char *key)
{
    char path[64];
    snprintf(path, sizeof path, "spec.%s.annotations", role);
    return json_object_get(slu_json_path(app, path), key) != NULL;
}

static int volcano_prepare(struct op_controller *ctl, struct bctx *b, struct slu_err *err)
{
    const json_t *app = b->app;
    bool client = slu_streq(slu_json_str(app, "spec.mode"), "client");
    if (user_annotation(app, client ? "executor" : "driver", ANN_VOLCANO_GROUP))
        return 0; /* the user's own PodGroup */
    json_t *minres = NULL;
    int rc = volcano_min_resources(b, client, &minres, err);
    if (rc) {
        slu_err_prefix(err, "volcano minResources");
        return rc;
    }
    const char *name = kube_object_name(app), *ns = kube_object_namespace(app);
    char *pg = op__podgroup_name(name);
    json_t *obj =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:o}, s:{s:i, s:o}}", "apiVersion",
                  "scheduling.volcano.sh/v1beta1", "kind", "PodGroup", "metadata", "name", pg,
                  "namespace", ns, "labels", SPARK_LABEL_APP_NAME, name, "ownerReferences",
                  op__app_owner_refs(app), "spec", "minMember", 1, "minResources", minres);
    json_t *spec = json_object_get(obj, "spec");
    const char *queue = slu_json_str(app, "spec.batchSchedulerOptions.queue");
    const char *pcn = slu_json_str(app, "spec.batchSchedulerOptions.priorityClassName");
    if (queue && *queue)
        json_object_set_new(spec, "queue", json_string(queue));
    if (pcn && *pcn)
        json_object_set_new(spec, "priorityClassName", json_string(pcn));
    rc = op__create(ctl, &RES_PODGROUPS, ns, obj, NULL, err);
    json_decref(obj);
    if (rc == SLU_EEXIST) { /* a retry or a resumed attempt: same name, same owner */
        slu_err_release(err);
        rc = 0;
    } else if (rc == SLU_ENOTFOUND) {
        slu_err_release(err);
        rc = slu_err_set(err, SLU_ENOTFOUND,
                         "PodGroup %s: the resource podgroups.scheduling.volcano.sh "
                         "(scheduling.volcano.sh/v1beta1) is not served: the Volcano PodGroup "
                         "CRD is not installed in the cluster",
                         pg);
    } else if (rc) {
        slu_err_prefix(err, "creating PodGroup %s", pg);
    }
    if (rc == 0 && !client)
        rc = set_meta(b, "driver", "annotation", ANN_VOLCANO_GROUP, pg, err);
    if (rc == 0)
        rc = set_meta(b, "executor", "annotation", ANN_VOLCANO_GROUP, pg, err);
    free(pg);
    return rc;
}

/* ---------------------------------------------------------------- yunikorn */

static json_t *task_group(const json_t *app, const char *role, const char *name, int32_t n,
                          const struct podres *r)
{
    json_t *tg = json_pack("{s:s, s:i, s:{s:s, s:s}}", "name", name, "minMember", n, "minResource",
                           "cpu", r->cpu, "memory", r->mem);
    json_t *spec = json_object_get(app, "spec"), *ps = json_object_get(spec, role);
    json_t *sel = json_object();
    if (json_is_object(json_object_get(spec, "nodeSelector")))
        json_object_update(sel, json_object_get(spec, "nodeSelector"));
    if (json_is_object(json_object_get(ps, "nodeSelector")))
        json_object_update(sel, json_object_get(ps, "nodeSelector"));
    if (json_object_size(sel) > 0)
        json_object_set_new(tg, "nodeSelector", sel);
    else
        json_decref(sel);
    json_t *v = json_object_get(ps, "tolerations");
    if (json_is_array(v) && json_array_size(v) > 0)
        json_object_set_new(tg, "tolerations", slu_json_copy(v));
    v = json_object_get(ps, "affinity");
    if (json_is_object(v))
        json_object_set_new(tg, "affinity", slu_json_copy(v));
    v = json_object_get(ps, "labels");
    if (json_is_object(v) && json_object_size(v) > 0)
        json_object_set_new(tg, "labels", slu_json_copy(v));
    return tg;
}

static int yunikorn_prepare(struct bctx *b, struct slu_err *err)
{
    struct podres d, e;
    int32_t n;
    int rc = driver_res(b, &d, err);
    if (rc == 0)
        rc = initial_executors(b, &n, err);
    if (rc == 0 && n > 0)
        rc = executor_res(b, &e, err);
    if (rc) {
        slu_err_prefix(err, "yunikorn task groups");
        return rc;
    }
    json_t *groups = json_array();
    json_array_append_new(groups, task_group(b->app, "driver", "spark-driver", 1, &d));
    if (n > 0) /* minMember 0 is not a valid task group */
        json_array_append_new(groups, task_group(b->app, "executor", "spark-executor", n, &e));
    char *text = json_dumps(groups, JSON_COMPACT);
    json_decref(groups);
    const char *queue = slu_json_str(b->app, "spec.batchSchedulerOptions.queue");
    if (queue && *queue) {
        rc = set_meta(b, "driver", "label", LABEL_YK_QUEUE, queue, err);
        if (rc == 0)
            rc = set_meta(b, "executor", "label", LABEL_YK_QUEUE, queue, err);
    }
    if (rc == 0)
        rc = set_meta(b, "driver", "annotation", ANN_YK_TASK_GROUP_NAME, "spark-driver", err);
    if (rc == 0)
        rc = set_meta(b, "executor", "annotation", ANN_YK_TASK_GROUP_NAME, "spark-executor", err);
    if (rc == 0)
        rc = set_meta(b, "driver", "annotation", ANN_YK_TASK_GROUPS, text, err);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- hooks */

int op__batch_prepare(struct op_controller *ctl, const json_t *app, json_t *objects,
                      struct slu_err *err)
{
    const char *bs = scheduler_of(app);
    if (!bs)
        return 0;
    bool volcano = strcmp(bs, BS_VOLCANO) == 0;
    if (!volcano && strcmp(bs, BS_YUNIKORN) != 0)
        return slu_err_set(err, SLU_EINVAL,
                           "spec.batchScheduler: unsupported value \"%.100s\": supported values "
                           "are \"volcano\" and \"yunikorn\" (or none)",
                           bs);
    struct bctx b;
    int rc = bctx_init(&b, app, objects, err);
    if (rc == 0)
        rc = volcano ? volcano_prepare(ctl, &b, err) : yunikorn_prepare(&b, err);
    if (rc == 0)
        bctx_store(&b);
    bctx_release(&b);
    return rc;
}

bool op__batch_needed(const json_t *app)
{
    return scheduler_of(app) != NULL;
}

int op__batch_cleanup(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    if (!slu_streq(scheduler_of(app), BS_VOLCANO))
        return 0;
    if (user_annotation(app,
                        slu_streq(slu_json_str(app, "spec.mode"), "client") ? "executor" : "driver",
                        ANN_VOLCANO_GROUP))
        return 0; /* not ours */
    char *pg = op__podgroup_name(kube_object_name(app));
    struct kube_delete_opts d = {.grace_period_seconds = -1};
    int rc = op__delete(ctl, &RES_PODGROUPS, kube_object_namespace(app), pg, &d, NULL, err);
    if (rc == SLU_ENOTFOUND) { /* gone, or the kind is not installed */
        slu_err_release(err);
        rc = 0;
    } else if (rc) {
        slu_err_prefix(err, "deleting PodGroup %s", pg);
    }
    free(pg);
    return rc;
}
