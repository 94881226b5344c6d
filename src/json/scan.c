/*
 * scan.c - fast scanning of JSON text without building a whole jansson tree: slu_json_span (the
 * raw text of the value at a dotted path), slu_json_scan_str / slu_json_scan_i64 (that value
 * decoded), and slu_json_parse_select (jansson values built only for selected subtrees).
 *
 * How it works: one recursive-descent scanner over the bytes (struct scan). Skipping a value
 * validates it (string escapes, UTF-8, surrogate pairs, number grammar, literals, bracket
 * nesting up to SCAN_MAX_DEPTH) but allocates nothing; it is one loop with an explicit stack, not
 * a call per value. Inside strings, runs of plain bytes are jumped over 16 (SSE2) or 8 (SWAR)
 * bytes at a time; the byte that ends a run is handled by the exact byte-by-byte rules, so the
 * errors and their offsets do not depend on the fast path. slu_json_span walks objects along the
 * path, comparing each key with the path component (after unescaping, without copying) and
 * skipping the other values; it stops right after the wanted value. slu_json_parse_select keeps,
 * per nesting level, the list of selectors whose components matched so far: a value that no
 * selector reaches is skipped, a value some selector ends at is built whole with jansson, and an
 * object/array that selectors pass through is walked and created only when something inside it
 * is kept. In that mode the scanner is as strict as jansson's json_loadb (no \u0000 in strings,
 * integers must fit json_int_t, reals must not overflow), so the result equals a full jansson
 * parse followed by extraction of the same paths.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(SLU_SCAN_PORTABLE)
#include <emmintrin.h>
#define SCAN_SSE2 1
#endif

#include "json/json.h"

#define SCAN_MAX_DEPTH 512

struct scan {
    const unsigned char *b;
    size_t len;
    size_t pos;
    bool strict;      /* parse_select: reject \u0000, integer and real overflow (as jansson) */
    const char *emsg; /* the first error (static text) and where it was found */
    size_t epos;
    int ecode;
};

/* Classes of bytes inside a string: 0 plain, 1 quote, 2 backslash, 3 control, 4 non-ASCII. */
static const unsigned char str_class[256] = {
    [0 ... 31] = 3,
    ['"'] = 1,
    ['\\'] = 2,
    [128 ... 255] = 4,
};

static int fail_code(struct scan *s, size_t at, int code, const char *msg)
{
    if (!s->emsg) {
        s->emsg = msg;
        s->epos = at;
        s->ecode = code;
    }
    return code;
}

static int fail(struct scan *s, size_t at, const char *msg)
{
    return fail_code(s, at, SLU_EINVAL, msg);
}

static inline void skip_ws(struct scan *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->b[s->pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        s->pos++;
    }
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or -1 (overlong, surrogate,
 * beyond U+10FFFF, truncated, bad continuation). */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c < 0xC2 || c > 0xF4)
        return -1;
    if (c < 0xE0)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : -1;
    if (c < 0xF0) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return -1;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return -1;
        return 3;
    }
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return -1;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        return -1;
    return 4;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p (p[0..3] must exist), or -1. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* ---------------------------------------------------------------- plain runs in strings
 *
 * Most of a JSON document's bytes are string text without anything special in it. skip_plain
 * jumps over such a run several bytes at a time: 16 with SSE2 (x86-64 always has it), then 8
 * with a portable word trick (SWAR), then one by one near the end of the buffer. It only finds
 * where the run ends; the byte found there is handled by the exact one-byte-at-a-time rules of
 * scan_string, so validation and error offsets do not depend on which path ran. Define
 * SLU_SCAN_PORTABLE to build without SSE2 (the tests can then check the SWAR path alone).
 */

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

/* The high bit of each byte of the 8-byte word w that is '"', '\\', below 0x20 or at least 0x80.
 * Above the first such byte other bits may be set by borrows, never below it, so the lowest set
 * bit is exact (which is all skip_plain uses). */
static inline uint64_t swar_special(uint64_t w)
{
    uint64_t q = w ^ (SWAR_ONES * '"'), e = w ^ (SWAR_ONES * '\\');
    uint64_t t =
        ((q - SWAR_ONES) & ~q) | ((e - SWAR_ONES) & ~e) | ((w - SWAR_ONES * 0x20) & ~w) | w;
    return t & SWAR_HIGHS;
}

/* The index of the first byte at or after p (p <= len) that is not plain string text ('"',
 * '\\', a control byte or a byte >= 0x80), or len. Reads only b[p..len). */
