/* json_test.h - JSON helpers for the cmocka unit tests of the modules built on src/json
 * (include after test.h). Static inline: each test file is its own program. */
#ifndef SLU_JSON_TEST_H
#define SLU_JSON_TEST_H

#include "test.h"

#include "json/json.h"

/* Parses test JSON text (any value; \u0000 allowed in strings). A new reference; fails the test,
 * naming the text and the position, when it is not JSON. */
static inline json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (v == NULL)
        fail_msg("bad test JSON at %d: %s: %s", e.position, e.text, text);
    return v;
}

/* Fails the test (saying what, what came and what was expected) unless v equals the JSON text
 * expected. */
static inline void check_eq(const json_t *v, const char *expected, const char *what)
{
    json_t *e = J(expected);
    if (!slu_json_equal(v, e)) {
        char *got = slu_json_dumps_canonical(v);
        print_error("%s: got %s, expected %s\n", what, got, expected);
        free(got);
        json_decref(e);
        fail();
    }
    json_decref(e);
}

/* The documents of the YAML file at path (returned owned); fails the test when it cannot be
 * loaded. */
static inline json_t *load_yaml_docs(const char *path)
{
    json_t *docs = NULL;
    struct slu_err err = {0};
    if (slu_yaml_load_file(path, NULL, &docs, &err) != 0)
        fail_msg("loading %s: %s", path, err.msg);
    slu_err_release(&err);
    return docs;
}

/* true when every field of sub is in sup with the same value (objects recursively, arrays
 * element-wise with equal length): sup may only have more (defaults). */
static inline bool json_test_contains(const json_t *sup, const json_t *sub)
{
    if (json_is_object(sub)) {
        if (!json_is_object(sup))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)sub, k, v)
        {
            if (!json_test_contains(json_object_get(sup, k), v))
                return false;
        }
        return true;
    }
    if (json_is_array(sub)) {
        if (!json_is_array(sup) || json_array_size(sup) != json_array_size(sub))
            return false;
        for (size_t i = 0; i < json_array_size(sub); i++)
            if (!json_test_contains(json_array_get(sup, i), json_array_get(sub, i)))
                return false;
        return true;
    }
    return sup && slu_json_equal(sup, sub);
}

#endif
