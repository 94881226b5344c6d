/*
 * faults.c - fault injection for `sluice sim --faults SPEC`.
 *
 * The spec is a list of `name=value` items separated by ';' (see docs/internals/sim.md, "Cluster
 * model"):
 *
 *   error=RATE[:CODE[,CODE...]]   fail that share of requests (0..1, or "5%") with one of the codes
 *                                  (429, 500, 502, 503, 504; default 500), picked uniformly
 *   retry-after=SECONDS           Retry-After sent with injected 429s (default 1)
 *   latency=DUR | latency=MIN-MAX added latency per request (uniform in [MIN, MAX])
 *   watch-cut=DUR                 watch streams are cut after DUR
 *   event-window=N                the store keeps only N events (old resourceVersions give 410)
 *   restart=DUR                   the API restarts (drops every connection, keeps state) every DUR
 *   verbs=V[,V...]                injected errors only for these verbs (get, list, watch, create,
 *                                  update, patch, delete, deletecollection); default all
 *   seed=N                        seed of the random decisions (default: random)
 *
 * Durations are a number with a unit: ms, s, m, h ("250ms", "1.5s"). An empty spec or "none" means
 * no faults. Parsing is strict: every error names the bad item.
 *
 * Random decisions are lock-free and thread-safe: a splitmix64 sequence advanced with an atomic
 * fetch-add, so concurrent request threads never share mutable state beyond one counter.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "sim/parts.h"

#define FAULT_MAX_CODES 8
#define FAULT_SPEC_MAX 4096

static const char *const fault_verbs[] = {"get",    "list",  "watch",  "create",
                                          "update", "patch", "delete", "deletecollection"};

struct sim_faults {
    double error_rate;
    int codes[FAULT_MAX_CODES];
    size_t ncodes;
    int retry_after;
    int64_t latency_min_ms, latency_max_ms;
    int64_t watch_cut_ms;
    size_t event_window;
    int64_t restart_ms;
    unsigned verbs_mask; /* bit i = fault_verbs[i]; 0 = all */
    _Atomic uint64_t rng;
};

static uint64_t faults_next(struct sim_faults *f)
{
    uint64_t z = atomic_fetch_add(&f->rng, 0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static double faults_unit(struct sim_faults *f)
{
    return (double)(faults_next(f) >> 11) * (1.0 / 9007199254740992.0);
}

/* Parses "250ms", "1.5s", "2m", "1h" into milliseconds (> 0 unless allow_zero). */
static int parse_duration_ms(const char *s, bool allow_zero, int64_t *out)
{
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
        i++;
    if (i == 0 || i == n || i > 32)
        return SLU_EINVAL;
    char num[40];
    memcpy(num, s, i);
    num[i] = '\0';
    double v;
    if (slu_parse_double(num, &v) != 0 || !isfinite(v) || v < 0)
        return SLU_EINVAL;
    const char *unit = s + i;
    double mul;
    if (strcmp(unit, "ms") == 0)
        mul = 1;
    else if (strcmp(unit, "s") == 0)
        mul = 1000;
    else if (strcmp(unit, "m") == 0)
        mul = 60000;
    else if (strcmp(unit, "h") == 0)
        mul = 3600000;
    else
        return SLU_EINVAL;
    double ms = v * mul;
    if (ms > 1e12)
        return SLU_EINVAL;
    *out = (int64_t)llround(ms);
    if (*out == 0 && !allow_zero)
        return SLU_EINVAL;
    return 0;
}

static int parse_error_item(struct sim_faults *f, const char *item, const char *value,
                            struct slu_err *err)
{
    char rate_s[64];
    const char *colon = strchr(value, ':');
    size_t rl = colon ? (size_t)(colon - value) : strlen(value);
    if (rl == 0 || rl >= sizeof(rate_s))
        return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": missing error rate", item);
    memcpy(rate_s, value, rl);
    rate_s[rl] = '\0';
    double rate;
    bool pct = rate_s[rl - 1] == '%';
    if (pct)
        rate_s[rl - 1] = '\0';
    if (slu_parse_double(rate_s, &rate) != 0 || !isfinite(rate))
        return slu_err_set(err, SLU_EINVAL,
                           "faults: bad \"%s\": error rate must be a number in [0, 1] or a "
                           "percentage",
                           item);
    if (pct)
        rate /= 100.0;
    if (rate < 0 || rate > 1)
        return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": error rate must be in [0, 1]",
                           item);
    f->error_rate = rate;
    f->ncodes = 0;
    if (!colon) {
        f->codes[f->ncodes++] = 500;
        return 0;
    }
    if (colon[1] == '\0')
        return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": no status code after ':'", item);
    size_t count = 0;
    char **codes = slu_str_split(colon + 1, ',', true, &count);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t c;
        if (slu_parse_i64(codes[i], &c) != 0 ||
            (c != 429 && c != 500 && c != 502 && c != 503 && c != 504)) {
            rc = slu_err_set(err, SLU_EINVAL,
                             "faults: bad \"%s\": unsupported status code \"%s\" (429, 500, 502, "
                             "503, 504)",
                             item, codes[i]);
            break;
        }
        if (f->ncodes >= FAULT_MAX_CODES) {
            rc = slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": at most %d codes", item,
                             FAULT_MAX_CODES);
            break;
        }
        f->codes[f->ncodes++] = (int)c;
    }
    slu_strv_free(codes);
    if (rc == 0 && f->ncodes == 0)
        rc = slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": no status code after ':'", item);
    return rc;
}

