/*
 * bench_spark_build.c - what building one SparkApplication's Kubernetes objects costs the
 * operator: spark_app_to_submission + spark_build + the owner references, exactly as
 * src/operator/reconcile.c build_objects() and finish_submission() call them, in one process
 * (no sim, no I/O).
 *
 * Usage: bench_spark_build [IGNORED] [N]   (the first argument is accepted for scripts that pass
 * the sluice binary to every bench; N applications per round, default 5000)
 *
 * Two applications: "operator" is the one bench/bench_operator.c submits, as the API server
 * hands it back (metadata with uid, resourceVersion, generation, creationTimestamp, managedFields;
 * a status with a submission attempt); "spark-pi" is the Kubeflow examples/spark-pi.yaml (labels,
 * securityContext, arguments). Each is converted and built N times per round, 5 rounds, and the
 * best round's CPU time (of this thread) is kept (the machine is shared). Allocations are counted
 * by wrapping malloc in this executable (calls, and the peak of live bytes above the level before
 * one build). A digest (FNV-1a of the compact JSON of every object) shows that the output did not
 * change.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "json/json.h"
#include "operator/operator.h"
#include "spark/spark.h"

/* ---------------------------------------------------------------- counting malloc */

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer owns malloc: nothing is counted (allocs and peak print as -1). */
#define COUNTING_MALLOC 0
static bool counting;
static size_t n_alloc;
static long long peak;
#else
#define COUNTING_MALLOC 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static bool counting; /* only around the one build that is measured: the wrapper costs time */
static size_t n_alloc;
static long long live, peak;

static void note_alloc(void *p)
{
    if (!p || !counting)
        return;
    n_alloc++;
    live += (long long)malloc_usable_size(p);
    if (live > peak)
        peak = live;
}

void *malloc(size_t n)
{
    void *p = __libc_malloc(n);
    note_alloc(p);
    return p;
}

void *calloc(size_t n, size_t m)
{
    void *p = __libc_calloc(n, m);
    note_alloc(p);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!counting)
        return __libc_realloc(p, n);
    if (p)
        live -= (long long)malloc_usable_size(p);
    void *q = __libc_realloc(p, n);
    if (q) {
        n_alloc++;
        live += (long long)malloc_usable_size(q);
        if (live > peak)
            peak = live;
    } else if (p) {
        live += (long long)malloc_usable_size(p);
    }
    return q;
}

void free(void *p)
{
    if (p && counting)
        live -= (long long)malloc_usable_size(p);
    __libc_free(p);
}
#endif

/* ---------------------------------------------------------------- clocks */

/* CPU time of this thread (the machine is shared: wall time would count other processes). */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- the applications */

static const char APP_OPERATOR[] =
    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\",\"kind\":\"SparkApplication\","
    "\"metadata\":{\"name\":\"bench-1234\",\"namespace\":\"default\","
    "\"uid\":\"6f1c9a52-8d1e-4b7a-9c1e-2a4b5c6d7e8f\",\"resourceVersion\":\"48213\","
    "\"generation\":1,\"creationTimestamp\":\"2025-06-01T10:00:00Z\","
    "\"managedFields\":[{\"manager\":\"bench\",\"operation\":\"Update\",\"apiVersion\":"
    "\"sparkoperator.k8s.io/v1beta2\",\"time\":\"2025-06-01T10:00:00Z\",\"fieldsType\":"
    "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\".\":{},\"f:driver\":{},\"f:executor\":{}}}}]},"
    "\"spec\":{\"type\":\"Scala\",\"mode\":\"cluster\",\"image\":\"spark:3.5.1\","
    "\"sparkVersion\":\"3.5.1\",\"mainClass\":\"org.apache.spark.examples.SparkPi\","
    "\"mainApplicationFile\":\"local:///opt/spark/examples/jars/spark-examples.jar\","
    "\"driver\":{\"cores\":1,\"coreRequest\":\"1m\",\"memory\":\"512m\",\"annotations\":"
    "{\"sim.sluice.dev/work-core-seconds\":\"2\"}},"
    "\"executor\":{\"cores\":1,\"instances\":1,\"coreRequest\":\"1m\",\"memory\":\"512m\"}},"
    "\"status\":{\"submissionID\":\"0f3a5b7c9d1e2f40\",\"submissionAttempts\":1,"
    "\"lastSubmissionAttemptTime\":\"2025-06-01T10:00:01Z\",\"applicationState\":{\"state\":"
    "\"\"},\"driverInfo\":{}}}";

