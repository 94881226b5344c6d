/*
 * cron.c - cron schedules for ScheduledSparkApplication: parsing and next-fire-time computation
 * in a time zone, with the semantics of robfig/cron v3 `ParseStandard` (what the Kubeflow
 * operator uses), plus time zones read from the system tz database.
 *
 * Grammar: optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix, then either a descriptor
 * (@yearly @annually @monthly @weekly @daily @midnight @hourly, or `@every <Go duration>`) or
 * exactly five whitespace-separated fields: minute hour day-of-month month day-of-week. A field
 * is a comma list of `*`, `?`, `N`, `N-M`, each optionally `/step` (`N/step` means N-max/step);
 * months and weekdays also take names (JAN-DEC, SUN-SAT, any case); weekday 7 is Sunday too
 * (Vixie). Day-of-month and day-of-week are ORed unless either is `*`/`?` without a step, as
 * Vixie cron and robfig do. `@every d` fires every d rounded down to whole seconds (at least
 * 1 s), counted from the given time, in no particular zone.
 *
 * Next-time algorithm: robfig's SpecSchedule.Next, field by field (month, day, hour, minute) on
 * wall-clock fields of the zone, incrementing months and days through a normalising civil-date
 * constructor (Go's time.Date) and hours/minutes as absolute time. Consequences on DST days: a
 * wall time skipped by a spring-forward does not fire that day; a wall time repeated by a
 * fall-back fires at both instants. Searching stops five years ahead (no fire time: 0).
 *
 * Time zones (thread safety): we never touch the process's TZ variable (setenv/tzset/localtime
 * race with every other thread). Instead a zone is read once from /usr/share/zoneinfo/<name>
 * (or $TZDIR) as a TZif file (RFC 8536, v1 to v4: transitions, types and the POSIX TZ footer
 * rule that extends it past the last transition) into an immutable struct kept for the life of
 * the process in a mutex-protected cache; lookups afterwards are lock-free reads. "UTC" (and "")
 * is built in; "Local" is the process's zone as Go decides it: $TZ (empty: UTC; a name or a
 * path, with an optional leading ':'), else /etc/localtime, else UTC.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "operator/operator.h"
#include "operator/sched_int.h"

#define TZ_FILE_MAX (1 << 20)
#define TZ_NAME_MAX 255
#define CRON_SPEC_MAX 1024
#define T_ALPHA INT64_MIN
#define T_OMEGA INT64_MAX
#define DAY 86400

/* ================================================================ civil dates */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; day may overflow). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ================================================================ POSIX TZ rules */

struct tz_date {
    char kind; /* 'J': Jn (1-365, Feb 29 never counted), 'N': n (0-365), 'M': Mm.w.d */
    int n, m, w, d;
    int32_t time; /* seconds after local midnight, may be negative or > 24 h */
};

struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    struct tz_date start, end; /* DST starts at start (in standard time), ends at end (in DST) */
};

struct op_tz {
    char *name;
    size_t ntrans;
    int64_t *trans;
    uint8_t *idx;
    size_t ntypes;
    int32_t *off;
    bool *isdst;
    bool has_rule;
    struct tz_rule rule;
};

static const char *tz_rule_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        if (!e || e - s < 2)
            return NULL;
        return e + 1;
    }
    const char *p = s;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; returns the end or NULL. Seconds in *out. */
static const char *tz_rule_hms(const char *s, int max_h, int32_t *out)
{
    int sign = 1;
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    int part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s))
            return NULL;
        int v = 0, nd = 0;
        while (isdigit((unsigned char)*s) && nd < 3) {
            v = v * 10 + (*s - '0');
            s++;
            nd++;
        }
        if (isdigit((unsigned char)*s))
            return NULL;
        part[i] = v;
        if (*s != ':')
            break;
        s++;
    }
    if (part[0] > max_h || part[1] > 59 || part[2] > 59)
        return NULL;
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return s;
}

static const char *tz_rule_num(const char *s, int lo, int hi, int *out)
{
    if (!isdigit((unsigned char)*s))
        return NULL;
    int v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > hi)
            return NULL;
        s++;
    }
    if (v < lo)
        return NULL;
    *out = v;
    return s;
}

