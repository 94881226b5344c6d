/*
 * fuzz_properties.c - libFuzzer target for the java.util.Properties reader and writer
 * (src/spark/conf.c). Invariants: no crash; whatever parses, once stored (Properties.store) and
 * parsed again, gives the same keys and values in the same order.
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
    struct spark_conf *c = spark_conf_new();
    if (spark_properties_parse((const char *)data, size, "fuzz", c, NULL) == 0) {
        /* keys or values with NUL bytes cannot round-trip through C strings: skip those inputs */
        if (!memchr(data, '\0', size)) {
            char *text = spark_properties_store(c, "comment\nline", "date", false);
            struct spark_conf *back = spark_conf_new();
            if (spark_properties_parse(text, strlen(text), "rt", back, NULL) != 0)
                abort();
            if (spark_conf_len(back) != spark_conf_len(c))
                abort();
            for (size_t i = 0; i < spark_conf_len(c); i++)
                if (strcmp(spark_conf_key_at(c, i), spark_conf_key_at(back, i)) != 0 ||
                    strcmp(spark_conf_value_at(c, i), spark_conf_value_at(back, i)) != 0)
                    abort();
            spark_conf_free(back);
            free(text);
        }
    }
    spark_conf_free(c);
    return 0;
}
