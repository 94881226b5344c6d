/* test_size.c - tests for src/spark/size.c: JavaUtils.byteStringAs / timeStringAs semantics. */
#include "test.h"

#include "spark/spark.h"

struct size_case {
    const char *in;
    const char *unit;
    int64_t want; /* when ok */
    bool ok;
};

static void test_size_as_table(void **state)
{
    (void)state;
    static const struct size_case cases[] = {
        {"2g", "b", INT64_C(2147483648), true},
        {"512m", "b", INT64_C(536870912), true},
        {"1024k", "b", INT64_C(1048576), true},
        {"1gb", "b", INT64_C(1073741824), true},
        {"1GB", "b", INT64_C(1073741824), true},
        {"  1g  ", "b", INT64_C(1073741824), true},
        {"1024", "b", 1024, true},
        {"1024", "k", 1024, true}, /* no suffix: the default unit */
        {"1024", "m", 1024, true},
        {"1g", "m", 1024, true},
        {"1g", "k", 1048576, true},
        {"1500k", "m", 1, true}, /* towards a larger unit: truncates */
        {"1023k", "m", 0, true},
        {"1t", "g", 1024, true},
        {"1tb", "m", 1048576, true},
        {"1p", "t", 1024, true},
        {"1pb", "b", INT64_C(1125899906842624), true},
        {"0", "b", 0, true},
        {"5b", "k", 0, true},
        {"8191p", "b", INT64_C(8191) << 50, true},
        {"8192p", "b", 0, false}, /* overflow */
        {"1.5g", "b", 0, false},
        {"-1g", "b", 0, false},
        {"g", "b", 0, false},
        {"", "b", 0, false},
        {"1x", "b", 0, false},
        {"1 g", "b", 0, false},
        {"1kib", "b", 0, false},
        {"99999999999999999999", "b", 0, false},
        {"1g", "x", 0, false},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        int64_t v = -42;
        struct slu_err err = {0};
        int rc = spark_size_as(cases[i].in, cases[i].unit, &v, &err);
        if (cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu \"%s\": %s", i, cases[i].in, err.msg);
            assert_int_equal(v, cases[i].want);
        } else {
            if (rc != SLU_EINVAL)
                fail_msg("case %zu \"%s\": expected an error, got %lld", i, cases[i].in,
                         (long long)v);
            assert_true(err.msg[0] != '\0');
        }
        slu_err_release(&err);
    }
}

