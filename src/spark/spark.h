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

/* --- more of conf (conf.c, size.c; owner: sparkconf). See docs/internals/spark.md. */

/* Merges src into dst. overwrite: src wins on keys present in both; else dst keeps its value.
 * New keys are appended in src's order. */
void spark_conf_merge(struct spark_conf *dst, const struct spark_conf *src, bool overwrite);
/* New conf with the entries whose key starts with prefix, the prefix stripped (SparkConf
 * getAllWithPrefix), in insertion order. Returned owned. */
struct spark_conf *spark_conf_with_prefix(const struct spark_conf *c, const char *prefix);
/* Removes every key that does not start with "spark." (logs a warning for each, as
 * SparkSubmitArguments.ignoreNonSparkProperties does). Returns how many were removed. */
size_t spark_conf_drop_non_spark(struct spark_conf *c);

/* Typed getters with Spark's ConfigBuilder semantics. Absent key: *out = def (or the default
 * string parsed), return 0. Bad value: SLU_EINVAL, message "<key> should be boolean, but was
 * <v>" (as Spark), or the size/time error. */
int spark_conf_get_bool(const struct spark_conf *c, const char *key, bool def, bool *out,
                        struct slu_err *err);
int spark_conf_get_int(const struct spark_conf *c, const char *key, int32_t def, int32_t *out,
                       struct slu_err *err);
int spark_conf_get_long(const struct spark_conf *c, const char *key, int64_t def, int64_t *out,
                        struct slu_err *err);
int spark_conf_get_double(const struct spark_conf *c, const char *key, double def, double *out,
                          struct slu_err *err);
/* bytesConf(unit): the value (or def, a size string; NULL means "no default": *out untouched
 * and SLU_ENOTFOUND when absent) as byteStringAs(v, unit). */
int spark_conf_get_size(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err);
/* timeConf(unit): as above with timeStringAs(v, unit). */
int spark_conf_get_time(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err);

/* java.util.Properties.load(Reader) of text (UTF-8): separators '=' ':' or whitespace, comments
 * '#' '!', continuation lines (odd number of trailing backslashes), escapes \t \n \r \f
 * \uXXXX, other "\c" -> c; leading whitespace skipped. Entries are set into out (a later
 * duplicate replaces an earlier one). Keys and values are kept exactly (no trimming, no filter).
 * origin names the input in error messages ("<origin>:<line>: Malformed \uxxxx encoding."). */
int spark_properties_parse(const char *text, size_t len, const char *origin,
                           struct spark_conf *out, struct slu_err *err);
/* Utils.getPropertiesFromFile + SparkSubmitArguments.loadPropertiesFromFile: reads path (cap 4
 * MiB; "Properties file <path> does not exist" / "is not a normal file"), parses it, trims each
 * value except CR/LF (Utils.trimExceptCRLF) and, when spark_only, keeps only keys starting with
 * "spark.". Each entry is set into c when overwrite or when c lacks the key. */
int spark_conf_load_file(struct spark_conf *c, const char *path, bool spark_only, bool overwrite,
                         struct slu_err *err);
/* Utils.getDefaultPropertiesFile: <spark_conf_dir or spark_home/conf>/spark-defaults.conf when
 * that is a regular file, else NULL. Either argument may be NULL (unset env). Returned owned. */
char *spark_conf_default_properties_path(const char *spark_conf_dir, const char *spark_home);
/* Spark's precedence, SparkSubmitArguments.mergeDefaultSparkProperties: start from cmdline
 * (the --conf pairs; may be NULL), add keys of properties_file (may be NULL) not already set,
 * then, when properties_file is NULL or load_spark_defaults ([4.0] --load-spark-defaults), keys of
 * spark-defaults.conf (see above) not already set; finally drop non-"spark." keys. *out is
 * returned owned. */
int spark_conf_resolve(const struct spark_conf *cmdline, const char *properties_file,
                       bool load_spark_defaults, const char *spark_conf_dir,
                       const char *spark_home, struct spark_conf **out, struct slu_err *err);

/* java.util.Properties.saveConvert: appends s escaped to out. is_key escapes every space (values
 * only a leading one); '\\' '=' ':' '#' '!' get a backslash; TAB LF CR FF become \t \n \r \f.
 * escape_unicode (store(OutputStream)) also writes chars < 0x20 and > 0x7e as \uXXXX (UTF-16,
 * upper-case hex); Spark's spark.properties is written with store(Writer), i.e. false: other
 * bytes are copied raw. */
void spark_properties_escape(struct slu_buf *out, const char *s, bool is_key, bool escape_unicode);
/* java.util.Properties.store(Writer, comment) text of c, the way the driver ConfigMap's
 * spark.properties is written (spec spark-objects.md 6.2): "#<comment>\n" when comment is not
 * NULL (line breaks in it continue as comment lines, chars > U+00FF as \uXXXX), "#<date>\n"
 * when date is not NULL (see spark_properties_date), then "key=value\n" per entry, escaped with
 * escape_unicode=false, in insertion order or sorted by key (JDK 18+). Returned owned. */
char *spark_properties_store(const struct spark_conf *c, const char *comment, const char *date,
                             bool sorted);
/* java.util.Date.toString in UTC: "Wed Jan 01 00:00:00 UTC 2025" into buf (>= 32 bytes). */
void spark_properties_date(int64_t unix_seconds, char *buf, size_t n);

/* byteStringAs(s, unit): s in unit when it has no suffix, result in unit (a conversion to a
 * larger unit truncates; to a smaller one fails on overflow). unit: b k m g t p. */
int spark_size_as(const char *s, const char *unit, int64_t *out, struct slu_err *err);
/* Memory settings as the driver/executor feature steps read them (bytesConf(MiB)): "1g" -> 1024,
 * "512m" -> 512, "2048" -> 2048 (no suffix: MiB), "1500k" -> 1. */
int spark_memory_mib(const char *s, int64_t *mib, struct slu_err *err);
/* timeStringAs(s, unit): no suffix means unit; result in unit (truncating / saturating as
 * TimeUnit.convert). unit: ns us ms s m min h d (strings may not use "ns"). */
int spark_time_as(const char *s, const char *unit, int64_t *out, struct slu_err *err);
/* As spark_time_as, with a default unit for suffix-less numbers that differs from the result's. */
int spark_time_parse_into(const char *s, const char *default_unit, const char *unit, int64_t *out,
                          struct slu_err *err);

#endif