static const char *tz_rule_date(const char *s, struct tz_date *d)
{
    memset(d, 0, sizeof(*d));
    d->time = 7200; /* 02:00 by default */
    if (*s == 'J') {
        d->kind = 'J';
        s = tz_rule_num(s + 1, 1, 365, &d->n);
    } else if (*s == 'M') {
        d->kind = 'M';
        s = tz_rule_num(s + 1, 1, 12, &d->m);
        if (!s || *s != '.')
            return NULL;
        s = tz_rule_num(s + 1, 1, 5, &d->w);
        if (!s || *s != '.')
            return NULL;
        s = tz_rule_num(s + 1, 0, 6, &d->d);
    } else {
        d->kind = 'N';
        s = tz_rule_num(s, 0, 365, &d->n);
    }
    if (s && *s == '/')
        s = tz_rule_hms(s + 1, 167, &d->time);
    return s;
}

/* Parses a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"). Returns false when malformed. */
static bool tz_rule_parse(const char *s, struct tz_rule *r)
{
    memset(r, 0, sizeof(*r));
    const char *p = tz_rule_name(s);
    if (!p)
        return false;
    int32_t posix;
    p = tz_rule_hms(p, 24, &posix);
    if (!p)
        return false;
    r->std_off = -posix;
    if (!*p)
        return true;
    p = tz_rule_name(p);
    if (!p)
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        p = tz_rule_hms(p, 24, &posix);
        if (!p)
            return false;
        r->dst_off = -posix;
    }
    if (!*p) { /* no rule: the US rules, as Go and glibc assume */
        r->start = (struct tz_date){'M', 0, 3, 2, 0, 7200};
        r->end = (struct tz_date){'M', 0, 11, 1, 0, 7200};
        return true;
    }
    if (*p != ',')
        return false;
    p = tz_rule_date(p + 1, &r->start);
    if (!p || *p != ',')
        return false;
    p = tz_rule_date(p + 1, &r->end);
    return p && !*p;
}

/* Seconds after the start of the year (UTC) at which rule date d happens, with off in force. */
static int64_t tz_rule_time(int64_t year, const struct tz_date *d, int32_t off)
{
    int64_t s = 0;
    switch (d->kind) {
    case 'J':
        s = (int64_t)(d->n - 1) * DAY;
        if (is_leap(year) && d->n >= 60)
            s += DAY;
        break;
    case 'N':
        s = (int64_t)d->n * DAY;
        break;
    default: {
        int64_t first = days_from_civil(year, d->m, 1);
        int wd0 = (int)floor_mod(first + 4, 7); /* 1970-01-01 was a Thursday */
        int day = d->d - wd0;
        if (day < 0)
            day += 7;
        for (int i = 1; i < d->w; i++) {
            if (day + 7 >= days_in_month(year, d->m))
                break;
            day += 7;
        }
        s = (first - days_from_civil(year, 1, 1) + day) * DAY;
        break;
    }
    }
    return s + d->time - off;
}

static void tz_rule_lookup(const struct tz_rule *r, int64_t t, int64_t lo, int32_t *off,
                           int64_t *start, int64_t *end)
{
    if (!r->has_dst) {
        *off = r->std_off;
        *start = lo;
        *end = T_OMEGA;
        return;
    }
    int64_t y;
    int m, d;
    civil_from_days(floor_div(t, DAY), &y, &m, &d);
    int64_t ystart = days_from_civil(y, 1, 1) * DAY;
    int64_t ysec = t - ystart;
    int64_t ylen = (is_leap(y) ? 366 : 365) * (int64_t)DAY;
    int64_t s = tz_rule_time(y, &r->start, r->std_off);
    int64_t e = tz_rule_time(y, &r->end, r->dst_off);
    int32_t a_off = r->std_off, b_off = r->dst_off; /* a: outside [s,e), b: inside */
    if (e < s) {
        int64_t tmp = s;
        s = e;
        e = tmp;
        a_off = r->dst_off;
        b_off = r->std_off;
    }
    if (ysec < s) {
        *off = a_off;
        *start = ystart;
        *end = ystart + s;
    } else if (ysec >= e) {
        *off = a_off;
        *start = ystart + e;
        *end = ystart + ylen;
    } else {
        *off = b_off;
        *start = ystart + s;
        *end = ystart + e;
    }
}

