/*
 * fuzz_submit_args.c - libFuzzer target for the spark-submit command line (src/spark/
 * submit_args.c): the input is split on NUL bytes into argv, parsed, resolved into an effective
 * conf (without reading files), and its master / submission id run through their parsers.
 * Invariants checked: no crash, no leak, and a failed call always leaves a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

#define MAX_FUZZ_ARGS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *argv[MAX_FUZZ_ARGS];
    int argc = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && argc < MAX_FUZZ_ARGS; i++) {
        if (i == size || buf[i] == '\0') {
            if (i == size && start == size)
                break;
            argv[argc++] = buf + start;
            start = i + 1;
        }
    }

    struct spark_submit s;
    struct slu_err err = {0};
    int rc = spark_submit_parse(&s, argc, argv, &err);
    if (rc < 0 && err.msg[0] == '\0')
        abort();
    slu_err_release(&err);
    if (rc == 0) {
        /* never read files named by the input */
        free(s.properties_file);
        s.properties_file = NULL;
        struct spark_conf *c = NULL;
        rc = spark_submit_resolve(&s, NULL, &c, &err);
        if (rc < 0 && err.msg[0] == '\0')
            abort();
        if (rc == 0) {
            const char *m = spark_conf_get(c, "spark.master");
            struct spark_k8s_master km;
            if (m && spark_k8s_master_parse(m, &km, NULL) != 0)
                abort(); /* a normalised master must parse again */
            if (m)
                spark_k8s_master_release(&km);
            char *props = spark_properties_store(c, "fuzz", NULL, true);
            struct spark_conf *back = spark_conf_new();
            if (spark_properties_parse(props, strlen(props), "fuzz", back, NULL) != 0 ||
                spark_conf_len(back) != spark_conf_len(c))
                abort();
            spark_conf_free(back);
            free(props);
        }
        slu_err_release(&err);
        spark_conf_free(c);
        if (s.submission_id) {
            struct spark_submission_id id;
            if (spark_submission_id_parse(s.submission_id, &id, NULL) == 0)
                spark_submission_id_release(&id);
        }
    }
    spark_submit_release(&s);
    free(buf);
    return 0;
}
