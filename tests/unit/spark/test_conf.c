/* test_conf.c - tests for src/spark/conf.c: the ordered conf map, java.util.Properties load and
 * store, spark-defaults.conf / --properties-file precedence, typed getters. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "spark/spark.h"

static void test_ordered_map(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.b", "1");
    spark_conf_set(c, "spark.a", "2");
    spark_conf_set(c, "spark.c", "3");
    spark_conf_set(c, "spark.b", "4"); /* replaced in place */
    assert_int_equal(spark_conf_len(c), 3);
    assert_string_equal(spark_conf_key_at(c, 0), "spark.b");
    assert_string_equal(spark_conf_value_at(c, 0), "4");
    assert_string_equal(spark_conf_key_at(c, 1), "spark.a");
    assert_null(spark_conf_get(c, "spark.z"));
    assert_null(spark_conf_key_at(c, 3));
    assert_true(spark_conf_unset(c, "spark.b"));
    assert_false(spark_conf_unset(c, "spark.b"));
    assert_int_equal(spark_conf_len(c), 2);
    assert_string_equal(spark_conf_key_at(c, 0), "spark.a");
    assert_string_equal(spark_conf_get(c, "spark.c"), "3"); /* index renumbered */
    spark_conf_set(c, "spark.c", "5");
    assert_string_equal(spark_conf_value_at(c, 1), "5");

    struct spark_conf *d = spark_conf_copy(c);
    spark_conf_set(d, "spark.a", "x");
    assert_string_equal(spark_conf_get(c, "spark.a"), "2");

    struct spark_conf *e = spark_conf_new();
    spark_conf_set(e, "spark.a", "keep");
    spark_conf_set(e, "spark.new", "n");
    spark_conf_merge(d, e, false);
    assert_string_equal(spark_conf_get(d, "spark.a"), "x");
    assert_string_equal(spark_conf_get(d, "spark.new"), "n");
    spark_conf_merge(d, e, true);
    assert_string_equal(spark_conf_get(d, "spark.a"), "keep");
    assert_string_equal(spark_conf_key_at(d, 2), "spark.new");

    spark_conf_set(d, "spark.kubernetes.driver.label.app", "x");
    spark_conf_set(d, "spark.kubernetes.driver.label.team", "y");
    struct spark_conf *p = spark_conf_with_prefix(d, "spark.kubernetes.driver.label.");
    assert_int_equal(spark_conf_len(p), 2);
    assert_string_equal(spark_conf_key_at(p, 0), "app");
    assert_string_equal(spark_conf_get(p, "team"), "y");

    spark_conf_set(d, "hadoop.x", "1");
    spark_conf_set(d, "sparkish", "1");
    assert_int_equal(spark_conf_drop_non_spark(d), 2);
    assert_null(spark_conf_get(d, "hadoop.x"));
    assert_non_null(spark_conf_get(d, "spark.new"));

    spark_conf_free(p);
    spark_conf_free(e);
    spark_conf_free(d);
    spark_conf_free(c);
}

/* Many keys (the index grows several times), replaced values, a value set from the conf itself,
 * unset in the middle and copies: every key is still found at its insertion position. */
