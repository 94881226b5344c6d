/*
 * json_select_ref.h - the reference for slu_json_parse_select: jansson's full parse, then the
 * selected paths extracted from the tree (the rules of json.h, written the plain way). Shared by
 * the scanner's unit test (tests/unit/json/test_scan.c) and its fuzz target
 * (fuzz/fuzz_json_scan.c), so both check against the same oracle.
 */
#ifndef SLU_TESTS_JSON_SELECT_REF_H
#define SLU_TESTS_JSON_SELECT_REF_H

#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "json/json.h"

/* The reference: jansson's full parse, then the selected paths extracted from the tree. */
struct rsel {
    char **c; /* components */
    size_t n;
};

static json_t *ref_value(json_t *v, const struct rsel *sels, size_t nsel, const size_t *act,
                         size_t nact, size_t level)
{
    if (nact == 0)
        return NULL;
    for (size_t i = 0; i < nact; i++)
        if (sels[act[i]].n == level)
            return json_deep_copy(v);
    size_t *next = malloc(nsel * sizeof *next);
    json_t *res = NULL;
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach(v, k, child)
        {
            size_t nn = 0;
            for (size_t i = 0; i < nact; i++) {
                const char *c = sels[act[i]].c[level];
                if (strcmp(c, "*") == 0 || strcmp(c, k) == 0)
                    next[nn++] = act[i];
            }
            json_t *r = ref_value(child, sels, nsel, next, nn, level + 1);
            if (r) {
                if (!res)
                    res = json_object();
                json_object_set_new(res, k, r);
            }
        }
    } else if (json_is_array(v)) {
        size_t nn = 0;
        for (size_t i = 0; i < nact; i++)
            if (strcmp(sels[act[i]].c[level], "*") == 0)
                next[nn++] = act[i];
        for (size_t j = 0; j < json_array_size(v); j++) {
            json_t *r = ref_value(json_array_get(v, j), sels, nsel, next, nn, level + 1);
            if (r) {
                if (!res)
                    res = json_array();
                json_array_append_new(res, r);
            }
        }
    }
    free(next);
    return res;
}

static json_t *ref_select(json_t *doc, const char *const *paths, size_t npaths)
{
    struct rsel *sels = calloc(npaths + 1, sizeof *sels);
    size_t *act = calloc(npaths + 1, sizeof *act);
    for (size_t i = 0; i < npaths; i++) {
        sels[i].n = 0;
        sels[i].c = NULL;
        if (paths[i][0]) {
            sels[i].c = slu_str_split(paths[i], '.', false, &sels[i].n);
        }
        act[i] = i;
    }
    json_t *r = ref_value(doc, sels, npaths, act, npaths, 0);
    if (!r)
        r = json_is_object(doc) ? json_object() : json_is_array(doc) ? json_array() : json_null();
    for (size_t i = 0; i < npaths; i++)
        slu_strv_free(sels[i].c);
    free(sels);
    free(act);
    return r;
}

#endif
