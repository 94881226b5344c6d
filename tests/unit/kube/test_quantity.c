/* Tests for src/kube/quantity.c. The tables are facts taken from Kubernetes'
 * k8s.io/apimachinery/pkg/api/resource tests (quantity_test.go: TestQuantityParse,
 * TestQuantityString, TestQuantityParseEmit, the invalid list) plus worked examples. */
#include "test.h"

#include "kube/kube.h"

static char *fmt(const struct kube_quantity *q)
{
    static char buf[128];
    kube_quantity_format(q, buf, sizeof(buf));
    return buf;
}

static struct kube_quantity P(const char *s) {
    struct kube_quantity q;
    struct slu_err err = {0};
    int rc = kube_quantity_parse(s, &q, &err);
    if (rc != 0)
        fail_msg("parse %s: %s", s, err.msg);
    return q;
}

/* input -> canonical String() */
static const struct {
    const char *in;
    const char *out;
} canon[] = {
    {"0", "0"},
    {"0n", "0"},
    {"0Ki", "0"},
    {"0Ti", "0"},
    {"-0", "0"},
    {"1", "1"},
    {"+1", "1"},
    {"01", "1"},
    {"1Ki", "1Ki"},
    {"8Ki", "8Ki"},
    {"7Mi", "7Mi"},
    {"6Gi", "6Gi"},
    {"5Ti", "5Ti"},
    {"4Pi", "4Pi"},
    {"3Ei", "3Ei"},
    {"1Mi", "1Mi"},
    {"1Gi", "1Gi"},
    {"1024Mi", "1Gi"},
    {"1536Mi", "1536Mi"},
    {"1.5Gi", "1536Mi"},
    {"0.5Gi", "512Mi"},
    {"1.5Ki", "1536"},
    {"1025", "1025"},
    {"100.035Ki", "102435840m"},
    {"0.5Mi", "512Ki"},
    {"0.05Gi", "53687091200m"},
    {"1000M", "1G"},
    {"1000000", "1M"},
    {"1000000000", "1G"},
    {"1000m", "1"},
    {"1200m", "1200m"},
    {"1.5", "1500m"},
    {"0.5", "500m"},
    {"1080m", "1080m"},
    {"1.08", "1080m"},
    {"1080000000n", "1080m"},
    {"1000u", "1m"},
    {"0.001", "1m"},
    {"0.0005k", "500m"},
    {".001", "1m"},
    {".0001k", "100m"},
    {"1.", "1"},
    {"1.G", "1G"},
    {"5n", "5n"},
    {"4u", "4u"},
    {"3m", "3m"},
    {"8k", "8k"},
    {"50k", "50k"},
    {"7M", "7M"},
    {"6G", "6G"},
    {"5T", "5T"},
    {"40T", "40T"},
    {"300T", "300T"},
    {"2P", "2P"},
    {"1E", "1E"},
    {"12E", "12E"},
    {"0.001T", "1G"},
    {"100.035k", "100035"},
    {"10.035M", "10035k"},
    {"9.01", "9010m"},
    {"8.1k", "8100"},
    {"7.123456M", "7123456"},
    {"6.987654321G", "6987654321"},
    {"5.444T", "5444G"},
    {"2.5P", "2500T"},
    {"1.01E", "1010P"},
    {"1e3", "1e3"},
    {"1E3", "1e3"},
    {"1E6", "1e6"},
    {"1e9", "1e9"},
    {"1E-3", "1e-3"},
    {"1e14", "100e12"},
    {"1e13", "10e12"},
    {"1.2e3", "1200"},
    {"1.3E+6", "1300e3"},
    {"1.40e9", "1400e6"},
    {"0.5e0", "500e-3"},
    {"0.5e-1", "50e-3"},
    {".001e12", "1e9"},
    {"0.001e0", "1e-3"},
    {"1000e-12", "1e-9"},
    {"80e-3", "80e-3"},
    {"300e6", "300e6"},
    {"00", "0"},
    /* rounding up to nano */
    {"3.001n", "4n"},
    {"1.1E-9", "2e-9"},
    {"0.0000000001", "1n"},
    {"0.0000000005", "1n"},
    {"0.5e-9", "1e-9"},
    {"0.9n", "1n"},
    {"0.00000012345", "124n"},
    {"1e-2147483647", "1e-9"},
    {".001Ki", "1024m"},
    {".000001Ki", "1024u"},
    {".000000001Ki", "1024n"},
    {".000000000001Ki", "2n"},
    {"0.000000000001Ki", "2n"},
    /* BinarySI is capped at 2^63-1 */
    {"9Ei", "9223372036854775807"},
    {"8Ei", "9223372036854775807"},
    {"9223372036854775807Ki", "9223372036854775807"},
    /* beyond the largest SI suffix */
    {"1000E", "1e21"},
    {"5000E", "5e21"},
    {"1000000E", "1e24"},
    /* odd but valid Kubernetes inputs */
    {".", "0"},
    {"-.", "0"},
    {"+", "0"},
    {"m", "0"},
    {"Ki", "0"},
    /* negatives */
    {"-1", "-1"},
    {"-1.5Gi", "-1536Mi"},
    {"-100m", "-100m"},
    {"-1000M", "-1G"},
    {"-0.1n", "-1n"},
    {"-1e3", "-1e3"},
    {"-.000000000001Ki", "-2n"},
};

