/* Tests for src/kube/workqueue.c with real threads: de-duplication, re-queue of keys added
 * while processing, never two workers on one key, add_after ordering, rate limiting, forget,
 * shutdown with and without drain. No timing assertions: delays used for "not yet" checks are
 * orders of magnitude longer than the waits that check them. */
#include "test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "kube/kube.h"
#include "kube/pure_priv.h"

static char *get(struct kube_workqueue *q, int64_t timeout_ms)
{
    char *k = NULL;
    int rc = kube_workqueue_get(q, &k, timeout_ms);
    if (rc != 0)
        fail_msg("get: rc %d", rc);
    return k;
}

static void expect_get(struct kube_workqueue *q, const char *want)
{
    char *k = get(q, 5000);
    assert_string_equal(k, want);
    kube_workqueue_done(q, k);
    free(k);
}

static void test_dedupe_and_requeue(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    kube_workqueue_add(q, "a");
    kube_workqueue_add(q, "b");
    kube_workqueue_add(q, "a");
    assert_int_equal(kube_workqueue_len(q), 2);
    char *a = get(q, 0);
    assert_string_equal(a, "a");
    /* added while processing: not queued now ... */
    kube_workqueue_add(q, "a");
    kube_workqueue_add(q, "a");
    assert_int_equal(kube_workqueue_len(q), 1);
    char *b = get(q, 0);
    assert_string_equal(b, "b");
    char *k = NULL;
    assert_int_equal(kube_workqueue_get(q, &k, 0), SLU_ETIMEDOUT);
    assert_null(k);
    /* ... but once, when done */
    kube_workqueue_done(q, a);
    assert_int_equal(kube_workqueue_len(q), 1);
    expect_get(q, "a");
    kube_workqueue_done(q, b);
    assert_int_equal(kube_workqueue_len(q), 0);
    assert_int_equal(kube_workqueue_get(q, &k, 10), SLU_ETIMEDOUT);
    free(a);
    free(b);
    kube_workqueue_shutdown(q, false);
    kube_workqueue_free(q);
}

static void test_fifo(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    char key[16];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        kube_workqueue_add(q, key);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        expect_get(q, key);
    }
    kube_workqueue_shutdown(q, true);
    kube_workqueue_free(q);
}

static void test_add_after(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    kube_workqueue_add_after(q, "c", 60);
    kube_workqueue_add_after(q, "a", 20);
    kube_workqueue_add_after(q, "b", 40);
    kube_workqueue_add_after(q, "now", 0);
    expect_get(q, "now");
    expect_get(q, "a");
    expect_get(q, "b");
    expect_get(q, "c");
    /* a key waits once; an earlier time moves it forward */
    kube_workqueue_add_after(q, "x", 1000 * 1000);
    kube_workqueue_add_after(q, "x", 5);
    expect_get(q, "x");
    char *k = NULL;
    assert_int_equal(kube_workqueue_get(q, &k, 30), SLU_ETIMEDOUT);
    /* a later time does not delay a key already waiting */
    kube_workqueue_add_after(q, "y", 5);
    kube_workqueue_add_after(q, "y", 1000 * 1000);
    expect_get(q, "y");
    /* a far-away key is not handed out */
    kube_workqueue_add_after(q, "far", 1000 * 1000);
    assert_int_equal(kube_workqueue_get(q, &k, 20), SLU_ETIMEDOUT);
    assert_int_equal(kube_workqueue_len(q), 0);
    kube_workqueue_shutdown(q, true); /* drops delayed keys */
    assert_int_equal(kube_workqueue_get(q, &k, -1), SLU_ECANCELED);
    kube_workqueue_free(q);
}

/* A getter blocked forever must wake for a delayed key added after it started waiting. */
static void *late_adder(void *arg)
{
    slu_sleep_ms(20);
    kube_workqueue_add_after(arg, "late", 10);
    return NULL;
}

static void test_add_after_wakes_getter(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    pthread_t th;
    pthread_create(&th, NULL, late_adder, q);
    char *k = get(q, -1);
    assert_string_equal(k, "late");
    kube_workqueue_done(q, k);
    free(k);
    pthread_join(th, NULL);
    kube_workqueue_shutdown(q, true);
    kube_workqueue_free(q);
}