static void test_size_messages(void **state)
{
    (void)state;
    struct slu_err err = {0};
    int64_t v;
    assert_int_equal(spark_size_as("1.5g", "b", &v, &err), SLU_EINVAL);
    assert_string_equal(err.msg,
                        "Size must be specified as bytes (b), kibibytes (k), mebibytes (m), "
                        "gibibytes (g), tebibytes (t), or pebibytes(p). E.g. 50b, 100k, or 250m.\n"
                        "Fractional values are not supported. Input was: 1.5");
    slu_err_release(&err);
    assert_int_equal(spark_size_as("12q", "b", &v, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "\nInvalid suffix: \"q\""));
    slu_err_release(&err);
    assert_int_equal(spark_size_as("abc", "b", &v, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "\nFailed to parse byte string: abc"));
    slu_err_release(&err);
    assert_int_equal(spark_size_as("8192p", "b", &v, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "Conversion of 8192 exceeds Long.MAX_VALUE in PiB. Try a larger "
                                 "unit (e.g. MiB instead of KiB)");
    slu_err_release(&err);
    assert_int_equal(spark_size_as("99999999999999999999", "b", &v, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "\nFor input string: \"99999999999999999999\""));
    slu_err_release(&err);
}

static void test_size_parse_and_mib(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(spark_size_parse("100", "m", &v, NULL), 0);
    assert_int_equal(v, INT64_C(100) << 20);
    assert_int_equal(spark_size_parse("1500k", "m", &v, NULL), 0);
    assert_int_equal(v, INT64_C(1500) << 10); /* exact bytes, no rounding to MiB */
    assert_int_equal(spark_size_parse("2g", "b", &v, NULL), 0);
    assert_int_equal(v, INT64_C(2) << 30);
    assert_int_equal(spark_size_parse("8191p", "b", &v, NULL), 0);
    assert_int_equal(spark_size_parse("9000000", "p", &v, NULL), SLU_EINVAL);
    assert_int_equal(spark_size_parse("1g", "z", &v, NULL), SLU_EINVAL);

    assert_int_equal(spark_memory_mib("1g", &v, NULL), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(spark_memory_mib("512m", &v, NULL), 0);
    assert_int_equal(v, 512);
    assert_int_equal(spark_memory_mib("2048", &v, NULL), 0);
    assert_int_equal(v, 2048);
    assert_int_equal(spark_memory_mib("4G", &v, NULL), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(spark_memory_mib("1500k", &v, NULL), 0);
    assert_int_equal(v, 1);
    assert_int_equal(spark_memory_mib("1.5g", &v, NULL), SLU_EINVAL);
}

struct time_case {
    const char *in;
    const char *def;
    const char *unit;
    int64_t want;
    bool ok;
};

static void test_time_table(void **state)
{
    (void)state;
    static const struct time_case cases[] = {
        {"10s", "ms", "ms", 10000, true},
        {"100ms", "ms", "ms", 100, true},
        {"250us", "ms", "ms", 0, true},
        {"2500us", "ms", "us", 2500, true},
        {"5min", "ms", "ms", 300000, true},
        {"5m", "ms", "ms", 300000, true},
        {"1h", "ms", "ms", 3600000, true},
        {"2d", "ms", "ms", 172800000, true},
        {"30", "s", "ms", 30000, true},
        {"30", "ms", "ms", 30, true},
        {" 30S ", "ms", "ms", 30000, true},
        {"-5s", "ms", "ms", -5000, true},
        {"1500ms", "s", "s", 1, true},
        {"-1500ms", "s", "s", -1, true},
        {"106751992d", "ms", "ns", INT64_MAX, true}, /* saturates */
        {"1.5s", "ms", "ms", 0, false},
        {"10ns", "ms", "ms", 0, false},
        {"10sec", "ms", "ms", 0, false},
        {"s", "ms", "ms", 0, false},
        {"", "ms", "ms", 0, false},
        {"--5s", "ms", "ms", 0, false},
        {"10s", "week", "ms", 0, false},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        int64_t v = -42;
        struct slu_err err = {0};
        int rc = spark_time_parse_into(cases[i].in, cases[i].def, cases[i].unit, &v, &err);
        if (cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu \"%s\": %s", i, cases[i].in, err.msg);
            assert_int_equal(v, cases[i].want);
        } else if (rc != SLU_EINVAL) {
            fail_msg("case %zu \"%s\": expected an error", i, cases[i].in);
        }
        slu_err_release(&err);
    }
}

static void test_time_wrappers_and_messages(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(spark_time_parse("120", "s", &v, NULL), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(spark_time_parse("1min", "s", &v, NULL), 0);
    assert_int_equal(v, 60000);
    assert_int_equal(spark_time_as("90s", "min", &v, NULL), 0);
    assert_int_equal(v, 1);
    assert_int_equal(spark_time_as("3", "h", &v, NULL), 0);
    assert_int_equal(v, 3);
    struct slu_err err = {0};
    assert_int_equal(spark_time_as("10x", "s", &v, &err), SLU_EINVAL);
    assert_string_equal(err.msg, "Time must be specified as seconds (s), milliseconds (ms), "
                                 "microseconds (us), minutes (m or min), hour (h), or day (d). "
                                 "E.g. 50s, 100ms, or 250us.\nInvalid suffix: \"x\"");
    slu_err_release(&err);
    assert_int_equal(spark_time_as("1.5s", "s", &v, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "\nFailed to parse time string: 1.5s"));
    slu_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_as_table),
        cmocka_unit_test(test_size_messages),
        cmocka_unit_test(test_size_parse_and_mib),
        cmocka_unit_test(test_time_table),
        cmocka_unit_test(test_time_wrappers_and_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