/* ================================================================ zones */

/* Offset (seconds east) in force at unix time t, and the [start, end) it holds over. */
static void tz_lookup(const struct op_tz *z, int64_t t, int32_t *off, int64_t *start, int64_t *end)
{
    if (z->ntrans == 0) {
        if (z->has_rule) {
            tz_rule_lookup(&z->rule, t, T_ALPHA, off, start, end);
            return;
        }
        *off = z->ntypes ? z->off[0] : 0;
        *start = T_ALPHA;
        *end = T_OMEGA;
        return;
    }
    if (t < z->trans[0]) {
        *off = z->off[0];
        *start = T_ALPHA;
        *end = z->trans[0];
        return;
    }
    size_t lo = 0, hi = z->ntrans; /* last i with trans[i] <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    *off = z->off[z->idx[lo]];
    *start = z->trans[lo];
    *end = lo + 1 < z->ntrans ? z->trans[lo + 1] : T_OMEGA;
    if (lo + 1 == z->ntrans && z->has_rule)
        tz_rule_lookup(&z->rule, t, *start, off, start, end);
}

int op_tz_offset(const struct op_tz *z, int64_t t)
{
    int32_t off;
    int64_t s, e;
    tz_lookup(z, t, &off, &s, &e);
    return off;
}

const char *op_tz_name(const struct op_tz *z)
{
    return z->name;
}

void op__tz_free(struct op_tz *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->trans);
    free(z->idx);
    free(z->off);
    free(z->isdst);
    free(z);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

int op__tz_parse(const char *name, const void *data, size_t n, struct op_tz **out,
                 struct slu_err *err)
{
    const unsigned char *p = data, *end = p + n;
    *out = NULL;
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return slu_err_set(err, SLU_EPARSE, "time zone \"%s\": not a TZif file", name);
    char version = (char)p[4];
    uint32_t cnt[6];
    int tsize = 4;
    for (int pass = 0;; pass++) {
        if (end - p < 44 || memcmp(p, "TZif", 4) != 0)
            return slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad TZif header", name);
        for (int i = 0; i < 6; i++)
            cnt[i] = be32(p + 20 + 4 * i);
        /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
        if (cnt[3] > 100000 || cnt[4] == 0 || cnt[4] > 256 || cnt[5] > 65536 || cnt[2] > 10000 ||
            (cnt[0] && cnt[0] != cnt[4]) || (cnt[1] && cnt[1] != cnt[4]))
            return slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad TZif counts", name);
        size_t body = (size_t)cnt[3] * (tsize + 1) + (size_t)cnt[4] * 6 + cnt[5] +
                      (size_t)cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
        if ((size_t)(end - p) - 44 < body)
            return slu_err_set(err, SLU_EPARSE, "time zone \"%s\": truncated TZif file", name);
        if (pass == 0 && version >= '2') {
            p += 44 + body;
            tsize = 8;
            continue;
        }
        p += 44;
        break;
    }
    struct op_tz *z = slu_calloc(1, sizeof(*z));
    z->name = slu_strdup(name);
    z->ntrans = cnt[3];
    z->ntypes = cnt[4];
    z->trans = slu_calloc(z->ntrans ? z->ntrans : 1, sizeof(int64_t));
    z->idx = slu_calloc(z->ntrans ? z->ntrans : 1, 1);
    z->off = slu_calloc(z->ntypes, sizeof(int32_t));
    z->isdst = slu_calloc(z->ntypes, sizeof(bool));
    int rc = 0;
    for (size_t i = 0; i < z->ntrans; i++, p += tsize) {
        z->trans[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if (i > 0 && z->trans[i] <= z->trans[i - 1]) {
            rc = slu_err_set(err, SLU_EPARSE, "time zone \"%s\": transitions out of order", name);
            goto out;
        }
    }
    for (size_t i = 0; i < z->ntrans; i++, p++) {
        z->idx[i] = *p;
        if (*p >= z->ntypes) {
            rc = slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad type index", name);
            goto out;
        }
    }
    for (size_t i = 0; i < z->ntypes; i++, p += 6) {
        int32_t off = (int32_t)be32(p);
        if (off < -26 * 3600 || off > 26 * 3600 || p[4] > 1) {
            rc = slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad local time type", name);
            goto out;
        }
        z->off[i] = off;
        z->isdst[i] = p[4];
    }
    p += cnt[5] + (size_t)cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
    if (version >= '2' && p < end && *p == '\n') {
        const unsigned char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
        if (!nl || nl - p - 1 > 255) {
            rc = slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad TZif footer", name);
            goto out;
        }
        if (nl > p + 1) {
            char footer[256];
            memcpy(footer, p + 1, (size_t)(nl - p - 1));
            footer[nl - p - 1] = '\0';
            if (!tz_rule_parse(footer, &z->rule)) {
                rc = slu_err_set(err, SLU_EPARSE, "time zone \"%s\": bad TZ rule \"%s\"", name,
                                 footer);
                goto out;
            }
            z->has_rule = true;
        }
    }
out:
    if (rc < 0) {
        op__tz_free(z);
        return rc;
    }
    *out = z;
    return 0;
}

static struct op_tz *tz_utc(const char *name)
{
    struct op_tz *z = slu_calloc(1, sizeof(*z));
    z->name = slu_strdup(name);
    z->ntypes = 1;
    z->off = slu_calloc(1, sizeof(int32_t));
    z->isdst = slu_calloc(1, sizeof(bool));
    z->trans = slu_calloc(1, sizeof(int64_t));
    z->idx = slu_calloc(1, 1);
    return z;
}

static int tz_load_path(const char *name, const char *path, struct op_tz **out, struct slu_err *err)
{
    struct slu_buf b = {0};
    struct slu_err e = {0};
    int rc = slu_read_file(path, TZ_FILE_MAX, &b, &e);
    if (rc < 0) {
        rc = slu_err_set(err, SLU_ENOTFOUND, "unknown time zone \"%s\"", name);
        slu_err_release(&e);
        slu_buf_release(&b);
        return rc;
    }
    slu_err_release(&e);
    rc = op__tz_parse(name, b.data, b.len, out, err);
    slu_buf_release(&b);
    return rc;
}

static pthread_once_t tz_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slu_map tz_cache; /* name -> struct op_tz * (never freed) */
static char tz_dir[512];
static struct op_tz *tz_local, *tz_utc_zone;

static void tz_init(void)
{
    slu_map_init(&tz_cache, NULL);
    const char *dir = getenv("TZDIR");
    slu_strlcpy(tz_dir, dir && *dir ? dir : "/usr/share/zoneinfo", sizeof(tz_dir));
    tz_utc_zone = tz_utc("UTC");
    const char *tz = getenv("TZ");
    struct op_tz *z = NULL;
    if (tz) {
        if (*tz == ':')
            tz++;
        if (*tz == '/') {
            tz_load_path("Local", tz, &z, NULL);
        } else if (*tz && !strstr(tz, "..") && strlen(tz) < 256) {
            char *path = slu_asprintf("%s/%s", tz_dir, tz);
            tz_load_path("Local", path, &z, NULL);
            free(path);
        }
    } else {
        tz_load_path("Local", "/etc/localtime", &z, NULL);
    }
    if (!z)
        z = tz_utc("Local");
    tz_local = z;
}

static bool tz_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
            return false;
    return true;
}