static void test_rate_limited(void **state)
{
    (void)state;
    /* the per-item backoff */
    int64_t ms = 1000000;
    assert_int_equal(kube__rate_limit_delay_ns(5 * ms, 1000000 * ms, 0), 5 * ms);
    assert_int_equal(kube__rate_limit_delay_ns(5 * ms, 1000000 * ms, 1), 10 * ms);
    assert_int_equal(kube__rate_limit_delay_ns(5 * ms, 1000000 * ms, 10), 5120 * ms);
    assert_int_equal(kube__rate_limit_delay_ns(5 * ms, 1000000 * ms, 18), 1000000 * ms);
    assert_int_equal(kube__rate_limit_delay_ns(5 * ms, 1000000 * ms, 1000), 1000000 * ms);

    struct kube_workqueue *q = kube_workqueue_new(NULL);
    assert_int_equal(kube_workqueue_num_requeues(q, "k"), 0);
    kube_workqueue_add_rate_limited(q, "k");
    assert_int_equal(kube_workqueue_num_requeues(q, "k"), 1);
    expect_get(q, "k"); /* after 5 ms */
    kube_workqueue_add_rate_limited(q, "k");
    expect_get(q, "k"); /* after 10 ms */
    assert_int_equal(kube_workqueue_num_requeues(q, "k"), 2);
    kube_workqueue_forget(q, "k");
    assert_int_equal(kube_workqueue_num_requeues(q, "k"), 0);
    kube_workqueue_shutdown(q, true);
    kube_workqueue_free(q);

    /* a huge base delay keeps the key away */
    struct kube_workqueue_opts o = {.base_delay_ms = 1000 * 1000};
    q = kube_workqueue_new(&o);
    kube_workqueue_add_rate_limited(q, "slow");
    char *k = NULL;
    assert_int_equal(kube_workqueue_get(q, &k, 20), SLU_ETIMEDOUT);
    kube_workqueue_shutdown(q, true);
    kube_workqueue_free(q);

    /* the overall bucket: burst 1 at one token per 1000 s; the second key must wait for it
     * even though its own backoff is 5 ms */
    struct kube_workqueue_opts o2 = {.qps = 0.001, .burst = 1};
    q = kube_workqueue_new(&o2);
    kube_workqueue_add_rate_limited(q, "first");
    kube_workqueue_add_rate_limited(q, "second");
    expect_get(q, "first");
    assert_int_equal(kube_workqueue_get(q, &k, 30), SLU_ETIMEDOUT);
    kube_workqueue_shutdown(q, false);
    kube_workqueue_free(q);
}

/* ---------------------------------------------------------------- many workers */

#define NKEYS 400
#define NWORKERS 4

struct pool {
    struct kube_workqueue *q;
    atomic_int busy[NKEYS];
    atomic_int count[NKEYS];
    atomic_int requeue_budget[NKEYS];
    atomic_int overlaps;
    atomic_long processed;
};

static int key_index(const char *k)
{
    return (int)strtol(k + 1, NULL, 10);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        char *k = NULL;
        int rc = kube_workqueue_get(p->q, &k, -1);
        if (rc == SLU_ECANCELED)
            return NULL;
        if (rc != 0)
            continue;
        int i = key_index(k);
        if (atomic_exchange(&p->busy[i], 1) != 0)
            atomic_fetch_add(&p->overlaps, 1);
        atomic_fetch_add(&p->count[i], 1);
        atomic_fetch_add(&p->processed, 1);
        /* re-add while processing: must come back once, after done */
        if (atomic_fetch_sub(&p->requeue_budget[i], 1) > 0)
            kube_workqueue_add(p->q, k);
        sched_yield();
        atomic_store(&p->busy[i], 0);
        kube_workqueue_done(p->q, k);
        free(k);
    }
}

static void test_workers_exactly_once(void **state)
{
    (void)state;
    static struct pool p;
    memset(&p, 0, sizeof(p));
    p.q = kube_workqueue_new(NULL);
    char key[16];
    /* every key added three times before the workers start: processed exactly once */
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < NKEYS; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            kube_workqueue_add(p.q, key);
        }
    assert_int_equal(kube_workqueue_len(p.q), NKEYS);
    pthread_t th[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        pthread_create(&th[i], NULL, worker, &p);
    kube_workqueue_shutdown(p.q, true); /* returns once everything was processed */
    for (int i = 0; i < NWORKERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NKEYS; i++)
        assert_int_equal(atomic_load(&p.count[i]), 1);
    assert_int_equal(atomic_load(&p.overlaps), 0);
    kube_workqueue_free(p.q);
}

