/*
 * sys.c - clocks and RFC 3339 time, the logger (text or JSON lines on stderr, one mutex so lines
 * never interleave), random bytes and UUIDs from OpenSSL, and the blocking queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "base/base.h"

/* ---------------------------------------------------------------- time */

int64_t slu_now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t slu_now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t slu_now_unix(void)
{
    return slu_now_real_ns() / 1000000000LL;
}

void slu_time_format_rfc3339(int64_t unix_seconds, char *buf, size_t n)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void slu_time_format_rfc3339_micro(int64_t unix_ns, char *buf, size_t n)
{
    time_t t = (time_t)(unix_ns / 1000000000LL);
    long us = (long)((unix_ns % 1000000000LL) / 1000);
    if (us < 0) {
        us += 1000000;
        t -= 1;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%06ldZ", base, us);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int slu_time_parse_rfc3339(const char *s, int64_t *unix_ns)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    const char *p = s;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return SLU_EPARSE;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &se))
        return SLU_EPARSE;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 9) {
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        if (nd == 0)
            return SLU_EPARSE;
        while (nd++ < 9)
            frac *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return SLU_EPARSE;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return SLU_EPARSE;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return SLU_EPARSE;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    *unix_ns = ((int64_t)t - off) * 1000000000LL + frac;
    return 0;
}

void slu_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---------------------------------------------------------------- logging */

static enum slu_log_level log_level = SLU_LOG_INFO;
static bool log_json;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void slu_log_set_level(enum slu_log_level level)
{
    log_level = level;
}

enum slu_log_level slu_log_get_level(void)
{
    return log_level;
}

void slu_log_set_json(bool json)
{
    log_json = json;
}

int slu_log_parse_level(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

void slu_log(enum slu_log_level level, const char *fmt, ...)
{
    if (level < log_level || log_level == SLU_LOG_OFF)
        return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[40];
    slu_time_format_rfc3339_micro(slu_now_real_ns(), ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    char *msg = slu_vasprintf(fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_mu);
    if (log_json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, names[level]);
        for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
            if (*p == '"' || *p == '\\')
                fprintf(stderr, "\\%c", *p);
            else if (*p < 0x20)
                fprintf(stderr, "\\u%04x", *p);
            else
                fputc(*p, stderr);
        }
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s %s\n", ts, names[level], msg);
    }
    pthread_mutex_unlock(&log_mu);
    free(msg);
}

/* ---------------------------------------------------------------- random */

void slu_random_bytes(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "sluice: RAND_bytes failed\n");
        abort();
    }
}

uint64_t slu_random_u64(void)
{
    uint64_t v;
    slu_random_bytes(&v, sizeof(v));
    return v;
}

void slu_uuid4(char *buf)
{
    unsigned char b[16];
    slu_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void slu_random_name_suffix(char *buf, size_t n)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char r[64];
    for (size_t i = 0; i < n; i++) {
        if (i % sizeof(r) == 0)
            slu_random_bytes(r, sizeof(r));
        buf[i] = alphabet[r[i % sizeof(r)] % (sizeof(alphabet) - 1)];
    }
    buf[n] = '\0';
}

/* ---------------------------------------------------------------- threads */

void slu_cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

void slu_deadline_from_now(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void slu_bqueue_init(struct slu_bqueue *q, size_t cap)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    slu_cond_init_mono(&q->not_empty);
    slu_cond_init_mono(&q->not_full);
    q->cap = cap;
    q->ringcap = cap ? cap : 16;
    q->ring = slu_calloc(q->ringcap, sizeof(void *));
}

void slu_bqueue_release(struct slu_bqueue *q, void (*free_fn)(void *))
{
    if (free_fn)
        for (size_t i = 0; i < q->len; i++)
            free_fn(q->ring[(q->head + i) % q->ringcap]);
    free(q->ring);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    memset(q, 0, sizeof(*q));
}

int slu_bqueue_push(struct slu_bqueue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->cap && q->len == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return SLU_ECANCELED;
    }
    if (q->len == q->ringcap) { /* unbounded: grow, unrolling the ring */
        size_t ncap = q->ringcap * 2;
        void **nr = slu_calloc(ncap, sizeof(void *));
        for (size_t i = 0; i < q->len; i++)
            nr[i] = q->ring[(q->head + i) % q->ringcap];
        free(q->ring);
        q->ring = nr;
        q->ringcap = ncap;
        q->head = 0;
    }
    q->ring[(q->head + q->len) % q->ringcap] = item;
    q->len++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

int slu_bqueue_pop(struct slu_bqueue *q, void **out, int64_t timeout_ms)
{
    struct timespec dl;
    if (timeout_ms >= 0)
        slu_deadline_from_now(&dl, timeout_ms);
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->not_empty, &q->mu);
        } else if (pthread_cond_timedwait(&q->not_empty, &q->mu, &dl) == ETIMEDOUT) {
            if (q->len == 0 && !q->closed) {
                pthread_mutex_unlock(&q->mu);
                return SLU_ETIMEDOUT;
            }
        }
    }
    if (q->len == 0) {
        pthread_mutex_unlock(&q->mu);
        return SLU_ECANCELED;
    }
    *out = q->ring[q->head];
    q->head = (q->head + 1) % q->ringcap;
    q->len--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void slu_bqueue_close(struct slu_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

size_t slu_bqueue_len(struct slu_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
