/* test_yaml_dump.c - tests for src/json/yaml_dump.c: kubectl's layout, quoting decisions, block
 * scalars, and the round-trip property slu_yaml_load(slu_yaml_dump(v)) == v on tricky strings
 * and on many generated values. */
#include "test.h"
#include "json_test.h"

#include <math.h>

#include "json/json.h"

static char *dump(const json_t *v)
{
    struct slu_buf b = {0};
    slu_yaml_dump(v, &b);
    return slu_buf_steal(&b);
}

static void dump_is(const char *json_text, const char *expected)
{
    json_t *v = J(json_text);
    char *y = dump(v);
    if (strcmp(y, expected) != 0)
        fail_msg("dump of %s:\n--- got\n%s--- expected\n%s", json_text, y, expected);
    free(y);
    json_decref(v);
}

/* The round-trip property for one value; fails with the YAML text on a mismatch. */
static void round_trip(const json_t *v)
{
    char *y = dump(v);
    struct slu_err err = {0};
    json_t *back = NULL;
    int rc = slu_yaml_load_one(y, strlen(y), NULL, &back, &err);
    if (rc != 0) {
        char *j = slu_json_dumps(v);
        fail_msg("reloading the dump of %s failed: %s\n--- yaml\n%s", j, err.msg, y);
    }
    /* strict: the same types too (1.0 stays a real) */
    char *a = slu_json_dumps(v), *b = slu_json_dumps(back);
    if (!slu_json_equal(v, back) || strcmp(a, b) != 0)
        fail_msg("round trip changed the value:\n  in  %s\n  out %s\n--- yaml\n%s", a, b, y);
    free(a);
    free(b);
    json_decref(back);
    free(y);
}

static void test_layout(void **state)
{
    (void)state;
    dump_is(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":"
        "\"b\"}},\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"img\",\"args\":[\"a\","
        "\"b\"],\"env\":[]}],\"empty\":{},\"nested\":[[1,2],[]],\"script\":\"echo hi\\necho "
        "there\\n\"}}",
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  name: x\n"
        "  labels:\n"
        "    a: b\n"
        "spec:\n"
        "  containers:\n"
        "  - name: x\n"
        "    image: img\n"
        "    args:\n"
        "    - a\n"
        "    - b\n"
        "    env: []\n"
        "  empty: {}\n"
        "  nested:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - []\n"
        "  script: |\n"
        "    echo hi\n"
        "    echo there\n");
    dump_is("{}", "{}\n");
    dump_is("[]", "[]\n");
    dump_is("[{\"a\":{\"b\":[{}]}}]", "- a:\n    b:\n    - {}\n");
    dump_is("\"s\"", "s\n");
    dump_is("null", "null\n");
    dump_is("[true,false,null,1,-2,1.5,1.0,1e20,-0.0]",
            "- true\n- false\n- null\n- 1\n- -2\n- 1.5\n- 1.0\n- 1e+20\n- -0.0\n");
    dump_is("{\"a\":0.1}", "a: 0.1\n");
    json_t *n = NULL;
    char *y = dump(n);
    assert_string_equal(y, "null\n");
    free(y);
    /* appends */
    struct slu_buf b = {0};
    slu_buf_puts(&b, "# head\n");
    json_t *v = J("{\"a\":1}");
    slu_yaml_dump(v, &b);
    assert_string_equal(b.data, "# head\na: 1\n");
    slu_buf_release(&b);
    json_decref(v);
}