static inline size_t skip_plain(const unsigned char *b, size_t p, size_t len)
{
#ifdef SCAN_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (len - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + p));
        /* signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches them */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bsl)),
                                 _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0)
            return p + (size_t)__builtin_ctz(mask);
        p += 16;
    }
#endif
    while (len - p >= 8) {
        uint64_t w;
        memcpy(&w, b + p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w); /* the first byte in memory must be the least significant */
#endif
        uint64_t m = swar_special(w);
        if (m != 0) {
#if defined(__BYTE_ORDER__) &&                                                                     \
    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ || __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
            return p + (size_t)(__builtin_ctzll(m) >> 3);
#else
            break; /* unknown byte order: the byte loop finds it within these 8 */
#endif
        }
        p += 8;
    }
    while (p < len && str_class[b[p]] == 0)
        p++;
    return p;
}

/* The rest of scan_string from p, the first byte of the body that is not plain text (or len):
 * escapes, UTF-8 sequences, control bytes, the end of input. Out of line, so that the common case
 * (plain text up to the closing quote) stays small where it is inlined. */
__attribute__((noinline)) static int scan_string_rest(struct scan *s, size_t p, size_t *bs,
                                                      size_t *be, bool *esc)
{
    const unsigned char *b = s->b;
    size_t len = s->len;
    bool has_esc = false;
    for (;;) {
        p = skip_plain(b, p, len); /* at once on the first turn: b[p] is not plain */
        if (p >= len)
            return fail(s, s->pos, "unterminated string");
        switch (str_class[b[p]]) {
        case 1:
            *bs = s->pos + 1;
            *be = p;
            *esc = has_esc;
            s->pos = p + 1;
            return 0;
        case 2: {
            has_esc = true;
            if (p + 1 >= len)
                return fail(s, s->pos, "unterminated string");
            unsigned char e = b[p + 1];
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                e == 't') {
                p += 2;
                continue;
            }
            if (e != 'u')
                return fail(s, p, "invalid escape in string");
            if (p + 6 > len)
                return fail(s, s->pos, "unterminated string");
            long cp = hex4(b + p + 2);
            if (cp < 0)
                return fail(s, p, "invalid \\u escape in string");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p + 12 > len || b[p + 6] != '\\' || b[p + 7] != 'u')
                    return fail(s, p, "lone surrogate \\u escape in string");
                long lo = hex4(b + p + 8);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(s, p, "lone surrogate \\u escape in string");
                p += 12;
                continue;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(s, p, "lone surrogate \\u escape in string");
            if (cp == 0 && s->strict)
                return fail(s, p, "\\u0000 is not allowed in a string");
            p += 6;
            continue;
        }
        case 3:
            return fail(s, p, "control character in string");
        default: {
            int n = utf8_seq(b + p, len - p);
            if (n < 0)
                return fail(s, p, "invalid UTF-8 in string");
            p += (size_t)n;
        }
        }
    }
}

/* Scans the string starting at s->pos (which holds '"'), validating it. On success the body
 * (between the quotes) is [*bs, *be), *esc tells whether it holds escapes, and s->pos is past
 * the closing quote. */
static inline int scan_string(struct scan *s, size_t *bs, size_t *be, bool *esc)
{
    size_t p = skip_plain(s->b, s->pos + 1, s->len);
    if (p < s->len && s->b[p] == '"') {
        *bs = s->pos + 1;
        *be = p;
        *esc = false;
        s->pos = p + 1;
        return 0;
    }
    return scan_string_rest(s, p, bs, be, esc);
}

/* Decodes one character of a validated string body at *pp (escape or raw byte) into out; returns
 * the number of bytes written (1-4). */
static int decode_char(const unsigned char **pp, unsigned char out[4])
{
    const unsigned char *p = *pp;
    if (*p != '\\') {
        out[0] = *p;
        *pp = p + 1;
        return 1;
    }
    unsigned char e = p[1];
    *pp = p + 2;
    switch (e) {
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default: /* " \ / */
        out[0] = e;
        return 1;
    }
    unsigned long cp = (unsigned long)hex4(p + 2);
    *pp = p + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) { /* validated: a low surrogate follows */
        unsigned long lo = (unsigned long)hex4(p + 8);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *pp = p + 12;
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes the validated body [p, end) into out (at most cap bytes, no NUL added). Returns the
 * decoded length, or (size_t)-1 when it does not fit. */
static size_t unescape(const unsigned char *p, const unsigned char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        if (run > cap - n)
            return (size_t)-1;
        memcpy(out + n, p, run);
        n += run;
        p += run;
        if (!bs)
            break;
        unsigned char c[4];
        int k = decode_char(&p, c);
        if ((size_t)k > cap - n)
            return (size_t)-1;
        memcpy(out + n, c, (size_t)k);
        n += (size_t)k;
    }
    return n;
}

