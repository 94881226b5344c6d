/*
 * quantity.c - Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource.Quantity):
 * parse, compare, add, print.
 *
 * How it works: a quantity is an exact signed count of nano-units in an __int128 plus the format
 * it was written in (DecimalSI "1k", BinarySI "1Ki", DecimalExponent "1e3"). Parsing follows
 * Kubernetes' own scanner step by step (sign, leading zeros, integer digits, optional fraction,
 * suffix letters, optional signed exponent digits) and then computes the exact value with a tiny
 * arbitrary-precision integer, rounding the magnitude up to the next nano as Kubernetes does
 * ("0.1n" -> "1n"). BinarySI values above 2^63-1 are capped as Kubernetes caps them; a BinarySI
 * value strictly between -1 and 1 becomes DecimalSI. Printing is Quantity.String()'s canonical
 * form: DecimalSI/DecimalExponent move every factor of ten into the exponent, then lower the
 * exponent to a multiple of three ("1.5" -> "1500m", "1000M" -> "1G"); BinarySI prints as
 * m*1024^k when the value is an integer of magnitude >= 1024 ("1.5Gi" -> "1536Mi"), else falls
 * back to DecimalSI ("1.5Ki" -> "1536"). Exponents with no SI suffix (>= 10^21) print as "e21",
 * as current Kubernetes does.
 *
 * Known difference: Go's Quantity caches the string it was parsed from when that string is
 * already canonical-looking, so ParseQuantity("+1").String() is "+1" and "1E3" stays "1E3";
 * we always print the canonical form ("1", "1e3"). Values beyond +-1.7e29 are a parse error here
 * (Go has arbitrary precision).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

#define QTY_MAX_INPUT 1024 /* hard cap on a quantity string's length */

static const char QTY_ERR_FORMAT[] =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char QTY_ERR_NUMERIC[] = "unable to parse numeric part of quantity";
static const char QTY_ERR_SUFFIX[] = "unable to parse quantity's suffix";

typedef unsigned __int128 u128;
typedef __int128 i128;

#define I128_MAX ((i128)(((u128)1 << 127) - 1))
#define NANO ((i128)1000000000)

/* 2^63-1 units: the cap Kubernetes applies to BinarySI quantities. */
#define BINARY_MAX_NANOS ((i128)INT64_MAX * NANO)

/* ---------------------------------------------------------------- tiny bignum */

/* Little-endian base 2^32 limbs; enough for QTY_MAX_INPUT digits times 2^60. */
#define BIG_LIMBS 128

struct big {
    uint32_t l[BIG_LIMBS];
    int n; /* limbs in use; 0 means zero */
};

static void big_trim(struct big *b)
{
    while (b->n > 0 && b->l[b->n - 1] == 0)
        b->n--;
}

/* b = b * m + a; returns false on overflow of the fixed size (cannot happen within caps). */
static bool big_muladd(struct big *b, uint32_t m, uint32_t a)
{
    uint64_t carry = a;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->l[i] * m + carry;
        b->l[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) {
        if (b->n >= BIG_LIMBS)
            return false;
        b->l[b->n++] = (uint32_t)carry;
    }
    return true;
}

/* b = b / d; returns the remainder. */
static uint32_t big_divsmall(struct big *b, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | b->l[i];
        b->l[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    big_trim(b);
    return (uint32_t)rem;
}

/* Converts to u128 when it fits in 127 bits. */
static bool big_to_u128(const struct big *b, u128 *out)
{
    if (b->n > 4)
        return false;
    u128 v = 0;
    for (int i = b->n - 1; i >= 0; i--)
        v = (v << 32) | b->l[i];
    if (v > (u128)I128_MAX)
        return false;
    *out = v;
    return true;
}

/* ---------------------------------------------------------------- parse */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_suffix_char(char c)
{
    return c && strchr("eEinumkKMGTP", c) != NULL;
}

/* Go's strconv.ParseInt(s, 10, 64) restricted to the int32 range Kubernetes accepts for
 * exponents ([-MaxInt32, MaxInt32]). */
static bool parse_exponent(const char *s, size_t n, int32_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n)
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > INT32_MAX)
            return false;
    }
    *out = (int32_t)(neg ? -v : v);
    return true;
}

