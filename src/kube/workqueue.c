/*
 * workqueue.c - the rate-limited, de-duplicating work queue of client-go
 * (k8s.io/client-go/util/workqueue), in C.
 *
 * How it works: one mutex guards
 *   - queue       a FIFO ring of keys ready to be handed out;
 *   - dirty       keys that need processing (queued, or re-added while being processed);
 *   - processing  keys handed out by get() and not yet done();
 *   - a delay heap (min-heap on ready time) of keys added with add_after, plus a map key ->
 *     heap entry so a key waits at most once (a new, earlier time moves it up);
 *   - failures    per-key counts for exponential backoff.
 * add() marks a key dirty and queues it unless it is already dirty or being processed; done()
 * re-queues a key that became dirty while processed. So a key is never handed to two workers at
 * once, and every add() is followed by at least one processing that starts after it.
 * There is no timer thread: get() moves due keys from the heap to the queue and sleeps on a
 * CLOCK_MONOTONIC condition variable until the earlier of its timeout and the next due key;
 * add_after() wakes sleepers when it puts a new earliest key in the heap. No busy loops.
 * add_rate_limited() delays by max(base * 2^failures capped at max, the overall token bucket's
 * wait), as client-go's default controller rate limiter does.
 * Shutdown: new adds are ignored and delayed keys dropped; drain=false also drops the queue and
 * makes get() return SLU_ECANCELED at once; drain=true lets get() hand out what is queued (and
 * what done() re-queues) and returns once the queue is empty and nothing is being processed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube.h"
#include "kube/pure_priv.h"

#define MARK ((void *)1)

struct delayed {
    int64_t ready_ns;
    uint64_t seq; /* FIFO among equal ready times */
    char *key;
    size_t idx; /* position in the heap */
};

struct kube_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond;    /* queue got a key, heap top changed, or shutdown */
    pthread_cond_t drained; /* processing became empty (for shutdown with drain) */
    char **ring;
    size_t head, len, cap;
    struct slu_map dirty;
    struct slu_map processing;
    struct delayed **heap;
    size_t hlen, hcap;
    uint64_t seq;
    struct slu_map waiting;  /* key -> struct delayed * (borrowed from the heap) */
    struct slu_map failures; /* key -> (void *)(uintptr_t)count, count >= 1 */
    struct kube_token_bucket bucket;
    int64_t base_ns, max_ns;
    bool shutting_down, draining;
};

/* ---------------------------------------------------------------- FIFO ring */

static void ring_push(struct kube_workqueue *q, char *key)
{
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 64;
        char **n = slu_malloc(ncap * sizeof(char *));
        for (size_t i = 0; i < q->len; i++)
            n[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = n;
        q->head = 0;
        q->cap = ncap;
    }
    q->ring[(q->head + q->len) % q->cap] = key;
    q->len++;
}

static char *ring_pop(struct kube_workqueue *q)
{
    char *k = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return k;
}

/* ---------------------------------------------------------------- delay heap */

static bool d_less(const struct delayed *a, const struct delayed *b)
{
    return a->ready_ns < b->ready_ns || (a->ready_ns == b->ready_ns && a->seq < b->seq);
}

static void h_swap(struct kube_workqueue *q, size_t i, size_t j)
{
    struct delayed *t = q->heap[i];
    q->heap[i] = q->heap[j];
    q->heap[j] = t;
    q->heap[i]->idx = i;
    q->heap[j]->idx = j;
}

static void h_up(struct kube_workqueue *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!d_less(q->heap[i], q->heap[p]))
            break;
        h_swap(q, i, p);
        i = p;
    }
}

static void h_down(struct kube_workqueue *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->hlen && d_less(q->heap[l], q->heap[m]))
            m = l;
        if (r < q->hlen && d_less(q->heap[r], q->heap[m]))
            m = r;
        if (m == i)
            return;
        h_swap(q, i, m);
        i = m;
    }
}

static struct delayed *h_pop(struct kube_workqueue *q)
{
    struct delayed *top = q->heap[0];
    q->hlen--;
    if (q->hlen > 0) {
        q->heap[0] = q->heap[q->hlen];
        q->heap[0]->idx = 0;
        h_down(q, 0);
    }
    return top;
}

