/* test_build_utf8.c - the builder's own UTF-8 check (src/spark/build_names.c sb__utf8_ok, used by
 * sb__str and sb__set_str instead of building a jansson string to see whether jansson takes it)
 * must accept exactly what jansson's json_string accepts: every 1- and 2-byte string, every first
 * byte of 3- and 4-byte sequences with every second byte and boundary values for the rest, and
 * the same after and before ASCII runs of several lengths. */
#include "test.h"

#include "spark/build_int.h"

static size_t checked;

static void same_as_jansson(const unsigned char *bytes, size_t n)
{
    /* alone, between two ASCII bytes, and after and before long ASCII runs (the check reads
     * ASCII eight bytes at a time) */
    static const char *const around[][2] = {
        {"", ""}, {"a", "z"}, {"0123456789abc", "0123456789abcdefghij"}, {"01234567", ""}};
    for (size_t v = 0; v < SLU_ARRAY_LEN(around); v++) {
        char str[64];
        size_t pl = strlen(around[v][0]), sl = strlen(around[v][1]);
        memcpy(str, around[v][0], pl);
        memcpy(str + pl, bytes, n);
        memcpy(str + pl + n, around[v][1], sl + 1);
        json_t *j = json_string(str);
        bool ours = sb__utf8_ok(str);
        if ((j != NULL) != ours)
            fail_msg("bytes %02x %02x %02x %02x (n=%zu, variant %zu): jansson %s, ours %s",
                     bytes[0], n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, n > 3 ? bytes[3] : 0, n,
                     v, j ? "accepts" : "refuses", ours ? "accepts" : "refuses");
        json_t *mine = sb__str(str);
        assert_non_null(mine);
        assert_string_equal(json_string_value(mine), j ? json_string_value(j) : "");
        json_decref(mine);
        json_decref(j);
        checked++;
    }
}

static const unsigned char edges[] = {0x01, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                      0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff};

static void test_utf8_matches_jansson(void **state)
{
    (void)state;
    unsigned char b[4];
    for (unsigned a = 1; a < 256; a++) {
        b[0] = (unsigned char)a;
        same_as_jansson(b, 1);
        for (unsigned c = 1; c < 256; c++) {
            b[1] = (unsigned char)c;
            same_as_jansson(b, 2);
            if (a < 0xc0)
                continue;
            for (size_t d = 0; d < sizeof(edges); d++) {
                b[2] = edges[d];
                same_as_jansson(b, 3);
                if (a < 0xf0)
                    continue;
                for (size_t e = 0; e < sizeof(edges); e++) {
                    b[3] = edges[e];
                    same_as_jansson(b, 4);
                }
            }
        }
    }
    assert_true(sb__utf8_ok(NULL));
    assert_true(sb__utf8_ok(""));
    json_t *o = json_object();
    sb__set_str(o, "k\xc3\xa9", "v");
    sb__set_str(o, "bad\xff", "v"); /* refused, as json_object_set_new refuses it */
    sb__set_str(o, NULL, "v");
    sb__set_str(o, "n", NULL);
    sb__set_str(o, "x", "bad\xc0\x80");
    assert_int_equal(json_object_size(o), 3);
    assert_string_equal(json_string_value(json_object_get(o, "k\xc3\xa9")), "v");
    assert_string_equal(json_string_value(json_object_get(o, "n")), "");
    assert_string_equal(json_string_value(json_object_get(o, "x")), "");
    json_decref(o);
    print_message("%zu strings compared\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_matches_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