static int parse_verbs(struct sim_faults *f, const char *item, const char *value,
                       struct slu_err *err)
{
    size_t count = 0;
    char **verbs = slu_str_split(value, ',', true, &count);
    int rc = 0;
    f->verbs_mask = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        size_t k;
        for (k = 0; k < SLU_ARRAY_LEN(fault_verbs); k++)
            if (strcmp(verbs[i], fault_verbs[k]) == 0)
                break;
        if (k == SLU_ARRAY_LEN(fault_verbs))
            rc = slu_err_set(err, SLU_EINVAL,
                             "faults: bad \"%s\": unknown verb \"%s\" (get, list, watch, create, "
                             "update, patch, delete, deletecollection)",
                             item, verbs[i]);
        else
            f->verbs_mask |= 1u << k;
    }
    slu_strv_free(verbs);
    if (rc == 0 && f->verbs_mask == 0)
        rc = slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": no verb given", item);
    return rc;
}

static int parse_item(struct sim_faults *f, const char *item, struct slu_err *err)
{
    const char *eq = strchr(item, '=');
    if (!eq)
        return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": expected name=value", item);
    size_t kl = (size_t)(eq - item);
    const char *value = eq + 1;
    if (*value == '\0')
        return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": empty value", item);
#define KEY_IS(k) (kl == strlen(k) && strncmp(item, k, kl) == 0)
    if (KEY_IS("error"))
        return parse_error_item(f, item, value, err);
    if (KEY_IS("verbs"))
        return parse_verbs(f, item, value, err);
    if (KEY_IS("latency")) {
        /* "MIN-MAX" or "DUR" */
        const char *dash = strchr(value, '-');
        int64_t lo, hi;
        if (dash) {
            char lo_s[64];
            size_t n = (size_t)(dash - value);
            if (n == 0 || n >= sizeof(lo_s))
                return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": expected MIN-MAX", item);
            memcpy(lo_s, value, n);
            lo_s[n] = '\0';
            if (parse_duration_ms(lo_s, true, &lo) != 0 || parse_duration_ms(dash + 1, true, &hi))
                return slu_err_set(err, SLU_EINVAL,
                                   "faults: bad \"%s\": durations need a unit (ms, s, m, h)", item);
            if (hi < lo)
                return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": MAX is below MIN", item);
        } else {
            if (parse_duration_ms(value, true, &lo) != 0)
                return slu_err_set(err, SLU_EINVAL,
                                   "faults: bad \"%s\": duration needs a unit (ms, s, m, h)", item);
            hi = lo;
        }
        f->latency_min_ms = lo;
        f->latency_max_ms = hi;
        return 0;
    }
    if (KEY_IS("watch-cut") || KEY_IS("restart")) {
        int64_t ms;
        if (parse_duration_ms(value, false, &ms) != 0)
            return slu_err_set(err, SLU_EINVAL,
                               "faults: bad \"%s\": expected a positive duration with a unit "
                               "(ms, s, m, h)",
                               item);
        if (KEY_IS("restart"))
            f->restart_ms = ms;
        else
            f->watch_cut_ms = ms;
        return 0;
    }
    if (KEY_IS("event-window")) {
        int64_t n;
        if (slu_parse_i64(value, &n) != 0 || n < 1 || n > 100000000)
            return slu_err_set(err, SLU_EINVAL,
                               "faults: bad \"%s\": expected a positive number of events", item);
        f->event_window = (size_t)n;
        return 0;
    }
    if (KEY_IS("retry-after")) {
        int64_t n;
        if (slu_parse_i64(value, &n) != 0 || n < 0 || n > 86400)
            return slu_err_set(err, SLU_EINVAL,
                               "faults: bad \"%s\": expected seconds in [0, 86400]", item);
        f->retry_after = (int)n;
        return 0;
    }
    if (KEY_IS("seed")) {
        uint64_t n;
        if (slu_parse_u64(value, &n) != 0)
            return slu_err_set(err, SLU_EINVAL, "faults: bad \"%s\": expected an integer", item);
        atomic_store(&f->rng, n);
        return 0;
    }
