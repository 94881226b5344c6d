/*
 * logic.c - the pure parts of the SparkApplication controller: state names, the driver-pod ->
 * application-state mapping of spec §2, ShouldRetry and the retry back-off, the spec hash and the
 * deterministic submission ids, the bounded executor status, and object names. No I/O, no clock
 * of its own (callers pass "now"), so the unit tests drive exactly what production runs.
 */
#include <stdlib.h>
#include <string.h>

#include "operator/op_int.h"

const struct kube_resource OP_RES_SPARKAPPS = {OP_GROUP, OP_VERSION, "sparkapplications",
                                               "SparkApplication", true};
const struct kube_resource OP_RES_SCHEDULEDSPARKAPPS = {
    OP_GROUP, OP_VERSION, "scheduledsparkapplications", "ScheduledSparkApplication", true};

/* ---------------------------------------------------------------- states */

static const char *const state_names[OP_ST_COUNT] = {
    [OP_ST_NEW] = "",
    [OP_ST_SUBMITTED] = "SUBMITTED",
    [OP_ST_RUNNING] = "RUNNING",
    [OP_ST_COMPLETED] = "COMPLETED",
    [OP_ST_FAILED] = "FAILED",
    [OP_ST_SUBMISSION_FAILED] = "SUBMISSION_FAILED",
    [OP_ST_PENDING_RERUN] = "PENDING_RERUN",
    [OP_ST_INVALIDATING] = "INVALIDATING",
    [OP_ST_SUCCEEDING] = "SUCCEEDING",
    [OP_ST_FAILING] = "FAILING",
    [OP_ST_SUSPENDING] = "SUSPENDING",
    [OP_ST_SUSPENDED] = "SUSPENDED",
    [OP_ST_RESUMING] = "RESUMING",
    [OP_ST_UNKNOWN] = "UNKNOWN",
};

const char *op_state_name(enum op_state s)
{
    return (unsigned)s < OP_ST_COUNT ? state_names[s] : "UNKNOWN";
}

enum op_state op_state_parse(const char *s, bool *known)
{
    if (known)
        *known = true;
    if (!s || !*s)
        return OP_ST_NEW;
    for (int i = 1; i < OP_ST_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (enum op_state)i;
    if (known)
        *known = false;
    return OP_ST_UNKNOWN;
}

enum op_state op_app_state(const json_t *app)
{
    return op_state_parse(slu_json_str(app, "status.applicationState.state"), NULL);
}

static const char *const driver_names[] = {"PENDING", "RUNNING", "COMPLETED", "FAILED", "UNKNOWN"};

const char *op_driver_state_name(enum op_driver_state s)
{
    return (unsigned)s < SLU_ARRAY_LEN(driver_names) ? driver_names[s] : "UNKNOWN";
}

/* The driver container's status: by name, else the only/first one. Borrowed or NULL. */
static const json_t *driver_container(const json_t *pod)
{
    const json_t *cs = slu_json_path(pod, "status.containerStatuses");
    size_t i;
    const json_t *c;
    json_array_foreach(cs, i, c)
    {
        if (slu_streq(slu_json_str(c, "name"), OP_DRIVER_CONTAINER))
            return c;
    }
    return json_array_size(cs) == 1 ? json_array_get(cs, 0) : NULL;
}

enum op_driver_state op_driver_state_of(const json_t *pod, int *exit_code, const char **reason)
{
    *exit_code = -1;
    if (reason)
        *reason = NULL;
    const char *phase = slu_json_str(pod, "status.phase");
    const json_t *c = driver_container(pod);
    const json_t *term = c ? slu_json_path(c, "state.terminated") : NULL;
    if (json_is_object(term)) {
        *exit_code = (int)slu_json_int(term, "exitCode", 0);
        if (reason)
            *reason = slu_json_str(term, "reason");
    }
    if (!phase)
        return OP_DRV_UNKNOWN;
    if (strcmp(phase, "Pending") == 0)
        return OP_DRV_PENDING;
    if (strcmp(phase, "Running") == 0) {
        if (!json_is_object(term))
            return OP_DRV_RUNNING;
        return *exit_code == 0 ? OP_DRV_COMPLETED : OP_DRV_FAILED;
    }
    if (strcmp(phase, "Succeeded") == 0)
        return OP_DRV_COMPLETED;
    if (strcmp(phase, "Failed") == 0)
        return json_is_object(term) && *exit_code == 0 ? OP_DRV_COMPLETED : OP_DRV_FAILED;
    return OP_DRV_UNKNOWN;
}

enum op_state op_app_state_of_driver(enum op_driver_state d)
{
    switch (d) {
    case OP_DRV_PENDING:
        return OP_ST_SUBMITTED;
    case OP_DRV_RUNNING:
        return OP_ST_RUNNING;
    case OP_DRV_COMPLETED:
        return OP_ST_SUCCEEDING;
    case OP_DRV_FAILED:
        return OP_ST_FAILING;
    default:
        return OP_ST_UNKNOWN;
    }
}

const char *op_executor_state_of(const json_t *pod)
{
    const char *phase = slu_json_str(pod, "status.phase");
    if (!phase)
        return "UNKNOWN";
    if (strcmp(phase, "Pending") == 0)
        return "PENDING";
    if (strcmp(phase, "Running") == 0)
        return "RUNNING";
    if (strcmp(phase, "Succeeded") == 0)
        return "COMPLETED";
    if (strcmp(phase, "Failed") == 0)
        return "FAILED";
    return "UNKNOWN";
}

/* ---------------------------------------------------------------- retries */

bool op_should_retry(const json_t *app, enum op_state state)
{
    const json_t *rp = slu_json_path(app, "spec.restartPolicy");
    const char *type = slu_json_str(rp, "type");
    if (!type || strcmp(type, "Never") == 0)
        return false;
    bool always = strcmp(type, "Always") == 0;
    bool onfailure = strcmp(type, "OnFailure") == 0;
    switch (state) {
    case OP_ST_SUCCEEDING:
        return always;
    case OP_ST_FAILING: {
        if (always)
            return true;
        const json_t *n = json_object_get(rp, "onFailureRetries");
        return onfailure && json_is_integer(n) &&
               slu_json_int(app, "status.executionAttempts", 0) <= json_integer_value(n);
    }
    case OP_ST_SUBMISSION_FAILED: {
        if (always)
            return true;
        const json_t *n = json_object_get(rp, "onSubmissionFailureRetries");
        return onfailure && json_is_integer(n) &&
               slu_json_int(app, "status.submissionAttempts", 0) <= json_integer_value(n);
    }
    default:
        return false;
    }
}

const char *op__label(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(slu_json_path(obj, "metadata.labels"), key));
}