static void test_canonical(void **state)
{
    (void)state;
    for (size_t i = 0; i < SLU_ARRAY_LEN(canon); i++) {
        struct kube_quantity q = P(canon[i].in);
        const char *got = fmt(&q);
        if (strcmp(got, canon[i].out) != 0)
            fail_msg("%s: expected %s, got %s", canon[i].in, canon[i].out, got);
        /* The canonical form parses back to the same value. */
        struct kube_quantity r = P(canon[i].out);
        if (kube_quantity_cmp(&q, &r) != 0)
            fail_msg("%s: %s does not round-trip", canon[i].in, canon[i].out);
    }
}

static void test_formats(void **state)
{
    (void)state;
    struct kube_quantity q = P("1Ki");
    assert_int_equal(q.format, KUBE_QF_BINARY_SI);
    q = P("1k");
    assert_int_equal(q.format, KUBE_QF_DECIMAL_SI);
    q = P("1e3");
    assert_int_equal(q.format, KUBE_QF_DECIMAL_EXP);
    q = P("0.000000000001Ki"); /* BinarySI below 1 becomes DecimalSI */
    assert_int_equal(q.format, KUBE_QF_DECIMAL_SI);
    q = P("0.5Ki"); /* 512: stays BinarySI but prints as DecimalSI */
    assert_int_equal(q.format, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "512");
    q = P("0Ki");
    assert_int_equal(q.format, KUBE_QF_BINARY_SI);
    q = P("0");
    assert_int_equal(q.format, KUBE_QF_DECIMAL_SI);
}