static void test_workers_concurrent_adds(void **state)
{
    (void)state;
    static struct pool p;
    memset(&p, 0, sizeof(p));
    p.q = kube_workqueue_new(NULL);
    for (int i = 0; i < NKEYS; i++)
        atomic_store(&p.requeue_budget[i], i % 3); /* 0, 1 or 2 self re-adds */
    pthread_t th[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        pthread_create(&th[i], NULL, worker, &p);
    char key[16];
    long adds = 0;
    for (int r = 0; r < 5; r++)
        for (int i = 0; i < NKEYS; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            kube_workqueue_add(p.q, key);
            adds++;
        }
    /* Adds are ignored once shutting down, so let the self re-adds happen first. */
    int64_t until = slu_now_mono_ns() + 20LL * 1000000000;
    for (int i = 0; i < NKEYS; i++)
        while (atomic_load(&p.count[i]) < 1 + i % 3 && slu_now_mono_ns() < until)
            slu_sleep_ms(1);
    kube_workqueue_shutdown(p.q, true);
    for (int i = 0; i < NWORKERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&p.overlaps), 0);
    long self = 0;
    for (int i = 0; i < NKEYS; i++) {
        /* processed at least once, plus once per self re-add (added while processing) */
        assert_true(atomic_load(&p.count[i]) >= 1 + i % 3);
        self += i % 3;
    }
    assert_true(atomic_load(&p.processed) <= adds + self);
    kube_workqueue_free(p.q);
}

/* ---------------------------------------------------------------- shutdown */

struct shut {
    struct kube_workqueue *q;
    atomic_bool returned;
    bool drain;
};

static void *shutter(void *arg)
{
    struct shut *s = arg;
    kube_workqueue_shutdown(s->q, s->drain);
    atomic_store(&s->returned, true);
    return NULL;
}

static void *blocked_getter(void *arg)
{
    char *k = NULL;
    int rc = kube_workqueue_get(arg, &k, -1);
    return (void *)(intptr_t)rc;
}

static void test_shutdown_drain(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    kube_workqueue_add(q, "a");
    kube_workqueue_add(q, "b");
    char *a = get(q, 0);
    kube_workqueue_add(q, "a"); /* dirty while processing: re-queued at done, even draining */
    struct shut s = {.q = q, .drain = true};
    pthread_t th;
    pthread_create(&th, NULL, shutter, &s);
    slu_sleep_ms(20);
    assert_false(atomic_load(&s.returned)); /* "a" is still being processed */
    kube_workqueue_add(q, "new");           /* ignored once shutting down */
    expect_get(q, "b");
    kube_workqueue_done(q, a);
    free(a);
    expect_get(q, "a");
    pthread_join(th, NULL);
    assert_true(atomic_load(&s.returned));
    char *k = NULL;
    assert_int_equal(kube_workqueue_get(q, &k, -1), SLU_ECANCELED);
    assert_int_equal(kube_workqueue_len(q), 0);
    kube_workqueue_free(q);
}

static void test_shutdown_no_drain(void **state)
{
    (void)state;
    struct kube_workqueue *q = kube_workqueue_new(NULL);
    pthread_t g[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&g[i], NULL, blocked_getter, q);
    slu_sleep_ms(10);
    kube_workqueue_shutdown(q, false);
    for (int i = 0; i < 3; i++) {
        void *rc;
        pthread_join(g[i], &rc);
        assert_int_equal((int)(intptr_t)rc, SLU_ECANCELED);
    }
    kube_workqueue_free(q);

    q = kube_workqueue_new(NULL);
    kube_workqueue_add(q, "a");
    kube_workqueue_add(q, "b");
    char *a = get(q, 0);
    kube_workqueue_add(q, "a");
    kube_workqueue_shutdown(q, false); /* drops "b" and the pending re-queue of "a" */
    char *k = NULL;
    assert_int_equal(kube_workqueue_get(q, &k, -1), SLU_ECANCELED);
    kube_workqueue_done(q, a);
    free(a);
    assert_int_equal(kube_workqueue_len(q), 0);
    assert_int_equal(kube_workqueue_get(q, &k, 0), SLU_ECANCELED);
    kube_workqueue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe_and_requeue),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_add_after),
        cmocka_unit_test(test_add_after_wakes_getter),
        cmocka_unit_test(test_rate_limited),
        cmocka_unit_test(test_workers_exactly_once),
        cmocka_unit_test(test_workers_concurrent_adds),
        cmocka_unit_test(test_shutdown_drain),
        cmocka_unit_test(test_shutdown_no_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
