/* test_cron.c - src/operator/cron.c: schedule parsing (fields, names, steps, descriptors,
 * @every, CRON_TZ=), next fire times across month/year boundaries and DST in real zones, the
 * TZif reader on crafted files, Go durations, and the error messages. */
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "operator/operator.h"
#include "operator/sched_int.h"

static int64_t T(const char *s)
{
    int64_t ns = 0;
    if (slu_time_parse_rfc3339(s, &ns) < 0)
        fail_msg("bad time in test: %s", s);
    return ns / 1000000000LL;
}

static bool have_zoneinfo(void)
{
    struct stat st;
    return stat("/usr/share/zoneinfo/Europe/Berlin", &st) == 0;
}

/* Asserts the chain of next fire times of spec (in tz) after `after`. */
static void chain(const char *spec, const char *tz, const char *after, const char *const *want)
{
    struct op_cron *c = NULL;
    struct slu_err err = {0};
    if (op_cron_parse(spec, tz, &c, &err) < 0)
        fail_msg("parse \"%s\": %s", spec, err.msg);
    int64_t t = T(after);
    for (size_t i = 0; want[i]; i++) {
        int64_t n = op_cron_next(c, t);
        char got[40];
        slu_time_format_rfc3339(n, got, sizeof(got));
        if (n != T(want[i]))
            fail_msg("\"%s\" (tz %s) after %s: want %s, got %s", spec, tz ? tz : "-", after,
                     want[i], got);
        t = n;
    }
    op_cron_free(c);
}

#define CHAIN(spec, tz, after, ...)                                                                \
    do {                                                                                           \
        const char *const _w[] = {__VA_ARGS__, NULL};                                              \
        chain(spec, tz, after, _w);                                                                \
    } while (0)

