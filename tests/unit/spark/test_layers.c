/* test_layers.c - tests for src/spark/layers.c: conf precedence layers and SQL SET extraction. */
#include "test.h"

#include "spark/spark.h"

static void test_layer_precedence(void **state)
{
    (void)state;
    struct spark_layers l;
    spark_layers_init(&l);
    spark_layers_set(&l, SPARK_LAYER_TASK, "spark.a", "task");
    spark_layers_set(&l, SPARK_LAYER_TASK, "spark.b", "task");
    spark_layers_set(&l, SPARK_LAYER_TASK, "spark.c", "task");
    spark_layers_set(&l, SPARK_LAYER_TASK, "spark.d", "task");
    spark_layers_set(&l, SPARK_LAYER_TASK, "spark.e", "task");
    spark_layers_set(&l, SPARK_LAYER_TEMPLATE, "spark.b", "template");
    spark_layers_set(&l, SPARK_LAYER_TEMPLATE, "spark.c", "template");
    spark_layers_set(&l, SPARK_LAYER_TEMPLATE, "spark.t", "template");
    spark_layers_set(&l, SPARK_LAYER_SQL_SET, "spark.c", "sql");
    spark_layers_set(&l, SPARK_LAYER_SQL_SET, "spark.d", "sql");
    spark_layers_set(&l, SPARK_LAYER_HISTORY, "spark.d", "history");
    spark_layers_set(&l, SPARK_LAYER_HISTORY, "spark.e", "history");
    spark_layers_set(&l, SPARK_LAYER_PLATFORM, "spark.e", "platform");

    struct spark_conf *c = spark_layers_effective(&l);
    assert_int_equal(spark_conf_len(c), 6);
    assert_string_equal(spark_conf_get(c, "spark.a"), "task");
    assert_string_equal(spark_conf_get(c, "spark.b"), "template");
    assert_string_equal(spark_conf_get(c, "spark.c"), "sql");
    assert_string_equal(spark_conf_get(c, "spark.d"), "history");
    assert_string_equal(spark_conf_get(c, "spark.e"), "platform");
    assert_string_equal(spark_conf_get(c, "spark.t"), "template");
    /* order: first appearance, lowest layer first */
    assert_string_equal(spark_conf_key_at(c, 0), "spark.a");
    assert_string_equal(spark_conf_key_at(c, 4), "spark.e");
    assert_string_equal(spark_conf_key_at(c, 5), "spark.t");
    spark_conf_free(c);

    assert_int_equal(spark_layers_source(&l, "spark.a"), SPARK_LAYER_TASK);
    assert_int_equal(spark_layers_source(&l, "spark.c"), SPARK_LAYER_SQL_SET);
    assert_int_equal(spark_layers_source(&l, "spark.e"), SPARK_LAYER_PLATFORM);
    assert_int_equal(spark_layers_source(&l, "spark.none"), -1);

    /* replacing and clearing a layer */
    struct spark_conf *h = spark_conf_new();
    spark_conf_set(h, "spark.a", "history2");
    spark_layers_put(&l, SPARK_LAYER_HISTORY, h);
    c = spark_layers_effective(&l);
    assert_string_equal(spark_conf_get(c, "spark.a"), "history2");
    assert_string_equal(spark_conf_get(c, "spark.d"), "sql");
    spark_conf_free(c);
    spark_layers_put(&l, SPARK_LAYER_PLATFORM, NULL);
    c = spark_layers_effective(&l);
    assert_string_equal(spark_conf_get(c, "spark.e"), "task");
    spark_conf_free(c);

    assert_string_equal(spark_layer_name(SPARK_LAYER_TASK), "task");
    assert_string_equal(spark_layer_name(SPARK_LAYER_SQL_SET), "sql");
    assert_string_equal(spark_layer_name(SPARK_LAYER_PLATFORM), "platform");
    spark_layers_release(&l);

    /* an empty set of layers */
    spark_layers_init(&l);
    c = spark_layers_effective(&l);
    assert_int_equal(spark_conf_len(c), 0);
    spark_conf_free(c);
    spark_layers_release(&l);
}

struct sql_case {
    const char *sql;
    const char *rest;
    const char *pairs[8]; /* k, v, k, v, ..., NULL */
};