/* An RFC 3339 status time as unix ms, or 0 when absent/unparsable. */
int64_t op__time_ms(const json_t *app, const char *path)
{
    const char *s = slu_json_str(app, path);
    int64_t ns;
    if (!s || !*s || slu_time_parse_rfc3339(s, &ns) != 0)
        return 0;
    return ns / 1000000;
}

int64_t op_retry_wait_ms(const json_t *app, enum op_state state, int64_t now_ms)
{
    const json_t *rp = slu_json_path(app, "spec.restartPolicy");
    int64_t interval_s, mult, from;
    if (state == OP_ST_SUBMISSION_FAILED) {
        interval_s = slu_json_int(rp, "onSubmissionFailureRetryInterval", 5);
        mult = slu_json_int(app, "status.submissionAttempts", 1);
        from = op__time_ms(app, "status.lastSubmissionAttemptTime");
    } else if (state == OP_ST_FAILING) {
        interval_s = slu_json_int(rp, "onFailureRetryInterval", 5);
        mult = slu_json_int(app, "status.executionAttempts", 1);
        from = op__time_ms(app, "status.terminationTime");
        if (!from)
            from = op__time_ms(app, "status.lastSubmissionAttemptTime");
    } else {
        return 0;
    }
    if (interval_s < 1)
        interval_s = 1;
    if (mult < 1)
        mult = 1;
    if (mult > 1000)
        mult = 1000;
    if (!from)
        return 0;
    return from + interval_s * mult * 1000 - now_ms;
}

/* ---------------------------------------------------------------- identity */

uint64_t op_spec_hash(const json_t *app)
{
    const json_t *spec = json_object_get(app, "spec");
    if (!json_is_object(spec))
        return 0;
    json_t *cp = json_copy((json_t *)spec); /* shallow: we only drop top-level keys */
    json_object_del(cp, "suspend");
    json_object_del(cp, "timeToLiveSeconds");
    char *s = slu_json_dumps_canonical(cp);
    uint64_t h = slu_hash(s, strlen(s));
    free(s);
    json_decref(cp);
    return h;
}

void op_submission_id(const char *uid, int64_t attempt, const char *rv, uint64_t spec_hash,
                      char *buf, size_t n)
{
    char tmp[400];
    int len = snprintf(tmp, sizeof tmp, "%.200s/%lld/%.100s", uid ? uid : "", (long long)attempt,
                       rv ? rv : "");
    uint64_t h = slu_hash(tmp, (size_t)(len < 0 ? 0 : SLU_MIN((size_t)len, sizeof tmp - 1)));
    snprintf(buf, n, "%016llx-%012llx", (unsigned long long)h,
             (unsigned long long)(spec_hash & 0xffffffffffffULL));
}