static const char APP_SPARK_PI[] =
    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\",\"kind\":\"SparkApplication\","
    "\"metadata\":{\"name\":\"spark-pi\",\"namespace\":\"default\","
    "\"uid\":\"0b9e7f4c-1d2a-4e3b-8c5d-6e7f8a9b0c1d\",\"resourceVersion\":\"1001\"},"
    "\"spec\":{\"type\":\"Scala\",\"mode\":\"cluster\",\"image\":"
    "\"docker.io/apache/spark:4.0.4\",\"imagePullPolicy\":\"IfNotPresent\","
    "\"mainClass\":\"org.apache.spark.examples.SparkPi\",\"mainApplicationFile\":"
    "\"local:///opt/spark/examples/jars/spark-examples.jar\",\"arguments\":[\"5000\"],"
    "\"sparkVersion\":\"4.0.4\","
    "\"driver\":{\"labels\":{\"version\":\"4.0.0\"},\"cores\":1,\"memory\":\"512m\","
    "\"serviceAccount\":\"spark-operator-spark\",\"securityContext\":{\"capabilities\":"
    "{\"drop\":[\"ALL\"]},\"runAsGroup\":185,\"runAsUser\":185,\"runAsNonRoot\":true,"
    "\"allowPrivilegeEscalation\":false,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}},"
    "\"executor\":{\"labels\":{\"version\":\"4.0.0\"},\"instances\":1,\"cores\":1,"
    "\"memory\":\"512m\",\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]},"
    "\"runAsGroup\":185,\"runAsUser\":185,\"runAsNonRoot\":true,"
    "\"allowPrivilegeEscalation\":false,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}}}";

/* ---------------------------------------------------------------- one build */

/* The operator's build (op_build_objects: no ingress URL format, the default), then what
 * finish_submission() does with the objects once the driver pod exists (created: the driver pod
 * as the API server returned it; only its apiVersion, name and uid are read). */
static int build_once(const json_t *app, const char *sid, const json_t *created, json_t **objects)
{
    struct slu_err err = {0};
    int rc = op_build_objects(app, sid, 1748772000000, NULL, objects, &err);
    if (rc) {
        fprintf(stderr, "build: %s\n", err.msg);
        slu_err_release(&err);
        return rc;
    }
    spark_build_set_owner(*objects, created);
    return 0;
}

static uint64_t digest(const json_t *objects)
{
    char *s = json_dumps(objects, JSON_COMPACT | JSON_PRESERVE_ORDER);
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = s; p && *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    free(s);
    return h;
}

struct figures {
    double ns_per_app;
    double allocs_per_app;
    long long peak_bytes;
    uint64_t digest;
    size_t objects;
};

static int run(const char *name, const char *text, long n, struct figures *f)
{
    json_error_t je;
    json_t *app = json_loads(text, 0, &je);
    if (!app) {
        fprintf(stderr, "%s: %s\n", name, je.text);
        return 1;
    }
    json_t *objects = NULL;
    char *pod_name = spark_app_driver_pod_name(app);
    json_t *created =
        json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata", "name",
                  pod_name, "uid", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    free(pod_name);
    /* warm-up, the digest and the allocation figures of one build */
    int rc = 1;
    if (build_once(app, "0f3a5b7c9d1e2f40", created, &objects))
        goto out;
    f->digest = digest(objects);
    f->objects = json_array_size(objects);
    json_decref(objects);
    n_alloc = 0;
    peak = 0;
#if COUNTING_MALLOC
    live = 0;
#endif
    counting = true;
    build_once(app, "0f3a5b7c9d1e2f40", created, &objects);
    json_decref(objects);
    counting = false;
    f->allocs_per_app = COUNTING_MALLOC ? (double)n_alloc : -1;
    f->peak_bytes = COUNTING_MALLOC ? peak : -1;
    double best = 0;
    char sid[32];
    for (int round = 0; round < 5; round++) {
        int64_t t0 = cpu_ns();
        for (long i = 0; i < n; i++) {
            snprintf(sid, sizeof sid, "%016lx", (unsigned long)(0x5eed0000 + i));
            if (build_once(app, sid, created, &objects))
                goto out;
            json_decref(objects);
        }
        double ns = (double)(cpu_ns() - t0) / (double)n;
        if (round == 0 || ns < best)
            best = ns;
    }
    f->ns_per_app = best;
    rc = 0;
out:
    json_decref(created);
    json_decref(app);
    return rc;
}

int main(int argc, char **argv)
{
    long n = 5000;
    if (argc > 2) {
        int64_t v;
        if (slu_parse_i64(argv[2], &v) != 0 || v < 1 || v > 10000000) {
            fprintf(stderr, "usage: bench_spark_build [SLUICE] [N (1..10000000)]\n");
            return 2;
        }
        n = (long)v;
    }
    static const struct {
        const char *name, *text;
    } apps[] = {{"operator", APP_OPERATOR}, {"spark-pi", APP_SPARK_PI}};
    printf("%-10s %10s %12s %12s %8s  %s\n", "app", "cpu ns/app", "allocs/app", "peak bytes",
           "objects", "digest");
    for (size_t i = 0; i < SLU_ARRAY_LEN(apps); i++) {
        struct figures f;
        if (run(apps[i].name, apps[i].text, n, &f))
            return 1;
        printf("%-10s %10.0f %12.0f %12lld %8zu  %016llx\n", apps[i].name, f.ns_per_app,
               f.allocs_per_app, f.peak_bytes, f.objects, (unsigned long long)f.digest);
        printf("RESULT spark_build_%s_cpu_ns=%.0f spark_build_%s_allocs=%.0f "
               "spark_build_%s_peak_bytes=%lld\n",
               apps[i].name, f.ns_per_app, apps[i].name, f.allocs_per_app, apps[i].name,
               f.peak_bytes);
    }
    return 0;
}