static void test_ordered_map_many(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    char k[64], v[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "spark.key.%d", i);
        snprintf(v, sizeof v, "value-%d", i);
        spark_conf_set(c, k, v);
    }
    assert_int_equal(spark_conf_len(c), 1000);
    for (int i = 0; i < 1000; i += 3) { /* replace a third, some with a longer value */
        snprintf(k, sizeof k, "spark.key.%d", i);
        snprintf(v, sizeof v, "replaced-%d-with-a-longer-value", i);
        spark_conf_set(c, k, v);
    }
    /* a value given from the entry itself (the old value is freed only after the copy) */
    spark_conf_set(c, "spark.key.1", spark_conf_get(c, "spark.key.1") + 2);
    assert_string_equal(spark_conf_get(c, "spark.key.1"), "lue-1");
    spark_conf_set(c, "spark.key.0", spark_conf_get(c, "spark.key.0"));
    assert_string_equal(spark_conf_get(c, "spark.key.0"), "replaced-0-with-a-longer-value");

    struct spark_conf *d = spark_conf_copy(c);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(k, sizeof k, "spark.key.%d", i);
        assert_true(spark_conf_unset(c, k));
    }
    assert_int_equal(spark_conf_len(c), 500);
    assert_int_equal(spark_conf_len(d), 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "spark.key.%d", i);
        if (i == 1)
            snprintf(v, sizeof v, "lue-1");
        else if (i % 3 == 0)
            snprintf(v, sizeof v, "replaced-%d-with-a-longer-value", i);
        else
            snprintf(v, sizeof v, "value-%d", i);
        assert_string_equal(spark_conf_key_at(d, (size_t)i), k);
        assert_string_equal(spark_conf_get(d, k), v);
        if (i % 2) {
            assert_string_equal(spark_conf_key_at(c, (size_t)i / 2), k);
            assert_string_equal(spark_conf_get(c, k), v);
        } else {
            assert_null(spark_conf_get(c, k));
        }
    }
    /* a copy of a copy after more sets keeps its own index */
    spark_conf_set(d, "spark.extra", "x");
    struct spark_conf *e = spark_conf_copy(d);
    spark_conf_set(e, "spark.key.5", "changed");
    assert_string_equal(spark_conf_get(d, "spark.key.5"), "value-5");
    assert_string_equal(spark_conf_get(e, "spark.extra"), "x");
    assert_string_equal(spark_conf_key_at(e, 1000), "spark.extra");
    struct spark_conf *empty = spark_conf_copy(NULL);
    assert_int_equal(spark_conf_len(empty), 0);
    spark_conf_set(empty, "a", NULL);
    assert_string_equal(spark_conf_get(empty, "a"), "");
    spark_conf_free(empty);
    spark_conf_free(e);
    spark_conf_free(d);
    spark_conf_free(c);
}

static struct spark_conf *parse(const char *text)
{
    struct spark_conf *c = spark_conf_new();
    struct slu_err err = {0};
    if (spark_properties_parse(text, strlen(text), "test", c, &err) != 0)
        fail_msg("parse failed: %s", err.msg);
    return c;
}

static void expect(const struct spark_conf *c, const char *k, const char *v)
{
    const char *got = spark_conf_get(c, k);
    if (!got)
        fail_msg("key \"%s\" missing", k);
    if (strcmp(got, v) != 0)
        fail_msg("key \"%s\": got \"%s\", want \"%s\"", k, got, v);
}

static void test_properties_separators_and_comments(void **state)
{
    (void)state;
    struct spark_conf *c = parse("# comment\n"
                                 "! also a comment\n"
                                 "   # indented comment\n"
                                 "\n"
                                 "a=1\n"
                                 "b:2\n"
                                 "c 3\n"
                                 "d\t4\n"
                                 "e = 5\n"
                                 "f  :  6\n"
                                 "g   =   = 7\n"
                                 "h\n"
                                 "   i=leading\n"
                                 "j=trailing   \n"
                                 "k=x=y:z\n"
                                 "l=#not comment\n"
                                 "m \f= 9\n"
                                 "\f\tn=10");
    expect(c, "a", "1");
    expect(c, "b", "2");
    expect(c, "c", "3");
    expect(c, "d", "4");
    expect(c, "e", "5");
    expect(c, "f", "6");
    expect(c, "g", "= 7"); /* only one separator is skipped */
    expect(c, "h", "");
    expect(c, "i", "leading");
    expect(c, "j", "trailing   "); /* Properties keeps trailing blanks */
    expect(c, "k", "x=y:z");
    expect(c, "l", "#not comment");
    expect(c, "m", "9");
    expect(c, "n", "10");
    assert_int_equal(spark_conf_len(c), 14);
    assert_string_equal(spark_conf_key_at(c, 0), "a");
    spark_conf_free(c);
}

static void test_properties_continuations(void **state)
{
    (void)state;
    struct spark_conf *c = parse("a=one \\\n    two \\\n\tthree\n"
                                 "b=x\\\\\n"        /* even: a literal backslash, no join */
                                 "c=y\\\\\\\n  z\n" /* odd: joined */
                                 "d=crlf\\\r\n  more\r\n"
                                 "e=cr\\\r  only\r"
                                 "# comment \\\n"
                                 "f=after comment\n"
                                 "g=eof\\");
    expect(c, "a", "one two three");
    expect(c, "b", "x\\");
    expect(c, "c", "y\\z");
    expect(c, "d", "crlfmore");
    expect(c, "e", "cronly");
    expect(c, "f", "after comment"); /* a comment line never continues */
    expect(c, "g", "eof");
    spark_conf_free(c);
}

