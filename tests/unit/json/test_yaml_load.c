/* test_yaml_load.c - tests for src/json/yaml_load.c: scalar resolution, multi-document streams,
 * anchors/aliases/merge keys, caps (size, depth, aliases, nodes, documents, billion laughs),
 * errors naming line and column, files and stdin, and real Kubernetes YAML from shared/. */
#include "test.h"
#include "json_test.h"

#include <dirent.h>
#include <unistd.h>

#include "json/json.h"

/* Loads exactly one document and compares it to the expected JSON. */
static void load_is(const char *yaml, const char *expected)
{
    struct slu_err err = {0};
    json_t *doc = NULL;
    int rc = slu_yaml_load_one(yaml, strlen(yaml), NULL, &doc, &err);
    if (rc != 0)
        fail_msg("loading %s: %s", yaml, err.msg);
    check_eq(doc, expected, yaml);
    json_decref(doc);
}

/* Expects the stream to fail with code, the message containing each of the fragments. */
static void load_fails(const char *yaml, const struct slu_yaml_limits *lim, int code,
                       const char *frag1, const char *frag2)
{
    struct slu_err err = {0};
    json_t *docs = (json_t *)1;
    int rc = slu_yaml_load(yaml, strlen(yaml), lim, &docs, &err);
    if (rc != code)
        fail_msg("%s: rc %d (expected %d), msg %s", yaml, rc, code, err.msg);
    assert_null(docs);
    assert_int_equal(err.code, code);
    if (frag1 && !strstr(err.msg, frag1))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, frag1);
    if (frag2 && !strstr(err.msg, frag2))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, frag2);
    slu_err_release(&err);
}

static void test_scalars(void **state)
{
    (void)state;
    load_is("a: 1\nb: -2\nc: +3\nd: 0x1F\ne: 0o17\nf: 017\ng: 0b101\nh: 1_000\ni: 0",
            "{\"a\":1,\"b\":-2,\"c\":3,\"d\":31,\"e\":15,\"f\":15,\"g\":5,\"h\":1000,\"i\":0}");
    load_is("[1.5, 1e3, -2.5E-2, .5, 1., 08]", "[1.5, 1000.0, -0.025, 0.5, 1.0, 8.0]");
    load_is("[true, True, TRUE, yes, Yes, on, ON, y, Y]",
            "[true,true,true,true,true,true,true,true,true]");
    load_is("[false, False, no, NO, off, Off, n, N]",
            "[false,false,false,false,false,false,false,false]");
    load_is("[null, Null, NULL, ~]", "[null,null,null,null]");
    load_is("- \n- x\n-\n", "[null,\"x\",null]");
    load_is("a:\nb: ~", "{\"a\":null,\"b\":null}");
    /* not special: other cases, near-misses, Kubernetes quantities, timestamps */
    load_is("[yEs, nULL, tRUE, 1Gi, 500m, 1.2.3, 0x, 0xZZ, 2024-01-02, 12:30, -Xmx2g, .5.5]",
            "[\"yEs\",\"nULL\",\"tRUE\",\"1Gi\",\"500m\",\"1.2.3\",\"0x\",\"0xZZ\",\"2024-01-02\","
            "\"12:30\",\"-Xmx2g\",\".5.5\"]");
    /* quoted, literal and folded scalars are strings */
    load_is("['1', \"true\", 'null', '', \"0x1F\"]", "[\"1\",\"true\",\"null\",\"\",\"0x1F\"]");
    load_is("a: |\n  line1\n  line2\nb: >-\n  folded\n  text\nc: |-\n  12\n",
            "{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\",\"c\":\"12\"}");
    /* escapes in double quotes, including NUL and unicode */
    struct slu_err err = {0};
    json_t *doc;
    const char *y = "\"a\\0b\\u00e9\\t\"";
    assert_int_equal(slu_json_parse("1", 1, 0, &doc, NULL), 0);
    json_decref(doc);
    assert_int_equal(slu_yaml_load_one(y, strlen(y), NULL, &doc, &err), 0);
    assert_int_equal(json_string_length(doc), 6);
    assert_memory_equal(json_string_value(doc), "a\0b\xc3\xa9\t", 6);
    json_decref(doc);
    /* int64 edges and beyond */
    load_is("[9223372036854775807, -9223372036854775808]",
            "[9223372036854775807, -9223372036854775808]");
    load_is("[18446744073709551615, -9223372036854775809]",
            "[1.8446744073709552e19, -9.223372036854775808e18]");
    load_is("[123456789012345678901234567890, 1e400, 0xFFFFFFFFFFFFFFFFFF]",
            "[1.2345678901234568e29, \"1e400\", \"0xFFFFFFFFFFFFFFFFFF\"]");
    /* tags */
    load_is("[!!str 1, !!str true, !!int '42', !!float '1', !!float 2.5, !!bool 'yes', !!null '',"
            " ! 12, !custom 12, !!binary aGk=]",
            "[\"1\",\"true\",42,1.0,2.5,true,null,\"12\",\"12\",\"aGk=\"]");
    load_fails("!!int abc", NULL, SLU_EPARSE, "line 1, column 1", "!!int");
    load_fails("x: !!bool maybe", NULL, SLU_EPARSE, "line 1, column 4", "!!bool");
    load_fails("- !!null 0", NULL, SLU_EPARSE, "!!null", NULL);
    load_fails("- !!float x", NULL, SLU_EPARSE, "!!float", NULL);
    /* .inf and .nan have no JSON form */
    load_fails("a: .inf", NULL, SLU_EPARSE, "line 1, column 4", "cannot be represented");
    load_fails("- -.Inf", NULL, SLU_EPARSE, "infinity", NULL);
    load_fails("- .NaN", NULL, SLU_EPARSE, "NaN", NULL);
    load_fails("- !!float .nan", NULL, SLU_EPARSE, "NaN", NULL);
    slu_err_release(&err);
}