static void test_quoting(void **state)
{
    (void)state;
    /* strings that would read back as another type are quoted; ordinary ones are not */
    dump_is("[\"yes\",\"y\",\"No\",\"on\",\"True\",\"null\",\"~\",\"\",\"1\",\"1e3\",\"0x1F\","
            "\"1.5\",\".inf\",\"1_000\",\"12:30\",\"2024-01-02\"]",
            "- 'yes'\n- 'y'\n- 'No'\n- 'on'\n- 'True'\n- 'null'\n- '~'\n- ''\n- '1'\n- '1e3'\n"
            "- '0x1F'\n- '1.5'\n- '.inf'\n- '1_000'\n- '12:30'\n- '2024-01-02'\n");
    dump_is("[\"1Gi\",\"500m\",\"-Xmx2g\",\"local:///opt/x.jar\",\"a-b\",\"v1.2.3\",\"it's\","
            "\"http://x/y?z=1#f\"]",
            "- 1Gi\n- 500m\n- -Xmx2g\n- local:///opt/x.jar\n- a-b\n- v1.2.3\n- it's\n"
            "- http://x/y?z=1#f\n");
    /* syntax characters */
    dump_is("[\" a\",\"a \",\"a: b\",\"a:\",\"#x\",\"a #b\",\"- x\",\"-\",\"[a]\",\"{a}\",\"*a\","
            "\"&a\",\"!a\",\"|a\",\">a\",\"'a'\",\"\\\"a\\\"\",\"%a\",\"@a\",\"`a\",\"?a\",\":a\","
            "\"---\",\"...\"]",
            "- ' a'\n- 'a '\n- 'a: b'\n- 'a:'\n- '#x'\n- 'a #b'\n- '- x'\n- '-'\n- '[a]'\n"
            "- '{a}'\n- '*a'\n- '&a'\n- '!a'\n- '|a'\n- '>a'\n- '''a'''\n- '\"a\"'\n- '%a'\n"
            "- '@a'\n- '`a'\n- '?a'\n- ':a'\n- '---'\n- '...'\n");
    /* non-printable: double quotes with escapes */
    dump_is("[\"a\\tb\",\"a\\u0001b\",\"\\r\\n\",\"x\\u0000y\",\"\\u2028\",\"\\ufeff\"]",
            "- \"a\\tb\"\n- \"a\\x01b\"\n- \"\\r\\n\"\n- \"x\\0y\"\n- \"\\u2028\"\n- "
            "\"\\uFEFF\"\n");
    /* unicode text stays as it is */
    dump_is("{\"k\":\"caf\\u00e9 \\u65e5\\u672c\"}", "k: café 日本\n");
    /* keys get the same treatment, never block style */
    dump_is("{\"yes\":1,\"a: b\":2,\"x\\ny\":3,\"\":4}",
            "'yes': 1\n'a: b': 2\n\"x\\ny\": 3\n'': 4\n");
}

static void test_block_scalars(void **state)
{
    (void)state;
    dump_is("{\"a\":\"x\\ny\"}", "a: |-\n  x\n  y\n");
    dump_is("{\"a\":\"x\\ny\\n\"}", "a: |\n  x\n  y\n");
    dump_is("{\"a\":\"x\\ny\\n\\n\"}", "a: |+\n  x\n  y\n\n");
    dump_is("{\"a\":\"x\\n\\ny\"}", "a: |-\n  x\n\n  y\n");
    dump_is("[\"x\\ny\"]", "- |-\n  x\n  y\n");
    dump_is("{\"a\":[{\"b\":\"x\\ny\"}]}", "a:\n- b: |-\n    x\n    y\n");
    /* leading blank: explicit indentation indicator */
    dump_is("{\"a\":\"  x\\ny\"}", "a: |2-\n    x\n  y\n");
    dump_is("{\"a\":{\"b\":\"\\n  x\\n\"}}", "a:\n  b: |2\n\n      x\n");
    /* trailing spaces on a line, only newlines, CR: double quotes */
    dump_is("{\"a\":\"x \\ny\"}", "a: \"x \\ny\"\n");
    dump_is("{\"a\":\"\\n\\n\"}", "a: \"\\n\\n\"\n");
    dump_is("{\"a\":\"x\\r\\ny\"}", "a: \"x\\r\\ny\"\n");
    dump_is("\"top\\nlevel\"", "|-\n  top\n  level\n");
}

static const char *const k_tricky[] = {
    "yes",
    "Yes",
    "YES",
    "yEs",
    "y",
    "n",
    "N",
    "on",
    "off",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    "1e3",
    "0x1F",
    "0o17",
    "017",
    "08",
    "1_000",
    "1.5",
    ".5",
    "5.",
    "-1",
    "+1",
    "-",
    "- x",
    "-x",
    "--x",
    "a: b",
    "a:b",
    "a:",
    ":",
    "#x",
    "a #b",
    "a# b",
    " a",
    "a ",
    "  ",
    "\ta",
    "a\tb",
    "a\t",
    "line1\nline2",
    "line1\nline2\n",
    "a\n\n",
    "a\n\n\n",
    "\nlead",
    "\n\nlead",
    "  indented\nx",
    "\tindented\nx",
    "x\n  indented",
    "trailing \nx",
    "x\n ",
    "x\n\t",
    "\n",
    "\n\n",
    " \n",
    "\n ",
    "é",
    "日本語",
    "emoji 😀",
    "\xe2\x80\xa8",
    "a\xc2\x85"
    "b",
    "\xef\xbb\xbf"
    "bom",
    "\x01",
    "\x7f",
    "\x1b[0m",
    "\r\n",
    "a\rb",
    "\r",
    "'",
    "\"",
    "'quoted'",
    "\"dq\"",
    "%percent",
    "@at",
    "`tick",
    "[a]",
    "{a}",
    "*star",
    "&amp",
    "!bang",
    "|pipe",
    ">gt",
    "?q",
    "? q",
    ": c",
    "---",
    "...",
    "--- x",
    "... x",
    "a,b",
    "1:20",
    "2024-01-02",
    "2024-01-02T10:00:00Z",
    ".inf",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    "NaN",
    "Infinity",
    "0b101",
    "-0b1",
    "<<",
    "=",
    "a\\b",
    "\\",
    "\\n",
    "#",
    "a'b",
    "a\"b",
    "- ",
    "-\n",
    "key: |\n  x",
    "|\n  x",
    "x\n---\ny",
    "x\n...\ny",
    "x\n# c",
    "%YAML 1.2",
    "!!str",
    "&a *a",
    "0",
    "-0",
    "00",
    "0.0",
    "1e",
    "e3",
    "1e+3",
    "+",
    ".",
    "..",
    "._",
    "_",
    "1__0",
    "0x_1",
    "1,000",
};

