/*
 * fuzz_size.c - libFuzzer target for Spark size and time strings (src/spark/size.c). The first
 * byte picks the units, the rest is the string. Invariants: no crash; on success a size
 * re-parsed in the smallest unit is consistent (bytes >= the value in a larger unit); a failure
 * always leaves a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bunits[] = {"b", "k", "m", "g", "t", "p"};
    static const char *const tunits[] = {"ns", "us", "ms", "s", "m", "min", "h", "d"};
    if (size < 1 || size > 4096)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    const char *bu = bunits[data[0] % 6];
    const char *tu = tunits[(data[0] >> 3) % 8];
    struct slu_err err = {0};
    int64_t v = 0, bytes = 0, ms = 0;
    int rc = spark_size_as(s, bu, &v, &err);
    if (rc < 0 && err.msg[0] == '\0')
        abort();
    slu_err_release(&err);
    if (rc == 0 && v < 0)
        abort(); /* sizes are never negative */
    if (spark_size_parse(s, bu, &bytes, NULL) == 0 && rc == 0 && strcmp(bu, "b") == 0 && bytes != v)
        abort();
    rc = spark_time_parse_into(s, tu, tu, &v, &err);
    if (rc < 0 && err.msg[0] == '\0')
        abort();
    slu_err_release(&err);
    (void)spark_time_parse(s, tu, &ms, NULL);
    (void)spark_memory_mib(s, &v, NULL);
    free(s);
    return 0;
}