int op_tz_load(const char *name, const struct op_tz **out, struct slu_err *err)
{
    pthread_once(&tz_once, tz_init);
    *out = NULL;
    if (!name || !*name || strcmp(name, "UTC") == 0) {
        *out = tz_utc_zone;
        return 0;
    }
    if (strcmp(name, "Local") == 0) {
        *out = tz_local;
        return 0;
    }
    if (!tz_name_ok(name))
        return slu_err_set(err, SLU_EINVAL, "invalid time zone name \"%.64s\"", name);
    pthread_mutex_lock(&tz_mu);
    struct op_tz *z = slu_map_get(&tz_cache, name);
    pthread_mutex_unlock(&tz_mu);
    if (z) {
        *out = z;
        return 0;
    }
    char *path = slu_asprintf("%s/%s", tz_dir, name);
    int rc = tz_load_path(name, path, &z, err);
    free(path);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&tz_mu);
    struct op_tz *had = slu_map_get(&tz_cache, name);
    if (had) { /* another thread won the race */
        op__tz_free(z);
        z = had;
    } else {
        slu_map_put(&tz_cache, name, z);
    }
    pthread_mutex_unlock(&tz_mu);
    *out = z;
    return 0;
}

/* ---------------------------------------------------------------- wall clock in a zone */