static void test_fields_utc(void **state)
{
    (void)state;
    CHAIN("* * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z",
          "2026-01-01T00:02:00Z");
    CHAIN("* * * * *", "UTC", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z");
    CHAIN("*/15 * * * *", "UTC", "2026-01-01T00:07:30Z", "2026-01-01T00:15:00Z",
          "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z");
    CHAIN("5-10/2 * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z",
          "2026-01-01T00:07:00Z", "2026-01-01T00:09:00Z", "2026-01-01T01:05:00Z");
    CHAIN("5/20 * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z",
          "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z");
    CHAIN("0,30 9-10 * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T09:00:00Z",
          "2026-01-01T09:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z",
          "2026-01-02T09:00:00Z");
    /* year boundary */
    CHAIN("0 0 1 1 *", "UTC", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z",
          "2028-01-01T00:00:00Z");
    CHAIN("59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z");
    CHAIN("* * * * *", "UTC", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z");
    /* months without the day */
    CHAIN("0 12 31 * *", "UTC", "2026-04-01T00:00:00Z", "2026-05-31T12:00:00Z",
          "2026-07-31T12:00:00Z", "2026-08-31T12:00:00Z", "2026-10-31T12:00:00Z");
    CHAIN("0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z");
    CHAIN("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z",
          "2032-02-29T00:00:00Z");
    /* names and weekday 7 */
    CHAIN("0 0 1 jan,JUL *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z",
          "2027-01-01T00:00:00Z");
    CHAIN("30 2 * * MON-FRI", "UTC", "2026-01-02T03:00:00Z", /* a Friday */
          "2026-01-05T02:30:00Z", "2026-01-06T02:30:00Z");
    CHAIN("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    CHAIN("0 0 * * sun", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    CHAIN("0 0 ? * 0", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    CHAIN("0 0 * JAN-MAR/2 *", "UTC", "2026-01-31T12:00:00Z", "2026-03-01T00:00:00Z",
          "2026-03-02T00:00:00Z");
}

static void test_dom_dow(void **state)
{
    (void)state;
    /* both restricted: OR (Friday the 2nd comes before the 13th) */
    CHAIN("0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
          "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z");
    /* a step is not a star: still OR */
    CHAIN("0 0 */10 * 5", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
          "2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z");
    /* one of them a star: AND */
    CHAIN("0 0 13 * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z",
          "2026-02-13T00:00:00Z");
    CHAIN("0 0 * * 5", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
          "2026-01-09T00:00:00Z");
    CHAIN("0 0 ? * 5", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
}

static void test_descriptors(void **state)
{
    (void)state;
    CHAIN("@hourly", "UTC", "2026-01-01T00:10:00Z", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z");
    CHAIN("@daily", "UTC", "2026-01-01T00:10:00Z", "2026-01-02T00:00:00Z");
    CHAIN("@midnight", "UTC", "2026-01-01T00:10:00Z", "2026-01-02T00:00:00Z");
    CHAIN("@weekly", "UTC", "2026-01-01T00:10:00Z", "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z");
    CHAIN("@monthly", "UTC", "2026-01-01T00:10:00Z", "2026-02-01T00:00:00Z");
    CHAIN("@yearly", "UTC", "2026-01-01T00:10:00Z", "2027-01-01T00:00:00Z");
    CHAIN("@annually", "UTC", "2026-01-01T00:10:00Z", "2027-01-01T00:00:00Z");
    CHAIN("  @daily  ", "UTC", "2026-01-01T00:10:00Z", "2026-01-02T00:00:00Z");

    static const struct {
        const char *spec;
        int64_t every;
    } ev[] = {{"@every 2s", 2},     {"@every 1m30s", 90},
              {"@every 1h", 3600},  {"@every 500ms", 1},
              {"@every 1.5s", 1},   {"@every 2h45m", 9900},
              {"@every 0s", 1},     {"@every 1.5h", 5400},
              {"@every   10s", 10}, {"CRON_TZ=UTC @every 3m", 180}};
    for (size_t i = 0; i < SLU_ARRAY_LEN(ev); i++) {
        struct op_cron *c = NULL;
        struct slu_err err = {0};
        if (op_cron_parse(ev[i].spec, NULL, &c, &err) < 0)
            fail_msg("%s: %s", ev[i].spec, err.msg);
        assert_int_equal(op_cron_every(c), ev[i].every);
        assert_int_equal(op_cron_next(c, 1000), 1000 + ev[i].every);
        op_cron_free(c);
    }
}

static void test_never(void **state)
{
    (void)state;
    struct op_cron *c = NULL;
    assert_int_equal(op_cron_parse("0 0 30 2 *", "UTC", &c, NULL), 0);
    assert_int_equal(op_cron_next(c, T("2026-01-01T00:00:00Z")), 0);
    op_cron_free(c);
    assert_int_equal(op_cron_parse("0 0 31 4,6 *", "UTC", &c, NULL), 0);
    assert_int_equal(op_cron_next(c, T("2026-01-01T00:00:00Z")), 0);
    op_cron_free(c);
}

static void expect_error(const char *spec, const char *want)
{
    struct op_cron *c = NULL;
    struct slu_err err = {0};
    int rc = op_cron_parse(spec, "UTC", &c, &err);
    if (rc >= 0)
        fail_msg("\"%s\" parsed; wanted an error", spec);
    assert_null(c);
    if (!strstr(err.msg, want))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", spec, err.msg, want);
    slu_err_release(&err);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("61 * * * *", "schedule \"61 * * * *\": minute field: value 61 out of range 0-59");
    expect_error("* 24 * * *", "hour field: value 24 out of range 0-23");
    expect_error("* * 0 * *", "day-of-month field: value 0 out of range 1-31");
    expect_error("* * 32 * *", "day-of-month field: value 32 out of range 1-31");
    expect_error("* * * 13 *", "month field: value 13 out of range 1-12");
    expect_error("* * * * 8", "day-of-week field: value 8 out of range 0-7");
    expect_error("* * * foo *", "month field: bad value \"foo\"");
    expect_error("* * * * MONDAY", "day-of-week field: bad value \"MONDAY\"");
    expect_error("a * * * *", "minute field: bad value \"a\"");
    expect_error("-5 * * * *", "minute field: bad value");
    expect_error("1,,2 * * * *", "minute field: empty list element");
    expect_error("1-2-3 * * * *", "minute field: \"1-2-3\": too many hyphens");
    expect_error("*/2/3 * * * *", "too many slashes");
    expect_error("*/0 * * * *", "minute field: step must be positive");
    expect_error("*/x * * * *", "minute field: bad step \"x\"");
    expect_error("30-10 * * * *", "minute field: range 30-10: start beyond end");
    expect_error("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), "
                            "found 4");
    expect_error("0 * * * * *", "found 6");
    expect_error("", "empty schedule");
    expect_error("   ", "empty schedule");
    expect_error("@fortnightly", "unknown descriptor \"@fortnightly\"");
    expect_error("@daily 5", "unknown descriptor");
    expect_error("@every", "unknown descriptor");
    expect_error("@every x", "@every: bad duration \"x\"");
    expect_error("@every 5", "@every: bad duration \"5\"");
    expect_error("@every 5 s", "@every: bad duration \"5 s\"");
    expect_error("CRON_TZ=Mars/Olympus_Mons * * * * *", "unknown time zone \"Mars/Olympus_Mons\"");
    expect_error("TZ=../../etc/passwd * * * * *", "invalid time zone name");
    expect_error("CRON_TZ=UTC", "must be followed by a schedule");
    /* the default zone is checked as well */
    struct slu_err err = {0};
    struct op_cron *c = NULL;
    assert_int_equal(op_cron_parse("* * * * *", "Nowhere/Atlantis", &c, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "unknown time zone \"Nowhere/Atlantis\""));
    slu_err_release(&err);
    /* a huge spec is refused, not parsed */
    char big[3000];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(op_cron_parse(big, "UTC", &c, &err), SLU_EINVAL);
    assert_non_null(strstr(err.msg, "longer than"));
    slu_err_release(&err);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ns;
    } ok[] = {{"0", 0},
              {"2s", 2000000000LL},
              {"1m30s", 90000000000LL},
              {"1.5h", 5400000000000LL},
              {"300ms", 300000000LL},
              {"-1s", -1000000000LL},
              {"+5m", 300000000000LL},
              {"1\xc2\xb5s", 1000},
              {"1us", 1000},
              {"10ns", 10},
              {".5s", 500000000LL},
              {"1h2m3s4ms", 3723004000000LL}};
    for (size_t i = 0; i < SLU_ARRAY_LEN(ok); i++) {
        int64_t v = -42;
        if (op_parse_go_duration(ok[i].s, &v) < 0)
            fail_msg("duration \"%s\" refused", ok[i].s);
        assert_int_equal(v, ok[i].ns);
    }
    static const char *const bad[] = {"",       "1", "1x",  ".s",          "s",
                                      "1.2.3s", "-", "1s2", "99999999999h"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        int64_t v;
        if (op_parse_go_duration(bad[i], &v) == 0)
            fail_msg("duration \"%s\" accepted", bad[i]);
    }
}

static void test_zone_names(void **state)
{
    (void)state;
    const struct op_tz *z = NULL;
    assert_int_equal(op_tz_load("UTC", &z, NULL), 0);
    assert_int_equal(op_tz_offset(z, T("2026-07-01T00:00:00Z")), 0);
    assert_int_equal(op_tz_load("", &z, NULL), 0);
    assert_string_equal(op_tz_name(z), "UTC");
    assert_int_equal(op_tz_load("Local", &z, NULL), 0);
    assert_non_null(z);
    struct slu_err err = {0};
    assert_int_equal(op_tz_load("../etc/passwd", &z, &err), SLU_EINVAL);
    slu_err_release(&err);
    assert_int_equal(op_tz_load("/etc/localtime", &z, &err), SLU_EINVAL);
    slu_err_release(&err);
    assert_int_equal(op_tz_load("Nowhere/Atlantis", &z, &err), SLU_ENOTFOUND);
    assert_string_equal(err.msg, "unknown time zone \"Nowhere/Atlantis\"");
    slu_err_release(&err);
    if (!have_zoneinfo()) {
        skip();
        return;
    }
    const struct op_tz *a = NULL, *b = NULL;
    assert_int_equal(op_tz_load("Europe/Berlin", &a, NULL), 0);
    assert_int_equal(op_tz_load("Europe/Berlin", &b, NULL), 0);
    assert_ptr_equal(a, b); /* cached */
    assert_int_equal(op_tz_offset(a, T("2026-01-15T12:00:00Z")), 3600);
    assert_int_equal(op_tz_offset(a, T("2026-07-15T12:00:00Z")), 7200);
    /* far beyond any table: the footer rule */
    assert_int_equal(op_tz_offset(a, T("2071-01-15T12:00:00Z")), 3600);
    assert_int_equal(op_tz_offset(a, T("2071-07-15T12:00:00Z")), 7200);
    /* the instants of the 2026 changes */
    assert_int_equal(op_tz_offset(a, T("2026-03-29T00:59:59Z")), 3600);
    assert_int_equal(op_tz_offset(a, T("2026-03-29T01:00:00Z")), 7200);
    assert_int_equal(op_tz_offset(a, T("2026-10-25T00:59:59Z")), 7200);
    assert_int_equal(op_tz_offset(a, T("2026-10-25T01:00:00Z")), 3600);
    /* a directory of the database is not a zone */
    assert_true(op_tz_load("Europe", &z, &err) < 0);
    slu_err_release(&err);
    /* a file that is not TZif */
    assert_int_equal(op_tz_load("zone1970.tab", &z, &err), SLU_EPARSE);
    slu_err_release(&err);
}

static void test_zones(void **state)
{
    (void)state;
    if (!have_zoneinfo()) {
        skip();
        return;
    }
    CHAIN("0 9 * * *", "Europe/Berlin", "2026-01-15T00:00:00Z", "2026-01-15T08:00:00Z");
    CHAIN("0 9 * * *", "Europe/Berlin", "2026-07-15T00:00:00Z", "2026-07-15T07:00:00Z");
    CHAIN("CRON_TZ=Europe/Berlin 0 9 * * *", "America/New_York", "2026-01-15T00:00:00Z",
          "2026-01-15T08:00:00Z");
    CHAIN("TZ=America/New_York 0 9 * * *", "UTC", "2026-07-15T00:00:00Z", "2026-07-15T13:00:00Z");
    CHAIN("0 9 * * *", "Asia/Kolkata", "2026-01-15T00:00:00Z", "2026-01-15T03:30:00Z");
    CHAIN("0 9 * * *", "Australia/Sydney", "2026-01-15T00:00:00Z", "2026-01-15T22:00:00Z");
    CHAIN("0 9 * * *", "Australia/Sydney", "2026-07-15T00:00:00Z", "2026-07-15T23:00:00Z");
    /* footer rule years */
    CHAIN("0 9 1 7 *", "Europe/Berlin", "2060-06-01T00:00:00Z", "2060-07-01T07:00:00Z",
          "2061-07-01T07:00:00Z");
    CHAIN("0 9 1 1 *", "Europe/Berlin", "2060-06-01T00:00:00Z", "2061-01-01T08:00:00Z");
    /* a year boundary in local time that is not the UTC one */
    CHAIN("0 0 1 1 *", "Asia/Tokyo", "2026-06-01T00:00:00Z", "2026-12-31T15:00:00Z");
}

static void test_dst(void **state)
{
    (void)state;
    if (!have_zoneinfo()) {
        skip();
        return;
    }
    /* Europe/Berlin, 2026-03-29: 02:00 CET -> 03:00 CEST. 02:30 does not exist that day: the
     * run of that day is skipped (robfig). */
    CHAIN("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-28T01:30:00Z",
          "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z");
    /* hourly across the gap: 01:00 CET, then 03:00 CEST one real hour later */
    CHAIN("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29T00:00:00Z",
          "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
    /* midnight daily across the change */
    CHAIN("0 0 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-28T23:00:00Z",
          "2026-03-29T22:00:00Z");
    /* 2026-10-25: 03:00 CEST -> 02:00 CET. 02:30 happens twice: it fires twice (robfig). */
    CHAIN("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z",
          "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z");
    /* 04:00 is unambiguous on both days */
    CHAIN("0 4 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T03:00:00Z",
          "2026-10-26T03:00:00Z");
    /* New York spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
    CHAIN("0 12 * * *", "America/New_York", "2026-03-07T12:00:00Z", "2026-03-07T17:00:00Z",
          "2026-03-08T16:00:00Z");
    /* wall clock of instants around the gap and a Go-style normalised date */
    const struct op_tz *z = NULL;
    assert_int_equal(op_tz_load("Europe/Berlin", &z, NULL), 0);
    struct op_civil cv;
    op_tz_civil(z, T("2026-03-29T01:00:00Z"), &cv);
    assert_int_equal(cv.hour, 3);
    assert_int_equal(cv.weekday, 0);
    /* 02:30 on the gap day resolves to 03:30 CEST, as Go's time.Date does */
    assert_int_equal(op_tz_date(z, 2026, 3, 29, 2, 30, 0), T("2026-03-29T01:30:00Z"));
    /* overflowing fields are normalised: month 13 day 32 */
    assert_int_equal(op_tz_date(z, 2026, 13, 32, 0, 0, 0), T("2027-02-01T00:00:00+01:00"));
}

/* ---------------------------------------------------------------- crafted TZif files */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A TZif header with counts isut isstd leap time type char. */
static size_t header(unsigned char *p, char version, uint32_t timecnt, uint32_t typecnt,
                     uint32_t charcnt)
{
    memset(p, 0, 44);
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    put32(p + 32, timecnt);
    put32(p + 36, typecnt);
    put32(p + 40, charcnt);
    return 44;
}

/* v2 file: one transition at 1000 from type 0 (+1h) to type 1 (+2h, DST), then footer. */
static size_t craft_v2(unsigned char *buf, const char *footer)
{
    size_t n = 0;
    /* v1 block: no transitions, one type */
    n += header(buf + n, '2', 0, 1, 4);
    put32(buf + n, 3600);
    buf[n + 4] = 0;
    buf[n + 5] = 0;
    n += 6;
    memcpy(buf + n, "CET", 4);
    n += 4;
    /* v2 block */
    n += header(buf + n, '2', 1, 2, 8);
    memset(buf + n, 0, 8);
    put32(buf + n + 4, 1000);
    n += 8;
    buf[n++] = 1;
    put32(buf + n, 3600);
    buf[n + 4] = 0;
    buf[n + 5] = 0;
    n += 6;
    put32(buf + n, 7200);
    buf[n + 4] = 1;
    buf[n + 5] = 4;
    n += 6;
    memcpy(buf + n, "CET\0CEST", 8);
    n += 8;
    buf[n++] = '\n';
    size_t fl = strlen(footer);
    memcpy(buf + n, footer, fl);
    n += fl;
    buf[n++] = '\n';
    return n;
}

static void test_tzif(void **state)
{
    (void)state;
    unsigned char buf[512];
    size_t n = craft_v2(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
    struct op_tz *z = NULL;
    struct slu_err err = {0};
    if (op__tz_parse("Test/Zone", buf, n, &z, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(op_tz_name(z), "Test/Zone");
    assert_int_equal(op_tz_offset(z, 500), 3600);  /* before the first transition: type 0 */
    assert_int_equal(op_tz_offset(z, 1500), 3600); /* 1970-01-01 in winter: the rule says CET */
    assert_int_equal(op_tz_offset(z, T("2026-01-15T12:00:00Z")), 3600);
    assert_int_equal(op_tz_offset(z, T("2026-07-15T12:00:00Z")), 7200);
    assert_int_equal(op_tz_offset(z, T("2026-03-29T00:59:59Z")), 3600);
    assert_int_equal(op_tz_offset(z, T("2026-03-29T01:00:00Z")), 7200);
    assert_int_equal(op_tz_offset(z, T("2026-10-25T00:59:59Z")), 7200);
    assert_int_equal(op_tz_offset(z, T("2026-10-25T01:00:00Z")), 3600);
    op__tz_free(z);

    /* southern hemisphere rule (Sydney: DST from first Sunday of October to first of April) */
    n = craft_v2(buf, "AEST-10AEDT,M10.1.0,M4.1.0/3");
    assert_int_equal(op__tz_parse("Test/South", buf, n, &z, &err), 0);
    assert_int_equal(op_tz_offset(z, T("2026-01-15T00:00:00Z")), 11 * 3600);
    assert_int_equal(op_tz_offset(z, T("2026-07-15T00:00:00Z")), 10 * 3600);
    assert_int_equal(op_tz_offset(z, T("2026-12-15T00:00:00Z")), 11 * 3600);
    op__tz_free(z);

    /* no DST, with <...> names and J/n rules parsed */
    n = craft_v2(buf, "<+0530>-5:30");
    assert_int_equal(op__tz_parse("Test/Fixed", buf, n, &z, &err), 0);
    assert_int_equal(op_tz_offset(z, T("2026-07-15T00:00:00Z")), 5 * 3600 + 1800);
    op__tz_free(z);
    n = craft_v2(buf, "XST3XDT,J60/2,300");
    assert_int_equal(op__tz_parse("Test/Julian", buf, n, &z, &err), 0);
    assert_int_equal(op_tz_offset(z, T("2026-06-15T00:00:00Z")), -2 * 3600);
    assert_int_equal(op_tz_offset(z, T("2026-12-15T00:00:00Z")), -3 * 3600);
    op__tz_free(z);

    /* malformed files: each refused with a message, never a crash */
    n = craft_v2(buf, "CET-1CEST,M13.5.0,M10.5.0/3");
    assert_int_equal(op__tz_parse("Bad/Rule", buf, n, &z, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "bad TZ rule"));
    slu_err_release(&err);
    n = craft_v2(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
    for (size_t cut = 0; cut < n - 30; cut += 7) { /* truncations */
        int rc = op__tz_parse("Bad/Cut", buf, cut, &z, &err);
        if (rc == 0)
            op__tz_free(z);
        slu_err_release(&err);
    }
    assert_int_equal(op__tz_parse("Bad/Cut", buf, 60, &z, &err), SLU_EPARSE);
    slu_err_release(&err);
    unsigned char bad[512];
    memcpy(bad, buf, n);
    bad[0] = 'X';
    assert_int_equal(op__tz_parse("Bad/Magic", bad, n, &z, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "not a TZif file"));
    slu_err_release(&err);
    memcpy(bad, buf, n);
    bad[44 + 10 + 44 + 8] = 9; /* type index out of range */
    assert_int_equal(op__tz_parse("Bad/Index", bad, n, &z, &err), SLU_EPARSE);
    assert_non_null(strstr(err.msg, "bad type index"));
    slu_err_release(&err);
    memcpy(bad, buf, n);
    put32(bad + 44 + 10 + 36, 0); /* typecnt 0 */
    assert_int_equal(op__tz_parse("Bad/Types", bad, n, &z, &err), SLU_EPARSE);
    slu_err_release(&err);

    /* a v1-only file: 32-bit transitions, no footer */
    size_t m = header(bad, '\0', 1, 2, 4);
    put32(bad + m, 1000);
    m += 4;
    bad[m++] = 1;
    put32(bad + m, 0);
    bad[m + 4] = 0;
    bad[m + 5] = 0;
    m += 6;
    put32(bad + m, -3600);
    bad[m + 4] = 0;
    bad[m + 5] = 0;
    m += 6;
    memcpy(bad + m, "ABC", 4);
    m += 4;
    assert_int_equal(op__tz_parse("Test/V1", bad, m, &z, &err), 0);
    assert_int_equal(op_tz_offset(z, 999), 0);
    assert_int_equal(op_tz_offset(z, 1000), -3600);
    assert_int_equal(op_tz_offset(z, T("2026-01-01T00:00:00Z")), -3600);
    op__tz_free(z);
}

/* ---------------------------------------------------------------- threads */

struct tharg {
    const char *zone;
    int64_t result;
};

static void *th_main(void *a)
{
    struct tharg *t = a;
    struct op_cron *c = NULL;
    if (op_cron_parse("0 9 * * MON-FRI", t->zone, &c, NULL) < 0)
        return NULL;
    int64_t x = T("2026-01-01T00:00:00Z");
    for (int i = 0; i < 200; i++)
        x = op_cron_next(c, x);
    t->result = x;
    op_cron_free(c);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    if (!have_zoneinfo()) {
        skip();
        return;
    }
    static const char *const zones[] = {"Europe/Paris", "America/Chicago", "Asia/Tokyo",
                                        "Europe/Paris"};
    struct tharg a[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct tharg){zones[i], 0};
        pthread_create(&th[i], NULL, th_main, &a[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        struct tharg one = {zones[i], 0};
        th_main(&one);
        assert_true(one.result > 0);
        assert_int_equal(a[i].result, one.result);
    }
    assert_int_equal(a[0].result, a[3].result);
    /* 200 weekdays after 2026-01-01 at 09:00 Paris: 2026-10-07 (CEST) */
    assert_int_equal(a[0].result, T("2026-10-07T07:00:00Z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_utc),  cmocka_unit_test(test_dom_dow),
        cmocka_unit_test(test_descriptors), cmocka_unit_test(test_never),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_durations),
        cmocka_unit_test(test_zone_names),  cmocka_unit_test(test_zones),
        cmocka_unit_test(test_dst),         cmocka_unit_test(test_tzif),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