/* Whether the validated body [p, end) decodes to exactly comp[0..clen). */
static bool key_equals(const unsigned char *p, const unsigned char *end, bool esc, const char *comp,
                       size_t clen)
{
    if (!esc)
        return (size_t)(end - p) == clen && memcmp(p, comp, clen) == 0;
    size_t i = 0;
    while (p < end) {
        unsigned char c[4];
        int k = decode_char(&p, c);
        if ((size_t)k > clen - i || memcmp(comp + i, c, (size_t)k) != 0)
            return false;
        i += (size_t)k;
    }
    return i == clen;
}

/* Parses an integer token (validated grammar, no fraction/exponent). 0 or SLU_ETOOBIG. */
static int parse_i64(const unsigned char *p, size_t n, int64_t *out)
{
    bool neg = false;
    size_t i = 0;
    if (n > 0 && p[0] == '-') {
        neg = true;
        i = 1;
    }
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (lim - d) / 10)
            return SLU_ETOOBIG;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* The value of a real token (validated grammar); SLU_ETOOBIG when it overflows a double. */
static int parse_real(const unsigned char *p, size_t n, double *out)
{
    char small[64];
    char *tmp = n < sizeof small ? small : slu_malloc(n + 1);
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL);
    int rc = (errno == ERANGE && isinf(v)) ? SLU_ETOOBIG : 0;
    if (tmp != small)
        free(tmp);
    *out = v;
    return rc;
}

/* Whether the real token (validated grammar) p[0..n) is certainly below 1e308, so that strtod
 * cannot overflow on it: with i integer digits and exponent x the value is below 10^(i + x).
 * False means "perhaps not" (strtod decides). */
static bool real_surely_finite(const unsigned char *p, size_t n)
{
    if (n > 300)
        return false;
    size_t i = 0, ndig = 0;
    if (p[0] == '-')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        ndig++;
    while (i < n && p[i] != 'e' && p[i] != 'E')
        i++;
    if (i == n)
        return true; /* no exponent: at most 300 digits */
    i++;
    bool neg = false;
    if (p[i] == '+' || p[i] == '-')
        neg = p[i++] == '-';
    long x = 0;
    for (; i < n; i++)
        if (x < 100000)
            x = x * 10 + (p[i] - '0');
    return neg || (long)ndig + x <= 308;
}

/* Scans a number at s->pos; [*start, s->pos) is its text, *is_int whether it has neither
 * fraction nor exponent. In strict mode also checks that it fits (as jansson does). */
static int scan_number(struct scan *s, size_t *start, bool *is_int)
{
    const unsigned char *b = s->b;
    size_t len = s->len, p = s->pos;
    *start = p;
    if (b[p] == '-')
        p++;
    if (p >= len)
        return fail(s, *start, "invalid number");
    if (b[p] == '0')
        p++;
    else if (b[p] >= '1' && b[p] <= '9')
        while (p < len && b[p] >= '0' && b[p] <= '9')
            p++;
    else
        return fail(s, *start, "invalid number");
    bool integer = true, expo = false;
    if (p < len && b[p] == '.') {
        p++;
        if (p >= len || b[p] < '0' || b[p] > '9')
            return fail(s, *start, "invalid number");
        while (p < len && b[p] >= '0' && b[p] <= '9')
            p++;
        integer = false;
    }
    if (p < len && (b[p] == 'e' || b[p] == 'E')) {
        p++;
        if (p < len && (b[p] == '+' || b[p] == '-'))
            p++;
        if (p >= len || b[p] < '0' || b[p] > '9')
            return fail(s, *start, "invalid number");
        while (p < len && b[p] >= '0' && b[p] <= '9')
            p++;
        integer = false;
        expo = true;
    }
    s->pos = p;
    *is_int = integer;
    if (s->strict) {
        size_t n = p - *start;
        if (integer && n >= 19) {
            int64_t v;
            if (parse_i64(b + *start, n, &v) != 0)
                return fail_code(s, *start, SLU_ETOOBIG, "integer too big");
        } else if (!integer && (expo || n > 300) && !real_surely_finite(b + *start, n)) {
            double d;
            if (parse_real(b + *start, n, &d) != 0)
                return fail_code(s, *start, SLU_ETOOBIG, "real number overflow");
        }
    }
    return 0;
}