void op_tz_civil(const struct op_tz *z, int64_t t, struct op_civil *c)
{
    int64_t local = t + op_tz_offset(z, t);
    int64_t days = floor_div(local, DAY);
    int64_t sod = local - days * DAY;
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (int)(sod / 3600);
    c->minute = (int)(sod / 60 % 60);
    c->second = (int)(sod % 60);
    c->weekday = (int)floor_mod(days + 4, 7);
}

/* Go's time.Date: fields may be out of range and are normalised; an instant that does not exist
 * or exists twice on a DST day is resolved as Go resolves it. */
int64_t op_tz_date(const struct op_tz *z, int64_t year, int64_t month, int64_t day, int64_t hour,
                   int64_t minute, int64_t second)
{
    int64_t m0 = month - 1;
    year += floor_div(m0, 12);
    m0 = floor_mod(m0, 12);
    int64_t unix =
        (days_from_civil(year, m0 + 1, 1) + day - 1) * DAY + hour * 3600 + minute * 60 + second;
    int32_t off;
    int64_t s, e;
    tz_lookup(z, unix, &off, &s, &e);
    if (off != 0) {
        int64_t utc = unix - off;
        if (utc < s || utc >= e) {
            int64_t s2, e2;
            tz_lookup(z, utc, &off, &s2, &e2);
        }
        unix -= off;
    }
    return unix;
}

/* ================================================================ schedules */

#define STAR_BIT (1ULL << 63)

struct op_cron {
    char *spec;
    const struct op_tz *tz;
    int64_t every; /* seconds; 0: a field schedule */
    uint64_t minute, hour, dom, month, dow;
};

struct field_def {
    const char *name;
    int min, max;
    const char *const *names; /* index = value */
};

static const char *const MONTH_NAMES[] = {"",    "jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const DOW_NAMES[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const struct field_def FIELDS[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},    {"month", 1, 12, MONTH_NAMES},
    {"day-of-week", 0, 7, DOW_NAMES},
};

static int cron_fail(struct slu_err *err, const char *spec, const char *fmt, ...) SLU_PRINTF(3, 4);
static int cron_fail(struct slu_err *err, const char *spec, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return slu_err_set(err, SLU_EINVAL, "schedule \"%.200s\": %s", spec, msg);
}

/* A number or (for months and weekdays) a name; -1 when neither. */
static int field_value(const struct field_def *f, const char *s, size_t n)
{
    if (n == 0)
        return -1;
    if (f->names && n == 3) {
        for (int i = 0; f->names[i]; i++)
            if (f->names[i][0] && strncasecmp(s, f->names[i], 3) == 0)
                return i;
    }
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > 1000000)
            return 1000000; /* reported as out of range */
    }
    return v;
}