static void test_round_trip_tricky(void **state)
{
    (void)state;
    for (size_t i = 0; i < SLU_ARRAY_LEN(k_tricky); i++) {
        const char *s = k_tricky[i];
        json_t *str = json_string(s);
        assert_non_null(str);
        round_trip(str);
        /* as a value in a map, in a list, in a nested map in a list, and as a key */
        json_t *v =
            json_pack("{s:O,s:[O,{s:O}],s:{s:O}}", "a", str, "l", str, "k", str, "m", s, str);
        assert_non_null(v);
        round_trip(v);
        json_decref(v);
        json_decref(str);
    }
    /* strings with NUL, very long strings and keys */
    json_t *v = json_object();
    json_object_set_new(v, "nul", json_stringn("a\0b", 3));
    char *longs = malloc(5001);
    for (size_t i = 0; i < 5000; i++)
        longs[i] = (char)('a' + i % 26);
    longs[5000] = '\0';
    json_object_set_new(v, longs, json_string(longs)); /* a 5000-character key */
    longs[1000] = ' ';
    longs[2000] = '\n';
    json_object_set_new(v, "long", json_string(longs));
    json_object_set_new(v, longs, json_pack("{s:[i,{s:s}]}", "x", 1, "y", "z"));
    longs[3000] = '#';
    json_object_set_new(v, longs, json_pack("[s,[i]]", "a", 1)); /* a list under "? key" */
    longs[3001] = '\t';
    json_object_set_new(v, longs, json_pack("{}"));
    round_trip(v);
    char *y = dump(v);
    assert_non_null(strstr(y, "? "));
    free(y);
    free(longs);
    json_decref(v);
}

/* ---------------------------------------------------------------- generated values */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static json_t *gen_string(void)
{
    char buf[256];
    size_t n = 0;
    int parts = (int)(rnd() % 4);
    buf[0] = '\0';
    for (int i = 0; i < parts; i++) {
        const char *p = k_tricky[rnd() % SLU_ARRAY_LEN(k_tricky)];
        size_t pl = strlen(p);
        if (n + pl >= sizeof(buf))
            break;
        memcpy(buf + n, p, pl);
        n += pl;
        buf[n] = '\0';
    }
    return json_string(buf);
}

static json_t *gen_value(int depth)
{
    unsigned kind = (unsigned)(rnd() % (depth > 0 ? 9 : 6));
    switch (kind) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(rnd() & 1);
    case 2:
        return json_integer((json_int_t)(rnd() % 2 ? rnd() : rnd() % 1000) * (rnd() % 2 ? 1 : -1));
    case 3: {
        double d;
        do {
            uint64_t bits = rnd();
            memcpy(&d, &bits, sizeof(d));
        } while (!isfinite(d));
        if (rnd() % 2)
            d = (double)(int64_t)(rnd() % 100000) / 64.0;
        return json_real(d);
    }
    case 4:
    case 5:
        return gen_string();
    case 6:
    case 7: {
        json_t *o = json_object();
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++) {
            json_t *k = gen_string();
            json_object_set_new(o, json_string_value(k), gen_value(depth - 1));
            json_decref(k);
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++)
            json_array_append_new(a, gen_value(depth - 1));
        return a;
    }
    }
}

static void test_round_trip_generated(void **state)
{
    (void)state;
    for (int i = 0; i < 3000; i++) {
        json_t *v = gen_value(4);
        round_trip(v);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_block_scalars),
        cmocka_unit_test(test_round_trip_tricky),
        cmocka_unit_test(test_round_trip_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