static void test_properties_escapes(void **state)
{
    (void)state;
    struct spark_conf *c = parse("tab=a\\tb\n"
                                 "nl=a\\nb\n"
                                 "cr=a\\rb\n"
                                 "ff=a\\fb\n"
                                 "uni=\\u00e9\\u4E2D\n"
                                 "pair=\\uD83D\\uDE00\n"
                                 "other=\\q\\=\\:\\#\n"
                                 "key\\ with\\ spaces=v\n"
                                 "key\\=eq=w\n"
                                 "key\\:colon:x\n"
                                 "\\ lead=y\n"
                                 "utf8=ünïcode\n");
    expect(c, "tab", "a\tb");
    expect(c, "nl", "a\nb");
    expect(c, "cr", "a\rb");
    expect(c, "ff", "a\fb");
    expect(c, "uni", "\xc3\xa9\xe4\xb8\xad");
    expect(c, "pair", "\xf0\x9f\x98\x80");
    expect(c, "other", "q=:#");
    expect(c, "key with spaces", "v");
    expect(c, "key=eq", "w");
    expect(c, "key:colon", "x");
    expect(c, " lead", "y");
    expect(c, "utf8", "ünïcode");
    spark_conf_free(c);

    struct spark_conf *d = spark_conf_new();
    struct slu_err err = {0};
    assert_int_equal(spark_properties_parse("ok=1\nbad=\\u12G4\n", 17, "f.conf", d, &err),
                     SLU_EPARSE);
    assert_string_equal(err.msg, "f.conf:2: Malformed \\uxxxx encoding.");
    slu_err_release(&err);
    assert_int_equal(spark_properties_parse("bad=\\u12", 8, "f.conf", d, &err), SLU_EPARSE);
    slu_err_release(&err);
    spark_conf_free(d);
}

static void test_properties_duplicates_and_empty(void **state)
{
    (void)state;
    struct spark_conf *c = parse("a=1\nb=2\na=3\n");
    assert_int_equal(spark_conf_len(c), 2);
    expect(c, "a", "3");
    spark_conf_free(c);
    c = parse("");
    assert_int_equal(spark_conf_len(c), 0);
    spark_conf_free(c);
    c = parse("\\\n");
    assert_int_equal(spark_conf_len(c), 0);
    spark_conf_free(c);
}

/* ---- files */

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/slu_test_conf_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *write_tmp(const char *rel, const char *text)
{
    char *path = slu_asprintf("%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    char *p = write_tmp("a.conf", "spark.a   value with trailing   \n"
                                  "spark.b=\\tx\\t\n"
                                  "other.key=1\n"
                                  "spark.c=from-file\n");
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.c", "cmdline");
    assert_int_equal(spark_conf_load_file(c, p, true, false, NULL), 0);
    expect(c, "spark.a", "value with trailing"); /* trimExceptCRLF */
    expect(c, "spark.b", "x");                   /* escaped tabs are trimmed too */
    spark_conf_free(c);

    c = spark_conf_new();
    spark_conf_set(c, "spark.c", "cmdline");
    assert_int_equal(spark_conf_load_file(c, p, true, false, NULL), 0);
    expect(c, "spark.c", "cmdline"); /* not overwritten */
    assert_null(spark_conf_get(c, "other.key"));
    assert_int_equal(spark_conf_load_file(c, p, false, true, NULL), 0);
    expect(c, "spark.c", "from-file");
    expect(c, "other.key", "1");
    spark_conf_free(c);

    struct slu_err err = {0};
    c = spark_conf_new();
    char *missing = slu_asprintf("%s/nope.conf", tmpdir);
    assert_int_equal(spark_conf_load_file(c, missing, true, false, &err), SLU_ENOTFOUND);
    char *want = slu_asprintf("Properties file %s does not exist", missing);
    assert_string_equal(err.msg, want);
    slu_err_release(&err);
    assert_int_equal(spark_conf_load_file(c, tmpdir, true, false, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "is not a normal file"));
    slu_err_release(&err);
    spark_conf_free(c);
    free(want);
    free(missing);
    free(p);
}