static void test_keys(void **state)
{
    (void)state;
    /* non-string keys become their string form (as sigs.k8s.io/yaml) */
    load_is("1: a\n0x10: b\ntrue: c\nno: d\n1.5: e\n1e3: f\n~: g\n1e7: h\n.inf: i\n'2': j",
            "{\"1\":\"a\",\"16\":\"b\",\"true\":\"c\",\"false\":\"d\",\"1.5\":\"e\","
            "\"1000\":\"f\",\"null\":\"g\",\"1e+07\":\"h\",\".inf\":\"i\",\"2\":\"j\"}");
    /* go-yaml v2 reads y/n as booleans, so a key "y" becomes "true" (as in kubectl) */
    load_is("y: 1\nn: 2\n'y': 3\n", "{\"true\":1,\"false\":2,\"y\":3}");
    load_is("{a: 1, 'b c': [x, {d: e}]}", "{\"a\":1,\"b c\":[\"x\",{\"d\":\"e\"}]}");
    load_fails("? [a]\n: b", NULL, SLU_EPARSE, "line 1, column 3", "key must be a scalar");
    load_fails("{? {a: 1} : b}", NULL, SLU_EPARSE, "key must be a scalar", NULL);
    /* duplicates name the key and the line */
    load_fails("a: 1\nb:\n  c: 1\n  c: 2\n", NULL, SLU_EPARSE, "line 4, column 3",
               "duplicate key \"c\"");
    load_fails("{a: 1, a: 2}", NULL, SLU_EPARSE, "duplicate key \"a\"", NULL);
    load_fails("1: a\n'1': b", NULL, SLU_EPARSE, "line 2, column 1", "duplicate key \"1\"");
}

