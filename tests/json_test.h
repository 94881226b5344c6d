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

#endif
