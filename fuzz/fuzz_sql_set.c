/*
 * fuzz_sql_set.c - libFuzzer target for SET extraction from SQL (src/spark/layers.c).
 * Invariants: no crash; the remaining text is never longer than the input; extracting again
 * from the remaining text finds no further assignment.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *sql = malloc(size + 1);
    if (!sql)
        return 0;
    memcpy(sql, data, size);
    sql[size] = '\0';
    struct spark_conf *set = spark_conf_new();
    char *rest = NULL;
    if (spark_sql_extract_set(sql, set, &rest, NULL) == 0) {
        if (!rest || strlen(rest) > strlen(sql))
            abort();
        struct spark_conf *again = spark_conf_new();
        char *rest2 = NULL;
        if (spark_sql_extract_set(rest, again, &rest2, NULL) != 0 || spark_conf_len(again) != 0)
            abort();
        free(rest2);
        spark_conf_free(again);
    }
    free(rest);
    spark_conf_free(set);
    free(sql);
    return 0;
}