static void test_sql_set_cases(void **state)
{
    (void)state;
    static const struct sql_case cases[] = {
        {"SET spark.sql.shuffle.partitions=200;\nSELECT 1;",
         "SELECT 1;",
         {"spark.sql.shuffle.partitions", "200"}},
        {"set a = 'x;y' ;select 'SET b=1' from t; -- SET c=2\n/* SET d=3; */ SeT e=\"q\\\"uote\";",
         "select 'SET b=1' from t; -- SET c=2\n/* SET d=3; */ ",
         {"a", "x;y", "e", "q\"uote"}},
        {"SET;\nSET -v;\nSET spark.x;\nSELECT 1", "SET;\nSET -v;\nSET spark.x;\nSELECT 1", {0}},
        {"SET `spark.a b` = 1;SELECT 2", "SELECT 2", {"spark.a b", "1"}},
        {"SET `we``ird`=v", "", {"we`ird", "v"}},
        {"SET a=1 -- why\n;SELECT 3", "SELECT 3", {"a", "1"}},
        {"/* outer /* inner */ still */ SET x=1", "/* outer /* inner */ still */ ", {"x", "1"}},
        {"SET a=1; SET a=2;", "", {"a", "2"}},
        {"SETTINGS a=1; SETx=1;", "SETTINGS a=1; SETx=1;", {0}},
        {"SET a=;SELECT 4", "SELECT 4", {"a", ""}},
        {"SET a b=1;", "SET a b=1;", {0}},
        {"SET a=1;\r\nSELECT 2", "SELECT 2", {"a", "1"}},
        {"SELECT 1;\n  set\tspark.executor.memory\t=\t4g ;  \n",
         "SELECT 1;\n  ",
         {"spark.executor.memory", "4g"}},
        {"SET/* c */k=v;", "", {"k", "v"}},
        {"SET k=a b c;", "", {"k", "a b c"}},
        {"SET k='it''s';", "", {"k", "'it''s'"}},
        {"SET k=\"x\" y;", "", {"k", "\"x\" y"}},
        {"SET k=v=w;", "", {"k", "v=w"}},
        {"SELECT ';SET a=1;' AS x; SELECT \"--\" ; SELECT `;`",
         "SELECT ';SET a=1;' AS x; SELECT \"--\" ; SELECT `;`",
         {0}},
        {"", "", {0}},
        {"-- only a comment", "-- only a comment", {0}},
        {"SELECT 1 -- trailing ; comment\n; SET z=9",
         "SELECT 1 -- trailing ; comment\n; ",
         {"z", "9"}},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct spark_conf *set = spark_conf_new();
        char *rest = NULL;
        struct slu_err err = {0};
        if (spark_sql_extract_set(cases[i].sql, set, &rest, &err) != 0)
            fail_msg("case %zu: %s", i, err.msg);
        if (strcmp(rest, cases[i].rest) != 0)
            fail_msg("case %zu: rest \"%s\", want \"%s\"", i, rest, cases[i].rest);
        size_t n = 0;
        for (; cases[i].pairs[2 * n]; n++) {
            const char *v = spark_conf_get(set, cases[i].pairs[2 * n]);
            if (!v || strcmp(v, cases[i].pairs[2 * n + 1]) != 0)
                fail_msg("case %zu: %s is \"%s\", want \"%s\"", i, cases[i].pairs[2 * n],
                         v ? v : "(null)", cases[i].pairs[2 * n + 1]);
        }
        if (spark_conf_len(set) != n)
            fail_msg("case %zu: %zu keys, want %zu", i, spark_conf_len(set), n);
        free(rest);
        spark_conf_free(set);
    }
}

static void test_sql_set_errors(void **state)
{
    (void)state;
    struct {
        const char *sql, *msg;
    } bad[] = {
        {"SELECT 'abc", "SQL: unterminated string literal starting at line 1"},
        {"SELECT 1;\nSELECT \"x", "SQL: unterminated string literal starting at line 2"},
        {"SELECT `x", "SQL: unterminated quoted identifier starting at line 1"},
        {"SET a=1; /* never closed", "SQL: unterminated bracketed comment starting at line 1"},
        {"/* /* */ still open", "SQL: unterminated bracketed comment starting at line 1"},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        struct spark_conf *set = spark_conf_new();
        char *rest = (char *)"sentinel";
        struct slu_err err = {0};
        assert_int_equal(spark_sql_extract_set(bad[i].sql, set, &rest, &err), SLU_EPARSE);
        if (strcmp(err.msg, bad[i].msg) != 0)
            fail_msg("case %zu: \"%s\"", i, err.msg);
        assert_null(rest);
        slu_err_release(&err);
        spark_conf_free(set);
    }
    /* NULL set and rest are allowed */
    assert_int_equal(spark_sql_extract_set("SET a=1; SELECT 1", NULL, NULL, NULL), 0);
}

static void test_sql_set_large(void **state)
{
    (void)state;
    /* many statements: each SET removed, each SELECT kept */
    struct slu_buf b = {0};
    for (int i = 0; i < 2000; i++)
        slu_buf_printf(&b, "SET spark.k%d=%d;\nSELECT %d;\n", i, i, i);
    struct spark_conf *set = spark_conf_new();
    char *rest = NULL;
    assert_int_equal(spark_sql_extract_set(b.data, set, &rest, NULL), 0);
    assert_int_equal(spark_conf_len(set), 2000);
    assert_string_equal(spark_conf_get(set, "spark.k1999"), "1999");
    assert_true(slu_str_has_prefix(rest, "SELECT 0;\nSELECT 1;\n"));
    assert_null(strstr(rest, "SET"));
    free(rest);
    spark_conf_free(set);
    slu_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_precedence),
        cmocka_unit_test(test_sql_set_cases),
        cmocka_unit_test(test_sql_set_errors),
        cmocka_unit_test(test_sql_set_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