static void test_values(void **state)
{
    (void)state;
    struct kube_quantity q = P("1Ki");
    assert_true(q.nanos == (__int128)1024 * 1000000000);
    q = P("100m");
    assert_int_equal(kube_quantity_milli(&q), 100);
    assert_int_equal(kube_quantity_value(&q), 1); /* rounded up */
    q = P("-100m");
    assert_int_equal(kube_quantity_value(&q), -1); /* away from zero */
    q = P("1.5");
    assert_int_equal(kube_quantity_value(&q), 2);
    assert_int_equal(kube_quantity_milli(&q), 1500);
    q = P("1n");
    assert_int_equal(kube_quantity_milli(&q), 1);
    q = P("2Gi");
    assert_int_equal(kube_quantity_value(&q), 2147483648LL);
    q = P("100E");
    assert_int_equal(kube_quantity_value(&q), INT64_MAX); /* saturates */
    q = P("0");
    assert_true(kube_quantity_is_zero(&q));
    assert_int_equal(kube_quantity_value(&q), 0);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "1.1.M",
        "1+1.0M",
        "0.1mi",
        "0.1am",
        "aoeu",
        ".5i",
        "1i",
        "-3.01i",
        "-3.01e-",
        "1e4294967297",
        "1e2147483648",
        " 1",
        "1 ",
        "Non-Numeric",
        "1e",
        "1ee3",
        "1Ki5",
        "1KiB",
        "1k1",
        "--1",
        "1e1e1",
        "Ei",
        "1e40",
        "200000000000000000000000000000",
        "1Qi",
        "1kk",
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        struct kube_quantity q;
        struct slu_err err = {0};
        if (kube_quantity_parse(bad[i], &q, &err) == 0)
            fail_msg("%s parsed unexpectedly as %s", bad[i], fmt(&q));
        assert_int_equal(err.code, SLU_EPARSE);
        assert_true(err.msg[0] != '\0');
    }
    struct slu_err err = {0};
    struct kube_quantity q;
    assert_int_equal(kube_quantity_parse("abc", &q, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "quantities must match the regular expression "
                                 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    assert_int_equal(kube_quantity_parse("1ki", &q, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "unable to parse quantity's suffix");
    assert_int_equal(kube_quantity_parse("Ei", &q, &err), SLU_EPARSE);
    assert_string_equal(err.msg, "unable to parse numeric part of quantity");
    char big[2000];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(kube_quantity_parse(big, &q, &err), SLU_EPARSE);
    /* Long but in range: many leading zeros and a long fraction. */
    char longq[900];
    memset(longq, '0', sizeof(longq) - 1);
    longq[sizeof(longq) - 2] = '1';
    longq[1] = '.';
    longq[sizeof(longq) - 1] = '\0';
    assert_int_equal(kube_quantity_parse(longq, &q, &err), 0);
    assert_string_equal(fmt(&q), "1n");
}

static void test_arith(void **state)
{
    (void)state;
    /* Adding to a zero takes the other's format (Quantity.Add). */
    struct kube_quantity z = P("0");
    struct kube_quantity g = P("1Gi");
    kube_quantity_add(&z, &g);
    assert_string_equal(fmt(&z), "1Gi");
    struct kube_quantity a = P("100m");
    struct kube_quantity z2 = P("0");
    kube_quantity_add(&a, &z2);
    assert_string_equal(fmt(&a), "100m");
    struct kube_quantity z3 = P("0");
    kube_quantity_sub(&z3, &a);
    assert_string_equal(fmt(&z3), "-100m");

    struct kube_quantity x = P("1Gi");
    struct kube_quantity y = P("512Mi");
    kube_quantity_add(&x, &y);
    assert_string_equal(fmt(&x), "1536Mi");
    kube_quantity_sub(&x, &y);
    kube_quantity_sub(&x, &y);
    assert_string_equal(fmt(&x), "512Mi");
    struct kube_quantity c = P("250m");
    kube_quantity_add(&x, &c); /* binary, fractional: prints DecimalSI */
    assert_string_equal(fmt(&x), "536870912250m");

    struct kube_quantity one = P("1");
    struct kube_quantity milli = P("999m");
    assert_int_equal(kube_quantity_cmp(&one, &milli), 1);
    assert_int_equal(kube_quantity_cmp(&milli, &one), -1);
    struct kube_quantity k1 = P("1000m");
    assert_int_equal(kube_quantity_cmp(&one, &k1), 0);
    struct kube_quantity t = P("10000T");
    struct kube_quantity gi = P("100Gi");
    assert_int_equal(kube_quantity_cmp(&t, &gi), 1);

    /* Binary sums past Ei fall back to decimal. */
    struct kube_quantity e = P("1Ei");
    struct kube_quantity sum = e;
    for (int i = 0; i < 1023; i++)
        kube_quantity_add(&sum, &e);
    assert_string_equal(fmt(&sum), "1180591620717411303424");

    /* Saturation instead of overflow. */
    struct kube_quantity huge = P("100000000000000000000000000000"); /* 1e29 */
    struct kube_quantity h2 = huge;
    kube_quantity_add(&h2, &huge);
    assert_true(kube_quantity_cmp(&h2, &huge) > 0);
}

static void test_constructors(void **state)
{
    (void)state;
    struct kube_quantity q = kube_quantity_from_int(2048, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "2Ki");
    q = kube_quantity_from_int(5, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "5");
    q = kube_quantity_from_milli(100, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "100m");
    q = kube_quantity_from_milli(1500, KUBE_QF_DECIMAL_SI);
    assert_string_equal(fmt(&q), "1500m");
    q = kube_quantity_from_int(3000, KUBE_QF_DECIMAL_SI);
    assert_string_equal(fmt(&q), "3k");
    q = kube_quantity_from_int(3000, KUBE_QF_DECIMAL_EXP);
    assert_string_equal(fmt(&q), "3e3");
    q = kube_quantity_from_int(2000, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "2000");
    q = kube_quantity_from_int(-2000, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "-2000");
    q = kube_quantity_from_milli(1234567, KUBE_QF_BINARY_SI);
    assert_string_equal(fmt(&q), "1234567m");
}

static void test_from_json(void **state)
{
    (void)state;
    struct kube_quantity q;
    struct slu_err err = {0};
    json_t *v = json_string(" 2Gi ");
    assert_int_equal(kube_quantity_from_json(v, &q, &err), 0);
    assert_string_equal(fmt(&q), "2Gi");
    json_decref(v);
    v = json_integer(4);
    assert_int_equal(kube_quantity_from_json(v, &q, &err), 0);
    assert_string_equal(fmt(&q), "4");
    json_decref(v);
    v = json_real(0.5);
    assert_int_equal(kube_quantity_from_json(v, &q, &err), 0);
    assert_string_equal(fmt(&q), "500m");
    json_decref(v);
    v = json_real(1.1);
    assert_int_equal(kube_quantity_from_json(v, &q, &err), 0);
    assert_string_equal(fmt(&q), "1100m");
    json_decref(v);
    v = json_real(1e20);
    assert_int_equal(kube_quantity_from_json(v, &q, &err), 0);
    assert_string_equal(fmt(&q), "100e18");
    json_decref(v);
    assert_int_equal(kube_quantity_from_json(json_null(), &q, &err), 0);
    assert_true(kube_quantity_is_zero(&q));
    v = json_true();
    assert_int_equal(kube_quantity_from_json(v, &q, &err), SLU_EPARSE);
    v = json_string("1 Gi");
    assert_int_equal(kube_quantity_from_json(v, &q, &err), SLU_EPARSE);
    json_decref(v);
    v = json_stringn("1\0Gi", 4);
    assert_int_equal(kube_quantity_from_json(v, &q, &err), SLU_EPARSE);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical), cmocka_unit_test(test_formats),
        cmocka_unit_test(test_values),    cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_arith),     cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