static void test_multidoc(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *docs = NULL;
    const char *y = "# only a comment\n---\na: 1\n---\n---\n# c\n---\n- x\n...\n---\nnull\n--- "
                    "''\n---\n";
    assert_int_equal(slu_yaml_load(y, strlen(y), NULL, &docs, &err), 0);
    check_eq(docs, "[{\"a\":1},[\"x\"],null,\"\"]", "multidoc");
    json_decref(docs);
    /* nothing at all, or only comments */
    assert_int_equal(slu_yaml_load("", 0, NULL, &docs, &err), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    assert_int_equal(slu_yaml_load(NULL, 0, NULL, &docs, &err), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    y = "# nothing\n\n# here\n";
    assert_int_equal(slu_yaml_load(y, strlen(y), NULL, &docs, &err), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    /* load_one insists on exactly one */
    json_t *doc = (json_t *)1;
    y = "a: 1\n---\nb: 2\n";
    assert_int_equal(slu_yaml_load_one(y, strlen(y), NULL, &doc, &err), SLU_EINVAL);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "found 2"));
    slu_err_release(&err);
    assert_int_equal(slu_yaml_load_one("---\n", 4, NULL, &doc, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "found 0"));
    slu_err_release(&err);
    load_fails("a: 1\n---\n[\n", NULL, SLU_EPARSE, "line 4, column 1", "flow node");
    /* JSON is YAML */
    load_is("{\"kind\": \"Pod\", \"spec\": {\"n\": [1, 2.5, null, true, \"x\"]}}",
            "{\"kind\":\"Pod\",\"spec\":{\"n\":[1,2.5,null,true,\"x\"]}}");
    /* anchors do not leak across documents */
    load_fails("a: &x 1\n---\nb: *x\n", NULL, SLU_EPARSE, "line 3, column 4", "unknown anchor");
}

static void test_errors(void **state)
{
    (void)state;
    load_fails("a: 1\nb: c: d\n", NULL, SLU_EPARSE, "line 2, column 5",
               "mapping values are not allowed");
    load_fails("a:\n  - x\n - y\n", NULL, SLU_EPARSE, "line 3", NULL);
    load_fails("key: \"unterminated\n", NULL, SLU_EPARSE, "line 2", "quoted scalar");
    load_fails("a: [1, 2\n", NULL, SLU_EPARSE, "line 2", NULL);
    load_fails("a: *nope\n", NULL, SLU_EPARSE, "line 1, column 4", "unknown anchor \"nope\"");
    load_fails("\ta: 1\n", NULL, SLU_EPARSE, "line 1, column 1", NULL);
    load_fails("a: \x01\n", NULL, SLU_EPARSE, "line 1, column 4", "control characters");
    load_fails("a: \xff\xfe\xfd\n", NULL, SLU_EPARSE, "line 1", "UTF-8");
    /* a recursive alias is unknown while its anchor is still open */
    load_fails("a: &x [1, *x]\n", NULL, SLU_EPARSE, "unknown anchor \"x\"", NULL);
    /* an error without err pointer must not crash */
    json_t *docs;
    assert_int_equal(slu_yaml_load("[", 1, NULL, &docs, NULL), SLU_EPARSE);
}

static void test_anchors_merge(void **state)
{
    (void)state;
    load_is("base: &b {x: 1, z: [1, 2]}\ncopy: *b\ns: &s str\nt: *s\n",
            "{\"base\":{\"x\":1,\"z\":[1,2]},\"copy\":{\"x\":1,\"z\":[1,2]},\"s\":\"str\","
            "\"t\":\"str\"}");
    /* aliases are copies: a later redefinition does not change earlier uses */
    load_is("- &a 1\n- *a\n- &a 2\n- *a\n", "[1,1,2,2]");
    /* alias as key */
    load_is("- &k name\n- {*k : v}\n- &n 5\n- {*n : w}\n",
            "[\"name\",{\"name\":\"v\"},5,{\"5\":\"w\"}]");
    /* merge keys: explicit keys win wherever they are, first merged mapping wins */
    load_is("defaults: &d {image: x, pull: Always, cpu: 1}\n"
            "other: &o {cpu: 2, mem: 1g}\n"
            "c1:\n  <<: *d\n  image: w\n"
            "c2:\n  image: z\n  <<: [*o, *d]\n"
            "c3: {<<: {a: 1}, b: 2}\n",
            "{\"defaults\":{\"image\":\"x\",\"pull\":\"Always\",\"cpu\":1},"
            "\"other\":{\"cpu\":2,\"mem\":\"1g\"},"
            "\"c1\":{\"image\":\"w\",\"pull\":\"Always\",\"cpu\":1},"
            "\"c2\":{\"image\":\"z\",\"cpu\":2,\"mem\":\"1g\",\"pull\":\"Always\"},"
            "\"c3\":{\"a\":1,\"b\":2}}");
    /* a quoted "<<" is an ordinary key */
    load_is("'<<': 1\n", "{\"<<\":1}");
    load_fails("a:\n  <<: 5\n", NULL, SLU_EPARSE, "line 2, column 3", "merge key");
    load_fails("a:\n  <<: [{a: 1}, 2]\n", NULL, SLU_EPARSE, "merge key", NULL);
    /* merged copies are independent of their source */
    struct slu_err err = {0};
    json_t *doc;
    const char *y = "a: &a {k: {m: 1}}\nb: {<<: *a}\n";
    assert_int_equal(slu_yaml_load_one(y, strlen(y), NULL, &doc, &err), 0);
    slu_json_set_int(doc, "b.k.m", 2);
    assert_int_equal(slu_json_int(doc, "a.k.m", 0), 1);
    json_decref(doc);
}

static void test_caps(void **state)
{
    (void)state;
    struct slu_yaml_limits lim = {0};
    /* size */
    lim.max_bytes = 8;
    load_fails("a: 123456789", &lim, SLU_ETOOBIG, "exceeds the limit of 8", NULL);
    /* depth: flow and block */
    lim = (struct slu_yaml_limits){.max_depth = 3};
    load_is("[[[1]]]", "[[[1]]]");
    load_fails("[[[[1]]]]", &lim, SLU_ETOOBIG, "line 1, column 4", "deeper than 3");
    load_fails("a:\n  b:\n    c:\n      d: 1\n", &lim, SLU_ETOOBIG, "line 4, column 7",
               "deeper than 3");
    /* depth through aliases */
    load_fails("a: &a [[1]]\nb: [[*a]]\n", &lim, SLU_ETOOBIG, "line 2, column 6", "nests deeper");
    /* default depth cap: 100,000 nested brackets fail quickly */
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    load_fails(deep, NULL, SLU_ETOOBIG, "deeper than 256", NULL);
    free(deep);
    /* aliases */
    lim = (struct slu_yaml_limits){.max_aliases = 2};
    load_fails("a: &a 1\nb: [*a, *a, *a]\n", &lim, SLU_ETOOBIG, "line 2, column 13",
               "more than 2 aliases");
    /* nodes, including copies made for aliases */
    lim = (struct slu_yaml_limits){.max_nodes = 12};
    load_fails("a: &a [1, 2, 3]\nb: *a\nc: *a\n", &lim, SLU_ETOOBIG, "line 3, column 4",
               "more than 12 nodes");
    /* documents */
    lim = (struct slu_yaml_limits){.max_documents = 2};
    load_fails("a\n---\nb\n---\nc\n", &lim, SLU_ETOOBIG, "line 4, column 1",
               "more than 2 documents");
}

static void test_billion_laughs(void **state)
{
    (void)state;
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    /* fails on the alias expansion budget long before building 9^9 strings */
    load_fails(bomb, NULL, SLU_ETOOBIG, "aliases expand to more than 100000 nodes", "line 6, ");
    /* and on max_nodes when that is lower */
    struct slu_yaml_limits lim = {.max_nodes = 50000};
    load_fails(bomb, &lim, SLU_ETOOBIG, "more than 50000 nodes", "line 5, ");
    /* the same through merge keys */
    const char *mbomb = "a: &a {a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1, a8: 1}\n"
                        "b: &b {b1: *a, b2: *a, b3: *a, b4: *a, b5: *a, b6: *a, b7: *a, b8: *a}\n"
                        "c: &c {c1: *b, c2: *b, c3: *b, c4: *b, c5: *b, c6: *b, c7: *b, c8: *b}\n"
                        "d: &d {d1: *c, d2: *c, d3: *c, d4: *c, d5: *c, d6: *c, d7: *c, d8: *c}\n"
                        "e: &e {e1: *d, e2: *d, e3: *d, e4: *d, e5: *d, e6: *d, e7: *d, e8: *d}\n"
                        "f: &f {f1: *e, f2: *e, f3: *e, f4: *e, f5: *e, f6: *e, f7: *e, f8: *e}\n"
                        "g: &g {<<: [*f, *f], x: 1}\n"
                        "h: &h {h1: *g, h2: *g, h3: *g, h4: *g, h5: *g, h6: *g, h7: *g, h8: *g}\n";
    load_fails(mbomb, NULL, SLU_ETOOBIG, "aliases expand", NULL);
}

/* A document with an anchored list of 1500 numbers used `uses` times. */
static char *reuse_doc(int uses)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "base: &b [");
    for (int i = 0; i < 1500; i++)
        slu_buf_printf(&b, "%s%d", i ? "," : "", i);
    slu_buf_puts(&b, "]\nuses:\n");
    for (int i = 0; i < uses; i++)
        slu_buf_puts(&b, "- *b\n");
    return slu_buf_steal(&b);
}

