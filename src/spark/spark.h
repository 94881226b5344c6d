/*
 * spark.h - the public contract of src/spark: Spark configuration (properties, sizes, times,
 * precedence layers), the spark-submit command line, the SparkApplication model, and the builder
 * of the driver objects exactly as `spark-submit --deploy-mode cluster` creates them.
 */
#ifndef SLU_SPARK_H
#define SLU_SPARK_H

#include <jansson.h>

#include "base/base.h"
#include "json/json.h"
#include "kube/kube.h"

/* ================================================================ conf (conf.c) */

/* An ordered map of Spark properties (insertion order kept; set on an existing key replaces the
 * value in place). */
struct spark_conf;
struct spark_conf *spark_conf_new(void);
struct spark_conf *spark_conf_copy(const struct spark_conf *c);
void spark_conf_free(struct spark_conf *c);
void spark_conf_set(struct spark_conf *c, const char *key, const char *value); /* copied */
const char *spark_conf_get(const struct spark_conf *c, const char *key); /* borrowed or NULL */
bool spark_conf_unset(struct spark_conf *c, const char *key);
size_t spark_conf_len(const struct spark_conf *c);
/* i-th entry in insertion order (borrowed). */
const char *spark_conf_key_at(const struct spark_conf *c, size_t i);
const char *spark_conf_value_at(const struct spark_conf *c, size_t i);

/* JavaUtils.byteStringAs: "2g", "512m", "1024k", "100" (in default_unit), "1gb"... into bytes.
 * default_unit one of "b", "k", "m", "g", "t", "p". */
int spark_size_parse(const char *s, const char *default_unit, int64_t *bytes, struct slu_err *err);
/* JavaUtils.timeStringAs: "10s", "100ms", "5min", "1h", "2d", "30" (default_unit) into ms. */
int spark_time_parse(const char *s, const char *default_unit, int64_t *ms, struct slu_err *err);

#endif
