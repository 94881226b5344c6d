/*
 * size.c - Spark's size and time strings, as JavaUtils.byteStringAs / timeStringAs read them.
 *
 * How it works: the input is trimmed as Java's String.trim does (every char <= U+0020 at both
 * ends) and lower-cased (ASCII), then matched against Spark's patterns:
 *   sizes: ([0-9]+)([a-z]+)?   suffixes b k kb m mb g gb t tb p pb (powers of 1024)
 *   times: (-?[0-9]+)([a-z]+)? suffixes us ms s m min h d
 * A number without a suffix is in the default unit. Conversion follows Spark exactly: sizes go
 * through ByteUnit.convertTo (towards a smaller unit it multiplies and fails on overflow, towards
 * a larger unit it divides and truncates); times go through TimeUnit.convert (divides and
 * truncates towards zero, multiplies and saturates at INT64_MIN/INT64_MAX). Error messages are
 * Spark's words, first line the general rule, second line the detail, e.g.
 *   "Size must be specified as bytes (b), kibibytes (k), ... E.g. 50b, 100k, or 250m.\n
 *    Fractional values are not supported. Input was: 1.5"
 * Nothing here allocates; every function is pure.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "spark/spark.h"

#define SIZE_ERROR                                                                                 \
    "Size must be specified as bytes (b), kibibytes (k), mebibytes (m), gibibytes (g), tebibytes " \
    "(t), or pebibytes(p). E.g. 50b, 100k, or 250m."
#define TIME_ERROR                                                                                 \
    "Time must be specified as seconds (s), milliseconds (ms), microseconds (us), minutes (m or "  \
    "min), hour (h), or day (d). E.g. 50s, 100ms, or 250us."

/* The longest input we look at; Spark has no limit but nothing sensible is this long. */
#define SIZE_MAX_INPUT 256

struct unit {
    const char *name;  /* suffix as written */
    const char *label; /* Java enum name, for messages */
    int64_t mult;      /* in the base unit (bytes or nanoseconds) */
};

static const struct unit byte_units[] = {
    {"b", "BYTE", 1},
    {"k", "KiB", INT64_C(1) << 10},
    {"kb", "KiB", INT64_C(1) << 10},
    {"m", "MiB", INT64_C(1) << 20},
    {"mb", "MiB", INT64_C(1) << 20},
    {"g", "GiB", INT64_C(1) << 30},
    {"gb", "GiB", INT64_C(1) << 30},
    {"t", "TiB", INT64_C(1) << 40},
    {"tb", "TiB", INT64_C(1) << 40},
    {"p", "PiB", INT64_C(1) << 50},
    {"pb", "PiB", INT64_C(1) << 50},
};

/* Time suffixes accepted in strings ("ns" is not, as in Spark). */
static const struct unit time_units[] = {
    {"us", "MICROSECONDS", INT64_C(1000)},    {"ms", "MILLISECONDS", INT64_C(1000000)},
    {"s", "SECONDS", INT64_C(1000000000)},    {"m", "MINUTES", INT64_C(60000000000)},
    {"min", "MINUTES", INT64_C(60000000000)}, {"h", "HOURS", INT64_C(3600000000000)},
    {"d", "DAYS", INT64_C(86400000000000)},
};
static const struct unit time_unit_ns = {"ns", "NANOSECONDS", 1};

static const struct unit *find_unit(const struct unit *units, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
            return &units[i];
    return NULL;
}

static const struct unit *find_byte_unit(const char *s)
{
    return s ? find_unit(byte_units, SLU_ARRAY_LEN(byte_units), s, strlen(s)) : NULL;
}

static const struct unit *find_time_unit(const char *s)
{
    if (!s)
        return NULL;
    if (strcmp(s, "ns") == 0)
        return &time_unit_ns;
    return find_unit(time_units, SLU_ARRAY_LEN(time_units), s, strlen(s));
}

/* Java String.trim + toLowerCase(ROOT) (ASCII) into buf. Returns false when too long. */
static bool normalise(const char *s, char *buf, size_t cap)
{
    size_t len = strlen(s);
    size_t b = 0, e = len;
    while (b < e && (unsigned char)s[b] <= 0x20)
        b++;
    while (e > b && (unsigned char)s[e - 1] <= 0x20)
        e--;
    if (e - b >= cap)
        return false;
    for (size_t i = b; i < e; i++)
        buf[i - b] = (char)tolower((unsigned char)s[i]);
    buf[e - b] = '\0';
    return true;
}

/* Long.parseLong of [0-9]+ (optionally with a leading '-'), false on overflow. */
static bool parse_long(const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    size_t i = 0;
    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return true;
}

static size_t span_digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

static size_t span_lower(const char *s)
{
    size_t n = 0;
    while (s[n] >= 'a' && s[n] <= 'z')
        n++;
    return n;
}

/* ByteUnit.convertTo(d, to) for d in unit `from`. */
static int byte_convert(int64_t d, const struct unit *from, const struct unit *to, int64_t *out,
                        struct slu_err *err)
{
    if (from->mult > to->mult) {
        int64_t ratio = from->mult / to->mult;
        if (INT64_MAX / ratio < d)
            return slu_err_set(err, SLU_EINVAL,
                               "Conversion of %lld exceeds Long.MAX_VALUE in %s. Try a larger "
                               "unit (e.g. MiB instead of KiB)",
                               (long long)d, from->label);
        *out = d * ratio;
    } else {
        *out = d / (to->mult / from->mult);
    }
    return 0;
}

