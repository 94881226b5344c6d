/* Tests for src/kube/ratelimit.c: burst, debt, unlimited, thread safety. Rates are chosen so
 * that the expected waits are far from any scheduling noise (no timing assertions). */
#include "test.h"

#include <pthread.h>

#include "kube/kube.h"

static void test_burst_then_wait(void **state)
{
    (void)state;
    struct kube_token_bucket b;
    kube_token_bucket_init(&b, 0.001, 3); /* one token per 1000 s */
    for (int i = 0; i < 3; i++)
        assert_int_equal(kube_token_bucket_reserve(&b), 0);
    int64_t w1 = kube_token_bucket_reserve(&b);
    int64_t w2 = kube_token_bucket_reserve(&b);
    /* in debt by one token: ~1000 s; by two: ~2000 s */
    assert_true(w1 > 900LL * 1000000000 && w1 <= 1000LL * 1000000000);
    assert_true(w2 > 1900LL * 1000000000 && w2 <= 2000LL * 1000000000);
    kube_token_bucket_release(&b);
}

static void test_unlimited(void **state)
{
    (void)state;
    struct kube_token_bucket b;
    kube_token_bucket_init(&b, 0, 1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(kube_token_bucket_reserve(&b), 0);
    kube_token_bucket_wait(&b);
    kube_token_bucket_release(&b);
}

static void test_refill(void **state)
{
    (void)state;
    struct kube_token_bucket b;
    kube_token_bucket_init(&b, 1000, 1); /* 1 ms per token */
    assert_int_equal(kube_token_bucket_reserve(&b), 0);
    kube_token_bucket_wait(&b); /* waits for the next token (about 1 ms) */
    /* the bucket never holds more than burst: after a long pause only one token is free */
    b.last_ns -= 5000000000LL; /* pretend 5 s went by */
    assert_int_equal(kube_token_bucket_reserve(&b), 0);
    assert_true(kube_token_bucket_reserve(&b) > 0);
    kube_token_bucket_release(&b);
}

static struct kube_token_bucket shared;
static int64_t zero_waits[4];

static void *taker(void *arg)
{
    int64_t *zw = arg;
    for (int i = 0; i < 250; i++)
        if (kube_token_bucket_reserve(&shared) == 0)
            (*zw)++;
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    /* 1000 reservations against a burst of 100 at 0.001/s: exactly 100 are free. */
    kube_token_bucket_init(&shared, 0.001, 100);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, taker, &zero_waits[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(zero_waits[0] + zero_waits[1] + zero_waits[2] + zero_waits[3], 100);
    kube_token_bucket_release(&shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_wait),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