/* quantitySuffixer.interpret: base 10 or 2, exponent, format. */
static bool interpret_suffix(const char *s, size_t n, int *base, int32_t *exp,
                             enum kube_qformat *fmt)
{
    static const struct {
        const char *s;
        int base;
        int exp;
        enum kube_qformat fmt;
    } table[] = {
        {"", 10, 0, KUBE_QF_DECIMAL_SI},   {"n", 10, -9, KUBE_QF_DECIMAL_SI},
        {"u", 10, -6, KUBE_QF_DECIMAL_SI}, {"m", 10, -3, KUBE_QF_DECIMAL_SI},
        {"k", 10, 3, KUBE_QF_DECIMAL_SI},  {"M", 10, 6, KUBE_QF_DECIMAL_SI},
        {"G", 10, 9, KUBE_QF_DECIMAL_SI},  {"T", 10, 12, KUBE_QF_DECIMAL_SI},
        {"P", 10, 15, KUBE_QF_DECIMAL_SI}, {"E", 10, 18, KUBE_QF_DECIMAL_SI},
        {"Ki", 2, 10, KUBE_QF_BINARY_SI},  {"Mi", 2, 20, KUBE_QF_BINARY_SI},
        {"Gi", 2, 30, KUBE_QF_BINARY_SI},  {"Ti", 2, 40, KUBE_QF_BINARY_SI},
        {"Pi", 2, 50, KUBE_QF_BINARY_SI},  {"Ei", 2, 60, KUBE_QF_BINARY_SI},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(table); i++) {
        if (strlen(table[i].s) == n && memcmp(table[i].s, s, n) == 0) {
            *base = table[i].base;
            *exp = table[i].exp;
            *fmt = table[i].fmt;
            return true;
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        if (!parse_exponent(s + 1, n - 1, exp))
            return false;
        *base = 10;
        *fmt = KUBE_QF_DECIMAL_EXP;
        return true;
    }
    return false;
}

static int qerr(struct slu_err *err, const char *msg)
{
    return slu_err_set(err, SLU_EPARSE, "%s", msg);
}

int kube_quantity_parse(const char *str, struct kube_quantity *q, struct slu_err *err)
{
    struct kube_quantity zero = {0, KUBE_QF_DECIMAL_SI};
    if (q)
        *q = zero;
    if (!str || !*str)
        return qerr(err, QTY_ERR_FORMAT);
    size_t end = strnlen(str, QTY_MAX_INPUT + 1);
    if (end > QTY_MAX_INPUT)
        return slu_err_set(err, SLU_EPARSE, "quantity longer than %d characters", QTY_MAX_INPUT);
    if (strcmp(str, "0") == 0)
        return 0;

    /* ---- the scanner (parseQuantityString) */
    bool positive = true;
    size_t pos = 0;
    if (str[0] == '-' || str[0] == '+') {
        positive = str[0] == '+';
        pos++;
    }
    while (pos < end && str[pos] == '0')
        pos++;
    size_t num_start = pos, num_len, denom_start = 0, denom_len = 0, value_end;
    size_t suf_start = end, suf_len = 0;
    while (pos < end && is_digit(str[pos]))
        pos++;
    num_len = pos - num_start;
    if (pos == end) {
        value_end = end;
        goto scanned;
    }
    if (str[pos] == '.') {
        pos++;
        denom_start = pos;
        while (pos < end && is_digit(str[pos]))
            pos++;
        denom_len = pos - denom_start;
        if (pos == end) {
            value_end = end;
            goto scanned;
        }
    }
    value_end = pos;
    suf_start = pos;
    while (pos < end && is_suffix_char(str[pos]))
        pos++;
    if (pos < end && (str[pos] == '-' || str[pos] == '+'))
        pos++;
    while (pos < end && is_digit(str[pos]))
        pos++;
    if (pos < end)
        return qerr(err, QTY_ERR_FORMAT);
    suf_len = end - suf_start;

scanned:;
    int base;
    int32_t exponent;
    enum kube_qformat format;
    if (!interpret_suffix(str + suf_start, suf_len, &base, &exponent, &format))
        return qerr(err, QTY_ERR_SUFFIX);

    /* Kubernetes takes an int64 fast path when the digits fit; otherwise it parses the numeric
     * part with inf.Dec, which refuses a numeric part without digits ("-.", "Ei"). */
    size_t eff_num_len = num_len ? num_len : 1; /* "0" when every digit was a leading zero */
    bool fast = false;
    if (format == KUBE_QF_BINARY_SI) {
        if (exponent >= 0 && denom_len == 0) {
            long precision = 15 - (long)eff_num_len - (long)((float)exponent * 3.0f / 10.0f) - 1;
            fast = precision >= 0; /* int64 multiply cannot overflow within that precision */
        }
    } else {
        long precision = 18 - (long)(eff_num_len + denom_len);
        fast = precision >= 0 && (int64_t)exponent - (int64_t)denom_len >= -9;
    }
    if (!fast) {
        bool any_digit = false;
        for (size_t i = 0; i < value_end; i++)
            any_digit |= is_digit(str[i]);
        if (!any_digit)
            return qerr(err, QTY_ERR_NUMERIC);
    }

    /* ---- exact value: D * 10^e10 * 2^e2, with D the significant digits */
    char digits[QTY_MAX_INPUT + 1];
    size_t nd = 0;
    for (size_t i = 0; i < num_len; i++)
        digits[nd++] = str[num_start + i];
    for (size_t i = 0; i < denom_len; i++)
        digits[nd++] = str[denom_start + i];
    int64_t e10 = (base == 10 ? (int64_t)exponent : 0) - (int64_t)denom_len;
    int e2 = base == 2 ? exponent : 0;
    size_t first = 0;
    while (first < nd && digits[first] == '0')
        first++;
    while (nd > first && digits[nd - 1] == '0') {
        nd--;
        e10++;
    }
    i128 nanos = 0;
    if (nd > first) {
        size_t sig = nd - first;
        int64_t k = e10 + 9; /* power of ten to apply to D * 2^e2 to get nanos */
        static struct big zero_big;
        struct big b = zero_big;
        bool ok = true;
        if (k > 0 && (int64_t)sig + k > 40)
            ok = false; /* at least 10^40 nanos: out of range */
        for (size_t i = first; ok && i < nd; i++)
            ok = big_muladd(&b, 10, (uint32_t)(digits[i] - '0'));
        for (int i = 0; ok && i < e2; i++)
            ok = big_muladd(&b, 2, 0);
        u128 mag = 0;
        if (ok && k > 0) {
            for (int64_t i = 0; ok && i < k; i++)
                ok = big_muladd(&b, 10, 0);
            ok = ok && big_to_u128(&b, &mag);
        } else if (ok) {
            /* divide by 10^-k, rounding the magnitude up */
            if (-k > (int64_t)sig + 20) {
                mag = 1; /* 0 < value < 1n */
            } else {
                bool rem = false;
                for (int64_t i = 0; i < -k; i++)
                    rem |= big_divsmall(&b, 10) != 0;
                ok = big_to_u128(&b, &mag);
                if (ok && rem)
                    mag++;
            }
        }
        if (!ok || mag > (u128)I128_MAX)
            return slu_err_set(err, SLU_EPARSE,
                               "quantity out of range: magnitude must be below 1.7e29");
        nanos = (i128)mag;
        if (format == KUBE_QF_BINARY_SI && nanos > BINARY_MAX_NANOS)
            nanos = BINARY_MAX_NANOS;
        if (format == KUBE_QF_BINARY_SI && nanos < NANO)
            format = KUBE_QF_DECIMAL_SI;
        if (!positive)
            nanos = -nanos;
    }
    if (q) {
        q->nanos = nanos;
        q->format = format;
    }
    return 0;
}

int kube_quantity_from_json(const json_t *v, struct kube_quantity *q, struct slu_err *err)
{
    char buf[64];
    if (!v || json_is_null(v)) {
        if (q) {
            q->nanos = 0;
            q->format = KUBE_QF_DECIMAL_SI;
        }
        return 0;
    }
    if (json_is_string(v)) {
        /* UnmarshalJSON trims surrounding white space before parsing. */
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (strlen(s) != n)
            return slu_err_set(err, SLU_EPARSE, "quantity contains a NUL byte");
        while (n && strchr(" \t\r\n\v\f", *s)) {
            s++;
            n--;
        }
        while (n && strchr(" \t\r\n\v\f", s[n - 1]))
            n--;
        if (n > QTY_MAX_INPUT)
            return slu_err_set(err, SLU_EPARSE, "quantity longer than %d characters",
                               QTY_MAX_INPUT);
        char tmp[QTY_MAX_INPUT + 1];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        return kube_quantity_parse(tmp, q, err);
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return kube_quantity_parse(buf, q, err);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d))
            return slu_err_set(err, SLU_EPARSE, "quantity is not a finite number");
        /* The shortest decimal text that reads back as d: what the JSON most likely held. */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return kube_quantity_parse(buf, q, err);
    }
    return slu_err_set(err, SLU_EPARSE, "quantity must be a string or a number");
}