/* Matches a size string; on success *v is the number and *from its unit (NULL: no suffix). */
static int size_match(const char *s, int64_t *v, const struct unit **from, struct slu_err *err)
{
    if (!s)
        return slu_err_set(err, SLU_EINVAL, SIZE_ERROR "\nFailed to parse byte string: null");
    char buf[SIZE_MAX_INPUT];
    if (!normalise(s, buf, sizeof(buf)))
        return slu_err_set(err, SLU_EINVAL, SIZE_ERROR "\nFailed to parse byte string: %.64s...",
                           s);
    size_t nd = span_digits(buf);
    if (nd > 0) {
        size_t ns = span_lower(buf + nd);
        if (buf[nd + ns] == '\0') {
            if (!parse_long(buf, nd, v))
                return slu_err_set(err, SLU_EINVAL, SIZE_ERROR "\nFor input string: \"%.*s\"",
                                   (int)nd, buf);
            *from = NULL;
            if (ns > 0) {
                *from = find_unit(byte_units, SLU_ARRAY_LEN(byte_units), buf + nd, ns);
                if (!*from)
                    return slu_err_set(err, SLU_EINVAL, SIZE_ERROR "\nInvalid suffix: \"%s\"",
                                       buf + nd);
            }
            return 0;
        }
        /* ([0-9]+\.[0-9]+)([a-z]+)? */
        if (buf[nd] == '.') {
            size_t nf = span_digits(buf + nd + 1);
            if (nf > 0 && buf[nd + 1 + nf + span_lower(buf + nd + 1 + nf)] == '\0')
                return slu_err_set(err, SLU_EINVAL,
                                   SIZE_ERROR "\nFractional values are not supported. Input was: "
                                              "%.*s",
                                   (int)(nd + 1 + nf), buf);
        }
    }
    return slu_err_set(err, SLU_EINVAL, SIZE_ERROR "\nFailed to parse byte string: %s", s);
}

int spark_size_as(const char *s, const char *unit, int64_t *out, struct slu_err *err)
{
    const struct unit *target = find_byte_unit(unit);
    if (!target)
        return slu_err_set(err, SLU_EINVAL, "unknown size unit \"%s\"", unit ? unit : "(null)");
    int64_t v;
    const struct unit *from;
    int rc = size_match(s, &v, &from, err);
    if (rc < 0)
        return rc;
    return byte_convert(v, from ? from : target, target, out, err);
}

int spark_size_parse(const char *s, const char *default_unit, int64_t *bytes, struct slu_err *err)
{
    const struct unit *def = find_byte_unit(default_unit);
    if (!def)
        return slu_err_set(err, SLU_EINVAL, "unknown size unit \"%s\"",
                           default_unit ? default_unit : "(null)");
    int64_t v;
    const struct unit *from;
    int rc = size_match(s, &v, &from, err);
    if (rc < 0)
        return rc;
    return byte_convert(v, from ? from : def, &byte_units[0], bytes, err);
}

int spark_memory_mib(const char *s, int64_t *mib, struct slu_err *err)
{
    return spark_size_as(s, "m", mib, err);
}

/* TimeUnit.convert(d, from) into `to`: truncating division, saturating multiplication. */
static int64_t time_convert(int64_t d, const struct unit *from, const struct unit *to)
{
    if (from->mult == to->mult)
        return d;
    if (from->mult < to->mult)
        return d / (to->mult / from->mult);
    int64_t ratio = from->mult / to->mult;
    if (d > INT64_MAX / ratio)
        return INT64_MAX;
    if (d < -(INT64_MAX / ratio))
        return INT64_MIN;
    return d * ratio;
}

int spark_time_as(const char *s, const char *unit, int64_t *out, struct slu_err *err)
{
    const struct unit *target = find_time_unit(unit);
    if (!target)
        return slu_err_set(err, SLU_EINVAL, "unknown time unit \"%s\"", unit ? unit : "(null)");
    return spark_time_parse_into(s, unit, unit, out, err);
}

int spark_time_parse_into(const char *s, const char *default_unit, const char *unit, int64_t *out,
                          struct slu_err *err)
{
    const struct unit *def = find_time_unit(default_unit);
    const struct unit *target = find_time_unit(unit);
    if (!def || !target)
        return slu_err_set(err, SLU_EINVAL, "unknown time unit \"%s\"",
                           !def ? (default_unit ? default_unit : "(null)") : unit);
    if (!s)
        return slu_err_set(err, SLU_EINVAL, TIME_ERROR "\nFailed to parse time string: null");
    char buf[SIZE_MAX_INPUT];
    if (!normalise(s, buf, sizeof(buf)))
        return slu_err_set(err, SLU_EINVAL, TIME_ERROR "\nFailed to parse time string: %.64s...",
                           s);
    size_t neg = buf[0] == '-' ? 1 : 0;
    size_t nd = span_digits(buf + neg);
    size_t ns = nd > 0 ? span_lower(buf + neg + nd) : 0;
    if (nd == 0 || buf[neg + nd + ns] != '\0')
        return slu_err_set(err, SLU_EINVAL, TIME_ERROR "\nFailed to parse time string: %s", s);
    int64_t v;
    if (!parse_long(buf, neg + nd, &v))
        return slu_err_set(err, SLU_EINVAL, TIME_ERROR "\nFor input string: \"%.*s\"",
                           (int)(neg + nd), buf);
    const struct unit *from = def;
    if (ns > 0) {
        from = find_unit(time_units, SLU_ARRAY_LEN(time_units), buf + neg + nd, ns);
        if (!from)
            return slu_err_set(err, SLU_EINVAL, TIME_ERROR "\nInvalid suffix: \"%s\"",
                               buf + neg + nd);
    }
    *out = time_convert(v, from, target);
    return 0;
}

int spark_time_parse(const char *s, const char *default_unit, int64_t *ms, struct slu_err *err)
{
    return spark_time_parse_into(s, default_unit, "ms", ms, err);
}