static void test_alias_budget(void **state)
{
    (void)state;
    /* heavy but legitimate reuse: 100 copies of a 1500-node anchor (under 100x the text) */
    char *y = reuse_doc(100);
    struct slu_err err = {0};
    json_t *docs = NULL;
    assert_int_equal(slu_yaml_load(y, strlen(y), NULL, &docs, &err), 0);
    assert_int_equal(json_array_size(slu_json_path(json_array_get(docs, 0), "uses")), 100);
    assert_int_equal(slu_json_int(json_array_get(docs, 0), "uses[99][1499]", 0), 1499);
    json_decref(docs);
    free(y);
    /* 120 copies exceed 100 times the ~1500 nodes written out */
    y = reuse_doc(120);
    load_fails(y, NULL, SLU_ETOOBIG, "aliases expand", "line ");
    free(y);
}

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/slu_yaml_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    struct slu_err err = {0};
    json_t *docs = NULL;
    char *p = write_temp("a: 1\n---\nb: [x]\n");
    assert_int_equal(slu_yaml_load_file(p, NULL, &docs, &err), 0);
    check_eq(docs, "[{\"a\":1},{\"b\":[\"x\"]}]", "file");
    json_decref(docs);
    /* size cap applies to files */
    struct slu_yaml_limits lim = {.max_bytes = 5};
    assert_int_equal(slu_yaml_load_file(p, &lim, &docs, &err), SLU_ETOOBIG);
    assert_null(docs);
    slu_err_release(&err);
    unlink(p);
    free(p);
    /* errors carry the file name and the position */
    p = write_temp("a: 1\nb: [\n");
    assert_int_equal(slu_yaml_load_file(p, NULL, &docs, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "line 3"));
    slu_err_release(&err);
    unlink(p);
    free(p);
    assert_int_equal(slu_yaml_load_file("/nonexistent/x.yaml", NULL, &docs, &err), SLU_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/x.yaml"));
    slu_err_release(&err);
    /* "-" reads stdin */
    p = write_temp("- from stdin\n");
    FILE *saved = stdin;
    stdin = fopen(p, "r");
    assert_non_null(stdin);
    assert_int_equal(slu_yaml_load_file("-", NULL, &docs, &err), 0);
    fclose(stdin);
    stdin = saved;
    check_eq(docs, "[[\"from stdin\"]]", "stdin");
    json_decref(docs);
    unlink(p);
    free(p);
}