static int parse_range(const struct field_def *f, const char *spec, const char *s, size_t n,
                       uint64_t *bits, struct slu_err *err)
{
    const char *slash = memchr(s, '/', n);
    size_t rn = slash ? (size_t)(slash - s) : n;
    if (slash && memchr(slash + 1, '/', n - rn - 1))
        return cron_fail(err, spec, "%s field: \"%.*s\": too many slashes", f->name, (int)n, s);
    int start, end, step = 1;
    uint64_t extra = 0;
    bool single = false;
    if (rn == 1 && (s[0] == '*' || s[0] == '?')) {
        start = f->min;
        end = f->max == 7 ? 6 : f->max;
        extra = STAR_BIT;
    } else {
        const char *dash = memchr(s, '-', rn);
        size_t an = dash ? (size_t)(dash - s) : rn;
        if (dash && memchr(dash + 1, '-', rn - an - 1))
            return cron_fail(err, spec, "%s field: \"%.*s\": too many hyphens", f->name, (int)n, s);
        start = field_value(f, s, an);
        if (start < 0)
            return cron_fail(err, spec, "%s field: bad value \"%.*s\"", f->name,
                             (int)(an ? an : rn), s);
        if (dash) {
            end = field_value(f, dash + 1, rn - an - 1);
            if (end < 0)
                return cron_fail(err, spec, "%s field: bad value \"%.*s\"", f->name,
                                 (int)(rn - an - 1), dash + 1);
        } else {
            end = start;
            single = true;
        }
    }
    if (slash) {
        size_t sn = n - rn - 1;
        int v = field_value(&FIELDS[0], slash + 1, sn); /* digits only */
        if (v < 0)
            return cron_fail(err, spec, "%s field: bad step \"%.*s\"", f->name, (int)sn, slash + 1);
        if (v == 0)
            return cron_fail(err, spec, "%s field: step must be positive in \"%.*s\"", f->name,
                             (int)n, s);
        step = v;
        if (single) /* "N/step" means N-max/step */
            end = f->max == 7 ? 6 : f->max;
        if (step > 1)
            extra = 0;
    }
    if (start < f->min || start > f->max)
        return cron_fail(err, spec, "%s field: value %d out of range %d-%d", f->name, start, f->min,
                         f->max);
    if (end < f->min || end > f->max)
        return cron_fail(err, spec, "%s field: value %d out of range %d-%d", f->name, end, f->min,
                         f->max);
    if (start > end)
        return cron_fail(err, spec, "%s field: range %d-%d: start beyond end", f->name, start, end);
    for (int i = start; i <= end; i += step)
        *bits |= 1ULL << i;
    *bits |= extra;
    return 0;
}

static int parse_field(const struct field_def *f, const char *spec, const char *s, size_t n,
                       uint64_t *bits, struct slu_err *err)
{
    *bits = 0;
    const char *p = s, *e = s + n;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(e - p));
        size_t len = comma ? (size_t)(comma - p) : (size_t)(e - p);
        if (len == 0)
            return cron_fail(err, spec, "%s field: empty list element in \"%.*s\"", f->name, (int)n,
                             s);
        int rc = parse_range(f, spec, p, len, bits, err);
        if (rc < 0)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (f->max == 7 && (*bits & (1ULL << 7))) { /* weekday 7 is Sunday */
        *bits &= ~(1ULL << 7);
        *bits |= 1ULL;
    }
    return 0;
}

/* Go's time.ParseDuration into nanoseconds. */
int op_parse_go_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *u;
        int64_t ns;
    } units[] = {
        {"ns", 1},       {"us", 1000},        {"\xc2\xb5s", 1000},  {"\xce\xbcs", 1000},
        {"ms", 1000000}, {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
    bool neg = false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!*s)
        return SLU_EINVAL;
    __int128 total = 0;
    while (*s) {
        if (!(*s == '.' || isdigit((unsigned char)*s)))
            return SLU_EINVAL;
        __int128 v = 0, f = 0, scale = 1;
        bool pre = false, post = false;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > ((__int128)1 << 63))
                return SLU_EINVAL;
            s++;
            pre = true;
        }
        if (*s == '.') {
            s++;
            while (isdigit((unsigned char)*s)) {
                if (scale < (__int128)1000000000000000000LL) { /* keep 18 digits */
                    f = f * 10 + (*s - '0');
                    scale *= 10;
                }
                s++;
                post = true;
            }
        }
        if (!pre && !post)
            return SLU_EINVAL;
        size_t ul = 0;
        while (s[ul] && s[ul] != '.' && !isdigit((unsigned char)s[ul]))
            ul++;
        if (ul == 0)
            return SLU_EINVAL;
        int64_t unit = 0;
        for (size_t i = 0; i < SLU_ARRAY_LEN(units); i++)
            if (strlen(units[i].u) == ul && strncmp(s, units[i].u, ul) == 0)
                unit = units[i].ns;
        if (!unit)
            return SLU_EINVAL;
        s += ul;
        total += v * unit + f * unit / scale;
        if (total > INT64_MAX)
            return SLU_EINVAL;
    }
    *ns = (int64_t)(neg ? -total : total);
    return 0;
}

