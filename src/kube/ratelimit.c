/*
 * ratelimit.c - a classic token bucket (as golang.org/x/time/rate's Reserve): `burst` tokens at
 * most, refilled continuously at `rate` tokens per second. Taking a token never fails: when the
 * bucket is empty the taker goes into debt and is told how long to wait before using its token,
 * so concurrent callers are spaced out fairly. Thread-safe (one mutex); a rate <= 0 means
 * unlimited. Time comes from CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "kube/kube.h"

void kube_token_bucket_init(struct kube_token_bucket *b, double qps, double burst)
{
    pthread_mutex_init(&b->mu, NULL);
    b->rate = qps;
    b->burst = burst < 1 ? 1 : burst;
    b->tokens = b->burst;
    b->last_ns = slu_now_mono_ns();
}

void kube_token_bucket_release(struct kube_token_bucket *b)
{
    pthread_mutex_destroy(&b->mu);
}

int64_t kube_token_bucket_reserve(struct kube_token_bucket *b)
{
    if (b->rate <= 0)
        return 0;
    pthread_mutex_lock(&b->mu);
    int64_t now = slu_now_mono_ns();
    if (now > b->last_ns) {
        b->tokens += (double)(now - b->last_ns) * b->rate / 1e9;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
        b->last_ns = now;
    }
    b->tokens -= 1;
    int64_t wait = 0;
    if (b->tokens < 0) {
        double ns = ceil(-b->tokens / b->rate * 1e9);
        wait = ns > (double)INT64_MAX ? INT64_MAX : (int64_t)ns;
    }
    pthread_mutex_unlock(&b->mu);
    return wait;
}

void kube_token_bucket_wait(struct kube_token_bucket *b)
{
    int64_t ns = kube_token_bucket_reserve(b);
    if (ns <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