/* Loads every *.yaml file in dir (read in place); returns the number of files. */
static int load_dir(const char *dir, int min_docs_per_file)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct slu_err err = {0};
        json_t *docs = NULL;
        struct slu_buf text = {0};
        assert_int_equal(slu_read_file(path, 16 << 20, &text, &err), 0);
        bool templated = strstr(text.data, "{IMAGE_REGISTRY}") != NULL;
        slu_buf_release(&text);
        int rc = slu_yaml_load_file(path, NULL, &docs, &err);
        if (templated) {
            /* an unfilled template ("image: {IMAGE_REGISTRY}/...") is not valid YAML */
            assert_int_equal(rc, SLU_EPARSE);
            assert_non_null(strstr(err.msg, ", column "));
            assert_non_null(strstr(err.msg, e->d_name));
            slu_err_release(&err);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: %s", path, err.msg);
        assert_true((int)json_array_size(docs) >= min_docs_per_file);
        json_t *doc;
        size_t i;
        json_array_foreach(docs, i, doc)
        {
            assert_non_null(slu_json_str(doc, "apiVersion"));
            assert_non_null(slu_json_str(doc, "kind"));
        }
        /* the dump reads back the same */
        struct slu_buf b = {0};
        slu_yaml_dump(docs, &b);
        json_t *again = NULL;
        if (slu_yaml_load_one(b.data, b.len, NULL, &again, &err) != 0)
            fail_msg("%s dumped: %s", path, err.msg);
        assert_true(slu_json_equal(docs, again));
        json_decref(again);
        slu_buf_release(&b);
        json_decref(docs);
        files++;
    }
    closedir(d);
    return files;
}