static const struct {
    const char *name;
    const char *fields;
} DESCRIPTORS[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static int parse_fields(struct op_cron *c, const char *spec, const char *s, struct slu_err *err)
{
    const char *start[6];
    size_t len[6];
    int nf = 0;
    const char *p = s;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *b = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (nf < 6) {
            start[nf] = b;
            len[nf] = (size_t)(p - b);
        }
        nf++;
    }
    if (nf != 5)
        return cron_fail(err, spec,
                         "expected 5 fields (minute hour day-of-month month day-of-week), "
                         "found %d",
                         nf);
    uint64_t *dst[5] = {&c->minute, &c->hour, &c->dom, &c->month, &c->dow};
    for (int i = 0; i < 5; i++) {
        int rc = parse_field(&FIELDS[i], spec, start[i], len[i], dst[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int op_cron_parse(const char *spec, const char *tz, struct op_cron **out, struct slu_err *err)
{
    *out = NULL;
    if (!spec)
        spec = "";
    if (strlen(spec) > CRON_SPEC_MAX)
        return slu_err_set(err, SLU_EINVAL, "schedule: longer than %d bytes", CRON_SPEC_MAX);
    struct op_cron *c = slu_calloc(1, sizeof(*c));
    c->spec = slu_strdup(spec);
    const char *s = spec;
    while (isspace((unsigned char)*s))
        s++;
    int rc = 0;
    char zone[TZ_NAME_MAX + 1];
    slu_strlcpy(zone, tz && *tz ? tz : "Local", sizeof(zone));
    if (slu_str_has_prefix(s, "CRON_TZ=") || slu_str_has_prefix(s, "TZ=")) {
        const char *eq = strchr(s, '=') + 1;
        const char *sp = eq;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        if (!*sp || sp == eq) {
            rc = cron_fail(err, spec, "a time zone prefix must be followed by a schedule");
            goto out;
        }
        if ((size_t)(sp - eq) > TZ_NAME_MAX) {
            rc = cron_fail(err, spec, "time zone name too long");
            goto out;
        }
        memcpy(zone, eq, (size_t)(sp - eq));
        zone[sp - eq] = '\0';
        s = sp;
        while (isspace((unsigned char)*s))
            s++;
    }
    struct slu_err zerr = {0};
    if (op_tz_load(zone, &c->tz, &zerr) < 0) {
        rc = cron_fail(err, spec, "%s", zerr.msg);
        slu_err_release(&zerr);
        goto out;
    }
    if (!*s) {
        rc = cron_fail(err, spec, "empty schedule");
        goto out;
    }
    if (*s == '@') {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        if (slu_str_has_prefix(s, "@every") && isspace((unsigned char)s[6])) {
            const char *d = s + 6;
            while (isspace((unsigned char)*d))
                d++;
            char dur[64];
            size_t dn = n - (size_t)(d - s);
            if (dn >= sizeof(dur)) {
                rc = cron_fail(err, spec, "@every: bad duration \"%.64s\"", d);
                goto out;
            }
            memcpy(dur, d, dn);
            dur[dn] = '\0';
            int64_t ns = 0;
            if (op_parse_go_duration(dur, &ns) < 0) {
                rc = cron_fail(err, spec,
                               "@every: bad duration \"%s\" (expected e.g. 30s, 1m30s, 2h)", dur);
                goto out;
            }
            /* robfig's Every(): at least one second, rounded down to whole seconds */
            c->every = ns < 1000000000LL ? 1 : ns / 1000000000LL;
            goto out;
        }
        for (size_t i = 0; i < SLU_ARRAY_LEN(DESCRIPTORS); i++) {
            if (strlen(DESCRIPTORS[i].name) == n && strncmp(s, DESCRIPTORS[i].name, n) == 0) {
                rc = parse_fields(c, spec, DESCRIPTORS[i].fields, err);
                goto out;
            }
        }
        rc = cron_fail(err, spec, "unknown descriptor \"%.*s\"", (int)SLU_MIN(n, 64), s);
        goto out;
    }
    rc = parse_fields(c, spec, s, err);
out:
    if (rc < 0) {
        op_cron_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void op_cron_free(struct op_cron *c)
{
    if (!c)
        return;
    free(c->spec);
    free(c);
}

int64_t op_cron_every(const struct op_cron *c)
{
    return c->every;
}

const struct op_tz *op_cron_tz(const struct op_cron *c)
{
    return c->tz;
}

static bool day_matches(const struct op_cron *c, const struct op_civil *t)
{
    bool dom = (c->dom >> t->day) & 1;
    bool dow = (c->dow >> t->weekday) & 1;
    if ((c->dom & STAR_BIT) || (c->dow & STAR_BIT))
        return dom && dow;
    return dom || dow;
}

int64_t op_cron_next(const struct op_cron *c, int64_t after)
{
    if (c->every)
        return after + c->every;
    const struct op_tz *z = c->tz;
    int64_t t = after + 1;
    bool added = false;
    struct op_civil v;
    op_tz_civil(z, t, &v);
    int64_t year_limit = v.year + 5;
    long budget = 2000000; /* guards against zones with odd (pre-1900, seconds) offsets */
wrap:
    if (--budget < 0)
        return 0;
    op_tz_civil(z, t, &v);
    if (v.year > year_limit)
        return 0;
    while (!((c->month >> v.month) & 1)) {
        if (!added) {
            added = true;
            t = op_tz_date(z, v.year, v.month, 1, 0, 0, 0);
            op_tz_civil(z, t, &v);
        }
        t = op_tz_date(z, v.year, v.month + 1, v.day, v.hour, v.minute, v.second);
        op_tz_civil(z, t, &v);
        if (v.month == 1)
            goto wrap;
    }
    while (!day_matches(c, &v)) {
        if (!added) {
            added = true;
            t = op_tz_date(z, v.year, v.month, v.day, 0, 0, 0);
            op_tz_civil(z, t, &v);
        }
        t = op_tz_date(z, v.year, v.month, v.day + 1, v.hour, v.minute, v.second);
        op_tz_civil(z, t, &v);
        if (v.hour != 0) { /* midnight skipped or repeated by DST */
            if (v.hour > 12)
                t += (int64_t)(24 - v.hour) * 3600;
            else
                t -= (int64_t)v.hour * 3600;
            op_tz_civil(z, t, &v);
        }
        if (v.day == 1)
            goto wrap;
        if (--budget < 0)
            return 0;
    }
    while (!((c->hour >> v.hour) & 1)) {
        if (!added) {
            added = true;
            t = op_tz_date(z, v.year, v.month, v.day, v.hour, 0, 0);
            op_tz_civil(z, t, &v);
        }
        t += 3600;
        op_tz_civil(z, t, &v);
        if (v.hour == 0)
            goto wrap;
    }
    while (!((c->minute >> v.minute) & 1)) {
        if (!added) {
            added = true;
            t -= floor_mod(t, 60);
        }
        t += 60;
        op_tz_civil(z, t, &v);
        if (v.minute == 0)
            goto wrap;
    }
    while (v.second != 0) {
        if (!added)
            added = true;
        t += 1;
        op_tz_civil(z, t, &v);
        if (v.second == 0)
            goto wrap;
        if (--budget < 0)
            return 0;
    }
    return t;
}