static void test_trim_except_crlf(void **state)
{
    (void)state;
    /* "\t" escapes survive parsing as real tabs; the file loader then trims them, but an escaped
     * \n at the end is kept (Utils.trimExceptCRLF). */
    char *p = write_tmp("t.conf", "spark.x=\\t  v \\n\nspark.y=\\r\\tw\n");
    struct spark_conf *c = spark_conf_new();
    assert_int_equal(spark_conf_load_file(c, p, true, true, NULL), 0);
    expect(c, "spark.x", "v \n");
    expect(c, "spark.y", "\r\tw");
    spark_conf_free(c);
    free(p);
}

static void test_resolve_precedence(void **state)
{
    (void)state;
    char *confdir = slu_asprintf("%s/conf", tmpdir);
    assert_int_equal(mkdir(confdir, 0700), 0);
    char *defaults = write_tmp("conf/spark-defaults.conf", "spark.a=defaults\n"
                                                           "spark.b=defaults\n"
                                                           "spark.c=defaults\n"
                                                           "spark.only.defaults=1\n");
    char *props = write_tmp("props.conf", "spark.a=props\nspark.b=props\nnot.spark=1\n");

    char *path = spark_conf_default_properties_path(confdir, "/nonexistent");
    assert_non_null(path);
    assert_string_equal(path, defaults);
    free(path);
    path = spark_conf_default_properties_path(NULL, tmpdir); /* SPARK_HOME/conf */
    assert_non_null(path);
    assert_string_equal(path, defaults);
    free(path);
    assert_null(spark_conf_default_properties_path(tmpdir, NULL)); /* no file there */
    assert_null(spark_conf_default_properties_path(NULL, NULL));

    struct spark_conf *cmd = spark_conf_new();
    spark_conf_set(cmd, "spark.a", "cmdline");
    spark_conf_set(cmd, "hadoop.fs", "dropped");
    struct spark_conf *out = NULL;

    /* no --properties-file: --conf > spark-defaults.conf */
    assert_int_equal(spark_conf_resolve(cmd, NULL, false, confdir, NULL, &out, NULL), 0);
    expect(out, "spark.a", "cmdline");
    expect(out, "spark.b", "defaults");
    expect(out, "spark.only.defaults", "1");
    assert_null(spark_conf_get(out, "hadoop.fs"));
    assert_string_equal(spark_conf_key_at(out, 0), "spark.a");
    spark_conf_free(out);

    /* --properties-file: spark-defaults.conf is not read */
    assert_int_equal(spark_conf_resolve(cmd, props, false, confdir, NULL, &out, NULL), 0);
    expect(out, "spark.a", "cmdline");
    expect(out, "spark.b", "props");
    assert_null(spark_conf_get(out, "spark.c"));
    assert_null(spark_conf_get(out, "not.spark"));
    spark_conf_free(out);

    /* --properties-file --load-spark-defaults: cmdline > props > defaults */
    assert_int_equal(spark_conf_resolve(cmd, props, true, confdir, NULL, &out, NULL), 0);
    expect(out, "spark.a", "cmdline");
    expect(out, "spark.b", "props");
    expect(out, "spark.c", "defaults");
    spark_conf_free(out);

    struct slu_err err = {0};
    assert_int_equal(
        spark_conf_resolve(cmd, "/nonexistent/p.conf", false, confdir, NULL, &out, &err),
        SLU_ENOTFOUND);
    slu_err_release(&err);

    spark_conf_free(cmd);
    free(props);
    free(defaults);
    free(confdir);
}

/* ---- store */

static char *esc(const char *s, bool key, bool uni)
{
    struct slu_buf b = {0};
    spark_properties_escape(&b, s, key, uni);
    return slu_buf_steal(&b);
}

static void check_esc(const char *in, bool key, bool uni, const char *want)
{
    char *got = esc(in, key, uni);
    if (strcmp(got, want) != 0)
        fail_msg("escape(\"%s\", key=%d, uni=%d): got \"%s\", want \"%s\"", in, key, uni, got,
                 want);
    free(got);
}

