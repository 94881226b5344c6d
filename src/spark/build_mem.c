/*
 * build_mem.c - driver and executor memory arithmetic (spec spark-objects.md 4): heap +
 * overhead (configured, or max((int)(factor * heap), minimum)) + off-heap + PySpark memory.
 *
 * The default overhead factor is 0.1 for JVM apps and 0.4 for Python/R unless
 * spark.kubernetes.memoryOverheadFactor is set; the minimum is 384 MiB in 3.5 and
 * spark.{driver,executor}.minMemoryOverhead (default 384m) in 4.0. Factors are Java doubles and
 * the product is truncated toward zero, as Scala's Double.toInt.
 */
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

static int get_mib(const struct spark_conf *c, const char *key, const char *def, int64_t *out,
                   struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    if (!v)
        v = def;
    int rc = spark_memory_mib(v, out, err);
    if (rc)
        slu_err_prefix(err, "%s", key);
    return rc;
}

static int get_factor(const struct spark_conf *c, const char *key, double *out, bool positive,
                      struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    if (slu_parse_double(v, out) != 0)
        return slu_err_set(err, SLU_EINVAL, "%s should be a number, but was %s", key, v);
    if (positive ? !(*out > 0) : !(*out >= 0))
        return slu_err_set(err, SLU_EINVAL, "%s must be %s, but was %s", key,
                           positive ? "> 0" : ">= 0", v);
    return 0;
}

/* Shared part: heap, overhead (factor/min given), total = heap + overhead. */
static int heap_overhead(const struct spark_conf *c, const char *role, int ver, double factor,
                         struct spark_memory *m, struct slu_err *err)
{
    char key[96];
    snprintf(key, sizeof(key), "spark.%s.memory", role);
    int rc = get_mib(c, key, "1g", &m->heap, err);
    if (rc)
        return rc;
    if (m->heap <= 0)
        return slu_err_set(err, SLU_EINVAL, "%s must be positive", key);
    m->factor = factor;
    snprintf(key, sizeof(key), "spark.%s.memoryOverhead", role);
    if (spark_conf_get(c, key)) {
        rc = get_mib(c, key, NULL, &m->overhead, err);
        if (rc)
            return rc;
    } else {
        int64_t min = 384;
        if (ver >= 40) {
            snprintf(key, sizeof(key), "spark.%s.minMemoryOverhead", role);
            rc = get_mib(c, key, "384m", &min, err);
            if (rc)
                return rc;
        }
        int64_t f = (int64_t)(factor * (double)m->heap);
        m->overhead = f > min ? f : min;
    }
    m->total = m->heap + m->overhead;
    return 0;
}

int spark_driver_memory(const struct spark_conf *c, const char *spark_version,
                        enum spark_app_type type, struct spark_memory *out, struct slu_err *err)
{
    memset(out, 0, sizeof(*out));
    int ver = sb__version(spark_version);
    bool nonjvm = type == SPARK_APP_PYTHON || type == SPARK_APP_R;
    double def = nonjvm ? 0.4 : 0.1;
    int rc;
    if (spark_conf_get(c, "spark.kubernetes.memoryOverheadFactor")) {
        rc = get_factor(c, "spark.kubernetes.memoryOverheadFactor", &def, false, err);
        if (rc)
            return rc;
    }
    out->default_factor = def;
    double factor = def;
    if (spark_conf_get(c, "spark.driver.memoryOverheadFactor")) {
        rc = get_factor(c, "spark.driver.memoryOverheadFactor", &factor, true, err);
        if (rc)
            return rc;
    }
    return heap_overhead(c, "driver", ver, factor, out, err);
}

int spark_executor_memory(const struct spark_conf *c, const char *spark_version,
                          struct spark_memory *out, struct slu_err *err)
{
    memset(out, 0, sizeof(*out));
    int ver = sb__version(spark_version);
    double factor = 0.1;
    int rc;
    const char *fkey = spark_conf_get(c, "spark.executor.memoryOverheadFactor")
                           ? "spark.executor.memoryOverheadFactor"
                           : (spark_conf_get(c, "spark.kubernetes.memoryOverheadFactor")
                                  ? "spark.kubernetes.memoryOverheadFactor"
                                  : NULL);
    if (fkey) {
        rc = get_factor(c, fkey, &factor, strcmp(fkey, "spark.executor.memoryOverheadFactor") == 0,
                        err);
        if (rc)
            return rc;
    }
    out->default_factor = factor;
    rc = heap_overhead(c, "executor", ver, factor, out, err);
    if (rc)
        return rc;
    bool offheap = false;
    rc = sb__to_bool("spark.memory.offHeap.enabled",
                     spark_conf_get(c, "spark.memory.offHeap.enabled")
                         ? spark_conf_get(c, "spark.memory.offHeap.enabled")
                         : "false",
                     &offheap, err);
    if (rc)
        return rc;
    if (offheap) {
        int64_t bytes = 0;
        const char *v = spark_conf_get(c, "spark.memory.offHeap.size");
        rc = spark_size_parse(v ? v : "0", "b", &bytes, err);
        if (rc) {
            slu_err_prefix(err, "spark.memory.offHeap.size");
            return rc;
        }
        out->offheap = bytes / (1024 * 1024);
    }
    const char *rtype = spark_conf_get(c, "spark.kubernetes.resource.type");
    if (rtype && strcmp(rtype, "python") == 0 &&
        spark_conf_get(c, "spark.executor.pyspark.memory")) {
        rc = get_mib(c, "spark.executor.pyspark.memory", NULL, &out->pyspark, err);
        if (rc)
            return rc;
    }
    out->total = out->heap + out->overhead + out->offheap + out->pyspark;
    return 0;
}
