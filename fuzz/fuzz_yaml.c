/*
 * fuzz_yaml.c - libFuzzer target for the YAML loader and emitter.
 *
 * Feeds the bytes to slu_yaml_load (with caps small enough to keep each run fast); it must never
 * crash, leak or hang. When the input loads, the documents are dumped with slu_yaml_dump and
 * loaded again: the result must be equal (the emitter's round-trip property), else we abort.
 */
#include <stdint.h>
#include <stdlib.h>

#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slu_yaml_limits lim = {
        .max_bytes = 1 << 20,
        .max_depth = 64,
        .max_aliases = 1000,
        .max_nodes = 200000,
        .max_documents = 100,
    };
    struct slu_err err = {0};
    json_t *docs = NULL;
    if (slu_yaml_load((const char *)data, size, &lim, &docs, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* every failure explains itself */
        slu_err_release(&err);
        return 0;
    }
    struct slu_buf out = {0};
    slu_yaml_dump(docs, &out);
    json_t *again = NULL;
    struct slu_yaml_limits big = {.max_bytes = 64 << 20, .max_nodes = 10000000};
    if (slu_yaml_load_one(out.data, out.len, &big, &again, &err) != 0 ||
        !slu_json_equal(docs, again))
        abort();
    json_decref(again);
    json_decref(docs);
    slu_buf_release(&out);
    slu_err_release(&err);
    return 0;
}