static void h_clear(struct kube_workqueue *q)
{
    for (size_t i = 0; i < q->hlen; i++) {
        slu_map_take(&q->waiting, q->heap[i]->key);
        free(q->heap[i]->key);
        free(q->heap[i]);
    }
    q->hlen = 0;
}

/* ---------------------------------------------------------------- locked helpers */

static void add_locked(struct kube_workqueue *q, const char *key)
{
    if (q->shutting_down || slu_map_has(&q->dirty, key))
        return;
    slu_map_put(&q->dirty, key, MARK);
    if (slu_map_has(&q->processing, key))
        return; /* re-queued by done() */
    ring_push(q, slu_strdup(key));
    pthread_cond_signal(&q->cond);
}

static void add_after_locked(struct kube_workqueue *q, const char *key, int64_t delay_ns)
{
    if (q->shutting_down)
        return;
    if (delay_ns <= 0) {
        add_locked(q, key);
        return;
    }
    int64_t now = slu_now_mono_ns();
    int64_t ready = delay_ns > INT64_MAX - now ? INT64_MAX : now + delay_ns;
    struct delayed *d = slu_map_get(&q->waiting, key);
    if (d) {
        if (ready < d->ready_ns) {
            d->ready_ns = ready;
            h_up(q, d->idx);
            if (d->idx == 0)
                pthread_cond_broadcast(&q->cond);
        }
        return;
    }
    d = slu_malloc(sizeof(*d));
    d->ready_ns = ready;
    d->seq = q->seq++;
    d->key = slu_strdup(key);
    if (q->hlen == q->hcap) {
        q->hcap = q->hcap ? q->hcap * 2 : 32;
        q->heap = slu_realloc(q->heap, q->hcap * sizeof(*q->heap));
    }
    d->idx = q->hlen;
    q->heap[q->hlen++] = d;
    slu_map_put(&q->waiting, key, d);
    h_up(q, d->idx);
    if (d->idx == 0)
        pthread_cond_broadcast(&q->cond); /* sleepers recompute their wake-up time */
}

/* Moves every due delayed key into the queue. */
static void promote_locked(struct kube_workqueue *q, int64_t now)
{
    while (q->hlen > 0 && q->heap[0]->ready_ns <= now) {
        struct delayed *d = h_pop(q);
        slu_map_take(&q->waiting, d->key);
        add_locked(q, d->key);
        free(d->key);
        free(d);
    }
}

static void timedwait_until(struct kube_workqueue *q, int64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000),
                          .tv_nsec = (long)(deadline_ns % 1000000000)};
    pthread_cond_timedwait(&q->cond, &q->mu, &ts);
}

/* ---------------------------------------------------------------- public */

int64_t kube__rate_limit_delay_ns(int64_t base_ns, int64_t max_ns, int failures)
{
    double backoff = (double)base_ns * pow(2.0, (double)failures);
    if (backoff >= (double)max_ns || backoff >= 9.2e18)
        return max_ns;
    return (int64_t)backoff;
}

struct kube_workqueue *kube_workqueue_new(const struct kube_workqueue_opts *opts)
{
    struct kube_workqueue *q = slu_calloc(1, sizeof(*q));
    int64_t base_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms : 5;
    int64_t max_ms = opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : 1000 * 1000;
    double qps = opts && opts->qps != 0 ? opts->qps : 50; /* < 0: no overall limit */
    double burst = opts && opts->burst > 0 ? opts->burst : 500;
    q->base_ns = base_ms * 1000000;
    q->max_ns = max_ms * 1000000;
    pthread_mutex_init(&q->mu, NULL);
    slu_cond_init_mono(&q->cond);
    slu_cond_init_mono(&q->drained);
    slu_map_init(&q->dirty, NULL);
    slu_map_init(&q->processing, NULL);
    slu_map_init(&q->waiting, NULL);
    slu_map_init(&q->failures, NULL);
    kube_token_bucket_init(&q->bucket, qps, burst);
    return q;
}