/* ---------------------------------------------------------------- print */

static size_t u128_to_str(u128 v, char *out)
{
    char tmp[48];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

static const char *si_suffix(int e)
{
    switch (e) {
    case -9:
        return "n";
    case -6:
        return "u";
    case -3:
        return "m";
    case 0:
        return "";
    case 3:
        return "k";
    case 6:
        return "M";
    case 9:
        return "G";
    case 12:
        return "T";
    case 15:
        return "P";
    case 18:
        return "E";
    }
    return NULL;
}

void kube_quantity_format(const struct kube_quantity *q, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    if (!q || q->nanos == 0) {
        slu_strlcpy(buf, "0", n);
        return;
    }
    bool neg = q->nanos < 0;
    u128 mag = neg ? (u128)(-q->nanos) : (u128)q->nanos;
    char num[48];
    char suffix[16] = "";
    enum kube_qformat fmt = q->format;
    if (fmt != KUBE_QF_DECIMAL_SI && fmt != KUBE_QF_BINARY_SI)
        fmt = KUBE_QF_DECIMAL_EXP;

    if (fmt == KUBE_QF_BINARY_SI) {
        if (mag < (u128)1024 * (u128)NANO || mag % (u128)NANO != 0) {
            fmt = KUBE_QF_DECIMAL_SI; /* below 1Ki or fractional: don't lose precision */
        } else {
            static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
            u128 v = mag / (u128)NANO;
            int k = 0;
            while (v % 1024 == 0) {
                v /= 1024;
                k++;
            }
            if (k <= 6) {
                u128_to_str(v, num);
                snprintf(buf, n, "%s%s%s", neg ? "-" : "", num, bin[k]);
                return;
            }
            fmt = KUBE_QF_DECIMAL_EXP; /* no binary suffix beyond Ei */
        }
    }

    u128 m = mag;
    int e = -9;
    while (m % 10 == 0) {
        m /= 10;
        e++;
    }
    int r = ((e % 3) + 3) % 3; /* lower the exponent to a multiple of 3 */
    for (int i = 0; i < r; i++)
        m *= 10; /* cannot overflow: m <= mag */
    e -= r;
    u128_to_str(m, num);
    const char *si = fmt == KUBE_QF_DECIMAL_SI ? si_suffix(e) : NULL;
    if (si)
        slu_strlcpy(suffix, si, sizeof(suffix));
    else if (e != 0)
        snprintf(suffix, sizeof(suffix), "e%d", e);
    snprintf(buf, n, "%s%s%s", neg ? "-" : "", num, suffix);
}

/* ---------------------------------------------------------------- arithmetic */

int kube_quantity_cmp(const struct kube_quantity *a, const struct kube_quantity *b)
{
    return a->nanos < b->nanos ? -1 : a->nanos > b->nanos ? 1 : 0;
}

static i128 sat_add(i128 a, i128 b)
{
    i128 r;
    if (__builtin_add_overflow(a, b, &r) || r > I128_MAX || r < -I128_MAX)
        return (a > 0) ? I128_MAX : -I128_MAX;
    return r;
}

void kube_quantity_add(struct kube_quantity *a, const struct kube_quantity *b)
{
    /* As Quantity.Add: a zero receiver takes the other's format. */
    if (a->nanos == 0)
        a->format = b->format;
    a->nanos = sat_add(a->nanos, b->nanos);
}

void kube_quantity_sub(struct kube_quantity *a, const struct kube_quantity *b)
{
    if (a->nanos == 0)
        a->format = b->format;
    a->nanos = sat_add(a->nanos, -b->nanos);
}

/* ceil(|nanos| / unit) with the sign put back (rounding away from zero), saturated. */
static int64_t scaled(i128 nanos, i128 unit)
{
    bool neg = nanos < 0;
    i128 mag = neg ? -nanos : nanos;
    i128 v = mag / unit + (mag % unit != 0);
    if (v > INT64_MAX)
        return neg ? INT64_MIN : INT64_MAX;
    return neg ? -(int64_t)v : (int64_t)v;
}

int64_t kube_quantity_value(const struct kube_quantity *q)
{
    return scaled(q->nanos, NANO);
}

int64_t kube_quantity_milli(const struct kube_quantity *q)
{
    return scaled(q->nanos, 1000000);
}

struct kube_quantity kube_quantity_from_int(int64_t v, enum kube_qformat f)
{
    struct kube_quantity q = {(i128)v * NANO, f};
    return q;
}

struct kube_quantity kube_quantity_from_milli(int64_t m, enum kube_qformat f)
{
    struct kube_quantity q = {(i128)m * 1000000, f};
    return q;
}

bool kube_quantity_is_zero(const struct kube_quantity *q)
{
    return q->nanos == 0;
}
