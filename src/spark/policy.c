/*
 * policy.c - platform rules layered on top of Spark's own arithmetic (seed 002, "resource
 * parameter adjustment"), off unless a caller passes a struct spark_policy:
 *
 *   pod overhead = configured overhead + pad            (when memoryOverhead is set)
 *                = roundup(max(min, factor*mem), round) + pad   (when it is not)
 *   cpu request  = cores x ratio (Spark itself is still told the full cores)
 *
 * The rules are applied by rewriting the conf (spark.{driver,executor}.memoryOverhead and
 * spark.kubernetes.{driver,executor}.request.cores) before the objects are built, so the driver
 * pod gets them from the builder and the executors get them from Spark itself, through
 * spark.properties: no Spark change and no webhook is needed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spark/build_int.h"

void spark_policy_init_default(struct spark_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->memory_padding = true;
    p->pad_mib = 100;
    p->round_mib = 512;
    p->cpu_ratio = 0.8;
}

static int64_t padded(const struct spark_policy *p, bool configured, int64_t overhead)
{
    if (!configured && p->round_mib > 0)
        overhead = (overhead + p->round_mib - 1) / p->round_mib * p->round_mib;
    return overhead + p->pad_mib;
}

static int cpu_apply(const struct spark_policy *p, struct spark_conf *c, const char *role,
                     struct slu_err *err)
{
    char key[96], ckey[64];
    snprintf(key, sizeof(key), "spark.kubernetes.%s.request.cores", role);
    if (spark_conf_get(c, key))
        return 0; /* an explicit request wins over the platform ratio */
    snprintf(ckey, sizeof(ckey), "spark.%s.cores", role);
    int64_t cores = 1;
    const char *v = spark_conf_get(c, ckey);
    if (v && (slu_parse_i64(v, &cores) != 0 || cores <= 0))
        return slu_err_set(err, SLU_EINVAL, "%s should be a positive int, but was %s", ckey, v);
    int64_t milli = (int64_t)llround((double)cores * 1000.0 * p->cpu_ratio);
    if (milli < 1)
        milli = 1;
    char q[32];
    if (milli % 1000 == 0)
        snprintf(q, sizeof(q), "%lld", (long long)(milli / 1000));
    else
        snprintf(q, sizeof(q), "%lldm", (long long)milli);
    spark_conf_set(c, key, q);
    return 0;
}

int spark_policy_apply(const struct spark_policy *p, struct spark_conf *c,
                       const char *spark_version, enum spark_app_type type, struct slu_err *err)
{
    if (!p)
        return 0;
    int rc;
    if (p->memory_padding) {
        struct spark_memory dm, em;
        rc = spark_driver_memory(c, spark_version, type, &dm, err);
        if (rc)
            return rc;
        /* Executors read the factor the driver writes into spark.properties. */
        struct spark_conf *ec = spark_conf_copy(c);
        char f[32];
        sb__double_str(dm.default_factor, f, sizeof(f));
        spark_conf_set(ec, "spark.kubernetes.memoryOverheadFactor", f);
        rc = spark_executor_memory(ec, spark_version, &em, err);
        spark_conf_free(ec);
        if (rc)
            return rc;
        char v[32];
        int64_t d =
            padded(p, spark_conf_get(c, "spark.driver.memoryOverhead") != NULL, dm.overhead);
        int64_t e =
            padded(p, spark_conf_get(c, "spark.executor.memoryOverhead") != NULL, em.overhead);
        snprintf(v, sizeof(v), "%lldm", (long long)d);
        spark_conf_set(c, "spark.driver.memoryOverhead", v);
        snprintf(v, sizeof(v), "%lldm", (long long)e);
        spark_conf_set(c, "spark.executor.memoryOverhead", v);
    }
    if (p->cpu_ratio > 0 && p->cpu_ratio < 1) {
        rc = cpu_apply(p, c, "driver", err);
        if (rc)
            return rc;
        rc = cpu_apply(p, c, "executor", err);
        if (rc)
            return rc;
    }
    return 0;
}