static int scan_literal(struct scan *s)
{
    const char *lit;
    size_t n;
    switch (s->b[s->pos]) {
    case 't':
        lit = "true", n = 4;
        break;
    case 'f':
        lit = "false", n = 5;
        break;
    case 'n':
        lit = "null", n = 4;
        break;
    default:
        return fail(s, s->pos, "unexpected character");
    }
    if (s->len - s->pos < n || memcmp(s->b + s->pos, lit, n) != 0)
        return fail(s, s->pos, "invalid literal");
    s->pos += n;
    return 0;
}

/* Skips (and validates) one value after optional whitespace; depth is the number of containers
 * around it. One loop with an explicit stack (object or array, per open container) instead
 * of a call per value: it builds and decodes nothing, and each byte outside strings is looked at
 * once. The checks, their order and the error offsets are those of a recursive descent (as
 * build_value does it): at a value, end of input / '"' / bracket (depth cap) / literal / number
 * / unexpected character; in an object, key then ':'; after an item, ',' or the closing bracket. */
static int skip_value(struct scan *s, int depth)
{
    const unsigned char *b = s->b;
    size_t len = s->len;
    bool obj[SCAN_MAX_DEPTH]; /* obj[i]: container i (of this call) is an object; set when opened */
    int n = 0;                /* containers open in this call */
    size_t bs, be;
    bool esc;
    int rc;
    for (;;) {
        /* a value */
        skip_ws(s);
        if (s->pos >= len)
            return fail(s, s->pos, "unexpected end of input");
        unsigned char c = b[s->pos];
        if (c == '"') {
            if ((rc = scan_string(s, &bs, &be, &esc)) != 0)
                return rc;
        } else if (c == '{' || c == '[') {
            if (depth + n >= SCAN_MAX_DEPTH)
                return fail(s, s->pos, "nesting too deep");
            s->pos++;
            skip_ws(s);
            if (s->pos < len && b[s->pos] == (c == '{' ? '}' : ']')) {
                s->pos++;
            } else {
                obj[n++] = c == '{';
                if (c == '[')
                    continue; /* the first element */
                goto key;
            }
        } else if (c == 't' || c == 'f' || c == 'n') {
            if ((rc = scan_literal(s)) != 0)
                return rc;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            bool is_int;
            if ((rc = scan_number(s, &bs, &is_int)) != 0)
                return rc;
        } else {
            return fail(s, s->pos, "unexpected character");
        }
        /* after a value: close every container that ends here */
        for (;;) {
            if (n == 0)
                return 0;
            bool in_obj = obj[n - 1];
            skip_ws(s);
            if (s->pos >= len)
                return fail(s, s->pos, "unexpected end of input");
            unsigned char d = b[s->pos];
            if (d == ',') {
                s->pos++;
                if (in_obj)
                    goto key;
                break; /* the next element */
            }
            if (d == (in_obj ? '}' : ']')) {
                s->pos++;
                n--;
                continue;
            }
            return fail(s, s->pos, in_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        continue;
    key:
        skip_ws(s);
        if (s->pos >= len || b[s->pos] != '"')
            return fail(s, s->pos, "expected an object key");
        if ((rc = scan_string(s, &bs, &be, &esc)) != 0)
            return rc;
        skip_ws(s);
        if (s->pos >= len || b[s->pos] != ':')
            return fail(s, s->pos, "expected ':'");
        s->pos++;
    }
}

/* ---------------------------------------------------------------- span, scan_str, scan_i64 */

int slu_json_span(const char *buf, size_t len, const char *path, const char **val, size_t *vlen)
{
    struct scan s = {.b = (const unsigned char *)buf, .len = buf ? len : 0};
    *val = NULL;
    *vlen = 0;
    if (path == NULL || *path == '\0') {
        skip_ws(&s);
        size_t start = s.pos;
        int rc = skip_value(&s, 0);
        if (rc != 0)
            return rc;
        size_t end = s.pos;
        skip_ws(&s);
        if (s.pos < s.len)
            return SLU_EINVAL; /* trailing garbage */
        *val = buf + start;
        *vlen = end - start;
        return 0;
    }
    const char *comp = path;
    int depth = 0;
    for (;;) {
        const char *dot = strchr(comp, '.');
        size_t clen = dot ? (size_t)(dot - comp) : strlen(comp);
        skip_ws(&s);
        if (s.pos >= s.len)
            return SLU_EINVAL;
        if (s.b[s.pos] != '{') {
            int rc = skip_value(&s, depth);
            return rc != 0 ? rc : SLU_ENOTFOUND;
        }
        if (depth >= SCAN_MAX_DEPTH)
            return SLU_EINVAL;
        depth++;
        s.pos++;
        skip_ws(&s);
        if (s.pos >= s.len)
            return SLU_EINVAL;
        if (s.b[s.pos] == '}')
            return SLU_ENOTFOUND;
        bool descend = false;
        while (!descend) {
            size_t bs, be;
            bool esc;
            skip_ws(&s);
            if (s.pos >= s.len || s.b[s.pos] != '"')
                return SLU_EINVAL;
            if (scan_string(&s, &bs, &be, &esc) != 0)
                return SLU_EINVAL;
            skip_ws(&s);
            if (s.pos >= s.len || s.b[s.pos] != ':')
                return SLU_EINVAL;
            s.pos++;
            if (key_equals(s.b + bs, s.b + be, esc, comp, clen)) {
                if (dot) {
                    comp = dot + 1;
                    descend = true;
                    continue;
                }
                skip_ws(&s);
                size_t start = s.pos;
                if (skip_value(&s, depth) != 0)
                    return SLU_EINVAL;
                size_t end = s.pos;
                /* a member must be followed by ',' or '}': catches a truncated number */
                skip_ws(&s);
                if (s.pos >= s.len || (s.b[s.pos] != ',' && s.b[s.pos] != '}'))
                    return SLU_EINVAL;
                *val = buf + start;
                *vlen = end - start;
                return 0;
            }
            if (skip_value(&s, depth) != 0)
                return SLU_EINVAL;
            skip_ws(&s);
            if (s.pos >= s.len)
                return SLU_EINVAL;
            if (s.b[s.pos] == '}')
                return SLU_ENOTFOUND;
            if (s.b[s.pos] != ',')
                return SLU_EINVAL;
            s.pos++;
        }
    }
}

int slu_json_scan_str(const char *buf, size_t len, const char *path, char *out, size_t cap)
{
    const char *v;
    size_t n;
    if (cap > 0)
        out[0] = '\0';
    int rc = slu_json_span(buf, len, path, &v, &n);
    if (rc != 0)
        return rc;
    if (n < 2 || v[0] != '"')
        return SLU_EINVAL;
    const unsigned char *p = (const unsigned char *)v + 1, *end = (const unsigned char *)v + n - 1;
    /* \u0000 cannot be represented in a NUL-terminated result */
    for (const unsigned char *q = p; (q = memchr(q, '\\', (size_t)(end - q))) != NULL; q += 2)
        if (q[1] == 'u' && memcmp(q + 2, "0000", 4) == 0)
            return SLU_EINVAL;
    if (cap == 0)
        return SLU_ETOOBIG;
    size_t k = unescape(p, end, out, cap - 1);
    if (k == (size_t)-1) {
        out[0] = '\0';
        return SLU_ETOOBIG;
    }
    out[k] = '\0';
    return 0;
}

int slu_json_scan_i64(const char *buf, size_t len, const char *path, int64_t *out)
{
    const char *v;
    size_t n;
    int rc = slu_json_span(buf, len, path, &v, &n);
    if (rc != 0)
        return rc;
    if (n == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')))
        return SLU_EINVAL;
    for (size_t i = 1; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return SLU_EINVAL; /* fraction or exponent: not an integer */
    int64_t x;
    if (parse_i64((const unsigned char *)v, n, &x) != 0)
        return SLU_ETOOBIG;
    *out = x;
    return 0;
}

/* ---------------------------------------------------------------- parse_select */

struct selector {
    const char **comp; /* components (not NUL-terminated: into the caller's path) */
    size_t *clen;
    size_t n;
};

struct select_ctx {
    struct scan s;
    struct selector *sels;
    size_t nsel;
    uint32_t *act; /* (maxn + 1) rows of nsel: the live selectors at each level */
    char *tmp;     /* scratch for decoded strings */
    size_t tmpcap;
};

/* Decodes the string body [bs, be) into c->tmp (NUL-terminated); returns its length. */
static size_t decode_tmp(struct select_ctx *c, size_t bs, size_t be, bool esc)
{
    size_t n = be - bs;
    if (n + 1 > c->tmpcap) {
        c->tmpcap = n + 1 > 2 * c->tmpcap ? n + 1 : 2 * c->tmpcap;
        c->tmp = slu_realloc(c->tmp, c->tmpcap);
    }
    if (esc)
        n = unescape(c->s.b + bs, c->s.b + be, c->tmp, n);
    else
        memcpy(c->tmp, c->s.b + bs, n);
    c->tmp[n] = '\0';
    return n;
}

/* An object key kept across the parsing of its value: [s, s + n), not NUL-terminated (jansson's
 * json_object_setn takes the length). A key without escapes points into the input; an escaped
 * one is decoded into small or, when longer, into heap. No key holds a NUL byte (strict mode
 * refuses \u0000), so the length-taking calls equal the NUL-terminated ones. */
struct key {
    const char *s;
    size_t n;
    char *heap;
    char small[96];
};

static void key_take(struct select_ctx *c, struct key *k, size_t bs, size_t be, bool esc)
{
    k->heap = NULL;
    if (!esc) {
        k->s = (const char *)c->s.b + bs;
        k->n = be - bs;
        return;
    }
    char *out = be - bs <= sizeof k->small ? k->small : (k->heap = slu_malloc(be - bs));
    k->n = unescape(c->s.b + bs, c->s.b + be, out, be - bs); /* decoding never lengthens */
    k->s = out;
}

static void key_release(struct key *k)
{
    free(k->heap);
}

/* Parses one object member's key and the ':' after it (s->pos at the key). */
static inline int member_key(struct scan *s, size_t *bs, size_t *be, bool *esc)
{
    skip_ws(s);
    if (s->pos >= s->len || s->b[s->pos] != '"')
        return fail(s, s->pos, "expected an object key");
    int rc = scan_string(s, bs, be, esc);
    if (rc != 0)
        return rc;
    skip_ws(s);
    if (s->pos >= s->len || s->b[s->pos] != ':')
        return fail(s, s->pos, "expected ':'");
    s->pos++;
    return 0;
}

/* After a member or element: ',' (returns 1, more follow) or the closing bracket (returns 0). */
static inline int after_item(struct scan *s, unsigned char close)
{
    skip_ws(s);
    if (s->pos >= s->len)
        return fail(s, s->pos, "unexpected end of input");
    if (s->b[s->pos] == ',') {
        s->pos++;
        return 1;
    }
    if (s->b[s->pos] == close) {
        s->pos++;
        return 0;
    }
    return fail(s, s->pos, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

/* Opens a container at s->pos: 1 when it has items, 0 when empty (and consumed), or an error. */
static int open_container(struct scan *s, int depth, unsigned char close)
{
    if (depth >= SCAN_MAX_DEPTH)
        return fail(s, s->pos, "nesting too deep");
    s->pos++;
    skip_ws(s);
    if (s->pos < s->len && s->b[s->pos] == close) {
        s->pos++;
        return 0;
    }
    return 1;
}

/* Builds the whole value at s->pos into *out (new reference). */
static int build_value(struct select_ctx *c, int depth, json_t **out)
{
    struct scan *s = &c->s;
    *out = NULL;
    skip_ws(s);
    if (s->pos >= s->len)
        return fail(s, s->pos, "unexpected end of input");
    unsigned char ch = s->b[s->pos];
    size_t bs, be;
    bool esc;
    int rc;
    switch (ch) {
    case '"': {
        if ((rc = scan_string(s, &bs, &be, &esc)) != 0)
            return rc;
        if (!esc) { /* straight from the input */
            *out = json_stringn_nocheck((const char *)s->b + bs, be - bs);
            return 0;
        }
        size_t n = decode_tmp(c, bs, be, esc);
        *out = json_stringn_nocheck(c->tmp, n);
        return 0;
    }
    case '{': {
        json_t *obj = json_object();
        if ((rc = open_container(s, depth, '}')) <= 0) {
            if (rc == 0)
                *out = obj;
            else
                json_decref(obj);
            return rc;
        }
        do {
            if ((rc = member_key(s, &bs, &be, &esc)) != 0)
                break;
            struct key k;
            key_take(c, &k, bs, be, esc);
            json_t *v;
            if ((rc = build_value(c, depth + 1, &v)) == 0)
                json_object_setn_new_nocheck(obj, k.s, k.n, v);
            key_release(&k);
            if (rc != 0)
                break;
        } while ((rc = after_item(s, '}')) == 1);
        if (rc != 0) {
            json_decref(obj);
            return rc;
        }
        *out = obj;
        return 0;
    }
    case '[': {
        json_t *arr = json_array();
        if ((rc = open_container(s, depth, ']')) <= 0) {
            if (rc == 0)
                *out = arr;
            else
                json_decref(arr);
            return rc;
        }
        do {
            json_t *v;
            if ((rc = build_value(c, depth + 1, &v)) != 0)
                break;
            json_array_append_new(arr, v);
        } while ((rc = after_item(s, ']')) == 1);
        if (rc != 0) {
            json_decref(arr);
            return rc;
        }
        *out = arr;
        return 0;
    }
    case 't':
    case 'f':
    case 'n':
        if ((rc = scan_literal(s)) != 0)
            return rc;
        *out = ch == 't' ? json_true() : ch == 'f' ? json_false() : json_null();
        return 0;
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
            bool is_int;
            if ((rc = scan_number(s, &bs, &is_int)) != 0) /* strict: range checked */
                return rc;
            if (is_int) {
                int64_t v;
                if (parse_i64(s->b + bs, s->pos - bs, &v) != 0)
                    return fail_code(s, bs, SLU_ETOOBIG, "integer too big");
                *out = json_integer((json_int_t)v);
            } else {
                double d;
                if (parse_real(s->b + bs, s->pos - bs, &d) != 0)
                    return fail_code(s, bs, SLU_ETOOBIG, "real number overflow");
                *out = json_real(d);
            }
            return 0;
        }
        return fail(s, s->pos, "unexpected character");
    }
}

/* Whether component `level` of sel matches the key with the validated body [kb, ke). */
static bool comp_matches(const struct selector *sel, size_t level, const unsigned char *kb,
                         const unsigned char *ke, bool esc)
{
    size_t cl = sel->clen[level];
    const char *cp = sel->comp[level];
    return (cl == 1 && cp[0] == '*') || key_equals(kb, ke, esc, cp, cl);
}

/* The value at s->pos, at nesting `level` of the selectors, with act[0..nact) the selectors that
 * matched every component so far: *out is what is kept of it (NULL: nothing). */
static int select_value(struct select_ctx *c, int depth, size_t level, const uint32_t *act,
                        size_t nact, json_t **out)
{
    struct scan *s = &c->s;
    *out = NULL;
    if (nact == 0)
        return skip_value(s, depth);
    for (size_t i = 0; i < nact; i++)
        if (c->sels[act[i]].n == level)
            return build_value(c, depth, out);
    skip_ws(s);
    if (s->pos >= s->len)
        return fail(s, s->pos, "unexpected end of input");
    unsigned char ch = s->b[s->pos];
    if (ch != '{' && ch != '[')
        return skip_value(s, depth);
    uint32_t *next = c->act + (level + 1) * c->nsel;
    unsigned char close = ch == '{' ? '}' : ']';
    int rc = open_container(s, depth, close);
    if (rc <= 0)
        return rc;
    json_t *res = NULL;
    if (ch == '[') {
        size_t nnext = 0;
        for (size_t i = 0; i < nact; i++)
            if (c->sels[act[i]].clen[level] == 1 && c->sels[act[i]].comp[level][0] == '*')
                next[nnext++] = act[i];
        do {
            json_t *v;
            if ((rc = select_value(c, depth + 1, level + 1, next, nnext, &v)) != 0)
                break;
            if (v) {
                if (!res)
                    res = json_array();
                json_array_append_new(res, v);
            }
        } while ((rc = after_item(s, ']')) == 1);
    } else {
        do {
            size_t bs, be;
            bool esc;
            if ((rc = member_key(s, &bs, &be, &esc)) != 0)
                break;
            size_t nnext = 0;
            for (size_t i = 0; i < nact; i++)
                if (comp_matches(&c->sels[act[i]], level, s->b + bs, s->b + be, esc))
                    next[nnext++] = act[i];
            json_t *v;
            if (nnext == 0) { /* no selector goes on through this key */
                if ((rc = skip_value(s, depth + 1)) != 0)
                    break;
                continue;
            }
            struct key k;
            key_take(c, &k, bs, be, esc);
            rc = select_value(c, depth + 1, level + 1, next, nnext, &v);
            if (rc == 0) { /* duplicate keys: the last one decides */
                if (v) {
                    if (!res)
                        res = json_object();
                    json_object_setn_new_nocheck(res, k.s, k.n, v);
                } else if (res) {
                    json_object_deln(res, k.s, k.n);
                }
            }
            key_release(&k);
            if (rc != 0)
                break;
        } while ((rc = after_item(s, '}')) == 1);
    }
    if (rc != 0) {
        json_decref(res);
        return rc;
    }
    if (res && (json_is_object(res) ? json_object_size(res) : json_array_size(res)) == 0) {
        json_decref(res);
        res = NULL;
    }
    *out = res;
    return 0;
}

int slu_json_parse_select(const char *buf, size_t len, const char *const *paths, size_t npaths,
                          json_t **out, struct slu_err *err)
{
    *out = NULL;
    if (npaths > 0 && paths == NULL)
        return slu_err_set(err, SLU_EINVAL, "parse_select: no paths");
    if (npaths > UINT32_MAX)
        return slu_err_set(err, SLU_EINVAL, "parse_select: too many paths");
    struct select_ctx c = {
        .s = {.b = (const unsigned char *)buf, .len = buf ? len : 0, .strict = true}};
    /* split the paths into components, in one allocation per array */
    size_t ncomp = 0, maxn = 0;
    for (size_t i = 0; i < npaths; i++) {
        if (paths[i] == NULL)
            return slu_err_set(err, SLU_EINVAL, "parse_select: path %zu is NULL", i);
        if (paths[i][0] == '\0')
            continue;
        size_t n = 1;
        for (const char *p = paths[i]; *p; p++)
            n += *p == '.';
        ncomp += n;
        maxn = n > maxn ? n : maxn;
    }
    /* a watch's or an informer's handful of paths fits on the stack */
    struct selector sels_small[16];
    const char *comps_small[64];
    size_t clens_small[64];
    uint32_t act_small[256];
    bool small = npaths <= 16 && ncomp <= 64 && (maxn + 2) * npaths <= 256;
    const char **comps;
    size_t *clens;
    if (small) {
        memset(sels_small, 0, sizeof sels_small);
        c.sels = sels_small;
        comps = comps_small;
        clens = clens_small;
        c.act = act_small;
    } else {
        c.sels = slu_calloc(npaths ? npaths : 1, sizeof *c.sels);
        comps = slu_calloc(ncomp ? ncomp : 1, sizeof *comps);
        clens = slu_calloc(ncomp ? ncomp : 1, sizeof *clens);
        c.act = slu_calloc((maxn + 2) * (npaths ? npaths : 1), sizeof *c.act);
    }
    size_t used = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct selector *sel = &c.sels[i];
        sel->comp = comps + used;
        sel->clen = clens + used;
        if (paths[i][0] == '\0')
            continue;
        const char *p = paths[i], *q = p;
        for (;; q++) {
            if (*q == '.' || *q == '\0') {
                sel->comp[sel->n] = p;
                sel->clen[sel->n++] = (size_t)(q - p);
                if (*q == '\0')
                    break;
                p = q + 1;
            }
        }
        used += sel->n;
    }
    c.nsel = npaths;
    for (size_t i = 0; i < npaths; i++)
        c.act[i] = (uint32_t)i;

    json_t *res = NULL;
    skip_ws(&c.s);
    unsigned char first = c.s.pos < c.s.len ? c.s.b[c.s.pos] : 0;
    int rc = select_value(&c, 0, 0, c.act, npaths, &res);
    if (rc == 0) {
        skip_ws(&c.s);
        if (c.s.pos < c.s.len)
            rc = fail(&c.s, c.s.pos, "end of input expected");
    }
    if (rc == 0 && !res)
        res = first == '{' ? json_object() : first == '[' ? json_array() : json_null();
    if (rc != 0) {
        json_decref(res);
        res = NULL;
        slu_err_set(err, c.s.ecode ? c.s.ecode : rc, "at byte %zu: %s", c.s.epos,
                    c.s.emsg ? c.s.emsg : "invalid JSON");
        rc = c.s.ecode ? c.s.ecode : rc;
    }
    if (!small) {
        free(c.act);
        free(clens);
        free(comps);
        free(c.sels);
    }
    free(c.tmp);
    *out = res;
    return rc;
}