static void test_properties_escape(void **state)
{
    (void)state;
    check_esc("spark.master", true, false, "spark.master");
    check_esc("k8s://https://10.0.0.1:6443", false, false, "k8s\\://https\\://10.0.0.1\\:6443");
    check_esc("a b c", true, false, "a\\ b\\ c");
    check_esc(" a b ", false, false, "\\ a b ");
    check_esc("a=b", false, false, "a\\=b");
    check_esc("#!", false, false, "\\#\\!");
    check_esc("back\\slash", false, false, "back\\\\slash");
    check_esc("t\tn\nr\rf\f", false, false, "t\\tn\\nr\\rf\\f");
    check_esc("x\x01y", false, false, "x\x01y");   /* raw with store(Writer) */
    check_esc("x\x01y", false, true, "x\\u0001y"); /* store(OutputStream) */
    check_esc("é中", false, false, "é中");
    check_esc("é中\x7f", false, true, "\\u00E9\\u4E2D\\u007F");
    check_esc("\xf0\x9f\x98\x80", true, true, "\\uD83D\\uDE00");
    check_esc("", true, false, "");
    check_esc("-Dx=1 -Dy=2", false, false, "-Dx\\=1 -Dy\\=2");
    /* runs of plain bytes between escapes, at the start and at the end */
    check_esc("abc=def:ghi jkl#", true, false, "abc\\=def\\:ghi\\ jkl\\#");
    check_esc("=abc", false, false, "\\=abc");
    check_esc("a\\", false, false, "a\\\\");
    check_esc("long value with spaces and é and 中 and no specials at all", false, false,
              "long value with spaces and é and 中 and no specials at all");
}

static void test_properties_store(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "spark.master", "k8s://https://h:6443");
    spark_conf_set(c, "spark.app.name", " spaced name");
    spark_conf_set(c, "spark.driver.extraJavaOptions", "-Da=b");
    char date[64];
    spark_properties_date(1735689600, date, sizeof(date));
    assert_string_equal(date, "Wed Jan 01 00:00:00 UTC 2025");
    char *text = spark_properties_store(
        c, "Java properties built from Kubernetes config map with name: spark-drv-x-conf-map", date,
        false);
    assert_string_equal(text, "#Java properties built from Kubernetes config map with name: "
                              "spark-drv-x-conf-map\n"
                              "#Wed Jan 01 00:00:00 UTC 2025\n"
                              "spark.master=k8s\\://https\\://h\\:6443\n"
                              "spark.app.name=\\ spaced name\n"
                              "spark.driver.extraJavaOptions=-Da\\=b\n");
    free(text);
    text = spark_properties_store(c, NULL, NULL, true);
    assert_string_equal(text, "spark.app.name=\\ spaced name\n"
                              "spark.driver.extraJavaOptions=-Da\\=b\n"
                              "spark.master=k8s\\://https\\://h\\:6443\n");
    /* round trip through the loader */
    struct spark_conf *back = spark_conf_new();
    assert_int_equal(spark_properties_parse(text, strlen(text), "rt", back, NULL), 0);
    for (size_t i = 0; i < spark_conf_len(c); i++)
        expect(back, spark_conf_key_at(c, i), spark_conf_value_at(c, i));
    free(text);
    /* sorted by key with many keys (in an order that is neither sorted nor reversed) */
    struct spark_conf *many = spark_conf_new();
    for (int i = 0; i < 97; i++) {
        char k[32];
        snprintf(k, sizeof k, "spark.k%02d", (i * 37) % 97);
        spark_conf_set(many, k, "v");
    }
    char *mt = spark_properties_store(many, NULL, NULL, true);
    const char *line = mt;
    for (int i = 0; i < 97; i++) {
        char want[32];
        snprintf(want, sizeof want, "spark.k%02d=v\n", i);
        assert_true(slu_str_has_prefix(line, want));
        line += strlen(want);
    }
    assert_string_equal(line, "");
    free(mt);
    spark_conf_free(many);
    text = spark_properties_store(c, "line1\nline2\n#line3\r\nline4 中", NULL, true);
    assert_true(slu_str_has_prefix(text, "#line1\n#line2\n#line3\n#line4 \\u4E2D\n"));
    free(text);
    spark_conf_free(back);
    spark_conf_free(c);
}

