/*
 * fuzz_json_scan.c - libFuzzer target for the JSON scanner (src/json/scan.c). The first byte
 * picks a set of selectors, the rest is the JSON text (exactly len bytes, no NUL added, so reads
 * past the end are caught by ASan). Invariants: no crash; slu_json_span's value lies inside the
 * input and a found string is what slu_json_scan_str decodes; slu_json_parse_select succeeds
 * exactly when jansson's json_loadb (JSON_DECODE_ANY) does (apart from nesting between 512 and
 * jansson's 2048, and raw NUL bytes, which jansson sometimes skips after a number), and then its
 * result equals a jansson-based extraction of the same paths; failures carry an "at byte N: ..."
 * message. Any mismatch aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json_select_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sets[][5] = {
    {"metadata.name", "metadata.labels", "status.phase", "status.containerStatuses.*.state", NULL},
    {"type", "object.metadata.resourceVersion", "object.status", NULL},
    {"a", "b.*", "*.c", "", NULL},
    {"*", "*.*", NULL},
    {"a.b.c", "a.*.d", "x", NULL},
    {NULL},
};
#define NSETS (sizeof sets / sizeof sets[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const char *const *paths = sets[data[0] % NSETS];
    size_t npaths = 0;
    while (npaths < 5 && paths[npaths])
        npaths++;
    size_t len = size - 1;
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, len);

    /* span / scan_str / scan_i64 */
    static const char *const spaths[] = {"", "a", "metadata.resourceVersion",
                                         "object.metadata.name", "a.b"};
    for (size_t i = 0; i < sizeof spaths / sizeof spaths[0]; i++) {
        const char *v;
        size_t n;
        int rc = slu_json_span(buf, len, spaths[i], &v, &n);
        if (rc != 0 && rc != SLU_EINVAL && rc != SLU_ENOTFOUND)
            abort();
        if (rc == 0 && (v < buf || v + n > buf + len || n == 0))
            abort();
        char out[64];
        int rs = slu_json_scan_str(buf, len, spaths[i], out, sizeof out);
        if (rs == 0 && (rc != 0 || v[0] != '"' || strlen(out) > n))
            abort();
        int64_t x;
        int ri = slu_json_scan_i64(buf, len, spaths[i], &x);
        if (ri == 0 && (rc != 0 || rs == 0))
            abort();
    }

    /* parse_select against jansson */
    json_t *got = NULL;
    struct slu_err err = {0};
    int rc = slu_json_parse_select(buf, len, paths, npaths, &got, &err);
    if (rc != 0 && (got || strncmp(err.msg, "at byte ", 8) != 0))
        abort();
    json_t *doc = json_loadb(buf, len, JSON_DECODE_ANY, NULL);
    if (doc) {
        if (rc != 0) {
            /* jansson reads a raw NUL byte right after a number as the end of it ("[1\0]" is
             * accepted); the scanner rejects raw NUL bytes everywhere */
            if (!strstr(err.msg, "nesting too deep") && !memchr(buf, 0, len))
                abort();
        } else {
            json_t *want = ref_select(doc, paths, npaths);
            if (!json_equal(got, want))
                abort();
            json_decref(want);
        }
        /* the whole document is well-formed for span too */
        const char *v;
        size_t n;
        int rs = slu_json_span(buf, len, "", &v, &n);
        if (rs != 0 && rc == 0)
            abort();
        json_decref(doc);
    } else if (rc == 0) {
        abort(); /* parse_select accepted what jansson rejects */
    }
    json_decref(got);
    slu_err_release(&err);
    free(buf);
    return 0;
}