bool op_submission_spec_hash(const char *sid, uint64_t *hash12)
{
    if (!sid || strlen(sid) != 29 || sid[16] != '-')
        return false;
    uint64_t v = 0;
    for (int i = 17; i < 29; i++) {
        char ch = sid[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *hash12 = v;
    return true;
}

bool op_spec_changed(const json_t *app)
{
    uint64_t h;
    if (!op_submission_spec_hash(slu_json_str(app, "status.submissionID"), &h))
        return false;
    return h != (op_spec_hash(app) & 0xffffffffffffULL);
}

/* ---------------------------------------------------------------- executors */

struct exe {
    const json_t *pod;
    int64_t id;
};

static int exe_cmp(const void *a, const void *b)
{
    const struct exe *x = *(const struct exe *const *)a, *y = *(const struct exe *const *)b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(kube_object_name(x->pod), kube_object_name(y->pod));
}

static void count_state(json_t *counts, const char *st)
{
    char key[16];
    slu_strlcpy(key, st, sizeof key);
    slu_str_lower(key);
    json_object_set_new(counts, key, json_integer(slu_json_int(counts, key, 0) + 1));
}

json_t *op_executor_status(const json_t *old_status, const json_t *pods, bool driver_running,
                           bool app_completed, size_t max_tracked, json_t **counts_out)
{
    json_t *map = json_object();
    json_t *counts = json_object();
    static const char *const keys[] = {"pending", "running", "completed", "failed", "unknown"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(keys); i++)
        json_object_set_new(counts, keys[i], json_integer(0));
    struct slu_vec v = {0};
    size_t i;
    const json_t *p;
    json_array_foreach(pods, i, p)
    {
        struct exe *e = slu_malloc(sizeof *e);
        e->pod = p;
        const char *id = op__label(p, OP_LABEL_SPARK_EXEC_ID);
        if (!id || slu_parse_i64(id, &e->id) != 0)
            e->id = INT64_MAX;
        slu_vec_push(&v, e);
    }
    slu_vec_sort(&v, exe_cmp);
    for (size_t k = 0; k < v.len; k++) {
        struct exe *e = v.items[k];
        const char *st = op_executor_state_of(e->pod);
        count_state(counts, st);
        if (json_object_size(map) < max_tracked)
            json_object_set_new(map, kube_object_name(e->pod), json_string(st));
    }
    /* executors that are gone keep a final state */
    const char *name;
    json_t *old;
    json_object_foreach(json_object_get(old_status, "executorState"), name, old)
    {
        if (json_object_get(map, name))
            continue;
        bool present = false;
        for (size_t k = 0; k < v.len && !present; k++)
            present = slu_streq(kube_object_name(((struct exe *)v.items[k])->pod), name);
        if (present || json_object_size(map) >= max_tracked)
            continue;
        const char *ost = json_string_value(old);
        const char *st;
        if (ost && (strcmp(ost, "COMPLETED") == 0 || strcmp(ost, "FAILED") == 0))
            st = ost;
        else if (app_completed)
            st = "COMPLETED";
        else if (!driver_running)
            st = "FAILED";
        else
            st = "UNKNOWN";
        json_object_set_new(map, name, json_string(st));
        count_state(counts, st);
    }
    slu_vec_release(&v, free);
    *counts_out = counts;
    return map;
}

/* ---------------------------------------------------------------- names */

static char *suffixed(const char *app, const char *suffix)
{
    size_t al = strlen(app), sl = strlen(suffix);
    if (al + sl <= 63)
        return slu_asprintf("%s%s", app, suffix);
    uint64_t h = slu_hash(app, al);
    size_t keep = 63 - sl - 9;
    return slu_asprintf("%.*s-%08x%s", (int)keep, app, (unsigned)(h & 0xffffffffu), suffix);
}

char *op_ui_service_name(const char *app)
{
    return suffixed(app, "-ui-svc");
}

char *op_ui_ingress_name(const char *app)
{
    return suffixed(app, "-ui-ingress");
}

char *op_pdb_name(const char *app)
{
    return suffixed(app, "-driver-pdb");
}

char *op_ingress_url(const char *fmt, const char *app, const char *ns, const char *app_id)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "");
    for (const char *p = fmt; *p;) {
        if (slu_str_has_prefix(p, "{{$appName}}")) {
            slu_buf_puts(&b, app);
            p += strlen("{{$appName}}");
        } else if (slu_str_has_prefix(p, "{{$appNamespace}}")) {
            slu_buf_puts(&b, ns);
            p += strlen("{{$appNamespace}}");
        } else if (slu_str_has_prefix(p, "{{$appId}}")) {
            slu_buf_puts(&b, app_id ? app_id : "");
            p += strlen("{{$appId}}");
        } else {
            slu_buf_putc(&b, *p++);
        }
    }
    return slu_buf_steal(&b);
}
