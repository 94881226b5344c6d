/*
 * fuzz_selector.c - libFuzzer target for label and field selectors (src/kube/selector.c). The
 * first byte picks the kind (even: label, odd: field), the rest is the selector. Invariants: no
 * crash; failures leave a message; a parsed label selector prints a canonical string that parses
 * again to the same string, is empty exactly when that string is "", and matches the same label
 * sets; matching never crashes on odd objects.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *sample_labels(int i)
{
    static const char *const docs[] = {
        "{}",
        "{\"a\":\"b\",\"x\":\"1\",\"app.kubernetes.io/name\":\"spark\",\"in\":\"notin\"}",
        "{\"a\":\"\",\"x\":\"-5\",\"k\":\"v\"}",
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"phase\":\"Running\"}}",
    };
    return json_loads(docs[i % 4], 0, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    struct slu_err err = {0};
    if ((data[0] & 1) == 0) {
        struct kube_label_selector *sel = NULL, *again = NULL;
        if (kube_label_selector_parse(s, &sel, &err) != 0) {
            if (err.msg[0] == '\0' || sel)
                abort();
            free(s);
            return 0;
        }
        char *str = kube_label_selector_string(sel);
        if (kube_label_selector_is_empty(sel) != (str[0] == '\0'))
            abort();
        if (kube_label_selector_parse(str, &again, &err) != 0)
            abort();
        char *str2 = kube_label_selector_string(again);
        if (strcmp(str, str2) != 0)
            abort();
        for (int i = 0; i < 4; i++) {
            json_t *l = sample_labels(i);
            if (kube_label_selector_matches(sel, l) != kube_label_selector_matches(again, l))
                abort();
            json_decref(l);
        }
        (void)kube_label_selector_matches(sel, NULL);
        free(str);
        free(str2);
        kube_label_selector_free(sel);
        kube_label_selector_free(again);
    } else {
        struct kube_field_selector *sel = NULL;
        if (kube_field_selector_parse(s, &sel, &err) != 0) {
            if (err.msg[0] == '\0' || sel)
                abort();
            free(s);
            return 0;
        }
        static const char *const allowed[] = {"metadata.name", "status.phase", NULL};
        (void)kube_field_selector_check(sel, allowed, NULL);
        for (int i = 0; i < 4; i++) {
            json_t *o = sample_labels(i);
            (void)kube_field_selector_matches(sel, o);
            json_decref(o);
        }
        if (kube_field_selector_is_empty(sel) && !kube_field_selector_matches(sel, NULL))
            abort();
        kube_field_selector_free(sel);
    }
    free(s);
    return 0;
}