static void test_kubernetes_files(void **state)
{
    (void)state;
    char dir[2048];
    snprintf(dir, sizeof(dir), "%s/reference/kubeflow-spark-operator/examples",
             slu_test_shared_dir());
    int n = load_dir(dir, 1);
    if (n < 0) {
        print_message("SKIPPED: %s not found (set SLU_SHARED_DIR)\n", dir);
        skip();
    }
    assert_true(n >= 10);
    /* a known example, field by field */
    char path[4096];
    snprintf(path, sizeof(path), "%.2000s/spark-pi.yaml", dir);
    struct slu_err err = {0};
    json_t *docs = NULL;
    assert_int_equal(slu_yaml_load_file(path, NULL, &docs, &err), 0);
    json_t *doc = json_array_get(docs, 0);
    assert_string_equal(slu_json_str(doc, "kind"), "SparkApplication");
    assert_string_equal(slu_json_str(doc, "metadata.name"), "spark-pi");
    assert_non_null(slu_json_str(doc, "spec.mainClass"));
    assert_true(slu_json_int(doc, "spec.driver.cores", 0) >= 1);
    json_decref(docs);

    snprintf(dir, sizeof(dir), "%s/reference/kubeflow-spark-operator/crds", slu_test_shared_dir());
    n = load_dir(dir, 1);
    assert_int_equal(n, 2);
    snprintf(path, sizeof(path), "%.2000s/sparkoperator.k8s.io_sparkapplications.yaml", dir);
    assert_int_equal(slu_yaml_load_file(path, NULL, &docs, &err), 0);
    doc = json_array_get(docs, 0);
    assert_string_equal(slu_json_str(doc, "kind"), "CustomResourceDefinition");
    assert_string_equal(slu_json_str(doc, "spec.names.kind"), "SparkApplication");
    assert_string_equal(slu_json_str(doc, "spec.versions[0].schema.openAPIV3Schema.type"),
                        "object");
    json_decref(docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_multidoc),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_anchors_merge),  cmocka_unit_test(test_caps),
        cmocka_unit_test(test_billion_laughs), cmocka_unit_test(test_alias_budget),
        cmocka_unit_test(test_load_file),      cmocka_unit_test(test_kubernetes_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
