/*
 * fuzz_quantity.c - libFuzzer target for Kubernetes quantities (src/kube/quantity.c). The input
 * is the quantity string. Invariants: no crash; a failure always leaves a message; on success the
 * canonical form fits in 64 bytes, parses back to exactly the same value, and is a fixed point
 * (formatting the re-parsed value gives the same text); q - q == 0; Value() >= the value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct kube_quantity q, r;
    struct slu_err err = {0};
    int rc = kube_quantity_parse(s, &q, &err);
    if (rc != 0) {
        if (err.msg[0] == '\0' || rc != SLU_EPARSE)
            abort();
        free(s);
        return 0;
    }
    char buf[128], buf2[128];
    kube_quantity_format(&q, buf, sizeof(buf));
    if (strlen(buf) >= 64)
        abort();
    if (kube_quantity_parse(buf, &r, &err) != 0)
        abort();
    if (kube_quantity_cmp(&q, &r) != 0)
        abort();
    kube_quantity_format(&r, buf2, sizeof(buf2));
    if (strcmp(buf, buf2) != 0)
        abort();
    struct kube_quantity d = q;
    kube_quantity_sub(&d, &q);
    if (!kube_quantity_is_zero(&d))
        abort();
    int64_t v = kube_quantity_value(&q);
    if (q.nanos > 0 && (__int128)v * 1000000000 < q.nanos && v != INT64_MAX)
        abort();
    (void)kube_quantity_milli(&q);
    json_t *js = json_string(s);
    if (js) {
        if (kube_quantity_from_json(js, &r, NULL) != 0 || kube_quantity_cmp(&q, &r) != 0)
            abort();
        json_decref(js);
    }
    free(s);
    return 0;
}
