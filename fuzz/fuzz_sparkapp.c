/*
 * fuzz_sparkapp.c - libFuzzer target for the SparkApplication model (src/spark/app.c).
 *
 * Bytes -> slu_yaml_load (small caps so each run stays fast) -> for each document:
 * spark_app_apply_defaults, spark_app_validate, spark_app_to_submission, the Prometheus
 * ConfigMap and the driver pod name; a converted app also goes back through spark_app_from_conf
 * and forward again, and that second conf must equal the first (the round-trip property), else
 * we abort. Nothing may crash or leak, and every failure must explain itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A user label named like the operator's mutated-by label cannot come back from a conf (the
 * operator's own is dropped); every other entry must. */
static bool ignored(const char *k)
{
    return slu_str_has_suffix(k, ".label." SPARK_LABEL_MUTATED_BY);
}

static bool conf_equal(const struct spark_conf *a, const struct spark_conf *b)
{
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < spark_conf_len(a); i++) {
        const char *k = spark_conf_key_at(a, i);
        if (ignored(k))
            continue;
        na++;
        if (!slu_streq(spark_conf_get(b, k), spark_conf_value_at(a, i)))
            return false;
    }
    for (size_t i = 0; i < spark_conf_len(b); i++)
        if (!ignored(spark_conf_key_at(b, i)))
            nb++;
    return na == nb;
}

static void round_trip(const struct spark_submission *s)
{
    struct spark_conf *c = spark_conf_copy(s->conf);
    /* the operator's template files do not exist here; templates travel as JSON */
    spark_conf_unset(c, "spark.kubernetes.driver.podTemplateFile");
    spark_conf_unset(c, "spark.kubernetes.executor.podTemplateFile");
    struct slu_err err = {0};
    json_t *back = NULL;
    if (spark_app_from_conf(c, s->main_class, s->primary_resource, s->args, s->nargs, NULL, NULL,
                            s->spark_version, &back, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        slu_err_release(&err);
        spark_conf_free(c);
        return;
    }
    if (s->driver_template)
        slu_json_set(back, "spec.driver.template", slu_json_copy(s->driver_template));
    if (s->executor_template)
        slu_json_set(back, "spec.executor.template", slu_json_copy(s->executor_template));
    if (s->proxy_user)
        slu_json_set_str(back, "spec.proxyUser", s->proxy_user);
    struct spark_submission *s2 = NULL;
    if (spark_app_to_submission(back, "fuzz", &s2, &err) == 0) {
        if (!conf_equal(s->conf, s2->conf))
            abort();
        spark_submission_free(s2);
    } else {
        /* a value the conf cannot carry back (e.g. a name that is not a label) may fail, but
         * never silently */
        if (err.msg[0] == '\0')
            abort();
    }
    slu_err_release(&err);
    json_decref(back);
    spark_conf_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slu_yaml_limits lim = {
        .max_bytes = 256 << 10,
        .max_depth = 32,
        .max_aliases = 200,
        .max_nodes = 20000,
        .max_documents = 8,
    };
    struct slu_err err = {0};
    json_t *docs = NULL;
    if (slu_yaml_load((const char *)data, size, &lim, &docs, &err) != 0) {
        slu_err_release(&err);
        return 0;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        json_t *app = json_deep_copy(doc);
        spark_app_apply_defaults(app);
        if (spark_app_validate(app, &err) != 0 && (err.msg[0] == '\0' || err.ncauses == 0))
            abort();
        slu_err_release(&err);
        struct spark_submission *s = NULL;
        int rc = spark_app_to_submission(doc, "fuzz", &s, &err);
        if (rc == 0) {
            if (!s || !s->conf || !s->app_volumes)
                abort();
            round_trip(s);
            spark_submission_free(s);
        } else if (err.msg[0] == '\0') {
            abort();
        }
        slu_err_release(&err);
        json_t *cm = NULL;
        spark_app_prometheus_configmap(doc, &cm, &err);
        json_decref(cm);
        slu_err_release(&err);
        free(spark_app_driver_pod_name(doc));
        json_decref(app);
    }
    json_decref(docs);
    return 0;
}