void kube_workqueue_free(struct kube_workqueue *q)
{
    if (!q)
        return;
    while (q->len > 0)
        free(ring_pop(q));
    free(q->ring);
    h_clear(q);
    free(q->heap);
    slu_map_release(&q->dirty);
    slu_map_release(&q->processing);
    slu_map_release(&q->waiting);
    slu_map_release(&q->failures);
    kube_token_bucket_release(&q->bucket);
    pthread_cond_destroy(&q->cond);
    pthread_cond_destroy(&q->drained);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void kube_workqueue_add(struct kube_workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    add_locked(q, key);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_add_after(struct kube_workqueue *q, const char *key, int64_t delay_ms)
{
    pthread_mutex_lock(&q->mu);
    int64_t ns = delay_ms > INT64_MAX / 1000000 ? INT64_MAX : delay_ms * 1000000;
    add_after_locked(q, key, ns);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_add_rate_limited(struct kube_workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    uintptr_t n = (uintptr_t)slu_map_get(&q->failures, key);
    slu_map_put(&q->failures, key, (void *)(n + 1));
    int64_t per_item = kube__rate_limit_delay_ns(q->base_ns, q->max_ns, (int)SLU_MIN(n, 1000));
    int64_t overall = kube_token_bucket_reserve(&q->bucket);
    add_after_locked(q, key, SLU_MAX(per_item, overall));
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_forget(struct kube_workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    slu_map_take(&q->failures, key);
    pthread_mutex_unlock(&q->mu);
}

int kube_workqueue_num_requeues(struct kube_workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    uintptr_t n = (uintptr_t)slu_map_get(&q->failures, key);
    pthread_mutex_unlock(&q->mu);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int kube_workqueue_get(struct kube_workqueue *q, char **key, int64_t timeout_ms)
{
    *key = NULL;
    int64_t start = slu_now_mono_ns();
    int64_t deadline = INT64_MAX;
    if (timeout_ms >= 0)
        deadline =
            timeout_ms > (INT64_MAX - start) / 1000000 ? INT64_MAX : start + timeout_ms * 1000000;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        int64_t now = slu_now_mono_ns();
        promote_locked(q, now);
        if (q->len > 0)
            break;
        if (q->shutting_down) {
            pthread_mutex_unlock(&q->mu);
            return SLU_ECANCELED;
        }
        if (now >= deadline) {
            pthread_mutex_unlock(&q->mu);
            return SLU_ETIMEDOUT;
        }
        int64_t wake = deadline;
        if (q->hlen > 0 && q->heap[0]->ready_ns < wake)
            wake = q->heap[0]->ready_ns;
        if (wake == INT64_MAX)
            pthread_cond_wait(&q->cond, &q->mu);
        else
            timedwait_until(q, wake);
    }
    char *k = ring_pop(q);
    slu_map_put(&q->processing, k, MARK);
    slu_map_del(&q->dirty, k);
    pthread_mutex_unlock(&q->mu);
    *key = k;
    return 0;
}

void kube_workqueue_done(struct kube_workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    if (slu_map_del(&q->processing, key) && slu_map_has(&q->dirty, key)) {
        if (!q->shutting_down || q->draining) {
            ring_push(q, slu_strdup(key));
            pthread_cond_signal(&q->cond);
        } else {
            slu_map_del(&q->dirty, key);
        }
    }
    if (q->processing.len == 0)
        pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_shutdown(struct kube_workqueue *q, bool drain)
{
    pthread_mutex_lock(&q->mu);
    q->shutting_down = true;
    q->draining = drain;
    h_clear(q);
    if (!drain) {
        while (q->len > 0) {
            char *k = ring_pop(q);
            slu_map_del(&q->dirty, k);
            free(k);
        }
    }
    pthread_cond_broadcast(&q->cond);
    while (drain && (q->len > 0 || q->processing.len > 0))
        pthread_cond_wait(&q->drained, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

size_t kube_workqueue_len(struct kube_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    promote_locked(q, slu_now_mono_ns());
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