static void test_store_round_trip_hard_values(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "k e y:=#!", "  v=a:l#u!e\\ \t\n\r\f end ");
    spark_conf_set(c, "uni", "é中\xf0\x9f\x98\x80");
    spark_conf_set(c, "empty", "");
    char *text = spark_properties_store(c, NULL, NULL, false);
    struct spark_conf *back = spark_conf_new();
    assert_int_equal(spark_properties_parse(text, strlen(text), "rt", back, NULL), 0);
    assert_int_equal(spark_conf_len(back), 3);
    for (size_t i = 0; i < spark_conf_len(c); i++)
        expect(back, spark_conf_key_at(c, i), spark_conf_value_at(c, i));
    free(text);
    spark_conf_free(back);
    spark_conf_free(c);
}

static void test_typed_getters(void **state)
{
    (void)state;
    struct spark_conf *c = spark_conf_new();
    spark_conf_set(c, "b1", " TRUE ");
    spark_conf_set(c, "b2", "False");
    spark_conf_set(c, "b3", "yes");
    spark_conf_set(c, "i1", " 42 ");
    spark_conf_set(c, "i2", "2147483648");
    spark_conf_set(c, "i3", "4x");
    spark_conf_set(c, "l1", "-9000000000");
    spark_conf_set(c, "d1", "0.1");
    spark_conf_set(c, "d2", "abc");
    spark_conf_set(c, "m", "2g");
    spark_conf_set(c, "t", "2min");
    bool b;
    int32_t i;
    int64_t l;
    double d;
    struct slu_err err = {0};
    assert_int_equal(spark_conf_get_bool(c, "b1", false, &b, NULL), 0);
    assert_true(b);
    assert_int_equal(spark_conf_get_bool(c, "b2", true, &b, NULL), 0);
    assert_false(b);
    assert_int_equal(spark_conf_get_bool(c, "nope", true, &b, NULL), 0);
    assert_true(b);
    assert_int_equal(spark_conf_get_bool(c, "b3", true, &b, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "b3 should be boolean, but was yes");
    slu_err_release(&err);
    assert_int_equal(spark_conf_get_int(c, "i1", 0, &i, NULL), 0);
    assert_int_equal(i, 42);
    assert_int_equal(spark_conf_get_int(c, "i2", 0, &i, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "i2 should be int, but was 2147483648");
    slu_err_release(&err);
    assert_int_equal(spark_conf_get_int(c, "i3", 0, &i, NULL), SLU_EINVAL);
    assert_int_equal(spark_conf_get_int(c, "nope", 7, &i, NULL), 0);
    assert_int_equal(i, 7);
    assert_int_equal(spark_conf_get_long(c, "l1", 0, &l, NULL), 0);
    assert_int_equal(l, INT64_C(-9000000000));
    assert_int_equal(spark_conf_get_double(c, "d1", 0, &d, NULL), 0);
    assert_true(d > 0.099 && d < 0.101);
    assert_int_equal(spark_conf_get_double(c, "d2", 0, &d, NULL), SLU_EINVAL);
    assert_int_equal(spark_conf_get_size(c, "m", "1g", "m", &l, NULL), 0);
    assert_int_equal(l, 2048);
    assert_int_equal(spark_conf_get_size(c, "nope", "1g", "m", &l, NULL), 0);
    assert_int_equal(l, 1024);
    assert_int_equal(spark_conf_get_size(c, "nope", NULL, "m", &l, NULL), SLU_ENOTFOUND);
    assert_int_equal(spark_conf_get_size(c, "t", NULL, "m", &l, &err), SLU_EINVAL);
    assert_true(slu_str_has_prefix(err.msg, "t: Size must be"));
    slu_err_release(&err);
    assert_int_equal(spark_conf_get_time(c, "t", "1s", "s", &l, NULL), 0);
    assert_int_equal(l, 120);
    assert_int_equal(spark_conf_get_time(c, "nope", "1s", "ms", &l, NULL), 0);
    assert_int_equal(l, 1000);
    spark_conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_map),
        cmocka_unit_test(test_ordered_map_many),
        cmocka_unit_test(test_properties_separators_and_comments),
        cmocka_unit_test(test_properties_continuations),
        cmocka_unit_test(test_properties_escapes),
        cmocka_unit_test(test_properties_duplicates_and_empty),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_trim_except_crlf),
        cmocka_unit_test(test_resolve_precedence),
        cmocka_unit_test(test_properties_escape),
        cmocka_unit_test(test_properties_store),
        cmocka_unit_test(test_store_round_trip_hard_values),
        cmocka_unit_test(test_typed_getters),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