#undef KEY_IS
    return slu_err_set(err, SLU_EINVAL,
                       "faults: unknown item \"%.*s\" (error, retry-after, latency, watch-cut, "
                       "event-window, restart, verbs, seed)",
                       (int)kl, item);
}

int sim_faults_parse(const char *spec, struct sim_faults **out, struct slu_err *err)
{
    *out = NULL;
    struct sim_faults *f = slu_calloc(1, sizeof(*f));
    f->retry_after = 1;
    atomic_init(&f->rng, slu_random_u64());
    if (!spec || !*spec || strcmp(spec, "none") == 0) {
        *out = f;
        return 0;
    }
    if (strlen(spec) > FAULT_SPEC_MAX) {
        sim_faults_free(f);
        return slu_err_set(err, SLU_ETOOBIG, "faults: spec longer than %d bytes", FAULT_SPEC_MAX);
    }
    size_t count = 0;
    char **items = slu_str_split(spec, ';', true, &count);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (items[i][0] == '\0') {
            if (i + 1 == count && i > 0)
                break; /* a trailing ';' is fine */
            rc = slu_err_set(err, SLU_EINVAL, "faults: empty item %zu in \"%s\"", i + 1, spec);
            break;
        }
        rc = parse_item(f, items[i], err);
    }
    slu_strv_free(items);
    if (rc != 0) {
        sim_faults_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void sim_faults_free(struct sim_faults *f)
{
    free(f);
}

bool sim_faults_pick_error(struct sim_faults *f, const char *verb, int *http_status,
                           int *retry_after)
{
    if (!f || f->error_rate <= 0 || f->ncodes == 0)
        return false;
    if (f->verbs_mask && verb) {
        size_t k;
        for (k = 0; k < SLU_ARRAY_LEN(fault_verbs); k++)
            if (strcmp(verb, fault_verbs[k]) == 0)
                break;
        if (k == SLU_ARRAY_LEN(fault_verbs) || !(f->verbs_mask & (1u << k)))
            return false;
    }
    if (f->error_rate < 1 && faults_unit(f) >= f->error_rate)
        return false;
    int code = f->codes[faults_next(f) % f->ncodes];
    if (http_status)
        *http_status = code;
    if (retry_after)
        *retry_after = code == 429 ? f->retry_after : 0;
    return true;
}

int64_t sim_faults_latency_ms(struct sim_faults *f)
{
    if (!f || f->latency_max_ms <= 0)
        return 0;
    if (f->latency_max_ms == f->latency_min_ms)
        return f->latency_min_ms;
    uint64_t span = (uint64_t)(f->latency_max_ms - f->latency_min_ms) + 1;
    return f->latency_min_ms + (int64_t)(faults_next(f) % span);
}

int64_t sim_faults_watch_cut_ms(struct sim_faults *f)
{
    return f ? f->watch_cut_ms : 0;
}

size_t sim_faults_event_window(struct sim_faults *f)
{
    return f ? f->event_window : 0;
}

int64_t sim_faults_restart_ms(struct sim_faults *f)
{
    return f ? f->restart_ms : 0;
}
