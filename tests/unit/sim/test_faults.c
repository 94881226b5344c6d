/* Tests for src/sim/faults.c: the --faults grammar, its errors, and the random decisions. */
#include "test.h"

#include <pthread.h>

#include "sim/parts.h"

static void test_parse_full(void **state)
{
    (void)state;
    struct sim_faults *f = NULL;
    struct slu_err err = {0};
    assert_int_equal(sim_faults_parse("error=0.05:500,429;retry-after=3;latency=2ms-10ms;"
                                      "watch-cut=10s;event-window=100;restart=1.5m;"
                                      "verbs=create,update;seed=7",
                                      &f, &err),
                     0);
    assert_non_null(f);
    assert_int_equal(sim_faults_watch_cut_ms(f), 10000);
    assert_int_equal(sim_faults_event_window(f), 100);
    assert_int_equal(sim_faults_restart_ms(f), 90000);
    for (int i = 0; i < 200; i++) {
        int64_t l = sim_faults_latency_ms(f);
        assert_true(l >= 2 && l <= 10);
    }
    sim_faults_free(f);
    slu_err_release(&err);
}

static void test_parse_empty_and_null(void **state)
{
    (void)state;
    struct sim_faults *f = NULL;
    assert_int_equal(sim_faults_parse("", &f, NULL), 0);
    int code = 0, ra = 0;
    assert_false(sim_faults_pick_error(f, "get", &code, &ra));
    assert_int_equal(sim_faults_latency_ms(f), 0);
    assert_int_equal(sim_faults_watch_cut_ms(f), 0);
    assert_int_equal(sim_faults_event_window(f), 0);
    assert_int_equal(sim_faults_restart_ms(f), 0);
    sim_faults_free(f);
    assert_int_equal(sim_faults_parse("none", &f, NULL), 0);
    sim_faults_free(f);
    /* a NULL faults object means no faults */
    assert_false(sim_faults_pick_error(NULL, "get", &code, &ra));
    assert_int_equal(sim_faults_latency_ms(NULL), 0);
    /* fixed latency, trailing ';' */
    assert_int_equal(sim_faults_parse("latency=1s;", &f, NULL), 0);
    assert_int_equal(sim_faults_latency_ms(f), 1000);
    sim_faults_free(f);
}

struct bad_case {
    const char *spec;
    const char *must_contain;
};

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"error=2", "\"error=2\""},
        {"error=abc", "\"error=abc\""},
        {"error=0.1:418", "\"418\""},
        {"error=0.1:", "no status code"},
        {"latency=5", "\"latency=5\""},
        {"latency=10ms-2ms", "MAX is below MIN"},
        {"watch-cut=0s", "\"watch-cut=0s\""},
        {"restart=-1s", "\"restart=-1s\""},
        {"event-window=0", "\"event-window=0\""},
        {"verbs=create,frob", "\"frob\""},
        {"bogus=1", "unknown item \"bogus\""},
        {"error", "expected name=value"},
        {"latency=", "empty value"},
        {"error=0.1;;latency=1ms", "empty item 2"},
        {"retry-after=x", "\"retry-after=x\""},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        struct sim_faults *f = (struct sim_faults *)1;
        struct slu_err err = {0};
        int rc = sim_faults_parse(cases[i].spec, &f, &err);
        if (rc == 0 || !strstr(err.msg, cases[i].must_contain))
            fail_msg("spec \"%s\": rc %d, message \"%s\" lacks \"%s\"", cases[i].spec, rc, err.msg,
                     cases[i].must_contain);
        assert_null(f);
        slu_err_release(&err);
    }
}

static void test_pick_error_verbs_and_codes(void **state)
{
    (void)state;
    struct sim_faults *f = NULL;
    assert_int_equal(sim_faults_parse("error=1:429;verbs=create;retry-after=4", &f, NULL), 0);
    int code = 0, ra = 0;
    assert_true(sim_faults_pick_error(f, "create", &code, &ra));
    assert_int_equal(code, 429);
    assert_int_equal(ra, 4);
    assert_false(sim_faults_pick_error(f, "get", &code, &ra));
    assert_false(sim_faults_pick_error(f, "list", &code, &ra));
    sim_faults_free(f);

    assert_int_equal(sim_faults_parse("error=100%:500,503", &f, NULL), 0);
    bool seen500 = false, seen503 = false;
    for (int i = 0; i < 200; i++) {
        assert_true(sim_faults_pick_error(f, "get", &code, &ra));
        assert_true(code == 500 || code == 503);
        assert_int_equal(ra, 0);
        seen500 |= code == 500;
        seen503 |= code == 503;
    }
    assert_true(seen500 && seen503);
    sim_faults_free(f);
}

static void test_pick_error_rate(void **state)
{
    (void)state;
    struct sim_faults *f = NULL;
    assert_int_equal(sim_faults_parse("error=0.25;seed=42", &f, NULL), 0);
    int hits = 0;
    for (int i = 0; i < 20000; i++)
        hits += sim_faults_pick_error(f, "patch", NULL, NULL);
    /* 25% of 20000 = 5000; the bounds are > 15 standard deviations wide */
    assert_true(hits > 4000 && hits < 6000);
    sim_faults_free(f);
}

struct thr {
    struct sim_faults *f;
    int hits;
};

static void *picker(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 20000; i++)
        t->hits += sim_faults_pick_error(t->f, "update", NULL, NULL);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct sim_faults *f = NULL;
    assert_int_equal(sim_faults_parse("error=0.5", &f, NULL), 0);
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i].f = f;
        t[i].hits = 0;
        pthread_create(&th[i], NULL, picker, &t[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += t[i].hits;
    }
    assert_true(total > 36000 && total < 44000);
    sim_faults_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),      cmocka_unit_test(test_parse_empty_and_null),
        cmocka_unit_test(test_parse_errors),    cmocka_unit_test(test_pick_error_verbs_and_codes),
        cmocka_unit_test(test_pick_error_rate), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
